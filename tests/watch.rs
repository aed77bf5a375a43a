//! watch: timestamped snapshots in every format, hourly files in an output directory, and
//! SIGTERM ending it with complete lines.

use crate::util::{TempDir, own_pid, run, tsnap};
use crate::workload::{Kind, Workload};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn watch_takes_timestamped_snapshots() {
    let _w = Workload::start("watch", &[Kind::Spinner]);
    let out = run(&[
        "watch",
        "-i",
        "0.2",
        "-d",
        "1",
        "-a",
        "-p",
        &own_pid(),
        "-f",
        "json",
        "-o",
        "tid,comm,state",
    ])
    .ok();
    let rows = out.json();
    let mut times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
    times.dedup();
    assert!(
        (4..=5).contains(&times.len()),
        "{} snapshots: {times:?}",
        times.len()
    );
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    // 2026-11-25T22:07:44.172+00:00
    let t = times[0].as_bytes();
    assert_eq!((t.len(), t[10], t[19]), (29, b'T', b'.'), "{}", times[0]);
    assert!(
        matches!(t[23], b'+' | b'-') && t[26] == b':',
        "{}",
        times[0]
    );

    // Two snapshots of this process's thread ids and names, in `format`.
    let pid = own_pid();
    let two = |format: &str| {
        let args = ["-i", "0.2", "-d", "0.4", "-p", &pid, "-o", "tid,comm"];
        run(&[&["watch", "-f", format][..], &args].concat()).ok()
    };
    let table = two("table");
    assert_eq!(
        table.stdout.matches("time ").count(),
        2,
        "a header per snapshot:\n{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("\n\nthreads: "),
        "a blank line between snapshots, each headed by its tally"
    );
    let csv = two("csv");
    assert_eq!(
        csv.stdout
            .matches("time,host,container,pod,tid,comm")
            .count(),
        1,
        "{}",
        csv.stdout
    );
}

#[test]
fn watch_output_dir_appends_hourly_files() {
    let _w = Workload::start("hourly", &[Kind::Spinner]);
    let dir = TempDir::new("hourly");
    let out_dir = dir.0.join("capture");
    let args = [
        "watch",
        "-i",
        "0.2",
        "-d",
        "0.4",
        "-p",
        &own_pid(),
        "-o",
        "tid,comm",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ];
    run(&args).ok();
    run(&args).ok();
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty() && files.len() <= 2, "{files:?}");
    let mut rows = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        // tsnap-2026-11-25.22.csv
        assert!(
            name.starts_with("tsnap-") && name.ends_with(".csv") && name.len() == 23,
            "{name}"
        );
        let text = std::fs::read_to_string(f).unwrap();
        assert_eq!(
            text.matches("time,host,container,pod,tid,comm\n").count(),
            1,
            "one header: {text}"
        );
        assert!(text.starts_with("time,host,container,pod,tid,comm\n"));
        rows += text.lines().filter(|l| l.contains("hourly-spin")).count();
    }
    assert_eq!(rows, 4, "two snapshots a run, appended");
}

#[test]
fn sigterm_ends_watch_with_complete_lines() {
    let _w = Workload::start("term", &[Kind::Spinner]);
    let child = tsnap()
        .args(["watch", "-i", "0.2", "-a", "-p", &own_pid(), "-f", "json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    // SAFETY: kill sends a signal to the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = crate::util::finish(child.wait_with_output().unwrap()).ok();
    assert!(out.stdout.ends_with('\n'));
    assert!(out.json().len() >= 3);
}
