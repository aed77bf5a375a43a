//! The selected processes and their threads, kept from one listing to the next with the files
//! held open for them, and the budget of descriptors those files may take.
//!
//! Re-listing adds the processes and threads that appeared and drops those gone with their
//! open files; the others keep theirs, so re-listing as often as every pass costs a
//! `getdents64` per process, not a reopening of every file.

use super::Seen;
use super::cpu::Mark;
use super::reader::{FILES, File, Reader};
use crate::columns::{Column, Needs};
use crate::parse;
use crate::problems::Reason;
use crate::procfs;
use crate::select::Selector;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io;

pub struct Task {
    pub tid: u32,
    files: [Option<OwnedFd>; FILES],
    /// The counters read in the last pass, which start the next window.
    pub last: Mark,
    /// It exited while being read: dropped at the end of the pass.
    pub gone: bool,
}

impl Task {
    fn new(tid: u32) -> Task {
        Task {
            tid,
            files: Default::default(),
            last: Mark::default(),
            gone: false,
        }
    }

    /// The fd of `file` kept open for it, if any.
    pub fn kept(&self, file: File) -> Option<BorrowedFd<'_>> {
        self.files[file as usize].as_ref().map(|fd| fd.as_fd())
    }

    /// Keeps `fd`, just opened for `file`, if the budget allows; else it is closed.
    pub fn keep(&mut self, file: File, fd: OwnedFd, budget: &mut FdBudget) {
        if budget.grant(file) {
            self.files[file as usize] = Some(fd);
        }
    }
}

/// What holds descriptors kept open: a thread, a process (its threads').
trait OpenFiles {
    fn open_files(&self) -> usize;
}

impl OpenFiles for Task {
    fn open_files(&self) -> usize {
        self.files.iter().filter(|f| f.is_some()).count()
    }
}

impl OpenFiles for Proc {
    fn open_files(&self) -> usize {
        self.tasks.iter().map(Task::open_files).sum::<usize>() + usize::from(self.dir_counted)
    }
}

/// What the columns need of a process itself, read when it is listed.
#[derive(Default)]
pub struct ProcessInfo {
    pub comm: Option<Vec<u8>>,
    pub cmdline: Option<Vec<u8>>,
    pub exe: Option<Vec<u8>>,
    /// `exe` is read once: a process keeps its executable.
    exe_read: bool,
    /// Whether tsnap may read the process's `fd/` (and so its wchan); checked once.
    pub ptrace_read: Option<bool>,
    /// `/proc/PID/cgroup`, read once, and the path that names the process's cgroup in it.
    pub cgroup: ReadOnce<Vec<u8>>,
    pub cgroup_path: Option<Vec<u8>>,
    /// The container id and pod UID (with `-`) in those paths.
    pub container: Option<Vec<u8>>,
    pub pod: Option<Vec<u8>>,
    /// The thread count a `stat` of this pass gave (`num_threads`), and whether threads may
    /// have come or gone since the last listing (a count that differs from the listing's, a
    /// thread found gone): only then is `task/` listed again between refreshes.
    pub counted: Option<u64>,
    pub changed: bool,
    /// The container's `/etc/passwd` (`/proc/PID/root/etc/passwd`), read once.
    pub passwd: ReadOnce<Vec<u8>>,
}

/// A per-process value read at most once: not tried yet, or what the read gave.
pub type ReadOnce<T> = Option<Option<T>>;

pub struct Proc {
    pub pid: u32,
    /// `/proc/PID/task`, listed for threads and the base of every per-thread path. A process
    /// directory without one (in a copied tree) is read as a single thread, its files
    /// relative to the mount.
    task_dir: Option<OwnedFd>,
    /// Its `task_dir` was taken from the descriptor budget (there was room for it).
    dir_counted: bool,
    pub tasks: Vec<Task>,
    pub info: ProcessInfo,
}

impl Proc {
    /// The directory its per-thread paths (`TID/stat`) are relative to, its threads and
    /// what is known of the process, to use side by side.
    pub fn parts<'a>(
        &'a mut self,
        root: BorrowedFd<'a>,
    ) -> (BorrowedFd<'a>, &'a mut [Task], &'a mut ProcessInfo) {
        let dir = self.task_dir.as_ref().map_or(root, |d| d.as_fd());
        (dir, &mut self.tasks, &mut self.info)
    }

    /// Drops the threads that exited during the pass, and gives back their descriptors.
    pub fn drop_gone(&mut self, budget: &mut FdBudget) {
        budget.retain(&mut self.tasks, |t| !t.gone);
    }
}

/// The kernel memory the descriptors kept open may pin. Each open procfs file holds its
/// `struct file`, its `seq_file` and the page of text the kernel generated into it, about
/// 4.3 KiB (measured), all charged to tsnap's memory cgroup: inside a pod, the
/// application's. Unbounded, 15,000 idle threads made a `watch` of them peak at 114 MiB of
/// its cgroup, past the DaemonSet's 64 MiB limit.
const KEPT_MEMORY: u64 = 16 << 20;

/// What one kept procfs descriptor pins, rounded up from the 4.3 KiB measured.
const KEPT_COST: u64 = 4400;

/// At most this many descriptors are kept open (3,812): past them, files are opened, read and
/// closed each pass, which costs a little more CPU and no memory that stays.
const KEPT_MAX: u64 = KEPT_MEMORY / KEPT_COST;

/// File descriptors the collector may keep open: the soft RLIMIT_NOFILE (raised to the hard
/// limit), less a reserve for everything else, and no more than [`KEPT_MAX`]; none when files
/// are not to be kept.
pub struct FdBudget {
    keep: bool,
    left: usize,
    /// Threads known at the last listing: non-`stat` fds are kept only while `stat` fds for
    /// all of them would still fit.
    known_tasks: usize,
    /// Files read without being kept because the budget ran out.
    pub refused: u64,
}

impl FdBudget {
    const RESERVE: u64 = 64;

    pub fn new(keep: bool) -> FdBudget {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let mut limit = getrlimit(Resource::Nofile);
        if let (Some(cur), max) = (limit.current, limit.maximum)
            && max.is_none_or(|m| m > cur)
        {
            limit.current = max;
            if setrlimit(Resource::Nofile, limit).is_err() {
                limit = getrlimit(Resource::Nofile);
            }
        }
        let soft = limit.current.unwrap_or(1 << 20).min(1 << 20);
        FdBudget {
            keep,
            left: soft.saturating_sub(Self::RESERVE).min(KEPT_MAX) as usize,
            known_tasks: 0,
            refused: 0,
        }
    }

    /// Sets whether files opened from now on may be kept, and says whether they could.
    pub fn set_keep(&mut self, keep: bool) -> bool {
        std::mem::replace(&mut self.keep, keep)
    }

    fn grant(&mut self, file: File) -> bool {
        if !self.keep {
            return false;
        }
        let room = match file {
            File::Stat => self.left > 0,
            _ => self.left > self.known_tasks,
        };
        if room {
            self.left -= 1;
        } else {
            self.refused += 1;
        }
        room
    }

    /// Takes a process's `task/` directory, kept open, from what threads' files may keep:
    /// a node has hundreds of processes, and a container's limit may be 1024 descriptors.
    /// Whether there was room to count it.
    fn hold_dir(&mut self) -> bool {
        let room = self.left > 0;
        self.left -= usize::from(room);
        room
    }

    fn give_back(&mut self, fds: usize) {
        self.left += fds;
    }

    /// Keeps the items `keep` says to keep, and gives back the descriptors of the others.
    fn retain<T: OpenFiles>(&mut self, items: &mut Vec<T>, mut keep: impl FnMut(&T) -> bool) {
        items.retain(|item| {
            let kept = keep(item);
            if !kept {
                self.give_back(item.open_files());
            }
            kept
        });
    }
}

pub struct Table {
    /// In pid order, their threads in tid order.
    pub procs: Vec<Proc>,
    pub budget: FdBudget,
    pub seen: Seen,
    /// Processes found gone by a listing, until the caller takes them.
    pub exited: Vec<u32>,
    pids: Vec<u32>,
    tids: Vec<u32>,
    dents: Vec<u8>,
}

impl Table {
    pub fn new(keep_files: bool) -> Table {
        Table {
            procs: Vec::new(),
            budget: FdBudget::new(keep_files),
            seen: Seen::default(),
            exited: Vec::new(),
            pids: Vec::new(),
            tids: Vec::new(),
            dents: Vec::new(),
        }
    }

    /// Threads known at the last listing.
    pub fn known_tasks(&self) -> usize {
        self.budget.known_tasks
    }

    /// Lists the selected processes again: those that appeared are added, those gone
    /// dropped with their open files.
    pub fn relist_processes(
        &mut self,
        selector: &mut Selector,
        root: BorrowedFd<'_>,
        reader: &mut Reader,
    ) -> io::Result<()> {
        selector.select(root, &mut self.pids)?;
        let (pids, exited) = (&self.pids, &mut self.exited);
        self.budget.retain(&mut self.procs, |p| {
            let selected = pids.binary_search(&p.pid).is_ok();
            // Left out of the selection because it is gone, or because it no longer matches.
            if !selected && reader.open_dir(root, p.pid, b"").is_err() {
                exited.push(p.pid);
            }
            selected
        });
        for &pid in &self.pids {
            if let Err(at) = self.procs.binary_search_by_key(&pid, |p| p.pid) {
                let task_dir = match reader.open_dir(root, pid, b"task") {
                    Ok(dir) => Some(dir),
                    Err(e) if procfs::is_gone(e) && reader.open_dir(root, pid, b"").is_ok() => None,
                    Err(_) => continue,
                };
                let dir_counted = task_dir.is_some() && self.budget.hold_dir();
                self.procs.insert(
                    at,
                    Proc {
                        pid,
                        task_dir,
                        dir_counted,
                        tasks: Vec::new(),
                        info: ProcessInfo::default(),
                    },
                );
                self.seen.processes += 1;
            }
        }
        Ok(())
    }

    /// Lists the threads of every process again (keeping the files of those that remain), or
    /// with `only_changed` of those whose threads may have changed; drops the processes left
    /// without any; and with `info`, reads what `needs` of each process.
    pub fn relist_threads(
        &mut self,
        root: BorrowedFd<'_>,
        reader: &mut Reader,
        needs: Needs,
        info: bool,
        only_changed: bool,
    ) {
        let mut known = 0;
        let mut i = 0;
        while i < self.procs.len() {
            let proc = &mut self.procs[i];
            if only_changed && !proc.info.changed {
                known += proc.tasks.len();
                if info {
                    proc.info.read(reader, root, proc.pid, needs);
                }
                i += 1;
                continue;
            }
            proc.info.changed = false;
            self.tids.clear();
            let listed = match &proc.task_dir {
                Some(dir) => procfs::list_numeric(dir.as_fd(), &mut self.dents, &mut self.tids),
                None => reader
                    .open_dir(root, proc.pid, b"")
                    .map(|_| self.tids.push(proc.pid)),
            };
            if listed.is_err() || self.tids.is_empty() {
                let gone = self.procs.remove(i);
                self.exited.push(gone.pid);
                self.budget.give_back(gone.open_files());
                continue;
            }
            // Every listing: in place, with no allocation (not crate::sort).
            self.tids.sort_unstable();
            let tids = &self.tids;
            self.budget
                .retain(&mut proc.tasks, |t| tids.binary_search(&t.tid).is_ok());
            for &tid in tids {
                if let Err(at) = proc.tasks.binary_search_by_key(&tid, |t| t.tid) {
                    proc.tasks.insert(at, Task::new(tid));
                    self.seen.threads += 1;
                }
            }
            known += proc.tasks.len();
            if info {
                proc.info.read(reader, root, proc.pid, needs);
            }
            i += 1;
        }
        self.budget.known_tasks = known;
    }
}

impl ProcessInfo {
    /// Reads what `needs` of process `pid`: its name and command line (each listing), its
    /// cgroup and executable (once).
    fn read(&mut self, reader: &mut Reader, root: BorrowedFd<'_>, pid: u32, needs: Needs) {
        if needs.has(Needs::PCOMM) {
            let comm = reader.file(root, pid, b"comm").ok();
            store(&mut self.comm, comm.map(parse::trim_end));
        }
        if needs.has(Needs::CMDLINE) {
            self.read_cmdline(reader, root, pid);
        }
        if needs.has(Needs::CGROUP) && self.cgroup.is_none() {
            let file = reader.file(root, pid, b"cgroup").ok().map(<[u8]>::to_vec);
            self.cgroup_path = file
                .as_deref()
                .and_then(|f| parse::cgroup::membership(f).path())
                .map(<[u8]>::to_vec);
            let id = parse::cgroup::identity(file.as_deref().unwrap_or_default());
            // Disputed ids are marked `?`, the trusted hierarchy's id (if any) after it.
            let mark = |text: &mut Vec<u8>| {
                if id.disputed {
                    text.push(b'?');
                }
            };
            self.container = (id.container.is_some() || id.disputed).then(|| {
                let mut text = Vec::new();
                mark(&mut text);
                text.extend_from_slice(id.container.unwrap_or_default());
                text
            });
            self.pod = (id.pod.is_some() || id.disputed).then(|| {
                let mut text = Vec::new();
                mark(&mut text);
                parse::cgroup::uid_text(&mut text, id.pod.unwrap_or_default());
                text
            });
            if id.disputed {
                reader.problems.failed(Column::Container, Reason::Disputed);
            }
            self.cgroup = Some(file);
        }
        if needs.has(Needs::EXE) && !self.exe_read {
            self.exe_read = true;
            match reader.link(root, pid, b"exe", None) {
                Ok(exe) => self.exe = Some(exe.to_vec()),
                Err(e) if !procfs::is_gone(e) => {
                    reader.problems.failed(Column::Exe, Reason::from_errno(e))
                }
                Err(_) => {}
            }
        }
    }

    /// Reads the command line, its first [`CMDLINE_CAP`] bytes only: one longer is read whole
    /// once (its length, not its bytes: [`procfs::length_from`]), and again only when those
    /// first bytes change.
    fn read_cmdline(&mut self, reader: &mut Reader, root: BorrowedFd<'_>, pid: u32) {
        let Ok((raw, fd)) = reader.file_capped(root, pid, b"cmdline", CMDLINE_CAP + 1) else {
            self.cmdline = None;
            return;
        };
        if raw.len() <= CMDLINE_CAP {
            store(&mut self.cmdline, Some(raw));
            if let Some(c) = &mut self.cmdline {
                cmdline_text(c);
            }
            return;
        }
        let first = &raw[..CMDLINE_CAP];
        if self.cmdline.as_deref().is_some_and(|c| cut_from(c, first)) {
            return;
        }
        let total = procfs::length_from(fd.as_fd(), raw.len() as u64);
        cut_cmdline(self.cmdline.get_or_insert_default(), first, total);
    }
}

/// The longest command line kept, in bytes: a process's `cmdline` can be megabytes (an
/// argument list up to the stack limit), which would be read, kept and written in every row
/// of every pass. Past it, the text is cut with a mark: [`cut_cmdline`].
const CMDLINE_CAP: usize = 4096;

/// A command line cut to its first bytes `first`, the NUL separators as spaces, then the
/// mark `...[TOTAL bytes]`, `total` the length of the whole `cmdline`.
fn cut_cmdline(text: &mut Vec<u8>, first: &[u8], total: u64) {
    text.clear();
    text.extend(first.iter().map(|&b| if b == 0 { b' ' } else { b }));
    text.extend_from_slice(b"...[");
    text.extend_from_slice(itoa::Buffer::new().format(total).as_bytes());
    text.extend_from_slice(b" bytes]");
}

/// Whether `text` is a command line cut (by [`cut_cmdline`]) from one that began with `first`.
fn cut_from(text: &[u8], first: &[u8]) -> bool {
    text.len() > first.len()
        && text
            .iter()
            .zip(first)
            .all(|(&t, &f)| t == if f == 0 { b' ' } else { f })
}

/// Puts `value` in `slot`, reusing the allocation it holds: a listing that finds nothing
/// changed allocates nothing.
fn store(slot: &mut Option<Vec<u8>>, value: Option<&[u8]>) {
    match (slot.as_mut(), value) {
        (Some(v), Some(new)) => {
            v.clear();
            v.extend_from_slice(new);
        }
        (None, Some(new)) => *slot = Some(new.to_vec()),
        (_, None) => *slot = None,
    }
}

/// Turns a raw `cmdline` into text: the trailing NUL dropped, the NUL separators as spaces.
fn cmdline_text(cmdline: &mut Vec<u8>) {
    if cmdline.last() == Some(&0) {
        cmdline.pop();
    }
    for b in cmdline.iter_mut().filter(|b| **b == 0) {
        *b = b' ';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_text_and_store() {
        let text = |raw: &[u8]| {
            let mut v = raw.to_vec();
            cmdline_text(&mut v);
            v
        };
        assert_eq!(text(b"java\0-Xmx1g\0Main\0"), b"java -Xmx1g Main");
        assert_eq!(text(b""), b"");
        let mut slot = None;
        store(&mut slot, Some(&b"abc"[..]));
        store(&mut slot, Some(&b"de"[..]));
        assert_eq!(slot.as_deref(), Some(&b"de"[..]));
        store(&mut slot, None);
        assert_eq!(slot, None);
    }

    #[test]
    fn long_command_lines_are_cut_with_their_length() {
        let first = b"java\0-cp\0a.jar";
        let mut text = b"old".to_vec();
        cut_cmdline(&mut text, first, 6_291_456);
        assert_eq!(text, b"java -cp a.jar...[6291456 bytes]");
        assert!(cut_from(&text, first));
        assert!(!cut_from(&text, b"java\0-cp\0b.jar"), "another start");
        assert!(
            !cut_from(b"java -cp a.jar", first),
            "a whole one of that length"
        );
    }

    #[test]
    fn the_budget_keeps_stat_first() {
        let mut budget = FdBudget::new(true);
        budget.left = 3;
        budget.known_tasks = 2;
        assert!(budget.grant(File::Syscall), "3 left > 2 threads");
        assert!(!budget.grant(File::Syscall), "the last 2 are for stat");
        assert!(budget.grant(File::Stat) && budget.grant(File::Stat));
        assert!(!budget.grant(File::Stat));
        assert_eq!(budget.refused, 2);
        budget.give_back(1);
        assert!(budget.grant(File::Stat));
        // A process's task/ directory, kept open, leaves less for its threads' files.
        let mut dirs = FdBudget::new(true);
        dirs.left = 1;
        assert!(
            dirs.hold_dir() && !dirs.hold_dir(),
            "counted while there is room"
        );
        assert!(!dirs.grant(File::Stat));
        dirs.give_back(1);
        assert!(dirs.grant(File::Stat));
        let mut none = FdBudget::new(false);
        assert!(!none.grant(File::Stat));
        assert_eq!(none.refused, 0, "not keeping files is no refusal");
    }
}
