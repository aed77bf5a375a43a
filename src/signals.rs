//! Ending `sample`, `watch` and `top` cleanly on SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal
//! closed, or a supervisor asking to stop): the handler only
//! records that a stop was asked for; the loops check it between passes, and the sleep until
//! the next pass returns early when a signal arrives. The handlers do not restart system
//! calls: a call that blocks (on a file a target serves, say) returns EINTR and the command
//! ends, instead of going back to wait.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static RESIZED: AtomicBool = AtomicBool::new(false);

unsafe extern "C" {
    /// libc's `signal(2)`, from the C library std links (musl or glibc); rustix offers no
    /// safe way to install a handler.
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    /// libc's `siginterrupt(3)`: with `flag` 1, the handler of `signum` no longer has
    /// SA_RESTART, which `signal` sets.
    fn siginterrupt(signum: i32, flag: i32) -> i32;
}

extern "C" fn on_signal(_: i32) {
    STOP.store(true, Ordering::Relaxed);
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP.
///
/// SIGPIPE stays ignored, as Rust's runtime sets it: a closed output pipe shows as EPIPE on
/// the next write, which ends tsnap quietly with status 0, and `kill -PIPE` does nothing.
pub fn install() {
    use rustix::process::Signal;
    for sig in [Signal::INT, Signal::TERM, Signal::HUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            signal(sig.as_raw(), on_signal);
            siginterrupt(sig.as_raw(), 1);
        }
    }
}

extern "C" fn on_resize(_: i32) {
    RESIZED.store(true, Ordering::Relaxed);
}

/// For `top`: notes SIGWINCH (the terminal changed size), which also interrupts the wait for
/// a key, so that the screen is drawn again at the new size at once.
pub fn watch_resize() {
    let sig = rustix::process::Signal::WINCH.as_raw();
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        signal(sig, on_resize);
        siginterrupt(sig, 1);
    }
}

/// Whether the terminal changed size since the last call.
pub fn resized() -> bool {
    RESIZED.swap(false, Ordering::Relaxed)
}

/// Whether SIGINT, SIGTERM or SIGHUP has arrived.
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Sleeps until CLOCK_MONOTONIC reaches `deadline_ns`, or a signal arrives.
pub fn sleep_until(deadline_ns: u64) {
    let t = rustix::time::Timespec {
        tv_sec: (deadline_ns / 1_000_000_000) as i64,
        tv_nsec: (deadline_ns % 1_000_000_000) as _,
    };
    while !stopped() {
        match rustix::thread::clock_nanosleep_absolute(rustix::time::ClockId::Monotonic, &t) {
            Err(rustix::io::Errno::INTR) => continue,
            _ => return,
        }
    }
}
