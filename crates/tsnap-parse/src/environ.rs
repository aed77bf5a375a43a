//! `/proc/PID/environ` and `/proc/PID/cmdline`: NUL-separated strings, as a process was
//! started with them (read only as far as tsnap bounds the read, so the last may be cut).

/// The value of `key` (`HOSTNAME`) in an `environ`: the first `KEY=value` string.
pub fn value<'a>(environ: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    environ
        .split(|&b| b == 0)
        .find_map(|s| s.strip_prefix(key).and_then(|rest| rest.strip_prefix(b"=")))
}

/// The base name of `argv[0]` in a `cmdline`: what follows its last `/`.
pub fn argv0_base(cmdline: &[u8]) -> &[u8] {
    let argv0 = cmdline.split(|&b| b == 0).next().unwrap_or_default();
    argv0.rsplit(|&b| b == b'/').next().unwrap_or_default()
}

/// Whether `name` matches `pattern`, as `-C` takes it: a `*` stands for any bytes (none
/// included), and a pattern without `*` is a prefix (`python` matches `python3`).
pub fn name_matches(pattern: &[u8], name: &[u8]) -> bool {
    let mut parts = pattern.split(|&b| b == b'*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&[u8]> = parts.collect();
    // Without a `*`, or ending with one, anything may follow the last part.
    let last = match parts.pop() {
        None => return true,
        Some(last) => last,
    };
    // Each middle part at its first place after the last: the leftmost fit leaves the most.
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        match rest.windows(part.len()).position(|w| w == part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environ_and_argv0() {
        let env = b"PATH=/bin\0HOSTNAMEX=no\0HOSTNAME=web-7d9\0HOSTNAME=second\0";
        assert_eq!(value(env, b"HOSTNAME"), Some(&b"web-7d9"[..]));
        assert_eq!(value(env, b"PATH"), Some(&b"/bin"[..]));
        assert_eq!(value(env, b"HOME"), None);
        assert_eq!(value(b"", b"HOSTNAME"), None);
        assert_eq!(argv0_base(b"/usr/bin/python3\0app.py\0"), b"python3");
        assert_eq!(argv0_base(b"java\0-jar\0"), b"java");
        assert_eq!(argv0_base(b"/usr/bin/\0"), b"");
        assert_eq!(argv0_base(b""), b"");
    }

    #[test]
    fn prefixes_and_stars() {
        let m = |p: &str, n: &str| name_matches(p.as_bytes(), n.as_bytes());
        assert!(m("python", "python3") && m("python3", "python3"));
        assert!(!m("python3", "python") && !m("ython", "python"));
        assert!(m("*", "") && m("*", "java") && m("", "anything"));
        assert!(m("py*3", "python3") && !m("py*3", "python3.11"));
        assert!(m("*worker", "tokio-worker") && !m("*worker", "worker-1"));
        assert!(m("*work*", "a-worker-1") && m("a*b*c", "abc") && m("a*b*c", "axbyc"));
        assert!(!m("a*b*c", "acb") && !m("ab*ba", "aba") && m("ab*ba", "abba"));
        assert!(m("a**b", "ab") && !m("x*", "yx"));
    }
}
