//! The syscall floor for scripts/bench: the same reads tsnap does of a process's threads,
//! through the same openat/pread/readlinkat wrappers, with no parsing, filtering or output.
//!
//! Usage:
//!   floor all PID           stat, syscall, wchan and stack of every thread, and the fd link
//!                           of each syscall whose first argument is an fd (one shot)
//!   floor all-tcp PID       as `all`, then the process's TCP socket table (`net/tcp`) read
//!                           once, as the endpoint column adds
//!   floor stat PID          stat of every thread (one shot)
//!   floor pread PID PASSES HZ   stat of every thread opened once, then PASSES passes of
//!                               pread, HZ a second (as tsnap sample paces them)
//!   floor reopen PID PASSES HZ  PASSES passes of openat+read+close of every thread's stat,
//!                               relative to the open task directory
//!   floor reopen-path PID PASSES HZ  the same with absolute paths (/proc/PID/task/TID/stat),
//!                               as scripts that re-open files every pass do
//!   floor rss CMD [ARG...]      runs CMD and prints its peak RSS in KiB
//! The pass modes print the median pass time in microseconds.

use rustix::fd::{AsFd, OwnedFd};
use tsnap::procfs::{self, RelPath};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("rss") {
        peak_rss(&args[1..]);
        return;
    }
    let (mode, pid) = match (
        args.first(),
        args.get(1).and_then(|p| p.parse::<u32>().ok()),
    ) {
        (Some(m), Some(p)) => (m.as_str(), p),
        _ => usage(),
    };
    let passes: usize = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let hz: u64 = args
        .get(3)
        .and_then(|p| p.parse().ok())
        .unwrap_or(20)
        .max(1);
    let root = procfs::open_dir(rustix::fs::CWD, "/proc").expect("open /proc");
    let mut path = RelPath::new();
    path.num(pid).push(b"task");
    let task_dir = procfs::open_dir(&root, path.as_cstr()).expect("open task dir");
    let mut dents = Vec::new();
    let mut tids = Vec::new();
    procfs::list_numeric(task_dir.as_fd(), &mut dents, &mut tids).expect("list threads");
    let mut buf = Vec::with_capacity(4096);
    match mode {
        "all" | "all-tcp" => {
            let mut link = Vec::with_capacity(4096);
            for &tid in &tids {
                for name in [&b"stat"[..], b"wchan", b"stack", b"syscall"] {
                    path.clear().num(tid).push(name);
                    let _ = procfs::read_file(task_dir.as_fd(), &path, &mut buf);
                }
                if let Some(fd) = fd_argument(&buf) {
                    path.clear().num(tid).push(b"fd").num(fd);
                    let _ = procfs::read_link(task_dir.as_fd(), &path, &mut link);
                }
            }
            if mode == "all-tcp" {
                path.clear().num(pid).push(b"net/tcp");
                let _ = procfs::read_to_end(root.as_fd(), &path, &mut buf);
            }
        }
        "stat" => {
            for &tid in &tids {
                path.clear().num(tid).push(b"stat");
                let _ = procfs::read_file(task_dir.as_fd(), &path, &mut buf);
            }
        }
        "pread" => {
            let fds: Vec<OwnedFd> = tids
                .iter()
                .filter_map(|&tid| {
                    path.clear().num(tid).push(b"stat");
                    procfs::open_file(task_dir.as_fd(), path.as_cstr()).ok()
                })
                .collect();
            report(passes, hz, || {
                for fd in &fds {
                    let _ = procfs::pread_whole(fd.as_fd(), &mut buf);
                }
            });
        }
        "reopen" => report(passes, hz, || {
            for &tid in &tids {
                path.clear().num(tid).push(b"stat");
                let _ = procfs::read_file(task_dir.as_fd(), &path, &mut buf);
            }
        }),
        "reopen-path" => report(passes, hz, || {
            for &tid in &tids {
                path.clear()
                    .push(b"/proc")
                    .num(pid)
                    .push(b"task")
                    .num(tid)
                    .push(b"stat");
                let _ = procfs::read_file(root.as_fd(), &path, &mut buf);
            }
        }),
        _ => usage(),
    }
}

/// The fd in the first argument of a `syscall` line, when the call takes one: the minimum
/// tsnap must know to read the same fd link.
fn fd_argument(line: &[u8]) -> Option<i32> {
    let mut words = line.split(|&b| b == b' ');
    let nr = tsnap::parse::dec_u64(words.next()?)?;
    let syscall = tsnap::syscalls::lookup(nr)?;
    if syscall.arg0 == tsnap::syscalls::Arg0::None {
        return None;
    }
    let fd = tsnap::parse::hex_u64(words.next()?)? as u32 as i32;
    (fd >= 0).then_some(fd)
}

/// Runs `cmd` and prints its peak resident set in KiB, from the kernel's accounting of the
/// finished child. Measured from this small static program because a child's peak includes
/// the memory of the process that forked it until it execs.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also gives its resource use"
)]
fn peak_rss(cmd: &[String]) {
    let Some((program, args)) = cmd.split_first() else {
        usage()
    };
    let child = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run the command");
    // SAFETY: wait4 fills the zeroed status and rusage of our own child.
    let rusage = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as i32, &mut status, 0, &mut usage);
        usage
    };
    println!("{}", rusage.ru_maxrss);
}

/// Runs `pass` `passes` times, `hz` a second, and prints the median time of one, in
/// microseconds.
fn report(passes: usize, hz: u64, mut pass: impl FnMut()) {
    let period = 1_000_000_000 / hz;
    let begin = tsnap::clock::monotonic_ns();
    let mut times: Vec<u64> = (0..passes.max(1) as u64)
        .map(|k| {
            tsnap::signals::sleep_until(begin + k * period);
            let start = tsnap::clock::monotonic_ns();
            pass();
            tsnap::clock::monotonic_ns() - start
        })
        .collect();
    times.sort_unstable();
    println!("{}", times[times.len() / 2] / 1000);
}

fn usage() -> ! {
    eprintln!(
        "usage: floor all|stat PID | floor pread|reopen|reopen-path PID PASSES HZ | floor rss CMD..."
    );
    std::process::exit(2);
}
