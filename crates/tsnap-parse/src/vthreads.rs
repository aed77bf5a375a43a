//! A JVM's JSON thread dump (`jcmd PID Thread.dump_to_file -format=json FILE`, JDK 21 on):
//! the virtual threads, which a `threaddump` does not list. Its shape:
//!
//! ```text
//! {"threadDump": {"processId": "..", "runtimeVersion": "..", "threadContainers": [
//!   {"container": "<root>", ..., "threads": [
//!     {"tid": "21", "virtual": true, "name": "", "state": "WAITING",
//!      "stack": ["java.base/java.lang.VirtualThread.park(Unknown Source)", ...],
//!      "carrier": "24"}, ...]}, ...]}}
//! ```
//!
//! where `state` and `carrier` (the Java thread id of the platform thread a mounted virtual
//! thread runs on) are written by JDKs after 21 (JDK 25 does), and numbers are written as
//! strings. Any object in an array that is the value of a `threads` key is a thread: each is
//! handed over as soon as it is read, so a dump cut short (at tsnap's size cap) gives every
//! thread before the cut. The strings are kept as written, quotes and escapes included, for
//! [`crate::jsonl::unescape`].
//! Nesting deeper than [`MAX_DEPTH`] ends the parse: no JVM nests that deep.

/// The deepest nesting read.
pub const MAX_DEPTH: usize = 32;

/// A thread of the dump; strings as written (quoted, escaped).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Thread<'a> {
    /// The Java thread id (`tid`).
    pub tid: Option<u64>,
    /// The thread's name.
    pub name: &'a [u8],
    /// Whether it is a virtual thread.
    pub virtual_: bool,
    /// `WAITING`, `RUNNABLE`, ...: empty where the JDK does not write it (JDK 21).
    pub state: &'a [u8],
    /// The stack array, brackets included: its frames through [`frames`].
    pub stack: &'a [u8],
    /// The Java thread id of the carrier a mounted virtual thread runs on.
    pub carrier: Option<u64>,
}

/// How a parse ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The threads handed over.
    pub threads: usize,
    /// The document was read to its end.
    pub complete: bool,
}

/// Parses `text`, handing each thread to `each` as it is read.
pub fn parse<'a>(text: &'a [u8], each: &mut dyn FnMut(Thread<'a>)) -> Summary {
    let mut p = Parser {
        s: text,
        i: 0,
        threads: 0,
        each,
    };
    let complete = p.value(Within::Other, 0).is_some() && {
        p.ws();
        p.i == text.len()
    };
    Summary {
        threads: p.threads,
        complete,
    }
}

/// The frames of a thread's `stack` (as written, quoted), top first.
pub fn frames(stack: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    let mut open = b'[';
    std::iter::from_fn(move || {
        i = ws(stack, i);
        (stack.get(i) == Some(&open)).then_some(())?;
        open = b',';
        i = ws(stack, i + 1);
        let (frame, end) = string(stack, i)?;
        i = end;
        Some(frame)
    })
}

/// Where the first byte at or after `i` that is not white space is.
fn ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// The string at `i`, quotes included, its escapes skipped over (not checked), and where it
/// ends.
fn string(s: &[u8], i: usize) -> Option<(&[u8], usize)> {
    (s.get(i) == Some(&b'"')).then_some(())?;
    let mut end = i + 1;
    loop {
        match s.get(end)? {
            b'"' => break,
            b'\\' => end += 2,
            _ => end += 1,
        }
    }
    Some((&s[i..=end], end + 1))
}

/// A number written as a string (`"24"`) or as a number.
fn number(raw: &[u8]) -> Option<u64> {
    let digits = raw
        .strip_prefix(b"\"")
        .and_then(|r| r.strip_suffix(b"\""))
        .unwrap_or(raw);
    super::dec_u64(digits)
}

/// Where a value is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    /// An element of a `threads` array.
    Threads,
    /// The value of a `threads` key.
    ThreadsKey,
    Other,
}

struct Parser<'a, 'f> {
    s: &'a [u8],
    i: usize,
    threads: usize,
    each: &'f mut dyn FnMut(Thread<'a>),
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn ws(&mut self) {
        self.i = ws(self.s, self.i);
    }

    /// A value, as written.
    fn value(&mut self, within: Within, depth: usize) -> Option<&'a [u8]> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' => self.object(within == Within::Threads, depth)?,
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']').is_none() {
                    let inner = match within {
                        Within::ThreadsKey => Within::Threads,
                        _ => Within::Other,
                    };
                    loop {
                        self.value(inner, depth + 1)?;
                        self.ws();
                        if self.eat(b',').is_none() {
                            self.eat(b']')?;
                            break;
                        }
                    }
                }
            }
            _ => {
                // A number, true, false or null.
                while matches!(
                    self.peek(),
                    Some(b'a'..=b'z' | b'0'..=b'9' | b'-' | b'+' | b'.' | b'E')
                ) {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
            }
        }
        Some(&self.s[start..self.i])
    }

    /// An object; a thread's is handed over once read.
    fn object(&mut self, thread: bool, depth: usize) -> Option<()> {
        self.eat(b'{')?;
        let mut t = Thread::default();
        self.ws();
        if self.eat(b'}').is_none() {
            loop {
                self.ws();
                let key = self.string()?;
                self.ws();
                self.eat(b':')?;
                let within = match key {
                    b"\"threads\"" => Within::ThreadsKey,
                    _ => Within::Other,
                };
                let value = self.value(within, depth + 1)?;
                if thread {
                    match key {
                        b"\"tid\"" => t.tid = number(value),
                        b"\"name\"" => t.name = value,
                        b"\"virtual\"" => t.virtual_ = value == b"true",
                        b"\"state\"" => t.state = value,
                        b"\"stack\"" => t.stack = value,
                        b"\"carrier\"" => t.carrier = number(value),
                        _ => {}
                    }
                }
                self.ws();
                if self.eat(b',').is_none() {
                    self.eat(b'}')?;
                    break;
                }
            }
        }
        if thread {
            self.threads += 1;
            (self.each)(t);
        }
        Some(())
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let (text, end) = string(self.s, self.i)?;
        self.i = end;
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonl::unescape;

    const DUMP: &[u8] = br#"{
  "threadDump": {
    "processId": "31867",
    "runtimeVersion": "25.0.2+10-LTS",
    "threadContainers": [
      {
        "container": "<root>",
        "parent": null,
        "threads": [
         {
           "tid": "1",
           "name": "main",
           "state": "RUNNABLE",
           "stack": [
              "java.base\/java.io.FileInputStream.readBytes(Native Method)"
           ]
         },
         {
           "tid": "21",
           "virtual": true,
           "name": "",
           "state": "WAITING",
           "stack": [
              "java.base\/java.lang.VirtualThread.park(Unknown Source)",
              "VirtualThreads.park(VirtualThreads.java:44)"
           ]
         },
         {
           "tid": "28",
           "virtual": true,
           "name": "a \"quoted\" one",
           "state": "RUNNABLE",
           "stack": [],
           "carrier": "24"
         }
        ],
        "threadCount": "3"
      }
    ]
  }
}
"#;

    fn all(text: &[u8]) -> (Vec<Thread<'_>>, Summary) {
        let mut threads = Vec::new();
        let summary = parse(text, &mut |t| threads.push(t));
        (threads, summary)
    }

    #[test]
    fn threads_of_a_jdk25_dump() {
        let (threads, summary) = all(DUMP);
        assert_eq!(
            summary,
            Summary {
                threads: 3,
                complete: true
            }
        );
        assert_eq!(threads[0].tid, Some(1));
        assert!(!threads[0].virtual_);
        let v = &threads[1];
        assert!(
            v.virtual_ && v.tid == Some(21) && v.state == b"\"WAITING\"" && v.carrier.is_none()
        );
        let shown: Vec<Vec<u8>> = frames(v.stack)
            .map(|f| {
                let mut out = Vec::new();
                unescape(f, &mut out).unwrap();
                out
            })
            .collect();
        assert_eq!(
            shown,
            [
                b"java.base/java.lang.VirtualThread.park(Unknown Source)".to_vec(),
                b"VirtualThreads.park(VirtualThreads.java:44)".to_vec()
            ]
        );
        let mut name = Vec::new();
        unescape(threads[2].name, &mut name).unwrap();
        assert_eq!(name, b"a \"quoted\" one");
        assert_eq!(threads[2].carrier, Some(24));
        assert_eq!(frames(threads[2].stack).count(), 0);
    }

    #[test]
    fn a_cut_dump_gives_the_threads_before_the_cut() {
        let cut = DUMP
            .windows(10)
            .position(|w| w == b"\"tid\": \"28")
            .unwrap();
        let (threads, summary) = all(&DUMP[..cut]);
        assert_eq!(
            summary,
            Summary {
                threads: 2,
                complete: false
            }
        );
        assert_eq!(threads[1].tid, Some(21));
    }

    #[test]
    fn any_bytes_and_deep_nesting() {
        let deep = [b'['; 10_000];
        assert!(!all(&deep).1.complete);
        for text in [
            &b""[..],
            b"{",
            b"\"",
            b"{\"threads\":[{\"stack\":[\"\\",
            b"[1,,]",
            b"}",
        ] {
            let (_, summary) = all(text);
            assert!(!summary.complete);
        }
        assert!(all(b" {\"threads\": [{}, {}]} ").1.complete);
        assert_eq!(all(b"{\"threads\": [{}, {}]}").0.len(), 2);
        assert_eq!(frames(b"[\"a\", ").count(), 1);
    }
}
