//! What every test shares: one way to run tsnap and say why a test cannot run (`util`), one
//! builder of fake `/proc` and `/sys` trees (`fakeproc`), one workload of real threads in
//! known states (`workload`), what the kernel says a thread got of the CPU (`cpu`), a terminal
//! of a known width (`pty`);
//! real containers of a static workload (`containers`) and a kubelet's trees (`kubelet`).

pub mod containers;
pub mod cpu;
pub mod fakeproc;
pub mod kubelet;
pub mod pty;
pub mod util;
pub mod workload;
