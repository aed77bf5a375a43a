//! `/proc/PID/status`: `Key:\tvalue` lines (proc(5)).

use super::{dec_u64, words};

/// The value of the first line `key:`, without surrounding whitespace.
pub fn field<'a>(buf: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(b":")?;
        Some(rest.trim_ascii())
    })
}

/// A decimal field such as `Tgid` or `voluntary_ctxt_switches`.
pub fn number(buf: &[u8], key: &[u8]) -> Option<u64> {
    dec_u64(field(buf, key)?)
}

/// The fields of a thread's `status` that its columns use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Task {
    /// Real uid (the first of `Uid`'s four).
    pub uid: Option<u32>,
    /// The thread id in its innermost pid namespace (the last of `NSpid`'s; Linux 4.1+).
    pub nspid: Option<u64>,
    /// Voluntary context switches: the thread blocked.
    pub voluntary: Option<u64>,
    /// Involuntary context switches: the thread was preempted.
    pub involuntary: Option<u64>,
}

/// Reads the [`Task`] fields in one pass over the lines.
pub fn task(buf: &[u8]) -> Task {
    let mut t = Task::default();
    for line in buf.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let slot = match &line[..colon] {
            b"Uid" => 0,
            b"NSpid" => 1,
            b"voluntary_ctxt_switches" => 2,
            b"nonvoluntary_ctxt_switches" => 3,
            _ => continue,
        };
        let mut w = words(&line[colon + 1..]);
        let first = w.next();
        let value = if slot == 1 { w.last().or(first) } else { first }.and_then(dec_u64);
        match slot {
            0 => t.uid = value.and_then(|n| u32::try_from(n).ok()),
            1 => t.nspid = value,
            2 => t.voluntary = value,
            _ => t.involuntary = value,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] = b"Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2214\nNgid:\t0\nPid:\t2230\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\nNStgid:\t2214\t7\nNSpid:\t2230\t23\nSigCgt:\t0000000181005ccf\nvoluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t545\n";

    #[test]
    fn fields() {
        assert_eq!(field(STATUS, b"Name"), Some(&b"java"[..]));
        assert_eq!(number(STATUS, b"Tgid"), Some(2214));
        assert_eq!(number(STATUS, b"voluntary_ctxt_switches"), Some(150));
        assert_eq!(number(STATUS, b"nonvoluntary_ctxt_switches"), Some(545));
        assert_eq!(field(STATUS, b"Nam"), None);
        assert_eq!(number(STATUS, b"Missing"), None);
    }

    #[test]
    fn task_fields() {
        assert_eq!(
            task(STATUS),
            Task {
                uid: Some(1000),
                nspid: Some(23),
                voluntary: Some(150),
                involuntary: Some(545),
            }
        );
        // A 3.x kernel has no NSpid; garbage leaves fields out.
        let old = b"Name:\tx\nUid:\t0\t0\t0\t0\nvoluntary_ctxt_switches:\tmany\n";
        assert_eq!(
            task(old),
            Task {
                uid: Some(0),
                ..Task::default()
            }
        );
        assert_eq!(task(b"Uid:\t4294967296\nNSpid:\n:\n"), Task::default());
    }
}
