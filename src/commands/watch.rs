//! `tsnap watch`: a snapshot of the active threads every interval, each row stamped with the
//! time, to the terminal or (xcapture's `-o`) into hourly CSV files.

use super::rows::RowWriter;
use super::{print_problems, relist, start_passes};
use crate::cli::Args;
use crate::clock::{self, monotonic_ns};
use crate::collect::Pass;
use crate::columns::Needs;
use crate::error::Error;
use crate::output::{Format, Out};
use crate::row::Rows;
use crate::signals;
use std::path::{Path, PathBuf};

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let mut hourly = args.output_dir.as_deref().map(Hourly::new).transpose()?;
    let (mut collector, mut saver) = start_passes(args, Needs::NONE)?;
    let format = if hourly.is_some() {
        Format::Csv
    } else {
        args.format
    };
    let mut writer = RowWriter::new(&args.columns, format, true);
    let mut rows = Rows::default();
    let mut time = Vec::new();
    let period = (args.interval * 1e9) as u64;
    let end = args.duration.map(|d| (d * 1e9) as u64);
    let begin = monotonic_ns();
    // The first snapshot's pcpu is measured over the first interval.
    collector.pass(Pass::Baseline, &mut rows);
    let mut pass = 0u64;
    let mut slot = 1u64;
    loop {
        let due = slot * period;
        if end.is_some_and(|end| due > end) {
            break;
        }
        signals::sleep_until(begin + due);
        if signals::stopped() {
            break;
        }
        // After an overrun, the next snapshot is the next slot still ahead.
        slot = ((monotonic_ns() - begin) / period + 1).max(slot + 1);
        relist(&mut collector)?;
        if args.selection.fixed() && collector.process_count() == 0 {
            crate::output::warn("every selected process has exited: nothing left to watch");
            break;
        }
        collector.pass(Pass::Full, &mut rows);
        pass += 1;
        let (secs, nanos) = clock::now();
        time.clear();
        clock::push_iso8601(&mut time, secs, nanos);
        if let Some(saver) = &mut saver {
            saver.pass(pass, &time, &rows)?;
        }
        match &mut hourly {
            Some(h) => h.write(secs, &mut writer, &rows, &time)?,
            None => {
                if format == Format::Table && pass > 1 {
                    out.buf.push(b'\n');
                }
                writer.write(out, &rows, &time, format == Format::Table || pass == 1)?;
                out.flush()?;
            }
        }
    }
    print_problems(&collector, "thread snapshots");
    Ok(())
}

/// xcapture's output files: `DIR/tsnap-YYYY-MM-DD.HH.csv`, one an hour (local time), each
/// with a header, appended to when it exists so a restarted watch loses nothing.
struct Hourly {
    dir: PathBuf,
    name: Vec<u8>,
    file: Option<(Vec<u8>, Out)>,
}

impl Hourly {
    fn new(dir: &Path) -> Result<Hourly, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Fatal(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Hourly {
            dir: dir.to_path_buf(),
            name: Vec::new(),
            file: None,
        })
    }

    /// Appends the rows to the file of the hour of `secs`.
    fn write(
        &mut self,
        secs: i64,
        writer: &mut RowWriter,
        rows: &Rows,
        time: &[u8],
    ) -> Result<(), Error> {
        self.name.clear();
        self.name.extend_from_slice(b"tsnap-");
        clock::push_hour(&mut self.name, secs);
        self.name.extend_from_slice(b".csv");
        if self
            .file
            .as_ref()
            .is_none_or(|(name, _)| *name != self.name)
        {
            let path = self.dir.join(String::from_utf8_lossy(&self.name).as_ref());
            self.file = Some((self.name.clone(), Out::append_to(&path)?));
        }
        match &mut self.file {
            Some((_, out)) => {
                let header = out.is_new_file();
                writer.write(out, rows, time, header)?;
                out.flush()
            }
            None => Ok(()),
        }
    }
}
