//! `--save FILE`: every sampled row appended to FILE as a JSON line, for `report` to
//! aggregate later. Each pass first writes a marker line, so that passes in which no thread
//! was active still count in `avg_threads`:
//!
//! ```text
//! {"type":"pass","pass":1,"time":"2026-11-25T22:10:00.050+00:00","host":"node-1"}
//! {"type":"row","pass":1,"time":"2026-11-25T22:10:00.050+00:00","host":"node-1","pid":42,...}
//! ```

use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::Out;
use crate::output::files::OutDir;
use crate::output::json::JsonLine;
use crate::row::Rows;
use std::path::Path;

/// The columns every saved row holds, whatever the grouping: all that `stat` gives, and the
/// files that say what a thread waits for. Groups and shown columns are added to them.
const SAVED: &[Column] = &[
    Column::Container,
    Column::Pod,
    Column::Pid,
    Column::Tid,
    Column::Ppid,
    Column::State,
    Column::Statedesc,
    Column::Comm,
    Column::Pcomm,
    Column::Pcpu,
    Column::Cputime,
    Column::Minflt,
    Column::Majflt,
    Column::Prio,
    Column::Nice,
    Column::Psr,
    Column::Nlwp,
    Column::Wchan,
    Column::Syscall,
    Column::Filename,
    Column::Kstack,
];

pub struct Saver {
    out: Out,
    columns: Vec<Column>,
    /// The host every line names, so that files from many nodes can be merged.
    host: Vec<u8>,
    cell: Vec<u8>,
}

impl Saver {
    /// Opens `path` for appending (creating it with `mode`), to save [`SAVED`] plus `also`,
    /// each line naming `host`. The file is reached as [`OutDir`] reaches it: never through a
    /// link, and only if it is a regular file of tsnap's own user.
    pub fn open(path: &Path, also: &[Column], host: &[u8], mode: u32) -> Result<Saver, Error> {
        let mut columns = SAVED.to_vec();
        columns.extend(also.iter().filter(|c| !SAVED.contains(c)));
        let (dir, name) = OutDir::of_file(path, mode)?;
        Ok(Saver {
            out: dir.append(&name)?,
            columns,
            host: host.to_vec(),
            cell: Vec::new(),
        })
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Appends pass number `pass`, taken at `time` (ISO 8601), and its rows.
    pub fn pass(&mut self, pass: u64, time: &[u8], rows: &Rows) -> Result<(), Error> {
        JsonLine::new(&mut self.out.buf)
            .text("type", b"pass")
            .number("pass", pass)
            .text("time", time)
            .text("host", &self.host)
            .end();
        for row in &rows.rows {
            let mut line = JsonLine::new(&mut self.out.buf);
            line.text("type", b"row")
                .number("pass", pass)
                .text("time", time)
                .text("host", &self.host);
            for &c in &self.columns {
                self.cell.clear();
                let kind = columns::render(c, row, rows, &mut self.cell);
                line.cell(c.name(), kind, &self.cell);
            }
            line.end();
        }
        self.out.flush()
    }
}
