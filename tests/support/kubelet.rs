//! A node's /proc and /sys as the kubelet lays them out (systemd and cgroupfs drivers, cgroup
//! v1 and v2), built with `fakeproc`: there is no Kubernetes here, so the kubelet's cgroup
//! paths come from trees the tests build.

use crate::support::fakeproc::{self, FakeProc};
use crate::util::{Run, run};

/// A stat line for thread `tid` named `comm`, in state S.
pub fn stat_line(tid: u32, comm: &str) -> String {
    fakeproc::stat_line(tid, comm, 'S', 2)
}

/// A node's /proc and /sys as the kubelet lays them out, built by the test.
pub struct Node {
    pub tree: FakeProc,
}

/// One of the four layouts: cgroup v2 or v1, and the kubelet's cgroup driver.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub v2: bool,
    pub systemd: bool,
}

pub const POD: &str = "6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60";

pub const OTHER_POD: &str = "0c9d2e4f-1111-4222-8333-944455556666";

pub const CONTAINER: &str = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

pub const OTHER_CONTAINER: &str =
    "aa11bb22cc33dd44ee55ff66778899000011223344556677889900aabbccddee";

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout {
            v2: true,
            systemd: true,
        },
        Layout {
            v2: true,
            systemd: false,
        },
        Layout {
            v2: false,
            systemd: true,
        },
        Layout {
            v2: false,
            systemd: false,
        },
    ];

    /// The cgroup path of a container of a burstable pod, as this driver names it.
    pub fn path(self, pod: &str, container: &str) -> String {
        match self.systemd {
            true => format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{container}.scope",
                pod.replace('-', "_")
            ),
            false => format!("/kubepods/burstable/pod{pod}/{container}"),
        }
    }

    /// `/proc/PID/cgroup` for `path`: the v2 line, or the v1 controllers' lines.
    pub fn cgroup_file(self, path: &str) -> String {
        match self.v2 {
            true => format!("0::{path}\n"),
            false => format!(
                "12:memory:{path}\n11:cpu,cpuacct:{path}\n3:pids:{path}\n1:name=systemd:{path}\n0::/\n"
            ),
        }
    }

    /// The directory of `path` under `sys/fs/cgroup`, and its memory file.
    pub fn memory_file(self, path: &str) -> String {
        match self.v2 {
            true => format!("sys/fs/cgroup{path}/memory.current"),
            false => format!("sys/fs/cgroup/memory{path}/memory.usage_in_bytes"),
        }
    }
}

impl Node {
    /// A pod's process 100 (threads 100 and 101), another pod's 200, and a service of the
    /// host's, 300.
    pub fn new(layout: Layout) -> Node {
        let node = Node {
            tree: FakeProc::new("node"),
        };
        node.file("proc/uptime", "5000.00 9000.00\n");
        let host = match layout.systemd {
            true => "/system.slice/containerd.service".to_string(),
            false => "/system.slice/containerd.service".to_string(),
        };
        let processes = [
            (100, "app", vec![100, 101], layout.path(POD, CONTAINER)),
            (
                200,
                "other",
                vec![200],
                layout.path(OTHER_POD, OTHER_CONTAINER),
            ),
            (300, "containerd", vec![300], host),
        ];
        for (pid, comm, threads, path) in processes {
            node.file(&format!("proc/{pid}/stat"), &stat_line(pid, comm));
            node.file(&format!("proc/{pid}/comm"), &format!("{comm}\n"));
            node.file(&format!("proc/{pid}/cgroup"), &layout.cgroup_file(&path));
            for tid in threads {
                let task = format!("proc/{pid}/task/{tid}");
                node.file(&format!("{task}/stat"), &stat_line(tid, comm));
                node.file(&format!("{task}/schedstat"), "1000000 0 1\n");
                node.file(&format!("{task}/wchan"), "do_epoll_wait");
                node.file(
                    &format!("{task}/syscall"),
                    "232 0x3 0x7f00 0x80 0xffffffff 0x0 0x0 0x7ffc 0x7f00\n",
                );
            }
            node.file(&layout.memory_file(&path), "104857600\n");
        }
        if layout.v2 {
            node.file("sys/fs/cgroup/cgroup.controllers", "cpu memory io\n");
        }
        node
    }

    pub fn file(&self, path: &str, content: &str) {
        self.tree.file(path, content);
    }

    /// tsnap's options to read this node.
    pub fn args(&self) -> Vec<String> {
        let at = |part: &str| self.tree.arg(part);
        vec!["--proc".into(), at("proc"), "--sys".into(), at("sys")]
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut all = self.args();
        all.extend(args.iter().map(|a| a.to_string()));
        run(&all.iter().map(String::as_str).collect::<Vec<_>>())
    }
}
