//! The ways a run can end badly, each with its exit status.

use std::process::ExitCode;

#[derive(Debug)]
pub enum Error {
    /// Bad command line: status 2, with a hint to read the help.
    Usage(String),
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
            Error::Usage(_) | Error::BadInput(_) => ExitCode::from(2),
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
