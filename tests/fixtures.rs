//! Fixture /proc trees captured from real machines (scripts/capture-fixture), read through
//! `--proc` (and `--sys` for trees with `proc/` and `sys/` parts), against expected output
//! checked in next to them.
//!
//! `TSNAP_BLESS=1 cargo test fixtures` rewrites the expected files from what tsnap prints now;
//! read the diff before committing it.

use crate::util::{assert_same, foreign_arch, run_in};
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
/// is the capturing machine's.
pub fn check(name: &str, case: &str, args: &[&str], syscalls: bool) {
    if syscalls && foreign_arch() {
        eprintln!("{name}/{case}: skipped, syscall names of another architecture");
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
}
