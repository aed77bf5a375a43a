//! Integration tests: one binary, a module per area.

// A test reads as one scenario from start to end: long ones are judged by reading, not by
// clippy's count of lines (clippy.toml).
#![allow(clippy::too_many_lines)]

mod alloc;
mod cgroup;
mod churn;
mod cli;
mod endpoint;
mod findings;
mod fixtures;
mod fleet;
mod forged;
mod formats;
mod generated;
mod hostile;
mod java;
mod java_attach;
mod kubernetes;
mod limits;
mod live;
mod longrun;
mod output_files;
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
