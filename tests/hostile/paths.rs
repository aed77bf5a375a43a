//! Paths the target controls: its /tmp, attach socket and passwd linked to the host's files
//! and services or swapped after the signal, a FIFO for passwd, the wrong JVM behind a shared
//! /tmp, a copy of /proc posing as the real one.

use super::*;

#[test]
fn a_tmp_that_links_to_a_host_dir_gets_no_trigger_file() {
    let Some((host, root)) = hostile() else {
        return;
    };
    root.link("tmp", &host.dir.0);
    // As root, whose working directory is gone; and as a user whose working directory (/) it
    // may not write: either way the trigger file would go to /tmp.
    for env in [&[("FAKE_CWD", "gone")][..], &[("FAKE_UID", "1000")][..]] {
        let fake = Fake::start(&root, "silent", "", env);
        let out = tsnap(&java_dump(&fake.pid()), SECS_5);
        assert_eq!(out.run.status, 0, "{}", out.run.stderr);
        holds(&out.run.stderr, "no Java thread dump");
        host.untouched();
        drop(fake);
    }
}

#[test]
fn a_socket_that_links_to_a_host_service_is_not_connected_to() {
    let Some((host, root)) = hostile() else {
        return;
    };
    for (name, env) in [
        (".java_pid1", &[("FAKE_PIDNS", "1")][..]),
        (
            ".java_pid1",
            &[("FAKE_PIDNS", "1"), ("FAKE_UID", "1000")][..],
        ),
    ] {
        root.link(&format!("tmp/{name}"), &host.path("service.sock"));
        let fake = Fake::start(&root, "silent", "", env);
        let out = tsnap(&java_dump(&fake.pid()), SECS_5);
        assert_eq!(out.run.status, 0, "{}", out.run.stderr);
        assert!(
            !out.run.stdout.contains("HOST SECRET"),
            "{}",
            out.run.stdout
        );
        assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
        host.untouched();
    }
}

#[test]
fn swapping_tmp_after_the_signal_removes_no_host_file() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(
        &root,
        "swap",
        host.dir.0.to_str().unwrap(),
        &[("FAKE_PIDNS", "1"), ("FAKE_CWD", "gone")],
    );
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(
        root.path("tmp").is_symlink(),
        "the fake did not swap its /tmp"
    );
    host.untouched();
    // The trigger file went where it was created, and was removed from there.
    assert!(!root.path("tmp.before/.attach_pid1").exists());
}

#[test]
fn a_passwd_link_shows_no_host_file_and_no_device() {
    let Some((host, root)) = hostile() else {
        return;
    };
    std::fs::create_dir_all(root.path("dev")).unwrap();
    // The container's own /dev/zero, a real device: read, it never ends.
    let dev = std::ffi::CString::new(root.path("dev/zero").as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(
        // SAFETY: mknod with a valid path.
        unsafe { libc::mknod(dev.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 5)) },
        0
    );
    for target in [host.path("secret"), PathBuf::from("/dev/zero")] {
        root.link("etc/passwd", &target);
        let fake = Fake::start(&root, "silent", "", &[]);
        let out = tsnap(
            &[
                "-a",
                "-p",
                &fake.pid(),
                "-o",
                "pid,tid,user",
                "-i",
                "0",
                "-f",
                "json",
            ],
            SECS_5,
        );
        let rows = out.run.rows();
        assert_eq!(rows.len(), 1, "{}", out.run.stdout);
        assert_eq!(rows[0]["user"], "0", "{}", out.run.stdout);
        host.untouched();
    }
}

#[test]
fn a_fifo_for_passwd_hangs_nothing() {
    let Some((host, root)) = hostile() else {
        return;
    };
    std::fs::remove_file(root.path("etc/passwd")).unwrap();
    let fifo =
        std::ffi::CString::new(root.path("etc/passwd").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let fake = Fake::start(&root, "silent", "", &[]);
    let pid = fake.pid();
    let out = tsnap(&["-a", "-p", &pid, "-o", "pid,user", "-i", "0"], SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    // sample stops on SIGINT and prints its report.
    let mut c = util::tsnap();
    c.args(["sample", "-a", "-p", &pid, "-g", "user", "-d", "60"]);
    let out = watched_with(c, SECS_5, Some((Duration::from_millis(1500), libc::SIGINT)));
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stdout, "interrupted");
    host.untouched();
}

#[test]
fn the_wrong_jvm_behind_a_shared_tmp_is_refused() {
    if !needs_root() {
        return;
    }
    let host = Host::new();
    // Two containers that share /tmp (an emptyDir), each JVM pid 1 in its own namespace: the
    // socket /tmp/.java_pid1 is the second's.
    let root = Root::new();
    let pidns = ("FAKE_PIDNS", "1");
    let a = Fake::start(&root, "silent", "", &[pidns, ("FAKE_COMM", "fake-a")]);
    let b = Fake::start(
        &root,
        "listen",
        "",
        &[pidns, ("FAKE_COMM", "fake-b"), ("FAKE_JAVA_NAME", "fake-b")],
    );
    let out = tsnap(&java_dump(&a.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    holds(&out.run.stdout, "\"fake-a\" tid=");
    assert!(
        out.run.stderr.contains(&a.pid()) && out.run.stderr.contains(&b.pid()),
        "{}",
        out.run.stderr
    );
    // The right one is merged.
    let out = tsnap(&java_dump(&b.pid()), SECS_5);
    holds(&out.run.stdout, "\n    java: #1 ");

    // From a pid namespace where neither listener is visible, the dump's threads must match
    // the target's: ids in its namespace and names.
    let from_elsewhere = |pid: &str| {
        let mut c = Command::new("unshare");
        c.args(["--pid", "--fork", "--kill-child"])
            .arg(util::binary())
            .args(java_dump(pid));
        watched(c, SECS_5)
    };
    let out = from_elsewhere(&a.pid());
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    holds(&out.run.stderr, "not this process's");
    let out = from_elsewhere(&b.pid());
    assert!(
        out.run.stdout.contains("\n    java: #1 "),
        "{}{}",
        out.run.stdout,
        out.run.stderr
    );
    host.untouched();
}

#[test]
fn java_on_a_proc_copy_is_refused() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "silent", "", &[]);
    let pid = fake.pid();
    // A copy of the fake JVM's /proc files, its root and working directory links leading to
    // the host's directory.
    let copy = FakeProc::new("proccopy");
    let from = PathBuf::from(format!("/proc/{pid}"));
    for name in [
        "cmdline",
        "comm",
        "io",
        "stat",
        "status",
        "maps",
        "cgroup",
        "mountinfo",
    ] {
        copy.file(
            &format!("{pid}/{name}"),
            std::fs::read(from.join(name)).unwrap(),
        );
    }
    for name in ["cmdline", "comm", "io", "stat", "status"] {
        let data = std::fs::read(from.join("task").join(&pid).join(name)).unwrap();
        copy.file(&format!("{pid}/task/{pid}/{name}"), data);
    }
    copy.file("uptime", std::fs::read("/proc/uptime").unwrap());
    copy.link(&format!("{pid}/root"), &host.dir.0);
    copy.link(&format!("{pid}/cwd"), &host.dir.0);
    let proc_dir = copy.path().to_str().unwrap();
    let plain = tsnap(&["dump", "--proc", proc_dir, "-p", &pid, "-i", "0"], SECS_5);
    assert_eq!(plain.run.status, 0, "{}", plain.run.stderr);
    holds(&plain.run.stdout, "\"fakejvm\" tid=");
    let mut args = vec!["--proc", proc_dir];
    args.extend(java_dump(&pid));
    let out = tsnap(&args, SECS_5);
    assert_eq!(out.run.status, 2, "{}", out.run.stderr);
    holds(&out.run.stderr, "--java needs the real procfs");
    host.untouched();
}
