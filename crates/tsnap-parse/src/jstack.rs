//! A HotSpot thread dump (what `jstack` prints, and what the JVM's attach listener answers
//! to `threaddump`): the JVM's header, one entry per thread, and what follows the threads
//! (the JNI reference counts, the deadlock report).
//!
//! A thread entry starts with a header line:
//!
//! ```text
//! "NAME" [#N] [[OS-TID]] [daemon] [prio=P] os_prio=P [cpu=..ms elapsed=..s] tid=0x.. nid=NID STATUS [[0x..]]
//! ```
//!
//! where `#N` came with JDK 8, `cpu=`/`elapsed=` with JDK 11 and `[OS-TID]` with JDK 20, and
//! `nid` is hex (`0x3e14`) in older JDKs and decimal (`15892`) in newer ones. The name is the
//! Java name in full, printed raw, so it may hold quotes: the header's own fields never do,
//! which makes the last quote on the line the closing one.
//!
//! Lines are kept, never dropped: those before the first thread are the header, indented
//! lines after a thread header (and unindented ones before its first blank line) belong to
//! that thread, and any other line goes to the trailer. Any input parses, into something.
//!
//! The header, the trailer and each thread's lines are kept as one slice each, not a list of
//! lines: a dump of 64 MiB of newlines costs nothing more than its text. Each shows at most
//! [`MAX_LINES`] lines and [`MAX_BYTES`] bytes, and counts the lines it leaves out: no JVM
//! prints that much in one place, and a peer that does must not fill tsnap's output.

/// The most lines of one part of a dump (its header, its trailer, a thread's entry) that are
/// shown: deep recursion makes Java stacks of some thousands of frames.
pub const MAX_LINES: usize = 10_000;

/// The most bytes of one part of a dump that are shown.
pub const MAX_BYTES: usize = 1 << 20;

/// A parsed dump, borrowing from the text.
#[derive(Debug, Default)]
pub struct Dump<'a> {
    /// Lines before the first thread: the time, `Full thread dump ...`, the SMR info.
    pub header: Part<'a>,
    /// The thread entries, in the dump's order.
    pub threads: Vec<Thread<'a>>,
    /// Lines after the threads that belong to none: `JNI global refs`, the deadlock report.
    pub trailer: Part<'a>,
}

/// Consecutive lines of a dump.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a>(&'a [u8]);

impl<'a> Part<'a> {
    /// The lines shown, without their newlines: at most [`MAX_LINES`] and [`MAX_BYTES`] (a
    /// longer line is cut at that).
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let shown = &self.0[..self.shown_len()];
        shown
            .split_inclusive(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\n").unwrap_or(l))
    }

    /// How many lines are not shown, whole or in part.
    pub fn cut(&self) -> usize {
        let rest = &self.0[self.shown_len()..];
        rest.split_inclusive(|&b| b == b'\n').count()
    }

    /// The bytes of the lines shown.
    fn shown_len(&self) -> usize {
        let (mut end, mut lines) = (0, 0);
        while end < self.0.len() && lines < MAX_LINES {
            let next = self.0[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.0.len(), |i| end + i + 1);
            end = next.min(MAX_BYTES);
            lines += 1;
            if next >= MAX_BYTES {
                break;
            }
        }
        end
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// One thread's entry: its header line's fields, and its lines after it.
pub struct Thread<'a> {
    /// The Java name, in full.
    pub name: &'a [u8],
    /// The header line after the name's closing quote, as printed.
    pub fields: &'a [u8],
    /// `#N`: the Java thread number (threads of the VM itself have none).
    pub number: Option<u64>,
    /// `daemon` in the header line.
    pub daemon: bool,
    /// `prio=N`: the Java priority.
    pub prio: Option<i64>,
    /// `os_prio=N`: the OS thread's priority.
    pub os_prio: Option<i64>,
    /// The OS thread id in the JVM's pid namespace: `nid=`, or where that is missing,
    /// `[OS-TID]`.
    pub nid: Option<u64>,
    /// `[OS-TID]`, JDK 20 on.
    pub os_tid: Option<u64>,
    /// What the JVM says the thread does: `runnable`, `waiting on condition`, ...
    pub status: &'a [u8],
    /// The lines after the header line, blank lines included.
    body: Part<'a>,
}

/// A line of a thread entry, without its indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The value of `java.lang.Thread.State:`, e.g. `WAITING (parking)`.
    State(&'a [u8]),
    /// A Java frame: the text after `at `.
    Frame(&'a [u8]),
    /// `- KIND <OBJECT> (a CLASS)`: `locked`, `waiting on`, `waiting to lock`, `parking to
    /// wait for`, ...; `object` is the text from `<` on.
    Lock {
        /// `locked`, `waiting on`, ...
        kind: &'a [u8],
        /// From `<` to the end of the line.
        object: &'a [u8],
    },
    /// Any other line, as printed.
    Other(&'a [u8]),
}

impl<'a> Thread<'a> {
    /// The non-blank lines after the header that are shown, without their indentation.
    pub fn text_lines(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.body
            .lines()
            .map(<[u8]>::trim_ascii)
            .filter(|l| !l.is_empty())
    }

    /// How many lines after the header are not shown.
    pub fn cut(&self) -> usize {
        self.body.cut()
    }

    /// The non-blank lines after the header, classified.
    pub fn lines(&self) -> impl Iterator<Item = Line<'a>> + use<'a> {
        self.text_lines().map(classify)
    }

    /// The `java.lang.Thread.State`, if the JVM printed one.
    pub fn state(&self) -> Option<&'a [u8]> {
        self.lines().find_map(|l| match l {
            Line::State(s) => Some(s),
            _ => None,
        })
    }
}

/// Joins the surrogate pairs of `text` into UTF-8, in place. HotSpot writes a character
/// beyond U+FFFF (an emoji in a thread name) in modified UTF-8: each half of its UTF-16
/// surrogate pair encoded on its own as three bytes (`\xed\xa0\xbd\xed\xb8\x80` for U+1F600),
/// which is no UTF-8 and would be shown escaped. A pair becomes the character's four bytes;
/// a half without its other half is left as it is, to be shown escaped.
pub fn join_surrogates(text: &mut Vec<u8>) {
    // The 10 bits a surrogate half of three bytes carries, if `b` starts with one in `first`
    // (its second byte: 0xa0..=0xaf for a high half, 0xb0..=0xbf for a low one).
    fn half(b: &[u8], first: std::ops::RangeInclusive<u8>) -> Option<u32> {
        match *b {
            [0xed, b1, b2, ..] if first.contains(&b1) && b2 & 0xc0 == 0x80 => {
                Some(u32::from(b1 & 0x0f) << 6 | u32::from(b2 & 0x3f))
            }
            _ => None,
        }
    }
    let (mut read, mut write) = (0, 0);
    while read < text.len() {
        let pair = half(&text[read..], 0xa0..=0xaf)
            .and_then(|high| Some((high, half(&text[read + 3..], 0xb0..=0xbf)?)));
        match pair {
            Some((high, low)) => {
                let c = 0x10000 + (high << 10 | low);
                let bytes = [
                    0xf0 | (c >> 18) as u8,
                    0x80 | (c >> 12 & 0x3f) as u8,
                    0x80 | (c >> 6 & 0x3f) as u8,
                    0x80 | (c & 0x3f) as u8,
                ];
                text[write..write + 4].copy_from_slice(&bytes);
                (read, write) = (read + 6, write + 4);
            }
            None => {
                text[write] = text[read];
                (read, write) = (read + 1, write + 1);
            }
        }
    }
    text.truncate(write);
}

/// Parses a whole dump.
pub fn parse(text: &[u8]) -> Dump<'_> {
    let mut dump = Dump::default();
    // Where the current line goes when it is not a thread header.
    enum At {
        Header,
        /// In the last thread's entry, which starts at `body`; whether a blank line was seen
        /// since its last line.
        Thread {
            body: usize,
            blank: bool,
        },
        Trailer,
    }
    let mut at = At::Header;
    // Where the header and the trailer start and end: from their first line to the end of
    // their last line that is not blank.
    let (mut head, mut trailer) = ((None, 0), (None, 0));
    let mut end = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let start = end;
        end += line.len();
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let blank = content.trim_ascii().is_empty();
        let extend = |part: &mut (Option<usize>, usize)| {
            if !blank {
                part.0.get_or_insert(start);
                part.1 = start + content.len();
            }
        };
        if let Some(thread) = header(content) {
            dump.threads.push(thread);
            at = At::Thread {
                body: end,
                blank: false,
            };
        } else {
            match &mut at {
                // Blank lines before the header are no part of it.
                At::Header => extend(&mut head),
                At::Thread { body, blank: seen } => {
                    let indented = content.first().is_some_and(|b| *b == b' ' || *b == b'\t');
                    if blank {
                        *seen = true;
                    } else if indented || !*seen {
                        if let Some(t) = dump.threads.last_mut() {
                            t.body = Part(&text[*body..end]);
                        }
                        *seen = false;
                    } else {
                        extend(&mut trailer);
                        at = At::Trailer;
                    }
                }
                At::Trailer => extend(&mut trailer),
            }
        }
    }
    let part =
        |(start, end): (Option<usize>, usize)| Part(start.map_or(&[][..], |s| &text[s..end]));
    dump.header = part(head);
    dump.trailer = part(trailer);
    dump
}

/// Parses a thread header line; `None` for any other line.
fn header(line: &[u8]) -> Option<Thread<'_>> {
    let rest = line.strip_prefix(b"\"")?;
    let close = rest.iter().rposition(|&b| b == b'"')?;
    let (name, fields) = (&rest[..close], &rest[close + 1..]);
    if !fields.starts_with(b" ") {
        return None;
    }
    let mut thread = Thread {
        name,
        fields: fields.trim_ascii(),
        number: None,
        daemon: false,
        prio: None,
        os_prio: None,
        nid: None,
        os_tid: None,
        status: b"",
        body: Part::default(),
    };
    let mut pos = 0;
    while pos < fields.len() {
        let len = fields[pos..]
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(fields.len() - pos);
        let word = &fields[pos..pos + len];
        pos += len + 1;
        if let Some(n) = word.strip_prefix(b"#") {
            thread.number = super::dec_u64(n);
        } else if let Some(n) = word.strip_prefix(b"[").and_then(|w| w.strip_suffix(b"]"))
            && thread.os_tid.is_none()
            && let Some(tid) = super::dec_u64(n)
        {
            thread.os_tid = Some(tid);
        } else if word == b"daemon" {
            thread.daemon = true;
        } else if let Some(p) = word.strip_prefix(b"prio=") {
            thread.prio = super::dec_i64(p);
        } else if let Some(p) = word.strip_prefix(b"os_prio=") {
            thread.os_prio = super::dec_i64(p);
        } else if let Some(n) = word.strip_prefix(b"nid=") {
            thread.nid = if n.starts_with(b"0x") {
                super::hex_u64(n)
            } else {
                super::dec_u64(n)
            };
            break;
        }
    }
    // A carrier thread with a virtual thread mounted has no `nid=` (JDK 20 on), but its
    // `[OS-TID]`, the same number.
    thread.nid = thread.nid.or(thread.os_tid);
    thread.nid?;
    // The status runs to the end, but for the stack address `[0x...]` of Java threads.
    let status = fields.get(pos..).unwrap_or_default().trim_ascii();
    thread.status = match status.iter().rposition(|&b| b == b'[') {
        Some(i) if status.ends_with(b"]") => status[..i].trim_ascii(),
        _ => status,
    };
    Some(thread)
}

/// Classifies a line of a thread entry, already trimmed.
fn classify(line: &[u8]) -> Line<'_> {
    if let Some(state) = line.strip_prefix(b"java.lang.Thread.State:") {
        return Line::State(state.trim_ascii());
    }
    if let Some(frame) = line.strip_prefix(b"at ") {
        return Line::Frame(frame.trim_ascii());
    }
    if let Some(lock) = line.strip_prefix(b"- ")
        && let Some(open) = lock.iter().position(|&b| b == b'<')
    {
        let kind = lock[..open].trim_ascii();
        if !kind.is_empty() {
            return Line::Lock {
                kind,
                object: &lock[open..],
            };
        }
    }
    Line::Other(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! sample {
        ($file:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/jstack/",
                $file
            ))
        };
    }

    fn frames<'a>(t: &Thread<'a>) -> Vec<&'a [u8]> {
        t.lines()
            .filter_map(|l| match l {
                Line::Frame(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    fn locks<'a>(t: &Thread<'a>) -> Vec<(&'a [u8], &'a [u8])> {
        t.lines()
            .filter_map(|l| match l {
                Line::Lock { kind, object } => Some((kind, object)),
                _ => None,
            })
            .collect()
    }

    fn all<'a>(part: &Part<'a>) -> Vec<&'a [u8]> {
        part.lines().collect()
    }

    fn names<'a>(d: &Dump<'a>) -> Vec<&'a [u8]> {
        d.threads.iter().map(|t| t.name).collect()
    }

    #[test]
    fn jdk8() {
        // From github.com/orientechnologies/orientdb/issues/4613 (see the README beside it).
        let d = parse(sample!("jdk8.txt"));
        assert!(d.header.lines().next().is_none() && d.trailer.lines().next().is_none());
        assert_eq!(
            names(&d),
            [
                &b"OrientDB ONetworkProtocolBinary listen at 0.0.0.0:2424-2430"[..],
                b"Timer-0",
                b"Service Thread"
            ]
        );
        let listener = &d.threads[0];
        assert_eq!(listener.number, Some(15));
        assert!(!listener.daemon);
        assert_eq!((listener.prio, listener.os_prio), (Some(5), Some(0)));
        assert_eq!(listener.nid, Some(0x27d8));
        assert_eq!(listener.status, b"runnable");
        assert_eq!(listener.state(), Some(&b"RUNNABLE"[..]));
        let f = frames(listener);
        assert_eq!(f.len(), 7);
        assert_eq!(
            f[0],
            b"java.net.DualStackPlainSocketImpl.accept0(Native Method)"
        );
        assert_eq!(
            locks(listener),
            [(
                &b"locked"[..],
                &b"<0x00000000e02777b8> (a java.net.SocksSocketImpl)"[..]
            )]
        );
        // The lock follows the frame that took it, and the ownable list is kept as text.
        let lines: Vec<Line<'_>> = listener.lines().collect();
        assert_eq!(
            lines[4],
            Line::Frame(b"java.net.PlainSocketImpl.accept(PlainSocketImpl.java:199)")
        );
        assert!(matches!(lines[5], Line::Lock { .. }));
        assert_eq!(
            &lines[lines.len() - 2..],
            [
                Line::Other(b"Locked ownable synchronizers:"),
                Line::Other(b"- None")
            ]
        );
        let timer = &d.threads[1];
        assert!(timer.daemon);
        assert_eq!(timer.status, b"in Object.wait()");
        assert_eq!(
            timer.state(),
            Some(&b"TIMED_WAITING (on object monitor)"[..])
        );
        assert_eq!(d.threads[2].nid, Some(0x43bc));
        assert_eq!(d.threads[2].prio, Some(9));
    }

    #[test]
    fn jdk8_vm_threads_and_deadlock_report() {
        // From github.com/skylot/jadx/issues/726.
        let d = parse(sample!("jdk8-deadlock.txt"));
        assert_eq!(d.threads.len(), 2);
        let vm = &d.threads[1];
        assert_eq!(vm.name, b"VM Periodic Task Thread");
        assert_eq!(vm.number, None);
        assert_eq!((vm.prio, vm.os_prio), (None, Some(2)));
        assert_eq!(vm.nid, Some(0x16d8));
        assert_eq!(vm.status, b"waiting on condition");
        assert_eq!(vm.state(), None);
        assert_eq!(vm.lines().count(), 0);
        // Everything after the threads is kept, blank lines inside included.
        assert_eq!(all(&d.trailer)[0], b"JNI global references: 517");
        assert_eq!(all(&d.trailer)[3], b"Found one Java-level deadlock:");
        assert_eq!(all(&d.trailer)[5], b"\"pool-1-thread-4\":");
        assert_eq!(
            all(&d.trailer).last(),
            Some(&&b"  waiting to lock monitor 0x0000000048aeb628 (object 0x0000000407f76398, a jadx.core.dex.info.ClassInfo)"[..])
        );
        assert_eq!(all(&d.trailer).len(), 10);
    }

    #[test]
    fn jdk11() {
        // From github.com/oracle/opengrok/issues/3585.
        let d = parse(sample!("jdk11.txt"));
        assert_eq!(all(&d.header)[0], b"2021-06-11 12:06:04");
        assert_eq!(
            all(&d.header)[1],
            b"Full thread dump OpenJDK 64-Bit Server VM (11.0.11+9 mixed mode, sharing):"
        );
        assert_eq!(all(&d.header).last(), Some(&&b"}"[..]));
        assert_eq!(all(&d.header).len(), 8);
        let main = &d.threads[0];
        assert_eq!(main.name, b"main");
        assert_eq!(main.number, Some(1));
        assert_eq!(main.nid, Some(0x13));
        assert_eq!(main.status, b"runnable");
        assert!(
            main.fields
                .starts_with(b"#1 prio=5 os_prio=0 cpu=11300.96ms")
        );
        assert_eq!(frames(main).len(), 4);
    }

    #[test]
    fn jdk17() {
        // jstack -l of tests/java/ThreadStates.java on OpenJDK 17.0.15, ten of its threads.
        let d = parse(sample!("jdk17.txt"));
        assert_eq!(all(&d.header).len(), 11);
        assert_eq!(all(&d.trailer), [&b"JNI global refs: 12, weak refs: 0"[..]]);
        assert_eq!(d.threads.len(), 10);
        let by_name = |n: &[u8]| d.threads.iter().find(|t| t.name == n).unwrap();
        let waiter = by_name(b"monitor-waiter-with-a-long-name");
        assert_eq!(waiter.nid, Some(0x4b36));
        assert_eq!(waiter.status, b"waiting for monitor entry");
        assert_eq!(waiter.state(), Some(&b"BLOCKED (on object monitor)"[..]));
        assert_eq!(
            frames(waiter)[0],
            b"ThreadStates.lambda$main$5(ThreadStates.java:49)"
        );
        assert_eq!(
            locks(waiter),
            [(
                &b"waiting to lock"[..],
                &b"<0x000000069ec1a738> (a java.lang.Object)"[..]
            )]
        );
        let parked = by_name(b"parked-on-reentrant-lock");
        assert_eq!(parked.state(), Some(&b"WAITING (parking)"[..]));
        assert_eq!(
            locks(parked)[0],
            (
                &b"parking to wait for"[..],
                &b"<0x000000069ec1a8a0> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)"[..]
            )
        );
        // An entry of the ownable synchronizers list has no kind: it stays a plain line.
        let reader = by_name(b"socket-reader-thread");
        assert!(
            reader.lines().any(|l| l == Line::Other(
                b"- <0x000000069ec432f0> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)"
            ))
        );
        let compiler = by_name(b"C2 CompilerThread0");
        assert!(
            compiler
                .lines()
                .any(|l| l == Line::Other(b"No compile task"))
        );
        let gc = by_name(b"GC Thread#0");
        assert_eq!(
            (gc.number, gc.nid, gc.status),
            (None, Some(0x4b20), &b"runnable"[..])
        );
    }

    #[test]
    fn jdk21() {
        // From github.com/dragonwell-project/dragonwell21/issues/127.
        let d = parse(sample!("jdk21.txt"));
        let t = &d.threads[0];
        assert_eq!(t.name, b"JFR Periodic Tasks");
        assert_eq!(t.number, Some(42));
        assert!(t.daemon);
        assert_eq!(t.nid, Some(4_158_743));
        assert_eq!(t.status, b"waiting for monitor entry");
        assert_eq!(t.state(), Some(&b"BLOCKED (on object monitor)"[..]));
        assert_eq!(frames(t).len(), 5);
        assert_eq!(locks(t)[0].0, b"waiting to lock");
        // From github.com/apache/skywalking/issues/12707.
        let d = parse(sample!("jdk21-vm.txt"));
        assert_eq!(
            names(&d),
            [&b"Attach Listener"[..], b"VM Thread", b"ZDirector"]
        );
        assert_eq!(d.threads[0].nid, Some(63756));
        assert_eq!(d.threads[0].number, Some(37));
        assert_eq!(d.threads[2].nid, Some(61997));
        assert_eq!(d.threads[2].status, b"runnable");
    }

    #[test]
    fn names_with_quotes_and_lines_that_only_look_like_headers() {
        let text = b"\"a \"quoted\" nid=0x1 name\" #7 prio=5 os_prio=0 tid=0x1 nid=0x2a sleeping\n\
            \x20  java.lang.Thread.State: TIMED_WAITING (sleeping)\n\
            \"Thread-1\":\n\
            \"main\" Id=1 RUNNABLE\n\
            \n\
            \"x\" nid=zz runnable\n";
        let d = parse(text);
        assert_eq!(d.threads.len(), 1);
        let t = &d.threads[0];
        assert_eq!(t.name, b"a \"quoted\" nid=0x1 name");
        assert_eq!(t.nid, Some(0x2a));
        assert_eq!(t.status, b"sleeping");
        // Unindented lines right after an entry are the entry's; after a blank line, not.
        assert_eq!(
            t.lines().skip(1).collect::<Vec<_>>(),
            [
                Line::Other(b"\"Thread-1\":"),
                Line::Other(b"\"main\" Id=1 RUNNABLE")
            ]
        );
        assert_eq!(all(&d.trailer), [&b"\"x\" nid=zz runnable"[..]]);
    }

    #[test]
    fn any_bytes_parse() {
        for text in [
            &b""[..],
            b"\n\n\n",
            b"\"",
            b"\"\"",
            b"\" nid=",
            b"\"x\" nid=0x",
            b"\"x\" nid=0xffffffffffffffffff\n",
            b"\"x\" nid=7",
            b"\"x\" nid=7\n- <\n-  <>\n at\nat \njava.lang.Thread.State:",
            b"\xff\xfe\"\xff\" nid=1 \xff [\n\t\xff",
        ] {
            let d = parse(text);
            for t in &d.threads {
                let _ = (t.lines().count(), t.state());
            }
        }
        let d = parse(b"\n \nheader\n\n\"x\" nid=7\n- <\n at x\n\ntrailer\n\n");
        assert_eq!(all(&d.header), [&b"header"[..]]);
        assert_eq!(all(&d.trailer), [&b"trailer"[..]]);
        assert_eq!((d.header.cut(), d.trailer.cut()), (0, 0));
        assert_eq!(d.threads[0].nid, Some(7));
        assert_eq!(d.threads[0].status, b"");
        assert_eq!(
            d.threads[0].lines().collect::<Vec<_>>(),
            [Line::Other(b"- <"), Line::Frame(b"x")]
        );
    }

    #[test]
    fn parts_show_a_bounded_number_of_lines_and_bytes_and_count_the_rest() {
        // Blank lines after the header are no part of it; a thread with more lines than
        // shown.
        let mut text = b"0\n".to_vec();
        text.extend(b"\n".repeat(MAX_LINES + 5));
        text.extend(b"\"t\" nid=1 runnable\n");
        text.extend(b"\tat a.b(C.java:1)\n".repeat(MAX_LINES + 3));
        text.extend(b"\nend\n");
        let d = parse(&text);
        assert_eq!(all(&d.header), [&b"0"[..]]);
        let t = &d.threads[0];
        assert_eq!(t.text_lines().count(), MAX_LINES);
        assert_eq!(t.cut(), 3);
        assert_eq!(all(&d.trailer), [&b"end"[..]]);
        // One line longer than the byte cap is cut at it.
        let long = vec![b'x'; MAX_BYTES + 10];
        let d = parse(&long);
        assert_eq!(all(&d.header)[0].len(), MAX_BYTES);
        assert_eq!(d.header.cut(), 1);
        // Lines that together pass the byte cap: those before it shown, the rest counted.
        let mut text = vec![b'y'; MAX_BYTES - 2];
        text.extend(b"\nzzzz\nw");
        let d = parse(&text);
        assert_eq!(all(&d.header).len(), 2);
        assert_eq!(all(&d.header)[1], b"z");
        assert_eq!(d.header.cut(), 2);
    }

    #[test]
    fn carrier_without_nid_is_paired_by_its_os_tid() {
        // JDK 25: a carrier with a virtual thread mounted has `[OS-TID]` and no `nid=`.
        let text = b"\"ForkJoinPool-1-worker-1\" #22 [5416] daemon prio=5 os_prio=0 cpu=1424.97ms elapsed=5.88s tid=0x00007f1ca016de20  [0x00007f1ca4e77000]\n   Carrying virtual thread #21\n\tat jdk.internal.vm.Continuation.run(java.base@25.0.2/Unknown Source)\n   Mounted virtual thread #21\n\tat VirtualSpin.spin(AttachCases.java:73)\n\n\"main\" #3 [32280] prio=5 os_prio=0 tid=0x1 nid=32281 runnable  [0x2]\n";
        let d = parse(text);
        assert_eq!(d.threads.len(), 2);
        let carrier = &d.threads[0];
        assert_eq!((carrier.nid, carrier.os_tid), (Some(5416), Some(5416)));
        assert_eq!(carrier.status, b"");
        assert_eq!(
            frames(carrier),
            [
                &b"jdk.internal.vm.Continuation.run(java.base@25.0.2/Unknown Source)"[..],
                b"VirtualSpin.spin(AttachCases.java:73)"
            ]
        );
        // Where both are printed, nid= is taken.
        assert_eq!(
            (d.threads[1].nid, d.threads[1].os_tid),
            (Some(32281), Some(32280))
        );
        // Neither: no thread header.
        assert!(
            parse(b"\"x\" #1 [0x12] tid=0x1 runnable\n")
                .threads
                .is_empty()
        );
    }

    #[test]
    fn surrogate_pairs_become_utf8_and_halves_stay() {
        let join = |b: &[u8]| {
            let mut v = b.to_vec();
            join_surrogates(&mut v);
            v
        };
        // U+1F600 as HotSpot writes it, and as UTF-8.
        assert_eq!(
            join(b"\"emoji-\xed\xa0\xbd\xed\xb8\x80-x\" nid=1"),
            "\"emoji-\u{1F600}-x\" nid=1".as_bytes()
        );
        // U+10000 and U+10FFFF, the ends of the range; two pairs in a row.
        assert_eq!(join(b"\xed\xa0\x80\xed\xb0\x80"), "\u{10000}".as_bytes());
        assert_eq!(
            join(b"\xed\xaf\xbf\xed\xbf\xbf\xed\xa0\xbd\xed\xb8\x80"),
            "\u{10FFFF}\u{1F600}".as_bytes()
        );
        // Unpaired halves, a low half first, a pair cut at the end: unchanged.
        for odd in [
            &b"a\xed\xa0\xbdb"[..],
            b"\xed\xb8\x80\xed\xa0\xbd",
            b"\xed\xa0\xbd\xed\xb8",
            b"\xed\xa0\xbd\xed\xa0\xbd",
            b"\xed\xa0",
            b"",
        ] {
            assert_eq!(join(odd), odd);
        }
        // Real UTF-8 is left alone.
        assert_eq!(
            join("\u{1F600} \u{e9}".as_bytes()),
            "\u{1F600} \u{e9}".as_bytes()
        );
    }
}
