//! tsnap: what every thread of a process is doing, read from /proc, in one static binary
//! that needs no root and nothing else installed.
//!
//! The binary (`src/main.rs`) is a thin shell over this library; the library form exists so
//! that the tests and fuzz targets can reach what they check. Only those modules are public:
//! the rest is private, so that the compiler reports what nothing uses.

#![deny(unsafe_code)]

pub mod aggregate;
mod cgroup;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod columns;
mod commands;
mod error;
mod findings;
mod flame;
mod histogram;
mod java;
pub mod output;
mod problems;
pub mod procfs;
mod remote;
pub mod row;
mod save;
pub mod select;
pub mod signals;
mod sort;
#[allow(unsafe_code)]
mod sys;
mod tally;
mod target;

/// The parsers and syscall tables live in their own crate (`crates/tsnap-parse`); they keep
/// their paths here.
pub use tsnap_parse::{self as parse, syscalls};

use cli::{Action, Command};
use error::Error;
use output::Out;

/// Runs tsnap with these arguments (without the program name).
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<(), Error> {
    refuse_set_id()?;
    let mut out = Out::new();
    let args = match cli::parse_from(args)? {
        Action::Print(text) => {
            out.buf.extend_from_slice(text.as_bytes());
            return out.flush();
        }
        Action::Run(args) => args,
    };
    if let Some(width) = commands::session::table_width(&args) {
        out.wrap_lines(width);
    }
    match args.command {
        Command::Snap => commands::snap::run(&args, &mut out),
        Command::Dump => commands::dump::run(&args, &mut out),
        Command::Sample => commands::sample::run(&args, &mut out),
        Command::Watch => commands::watch::run(&args, &mut out),
        Command::Top => commands::top::run(&args, &mut out),
        Command::Report => commands::report::run(&args, &mut out),
        Command::Columns => commands::columns::run(&args, &mut out),
    }
}

/// A set-user-ID or set-group-ID tsnap would show any user what only its owner may see.
fn refuse_set_id() -> Result<(), Error> {
    use rustix::process::{getegid, geteuid, getgid, getuid};
    if getuid() != geteuid() || getgid() != getegid() {
        return Err(Error::Fatal(
            "refusing to run set-user-ID or set-group-ID: it would show other users' threads to \
             whoever runs it; remove the bit (chmod u-s,g-s) and grant privileges to the user \
             instead"
                .to_string(),
        ));
    }
    Ok(())
}
