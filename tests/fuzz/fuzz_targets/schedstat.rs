#![no_main]
//! `schedstat` lines: never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tsnap_parse::schedstat::parse(data);
});
