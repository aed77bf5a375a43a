//! The cgroup files: `/proc/PID/cgroup` (where a process is in each hierarchy), the controller
//! files tsnap reads from cgroup v1 and v2 directories, the PSI `*.pressure` files, and the
//! container and pod ids that container runtimes write into cgroup paths.

use super::{dec_u64, trim_end, words};

/// Where a process is in the hierarchies tsnap reads, from `/proc/PID/cgroup` lines
/// `ID:CONTROLLERS:PATH`. Paths are relative to the reader's cgroup namespace root.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Membership<'a> {
    /// The cgroup v2 path (the `0::PATH` line).
    pub v2: Option<&'a [u8]>,
    /// The v1 `cpu` controller's path.
    pub cpu: Option<&'a [u8]>,
    /// The v1 `cpuacct` controller's path (often mounted with `cpu`).
    pub cpuacct: Option<&'a [u8]>,
    /// The v1 `memory` controller's path.
    pub memory: Option<&'a [u8]>,
}

/// Parses `/proc/PID/cgroup`: the v2 path and those of the v1 controllers tsnap reads.
pub fn membership(buf: &[u8]) -> Membership<'_> {
    let mut m = Membership::default();
    for line in buf.split(|&b| b == b'\n') {
        // The path may itself hold ':', so split twice only.
        let mut parts = line.splitn(3, |&b| b == b':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !path.starts_with(b"/") {
            continue;
        }
        if id == b"0" && controllers.is_empty() {
            m.v2.get_or_insert(path);
            continue;
        }
        for c in controllers.split(|&b| b == b',') {
            let slot = match c {
                b"cpu" => &mut m.cpu,
                b"cpuacct" => &mut m.cpuacct,
                b"memory" => &mut m.memory,
                _ => continue,
            };
            slot.get_or_insert(path);
        }
    }
    m
}

impl<'a> Membership<'a> {
    /// Whether any of the v1 controllers tsnap reads is listed.
    pub fn has_v1(&self) -> bool {
        self.cpu.is_some() || self.cpuacct.is_some() || self.memory.is_some()
    }

    /// The path that names the process's cgroup: on v1 the most specific (longest) of the
    /// cpu, cpuacct and memory paths, as the interesting one may be a single controller's;
    /// otherwise the v2 path.
    pub fn path(&self) -> Option<&'a [u8]> {
        [self.cpu, self.cpuacct, self.memory]
            .into_iter()
            .flatten()
            .max_by_key(|p| p.len())
            .or(self.v2)
    }
}

/// A CPU limit: `cpu.max` on v2, `cpu.cfs_quota_us` and `cpu.cfs_period_us` on v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// No limit (`max`, or a quota of -1).
    Unlimited,
    /// `quota_us` of CPU time in every `period_us`: quota / period cores.
    Cores {
        /// CPU time allowed in every period, in microseconds.
        quota_us: u64,
        /// The period, in microseconds.
        period_us: u64,
    },
}

/// `cpu.max`: `QUOTA PERIOD` in microseconds, QUOTA `max` for no limit.
pub fn cpu_max(buf: &[u8]) -> Option<Quota> {
    let mut w = words(buf);
    let quota = w.next()?;
    let period_us = dec_u64(w.next()?)?;
    if quota == b"max" {
        return Some(Quota::Unlimited);
    }
    cores(dec_u64(quota)?, period_us)
}

/// `cpu.cfs_quota_us` (`-1` for no limit) and `cpu.cfs_period_us`.
pub fn cfs_quota(quota: &[u8], period: &[u8]) -> Option<Quota> {
    let quota = trim_end(quota);
    if quota == b"-1" {
        return Some(Quota::Unlimited);
    }
    cores(dec_u64(quota)?, dec_u64(trim_end(period))?)
}

fn cores(quota_us: u64, period_us: u64) -> Option<Quota> {
    (period_us > 0).then_some(Quota::Cores {
        quota_us,
        period_us,
    })
}

/// A memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// No limit (`max`, or v1's page-rounded largest value).
    Unlimited,
    /// At most this many bytes.
    Bytes(u64),
}

/// `memory.max`: bytes, or `max`.
pub fn memory_max(buf: &[u8]) -> Option<Limit> {
    match trim_end(buf) {
        b"max" => Some(Limit::Unlimited),
        n => dec_u64(n).map(Limit::Bytes),
    }
}

/// v1 `memory.limit_in_bytes`. No limit reads as the largest page-aligned `i64`
/// (9223372036854771712 with 4 KiB pages), so anything from 2^62 up counts as none.
pub fn memory_limit_in_bytes(buf: &[u8]) -> Option<Limit> {
    let n = dec_u64(trim_end(buf))?;
    Some(if n >= 1 << 62 {
        Limit::Unlimited
    } else {
        Limit::Bytes(n)
    })
}

/// A single decimal number (`memory.current`, `cpuacct.usage`).
pub fn number(buf: &[u8]) -> Option<u64> {
    dec_u64(trim_end(buf))
}

/// The value of a `KEY VALUE` line (`cpu.stat`, `memory.events`, `memory.oom_control`).
pub fn keyed(buf: &[u8], key: &[u8]) -> Option<u64> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let mut w = words(line);
        (w.next()? == key).then_some(())?;
        dec_u64(w.next()?)
    })
}

/// The `some` line of a PSI file (`cpu.pressure`, `memory.pressure`, `io.pressure`):
/// the share of time at least one task was stalled on the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pressure {
    /// Average over the last 10 seconds, in hundredths of a percent.
    pub avg10: u64,
    /// Stall time since the cgroup was created, in microseconds.
    pub total_us: u64,
}

/// Parses `some avg10=1.23 avg60=0.50 avg300=0.10 total=123456`.
pub fn pressure(buf: &[u8]) -> Option<Pressure> {
    let line = buf
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"some "))?;
    let mut avg10 = None;
    let mut total_us = None;
    for w in words(line) {
        if let Some(v) = w.strip_prefix(b"avg10=") {
            avg10 = hundredths(v);
        } else if let Some(v) = w.strip_prefix(b"total=") {
            total_us = dec_u64(v);
        }
    }
    Some(Pressure {
        avg10: avg10?,
        total_us: total_us?,
    })
}

/// `12.34` as 1234; the kernel writes exactly two decimals.
fn hundredths(v: &[u8]) -> Option<u64> {
    let (whole, frac) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &b""[..]),
    };
    if frac.len() > 2 || (!frac.is_empty() && dec_u64(frac).is_none()) {
        return None;
    }
    let mut f = 0;
    for i in 0..2 {
        f = f * 10 + frac.get(i).map_or(0, |d| u64::from(d - b'0'));
    }
    dec_u64(whole)?.checked_mul(100)?.checked_add(f)
}

/// How many CPUs a CPU list names (`/sys/devices/system/cpu/online`: `0-3,6,8-9`).
pub fn cpu_count(list: &[u8]) -> Option<u32> {
    let mut count = 0u32;
    for range in trim_end(list).split(|&b| b == b',') {
        let (first, last) = match range.iter().position(|&b| b == b'-') {
            Some(i) => (dec_u64(&range[..i])?, dec_u64(&range[i + 1..])?),
            None => (dec_u64(range)?, dec_u64(range)?),
        };
        let n = last.checked_sub(first)?.checked_add(1)?;
        count = count.checked_add(u32::try_from(n).ok()?)?;
    }
    Some(count)
}

/// The 64-hex container id a runtime put in a cgroup path, from the OUTERMOST component
/// that holds one: `docker-ID.scope`, `cri-containerd-ID.scope`, `crio-ID.scope`,
/// `libpod-ID.scope` (systemd driver), or a bare `ID` (`/docker/ID`, `/kubepods/.../ID`).
/// A container that can write its cgroup (a delegated subtree) can create any name below
/// its own, never above it: what lies below the first id is the container's to choose.
/// `crio-conmon-ID.scope` is CRI-O's monitor, not the container, and is not taken.
pub fn container_id(path: &[u8]) -> Option<&[u8]> {
    path.split(|&b| b == b'/').find_map(container_in)
}

/// The container id one path component names.
fn container_in(part: &[u8]) -> Option<&[u8]> {
    let part = part.strip_suffix(b".scope").unwrap_or(part);
    let id = [&b"docker-"[..], b"cri-containerd-", b"crio-", b"libpod-"]
        .iter()
        .find_map(|prefix| part.strip_prefix(*prefix))
        .unwrap_or(part);
    (id.len() == 64 && id.iter().all(u8::is_ascii_hexdigit)).then_some(id)
}

/// The pod UID in a kubelet cgroup path: `pod<UID>` (cgroupfs driver) or
/// `kubepods-<QOS>-pod<UID>.slice` (systemd driver, with `_` for `-`). Returned as written.
/// The outermost one, and only above the container's component: the kubelet's pod cgroup
/// holds its containers, and a pod below a container is the container's own making.
pub fn pod_uid(path: &[u8]) -> Option<&[u8]> {
    if !path.windows(8).any(|w| w == b"kubepods") {
        return None;
    }
    for part in path.split(|&b| b == b'/') {
        if container_in(part).is_some() {
            return None;
        }
        if let Some(uid) = pod_in(part) {
            return Some(uid);
        }
    }
    None
}

/// The pod UID one path component names.
fn pod_in(part: &[u8]) -> Option<&[u8]> {
    let part = part.strip_suffix(b".slice").unwrap_or(part);
    let at = if part.starts_with(b"pod") {
        3
    } else {
        part.windows(4).rposition(|w| w == b"-pod")? + 4
    };
    let uid = part.get(at..)?;
    (uid.len() == 36
        && uid
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || b == b'-' || b == b'_'))
    .then_some(uid)
}

/// Every cgroup path of a `/proc/PID/cgroup` file, one per hierarchy, in its order.
pub fn paths(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    hierarchies(buf).map(|(_, path)| path)
}

/// Every `(CONTROLLERS, PATH)` of a `/proc/PID/cgroup` file, in its order; v2's controllers
/// are empty.
fn hierarchies(buf: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    buf.split(|&b| b == b'\n').filter_map(|line| {
        let mut parts = line.splitn(3, |&b| b == b':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        path.starts_with(b"/").then_some((controllers, path))
    })
}

/// How far a hierarchy's path can be trusted to say who a process runs for, lower first:
/// a container cannot write a v1 controller's hierarchy (runtimes mount it read-only), while
/// a named hierarchy such as `name=systemd` is mounted writable whole into systemd
/// containers (`podman --systemd=always`), and v2 may be delegated to the container (where it
/// can only create cgroups below its own, which [`container_id`] leaves aside). `None`: never.
fn trust(controllers: &[u8]) -> Option<u8> {
    if controllers.is_empty() {
        return Some(3);
    }
    controllers
        .split(|&b| b == b',')
        .filter_map(|c| match c {
            b"memory" => Some(0),
            b"cpu" => Some(1),
            b"cpuacct" => Some(2),
            _ => None,
        })
        .min()
}

/// Who a process runs for, from its `/proc/PID/cgroup`: the container id and the pod UID of
/// the hierarchy a container cannot write (v1's memory, cpu or cpuacct, else v2).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    /// The container id, as written in the path.
    pub container: Option<&'a [u8]>,
    /// As written in the path: the systemd driver has `_` for `-` (see [`uid_text`]).
    pub pod: Option<&'a [u8]>,
    /// Another hierarchy names another container or pod (or one where the trusted one names
    /// none): the process moved itself in a hierarchy it can write, to pass for another. Its
    /// ids are shown marked, and no selection by container or pod takes it.
    pub disputed: bool,
}

/// The container and pod of `/proc/PID/cgroup`, from the hierarchies a container cannot write.
pub fn identity(buf: &[u8]) -> Identity<'_> {
    let ids = |path| (container_id(path), pod_uid(path));
    let trusted = hierarchies(buf)
        .filter_map(|(controllers, path)| Some((trust(controllers)?, path)))
        .min_by_key(|&(rank, _)| rank)
        .map(|(_, path)| ids(path))
        .unwrap_or_default();
    let disputed = paths(buf)
        .map(ids)
        .any(|(c, p)| (c.is_some() && c != trusted.0) || (p.is_some() && p != trusted.1));
    Identity {
        container: trusted.0,
        pod: trusted.1,
        disputed,
    }
}

/// A pod UID as the API shows it, lowercase with `-`: the systemd driver writes `_`.
pub fn uid_text(out: &mut Vec<u8>, uid: &[u8]) {
    out.extend(uid.iter().map(|&b| match b {
        b'_' => b'-',
        b => b.to_ascii_lowercase(),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's /proc/self/cgroup: v1 controllers plus a cgroup2 mount (hybrid).
    const HYBRID: &[u8] = b"9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/b76c2d7d84b9e855e816f616173eb698\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

    #[test]
    fn memberships() {
        let m = membership(HYBRID);
        assert_eq!(m.v2, Some(&b"/"[..]));
        assert_eq!(m.cpu, Some(&b"/"[..]));
        assert_eq!(m.cpuacct, Some(&b"/"[..]));
        assert_eq!(
            m.memory,
            Some(&b"/process_api/b76c2d7d84b9e855e816f616173eb698"[..])
        );
        assert!(m.has_v1());
        assert_eq!(m.path(), m.memory);

        // systemd's co-mounted cpu,cpuacct; a path holding ':'.
        let m = membership(
            b"11:cpu,cpuacct:/docker/a:b\n4:memory:/docker/a:b\n0::/system.slice/docker.service\n",
        );
        assert_eq!(m.cpu, Some(&b"/docker/a:b"[..]));
        assert_eq!(m.cpuacct, m.cpu);
        assert_eq!(m.path(), Some(&b"/docker/a:b"[..]));

        let v2 = membership(b"0::/kubepods.slice/x.scope\n");
        assert!(!v2.has_v1());
        assert_eq!(v2.path(), Some(&b"/kubepods.slice/x.scope"[..]));
        // Outside the reader's cgroup namespace.
        assert_eq!(
            membership(b"0::/../sibling\n").v2,
            Some(&b"/../sibling"[..])
        );

        for junk in [&b""[..], b"\n\n", b"0:", b"0::relative", b"x:cpu", b"::::"] {
            assert_eq!(membership(junk).path(), None, "{junk:?}");
        }
    }

    #[test]
    fn cpu_limits() {
        assert_eq!(cpu_max(b"max 100000\n"), Some(Quota::Unlimited));
        assert_eq!(
            cpu_max(b"250000 100000\n"),
            Some(Quota::Cores {
                quota_us: 250_000,
                period_us: 100_000
            })
        );
        assert_eq!(cpu_max(b"100 0\n"), None);
        assert_eq!(cpu_max(b"max\n"), None);
        assert_eq!(cfs_quota(b"-1\n", b"100000\n"), Some(Quota::Unlimited));
        assert_eq!(
            cfs_quota(b"50000\n", b"100000\n"),
            Some(Quota::Cores {
                quota_us: 50_000,
                period_us: 100_000
            })
        );
        assert_eq!(cfs_quota(b"-2\n", b"100000\n"), None);
        assert_eq!(cfs_quota(b"5\n", b""), None);
    }

    #[test]
    fn memory_limits() {
        assert_eq!(memory_max(b"max\n"), Some(Limit::Unlimited));
        assert_eq!(memory_max(b"2147483648\n"), Some(Limit::Bytes(1 << 31)));
        assert_eq!(memory_max(b"lots\n"), None);
        assert_eq!(
            memory_limit_in_bytes(b"9223372036854771712\n"),
            Some(Limit::Unlimited)
        );
        assert_eq!(
            memory_limit_in_bytes(b"536870912\n"),
            Some(Limit::Bytes(512 << 20))
        );
        assert_eq!(number(b"4440064\n"), Some(4_440_064));
    }

    #[test]
    fn keyed_values() {
        let v2 = b"usage_usec 427432118\nuser_usec 372743103\nsystem_usec 54689015\nnr_periods 50\nnr_throttled 12\nthrottled_usec 310000\n";
        assert_eq!(keyed(v2, b"usage_usec"), Some(427_432_118));
        assert_eq!(keyed(v2, b"nr_throttled"), Some(12));
        assert_eq!(keyed(v2, b"nr_burst"), None);
        let oom = b"oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed(oom, b"oom_kill"), Some(3));
        assert_eq!(keyed(oom, b"oom"), None);
        assert_eq!(keyed(b"oom_kill\n", b"oom_kill"), None);
    }

    #[test]
    fn psi() {
        let cpu = b"some avg10=0.66 avg60=1.08 avg300=1.39 total=15269322\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(
            pressure(cpu),
            Some(Pressure {
                avg10: 66,
                total_us: 15_269_322
            })
        );
        assert_eq!(
            pressure(b"some avg10=100.00 avg60=0 avg300=0 total=1\n").map(|p| p.avg10),
            Some(10_000)
        );
        assert_eq!(
            pressure(b"some avg10=7.5 total=1\n").map(|p| p.avg10),
            Some(750)
        );
        for bad in [
            &b""[..],
            b"full avg10=1.00 total=5\n",
            b"some avg10=1.00\n",
            b"some avg10=1.x0 total=5\n",
            b"some avg10=1.000 total=5\n",
            b"some avg10=. total=5\n",
        ] {
            assert_eq!(pressure(bad), None, "{bad:?}");
        }
    }

    /// Every parser of a cgroup-related file, on every prefix of real samples and on
    /// pseudo-random bytes: none may panic (a debug build also checks arithmetic).
    #[test]
    fn any_input_is_survived() {
        let samples: [&[u8]; 6] = [
            HYBRID,
            b"some avg10=0.66 avg60=1.08 avg300=1.39 total=15269322\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
            b"usage_usec 427432118\nnr_periods 50\nnr_throttled 12\nthrottled_usec 310000\n",
            b"0::/kubepods.slice/kubepods-pod6b1c5f8e_3a2d_4c1e_9f0a_1b2c3d4e5f60.slice/cri-containerd-3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899.scope\n",
            b"35 31 0:32 /docker/a\\040b /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
            b"app:x:1000:1000::/:/bin/sh\nUid:\t1000\t1000\nNSpid:\t9\t1\nvoluntary_ctxt_switches:\t99\n",
        ];
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for sample in samples {
            inputs.extend((0..=sample.len()).map(|n| sample[..n].to_vec()));
        }
        let mut x: u32 = 0x2545_f491;
        for len in 0..200 {
            let noise = (0..len).map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let alphabet = b"0123456789 :/\n=.-_abcdefmx\\";
                alphabet[x as usize % alphabet.len()]
            });
            inputs.push(noise.collect());
        }
        let mut out = Vec::new();
        for input in &inputs {
            let m = membership(input);
            let _ = (m.path(), m.has_v1());
            let _ = (cpu_max(input), cfs_quota(input, input), memory_max(input));
            let _ = (memory_limit_in_bytes(input), number(input), pressure(input));
            let _ = (
                keyed(input, b"nr_periods"),
                container_id(input),
                pod_uid(input),
                identity(input),
            );
            for mount in super::super::mountinfo::mounts(input) {
                super::super::mountinfo::unescape(mount.point, &mut out);
            }
            super::super::mountinfo::unescape(input, &mut out);
            let _ = super::super::passwd::user_name(input, 1000);
            let _ = super::super::status::task(input);
        }
    }

    #[test]
    fn container_and_pod_ids() {
        let id = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
        let uid = "6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60";
        let cases = [
            (format!("/system.slice/docker-{id}.scope"), Some(id), None),
            (format!("/docker/{id}"), Some(id), None),
            (
                format!(
                    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{id}.scope",
                    uid.replace('-', "_")
                ),
                Some(id),
                Some(uid.replace('-', "_")),
            ),
            (
                format!("/kubepods/besteffort/pod{uid}/{id}"),
                Some(id),
                Some(uid.to_string()),
            ),
            (
                format!(
                    "/kubepods.slice/kubepods-pod{}.slice/crio-{id}.scope",
                    uid.replace('-', "_")
                ),
                Some(id),
                Some(uid.replace('-', "_")),
            ),
            (
                format!("/machine.slice/libpod-{id}.scope/container"),
                Some(id),
                None,
            ),
            (
                format!("/kubepods.slice/crio-conmon-{id}.scope"),
                None,
                None,
            ),
            (
                "/user.slice/user-1000.slice/session-2.scope".to_string(),
                None,
                None,
            ),
            (format!("/docker/{}", &id[..63]), None, None),
            ("/".to_string(), None, None),
        ];
        for (path, want_id, want_pod) in cases {
            let got = container_id(path.as_bytes()).map(|b| std::str::from_utf8(b).unwrap());
            assert_eq!(got, want_id, "{path}");
            let pod = pod_uid(path.as_bytes()).map(|b| std::str::from_utf8(b).unwrap());
            assert_eq!(pod, want_pod.as_deref(), "{path}");
        }
    }

    #[test]
    fn identity_from_any_hierarchy() {
        let id = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
        let podman = format!("4:memory:/libpod_parent/libpod-{id}\n1:cpu:/\n0::/\n");
        let found = identity(podman.as_bytes());
        assert_eq!(found.container, Some(id.as_bytes()));
        assert_eq!(found.pod, None);
        let kubelet = b"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6B1C5F8E_3a2d_4c1e_9f0a_1b2c3d4e5f60.slice/x.scope\n";
        let found = identity(kubelet);
        assert_eq!(found.container, None);
        let mut uid = Vec::new();
        uid_text(&mut uid, found.pod.unwrap());
        assert_eq!(uid, b"6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60");
        assert_eq!(
            identity(b"0::/\n9:name=systemd:/user.slice\n"),
            Identity::default()
        );
        let all: Vec<&[u8]> = paths(b"1:cpu:/a\nbad\n0::/b:c\n2:x:rel\n").collect();
        assert_eq!(all, [&b"/a"[..], b"/b:c"]);
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(cpu_count(b"0-1\n"), Some(2));
        assert_eq!(cpu_count(b"0-3,6,8-9"), Some(7));
        assert_eq!(cpu_count(b"0"), Some(1));
        for bad in [&b""[..], b"3-1", b"a", b"0-", b"0,,1"] {
            assert_eq!(cpu_count(bad), None, "{bad:?}");
        }
    }

    /// The forgeries of issue 20: a container that writes a hierarchy names another
    /// container and pod below its own cgroup, or moves itself into another container's
    /// `name=systemd` cgroup.
    #[test]
    fn forged_identities() {
        let own = "ef4d51311e5891f2c5e4e6c3062950da767d1c37bc336b62ddb19e7f29723b81";
        let victim = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
        let pod = "6b1c5f8e_3a2d_4c1e_9f0a_1b2c3d4e5f60";
        let text = |b: Option<&[u8]>| b.map(|b| std::str::from_utf8(b).unwrap().to_string());
        let below = format!("kubepods-besteffort-pod{pod}.slice/cri-containerd-{victim}.scope");

        // Below its own v2 cgroup: the outermost ids are the container's, and the pod it
        // made below it is none.
        let own_pod = "0a1b2c3d_0000_4c1e_9f0a_1b2c3d4e5f60";
        let v2 = format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{own_pod}.slice/cri-containerd-{own}.scope/{below}\n"
        );
        let id = identity(v2.as_bytes());
        assert_eq!(text(id.container).as_deref(), Some(own));
        assert_eq!(text(id.pod).as_deref(), Some(own_pod));
        assert!(!id.disputed);
        let path = format!("/libpod_parent/libpod-{own}/{below}");
        assert_eq!(text(container_id(path.as_bytes())).as_deref(), Some(own));
        assert_eq!(pod_uid(path.as_bytes()), None);
        // A pod above the container's own component still counts.
        let bare = format!("/kubepods/besteffort/pod{}/{own}/pod{}", &own_pod, &own_pod);
        assert_eq!(text(pod_uid(bare.as_bytes())).as_deref(), Some(own_pod));

        // The same below its own name=systemd cgroup (podman --systemd=always): the memory
        // hierarchy is trusted; name=systemd agrees on the container, and its pod is none.
        let v1 = |systemd: &str| {
            format!(
                "9:name=systemd:{systemd}\n4:memory:/libpod_parent/libpod-{own}\n2:cpuacct:/libpod_parent/libpod-{own}\n1:cpu:/libpod_parent/libpod-{own}\n0::/libpod_parent/libpod-{own}\n"
            )
        };
        let file = v1(&path);
        let id = identity(file.as_bytes());
        assert_eq!(text(id.container).as_deref(), Some(own));
        assert_eq!((id.pod, id.disputed), (None, false));

        // Moved into another container's name=systemd cgroup: its own id, disputed.
        let file = v1(&format!("/libpod_parent/libpod-{victim}"));
        let id = identity(file.as_bytes());
        assert_eq!(text(id.container).as_deref(), Some(own));
        assert!(id.disputed);
        // Into a kubelet pod's: disputed as well.
        let into_pod = format!("/kubepods/besteffort/pod{pod}/{victim}");
        assert!(identity(v1(&into_pod).as_bytes()).disputed);
        // A host process (in no container by its memory cgroup) naming one in name=systemd.
        let host = format!("9:name=systemd:/libpod_parent/libpod-{victim}\n4:memory:/\n1:cpu:/\n");
        let id = identity(host.as_bytes());
        assert_eq!((id.container, id.pod, id.disputed), (None, None, true));
        // Only a named hierarchy: nothing trusted, nothing attributed.
        let id = identity(b"1:name=systemd:/docker/3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899\n");
        assert_eq!((id.container, id.disputed), (None, true));
        // The cpu hierarchy where memory is not mounted; co-mounted cpu,cpuacct.
        let cpu = format!("3:cpu,cpuacct:/docker/{own}\n1:name=systemd:/docker/{own}\n");
        let id = identity(cpu.as_bytes());
        assert_eq!(
            (text(id.container).as_deref(), id.disputed),
            (Some(own), false)
        );
    }
}
