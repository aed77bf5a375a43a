//! Real threads in known states, in the test process itself: blocked in read(2) on a pipe,
//! sleeping, spinning (alone, or pinned to the first CPU), waiting on a futex, polling an
//! empty epoll set, blocked in accept(2) on a TCP and on a unix listener, reading a TCP
//! connection as a client whose server never answers or as a server whose client sends
//! nothing, receiving on a UDP socket, writing at a known rate, and in uninterruptible sleep
//! (D) as the parent of a CLONE_VFORK child. Each reports its tid and waits in its state until
//! the workload is dropped.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    PipeReader,
    Sleeper,
    Spinner,
    FutexWaiter,
    Acceptor,
    VforkParent,
    /// A TCP client reading a connection to a local server that accepted it and never writes.
    PeerReader,
    UdpReader,
    UnixAcceptor,
    /// Writes [`WRITE_RATE`] bytes a second to /dev/null, in writes every 10 ms.
    Writer,
    /// Spins on the first CPU only: a few of them wait for it in turns.
    PinnedSpinner,
    /// Waits in epoll_wait on an epoll set with nothing in it.
    Poller,
    /// A server reading a connection whose client sends nothing: waiting for a request.
    ServerReader,
}

/// Bytes a second a [`Kind::Writer`] writes.
pub const WRITE_RATE: u64 = 1_000_000;

impl Kind {
    /// The thread name (prctl) each kind gets, after the workload's tag.
    fn suffix(self) -> &'static str {
        match self {
            Kind::PipeReader => "pipe",
            Kind::Sleeper => "sleep",
            Kind::Spinner => "spin",
            Kind::FutexWaiter => "futex",
            Kind::Acceptor => "accept",
            Kind::VforkParent => "vfork",
            Kind::PeerReader => "peer",
            Kind::UdpReader => "udp",
            Kind::UnixAcceptor => "unix",
            Kind::Writer => "write",
            Kind::PinnedSpinner => "pinned",
            Kind::Poller => "poll",
            Kind::ServerReader => "server",
        }
    }

    /// The state the thread settles in.
    fn settled(self) -> u8 {
        match self {
            Kind::Spinner | Kind::PinnedSpinner => b'R',
            Kind::VforkParent => b'D',
            _ => b'S',
        }
    }
}

pub struct Workload {
    /// Prefix of the thread names, so that tests running at once in this process tell
    /// their threads apart.
    tag: &'static str,
    pub tids: HashMap<Kind, u64>,
    /// Every thread, where a kind may have several.
    pub all: Vec<(Kind, u64)>,
    /// Inode of the pipe the (last) reader blocks on (`pipe:[N]`).
    pub pipe_inode: u64,
    /// Inode of the listening socket the acceptor blocks on (`socket:[N]`).
    pub socket_inode: u64,
    /// Inode of the pipe or socket each kind that blocks on one blocks on.
    pub inodes: HashMap<Kind, u64>,
    /// Where the listener of the acceptor, the TCP server of a peer reader, a UDP reader and
    /// a unix acceptor are.
    pub acceptor_addr: Option<std::net::SocketAddr>,
    pub peer_server: Option<std::net::SocketAddr>,
    pub udp_addr: Option<std::net::SocketAddr>,
    pub unix_path: Option<std::path::PathBuf>,
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
    /// What ends each blocked call when the workload is dropped.
    wakers: Vec<Box<dyn FnOnce()>>,
    threads: Vec<JoinHandle<()>>,
    _unix_dir: Option<crate::util::TempDir>,
    /// With a spinner: the CPU, shared with no other spinner or JVM.
    _turn: Option<std::sync::MutexGuard<'static, ()>>,
}

impl Workload {
    /// Starts one thread of each kind, named `TAG-KIND` (`TAG` of letters, at most 8).
    pub fn start(tag: &'static str, kinds: &[Kind]) -> Workload {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new((Mutex::new(false), Condvar::new()));
        let (tx, rx) = mpsc::channel();
        let spins = kinds
            .iter()
            .any(|k| matches!(k, Kind::Spinner | Kind::PinnedSpinner));
        let turn = spins.then(crate::util::cpu_turn);
        let mut w = Workload {
            tag,
            tids: HashMap::new(),
            all: Vec::new(),
            pipe_inode: 0,
            socket_inode: 0,
            inodes: HashMap::new(),
            acceptor_addr: None,
            peer_server: None,
            udp_addr: None,
            unix_path: None,
            stop: stop.clone(),
            wake: wake.clone(),
            wakers: Vec::new(),
            threads: Vec::new(),
            _unix_dir: None,
            _turn: turn,
        };
        for &kind in kinds {
            let tx = tx.clone();
            let stop = stop.clone();
            let wake = wake.clone();
            let body: Box<dyn FnOnce() + Send> = match kind {
                Kind::PipeReader => {
                    let (mut reader, mut writer) = std::io::pipe().expect("pipe");
                    w.pipe_inode = inode(reader.as_raw_fd());
                    w.inodes.insert(kind, w.pipe_inode);
                    w.wakers.push(Box::new(move || {
                        let _ = writer.write_all(b"x");
                    }));
                    Box::new(move || {
                        let mut byte = [0u8; 1];
                        let _ = reader.read(&mut byte);
                    })
                }
                Kind::Sleeper => Box::new(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }),
                Kind::Spinner => Box::new(move || spin(&stop)),
                Kind::PinnedSpinner => Box::new(move || {
                    // SAFETY: the set is zeroed, then CPU 0 added; 0 is the calling thread.
                    unsafe {
                        let mut set: libc::cpu_set_t = std::mem::zeroed();
                        libc::CPU_SET(0, &mut set);
                        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set);
                    }
                    spin(&stop)
                }),
                Kind::Writer => Box::new(move || {
                    let mut null = std::fs::File::create("/dev/null").expect("/dev/null");
                    let chunk = vec![0u8; (WRITE_RATE / 100) as usize];
                    let start = Instant::now();
                    let mut n = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        let _ = null.write_all(&chunk);
                        n += 1;
                        // On a schedule, so that late wakeups do not lower the rate.
                        let next = start + Duration::from_millis(10) * n;
                        std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    }
                }),
                Kind::FutexWaiter => Box::new(move || {
                    let (lock, cvar) = &*wake;
                    let mut woken = lock.lock().unwrap();
                    while !*woken {
                        woken = cvar.wait(woken).unwrap();
                    }
                }),
                Kind::Acceptor => {
                    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
                    w.socket_inode = inode(listener.as_raw_fd());
                    w.inodes.insert(kind, w.socket_inode);
                    let addr = listener.local_addr().unwrap();
                    w.acceptor_addr = Some(addr);
                    w.wakers.push(Box::new(move || {
                        let _ = TcpStream::connect(addr);
                    }));
                    Box::new(move || {
                        let _ = listener.accept();
                    })
                }
                Kind::PeerReader => {
                    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
                    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                    let (server, _) = listener.accept().unwrap();
                    w.peer_server = Some(listener.local_addr().unwrap());
                    w.inodes.insert(kind, inode(client.as_raw_fd()));
                    w.wakers.push(Box::new(move || {
                        let _ = server.shutdown(std::net::Shutdown::Both);
                        drop(listener);
                    }));
                    Box::new(move || {
                        let mut byte = [0u8; 1];
                        let _ = client.read(&mut byte);
                    })
                }
                Kind::Poller => {
                    // SAFETY: epoll_create1 returns a new fd or -1.
                    let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                    assert!(epoll >= 0, "epoll_create1");
                    // SAFETY: a valid fd, now owned here.
                    let epoll: std::os::fd::OwnedFd =
                        unsafe { std::os::fd::FromRawFd::from_raw_fd(epoll) };
                    let (reader, mut writer) = std::io::pipe().expect("pipe");
                    let mut event = libc::epoll_event {
                        events: libc::EPOLLIN as u32,
                        u64: 0,
                    };
                    // SAFETY: both fds are open; event is initialised.
                    let added = unsafe {
                        libc::epoll_ctl(
                            epoll.as_raw_fd(),
                            libc::EPOLL_CTL_ADD,
                            reader.as_raw_fd(),
                            &mut event,
                        )
                    };
                    assert_eq!(added, 0, "epoll_ctl");
                    w.wakers.push(Box::new(move || {
                        let _ = writer.write_all(b"x");
                    }));
                    Box::new(move || {
                        let _keep = reader;
                        let mut event = libc::epoll_event { events: 0, u64: 0 };
                        // SAFETY: epoll is open; one event fits in `event`.
                        unsafe { libc::epoll_wait(epoll.as_raw_fd(), &mut event, 1, -1) };
                    })
                }
                Kind::ServerReader => {
                    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
                    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                    let (mut server, _) = listener.accept().unwrap();
                    w.inodes.insert(kind, inode(server.as_raw_fd()));
                    w.wakers.push(Box::new(move || {
                        let _ = client.shutdown(std::net::Shutdown::Both);
                        drop(listener);
                    }));
                    Box::new(move || {
                        let mut byte = [0u8; 1];
                        let _ = server.read(&mut byte);
                    })
                }
                Kind::UdpReader => {
                    let socket = UdpSocket::bind("127.0.0.1:0").expect("udp");
                    let addr = socket.local_addr().unwrap();
                    w.udp_addr = Some(addr);
                    w.inodes.insert(kind, inode(socket.as_raw_fd()));
                    w.wakers.push(Box::new(move || {
                        if let Ok(s) = UdpSocket::bind("127.0.0.1:0") {
                            let _ = s.send_to(b"x", addr);
                        }
                    }));
                    Box::new(move || {
                        let _ = socket.recv(&mut [0u8; 1]);
                    })
                }
                Kind::UnixAcceptor => {
                    let dir = crate::util::TempDir::new(tag);
                    let path = dir.0.join("app.sock");
                    let listener = UnixListener::bind(&path).expect("unix listener");
                    w.inodes.insert(kind, inode(listener.as_raw_fd()));
                    w.unix_path = Some(path.clone());
                    w._unix_dir = Some(dir);
                    w.wakers.push(Box::new(move || {
                        let _ = UnixStream::connect(&path);
                    }));
                    Box::new(move || {
                        let _ = listener.accept();
                    })
                }
                Kind::VforkParent => Box::new(vfork_parent),
            };
            let name = format!("{tag}-{}", kind.suffix());
            w.threads.push(std::thread::spawn(move || {
                set_name(&name);
                tx.send((kind, super::util::gettid())).unwrap();
                body();
            }));
        }
        for _ in kinds {
            let (kind, tid) = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("thread started");
            w.tids.insert(kind, tid);
            w.all.push((kind, tid));
        }
        for &(kind, tid) in &w.all {
            wait_for_state(tid, kind.settled());
        }
        // Give blocked threads a moment to be fully inside their syscalls.
        std::thread::sleep(Duration::from_millis(100));
        w
    }

    pub fn tid(&self, kind: Kind) -> u64 {
        self.tids[&kind]
    }

    /// The tids of every thread of `kind`.
    pub fn tids_of(&self, kind: Kind) -> Vec<u64> {
        self.all
            .iter()
            .filter(|&&(k, _)| k == kind)
            .map(|&(_, t)| t)
            .collect()
    }

    /// The thread name of `kind`.
    pub fn name(&self, kind: Kind) -> String {
        format!("{}-{}", self.tag, kind.suffix())
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for wake in self.wakers.drain(..) {
            wake();
        }
        {
            let (lock, cvar) = &*self.wake;
            *lock.lock().unwrap() = true;
            cvar.notify_all();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn spin(stop: &AtomicBool) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// How long the vfork child keeps its parent in D.
const VFORK_SECONDS: u32 = 4;

/// Blocks in uninterruptible sleep: a CLONE_VFORK parent waits (TASK_KILLABLE, shown as D)
/// until its child exits. The child has its own copy of memory (no CLONE_VM) and only sleeps.
fn vfork_parent() {
    // SAFETY: the child runs only async-signal-safe calls (sleep, _exit) before exiting.
    unsafe {
        let pid = libc::syscall(
            libc::SYS_clone,
            libc::CLONE_VFORK | libc::SIGCHLD,
            0,
            0,
            0,
            0,
        );
        if pid == 0 {
            libc::sleep(VFORK_SECONDS);
            libc::_exit(0);
        }
        if pid > 0 {
            libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
        }
    }
}

fn set_name(name: &str) {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c.as_ptr()) };
}

fn inode(fd: i32) -> u64 {
    // SAFETY: fstat writes into the zeroed struct.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        assert_eq!(libc::fstat(fd, &mut st), 0);
        st.st_ino
    }
}

/// Waits until thread `tid` of this process is in `state`.
fn wait_for_state(tid: u64, state: u8) {
    let path = format!("/proc/self/task/{tid}/stat");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(stat) = std::fs::read(&path) {
            let after = stat.iter().rposition(|&b| b == b')').map_or(0, |i| i + 2);
            if stat.get(after) == Some(&state) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("thread {tid} never reached state {}", state as char);
}
