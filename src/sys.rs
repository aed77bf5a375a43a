//! The only `unsafe` code of tsnap, each piece behind a safe function: reading into a buffer's
//! spare capacity up to a bound, the peer of a unix socket, and signal handlers. The rest of
//! the crate is `#![deny(unsafe_code)]`; rustix covers everything else safely.

use rustix::fd::{AsRawFd, BorrowedFd};
use rustix::io;
use rustix::process::Signal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Reads from `fd` into the spare capacity of `buf`, at most `limit` bytes, and appends them;
/// returns how many (0 at the end of the stream, or when `buf` has no spare capacity).
/// `rustix::buffer::spare_capacity` reads into all of it, which a reader held to a cap
/// cannot allow.
pub fn read_spare(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let room = limit.min(buf.capacity() - buf.len());
    let (read, _) = rustix::io::read(fd, &mut buf.spare_capacity_mut()[..room])?;
    let n = read.len();
    // SAFETY: read initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// As [`read_spare`], from `offset` of the file (`pread`).
pub fn pread_spare(
    fd: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    limit: usize,
    offset: u64,
) -> io::Result<usize> {
    let room = limit.min(buf.capacity() - buf.len());
    let (read, _) = rustix::io::pread(fd, &mut buf.spare_capacity_mut()[..room], offset)?;
    let n = read.len();
    // SAFETY: pread initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

unsafe extern "C" {
    /// libc's `getsockopt(2)`. rustix's `socket_peercred` cannot stand for a peer whose pid
    /// is 0 (one in a pid namespace the caller cannot see), which is the case to tell apart.
    fn getsockopt(fd: i32, level: i32, name: i32, value: *mut u8, len: *mut u32) -> i32;
    /// libc's `signal(2)`, from the C library std links (musl or glibc); rustix offers no
    /// safe way to install a handler.
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    /// libc's `siginterrupt(3)`: with `flag` 1, the handler of `signum` no longer has
    /// SA_RESTART, which `signal` sets.
    fn siginterrupt(signum: i32, flag: i32) -> i32;
}

/// The pid of the peer of the connected unix socket as `SO_PEERCRED` gives it: 0 for one in
/// a pid namespace the caller cannot see; `None` when the call fails.
pub fn peer_pid(socket: BorrowedFd<'_>) -> Option<i32> {
    // SOL_SOCKET and SO_PEERCRED, the same on x86_64 and aarch64; struct ucred is pid, uid,
    // gid as three 32-bit ints.
    const SOL_SOCKET: i32 = 1;
    const SO_PEERCRED: i32 = 17;
    let mut cred = [0u8; 12];
    let mut len = cred.len() as u32;
    // SAFETY: the kernel writes at most `len` bytes into `cred` and the new length into `len`.
    let done = unsafe {
        getsockopt(
            socket.as_raw_fd(),
            SOL_SOCKET,
            SO_PEERCRED,
            cred.as_mut_ptr(),
            &mut len,
        )
    };
    let pid = i32::from_ne_bytes([cred[0], cred[1], cred[2], cred[3]]);
    (done == 0 && len as usize == cred.len()).then_some(pid)
}

static CAUGHT: AtomicBool = AtomicBool::new(false);
static RESIZED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: i32) {
    CAUGHT.store(true, Ordering::Relaxed);
}

extern "C" fn on_resize(_: i32) {
    RESIZED.store(true, Ordering::Relaxed);
}

/// Installs `handler` for `sig`, interrupting the system call under way (no SA_RESTART)
/// instead of restarting it.
fn install(sig: Signal, handler: extern "C" fn(i32)) {
    // SAFETY: every handler given here only stores to an atomic, which is async-signal-safe.
    unsafe {
        signal(sig.as_raw(), handler);
        siginterrupt(sig.as_raw(), 1);
    }
}

/// Catches `signals`: their arrival only sets a flag ([`caught`]).
pub fn catch(signals: &[Signal]) {
    for &sig in signals {
        install(sig, on_signal);
    }
}

/// Whether a signal given to [`catch`] has arrived.
pub fn caught() -> bool {
    CAUGHT.load(Ordering::Relaxed)
}

/// Catches SIGWINCH (the terminal changed size): it sets a flag ([`take_resized`]).
pub fn catch_resize() {
    install(Signal::WINCH, on_resize);
}

/// Whether SIGWINCH arrived since the last call.
pub fn take_resized() -> bool {
    RESIZED.swap(false, Ordering::Relaxed)
}
