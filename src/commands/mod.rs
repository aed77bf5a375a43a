//! The commands, one module each, and what they share: the session ([`session`]: the
//! collector started, listed again, the footer of what could not be read), the passes over
//! time ([`schedule`]), and rows as snap and watch write them.

pub mod columns;
pub mod dump;
mod hourly;
mod java_time;
mod order;
pub mod report;
mod rows;
pub mod sample;
mod schedule;
pub mod session;
pub mod snap;
pub mod top;
pub mod watch;
