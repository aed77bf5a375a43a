//! The syscall floor for scripts/bench: the same reads tsnap does of a process's threads,
//! through the same openat/pread/readlinkat wrappers, with no parsing, filtering or output.
//!
//! Usage:
//!   floor all PID           stat, syscall, wchan and stack of every thread, and the fd link
//!                           of each syscall whose first argument is an fd (one shot)
//!   floor all-tcp PID       as `all`, then the process's TCP socket table (`net/tcp`) read
//!                           once, as the endpoint column adds from another namespace
//!   floor all-diag PID      as `all`, then the TCP sockets of this namespace asked of netlink
//!                           once, as the endpoint column adds from its own
//!   floor stat PID          stat of every thread (one shot)
//!   floor pread PID PASSES HZ   stat of every thread opened once, then PASSES passes of
//!                               pread, HZ a second (as tsnap sample paces them)
//!   floor reopen PID PASSES HZ  PASSES passes of openat+read+close of every thread's stat,
//!                               relative to the open task directory
//!   floor reopen-path PID PASSES HZ  the same with absolute paths (/proc/PID/task/TID/stat),
//!                               as scripts that re-open files every pass do
//!   floor rss CMD [ARG...]      runs CMD and prints its peak RSS in KiB
//!   floor machine PASSES HZ     what `tsnap watch -a` reads of every thread of the machine
//!                               in a pass: the processes and their threads listed, then stat,
//!                               schedstat, syscall, wchan and stack read with pread on fds
//!                               kept open (within tsnap's descriptor budget: stat first),
//!                               the fd link of the syscall read; each process's cgroup once
//! The pass modes print the median pass time in microseconds.

use rustix::fd::{AsFd, OwnedFd};
use tsnap::collect::sock_diag::SockDiag;
use tsnap::parse::diag;
use tsnap::procfs::{self, RelPath};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("rss") {
        peak_rss(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some("machine") {
        let number = |i: usize| {
            args.get(i)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage())
        };
        machine(number(1), number(2) as u64);
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
        "all" | "all-tcp" | "all-diag" => {
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
            if mode == "all-diag" {
                buf.resize(64 * 1024, 0);
                let mut diag = SockDiag::default();
                let request = diag::request(diag::AF_INET, diag::IPPROTO_TCP, 1);
                let _ = diag.dump(&request, &mut buf, |_| {});
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

/// The files `watch -a` reads of each thread, in the order the budget grants them fds.
const THREAD_FILES: [&[u8]; 5] = [b"stat", b"schedstat", b"syscall", b"wchan", b"stack"];

/// A thread of the machine and the fds kept for its files.
struct Kept {
    pid: u32,
    tid: u32,
    fds: [Option<OwnedFd>; 5],
}

/// `floor machine`: passes over every thread of the machine, as `watch -a` makes them.
fn machine(passes: usize, hz: u64) {
    use std::collections::HashMap;
    use std::collections::hash_map::Entry;
    raise_nofile();
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let mut budget = limit.current.unwrap_or(1024).saturating_sub(64) as usize;
    let root = procfs::open_dir(rustix::fs::CWD, "/proc").expect("open /proc");
    let mut task_dirs: HashMap<u32, OwnedFd> = HashMap::new();
    let mut threads: Vec<Kept> = Vec::new();
    let (mut dents, mut pids, mut tids) = (Vec::new(), Vec::new(), Vec::new());
    let (mut buf, mut link, mut path) = (Vec::with_capacity(4096), Vec::new(), RelPath::new());
    report(passes, hz.max(1), || {
        pids.clear();
        let _ = procfs::list_numeric(root.as_fd(), &mut dents, &mut pids);
        task_dirs.retain(|pid, _| pids.contains(pid));
        let mut listed = Vec::new();
        for &pid in &pids {
            if let Entry::Vacant(slot) = task_dirs.entry(pid) {
                path.clear().num(pid).push(b"task");
                let Ok(dir) = procfs::open_dir(root.as_fd(), path.as_cstr()) else {
                    continue;
                };
                path.clear().num(pid).push(b"cgroup");
                let _ = procfs::read_file(root.as_fd(), &path, &mut buf);
                slot.insert(dir);
            }
            tids.clear();
            let _ = procfs::list_numeric(task_dirs[&pid].as_fd(), &mut dents, &mut tids);
            listed.extend(tids.iter().map(|&tid| (pid, tid)));
        }
        listed.sort_unstable();
        threads.retain(|t| {
            let kept = listed.binary_search(&(t.pid, t.tid)).is_ok();
            if !kept {
                budget += t.fds.iter().flatten().count();
            }
            kept
        });
        for &(pid, tid) in &listed {
            let at = match threads.binary_search_by_key(&(pid, tid), |t| (t.pid, t.tid)) {
                Ok(at) => at,
                Err(at) => {
                    threads.insert(
                        at,
                        Kept {
                            pid,
                            tid,
                            fds: Default::default(),
                        },
                    );
                    at
                }
            };
            let dir = task_dirs[&pid].as_fd();
            let known = listed.len();
            for (i, name) in THREAD_FILES.iter().enumerate() {
                let thread = &mut threads[at];
                match &thread.fds[i] {
                    Some(fd) => {
                        let _ = procfs::pread_whole(fd.as_fd(), &mut buf);
                    }
                    None => {
                        path.clear().num(tid).push(name);
                        let Ok(fd) = procfs::open_file(dir, path.as_cstr()) else {
                            continue;
                        };
                        let _ = procfs::pread_whole(fd.as_fd(), &mut buf);
                        let room = if i == 0 { budget > 0 } else { budget > known };
                        if room {
                            budget -= 1;
                            thread.fds[i] = Some(fd);
                        }
                    }
                }
                if i == 2
                    && let Some(fd) = fd_argument(&buf)
                {
                    path.clear().num(tid).push(b"fd").num(fd);
                    let _ = procfs::read_link(dir, &path, &mut link);
                }
            }
        }
    });
}

/// Raises the soft limit of open files to the hard one, as tsnap does.
fn raise_nofile() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
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
        "usage: floor all|stat PID | floor pread|reopen|reopen-path PID PASSES HZ | floor machine PASSES HZ | floor rss CMD..."
    );
    std::process::exit(2);
}
