//! One JSON object per line, written key by key (nested objects and arrays included).

use super::Kind;
use super::escape;

pub struct JsonLine<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonLine<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> JsonLine<'a> {
        out.push(b'{');
        JsonLine { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        escape::json(self.out, key.as_bytes());
        self.out.push(b':');
        self.out
    }

    pub fn text(&mut self, key: &str, value: &[u8]) -> &mut Self {
        escape::json(self.key(key), value);
        self
    }

    pub fn number(&mut self, key: &str, value: impl itoa::Integer) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(value);
        self.key(key).extend_from_slice(digits.as_bytes());
        self
    }

    /// A string, or `null` for a value that could not be read.
    pub fn text_or_null(&mut self, key: &str, value: Option<&[u8]>) -> &mut Self {
        match value {
            Some(v) => self.text(key, v),
            None => self.null(key),
        }
    }

    /// A number, or `null` for a value that could not be read.
    pub fn number_or_null(&mut self, key: &str, value: Option<impl itoa::Integer>) -> &mut Self {
        match value {
            Some(v) => self.number(key, v),
            None => self.null(key),
        }
    }

    /// A rendered cell: `null` when missing, raw when a number or JSON, a string otherwise.
    pub fn cell(&mut self, key: &str, kind: Kind, value: &[u8]) -> &mut Self {
        write_value(self.key(key), kind, value);
        self
    }

    /// An array of strings.
    pub fn texts<'v>(&mut self, key: &str, values: impl Iterator<Item = &'v [u8]>) -> &mut Self {
        let out = self.key(key);
        out.push(b'[');
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            escape::json(out, v);
        }
        out.push(b']');
        self
    }

    /// An array of numbers.
    pub fn numbers(&mut self, key: &str, values: impl Iterator<Item = u64>) -> &mut Self {
        let out = self.key(key);
        out.push(b'[');
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            super::number::push_int(out, v);
        }
        out.push(b']');
        self
    }

    pub fn boolean(&mut self, key: &str, value: bool) -> &mut Self {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(key).extend_from_slice(text);
        self
    }

    /// A nested object, written through the returned line and ended with [`JsonLine::close`].
    pub fn object(&mut self, key: &str) -> JsonLine<'_> {
        JsonLine::new(self.key(key))
    }

    /// An array of objects, each written through [`JsonArray::object`].
    pub fn array(&mut self, key: &str) -> JsonArray<'_> {
        let out = self.key(key);
        out.push(b'[');
        JsonArray { out, first: true }
    }

    pub fn null(&mut self, key: &str) -> &mut Self {
        self.key(key).extend_from_slice(b"null");
        self
    }

    pub fn end(&mut self) {
        self.out.extend_from_slice(b"}\n");
    }

    /// Ends a nested object.
    pub fn close(self) {
        self.out.push(b'}');
    }
}

pub struct JsonArray<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl JsonArray<'_> {
    /// The next element, ended with [`JsonLine::close`].
    pub fn object(&mut self) -> JsonLine<'_> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        JsonLine::new(self.out)
    }

    pub fn close(self) {
        self.out.push(b']');
    }
}

/// Appends a rendered value: `null` when missing, raw when a number or JSON, a string otherwise.
pub fn write_value(out: &mut Vec<u8>, kind: Kind, value: &[u8]) {
    match kind {
        Kind::Missing => out.extend_from_slice(b"null"),
        Kind::Number | Kind::Json => out.extend_from_slice(value),
        Kind::Text => escape::json(out, value),
    }
}
