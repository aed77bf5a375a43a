//! Integration tests: one binary, a file per feature, what belongs in each:
//!
//! - `alloc`: no heap allocation per pass once warmed up.
//! - `capture`: a node's watch capture: time, host, container and pod on every row; hourly files.
//! - `cgroup`: the cgroup blocks, on fixture trees of v1 and v2 and live.
//! - `churn`: threads that come and go by thousands (tids reused), and short-lived ones.
//! - `cli`: the command line: bad input, its status and message.
//! - `columns`: snap's and dump's columns against live threads in known states.
//! - `daemonset`: the node's DaemonSet manifests, and `dump --java` on a node of two JVMs.
//! - `endpoint`: the endpoint and IO columns against live sockets.
//! - `findings`: sample's findings against live threads (spinners, D, throttling, FUSE...).
//! - `fixtures`: /proc trees captured from real machines and kernels of other architectures.
//! - `flame`: folded stacks, `--flame` pages and `report --diff`.
//! - `forged`: identities a target forges (cgroup files, sockets) that must not pass.
//! - `formats`: what readers (CSV, DuckDB) get back from tsnap's output formats.
//! - `full_disk`: what a full disk leaves of sample's, watch's and --save's files.
//! - `generated`: the syscall tables are what scripts/gen-syscalls makes.
//! - `habits`: the habits of ps, top and kubectl users (`-C`, users, containers, schema).
//! - `hostile`: root `dump --java` against a target that turns paths, replies, FUSE and pids
//!   against it (`hostile/`).
//! - `java`, `java_*`: real JVMs, their threads joined with jstack, and the attach protocol.
//! - `kubernetes`: each way into a pod, with real containers, as the README's table says.
//! - `limits`: the most open files and threads a process can have.
//! - `memory`: memory a tenant can make tsnap use, and memory that must not grow over time.
//! - `output_files`: the files tsnap writes, against users who can write where they go.
//! - `plugin`: scripts/kubectl-tsnap against a stand-in kubectl (`plugin/`: tar, ephemeral,
//!   fetch, input).
//! - `pods`: selecting processes by container, pod and cgroup.
//! - `procfs_edges`: /proc files in shapes no live thread shows on demand (fake trees).
//! - `queries`: scripts/sql/ under DuckDB and chdb over a real capture.
//! - `release`: a clean checkout builds the same binary, archives and image.
//! - `report`: saved samples read again.
//! - `sample`: sample's counts, groups and signals against live threads.
//! - `target_exits`: targets that exit during a window, a watch or a sample.
//! - `top`: `tsnap top` in a real terminal.
//! - `triage`: the tally of states, `--top`, `--sort` and collapse.
//! - `unprivileged`: tsnap as uid 65534 against a root-owned process.
//! - `watch`: watch's snapshots, hourly files and SIGTERM.
//! - `width`: tables that fit the terminal.
//!
//! `support/` is what they share: one way to run tsnap and to say why a test cannot run
//! (`util`), one fake-/proc builder (`fakeproc`), one workload of threads in known states
//! (`workload`), the kernel's account of a thread's CPU (`cpu`), real containers
//! (`containers`) and a kubelet's trees (`kubelet`).
//!
//! A test that cannot run here says why through `util::require`, which fails it under
//! `TSNAP_TEST_STRICT=1` (`.ci/run` sets it): root, podman, gcc, javac, python modules, tmux,
//! FUSE... are prerequisites `.ci/run` installs. A test that does not belong to this run says
//! so through `util::applies` and passes even when strict: a check of this machine's syscall
//! numbers while tsnap is the aarch64 binary under qemu (scripts/test's third pass, `cli::
//! fixtures:: procfs_edges:: columns:: cgroup::`; a test there that cannot run under qemu
//! says so by architecture, never through `require`), a container test without the static
//! binary (scripts/test's first pass), the release test on a tree with changes.

// A test reads as one scenario from start to end: long ones are judged by reading, not by
// clippy's count of lines (clippy.toml).
#![allow(clippy::too_many_lines)]

mod alloc;
mod capture;
mod cgroup;
mod churn;
mod cli;
mod columns;
mod daemonset;
mod endpoint;
mod findings;
mod fixtures;
mod flame;
mod forged;
mod formats;
mod full_disk;
mod generated;
mod habits;
mod hostile;
mod java;
mod java_attach;
mod java_locks;
mod java_sample;
mod java_virtual;
mod kubernetes;
mod limits;
mod memory;
mod output_files;
mod plugin;
mod pods;
mod procfs_edges;
mod queries;
mod readme;
mod release;
mod report;
mod sample;
mod target_exits;
mod top;
mod triage;
mod unprivileged;
mod watch;
mod width;

mod support;
use support::{util, workload};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;
