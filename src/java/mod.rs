//! A HotSpot JVM's own thread dump, fetched as jstack fetches it but with no JDK: through the
//! JVM's dynamic attach mechanism.
//!
//! A HotSpot JVM whose Attach Listener thread runs listens on the Unix socket
//! `/tmp/.java_pid<P>` of its own mount namespace, P being its pid in its own pid namespace.
//! It starts that thread when it gets SIGQUIT while a file `.attach_pid<P>` is in its working
//! directory or its /tmp. Without that file, SIGQUIT makes it print a thread dump on its
//! standard output; and to a process that does not catch SIGQUIT (a JVM run with `-Xrs`, or
//! anything but a JVM), SIGQUIT is death. Hence the checks before the one signal tsnap sends.
//!
//! The JVM may be a hostile container's process pretending to be one. Every path is resolved
//! inside its root (see [`crate::target`]), as its own user, without links and never on a
//! FUSE or network mount of its ([`crate::target::Mounts`]); the answer is read to a deadline
//! and a cap; and it is used only from the process asked: the listener's pid
//! (`SO_PEERCRED`) must be the target's, or where tsnap cannot see the listener's pid
//! namespace, the dump's threads must be the target's (checked when it is merged).

pub mod attach;
pub mod locks;
pub mod vthreads;

use crate::clock::monotonic_ns;
use crate::error::errno_name;
use crate::output::escape;
use crate::parse::{self, status};
use crate::procfs::{self, RelPath};
use crate::target::Mounts;
use crate::target::creds::{AsTarget, Creds};
use crate::target::root;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process, pidfd_send_signal};
use std::ffi::CString;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

/// A HotSpot JVM tsnap may ask for a thread dump.
pub struct Target {
    pub pid: u32,
    /// `pid PID (NAME)`, escaped, for messages.
    pub who: String,
    /// `/proc/PID`: the checks read through it and the signal goes through it, so all of
    /// them concern the same process even if its pid is reused meanwhile.
    dir: OwnedFd,
    /// The JVM's root and working directory, as directories (not paths).
    root: OwnedFd,
    cwd: Option<OwnedFd>,
    /// Its mounts: nothing is looked up in a directory of a FUSE or network filesystem.
    mounts: Mounts,
    /// The JVM's pid in its own pid namespace.
    ns_pid: u32,
    /// Its start time (clock ticks after boot), checked again just before a signal by pid.
    start_time: u64,
    creds: Creds,
    catches_quit: bool,
    /// The procfs mount is tsnap's own pid namespace's, so its pids are tsnap's pids.
    own_pidns: bool,
}

/// A JVM's thread dump, and whether it is known to come from the process asked.
pub struct Answer {
    pub dump: Vec<u8>,
    /// The listener's pid was the target's. When tsnap cannot see the listener's pid
    /// namespace it is not, and the dump's threads must be matched against the process's.
    pub verified: bool,
}

impl Target {
    /// Checks that process `pid` of the procfs mount `proc_root` is a HotSpot JVM that can be
    /// asked: refuses, with the reason, anything that is not. Reads /proc only: whatever
    /// touches the JVM's files is left to [`Target::thread_dump`], which runs to a deadline.
    // Called once a process; inlined, this and `thread_dump` make the binary larger.
    #[inline(never)]
    pub fn check(proc_root: BorrowedFd<'_>, pid: u32) -> Result<Target, String> {
        let mut path = RelPath::new();
        path.num(pid);
        let dir = procfs::open_dir(proc_root, path.as_cstr())
            .map_err(|e| format!("pid {pid}: {}", errno_name(e)))?;
        let mut buf = Vec::new();
        path.clear().push(b"status");
        procfs::read_file(dir.as_fd(), &path, &mut buf)
            .map_err(|e| format!("pid {pid}: cannot read its status: {}", errno_name(e)))?;
        let name = status::field(&buf, b"Name").unwrap_or_default();
        let who = format!("pid {pid} ({})", escape::display(name));
        // The pid in each pid namespace, the process's own last.
        let ns_pid = parse::words(status::field(&buf, b"NSpid").unwrap_or_default())
            .last()
            .and_then(parse::dec_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(pid);
        let creds = Creds::from_status(&buf)
            .ok_or_else(|| format!("{who}: its status has no Uid, Gid or Groups"))?;
        let caught = status::field(&buf, b"SigCgt").and_then(parse::hex_u64);
        // SIGQUIT is signal 3: bit 2 of the mask.
        let catches_quit = caught.is_some_and(|mask| mask & (1 << 2) != 0);
        path.clear().push(b"stat");
        procfs::read_file(dir.as_fd(), &path, &mut buf)
            .map_err(|e| format!("{who}: cannot read its stat: {}", errno_name(e)))?;
        let start_time = parse::stat::parse(&buf)
            .ok_or_else(|| format!("{who}: its stat cannot be read"))?
            .starttime;
        hotspot(&dir, &who)?;
        attach_enabled(&dir, &who)?;
        let mounts = Mounts::read(dir.as_fd())
            .map_err(|e| format!("{who}: cannot read its mountinfo: {}", errno_name(e)))?;
        let root = root::open_magic_dir(dir.as_fd(), c"root")
            .map_err(|e| format!("{who}: cannot reach its root directory: {}", errno_name(e)))?;
        let cwd = root::open_magic_dir(dir.as_fd(), c"cwd").ok();
        path.clear().push(b"self");
        let own_pidns = procfs::read_link(proc_root, &path, &mut buf).is_ok()
            && parse::dec_u64(&buf) == Some(std::process::id().into());
        Ok(Target {
            pid,
            who,
            dir,
            root,
            cwd,
            mounts,
            ns_pid,
            start_time,
            creds,
            catches_quit,
            own_pidns,
        })
    }

    /// `NAME<P>`, P being the JVM's own pid.
    fn name(&self, name: &str) -> CString {
        CString::new(format!("{name}{}", self.ns_pid)).unwrap_or_default()
    }

    /// Fetches the JVM's thread dump: from its attach listener if it runs, else after
    /// starting the listener with one SIGQUIT. Connecting, waiting for the listener, sending
    /// the request and reading the answer all end by `deadline` (CLOCK_MONOTONIC ns), which
    /// is `timeout` after the command asked its first JVM; the answer's bytes are taken from
    /// `budget`, shared by every JVM of the command; `locks`: with `-l` (`--java-locks`).
    #[inline(never)]
    pub fn thread_dump(
        &self,
        deadline: u64,
        timeout: Duration,
        budget: &AtomicUsize,
        locks: bool,
    ) -> Result<Answer, String> {
        let late = || format!("the JVM did not answer within {}", duration_text(timeout));
        let _as = AsTarget::switch(&self.creds).map_err(|e| {
            format!(
                "cannot take the JVM's user and groups ({}:{}): {}",
                self.creds.uid,
                self.creds.gid,
                errno_name(e)
            )
        })?;
        let tmp = self
            .mounts
            .open_dir(self.root.as_fd(), b"tmp", "its /tmp")?;
        let socket = self.name(".java_pid");
        let connection = match attach::connect(tmp.as_fd(), &socket, deadline, &late)? {
            Some(fd) => fd,
            None => {
                if !self.catches_quit {
                    return Err(
                        "it does not catch SIGQUIT (a JVM started with -Xrs, or not started \
                         yet), so SIGQUIT would kill it, and its attach listener is not running: \
                         not signalling it"
                            .to_string(),
                    );
                }
                let dirs = self.trigger_dirs(&tmp);
                let _trigger = attach::Trigger::create(dirs, &self.name(".attach_pid"))?;
                self.quit()?;
                loop {
                    std::thread::sleep(Duration::from_millis(20));
                    if let Some(fd) = attach::connect(tmp.as_fd(), &socket, deadline, &late)? {
                        break fd;
                    }
                    if monotonic_ns() >= deadline {
                        return Err(format!(
                            "its attach listener did not come up within {} of SIGQUIT (a JVM \
                             started with -XX:+DisableAttachMechanism prints a thread dump on \
                             its own output instead)",
                            duration_text(timeout)
                        ));
                    }
                }
            }
        };
        self.check_listener(&connection)?;
        // The version first, on a connection of its own, to know how to ask for the dump.
        let version = attach::version(connection, deadline, &late).ok();
        let request = attach::dump_request(version.as_deref(), locks);
        let connection = attach::connect(tmp.as_fd(), &socket, deadline, &late)?
            .ok_or("its attach listener stopped listening")?;
        let verified = self.check_listener(&connection)?;
        let mut dump = attach::thread_dump(connection, request, deadline, &late, budget)?;
        parse::jstack::join_surrogates(&mut dump);
        Ok(Answer { dump, verified })
    }

    /// Where the trigger file may go: the working directory, else /tmp (`tmp`, found local
    /// already); a working directory on a FUSE or network mount is passed over, with why.
    fn trigger_dirs(&self, tmp: &OwnedFd) -> Vec<(Result<OwnedFd, String>, &'static str)> {
        let dup = |d: &OwnedFd| rustix::io::fcntl_dupfd_cloexec(d, 0).map_err(errno_name);
        let mut dirs = Vec::new();
        if let Some(cwd) = &self.cwd {
            let what = "its working directory";
            let local = self.mounts.local(cwd.as_fd(), what);
            dirs.push((local.and_then(|()| dup(cwd)), what));
        }
        dirs.push((dup(tmp), "its /tmp"));
        dirs
    }

    /// Whether the process listening on the socket is the target, where tsnap can tell:
    /// `Ok(true)` it is, `Ok(false)` tsnap cannot tell (the procfs mount is not of its own pid
    /// namespace), an error when it is another process.
    fn check_listener(&self, connection: &OwnedFd) -> Result<bool, String> {
        if !self.own_pidns {
            return Ok(false);
        }
        let pid = self.pid;
        match attach::peer_pid(connection) {
            Some(peer) if peer == pid => Ok(true),
            Some(peer) => Err(format!(
                "the process listening on its attach socket is pid {peer}, not pid {pid} (a \
                 /tmp shared with another JVM?): not using its answer"
            )),
            None => Err(format!(
                "the process listening on its attach socket is in a pid namespace tsnap cannot \
                 see, so it is not pid {pid} (a /tmp shared with another JVM?): not using its \
                 answer"
            )),
        }
    }

    /// Sends the one SIGQUIT, through the `/proc/PID` fd. Where pidfd_send_signal is missing
    /// (kernels before 5.1, or a seccomp profile that refuses it), by pid, when that pid is
    /// tsnap's to use and, read through the same `/proc/PID` fd just before, still the
    /// process checked: the fd fails once that process is reaped, and the start time
    /// differs for any other. Nothing waits between that reading and the signal.
    fn quit(&self) -> Result<(), String> {
        let sent = match pidfd_send_signal(&self.dir, Signal::QUIT) {
            Err(Errno::NOSYS) if self.own_pidns => {
                let pid = i32::try_from(self.pid).ok().and_then(Pid::from_raw);
                let mut buf = Vec::new();
                let mut path = RelPath::new();
                path.push(b"stat");
                let read = procfs::read_file(self.dir.as_fd(), &path, &mut buf);
                let same = read.is_ok()
                    && parse::stat::parse(&buf).is_some_and(|s| s.starttime == self.start_time);
                match pid {
                    Some(p) if same => kill_process(p, Signal::QUIT),
                    _ => {
                        return Err("it exited since it was checked, and its pid may be \
                                    another process's now: not signalling it"
                            .to_string());
                    }
                }
            }
            sent => sent,
        };
        sent.map_err(|e| format!("cannot send SIGQUIT: {}", errno_name(e)))
    }
}

/// Refuses anything but a HotSpot JVM: one with `libjvm.so` mapped, and not OpenJ9's (which
/// has a `libjvm.so` too, but `libj9vm` beside it, and attaches another way).
fn hotspot(dir: &OwnedFd, who: &str) -> Result<(), String> {
    let mut maps = Vec::new();
    let mut path = RelPath::new();
    path.push(b"maps");
    procfs::read_to_end(dir.as_fd(), &path, &mut maps).map_err(|e| {
        // What it takes, since without it the attach would be refused too.
        let needs = match e {
            Errno::ACCESS | Errno::PERM => {
                ": needs ptrace-read access to the process (its user, or CAP_SYS_PTRACE)"
            }
            _ => "",
        };
        format!(
            "{who}: cannot read its maps ({}) to tell whether it is a HotSpot JVM{needs}",
            errno_name(e)
        )
    })?;
    let mut jvm = false;
    for line in maps.split(|&b| b == b'\n') {
        if line.windows(7).any(|w| w == b"libj9vm") {
            return Err(format!(
                "{who} is an OpenJ9 JVM: --java speaks HotSpot's attach protocol only"
            ));
        }
        jvm |= line.ends_with(b"/libjvm.so");
    }
    if jvm {
        Ok(())
    } else {
        Err(format!(
            "{who} is not a HotSpot JVM (no libjvm.so in its maps): not signalling it"
        ))
    }
}

/// The most of a JVM's command line and environment read to find its options.
const OPTIONS_CAP: usize = 1 << 20;

/// Refuses a JVM started with `-XX:+DisableAttachMechanism` (see
/// [`parse::environ::attach_disabled`]): it never starts its listener, so SIGQUIT would only
/// make it print a thread dump into the application's output.
fn attach_enabled(dir: &OwnedFd, who: &str) -> Result<(), String> {
    let (mut cmdline, mut environ) = (Vec::new(), Vec::new());
    let mut path = RelPath::new();
    path.push(b"cmdline");
    procfs::read_capped(dir.as_fd(), &path, &mut cmdline, OPTIONS_CAP)
        .map_err(|e| format!("{who}: cannot read its command line: {}", errno_name(e)))?;
    path.clear().push(b"environ");
    procfs::read_capped(dir.as_fd(), &path, &mut environ, OPTIONS_CAP)
        .map_err(|e| format!("{who}: cannot read its environment: {}", errno_name(e)))?;
    match parse::environ::attach_disabled(&cmdline, &environ) {
        true => Err(format!(
            "{who} was started with -XX:+DisableAttachMechanism: it cannot be asked, and \
             SIGQUIT would make it print a thread dump on its own output; not signalling it"
        )),
        false => Ok(()),
    }
}

/// `5s`, or `1500ms`.
fn duration_text(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis() as u64)
    }
}
