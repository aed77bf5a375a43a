//! Reading one procfs file at a time into a buffer that is reused, and lending its bytes
//! until the next read: a thread's files through the fd kept open for it or relative to a
//! directory fd, a process's files and links relative to the mount. The reader also holds
//! the counts of what could not be read, for the footer.

use crate::problems::{Problems, Reason};
use crate::procfs::{self, RelPath};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io;
use std::ffi::CStr;

/// The per-thread files a pass may read, in the order they are given fds from the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Stat,
    Schedstat,
    Status,
    Syscall,
    Wchan,
    Stack,
    Io,
}

/// How many kinds of [`File`] a thread has.
pub const FILES: usize = 7;

impl File {
    fn name(self) -> &'static [u8] {
        match self {
            File::Stat => b"stat",
            File::Schedstat => b"schedstat",
            File::Status => b"status",
            File::Syscall => b"syscall",
            File::Wchan => b"wchan",
            File::Stack => b"stack",
            File::Io => b"io",
        }
    }
}

#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
    path: RelPath,
    pub problems: Problems,
    /// Why this kernel's `schedstat` cannot be read, once a read failed.
    pub schedstat_missing: Option<Reason>,
    /// Whether this kernel's `wchan` is the first frame of the stack outside the scheduler
    /// (so a stack read anyway gives it), once a thread showed it does or does not.
    pub wchan_in_stack: Option<bool>,
}

impl Reader {
    /// Reads `file` of thread `tid`: with `pread` on `kept`, its fd kept open, or else from
    /// `TID/FILE` relative to `dir`. Gives the bytes, and the fd it opened (to keep or close).
    pub fn thread_file(
        &mut self,
        dir: BorrowedFd<'_>,
        tid: u32,
        file: File,
        kept: Option<BorrowedFd<'_>>,
    ) -> io::Result<(&[u8], Option<OwnedFd>)> {
        if let Some(fd) = kept {
            procfs::pread_whole(fd, &mut self.buf)?;
            return Ok((&self.buf, None));
        }
        self.path.clear().num(tid).push(file.name());
        let fd = procfs::open_file(dir, self.path.as_cstr())?;
        procfs::pread_whole(fd.as_fd(), &mut self.buf)?;
        Ok((&self.buf, Some(fd)))
    }

    /// Reads `ID/NAME` relative to `dir`: a process's file relative to the mount, or a
    /// thread's relative to its process's `task/`.
    pub fn file(&mut self, dir: BorrowedFd<'_>, id: u32, name: &[u8]) -> io::Result<&[u8]> {
        self.path.clear().num(id).push(name);
        procfs::read_file(dir, &self.path, &mut self.buf)?;
        Ok(&self.buf)
    }

    /// Reads at most `cap` bytes of `ID/NAME` relative to `dir`, and gives the fd it opened,
    /// to learn the length of the rest ([`procfs::length_from`]).
    pub fn file_capped(
        &mut self,
        dir: BorrowedFd<'_>,
        id: u32,
        name: &[u8],
        cap: usize,
    ) -> io::Result<(&[u8], OwnedFd)> {
        self.path.clear().num(id).push(name);
        let fd = procfs::read_capped(dir, &self.path, &mut self.buf, cap)?;
        Ok((&self.buf, fd))
    }

    /// Reads the regular file at `path` inside the root of process `pid` of the mount `dir`,
    /// as that process's user, if it holds at most `cap` bytes ([`crate::target::read_file`]).
    pub fn in_root(
        &mut self,
        dir: BorrowedFd<'_>,
        pid: u32,
        path: &CStr,
        cap: usize,
    ) -> io::Result<&[u8]> {
        crate::target::read_file(dir, pid, path, cap, &mut self.buf)?;
        Ok(&self.buf)
    }

    /// Reads the target of the link `ID/NAME`, or `ID/NAME/N` (`fd/3`), relative to `dir`.
    pub fn link(
        &mut self,
        dir: BorrowedFd<'_>,
        id: u32,
        name: &[u8],
        n: Option<i32>,
    ) -> io::Result<&[u8]> {
        self.path.clear().num(id).push(name);
        if let Some(n) = n {
            self.path.num(n);
        }
        procfs::read_link(dir, &self.path, &mut self.buf)?;
        Ok(&self.buf)
    }

    /// Reads what thread `tid` has in its memory at `addr`, up to its first NUL, when there is
    /// one within `cap` bytes: from its `mem` (relative to `dir`), which asks for ptrace
    /// access. A read that reaches an unmapped page stops there.
    pub fn memory(
        &mut self,
        dir: BorrowedFd<'_>,
        tid: u32,
        addr: u64,
        cap: usize,
    ) -> io::Result<&[u8]> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.resize(cap, 0);
        let n = self.memory_into(dir, tid, addr, &mut buf);
        self.buf = buf;
        let end = self.buf[..n?]
            .iter()
            .position(|&b| b == 0)
            .ok_or(io::Errno::NAMETOOLONG)?;
        Ok(&self.buf[..end])
    }

    /// Reads `out.len()` bytes of thread `tid`'s memory at `addr` into `out`, as
    /// [`Reader::memory`]: how many it could.
    pub fn memory_into(
        &mut self,
        dir: BorrowedFd<'_>,
        tid: u32,
        addr: u64,
        out: &mut [u8],
    ) -> io::Result<usize> {
        self.path.clear().num(tid).push(b"mem");
        let fd = procfs::open_file(dir, self.path.as_cstr())?;
        loop {
            match rustix::io::pread(&fd, &mut *out, addr) {
                Err(io::Errno::INTR) => continue,
                r => return r,
            }
        }
    }

    /// Opens the directory `ID`, or `ID/NAME` when `name` is not empty, relative to `dir`.
    pub fn open_dir(&mut self, dir: BorrowedFd<'_>, id: u32, name: &[u8]) -> io::Result<OwnedFd> {
        self.path.clear().num(id);
        if !name.is_empty() {
            self.path.push(name);
        }
        procfs::open_dir(dir, self.path.as_cstr())
    }

    /// Reads an open file again from its start.
    pub fn reread(&mut self, fd: BorrowedFd<'_>) -> io::Result<&[u8]> {
        procfs::pread_whole(fd, &mut self.buf)?;
        Ok(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::io::Errno;

    #[test]
    fn lends_each_file_from_one_reused_buffer() {
        let dir = std::env::temp_dir().join(format!("tsnap-reader-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("7/fd")).unwrap();
        std::fs::write(dir.join("7/stat"), "7 (x) S 1\n").unwrap();
        let status: String = (0..600).map(|i| format!("Line{i}:\t{i}\n")).collect();
        std::fs::write(dir.join("7/status"), &status).unwrap();
        std::os::unix::fs::symlink("socket:[99]", dir.join("7/fd/3")).unwrap();
        let root = procfs::open_dir(rustix::fs::CWD, &dir).unwrap();
        let mut r = Reader::default();

        let (stat, opened) = r.thread_file(root.as_fd(), 7, File::Stat, None).unwrap();
        assert_eq!(stat, b"7 (x) S 1\n");
        let opened = opened.expect("the fd it opened, to keep");
        // Read again through the kept fd: nothing opened, the same bytes.
        let (again, none) = r
            .thread_file(root.as_fd(), 7, File::Stat, Some(opened.as_fd()))
            .unwrap();
        assert_eq!((again, none.is_none()), (&b"7 (x) S 1\n"[..], true));
        // A file larger than the buffer's first growth comes whole.
        assert_eq!(
            r.file(root.as_fd(), 7, b"status").unwrap(),
            status.as_bytes()
        );
        let capacity = r.buf.capacity();
        assert_eq!(
            r.link(root.as_fd(), 7, b"fd", Some(3)).unwrap(),
            b"socket:[99]"
        );
        assert_eq!(r.reread(opened.as_fd()).unwrap(), b"7 (x) S 1\n");
        assert_eq!(r.buf.capacity(), capacity, "one buffer, reused");
        assert!(r.open_dir(root.as_fd(), 7, b"fd").is_ok());

        let missing = r.thread_file(root.as_fd(), 7, File::Wchan, None).err();
        let no_dir = r.open_dir(root.as_fd(), 8, b"").err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((missing, no_dir), (Some(Errno::NOENT), Some(Errno::NOENT)));
    }
}
