#![no_main]
//! `stack` files: frames are pieces of the input, and never empty.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::stack;

fuzz_target!(|data: &[u8]| {
    for frame in stack::frames(data) {
        assert!(!frame.is_empty() && frame.len() <= data.len());
        let _ = stack::is_entry_frame(frame);
    }
});
