//! Identities a target forges (issue 20): a container that writes a cgroup hierarchy to pass
//! for another container or pod, and a thread in a network namespace of its own that binds a
//! unix socket whose name forges lines of the socket table. Each reproduced as the attacker
//! does it, tsnap run as root beside it.

use crate::support::containers::{self, Container};
use crate::util::{self, Started, build_c, is_root, run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A pod UID and a container id that no real container here has: what a forger names.
const FORGED_POD: &str = "9d2e4b7a-1c3f-4e5d-8a6b-7c8d9e0f1a2b";

/// tests/forged/cgroup.c built static, to run alone in a container.
fn forger() -> Option<PathBuf> {
    util::required(
        build_c("tests/forged/cgroup.c", "cgroup-forger", &["-static"]),
        "gcc cannot build a static program",
    )
}

/// The forger run with `args` in a podman container (runc) with `podman_args`.
fn forge(bin: &Path, tag: &str, podman_args: &[&str], args: &[&str]) -> Container {
    Container::run(bin, tag, args, podman_args).expect("podman runs containers here")
}

/// Cgroup directories a test made (or made its containers make), removed when dropped,
/// innermost first, once their processes are gone.
struct Cgroups(Vec<PathBuf>);

impl Drop for Cgroups {
    fn drop(&mut self) {
        for dir in self.0.iter().rev() {
            for _ in 0..50 {
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

/// The cgroup v2 mount: the unified hierarchy of a hybrid host, or /sys/fs/cgroup.
fn v2_mount() -> Option<PathBuf> {
    ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .map(PathBuf::from)
        .into_iter()
        .find(|d| d.join("cgroup.procs").exists() && d.join("cgroup.controllers").exists())
}

/// Issue 20, item 4: three containers pass for a victim container and a pod. Two forge from
/// inside a real podman container whose name=systemd hierarchy is writable
/// (`--systemd=always`): one moves itself into the victim's cgroup there, one creates the
/// kubelet's `kubepods-besteffort-podUID.slice/cri-containerd-ID.scope` below its own. The
/// third forgery is a delegated v2 subtree, which podman does not give on this hybrid host:
/// the test, as root, does exactly what such a container would (creates the same path below
/// the container's own v2 cgroup and moves the container's process into it). tsnap must show
/// each forger as itself (the first, whose hierarchies disagree, marked `?ID`), never as the
/// victim or in the pod, and --container and --pod must not select them.
#[test]
fn containers_that_write_their_cgroup_do_not_pass_for_another() {
    if !containers::podman() {
        return;
    }
    let Some(bin) = forger() else { return };
    let Some(v2) = v2_mount() else {
        util::require(false, "no cgroup v2 mount");
        return;
    };
    if !util::require(
        Path::new("/sys/fs/cgroup/systemd").is_dir(),
        "no name=systemd hierarchy (a cgroup v2 host)",
    ) {
        return;
    }
    let mut made = Cgroups(Vec::new());
    let victim = forge(&bin, "victim", &[], &["stay"]);
    let below = format!(
        "kubepods-besteffort-pod{}.slice/cri-containerd-{}.scope",
        FORGED_POD.replace('-', "_"),
        victim.id
    );
    let systemd = ["--systemd", "always"];
    let into = forge(
        &bin,
        "into",
        &systemd,
        &["into", &victim.cgroup("name=systemd")],
    );
    let nested = forge(&bin, "below", &systemd, &["below", &below]);
    // What the container made, to remove after it: its own cgroup too, which podman cannot
    // remove while it holds these.
    let nested_own = PathBuf::from(format!(
        "/sys/fs/cgroup/systemd{}",
        nested
            .cgroup("name=systemd")
            .split("/kubepods-")
            .next()
            .unwrap()
    ));
    made.0.push(nested_own.clone());
    made.0
        .push(nested_own.join(below.split('/').next().unwrap()));
    made.0.push(nested_own.join(&below));
    assert!(
        nested.cgroup("name=systemd").ends_with(&below),
        "the container made its cgroup"
    );
    // The delegated v2 subtree, done by the test as the container would.
    let delegated = forge(&bin, "delegated", &[], &["stay"]);
    let own_v2 = v2.join(delegated.cgroup("").trim_start_matches('/'));
    let forged_v2 = own_v2.join(&below);
    made.0.push(own_v2.clone());
    made.0.push(own_v2.join(below.split('/').next().unwrap()));
    made.0.push(forged_v2.clone());
    std::fs::create_dir_all(&forged_v2).unwrap();
    std::fs::write(forged_v2.join("cgroup.procs"), delegated.pid.to_string()).unwrap();
    assert!(delegated.cgroup("").ends_with(&below));

    let pids = [&victim, &into, &nested, &delegated]
        .map(|c| c.pid.to_string())
        .join(",");
    let columns = ["-a", "-i", "0", "-f", "json", "-o", "pid,tid,container,pod"];
    let out = run(&[&columns[..], &["-p", &pids]].concat()).ok();
    let rows = out.rows();
    let row_of = |c: &Container| -> &Value {
        rows.iter()
            .find(|r| r["pid"] == c.pid)
            .unwrap_or_else(|| panic!("no row of {}: {}", c.name, out.stdout))
    };
    assert_eq!(row_of(&victim)["container"], victim.id.as_str());
    assert_eq!(row_of(&into)["container"], format!("?{}", into.id));
    assert_eq!(row_of(&into)["pod"], "?");
    assert_eq!(row_of(&nested)["container"], nested.id.as_str());
    assert_eq!(row_of(&delegated)["container"], delegated.id.as_str());
    for row in &rows {
        assert!(
            row["pod"].is_null() || row["pod"] == "?",
            "no container here is in a pod: {row}"
        );
    }
    crate::util::holds(
        &out.stderr,
        "container: 1 processes shown as ?ID and in no --container or --pod selection",
    );
    // Selection by the victim's id takes the victim alone; by the forged pod, nothing; by the
    // disputed container's own id, not it either.
    let select = |args: &[&str]| {
        let out = run(&[&columns[..], args].concat());
        let mut pids: Vec<u64> = out
            .rows()
            .iter()
            .filter_map(|r| r["pid"].as_u64())
            .collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    };
    assert_eq!(
        select(&["--container", &victim.id[..12]]),
        [u64::from(victim.pid)]
    );
    assert_eq!(select(&["--pod", FORGED_POD]), Vec::<u64>::new());
    assert_eq!(select(&["--container", &into.id[..12]]), Vec::<u64>::new());
    // A table shows the mark and 12 hex digits.
    let table = run(&[
        "-a",
        "-i",
        "0",
        "-p",
        &into.pid.to_string(),
        "-o",
        "pid,container",
    ])
    .ok();
    crate::util::holds(&table.stdout, &format!("?{}", &into.id[..12]));
    drop((into, nested, delegated, victim));
}

/// tests/forged/netns.c, which forges a line of the unix table for its child's socketpair;
/// built once per test binary (a build while another test runs it would fail).
fn socket_forger() -> Option<&'static Path> {
    static BIN: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        util::required(
            build_c("tests/forged/netns.c", "netns-forger", &[]),
            "gcc cannot build the forger",
        )
    })
    .as_deref()
}

/// Starts the socket forger with `args`: it, and the victim's pid, its socket's inode and the
/// forging thread's tid.
fn start_socket_forger(bin: &Path, args: &[&str]) -> (Started, u64, u64, u64) {
    let (forger, line) = Started::ready(Command::new(bin).args(args));
    let words: Vec<u64> = line
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("the forger did not start: {line:?}"))
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    let [victim, inode, thread] = words[..] else {
        panic!("{line:?}")
    };
    (forger, victim, inode, thread)
}

/// Issue 20, item 13: a thread moved to a network namespace of its own binds a unix socket
/// whose abstract name holds a newline and a forged line of the unix table for another
/// process's socketpair (tests/forged/netns.c, run as root for its `unshare`). tsnap must
/// never show the victim's socket with the forged path: each thread's endpoint is looked up
/// in the table of that thread's namespace.
#[test]
fn a_thread_in_its_own_namespace_cannot_forge_another_socket() {
    if !util::require(is_root(), "needs root to make a network namespace") {
        return;
    }
    let Some(bin) = socket_forger() else { return };
    let (forger, victim, _, thread) = start_socket_forger(bin, &[]);
    let own_ns = |tid: u64| std::fs::read_link(format!("/proc/{tid}/ns/net")).unwrap();
    assert_ne!(
        own_ns(thread),
        own_ns(victim),
        "the thread has its own namespace"
    );
    let pids = format!("{},{victim}", forger.0.id());
    // Each order of the threads' lookups, and the victim alone.
    for pids in [&pids[..], &victim.to_string()] {
        let out = run(&[
            "-a",
            "-i",
            "0",
            "-f",
            "json",
            "-o",
            "pid,tid,endpoint",
            "-p",
            pids,
        ])
        .ok();
        assert!(!out.stdout.contains("/run/payments"), "{}", out.stdout);
        let rows = out.rows();
        let victim_row = rows
            .iter()
            .find(|r| r["tid"] == victim)
            .unwrap_or_else(|| panic!("no row of the victim: {}", out.stdout));
        // The socketpair, unnamed: its own table's entry, or none; never another name.
        let endpoint = &victim_row["endpoint"];
        assert!(
            endpoint.is_null() || endpoint["path"].as_str().is_some_and(str::is_empty),
            "{endpoint}"
        );
        if !endpoint.is_null() {
            assert_eq!(endpoint["state"], "CONNECTED", "{endpoint}");
        }
        // The forger's own table lists a socket its namespace does not have: not trusted.
        if let Some(row) = rows.iter().find(|r| r["tid"] == thread) {
            assert!(row["endpoint"].is_null(), "{row}");
            crate::util::holds(&out.stderr, "endpoint: not readable for 1 of");
            crate::util::holds(&out.stderr, "holds a socket name with a newline");
        }
        let table = run(&["-a", "-i", "0", "-o", "tid,endpoint", "-p", pids]).ok();
        assert!(!table.stdout.contains("/run/payments"), "{}", table.stdout);
    }
}

/// The same name bound in the pod's own namespace, which is tsnap's: netlink's socket
/// diagnostics give each name whole, newline and all, so the forger's socket shows its own
/// name and the victim's its own; with netlink refused, the text table shows the forged
/// line, and is not trusted.
#[test]
fn a_name_with_a_forged_line_in_the_same_namespace() {
    let Some(bin) = socket_forger() else { return };
    let _table = util::unix_table_turn();
    let (forger, victim, _, thread) = start_socket_forger(bin, &["same"]);
    let pids = format!("{},{victim}", forger.0.id());
    let args = [
        "-a",
        "-i",
        "0",
        "-f",
        "json",
        "-o",
        "tid,endpoint",
        "-p",
        &pids,
    ];
    let endpoint_of = |out: &crate::util::Run, tid: u64| -> Value {
        let rows = out.rows();
        let row = rows.iter().find(|r| r["tid"] == tid);
        row.unwrap_or_else(|| panic!("no row of {tid}: {}", out.stdout))["endpoint"].clone()
    };
    let out = run(&args).ok();
    let forged = endpoint_of(&out, thread);
    let name = forged["path"]
        .as_str()
        .unwrap_or_else(|| panic!("{forged}"));
    assert!(name.starts_with("@x\n0000000000000000: ") && name.ends_with(" /run/payments/db.sock"));
    let real = endpoint_of(&out, victim);
    assert_eq!(
        (&real["path"], &real["state"]),
        (&Value::from(""), &Value::from("CONNECTED"))
    );

    let out = crate::util::run_wrapped(&[util::refuse(), "netlink"], &args).ok();
    for tid in [thread, victim] {
        assert!(endpoint_of(&out, tid).is_null(), "{}", out.stdout);
    }
    crate::util::holds(&out.stderr, "holds a socket name with a newline");
}
