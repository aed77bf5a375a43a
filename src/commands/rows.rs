//! Rows written as they are shown by snap and watch: a table through a [`Grid`] for its column
//! widths, CSV and JSON streamed out in chunks, each row led by a time when asked; watch's
//! by the time, the host, the container and the pod, so that rows of many nodes can be
//! merged.

use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::{Field, Format, Grid, Kind, Out, Stream};
use crate::row::Rows;

/// Writes sets of rows in one format, each row led by a time when asked: a table goes through
/// a [`Grid`] for its column widths, CSV and JSON are streamed out in chunks.
pub struct RowWriter {
    columns: Vec<Column>,
    format: Format,
    timed: bool,
    /// The host each row names after its time, if any.
    host: Option<Vec<u8>>,
    grid: Grid,
    stream: Stream,
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
        let mut fields = Vec::new();
        let lead = [(timed, "time"), (host.is_some(), "host")];
        for (_, name) in lead.into_iter().filter(|l| l.0) {
            fields.push(Field {
                name,
                numeric: false,
                own_line: false,
            });
        }
        fields.extend(columns.iter().map(|&c| Field {
            name: c.name(),
            numeric: c.info().numeric,
            own_line: format == Format::Table && c == Column::Kstack,
        }));
        RowWriter {
            columns: columns.to_vec(),
            format,
            timed,
            host,
            grid: Grid::new(fields.clone()),
            stream: Stream::new(fields, format),
        }
    }

    /// Writes `rows` (with `time` first when timed); `header` adds the table or CSV header.
    pub fn write(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
    ) -> Result<(), Error> {
        self.put(out, rows, time, header, true)
    }

    /// Puts `rows` in `out`'s buffer whole, none of them written yet: what a snapshot adds
    /// to a file can be known before it is written.
    pub fn write_whole(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
    ) -> Result<(), Error> {
        self.put(out, rows, time, header, false)
    }

    /// Writes `rows` into `out`'s buffer, and with `stream`, out in chunks as it fills.
    fn put(
        &mut self,
        out: &mut Out,
        rows: &Rows,
        time: &[u8],
        header: bool,
        stream: bool,
    ) -> Result<(), Error> {
        let shift = usize::from(self.timed) + usize::from(self.host.is_some());
        let columns = &self.columns;
        let host = self.host.as_deref().unwrap_or_default();
        let timed = self.timed;
        let table = self.format == Format::Table;
        let cell = |i: usize, row, buf: &mut Vec<u8>| match i.checked_sub(shift) {
            Some(c) => {
                let start = buf.len();
                let kind = columns::render(columns[c], row, rows, buf);
                if let Some(chars) = columns[c].table_chars().filter(|_| table) {
                    buf.truncate(start + chars.min(buf.len() - start));
                }
                kind
            }
            None => {
                buf.extend_from_slice(if i == 0 && timed { time } else { host });
                Kind::Text
            }
        };
        if self.format == Format::Table {
            self.grid.clear();
            for row in &rows.rows {
                for i in 0..columns.len() + shift {
                    self.grid.push(|buf| cell(i, row, buf));
                }
            }
            self.grid.write(Format::Table, header, &mut out.buf);
            return Ok(());
        }
        if header {
            self.stream.header(&mut out.buf);
        }
        for row in &rows.rows {
            self.stream.row(&mut out.buf, |i, buf| cell(i, row, buf));
            if stream {
                out.maybe_flush()?;
            }
        }
        Ok(())
    }
}
