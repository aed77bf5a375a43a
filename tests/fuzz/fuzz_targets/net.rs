#![no_main]
//! Lines of the socket tables, a `protocols` table's unix counts, netlink's socket diagnostics
//! and a thread's `io`: never a panic; a unix socket's path is the end of its line, and an inet
//! line's addresses are of one family, as a diagnostic's are; a unix name from netlink is
//! written as the text table would, without a NUL.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::{diag, io, net};

fuzz_target!(|data: &[u8]| {
    if let Some(s) = net::inet_line(data) {
        assert_eq!(s.local.v6, s.remote.v6);
        let _ = net::tcp_state(s.state);
    }
    if let Some(u) = net::unix_line(data) {
        assert!(data.ends_with(u.path));
        let _ = net::unix_state(u.state, u.listening);
    }
    for message in diag::messages(data) {
        match message {
            diag::Message::Socket(s) => {
                assert_eq!(s.local.v6, s.remote.v6);
                assert!(s.inode <= u64::from(u32::MAX));
            }
            diag::Message::Unix(u) => {
                assert!(u.inode <= u64::from(u32::MAX) && data.len() >= u.path.len());
                let mut name = Vec::new();
                diag::unix_name(u.path, &mut name);
                assert!(name.len() <= u.path.len() && !name.contains(&0));
            }
            _ => {}
        }
    }
    let _ = net::socket_inode(data);
    let _ = net::namespace_id(data);
    let _ = net::unix_sockets(data);
    if let Some(counters) = io::parse(data) {
        assert_eq!(counters.since(&counters), io::Io::default());
        let _ = counters.scaled(u64::MAX, 1);
    }
});
