#![no_main]
//! Answers of netlink's socket diagnostics: never a panic; an inet socket's addresses are of
//! one family and its inode 32 bits; a unix name is written as the text table would, without a
//! NUL and no longer than it was.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::diag;

fuzz_target!(|data: &[u8]| {
    let mut name = Vec::new();
    for message in diag::messages(data) {
        match message {
            diag::Message::Socket(s) => {
                assert_eq!(s.local.v6, s.remote.v6);
                assert!(s.inode <= u64::from(u32::MAX));
            }
            diag::Message::Unix(u) => {
                assert!(u.inode <= u64::from(u32::MAX) && u.path.len() <= data.len());
                name.clear();
                diag::unix_name(u.path, &mut name);
                assert!(name.len() <= u.path.len() && !name.contains(&0));
            }
            diag::Message::Done | diag::Message::Error(_) | diag::Message::Other => {}
        }
    }
});
