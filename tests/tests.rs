//! Integration tests: one binary, a module per area.

mod alloc;
mod cgroup;
mod churn;
mod cli;
mod endpoint;
mod findings;
mod fixtures;
mod flame;
mod fleet;
mod generated;
mod hostile;
mod java;
mod java_attach;
mod kubernetes;
mod limits;
mod live;
mod longrun;
mod plugin;
mod release;
mod sample;
mod synthetic;
mod triage;
mod unprivileged;
mod util;
mod width;
mod workload;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;
