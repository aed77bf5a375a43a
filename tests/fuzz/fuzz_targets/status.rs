#![no_main]
//! `status` files: field lookups and a thread's fields never panic, whatever the bytes.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::status;

fuzz_target!(|data: &[u8]| {
    for key in [
        &b"Tgid"[..],
        b"NSpid",
        b"Uid",
        b"SigCgt",
        b"voluntary_ctxt_switches",
        b"",
    ] {
        let _ = status::field(data, key);
        let _ = status::number(data, key);
    }
    let _ = status::task(data);
});
