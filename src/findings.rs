//! What is stuck, after `sample`: the threads that were hot, blocked in D, waiting on a peer
//! or a file system that does not answer or starved of CPU, the cgroups that were throttled and a machine
//! whose CPUs are oversubscribed, each with the evidence and the next thing to look at.
//! Threads of one process with the same kind and cause are one finding, and causes come
//! before symptoms.
//!
//! A look at every thread of the selection, whatever its state, is taken before the first
//! pass (its CPU and run-queue time, the call it is in, the socket behind it) and after the
//! last (the same, and its wchan) ([`Collector::probe`]). Between them, each pass says which threads
//! were running or in D. A thread born during the run is judged only for its time in D. The thresholds (see the README for why):
//!
//! - hot: runnable (on a CPU or waiting for one, by `schedstat`) at least 90% of the run,
//!   whatever the split, so that a spinner is hot however busy the machine is;
//! - waiting on a file system: asleep in the same call on a file of a network or FUSE
//!   mount at both looks, never running in a pass nor put on a CPU between them; a D wait
//!   there is not `blocked`;
//! - blocked: in D in at least half the passes;
//! - waiting on a peer: in the same read or receive call on the same connected TCP socket
//!   of which it is the client at both looks, in state S in every pass, the connection
//!   having received nothing between them (tcp_info's `bytes_received`, or where netlink
//!   does not answer, an empty receive queue and a thread never put on a CPU);
//! - starved: not hot, but waiting for a CPU at least 20% of the run;
//! - cpu-saturated: threads of at least two cgroups each waiting for a CPU at least 20% of
//!   the run: the machine, not one program, is short of CPU; it replaces their `starved`;
//! - throttled: its cgroup throttled in at least 5% of the CFS periods of the run.
//!
//! A run shorter than 1 s or 10 passes is not judged: too few passes say nothing of
//! "every pass", and a short run's shares swing with one scheduler tick.
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
use crate::parse::{self, net};
use crate::procfs::{self, RelPath};
use crate::remote::RemoteMounts;
use crate::row::{Endpoint, Proto, Row, Rows, Syscall};
use crate::syscalls;

/// What the look before the passes reads: what each thread has used so far, and what it
/// is doing (the call, the socket and what the connection received).
const FIRST: Needs = Needs::CPU
    .union(Needs::CPUTIME)
    .union(Needs::RUNQ)
    .union(Needs::SYSCALL)
    .union(Needs::FD)
    .union(Needs::ENDPOINT);
/// What the look after them reads: that again, and where each thread sleeps.
const LAST: Needs = FIRST.union(Needs::WCHAN);

/// Percent of the run runnable (on a CPU or waiting for one) from which a thread is hot.
pub const HOT_PERCENT: u64 = 90;
/// Percent of the run waiting for a CPU from which a thread is starved.
pub const STARVED_PERCENT: u64 = 20;
/// Percent of the CFS periods throttled from which a cgroup is.
pub const THROTTLED_PERCENT: u64 = 5;
/// The shortest run judged: its length, and its passes.
pub const MIN_RUN_NS: u64 = 1_000_000_000;
pub const MIN_PASSES: u64 = 10;
/// The most tids a finding's line names; JSON lists them all.
const TIDS_NAMED: usize = 10;

/// The calls that wait for what a peer sends, on the fd they are given (a `poll` of one
/// fd: the fd in its `struct pollfd`).
const RECEIVES: [&str; 7] = [
    "read", "readv", "recvfrom", "recvmsg", "recvmmsg", "poll", "ppoll",
];

/// The kinds in the order they are told: causes before the symptoms they explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Throttled,
    CpuSaturated,
    WaitingOnFs,
    WaitingOnPeer,
    Blocked,
    Hot,
    Starved,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Throttled => "throttled",
            Kind::CpuSaturated => "cpu-saturated",
            Kind::WaitingOnFs => "waiting-on-fs",
            Kind::WaitingOnPeer => "waiting-on-peer",
            Kind::Blocked => "blocked",
            Kind::Hot => "hot",
            Kind::Starved => "starved",
        }
    }
}

pub struct Finding {
    pub kind: Kind,
    /// None for the machine's finding (cpu-saturated).
    pub pid: Option<u32>,
    /// The threads it is about, in tid order; none for a cgroup's finding.
    pub tids: Vec<u32>,
    pub comm: Vec<u8>,
    /// What was seen (of the first thread, for several), and where to look next; they may
    /// hold a target's text (file names).
    pub evidence: Vec<u8>,
    pub hint: Vec<u8>,
    /// What threads of one process share to be one finding: the call, the file or endpoint
    /// with digits masked, the wchan.
    key: Vec<u8>,
}

/// What is known of a thread over the run.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    pid: u32,
    tid: u32,
    /// At the first look: CPU and run-queue time, the times it was put on a CPU, its call
    /// and the socket behind it (its inode and the bytes its connection had received).
    cpu_ns: Option<u64>,
    wait_ns: Option<u64>,
    slices: Option<u64>,
    call: Syscall,
    socket: Option<(u64, Option<u64>)>,
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
    /// A run too short to judge: its passes and length.
    short: Option<(u64, u64)>,
}

impl Findings {
    /// Takes the first look, before the first pass.
    pub fn start(collector: &mut Collector) -> Findings {
        let mut rows = Rows::default();
        collector.forget_sockets();
        collector.probe(FIRST, &mut rows);
        let threads = rows
            .rows
            .iter()
            .map(|r| Seen {
                pid: r.pid,
                tid: r.tid,
                cpu_ns: r.cputime_ns,
                wait_ns: r.wait_ns,
                slices: r.slices,
                call: r.syscall,
                socket: match r.endpoint {
                    Endpoint::Inet { socket, .. } => Some((socket.inode, socket.received)),
                    _ => None,
                },
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
            short: None,
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
        let run = monotonic_ns().saturating_sub(self.start_ns);
        if run < MIN_RUN_NS || self.passes < MIN_PASSES {
            self.short = Some((self.passes, run));
            return;
        }
        collector.forget_sockets();
        collector.probe(LAST, &mut self.rows);
        let wall = monotonic_ns().saturating_sub(self.start_ns).max(1);
        let mounts = RemoteMounts::read(collector.mount().fd(), collector.pids());
        let rows = &self.rows;
        // The threads waiting for a CPU a fifth of the run, with their cgroup's path.
        let mut waiting: Vec<(Vec<u8>, u32)> = Vec::new();
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
                mounts: &mounts,
                wall,
                passes: self.passes,
            };
            // A D wait on a network or FUSE mount is that mount's, not a disk's.
            let on_fs = judge.on_fs();
            let blocked = match on_fs {
                Some(_) => None,
                None => judge.blocked(),
            };
            self.found.extend(
                [
                    on_fs,
                    judge.hot(),
                    blocked,
                    judge.waiting(),
                    judge.starved(),
                ]
                .into_iter()
                .flatten(),
            );
            if judge
                .wait()
                .is_some_and(|w| w * 100 >= STARVED_PERCENT * wall)
                && let Some(path) = cgroups.cpu_path(end.pid)
            {
                waiting.push((path.to_vec(), end.tid));
            }
        }
        self.found = group(std::mem::take(&mut self.found));
        if let Some(saturated) = saturated(&mut waiting, wall, collector) {
            self.found.retain(|f| f.kind != Kind::Starved);
            self.found.push(saturated);
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
            // The kernel counts a period throttled when the cgroup used its quota before
            // the period ended.
            evidence.extend_from_slice(b", by cpu.stat's nr_throttled of nr_periods");
            let comm = rows
                .rows
                .iter()
                .find(|r| r.tid == t.pid)
                .map_or(Vec::new(), |r| rows.text(r.comm).to_vec());
            self.found.push(Finding {
                kind: Kind::Throttled,
                pid: Some(t.pid),
                tids: Vec::new(),
                comm,
                evidence,
                hint: b"its CPU limit is too low for the load: raise it, or run fewer threads at once (thread pools, GOMAXPROCS, -XX:ActiveProcessorCount)".to_vec(),
                key: Vec::new(),
            });
        }
        crate::sort::sort_by_key(&mut self.found, |f| {
            (f.kind, f.pid, f.tids.first().copied())
        });
    }

    /// Writes the findings: `findings:` and a line each (`findings: none`) for a table or
    /// CSV (whose caller puts them on stderr), a `{"type":"finding",...}` line each for JSON.
    /// A run too short to judge gets `findings: not judged: ...` instead (JSON: a
    /// `{"type":"findings","judged":false,...}` line).
    pub fn write(&self, format: Format, out: &mut Vec<u8>) {
        if let Some((passes, run)) = self.short {
            let mut why = b"the run was ".to_vec();
            push_int(&mut why, passes);
            why.extend_from_slice(if passes == 1 {
                b" pass, "
            } else {
                b" passes, "
            });
            push_fixed(&mut why, run, 1_000_000_000, 2);
            why.extend_from_slice(b" s (need 1 s and 10 passes)");
            if format == Format::Json {
                let mut line = JsonLine::new(out);
                line.text("type", b"findings")
                    .boolean("judged", false)
                    .text("why", &why);
                line.end();
            } else {
                out.extend_from_slice(b"findings: not judged: ");
                out.extend_from_slice(&why);
                out.push(b'\n');
            }
            return;
        }
        if format == Format::Json {
            for f in &self.found {
                let mut line = JsonLine::new(out);
                line.text("type", b"finding")
                    .text("kind", f.kind.name().as_bytes())
                    .number_or_null("pid", f.pid)
                    .number_or_null("tid", (f.tids.len() == 1).then(|| f.tids[0]))
                    .number("threads", f.tids.len())
                    .numbers("tids", f.tids.iter().map(|&t| u64::from(t)))
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
            write_line(f, out);
        }
    }
}

/// `  KIND: pid P tid T (comm): EVIDENCE; next: HINT`, or for several threads
/// `  KIND: N threads of pid P (comm): tid A: EVIDENCE; tids A, B, ... and M more; next: HINT`
/// (the evidence is the first thread's).
fn write_line(f: &Finding, out: &mut Vec<u8>) {
    out.extend_from_slice(b"  ");
    out.extend_from_slice(f.kind.name().as_bytes());
    out.extend_from_slice(b": ");
    if let Some(pid) = f.pid {
        match f.tids[..] {
            [tid] => {
                out.extend_from_slice(b"pid ");
                push_int(out, pid);
                out.extend_from_slice(b" tid ");
                push_int(out, tid);
            }
            [] => {
                out.extend_from_slice(b"pid ");
                push_int(out, pid);
            }
            _ => {
                push_int(out, f.tids.len());
                out.extend_from_slice(b" threads of pid ");
                push_int(out, pid);
            }
        }
        out.extend_from_slice(b" (");
        escape::text(out, &f.comm);
        out.extend_from_slice(b"): ");
        if let [first, _, ..] = f.tids[..] {
            out.extend_from_slice(b"tid ");
            push_int(out, first);
            out.extend_from_slice(b": ");
        }
    }
    escape::text(out, &f.evidence);
    if f.tids.len() > 1 || f.pid.is_none() {
        out.extend_from_slice(b"; tids ");
        for (i, &tid) in f.tids.iter().take(TIDS_NAMED).enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            push_int(out, tid);
        }
        if f.tids.len() > TIDS_NAMED {
            out.extend_from_slice(b" and ");
            push_int(out, f.tids.len() - TIDS_NAMED);
            out.extend_from_slice(b" more");
        }
    }
    out.extend_from_slice(b"; next: ");
    escape::text(out, &f.hint);
    out.push(b'\n');
}

/// Makes the findings of threads of one process with the same kind and key one, naming
/// them all; the first thread's evidence stands for them.
fn group(mut found: Vec<Finding>) -> Vec<Finding> {
    crate::sort::sort_by(&mut found, |a, b| {
        (a.kind, a.pid, &a.key, &a.tids).cmp(&(b.kind, b.pid, &b.key, &b.tids))
    });
    let mut grouped: Vec<Finding> = Vec::with_capacity(found.len());
    for f in found {
        match grouped.last_mut() {
            Some(g) if (g.kind, g.pid, &g.key) == (f.kind, f.pid, &f.key) => {
                g.tids.extend_from_slice(&f.tids);
            }
            _ => grouped.push(f),
        }
    }
    grouped
}

/// The machine's finding when threads of at least two cgroups waited for a CPU a fifth of
/// the run: their threads and cgroups, the load and the CPU pressure of the machine.
fn saturated(waiting: &mut [(Vec<u8>, u32)], wall: u64, collector: &Collector) -> Option<Finding> {
    crate::sort::sort(waiting);
    let mut paths: Vec<(&[u8], usize)> = Vec::new();
    for (path, _) in waiting.iter() {
        match paths.last_mut() {
            Some((p, n)) if *p == &path[..] => *n += 1,
            _ => paths.push((path, 1)),
        }
    }
    if paths.len() < 2 {
        return None;
    }
    let mut evidence = Vec::new();
    push_int(&mut evidence, waiting.len());
    evidence.extend_from_slice(b" threads of ");
    push_int(&mut evidence, paths.len());
    evidence.extend_from_slice(b" cgroups waiting for a CPU at least ");
    push_int(&mut evidence, STARVED_PERCENT);
    evidence.extend_from_slice(b"% of the ");
    push_fixed(&mut evidence, wall, 1_000_000_000, 2);
    evidence.extend_from_slice(b" s run by schedstat's run-queue time (");
    for (i, (path, n)) in paths.iter().take(TIDS_NAMED).enumerate() {
        if i > 0 {
            evidence.extend_from_slice(b", ");
        }
        evidence.extend_from_slice(path);
        evidence.extend_from_slice(b": ");
        push_int(&mut evidence, *n);
    }
    if paths.len() > TIDS_NAMED {
        evidence.extend_from_slice(b", ...");
    }
    evidence.push(b')');
    let (root, mut buf, mut path) = (collector.mount().fd(), Vec::new(), RelPath::new());
    if procfs::read_file(root, path.push(b"loadavg"), &mut buf).is_ok() {
        evidence.extend_from_slice(b"; load");
        for word in buf.split(|&b| b == b' ').take(3) {
            evidence.push(b' ');
            evidence.extend_from_slice(word);
        }
    }
    path.clear().push(b"pressure").push(b"cpu");
    if let Some(p) = procfs::read_file(root, &path, &mut buf)
        .ok()
        .and_then(|()| parse::cgroup::pressure(&buf))
    {
        evidence.extend_from_slice(b"; CPU pressure ");
        push_fixed(&mut evidence, p.avg10, 100, 2);
        evidence.extend_from_slice(b"% (some, avg10)");
    }
    Some(Finding {
        kind: Kind::CpuSaturated,
        pid: None,
        tids: waiting.iter().map(|w| w.1).collect(),
        comm: Vec::new(),
        evidence,
        hint: b"the machine has more runnable threads than CPUs, not one program: the busiest threads (tsnap -a --sort pcpu), the CPU requests and limits of the cgroups that share these CPUs, or more CPUs".to_vec(),
        key: Vec::new(),
    })
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
    mounts: &'a RemoteMounts,
    wall: u64,
    passes: u64,
}

impl Judge<'_> {
    fn finding(
        &self,
        kind: Kind,
        key: Vec<u8>,
        evidence: Vec<u8>,
        hint: Vec<u8>,
    ) -> Option<Finding> {
        Some(Finding {
            kind,
            pid: Some(self.end.pid),
            tids: vec![self.end.tid],
            comm: self.rows.text(self.end.comm).to_vec(),
            evidence,
            hint,
            key,
        })
    }

    /// The key of a finding about what the thread waits in: its call, file and endpoint
    /// with digits masked, and its wchan.
    fn key(&self) -> Vec<u8> {
        let (mut key, mut cell) = (Vec::new(), Vec::new());
        for column in [
            Column::Syscall,
            Column::Filename,
            Column::Endpoint,
            Column::Wchan,
        ] {
            cell.clear();
            columns::render(column, self.end, self.rows, &mut cell);
            match column {
                Column::Endpoint => crate::aggregate::mask_endpoint(&mut key, &cell),
                _ => crate::aggregate::star_digits(&mut key, &cell),
            }
            key.push(0);
        }
        key
    }

    /// Its CPU time and run-queue wait over the run.
    fn cpu(&self) -> Option<u64> {
        self.grown(self.seen.cpu_ns, self.end.cputime_ns)
    }

    fn wait(&self) -> Option<u64> {
        self.grown(self.seen.wait_ns, self.end.wait_ns)
    }

    /// Its time on a CPU and waiting for one over the run. The kernel adds a wait in a run
    /// queue when the wait ends, whole: one under way at the last look is not counted yet,
    /// one begun before the first is counted in full. So the wait is at least what the
    /// passes saw it runnable (R) less its CPU time, and the two at most the run.
    fn runnable(&self) -> Option<(u64, u64)> {
        let (cpu, mut wait) = (self.cpu()?, self.wait().unwrap_or(0));
        let seen_r = self.wall * self.seen.running / self.passes.max(1);
        wait = wait.max(seen_r.saturating_sub(cpu));
        if cpu + wait > self.wall {
            let on_cpu = u128::from(cpu) * u128::from(self.wall) / u128::from(cpu + wait);
            return Some((on_cpu as u64, self.wall - on_cpu as u64));
        }
        Some((cpu, wait))
    }

    /// Runnable (on a CPU or waiting for one) at least [`HOT_PERCENT`] of the run.
    fn is_hot(&self) -> bool {
        let runnable = self.runnable().map(|(cpu, wait)| cpu + wait);
        runnable.is_some_and(|r| r * 100 >= HOT_PERCENT * self.wall)
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
        if !self.is_hot() {
            return None;
        }
        let (cpu, wait) = self.runnable()?;
        let mut evidence = b"runnable ".to_vec();
        self.share(&mut evidence, cpu + wait);
        evidence.extend_from_slice(b": on a CPU ");
        push_fixed(&mut evidence, cpu.saturating_mul(100), self.wall, 1);
        evidence.extend_from_slice(b"%, waiting for one ");
        push_fixed(&mut evidence, wait.saturating_mul(100), self.wall, 1);
        evidence.push(b'%');
        self.passes(&mut evidence, b"R", self.seen.running);
        // The counters, and why they move: the kernel adds each slice on a CPU and each
        // wait in a run queue, so their growth is the time it could run.
        evidence.extend_from_slice(b", by schedstat's time on a CPU and in a run queue");
        let mut hint = b"what it runs: tsnap dump -p ".to_vec();
        push_int(&mut hint, self.end.pid);
        hint.extend_from_slice(b" --top 1 (with --java for a JVM's frames), or perf top -t ");
        push_int(&mut hint, self.end.tid);
        self.finding(Kind::Hot, Vec::new(), evidence, hint)
    }

    fn starved(&self) -> Option<Finding> {
        let wait = self.wait()?;
        if self.is_hot() || wait * 100 < STARVED_PERCENT * self.wall {
            return None;
        }
        let mut evidence = b"waiting for a CPU ".to_vec();
        self.share(&mut evidence, wait);
        if let Some(cpu) = self.cpu() {
            evidence.extend_from_slice(b", on one ");
            push_fixed(&mut evidence, cpu.saturating_mul(100), self.wall, 1);
            evidence.push(b'%');
        }
        evidence.extend_from_slice(
            b" (schedstat's run-queue time, which grows only while it could run and another did)",
        );
        let hint = b"what else runs on its CPUs: its cgroup's throttling above, tsnap -a --sort pcpu for the busiest threads, and its CPU affinity (taskset -p)".to_vec();
        self.finding(Kind::Starved, Vec::new(), evidence, hint)
    }

    /// Waiting on a file system: asleep (S or D) in the same call with the same arguments at
    /// both looks, never seen running in a pass nor put on a CPU between the looks
    /// (schedstat's count, which grows each time it runs), on a file of a network or
    /// user-space mount of its process's mount table.
    fn on_fs(&self) -> Option<Finding> {
        let (Syscall::Call { nr: a, args: x }, Syscall::Call { nr: b, args: y }) =
            (self.seen.call, self.end.syscall)
        else {
            return None;
        };
        let asleep = matches!(self.end.state, b'S' | b'D') && self.seen.running == 0;
        let (before, now) = (self.seen.slices, self.end.slices);
        if a != b || x != y || !asleep || before.zip(now).is_some_and(|(s, e)| s != e) {
            return None;
        }
        let file = self.rows.text(self.end.filename?);
        let mut point = Vec::new();
        let fstype = self.mounts.of(self.end.pid, file, &mut point)?;
        let mut evidence = Vec::new();
        evidence.push(self.end.state);
        evidence.extend_from_slice(b" in ");
        columns::syscall_name(self.end.syscall, &mut evidence);
        evidence.extend_from_slice(b" on ");
        evidence.extend_from_slice(file);
        evidence.extend_from_slice(b" (");
        evidence.extend_from_slice(fstype);
        evidence.extend_from_slice(b" mounted at ");
        evidence.extend_from_slice(&point);
        evidence.extend_from_slice(b"), in that call for all of the ");
        push_fixed(&mut evidence, self.wall, 1_000_000_000, 2);
        evidence.extend_from_slice(b" s run");
        if let Some(now) = now {
            evidence.extend_from_slice(b", never put on a CPU (schedstat's count stayed at ");
            push_int(&mut evidence, now);
            evidence.push(b')');
        }
        if let Some(wchan) = self.end.wchan.map(|w| self.rows.text(w))
            && !wchan.is_empty()
        {
            evidence.extend_from_slice(b", wchan ");
            evidence.extend_from_slice(wchan);
        }
        let mut hint = b"what its file system waits on: a FUSE mount's daemon (stopped, or stuck itself), an NFS, CIFS or Ceph server or the network to it; tsnap -a -p ".to_vec();
        push_int(&mut hint, self.end.pid);
        hint.extend_from_slice(b" -o tid,state,syscall,filename,wchan shows every thread in it");
        // One cause: the call and the file (digits masked) on one mount, whatever each
        // thread's wchan (those behind the first hold a lock of the file system's).
        let mut key = Vec::new();
        columns::syscall_name(self.end.syscall, &mut key);
        key.push(0);
        crate::aggregate::star_digits(&mut key, file);
        key.push(0);
        key.extend_from_slice(&point);
        self.finding(Kind::WaitingOnFs, key, evidence, hint)
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
        self.finding(Kind::Blocked, self.key(), evidence, hint)
    }

    /// Waiting on a peer: asleep in every pass in one receive call on one connection that
    /// received nothing over the run. tcp_info's `bytes_received` counts every byte the peer
    /// sent, read or not; where netlink does not answer (another network namespace, an older
    /// kernel), an empty receive queue and a thread never put on a CPU (schedstat's count):
    /// a byte arriving would have woken it.
    fn waiting(&self) -> Option<Finding> {
        let Endpoint::Inet { socket, .. } = self.end.endpoint else {
            return None;
        };
        let same_call = match (self.seen.call, self.end.syscall) {
            (Syscall::Call { nr: a, args: x }, Syscall::Call { nr: b, args: y }) => {
                a == b && x[0] == y[0]
            }
            _ => false,
        };
        let (inode, received) = self.seen.socket?;
        if !on_peer(self.end) || self.seen.woke || !same_call || inode != socket.inode {
            return None;
        }
        let mut counter = Vec::new();
        match (received, socket.received) {
            (Some(before), Some(now)) => {
                if before != now {
                    return None;
                }
                counter
                    .extend_from_slice(b"no byte received: tcp_info's bytes_received stayed at ");
                push_int(&mut counter, now);
                counter.extend_from_slice(b" (it counts every byte the peer sends, read or not)");
            }
            _ => {
                let (before, now) = self.seen.slices.zip(self.end.slices)?;
                if socket.rx_queue > 0 || before != now {
                    return None;
                }
                counter.extend_from_slice(b"nothing received: its receive queue is empty and schedstat's count of times on a CPU stayed at ");
                push_int(&mut counter, now);
                counter.extend_from_slice(b" (a byte arriving would have woken it; no tcp_info from netlink for this socket)");
            }
        }
        let mut evidence = b"in ".to_vec();
        columns::syscall_name(self.end.syscall, &mut evidence);
        evidence.extend_from_slice(b" on ");
        columns::render(Column::Endpoint, self.end, self.rows, &mut evidence);
        evidence.extend_from_slice(b", asleep in every pass of the ");
        push_fixed(&mut evidence, self.wall, 1_000_000_000, 2);
        evidence.extend_from_slice(b" s run; ");
        evidence.extend_from_slice(&counter);
        let mut hint = b"the server at ".to_vec();
        columns::push_addr(&mut hint, &socket.remote);
        if socket.tx_queue > 0 {
            hint.extend_from_slice(b", which does not even read what was sent,");
        }
        hint.extend_from_slice(b" does not answer: look at it (its threads, its logs); tsnap -a -G endpoint shows who else waits on it");
        self.finding(Kind::WaitingOnPeer, self.key(), evidence, hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(pid: u32, tid: u32, key: &[u8]) -> Finding {
        Finding {
            kind: Kind::Blocked,
            pid: Some(pid),
            tids: vec![tid],
            comm: b"java".to_vec(),
            evidence: b"in D".to_vec(),
            hint: b"look".to_vec(),
            key: key.to_vec(),
        }
    }

    #[test]
    fn threads_of_one_process_with_one_cause_are_one_finding() {
        let mut found: Vec<Finding> = (0..12).map(|i| blocked(7, 100 + i, b"read")).collect();
        found.push(blocked(7, 200, b"write"));
        found.push(blocked(8, 300, b"read"));
        let found = group(found);
        let said: Vec<(Option<u32>, usize)> = found.iter().map(|f| (f.pid, f.tids.len())).collect();
        assert_eq!(said, [(Some(7), 12), (Some(7), 1), (Some(8), 1)]);
        let mut line = Vec::new();
        write_line(&found[0], &mut line);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "  blocked: 12 threads of pid 7 (java): tid 100: in D; tids 100, 101, 102, 103, 104, 105, 106, 107, 108, 109 and 2 more; next: look\n"
        );
        let mut line = Vec::new();
        write_line(&found[1], &mut line);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "  blocked: pid 7 tid 200 (java): in D; next: look\n"
        );
    }

    #[test]
    fn causes_come_before_symptoms() {
        let mut kinds = [
            Kind::WaitingOnFs,
            Kind::Starved,
            Kind::Hot,
            Kind::Blocked,
            Kind::WaitingOnPeer,
            Kind::CpuSaturated,
            Kind::Throttled,
        ];
        kinds.sort();
        let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "throttled",
                "cpu-saturated",
                "waiting-on-fs",
                "waiting-on-peer",
                "blocked",
                "hot",
                "starved"
            ]
        );
    }
}
