//! A cgroup's two readings as people read them (a block of a few lines) and as JSON fields.
//! Integer arithmetic only: cores and seconds with two decimals, bytes in MiB or GiB.

use super::locate::{Hierarchy, Missing};
use super::{CgroupWindow, Group, Reading};
use crate::output::json::JsonLine;
use crate::output::number::{push_bytes, push_fixed, push_int};
use crate::output::{Kind, escape, fit};
use crate::parse::cgroup::{self as parse, Limit, Quota};

const RESOURCES: [&str; 3] = ["cpu", "memory", "io"];

/// What changed between the two readings of a window.
struct Window<'r> {
    ns: u64,
    start: &'r Reading,
}

impl Window<'_> {
    fn delta(&self, end: &Reading, f: impl Fn(&Reading) -> Option<u64>) -> Option<u64> {
        Some(f(end)?.saturating_sub(f(self.start)?))
    }
}

impl Group {
    fn window(&self) -> Option<(Option<Window<'_>>, &Reading)> {
        let end = self.end.as_ref()?;
        let window = self
            .start
            .as_ref()
            .filter(|s| end.at > s.at)
            .map(|start| Window {
                ns: end.at - start.at,
                start,
            });
        Some((window, end))
    }

    /// The cgroup path a part of the reading came from.
    fn path_of(&self, h: Option<Hierarchy>) -> Option<&[u8]> {
        let m = self.membership();
        match h? {
            Hierarchy::V2 => m.v2,
            Hierarchy::Cpu => m.cpu,
            Hierarchy::Cpuacct => m.cpuacct,
            Hierarchy::Memory => m.memory,
        }
    }

    fn layout(&self) -> &'static str {
        match (self.membership().has_v1(), self.sources.v2) {
            (true, true) => "hybrid",
            (true, false) => "v1",
            (false, _) => "v2",
        }
    }
}

/// How much a cgroup was throttled over its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttling<'a> {
    /// The cgroup's path (its cpu controller's).
    pub path: &'a [u8],
    /// A process in it.
    pub pid: u32,
    /// CFS periods that elapsed, and those in which it ran out of quota.
    pub periods: u64,
    pub throttled: u64,
    pub throttled_us: Option<u64>,
}

impl CgroupWindow {
    /// The throttling of each group over its window: those with a window in which CFS
    /// periods elapsed (a CPU limit is set).
    pub fn throttling(&self) -> Vec<Throttling<'_>> {
        (0..self.groups.len())
            .filter_map(|g| {
                let (group, window, end) = self.group(g)?;
                let w = window?;
                let periods = w.delta(end, |r| r.periods).filter(|&p| p > 0)?;
                let pid = self.members.iter().find(|m| m.1 == g)?.0;
                let m = group.membership();
                Some(Throttling {
                    path: group.path_of(group.sources.cpu).or(m.path())?,
                    pid,
                    periods,
                    throttled: w.delta(end, |r| r.throttled)?,
                    throttled_us: w.delta(end, |r| r.throttled_us),
                })
            })
            .collect()
    }

    /// Group `g` with its window (when it has a start reading) and its last reading.
    fn group(&self, g: usize) -> Option<(&Group, Option<Window<'_>>, &Reading)> {
        let group = self.groups.get(g)?;
        let (window, end) = group.window()?;
        Some((group, window, end))
    }

    /// The share of the CFS periods of the window in which the cgroup of process `pid` had
    /// used up its CPU quota, in percent: 0 when no period ran (no limit, or idle); none
    /// without a window, or where `cpu.stat` could not be read.
    pub fn throttled_percent(&self, pid: u32) -> Option<f64> {
        let (_, window, end) = self.group(self.group_of(pid)?)?;
        let w = window?;
        let periods = w.delta(end, |r| r.periods)?;
        let throttled = w.delta(end, |r| r.throttled)?;
        Some(match periods {
            0 => 0.0,
            p => throttled as f64 * 100.0 / p as f64,
        })
    }

    /// The block of cgroup `g` as text, its paths shortened in their middle to fit `width`
    /// columns, when given: the figures are never cut (a terminal wraps their lines).
    pub fn write_text_fit(&self, g: usize, out: &mut Vec<u8>, width: Option<usize>) {
        let Some((group, window, end)) = self.group(g) else {
            return;
        };
        let m = group.membership();
        let path = m.path().unwrap_or_default();
        let mut after = Vec::new();
        after.extend_from_slice(b" (");
        after.extend_from_slice(group.layout().as_bytes());
        after.push(b')');
        if let Some(id) = parse::container_id(path) {
            after.extend_from_slice(b", container ");
            after.extend_from_slice(id.get(..12).unwrap_or(id));
        }
        if let Some(uid) = parse::pod_uid(path) {
            after.extend_from_slice(b", pod ");
            parse::uid_text(&mut after, uid);
        }
        out.extend_from_slice(b"cgroup ");
        let room = width.map(|w| w.saturating_sub(7 + escape::width(&after)).max(24));
        push_path(out, path, room);
        out.extend_from_slice(&after);
        out.push(b'\n');
        if let Some(missing) = group.sources.missing {
            out.extend_from_slice(b"  not visible here: ");
            self.explain(missing, out);
            out.push(b'\n');
            return;
        }
        // A path of a line's label gets at most half the width.
        let room = width.map(|w| w / 2);
        let w = window.as_ref();
        let cpu_path = group.path_of(group.sources.cpu);
        let used = w.and_then(|w| w.delta(end, |r| r.usage_us));
        if let (Some(b"/"), Some(w), Some(used)) = (cpu_path, w, used) {
            return self.write_machine(w, used, end, group, room, out);
        }

        let start = out.len();
        label(out, b"cpu", cpu_path, path, room);
        let mark = out.len();
        match end.quota {
            Some(Quota::Unlimited) => out.extend_from_slice(b"no limit"),
            Some(Quota::Cores {
                quota_us,
                period_us,
            }) => {
                out.extend_from_slice(b"limit ");
                push_fixed(out, quota_us, period_us, 2);
                out.extend_from_slice(b" cores");
            }
            None => {}
        }
        if let Some(w) = w {
            let used = w.delta(end, |r| r.usage_us);
            let periods = w.delta(end, |r| r.periods).filter(|&p| p > 0);
            let throttled = w.delta(end, |r| r.throttled);
            if used.is_some() || periods.is_some() {
                if out.len() > mark {
                    out.extend_from_slice(b"; ");
                }
                out.extend_from_slice(b"in ");
                push_fixed(out, w.ns, 1_000_000_000, 2);
                out.extend_from_slice(b" s: ");
            }
            if let Some(used) = used {
                out.extend_from_slice(b"used ");
                push_fixed(out, used, w.ns / 1000, 2);
                out.extend_from_slice(b" cores");
            }
            if let (Some(periods), Some(throttled)) = (periods, throttled) {
                if used.is_some() {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(b"throttled ");
                push_int(out, throttled);
                out.extend_from_slice(b" of ");
                push_int(out, periods);
                out.extend_from_slice(b" periods (");
                push_fixed(out, throttled.saturating_mul(100), periods, 1);
                out.extend_from_slice(b"%)");
                if let Some(us) = w.delta(end, |r| r.throttled_us) {
                    out.extend_from_slice(b" for ");
                    push_fixed(out, us, 1_000_000, 2);
                    out.extend_from_slice(b" s");
                }
            }
        }
        end_line(out, start, mark);
        self.write_rest(w, end, group, room, out);
    }

    /// The block's cpu line for the root cgroup, whose usage over the window `w` (`used`
    /// µs) is the whole machine's: said so, with the machine's CPUs, rather than as a
    /// cgroup's usage. A block named by another hierarchy's path (v1's memory, on a host
    /// that moves processes in that one alone) says where its cpu line comes from.
    fn write_machine(
        &self,
        w: &Window<'_>,
        used: u64,
        end: &Reading,
        group: &Group,
        room: Option<usize>,
        out: &mut Vec<u8>,
    ) {
        let path = group.membership().path().filter(|p| *p != b"/");
        match path {
            None => out.extend_from_slice(b"  machine: used "),
            Some(path) => {
                label(out, b"cpu", Some(b"/"), path, room);
                out.extend_from_slice(b"used ");
            }
        }
        push_fixed(out, used, w.ns / 1000, 2);
        match self.cores {
            Some(n) => {
                out.extend_from_slice(b" of ");
                push_int(out, n);
                out.extend_from_slice(if n == 1 { b" core" } else { b" cores" });
            }
            None => out.extend_from_slice(b" cores"),
        }
        out.extend_from_slice(b" in ");
        push_fixed(out, w.ns, 1_000_000_000, 2);
        out.extend_from_slice(match path {
            None => b" s (root cgroup: no limit of its own)\n",
            Some(_) => b" s (root cgroup: the whole machine)\n",
        });
        self.write_rest(Some(w), end, group, room, out);
    }

    /// The memory and pressure lines of a block.
    fn write_rest(
        &self,
        w: Option<&Window<'_>>,
        end: &Reading,
        group: &Group,
        room: Option<usize>,
        out: &mut Vec<u8>,
    ) {
        let m = group.membership();
        let path = m.path().unwrap_or_default();
        let start = out.len();
        label(
            out,
            b"memory",
            group.path_of(group.sources.memory),
            path,
            room,
        );
        let mark = out.len();
        if let Some(bytes) = end.memory {
            push_bytes(out, bytes);
        }
        match (end.memory, end.memory_limit) {
            (Some(bytes), Some(Limit::Bytes(limit))) => {
                out.extend_from_slice(b" of ");
                push_bytes(out, limit);
                out.extend_from_slice(b" (");
                push_fixed(out, bytes.saturating_mul(100), limit, 1);
                out.extend_from_slice(b"%)");
            }
            (None, Some(Limit::Bytes(limit))) => {
                out.extend_from_slice(b"limit ");
                push_bytes(out, limit);
            }
            (current, Some(Limit::Unlimited)) => {
                if current.is_some() {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(b"no limit");
            }
            (_, None) => {}
        }
        if let Some(kills) = end.oom_kills {
            if out.len() > mark {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(b"OOM kills ");
            push_int(out, kills);
        }
        end_line(out, start, mark);

        let start = out.len();
        let v2 = group.sources.v2.then_some(Hierarchy::V2);
        label(out, b"pressure", group.path_of(v2), path, room);
        let mark = out.len();
        for (name, p) in RESOURCES.iter().zip(&end.pressure) {
            if let Some(p) = p {
                if out.len() > mark {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
                push_fixed(out, p.avg10, 100, 2);
                out.push(b'%');
            }
        }
        if out.len() > mark {
            out.extend_from_slice(b" (avg10)");
        }
        if let Some(w) = w {
            let stalls = RESOURCES
                .iter()
                .zip(stalled(w, end))
                .filter_map(|(n, us)| Some((n, us?)));
            for (n, (name, us)) in stalls.enumerate() {
                out.extend_from_slice(if n == 0 { b"; stalled in " } else { b", " });
                if n == 0 {
                    push_fixed(out, w.ns, 1_000_000_000, 2);
                    out.extend_from_slice(b" s: ");
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
                push_fixed(out, us, 1_000_000, 2);
                out.extend_from_slice(b" s");
            }
        }
        end_line(out, start, mark);
    }

    /// Writes the fields of group `g` into a JSON object: values that could not be read are
    /// null, as are limits that are not set (`max`), window values are null without a window:
    /// a number or null, never a string in place of a number.
    pub fn write_json(&self, g: usize, line: &mut JsonLine<'_>) {
        let Some((group, window, end)) = self.group(g) else {
            return;
        };
        let m = group.membership();
        let path = m.path().unwrap_or_default();
        let mut num = Vec::new();
        line.text("path", path)
            .text("layout", group.layout().as_bytes());
        line.text_or_null("container", parse::container_id(path));
        match parse::pod_uid(path) {
            Some(uid) => {
                num.clear();
                parse::uid_text(&mut num, uid);
                line.text("pod", &num)
            }
            None => line.null("pod"),
        };
        let v2 = group.sources.v2.then_some(Hierarchy::V2);
        for (key, h) in [
            ("cpu_path", group.sources.cpu),
            ("memory_path", group.sources.memory),
            ("pressure_path", v2),
        ] {
            line.text_or_null(key, group.path_of(h));
        }
        match group.sources.missing {
            Some(missing) => {
                num.clear();
                self.explain(missing, &mut num);
                line.text("not_visible", &num)
            }
            None => line.null("not_visible"),
        };
        let w = window.as_ref();
        let mut fixed = |line: &mut JsonLine<'_>, key, value: Option<(u64, u64)>, decimals| {
            num.clear();
            match value {
                Some((n, d)) => {
                    push_fixed(&mut num, n, d, decimals);
                    line.cell(key, Kind::Number, &num)
                }
                None => line.null(key),
            };
        };
        fixed(line, "window_s", w.map(|w| (w.ns, 1_000_000_000)), 2);
        match end.quota {
            Some(Quota::Unlimited) => {
                line.null("cpu_limit_cores");
            }
            q => {
                let cores = q.map(|q| match q {
                    Quota::Cores {
                        quota_us,
                        period_us,
                    } => (quota_us, period_us),
                    Quota::Unlimited => (0, 1),
                });
                fixed(line, "cpu_limit_cores", cores, 2);
            }
        }
        let delta = |f: fn(&Reading) -> Option<u64>| w.and_then(|w| w.delta(end, f));
        let us = w.map_or(1, |w| w.ns / 1000);
        fixed(
            line,
            "cpu_used_cores",
            delta(|r| r.usage_us).map(|u| (u, us)),
            2,
        );
        line.number_or_null("periods", delta(|r| r.periods));
        line.number_or_null("throttled_periods", delta(|r| r.throttled));
        fixed(
            line,
            "throttled_s",
            delta(|r| r.throttled_us).map(|t| (t, 1_000_000)),
            2,
        );
        line.number_or_null("memory_bytes", end.memory);
        match end.memory_limit {
            Some(Limit::Unlimited) => line.null("memory_limit_bytes"),
            Some(Limit::Bytes(n)) => line.number("memory_limit_bytes", n),
            None => line.null("memory_limit_bytes"),
        };
        line.number_or_null("oom_kills", end.oom_kills);
        let avg10 = ["cpu_some_avg10", "memory_some_avg10", "io_some_avg10"];
        for (key, p) in avg10.into_iter().zip(end.pressure) {
            fixed(line, key, p.map(|p| (p.avg10, 100)), 2);
        }
        let stalls = w.map_or([None; 3], |w| stalled(w, end));
        let keys = [
            "cpu_some_stalled_s",
            "memory_some_stalled_s",
            "io_some_stalled_s",
        ];
        for (key, us) in keys.into_iter().zip(stalls) {
            fixed(line, key, us.map(|us| (us, 1_000_000)), 2);
        }
    }

    fn explain(&self, missing: Missing, out: &mut Vec<u8>) {
        let base = &self.mounts.base[..];
        let (before, after): (&[u8], &[u8]) = match missing {
            Missing::NotMounted => (b"no cgroup hierarchy is mounted at ", b""),
            Missing::Outside => (
                b"outside what is mounted at ",
                b" (another container's cgroup, or beyond tsnap's cgroup namespace)",
            ),
            Missing::NotFound => (
                b"no such directory under ",
                b" (is --sys that host's /sys?)",
            ),
        };
        out.extend_from_slice(before);
        escape::text(out, base);
        out.extend_from_slice(after);
    }
}

/// The stall time of cpu, memory and io pressure in the window, in microseconds.
fn stalled(w: &Window<'_>, end: &Reading) -> [Option<u64>; 3] {
    let mut stalls = [None; 3];
    for (slot, (a, b)) in stalls
        .iter_mut()
        .zip(w.start.pressure.iter().zip(&end.pressure))
    {
        *slot = a
            .zip(*b)
            .map(|(a, b)| b.total_us.saturating_sub(a.total_us));
    }
    stalls
}

/// Starts a line `  NAME: `, or `  NAME at PATH: ` when its files are not those of the
/// group's own path (v1 controllers in different places, hybrid pressure), the path
/// shortened to `room` columns when given.
fn label(out: &mut Vec<u8>, name: &[u8], from: Option<&[u8]>, path: &[u8], room: Option<usize>) {
    out.extend_from_slice(b"  ");
    out.extend_from_slice(name);
    if let Some(from) = from.filter(|f| *f != path) {
        out.extend_from_slice(b" at ");
        push_path(out, from, room);
    }
    out.extend_from_slice(b": ");
}

/// Appends a cgroup path escaped, shortened in its middle to `room` columns when given: its
/// top and its leaf (the container) are what tell it apart.
fn push_path(out: &mut Vec<u8>, path: &[u8], room: Option<usize>) {
    let mut text = Vec::with_capacity(path.len());
    escape::text(&mut text, path);
    match room {
        Some(room) => fit::push_cut_middle(out, &text, room),
        None => out.extend_from_slice(&text),
    }
}

/// Ends the line begun at `start`, or takes it back when nothing followed its label at
/// `mark`.
fn end_line(out: &mut Vec<u8>, start: usize, mark: usize) {
    if out.len() == mark {
        out.truncate(start);
    } else {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Mounts, Sources};
    use super::*;
    use crate::parse::cgroup::Pressure;

    const PATH: &str = "/kubepods/burstable/pod6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60/3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

    fn pressure(avg10: u64, total_us: u64) -> Option<Pressure> {
        Some(Pressure { avg10, total_us })
    }

    /// A window of half a second over a throttled v2 cgroup.
    fn window(start: bool) -> CgroupWindow {
        let first = Reading {
            at: 1_000_000_000,
            quota: Some(Quota::Cores {
                quota_us: 150_000,
                period_us: 100_000,
            }),
            periods: Some(1000),
            throttled: Some(100),
            throttled_us: Some(5_000_000),
            usage_us: Some(100_000_000),
            memory: Some(999_000_000),
            memory_limit: Some(Limit::Bytes(1 << 31)),
            oom_kills: Some(3),
            pressure: [
                pressure(2345, 400_000_000),
                pressure(0, 10),
                pressure(150, 1000),
            ],
        };
        let last = Reading {
            at: 1_500_000_000,
            periods: Some(1005),
            throttled: Some(103),
            throttled_us: Some(5_120_000),
            usage_us: Some(100_700_000),
            memory: Some(1_000_000_000),
            pressure: [
                pressure(2345, 400_250_000),
                pressure(0, 10),
                pressure(150, 6000),
            ],
            ..first
        };
        CgroupWindow {
            mounts: Mounts::find(b"/nonexistent", None),
            groups: vec![Group {
                file: format!("0::{PATH}\n").into_bytes(),
                key: Vec::new(),
                sources: Sources {
                    cpu: Some(Hierarchy::V2),
                    memory: Some(Hierarchy::V2),
                    v2: true,
                    missing: None,
                },
                start: start.then_some(first),
                end: Some(last),
            }],
            members: Vec::new(),
            key: Vec::new(),
            bufs: Default::default(),
            cores: Some(2),
        }
    }

    #[test]
    fn throttling_over_the_window() {
        let mut w = window(true);
        assert_eq!(w.throttling(), [], "no process in it");
        w.members.push((42, 0));
        assert_eq!(
            w.throttling(),
            [Throttling {
                path: PATH.as_bytes(),
                pid: 42,
                periods: 5,
                throttled: 3,
                throttled_us: Some(120_000),
            }]
        );
        let mut no_window = window(false);
        no_window.members.push((42, 0));
        assert_eq!(no_window.throttling(), []);
    }

    #[test]
    fn throttled_share_of_the_periods() {
        let mut w = window(true);
        w.members.push((42, 0));
        assert_eq!(w.throttled_percent(42), Some(60.0), "3 of 5 periods");
        assert_eq!(w.throttled_percent(43), None, "not a member");
        assert_eq!(window(false).throttled_percent(42), None, "no window");
    }

    #[test]
    fn block_over_a_window() {
        let mut out = Vec::new();
        window(true).write_text_fit(0, &mut out, None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "cgroup {PATH} (v2), container 3f4e5d6c7b8a, pod 6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60\n\
                 \x20 cpu: limit 1.50 cores; in 0.50 s: used 1.40 cores, throttled 3 of 5 periods (60.0%) for 0.12 s\n\
                 \x20 memory: 953.7 MiB of 2.00 GiB (46.6%), OOM kills 3\n\
                 \x20 pressure: cpu 23.45%, memory 0.00%, io 1.50% (avg10); stalled in 0.50 s: cpu 0.25 s, memory 0.00 s, io 0.01 s\n"
            )
        );
        let mut out = Vec::new();
        window(false).write_text_fit(0, &mut out, None);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\n  cpu: limit 1.50 cores\n"), "{text}");
        assert!(
            text.ends_with("\n  pressure: cpu 23.45%, memory 0.00%, io 1.50% (avg10)\n"),
            "{text}"
        );
    }

    #[test]
    fn a_path_is_shortened_in_its_middle_and_figures_stay() {
        let mut whole = Vec::new();
        window(true).write_text_fit(0, &mut whole, None);
        let mut fitted = Vec::new();
        window(true).write_text_fit(0, &mut fitted, Some(120));
        let (whole, fitted) = (
            String::from_utf8(whole).unwrap(),
            String::from_utf8(fitted).unwrap(),
        );
        let header = fitted.lines().next().unwrap();
        assert_eq!(header.chars().count(), 120, "{header}");
        assert!(header.starts_with("cgroup /kubepods/…"), "{header}");
        assert!(
            header.ends_with(
                "8899 (v2), container 3f4e5d6c7b8a, pod 6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60"
            ),
            "{header}"
        );
        let figures = |t: &str| t.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(figures(&fitted), figures(&whole));
    }

    #[test]
    fn the_root_cgroup_is_the_machine() {
        let mut w = window(true);
        w.groups[0].file = b"0::/\n".to_vec();
        let mut out = Vec::new();
        w.write_text_fit(0, &mut out, None);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "\n  machine: used 1.40 of 2 cores in 0.50 s (root cgroup: no limit of its own)\n"
            ),
            "{text}"
        );
        assert!(!text.contains("  cpu:"), "{text}");
        w.cores = None;
        let mut out = Vec::new();
        w.write_text_fit(0, &mut out, None);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("  machine: used 1.40 cores in 0.50 s")
        );
    }

    #[test]
    fn a_group_at_the_root_of_the_cpu_hierarchy_alone_says_so() {
        let mut w = window(true);
        w.groups[0].file = format!("4:memory:{PATH}\n1:cpu,cpuacct:/\n0::/\n").into_bytes();
        w.groups[0].sources = Sources {
            cpu: Some(Hierarchy::Cpu),
            memory: Some(Hierarchy::Memory),
            v2: true,
            missing: None,
        };
        let mut out = Vec::new();
        w.write_text_fit(0, &mut out, None);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(&format!("cgroup {PATH} (hybrid)")),
            "{text}"
        );
        assert!(
            text.contains(
                "\n  cpu at /: used 1.40 of 2 cores in 0.50 s (root cgroup: the whole machine)\n"
            ),
            "{text}"
        );
        assert!(!text.contains("  machine:"), "{text}");
    }

    #[test]
    fn json_over_a_window() {
        let json = |start| {
            let mut out = Vec::new();
            let mut line = JsonLine::new(&mut out);
            window(start).write_json(0, &mut line);
            line.end();
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        let j = json(true);
        assert_eq!(j["path"], PATH);
        assert_eq!(j["layout"], "v2");
        assert_eq!(j["container"].as_str().map(str::len), Some(64));
        assert_eq!(j["pod"], "6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60");
        assert_eq!(j["cpu_path"], PATH);
        assert_eq!(j["window_s"], 0.5);
        assert_eq!(j["cpu_limit_cores"], 1.5);
        assert_eq!(j["cpu_used_cores"], 1.4);
        assert_eq!(
            (j["periods"].as_u64(), j["throttled_periods"].as_u64()),
            (Some(5), Some(3))
        );
        assert_eq!(j["throttled_s"], 0.12);
        assert_eq!(j["memory_bytes"], 1_000_000_000);
        assert_eq!(j["memory_limit_bytes"], 1u64 << 31);
        assert_eq!(j["oom_kills"], 3);
        assert_eq!(j["cpu_some_avg10"], 23.45);
        assert_eq!(j["cpu_some_stalled_s"], 0.25);
        assert_eq!(j["io_some_stalled_s"], 0.01);
        assert!(j["not_visible"].is_null());
        let j = json(false);
        for key in [
            "window_s",
            "cpu_used_cores",
            "periods",
            "throttled_s",
            "cpu_some_stalled_s",
        ] {
            assert!(j[key].is_null(), "{key}: {j}");
        }
        assert_eq!(j["cpu_limit_cores"], 1.5);
    }
}
