//! The one place a thread's entry is written, in text and as a JSON line, for `dump`, its
//! groups (`--collapse`) and the JVM's threads (`--java`): its first line, the JVM's view of
//! it, then the OS view.

use super::java::write_cut;
use crate::columns::{self, Column};
use crate::output::json::JsonLine;
use crate::output::number::{push_hex, push_int, push_tenths};
use crate::output::{Kind, escape};
use crate::parse::jstack::{self, Line};
use crate::row::{Row, Rows};

/// A process's threads, and those of them shown, in the order shown.
pub struct Shown<'r> {
    pub threads: &'r [Row],
    /// Indices into `threads`.
    pub picked: &'r [usize],
    pub collapse: bool,
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
        write_java_text(out, j);
    }
    write_os_text(out, t, rows, cell);
    out.push(b'\n');
}

/// The OS side of an entry: the syscall, file, socket and wchan, then the kernel stack.
fn write_os_text(out: &mut Vec<u8>, t: &Row, rows: &Rows, cell: &mut Vec<u8>) {
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

/// One thread's JSON line: its columns, then with `--java` (`java` given) the JVM's view of
/// it (`null` when the JVM did not list it).
pub fn write_thread_json(
    out: &mut Vec<u8>,
    t: &Row,
    java: Option<Option<&jstack::Thread<'_>>>,
    rows: &Rows,
    cell: &mut Vec<u8>,
) {
    let mut line = JsonLine::new(out);
    line.text("type", b"thread").number("pid", t.pid);
    for column in JSON_COLUMNS {
        cell.clear();
        let kind = columns::render_json(column, t, rows, cell);
        line.cell(column.name(), kind, cell);
    }
    if let Some(java_thread) = java {
        write_java_json(&mut line, java_thread);
    }
    line.end();
}

/// The JSON line of a thread /proc did not show (gone since the JVM's dump): its columns
/// `null`, the JVM's view of it.
pub fn write_unclaimed_json(out: &mut Vec<u8>, pid: u32, jt: &jstack::Thread<'_>) {
    let mut line = JsonLine::new(out);
    line.text("type", b"thread").number("pid", pid);
    for column in JSON_COLUMNS {
        line.null(column.name());
    }
    write_java_json(&mut line, Some(jt));
    line.end();
}

/// The entry of a thread /proc did not show (gone since the JVM's dump).
pub fn write_unclaimed_text(out: &mut Vec<u8>, t: &jstack::Thread<'_>) {
    out.push(b'"');
    escape::quoted(out, t.name);
    out.extend_from_slice(b"\" nid=");
    match t.nid {
        Some(nid) => push_hex(out, nid),
        None => out.push(b'-'),
    }
    out.extend_from_slice(b" (in the JVM's dump only)\n");
    write_java_text(out, t);
    out.push(b'\n');
}

/// The Java side of an entry, under its first line: the JVM's own line for the thread after
/// the name, then its lines (state, frames, locks) as it printed them, indented below.
fn write_java_text(out: &mut Vec<u8>, t: &jstack::Thread<'_>) {
    out.extend_from_slice(b"    java: ");
    escape::dump_line(out, t.fields);
    out.push(b'\n');
    for line in t.text_lines() {
        out.extend_from_slice(b"        ");
        escape::dump_line(out, line);
        out.push(b'\n');
    }
    write_cut(out, t.cut(), b"        ");
}

/// The `java` object of a thread's JSON line: `null` for a thread the JVM did not list.
fn write_java_json(line: &mut JsonLine<'_>, t: Option<&jstack::Thread<'_>>) {
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
    java.number("cut", t.cut());
    java.close();
}

fn optional(line: &mut JsonLine<'_>, key: &str, value: Option<impl itoa::Integer>) {
    match value {
        Some(v) => line.number(key, v),
        None => line.null(key),
    };
}
