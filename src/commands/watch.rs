//! `tsnap watch`: a snapshot of the active threads every interval, each row stamped with the
//! time, host, container and pod, to the terminal or (xcapture's `-o`) into hourly files.

use super::hourly::Hourly;
use super::java_time::JavaOverTime;
use super::rows::RowWriter;
use super::schedule::Schedule;
use super::schedule::Throttling;
use super::session::{print_problems, relist_changed, start_passes, table_width};
use crate::cli::Args;
use crate::clock::{self, monotonic_ns};
use crate::collect::Pass;
use crate::columns::Needs;
use crate::error::Error;
use crate::output::{Format, Out};
use crate::row::Rows;

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let hourly = (args.output_dir.as_deref())
        .map(|dir| Hourly::new(dir, args.format, args.keep_hours, args.max_mb, args.mode))
        .transpose()?;
    let (mut collector, mut saver) = start_passes(args, Needs::CGROUP)?;
    let format = match (&hourly, args.format) {
        (Some(_), Format::Table) => Format::Csv,
        (_, format) => format,
    };
    let mut shown = Shown::new(args, format, hourly);
    let mut rows = Rows::default();
    let mut time = Vec::new();
    let period = (args.interval * 1e9) as u64;
    // The first slot is one interval in; a slot due after the duration is not made.
    let end = args.duration.map(|d| (d * 1e9) as u64 / period + 1);
    let mut schedule = Schedule::new(period, 1, end);
    // The first snapshot's pcpu is measured over the first interval.
    collector.pass(Pass::Baseline, &mut rows);
    let mut throttling = Throttling::start(args, &args.columns, &collector);
    let mut java = (args.java)
        .map(|timeout| JavaOverTime::start(&collector, args, timeout))
        .transpose()?;
    let mut pass = 0u64;
    while schedule.wait() {
        // After an overrun, the next snapshot is the next slot still ahead.
        schedule.advance(monotonic_ns());
        relist_changed(&mut collector)?;
        if args.selection.fixed() && collector.process_count() == 0 {
            crate::output::warn("every selected process has exited: nothing left to watch");
            break;
        }
        collector.forget_sockets();
        collector.pass(Pass::Full, &mut rows);
        throttling.measure(&collector, &mut rows);
        if let Some(java) = &mut java {
            java.annotate(&mut rows);
        }
        pass += 1;
        let (secs, nanos) = clock::now();
        time.clear();
        clock::push_iso8601(&mut time, secs, nanos);
        if let Some(saver) = &mut saver {
            saver.pass(pass, &time, &rows)?;
        }
        shown.write(out, &rows, &time, (secs, nanos), pass)?;
    }
    if let Some(java) = &mut java {
        java.stop();
    }
    print_problems(&collector, "thread snapshots");
    Ok(())
}

/// Where and how the snapshots are shown: to the terminal (or a pipe), or into hourly files.
struct Shown {
    writer: RowWriter,
    hourly: Option<Hourly>,
    format: Format,
    /// On a terminal: the time of day, and the lead fields left out while all rows agree.
    compact: bool,
    /// The time a snapshot is shown with, its buffer kept.
    shown_time: Vec<u8>,
}

impl Shown {
    fn new(args: &Args, format: Format, hourly: Option<Hourly>) -> Shown {
        let mut writer = RowWriter::identified(&args.columns, format, &super::session::host(args))
            .shown(&args.sort, args.top)
            .headers(!args.no_headers)
            .tally(hourly.is_none() && format == Format::Table)
            .fit(table_width(args));
        let compact = hourly.is_none() && table_width(args).is_some();
        if compact {
            writer = writer.same_left_out(&args.columns);
        }
        Shown {
            writer,
            hourly,
            format,
            compact,
            shown_time: Vec::new(),
        }
    }

    /// Shows the `pass`th snapshot, taken at `time` (`secs`, `nanos`).
    fn write(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        (secs, nanos): (i64, u32),
        pass: u64,
    ) -> Result<(), Error> {
        let format = self.format;
        self.shown_time.clear();
        match self.compact {
            true => clock::push_time_of_day(&mut self.shown_time, secs, nanos),
            false => self.shown_time.extend_from_slice(time),
        }
        match &mut self.hourly {
            Some(h) => h.write(secs, &mut self.writer, rows, time)?,
            None => {
                if format == Format::Table && pass > 1 {
                    out.buf.push(b'\n');
                }
                self.writer.write(
                    out,
                    rows,
                    &self.shown_time,
                    format == Format::Table || pass == 1,
                )?;
                out.flush()?;
            }
        }
        Ok(())
    }
}
