//! `/proc/PID/status`: `Key:\tvalue` lines (proc(5)).

use super::dec_u64;

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
}
