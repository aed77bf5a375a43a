//! tsnap as an unprivileged user (uid 65534 through setpriv) against a root-owned process:
//! the readable columns are there, the rest are null, each with one footer line saying why,
//! and the run succeeds.

use crate::util::{self, Run, by_tid, is_root};
use crate::workload::{Kind, Workload};
use std::path::Path;

/// Runs tsnap as uid/gid 65534, from a copy of the binary any user can execute.
pub fn run_as_nobody(args: &[&str]) -> Option<Run> {
    if !is_root() {
        eprintln!("skipped: needs root to switch to uid 65534");
        return None;
    }
    if !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: setpriv is not installed");
        return None;
    }
    let dir = util::TempDir::new("nobody");
    let bin = dir.0.join("tsnap");
    std::fs::copy(util::binary(), &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    if let Some(runner) = std::env::var_os("TSNAP_TEST_RUNNER") {
        cmd.arg(runner);
    }
    cmd.arg(&bin).args(args);
    Some(util::finish(cmd.output().unwrap()))
}

#[test]
fn unprivileged_user_sees_what_it_may_and_is_told_the_rest() {
    let w = Workload::start(&[Kind::PipeReader, Kind::Spinner]);
    let pid = std::process::id().to_string();
    let Some(out) = run_as_nobody(&["-a", "-p", &pid, "-f", "json"]) else {
        return;
    };
    let out = out.ok();
    let rows = out.json();
    let rows = by_tid(&rows);
    let pipe = rows[&w.tid(Kind::PipeReader)];
    assert_eq!(pipe["comm"], "t-pipe");
    assert_eq!(pipe["state"], "S");
    assert!(pipe["minflt"].as_u64().is_some());
    assert!(pipe["pcpu"].as_f64().is_some());
    for hidden in ["wchan", "syscall", "filename", "kstack"] {
        assert!(pipe[hidden].is_null(), "{hidden} should be null: {pipe}");
    }
    let spin = rows[&w.tid(Kind::Spinner)];
    assert_eq!(spin["state"], "R");
    for line in [
        "syscall: not readable for",
        "wchan: not readable for",
        "kstack: not readable for",
    ] {
        assert_eq!(
            out.stderr.matches(line).count(),
            1,
            "{line} in {}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("needs CAP_SYS_ADMIN"), "{}", out.stderr);
    assert!(out.stderr.contains("needs ptrace access"), "{}", out.stderr);

    let table = run_as_nobody(&["-a", "-p", &pid, "-i", "0"]).unwrap().ok();
    let line = table
        .stdout
        .lines()
        .find(|l| l.contains("t-pipe"))
        .unwrap_or_else(|| panic!("{}", table.stdout));
    assert!(
        line.split_whitespace().filter(|f| *f == "-").count() >= 3,
        "{line}"
    );
}
