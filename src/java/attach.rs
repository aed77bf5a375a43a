//! HotSpot's attach protocol, version 1, on its Unix socket: the trigger file that asks a JVM
//! to start listening, the connection, the request and the reply, each bounded.
//!
//! A request is `1\0`, the command and three arguments, each ended by a NUL. The reply is
//! the status as a decimal number on its own line (`0` for success), then the command's
//! output up to the end of the stream.
//!
//! The socket is found inside the JVM's root ([`crate::target::root`]), opened there as an
//! `O_PATH` file and checked to be a socket, then connected to through that file's
//! `/proc/self/fd/N` name: a link planted where the socket should be leads nowhere.

use crate::clock::monotonic_ns;
use crate::error::errno_name;
use crate::output::{escape, write_all};
use crate::sys;
use crate::target::root;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{self, AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use std::ffi::{CStr, CString};
use std::time::Duration;

/// `threaddump` with no arguments: what `jstack` asks for without `-l`. The list of locked
/// ownable synchronizers (`-l`) is left out because HotSpot builds it by walking the whole
/// heap at a safepoint, a pause that grows with the heap.
const THREAD_DUMP: &[u8] = b"1\0threaddump\0\0\0\0";

/// The most of an answer tsnap reads: a dump of 10,000 threads with deep stacks is about
/// 20 MiB, and a peer that sends without end must not take tsnap's memory with it.
pub const MAX_REPLY: usize = 64 << 20;

/// The most thread entries tsnap takes from an answer: no JVM runs that many platform
/// threads, and each entry costs memory once parsed.
pub const MAX_THREADS: usize = 100_000;

/// The trigger file `.attach_pid<P>`, removed when dropped if tsnap created it: by name,
/// from the directory it was created in, wherever links inside the JVM's root point by then.
pub struct Trigger {
    dir: OwnedFd,
    name: CString,
    created: bool,
}

impl Trigger {
    /// Creates the file `name` in the first of `dirs` where that works; one already there
    /// (another attach under way) is used as it is and left alone.
    pub fn create(dirs: Vec<(OwnedFd, &str)>, name: &CStr) -> Result<Trigger, String> {
        let mut errors = Vec::new();
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        for (dir, what) in dirs {
            let created = match fs::openat(&dir, name, flags, Mode::RUSR | Mode::WUSR) {
                Ok(_) => true,
                Err(Errno::EXIST) => false,
                Err(e) => {
                    errors.push(format!("{what}: {}", errno_name(e)));
                    continue;
                }
            };
            return Ok(Trigger {
                dir,
                name: name.to_owned(),
                created,
            });
        }
        if errors.is_empty() {
            errors.push("no directory to put it in".to_string());
        }
        Err(format!(
            "cannot create the trigger file ({})",
            errors.join("; ")
        ))
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        if self.created {
            // Best effort: the JVM ignores the file once it listens.
            let _ = fs::unlinkat(&self.dir, self.name.as_c_str(), AtFlags::empty());
        }
    }
}

/// Whether a socket is at `path` inside `root`.
pub fn listening(root: BorrowedFd<'_>, path: &CStr) -> bool {
    root::open(root, path, OFlags::PATH | OFlags::NOFOLLOW, Mode::empty())
        .is_ok_and(|f| is_socket(&f))
}

fn is_socket(file: &OwnedFd) -> bool {
    fs::fstat(file).is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Socket)
}

/// Time left until `deadline` (CLOCK_MONOTONIC ns), or the error `late` says once it passed.
fn left(deadline: u64, late: &dyn Fn() -> String) -> Result<Duration, String> {
    match deadline.checked_sub(monotonic_ns()) {
        Some(ns) if ns > 0 => Ok(Duration::from_nanos(ns)),
        _ => Err(late()),
    }
}

/// Connects to the listener on the socket at `path` inside `root`; `Ok(None)` when nobody
/// listens there (yet). A listener whose backlog is full makes the connect wait: at most
/// until `deadline`.
pub fn connect(
    root: BorrowedFd<'_>,
    path: &CStr,
    deadline: u64,
    late: &dyn Fn() -> String,
) -> Result<Option<OwnedFd>, String> {
    let shown = || escape::display(path.to_bytes());
    let file = match root::open(root, path, OFlags::PATH | OFlags::NOFOLLOW, Mode::empty()) {
        Ok(f) => f,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(format!("cannot open its /{}: {}", shown(), errno_name(e))),
    };
    if !is_socket(&file) {
        return Err(format!(
            "its /{} is not a socket (a link?): not connecting to it",
            shown()
        ));
    }
    let name = format!("/proc/self/fd/{}", file.as_raw_fd());
    let socket = net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| format!("cannot make a socket: {}", errno_name(e)))?;
    set_socket_timeout(&socket, Timeout::Send, Some(left(deadline, late)?))
        .map_err(|e| format!("cannot set a timeout: {}", errno_name(e)))?;
    let connected =
        SocketAddrUnix::new(name.as_str()).and_then(|addr| net::connect(&socket, &addr));
    match connected {
        Ok(()) => Ok(Some(socket)),
        Err(Errno::CONNREFUSED) => Ok(None),
        Err(Errno::AGAIN | Errno::INPROGRESS | Errno::INTR) => Err(late()),
        Err(e) => Err(format!(
            "cannot connect to its /{}: {}",
            shown(),
            errno_name(e)
        )),
    }
}

/// The pid of the process that listens on the connected socket, in tsnap's pid namespace
/// (`SO_PEERCRED`); `None` when it is in a namespace tsnap cannot see, or unknown.
pub fn peer_pid(socket: &OwnedFd) -> Option<u32> {
    let pid = sys::peer_pid(socket.as_fd())?;
    (pid > 0).then_some(pid as u32)
}

/// Asks for a thread dump and reads it, until `deadline`, at most [`MAX_REPLY`] bytes and
/// [`MAX_THREADS`] entries.
pub fn thread_dump(
    socket: OwnedFd,
    deadline: u64,
    late: &dyn Fn() -> String,
) -> Result<Vec<u8>, String> {
    set_socket_timeout(&socket, Timeout::Send, Some(left(deadline, late)?))
        .map_err(|e| format!("cannot set a timeout: {}", errno_name(e)))?;
    write_all(socket.as_fd(), THREAD_DUMP).map_err(|e| match e {
        Errno::AGAIN => late(),
        e => format!("cannot send the request: {}", errno_name(e)),
    })?;
    let mut reply = Vec::new();
    loop {
        set_socket_timeout(&socket, Timeout::Recv, Some(left(deadline, late)?))
            .map_err(|e| format!("cannot set a timeout: {}", errno_name(e)))?;
        if reply.len() > MAX_REPLY {
            return Err(format!(
                "the JVM's answer is longer than {} MiB: cut off",
                MAX_REPLY >> 20
            ));
        }
        if reply.capacity() - reply.len() < 16 * 1024 {
            // Doubling, but never past the cap.
            let more = reply.len().max(64 * 1024).min(MAX_REPLY + 1 - reply.len());
            reply.reserve_exact(more);
        }
        let room = MAX_REPLY + 1 - reply.len();
        match sys::read_spare(socket.as_fd(), &mut reply, room) {
            Ok(0) => break,
            Ok(_) => {}
            Err(Errno::AGAIN | Errno::INTR) => return Err(late()),
            Err(e) => return Err(format!("cannot read the answer: {}", errno_name(e))),
        }
    }
    // The status, then the output.
    let newline = reply.iter().position(|&b| b == b'\n');
    match newline.and_then(|n| crate::parse::dec_i64(&reply[..n])) {
        Some(0) => {
            reply.drain(..=newline.unwrap_or(0));
            let entries = reply
                .split(|&b| b == b'\n')
                .filter(|l| l.first() == Some(&b'"'));
            if entries.count() > MAX_THREADS {
                return Err(format!(
                    "the JVM's answer lists more than {MAX_THREADS} threads: not using it"
                ));
            }
            Ok(reply)
        }
        _ if reply.is_empty() => Err("the JVM closed the connection without answering".into()),
        _ => {
            let shown = &reply[..reply.len().min(512)];
            Err(format!(
                "the JVM answered with an error: {}",
                escape::display(crate::parse::trim_end(shown))
            ))
        }
    }
}
