//! `tsnap dump --java`: each JVM's own thread dump, fetched through its attach listener and
//! merged into tsnap's entries by nid, and how the Java side of an entry is written.

use crate::clock::monotonic_ns;
use crate::collect::Collector;
use crate::columns;
use crate::error::Error;
use crate::java::attach::MAX_REPLY;
use crate::java::vthreads::Json;
use crate::java::{Answer, Target, locks};
use crate::output::json::JsonLine;
use crate::output::number::push_int;
use crate::output::{escape, warn};
use crate::parse::environ;
use crate::parse::jstack::{self, Dump, Line, Part};
use crate::row::{Row, Rows};
use crate::select::{self, Selection};
use rustix::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

/// A selected JVM and its answer, if it gave one.
pub struct Jvm {
    pid: u32,
    who: String,
    answer: Option<Answer>,
    /// Its JSON thread dump, with `--virtual`.
    json: Option<Json>,
}

/// The most characters of a main class or jar a refusal shows.
const MAIN_CHARS: usize = 40;

/// Whether `dump --java` may ask every selected process: more than one only if they were
/// named one by one (`-p`, `--container`, `--pod`). `-C java` on a node matches every JVM
/// of every pod, and `-r` every descendant, which are not named by the `-p` they descend
/// from. When it may not, [`candidates`] lists them, to name the one meant, before any is
/// checked or signalled.
/// Refuses `--java` on a `--proc` that is not procfs (`proc_root`): the root and working
/// directory links of a copy could lead anywhere.
pub fn needs_procfs(collector: &Collector, proc_root: &std::path::Path) -> Result<(), Error> {
    match collector.mount().is_procfs() {
        true => Ok(()),
        false => Err(Error::BadInput(format!(
            "--java needs the real procfs: {} is not one, and the root and working directory \
             links of a copy could lead anywhere",
            proc_root.display()
        ))),
    }
}

pub fn may_ask_all(collector: &Collector, selection: &Selection) -> bool {
    let root = collector.mount().fd();
    let by_pid: Vec<u32> = (selection.pids.iter())
        .filter_map(|&id| select::thread_group_of(root, id))
        .collect();
    let in_named_place = !selection.containers.is_empty() || !selection.pods.is_empty();
    let named =
        selection.named() && (in_named_place || collector.pids().all(|pid| by_pid.contains(&pid)));
    named || collector.process_count() < 2
}

/// The refusal of [`may_ask_all`]: the selected processes, hottest first, each with its CPU
/// and threads over the window (from `rows`), what it runs (its main class, jar or module),
/// its container, and the command that asks it alone.
pub fn candidates(collector: &Collector, rows: &Rows) -> Error {
    let count = collector.process_count();
    let mut listed: Vec<(f64, String)> = Vec::new();
    for p in collector.processes() {
        let threads = rows.rows.iter().filter(|r| r.pid == p.pid);
        // No CPU without a window (`-i 0`): `-`.
        let (cpu, count) = threads.fold((None, 0), |(cpu, n), r| {
            let sum = r.pcpu.map(|c| cpu.unwrap_or(0.0) + c).or(cpu);
            (sum, n + 1)
        });
        let shown = cpu.map_or("-".to_string(), |c: f64| format!("{c:.1}"));
        let container = p.container.map_or("-".into(), |c| {
            let chars = columns::Column::Container.table_chars(c).unwrap_or(c.len());
            escape::display(&c[..c.len().min(chars)])
        });
        let words = p.cmdline.unwrap_or_default().split(|&b| b == b' ');
        let main = environ::launcher_args(words).1.filter(|m| !m.is_empty());
        let mut main = main.map_or("-".into(), escape::display);
        if main.chars().count() > MAIN_CHARS {
            main = main
                .chars()
                .take(MAIN_CHARS - 3)
                .chain("...".chars())
                .collect();
        }
        let line = format!(
            "\n  {:>7} {shown:>6} {count:>7} {container:<12} {main:<40} tsnap dump --java -p {}",
            p.pid, p.pid
        );
        listed.push((cpu.unwrap_or(-1.0), line));
    }
    crate::sort::sort_by(&mut listed, |a, b| b.0.total_cmp(&a.0));
    let mut text = format!(
        "dump --java asks one JVM unless the processes are named by -p, --container or --pod \
         (not by -C, --cgroup or -r) or --top N picks the JVMs of the N hottest threads, and \
         {count} processes matched; name the one to ask:\n      pid   cpu% threads container    \
         main class or jar                        ask it alone"
    );
    for (_, line) in listed {
        text.push_str(&line);
    }
    Error::Usage(text)
}

/// How long after the deadline tsnap waits for a JVM's thread to give up by itself: every
/// wait in it ends at the deadline, so only a file-system call that does not return is late.
const GRACE_NS: u64 = 300_000_000;

/// The JVMs among `pids` that may be asked ([`Target::check`]); why each other one may not
/// is said on stderr, and the command shows what /proc shows of it.
pub fn askable(root: BorrowedFd<'_>, pids: impl Iterator<Item = u32>) -> Vec<Target> {
    pids.filter_map(|pid| {
        Target::check(root, pid)
            .inspect_err(|why| warn(&format!("{why}; showing what /proc shows")))
            .ok()
    })
    .collect()
}

/// Checks every selected process first (reading /proc only), so that none is signalled
/// before all are checked; then asks every JVM at once, each from a thread of its own, all
/// by one deadline, `timeout` from now, and from one budget of answer bytes. A process that
/// is refused, and a JVM that does not answer, are told about on stderr and dumped without
/// the Java view. A thread still inside a call into the JVM's files at the deadline is left
/// behind, and the command goes on without it. `locks`: ask with `-l` (`--java-locks`);
/// `json`: ask for the JSON thread dump too (`--virtual`), after the thread dump.
pub fn fetch(
    root: BorrowedFd<'_>,
    pids: impl Iterator<Item = u32>,
    timeout: Duration,
    locks: bool,
    json: bool,
) -> Vec<Jvm> {
    let deadline = monotonic_ns().saturating_add(timeout.as_nanos() as u64);
    let targets = askable(root, pids);
    let budget = Arc::new(AtomicUsize::new(MAX_REPLY));
    let mut asking: Vec<Asking> = Vec::new();
    for target in targets {
        let budget = budget.clone();
        let (pid, who) = (target.pid, target.who.clone());
        let spawned = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let answer = target.thread_dump(deadline, timeout, &budget, locks);
                let json = (json && answer.is_ok()).then(|| target.json_dump(deadline, &budget));
                (answer, json)
            });
        match spawned {
            Ok(thread) => asking.push((pid, who, thread)),
            Err(e) => warn(&format!(
                "{who}: no Java thread dump: cannot start a thread to ask it: {e}; showing \
                 what /proc shows"
            )),
        }
    }
    while monotonic_ns() < deadline.saturating_add(GRACE_NS)
        && asking.iter().any(|(_, _, t)| !t.is_finished())
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    answers(asking, timeout)
}

/// A JVM being asked: its pid, who it is, and the thread asking it for its thread dump (and
/// its JSON thread dump).
type Asking = (
    u32,
    String,
    std::thread::JoinHandle<(Result<Answer, String>, Option<Result<Json, String>>)>,
);

/// The JVMs' answers, those of threads not finished by now as not answered within
/// `timeout`; what did not come is told about on stderr.
fn answers(asking: Vec<Asking>, timeout: Duration) -> Vec<Jvm> {
    let mut jvms = Vec::new();
    for (pid, who, thread) in asking {
        let (answer, json) = match thread.is_finished() {
            true => thread
                .join()
                .unwrap_or_else(|_| (Err("its thread failed".to_string()), None)),
            false => (
                Err(format!(
                    "a call into its files did not return within {}s",
                    timeout.as_secs_f64()
                )),
                None,
            ),
        };
        let json = json.and_then(|j| {
            j.inspect_err(|e| warn(&format!("{who}: no virtual threads: {e}")))
                .ok()
        });
        let answer = answer
            .inspect_err(|e| {
                warn(&format!(
                    "{who}: no Java thread dump: {e}; showing what /proc shows"
                ))
            })
            .ok();
        jvms.push(Jvm {
            pid,
            who,
            answer,
            json,
        });
    }
    jvms
}

/// Whether `text`, a dump whose sender tsnap could not identify, is that of the process of
/// `threads` (see [`Merged::is_of`]).
pub fn is_dump_of(text: &[u8], threads: &[Row], rows: &Rows) -> bool {
    Merged::new(text, threads).is_of(threads, rows)
}

/// One process's threads and its JVM's dump, paired by nid.
pub struct Merged<'a> {
    dump: Dump<'a>,
    /// For each thread row, its entry in the dump.
    by_row: Vec<Option<usize>>,
    /// Entries no thread row claimed, in the dump's order.
    unclaimed: Vec<usize>,
    /// The JVM's JSON thread dump, with `--virtual`.
    pub json: Option<&'a Json>,
}

impl<'a> Merged<'a> {
    /// Pairs `threads` (one process's rows) with the dump of its JVM among `jvms`, if it gave
    /// one; says on stderr, and pairs nothing, when the dump turns out to be another
    /// process's.
    pub fn of(jvms: &'a [Jvm], threads: &[Row], rows: &Rows) -> Option<Merged<'a>> {
        let pid = threads.first()?.pid;
        let jvm = jvms.iter().find(|j| j.pid == pid)?;
        let answer = jvm.answer.as_ref()?;
        let mut merged = Merged::new(&answer.dump, threads);
        merged.json = jvm.json.as_ref();
        if !answer.verified && !merged.is_of(threads, rows) {
            warn(&format!(
                "{}: the Java thread dump is not this process's: its threads' ids and names are \
                 not those /proc shows (a /tmp shared with another JVM?); showing what /proc \
                 shows",
                jvm.who
            ));
            return None;
        }
        Some(merged)
    }

    /// Pairs each row with the entry whose nid is the thread's id in the JVM's pid
    /// namespace, through an index of the entries by nid.
    fn new(text: &'a [u8], threads: &[Row]) -> Merged<'a> {
        let dump = jstack::parse(text);
        let mut index: Vec<(u64, usize)> = (dump.threads.iter().enumerate())
            .filter_map(|(i, t)| Some((t.nid?, i)))
            .collect();
        crate::sort::sort(&mut index);
        let mut claimed = vec![false; dump.threads.len()];
        let by_row = threads
            .iter()
            .map(|row| {
                let nid = columns::nid(row);
                let at = index.partition_point(|&(n, _)| n < nid);
                let &(n, i) = index.get(at)?;
                (n == nid && !claimed[i]).then(|| {
                    claimed[i] = true;
                    i
                })
            })
            .collect();
        let unclaimed = (0..claimed.len()).filter(|&i| !claimed[i]).collect();
        Merged {
            dump,
            by_row,
            unclaimed,
            json: None,
        }
    }

    /// Whether the dump is of these threads, for a dump whose sender tsnap could not
    /// identify: some of its nids are the threads' ids, and where the threads have names of
    /// their own (HotSpot names each after the start of its Java name; a thread still called
    /// `java` says nothing), most of the paired ones agree.
    fn is_of(&self, threads: &[Row], rows: &Rows) -> bool {
        let (mut paired, mut named, mut agree) = (0, 0, 0);
        for (row, entry) in threads.iter().zip(&self.by_row) {
            let Some(i) = *entry else { continue };
            paired += 1;
            let comm = rows.text(row.comm);
            if comm == b"java" {
                continue;
            }
            named += 1;
            let name = self.dump.threads[i].name;
            let common = comm.iter().zip(name).take_while(|(a, b)| a == b).count();
            agree += usize::from(common >= comm.len().min(7));
        }
        paired > 0 && agree * 2 >= named
    }

    /// Leaves out the entries no thread row claimed: with `--top`, the threads shown are
    /// the hottest, and the JVM was asked after /proc was read, so its Attach Listener
    /// thread may be one of those.
    pub fn without_unclaimed(mut self) -> Merged<'a> {
        self.unclaimed.clear();
        self
    }

    /// The entry of the thread whose Java thread id (`#N`) is `number`, and the index of its
    /// row, if a row claimed it.
    pub fn by_number(&self, number: u64) -> Option<(&jstack::Thread<'a>, Option<usize>)> {
        let i = (self.dump.threads.iter()).position(|t| t.number == Some(number))?;
        Some((
            &self.dump.threads[i],
            self.by_row.iter().position(|&r| r == Some(i)),
        ))
    }

    /// The dump's entry for the `i`th thread row.
    pub fn thread(&self, i: usize) -> Option<&jstack::Thread<'a>> {
        self.dump.threads.get((*self.by_row.get(i)?)?)
    }

    /// The JVM's header lines, then a blank line.
    pub fn write_header_text(&self, out: &mut Vec<u8>) {
        write_lines(out, &self.dump.header);
    }

    /// The lines after the JVM's threads (the deadlock report).
    pub fn write_trailer_text(&self, out: &mut Vec<u8>) {
        write_lines(out, &self.dump.trailer);
    }

    /// The JVM's header and trailer lines, into the process line's `java` object, with its
    /// contended `locks` and its `findings` (the deadlocks the JVM reported).
    pub fn write_process_json(&self, java: &mut JsonLine<'_>) {
        java.texts("header", self.dump.header.lines());
        java.texts("trailer", self.dump.trailer.lines());
        java.number("cut", self.dump.header.cut() + self.dump.trailer.cut());
        let mut array = java.array("locks");
        for lock in locks::contended(&self.dump) {
            let mut object = array.object();
            object.text("object", lock.object);
            match lock.holder.map(|h| &self.dump.threads[h]) {
                Some(h) => {
                    let mut holder = object.object("holder");
                    holder.text("name", h.name);
                    holder.text_or_null("state", h.state());
                    holder.text_or_null("frame", top_frame(h));
                    holder.close();
                }
                None => {
                    object.null("holder");
                }
            }
            let names = lock.waiters.iter().map(|&w| self.dump.threads[w].name);
            object.texts("waiters", names);
            object.close();
        }
        array.close();
        let mut array = java.array("findings");
        for cycle in locks::deadlocks(&self.dump.trailer) {
            let mut finding = array.object();
            finding.text("kind", b"deadlock");
            finding.texts("threads", cycle.iter().copied());
            finding.close();
        }
        array.close();
    }

    /// The contended monitors and locks, after the threads: each with its holder (name,
    /// state, top frame) and its waiters, the holders of the most waiters first.
    pub fn write_locks_text(&self, out: &mut Vec<u8>) {
        let locks = locks::contended(&self.dump);
        if locks.is_empty() {
            return;
        }
        out.extend_from_slice(b"Contended locks, the holders of the most waiters first:\n");
        for lock in locks {
            escape::dump_line(out, lock.object);
            out.extend_from_slice(b": ");
            push_int(out, lock.waiters.len());
            out.extend_from_slice(b" waiting\n    held by ");
            match lock.holder.map(|h| &self.dump.threads[h]) {
                Some(h) => {
                    out.push(b'"');
                    escape::quoted(out, h.name);
                    out.extend_from_slice(b"\" ");
                    escape::dump_line(out, h.state().unwrap_or(b"-"));
                    if let Some(frame) = top_frame(h) {
                        out.extend_from_slice(b" at ");
                        escape::dump_line(out, frame);
                    }
                }
                None => out.extend_from_slice(
                    b"a thread the dump does not name (the holder of a java.util.concurrent \
                      lock is listed with --java-locks)",
                ),
            }
            out.extend_from_slice(b"\n    waiting: ");
            for (n, &w) in lock.waiters.iter().take(WAITERS).enumerate() {
                if n > 0 {
                    out.extend_from_slice(b", ");
                }
                out.push(b'"');
                escape::quoted(out, self.dump.threads[w].name);
                out.push(b'"');
            }
            if lock.waiters.len() > WAITERS {
                out.extend_from_slice(b" and ");
                push_int(out, lock.waiters.len() - WAITERS);
                out.extend_from_slice(b" more");
            }
            out.push(b'\n');
        }
        out.push(b'\n');
    }

    /// The findings line of the JVM's own deadlock report, if it made one: each cycle of
    /// threads, each waiting for a lock the next one holds. After the trailer, which ends
    /// with no blank line.
    pub fn write_findings_text(&self, out: &mut Vec<u8>, pid: u32) {
        let cycles = locks::deadlocks(&self.dump.trailer);
        if cycles.is_empty() {
            return;
        }
        if !out.ends_with(b"\n\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(b"findings:\n");
        for cycle in cycles {
            out.extend_from_slice(b"  deadlock: pid ");
            push_int(out, pid);
            out.extend_from_slice(b": ");
            for (n, name) in cycle.iter().chain(cycle.first()).enumerate() {
                match n {
                    0 => {}
                    1 => out.extend_from_slice(b" waits for a lock held by "),
                    _ => out.extend_from_slice(b", which waits for a lock held by "),
                }
                out.push(b'"');
                escape::quoted(out, name);
                out.push(b'"');
            }
            out.extend_from_slice(
                b" (the JVM's own deadlock report); next: these threads never go on by \
                  themselves: their frames above say which locks they take in opposite order\n",
            );
        }
        out.push(b'\n');
    }

    /// The entries of threads /proc did not show (gone since the JVM's dump), in its order.
    pub fn unclaimed(&self) -> impl Iterator<Item = &jstack::Thread<'a>> {
        self.unclaimed.iter().map(|&i| &self.dump.threads[i])
    }
}

/// Waiter names a lock's text lists before the rest are counted.
const WAITERS: usize = 8;

/// A thread's innermost Java frame.
fn top_frame<'a>(t: &jstack::Thread<'a>) -> Option<&'a [u8]> {
    t.lines().find_map(|l| match l {
        Line::Frame(f) => Some(f),
        _ => None,
    })
}

/// The line that says how many lines of a part of the JVM's dump are not shown, if any.
pub fn write_cut(out: &mut Vec<u8>, cut: usize, indent: &[u8]) {
    if cut > 0 {
        out.extend_from_slice(indent);
        out.extend_from_slice(
            format!(
                "... {cut} more lines not shown (tsnap shows at most {} lines and {} MiB of \
                 each part of a JVM's dump)\n",
                jstack::MAX_LINES,
                jstack::MAX_BYTES >> 20
            )
            .as_bytes(),
        );
    }
}

/// Lines as they are (escaped, tabs kept), then a blank line; nothing for none.
fn write_lines(out: &mut Vec<u8>, part: &Part<'_>) {
    let mut any = false;
    for line in part.lines() {
        escape::dump_line(out, line);
        out.push(b'\n');
        any = true;
    }
    write_cut(out, part.cut(), b"");
    if any {
        out.push(b'\n');
    }
}
