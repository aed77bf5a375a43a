//! tsnap as an unprivileged user (uid 65534 through setpriv) against a root-owned process:
//! the readable columns are there, the rest are null, each with one footer line saying why,
//! and the run succeeds.

use crate::util::{self, Run, by_tid, is_root};
use crate::workload::{Kind, Workload};
use std::path::Path;

/// Runs tsnap as uid/gid 65534, from a copy of the binary any user can execute.
pub fn run_as_nobody(args: &[&str]) -> Option<Run> {
    if !util::require(is_root(), "needs root to switch to uid 65534")
        || !util::require(
            Path::new("/usr/bin/setpriv").exists(),
            "setpriv is not installed",
        )
    {
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
    let w = Workload::start("nobody", &[Kind::PipeReader, Kind::Spinner]);
    let pid = std::process::id().to_string();
    let Some(out) = run_as_nobody(&["-a", "-p", &pid, "-f", "json"]) else {
        return;
    };
    let out = out.ok();
    let rows = out.json();
    let rows = by_tid(&rows);
    let pipe = rows[&w.tid(Kind::PipeReader)];
    assert_eq!(pipe["comm"], "nobody-pipe");
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
        .find(|l| l.contains("nobody-pipe"))
        .unwrap_or_else(|| panic!("{}", table.stdout));
    assert!(
        line.split_whitespace().filter(|f| *f == "-").count() >= 3,
        "{line}"
    );
}

/// What the catalogue (`tsnap columns -f json`) says each column needs is what a user
/// without it gets from a root process: a value where it says none, else null and a footer
/// line naming what would have allowed the read (`filename` and `endpoint` follow the
/// `syscall` refused, whose line says it).
#[test]
fn each_column_needs_the_privilege_the_catalogue_says() {
    let catalogue = util::proc_columns();
    let names: Vec<&str> = catalogue
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut sleeper = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let pid = sleeper.id().to_string();
    let all = names.join(",");
    let out = run_as_nobody(&["-a", "-p", &pid, "-f", "json", "-i", "0.3", "-o", &all]);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let Some(out) = out else {
        return;
    };
    let out = out.ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    let row = &rows[0];
    for c in &catalogue {
        let name = c["name"].as_str().unwrap();
        let value = &row[name];
        let footer = out
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("{name}: not readable for")));
        let needed = match c["privilege"].as_str().unwrap() {
            "none" | "none-name-ptrace-read" => {
                // A process on the host is in no container and no pod.
                if !["container", "pod"].contains(&name) {
                    assert!(!value.is_null(), "{name} in {row}");
                }
                assert_eq!(footer, None, "{name}");
                continue;
            }
            "ptrace-attach-read" => {
                assert!(value.is_null(), "{name} in {row}");
                continue;
            }
            "none-value-ptrace-read" => "no ptrace-read access",
            "ptrace-read" => "needs ptrace-read access",
            "ptrace-attach" => "needs ptrace access",
            "sys-admin" => "needs CAP_SYS_ADMIN",
            other => panic!("{name}: privilege {other}"),
        };
        assert!(value.is_null(), "{name} in {row}");
        let footer = footer.unwrap_or_else(|| panic!("no line for {name}: {}", out.stderr));
        assert!(footer.contains(needed), "{footer}");
    }
}

#[test]
fn refuses_to_run_set_user_id() {
    if !util::require(
        is_root() && Path::new("/usr/bin/setpriv").exists(),
        "needs root and setpriv to run a set-user-ID copy as another user",
    ) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = util::TempDir::new("setuid");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.0.join("tsnap");
    std::fs::copy(util::binary(), &bin).unwrap();
    for mode in [0o4755, 0o2755] {
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = util::finish(
            std::process::Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(&bin)
                .args(["-a", "-i", "0"])
                .output()
                .unwrap(),
        );
        assert_eq!(out.status, 1, "mode {mode:o}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr
                .contains("refusing to run set-user-ID or set-group-ID"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn hidepid_mount_hides_other_users_and_says_so() {
    if !util::require(
        is_root() && Path::new("/usr/bin/setpriv").exists(),
        "needs root to mount a procfs and setpriv to switch users",
    ) {
        return;
    }
    let dir = util::TempDir::new("hidepid");
    let mnt = dir.0.join("proc");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "proc",
            "-o",
            "hidepid=2",
            "proc",
            mnt.to_str().unwrap(),
        ])
        .status();
    if !util::require(
        mounted.is_ok_and(|s| s.success()),
        "cannot mount a procfs here",
    ) {
        return;
    }
    let mut theirs = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sleep",
            "30",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let proc_dir = mnt.to_str().unwrap().to_string();
    let listed = run_as_nobody(&[
        "--proc", &proc_dir, "-a", "-i", "0", "-o", "pid,comm", "-f", "csv",
    ]);
    let mine = run_as_nobody(&["--proc", &proc_dir, "-p", &std::process::id().to_string()]);
    let _ = theirs.kill();
    let _ = theirs.wait();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    let (listed, mine) = (listed.unwrap().ok(), mine.unwrap());
    let pids: Vec<&str> = listed
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert!(
        pids.contains(&theirs.id().to_string().as_str()),
        "{}",
        listed.stdout
    );
    assert!(
        !pids.contains(&std::process::id().to_string().as_str()),
        "{}",
        listed.stdout
    );
    assert!(!pids.contains(&"1"), "{}", listed.stdout);
    assert!(
        listed.stderr.contains("is mounted with hidepid=invisible"),
        "{}",
        listed.stderr
    );
    assert_eq!(mine.status, 1);
    assert!(mine.stderr.contains("no such process"), "{}", mine.stderr);
    assert!(
        mine.stderr.contains("processes of other users are hidden"),
        "{}",
        mine.stderr
    );
}
