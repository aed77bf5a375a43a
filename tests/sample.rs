//! sample against live threads in this process: its counts and groups, SIGINT and SIGHUP
//! ending it with its report, too few file descriptors, and a running thread's stack.

use crate::util::{self, foreign_arch, own_pid, run, tsnap};
use crate::workload::{Kind, Workload};
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn groups(rows: &[Value]) -> Vec<&Value> {
    rows.iter().filter(|r| r["type"] == "group").collect()
}

fn summary(rows: &[Value]) -> &Value {
    rows.iter()
        .find(|r| r["type"] == "summary")
        .expect("a summary line")
}

#[test]
fn sample_counts_a_spinner_and_pipe_readers() {
    let _w = Workload::start("smp", &[Kind::Spinner, Kind::PipeReader]);
    let _more = [
        Workload::start("smp", &[Kind::PipeReader]),
        Workload::start("smp", &[Kind::PipeReader]),
    ];
    let args = [
        "sample",
        "-d",
        "2",
        "--hz",
        "20",
        "-p",
        &own_pid(),
        "-G",
        "syscall,filename",
        "-f",
        "json",
    ];
    let out = run(&args).ok();
    let rows = out.json();
    let total = summary(&rows);
    let passes = total["passes"].as_u64().unwrap();
    assert!(
        (36..=40).contains(&passes),
        "passes {passes} of 40: {total}"
    );
    assert_eq!(total["expected"].as_u64(), Some(40));
    let spin = groups(&rows)
        .into_iter()
        .find(|g| g["comm"] == "smp-spin")
        .unwrap_or_else(|| panic!("no spinner group in {}", out.stdout));
    assert_eq!(spin["state"], "R");
    let avg = spin["avg_threads"].as_f64().unwrap();
    assert!((0.8..=1.0).contains(&avg), "spinner avg_threads {avg}");
    if !foreign_arch() {
        assert_eq!(spin["syscall"], "[running]");
    }
    assert!(
        groups(&rows)
            .iter()
            .all(|g| g["state"] == "R" || g["state"] == "D")
    );
    let cgroup = rows
        .iter()
        .position(|r| r["type"] == "cgroup")
        .unwrap_or_else(|| panic!("no cgroup line in {}", out.stdout));
    assert!(rows[cgroup]["path"].is_string(), "{}", rows[cgroup]);
    let summary_at = rows.iter().position(|r| r["type"] == "summary").unwrap();
    assert!(
        cgroup < summary_at,
        "the cgroup lines come before the summary"
    );

    let all = run(&[
        "sample",
        "-a",
        "-d",
        "1",
        "-p",
        &own_pid(),
        "-G",
        "syscall,filename",
        "-f",
        "json",
    ])
    .ok();
    let rows = all.json();
    let passes = summary(&rows)["passes"].as_f64().unwrap();
    let readers = groups(&rows)
        .into_iter()
        .find(|g| g["comm"] == "smp-pipe")
        .unwrap_or_else(|| panic!("no pipe readers in {}", all.stdout));
    assert_eq!(readers["state"], "S");
    assert_eq!(
        readers["samples"].as_f64().unwrap(),
        3.0 * passes,
        "three readers every pass"
    );
    if !foreign_arch() {
        assert_eq!(readers["syscall"], "read");
        assert_eq!(readers["filename"], "pipe:[*]");
    }
}

#[test]
fn sigint_ends_sampling_with_the_report() {
    let _w = Workload::start("intr", &[Kind::Spinner]);
    let started = Instant::now();
    let child = tsnap()
        .args(["sample", "-d", "10", "-p", &own_pid(), "-G", "tid"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    // SAFETY: kill sends a signal to the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = crate::util::finish(child.wait_with_output().unwrap()).ok();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "sampling went on"
    );
    assert!(
        out.stdout.starts_with("=== Active threads (R, D): "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("intr-spin"), "{}", out.stdout);
    assert!(
        out.stdout.contains("\ninterrupted: sampling ended early"),
        "{}",
        out.stdout
    );
    let passes: u64 = out
        .stdout
        .split("passes: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        (10..=40).contains(&passes),
        "{passes} passes in about a second"
    );
}

#[test]
fn too_few_file_descriptors_still_sample_and_say_so() {
    use std::os::unix::process::CommandExt;
    let _w = Workload::start("fds", &[Kind::PipeReader, Kind::Sleeper, Kind::FutexWaiter]);
    let mut cmd = tsnap();
    cmd.args(["sample", "-a", "-d", "0.5", "-p", &own_pid()]);
    // SAFETY: setrlimit is async-signal-safe, as a pre_exec hook must be.
    unsafe {
        cmd.pre_exec(|| {
            // tsnap keeps 64 descriptors in reserve: this leaves room to cache two files.
            let limit = libc::rlimit {
                rlim_cur: 66,
                rlim_max: 66,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let out = crate::util::finish(cmd.output().unwrap()).ok();
    assert!(out.stdout.contains("fds-pipe"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("reads reopened their file: not enough file descriptors"),
        "{}",
        out.stdout
    );
}

/// Threads of this process that run a few hundred µs and sleep as long, over and over, until
/// dropped: their state changes between any two reads of their files.
struct Flippers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Flippers {
    fn start(n: usize) -> Flippers {
        use std::sync::atomic::{AtomicBool, Ordering};
        let turn = crate::util::cpu_turn();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_micros(300) {}
                        std::thread::sleep(Duration::from_micros(300));
                    }
                })
            })
            .collect();
        Flippers {
            stop,
            threads,
            _turn: turn,
        }
    }
}

impl Drop for Flippers {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Counts the rows shown running and those shown asleep with a kernel stack, failing on a
/// row shown running with one.
fn no_stale_stack(out: &crate::util::Run, running: &mut usize, stacked: &mut usize) {
    let mut here = 0;
    for row in out.json() {
        let shown_running = row["state"] == "R" || row["syscall"] == "[running]";
        let has_stack = !row["kstack"].is_null();
        assert!(
            !(shown_running && has_stack),
            "a running thread's stack: {row}"
        );
        here += usize::from(shown_running && row.get("kstack").is_some());
        *stacked += usize::from(has_stack);
    }
    *running += here;
    if here > 0 {
        let why = "running: the kernel keeps no current stack for a thread on a CPU)";
        assert_eq!(out.stderr.matches(why).count(), 1, "{}", out.stderr);
    }
}

#[test]
fn a_running_thread_shows_no_kernel_stack_in_any_command() {
    if !util::require(
        crate::util::is_root(),
        "needs CAP_SYS_ADMIN to read kernel stacks",
    ) {
        return;
    }
    let _f = Flippers::start(4);
    let pid = own_pid();
    let columns = "tid,state,syscall,kstack";
    let (mut running, mut stacked) = (0, 0);
    for _ in 0..50 {
        let out = run(&["-p", &pid, "-a", "-i", "0", "-o", columns, "-f", "json"]).ok();
        no_stale_stack(&out, &mut running, &mut stacked);
    }
    assert!(
        running > 0 && stacked > 0,
        "{running} running, {stacked} with a stack"
    );
    for args in [
        &[
            "watch", "-p", &pid, "-a", "-i", "0.1", "-d", "0.5", "-o", columns, "-f", "json",
        ][..],
        &[
            "sample", "-p", &pid, "-a", "-d", "0.5", "-g", columns, "-f", "json",
        ],
        &["dump", "-p", &pid, "-f", "json"],
    ] {
        let (mut running, mut stacked) = (0, 0);
        no_stale_stack(&run(args).ok(), &mut running, &mut stacked);
        assert!(stacked > 0, "{args:?}: no stack at all");
    }
}

/// Sends `signal` to a running tsnap after `after`, and returns its output.
fn signalled(args: &[&str], signal: i32, after: Duration) -> (crate::util::Run, Duration) {
    let child = tsnap()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let start = Instant::now();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = crate::util::finish(child.wait_with_output().unwrap());
    (out, start.elapsed())
}

#[test]
fn sighup_ends_sample_with_its_report() {
    let w = Workload::start("hup", &[Kind::PipeReader]);
    let pid = std::process::id().to_string();
    let (out, took) = signalled(
        &["sample", "-a", "-p", &pid, "-d", "60"],
        libc::SIGHUP,
        Duration::from_millis(800),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("hup-pipe"), "{}", out.stdout);
    assert!(out.stdout.contains("interrupted: "), "{}", out.stdout);
    assert!(took < Duration::from_secs(2), "{took:?}");
    drop(w);
    // SIGPIPE from kill is ignored: the run goes on to its end.
    let (out, _) = signalled(
        &["sample", "-a", "-p", &pid, "-d", "1"],
        libc::SIGPIPE,
        Duration::from_millis(300),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("interrupted"), "{}", out.stdout);
}
