//! Files that could not be read: counted per column and reason while tsnap works, and told
//! once at the end, one line each, with what would have allowed the read.

use crate::columns::{Column, Privilege};
use crate::error::errno_name;
use crate::procfs::{self, RelPath};
use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// Why a value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// EACCES or EPERM.
    Denied,
    /// wchan of a process that denies ptrace-read: the kernel would say 0, not the truth.
    NoPtraceRead,
    /// The file does not exist although the thread does: this kernel does not provide it.
    NotProvided,
    /// The content was not in the expected format.
    Malformed,
    /// The file lacks the field (an older kernel's `status` has no `NSpid`).
    NoField,
    /// An average over the thread's life (`-i 0`, or a thread born in the window) needs the
    /// time since boot, and the procfs mount has no `uptime` (a copied tree).
    NoUptime,
    /// The process's cgroup hierarchies name different containers or pods: one it can write
    /// (`name=systemd`, a delegated subtree) was made to name another.
    Disputed,
    /// A unix socket table holds lines no socket wrote: a name with a newline forged them.
    Untrusted,
    /// The kernel stack of a thread shown running, which is not read: stale.
    Running,
    /// The path of a path-taking call, or the fd a `poll` waits on, in the thread's memory,
    /// which the kernel refused.
    NoMemory,
    Other(Errno),
}

impl Reason {
    pub fn from_errno(e: Errno) -> Reason {
        match e {
            Errno::ACCESS | Errno::PERM => Reason::Denied,
            Errno::NOENT => Reason::NotProvided,
            e => Reason::Other(e),
        }
    }
}

/// What tsnap knows about its own privileges, to explain a denial.
#[derive(Debug, Clone, Default)]
pub struct Privileges {
    pub sys_admin: bool,
    pub sys_ptrace: bool,
    /// `kernel.yama.ptrace_scope`, when Yama is present.
    pub yama_scope: Option<u8>,
}

/// What a count is about: a thread's `stat`, without which it has no row at all, or a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Stat,
    Column(Column),
}

impl Subject {
    fn name(self) -> &'static str {
        match self {
            Subject::Stat => "stat",
            Subject::Column(c) => c.name(),
        }
    }

    /// Where its lines come: `stat` first, then the columns in the catalogue's order.
    fn rank(self) -> usize {
        match self {
            Subject::Stat => 0,
            Subject::Column(c) => c as usize + 1,
        }
    }
}

struct Count {
    subject: Subject,
    reason: Reason,
    count: u64,
}

/// Failure counts, and how many reads of each column were tried.
#[derive(Default)]
pub struct Problems {
    counts: Vec<Count>,
    /// Reads tried, by [`Subject::rank`].
    tried: Vec<u64>,
}

impl Problems {
    /// Notes that `column` was wanted for one more thread.
    pub fn tried(&mut self, column: Column) {
        self.note_tried(Subject::Column(column));
    }

    /// Notes that `column` could not be read for one thread.
    pub fn failed(&mut self, column: Column, reason: Reason) {
        self.note_failed(Subject::Column(column), reason);
    }

    /// Notes that one more thread's `stat` was read.
    pub fn tried_stat(&mut self) {
        self.note_tried(Subject::Stat);
    }

    /// Notes that a thread's `stat` could not be read (and so the thread not shown).
    pub fn stat_failed(&mut self, reason: Reason) {
        self.note_failed(Subject::Stat, reason);
    }

    fn note_tried(&mut self, subject: Subject) {
        let rank = subject.rank();
        if self.tried.len() <= rank {
            self.tried.resize(rank + 1, 0);
        }
        self.tried[rank] += 1;
    }

    fn note_failed(&mut self, subject: Subject, reason: Reason) {
        match self
            .counts
            .iter_mut()
            .find(|c| c.subject == subject && c.reason == reason)
        {
            Some(c) => c.count += 1,
            None => self.counts.push(Count {
                subject,
                reason,
                count: 1,
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// One line per column and reason: `kstack: not readable for 212 of 230 threads
    /// (permission denied: needs CAP_SYS_ADMIN)`. `noun` names what was counted.
    pub fn lines(&self, privileges: &Privileges, noun: &str) -> Vec<String> {
        // In column order, whatever order the failures came in; a column's reasons in the
        // order they came.
        let mut counts: Vec<&Count> = self.counts.iter().collect();
        crate::sort::sort_by_key(&mut counts, |c| c.subject.rank());
        counts
            .into_iter()
            .map(|c| {
                if c.reason == Reason::Disputed {
                    return format!(
                        "{}: {} processes shown as ?ID and in no --container or --pod selection: their cgroup hierarchies name different containers or pods (a container that can write its name=systemd hierarchy can pass for another); ID is that of the memory or cpu hierarchy (v2 on a v2 host), which a container cannot write",
                        c.subject.name(),
                        c.count,
                    );
                }
                let tried = self.tried.get(c.subject.rank()).copied().unwrap_or(0);
                let verb = match c.reason {
                    Reason::Running => "not shown",
                    Reason::NoMemory => "path not read",
                    _ => "not readable",
                };
                format!(
                    "{}: {verb} for {} of {} {} ({})",
                    c.subject.name(),
                    c.count,
                    tried.max(c.count),
                    noun,
                    explain(c.subject, c.reason, privileges)
                )
            })
            .collect()
    }
}

fn explain(subject: Subject, reason: Reason, p: &Privileges) -> String {
    match reason {
        Reason::Denied => match subject {
            Subject::Column(column) => denied(column, p),
            Subject::Stat => "permission denied".to_string(),
        },
        Reason::NoPtraceRead => {
            "no ptrace-read access to the process, for which the kernel shows 0: run as its user or with CAP_SYS_PTRACE".to_string()
        }
        Reason::NotProvided => "this kernel does not provide the file".to_string(),
        Reason::Malformed => "unexpected file format".to_string(),
        Reason::NoField => "this kernel's file lacks the field".to_string(),
        Reason::NoUptime => {
            "no uptime in this procfs mount: an average over a thread's life needs the time since boot".to_string()
        }
        Reason::Disputed => "cgroup hierarchies disagree".to_string(),
        Reason::Untrusted => {
            "the unix socket table of the thread's network namespace holds a socket name with a newline, or more lines than the namespace has sockets: a name can forge lines, so none is trusted".to_string()
        }
        Reason::Running => {
            "running: the kernel keeps no current stack for a thread on a CPU".to_string()
        }
        Reason::NoMemory => {
            "the path or polled fd is in its memory, which needs ptrace access to the process (its user, or CAP_SYS_PTRACE): a path shown as (cwd) or its directory".to_string()
        }
        Reason::Other(e) => format!("read error: {}", errno_name(e)),
    }
}

/// Why a column's file was refused, from the privilege the catalogue says it needs and the
/// privileges tsnap holds.
fn denied(column: Column, p: &Privileges) -> String {
    let yama = p
        .yama_scope
        .map(|s| format!("; kernel.yama.ptrace_scope={s}"))
        .unwrap_or_default();
    match column.info().privilege {
        Privilege::SysAdmin if !p.sys_admin => {
            "permission denied: needs CAP_SYS_ADMIN".to_string()
        }
        Privilege::PtraceAttach | Privilege::SysAdmin if !p.sys_ptrace => format!(
            "permission denied: needs ptrace access to the process (its user, or CAP_SYS_PTRACE){yama}"
        ),
        Privilege::PtraceAttach | Privilege::SysAdmin => format!(
            "permission denied even with CAP_SYS_PTRACE: the process holds capabilities tsnap lacks, or a security module refuses{yama}"
        ),
        Privilege::PtraceRead | Privilege::PtraceAttachAndRead => {
            "permission denied: needs ptrace-read access to the process (its user, or CAP_SYS_PTRACE)".to_string()
        }
        Privilege::JvmUser => {
            "permission denied: the JVM's attach socket answers only its user, or root".to_string()
        }
        Privilege::None | Privilege::NameNeedsPtraceRead | Privilege::ZeroWithoutPtraceRead => {
            "permission denied".to_string()
        }
    }
}

/// tsnap's own capabilities and Yama's setting, to explain denials.
pub fn privileges(root: BorrowedFd<'_>) -> Privileges {
    use rustix::thread::{CapabilitySet, capabilities};
    let caps = capabilities(None)
        .map(|c| c.effective)
        .unwrap_or(CapabilitySet::empty());
    let mut path = RelPath::new();
    path.push(b"sys/kernel/yama/ptrace_scope");
    let mut buf = Vec::new();
    let yama_scope = procfs::read_file(root, &path, &mut buf)
        .ok()
        .and_then(|()| crate::parse::dec_u64(crate::parse::trim_end(&buf)))
        .and_then(|n| u8::try_from(n).ok());
    Privileges {
        sys_admin: caps.contains(CapabilitySet::SYS_ADMIN),
        sys_ptrace: caps.contains(CapabilitySet::SYS_PTRACE),
        yama_scope,
    }
}

/// Prints one line per column of `problems` that could not be read, on stderr, explained by
/// the privileges seen through the procfs mount at `root`.
pub fn print(problems: &Problems, root: BorrowedFd<'_>, noun: &str) {
    if problems.is_empty() {
        return;
    }
    let mut text = String::new();
    for line in problems.lines(&privileges(root), noun) {
        text.push_str(&line);
        text.push('\n');
    }
    crate::output::stderr(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_not_read_says_why() {
        let mut p = Problems::default();
        p.tried(Column::Filename);
        p.tried(Column::Filename);
        p.failed(Column::Filename, Reason::NoMemory);
        assert_eq!(
            p.lines(&Privileges::default(), "threads"),
            [
                "filename: path not read for 1 of 2 threads (the path or polled fd is in its memory, which needs ptrace access to the process (its user, or CAP_SYS_PTRACE): a path shown as (cwd) or its directory)"
            ]
        );
    }

    #[test]
    fn one_line_per_column_and_reason() {
        let mut p = Problems::default();
        for _ in 0..3 {
            p.tried(Column::Kstack);
            p.tried(Column::Syscall);
        }
        p.failed(Column::Kstack, Reason::Denied);
        p.failed(Column::Kstack, Reason::Denied);
        p.failed(Column::Syscall, Reason::Denied);
        let user = Privileges {
            sys_admin: false,
            sys_ptrace: false,
            yama_scope: Some(1),
        };
        assert_eq!(
            p.lines(&user, "threads"),
            [
                "syscall: not readable for 1 of 3 threads (permission denied: needs ptrace access to the process (its user, or CAP_SYS_PTRACE); kernel.yama.ptrace_scope=1)",
                "kstack: not readable for 2 of 3 threads (permission denied: needs CAP_SYS_ADMIN)",
            ]
        );
    }

    /// Every column a privilege is needed for says which when refused, whatever tsnap holds;
    /// one anyone may read says no more than that it was refused.
    #[test]
    fn a_denial_names_the_privilege_the_catalogue_says() {
        let none = Privileges::default();
        let ptrace = Privileges {
            sys_ptrace: true,
            ..Privileges::default()
        };
        for info in crate::columns::ALL {
            let said = denied(info.column, &none);
            let needed = match info.privilege {
                Privilege::None
                | Privilege::NameNeedsPtraceRead
                | Privilege::ZeroWithoutPtraceRead => None,
                Privilege::PtraceRead | Privilege::PtraceAttachAndRead => Some("ptrace-read"),
                Privilege::PtraceAttach => Some("ptrace access"),
                Privilege::SysAdmin => Some("CAP_SYS_ADMIN"),
                Privilege::JvmUser => Some("its user, or root"),
            };
            match needed {
                Some(needed) => assert!(said.contains(needed), "{}: {said}", info.name),
                None => assert_eq!(said, "permission denied", "{}", info.name),
            }
            let with_ptrace = denied(info.column, &ptrace);
            if info.privilege == Privilege::PtraceAttach {
                assert!(
                    with_ptrace.contains("even with CAP_SYS_PTRACE"),
                    "{with_ptrace}"
                );
            }
        }
    }
}
