//! The files tsnap writes (`--save FILE`, `--output-dir DIR`), made safe to put in a
//! directory that others can write: a root tsnap must not be turned into a writer of any file
//! by a link planted under the name it is about to open, nor be held for ever by a FIFO.
//!
//! Everything goes through a descriptor of the directory, opened without following a link;
//! each file is opened without following a link and without blocking, then checked to be a
//! regular file of tsnap's own user before a byte is written. As root, a directory that
//! another user can write and that lacks the sticky bit is refused: there, another user could
//! also rename or delete tsnap's files. Files are created private (0600, directories 0700)
//! unless `--mode` says otherwise.

use super::Out;
use crate::error::{Error, errno_name};
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use rustix::process::geteuid;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The mode of the files tsnap creates unless `--mode` says otherwise.
pub const PRIVATE: u32 = 0o600;

/// A directory tsnap writes into, held open.
pub struct OutDir {
    fd: OwnedFd,
    path: PathBuf,
    /// The mode of the files it creates.
    mode: u32,
}

/// A file of tsnap's in the directory, as [`OutDir::own_files`] found it.
pub struct OwnFile {
    pub name: Vec<u8>,
    pub size: u64,
}

impl OutDir {
    /// Opens directory `path`, first creating it (with the search bits added to `mode` where
    /// it lets read) when `create` and it is missing.
    pub fn open(path: &Path, create: bool, mode: u32) -> Result<OutDir, Error> {
        let mut created = false;
        if create && std::fs::symlink_metadata(path).is_err() {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::Fatal(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            match rustix::fs::mkdir(path, Mode::from_raw_mode(dir_mode(mode))) {
                Ok(()) => created = true,
                Err(Errno::EXIST) => {}
                Err(e) => return Err(fatal("cannot create", path, e)),
            }
        }
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => Error::Fatal(format!(
                "cannot write into {}: not a directory (a symbolic link is not followed)",
                path.display()
            )),
            e => fatal("cannot open directory", path, e),
        })?;
        let dir = OutDir {
            fd,
            path: path.to_path_buf(),
            mode,
        };
        dir.refuse_if_shared()?;
        if created {
            // Exactly the mode asked for, whatever the umask.
            let _ = rustix::fs::fchmod(&dir.fd, Mode::from_raw_mode(dir_mode(mode)));
        }
        Ok(dir)
    }

    /// The directory of `file` (`.` for a bare name) and its name in it.
    pub fn of_file(file: &Path, mode: u32) -> Result<(OutDir, Vec<u8>), Error> {
        let name = file
            .file_name()
            .ok_or_else(|| Error::Usage(format!("'{}' does not name a file", file.display())))?;
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Ok((OutDir::open(parent, false, mode)?, name.as_bytes().to_vec()))
    }

    /// As root, refuses a directory of another user, or one that others can write in
    /// unless sticky: there another user could replace tsnap's files between two of its
    /// calls (the owner of a directory may, even a sticky one).
    fn refuse_if_shared(&self) -> Result<(), Error> {
        if !geteuid().is_root() {
            return Ok(());
        }
        let st = rustix::fs::fstat(&self.fd).map_err(|e| fatal("cannot stat", &self.path, e))?;
        let sticky = st.st_mode & 0o1000 != 0;
        if st.st_uid != 0 || (st.st_mode & 0o022 != 0 && !sticky) {
            return Err(Error::Usage(format!(
                "refusing to write as root into {}: another user can write in it (mode {:04o}, \
                 owner uid {}){}; use a directory of root's that only root can write, or a \
                 sticky one",
                self.path.display(),
                st.st_mode & 0o7777,
                st.st_uid,
                if sticky {
                    ""
                } else {
                    " and it lacks the sticky bit"
                }
            )));
        }
        Ok(())
    }

    /// Opens file `name` for appending: created with O_EXCL when missing, else the existing
    /// one, never through a link and never blocking, and written to only if it is a regular
    /// file of tsnap's own user.
    pub fn append(&self, name: &[u8]) -> Result<Out, Error> {
        let path = self.path.join(OsStr::from_bytes(name));
        let flags = OFlags::WRONLY | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        let flags = flags | OFlags::CLOEXEC | OFlags::NOCTTY;
        let new = rustix::fs::openat(
            &self.fd,
            name,
            flags | OFlags::CREATE | OFlags::EXCL,
            Mode::from_raw_mode(self.mode),
        );
        let fd = match new {
            Ok(fd) => {
                // Exactly the mode asked for, whatever the umask.
                let _ = rustix::fs::fchmod(&fd, Mode::from_raw_mode(self.mode));
                fd
            }
            Err(Errno::EXIST) => rustix::fs::openat(&self.fd, name, flags, Mode::empty())
                .map_err(|e| refused(&path, e))?,
            Err(e) => return Err(refused(&path, e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| refused(&path, e))?;
        if !is_own_file(&st) {
            return Err(Error::Fatal(format!(
                "refusing to write to {}: not a regular file of tsnap's user (uid {}) with one name",
                path.display(),
                geteuid().as_raw()
            )));
        }
        Ok(Out::file(fd, path))
    }

    /// The regular files of tsnap's own user in the directory whose names `ours` accepts
    /// (links, other users' files and everything else are not tsnap's).
    pub fn own_files(&self, ours: impl Fn(&[u8]) -> bool) -> Vec<OwnFile> {
        let Ok(entries) = rustix::fs::Dir::read_from(&self.fd) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| {
                let e = e.ok()?;
                let name = e.file_name().to_bytes();
                if !ours(name) {
                    return None;
                }
                let st = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
                is_own_file(&st).then(|| OwnFile {
                    name: name.to_vec(),
                    size: st.st_size as u64,
                })
            })
            .collect()
    }

    /// Deletes `name`, one of [`OutDir::own_files`], through the directory's descriptor.
    pub fn remove(&self, name: &[u8]) -> Result<(), String> {
        rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()).map_err(|e| {
            format!(
                "cannot delete {}: {}",
                self.path.join(OsStr::from_bytes(name)).display(),
                errno_name(e)
            )
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A regular file owned by tsnap's effective user, with no other name (a hard link planted
/// to another file of the same user is not tsnap's).
fn is_own_file(st: &Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
        && st.st_uid == geteuid().as_raw()
        && st.st_nlink == 1
}

/// The mode of a directory for files of `mode`: searchable by whoever may read.
pub fn dir_mode(mode: u32) -> u32 {
    mode | (mode & 0o444) >> 2
}

fn fatal(what: &str, path: &Path, e: Errno) -> Error {
    Error::Fatal(format!("{what} {}: {}", path.display(), errno_name(e)))
}

/// Why a file could not be opened, in words for the cases a planted name causes.
fn refused(path: &Path, e: Errno) -> Error {
    let why = match e {
        Errno::LOOP => "it is a symbolic link, which is not followed".to_string(),
        Errno::NXIO => "it is a FIFO or a device".to_string(),
        e => errno_name(e),
    };
    Error::Fatal(format!("cannot open {} for writing: {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_searchable_where_readable() {
        assert_eq!(dir_mode(0o600), 0o700);
        assert_eq!(dir_mode(0o640), 0o750);
        assert_eq!(dir_mode(0o644), 0o755);
    }
}
