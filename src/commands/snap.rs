//! `tsnap [snap]`: the threads running (R) or in uninterruptible sleep (D) now, or all of
//! them with `-a`, one row each, after a block for each cgroup they live in.

use super::{print_problems, sleep, start, write_cgroups};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::collect::{Options, Pass};
use crate::columns::{self, Column, Kind, Needs};
use crate::error::Error;
use crate::output::{Field, Format, Grid, Out, Stream};
use crate::row::Rows;

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let needs = columns::needs(&args.columns).union(Needs::CGROUP);
    let mut collector = start(
        &args.proc_root,
        Options {
            selection: args.selection.clone(),
            needs,
            all_states: args.all,
            cache_files: args.interval > 0.0,
        },
    )?;
    let mut cgroups = CgroupWindow::new(collector.root(), &args.sys_root);
    cgroups.track(collector.cgroups());
    let window = args.interval > 0.0 && (needs.any(Needs::WINDOWED) || !cgroups.is_empty());
    let mut rows = Rows::default();
    if window {
        cgroups.start();
        collector.pass(Pass::Baseline, &mut rows);
        sleep(args.interval);
        refresh(&mut collector)?;
    }
    collector.pass(Pass::Full, &mut rows);
    cgroups.track(collector.cgroups());
    cgroups.finish();

    write_cgroups(&cgroups, &rows.rows, args.format, out);
    RowWriter::new(&args.columns, args.format, false).write(out, &rows, b"", true)?;
    out.flush()?;
    if rows.rows.is_empty() && !args.all && args.format == Format::Table {
        crate::output::warn("no thread is running or in uninterruptible sleep (-a shows them all)");
    }
    print_problems(&collector.problems, collector.root(), "threads");
    Ok(())
}

/// Lists processes and threads again after the window, to show those born during it.
pub fn refresh(collector: &mut crate::collect::Collector) -> Result<(), Error> {
    collector.refresh().map_err(|e| {
        Error::Fatal(format!(
            "cannot list processes: {}",
            crate::problems::errno_name(e)
        ))
    })
}

/// Writes sets of rows in one format, each row led by a time when asked: a table goes through
/// a [`Grid`] for its column widths, CSV and JSON are streamed out in chunks.
pub struct RowWriter {
    columns: Vec<Column>,
    format: Format,
    timed: bool,
    grid: Grid,
    stream: Stream,
}

impl RowWriter {
    pub fn new(columns: &[Column], format: Format, timed: bool) -> RowWriter {
        let mut fields = Vec::new();
        if timed {
            fields.push(Field {
                name: "time",
                numeric: false,
                own_line: false,
            });
        }
        fields.extend(columns.iter().map(|&c| Field {
            name: c.name(),
            numeric: c.info().numeric,
            own_line: format == Format::Table && c == Column::Kstack,
        }));
        RowWriter {
            columns: columns.to_vec(),
            format,
            timed,
            grid: Grid::new(fields.clone()),
            stream: Stream::new(fields, format),
        }
    }

    /// Writes `rows` (with `time` first when timed); `header` adds the table or CSV header.
    pub fn write(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
    ) -> Result<(), Error> {
        let shift = usize::from(self.timed);
        let columns = &self.columns;
        let cell = |i: usize, row, buf: &mut Vec<u8>| match i.checked_sub(shift) {
            Some(c) => columns::render(columns[c], row, rows, buf),
            None => {
                buf.extend_from_slice(time);
                Kind::Text
            }
        };
        if self.format == Format::Table {
            self.grid.clear();
            for row in &rows.rows {
                for i in 0..columns.len() + shift {
                    self.grid.push(|buf| cell(i, row, buf));
                }
            }
            self.grid.write(Format::Table, header, &mut out.buf);
            return Ok(());
        }
        if header {
            self.stream.header(&mut out.buf);
        }
        for row in &rows.rows {
            self.stream.row(&mut out.buf, |i, buf| cell(i, row, buf));
            out.maybe_flush()?;
        }
        Ok(())
    }
}
