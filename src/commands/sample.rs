//! `tsnap sample`: passes at a fixed rate for a while, each row counted in its group, then
//! psn's report, and what the cgroups of the sampled processes did over the whole run.
//! Passes are scheduled on absolute times (start + k/hz): a pass that overruns makes the next
//! one late, and slots missed meanwhile are counted, never made up.

use super::java_time::JavaOverTime;
use super::schedule::Schedule;
use super::session::{print_problems, relist, start_passes, table_width};
use crate::aggregate::Aggregate;
use crate::cgroup::CgroupWindow;
use crate::cgroup::blocks::write_cgroups;
use crate::cli::Args;
use crate::clock::{self, monotonic_ns};
use crate::collect::{Collector, Pass};
use crate::columns::{Column, Needs, needs};
use crate::error::Error;
use crate::findings::Findings;
use crate::flame::{self, Tree};
use crate::histogram::Histogram;
use crate::output::json::JsonLine;
use crate::output::number::{push_fixed, push_int};
use crate::output::{Format, Out};
use crate::row::Rows;
use crate::save::Saver;
use crate::signals;

/// The most processes the footer names as having exited; it counts the others.
const EXITS_NAMED: usize = 16;

/// What a sampling run did, for the footer.
struct Summary {
    passes: u64,
    expected: u64,
    missed: u64,
    wall_ns: u64,
    busy_ns: u64,
    /// Times of the passes in µs (the threads' re-listing included, the processes' twice a
    /// second not), for their median.
    pass_us: Histogram,
    interrupted: bool,
    /// Processes that exited, each with the last pass that could have seen it: the first
    /// [`EXITS_NAMED`], and how many in all.
    exits: Vec<(u32, u64)>,
    exits_total: u64,
    /// Every process named by `-p` exited: sampling ended early.
    all_gone: bool,
    /// `--save` could not be written (a full disk): sampling stopped there.
    cut_short: Option<Error>,
}

impl Summary {
    fn new(expected: u64) -> Summary {
        Summary {
            passes: 0,
            expected,
            missed: 0,
            wall_ns: 0,
            busy_ns: 0,
            pass_us: Histogram::default(),
            interrupted: false,
            exits: Vec::with_capacity(EXITS_NAMED),
            exits_total: 0,
            all_gone: false,
            cut_short: None,
        }
    }

    fn median_pass_us(&self) -> u32 {
        self.pass_us.median()
    }

    /// Notes the processes the collector found gone.
    fn note_exits(&mut self, collector: &mut Collector) {
        for pid in collector.exited() {
            self.exits_total += 1;
            if self.exits.len() < EXITS_NAMED {
                self.exits.push((pid, self.passes));
            }
        }
    }
}

/// What a run keeps from its first pass to its report.
struct Sampling {
    collector: Collector,
    saver: Option<Saver>,
    /// `--flame`'s page, open before the first pass so that a bad path fails at once.
    page: Option<Out>,
    /// The stacks of `-f folded` and `--flame`.
    tree: Option<Tree>,
    cgroups: CgroupWindow,
    aggregate: Aggregate,
    /// The last pass's rows.
    rows: Rows,
    java: Option<JavaOverTime>,
    findings: Findings,
    summary: Summary,
    /// The Java dumps' cost and the monitor most waited on, said after the findings.
    java_text: Vec<u8>,
    /// A pass's time for `--save`, its buffer kept.
    time: Vec<u8>,
}

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let mut run = Sampling::start(args)?;
    run.passes(args)?;
    run.finish();
    run.write(args, out)?;
    print_problems(&run.collector, "thread samples");
    run.summary.cut_short.map_or(Ok(()), Err)
}

impl Sampling {
    fn start(args: &Args) -> Result<Sampling, Error> {
        let pictures = args.folded || args.flame.is_some();
        // Stacks need the process's name, the syscall and the kernel stack, grouped by or not.
        let stacks = needs(&[Column::Pcomm, Column::Syscall, Column::Kstack]);
        let also = match pictures {
            true => Needs::CGROUP.union(stacks),
            false => Needs::CGROUP,
        };
        let (mut collector, saver) = start_passes(args, also)?;
        let page = (args.flame.as_deref())
            .map(|f| flame::html::create(f, args.mode))
            .transpose()?;
        let mut cgroups = CgroupWindow::new(collector.mount().mountinfo(), &args.sys_root);
        cgroups.track(collector.cgroups());
        cgroups.start();
        let java = (args.java)
            .map(|timeout| JavaOverTime::start(&collector, args, timeout))
            .transpose()?;
        let findings = Findings::start(&mut collector);
        let period = 1_000_000_000 / u64::from(args.hz);
        let expected = duration_ns(args).div_ceil(period);
        Ok(Sampling {
            collector,
            saver,
            page,
            tree: pictures.then(Tree::default),
            cgroups,
            aggregate: Aggregate::new(args.columns.clone(), args.exact),
            rows: Rows::default(),
            java,
            findings,
            summary: Summary::new(expected),
            java_text: Vec::new(),
            time: Vec::new(),
        })
    }

    /// The passes, on their slots, until the run's end, a signal, every named process gone,
    /// or a `--save` that cannot be written.
    fn passes(&mut self, args: &Args) -> Result<(), Error> {
        let period = 1_000_000_000 / u64::from(args.hz);
        let mut schedule = Schedule::new(period, 0, Some(self.summary.expected));
        let begin = schedule.begin();
        loop {
            if !schedule.wait() {
                self.summary.interrupted = signals::stopped();
                break;
            }
            let t0 = monotonic_ns();
            let refresh = schedule.refresh(t0);
            if refresh {
                relist(&mut self.collector)?;
                self.cgroups.track(self.collector.cgroups());
            }
            if !self.pass(args, refresh) {
                break;
            }
            let t1 = monotonic_ns();
            self.summary.busy_ns += t1 - t0;
            schedule.advance(t1);
        }
        self.summary.missed = schedule.missed;
        // The last pass stands for the last slot: the run lasts what was asked, so that a
        // `-d 1` is the second the findings need.
        let s = &self.summary;
        if !s.interrupted && !s.all_gone && s.cut_short.is_none() {
            signals::sleep_until(begin + duration_ns(args));
        }
        self.summary.wall_ns = monotonic_ns() - begin;
        Ok(())
    }

    /// One pass, counted everywhere it counts; false when sampling must stop.
    fn pass(&mut self, args: &Args, refreshed: bool) -> bool {
        let pass_start = monotonic_ns();
        if !refreshed {
            self.collector.relist_threads();
        }
        self.summary.note_exits(&mut self.collector);
        if args.selection.fixed() && self.collector.process_count() == 0 {
            self.summary.all_gone = true;
            return false;
        }
        let rows = &mut self.rows;
        self.collector.pass(Pass::Full, rows);
        if let Some(java) = &mut self.java {
            java.annotate(rows);
        }
        self.aggregate.add_rows(rows);
        if let Some(tree) = &mut self.tree {
            tree.add_rows(rows, args.exact);
        }
        self.findings.add(rows);
        self.summary.passes += 1;
        let pass_us = (monotonic_ns() - pass_start) / 1000;
        (self.summary.pass_us).add(u32::try_from(pass_us).unwrap_or(u32::MAX));
        if let Some(saver) = &mut self.saver {
            let (secs, nanos) = clock::now();
            self.time.clear();
            clock::push_iso8601(&mut self.time, secs, nanos);
            if let Err(e) = saver.pass(self.summary.passes, &self.time, rows) {
                self.summary.cut_short = Some(e);
                return false;
            }
        }
        true
    }

    /// Ends the run: the JVMs asked no more, the cgroups' window closed, the findings judged.
    fn finish(&mut self) {
        if let Some(java) = &mut self.java {
            java.stop();
            java.footer(&mut self.java_text, self.summary.wall_ns);
            (self.java_text).extend(java.monitor_line().unwrap_or_default());
        }
        self.cgroups.finish();
        self.findings.finish(&mut self.collector, &self.cgroups);
        if signals::stopped() {
            self.summary.interrupted = true;
        }
    }

    /// The page, then the report in the format asked.
    fn write(&mut self, args: &Args, out: &mut Out) -> Result<(), Error> {
        if let (Some(tree), Some(page)) = (&self.tree, &mut self.page) {
            let title = format!(
                "tsnap sample: {} passes at {} Hz, {} thread samples",
                self.summary.passes,
                args.hz,
                tree.samples(flame::NEW)
            );
            flame::html::write(tree, false, title.as_bytes(), page)?;
        }
        let mut grid = (self.aggregate)
            .grid(self.summary.passes, args.format == Format::Table)
            .fit(table_width(args));
        let (summary, collector) = (&mut self.summary, &self.collector);
        let (cgroups, rows) = (&self.cgroups, &self.rows.rows);
        let mut text = Vec::new();
        match args.format {
            _ if args.folded => {
                if let Some(tree) = &self.tree {
                    flame::folded::write(tree, false, &mut out.buf);
                }
                // Standard output holds only the stacks, for the tools that read them.
                footer(&mut text, summary, collector);
                self.findings.write(Format::Csv, &mut text);
                text.extend_from_slice(&self.java_text);
                crate::output::stderr(&text);
            }
            Format::Table => {
                title(&mut out.buf, args, summary);
                grid.write(Format::Table, !args.no_headers, &mut out.buf);
                out.buf.push(b'\n');
                footer(&mut out.buf, summary, collector);
                out.buf.push(b'\n');
                write_cgroups(cgroups, rows, Format::Table, out);
                // The blocks end with the blank line that parts them from what follows.
                if !out.buf.ends_with(b"\n\n") {
                    out.buf.push(b'\n');
                }
                self.findings.write(Format::Table, &mut out.buf);
                out.buf.extend_from_slice(&self.java_text);
            }
            Format::Csv => {
                grid.write(Format::Csv, !args.no_headers, &mut out.buf);
                footer(&mut text, summary, collector);
                crate::output::stderr(&text);
                write_cgroups(cgroups, rows, Format::Csv, out);
                text.clear();
                self.findings.write(Format::Csv, &mut text);
                text.extend_from_slice(&self.java_text);
                crate::output::stderr(&text);
            }
            Format::Json => {
                grid.write(Format::Json, true, &mut out.buf);
                write_cgroups(cgroups, rows, Format::Json, out);
                self.findings.write(Format::Json, &mut out.buf);
                summary_json(&mut out.buf, summary, collector, self.java.as_ref());
            }
        }
        out.flush()
    }
}

/// How long the run lasts, in ns: `-d`, 5 s by default.
fn duration_ns(args: &Args) -> u64 {
    (args.duration.unwrap_or(5.0) * 1e9) as u64
}

fn title(out: &mut Vec<u8>, args: &Args, s: &Summary) {
    out.extend_from_slice(if args.all {
        b"=== All threads: " as &[u8]
    } else {
        b"=== Active threads (R, D): "
    });
    push_int(out, s.passes);
    out.extend_from_slice(b" passes at ");
    push_int(out, args.hz);
    out.extend_from_slice(b" Hz ===\n\n");
}

fn footer(out: &mut Vec<u8>, s: &mut Summary, c: &crate::collect::Collector) {
    out.extend_from_slice(b"passes: ");
    push_int(out, s.passes);
    out.extend_from_slice(b" taken of ");
    push_int(out, s.expected);
    out.extend_from_slice(b" expected, ");
    push_int(out, s.missed);
    out.extend_from_slice(b" missed\nseen: processes ");
    push_int(out, c.seen().processes);
    out.extend_from_slice(b", threads ");
    push_int(out, c.seen().threads);
    out.extend_from_slice(b"\ntime: ");
    push_fixed(out, s.wall_ns, 1_000_000_000, 2);
    out.extend_from_slice(b" s wall, ");
    push_fixed(out, s.busy_ns, 1_000_000_000, 2);
    out.extend_from_slice(b" s in passes (");
    push_fixed(out, s.busy_ns * 100, s.wall_ns.max(1), 2);
    out.extend_from_slice(b"%), a pass ");
    push_fixed(out, u64::from(s.median_pass_us()), 1000, 2);
    out.extend_from_slice(b" ms (median)\n");
    if c.seen().uncached_reads > 0 {
        out.extend_from_slice(b"files: ");
        push_int(out, c.seen().uncached_reads);
        out.extend_from_slice(
            b" reads reopened their file: not enough file descriptors to keep every file open \
              (RLIMIT_NOFILE, or the 16 MiB of kernel memory kept files may pin)\n",
        );
    }
    if !s.exits.is_empty() {
        out.extend_from_slice(b"exited: ");
        for (i, &(pid, pass)) in s.exits.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(b"pid ");
            push_int(out, pid);
            out.extend_from_slice(b" after pass ");
            push_int(out, pass);
        }
        let more = s.exits_total - s.exits.len() as u64;
        if more > 0 {
            out.extend_from_slice(b", and ");
            push_int(out, more);
            out.extend_from_slice(b" more processes");
        }
        out.push(b'\n');
    }
    if s.all_gone {
        out.extend_from_slice(b"ended early: every selected process exited\n");
    }
    if s.interrupted {
        out.extend_from_slice(b"interrupted: sampling ended early by a signal\n");
    }
    if let Some(Error::Fatal(why)) = &s.cut_short {
        out.extend_from_slice(b"cut short: sampling stopped after pass ");
        push_int(out, s.passes);
        out.extend_from_slice(b": ");
        out.extend_from_slice(why.as_bytes());
        out.push(b'\n');
    }
}

fn summary_json(
    out: &mut Vec<u8>,
    s: &mut Summary,
    c: &crate::collect::Collector,
    java: Option<&JavaOverTime>,
) {
    let mut line = JsonLine::new(out);
    line.text("type", b"summary")
        .number("passes", s.passes)
        .number("expected", s.expected)
        .number("missed", s.missed)
        .number("processes", c.seen().processes)
        .number("threads", c.seen().threads)
        .number("wall_ms", s.wall_ns / 1_000_000)
        .number("busy_ms", s.busy_ns / 1_000_000)
        .number("pass_us_median", s.median_pass_us())
        .number("uncached_reads", c.seen().uncached_reads)
        .boolean("interrupted", s.interrupted);
    let mut exits = line.array("exited");
    for &(pid, pass) in &s.exits {
        let mut exit = exits.object();
        exit.number("pid", pid).number("after_pass", pass);
        exit.close();
    }
    exits.close();
    line.number("exited_total", s.exits_total)
        .boolean("ended_early", s.all_gone);
    match &s.cut_short {
        Some(Error::Fatal(why)) => line.text("cut_short", why.as_bytes()),
        _ => line.null("cut_short"),
    };
    if let Some(java) = java {
        java.write_json(&mut line);
    }
    line.end();
}
