//! The procfs mount tsnap reads, and the facts of its system, each read once and passed down:
//! whether it is procfs at all (`--proc` may name a copied tree), tsnap's own pid in it, the
//! clock tick, tsnap's own `mountinfo`, and the time since boot (at most once a pass).

use super::{RelPath, list_numeric, open_dir, read_to_end};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io;
use std::cell::{Cell, OnceCell};

pub struct Mount {
    fd: OwnedFd,
    /// A procfs mount (by its statfs magic), not a copied tree: its `self` and
    /// `self/mountinfo` are tsnap's own.
    is_procfs: bool,
    ticks_per_sec: u64,
    mountinfo: OnceCell<Option<Vec<u8>>>,
    /// The last `uptime` read, until [`Mount::forget_uptime`].
    uptime_ns: Cell<Option<Option<u64>>>,
}

impl From<OwnedFd> for Mount {
    /// The mount open at `fd`.
    fn from(fd: OwnedFd) -> Mount {
        let is_procfs =
            rustix::fs::fstatfs(&fd).is_ok_and(|s| s.f_type == rustix::fs::PROC_SUPER_MAGIC);
        Mount {
            fd,
            is_procfs,
            ticks_per_sec: rustix::param::clock_ticks_per_second().max(1),
            mountinfo: OnceCell::new(),
            uptime_ns: Cell::new(None),
        }
    }
}

impl Mount {
    pub fn open(path: impl rustix::path::Arg) -> io::Result<Mount> {
        open_dir(rustix::fs::CWD, path).map(Mount::from)
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn is_procfs(&self) -> bool {
        self.is_procfs
    }

    /// Clock ticks per second, the unit of `stat`'s times.
    pub fn ticks_per_sec(&self) -> u64 {
        self.ticks_per_sec
    }

    /// Whether it holds any process directory (a numeric name).
    pub fn has_processes(&self) -> bool {
        let mut pids = Vec::new();
        list_numeric(self.fd(), &mut Vec::new(), &mut pids).is_ok() && !pids.is_empty()
    }

    /// tsnap's own pid in this mount, from `self`; none on a copied tree, whose `self` was
    /// another process.
    pub fn own_pid(&self) -> Option<u32> {
        if !self.is_procfs {
            return None;
        }
        let mut path = RelPath::new();
        path.push(b"self");
        let mut buf = Vec::new();
        super::read_link(self.fd(), &path, &mut buf).ok()?;
        crate::parse::dec_u64(&buf).and_then(|n| u32::try_from(n).ok())
    }

    /// The id of tsnap's own network namespace, from `self/ns/net`; none on a copied tree.
    pub fn own_net_ns(&self) -> Option<u64> {
        if !self.is_procfs {
            return None;
        }
        let mut path = RelPath::new();
        path.push(b"self").push(b"ns").push(b"net");
        let mut buf = Vec::new();
        super::read_link(self.fd(), &path, &mut buf).ok()?;
        crate::parse::net::namespace_id(&buf)
    }

    /// tsnap's own `mountinfo` (`self/mountinfo`), read the first time it is asked for;
    /// none on a copied tree.
    pub fn mountinfo(&self) -> Option<&[u8]> {
        self.mountinfo
            .get_or_init(|| {
                let mut path = RelPath::new();
                path.push(b"self/mountinfo");
                let mut info = Vec::new();
                let read = self.is_procfs && read_to_end(self.fd(), &path, &mut info).is_ok();
                read.then_some(info)
            })
            .as_deref()
    }

    /// The time since boot (`uptime`) in ns: read the first time it is asked for after
    /// [`Mount::forget_uptime`], without allocating.
    pub fn uptime_ns(&self) -> Option<u64> {
        if let Some(known) = self.uptime_ns.get() {
            return known;
        }
        let mut buf = [0u8; 128];
        let read = rustix::fs::openat(
            self.fd(),
            c"uptime",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .and_then(|fd| rustix::io::read(&fd, &mut buf));
        let uptime = read
            .ok()
            .and_then(|n| crate::parse::time::uptime_ns(&buf[..n]));
        self.uptime_ns.set(Some(uptime));
        uptime
    }

    /// Makes the next [`Mount::uptime_ns`] read the file again: a pass reads it at most once.
    pub fn forget_uptime(&self) {
        self.uptime_ns.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_systems_procfs_and_a_copy() {
        let proc = Mount::open("/proc").unwrap();
        assert!(proc.is_procfs() && proc.has_processes());
        assert_eq!(proc.own_pid(), Some(std::process::id()));
        assert!(
            proc.mountinfo()
                .is_some_and(|m| m.windows(5).any(|w| w == b"/proc"))
        );
        let up = proc.uptime_ns().unwrap();
        assert_eq!(proc.uptime_ns(), Some(up), "read once until forgotten");
        proc.forget_uptime();
        assert!(proc.uptime_ns().unwrap() >= up);

        let dir = std::env::temp_dir().join(format!("tsnap-mount-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("42")).unwrap();
        std::os::unix::fs::symlink("42", dir.join("self")).unwrap();
        let copy = Mount::open(&dir).unwrap();
        let facts = (copy.is_procfs(), copy.has_processes(), copy.own_pid());
        let (mountinfo, uptime) = (copy.mountinfo().is_some(), copy.uptime_ns());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(facts, (false, true, None), "a copy's self is not tsnap");
        assert_eq!((mountinfo, uptime), (false, None));
    }
}
