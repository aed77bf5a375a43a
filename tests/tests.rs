//! Integration tests: one binary, a module per area.

mod cli;
mod fixtures;
mod generated;
mod java;
mod java_attach;
mod live;
mod synthetic;
mod unprivileged;
mod util;
mod workload;
