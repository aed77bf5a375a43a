//! The node's DaemonSet: its manifests parse (PyYAML) and their command lines run with their
//! privileges against a real container; and `dump --java` on a node with two JVMs lists both
//! and signals neither.

use crate::java::Jvm;
use crate::support::containers::{Container, threads_of};
use crate::util::{self, TempDir, cpu_turn, python_has, run};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn dump_java_with_two_jvms_lists_them_and_signals_neither() {
    // The first JVM prints a thread dump for any SIGQUIT (no attach mechanism); the second
    // would start its Attach Listener thread if it were asked.
    let Some(mut quiet) = Jvm::launch(&[], &["-XX:+DisableAttachMechanism"], false) else {
        return;
    };
    let Some(mut plain) = Jvm::beside(&quiet, &[], false) else {
        return;
    };
    let out = run(&["dump", "--java", "-C", "java", "-i", "0"]);
    assert_eq!(out.status, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "", "nothing is dumped");
    assert!(
        out.stderr.contains(
            "dump --java asks one JVM unless the processes are named by -p, --container or --pod"
        ),
        "{}",
        out.stderr
    );
    for jvm in [&quiet, &plain] {
        let line = out
            .stderr
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&jvm.pid().to_string()));
        let line = line.unwrap_or_else(|| panic!("pid {} not listed:\n{}", jvm.pid(), out.stderr));
        let ask = format!(
            " ThreadStates {:<27} tsnap dump --java -p {}",
            "",
            jvm.pid()
        );
        assert!(line.contains(" - ") && line.ends_with(&ask), "{line}");
        let trigger = jvm.classes.0.join(format!(".attach_pid{}", jvm.pid()));
        assert!(!trigger.exists(), "a trigger file was made");
    }
    let names: Vec<String> = threads_of(plain.pid()).into_values().collect();
    assert!(!names.iter().any(|n| n == "Attach Listener"), "{names:?}");
    for jvm in [&mut quiet, &mut plain] {
        let (status, stdout) = jvm.exit();
        assert!(status.success(), "{status}");
        assert!(
            !stdout.contains("Full thread dump"),
            "a JVM got SIGQUIT:\n{stdout}"
        );
    }
}

/// The DaemonSet manifests' fields the tests check, read with PyYAML.
fn manifest(name: &str) -> Option<Value> {
    if !python_has("yaml") {
        return None;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/k8s")
        .join(name);
    let program = "import json, sys, yaml\n\
        docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]\n\
        json.dump(docs, sys.stdout)\n";
    let out = Command::new("python3")
        .args(["-c", program])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    docs.into_iter().find(|d| d["kind"] == "DaemonSet")
}

/// A root for a container holding the binary under test (and, for a dynamically linked
/// one, its loader and libraries) at /tsnap, as the image of part 8 does.
fn tsnap_root() -> TempDir {
    let root = TempDir::new("tsnap-root");
    let bin = util::binary();
    std::fs::copy(&bin, root.0.join("tsnap")).unwrap();
    let ldd = Command::new("ldd").arg(&bin).output();
    let libs = ldd
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for path in libs.split_whitespace().filter(|w| w.starts_with('/')) {
        let to = root.0.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(path, to).unwrap();
    }
    root
}

#[test]
fn the_daemonsets_parse_and_their_command_lines_run_with_their_privileges() {
    let Some(ds) = manifest("daemonset.yaml") else {
        return;
    };
    let Some(hourly) = manifest("daemonset-hourly.yaml") else {
        return;
    };
    for ds in [&ds, &hourly] {
        let pod = &ds["spec"]["template"]["spec"];
        assert_eq!(pod["hostPID"], true);
        let c = &pod["containers"][0];
        assert!(
            c["image"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/tsnap:{}", env!("CARGO_PKG_VERSION")))
        );
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
        let env = &c["env"][0];
        assert_eq!(
            (&env["name"], &env["valueFrom"]["fieldRef"]["fieldPath"]),
            (&"TSNAP_HOST".into(), &"spec.nodeName".into())
        );
        for kind in ["requests", "limits"] {
            assert!(
                c["resources"][kind]["cpu"].is_string()
                    && c["resources"][kind]["memory"].is_string()
            );
        }
        let sys = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == "/host/sys");
        assert_eq!(sys.map(|m| &m["readOnly"]), Some(&Value::Bool(true)));
    }
    let c = &ds["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[..5], ["watch", "-i", "1", "-f", "json"]);
    let caps: Vec<&str> = c["securityContext"]["capabilities"]["add"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let hourly_c = &hourly["spec"]["template"]["spec"]["containers"][0];
    let hourly_args: Vec<&str> = hourly_c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(hourly_args.contains(&"--keep-hours") && hourly_args.contains(&"--output-dir"));
    // The capture stays private: every process's command line is in it.
    assert!(!hourly_args.contains(&"--mode"), "{hourly_args:?}");

    // Their command lines, run as the pod would run them: the host's processes, the
    // capabilities the manifest adds and no other, a read-only root, the host's /sys read-only
    // at /host/sys, the node's name in TSNAP_HOST; ended as Kubernetes ends a pod (SIGTERM).
    let _turn = cpu_turn();
    let Some(target) = Container::start("ds-target", &["2", "1", "spin"], &["--user", "65534"])
    else {
        return;
    };
    let root = tsnap_root();
    let logs = TempDir::new("ds-logs");
    let run_pod = |name: &str, args: &[&str], volume: Option<&str>| {
        let mut cmd = Command::new("podman");
        cmd.args([
            "--runtime",
            "runc",
            "run",
            "--rm",
            "--network",
            "none",
            "--name",
            name,
            "--pid",
            "host",
        ]);
        cmd.args([
            "--read-only",
            "--cap-drop",
            "ALL",
            "--cap-add",
            &caps.join(","),
        ]);
        cmd.args([
            "-v",
            "/sys:/host/sys:ro",
            "-e",
            "TSNAP_HOST=node-under-test",
        ]);
        cmd.args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=4096:4096",
        ]);
        if let Some(v) = volume {
            cmd.args(["-v", v]);
        }
        let child = cmd
            .arg("--rootfs")
            .arg(&root.0)
            .arg("/tsnap")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(3500));
        let stop = Command::new("podman")
            .args(["kill", "--signal", "TERM", name])
            .status()
            .unwrap();
        assert!(stop.success());
        util::finish(child.wait_with_output().unwrap())
    };
    let name = format!("tsnap-part10-{}-ds", std::process::id());
    let out = run_pod(&name, &args, None);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let rows = out.json();
    let target_rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r["container"] == target.id.as_str())
        .collect();
    assert!(
        target_rows.len() >= 2,
        "the spinner in each snapshot:\n{}",
        out.stdout
    );
    for row in &rows {
        assert_eq!(row["host"], "node-under-test");
    }
    // Another user's threads, read with those capabilities: syscall, wchan, and throttled.
    let spinner = target_rows.iter().find(|r| r["comm"] == "spinner").unwrap();
    assert_eq!(spinner["syscall"], "[running]", "{spinner}");
    assert!(
        spinner["throttled"].is_number(),
        "{spinner}\n{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("syscall: not readable"),
        "{}",
        out.stderr
    );

    let mut args: Vec<&str> = hourly_args.clone();
    let mount = hourly_c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| Some(m["mountPath"].as_str()?).filter(|p| *p != "/host/sys"))
        .unwrap();
    args.iter_mut()
        .filter(|a| **a == mount)
        .for_each(|a| *a = "/logs");
    let volume = format!("{}:/logs", logs.0.display());
    let out = run_pod(&format!("{name}-hourly"), &args, Some(&volume));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let file = std::fs::read_dir(&logs.0)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(file.to_str().unwrap().ends_with(".jsonl"), "{file:?}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o7777, 0o600, "{file:?}");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.lines().any(|l| l.contains(&target.id)), "{text}");
}
