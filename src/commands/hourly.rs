//! `watch --output-dir`: xcapture's hourly files, `DIR/tsnap-YYYY-MM-DD.HH.csv` (or `.jsonl`
//! with `-f json`), one an hour (local time), each CSV with a header, appended to when it
//! exists so a restarted watch loses nothing; and what keeps them from filling a disk:
//! `--keep-hours` deletes tsnap's own files of hours long gone (at the start and at each new
//! hour), `--max-mb` stops before a snapshot would take tsnap's files in the directory past a
//! size. Only names of exactly this pattern are tsnap's: nothing else in the directory is
//! ever counted or deleted.

use super::rows::RowWriter;
use crate::clock;
use crate::error::Error;
use crate::output::{Format, Out, warn};
use crate::row::Rows;
use std::path::{Path, PathBuf};

/// What became of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Whole,
    /// Not written: it would have taken tsnap's files past `--max-mb`.
    OverBudget,
}

pub struct Hourly {
    dir: PathBuf,
    extension: &'static [u8],
    keep_hours: Option<u32>,
    max_bytes: Option<u64>,
    /// Bytes in tsnap's files in the directory: counted at each new hour, and added to as
    /// snapshots are written.
    used: u64,
    name: Vec<u8>,
    file: Option<(Vec<u8>, Out)>,
}

impl Hourly {
    /// Files in `dir` (created if needed) in `format` (CSV unless JSON), keeping `keep_hours`
    /// hours of them and at most `max_mb` MiB, when given.
    pub fn new(
        dir: &Path,
        format: Format,
        keep_hours: Option<u32>,
        max_mb: Option<u64>,
    ) -> Result<Hourly, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Fatal(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Hourly {
            dir: dir.to_path_buf(),
            extension: match format {
                Format::Json => b".jsonl",
                _ => b".csv",
            },
            keep_hours,
            max_bytes: max_mb.map(|mb| mb.saturating_mul(1 << 20)),
            used: 0,
            name: Vec::new(),
            file: None,
        })
    }

    /// Appends the rows to the file of the hour of `secs`, whole, unless that would take
    /// tsnap's files past the budget.
    pub fn write(
        &mut self,
        secs: i64,
        writer: &mut RowWriter,
        rows: &Rows,
        time: &[u8],
    ) -> Result<Written, Error> {
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
            if self.max_bytes.is_some() {
                self.used = self.count();
            }
            let path = self.dir.join(String::from_utf8_lossy(&self.name).as_ref());
            self.file = Some((self.name.clone(), Out::append_to(&path)?));
        }
        let Some((_, out)) = &mut self.file else {
            return Ok(Written::Whole);
        };
        let header = out.is_new_file();
        writer.write_whole(out, rows, time, header)?;
        let size = out.buf.len() as u64;
        if self.max_bytes.is_some_and(|max| self.used + size > max) {
            out.buf.clear();
            return Ok(Written::OverBudget);
        }
        out.flush()?;
        self.used += size;
        Ok(Written::Whole)
    }

    /// The line watch ends with when a snapshot would go over the budget.
    pub fn over_budget(&self) -> String {
        format!(
            "stopped: the next snapshot would take tsnap's files in {} past --max-mb {} ({} MiB \
             used); they are kept",
            self.dir.display(),
            self.max_bytes.unwrap_or(0) >> 20,
            self.used >> 20
        )
    }

    /// tsnap's files in the directory: (name, size) of each regular file named by its
    /// pattern.
    fn own_files(&self) -> Vec<(std::ffi::OsString, u64)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| {
                let e = e.ok()?;
                let name = e.file_name();
                hour_of(name.as_encoded_bytes())?;
                // Not followed: a link named like tsnap's files is not one.
                let meta = e.metadata().ok()?;
                meta.is_file().then_some((name, meta.len()))
            })
            .collect()
    }

    /// The bytes in tsnap's files in the directory.
    fn count(&self) -> u64 {
        self.own_files().iter().map(|f| f.1).sum()
    }

    /// Deletes tsnap's files of the hours before the hour of `cutoff` (seconds since the
    /// epoch): every row in them is older than `--keep-hours`.
    fn expire(&self, cutoff: i64) {
        let mut oldest_kept = Vec::new();
        clock::push_hour(&mut oldest_kept, cutoff);
        for (name, _) in self.own_files() {
            if hour_of(name.as_encoded_bytes()).is_some_and(|h| h < &oldest_kept[..]) {
                let path = self.dir.join(&name);
                if let Err(e) = std::fs::remove_file(&path) {
                    warn(&format!("cannot delete {}: {e}", path.display()));
                }
            }
        }
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
