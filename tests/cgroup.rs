//! The cgroup blocks: fixture trees of cgroup v2 (a pod's container with a quota and PSI, a
//! service without the cpu controller or PSI, a cgroup whose directory is missing) and of this
//! machine's v1 layout (hybrid: v1 controllers and a v2 mount for PSI), the same without its
//! v2 part, and tsnap's own cgroup live.

use crate::fixtures::check;
use crate::support::fakeproc::FakeProc;
use crate::util::{self, run, run_in};
use serde_json::Value;
use std::path::Path;

const V2: &str = "cgroup-v2";
const V2_APP: &str = "32647";
const V1: &str = "cgroup-v1";
const V1_APP: &str = "27703";
const COLUMNS: &str = "pid,tid,comm,state,user,nspid,vcsw,ivcsw,runq,cgroup";

#[test]
fn v2_pod_service_and_missing_cgroup() {
    check(V2, "table", &["-a", "-i", "0", "-o", COLUMNS], false);
    check(
        V2,
        "json",
        &["-a", "-i", "0", "-o", COLUMNS, "-f", "json"],
        false,
    );
    check(
        V2,
        "csv",
        &["-a", "-i", "0", "-o", "pid,tid,comm", "-f", "csv"],
        false,
    );
    check(V2, "dump", &["dump", "-p", V2_APP, "-i", "0"], true);
    check(
        V2,
        "dump-json",
        &["dump", "-p", V2_APP, "-i", "0", "-f", "json"],
        true,
    );
}

#[test]
fn v1_hybrid_as_on_this_machine() {
    check(V1, "table", &["-a", "-i", "0", "-o", COLUMNS], false);
    check(
        V1,
        "json",
        &["-a", "-i", "0", "-o", COLUMNS, "-f", "json"],
        false,
    );
    check(V1, "dump", &["dump", "-p", V1_APP, "-i", "0"], true);
}

#[test]
fn v1_without_a_v2_mount_has_no_pressure() {
    let tree = FakeProc::new("cgroup-v1");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(V1);
    tree.copy(&fixture.join("proc"), "proc");
    tree.copy(&fixture.join("sys"), "sys");
    std::fs::remove_dir_all(tree.path().join("sys/fs/cgroup/unified")).unwrap();
    let out = run_in(
        tree.path(),
        &[
            "--proc", "proc", "--sys", "sys", "-a", "-i", "0", "-o", "tid",
        ],
    )
    .ok();
    util::assert_same(
        "cgroup /process_api/b76c2d7d84b9e855e816f616173eb698 (v1)\n  \
         cpu at /: no limit\n  \
         memory: 700.7 MiB, no limit, OOM kills 0\n\n\
         threads: 2 (S 2)\n  \
         tid\n27703\n27705\n",
        &out.stdout,
        "pure v1",
    );
    assert_eq!(out.stderr, "");
}

/// The path tsnap names this process's cgroup by, from /proc/self/cgroup: on v1 the longest
/// of the cpu, cpuacct and memory paths, else the v2 path.
fn own_cgroup_path() -> Option<String> {
    let file = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut v1: Option<&str> = None;
    let mut v2 = None;
    for line in file.lines() {
        let mut parts = line.splitn(3, ':');
        let (id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if id == "0" && controllers.is_empty() {
            v2 = Some(path);
        } else if controllers
            .split(',')
            .any(|c| matches!(c, "cpu" | "cpuacct" | "memory"))
            && v1.is_none_or(|p| path.len() > p.len())
        {
            v1 = Some(path);
        }
    }
    v1.or(v2).map(str::to_string)
}

#[test]
fn own_cgroup_is_reported_without_error() {
    let Some(path) = own_cgroup_path() else {
        util::require(false, "this kernel shows no cgroup");
        return;
    };
    let pid = std::process::id().to_string();
    let out = run(&[
        "-p",
        &pid,
        "-a",
        "-f",
        "json",
        "-i",
        "0.2",
        "-o",
        "tid,cgroup",
    ])
    .ok();
    assert_eq!(out.stderr, "");
    let all = out.json();
    let groups: Vec<&Value> = all.iter().filter(|o| o["type"] == "cgroup").collect();
    assert_eq!(groups.len(), 1, "{}", out.stdout);
    let g = groups[0];
    assert_eq!(g["path"], path.as_str());
    assert!(g["not_visible"].is_null(), "{g}");
    let window = g["window_s"].as_f64().unwrap();
    assert!((0.15..5.0).contains(&window), "{g}");
    for row in out.rows() {
        assert_eq!(row["cgroup"], path.as_str());
    }
    // Where a memory controller is mounted the usual way, its figures are there.
    let v1_memory = Path::new("/sys/fs/cgroup/memory").is_dir();
    let v2_memory = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"));
    if v1_memory || (v2_memory && path != "/") {
        assert!(g["memory_bytes"].as_u64().is_some_and(|b| b > 0), "{g}");
    }

    let table = run(&["-p", &pid, "-a", "-i", "0", "-o", "tid"]).ok();
    assert!(
        table.stdout.starts_with(&format!("cgroup {path} (")),
        "{}",
        table.stdout
    );
    assert_eq!(table.stderr, "");
    let dump = run(&["dump", "-p", &pid, "-i", "0"]).ok();
    assert!(
        dump.stdout.contains(&format!("\ncgroup {path} (")),
        "{}",
        dump.stdout
    );
}
