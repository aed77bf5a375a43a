//! One thread in one pass: its `stat` (the state decides whether it is shown), and for a
//! thread to show the files its columns need, into a [`Row`]. A thread that exits while being
//! read is dropped without a word; a file that cannot be read leaves its value missing and is
//! counted for the footer.

use super::Options;
use super::cpu::{self, Mark};
use super::reader::{File, Reader};
use super::sockets::{Found, Sockets};
use super::table::{FdBudget, ProcessInfo, Task};
use crate::clock::monotonic_ns;
use crate::columns::{Column, Needs};
use crate::parse::{
    self, Span, io as io_file, net, passwd, schedstat, stack, stat, status, syscall,
};
use crate::problems::Reason;
use crate::procfs::{self, Mount};
use crate::row::{Endpoint, Row, Rows, Syscall};
use crate::syscalls::{self, AT_FDCWD, Arg0};
use rustix::fd::BorrowedFd;
use rustix::io::{self, Errno};

/// A thread being read, with what reading it takes.
pub struct Thread<'a> {
    pub reader: &'a mut Reader,
    pub sockets: &'a mut Sockets,
    pub budget: &'a mut FdBudget,
    pub mount: &'a Mount,
    pub opts: &'a Options,
    pub pid: u32,
    /// The directory its files are relative to (`TID/stat`).
    pub dir: BorrowedFd<'a>,
    pub info: &'a mut ProcessInfo,
    pub task: &'a mut Task,
}

/// The longest path a call takes, with its NUL.
const PATH_MAX: usize = 4096;

/// The largest `/etc/passwd` tsnap reads: a container's is a few KiB.
const PASSWD_CAP: usize = 1 << 20;

/// The thread exited while it was being read: its row is dropped.
struct Gone;

/// The columns read from a thread's `status`.
const STATUS_COLUMNS: [(Needs, Column); 4] = [
    (Needs::VCSW, Column::Vcsw),
    (Needs::IVCSW, Column::Ivcsw),
    (Needs::NSPID, Column::Nspid),
    (Needs::USER, Column::User),
];

/// The columns read from a thread's `io`.
const IO_COLUMNS: [(Needs, Column); 4] = [
    (Needs::RCHAR, Column::Rchar),
    (Needs::WCHAR, Column::Wchar),
    (Needs::RBYTES, Column::Rbytes),
    (Needs::WBYTES, Column::Wbytes),
];

impl Thread<'_> {
    /// Reads `file`: through the fd kept for it, or opened (and kept if the budget allows).
    fn read(&mut self, file: File) -> io::Result<&[u8]> {
        let kept = self.task.kept(file);
        let (bytes, opened) = self
            .reader
            .thread_file(self.dir, self.task.tid, file, kept)?;
        if let Some(fd) = opened {
            self.task.keep(file, fd, self.budget);
        }
        Ok(bytes)
    }

    /// Reads the counters that start the thread's window.
    pub fn baseline(&mut self) {
        let needs = self.opts.needs;
        if needs.any(Needs::CPU.union(Needs::RUNQ)) {
            let now = monotonic_ns();
            match self.sched(None) {
                Ok((cpu_ns, wait_ns, _)) => {
                    let last = &mut self.task.last;
                    (last.at, last.cpu_ns, last.wait_ns) = (now, cpu_ns, wait_ns);
                }
                Err(e) if procfs::is_gone(e) => self.task.gone = true,
                Err(_) => {}
            }
        }
        if needs.any(Needs::VCSW.union(Needs::IVCSW)) {
            match self.read(File::Status).map(status::task) {
                Ok(st) => self.task.last.switches = st.voluntary.zip(st.involuntary),
                Err(e) if procfs::is_gone(e) => self.task.gone = true,
                Err(_) => {}
            }
        }
        if needs.has(Needs::IO) {
            let now = monotonic_ns();
            match self.read(File::Io).map(io_file::parse) {
                Ok(io) => self.task.last.io = io.map(|io| (now, io)),
                Err(e) if procfs::is_gone(e) => self.task.gone = true,
                Err(_) => {}
            }
        }
    }

    /// Reads the thread's row; `None` when it is gone or not to be shown.
    pub fn row(&mut self, rows: &mut Rows) -> Option<Row> {
        self.reader.problems.tried_stat();
        let (pid, tid, all_states) = (self.pid, self.task.tid, self.opts.all_states);
        let buf = match self.read(File::Stat) {
            Ok(buf) => buf,
            Err(e) => {
                self.stat_missing(e);
                return None;
            }
        };
        // The state alone decides whether the thread is shown: parse the rest only then.
        let state = stat::state(buf);
        let counted = stat::num_threads(buf);
        rows.tally.add(state.unwrap_or(b'?'));
        let shown = match state {
            Some(state) => all_states || matches!(state, b'R' | b'D'),
            None => true,
        };
        if !shown {
            self.info.counted = self.info.counted.or(counted);
            return None;
        }
        let Some(st) = stat::parse(buf) else {
            self.reader.problems.stat_failed(Reason::Malformed);
            return None;
        };
        let ticks = st.utime + st.stime;
        let mut row = Row {
            pid,
            tid,
            ppid: st.ppid,
            state: st.state,
            kernel_thread: st.kernel_thread,
            comm: rows.push_text(st.comm),
            minflt: st.minflt,
            majflt: st.majflt,
            priority: st.priority,
            nice: st.nice,
            num_threads: st.num_threads,
            processor: st.processor,
            starttime: st.starttime,
            ..Row::default()
        };
        self.info.counted = self.info.counted.or(counted);
        let needs = self.opts.needs;
        if needs.any(Needs::CPU.union(Needs::RUNQ)) {
            self.read_cpu(ticks, &mut row).ok()?;
        }
        if needs.has(Needs::STATUS) {
            self.read_status(&mut row, rows).ok()?;
        }
        if needs.has(Needs::SYSCALL) {
            self.read_syscall(&mut row, rows).ok()?;
        }
        // The stack first: where it is read, its first frame outside the scheduler is the
        // wchan, and the `wchan` file need not be read.
        let mut innermost = None;
        if needs.has(Needs::STACK) {
            innermost = self.read_stack(&mut row, rows).ok()?;
        }
        if needs.has(Needs::WCHAN) {
            self.read_wchan(innermost, &mut row, rows).ok()?;
        }
        if needs.has(Needs::IO) {
            self.read_io(&mut row).ok()?;
        }
        Some(row)
    }

    /// A `stat` that could not be read: the thread exited, unless it still has its `status`
    /// (a copied tree without the file), which is told in the footer like any failure.
    fn stat_missing(&mut self, e: Errno) {
        if procfs::is_gone(e)
            && self
                .reader
                .file(self.dir, self.task.tid, b"status")
                .is_err()
        {
            self.task.gone = true;
        } else {
            self.reader.problems.stat_failed(Reason::from_errno(e));
        }
    }

    /// CPU time and run-queue wait in ns, and the times it was put on a CPU: `schedstat`'s,
    /// or where it cannot be read, `stat` ticks for the CPU time (`ticks` when given, read
    /// otherwise) and no wait.
    fn sched(&mut self, ticks: Option<u64>) -> io::Result<(Option<u64>, Option<u64>, Option<u64>)> {
        // Nanoseconds matter for cputime, runq and any window; a lifetime pcpu is as good
        // from ticks, and that saves reading schedstat.
        let needs = self.opts.needs;
        let precise = needs.has(Needs::CPUTIME) || needs.has(Needs::RUNQ) || self.opts.cache_files;
        if precise && self.reader.schedstat_missing.is_none() {
            match self.read(File::Schedstat).map(schedstat::parse) {
                Ok(Some(s)) => return Ok((Some(s.run_ns), Some(s.wait_ns), s.slices)),
                Ok(None) => {}
                Err(e) if procfs::is_gone(e) => {
                    if !self.exists() {
                        return Err(Errno::SRCH);
                    }
                    self.reader.schedstat_missing = Some(Reason::NotProvided);
                }
                Err(e) => self.reader.schedstat_missing = Some(Reason::from_errno(e)),
            }
        }
        if !needs.has(Needs::CPU) {
            return Ok((None, None, None));
        }
        let ticks = match ticks {
            Some(ticks) => ticks,
            None => match stat::parse(self.read(File::Stat)?) {
                Some(st) => st.utime + st.stime,
                None => return Ok((None, None, None)),
            },
        };
        Ok((
            Some(cpu::ticks_ns(ticks, self.mount.ticks_per_sec())),
            None,
            None,
        ))
    }

    /// `pcpu` and `cputime`, and `runq`: over the window since the last pass, or (with no
    /// window, or for a thread born in it) over the thread's life, as ps does.
    // Out of line, as is read_status: inlined into the pass, the two cost 3.5 KiB of binary.
    #[inline(never)]
    fn read_cpu(&mut self, ticks: u64, row: &mut Row) -> Result<(), Gone> {
        let needs = self.opts.needs;
        if needs.has(Needs::CPU) {
            self.reader.problems.tried(Column::Pcpu);
        }
        if needs.has(Needs::RUNQ) {
            self.reader.problems.tried(Column::Runq);
        }
        let (cpu, wait, slices) = match self.sched(Some(ticks)) {
            Ok(v) => v,
            Err(e) if procfs::is_gone(e) => return Err(self.gone()),
            Err(_) => (None, None, None),
        };
        row.slices = slices;
        let now = monotonic_ns();
        let (mount, hz, started) = (self.mount, self.mount.ticks_per_sec(), row.starttime);
        let age = || Some(cpu::age_ns(mount.uptime_ns()?, started, hz));
        let last = self.task.last;
        let problems = &mut self.reader.problems;
        if needs.has(Needs::CPU) {
            row.cputime_ns = cpu;
            row.pcpu = last
                .window(now, cpu, last.cpu_ns)
                .or_else(|| Some(cpu::percent(cpu::ticks_ns(ticks, hz), age()?)));
            if row.pcpu.is_none() {
                problems.failed(Column::Pcpu, Reason::NoUptime);
            }
        }
        row.wait_ns = wait;
        if needs.has(Needs::RUNQ) {
            row.runq = last
                .window(now, wait, last.wait_ns)
                .or_else(|| Some(cpu::percent(wait?, age()?)));
            match (wait, row.runq) {
                (None, _) => {
                    let reason = self.reader.schedstat_missing.unwrap_or(Reason::Malformed);
                    problems.failed(Column::Runq, reason);
                }
                (Some(_), None) => problems.failed(Column::Runq, Reason::NoUptime),
                _ => {}
            }
        }
        if cpu.is_some() || wait.is_some() {
            self.task.last = Mark {
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
    fn read_status(&mut self, row: &mut Row, rows: &mut Rows) -> Result<(), Gone> {
        let needs = self.opts.needs;
        let mut wanted = [Column::Vcsw; 4];
        let mut count = 0;
        for (need, column) in STATUS_COLUMNS {
            if needs.has(need) {
                self.reader.problems.tried(column);
                wanted[count] = column;
                count += 1;
            }
        }
        let wanted = &wanted[..count];
        let st = match self.read(File::Status) {
            Ok(buf) => status::task(buf),
            Err(e) => return self.missing(wanted, e),
        };
        let switches = st.voluntary.zip(st.involuntary);
        let since = self.task.last.switches.unwrap_or_default();
        if let Some((v, i)) = switches {
            row.vcsw = Some(v.saturating_sub(since.0));
            row.ivcsw = Some(i.saturating_sub(since.1));
            self.task.last.switches = switches;
        }
        row.nspid = st.nspid;
        if needs.has(Needs::USER) {
            row.user = st.uid.map(|uid| self.user_name(uid, rows));
        }
        for &column in wanted {
            let found = match column {
                Column::Vcsw => row.vcsw.is_some(),
                Column::Ivcsw => row.ivcsw.is_some(),
                Column::Nspid => row.nspid.is_some(),
                _ => row.user.is_some(),
            };
            if !found {
                self.reader.problems.failed(column, Reason::NoField);
            }
        }
        Ok(())
    }

    /// The name of `uid` in the process's own `/etc/passwd`, or the uid in digits when the
    /// file has no such user or cannot be read (no ptrace-read access to `root`).
    fn user_name(&mut self, uid: u32, rows: &mut Rows) -> Span {
        let info = &mut *self.info;
        if info.passwd.is_none() {
            info.passwd = Some(
                self.reader
                    .in_root(self.mount.fd(), self.pid, c"etc/passwd", PASSWD_CAP)
                    .ok()
                    .map(<[u8]>::to_vec),
            );
        }
        let file = info.passwd.as_ref().and_then(Option::as_deref);
        match file.and_then(|f| passwd::user_name(f, uid)) {
            Some(name) => rows.push_text(name),
            None => rows.push_text(itoa::Buffer::new().format(uid).as_bytes()),
        }
    }

    fn read_syscall(&mut self, row: &mut Row, rows: &mut Rows) -> Result<(), Gone> {
        self.reader.problems.tried(Column::Syscall);
        if self.opts.needs.has(Needs::FD) {
            self.reader.problems.tried(Column::Filename);
        }
        if self.opts.needs.has(Needs::ENDPOINT) {
            self.reader.problems.tried(Column::Endpoint);
        }
        if row.kernel_thread {
            row.syscall = Syscall::KernelThread;
            row.filename = Some(rows.push_text(b""));
            row.endpoint = Endpoint::None;
            return Ok(());
        }
        let line = match self.read(File::Syscall) {
            Ok(buf) => syscall::parse(buf),
            Err(e) => return self.missing(&[Column::Syscall], e),
        };
        let Some(line) = line else {
            self.reader
                .problems
                .failed(Column::Syscall, Reason::Malformed);
            return Ok(());
        };
        row.syscall = Syscall::from(line);
        // `syscall` is read after `stat`, and says the thread is on a CPU: it was woken
        // meanwhile. The later reading wins, so that no row shows a sleeping thread running.
        if row.syscall == Syscall::Running {
            row.state = b'R';
        }
        if self.opts.needs.has(Needs::FD) {
            self.read_filename(row, rows);
        }
        Ok(())
    }

    /// The file behind the syscall's fd argument, as `fd/N` links to it, and the socket it
    /// is, when asked for.
    fn read_filename(&mut self, row: &mut Row, rows: &mut Rows) {
        if let Syscall::Call { nr, args } = row.syscall
            && let Some((addr, dirfd)) = syscalls::path_argument(nr, &args)
            && self.read_path(addr, dirfd, row, rows)
        {
            return;
        }
        let argument = match row.syscall {
            Syscall::Call { nr, args } => syscalls::fd_argument(nr, args[0])
                .or_else(|| Some((Arg0::Fd, self.polled(syscalls::polled_fd(nr, &args)?)?))),
            _ => None,
        };
        let Some((kind, fd)) = argument else {
            row.filename = Some(rows.push_text(b""));
            row.endpoint = Endpoint::None;
            return;
        };
        if kind == Arg0::Dirfd && fd == AT_FDCWD {
            row.filename = Some(rows.push_text(b"(cwd)"));
            row.endpoint = Endpoint::None;
            return;
        }
        if fd < 0 {
            return;
        }
        let socket = match self.reader.link(self.dir, self.task.tid, b"fd", Some(fd)) {
            Ok(target) => {
                let socket = net::socket_inode(target);
                let start = rows.begin_text();
                let arena = rows.arena_mut();
                arena.extend_from_slice(target);
                if let Some(name) = standard_stream(fd) {
                    arena.extend_from_slice(name);
                }
                row.filename = Some(rows.end_text(start));
                socket
            }
            // Closed since the syscall file was read: nothing to show, nothing to report.
            Err(Errno::NOENT) => return,
            Err(e) => {
                let reason = Reason::from_errno(e);
                self.reader.problems.failed(Column::Filename, reason);
                if self.opts.needs.has(Needs::ENDPOINT) {
                    self.reader.problems.failed(Column::Endpoint, reason);
                }
                return;
            }
        };
        if self.opts.needs.has(Needs::ENDPOINT) {
            match socket {
                Some(inode) => self.read_endpoint(fd, inode, row, rows),
                None => row.endpoint = Endpoint::None,
            }
        }
    }

    /// The fd of the `struct pollfd` at `addr` in the thread's memory (its first 4 bytes).
    fn polled(&mut self, addr: u64) -> Option<i32> {
        let mut pollfd = [0u8; 4];
        let n = self
            .reader
            .memory_into(self.dir, self.task.tid, addr, &mut pollfd);
        match n {
            Ok(4) => Some(i32::from_ne_bytes(pollfd)),
            Err(Errno::ACCESS | Errno::PERM) => {
                let problems = &mut self.reader.problems;
                problems.failed(Column::Filename, Reason::NoMemory);
                None
            }
            _ => None,
        }
    }

    /// The file of a path-taking call: the path at `addr` in the thread's memory (at most
    /// `PATH_MAX` bytes, never followed or looked at: it may lie on a hung mount), after the
    /// target of `dirfd` or the working directory's link when relative. False when it cannot
    /// be read (the footer says why when the kernel refused), an empty path (`AT_EMPTY_PATH`:
    /// the file is the fd's): the row then shows what the fd argument is.
    fn read_path(&mut self, addr: u64, dirfd: Option<i32>, row: &mut Row, rows: &mut Rows) -> bool {
        let (dir, tid) = (self.dir, self.task.tid);
        let path = match self.reader.memory(dir, tid, addr, PATH_MAX) {
            Ok(path) if !path.is_empty() => path,
            Ok(_) => return false,
            Err(Errno::ACCESS | Errno::PERM) => {
                let problems = &mut self.reader.problems;
                problems.failed(Column::Filename, Reason::NoMemory);
                return false;
            }
            Err(_) => return false,
        };
        let start = rows.begin_text();
        rows.arena_mut().extend_from_slice(path);
        let relative = rows.end_text(start);
        row.endpoint = Endpoint::None;
        if path.first() == Some(&b'/') {
            row.filename = Some(relative);
            return true;
        }
        let base = match dirfd {
            Some(fd) => self.reader.link(dir, tid, b"fd", Some(fd)),
            None => self.reader.link(dir, tid, b"cwd", None),
        };
        row.filename = Some(match base {
            Ok(base) => {
                let start = rows.begin_text();
                let arena = rows.arena_mut();
                arena.extend_from_slice(base);
                if base.last() != Some(&b'/') {
                    arena.push(b'/');
                }
                arena.extend_from_within(relative.range());
                rows.end_text(start)
            }
            Err(_) => relative,
        });
        true
    }

    /// What the socket tables of the thread's network namespace (its own: namespaces are per
    /// thread) say of socket `inode`, its fd `fd`.
    fn read_endpoint(&mut self, fd: i32, inode: u64, row: &mut Row, rows: &mut Rows) {
        let (dir, tid) = (self.dir, self.task.tid);
        // Where the thread's namespace cannot be read, the process's tables are its own.
        let ns = 1 << 63 | u64::from(self.pid);
        row.endpoint = match self.sockets.lookup(dir, tid, fd, ns, inode) {
            Ok(Found::Inet {
                proto,
                socket,
                accepted,
            }) => Endpoint::Inet {
                proto,
                socket,
                accepted,
            },
            Ok(Found::Unix {
                path,
                inode,
                state,
                listening,
            }) => Endpoint::Unix {
                path: rows.push_text(path),
                inode,
                state,
                listening,
            },
            Ok(Found::Untrusted) => {
                let reason = Reason::Untrusted;
                self.reader.problems.failed(Column::Endpoint, reason);
                Endpoint::Unknown
            }
            Ok(Found::Nowhere) => Endpoint::None,
            Err(e) => {
                let reason = Reason::from_errno(e);
                self.reader.problems.failed(Column::Endpoint, reason);
                Endpoint::Unknown
            }
        };
    }

    /// The IO counters: per second over the window since the last pass, or, without one,
    /// since the thread started: as totals with no window at all (`-i 0`), as an average over
    /// the thread's life in a run of windows (a thread born in one).
    #[inline(never)]
    fn read_io(&mut self, row: &mut Row) -> Result<(), Gone> {
        let needs = self.opts.needs;
        let mut wanted = [Column::Rchar; 4];
        let mut count = 0;
        for (need, column) in IO_COLUMNS {
            if needs.has(need) {
                self.reader.problems.tried(column);
                wanted[count] = column;
                count += 1;
            }
        }
        let wanted = &wanted[..count];
        let now = monotonic_ns();
        let io = match self.read(File::Io) {
            Ok(buf) => io_file::parse(buf),
            Err(e) => return self.missing(wanted, e),
        };
        let Some(io) = io else {
            for &column in wanted {
                self.reader.problems.failed(column, Reason::Malformed);
            }
            return Ok(());
        };
        row.io_total = Some(io);
        row.io = match self.task.last.io {
            Some((at, before)) if now > at => {
                Some(io.since(&before).scaled(1_000_000_000, now - at))
            }
            _ if !self.opts.cache_files => Some(io),
            _ => {
                let hz = self.mount.ticks_per_sec();
                let age = self
                    .mount
                    .uptime_ns()
                    .map(|up| cpu::age_ns(up, row.starttime, hz));
                let life = age
                    .filter(|&ns| ns > 0)
                    .map(|ns| io.scaled(1_000_000_000, ns));
                if life.is_none() {
                    for &column in wanted {
                        self.reader.problems.failed(column, Reason::NoUptime);
                    }
                }
                life
            }
        };
        self.task.last.io = Some((now, io));
        Ok(())
    }

    /// The wchan: `innermost`, the stack's first frame outside the scheduler, which is what
    /// the kernel's `wchan` reports, once one thread showed that this kernel's file agrees
    /// (some kernels' `wchan` reads `0` for every thread); else the file.
    fn read_wchan(
        &mut self,
        innermost: Option<Span>,
        row: &mut Row,
        rows: &mut Rows,
    ) -> Result<(), Gone> {
        self.reader.problems.tried(Column::Wchan);
        if !self.may_read_fds() {
            self.reader
                .problems
                .failed(Column::Wchan, Reason::NoPtraceRead);
            return Ok(());
        }
        let agrees = self.reader.wchan_in_stack;
        if innermost.is_some() && agrees == Some(true) {
            row.wchan = innermost;
            return Ok(());
        }
        let file = match self.read(File::Wchan) {
            Ok(buf) => parse::trim_end(buf),
            Err(e) => return self.missing(&[Column::Wchan], e),
        };
        let span = rows.push_text(file);
        row.wchan = Some(span);
        // A different frame is a thread that moved between the two reads: it proves nothing.
        // One that woke in between reads `0` too, which costs the rest of the run the file,
        // never a wrong wchan.
        if let (Some(frame), None) = (innermost, agrees) {
            let file = rows.text(span);
            if file == rows.text(frame) {
                self.reader.wchan_in_stack = Some(true);
            } else if matches!(file, b"" | b"0") {
                self.reader.wchan_in_stack = Some(false);
            }
        }
        Ok(())
    }

    /// The kernel stack, but none for a thread the row shows running: the kernel saves a
    /// thread's stack when it leaves a CPU, so a running thread's is stale. Returns where its
    /// innermost frame outside the scheduler is, the thread's wchan.
    fn read_stack(&mut self, row: &mut Row, rows: &mut Rows) -> Result<Option<Span>, Gone> {
        self.reader.problems.tried(Column::Kstack);
        if row.state == b'R' || row.syscall == Syscall::Running {
            self.reader.problems.failed(Column::Kstack, Reason::Running);
            return Ok(None);
        }
        let mut innermost = None;
        match self.read(File::Stack) {
            Ok(buf) => {
                let start = rows.begin_text();
                let arena = rows.arena_mut();
                for (i, frame) in stack::frames(buf).enumerate() {
                    if i > 0 {
                        arena.push(b'\n');
                    }
                    let at = arena.len();
                    arena.extend_from_slice(frame);
                    if innermost.is_none() && !stack::is_sched_frame(frame) {
                        innermost = Some(Span::new(at, arena.len()));
                    }
                }
                row.kstack = Some(rows.end_text(start));
            }
            Err(e) => return self.missing(&[Column::Kstack], e).map(|()| None),
        }
        Ok(innermost)
    }

    /// Handles a failed read of the file of `columns`: the thread is gone (drop the row), or
    /// their values are missing for a reason worth a footer line.
    fn missing(&mut self, columns: &[Column], e: Errno) -> Result<(), Gone> {
        if procfs::is_gone(e) && !self.exists() {
            return Err(self.gone());
        }
        for &column in columns {
            self.reader.problems.failed(column, Reason::from_errno(e));
        }
        Ok(())
    }

    fn gone(&mut self) -> Gone {
        self.task.gone = true;
        Gone
    }

    /// Whether the thread still exists, after a read said ENOENT: it exited, or the kernel
    /// lacks the file.
    fn exists(&mut self) -> bool {
        if let Some(fd) = self.task.kept(File::Stat) {
            return self.reader.reread(fd).is_ok();
        }
        self.reader.open_dir(self.dir, self.task.tid, b"").is_ok()
    }

    /// Whether tsnap has ptrace-read access to the process, judged once by reading its `io`
    /// (which the kernel refuses without it, even to root), or where the kernel has no `io`,
    /// by opening its `fd/` directory.
    fn may_read_fds(&mut self) -> bool {
        if let Some(ok) = self.info.ptrace_read {
            return ok;
        }
        let denied = |r: io::Result<()>| matches!(r, Err(Errno::ACCESS | Errno::PERM));
        let tid = self.task.tid;
        let ok = match self.reader.file(self.dir, tid, b"io").map(drop) {
            Err(Errno::NOENT) => !denied(self.reader.open_dir(self.dir, tid, b"fd").map(drop)),
            r => !denied(r),
        };
        self.info.ptrace_read = Some(ok);
        ok
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_streams() {
        assert_eq!(standard_stream(2), Some(&b" (stderr)"[..]));
        assert_eq!(standard_stream(3), None);
    }
}
