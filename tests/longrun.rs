//! Runs that last: signals that end them, targets that go away, memory that must not grow,
//! disks that fill up.

use crate::util::tsnap;
use crate::workload::{Kind, Workload};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Sends `signal` to a running tsnap after `after`, and returns its output.
fn signalled(args: &[&str], signal: i32, after: Duration) -> (crate::util::Run, Duration) {
    let child = tsnap()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let start = Instant::now();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = crate::util::finish(child.wait_with_output().unwrap());
    (out, start.elapsed())
}

#[test]
fn sighup_ends_sample_with_its_report() {
    let w = Workload::start("hup", &[Kind::PipeReader]);
    let pid = std::process::id().to_string();
    let (out, took) = signalled(
        &["sample", "-a", "-p", &pid, "-d", "60"],
        libc::SIGHUP,
        Duration::from_millis(800),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("hup-pipe"), "{}", out.stdout);
    assert!(out.stdout.contains("interrupted: "), "{}", out.stdout);
    assert!(took < Duration::from_secs(2), "{took:?}");
    drop(w);
    // SIGPIPE from kill is ignored: the run goes on to its end.
    let (out, _) = signalled(
        &["sample", "-a", "-p", &pid, "-d", "1"],
        libc::SIGPIPE,
        Duration::from_millis(300),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("interrupted"), "{}", out.stdout);
}
