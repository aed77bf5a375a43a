#![no_main]
//! The command line: any arguments give a plan, a text to print, or a usage error, never a
//! panic. NUL bytes split the input into arguments.

use libfuzzer_sys::fuzz_target;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

fuzz_target!(|data: &[u8]| {
    let args = data
        .split(|&b| b == 0)
        .map(|a| OsString::from_vec(a.to_vec()));
    let _ = tsnap::cli::parse_from(args);
});
