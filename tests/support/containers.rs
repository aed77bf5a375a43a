//! Real containers: podman (with runc) runs tests/support/workload.c, built static, from a
//! root holding nothing else, each container with a workload of its own (threads named by
//! what they do: pipe readers, sleepers, a spinner); `Container::run` runs a test's own static
//! program the same way. Without root, podman, runc or a static C library, they say what is
//! missing through `util::require`.

use crate::util::{self, TempDir, build_c, is_root};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// tests/support/workload.c built static (it runs alone in a container), once per test binary.
pub fn workload() -> Option<&'static Path> {
    static BIN: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        util::required(
            build_c("tests/support/workload.c", "workload", &["-static"]),
            "gcc cannot build a static program",
        )
    })
    .as_deref()
}

/// Whether podman can run containers here: root, podman and runc.
pub fn podman() -> bool {
    let works = |program: &str| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    util::require(
        is_root() && works("podman") && works("runc"),
        "needs root, podman and runc",
    )
}

/// A podman container running the workload; removed when dropped.
pub struct Container {
    pub name: String,
    /// The full 64-hex id.
    pub id: String,
    /// Its workload's pid on this machine.
    pub pid: u32,
    pub child: Child,
    pub _root: TempDir,
}

impl Container {
    /// Runs `workload ARGS` in a container named after `tag`, with `podman_args` (a CPU
    /// limit); `None` (said why) where containers cannot run.
    pub fn start(tag: &str, args: &[&str], podman_args: &[&str]) -> Option<Container> {
        Container::run(workload()?, tag, args, podman_args)
    }

    /// Runs the static program `bin` with `args` as the only file of a container's root; the
    /// program says `ready` on its first line once it is set up.
    pub fn run(bin: &Path, tag: &str, args: &[&str], podman_args: &[&str]) -> Option<Container> {
        if !podman() {
            return None;
        }
        let root = TempDir::new(tag);
        let file = bin.file_name().expect("a program's file name");
        std::fs::copy(bin, root.0.join(file)).unwrap();
        let name = format!("tsnap-test-{}-{tag}", std::process::id());
        let mut child = Command::new("podman")
            .args([
                "--runtime",
                "runc",
                "run",
                "-i",
                "--rm",
                "--network",
                "none",
            ])
            .args(["--name", &name])
            .args([
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=4096:4096",
            ])
            .args(podman_args)
            .arg("--rootfs")
            .arg(&root.0)
            .arg(Path::new("/").join(file))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run podman");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let inspect = |format: &str| {
            let out = Command::new("podman")
                .args(["inspect", "-f", format, &name])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let container = Container {
            id: inspect("{{.Id}}"),
            pid: inspect("{{.State.Pid}}").parse().unwrap_or(0),
            name,
            child,
            _root: root,
        };
        assert!(
            line.starts_with("ready") && container.id.len() == 64 && container.pid > 0,
            "container {} did not start: {line:?}",
            container.name
        );
        Some(container)
    }

    /// Its path in the hierarchy of `controllers` (`name=systemd`, or empty for v2), as the
    /// host sees it.
    pub fn cgroup(&self, controllers: &str) -> String {
        let file = std::fs::read_to_string(format!("/proc/{}/cgroup", self.pid)).unwrap();
        file.lines()
            .find_map(|l| {
                l.split_once(':')?
                    .1
                    .strip_prefix(&format!("{controllers}:"))
            })
            .unwrap_or_else(|| panic!("no {controllers:?} hierarchy in {file}"))
            .to_string()
    }

    /// Its threads now, tid to name, as /proc shows them.
    pub fn threads(&self) -> BTreeMap<u64, String> {
        threads_of(self.pid)
    }

    /// The tids of its threads named `comm`.
    pub fn named(&self, comm: &str) -> BTreeSet<u64> {
        let threads = self.threads();
        threads
            .into_iter()
            .filter(|(_, c)| c == comm)
            .map(|(t, _)| t)
            .collect()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = Command::new("podman")
            .args(["rm", "-f", "-t", "0", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The threads of process `pid`, tid to name.
pub fn threads_of(pid: u32) -> BTreeMap<u64, String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| {
            let tid: u64 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).ok()?;
            Some((tid, comm.trim_end().to_string()))
        })
        .collect()
}
