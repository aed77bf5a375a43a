//! `--save FILE`: every sampled row appended to FILE as a JSON line, for `report` to
//! aggregate later. Each pass first writes a marker line, so that passes in which no thread
//! was active still count in `avg_threads`:
//!
//! ```text
//! {"type":"pass","pass":1,"time":"2026-11-25T22:10:00.050+00:00","host":"node-1"}
//! {"type":"row","pass":1,"time":"2026-11-25T22:10:00.050+00:00","host":"node-1","pid":42,...}
//! ```

use crate::columns::{self, Column, Needs};
use crate::error::Error;
use crate::output::Out;
use crate::output::files::OutDir;
use crate::output::json::JsonLine;
use crate::row::Rows;
use std::path::Path;

/// The columns every saved row holds, whatever the grouping: all that `stat` gives, and the
/// files that say what a thread waits for. Every other column the run reads is added to them
/// ([`columns_read`]), so that `report` can slice by any of them.
pub const SAVED: &[Column] = &[
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

/// The columns a run whose passes read `needs` has values of, [`SAVED`] first: those whose
/// files are read, and `throttled` when `asked` has it (it is measured only then).
pub fn columns_read(needs: Needs, asked: &[Column]) -> Vec<Column> {
    let mut out = SAVED.to_vec();
    let read = columns::ALL.iter().filter(|i| match i.column {
        Column::Throttled => asked.contains(&Column::Throttled),
        _ => i.needs == Needs::NONE || needs.has(i.needs),
    });
    out.extend(read.map(|i| i.column).filter(|c| !SAVED.contains(c)));
    out
}

pub struct Saver {
    out: Out,
    columns: Vec<Column>,
    /// The host every line names, so that files from many nodes can be merged.
    host: Vec<u8>,
    cell: Vec<u8>,
}

impl Saver {
    /// Opens `path` for appending (creating it with `mode`), to save `columns` (see
    /// [`columns_read`]), each line naming `host`. The file is reached as [`OutDir`] reaches
    /// it: never through a link, and only if it is a regular file of tsnap's own user.
    pub fn open(path: &Path, columns: Vec<Column>, host: &[u8], mode: u32) -> Result<Saver, Error> {
        let (dir, name) = OutDir::of_file(path, mode)?;
        Ok(Saver {
            out: dir.append(&name)?,
            columns,
            host: host.to_vec(),
            cell: Vec::new(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_read_is_saved() {
        let plain = columns_read(columns::needs(SAVED), &[]);
        assert_eq!(&plain[..SAVED.len()], SAVED);
        assert!(!plain.contains(&Column::Endpoint) && !plain.contains(&Column::Throttled));
        let needs = columns::needs(SAVED).union(columns::needs(&[Column::Endpoint]));
        let more = columns_read(needs.union(Needs::CGROUP), &[Column::Throttled]);
        for c in [Column::Endpoint, Column::Throttled, Column::Cgroup] {
            assert!(more.contains(&c), "{}", c.name());
        }
    }
}
