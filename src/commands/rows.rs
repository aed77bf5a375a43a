//! Rows written as they are shown by snap and watch: the tally of their threads' states, then
//! a table through a [`Grid`] for its column widths, CSV and JSON streamed out in chunks, each
//! row led by a time when asked (watch's by the time, the host, the container and the pod, so
//! that rows of many nodes can be merged), in the order and number `--sort` and `--top` say.

use super::order::Order;
use crate::cli::SortKey;
use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::{Field, Format, Grid, Kind, Out, Stream, escape};
use crate::row::Rows;

/// On a terminal, a lead field of watch's (host, container, pod) is left out while every row
/// so far has the same value in it: a line above the first table says which.
#[derive(Clone, PartialEq)]
enum Lead {
    /// No row yet.
    Unknown,
    /// Every row so far has this (as a table shows it).
    Same(Vec<u8>),
    Shown,
}

/// Writes sets of rows in one format, each row led by a time when asked: a table goes through
/// a [`Grid`] for its column widths, CSV and JSON are streamed out in chunks.
#[expect(
    clippy::struct_excessive_bools,
    reason = "four independent switches of one writer: time led, tally first, the left-out line said, headers"
)]
pub struct RowWriter {
    columns: Vec<Column>,
    format: Format,
    timed: bool,
    /// The host each row names after its time, if any.
    host: Option<Vec<u8>>,
    grid: Grid,
    stream: Stream,
    order: Order,
    /// The tally goes before the rows: above a table, on stderr for CSV, a summary line in
    /// JSON.
    tally: bool,
    /// Each field's state where it may be left out of a table ([`Lead::Shown`] for the
    /// others), and whether the line naming those left out was written.
    leads: Vec<Lead>,
    said: bool,
    fit: Option<usize>,
    /// Whether [`RowWriter::write`] writes the header it is asked for (`--no-headers`).
    headers: bool,
}

impl RowWriter {
    pub fn new(columns: &[Column], format: Format, timed: bool) -> RowWriter {
        RowWriter::led(columns, format, timed, None)
    }

    /// watch's rows: each led by its time, `host`, its container and its pod, then the
    /// other `columns`.
    pub fn identified(columns: &[Column], format: Format, host: &[u8]) -> RowWriter {
        const IDENTITY: [Column; 2] = [Column::Container, Column::Pod];
        let mut all = IDENTITY.to_vec();
        all.extend(columns.iter().filter(|c| !IDENTITY.contains(c)));
        RowWriter::led(&all, format, true, Some(host.to_vec()))
    }

    fn led(columns: &[Column], format: Format, timed: bool, host: Option<Vec<u8>>) -> RowWriter {
        let mut writer = RowWriter {
            columns: columns.to_vec(),
            format,
            timed,
            host,
            leads: Vec::new(),
            said: false,
            fit: None,
            grid: Grid::default(),
            stream: Stream::new(Vec::new(), format),
            order: Order::new(&[], None),
            tally: false,
            headers: true,
        };
        let fields = writer.fields();
        writer.leads = vec![Lead::Shown; fields.len()];
        writer.grid = Grid::new(fields.clone());
        writer.stream = Stream::new(fields, format).json_type("thread");
        writer
    }

    /// For watch's table on a terminal: leaves out the host, and the container and the pod
    /// unless `asked` names them, while every row so far has the same value in them.
    pub fn same_left_out(mut self, asked: &[Column]) -> RowWriter {
        if self.format != Format::Table || self.host.is_none() {
            return self;
        }
        let shift = 1 + usize::from(self.timed);
        self.leads[shift - 1] = Lead::Unknown;
        for (i, c) in self.columns.iter().enumerate() {
            if matches!(c, Column::Container | Column::Pod) && !asked.contains(c) {
                self.leads[shift + i] = Lead::Unknown;
            }
        }
        self.grid = self.visible_grid();
        self
    }

    /// A grid of the fields not left out.
    fn visible_grid(&self) -> Grid {
        let fields = self.fields();
        let visible = (fields.into_iter().zip(&self.leads))
            .filter(|(_, lead)| **lead == Lead::Shown)
            .map(|(f, _)| f)
            .collect();
        Grid::new(visible).fit(self.fit)
    }

    /// Every field: the lead ones, then the columns.
    fn fields(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        let lead = [(self.timed, "time"), (self.host.is_some(), "host")];
        for (_, name) in lead.into_iter().filter(|l| l.0) {
            fields.push(Field::whole(name, false));
        }
        fields.extend(self.columns.iter().map(|&c| Field {
            own_line: self.format == Format::Table && c == Column::Kstack,
            ..c.field(&self.columns)
        }));
        fields
    }

    /// Shows the rows in the order of `sort`, the first `top` of them.
    pub fn shown(mut self, sort: &[SortKey], top: Option<usize>) -> RowWriter {
        self.order = Order::new(sort, top);
        self
    }

    /// Makes a table fit `width` columns, when given.
    pub fn fit(mut self, width: Option<usize>) -> RowWriter {
        self.fit = width;
        self.grid = std::mem::take(&mut self.grid).fit(width);
        self
    }

    /// Writes tables and CSV on stdout with their header, or without (`--no-headers`).
    pub fn headers(mut self, headers: bool) -> RowWriter {
        self.headers = headers;
        self
    }

    /// Writes the tally of the threads' states before the rows, or not.
    pub fn tally(mut self, tally: bool) -> RowWriter {
        self.tally = tally;
        self
    }

    /// Writes `rows` (with `time` first when timed); `header` adds the table or CSV header.
    pub fn write(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
    ) -> Result<(), Error> {
        self.put(out, rows, time, header && self.headers, None)
    }

    /// Puts `rows` in `out`'s buffer whole, none of them written yet: what a snapshot adds
    /// to a file can be known before it is written. `lines` gets each row's index and where
    /// its line ends in the buffer, so that a snapshot can be cut by rows (CSV and JSON).
    pub fn write_whole(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
        lines: &mut Vec<(usize, usize)>,
    ) -> Result<(), Error> {
        lines.clear();
        self.put(out, rows, time, header, Some(lines))
    }

    /// Writes `rows` into `out`'s buffer, and without `lines`, out in chunks as it fills.
    fn put(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
        mut lines: Option<&mut Vec<(usize, usize)>>,
    ) -> Result<(), Error> {
        if self.format == Format::Table {
            self.leave_out(rows, &mut out.buf);
        }
        let shift = usize::from(self.timed) + usize::from(self.host.is_some());
        let host = self.host.as_deref().unwrap_or_default();
        let timed = self.timed;
        let table = self.format == Format::Table;
        let render = match self.format {
            Format::Json => columns::render_json,
            Format::Csv => columns::render,
            Format::Table => columns::render_table,
        };
        let columns = &self.columns;
        let cell = |i: usize, row, buf: &mut Vec<u8>| match i.checked_sub(shift) {
            Some(c) => {
                let start = buf.len();
                let kind = render(columns[c], row, rows, buf);
                let value = &buf[start..];
                if let Some(chars) = columns[c].table_chars(value).filter(|_| table) {
                    buf.truncate(start + chars.min(buf.len() - start));
                }
                kind
            }
            None => {
                buf.extend_from_slice(if i == 0 && timed { time } else { host });
                Kind::Text
            }
        };
        if self.tally {
            self.write_tally(rows, out);
        }
        let order = self.order.of(rows);
        if self.format == Format::Table {
            self.grid.clear();
            for &r in order {
                for i in (0..columns.len() + shift).filter(|&i| self.leads[i] == Lead::Shown) {
                    self.grid.push(|buf| cell(i, &rows.rows[r], buf));
                }
            }
            self.grid.write(Format::Table, header, &mut out.buf);
            return Ok(());
        }
        if header {
            self.stream.header(&mut out.buf);
        }
        for &r in order {
            self.stream
                .row(&mut out.buf, |i, buf| cell(i, &rows.rows[r], buf));
            match lines.as_deref_mut() {
                Some(lines) => lines.push((r, out.buf.len())),
                None => out.maybe_flush()?,
            }
        }
        Ok(())
    }

    /// The threads of `rows` by state, before them: on stderr for CSV, so that stdout stays
    /// one table.
    fn write_tally(&self, rows: &Rows, out: &mut Out) {
        match self.format {
            Format::Table => {
                rows.tally.write_text(&mut out.buf);
                out.buf.push(b'\n');
            }
            Format::Csv => {
                let mut line = Vec::new();
                rows.tally.write_text(&mut line);
                line.push(b'\n');
                crate::output::stderr(&line);
            }
            Format::Json => {
                let mut line = JsonLine::new(&mut out.buf);
                line.text("type", b"summary");
                rows.tally.write_json(&mut line);
                line.end();
            }
        }
    }

    /// Notes the values of the fields that may be left out in `rows`; writes the line naming
    /// those left out, the first time there are any; and makes the grid again when one is
    /// shown from now on.
    fn leave_out(&mut self, rows: &Rows, out: &mut Vec<u8>) {
        let shift = usize::from(self.timed) + usize::from(self.host.is_some());
        let before = self.leads.clone();
        let mut cell = Vec::new();
        for (i, lead) in self.leads.iter_mut().enumerate() {
            for row in rows.rows.iter() {
                if *lead == Lead::Shown {
                    break;
                }
                cell.clear();
                let kind = match i.checked_sub(shift) {
                    Some(c) => {
                        let kind = columns::render(self.columns[c], row, rows, &mut cell);
                        let chars = self.columns[c].table_chars(&cell).unwrap_or(usize::MAX);
                        cell.truncate(chars.min(cell.len()));
                        kind
                    }
                    None => {
                        cell.extend_from_slice(self.host.as_deref().unwrap_or_default());
                        Kind::Text
                    }
                };
                let shown = match kind {
                    Kind::Missing => b"-".to_vec(),
                    _ => escape::display(&cell).into_bytes(),
                };
                match lead {
                    Lead::Unknown => *lead = Lead::Same(shown),
                    Lead::Same(first) if *first != shown => *lead = Lead::Shown,
                    _ => {}
                }
            }
        }
        if !self.said && self.leads.iter().any(|l| matches!(l, Lead::Same(_))) {
            self.said = true;
            let fields = self.fields();
            let mut first = true;
            for (f, lead) in fields.iter().zip(&self.leads) {
                if let Lead::Same(value) = lead {
                    if !first {
                        out.extend_from_slice(b", ");
                    }
                    first = false;
                    out.extend_from_slice(f.name.as_bytes());
                    out.push(b' ');
                    out.extend_from_slice(value);
                }
            }
            out.extend_from_slice(b" (same for every row so far; -w shows them)\n");
        }
        if self.leads != before {
            self.grid = self.visible_grid();
        }
    }
}
