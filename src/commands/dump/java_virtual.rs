//! `dump --virtual`: a JVM's virtual threads, from its JSON thread dump, grouped by state and
//! stack, the largest group first (`10,000 virtual threads: WAITING in Worker.run(...)`), each
//! mounted one with its carrier joined to its OS thread through the carrier's entry in the
//! thread dump (its `#N` is the carrier's Java thread id, its `nid` the OS thread's).

use super::java::Merged;
use crate::java::attach::MAX_REPLY;
use crate::java::vthreads::Json;
use crate::output::escape;
use crate::output::json::JsonLine;
use crate::output::number::{push_hex, push_int};
use crate::parse::jsonl::unescape;
use crate::parse::vthreads::{self, Summary};

/// The most groups kept: virtual threads beyond them are counted, not grouped. Each group
/// costs some tens of bytes, so this bounds what a dump of all-different stacks costs.
const MAX_GROUPS: usize = 10_000;

/// Carriers a group keeps, beyond which they are counted.
const CARRIERS: usize = 8;

/// Carriers all groups keep together: each is looked up among the thread dump's entries,
/// and a JVM has about as many carriers as CPUs.
const ALL_CARRIERS: usize = 256;

/// Virtual threads alike: the same state and frames.
struct Group<'a> {
    threads: usize,
    state: &'a [u8],
    stack: &'a [u8],
    /// The Java thread ids of the carriers of its mounted threads, the first [`CARRIERS`].
    carriers: Vec<u64>,
    mounted: usize,
}

/// The virtual threads of a JSON dump, grouped.
pub struct Virtual<'a> {
    groups: Vec<Group<'a>>,
    threads: usize,
    /// Threads beyond [`MAX_GROUPS`] groups.
    ungrouped: usize,
    summary: Summary,
    read: usize,
    size: u64,
}

impl<'a> Virtual<'a> {
    pub fn of(json: &'a Json) -> Virtual<'a> {
        let mut groups: Vec<Group<'a>> = Vec::new();
        // The groups' (state, stack, place in `groups`), sorted.
        let mut index: Vec<(&[u8], &[u8], usize)> = Vec::new();
        let (mut threads, mut ungrouped, mut carriers) = (0, 0, 0);
        let summary = vthreads::parse(&json.text, &mut |t| {
            if !is_virtual(&t) {
                return;
            }
            threads += 1;
            let found = index
                .binary_search_by(|&(state, stack, _)| (state, stack).cmp(&(t.state, t.stack)));
            let at = match found {
                Ok(i) => index[i].2,
                Err(i) if groups.len() < MAX_GROUPS => {
                    index.insert(i, (t.state, t.stack, groups.len()));
                    groups.push(Group {
                        threads: 0,
                        state: t.state,
                        stack: t.stack,
                        carriers: Vec::new(),
                        mounted: 0,
                    });
                    groups.len() - 1
                }
                Err(_) => {
                    ungrouped += 1;
                    return;
                }
            };
            let g = &mut groups[at];
            g.threads += 1;
            if let Some(c) = t.carrier {
                g.mounted += 1;
                if g.carriers.len() < CARRIERS && carriers < ALL_CARRIERS {
                    g.carriers.push(c);
                    carriers += 1;
                }
            }
        });
        // The largest first, ties in the order they came: sorted as pairs, like the rest.
        let mut order: Vec<(u64, usize)> = (groups.iter().enumerate())
            .map(|(n, g)| (u64::MAX - g.threads as u64, n))
            .collect();
        order.sort_unstable();
        let mut slots: Vec<Option<Group<'a>>> = groups.into_iter().map(Some).collect();
        let groups = (order.iter())
            .filter_map(|&(_, n)| slots.get_mut(n)?.take())
            .collect();
        Virtual {
            groups,
            threads,
            ungrouped,
            summary,
            read: json.text.len(),
            size: json.size,
        }
    }

    /// The section after the threads.
    pub fn write_text(&self, out: &mut Vec<u8>, java: &Merged<'_>, rows: &[crate::row::Row]) {
        let mut text = Vec::new();
        out.extend_from_slice(b"Virtual threads (the JVM's JSON thread dump): ");
        push_count(out, self.threads);
        out.push(b'\n');
        for g in &self.groups {
            push_count(out, g.threads);
            out.extend_from_slice(if g.threads == 1 {
                b" virtual thread: "
            } else {
                b" virtual threads: "
            });
            push_decoded(out, g.state, &mut text);
            if g.state.is_empty() {
                out.push(b'-');
            }
            if let Some(frame) = shown_frame(g.stack) {
                out.extend_from_slice(b" in ");
                push_decoded(out, frame, &mut text);
            }
            out.push(b'\n');
            for &c in &g.carriers {
                write_carrier_text(out, c, java, rows);
            }
            if g.mounted > g.carriers.len() {
                out.extend_from_slice(b"    and mounted on ");
                push_count(out, g.mounted - g.carriers.len());
                out.extend_from_slice(b" more carriers\n");
            }
            for frame in vthreads::frames(g.stack) {
                out.extend_from_slice(b"        at ");
                push_decoded(out, frame, &mut text);
                out.push(b'\n');
            }
        }
        if self.ungrouped > 0 {
            push_count(out, self.ungrouped);
            out.extend_from_slice(b" more virtual threads, in stacks beyond the first ");
            push_count(out, MAX_GROUPS);
            out.extend_from_slice(b" (not grouped)\n");
        }
        if let Some(why) = self.cut() {
            out.extend_from_slice(b"... ");
            out.extend_from_slice(why.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }

    /// Why the count may be short, if it may.
    fn cut(&self) -> Option<String> {
        if (self.read as u64) < self.size {
            Some(format!(
                "the JVM's JSON thread dump is {} bytes and tsnap read the first {} (it reads \
                 at most {} MiB of the JVMs' answers together): the threads after those are \
                 not counted",
                self.size,
                self.read,
                MAX_REPLY >> 20
            ))
        } else if !self.summary.complete {
            Some(format!(
                "the JVM's JSON thread dump is not JSON after the first {} threads: the rest \
                 are not counted",
                self.summary.threads
            ))
        } else {
            None
        }
    }

    /// The `virtual` object of the process line's `java` object.
    pub fn write_json(&self, line: &mut JsonLine<'_>, java: &Merged<'_>) {
        let mut text = Vec::new();
        let mut object = line.object("virtual");
        object
            .number("threads", self.threads)
            .number("ungrouped", self.ungrouped)
            .boolean("complete", self.cut().is_none())
            .number("bytes", self.size)
            .number("read", self.read);
        let mut groups = object.array("groups");
        for g in &self.groups {
            let mut group = groups.object();
            group.number("threads", g.threads);
            text.clear();
            let state = unescape(g.state, &mut text).is_some();
            group.text_or_null("state", state.then_some(&text[..]));
            let frames: Vec<Vec<u8>> = vthreads::frames(g.stack)
                .map(|f| {
                    let mut t = Vec::new();
                    push_decoded(&mut t, f, &mut Vec::new());
                    t
                })
                .collect();
            group.texts("frames", frames.iter().map(|f| &f[..]));
            group.number("mounted", g.mounted);
            let mut carriers = group.array("carriers");
            for &c in &g.carriers {
                let mut carrier = carriers.object();
                carrier.number("number", c);
                match java.by_number(c) {
                    Some((t, _)) => {
                        carrier.text("name", t.name);
                        match t.nid {
                            Some(nid) => carrier.number("nid", nid),
                            None => carrier.null("nid"),
                        };
                    }
                    None => {
                        carrier.null("name").null("nid");
                    }
                }
                carrier.close();
            }
            carriers.close();
            group.close();
        }
        groups.close();
        object.close();
    }
}

/// The line of a carrier (its Java thread id `c`) a group's threads are mounted on: its
/// entry in the thread dump, joined to its OS thread.
fn write_carrier_text(out: &mut Vec<u8>, c: u64, java: &Merged<'_>, rows: &[crate::row::Row]) {
    out.extend_from_slice(b"    mounted on ");
    match java.by_number(c) {
        Some((t, row)) => {
            out.push(b'"');
            escape::quoted(out, t.name);
            out.push(b'"');
            if let Some(tid) = row.and_then(|r| rows.get(r)) {
                out.extend_from_slice(b" tid=");
                push_int(out, tid.tid);
            }
            out.extend_from_slice(b" nid=");
            match t.nid {
                Some(nid) => push_hex(out, nid),
                None => out.push(b'-'),
            }
        }
        None => {
            out.extend_from_slice(b"the thread #");
            push_int(out, c);
            out.extend_from_slice(b" (not in the thread dump)");
        }
    }
    out.push(b'\n');
}

/// Whether a thread of the dump is virtual: it says so, or where the JDK does not write
/// `virtual` (JDK 21), its bottom frame is the one every virtual thread starts in.
fn is_virtual(t: &vthreads::Thread<'_>) -> bool {
    t.virtual_
        || vthreads::frames(t.stack)
            .last()
            .is_some_and(|f| f.starts_with(b"\"java.base/java.lang.VirtualThread.run("))
}

/// The frame a group is named by: the first that is not the JDK's own (`java.base/...`), as
/// the code that parked or blocks; else the top one.
fn shown_frame(stack: &[u8]) -> Option<&[u8]> {
    let mut frames = vthreads::frames(stack);
    let top = frames.next()?;
    Some(
        std::iter::once(top)
            .chain(frames)
            .find(|f| !f.starts_with(b"\"java.base"))
            .unwrap_or(top),
    )
}

/// A JSON string, unescaped then escaped for the terminal; as written if it is not one.
fn push_decoded(out: &mut Vec<u8>, quoted: &[u8], scratch: &mut Vec<u8>) {
    scratch.clear();
    match unescape(quoted, scratch) {
        Some(()) => escape::dump_line(out, scratch),
        None => escape::dump_line(out, quoted),
    }
}

/// `n` with its thousands separated: `10,000`.
fn push_count(out: &mut Vec<u8>, n: usize) {
    let digits = n.to_string();
    for (i, d) in digits.bytes().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(b',');
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_with_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (2_400, "2,400"),
            (1_234_567, "1,234,567"),
        ] {
            let mut out = Vec::new();
            push_count(&mut out, n);
            assert_eq!(out, text.as_bytes());
        }
    }

    #[test]
    fn grouped_by_state_and_stack_largest_first() {
        let json = Json {
            text: br#"{"threads":[
                {"tid":"1","name":"main","stack":["a"]},
                {"tid":"2","virtual":true,"state":"WAITING","stack":["java.base/x","App.run"]},
                {"tid":"3","virtual":true,"state":"RUNNABLE","stack":["App.spin"],"carrier":"9"},
                {"tid":"4","virtual":true,"state":"WAITING","stack":["java.base/x","App.run"]},
                {"tid":"5","stack":["App.x","java.base/java.lang.VirtualThread.run(Unknown Source)"]}
            ]}"#
            .to_vec(),
            size: 0,
        };
        let v = Virtual::of(&json);
        // The last one by its bottom frame, as JDK 21 writes it.
        assert_eq!(v.threads, 4);
        assert_eq!(v.groups[0].threads, 2);
        assert_eq!(shown_frame(v.groups[0].stack), Some(&b"\"App.run\""[..]));
        assert_eq!(v.groups[1].carriers, [9]);
        assert!(v.cut().is_none());
        let cut = Json {
            size: json.text.len() as u64 + 1,
            ..json
        };
        assert!(Virtual::of(&cut).cut().unwrap().contains("not counted"));
    }
}
