//! The kernel's socket diagnostics over netlink (`NETLINK_SOCK_DIAG`, sock_diag(7)): the
//! requests that dump the inet sockets of one family and protocol, or every unix socket with
//! its name, and the answer's messages, read into the same [`Inet`] as a line of
//! `/proc/net/tcp`, or the same [`Unix`] as a line of `/proc/net/unix`.
//!
//! The answer is a run of netlink messages, each a 16-byte header (`nlmsghdr`: length, type,
//! flags, sequence, port) and a payload, at 4-byte aligned offsets. A socket is an
//! `inet_diag_msg`: family, state, timer, retransmits (a byte each), then the socket's id
//! (source and destination port in network order, source and destination address as 16
//! bytes in network order, interface, cookie), then expiry, receive and send queues, uid and
//! inode as native 32-bit words; attributes follow (`rtattr`: length and type as native 16-bit
//! words, the value, 4-byte aligned). A TCP socket's `INET_DIAG_INFO` is its `struct
//! tcp_info`, whose `bytes_received` (a 64-bit word at byte 128, from Linux 4.1) says whether
//! the connection made progress. A unix socket is a `unix_diag_msg`: family, type, state, a
//! pad byte, inode and cookie, then attributes, of which `UNIX_DIAG_NAME` holds the bound name
//! as bound: no newline in it can make another socket, as one can in the text table. The dump
//! ends with `NLMSG_DONE`; `NLMSG_ERROR` carries a negative errno.

use super::net::{Addr, Inet, LISTEN, Unix};

/// `SOCK_DIAG_BY_FAMILY`: the request's message type, and each socket's in the answer.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
/// `NLM_F_ROOT | NLM_F_MATCH`: every socket, not one.
const NLM_F_DUMP: u16 = 0x300;
const HEADER: usize = 16;
/// `struct inet_diag_req_v2`.
const REQUEST: usize = 56;
/// `struct inet_diag_msg`.
const MESSAGE: usize = 72;
/// `struct unix_diag_req`.
const UNIX_REQUEST: usize = 24;
/// `struct unix_diag_msg`.
const UNIX_MESSAGE: usize = 16;
/// `UDIAG_SHOW_NAME`: the request asks for each socket's name.
const UDIAG_SHOW_NAME: u32 = 1;
/// The attribute that holds the name.
const UNIX_DIAG_NAME: u16 = 0;
/// The attribute that holds `struct tcp_info`, and where its `bytes_received` is.
const INET_DIAG_INFO: u16 = 2;
const BYTES_RECEIVED: usize = 128;

/// Address family of unix sockets.
pub const AF_UNIX: u8 = 1;
/// Address family of IPv4 sockets.
pub const AF_INET: u8 = 2;
/// Address family of IPv6 sockets.
pub const AF_INET6: u8 = 10;
/// Protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// Protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// The request for every socket of `family` (`AF_INET`, `AF_INET6`) and `protocol`
/// (`IPPROTO_TCP`, `IPPROTO_UDP`), in every state, with `tcp_info` for TCP.
pub fn request(family: u8, protocol: u8, seq: u32) -> [u8; HEADER + REQUEST] {
    let mut r = [0u8; HEADER + REQUEST];
    r[0..4].copy_from_slice(&((HEADER + REQUEST) as u32).to_ne_bytes());
    r[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r[8..12].copy_from_slice(&seq.to_ne_bytes());
    r[HEADER] = family;
    r[HEADER + 1] = protocol;
    // idiag_ext: a bit per attribute, bit N-1 for attribute N.
    if protocol == IPPROTO_TCP {
        r[HEADER + 2] = 1 << (INET_DIAG_INFO - 1);
    }
    // idiag_states: a bit per TCP state; UDP sockets are in TCP_ESTABLISHED or TCP_CLOSE.
    r[HEADER + 4..HEADER + 8].copy_from_slice(&u32::MAX.to_ne_bytes());
    r
}

/// The request for every unix socket, in every state, with its name.
pub fn unix_request(seq: u32) -> [u8; HEADER + UNIX_REQUEST] {
    let mut r = [0u8; HEADER + UNIX_REQUEST];
    r[0..4].copy_from_slice(&((HEADER + UNIX_REQUEST) as u32).to_ne_bytes());
    r[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r[8..12].copy_from_slice(&seq.to_ne_bytes());
    r[HEADER] = AF_UNIX;
    r[HEADER + 4..HEADER + 8].copy_from_slice(&u32::MAX.to_ne_bytes());
    r[HEADER + 12..HEADER + 16].copy_from_slice(&UDIAG_SHOW_NAME.to_ne_bytes());
    r
}

/// One message of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// An inet socket, as a line of the text table would give it.
    Socket(Inet),
    /// A unix socket; its name as bound (an abstract one starts with a NUL: see
    /// [`unix_name`]).
    Unix(Unix<'a>),
    /// The dump is complete.
    Done,
    /// The kernel refused the request: the errno, positive.
    Error(i32),
    /// Another type, or one too short for its type: skipped.
    Other,
}

/// The messages of one `recv` of an answer. A message that claims more bytes than are left
/// ends the iteration (a datagram is never cut on its own, so that is no answer of the
/// kernel's).
pub fn messages(buf: &[u8]) -> impl Iterator<Item = Message<'_>> + '_ {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < HEADER {
            return None;
        }
        let len = u32::from_ne_bytes(word(rest, 0)) as usize;
        if len < HEADER || len > rest.len() {
            rest = &[];
            return None;
        }
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        let payload = &rest[HEADER..len];
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
        Some(match kind {
            NLMSG_DONE => Message::Done,
            NLMSG_ERROR if payload.len() >= 4 => {
                Message::Error(i32::from_ne_bytes(word(payload, 0)).saturating_neg())
            }
            SOCK_DIAG_BY_FAMILY if payload.first() == Some(&AF_UNIX) => {
                unix(payload).map_or(Message::Other, Message::Unix)
            }
            SOCK_DIAG_BY_FAMILY => socket(payload).map_or(Message::Other, Message::Socket),
            _ => Message::Other,
        })
    })
}

/// An `inet_diag_msg`, as a line of `/proc/net/tcp` or `udp` would give it: a listener's
/// send queue is 0 there, where here it is the backlog's limit.
fn socket(m: &[u8]) -> Option<Inet> {
    if m.len() < MESSAGE {
        return None;
    }
    let v6 = match m[0] {
        AF_INET => false,
        AF_INET6 => true,
        _ => return None,
    };
    let addr = |port_at: usize, ip_at: usize| {
        let mut ip = [0u8; 16];
        let len = if v6 { 16 } else { 4 };
        ip[..len].copy_from_slice(&m[ip_at..ip_at + len]);
        Addr {
            ip,
            v6,
            port: u16::from_be_bytes([m[port_at], m[port_at + 1]]),
        }
    };
    let state = m[1];
    let u32_at = |at| u32::from_ne_bytes(word(m, at));
    Some(Inet {
        local: addr(4, 8),
        remote: addr(6, 24),
        state,
        tx_queue: if state == LISTEN { 0 } else { u32_at(60) },
        rx_queue: u32_at(56),
        inode: u64::from(u32_at(68)),
        received: received(&m[MESSAGE..]),
    })
}

/// A `unix_diag_msg` and its name attribute. Its state is the socket's `sk_state` (TCP's
/// numbers), told as the text table's socket state: connected, or not; listening apart.
fn unix(m: &[u8]) -> Option<Unix<'_>> {
    if m.len() < UNIX_MESSAGE {
        return None;
    }
    const TCP_ESTABLISHED: u8 = 1;
    let (kind, sk_state) = (m[1], m[2]);
    let name = attributes(&m[UNIX_MESSAGE..])
        .filter(|&(kind, _)| kind == UNIX_DIAG_NAME)
        .last()
        .map_or(&b""[..], |(_, value)| value);
    Some(Unix {
        inode: u64::from(u32::from_ne_bytes(word(m, 4))),
        kind: u16::from(kind),
        state: if sk_state == TCP_ESTABLISHED { 3 } else { 1 },
        listening: sk_state == LISTEN,
        path: name,
    })
}

/// Appends a unix socket's name as the text table writes it: an abstract name (its first
/// byte a NUL) with each NUL as `@`, a path without the NUL that ends it.
pub fn unix_name(name: &[u8], out: &mut Vec<u8>) {
    match name.first() {
        Some(0) => out.extend(name.iter().map(|&b| if b == 0 { b'@' } else { b })),
        _ => out.extend_from_slice(name.split(|&b| b == 0).next().unwrap_or_default()),
    }
}

/// `bytes_received` of the `tcp_info` among `attributes`, when there and long enough.
fn received(attrs: &[u8]) -> Option<u64> {
    let (_, info) = attributes(attrs).find(|&(kind, _)| kind == INET_DIAG_INFO)?;
    let at = info.get(BYTES_RECEIVED..BYTES_RECEIVED + 8)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(at);
    Some(u64::from_ne_bytes(word))
}

/// The attributes (`rtattr`) of a message: each one's type and value, up to the first whose
/// length is cut short or less than its own header.
fn attributes(mut rest: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_ne_bytes([*rest.first()?, *rest.get(1)?]));
        if len < 4 || len > rest.len() {
            return None;
        }
        let attribute = (u16::from_ne_bytes([rest[2], rest[3]]), &rest[4..len]);
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
        Some(attribute)
    })
}

/// The four bytes at `at` (the caller checked the length).
fn word(b: &[u8], at: usize) -> [u8; 4] {
    [b[at], b[at + 1], b[at + 2], b[at + 3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What this kernel (6.18, x86_64) answered to `request(AF_INET, IPPROTO_TCP, 1)` with
    /// one listener on 127.0.0.1:50997 (backlog 4) and one connection to it, whose server end
    /// had sent 5 bytes the client had not read: the listener and the client's end (with the
    /// attributes the kernel adds), then its `NLMSG_DONE`.
    const ANSWER: &str = "\
        7c000000140002000100000026040000020a0000c73500007f0000010000000000000000000000000000000000000000000000000000000000000000015000000000000000000000000000000400000000000000c2819500050008000000000008000f00000000000c00150001000000000000000600160052000000\
        7c00000014000200010000002604000002010000a534c7357f0000010000000000000000000000007f00000100000000000000000000000000000000075000000000000000000000050000000000000000000000c3819500050008000000000008000f00000000000c00150001000000000000000600160052000000\
        1400000003000200010000002604000000000000";

    fn answer() -> Vec<u8> {
        let hex = ANSWER.as_bytes();
        hex.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn reads_the_sockets_of_a_real_answer() {
        let buf = answer();
        let got: Vec<Message> = messages(&buf).collect();
        assert_eq!(got.len(), 3);
        let Message::Socket(listener) = got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(listener.state, LISTEN);
        assert_eq!(&listener.local.ip[..4], &[127, 0, 0, 1]);
        assert_eq!(listener.local.port, 50997);
        assert!(listener.remote.is_unset());
        assert_eq!(listener.tx_queue, 0, "the backlog's limit is not a queue");
        assert_eq!(listener.inode, 0x9581c2);
        let Message::Socket(client) = got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(client.state, 1);
        assert_eq!(client.local.port, 42292);
        assert_eq!(client.remote.port, 50997);
        assert_eq!(&client.remote.ip[..4], &[127, 0, 0, 1]);
        assert_eq!((client.rx_queue, client.tx_queue), (5, 0));
        assert_eq!(client.inode, 0x9581c3);
        assert_eq!(got[2], Message::Done);
    }

    #[test]
    fn errors_cut_and_foreign_messages() {
        let mut error = vec![0u8; 20];
        error[0] = 20;
        error[4] = NLMSG_ERROR as u8;
        error[16..20].copy_from_slice(&(-2i32).to_ne_bytes());
        assert_eq!(messages(&error).collect::<Vec<_>>(), [Message::Error(2)]);
        let buf = answer();
        assert_eq!(messages(&buf[..200]).count(), 1, "the second one is cut");
        let mut short = buf[..HEADER + 8].to_vec();
        short[0] = short.len() as u8;
        assert_eq!(messages(&short).collect::<Vec<_>>(), [Message::Other]);
        let mut zero = buf.clone();
        zero[0..4].copy_from_slice(&0u32.to_ne_bytes());
        assert_eq!(
            messages(&zero).count(),
            0,
            "a length under the header's ends it"
        );
    }

    /// What this kernel (6.18, x86_64) answered to `unix_request(1)`, kept to three sockets:
    /// one end of a socketpair, a listener on /tmp/idexp/p9.sock and a datagram socket bound
    /// to the abstract name `\0p9\nx` (each with the shutdown attribute the kernel adds
    /// unasked), then its `NLMSG_DONE`.
    const UNIX_ANSWER: &str = "\
        280000001400020001000000030500000101010081142b006a0000000000000005000600000000004000000014000200010000000305000001010a0080142b006d00000000000000170000002f746d702f69646578702f70392e736f636b00000500060000000000340000001400020001000000030500000102070083142b006e00000000000000090000000070390a7800000005000600000000001400000003000200010000000305000000000000";

    #[test]
    fn reads_the_unix_sockets_of_a_real_answer() {
        let hex = UNIX_ANSWER.as_bytes();
        let buf: Vec<u8> = hex
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect();
        let got: Vec<Message<'_>> = messages(&buf).collect();
        let unix = |i: usize| match got[i] {
            Message::Unix(u) => u,
            other => panic!("{other:?}"),
        };
        let name = |u: Unix<'_>| {
            let mut out = Vec::new();
            unix_name(u.path, &mut out);
            String::from_utf8(out).unwrap()
        };
        let pair = unix(0);
        assert_eq!((pair.inode, pair.kind, pair.state), (2_823_297, 1, 3));
        assert!(!pair.listening && name(pair).is_empty());
        let listener = unix(1);
        assert_eq!((listener.inode, listener.state), (2_823_296, 1));
        assert!(listener.listening);
        assert_eq!(name(listener), "/tmp/idexp/p9.sock");
        let abstract_ = unix(2);
        assert_eq!((abstract_.kind, abstract_.state), (2, 1));
        assert_eq!(
            name(abstract_),
            "@p9\nx",
            "the newline is the name's, whole"
        );
        assert_eq!(got[3], Message::Done);
        // Cut attributes end the name's search, not the message.
        let cut = &buf[40..40 + 16 + 16 + 6];
        let mut short = cut.to_vec();
        short[0] = short.len() as u8;
        match messages(&short).next() {
            Some(Message::Unix(u)) => assert_eq!((u.inode, u.path), (2_823_296, &b""[..])),
            other => panic!("{other:?}"),
        }
        let r = unix_request(3);
        assert_eq!(u32::from_ne_bytes(word(&r, 0)) as usize, r.len());
        assert_eq!(
            (r[16], u32::from_ne_bytes(word(&r, 28))),
            (AF_UNIX, UDIAG_SHOW_NAME)
        );
    }

    #[test]
    fn tcp_info_attributes_bounded() {
        // An attribute of another type, then INET_DIAG_INFO with bytes_received 42.
        let mut attrs = vec![8, 0, 5, 0, 1, 2, 3, 4];
        let mut info = vec![0u8; 4 + 232];
        info[0..2].copy_from_slice(&236u16.to_ne_bytes());
        info[2..4].copy_from_slice(&INET_DIAG_INFO.to_ne_bytes());
        info[4 + BYTES_RECEIVED..4 + BYTES_RECEIVED + 8].copy_from_slice(&42u64.to_ne_bytes());
        attrs.extend_from_slice(&info);
        assert_eq!(received(&attrs), Some(42));
        assert_eq!(received(&attrs[..200]), None, "cut short");
        let mut old = info[..4 + 104].to_vec();
        old[0..2].copy_from_slice(&108u16.to_ne_bytes());
        assert_eq!(received(&old), None, "a kernel's tcp_info before 4.1");
        assert_eq!(received(&[0, 0, 2, 0, 9, 9, 9, 9]), None, "a zero length");
        assert_eq!(received(&[3, 0]), None);
    }

    #[test]
    fn the_request_asks_for_a_dump() {
        let r = request(AF_INET6, IPPROTO_UDP, 7);
        assert_eq!(u32::from_ne_bytes(word(&r, 0)) as usize, r.len());
        assert_eq!(u16::from_ne_bytes([r[6], r[7]]), NLM_F_REQUEST | NLM_F_DUMP);
        assert_eq!(u32::from_ne_bytes(word(&r, 8)), 7);
        assert_eq!((r[16], r[17]), (AF_INET6, IPPROTO_UDP));
        assert_eq!(r[18], 0, "UDP has no tcp_info");
        assert_eq!(request(AF_INET, IPPROTO_TCP, 1)[18], 2, "INET_DIAG_INFO");
    }
}
