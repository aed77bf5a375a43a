//! `sample --java` and `watch --java`: Java over time. Each JVM is checked once and asked
//! from a thread of its own for the whole run, which paces its dumps by a pause budget: a
//! HotSpot thread dump stops the JVM at a safepoint, so after a dump that took T (from the
//! request to the end of the reply: a stand-in for the pause, which it contains) the next
//! waits T / budget, and at least a second (the first dump's T includes starting the attach
//! listener: it counts too, so the budget errs on the JVM's side). Over any stretch of the run
//! that ends at a dump's request, the dumps took at most the budget's share of it.
//!
//! The passes go on at their own rate: each row of a thread gets the Java state and frames of
//! that thread's entry in its JVM's latest dump, paired by nid, and the dump's age: carried
//! forward until the next dump replaces them.

use super::dump::java as java_dump;
use crate::aggregate::star_digits;
use crate::clock::monotonic_ns;
use crate::collect::Collector;
use crate::columns;
use crate::error::Error;
use crate::java::attach::MAX_REPLY;
use crate::java::{Answer, Target};
use crate::output::escape;
use crate::output::json::JsonLine;
use crate::output::number::push_int;
use crate::output::warn;
use crate::parse::jframe;
use crate::parse::jstack::{self, Line};
use crate::row::{Row, Rows};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Dumps are never closer than this, whatever the budget.
const MIN_GAP_NS: u64 = 1_000_000_000;

/// The most frames of a thread kept (the innermost): deep recursion prints thousands.
const MAX_FRAMES: usize = 64;

/// The most bytes of a state, a frame or a monitor kept: a row carries them every pass, and
/// a JVM may print lines of any length (real ones are under 40, 200 and 80).
const MAX_STATE: usize = 64;
const MAX_FRAME: usize = 512;

/// The most pools, and the most monitors waited on, counted for the finding: a JVM may make
/// up any number of them.
const MAX_KEYS: usize = 256;

/// Adds one to `key`'s count, if it is counted or there is room for it.
fn count<K: PartialEq>(counts: &mut Vec<(K, u64)>, key: K) {
    match counts.iter().position(|(k, _)| *k == key) {
        Some(i) => counts[i].1 += 1,
        None if counts.len() < MAX_KEYS => counts.push((key, 1)),
        None => {}
    }
}

/// The JVMs of a run, and what their dumps said of the monitors threads waited for.
pub struct JavaOverTime {
    jvms: Vec<Jvm>,
    /// Bytes of answers, shared by the JVMs: a dump's are given back once it is parsed.
    budget: Arc<AtomicUsize>,
    /// Samples carrying Java frames, by pool (comm, digits masked); and the BLOCKED ones by
    /// pool, top frame and monitor: each at most [`MAX_KEYS`] keys, the first seen.
    pools: Vec<(Vec<u8>, u64)>,
    blocked: Vec<(Wait, u64)>,
    timeout: Duration,
}

/// A pool, the top frame and the monitor its threads were BLOCKED on.
type Wait = (Vec<u8>, Vec<u8>, Vec<u8>);

struct Jvm {
    pid: u32,
    who: String,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    view: Option<View>,
}

/// What a JVM's thread hands over.
#[derive(Default)]
struct Shared {
    fresh: Mutex<Option<(Answer, u64)>>,
    stop: AtomicBool,
    dumps: AtomicU64,
    /// The dumps' summed time (request to end of reply), in ns.
    dump_ns: AtomicU64,
}

/// A JVM's latest dump, reduced to what rows carry.
struct View {
    /// When its reply ended (CLOCK_MONOTONIC ns).
    at: u64,
    entries: Vec<Entry>,
    /// Each nid and its entry, sorted (as [`java_dump::Merged`] pairs them).
    by_nid: Vec<(u64, usize)>,
}

impl View {
    fn entry(&self, nid: u64) -> Option<&Entry> {
        let at = self.by_nid.partition_point(|&(n, _)| n < nid);
        let &(n, i) = self.by_nid.get(at)?;
        (n == nid).then(|| &self.entries[i])
    }
}

struct Entry {
    state: Box<[u8]>,
    /// Short frames, innermost first, one a line.
    stack: Box<[u8]>,
    /// The monitor it waits to lock (`<0x...> (a CLASS)`), if BLOCKED on one.
    monitor: Box<[u8]>,
}

impl JavaOverTime {
    /// Checks the selected processes (reading /proc only), then starts asking each JVM.
    pub fn start(
        collector: &Collector,
        args: &crate::cli::Args,
        timeout: Duration,
    ) -> Result<JavaOverTime, Error> {
        java_dump::needs_procfs(collector, &args.proc_root)?;
        if !java_dump::may_ask_all(collector, &args.selection) {
            // No window yet: the list has no CPU figures.
            return Err(java_dump::candidates(
                collector,
                &crate::row::Rows::default(),
            ));
        }
        let root = collector.mount().fd();
        let targets = java_dump::askable(root, collector.pids());
        let budget = Arc::new(AtomicUsize::new(MAX_REPLY));
        let share = args.java_budget / 100.0;
        let mut jvms = Vec::new();
        for target in targets {
            let shared = Arc::new(Shared::default());
            let (pid, who) = (target.pid, target.who.clone());
            let (s, b) = (shared.clone(), budget.clone());
            let thread = std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || pace(target, &s, &b, timeout, share));
            match thread {
                Ok(t) => jvms.push(Jvm {
                    pid,
                    who,
                    shared,
                    thread: Some(t),
                    view: None,
                }),
                Err(e) => warn(&format!(
                    "{who}: no Java thread dumps: cannot start a thread to ask it: {e}"
                )),
            }
        }
        Ok(JavaOverTime {
            jvms,
            budget,
            pools: Vec::new(),
            blocked: Vec::new(),
            timeout,
        })
    }

    /// Gives each row of a thread its JVM's latest dump knows the Java columns' values.
    pub fn annotate(&mut self, rows: &mut Rows) {
        for jvm in &mut self.jvms {
            let fresh = jvm.shared.fresh.lock().ok().and_then(|mut f| f.take());
            if let Some((answer, at)) = fresh {
                jvm.take(answer, at, rows, &self.budget);
            }
        }
        let now = monotonic_ns();
        let mut pool = Vec::new();
        for i in 0..rows.rows.len() {
            let row = rows.rows[i];
            let Some(view) = self.jvms.iter().find(|j| j.pid == row.pid) else {
                continue;
            };
            let Some(view) = &view.view else { continue };
            let Some(e) = view.entry(columns::nid(&row)) else {
                continue;
            };
            let jstate = rows.push_text(&e.state);
            let jstack = rows.push_text(&e.stack);
            let r = &mut rows.rows[i];
            r.jstate = Some(jstate);
            r.jstack = Some(jstack);
            r.java_age_ms = Some(now.saturating_sub(view.at) / 1_000_000);
            pool.clear();
            star_digits(&mut pool, rows.text(row.comm));
            if !e.monitor.is_empty() {
                let top = e.stack.split(|&b| b == b'\n').next().unwrap_or_default();
                let key = (pool.clone(), top.to_vec(), e.monitor.to_vec());
                count(&mut self.blocked, key);
            }
            count(&mut self.pools, std::mem::take(&mut pool));
        }
    }

    /// The monitor most waited on: `80% of the Java samples of worker-* BLOCKED at
    /// Work.doGet:19 on <0x...> (a java.lang.Object)`, when a fifth of a pool's samples were.
    pub fn monitor_line(&self) -> Option<Vec<u8>> {
        let ((pool, top, monitor), n) = self.blocked.iter().max_by_key(|(k, n)| (*n, k))?;
        let (n, all) = (*n, self.pools.iter().find(|(p, _)| p == pool)?.1);
        if n * 5 < all || n < 5 {
            return None;
        }
        let mut out = b"java: ".to_vec();
        push_int(&mut out, n * 100 / all);
        out.extend_from_slice(b"% of the Java samples of ");
        escape::text(&mut out, pool);
        out.extend_from_slice(b" (");
        push_int(&mut out, n);
        out.extend_from_slice(b" of ");
        push_int(&mut out, all);
        out.extend_from_slice(b") BLOCKED at ");
        escape::text(&mut out, top);
        out.extend_from_slice(b" on ");
        escape::text(&mut out, monitor);
        out.push(b'\n');
        Some(out)
    }

    /// `java: N dumps of pid P (NAME), T ms in all (P% of the run), carried forward ...`.
    pub fn footer(&self, out: &mut Vec<u8>, wall_ns: u64) {
        for jvm in &self.jvms {
            let dumps = jvm.shared.dumps.load(Ordering::Acquire);
            let ns = jvm.shared.dump_ns.load(Ordering::Acquire);
            out.extend_from_slice(b"java: ");
            push_int(out, dumps);
            out.extend_from_slice(b" thread dumps of ");
            out.extend_from_slice(jvm.who.as_bytes());
            out.extend_from_slice(b", ");
            crate::output::number::push_fixed(out, ns, 1_000_000, 1);
            out.extend_from_slice(b" ms in all (");
            crate::output::number::push_fixed(out, ns * 100, wall_ns.max(1), 2);
            out.extend_from_slice(
                b"% of the run, request to reply: the JVM's pause is within it); each sample \
                  carries its thread's latest dump forward (jage)\n",
            );
        }
    }

    /// The same in sample's JSON summary: `java_dumps`, `java_dump_ms` (of every JVM) and
    /// `java_monitor` (the line's text, or null).
    pub fn write_json(&self, line: &mut JsonLine<'_>) {
        let sum = |f: fn(&Shared) -> &AtomicU64| -> u64 {
            let each = self
                .jvms
                .iter()
                .map(|j| f(&j.shared).load(Ordering::Acquire));
            each.sum()
        };
        line.number("java_dumps", sum(|s| &s.dumps))
            .number("java_dump_ms", sum(|s| &s.dump_ns) / 1_000_000);
        match self.monitor_line() {
            Some(text) => {
                let text = text.strip_prefix(b"java: ").unwrap_or(&text);
                line.text("java_monitor", text.strip_suffix(b"\n").unwrap_or(text))
            }
            None => line.null("java_monitor"),
        };
    }

    /// Stops asking: waits for a dump under way, as long as its deadline allows.
    pub fn stop(&mut self) {
        for jvm in &self.jvms {
            jvm.shared.stop.store(true, Ordering::Release);
        }
        let until = monotonic_ns() + self.timeout.as_nanos() as u64;
        for jvm in &mut self.jvms {
            while jvm.thread.as_ref().is_some_and(|t| !t.is_finished()) && monotonic_ns() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if jvm.thread.as_ref().is_some_and(|t| t.is_finished()) {
                jvm.thread.take().map(JoinHandle::join);
            }
        }
    }
}

impl Jvm {
    /// Makes `answer` the JVM's view, if it is this process's dump; gives its bytes back.
    /// A dump tsnap could not tell the sender of is checked against the pass's rows of the
    /// process: with none, it waits for the next pass (unless a newer dump came meanwhile);
    /// when it is another process's, the JVM is asked no more.
    fn take(&mut self, answer: Answer, at: u64, rows: &Rows, budget: &AtomicUsize) {
        let threads: Vec<Row> = rows
            .rows
            .iter()
            .filter(|r| r.pid == self.pid)
            .copied()
            .collect();
        if answer.verified || java_dump::is_dump_of(&answer.dump, &threads, rows) {
            self.view = Some(view(&answer.dump, at));
        } else if threads.is_empty() {
            if let Ok(mut fresh) = self.shared.fresh.lock()
                && fresh.is_none()
            {
                *fresh = Some((answer, at));
                return;
            }
        } else {
            warn(&format!(
                "{}: a Java thread dump is not this process's: its threads' ids and names are \
                 not those /proc shows (a /tmp shared with another JVM?); asking it no more",
                self.who
            ));
            self.shared.stop.store(true, Ordering::Release);
        }
        budget.fetch_add(answer.dump.len(), Ordering::AcqRel);
    }
}

/// What rows carry of a dump.
fn view(text: &[u8], at: u64) -> View {
    let dump = jstack::parse(text);
    let mut entries: Vec<Entry> = Vec::with_capacity(dump.threads.len());
    let mut by_nid = Vec::with_capacity(dump.threads.len());
    let mut stack = Vec::new();
    for t in &dump.threads {
        let Some(nid) = t.nid else { continue };
        let (mut state, mut monitor, mut frames) = (&b""[..], &b""[..], 0);
        stack.clear();
        for line in t.lines() {
            match line {
                Line::State(s) => state = &s[..s.len().min(MAX_STATE)],
                Line::Frame(f) if frames < MAX_FRAMES => {
                    if frames > 0 {
                        stack.push(b'\n');
                    }
                    let at = stack.len();
                    jframe::push_short(&mut stack, f);
                    stack.truncate(at + MAX_FRAME);
                    frames += 1;
                }
                Line::Lock { kind, object } if kind == b"waiting to lock" && frames == 1 => {
                    monitor = &object[..object.len().min(MAX_FRAME)];
                }
                _ => {}
            }
        }
        if state.is_empty() && stack.is_empty() {
            continue;
        }
        by_nid.push((nid, entries.len()));
        entries.push(Entry {
            state: state.into(),
            stack: stack.as_slice().into(),
            monitor: monitor.into(),
        });
    }
    // A nid listed twice pairs its first entry, as in `dump --java`.
    crate::sort::sort(&mut by_nid);
    by_nid.dedup_by_key(|&mut (n, _)| n);
    View {
        at,
        entries,
        by_nid,
    }
}

/// A JVM's thread for the run: a dump, then a wait of its time over the budget's `share`
/// (at least [`MIN_GAP_NS`]), until stopped or a dump fails.
fn pace(target: Target, shared: &Shared, budget: &AtomicUsize, timeout: Duration, share: f64) {
    while !shared.stop.load(Ordering::Acquire) {
        let start = monotonic_ns();
        let deadline = start.saturating_add(timeout.as_nanos() as u64);
        let answer = match target.thread_dump(deadline, timeout, budget, false) {
            Ok(a) => a,
            Err(e) => {
                warn(&format!(
                    "{}: no more Java thread dumps: {e}; showing what /proc shows",
                    target.who
                ));
                return;
            }
        };
        let end = monotonic_ns();
        let took = end - start;
        shared.dumps.fetch_add(1, Ordering::AcqRel);
        shared.dump_ns.fetch_add(took, Ordering::AcqRel);
        let old = shared
            .fresh
            .lock()
            .ok()
            .and_then(|mut f| f.replace((answer, end)));
        if let Some((old, _)) = old {
            budget.fetch_add(old.dump.len(), Ordering::AcqRel);
        }
        let gap = ((took as f64 / share) as u64).max(MIN_GAP_NS);
        while monotonic_ns() < start + gap && !shared.stop.load(Ordering::Acquire) {
            let left = (start + gap).saturating_sub(monotonic_ns());
            std::thread::sleep(Duration::from_nanos(left.min(50_000_000)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &[u8] = b"2026-12-07 05:00:00\nFull thread dump OpenJDK 64-Bit Server VM:\n\n\
\"blocked-1\" #14 daemon prio=5 os_prio=0 cpu=0.1ms elapsed=9s tid=0x1 nid=0x2a waiting for monitor entry  [0x7f]\n\
   java.lang.Thread.State: BLOCKED (on object monitor)\n\
\tat Work.doGet(Work.java:19)\n\
\t- waiting to lock <0x00000000c0ffee00> (a java.lang.Object)\n\
\tat Work.service(Work.java:40)\n\n\
\"holder\" #13 daemon prio=5 os_prio=0 tid=0x2 nid=0x29 waiting on condition  [0x7e]\n\
   java.lang.Thread.State: TIMED_WAITING (sleeping)\n\
\tat java.lang.Thread.sleep(java.base@17.0.15/Native Method)\n\
\tat Work.hold(Work.java:7)\n\
\t- locked <0x00000000c0ffee00> (a java.lang.Object)\n\n\
\"VM Thread\" os_prio=0 tid=0x3 nid=0x20 runnable\n\n\
\"no-nid\" #2 prio=5 tid=0x4 runnable\n   java.lang.Thread.State: RUNNABLE\n\n";

    #[test]
    fn a_dump_becomes_short_entries_by_nid() {
        let v = view(DUMP, 7);
        let nids: Vec<u64> = v.by_nid.iter().map(|e| e.0).collect();
        // The VM's own thread has neither state nor frames; a thread without nid pairs none.
        assert_eq!(nids, [0x29, 0x2a]);
        let holder = v.entry(0x29).unwrap();
        assert_eq!(&*holder.state, b"TIMED_WAITING (sleeping)");
        assert_eq!(&*holder.stack, b"java.lang.Thread.sleep\nWork.hold:7");
        assert!(holder.monitor.is_empty());
        let blocked = v.entry(0x2a).unwrap();
        assert!(v.entry(0x2b).is_none() && v.entry(0).is_none());
        assert_eq!(&*blocked.stack, b"Work.doGet:19\nWork.service:40");
        assert_eq!(
            &*blocked.monitor,
            b"<0x00000000c0ffee00> (a java.lang.Object)"
        );
    }

    #[test]
    fn deep_stacks_keep_their_innermost_frames() {
        let mut dump = b"\"deep\" #1 prio=5 tid=0x1 nid=0x5 runnable\n".to_vec();
        for i in 0..1000 {
            dump.extend_from_slice(format!("\tat R.f(R.java:{i})\n").as_bytes());
        }
        let v = view(&dump, 0);
        let frames: Vec<&[u8]> = v.entries[0].stack.split(|&b| b == b'\n').collect();
        assert_eq!(frames.len(), MAX_FRAMES);
        assert_eq!(frames[0], b"R.f:0");
    }

    #[test]
    fn long_lines_are_cut() {
        let mut dump =
            b"\"long\" #1 prio=5 tid=0x1 nid=0x5 runnable\n   java.lang.Thread.State: ".to_vec();
        dump.extend(std::iter::repeat_n(b'S', 10_000));
        dump.extend_from_slice(b"\n\tat ");
        dump.extend(std::iter::repeat_n(b'F', 10_000));
        dump.extend_from_slice(b"(F.java:1)\n\tat G.g(G.java:2)\n");
        let v = view(&dump, 0);
        assert_eq!(v.entries[0].state.len(), MAX_STATE);
        let frames: Vec<&[u8]> = v.entries[0].stack.split(|&b| b == b'\n').collect();
        assert_eq!((frames[0].len(), frames[1]), (MAX_FRAME, &b"G.g:2"[..]));
    }

    #[test]
    fn the_monitor_most_waited_on_needs_a_fifth_of_a_pool() {
        let mut j = JavaOverTime {
            jvms: Vec::new(),
            budget: Arc::new(AtomicUsize::new(0)),
            pools: Vec::new(),
            blocked: Vec::new(),
            timeout: Duration::from_secs(1),
        };
        let wait = || {
            (
                b"worker-*".to_vec(),
                b"Work.doGet:19".to_vec(),
                b"<0x1> (a X)".to_vec(),
            )
        };
        for _ in 0..4 {
            count(&mut j.blocked, wait());
        }
        j.pools.push((b"worker-*".to_vec(), 10));
        assert_eq!(j.monitor_line(), None, "fewer than 5 samples");
        count(&mut j.blocked, wait());
        let line = String::from_utf8(j.monitor_line().unwrap()).unwrap();
        assert_eq!(
            line,
            "java: 50% of the Java samples of worker-* (5 of 10) BLOCKED at Work.doGet:19 on <0x1> (a X)\n"
        );
        j.pools[0].1 = 26;
        assert_eq!(j.monitor_line(), None, "under a fifth");
        for i in 0..MAX_KEYS + 5 {
            count(&mut j.pools, vec![i as u8, 1]);
        }
        assert_eq!(j.pools.len(), MAX_KEYS);
    }
}
