//! `tsnap [snap]`: the threads running (R) or in uninterruptible sleep (D) now, or all of
//! them with `-a`, one row each, after a block for each cgroup they live in.

use super::{print_problems, sleep, start, write_cgroups};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::collect::{Options, Pass};
use crate::columns::{self, Column, Needs};
use crate::error::Error;
use crate::output::{Field, Format, Grid, Out};
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
    let mut grid = grid_for(&args.columns, args.format);
    fill(&mut grid, &args.columns, &rows);
    grid.write(args.format, true, &mut out.buf);
    out.flush()?;
    if rows.rows.is_empty() && !args.all && args.format == Format::Table {
        eprintln!("tsnap: no thread is running or in uninterruptible sleep (-a shows them all)");
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

/// A grid with one field per column; in tables, kstack goes on its own line.
pub fn grid_for(columns: &[Column], format: Format) -> Grid {
    Grid::new(
        columns
            .iter()
            .map(|&c| Field {
                name: c.name(),
                numeric: c.info().numeric,
                own_line: format == Format::Table && c == Column::Kstack,
            })
            .collect(),
    )
}

/// Renders every row's `columns` into the grid.
pub fn fill(grid: &mut Grid, columns: &[Column], rows: &Rows) {
    grid.clear();
    for row in &rows.rows {
        for &c in columns {
            grid.push(|out| columns::render(c, row, rows, out));
        }
    }
}
