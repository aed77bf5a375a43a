//! A JVM's JSON thread dump, which lists its virtual threads: asked for over the attach
//! socket as `jcmd PID Thread.dump_to_file -overwrite -format=json FILE` asks (JDK 21 on),
//! into a file tsnap creates first in the JVM's /tmp.
//!
//! The file is created as the JVM's user, through the directory fd of its /tmp (found local,
//! as for the attach socket), with `O_EXCL | O_NOFOLLOW`, mode 0600 and a random name, so
//! nothing planted there is written through; the JVM overwrites it in place (`-overwrite`,
//! without which it refuses an existing file), and tsnap reads it back through the fd it
//! created it with, whatever the name points to by then, at most what is left of the
//! command's budget of answer bytes; then removes it by name from that directory.

use super::Target;
use super::attach;
use crate::error::errno_name;
use crate::target::creds::AsTarget;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self, AtFlags, Mode, OFlags};
use rustix::rand::{GetRandomFlags, getrandom};
use std::ffi::CString;
use std::sync::atomic::AtomicUsize;

/// The JVM's JSON thread dump, as far as it was read.
pub struct Json {
    pub text: Vec<u8>,
    /// The file's size: more than `text` when the budget cut it.
    pub size: u64,
}

/// The file, removed by name from its directory when dropped.
struct Created {
    dir: OwnedFd,
    name: CString,
    file: OwnedFd,
}

impl Drop for Created {
    fn drop(&mut self) {
        // Best effort: a file left behind is the JVM's user's, in its /tmp.
        let _ = fs::unlinkat(&self.dir, self.name.as_c_str(), AtFlags::empty());
    }
}

impl Target {
    /// Asks the JVM, whose attach listener runs (it has just answered a `threaddump`), for
    /// its JSON thread dump, by `deadline`, its bytes taken from `budget`.
    #[inline(never)]
    pub fn json_dump(&self, deadline: u64, budget: &AtomicUsize) -> Result<Json, String> {
        let late = || "the JVM did not write its JSON thread dump in time".to_string();
        let _as = AsTarget::switch(&self.creds)
            .map_err(|e| format!("cannot take the JVM's user: {}", errno_name(e)))?;
        let tmp = self
            .mounts
            .open_dir(self.root.as_fd(), b"tmp", "its /tmp")?;
        let mut random = [0u8; 8];
        getrandom(&mut random, GetRandomFlags::empty())
            .map_err(|e| format!("cannot get a random name: {}", errno_name(e)))?;
        let name = format!(".tsnap-threads-{:016x}.json", u64::from_ne_bytes(random));
        let flags = OFlags::RDONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let file = fs::openat(
            &tmp,
            name.as_str(),
            flags | OFlags::CLOEXEC,
            Mode::RUSR | Mode::WUSR,
        )
        .map_err(|e| format!("cannot create /tmp/{name}: {}", errno_name(e)))?;
        let created = Created {
            dir: tmp,
            name: CString::new(name.as_str()).unwrap_or_default(),
            file,
        };
        let socket = attach::connect(
            created.dir.as_fd(),
            &self.name(".java_pid"),
            deadline,
            &late,
        )?
        .ok_or("its attach listener stopped listening")?;
        self.check_listener(&socket)?;
        let request =
            format!("1\0jcmd\0Thread.dump_to_file -overwrite -format=json /tmp/{name}\0\0\0");
        attach::ask(socket, request.as_bytes(), deadline, &late, budget).map_err(|e| {
            let unknown = b"Unknown diagnostic command";
            if e.as_bytes().windows(unknown.len()).any(|w| w == unknown) {
                "the JVM has no Thread.dump_to_file command (JDK 21 and later have it)".to_string()
            } else {
                e
            }
        })?;
        read(&created.file, budget)
    }
}

/// Reads `file` from its start, at most what is left of `budget`.
fn read(file: &OwnedFd, budget: &AtomicUsize) -> Result<Json, String> {
    let size = fs::fstat(file)
        .map_err(|e| format!("cannot read its JSON thread dump: {}", errno_name(e)))?
        .st_size
        .max(0) as u64;
    let room = attach::take(budget, usize::try_from(size).unwrap_or(usize::MAX));
    let mut text = vec![0; room];
    let mut got = 0;
    while got < room {
        match rustix::io::pread(file, &mut text[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                return Err(format!(
                    "cannot read its JSON thread dump: {}",
                    errno_name(e)
                ));
            }
        }
    }
    text.truncate(got);
    budget.fetch_add(room - got, std::sync::atomic::Ordering::AcqRel);
    Ok(Json { text, size })
}
