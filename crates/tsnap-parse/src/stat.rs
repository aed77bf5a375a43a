//! `/proc/PID/task/TID/stat`: one line of space-separated fields (proc(5)).
//!
//! The second field, the name, is written raw between parentheses and may itself hold spaces,
//! parentheses and newlines, so it ends at the *last* `)` of the line; every other field is
//! counted from there.

use super::{dec_i64, dec_u64, words};

/// `PF_KTHREAD` in the `flags` field: the task is a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

/// The fields of `stat` tsnap uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat<'a> {
    /// Thread name, raw bytes (at most 15 on Linux, 63 for kernel workers).
    pub comm: &'a [u8],
    /// One-letter state: R S D T t X Z P I (older kernels also W K x).
    pub state: u8,
    /// The parent's pid.
    pub ppid: u32,
    /// A kernel thread (`PF_KTHREAD` in the flags).
    pub kernel_thread: bool,
    /// Minor page faults (no IO).
    pub minflt: u64,
    /// Major page faults (read from storage).
    pub majflt: u64,
    /// User time in clock ticks.
    pub utime: u64,
    /// System time in clock ticks.
    pub stime: u64,
    /// The kernel's priority (20 + nice for ordinary threads).
    pub priority: i64,
    /// The nice value, -20 to 19.
    pub nice: i64,
    /// Threads of the process.
    pub num_threads: u64,
    /// Start time in clock ticks after boot.
    pub starttime: u64,
    /// CPU the thread last ran on (absent on very old kernels).
    pub processor: Option<u64>,
}

/// Just the state letter: the first field after the name.
pub fn state(buf: &[u8]) -> Option<u8> {
    let close = buf.iter().rposition(|&b| b == b')')?;
    words(&buf[close + 1..]).next()?.first().copied()
}

/// Just the number of threads in the process (field 20), which a pass reads anyway: when it
/// still matches the threads listed, no thread came or went unseen.
pub fn num_threads(buf: &[u8]) -> Option<u64> {
    let close = buf.iter().rposition(|&b| b == b')')?;
    words(&buf[close + 1..]).nth(17).and_then(dec_u64)
}

/// Parses a `stat` line; `None` if the fields up to `starttime` are not all there.
pub fn parse(buf: &[u8]) -> Option<Stat<'_>> {
    let open = buf.iter().position(|&b| b == b'(')?;
    let close = buf.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let comm = &buf[open + 1..close];
    // Fields are numbered as in proc(5): 1 the pid, 2 the name, 3 the state (the first word
    // after the name). Each `nth(n)` skips n fields past the last one read.
    let mut f = words(&buf[close + 1..]);
    let state = *f.next()?.first()?;
    let ppid = u32::try_from(dec_u64(f.next()?)?).ok()?;
    let flags = dec_u64(f.nth(4)?)?; // field 9
    let minflt = dec_u64(f.next()?)?;
    let majflt = dec_u64(f.nth(1)?)?; // field 12
    let utime = dec_u64(f.nth(1)?)?; // field 14
    let stime = dec_u64(f.next()?)?;
    let priority = dec_i64(f.nth(2)?)?; // field 18
    let nice = dec_i64(f.next()?)?;
    let num_threads = dec_u64(f.next()?)?;
    let starttime = dec_u64(f.nth(1)?)?; // field 22
    let processor = f.nth(16).and_then(dec_u64); // field 39
    Some(Stat {
        comm,
        state,
        ppid,
        kernel_thread: flags & PF_KTHREAD != 0,
        minflt,
        majflt,
        utime,
        stime,
        priority,
        nice,
        num_threads,
        starttime,
        processor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines captured on Linux 6.18 from threads renamed with prctl(PR_SET_NAME).
    const HOSTILE: &[(&[u8], &[u8], u8)] = &[
        (
            b"2674 (a) R 1 (b) S 2630 2630 1054 0 -1 4194368 4 6530 0 1 0 0 3 1 20 0 5 0 31183 319369216 3462 18446744073709551615 94272163643392 94272163643733 140724531942656 0 0 0 0 16781312 2 1 0 0 -1 1 0 0 0 0 0 94272163655088 94272163655704 94272397422592 140724531947765 140724531947817 140724531947817 140724531949519 0\n",
            b"a) R 1 (b",
            b'S',
        ),
        (
            b"2675 (new\nline) S 2630 2630 1054 0 -1 4194368 3 6530 0 1 0 0 3 1 20 0 5 0 31183 319369216 3462 18446744073709551615 94272163643392 94272163643733 140724531942656 0 0 0 0 16781312 2 1 0 0 -1 1 0 0 0 0 0 94272163655088 94272163655704 94272397422592 140724531947765 140724531947817 140724531947817 140724531949519 0\n",
            b"new\nline",
            b'S',
        ),
        (
            b"2676 (sp ace)) S 2630 2630 1054 0 -1 4194368 3 6530 0 1 0 0 3 1 20 0 5 0 31183 319369216 3462 18446744073709551615 94272163643392 94272163643733 140724531942656 0 0 0 0 16781312 2 1 0 0 -1 1 0 0 0 0 0 94272163655088 94272163655704 94272397422592 140724531947765 140724531947817 140724531947817 140724531949519 0\n",
            b"sp ace)",
            b'S',
        ),
        (
            b"2677 (\x1b[31mred) R 2630 2630 1054 0 -1 4194368 4 6530 0 1 0 0 3 1 20 0 5 0 31183 319369216 3462 18446744073709551615 94272163643392 94272163643733 140724531942656 0 0 0 0 16781312 2 1 0 0 -1 1 0 0 0 0 0 94272163655088 94272163655704 94272397422592 140724531947765 140724531947817 140724531947817 140724531949519 0\n",
            b"\x1b[31mred",
            b'R',
        ),
    ];

    #[test]
    fn hostile_names_end_at_the_last_paren() {
        for &(line, comm, state) in HOSTILE {
            assert_eq!(super::state(line), Some(state));
            let s = parse(line).unwrap();
            assert_eq!(s.comm, comm);
            assert_eq!(s.state, state);
            assert_eq!(s.ppid, 2630);
            assert!(s.minflt == 3 || s.minflt == 4);
            assert_eq!(s.majflt, 0);
            assert_eq!(s.starttime, 31183);
            assert_eq!(s.num_threads, 5);
            assert_eq!(num_threads(line), Some(5));
            assert_eq!(s.processor, Some(1));
            assert!(!s.kernel_thread);
        }
    }

    #[test]
    fn user_process_fields() {
        let line = b"2633 (python3) R 2630 2630 1054 0 -1 4194304 2910 6530 6 1 3 1 3 1 20 0 5 0 31174 319369216 3462 18446744073709551615 94272163643392 94272163643733 140724531942656 0 0 0 0 16781312 2 0 0 0 17 0 0 0 0 0 0 94272163655088 94272163655704 94272397422592 140724531947765 140724531947817 140724531947817 140724531949519 0\n";
        let s = parse(line).unwrap();
        assert_eq!(
            s,
            Stat {
                comm: b"python3",
                state: b'R',
                ppid: 2630,
                kernel_thread: false,
                minflt: 2910,
                majflt: 6,
                utime: 3,
                stime: 1,
                priority: 20,
                nice: 0,
                num_threads: 5,
                starttime: 31174,
                processor: Some(0),
            }
        );
    }

    #[test]
    fn kernel_threads() {
        let kthreadd = b"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 14 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let s = parse(kthreadd).unwrap();
        assert!(s.kernel_thread);
        assert_eq!(s.comm, b"kthreadd");
        let worker = b"4 (kworker/R-rcu_gp) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 14 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let s = parse(worker).unwrap();
        assert!(s.kernel_thread);
        assert_eq!((s.state, s.nice, s.priority), (b'I', -20, 0));
    }

    #[test]
    fn centos6_line_with_fewer_fields() {
        // A line in the 44-field format of 2.6.32 kernels; tsnap needs fields up to 39.
        let line = b"1432 (oracle) D 1 1432 1432 0 -1 4202496 51412 0 1 0 21 34 0 0 20 0 1 0 5012 2313035776 4410 18446744073709551615 4194304 4233484 140733193388144 140733193386488 246176913248 0 0 4096 19062 18446744071580091229 0 0 17 3 0 0 12 0 0\n";
        let s = parse(line).unwrap();
        assert_eq!((s.state, s.majflt, s.utime, s.stime), (b'D', 1, 21, 34));
        assert_eq!(s.processor, Some(3));
        let short = b"9 (x) S 1 9 9 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 77\n";
        assert_eq!(parse(short).unwrap().processor, None);
    }

    #[test]
    fn malformed_lines_are_rejected() {
        for bad in [
            &b""[..],
            b"12 (x",
            b"12 x) S",
            b") (",
            b"12 (x) S 1 2 3",
            b"12 (x) S one 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
            b"12 (x) S 99999999999 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        ] {
            assert_eq!(parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
