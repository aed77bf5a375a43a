//! `/proc/PID/task/TID/syscall`: what the thread is doing in the kernel (proc(5)).
//!
//! Three shapes: `running` (on a CPU in user space, so no syscall to report), `-1 SP PC` (in
//! the kernel but not in a system call, e.g. handling a page fault), and `NR A1 .. A6 SP PC`
//! with the six arguments in hex.

use super::{dec_i64, hex_u64, words};

/// What the file's one line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// On a CPU in user space: in no system call.
    Running,
    /// In the kernel, but not in a system call (`-1`).
    Outside,
    /// In system call `nr`, with its six arguments.
    Call {
        /// The system call's number, of the target's architecture.
        nr: u64,
        /// Its arguments, as the kernel passed them.
        args: [u64; 6],
    },
}

/// Parses the file's one line; `None` when it has none of the three shapes.
pub fn parse(buf: &[u8]) -> Option<Line> {
    let mut w = words(buf);
    let first = w.next()?;
    if first == b"running" {
        return Some(Line::Running);
    }
    let nr = dec_i64(first)?;
    if nr < 0 {
        return Some(Line::Outside);
    }
    let mut args = [0; 6];
    for a in &mut args {
        *a = hex_u64(w.next()?)?;
    }
    Some(Line::Call {
        nr: nr as u64,
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_shapes() {
        // Captured on Linux 6.18: a thread blocked in read(2) on fd 3, one at user level, one
        // between system calls.
        assert_eq!(
            parse(b"0 0x3 0x7fc9ed282000 0x20000 0x7fc9ed315b60 0xffffffff 0x0 0x7ffd6fb69c18 0x7fc9ed3fe2ad\n"),
            Some(Line::Call {
                nr: 0,
                args: [3, 0x7fc9_ed28_2000, 0x20000, 0x7fc9_ed31_5b60, 0xffff_ffff, 0]
            })
        );
        assert_eq!(parse(b"running\n"), Some(Line::Running));
        assert_eq!(
            parse(b"-1 0x7ffd6fb69c18 0x7fc9ed3fe2ad\n"),
            Some(Line::Outside)
        );
    }

    #[test]
    fn at_fdcwd_argument() {
        let s = parse(b"257 0xffffffffffffff9c 0x55d0c2a1b2c0 0x80000 0x0 0x0 0x0 0x7ffc3a0e1b48 0x7f2b1c0e9b8d\n");
        let Some(Line::Call { nr: 257, args }) = s else {
            panic!("{s:?}")
        };
        assert_eq!(args[0] as i32, -100);
    }

    #[test]
    fn malformed() {
        for bad in [
            &b""[..],
            b"\n",
            b"runn",
            b"0 0x1 0x2",
            b"x 0x1",
            b"0 zz 0 0 0 0 0",
        ] {
            assert_eq!(parse(bad), None);
        }
    }
}
