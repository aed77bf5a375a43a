//! `dump --collapse`: threads whose entries are alike, apart from their names, ids and CPU,
//! printed once as a group: `N threads: "a", "b", ...` and the lines they share. Alike means
//! the same state, syscall, file and socket (with digits masked, as when grouping samples),
//! wchan and kernel stack, and with `--java` the same Java state and frames. The largest
//! group comes first; a thread alike to no other is printed as its own entry.

use super::java::Merged;
use super::thread::{Shown, write_thread_text};
use crate::aggregate::{mask_endpoint, star_digits};
use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::number::push_int;
use crate::output::{Kind, Out, escape};
use crate::parse::jstack::{self, Line};
use crate::row::{Row, Rows};

/// Names listed in a group's first line before the rest are counted.
const NAMES: usize = 8;

/// The OS lines of an entry, in the order printed, with their labels.
const LINES: [(&str, Column); 4] = [
    ("syscall", Column::Syscall),
    ("file", Column::Filename),
    ("socket", Column::Endpoint),
    ("wchan", Column::Wchan),
];

/// The groups of the threads shown, as indices into `shown.threads`: the largest first, ties
/// in the order of their first thread.
fn groups(shown: &Shown<'_>, java: Option<&Merged<'_>>, rows: &Rows) -> Vec<Vec<usize>> {
    // Each thread's key and place in the order shown; sorted, alike keys come side by side,
    // each group in the order shown.
    let mut keyed: Vec<(Vec<u8>, usize)> = shown
        .picked
        .iter()
        .enumerate()
        .map(|(at, &i)| {
            let mut key = Vec::new();
            alike(
                &shown.threads[i],
                java.and_then(|j| j.thread(i)),
                rows,
                &mut key,
            );
            (key, at)
        })
        .collect();
    crate::sort::sort(&mut keyed);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (n, (key, at)) in keyed.iter().enumerate() {
        match n.checked_sub(1).map(|p| &keyed[p].0) {
            Some(previous) if previous == key => groups.last_mut().map_or((), |g| g.push(*at)),
            _ => groups.push(vec![*at]),
        }
    }
    // Largest first, then in the order of their first thread.
    crate::sort::sort_by_key(&mut groups, |g| (std::cmp::Reverse(g.len()), g[0]));
    for g in &mut groups {
        for at in g.iter_mut() {
            *at = shown.picked[*at];
        }
    }
    groups
}

/// What two alike entries share, as bytes: each part behind its length.
fn alike(t: &Row, java: Option<&jstack::Thread<'_>>, rows: &Rows, key: &mut Vec<u8>) {
    let part = |key: &mut Vec<u8>, bytes: &[u8]| {
        key.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        key.extend_from_slice(bytes);
    };
    let (mut raw, mut value) = (Vec::new(), Vec::new());
    part(key, &[t.state]);
    for (_, column) in LINES.into_iter().chain([("", Column::Kstack)]) {
        let kind = shared(column, t, rows, &mut raw, &mut value);
        part(key, &[kind as u8]);
        part(key, &value);
    }
    if let Some(j) = java {
        part(key, j.state().unwrap_or_default());
        for line in frames_and_locks(j) {
            match line {
                Line::Frame(f) => part(key, f),
                Line::Lock { kind, object } => {
                    part(key, kind);
                    part(key, object);
                }
                _ => {}
            }
        }
    }
}

/// The value of `column` as a group shares it, into `out`: files and sockets with their
/// digits masked. `raw` is scratch.
fn shared(column: Column, t: &Row, rows: &Rows, raw: &mut Vec<u8>, out: &mut Vec<u8>) -> Kind {
    raw.clear();
    out.clear();
    let kind = columns::render(column, t, rows, raw);
    match column {
        Column::Filename => star_digits(out, raw),
        Column::Endpoint => mask_endpoint(out, raw),
        _ => out.extend_from_slice(raw),
    }
    kind
}

/// A thread's Java frames and lock lines (`- waiting to lock <0x...>`, `- locked <0x...>`,
/// ...): a group keeps the locks, which link its waiters to their holder.
fn frames_and_locks<'a>(j: &jstack::Thread<'a>) -> impl Iterator<Item = Line<'a>> {
    j.lines()
        .filter(|l| matches!(l, Line::Frame(_) | Line::Lock { .. }))
}

fn frames<'a>(j: &jstack::Thread<'a>) -> impl Iterator<Item = &'a [u8]> {
    j.lines().filter_map(|l| match l {
        Line::Frame(f) => Some(f),
        _ => None,
    })
}

/// The name an entry goes by: the JVM's for a thread it lists, else the kernel's.
fn name<'a>(t: &Row, java: Option<&jstack::Thread<'a>>, rows: &'a Rows) -> &'a [u8] {
    java.map_or(rows.text(t.comm), |j| j.name)
}

/// Writes the threads shown, grouped, as text.
pub fn write_text(
    o: &mut Out,
    shown: &Shown<'_>,
    java: Option<&Merged<'_>>,
    rows: &Rows,
) -> Result<(), Error> {
    let (mut cell, mut value) = (Vec::new(), Vec::new());
    for group in groups(shown, java, rows) {
        let first = group[0];
        let (t, jt) = (&shown.threads[first], java.and_then(|j| j.thread(first)));
        if group.len() == 1 {
            write_thread_text(&mut o.buf, t, jt, rows, &mut cell);
            o.maybe_flush()?;
            continue;
        }
        let out = &mut o.buf;
        write_names(out, &group, shown, java, rows);
        write_state(out, t, jt);
        for (label, column) in LINES {
            let kind = shared(column, t, rows, &mut cell, &mut value);
            let optional = matches!(column, Column::Filename | Column::Endpoint);
            if optional && (kind == Kind::Missing || value.is_empty()) {
                continue;
            }
            out.extend_from_slice(b"    ");
            out.extend_from_slice(label.as_bytes());
            out.extend_from_slice(b": ");
            match kind {
                Kind::Missing => out.push(b'-'),
                _ => escape::text(out, &value),
            }
            out.push(b'\n');
        }
        for frame in kstack(t, rows) {
            out.extend_from_slice(b"    at ");
            escape::text(out, frame);
            out.push(b'\n');
        }
        out.push(b'\n');
        o.maybe_flush()?;
    }
    Ok(())
}

/// A group's first line: how many threads, the first [`NAMES`] of their names.
fn write_names(
    out: &mut Vec<u8>,
    group: &[usize],
    shown: &Shown<'_>,
    java: Option<&Merged<'_>>,
    rows: &Rows,
) {
    push_int(out, group.len());
    out.extend_from_slice(b" threads: ");
    for (n, &i) in group.iter().take(NAMES).enumerate() {
        if n > 0 {
            out.extend_from_slice(b", ");
        }
        out.push(b'"');
        escape::quoted(
            out,
            name(&shown.threads[i], java.and_then(|j| j.thread(i)), rows),
        );
        out.push(b'"');
    }
    if group.len() > NAMES {
        out.extend_from_slice(b" and ");
        push_int(out, group.len() - NAMES);
        out.extend_from_slice(b" more");
    }
}

/// A group's state, then with `--java` its Java state, frames and locks (those of `t`, its
/// first thread, as all alike).
fn write_state(out: &mut Vec<u8>, t: &Row, jt: Option<&jstack::Thread<'_>>) {
    out.extend_from_slice(b"\n    state: ");
    out.push(t.state);
    out.extend_from_slice(b" (");
    out.extend_from_slice(columns::state_words(t.state).kernel.as_bytes());
    out.extend_from_slice(b")\n");
    if let Some(state) = jt.and_then(|j| j.state()) {
        out.extend_from_slice(b"    java: ");
        escape::dump_line(out, state);
        out.push(b'\n');
    }
    for line in jt.into_iter().flat_map(frames_and_locks) {
        match line {
            Line::Frame(f) => {
                out.extend_from_slice(b"        at ");
                escape::dump_line(out, f);
            }
            Line::Lock { kind, object } => {
                out.extend_from_slice(b"        - ");
                escape::dump_line(out, kind);
                out.push(b' ');
                escape::dump_line(out, object);
            }
            _ => continue,
        }
        out.push(b'\n');
    }
}

/// A thread's kernel frames, innermost first.
fn kstack<'a>(t: &Row, rows: &'a Rows) -> impl Iterator<Item = &'a [u8]> {
    let frames = t.kstack.map_or(&b""[..], |s| rows.text(s));
    frames.split(|&b| b == b'\n').filter(|f| !f.is_empty())
}

/// Writes the threads shown, grouped, as `{"type":"group",...}` lines (a thread alike to no
/// other as a group of one); with `--java` (`asked`), each with its Java state and frames.
pub fn write_json(
    out: &mut Vec<u8>,
    shown: &Shown<'_>,
    java: Option<&Merged<'_>>,
    asked: bool,
    rows: &Rows,
) {
    let (mut cell, mut value) = (Vec::new(), Vec::new());
    for group in groups(shown, java, rows) {
        let first = group[0];
        let (t, jt) = (&shown.threads[first], java.and_then(|j| j.thread(first)));
        let mut line = JsonLine::new(out);
        line.text("type", b"group")
            .number("pid", t.pid)
            .number("threads", group.len())
            .numbers(
                "tids",
                group.iter().map(|&i| u64::from(shown.threads[i].tid)),
            )
            .texts(
                "names",
                group
                    .iter()
                    .map(|&i| name(&shown.threads[i], java.and_then(|j| j.thread(i)), rows)),
            )
            .text("state", &[t.state])
            .text("statedesc", columns::state_words(t.state).psn.as_bytes());
        for (_, column) in LINES {
            let kind = shared(column, t, rows, &mut cell, &mut value);
            let kind = match (column, kind) {
                (Column::Endpoint, Kind::Text) if value.is_empty() => Kind::Missing,
                (_, kind) => kind,
            };
            line.cell(column.name(), kind, &value);
        }
        cell.clear();
        let kind = columns::render(Column::Kstack, t, rows, &mut cell);
        line.cell("kstack", kind, &cell);
        if asked {
            write_java_json(&mut line, jt);
        }
        line.end();
    }
}

/// A group's `java` object: the Java state, frames and locks of its first thread (`null`
/// when the JVM did not list it).
fn write_java_json(line: &mut JsonLine<'_>, jt: Option<&jstack::Thread<'_>>) {
    match jt {
        Some(j) => {
            let mut object = line.object("java");
            object.text_or_null("state", j.state());
            object.texts("frames", frames(j));
            let mut locks = object.array("locks");
            let mut frame = None::<usize>;
            for l in frames_and_locks(j) {
                match l {
                    Line::Frame(_) => frame = Some(frame.map_or(0, |f| f + 1)),
                    Line::Lock { kind, object } => {
                        let mut lock = locks.object();
                        lock.text("kind", kind).text("object", object);
                        match frame {
                            Some(f) => lock.number("frame", f),
                            None => lock.null("frame"),
                        };
                        lock.close();
                    }
                    _ => {}
                }
            }
            locks.close();
            object.close();
        }
        None => {
            line.null("java");
        }
    }
}
