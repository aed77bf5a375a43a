//! `/proc/PID/task/TID/io`: `key: value` lines of the thread's IO counters (proc(5)).

use super::status;

/// The counters tsnap shows, in bytes since the thread started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Io {
    /// Through read and write calls of any kind (sockets, pipes, the page cache).
    pub rchar: u64,
    /// Written through write calls of any kind.
    pub wchar: u64,
    /// Fetched from and sent to storage.
    pub read_bytes: u64,
    /// Sent to storage.
    pub write_bytes: u64,
}

impl Io {
    /// The growth of each counter from `before` to `self`.
    pub fn since(&self, before: &Io) -> Io {
        Io {
            rchar: self.rchar.saturating_sub(before.rchar),
            wchar: self.wchar.saturating_sub(before.wchar),
            read_bytes: self.read_bytes.saturating_sub(before.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(before.write_bytes),
        }
    }

    /// Each counter scaled by `num / den` (bytes to bytes per second), rounded down and
    /// saturated.
    pub fn scaled(&self, num: u64, den: u64) -> Io {
        let scale = |n: u64| {
            let scaled = u128::from(n) * u128::from(num) / u128::from(den.max(1));
            u64::try_from(scaled).unwrap_or(u64::MAX)
        };
        Io {
            rchar: scale(self.rchar),
            wchar: scale(self.wchar),
            read_bytes: scale(self.read_bytes),
            write_bytes: scale(self.write_bytes),
        }
    }
}

/// Parses the four counters; `None` unless all are there.
pub fn parse(buf: &[u8]) -> Option<Io> {
    Some(Io {
        rchar: status::number(buf, b"rchar")?,
        wchar: status::number(buf, b"wchar")?,
        read_bytes: status::number(buf, b"read_bytes")?,
        write_bytes: status::number(buf, b"write_bytes")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_scales() {
        // This machine's, for a thread of a shell.
        let file = b"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n";
        let io = parse(file).unwrap();
        assert_eq!(
            io,
            Io {
                rchar: 6976,
                wchar: 0,
                read_bytes: 4096,
                write_bytes: 0
            }
        );
        assert_eq!(parse(b"rchar: 1\nwchar: 2\n"), None);
        assert_eq!(parse(b""), None);
        let later = Io {
            rchar: 10_976,
            ..io
        };
        assert_eq!(later.since(&io).rchar, 4000);
        assert_eq!(io.since(&later).rchar, 0, "a counter never runs backwards");
        // 4000 bytes in half a second.
        assert_eq!(
            later.since(&io).scaled(1_000_000_000, 500_000_000).rchar,
            8000
        );
        assert_eq!(io.scaled(u64::MAX, 1).rchar, u64::MAX);
    }
}
