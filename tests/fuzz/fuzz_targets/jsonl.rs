#![no_main]
//! Saved JSON lines (`report`): never a panic, every span inside the text it fills, and a
//! line tsnap writes itself always parses back.

use libfuzzer_sys::fuzz_target;
use tsnap::output::json::JsonLine;
use tsnap_parse::jsonl::{self, Value};

fuzz_target!(|data: &[u8]| {
    let mut text = Vec::new();
    let mut fields = Vec::new();
    if jsonl::parse(data, &mut text, &mut fields).is_some() {
        for (key, value) in &fields {
            assert!(key.range().end <= text.len());
            if let Value::Text(s) | Value::Number(s) = value {
                assert!(s.range().end <= text.len());
            }
        }
    }
    let mut line = Vec::new();
    JsonLine::new(&mut line)
        .text("comm", data)
        .number("pass", 7u64)
        .end();
    assert!(jsonl::parse(line.trim_ascii_end(), &mut text, &mut fields).is_some());
});
