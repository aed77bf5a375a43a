//! Paths inside a target's root directory.
//!
//! `/proc/PID/root/etc/passwd` as a string would be resolved by the kernel against tsnap's
//! own root as soon as a component is an absolute symlink: a container whose `/etc/passwd`
//! links to `/etc/shadow` would have root tsnap read the host's. So the root is opened once as
//! a directory fd, and paths are resolved from it with `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)` (Linux 5.6+): `..` and absolute symlinks stay inside, as they do
//! for the target itself, and `/proc/self/fd`-style jumps are refused. Where `openat2` is
//! missing (or a seccomp filter refuses it), the path is walked one component at a time with
//! `O_NOFOLLOW`, refusing every symlink and `..`: stricter than the target's own view, never
//! looser.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::{self, Errno};
use std::ffi::CStr;

/// `f_type` of a FUSE filesystem: its files are served by a process, which may be the target.
const FUSE_SUPER_MAGIC: i64 = 0x6573_5546;

/// Opens the directory that a magic link of `/proc/PID` (`c"root"`, `c"cwd"`) stands for,
/// given the process's `/proc/PID` directory. The kernel follows such a link to the directory
/// itself, whatever path it would print.
pub fn open_magic_dir(process: BorrowedFd<'_>, link: &CStr) -> io::Result<OwnedFd> {
    fs::openat(
        process,
        link,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens `path` (relative, `/`-separated) inside the directory `root` as if `root` were `/`.
pub fn open(root: BorrowedFd<'_>, path: &CStr, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
    // openat2 refuses with O_PATH any flag but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC.
    let flags = match flags.contains(OFlags::PATH) {
        true => flags | OFlags::CLOEXEC,
        false => flags | OFlags::CLOEXEC | OFlags::NOCTTY,
    };
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    match fs::openat2(root, path, flags, mode, resolve) {
        Err(Errno::NOSYS | Errno::PERM) => open_by_components(root, path.to_bytes(), flags, mode),
        opened => opened,
    }
}

/// The fallback of [`open`]: each directory of `path` opened from the one before with
/// `O_NOFOLLOW`, so that a symlink anywhere fails the open (`ENOTDIR`, `ELOOP`), and `..`
/// is refused (`EXDEV`, as `openat2` says for a path that would leave).
pub fn open_by_components(
    root: BorrowedFd<'_>,
    path: &[u8],
    flags: OFlags,
    mode: Mode,
) -> io::Result<OwnedFd> {
    let mut parts = path
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".");
    let mut name = parts.next().ok_or(Errno::INVAL)?;
    let mut dir: Option<OwnedFd> = None;
    for next in parts {
        if name == b".." {
            return Err(Errno::XDEV);
        }
        let at = dir.as_ref().map_or(root, |d| d.as_fd());
        let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        dir = Some(fs::openat(at, name, dir_flags, Mode::empty())?);
        name = next;
    }
    if name == b".." {
        return Err(Errno::XDEV);
    }
    let at = dir.as_ref().map_or(root, |d| d.as_fd());
    fs::openat(at, name, flags | OFlags::NOFOLLOW, mode)
}

/// Reads the regular file at `path` inside `root` into `buf`, if it holds at most `cap`
/// bytes; `flags` may add `O_NOFOLLOW`. Opened without blocking (a FIFO would wait for a
/// writer forever), and refused unless it is a regular file (`EINVAL`: a device such as
/// `/dev/zero` never ends) on a filesystem no process serves (`EINVAL` for FUSE, whose reads
/// the target could hold), or when longer than `cap` (`EFBIG`).
pub fn read_regular(
    root: BorrowedFd<'_>,
    path: &CStr,
    flags: OFlags,
    cap: usize,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    buf.clear();
    let fd = open(
        root,
        path,
        flags | OFlags::RDONLY | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let st = fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile
        || fs::fstatfs(&fd)?.f_type as i64 == FUSE_SUPER_MAGIC
    {
        return Err(Errno::INVAL);
    }
    if u64::try_from(st.st_size).unwrap_or(u64::MAX) > cap as u64 {
        return Err(Errno::FBIG);
    }
    buf.reserve(usize::try_from(st.st_size).unwrap_or(0).min(cap) + 1);
    loop {
        if buf.len() > cap {
            return Err(Errno::FBIG);
        }
        if buf.capacity() == buf.len() {
            buf.reserve(4096);
        }
        if crate::sys::read_spare(fd.as_fd(), buf, cap + 1 - buf.len())? == 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A root with `etc/passwd`, a link out of it, a link inside it, and a FIFO.
    fn tree(tag: &str) -> (std::path::PathBuf, OwnedFd) {
        let dir = std::env::temp_dir().join(format!("tsnap-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(dir.join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
        std::fs::write(dir.join("outside"), "secret\n").unwrap();
        std::fs::create_dir_all(dir.join("root")).unwrap();
        symlink(dir.join("outside"), dir.join("root/escape")).unwrap();
        symlink("/etc", dir.join("root/etc-link")).unwrap();
        std::fs::create_dir_all(dir.join("root/etc")).unwrap();
        std::fs::write(dir.join("root/etc/passwd"), "app:x:1:1::/:/bin/sh\n").unwrap();
        let fd = fs::open(
            dir.join("root"),
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
        (dir, fd)
    }

    #[test]
    fn absolute_links_and_dotdot_stay_inside() {
        let (dir, root) = tree("inside");
        let mut buf = Vec::new();
        // /etc-link -> /etc resolves to the root's own etc.
        read_regular(
            root.as_fd(),
            c"etc-link/passwd",
            OFlags::empty(),
            1024,
            &mut buf,
        )
        .unwrap();
        assert_eq!(buf, b"app:x:1:1::/:/bin/sh\n");
        read_regular(
            root.as_fd(),
            c"../../etc/passwd",
            OFlags::empty(),
            1024,
            &mut buf,
        )
        .unwrap();
        assert_eq!(buf, b"app:x:1:1::/:/bin/sh\n");
        // A link to a file outside the root is a link to a file missing inside it.
        assert_eq!(
            read_regular(root.as_fd(), c"escape", OFlags::empty(), 1024, &mut buf),
            Err(Errno::NOENT)
        );
        // The fallback refuses links and `..` altogether.
        let by_parts =
            |p: &[u8]| open_by_components(root.as_fd(), p, OFlags::RDONLY, Mode::empty()).map(drop);
        assert!(by_parts(b"etc/passwd").is_ok());
        assert!(by_parts(b"etc-link/passwd").is_err());
        assert!(by_parts(b"escape").is_err());
        assert_eq!(by_parts(b"../outside"), Err(Errno::XDEV));
        assert_eq!(by_parts(b"etc/../etc/passwd"), Err(Errno::XDEV));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let (dir, root) = tree("regular");
        let mut buf = Vec::new();
        assert_eq!(
            read_regular(root.as_fd(), c"etc/passwd", OFlags::empty(), 4, &mut buf),
            Err(Errno::FBIG)
        );
        assert_eq!(
            read_regular(root.as_fd(), c"etc", OFlags::empty(), 1024, &mut buf),
            Err(Errno::INVAL)
        );
        let fifo = dir.join("root/fifo");
        let path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path.as_c_str(),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert_eq!(
            read_regular(root.as_fd(), c"fifo", OFlags::empty(), 1024, &mut buf),
            Err(Errno::INVAL)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
