//! Fake `/proc` and `/sys` trees, built by a test and read by tsnap with `--proc DIR` and
//! `--sys DIR`: edge cases no live thread shows on demand (tests/procfs_edges.rs), a kubelet's
//! layouts (tests/support/kubelet.rs), a fixture changed for one case (tests/cgroup.rs), a copy of a
//! live process's files (tests/hostile.rs).

use crate::util::{Run, TempDir, run};
use std::path::{Path, PathBuf};

/// A directory tree of files and links, removed when dropped. Paths are relative to its root:
/// `500/stat` in a tree read as `--proc`, `proc/500/stat` and `sys/fs/cgroup/...` in one that
/// holds both.
pub struct FakeProc(TempDir);

impl FakeProc {
    pub fn new(tag: &str) -> FakeProc {
        FakeProc(TempDir::new(tag))
    }

    /// The tree's root.
    pub fn path(&self) -> &Path {
        &self.0.0
    }

    /// `part` of the tree as an argument for tsnap.
    pub fn arg(&self, part: &str) -> String {
        self.0.0.join(part).to_string_lossy().into_owned()
    }

    /// tsnap run with `args` on this tree as its `/proc`; it must succeed.
    pub fn tsnap(&self, args: &[&str]) -> Run {
        let root = self
            .path()
            .to_str()
            .expect("a temporary directory's path in UTF-8");
        run(&[&["--proc", root][..], args].concat()).ok()
    }

    /// Writes `content` at `path`, making its directories.
    pub fn file(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.dir_for(path);
        std::fs::write(p, content).unwrap();
    }

    /// A symbolic link at `path` to `target`.
    pub fn link(&self, path: &str, target: impl AsRef<Path>) {
        let p = self.dir_for(path);
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    /// Copies the tree at `from` (files, links and directories) to `to`.
    pub fn copy(&self, from: &Path, to: &str) {
        copy_tree(from, &self.0.0.join(to));
    }

    fn dir_for(&self, path: &str) -> PathBuf {
        let p = self.0.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), target).unwrap();
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A `stat` line for thread `tid` named `comm` in `state`, of a process of `threads` threads,
/// started 1000 ticks after boot, with 5 ticks of user and 3 of system time.
pub fn stat_line(tid: u32, comm: &str, state: char, threads: u32) -> String {
    format!(
        "{tid} ({comm}) {state} 1 {tid} {tid} 0 -1 4194560 10 0 2 0 5 3 0 0 20 0 {threads} 0 1000 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    )
}
