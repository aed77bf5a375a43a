//! TZif time zone files (RFC 8536): the UTC offsets of a zone over time, as `/etc/localtime`
//! and the files under `/usr/share/zoneinfo` hold them.

use super::{dec_u64, words};

/// Transitions of a TZif file: (time, offset after it), sorted, and the offset before the
/// first.
#[derive(Debug, PartialEq)]
pub struct Zone {
    initial: i32,
    transitions: Vec<(i64, i32)>,
    /// The standard offset of the footer rule, for times past the last transition when the
    /// rule has no daylight saving time.
    footer: Option<i32>,
}

impl Zone {
    /// The UTC offset in seconds at `secs` since the epoch.
    pub fn offset_at(&self, secs: i64) -> i32 {
        let i = self.transitions.partition_point(|&(t, _)| t <= secs);
        if i == self.transitions.len()
            && let Some(std) = self.footer
        {
            return std;
        }
        match i {
            0 => self.initial,
            i => self.transitions[i - 1].1,
        }
    }
}

/// Parses a TZif file (RFC 8536), preferring its 64-bit part.
pub fn parse(data: &[u8]) -> Option<Zone> {
    let header = Header::parse(data)?;
    let (header, body, time_size) = if header.version >= b'2' {
        let second = data.get(header.v1_len(4)..)?;
        (Header::parse(second)?, second.get(44..)?, 8)
    } else {
        (header, data.get(44..)?, 4)
    };
    let times = body.get(..header.timecnt * time_size)?;
    let idx = body.get(header.timecnt * time_size..header.timecnt * (time_size + 1))?;
    let types_at = header.timecnt * (time_size + 1);
    let types = body.get(types_at..types_at + header.typecnt * 6)?;
    let utoff = |i: usize| -> Option<i32> {
        let t = types.get(i * 6..i * 6 + 4)?;
        Some(i32::from_be_bytes([t[0], t[1], t[2], t[3]]))
    };
    let mut transitions = Vec::with_capacity(header.timecnt);
    for (i, &ty) in idx.iter().enumerate() {
        let raw = &times[i * time_size..(i + 1) * time_size];
        let at = if time_size == 8 {
            i64::from_be_bytes(raw.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(raw.try_into().ok()?))
        };
        transitions.push((at, utoff(usize::from(ty))?));
    }
    let footer = if time_size == 8 {
        body.get(header.v1_len(8) - 44..).and_then(footer_offset)
    } else {
        None
    };
    Some(Zone {
        initial: utoff(0)?,
        transitions,
        footer,
    })
}

struct Header {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    fn parse(data: &[u8]) -> Option<Header> {
        if data.get(..4)? != b"TZif" {
            return None;
        }
        let count = |i: usize| -> Option<usize> {
            let b = data.get(20 + i * 4..24 + i * 4)?;
            usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()
        };
        Some(Header {
            version: *data.get(4)?,
            isutcnt: count(0)?,
            isstdcnt: count(1)?,
            leapcnt: count(2)?,
            timecnt: count(3)?,
            typecnt: count(4)?,
            charcnt: count(5)?,
        })
    }

    /// Length of this header and its data block with `time_size`-byte times.
    fn v1_len(&self, time_size: usize) -> usize {
        44 + self.timecnt * (time_size + 1)
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * (time_size + 4)
            + self.isstdcnt
            + self.isutcnt
    }
}

/// The offset of a footer rule without daylight saving time, such as `\nJST-9\n` or
/// `\n<+0530>-5:30\n`. A rule with DST returns `None` (the transitions table is then used).
fn footer_offset(footer: &[u8]) -> Option<i32> {
    let rule = footer.strip_prefix(b"\n")?;
    let rule = &rule[..rule.iter().position(|&b| b == b'\n')?];
    // The name: letters, or anything between < and >.
    let rest = if let Some(r) = rule.strip_prefix(b"<") {
        &r[r.iter().position(|&b| b == b'>')? + 1..]
    } else {
        let n = rule.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        &rule[n..]
    };
    let (negative, rest) = match rest.first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let end = rest
        .iter()
        .position(|&b| !(b.is_ascii_digit() || b == b':'))
        .unwrap_or(rest.len());
    if end != rest.len() {
        return None;
    }
    let mut secs = 0i32;
    let mut scale = 3600;
    for part in words(
        &rest
            .iter()
            .map(|&b| if b == b':' { b' ' } else { b })
            .collect::<Vec<u8>>(),
    ) {
        let part = i32::try_from(dec_u64(part)?).ok()?.checked_mul(scale)?;
        secs = secs.checked_add(part)?;
        scale /= 60;
    }
    // POSIX offsets are west-positive: UTC+1 is written -1.
    Some(if negative { secs } else { -secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footers() {
        assert_eq!(footer_offset(b"\nJST-9\n"), Some(9 * 3600));
        assert_eq!(footer_offset(b"\n<+0530>-5:30\n"), Some(5 * 3600 + 30 * 60));
        assert_eq!(footer_offset(b"\nUTC0\n"), Some(0));
        assert_eq!(footer_offset(b"\n<-03>3\n"), Some(-3 * 3600));
        assert_eq!(footer_offset(b"\nCET-1CEST,M3.5.0,M10.5.0/3\n"), None);
        assert_eq!(footer_offset(b"garbage"), None);
        // Found by the fuzz target: offsets whose hours fit an i32 but whose seconds do not.
        assert_eq!(footer_offset(b"\nX499750284\n"), None);
        assert_eq!(footer_offset(b"\nX-596523:59:59\n"), None);
    }

    #[test]
    fn system_zone_files() {
        // Zones of the machine's tzdata, when it has one: fixed offsets and a DST zone in
        // winter and summer.
        let zone = |name: &str| {
            std::fs::read(format!("/usr/share/zoneinfo/{name}"))
                .ok()
                .and_then(|d| parse(&d))
        };
        if let Some(tokyo) = zone("Asia/Tokyo") {
            assert_eq!(tokyo.offset_at(1_795_555_203), 9 * 3600);
        }
        if let Some(berlin) = zone("Europe/Berlin") {
            assert_eq!(berlin.offset_at(1_767_225_600), 3600); // 2026-01-01
            assert_eq!(berlin.offset_at(1_782_864_000), 7200); // 2026-07-01
        }
        assert_eq!(parse(b"TZif2"), None);
        assert_eq!(
            parse(b"not a zone file at all, no no no no no no no no"),
            None
        );
    }
}
