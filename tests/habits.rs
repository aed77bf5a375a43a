//! The habits of ps, top and kubectl users: `-C` by prefix, pattern and argv[0], containers and
//! pods by name, `-u`, several sort keys, `--no-headers`, compound durations, format names in
//! any case, human units in tables; one JSON shape for every command, checked against the
//! schema in the repository; and `report` slicing by any column the run read.

use crate::kubernetes::{podman, shop_pod};
use crate::util::{self, Started, TempDir, is_root, run};
use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Waits until the process `pid` runs `name` (its `comm`): after fork and exec.
fn wait_for_comm(pid: u32, name: &str) {
    let started = Instant::now();
    let comm = || std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    while comm().trim_end() != name {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{pid} never ran {name}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The pids tsnap selects with `args`, every thread state, from CSV without a header.
fn selected(args: &[&str]) -> BTreeSet<u32> {
    let mut all = vec!["-a", "-i", "0", "-f", "csv", "--no-headers", "-o", "pid"];
    all.extend_from_slice(args);
    let out = run(&all).ok();
    out.stdout.lines().map(|l| l.parse().unwrap()).collect()
}

/// `sleep` copied under `name`, so that the process's name is `name` (cut to 15 bytes).
fn sleep_as(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy("/bin/sleep", &path).unwrap();
    path
}

#[test]
fn comm_by_prefix_pattern_and_argv0_and_near_names_on_a_miss() {
    let dir = TempDir::new("habits-comm");
    let short = Started::spawn(Command::new(sleep_as(&dir.0, "habsleep3")).arg("60"));
    let long_name = "habits-long-program-name";
    let long = Started::spawn(Command::new(sleep_as(&dir.0, long_name)).arg("60"));
    // argv[0] names a program other than the one running (as a JVM launcher or busybox).
    let renamed = Started::spawn(
        Command::new("/bin/sleep")
            .arg0("/opt/x/habjavaish")
            .arg("60"),
    );
    wait_for_comm(short.pid(), "habsleep3");
    wait_for_comm(long.pid(), &long_name[..15]);
    wait_for_comm(renamed.pid(), "sleep");

    let one = |pid: u32| BTreeSet::from([pid]);
    assert_eq!(selected(&["-C", "habsl"]), one(short.pid()), "a prefix");
    assert_eq!(selected(&["-C", "habsleep3"]), one(short.pid()), "the name");
    assert_eq!(selected(&["-C", "hab*p3"]), one(short.pid()), "a pattern");
    assert_eq!(selected(&["-C", "*sleep3"]), one(short.pid()));
    assert_eq!(selected(&["-C", "habjav"]), one(renamed.pid()), "argv[0]");
    assert_eq!(
        selected(&["-C", "habsleep3,habjavaish"]),
        BTreeSet::from([short.pid(), renamed.pid()])
    );

    // Longer than comm holds: only argv[0] can match it, and tsnap says so.
    let out = run(&["-a", "-i", "0", "-f", "csv", "-o", "pid", "-C", long_name]).ok();
    assert_eq!(out.stdout, format!("pid\n{}\n", long.pid()));
    assert!(
        out.stderr.contains(
            "longer than the 15 bytes a process name (comm) holds: matched against argv[0]"
        ),
        "{}",
        out.stderr
    );

    // A miss names what runs now near it.
    let miss = run(&["-C", "habsleap3"]);
    assert_eq!(miss.status, 1, "{}", miss.stderr);
    assert!(
        miss.stderr
            .contains("no process named habsleap3; running now: ")
            && miss.stderr.contains("habsleep3"),
        "{}",
        miss.stderr
    );
    let far = run(&["-C", "zzqqxxhab"]);
    assert!(!far.stderr.contains("running now"), "{}", far.stderr);
}

#[test]
fn user_by_name_and_uid() {
    if !util::require(is_root(), "needs root to start a process as nobody") {
        return;
    }
    let dir = TempDir::new("habits-user");
    let bin = sleep_as(&dir.0, "habnobody");
    std::fs::set_permissions(&dir.0, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let nobody = Started::spawn(
        Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(&bin)
            .arg("60"),
    );
    let mine = Started::spawn(Command::new(&bin).arg("60"));
    wait_for_comm(nobody.pid(), "habnobody");
    wait_for_comm(mine.pid(), "habnobody");
    let status = std::fs::read_to_string(format!("/proc/{}/status", nobody.pid())).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(uid.split_whitespace().nth(2), Some("65534"), "{uid}");
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let name = passwd
        .lines()
        .find(|l| l.split(':').nth(2) == Some("65534"))
        .and_then(|l| l.split(':').next())
        .expect("a user 65534 in /etc/passwd");

    let both = BTreeSet::from([nobody.pid(), mine.pid()]);
    assert_eq!(selected(&["-C", "habnobody"]), both);
    let by_name = selected(&["-C", "habnobody", "-u", name]);
    assert_eq!(by_name, BTreeSet::from([nobody.pid()]));
    assert_eq!(selected(&["-C", "habnobody", "--user", "65534"]), by_name);
    assert_eq!(
        selected(&["-C", "habnobody", "-u", "0"]),
        BTreeSet::from([mine.pid()])
    );
    assert!(
        selected(&["-u", name]).contains(&nobody.pid()),
        "-u alone selects"
    );
    let unknown = run(&["-u", "no-such-user-habits"]);
    assert_eq!(unknown.status, 2);
    assert!(unknown.stderr.contains("id -u NAME"), "{}", unknown.stderr);
}

#[test]
fn container_and_pod_by_host_name() {
    if !container_supported() {
        return;
    }
    let uid = "6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60";
    let (container, _root, id) = shop_pod("habits", &format!("pod{uid}"), &[]);
    let inspect = podman()
        .args(["inspect", "--format", "{{.State.Pid}}", &container.name])
        .output()
        .unwrap();
    let pid: u32 = String::from_utf8_lossy(&inspect.stdout)
        .trim()
        .parse()
        .unwrap();
    // What the test reads itself: the container's environment names its host.
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(environ.split(|&b| b == 0).any(|s| s == b"HOSTNAME=shop-0"));
    // A host process claiming the name in its own environment is in no container: never
    // picked by it.
    let decoy = Started::spawn(
        Command::new("/bin/sleep")
            .arg("60")
            .env("HOSTNAME", "shop-0"),
    );
    wait_for_comm(decoy.pid(), "sleep");

    let by_name = selected(&["--container", "shop-0"]);
    assert_eq!(by_name, BTreeSet::from([pid]));
    assert_eq!(
        selected(&["--container", "SHOP-0"]),
        by_name,
        "host names ignore case"
    );
    assert_eq!(
        selected(&["--container", &id[..12]]),
        by_name,
        "the id still"
    );
    assert!(selected(&["--pod", "shop-0"]).contains(&pid));
    assert!(!selected(&["--pod", "shop-0"]).contains(&decoy.pid()));
    assert!(selected(&["--pod", &uid[..8]]).contains(&pid));
    let dump = run(&["dump", "--container", "shop-0", "-i", "0", "-f", "json"]).ok();
    let processes: Vec<u64> = (dump.json().iter())
        .filter(|l| l["type"] == "process")
        .filter_map(|l| l["pid"].as_u64())
        .collect();
    assert_eq!(processes, [u64::from(pid)], "dump by a container's name");

    let miss = run(&["--pod", "shop-1"]);
    assert_eq!(miss.status, 1);
    assert!(
        miss.stderr
            .contains("kubectl get pod P -o jsonpath='{.metadata.uid}'"),
        "{}",
        miss.stderr
    );
    let gone = run(&["--container", "shop-1"]);
    assert!(
        gone.stderr.contains("crictl ps or docker ps"),
        "{}",
        gone.stderr
    );
    let bad = run(&["--pod", "shop:1"]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr
            .contains("kubectl get pod P -o jsonpath='{.metadata.uid}'"),
        "{}",
        bad.stderr
    );
    let short = run(&["--container", "5e58"]);
    assert!(short.stderr.contains("crictl ps"), "{}", short.stderr);
}

/// Whether the container test can run here: it needs root and podman.
fn container_supported() -> bool {
    util::require(is_root(), "needs root for podman's containers")
        && util::require(
            podman()
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success()),
            "podman (and runc) are not installed",
        )
}

/// Names this process's thread with `name` (as `comm` shows it) and parks it until the
/// returned sender is dropped.
fn named_threads(names: &[&str]) -> (Vec<(u64, String)>, std::sync::mpsc::Sender<()>) {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    for name in names {
        let (stop_rx, tid_tx) = (stop_rx.clone(), tid_tx.clone());
        let name = name.to_string();
        std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                tid_tx.send((util::gettid(), name)).unwrap();
                let _ = stop_rx.lock().unwrap().recv();
            })
            .unwrap();
    }
    let tids = (0..names.len()).map(|_| tid_rx.recv().unwrap()).collect();
    (tids, stop_tx)
}

#[test]
fn several_sort_keys_with_directions_and_no_headers() {
    let (tids, stop) = named_threads(&["hs-b", "hs-a", "hs-c", "hs-a", "hs-b"]);
    let me = std::process::id().to_string();
    let rows = |sort: &str| -> Vec<(String, u64)> {
        let out = run(&[
            "-p",
            &me,
            "-a",
            "-i",
            "0",
            "-f",
            "csv",
            "--no-headers",
            "-o",
            "comm,tid",
            "--sort",
            sort,
        ])
        .ok();
        out.stdout
            .lines()
            .map(|l| {
                let (comm, tid) = l.rsplit_once(',').unwrap();
                (comm.to_string(), tid.parse().unwrap())
            })
            .filter(|(comm, _)| comm.starts_with("hs-"))
            .collect()
    };
    // The truth, from the tids the threads read themselves.
    let mut want: Vec<(String, u64)> = tids.iter().map(|(t, n)| (n.clone(), *t)).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    assert_eq!(rows("+comm,-tid"), want);
    assert_eq!(rows("comm,-tid"), want, "text goes from A by default");
    want.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(rows("-comm,+tid"), want);
    let by_tid = rows("tid");
    assert!(
        by_tid.windows(2).all(|w| w[0].1 > w[1].1),
        "numbers from the highest: {by_tid:?}"
    );

    let table = run(&["-p", &me, "-a", "-i", "0", "-o", "tid,comm", "--no-headers"]).ok();
    assert!(
        !table
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("tid")),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("hs-c"));
    let with = run(&["-p", &me, "-a", "-i", "0", "-o", "tid,comm"]).ok();
    assert!(
        with.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("tid "))
    );
    drop(stop);
}

#[test]
fn compound_durations_and_format_names_in_any_case() {
    let me = std::process::id().to_string();
    let expected = |duration: &str| {
        let out = run(&[
            "sample", "-p", &me, "-a", "-d", duration, "--hz", "10", "-f", "JSON",
        ])
        .ok();
        let summary = out.json().into_iter().find(|l| l["type"] == "summary");
        summary.and_then(|s| s["expected"].as_u64())
    };
    assert_eq!(expected("0m0.3s"), Some(3));
    assert_eq!(expected("0h0m300ms"), Some(3));
    let csv = run(&["-p", &me, "-a", "-i", "0", "-f", "Csv", "-o", "tid"]).ok();
    assert!(csv.stdout.starts_with("tid\n"), "{}", csv.stdout);
    let bad = run(&["sample", "-d", "30s1m"]);
    assert_eq!(bad.status, 2);
    assert!(bad.stderr.contains("(500ms, 1m30s, 2h)"), "{}", bad.stderr);
    // Parsed, and refused only as over a day: the units add up.
    let day = run(&["sample", "-d", "24h0m1s"]);
    assert!(day.stderr.contains("of at most a day"), "{}", day.stderr);
}

/// `n` bytes in binary units as a table writes them: one decimal below 100 of a unit.
fn size(n: u64) -> String {
    let units = ["K", "M", "G", "T", "P", "E"];
    let mut unit = 0;
    while unit < 6 && n >= 1u64 << (10 * (unit + 1)) {
        unit += 1;
    }
    if unit == 0 {
        return n.to_string();
    }
    let value = n as f64 / (1u64 << (10 * unit)) as f64;
    match value < 100.0 {
        true => format!("{value:.1}{}", units[unit - 1]),
        false => format!("{value:.0}{}", units[unit - 1]),
    }
}

/// Milliseconds as a table writes them.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..60 => format!("{s}.{}s", ms % 1000 / 100),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

#[test]
fn tables_show_human_units_and_csv_stays_raw() {
    let _turn = util::cpu_turn();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::Builder::new()
        .name("hab-units".into())
        .spawn(move || {
            use std::io::Read;
            // 5 MiB through read calls, then 1.2 s on a CPU (its own time, however busy the
            // machine), then still.
            let mut zero = std::fs::File::open("/dev/zero").unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            for _ in 0..80 {
                zero.read_exact(&mut buf).unwrap();
            }
            let start = Instant::now();
            let cpu_ns = || {
                let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
                stat.split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            };
            let mut x = 0u64;
            while cpu_ns() < 1_300_000_000 && start.elapsed() < Duration::from_secs(60) {
                for _ in 0..1_000_000 {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
            }
            tid_tx.send(util::gettid()).unwrap();
            let _ = stop_rx.recv();
        })
        .unwrap();
    let tid = tid_rx.recv().unwrap();
    let me = std::process::id().to_string();
    let columns = ["-p", &me, "-a", "-i", "0", "-o", "tid,cputime,rchar,minflt"];
    let csv = run(&[&columns[..], &["-f", "csv"]].concat()).ok();
    let raw: Vec<u64> = csv
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{tid},")))
        .unwrap()
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(raw[0] >= 1200, "cputime in ms: {raw:?}");
    assert!(raw[1] >= 5 << 20, "rchar in bytes: {raw:?}");
    let table = run(&columns).ok();
    let row: Vec<&str> = table
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.first() == Some(&tid.to_string().as_str()))
        .unwrap()
        .into_iter()
        .skip(1)
        .collect();
    assert_eq!(row[0], duration(raw[0]), "{}", table.stdout);
    assert_eq!(row[1], size(raw[1]), "{}", table.stdout);
    assert!(row[1].ends_with('M'), "{row:?}");
    assert_eq!(row[2], raw[2].to_string(), "counts stay numbers");
    let json = run(&[&columns[..], &["-f", "json"]].concat()).ok();
    let line = json.rows().into_iter().find(|r| r["tid"] == tid).unwrap();
    assert_eq!(line["cputime"].as_u64(), Some(raw[0]));
    drop(stop_tx);
    worker.join().unwrap();
}

#[test]
fn report_slices_every_column_the_run_read() {
    let dir = TempDir::new("habits-report");
    let me = std::process::id().to_string();
    let (_tids, stop) = named_threads(&["hab-slice"]);
    let saved = dir.0.join("s.jsonl");
    let file = saved.to_str().unwrap();
    run(&[
        "sample", "-p", &me, "-a", "-d", "0.3", "--hz", "10", "--save", file, "-G", "endpoint",
    ])
    .ok();
    let text = std::fs::read_to_string(&saved).unwrap();
    let row: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["type"] == "row")
        .unwrap();
    let keys: Vec<String> = row.as_object().unwrap().keys().cloned().collect();
    let read: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| !["type", "pass", "time", "host"].contains(k))
        .collect();
    // More than it grouped by: every column its passes read.
    for c in [
        "endpoint", "syscall", "kstack", "cgroup", "cputime", "pcomm",
    ] {
        assert!(read.contains(&c), "{c} not saved: {read:?}");
    }
    for c in &read {
        let out = run(&["report", file, "-G", c, "-f", "json"]).ok();
        let groups: Vec<_> = out
            .json()
            .into_iter()
            .filter(|l| l["type"] == "group")
            .collect();
        assert!(!groups.is_empty(), "report -G {c}");
        assert!(groups.iter().all(|g| g.get(*c).is_some()), "report -G {c}");
    }

    // A column not read names the command that reads it, and that command is accepted.
    for (column, extra) in [
        ("user", &["-d", "0.3"][..]),
        ("throttled", &["-d", "0.6", "-i", "0.3"]),
    ] {
        assert!(!read.contains(&column));
        let missing = run(&["report", file, "-G", column]);
        assert_eq!(missing.status, 2, "{}", missing.stderr);
        let advice = missing
            .stderr
            .split_once('(')
            .and_then(|(_, a)| a.split_once(" reads it)"))
            .map(|(command, _)| command.to_string())
            .unwrap_or_else(|| panic!("{}", missing.stderr));
        let again = dir.0.join(format!("{column}.jsonl"));
        let mut args: Vec<String> = advice
            .split_whitespace()
            .skip(1)
            .map(|w| match w {
                "FILE" => again.to_string_lossy().into_owned(),
                w => w.to_string(),
            })
            .collect();
        assert!(
            advice.starts_with("tsnap ") && advice.contains("--save FILE"),
            "{advice}"
        );
        args.extend(["-p", &me, "-a"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args).ok();
        let sliced = run(&[
            "report",
            again.to_str().unwrap(),
            "-G",
            column,
            "-f",
            "json",
        ])
        .ok();
        assert!(
            sliced
                .json()
                .iter()
                .any(|l| l["type"] == "group" && l.get(column).is_some())
        );
    }
    drop(stop);
}

/// Validates every line of each of `outputs` against docs/schema/tsnap.schema.json with the
/// Python package `jsonschema`; `None` if it is not installed.
fn schema_errors(outputs: &[(&str, &str)]) -> Option<String> {
    let check = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status();
    if !check.is_ok_and(|s| s.success()) {
        return None;
    }
    let dir = TempDir::new("habits-schema");
    let mut args = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/schema/tsnap.schema.json")
            .to_string_lossy()
            .into_owned(),
    ];
    for (i, (what, text)) in outputs.iter().enumerate() {
        assert!(!text.trim().is_empty(), "{what}: no output");
        let path = dir.0.join(format!("{i}-{}.json", what.replace(' ', "_")));
        std::fs::write(&path, text).unwrap();
        args.push(path.to_string_lossy().into_owned());
    }
    const VALIDATE: &str = "
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    for n, line in enumerate(open(path), 1):
        for e in v.iter_errors(json.loads(line)):
            print(f'{path}:{n}: {e.message} at {list(e.absolute_path)}: {line[:200]}')
";
    let out = Command::new("python3")
        .args(["-c", VALIDATE])
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn every_command_writes_json_the_schema_accepts() {
    // Threads with a socket (an endpoint) and a kernel stack to show.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let reader = std::thread::Builder::new()
        .name("hab-reader".into())
        .spawn(move || {
            use std::io::Read;
            let mut s = server;
            let _ = s.read(&mut [0u8; 16]);
        })
        .unwrap();
    let (_tids, stop) = named_threads(&["hab-idle", "hab-idle"]);
    let me = std::process::id().to_string();
    let all_columns = "pid,tid,nid,nspid,ppid,state,statedesc,comm,pcomm,cmdline,exe,user,cgroup,\
                       container,pod,throttled,pcpu,cputime,runq,vcsw,ivcsw,rchar,wchar,rbytes,\
                       wbytes,minflt,majflt,prio,nice,psr,nlwp,wchan,syscall,filename,endpoint,kstack";
    let dir = TempDir::new("habits-json");
    let saved = dir.0.join("s.jsonl");
    let file = saved.to_str().unwrap();
    let p = ["-p", &me];
    let outputs = [
        (
            "snap",
            run(&[
                &p[..],
                &["-a", "-i", "0.1", "-f", "json", "-o", all_columns],
            ]
            .concat()),
        ),
        ("snap all", run(&["-a", "-i", "0", "-f", "json"])),
        (
            "dump",
            run(&[&["dump"][..], &p, &["-i", "0", "-f", "json"]].concat()),
        ),
        (
            "dump collapse",
            run(&[&["dump"][..], &p, &["-i", "0", "-f", "json", "--collapse"]].concat()),
        ),
        (
            "sample",
            run(&[
                &["sample"][..],
                &p,
                &[
                    "-a",
                    "-d",
                    "0.3",
                    "-f",
                    "json",
                    "-G",
                    "endpoint,kstack,syscall",
                    "--save",
                    file,
                ],
            ]
            .concat()),
        ),
        (
            "watch",
            run(&[
                &["watch"][..],
                &p,
                &[
                    "-a",
                    "-i",
                    "0.2",
                    "-d",
                    "0.5",
                    "-f",
                    "json",
                    "-G",
                    "endpoint,kstack,throttled",
                ],
            ]
            .concat()),
        ),
    ];
    let mut texts: Vec<(&str, String)> = outputs
        .into_iter()
        .map(|(what, out)| (what, out.ok().stdout))
        .collect();
    texts.push(("save", std::fs::read_to_string(&saved).unwrap()));
    let report = run(&["report", file, "-f", "json", "-G", "endpoint,kstack,pcpu"]).ok();
    texts.push(("report", report.stdout));
    drop(client);
    reader.join().unwrap();
    drop(stop);

    // The shapes the schema pins, seen here too: kstack a string in every thread, statedesc
    // where dump said description, a limit not set is null.
    for (what, text) in &texts {
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["type"].is_string(), "{what}: {line}");
            assert!(v.get("description").is_none(), "{what}: {line}");
            assert!(
                v["kstack"].is_string() || v["kstack"].is_null(),
                "{what}: {line}"
            );
            assert!(v["cpu_limit_cores"] != "max" && v["memory_limit_bytes"] != "max");
        }
    }
    let kstacks = texts
        .iter()
        .filter(|(w, _)| w.starts_with("snap") || *w == "dump")
        .flat_map(|(_, t)| t.lines())
        .filter(|l| l.contains("\"kstack\":\""))
        .count();
    if is_root() {
        assert!(kstacks > 0, "no kernel stack read as root");
    }
    let refs: Vec<(&str, &str)> = texts.iter().map(|(w, t)| (*w, t.as_str())).collect();
    match schema_errors(&refs) {
        None => {
            util::require(
                false,
                "the schema check: python3 has no jsonschema (pip install jsonschema)",
            );
        }
        Some(errors) => assert!(errors.is_empty(), "{errors}"),
    }
}
