//! Numbers as text, in one place: integers, jstack's hex, percentages with one decimal, fixed
//! decimals from integer ratios (cores, seconds, avg_threads), and byte sizes. Integer
//! arithmetic wherever the inputs are integers, so that no value rounds differently in two
//! outputs.

/// Appends `n` in decimal.
pub fn push_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `0x` and `n` in lowercase hex, as jstack's `nid=`.
pub fn push_hex(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"0x");
    let digits = 64 - n.leading_zeros().min(60) as usize;
    let count = digits.div_ceil(4).max(1);
    for i in (0..count).rev() {
        out.push(b"0123456789abcdef"[((n >> (i * 4)) & 0xf) as usize]);
    }
}

/// Appends a percentage with one decimal, rounded to nearest.
pub fn push_tenths(out: &mut Vec<u8>, value: f64) {
    let tenths = (value * 10.0).round().max(0.0) as u64;
    push_int(out, tenths / 10);
    out.push(b'.');
    out.push(b'0' + (tenths % 10) as u8);
}

/// Appends `num / den` with `decimals` decimals, rounded to nearest; a zero denominator
/// counts as 1.
pub fn push_fixed(out: &mut Vec<u8>, num: u64, den: u64, decimals: u32) {
    let scale = 10u128.pow(decimals);
    let den = u128::from(den.max(1));
    let scaled = (u128::from(num) * scale + den / 2) / den;
    push_int(out, scaled / scale);
    if decimals > 0 {
        out.push(b'.');
        let mut digits = itoa::Buffer::new();
        let frac = digits.format(scaled % scale).as_bytes();
        out.resize(out.len() + decimals as usize - frac.len(), b'0');
        out.extend_from_slice(frac);
    }
}

/// Appends a size in GiB (two decimals) from 1 GiB up, else in MiB (one decimal).
pub fn push_bytes(out: &mut Vec<u8>, n: u64) {
    if n >= 1 << 30 {
        push_fixed(out, n, 1 << 30, 2);
        out.extend_from_slice(b" GiB");
    } else {
        push_fixed(out, n, 1 << 20, 1);
        out.extend_from_slice(b" MiB");
    }
}

/// Appends a byte count in binary units as a table shows it: `512`, `7.2G`, `130M` (one
/// decimal below 100 of a unit).
pub fn push_size(out: &mut Vec<u8>, n: u64) {
    let mut unit = 0;
    while unit < 6 && n >= 1 << (10 * (unit + 1)) {
        unit += 1;
    }
    if unit == 0 {
        push_int(out, n);
        return;
    }
    let den = 1u64 << (10 * unit);
    let decimals = u32::from(n / den < 100);
    push_fixed(out, n, den, decimals);
    out.push(b"KMGTPE"[unit - 1]);
}

/// Appends milliseconds as a duration a table shows: `850ms`, `12.3s`, `3m24s`, `5h02m`,
/// `2d03h`; each cut down, never rounded up into the next unit.
pub fn push_duration_ms(out: &mut Vec<u8>, ms: u64) {
    let s = ms / 1000;
    let two = |out: &mut Vec<u8>, n: u64| {
        if n < 10 {
            out.push(b'0');
        }
        push_int(out, n);
    };
    let (big, big_unit, small, small_unit) = match s {
        0 => {
            push_int(out, ms);
            out.extend_from_slice(b"ms");
            return;
        }
        1..60 => {
            push_int(out, s);
            out.push(b'.');
            push_int(out, ms % 1000 / 100);
            out.push(b's');
            return;
        }
        60..3600 => (s / 60, b'm', s % 60, b's'),
        3600..86400 => (s / 3600, b'h', s % 3600 / 60, b'm'),
        _ => (s / 86400, b'd', s % 86400 / 3600, b'h'),
    };
    push_int(out, big);
    out.push(big_unit);
    two(out, small);
    out.push(small_unit);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hex_and_tenths() {
        for (n, want) in [
            (0, "0x0"),
            (0x3e14, "0x3e14"),
            (u64::MAX, "0xffffffffffffffff"),
        ] {
            assert_eq!(text(|o| push_hex(o, n)), want);
        }
        for (v, want) in [
            (0.0, "0.0"),
            (99.96, "100.0"),
            (12.34, "12.3"),
            (0.05, "0.1"),
            (-1.0, "0.0"),
        ] {
            assert_eq!(text(|o| push_tenths(o, v)), want, "{v}");
        }
        assert_eq!(text(|o| push_int(o, -20i64)), "-20");
    }

    #[test]
    fn human_sizes_and_durations() {
        let sizes: Vec<String> = [0, 1023, 1024, 7_768_029_505, 130 << 20, 1 << 60, u64::MAX]
            .into_iter()
            .map(|n| text(|o| push_size(o, n)))
            .collect();
        assert_eq!(
            sizes,
            ["0", "1023", "1.0K", "7.2G", "130M", "1.0E", "16.0E"]
        );
        let times: Vec<String> = [0, 850, 1_000, 12_345, 204_000, 18_120_000, 183_600_000]
            .into_iter()
            .map(|ms| text(|o| push_duration_ms(o, ms)))
            .collect();
        assert_eq!(
            times,
            ["0ms", "850ms", "1.0s", "12.3s", "3m24s", "5h02m", "2d03h"]
        );
        assert_eq!(text(|o| push_duration_ms(o, u64::MAX)), "213503982334d14h");
    }

    #[test]
    fn fixed_point() {
        let fixed = |num, den, decimals| text(|o| push_fixed(o, num, den, decimals));
        assert_eq!(fixed(250_000, 100_000, 2), "2.50");
        assert_eq!(fixed(1, 3, 2), "0.33");
        assert_eq!(fixed(2, 3, 2), "0.67");
        assert_eq!(fixed(995, 1000, 2), "1.00");
        assert_eq!(fixed(5, 1000, 2), "0.01");
        assert_eq!(fixed(7, 0, 1), "7.0");
        assert_eq!(fixed(u64::MAX, 1, 2), "18446744073709551615.00");
        assert_eq!(fixed(u64::MAX, u64::MAX, 1), "1.0");
        assert_eq!(fixed(u64::MAX / 2, u64::MAX, 2), "0.50");
        assert_eq!(fixed(1999, 1000, 2), "2.00");
        assert_eq!(fixed(12, 1, 0), "12");
        // What sample's avg_threads and footer show.
        assert_eq!(fixed(40, 40, 2), "1.00");
        assert_eq!(fixed(1963, 4, 2), "490.75");
        let sizes: Vec<String> = [0, 512 << 10, 300 << 20, (1 << 30) - 1, 3 << 29, u64::MAX]
            .into_iter()
            .map(|n| text(|o| push_bytes(o, n)))
            .collect();
        assert_eq!(
            sizes,
            [
                "0.0 MiB",
                "0.5 MiB",
                "300.0 MiB",
                "1024.0 MiB",
                "1.50 GiB",
                "17179869184.00 GiB"
            ]
        );
    }
}
