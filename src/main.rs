//! The tsnap command: runs the library and maps its errors to an exit status.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    match tsnap::run(std::env::args_os().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(message) = e.message() {
                tsnap::output::stderr(format!("{message}\n").as_bytes());
            }
            e.exit_code()
        }
    }
}
