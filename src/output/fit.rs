//! Output that fits a terminal: its width, text wrapped at it (prose: findings, cgroup blocks,
//! footers, a dump), and table cells cut each in its own column's way with `…` marking the
//! cut. Output to a pipe or a file is neither wrapped nor cut.

use super::escape::width;

/// The mark of a cut.
const MARK: &str = "…";

/// The width of the terminal standard output is, when it is one: the kernel's
/// (`TIOCGWINSZ`), else `$COLUMNS`, else 80. `None` for a pipe or a file.
pub fn terminal_width() -> Option<usize> {
    width_of(rustix::stdio::stdout())
}

/// The width the lines of a table (and the text around it) must fit: the terminal's, when
/// standard output is one and the command writes a table or a text dump (`table`) without
/// `--wide`.
pub fn table_width(table: bool, wide: bool) -> Option<usize> {
    match table && !wide {
        true => terminal_width(),
        false => None,
    }
}

/// As [`terminal_width`], for standard error (errors, warnings, the footer of what could not
/// be read).
pub fn stderr_width() -> Option<usize> {
    width_of(rustix::stdio::stderr())
}

fn width_of(fd: rustix::fd::BorrowedFd<'_>) -> Option<usize> {
    if !rustix::termios::isatty(fd) {
        return None;
    }
    let kernel = rustix::termios::tcgetwinsize(fd)
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

/// The byte offset of character `n` of `text` (its length when shorter).
fn char_offset(text: &[u8], n: usize) -> usize {
    let mut chars = 0;
    text.iter()
        .position(|&b| {
            let starts = b & 0xc0 != 0x80;
            chars += usize::from(starts);
            starts && chars == n + 1
        })
        .unwrap_or(text.len())
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
    out.extend_from_slice(&text[..char_offset(text, columns - 1)]);
    out.extend_from_slice(MARK.as_bytes());
}

/// Appends `text` cut at its start to `columns`: `…` and its last `columns - 1` characters
/// when it is wider (a file's name, a cgroup's leaf are at their end).
pub fn push_cut_start(out: &mut Vec<u8>, text: &[u8], columns: usize) {
    let w = width(text);
    if w <= columns {
        out.extend_from_slice(text);
        return;
    }
    if columns == 0 {
        return;
    }
    out.extend_from_slice(MARK.as_bytes());
    out.extend_from_slice(&text[char_offset(text, w - (columns - 1))..]);
}

/// Appends `text` cut in its middle to `columns`: its first part up to and with its second
/// `/` (a path's top directory) when that takes at most a third, else its first third, then
/// `…` and as much of its end as fits.
pub fn push_cut_middle(out: &mut Vec<u8>, text: &[u8], columns: usize) {
    let w = width(text);
    if w <= columns {
        out.extend_from_slice(text);
        return;
    }
    let third = columns / 3;
    let head = match text.iter().skip(1).position(|&b| b == b'/') {
        Some(i) if i + 2 <= third => i + 2,
        _ => char_offset(text, third),
    };
    let head = &text[..head];
    out.extend_from_slice(head);
    push_cut_start(out, text, columns.saturating_sub(width(head)));
}

/// Appends the kernel stack `text` (`a()->b()->c()`, outermost first) cut to `columns` at its
/// outer end, so that the innermost frames, where the thread waits, stay: `…->b()->c()`.
pub fn push_cut_frames(out: &mut Vec<u8>, text: &[u8], columns: usize) {
    let w = width(text);
    if w <= columns || columns == 0 {
        return push_cut_start(out, text, columns);
    }
    let kept = &text[char_offset(text, w - (columns - 1))..];
    // Whole frames where one fits: from the first `->` of what is kept.
    let from = kept
        .windows(2)
        .position(|p| p == b"->")
        .filter(|&i| i + 2 < kept.len())
        .unwrap_or(0);
    out.extend_from_slice(MARK.as_bytes());
    out.extend_from_slice(&kept[from..]);
}

/// Appends an endpoint (`tcp6 LOCAL->REMOTE STATE rx=N tx=N`) cut to `columns`: the local
/// address first, which is rarely the one sought, from its end; then the queues; the remote
/// `ip:port` and the state last. Without a remote side (a listener, a unix socket), the end
/// is kept for a unix path and the start otherwise.
pub fn push_cut_endpoint(out: &mut Vec<u8>, text: &[u8], columns: usize) {
    if width(text) <= columns {
        out.extend_from_slice(text);
        return;
    }
    let Some((proto, local, rest)) = endpoint_parts(text) else {
        return match text.starts_with(b"unix ") {
            true => {
                out.extend_from_slice(b"unix ");
                push_cut_start(out, &text[5..], columns.saturating_sub(5))
            }
            false => push_cut(out, text, columns),
        };
    };
    let fixed = width(proto) + 1 + width(rest);
    out.extend_from_slice(proto);
    out.push(b' ');
    if fixed < columns {
        push_cut(out, local, columns - fixed);
        out.extend_from_slice(rest);
        return;
    }
    out.extend_from_slice(MARK.as_bytes());
    let room = columns.saturating_sub(width(proto) + 2);
    let core = &rest[..core_len(rest)];
    match width(core) <= room {
        true => out.extend_from_slice(core),
        false => push_cut(out, core, room),
    }
}

/// The length of an endpoint's remote side and state, before its queues (` rx=N tx=N`).
fn core_len(rest: &[u8]) -> usize {
    rest.iter()
        .position(|&b| b == b'=')
        .map_or(rest.len(), |i| {
            rest[..i].iter().rposition(|&b| b == b' ').unwrap_or(i)
        })
}

/// The columns an endpoint needs at least: its protocol, `…` for the local side, the remote
/// side and the state, without the queues.
pub fn endpoint_floor(text: &[u8]) -> usize {
    match endpoint_parts(text) {
        Some((proto, _, rest)) => width(proto) + 2 + width(&rest[..core_len(rest)]),
        None => width(text).min(24),
    }
}

/// An internet endpoint's protocol, local address, and what follows it (`->REMOTE STATE
/// ...`).
fn endpoint_parts(text: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    if !(text.starts_with(b"tcp") || text.starts_with(b"udp")) {
        return None;
    }
    let space = text.iter().position(|&b| b == b' ')?;
    let arrow = text.windows(2).position(|p| p == b"->")?;
    (arrow > space).then(|| (&text[..space], &text[space + 1..arrow], &text[arrow..]))
}

/// Appends one `line` (escaped, without its newline) wrapped at `columns`, its first
/// part starting at column `used`: broken at the last space that fits, or inside a word
/// longer than a line; each continuation line indented by `indent`. Returns the column the
/// last part ends at. Nothing is left out.
pub fn wrap(out: &mut Vec<u8>, line: &[u8], columns: usize, used: usize, indent: usize) -> usize {
    let columns = columns.max(2);
    let indent = indent.min(columns / 2);
    let mut rest = line;
    let mut column = used;
    // Spaces a line starts with are its indentation, never a place to break.
    let mut lead = line.iter().take_while(|&&b| b == b' ').count();
    loop {
        let room = columns.saturating_sub(column);
        if width(rest) <= room {
            out.extend_from_slice(rest);
            return column + width(rest);
        }
        let end = char_offset(rest, room);
        let space = rest[..=end.min(rest.len() - 1)]
            .iter()
            .rposition(|&b| b == b' ')
            .filter(|&i| i > lead);
        match space {
            Some(i) => {
                let kept = &rest[..i];
                let kept_len = kept.iter().rposition(|&b| b != b' ').map_or(0, |j| j + 1);
                out.extend_from_slice(&kept[..kept_len]);
                rest = &rest[i..];
            }
            // A word wider than the line is split; at a line's very start, one character
            // goes anyway.
            None if room == 0 && column > indent => {}
            None => {
                let end = end.max(char_offset(rest, 1));
                out.extend_from_slice(&rest[..end]);
                rest = &rest[end..];
            }
        }
        let spaces = rest.iter().take_while(|&&b| b == b' ').count();
        rest = &rest[spaces..];
        if rest.is_empty() {
            return columns;
        }
        out.push(b'\n');
        out.resize(out.len() + indent, b' ');
        column = indent;
        lead = 0;
    }
}

/// How far the continuation lines of a wrapped line are indented: two more than the line.
pub fn hanging(line: &[u8]) -> usize {
    line.iter().take_while(|&&b| b == b' ').count() + 2
}

/// Wraps every line of `text` at `width` columns (see [`wrap`], [`hanging`]).
pub fn wrap_text(text: &[u8], width: usize) -> Vec<u8> {
    let mut lines = LineWrap::new(width);
    let mut out = text.to_vec();
    lines.apply(&mut out);
    out
}

/// Wraps the lines of what is written at `width` columns as it goes, a line's start in one
/// write and its end in another included.
#[derive(Debug, Clone, Copy)]
pub struct LineWrap {
    width: usize,
    /// Characters of the current line written so far, and its continuations' indent.
    column: usize,
    indent: usize,
}

impl LineWrap {
    pub fn new(width: usize) -> LineWrap {
        LineWrap {
            width,
            column: 0,
            indent: 0,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Rewrites `buf` with every line wrapped at the width.
    pub fn apply(&mut self, buf: &mut Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(buf.len() + buf.len() / 16);
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            let (line, newline) = match piece.split_last() {
                Some((b'\n', line)) => (line, true),
                _ => (piece, false),
            };
            if self.column == 0 {
                self.indent = hanging(line);
            }
            self.column = wrap(&mut out, line, self.width, self.column, self.indent);
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

    fn cut(f: fn(&mut Vec<u8>, &[u8], usize), text: &str, columns: usize) -> String {
        let mut out = Vec::new();
        f(&mut out, text.as_bytes(), columns);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cuts_mark_the_last_column() {
        assert_eq!(cut(push_cut, "anon_pipe_read", 20), "anon_pipe_read");
        assert_eq!(cut(push_cut, "anon_pipe_read", 14), "anon_pipe_read");
        assert_eq!(cut(push_cut, "anon_pipe_read", 8), "anon_pi…");
        assert_eq!(cut(push_cut, "żółw-żółw", 5), "żółw…");
        assert_eq!(cut(push_cut, "ab", 1), "…");
        assert_eq!(cut(push_cut, "ab", 0), "");
    }

    #[test]
    fn each_column_is_cut_its_own_way() {
        assert_eq!(cut(push_cut_start, "/usr/lib/libc.so.6", 10), "…libc.so.6");
        assert_eq!(cut(push_cut_start, "żółw-żółw", 5), "…żółw");
        assert_eq!(
            cut(push_cut_middle, "/abcdefghijklmnopqrstuvwxyz", 12),
            "/abc…tuvwxyz"
        );
        assert_eq!(
            cut(
                push_cut_middle,
                "/kubepods/burstable/pod1/cri-containerd-0ffdda2cb191",
                40
            ),
            "/kubepods/…1/cri-containerd-0ffdda2cb191"
        );
        assert_eq!(
            cut(
                push_cut_frames,
                "do_syscall()->futex_wait()->futex_do_wait()",
                34
            ),
            "…->futex_wait()->futex_do_wait()"
        );
        assert_eq!(cut(push_cut_frames, "a()->b()->innermost()", 8), "…rmost()");
        let tcp = "tcp6 [::ffff:127.0.0.1]:41234->[::ffff:127.0.0.1]:8080 ESTABLISHED rx=5 tx=0";
        assert_eq!(
            cut(push_cut_endpoint, tcp, 60),
            "tcp6 [::ffff…->[::ffff:127.0.0.1]:8080 ESTABLISHED rx=5 tx=0"
        );
        assert_eq!(
            cut(push_cut_endpoint, tcp, 43),
            "tcp6 …->[::ffff:127.0.0.1]:8080 ESTABLISHED"
        );
        assert_eq!(endpoint_floor(tcp.as_bytes()), 43);
        assert_eq!(
            cut(push_cut_endpoint, "unix /run/a/b/app.sock", 14),
            "unix …app.sock"
        );
        assert_eq!(
            cut(push_cut_endpoint, "tcp6 [::]:8080 LISTEN", 12),
            "tcp6 [::]:8…"
        );
    }

    #[test]
    fn lines_wrap_at_spaces_and_indent_their_continuations() {
        let text = "findings:\n  hot: pid 12 tid 13 (spin): on a CPU 100% of the run; next: \
                    a profile\n";
        let out = String::from_utf8(wrap_text(text.as_bytes(), 30)).unwrap();
        assert_eq!(
            out,
            "findings:\n  hot: pid 12 tid 13 (spin):\n    on a CPU 100% of the run;\n    \
             next: a profile\n"
        );
        let long = String::from_utf8(wrap_text(b"x /aaaaaaaaaaaaaaa", 8)).unwrap();
        assert_eq!(long, "x\n  /aaaaa\n  aaaaaa\n  aaaa");
        for w in 2..40 {
            let out = String::from_utf8(wrap_text(text.as_bytes(), w)).unwrap();
            assert!(out.lines().all(|l| l.chars().count() <= w), "{w}: {out}");
            let words = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(words(&out), words(text), "nothing is lost at {w}");
        }
    }

    #[test]
    fn lines_wrap_across_writes() {
        let mut lines = LineWrap::new(10);
        let mut first = b"short\nabcdef ghij".to_vec();
        lines.apply(&mut first);
        let mut second = b"kl mn\n".to_vec();
        lines.apply(&mut second);
        let both = [first, second].concat();
        assert_eq!(
            String::from_utf8(both).unwrap(),
            "short\nabcdef\n  ghijkl\n  mn\n"
        );
    }
}
