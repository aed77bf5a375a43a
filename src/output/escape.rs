//! Making attacker-controlled bytes (thread names, paths, command lines) safe to print.
//!
//! Tables and CSV: printable UTF-8 passes; `\` becomes `\\`; `\n`, `\r`, `\t` are written as
//! such; other control bytes, DEL and the C1 controls as `\xHH` / `\u{HH}`; bytes that are not
//! UTF-8 as `\xHH`. Nothing a terminal would act on gets through, and nothing is lost.
//!
//! JSON: standard escapes (`\"`, `\\`, `\n`, `\u001b`, and `\u007f`..`\u009f` as well); bytes
//! that are not UTF-8 become U+FFFD, so every output line is valid JSON.

/// Appends `text` escaped for a table cell.
pub fn text(out: &mut Vec<u8>, text: &[u8]) {
    escape_text(out, text, Mode::Table);
}

/// Appends a line of the JVM's own thread dump: as [`text`], but a tab stays a tab, as
/// jstack prints it (`\tat Class.method(...)` in a deadlock report).
pub fn dump_line(out: &mut Vec<u8>, line: &[u8]) {
    escape_text(out, line, Mode::Tabs);
}

/// Appends a name that is printed between double quotes: as [`text`], with `"` as `\"`.
pub fn quoted(out: &mut Vec<u8>, name: &[u8]) {
    escape_text(out, name, Mode::Quoted);
}

/// [`text`] into a new string, for messages.
pub fn display(text: &[u8]) -> String {
    let mut out = Vec::new();
    escape_text(&mut out, text, Mode::Table);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends a message for a terminal (stderr): only what a terminal would act on is escaped
/// (control characters but newline and tab, DEL, C1 controls, bytes that are not UTF-8), so
/// that text escaped already stays as it is. The last line of defence: every byte tsnap
/// writes to stderr goes through it.
pub fn terminal(out: &mut Vec<u8>, text: &[u8]) {
    scan(text, |piece| match piece {
        Piece::Plain(run) => out.extend_from_slice(run),
        Piece::Special(b @ (b'\n' | b'\t' | b'"' | b'\\')) => out.push(b),
        Piece::Special(b) | Piece::Invalid(b) => hex_byte(out, b),
        Piece::C1(b) => c1(out, b),
    });
}

/// How [`escape_text`] treats the bytes that differ between its uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Table,
    /// Inside a quoted CSV field: `"` doubled.
    Csv,
    /// Tabs kept.
    Tabs,
    /// Inside double quotes: `"` escaped.
    Quoted,
}

fn escape_text(out: &mut Vec<u8>, text: &[u8], mode: Mode) {
    scan(text, |piece| match piece {
        Piece::Plain(run) => out.extend_from_slice(run),
        Piece::Special(b'"') if mode == Mode::Csv => out.extend_from_slice(b"\"\""),
        Piece::Special(b'"') if mode == Mode::Quoted => out.extend_from_slice(b"\\\""),
        Piece::Special(b'"') => out.push(b'"'),
        Piece::Special(b'\\') => out.extend_from_slice(b"\\\\"),
        Piece::Special(b'\n') => out.extend_from_slice(b"\\n"),
        Piece::Special(b'\r') => out.extend_from_slice(b"\\r"),
        Piece::Special(b'\t') if mode == Mode::Tabs => out.push(b'\t'),
        Piece::Special(b'\t') => out.extend_from_slice(b"\\t"),
        Piece::Special(b) | Piece::Invalid(b) => hex_byte(out, b),
        Piece::C1(b) => c1(out, b),
    });
}

fn c1(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(b"\\u{");
    push_hex2(out, b);
    out.push(b'}');
}

/// Appends `text` as a JSON string, quotes included.
pub fn json(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    scan(text, |piece| match piece {
        Piece::Plain(run) => out.extend_from_slice(run),
        Piece::Special(b'"') => out.extend_from_slice(b"\\\""),
        Piece::Special(b'\\') => out.extend_from_slice(b"\\\\"),
        Piece::Special(b'\n') => out.extend_from_slice(b"\\n"),
        Piece::Special(b'\r') => out.extend_from_slice(b"\\r"),
        Piece::Special(b'\t') => out.extend_from_slice(b"\\t"),
        Piece::Special(b) | Piece::C1(b) => {
            out.extend_from_slice(b"\\u00");
            push_hex2(out, b);
        }
        Piece::Invalid(_) => out.extend_from_slice("\u{fffd}".as_bytes()),
    });
    out.push(b'"');
}

/// Appends a CSV field (RFC 4180): escaped as [`text`], and quoted when it holds a comma, a
/// quote, or starts or ends with a space.
pub fn csv(out: &mut Vec<u8>, field: &[u8]) {
    // Escaping adds no comma, quote or space, so the raw field decides.
    let quote = field.iter().any(|&b| b == b',' || b == b'"')
        || field.first() == Some(&b' ')
        || field.last() == Some(&b' ');
    if quote {
        out.push(b'"');
        escape_text(out, field, Mode::Csv);
        out.push(b'"');
    } else {
        escape_text(out, field, Mode::Table);
    }
}

/// A piece of input, as [`scan`] hands them out.
enum Piece<'a> {
    /// Bytes to copy as they are: printable ASCII and UTF-8 characters past the C1 range.
    Plain(&'a [u8]),
    /// An ASCII byte that needs a thought: a control byte, DEL, `"` or `\`.
    Special(u8),
    /// A C1 control character (U+0080..U+009F), given as its code.
    C1(u8),
    /// A byte that is not part of valid UTF-8.
    Invalid(u8),
}

/// Splits `bytes` into pieces, copying runs of plain bytes whole: names and paths are
/// almost always plain ASCII, so this is a scan and one copy.
fn scan(bytes: &[u8], mut f: impl FnMut(Piece<'_>)) {
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let piece = match b {
            b'"' | b'\\' | 0x00..=0x1f | 0x7f => Piece::Special(b),
            0x20..=0x7e => {
                i += 1;
                continue;
            }
            _ => {
                let len = match b {
                    0xc2..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf4 => 4,
                    _ => 0,
                };
                let c = bytes
                    .get(i..i + len)
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(|s| s.chars().next());
                match c {
                    Some(c) if (0x80..0xa0).contains(&(c as u32)) => Piece::C1(c as u8),
                    Some(_) => {
                        i += len;
                        continue;
                    }
                    None => Piece::Invalid(b),
                }
            }
        };
        if run < i {
            f(Piece::Plain(&bytes[run..i]));
        }
        i += match piece {
            Piece::C1(_) => 2,
            _ => 1,
        };
        run = i;
        f(piece);
    }
    if run < bytes.len() {
        f(Piece::Plain(&bytes[run..]));
    }
}

fn hex_byte(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(b"\\x");
    push_hex2(out, b);
}

fn push_hex2(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

/// Columns a piece of escaped text takes on a terminal (one per char).
pub fn width(escaped: &[u8]) -> usize {
    escaped.iter().filter(|&&b| b & 0xc0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> String {
        let mut out = Vec::new();
        text(&mut out, input);
        String::from_utf8(out).unwrap()
    }

    fn j(input: &[u8]) -> String {
        let mut out = Vec::new();
        json(&mut out, input);
        String::from_utf8(out).unwrap()
    }

    fn c(input: &[u8]) -> String {
        let mut out = Vec::new();
        csv(&mut out, input);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_text() {
        assert_eq!(t(b"java"), "java");
        assert_eq!(t(b"a) R 1 (b"), "a) R 1 (b");
        assert_eq!(t(b"new\nline"), "new\\nline");
        assert_eq!(t(b"\x1b[31mred"), "\\x1b[31mred");
        assert_eq!(t(b"bad\xff\xfeutf8"), "bad\\xff\\xfeutf8");
        assert_eq!(t("\u{9b}x".as_bytes()), "\\u{9b}x");
        assert_eq!(t("żółw".as_bytes()), "żółw");
        assert_eq!(t(b"back\\slash\x7f"), "back\\\\slash\\x7f");
        assert_eq!(t(b"\xe2\x82"), "\\xe2\\x82");
    }

    #[test]
    fn json_strings() {
        assert_eq!(j(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(j(b"\x1b\x00\n"), r#""\u001b\u0000\n""#);
        assert_eq!(j(b"x\xffy"), "\"x\u{fffd}y\"");
        assert_eq!(j("\u{85}".as_bytes()), r#""\u0085""#);
    }

    #[test]
    fn csv_fields() {
        assert_eq!(c(b"plain"), "plain");
        assert_eq!(c(b"a,b"), "\"a,b\"");
        assert_eq!(c(b"say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(c(b" lead"), "\" lead\"");
        assert_eq!(c(b"two\nlines"), "two\\nlines");
    }

    #[test]
    fn dump_lines_names_and_terminal() {
        let mut out = Vec::new();
        dump_line(&mut out, b"\tat X.y(X.java:1)\x1b");
        assert_eq!(out, b"\tat X.y(X.java:1)\\x1b");
        out.clear();
        quoted(&mut out, b"say \"hi\"\\");
        assert_eq!(out, b"say \\\"hi\\\"\\\\");
        out.clear();
        terminal(&mut out, b"a\\x1b \"q\"\n\t\x1b]0;t\x07\r\xc2\x9b\xff");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\x1b \"q\"\n\t\\x1b]0;t\\x07\\x0d\\u{9b}\\xff"
        );
        assert_eq!(display(b"x\x1by"), "x\\x1by");
    }

    #[test]
    fn widths() {
        assert_eq!(width(b"abc"), 3);
        assert_eq!(width("żółw".as_bytes()), 4);
    }
}
