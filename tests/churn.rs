//! Churn: a process that creates and ends thousands of threads a second (reusing thread ids
//! once the pid space wraps) while tsnap runs snap, sample and watch against it. Each thread
//! names itself `c<tid>`, so a row whose name and tid disagree would be a row put together
//! from two threads.

use crate::util::{Run, SelfProcess, run};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The churning process: this test binary run again for this one ignored test. Prints
/// `ready`, churns until its stdin closes, then prints how many threads it made and how many
/// of their ids had been used before.
#[test]
#[ignore = "the churning process of churn_never_mixes_threads"]
fn churn_process() {
    if std::env::var_os("TSNAP_CHURN").is_none() {
        return;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let reused = Arc::new(AtomicU64::new(0));
    // Four churners, so that thread ids wrap around pid_max within the test.
    let churners: Vec<_> = (0..4)
        .map(|c| {
            let (stop, made, seen, reused) =
                (stop.clone(), made.clone(), seen.clone(), reused.clone());
            std::thread::spawn(move || {
                let mut n = c;
                while !stop.load(Ordering::Relaxed) {
                    let batch: Vec<_> = (0..32)
                        .map(|_| {
                            n += 4;
                            let (seen, reused) = (seen.clone(), reused.clone());
                            std::thread::Builder::new()
                                .stack_size(32 * 1024)
                                .spawn(move || churn_thread(n, &seen, &reused))
                                .expect("spawn")
                        })
                        .collect();
                    for t in batch {
                        let _ = t.join();
                    }
                    made.fetch_add(32, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    println!("ready");
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    stop.store(true, Ordering::Relaxed);
    for c in churners {
        c.join().unwrap();
    }
    println!(
        "made {} reused {}",
        made.load(Ordering::Relaxed),
        reused.load(Ordering::Relaxed)
    );
}

/// Names itself after its tid, notes whether the tid was used before, and lives a few
/// milliseconds: sleeping, spinning or blocked in a socket read.
fn churn_thread(n: u64, seen: &Mutex<HashSet<i32>>, reused: &AtomicU64) {
    // SAFETY: gettid has no preconditions; PR_SET_NAME reads a NUL-terminated string.
    let tid = unsafe { libc::gettid() };
    let name = std::ffi::CString::new(format!("c{tid}")).unwrap();
    // SAFETY: as above.
    unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
    if !seen.lock().unwrap().insert(tid) {
        reused.fetch_add(1, Ordering::Relaxed);
    }
    match n % 3 {
        0 => std::thread::sleep(Duration::from_millis(n % 3)),
        1 => {
            let until = std::time::Instant::now() + Duration::from_micros(300);
            while std::time::Instant::now() < until {}
        }
        _ => {
            // Blocked in a socket read until its timeout. (Not a second thread: it would
            // start with this thread's name.)
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .set_read_timeout(Some(Duration::from_millis(2)))
                .unwrap();
            let _ = socket.recv(&mut [0u8; 1]);
        }
    }
}

/// Checks rows: exit 0, no panic, and every churn thread's name is its own tid's.
fn check(out: Run, what: &str) -> usize {
    let out = out.ok();
    assert!(!out.stderr.contains("panick"), "{what}: {}", out.stderr);
    let mut checked = 0;
    for row in out.json() {
        let (Some(comm), Some(tid)) = (row["comm"].as_str(), row["tid"].as_u64()) else {
            continue;
        };
        if comm.starts_with('c') && comm[1..].bytes().all(|b| b.is_ascii_digit()) && comm.len() > 1
        {
            assert_eq!(comm, format!("c{tid}"), "{what}: {row}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn churn_never_mixes_threads() {
    let _cpu = crate::util::cpu_turn();
    let child = SelfProcess::start("churn::churn_process", "TSNAP_CHURN", "1");
    let pid = child.pid().to_string();
    let mut checked = 0;
    for _ in 0..10 {
        checked += check(
            run(&[
                "-a",
                "-p",
                &pid,
                "-i",
                "0",
                "-f",
                "json",
                "-o",
                "tid,comm,state,syscall,wchan",
            ]),
            "snap",
        );
    }
    checked += check(
        run(&["-a", "-p", &pid, "-f", "json", "-o", "tid,comm,pcpu"]),
        "snap with a window",
    );
    checked += check(
        run(&[
            "sample", "-a", "-p", &pid, "-d", "2", "-g", "tid,comm", "--exact", "-f", "json",
        ]),
        "sample",
    );
    checked += check(
        run(&[
            "watch",
            "-a",
            "-p",
            &pid,
            "-i",
            "0.2",
            "-d",
            "2",
            "-f",
            "json",
            "-o",
            "tid,comm,state",
        ]),
        "watch",
    );
    let report = child.finish();
    let numbers: Vec<u64> = report
        .split_whitespace()
        .skip_while(|w| *w != "made")
        .filter_map(|w| w.parse().ok())
        .collect();
    let (made, reused) = (numbers[0], numbers[1]);
    eprintln!("churn: {made} threads made, {reused} reused a tid, {checked} rows checked");
    assert!(checked > 50, "only {checked} churn rows were seen");
    assert!(made > 6_000, "{made} threads in about 6 s: not churning");
    let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u64::MAX);
    if made > pid_max {
        assert!(
            reused > 0,
            "{made} threads with pid_max {pid_max}, yet no tid reused"
        );
    } else {
        eprintln!("{made} threads did not wrap pid_max {pid_max}: tids not reused this time");
    }
}
