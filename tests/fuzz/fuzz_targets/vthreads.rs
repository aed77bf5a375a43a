#![no_main]
//! JSON thread dumps (`dump --virtual`): never a panic; every thread handed over is counted,
//! its strings are pieces of the input, and a dump cut anywhere gives at most the threads of
//! the whole.

use libfuzzer_sys::fuzz_target;
use tsnap::parse::jsonl;
use tsnap::parse::vthreads;

fuzz_target!(|data: &[u8]| {
    let mut seen = 0;
    let summary = vthreads::parse(data, &mut |t| {
        seen += 1;
        for part in [t.name, t.state, t.stack] {
            assert!(part.len() <= data.len());
        }
        for frame in vthreads::frames(t.stack) {
            assert!(frame.len() <= t.stack.len());
            let _ = jsonl::unescape(frame, &mut Vec::new());
        }
    });
    assert_eq!(seen, summary.threads);
    let half = vthreads::parse(&data[..data.len() / 2], &mut |_| {});
    assert!(half.threads <= summary.threads);
});
