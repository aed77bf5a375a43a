//! The queries of scripts/sql/ run under DuckDB and under ClickHouse's engine (chdb) over a
//! real capture in CSV and JSON lines of real containers. Without the Python packages (duckdb,
//! chdb) a test says what is missing.

use crate::support::containers::Container;
use crate::support::cpu;
use crate::support::kubelet::{Layout, Node, OTHER_POD, POD};
use crate::util::{self, Started, TempDir, cpu_turn, python_has, tids};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Runs every query of scripts/sql/ over `capture` under `engine` (tests/queries/queries.py).
fn queries(engine: &str, capture: &Path, params: &Value) -> BTreeMap<String, Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/queries/queries.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(engine)
        .arg(capture)
        .arg(params.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs watch with `args` in the background, writing into `dir`.
fn watch_into(dir: &Path, host: &str, args: &[&str]) -> Child {
    util::tsnap()
        .args(args)
        .args([
            "-a",
            "-i",
            "0.2",
            "-G",
            "throttled",
            "--host",
            host,
            "--output-dir",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_capture_in_csv_and_json_lines_answers_every_query() {
    if !python_has("duckdb, chdb") {
        return;
    }
    let _turn = cpu_turn();
    // A: the spinner (the hottest thread) and six pipe readers (the top wait, with its main
    // thread reading its standard input, a pipe too); B: sleepers, and a spinner throttled
    // by a tenth of a CPU.
    let Some(a) = Container::start("capture-a", &["6", "2", "spin"], &[]) else {
        return;
    };
    let Some(b) = Container::start("capture-b", &["1", "3", "spin"], &["--cpus", "0.1"]) else {
        return;
    };
    let node = Node::new(Layout::ALL[0]);
    let dir = TempDir::new("capture");
    let capture = dir.0.join("capture");
    let both = format!("{},{}", &a.id[..12], &b.id[..12]);
    let containers = ["watch", "-d", "3", "--container", &both];
    let mut node_args = node.args();
    node_args.extend(["watch", "-d", "0.5"].map(String::from));
    let node_args: Vec<&str> = node_args.iter().map(String::as_str).collect();
    // Each node writes its own directory, as nodes do (a watch per directory: two writing one
    // hour's file at once would each give it a header); the queries read them all.
    let (into_a, into_b) = (capture.join("node-a"), capture.join("node-b"));
    let spinner = *a.named("spinner").first().unwrap();
    let window = cpu::Window::open(a.pid, spinner);
    let mut writers = vec![
        watch_into(&into_a, "node-a", &containers),
        watch_into(
            &into_a,
            "node-a",
            &[&containers[..], &["-f", "json"]].concat(),
        ),
        watch_into(&into_b, "node-b", &node_args),
        watch_into(
            &into_b,
            "node-b",
            &[&node_args[..], &["-f", "json"]].concat(),
        ),
    ];
    for w in &mut writers {
        assert!(w.wait().unwrap().success());
    }
    let got = window.close();
    // Every row of both formats carries time, host, container and pod.
    let mut rows = 0;
    let files = [&into_a, &into_b].map(|d| std::fs::read_dir(d).unwrap());
    for entry in files.into_iter().flatten() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().filter(|l| !l.starts_with("time,")) {
            rows += 1;
            let (host, container, pod) = match line.starts_with('{') {
                true => {
                    let row: Value = serde_json::from_str(line).unwrap();
                    let text = |k: &str| row[k].as_str().unwrap_or("-").to_string();
                    (text("host"), text("container"), text("pod"))
                }
                false => {
                    let f: Vec<&str> = line.split(',').collect();
                    (f[1].to_string(), f[2].to_string(), f[3].to_string())
                }
            };
            match host.as_str() {
                "node-a" => assert!([&a.id, &b.id].contains(&&container) && pod == "-", "{line}"),
                "node-b" => assert!(pod == POD || pod == OTHER_POD || pod == "-", "{line}"),
                _ => panic!("{line}"),
            }
        }
    }
    assert!((200..2000).contains(&rows), "{rows} rows");

    let pipe_reader = *a.named("pipe-reader").first().unwrap();
    let wchan =
        std::fs::read_to_string(format!("/proc/{}/task/{pipe_reader}/wchan", a.pid)).unwrap();
    let sleeper = *b.named("sleeper").first().unwrap();
    let sleep_wchan =
        std::fs::read_to_string(format!("/proc/{}/task/{sleeper}/wchan", b.pid)).unwrap();
    let params = serde_json::json!({
        "container": &a.id[..12], "pod": &POD[..8], "moment": "2100-01-01 00:00:00+00:00",
        "snapshots": 5,
    });
    let mut stuck_sets = Vec::new();
    for engine in ["duckdb-csv", "duckdb-jsonl", "clickhouse"] {
        let r = queries(engine, &capture, &params);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let number = |v: &Value| {
            v.as_f64()
                .or_else(|| v.as_str()?.parse().ok())
                .unwrap_or(-1.0)
        };
        // The container filter returns only its rows; its top wait each minute is the pipe
        // readers' read, about seven threads at any moment.
        let waits = &r["top_waits"];
        assert!(!waits.is_empty(), "{engine}");
        for w in waits {
            assert_eq!(w["container"], a.id.as_str(), "{engine}: {w}");
            if w["rank"] == 1 {
                assert_eq!(
                    (text(&w["syscall"]), text(&w["wchan"])),
                    ("read".into(), wchan.clone()),
                    "{engine}: {w}"
                );
                assert!(number(&w["avg_threads"]) >= 6.0, "{engine}: {w}");
            }
        }
        // The spinner is the hottest thread; B's, throttled, is far behind. Its average over
        // the snapshots of node A's 3 s is what the kernel gave it around them.
        let hottest = &r["hottest"];
        assert_eq!(
            hottest[0]["tid"].as_u64(),
            Some(spinner),
            "{engine}: {hottest:?}"
        );
        got.assert_inner(
            number(&hottest[0]["avg_pcpu"]),
            3.0,
            &format!("{engine}: {:?}", hottest[0]),
        );
        // Stuck: A's pipe readers and B's sleepers, never a spinner.
        let stuck: BTreeSet<u64> = r["stuck"]
            .iter()
            .filter_map(|s| s["tid"].as_u64())
            .collect();
        assert!(
            a.named("pipe-reader").is_subset(&stuck),
            "{engine}: {stuck:?}"
        );
        assert!(b.named("sleeper").is_subset(&stuck), "{engine}: {stuck:?}");
        assert!(
            stuck.is_disjoint(
                &a.named("spinner")
                    .union(&b.named("spinner"))
                    .copied()
                    .collect()
            )
        );
        assert!(r["stuck"].iter().any(|s| text(&s["wchan"]) == sleep_wchan));
        stuck_sets.push(stuck);
        // Throttled: B, and only B.
        let throttled = &r["throttled"];
        assert!(!throttled.is_empty(), "{engine}");
        for t in throttled {
            assert_eq!(t["container"], b.id.as_str(), "{engine}: {t}");
            assert!(number(&t["max_throttled"]) > 50.0, "{engine}: {t}");
        }
        // The pod's threads in its last snapshot.
        let pod = &r["pod_threads"];
        assert_eq!(tids(pod), BTreeSet::from([100, 101]), "{engine}: {pod:?}");
        assert!(
            pod.iter().all(|p| p["pod"] == POD && p["host"] == "node-b"),
            "{engine}"
        );
    }
    assert!(
        stuck_sets.windows(2).all(|w| w[0] == w[1]),
        "the engines agree"
    );
}

/// A process whose main thread and one more sleep and a third spins, named by argv[1..4]
/// (python3 names its threads through /proc/thread-self/comm); says `ready` once they are.
const NAMED_THREADS: &str = r#"
import sys, threading, time
def name(n):
    with open('/proc/thread-self/comm', 'w') as f:
        f.write(n)
def sleeper(n, ready):
    name(n)
    ready.release()
    time.sleep(120)
def spinner(n, ready):
    name(n)
    ready.release()
    while True:
        pass
ready = threading.Semaphore(0)
for body, n in ((sleeper, sys.argv[2]), (spinner, sys.argv[3])):
    threading.Thread(target=body, args=(n, ready), daemon=True).start()
ready.acquire()
ready.acquire()
name(sys.argv[1])
print('ready', flush=True)
time.sleep(120)
"#;

#[test]
fn numeric_and_date_like_names_stay_text_through_every_query() {
    if !python_has("duckdb, chdb") {
        return;
    }
    let _turn = cpu_turn();
    // Each node's hour files hold only these names, so that nothing but the views' declared
    // types keeps DuckDB from reading comm as a number, a date or a time.
    let nodes = [
        ("node-n", ["31337", "4242", "17"]),
        ("node-d", ["2026-12-07", "2026-12-08", "12:30:00"]),
    ];
    let dir = TempDir::new("names");
    let params = serde_json::json!({
        "container": "", "pod": "none", "moment": "2100-01-01 00:00:00+00:00", "snapshots": 3,
    });
    for (host, names) in nodes {
        let (child, line) = Started::ready(
            Command::new("python3")
                .args(["-c", NAMED_THREADS])
                .args(names),
        );
        assert_eq!(line, "ready\n");
        let pid = child.pid().to_string();
        // A capture of its own for each node: one node's hours are the whole capture.
        let capture = dir.0.join(host);
        let into = capture.join(host);
        let args = ["watch", "-d", "2", "-p", &pid];
        let mut writers = [
            watch_into(&into, host, &args),
            watch_into(&into, host, &[&args[..], &["-f", "json"]].concat()),
        ];
        for w in &mut writers {
            assert!(w.wait().unwrap().success());
        }
        drop(child);
        for engine in ["duckdb-csv", "duckdb-jsonl", "clickhouse"] {
            let r = queries(engine, &capture, &params);
            // Every column declared: comm is text, whatever the rows hold.
            let columns = &r["columns"][0];
            assert!(
                ["VARCHAR", "LowCardinality(String)"].contains(&columns["comm"].as_str().unwrap()),
                "{engine}: {columns}"
            );
            if engine != "clickhouse" {
                assert_eq!(columns["time"], "TIMESTAMP WITH TIME ZONE", "{engine}");
                assert_eq!(columns["wchan"], "VARCHAR", "{engine}");
            }
            for query in ["top_waits", "pod_threads", "stuck", "hottest", "throttled"] {
                assert!(r.contains_key(query), "{engine}: {query} gave nothing");
                for row in &r[query] {
                    if let Some(comm) = row.get("comm") {
                        assert!(
                            comm.as_str().is_some_and(|c| names.contains(&c)),
                            "{engine}: {query}: {row}"
                        );
                    }
                }
            }
            assert!(!r["top_waits"].is_empty(), "{engine}");
            let stuck: BTreeSet<&str> = r["stuck"]
                .iter()
                .filter_map(|s| s["comm"].as_str())
                .collect();
            assert!(
                stuck.contains(names[0]) && stuck.contains(names[1]),
                "{engine}: {stuck:?}"
            );
            // The spinner is the hottest thread.
            assert_eq!(
                r["hottest"][0]["comm"].as_str(),
                Some(names[2]),
                "{engine}: {:?}",
                r["hottest"]
            );
        }
    }
}
