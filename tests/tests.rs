//! Integration tests: one binary, a module per area.

mod cgroup;
mod cli;
mod fixtures;
mod generated;
mod java;
mod live;
mod synthetic;
mod unprivileged;
mod util;
mod workload;
