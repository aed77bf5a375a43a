//! How each column's value is written from a [`Row`]: numbers raw, text from the rows' arena,
//! the syscall by name, the kernel stack outermost first.

use super::{Column, endpoint};
use crate::output::Kind;
use crate::output::number::{push_duration_ms, push_hex, push_int, push_size, push_tenths};
use crate::parse::{Span, stack};
use crate::row::{Row, Rows, Syscall};
use crate::syscalls;

/// The id the JVM knows a thread by, jstack's `nid`: its id in its own (innermost) pid
/// namespace; the tid where `status` has no `NSpid` (before Linux 4.1).
pub fn nid(row: &Row) -> u64 {
    row.nspid.unwrap_or(row.tid.into())
}

/// Appends the value of `column` for `row` to `out`, and says what kind of value it is.
pub fn render(column: Column, row: &Row, rows: &Rows, out: &mut Vec<u8>) -> Kind {
    let text = |t: Option<Span>, out: &mut Vec<u8>| match t {
        Some(s) => {
            out.extend_from_slice(rows.text(s));
            Kind::Text
        }
        None => Kind::Missing,
    };
    match column {
        Column::Pid => number(out, Some(row.pid)),
        Column::Tid => number(out, Some(row.tid)),
        Column::Nid => {
            push_hex(out, nid(row));
            Kind::Text
        }
        Column::Nspid => number(out, row.nspid),
        Column::Ppid => number(out, Some(row.ppid)),
        Column::State => {
            out.push(row.state);
            Kind::Text
        }
        Column::Statedesc => {
            out.extend_from_slice(state_words(row.state).psn.as_bytes());
            Kind::Text
        }
        Column::Comm => text(Some(row.comm), out),
        Column::Pcomm => text(row.pcomm, out),
        Column::Cmdline => text(row.cmdline, out),
        Column::Exe => text(row.exe, out),
        Column::User => text(row.user, out),
        Column::Cgroup => text(row.cgroup, out),
        Column::Container => text(row.container, out),
        Column::Pod => text(row.pod, out),
        Column::Throttled => tenths(out, row.throttled),
        Column::Pcpu => tenths(out, row.pcpu),
        Column::Cputime => number(out, row.cputime_ns.map(|ns| ns / 1_000_000)),
        Column::Runq => tenths(out, row.runq),
        Column::Vcsw => number(out, row.vcsw),
        Column::Ivcsw => number(out, row.ivcsw),
        Column::Rchar => number(out, row.io.map(|io| io.rchar)),
        Column::Wchar => number(out, row.io.map(|io| io.wchar)),
        Column::Rbytes => number(out, row.io.map(|io| io.read_bytes)),
        Column::Wbytes => number(out, row.io.map(|io| io.write_bytes)),
        Column::Minflt => number(out, Some(row.minflt)),
        Column::Majflt => number(out, Some(row.majflt)),
        Column::Prio => number(out, Some(row.priority)),
        Column::Nice => number(out, Some(row.nice)),
        Column::Psr => number(out, row.processor),
        Column::Nlwp => number(out, Some(row.num_threads)),
        Column::Wchan => text(row.wchan, out),
        Column::Syscall => syscall_name(row.syscall, out),
        Column::Filename => text(row.filename, out),
        Column::Endpoint => endpoint::text(row.endpoint, rows, out),
        Column::Kstack => match row.kstack {
            Some(s) => {
                push_kstack(out, rows.text(s));
                Kind::Text
            }
            None => Kind::Missing,
        },
        Column::Jstate => text(row.jstate, out),
        Column::Jframes => match row.jstack {
            Some(s) => {
                let frames = rows.text(s).split(|&b| b == b'\n').take(JFRAMES);
                push_joined(out, frames, b"<-");
                Kind::Text
            }
            None => Kind::Missing,
        },
        Column::Jstack => match row.jstack {
            Some(s) => {
                push_joined(out, rows.text(s).rsplit(|&b| b == b'\n'), b"->");
                Kind::Text
            }
            None => Kind::Missing,
        },
        Column::Jage => number(out, row.java_age_ms),
    }
}

/// How many frames `jframes` shows: the innermost.
const JFRAMES: usize = 5;

fn push_joined<'f>(out: &mut Vec<u8>, frames: impl Iterator<Item = &'f [u8]>, by: &[u8]) {
    for (i, frame) in frames.filter(|f| !f.is_empty()).enumerate() {
        if i > 0 {
            out.extend_from_slice(by);
        }
        out.extend_from_slice(frame);
    }
}

/// As [`render`], for a table, where numbers are read by eye: byte counts and rates (rchar,
/// wchar, rbytes, wbytes) in binary units (`7.2G`), CPU time as a duration (`3m24s`). CSV and
/// JSON keep the raw numbers of [`render`], and `--sort` orders by them.
pub fn render_table(column: Column, row: &Row, rows: &Rows, out: &mut Vec<u8>) -> Kind {
    let bytes = |io: fn(&crate::parse::io::Io) -> u64, out: &mut Vec<u8>| match &row.io {
        Some(v) => {
            push_size(out, io(v));
            Kind::Number
        }
        None => Kind::Missing,
    };
    match column {
        Column::Rchar => bytes(|io| io.rchar, out),
        Column::Wchar => bytes(|io| io.wchar, out),
        Column::Rbytes => bytes(|io| io.read_bytes, out),
        Column::Wbytes => bytes(|io| io.write_bytes, out),
        Column::Cputime => match row.cputime_ns {
            Some(ns) => {
                push_duration_ms(out, ns / 1_000_000);
                Kind::Number
            }
            None => Kind::Missing,
        },
        _ => render(column, row, rows, out),
    }
}

/// As [`render`], for JSON: the endpoint is an object ([`Kind::Json`]).
pub fn render_json(column: Column, row: &Row, rows: &Rows, out: &mut Vec<u8>) -> Kind {
    match column {
        Column::Endpoint => endpoint::json(row.endpoint, rows, out),
        _ => render(column, row, rows, out),
    }
}

/// The syscall column: a name, `[running]`, `[no_syscall]`, `[kernel_thread]` or `sys_N`.
pub fn syscall_name(syscall: Syscall, out: &mut Vec<u8>) -> Kind {
    let fixed = match syscall {
        Syscall::Unknown => return Kind::Missing,
        Syscall::Running => "[running]",
        Syscall::NotInSyscall => "[no_syscall]",
        Syscall::KernelThread => "[kernel_thread]",
        Syscall::Call { nr, .. } => match syscalls::lookup(nr) {
            Some(s) => s.name,
            None => {
                out.extend_from_slice(b"sys_");
                push_int(out, nr);
                return Kind::Text;
            }
        },
    };
    out.extend_from_slice(fixed.as_bytes());
    Kind::Text
}

fn number(out: &mut Vec<u8>, n: Option<impl itoa::Integer>) -> Kind {
    match n {
        Some(n) => {
            push_int(out, n);
            Kind::Number
        }
        None => Kind::Missing,
    }
}

fn tenths(out: &mut Vec<u8>, p: Option<f64>) -> Kind {
    match p {
        Some(p) => {
            push_tenths(out, p);
            Kind::Number
        }
        None => Kind::Missing,
    }
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

/// A state letter in words.
pub struct StateWords {
    /// The kernel's own (`/proc/PID/status`: sleeping, disk sleep), for the dump.
    pub kernel: &'static str,
    /// psn's (`Disk (Uninterruptible)`), for `statedesc`.
    pub psn: &'static str,
}

pub fn state_words(state: u8) -> StateWords {
    let (kernel, psn) = match state {
        b'R' => ("running", "Running (ON CPU)"),
        b'S' => ("sleeping", "Sleep (Interruptible)"),
        b'D' => ("disk sleep", "Disk (Uninterruptible)"),
        b'T' => ("stopped", "Stopped"),
        b't' => ("tracing stop", "Tracing stop"),
        b'Z' => ("zombie", "Zombie"),
        b'X' | b'x' => ("dead", "Dead"),
        b'P' => ("parked", "Parked"),
        b'I' => ("idle", "Idle"),
        b'W' => ("waking", "Waking"),
        b'K' => ("wakekill", "Wakekill"),
        _ => ("unknown", "Unknown"),
    };
    StateWords { kernel, psn }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_names() {
        let name = |sys| {
            let mut out = Vec::new();
            let kind = syscall_name(sys, &mut out);
            (kind, String::from_utf8(out).unwrap())
        };
        let call = |nr| Syscall::Call { nr, args: [0; 6] };
        assert_eq!(name(Syscall::Running), (Kind::Text, "[running]".into()));
        assert_eq!(
            name(Syscall::NotInSyscall),
            (Kind::Text, "[no_syscall]".into())
        );
        assert_eq!(
            name(Syscall::KernelThread),
            (Kind::Text, "[kernel_thread]".into())
        );
        assert_eq!(name(Syscall::Unknown), (Kind::Missing, String::new()));
        assert_eq!(name(call(999)), (Kind::Text, "sys_999".into()));
        assert_eq!(
            name(call(u64::MAX)),
            (Kind::Text, "sys_18446744073709551615".into())
        );
        assert_eq!(name(call(0)).1, crate::syscalls::lookup(0).unwrap().name);
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
