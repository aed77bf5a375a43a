//! A HotSpot JVM's own thread dump, fetched as jstack fetches it but with no JDK: through the
//! JVM's dynamic attach mechanism.
//!
//! A HotSpot JVM whose Attach Listener thread runs listens on the Unix socket
//! `/tmp/.java_pid<P>` of its own mount namespace, P being its pid in its own pid namespace.
//! It starts that thread when it gets SIGQUIT while a file `.attach_pid<P>` is in its working
//! directory or its /tmp. Without that file, SIGQUIT makes it print a thread dump on its
//! standard output; and to a process that does not catch SIGQUIT (a JVM run with `-Xrs`, or
//! anything but a JVM), SIGQUIT is death. Hence the checks before the one signal tsnap sends.

pub mod attach;

use crate::collect::monotonic_ns;
use crate::parse::{self, status};
use crate::problems::errno_name;
use crate::procfs::{self, RelPath};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process, pidfd_send_signal};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// A HotSpot JVM tsnap may ask for a thread dump.
pub struct Target {
    pub pid: u32,
    /// `/proc/PID`: the checks read through it and the signal goes through it, so all of
    /// them concern the same process even if its pid is reused meanwhile.
    dir: OwnedFd,
    /// `/proc/PID` as a path, to reach the JVM's working directory and /tmp.
    path: Vec<u8>,
    /// The JVM's pid in its own pid namespace.
    ns_pid: u32,
    /// The JVM lives in a pid namespace below the procfs mount's: its thread ids differ.
    nested: bool,
    uid: u32,
    gid: u32,
    catches_quit: bool,
    /// The procfs mount is tsnap's own pid namespace's, so its pids are tsnap's pids.
    own_pidns: bool,
}

impl Target {
    /// Checks that process `pid` of the procfs mount at `proc_root` (open as `root`) is a
    /// HotSpot JVM that can be asked: refuses, with the reason, anything that is not, and a
    /// JVM that would have to be signalled but does not catch SIGQUIT.
    // Called once a process; inlined, this and `thread_dump` make the binary larger.
    #[inline(never)]
    pub fn check(proc_root: &Path, root: BorrowedFd<'_>, pid: u32) -> Result<Target, String> {
        let mut path = RelPath::new();
        path.num(pid);
        let dir = procfs::open_dir(root, path.as_cstr())
            .map_err(|e| format!("pid {pid}: {}", errno_name(e)))?;
        let mut buf = Vec::new();
        path.clear().push(b"status");
        procfs::read_file(dir.as_fd(), &path, &mut buf)
            .map_err(|e| format!("pid {pid}: cannot read its status: {}", errno_name(e)))?;
        let name = String::from_utf8_lossy(status::field(&buf, b"Name").unwrap_or_default());
        let who = format!("pid {pid} ({name})");
        let words = |key: &[u8]| parse::words(status::field(&buf, key).unwrap_or_default());
        let id = |word: Option<&[u8]>| {
            word.and_then(parse::dec_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        // The pid in each pid namespace, the process's own last; effective ids second.
        let (Some(ns_pid), Some(uid), Some(gid)) = (
            id(words(b"NSpid").last()).or(Some(pid)),
            id(words(b"Uid").nth(1)),
            id(words(b"Gid").nth(1)),
        ) else {
            return Err(format!("{who}: its status has no Uid or Gid"));
        };
        let nested = words(b"NSpid").nth(1).is_some();
        let caught = status::field(&buf, b"SigCgt").and_then(parse::hex_u64);
        // SIGQUIT is signal 3: bit 2 of the mask.
        let catches_quit = caught.is_some_and(|mask| mask & (1 << 2) != 0);
        hotspot(&dir, &who)?;
        let mut target = Target {
            pid,
            dir,
            path: [
                proc_root.as_os_str().as_bytes(),
                b"/",
                pid.to_string().as_bytes(),
            ]
            .concat(),
            ns_pid,
            nested,
            uid,
            gid,
            catches_quit,
            own_pidns: false,
        };
        path.clear().push(b"self");
        target.own_pidns = procfs::read_link(root, &path, &mut buf).is_ok()
            && parse::dec_u64(&buf) == Some(std::process::id().into());
        if !catches_quit && !attach::socket_exists(&target.socket()) {
            return Err(format!(
                "{who} does not catch SIGQUIT (a JVM started with -Xrs, or not started yet), \
                 so SIGQUIT would kill it, and its attach listener is not running: not \
                 signalling it"
            ));
        }
        Ok(target)
    }

    /// `/proc/PID/DIR/NAME<P>`, P being the JVM's own pid.
    fn file(&self, dir: &[u8], name: &[u8]) -> CString {
        let pid = itoa::Buffer::new().format(self.ns_pid).as_bytes().to_vec();
        CString::new([&self.path, dir, name, &pid].concat()).unwrap_or_default()
    }

    fn socket(&self) -> CString {
        self.file(b"/root/tmp/", b".java_pid")
    }

    /// Fetches the JVM's thread dump: from its attach listener if it runs, else after
    /// starting the listener with one SIGQUIT. Every wait ends after `timeout`.
    #[inline(never)]
    pub fn thread_dump(&self, timeout: Duration) -> Result<Vec<u8>, String> {
        let _user = attach::AsUser::switch(self.uid, self.gid).map_err(|e| {
            format!(
                "cannot take the JVM's user and group ({}:{}): {}",
                self.uid,
                self.gid,
                errno_name(e)
            )
        })?;
        let socket = self.socket();
        if let Some(fd) = attach::connect(&socket)? {
            return attach::thread_dump(fd, timeout);
        }
        if !self.catches_quit {
            return Err(
                "its attach socket is stale and it does not catch SIGQUIT (-Xrs): not \
                 signalling it"
                    .to_string(),
            );
        }
        let trigger = attach::Trigger::create([
            self.file(b"/cwd/", b".attach_pid"),
            self.file(b"/root/tmp/", b".attach_pid"),
        ])?;
        self.quit()?;
        let deadline = monotonic_ns().saturating_add(timeout.as_nanos() as u64);
        let socket_fd = loop {
            if let Some(fd) = attach::connect(&socket)? {
                break fd;
            }
            if monotonic_ns() >= deadline {
                return Err(format!(
                    "its attach listener did not come up within {} of SIGQUIT (a JVM started \
                     with -XX:+DisableAttachMechanism prints a thread dump on its own output \
                     instead)",
                    duration_text(timeout)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(trigger);
        attach::thread_dump(socket_fd, timeout)
    }

    /// Sends the one SIGQUIT, through the `/proc/PID` fd; on kernels before 5.1, which lack
    /// pidfd_send_signal, by pid, when that pid is tsnap's to use.
    fn quit(&self) -> Result<(), String> {
        let sent = match pidfd_send_signal(&self.dir, Signal::QUIT) {
            Err(Errno::NOSYS) if self.own_pidns => {
                let pid = i32::try_from(self.pid).ok().and_then(Pid::from_raw);
                pid.map_or(Err(Errno::SRCH), |p| kill_process(p, Signal::QUIT))
            }
            sent => sent,
        };
        sent.map_err(|e| format!("cannot send SIGQUIT: {}", errno_name(e)))
    }

    /// The id the JVM knows thread `tid` by (jstack's nid): the same, unless the JVM runs in
    /// a pid namespace of its own (a container seen from the host).
    pub fn nid_of(&self, tid: u32) -> Option<u64> {
        if !self.nested {
            return Some(tid.into());
        }
        let mut path = RelPath::new();
        path.push(b"task").num(tid).push(b"status");
        let mut buf = Vec::new();
        procfs::read_file(self.dir.as_fd(), &path, &mut buf).ok()?;
        parse::words(status::field(&buf, b"NSpid")?)
            .last()
            .and_then(parse::dec_u64)
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

/// `5s`, or `1500ms`.
fn duration_text(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis() as u64)
    }
}
