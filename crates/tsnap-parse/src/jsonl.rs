//! One line of JSON holding a flat object (`{"key": value, ...}` with string, number, `true`,
//! `false` or `null` values), as tsnap's `--save` writes them. Strings are unescaped into a
//! caller's buffer; numbers are kept as the text they were written as. Keys and values are
//! [`Span`]s of that buffer.

use super::Span;

/// A value of a flat object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number's text, as written.
    Number(Span),
    /// The unescaped string.
    Text(Span),
}

/// Parses `line` into `(key, value)` pairs appended to `fields`, with their text in `text`.
/// `None` if the line is not one flat JSON object.
pub fn parse(line: &[u8], text: &mut Vec<u8>, fields: &mut Vec<(Span, Value)>) -> Option<()> {
    text.clear();
    fields.clear();
    let mut p = Parser { s: line, i: 0 };
    p.ws();
    p.eat(b'{')?;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let key = p.string(text)?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let value = p.value(text)?;
            fields.push((key, value));
            p.ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == line.len()).then_some(())
}

/// Unescapes `quoted`, a JSON string with its quotes, into `text`; `None` if it is not one.
pub fn unescape(quoted: &[u8], text: &mut Vec<u8>) -> Option<()> {
    let mut p = Parser { s: quoted, i: 0 };
    p.string(text)?;
    (p.i == quoted.len()).then_some(())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.next()? == b).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.s.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn value(&mut self, text: &mut Vec<u8>) -> Option<Value> {
        match self.peek()? {
            b'"' => self.string(text).map(Value::Text),
            b'n' => self.literal(b"null").map(|()| Value::Null),
            b't' => self.literal(b"true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Value::Bool(false)),
            b'-' | b'0'..=b'9' => self.number(text).map(Value::Number),
            _ => None,
        }
    }

    fn number(&mut self, text: &mut Vec<u8>) -> Option<Span> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let from = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > from
        };
        if !digits(self) {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        let out = text.len();
        text.extend_from_slice(&self.s[start..self.i]);
        Some(Span::new(out, text.len()))
    }

    fn string(&mut self, text: &mut Vec<u8>) -> Option<Span> {
        self.eat(b'"')?;
        let start = text.len();
        loop {
            match self.next()? {
                b'"' => {
                    return Some(Span::new(start, text.len()));
                }
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return None,
                    };
                    let mut utf8 = [0; 4];
                    text.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
                b if b < 0x20 => return None,
                b => text.push(b),
            }
        }
    }

    /// The char of a `\uXXXX` escape (the `\u` read), joining surrogate pairs; a lone
    /// surrogate becomes U+FFFD.
    fn escaped_char(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xd800..0xdc00).contains(&high) {
            return Some(char::from_u32(high).unwrap_or('\u{fffd}'));
        }
        let save = self.i;
        if self.literal(b"\\u").is_some()
            && let Some(low) = self.hex4()
            && (0xdc00..0xe000).contains(&low)
        {
            let c = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
            return Some(char::from_u32(c).unwrap_or('\u{fffd}'));
        }
        self.i = save;
        Some('\u{fffd}')
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i.checked_add(4)?)?;
        self.i += 4;
        digits
            .iter()
            .try_fold(0u32, |n, &b| Some(n * 16 + char::from(b).to_digit(16)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Option<Vec<(String, String)>> {
        let mut text = Vec::new();
        let mut f = Vec::new();
        parse(line.as_bytes(), &mut text, &mut f)?;
        let s = |sp: Span| String::from_utf8_lossy(sp.of(&text)).into_owned();
        Some(
            f.iter()
                .map(|&(k, v)| {
                    let v = match v {
                        Value::Null => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => format!("#{}", s(n)),
                        Value::Text(t) => format!("'{}'", s(t)),
                    };
                    (s(k), v)
                })
                .collect(),
        )
    }

    #[test]
    fn flat_objects() {
        let got = fields(r#"{"pass":3,"comm":"a\"b\\c\n\u001b\u00e9\ud83d\ude00","pcpu":12.5,"wchan":null,"x":true,"e":-1e3}"#).unwrap();
        assert_eq!(
            got,
            [
                ("pass".into(), "#3".into()),
                ("comm".into(), "'a\"b\\c\n\u{1b}é😀'".into()),
                ("pcpu".into(), "#12.5".into()),
                ("wchan".into(), "null".into()),
                ("x".into(), "true".into()),
                ("e".into(), "#-1e3".into()),
            ]
        );
        assert_eq!(fields(" { } "), Some(vec![]));
        assert_eq!(fields(r#"{"s":"\ud800x"}"#).unwrap()[0].1, "'\u{fffd}x'");
    }

    #[test]
    fn rejects_what_is_not_one_flat_object() {
        for bad in [
            "",
            "{",
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":01x}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":"\q"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":1} x"#,
            "{\"a\":\"raw\ncontrol\"}",
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{a:1}"#,
        ] {
            assert_eq!(fields(bad), None, "{bad:?}");
        }
    }
}
