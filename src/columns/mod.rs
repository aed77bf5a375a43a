//! The column catalogue: every column's name (its JSON key and CSV header), meaning, source
//! file, the privilege that file needs and the files the collector must read for it. How a
//! value is written from a [`crate::row::Row`] is in [`render`].
//!
//! A new column is a variant of [`Column`], an entry of [`ALL`] at the same place (the facts
//! it shares with most columns from [`PLAIN`]), and an arm of [`render::render`].

mod endpoint;
mod render;

pub use endpoint::push_addr;
pub use render::{nid, render, render_json, render_table, state_words, syscall_name};

use crate::output::{Cut, Field};

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
    /// The socket tables of the thread's network namespace, for the socket its syscall's fd
    /// argument names.
    pub const ENDPOINT: Needs = Needs(1 << 17);
    /// The thread's `io`, for the bits below.
    pub const IO: Needs = Needs(1 << 18);
    pub const RCHAR: Needs = Needs(1 << 19);
    pub const WCHAR: Needs = Needs(1 << 20);
    pub const RBYTES: Needs = Needs(1 << 21);
    pub const WBYTES: Needs = Needs(1 << 22);
    /// The JVM's thread dumps (sample and watch `--java`), paired with threads by nid.
    pub const JAVA: Needs = Needs(1 << 23);
    /// What is measured over a window, and so read in a baseline pass too.
    pub const WINDOWED: Needs = Needs::CPU
        .union(Needs::RUNQ)
        .union(Needs::VCSW)
        .union(Needs::IVCSW)
        .union(Needs::IO);

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
    Container,
    Pod,
    Throttled,
    Pcpu,
    Cputime,
    Runq,
    Vcsw,
    Ivcsw,
    Rchar,
    Wchar,
    Rbytes,
    Wbytes,
    Minflt,
    Majflt,
    Prio,
    Nice,
    Psr,
    Nlwp,
    Wchan,
    Syscall,
    Filename,
    Endpoint,
    Kstack,
    Jstate,
    Jframes,
    Jstack,
    Jage,
}

/// What the catalogue says of a column: everything else about it (the problems' texts,
/// `tsnap columns`, the kubectl plugin's lists, the generated reference) is derived from this.
pub struct Info {
    pub column: Column,
    pub name: &'static str,
    /// Right-aligned in tables, unquoted in JSON.
    pub numeric: bool,
    /// The files the collector reads for it, beyond `stat`.
    pub needs: Needs,
    /// The /proc file it comes from, for `tsnap columns`.
    pub source: &'static str,
    /// Who may read that file.
    pub privilege: Privilege,
    pub meaning: &'static str,
    /// How a table cuts its cells to fit a terminal. When it leaves the column out or puts it
    /// under its row is an order among columns: [`DROPPED_FIRST`], [`UNDER_THE_ROW_FIRST`].
    pub cut: Cut,
    /// How its cells are masked when rows are grouped (`sample`, `report`) without `--exact`.
    pub mask: Mask,
    /// How many characters of its value a table shows, where not all.
    pub table_chars: Option<usize>,
    /// What its JSON value is, beyond [`Info::numeric`].
    pub json: Json,
}

/// Who may read a column's file, from the least to the most privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// Anyone who can see the process.
    None,
    /// Anyone, but its name needs ptrace-read access (`user`: else the number).
    NameNeedsPtraceRead,
    /// Anyone, but the kernel says 0 without ptrace-read access (`wchan`).
    ZeroWithoutPtraceRead,
    /// Ptrace-read access: the same user, or CAP_SYS_PTRACE.
    PtraceRead,
    /// Ptrace-attach access: the same user and not blocked by Yama, or CAP_SYS_PTRACE.
    PtraceAttach,
    /// Ptrace-attach for `syscall`, ptrace-read for the fd it names.
    PtraceAttachAndRead,
    /// CAP_SYS_ADMIN (a kernel stack).
    SysAdmin,
    /// The JVM's user, or root: its attach socket answers no other (the Java columns).
    JvmUser,
}

impl Privilege {
    /// Its name in `tsnap columns -f json`.
    pub fn key(self) -> &'static str {
        match self {
            Privilege::None => "none",
            Privilege::NameNeedsPtraceRead => "none-name-ptrace-read",
            Privilege::ZeroWithoutPtraceRead => "none-value-ptrace-read",
            Privilege::PtraceRead => "ptrace-read",
            Privilege::PtraceAttach => "ptrace-attach",
            Privilege::PtraceAttachAndRead => "ptrace-attach-read",
            Privilege::SysAdmin => "sys-admin",
            Privilege::JvmUser => "jvm-user",
        }
    }

    /// It said for people: `tsnap columns`, the reference.
    pub fn text(self) -> &'static str {
        match self {
            Privilege::None => "none (anyone who can see the process)",
            Privilege::NameNeedsPtraceRead => {
                "none; the name needs ptrace-read access (else the number)"
            }
            Privilege::ZeroWithoutPtraceRead => "none, but it reads 0 without ptrace-read access",
            Privilege::PtraceRead => "ptrace-read access (same user, or CAP_SYS_PTRACE)",
            Privilege::PtraceAttach => {
                "ptrace-attach access (same user and not blocked by Yama, or CAP_SYS_PTRACE)"
            }
            Privilege::PtraceAttachAndRead => "ptrace-attach for syscall, ptrace-read for fd/",
            Privilege::SysAdmin => "CAP_SYS_ADMIN",
            Privilege::JvmUser => "the JVM's user, or root (the attach socket takes no other)",
        }
    }
}

/// How a column's cells are masked when rows are grouped, so that threads of one pool
/// (`worker-1`, `worker-2`) or calls on one kind of file fall in one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Kept as they are.
    None,
    /// Each run of digits made `*`.
    Digits,
    /// Digits made `*` but for the port that names the service.
    Endpoint,
}

impl Mask {
    /// Its name in `tsnap columns -f json`.
    pub fn key(self) -> &'static str {
        match self {
            Mask::None => "none",
            Mask::Digits => "digits",
            Mask::Endpoint => "endpoint",
        }
    }
}

/// A column's JSON value where not a number ([`Info::numeric`]) or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {
    /// A number when numeric, else a string.
    Plain,
    Object,
}

impl Info {
    /// Its value's JSON type: `number`, `string` or `object`.
    pub fn json_type(&self) -> &'static str {
        match self.json {
            Json::Object => "object",
            Json::Plain if self.numeric => "number",
            Json::Plain => "string",
        }
    }
}

const ANYONE: Privilege = Privilege::None;
const PTRACE_READ: Privilege = Privilege::PtraceRead;

/// The facts most columns share, as the base of each entry of [`ALL`]: text that is never
/// cut or masked, shown whole, a number or a string in JSON. Its column and name are always
/// given.
const PLAIN: Info = Info {
    column: Column::Pid,
    name: "",
    numeric: false,
    needs: Needs::NONE,
    source: "",
    privilege: ANYONE,
    meaning: "",
    cut: Cut::Never,
    mask: Mask::None,
    table_chars: None,
    json: Json::Plain,
};

/// Every column, in the order `tsnap columns` lists them (that of [`Column`]).
pub static ALL: &[Info] = &[
    Info {
        column: Column::Pid,
        name: "pid",
        numeric: true,
        needs: Needs::NONE,
        source: "/proc/PID",
        privilege: ANYONE,
        meaning: "process id (thread group id)",
        ..PLAIN
    },
    Info {
        column: Column::Tid,
        name: "tid",
        numeric: true,
        needs: Needs::NONE,
        source: "/proc/PID/task/TID",
        privilege: ANYONE,
        meaning: "thread id, as top -H and ps -L show it",
        ..PLAIN
    },
    Info {
        column: Column::Nid,
        name: "nid",
        numeric: false,
        needs: Needs::STATUS.union(Needs::NID),
        source: "status (NSpid)",
        privilege: ANYONE,
        meaning: "thread id in its own (innermost) pid namespace in hex, as jstack prints nid=0x... wherever it runs (the tid before Linux 4.1)",
        ..PLAIN
    },
    Info {
        column: Column::Nspid,
        name: "nspid",
        numeric: true,
        needs: Needs::STATUS.union(Needs::NSPID),
        source: "status (NSpid)",
        privilege: ANYONE,
        meaning: "thread id in its own (innermost) pid namespace: the tid a container sees",
        ..PLAIN
    },
    Info {
        column: Column::Ppid,
        name: "ppid",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "parent process id",
        ..PLAIN
    },
    Info {
        column: Column::State,
        name: "state",
        numeric: false,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "state letter: R running, S sleeping, D uninterruptible, T stopped, t traced, Z zombie, I idle",
        ..PLAIN
    },
    Info {
        column: Column::Statedesc,
        name: "statedesc",
        numeric: false,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "the state spelled out, as psn shows it",
        ..PLAIN
    },
    Info {
        column: Column::Comm,
        name: "comm",
        numeric: false,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "thread name (at most 15 bytes; the JVM names its threads)",
        cut: Cut::Name,
        mask: Mask::Digits,
        ..PLAIN
    },
    Info {
        column: Column::Pcomm,
        name: "pcomm",
        numeric: false,
        needs: Needs::PCOMM,
        source: "/proc/PID/comm",
        privilege: ANYONE,
        meaning: "process name (its main thread's name)",
        cut: Cut::Name,
        mask: Mask::Digits,
        ..PLAIN
    },
    Info {
        column: Column::Cmdline,
        name: "cmdline",
        numeric: false,
        needs: Needs::CMDLINE,
        source: "/proc/PID/cmdline",
        privilege: ANYONE,
        meaning: "process command line, arguments joined by spaces",
        cut: Cut::End,
        ..PLAIN
    },
    Info {
        column: Column::Exe,
        name: "exe",
        numeric: false,
        needs: Needs::EXE,
        source: "/proc/PID/exe",
        privilege: PTRACE_READ,
        meaning: "path of the process executable",
        cut: Cut::Start,
        ..PLAIN
    },
    Info {
        column: Column::User,
        name: "user",
        numeric: false,
        needs: Needs::STATUS.union(Needs::USER),
        source: "status (Uid) + /proc/PID/root/etc/passwd",
        privilege: Privilege::NameNeedsPtraceRead,
        meaning: "user of the thread's real uid, named by the container's own /etc/passwd; the uid when it has no name",
        cut: Cut::End,
        ..PLAIN
    },
    Info {
        column: Column::Cgroup,
        name: "cgroup",
        numeric: false,
        needs: Needs::CGROUP,
        source: "/proc/PID/cgroup",
        privilege: ANYONE,
        meaning: "cgroup of the process: the v2 path; on v1 the most specific of the cpu, cpuacct and memory paths",
        cut: Cut::Start,
        ..PLAIN
    },
    Info {
        column: Column::Container,
        name: "container",
        numeric: false,
        needs: Needs::CGROUP,
        source: "/proc/PID/cgroup",
        privilege: ANYONE,
        meaning: "container id from the cgroup path (docker, containerd, CRI-O, podman): 12 hex digits in tables, all 64 in CSV and JSON; ?ID where its cgroup hierarchies disagree",
        table_chars: Some(12),
        ..PLAIN
    },
    Info {
        column: Column::Pod,
        name: "pod",
        numeric: false,
        needs: Needs::CGROUP,
        source: "/proc/PID/cgroup",
        privilege: ANYONE,
        meaning: "Kubernetes pod UID from the kubelet's cgroup path (systemd or cgroupfs driver)",
        cut: Cut::End,
        ..PLAIN
    },
    Info {
        column: Column::Throttled,
        name: "throttled",
        numeric: true,
        needs: Needs::CGROUP,
        source: "cgroup cpu.stat (nr_throttled, nr_periods)",
        privilege: ANYONE,
        meaning: "percent of the CPU quota periods of the -i window (watch: since the last snapshot) in which the process's cgroup was throttled, 0 without a limit; snap and watch only",
        ..PLAIN
    },
    Info {
        column: Column::Pcpu,
        name: "pcpu",
        numeric: true,
        needs: Needs::CPU,
        source: "schedstat (else stat)",
        privilege: ANYONE,
        meaning: "percent of one CPU used during the -i window (lifetime average with -i 0, as ps)",
        ..PLAIN
    },
    Info {
        column: Column::Cputime,
        name: "cputime",
        numeric: true,
        needs: Needs::CPU.union(Needs::CPUTIME),
        source: "schedstat (else stat)",
        privilege: ANYONE,
        meaning: "CPU time used since the thread started, in milliseconds (tables: 850ms, 12.3s, 3m24s, 5h02m, 2d03h)",
        ..PLAIN
    },
    Info {
        column: Column::Runq,
        name: "runq",
        numeric: true,
        needs: Needs::RUNQ,
        source: "schedstat",
        privilege: ANYONE,
        meaning: "percent of the -i window spent runnable but waiting for a CPU (lifetime with -i 0): CPU starvation or throttling",
        ..PLAIN
    },
    Info {
        column: Column::Vcsw,
        name: "vcsw",
        numeric: true,
        needs: Needs::STATUS.union(Needs::VCSW),
        source: "status",
        privilege: ANYONE,
        meaning: "voluntary context switches (the thread blocked) in the -i window; since it started with -i 0",
        ..PLAIN
    },
    Info {
        column: Column::Ivcsw,
        name: "ivcsw",
        numeric: true,
        needs: Needs::STATUS.union(Needs::IVCSW),
        source: "status",
        privilege: ANYONE,
        meaning: "involuntary context switches (the thread was preempted) in the -i window; since it started with -i 0",
        ..PLAIN
    },
    Info {
        column: Column::Rchar,
        name: "rchar",
        numeric: true,
        needs: Needs::IO.union(Needs::RCHAR),
        source: "io",
        privilege: PTRACE_READ,
        meaning: "bytes per second read through read calls (files, sockets, pipes) in the -i window; since the thread started with -i 0; tables in binary units (7.2G)",
        ..PLAIN
    },
    Info {
        column: Column::Wchar,
        name: "wchar",
        numeric: true,
        needs: Needs::IO.union(Needs::WCHAR),
        source: "io",
        privilege: PTRACE_READ,
        meaning: "bytes per second written through write calls (files, sockets, pipes) in the -i window; since the thread started with -i 0; tables in binary units",
        ..PLAIN
    },
    Info {
        column: Column::Rbytes,
        name: "rbytes",
        numeric: true,
        needs: Needs::IO.union(Needs::RBYTES),
        source: "io (read_bytes)",
        privilege: PTRACE_READ,
        meaning: "bytes per second fetched from storage in the -i window (reads the page cache served are not counted); since the thread started with -i 0; tables in binary units",
        ..PLAIN
    },
    Info {
        column: Column::Wbytes,
        name: "wbytes",
        numeric: true,
        needs: Needs::IO.union(Needs::WBYTES),
        source: "io (write_bytes)",
        privilege: PTRACE_READ,
        meaning: "bytes per second the thread caused to be written to storage in the -i window; since the thread started with -i 0; tables in binary units",
        ..PLAIN
    },
    Info {
        column: Column::Minflt,
        name: "minflt",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "minor page faults since the thread started",
        ..PLAIN
    },
    Info {
        column: Column::Majflt,
        name: "majflt",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "major page faults (that needed IO) since the thread started",
        ..PLAIN
    },
    Info {
        column: Column::Prio,
        name: "prio",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "kernel scheduling priority",
        ..PLAIN
    },
    Info {
        column: Column::Nice,
        name: "nice",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "nice value, -20 to 19",
        ..PLAIN
    },
    Info {
        column: Column::Psr,
        name: "psr",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "CPU the thread last ran on",
        ..PLAIN
    },
    Info {
        column: Column::Nlwp,
        name: "nlwp",
        numeric: true,
        needs: Needs::NONE,
        source: "stat",
        privilege: ANYONE,
        meaning: "number of threads in the process",
        ..PLAIN
    },
    Info {
        column: Column::Wchan,
        name: "wchan",
        numeric: false,
        needs: Needs::WCHAN,
        source: "wchan",
        privilege: Privilege::ZeroWithoutPtraceRead,
        meaning: "kernel function the thread sleeps in (0 when it does not)",
        cut: Cut::End,
        ..PLAIN
    },
    Info {
        column: Column::Syscall,
        name: "syscall",
        numeric: false,
        needs: Needs::SYSCALL,
        source: "syscall",
        privilege: Privilege::PtraceAttach,
        meaning: "system call the thread is in: [running] in user space, [no_syscall] in the kernel outside one, [kernel_thread]",
        ..PLAIN
    },
    Info {
        column: Column::Filename,
        name: "filename",
        numeric: false,
        needs: Needs::SYSCALL.union(Needs::FD),
        source: "syscall + fd/N",
        privilege: Privilege::PtraceAttachAndRead,
        meaning: "file or socket behind the syscall's fd argument: a path, socket:[INODE], pipe:[INODE]; the path a path-taking call (openat, statx, ...) was given, (cwd) where it cannot be read",
        cut: Cut::Start,
        mask: Mask::Digits,
        ..PLAIN
    },
    Info {
        column: Column::Endpoint,
        name: "endpoint",
        numeric: false,
        needs: Needs::SYSCALL.union(Needs::FD).union(Needs::ENDPOINT),
        source: "syscall + fd/N + net/tcp, tcp6, udp, udp6, unix",
        privilege: Privilege::PtraceAttachAndRead,
        meaning: "the socket behind the syscall's fd argument, from the socket tables of the thread's network namespace: tcp 10.0.0.5:43512->10.0.3.7:5432 ESTABLISHED (rx=N tx=N when queued), tcp6 [::]:8080 LISTEN, udp 0.0.0.0:53, unix /run/app.sock",
        cut: Cut::Endpoint,
        mask: Mask::Endpoint,
        json: Json::Object,
        ..PLAIN
    },
    Info {
        column: Column::Kstack,
        name: "kstack",
        numeric: false,
        needs: Needs::STACK,
        source: "stack",
        privilege: Privilege::SysAdmin,
        meaning: "kernel stack, outermost first, joined by ->, syscall entry frames left out; none for a thread shown running (R or [running]), whose saved stack is stale",
        cut: Cut::Frames,
        ..PLAIN
    },
    Info {
        column: Column::Jstate,
        name: "jstate",
        numeric: false,
        needs: JAVA,
        source: JAVA_SOURCE,
        privilege: Privilege::JvmUser,
        meaning: "Java state (java.lang.Thread.State: RUNNABLE, BLOCKED (on object monitor), WAITING (parking), ...) in the JVM's latest dump, carried forward until the next (see jage); sample and watch --java",
        ..PLAIN
    },
    Info {
        column: Column::Jframes,
        name: "jframes",
        numeric: false,
        needs: JAVA,
        source: JAVA_SOURCE,
        privilege: Privilege::JvmUser,
        meaning: "the top 5 Java frames, innermost first, joined by <- (Work.doGet:19<-Work.service:40: class and method, then the line), from the JVM's latest dump, carried forward as jstate",
        ..PLAIN
    },
    Info {
        column: Column::Jstack,
        name: "jstack",
        numeric: false,
        needs: JAVA,
        source: JAVA_SOURCE,
        privilege: Privilege::JvmUser,
        meaning: "the Java stack, outermost first, joined by -> (at most 64 frames, the innermost kept), as jframes: what flame graphs draw",
        ..PLAIN
    },
    Info {
        column: Column::Jage,
        name: "jage",
        numeric: true,
        needs: JAVA,
        source: JAVA_SOURCE,
        privilege: Privilege::JvmUser,
        meaning: "milliseconds since the JVM's dump that jstate, jframes and jstack come from: they are carried forward from it until the next dump",
        ..PLAIN
    },
];

/// The Java columns need the thread's id in its pid namespace (the dump's nid) too.
const JAVA: Needs = Needs::JAVA.union(Needs::STATUS).union(Needs::NID);
const JAVA_SOURCE: &str = "the JVM's thread dump (attach listener), paired by nid";

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

    /// How a table cuts its cells to fit a terminal ([`Info::cut`]): numbers never; names
    /// after their 15 bytes; a command line, a user, a wchan, a pod at their end; a file, an
    /// executable and a cgroup at their start (their end names them); an endpoint its local
    /// side first; a kernel stack at its outer end.
    pub fn cut(self) -> Cut {
        self.info().cut
    }

    /// The column as a table's field, among `shown`: how it is cut, when it is left out
    /// ([`DROPPED_FIRST`]) and when it goes under its row ([`UNDER_THE_ROW_FIRST`]).
    pub fn field(self, shown: &[Column]) -> Field {
        let rank = DROPPED_FIRST
            .iter()
            .position(|&(c, unless)| c == self && unless.is_none_or(|u| shown.contains(&u)));
        let under = UNDER_THE_ROW_FIRST.iter().position(|&c| c == self);
        Field {
            name: self.name(),
            numeric: self.info().numeric,
            own_line: false,
            cut: self.cut(),
            drop: rank.and_then(|r| u8::try_from(r).ok()),
            under: under.and_then(|r| u8::try_from(r).ok()),
        }
    }

    /// Whether it comes from the JVM's thread dumps (`--java`).
    pub fn is_java(self) -> bool {
        self.info().needs.any(Needs::JAVA)
    }

    /// How many characters of its value a table shows, where not all ([`Info::table_chars`]),
    /// after the `?` of a disputed one: a container id is known by its first 12 hex digits,
    /// as `docker ps` and `crictl ps` show it.
    pub fn table_chars(self, value: &[u8]) -> Option<usize> {
        let chars = self.info().table_chars?;
        Some(chars + usize::from(value.starts_with(b"?")))
    }

    /// Looks a column up by name; psn's `filenamesum` is accepted for `filename`.
    pub fn by_name(name: &str) -> Option<Column> {
        if name == "filenamesum" {
            return Some(Column::Filename);
        }
        ALL.iter().find(|i| i.name == name).map(|i| i.column)
    }
}

/// The columns a table leaves out, in this order, when it does not fit a terminal even with
/// its cells cut (and says so under it; `-w` shows them): counters rarely read first, then
/// what another column shown says better (`filename` when `endpoint` is shown: the socket's
/// inode; `cgroup` when `container` or `pod` is). The second of a pair: only when that column
/// is shown too.
pub const DROPPED_FIRST: &[(Column, Option<Column>)] = &[
    (Column::Majflt, None),
    (Column::Minflt, None),
    (Column::Nice, None),
    (Column::Prio, None),
    (Column::Psr, None),
    (Column::Nlwp, None),
    (Column::Ppid, None),
    (Column::Nspid, None),
    (Column::Statedesc, None),
    (Column::Ivcsw, None),
    (Column::Vcsw, None),
    (Column::Cputime, None),
    (Column::Filename, Some(Column::Endpoint)),
    (Column::Cgroup, Some(Column::Container)),
    (Column::Cgroup, Some(Column::Pod)),
    (Column::Pcomm, None),
    (Column::Exe, None),
];

/// The text columns a table puts under each row, each on its own line, in this order, when
/// it does not fit a terminal even with the columns of [`DROPPED_FIRST`] left out: the long
/// ones first, the names (what a row is recognised by) last.
pub const UNDER_THE_ROW_FIRST: &[Column] = &[
    Column::Cmdline,
    Column::Exe,
    Column::Cgroup,
    Column::Endpoint,
    Column::Filename,
    Column::Pod,
    Column::User,
    Column::Wchan,
    Column::Pcomm,
    Column::Comm,
];

/// The files a set of columns needs.
pub fn needs(columns: &[Column]) -> Needs {
    columns
        .iter()
        .fold(Needs::NONE, |n, c| n.union(c.info().needs))
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

    /// The kubectl plugin asks for the baseline profile (no capability) when `-o` names only
    /// columns that need no privilege: its list is the catalogue's.
    #[test]
    fn the_plugins_list_of_columns_that_need_no_privilege_is_the_catalogues() {
        let plugin = include_str!("../../scripts/kubectl-tsnap");
        let listed = plugin
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("pid|tid|"))
            .and_then(|l| l.strip_suffix(") ;;"))
            .expect("no list of columns in kubectl-tsnap");
        let none: Vec<&str> = ALL
            .iter()
            .filter(|i| i.privilege == Privilege::None)
            .map(|i| i.name)
            .collect();
        assert_eq!(listed, none.join("|"));
    }

    /// Each fact of an entry agrees with the others: a number is never cut or masked, a
    /// table's lists name each column once per condition.
    #[test]
    fn the_facts_of_an_entry_agree() {
        for info in ALL {
            assert!(!info.name.is_empty() && !info.meaning.is_empty() && !info.source.is_empty());
            if info.numeric {
                assert_eq!(info.cut, Cut::Never, "{}", info.name);
                assert_eq!(info.mask, Mask::None, "{}", info.name);
                assert_eq!(info.json_type(), "number", "{}", info.name);
            }
            let under = UNDER_THE_ROW_FIRST.iter().filter(|&&c| c == info.column);
            assert!(under.count() <= 1, "{}", info.name);
            // What goes under its row is text a table may cut.
            if UNDER_THE_ROW_FIRST.contains(&info.column) {
                assert_ne!(info.cut, Cut::Never, "{}", info.name);
            }
        }
    }
}
