//! The column catalogue: every column's name (its JSON key and CSV header), meaning, source
//! file and the privilege that file needs, and how its value is rendered from a [`Row`].

use crate::parse::stack;
use crate::row::{Row, Rows, Sys};
use crate::syscalls::{self, Arg0};

/// Which files a set of columns needs read, beyond `stat` (always read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs(u32);

impl Needs {
    pub const NONE: Needs = Needs(0);
    pub const CPU: Needs = Needs(1);
    pub const SYSCALL: Needs = Needs(1 << 1);
    pub const FD: Needs = Needs(1 << 2);
    pub const WCHAN: Needs = Needs(1 << 3);
    pub const STACK: Needs = Needs(1 << 4);
    pub const PCOMM: Needs = Needs(1 << 5);
    pub const CMDLINE: Needs = Needs(1 << 6);
    pub const EXE: Needs = Needs(1 << 7);
    /// `schedstat`'s run-queue wait.
    pub const RUNQ: Needs = Needs(1 << 8);
    /// The thread's `status`, for the bits below.
    pub const STATUS: Needs = Needs(1 << 9);
    pub const VCSW: Needs = Needs(1 << 10);
    pub const IVCSW: Needs = Needs(1 << 11);
    pub const NSPID: Needs = Needs(1 << 12);
    /// The user name, from the process's `/etc/passwd`.
    pub const USER: Needs = Needs(1 << 13);
    /// `/proc/PID/cgroup`.
    pub const CGROUP: Needs = Needs(1 << 14);
    /// CPU time to the nanosecond (`schedstat`), where a lifetime `pcpu` makes do with ticks.
    pub const CPUTIME: Needs = Needs(1 << 15);
    /// The thread's id in its pid namespace for `nid`, which falls back to the tid where
    /// `status` has no `NSpid`: read like [`Needs::NSPID`], but its absence is no problem.
    pub const NID: Needs = Needs(1 << 16);
    /// What is measured over a window, and so read in a baseline pass too.
    pub const WINDOWED: Needs = Needs::CPU
        .union(Needs::RUNQ)
        .union(Needs::VCSW)
        .union(Needs::IVCSW);

    pub const fn union(self, other: Needs) -> Needs {
        Needs(self.0 | other.0)
    }

    /// All of `other`.
    pub const fn has(self, other: Needs) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Any of `other`.
    pub const fn any(self, other: Needs) -> bool {
        self.0 & other.0 != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Pid,
    Tid,
    Nid,
    Nspid,
    Ppid,
    State,
    Statedesc,
    Comm,
    Pcomm,
    Cmdline,
    Exe,
    User,
    Cgroup,
    Pcpu,
    Cputime,
    Runq,
    Vcsw,
    Ivcsw,
    Minflt,
    Majflt,
    Prio,
    Nice,
    Psr,
    Nlwp,
    Wchan,
    Syscall,
    Filename,
    Kstack,
}

pub struct Info {
    pub column: Column,
    pub name: &'static str,
    /// Right-aligned in tables, unquoted in JSON.
    pub numeric: bool,
    pub meaning: &'static str,
    pub source: &'static str,
    pub privilege: &'static str,
    pub needs: Needs,
}

const ANYONE: &str = "none (anyone who can see the process)";
const PTRACE_READ: &str = "ptrace-read access (same user, or CAP_SYS_PTRACE)";

macro_rules! info {
    ($col:ident, $name:literal, $numeric:literal, $needs:expr, $source:literal, $privilege:expr, $meaning:literal) => {
        Info {
            column: Column::$col,
            name: $name,
            numeric: $numeric,
            meaning: $meaning,
            source: $source,
            privilege: $privilege,
            needs: $needs,
        }
    };
}

/// Every column, in the order `tsnap columns` lists them.
pub static ALL: &[Info] = &[
    info!(
        Pid,
        "pid",
        true,
        Needs::NONE,
        "/proc/PID",
        ANYONE,
        "process id (thread group id)"
    ),
    info!(
        Tid,
        "tid",
        true,
        Needs::NONE,
        "/proc/PID/task/TID",
        ANYONE,
        "thread id, as top -H and ps -L show it"
    ),
    info!(
        Nid,
        "nid",
        false,
        Needs::STATUS.union(Needs::NID),
        "status (NSpid)",
        ANYONE,
        "thread id in its own (innermost) pid namespace in hex, as jstack prints nid=0x... wherever it runs (the tid before Linux 4.1)"
    ),
    info!(
        Nspid,
        "nspid",
        true,
        Needs::STATUS.union(Needs::NSPID),
        "status (NSpid)",
        ANYONE,
        "thread id in its own (innermost) pid namespace: the tid a container sees"
    ),
    info!(
        Ppid,
        "ppid",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "parent process id"
    ),
    info!(
        State,
        "state",
        false,
        Needs::NONE,
        "stat",
        ANYONE,
        "state letter: R running, S sleeping, D uninterruptible, T stopped, t traced, Z zombie, I idle"
    ),
    info!(
        Statedesc,
        "statedesc",
        false,
        Needs::NONE,
        "stat",
        ANYONE,
        "the state spelled out, as psn shows it"
    ),
    info!(
        Comm,
        "comm",
        false,
        Needs::NONE,
        "stat",
        ANYONE,
        "thread name (at most 15 bytes; the JVM names its threads)"
    ),
    info!(
        Pcomm,
        "pcomm",
        false,
        Needs::PCOMM,
        "/proc/PID/stat",
        ANYONE,
        "process name (its main thread's name)"
    ),
    info!(
        Cmdline,
        "cmdline",
        false,
        Needs::CMDLINE,
        "/proc/PID/cmdline",
        ANYONE,
        "process command line, arguments joined by spaces"
    ),
    info!(
        Exe,
        "exe",
        false,
        Needs::EXE,
        "/proc/PID/exe",
        PTRACE_READ,
        "path of the process executable"
    ),
    info!(
        User,
        "user",
        false,
        Needs::STATUS.union(Needs::USER),
        "status (Uid) + /proc/PID/root/etc/passwd",
        "none; the name needs ptrace-read access (else the number)",
        "user of the thread's real uid, named by the container's own /etc/passwd; the uid when it has no name"
    ),
    info!(
        Cgroup,
        "cgroup",
        false,
        Needs::CGROUP,
        "/proc/PID/cgroup",
        ANYONE,
        "cgroup of the process: the v2 path; on v1 the most specific of the cpu, cpuacct and memory paths"
    ),
    info!(
        Pcpu,
        "pcpu",
        true,
        Needs::CPU,
        "schedstat (else stat)",
        ANYONE,
        "percent of one CPU used during the -i window (lifetime average with -i 0, as ps)"
    ),
    info!(
        Cputime,
        "cputime",
        true,
        Needs::CPU.union(Needs::CPUTIME),
        "schedstat (else stat)",
        ANYONE,
        "CPU time used since the thread started, in milliseconds"
    ),
    info!(
        Runq,
        "runq",
        true,
        Needs::RUNQ,
        "schedstat",
        ANYONE,
        "percent of the -i window spent runnable but waiting for a CPU (lifetime with -i 0): CPU starvation or throttling"
    ),
    info!(
        Vcsw,
        "vcsw",
        true,
        Needs::STATUS.union(Needs::VCSW),
        "status",
        ANYONE,
        "voluntary context switches (the thread blocked) in the -i window; since it started with -i 0"
    ),
    info!(
        Ivcsw,
        "ivcsw",
        true,
        Needs::STATUS.union(Needs::IVCSW),
        "status",
        ANYONE,
        "involuntary context switches (the thread was preempted) in the -i window; since it started with -i 0"
    ),
    info!(
        Minflt,
        "minflt",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "minor page faults since the thread started"
    ),
    info!(
        Majflt,
        "majflt",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "major page faults (that needed IO) since the thread started"
    ),
    info!(
        Prio,
        "prio",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "kernel scheduling priority"
    ),
    info!(
        Nice,
        "nice",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "nice value, -20 to 19"
    ),
    info!(
        Psr,
        "psr",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "CPU the thread last ran on"
    ),
    info!(
        Nlwp,
        "nlwp",
        true,
        Needs::NONE,
        "stat",
        ANYONE,
        "number of threads in the process"
    ),
    info!(
        Wchan,
        "wchan",
        false,
        Needs::WCHAN,
        "wchan",
        "none, but it reads 0 without ptrace-read access",
        "kernel function the thread sleeps in (0 when it does not)"
    ),
    info!(
        Syscall,
        "syscall",
        false,
        Needs::SYSCALL,
        "syscall",
        "ptrace-attach access (same user and not blocked by Yama, or CAP_SYS_PTRACE)",
        "system call the thread is in: [running] in user space, [no_syscall] in the kernel outside one, [kernel_thread]"
    ),
    info!(
        Filename,
        "filename",
        false,
        Needs::SYSCALL.union(Needs::FD),
        "syscall + fd/N",
        "ptrace-attach for syscall, ptrace-read for fd/",
        "file or socket behind the syscall's fd argument: a path, socket:[INODE], pipe:[INODE]; (cwd) for *at calls relative to the working directory"
    ),
    info!(
        Kstack,
        "kstack",
        false,
        Needs::STACK,
        "stack",
        "CAP_SYS_ADMIN",
        "kernel stack, outermost first, joined by ->, syscall entry frames left out"
    ),
];

/// `tsnap`'s default columns: the awk report's.
pub const DEFAULT: &[Column] = &[
    Column::Pid,
    Column::Tid,
    Column::State,
    Column::Pcpu,
    Column::Comm,
    Column::Wchan,
    Column::Minflt,
    Column::Majflt,
    Column::Syscall,
    Column::Filename,
    Column::Kstack,
];

impl Column {
    pub fn info(self) -> &'static Info {
        // ALL lists every column in declaration order.
        &ALL[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Looks a column up by name; psn's `filenamesum` is accepted for `filename`.
    pub fn by_name(name: &str) -> Option<Column> {
        if name == "filenamesum" {
            return Some(Column::Filename);
        }
        ALL.iter().find(|i| i.name == name).map(|i| i.column)
    }
}

/// The files a set of columns needs.
pub fn needs(columns: &[Column]) -> Needs {
    columns
        .iter()
        .fold(Needs::NONE, |n, c| n.union(c.info().needs))
}

/// How a rendered value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Could not be read: `-` in tables and CSV, `null` in JSON.
    Missing,
    Number,
    Text,
}

/// Appends the value of `column` for `row` to `out`, and says what kind of value it is.
pub fn render(column: Column, row: &Row, rows: &Rows, out: &mut Vec<u8>) -> Kind {
    let mut num = itoa::Buffer::new();
    let mut int = |n: u64, out: &mut Vec<u8>| {
        out.extend_from_slice(num.format(n).as_bytes());
        Kind::Number
    };
    let text = |t: Option<crate::row::Span>, out: &mut Vec<u8>| match t {
        Some(s) => {
            out.extend_from_slice(rows.text(s));
            Kind::Text
        }
        None => Kind::Missing,
    };
    match column {
        Column::Pid => int(row.pid.into(), out),
        Column::Tid => int(row.tid.into(), out),
        Column::Nid => {
            push_hex(out, nid(row));
            Kind::Text
        }
        Column::Nspid => opt(row.nspid, out),
        Column::Ppid => int(row.ppid.into(), out),
        Column::State => {
            out.push(row.state);
            Kind::Text
        }
        Column::Statedesc => {
            out.extend_from_slice(state_description(row.state).as_bytes());
            Kind::Text
        }
        Column::Comm => text(Some(row.comm), out),
        Column::Pcomm => text(row.pcomm, out),
        Column::Cmdline => text(row.cmdline, out),
        Column::Exe => text(row.exe, out),
        Column::User => text(row.user, out),
        Column::Cgroup => text(row.cgroup, out),
        Column::Pcpu => tenths(row.pcpu, out),
        Column::Cputime => match row.cputime_ns {
            Some(ns) => int(ns / 1_000_000, out),
            None => Kind::Missing,
        },
        Column::Runq => tenths(row.runq, out),
        Column::Vcsw => opt(row.vcsw, out),
        Column::Ivcsw => opt(row.ivcsw, out),
        Column::Minflt => int(row.minflt, out),
        Column::Majflt => int(row.majflt, out),
        Column::Prio => signed(out, row.priority),
        Column::Nice => signed(out, row.nice),
        Column::Psr => match row.processor {
            Some(p) => int(p, out),
            None => Kind::Missing,
        },
        Column::Nlwp => int(row.num_threads, out),
        Column::Wchan => text(row.wchan, out),
        Column::Syscall => syscall_name(row.sys, out),
        Column::Filename => text(row.filename, out),
        Column::Kstack => match row.kstack {
            Some(s) => {
                push_kstack(out, rows.text(s));
                Kind::Text
            }
            None => Kind::Missing,
        },
    }
}

/// The syscall column: a name, `[running]`, `[no_syscall]`, `[kernel_thread]` or `sys_N`.
pub fn syscall_name(sys: Sys, out: &mut Vec<u8>) -> Kind {
    let fixed = match sys {
        Sys::Unknown => return Kind::Missing,
        Sys::Running => "[running]",
        Sys::NotInSyscall => "[no_syscall]",
        Sys::KernelThread => "[kernel_thread]",
        Sys::Call { nr, .. } => match syscalls::lookup(nr) {
            Some(s) => s.name,
            None => {
                out.extend_from_slice(b"sys_");
                out.extend_from_slice(itoa::Buffer::new().format(nr).as_bytes());
                return Kind::Text;
            }
        },
    };
    out.extend_from_slice(fixed.as_bytes());
    Kind::Text
}

/// What the first argument of the call in `sys` is, if a file descriptor.
pub fn fd_argument(sys: Sys) -> Option<(Arg0, i32)> {
    let Sys::Call { nr, args } = sys else {
        return None;
    };
    let arg0 = syscalls::lookup(nr)?.arg0;
    // File descriptors are ints: the kernel looks at the low 32 bits.
    (arg0 != Arg0::None).then_some((arg0, args[0] as u32 as i32))
}

fn opt(n: Option<u64>, out: &mut Vec<u8>) -> Kind {
    match n {
        Some(n) => {
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            Kind::Number
        }
        None => Kind::Missing,
    }
}

fn tenths(p: Option<f64>, out: &mut Vec<u8>) -> Kind {
    match p {
        Some(p) => {
            push_tenths(out, p);
            Kind::Number
        }
        None => Kind::Missing,
    }
}

fn signed(out: &mut Vec<u8>, n: i64) -> Kind {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    Kind::Number
}

/// The id the JVM knows a thread by, jstack's `nid`: its id in its own (innermost) pid
/// namespace; the tid where `status` has no `NSpid` (before Linux 4.1).
pub fn nid(row: &Row) -> u64 {
    row.nspid.unwrap_or(row.tid.into())
}

/// Writes `0x` and `n` in lowercase hex, as jstack's `nid=`.
pub fn push_hex(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"0x");
    let digits = 64 - n.leading_zeros().min(60) as usize;
    let count = digits.div_ceil(4).max(1);
    for i in (0..count).rev() {
        out.push(b"0123456789abcdef"[((n >> (i * 4)) & 0xf) as usize]);
    }
}

/// Writes a percentage with one decimal, rounded to nearest.
pub fn push_tenths(out: &mut Vec<u8>, value: f64) {
    let tenths = (value * 10.0).round().max(0.0) as u64;
    out.extend_from_slice(itoa::Buffer::new().format(tenths / 10).as_bytes());
    out.push(b'.');
    out.push(b'0' + (tenths % 10) as u8);
}

/// Writes frames (innermost first, one per line) outermost first as `a()->b()`, without the
/// syscall entry frames.
fn push_kstack(out: &mut Vec<u8>, frames: &[u8]) {
    let mut first = true;
    for frame in frames.rsplit(|&b| b == b'\n') {
        if frame.is_empty() || stack::is_entry_frame(frame) {
            continue;
        }
        if !first {
            out.extend_from_slice(b"->");
        }
        first = false;
        out.extend_from_slice(frame);
        out.extend_from_slice(b"()");
    }
}

/// The state letter spelled out, in psn's words.
pub fn state_description(state: u8) -> &'static str {
    match state {
        b'R' => "Running (ON CPU)",
        b'S' => "Sleep (Interruptible)",
        b'D' => "Disk (Uninterruptible)",
        b'T' => "Stopped",
        b't' => "Tracing stop",
        b'Z' => "Zombie",
        b'X' | b'x' => "Dead",
        b'P' => "Parked",
        b'I' => "Idle",
        b'W' => "Waking",
        b'K' => "Wakekill",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_in_declaration_order() {
        for (i, info) in ALL.iter().enumerate() {
            assert_eq!(info.column as usize, i, "{}", info.name);
            assert_eq!(Column::by_name(info.name), Some(info.column));
        }
        assert_eq!(Column::by_name("filenamesum"), Some(Column::Filename));
        assert_eq!(Column::by_name("nope"), None);
    }

    #[test]
    fn hex_and_tenths() {
        let mut out = Vec::new();
        for (n, want) in [
            (0, "0x0"),
            (0x3e14, "0x3e14"),
            (u64::MAX, "0xffffffffffffffff"),
        ] {
            out.clear();
            push_hex(&mut out, n);
            assert_eq!(out, want.as_bytes());
        }
        for (v, want) in [
            (0.0, "0.0"),
            (99.96, "100.0"),
            (12.34, "12.3"),
            (0.05, "0.1"),
            (-1.0, "0.0"),
        ] {
            out.clear();
            push_tenths(&mut out, v);
            assert_eq!(out, want.as_bytes(), "{v}");
        }
    }

    #[test]
    fn syscall_names() {
        let name = |sys| {
            let mut out = Vec::new();
            let kind = syscall_name(sys, &mut out);
            (kind, String::from_utf8(out).unwrap())
        };
        let call = |nr| Sys::Call { nr, args: [0; 6] };
        assert_eq!(name(Sys::Running), (Kind::Text, "[running]".into()));
        assert_eq!(name(Sys::NotInSyscall), (Kind::Text, "[no_syscall]".into()));
        assert_eq!(
            name(Sys::KernelThread),
            (Kind::Text, "[kernel_thread]".into())
        );
        assert_eq!(name(Sys::Unknown), (Kind::Missing, String::new()));
        assert_eq!(name(call(999)), (Kind::Text, "sys_999".into()));
        assert_eq!(
            name(call(u64::MAX)),
            (Kind::Text, "sys_18446744073709551615".into())
        );
        assert_eq!(name(call(0)).1, crate::syscalls::lookup(0).unwrap().name);
    }

    #[test]
    fn fd_arguments() {
        let open = |fd: u64| Sys::Call {
            nr: (0..1000)
                .find(|&n| crate::syscalls::lookup(n).is_some_and(|s| s.name == "openat"))
                .unwrap(),
            args: [fd, 0, 0, 0, 0, 0],
        };
        assert_eq!(
            fd_argument(open(0xffff_ffff_ffff_ff9c)),
            Some((Arg0::Dirfd, -100))
        );
        assert_eq!(fd_argument(open(7)), Some((Arg0::Dirfd, 7)));
        assert_eq!(fd_argument(Sys::Running), None);
    }

    #[test]
    fn kstack_is_outermost_first_without_entry_frames() {
        let mut out = Vec::new();
        push_kstack(
            &mut out,
            b"anon_pipe_read\nvfs_read\nksys_read\ndo_syscall_64\nentry_SYSCALL_64_after_hwframe",
        );
        assert_eq!(out, b"ksys_read()->vfs_read()->anon_pipe_read()");
    }
}
