//! When the passes of `sample`, `watch` and `top` are made: on absolute slots (start +
//! k × period), so that a pass's own time does not drift the rate; a pass that overruns
//! makes the next one late, and slots missed meanwhile are counted, never made up. And the
//! `throttled` column over passes.

use crate::cgroup::CgroupWindow;
use crate::cgroup::blocks::fill_throttled;
use crate::cli::Args;
use crate::clock::monotonic_ns;
use crate::collect::Collector;
use crate::columns::Column;
use crate::row::Rows;
use crate::signals;

/// Processes that appear (and new matches of `-C`) are picked up at least this often; the
/// threads of the selected processes are listed again every pass.
const REFRESH_NS: u64 = 500_000_000;

/// The slots of a run, from its start.
pub struct Schedule {
    begin: u64,
    period: u64,
    /// The slot the next pass is due at.
    slot: u64,
    /// The first slot past the run's end, if it has one.
    end: Option<u64>,
    /// Slots that went by during passes, with no pass of their own.
    pub missed: u64,
    last_refresh: u64,
}

impl Schedule {
    /// Slots `period` ns apart from now, the first at `first` (0: now), the last before
    /// `end`.
    pub fn new(period: u64, first: u64, end: Option<u64>) -> Schedule {
        let begin = monotonic_ns();
        Schedule {
            begin,
            period,
            slot: first,
            end,
            missed: 0,
            last_refresh: begin,
        }
    }

    /// The monotonic time the run started at.
    pub fn begin(&self) -> u64 {
        self.begin
    }

    /// The monotonic time the next pass is due at.
    pub fn due(&self) -> u64 {
        self.begin + self.slot * self.period
    }

    /// Sleeps until the next slot; false when the run has no slot left or a signal ended it.
    pub fn wait(&self) -> bool {
        if self.end.is_some_and(|end| self.slot >= end) {
            return false;
        }
        signals::sleep_until(self.due());
        !signals::stopped()
    }

    /// Whether the processes are to be listed again at `now` (every [`REFRESH_NS`]); if so,
    /// the next refresh is counted from `now`.
    pub fn refresh(&mut self, now: u64) -> bool {
        let due = now - self.last_refresh >= REFRESH_NS;
        if due {
            self.last_refresh = now;
        }
        due
    }

    /// Moves to the next slot still ahead of `now`; those that went by are missed.
    pub fn advance(&mut self, now: u64) {
        let next = ((now - self.begin) / self.period + 1).max(self.slot + 1);
        let last = self.end.map_or(next, |end| next.min(end));
        self.missed += last.saturating_sub(self.slot + 1);
        self.slot = next;
    }
}

/// The `throttled` column over passes: the cgroups of the selected processes read at each
/// pass, each pass's window starting at the last; nothing when the column is not asked for.
pub struct Throttling(Option<CgroupWindow>);

impl Throttling {
    /// Takes the first reading, for `columns` that ask for it.
    pub fn start(args: &Args, columns: &[Column], collector: &Collector) -> Throttling {
        Throttling(columns.contains(&Column::Throttled).then(|| {
            let mut cgroups = CgroupWindow::new(collector.mount().mountinfo(), &args.sys_root);
            cgroups.track(collector.cgroups());
            cgroups.start();
            cgroups
        }))
    }

    /// Reads the cgroups again and fills each row's `throttled` over the window since the
    /// last reading.
    pub fn measure(&mut self, collector: &Collector, rows: &mut Rows) {
        if let Some(cgroups) = &mut self.0 {
            cgroups.track(collector.cgroups());
            cgroups.finish();
            fill_throttled(cgroups, rows);
            cgroups.roll();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overrun_skips_to_the_next_slot_ahead_and_counts_those_missed() {
        let mut s = Schedule::new(10, 0, Some(5));
        let begin = s.begin();
        s.advance(begin + 3);
        assert_eq!((s.due(), s.missed), (begin + 10, 0));
        // The pass of slot 1 ends at 35: slots 2 and 3 went by, the next is 4.
        s.advance(begin + 35);
        assert_eq!((s.due(), s.missed), (begin + 40, 2));
        // Past the end: only the slots before it count as missed.
        s.advance(begin + 100);
        assert_eq!(s.missed, 2);
        assert!(!s.wait(), "no slot is left");
    }

    #[test]
    fn processes_are_listed_again_every_refresh_period() {
        let mut s = Schedule::new(10, 1, None);
        let begin = s.begin();
        assert!(!s.refresh(begin + REFRESH_NS - 1));
        assert!(s.refresh(begin + REFRESH_NS));
        assert!(!s.refresh(begin + REFRESH_NS + 1));
        assert!(s.refresh(begin + 2 * REFRESH_NS));
    }
}
