//! Ending `sample`, `watch` and `top` cleanly on SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal
//! closed, or a supervisor asking to stop): the handler only
//! records that a stop was asked for; the loops check it between passes, and the sleep until
//! the next pass returns early when a signal arrives. The handlers do not restart system
//! calls: a call that blocks (on a file a target serves, say) returns EINTR and the command
//! ends, instead of going back to wait.

use crate::sys;

/// Installs the handler for SIGINT, SIGTERM and SIGHUP.
///
/// SIGPIPE stays ignored, as Rust's runtime sets it: a closed output pipe shows as EPIPE on
/// the next write, which ends tsnap quietly with status 0, and `kill -PIPE` does nothing.
pub fn install() {
    use rustix::process::Signal;
    sys::catch(&[Signal::INT, Signal::TERM, Signal::HUP]);
}

/// For `top`: notes SIGWINCH (the terminal changed size), which also interrupts the wait for
/// a key, so that the screen is drawn again at the new size at once.
pub fn watch_resize() {
    sys::catch_resize();
}

/// Whether the terminal changed size since the last call.
pub fn resized() -> bool {
    sys::take_resized()
}

/// Whether SIGINT, SIGTERM or SIGHUP has arrived.
pub fn stopped() -> bool {
    sys::caught()
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
