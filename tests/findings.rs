//! sample's findings against live threads of this process (and a throttled child): a client
//! whose server never answers, a spinner, threads in D, spinners sharing one CPU, a cgroup
//! over its CPU limit, thirty threads in D on one file, two cgroups oversubscribing the CPUs,
//! runs too short to judge, clients of slow and silent servers, threads hung on a FUSE mount
//! whose daemon is stopped, a path read from a thread's memory; and idle threads, which are
//! never findings.

use crate::support::cpu;
use crate::util::{self, Started, build_c, foreign_arch, is_root, own_pid, run, tsnap};
use crate::workload::{Kind, Workload};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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

/// Whether finding `f` names thread `tid`.
fn names(f: &Value, tid: u64) -> bool {
    f["tids"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t.as_u64() == Some(tid)))
}

/// The findings about thread `tid`.
fn of(found: &[Value], tid: u64) -> Vec<&str> {
    found
        .iter()
        .filter(|f| names(f, tid))
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
    let text = run(&["sample", "-d", "1", "-p", &own_pid()]).ok();
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
    assert_hot(&w.tids_of(Kind::Spinner), &[]);
}

/// Samples this process for 2 s and checks that each of `tids` is hot, however busy its CPU
/// was, and that a finding's split of the time is what the kernel counted for its first
/// thread (whose evidence stands for the group's). `extra` are more arguments to sample.
fn assert_hot(tids: &[u64], extra: &[&str]) {
    let before: Vec<(u64, u64)> = tids
        .iter()
        .map(|&t| cpu::thread_ns(std::process::id(), t))
        .collect();
    let started = std::time::Instant::now();
    let found = findings(&own_pid(), "2", extra);
    let wall = started.elapsed().as_nanos() as f64;
    let mut kernel = std::collections::HashMap::new();
    for (&tid, (run0, wait0)) in tids.iter().zip(before) {
        let (run1, wait1) = cpu::thread_ns(std::process::id(), tid);
        let on_cpu = (run1 - run0) as f64 * 100.0 / wall;
        let waiting = (wait1 - wait0) as f64 * 100.0 / wall;
        // A spinner is runnable all the time, whatever share of it the CPU gave it.
        assert!(on_cpu + waiting > 90.0, "{tid}: {on_cpu}% + {waiting}%");
        assert_eq!(of(&found, tid), ["hot"], "{tid}: {found:?}");
        kernel.insert(tid, (on_cpu, waiting));
    }
    for hot in found.iter().filter(|f| f["kind"] == "hot") {
        let first = hot["tids"][0].as_u64().unwrap();
        let Some(&(on_cpu, waiting)) = kernel.get(&first) else {
            continue;
        };
        let evidence = hot["evidence"].as_str().unwrap();
        let said = |label: &str| -> f64 {
            let at = evidence.find(label).unwrap_or_else(|| panic!("{evidence}")) + label.len();
            evidence[at..].split('%').next().unwrap().parse().unwrap()
        };
        // The split is the kernel's, within what the first and last looks add.
        assert!(
            (said("on a CPU ") - on_cpu).abs() < 10.0,
            "{first}: {on_cpu}: {evidence}"
        );
        assert!(
            (said("waiting for one ") - waiting).abs() < 10.0,
            "{first}: {waiting}: {evidence}"
        );
    }
}

/// Shell loops spinning on every CPU beside a test, as another CPU-heavy test would: killed
/// when dropped.
fn hogs() -> Vec<Spinning> {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    (0..cpus)
        .map(|_| {
            let child = Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            Spinning(child)
        })
        .collect()
}

#[test]
fn a_spinner_is_hot_on_an_idle_cpu_and_on_a_saturated_one() {
    // One spinner free to run where it can, three pinned to one CPU.
    let w = Workload::start(
        "hotsat",
        &[
            Kind::Spinner,
            Kind::PinnedSpinner,
            Kind::PinnedSpinner,
            Kind::PinnedSpinner,
        ],
    );
    let free = w.tids_of(Kind::Spinner);
    let pinned = w.tids_of(Kind::PinnedSpinner);
    assert_hot(&[&free[..], &pinned[..]].concat(), &[]);
    // With every CPU taken by other work too.
    let _hogs = hogs();
    assert_hot(&[&free[..], &pinned[..]].concat(), &[]);
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
    if !util::require(is_root(), "needs root to make a cgroup with a CPU limit") {
        return;
    }
    let _turn = crate::util::cpu_turn();
    let Some(cgroup) = LimitedCgroup::create() else {
        util::require(false, "no cpu controller to limit here");
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
    let found = findings(&pid, "2", &[]);
    drop(spinning);
    // The cause first, then its symptom: the spinner, runnable all along, is hot.
    let kinds: Vec<&str> = found.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["throttled", "hot"], "{found:?}");
    let throttled: Vec<&Value> = found.iter().filter(|f| f["kind"] == "throttled").collect();
    assert_eq!(throttled[0]["threads"].as_u64(), Some(0));
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
    let out = run(&["sample", "-d", "1", "-p", &pid]).ok();
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.stdout.ends_with("\nfindings: none\n"), "{}", out.stdout);
}

/// The state letters of each thread of process `pid`, read by the test itself.
fn states(pid: u32) -> Vec<(u64, char)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let tid = e.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
        Some((tid, stat.rsplit(") ").next()?.chars().next()?))
    })
    .collect()
}

#[test]
fn thirty_threads_in_d_on_one_file_are_one_finding() {
    if !util::require(
        is_root(),
        "needs root for a userfaultfd that catches the kernel's faults",
    ) {
        return;
    }
    let bin = build_c("tests/findings/fpos.c", "fpos", &[]).unwrap_or_else(|e| panic!("{e}"));
    let dir = crate::util::TempDir::new("fpos");
    let file = dir.0.join("data");
    std::fs::write(&file, vec![b'x'; 8192]).unwrap();
    let mut child = Command::new(&bin)
        .arg(&file)
        .arg("30")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    let stdout = child.stdout.take().unwrap();
    let child = Started(child);
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready).unwrap();
    assert_eq!(ready, "ready\n");
    let pid = child.0.id();
    // Started: the thirty wait for the lock in D.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while states(pid).iter().filter(|s| s.1 == 'D').count() < 30 {
        assert!(std::time::Instant::now() < deadline, "{:?}", states(pid));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let found = findings(&pid.to_string(), "1.5", &[]);
    let in_d: Vec<u64> = states(pid)
        .into_iter()
        .filter(|s| s.1 == 'D')
        .map(|s| s.0)
        .collect();
    drop(child);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f["kind"], "blocked", "{f}");
    assert_eq!(f["threads"].as_u64(), Some(30), "{f}");
    assert!(f["tid"].is_null(), "{f}");
    let mut tids: Vec<u64> = f["tids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    tids.sort_unstable();
    assert_eq!(tids, in_d, "the threads the kernel says are in D");
    let evidence = f["evidence"].as_str().unwrap();
    crate::util::holds(evidence, &format!("in read on {}", file.display()));
}

/// A cgroup of the cpu controller with no limit, removed when dropped (after its processes).
struct PlainCgroup(PathBuf);

impl PlainCgroup {
    fn create(name: &str) -> Option<PlainCgroup> {
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let root = match v1.join("cgroup.procs").exists() {
            true => v1,
            false => Path::new("/sys/fs/cgroup"),
        };
        let dir = root.join(format!("tsnap-p15-{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        Some(PlainCgroup(dir))
    }
}

impl Drop for PlainCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn two_cgroups_oversubscribing_the_cpus_are_one_cpu_saturated_finding() {
    if !util::require(is_root(), "needs root to make cgroups") {
        return;
    }
    let _turn = crate::util::cpu_turn();
    let bin =
        build_c("tests/findings/halfbusy.c", "halfbusy", &[]).unwrap_or_else(|e| panic!("{e}"));
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (Some(a), Some(b)) = (PlainCgroup::create("a"), PlainCgroup::create("b")) else {
        util::require(false, "cannot make cgroups here");
        return;
    };
    // Each cgroup alone wants twice the CPUs in the busy half of every 100 ms.
    let start = |cgroup: &PlainCgroup| {
        let child = Command::new(&bin)
            .arg((2 * cpus).to_string())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let child = Started(child);
        std::fs::write(cgroup.0.join("cgroup.procs"), child.0.id().to_string()).unwrap();
        child
    };
    let (one, two) = (start(&a), start(&b));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pids = format!("{},{}", one.0.id(), two.0.id());
    let found = findings(&pids, "2", &[]);
    let text = run(&["sample", "-d", "2", "-p", &pids]).ok().stdout;
    drop((one, two));
    let kinds: Vec<&str> = found.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    let saturated: Vec<&Value> = found
        .iter()
        .filter(|f| f["kind"] == "cpu-saturated")
        .collect();
    assert_eq!(saturated.len(), 1, "{found:?}");
    let at = kinds.iter().position(|&k| k == "cpu-saturated").unwrap();
    assert!(kinds[..at].iter().all(|&k| k != "starved"), "{kinds:?}");
    assert!(!kinds.contains(&"starved"), "replaced: {found:?}");
    let f = saturated[0];
    assert!(f["pid"].is_null(), "{f}");
    assert!(f["threads"].as_u64().unwrap() >= 2, "{f}");
    let evidence = f["evidence"].as_str().unwrap();
    for cgroup in [&a, &b] {
        let name = cgroup.0.file_name().unwrap().to_str().unwrap();
        crate::util::holds(evidence, &format!("/{name}: "));
    }
    crate::util::holds(evidence, "; load ");
    let tail = text
        .split("\nfindings:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(tail.starts_with("  cpu-saturated: "), "{tail}");
}

#[test]
fn runs_too_short_are_not_judged() {
    let _w = Workload::start("short", &[Kind::Spinner, Kind::VforkParent]);
    let out = run(&["sample", "-d", "100ms", "-p", &own_pid()]).ok();
    assert!(
        out.stdout
            .contains("\nfindings: not judged: the run was 2 passes, 0.1")
            && out.stdout.ends_with(" s (need 1 s and 10 passes)\n"),
        "{}",
        out.stdout
    );
    let json = run(&["sample", "-d", "100ms", "-p", &own_pid(), "-f", "json"]).ok();
    let lines = json.json();
    assert!(
        lines.iter().all(|l| l["type"] != "finding"),
        "{}",
        json.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "findings" && l["judged"] == false),
        "{}",
        json.stdout
    );

    // Cut after one pass: one a second, and SIGINT before the second.
    let child = tsnap()
        .args(["sample", "-d", "10", "--hz", "1", "-p", &own_pid()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: kill sends a signal to the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = crate::util::finish(child.wait_with_output().unwrap()).ok();
    let tail = out
        .stdout
        .split("\nfindings: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        tail.starts_with("not judged: the run was 1 pass, 0."),
        "{}",
        out.stdout
    );
    assert_eq!(tail.lines().count(), 1, "no finding: {tail}");
}

/// A client thread in `recv` on a connection to a server thread of this process that
/// answers every `every` (never, with `None`): its tid, the server's port, and what keeps
/// them running (dropped with the test).
struct Conversation {
    tid: u64,
    port: u16,
    _client: std::net::TcpStream,
}

impl Conversation {
    /// With `poll`, the client polls its socket before each read, as one with a timeout does.
    fn start(every: Option<std::time::Duration>, poll: bool) -> Conversation {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let Ok((mut server, _)) = listener.accept() else {
                return;
            };
            loop {
                match every {
                    Some(every) => std::thread::sleep(every),
                    None => std::thread::park(),
                }
                if every.is_some() && server.write_all(b"tick\n").is_err() {
                    return;
                }
            }
        });
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut reading = client.try_clone().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(crate::util::gettid()).unwrap();
            let mut buf = [0u8; 64];
            let mut pollfd = libc::pollfd {
                fd: std::os::fd::AsRawFd::as_raw_fd(&reading),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            while !poll || unsafe { libc::poll(&mut pollfd, 1, -1) } == 1 {
                if !matches!(reading.read(&mut buf), Ok(n) if n > 0) {
                    break;
                }
            }
        });
        Conversation {
            tid: rx.recv().unwrap(),
            port,
            _client: client,
        }
    }
}

/// A server that answers every 0.8 s makes progress, though `recv` never counts in rchar:
/// its client (in recv, or polling its socket first) is not waiting on it, by netlink's tcp_info or, with netlink refused, by the
/// receive queue and schedstat; a silent server's client is, naming the server and the
/// counter.
#[test]
fn a_client_of_a_slow_server_is_not_accused_of_a_silent_one_is() {
    if !util::applies(!foreign_arch(), "the syscall numbers are this machine's") {
        return;
    }
    let every = Some(std::time::Duration::from_millis(800));
    let (slow, silent) = (
        Conversation::start(every, false),
        Conversation::start(None, false),
    );
    let (slow_poll, silent_poll) = (
        Conversation::start(every, true),
        Conversation::start(None, true),
    );
    let pid = own_pid();
    let args = ["sample", "-d", "3", "-p", &pid, "-f", "json"];
    let direct = run(&args).ok().json();
    let table = util::unix_table_turn();
    let refused = crate::util::run_wrapped(&[crate::util::refuse(), "netlink"], &args)
        .ok()
        .json();
    drop(table);
    for (found, counter) in [
        (direct, "tcp_info's bytes_received stayed at 0"),
        (refused, "schedstat's count of times on a CPU stayed at"),
    ] {
        let found: Vec<Value> = found
            .into_iter()
            .filter(|l| l["type"] == "finding")
            .collect();
        for (slow, silent, call) in [
            (&slow, &silent, "recvfrom"),
            (&slow_poll, &silent_poll, "poll"),
        ] {
            assert!(of(&found, slow.tid).is_empty(), "{found:?}");
            assert_eq!(of(&found, silent.tid), ["waiting-on-peer"], "{found:?}");
            let f = found.iter().find(|f| names(f, silent.tid)).unwrap();
            let evidence = f["evidence"].as_str().unwrap();
            assert!(
                evidence.starts_with(&format!("in {call} on tcp ")),
                "{evidence}"
            );
            assert!(evidence.contains(counter), "{evidence}");
            assert!(
                evidence.contains(&format!("->127.0.0.1:{} ESTABLISHED", silent.port)),
                "{evidence}"
            );
            let hint = f["hint"].as_str().unwrap();
            assert!(
                hint.starts_with(&format!("the server at 127.0.0.1:{} ", silent.port)),
                "{hint}"
            );
        }
    }
}

/// A FUSE file system of the test's own, mounted in a mount namespace of its own with a
/// client whose threads call into it: its daemon stopped, they hang as on a dead NFS server,
/// and nothing outside the namespace sees the mount. Dropped, the daemon is resumed and
/// ended, which unmounts it, and the client killed, which ends the namespace.
struct HungMount {
    client: Child,
    daemon: i32,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    point: PathBuf,
    _dir: crate::util::TempDir,
}

impl HungMount {
    /// Mounts it, opens `sync` files, stops the daemon and starts `open` threads in openat
    /// and `sync` in fsync: their tids. `None` where FUSE cannot be had here.
    fn start(open: usize, sync: usize) -> Option<(HungMount, Vec<u64>, Vec<u64>)> {
        use std::io::{BufRead, Write};
        let flags = Command::new("pkg-config")
            .args(["--cflags", "--libs", "fuse3"])
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let flags = String::from_utf8(flags.stdout).unwrap();
        // build_c puts the flags before the source: the libraries must not be dropped as
        // unneeded before it is read.
        let mut flags: Vec<&str> = flags.split_whitespace().collect();
        flags.insert(0, "-Wl,--no-as-needed");
        let daemon = build_c("tests/findings/hangfs.c", "hangfs", &flags).unwrap();
        let client = build_c("tests/findings/fsclient.c", "fsclient", &[]).unwrap();
        let dir = crate::util::TempDir::new("fuse");
        let point = dir.0.join("mnt");
        std::fs::create_dir(&point).unwrap();
        let script = format!(
            "{daemon} {point} -f -s & echo daemon $!; \
             for i in $(seq 200); do grep -q ' {point} ' /proc/self/mountinfo && break; sleep 0.05; done; \
             exec {client} {point} {open} {sync}",
            daemon = daemon.display(),
            client = client.display(),
            point = point.display(),
        );
        let mut child = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let daemon: i32 = match lines.next() {
            Some(Ok(l)) => l.strip_prefix("daemon ")?.parse().ok()?,
            _ => return None,
        };
        let mut hung = HungMount {
            client: child,
            daemon,
            lines,
            point,
            _dir: dir,
        };
        if hung.lines.next()?.ok()? != "ready" {
            return None;
        }
        // SAFETY: kill has no memory preconditions.
        unsafe { libc::kill(daemon, libc::SIGSTOP) };
        writeln!(hung.client.stdin.as_ref().unwrap(), "go").unwrap();
        let (mut opening, mut syncing) = (Vec::new(), Vec::new());
        while opening.len() < open || syncing.len() < sync {
            let line = hung.lines.next()?.ok()?;
            let (what, tid) = line.split_once(' ')?;
            let tid = tid.parse().ok()?;
            match what {
                "openat" => opening.push(tid),
                _ => syncing.push(tid),
            }
        }
        // Until each is asleep in its call.
        for _ in 0..100 {
            let asleep = opening.iter().chain(&syncing).all(|t| {
                let syscall =
                    std::fs::read_to_string(format!("/proc/{}/task/{t}/syscall", hung.client.id()))
                        .unwrap_or_default();
                let state =
                    std::fs::read_to_string(format!("/proc/{}/task/{t}/stat", hung.client.id()))
                        .unwrap_or_default();
                let state = state.rsplit(") ").next().unwrap_or("").chars().next();
                !syscall.starts_with("running") && matches!(state, Some('S' | 'D'))
            });
            if asleep {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some((hung, opening, syncing))
    }

    /// The type of its mount, as the client's mountinfo says.
    fn fstype(&self) -> String {
        let info =
            std::fs::read_to_string(format!("/proc/{}/mountinfo", self.client.id())).unwrap();
        let point = self.point.to_str().unwrap();
        let line = info
            .lines()
            .find(|l| l.split(' ').nth(4) == Some(point))
            .unwrap();
        let after = line.split(" - ").nth(1).unwrap();
        after.split(' ').next().unwrap().to_string()
    }
}

impl Drop for HungMount {
    fn drop(&mut self) {
        // SAFETY: kill has no memory preconditions.
        unsafe {
            libc::kill(self.daemon, libc::SIGCONT);
            libc::kill(self.daemon, libc::SIGTERM);
        }
        for _ in 0..200 {
            // Ended (a zombie until the client, its parent, ends).
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.daemon));
            let state = stat.as_deref().unwrap_or("").rsplit(") ").next();
            if state.is_none_or(|s| s.starts_with('Z') || s.is_empty()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let _ = self.client.kill();
        let _ = self.client.wait();
    }
}

/// Threads hung in openat and fsync on a FUSE mount whose daemon is stopped: one
/// waiting-on-fs finding per call, naming the mount and its type, the openat's path read
/// from the thread's memory; plain tsnap's footer counts them.
#[test]
fn threads_hung_on_a_fuse_mount_are_waiting_on_fs() {
    if !util::require(is_root(), "needs root to mount a FUSE file system") {
        return;
    }
    if !util::applies(!foreign_arch(), "the syscall numbers are this machine's") {
        return;
    }
    let Some((hung, opening, syncing)) = HungMount::start(3, 2) else {
        util::require(false, "no FUSE here (fuse3, libfuse3-dev, /dev/fuse)");
        return;
    };
    let pid = hung.client.id().to_string();
    let point = hung.point.to_str().unwrap().to_string();
    let fstype = hung.fstype();
    assert!(fstype.starts_with("fuse"), "{fstype}");

    // The path of each openat, not (cwd).
    let rows = run(&["-a", "-p", &pid, "-o", "tid,syscall,filename", "-f", "json"])
        .ok()
        .rows();
    for (i, tid) in opening.iter().enumerate() {
        let row = rows
            .iter()
            .find(|r| r["tid"].as_u64() == Some(*tid))
            .unwrap();
        assert_eq!(row["syscall"], "openat", "{row}");
        let file = row["filename"].as_str().unwrap();
        assert!(
            file.starts_with(&format!("{point}/open-")) && file.len() == point.len() + 7,
            "{i}: {row}"
        );
    }

    let found = findings(&pid, "2", &[]);
    let on_fs: Vec<&Value> = found
        .iter()
        .filter(|f| f["kind"] == "waiting-on-fs")
        .collect();
    assert_eq!(on_fs.len(), 2, "one per call: {found:?}");
    for (call, tids) in [("openat", &opening), ("fsync", &syncing)] {
        let f = on_fs
            .iter()
            .find(|f| {
                f["evidence"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("in {call} on "))
            })
            .unwrap_or_else(|| panic!("{call}: {found:?}"));
        assert_eq!(f["threads"].as_u64(), Some(tids.len() as u64), "{f}");
        for tid in tids {
            assert!(names(f, *tid), "{tid}: {f}");
        }
        let evidence = f["evidence"].as_str().unwrap();
        crate::util::holds(evidence, &format!("{point}/"));
        crate::util::holds(evidence, &format!("{fstype} mounted at {point}"));
        assert!(!evidence.contains("(cwd)"), "{evidence}");
    }
    assert!(
        found.iter().all(|f| f["kind"] != "blocked"),
        "a hung FUSE wait is not a local disk's: {found:?}"
    );

    // Plain tsnap shows only those in D (the openat threads behind the first, on FUSE's lock
    // of the directory), but says they are all there.
    let plain = run(&["-p", &pid]).ok();
    crate::util::holds(
        &plain.stderr,
        &format!(
            "5 threads asleep in file-system calls on network or FUSE mounts: tsnap -a -p {pid} -o pid,tid,state,syscall,filename,wchan shows them"
        ),
    );

    // The text report: one line per call, the first naming the three openat threads.
    let text = run(&["sample", "-d", "1", "-p", &pid]).ok();
    let lines: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.starts_with("  waiting-on-fs: "))
        .collect();
    assert_eq!(lines.len(), 2, "{}", text.stdout);
    crate::util::holds(
        lines[0],
        &format!("  waiting-on-fs: 3 threads of pid {pid} (fsclient): tid "),
    );
}

/// The path of an openat, read from the thread's memory, is the target's bytes: shown, not
/// `(cwd)`, and escaped on every stream (a relative one: see the FUSE test, whose client
/// opens by paths relative to its working directory).
#[test]
fn a_path_read_from_memory_is_escaped() {
    if !util::applies(!foreign_arch(), "the syscall numbers are this machine's") {
        return;
    }
    let dir = crate::util::TempDir::new("path");
    let fifo = dir.0.join("a\nb\x1b[31mc");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    let opening = fifo.clone();
    // Opening a FIFO to read waits for a writer: openat, asleep.
    let reader = std::thread::spawn(move || {
        tx.send(crate::util::gettid()).unwrap();
        drop(std::fs::File::open(opening));
    });
    let tid = rx.recv().unwrap();
    let syscall = format!("/proc/self/task/{tid}/syscall");
    let openat = if cfg!(target_arch = "aarch64") {
        "56 "
    } else {
        "257 "
    };
    for _ in 0..200 {
        if std::fs::read_to_string(&syscall).is_ok_and(|s| s.starts_with(openat)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let base = dir.0.to_str().unwrap();
    for (format, shown) in [
        ("table", format!("{base}/a\\nb\\x1b[31mc")),
        ("csv", format!("{base}/a\\nb\\x1b[31mc")),
        ("json", format!("{base}/a\\nb\\u001b[31mc")),
    ] {
        let out = run(&[
            "-a",
            "-p",
            &own_pid(),
            "-o",
            "tid,syscall,filename",
            "-f",
            format,
        ])
        .ok();
        assert!(!out.stdout.contains('\x1b'), "{format}: {}", out.stdout);
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(&tid.to_string()))
            .unwrap_or_else(|| panic!("{format}: {}", out.stdout));
        crate::util::holds(line, "openat");
        crate::util::holds(line, &shown);
    }
    drop(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap());
    reader.join().unwrap();
}
