#![no_main]
//! `mountinfo`: never a panic, for any mount point asked about.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (point, info) = data.split_at(data.len().min(8));
    let _ = tsnap_parse::mountinfo::hidepid(info, point);
    let _ = tsnap_parse::mountinfo::hidepid(data, b"/proc");
});
