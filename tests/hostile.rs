//! Root tsnap against hostile targets: tests/hostile/fakejvm.c plays a container that looks
//! like a HotSpot JVM (it maps a `libjvm.so`, catches SIGQUIT, serves the attach socket) in a
//! mount namespace and chroot of its own, and turns the links, sockets and files it controls
//! against the root tsnap that looks at it.
//!
//! Beside it runs a "host": a directory of files that only the host should see and a Unix
//! socket service that counts its connections. After every run the test checks that nothing
//! in the host directory was created, changed or removed (inotify), that the service saw no
//! connection, that tsnap ended within its deadline with bounded memory, and that neither of
//! its output streams holds a raw control byte.

use crate::util::{self, Run, TempDir, build_c, holds, is_root};
use std::io::{Read, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The most memory a run may take: the attach reply is capped at 64 MiB.
const MAX_RSS_KIB: u64 = 96 * 1024;

/// The fake JVM, compiled once per test binary.
fn fakejvm() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        build_c("tests/hostile/fakejvm.c", "fakejvm", &[]).unwrap_or_else(|e| panic!("gcc: {e}"))
    })
}

/// What the host has that no container may reach: files (`secret`, an `.attach_pid1` of its
/// own), watched for any change, and a socket service that counts connections.
struct Host {
    dir: TempDir,
    inotify: i32,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Host {
    fn new() -> Host {
        let dir = TempDir::new("host");
        // Writable by anyone, as /tmp: a target's user could create files here if tsnap let
        // it reach the directory.
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o1777)).unwrap();
        std::fs::write(dir.0.join("secret"), "leaked:x:0:0:host secret:/:/bin/sh\n").unwrap();
        std::fs::write(dir.0.join(".attach_pid1"), "the host's own file\n").unwrap();
        let listener = UnixListener::bind(dir.0.join("service.sock")).unwrap();
        std::fs::set_permissions(
            dir.0.join("service.sock"),
            std::fs::Permissions::from_mode(0o777),
        )
        .unwrap();
        listener.set_nonblocking(true).unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (connections.clone(), stop.clone());
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = s.write_all(b"0\nHOST SECRET: the host service answered\n");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        // SAFETY: plain syscalls on a path that lives as long as the call.
        let inotify = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        let path = std::ffi::CString::new(dir.0.as_os_str().as_encoded_bytes()).unwrap();
        let mask = libc::IN_CREATE
            | libc::IN_DELETE
            | libc::IN_MODIFY
            | libc::IN_ATTRIB
            | libc::IN_MOVED_FROM
            | libc::IN_MOVED_TO
            | libc::IN_OPEN;
        // SAFETY: as above.
        assert!(unsafe { libc::inotify_add_watch(inotify, path.as_ptr(), mask) } >= 0);
        Host {
            dir,
            inotify,
            connections,
            stop,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// Fails if anything touched the host since the last check.
    #[track_caller]
    fn untouched(&self) {
        let mut events = [0u8; 4096];
        // SAFETY: reads into a buffer of the given size.
        let n = unsafe { libc::read(self.inotify, events.as_mut_ptr().cast(), events.len()) };
        let mut names = Vec::new();
        let mut at = 0;
        while n > 0 && at + 16 <= n as usize {
            let len = u32::from_ne_bytes(events[at + 12..at + 16].try_into().unwrap()) as usize;
            let name = &events[at + 16..at + 16 + len];
            let name = String::from_utf8_lossy(name)
                .trim_end_matches('\0')
                .to_string();
            names.push(name);
            at += 16 + len;
        }
        assert!(names.is_empty(), "tsnap touched host files: {names:?}");
        assert_eq!(
            self.connections.load(Ordering::SeqCst),
            0,
            "tsnap connected to the host's socket service"
        );
        assert!(
            std::fs::read_to_string(self.path(".attach_pid1")).unwrap() == "the host's own file\n"
        );
        // The read just done is the test's own.
        // SAFETY: as above.
        unsafe { libc::read(self.inotify, events.as_mut_ptr().cast(), events.len()) };
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // SAFETY: closes the descriptor this value owns.
        unsafe { libc::close(self.inotify) };
    }
}

/// A container's root for the fake JVM: `lib/libjvm.so`, `/tmp`, `/etc/passwd`.
struct Root(TempDir);

impl Root {
    fn new() -> Root {
        let root = TempDir::new("fakeroot");
        let dir = |d: &str, mode| {
            std::fs::create_dir_all(root.0.join(d)).unwrap();
            std::fs::set_permissions(root.0.join(d), std::fs::Permissions::from_mode(mode))
                .unwrap();
        };
        dir("", 0o755);
        dir("lib", 0o755);
        dir("etc", 0o755);
        dir("tmp", 0o1777);
        std::fs::write(root.0.join("lib/libjvm.so"), vec![0u8; 4096]).unwrap();
        std::fs::write(
            root.0.join("etc/passwd"),
            "root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n",
        )
        .unwrap();
        Root(root)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.0.join(name)
    }

    /// Replaces `name` by a symlink to `target`.
    fn link(&self, name: &str, target: &Path) {
        let path = self.path(name);
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            let _ = std::fs::remove_file(&path);
        }
        symlink(target, path).unwrap();
    }
}

/// A running fake JVM.
struct Fake {
    child: Child,
    _stdout: ChildStdout,
    /// Its pid as the host (and tsnap) sees it.
    pid: u32,
}

impl Fake {
    fn start(root: &Root, mode: &str, arg: &str, env: &[(&str, &str)]) -> Fake {
        let mut child = Command::new(fakejvm())
            .arg(&root.0.0)
            .arg(mode)
            .arg(arg)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the fake JVM");
        let mut stdout = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        assert!(line.starts_with(b"ready "), "the fake JVM did not start");
        let mut pid = child.id();
        if env.contains(&("FAKE_PIDNS", "1")) {
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            pid = children.split_whitespace().next().unwrap().parse().unwrap();
        }
        Fake {
            child,
            _stdout: stdout,
            pid,
        }
    }

    fn pid(&self) -> String {
        self.pid.to_string()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a run of tsnap went.
struct Outcome {
    run: Run,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    wall: Duration,
    cpu: Duration,
    max_rss_kib: u64,
}

/// Runs `command` (tsnap, or a wrapper around it) until it ends or `deadline` passes (then
/// it is killed and the test fails), and checks what every run must hold: bounded memory and
/// no raw control byte on either stream.
#[track_caller]
fn watched(command: Command, deadline: Duration) -> Outcome {
    watched_with(command, deadline, None)
}

/// [`watched`], sending a signal after a while: `(after, signal)`.
#[track_caller]
fn watched_with(
    mut command: Command,
    deadline: Duration,
    mut signal: Option<(Duration, i32)>,
) -> Outcome {
    let start = Instant::now();
    // However tsnap fails, the machine keeps its memory: 1 GiB of address space at most.
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tsnap");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = r.read_to_end(&mut all);
            all
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id() as i32;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // The peak of tsnap's own memory, read while it runs: wait4's figure would include the
    // test's memory, which the child shares until it execs.
    let mut peak_kib = 0;
    let hung = loop {
        peak_kib = peak_kib.max(high_water_kib(pid));
        // SAFETY: waits for our own child, filling the two values above.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break false;
        }
        if let Some((after, sig)) = signal
            && start.elapsed() > after
        {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(pid, sig) };
            signal = None;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            // SAFETY: as above.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break true;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    std::mem::forget(child);
    let wall = start.elapsed();
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        !hung,
        "tsnap did not end within {deadline:?}\nstderr:\n{}",
        text(&stderr)
    );
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let outcome = Outcome {
        run: Run {
            status: if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            },
            stdout: text(&stdout),
            stderr: text(&stderr),
        },
        stdout,
        stderr,
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        max_rss_kib: peak_kib,
    };
    assert!(
        outcome.max_rss_kib < MAX_RSS_KIB,
        "tsnap took {} KiB",
        outcome.max_rss_kib
    );
    no_control_bytes(&outcome.stdout, "stdout");
    no_control_bytes(&outcome.stderr, "stderr");
    outcome
}

/// `VmHWM` of a running process, in KiB (0 once it is gone).
fn high_water_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs tsnap with `args` under [`watched`].
#[track_caller]
fn tsnap(args: &[&str], deadline: Duration) -> Outcome {
    let mut c = util::tsnap();
    c.args(args);
    watched(c, deadline)
}

/// Nothing a terminal acts on: no C0 control but newline and tab, no DEL, no C1 control, no
/// byte that is not UTF-8.
#[track_caller]
fn no_control_bytes(bytes: &[u8], stream: &str) {
    let text = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{stream} is not UTF-8 ({e}): {bytes:?}"));
    if let Some(c) = text
        .chars()
        .find(|&c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}')
    {
        panic!("{stream} holds the raw control character {c:?}:\n{text}");
    }
}

/// The host and a container's root for a test of a fake JVM, when tsnap runs as root.
fn hostile() -> Option<(Host, Root)> {
    needs_root().then(|| (Host::new(), Root::new()))
}

fn needs_root() -> bool {
    if !is_root() {
        eprintln!("skipped: needs root (chroot and namespaces for the fake JVM)");
        return false;
    }
    true
}

const SECS_5: Duration = Duration::from_secs(5);

fn java_dump(pid: &str) -> Vec<&str> {
    vec![
        "dump",
        "--java",
        "--java-timeout",
        "1",
        "-i",
        "0",
        "-p",
        pid,
    ]
}

#[test]
fn a_tmp_that_links_to_a_host_dir_gets_no_trigger_file() {
    let Some((host, root)) = hostile() else {
        return;
    };
    root.link("tmp", &host.dir.0);
    // As root, whose working directory is gone; and as a user whose working directory (/) it
    // may not write: either way the trigger file would go to /tmp.
    for env in [&[("FAKE_CWD", "gone")][..], &[("FAKE_UID", "1000")][..]] {
        let fake = Fake::start(&root, "silent", "", env);
        let out = tsnap(&java_dump(&fake.pid()), SECS_5);
        assert_eq!(out.run.status, 0, "{}", out.run.stderr);
        holds(&out.run.stderr, "no Java thread dump");
        host.untouched();
        drop(fake);
    }
}

#[test]
fn a_socket_that_links_to_a_host_service_is_not_connected_to() {
    let Some((host, root)) = hostile() else {
        return;
    };
    for (name, env) in [
        (".java_pid1", &[("FAKE_PIDNS", "1")][..]),
        (
            ".java_pid1",
            &[("FAKE_PIDNS", "1"), ("FAKE_UID", "1000")][..],
        ),
    ] {
        root.link(&format!("tmp/{name}"), &host.path("service.sock"));
        let fake = Fake::start(&root, "silent", "", env);
        let out = tsnap(&java_dump(&fake.pid()), SECS_5);
        assert_eq!(out.run.status, 0, "{}", out.run.stderr);
        assert!(
            !out.run.stdout.contains("HOST SECRET"),
            "{}",
            out.run.stdout
        );
        assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
        host.untouched();
    }
}

#[test]
fn swapping_tmp_after_the_signal_removes_no_host_file() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(
        &root,
        "swap",
        host.dir.0.to_str().unwrap(),
        &[("FAKE_PIDNS", "1"), ("FAKE_CWD", "gone")],
    );
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(
        root.path("tmp").is_symlink(),
        "the fake did not swap its /tmp"
    );
    host.untouched();
    // The trigger file went where it was created, and was removed from there.
    assert!(!root.path("tmp.before/.attach_pid1").exists());
}

#[test]
fn a_passwd_link_shows_no_host_file_and_no_device() {
    let Some((host, root)) = hostile() else {
        return;
    };
    std::fs::create_dir_all(root.path("dev")).unwrap();
    // The container's own /dev/zero, a real device: read, it never ends.
    let dev = std::ffi::CString::new(root.path("dev/zero").as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(
        // SAFETY: mknod with a valid path.
        unsafe { libc::mknod(dev.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 5)) },
        0
    );
    for target in [host.path("secret"), PathBuf::from("/dev/zero")] {
        root.link("etc/passwd", &target);
        let fake = Fake::start(&root, "silent", "", &[]);
        let out = tsnap(
            &[
                "-a",
                "-p",
                &fake.pid(),
                "-o",
                "pid,tid,user",
                "-i",
                "0",
                "-f",
                "json",
            ],
            SECS_5,
        );
        let rows = out.run.rows();
        assert_eq!(rows.len(), 1, "{}", out.run.stdout);
        assert_eq!(rows[0]["user"], "0", "{}", out.run.stdout);
        host.untouched();
    }
}

#[test]
fn a_fifo_for_passwd_hangs_nothing() {
    let Some((host, root)) = hostile() else {
        return;
    };
    std::fs::remove_file(root.path("etc/passwd")).unwrap();
    let fifo =
        std::ffi::CString::new(root.path("etc/passwd").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let fake = Fake::start(&root, "silent", "", &[]);
    let pid = fake.pid();
    let out = tsnap(&["-a", "-p", &pid, "-o", "pid,user", "-i", "0"], SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    // sample stops on SIGINT and prints its report.
    let mut c = util::tsnap();
    c.args(["sample", "-a", "-p", &pid, "-g", "user", "-d", "60"]);
    let out = watched_with(c, SECS_5, Some((Duration::from_millis(1500), libc::SIGINT)));
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stdout, "interrupted");
    host.untouched();
}

#[test]
fn an_endless_reply_is_cut_off() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "listen", "", &[("FAKE_REPLY", "flood")]);
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    assert!(
        out.run.stderr.contains("64 MiB") || out.run.stderr.contains("within 1s"),
        "{}",
        out.run.stderr
    );
    assert!(out.wall < Duration::from_secs(3), "{:?}", out.wall);
    host.untouched();
}

#[test]
fn a_listener_with_a_full_backlog_times_out() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "backlog", "", &[]);
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "within 1s");
    assert!(out.wall < Duration::from_secs(3), "{:?}", out.wall);
    host.untouched();
}

#[test]
fn control_bytes_from_the_target_are_escaped_on_stderr() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "listen", "", &[("FAKE_REPLY", "error")]);
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "\\x1b]0;owned");
    drop(fake);
    // A process that is no JVM, named with escape sequences: refused, and named safely.
    let fake = Fake::start(
        &root,
        "silent",
        "",
        &[("FAKE_NOJVM", "1"), ("FAKE_COMM", "\x1b]0;x\x07\x1b[2J")],
    );
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "is not a HotSpot JVM");
    holds(&out.run.stderr, "\\x1b]0;x\\x07");
    host.untouched();
}

#[test]
fn a_million_entries_are_refused_and_many_merge_in_linear_time() {
    if !needs_root() {
        return;
    }
    let host = Host::new();
    let _turn = util::cpu_turn();
    let root = Root::new();
    let threads = ("FAKE_THREADS", "1000");
    let fake = Fake::start(&root, "listen", "", &[("FAKE_REPLY", "many"), threads]);
    let pid = fake.pid();
    let mut args = java_dump(&pid);
    args[3] = "10";
    let out = tsnap(&args, Duration::from_secs(20));
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "more than 100000 threads");
    assert!(out.cpu < Duration::from_secs(2), "{:?} of CPU", out.cpu);
    drop(fake);
    // As many as a JVM may have, none of them the process's own: paired by an index, not by
    // a scan of the dump for every thread.
    let entries = ("FAKE_ENTRIES", "100000");
    let fake = Fake::start(
        &root,
        "listen",
        "",
        &[("FAKE_REPLY", "many"), entries, threads],
    );
    let pid = fake.pid();
    let mut args = java_dump(&pid);
    args[3] = "10";
    let out = tsnap(&args, Duration::from_secs(20));
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert_eq!(
        out.run.stdout.matches("(in the JVM's dump only)").count(),
        100_000
    );
    assert_eq!(out.run.stdout.matches(" tid=").count(), 1001);
    assert!(out.cpu < Duration::from_secs(2), "{:?} of CPU", out.cpu);
    host.untouched();
}

#[test]
fn the_wrong_jvm_behind_a_shared_tmp_is_refused() {
    if !needs_root() {
        return;
    }
    let host = Host::new();
    // Two containers that share /tmp (an emptyDir), each JVM pid 1 in its own namespace: the
    // socket /tmp/.java_pid1 is the second's.
    let root = Root::new();
    let pidns = ("FAKE_PIDNS", "1");
    let a = Fake::start(&root, "silent", "", &[pidns, ("FAKE_COMM", "fake-a")]);
    let b = Fake::start(
        &root,
        "listen",
        "",
        &[pidns, ("FAKE_COMM", "fake-b"), ("FAKE_JAVA_NAME", "fake-b")],
    );
    let out = tsnap(&java_dump(&a.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    holds(&out.run.stdout, "\"fake-a\" tid=");
    assert!(
        out.run.stderr.contains(&a.pid()) && out.run.stderr.contains(&b.pid()),
        "{}",
        out.run.stderr
    );
    // The right one is merged.
    let out = tsnap(&java_dump(&b.pid()), SECS_5);
    holds(&out.run.stdout, "\n    java: #1 ");

    // From a pid namespace where neither listener is visible, the dump's threads must match
    // the target's: ids in its namespace and names.
    let from_elsewhere = |pid: &str| {
        let mut c = Command::new("unshare");
        c.args(["--pid", "--fork", "--kill-child"])
            .arg(util::binary())
            .args(java_dump(pid));
        watched(c, SECS_5)
    };
    let out = from_elsewhere(&a.pid());
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    holds(&out.run.stderr, "not this process's");
    let out = from_elsewhere(&b.pid());
    assert!(
        out.run.stdout.contains("\n    java: #1 "),
        "{}{}",
        out.run.stdout,
        out.run.stderr
    );
    host.untouched();
}

#[test]
fn names_with_quotes_and_the_jvms_tabs_print_as_jstack_would() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(
        &root,
        "listen",
        "",
        &[("FAKE_REPLY", "deadlock"), ("FAKE_JAVA_NAME", "say \"hi\"")],
    );
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    holds(&out.run.stdout, "\n\"say \\\"hi\\\"\" tid=");
    holds(&out.run.stdout, "\n\tat Deadlock.run(Deadlock.java:9)\n");
    holds(&out.run.stdout, "\n\t- waiting to lock <0x2>");
    host.untouched();
}

#[test]
fn processes_that_cannot_be_asked_still_get_their_os_view() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let jvm = Fake::start(&root, "listen", "", &[("FAKE_COMM", "fake-jvm")]);
    let mut sleep = Command::new("sleep").arg("60").spawn().unwrap();
    let pids = format!("{},{}", jvm.pid(), sleep.id());
    let out = tsnap(&java_dump(&pids), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stdout, "\n    java: #1 ");
    holds(&out.run.stdout, "\"sleep\" tid=");
    holds(&out.run.stderr, "(sleep) is not a HotSpot JVM");
    let _ = sleep.kill();
    let _ = sleep.wait();
    host.untouched();
}

#[test]
fn a_process_tsnap_may_not_ask_still_gets_its_os_view() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "listen", "", &[]);
    let Some(out) = crate::unprivileged::run_as_nobody(&java_dump(&fake.pid())) else {
        return;
    };
    assert_eq!(out.status, 0, "{}", out.stderr);
    holds(&out.stdout, "Thread dump of pid ");
    assert!(!out.stdout.contains("java: "), "{}", out.stdout);
    holds(&out.stderr, "cannot read its maps");
    host.untouched();
}

#[test]
fn a_saved_number_cannot_break_report_json() {
    let dir = TempDir::new("savednumber");
    let file = dir.0.join("saved.jsonl");
    std::fs::write(
        &file,
        "{\"type\":\"pass\",\"pass\":1,\"time\":\"t\"}\n\
         {\"type\":\"row\",\"pass\":1,\"time\":\"t\",\"comm\":-5,\"state\":\"R\",\"filename\":12}\n",
    )
    .unwrap();
    let out = tsnap(
        &[
            "report",
            file.to_str().unwrap(),
            "-G",
            "filename",
            "-f",
            "json",
        ],
        SECS_5,
    );
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    let lines = out.run.json();
    assert_eq!(lines[0]["comm"], "-*", "{}", out.run.stdout);
    assert_eq!(lines[0]["filename"], "*", "{}", out.run.stdout);
}
