#![no_main]
//! HotSpot thread dumps (`dump --java`): never a panic; a thread comes only from a line that
//! starts with a quote, and its name is a piece of that line.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::jstack;

fuzz_target!(|data: &[u8]| {
    let dump = jstack::parse(data);
    let quoted = data
        .split(|&b| b == b'\n')
        .filter(|l| l.trim_ascii_start().starts_with(b"\""))
        .count();
    assert!(dump.threads.len() <= quoted);
    for thread in &dump.threads {
        assert!(thread.name.len() < data.len());
        let _ = thread.state();
        for _ in thread.lines() {}
        for line in thread.text_lines() {
            assert!(line.len() <= data.len());
        }
    }
});
