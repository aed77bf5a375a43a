//! The command line: each bad input gives the documented status and a clear message.

use crate::util::{TempDir, run, tsnap};
use crate::workload::{Kind, Workload};
use serde_json::Value;
use std::collections::HashSet;
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
        // After a command's name, its own help.
        let help = match args[0] {
            "dump" => "Try 'tsnap help dump'",
            _ => "Try 'tsnap --help'",
        };
        fails(args, 2, help);
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

/// `tsnap columns -f json` holds every column `tsnap columns` lists, in its order, and the
/// JSON type it gives each is that of the values tsnap writes for it (an endpoint an object,
/// a nid a string, a count a number), read from threads doing real work.
#[test]
fn columns_in_json_name_every_column_and_the_type_of_its_values() {
    let table = run(&["columns"]).ok();
    let listed: Vec<&str> = table
        .stdout
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let catalogue = run(&["columns", "-f", "json"]).ok().json();
    let names: Vec<&str> = catalogue
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, listed);
    fails(
        &["columns", "-f", "csv"],
        2,
        "columns writes a table or json, not csv",
    );

    let catalogue = crate::util::proc_columns();
    let names: Vec<&str> = catalogue
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let w = Workload::start("types", &[Kind::PeerReader, Kind::Spinner]);
    let pid = std::process::id().to_string();
    let all = names.join(",");
    let out = run(&["-a", "-p", &pid, "-f", "json", "-i", "0.2", "-o", &all]).ok();
    let rows = out.rows();
    let mut typed = HashSet::new();
    for row in &rows {
        for c in &catalogue {
            let name = c["name"].as_str().unwrap();
            let kind = match &row[name] {
                Value::Null => continue,
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Object(_) => "object",
                other => panic!("{name}: {other}"),
            };
            assert_eq!(c["json"], kind, "{name} in {row}");
            assert_eq!(c["numeric"], kind == "number", "{name}");
            typed.insert(name);
        }
    }
    let reader = rows
        .iter()
        .find(|r| r["tid"] == w.tid(Kind::PeerReader))
        .unwrap_or_else(|| panic!("no reader in {}", out.stdout));
    // Under qemu for another architecture, this kernel's syscall numbers name other calls
    // in tsnap's table, so no fd, and no endpoint, is found.
    assert!(
        reader["endpoint"].is_object() || crate::util::foreign_arch(),
        "{reader}"
    );
    for name in ["pid", "nid", "comm", "pcpu", "cputime", "syscall", "kstack"] {
        assert!(typed.contains(name), "no {name} in {}", out.stdout);
    }
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

#[test]
fn help_command_prints_what_help_options_print() {
    assert_eq!(run(&["help"]).ok().stdout, run(&["--help"]).ok().stdout);
    for command in ["snap", "dump", "sample", "watch", "report", "columns"] {
        let page = run(&["help", command]).ok();
        assert_eq!(page.stdout, run(&[command, "--help"]).ok().stdout);
        assert!(page.stdout.starts_with(&format!("tsnap {command} - ")));
    }
    fails(
        &["help", "smaple"],
        2,
        "unknown command 'smaple'; did you mean 'sample'?",
    );
}

#[test]
fn near_misses_get_the_nearest_valid_name() {
    for (args, message) in [
        (
            &["smaple"][..],
            "unknown command 'smaple'; did you mean 'sample'?",
        ),
        (
            &["--intreval", "1"],
            "invalid option '--intreval'; did you mean '--interval'?",
        ),
        (
            &["dump", "-p", "1", "--jav"],
            "invalid option '--jav'; did you mean '--java'?",
        ),
        (
            &["-o", "pid,wchna"],
            "unknown column 'wchna'; did you mean 'wchan'?",
        ),
        (
            &["sample", "-G", "filname"],
            "unknown column 'filname'; did you mean 'filename'?",
        ),
    ] {
        fails(args, 2, message);
    }
    // Far from every name: no guess.
    let far = run(&["explode"]);
    assert!(!far.stderr.contains("did you mean"), "{}", far.stderr);
}

#[test]
fn durations_take_units_and_a_bare_number_is_seconds() {
    let me = std::process::id().to_string();
    let expected = |duration: &str, hz: &str| {
        let out = run(&[
            "sample", "-p", &me, "-a", "-d", duration, "--hz", hz, "-f", "json",
        ])
        .ok();
        let summary = out.json().into_iter().find(|l| l["type"] == "summary");
        summary.and_then(|s| s["expected"].as_u64())
    };
    assert_eq!(expected("300ms", "10"), Some(3));
    assert_eq!(expected("0.005m", "1000"), Some(300));
    assert_eq!(expected("0.4s", "10"), Some(4));
    assert_eq!(expected("0.2", "10"), Some(2), "a bare number is seconds");
    let snap = run(&["-p", &me, "-a", "-i", "50ms", "-f", "csv", "-o", "tid,pcpu"]).ok();
    assert!(snap.stdout.starts_with("tid,pcpu\n"), "{}", snap.stdout);
    fails(
        &["-i", "5 s"],
        2,
        "'5 s' is not a number of seconds, or a time with units",
    );
    fails(
        &["sample", "-d", "2d"],
        2,
        "'2d' is not a number of seconds",
    );
}

#[test]
fn a_proc_dir_that_is_neither_procfs_nor_a_copy_says_so_in_one_line() {
    let empty = TempDir::new("not-proc");
    std::fs::write(empty.0.join("uptime"), "1.00 1.00\n").unwrap();
    for dir in [empty.0.to_str().unwrap(), "/sys"] {
        let out = run(&["--proc", dir, "-a"]);
        assert_eq!(out.status, 1, "{dir}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            format!(
                "tsnap: {dir} is not a procfs mount and holds no process directories (--proc \
                 takes a mount of procfs, or a copy of one)\n"
            )
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_habits_options_refuse_bad_values_with_where_to_look() {
    fails(
        &["--pod", "shop:1"],
        2,
        "kubectl get pod P -o jsonpath='{.metadata.uid}' prints P's UID",
    );
    fails(
        &["--container", "3f4e"],
        2,
        "crictl ps or docker ps lists them",
    );
    fails(&["--container", "a/b"], 2, "not a container id");
    fails(&["--sort=-pcup"], 2, "did you mean 'pcpu'?");
    fails(&["--sort", "+bogus"], 2, "unknown column 'bogus'");
    fails(&["-u", "no-such-user-at-all"], 2, "id -u NAME");
    fails(&["sample", "-d", "30s1m"], 2, "(500ms, 1m30s, 2h)");
    fails(&["-f", "XML"], 2, "unknown format 'XML'");
    fails(
        &["dump", "-p", "1", "--no-headers"],
        2,
        "--no-headers does not apply to 'dump'",
    );
    let help = run(&["help", "snap"]).ok();
    for option in ["--user USER", "--no-headers", "--sort KEYS", "--pod POD"] {
        assert!(help.stdout.contains(option), "{option}: {}", help.stdout);
    }
}
