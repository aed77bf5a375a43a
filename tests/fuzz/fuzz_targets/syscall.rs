#![no_main]
//! `syscall` lines, and the column rendered from them: never a panic.

use libfuzzer_sys::fuzz_target;
use tsnap::columns;
use tsnap::row::Syscall;
use tsnap_parse::syscall;

fuzz_target!(|data: &[u8]| {
    let value = syscall::parse(data).map_or(Syscall::Unknown, Syscall::from);
    let mut out = Vec::new();
    columns::syscall_name(value, &mut out);
    if let Syscall::Call { nr, args } = value {
        let _ = tsnap_parse::syscalls::fd_argument(nr, args[0]);
    }
});
