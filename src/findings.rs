//! What is stuck, after `sample`: the threads that were hot, blocked in D, waiting on a peer
//! that does not answer or starved of CPU, and the cgroups that were throttled, each with
//! the evidence and the next thing to look at.
//!
//! A look at every thread of the selection, whatever its state, is taken before the first
//! pass (its CPU and run-queue time, what it has read) and after the last (the same, and the
//! call it is in, the socket behind it, its wchan) ([`Collector::probe`]). Between them, each pass says which threads
//! were running or in D. A thread born during the run is judged only for its time in D. The thresholds (see the README for why):
//!
//! - hot: on a CPU at least 90% of the run, by its CPU time (a thread in R may be waiting
//!   for a CPU, which is starvation, not heat);
//! - blocked: in D in at least half the passes;
//! - waiting on a peer: in a read or receive call on a connected TCP socket of which it is
//!   the client at the last look, in state S in every pass, having read nothing since the
//!   first look;
//! - starved: runnable but waiting for a CPU at least 20% of the run;
//! - throttled: its cgroup throttled in at least 5% of the CFS periods of the run.
//!
//! Idle waits (a pool thread parked in futex, a poller in epoll_wait, a listener in accept, a
//! server waiting for its client's next request) match none of them.

use crate::cgroup::CgroupWindow;
use crate::clock::monotonic_ns;
use crate::collect::Collector;
use crate::columns::{self, Column, Needs};
use crate::output::json::JsonLine;
use crate::output::number::{push_fixed, push_int};
use crate::output::{Format, escape};
use crate::parse::net;
use crate::row::{Endpoint, Proto, Row, Rows, Syscall};
use crate::syscalls;

/// What the look before the passes reads: what each thread has used and read so far.
const FIRST: Needs = Needs::CPU
    .union(Needs::CPUTIME)
    .union(Needs::RUNQ)
    .union(Needs::IO);
/// What the look after them reads: that again, and what each thread is doing.
const LAST: Needs = FIRST
    .union(Needs::SYSCALL)
    .union(Needs::FD)
    .union(Needs::ENDPOINT)
    .union(Needs::WCHAN);

/// Percent of the run on a CPU from which a thread is hot.
pub const HOT_PERCENT: u64 = 90;
/// Percent of the run waiting for a CPU from which a thread is starved.
pub const STARVED_PERCENT: u64 = 20;
/// Percent of the CFS periods throttled from which a cgroup is.
pub const THROTTLED_PERCENT: u64 = 5;

/// The calls that wait for what a peer sends, on the fd they are given.
const RECEIVES: [&str; 5] = ["read", "readv", "recvfrom", "recvmsg", "recvmmsg"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Hot,
    Blocked,
    WaitingOnPeer,
    Starved,
    Throttled,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hot => "hot",
            Kind::Blocked => "blocked",
            Kind::WaitingOnPeer => "waiting-on-peer",
            Kind::Starved => "starved",
            Kind::Throttled => "throttled",
        }
    }
}

pub struct Finding {
    pub kind: Kind,
    pub pid: u32,
    /// None for a cgroup's finding.
    pub tid: Option<u32>,
    pub comm: Vec<u8>,
    /// What was seen, and where to look next; they may hold a target's text (file names).
    pub evidence: Vec<u8>,
    pub hint: Vec<u8>,
}

/// What is known of a thread over the run.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    pid: u32,
    tid: u32,
    /// At the first look: CPU and run-queue time, and bytes read.
    cpu_ns: Option<u64>,
    wait_ns: Option<u64>,
    rchar: Option<u64>,
    /// Seen at the first look.
    at_start: bool,
    running: u64,
    disk: u64,
    /// Seen in a pass in another state than S.
    woke: bool,
}

pub struct Findings {
    threads: Vec<Seen>,
    passes: u64,
    start_ns: u64,
    rows: Rows,
    found: Vec<Finding>,
}

impl Findings {
    /// Takes the first look, before the first pass.
    pub fn start(collector: &mut Collector) -> Findings {
        let mut rows = Rows::default();
        collector.probe(FIRST, &mut rows);
        let threads = rows
            .rows
            .iter()
            .map(|r| Seen {
                pid: r.pid,
                tid: r.tid,
                cpu_ns: r.cputime_ns,
                wait_ns: r.wait_ns,
                rchar: r.io_total.map(|io| io.rchar),
                at_start: true,
                ..Seen::default()
            })
            .collect();
        Findings {
            threads,
            passes: 0,
            start_ns: monotonic_ns(),
            rows,
            found: Vec::new(),
        }
    }

    /// Counts the states of the rows of one pass.
    pub fn add(&mut self, rows: &Rows) {
        self.passes += 1;
        for r in &rows.rows {
            let at = match self
                .threads
                .binary_search_by_key(&(r.pid, r.tid), |s| (s.pid, s.tid))
            {
                Ok(at) => at,
                // Born during the run: judged only for its time in D, and kept only once in
                // D, so that threads coming and going do not make the list grow.
                Err(at) if r.state == b'D' => {
                    let born = Seen {
                        pid: r.pid,
                        tid: r.tid,
                        ..Seen::default()
                    };
                    self.threads.insert(at, born);
                    at
                }
                Err(_) => continue,
            };
            let seen = &mut self.threads[at];
            seen.running += u64::from(r.state == b'R');
            seen.disk += u64::from(r.state == b'D');
            seen.woke |= r.state != b'S';
        }
    }

    /// Takes the last look, after the last pass, and judges every thread and cgroup.
    pub fn finish(&mut self, collector: &mut Collector, cgroups: &CgroupWindow) {
        collector.probe(LAST, &mut self.rows);
        let wall = monotonic_ns().saturating_sub(self.start_ns).max(1);
        let rows = &self.rows;
        for end in &rows.rows {
            let Ok(at) = self
                .threads
                .binary_search_by_key(&(end.pid, end.tid), |s| (s.pid, s.tid))
            else {
                continue;
            };
            let seen = self.threads[at];
            let judge = Judge {
                seen: &seen,
                end,
                rows,
                wall,
                passes: self.passes,
            };
            self.found.extend(
                [
                    judge.hot(),
                    judge.blocked(),
                    judge.waiting(),
                    judge.starved(),
                ]
                .into_iter()
                .flatten(),
            );
        }
        for t in cgroups.throttling() {
            if t.throttled * 100 < THROTTLED_PERCENT * t.periods {
                continue;
            }
            let mut evidence = b"cgroup ".to_vec();
            evidence.extend_from_slice(t.path);
            evidence.extend_from_slice(b" throttled in ");
            push_int(&mut evidence, t.throttled);
            evidence.extend_from_slice(b" of ");
            push_int(&mut evidence, t.periods);
            evidence.extend_from_slice(b" periods (");
            push_fixed(&mut evidence, t.throttled * 100, t.periods, 1);
            evidence.extend_from_slice(b"%)");
            if let Some(us) = t.throttled_us {
                evidence.extend_from_slice(b" for ");
                push_fixed(&mut evidence, us, 1_000_000, 2);
                evidence.extend_from_slice(b" s");
            }
            let comm = rows
                .rows
                .iter()
                .find(|r| r.tid == t.pid)
                .map_or(Vec::new(), |r| rows.text(r.comm).to_vec());
            self.found.push(Finding {
                kind: Kind::Throttled,
                pid: t.pid,
                tid: None,
                comm,
                evidence,
                hint: b"its CPU limit is too low for the load: raise it, or run fewer threads at once (thread pools, GOMAXPROCS, -XX:ActiveProcessorCount)".to_vec(),
            });
        }
        self.found.sort_unstable_by_key(|f| (f.kind, f.pid, f.tid));
    }

    /// Writes the findings: `findings:` and a line each (`findings: none`) for a table or
    /// CSV (whose caller puts them on stderr), a `{"type":"finding",...}` line each for JSON.
    pub fn write(&self, format: Format, out: &mut Vec<u8>) {
        if format == Format::Json {
            for f in &self.found {
                let mut line = JsonLine::new(out);
                line.text("type", b"finding")
                    .text("kind", f.kind.name().as_bytes())
                    .number("pid", f.pid)
                    .number_or_null("tid", f.tid)
                    .text("comm", &f.comm)
                    .text("evidence", &f.evidence)
                    .text("hint", &f.hint);
                line.end();
            }
            return;
        }
        if self.found.is_empty() {
            out.extend_from_slice(b"findings: none\n");
            return;
        }
        out.extend_from_slice(b"findings:\n");
        for f in &self.found {
            out.extend_from_slice(b"  ");
            out.extend_from_slice(f.kind.name().as_bytes());
            out.extend_from_slice(b": pid ");
            push_int(out, f.pid);
            if let Some(tid) = f.tid {
                out.extend_from_slice(b" tid ");
                push_int(out, tid);
            }
            out.extend_from_slice(b" (");
            escape::text(out, &f.comm);
            out.extend_from_slice(b"): ");
            escape::text(out, &f.evidence);
            out.extend_from_slice(b"; next: ");
            escape::text(out, &f.hint);
            out.push(b'\n');
        }
    }
}

/// Whether a thread is asleep in a receive call on a TCP connection of which it is the
/// client: waiting on its peer.
fn on_peer(r: &Row) -> bool {
    let Syscall::Call { nr, .. } = r.syscall else {
        return false;
    };
    let receiving = syscalls::lookup(nr).is_some_and(|s| RECEIVES.contains(&s.name));
    let client = matches!(
        r.endpoint,
        Endpoint::Inet {
            proto: Proto::Tcp,
            socket,
            accepted: false,
        } if socket.state == net::ESTABLISHED
    );
    r.state == b'S' && receiving && client
}

/// One thread's judgement, from what was seen of it and its last look.
struct Judge<'a> {
    seen: &'a Seen,
    end: &'a Row,
    rows: &'a Rows,
    wall: u64,
    passes: u64,
}

impl Judge<'_> {
    fn finding(&self, kind: Kind, evidence: Vec<u8>, hint: Vec<u8>) -> Option<Finding> {
        Some(Finding {
            kind,
            pid: self.end.pid,
            tid: Some(self.end.tid),
            comm: self.rows.text(self.end.comm).to_vec(),
            evidence,
            hint,
        })
    }

    /// Nanoseconds a counter of the first look grew by to the last.
    fn grown(&self, start: Option<u64>, end: Option<u64>) -> Option<u64> {
        self.seen.at_start.then_some(end?.checked_sub(start?)?)
    }

    /// `P% of the S s run`.
    fn share(&self, out: &mut Vec<u8>, ns: u64) {
        push_fixed(out, ns.saturating_mul(100), self.wall, 1);
        out.extend_from_slice(b"% of the ");
        push_fixed(out, self.wall, 1_000_000_000, 2);
        out.extend_from_slice(b" s run");
    }

    fn passes(&self, out: &mut Vec<u8>, state: &[u8], n: u64) {
        out.extend_from_slice(b" (");
        out.extend_from_slice(state);
        out.extend_from_slice(b" in ");
        push_int(out, n);
        out.extend_from_slice(b" of ");
        push_int(out, self.passes);
        out.extend_from_slice(b" passes)");
    }

    fn hot(&self) -> Option<Finding> {
        let cpu = self.grown(self.seen.cpu_ns, self.end.cputime_ns)?;
        if cpu * 100 < HOT_PERCENT * self.wall {
            return None;
        }
        let mut evidence = b"on a CPU ".to_vec();
        self.share(&mut evidence, cpu);
        self.passes(&mut evidence, b"R", self.seen.running);
        let mut hint = b"what it runs: tsnap dump -p ".to_vec();
        push_int(&mut hint, self.end.pid);
        hint.extend_from_slice(b" --top 1 (with --java for a JVM's frames), or perf top -t ");
        push_int(&mut hint, self.end.tid);
        self.finding(Kind::Hot, evidence, hint)
    }

    fn starved(&self) -> Option<Finding> {
        let wait = self.grown(self.seen.wait_ns, self.end.wait_ns)?;
        if wait * 100 < STARVED_PERCENT * self.wall {
            return None;
        }
        let mut evidence = b"waiting for a CPU ".to_vec();
        self.share(&mut evidence, wait);
        if let Some(cpu) = self.grown(self.seen.cpu_ns, self.end.cputime_ns) {
            evidence.extend_from_slice(b", on one ");
            push_fixed(&mut evidence, cpu.saturating_mul(100), self.wall, 1);
            evidence.push(b'%');
        }
        let hint = b"what else runs on its CPUs: its cgroup's throttling above, tsnap -a --sort pcpu for the busiest threads, and its CPU affinity (taskset -p)".to_vec();
        self.finding(Kind::Starved, evidence, hint)
    }

    fn blocked(&self) -> Option<Finding> {
        if self.passes == 0 || self.seen.disk * 2 < self.passes {
            return None;
        }
        let mut evidence = b"in D".to_vec();
        self.passes(&mut evidence, b"D", self.seen.disk);
        let mut cell = Vec::new();
        for (label, column) in [
            (&b"; now "[..], Column::State),
            (b", wchan ", Column::Wchan),
            (b", in ", Column::Syscall),
            (b" on ", Column::Filename),
        ] {
            cell.clear();
            if columns::render(column, self.end, self.rows, &mut cell) == crate::output::Kind::Text
                && !cell.is_empty()
            {
                evidence.extend_from_slice(label);
                evidence.extend_from_slice(&cell);
            }
        }
        let mut hint = b"what it waits for: its wchan and kernel stack in tsnap dump -p ".to_vec();
        push_int(&mut hint, self.end.pid);
        hint.extend_from_slice(
            b", the disk or network file system behind its file, and the io pressure of its cgroup",
        );
        self.finding(Kind::Blocked, evidence, hint)
    }

    fn waiting(&self) -> Option<Finding> {
        let read = self.seen.rchar? != self.end.io_total?.rchar;
        if !on_peer(self.end) || self.seen.woke || read || !self.seen.at_start {
            return None;
        }
        let mut evidence = b"in ".to_vec();
        columns::syscall_name(self.end.syscall, &mut evidence);
        evidence.extend_from_slice(b" on ");
        columns::render(Column::Endpoint, self.end, self.rows, &mut evidence);
        evidence.extend_from_slice(b", asleep in every pass of the ");
        push_fixed(&mut evidence, self.wall, 1_000_000_000, 2);
        evidence.extend_from_slice(b" s run, not a byte read");
        let mut hint = b"the server at ".to_vec();
        if let Endpoint::Inet { socket, .. } = self.end.endpoint {
            columns::push_addr(&mut hint, &socket.remote);
            if socket.tx_queue > 0 {
                hint.extend_from_slice(b", which does not even read what was sent,");
            }
        }
        hint.extend_from_slice(b" does not answer: look at it (its threads, its logs); tsnap -a -G endpoint shows who else waits on it");
        self.finding(Kind::WaitingOnPeer, evidence, hint)
    }
}
