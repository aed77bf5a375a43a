//! Java over time: `sample --java` and `watch --java` against a real JVM
//! (tests/java/HotMethod.java: a thread spinning in HotMethod.burn, five threads BLOCKED on a
//! monitor another holds), its pauses read from its own safepoint log.

use crate::util::{TempDir, cpu_turn, foreign_arch, require, run};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::MutexGuard;

/// A running HotMethod JVM logging its safepoints; killed when dropped.
struct Jvm {
    child: Child,
    dir: TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Jvm {
    /// Compiles and starts the program, or says why it cannot.
    fn start() -> Option<Jvm> {
        let turn = cpu_turn();
        let dir = TempDir::new("java-sample");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/HotMethod.java");
        let compiled = Command::new("javac")
            .arg("-d")
            .arg(&dir.0)
            .arg(&source)
            .status();
        if !require(
            compiled.is_ok() && !foreign_arch(),
            "needs javac and java (JDK 17) on this architecture",
        ) {
            return None;
        }
        assert!(compiled.unwrap().success(), "javac failed");
        let log = format!(
            "-Xlog:safepoint:file={}",
            dir.0.join("safepoint.log").display()
        );
        let mut child = Command::new("java")
            .arg(log)
            .arg("-cp")
            .arg(&dir.0)
            .arg("HotMethod")
            .current_dir(&dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start java");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"));
        // Let the blocked threads reach the monitor, and the hot method be compiled.
        std::thread::sleep(std::time::Duration::from_millis(500));
        Some(Jvm {
            child,
            dir,
            _turn: turn,
        })
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// The thread dumps in the JVM's safepoint log (`PrintThreads` on JDK 17, `ThreadDump`
    /// since), and the JVM's time stopped for them in ns: theirs and their `PrintJNI` and
    /// `FindDeadlocks` companions', and the first dump's share of that time.
    fn dump_pauses(&self) -> (usize, u64, u64) {
        let log = std::fs::read_to_string(self.file("safepoint.log")).unwrap_or_default();
        let (mut dumps, mut ns, mut first) = (0, 0, 0);
        for line in log.lines() {
            let dump = line.contains("\"PrintThreads\"") || line.contains("\"ThreadDump\"");
            let part = dump || line.contains("\"PrintJNI\"") || line.contains("\"FindDeadlocks\"");
            if dump && dumps == 1 {
                first = ns;
            }
            dumps += usize::from(dump);
            if part {
                let total = line.rsplit_once("Total: ").map(|(_, t)| t);
                ns += total
                    .and_then(|t| t.trim_end_matches(" ns").parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("no Total in {line}"));
            }
        }
        (dumps, ns, if dumps == 1 { ns } else { first })
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sample_java_puts_the_hot_method_on_top_within_the_pause_budget() {
    let Some(jvm) = Jvm::start() else { return };
    let page = jvm.file("flame.html");
    let run = run(&[
        "sample",
        "--java",
        "-p",
        &jvm.pid(),
        "-d",
        "10",
        "-f",
        "folded",
        "--flame",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // The picture has the Java frames too.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("HotMethod.burn:") && html.contains("HotMethod.spin:"));
    // The heaviest stack: the hot thread, its innermost Java frame the hot method.
    let heaviest = run.stdout.lines().next().unwrap_or_default();
    let frames: Vec<&str> = heaviest.rsplit_once(' ').unwrap().0.split(';').collect();
    assert_eq!(frames[..2], ["java", "hot-worker"], "{heaviest}");
    let innermost_java = frames.iter().rfind(|f| f.starts_with("HotMethod."));
    assert!(
        innermost_java.is_some_and(|f| f.starts_with("HotMethod.burn:")),
        "{heaviest}"
    );
    assert!(frames.contains(&"java.lang.Thread.run:840") || frames.len() > 4);
    // The dumps tsnap made, by the JVM's own log: at most one a second, stopped at most 1%
    // (the first, which starts the attach listener, may push the next past the 10 s).
    let (dumps, paused_ns, first_ns) = jvm.dump_pauses();
    assert!((1..=11).contains(&dumps), "{dumps} dumps\n{}", run.stderr);
    // The first dump is asked at once: the budget paces those after it.
    assert!(
        paused_ns - first_ns <= 100_000_000,
        "stopped {paused_ns} ns of 10 s in {dumps}: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("java: {dumps} thread dumps of pid {}", jvm.pid())),
        "{}",
        run.stderr
    );
}

#[test]
fn watch_java_rows_carry_frames_with_their_age() {
    let Some(jvm) = Jvm::start() else { return };
    let pid = jvm.pid();
    // A budget of 50%: a dump a second, the least gap there is.
    let run = run(&[
        "watch",
        "--java",
        "--java-budget",
        "50",
        "-p",
        &pid,
        "-i",
        "0.5",
        "-d",
        "4",
        "-a",
        "-f",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows: Vec<Value> = run
        .json()
        .into_iter()
        .filter(|r| r.get("tid").is_some())
        .collect();
    let of = |comm: &str| -> Vec<&Value> { rows.iter().filter(|r| r["comm"] == comm).collect() };
    let hot = of("hot-worker");
    assert!(hot.len() >= 5, "{}", run.stdout);
    let carried: Vec<&&Value> = hot.iter().filter(|r| r["jage"].is_u64()).collect();
    assert!(carried.len() >= 4, "{}", run.stdout);
    for r in &carried {
        // In burn, or in the loop of spin that calls it, as the dump caught it.
        let top = r["jframes"].as_str().unwrap();
        assert!(
            top.starts_with("HotMethod.burn:") || top.starts_with("HotMethod.spin:"),
            "{r}"
        );
        assert_eq!(r["jstate"], "RUNNABLE");
        // No older than the gap between dumps (a second, or twice a slow first dump).
        assert!(r["jage"].as_u64().unwrap() < 2_500, "{r}");
    }
    // Carried forward: the same dump seen older in a later snapshot, until the next one.
    let ages: Vec<u64> = carried
        .iter()
        .map(|r| r["jage"].as_u64().unwrap())
        .collect();
    assert!(ages.windows(2).any(|w| w[1] > w[0]), "{ages:?}");
    assert!(ages.windows(2).any(|w| w[1] < w[0]), "{ages:?}");
    let (dumps, _, _) = jvm.dump_pauses();
    assert!((2..=5).contains(&dumps), "{dumps} dumps in 4 s");
    for r in of("blocked-0").iter().filter(|r| r["jage"].is_u64()) {
        assert_eq!(r["jstate"], "BLOCKED (on object monitor)", "{r}");
    }
    // What /proc alone knows has no Java view.
    assert!(rows.iter().any(|r| r["jstate"].is_null()));
}

#[test]
fn report_slices_and_draws_saved_java_frames() {
    let Some(jvm) = Jvm::start() else { return };
    let saved = jvm.file("saved.jsonl");
    let saved = saved.to_str().unwrap();
    let pid = jvm.pid();
    let run1 = run(&[
        "sample", "--java", "-p", &pid, "-d", "3", "-a", "--save", saved, "-f", "json",
    ]);
    assert_eq!(run1.status, 0, "{}", run1.stderr);
    // The monitor the blocked threads wait for, by the Java frames, and the dumps' cost.
    let summary = run1.json().into_iter().find(|l| l["type"] == "summary");
    let summary = summary.expect("a summary line");
    let monitor = summary["java_monitor"].as_str().unwrap_or_default();
    assert!(
        monitor.starts_with("100% of the Java samples of blocked-* (")
            && monitor.contains(" BLOCKED at HotMethod.waitForMonitor:")
            && monitor.ends_with("(a java.lang.Object)"),
        "{summary}"
    );
    assert!(summary["java_dumps"].as_u64().unwrap() >= 1, "{summary}");
    let report = run(&["report", saved, "-G", "jframes", "-f", "json"]);
    assert_eq!(report.status, 0, "{}", report.stderr);
    let groups = report.json();
    let blocked = groups.iter().find(|g| {
        g["jframes"]
            .as_str()
            .is_some_and(|f| f.starts_with("HotMethod.waitForMonitor:"))
    });
    // Five threads in (nearly) every pass of 3 s at 10 Hz (sample --java's rate): the first
    // dump comes early.
    let samples = blocked.map_or(0, |g| g["samples"].as_u64().unwrap());
    assert!(samples >= 5 * 20, "{}", report.stdout);
    let folded = run(&["report", saved, "-f", "folded"]);
    let hot = folded
        .stdout
        .lines()
        .find(|l| l.starts_with("java;hot-worker;"));
    assert!(
        hot.is_some_and(|l| l.contains(";HotMethod.spin:") && l.contains(";HotMethod.burn:")),
        "{}",
        folded.stdout
    );
}

#[test]
fn sample_java_of_a_process_that_is_no_jvm_signals_nothing() {
    let mut sleeper = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("start sleep");
    let pid = sleeper.id().to_string();
    let run = run(&[
        "sample", "--java", "-p", &pid, "-d", "1", "-a", "-f", "json",
    ]);
    // SIGQUIT would have killed it: sleep does not catch it.
    let alive = sleeper.try_wait().unwrap().is_none();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(alive);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not a HotSpot JVM"),
        "{}",
        run.stderr
    );
    let groups: Vec<Value> = run
        .json()
        .into_iter()
        .filter(|l| l["type"] == "group")
        .collect();
    assert!(
        !groups.is_empty()
            && groups
                .iter()
                .all(|g| g["jstate"].is_null() && g["jframes"].is_null())
    );
    let summary = run
        .json()
        .into_iter()
        .find(|l| l["type"] == "summary")
        .unwrap();
    assert_eq!(
        (
            summary["java_dumps"].as_u64(),
            summary["java_monitor"].is_null()
        ),
        (Some(0), true)
    );
}
