#![no_main]
//! TZif zone files (`/etc/localtime`, `TZ`): never a panic, and a zone answers an offset for
//! any time, before the first transition as after the last.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::tzif;

fuzz_target!(|data: &[u8]| {
    if let Some(zone) = tzif::parse(data) {
        for secs in [i64::MIN, -1, 0, 1, 1_700_000_000, i64::MAX] {
            let _ = zone.offset_at(secs);
        }
    }
});
