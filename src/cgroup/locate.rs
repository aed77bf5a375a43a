//! Where the cgroup hierarchies are mounted, and so which directory holds a cgroup's files.
//!
//! The mounts come from tsnap's own `mountinfo` (in the `--proc` mount): each cgroup mount
//! under `SYS/fs/cgroup` with its root, the cgroup it shows. Inside a v1 container the
//! container's own cgroup is mounted at `/sys/fs/cgroup/CONTROLLER`, so a path from
//! `/proc/PID/cgroup` is found below the mount only after taking the mount's root off it.
//! Where `mountinfo` shows no cgroup mount under `SYS/fs/cgroup` (a copy of a host's /sys,
//! a fixture), the usual layout is assumed: v2 at `SYS/fs/cgroup`, or at
//! `SYS/fs/cgroup/unified` beside v1 controllers at `SYS/fs/cgroup/CONTROLLER`.

use crate::parse::mountinfo;
use crate::procfs;
use rustix::fd::OwnedFd;
use rustix::fs::CWD;

/// The hierarchies tsnap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    V2,
    Cpu,
    Cpuacct,
    Memory,
}

impl Hierarchy {
    fn controller(self) -> &'static [u8] {
        match self {
            Hierarchy::V2 => b"",
            Hierarchy::Cpu => b"cpu",
            Hierarchy::Cpuacct => b"cpuacct",
            Hierarchy::Memory => b"memory",
        }
    }
}

/// Why a cgroup's directory could not be opened, from the least to the most telling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missing {
    /// No mount of the hierarchy: nothing to read, nothing to say.
    NotMounted,
    /// The directory does not exist (or cannot be opened): the process moved, or `--sys`
    /// is not that host's.
    NotFound,
    /// The cgroup is outside what is mounted here (another container's, or beyond tsnap's
    /// cgroup namespace: a path with `..`).
    Outside,
}

struct Mount {
    hierarchy: Hierarchy,
    point: Vec<u8>,
    root: Vec<u8>,
}

/// The cgroup mounts under `SYS/fs/cgroup`.
pub struct Mounts {
    mounts: Vec<Mount>,
    /// `SYS/fs/cgroup`, for messages.
    pub base: Vec<u8>,
}

impl Mounts {
    /// Finds the mounts in `mountinfo` (when given) under the sysfs mount `sys`, else
    /// assumes the usual layout.
    pub fn find(sys: &[u8], info: Option<&[u8]>) -> Mounts {
        let mut base = sys.strip_suffix(b"/").unwrap_or(sys).to_vec();
        base.extend_from_slice(b"/fs/cgroup");
        let mut mounts = Vec::new();
        for m in mountinfo::mounts(info.unwrap_or_default()) {
            let mut point = Vec::new();
            mountinfo::unescape(m.point, &mut point);
            if below(&point, &base).is_none() {
                continue;
            }
            let mut root = Vec::new();
            mountinfo::unescape(m.root, &mut root);
            let hierarchies: &[Hierarchy] = match m.fstype {
                b"cgroup2" => &[Hierarchy::V2],
                b"cgroup" => &[Hierarchy::Cpu, Hierarchy::Cpuacct, Hierarchy::Memory],
                _ => &[],
            };
            for &h in hierarchies {
                let listed = m
                    .super_options
                    .split(|&b| b == b',')
                    .any(|o| o == h.controller());
                if h == Hierarchy::V2 || listed {
                    mounts.push(Mount {
                        hierarchy: h,
                        point: point.clone(),
                        root: root.clone(),
                    });
                }
            }
        }
        if mounts.is_empty() {
            mounts = usual(&base);
        }
        Mounts { mounts, base }
    }

    /// Opens the directory of the cgroup at `path` in hierarchy `h`.
    pub fn open(&self, h: Hierarchy, path: &[u8]) -> Result<OwnedFd, Missing> {
        let mut of_h = self.mounts.iter().filter(|m| m.hierarchy == h).peekable();
        if of_h.peek().is_none() {
            return Err(Missing::NotMounted);
        }
        if path.split(|&b| b == b'/').any(|c| c == b"..") {
            return Err(Missing::Outside);
        }
        let (m, rel) = of_h
            .find_map(|m| Some((m, below(path, &m.root)?)))
            .ok_or(Missing::Outside)?;
        procfs::open_dir(CWD, join(&m.point, rel)).map_err(|_| Missing::NotFound)
    }
}

/// `dir/name`.
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = dir.to_vec();
    if !name.is_empty() {
        path.push(b'/');
        path.extend_from_slice(name);
    }
    path
}

/// The layout systemd and container runtimes set up, for when mountinfo says nothing.
fn usual(base: &[u8]) -> Vec<Mount> {
    let mount = |hierarchy, point: Vec<u8>| Mount {
        hierarchy,
        point,
        root: b"/".to_vec(),
    };
    let is_v2 = |dir: &[u8]| procfs::open_file(CWD, join(dir, b"cgroup.controllers")).is_ok();
    let mut mounts = Vec::new();
    if let Some(v2) = [base.to_vec(), join(base, b"unified")]
        .into_iter()
        .find(|d| is_v2(d))
    {
        mounts.push(mount(Hierarchy::V2, v2));
    }
    for h in [Hierarchy::Cpu, Hierarchy::Cpuacct, Hierarchy::Memory] {
        let dir = join(base, h.controller());
        if procfs::open_dir(CWD, &dir[..]).is_ok() && !is_v2(&dir) {
            mounts.push(mount(h, dir));
        }
    }
    mounts
}

/// `path` relative to `root`, when it is `root` or below it (whole components only).
fn below<'p>(path: &'p [u8], root: &[u8]) -> Option<&'p [u8]> {
    let root = root.strip_suffix(b"/").unwrap_or(root);
    let rest = path.strip_prefix(root)?;
    if rest.is_empty() {
        return Some(rest);
    }
    rest.strip_prefix(b"/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_a_mount_root() {
        assert_eq!(below(b"/", b"/"), Some(&b""[..]));
        assert_eq!(below(b"/a/b", b"/"), Some(&b"a/b"[..]));
        assert_eq!(below(b"/docker/abc", b"/docker/abc"), Some(&b""[..]));
        assert_eq!(below(b"/docker/abc/x", b"/docker/abc"), Some(&b"x"[..]));
        assert_eq!(below(b"/docker/abcd", b"/docker/abc"), None);
        assert_eq!(below(b"/docker", b"/docker/abc"), None);
    }

    #[test]
    fn mounts_from_mountinfo() {
        let dir = std::env::temp_dir().join(format!("tsnap-locate-{}", std::process::id()));
        let sys = dir.to_str().unwrap().as_bytes();
        let base = dir.join("fs/cgroup");
        // The container's cgroup /docker/abc is mounted at memory/; the full hierarchy
        // would have it at memory/docker/abc.
        std::fs::create_dir_all(base.join("memory/inner")).unwrap();
        std::fs::create_dir_all(base.join("memory/docker/abc/inner")).unwrap();
        std::fs::create_dir_all(base.join("unified/user.slice")).unwrap();
        std::fs::write(base.join("unified/cgroup.controllers"), "\n").unwrap();
        let base_s = base.to_str().unwrap();
        let info = format!(
            "1 0 0:1 / / rw - ext4 /dev/root rw\n\
             2 1 0:2 /docker/abc {base_s}/memory rw - cgroup cgroup rw,memory\n\
             3 1 0:3 / {base_s}/unified rw - cgroup2 cgroup2 rw\n\
             4 1 0:4 / /elsewhere/cpu rw - cgroup cgroup rw,cpu\n"
        );
        let m = Mounts::find(sys, Some(info.as_bytes()));
        assert!(m.open(Hierarchy::Memory, b"/docker/abc").is_ok());
        assert!(m.open(Hierarchy::Memory, b"/docker/abc/inner").is_ok());
        assert_eq!(
            m.open(Hierarchy::Memory, b"/docker/other").err(),
            Some(Missing::Outside)
        );
        assert_eq!(
            m.open(Hierarchy::Memory, b"/docker/abc/gone").err(),
            Some(Missing::NotFound)
        );
        assert!(m.open(Hierarchy::V2, b"/user.slice").is_ok());
        assert_eq!(
            m.open(Hierarchy::V2, b"/../sibling").err(),
            Some(Missing::Outside)
        );
        // Mounted, but not under SYS/fs/cgroup.
        assert_eq!(
            m.open(Hierarchy::Cpu, b"/").err(),
            Some(Missing::NotMounted)
        );

        // No cgroup mount under SYS in mountinfo: the usual hybrid layout.
        let m = Mounts::find(sys, Some(b"1 0 0:1 / / rw - ext4 /dev/root rw\n"));
        assert!(m.open(Hierarchy::Memory, b"/docker/abc/inner").is_ok());
        assert!(m.open(Hierarchy::V2, b"/").is_ok());
        assert_eq!(
            m.open(Hierarchy::Cpu, b"/").err(),
            Some(Missing::NotMounted)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
