//! `tsnap dump`: every thread of the selected processes, as a jstack-like text dump (or JSON
//! lines), to read on its own or join with jstack's by `nid`; with `--java`, joined with the
//! JVM's own dump already (see [`java`]). Each process is headed by what its cgroup
//! says.

mod collapse;
pub mod java;
mod java_virtual;
mod thread;

use super::order::Order;
use super::session::{print_problems, relist_after_wait, sleep, start};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::clock;
use crate::collect::{Collector, Options, Pass};
use crate::columns::Needs;
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::number::push_int;
use crate::output::{Format, Out, escape};
use crate::procfs::Mount;
use crate::row::{Row, Rows};
use crate::tally::Tally;
use java::Merged;
use thread::{
    Shown, write_thread_json, write_thread_text, write_unclaimed_json, write_unclaimed_text,
};

/// What a dump shows of each thread.
const NEEDS: Needs = Needs::CPU
    .union(Needs::CPUTIME)
    .union(Needs::SYSCALL)
    .union(Needs::FD)
    .union(Needs::ENDPOINT)
    .union(Needs::WCHAN)
    .union(Needs::STACK)
    .union(Needs::PCOMM)
    .union(Needs::CMDLINE)
    .union(Needs::CGROUP)
    .union(Needs::STATUS)
    .union(Needs::NID);

/// Asks the JVMs among `pids` for their dumps, as `args` say (locks, virtual threads).
fn fetch(
    args: &Args,
    collector: &Collector,
    pids: impl Iterator<Item = u32>,
    timeout: std::time::Duration,
) -> Vec<java::Jvm> {
    let root = collector.mount().fd();
    java::fetch(root, pids, timeout, args.java_locks, args.java_virtual)
}

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let mut taken = take(args)?;
    let (now, _) = clock::now();

    // The threads shown, in order: each process's in that order, under its header.
    let shown = Order::new(&args.sort, args.top).of(&taken.rows).to_vec();
    if let Some(timeout) = taken.top_java {
        let rows = &taken.rows;
        let mut owners: Vec<u32> = shown.iter().map(|&i| rows.rows[i].pid).collect();
        crate::sort::sort(&mut owners);
        owners.dedup();
        taken.jvms = fetch(args, &taken.collector, owners.into_iter(), timeout);
    }
    write_processes(args, out, &taken, &shown, now)?;
    out.flush()?;
    print_problems(&taken.collector, "threads");
    Ok(())
}

/// What a dump read: the threads, over the window if there is one, the cgroups over it, and
/// the JVMs' dumps (with `--top`, asked for only once the threads shown are known).
struct Taken {
    collector: Collector,
    cgroups: CgroupWindow,
    rows: Rows,
    jvms: Vec<java::Jvm>,
    /// `--java`'s timeout, with `--top`.
    top_java: Option<std::time::Duration>,
}

/// Reads the threads (and asks the JVMs), over `-i`'s window if there is one.
fn take(args: &Args) -> Result<Taken, Error> {
    let window = args.interval > 0.0;
    let mut collector = start(
        &args.proc_root,
        Options {
            selection: args.selection.clone(),
            needs: NEEDS,
            all_states: true,
            cache_files: window,
        },
    )?;
    let mut cgroups = CgroupWindow::new(collector.mount().mountinfo(), &args.sys_root);
    cgroups.track(collector.cgroups());
    let mut rows = Rows::default();
    let started = clock::monotonic_ns();
    if window {
        cgroups.start();
        collector.pass(Pass::Baseline, &mut rows);
    }
    // With --top, the JVMs asked are those of the threads shown, known after the pass; and
    // several JVMs not named are listed once the pass has their CPU, and none is asked.
    let (mut jvms, mut refuse) = (Vec::new(), false);
    if let Some(timeout) = args.java {
        java::needs_procfs(&collector, &args.proc_root)?;
        refuse = !java::may_ask_all(&collector, &args.selection);
        if args.top.is_none() && !refuse {
            jvms = fetch(args, &collector, collector.pids(), timeout);
        }
    }
    let top_java = args.java.filter(|_| args.top.is_some());
    refuse &= top_java.is_none();
    if window {
        let spent = (clock::monotonic_ns() - started) as f64 / 1e9;
        sleep((args.interval - spent).max(0.0));
    }
    // Again after asking the JVMs, which may have started their Attach Listener thread.
    if window || args.java.is_some() {
        relist_after_wait(&mut collector, &args.selection)?;
    }
    collector.pass(Pass::Full, &mut rows);
    if rows.rows.is_empty() {
        return Err(Error::NoMatch(
            "the selected processes exited meanwhile: nothing left to show".to_string(),
        ));
    }
    if refuse {
        return Err(java::candidates(&collector, &rows));
    }
    cgroups.track(collector.cgroups());
    cgroups.finish();
    Ok(Taken {
        collector,
        cgroups,
        rows,
        jvms,
        top_java,
    })
}

/// Writes each process with threads `shown`: its header, then those threads.
fn write_processes(
    args: &Args,
    out: &mut Out,
    taken: &Taken,
    shown: &[usize],
    now: i64,
) -> Result<(), Error> {
    let Taken {
        collector,
        cgroups,
        rows,
        jvms,
        top_java,
    } = taken;
    let mut first = 0;
    while first < rows.rows.len() {
        let pid = rows.rows[first].pid;
        let count = rows.rows[first..]
            .iter()
            .take_while(|r| r.pid == pid)
            .count();
        let threads = &rows.rows[first..first + count];
        let picked: Vec<usize> = shown
            .iter()
            .filter(|&&i| (first..first + count).contains(&i))
            .map(|&i| i - first)
            .collect();
        first += count;
        if picked.is_empty() {
            continue;
        }
        let java = Merged::of(jvms, threads, rows);
        let java = java.map(|j| match top_java {
            Some(_) => j.without_unclaimed(),
            None => j,
        });
        let process = Process {
            cgroup: cgroups.group_of(pid).map(|g| (cgroups, g)),
            java: java.as_ref(),
            ..Process::of(threads, collector.mount())
        };
        let shown = Shown {
            threads,
            picked: &picked,
            collapse: args.collapse,
        };
        match args.format {
            Format::Json => {
                let asked = args.java.is_some();
                write_json(out, &process, &shown, rows, now, asked)?;
            }
            _ => write_text(out, &process, &shown, rows, now)?,
        }
        out.maybe_flush()?;
    }
    Ok(())
}

/// The header facts of one process, what its cgroup says and the JVM's view of it.
struct Process<'r> {
    leader: &'r Row,
    threads: usize,
    /// Its threads by state.
    tally: Tally,
    /// Seconds since the process started.
    uptime: Option<u64>,
    /// The cgroup window and the process's group in it.
    cgroup: Option<(&'r CgroupWindow, usize)>,
    java: Option<&'r Merged<'r>>,
}

impl<'r> Process<'r> {
    fn of(threads: &'r [Row], mount: &Mount) -> Process<'r> {
        let leader = threads
            .iter()
            .find(|r| r.tid == r.pid)
            .unwrap_or(&threads[0]);
        let hz = mount.ticks_per_sec();
        let uptime = mount
            .uptime_ns()
            .map(|up| (up / 1_000_000_000).saturating_sub(leader.starttime / hz));
        let mut tally = Tally::default();
        for t in threads {
            tally.add(t.state);
        }
        Process {
            leader,
            threads: threads.len(),
            tally,
            uptime,
            cgroup: None,
            java: None,
        }
    }
}

/// A process's header: the time, its pid, name, threads, age and command line, its threads
/// by state, and the block of its cgroup.
fn write_header_text(
    out: &mut Vec<u8>,
    p: &Process<'_>,
    rows: &Rows,
    now: i64,
    width: Option<usize>,
) {
    clock::push_readable(out, now);
    out.extend_from_slice(b"\nThread dump of pid ");
    push_int(out, p.leader.pid);
    out.extend_from_slice(b" (");
    escape::text(out, p.leader.pcomm.map_or(&b"-"[..], |s| rows.text(s)));
    out.extend_from_slice(b"), ");
    push_int(out, p.threads);
    out.extend_from_slice(if p.threads == 1 {
        b" thread"
    } else {
        b" threads"
    });
    if let Some(up) = p.uptime {
        out.extend_from_slice(b", up ");
        clock::push_duration(out, up);
    }
    out.extend_from_slice(b"\nCommand line: ");
    match p.leader.cmdline {
        Some(c) => escape::text(out, rows.text(c)),
        None => out.push(b'-'),
    }
    out.push(b'\n');
    p.tally.write_text(out);
    out.push(b'\n');
    if let Some((cgroups, g)) = p.cgroup {
        cgroups.write_text_fit(g, out, width);
    }
    out.push(b'\n');
}

/// Writes one process's dump as text, flushing as it goes: a JVM may list many threads.
fn write_text(
    o: &mut Out,
    p: &Process<'_>,
    shown: &Shown<'_>,
    rows: &Rows,
    now: i64,
) -> Result<(), Error> {
    let java = p.java;
    let width = o.width();
    let out = &mut o.buf;
    write_header_text(out, p, rows, now, width);
    if let Some(java) = java {
        java.write_header_text(out);
    }
    let mut cell = Vec::new();
    if shown.collapse {
        collapse::write_text(o, shown, java, rows)?;
    } else {
        for &i in shown.picked {
            let java_thread = java.and_then(|j| j.thread(i));
            write_thread_text(&mut o.buf, &shown.threads[i], java_thread, rows, &mut cell);
            o.maybe_flush()?;
        }
    }
    if let Some(java) = java {
        for t in java.unclaimed() {
            write_unclaimed_text(&mut o.buf, t);
            o.maybe_flush()?;
        }
        if let Some(json) = java.json {
            java_virtual::Virtual::of(json).write_text(&mut o.buf, java, shown.threads);
        }
        java.write_locks_text(&mut o.buf);
        java.write_trailer_text(&mut o.buf);
        java.write_findings_text(&mut o.buf, p.leader.pid);
    }
    Ok(())
}

/// Writes one process's dump as JSON lines, flushing as it goes: a JVM may list many threads.
fn write_json(
    o: &mut Out,
    p: &Process<'_>,
    shown: &Shown<'_>,
    rows: &Rows,
    now: i64,
    asked: bool,
) -> Result<(), Error> {
    let out = &mut o.buf;
    let java = p.java;
    let mut time = Vec::new();
    clock::push_iso8601(&mut time, now, 0);
    let mut line = JsonLine::new(out);
    line.text("type", b"process")
        .text("time", &time)
        .number("pid", p.leader.pid)
        .text_or_null("comm", p.leader.pcomm.map(|s| rows.text(s)))
        .text_or_null("cmdline", p.leader.cmdline.map(|s| rows.text(s)));
    p.tally.write_json(&mut line);
    line.number_or_null("uptime", p.uptime);
    match p.cgroup {
        Some((cgroups, g)) => {
            let mut object = line.object("cgroup");
            cgroups.write_json(g, &mut object);
            object.close();
        }
        None => {
            line.null("cgroup");
        }
    }
    match java {
        Some(java) => {
            let mut object = line.object("java");
            java.write_process_json(&mut object);
            if let Some(json) = java.json {
                java_virtual::Virtual::of(json).write_json(&mut object, java);
            }
            object.close();
        }
        None if asked => {
            line.null("java");
        }
        None => {}
    }
    line.end();
    if shown.collapse {
        collapse::write_json(out, shown, java, asked, rows);
    }
    let mut cell = Vec::new();
    for &i in shown.picked.iter().filter(|_| !shown.collapse) {
        o.maybe_flush()?;
        let java_thread = asked.then(|| java.and_then(|j| j.thread(i)));
        write_thread_json(&mut o.buf, &shown.threads[i], java_thread, rows, &mut cell);
    }
    for jt in java.iter().flat_map(|j| j.unclaimed()) {
        o.maybe_flush()?;
        write_unclaimed_json(&mut o.buf, p.leader.pid, jt);
    }
    Ok(())
}
