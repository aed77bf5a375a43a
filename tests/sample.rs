//! sample, watch and report against live threads in this process.

use crate::util::{self, TempDir, foreign_arch, own_pid, run, tsnap};
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
fn saved_samples_report_the_same_rows() {
    let _w = Workload::start("save", &[Kind::Spinner, Kind::PipeReader, Kind::Sleeper]);
    let dir = TempDir::new("save");
    let file = dir.0.join("samples.jsonl");
    let file = file.to_str().unwrap();
    let group = "comm,state,syscall,filename";
    let sampled = run(&[
        "sample",
        "-a",
        "-d",
        "1",
        "-p",
        &own_pid(),
        "-g",
        group,
        "--save",
        file,
        "-f",
        "json",
    ])
    .ok();
    let reported = run(&["report", file, "-g", group, "-f", "json"]).ok();
    let rows = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains(r#""type":"group""#))
            .map(str::to_string)
            .collect()
    };
    assert!(!rows(&sampled.stdout).is_empty());
    assert_eq!(rows(&sampled.stdout), rows(&reported.stdout));
    // Another grouping of the same file, and a column that was not saved.
    let by_state = run(&["report", file, "-g", "state", "-f", "csv"]).ok();
    assert!(by_state.stdout.starts_with("samples,avg_threads,state\n"));
    let missing = run(&["report", file, "-g", "cmdline"]);
    assert_eq!(missing.status, 2);
    assert!(
        missing.stderr.contains("has no column 'cmdline'"),
        "{}",
        missing.stderr
    );

    // A writer killed mid-line leaves a truncated last line: skipped with a warning.
    let mut data = std::fs::read(file).unwrap();
    data.extend_from_slice(br#"{"type":"row","pass":99,"comm":"cut"#);
    std::fs::write(file, &data).unwrap();
    let truncated = run(&["report", file, "-g", group, "-f", "json"]).ok();
    assert_eq!(rows(&truncated.stdout), rows(&sampled.stdout));
    assert!(truncated.stderr.contains("skipped the truncated last line"));
    // Anything else malformed is an error naming the line.
    let text = String::from_utf8(data).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "not json");
    std::fs::write(file, lines.join("\n")).unwrap();
    let bad = run(&["report", file]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("line 3 is not a saved row"),
        "{}",
        bad.stderr
    );
}

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

    let table = run(&[
        "watch",
        "-i",
        "0.2",
        "-d",
        "0.4",
        "-p",
        &own_pid(),
        "-o",
        "tid,comm",
    ])
    .ok();
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
    let csv = run(&[
        "watch",
        "-i",
        "0.2",
        "-d",
        "0.4",
        "-p",
        &own_pid(),
        "-o",
        "tid,comm",
        "-f",
        "csv",
    ])
    .ok();
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

#[test]
fn a_full_disk_ends_with_a_clear_error_and_keeps_what_was_written() {
    let save = run(&[
        "sample",
        "-a",
        "-d",
        "0.3",
        "-p",
        &own_pid(),
        "--save",
        "/dev/full",
    ]);
    // A device is not a file of tsnap's: refused before a byte is written.
    assert_eq!(save.status, 1, "{}", save.stderr);
    assert!(
        save.stderr
            .contains("refusing to write to /dev/full: not a regular file of tsnap's user"),
        "{}",
        save.stderr
    );

    if !crate::util::require(
        crate::util::is_root(),
        "the full file system: mounting a small tmpfs needs root",
    ) {
        return;
    }
    let dir = TempDir::new("full");
    let mnt = dir.0.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=16k",
            "tsnap-test",
            mnt.to_str().unwrap(),
        ])
        .status();
    if !crate::util::require(
        mounted.is_ok_and(|s| s.success()),
        "the full file system: cannot mount a tmpfs here",
    ) {
        return;
    }
    let _w = Workload::start("full", &[Kind::PipeReader, Kind::Sleeper]);
    let out = run(&[
        "watch",
        "-i",
        "0.05",
        "-d",
        "30",
        "-a",
        "-p",
        &own_pid(),
        "--output-dir",
        mnt.to_str().unwrap(),
    ]);
    let files: Vec<_> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ENOSPC"), "{}", out.stderr);
    assert!(
        out.stderr.contains("what was written before is kept"),
        "{}",
        out.stderr
    );
    assert!(
        text.len() > 8000,
        "the file grew until the disk was full: {}",
        text.len()
    );
    let fields = text.lines().next().unwrap().split(',').count();
    let complete: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .collect();
    assert!(complete.len() > 20);
    for line in &complete[1..] {
        assert!(line.split(',').count() >= fields, "{line}");
    }
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
    for row in out.json() {
        let shown_running = row["state"] == "R" || row["syscall"] == "[running]";
        let has_stack = !row["kstack"].is_null();
        assert!(
            !(shown_running && has_stack),
            "a running thread's stack: {row}"
        );
        *running += usize::from(shown_running && row.get("kstack").is_some());
        *stacked += usize::from(has_stack);
    }
    if *running > 0 {
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
