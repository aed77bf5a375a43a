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
mod forged;
mod formats;
mod generated;
mod habits;
mod hostile;
mod java;
mod java_attach;
mod kubernetes;
mod limits;
mod live;
mod longrun;
mod memory;
mod output_files;
mod plugin;
mod readme;
mod release;
mod sample;
mod synthetic;
mod top;
mod triage;
mod unprivileged;
mod util;
mod width;
mod workload;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;
