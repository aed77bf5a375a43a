#![no_main]
//! cgroup files (`/proc/PID/cgroup`, cpu.max, cfs quota, memory limits, keyed files such as
//! cpu.stat and memory.events, PSI) and `/etc/passwd`: never a panic, whatever the bytes.

use libfuzzer_sys::fuzz_target;
use tsnap_parse::{cgroup, passwd};

fuzz_target!(|data: &[u8]| {
    let membership = cgroup::membership(data);
    let _ = membership.path();
    let _ = cgroup::cpu_max(data);
    let (a, b) = data.split_at(data.len() / 2);
    let _ = cgroup::cfs_quota(a, b);
    let _ = cgroup::memory_max(data);
    let _ = cgroup::memory_limit_in_bytes(data);
    let _ = cgroup::number(data);
    for key in [
        &b"usage_usec"[..],
        b"nr_throttled",
        b"throttled_usec",
        b"oom_kill",
        b"",
    ] {
        let _ = cgroup::keyed(data, key);
    }
    let _ = cgroup::pressure(data);
    let _ = cgroup::container_id(data);
    let _ = cgroup::pod_uid(data);
    let id = cgroup::identity(data);
    let mut uid = Vec::new();
    cgroup::uid_text(&mut uid, id.pod.unwrap_or_default());
    let _ = (id.container, cgroup::paths(data).count());
    for uid in [0, 1000, 65534, u32::MAX] {
        let _ = passwd::user_name(data, uid);
    }
});
