//! The socket tables of the network namespaces the shown threads live in, read when a shown
//! row first needs one and kept: each table of a namespace is read at most once until it is
//! forgotten, however many threads use its sockets.
//!
//! Which table holds a socket is asked of the socket itself, through the protocol name the
//! kernel gives as the `system.sockprotoname` attribute of its fd link: only that table is
//! read, and a socket of another family (netlink, packet) is looked for in none. Where the
//! attribute cannot be read (a copied tree), the tables are tried in turn. A socket in an
//! inet table read already needs no asking.
//!
//! The inet tables of tsnap's own network namespace are asked of netlink ([`SockDiag`]):
//! the same facts, at about half the kernel's cost of writing them as text.
//!
//! The tables hold no text of the target's but the unix paths, and a path may hold a newline:
//! the rest of it then comes as a line of its own, which is joined back to the path. A path
//! could so hold a whole forged line for another socket's inode; an inode listed twice is
//! dropped, and a socket is only looked for in the table of its own family.

use super::sock_diag::SockDiag;
use crate::parse::diag;
use crate::parse::net::{self, Inet};
use crate::procfs::{self, RelPath};
use crate::row::Proto;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd};
use rustix::io::{self, Errno};

/// A socket table, and the family of the sockets it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Tcp,
    Tcp6,
    Udp,
    Udp6,
    Unix,
}

impl Family {
    /// In the order they are tried when a socket's family is not known.
    const ALL: [Family; 5] = [
        Family::Tcp,
        Family::Tcp6,
        Family::Udp,
        Family::Udp6,
        Family::Unix,
    ];

    fn file(self) -> &'static [u8] {
        match self {
            Family::Tcp => b"net/tcp",
            Family::Tcp6 => b"net/tcp6",
            Family::Udp => b"net/udp",
            Family::Udp6 => b"net/udp6",
            Family::Unix => b"net/unix",
        }
    }

    /// The family of a socket from its protocol name (`TCP`, `TCPv6`, `UNIX-STREAM`):
    /// `Some(None)` for a socket in none of the tables.
    fn of_protocol(name: &[u8]) -> Option<Family> {
        match name {
            b"TCP" => Some(Family::Tcp),
            b"TCPv6" => Some(Family::Tcp6),
            b"UDP" => Some(Family::Udp),
            b"UDPv6" => Some(Family::Udp6),
            n if n.starts_with(b"UNIX") => Some(Family::Unix),
            _ => None,
        }
    }
}

/// What the tables say of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<'a> {
    Inet {
        proto: Proto,
        socket: Inet,
        accepted: bool,
    },
    Unix {
        path: &'a [u8],
        inode: u64,
        state: u8,
        listening: bool,
    },
    /// In none of the tables looked in.
    Nowhere,
}

#[derive(Debug, Clone, Copy)]
struct UnixEntry {
    inode: u64,
    /// Its path in the table's `paths`.
    start: usize,
    end: usize,
    state: u8,
    listening: bool,
}

#[derive(Default)]
struct Table {
    read: bool,
    /// A socket of this table's family was not in it: it was made after the table was read.
    missed: bool,
    /// By inode.
    inet: Vec<Inet>,
    /// The ports listened on, sorted.
    listening: Vec<u16>,
    /// By inode.
    unix: Vec<UnixEntry>,
    paths: Vec<u8>,
}

impl Table {
    fn clear(&mut self) {
        self.read = false;
        self.missed = false;
        self.inet.clear();
        self.listening.clear();
        self.unix.clear();
        self.paths.clear();
    }

    /// Takes in one complete line of the table.
    fn line(&mut self, family: Family, line: &[u8]) {
        if family != Family::Unix {
            if let Some(s) = net::inet_line(line) {
                self.socket(s);
            }
            return;
        }
        match net::unix_line(line) {
            Some(u) => {
                let start = self.paths.len();
                self.paths.extend_from_slice(u.path);
                self.unix.push(UnixEntry {
                    inode: u.inode,
                    start,
                    end: self.paths.len(),
                    state: u.state,
                    listening: u.listening,
                });
            }
            // The rest of the last entry's path, which held a newline (the header has no
            // entry before it).
            None => {
                if let Some(last) = self.unix.last_mut() {
                    self.paths.push(b'\n');
                    self.paths.extend_from_slice(line);
                    last.end = self.paths.len();
                }
            }
        }
    }

    /// Takes in one inet socket.
    fn socket(&mut self, s: Inet) {
        // Connections in TIME_WAIT or being set up belong to no file.
        if s.inode == 0 {
            return;
        }
        if s.state == net::LISTEN {
            self.listening.push(s.local.port);
        }
        self.inet.push(s);
    }

    /// Sorts what was read for lookups; an inode listed twice is no one's.
    fn finish(&mut self) {
        self.inet.sort_unstable_by_key(|s| s.inode);
        self.listening.sort_unstable();
        self.unix.sort_unstable_by_key(|u| u.inode);
        let unix = &mut self.unix;
        let mut i = 0;
        while i < unix.len() {
            let same = unix[i..]
                .iter()
                .take_while(|u| u.inode == unix[i].inode)
                .count();
            if same > 1 {
                unix.drain(i..i + same);
            } else {
                i += 1;
            }
        }
        self.read = true;
    }

    fn find(&self, family: Family, inode: u64) -> Option<Found<'_>> {
        if family == Family::Unix {
            let at = self.unix.binary_search_by_key(&inode, |u| u.inode).ok()?;
            let u = self.unix[at];
            return Some(Found::Unix {
                path: self.paths.get(u.start..u.end).unwrap_or_default(),
                inode,
                state: u.state,
                listening: u.listening,
            });
        }
        let at = self.inet.binary_search_by_key(&inode, |s| s.inode).ok()?;
        let socket = self.inet[at];
        let proto = match family {
            Family::Udp | Family::Udp6 => Proto::Udp,
            _ => Proto::Tcp,
        };
        let accepted = proto == Proto::Tcp
            && socket.state != net::LISTEN
            && self.listening.binary_search(&socket.local.port).is_ok();
        Some(Found::Inet {
            proto,
            socket,
            accepted,
        })
    }
}

/// The tables of one network namespace.
struct Space {
    id: u64,
    tables: [Table; 5],
}

/// The tables of every namespace seen, and the buffers that read them.
#[derive(Default)]
pub struct Sockets {
    spaces: Vec<Space>,
    chunk: Vec<u8>,
    path: RelPath,
    /// tsnap's own network namespace, whose inet tables netlink answers for.
    own_ns: Option<u64>,
    diag: SockDiag,
}

/// How much of a table is read at once: the kernel writes whole lines into each read, and a
/// netlink datagram is never larger than 32 KiB.
const CHUNK: usize = 64 * 1024;

impl Sockets {
    /// With `own_ns`, the id of tsnap's own network namespace, when it is known for sure
    /// (not on a copied tree, whose tables are the tree's).
    pub fn new(own_ns: Option<u64>) -> Sockets {
        Sockets {
            own_ns,
            ..Sockets::default()
        }
    }

    /// Looks up socket `inode`, on fd `fd` of thread `tid` (whose directory is in `dir`), in
    /// the tables of network namespace `ns`, reading the table it belongs in when not read
    /// yet. An inet table read already answers at once (the kernel writes all of its text);
    /// else the socket's family says which table to read, or, where it cannot be asked, each
    /// is tried in turn.
    pub fn lookup(
        &mut self,
        dir: BorrowedFd<'_>,
        tid: u32,
        fd: i32,
        ns: u64,
        inode: u64,
    ) -> io::Result<Found<'_>> {
        let at = match self.spaces.iter().position(|s| s.id == ns) {
            Some(at) => at,
            None => {
                self.spaces.push(Space {
                    id: ns,
                    tables: Default::default(),
                });
                self.spaces.len() - 1
            }
        };
        let inet = [Family::Tcp, Family::Tcp6, Family::Udp, Family::Udp6];
        let mut hit = inet.into_iter().find(|&f| {
            let table = &self.spaces[at].tables[f as usize];
            table.read && table.find(f, inode).is_some()
        });
        if hit.is_none() {
            let family = family(&mut self.path, dir, tid, fd);
            let (families, known): (&[Family], bool) = match &family {
                Ok(Some(f)) => (std::slice::from_ref(f), true),
                Ok(None) => return Ok(Found::Nowhere),
                Err(_) => (&Family::ALL, false),
            };
            for &f in families {
                let table = &mut self.spaces[at].tables[f as usize];
                // Netlink answers for tsnap's own namespace; where it cannot, the text serves.
                let own = self.own_ns == Some(ns) && f != Family::Unix;
                if !table.read
                    && own
                    && dump_table(&mut self.diag, f, table, &mut self.chunk).is_err()
                {
                    table.clear();
                }
                if !table.read {
                    match read_table(dir, tid, f, table, &mut self.chunk, &mut self.path) {
                        Ok(()) => {}
                        // This kernel has no such table (no IPv6): nothing to find in it.
                        Err(Errno::NOENT) => continue,
                        Err(e) => return Err(e),
                    }
                }
                if table.find(f, inode).is_some() {
                    hit = Some(f);
                    break;
                }
                // Where the family is known, the socket was made after the table was read.
                table.missed |= known;
            }
        }
        Ok(match hit {
            Some(f) => self.spaces[at].tables[f as usize]
                .find(f, inode)
                .unwrap_or(Found::Nowhere),
            None => Found::Nowhere,
        })
    }

    /// Forgets the tables that missed a socket, to read them again when next needed.
    pub fn forget_missed(&mut self) {
        for table in self.spaces.iter_mut().flat_map(|s| &mut s.tables) {
            if table.missed {
                table.clear();
            }
        }
    }

    /// Forgets every table, to read them again when next needed.
    pub fn forget(&mut self) {
        for table in self.spaces.iter_mut().flat_map(|s| &mut s.tables) {
            table.clear();
        }
    }
}

/// The family of the socket on fd `fd` of thread `tid` (whose directory is in `dir`), from
/// its protocol name; `Err` when that cannot be read (a copied tree), `Ok(None)` for a
/// family without a table.
fn family(
    path: &mut RelPath,
    dir: BorrowedFd<'_>,
    tid: u32,
    fd: i32,
) -> io::Result<Option<Family>> {
    // The attribute is read by path: through tsnap's own fd of the directory, the fd link is
    // followed to the socket itself.
    path.clear()
        .push(b"/proc/self/fd")
        .num(dir.as_raw_fd())
        .num(tid)
        .push(b"fd")
        .num(fd);
    let mut name = [0u8; 32];
    let len = rustix::fs::getxattr(path.as_cstr(), c"system.sockprotoname", &mut name)?;
    let name = &name[..len.min(name.len())];
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    Ok(Family::of_protocol(name))
}

/// Fills inet table `table` from netlink, as the text of `family`'s table would.
fn dump_table(
    diag: &mut SockDiag,
    family: Family,
    table: &mut Table,
    chunk: &mut Vec<u8>,
) -> io::Result<()> {
    let (af, protocol) = match family {
        Family::Tcp => (diag::AF_INET, diag::IPPROTO_TCP),
        Family::Tcp6 => (diag::AF_INET6, diag::IPPROTO_TCP),
        Family::Udp => (diag::AF_INET, diag::IPPROTO_UDP),
        Family::Udp6 => (diag::AF_INET6, diag::IPPROTO_UDP),
        Family::Unix => return Err(Errno::AFNOSUPPORT),
    };
    table.clear();
    chunk.resize(CHUNK, 0);
    diag.dump(af, protocol, chunk, |s| table.socket(s))?;
    table.finish();
    Ok(())
}

/// Reads `TID/net/FILE` relative to `dir` into `table`, a chunk at a time.
fn read_table(
    dir: BorrowedFd<'_>,
    tid: u32,
    family: Family,
    table: &mut Table,
    chunk: &mut Vec<u8>,
    path: &mut RelPath,
) -> io::Result<()> {
    path.clear().num(tid).push(family.file());
    let fd = procfs::open_file(dir, path.as_cstr())?;
    table.clear();
    chunk.clear();
    chunk.resize(CHUNK, 0);
    // Bytes at the start of `chunk` that are the beginning of a line not yet complete.
    let mut kept = 0;
    loop {
        let n = match rustix::io::read(fd.as_fd(), &mut chunk[kept..]) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        };
        let filled = kept + n;
        let mut start = 0;
        while let Some(end) = chunk[start..filled].iter().position(|&b| b == b'\n') {
            table.line(family, &chunk[start..start + end]);
            start += end + 1;
        }
        if n == 0 {
            if start < filled {
                table.line(family, &chunk[start..filled]);
            }
            break;
        }
        // A line longer than a chunk is no line of these tables: dropped.
        kept = if start == 0 && filled == chunk.len() {
            0
        } else {
            chunk.copy_within(start..filled, 0);
            filled - start
        };
    }
    table.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(family: Family, text: &[u8]) -> Table {
        let mut t = Table::default();
        for line in text.split(|&b| b == b'\n') {
            t.line(family, line);
        }
        t.finish();
        t
    }

    #[test]
    fn inet_tables_find_sockets_and_the_server_ends() {
        let t = table(
            Family::Tcp,
            b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   1: 0100007F:B4F3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3088442 1 00000000aa5bb319 100 0 0 10 0
   2: 0100007F:E45A 0100007F:A58D 06 00000000:00000000 03:00000A90 00000000     0        0 0 3 00000000b7dede00
   3: 0100007F:99CC 0100007F:B4F3 01 00000000:00000000 00:00000000 00000000     0        0 3088443 2 00000000cd614524 20 0 0 11 -1
   4: 0100007F:B4F3 0100007F:99CC 01 00000000:00000005 00:00000000 00000000     0        0 3088444 1 00000000ac06715d 20 4 30 10 -1
",
        );
        assert_eq!(t.inet.len(), 3, "TIME_WAIT has no inode");
        let accepted = |inode| match t.find(Family::Tcp, inode) {
            Some(Found::Inet { accepted, .. }) => Some(accepted),
            _ => None,
        };
        assert_eq!(accepted(3_088_442), Some(false), "the listener");
        assert_eq!(accepted(3_088_443), Some(false), "the client's end");
        assert_eq!(accepted(3_088_444), Some(true), "the server's end");
        assert_eq!(accepted(5), None);
        match t.find(Family::Udp, 3_088_443) {
            Some(Found::Inet { proto, .. }) => assert_eq!(proto, Proto::Udp),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unix_paths_with_newlines_and_forged_lines() {
        let t = table(
            Family::Unix,
            b"Num       RefCount Protocol Flags    Type St Inode Path
0000000074f0862f: 00000002 00000000 00000000 0002 01 3088452 /tmp/p9 sp
ace
00000000ff245a6d: 00000002 00000000 00010000 0001 01 3088450 /tmp/x
0000000000000001: 00000002 00000000 00000000 0001 01 3088450 /forged
00000000cae7ffd5: 00000003 00000000 00000000 0001 03  1611",
        );
        let path = |inode| match t.find(Family::Unix, inode) {
            Some(Found::Unix { path, .. }) => Some(String::from_utf8_lossy(path).into_owned()),
            _ => None,
        };
        assert_eq!(path(3_088_452).as_deref(), Some("/tmp/p9 sp\nace"));
        assert_eq!(path(3_088_450), None, "listed twice: no one's");
        assert_eq!(path(1611).as_deref(), Some(""));
    }

    #[test]
    fn families_by_protocol_name() {
        assert_eq!(Family::of_protocol(b"TCPv6"), Some(Family::Tcp6));
        assert_eq!(Family::of_protocol(b"UNIX-STREAM"), Some(Family::Unix));
        assert_eq!(Family::of_protocol(b"UDP"), Some(Family::Udp));
        assert_eq!(Family::of_protocol(b"NETLINK"), None);
    }

    #[test]
    fn netlink_says_what_a_connection_received() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        server.write_all(b"hello").unwrap();
        let inode = rustix::fs::fstat(&client).unwrap().st_ino;
        let (mut diag, mut table, mut chunk) = (SockDiag::default(), Table::default(), Vec::new());
        // The bytes are on their way through loopback: asked until they arrived.
        let mut received = None;
        for _ in 0..100 {
            dump_table(&mut diag, Family::Tcp, &mut table, &mut chunk).unwrap();
            let Some(Found::Inet { socket, .. }) = table.find(Family::Tcp, inode) else {
                panic!("the client's socket is in the answer");
            };
            received = socket.received;
            if received == Some(5) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(
            received,
            Some(5),
            "tcp_info's bytes_received, unread bytes counted"
        );
        assert_eq!(
            table.find(Family::Tcp, inode).map(|f| match f {
                Found::Inet { socket, .. } => socket.rx_queue,
                _ => 0,
            }),
            Some(5)
        );
    }

    #[test]
    fn reads_the_tables_of_its_own_namespace() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let proc = procfs::open_dir(rustix::fs::CWD, "/proc").unwrap();
        let me = std::process::id();
        let mut s = Sockets::default();
        let inode = |fd: BorrowedFd<'_>| rustix::fs::fstat(fd).unwrap().st_ino;
        let mut path = RelPath::new();
        let family = family(&mut path, proc.as_fd(), me, client.as_raw_fd());
        assert_eq!(family, Ok(Some(Family::Tcp)));
        for (fd, accepted) in [(client.as_fd(), false), (server.as_fd(), true)] {
            match s
                .lookup(proc.as_fd(), me, fd.as_raw_fd(), 1, inode(fd))
                .unwrap()
            {
                Found::Inet {
                    socket,
                    accepted: a,
                    ..
                } => {
                    assert_eq!(socket.state, net::ESTABLISHED);
                    assert_eq!(a, accepted);
                }
                other => panic!("{other:?}"),
            }
        }
        let capacity = s.chunk.capacity();
        let pipe = std::io::pipe().unwrap();
        let not_a_socket = s
            .lookup(proc.as_fd(), me, pipe.0.as_raw_fd(), 1, 1)
            .unwrap();
        assert_eq!(not_a_socket, Found::Nowhere, "tried in every table");
        assert_eq!(s.chunk.capacity(), capacity, "one chunk, reused");
        drop((client, server));
    }
}
