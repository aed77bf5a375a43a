//! Real threads in known states, in the test process itself: blocked in read(2) on a pipe,
//! sleeping, spinning, waiting on a futex, blocked in accept(2), and in uninterruptible sleep
//! (D) as the parent of a CLONE_VFORK child. Each reports its tid and waits in its state until
//! the workload is dropped.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
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
}

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
        }
    }

    /// The state the thread settles in.
    fn settled(self) -> u8 {
        match self {
            Kind::Spinner => b'R',
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
    /// Inode of the pipe the reader blocks on (`pipe:[N]`).
    pub pipe_inode: u64,
    /// Inode of the listening socket the acceptor blocks on (`socket:[N]`).
    pub socket_inode: u64,
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
    pipe_writer: Option<std::io::PipeWriter>,
    listen_addr: Option<std::net::SocketAddr>,
    threads: Vec<JoinHandle<()>>,
    /// With a spinner: the CPU, shared with no other spinner or JVM.
    _turn: Option<std::sync::MutexGuard<'static, ()>>,
}

impl Workload {
    /// Starts one thread of each kind, named `TAG-KIND` (`TAG` of letters, at most 8).
    pub fn start(tag: &'static str, kinds: &[Kind]) -> Workload {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new((Mutex::new(false), Condvar::new()));
        let (tx, rx) = mpsc::channel();
        let turn = kinds.contains(&Kind::Spinner).then(crate::util::cpu_turn);
        let mut w = Workload {
            tag,
            tids: HashMap::new(),
            pipe_inode: 0,
            socket_inode: 0,
            stop: stop.clone(),
            wake: wake.clone(),
            pipe_writer: None,
            listen_addr: None,
            threads: Vec::new(),
            _turn: turn,
        };
        for &kind in kinds {
            let tx = tx.clone();
            let stop = stop.clone();
            let wake = wake.clone();
            let body: Box<dyn FnOnce() + Send> = match kind {
                Kind::PipeReader => {
                    let (mut reader, writer) = std::io::pipe().expect("pipe");
                    w.pipe_inode = inode(reader.as_raw_fd());
                    w.pipe_writer = Some(writer);
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
                Kind::Spinner => Box::new(move || {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n = std::hint::black_box(n.wrapping_add(1));
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
                    w.listen_addr = Some(listener.local_addr().unwrap());
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
        }
        for (&kind, &tid) in &w.tids {
            wait_for_state(tid, kind.settled());
        }
        // Give blocked threads a moment to be fully inside their syscalls.
        std::thread::sleep(Duration::from_millis(100));
        w
    }

    pub fn tid(&self, kind: Kind) -> u64 {
        self.tids[&kind]
    }

    /// The thread name of `kind`.
    pub fn name(&self, kind: Kind) -> String {
        format!("{}-{}", self.tag, kind.suffix())
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(mut w) = self.pipe_writer.take() {
            let _ = w.write_all(b"x");
        }
        if let Some(addr) = self.listen_addr {
            let _ = TcpStream::connect(addr);
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
