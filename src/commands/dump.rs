//! `tsnap dump`: every thread of the selected processes, as a jstack-like text dump (or JSON
//! lines), to read on its own or join with jstack's by `nid`; with `--java`, joined with the
//! JVM's own dump already (see [`java_dump`]). Each process is headed by what its cgroup
//! says.

use super::collapse;
use super::java_dump::{self, Merged};
use super::java_virtual;
use super::order::Order;
use super::session::{print_problems, relist_after_wait, sleep, start};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::clock;
use crate::collect::{Collector, Options, Pass};
use crate::columns::{self, Column, Needs};
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::number::{push_hex, push_int, push_tenths};
use crate::output::{Format, Kind, Out, escape};
use crate::parse::jstack;
use crate::procfs::Mount;
use crate::row::{Row, Rows};
use crate::tally::Tally;

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
) -> Vec<java_dump::Jvm> {
    let root = collector.mount().fd();
    java_dump::fetch(root, pids, timeout, args.java_locks, args.java_virtual)
}

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
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
        java_dump::needs_procfs(&collector, &args.proc_root)?;
        refuse = !java_dump::may_ask_all(&collector, &args.selection);
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
        return Err(java_dump::candidates(&collector, &rows));
    }
    cgroups.track(collector.cgroups());
    cgroups.finish();
    let (now, _) = clock::now();

    // The threads shown, in order: each process's in that order, under its header.
    let shown = Order::new(&args.sort, args.top).of(&rows).to_vec();
    if let Some(timeout) = top_java {
        let mut owners: Vec<u32> = shown.iter().map(|&i| rows.rows[i].pid).collect();
        owners.sort_unstable();
        owners.dedup();
        jvms = fetch(args, &collector, owners.into_iter(), timeout);
    }
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
        let java = Merged::of(&jvms, threads, &rows);
        let java = java.map(|j| match top_java {
            Some(_) => j.without_unclaimed(),
            None => j,
        });
        let process = Process {
            cgroup: cgroups.group_of(pid).map(|g| (&cgroups, g)),
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
                write_json(out, &process, &shown, &rows, now, asked)?;
            }
            _ => write_text(out, &process, &shown, &rows, now)?,
        }
        out.maybe_flush()?;
    }
    out.flush()?;
    print_problems(&collector, "threads");
    Ok(())
}

/// A process's threads, and those of them shown, in the order shown.
pub struct Shown<'r> {
    pub threads: &'r [Row],
    /// Indices into `threads`.
    pub picked: &'r [usize],
    pub collapse: bool,
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
            java_dump::write_unclaimed_text(&mut o.buf, t);
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

/// One thread's entry: its first line, the JVM's view of it, then the OS view.
pub fn write_thread_text(
    out: &mut Vec<u8>,
    t: &Row,
    java_thread: Option<&jstack::Thread<'_>>,
    rows: &Rows,
    cell: &mut Vec<u8>,
) {
    out.push(b'"');
    escape::quoted(out, java_thread.map_or(rows.text(t.comm), |j| j.name));
    out.extend_from_slice(b"\" tid=");
    push_int(out, t.tid);
    out.extend_from_slice(b" nid=");
    push_hex(out, columns::nid(t));
    out.extend_from_slice(b" state=");
    out.push(t.state);
    out.extend_from_slice(b" (");
    out.extend_from_slice(columns::state_words(t.state).kernel.as_bytes());
    out.extend_from_slice(b") cpu=");
    match t.pcpu {
        Some(p) => push_tenths(out, p),
        None => out.push(b'-'),
    }
    out.extend_from_slice(b"% cputime=");
    match t.cputime_ns {
        Some(ns) => push_int(out, ns / 1_000_000),
        None => out.push(b'-'),
    }
    out.extend_from_slice(b"ms\n");
    if let Some(j) = java_thread {
        java_dump::write_thread_text(out, j);
    }
    for (label, column) in [
        (&b"syscall"[..], Column::Syscall),
        (b"file", Column::Filename),
        (b"socket", Column::Endpoint),
        (b"wchan", Column::Wchan),
    ] {
        cell.clear();
        let kind = columns::render(column, t, rows, cell);
        let optional = matches!(column, Column::Filename | Column::Endpoint);
        if optional && (kind == Kind::Missing || cell.is_empty()) {
            continue;
        }
        out.extend_from_slice(b"    ");
        out.extend_from_slice(label);
        out.extend_from_slice(b": ");
        if kind == Kind::Missing {
            out.push(b'-');
        } else {
            escape::text(out, cell);
        }
        out.push(b'\n');
    }
    if let Some(s) = t.kstack {
        for frame in rows
            .text(s)
            .split(|&b| b == b'\n')
            .filter(|f| !f.is_empty())
        {
            out.extend_from_slice(b"    at ");
            escape::text(out, frame);
            out.push(b'\n');
        }
    }
    out.push(b'\n');
}

/// The keys of a thread's JSON line after `type` and `pid`, and `java` last with `--java`:
/// columns, written as every command writes them (docs/schema/tsnap.schema.json).
const JSON_COLUMNS: [Column; 12] = [
    Column::Tid,
    Column::Nid,
    Column::Comm,
    Column::State,
    Column::Statedesc,
    Column::Pcpu,
    Column::Cputime,
    Column::Syscall,
    Column::Filename,
    Column::Endpoint,
    Column::Wchan,
    Column::Kstack,
];

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
        Some(java) => java.write_process_json(&mut line),
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
        let t = &shown.threads[i];
        let mut line = JsonLine::new(&mut o.buf);
        line.text("type", b"thread").number("pid", t.pid);
        for column in JSON_COLUMNS {
            cell.clear();
            let kind = columns::render_json(column, t, rows, &mut cell);
            line.cell(column.name(), kind, &cell);
        }
        if asked {
            java_dump::write_thread_json(&mut line, java.and_then(|j| j.thread(i)));
        }
        line.end();
    }
    for jt in java.iter().flat_map(|j| j.unclaimed()) {
        o.maybe_flush()?;
        let mut line = JsonLine::new(&mut o.buf);
        line.text("type", b"thread").number("pid", p.leader.pid);
        for column in JSON_COLUMNS {
            line.null(column.name());
        }
        java_dump::write_thread_json(&mut line, Some(jt));
        line.end();
    }
    Ok(())
}
