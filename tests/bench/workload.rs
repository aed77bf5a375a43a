//! A process with N threads in known states, for scripts/bench: most blocked in read(2) on a
//! pipe, sleeping, or waiting on a futex, one spinning, two in uninterruptible sleep (D) as
//! parents of CLONE_VFORK children. With SOCKETS, it also holds that many TCP sockets, the
//! two ends of SOCKETS/2 connections over the loopback, and its readers read the client ends
//! (each its own, while they last: the server ends never send) instead of the pipe. Prints
//! `ready PID` once all are started and runs until its standard input closes.
//!
//! Usage: workload THREADS [SOCKETS]

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let (n, sockets) = match (args.next(), args.next()) {
        (Some(Ok(n)), None) => (n, 0),
        (Some(Ok(n)), Some(Ok(sockets))) => (n, sockets),
        _ => {
            eprintln!("usage: workload THREADS [SOCKETS]");
            std::process::exit(2);
        }
    };
    raise_limits();
    let (mut clients, _servers) = connections(sockets / 2);
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
        let client = if kind == 2 { clients.pop() } else { None };
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
                        let _ = match client {
                            Some(mut socket) => socket.read(&mut byte),
                            None => (&*reader).read(&mut byte),
                        };
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

/// `count` TCP connections over the loopback: their client ends, and their server ends.
fn connections(count: usize) -> (Vec<TcpStream>, Vec<TcpStream>) {
    let (mut clients, mut servers) = (Vec::new(), Vec::new());
    if count == 0 {
        return (clients, servers);
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().unwrap();
    for _ in 0..count {
        clients.push(TcpStream::connect(addr).expect("connect"));
        servers.push(listener.accept().expect("accept").0);
    }
    (clients, servers)
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
