//! Output that fits the terminal: tsnap's standard output a real pseudo-terminal of a known
//! width (openpty), against the same commands into a pipe, which are never cut. Tables are
//! cut by priority, each column its own way (comm whole, an endpoint's remote side whole, a
//! kernel stack's innermost frames kept); findings, cgroup blocks, footers and help pages are
//! wrapped, never cut.

use crate::findings::{LimitedCgroup, Spinning};
use crate::support::pty;
use crate::util::{gettid, is_root, own_pid, run, tsnap};
use crate::workload::{Kind, Workload};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;

/// What tsnap writes with `args` when its standard output is a terminal `columns` wide, with
/// `env` set; the terminal's carriage returns left out.
pub(crate) fn on_terminal(args: &[&str], columns: u16, env: &[(&str, &str)]) -> String {
    let (text, ok) = pty_run(args, columns, env, false);
    assert!(ok, "{args:?}: {text}");
    text
}

/// What tsnap writes with `args` on a terminal `columns` wide (its standard error there too
/// when `stderr`), and whether it succeeded.
fn pty_run(args: &[&str], columns: u16, env: &[(&str, &str)], stderr: bool) -> (String, bool) {
    let (master, slave) = pty::open(columns);
    let error = match stderr {
        true => Stdio::from(slave.try_clone().unwrap()),
        false => Stdio::null(),
    };
    let mut child = tsnap()
        .args(args)
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(error)
        .spawn()
        .unwrap();
    let text = pty::read_all(master);
    let ok = child.wait().unwrap().success();
    (text, ok)
}

/// The widest line of `text`, in characters.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

fn fits(text: &str, columns: usize) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= columns,
            "{line:?} is wider than {columns}:\n{text}"
        );
    }
}

/// The lines of `text` with the continuation lines of wrapped ones (indented two deeper than
/// an indented line) joined back to it. Lines at the margin (`findings:`, `cgroup ...`) are
/// not joined: what follows them indented is a list.
fn unwrapped(text: &str) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut lines: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        match lines.last_mut() {
            Some((base, last))
                if *base > 0 && !line.trim().is_empty() && indent(line) >= *base + 2 =>
            {
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => lines.push((indent(line), line.to_string())),
        }
    }
    lines.into_iter().map(|(_, l)| l).collect()
}

/// A thread of this process named with 15 bytes, blocked reading a TCP connection whose
/// local side is long (an IPv6 socket on `::ffff:127.0.0.1`) from a listener of the test's
/// own that never writes; its tid and the listener's port. Dropped, the server's side closes
/// and the thread ends.
struct LongClient {
    tid: u64,
    port: u16,
    _server: TcpStream,
}

const NAME: &str = "fifteen-byte-ok";

impl LongClient {
    fn start() -> LongClient {
        assert_eq!(NAME.len(), 15);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sent, got) = mpsc::channel();
        std::thread::Builder::new()
            .name(NAME.to_string())
            .spawn(move || {
                let mut client = TcpStream::connect(("::ffff:127.0.0.1", port)).unwrap();
                sent.send(gettid()).unwrap();
                let _ = client.read(&mut [0u8; 1]);
            })
            .unwrap();
        let (server, _) = listener.accept().unwrap();
        let tid = got.recv().unwrap();
        // Until the thread sleeps in its read.
        let stat = format!("/proc/self/task/{tid}/stat");
        for _ in 0..200 {
            let text = std::fs::read_to_string(&stat).unwrap_or_default();
            if text
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('S'))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        LongClient {
            tid,
            port,
            _server: server,
        }
    }

    /// What its endpoint's remote side and state read.
    fn remote(&self) -> String {
        format!("->[::ffff:127.0.0.1]:{} ESTABLISHED", self.port)
    }

    /// Its kernel stack's frames, innermost first, as the test reads them (root only).
    fn frames(&self) -> Vec<String> {
        let path = format!("/proc/self/task/{}/stack", self.tid);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter_map(|f| f.split('+').next())
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn a_table_fits_by_priority_and_a_pipe_gets_it_whole() {
    let _w = Workload::start("width", &[Kind::PeerReader, Kind::UnixAcceptor]);
    let client = LongClient::start();
    let pid = own_pid();
    let args = ["-a", "-p", &pid, "-G", "endpoint,cmdline", "-i", "0"];
    let shown = on_terminal(&args, 80, &[]);
    fits(&shown, 80);
    let tid = client.tid.to_string();
    let row = |text: &str| -> Option<String> {
        let mut lines = text.lines();
        let at = lines.position(|l| l.split_whitespace().nth(1) == Some(tid.as_str()))?;
        Some(text.lines().nth(at)?.to_string())
    };
    let line = row(&shown).unwrap_or_else(|| panic!("no row of {tid}:\n{shown}"));
    // Numbers are never cut; comm keeps its 15 bytes.
    let fields: Vec<&str> = line.split_whitespace().take(3).collect();
    assert_eq!(fields, [pid.as_str(), tid.as_str(), "S"], "{line}");
    assert!(line.contains(&format!(" {NAME} ")), "{line}");
    // The endpoint keeps its remote side and state, in its column or on its own line.
    assert!(
        shown.contains(&client.remote()),
        "{}:\n{shown}",
        client.remote()
    );
    // A line under the table names what was left out.
    assert!(
        shown.contains("left out to fit 80 columns; -w shows every column)"),
        "{shown}"
    );
    if is_root() {
        // The kernel stack keeps its innermost frame, cut at its outer end.
        let frames = client.frames();
        let innermost = frames.first().expect("a kernel stack");
        let stack = shown
            .lines()
            .skip_while(|l| l.split_whitespace().nth(1) != Some(tid.as_str()))
            .find(|l| l.starts_with("    kstack: "))
            .unwrap_or_else(|| panic!("no kstack under {tid}:\n{shown}"));
        assert!(
            stack.ends_with(&format!("{innermost}()")),
            "{stack} {frames:?}"
        );
        if frames.len() > 8 {
            assert!(stack.starts_with("    kstack: …->"), "{stack}");
        }
    }

    // Into a pipe, nothing is cut.
    let piped = run(&args).ok().stdout;
    assert!(widest(&piped) > 80, "a pipe gets whole lines");
    assert!(!piped.contains('…'), "{piped}");
    let line = row(&piped).unwrap();
    assert!(
        line.contains(&format!("[::ffff:127.0.0.1]:{}", client.port)),
        "{line}"
    );
    assert!(line.contains(NAME), "{line}");
    let wide = on_terminal(&[&args[..], &["-w"]].concat(), 80, &[]);
    assert!(widest(&wide) > 80 && !wide.contains('…'), "{wide}");

    // A terminal of no known width: $COLUMNS, else 80.
    let narrow = on_terminal(&args, 0, &[("COLUMNS", "60")]);
    fits(&narrow, 60);
    let unknown = on_terminal(&args, 0, &[]);
    fits(&unknown, 80);
}

#[test]
fn dump_and_watch_fit_too() {
    let _w = Workload::start("wwatch", &[Kind::PeerReader]);
    let client = LongClient::start();
    let pid = own_pid();
    let dump = on_terminal(&["dump", "-p", &pid], 80, &[]);
    fits(&dump, 80);
    assert!(!dump.contains('…'), "a dump is wrapped, never cut:\n{dump}");
    assert!(
        dump.contains(&format!("\"{NAME}\" tid={}", client.tid)),
        "{dump}"
    );
    assert!(dump.contains(&client.remote()), "{dump}");
    let watch = on_terminal(
        &["watch", "-a", "-d", "0.5", "-i", "0.25", "-p", &pid],
        80,
        &[],
    );
    fits(&watch, 80);
    assert!(watch.contains(&format!(" {NAME}")), "{watch}");
    let piped = run(&["dump", "-p", &pid]).ok().stdout;
    assert!(widest(&piped) > 80 && !piped.contains('…'));
}

#[test]
fn findings_and_cgroup_blocks_wrap_and_never_lose_a_figure() {
    // Holds the machine's CPU turn (a spinner), as the findings' tests do.
    let _w = Workload::start("wsample", &[Kind::PeerReader, Kind::Spinner]);
    // A cgroup with a CPU limit and a long path, and a shell spinning in it.
    let cgroup = is_root()
        .then(|| {
            let leaf = format!("cri-containerd-{}-leaf", "0ffdda2cb191".repeat(4));
            LimitedCgroup::named(&format!("tsnap-width-{}-{leaf}", std::process::id()))
        })
        .flatten();
    let spinning = cgroup.as_ref().map(|c| {
        let child = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        std::fs::write(&c.procs, child.id().to_string()).unwrap();
        Spinning(child)
    });
    let mut pids = own_pid();
    if let Some(s) = &spinning {
        pids = format!("{pids},{}", s.0.id());
    }
    let args = ["sample", "-d", "1", "-p", &pids, "-G", "endpoint,cmdline"];
    let shown = on_terminal(&args, 80, &[]);
    drop(spinning);
    fits(&shown, 80);
    let lines = unwrapped(&shown);
    let found: Vec<&String> = lines
        .iter()
        .skip_while(|l| !l.starts_with("findings:"))
        .skip(1)
        .collect();
    // The spinner is hot, or starved on a machine others share.
    assert!(
        found
            .iter()
            .any(|f| f.contains("hot: ") || f.contains("starved: ")),
        "{shown}"
    );
    for finding in &found {
        assert!(!finding.contains('…'), "{finding}");
        assert!(finding.contains("; next: "), "{finding}");
    }
    // Every cgroup line: whole figures; a path shortened in its middle is the only cut.
    let mut in_block = false;
    let blocks = lines.iter().filter(|l| {
        in_block = l.starts_with("cgroup ") || (in_block && l.starts_with("  "));
        in_block
    });
    for line in blocks.filter(|l| l.contains('…')) {
        let cut = line.split_whitespace().find(|w| w.contains('…')).unwrap();
        assert!(
            cut.starts_with('/') && !cut.ends_with('…'),
            "a cut other than a path's middle: {line}"
        );
    }
    if !crate::util::require(
        cgroup.is_some(),
        "the throttled cgroup (needs root and a cpu controller)",
    ) {
        return;
    }
    assert!(found.iter().any(|f| f.contains("throttled: ")), "{shown}");
    let header = lines
        .iter()
        .find(|l| l.starts_with("cgroup /tsnap-width-"))
        .unwrap_or_else(|| panic!("no block of the limited cgroup:\n{shown}"));
    assert!(
        header.contains('…') && header.contains("-leaf ("),
        "{header}"
    );
    let cpu = lines
        .iter()
        .skip_while(|l| *l != header)
        .find(|l| l.starts_with("  cpu"))
        .unwrap();
    let figures = cpu
        .split("throttled ")
        .nth(1)
        .unwrap_or_else(|| panic!("{cpu}"));
    let words: Vec<&str> = figures.split_whitespace().collect();
    assert!(
        words.len() >= 7
            && words[0].parse::<u64>().is_ok()
            && words[1] == "of"
            && words[2].parse::<u64>().is_ok()
            && words[3] == "periods"
            && words[4].starts_with('(')
            && words[4].ends_with("%)")
            && words[5] == "for"
            && words[6].parse::<f64>().is_ok(),
        "{cpu}"
    );
    assert!(cpu.contains("limit 0.20 cores"), "{cpu}");

    // Into a pipe, the path is whole.
    let piped = run(&["sample", "-d", "0.3", "-p", &own_pid()]).ok().stdout;
    assert!(!piped.contains('…'), "{piped}");
}

#[test]
fn the_root_cgroup_says_it_is_the_machine() {
    // kthreadd lives in the root of every hierarchy.
    let cgroup = std::fs::read_to_string("/proc/2/cgroup").unwrap_or_default();
    let in_root = !cgroup.is_empty() && cgroup.lines().all(|l| l.ends_with(":/"));
    if !crate::util::require(in_root, "pid 2 is not in the root cgroup here") {
        return;
    }
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    let cores: u32 = online
        .trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<u32>().unwrap() - a.parse::<u32>().unwrap() + 1,
            None => 1,
        })
        .sum();
    let out = run(&["-a", "-p", "2"]).ok().stdout;
    let unit = if cores == 1 { "core" } else { "cores" };
    let line = out
        .lines()
        .find(|l| l.starts_with("  machine: used "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(&format!(" of {cores} {unit} in ")), "{line}");
    assert!(!out.contains("  cpu: "), "{out}");
}

#[test]
fn help_pages_fit_80_columns() {
    let main = on_terminal(&["help"], 80, &[]);
    fits(&main, 80);
    let commands: Vec<String> = main
        .lines()
        .skip_while(|l| *l != "USAGE")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|c| c.trim_matches(|c| c == '[' || c == ']').to_string())
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 6, "{commands:?}");
    for command in &commands {
        let page = on_terminal(&["help", command], 80, &[]);
        assert!(page.starts_with(&format!("tsnap {command} - ")), "{page}");
        fits(&page, 80);
    }
    let columns = on_terminal(&["columns"], 80, &[]);
    fits(&columns, 80);
    assert!(columns.contains("\nkstack "), "{columns}");
    // A usage error names the failing command's help; on a terminal, errors fit it too.
    let error = run(&["sample", "--bogus"]);
    assert!(
        error.stderr.contains("Try 'tsnap help sample'"),
        "{}",
        error.stderr
    );
    let (error, ok) = pty_run(&["dump", "-f", "csv"], 40, &[], true);
    assert!(!ok && error.contains("Try 'tsnap help dump'"), "{error}");
    fits(&error, 40);
    let (error, ok) = pty_run(&["dump"], 40, &[], true);
    assert!(!ok && error.contains("--container"), "{error}");
    fits(&error, 40);
}
