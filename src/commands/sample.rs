//! `tsnap sample`: passes at a fixed rate for a while, each row counted in its group, then
//! psn's report, and what the cgroups of the sampled processes did over the whole run.
//! Passes are scheduled on absolute times (start + k/hz): a pass that overruns makes the next
//! one late, and slots missed meanwhile are counted, never made up.

use super::{print_problems, start_passes, write_cgroups};
use crate::aggregate::{Aggregate, push_hundredths};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::clock;
use crate::collect::{Pass, monotonic_ns};
use crate::columns::Needs;
use crate::error::Error;
use crate::histogram::Histogram;
use crate::output::json::JsonLine;
use crate::output::{Format, Out};
use crate::row::Rows;
use crate::signals;

/// Processes and threads that appear are picked up at least this often.
const REFRESH_NS: u64 = 500_000_000;

/// What a sampling run did, for the footer.
struct Summary {
    passes: u64,
    expected: u64,
    missed: u64,
    wall_ns: u64,
    busy_ns: u64,
    /// Times of the passes in µs, re-listing excluded, for their median.
    pass_us: Histogram,
    interrupted: bool,
}

impl Summary {
    fn median_pass_us(&self) -> u32 {
        self.pass_us.median()
    }
}

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let (mut collector, mut saver) = start_passes(args, Needs::CGROUP)?;
    let mut cgroups = CgroupWindow::new(collector.root(), &args.sys_root);
    cgroups.track(collector.cgroups());
    cgroups.start();
    let mut aggregate = Aggregate::new(args.columns.clone(), args.exact);
    let mut rows = Rows::default();
    let mut time = Vec::new();

    let period = 1_000_000_000 / u64::from(args.hz);
    let duration = (args.duration.unwrap_or(5.0) * 1e9) as u64;
    let expected = duration.div_ceil(period);
    let begin = monotonic_ns();
    let mut last_refresh = begin;
    let mut summary = Summary {
        passes: 0,
        expected,
        missed: 0,
        wall_ns: 0,
        busy_ns: 0,
        pass_us: Histogram::default(),
        interrupted: false,
    };
    let mut slot = 0;
    while slot < expected {
        signals::sleep_until(begin + slot * period);
        if signals::stopped() {
            summary.interrupted = true;
            break;
        }
        let t0 = monotonic_ns();
        if t0 - last_refresh >= REFRESH_NS {
            super::snap::refresh(&mut collector)?;
            cgroups.track(collector.cgroups());
            last_refresh = t0;
        }
        let pass_start = monotonic_ns();
        collector.pass(Pass::Full, &mut rows);
        aggregate.add_rows(&rows);
        summary.passes += 1;
        let pass_us = (monotonic_ns() - pass_start) / 1000;
        summary
            .pass_us
            .add(u32::try_from(pass_us).unwrap_or(u32::MAX));
        if let Some(saver) = &mut saver {
            let (secs, nanos) = clock::now();
            time.clear();
            clock::push_iso8601(&mut time, secs, nanos);
            saver.pass(summary.passes, &time, &rows)?;
        }
        let t1 = monotonic_ns();
        summary.busy_ns += t1 - t0;
        // The next slot still ahead; those that went by during this pass are missed.
        let next = ((t1 - begin) / period + 1).max(slot + 1);
        summary.missed += next.min(expected) - (slot + 1);
        slot = next;
    }
    summary.wall_ns = monotonic_ns() - begin;
    cgroups.finish();
    if signals::stopped() {
        summary.interrupted = true;
    }

    let mut grid = aggregate.grid(summary.passes);
    match args.format {
        Format::Table => {
            title(&mut out.buf, args, &summary);
            grid.write(Format::Table, true, &mut out.buf);
            out.buf.push(b'\n');
            footer(&mut out.buf, &mut summary, &collector);
            out.buf.push(b'\n');
            write_cgroups(&cgroups, &rows.rows, Format::Table, out);
            // The blocks end with the blank line that would part them from a table.
            if out.buf.ends_with(b"\n\n") {
                out.buf.pop();
            }
        }
        Format::Csv => {
            grid.write(Format::Csv, true, &mut out.buf);
            let mut text = Vec::new();
            footer(&mut text, &mut summary, &collector);
            crate::output::stderr(&text);
            write_cgroups(&cgroups, &rows.rows, Format::Csv, out);
        }
        Format::Json => {
            grid.write(Format::Json, true, &mut out.buf);
            write_cgroups(&cgroups, &rows.rows, Format::Json, out);
            summary_json(&mut out.buf, &mut summary, &collector);
        }
    }
    out.flush()?;
    print_problems(&collector.problems, collector.root(), "thread samples");
    Ok(())
}

fn title(out: &mut Vec<u8>, args: &Args, s: &Summary) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(if args.all {
        b"=== All threads: " as &[u8]
    } else {
        b"=== Active threads (R, D): "
    });
    out.extend_from_slice(num.format(s.passes).as_bytes());
    out.extend_from_slice(b" passes at ");
    out.extend_from_slice(num.format(args.hz).as_bytes());
    out.extend_from_slice(b" Hz ===\n\n");
}

fn footer(out: &mut Vec<u8>, s: &mut Summary, c: &crate::collect::Collector) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(b"passes: ");
    out.extend_from_slice(num.format(s.passes).as_bytes());
    out.extend_from_slice(b" taken of ");
    out.extend_from_slice(num.format(s.expected).as_bytes());
    out.extend_from_slice(b" expected, ");
    out.extend_from_slice(num.format(s.missed).as_bytes());
    out.extend_from_slice(b" missed\nseen: processes ");
    out.extend_from_slice(num.format(c.seen.processes).as_bytes());
    out.extend_from_slice(b", threads ");
    out.extend_from_slice(num.format(c.seen.threads).as_bytes());
    out.extend_from_slice(b"\ntime: ");
    push_hundredths(out, s.wall_ns, 1_000_000_000);
    out.extend_from_slice(b" s wall, ");
    push_hundredths(out, s.busy_ns, 1_000_000_000);
    out.extend_from_slice(b" s in passes (");
    push_hundredths(out, s.busy_ns * 100, s.wall_ns.max(1));
    out.extend_from_slice(b"%), a pass ");
    push_hundredths(out, u64::from(s.median_pass_us()), 1000);
    out.extend_from_slice(b" ms (median)\n");
    if c.seen.uncached_reads > 0 {
        out.extend_from_slice(b"files: ");
        out.extend_from_slice(num.format(c.seen.uncached_reads).as_bytes());
        out.extend_from_slice(
            b" reads reopened their file: not enough file descriptors to keep every file open\n",
        );
    }
    if s.interrupted {
        out.extend_from_slice(b"interrupted: sampling ended early by a signal\n");
    }
}

fn summary_json(out: &mut Vec<u8>, s: &mut Summary, c: &crate::collect::Collector) {
    let mut line = JsonLine::new(out);
    line.text("type", b"summary")
        .number("passes", s.passes)
        .number("expected", s.expected)
        .number("missed", s.missed)
        .number("processes", c.seen.processes)
        .number("threads", c.seen.threads)
        .number("wall_ms", s.wall_ns / 1_000_000)
        .number("busy_ms", s.busy_ns / 1_000_000)
        .number("pass_us_median", s.median_pass_us())
        .number("uncached_reads", c.seen.uncached_reads)
        .boolean("interrupted", s.interrupted);
    line.end();
}
