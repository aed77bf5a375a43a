#![no_main]
//! `/etc/passwd` of a container: never a panic; a name is a whole first field of a line of
//! the input, not empty.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::passwd;

fuzz_target!(|data: &[u8]| {
    for uid in [0, 1, 1000, 65534, u32::MAX] {
        if let Some(name) = passwd::user_name(data, uid) {
            assert!(!name.is_empty() && !name.contains(&b':') && !name.contains(&b'\n'));
            assert!(name.len() < data.len());
        }
    }
});
