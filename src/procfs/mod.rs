//! IO against procfs: directory listing with getdents64, whole-file reads into reused buffers,
//! symlink reads, all relative to directory fds through rustix, and never an allocation per
//! file once the buffers have grown; and the [`Mount`] read, with its system's facts.

mod mount;
mod path;

pub use mount::Mount;
pub use path::RelPath;

use rustix::buffer::spare_capacity;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags, RawDir, SeekFrom};
use rustix::io::{self, Errno};
use std::mem::MaybeUninit;

/// The procfs mount tsnap reads (`/proc`, or `--proc DIR`).
pub const DEFAULT_ROOT: &str = "/proc";

/// Opens a directory, relative to `dir`.
pub fn open_dir(dir: impl AsFd, path: impl rustix::path::Arg) -> io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens a file read-only, relative to `dir`.
pub fn open_file(dir: impl AsFd, path: impl rustix::path::Arg) -> io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
}

/// Reads the whole of an open single-record file from offset 0 into `buf` (replacing its
/// contents), growing `buf` when a read fills it.
///
/// Every file tsnap reads under `/proc/PID/task/TID/` (and `status`, `cgroup`, cgroup
/// controller files) is one seq_file record, generated in one go and handed back whole when it
/// fits; regular files read short only at their end. So a short read ends the loop without
/// the extra read that would return 0, which saves a third of the syscalls of a cached-fd
/// pass. Files of many records (`maps`, `mountinfo`) would need reading to a 0.
pub fn pread_whole(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> io::Result<()> {
    fill(fd, buf)
}

/// Opens `path` relative to `dir`, reads all of it into `buf` and closes it: a single-record
/// file as in [`pread_whole`].
pub fn read_file(dir: BorrowedFd<'_>, path: &RelPath, buf: &mut Vec<u8>) -> io::Result<()> {
    let fd = open_file(dir, path.as_cstr())?;
    fill(fd.as_fd(), buf)
}

fn fill(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    loop {
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(buf.capacity().max(4096));
        }
        let room = buf.capacity() - buf.len();
        let offset = buf.len() as u64;
        let n = rustix::io::pread(fd, spare_capacity(buf), offset)?;
        if n < room {
            return Ok(());
        }
    }
}

/// Opens `path` relative to `dir` and reads at most `cap` bytes of it from its start into
/// `buf` (a short read is its end, as in [`pread_whole`]); gives the fd, open, for
/// [`length_from`].
pub fn read_capped(
    dir: BorrowedFd<'_>,
    path: &RelPath,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<OwnedFd> {
    let fd = open_file(dir, path.as_cstr())?;
    buf.clear();
    buf.reserve(cap);
    while buf.len() < cap {
        let room = cap - buf.len();
        let offset = buf.len() as u64;
        let n = crate::sys::pread_spare(fd.as_fd(), buf, room, offset)?;
        if n < room {
            break;
        }
    }
    Ok(fd)
}

/// The length of the open file `fd` that holds at least `known` bytes and can be read at any
/// offset (`cmdline`), found without reading it: a 1-byte `pread` at offsets doubling past
/// `known` until one finds nothing, then halving the gap (about 2 log2(length) reads, 46
/// for 6 MiB). A read that fails counts as the end.
pub fn length_from(fd: BorrowedFd<'_>, known: u64) -> u64 {
    let has = |at: u64| {
        let mut byte = [0u8; 1];
        rustix::io::pread(fd, &mut byte[..], at).is_ok_and(|n| n == 1)
    };
    // `lo` bytes are known to be there; the byte at `hi` is not.
    let mut lo = known;
    let mut hi = known.max(1);
    while hi < 1 << 40 && has(hi) {
        lo = hi + 1;
        hi *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if has(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Opens `path` relative to `dir` and reads it to the end into `buf`: for files of many
/// records (`maps`, `mountinfo`), which come a page of records per read, so that a short
/// read does not mean the end.
pub fn read_to_end(dir: BorrowedFd<'_>, path: &RelPath, buf: &mut Vec<u8>) -> io::Result<()> {
    let fd = open_file(dir, path.as_cstr())?;
    buf.clear();
    loop {
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(buf.capacity().max(16 * 1024));
        }
        if rustix::io::read(&fd, spare_capacity(buf))? == 0 {
            return Ok(());
        }
    }
}

/// Reads the target of the symlink `path` relative to `dir` into `buf` (replacing its
/// contents), without allocating once `buf` is large enough.
pub fn read_link(dir: BorrowedFd<'_>, path: &RelPath, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    loop {
        if buf.capacity() < 256 {
            buf.reserve(256);
        }
        let room = buf.capacity();
        if rustix::fs::readlinkat_raw(dir, path.as_cstr(), spare_capacity(buf))? < room {
            return Ok(());
        }
        buf.clear();
        buf.reserve(room * 2);
    }
}

/// Appends to `out` the entries of `dir` whose names are decimal numbers (pids in `/proc`,
/// tids in `task/`), rewinding `dir` first so that a directory fd can be listed again.
/// `buf` is the getdents buffer, reused between calls.
pub fn list_numeric(dir: BorrowedFd<'_>, buf: &mut Vec<u8>, out: &mut Vec<u32>) -> io::Result<()> {
    if buf.capacity() < 32 * 1024 {
        buf.reserve(32 * 1024);
    }
    rustix::fs::seek(dir, SeekFrom::Start(0))?;
    let start = out.len();
    loop {
        let mut entries = RawDir::new(dir, spare(buf));
        let mut too_small = false;
        while let Some(entry) = entries.next() {
            match entry {
                Ok(e) => {
                    if let Some(n) = crate::parse::dec_u64(e.file_name().to_bytes())
                        .and_then(|n| u32::try_from(n).ok())
                    {
                        out.push(n);
                    }
                }
                Err(Errno::INVAL) => {
                    too_small = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if !too_small {
            return Ok(());
        }
        // The buffer could not hold one entry: grow it and list again from the start.
        out.truncate(start);
        buf.reserve(buf.capacity() * 2);
        rustix::fs::seek(dir, SeekFrom::Start(0))?;
    }
}

fn spare(buf: &mut Vec<u8>) -> &mut [MaybeUninit<u8>] {
    buf.clear();
    buf.spare_capacity_mut()
}

/// True for the errors that mean the task (or process) no longer exists: it exited between
/// listing and reading, which is normal life, not a failure to report.
pub fn is_gone(e: Errno) -> bool {
    e == Errno::SRCH || e == Errno::NOENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_reads_and_lengths_of_own_cmdline() {
        let root = open_dir(rustix::fs::CWD, DEFAULT_ROOT).unwrap();
        let mut path = RelPath::new();
        path.num(std::process::id()).push(b"cmdline");
        let mut whole = Vec::new();
        read_file(root.as_fd(), &path, &mut whole).unwrap();
        let mut buf = Vec::new();
        let fd = read_capped(root.as_fd(), &path, &mut buf, 3).unwrap();
        assert_eq!(buf, whole[..3]);
        for known in [0, 1, 3, whole.len() as u64] {
            assert_eq!(length_from(fd.as_fd(), known), whole.len() as u64);
        }
        read_capped(root.as_fd(), &path, &mut buf, 1 << 20).unwrap();
        assert_eq!(buf, whole, "a short read is the end");
    }

    #[test]
    fn reads_own_stat_and_lists_own_tasks() {
        let root = open_dir(rustix::fs::CWD, DEFAULT_ROOT).unwrap();
        let me = std::process::id();
        let mut buf = Vec::new();
        let mut path = RelPath::new();
        path.num(me).push(b"stat");
        read_file(root.as_fd(), &path, &mut buf).unwrap();
        let stat = crate::parse::stat::parse(&buf).unwrap();
        assert!(stat.num_threads >= 1);

        path.clear().num(me).push(b"task");
        let task = open_dir(root.as_fd(), path.as_cstr()).unwrap();
        let mut dents = Vec::new();
        let mut tids = Vec::new();
        list_numeric(task.as_fd(), &mut dents, &mut tids).unwrap();
        assert!(tids.contains(&me));
        // Listing again through the same fd gives the same tids (the fd is rewound).
        let n = tids.len();
        list_numeric(task.as_fd(), &mut dents, &mut tids).unwrap();
        assert!(tids.len() > n);

        path.clear().push(b"self");
        read_link(root.as_fd(), &path, &mut buf).unwrap();
        assert_eq!(buf, me.to_string().as_bytes());
    }

    #[test]
    fn files_longer_than_a_read_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("tsnap-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("many"), &data).unwrap();
        let fd = open_dir(rustix::fs::CWD, &dir).unwrap();
        let mut path = RelPath::new();
        path.push(b"many");
        let mut buf = Vec::new();
        let read = read_to_end(fd.as_fd(), &path, &mut buf);
        std::fs::remove_dir_all(&dir).unwrap();
        read.unwrap();
        assert_eq!(buf, data);
    }

    #[test]
    fn tiny_buffers_grow() {
        let root = open_dir(rustix::fs::CWD, DEFAULT_ROOT).unwrap();
        let mut path = RelPath::new();
        path.push(b"self/status");
        let mut small = Vec::with_capacity(8);
        read_file(root.as_fd(), &path, &mut small).unwrap();
        assert!(small.starts_with(b"Name:") && small.ends_with(b"\n") && small.len() > 1024);
    }
}
