//! A node's capture: the time, host, container and pod every watch row and saved line
//! carries, and hourly files that cannot fill a disk (`--keep-hours`, `--max-mb`).

use crate::support::containers::workload;
use crate::support::kubelet::{CONTAINER, Layout, Node, POD};
use crate::util::{self, Started, TempDir, cpu_turn};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

#[test]
fn watch_rows_and_saved_lines_carry_time_host_container_and_pod() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    let node = Node::new(Layout::ALL[0]);
    let dir = TempDir::new("identity");
    let save = dir.0.join("saved.jsonl");
    let save = save.to_str().unwrap();
    let watch = ["watch", "-a", "-i", "0.1", "-d", "0.25", "-o", "tid,comm"];
    let json = node
        .run(
            &[
                &watch[..],
                &["-f", "json", "--host", "node-7", "--save", save],
            ]
            .concat(),
        )
        .ok();
    let rows = json.json();
    assert_eq!(
        rows.len(),
        8,
        "two snapshots of four threads:\n{}",
        json.stdout
    );
    for line in json.stdout.lines() {
        let at = |key: &str| line.find(&format!("\"{key}\":")).unwrap();
        let keys = ["type", "time", "host", "container", "pod", "tid", "comm"].map(at);
        assert!(keys.is_sorted() && keys[0] == 1, "in this order: {line}");
    }
    for row in &rows {
        assert_eq!(row["host"], "node-7");
        assert!(row["time"].as_str().is_some_and(|t| t.len() == 29), "{row}");
        let in_pod = [100, 101].contains(&row["tid"].as_u64().unwrap());
        assert_eq!(row["pod"] == POD, in_pod, "{row}");
    }
    let saved = std::fs::read_to_string(save).unwrap();
    let lines: Vec<Value> = saved
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2 + 8, "a pass line and four rows, twice");
    for line in &lines {
        assert_eq!(line["host"], "node-7", "{line}");
        if line["type"] == "row" && line["tid"] == 101 {
            assert_eq!(
                (&line["pod"], &line["container"]),
                (&POD.into(), &CONTAINER.into())
            );
        }
    }
    // $TSNAP_HOST names the host when --host does not; the table leads with the same four.
    let mut all = node.args();
    all.extend(["watch", "-a", "-i", "0.1", "-d", "0.15", "-o", "tid"].map(String::from));
    let table = util::finish(
        util::tsnap()
            .args(&all)
            .env("TSNAP_HOST", "from-env")
            .output()
            .unwrap(),
    );
    let table = table.ok();
    // Under the tally of the snapshot's threads.
    let mut lines = table.stdout.lines();
    assert!(
        lines.next().unwrap().starts_with("threads: "),
        "{}",
        table.stdout
    );
    let header = lines.next().unwrap().split_whitespace().collect::<Vec<_>>();
    assert_eq!(header, ["time", "host", "container", "pod", "tid"]);
    assert!(table.stdout.contains(" from-env "), "{}", table.stdout);
    let csv = node
        .run(&[&watch[..], &["-f", "csv", "--host", "n"]].concat())
        .ok();
    assert!(csv.stdout.starts_with("time,host,container,pod,tid,comm\n"));
    assert!(
        csv.stdout
            .contains(&format!(",n,{CONTAINER},{POD},101,app\n"))
    );
    assert!(
        csv.stdout.contains(",n,-,-,300,containerd\n"),
        "{}",
        csv.stdout
    );
}

/// The name of tsnap's file for the UTC hour of `secs` ago (tsnap names them in local time:
/// the tests run it with TZ=UTC).
fn hourly_name(ago: u64, extension: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{}", now - ago), "+%Y-%m-%d.%H"])
        .output()
        .unwrap();
    format!(
        "tsnap-{}.{extension}",
        String::from_utf8_lossy(&out.stdout).trim()
    )
}

#[test]
fn keep_hours_deletes_only_its_own_expired_files() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    let dir = TempDir::new("keep");
    let capture = dir.0.join("capture");
    std::fs::create_dir_all(capture.join(hourly_name(5 * 3600, "csv"))).unwrap();
    let outside = dir.0.join("outside.csv");
    std::fs::write(&outside, "not tsnap's\n").unwrap();
    let expired = [
        hourly_name(3 * 3600, "csv"),
        hourly_name(4 * 3600, "jsonl"),
        "tsnap-2020-01-01.00.csv".to_string(),
    ];
    let kept = [
        hourly_name(3600, "csv"),
        hourly_name(3600, "jsonl"),
        // Named like tsnap's, but not: another extension, another pattern.
        "tsnap-2020-01-01.00.csv.bak".to_string(),
        "tsnap-2020-01-01.csv".to_string(),
        "notes-2020-01-01.00.csv".to_string(),
        "TSNAP-2020-01-01.00.csv".to_string(),
    ];
    for name in expired.iter().chain(&kept) {
        std::fs::write(capture.join(name), "old\n").unwrap();
    }
    // A link named like an expired file: not a file of tsnap's, and its target is outside.
    let link = hourly_name(6 * 3600, "csv");
    std::os::unix::fs::symlink(&outside, capture.join(&link)).unwrap();
    let pid = std::process::id().to_string();
    let out = util::finish(
        util::tsnap()
            .args([
                "watch", "-a", "-i", "0.1", "-d", "0.25", "-p", &pid, "-o", "tid",
            ])
            .args([
                "--output-dir",
                capture.to_str().unwrap(),
                "--keep-hours",
                "2",
            ])
            .env("TZ", "UTC")
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stderr, "");
    for name in &expired {
        assert!(!capture.join(name).exists(), "{name} was not deleted");
    }
    for name in &kept {
        assert_eq!(
            std::fs::read_to_string(capture.join(name)).unwrap(),
            "old\n",
            "{name}"
        );
    }
    assert!(capture.join(hourly_name(5 * 3600, "csv")).is_dir());
    assert!(capture.join(&link).is_symlink());
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "not tsnap's\n");
    let written = std::fs::read_to_string(capture.join(hourly_name(0, "csv"))).unwrap();
    assert!(
        written.starts_with("time,host,container,pod,tid\n"),
        "{written}"
    );
}

#[test]
fn max_mb_deletes_the_oldest_hour_first_and_goes_on() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    let Some(bin) = workload() else {
        return;
    };
    let (target, _) = Started::ready(Command::new(bin).args(["20", "0"]));
    let pid = target.pid().to_string();
    let dir = TempDir::new("maxmb");
    // tsnap's files already there count, the oldest deleted first; a foreign file does not.
    let oldest = "tsnap-2020-01-01.00.csv";
    let old = "tsnap-2020-01-01.01.csv";
    std::fs::write(dir.0.join(oldest), vec![b'x'; (1 << 20) - 9000]).unwrap();
    std::fs::write(dir.0.join(old), vec![b'x'; 3000]).unwrap();
    std::fs::write(dir.0.join("other.log"), vec![b'y'; 3 << 20]).unwrap();
    let out = util::finish(
        util::tsnap()
            .args(["watch", "-a", "-i", "0.05", "-d", "2", "-p", &pid])
            .args([
                "-o",
                "tid,comm,state,wchan",
                "--max-mb",
                "1",
                "--output-dir",
            ])
            .arg(&dir.0)
            .env("TZ", "UTC")
            .output()
            .unwrap(),
    );
    drop(target);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // One line for the one deletion needed; the next oldest hour is kept.
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("tsnap: deleted {oldest} ("))
            && out.stderr.contains("to keep tsnap's files in "),
        "{}",
        out.stderr
    );
    assert!(!dir.0.join(oldest).exists());
    assert_eq!(std::fs::metadata(dir.0.join(old)).unwrap().len(), 3000);
    let written = std::fs::read_to_string(dir.0.join(hourly_name(0, "csv"))).unwrap();
    assert_eq!(
        std::fs::metadata(dir.0.join("other.log")).unwrap().len(),
        3 << 20
    );
    // Whole snapshots only, small enough not to be cut: 21 rows each (the 20 readers and the
    // main thread), from the start of the run to its end.
    assert!(written.ends_with('\n'));
    let mut per_time: BTreeMap<&str, usize> = BTreeMap::new();
    for row in written.lines().skip(1) {
        *per_time.entry(row.split(',').next().unwrap()).or_default() += 1;
    }
    assert!(per_time.len() >= 20, "{written}");
    assert!(per_time.values().all(|&n| n == 21), "{per_time:?}");
}
