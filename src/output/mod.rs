//! Output: the three formats of rows (table, CSV, JSON lines) built from a [`Grid`] of
//! rendered cells, escaping, and the buffered stdout writer.

pub mod escape;
pub(crate) mod files;
pub(crate) mod fit;
pub mod json;
pub(crate) mod number;

use crate::error::{Error, errno_name};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use std::path::PathBuf;

/// How a rendered value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Could not be read: `-` in tables and CSV, `null` in JSON.
    Missing,
    Number,
    Text,
    /// A JSON value, written as it is in JSON (the endpoint's object); never made for a table
    /// or CSV.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "table" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Standard output or a file, written in large chunks from one buffer.
pub struct Out {
    pub buf: Vec<u8>,
    sink: Sink,
    /// Lines wrapped at a terminal's width as they are written.
    wrap: Option<fit::LineWrap>,
}

enum Sink {
    Stdout,
    /// A file opened for appending (`--save`, `--output-dir`), named in error messages.
    File {
        fd: OwnedFd,
        path: PathBuf,
    },
}

impl Default for Out {
    fn default() -> Out {
        Out::new()
    }
}

impl Out {
    const CHUNK: usize = 64 * 1024;

    /// Standard output.
    pub fn new() -> Out {
        Out {
            buf: Vec::with_capacity(Self::CHUNK + 4096),
            sink: Sink::Stdout,
            wrap: None,
        }
    }

    /// Wraps every line written from now on at `width` columns: tables are made to fit
    /// already ([`Grid::fit`]); the prose around them (findings, cgroup blocks, footers) is
    /// wrapped, never cut.
    pub fn wrap_lines(&mut self, width: usize) {
        self.wrap = Some(fit::LineWrap::new(width));
    }

    /// The width lines are wrapped at, on a terminal.
    pub fn width(&self) -> Option<usize> {
        self.wrap.map(|w| w.width())
    }

    /// Appends to the file open as `fd`, named `path` in error messages (see [`files`]).
    pub fn file(fd: OwnedFd, path: PathBuf) -> Out {
        Out {
            buf: Vec::new(),
            sink: Sink::File { fd, path },
            wrap: None,
        }
    }

    /// Whether the file written to is empty (it needs a header); false for stdout.
    pub fn is_new_file(&self) -> bool {
        match &self.sink {
            Sink::Stdout => false,
            Sink::File { fd, .. } => rustix::fs::fstat(fd).is_ok_and(|st| st.st_size == 0),
        }
    }

    /// Writes the buffer out once it holds a chunk.
    pub fn maybe_flush(&mut self) -> Result<(), Error> {
        if self.buf.len() >= Self::CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes everything buffered. A closed pipe (`tsnap | head`) is [`Error::BrokenPipe`],
    /// which ends tsnap quietly; a file that cannot be written (a full disk) is fatal, and
    /// keeps only whole lines: what was written before, never a part of what was not. The
    /// buffer holds whole lines when it is flushed, so the file is cut back to its length
    /// before this write.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some(wrap) = &mut self.wrap {
            wrap.apply(&mut self.buf);
        }
        let result = match &self.sink {
            Sink::Stdout => write_all(rustix::stdio::stdout(), &self.buf),
            Sink::File { fd, .. } => {
                let before = rustix::fs::fstat(fd).map(|st| st.st_size as u64);
                let written = write_all(fd, &self.buf);
                if let (Err(_), Ok(size)) = (written, before) {
                    let _ = rustix::fs::ftruncate(fd, size);
                }
                written
            }
        };
        self.buf.clear();
        result.map_err(|e| match (&self.sink, e) {
            (Sink::Stdout, Errno::PIPE) => Error::BrokenPipe,
            (Sink::Stdout, e) => Error::Fatal(format!(
                "cannot write to standard output: {}",
                errno_name(e)
            )),
            (Sink::File { path, .. }, e) => Error::Fatal(format!(
                "cannot write to {}: {} (what was written before is kept, in whole lines)",
                path.display(),
                errno_name(e)
            )),
        })
    }
}

/// Writes `text` to standard error, escaped for a terminal ([`escape::terminal`]): whatever a
/// target put in it, nothing reaches the terminal that it would act on. On a terminal, lines
/// are wrapped at its width. Errors are ignored: a
/// closed stderr changes neither what tsnap does nor its exit status.
pub fn stderr(text: &[u8]) {
    let mut out = Vec::with_capacity(text.len() + 16);
    escape::terminal(&mut out, text);
    if let Some(width) = fit::stderr_width() {
        out = fit::wrap_text(&out, width);
    }
    let _ = write_all(rustix::stdio::stderr(), &out);
}

/// Writes `tsnap: MESSAGE` and a newline to standard error, as [`stderr`].
pub fn warn(message: &str) {
    stderr(format!("tsnap: {message}\n").as_bytes());
}

/// Writes all of `data` to `fd`, retrying after interruptions and short writes.
pub fn write_all(fd: impl rustix::fd::AsFd, mut data: &[u8]) -> rustix::io::Result<()> {
    while !data.is_empty() {
        match rustix::io::write(fd.as_fd(), data) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A column of a [`Grid`].
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    /// Right-aligned in tables.
    pub numeric: bool,
    /// In tables, shown on its own indented line under the row instead of in a column.
    pub own_line: bool,
    /// How its cells are cut for a table to fit a terminal.
    pub cut: Cut,
    /// Left out of a table that does not fit a terminal even with its cells cut: the lowest
    /// first; never when none.
    pub drop: Option<u8>,
    /// Then put under its row, on its own line, when the table still does not fit: the
    /// lowest first; never when none.
    pub under: Option<u8>,
}

impl Field {
    /// A column that is never cut nor left out.
    pub const fn whole(name: &'static str, numeric: bool) -> Field {
        Field {
            name,
            numeric,
            own_line: false,
            cut: Cut::Never,
            drop: None,
            under: None,
        }
    }
}

/// How a table cell wider than its column is cut (see [`fit`]), each kind of text keeping
/// the part that carries its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Numbers, and what is short (a state, a syscall's name).
    Never,
    /// A thread's or process's name: its first 15 characters are kept, as many as the
    /// kernel's own `comm` holds (a kernel worker's is longer).
    Name,
    /// Its start is kept (a command line).
    End,
    /// Its end is kept (a file's name, a cgroup's leaf).
    Start,
    /// The remote `ip:port` and the state are kept, the local side goes first.
    Endpoint,
    /// The innermost frames of a kernel stack (written outermost first) are kept.
    Frames,
}

impl Cut {
    /// Appends `text` (escaped) cut this way to `columns`.
    fn push(self, out: &mut Vec<u8>, text: &[u8], columns: usize) {
        match self {
            Cut::Never => out.extend_from_slice(text),
            Cut::Name | Cut::End => fit::push_cut(out, text, columns),
            Cut::Start => fit::push_cut_start(out, text, columns),
            Cut::Endpoint => fit::push_cut_endpoint(out, text, columns),
            Cut::Frames => fit::push_cut_frames(out, text, columns),
        }
    }

    /// The columns a cell of this kind keeps at least, however narrow the terminal.
    fn floor(self, text: &[u8]) -> usize {
        const FLOOR: usize = 10;
        let w = escape::width(text);
        match self {
            Cut::Never => w,
            Cut::Name => w.min(16),
            Cut::Endpoint => fit::endpoint_floor(text).min(w),
            _ => w.min(FLOOR),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Rows of rendered cells, kept raw until written so each format escapes its own way.
/// Reused between passes: clearing keeps the allocations.
#[derive(Default)]
pub struct Grid {
    fields: Vec<Field>,
    /// Tables in psn's style: ` | ` between columns and a rule under the header.
    bars: bool,
    /// A `"type"` key written first in every JSON object.
    json_type: Option<&'static str>,
    data: Vec<u8>,
    cells: Vec<Cell>,
    widths: Vec<usize>,
    scratch: Vec<u8>,
    /// A cell cut to its column's width.
    cut: Vec<u8>,
    /// The width a table's lines must fit in, when written to a terminal.
    fit: Option<usize>,
    /// Fields not in the last table's columns: written on their own line under each row
    /// (`below`), or left out to fit; and those the last note named.
    hidden: Vec<bool>,
    below: Vec<bool>,
    said: Vec<bool>,
}

impl Grid {
    pub fn new(fields: Vec<Field>) -> Grid {
        Grid {
            fields,
            ..Grid::default()
        }
    }

    pub fn bars(mut self) -> Grid {
        self.bars = true;
        self
    }

    pub fn json_type(mut self, kind: &'static str) -> Grid {
        self.json_type = Some(kind);
        self
    }

    /// Makes a table's lines fit `width` columns, when given (see [`Grid::shrink`]).
    pub fn fit(mut self, width: Option<usize>) -> Grid {
        self.fit = width;
        self
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.cells.clear();
    }

    /// Adds the next cell (rows are filled left to right, top to bottom).
    pub fn push(&mut self, render: impl FnOnce(&mut Vec<u8>) -> Kind) {
        let start = self.data.len();
        let kind = render(&mut self.data);
        self.cells.push(Cell {
            start,
            end: self.data.len(),
            kind,
        });
    }

    fn rows(&self) -> impl Iterator<Item = &[Cell]> {
        self.cells.chunks_exact(self.fields.len().max(1))
    }

    fn raw(&self, cell: &Cell) -> &[u8] {
        &self.data[cell.start..cell.end]
    }

    /// Appends the grid to `out` in `format`; `header` adds the table header or CSV header
    /// row.
    pub fn write(&mut self, format: Format, header: bool, out: &mut Vec<u8>) {
        match format {
            Format::Table => self.write_table(header, out),
            Format::Csv => self.write_csv(header, out),
            Format::Json => self.write_json(out),
        }
    }

    fn write_table(&mut self, header: bool, out: &mut Vec<u8>) {
        let mut widths = std::mem::take(&mut self.widths);
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut cut = std::mem::take(&mut self.cut);
        let n = self.fields.len();
        widths.clear();
        widths.extend(
            self.fields
                .iter()
                .map(|f| if header { f.name.len() } else { 0 }),
        );
        let mut floors: Vec<usize> = self.fields.iter().map(|f| f.name.len()).collect();
        for row in self.rows() {
            for (i, cell) in row.iter().enumerate() {
                let shown = self.table_cell(cell, &mut scratch);
                widths[i] = widths[i].max(escape::width(shown));
                floors[i] = floors[i].max(self.fields[i].cut.floor(shown));
            }
        }
        self.hidden.clear();
        self.hidden.extend(self.fields.iter().map(|f| f.own_line));
        self.below.clone_from(&self.hidden);
        if let Some(limit) = self.fit {
            self.shrink(&mut widths, &floors, limit);
        }
        let last = (0..n).rposition(|i| !self.hidden[i]);
        let sep: &[u8] = if self.bars { b" | " } else { b" " };
        if header && last.is_some() {
            let start = out.len();
            for (i, f) in self.fields.iter().enumerate() {
                if !self.hidden[i] {
                    let w = f.name.len();
                    pad(
                        out,
                        f.name.as_bytes(),
                        w,
                        widths[i],
                        f.numeric,
                        Some(i) == last,
                        sep,
                    );
                }
            }
            let width = out.len() - start;
            out.push(b'\n');
            if self.bars {
                out.resize(out.len() + width, b'-');
                out.push(b'\n');
            }
        }
        for row in self.rows() {
            if last.is_some() {
                for (i, (cell, f)) in row.iter().zip(&self.fields).enumerate() {
                    if self.hidden[i] {
                        continue;
                    }
                    let mut shown = self.table_cell(cell, &mut scratch);
                    let mut w = escape::width(shown);
                    if w > widths[i] {
                        cut.clear();
                        f.cut.push(&mut cut, shown, widths[i]);
                        shown = &cut;
                        w = escape::width(shown);
                    }
                    pad(out, shown, w, widths[i], f.numeric, Some(i) == last, sep);
                }
                // An empty last cell leaves padding (and a bar) behind.
                trim_end(out, self.bars);
                out.push(b'\n');
            }
            for (i, (cell, f)) in row.iter().zip(&self.fields).enumerate() {
                if self.below[i] && cell.kind != Kind::Missing && cell.end > cell.start {
                    let start = out.len();
                    out.extend_from_slice(b"    ");
                    out.extend_from_slice(f.name.as_bytes());
                    out.extend_from_slice(b": ");
                    scratch.clear();
                    escape::text(&mut scratch, self.raw(cell));
                    match self.fit {
                        Some(limit) => {
                            let room = limit.saturating_sub(escape::width(&out[start..]));
                            f.cut.push(out, &scratch, room);
                        }
                        None => out.extend_from_slice(&scratch),
                    }
                    out.push(b'\n');
                }
            }
        }
        self.note_hidden(out);
        self.widths = widths;
        self.scratch = scratch;
        self.cut = cut;
    }

    /// Says, under the table, which columns were left out to fit, unless the last table
    /// said the same.
    fn note_hidden(&mut self, out: &mut Vec<u8>) {
        let names: Vec<&str> = (self.fields.iter().zip(&self.hidden))
            .zip(&self.below)
            .filter(|((_, h), b)| **h && !**b)
            .map(|((f, _), _)| f.name)
            .collect();
        if self.said == self.hidden {
            return;
        }
        self.said.clone_from(&self.hidden);
        if let (false, Some(limit)) = (names.is_empty(), self.fit) {
            let note = format!(
                "({} left out to fit {limit} columns; -w shows every column)\n",
                names.join(", ")
            );
            out.extend_from_slice(note.as_bytes());
        }
    }

    /// Makes a line fit `limit` columns: numbers and short names are never cut; the columns
    /// that may be cut are narrowed, the widest first, each only as far as needed and never
    /// below its floor (`floors`: the part of its cells that carries their meaning); when
    /// that is not enough, the columns that may be left out are, lowest [`Field::drop`]
    /// first; then text columns go under their row, each on its own line, lowest
    /// [`Field::under`] first (cut to the width there too, each its own way). Only a line of numbers too many for the terminal is
    /// left to its [`fit::LineWrap`].
    fn shrink(&mut self, widths: &mut [usize], floors: &[usize], limit: usize) {
        let sep = if self.bars { 3 } else { 1 };
        let line = |w: &[usize], hidden: &[bool]| {
            let shown: Vec<usize> = (0..w.len()).filter(|&i| !hidden[i]).collect();
            shown.iter().map(|&i| w[i]).sum::<usize>() + sep * shown.len().saturating_sub(1)
        };
        if line(widths, &self.hidden) <= limit {
            return;
        }
        let natural = widths.to_vec();
        let floor = |i: usize| floors[i].min(natural[i]);
        let floored: Vec<usize> = (0..natural.len()).map(floor).collect();
        let mut droppable: Vec<usize> = (0..natural.len())
            .filter(|&i| self.fields[i].drop.is_some() && !self.hidden[i])
            .collect();
        crate::sort::sort_by_key(&mut droppable, |&i| self.fields[i].drop);
        for i in droppable {
            if line(&floored, &self.hidden) <= limit {
                break;
            }
            self.hidden[i] = true;
        }
        let mut texts: Vec<usize> = (0..natural.len())
            .filter(|&i| self.fields[i].under.is_some() && !self.hidden[i])
            .collect();
        crate::sort::sort_by_key(&mut texts, |&i| self.fields[i].under);
        for i in texts {
            if line(&floored, &self.hidden) <= limit {
                break;
            }
            self.hidden[i] = true;
            self.below[i] = true;
        }
        let level = |to: usize, w: &mut [usize]| {
            for i in 0..w.len() {
                w[i] = natural[i].min(to.max(floor(i)));
            }
        };
        // The widest level at which the line fits.
        let (mut low, mut high) = (0, natural.iter().copied().max().unwrap_or(0));
        while low < high {
            let mid = (low + high).div_ceil(2);
            level(mid, widths);
            if line(widths, &self.hidden) <= limit {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        level(low, widths);
    }

    /// The cell as the table shows it: its own bytes where they need no escaping (most
    /// do), else escaped into `scratch`.
    fn table_cell<'a>(&'a self, cell: &Cell, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let raw = self.raw(cell);
        match cell.kind {
            Kind::Missing => b"-",
            Kind::Number => raw,
            Kind::Text | Kind::Json if escape::plain(raw) => raw,
            Kind::Text | Kind::Json => {
                scratch.clear();
                escape::text(scratch, raw);
                scratch
            }
        }
    }

    fn write_csv(&self, header: bool, out: &mut Vec<u8>) {
        if header {
            csv_header(out, &self.fields);
        }
        for row in self.rows() {
            for (i, cell) in row.iter().enumerate() {
                csv_cell(out, i, cell.kind, self.raw(cell));
            }
            out.push(b'\n');
        }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        for row in self.rows() {
            let mut line = json::JsonLine::new(out);
            if let Some(kind) = self.json_type {
                line.text("type", kind.as_bytes());
            }
            for (cell, f) in row.iter().zip(&self.fields) {
                line.cell(f.name, cell.kind, self.raw(cell));
            }
            line.end();
        }
    }
}

/// Writes rows one at a time as CSV or JSON lines straight into the output: these formats
/// need no column widths, so no row is kept.
pub struct Stream {
    fields: Vec<Field>,
    format: Format,
    cell: Vec<u8>,
    /// For JSON, what goes before each field's value (`{"time":`, `,"host":`), made once
    /// rather than escaped again for every row: a watch of every thread writes thousands of
    /// rows a second.
    keys: Vec<Vec<u8>>,
}

impl Stream {
    pub fn new(fields: Vec<Field>, format: Format) -> Stream {
        let keys = (fields.iter().enumerate())
            .map(|(i, f)| {
                let mut key = vec![if i == 0 { b'{' } else { b',' }];
                escape::json(&mut key, f.name.as_bytes());
                key.push(b':');
                key
            })
            .collect();
        Stream {
            fields,
            format,
            cell: Vec::new(),
            keys,
        }
    }

    /// Leads each JSON line with `"type":KIND` (`thread`), as the other lines of its output
    /// are led by theirs.
    pub fn json_type(mut self, kind: &str) -> Stream {
        if let Some(first) = self.keys.first_mut() {
            let mut lead = b"{\"type\":".to_vec();
            escape::json(&mut lead, kind.as_bytes());
            first[0] = b',';
            lead.extend_from_slice(first);
            *first = lead;
        }
        self
    }

    /// The CSV header row (nothing for JSON).
    pub fn header(&self, out: &mut Vec<u8>) {
        if self.format == Format::Csv {
            csv_header(out, &self.fields);
        }
    }

    /// Writes one row; `render(i, buf)` appends field `i`'s value to `buf`.
    pub fn row(&mut self, out: &mut Vec<u8>, mut render: impl FnMut(usize, &mut Vec<u8>) -> Kind) {
        if self.format == Format::Json {
            if self.keys.is_empty() {
                out.push(b'{');
            }
            // Each value is rendered in place, after its key: a number or plain text stays
            // where it is, and only text that needs escaping is copied out and back.
            for (i, key) in self.keys.iter().enumerate() {
                out.extend_from_slice(key);
                let start = out.len();
                match render(i, out) {
                    Kind::Number | Kind::Json => {}
                    Kind::Missing => {
                        out.truncate(start);
                        out.extend_from_slice(b"null");
                    }
                    Kind::Text if escape::plain(&out[start..]) => {
                        out.insert(start, b'"');
                        out.push(b'"');
                    }
                    Kind::Text => {
                        self.cell.clear();
                        self.cell.extend_from_slice(&out[start..]);
                        out.truncate(start);
                        escape::json(out, &self.cell);
                    }
                }
            }
            out.extend_from_slice(b"}\n");
        } else {
            for i in 0..self.fields.len() {
                self.cell.clear();
                let kind = render(i, &mut self.cell);
                csv_cell(out, i, kind, &self.cell);
            }
            out.push(b'\n');
        }
    }
}

fn csv_header(out: &mut Vec<u8>, fields: &[Field]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(f.name.as_bytes());
    }
    out.push(b'\n');
}

/// Field `i` of a CSV row: `-` when missing, numbers raw, text escaped and quoted as needed.
fn csv_cell(out: &mut Vec<u8>, i: usize, kind: Kind, raw: &[u8]) {
    if i > 0 {
        out.push(b',');
    }
    match kind {
        Kind::Missing => out.push(b'-'),
        Kind::Number => out.extend_from_slice(raw),
        Kind::Text | Kind::Json => escape::csv(out, raw),
    }
}

fn trim_end(out: &mut Vec<u8>, bars: bool) {
    while out.last() == Some(&b' ') {
        out.pop();
    }
    if bars && out.last() == Some(&b'|') {
        out.pop();
        trim_end(out, false);
    }
}

/// Writes `text` (already escaped, `width` columns wide) padded to `to` columns, then the
/// separator unless it is the last column.
fn pad(
    out: &mut Vec<u8>,
    text: &[u8],
    width: usize,
    to: usize,
    right: bool,
    last: bool,
    sep: &[u8],
) {
    let fill = to.saturating_sub(width);
    if right {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(text);
    if !last {
        if !right {
            out.resize(out.len() + fill, b' ');
        }
        out.extend_from_slice(sep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let mut g = Grid::new(vec![
            Field::whole("tid", true),
            Field::whole("comm", false),
            Field {
                name: "kstack",
                numeric: false,
                own_line: true,
                cut: Cut::Frames,
                drop: None,
                under: None,
            },
        ]);
        for (tid, comm, stack) in [
            (7u32, &b"a,b"[..], Some(&b"f()->g()"[..])),
            (12345, b"x\x1b", None),
        ] {
            g.push(|o| {
                o.extend_from_slice(tid.to_string().as_bytes());
                Kind::Number
            });
            g.push(|o| {
                o.extend_from_slice(comm);
                Kind::Text
            });
            g.push(|o| match stack {
                Some(s) => {
                    o.extend_from_slice(s);
                    Kind::Text
                }
                None => Kind::Missing,
            });
        }
        g
    }

    fn written(format: Format) -> String {
        let mut out = Vec::new();
        grid().write(format, true, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table() {
        assert_eq!(
            written(Format::Table),
            "  tid comm\n    7 a,b\n    kstack: f()->g()\n12345 x\\x1b\n"
        );
    }

    #[test]
    fn csv() {
        assert_eq!(
            written(Format::Csv),
            "tid,comm,kstack\n7,\"a,b\",f()->g()\n12345,x\\x1b,-\n"
        );
    }

    #[test]
    fn json() {
        assert_eq!(
            written(Format::Json),
            "{\"tid\":7,\"comm\":\"a,b\",\"kstack\":\"f()->g()\"}\n{\"tid\":12345,\"comm\":\"x\\u001b\",\"kstack\":null}\n"
        );
    }

    #[test]
    fn a_table_fits_by_priority() {
        let text = |name, cut, under| Field {
            cut,
            under,
            ..Field::whole(name, false)
        };
        let mut g = Grid::new(vec![
            Field::whole("tid", true),
            text("comm", Cut::Name, Some(2)),
            text("wchan", Cut::End, Some(1)),
            text("filename", Cut::Start, Some(0)),
            Field {
                drop: Some(0),
                ..Field::whole("minflt", true)
            },
        ])
        .fit(Some(40));
        let rows: [(&str, &str, &str, Option<&str>, &str); 2] = [
            (
                "1",
                "short",
                "futex_wait_queue",
                Some("/very/long/path/to/a/file.so"),
                "5",
            ),
            ("22", "kworker/u8:2-events_unbound", "-", None, "7"),
        ];
        for (tid, comm, wchan, file, minflt) in rows {
            for (value, kind) in [
                (Some(tid), Kind::Number),
                (Some(comm), Kind::Text),
                (Some(wchan), Kind::Text),
                (file, Kind::Text),
                (Some(minflt), Kind::Number),
            ] {
                g.push(|o| match value {
                    Some(v) => {
                        o.extend_from_slice(v.as_bytes());
                        kind
                    }
                    None => Kind::Missing,
                });
            }
        }
        let mut out = Vec::new();
        g.write(Format::Table, true, &mut out);
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        // The note under the table is prose, which the terminal's output wraps.
        assert!(lines[..4].iter().all(|l| l.chars().count() <= 40), "{out}");
        assert!(
            lines[0].starts_with("tid comm ") && !lines[0].contains("minflt"),
            "{out}"
        );
        // The long name is cut after its 15 characters at least; the short row keeps its
        // wchan whole however wide the other row's name.
        assert!(lines[1].starts_with("  1 short ") && lines[1].ends_with(" futex_wait_queue"));
        assert_eq!(
            lines[2], "    filename: …ry/long/path/to/a/file.so",
            "{out}"
        );
        assert!(lines[3].starts_with(" 22 kworker/u8:2-ev") && lines[3].contains('…'));
        assert_eq!(
            lines[4],
            "(minflt left out to fit 40 columns; -w shows every column)"
        );
        // A second table leaving out the same says nothing more.
        let mut again = Vec::new();
        g.write(Format::Table, true, &mut again);
        assert!(!String::from_utf8(again).unwrap().contains("left out"));
    }
}
