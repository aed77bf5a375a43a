//! `/proc/PID/task/TID/schedstat`: `RUN_NS WAIT_NS TIMESLICES`, time on a CPU and time waiting
//! in a run queue, in nanoseconds, and how many times it was put on a CPU: a thread asleep in
//! one call that is never woken keeps that count.

use super::{dec_u64, words};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// A thread's time on a CPU and waiting for one.
pub struct Schedstat {
    /// Nanoseconds run on a CPU.
    pub run_ns: u64,
    /// Nanoseconds waited in a run queue.
    pub wait_ns: u64,
    /// Missing before Linux 2.6.23's third field.
    pub slices: Option<u64>,
}

/// Parses the two times of `schedstat`; `None` unless both are numbers.
pub fn parse(buf: &[u8]) -> Option<Schedstat> {
    let mut w = words(buf);
    Some(Schedstat {
        run_ns: dec_u64(w.next()?)?,
        wait_ns: dec_u64(w.next()?)?,
        slices: w.next().and_then(dec_u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(
            parse(b"143488158 6511465 350\n"),
            Some(Schedstat {
                run_ns: 143_488_158,
                wait_ns: 6_511_465,
                slices: Some(350),
            })
        );
        assert_eq!(parse(b"717644 0 1\n").map(|s| s.run_ns), Some(717_644));
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"12"), None);
        assert_eq!(parse(b"1 2").map(|s| s.slices), Some(None));
        assert_eq!(parse(b"a b c"), None);
    }
}
