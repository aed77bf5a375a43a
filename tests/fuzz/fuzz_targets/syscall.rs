#![no_main]
//! `syscall` lines, and the column rendered from them: never a panic.

use libfuzzer_sys::fuzz_target;
use tsnap::columns;
use tsnap::parse::syscall::{self, Syscall};
use tsnap::row::Sys;

fuzz_target!(|data: &[u8]| {
    let sys = match syscall::parse(data) {
        Some(Syscall::Running) => Sys::Running,
        Some(Syscall::Outside) => Sys::NotInSyscall,
        Some(Syscall::In { nr, args }) => Sys::Call { nr, args },
        None => Sys::Unknown,
    };
    let mut out = Vec::new();
    columns::syscall_name(sys, &mut out);
    let _ = columns::fd_argument(sys);
});
