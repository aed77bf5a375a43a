//! The socket tables of a network namespace (`/proc/PID/net/tcp`, `tcp6`, `udp`, `udp6`,
//! `unix`), one line at a time.
//!
//! An inet line (proc(5)): `SL: LOCAL REMOTE ST TX:RX TR:WHEN RETRNSMT UID TIMEOUT INODE ...`,
//! addresses as `HEX_IP:HEX_PORT`. The IP is the kernel's network-order bytes printed as
//! native-endian 32-bit words (one for IPv4, four for IPv6), so the word's native bytes are
//! the address; the port is printed as a number.
//!
//! A unix line: `NUM: REFCOUNT PROTOCOL FLAGS TYPE ST INODE[ PATH]`. The path is the bound
//! name as the process gave it, byte for byte: a newline in it ends the line early, and the
//! rest comes as a line of its own that is no entry (see [`unix_line`]).

use super::{dec_u64, words};

/// An address and port of an inet socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Addr {
    /// The first 4 bytes for IPv4.
    pub ip: [u8; 16],
    /// IPv6 (`ip` holds 16 bytes), else IPv4.
    pub v6: bool,
    /// The port, 0 for none.
    pub port: u16,
}

impl Addr {
    /// The wildcard address with port 0: what a socket that is not connected has as its
    /// remote end.
    pub fn is_unset(&self) -> bool {
        self.port == 0 && self.ip == [0; 16]
    }
}

/// A line of `tcp`, `tcp6`, `udp` or `udp6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inet {
    /// This end.
    pub local: Addr,
    /// The peer's end (unset when not connected).
    pub remote: Addr,
    /// The kernel's TCP state number (UDP uses 1 when connected, 7 when not).
    pub state: u8,
    /// Bytes queued to send (for a listener: nothing).
    pub tx_queue: u32,
    /// Bytes received but not read (a listener's connections waiting to be accepted).
    pub rx_queue: u32,
    /// 0 for a connection in TIME_WAIT or being set up, which no file holds.
    pub inode: u64,
    /// The bytes a TCP connection has received since it was made, read or not (`tcp_info`'s
    /// `bytes_received`): only netlink's answer has it, on kernels from 4.1.
    pub received: Option<u64>,
}

/// `TCP_ESTABLISHED`: also a connected UDP socket.
pub const ESTABLISHED: u8 = 1;
/// `TCP_LISTEN`.
pub const LISTEN: u8 = 10;

/// The name of a TCP state, as `ss` and `netstat` print it.
pub fn tcp_state(state: u8) -> &'static str {
    match state {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        12 => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    }
}

/// Parses an inet line; `None` for the header and anything malformed.
pub fn inet_line(line: &[u8]) -> Option<Inet> {
    let mut w = words(line);
    w.next()?.strip_suffix(b":")?;
    let local = addr(w.next()?)?;
    let remote = addr(w.next()?)?;
    if local.v6 != remote.v6 {
        return None;
    }
    let state = u8::try_from(hex(w.next()?)?).ok()?;
    let (tx, rx) = split_at_colon(w.next()?)?;
    let inode = dec_u64(w.nth(4)?)?;
    Some(Inet {
        local,
        remote,
        state,
        tx_queue: u32::try_from(hex(tx)?).ok()?,
        rx_queue: u32::try_from(hex(rx)?).ok()?,
        inode,
        received: None,
    })
}

/// `HEX_IP:HEX_PORT`, the IP 8 hex digits (IPv4) or 32 (IPv6).
fn addr(field: &[u8]) -> Option<Addr> {
    let (ip_hex, port) = split_at_colon(field)?;
    let words = match ip_hex.len() {
        8 => 1,
        32 => 4,
        _ => return None,
    };
    let mut ip = [0u8; 16];
    for (i, chunk) in ip_hex.chunks(8).enumerate().take(words) {
        let word = u32::try_from(hex(chunk)?).ok()?;
        ip[i * 4..i * 4 + 4].copy_from_slice(&word.to_ne_bytes());
    }
    Some(Addr {
        ip,
        v6: words == 4,
        port: u16::try_from(hex(port)?).ok()?,
    })
}

fn split_at_colon(field: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = field.iter().position(|&b| b == b':')?;
    Some((&field[..colon], &field[colon + 1..]))
}

/// Hex digits without a prefix, at most 16 of them.
fn hex(digits: &[u8]) -> Option<u64> {
    if digits.starts_with(b"0x") {
        return None;
    }
    super::hex_u64(digits)
}

/// A line of `unix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unix<'a> {
    /// The socket's inode, as `socket:[INODE]` fd links name it.
    pub inode: u64,
    /// `SOCK_STREAM` 1, `SOCK_DGRAM` 2, `SOCK_SEQPACKET` 5.
    pub kind: u16,
    /// `SS_UNCONNECTED` 1, `SS_CONNECTING` 2, `SS_CONNECTED` 3, `SS_DISCONNECTING` 4.
    pub state: u8,
    /// Accepting connections (`__SO_ACCEPTCON` in the flags).
    pub listening: bool,
    /// The bound name: a path, `@name` for an abstract one, empty for an unnamed socket.
    pub path: &'a [u8],
}

/// `__SO_ACCEPTCON`: the socket listens.
const ACCEPTCON: u64 = 1 << 16;

/// Parses a unix line (without its newline); `None` for the header, and for what is no
/// entry: the rest of a path that held a newline, which belongs to the entry before.
pub fn unix_line(line: &[u8]) -> Option<Unix<'_>> {
    // The fixed fields are written with fixed widths and single spaces, except the inode
    // (`%5lu`, padded on the left): find them by words, the path after the inode's end.
    let mut rest = line;
    let mut fields = [&b""[..]; 7];
    for (i, field) in fields.iter_mut().enumerate() {
        let start = rest.iter().position(|&b| b != b' ')?;
        rest = &rest[start..];
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        *field = &rest[..end];
        rest = &rest[end..];
        if i < 6 && rest.is_empty() {
            return None;
        }
    }
    let [num, _refs, _protocol, flags, kind, state, inode] = fields;
    let num = num.strip_suffix(b":")?;
    if num.is_empty() || !num.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let flags = hex(flags)?;
    let path = match rest.split_first() {
        None => b"",
        Some((b' ', path)) => path,
        Some(_) => return None,
    };
    Some(Unix {
        inode: dec_u64(inode)?,
        kind: u16::try_from(hex(kind)?).ok()?,
        state: u8::try_from(hex(state)?).ok()?,
        listening: flags & ACCEPTCON != 0,
        path,
    })
}

/// How many unix sockets a network namespace has, from its `protocols` table
/// (`/proc/PID/net/protocols`): the `sockets` column of its `UNIX` (datagram and seqpacket)
/// and `UNIX-STREAM` lines. `None` without such a line.
pub fn unix_sockets(protocols: &[u8]) -> Option<u64> {
    let mut total: Option<u64> = None;
    for line in protocols.split(|&b| b == b'\n') {
        let mut w = words(line);
        if !matches!(w.next(), Some(b"UNIX" | b"UNIX-STREAM")) {
            continue;
        }
        let count = dec_u64(w.nth(1)?)?;
        total = Some(total.unwrap_or(0).checked_add(count)?);
    }
    total
}

/// The inode of a socket from the target of its fd link, `socket:[INODE]`.
pub fn socket_inode(link: &[u8]) -> Option<u64> {
    bracketed(link, b"socket:")
}

/// The id of a network namespace from the target of its `ns/net` link, `net:[ID]`.
pub fn namespace_id(link: &[u8]) -> Option<u64> {
    bracketed(link, b"net:")
}

fn bracketed(link: &[u8], prefix: &[u8]) -> Option<u64> {
    dec_u64(
        link.strip_prefix(prefix)?
            .strip_prefix(b"[")?
            .strip_suffix(b"]")?,
    )
}

/// The state of a unix socket in words.
pub fn unix_state(state: u8, listening: bool) -> &'static str {
    if listening {
        return "LISTEN";
    }
    match state {
        1 => "UNCONNECTED",
        2 => "CONNECTING",
        3 => "CONNECTED",
        4 => "DISCONNECTING",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: &Addr) -> (Ipv4Addr, u16) {
        assert!(!a.v6);
        let [b0, b1, b2, b3, ..] = a.ip;
        (Ipv4Addr::new(b0, b1, b2, b3), a.port)
    }

    fn v6(a: &Addr) -> (Ipv6Addr, u16) {
        assert!(a.v6);
        (Ipv6Addr::from(a.ip), a.port)
    }

    // Lines read from this machine's tables (Linux 6.18, x86_64).
    const TCP: &[u8] = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 84 1 0000000065aa446e 100 0 0 10 0                        
   2: 0100007F:E45A 0100007F:A58D 06 00000000:00000000 03:00000A90 00000000     0        0 0 3 00000000b7dede00                                      
   4: 0100007F:B4F3 0100007F:99CC 01 00000000:00000005 00:00000000 00000000     0        0 3088444 1 00000000ac06715d 20 4 30 10 -1                  
";

    #[test]
    fn tcp_lines() {
        let lines: Vec<Option<Inet>> = TCP.split(|&b| b == b'\n').map(inet_line).collect();
        assert_eq!(lines[0], None, "the header");
        let listener = lines[1].unwrap();
        assert_eq!(v4(&listener.local), (Ipv4Addr::UNSPECIFIED, 2024));
        assert!(listener.remote.is_unset());
        assert_eq!((listener.state, listener.inode), (LISTEN, 84));
        assert_eq!(tcp_state(listener.state), "LISTEN");
        let time_wait = lines[2].unwrap();
        assert_eq!(
            (tcp_state(time_wait.state), time_wait.inode),
            ("TIME_WAIT", 0)
        );
        let accepted = lines[3].unwrap();
        assert_eq!(v4(&accepted.local), (Ipv4Addr::LOCALHOST, 0xB4F3));
        assert_eq!(v4(&accepted.remote), (Ipv4Addr::LOCALHOST, 0x99CC));
        assert_eq!((accepted.state, accepted.inode), (ESTABLISHED, 3_088_444));
        assert_eq!((accepted.tx_queue, accepted.rx_queue), (0, 5));
        assert_eq!(lines[4], None, "the empty rest after the last newline");
    }

    #[test]
    fn tcp6_and_udp_lines() {
        let mapped = inet_line(b"   2: 0000000000000000FFFF00000100007F:8F98 0000000000000000FFFF00000100007F:8A69 06 00000000:00000000 03:00000468 00000000     0        0 0 3 00000000470ab45d").unwrap();
        assert_eq!(
            v6(&mapped.local),
            ("::ffff:127.0.0.1".parse().unwrap(), 0x8F98)
        );
        let any = inet_line(b"   0: 00000000000000000000000000000000:E775 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3088445 1 00000000f95cd314 100 0 0 10 0").unwrap();
        assert_eq!(v6(&any.local), (Ipv6Addr::UNSPECIFIED, 0xE775));
        assert_eq!((any.state, any.inode), (LISTEN, 3_088_445));
        let loopback = inet_line(b"   1: 00000000000000000000000001000000:E775 00000000000000000000000001000000:B028 01 00000000:00000000 00:00000000 00000000     0        0 3088447 1 0000000088b7db13 20 0 0 10 -1").unwrap();
        assert_eq!(v6(&loopback.remote), (Ipv6Addr::LOCALHOST, 0xB028));
        let udp = inet_line(b" 1510: 00000000:9FD5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3088448 2 000000002e8b3741 0       ").unwrap();
        assert_eq!(v4(&udp.local), (Ipv4Addr::UNSPECIFIED, 0x9FD5));
        assert_eq!((udp.state, udp.inode), (7, 3_088_448));
        let udp6 = inet_line(b"  447: 00000000000000000000000001000000:9BAE 00000000000000000000000001000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 3088449 2 000000008a5e1bd1 0").unwrap();
        assert_eq!(v6(&udp6.remote), (Ipv6Addr::LOCALHOST, 53));
    }

    #[test]
    fn malformed_inet_lines() {
        for line in [
            &b""[..],
            b"   0: 00000000:07E8",
            b"   0: 0000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 84",
            b"   0: 00000000:07E8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 84",
            b"   0: 00000000:1FFFF 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 84",
            b"   0: 00000000:07E8 00000000:0000 100 00000000:00000000 00:00000000 00000000 0 0 84",
            b"   0: 00000000:07E8 00000000:0000 0A 00000000 00:00000000 00000000 0 0 84",
            b"   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x",
            b"   0: 0x000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 84",
        ] {
            assert_eq!(inet_line(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn unix_lines() {
        let table: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path
00000000e2c73fc6: 00000003 00000000 00000000 0001 03 3085227
00000000ff245a6d: 00000002 00000000 00010000 0001 01 3088450 /tmp/p9.sock
0000000074f0862f: 00000002 00000000 00000000 0002 01 3088452 /tmp/p9 sp
ace
00000000cae7ffd5: 00000003 00000000 00000000 0001 03  1611
000000002fae0a24: 00000002 00000000 00000000 0001 01 3088451 @p9-abstract";
        let lines: Vec<Option<Unix<'_>>> = table.split(|&b| b == b'\n').map(unix_line).collect();
        assert_eq!(lines[0], None, "the header");
        let unnamed = lines[1].unwrap();
        assert_eq!(
            (unnamed.inode, unnamed.state, unnamed.path),
            (3_085_227, 3, &b""[..])
        );
        assert_eq!(unix_state(unnamed.state, unnamed.listening), "CONNECTED");
        let listener = lines[2].unwrap();
        assert_eq!(listener.path, b"/tmp/p9.sock");
        assert!(listener.listening && listener.kind == 1);
        assert_eq!(unix_state(listener.state, listener.listening), "LISTEN");
        let spaced = lines[3].unwrap();
        assert_eq!((spaced.kind, spaced.path), (2, &b"/tmp/p9 sp"[..]));
        assert_eq!(
            lines[4], None,
            "the rest of a path with a newline is no entry"
        );
        assert_eq!(lines[5].unwrap().inode, 1611, "a padded inode");
        assert_eq!(lines[6].unwrap().path, b"@p9-abstract");
    }

    #[test]
    fn unix_socket_counts() {
        // This machine's (6.18), abridged.
        let protocols = b"protocol  size sockets  memory press maxhdr  slab module     cl co di ac io in de sh ss gs se re bi br ha uh gp em
PACKET    1600      0      -1   NI       0   no   kernel      n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n
UNIX-STREAM 1152      6      -1   NI       0   yes  kernel      y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n
UNIX      1152      2      -1   NI       0   yes  kernel      y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n
TCP       2560      1      0    no     320   yes  kernel      y  y  y  y  y  y  y  y  y  y  y  y  y  n  y  y  y  y  y
";
        assert_eq!(unix_sockets(protocols), Some(8));
        assert_eq!(
            unix_sockets(b"UNIX 1152 3\n"),
            Some(3),
            "an older kernel's one line"
        );
        assert_eq!(unix_sockets(b"TCP 2560 1\n"), None);
        assert_eq!(unix_sockets(b"UNIX 1152 x\n"), None);
        assert_eq!(unix_sockets(b"UNIX 1152\n"), None);
        assert_eq!(
            unix_sockets(b"UNIX 1 18446744073709551615\nUNIX-STREAM 1 1\n"),
            None
        );
    }

    #[test]
    fn links() {
        assert_eq!(socket_inode(b"socket:[3088444]"), Some(3_088_444));
        assert_eq!(namespace_id(b"net:[4026531833]"), Some(4_026_531_833));
        assert_eq!(socket_inode(b"pipe:[3088444]"), None);
        assert_eq!(socket_inode(b"socket:[]"), None);
        assert_eq!(socket_inode(b"socket:[12"), None);
        assert_eq!(namespace_id(b"socket:[12]"), None);
    }

    #[test]
    fn malformed_unix_lines() {
        for line in [
            &b""[..],
            b"ace",
            b"00000000e2c73fc6: 00000003 00000000 00000000 0001 03",
            b"00000000e2c73fc6 00000003 00000000 00000000 0001 03 3085227",
            b"zz: 00000003 00000000 00000000 0001 03 3085227",
            b"00000000e2c73fc6: 00000003 00000000 00000000 0001 03 30852x7",
            b"00000000e2c73fc6: 00000003 00000000 00000000 10001 03 3085227",
        ] {
            assert_eq!(unix_line(line), None, "{}", String::from_utf8_lossy(line));
        }
    }
}
