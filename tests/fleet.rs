//! From one pod to the node and the fleet: processes selected by container, pod and cgroup
//! path; the time, host, container and pod every watch row carries; hourly files that cannot
//! fill a disk; the queries of scripts/sql/ run under DuckDB and under ClickHouse's engine
//! (chdb) over a real capture; `dump --java` on a node with two JVMs; the DaemonSet's
//! manifest and its command line.
//!
//! The containers are real: podman (with runc) runs tests/fleet/workload.c, built static, from
//! a root holding nothing else, each container with a workload of its own. There is no
//! Kubernetes here, so the kubelet's cgroup paths (systemd and cgroupfs drivers, v1 and v2)
//! come from /proc and /sys trees built by the tests. Without root, podman, runc, a static C
//! library, a JDK or the Python packages (duckdb, chdb, yaml), a test says what is missing and
//! skips.

use crate::java::Jvm;
use crate::util::{self, Run, TempDir, build_c, cpu_turn, is_root, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// tests/fleet/workload.c built static (it runs alone in a container), once per test binary.
fn workload() -> Option<&'static Path> {
    static BIN: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        build_c("tests/fleet/workload.c", "workload", &["-static"])
            .map_err(|e| eprintln!("skipped: gcc cannot build a static program ({e})"))
            .ok()
    })
    .as_deref()
}

/// Whether podman can run containers here: root, podman and runc.
fn podman() -> bool {
    let works = |program: &str| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let ready = is_root() && works("podman") && works("runc");
    if !ready {
        eprintln!("skipped: needs root, podman and runc");
    }
    ready
}

/// A podman container running the workload; removed when dropped.
struct Container {
    name: String,
    /// The full 64-hex id.
    id: String,
    /// Its workload's pid on this machine.
    pid: u32,
    child: Child,
    _root: TempDir,
}

impl Container {
    /// Runs `workload ARGS` in a container named after `tag`, with `podman_args` (a CPU
    /// limit); `None` (said why) where containers cannot run.
    fn start(tag: &str, args: &[&str], podman_args: &[&str]) -> Option<Container> {
        let bin = workload()?;
        if !podman() {
            return None;
        }
        let root = TempDir::new(tag);
        std::fs::copy(bin, root.0.join("workload")).unwrap();
        let name = format!("tsnap-part10-{}-{tag}", std::process::id());
        let mut child = Command::new("podman")
            .args([
                "--runtime",
                "runc",
                "run",
                "-i",
                "--rm",
                "--network",
                "none",
            ])
            .args(["--name", &name])
            .args([
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=4096:4096",
            ])
            .args(podman_args)
            .arg("--rootfs")
            .arg(&root.0)
            .arg("/workload")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run podman");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let inspect = |format: &str| {
            let out = Command::new("podman")
                .args(["inspect", "-f", format, &name])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let container = Container {
            id: inspect("{{.Id}}"),
            pid: inspect("{{.State.Pid}}").parse().unwrap_or(0),
            name,
            child,
            _root: root,
        };
        assert!(
            line.starts_with("ready") && container.id.len() == 64 && container.pid > 0,
            "container {} did not start: {line:?}",
            container.name
        );
        Some(container)
    }

    /// Its threads now, tid to name, as /proc shows them.
    fn threads(&self) -> BTreeMap<u64, String> {
        threads_of(self.pid)
    }

    /// The tids of its threads named `comm`.
    fn named(&self, comm: &str) -> BTreeSet<u64> {
        let threads = self.threads();
        threads
            .into_iter()
            .filter(|(_, c)| c == comm)
            .map(|(t, _)| t)
            .collect()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = Command::new("podman")
            .args(["rm", "-f", "-t", "0", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The threads of process `pid`, tid to name.
fn threads_of(pid: u32) -> BTreeMap<u64, String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| {
            let tid: u64 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).ok()?;
            Some((tid, comm.trim_end().to_string()))
        })
        .collect()
}

/// The tids of JSON rows.
fn tids(rows: &[Value]) -> BTreeSet<u64> {
    rows.iter().filter_map(|r| r["tid"].as_u64()).collect()
}

#[test]
fn container_and_cgroup_select_exactly_one() {
    let _turn = cpu_turn();
    let Some(a) = Container::start("select-a", &["3", "1"], &[]) else {
        return;
    };
    let Some(b) = Container::start("select-b", &["1", "2"], &[]) else {
        return;
    };
    let columns = [
        "-a",
        "-i",
        "0",
        "-f",
        "json",
        "-o",
        "pid,tid,comm,container,pod",
    ];
    for (c, other) in [(&a, &b), (&b, &a)] {
        let want: BTreeSet<u64> = c.threads().into_keys().collect();
        let by_id = run(&[&columns[..], &["--container", &c.id[..12]]].concat()).ok();
        let by_path = format!("libpod-{}", c.id);
        let by_cgroup = run(&[&columns[..], &["--cgroup", &by_path]].concat()).ok();
        let named = run(&[&columns[..], &["-C", "workload", "--container", &c.id[..6]]].concat());
        for out in [by_id, by_cgroup, named.ok()] {
            let rows = out.rows();
            assert_eq!(tids(&rows), want, "{}", out.stdout);
            for row in &rows {
                assert_eq!(
                    row["container"],
                    c.id.as_str(),
                    "the full id in JSON: {row}"
                );
                assert_eq!(row["pid"], c.pid);
                assert!(row["pod"].is_null(), "no pod: {row}");
            }
        }
        // -p and --container intersect: the other container's process is not in this one.
        let none = run(&["-p", &other.pid.to_string(), "--container", &c.id[..12]]);
        assert_eq!(none.status, 1, "{}", none.stderr);
        assert!(
            none.stderr
                .contains(&format!("in container {}", &c.id[..12]))
        );
        // Tables show 12 hex digits.
        let table = run(&["-a", "-i", "0", "--container", &c.id, "-o", "tid,container"]).ok();
        assert!(table.table().contains(&format!(" {}\n", &c.id[..12])));
        assert!(!table.table().contains(&c.id[..13]), "{}", table.stdout);
    }
    let wrong = run(&["--container", "12345"]);
    assert_eq!(wrong.status, 2, "{}", wrong.stderr);
}

/// A stat line for thread `tid` named `comm`, in state S.
fn stat_line(tid: u32, comm: &str) -> String {
    format!(
        "{tid} ({comm}) S 1 {tid} {tid} 0 -1 4194560 10 0 2 0 5 3 0 0 20 0 2 0 1000 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    )
}

/// A node's /proc and /sys as the kubelet lays them out, built by the test.
struct Node {
    dir: TempDir,
}

/// One of the four layouts: cgroup v2 or v1, and the kubelet's cgroup driver.
#[derive(Debug, Clone, Copy)]
struct Layout {
    v2: bool,
    systemd: bool,
}

const POD: &str = "6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60";
const OTHER_POD: &str = "0c9d2e4f-1111-4222-8333-944455556666";
const CONTAINER: &str = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
const OTHER_CONTAINER: &str = "aa11bb22cc33dd44ee55ff66778899000011223344556677889900aabbccddee";

impl Layout {
    const ALL: [Layout; 4] = [
        Layout {
            v2: true,
            systemd: true,
        },
        Layout {
            v2: true,
            systemd: false,
        },
        Layout {
            v2: false,
            systemd: true,
        },
        Layout {
            v2: false,
            systemd: false,
        },
    ];

    /// The cgroup path of a container of a burstable pod, as this driver names it.
    fn path(self, pod: &str, container: &str) -> String {
        match self.systemd {
            true => format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{container}.scope",
                pod.replace('-', "_")
            ),
            false => format!("/kubepods/burstable/pod{pod}/{container}"),
        }
    }

    /// `/proc/PID/cgroup` for `path`: the v2 line, or the v1 controllers' lines.
    fn cgroup_file(self, path: &str) -> String {
        match self.v2 {
            true => format!("0::{path}\n"),
            false => format!(
                "12:memory:{path}\n11:cpu,cpuacct:{path}\n3:pids:{path}\n1:name=systemd:{path}\n0::/\n"
            ),
        }
    }

    /// The directory of `path` under `sys/fs/cgroup`, and its memory file.
    fn memory_file(self, path: &str) -> String {
        match self.v2 {
            true => format!("sys/fs/cgroup{path}/memory.current"),
            false => format!("sys/fs/cgroup/memory{path}/memory.usage_in_bytes"),
        }
    }
}

impl Node {
    /// A pod's process 100 (threads 100 and 101), another pod's 200, and a service of the
    /// host's, 300.
    fn new(layout: Layout) -> Node {
        let node = Node {
            dir: TempDir::new("node"),
        };
        node.file("proc/uptime", "5000.00 9000.00\n");
        let host = match layout.systemd {
            true => "/system.slice/containerd.service".to_string(),
            false => "/system.slice/containerd.service".to_string(),
        };
        let processes = [
            (100, "app", vec![100, 101], layout.path(POD, CONTAINER)),
            (
                200,
                "other",
                vec![200],
                layout.path(OTHER_POD, OTHER_CONTAINER),
            ),
            (300, "containerd", vec![300], host),
        ];
        for (pid, comm, threads, path) in processes {
            node.file(&format!("proc/{pid}/stat"), &stat_line(pid, comm));
            node.file(&format!("proc/{pid}/comm"), &format!("{comm}\n"));
            node.file(&format!("proc/{pid}/cgroup"), &layout.cgroup_file(&path));
            for tid in threads {
                let task = format!("proc/{pid}/task/{tid}");
                node.file(&format!("{task}/stat"), &stat_line(tid, comm));
                node.file(&format!("{task}/schedstat"), "1000000 0 1\n");
                node.file(&format!("{task}/wchan"), "do_epoll_wait");
                node.file(
                    &format!("{task}/syscall"),
                    "232 0x3 0x7f00 0x80 0xffffffff 0x0 0x0 0x7ffc 0x7f00\n",
                );
            }
            node.file(&layout.memory_file(&path), "104857600\n");
        }
        if layout.v2 {
            node.file("sys/fs/cgroup/cgroup.controllers", "cpu memory io\n");
        }
        node
    }

    fn file(&self, path: &str, content: &str) {
        let p = self.dir.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// tsnap's options to read this node.
    fn args(&self) -> Vec<String> {
        let at = |part: &str| self.dir.0.join(part).to_str().unwrap().to_string();
        vec!["--proc".into(), at("proc"), "--sys".into(), at("sys")]
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut all = self.args();
        all.extend(args.iter().map(|a| a.to_string()));
        run(&all.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

#[test]
fn pods_on_kubelet_trees_of_both_drivers_v1_and_v2() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    for layout in Layout::ALL {
        let node = Node::new(layout);
        let columns = ["-a", "-i", "0", "-f", "json", "-o", "pid,tid,container,pod"];
        // The UID as the API shows it, whole or its start, and as the systemd driver writes it.
        for pod in [POD, &POD[..8], &POD.replace('-', "_")[..13]] {
            let out = node.run(&[&columns[..], &["--pod", pod]].concat()).ok();
            let rows = out.rows();
            assert_eq!(tids(&rows), BTreeSet::from([100, 101]), "{layout:?} {pod}");
            for row in &rows {
                assert_eq!(row["pod"], POD, "{layout:?}: {row}");
                assert_eq!(row["container"], CONTAINER, "{layout:?}: {row}");
            }
        }
        let other = node.run(&[&columns[..], &["--container", &OTHER_CONTAINER[..6]]].concat());
        assert_eq!(
            tids(&other.ok().rows()),
            BTreeSet::from([200]),
            "{layout:?}"
        );
        // The host's service is in no pod: null in JSON, - in tables.
        let host = node.run(&[&columns[..], &["-p", "300"]].concat()).ok();
        assert!(host.rows()[0]["pod"].is_null() && host.rows()[0]["container"].is_null());
        let both =
            node.run(&[&columns[..], &["--pod", &POD[..4], "--container", "aa11bb"]].concat());
        assert_eq!(both.status, 1, "{layout:?}: pod and container intersect");
        // The block above the table names the pod, and found its cgroup's files.
        let table = node
            .run(&["-a", "-i", "0", "--pod", POD, "-o", "tid,pod"])
            .ok();
        let block = format!("container {}, pod {POD}\n", &CONTAINER[..12]);
        assert!(
            table.stdout.contains(&block),
            "{layout:?}\n{}",
            table.stdout
        );
        assert!(
            table.stdout.contains("memory: 100.0 MiB"),
            "{}",
            table.stdout
        );
        assert!(
            table.table().contains(&format!("101 {POD}\n")),
            "{}",
            table.stdout
        );
    }
}

#[test]
fn watch_rows_and_saved_lines_carry_time_host_container_and_pod() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    let node = Node::new(Layout::ALL[0]);
    let dir = TempDir::new("identity");
    let save = dir.0.join("saved.jsonl");
    let save = save.to_str().unwrap();
    let watch = ["watch", "-a", "-i", "0.1", "-d", "0.25", "-o", "tid,comm"];
    let json = node
        .run(
            &[
                &watch[..],
                &["-f", "json", "--host", "node-7", "--save", save],
            ]
            .concat(),
        )
        .ok();
    let rows = json.json();
    assert_eq!(
        rows.len(),
        8,
        "two snapshots of four threads:\n{}",
        json.stdout
    );
    for line in json.stdout.lines() {
        let at = |key: &str| line.find(&format!("\"{key}\":")).unwrap();
        let keys = ["type", "time", "host", "container", "pod", "tid", "comm"].map(at);
        assert!(keys.is_sorted() && keys[0] == 1, "in this order: {line}");
    }
    for row in &rows {
        assert_eq!(row["host"], "node-7");
        assert!(row["time"].as_str().is_some_and(|t| t.len() == 29), "{row}");
        let in_pod = [100, 101].contains(&row["tid"].as_u64().unwrap());
        assert_eq!(row["pod"] == POD, in_pod, "{row}");
    }
    let saved = std::fs::read_to_string(save).unwrap();
    let lines: Vec<Value> = saved
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2 + 8, "a pass line and four rows, twice");
    for line in &lines {
        assert_eq!(line["host"], "node-7", "{line}");
        if line["type"] == "row" && line["tid"] == 101 {
            assert_eq!(
                (&line["pod"], &line["container"]),
                (&POD.into(), &CONTAINER.into())
            );
        }
    }
    // $TSNAP_HOST names the host when --host does not; the table leads with the same four.
    let mut all = node.args();
    all.extend(["watch", "-a", "-i", "0.1", "-d", "0.15", "-o", "tid"].map(String::from));
    let table = util::finish(
        util::tsnap()
            .args(&all)
            .env("TSNAP_HOST", "from-env")
            .output()
            .unwrap(),
    );
    let table = table.ok();
    // Under the tally of the snapshot's threads.
    let mut lines = table.stdout.lines();
    assert!(
        lines.next().unwrap().starts_with("threads: "),
        "{}",
        table.stdout
    );
    let header = lines.next().unwrap().split_whitespace().collect::<Vec<_>>();
    assert_eq!(header, ["time", "host", "container", "pod", "tid"]);
    assert!(table.stdout.contains(" from-env "), "{}", table.stdout);
    let csv = node
        .run(&[&watch[..], &["-f", "csv", "--host", "n"]].concat())
        .ok();
    assert!(csv.stdout.starts_with("time,host,container,pod,tid,comm\n"));
    assert!(
        csv.stdout
            .contains(&format!(",n,{CONTAINER},{POD},101,app\n"))
    );
    assert!(
        csv.stdout.contains(",n,-,-,300,containerd\n"),
        "{}",
        csv.stdout
    );
}

/// The name of tsnap's file for the UTC hour of `secs` ago (tsnap names them in local time:
/// the tests run it with TZ=UTC).
fn hourly_name(ago: u64, extension: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{}", now - ago), "+%Y-%m-%d.%H"])
        .output()
        .unwrap();
    format!(
        "tsnap-{}.{extension}",
        String::from_utf8_lossy(&out.stdout).trim()
    )
}

#[test]
fn keep_hours_deletes_only_its_own_expired_files() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    let dir = TempDir::new("keep");
    let capture = dir.0.join("capture");
    std::fs::create_dir_all(capture.join(hourly_name(5 * 3600, "csv"))).unwrap();
    let outside = dir.0.join("outside.csv");
    std::fs::write(&outside, "not tsnap's\n").unwrap();
    let expired = [
        hourly_name(3 * 3600, "csv"),
        hourly_name(4 * 3600, "jsonl"),
        "tsnap-2020-01-01.00.csv".to_string(),
    ];
    let kept = [
        hourly_name(3600, "csv"),
        hourly_name(3600, "jsonl"),
        // Named like tsnap's, but not: another extension, another pattern.
        "tsnap-2020-01-01.00.csv.bak".to_string(),
        "tsnap-2020-01-01.csv".to_string(),
        "notes-2020-01-01.00.csv".to_string(),
        "TSNAP-2020-01-01.00.csv".to_string(),
    ];
    for name in expired.iter().chain(&kept) {
        std::fs::write(capture.join(name), "old\n").unwrap();
    }
    // A link named like an expired file: not a file of tsnap's, and its target is outside.
    let link = hourly_name(6 * 3600, "csv");
    std::os::unix::fs::symlink(&outside, capture.join(&link)).unwrap();
    let pid = std::process::id().to_string();
    let out = util::finish(
        util::tsnap()
            .args([
                "watch", "-a", "-i", "0.1", "-d", "0.25", "-p", &pid, "-o", "tid",
            ])
            .args([
                "--output-dir",
                capture.to_str().unwrap(),
                "--keep-hours",
                "2",
            ])
            .env("TZ", "UTC")
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stderr, "");
    for name in &expired {
        assert!(!capture.join(name).exists(), "{name} was not deleted");
    }
    for name in &kept {
        assert_eq!(
            std::fs::read_to_string(capture.join(name)).unwrap(),
            "old\n",
            "{name}"
        );
    }
    assert!(capture.join(hourly_name(5 * 3600, "csv")).is_dir());
    assert!(capture.join(&link).is_symlink());
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "not tsnap's\n");
    let written = std::fs::read_to_string(capture.join(hourly_name(0, "csv"))).unwrap();
    assert!(
        written.starts_with("time,host,container,pod,tid\n"),
        "{written}"
    );
}

#[test]
fn max_mb_deletes_the_oldest_hour_first_and_goes_on() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    let Some(bin) = workload() else {
        return;
    };
    let mut target = Command::new(bin)
        .args(["20", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(target.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid = target.id().to_string();
    let dir = TempDir::new("maxmb");
    // tsnap's files already there count, the oldest deleted first; a foreign file does not.
    let oldest = "tsnap-2020-01-01.00.csv";
    let old = "tsnap-2020-01-01.01.csv";
    std::fs::write(dir.0.join(oldest), vec![b'x'; (1 << 20) - 9000]).unwrap();
    std::fs::write(dir.0.join(old), vec![b'x'; 3000]).unwrap();
    std::fs::write(dir.0.join("other.log"), vec![b'y'; 3 << 20]).unwrap();
    let out = util::finish(
        util::tsnap()
            .args(["watch", "-a", "-i", "0.05", "-d", "2", "-p", &pid])
            .args([
                "-o",
                "tid,comm,state,wchan",
                "--max-mb",
                "1",
                "--output-dir",
            ])
            .arg(&dir.0)
            .env("TZ", "UTC")
            .output()
            .unwrap(),
    );
    drop(target.stdin.take());
    let _ = target.wait();
    assert_eq!(out.status, 0, "{}", out.stderr);
    // One line for the one deletion needed; the next oldest hour is kept.
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("tsnap: deleted {oldest} ("))
            && out.stderr.contains("to keep tsnap's files in "),
        "{}",
        out.stderr
    );
    assert!(!dir.0.join(oldest).exists());
    assert_eq!(std::fs::metadata(dir.0.join(old)).unwrap().len(), 3000);
    let written = std::fs::read_to_string(dir.0.join(hourly_name(0, "csv"))).unwrap();
    assert_eq!(
        std::fs::metadata(dir.0.join("other.log")).unwrap().len(),
        3 << 20
    );
    // Whole snapshots only, small enough not to be cut: 21 rows each (the 20 readers and the
    // main thread), from the start of the run to its end.
    assert!(written.ends_with('\n'));
    let mut per_time: BTreeMap<&str, usize> = BTreeMap::new();
    for row in written.lines().skip(1) {
        *per_time.entry(row.split(',').next().unwrap()).or_default() += 1;
    }
    assert!(per_time.len() >= 20, "{written}");
    assert!(per_time.values().all(|&n| n == 21), "{per_time:?}");
}

#[test]
fn dump_java_with_two_jvms_lists_them_and_signals_neither() {
    // The first JVM prints a thread dump for any SIGQUIT (no attach mechanism); the second
    // would start its Attach Listener thread if it were asked.
    let Some(mut quiet) = Jvm::launch(&[], &["-XX:+DisableAttachMechanism"], false) else {
        return;
    };
    let Some(mut plain) = Jvm::beside(&quiet, &[], false) else {
        return;
    };
    let out = run(&["dump", "--java", "-C", "java", "-i", "0"]);
    assert_eq!(out.status, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "", "nothing is dumped");
    assert!(
        out.stderr.contains(
            "dump --java asks one JVM unless the processes are named by -p, --container or --pod"
        ),
        "{}",
        out.stderr
    );
    for jvm in [&quiet, &plain] {
        let line = out
            .stderr
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&jvm.pid().to_string()));
        let line = line.unwrap_or_else(|| panic!("pid {} not listed:\n{}", jvm.pid(), out.stderr));
        let ask = format!(
            " ThreadStates {:<27} tsnap dump --java -p {}",
            "",
            jvm.pid()
        );
        assert!(line.contains(" - ") && line.ends_with(&ask), "{line}");
        let trigger = jvm.classes.0.join(format!(".attach_pid{}", jvm.pid()));
        assert!(!trigger.exists(), "a trigger file was made");
    }
    let names: Vec<String> = threads_of(plain.pid()).into_values().collect();
    assert!(!names.iter().any(|n| n == "Attach Listener"), "{names:?}");
    for jvm in [&mut quiet, &mut plain] {
        let (status, stdout) = jvm.exit();
        assert!(status.success(), "{status}");
        assert!(
            !stdout.contains("Full thread dump"),
            "a JVM got SIGQUIT:\n{stdout}"
        );
    }
}

/// Whether python3 can import `modules`; says which are missing when not.
fn python_has(modules: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 cannot import {modules} (.ci/run installs them)");
    }
    ok
}

/// Runs every query of scripts/sql/ over `capture` under `engine` (tests/fleet/queries.py).
fn queries(engine: &str, capture: &Path, params: &Value) -> BTreeMap<String, Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fleet/queries.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(engine)
        .arg(capture)
        .arg(params.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs watch with `args` in the background, writing into `dir`.
fn watch_into(dir: &Path, host: &str, args: &[&str]) -> Child {
    util::tsnap()
        .args(args)
        .args([
            "-a",
            "-i",
            "0.2",
            "-G",
            "throttled",
            "--host",
            host,
            "--output-dir",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_capture_in_csv_and_json_lines_answers_every_query() {
    if !python_has("duckdb, chdb") {
        return;
    }
    let _turn = cpu_turn();
    // A: the spinner (the hottest thread) and six pipe readers (the top wait, with its main
    // thread reading its standard input, a pipe too); B: sleepers, and a spinner throttled
    // by a tenth of a CPU.
    let Some(a) = Container::start("capture-a", &["6", "2", "spin"], &[]) else {
        return;
    };
    let Some(b) = Container::start("capture-b", &["1", "3", "spin"], &["--cpus", "0.1"]) else {
        return;
    };
    let node = Node::new(Layout::ALL[0]);
    let dir = TempDir::new("capture");
    let capture = dir.0.join("capture");
    let both = format!("{},{}", &a.id[..12], &b.id[..12]);
    let containers = ["watch", "-d", "3", "--container", &both];
    let mut node_args = node.args();
    node_args.extend(["watch", "-d", "0.5"].map(String::from));
    let node_args: Vec<&str> = node_args.iter().map(String::as_str).collect();
    // Each node writes its own directory, as nodes do (a watch per directory: two writing one
    // hour's file at once would each give it a header); the queries read them all.
    let (into_a, into_b) = (capture.join("node-a"), capture.join("node-b"));
    let mut writers = vec![
        watch_into(&into_a, "node-a", &containers),
        watch_into(
            &into_a,
            "node-a",
            &[&containers[..], &["-f", "json"]].concat(),
        ),
        watch_into(&into_b, "node-b", &node_args),
        watch_into(
            &into_b,
            "node-b",
            &[&node_args[..], &["-f", "json"]].concat(),
        ),
    ];
    for w in &mut writers {
        assert!(w.wait().unwrap().success());
    }
    // Every row of both formats carries time, host, container and pod.
    let mut rows = 0;
    let files = [&into_a, &into_b].map(|d| std::fs::read_dir(d).unwrap());
    for entry in files.into_iter().flatten() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().filter(|l| !l.starts_with("time,")) {
            rows += 1;
            let (host, container, pod) = match line.starts_with('{') {
                true => {
                    let row: Value = serde_json::from_str(line).unwrap();
                    let text = |k: &str| row[k].as_str().unwrap_or("-").to_string();
                    (text("host"), text("container"), text("pod"))
                }
                false => {
                    let f: Vec<&str> = line.split(',').collect();
                    (f[1].to_string(), f[2].to_string(), f[3].to_string())
                }
            };
            match host.as_str() {
                "node-a" => assert!([&a.id, &b.id].contains(&&container) && pod == "-", "{line}"),
                "node-b" => assert!(pod == POD || pod == OTHER_POD || pod == "-", "{line}"),
                _ => panic!("{line}"),
            }
        }
    }
    assert!((200..2000).contains(&rows), "{rows} rows");

    let pipe_reader = *a.named("pipe-reader").first().unwrap();
    let wchan =
        std::fs::read_to_string(format!("/proc/{}/task/{pipe_reader}/wchan", a.pid)).unwrap();
    let sleeper = *b.named("sleeper").first().unwrap();
    let sleep_wchan =
        std::fs::read_to_string(format!("/proc/{}/task/{sleeper}/wchan", b.pid)).unwrap();
    let spinner = *a.named("spinner").first().unwrap();
    let params = serde_json::json!({
        "container": &a.id[..12], "pod": &POD[..8], "moment": "2100-01-01 00:00:00+00:00",
        "snapshots": 5,
    });
    let mut stuck_sets = Vec::new();
    for engine in ["duckdb-csv", "duckdb-jsonl", "clickhouse"] {
        let r = queries(engine, &capture, &params);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let number = |v: &Value| {
            v.as_f64()
                .or_else(|| v.as_str()?.parse().ok())
                .unwrap_or(-1.0)
        };
        // The container filter returns only its rows; its top wait each minute is the pipe
        // readers' read, about seven threads at any moment.
        let waits = &r["top_waits"];
        assert!(!waits.is_empty(), "{engine}");
        for w in waits {
            assert_eq!(w["container"], a.id.as_str(), "{engine}: {w}");
            if w["rank"] == 1 {
                assert_eq!(
                    (text(&w["syscall"]), text(&w["wchan"])),
                    ("read".into(), wchan.clone()),
                    "{engine}: {w}"
                );
                assert!(number(&w["avg_threads"]) >= 6.0, "{engine}: {w}");
            }
        }
        // The spinner is the hottest thread; B's, throttled, is far behind.
        let hottest = &r["hottest"];
        assert_eq!(
            hottest[0]["tid"].as_u64(),
            Some(spinner),
            "{engine}: {hottest:?}"
        );
        assert!(
            number(&hottest[0]["avg_pcpu"]) > 50.0,
            "{engine}: {:?}",
            hottest[0]
        );
        // Stuck: A's pipe readers and B's sleepers, never a spinner.
        let stuck: BTreeSet<u64> = r["stuck"]
            .iter()
            .filter_map(|s| s["tid"].as_u64())
            .collect();
        assert!(
            a.named("pipe-reader").is_subset(&stuck),
            "{engine}: {stuck:?}"
        );
        assert!(b.named("sleeper").is_subset(&stuck), "{engine}: {stuck:?}");
        assert!(
            stuck.is_disjoint(
                &a.named("spinner")
                    .union(&b.named("spinner"))
                    .copied()
                    .collect()
            )
        );
        assert!(r["stuck"].iter().any(|s| text(&s["wchan"]) == sleep_wchan));
        stuck_sets.push(stuck);
        // Throttled: B, and only B.
        let throttled = &r["throttled"];
        assert!(!throttled.is_empty(), "{engine}");
        for t in throttled {
            assert_eq!(t["container"], b.id.as_str(), "{engine}: {t}");
            assert!(number(&t["max_throttled"]) > 50.0, "{engine}: {t}");
        }
        // The pod's threads in its last snapshot.
        let pod = &r["pod_threads"];
        assert_eq!(tids(pod), BTreeSet::from([100, 101]), "{engine}: {pod:?}");
        assert!(
            pod.iter().all(|p| p["pod"] == POD && p["host"] == "node-b"),
            "{engine}"
        );
    }
    assert!(
        stuck_sets.windows(2).all(|w| w[0] == w[1]),
        "the engines agree"
    );
}

/// A process whose main thread and one more sleep and a third spins, named by argv[1..4]
/// (python3 names its threads through /proc/thread-self/comm); says `ready` once they are.
const NAMED_THREADS: &str = r#"
import sys, threading, time
def name(n):
    with open('/proc/thread-self/comm', 'w') as f:
        f.write(n)
def sleeper(n, ready):
    name(n)
    ready.release()
    time.sleep(120)
def spinner(n, ready):
    name(n)
    ready.release()
    while True:
        pass
ready = threading.Semaphore(0)
for body, n in ((sleeper, sys.argv[2]), (spinner, sys.argv[3])):
    threading.Thread(target=body, args=(n, ready), daemon=True).start()
ready.acquire()
ready.acquire()
name(sys.argv[1])
print('ready', flush=True)
time.sleep(120)
"#;

#[test]
fn numeric_and_date_like_names_stay_text_through_every_query() {
    if !python_has("duckdb, chdb") {
        return;
    }
    let _turn = cpu_turn();
    // Each node's hour files hold only these names, so that nothing but the views' declared
    // types keeps DuckDB from reading comm as a number, a date or a time.
    let nodes = [
        ("node-n", ["31337", "4242", "17"]),
        ("node-d", ["2026-12-07", "2026-12-08", "12:30:00"]),
    ];
    let dir = TempDir::new("names");
    let params = serde_json::json!({
        "container": "", "pod": "none", "moment": "2100-01-01 00:00:00+00:00", "snapshots": 3,
    });
    for (host, names) in nodes {
        let mut child = Command::new("python3")
            .args(["-c", NAMED_THREADS])
            .args(names)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        let pid = child.id().to_string();
        // A capture of its own for each node: one node's hours are the whole capture.
        let capture = dir.0.join(host);
        let into = capture.join(host);
        let args = ["watch", "-d", "2", "-p", &pid];
        let mut writers = [
            watch_into(&into, host, &args),
            watch_into(&into, host, &[&args[..], &["-f", "json"]].concat()),
        ];
        for w in &mut writers {
            assert!(w.wait().unwrap().success());
        }
        child.kill().unwrap();
        child.wait().unwrap();
        for engine in ["duckdb-csv", "duckdb-jsonl", "clickhouse"] {
            let r = queries(engine, &capture, &params);
            // Every column declared: comm is text, whatever the rows hold.
            let columns = &r["columns"][0];
            assert!(
                ["VARCHAR", "LowCardinality(String)"].contains(&columns["comm"].as_str().unwrap()),
                "{engine}: {columns}"
            );
            if engine != "clickhouse" {
                assert_eq!(columns["time"], "TIMESTAMP WITH TIME ZONE", "{engine}");
                assert_eq!(columns["wchan"], "VARCHAR", "{engine}");
            }
            for query in ["top_waits", "pod_threads", "stuck", "hottest", "throttled"] {
                assert!(r.contains_key(query), "{engine}: {query} gave nothing");
                for row in &r[query] {
                    if let Some(comm) = row.get("comm") {
                        assert!(
                            comm.as_str().is_some_and(|c| names.contains(&c)),
                            "{engine}: {query}: {row}"
                        );
                    }
                }
            }
            assert!(!r["top_waits"].is_empty(), "{engine}");
            let stuck: BTreeSet<&str> = r["stuck"]
                .iter()
                .filter_map(|s| s["comm"].as_str())
                .collect();
            assert!(
                stuck.contains(names[0]) && stuck.contains(names[1]),
                "{engine}: {stuck:?}"
            );
            // The spinner is the hottest thread.
            assert_eq!(
                r["hottest"][0]["comm"].as_str(),
                Some(names[2]),
                "{engine}: {:?}",
                r["hottest"]
            );
        }
    }
}

/// The DaemonSet manifests' fields the tests check, read with PyYAML.
fn manifest(name: &str) -> Option<Value> {
    if !python_has("yaml") {
        return None;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/k8s")
        .join(name);
    let program = "import json, sys, yaml\n\
        docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]\n\
        json.dump(docs, sys.stdout)\n";
    let out = Command::new("python3")
        .args(["-c", program])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    docs.into_iter().find(|d| d["kind"] == "DaemonSet")
}

/// A root for a container holding the binary under test (and, for a dynamically linked
/// one, its loader and libraries) at /tsnap, as the image of part 8 does.
fn tsnap_root() -> TempDir {
    let root = TempDir::new("tsnap-root");
    let bin = util::binary();
    std::fs::copy(&bin, root.0.join("tsnap")).unwrap();
    let ldd = Command::new("ldd").arg(&bin).output();
    let libs = ldd
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for path in libs.split_whitespace().filter(|w| w.starts_with('/')) {
        let to = root.0.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(path, to).unwrap();
    }
    root
}

#[test]
fn the_daemonsets_parse_and_their_command_lines_run_with_their_privileges() {
    let Some(ds) = manifest("daemonset.yaml") else {
        return;
    };
    let Some(hourly) = manifest("daemonset-hourly.yaml") else {
        return;
    };
    for ds in [&ds, &hourly] {
        let pod = &ds["spec"]["template"]["spec"];
        assert_eq!(pod["hostPID"], true);
        let c = &pod["containers"][0];
        assert!(
            c["image"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/tsnap:{}", env!("CARGO_PKG_VERSION")))
        );
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
        let env = &c["env"][0];
        assert_eq!(
            (&env["name"], &env["valueFrom"]["fieldRef"]["fieldPath"]),
            (&"TSNAP_HOST".into(), &"spec.nodeName".into())
        );
        for kind in ["requests", "limits"] {
            assert!(
                c["resources"][kind]["cpu"].is_string()
                    && c["resources"][kind]["memory"].is_string()
            );
        }
        let sys = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == "/host/sys");
        assert_eq!(sys.map(|m| &m["readOnly"]), Some(&Value::Bool(true)));
    }
    let c = &ds["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[..5], ["watch", "-i", "1", "-f", "json"]);
    let caps: Vec<&str> = c["securityContext"]["capabilities"]["add"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let hourly_c = &hourly["spec"]["template"]["spec"]["containers"][0];
    let hourly_args: Vec<&str> = hourly_c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(hourly_args.contains(&"--keep-hours") && hourly_args.contains(&"--output-dir"));
    // The capture stays private: every process's command line is in it.
    assert!(!hourly_args.contains(&"--mode"), "{hourly_args:?}");

    // Their command lines, run as the pod would run them: the host's processes, the
    // capabilities the manifest adds and no other, a read-only root, the host's /sys read-only
    // at /host/sys, the node's name in TSNAP_HOST; ended as Kubernetes ends a pod (SIGTERM).
    let _turn = cpu_turn();
    let Some(target) = Container::start("ds-target", &["2", "1", "spin"], &["--user", "65534"])
    else {
        return;
    };
    let root = tsnap_root();
    let logs = TempDir::new("ds-logs");
    let run_pod = |name: &str, args: &[&str], volume: Option<&str>| {
        let mut cmd = Command::new("podman");
        cmd.args([
            "--runtime",
            "runc",
            "run",
            "--rm",
            "--network",
            "none",
            "--name",
            name,
            "--pid",
            "host",
        ]);
        cmd.args([
            "--read-only",
            "--cap-drop",
            "ALL",
            "--cap-add",
            &caps.join(","),
        ]);
        cmd.args([
            "-v",
            "/sys:/host/sys:ro",
            "-e",
            "TSNAP_HOST=node-under-test",
        ]);
        cmd.args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=4096:4096",
        ]);
        if let Some(v) = volume {
            cmd.args(["-v", v]);
        }
        let child = cmd
            .arg("--rootfs")
            .arg(&root.0)
            .arg("/tsnap")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(3500));
        let stop = Command::new("podman")
            .args(["kill", "--signal", "TERM", name])
            .status()
            .unwrap();
        assert!(stop.success());
        util::finish(child.wait_with_output().unwrap())
    };
    let name = format!("tsnap-part10-{}-ds", std::process::id());
    let out = run_pod(&name, &args, None);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let rows = out.json();
    let target_rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r["container"] == target.id.as_str())
        .collect();
    assert!(
        target_rows.len() >= 2,
        "the spinner in each snapshot:\n{}",
        out.stdout
    );
    for row in &rows {
        assert_eq!(row["host"], "node-under-test");
    }
    // Another user's threads, read with those capabilities: syscall, wchan, and throttled.
    let spinner = target_rows.iter().find(|r| r["comm"] == "spinner").unwrap();
    assert_eq!(spinner["syscall"], "[running]", "{spinner}");
    assert!(
        spinner["throttled"].is_number(),
        "{spinner}\n{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("syscall: not readable"),
        "{}",
        out.stderr
    );

    let mut args: Vec<&str> = hourly_args.clone();
    let mount = hourly_c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| Some(m["mountPath"].as_str()?).filter(|p| *p != "/host/sys"))
        .unwrap();
    args.iter_mut()
        .filter(|a| **a == mount)
        .for_each(|a| *a = "/logs");
    let volume = format!("{}:/logs", logs.0.display());
    let out = run_pod(&format!("{name}-hourly"), &args, Some(&volume));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let file = std::fs::read_dir(&logs.0)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(file.to_str().unwrap().ends_with(".jsonl"), "{file:?}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o7777, 0o600, "{file:?}");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.lines().any(|l| l.contains(&target.id)), "{text}");
}
