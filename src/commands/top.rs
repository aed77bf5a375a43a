//! `tsnap top`: a screen that refreshes in place, as `top -H` does, with what each thread is
//! doing: the threads sorted by CPU over the interval with their state, wchan, syscall and
//! file (or socket), under the tally of states, the cgroup lines and the findings of the last
//! few seconds.
//!
//! The screen is the terminal's alternate screen, drawn with a few escape sequences (no
//! curses); keys are read from standard input in raw mode. Whatever ends the run (`q`,
//! Ctrl-C, SIGTERM, SIGHUP, an error), [`Screen`]'s drop puts the terminal back: cooked mode,
//! the main screen, the cursor shown. The findings are judged as `sample` judges them, over
//! windows of [`FINDINGS_NS`]: those shown are the last whole window's. Their `throttled`
//! is over the last interval, as the cgroup lines are.

use super::order::Order;
use super::schedule::Schedule;
use super::session::{print_problems, relist_changed, start_passes};
use crate::cgroup::CgroupWindow;
use crate::cli::{Args, SortKey};
use crate::clock::{self, monotonic_ns};
use crate::collect::{Collector, Pass};
use crate::columns::{self, Column, Needs};
use crate::error::Error;
use crate::findings::Findings;
use crate::output::fit::{push_cut, wrap_text};
use crate::output::number::push_int;
use crate::output::{Field, Format, Grid, Out, escape, write_all};
use crate::row::{Endpoint, Row, Rows};
use crate::signals;
use rustix::termios::{self, OptionalActions, SpecialCodeIndex, Termios};

/// How long the findings on the screen were judged over, at least: and over at least
/// [`FINDINGS_PASSES`] passes, the evidence `sample` needs (10 s at the default `-i 1`).
const FINDINGS_NS: u64 = 5_000_000_000;
const FINDINGS_PASSES: u32 = 10;

/// The most cgroup blocks the screen shows.
const CGROUP_BLOCKS: usize = 2;

const KEYS: &[u8] =
    b"keys: c cpu  s state  n name  p pid  / filter  r R,D/all  space pause  q quit";

/// The columns of the table; the last is the file, or the socket when the file is one.
const COLUMNS: [Column; 8] = [
    Column::Pid,
    Column::Tid,
    Column::State,
    Column::Pcpu,
    Column::Comm,
    Column::Wchan,
    Column::Syscall,
    Column::Filename,
];

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    if !termios::isatty(rustix::stdio::stdout()) {
        return Err(Error::Usage(
            "top needs a terminal on standard output (into a pipe: tsnap watch)".to_string(),
        ));
    }
    let also = Needs::CGROUP
        .union(Needs::PCOMM)
        .union(columns::needs(&COLUMNS))
        .union(Needs::ENDPOINT);
    let (mut collector, _) = start_passes(args, also)?;
    signals::watch_resize();
    let screen = Screen::enter();
    let result = Top::new(args, &mut collector).run(args, &mut collector, &screen, out);
    drop(screen);
    print_problems(&collector, "thread snapshots");
    result
}

/// The terminal taken over: standard input in raw mode (when it is a terminal: else no keys
/// are read), the alternate screen, the cursor hidden; all put back when dropped.
struct Screen {
    cooked: Option<Termios>,
}

impl Screen {
    fn enter() -> Screen {
        let stdin = rustix::stdio::stdin();
        let cooked = (termios::isatty(stdin))
            .then(|| termios::tcgetattr(stdin).ok())
            .flatten();
        if let Some(cooked) = &cooked {
            let mut raw = cooked.clone();
            raw.make_raw();
            // A read returns a key as soon as there is one, else after a tenth of a second:
            // the loop looks at the time, the signals and the size between reads.
            raw.special_codes[SpecialCodeIndex::VMIN] = 0;
            raw.special_codes[SpecialCodeIndex::VTIME] = 1;
            let _ = termios::tcsetattr(stdin, OptionalActions::Now, &raw);
        }
        // The alternate screen, the cursor hidden.
        let _ = write_all(rustix::stdio::stdout(), b"\x1b[?1049h\x1b[?25l");
        Screen { cooked }
    }

    /// Waits for a key until `deadline_ns` (CLOCK_MONOTONIC); none at the deadline, or when
    /// a signal or a change of size interrupts.
    fn key(&self, deadline_ns: u64) -> Option<u8> {
        if self.cooked.is_none() {
            signals::sleep_until(deadline_ns);
            return None;
        }
        let mut byte = [0u8];
        while monotonic_ns() < deadline_ns && !signals::stopped() {
            match rustix::io::read(rustix::stdio::stdin(), &mut byte) {
                Ok(1) => return Some(byte[0]),
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => return None,
                // Standard input gone (the terminal hung up): wait for the time.
                Err(_) => signals::sleep_until(deadline_ns),
            }
        }
        None
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = write_all(rustix::stdio::stdout(), b"\x1b[?25h\x1b[?1049l");
        if let Some(cooked) = &self.cooked {
            let _ = termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, cooked);
        }
    }
}

/// The order the keys choose.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Cpu,
    State,
    Name,
    Pid,
}

impl Sort {
    /// The sort key, in the column's own direction; none for the rows' own order (pid, then
    /// tid).
    fn keys(self) -> Vec<SortKey> {
        let column = match self {
            Sort::Cpu => Column::Pcpu,
            Sort::State => Column::State,
            Sort::Name => Column::Comm,
            Sort::Pid => return Vec::new(),
        };
        vec![SortKey::new(column)]
    }

    fn name(self) -> &'static str {
        match self {
            Sort::Cpu => "cpu",
            Sort::State => "state",
            Sort::Name => "name",
            Sort::Pid => "pid",
        }
    }
}

/// What the keys said, and what is drawn.
struct Top {
    sort: Sort,
    order: Order,
    /// Rows of processes with this pid (digits) or a name starting with it only.
    filter: Vec<u8>,
    /// The filter being typed after `/`.
    typing: Option<Vec<u8>>,
    all: bool,
    paused: bool,
    period: u64,
    rows: Rows,
    cgroups: CgroupWindow,
    findings: Findings,
    /// The findings of the last whole window, as written.
    found: Vec<u8>,
    window_start: u64,
    /// The passes of the window so far.
    window_passes: u32,
    time: Vec<u8>,
    grid: Grid,
}

/// What a key asks for.
enum Step {
    Quit,
    Redraw,
    Nothing,
}

impl Top {
    fn new(args: &Args, collector: &mut Collector) -> Top {
        let mut rows = Rows::default();
        collector.pass(Pass::Baseline, &mut rows);
        let mut cgroups = CgroupWindow::new(collector.mount().mountinfo(), &args.sys_root);
        cgroups.track(collector.cgroups());
        cgroups.start();
        let fields = COLUMNS
            .iter()
            .map(|&c| Field {
                name: if c == Column::Filename {
                    "file"
                } else {
                    c.name()
                },
                // One line a row: the screen counts its rows by lines.
                under: None,
                ..c.field(&COLUMNS)
            })
            .collect();
        Top {
            sort: Sort::Cpu,
            order: Order::new(&Sort::Cpu.keys(), None),
            filter: Vec::new(),
            typing: None,
            all: args.all,
            paused: false,
            period: ((args.interval * 1e9) as u64).max(1),
            rows,
            cgroups,
            findings: Findings::start(collector),
            found: b"findings: (judged once 5 s and 10 passes are in)\n".to_vec(),
            window_start: monotonic_ns(),
            window_passes: 0,
            time: Vec::new(),
            grid: Grid::new(fields),
        }
    }

    fn run(
        &mut self,
        args: &Args,
        collector: &mut Collector,
        screen: &Screen,
        out: &mut Out,
    ) -> Result<(), Error> {
        let mut schedule = Schedule::new(self.period, 1, None);
        self.stamp();
        self.draw(out)?;
        loop {
            let due = schedule.due();
            while monotonic_ns() < due && !signals::stopped() {
                if signals::resized() {
                    self.draw(out)?;
                }
                match screen.key(due).map(|k| self.key(k)) {
                    Some(Step::Quit) => return Ok(()),
                    Some(Step::Redraw) => self.draw(out)?,
                    _ => {}
                }
            }
            if signals::stopped() {
                return Ok(());
            }
            schedule.advance(monotonic_ns());
            if self.paused {
                continue;
            }
            self.pass(collector)?;
            if args.selection.fixed() && collector.process_count() == 0 {
                return Err(Error::NoMatch(
                    "every selected process has exited: nothing left to show".to_string(),
                ));
            }
            self.draw(out)?;
        }
    }

    /// Reads one pass, the cgroups over the interval, and the findings at the end of their
    /// window.
    fn pass(&mut self, collector: &mut Collector) -> Result<(), Error> {
        relist_changed(collector)?;
        collector.set_all_states(self.all);
        collector.forget_sockets();
        collector.pass(Pass::Full, &mut self.rows);
        self.cgroups.track(collector.cgroups());
        // The last reading starts this interval's window.
        self.cgroups.roll();
        self.cgroups.finish();
        self.findings.add(&self.rows);
        self.window_passes += 1;
        // A window is judged once it holds the evidence sample's findings need.
        let long = monotonic_ns() - self.window_start >= FINDINGS_NS;
        if long && self.window_passes >= FINDINGS_PASSES {
            self.findings.finish(collector, &self.cgroups);
            self.found.clear();
            self.findings.write(Format::Table, &mut self.found);
            self.findings = Findings::start(collector);
            self.window_start = monotonic_ns();
            self.window_passes = 0;
        }
        self.stamp();
        Ok(())
    }

    /// Notes the time of the pass, for the title.
    fn stamp(&mut self) {
        let (secs, nanos) = clock::now();
        self.time.clear();
        clock::push_time_of_day(&mut self.time, secs, nanos);
    }

    /// Acts on key `k`.
    fn key(&mut self, k: u8) -> Step {
        if let Some(typed) = &mut self.typing {
            match k {
                b'\r' | b'\n' => {
                    self.filter = std::mem::take(typed);
                    self.typing = None;
                }
                // Escape, Ctrl-C, Ctrl-G: the filter as it was.
                0x1b | 3 | 7 => self.typing = None,
                0x7f | 8 => {
                    typed.pop();
                }
                k if k >= b' ' => typed.push(k),
                _ => return Step::Nothing,
            }
            return Step::Redraw;
        }
        let sort = match k {
            b'q' | b'Q' | 3 | 4 => return Step::Quit,
            b'c' => Sort::Cpu,
            b's' => Sort::State,
            b'n' => Sort::Name,
            b'p' => Sort::Pid,
            b'/' => {
                self.typing = Some(Vec::new());
                return Step::Redraw;
            }
            b'r' => {
                self.all = !self.all;
                return Step::Redraw;
            }
            b' ' => {
                self.paused = !self.paused;
                return Step::Redraw;
            }
            _ => return Step::Nothing,
        };
        self.sort = sort;
        self.order = Order::new(&sort.keys(), None);
        Step::Redraw
    }

    /// Whether row `r` is shown: in R or D unless every state is, and of the process the
    /// filter names.
    fn shown(&self, r: &Row) -> bool {
        if !self.all && !matches!(r.state, b'R' | b'D') {
            return false;
        }
        let f = self.filter.as_slice();
        if f.is_empty() {
            return true;
        }
        if f.iter().all(u8::is_ascii_digit) {
            let id = std::str::from_utf8(f).ok().and_then(|s| s.parse().ok());
            return id == Some(r.pid) || id == Some(r.tid);
        }
        let named = |text: &[u8]| text.starts_with(f);
        named(self.rows.text(r.comm)) || r.pcomm.is_some_and(|p| named(self.rows.text(p)))
    }

    /// Draws the screen at the terminal's size: the lines above the table (at most half
    /// the screen), a blank line, the table, and the keys on the last line.
    fn draw(&mut self, out: &mut Out) -> Result<(), Error> {
        let (width, height) = size();
        let mut head = Vec::new();
        self.head(&mut head, width);
        // Prose is wrapped, never cut: a sentence or a figure cut off is a wrong answer.
        let head = wrap_text(&head, width);
        let head_lines = head.split(|&b| b == b'\n').count().min(height / 2);
        let mut table = Vec::new();
        self.table(&mut table, width, height.saturating_sub(head_lines + 3));
        let mut lines: Vec<&[u8]> = head.split(|&b| b == b'\n').take(head_lines).collect();
        lines.push(b"");
        let table = table.strip_suffix(b"\n").unwrap_or(&table);
        lines.extend(table.split(|&b| b == b'\n'));
        lines.truncate(height - 1);
        lines.resize(height - 1, b"");
        let mut last = Vec::new();
        match &self.typing {
            Some(typed) => {
                last.extend_from_slice(b"filter (a pid or the start of a name, Enter): ");
                escape::text(&mut last, typed);
                last.push(b'_');
            }
            None => last.extend_from_slice(KEYS),
        }
        lines.push(&last);
        // Home, each line cut to the width and cleared to its end, the rest cleared.
        out.buf.extend_from_slice(b"\x1b[H");
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.buf.extend_from_slice(b"\r\n");
            }
            push_cut(&mut out.buf, line, width);
            out.buf.extend_from_slice(b"\x1b[K");
        }
        out.buf.extend_from_slice(b"\x1b[J");
        out.flush()
    }

    /// The title, the tally, the cgroup blocks (their paths shortened to `width`) and the
    /// findings.
    fn head(&self, out: &mut Vec<u8>, width: usize) {
        out.extend_from_slice(b"tsnap top ");
        out.extend_from_slice(&self.time);
        out.extend_from_slice(b", by ");
        out.extend_from_slice(self.sort.name().as_bytes());
        out.extend_from_slice(if self.all {
            b", all states" as &[u8]
        } else {
            b", R and D"
        });
        if !self.filter.is_empty() {
            out.extend_from_slice(b", pid or name ");
            escape::text(out, &self.filter);
        }
        if self.paused {
            out.extend_from_slice(b", PAUSED");
        }
        out.push(b'\n');
        self.rows.tally.write_text(out);
        out.push(b'\n');
        let (groups, more) = self.cgroups.busiest(&self.rows.rows, CGROUP_BLOCKS);
        for g in groups {
            self.cgroups.write_text_fit(g, out, Some(width));
        }
        if more > 0 {
            out.push(b'(');
            push_int(out, more);
            out.extend_from_slice(b" more cgroups: select with -p or -C)\n");
        }
        out.extend_from_slice(&self.found);
        if out.last() == Some(&b'\n') {
            out.pop();
        }
    }

    /// The table of the first `room` rows shown, in order, fit to `width`.
    fn table(&mut self, out: &mut Vec<u8>, width: usize, room: usize) {
        let mut order = std::mem::replace(&mut self.order, Order::new(&[], None));
        let picked: Vec<usize> = (order.of(&self.rows).iter().copied())
            .filter(|&r| self.shown(&self.rows.rows[r]))
            .take(room)
            .collect();
        self.order = order;
        self.grid = std::mem::take(&mut self.grid).fit(Some(width));
        self.grid.clear();
        let rows = &self.rows;
        for r in picked {
            let row = &rows.rows[r];
            for &c in &COLUMNS {
                self.grid.push(|buf| match (c, row.endpoint) {
                    (Column::Filename, Endpoint::Inet { .. } | Endpoint::Unix { .. }) => {
                        columns::render(Column::Endpoint, row, rows, buf)
                    }
                    _ => columns::render(c, row, rows, buf),
                });
            }
        }
        self.grid.write(Format::Table, true, out);
    }
}

/// The terminal's columns and lines (80x24 where it does not say).
fn size() -> (usize, usize) {
    let size = termios::tcgetwinsize(rustix::stdio::stdout()).ok();
    let cols = size.map_or(0, |s| usize::from(s.ws_col));
    let lines = size.map_or(0, |s| usize::from(s.ws_row));
    (
        if cols == 0 { 80 } else { cols },
        if lines == 0 { 24 } else { lines.max(4) },
    )
}
