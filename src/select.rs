//! Which processes to look at: `-p`, `-C`, `-r`, or every process in the procfs mount, never
//! tsnap itself.

use crate::parse::{self, status};
use crate::procfs::{self, RelPath};
use rustix::fd::BorrowedFd;
use rustix::io;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub pids: Vec<u32>,
    pub comms: Vec<Vec<u8>>,
    pub recursive: bool,
}

impl Selection {
    fn everything(&self) -> bool {
        self.pids.is_empty() && self.comms.is_empty()
    }

    /// The processes are named by pid only: none can join them, so when they are gone,
    /// nothing is left to look at.
    pub fn fixed(&self) -> bool {
        !self.pids.is_empty() && self.comms.is_empty() && !self.recursive
    }
}

/// Lists the selected processes, sorted, with reused buffers.
pub struct Selector {
    selection: Selection,
    /// tsnap's own pid in this procfs mount, if it has one.
    own_pid: Option<u32>,
    listed: Vec<u32>,
    parents: Vec<(u32, u32)>,
    dents: Vec<u8>,
    buf: Vec<u8>,
    path: RelPath,
}

impl Selector {
    /// Selects by `selection`, leaving out `own_pid` (tsnap's, when it is in the mount).
    pub fn new(selection: Selection, own_pid: Option<u32>) -> Self {
        Selector {
            selection,
            own_pid,
            listed: Vec::new(),
            parents: Vec::new(),
            dents: Vec::new(),
            buf: Vec::new(),
            path: RelPath::new(),
        }
    }

    /// Fills `out` with the pids selected now, sorted and without duplicates.
    pub fn select(&mut self, root: BorrowedFd<'_>, out: &mut Vec<u32>) -> io::Result<()> {
        out.clear();
        let needs_listing = self.selection.everything()
            || !self.selection.comms.is_empty()
            || self.selection.recursive;
        if needs_listing {
            self.listed.clear();
            procfs::list_numeric(root, &mut self.dents, &mut self.listed)?;
        }
        if self.selection.everything() {
            out.extend_from_slice(&self.listed);
        } else {
            out.extend(self.selection.pids.iter().copied());
            if !self.selection.comms.is_empty() {
                for i in 0..self.listed.len() {
                    let pid = self.listed[i];
                    if self.comm_matches(root, pid) {
                        out.push(pid);
                    }
                }
            }
            if self.selection.recursive {
                self.add_descendants(root, out);
            }
        }
        if let Some(me) = self.own_pid {
            out.retain(|&p| p != me);
        }
        out.sort_unstable();
        out.dedup();
        Ok(())
    }

    fn comm_matches(&mut self, root: BorrowedFd<'_>, pid: u32) -> bool {
        self.path.clear().num(pid).push(b"comm");
        if procfs::read_file(root, &self.path, &mut self.buf).is_err() {
            return false;
        }
        let comm = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
        self.selection.comms.iter().any(|c| c == comm)
    }

    /// Adds every descendant of the pids in `out`, from the parent pids in each `stat`.
    fn add_descendants(&mut self, root: BorrowedFd<'_>, out: &mut Vec<u32>) {
        self.parents.clear();
        for i in 0..self.listed.len() {
            let pid = self.listed[i];
            self.path.clear().num(pid).push(b"stat");
            if procfs::read_file(root, &self.path, &mut self.buf).is_ok()
                && let Some(stat) = parse::stat::parse(&self.buf)
            {
                self.parents.push((pid, stat.ppid));
            }
        }
        // Walk down level by level until no new child turns up.
        let mut from = 0;
        while from < out.len() {
            let level_end = out.len();
            for &(pid, ppid) in &self.parents {
                if out[from..level_end].contains(&ppid) && !out.contains(&pid) {
                    out.push(pid);
                }
            }
            from = level_end;
        }
    }
}

/// The process (thread group) a `-p` number belongs to: itself, or, for a thread id, the
/// `Tgid` of its `status`. `None` if there is no such task.
pub fn thread_group_of(root: BorrowedFd<'_>, id: u32) -> Option<u32> {
    let mut path = RelPath::new();
    path.num(id).push(b"status");
    let mut buf = Vec::new();
    match procfs::read_file(root, &path, &mut buf) {
        Ok(()) => status::number(&buf, b"Tgid")
            .and_then(|t| u32::try_from(t).ok())
            .or(Some(id)),
        // A procfs copy without `status` still has the process directory.
        Err(_) => procfs::open_dir(root, path.clear().num(id).as_cstr())
            .ok()
            .map(|_| id),
    }
}
