//! What tsnap learned about one thread in one pass, and the arena its text lives in.
//!
//! Rows hold numbers and [`Span`]s into a [`Rows`] arena instead of owned strings, so a pass
//! reuses the same two allocations however many threads it reads.

use crate::parse::Span;
use crate::parse::io::Io;
use crate::parse::net::Inet;
use crate::parse::syscall::Line;
use crate::tally::Tally;

/// The syscall column's value: what `/proc/PID/task/TID/syscall` said, resolved against the
/// thread's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syscall {
    /// Not read (not asked for, or not readable: see the footer).
    #[default]
    Unknown,
    /// On a CPU in user space.
    Running,
    /// In the kernel, outside a system call (`-1`).
    NotInSyscall,
    KernelThread,
    Call {
        nr: u64,
        args: [u64; 6],
    },
}

impl From<Line> for Syscall {
    fn from(line: Line) -> Syscall {
        match line {
            Line::Running => Syscall::Running,
            Line::Outside => Syscall::NotInSyscall,
            Line::Call { nr, args } => Syscall::Call { nr, args },
        }
    }
}

/// The inet protocols of the socket tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// The endpoint column's value: what the socket tables of the thread's network namespace say
/// of the socket its syscall works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// Not read (not asked for, or not readable: see the footer).
    #[default]
    Unknown,
    /// The call works on no socket, or on one in none of the tables (netlink, packet).
    None,
    Inet {
        proto: Proto,
        socket: Inet,
        /// Accepted from a listener of the same table (its local port is the listener's): the
        /// server's end of a connection.
        accepted: bool,
    },
    Unix {
        /// The bound name: a path, `@name` (abstract), or empty (unnamed).
        path: Span,
        inode: u64,
        state: u8,
        listening: bool,
    },
}

/// Values not read are `None` (or `Unknown`): a row starts from [`Row::default`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Row {
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub state: u8,
    pub kernel_thread: bool,
    pub comm: Span,
    pub pcomm: Option<Span>,
    pub cmdline: Option<Span>,
    pub exe: Option<Span>,
    pub minflt: u64,
    pub majflt: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: u64,
    pub processor: Option<u64>,
    /// Start time in clock ticks after boot.
    pub starttime: u64,
    /// CPU time used so far, in nanoseconds (`schedstat`, or `stat` ticks).
    pub cputime_ns: Option<u64>,
    /// Percent of one CPU over the window (or the lifetime with `-i 0`).
    pub pcpu: Option<f64>,
    /// Percent of the window (or the lifetime) spent waiting in a run queue.
    pub runq: Option<f64>,
    /// Time spent waiting in a run queue since the thread started, in nanoseconds.
    pub wait_ns: Option<u64>,
    /// The times it was put on a CPU since it started (`schedstat`).
    pub slices: Option<u64>,
    /// Voluntary and involuntary context switches in the window (or since the start).
    pub vcsw: Option<u64>,
    pub ivcsw: Option<u64>,
    pub nspid: Option<u64>,
    /// User name, or the uid in digits when it has none.
    pub user: Option<Span>,
    pub cgroup: Option<Span>,
    /// The container id and the pod UID its process runs in, if any.
    pub container: Option<Span>,
    pub pod: Option<Span>,
    /// Percent of the CPU quota periods of the window in which its cgroup was throttled:
    /// filled in by the command, which reads the cgroups.
    pub throttled: Option<f64>,
    pub wchan: Option<Span>,
    pub syscall: Syscall,
    /// The file behind the syscall's first argument; empty when the call takes none.
    pub filename: Option<Span>,
    pub endpoint: Endpoint,
    /// IO counters as shown: bytes per second over the window, or since the thread started
    /// without one (`-i 0`).
    pub io: Option<Io>,
    /// IO counters as read: bytes since the thread started.
    pub io_total: Option<Io>,
    /// Kernel stack frames, innermost first, one per line.
    pub kstack: Option<Span>,
    /// `--java` over time: the thread's Java state and frames (innermost first, one a line,
    /// shortened to `Class.method:LINE`) in its JVM's latest dump, and how old that dump is.
    pub jstate: Option<Span>,
    pub jstack: Option<Span>,
    pub java_age_ms: Option<u64>,
}

/// The rows of one pass, the text they point into, and the states of every thread the pass
/// read, shown or not.
#[derive(Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    arena: Vec<u8>,
    pub tally: Tally,
}

impl Rows {
    pub fn clear(&mut self) {
        self.rows.clear();
        self.arena.clear();
        self.tally.clear();
    }

    /// Makes room for `rows` rows and `text` bytes of text.
    pub fn reserve(&mut self, rows: usize, text: usize) {
        self.rows.reserve(rows);
        self.arena.reserve(text);
    }

    /// Stores `text` and returns where it is.
    pub fn push_text(&mut self, text: &[u8]) -> Span {
        let start = self.arena.len();
        self.arena.extend_from_slice(text);
        Span::new(start, self.arena.len())
    }

    /// Starts a text built piece by piece with [`Rows::arena_mut`]; end it with
    /// [`Rows::end_text`].
    pub fn begin_text(&self) -> usize {
        self.arena.len()
    }

    pub fn arena_mut(&mut self) -> &mut Vec<u8> {
        &mut self.arena
    }

    pub fn end_text(&self, start: usize) -> Span {
        Span::new(start, self.arena.len())
    }

    pub fn text(&self, s: Span) -> &[u8] {
        s.of(&self.arena)
    }
}
