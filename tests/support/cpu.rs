//! What the kernel says a thread got of the CPU, read by the test itself, to judge a CPU
//! figure of tsnap's on a machine that other work shares: not "a spinner gets over half a
//! CPU" (false when the machine is busy) but "tsnap's figure is what the kernel gave the
//! thread over the same time".

use std::time::Instant;

/// How far tsnap's percentages may stray from the bounds below: it reads the thread at
/// slightly other moments than the test, and a lifetime figure is counted in clock ticks.
pub const SLOP: f64 = 6.0;

/// The CPU time thread `tid` of process `pid` has had and the time it has waited on a run
/// queue, in ns (`schedstat`'s first two fields).
pub fn thread_ns(pid: u32, tid: u64) -> (u64, u64) {
    let path = format!("/proc/{pid}/task/{tid}/schedstat");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut fields = text.split_whitespace().map(|n| n.parse().ok());
    match (fields.next().flatten(), fields.next().flatten()) {
        (Some(cpu), Some(wait)) => (cpu, wait),
        _ => panic!("{path}: {text:?}"),
    }
}

/// A time over which the test reads what the kernel gave one thread, around a run of tsnap
/// that measures it over an inner window.
pub struct Window {
    pid: u32,
    tid: u64,
    started: Instant,
    cpu_ns: u64,
    wait_ns: u64,
}

/// What the thread got over a [`Window`].
#[derive(Debug, Clone, Copy)]
pub struct Got {
    /// Its CPU time over the window, in ns.
    pub cpu_ns: u64,
    /// Its time waiting on a run queue over the window, in ns.
    pub wait_ns: u64,
    /// The window's length, in ns.
    pub wall_ns: u64,
}

impl Window {
    pub fn open(pid: u32, tid: u64) -> Window {
        let (cpu_ns, wait_ns) = thread_ns(pid, tid);
        Window {
            pid,
            tid,
            cpu_ns,
            wait_ns,
            started: Instant::now(),
        }
    }

    pub fn close(self) -> Got {
        let wall_ns = self.started.elapsed().as_nanos() as u64;
        let (cpu_ns, wait_ns) = thread_ns(self.pid, self.tid);
        Got {
            cpu_ns: cpu_ns - self.cpu_ns,
            wait_ns: wait_ns - self.wait_ns,
            wall_ns,
        }
    }
}

impl Got {
    /// The percent of one CPU that the thread can have had over any `inner` seconds of the
    /// window: no more than all the CPU time it got over the window, and no less than the
    /// inner time minus all the time it spent off the CPU over the window.
    pub fn bounds(&self, inner: f64) -> (f64, f64) {
        share_bounds(self.cpu_ns, self.wall_ns, inner)
    }

    /// Fails unless `pcpu`, tsnap's figure over `inner` seconds of the window, is within
    /// [`Got::bounds`].
    #[track_caller]
    pub fn assert_inner(&self, pcpu: f64, inner: f64, what: &str) {
        assert_within(
            pcpu,
            self.bounds(inner),
            "CPU",
            self.cpu_ns,
            self.wall_ns,
            inner,
            what,
        );
    }

    /// Fails unless `runq`, tsnap's percent of `inner` seconds of the window spent waiting on
    /// a run queue, is within what the kernel says of the whole window, as [`Got::bounds`].
    #[track_caller]
    pub fn assert_runq(&self, runq: f64, inner: f64, what: &str) {
        let bounds = share_bounds(self.wait_ns, self.wall_ns, inner);
        assert_within(
            runq,
            bounds,
            "run-queue wait",
            self.wait_ns,
            self.wall_ns,
            inner,
            what,
        );
    }
}

/// Bounds of the share of any `inner` seconds that a thread spent doing something it did for
/// `part_ns` of a window of `wall_ns`.
fn share_bounds(part_ns: u64, wall_ns: u64, inner: f64) -> (f64, f64) {
    let inner_ns = inner * 1e9;
    let rest_ns = wall_ns.saturating_sub(part_ns) as f64;
    let low = 100.0 * (1.0 - rest_ns / inner_ns);
    let high = 100.0 * part_ns as f64 / inner_ns;
    (low.max(0.0), high.min(100.0))
}

#[track_caller]
fn assert_within(
    value: f64,
    (low, high): (f64, f64),
    what_of: &str,
    part_ns: u64,
    wall_ns: u64,
    inner: f64,
    what: &str,
) {
    assert!(
        (low - SLOP..=high + SLOP).contains(&value),
        "{what}: {value}% over {inner} s, but the kernel counted {:.3} s of {what_of} in {:.3} s \
         around it: between {low:.1}% and {high:.1}%",
        part_ns as f64 / 1e9,
        wall_ns as f64 / 1e9,
    );
}

/// A thread's lifetime CPU share as `ps` counts it, read twice: `(cpu ticks, age in ticks)`
/// from its `stat` and the time since boot.
pub fn lifetime(pid: u32, tid: u64) -> (u64, f64) {
    let path = format!("/proc/{pid}/task/{tid}/stat");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    // After the comm: state is field 3, utime 14, stime 15 and starttime 22.
    let field = |n: usize| -> u64 { fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap() };
    let hz = ticks_per_sec();
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    assert_eq!(
        // SAFETY: `now` is a valid timespec for clock_gettime to write.
        unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut now) },
        0
    );
    let uptime = now.tv_sec as f64 + now.tv_nsec as f64 / 1e9;
    (field(14) + field(15), uptime * hz - field(22) as f64)
}

/// The lifetime percent of one CPU a thread can have shown between two [`lifetime`] reads:
/// its CPU time grows and so does its age.
pub fn lifetime_bounds(before: (u64, f64), after: (u64, f64)) -> (f64, f64) {
    let low = 100.0 * before.0 as f64 / after.1;
    let high = 100.0 * after.0 as f64 / before.1.max(1.0);
    (low, high.min(100.0))
}

fn ticks_per_sec() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}
