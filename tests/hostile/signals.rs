//! Who is asked and how the signal goes: processes tsnap cannot or may not ask still get their
//! view from the OS, and a reused pid gets no SIGQUIT when pidfd_send_signal is refused.

use super::*;

#[test]
fn processes_that_cannot_be_asked_still_get_their_os_view() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let jvm = Fake::start(&root, "listen", "", &[("FAKE_COMM", "fake-jvm")]);
    let mut sleep = Command::new("sleep").arg("60").spawn().unwrap();
    let pids = format!("{},{}", jvm.pid(), sleep.id());
    let out = tsnap(&java_dump(&pids), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stdout, "\n    java: #1 ");
    holds(&out.run.stdout, "\"sleep\" tid=");
    holds(&out.run.stderr, "(sleep) is not a HotSpot JVM");
    let _ = sleep.kill();
    let _ = sleep.wait();
    host.untouched();
}

#[test]
fn a_process_tsnap_may_not_ask_still_gets_its_os_view() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "listen", "", &[]);
    let Some(out) = crate::unprivileged::run_as_nobody(&java_dump(&fake.pid())) else {
        return;
    };
    assert_eq!(out.status, 0, "{}", out.stderr);
    holds(&out.stdout, "Thread dump of pid ");
    assert!(!out.stdout.contains("java: "), "{}", out.stdout);
    holds(&out.stderr, "cannot read its maps");
    host.untouched();
}

#[test]
fn without_pidfd_send_signal_a_reused_pid_gets_no_signal() {
    if !needs_root() {
        return;
    }
    let _turn = util::cpu_turn();
    let root = Root::new();
    let dir = TempDir::new("reuse");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/reuse.sh");
    let out = Command::new("timeout")
        .args(["30", "unshare", "--pid", "--fork", "--mount-proc", "bash"])
        .arg(script)
        .arg(util::refuse())
        .arg(util::binary())
        .arg(fakejvm())
        .arg(&root.0.0)
        .arg(&dir.0)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = format!("{stdout}\n{stderr}");
    if !util::require(
        stdout.contains("reused "),
        &format!("the pid was not reused as asked\n{said}"),
    ) {
        return;
    }
    // The second JVM got its SIGQUIT by pid (the seccomp filter refused the pidfd) and was
    // asked, while the first still kept tsnap waiting; the process given its pid, none.
    assert!(stdout.contains("innocent ended 143"), "{said}");
    assert!(stdout.contains("second JVM saw 1 SIGQUIT"), "{said}");
    assert!(!stderr.contains("cannot send SIGQUIT"), "{said}");
}
