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
//! The tables of tsnap's own network namespace are asked of netlink ([`SockDiag`]): the same
//! facts, at about half the kernel's cost of writing them as text, and unix names whole.
//!
//! Network namespaces are per thread: a thread's sockets are looked up in the tables of its
//! own namespace (`TID/ns/net`), read through that thread (`TID/net/...`). A table is kept
//! only if the thread was in that namespace both before and after it was read: else a
//! process could move one thread to a namespace of its own and have that namespace's table
//! filed as its pod's.
//!
//! The tables hold no text of the target's but the unix paths, and a path may hold a newline,
//! so a process can bind a name that writes whole forged lines into the unix table (for the
//! inode of another process's socket). The text cannot tell such a line from the kernel's, so
//! a unix table is not trusted (no unix socket is looked up in it, and the footer says why)
//! where it shows a path held a newline (a line that is no entry), or where it lists more
//! sockets than the namespace has (its `protocols` table's `UNIX` counts, read before and
//! after it, after one more try). An inode listed twice is dropped, and a socket is only
//! looked for in the table of its own family.

use super::sock_diag::SockDiag;
use crate::parse::diag::{self, Message};
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
    /// In a unix table that holds forged lines: not looked up.
    Untrusted,
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
    /// The unix entries listed, counting those listed twice.
    listed: u64,
    /// A unix table that holds what no socket wrote (see the module's doc).
    untrusted: bool,
}

impl Table {
    fn clear(&mut self) {
        self.read = false;
        self.missed = false;
        self.inet.clear();
        self.listening.clear();
        self.unix.clear();
        self.paths.clear();
        self.listed = 0;
        self.untrusted = false;
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
                self.listed += 1;
                let start = self.paths.len();
                self.paths.extend_from_slice(u.path);
                self.unix_entry(u, start);
            }
            // The rest of a path that held a newline (the header has no entry before it): the
            // lines before may be that path's too, and forged.
            None => self.untrusted |= !self.unix.is_empty(),
        }
    }

    /// Takes in one unix socket from netlink, its name as bound.
    fn unix_socket(&mut self, u: net::Unix<'_>) {
        self.listed += 1;
        let start = self.paths.len();
        diag::unix_name(u.path, &mut self.paths);
        self.unix_entry(u, start);
    }

    /// Files unix socket `u`, whose path is in `paths` from `start`.
    fn unix_entry(&mut self, u: net::Unix<'_>, start: usize) {
        self.unix.push(UnixEntry {
            inode: u.inode,
            start,
            end: self.paths.len(),
            state: u.state,
            listening: u.listening,
        });
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

    /// Sorts what was read for lookups; an inode listed twice is no one's. It runs every
    /// pass: std's unstable sort, in place, rather than [`crate::sort`], which allocates.
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
            if self.untrusted {
                return Some(Found::Untrusted);
            }
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
    bufs: Bufs,
    /// tsnap's own network namespace, whose tables netlink answers for.
    own_ns: Option<u64>,
    diag: SockDiag,
    /// Apart: a kernel may answer for inet sockets and not for unix ones (no `unix_diag`).
    unix_diag: SockDiag,
}

/// The buffers that read the tables and links, reused.
#[derive(Default)]
struct Bufs {
    chunk: Vec<u8>,
    path: RelPath,
    /// A link's target, a `protocols` table.
    small: Vec<u8>,
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
    /// the tables of the thread's network namespace (`unknown_ns` where its id cannot be read:
    /// a copied tree), reading the table it belongs in when not read yet. An inet table read already answers at once (the kernel writes all of its text);
    /// else the socket's family says which table to read, or, where it cannot be asked, each
    /// is tried in turn.
    pub fn lookup(
        &mut self,
        dir: BorrowedFd<'_>,
        tid: u32,
        fd: i32,
        unknown_ns: u64,
        inode: u64,
    ) -> io::Result<Found<'_>> {
        let known_ns = thread_ns(&mut self.bufs, dir, tid);
        let ns = known_ns.unwrap_or(unknown_ns);
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
            let family = family(&mut self.bufs.path, dir, tid, fd);
            let (families, known): (&[Family], bool) = match &family {
                Ok(Some(f)) => (std::slice::from_ref(f), true),
                Ok(None) => return Ok(Found::Nowhere),
                Err(_) => (&Family::ALL, false),
            };
            for &f in families {
                let table = &mut self.spaces[at].tables[f as usize];
                // Netlink answers for tsnap's own namespace; where it cannot, the text serves.
                let own = self.own_ns == Some(ns);
                let diag = match f {
                    Family::Unix => &mut self.unix_diag,
                    _ => &mut self.diag,
                };
                if !table.read && own && dump_table(diag, f, table, &mut self.bufs.chunk).is_err() {
                    table.clear();
                }
                if !table.read {
                    match read_checked(dir, tid, f, known_ns, table, &mut self.bufs) {
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

/// The id of thread `tid`'s network namespace, from its `ns/net` link.
fn thread_ns(b: &mut Bufs, dir: BorrowedFd<'_>, tid: u32) -> Option<u64> {
    b.path.clear().num(tid).push(b"ns").push(b"net");
    procfs::read_link(dir, &b.path, &mut b.small).ok()?;
    net::namespace_id(&b.small)
}

/// The unix sockets thread `tid`'s network namespace has, from its `net/protocols`.
fn unix_sockets(b: &mut Bufs, dir: BorrowedFd<'_>, tid: u32) -> Option<u64> {
    b.path.clear().num(tid).push(b"net").push(b"protocols");
    procfs::read_file(dir, &b.path, &mut b.small).ok()?;
    net::unix_sockets(&b.small)
}

/// Reads the text table of `family` through thread `tid` into `table`, and checks what a
/// target could forge (see the module's doc): where the thread's namespace is known (`ns`)
/// and is another after the read, the table is not kept (`EAGAIN`); a unix table that lists
/// more sockets than its namespace has is read once more, then marked untrusted.
fn read_checked(
    dir: BorrowedFd<'_>,
    tid: u32,
    family: Family,
    ns: Option<u64>,
    table: &mut Table,
    b: &mut Bufs,
) -> io::Result<()> {
    let unix = family == Family::Unix;
    for last in [false, true] {
        let before = unix.then(|| unix_sockets(b, dir, tid)).flatten();
        read_table(dir, tid, family, table, &mut b.chunk, &mut b.path)?;
        if ns.is_some() && thread_ns(b, dir, tid) != ns {
            table.clear();
            return Err(Errno::AGAIN);
        }
        let after = unix.then(|| unix_sockets(b, dir, tid)).flatten();
        match before.zip(after) {
            Some((b, a)) if table.listed > b.min(a) => {
                if last {
                    table.untrusted = true;
                }
            }
            _ => break,
        }
    }
    Ok(())
}

/// Fills table `table` from netlink, as the text of `family`'s table would (but for unix
/// names, which come whole).
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
        Family::Unix => (diag::AF_UNIX, 0),
    };
    let request = match family {
        Family::Unix => &diag::unix_request(1)[..],
        _ => &diag::request(af, protocol, 1)[..],
    };
    table.clear();
    chunk.resize(CHUNK, 0);
    diag.dump(request, chunk, |m| match m {
        Message::Socket(s) if family != Family::Unix => table.socket(s),
        Message::Unix(u) if family == Family::Unix => table.unix_socket(u),
        _ => {}
    })?;
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
        let header = "Num       RefCount Protocol Flags    Type St Inode Path\n";
        let t = table(
            Family::Unix,
            format!(
                "{header}00000000ff245a6d: 00000002 00000000 00010000 0001 01 3088450 /tmp/x
0000000000000001: 00000002 00000000 00000000 0001 01 3088450 /forged
00000000cae7ffd5: 00000003 00000000 00000000 0001 03  1611"
            )
            .as_bytes(),
        );
        let path = |t: &Table, inode| match t.find(Family::Unix, inode) {
            Some(Found::Unix { path, .. }) => Some(String::from_utf8_lossy(path).into_owned()),
            other => other.map(|f| format!("{f:?}")),
        };
        assert_eq!(path(&t, 3_088_450), None, "listed twice: no one's");
        assert_eq!(path(&t, 1611).as_deref(), Some(""));
        assert_eq!(t.listed, 3);

        // A name that held a newline: the line after it is no entry, and the lines before
        // may have been the name's too. Nothing of the table is trusted.
        let t = table(
            Family::Unix,
            format!(
                "{header}0000000074f0862f: 00000002 00000000 00000000 0002 01 3088452 @x
0000000000000000: 00000002 00000000 00000000 0001 03 3088453 /run/payments/db.sock
tail
00000000cae7ffd5: 00000003 00000000 00000000 0001 03  1611"
            )
            .as_bytes(),
        );
        for inode in [3_088_452, 3_088_453, 1611, 5] {
            assert_eq!(path(&t, inode).as_deref(), Some("Untrusted"));
        }
        // The header alone is no sign of one.
        assert!(!table(Family::Unix, header.as_bytes()).untrusted);
    }

    /// A table read through a thread: the unix one lists no more sockets than `protocols`
    /// counts (give or take the tests running beside), and one read for a namespace the
    /// thread is not in is not kept. (The forged table that lists more is
    /// tests/forged.rs's.)
    #[test]
    fn tables_are_checked_against_the_threads_namespace() {
        let me = std::process::id();
        let proc = procfs::open_dir(rustix::fs::CWD, "/proc").unwrap();
        let mut b = Bufs::default();
        let before = unix_sockets(&mut b, proc.as_fd(), me).unwrap();
        let mut t = Table::default();
        let ns = thread_ns(&mut b, proc.as_fd(), me);
        assert!(ns.is_some());
        read_checked(proc.as_fd(), me, Family::Unix, ns, &mut t, &mut b).unwrap();
        assert!(t.read && t.listed <= before + 64, "{} {before}", t.listed);
        // Another namespace's id: the table is not kept.
        let other = ns.map(|n| n + 1);
        let got = read_checked(proc.as_fd(), me, Family::Tcp, other, &mut t, &mut b);
        assert_eq!(got, Err(Errno::AGAIN));
        assert!(!t.read);
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
        let capacity = s.bufs.chunk.capacity();
        let pipe = std::io::pipe().unwrap();
        let not_a_socket = s
            .lookup(proc.as_fd(), me, pipe.0.as_raw_fd(), 1, 1)
            .unwrap();
        assert_eq!(not_a_socket, Found::Nowhere, "tried in every table");
        assert_eq!(s.bufs.chunk.capacity(), capacity, "one chunk, reused");
        drop((client, server));
    }
}
