//! Memory a tenant can make tsnap use: the kernel memory of the procfs files kept open
//! across passes, charged to tsnap's memory cgroup (a 15,000-thread tenant, tsnap in a
//! 64 MiB cgroup of its own, and in the tenant's), and huge command lines (`-G cmdline`); and
//! memory that must not grow over long runs of sample at 1000 Hz and watch every 10 ms.

use crate::util::{build_c, is_root, run_wrapped, tsnap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const MIB: u64 = 1 << 20;

/// A memory cgroup of the test's own, below the test's, removed when dropped.
struct MemCgroup {
    dir: PathBuf,
    v2: bool,
}

impl MemCgroup {
    /// Creates it where the memory controller is: its v1 hierarchy, or the v2 one when the
    /// test's cgroup hands the controller down. `None` (and why) when neither can be used.
    fn new(tag: &str) -> Result<MemCgroup, String> {
        let mountinfo =
            std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
        let own = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
        let mut found = None;
        for line in mountinfo.lines() {
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let fields: Vec<&str> = left.split(' ').collect();
            let theirs: Vec<&str> = right.split(' ').collect();
            if fields.len() < 5 || fields[3] != "/" || theirs.len() < 3 {
                continue;
            }
            let v1 = theirs[0] == "cgroup" && theirs[2].split(',').any(|o| o == "memory");
            if v1 {
                let path = own.lines().find_map(|l| {
                    let (_, rest) = l.split_once(':')?;
                    let (controllers, path) = rest.split_once(':')?;
                    controllers
                        .split(',')
                        .any(|c| c == "memory")
                        .then_some(path)
                });
                found = path.map(|p| (PathBuf::from(fields[4]).join(&p[1..]), false));
                break;
            }
            if theirs[0] == "cgroup2" && found.is_none() {
                let path = own.lines().find_map(|l| l.strip_prefix("0::"));
                found = path.map(|p| (PathBuf::from(fields[4]).join(&p[1..]), true));
            }
        }
        let (parent, v2) = found.ok_or("no memory cgroup controller mounted")?;
        if v2 {
            let control =
                std::fs::read_to_string(parent.join("cgroup.subtree_control")).unwrap_or_default();
            if !control.split_whitespace().any(|c| c == "memory") {
                return Err(format!("{} does not hand down memory", parent.display()));
            }
        }
        let dir = parent.join(format!("tsnap-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(MemCgroup { dir, v2 })
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
    }

    fn number(&self, file: &str) -> u64 {
        self.read(file).trim().parse().unwrap_or(0)
    }

    fn set_limit(&self, bytes: u64) {
        let file = if self.v2 {
            "memory.max"
        } else {
            "memory.limit_in_bytes"
        };
        std::fs::write(self.dir.join(file), bytes.to_string()).expect("write the limit");
    }

    fn usage(&self) -> u64 {
        self.number(if self.v2 {
            "memory.current"
        } else {
            "memory.usage_in_bytes"
        })
    }

    /// The high-water mark of its memory, kernel memory included.
    fn peak(&self) -> u64 {
        self.number(if self.v2 {
            "memory.peak"
        } else {
            "memory.max_usage_in_bytes"
        })
    }

    /// Starts the high-water mark again from the usage now (v1; v2's `memory.peak` is
    /// reset per open file only, so the peak there counts from the cgroup's start).
    fn reset_peak(&self) {
        if !self.v2 {
            let _ = std::fs::write(self.dir.join("memory.max_usage_in_bytes"), "0");
        }
    }

    /// Processes the kernel's OOM killer killed in it.
    fn oom_kills(&self) -> u64 {
        let file = if self.v2 {
            "memory.events"
        } else {
            "memory.oom_control"
        };
        let text = self.read(file);
        let kills = text.lines().find_map(|l| l.strip_prefix("oom_kill "));
        kills.and_then(|n| n.trim().parse().ok()).unwrap_or(0)
    }

    /// A wrapper that moves itself into the cgroup, then runs the rest of its command line.
    fn wrapper(&self) -> Vec<String> {
        let script = "echo $$ > \"$1/cgroup.procs\" && shift && exec \"$@\"";
        let dir = self.dir.display().to_string();
        vec!["sh".into(), "-c".into(), script.into(), "sh".into(), dir]
    }
}

impl Drop for MemCgroup {
    fn drop(&mut self) {
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

/// The tenant: `threads` idle threads in one process, started in `cgroup` (or the test's
/// own), until dropped.
struct Tenant {
    child: Child,
    threads: u64,
}

impl Tenant {
    fn start(bin: &PathBuf, threads: u64, cgroup: Option<&MemCgroup>) -> Tenant {
        let wrapper = cgroup.map(MemCgroup::wrapper).unwrap_or_default();
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        let mut child = cmd
            .arg(threads.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the tenant");
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let started = line
            .strip_prefix("ready ")
            .and_then(|n| n.trim().parse().ok());
        Tenant {
            child,
            threads: started.unwrap_or_else(|| panic!("the tenant did not start: {line:?}")),
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The commands measured: `watch` as the DaemonSet runs it, and `sample`.
fn commands(pid: &str) -> [Vec<String>; 2] {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    [
        args(&["watch", "-i", "1", "-f", "json", "-d", "3", "-p", pid]),
        args(&["sample", "-d", "2", "-p", pid]),
    ]
}

/// Runs tsnap with `args` in `cgroup`, from a high-water mark reset to the usage now (v1):
/// what it ended with, the cgroup's peak and the OOM kills in it since it was made.
fn measure(cgroup: &MemCgroup, args: &[String]) -> (crate::util::Run, u64, u64) {
    cgroup.reset_peak();
    let wrapper = cgroup.wrapper();
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_wrapped(&wrapper, &args);
    (out, cgroup.peak(), cgroup.oom_kills())
}

fn tenant_program() -> Result<PathBuf, String> {
    if !is_root() {
        return Err("needs root (memory cgroups)".into());
    }
    build_c("tests/memory/tenant.c", "tenant", &[]).map_err(|e| format!("no tenant: {e}"))
}

/// Each command in a fresh 64 MiB memory cgroup of its own against a fresh tenant of 15,000
/// idle threads: first with the kernel's cache of the threads' procfs entries charged to
/// tsnap too, as on a node where tsnap is the first to look (about 1 KiB a file, which the
/// kernel reclaims at the limit: not OOM-killed), then in another 64 MiB cgroup after a run in
/// the test's own cgroup looked them up, so that only what tsnap itself holds counts (its
/// kept descriptors and its own memory): well under the limit.
#[test]
fn fifteen_thousand_threads_in_a_64_mib_cgroup() {
    let bin = match tenant_program() {
        Ok(bin) => bin,
        Err(e) => {
            crate::util::require(false, &e);
            return;
        }
    };
    let _cpu = crate::util::cpu_turn();
    for (i, args) in commands("0").iter().enumerate() {
        let mut tenant = Tenant::start(&bin, 15_000, None);
        assert!(tenant.threads >= 15_000, "{} threads", tenant.threads);
        let mut args = args.clone();
        *args.last_mut().unwrap() = tenant.pid();
        let mut peaks = Vec::new();
        for run in ["cold", "warm"] {
            let cgroup = match MemCgroup::new(&format!("own{i}{run}")) {
                Ok(c) => c,
                Err(e) => {
                    crate::util::require(false, &e);
                    return;
                }
            };
            cgroup.set_limit(64 * MIB);
            if run == "warm" {
                // The entries looked up (and reclaimed at the limit) charged to the test's.
                let warm: Vec<&str> = args.iter().map(String::as_str).collect();
                crate::util::run(&warm).ok();
            }
            let (out, peak, kills) = measure(&cgroup, &args);
            eprintln!(
                "{} ({run}): peak {} KiB of its own 64 MiB cgroup, {kills} OOM kills",
                args[0],
                peak / 1024
            );
            assert_eq!(kills, 0, "{} was OOM-killed: {}", args[0], out.stderr);
            assert_eq!(out.status, 0, "{}: {}", args[0], out.stderr);
            if args[0] == "sample" {
                crate::util::holds(&out.stdout, "threads 15001");
                crate::util::holds(&out.stdout, "16 MiB of kernel memory kept files may pin");
            }
            assert!(tenant.alive());
            peaks.push(peak);
        }
        assert!(
            peaks[1] < 40 * MIB,
            "{}: peak {} KiB",
            args[0],
            peaks[1] / 1024
        );
    }
}

/// tsnap run inside the application's own cgroup (`kubectl cp` + `exec`): the tenant's
/// cgroup limited to what the tenant uses plus 64 MiB. Each command leaves the tenant alive
/// and is not OOM-killed, the kernel's cache of procfs entries charged to the cgroup as
/// above; run again once the cache holds every entry (the limit lifted for a run, then set
/// again 64 MiB above the usage), it adds well under 64 MiB to the cgroup's peak (v1, whose
/// peak can be started again).
#[test]
fn fifteen_thousand_threads_in_the_tenants_cgroup() {
    let bin = match tenant_program() {
        Ok(bin) => bin,
        Err(e) => {
            crate::util::require(false, &e);
            return;
        }
    };
    let _cpu = crate::util::cpu_turn();
    for (i, args) in commands("0").iter().enumerate() {
        let cgroup = match MemCgroup::new(&format!("shared{i}")) {
            Ok(c) => c,
            Err(e) => {
                crate::util::require(false, &e);
                return;
            }
        };
        let mut tenant = Tenant::start(&bin, 15_000, Some(&cgroup));
        assert!(tenant.threads >= 15_000, "{} threads", tenant.threads);
        cgroup.set_limit(cgroup.usage() + 64 * MIB);
        let mut args = args.clone();
        *args.last_mut().unwrap() = tenant.pid();
        for run in ["cold", "warm"] {
            if run == "warm" {
                // Every entry looked up charged to the cgroup, with no limit to reclaim them.
                cgroup.set_limit(u64::MAX >> 2);
                measure(&cgroup, &args).0.ok();
                cgroup.set_limit(cgroup.usage() + 64 * MIB);
            }
            let before = cgroup.usage();
            let (out, peak, kills) = measure(&cgroup, &args);
            let added = peak.saturating_sub(before);
            eprintln!(
                "{} ({run}): the tenant's cgroup at {} KiB, peak {} KiB with tsnap in it \
                 (+{} KiB), {kills} OOM kills",
                args[0],
                before / 1024,
                peak / 1024,
                added / 1024
            );
            assert_eq!(kills, 0, "OOM kill in the tenant's cgroup: {}", out.stderr);
            assert!(tenant.alive(), "the tenant was killed");
            assert_eq!(out.status, 0, "{}: {}", args[0], out.stderr);
            if run == "warm" && !cgroup.v2 {
                assert!(added < 40 * MIB, "{}: +{} KiB", args[0], added / 1024);
            }
        }
    }
}

/// Starts `sh` with a command line of about 6 MiB (ARG_MAX under a stack limit of 24 MiB or
/// more: 60 arguments of 100,000 bytes, each under MAX_ARG_STRLEN), running `script`.
fn huge_command_line(script: &str) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script, "sh"]);
    for i in 0..60u8 {
        cmd.arg(String::from(char::from(b'a' + i % 26)).repeat(100_000));
    }
    // SAFETY: getrlimit and setrlimit are async-signal-safe, as a pre_exec hook must be.
    unsafe {
        cmd.pre_exec(|| {
            let mut limit: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_STACK, &mut limit);
            limit.rlim_cur = limit.rlim_max.min(64 << 20);
            libc::setrlimit(libc::RLIMIT_STACK, &limit);
            Ok(())
        });
    }
    cmd.stdin(Stdio::piped())
        .spawn()
        .expect("start sh with a huge command line")
}

/// Runs tsnap with `args`, its output into a file: the output and tsnap's peak RSS in KiB,
/// its `VmHWM` read until it exits (a high-water mark: the last reading holds the peaks
/// before it).
fn run_measured(args: &[&str]) -> (String, u64) {
    let dir = crate::util::TempDir::new("cmdline");
    let path = dir.0.join("out");
    let file = std::fs::File::create(&path).unwrap();
    let mut child = crate::util::tsnap()
        .args(args)
        .stdin(Stdio::null())
        .stdout(file)
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut hwm = 0;
    let exited = loop {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        let kib = text.lines().find_map(|l| l.strip_prefix("VmHWM:"));
        let kib = kib.and_then(|v| v.trim().trim_end_matches(" kB").parse().ok());
        hwm = hwm.max(kib.unwrap_or(0));
        if let Some(exited) = child.try_wait().unwrap() {
            break exited;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(exited.success(), "{args:?}: {exited}");
    (std::fs::read_to_string(&path).unwrap(), hwm)
}

/// Four processes with command lines of about 6 MiB, one of them spinning: `watch` and
/// `sample` with `-G cmdline` show each cut to its first 4 KiB, then the mark with its whole
/// length (read by the test); rows stay small, and tsnap's RSS does not grow with them.
#[test]
fn six_mib_command_lines() {
    let _cpu = crate::util::cpu_turn();
    let mut children = vec![huge_command_line("while :; do :; done")];
    for _ in 0..3 {
        children.push(huge_command_line("read x"));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let truth = std::fs::read(format!("/proc/{}/cmdline", children[0].id())).unwrap();
    assert!(truth.len() > 6_000_000, "{} bytes", truth.len());
    let first: String = truth[..4096]
        .iter()
        .map(|&b| if b == 0 { ' ' } else { char::from(b) })
        .collect();
    let mark = format!("...[{} bytes]", truth.len());
    let pids: Vec<String> = children.iter().map(|c| c.id().to_string()).collect();
    let pids = pids.join(",");
    let (watch, watch_rss) = run_measured(&[
        "watch", "-p", &pids, "-G", "cmdline", "-f", "json", "-i", "0.2", "-d", "1.1",
    ]);
    let (sample, sample_rss) = run_measured(&["sample", "-p", &pids, "-G", "cmdline", "-d", "1"]);
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    eprintln!("watch: peak RSS {watch_rss} KiB, sample: {sample_rss} KiB");
    let rows: Vec<serde_json::Value> = watch
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 3, "{} rows", rows.len());
    for (row, line) in rows.iter().zip(watch.lines()) {
        assert!(line.len() < 8192, "a row of {} bytes", line.len());
        assert_eq!(row["cmdline"], format!("{first}{mark}"));
    }
    crate::util::holds(&sample, &mark);
    assert!(sample.len() < 64 * 1024, "{} bytes of report", sample.len());
    for rss in [watch_rss, sample_rss] {
        assert!(rss < 16 * 1024, "peak RSS {rss} KiB");
    }
}

/// A process with a few threads that do nothing (this test binary run again), for runs that
/// must see the same threads throughout.
#[test]
#[ignore = "the steady process of the long-run tests"]
fn steady_process() {
    if std::env::var_os("TSNAP_STEADY").is_none() {
        return;
    }
    for _ in 0..4 {
        std::thread::spawn(|| std::thread::sleep(Duration::from_secs(3600)));
    }
    println!("ready");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    let _ = std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]);
}

/// `VmRSS` of a process, in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs tsnap with `args` for 20 seconds and checks that its memory after 5 seconds and at
/// the end differ by at most one page.
fn memory_stays_flat(args: &[&str]) {
    let _cpu = crate::util::cpu_turn();
    let target = crate::util::SelfProcess::start("memory::steady_process", "TSNAP_STEADY", "1");
    let pid = target.pid().to_string();
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["-a", "-p", &pid, "-d", "20"]);
    let mut child = tsnap()
        .args(&full)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(5));
    let early = rss_kb(child.id());
    std::thread::sleep(Duration::from_millis(14_500));
    let late = rss_kb(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "{args:?}: {status}");
    assert!(early > 0, "{args:?}: no VmRSS read");
    assert!(
        late <= early + 4,
        "{args:?}: VmRSS grew from {early} kB after 5 s to {late} kB after 19.5 s"
    );
    drop(target);
}

#[test]
fn sample_at_1000_hz_keeps_its_memory() {
    memory_stays_flat(&["sample", "--hz", "1000"]);
}

#[test]
fn watch_every_10_ms_keeps_its_memory() {
    memory_stays_flat(&["watch", "-i", "0.01"]);
}
