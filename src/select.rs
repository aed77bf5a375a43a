//! Which processes to look at: `-p`, `-C`, `-r`, or every process in the procfs mount, never
//! tsnap itself; narrowed by the container, pod or cgroup they run in (`--container`,
//! `--pod`, `--cgroup`), read from the cgroup paths container runtimes and the kubelet write,
//! and by their user (`-u`).
//!
//! A container or pod may also be named by its host name: the `HOSTNAME` its processes'
//! environment holds (runtimes and the kubelet set it: a pod's is its name). That is read
//! from `/proc/PID/environ`, bounded, never from a file inside the target's root, which could
//! hang on a mount the target serves. A process can write what it likes there, so a name
//! only picks among processes that run in a container (or a pod) at all.

use crate::parse::{self, cgroup, environ, status};
use crate::procfs::{self, RelPath};
use rustix::fd::BorrowedFd;
use rustix::io;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub pids: Vec<u32>,
    /// `-C`: prefixes or `*` patterns of the process name or of `argv[0]`'s base name.
    pub comms: Vec<Vec<u8>>,
    pub recursive: bool,
    /// `--container`: prefixes of container ids (hex), or containers' host names.
    pub containers: Vec<Vec<u8>>,
    /// `--pod`: prefixes of pod UIDs, lowercase, with `-` (as [`cgroup::uid_text`] writes),
    /// or pods' names (their host names).
    pub pods: Vec<Vec<u8>>,
    /// `-u`: effective uids.
    pub users: Vec<u32>,
    /// `--cgroup`: text one of the process's cgroup paths must hold.
    pub cgroups: Vec<Vec<u8>>,
}

impl Selection {
    fn everything(&self) -> bool {
        self.pids.is_empty() && self.comms.is_empty()
    }

    /// Whether processes are narrowed by where they run.
    pub fn narrowed(&self) -> bool {
        !self.containers.is_empty()
            || !self.pods.is_empty()
            || !self.cgroups.is_empty()
            || !self.users.is_empty()
    }

    /// Whether the processes were named one by one: by pid, container or pod, not by a
    /// name or a cgroup path that many may share.
    pub fn named(&self) -> bool {
        !self.pids.is_empty() || !self.containers.is_empty() || !self.pods.is_empty()
    }

    /// Whether a process whose `/proc/PID/cgroup` is `file` runs where the selection says:
    /// in one of the containers, one of the pods, and a cgroup holding one of the texts, for
    /// each of these it names. A container or pod is named by its id, or by `hostname`, the
    /// process's own `HOSTNAME` when known. A process whose hierarchies disagree on its
    /// container or pod (see [`cgroup::Identity::disputed`]) is in none.
    pub fn runs_in(&self, file: &[u8], hostname: Option<&[u8]>) -> bool {
        let id = cgroup::identity(file);
        if id.disputed && (!self.containers.is_empty() || !self.pods.is_empty()) {
            return false;
        }
        let mut uid = Vec::new();
        if let Some(pod) = id.pod {
            cgroup::uid_text(&mut uid, pod);
        }
        let any = |wanted: &[Vec<u8>], holds: &dyn Fn(&[u8]) -> bool| {
            wanted.is_empty() || wanted.iter().any(|w| holds(w))
        };
        let named = |wanted: &[u8]| hostname.is_some_and(|h| h.eq_ignore_ascii_case(wanted));
        any(&self.containers, &|prefix| {
            id.container.is_some_and(|c| {
                (c.len() >= prefix.len() && c[..prefix.len()].eq_ignore_ascii_case(prefix))
                    || named(prefix)
            })
        }) && any(&self.pods, &|prefix| {
            id.pod.is_some() && (uid.starts_with(prefix) || named(prefix))
        }) && any(&self.cgroups, &|text| {
            cgroup::paths(file).any(|p| p.windows(text.len()).any(|w| w == text))
        })
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
    /// For the processes seen at the last listing, whether they run where the selection
    /// says, by pid: a process's cgroup file is read once, not at every listing.
    runs_in: Vec<(u32, bool)>,
    /// For the processes listed last, whether their `argv[0]` matches `-C`, by pid: a
    /// command line is read once per process, not at every listing (it is read from the
    /// process's memory).
    argv0_matches: Vec<(u32, bool)>,
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
            runs_in: Vec::new(),
            argv0_matches: Vec::new(),
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
                let known = std::mem::take(&mut self.argv0_matches);
                for i in 0..self.listed.len() {
                    let pid = self.listed[i];
                    if self.comm_matches(root, pid, &known) {
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
        // Every listing: in place, with no allocation (not crate::sort).
        out.sort_unstable();
        out.dedup();
        if self.selection.narrowed() {
            self.narrow(root, out);
        }
        Ok(())
    }

    /// Keeps the pids in `out` (sorted) whose processes run where the selection says.
    fn narrow(&mut self, root: BorrowedFd<'_>, out: &mut Vec<u32>) {
        let known = std::mem::take(&mut self.runs_in);
        for &pid in out.iter() {
            let verdict = match known.binary_search_by_key(&pid, |k| k.0) {
                Ok(i) => known[i].1,
                Err(_) => self.user_matches(root, pid) && self.place_matches(root, pid),
            };
            self.runs_in.push((pid, verdict));
        }
        let verdicts = &self.runs_in;
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            verdicts[i - 1].1
        });
    }

    /// Whether the process runs as one of the users of `-u` (its effective uid), if any.
    fn user_matches(&mut self, root: BorrowedFd<'_>, pid: u32) -> bool {
        if self.selection.users.is_empty() {
            return true;
        }
        self.path.clear().num(pid).push(b"status");
        procfs::read_file(root, &self.path, &mut self.buf).is_ok()
            && status::field(&self.buf, b"Uid")
                .and_then(|ids| ids.split(|b| b.is_ascii_whitespace()).nth(1))
                .and_then(parse::dec_u64)
                .is_some_and(|uid| self.selection.users.iter().any(|&u| u64::from(u) == uid))
    }

    /// Whether the process runs in the containers, pods and cgroups selected, if any: by
    /// their ids first, and only when these miss, by its host name.
    fn place_matches(&mut self, root: BorrowedFd<'_>, pid: u32) -> bool {
        let s = &self.selection;
        if s.containers.is_empty() && s.pods.is_empty() && s.cgroups.is_empty() {
            return true;
        }
        self.path.clear().num(pid).push(b"cgroup");
        if procfs::read_file(root, &self.path, &mut self.buf).is_err() {
            return false;
        }
        if s.runs_in(&self.buf, None) {
            return true;
        }
        if s.containers.is_empty() && s.pods.is_empty() {
            return false;
        }
        let mut env = Vec::new();
        self.path.clear().num(pid).push(b"environ");
        read_start(root, &self.path, &mut env, ENVIRON_BYTES);
        let hostname = environ::value(&env, b"HOSTNAME");
        hostname.is_some() && s.runs_in(&self.buf, hostname)
    }

    /// Whether the process is named as `-C` says: its name (`comm`), or else the base name
    /// of its `argv[0]` (read bounded: only its start is needed), as `known` from the last
    /// listing says when it has the process. `known` is in the listing's order, by pid as
    /// procfs lists them; a process not found in it (or a listing out of order) is read again.
    fn comm_matches(&mut self, root: BorrowedFd<'_>, pid: u32, known: &[(u32, bool)]) -> bool {
        self.path.clear().num(pid).push(b"comm");
        if procfs::read_file(root, &self.path, &mut self.buf).is_err() {
            return false;
        }
        let comm = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
        let matches = |name: &[u8]| {
            let comms = &self.selection.comms;
            comms.iter().any(|c| environ::name_matches(c, name))
        };
        if matches(comm) {
            return true;
        }
        let verdict = match known.binary_search_by_key(&pid, |k| k.0) {
            Ok(i) => known[i].1,
            Err(_) => {
                self.path.clear().num(pid).push(b"cmdline");
                read_start(root, &self.path, &mut self.buf, ARGV0_BYTES);
                let base = environ::argv0_base(&self.buf);
                self.selection
                    .comms
                    .iter()
                    .any(|c| environ::name_matches(c, base))
            }
        };
        self.argv0_matches.push((pid, verdict));
        verdict
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

/// How much of `environ` is read for `HOSTNAME`, which runtimes put among the first strings.
const ENVIRON_BYTES: usize = 32 * 1024;

/// How much of `cmdline` is read for `argv[0]`: a path is at most 4096 bytes.
const ARGV0_BYTES: usize = 4096;

/// The first `max` bytes (at most) of the file `path`, in `buf`; empty if it cannot be read.
fn read_start(root: BorrowedFd<'_>, path: &RelPath, buf: &mut Vec<u8>, max: usize) {
    if procfs::read_capped(root, path, buf, max).is_err() {
        buf.clear();
    }
}

/// The names of the processes running now (their `comm`), sorted and once each: those near a
/// `-C` name that matched nothing are suggested.
pub fn names_now(root: BorrowedFd<'_>) -> Vec<String> {
    let (mut dents, mut pids, mut buf) = (Vec::new(), Vec::new(), Vec::new());
    let mut path = RelPath::new();
    let mut names = Vec::new();
    if procfs::list_numeric(root, &mut dents, &mut pids).is_err() {
        return names;
    }
    for pid in pids {
        path.clear().num(pid).push(b"comm");
        if procfs::read_file(root, &path, &mut buf).is_ok() {
            let comm = buf.strip_suffix(b"\n").unwrap_or(&buf);
            names.push(String::from_utf8_lossy(comm).into_owned());
        }
    }
    crate::sort::sort(&mut names);
    names.dedup();
    names
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_a_process_runs() {
        let id = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
        let pod = "6b1c5f8e_3a2d_4c1e_9f0a_1b2c3d4e5f60";
        let file =
            format!("0::/kubepods.slice/kubepods-pod{pod}.slice/cri-containerd-{id}.scope\n");
        let host = b"0::/system.slice/containerd.service\n";
        let sel = |containers: &[&str], pods: &[&str], cgroups: &[&str]| Selection {
            containers: containers.iter().map(|c| c.as_bytes().to_vec()).collect(),
            pods: pods.iter().map(|c| c.as_bytes().to_vec()).collect(),
            cgroups: cgroups.iter().map(|c| c.as_bytes().to_vec()).collect(),
            ..Selection::default()
        };
        let runs = |s: Selection| (s.runs_in(file.as_bytes(), None), s.runs_in(host, None));
        assert_eq!(runs(sel(&["3f4e5d"], &[], &[])), (true, false));
        assert_eq!(runs(sel(&["3F4E5D6C"], &[], &[])), (true, false));
        assert_eq!(runs(sel(&["000000", "3f4e5d"], &[], &[])), (true, false));
        assert_eq!(runs(sel(&["3f4e5e"], &[], &[])), (false, false));
        assert_eq!(runs(sel(&[], &["6b1c5f8e-3a2d"], &[])), (true, false));
        assert_eq!(runs(sel(&[], &["6b1c"], &["containerd"])), (true, false));
        assert_eq!(runs(sel(&[], &[], &["containerd"])), (true, true));
        assert_eq!(runs(sel(&[], &[], &["containerd.service"])), (false, true));
        assert_eq!(
            runs(sel(&["3f4e5d"], &["7"], &[])),
            (false, false),
            "both must hold"
        );
        // Moved into the container's name=systemd cgroup from another's.
        let other = "ef4d51311e5891f2c5e4e6c3062950da767d1c37bc336b62ddb19e7f29723b81";
        let forged = format!(
            "9:name=systemd:/kubepods/pod{}/{id}\n4:memory:/docker/{other}\n",
            pod.replace('_', "-")
        );
        for s in [
            sel(&["3f4e5d"], &[], &[]),
            sel(&[], &["6b1c"], &[]),
            sel(&["ef4d"], &[], &[]),
        ] {
            assert!(!s.runs_in(forged.as_bytes(), None), "{s:?}");
        }
        assert!(sel(&[], &[], &["kubepods"]).runs_in(forged.as_bytes(), None));
        assert!(sel(&[], &[], &["x"]).narrowed() && !sel(&[], &[], &["x"]).named());
        assert!(sel(&[], &["6b"], &[]).named());
        assert!(!Selection::default().narrowed());
        let named = |s: Selection, h: &str| {
            let h = Some(h.as_bytes());
            (s.runs_in(file.as_bytes(), h), s.runs_in(host, h))
        };
        assert_eq!(named(sel(&["web-1"], &[], &[]), "web-1"), (true, false));
        assert_eq!(named(sel(&["web-1"], &[], &[]), "WEB-1"), (true, false));
        assert_eq!(named(sel(&["web-1"], &[], &[]), "web-12"), (false, false));
        assert_eq!(named(sel(&[], &["shop-0"], &[]), "shop-0"), (true, false));
        assert_eq!(named(sel(&[], &["shop-0"], &[]), "shop"), (false, false));
        let user = Selection {
            users: vec![0],
            ..Selection::default()
        };
        assert!(user.narrowed() && !user.named());
    }
}
