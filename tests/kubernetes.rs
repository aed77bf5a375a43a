//! The ways into a pod, reproduced with real containers (podman with runc) where there is no
//! cluster, measured, and checked against the README's table of them.
//!
//! The target is distroless-like (tests/containers/build-java-target): a JVM with threads in
//! known states, in an image FROM scratch with no shell and no tar, run as uid 65532. tsnap's
//! image holds only the binary under test, as scripts/image's does, and runs as root.
//! - `kubectl cp` + `kubectl exec`: the binary copied in (`podman cp`, which needs no tar) and
//!   run in the target container as its user (`podman exec`).
//! - `kubectl debug --target`: a container in the target's pid namespace
//!   (`podman run --pid=container:TARGET`) with the privileges each kubectl profile gives,
//!   which kubectl's source sets (pkg/cmd/debug/profiles.go): general adds SYS_PTRACE,
//!   baseline adds nothing, netadmin adds NET_ADMIN and NET_RAW, sysadmin is privileged,
//!   restricted drops every capability, runs as non-root, with no_new_privs and the runtime's
//!   default seccomp profile. On top of what Kubernetes' runtime gives, not podman: containerd's
//!   default capabilities (oci/spec.go, defaultUnixCaps), no seccomp profile unless asked.
//! - A pod-level `runAsUser` applies to the debug container too. Kubernetes then leaves a
//!   non-root container no effective capability, whatever it adds (no ambient capabilities:
//!   kubernetes/kubernetes#56374; kubectl debug warns of it). podman would make added ones
//!   ambient, so non-root debug containers here are given none; the test reads the effective
//!   capabilities of tsnap's process in each case, and the table shows what it read.

use crate::util::{self, Run, TempDir, build_c, finish};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The application's user in the target image.
const APP_UID: u32 = 65532;

/// containerd's default capabilities, which Kubernetes containers start from.
const RUNTIME_DEFAULT: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Capability names by bit, as far as the README needs them.
const CAPABILITIES: [(&str, u32); 17] = [
    ("CHOWN", 0),
    ("DAC_OVERRIDE", 1),
    ("FOWNER", 3),
    ("FSETID", 4),
    ("KILL", 5),
    ("SETGID", 6),
    ("SETUID", 7),
    ("SETPCAP", 8),
    ("NET_BIND_SERVICE", 10),
    ("NET_ADMIN", 12),
    ("NET_RAW", 13),
    ("SYS_CHROOT", 18),
    ("SYS_PTRACE", 19),
    ("SYS_ADMIN", 21),
    ("MKNOD", 27),
    ("AUDIT_WRITE", 29),
    ("SETFCAP", 31),
];

fn bit(name: &str) -> u64 {
    let (_, b) = CAPABILITIES.iter().find(|(n, _)| *n == name).unwrap();
    1 << b
}

fn runtime_default() -> u64 {
    RUNTIME_DEFAULT.iter().fold(0, |mask, c| mask | bit(c))
}

/// podman with runc (crun refuses this machine's hybrid cgroups).
pub fn podman() -> Command {
    let mut c = Command::new("podman");
    c.args(["--runtime", "runc"]);
    c
}

/// Runs podman; its standard output, or a panic with what it said.
fn podman_ok(args: &[&str]) -> String {
    let out = finish(podman().args(args).stdin(Stdio::null()).output().unwrap());
    assert_eq!(out.status, 0, "podman {args:?}: {}", out.stderr);
    out.stdout
}

/// What `podman run` needs on this machine (root lacks CAP_SYS_RESOURCE) and what keeps the
/// containers apart from the network.
const RUN: [&str; 6] = [
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=4096:4096",
    "--network",
    "none",
];

/// A container or image made by a test, removed when dropped, also when the test fails.
pub struct Made {
    kind: &'static str,
    pub name: String,
}

impl Made {
    pub fn container(name: String) -> Made {
        Made {
            kind: "container",
            name,
        }
    }
    pub fn image(name: String) -> Made {
        Made {
            kind: "image",
            name,
        }
    }
    pub fn manifest(name: String) -> Made {
        Made {
            kind: "manifest",
            name,
        }
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        let args: &[&str] = match self.kind {
            "container" => &["rm", "--force", "--time", "0"],
            "manifest" => &["manifest", "rm"],
            _ => &["rmi", "--force"],
        };
        let _ = podman()
            .args(args)
            .arg(&self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A pause container (tests/habits/pause.c) with host name `shop-0`, in the pod `pod` (the
/// `podUID` directory) of the kubelet's burstable cgroup, with `extra` podman arguments: the
/// container, removed when dropped, its root, and its id.
pub fn shop_pod(tag: &str, pod: &str, extra: &[&str]) -> (Made, TempDir, String) {
    let dir = TempDir::new(tag);
    let root = dir.0.join("root");
    std::fs::create_dir(&root).unwrap();
    let pause = build_c(
        "tests/habits/pause.c",
        &format!("{tag}-pause"),
        &["-static"],
    )
    .unwrap_or_else(|e| panic!("gcc -static: {e}"));
    std::fs::copy(&pause, root.join("pause")).unwrap();
    let container = Made::container(unique(tag));
    let name = container.name.clone();
    let id = podman_ok(
        &[
            &["run", "--detach", "--name", &name, "--hostname", "shop-0"][..],
            &RUN,
            &["--cgroup-manager", "cgroupfs"],
            extra,
            &[
                &format!("--cgroup-parent=/kubepods/burstable/{pod}"),
                "--rootfs",
                root.to_str().unwrap(),
                "/pause",
            ],
        ]
        .concat(),
    );
    (container, dir, id.trim().to_string())
}

/// A name for something this test process makes: `tsnap-part8-PID-what`.
pub fn unique(what: &str) -> String {
    format!("tsnap-part8-{}-{what}", std::process::id())
}

/// Whether the container tests can run here: they need root, podman, and the static binary
/// of this machine's architecture (an image FROM scratch has no libc), which `scripts/test`
/// tests in its second pass.
pub fn supported() -> bool {
    let static_bin = std::env::var_os("TSNAP_BIN")
        .and_then(|bin| std::fs::read(bin).ok())
        .is_some_and(|elf| is_static(&elf));
    let podman_runs = || {
        podman()
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    util::applies(
        !util::foreign_arch(),
        "the binary under test is for another architecture",
    ) && util::applies(
        static_bin,
        "needs the static binary (TSNAP_BIN): scripts/test runs these in its second pass",
    ) && util::require(util::is_root(), "needs root for podman's containers")
        && util::require(podman_runs(), "podman (and runc) are not installed")
}

/// A 64-bit ELF executable with no program interpreter.
fn is_static(elf: &[u8]) -> bool {
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    if !elf.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(phoff), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return false;
    };
    const PT_INTERP: u32 = 3;
    (0..usize::from(count)).all(|i| {
        let at = phoff as usize + i * usize::from(size);
        elf.get(at..at + 4)
            .is_some_and(|t| u32::from_le_bytes(t.try_into().unwrap()) != PT_INTERP)
    })
}

/// tsnap's image for the debug containers: FROM scratch, the binary under test at /tsnap.
fn tsnap_image(dir: &Path) -> Made {
    let context = dir.join("tsnap-image");
    std::fs::create_dir(&context).unwrap();
    std::fs::copy(util::binary(), context.join("tsnap")).unwrap();
    std::fs::write(
        context.join("Containerfile"),
        "FROM scratch\nCOPY tsnap /tsnap\nENTRYPOINT [\"/tsnap\"]\n",
    )
    .unwrap();
    let image = Made::image(format!("localhost/{}", unique("tsnap")));
    podman_ok(&[
        "build",
        "--quiet",
        "--layers=false",
        "--tag",
        &image.name,
        &context.to_string_lossy(),
    ]);
    image
}

/// The running target: the JVM, calm (no spinner), with the threads of ThreadStates.
struct Target {
    container: Made,
    /// The JVM's pid on the host.
    pid: u32,
    /// Host thread ids by thread name.
    threads: HashMap<String, u32>,
}

impl Target {
    fn start(image: &str) -> Target {
        let container = Made::container(unique("target"));
        let mut args = vec![
            "run",
            "--detach",
            "--interactive",
            "--name",
            &container.name,
        ];
        args.extend(RUN);
        // A non-root container in a pod has no effective capability.
        args.extend(["--cap-drop", "all", "--security-opt", "seccomp=unconfined"]);
        args.extend([image, "calm"]);
        podman_ok(&args);
        let started = Instant::now();
        while !podman_ok(&["logs", &container.name])
            .lines()
            .any(|l| l == "ready")
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the JVM did not get ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Let the last threads reach their waits.
        std::thread::sleep(Duration::from_millis(300));
        let pid: u32 = podman_ok(&["inspect", "--format", "{{.State.Pid}}", &container.name])
            .trim()
            .parse()
            .unwrap();
        let mut threads = HashMap::new();
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
            let tid: u32 = task.unwrap().file_name().to_string_lossy().parse().unwrap();
            let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap();
            threads.insert(comm.trim_end().to_string(), tid);
        }
        Target {
            container,
            pid,
            threads,
        }
    }

    /// What the host reads (as root, from outside) for thread `name`'s file `file`.
    fn truth(&self, name: &str, file: &str) -> String {
        let tid = self.threads[name];
        std::fs::read_to_string(format!("/proc/{}/task/{tid}/{file}", self.pid)).unwrap()
    }

    /// The targets of the JVM's file descriptors.
    fn fd_links(&self) -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .map(|l| l.to_string_lossy().into_owned())
            .collect()
    }
}

/// One way in: how tsnap runs beside the target.
struct Way {
    /// The first cell of its row in the README's table.
    row: &'static str,
    /// How it is reproduced: `exec` in the target, or `podman run` options.
    exec: bool,
    options: Vec<&'static str>,
}

/// containerd's default capabilities as podman options, after dropping podman's own.
const DEFAULT_CAPS: [&str; 4] = [
    "--cap-drop",
    "all",
    "--cap-add",
    "CHOWN,DAC_OVERRIDE,FSETID,FOWNER,MKNOD,NET_RAW,SETGID,SETUID,SETFCAP,SETPCAP,NET_BIND_SERVICE,SYS_CHROOT,KILL,AUDIT_WRITE",
];

fn ways() -> Vec<Way> {
    let way = |row, options: &[&[&'static str]]| Way {
        row,
        exec: false,
        options: options.concat(),
    };
    let unconfined: &[&str] = &["--security-opt", "seccomp=unconfined"];
    // restricted: no capability, no_new_privs, the runtime's seccomp profile, non-root.
    let restricted: &[&str] = &["--cap-drop", "all", "--security-opt", "no-new-privileges"];
    // A non-root container has no effective capability in a pod, whatever it adds.
    let non_root: &[&str] = &["--cap-drop", "all"];
    let (app, another): (&[&str], &[&str]) = (&["--user", "65532:65532"], &["--user", "1000:1000"]);
    vec![
        Way {
            row: "`kubectl cp`, `kubectl exec`",
            exec: true,
            options: Vec::new(),
        },
        way(
            "`kubectl debug --profile=general` (the default)",
            &[&DEFAULT_CAPS, &["--cap-add", "SYS_PTRACE"], unconfined],
        ),
        way("`--profile=baseline`", &[&DEFAULT_CAPS, unconfined]),
        way(
            "`--profile=netadmin`",
            &[
                &DEFAULT_CAPS,
                &["--cap-add", "NET_ADMIN,NET_RAW"],
                unconfined,
            ],
        ),
        way("`--profile=sysadmin`", &[&["--privileged"]]),
        way(
            "`--profile=restricted`, pod `runAsUser` the app's",
            &[restricted, app],
        ),
        way(
            "`--profile=restricted`, pod `runAsUser` another",
            &[restricted, another],
        ),
        way(
            "`--profile=general`, pod `runAsUser` the app's",
            &[non_root, unconfined, app],
        ),
        way(
            "`--profile=general`, pod `runAsUser` another",
            &[non_root, unconfined, another],
        ),
    ]
}

/// The README's columns after the first, in order.
const HEADER: [&str; 11] = [
    "way in",
    "runs as",
    "effective capabilities",
    "`wchan`",
    "`syscall`",
    "`filename`",
    "`exe`",
    "`user`",
    "`kstack`",
    "`dump --java`",
    "cgroup block",
];

/// The columns of the table, by JSON key.
const COLUMNS: &str = "tid,comm,wchan,syscall,filename,exe,user,kstack";

/// The columns kubectl-tsnap deems readable with no privilege (it asks for the baseline
/// profile when -o names only these): the words of its `case` pattern.
fn plugin_baseline_columns() -> Vec<String> {
    let plugin =
        std::fs::read_to_string(Path::new(MANIFEST).join("scripts/kubectl-tsnap")).unwrap();
    let pattern = plugin
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("pid|tid|"))
        .expect("no list of columns in kubectl-tsnap");
    let words = pattern.strip_suffix(") ;;").unwrap();
    words.split('|').map(String::from).collect()
}

/// What tsnap printed and what its process was, for one way in.
struct Measured {
    snap: Run,
    java: Run,
    uid: u32,
    capabilities: u64,
}

/// Runs tsnap the way `way` says, twice: a snapshot of the JVM's threads (with a one-second
/// window, in which its process's user and capabilities are read from the host) and a
/// `dump --java`.
fn measure(way: &Way, image: &str, target: &Target) -> Measured {
    let columns = format!("{COLUMNS},{}", plugin_baseline_columns().join(","));
    let snap_args = ["-a", "-p", "1", "-f", "json", "-i", "1", "-o", &columns];
    let java_args = [
        "dump",
        "--java",
        "-p",
        "1",
        "-i",
        "0",
        "--java-timeout",
        "10",
    ];
    let command = |args: &[&str]| {
        let mut c = podman();
        if way.exec {
            c.args(["exec", &target.container.name, "/tmp/tsnap"]);
        } else {
            let pid = format!("--pid=container:{}", target.container.name);
            c.args(["run", "--rm", &pid])
                .args(RUN)
                .args(&way.options)
                .arg(image);
        }
        c.args(args).stdin(Stdio::null());
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    };
    let program = if way.exec { "/tmp/tsnap" } else { "/tsnap" };
    let child = command(&snap_args).spawn().unwrap();
    let (uid, capabilities) = watch_for(program, target.pid, &child);
    let snap = finish(child.wait_with_output().unwrap());
    let java = finish(command(&java_args).output().unwrap());
    Measured {
        snap,
        java,
        uid,
        capabilities,
    }
}

/// The real uid and effective capabilities of the process started as `program` (its first
/// argument) in the pid namespace of process `beside` while `child` runs, read from the
/// host's /proc.
fn watch_for(program: &str, beside: u32, child: &std::process::Child) -> (u32, u64) {
    let started = Instant::now();
    let wanted = format!("{program}\0-a\0-p\01\0");
    let pidns = |pid: &Path| std::fs::read_link(pid.join("ns/pid")).ok();
    let target_ns = pidns(&Path::new("/proc").join(beside.to_string()));
    loop {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let path = entry.path();
            let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
                continue;
            };
            if !cmdline.starts_with(wanted.as_bytes()) || pidns(&path) != target_ns {
                continue;
            }
            let Ok(status) = std::fs::read_to_string(path.join("status")) else {
                continue;
            };
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
                    .unwrap()
            };
            let uid = field("Uid:").parse().unwrap();
            let capabilities = u64::from_str_radix(&field("CapEff:"), 16).unwrap();
            return (uid, capabilities);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "tsnap's process (pid {} launcher) was not seen",
            child.id()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The README's cells for what was measured, after checking each against what the host reads.
fn cells(way: &str, m: &Measured, target: &Target) -> Vec<String> {
    let mut cells = Vec::new();
    cells.push(
        match m.uid {
            0 => "root",
            APP_UID => "the app's uid",
            _ => "another uid",
        }
        .to_string(),
    );
    cells.push(capabilities(m.capabilities));

    assert!(
        m.snap.status == 0,
        "tsnap failed: {}\n{}",
        m.snap.stdout,
        m.snap.stderr
    );
    let rows = m.snap.rows();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["comm"] == name)
            .unwrap_or_else(|| panic!("no thread {name} in {}", m.snap.stdout))
    };
    let sleeper = row("sleeper");
    let reader = row("socket-reader-t");
    // What needs no privilege is there in every way in, but for what depends on where the
    // process runs rather than on privilege: a pod (none under podman), a container id and
    // throttling (none where tsnap's cgroup namespace shows the target's cgroup as its root).
    let placed = ["container", "pod", "throttled"];
    for column in plugin_baseline_columns()
        .into_iter()
        .filter(|c| !placed.contains(&c.as_str()))
    {
        assert!(
            !sleeper[&column].is_null(),
            "{way}: no {column} in {sleeper}"
        );
    }
    let footer = |column: &str, needs: &str| {
        let line = m
            .snap
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("{column}: not readable for")))
            .unwrap_or_else(|| {
                panic!(
                    "{way}: no footer line for {column}: {}\n{}",
                    m.snap.stderr, m.snap.stdout
                )
            });
        assert!(line.contains(needs), "{line}");
    };
    let yes = |readable: bool| if readable { "yes" } else { "no" }.to_string();

    // wchan: what the host reads for that thread.
    let wchan = sleeper["wchan"].as_str();
    if let Some(w) = wchan {
        assert_eq!(w, target.truth("sleeper", "wchan"));
    } else {
        footer("wchan", "CAP_SYS_PTRACE");
    }
    cells.push(yes(wchan.is_some()));
    // syscall: Thread.sleep waits in futex.
    let syscall = sleeper["syscall"].as_str();
    if let Some(s) = syscall {
        assert_eq!(s, "futex");
    } else {
        footer("syscall", "CAP_SYS_PTRACE");
    }
    cells.push(yes(syscall.is_some()));
    // filename: one of the JVM's sockets, as the host sees its fds.
    let filename = reader["filename"].as_str();
    if let Some(f) = filename {
        assert!(f.starts_with("socket:["), "{f}");
        assert!(target.fd_links().iter().any(|l| l == f), "{f}");
    }
    cells.push(yes(filename.is_some()));
    let exe = sleeper["exe"].as_str();
    if let Some(e) = exe {
        assert_eq!(e, "/opt/java/bin/java");
    } else {
        footer("exe", "CAP_SYS_PTRACE");
    }
    cells.push(yes(exe.is_some()));
    cells.push(
        match sleeper["user"].as_str() {
            Some("nonroot") => "name",
            Some("65532") => "uid",
            other => panic!("user {other:?}"),
        }
        .to_string(),
    );
    // kstack: outermost first, so it ends in the function the thread waits in.
    let kstack = sleeper["kstack"].as_str();
    if let Some(k) = kstack {
        let wchan = target.truth("sleeper", "wchan");
        assert!(
            k.ends_with(&format!("->{wchan}()")),
            "{k} does not end in {wchan}"
        );
    } else {
        footer("kstack", "CAP_SYS_ADMIN");
    }
    cells.push(yes(kstack.is_some()));

    // dump --java: the JVM's own frames, or a refusal that says what it needs (the dump then
    // shows what /proc shows).
    assert_eq!(m.java.status, 0, "{}", m.java.stderr);
    let java = m.java.stdout.contains("at java.lang.Thread.sleep");
    if !java {
        assert!(
            m.java.stderr.contains("CAP_SYS_PTRACE"),
            "--java refused without saying what it needs: {}",
            m.java.stderr
        );
    }
    cells.push(yes(java));

    let cgroup = m
        .snap
        .json()
        .into_iter()
        .find(|o| o["type"] == "cgroup")
        .expect("no cgroup line");
    cells.push(
        match cgroup["not_visible"].is_null() {
            true => "shown",
            false => "not visible",
        }
        .to_string(),
    );
    cells
}

/// Effective capabilities in the README's words. "all" is every capability this machine's
/// root may hold (its bounding set: here root lacks CAP_SYS_RESOURCE).
fn capabilities(mask: u64) -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
        .unwrap();
    let all = bounding;
    if mask == 0 {
        return "none".into();
    }
    if mask == all {
        return "all".into();
    }
    let default = runtime_default();
    assert_eq!(
        mask & default,
        default,
        "capabilities {mask:#x} are not the runtime's default and more"
    );
    let extra: Vec<&str> = CAPABILITIES
        .iter()
        .filter(|(_, b)| mask & !default & (1 << b) != 0)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        extra.iter().map(|n| bit(n)).sum::<u64>(),
        mask & !default,
        "capabilities without a name here in {mask:#x}"
    );
    match extra.is_empty() {
        true => "runtime's default".into(),
        false => format!("runtime's default + {}", extra.join(", ")),
    }
}

/// docs/kubernetes.md's table of the ways in: its header, and each row's cells by its first.
pub fn readme_table() -> (Vec<String>, Vec<Vec<String>>) {
    let readme = std::fs::read_to_string(Path::new(MANIFEST).join("docs/kubernetes.md")).unwrap();
    let split = |l: &str| -> Vec<String> {
        l.trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("| way in |"))
        .take_while(|l| l.starts_with('|'));
    let header = split(
        lines
            .next()
            .expect("no table of the ways in in docs/kubernetes.md"),
    );
    let rows = lines.skip(1).map(split).collect();
    (header, rows)
}

#[test]
fn each_way_into_a_pod_reads_what_the_readme_table_says() {
    if !supported() {
        return;
    }
    if !util::require(
        Command::new("jlink").arg("--version").output().is_ok(),
        "no jlink (a JDK) to make the target's Java runtime",
    ) {
        return;
    }
    // Yama's ptrace_scope 1 or more denies syscall to a process's own user: the README's table
    // is for a kernel without that restriction, as Debian's is by default.
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").unwrap_or_default();
    if !util::require(
        matches!(yama.trim(), "" | "0"),
        &format!(
            "kernel.yama.ptrace_scope={}, and the README's table is for 0",
            yama.trim()
        ),
    ) {
        return;
    }
    let _turn = util::cpu_turn();
    let dir = TempDir::new("k8s");
    let tsnap = tsnap_image(&dir.0);
    let java = Made::image(format!("localhost/{}", unique("java")));
    let built = Command::new(Path::new(MANIFEST).join("tests/containers/build-java-target"))
        .arg(&java.name)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    // Distroless: no shell, no tar, nothing to run but java.
    let files = Made::container(unique("files"));
    podman_ok(&["create", "--name", &files.name, &java.name]);
    let exported = podman().args(["export", &files.name]).output().unwrap();
    let listing = Command::new("tar")
        .arg("-t")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut tar| {
            use std::io::Write;
            tar.stdin.take().unwrap().write_all(&exported.stdout)?;
            tar.wait_with_output()
        })
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(
        listing.lines().any(|f| f == "opt/java/bin/java"),
        "{listing}"
    );
    for program in ["sh", "bash", "dash", "ash", "busybox", "tar"] {
        assert!(
            !listing
                .lines()
                .any(|f| f.rsplit('/').next() == Some(program)),
            "the target holds {program}"
        );
    }
    drop(files);
    let target = Target::start(&java.name);
    podman_ok(&[
        "cp",
        &util::binary().to_string_lossy(),
        &format!("{}:/tmp/tsnap", target.container.name),
    ]);
    let (header, rows) = readme_table();
    assert_eq!(header, HEADER);
    let ways = ways();
    let mut measured = Vec::new();
    for way in &ways {
        let m = measure(way, &tsnap.name, &target);
        let mut row = vec![way.row.to_string()];
        row.extend(cells(way.row, &m, &target));
        measured.push(row);
    }
    let table = |rows: &[Vec<String>]| -> String {
        rows.iter()
            .map(|r| format!("| {} |\n", r.join(" | ")))
            .collect()
    };
    util::assert_same(
        &table(&rows),
        &table(&measured),
        "the README's table of the ways in",
    );

    readme_recipes_run(&ways, &tsnap.name, &target);
}

/// The first two code blocks of docs/kubernetes.md: the ways into a pod and the node's view.
fn readme_recipes() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(MANIFEST).join("docs/kubernetes.md")).unwrap();
    let mut recipes = Vec::new();
    let (mut inside, mut blocks) = (false, 0);
    for line in readme.lines() {
        if line.starts_with("```") {
            inside = !inside;
            blocks += usize::from(!inside);
            if blocks == 2 {
                break;
            }
        } else if inside {
            recipes.push(line.to_string());
        }
    }
    recipes
}

/// tsnap's arguments in a recipe: what follows `after`.
fn recipe_args(recipe: &str, after: &str) -> Vec<String> {
    let (_, args) = recipe
        .split_once(after)
        .unwrap_or_else(|| panic!("no {after:?} in the README's {recipe:?}"));
    args.split_whitespace().map(String::from).collect()
}

/// The README's recipes, run the ways they stand for: each must succeed, and the node's view
/// must show the target's threads, with their ids in the container, and its cgroup.
fn readme_recipes_run(ways: &[Way], image: &str, target: &Target) {
    let recipes = readme_recipes();
    assert_eq!(recipes.len(), 4, "{recipes:?}");
    let plugin = recipe_args(&recipes[0], "kubectl tsnap POD -- ");
    let debug = recipe_args(
        &recipes[1],
        "kubectl debug -it POD --image=IMAGE --target=CONTAINER -- /tsnap ",
    );
    let copied = recipe_args(
        &recipes[2],
        "kubectl cp tsnap POD:/tmp/tsnap && kubectl exec POD -- /tmp/tsnap ",
    );
    let node = recipe_args(
        &recipes[3],
        "kubectl debug node/NODE -it --profile=sysadmin --image=IMAGE -- /tsnap ",
    );
    assert_eq!(
        plugin, debug,
        "the plugin's line runs what the debug line does"
    );
    let ok = |mut c: Command, what: &str| {
        let out = finish(c.stdin(Stdio::null()).output().unwrap());
        assert_eq!(out.status, 0, "{what}: {}\n{}", out.stdout, out.stderr);
        out
    };
    let pid = format!("--pid=container:{}", target.container.name);
    let mut c = podman();
    c.args(["run", "--rm", &pid])
        .args(RUN)
        .args(&ways[1].options);
    c.arg(image).args(&debug);
    let out = ok(c, "kubectl debug");
    assert!(
        out.stdout.contains("pid tid state pcpu comm"),
        "{}",
        out.stdout
    );
    let mut c = podman();
    c.args(["exec", &target.container.name, "/tmp/tsnap"])
        .args(&copied);
    let out = ok(c, "kubectl exec");
    assert!(
        out.stdout.contains("pid tid state pcpu comm"),
        "{}",
        out.stdout
    );

    // kubectl debug node/NODE --profile=sysadmin: privileged, the host's pid namespace, the
    // host's root at /host.
    let node_run = |extra: &[&str]| {
        let mut c = podman();
        c.args([
            "run",
            "--rm",
            "--privileged",
            "--pid=host",
            "--volume",
            "/:/host:ro",
        ]);
        c.args(RUN).arg(image).args(&node).args(extra);
        ok(c, "the node's view")
    };
    node_run(&[]);
    let out = node_run(&["-a", "-f", "json", "-o", "pid,tid,nspid,comm"]);
    let sleeper = out
        .rows()
        .into_iter()
        .find(|r| r["pid"] == u64::from(target.pid) && r["comm"] == "sleeper")
        .unwrap_or_else(|| {
            panic!(
                "the JVM's sleeper is not in the node's view: {}",
                out.stdout
            )
        });
    let status = target.truth("sleeper", "status");
    let nspid = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .and_then(|ids| ids.split_whitespace().last())
        .unwrap();
    assert_eq!(sleeper["nspid"].to_string(), nspid);
    let id = podman_ok(&["inspect", "--format", "{{.Id}}", &target.container.name]);
    let cgroup = out
        .json()
        .into_iter()
        .find(|o| o["type"] == "cgroup" && o["container"].as_str() == Some(id.trim()))
        .unwrap_or_else(|| panic!("no cgroup of the target's container: {}", out.stdout));
    assert!(cgroup["not_visible"].is_null(), "{cgroup}");
}
