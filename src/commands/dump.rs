//! `tsnap dump`: every thread of the selected processes, as a jstack-like text dump (or JSON
//! lines), to read on its own or join with jstack's by `nid`, each process headed by what
//! its cgroup says.

use super::{print_problems, sleep, start};
use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::clock;
use crate::collect::{self, Options, Pass};
use crate::columns::{self, Column, Kind, Needs};
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::{Format, Out, escape};
use crate::row::{Row, Rows};

/// What a dump shows of each thread.
const NEEDS: Needs = Needs::CPU
    .union(Needs::SYSCALL)
    .union(Needs::FD)
    .union(Needs::WCHAN)
    .union(Needs::STACK)
    .union(Needs::PCOMM)
    .union(Needs::CMDLINE)
    .union(Needs::CGROUP);

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
    let mut cgroups = CgroupWindow::new(collector.root(), &args.sys_root);
    cgroups.track(collector.cgroups());
    let mut rows = Rows::default();
    if window {
        cgroups.start();
        collector.pass(Pass::Baseline, &mut rows);
        sleep(args.interval);
        super::snap::refresh(&mut collector)?;
    }
    collector.pass(Pass::Full, &mut rows);
    cgroups.track(collector.cgroups());
    cgroups.finish();
    let (now, _) = clock::now();
    let uptime = collect::read_uptime_ns(collector.root(), &mut Vec::new());

    let mut first = 0;
    while first < rows.rows.len() {
        let pid = rows.rows[first].pid;
        let count = rows.rows[first..]
            .iter()
            .take_while(|r| r.pid == pid)
            .count();
        let threads = &rows.rows[first..first + count];
        let process = Process::of(threads, uptime);
        let cgroup = cgroups.group_of(pid).map(|g| (&cgroups, g));
        match args.format {
            Format::Json => write_json(&mut out.buf, &process, cgroup, threads, &rows, now),
            _ => write_text(&mut out.buf, &process, cgroup, threads, &rows, now),
        }
        out.maybe_flush()?;
        first += count;
    }
    out.flush()?;
    print_problems(&collector.problems, collector.root(), "threads");
    Ok(())
}

/// The header facts of one process.
struct Process<'r> {
    leader: &'r Row,
    threads: usize,
    /// Seconds since the process started.
    uptime: Option<u64>,
}

impl<'r> Process<'r> {
    fn of(threads: &'r [Row], uptime_ns: Option<u64>) -> Process<'r> {
        let leader = threads
            .iter()
            .find(|r| r.tid == r.pid)
            .unwrap_or(&threads[0]);
        let hz = rustix::param::clock_ticks_per_second().max(1);
        let uptime = uptime_ns.map(|up| (up / 1_000_000_000).saturating_sub(leader.starttime / hz));
        Process {
            leader,
            threads: threads.len(),
            uptime,
        }
    }
}

/// A process's cgroup: the window and the group's index in it.
type Cgroup<'c> = Option<(&'c CgroupWindow, usize)>;

fn write_text(
    out: &mut Vec<u8>,
    p: &Process<'_>,
    cgroup: Cgroup<'_>,
    threads: &[Row],
    rows: &Rows,
    now: i64,
) {
    let mut num = itoa::Buffer::new();
    clock::push_readable(out, now);
    out.extend_from_slice(b"\nThread dump of pid ");
    out.extend_from_slice(num.format(p.leader.pid).as_bytes());
    out.extend_from_slice(b" (");
    escape::text(out, p.leader.pcomm.map_or(&b"-"[..], |s| rows.text(s)));
    out.extend_from_slice(b"), ");
    out.extend_from_slice(num.format(p.threads).as_bytes());
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
    if let Some((cgroups, g)) = cgroup {
        cgroups.write_text(g, out);
    }
    out.push(b'\n');
    let mut cell = Vec::new();
    for t in threads {
        out.push(b'"');
        escape::text(out, rows.text(t.comm));
        out.extend_from_slice(b"\" tid=");
        out.extend_from_slice(num.format(t.tid).as_bytes());
        out.extend_from_slice(b" nid=");
        columns::push_hex(out, t.tid.into());
        out.extend_from_slice(b" state=");
        out.push(t.state);
        out.extend_from_slice(b" (");
        out.extend_from_slice(kernel_state_words(t.state).as_bytes());
        out.extend_from_slice(b") cpu=");
        match t.pcpu {
            Some(p) => columns::push_tenths(out, p),
            None => out.push(b'-'),
        }
        out.extend_from_slice(b"% cputime=");
        match t.cputime_ns {
            Some(ns) => out.extend_from_slice(num.format(ns / 1_000_000).as_bytes()),
            None => out.push(b'-'),
        }
        out.extend_from_slice(b"ms\n");
        for (label, column) in [
            (&b"syscall"[..], Column::Syscall),
            (b"file", Column::Filename),
            (b"wchan", Column::Wchan),
        ] {
            cell.clear();
            let kind = columns::render(column, t, rows, &mut cell);
            if column == Column::Filename && (kind == Kind::Missing || cell.is_empty()) {
                continue;
            }
            out.extend_from_slice(b"    ");
            out.extend_from_slice(label);
            out.extend_from_slice(b": ");
            if kind == Kind::Missing {
                out.push(b'-');
            } else {
                escape::text(out, &cell);
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
}

fn write_json(
    out: &mut Vec<u8>,
    p: &Process<'_>,
    cgroup: Cgroup<'_>,
    threads: &[Row],
    rows: &Rows,
    now: i64,
) {
    let mut time = Vec::new();
    clock::push_iso8601(&mut time, now, 0);
    let mut line = JsonLine::new(out);
    line.text("type", b"process")
        .text("time", &time)
        .number("pid", p.leader.pid)
        .text("comm", p.leader.pcomm.map_or(&b""[..], |s| rows.text(s)))
        .text(
            "cmdline",
            p.leader.cmdline.map_or(&b""[..], |s| rows.text(s)),
        )
        .number("threads", p.threads);
    match p.uptime {
        Some(up) => line.number("uptime", up),
        None => line.null("uptime"),
    };
    match cgroup {
        Some((cgroups, g)) => {
            line.object("cgroup");
            cgroups.write_json(g, &mut line);
            line.close()
        }
        None => line.null("cgroup"),
    };
    line.end();
    let mut cell = Vec::new();
    for t in threads {
        let mut line = JsonLine::new(out);
        line.text("type", b"thread");
        for column in [
            Column::Pid,
            Column::Tid,
            Column::Nid,
            Column::Comm,
            Column::State,
        ] {
            cell.clear();
            let kind = columns::render(column, t, rows, &mut cell);
            line.cell(column.name(), kind, &cell);
        }
        line.text("description", kernel_state_words(t.state).as_bytes());
        for column in [
            Column::Pcpu,
            Column::Cputime,
            Column::Syscall,
            Column::Filename,
            Column::Wchan,
        ] {
            cell.clear();
            let kind = columns::render(column, t, rows, &mut cell);
            line.cell(column.name(), kind, &cell);
        }
        match t.kstack {
            Some(s) => line.texts(
                "kstack",
                rows.text(s)
                    .split(|&b| b == b'\n')
                    .filter(|f| !f.is_empty()),
            ),
            None => line.null("kstack"),
        };
        line.end();
    }
}

/// The state in the kernel's own words, as `/proc/PID/status` spells it.
fn kernel_state_words(state: u8) -> &'static str {
    match state {
        b'R' => "running",
        b'S' => "sleeping",
        b'D' => "disk sleep",
        b'T' => "stopped",
        b't' => "tracing stop",
        b'Z' => "zombie",
        b'X' | b'x' => "dead",
        b'P' => "parked",
        b'I' => "idle",
        b'W' => "waking",
        b'K' => "wakekill",
        _ => "unknown",
    }
}
