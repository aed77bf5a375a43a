//! Making attacker-controlled bytes (thread names, paths, command lines) safe to print.
//!
//! Tables and CSV: printable UTF-8 passes; `\` becomes `\\`; `\n`, `\r`, `\t` are written as
//! such; other control bytes and DEL as `\xHH`; the C1 controls and the invisible characters
//! of [`INVISIBLE`] as `\u{H..}`; bytes that are not UTF-8 as `\xHH`. Nothing a terminal would
//! act on gets through (no escape sequence, no reordering of a line by bidi controls, no
//! character that hides), and nothing is lost: each escape stands for one byte or character (README: "Escaping").
//!
//! JSON: standard escapes (`\"`, `\\`, `\n`, `\u001b`, and `\u007f`..`\u009f` and the
//! invisible characters as well, which a JSON parser turns back into themselves); bytes that
//! are not UTF-8 become U+FFFD, so every output line is valid JSON.
//!
//! CSV: the escaping of tables inside RFC 4180 quoting, and a text cell that starts with `=`,
//! `+`, `-` or `@` has that first byte written `\xHH`, so that no spreadsheet reads it as a
//! formula while undoing the same escapes still gives the name back.

/// Characters that are escaped although they are valid UTF-8, as ranges of code points: the
/// format characters (Unicode category Cf: bidi controls, zero-width characters, the soft
/// hyphen, the byte order mark, invisible tags) and the line and paragraph separators. A
/// terminal draws none of them as itself: they reorder or hide what is around them.
const INVISIBLE: &[(u32, u32)] = &[
    (0xad, 0xad),
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x890, 0x891),
    (0x8e2, 0x8e2),
    (0x180e, 0x180e),
    (0x200b, 0x200f),
    (0x2028, 0x202e),
    (0x2060, 0x2064),
    (0x2066, 0x206f),
    (0xfeff, 0xfeff),
    (0xfff9, 0xfffb),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x1343f),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
];

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
/// (control characters but newline and tab, DEL, C1 controls, invisible characters, bytes
/// that are not UTF-8), so
/// that text escaped already stays as it is. The last line of defence: every byte tsnap
/// writes to stderr goes through it.
pub fn terminal(out: &mut Vec<u8>, text: &[u8]) {
    scan(text, |piece| match piece {
        Piece::Plain(run) => out.extend_from_slice(run),
        Piece::Special(b @ (b'\n' | b'\t' | b'"' | b'\\')) => out.push(b),
        Piece::Special(b) | Piece::Invalid(b) => hex_byte(out, b),
        Piece::Char(c) => code(out, c),
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
        Piece::Char(c) => code(out, c),
    });
}

/// Appends `\u{H..}`: the code point in lowercase hex, two digits at least.
fn code(out: &mut Vec<u8>, c: u32) {
    out.extend_from_slice(b"\\u{");
    let digits = (32 - c.leading_zeros()).div_ceil(4).max(2);
    for shift in (0..digits).rev() {
        out.push(HEX[(c >> (shift * 4)) as usize & 0xf]);
    }
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
        Piece::Special(b) => json_unit(out, u32::from(b)),
        // Outside the Basic Multilingual Plane, as a surrogate pair.
        Piece::Char(c) if c > 0xffff => {
            json_unit(out, 0xd800 + ((c - 0x10000) >> 10));
            json_unit(out, 0xdc00 + (c & 0x3ff));
        }
        Piece::Char(c) => json_unit(out, c),
        Piece::Invalid(_) => out.extend_from_slice("\u{fffd}".as_bytes()),
    });
    out.push(b'"');
}

/// Whether `text` is written as it is (between quotes by [`json`]) by every escaping here:
/// printable ASCII but `"` and `\\`.
pub fn plain(text: &[u8]) -> bool {
    text.iter()
        .all(|&b| matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\')
}

/// Appends a CSV field (RFC 4180): escaped as [`text`], and quoted when it holds a comma, a
/// quote, or starts or ends with a space. A field starting with `=`, `+`, `-` or `@` has that
/// byte written `\xHH`: spreadsheets run such a cell as a formula (`=1+2;cmd|x`), and the
/// usual defence, a `'` put in front, would be a byte no reader could tell from the name's own,
/// where `\x3d` is undone by the same rule as every other escape. It also keeps a thread
/// named `-` apart from `-`, "no value".
pub fn csv(out: &mut Vec<u8>, field: &[u8]) {
    // Escaping adds no comma, quote or space, so the raw field decides.
    let quote = field.iter().any(|&b| b == b',' || b == b'"')
        || field.first() == Some(&b' ')
        || field.last() == Some(&b' ');
    if quote {
        out.push(b'"');
    }
    let rest = match field {
        [b @ (b'=' | b'+' | b'-' | b'@'), rest @ ..] => {
            hex_byte(out, *b);
            rest
        }
        _ => field,
    };
    escape_text(out, rest, if quote { Mode::Csv } else { Mode::Table });
    if quote {
        out.push(b'"');
    }
}

/// A piece of input, as [`scan`] hands them out.
enum Piece<'a> {
    /// Bytes to copy as they are: printable ASCII and UTF-8 characters that are neither C1
    /// controls nor [`INVISIBLE`].
    Plain(&'a [u8]),
    /// An ASCII byte that needs a thought: a control byte, DEL, `"` or `\`.
    Special(u8),
    /// A character written by its code: a C1 control (U+0080..U+009F) or one of
    /// [`INVISIBLE`].
    Char(u32),
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
                match c.map(u32::from) {
                    Some(c) if (0x80..0xa0).contains(&c) || invisible(c) => Piece::Char(c),
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
            Piece::Char(c) => char::from_u32(c).map_or(1, char::len_utf8),
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

/// Whether `c` is one of [`INVISIBLE`].
fn invisible(c: u32) -> bool {
    INVISIBLE
        .iter()
        .any(|&(low, high)| (low..=high).contains(&c))
}

/// `\uHHHH` of a JSON string.
fn json_unit(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[(unit >> shift) as usize & 0xf]);
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex2(out: &mut Vec<u8>, b: u8) {
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

    /// Checks `escape` of each input against what it must write.
    fn check(escape: fn(&mut Vec<u8>, &[u8]), cases: &[(&[u8], &str)]) {
        for &(input, want) in cases {
            let mut out = Vec::new();
            escape(&mut out, input);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{input:?}");
        }
    }

    #[test]
    fn table_text() {
        check(
            text,
            &[
                (b"java", "java"),
                (b"a) R 1 (b", "a) R 1 (b"),
                (b"new\nline", "new\\nline"),
                (b"\x1b[31mred", "\\x1b[31mred"),
                (b"bad\xff\xfeutf8", "bad\\xff\\xfeutf8"),
                ("\u{9b}x".as_bytes(), "\\u{9b}x"),
                ("żółw".as_bytes(), "żółw"),
                (b"back\\slash\x7f", "back\\\\slash\\x7f"),
                (b"\xe2\x82", "\\xe2\\x82"),
                ("a\u{202e}b\u{2066}c".as_bytes(), "a\\u{202e}b\\u{2066}c"),
                (
                    "\u{200b}\u{feff}\u{ad}\u{61c}\u{2028}\u{2029}".as_bytes(),
                    "\\u{200b}\\u{feff}\\u{ad}\\u{61c}\\u{2028}\\u{2029}",
                ),
                (
                    "\u{e0041}\u{2065}\u{2067}".as_bytes(),
                    "\\u{e0041}\u{2065}\\u{2067}",
                ),
                (
                    "\u{2027}\u{2030}\u{5d0}".as_bytes(),
                    "\u{2027}\u{2030}\u{5d0}",
                ),
            ],
        );
    }

    #[test]
    fn json_strings() {
        check(
            json,
            &[
                (b"a\"b\\c", r#""a\"b\\c""#),
                (b"\x1b\x00\n", r#""\u001b\u0000\n""#),
                (b"x\xffy", "\"x\u{fffd}y\""),
                ("\u{85}".as_bytes(), r#""\u0085""#),
                ("\u{202e}\u{feff}".as_bytes(), r#""\u202e\ufeff""#),
                ("\u{e0041}".as_bytes(), r#""\udb40\udc41""#),
            ],
        );
    }

    #[test]
    fn csv_fields() {
        check(
            csv,
            &[
                (b"plain", "plain"),
                (b"a,b", "\"a,b\""),
                (b"say \"hi\"", "\"say \"\"hi\"\"\""),
                (b" lead", "\" lead\""),
                (b"two\nlines", "two\\nlines"),
                (b"=1+2;cmd|x", "\\x3d1+2;cmd|x"),
                (b"-", "\\x2d"),
                (b"@a,=b", "\"\\x40a,=b\""),
                (b"+\"", "\"\\x2b\"\"\""),
                ("\u{202e}x".as_bytes(), "\\u{202e}x"),
            ],
        );
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
            String::from_utf8(out.clone()).unwrap(),
            "a\\x1b \"q\"\n\t\\x1b]0;t\\x07\\x0d\\u{9b}\\xff"
        );
        out.clear();
        terminal(&mut out, "\u{2066}x\u{2069}".as_bytes());
        assert_eq!(out, b"\\u{2066}x\\u{2069}");
        assert_eq!(display(b"x\x1by"), "x\\x1by");
    }

    /// Undoes the escapes of a table or CSV cell as the README says (`\\`, `\n`, `\r`, `\t`,
    /// `\xHH`, `\u{H..}`), after the CSV quoting is taken off.
    fn unescape(cell: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < cell.len() {
            let hex = |s: &[u8]| u32::from_str_radix(std::str::from_utf8(s).unwrap(), 16).unwrap();
            if cell[i] != b'\\' {
                out.push(cell[i]);
                i += 1;
                continue;
            }
            match cell[i + 1] {
                b'\\' => out.push(b'\\'),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'x' => {
                    out.push(hex(&cell[i + 2..i + 4]) as u8);
                    i += 2;
                }
                b'u' => {
                    let end = i + cell[i..].iter().position(|&b| b == b'}').unwrap();
                    let c = char::from_u32(hex(&cell[i + 3..end])).unwrap();
                    out.extend_from_slice(c.to_string().as_bytes());
                    i = end - 1;
                }
                other => panic!("\\{} in {cell:?}", other as char),
            }
            i += 2;
        }
        out
    }

    /// A CSV field's text without its RFC 4180 quoting.
    fn unquote(field: &[u8]) -> Vec<u8> {
        match field {
            [b'"', inner @ .., b'"'] => String::from_utf8_lossy(inner)
                .replace("\"\"", "\"")
                .into_bytes(),
            _ => field.to_vec(),
        }
    }

    #[test]
    fn escapes_are_undone_exactly() {
        // Random strings over the bytes that need thought, and pieces of the escapes
        // themselves, so that escaped-looking names (`\x41`, `\u{41}`) are among them.
        let pieces: [&[u8]; 16] = [
            b"\\",
            b"x",
            b"u{",
            b"}",
            b"41",
            b"\n",
            b"\x1b",
            b"\xff",
            b"\xe2\x80",
            "\u{202e}".as_bytes(),
            "\u{85}".as_bytes(),
            "\u{e0041}".as_bytes(),
            b"=",
            b"\"",
            b",",
            b" ",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 9) {
                input.extend_from_slice(pieces[(seed >> (4 * k + 8)) as usize % pieces.len()]);
            }
            let mut out = Vec::new();
            text(&mut out, &input);
            assert_eq!(unescape(&out), input, "{out:?}");
            out.clear();
            csv(&mut out, &input);
            let field = unquote(&out);
            assert!(!matches!(field.first(), Some(b'=' | b'+' | b'-' | b'@')));
            assert_eq!(unescape(&field), input, "{out:?}");
        }
    }

    #[test]
    fn widths() {
        assert_eq!(width(b"abc"), 3);
        assert_eq!(width("żółw".as_bytes()), 4);
    }

    #[test]
    fn plain_text_is_written_as_it_is() {
        let inputs: [&[u8]; 9] = [
            b"",
            b"futex_wait_queue",
            b"a b/c:[1]",
            b"say \"hi\"",
            b"back\\slash",
            b"tab\there",
            b"\x7f",
            "\u{e9}t\u{e9}".as_bytes(),
            b"\xff",
        ];
        for input in inputs {
            let mut out = Vec::new();
            json(&mut out, input);
            let quoted = [&b"\""[..], input, b"\""].concat();
            // Not plain may still come out as it is (UTF-8 beyond ASCII): the slow way.
            if plain(input) {
                assert_eq!(out, quoted, "{input:?}");
                assert_eq!(display(input).as_bytes(), input, "{input:?}");
            }
        }
        assert!(inputs[..3].iter().all(|i| plain(i)));
        assert!(!inputs[3..].iter().any(|i| plain(i)));
    }
}
