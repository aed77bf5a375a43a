//! Touching what a target process controls: files inside its root, and the credentials to
//! touch them with.
//!
//! Everything reached through `/proc/PID/root` or `/proc/PID/cwd` belongs to the target, and
//! the target may be a hostile container looking at a root tsnap. So paths are resolved
//! inside the target's root and never outside it ([`root`]), files are opened without
//! blocking, checked to be what they should be and read to a cap, and root takes the target's
//! own user, groups and no capabilities while it does so ([`creds`]).

pub mod creds;
pub mod root;

use crate::procfs::{self, RelPath};
use creds::{AsTarget, Creds};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::{self, Errno};
use std::ffi::CStr;

/// Reads the regular file at `path` inside the root of process `pid` of the procfs mount
/// `proc_root` into `buf`, as the process's own user, if it holds at most `cap` bytes (see
/// [`root::read_regular`]). Reaching the root needs ptrace-read access to the process.
pub fn read_file(
    proc_root: BorrowedFd<'_>,
    pid: u32,
    path: &CStr,
    cap: usize,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    let mut rel = RelPath::new();
    rel.num(pid);
    let process = procfs::open_dir(proc_root, rel.as_cstr())?;
    let root = root::open_magic_dir(process.as_fd(), c"root")?;
    rel.clear().push(b"status");
    procfs::read_file(process.as_fd(), &rel, buf)?;
    let creds = Creds::from_status(buf).ok_or(Errno::INVAL)?;
    let _as = AsTarget::switch(&creds)?;
    root::read_regular(root.as_fd(), path, cap, buf)
}
