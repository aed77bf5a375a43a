//! Wall-clock time as people read it: ISO 8601 with milliseconds and the local UTC offset.
//!
//! A static binary has no libc time zone support to lean on, so the offset comes from the
//! TZif file named by `$TZ` (`:Area/City` or `Area/City` under /usr/share/zoneinfo) or from
//! /etc/localtime, read once. Without either, as in most containers, the time is UTC.

use crate::parse::{dec_u64, words};
use std::sync::OnceLock;

/// CLOCK_MONOTONIC in nanoseconds: what every window, deadline and pass schedule is measured
/// on.
pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Seconds and nanoseconds since the Unix epoch.
pub fn now() -> (i64, u32) {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    (t.tv_sec, t.tv_nsec as u32)
}

/// Appends `2026-11-25T21:40:03.123+01:00` for the given time, in local time.
pub fn push_iso8601(out: &mut Vec<u8>, secs: i64, nanos: u32) {
    let offset = local_offset(secs);
    let (date, time) = civil(secs + i64::from(offset));
    push_date(out, date);
    out.push(b'T');
    push_time(out, time);
    out.push(b'.');
    push_padded(out, i64::from(nanos / 1_000_000), 3);
    push_offset(out, offset);
}

/// Appends `2026-11-25 21:40:03 +01:00`, the form of a dump header.
pub fn push_readable(out: &mut Vec<u8>, secs: i64) {
    let offset = local_offset(secs);
    let (date, time) = civil(secs + i64::from(offset));
    push_date(out, date);
    out.push(b' ');
    push_time(out, time);
    out.push(b' ');
    push_offset(out, offset);
}

/// Appends `2026-11-25.21`: the local date and hour, to name hourly files.
pub fn push_hour(out: &mut Vec<u8>, secs: i64) {
    let (date, (hour, _, _)) = civil(secs + i64::from(local_offset(secs)));
    push_date(out, date);
    out.push(b'.');
    push_padded(out, i64::from(hour), 2);
}

/// Appends a duration as `3d04h05m06s`, leaving out leading zero units.
pub fn push_duration(out: &mut Vec<u8>, secs: u64) {
    let parts = [
        (secs / 86400, b'd'),
        ((secs / 3600) % 24, b'h'),
        ((secs / 60) % 60, b'm'),
    ];
    let mut started = false;
    for (n, unit) in parts {
        if started || n > 0 {
            if started {
                push_padded(out, n as i64, 2);
            } else {
                out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            }
            out.push(unit);
            started = true;
        }
    }
    if started {
        push_padded(out, (secs % 60) as i64, 2);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(secs % 60).as_bytes());
    }
    out.push(b's');
}

type Date = (i64, u32, u32);
type Time = (u32, u32, u32);

/// Splits seconds since the epoch into a proleptic Gregorian date and a time of day.
fn civil(secs: i64) -> (Date, Time) {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400) as u32;
    // Days to civil date, after Howard Hinnant's public-domain algorithm description.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    ((year, month, day), (rem / 3600, (rem / 60) % 60, rem % 60))
}

fn push_date(out: &mut Vec<u8>, (y, m, d): Date) {
    push_padded(out, y, 4);
    out.push(b'-');
    push_padded(out, i64::from(m), 2);
    out.push(b'-');
    push_padded(out, i64::from(d), 2);
}

fn push_time(out: &mut Vec<u8>, (h, m, s): Time) {
    push_padded(out, i64::from(h), 2);
    out.push(b':');
    push_padded(out, i64::from(m), 2);
    out.push(b':');
    push_padded(out, i64::from(s), 2);
}

fn push_offset(out: &mut Vec<u8>, offset: i32) {
    out.push(if offset < 0 { b'-' } else { b'+' });
    let minutes = offset.unsigned_abs() / 60;
    push_padded(out, i64::from(minutes / 60), 2);
    out.push(b':');
    push_padded(out, i64::from(minutes % 60), 2);
}

fn push_padded(out: &mut Vec<u8>, n: i64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n.unsigned_abs());
    if n < 0 {
        out.push(b'-');
    }
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.as_bytes());
}

/// The local UTC offset in seconds at `secs`.
fn local_offset(secs: i64) -> i32 {
    static ZONE: OnceLock<Option<Zone>> = OnceLock::new();
    ZONE.get_or_init(load_zone)
        .as_ref()
        .map_or(0, |z| z.offset_at(secs))
}

/// Transitions of a TZif file: (time, offset after it), sorted, and the offset before the
/// first.
#[derive(Debug, PartialEq)]
struct Zone {
    initial: i32,
    transitions: Vec<(i64, i32)>,
    /// The standard offset of the footer rule, for times past the last transition when the
    /// rule has no daylight saving time.
    footer: Option<i32>,
}

impl Zone {
    fn offset_at(&self, secs: i64) -> i32 {
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

fn load_zone() -> Option<Zone> {
    let path = match std::env::var("TZ") {
        Ok(tz) if tz.is_empty() || tz == "UTC" || tz == "UTC0" => return None,
        Ok(tz) => {
            let name = tz.strip_prefix(':').unwrap_or(&tz).to_string();
            if name.starts_with('/') {
                name
            } else if name.contains("..") {
                return None;
            } else {
                format!("/usr/share/zoneinfo/{name}")
            }
        }
        Err(_) => "/etc/localtime".to_string(),
    };
    parse_tzif(&std::fs::read(path).ok()?)
}

/// Parses a TZif file (RFC 8536), preferring its 64-bit part.
fn parse_tzif(data: &[u8]) -> Option<Zone> {
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
        secs += i32::try_from(dec_u64(part)?).ok()? * scale;
        scale /= 60;
    }
    // POSIX offsets are west-positive: UTC+1 is written -1.
    Some(if negative { secs } else { -secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), ((1970, 1, 1), (0, 0, 0)));
        assert_eq!(civil(951_782_400), ((2000, 2, 29), (0, 0, 0)));
        assert_eq!(civil(1_795_555_203), ((2026, 11, 24), (21, 20, 3)));
        assert_eq!(civil(-1), ((1969, 12, 31), (23, 59, 59)));
    }

    #[test]
    fn durations() {
        let d = |s| {
            let mut out = Vec::new();
            push_duration(&mut out, s);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(d(5), "5s");
        assert_eq!(d(65), "1m05s");
        assert_eq!(d(3 * 86400 + 4 * 3600 + 5 * 60 + 6), "3d04h05m06s");
        assert_eq!(d(7200), "2h00m00s");
    }

    #[test]
    fn footers() {
        assert_eq!(footer_offset(b"\nJST-9\n"), Some(9 * 3600));
        assert_eq!(footer_offset(b"\n<+0530>-5:30\n"), Some(5 * 3600 + 30 * 60));
        assert_eq!(footer_offset(b"\nUTC0\n"), Some(0));
        assert_eq!(footer_offset(b"\n<-03>3\n"), Some(-3 * 3600));
        assert_eq!(footer_offset(b"\nCET-1CEST,M3.5.0,M10.5.0/3\n"), None);
        assert_eq!(footer_offset(b"garbage"), None);
    }

    #[test]
    fn system_zone_files() {
        // Zones of the machine's tzdata, when it has one: fixed offsets and a DST zone in
        // winter and summer.
        let zone = |name: &str| {
            std::fs::read(format!("/usr/share/zoneinfo/{name}"))
                .ok()
                .and_then(|d| parse_tzif(&d))
        };
        if let Some(tokyo) = zone("Asia/Tokyo") {
            assert_eq!(tokyo.offset_at(1_795_555_203), 9 * 3600);
        }
        if let Some(berlin) = zone("Europe/Berlin") {
            assert_eq!(berlin.offset_at(1_767_225_600), 3600); // 2026-01-01
            assert_eq!(berlin.offset_at(1_782_864_000), 7200); // 2026-07-01
        }
        assert_eq!(parse_tzif(b"TZif2"), None);
        assert_eq!(
            parse_tzif(b"not a zone file at all, no no no no no no no no"),
            None
        );
    }
}
