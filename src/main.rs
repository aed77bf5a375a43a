//! tsnap: what every thread of a process is doing, read from /proc, in one static binary
//! that needs no root and nothing else installed.

mod cli;
mod clock;
mod collect;
mod columns;
mod commands;
mod error;
mod output;
mod parse;
mod problems;
mod procfs;
mod row;
mod select;
mod syscalls;

use cli::{Action, Command};
use error::Error;
use output::Out;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(message) = e.message() {
                eprintln!("{message}");
            }
            e.exit_code()
        }
    }
}

fn run() -> Result<(), Error> {
    let mut out = Out::new();
    let args = match cli::parse_from(std::env::args_os().skip(1))? {
        Action::Print(text) => {
            out.buf.extend_from_slice(text.as_bytes());
            return out.flush();
        }
        Action::Run(args) => args,
    };
    match args.command {
        Command::Snap => commands::snap::run(&args, &mut out),
        Command::Dump => commands::dump::run(&args, &mut out),
        Command::Columns => commands::columns::run(&mut out),
    }
}
