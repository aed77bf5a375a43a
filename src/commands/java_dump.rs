//! `tsnap dump --java`: each JVM's own thread dump, fetched through its attach listener and
//! merged into tsnap's entries by nid, and how the Java side of an entry is written.

use crate::error::Error;
use crate::java::Target;
use crate::output::escape;
use crate::output::json::JsonLine;
use crate::output::number::push_hex;
use crate::parse::jstack::{self, Dump, Line};
use crate::row::Row;
use rustix::fd::BorrowedFd;
use std::path::Path;
use std::time::Duration;

/// A selected JVM and its thread dump, if it gave one.
pub struct Jvm {
    target: Target,
    dump: Option<Vec<u8>>,
}

/// Checks every selected process first, so that none is signalled when one is refused; then
/// asks each for its thread dump. A JVM that does not give one is told about on stderr and
/// dumped without the Java view.
pub fn fetch(
    proc_root: &Path,
    root: BorrowedFd<'_>,
    pids: impl Iterator<Item = u32>,
    timeout: Duration,
) -> Result<Vec<Jvm>, Error> {
    let mut targets = Vec::new();
    for pid in pids {
        targets.push(Target::check(proc_root, root, pid).map_err(Error::Fatal)?);
    }
    Ok(targets
        .into_iter()
        .map(|target| {
            let dump = target
                .thread_dump(timeout)
                .inspect_err(|e| {
                    eprintln!(
                        "tsnap: pid {}: no Java thread dump: {e}; showing what /proc shows",
                        target.pid
                    );
                })
                .ok();
            Jvm { target, dump }
        })
        .collect())
}

/// One process's threads and its JVM's dump, paired by nid.
pub struct Merged<'a> {
    dump: Dump<'a>,
    /// For each thread row, its entry in the dump.
    by_row: Vec<Option<usize>>,
    /// Entries no thread row claimed, in the dump's order.
    unclaimed: Vec<usize>,
}

impl<'a> Merged<'a> {
    /// Pairs `threads` (one process's rows) with the dump of the JVM among `jvms` that they
    /// belong to, if it gave one.
    pub fn new(jvms: &'a [Jvm], threads: &[Row]) -> Option<Merged<'a>> {
        let pid = threads.first()?.pid;
        let jvm = jvms.iter().find(|j| j.target.pid == pid)?;
        let dump = jstack::parse(jvm.dump.as_deref()?);
        let mut claimed = vec![false; dump.threads.len()];
        let by_row = threads
            .iter()
            .map(|row| {
                let nid = jvm.target.nid_of(row.tid)?;
                let i = (0..claimed.len())
                    .find(|&i| !claimed[i] && dump.threads[i].nid == Some(nid))?;
                claimed[i] = true;
                Some(i)
            })
            .collect();
        let unclaimed = (0..claimed.len()).filter(|&i| !claimed[i]).collect();
        Some(Merged {
            dump,
            by_row,
            unclaimed,
        })
    }

    /// The dump's entry for the `i`th thread row.
    pub fn thread(&self, i: usize) -> Option<&jstack::Thread<'a>> {
        self.dump.threads.get((*self.by_row.get(i)?)?)
    }

    /// The JVM's header lines, then a blank line.
    pub fn write_header_text(&self, out: &mut Vec<u8>) {
        write_lines(out, &self.dump.header);
    }

    /// The entries of threads /proc did not show (gone since the JVM's dump), then the lines
    /// after the JVM's threads (the deadlock report).
    pub fn write_rest_text(&self, out: &mut Vec<u8>) {
        for t in self.unclaimed() {
            out.push(b'"');
            escape::text(out, t.name);
            out.extend_from_slice(b"\" nid=");
            match t.nid {
                Some(nid) => push_hex(out, nid),
                None => out.push(b'-'),
            }
            out.extend_from_slice(b" (in the JVM's dump only)\n");
            write_thread_text(out, t);
            out.push(b'\n');
        }
        write_lines(out, &self.dump.trailer);
    }

    /// The JVM's header and trailer lines, as the process line's `java` object.
    pub fn write_process_json(&self, line: &mut JsonLine<'_>) {
        let mut java = line.object("java");
        java.texts("header", self.dump.header.iter().copied());
        java.texts("trailer", self.dump.trailer.iter().copied());
        java.close();
    }

    /// The entries of threads /proc did not show: gone since the JVM's dump.
    pub fn unclaimed(&self) -> impl Iterator<Item = &jstack::Thread<'a>> {
        self.unclaimed.iter().map(|&i| &self.dump.threads[i])
    }
}

/// The Java side of an entry, under its first line: the JVM's own line for the thread after
/// the name, then its lines (state, frames, locks) as it printed them, indented below.
pub fn write_thread_text(out: &mut Vec<u8>, t: &jstack::Thread<'_>) {
    out.extend_from_slice(b"    java: ");
    escape::text(out, t.fields);
    out.push(b'\n');
    for line in t.text_lines() {
        out.extend_from_slice(b"        ");
        escape::text(out, line);
        out.push(b'\n');
    }
}

/// The `java` object of a thread's JSON line: `null` for a thread the JVM did not list.
pub fn write_thread_json(line: &mut JsonLine<'_>, t: Option<&jstack::Thread<'_>>) {
    let Some(t) = t else {
        line.null("java");
        return;
    };
    let mut java = line.object("java");
    java.text("name", t.name);
    optional(&mut java, "number", t.number);
    java.boolean("daemon", t.daemon);
    optional(&mut java, "prio", t.prio);
    optional(&mut java, "os_prio", t.os_prio);
    optional(&mut java, "nid", t.nid);
    java.text("status", t.status);
    let mut state = None;
    let mut frames = Vec::new();
    let mut locks = Vec::new();
    let mut other = Vec::new();
    for line in t.lines() {
        match line {
            Line::State(s) => state = state.or(Some(s)),
            Line::Frame(f) => frames.push(f),
            // The frame a lock belongs to is the one printed just before it.
            Line::Lock { kind, object } => locks.push((kind, object, frames.len().checked_sub(1))),
            Line::Other(o) => other.push(o),
        }
    }
    match state {
        Some(s) => java.text("state", s),
        None => java.null("state"),
    };
    java.texts("frames", frames.iter().copied());
    let mut array = java.array("locks");
    for (kind, object, frame) in locks {
        let mut lock = array.object();
        lock.text("kind", kind).text("object", object);
        optional(&mut lock, "frame", frame);
        lock.close();
    }
    array.close();
    java.texts("other", other.iter().copied());
    java.text("fields", t.fields);
    java.close();
}

fn optional(line: &mut JsonLine<'_>, key: &str, value: Option<impl itoa::Integer>) {
    match value {
        Some(v) => line.number(key, v),
        None => line.null(key),
    };
}

/// Lines as they are (escaped), then a blank line; nothing for none.
fn write_lines(out: &mut Vec<u8>, lines: &[&[u8]]) {
    if lines.is_empty() {
        return;
    }
    for line in lines {
        escape::text(out, line);
        out.push(b'\n');
    }
    out.push(b'\n');
}
