//! `tsnap [snap]`: the threads running (R) or in uninterruptible sleep (D) now, or all of
//! them with `-a`, one row each, after a block for each cgroup they live in.

use super::rows::RowWriter;
use super::{
    fill_throttled, print_problems, relist_after_wait, sleep, start, table_width, write_cgroups,
};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::collect::{Options, Pass};
use crate::columns::{self, Column, Needs};
use crate::error::Error;
use crate::output::{Format, Out};
use crate::row::Rows;

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let needs = columns::needs(&args.columns)
        .union(columns::needs(&args.sort_columns()))
        .union(Needs::CGROUP);
    let mut collector = start(
        &args.proc_root,
        Options {
            selection: args.selection.clone(),
            needs,
            all_states: args.all,
            cache_files: args.interval > 0.0,
        },
    )?;
    let mut cgroups = CgroupWindow::new(collector.mount().mountinfo(), &args.sys_root);
    cgroups.track(collector.cgroups());
    let window = args.interval > 0.0 && (needs.any(Needs::WINDOWED) || !cgroups.is_empty());
    let mut rows = Rows::default();
    if window {
        cgroups.start();
        collector.pass(Pass::Baseline, &mut rows);
        sleep(args.interval);
        relist_after_wait(&mut collector, &args.selection)?;
    }
    collector.pass(Pass::Full, &mut rows);
    cgroups.track(collector.cgroups());
    cgroups.finish();
    if args.columns.contains(&Column::Throttled) {
        fill_throttled(&cgroups, &mut rows);
    }

    write_cgroups(&cgroups, &rows.rows, args.format, out);
    RowWriter::new(&args.columns, args.format, false)
        .shown(&args.sort, args.top)
        .headers(!args.no_headers)
        .tally(true)
        .fit(table_width(args))
        .write(out, &rows, b"", true)?;
    out.flush()?;
    if rows.rows.is_empty() && !args.all && args.format == Format::Table {
        crate::output::warn("no thread is running or in uninterruptible sleep (-a shows them all)");
    }
    print_problems(&collector, "threads");
    Ok(())
}
