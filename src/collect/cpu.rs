//! The arithmetic of CPU windows: what a counter's growth since a thread's last pass is as a
//! percentage of the time between, and, with no window, the lifetime averages ps shows.

use crate::parse::io::Io;

/// The counters read in a thread's last pass, which start its next window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mark {
    /// When `schedstat` (or `stat`) was read, CLOCK_MONOTONIC ns.
    pub at: u64,
    pub cpu_ns: Option<u64>,
    pub wait_ns: Option<u64>,
    /// Voluntary and involuntary context switches.
    pub switches: Option<(u64, u64)>,
    /// The IO counters, and when they were read (CLOCK_MONOTONIC ns).
    pub io: Option<(u64, Io)>,
}

impl Mark {
    /// The growth of a counter from `before` (its value at this mark) to `value` (now), as
    /// a percentage of the time since the mark; none without both values or without time.
    pub fn window(&self, now: u64, value: Option<u64>, before: Option<u64>) -> Option<f64> {
        match (value, before) {
            (Some(v), Some(b)) if now > self.at => {
                Some(percent(v.saturating_sub(b), now - self.at))
            }
            _ => None,
        }
    }
}

/// `cpu_ns` as a percentage of `wall_ns`, at most 100.
pub fn percent(cpu_ns: u64, wall_ns: u64) -> f64 {
    if wall_ns == 0 {
        return 0.0;
    }
    (cpu_ns as f64 * 100.0 / wall_ns as f64).clamp(0.0, 100.0)
}

/// Clock ticks (`stat`'s unit) in ns.
pub fn ticks_ns(ticks: u64, ticks_per_sec: u64) -> u64 {
    ticks.saturating_mul(1_000_000_000) / ticks_per_sec.max(1)
}

/// How long a thread started `starttime` ticks after boot has lived, `uptime_ns` after boot.
pub fn age_ns(uptime_ns: u64, starttime: u64, ticks_per_sec: u64) -> u64 {
    uptime_ns.saturating_sub(ticks_ns(starttime, ticks_per_sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_lifetimes() {
        assert_eq!(percent(50, 100), 50.0);
        assert_eq!(percent(500, 100), 100.0);
        assert_eq!(percent(1, 0), 0.0);
        let mark = Mark {
            at: 1_000,
            cpu_ns: Some(200),
            ..Mark::default()
        };
        assert_eq!(mark.window(2_000, Some(450), mark.cpu_ns), Some(25.0));
        assert_eq!(mark.window(2_000, Some(100), mark.cpu_ns), Some(0.0));
        assert_eq!(mark.window(1_000, Some(450), mark.cpu_ns), None, "no time");
        assert_eq!(mark.window(2_000, Some(450), None), None, "no start");
        assert_eq!(ticks_ns(250, 100), 2_500_000_000);
        // Started 1 s after boot, 3 s ago at 4 s of uptime.
        assert_eq!(age_ns(4_000_000_000, 100, 100), 3_000_000_000);
        assert_eq!(age_ns(0, 100, 100), 0);
    }
}
