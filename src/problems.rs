//! Files that could not be read: counted per column and reason while tsnap works, and told
//! once at the end, one line each, with what would have allowed the read.

use crate::error::errno_name;
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

struct Count {
    column: &'static str,
    reason: Reason,
    count: u64,
}

/// Failure counts, and how many reads of each column were tried.
#[derive(Default)]
pub struct Problems {
    counts: Vec<Count>,
    tried: Vec<(&'static str, u64)>,
}

impl Problems {
    /// Notes that `column` was wanted for one more thread.
    pub fn tried(&mut self, column: &'static str) {
        match self.tried.iter_mut().find(|(c, _)| *c == column) {
            Some((_, n)) => *n += 1,
            None => self.tried.push((column, 1)),
        }
    }

    /// Notes that `column` could not be read for one thread.
    pub fn failed(&mut self, column: &'static str, reason: Reason) {
        match self
            .counts
            .iter_mut()
            .find(|c| c.column == column && c.reason == reason)
        {
            Some(c) => c.count += 1,
            None => self.counts.push(Count {
                column,
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
        let rank = |c: &Count| {
            crate::columns::ALL
                .iter()
                .position(|i| i.name == c.column)
                .map_or(0, |p| p + 1)
        };
        let ranks = 0..=crate::columns::ALL.len();
        ranks
            .flat_map(|r| self.counts.iter().filter(move |c| rank(c) == r))
            .map(|c| {
                let tried = self
                    .tried
                    .iter()
                    .find(|(col, _)| *col == c.column)
                    .map_or(c.count, |(_, n)| *n);
                format!(
                    "{}: not readable for {} of {} {} ({})",
                    c.column,
                    c.count,
                    tried.max(c.count),
                    noun,
                    explain(c.column, c.reason, privileges)
                )
            })
            .collect()
    }
}

fn explain(column: &str, reason: Reason, p: &Privileges) -> String {
    match reason {
        Reason::Denied => denied(column, p),
        Reason::NoPtraceRead => {
            "no ptrace-read access to the process, for which the kernel shows 0: run as its user or with CAP_SYS_PTRACE".to_string()
        }
        Reason::NotProvided => "this kernel does not provide the file".to_string(),
        Reason::Malformed => "unexpected file format".to_string(),
        Reason::NoField => "this kernel's file lacks the field".to_string(),
        Reason::Other(e) => format!("read error: {}", errno_name(e)),
    }
}

fn denied(column: &str, p: &Privileges) -> String {
    let yama = p
        .yama_scope
        .map(|s| format!("; kernel.yama.ptrace_scope={s}"))
        .unwrap_or_default();
    match column {
        "kstack" if !p.sys_admin => "permission denied: needs CAP_SYS_ADMIN".to_string(),
        "syscall" | "kstack" if !p.sys_ptrace => format!(
            "permission denied: needs ptrace access to the process (its user, or CAP_SYS_PTRACE){yama}"
        ),
        "syscall" | "kstack" => format!(
            "permission denied even with CAP_SYS_PTRACE: the process holds capabilities tsnap lacks, or a security module refuses{yama}"
        ),
        "filename" | "exe" => {
            "permission denied: needs ptrace-read access to the process (its user, or CAP_SYS_PTRACE)".to_string()
        }
        _ => "permission denied".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_column_and_reason() {
        let mut p = Problems::default();
        for _ in 0..3 {
            p.tried("kstack");
            p.tried("syscall");
        }
        p.failed("kstack", Reason::Denied);
        p.failed("kstack", Reason::Denied);
        p.failed("syscall", Reason::Denied);
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
}
