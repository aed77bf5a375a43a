//! Fixture /proc trees captured from real machines (scripts/capture-fixture), read through
//! `--proc` (and `--sys` for trees with `proc/` and `sys/` parts), against expected output
//! checked in next to them.
//!
//! `TSNAP_BLESS=1 cargo test fixtures` rewrites the expected files from what tsnap prints now;
//! read the diff before committing it.

use crate::util::{assert_same, run_in, tsnap_arch};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs tsnap on fixture `name` with `args` and compares stdout and stderr with
/// `expected/<case>.txt`. The dump's first line (the time now) is left out. A fixture with
/// `proc/` and `sys/` parts is read with `--proc proc --sys sys` from its directory, so that
/// paths in the output do not depend on where the repository is.
/// `syscalls`: the output names syscalls, so it is checked only when tsnap's syscall table
/// is the one of the fixture's architecture (its name says which).
pub fn check(name: &str, case: &str, args: &[&str], syscalls: bool) {
    let arch = if name.contains("aarch64") {
        "aarch64"
    } else {
        "x86_64"
    };
    if !crate::util::applies(
        !syscalls || tsnap_arch() == arch,
        &format!("{name}/{case}: syscall numbers of {arch}"),
    ) {
        return;
    }
    let dir = fixture(name);
    let mut full = match dir.join("proc").is_dir() {
        true => vec!["--proc", "proc", "--sys", "sys"],
        false => vec!["--proc", "."],
    };
    full.extend_from_slice(args);
    let out = run_in(&dir, &full);
    let mut stdout = out.stdout.clone();
    if args.first() == Some(&"dump") && !args.contains(&"json") {
        stdout = stdout
            .split("\n\n")
            .map(|block| match block.split_once('\n') {
                Some((first, rest)) if first.starts_with(['1', '2']) && first.len() == 26 => {
                    format!("TIME\n{rest}")
                }
                _ => block.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    if args.first() == Some(&"dump") && args.contains(&"json") {
        stdout = stdout
            .lines()
            .map(|l| match l.split_once(r#""time":""#) {
                Some((before, after)) => {
                    let rest = &after[after.find('"').unwrap()..];
                    format!("{before}\"time\":\"TIME{rest}\n")
                }
                None => format!("{l}\n"),
            })
            .collect();
    }
    let actual = format!(
        "status {}\n--- stdout\n{stdout}--- stderr\n{}",
        out.status, out.stderr
    );
    let expected_path = dir.join("expected").join(format!("{case}.txt"));
    if std::env::var_os("TSNAP_BLESS").is_some() {
        std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
        std::fs::write(&expected_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
    assert_same(&expected, &actual, &format!("{name}/{case}"));
}

const JVM: &str = "linux-6.18-x86_64-jvm";
const JVM_PID: &str = "8896";

#[test]
fn jvm_and_kernel_threads() {
    check(JVM, "default", &["-i", "0"], true);
    check(JVM, "all", &["-a", "-i", "0"], true);
    check(JVM, "all-json", &["-a", "-i", "0", "-f", "json"], true);
    check(
        JVM,
        "all-csv-more-columns",
        &[
            "-a",
            "-i",
            "0",
            "-f",
            "csv",
            "-o",
            "pid,tid,nid,ppid,state,statedesc,comm,pcomm,cmdline,cputime,prio,nice,psr,nlwp,wchan,syscall,filename,kstack",
        ],
        true,
    );
    check(
        JVM,
        "by-comm",
        &["-C", "java", "-a", "-i", "0", "-o", "tid,state,comm,wchan"],
        false,
    );
    check(
        JVM,
        "kernel-threads-recursive",
        &[
            "-p",
            "2",
            "-r",
            "-a",
            "-i",
            "0",
            "-o",
            "pid,ppid,comm,state,wchan,kstack",
        ],
        false,
    );
    check(JVM, "dump", &["dump", "-p", JVM_PID, "-i", "0"], true);
    check(
        JVM,
        "dump-json",
        &["dump", "-C", "java", "-i", "0", "-f", "json"],
        true,
    );
    check(
        JVM,
        "window",
        &["-p", JVM_PID, "-i", "0.1", "-o", "tid,comm,pcpu"],
        false,
    );
    // The same window with a unit: the same output.
    check(
        JVM,
        "window",
        &["-p", JVM_PID, "-i", "100ms", "-o", "tid,comm,pcpu"],
        false,
    );
}

const CENTOS7: &str = "linux-3.10-x86_64-centos7";

#[test]
fn centos7_addresses_in_stacks_and_short_stat_lines() {
    check(CENTOS7, "default", &["-i", "0"], true);
    check(
        CENTOS7,
        "all-csv",
        &["-a", "-i", "0", "-f", "csv", "-G", "nid,pcomm,statedesc"],
        true,
    );
    check(CENTOS7, "dump", &["dump", "-p", "2710", "-i", "0"], true);
    check(
        CENTOS7,
        "stacks",
        &["-a", "-i", "0", "-o", "pid,comm,state,wchan,kstack"],
        false,
    );
    check(
        CENTOS7,
        "by-name",
        &[
            "-C",
            "ora_lgwr_linprd,kworker/0:1",
            "-i",
            "0",
            "-o",
            "pid,comm,state,psr,nlwp",
        ],
        false,
    );
}

const WCHAN0: &str = "linux-4.14-x86_64-wchan0";

#[test]
fn kernel_4_14_wchan_reads_0_and_stacks_end_in_a_bare_address() {
    check(WCHAN0, "all", &["-a", "-i", "0"], true);
    check(
        WCHAN0,
        "stacks",
        &["-a", "-i", "0", "-o", "tid,comm,state,wchan,kstack"],
        false,
    );
    check(
        WCHAN0,
        "dump-json",
        &["dump", "-p", "3100", "-i", "0", "-f", "json"],
        true,
    );
}

const AARCH64: &str = "linux-6.1-aarch64";

#[test]
fn aarch64_syscall_numbers_and_stacks() {
    check(AARCH64, "all", &["-a", "-i", "0"], true);
    check(AARCH64, "dump", &["dump", "-C", "envoy", "-i", "0"], true);
    check(
        AARCH64,
        "stacks",
        &["-a", "-i", "0", "-o", "tid,comm,state,wchan,kstack"],
        false,
    );
}

const HIDEPID: &str = "linux-6.18-x86_64-hidepid-nobody";

#[test]
fn hidepid_mount_seen_by_an_unprivileged_user() {
    check(HIDEPID, "all", &["-a", "-i", "0"], true);
    check(HIDEPID, "others-hidden", &["-p", "1", "-i", "0"], false);
    check(
        HIDEPID,
        "by-name",
        &["-C", "wl-nobody", "-i", "0", "-o", "pid,tid,state,comm"],
        false,
    );
}
