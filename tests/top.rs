//! `tsnap top` under a real terminal: a tmux pane of 80x24 runs it over the threads of this
//! test process (a spinner among them), the test presses keys and reads the screen back;
//! after it quits (on `q`, on SIGTERM) the pane must show the shell's screen again and the
//! terminal be in cooked mode, as `stty -a` run right after it says.

use crate::util::{self, TempDir, binary, run};
use crate::workload::{Kind, Workload};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own (a socket named for the test) with one pane of 80x24.
struct Pane {
    socket: String,
}

impl Pane {
    /// Runs `script` with `sh` in a new pane; `None` when tmux cannot be run.
    fn start(tag: &str, script: &str) -> Option<Pane> {
        let pane = Pane {
            socket: format!("tsnap-test-{}-{tag}", std::process::id()),
        };
        let started = pane
            .tmux(&[
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                "sh",
                "-c",
                script,
            ])
            .ok()?;
        started.then_some(pane)
    }

    fn tmux(&self, args: &[&str]) -> std::io::Result<bool> {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .status()?;
        Ok(status.success())
    }

    /// The screen's lines, wrapped lines joined (so that one over 80 columns shows as one).
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(["capture-pane", "-p", "-J"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).unwrap(), "send-keys {keys:?}");
    }

    /// Waits (10 s at most) for the screen to satisfy `ok`, and returns it.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what}: not on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The table's rows on a screen: (tid, state, comm), in order.
fn table(screen: &str) -> Vec<(u64, String, String)> {
    screen
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("pid "))
        .skip(1)
        .take_while(|l| !l.starts_with("keys:") && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].parse().unwrap(), f[2].to_string(), f[4].to_string())
        })
        .collect()
}

/// A pane running `tsnap top` over this process, in a shell that marks the screen before it
/// and writes `stty -a` and tsnap's status to `dir/after` once it ends.
fn top_in_pane(tag: &str, dir: &Path) -> Option<Pane> {
    let script = format!(
        "echo before-top; echo $$ > {dir}/shell; {tsnap} top -a -i 0.3 -p {pid} 2>/dev/null; \
         status=$?; echo after-top; stty -a > {dir}/stty; echo $status > {dir}/status; sleep 30",
        dir = dir.display(),
        tsnap = binary().display(),
        pid = std::process::id(),
    );
    let pane = Pane::start(tag, &script);
    crate::util::require(pane.is_some(), "tmux cannot start a session here");
    pane
}

/// After tsnap ended: the shell's screen back (the alternate one left), the terminal in
/// cooked mode with echo, and tsnap's exit status.
fn assert_restored(pane: &Pane, dir: &Path) -> String {
    let screen = pane.wait_for("the shell's screen", |s| s.contains("after-top"));
    assert!(screen.contains("before-top"), "{screen}");
    assert!(!screen.contains("keys:"), "top's screen is left:\n{screen}");
    let start = Instant::now();
    while !dir.join("status").exists() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let stty = std::fs::read_to_string(dir.join("stty")).unwrap();
    let flags: Vec<&str> = stty.split([' ', ';', '\n']).collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(flags.contains(&flag), "{flag} not set again: {stty}");
    }
    std::fs::read_to_string(dir.join("status")).unwrap()
}

#[test]
fn top_draws_resorts_filters_and_quits_on_q() {
    let w = Workload::start("toq", &[Kind::Spinner, Kind::PipeReader, Kind::Sleeper]);
    let spinner = w.tid(Kind::Spinner);
    let dir = TempDir::new("top");
    let Some(pane) = top_in_pane("q", &dir.0) else {
        return;
    };
    // By CPU: the spinner first, in R.
    let screen = pane.wait_for("the spinner on the first row", |s| {
        table(s).first().is_some_and(|r| r.0 == spinner)
    });
    let rows = table(&screen);
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("R", "toq-spin"));
    assert!(screen.starts_with("tsnap top "), "{screen}");
    assert!(screen.contains("\nthreads: "), "the tally: {screen}");
    assert!(screen.contains("\nfindings"), "the findings: {screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{screen}");
    assert!(lines.len() <= 24, "{screen}");
    assert!(lines.last().unwrap().starts_with("keys: "), "{screen}");

    // By name: comm from A, the spinner no longer first.
    pane.keys(&["n"]);
    let screen = pane.wait_for("sorted by name", |s| {
        s.starts_with("tsnap top ") && s.contains(", by name")
    });
    let names: Vec<String> = table(&screen).into_iter().map(|r| r.2).collect();
    assert!(names.len() > 3, "{screen}");
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{screen}");
    // By pid: the process's threads in tid order.
    pane.keys(&["p"]);
    let screen = pane.wait_for("sorted by pid", |s| s.contains(", by pid"));
    let tids: Vec<u64> = table(&screen).into_iter().map(|r| r.0).collect();
    assert!(
        tids.len() > 3 && tids.windows(2).all(|w| w[0] < w[1]),
        "{screen}"
    );
    // The main thread's tid is the pid, the lowest unless tids wrapped around pid_max (the
    // churn tests in this process make thousands of threads), which puts lower ones first.
    assert!(tids[0] <= u64::from(std::process::id()), "{screen}");

    // A filter: only the threads whose name starts with it.
    pane.keys(&["/", "toq-pi", "Enter"]);
    let screen = pane.wait_for("filtered", |s| s.contains("pid or name toq-pi"));
    let rows = table(&screen);
    assert_eq!(rows.len(), 1, "{screen}");
    assert_eq!(
        (rows[0].0, rows[0].1.as_str()),
        (w.tid(Kind::PipeReader), "S")
    );
    // `r`: R and D only, which the pipe reader is not in.
    pane.keys(&["r"]);
    let screen = pane.wait_for("R and D", |s| s.contains(", R and D"));
    assert!(table(&screen).is_empty(), "{screen}");

    pane.keys(&["q"]);
    assert_eq!(assert_restored(&pane, &dir.0).trim(), "0");
}

#[test]
fn top_quits_on_sigterm_with_the_terminal_restored() {
    let _w = Workload::start("tot", &[Kind::Sleeper]);
    let dir = TempDir::new("top");
    let Some(pane) = top_in_pane("term", &dir.0) else {
        return;
    };
    pane.wait_for("top's screen", |s| {
        s.contains("keys:") && s.contains("tot-sleep")
    });
    let shell = std::fs::read_to_string(dir.0.join("shell")).unwrap();
    // tsnap: the shell's child.
    let tsnap = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(") ").map_or("", |s| s.1);
            stat.contains("(tsnap)") && after.split(' ').nth(1) == Some(shell.trim())
        })
        .expect("tsnap under the shell");
    // SAFETY: kill has no memory preconditions.
    assert_eq!(unsafe { libc::kill(tsnap, libc::SIGTERM) }, 0);
    assert_eq!(assert_restored(&pane, &dir.0).trim(), "0");
}

#[test]
fn top_refuses_a_pipe() {
    let r = run(&["top"]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("top needs a terminal on standard output"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "nothing drawn into the pipe: {}",
        r.stdout
    );
}

/// Whether `text` starts with a time of day, `HH:MM:SS.mmm`.
fn time_of_day(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 12
        && (0..12).all(|i| match i {
            2 | 5 => b[i] == b':',
            8 => b[i] == b'.',
            _ => b[i].is_ascii_digit(),
        })
}

#[test]
fn watch_on_a_terminal_shows_the_time_of_day_and_leaves_out_what_every_row_shares() {
    let _w = Workload::start("tow", &[Kind::Sleeper, Kind::PipeReader]);
    let pid = std::process::id().to_string();
    let args = [
        "watch", "-a", "-p", &pid, "-i", "0.3", "-d", "1", "--host", "h1",
    ];
    let script = format!(
        "{} {} 2>/dev/null; echo watch-ended; sleep 30",
        binary().display(),
        args.join(" ")
    );
    let Some(pane) = Pane::start("watch", &script) else {
        util::require(false, "tmux cannot start a session here");
        return;
    };
    pane.wait_for("watch's end", |s| s.contains("watch-ended"));
    let out = Command::new("tmux")
        .args([
            "-L",
            &pane.socket,
            "-f",
            "/dev/null",
            "capture-pane",
            "-p",
            "-J",
            "-S",
            "-",
        ])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
    let said: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("host h1, "))
        .collect();
    assert_eq!(said.len(), 1, "said once: {screen}");
    let (_, rest) = said[0].split_once(", container ").unwrap();
    let (_, rest) = rest.split_once(", pod ").unwrap();
    assert!(
        rest.ends_with(" (same for every row so far; -w shows them)"),
        "{screen}"
    );
    let header = screen.lines().find(|l| l.starts_with("time ")).unwrap();
    let names: Vec<&str> = header.split_whitespace().collect();
    for gone in ["host", "container", "pod"] {
        assert!(!names.contains(&gone), "{header}");
    }
    assert!(names.contains(&"wchan"), "{header}");
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("tow-")).collect();
    assert!(
        rows.len() >= 4,
        "two threads in two snapshots at least: {screen}"
    );
    assert!(rows.iter().all(|l| time_of_day(l)), "{screen}");

    // Into a pipe: every column, the full timestamp.
    let piped = run(&args).ok();
    let mut lines = piped.stdout.lines().skip_while(|l| !l.starts_with("time "));
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header[..4],
        ["time", "host", "container", "pod"],
        "{}",
        piped.stdout
    );
    let row = lines.find(|l| l.contains("tow-")).unwrap();
    assert!(
        !time_of_day(row) && row[..10].matches('-').count() == 2,
        "{row}"
    );
    assert!(row.contains(" h1 "), "{row}");
    assert!(
        !piped.stdout.contains("same for every row"),
        "{}",
        piped.stdout
    );
}

#[test]
fn top_escapes_what_a_thread_calls_itself() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("\x1b[2Jtoe-esc".to_string())
        .spawn(move || {
            tx.send(crate::util::gettid()).unwrap();
            let _ = stop_rx.recv();
        })
        .unwrap();
    let tid = rx.recv().unwrap().to_string();
    let dir = TempDir::new("top");
    let Some(pane) = top_in_pane("esc", &dir.0) else {
        return;
    };
    pane.wait_for("top's screen", |s| s.contains("keys:"));
    pane.keys(&["/", &tid, "Enter"]);
    let screen = pane.wait_for("the thread", |s| {
        s.contains(&format!("pid or name {tid}")) && !table(s).is_empty()
    });
    let rows = table(&screen);
    assert_eq!(rows.len(), 1, "{screen}");
    // The name as text, the escape sequence not acted on: the screen is still top's.
    assert_eq!(rows[0].2, "\\x1b[2Jtoe-esc", "{screen}");
    assert!(screen.starts_with("tsnap top "), "{screen}");
    pane.keys(&["q"]);
    assert_restored(&pane, &dir.0);
    drop(stop_tx);
    thread.join().unwrap();
}
