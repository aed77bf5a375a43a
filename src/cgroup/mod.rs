//! The cgroups the selected processes live in, and what their files say at the start and
//! the end of a window: CPU limit, usage and throttling, memory use, limit and OOM kills, and
//! pressure (PSI). [`CgroupWindow`] takes the two readings; `render` turns them into the
//! header block of snap and dump (and the footer of a sampling run).
//!
//! v2, v1 and hybrid layouts are read; where both hierarchies could answer, v2 is used when
//! its controller is enabled for the cgroup, else v1. A file that does not exist leaves its
//! value out and never fails the run; all of them are readable by any user.

pub mod blocks;
mod locate;
mod render;

use crate::parse::cgroup::{self as parse, Limit, Membership, Pressure, Quota};
use crate::procfs;
use crate::row::Row;
use locate::{Hierarchy, Missing, Mounts};
use rustix::fd::OwnedFd;
use std::ffi::CStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// One reading of a cgroup's files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    /// When it was taken (CLOCK_MONOTONIC ns).
    pub at: u64,
    pub quota: Option<Quota>,
    /// CFS periods elapsed, and those in which the cgroup ran out of quota.
    pub periods: Option<u64>,
    pub throttled: Option<u64>,
    /// Time throttled and CPU time used since the cgroup was created, in microseconds (v2's
    /// unit; v1's nanoseconds are divided down, which cannot overflow).
    pub throttled_us: Option<u64>,
    pub usage_us: Option<u64>,
    pub memory: Option<u64>,
    pub memory_limit: Option<Limit>,
    pub oom_kills: Option<u64>,
    /// The `some` lines of cpu, memory and io pressure.
    pub pressure: [Option<Pressure>; 3],
}

/// Which hierarchy each part of the last reading came from, for labels.
#[derive(Debug, Clone, Copy, Default)]
struct Sources {
    cpu: Option<Hierarchy>,
    memory: Option<Hierarchy>,
    /// The v2 directory could be opened (pressure comes from it).
    v2: bool,
    /// Why no directory at all could be opened.
    missing: Option<Missing>,
}

/// A cgroup: the processes with the same paths in every hierarchy tsnap reads.
struct Group {
    /// `/proc/PID/cgroup` of the first process seen in it: its paths name the group.
    file: Vec<u8>,
    key: Vec<u8>,
    sources: Sources,
    start: Option<Reading>,
    end: Option<Reading>,
}

impl Group {
    fn membership(&self) -> Membership<'_> {
        parse::membership(&self.file)
    }
}

/// The cgroups of the selected processes, with a reading at the start of a window
/// ([`CgroupWindow::start`]) and one at its end ([`CgroupWindow::finish`]). Without a start
/// reading only the values of the moment are shown.
pub struct CgroupWindow {
    mounts: Mounts,
    groups: Vec<Group>,
    /// (pid, group).
    members: Vec<(u32, usize)>,
    key: Vec<u8>,
    bufs: [Vec<u8>; 2],
    /// The machine's online CPUs (`--sys`'s `devices/system/cpu/online`), what the root
    /// cgroup's usage is a share of.
    cores: Option<u32>,
}

impl CgroupWindow {
    /// Locates the hierarchies under `sys` from tsnap's own `mountinfo`, when known.
    pub fn new(mountinfo: Option<&[u8]>, sys: &Path) -> CgroupWindow {
        CgroupWindow {
            mounts: Mounts::find(sys.as_os_str().as_bytes(), mountinfo),
            groups: Vec::new(),
            members: Vec::new(),
            key: Vec::new(),
            bufs: Default::default(),
            cores: std::fs::read(sys.join("devices/system/cpu/online"))
                .ok()
                .and_then(|list| parse::cpu_count(&list)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Adds the processes not seen yet, given as (pid, its `/proc/PID/cgroup`), to their
    /// groups. A group first seen after [`CgroupWindow::start`] has no start reading.
    pub fn track<'a>(&mut self, processes: impl Iterator<Item = (u32, &'a [u8])>) {
        for (pid, file) in processes {
            if self.group_of(pid).is_some() {
                continue;
            }
            let m = parse::membership(file);
            if m.path().is_none() {
                continue;
            }
            self.key.clear();
            for path in [m.v2, m.cpu, m.cpuacct, m.memory] {
                self.key.extend_from_slice(path.unwrap_or(b"-"));
                self.key.push(0);
            }
            let g = match self.groups.iter().position(|g| g.key == self.key) {
                Some(g) => g,
                None => {
                    self.groups.push(Group {
                        file: file.to_vec(),
                        key: self.key.clone(),
                        sources: Sources::default(),
                        start: None,
                        end: None,
                    });
                    self.groups.len() - 1
                }
            };
            self.members.push((pid, g));
        }
    }

    /// Takes the reading that opens the window.
    pub fn start(&mut self) {
        for group in &mut self.groups {
            group.start = Some(read(&self.mounts, &mut self.bufs, group));
        }
    }

    /// Takes the reading that closes the window (or the only one, without a window).
    pub fn finish(&mut self) {
        for group in &mut self.groups {
            group.end = Some(read(&self.mounts, &mut self.bufs, group));
        }
    }

    /// Makes the last reading the start of the next window, as passes go on.
    pub fn roll(&mut self) {
        for group in &mut self.groups {
            if let Some(end) = group.end.take() {
                group.start = Some(end);
            }
        }
    }

    pub fn group_of(&self, pid: u32) -> Option<usize> {
        self.members.iter().find(|m| m.0 == pid).map(|m| m.1)
    }

    /// The cgroup process `pid` competes for CPU in: its cpu controller's path on v1 and
    /// hybrid hosts, else its v2 path.
    pub fn cpu_path(&self, pid: u32) -> Option<&[u8]> {
        let m = self.groups.get(self.group_of(pid)?)?.membership();
        m.cpu.or(m.v2)
    }

    /// The groups to show with `rows`: those with the most rows first, then those with the
    /// most processes, at most `max` of them; and how many were left out.
    pub fn busiest(&self, rows: &[Row], max: usize) -> (Vec<usize>, usize) {
        let count = self.groups.len();
        // (rows shown, processes) of each group.
        let mut weight = vec![(0usize, 0usize); count];
        for &(_, g) in &self.members {
            if let Some(w) = weight.get_mut(g) {
                w.1 += 1;
            }
        }
        for r in rows {
            if let Some(w) = self.group_of(r.pid).and_then(|g| weight.get_mut(g)) {
                w.0 += 1;
            }
        }
        // Few groups: pick the busiest of those left, one at a time.
        let mut order = Vec::new();
        while order.len() < max.min(count) {
            let best = weight
                .iter()
                .enumerate()
                .filter(|(g, _)| !order.contains(g))
                .max_by_key(|&(g, w)| (*w, count - g))
                .map(|(g, _)| g);
            order.extend(best);
        }
        let more = count - order.len();
        (order, more)
    }
}

/// Reads the files of `group` now, and notes in it where they came from.
fn read(mounts: &Mounts, bufs: &mut [Vec<u8>; 2], group: &mut Group) -> Reading {
    let m = group.membership();
    let open =
        |h, path: Option<&[u8]>| path.map_or(Err(Missing::NotMounted), |p| mounts.open(h, p));
    let v2 = open(Hierarchy::V2, m.v2);
    let cpu = open(Hierarchy::Cpu, m.cpu);
    let cpuacct = open(Hierarchy::Cpuacct, m.cpuacct);
    let memory = open(Hierarchy::Memory, m.memory);
    let dirs = [&v2, &cpu, &cpuacct, &memory];
    let missing = match dirs.iter().any(|d| d.is_ok()) {
        true => None,
        false => dirs.iter().filter_map(|d| d.as_ref().err().copied()).max(),
    };
    let mut sources = Sources {
        v2: v2.is_ok(),
        missing,
        ..Sources::default()
    };
    let [a, b] = bufs;
    let mut r = Reading {
        at: crate::clock::monotonic_ns(),
        ..Reading::default()
    };

    // The limit and throttling: v2 where its cpu controller is on (cpu.max), else v1.
    let v2_quota = v2
        .as_ref()
        .ok()
        .and_then(|d| file(d, c"cpu.max", a).and_then(parse::cpu_max));
    if let (Ok(d), Some(q)) = (&v2, v2_quota) {
        r.quota = Some(q);
        sources.cpu = Some(Hierarchy::V2);
        if let Some(stat) = file(d, c"cpu.stat", a) {
            r.periods = parse::keyed(stat, b"nr_periods");
            r.throttled = parse::keyed(stat, b"nr_throttled");
            r.throttled_us = parse::keyed(stat, b"throttled_usec");
        }
    } else if let Ok(d) = &cpu {
        sources.cpu = Some(Hierarchy::Cpu);
        if let (Some(quota), Some(period)) = (
            file(d, c"cpu.cfs_quota_us", a),
            file(d, c"cpu.cfs_period_us", b),
        ) {
            r.quota = parse::cfs_quota(quota, period);
        }
        if let Some(stat) = file(d, c"cpu.stat", a) {
            r.periods = parse::keyed(stat, b"nr_periods");
            r.throttled = parse::keyed(stat, b"nr_throttled");
            r.throttled_us = parse::keyed(stat, b"throttled_time").map(|ns| ns / 1000);
        }
    }
    // Usage: v1 cpuacct where mounted, else v2's cpu.stat (there with or without the
    // cpu controller).
    if let Ok(d) = &cpuacct {
        r.usage_us = file(d, c"cpuacct.usage", a)
            .and_then(parse::number)
            .map(|ns| ns / 1000);
        sources.cpu.get_or_insert(Hierarchy::Cpuacct);
    } else if let Ok(d) = &v2 {
        r.usage_us = file(d, c"cpu.stat", a).and_then(|s| parse::keyed(s, b"usage_usec"));
        if r.usage_us.is_some() {
            sources.cpu.get_or_insert(Hierarchy::V2);
        }
    }

    // Memory: v2 where its memory controller is on (memory.current), else v1.
    let v2_memory = v2
        .as_ref()
        .ok()
        .and_then(|d| file(d, c"memory.current", a).and_then(parse::number));
    if let (Ok(d), Some(current)) = (&v2, v2_memory) {
        sources.memory = Some(Hierarchy::V2);
        r.memory = Some(current);
        r.memory_limit = file(d, c"memory.max", a).and_then(parse::memory_max);
        r.oom_kills = file(d, c"memory.events", a).and_then(|e| parse::keyed(e, b"oom_kill"));
    } else if let Ok(d) = &memory {
        sources.memory = Some(Hierarchy::Memory);
        r.memory = file(d, c"memory.usage_in_bytes", a).and_then(parse::number);
        r.memory_limit =
            file(d, c"memory.limit_in_bytes", a).and_then(parse::memory_limit_in_bytes);
        r.oom_kills = file(d, c"memory.oom_control", a).and_then(|e| parse::keyed(e, b"oom_kill"));
    }

    if let Ok(d) = &v2 {
        for (slot, name) in
            r.pressure
                .iter_mut()
                .zip([c"cpu.pressure", c"memory.pressure", c"io.pressure"])
        {
            *slot = file(d, name, a).and_then(parse::pressure);
        }
    }
    group.sources = sources;
    r
}

/// Reads the file `name` of the cgroup directory `dir` into `buf`.
fn file<'b>(dir: &OwnedFd, name: &CStr, buf: &'b mut Vec<u8>) -> Option<&'b [u8]> {
    let fd = procfs::open_file(dir, name).ok()?;
    procfs::pread_whole(rustix::fd::AsFd::as_fd(&fd), buf).ok()?;
    Some(buf)
}
