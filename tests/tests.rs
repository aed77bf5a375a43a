//! Integration tests: one binary, a module per area.

mod cli;
mod live;
mod unprivileged;
mod util;
mod workload;
