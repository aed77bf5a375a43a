#![no_main]
//! Escaping attacker-controlled bytes: table and CSV text hold no control byte and are
//! valid UTF-8; JSON strings are valid UTF-8 without raw control characters; none holds a bidi
//! control or an invisible character.

use libfuzzer_sys::fuzz_target;
use tsnap::output::escape;

fuzz_target!(|data: &[u8]| {
    for write in [escape::text, escape::csv, escape::json] {
        let mut out = Vec::new();
        write(&mut out, data);
        let s = std::str::from_utf8(&out).expect("escaped output is UTF-8");
        assert!(!s.chars().any(|c| c.is_control()), "{s:?}");
        let hidden = |c: char| {
            matches!(c, '\u{ad}' | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}')
                || matches!(c, '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}')
        };
        assert!(!s.chars().any(hidden), "{s:?}");
    }
});
