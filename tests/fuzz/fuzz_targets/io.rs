#![no_main]
//! A thread's `io`: never a panic; counters less themselves are zero, scaling by one changes
//! nothing, and any scale saturates rather than overflows.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::io::{self, Io};

fuzz_target!(|data: &[u8]| {
    if let Some(counters) = io::parse(data) {
        assert_eq!(counters.since(&counters), Io::default());
        assert_eq!(counters.since(&Io::default()), counters);
        assert_eq!(counters.scaled(1, 1), counters);
        let _ = counters.scaled(u64::MAX, 0);
    }
});
