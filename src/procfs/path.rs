//! Relative paths such as `1234/task` or `5678/fd/9`, built on the stack with a NUL at the end
//! so that they go to `openat` without an allocation.

use std::ffi::CStr;

/// Long enough for `PID/task/TID/fd/FD` and every file name tsnap opens.
const CAPACITY: usize = 96;

pub struct RelPath {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Default for RelPath {
    fn default() -> RelPath {
        RelPath::new()
    }
}

impl RelPath {
    pub fn new() -> Self {
        Self {
            buf: [0; CAPACITY],
            len: 0,
        }
    }

    pub fn clear(&mut self) -> &mut Self {
        self.len = 0;
        self.buf[0] = 0;
        self
    }

    /// Appends `part` (no NUL bytes), separated from what is there by `/`. Parts are tsnap's
    /// own constants and numbers, so they always fit; one that would not is cut short, which
    /// makes the open fail rather than overflow.
    pub fn push(&mut self, part: &[u8]) -> &mut Self {
        if self.len > 0 {
            self.append(b"/");
        }
        self.append(part)
    }

    /// Appends a number as a path component.
    pub fn num(&mut self, n: impl itoa::Integer) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        let text = digits.format(n).as_bytes();
        self.push(text)
    }

    fn append(&mut self, bytes: &[u8]) -> &mut Self {
        let room = CAPACITY - 1 - self.len;
        let n = bytes.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        self.buf[self.len] = 0;
        self
    }

    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf[..=self.len]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        let mut p = RelPath::new();
        assert_eq!(
            p.num(1234u32)
                .push(b"task")
                .num(56u32)
                .push(b"stat")
                .as_cstr(),
            c"1234/task/56/stat"
        );
        assert_eq!(p.clear().push(b"self").as_cstr(), c"self");
        let long = [b'a'; 200];
        assert_eq!(
            p.clear().push(&long).as_cstr().to_bytes().len(),
            CAPACITY - 1
        );
    }
}
