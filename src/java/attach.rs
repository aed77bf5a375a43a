//! HotSpot's attach protocol, version 1, on its Unix socket: the trigger file that asks a JVM
//! to start listening, the connection, the request and the reply, each bounded.
//!
//! A request is `1\0`, the command and three arguments, each ended by a NUL. The reply is
//! the status as a decimal number on its own line (`0` for success), then the command's
//! output up to the end of the stream.
//!
//! The socket is found in the JVM's /tmp (opened inside its root, on a mount checked to be
//! local: [`crate::target::Mounts`]), opened there as an `O_PATH` file and checked to be a
//! socket, then connected to through that file's `/proc/self/fd/N` name: a link planted
//! where the socket should be leads nowhere.

use crate::clock::monotonic_ns;
use crate::error::errno_name;
use crate::output::{escape, write_all};
use crate::sys;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{self, AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// `threaddump` with no arguments: what `jstack` asks for without `-l`. The list of locked
/// ownable synchronizers (`-l`) is left out because HotSpot builds it by walking the whole
/// heap at a safepoint, a pause that grows with the heap.
const THREAD_DUMP: &[u8] = b"1\0threaddump\0\0\0\0";

/// The same in version 2 of the protocol (JDK 24 on), asked not to stream: `2`, the size of
/// the rest in decimal, then the command with its options and one empty argument, each
/// ended by a NUL. A JVM that streams writes the dump into the socket from inside the
/// safepoint, so the JVM stays stopped for as long as the reader takes to read it; buffered,
/// it stops only while it prints into memory.
const THREAD_DUMP_BUFFERED: &[u8] = b"2\x0024\x00threaddump streaming=0\x00\x00";

/// `threaddump -l`, for `--java-locks`: what `jstack -l` asks for, the holders of
/// java.util.concurrent locks with it, at the cost of that heap walk.
const THREAD_DUMP_LOCKS: &[u8] = b"1\0threaddump\0-l\0\0\0";

/// The same in version 2, buffered, as `jstack -l` asks a JDK 25 told not to stream.
const THREAD_DUMP_LOCKS_BUFFERED: &[u8] = b"2\x0026\x00threaddump streaming=0\x00-l\x00";

/// `getversion` with `options`: JDK 24 on answer `2 streaming` (the protocol version, then
/// what it may be asked); older JVMs answer an error, and get [`THREAD_DUMP`].
const GET_VERSION: &[u8] = b"1\0getversion\0options\0\0\0";

/// The most of the answer to `getversion` that is read.
const VERSION_REPLY: usize = 256;

/// The thread dump request for a JVM that answered `getversion` with `reply` (its status
/// line and what follows), or failed to: the buffered one where the JVM would stream;
/// `locks`: with the locked ownable synchronizers (`-l`).
pub fn dump_request(reply: Option<&[u8]>, locks: bool) -> &'static [u8] {
    let mut lines = reply.unwrap_or_default().split(|&b| b == b'\n');
    let ok = lines.next().and_then(crate::parse::dec_i64) == Some(0);
    let mut words = crate::parse::words(lines.next().unwrap_or_default());
    let version = words.next().and_then(crate::parse::dec_u64);
    let streams = words.any(|w| w == b"streaming");
    match (ok && version.is_some_and(|v| v >= 2) && streams, locks) {
        (true, false) => THREAD_DUMP_BUFFERED,
        (true, true) => THREAD_DUMP_LOCKS_BUFFERED,
        (false, false) => THREAD_DUMP,
        (false, true) => THREAD_DUMP_LOCKS,
    }
}

/// The most of the answers tsnap reads in one command, all JVMs together: a dump of 10,000
/// threads with deep stacks is about 20 MiB, and peers that send without end must not take
/// tsnap's memory with them.
pub const MAX_REPLY: usize = 64 << 20;

/// The most thread entries tsnap takes from an answer: no JVM runs that many platform
/// threads, and each entry costs memory once parsed.
pub const MAX_THREADS: usize = 100_000;

/// The memory a thread entry takes once parsed and paired with the OS threads, about: an
/// answer costs at most its size and 8 MiB more that way. HotSpot's entries are longer than
/// that (their header line alone is over 100 bytes).
const ENTRY_COST: usize = std::mem::size_of::<crate::parse::jstack::Thread<'static>>() + 32;

/// The trigger file `.attach_pid<P>`, removed when dropped if tsnap created it: by name,
/// from the directory it was created in, wherever links inside the JVM's root point by then.
pub struct Trigger {
    dir: OwnedFd,
    name: CString,
    created: bool,
}

impl Trigger {
    /// Creates the file `name` in the first of `dirs` where that works (each a directory, or
    /// why it may not be used); one already there (another attach under way) is used as it
    /// is and left alone.
    pub fn create(
        dirs: Vec<(Result<OwnedFd, String>, &str)>,
        name: &CStr,
    ) -> Result<Trigger, String> {
        let mut errors = Vec::new();
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        for (dir, what) in dirs {
            let dir = match dir {
                Ok(dir) => dir,
                Err(why) => {
                    errors.push(why);
                    continue;
                }
            };
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

/// Connects to the listener on the socket `name` in the directory `dir` (the JVM's /tmp);
/// `Ok(None)` when nobody listens there (yet). A listener whose backlog is full makes the
/// connect wait: at most until `deadline`.
pub fn connect(
    dir: BorrowedFd<'_>,
    name: &CStr,
    deadline: u64,
    late: &dyn Fn() -> String,
) -> Result<Option<OwnedFd>, String> {
    let shown = || escape::display(name.to_bytes());
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let file = match fs::openat(dir, name, flags, Mode::empty()) {
        Ok(f) => f,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot open its /tmp/{}: {}",
                shown(),
                errno_name(e)
            ));
        }
    };
    if !is_socket(&file) {
        return Err(format!(
            "its /tmp/{} is not a socket (a link?): not connecting to it",
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
            "cannot connect to its /tmp/{}: {}",
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

/// Takes up to `want` bytes from `budget`: how many it got.
pub fn take(budget: &AtomicUsize, want: usize) -> usize {
    let mut got = 0;
    let _ = budget.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
        got = want.min(left);
        Some(left - got)
    });
    got
}

/// Sends `request` on `socket`, until `deadline`.
fn send(
    socket: &OwnedFd,
    request: &[u8],
    deadline: u64,
    late: &dyn Fn() -> String,
) -> Result<(), String> {
    set_socket_timeout(socket, Timeout::Send, Some(left(deadline, late)?))
        .map_err(|e| format!("cannot set a timeout: {}", errno_name(e)))?;
    write_all(socket.as_fd(), request).map_err(|e| match e {
        Errno::AGAIN => late(),
        e => format!("cannot send the request: {}", errno_name(e)),
    })
}

/// Asks the JVM for its attach protocol version on `socket` (a connection of its own: the
/// listener answers one request a connection) and reads at most [`VERSION_REPLY`] bytes of
/// the answer, until `deadline`.
pub fn version(
    socket: OwnedFd,
    deadline: u64,
    late: &dyn Fn() -> String,
) -> Result<Vec<u8>, String> {
    send(&socket, GET_VERSION, deadline, late)?;
    let mut reply = vec![0; VERSION_REPLY];
    let mut len = 0;
    while len < reply.len() {
        set_socket_timeout(&socket, Timeout::Recv, Some(left(deadline, late)?))
            .map_err(|e| format!("cannot set a timeout: {}", errno_name(e)))?;
        match rustix::io::read(&socket, &mut reply[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::AGAIN | Errno::INTR) => return Err(late()),
            Err(e) => return Err(format!("cannot read the answer: {}", errno_name(e))),
        }
    }
    reply.truncate(len);
    Ok(reply)
}

/// Sends `request` (see [`dump_request`]) and reads the thread dump, until `deadline`, at
/// most [`MAX_THREADS`] entries and what is left of `budget` (bytes, shared by the JVMs of a
/// command, [`MAX_REPLY`] in all), as [`ask`] reads.
pub fn thread_dump(
    socket: OwnedFd,
    request: &[u8],
    deadline: u64,
    late: &dyn Fn() -> String,
    budget: &AtomicUsize,
) -> Result<Vec<u8>, String> {
    let reply = ask(socket, request, deadline, late, budget)?;
    let entries = reply
        .split(|&b| b == b'\n')
        .filter(|l| l.first() == Some(&b'"'));
    let count = entries.count();
    if count > MAX_THREADS {
        return Err(format!(
            "the JVM's answer lists more than {MAX_THREADS} threads: not using it"
        ));
    }
    // What the entries cost once parsed and paired, beyond the answer itself.
    if count * ENTRY_COST > reply.len() + (8 << 20) {
        return Err(format!(
            "the JVM's answer lists {count} threads in {} bytes, which no JVM prints: \
             not using it",
            reply.len()
        ));
    }
    Ok(reply)
}

/// Sends `request` (a whole request of the protocol) and reads the answer, until `deadline`
/// and at most what is left of `budget`: the command's output when its status is `0`, else
/// the error it answered. The buffer doubles as it fills and is read into only as far as the
/// budget allows, so an answer costs at most twice its size however it ends.
pub fn ask(
    socket: OwnedFd,
    request: &[u8],
    deadline: u64,
    late: &dyn Fn() -> String,
    budget: &AtomicUsize,
) -> Result<Vec<u8>, String> {
    send(&socket, request, deadline, late)?;
    let mut reply = Vec::new();
    // The bytes taken from the budget and not read yet.
    let mut held = 0;
    let result = loop {
        let wait = match left(deadline, late) {
            Ok(wait) => wait,
            Err(e) => break Err(e),
        };
        if let Err(e) = set_socket_timeout(&socket, Timeout::Recv, Some(wait)) {
            break Err(format!("cannot set a timeout: {}", errno_name(e)));
        }
        if reply.capacity() - reply.len() < 16 * 1024 {
            reply.reserve_exact(reply.len().max(64 * 1024));
        }
        let room = reply.capacity() - reply.len();
        held += take(budget, room.saturating_sub(held));
        if held == 0 {
            break Err(format!(
                "the JVMs' answers are longer than {} MiB together: cut off",
                MAX_REPLY >> 20
            ));
        }
        match sys::read_spare(socket.as_fd(), &mut reply, held.min(room)) {
            Ok(0) => break Ok(()),
            Ok(n) => held -= n,
            Err(Errno::AGAIN | Errno::INTR) => break Err(late()),
            Err(e) => break Err(format!("cannot read the answer: {}", errno_name(e))),
        }
    };
    budget.fetch_add(held, Ordering::AcqRel);
    result?;
    // The status, then the output.
    let newline = reply.iter().position(|&b| b == b'\n');
    match newline.and_then(|n| crate::parse::dec_i64(&reply[..n])) {
        Some(0) => {
            reply.drain(..=newline.unwrap_or(0));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_only_where_the_jvm_streams() {
        // JDK 25, and JDK 24 without options; JDK 17 and 21; no answer.
        let ask = |reply: Option<&[u8]>| dump_request(reply, false);
        assert_eq!(ask(Some(b"0\n2 streaming")), THREAD_DUMP_BUFFERED);
        assert_eq!(ask(Some(b"0\n2")), THREAD_DUMP);
        assert_eq!(
            ask(Some(b"-1\nOperation getversion not recognized!")),
            THREAD_DUMP
        );
        assert_eq!(ask(Some(b"1\n2 streaming")), THREAD_DUMP);
        assert_eq!(ask(None), THREAD_DUMP);
        let locks = Some(&b"0\n2 streaming"[..]);
        assert_eq!(dump_request(locks, true), THREAD_DUMP_LOCKS_BUFFERED);
        assert_eq!(dump_request(None, true), THREAD_DUMP_LOCKS);
        let rest = THREAD_DUMP_LOCKS_BUFFERED
            .splitn(3, |&b| b == 0)
            .nth(2)
            .unwrap();
        assert_eq!(rest.len(), 26);
        // The size field counts the bytes after it.
        let rest = THREAD_DUMP_BUFFERED.splitn(3, |&b| b == 0).nth(2).unwrap();
        assert_eq!(rest.len(), 24);
    }
}
