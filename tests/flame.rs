//! Pictures of stacks: `-f folded` and `--flame` of sample and report, and `report --diff`,
//! against a process whose threads' stacks are known (tests/flame/stacks.c), read back by
//! real consumers: inferno draws the folded lines, headless Chromium runs the page.

use crate::util::{self, Run, Started, TempDir, build_c, cpu_turn, holds, is_root, run};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A thread name with everything that could break a line or a page (14 bytes: comm keeps 15).
const HOSTILE: &str = "</script>\"';\n&";
/// How it reads as a frame: escaped as a table cell, `;` as `:`.
const HOSTILE_FRAME: &str = "</script>\"':\\n&";

/// The process of tests/flame/stacks.c, killed when dropped.
struct Stacks(Started);

impl Stacks {
    fn start(args: &[&str]) -> Stacks {
        let bin = build_c("tests/flame/stacks.c", "flame-stacks", &[])
            .unwrap_or_else(|e| panic!("gcc: {e}"));
        let (stacks, line) = Started::ready(Command::new(bin).args(args));
        assert_eq!(line, "ready\n");
        Stacks(stacks)
    }

    fn pid(&self) -> String {
        self.0.pid().to_string()
    }

    /// Tells the worker thread to stop spinning and sleep.
    fn switch_worker(&mut self) {
        let stdin = self.0.0.stdin.as_mut().unwrap();
        stdin.write_all(b"s").unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Folded lines: each one's frames and its `counts` counts (one, or base and new).
fn parse(folded: &str, counts: usize) -> Vec<(Vec<&str>, Vec<u64>)> {
    folded
        .lines()
        .map(|line| {
            let mut words: Vec<&str> = line.rsplitn(counts + 1, ' ').collect();
            let stack = words.pop().filter(|s| !s.is_empty());
            let numbers: Option<Vec<u64>> = words.iter().rev().map(|w| w.parse().ok()).collect();
            match (stack, numbers) {
                (Some(stack), Some(n)) if n.len() == counts => (stack.split(';').collect(), n),
                _ => panic!("bad line {line:?} in:\n{folded}"),
            }
        })
        .collect()
}

/// The passes a sample's footer (on stderr) says were taken.
fn passes(out: &Run) -> u64 {
    let line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("passes: "))
        .unwrap_or_else(|| panic!("no passes line in {}", out.stderr));
    line.split(' ').next().unwrap().parse().unwrap()
}

/// A program installed where cargo or apt put them, if it is.
fn tool(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(home.map(|h| h.join("bin")))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Loads `page` in headless Chromium: the DOM after its scripts ran, and the console
/// messages it logged (`None` without Chromium).
fn chromium(page: &Path) -> Option<(String, Vec<String>)> {
    let bin = tool("chromium")?;
    let profile = TempDir::new("chromium");
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium: {out:?}");
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(String::from)
        .collect();
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), console))
}

#[test]
fn folded_stacks_count_every_sample_and_inferno_draws_them() {
    let _turn = cpu_turn();
    let p = Stacks::start(&[HOSTILE]);
    let out = run(&["sample", "-d", "3", "-a", "-p", &p.pid(), "-f", "folded"]).ok();
    let lines = parse(&out.stdout, 1);
    // main, hot-1, hot-2 and the sleeper, in every pass.
    let total: u64 = lines.iter().map(|(_, c)| c[0]).sum();
    assert_eq!(total, 4 * passes(&out), "{}", out.stdout);
    for (frames, _) in &lines {
        assert_eq!(frames[0], "flame-stacks", "{}", out.stdout);
    }
    // Lines come heaviest first: both spinners fall in one pool, hot-*.
    let (heaviest, n) = &lines[0];
    assert_eq!(heaviest[1], "hot-*", "{}", out.stdout);
    assert_eq!(heaviest[2], "[running]", "{}", out.stdout);
    assert!(lines.iter().all(|(_, c)| c[0] <= n[0]));
    let sleeper = lines
        .iter()
        .find(|(f, _)| f[1] == HOSTILE_FRAME)
        .unwrap_or_else(|| panic!("no sleeper in {}", out.stdout));
    assert_eq!(sleeper.0[2], "clock_nanosleep", "{}", out.stdout);
    if is_root() {
        assert!(
            sleeper.0[3..].iter().any(|f| f.contains("nanosleep")),
            "no kernel frames in {:?}",
            sleeper.0
        );
    }

    let Some(inferno) = tool("inferno-flamegraph") else {
        util::require(
            false,
            "inferno-flamegraph is not installed (cargo install inferno)",
        );
        return;
    };
    let mut child = Command::new(inferno)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(out.stdout.as_bytes())
        .unwrap();
    let svg = child.wait_with_output().unwrap();
    assert!(svg.status.success(), "inferno: {svg:?}");
    let svg = String::from_utf8(svg.stdout).unwrap();
    holds(&svg, "<svg");
    holds(&svg, ">hot-*<");
    holds(&svg, ">clock_nanosleep<");
    holds(&svg, "&lt;/script&gt;");
}

#[test]
fn flame_page_runs_in_chromium_with_a_hostile_name() {
    let dir = TempDir::new("flame");
    // The check of the console works: a page that throws is caught.
    let broken = dir.0.join("broken.html");
    std::fs::write(&broken, "<script>throw new Error('x')</script>").unwrap();
    let Some((_, console)) = chromium(&broken) else {
        util::require(
            false,
            "chromium is not installed (apt-get install chromium)",
        );
        return;
    };
    assert!(!console.is_empty(), "a thrown error is not seen");

    let _turn = cpu_turn();
    let p = Stacks::start(&[HOSTILE]);
    let page = dir.0.join("sample.html");
    let page_arg = page.to_str().unwrap();
    run(&[
        "sample",
        "-d",
        "2",
        "-a",
        "-p",
        &p.pid(),
        "--flame",
        page_arg,
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("://"), "the page fetches nothing");
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);

    let (dom, console) = chromium(&page).unwrap();
    assert!(console.is_empty(), "console: {console:?}");
    holds(&dom, ">hot-*</div>");
    holds(&dom, ">[running]</div>");
    // The name is text in a frame, nothing more: no tag it held was made.
    holds(&dom, ">&lt;/script&gt;\"':\\n&amp;</div>");
    assert_eq!(dom.matches("<script").count(), 2, "{dom}");

    // An existing page is never written over.
    let again = run(&["sample", "-d", "1", "-p", &p.pid(), "--flame", page_arg]);
    assert_eq!(again.status, 2, "{}", again.stderr);
    holds(&again.stderr, "exists");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html);
}

#[test]
fn report_diff_shows_what_grew_and_shrank() {
    let _turn = cpu_turn();
    let dir = TempDir::new("flamediff");
    let base = dir.0.join("base.jsonl");
    let new = dir.0.join("new.jsonl");
    let (base_arg, new_arg) = (base.to_str().unwrap(), new.to_str().unwrap());
    let mut p = Stacks::start(&["sleeper", "worker"]);
    let sampled = run(&[
        "sample",
        "-d",
        "1.5",
        "-a",
        "-p",
        &p.pid(),
        "--save",
        base_arg,
        "-f",
        "folded",
    ])
    .ok();
    p.switch_worker();
    run(&[
        "sample",
        "-d",
        "1.5",
        "-a",
        "-p",
        &p.pid(),
        "--save",
        new_arg,
    ])
    .ok();

    // report draws the saved stacks as sample drew them while sampling.
    let reported = run(&["report", base_arg, "-f", "folded"]).ok();
    assert_eq!(reported.stdout, sampled.stdout);

    let diff = run(&["report", "--diff", base_arg, new_arg, "-f", "folded"]).ok();
    let lines = parse(&diff.stdout, 2);
    // In nanosleep, or spinning: on a CPU with no frame of nanosleep (a sleeper that just woke
    // shows as [running] above its nanosleep frames).
    let worker = |sleeping: bool| {
        lines
            .iter()
            .filter(|(f, _)| f[1] == "worker")
            .filter(|(f, _)| f.iter().any(|f| f.contains("nanosleep")) == sleeping)
            .fold([0, 0], |a, (_, c)| [a[0] + c[0], a[1] + c[1]])
    };
    // A sleeper just woken is R with no stack (a running thread's is stale), so a few of
    // the new capture's samples may read as running: most must be in nanosleep.
    let spun = worker(false);
    let slept = worker(true);
    let shown = format!("spun {spun:?}, slept {slept:?}: {}", diff.stdout);
    assert!(spun[0] > 0 && slept[0] == 0, "{shown}");
    assert!(slept[1] > 0 && spun[1] * 5 <= slept[1], "{shown}");

    let page = dir.0.join("diff.html");
    run(&[
        "report",
        "--diff",
        base_arg,
        new_arg,
        "--flame",
        page.to_str().unwrap(),
    ])
    .ok();
    let Some((dom, console)) = chromium(&page) else {
        util::require(
            false,
            "chromium is not installed (apt-get install chromium)",
        );
        return;
    };
    assert!(console.is_empty(), "console: {console:?}");
    holds(&dom, ">worker</div>");
    holds(&dom, ">clock_nanosleep</div>");
    holds(&dom, "grew");
}

/// A capture whose kernel stacks could not be read (sampled without root) still draws, to the
/// syscall, and report says how to save them; a file without the column is refused.
#[test]
fn report_says_when_stacks_were_not_saved() {
    let dir = TempDir::new("flamenull");
    let saved = dir.0.join("s.jsonl");
    let row = r#"{"type":"row","pass":1,"pcomm":"app","comm":"w-1","state":"S","syscall":"read""#;
    std::fs::write(
        &saved,
        format!("{{\"type\":\"pass\",\"pass\":1}}\n{row},\"kstack\":null}}\n"),
    )
    .unwrap();
    let out = run(&["report", saved.to_str().unwrap(), "-f", "folded"]).ok();
    assert_eq!(out.stdout, "app;w-*;read 1\n");
    holds(&out.stderr, "sudo tsnap sample --save FILE");

    std::fs::write(&saved, format!("{row}}}\n")).unwrap();
    let out = run(&["report", saved.to_str().unwrap(), "-f", "folded"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    holds(&out.stderr, "no column 'kstack'");
}
