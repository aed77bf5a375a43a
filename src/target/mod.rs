//! Touching what a target process controls: files inside its root, and the credentials to
//! touch them with.
//!
//! Everything reached through `/proc/PID/root` or `/proc/PID/cwd` belongs to the target, and
//! the target may be a hostile container looking at a root tsnap. So paths are resolved
//! inside the target's root and never outside it ([`root`]), nothing is looked up on a FUSE
//! or network filesystem of the target's ([`Mounts`]), files are opened without blocking,
//! checked to be what they should be and read to a cap, and root takes the target's own
//! user, groups and no capabilities while it does so ([`creds`]).

pub mod creds;
pub mod root;

use crate::error::errno_name;
use crate::output::escape;
use crate::parse::mountinfo;
use crate::procfs::{self, RelPath};
use creds::{AsTarget, Creds};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags, StatxFlags};
use rustix::io::{self, Errno};
use std::ffi::{CStr, CString};

/// Reads the regular file at `path` inside the root of process `pid` of the procfs mount
/// `proc_root` into `buf`, as the process's own user, if it holds at most `cap` bytes (see
/// [`root::read_regular`]). Reaching the root needs ptrace-read access to the process. No
/// symlink is followed and nothing is looked up on a FUSE or network filesystem of the
/// process's ([`Mounts::open_dir`]; `EXDEV` when the path leads there).
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
    let mounts = Mounts::read(process.as_fd())?;
    rel.clear().push(b"status");
    procfs::read_file(process.as_fd(), &rel, buf)?;
    let creds = Creds::from_status(buf).ok_or(Errno::INVAL)?;
    let _as = AsTarget::switch(&creds)?;
    let path = path.to_bytes();
    let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[][..], path),
    };
    let dir = mounts
        .open_dir(root.as_fd(), dir, "the directory")
        .map_err(|_| Errno::XDEV)?;
    let name = CString::new(name).map_err(|_| Errno::INVAL)?;
    root::read_regular(dir.as_fd(), &name, OFlags::NOFOLLOW, cap, buf)
}

/// A target's mounts (its `/proc/PID/mountinfo`, and tsnap's own for a filesystem the
/// target's does not list, such as that of a chroot), to tell which filesystem a directory of
/// it is on before anything is looked up in it. A lookup in a FUSE filesystem waits for the
/// process that serves it, which may be the target, in a state that no signal ends once that
/// process has read the request; a network filesystem waits for its server. Reading /proc
/// waits for neither.
pub struct Mounts {
    target: Vec<u8>,
    own: Vec<u8>,
}

/// Whether `dir` is on a procfs mount (by its statfs magic), not in a copied tree.
fn on_procfs(dir: BorrowedFd<'_>) -> bool {
    rustix::fs::fstatfs(dir).is_ok_and(|s| s.f_type == rustix::fs::PROC_SUPER_MAGIC)
}

impl Mounts {
    /// The mounts of the process whose `/proc/PID` directory is `process`. A copied tree
    /// (`--proc` of a capture) may hold no `mountinfo`: its files are the copy's, on mounts
    /// of tsnap's own, so tsnap's own are judged.
    pub fn read(process: BorrowedFd<'_>) -> io::Result<Mounts> {
        let mut rel = RelPath::new();
        rel.push(b"mountinfo");
        let mut target = Vec::new();
        match procfs::read_to_end(process, &rel, &mut target) {
            Ok(_) => {}
            Err(Errno::NOENT) if !on_procfs(process) => target.clear(),
            Err(e) => return Err(e),
        }
        let own = std::fs::read("/proc/thread-self/mountinfo").unwrap_or_default();
        Ok(Mounts { target, own })
    }

    /// `Ok` when the directory `dir` is on a filesystem that no process and no network
    /// serves; otherwise says which it is, `what` naming the directory. The mount is found by
    /// the id `statx` gives (Linux 5.8+), else by the device of the filesystem (a btrfs
    /// subvolume has a device of its own, a chroot's mount is not in its `mountinfo`); `statx`
    /// is asked not to ask the filesystem (`AT_STATX_DONT_SYNC`).
    pub fn local(&self, dir: BorrowedFd<'_>, what: &str) -> Result<(), String> {
        let flags = AtFlags::EMPTY_PATH | AtFlags::STATX_DONT_SYNC;
        let st = rustix::fs::statx(dir, c"", flags, StatxFlags::MNT_ID).map_err(|e| {
            format!(
                "cannot tell which filesystem {what} is on: {}",
                errno_name(e)
            )
        })?;
        let id = (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then(|| st.stx_mnt_id.to_string());
        let device = format!("{}:{}", st.stx_dev_major, st.stx_dev_minor);
        let mount = (id.as_ref())
            .and_then(|id| mountinfo::find(&self.target, 0, id.as_bytes()))
            .or_else(|| mountinfo::find(&self.target, 2, device.as_bytes()))
            .or_else(|| mountinfo::find(&self.own, 2, device.as_bytes()));
        match mount {
            Some((_, fstype)) if !mountinfo::served(fstype) => Ok(()),
            Some((point, fstype)) => {
                let mut shown = Vec::new();
                mountinfo::unescape(point, &mut shown);
                Err(format!(
                    "{what} is on a {} mount (at {}), which a process or a network server \
                     answers for: not touching it",
                    escape::display(fstype),
                    escape::display(&shown)
                ))
            }
            None => Err(format!(
                "{what} is on a filesystem ({device}) that no mountinfo lists: not touching it"
            )),
        }
    }

    /// Opens the directory `path` (relative, `/`-separated, no `..`) inside `root`, one
    /// component at a time, each looked up only in a directory found [`Mounts::local`] and
    /// never through a symlink: so no lookup reaches a FUSE or network filesystem, even by a
    /// link planted to lead into one. The directory returned is local too.
    pub fn open_dir(
        &self,
        root: BorrowedFd<'_>,
        path: &[u8],
        what: &str,
    ) -> Result<OwnedFd, String> {
        let mut dir = rustix::io::fcntl_dupfd_cloexec(root, 0)
            .map_err(|e| format!("cannot reach {what}: {}", errno_name(e)))?;
        self.local(dir.as_fd(), what)?;
        for name in path
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty() && *p != b".")
        {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let opened = match name {
                b".." => Err(Errno::XDEV),
                _ => rustix::fs::openat(&dir, name, flags, Mode::empty()),
            };
            dir = opened.map_err(|e| match e {
                Errno::LOOP | Errno::NOTDIR => {
                    format!("{what} is a symlink (or leads through one): not following it")
                }
                e => format!("cannot open {what}: {}", errno_name(e)),
            })?;
            self.local(dir.as_fd(), what)?;
        }
        Ok(dir)
    }
}
