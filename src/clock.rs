//! Wall-clock time as people read it: ISO 8601 with milliseconds and the local UTC offset.
//!
//! A static binary has no libc time zone support to lean on, so the offset comes from the
//! TZif file named by `$TZ` (`:Area/City` or `Area/City` under /usr/share/zoneinfo) or from
//! /etc/localtime, read once. Without either, as in most containers, the time is UTC. Also
//! the monotonic clock every window is measured on.

use crate::output::number::push_int;
use crate::parse::tzif::{self, Zone};
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
    let offset = push_local(out, secs, b'T');
    out.push(b'.');
    push_padded(out, i64::from(nanos / 1_000_000), 3);
    push_offset(out, offset);
}

/// Appends `21:40:03.123`: the local time of day, for a terminal, where the date goes
/// without saying.
pub fn push_time_of_day(out: &mut Vec<u8>, secs: i64, nanos: u32) {
    let mut full = Vec::with_capacity(32);
    push_iso8601(&mut full, secs, nanos);
    out.extend_from_slice(full.get(11..23).unwrap_or(&full));
}

/// Appends `2026-11-25 21:40:03 +01:00`, the form of a dump header.
pub fn push_readable(out: &mut Vec<u8>, secs: i64) {
    let offset = push_local(out, secs, b' ');
    out.push(b' ');
    push_offset(out, offset);
}

/// Appends the local date and time of `secs`, parted by `sep`, and returns the UTC offset
/// they are in.
fn push_local(out: &mut Vec<u8>, secs: i64, sep: u8) -> i32 {
    let offset = local_offset(secs);
    let (date, time) = civil(secs + i64::from(offset));
    push_date(out, date);
    out.push(sep);
    push_time(out, time);
    offset
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
                push_int(out, n);
            }
            out.push(unit);
            started = true;
        }
    }
    if started {
        push_padded(out, (secs % 60) as i64, 2);
    } else {
        push_int(out, secs % 60);
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
    tzif::parse(&std::fs::read(path).ok()?)
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
}
