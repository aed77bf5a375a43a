//! A process with N threads in known states, for scripts/bench: most blocked in read(2) on a
//! pipe, sleeping, or waiting on a futex, one spinning, two in uninterruptible sleep (D) as
//! parents of CLONE_VFORK children. Prints `ready PID` once all are started and runs until its
//! standard input closes.
//!
//! Usage: workload THREADS

use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| {
            eprintln!("usage: workload THREADS");
            std::process::exit(2);
        });
    raise_limits();
    let (reader, _writer) = std::io::pipe().expect("pipe");
    let reader = Arc::new(reader);
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..n {
        let kind = match i {
            0 => 0,
            1 | 2 => 1,
            _ => 2 + i % 3,
        };
        let reader = reader.clone();
        let gate = gate.clone();
        let tx = tx.clone();
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                tx.send(()).unwrap();
                match kind {
                    0 => spin(),
                    1 => uninterruptible(),
                    2 => {
                        // Any number of threads can block in read(2) on one pipe.
                        let mut byte = [0u8; 1];
                        let _ = (&*reader).read(&mut byte);
                    }
                    3 => loop {
                        std::thread::sleep(Duration::from_secs(3600));
                    },
                    _ => {
                        let (lock, cvar) = &*gate;
                        let mut open = lock.lock().unwrap();
                        while !*open {
                            open = cvar.wait(open).unwrap();
                        }
                    }
                }
            })
            .expect("spawn thread");
    }
    for _ in 0..n {
        rx.recv().unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    println!("ready {}", std::process::id());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin()
        .lock()
        .read_line(&mut line)
        .is_ok_and(|n| n > 0)
    {
        line.clear();
    }
    std::process::exit(0);
}

fn spin() {
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// Waits in D: the parent of a CLONE_VFORK child stays in uninterruptible sleep until the
/// child exits; the child sleeps, and dies with its parent thread (PR_SET_PDEATHSIG).
fn uninterruptible() {
    loop {
        // SAFETY: the child runs only async-signal-safe calls before it exits.
        unsafe {
            let pid = libc::syscall(
                libc::SYS_clone,
                libc::CLONE_VFORK | libc::SIGCHLD,
                0,
                0,
                0,
                0,
            );
            if pid == 0 {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                libc::sleep(3600);
                libc::_exit(0);
            }
            if pid < 0 {
                return;
            }
            libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
        }
    }
}

/// Threads need memory maps and pids: raise the soft limits to the hard ones.
fn raise_limits() {
    for resource in [libc::RLIMIT_NPROC, libc::RLIMIT_NOFILE] {
        // SAFETY: getrlimit/setrlimit read and write the struct given.
        unsafe {
            let mut r: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(resource, &mut r) == 0 {
                r.rlim_cur = r.rlim_max;
                libc::setrlimit(resource, &r);
            }
        }
    }
}
