//! The collector: the selected processes and their threads, kept between passes with their
//! files open, and one pass that reads them into [`Rows`].
//!
//! A pass reads `stat` of every thread (one `pread` on a kept fd, or openat+read+close), and
//! only for the threads that will be shown the files their columns need: `schedstat`,
//! `status`, `syscall` (the costliest: the kernel waits for the thread to be off CPU),
//! `wchan`, `stack`, `io`, the fd link and the socket tables. Per process it reads `cgroup`
//! and the container's `/etc/passwd` once, when asked for.
//!
//! Its rooms: [`table`] (the processes and threads, and the descriptor budget), [`reader`]
//! (the buffers, the path and the counts of what could not be read), [`pass`] (one thread
//! read into a row), [`cpu`] (the arithmetic of CPU windows) and [`sockets`] (the socket
//! tables of each network namespace).

mod cpu;
mod pass;
mod reader;
pub mod sock_diag;
mod sockets;
mod table;

use crate::columns::Needs;
use crate::parse::Span;
use crate::problems::Problems;
use crate::procfs::Mount;
use crate::row::{Row, Rows};
use crate::select::{Selection, Selector};
use pass::Thread;
use reader::Reader;
use rustix::io;
use sockets::Sockets;
use table::{ProcessInfo, Table};

/// How the collector reads.
#[derive(Debug, Clone)]
pub struct Options {
    pub selection: Selection,
    pub needs: Needs,
    /// Show threads in every state, not only R and D.
    pub all_states: bool,
    /// More than one pass will be made (sampling, snap's CPU window): keep files open
    /// between passes, and measure CPU time to the nanosecond.
    pub cache_files: bool,
}

/// Counters for the sample footer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    pub processes: u64,
    pub threads: u64,
    /// Reads done without a kept fd because the fd budget ran out.
    pub uncached_reads: u64,
}

/// A selected process, as far as its columns' needs had it read.
pub struct Process<'a> {
    pub pid: u32,
    pub cmdline: Option<&'a [u8]>,
    pub container: Option<&'a [u8]>,
    pub pod: Option<&'a [u8]>,
}

/// What a pass produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Only the CPU time of every thread, to start a `pcpu` window.
    Baseline,
    /// Rows for the threads to show.
    Full,
}

pub struct Collector {
    mount: Mount,
    selector: Selector,
    opts: Options,
    table: Table,
    reader: Reader,
    sockets: Sockets,
}

impl Collector {
    /// A collector reading the procfs mount `mount` (a [`Mount`], or the fd it is open at).
    pub fn new(mount: impl Into<Mount>, opts: Options) -> Collector {
        let mount = mount.into();
        Collector {
            selector: Selector::new(opts.selection.clone(), mount.own_pid()),
            table: Table::new(opts.cache_files),
            reader: Reader::default(),
            sockets: Sockets::new(mount.own_net_ns()),
            mount,
            opts,
        }
    }

    pub fn mount(&self) -> &Mount {
        &self.mount
    }

    /// What could not be read so far.
    pub fn problems(&self) -> &Problems {
        &self.reader.problems
    }

    pub fn seen(&self) -> Seen {
        Seen {
            uncached_reads: self.table.budget.refused,
            ..self.table.seen
        }
    }

    pub fn process_count(&self) -> usize {
        self.table.procs.len()
    }

    /// Each selected process whose `/proc/PID/cgroup` was read (with [`Needs::CGROUP`]),
    /// and its content.
    pub fn cgroups(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.table
            .procs
            .iter()
            .filter_map(|p| Some((p.pid, p.info.cgroup.as_ref()?.as_deref()?)))
    }

    /// The selected processes, in pid order.
    pub fn pids(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.procs.iter().map(|p| p.pid)
    }

    /// The selected processes, in pid order, with what was read of them.
    pub fn processes(&self) -> impl Iterator<Item = Process<'_>> {
        self.table.procs.iter().map(|p| Process {
            pid: p.pid,
            cmdline: p.info.cmdline.as_deref(),
            container: p.info.container.as_deref(),
            pod: p.info.pod.as_deref(),
        })
    }

    /// Re-lists the selected processes and their threads: new ones are added, those gone
    /// are dropped with their open files. A socket table that lacked a socket (made since it
    /// was read) is read again when next needed.
    pub fn refresh(&mut self) -> io::Result<()> {
        self.relist(false)
    }

    /// As [`refresh`](Self::refresh), but lists again only the threads of the processes
    /// whose threads may have come or gone (see [`relist_threads`](Self::relist_threads)):
    /// for `watch`, whose passes read every thread's `stat` and so notice those, and which
    /// would otherwise list every thread of the machine each pass.
    pub fn refresh_changed(&mut self) -> io::Result<()> {
        self.relist(true)
    }

    fn relist(&mut self, only_changed: bool) -> io::Result<()> {
        self.sockets.forget_missed();
        let root = self.mount.fd();
        self.table
            .relist_processes(&mut self.selector, root, &mut self.reader)?;
        self.table
            .relist_threads(root, &mut self.reader, self.opts.needs, true, only_changed);
        Ok(())
    }

    /// Shows threads in every state from the next pass on, or only those in R and D (`top`'s
    /// `r` key).
    pub fn set_all_states(&mut self, all: bool) {
        self.opts.all_states = all;
    }

    /// Makes the next pass read the socket tables again, for the states and queues of that
    /// moment.
    pub fn forget_sockets(&mut self) {
        self.sockets.forget();
    }

    /// A full pass over every thread, whatever its state, reading also what `also` needs:
    /// a look at all of them beside the passes, which keeps no file open for them and is
    /// left out of the counts of what could not be read.
    pub fn probe(&mut self, also: Needs, rows: &mut Rows) {
        let opts = (self.opts.needs, self.opts.all_states);
        self.opts.needs = self.opts.needs.union(also);
        self.opts.all_states = true;
        let keep = self.table.budget.set_keep(false);
        let problems = std::mem::take(&mut self.reader.problems);
        self.pass(Pass::Full, rows);
        self.reader.problems = problems;
        self.table.budget.set_keep(keep);
        (self.opts.needs, self.opts.all_states) = opts;
    }

    /// Re-lists the threads of the processes already selected whose threads may have come or
    /// gone (their count in `stat` is not the listing's, or one was found gone), keeping the
    /// files of those that remain: cheap enough for every sampling pass, so that a thread that
    /// lives for a few passes is seen in all of them. A thread born and another gone between
    /// two passes leave the count as it was: the gone one is found in the next pass, and the
    /// new one listed before the pass after.
    pub fn relist_threads(&mut self) {
        let root = self.mount.fd();
        self.table
            .relist_threads(root, &mut self.reader, self.opts.needs, false, true);
    }

    /// The processes found gone since the last call, in the order they were found.
    pub fn exited(&mut self) -> std::vec::Drain<'_, u32> {
        self.table.exited.drain(..)
    }

    /// Reads one pass. With [`Pass::Full`], `rows` gets one row per thread to show, and its
    /// tally counts every thread read.
    pub fn pass(&mut self, kind: Pass, rows: &mut Rows) {
        rows.clear();
        // Room for every thread up front, and for a few hundred bytes of text each (a name,
        // a wchan, a stack): no copying as the rows grow, and none in a later pass whose
        // stacks happen to be deeper.
        let known = self.table.known_tasks();
        rows.reserve(known, known * 512 + 4096);
        self.mount.forget_uptime();
        let root = self.mount.fd();
        let Table { procs, budget, .. } = &mut self.table;
        for proc in procs.iter_mut() {
            let pid = proc.pid;
            let (dir, tasks, info) = proc.parts(root);
            info.counted = None;
            let mut text = ProcessText::default();
            for task in tasks.iter_mut() {
                let mut thread = Thread {
                    reader: &mut self.reader,
                    sockets: &mut self.sockets,
                    budget,
                    mount: &self.mount,
                    opts: &self.opts,
                    pid,
                    dir,
                    info,
                    task,
                };
                let row = match kind {
                    Pass::Baseline => {
                        thread.baseline();
                        None
                    }
                    Pass::Full => thread.row(rows),
                };
                if let Some(mut row) = row {
                    text.fill(&mut row, info, rows);
                    rows.rows.push(row);
                }
            }
            let listed = tasks.len() as u64;
            info.changed |=
                tasks.iter().any(|t| t.gone) || info.counted.is_some_and(|n| n != listed);
            proc.drop_gone(budget);
        }
        // Processes are kept in pid order and their threads in tid order: so are the rows.
    }
}

/// A process's own text (name, command line, executable, cgroup, container, pod), put in the rows' arena
/// once a pass, for all its rows.
#[derive(Default)]
struct ProcessText {
    pcomm: Option<Option<Span>>,
    cmdline: Option<Option<Span>>,
    exe: Option<Option<Span>>,
    cgroup: Option<Option<Span>>,
    container: Option<Option<Span>>,
    pod: Option<Option<Span>>,
}

impl ProcessText {
    fn fill(&mut self, row: &mut Row, info: &ProcessInfo, rows: &mut Rows) {
        let mut once = |slot: &mut Option<Option<Span>>, text: &Option<Vec<u8>>| {
            *slot.get_or_insert_with(|| text.as_deref().map(|t| rows.push_text(t)))
        };
        row.pcomm = once(&mut self.pcomm, &info.comm);
        row.cmdline = once(&mut self.cmdline, &info.cmdline);
        row.exe = once(&mut self.exe, &info.exe);
        row.cgroup = once(&mut self.cgroup, &info.cgroup_path);
        row.container = once(&mut self.container, &info.container);
        row.pod = once(&mut self.pod, &info.pod);
    }
}
