//! Churn: a process that creates and ends thousands of threads a second (reusing thread ids
//! once the pid space wraps) while tsnap runs snap, sample and watch against it. Each thread
//! names itself `c<tid>`, so a row whose name and tid disagree would be a row put together
//! from two threads.

use crate::util::{Run, SelfProcess, run, tsnap};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Threads that live 40 to 140 ms, two thousand born a second, each named after its tid and
/// sleeping, or (one in eight) running and sleeping by turns; this test binary run again.
/// Prints `ready`, churns until its standard input closes, then prints `TID START END` (Unix
/// time in ns) for every thread it made.
#[test]
#[ignore = "the churning process of short_lived_threads_are_seen_in_their_passes"]
fn short_lived_process() {
    if std::env::var_os("TSNAP_SHORT_LIVED").is_none() {
        return;
    }
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    };
    let stop = Arc::new(AtomicBool::new(false));
    let lives = Arc::new(Mutex::new(Vec::new()));
    let spawner = {
        let (stop, lives) = (stop.clone(), lives.clone());
        std::thread::spawn(move || {
            let mut threads = Vec::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let lives = lives.clone();
                let spawned = std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        // SAFETY: gettid has no preconditions; PR_SET_NAME reads a
                        // NUL-terminated string.
                        let tid = unsafe { libc::gettid() };
                        let name = std::ffi::CString::new(format!("c{tid}")).unwrap();
                        // SAFETY: as above.
                        unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
                        let start = now();
                        let until = Instant::now() + Duration::from_millis(40 + (n * 37) % 100);
                        while Instant::now() < until {
                            if n.is_multiple_of(8) {
                                let spin = Instant::now() + Duration::from_millis(2);
                                while Instant::now() < spin {}
                            }
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        lives.lock().unwrap().push((tid, start, now()));
                    });
                threads.extend(spawned.ok());
                threads.retain(|t: &std::thread::JoinHandle<()>| !t.is_finished());
                std::thread::sleep(Duration::from_micros(500));
            }
            for t in threads {
                let _ = t.join();
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    println!("ready");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    let _ = std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    spawner.join().unwrap();
    for (tid, start, end) in lives.lock().unwrap().iter() {
        println!("{tid} {start} {end}");
    }
}

/// `2026-11-30T23:12:01.123+01:00` as Unix time in ns.
fn iso_ns(t: &str) -> u64 {
    let num = |s: &str| s.parse::<i64>().unwrap();
    let (y, m, d) = (num(&t[0..4]), num(&t[5..7]), num(&t[8..10]));
    let (hh, mm, ss, ms) = (
        num(&t[11..13]),
        num(&t[14..16]),
        num(&t[17..19]),
        num(&t[20..23]),
    );
    let sign = if &t[23..24] == "-" { -1 } else { 1 };
    let offset = sign * (num(&t[24..26]) * 3600 + num(&t[27..29]) * 60);
    // Days from 1970-01-01 to the date (the proleptic Gregorian calendar).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - offset;
    (secs * 1000 + ms) as u64 * 1_000_000
}

#[test]
fn short_lived_threads_are_seen_in_their_passes() {
    let _cpu = crate::util::cpu_turn();
    let dir = crate::util::TempDir::new("shortlived");
    let saved = dir.0.join("s.jsonl");
    let churner =
        crate::util::SelfProcess::start("churn::short_lived_process", "TSNAP_SHORT_LIVED", "1");
    let pid = churner.pid().to_string();
    let args = [
        "sample", "-a", "-p", &pid, "--hz", "50", "-d", "3", "--save",
    ];
    let out = crate::util::finish(tsnap().args(args).arg(&saved).output().unwrap());
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lives: Vec<(u64, u64, u64)> = churner
        .finish()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(' ').map(|x| x.parse::<u64>().ok());
            Some((f.next()??, f.next()??, f.next()??))
        })
        .collect();
    let mut passes = std::collections::HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for line in std::fs::read_to_string(&saved).unwrap().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let pass = row["pass"].as_u64().unwrap();
        if row["type"] == "pass" {
            passes.insert(pass, iso_ns(row["time"].as_str().unwrap()));
            continue;
        }
        let (state, syscall) = (row["state"].as_str(), row["syscall"].as_str());
        assert!(
            syscall != Some("[running]") || state == Some("R"),
            "a row no instant could give: {row}"
        );
        seen.insert((row["comm"].as_str().unwrap().to_string(), pass));
    }
    // A pass's time is taken after it has read every thread, and the next pass lists the
    // threads again before it reads them: a thread born before pass k - 1's time and gone
    // after pass k's was there for the whole of pass k.
    let (mut expected, mut found) = (0u64, 0u64);
    for &(tid, start, end) in &lives {
        for (&pass, &time) in &passes {
            let Some(&before) = passes.get(&(pass - 1)) else {
                continue;
            };
            if start < before && time < end {
                expected += 1;
                found += u64::from(seen.contains(&(format!("c{tid}"), pass)));
            }
        }
    }
    assert!(
        expected > 1000,
        "too few thread-passes to judge: {expected} ({} passes, {} threads)",
        passes.len(),
        lives.len()
    );
    assert!(
        found * 10 >= expected * 9,
        "seen in {found} of the {expected} passes they were alive for"
    );
}
