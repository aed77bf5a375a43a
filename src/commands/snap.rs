//! `tsnap [snap]`: the threads running (R) or in uninterruptible sleep (D) now, or all of
//! them with `-a`, one row each, after a block for each cgroup they live in.

use super::rows::RowWriter;
use super::session::{print_problems, relist_after_wait, sleep, start, table_width};
use crate::cgroup::CgroupWindow;
use crate::cgroup::blocks::{fill_throttled, write_cgroups};
use crate::cli::Args;
use crate::collect::Collector;
use crate::collect::{Options, Pass};
use crate::columns::{self, Column, Needs};
use crate::error::Error;
use crate::output::{Format, Out};
use crate::remote::RemoteMounts;
use crate::row::{Rows, Syscall};

/// The most processes the footer's command names.
const PIDS_NAMED: usize = 8;

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
    if !args.all {
        hung_mounts(&mut collector);
    }
    print_problems(&collector, "threads");
    Ok(())
}

/// Says how many threads sleep in calls on files of network or FUSE mounts, which a hung
/// server or daemon leaves in S, not shown without `-a`: where the processes see such a
/// mount, every thread's call and file is looked at once more (never the mount itself).
fn hung_mounts(collector: &mut Collector) {
    let mounts = RemoteMounts::read(collector.mount().fd(), collector.pids());
    if !mounts.any() {
        return;
    }
    let mut all = Rows::default();
    collector.probe(Needs::SYSCALL.union(Needs::FD), &mut all);
    let (mut count, mut pids, mut point) = (0, Vec::new(), Vec::new());
    for r in &all.rows {
        let asleep = matches!(r.state, b'S' | b'D') && matches!(r.syscall, Syscall::Call { .. });
        let file = r.filename.map(|f| all.text(f)).unwrap_or_default();
        if asleep && mounts.of(r.pid, file, &mut point).is_some() {
            count += 1;
            if pids.last() != Some(&r.pid) {
                pids.push(r.pid);
            }
        }
    }
    if count == 0 {
        return;
    }
    let listed: Vec<String> = pids.iter().take(PIDS_NAMED).map(u32::to_string).collect();
    let more = if pids.len() > PIDS_NAMED { ",..." } else { "" };
    crate::output::stderr(
        format!(
            "{count} threads asleep in file-system calls on network or FUSE mounts: tsnap -a -p {}{more} -o pid,tid,state,syscall,filename,wchan shows them, tsnap sample judges them\n",
            listed.join(",")
        )
        .as_bytes(),
    );
}
