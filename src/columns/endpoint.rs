//! The endpoint column as text (`tcp 10.0.0.5:43512->10.0.3.7:5432 ESTABLISHED`) and as a JSON
//! object (`{"proto":"tcp","local":...,"remote":...,"state":...,"rx_queue":0,"tx_queue":0}`).

use crate::output::Kind;
use crate::output::json::JsonLine;
use crate::output::number::push_int;
use crate::parse::net::{self, Addr, Inet};
use crate::row::{Endpoint, Proto, Rows};
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Appends the endpoint as text: protocol, local address, `->` and the remote one when
/// connected, the TCP state, and ` rx=N tx=N` when a queue holds bytes; `unix` and the bound
/// name. Empty when the call works on no socket in a table.
pub fn text(endpoint: Endpoint, rows: &Rows, out: &mut Vec<u8>) -> Kind {
    match endpoint {
        Endpoint::Unknown => return Kind::Missing,
        Endpoint::None => {}
        Endpoint::Inet { proto, socket, .. } => {
            out.extend_from_slice(proto_name(proto, &socket).as_bytes());
            out.push(b' ');
            push_addr(out, &socket.local);
            if !socket.remote.is_unset() {
                out.extend_from_slice(b"->");
                push_addr(out, &socket.remote);
            }
            if proto == Proto::Tcp {
                out.push(b' ');
                out.extend_from_slice(net::tcp_state(socket.state).as_bytes());
            }
            let (rx, tx) = queues(proto, &socket);
            if rx.is_some_and(|n| n > 0) || tx.is_some_and(|n| n > 0) {
                out.extend_from_slice(b" rx=");
                push_int(out, rx.unwrap_or(0));
                if let Some(tx) = tx {
                    out.extend_from_slice(b" tx=");
                    push_int(out, tx);
                }
            }
        }
        Endpoint::Unix { path, .. } => {
            out.extend_from_slice(b"unix");
            let path = rows.text(path);
            if !path.is_empty() {
                out.push(b' ');
                out.extend_from_slice(path);
            }
        }
    }
    Kind::Text
}

/// Appends the endpoint as a JSON object ([`Kind::Json`]); `null` ([`Kind::Missing`]) when
/// unknown or no socket in a table.
pub fn json(endpoint: Endpoint, rows: &Rows, out: &mut Vec<u8>) -> Kind {
    match endpoint {
        Endpoint::Unknown | Endpoint::None => Kind::Missing,
        Endpoint::Inet { proto, socket, .. } => {
            let mut addr = Vec::with_capacity(48);
            let mut line = JsonLine::new(out);
            line.text("proto", proto_name(proto, &socket).as_bytes());
            push_addr(&mut addr, &socket.local);
            line.text("local", &addr);
            if socket.remote.is_unset() {
                line.null("remote");
            } else {
                addr.clear();
                push_addr(&mut addr, &socket.remote);
                line.text("remote", &addr);
            }
            match proto {
                Proto::Tcp => line.text("state", net::tcp_state(socket.state).as_bytes()),
                Proto::Udp => line.null("state"),
            };
            let (rx, tx) = queues(proto, &socket);
            line.number_or_null("rx_queue", rx);
            line.number_or_null("tx_queue", tx);
            line.close();
            Kind::Json
        }
        Endpoint::Unix {
            path,
            state,
            listening,
            ..
        } => {
            let mut line = JsonLine::new(out);
            line.text("proto", b"unix")
                .text("path", rows.text(path))
                .text("state", net::unix_state(state, listening).as_bytes());
            line.close();
            Kind::Json
        }
    }
}

fn proto_name(proto: Proto, socket: &Inet) -> &'static str {
    match (proto, socket.local.v6) {
        (Proto::Tcp, false) => "tcp",
        (Proto::Tcp, true) => "tcp6",
        (Proto::Udp, false) => "udp",
        (Proto::Udp, true) => "udp6",
    }
}

/// Bytes received but not read, and queued to send. A listener's "send queue" in the table
/// is its backlog's limit, no queue: none.
fn queues(proto: Proto, socket: &Inet) -> (Option<u32>, Option<u32>) {
    match proto == Proto::Tcp && socket.state == net::LISTEN {
        true => (Some(socket.rx_queue), None),
        false => (Some(socket.rx_queue), Some(socket.tx_queue)),
    }
}

/// `10.0.0.5:43512`, `[::1]:8080`.
pub fn push_addr(out: &mut Vec<u8>, addr: &Addr) {
    // Writing to a Vec cannot fail.
    let _ = if addr.v6 {
        write!(out, "[{}]:{}", Ipv6Addr::from(addr.ip), addr.port)
    } else {
        let [a, b, c, d, ..] = addr.ip;
        write!(out, "{}:{}", Ipv4Addr::new(a, b, c, d), addr.port)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet(line: &[u8]) -> Inet {
        net::inet_line(line).unwrap()
    }

    fn both(endpoint: Endpoint, rows: &Rows) -> (String, String) {
        let (mut t, mut j) = (Vec::new(), Vec::new());
        text(endpoint, rows, &mut t);
        json(endpoint, rows, &mut j);
        (String::from_utf8(t).unwrap(), String::from_utf8(j).unwrap())
    }

    #[test]
    fn text_and_json() {
        let mut rows = Rows::default();
        let tcp = |socket| Endpoint::Inet {
            proto: Proto::Tcp,
            socket,
            accepted: false,
        };
        let accepted = inet(b"   4: 0100007F:B4F3 0100007F:99CC 01 00000000:00000005 00:00000000 00000000     0        0 3088444 1 00000000ac06715d 20 4 30 10 -1");
        assert_eq!(
            both(tcp(accepted), &rows),
            (
                "tcp 127.0.0.1:46323->127.0.0.1:39372 ESTABLISHED rx=5 tx=0".into(),
                r#"{"proto":"tcp","local":"127.0.0.1:46323","remote":"127.0.0.1:39372","state":"ESTABLISHED","rx_queue":5,"tx_queue":0}"#.into()
            )
        );
        let listener = inet(b"   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3088445 1 00000000f95cd314 100 0 0 10 0");
        assert_eq!(
            both(tcp(listener), &rows),
            (
                "tcp6 [::]:8080 LISTEN".into(),
                r#"{"proto":"tcp6","local":"[::]:8080","remote":null,"state":"LISTEN","rx_queue":0,"tx_queue":null}"#.into()
            )
        );
        let udp = inet(b" 1510: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3088448 2 000000002e8b3741 0");
        let udp = Endpoint::Inet {
            proto: Proto::Udp,
            socket: udp,
            accepted: false,
        };
        assert_eq!(both(udp, &rows).0, "udp 0.0.0.0:53");
        assert!(both(udp, &rows).1.contains(r#""remote":null,"state":null"#));
        let path = rows.push_text(b"/run/app.sock");
        let unix = Endpoint::Unix {
            path,
            inode: 7,
            state: 1,
            listening: true,
        };
        assert_eq!(
            both(unix, &rows),
            (
                "unix /run/app.sock".into(),
                r#"{"proto":"unix","path":"/run/app.sock","state":"LISTEN"}"#.into()
            )
        );
        let unnamed = Endpoint::Unix {
            path: rows.push_text(b""),
            inode: 8,
            state: 3,
            listening: false,
        };
        assert_eq!(both(unnamed, &rows).0, "unix");
        assert_eq!(both(Endpoint::None, &rows), (String::new(), String::new()));
        let mut out = Vec::new();
        assert_eq!(json(Endpoint::None, &rows, &mut out), Kind::Missing);
        assert_eq!(text(Endpoint::Unknown, &rows, &mut out), Kind::Missing);
    }
}
