//! The ways a run can end badly, each with its exit status.

use rustix::io::Errno;
use std::process::ExitCode;

#[derive(Debug)]
pub enum Error {
    /// Bad command line: status 2, with a hint to read the help.
    Usage(String),
    /// Bad command line of a command named: status 2, with a hint to read its help (`tsnap
    /// help sample`).
    CommandUsage(String, &'static str),
    /// A malformed input file (`report`): status 2, without the usage hint.
    BadInput(String),
    /// Nothing matched the selection: status 1.
    NoMatch(String),
    /// /proc unusable, an output file that cannot be written: status 1.
    Fatal(String),
    /// Standard output was closed (`tsnap | head`): end quietly, status 0.
    BrokenPipe,
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::CommandUsage(..) | Error::BadInput(_) => ExitCode::from(2),
            Error::NoMatch(_) | Error::Fatal(_) => ExitCode::from(1),
            Error::BrokenPipe => ExitCode::SUCCESS,
        }
    }

    /// The line to print on stderr, if any.
    pub fn message(&self) -> Option<String> {
        match self {
            Error::Usage(m) => Some(format!(
                "tsnap: {m}\nTry 'tsnap --help' for more information."
            )),
            Error::CommandUsage(m, name) => Some(format!(
                "tsnap: {m}\nTry 'tsnap help {name}' for more information."
            )),
            Error::BadInput(m) | Error::NoMatch(m) | Error::Fatal(m) => Some(format!("tsnap: {m}")),
            Error::BrokenPipe => None,
        }
    }
}

impl From<lexopt::Error> for Error {
    fn from(e: lexopt::Error) -> Error {
        Error::Usage(e.to_string())
    }
}

/// A short name for an errno, for the rare read errors that are not permissions.
pub fn errno_name(e: Errno) -> String {
    let name = match e {
        Errno::IO => "EIO",
        Errno::INVAL => "EINVAL",
        Errno::NOMEM => "ENOMEM",
        Errno::MFILE => "EMFILE (too many open files)",
        Errno::NFILE => "ENFILE (too many open files in the system)",
        Errno::INTR => "EINTR",
        Errno::FAULT => "EFAULT",
        Errno::NOTDIR => "ENOTDIR",
        Errno::ISDIR => "EISDIR",
        Errno::NOSPC => "ENOSPC (no space left on device)",
        Errno::ROFS => "EROFS (read-only file system)",
        Errno::DQUOT => "EDQUOT (disk quota exceeded)",
        Errno::FBIG => "EFBIG (file too large)",
        Errno::ACCESS => "EACCES (permission denied)",
        Errno::PERM => "EPERM (operation not permitted)",
        Errno::NOENT => "ENOENT (no such file or directory)",
        Errno::SRCH => "ESRCH (no such process)",
        Errno::CONNREFUSED => "ECONNREFUSED (connection refused)",
        Errno::NAMETOOLONG => "ENAMETOOLONG (file name too long)",
        Errno::NOSYS => "ENOSYS (not implemented by this kernel)",
        _ => return format!("errno {}", e.raw_os_error()),
    };
    name.to_string()
}
