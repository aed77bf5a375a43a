//! What every test shares: one way to run tsnap and say why a test cannot run (`util`), one
//! builder of fake `/proc` and `/sys` trees (`fakeproc`), one workload of real threads in
//! known states (`workload`), and what the kernel says a thread got of the CPU (`cpu`).

pub mod cpu;
pub mod fakeproc;
pub mod util;
pub mod workload;
