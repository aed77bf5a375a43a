//! Tables that fit a terminal: its width, text cut to a width with `…` marking the cut, and
//! whole lines cut as they are written. Output to a pipe or a file is never cut.

use super::escape::width;

/// The mark of a cut.
const MARK: &str = "…";

/// The width of the terminal standard output is, when it is one: the kernel's
/// (`TIOCGWINSZ`), else `$COLUMNS`, else 80. `None` for a pipe or a file.
pub fn terminal_width() -> Option<usize> {
    let stdout = rustix::stdio::stdout();
    if !rustix::termios::isatty(stdout) {
        return None;
    }
    let kernel = rustix::termios::tcgetwinsize(stdout)
        .ok()
        .map(|w| usize::from(w.ws_col))
        .filter(|&w| w > 0);
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
    };
    Some(kernel.or_else(columns).unwrap_or(80))
}

/// Appends `text` (printable, already escaped) cut to `columns`: its first `columns - 1`
/// characters and `…` when it is wider.
pub fn push_cut(out: &mut Vec<u8>, text: &[u8], columns: usize) {
    if width(text) <= columns {
        out.extend_from_slice(text);
        return;
    }
    if columns == 0 {
        return;
    }
    let mut chars = 0;
    let end = text
        .iter()
        .position(|&b| {
            let starts = b & 0xc0 != 0x80;
            chars += usize::from(starts);
            starts && chars == columns
        })
        .unwrap_or(text.len());
    out.extend_from_slice(&text[..end]);
    out.extend_from_slice(MARK.as_bytes());
}

/// Cuts the lines of what is written to `width` columns as it goes, a line's start in one
/// write and its end in another included.
#[derive(Debug, Clone, Copy)]
pub struct LineCut {
    width: usize,
    /// Characters of the current line written so far.
    column: usize,
}

impl LineCut {
    pub fn new(width: usize) -> LineCut {
        LineCut { width, column: 0 }
    }

    /// Rewrites `buf` with every line cut to the width.
    pub fn apply(&mut self, buf: &mut Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(buf.len() + 8);
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            let (line, newline) = match piece.split_last() {
                Some((b'\n', line)) => (line, true),
                _ => (piece, false),
            };
            let room = self.width.saturating_sub(self.column);
            let taken = width(line);
            // Within the width; or the cut's mark is written already.
            if taken <= room || self.column > self.width {
                if taken <= room {
                    out.extend_from_slice(line);
                }
                self.column += taken;
            } else {
                push_cut(&mut out, line, room);
                self.column = self.width + 1;
            }
            if newline {
                out.push(b'\n');
                self.column = 0;
            }
        }
        *buf = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, columns: usize) -> String {
        let mut out = Vec::new();
        push_cut(&mut out, text.as_bytes(), columns);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cuts_mark_the_last_column() {
        assert_eq!(cut("anon_pipe_read", 20), "anon_pipe_read");
        assert_eq!(cut("anon_pipe_read", 14), "anon_pipe_read");
        assert_eq!(cut("anon_pipe_read", 8), "anon_pi…");
        assert_eq!(cut("żółw-żółw", 5), "żółw…");
        assert_eq!(cut("ab", 1), "…");
        assert_eq!(cut("ab", 0), "");
    }

    #[test]
    fn lines_are_cut_across_writes() {
        let mut lines = LineCut::new(6);
        let mut first = b"short\nsomewhat long\nhalf".to_vec();
        lines.apply(&mut first);
        assert_eq!(String::from_utf8(first).unwrap(), "short\nsomew…\nhalf");
        let mut second = b" a line\nok\n".to_vec();
        lines.apply(&mut second);
        assert_eq!(String::from_utf8(second).unwrap(), " …\nok\n");
        let mut third = b"and more".to_vec();
        lines.apply(&mut third);
        let mut fourth = b" still\n".to_vec();
        lines.apply(&mut fourth);
        assert_eq!(
            (third, fourth),
            (b"and m\xe2\x80\xa6".to_vec(), b"\n".to_vec())
        );
    }
}
