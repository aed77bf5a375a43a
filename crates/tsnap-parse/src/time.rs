//! Times written as text: decimal seconds (`uptime`'s `1234.56`, the command line's `0.5`), and
//! durations with units (`500ms`, `3s`, `1m30s`, `2h`), all to nanoseconds.

use super::{dec_u64, words};

/// `DIGITS[.DIGITS]` seconds, up to nanoseconds, in nanoseconds. Written out rather than
/// `f64::from_str`, whose general algorithm would be a tenth of the binary's own code.
pub fn seconds_ns(s: &[u8]) -> Option<u64> {
    let dot = s.iter().position(|&b| b == b'.');
    let (whole, frac) = match dot {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &b""[..]),
    };
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 9 {
        return None;
    }
    let whole = if whole.is_empty() { 0 } else { dec_u64(whole)? };
    let mut ns = whole.checked_mul(1_000_000_000)?;
    let mut scale = 100_000_000;
    for &d in frac {
        let digit = u64::from(d.checked_sub(b'0').filter(|d| *d <= 9)?);
        ns = ns.checked_add(digit * scale)?;
        scale /= 10;
    }
    Some(ns)
}

/// A duration: decimal seconds as [`seconds_ns`], or decimal numbers each followed by a unit,
/// `h`, `m`, `s` or `ms`, from the largest unit down, each once (`2h`, `1m30s`, `1m30.5s`,
/// `500ms`); in nanoseconds.
pub fn duration_ns(s: &[u8]) -> Option<u64> {
    if s.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return seconds_ns(s);
    }
    let mut total: u64 = 0;
    let mut rest = s;
    // The units still allowed: each piece's unit comes after the last one's in this list.
    let mut units: &[(&[u8], u64)] = &[(b"h", 3600), (b"m", 60), (b"s", 1), (b"ms", 0)];
    while !rest.is_empty() {
        let digits = rest
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))?;
        let letters = rest[digits..]
            .iter()
            .position(|b| !b.is_ascii_lowercase())
            .map_or(rest.len(), |i| digits + i);
        let (number, unit) = (&rest[..digits], &rest[digits..letters]);
        let at = units.iter().position(|(name, _)| *name == unit)?;
        let ns = seconds_ns(number)?;
        let piece = match units[at].1 {
            0 => ns / 1000,
            per_second => ns.checked_mul(per_second)?,
        };
        total = total.checked_add(piece)?;
        units = &units[at + 1..];
        rest = &rest[letters..];
    }
    Some(total)
}

/// The time since boot in `uptime` (its first field), in nanoseconds.
pub fn uptime_ns(buf: &[u8]) -> Option<u64> {
    seconds_ns(words(buf).next()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_durations_and_uptime() {
        let ns = |s: u64| s * 1_000_000_000;
        for (text, want) in [
            ("0", Some(0)),
            ("2", Some(ns(2))),
            ("0.25", Some(250_000_000)),
            (".5", Some(500_000_000)),
            ("5.", Some(ns(5))),
            ("0.000000001", Some(1)),
        ] {
            assert_eq!(seconds_ns(text.as_bytes()), want, "{text}");
            assert_eq!(
                duration_ns(text.as_bytes()),
                want,
                "a bare {text} is seconds"
            );
        }
        let bad = [
            "",
            ".",
            "-1",
            "1e3",
            "inf",
            "nan",
            "1.2.3",
            "0x10",
            " 1",
            "0.0000000001",
        ];
        // The last found by the fuzz target: whole seconds that fit, with a fraction that
        // does not.
        let big = ["99999999999999999999", "18446744073.709551616"];
        for text in bad.into_iter().chain(big) {
            assert_eq!(seconds_ns(text.as_bytes()), None, "{text}");
        }
        for (text, want) in [
            ("3s", Some(ns(3))),
            ("500ms", Some(500_000_000)),
            ("0.5ms", Some(500_000)),
            ("2m", Some(ns(120))),
            ("1.5m", Some(ns(90))),
            ("1h", Some(ns(3600))),
            (".25s", Some(250_000_000)),
            ("1m30s", Some(ns(90))),
            ("1m30.5s", Some(90_500_000_000)),
            ("2h", Some(ns(7200))),
            ("1h2m3s4ms", Some(3_723_004_000_000)),
        ] {
            assert_eq!(duration_ns(text.as_bytes()), want, "{text}");
        }
        for text in [
            "s", "ms", "3 s", "3S", "3sec", "3us", "-1s", "1e3s", "m2", "3ss", "30s1m", "1s1s",
            "1m30", "1m s",
        ] {
            assert_eq!(duration_ns(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            uptime_ns(b"350735.47 234388.90\n"),
            Some(350_735_470_000_000)
        );
        assert_eq!(uptime_ns(b"12 34\n"), Some(ns(12)));
        assert_eq!(uptime_ns(b""), None);
        assert_eq!(uptime_ns(b"x 1\n"), None);
    }
}
