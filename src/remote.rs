//! The mounts of network and user-space file systems (FUSE, NFS, CIFS, ...) the selected
//! processes see, from their `mountinfo`, read once per mount namespace: a thread asleep in
//! a call on a file there may wait on a server or a daemon that does not answer. Nothing on
//! those mounts is ever opened or looked at, only `/proc`: a hung mount would hang tsnap.

use crate::parse::mountinfo;
use crate::procfs::{self, RelPath};
use rustix::fd::BorrowedFd;

#[derive(Default)]
pub struct RemoteMounts {
    /// Each mount namespace's id and its `mountinfo`, left empty when it has no such mount.
    spaces: Vec<(u64, Vec<u8>)>,
    /// Each process whose namespace could be read and the index of that namespace, in pid
    /// order.
    pids: Vec<(u32, usize)>,
}

impl RemoteMounts {
    /// Reads the mount tables of processes `pids` (in pid order) of the procfs mount `root`.
    pub fn read(root: BorrowedFd<'_>, pids: impl Iterator<Item = u32>) -> RemoteMounts {
        let mut all = RemoteMounts::default();
        let (mut path, mut buf) = (RelPath::new(), Vec::new());
        for pid in pids {
            path.clear().num(pid).push(b"ns/mnt");
            // Unreadable without ptrace-read access, as the calls of its threads are: its
            // mounts would say nothing of them.
            let Some(ns) = procfs::read_link(root, &path, &mut buf)
                .ok()
                .and_then(|()| namespace(&buf))
            else {
                continue;
            };
            let at = match all.spaces.iter().position(|s| s.0 == ns) {
                Some(at) => at,
                None => {
                    path.clear().num(pid).push(b"mountinfo");
                    let mut info = Vec::new();
                    let read = procfs::read_to_end(root, &path, &mut info).is_ok();
                    if !read || !mountinfo::mounts(&info).any(|m| mountinfo::served(m.fstype)) {
                        info = Vec::new();
                    }
                    all.spaces.push((ns, info));
                    all.spaces.len() - 1
                }
            };
            all.pids.push((pid, at));
        }
        all
    }

    /// Whether any of the processes sees such a mount.
    pub fn any(&self) -> bool {
        self.spaces.iter().any(|s| !s.1.is_empty())
    }

    /// The type of the network or user-space mount that `path` (absolute, as process `pid`
    /// sees it) lies on, its mount point put in `point`; `None` for a file elsewhere.
    pub fn of(&self, pid: u32, path: &[u8], point: &mut Vec<u8>) -> Option<&[u8]> {
        let at = self.pids.binary_search_by_key(&pid, |p| p.0).ok()?;
        let info = &self.spaces.get(self.pids[at].1)?.1;
        if !path.starts_with(b"/") || info.is_empty() {
            return None;
        }
        let m = mountinfo::mount_of(info, path, point)?;
        mountinfo::served(m.fstype).then_some(m.fstype)
    }
}

/// The id of a namespace from its link, `mnt:[4026531841]`.
fn namespace(link: &[u8]) -> Option<u64> {
    let inner = link.strip_prefix(b"mnt:[")?.strip_suffix(b"]")?;
    crate::parse::dec_u64(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fd::AsFd;

    #[test]
    fn namespace_ids() {
        assert_eq!(namespace(b"mnt:[4026531841]"), Some(4_026_531_841));
        assert_eq!(namespace(b"net:[4026531841]"), None);
        assert_eq!(namespace(b"mnt:[x]"), None);
    }

    #[test]
    fn reads_its_own_mounts() {
        let proc = procfs::open_dir(rustix::fs::CWD, "/proc").unwrap();
        let me = std::process::id();
        let mounts = RemoteMounts::read(proc.as_fd(), [me].into_iter());
        let mut point = Vec::new();
        assert_eq!(
            mounts.of(me, b"/proc/self", &mut point),
            None,
            "procfs is local"
        );
        assert_eq!(mounts.of(me + 1, b"/", &mut point), None, "not read");
        assert_eq!(mounts.pids.len(), 1);
    }
}
