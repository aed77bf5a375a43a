//! A Java frame as a thread dump prints it after `at `, made short for columns and flame
//! graphs: `com.x.Work.doGet(Work.java:19)` is `com.x.Work.doGet:19`, and
//! `java.lang.Thread.sleep(java.base@17.0.15/Native Method)` is `java.lang.Thread.sleep`:
//! the class and method in full, then the line where the JVM knows it.

/// Appends the short form of `frame` to `out`.
pub fn push_short(out: &mut Vec<u8>, frame: &[u8]) {
    let Some(open) = frame.iter().position(|&b| b == b'(') else {
        out.extend_from_slice(frame);
        return;
    };
    out.extend_from_slice(&frame[..open]);
    let inside = &frame[open + 1..];
    let inside = inside.strip_suffix(b")").unwrap_or(inside);
    let line = match inside.iter().rposition(|&b| b == b':') {
        Some(colon) => &inside[colon + 1..],
        None => b"",
    };
    if !line.is_empty() && line.iter().all(u8::is_ascii_digit) {
        out.push(b':');
        out.extend_from_slice(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(frame: &[u8]) -> String {
        let mut out = Vec::new();
        push_short(&mut out, frame);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn frames_keep_class_method_and_line() {
        assert_eq!(
            short(b"com.x.Work.doGet(Work.java:19)"),
            "com.x.Work.doGet:19"
        );
        assert_eq!(
            short(b"java.lang.Thread.sleep(java.base@17.0.15/Native Method)"),
            "java.lang.Thread.sleep"
        );
        assert_eq!(
            short(b"Foo.lambda$run$0(Unknown Source)"),
            "Foo.lambda$run$0"
        );
        assert_eq!(short(b"A.b(A.java:x1)"), "A.b");
        assert_eq!(short(b"no parenthesis"), "no parenthesis");
        assert_eq!(short(b"A.b(A.java:12"), "A.b:12");
    }
}
