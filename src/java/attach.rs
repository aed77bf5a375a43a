//! HotSpot's attach protocol, version 1, on its Unix socket: the request, the reply, the
//! trigger file that asks a JVM to start listening, and the credentials the JVM asks for.
//!
//! A request is `1\0`, the command and three arguments, each ended by a NUL. The reply is
//! the status as a decimal number on its own line (`0` for success), then the command's
//! output up to the end of the stream.

use crate::clock::monotonic_ns;
use crate::error::errno_name;
use crate::output::write_all;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use rustix::process::{getegid, geteuid};
use rustix::thread::{set_thread_res_gid, set_thread_res_uid};
use rustix::{fs, io, net};
use std::ffi::{CStr, CString};
use std::time::Duration;

/// `threaddump` with no arguments: what `jstack` asks for without `-l`. The list of locked
/// ownable synchronizers (`-l`) is left out because HotSpot builds it by walking the whole
/// heap at a safepoint, a pause that grows with the heap.
const THREAD_DUMP: &[u8] = b"1\0threaddump\0\0\0\0";

/// tsnap's thread wearing the JVM's effective uid and gid, for as long as it lives.
///
/// HotSpot answers only a peer with its own effective uid and gid (JDK 8) or root (later
/// JDKs), and starts listening only for a trigger file its own user (or root) owns. Root
/// takes the JVM's identity to be both; the saved uid stays 0, so it can take its own back.
/// Linux credentials belong to a thread, and tsnap has one.
pub struct AsUser {
    /// The gid to go back to; `None` when nothing was switched.
    restore: Option<u32>,
}

impl AsUser {
    pub fn switch(uid: u32, gid: u32) -> io::Result<AsUser> {
        let (my_uid, my_gid) = (geteuid().as_raw(), getegid().as_raw());
        if my_uid != 0 || (uid == 0 && gid == my_gid) {
            return Ok(AsUser { restore: None });
        }
        set_thread_res_gid(None, Some(fs::Gid::from_raw(gid)), None)?;
        let guard = AsUser {
            restore: Some(my_gid),
        };
        set_thread_res_uid(None, Some(fs::Uid::from_raw(uid)), None)?;
        Ok(guard)
    }
}

impl Drop for AsUser {
    fn drop(&mut self) {
        if let Some(gid) = self.restore {
            // Root's own ids, which the saved uid allows back; nothing to do if that fails.
            let _ = set_thread_res_uid(None, Some(fs::Uid::ROOT), None);
            let _ = set_thread_res_gid(None, Some(fs::Gid::from_raw(gid)), None);
        }
    }
}

/// The trigger file `.attach_pid<P>`, removed when dropped if tsnap created it.
pub struct Trigger {
    created: Option<CString>,
}

impl Trigger {
    /// Creates the file at the first of `paths` where that works; one already there (another
    /// attach under way) is used as it is and left alone.
    pub fn create(paths: [CString; 2]) -> Result<Trigger, String> {
        let mut errors = Vec::new();
        for path in paths {
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match fs::openat(CWD, &path, flags, Mode::RUSR | Mode::WUSR) {
                Ok(_) => {
                    return Ok(Trigger {
                        created: Some(path),
                    });
                }
                Err(Errno::EXIST) => return Ok(Trigger { created: None }),
                Err(e) => errors.push(format!("{}: {}", text(&path), errno_name(e))),
            }
        }
        Err(format!(
            "cannot create the trigger file ({})",
            errors.join("; ")
        ))
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        if let Some(path) = &self.created {
            // Best effort: the JVM ignores the file once it listens.
            let _ = fs::unlinkat(CWD, path.as_c_str(), AtFlags::empty());
        }
    }
}

/// Whether a socket file is at `path`.
pub fn socket_exists(path: &CStr) -> bool {
    fs::statat(CWD, path, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| fs::FileType::from_raw_mode(st.st_mode) == fs::FileType::Socket)
}

/// Connects to the listener; `Ok(None)` when nobody listens there (yet).
pub fn connect(path: &CStr) -> Result<Option<OwnedFd>, String> {
    let connected = SocketAddrUnix::new(path).and_then(|addr| {
        let fd = net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )?;
        net::connect(&fd, &addr).map(|()| fd)
    });
    match connected {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT | Errno::CONNREFUSED) => Ok(None),
        Err(e) => Err(format!(
            "cannot connect to {}: {}",
            text(path),
            errno_name(e)
        )),
    }
}

/// Asks for a thread dump and reads it, giving up after `timeout`.
pub fn thread_dump(socket: OwnedFd, timeout: Duration) -> Result<Vec<u8>, String> {
    // A few bytes into the empty buffer of a new connection: the write does not block.
    write_all(socket.as_fd(), THREAD_DUMP)
        .map_err(|e| format!("cannot send the request: {}", errno_name(e)))?;
    let deadline = monotonic_ns().saturating_add(timeout.as_nanos() as u64);
    let mut reply = Vec::new();
    let mut chunk = [0; 16 * 1024];
    loop {
        let left = deadline.saturating_sub(monotonic_ns()).max(1);
        let read = set_socket_timeout(&socket, Timeout::Recv, Some(Duration::from_nanos(left)))
            .and_then(|()| rustix::io::read(&socket, &mut chunk));
        match read {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
            Err(Errno::AGAIN) => {
                return Err(format!(
                    "the JVM did not answer within {}",
                    super::duration_text(timeout)
                ));
            }
            Err(e) => return Err(format!("cannot read the reply: {}", errno_name(e))),
        }
    }
    // The status, then the output.
    let newline = reply.iter().position(|&b| b == b'\n');
    match newline.and_then(|n| crate::parse::dec_i64(&reply[..n])) {
        Some(0) => {
            reply.drain(..=newline.unwrap_or(0));
            Ok(reply)
        }
        _ if reply.is_empty() => Err("the JVM closed the connection without answering".into()),
        _ => Err(format!(
            "the JVM answered with an error: {}",
            String::from_utf8_lossy(crate::parse::trim_end(&reply))
        )),
    }
}

fn text(path: &CStr) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(path.to_bytes())
}
