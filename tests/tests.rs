//! Integration tests: one binary, a module per area.
//!
//! A test that cannot run here says why through `util::require`, which fails it under
//! `TSNAP_TEST_STRICT=1` (`.ci/run` sets it): root, podman, gcc, javac, python modules, tmux,
//! FUSE... are prerequisites `.ci/run` installs. A test that does not belong to this run says
//! so through `util::applies` and passes even when strict: a check of this machine's syscall
//! numbers while tsnap is the aarch64 binary under qemu (scripts/test's third pass, `cli::
//! fixtures:: synthetic:: live:: cgroup::`), a container test without the static binary
//! (scripts/test's first pass), the release test on a tree with changes.

mod alloc;
mod capture;
mod cgroup;
mod churn;
mod cli;
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
mod kubernetes;
mod limits;
mod live;
mod memory;
mod output_files;
mod plugin;
mod pods;
mod queries;
mod release;
mod report;
mod sample;
mod synthetic;
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
