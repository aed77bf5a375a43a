//! Pure parsers for what tsnap reads: a thread's and a process's files in /proc (`stat`,
//! `status`, `syscall`, `schedstat`, `stack`, `io`, `cgroup`, `uptime`), the socket tables of
//! a network namespace, cgroup controller files,
//! mountinfo, passwd, TZif zone files, a JVM's thread dump, saved JSON lines, and the times
//! given on the command line: bytes in, fields out.
//!
//! Nothing here does IO. The parsers a sampling pass runs borrow their fields from the bytes
//! and allocate nothing; those of whole documents read once (a thread dump, a zone file) build
//! vectors. Every parser accepts any bytes: malformed input gives `None` (or skips the bad
//! part), never a panic, so a hostile or truncated file cannot crash tsnap.
//!
//! A crate of its own, with no dependencies and no `unsafe`, so that the fuzz targets build
//! only this and the compiler, not review, keeps it free of IO; `syscalls` beside the parsers
//! names the calls the `syscall` file shows. tsnap re-exports it as `tsnap::parse`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cgroup;
pub mod diag;
pub mod environ;
pub mod io;
pub mod jframe;
pub mod jsonl;
pub mod jstack;
pub mod mountinfo;
pub mod net;
pub mod passwd;
pub mod schedstat;
pub mod stack;
pub mod stat;
pub mod status;
pub mod syscall;
pub mod syscalls;
pub mod time;
pub mod tzif;
pub mod vthreads;

/// Where a piece of text lies in the buffer it was copied into: the rows' arena, or the text
/// a saved line's strings are unescaped into. Offsets of four bytes keep a row small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// The text from `start` to `end`. A buffer stays far below 4 GiB; saturating keeps a
    /// pathological one in bounds.
    pub fn new(start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX);
        Span {
            start,
            len: end.saturating_sub(start),
        }
    }

    /// The offsets it covers, to index the buffer with.
    pub fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }

    /// Its bytes in `buf` (none when it does not lie in `buf`).
    pub fn of(self, buf: &[u8]) -> &[u8] {
        buf.get(self.range()).unwrap_or_default()
    }
}

/// Parses an unsigned decimal number; `None` when empty, not all digits, or too large.
pub fn dec_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Parses a signed decimal number (an optional leading `-`).
pub fn dec_i64(s: &[u8]) -> Option<i64> {
    match s.split_first() {
        Some((b'-', rest)) => {
            let n = dec_u64(rest)?;
            if n <= i64::MAX as u64 + 1 {
                Some((n as i64).wrapping_neg())
            } else {
                None
            }
        }
        _ => i64::try_from(dec_u64(s)?).ok(),
    }
}

/// Parses a hexadecimal number with an optional `0x` prefix.
pub fn hex_u64(s: &[u8]) -> Option<u64> {
    let digits = s.strip_prefix(b"0x").unwrap_or(s);
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        n = (n << 4) | u64::from(d);
    }
    Some(n)
}

/// Splits on runs of ASCII whitespace, skipping empty pieces.
pub fn words(s: &[u8]) -> Words<'_> {
    Words { rest: s }
}

/// The iterator of [`words`]: a plain byte scan, as the fields of `stat` are walked for
/// every thread of every pass.
pub struct Words<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let start = self.rest.iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = &self.rest[start..];
        let end = rest
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(rest.len());
        self.rest = &rest[end..];
        Some(&rest[..end])
    }
}

/// `s` without trailing ASCII whitespace (a file's final newline).
pub fn trim_end(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(dec_u64(b"0"), Some(0));
        assert_eq!(dec_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(dec_u64(b"18446744073709551616"), None);
        assert_eq!(dec_u64(b""), None);
        assert_eq!(dec_u64(b"1x"), None);
        assert_eq!(dec_i64(b"-1"), Some(-1));
        assert_eq!(dec_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(dec_i64(b"-9223372036854775809"), None);
        assert_eq!(dec_i64(b"9223372036854775808"), None);
        assert_eq!(dec_i64(b"-"), None);
        assert_eq!(hex_u64(b"0xffffffffffffff9c"), Some(0xffff_ffff_ffff_ff9c));
        assert_eq!(hex_u64(b"0x"), None);
        assert_eq!(hex_u64(b"0x1ffffffffffffffff"), None);
        assert_eq!(hex_u64(b"0xg"), None);
        assert_eq!(trim_end(b"abc \n"), b"abc");
        assert_eq!(trim_end(b"\n"), b"");
        let w: Vec<&[u8]> = words(b"  a bc\t\n d ").collect();
        assert_eq!(w, [&b"a"[..], b"bc", b"d"]);
        assert_eq!(words(b" \n ").next(), None);
    }
}
