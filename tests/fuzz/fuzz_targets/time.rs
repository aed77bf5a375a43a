#![no_main]
//! Times as text (`uptime`, `--interval`, `--duration`): never a panic; plain seconds read the
//! same as a duration without a unit, and with `ms` a thousandth of it.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::time;

fuzz_target!(|data: &[u8]| {
    let _ = time::uptime_ns(data);
    if let Some(ns) = time::seconds_ns(data) {
        assert_eq!(time::duration_ns(data), Some(ns));
        let mut ms = data.to_vec();
        ms.extend_from_slice(b"ms");
        assert_eq!(time::duration_ns(&ms), Some(ns / 1000));
    } else {
        let _ = time::duration_ns(data);
    }
});
