//! sample's findings against live threads of this process (and a throttled child): a client
//! whose server never answers, a spinner, threads in D, spinners sharing one CPU, a cgroup
//! over its CPU limit; and idle threads, which are never findings.

use crate::util::{foreign_arch, is_root, run, tsnap};
use crate::workload::{Kind, Workload};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn own_pid() -> String {
    std::process::id().to_string()
}

/// The findings of `tsnap sample -d SECONDS -p PID -f json` (with `extra` arguments).
fn findings(pid: &str, seconds: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["sample", "-d", seconds, "-p", pid, "-f", "json"];
    args.extend(extra);
    run(&args)
        .ok()
        .json()
        .into_iter()
        .filter(|l| l["type"] == "finding")
        .collect()
}

/// The findings about thread `tid`.
fn of(found: &[Value], tid: u64) -> Vec<&str> {
    found
        .iter()
        .filter(|f| f["tid"].as_u64() == Some(tid))
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn a_client_whose_server_never_answers_and_idle_threads() {
    let idle = [
        Kind::FutexWaiter,
        Kind::Sleeper,
        Kind::Acceptor,
        Kind::PipeReader,
        Kind::Poller,
        Kind::ServerReader,
        Kind::UdpReader,
        Kind::UnixAcceptor,
    ];
    let w = Workload::start("peer", &[&[Kind::PeerReader][..], &idle[..]].concat());
    let found = findings(&own_pid(), "2", &[]);
    let tid = w.tid(Kind::PeerReader);
    for kind in idle {
        assert!(of(&found, w.tid(kind)).is_empty(), "{kind:?}: {found:?}");
    }
    if foreign_arch() {
        return;
    }
    assert_eq!(of(&found, tid), ["waiting-on-peer"], "{found:?}");
    let finding = found
        .iter()
        .find(|f| f["tid"].as_u64() == Some(tid))
        .unwrap();
    assert_eq!(finding["pid"].as_u64(), Some(u64::from(std::process::id())));
    assert_eq!(finding["comm"], "peer-peer");
    // The endpoint in the evidence is the one the socket table says.
    let table = std::fs::read_to_string("/proc/self/net/tcp").unwrap();
    let inode = w.inodes[&Kind::PeerReader].to_string();
    let line = table
        .lines()
        .find(|l| l.split_whitespace().nth(9) == Some(inode.as_str()))
        .unwrap();
    let port = |field: &str| u16::from_str_radix(field.rsplit(':').next().unwrap(), 16).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (local, remote) = (port(fields[1]), port(fields[2]));
    let evidence = finding["evidence"].as_str().unwrap();
    assert!(
        evidence.contains(&format!(
            "127.0.0.1:{local}->127.0.0.1:{remote} ESTABLISHED"
        )),
        "{evidence} against {line}"
    );
    assert_eq!(remote, w.peer_server.unwrap().port());
    let hint = finding["hint"].as_str().unwrap();
    assert!(
        hint.starts_with(&format!("the server at 127.0.0.1:{remote} ")),
        "{hint}"
    );

    // The text report ends with them.
    let text = run(&["sample", "-d", "0.5", "-p", &own_pid()]).ok();
    let tail = text
        .stdout
        .split("\nfindings:")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", text.stdout));
    assert!(
        tail.lines().any(|l| l.starts_with(&format!(
            "  waiting-on-peer: pid {} tid {tid} (peer-peer): in ",
            own_pid()
        ))),
        "{tail}"
    );
}

#[test]
fn a_spinner_is_hot_and_threads_in_d_are_blocked() {
    let w = Workload::start("heat", &[Kind::Spinner, Kind::VforkParent, Kind::Sleeper]);
    let found = findings(&own_pid(), "2", &[]);
    assert_eq!(
        of(&found, w.tid(Kind::VforkParent)),
        ["blocked"],
        "{found:?}"
    );
    let blocked = found
        .iter()
        .find(|f| f["tid"].as_u64() == Some(w.tid(Kind::VforkParent)))
        .unwrap();
    let evidence = blocked["evidence"].as_str().unwrap();
    assert!(evidence.starts_with("in D (D in "), "{evidence}");
    assert!(of(&found, w.tid(Kind::Sleeper)).is_empty(), "{found:?}");
    // On a machine others share, the spinner may lose its CPU for a moment: once more then.
    let spinner = w.tid(Kind::Spinner);
    let hot =
        of(&found, spinner) == ["hot"] || of(&findings(&own_pid(), "1", &[]), spinner) == ["hot"];
    assert!(hot, "the spinner is not hot: {found:?}");
}

#[test]
fn spinners_sharing_one_cpu_are_starved() {
    let w = Workload::start(
        "starve",
        &[
            Kind::PinnedSpinner,
            Kind::PinnedSpinner,
            Kind::PinnedSpinner,
        ],
    );
    let found = findings(&own_pid(), "2", &[]);
    for tid in w.tids_of(Kind::PinnedSpinner) {
        assert_eq!(of(&found, tid), ["starved"], "{tid}: {found:?}");
    }
}

/// A cgroup of the cpu controller with a limit of 0.2 cores, removed when dropped.
pub(crate) struct LimitedCgroup {
    dir: PathBuf,
    /// The file that takes a process into it.
    pub(crate) procs: PathBuf,
}

impl LimitedCgroup {
    fn create() -> Option<LimitedCgroup> {
        LimitedCgroup::named(&format!("tsnap-part9-{}", std::process::id()))
    }

    /// The cgroup `name`, made under the root of the cpu hierarchy.
    pub(crate) fn named(name: &str) -> Option<LimitedCgroup> {
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let v2 = Path::new("/sys/fs/cgroup");
        if v1.join("cpu.cfs_quota_us").exists() {
            let dir = v1.join(name);
            std::fs::create_dir(&dir).ok()?;
            let made = LimitedCgroup {
                procs: dir.join("cgroup.procs"),
                dir,
            };
            std::fs::write(made.dir.join("cpu.cfs_period_us"), "100000").ok()?;
            std::fs::write(made.dir.join("cpu.cfs_quota_us"), "20000").ok()?;
            return Some(made);
        }
        let controllers = std::fs::read_to_string(v2.join("cgroup.controllers")).ok()?;
        if !controllers.split_whitespace().any(|c| c == "cpu") {
            return None;
        }
        std::fs::write(v2.join("cgroup.subtree_control"), "+cpu").ok()?;
        let dir = v2.join(name);
        std::fs::create_dir(&dir).ok()?;
        let made = LimitedCgroup {
            procs: dir.join("cgroup.procs"),
            dir,
        };
        std::fs::write(made.dir.join("cpu.max"), "20000 100000").ok()?;
        Some(made)
    }
}

impl Drop for LimitedCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A shell spinning; killed when dropped.
pub(crate) struct Spinning(pub(crate) Child);

impl Drop for Spinning {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_cgroup_over_its_cpu_limit_is_throttled() {
    if !is_root() {
        eprintln!("skipped: needs root to make a cgroup with a CPU limit");
        return;
    }
    let _turn = crate::util::cpu_turn();
    let Some(cgroup) = LimitedCgroup::create() else {
        eprintln!("skipped: no cpu controller to limit here");
        return;
    };
    let child = Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let spinning = Spinning(child);
    let pid = spinning.0.id().to_string();
    std::fs::write(&cgroup.procs, &pid).unwrap();
    let found = findings(&pid, "1", &[]);
    drop(spinning);
    let throttled: Vec<&Value> = found.iter().filter(|f| f["kind"] == "throttled").collect();
    assert_eq!(throttled.len(), 1, "{found:?}");
    assert_eq!(
        throttled[0]["pid"].as_u64().map(|p| p.to_string()),
        Some(pid)
    );
    assert!(throttled[0]["tid"].is_null());
    let evidence = throttled[0]["evidence"].as_str().unwrap();
    let name = cgroup.dir.file_name().unwrap().to_str().unwrap();
    assert!(
        evidence.starts_with(&format!("cgroup /{name} throttled in ")),
        "{evidence}"
    );
    // Spinning at 0.2 cores, it is throttled in nearly every period.
    let percent: f64 = evidence
        .split(" periods (")
        .nth(1)
        .and_then(|s| s.split('%').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    assert!(percent >= 50.0, "{evidence}");
}

#[test]
fn no_finding_says_so() {
    // A process with only an idle thread (this test binary's other threads may be busy): a
    // tsnap sampling once a second.
    let mut child = tsnap()
        .args(["sample", "-d", "30", "-p", "1", "--hz", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = child.id().to_string();
    let out = run(&["sample", "-d", "0.5", "-p", &pid]).ok();
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.stdout.ends_with("\nfindings: none\n"), "{}", out.stdout);
}
