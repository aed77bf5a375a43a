//! The command line: each bad input gives the documented status and a clear message.

use crate::util::{run, tsnap};
use std::process::Stdio;

#[track_caller]
fn fails(args: &[&str], status: i32, message: &str) {
    let out = run(args);
    assert_eq!(out.status, status, "{args:?}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{args:?} printed {}", out.stdout);
    assert!(
        out.stderr.contains(message),
        "{args:?}: expected {message:?} in {:?}",
        out.stderr
    );
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    for (args, message) in [
        (&["--frobnicate"][..], "invalid option '--frobnicate'"),
        (&["-o", "pid,bogus"], "unknown column 'bogus'"),
        (&["-G", "nope"], "unknown column 'nope'"),
        (
            &["-i", "fast"],
            "--interval: 'fast' is not a number of seconds",
        ),
        (&["-i"], "missing argument for option '-i'"),
        (&["-p", "12ab"], "'12ab' is not a process id"),
        (&["-f", "yaml"], "unknown format 'yaml'"),
        (&["explode"], "unknown command 'explode'"),
        (&["dump"], "dump needs the processes to dump"),
        (
            &["dump", "-p", "1", "-o", "pid"],
            "option --columns does not apply to 'dump'",
        ),
        (&["-a", "--java"], "option --java does not apply to 'snap'"),
        (
            &["dump", "-p", "1", "--java-timeout", "2"],
            "--java-timeout goes with --java",
        ),
    ] {
        fails(args, 2, message);
        fails(args, 2, "Try 'tsnap --help'");
    }
}

#[test]
fn nothing_matched_exits_1() {
    fails(&["-p", "999999999"], 1, "no such process: 999999999");
    fails(
        &["-C", "no-such-comm-x"],
        1,
        "no process named no-such-comm-x",
    );
    fails(
        &["dump", "-C", "no-such-comm-x"],
        1,
        "no process named no-such-comm-x",
    );
    fails(
        &["--proc", "/nonexistent/proc"],
        1,
        "cannot open /nonexistent/proc",
    );
}

#[test]
fn help_version_and_columns() {
    let help = run(&["--help"]).ok();
    assert!(help.stdout.contains("USAGE") && help.stdout.contains("tsnap dump"));
    let dump = run(&["dump", "--help"]).ok();
    assert!(dump.stdout.starts_with("tsnap dump - "));
    assert!(dump.stdout.contains("nid="));
    let version = run(&["--version"]).ok();
    assert!(version.stdout.starts_with("tsnap 0."));
    let columns = run(&["columns"]).ok();
    for name in [
        "pid", "tid", "nid", "wchan", "syscall", "filename", "kstack", "pcpu",
    ] {
        assert!(
            columns.stdout.lines().any(|l| l.starts_with(name)),
            "{name}"
        );
    }
    assert!(columns.stdout.contains("CAP_SYS_ADMIN"));
}

#[test]
fn closed_stdout_ends_quietly() {
    // The reading end is closed before tsnap writes: its write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = tsnap()
        .args(["-a", "-i", "0"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("pipe") && !stderr.contains("panick"),
        "{stderr}"
    );
}
