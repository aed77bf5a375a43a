//! Which threads matter: the tally of states against /proc, `--top` and `--sort`, and
//! `dump --collapse`, on live threads.

use crate::util::{SelfProcess, foreign_arch, own_pid, run};
use crate::workload::{Kind, Workload};
use std::collections::BTreeMap;
use std::io::Read;

/// A process of its own whose threads stay as they are (this test binary's come and go):
/// threads in several states for the tally, or ten readers of pipes for the collapse test.
#[test]
#[ignore = "the workload process of the tally and collapse tests"]
fn triage_workload_process() {
    let kinds: &[Kind] = match std::env::var("TSNAP_TRIAGE_WORKLOAD").as_deref() {
        Ok("tally") => &[
            Kind::Spinner,
            Kind::VforkParent,
            Kind::PipeReader,
            Kind::Sleeper,
            Kind::FutexWaiter,
        ],
        Ok("collapse") => &[Kind::PipeReader; 10],
        _ => return,
    };
    let w = Workload::start("coll", kinds);
    let tids: Vec<String> = w.all.iter().map(|(_, t)| t.to_string()).collect();
    println!("ready {}", tids.join(" "));
    let _ = std::io::stdin().read(&mut [0u8; 1]);
}

/// The states of process `pid`'s threads, counted from their `stat` files.
fn states(pid: u32) -> BTreeMap<char, u64> {
    let mut counts = BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let Ok(stat) = std::fs::read_to_string(task.unwrap().path().join("stat")) else {
            continue;
        };
        let state = stat[stat.rfind(')').unwrap() + 2..].chars().next().unwrap();
        *counts.entry(state).or_insert(0) += 1;
    }
    counts
}

/// `threads: N (R a, D b, S c, ...)` from counts.
fn tally_text(counts: &BTreeMap<char, u64>) -> String {
    let order = |c: &char| match c {
        'R' => 0,
        'D' => 1,
        'S' => 2,
        _ => 3,
    };
    let mut states: Vec<(&char, &u64)> = counts.iter().collect();
    states.sort_by_key(|(c, _)| (order(c), **c));
    let parts: Vec<String> = states.iter().map(|(c, n)| format!("{c} {n}")).collect();
    let total: u64 = counts.values().sum();
    format!("threads: {total} ({})", parts.join(", "))
}

#[test]
fn the_tally_of_states_is_what_proc_says() {
    let child = SelfProcess::start(
        "triage::triage_workload_process",
        "TSNAP_TRIAGE_WORKLOAD",
        "tally",
    );
    let pid = child.pid();
    let p = pid.to_string();
    // States may change between tsnap's read and the test's: take the two that agree.
    let mut agreed = None;
    for _ in 0..3 {
        let before = states(pid);
        let table = run(&["-p", &p, "-i", "0"]).ok();
        let json = run(&["-p", &p, "-i", "0", "-f", "json"]).ok();
        let csv = run(&["-p", &p, "-i", "0", "-f", "csv"]).ok();
        let dump = run(&["dump", "-p", &p, "-i", "0"]).ok();
        if states(pid) == before {
            agreed = Some((before, table, json, csv, dump));
            break;
        }
    }
    drop(child);
    let (truth, table, json, csv, dump) = agreed.expect("the states stayed still");
    assert_eq!(
        (truth.get(&'R'), truth.get(&'D')),
        (Some(&1), Some(&1)),
        "{truth:?}"
    );
    let want = tally_text(&truth);
    let mut lines = table
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("threads: "));
    assert_eq!(
        lines.next(),
        Some(want.as_str()),
        "the line above the table"
    );
    assert!(lines.next().unwrap().contains("tid"), "{}", table.stdout);
    assert!(csv.stderr.contains(&format!("{want}\n")), "{}", csv.stderr);
    assert!(!csv.stdout.contains("threads:"));
    assert!(
        dump.stdout.contains(&format!("\n{want}\n")),
        "{}",
        dump.stdout
    );
    let summary = json
        .json()
        .into_iter()
        .find(|l| l["type"] == "summary")
        .expect("a summary line");
    assert_eq!(summary["threads"].as_u64(), Some(truth.values().sum()));
    for (state, n) in &truth {
        assert_eq!(
            summary["states"][state.to_string()].as_u64(),
            Some(*n),
            "{summary}"
        );
    }
    let first_row = json
        .json()
        .iter()
        .position(|l| l["type"] == "thread")
        .unwrap();
    let summary_at = json
        .json()
        .iter()
        .position(|l| l["type"] == "summary")
        .unwrap();
    assert!(summary_at < first_row, "the summary comes before the rows");
}

#[test]
fn top_picks_the_spinner_and_sort_orders() {
    let w = Workload::start("top", &[Kind::Spinner, Kind::Sleeper, Kind::PipeReader]);
    let out = run(&["-a", "-p", &own_pid(), "--top", "1", "-f", "json"]).ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0]["tid"].as_u64(),
        Some(w.tid(Kind::Spinner)),
        "{rows:?}"
    );
    let dump = run(&["dump", "-p", &own_pid(), "--top", "1"]).ok();
    let entries = dump.stdout.matches(" tid=").count();
    assert_eq!(entries, 1, "{}", dump.stdout);
    assert!(
        dump.stdout
            .contains(&format!("\"top-spin\" tid={} ", w.tid(Kind::Spinner)))
    );
    assert!(
        dump.stdout.contains("threads: "),
        "the header counts every thread"
    );

    let sorted = run(&[
        "-a",
        "-p",
        &own_pid(),
        "--sort",
        "comm",
        "-o",
        "tid,comm",
        "-f",
        "csv",
    ])
    .ok();
    let names: Vec<&str> = sorted
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    let mut want = names.clone();
    want.sort();
    assert_eq!(names, want);
    let by_minflt = run(&[
        "-a",
        "-p",
        &own_pid(),
        "--sort",
        "minflt",
        "--top",
        "3",
        "-o",
        "minflt",
        "-f",
        "csv",
    ])
    .ok();
    let faults: Vec<u64> = by_minflt
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(faults.len(), 3);
    assert!(faults.windows(2).all(|p| p[0] >= p[1]), "{faults:?}");
}

#[test]
fn collapse_puts_alike_pipe_readers_in_one_group() {
    let child = SelfProcess::start(
        "triage::triage_workload_process",
        "TSNAP_TRIAGE_WORKLOAD",
        "collapse",
    );
    let mut readers: Vec<u64> = child.ready.iter().map(|t| t.parse().unwrap()).collect();
    readers.sort_unstable();
    assert_eq!(readers.len(), 10);
    let pid = child.pid().to_string();
    let out = run(&["dump", "-p", &pid, "--collapse", "-f", "json", "-i", "0"]).ok();
    let text = run(&["dump", "-p", &pid, "--collapse", "-i", "0"]).ok();
    let plain = run(&["dump", "-p", &pid, "-i", "0"]).ok();
    drop(child);
    let lines = out.json();
    let groups: Vec<_> = lines.iter().filter(|l| l["type"] == "group").collect();
    let first = &groups[0];
    let tids: Vec<u64> = first["tids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    assert_eq!(tids, readers, "the largest group, first: {first}");
    assert_eq!(first["threads"].as_u64(), Some(10));
    assert_eq!(first["names"].as_array().unwrap().len(), 10);
    assert_eq!(first["state"], "S");
    if !foreign_arch() {
        let shared = (&first["syscall"], &first["filename"]);
        assert_eq!(shared, (&"read".into(), &"pipe:[*]".into()));
    }
    // Every thread once, in groups by size.
    let sizes: Vec<u64> = groups
        .iter()
        .map(|g| g["threads"].as_u64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|p| p[0] >= p[1]), "{sizes:?}");
    let process = lines.iter().find(|l| l["type"] == "process").unwrap();
    assert_eq!(
        sizes.iter().sum::<u64>(),
        process["threads"].as_u64().unwrap()
    );
    assert!(lines.iter().all(|l| l["type"] != "thread"));

    let names = ["\"coll-pipe\""; 8].join(", ");
    let head = format!("\n\n10 threads: {names} and 2 more\n    state: S (sleeping)\n");
    assert!(text.stdout.contains(&head), "{}", text.stdout);
    if !foreign_arch() {
        let shared = format!("{head}    syscall: read\n    file: pipe:[*]\n    wchan: ");
        assert!(text.stdout.contains(&shared), "{}", text.stdout);
    }
    assert_eq!(text.stdout.matches("\"coll-pipe\" tid=").count(), 0);
    // Without --collapse, each its own entry.
    assert_eq!(plain.stdout.matches("\"coll-pipe\" tid=").count(), 10);
}
