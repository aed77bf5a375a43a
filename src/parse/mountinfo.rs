//! `/proc/self/mountinfo`: one line per mount (proc(5)). tsnap looks for the `hidepid` option
//! of the procfs mount it reads, to say why other users' processes are missing.
//!
//! `36 25 0:20 / /proc rw,relatime shared:12 - proc proc rw,hidepid=invisible`: the mount
//! point is the fifth field (with spaces and other bytes as `\ooo` octal escapes), and the
//! file system type and its options follow the ` - ` separator.

use super::words;

/// The `hidepid` value of the procfs mounted at `mount_point`, unless it is off.
pub fn hidepid<'a>(mountinfo: &'a [u8], mount_point: &[u8]) -> Option<&'a [u8]> {
    mountinfo.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = words(line);
        let point = fields.nth(4)?;
        if !unescaped_eq(point, mount_point) {
            return None;
        }
        let mut after = fields.skip_while(|&f| f != b"-").skip(1);
        if after.next()? != b"proc" {
            return None;
        }
        let options = after.nth(1)?;
        let value = options
            .split(|&b| b == b',')
            .find_map(|o| o.strip_prefix(b"hidepid="))?;
        (!matches!(value, b"0" | b"off")).then_some(value)
    })
}

/// Whether a mountinfo path (with `\ooo` escapes) names `path`.
fn unescaped_eq(escaped: &[u8], path: &[u8]) -> bool {
    let mut e = escaped;
    let mut p = path;
    while let Some((&b, rest)) = e.split_first() {
        let (byte, rest) = match (b, rest) {
            (b'\\', [a, b, c, tail @ ..])
                if [a, b, c].iter().all(|d| (b'0'..=b'7').contains(d)) =>
            {
                let n = u32::from(a - b'0') * 64 + u32::from(b - b'0') * 8 + u32::from(c - b'0');
                (u8::try_from(n).unwrap_or(0), tail)
            }
            _ => (b, rest),
        };
        match p.split_first() {
            Some((&q, tail)) if q == byte => p = tail,
            _ => return false,
        }
        e = rest;
    }
    p.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on Linux 6.18 after `mount -t proc -o hidepid=2 proc /tmp/hp`.
    const MOUNTINFO: &[u8] = b"22 27 0:21 / /proc rw,relatime - proc proc rw\n\
        64 27 0:40 / /tmp/hp rw,relatime - proc proc rw,hidepid=invisible\n\
        65 27 0:41 / /tmp/with\\040space rw - proc proc rw,hidepid=ptraceable,subset=pid\n\
        66 27 0:42 / /tmp/tmp rw - tmpfs tmpfs rw,hidepid=2\n";

    #[test]
    fn finds_the_option_of_that_mount() {
        assert_eq!(hidepid(MOUNTINFO, b"/proc"), None);
        assert_eq!(hidepid(MOUNTINFO, b"/tmp/hp"), Some(&b"invisible"[..]));
        assert_eq!(
            hidepid(MOUNTINFO, b"/tmp/with space"),
            Some(&b"ptraceable"[..])
        );
        assert_eq!(hidepid(MOUNTINFO, b"/tmp/tmp"), None, "not a procfs");
        assert_eq!(hidepid(MOUNTINFO, b"/tmp"), None);
        assert_eq!(hidepid(b"garbage\n\n1 2\n", b"/proc"), None);
        assert_eq!(
            hidepid(b"1 2 3 4 /proc - proc proc rw,hidepid=off", b"/proc"),
            None
        );
    }
}
