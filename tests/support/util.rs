//! Running the tsnap binary and reading what it says.
//!
//! `TSNAP_BIN` overrides the binary under test (e.g. a musl or aarch64 build),
//! `TSNAP_TEST_RUNNER` names a program to run it with (e.g. `qemu-aarch64`) and
//! `TSNAP_TEST_ARCH` the architecture it was built for. Checks of syscall names read from
//! this machine's kernel are skipped when that is not this machine's architecture.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

/// The binary under test, as an absolute path (tests may run it from another directory).
pub fn binary() -> PathBuf {
    let bin = std::env::var_os("TSNAP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tsnap")));
    std::path::absolute(&bin).unwrap_or(bin)
}

/// A command that runs tsnap (through the runner, if any).
pub fn tsnap() -> Command {
    match std::env::var_os("TSNAP_TEST_RUNNER") {
        Some(runner) => {
            let mut c = Command::new(runner);
            c.arg(binary());
            c
        }
        None => Command::new(binary()),
    }
}

/// The architecture tsnap was built for: `TSNAP_TEST_ARCH` when a binary of another one is
/// tested (under qemu), else this test binary's.
pub fn tsnap_arch() -> String {
    std::env::var("TSNAP_TEST_ARCH").unwrap_or_else(|_| std::env::consts::ARCH.to_string())
}

/// True when tsnap runs emulated for another architecture: the syscall numbers this machine's
/// kernel reports then belong to another table than tsnap's.
pub fn foreign_arch() -> bool {
    tsnap_arch() != std::env::consts::ARCH
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(
            self.status, 0,
            "tsnap failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The stdout lines as JSON objects.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
            .collect()
    }

    /// The rows of snap's JSON: the `thread` objects (the cgroups and the tally are others).
    pub fn rows(&self) -> Vec<Value> {
        let mut all = self.json();
        all.retain(|o| o["type"] == "thread");
        all
    }

    /// A snap table without the cgroup blocks and the tally of states above it.
    pub fn table(&self) -> &str {
        let table = match self.stdout.starts_with("cgroup ") {
            true => self.stdout.split_once("\n\n").map_or("", |(_, t)| t),
            false => &self.stdout,
        };
        match table.starts_with("threads: ") {
            true => table.split_once('\n').map_or("", |(_, t)| t),
            false => table,
        }
    }
}

pub fn finish(output: Output) -> Run {
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs tsnap with `args` and collects its output.
pub fn run(args: &[&str]) -> Run {
    run_in(Path::new("."), args)
}

/// Runs tsnap with `args` in directory `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    finish(
        tsnap()
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run tsnap"),
    )
}

/// Runs tsnap with `args` under `wrapper` (a program and its arguments that runs the rest of
/// its command line: `unshare --net`, a seccomp filter).
pub fn run_wrapped(wrapper: &[&str], args: &[&str]) -> Run {
    let under_test = tsnap();
    let mut c = Command::new(wrapper[0]);
    c.args(&wrapper[1..])
        .arg(under_test.get_program())
        .args(under_test.get_args())
        .args(args)
        .stdin(Stdio::null());
    finish(c.output().expect("run the wrapper"))
}

/// Builds the C program `source` (relative to the repository) with gcc and `flags` into a
/// directory of this test process's, as `name`; the error says why it could not.
pub fn build_c(source: &str, name: &str, flags: &[&str]) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("tsnap-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let bin = dir.join(name);
    let out = Command::new("gcc")
        .args(flags)
        .args(["-O1", "-Wall", "-pthread", "-o"])
        .arg(&bin)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(source))
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    match out.status.success() {
        true => Ok(bin),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// tests/support/refuse.c, built once per test binary: `refuse netlink|pidfd PROGRAM ARG...`
/// runs a program with that call refused by a seccomp filter.
pub fn refuse() -> &'static str {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let bin = BIN.get_or_init(|| {
        build_c("tests/support/refuse.c", "refuse", &[]).unwrap_or_else(|e| panic!("gcc: {e}"))
    });
    bin.to_str().expect("a temporary directory's path in UTF-8")
}

/// The column catalogue (`tsnap columns -f json`) without the Java columns, which come from a
/// JVM's dumps (tests/java_*.rs), not from /proc.
pub fn proc_columns() -> Vec<Value> {
    let catalogue = run(&["columns", "-f", "json"]).ok().json();
    (catalogue.into_iter())
        .filter(|c| c["privilege"] != "jvm-user")
        .collect()
}

/// JSON rows keyed by tid.
pub fn by_tid(rows: &[Value]) -> HashMap<u64, &Value> {
    rows.iter()
        .filter_map(|r| Some((r.get("tid")?.as_u64()?, r)))
        .collect()
}

/// Compares two texts, printing both in full when they differ.
#[track_caller]
pub fn assert_same(expected: &str, actual: &str, what: &str) {
    if expected != actual {
        panic!("{what} differs\n--- expected\n{expected}\n--- actual\n{actual}\n---");
    }
}

/// Fails unless `text` holds `part`, showing the whole text.
#[track_caller]
pub fn holds(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in:\n{text}");
}

/// A turn at the CPU: held by the tests that run a spinning thread (some check how much CPU it
/// gets), that start a JVM (which takes a core or more while it starts), that churn threads or
/// time threads against a window, so that on a small machine they do not run together.
/// Workloads with a spinner and JVMs take it themselves.
pub fn cpu_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A process a test started, killed when dropped (also when the test fails).
pub struct Started(pub Child);

impl Started {
    /// Starts `command` with nothing on its standard streams.
    pub fn spawn(command: &mut Command) -> Started {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Started(child)
    }

    /// Starts `command` with its standard input and output pipes, and waits for the first
    /// line it prints (its word that it is ready), which is returned with it.
    pub fn ready(command: &mut Command) -> (Started, String) {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {:?}: {e}", command.get_program()));
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        (Started(child), line)
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A turn at this network namespace's unix socket table as text: held by the test that forges
/// a line of it, and by those that read it with netlink refused. tsnap rightly distrusts a
/// table with a forged line, so the two must not overlap.
pub fn unix_table_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a test's prerequisite is `met`. When it is not, the test says so on stderr
/// (`skipped: WHY`) and returns; under `TSNAP_TEST_STRICT=1` (set by `.ci/run`) it fails
/// instead, so that a run cannot pass with part of the suite quietly missing. Use it as
/// `if !require(is_root(), "needs root to ...") { return; }`.
#[track_caller]
pub fn require(met: bool, why: &str) -> bool {
    if met {
        return true;
    }
    if std::env::var_os("TSNAP_TEST_STRICT").is_some_and(|v| v == "1") {
        panic!("TSNAP_TEST_STRICT=1 and a prerequisite is missing: {why}");
    }
    eprintln!("skipped: {why}");
    false
}

/// Whether this test belongs to this run at all: false for a test of this machine's syscall
/// table when tsnap is another architecture's binary under qemu, or of the static binary in
/// `scripts/test`'s first pass (it runs in the second). That is a fact of the run, not a
/// missing prerequisite: the test says so (`not in this run: WHY`) and returns, strict or not.
pub fn applies(met: bool, why: &str) -> bool {
    if !met {
        eprintln!("not in this run: {why}");
    }
    met
}

/// The value of `result`, or `None` after [`require`] said why it is missing (`why: error`).
#[track_caller]
pub fn required<T, E: std::fmt::Display>(result: Result<T, E>, why: &str) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            require(false, &format!("{why}: {e}"));
            None
        }
    }
}

/// This test process's pid, as tsnap's `-p` takes it.
pub fn own_pid() -> String {
    std::process::id().to_string()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn gettid() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}

/// A unique directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tsnap-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// This test binary run again, for one ignored test, as a separate process: a workload that
/// prints `ready ...` once set up and runs until its standard input closes.
pub struct SelfProcess {
    child: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    /// The words after `ready`.
    pub ready: Vec<String>,
}

impl SelfProcess {
    /// Runs `test` (ignored, so it runs only when asked for) with `env` set to `value`.
    pub fn start(test: &str, env: &str, value: &str) -> SelfProcess {
        use std::io::BufRead;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--ignored", "--nocapture"])
            .env(env, value)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.by_ref().map_while(Result::ok).find_map(|l| {
            l.strip_prefix("ready")
                .map(|r| r.split_whitespace().map(String::from).collect())
        });
        let Some(ready) = ready else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{test} did not start");
        };
        SelfProcess {
            child,
            lines,
            ready,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes its standard input, waits for it to end and returns what it printed after
    /// `ready`.
    pub fn finish(mut self) -> String {
        drop(self.child.stdin.take());
        let rest: Vec<String> = self.lines.by_ref().map_while(Result::ok).collect();
        let _ = self.child.wait();
        rest.join("\n")
    }
}

impl Drop for SelfProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tids of JSON rows.
pub fn tids(rows: &[Value]) -> BTreeSet<u64> {
    rows.iter().filter_map(|r| r["tid"].as_u64()).collect()
}

/// Whether python3 can import `modules`; says which are missing when not.
pub fn python_has(modules: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require(
        ok,
        &format!("python3 cannot import {modules} (.ci/run installs them)"),
    )
}
