#![no_main]
//! `stat` lines: never a panic; a parsed line's name lies within the input, and the quick
//! state agrees with the full parse.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::stat;

fuzz_target!(|data: &[u8]| {
    if let Some(s) = stat::parse(data) {
        assert!(s.comm.len() < data.len());
        assert_eq!(stat::state(data), Some(s.state));
    }
    let _ = stat::num_threads(data);
});
