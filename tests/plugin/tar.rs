//! The way in through tar: a container with tar gets the binary for its node's
//! architecture (from the plugin's directory, through its symlink, or a checkout's build tree),
//! run as the container's user after a probe in a real shell, and removed after, even when
//! the run is interrupted.

use super::*;

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
