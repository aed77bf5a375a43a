//! `watch --output-dir`: xcapture's hourly files, `DIR/tsnap-YYYY-MM-DD.HH.csv` (or `.jsonl`
//! with `-f json`), one an hour (local time), each CSV with a header, appended to when it
//! exists so a restarted watch loses nothing; and what keeps them from filling a disk:
//! `--keep-hours` deletes tsnap's own files of hours long gone (at the start and at each new
//! hour), `--max-mb` keeps tsnap's files in the directory under a size. Only regular files of
//! tsnap's own user named by exactly this pattern are tsnap's: nothing else in the directory
//! is ever counted or deleted. Files are reached through [`OutDir`].
//!
//! Under `--max-mb`, no tenant can blind the capture: a snapshot may take at most 1/[`SHARE`]
//! of the budget, and one bigger is cut by rows kept per container in turn, each container
//! its share, the rest counted and said on stderr; room for it is made by deleting tsnap's
//! oldest hours first, the hour being written last (its file then starts again), so that
//! watch goes on writing every container's rows.

use super::rows::RowWriter;
use crate::clock;
use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::files::OutDir;
use crate::output::{Format, Kind, Out, warn};
use crate::row::Rows;
use std::path::Path;

/// A snapshot takes at most this fraction (1/SHARE) of `--max-mb`: the budget holds at least
/// this many of the biggest snapshots.
const SHARE: u64 = 64;

pub struct Hourly {
    dir: OutDir,
    extension: &'static [u8],
    keep_hours: Option<u32>,
    max_bytes: Option<u64>,
    /// Bytes in tsnap's files in the directory: counted at each new hour and after a
    /// deletion, and added to as snapshots are written.
    used: u64,
    name: Vec<u8>,
    file: Option<(Vec<u8>, Out)>,
    /// Each row's index and where its line ends in the buffer, for cutting a snapshot.
    lines: Vec<(usize, usize)>,
    /// The container of each row (its cell), for cutting a snapshot.
    cell: Vec<u8>,
}

impl Hourly {
    /// Files in `dir` (created with `mode`'s directory mode if needed) in `format` (CSV
    /// unless JSON), each created with `mode`, keeping `keep_hours` hours of them and at
    /// most `max_mb` MiB, when given.
    pub fn new(
        dir: &Path,
        format: Format,
        keep_hours: Option<u32>,
        max_mb: Option<u64>,
        mode: u32,
    ) -> Result<Hourly, Error> {
        Ok(Hourly {
            dir: OutDir::open(dir, true, mode)?,
            extension: match format {
                Format::Json => b".jsonl",
                _ => b".csv",
            },
            keep_hours,
            max_bytes: max_mb.map(|mb| mb.saturating_mul(1 << 20)),
            used: 0,
            name: Vec::new(),
            file: None,
            lines: Vec::new(),
            cell: Vec::new(),
        })
    }

    /// Appends the rows to the file of the hour of `secs`: whole, or under `--max-mb` cut to
    /// a snapshot's share of it.
    pub fn write(
        &mut self,
        secs: i64,
        writer: &mut RowWriter,
        rows: &Rows,
        time: &[u8],
    ) -> Result<(), Error> {
        self.hour(secs);
        // At most twice: the second time after the hour's own file was started again.
        let mut said = None;
        for again in [false, true] {
            if self.file.is_none() {
                self.file = Some((self.name.clone(), self.dir.append(&self.name)?));
            }
            let Some((_, out)) = &mut self.file else {
                return Ok(());
            };
            if out.is_new_file() {
                writer.write_whole(out, &Rows::default(), time, true, &mut self.lines)?;
            }
            let head = out.buf.len();
            writer.write_whole(out, rows, time, false, &mut self.lines)?;
            let Some(max) = self.max_bytes else {
                return out.flush();
            };
            let share = (max / SHARE) as usize;
            if out.buf.len() > share {
                let cut = cut(&mut out.buf, head, &self.lines, rows, share, &mut self.cell);
                // Said once the snapshot is written (the hour's file may start again first).
                said = Some(format!(
                    "cut: the snapshot of {} would take {} bytes, over its share of --max-mb \
                     {} ({} bytes): {cut}",
                    String::from_utf8_lossy(time),
                    cut.bytes,
                    max >> 20,
                    share
                ));
            }
            let size = out.buf.len() as u64;
            if self.used + size > max {
                self.make_room(size, max, !again);
            }
            let Some((_, out)) = &mut self.file else {
                continue;
            };
            if self.used + size > max {
                // Files tsnap could not delete fill the budget.
                out.buf.clear();
                self.not_written(time, max);
                return Ok(());
            }
            if let Some(line) = &said {
                warn(line);
            }
            out.flush()?;
            self.used += size;
            return Ok(());
        }
        Ok(())
    }

    /// Names the file of the hour of `secs`; when it is not the one open, closes that, and
    /// deletes the files past `--keep-hours`.
    fn hour(&mut self, secs: i64) {
        self.name.clear();
        self.name.extend_from_slice(b"tsnap-");
        clock::push_hour(&mut self.name, secs);
        self.name.extend_from_slice(self.extension);
        if self
            .file
            .as_ref()
            .is_none_or(|(name, _)| *name != self.name)
        {
            self.file = None;
            if let Some(hours) = self.keep_hours {
                self.expire(secs - i64::from(hours) * 3600);
            }
            self.used = self.count();
        }
    }

    /// Says that the snapshot taken at `time` was not written: it would take tsnap's files
    /// past `max` bytes.
    fn not_written(&self, time: &[u8], max: u64) {
        warn(&format!(
            "not written: the snapshot of {}, which would take tsnap's files in {} past \
             --max-mb {}",
            String::from_utf8_lossy(time),
            self.dir.path().display(),
            max >> 20
        ));
    }

    /// Deletes tsnap's oldest files until `size` more bytes fit under `max`: the hour being
    /// written last (when `restart`), whose file is then started again.
    fn make_room(&mut self, size: u64, max: u64, restart: bool) {
        let mut files = self.own_files();
        files.retain(|f| restart || f.name != self.name);
        crate::sort::sort_by(&mut files, |a, b| {
            (a.name == self.name, &a.name).cmp(&(b.name == self.name, &b.name))
        });
        for f in files {
            if self.used + size <= max {
                break;
            }
            let what = match f.name == self.name {
                true => "the hour being written, which starts again",
                false => "the oldest",
            };
            match self.dir.remove(&f.name) {
                Ok(()) => warn(&format!(
                    "deleted {} ({} bytes, {what}) to keep tsnap's files in {} under --max-mb {}",
                    String::from_utf8_lossy(&f.name),
                    f.size,
                    self.dir.path().display(),
                    max >> 20
                )),
                Err(e) => warn(&e),
            }
            if f.name == self.name {
                self.file = None;
            }
            self.used = self.count();
        }
    }

    /// tsnap's files in the directory.
    fn own_files(&self) -> Vec<crate::output::files::OwnFile> {
        self.dir.own_files(|name| hour_of(name).is_some())
    }

    /// The bytes in tsnap's files in the directory.
    fn count(&self) -> u64 {
        self.own_files().iter().map(|f| f.size).sum()
    }

    /// Deletes tsnap's files of the hours before the hour of `cutoff` (seconds since the
    /// epoch): every row in them is older than `--keep-hours`.
    fn expire(&self, cutoff: i64) {
        let mut oldest_kept = Vec::new();
        clock::push_hour(&mut oldest_kept, cutoff);
        for f in self.own_files() {
            if hour_of(&f.name).is_some_and(|h| h < &oldest_kept[..])
                && let Err(e) = self.dir.remove(&f.name)
            {
                warn(&e);
            }
        }
    }
}

/// What [`cut`] left out.
struct Cut {
    /// The snapshot's size before it was cut.
    bytes: usize,
    rows: usize,
    written: usize,
    /// Per container whose rows were cut: its id (`-` for none), its rows and those
    /// written.
    containers: Vec<(Vec<u8>, usize, usize)>,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} rows written", self.written, self.rows)?;
        let cut: Vec<_> = self.containers.iter().filter(|c| c.2 < c.1).collect();
        for (i, (id, rows, written)) in cut.iter().enumerate().take(8) {
            let sep = if i == 0 { "; not written:" } else { "," };
            let whose = match &id[..] {
                b"-" => "outside any container".to_string(),
                id => format!("of container {}", String::from_utf8_lossy(id)),
            };
            write!(f, "{sep} {} of {rows} {whose}", rows - written)?;
        }
        if cut.len() > 8 {
            write!(f, ", and rows of {} more containers", cut.len() - 8)?;
        }
        Ok(())
    }
}

/// Cuts the snapshot in `buf` (a header of `head` bytes, then the rows' lines, ending where
/// `lines` says) to at most `budget` bytes: rows are taken per container in turn, one each
/// round, in the order they were written, until a container's next row does not fit; so that
/// every container keeps rows however many another one has.
fn cut(
    buf: &mut Vec<u8>,
    head: usize,
    lines: &[(usize, usize)],
    rows: &Rows,
    budget: usize,
    cell: &mut Vec<u8>,
) -> Cut {
    let start = |i: usize| if i == 0 { head } else { lines[i - 1].1 };
    // Each container's id and the lines of its rows, in the order they were written.
    let mut containers: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    for (i, &(r, _)) in lines.iter().enumerate() {
        cell.clear();
        if columns::render(Column::Container, &rows.rows[r], rows, cell) != Kind::Text {
            cell.clear();
            cell.push(b'-');
        }
        match containers.iter_mut().find(|c| c.0 == *cell) {
            Some(c) => c.1.push(i),
            None => containers.push((cell.clone(), vec![i])),
        }
    }
    let mut taken = vec![false; lines.len()];
    let mut written = vec![0usize; containers.len()];
    let mut room = budget.saturating_sub(head);
    let mut turn: Vec<usize> = (0..containers.len()).collect();
    while !turn.is_empty() {
        turn.retain(|&c| {
            let Some(&i) = containers[c].1.get(written[c]) else {
                return false;
            };
            let len = lines[i].1 - start(i);
            if len > room {
                return false;
            }
            room -= len;
            taken[i] = true;
            written[c] += 1;
            true
        });
    }
    let bytes = buf.len();
    let mut end = head;
    for (i, &(_, line_end)) in lines.iter().enumerate() {
        if taken[i] {
            buf.copy_within(start(i)..line_end, end);
            end += line_end - start(i);
        }
    }
    buf.truncate(end);
    Cut {
        bytes,
        rows: lines.len(),
        written: written.iter().sum(),
        containers: containers
            .into_iter()
            .zip(written)
            .map(|((id, lines), written)| (id, lines.len(), written))
            .collect(),
    }
}

/// The hour (`YYYY-MM-DD.HH`) a file of tsnap's is named for, if `name` is exactly
/// `tsnap-YYYY-MM-DD.HH.csv` or `tsnap-YYYY-MM-DD.HH.jsonl`.
fn hour_of(name: &[u8]) -> Option<&[u8]> {
    let rest = name.strip_prefix(b"tsnap-")?;
    let hour = rest.get(..13)?;
    let ext = &rest[13..];
    let pattern = b"dddd-dd-dd.dd";
    let fits = hour.iter().zip(pattern).all(|(&b, &p)| match p {
        b'd' => b.is_ascii_digit(),
        p => b == p,
    });
    (fits && (ext == b".csv" || ext == b".jsonl")).then_some(hour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tsnaps_own_names() {
        assert_eq!(
            hour_of(b"tsnap-2026-11-25.22.csv"),
            Some(&b"2026-11-25.22"[..])
        );
        assert_eq!(
            hour_of(b"tsnap-2026-11-25.09.jsonl"),
            Some(&b"2026-11-25.09"[..])
        );
        for other in [
            &b"tsnap-2026-11-25.22.csv.bak"[..],
            b"tsnap-2026-11-25.22.json",
            b"tsnap-2026-11-25.2.csv",
            b"tsnap-2026-11-25-22.csv",
            b"tsnap-20x6-11-25.22.csv",
            b"xtsnap-2026-11-25.22.csv",
            b"notes-2026-11-25.22.csv",
            b"tsnap-.csv",
            b"tsnap-2026-11-25.22",
        ] {
            assert_eq!(hour_of(other), None, "{}", String::from_utf8_lossy(other));
        }
    }
}
