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

/// The launcher's options that take the next argument as their value: the main class is
/// the first argument that is neither an option nor such a value.
const VALUE_OPTIONS: [&[u8]; 13] = [
    b"-cp",
    b"-classpath",
    b"--class-path",
    b"-p",
    b"--module-path",
    b"--upgrade-module-path",
    b"--add-modules",
    b"--limit-modules",
    b"--add-reads",
    b"--add-exports",
    b"--add-opens",
    b"--patch-module",
    b"--source",
];

/// The options of the `java` launcher's arguments `args` (`argv[0]` first), and what it
/// runs: the main class, or `-jar FILE`'s file, or `-m MODULE`'s module.
pub fn launcher_args<'a>(
    args: impl Iterator<Item = &'a [u8]>,
) -> (Vec<&'a [u8]>, Option<&'a [u8]>) {
    let mut args = args.skip(1);
    let mut options = Vec::new();
    while let Some(arg) = args.next() {
        if VALUE_OPTIONS.contains(&arg) {
            args.next();
        } else if arg == b"-jar" || arg == b"-m" || arg == b"--module" {
            return (options, args.next());
        } else if !arg.starts_with(b"-") {
            return (options, Some(arg));
        } else {
            options.push(arg);
        }
    }
    (options, None)
}

/// Whether a HotSpot JVM started with `cmdline` and `environ` has its attach mechanism
/// turned off: the last of `-XX:+DisableAttachMechanism` and `-XX:-DisableAttachMechanism`
/// wins, in the order HotSpot takes its options: `JAVA_TOOL_OPTIONS`, `JDK_JAVA_OPTIONS`
/// (which the `java` launcher puts before its own arguments), the launcher's options (its
/// arguments up to the main class, `-jar FILE` or `-m MODULE`: what follows is the
/// program's), then `_JAVA_OPTIONS`. Options in files (`@argfile`, `-XX:Flags=`,
/// `-XX:VMOptionsFile=`) are not read.
pub fn attach_disabled(cmdline: &[u8], environ: &[u8]) -> bool {
    let env_words = |key: &[u8]| {
        let value = value(environ, key).unwrap_or_default();
        value.split(|b| b.is_ascii_whitespace())
    };
    let (launcher, _) = launcher_args(cmdline.split(|&b| b == 0));
    let options = env_words(b"JAVA_TOOL_OPTIONS")
        .chain(env_words(b"JDK_JAVA_OPTIONS"))
        .chain(launcher)
        .chain(env_words(b"_JAVA_OPTIONS"));
    options.fold(false, |disabled, option| match option {
        b"-XX:+DisableAttachMechanism" => true,
        b"-XX:-DisableAttachMechanism" => false,
        _ => disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_disabled_by_the_last_option() {
        let off = |cmdline: &[u8], environ: &[u8]| attach_disabled(cmdline, environ);
        assert!(off(
            b"java\0-XX:+DisableAttachMechanism\0-cp\0.\0Main\0",
            b""
        ));
        assert!(!off(b"java\0-cp\0.\0Main\0", b""));
        // The last wins.
        assert!(!off(
            b"java\0-XX:+DisableAttachMechanism\0-XX:-DisableAttachMechanism\0Main\0",
            b""
        ));
        // The program's own arguments, and a class path value, are not options.
        assert!(!off(b"java\0Main\0-XX:+DisableAttachMechanism\0", b""));
        assert!(!off(
            b"java\0-jar\0app.jar\0-XX:+DisableAttachMechanism\0",
            b""
        ));
        assert!(!off(b"java\0-cp\0-XX:+DisableAttachMechanism\0Main\0", b""));
        // The environment: JAVA_TOOL_OPTIONS first, the command line over it, _JAVA_OPTIONS
        // over both.
        let tool = b"JAVA_TOOL_OPTIONS=-Xmx1g -XX:+DisableAttachMechanism\0";
        assert!(off(b"java\0Main\0", tool));
        assert!(!off(b"java\0-XX:-DisableAttachMechanism\0Main\0", tool));
        assert!(off(
            b"java\0-XX:-DisableAttachMechanism\0Main\0",
            b"_JAVA_OPTIONS=-XX:+DisableAttachMechanism\0"
        ));
        assert!(off(
            b"java\0Main\0",
            b"JDK_JAVA_OPTIONS=-XX:+DisableAttachMechanism\0"
        ));
        assert!(!off(b"", b""));
    }

    #[test]
    fn what_the_launcher_runs() {
        fn main(c: &str) -> Option<&[u8]> {
            launcher_args(c.as_bytes().split(|&b| b == b' ')).1
        }
        assert_eq!(
            main("java -cp a:b -Xmx1g org.x.Main arg"),
            Some(&b"org.x.Main"[..])
        );
        assert_eq!(
            main("java -Xss1m -jar /app/server.jar -v"),
            Some(&b"/app/server.jar"[..])
        );
        assert_eq!(main("java -m app/org.x.Main"), Some(&b"app/org.x.Main"[..]));
        assert_eq!(main("java -version"), None);
        assert_eq!(main(""), None);
    }

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
