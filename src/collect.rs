//! The collector: the selected processes and their threads, kept between passes with their
//! files open, and one pass that reads them into [`Rows`].
//!
//! A pass reads `stat` of every thread (one `pread` on a cached fd, or openat+read+close), and
//! only for the threads that will be shown the files their columns need: `schedstat`,
//! `status`, `syscall` (the costliest: the kernel waits for the thread to be off CPU),
//! `wchan`, `stack`, the fd link. Per process it reads `cgroup` and the container's
//! `/etc/passwd` once, when asked for.
//! A thread that exits while being read is dropped without a word; a file that cannot be read
//! leaves its value missing and is counted in [`Problems`].

use crate::columns::{self, Column, Needs};
use crate::parse::{self, passwd, schedstat, stack, stat, status, syscall};
use crate::problems::{Problems, Reason};
use crate::procfs::{self, RelPath};
use crate::row::{Row, Rows, Span, Sys};
use crate::select::{Selection, Selector};
use crate::syscalls::{AT_FDCWD, Arg0};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{self, Errno};

/// The per-thread files a pass may read, in the order they are given fds from the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Stat,
    Schedstat,
    Status,
    Syscall,
    Wchan,
    Stack,
}

const FILES: usize = 6;

impl File {
    fn name(self) -> &'static [u8] {
        match self {
            File::Stat => b"stat",
            File::Schedstat => b"schedstat",
            File::Status => b"status",
            File::Syscall => b"syscall",
            File::Wchan => b"wchan",
            File::Stack => b"stack",
        }
    }
}

/// How the collector reads.
#[derive(Debug, Clone)]
pub struct Options {
    pub selection: Selection,
    pub needs: Needs,
    /// Show threads in every state, not only R and D.
    pub all_states: bool,
    /// More than one pass will be made (sampling, snap's CPU window): keep files open
    /// between passes, and measure CPU time to the nanosecond.
    pub cache_files: bool,
}

struct Task {
    tid: u32,
    files: [Option<OwnedFd>; FILES],
    /// The counters read in the last pass, which start the next window.
    last: Mark,
    gone: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Mark {
    /// When `schedstat` (or `stat`) was read, CLOCK_MONOTONIC ns.
    at: u64,
    cpu_ns: Option<u64>,
    wait_ns: Option<u64>,
    /// Voluntary and involuntary context switches.
    switches: Option<(u64, u64)>,
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

    fn open_files(&self) -> usize {
        self.files.iter().filter(|f| f.is_some()).count()
    }
}

struct Proc {
    pid: u32,
    /// `/proc/PID/task`, listed for threads and the base of every per-thread path.
    task_dir: OwnedFd,
    tasks: Vec<Task>,
    comm: Option<Vec<u8>>,
    cmdline: Option<Vec<u8>>,
    exe: Option<Vec<u8>>,
    /// `exe` is read once: a process keeps its executable.
    exe_read: bool,
    /// Whether tsnap may read the process's `fd/` (and so its wchan); checked once.
    ptrace_read: Option<bool>,
    /// `/proc/PID/cgroup`, read once, and the path that names the process's cgroup in it.
    cgroup: ReadOnce<Vec<u8>>,
    cgroup_path: Option<Vec<u8>>,
    /// The container's `/etc/passwd` (`/proc/PID/root/etc/passwd`), read once.
    passwd: ReadOnce<Vec<u8>>,
}

/// The largest `/etc/passwd` tsnap reads: a container's is a few KiB.
const PASSWD_CAP: usize = 1 << 20;

/// A per-process value read at most once: not tried yet, or what the read gave.
type ReadOnce<T> = Option<Option<T>>;

impl Proc {
    fn open_files(&self) -> usize {
        self.tasks.iter().map(Task::open_files).sum()
    }
}

/// File descriptors tsnap may keep open: the soft RLIMIT_NOFILE (raised to the hard limit),
/// less a reserve for everything else.
struct FdBudget {
    left: usize,
}

impl FdBudget {
    const RESERVE: u64 = 64;

    fn new() -> FdBudget {
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
            left: soft.saturating_sub(Self::RESERVE) as usize,
        }
    }
}

/// Counters for the sample footer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    pub processes: u64,
    pub threads: u64,
    /// Reads done without a cached fd because the fd budget ran out.
    pub uncached_reads: u64,
}

/// Buffers reused across every read.
#[derive(Default)]
struct Bufs {
    stat: Vec<u8>,
    file: Vec<u8>,
    link: Vec<u8>,
}

pub struct Collector {
    root: OwnedFd,
    selector: Selector,
    opts: Options,
    procs: Vec<Proc>,
    pids: Vec<u32>,
    tids: Vec<u32>,
    dents: Vec<u8>,
    bufs: Bufs,
    path: RelPath,
    budget: FdBudget,
    /// Threads known at the last refresh: non-`stat` fds are cached only while `stat` fds
    /// for all of them would still fit.
    known_tasks: usize,
    /// Why `schedstat` cannot be read on this system, once a read failed.
    schedstat_missing: Option<Reason>,
    ticks_per_sec: u64,
    pub problems: Problems,
    pub seen: Seen,
}

/// Time since boot from the mount's `uptime` (ns), read at most once a pass and only for a
/// lifetime `pcpu`.
#[derive(Default)]
struct Uptime(Option<Option<u64>>);

/// What a pass produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Only the CPU time of every thread, to start a `pcpu` window.
    Baseline,
    /// Rows for the threads to show.
    Full,
}

impl Collector {
    pub fn new(root: OwnedFd, opts: Options) -> Collector {
        let selector = Selector::new(&root, opts.selection.clone());
        Collector {
            root,
            selector,
            opts,
            procs: Vec::new(),
            pids: Vec::new(),
            tids: Vec::new(),
            dents: Vec::new(),
            bufs: Bufs::default(),
            path: RelPath::new(),
            budget: FdBudget::new(),
            known_tasks: 0,
            schedstat_missing: None,
            ticks_per_sec: rustix::param::clock_ticks_per_second().max(1),
            problems: Problems::default(),
            seen: Seen::default(),
        }
    }

    pub fn root(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    pub fn process_count(&self) -> usize {
        self.procs.len()
    }

    /// Each selected process whose `/proc/PID/cgroup` was read (with [`Needs::CGROUP`]),
    /// and its content.
    pub fn cgroups(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.procs
            .iter()
            .filter_map(|p| Some((p.pid, p.cgroup.as_ref()?.as_deref()?)))
    }

    /// The selected processes, in pid order.
    pub fn pids(&self) -> impl Iterator<Item = u32> + '_ {
        self.procs.iter().map(|p| p.pid)
    }

    /// Re-lists the selected processes and their threads: new ones are added, those gone
    /// are dropped with their open files.
    pub fn refresh(&mut self) -> io::Result<()> {
        self.selector.select(&self.root, &mut self.pids)?;
        let pids = &self.pids;
        let mut freed = 0;
        self.procs.retain(|p| {
            let keep = pids.binary_search(&p.pid).is_ok();
            if !keep {
                freed += p.open_files();
            }
            keep
        });
        for &pid in &self.pids {
            if let Err(at) = self.procs.binary_search_by_key(&pid, |p| p.pid) {
                self.path.clear().num(pid).push(b"task");
                if let Ok(task_dir) = procfs::open_dir(&self.root, self.path.as_cstr()) {
                    self.procs.insert(at, new_proc(pid, task_dir));
                    self.seen.processes += 1;
                }
            }
        }
        let mut known = 0;
        let mut i = 0;
        while i < self.procs.len() {
            self.tids.clear();
            let listed = procfs::list_numeric(
                self.procs[i].task_dir.as_fd(),
                &mut self.dents,
                &mut self.tids,
            );
            if listed.is_err() || self.tids.is_empty() {
                freed += self.procs.remove(i).open_files();
                continue;
            }
            self.tids.sort_unstable();
            let proc = &mut self.procs[i];
            let tids = &self.tids;
            proc.tasks.retain(|t| {
                let keep = tids.binary_search(&t.tid).is_ok();
                if !keep {
                    freed += t.open_files();
                }
                keep
            });
            for &tid in tids {
                if let Err(at) = proc.tasks.binary_search_by_key(&tid, |t| t.tid) {
                    proc.tasks.insert(at, Task::new(tid));
                    self.seen.threads += 1;
                }
            }
            known += proc.tasks.len();
            self.read_process_info(i);
            i += 1;
        }
        self.budget.left += freed;
        self.known_tasks = known;
        Ok(())
    }

    /// Reads what the columns need of the process itself: its name, command line, executable.
    fn read_process_info(&mut self, i: usize) {
        let needs = self.opts.needs;
        let proc = &mut self.procs[i];
        let pid = proc.pid;
        if needs.has(Needs::PCOMM) {
            self.path.clear().num(pid).push(b"comm");
            let read = procfs::read_file(self.root.as_fd(), &self.path, &mut self.bufs.file);
            store(
                &mut proc.comm,
                read.ok().map(|()| parse::trim_end(&self.bufs.file)),
            );
        }
        if needs.has(Needs::CMDLINE) {
            self.path.clear().num(pid).push(b"cmdline");
            let read = procfs::read_file(self.root.as_fd(), &self.path, &mut self.bufs.file);
            store(&mut proc.cmdline, read.ok().map(|()| &self.bufs.file[..]));
            if let Some(c) = &mut proc.cmdline {
                cmdline_text(c);
            }
        }
        if needs.has(Needs::CGROUP) && proc.cgroup.is_none() {
            self.path.clear().num(pid).push(b"cgroup");
            let file = procfs::read_file(self.root.as_fd(), &self.path, &mut self.bufs.file)
                .ok()
                .map(|()| self.bufs.file.clone());
            proc.cgroup_path = file
                .as_deref()
                .and_then(|f| parse::cgroup::membership(f).path())
                .map(<[u8]>::to_vec);
            proc.cgroup = Some(file);
        }
        if needs.has(Needs::EXE) && !proc.exe_read {
            proc.exe_read = true;
            self.path.clear().num(pid).push(b"exe");
            match procfs::read_link(self.root.as_fd(), &self.path, &mut self.bufs.link) {
                Ok(()) => proc.exe = Some(self.bufs.link.clone()),
                Err(e) if !procfs::is_gone(e) => self.problems.failed("exe", Reason::from_errno(e)),
                Err(_) => {}
            }
        }
    }

    /// Reads one pass. With [`Pass::Full`], `rows` gets one row per thread to show.
    pub fn pass(&mut self, kind: Pass, rows: &mut Rows) {
        rows.clear();
        // Room for every thread up front, and for a few hundred bytes of text each (a name,
        // a wchan, a stack): no copying as the rows grow, and none in a later pass whose
        // stacks happen to be deeper.
        rows.reserve(self.known_tasks, self.known_tasks * 512 + 4096);
        let mut uptime = Uptime::default();
        let mut freed = 0;
        for p in 0..self.procs.len() {
            let mut pcomm = None;
            let mut cmdline = None;
            let mut exe = None;
            let mut cgroup = None;
            for t in 0..self.procs[p].tasks.len() {
                let Some(mut row) = (match kind {
                    Pass::Baseline => {
                        self.baseline(p, t);
                        None
                    }
                    Pass::Full => self.read_row(p, t, &mut uptime, rows),
                }) else {
                    continue;
                };
                let proc = &self.procs[p];
                row.pcomm =
                    *pcomm.get_or_insert_with(|| proc.comm.as_deref().map(|c| rows.push_text(c)));
                row.cmdline = *cmdline
                    .get_or_insert_with(|| proc.cmdline.as_deref().map(|c| rows.push_text(c)));
                row.exe =
                    *exe.get_or_insert_with(|| proc.exe.as_deref().map(|c| rows.push_text(c)));
                row.cgroup = *cgroup
                    .get_or_insert_with(|| proc.cgroup_path.as_deref().map(|c| rows.push_text(c)));
                rows.rows.push(row);
            }
            let proc = &mut self.procs[p];
            proc.tasks.retain(|t| {
                if t.gone {
                    freed += t.open_files();
                }
                !t.gone
            });
        }
        self.budget.left += freed;
        // Processes are kept in pid order and their threads in tid order: so are the rows.
    }

    /// Reads the counters of thread `t` of process `p` that start its window.
    fn baseline(&mut self, p: usize, t: usize) {
        let needs = self.opts.needs;
        if needs.any(Needs::CPU.union(Needs::RUNQ)) {
            let now = monotonic_ns();
            match self.sched(p, t, None) {
                Ok((cpu_ns, wait_ns)) => {
                    let last = &mut self.procs[p].tasks[t].last;
                    (last.at, last.cpu_ns, last.wait_ns) = (now, cpu_ns, wait_ns);
                }
                Err(e) if procfs::is_gone(e) => self.procs[p].tasks[t].gone = true,
                Err(_) => {}
            }
        }
        if needs.any(Needs::VCSW.union(Needs::IVCSW)) {
            let mut buf = std::mem::take(&mut self.bufs.file);
            match self.read(p, t, File::Status, &mut buf) {
                Ok(()) => {
                    let st = status::task(&buf);
                    self.procs[p].tasks[t].last.switches = st.voluntary.zip(st.involuntary);
                }
                Err(e) if procfs::is_gone(e) => self.procs[p].tasks[t].gone = true,
                Err(_) => {}
            }
            self.bufs.file = buf;
        }
    }

    /// Reads one thread; `None` when it is gone or not to be shown.
    fn read_row(
        &mut self,
        p: usize,
        t: usize,
        uptime: &mut Uptime,
        rows: &mut Rows,
    ) -> Option<Row> {
        let mut stat_buf = std::mem::take(&mut self.bufs.stat);
        let row = self.read_row_with(p, t, uptime, rows, &mut stat_buf);
        self.bufs.stat = stat_buf;
        row
    }

    fn read_row_with(
        &mut self,
        p: usize,
        t: usize,
        uptime: &mut Uptime,
        rows: &mut Rows,
        stat_buf: &mut Vec<u8>,
    ) -> Option<Row> {
        if let Err(e) = self.read(p, t, File::Stat, stat_buf) {
            if procfs::is_gone(e) {
                self.procs[p].tasks[t].gone = true;
            } else {
                self.problems.failed("stat", Reason::from_errno(e));
            }
            return None;
        }
        // The state alone decides whether the thread is shown: parse the rest only then.
        let shown = match stat::state(stat_buf) {
            Some(state) => self.opts.all_states || matches!(state, b'R' | b'D'),
            None => true,
        };
        if !shown {
            return None;
        }
        let Some(st) = stat::parse(stat_buf) else {
            self.problems.failed("stat", Reason::Malformed);
            return None;
        };
        let proc = &self.procs[p];
        let mut row = Row {
            pid: proc.pid,
            tid: proc.tasks[t].tid,
            ppid: st.ppid,
            state: st.state,
            kernel_thread: st.kernel_thread,
            comm: rows.push_text(st.comm),
            pcomm: None,
            cmdline: None,
            exe: None,
            minflt: st.minflt,
            majflt: st.majflt,
            priority: st.priority,
            nice: st.nice,
            num_threads: st.num_threads,
            processor: st.processor,
            starttime: st.starttime,
            cputime_ns: None,
            pcpu: None,
            runq: None,
            vcsw: None,
            ivcsw: None,
            nspid: None,
            user: None,
            cgroup: None,
            wchan: None,
            sys: Sys::Unknown,
            filename: None,
            kstack: None,
        };
        let needs = self.opts.needs;
        if needs.any(Needs::CPU.union(Needs::RUNQ)) {
            self.read_cpu(p, t, &st, uptime, &mut row).ok()?;
        }
        if needs.has(Needs::STATUS) {
            self.read_status(p, t, &mut row, rows).ok()?;
        }
        if needs.has(Needs::SYSCALL) {
            self.read_syscall(p, t, &mut row, rows).ok()?;
        }
        if needs.has(Needs::WCHAN) {
            self.read_wchan(p, t, &mut row, rows).ok()?;
        }
        if needs.has(Needs::STACK) {
            self.read_stack(p, t, &mut row, rows).ok()?;
        }
        Some(row)
    }

    /// CPU time and run-queue wait in ns: `schedstat`'s, or where it cannot be read, `stat`
    /// ticks for the CPU time (parsed from `st` when given, read otherwise) and no wait.
    fn sched(
        &mut self,
        p: usize,
        t: usize,
        st: Option<&stat::Stat<'_>>,
    ) -> io::Result<(Option<u64>, Option<u64>)> {
        // Nanoseconds matter for cputime, runq and any window; a lifetime pcpu is as good
        // from ticks, and that saves reading schedstat.
        let needs = self.opts.needs;
        let precise = needs.has(Needs::CPUTIME) || needs.has(Needs::RUNQ) || self.opts.cache_files;
        if precise && self.schedstat_missing.is_none() {
            let mut buf = std::mem::take(&mut self.bufs.file);
            let read = self.read(p, t, File::Schedstat, &mut buf);
            let parsed = schedstat::parse(&buf);
            self.bufs.file = buf;
            match read {
                Ok(()) => {
                    if let Some(s) = parsed {
                        return Ok((Some(s.run_ns), Some(s.wait_ns)));
                    }
                }
                Err(e) if procfs::is_gone(e) => {
                    if self.task_exists(p, t) {
                        self.schedstat_missing = Some(Reason::NotProvided);
                    } else {
                        return Err(Errno::SRCH);
                    }
                }
                Err(e) => self.schedstat_missing = Some(Reason::from_errno(e)),
            }
        }
        if !self.opts.needs.has(Needs::CPU) {
            return Ok((None, None));
        }
        let ticks = match st {
            Some(st) => st.utime + st.stime,
            None => {
                let mut buf = std::mem::take(&mut self.bufs.stat);
                let read = self.read(p, t, File::Stat, &mut buf);
                let ticks = stat::parse(&buf).map(|s| s.utime + s.stime);
                self.bufs.stat = buf;
                read?;
                match ticks {
                    Some(t) => t,
                    None => return Ok((None, None)),
                }
            }
        };
        let cpu = ticks.saturating_mul(1_000_000_000) / self.ticks_per_sec;
        Ok((Some(cpu), None))
    }

    /// `pcpu` and `cputime`, and `runq`: over the window since the last pass, or (with no
    /// window, or for a thread born in it) over the thread's life, as ps does.
    // Out of line, as is read_status: inlined into `pass`, the two cost 3.5 KiB of binary.
    #[inline(never)]
    fn read_cpu(
        &mut self,
        p: usize,
        t: usize,
        st: &stat::Stat<'_>,
        uptime: &mut Uptime,
        row: &mut Row,
    ) -> Result<(), Gone> {
        let needs = self.opts.needs;
        if needs.has(Needs::RUNQ) {
            self.problems.tried(Column::Runq.name());
        }
        let (cpu, wait) = match self.sched(p, t, Some(st)) {
            Ok(v) => v,
            Err(e) if procfs::is_gone(e) => return Err(self.gone(p, t)),
            Err(_) => (None, None),
        };
        let now = monotonic_ns();
        let hz = self.ticks_per_sec;
        let root = self.root.as_fd();
        let buf = &mut self.bufs.file;
        let mut age_ns = || {
            let up = *uptime.0.get_or_insert_with(|| read_uptime_ns(root, buf));
            up.map(|up| up.saturating_sub(st.starttime.saturating_mul(1_000_000_000) / hz))
        };
        let task = &mut self.procs[p].tasks[t];
        let last = task.last;
        let window = |now_value: Option<u64>, before: Option<u64>| match (now_value, before) {
            (Some(v), Some(b)) if now > last.at => {
                Some(percent(v.saturating_sub(b), now - last.at))
            }
            _ => None,
        };
        if needs.has(Needs::CPU) {
            row.cputime_ns = cpu;
            row.pcpu = window(cpu, last.cpu_ns).or_else(|| {
                let ticks_ns = (st.utime + st.stime).saturating_mul(1_000_000_000) / hz;
                age_ns().map(|age| percent(ticks_ns, age))
            });
        }
        if needs.has(Needs::RUNQ) {
            row.runq = window(wait, last.wait_ns).or_else(|| Some(percent(wait?, age_ns()?)));
            if wait.is_none() {
                let reason = self.schedstat_missing.unwrap_or(Reason::Malformed);
                self.problems.failed(Column::Runq.name(), reason);
            }
        }
        if cpu.is_some() || wait.is_some() {
            task.last = Mark {
                at: now,
                cpu_ns: cpu,
                wait_ns: wait,
                ..last
            };
        }
        Ok(())
    }

    /// The columns from the thread's `status`: context switches (over the window, or since
    /// the thread started), its id in its pid namespace, its user.
    #[inline(never)]
    fn read_status(
        &mut self,
        p: usize,
        t: usize,
        row: &mut Row,
        rows: &mut Rows,
    ) -> Result<(), Gone> {
        let needs = self.opts.needs;
        let columns = [
            (Needs::VCSW, Column::Vcsw),
            (Needs::IVCSW, Column::Ivcsw),
            (Needs::NSPID, Column::Nspid),
            (Needs::USER, Column::User),
        ];
        for (need, column) in columns {
            if needs.has(need) {
                self.problems.tried(column.name());
            }
        }
        let mut buf = std::mem::take(&mut self.bufs.file);
        let read = self.read(p, t, File::Status, &mut buf);
        let st = status::task(&buf);
        self.bufs.file = buf;
        if let Err(e) = read {
            if procfs::is_gone(e) && !self.task_exists(p, t) {
                return Err(self.gone(p, t));
            }
            for (need, column) in columns {
                if needs.has(need) {
                    self.problems.failed(column.name(), Reason::from_errno(e));
                }
            }
            return Ok(());
        }
        let task = &mut self.procs[p].tasks[t];
        let switches = st.voluntary.zip(st.involuntary);
        let since = task.last.switches.unwrap_or_default();
        if let Some((v, i)) = switches {
            row.vcsw = Some(v.saturating_sub(since.0));
            row.ivcsw = Some(i.saturating_sub(since.1));
            task.last.switches = switches;
        }
        row.nspid = st.nspid;
        if needs.has(Needs::USER) {
            row.user = st.uid.map(|uid| self.user_name(p, uid, rows));
        }
        for (need, column, found) in [
            (Needs::VCSW, Column::Vcsw, row.vcsw.is_some()),
            (Needs::IVCSW, Column::Ivcsw, row.ivcsw.is_some()),
            (Needs::NSPID, Column::Nspid, row.nspid.is_some()),
            (Needs::USER, Column::User, row.user.is_some()),
        ] {
            if needs.has(need) && !found {
                self.problems.failed(column.name(), Reason::NoField);
            }
        }
        Ok(())
    }

    /// The name of `uid` in the process's own `/etc/passwd`, or the uid in digits when the
    /// file has no such user or cannot be read (no ptrace-read access to `root`).
    fn user_name(&mut self, p: usize, uid: u32, rows: &mut Rows) -> Span {
        let proc = &mut self.procs[p];
        if proc.passwd.is_none() {
            let buf = &mut self.bufs.link;
            proc.passwd = Some(
                crate::target::read_file(
                    self.root.as_fd(),
                    proc.pid,
                    c"etc/passwd",
                    PASSWD_CAP,
                    buf,
                )
                .ok()
                .map(|()| buf.clone()),
            );
        }
        let file = proc.passwd.as_ref().and_then(Option::as_deref);
        match file.and_then(|f| passwd::user_name(f, uid)) {
            Some(name) => rows.push_text(name),
            None => rows.push_text(itoa::Buffer::new().format(uid).as_bytes()),
        }
    }

    fn read_syscall(
        &mut self,
        p: usize,
        t: usize,
        row: &mut Row,
        rows: &mut Rows,
    ) -> Result<(), Gone> {
        self.problems.tried(Column::Syscall.name());
        if self.opts.needs.has(Needs::FD) {
            self.problems.tried(Column::Filename.name());
        }
        if row.kernel_thread {
            row.sys = Sys::KernelThread;
            row.filename = Some(rows.push_text(b""));
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.bufs.file);
        let read = self.read(p, t, File::Syscall, &mut buf);
        let parsed = syscall::parse(&buf);
        self.bufs.file = buf;
        if let Err(e) = read {
            return self.missing(p, t, Column::Syscall, e);
        }
        row.sys = match parsed {
            Some(syscall::Syscall::Running) => Sys::Running,
            Some(syscall::Syscall::Outside) => Sys::NotInSyscall,
            Some(syscall::Syscall::In { nr, args }) => Sys::Call { nr, args },
            None => {
                self.problems
                    .failed(Column::Syscall.name(), Reason::Malformed);
                return Ok(());
            }
        };
        if self.opts.needs.has(Needs::FD) {
            self.read_filename(p, t, row, rows);
        }
        Ok(())
    }

    /// The file behind the syscall's fd argument, as `fd/N` links to it.
    fn read_filename(&mut self, p: usize, t: usize, row: &mut Row, rows: &mut Rows) {
        let Some((kind, fd)) = columns::fd_argument(row.sys) else {
            row.filename = Some(rows.push_text(b""));
            return;
        };
        if kind == Arg0::Dirfd && fd == AT_FDCWD {
            row.filename = Some(rows.push_text(b"(cwd)"));
            return;
        }
        if fd < 0 {
            return;
        }
        let proc = &self.procs[p];
        self.path.clear().num(proc.tasks[t].tid).push(b"fd").num(fd);
        match procfs::read_link(proc.task_dir.as_fd(), &self.path, &mut self.bufs.link) {
            Ok(()) => {
                let start = rows.begin_text();
                let arena = rows.arena_mut();
                arena.extend_from_slice(&self.bufs.link);
                if let Some(name) = standard_stream(fd) {
                    arena.extend_from_slice(name);
                }
                row.filename = Some(rows.end_text(start));
            }
            // Closed since the syscall file was read: nothing to show, nothing to report.
            Err(Errno::NOENT) => {}
            Err(e) => self
                .problems
                .failed(Column::Filename.name(), Reason::from_errno(e)),
        }
    }

    fn read_wchan(
        &mut self,
        p: usize,
        t: usize,
        row: &mut Row,
        rows: &mut Rows,
    ) -> Result<(), Gone> {
        self.problems.tried(Column::Wchan.name());
        if !self.may_read_fds(p, t) {
            self.problems
                .failed(Column::Wchan.name(), Reason::NoPtraceRead);
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.bufs.file);
        let read = self.read(p, t, File::Wchan, &mut buf);
        if read.is_ok() {
            row.wchan = Some(rows.push_text(parse::trim_end(&buf)));
        }
        self.bufs.file = buf;
        match read {
            Ok(()) => Ok(()),
            Err(e) => self.missing(p, t, Column::Wchan, e),
        }
    }

    fn read_stack(
        &mut self,
        p: usize,
        t: usize,
        row: &mut Row,
        rows: &mut Rows,
    ) -> Result<(), Gone> {
        self.problems.tried(Column::Kstack.name());
        let mut buf = std::mem::take(&mut self.bufs.file);
        let read = self.read(p, t, File::Stack, &mut buf);
        if read.is_ok() {
            let start = rows.begin_text();
            let arena = rows.arena_mut();
            for (i, frame) in stack::frames(&buf).enumerate() {
                if i > 0 {
                    arena.push(b'\n');
                }
                arena.extend_from_slice(frame);
            }
            row.kstack = Some(rows.end_text(start));
        }
        self.bufs.file = buf;
        match read {
            Ok(()) => Ok(()),
            Err(e) => self.missing(p, t, Column::Kstack, e),
        }
    }

    /// Handles a failed read of a column's file: the thread is gone (drop the row), or the
    /// value is missing for a reason worth a footer line.
    fn missing(&mut self, p: usize, t: usize, column: Column, e: Errno) -> Result<(), Gone> {
        if procfs::is_gone(e) && !self.task_exists(p, t) {
            return Err(self.gone(p, t));
        }
        self.problems.failed(column.name(), Reason::from_errno(e));
        Ok(())
    }

    fn gone(&mut self, p: usize, t: usize) -> Gone {
        self.procs[p].tasks[t].gone = true;
        Gone
    }

    /// Whether the thread still exists, after a read said ENOENT: it exited, or the kernel
    /// lacks the file.
    fn task_exists(&mut self, p: usize, t: usize) -> bool {
        let proc = &self.procs[p];
        let task = &proc.tasks[t];
        if let Some(fd) = &task.files[File::Stat as usize] {
            return procfs::pread_whole(fd.as_fd(), &mut self.bufs.link).is_ok();
        }
        self.path.clear().num(task.tid);
        procfs::open_dir(proc.task_dir.as_fd(), self.path.as_cstr()).is_ok()
    }

    /// Whether tsnap has ptrace-read access to the process, judged once by reading its `io`
    /// (which the kernel refuses without it, even to root), or where the kernel has no `io`,
    /// by opening its `fd/` directory.
    fn may_read_fds(&mut self, p: usize, t: usize) -> bool {
        if let Some(ok) = self.procs[p].ptrace_read {
            return ok;
        }
        let proc = &self.procs[p];
        let tid = proc.tasks[t].tid;
        self.path.clear().num(tid).push(b"io");
        let denied = |r: io::Result<()>| matches!(r, Err(Errno::ACCESS | Errno::PERM));
        let ok = match procfs::read_file(proc.task_dir.as_fd(), &self.path, &mut self.bufs.link) {
            Err(Errno::NOENT) => {
                self.path.clear().num(tid).push(b"fd");
                !denied(procfs::open_dir(proc.task_dir.as_fd(), self.path.as_cstr()).map(drop))
            }
            r => !denied(r),
        };
        self.procs[p].ptrace_read = Some(ok);
        ok
    }

    /// Reads `file` of thread `t` into `buf`: a `pread` on its cached fd, or an open, a read
    /// and (when the file is not cached) a close.
    fn read(&mut self, p: usize, t: usize, file: File, buf: &mut Vec<u8>) -> io::Result<()> {
        let proc = &mut self.procs[p];
        let task = &mut proc.tasks[t];
        if let Some(fd) = &task.files[file as usize] {
            return procfs::pread_whole(fd.as_fd(), buf);
        }
        self.path.clear().num(task.tid).push(file.name());
        let fd = procfs::open_file(proc.task_dir.as_fd(), self.path.as_cstr())?;
        procfs::pread_whole(fd.as_fd(), buf)?;
        if self.opts.cache_files {
            let room = match file {
                File::Stat => self.budget.left > 0,
                _ => self.budget.left > self.known_tasks,
            };
            if room {
                self.budget.left -= 1;
                task.files[file as usize] = Some(fd);
            } else {
                self.seen.uncached_reads += 1;
            }
        }
        Ok(())
    }
}

/// The thread exited while it was being read: its row is dropped.
struct Gone;

fn new_proc(pid: u32, task_dir: OwnedFd) -> Proc {
    Proc {
        pid,
        task_dir,
        tasks: Vec::new(),
        comm: None,
        cmdline: None,
        exe: None,
        exe_read: false,
        ptrace_read: None,
        cgroup: None,
        cgroup_path: None,
        passwd: None,
    }
}

/// ` (stdin)`, ` (stdout)`, ` (stderr)` for fds 0, 1, 2.
fn standard_stream(fd: i32) -> Option<&'static [u8]> {
    match fd {
        0 => Some(b" (stdin)"),
        1 => Some(b" (stdout)"),
        2 => Some(b" (stderr)"),
        _ => None,
    }
}

/// Puts `value` in `slot`, reusing the allocation it holds: a refresh that finds nothing
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

fn percent(cpu_ns: u64, wall_ns: u64) -> f64 {
    if wall_ns == 0 {
        return 0.0;
    }
    (cpu_ns as f64 * 100.0 / wall_ns as f64).clamp(0.0, 100.0)
}

pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The first field of `uptime` (seconds since boot, with hundredths), in ns.
pub fn read_uptime_ns(root: BorrowedFd<'_>, buf: &mut Vec<u8>) -> Option<u64> {
    let mut path = RelPath::new();
    path.push(b"uptime");
    procfs::read_file(root, &path, buf).ok()?;
    let first = parse::words(buf).next()?;
    let (secs, frac) = match first.iter().position(|&b| b == b'.') {
        Some(dot) => (&first[..dot], &first[dot + 1..]),
        None => (first, &b""[..]),
    };
    let mut ns = parse::dec_u64(secs)?.checked_mul(1_000_000_000)?;
    let mut scale = 100_000_000;
    for &d in frac.iter().take(9) {
        ns += u64::from(d.checked_sub(b'0').filter(|d| *d <= 9)?) * scale;
        scale /= 10;
    }
    Some(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_and_streams() {
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
        assert_eq!(standard_stream(2), Some(&b" (stderr)"[..]));
        assert_eq!(standard_stream(3), None);
        assert_eq!(percent(50, 100), 50.0);
        assert_eq!(percent(500, 100), 100.0);
        assert_eq!(percent(1, 0), 0.0);
    }
}
