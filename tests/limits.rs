//! Limits: a process with as many open files as the machine allows (the highest one behind a
//! thread's read), and a process with 30,000 threads. Correct output, bounded memory.

use crate::util::{SelfProcess, by_tid, foreign_arch, tsnap};
use std::io::Read;
use std::process::Stdio;

fn hard_nofile() -> u64 {
    // SAFETY: getrlimit fills the zeroed struct.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        r.rlim_max
    }
}

/// Opens as many files as the hard limit allows (up to 100,000), then blocks a thread in
/// read(2) on the last fd, a pipe. Prints `ready FDS FD INODE`.
#[test]
#[ignore = "the process of many_open_files"]
fn many_open_files_process() {
    let Ok(wanted) = std::env::var("TSNAP_MANY_FDS") else {
        return;
    };
    let wanted: u64 = wanted.parse().unwrap();
    // SAFETY: plain fd syscalls on fds this process owns.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        r.rlim_cur = r.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        let mut last = null;
        // The pipe takes the last two numbers the limit allows.
        while (last as u64) < wanted - 3 {
            let fd = libc::dup(null);
            if fd < 0 {
                break;
            }
            last = fd;
        }
        let mut pipe = [0; 2];
        libc::pipe(pipe.as_mut_ptr());
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(pipe[0], &mut st);
        let reader = pipe[0];
        std::thread::spawn(move || {
            let mut b = [0u8; 1];
            libc::read(reader, b.as_mut_ptr().cast(), 1);
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        println!("ready {} {} {}", pipe[1] + 1, reader, st.st_ino);
    }
    let _ = std::io::stdin().read(&mut [0u8; 1]);
}

#[test]
fn many_open_files() {
    let wanted = hard_nofile().min(100_000);
    let child = SelfProcess::start(
        "limits::many_open_files_process",
        "TSNAP_MANY_FDS",
        &wanted.to_string(),
    );
    let words = &child.ready;
    let (fds, reader, inode): (u64, u64, u64) = (
        words[0].parse().unwrap(),
        words[1].parse().unwrap(),
        words[2].parse().unwrap(),
    );
    eprintln!(
        "{fds} open fds (hard limit {}; 100,000 wanted)",
        hard_nofile()
    );
    let out = crate::util::run(&[
        "-a",
        "-p",
        &child.pid().to_string(),
        "-i",
        "0",
        "-f",
        "json",
        "-o",
        "tid,syscall,filename",
    ])
    .ok();
    child.finish();
    assert!(fds > 1000, "only {fds} fds could be opened");
    if foreign_arch() {
        return;
    }
    let pipe = format!("pipe:[{inode}]");
    let rows = out.json();
    let reading = rows
        .iter()
        .filter(|r| r["syscall"] == "read" && r["filename"] == pipe.as_str())
        .count();
    assert_eq!(
        reading, 1,
        "no thread reading fd {reader} ({pipe}):\n{}",
        out.stdout
    );
}

/// Starts up to `TSNAP_THREADS` threads blocked on a condition variable, with small stacks
/// and no guard pages (two mappings a thread would pass the kernel's map count limit), and
/// prints `ready STARTED`.
#[test]
#[ignore = "the process of thirty_thousand_threads"]
fn thirty_thousand_threads_process() {
    let Ok(wanted) = std::env::var("TSNAP_THREADS") else {
        return;
    };
    let wanted: usize = wanted.parse().unwrap();
    extern "C" fn wait(_: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: pause only waits for a signal.
        unsafe { libc::pause() };
        std::ptr::null_mut()
    }
    let mut started = 0;
    // SAFETY: the attribute is initialised before use; threads run `wait` and never return.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        libc::pthread_attr_setstacksize(&mut attr, 16 * 1024);
        libc::pthread_attr_setguardsize(&mut attr, 0);
        for _ in 0..wanted {
            let mut t: libc::pthread_t = std::mem::zeroed();
            if libc::pthread_create(&mut t, &attr, wait, std::ptr::null_mut()) != 0 {
                break;
            }
            started += 1;
        }
    }
    println!("ready {started}");
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    std::process::exit(0);
}

#[test]
fn thirty_thousand_threads() {
    let _cpu = crate::util::cpu_turn();
    let child = SelfProcess::start(
        "limits::thirty_thousand_threads_process",
        "TSNAP_THREADS",
        "30000",
    );
    let started: usize = child.ready[0].parse().unwrap();
    eprintln!("{started} threads started of 30,000");
    let pid = child.pid().to_string();
    // Peak memory: read tsnap's high-water mark while it is blocked writing its output,
    // which comes after every row has been read.
    let mut snap = tsnap()
        .args([
            "-a",
            "-p",
            &pid,
            "-i",
            "0",
            "-f",
            "json",
            "-o",
            "tid,state,syscall",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", snap.id());
    let mut stdout = snap.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let hwm_kib: u64 = std::fs::read_to_string(&status)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(snap.wait().unwrap().success());
    child.finish();
    let mut text = first.to_vec();
    text.extend_from_slice(&rest);
    let rows: Vec<serde_json::Value> = String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rows = by_tid(&rows);
    eprintln!("tsnap: {} rows, peak RSS {hwm_kib} KiB", rows.len());
    assert!(started >= 10_000, "only {started} threads could be started");
    // Every thread, and the test harness's own one or two.
    assert!(
        (started + 1..=started + 3).contains(&rows.len()),
        "{} rows",
        rows.len()
    );
    assert!(rows.values().all(|r| r["state"] == "S"));
    assert!(
        hwm_kib < 48 * 1024,
        "peak RSS {hwm_kib} KiB for {started} threads"
    );
}
