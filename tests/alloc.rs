//! Zero heap allocations per pass once warmed up: a counting global allocator around real
//! passes (with re-listing and aggregation) over live threads of a workload process, with
//! every column, the socket tables and the IO counters included.

use crate::util::SelfProcess;
use crate::workload::{Kind, Workload};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Read;
use tsnap::aggregate::Aggregate;
use tsnap::collect::{Collector, Options, Pass};
use tsnap::columns::{self, Column};
use tsnap::row::Rows;
use tsnap::select::Selection;

/// The system allocator, counting the allocations each thread makes.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed to the system allocator unchanged; the count is a
// thread-local integer, which needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's layout, passed on as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's layout, passed on as it came.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's block, allocated by System through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's block, allocated by System through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// The workload process: this test binary run again for this one ignored test, holding
/// threads in known states until its stdin closes.
#[test]
#[ignore = "the workload process of a_pass_allocates_nothing_once_warmed_up"]
fn alloc_workload_process() {
    if std::env::var_os("TSNAP_ALLOC_WORKLOAD").is_none() {
        return;
    }
    let _w = Workload::start(
        "alloc",
        &[
            Kind::PipeReader,
            Kind::Sleeper,
            Kind::FutexWaiter,
            Kind::Acceptor,
            Kind::PeerReader,
            Kind::UdpReader,
            Kind::UnixAcceptor,
            Kind::Writer,
        ],
    );
    println!("ready");
    let _ = std::io::stdin().read(&mut [0u8; 1]);
}

#[test]
fn a_pass_allocates_nothing_once_warmed_up() {
    let child = SelfProcess::start("alloc::alloc_workload_process", "TSNAP_ALLOC_WORKLOAD", "1");
    let every_column: Vec<Column> = columns::ALL.iter().map(|i| i.column).collect();
    let root = tsnap::procfs::open_dir(rustix::fs::CWD, "/proc").unwrap();
    let mut collector = Collector::new(
        root,
        Options {
            selection: Selection {
                pids: vec![child.pid()],
                ..Selection::default()
            },
            needs: columns::needs(&every_column),
            all_states: true,
            cache_files: true,
        },
    );
    let mut aggregate = Aggregate::new(
        vec![
            Column::Comm,
            Column::State,
            Column::Syscall,
            Column::Filename,
            Column::Kstack,
        ],
        false,
    );
    let mut rows = Rows::default();
    let mut pass = |collector: &mut Collector, rows: &mut Rows| {
        collector.pass(Pass::Full, rows);
        aggregate.add_rows(rows);
    };
    collector.refresh().unwrap();
    for _ in 0..3 {
        pass(&mut collector, &mut rows);
        collector.refresh().unwrap();
    }
    // The socket tables are the whole namespace's: a socket another test opens meanwhile can
    // grow a buffer once. A window of passes with no allocation shows the steady state.
    let mut made = u64::MAX;
    for _ in 0..3 {
        let before = allocations();
        for _ in 0..20 {
            pass(&mut collector, &mut rows);
        }
        collector.refresh().unwrap();
        pass(&mut collector, &mut rows);
        made = made.min(allocations() - before);
        if made == 0 {
            break;
        }
    }
    child.finish();
    assert!(
        rows.rows.len() >= 9,
        "the passes read the workload's threads"
    );
    let endpoints = rows.rows.iter().filter(|r| {
        matches!(
            r.endpoint,
            tsnap::row::Endpoint::Inet { .. } | tsnap::row::Endpoint::Unix { .. }
        )
    });
    assert!(
        endpoints.count() >= 4 || crate::util::foreign_arch(),
        "the passes read the socket tables"
    );
    assert!(
        rows.rows
            .iter()
            .any(|r| r.io_total.is_some_and(|io| io.wchar > 0))
    );
    assert!(
        rows.rows
            .iter()
            .any(|r| r.kstack.is_some() || !crate::util::is_root())
    );
    assert_eq!(
        made, 0,
        "allocations in 21 warmed-up passes and a re-listing"
    );
}
