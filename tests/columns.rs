//! The columns of snap and dump against live threads in known states in this process, field
//! by field, against the truth.

use crate::support::cpu;
use crate::util::{self, by_tid, foreign_arch, own_pid, run};
use crate::workload::{Kind, Workload};
use serde_json::Value;

fn text<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {row}"))
}

#[test]
fn threads_in_known_states() {
    let w = Workload::start(
        "known",
        &[
            Kind::PipeReader,
            Kind::Sleeper,
            Kind::Spinner,
            Kind::FutexWaiter,
            Kind::Acceptor,
            Kind::VforkParent,
        ],
    );
    let window = cpu::Window::open(std::process::id(), w.tid(Kind::Spinner));
    let out = run(&["-a", "-p", &own_pid(), "-f", "json", "-G", "nid,pcomm"]).ok();
    let got = window.close();
    let rows = out.json();
    let rows = by_tid(&rows);
    let row = |kind| {
        let tid = w.tid(kind);
        *rows
            .get(&tid)
            .unwrap_or_else(|| panic!("no row for {kind:?} (tid {tid})"))
    };
    for (&kind, &tid) in &w.tids {
        let r = row(kind);
        assert_eq!(r["pid"].as_u64(), Some(u64::from(std::process::id())));
        assert_eq!(text(r, "comm"), w.name(kind));
        assert_eq!(text(r, "nid"), format!("{tid:#x}"));
        assert!(r["minflt"].as_u64().is_some() && r["majflt"].as_u64().is_some());
    }
    let pipe = row(Kind::PipeReader);
    assert_eq!(text(pipe, "state"), "S");
    assert!(!matches!(text(pipe, "wchan"), "" | "0"), "{pipe}");
    assert!(text(pipe, "kstack").contains("read"), "{pipe}");
    assert_eq!(text(row(Kind::Sleeper), "state"), "S");
    assert_eq!(text(row(Kind::FutexWaiter), "state"), "S");
    assert_eq!(text(row(Kind::Acceptor), "state"), "S");
    let spin = row(Kind::Spinner);
    assert_eq!(text(spin, "state"), "R");
    // Over its 0.5 s window, what the kernel gave the spinner around the run.
    got.assert_inner(spin["pcpu"].as_f64().unwrap(), 0.5, "spinner pcpu");
    assert_eq!(text(row(Kind::VforkParent), "state"), "D");
    if foreign_arch() {
        eprintln!("syscall names not checked: tsnap runs emulated for another architecture");
        return;
    }
    assert_eq!(text(pipe, "syscall"), "read");
    assert_eq!(text(pipe, "filename"), format!("pipe:[{}]", w.pipe_inode));
    assert!(
        matches!(
            text(row(Kind::Sleeper), "syscall"),
            "clock_nanosleep" | "nanosleep"
        ),
        "{}",
        row(Kind::Sleeper)
    );
    assert_eq!(text(row(Kind::Sleeper), "filename"), "");
    assert_eq!(text(spin, "syscall"), "[running]");
    assert_eq!(text(row(Kind::FutexWaiter), "syscall"), "futex");
    let accept = row(Kind::Acceptor);
    assert!(
        matches!(text(accept, "syscall"), "accept" | "accept4"),
        "{accept}"
    );
    assert_eq!(
        text(accept, "filename"),
        format!("socket:[{}]", w.socket_inode)
    );
    assert!(matches!(
        text(row(Kind::VforkParent), "syscall"),
        "clone" | "vfork" | "clone3"
    ));
}

#[test]
fn default_shows_only_running_and_uninterruptible() {
    let w = Workload::start(
        "active",
        &[Kind::Spinner, Kind::PipeReader, Kind::VforkParent],
    );
    let out = run(&["-p", &own_pid(), "-f", "json", "-i", "0"]).ok();
    let rows = out.rows();
    for r in &rows {
        assert!(matches!(text(r, "state"), "R" | "D"), "{r}");
    }
    let rows = by_tid(&rows);
    assert!(rows.contains_key(&w.tid(Kind::Spinner)));
    assert!(rows.contains_key(&w.tid(Kind::VforkParent)));
    assert!(!rows.contains_key(&w.tid(Kind::PipeReader)));
}

#[test]
fn lifetime_pcpu_with_interval_zero_is_what_ps_shows() {
    let w = Workload::start("life", &[Kind::Spinner, Kind::Sleeper]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = std::process::id();
    let before = [Kind::Spinner, Kind::Sleeper].map(|k| cpu::lifetime(pid, w.tid(k)));
    let out = run(&[
        "-a",
        "-p",
        &own_pid(),
        "-f",
        "json",
        "-i",
        "0",
        "-o",
        "tid,pcpu",
    ])
    .ok();
    let ps = std::process::Command::new("ps")
        .args(["-L", "-o", "tid=,pcpu=", "-p", &own_pid()])
        .output();
    let Some(ps) = util::required(ps, "ps is not installed (procps)") else {
        return;
    };
    let after = [Kind::Spinner, Kind::Sleeper].map(|k| cpu::lifetime(pid, w.tid(k)));
    let ps = String::from_utf8_lossy(&ps.stdout).into_owned();
    let rows = out.json();
    let rows = by_tid(&rows);
    for (i, kind) in [Kind::Spinner, Kind::Sleeper].into_iter().enumerate() {
        let tid = w.tid(kind);
        let ours = rows[&tid]["pcpu"].as_f64().unwrap();
        let theirs: f64 = ps
            .lines()
            .find_map(|l| {
                let mut f = l.split_whitespace();
                (f.next()?.parse::<u64>().ok()? == tid).then(|| f.next()?.parse().ok())?
            })
            .expect("ps lists the thread");
        // Both are what the kernel said between the test's two reads around them (a thread
        // ~1 s old changes its lifetime share fast on a busy machine), and agree as closely
        // as that lets them.
        let (low, high) = cpu::lifetime_bounds(before[i], after[i]);
        for (who, pcpu) in [("tsnap", ours), ("ps", theirs)] {
            assert!(
                (low - cpu::SLOP..=high + cpu::SLOP).contains(&pcpu),
                "{kind:?}: {who} {pcpu}, the kernel between {low:.1} and {high:.1}"
            );
        }
        assert!(
            (ours - theirs).abs() < 15.0 + (high - low),
            "{kind:?}: tsnap {ours} ps {theirs}"
        );
    }
}

#[test]
fn never_lists_itself() {
    let child = util::tsnap()
        .args(["-a", "-f", "json", "-i", "0", "-o", "pid,tid,comm"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = u64::from(child.id());
    let out = util::finish(child.wait_with_output().unwrap()).ok();
    let rows = out.json();
    assert!(rows.len() > 1);
    assert!(rows.iter().all(|r| r["pid"].as_u64() != Some(pid)));
}

#[test]
fn dump_lists_every_thread_in_tid_order() {
    let w = Workload::start("dump", &[Kind::PipeReader, Kind::Sleeper]);
    let out = run(&["dump", "-p", &own_pid(), "-i", "0"]).ok();
    let mut lines = out.stdout.lines();
    let first = lines.next().unwrap();
    assert!(first.len() >= 19 && first.as_bytes()[4] == b'-', "{first}");
    let header = lines.next().unwrap();
    assert!(
        header.starts_with(&format!("Thread dump of pid {} (", own_pid())),
        "{header}"
    );
    let entries: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('"')).collect();
    let tids: Vec<u64> = entries
        .iter()
        .map(|l| {
            let t = l.split(" tid=").nth(1).unwrap();
            t.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    let mut sorted = tids.clone();
    sorted.sort_unstable();
    assert_eq!(tids, sorted);
    assert!(
        header.contains(&format!("{} threads", tids.len())),
        "{header}"
    );
    let pipe = w.tid(Kind::PipeReader);
    let entry = out
        .stdout
        .split("\n\n")
        .find(|e| e.contains(&format!(" tid={pipe} ")))
        .unwrap();
    assert!(
        entry.starts_with(&format!(
            "\"dump-pipe\" tid={pipe} nid={pipe:#x} state=S (sleeping) cpu="
        )),
        "{entry}"
    );
    if !foreign_arch() {
        assert!(entry.contains("\n    syscall: read\n"), "{entry}");
        assert!(
            entry.contains(&format!("\n    file: pipe:[{}]\n", w.pipe_inode)),
            "{entry}"
        );
    }
    assert!(entry.contains("\n    at "), "{entry}");

    let json = run(&["dump", "-p", &own_pid(), "-i", "0", "-f", "json"])
        .ok()
        .json();
    assert_eq!(json[0]["type"], "process");
    assert_eq!(json[0]["threads"].as_u64(), Some(json.len() as u64 - 1));
    let t = json
        .iter()
        .find(|o| o["tid"].as_u64() == Some(pipe))
        .unwrap();
    assert_eq!(t["type"], "thread");
    assert_eq!(t["nid"], format!("{pipe:#x}"));
    assert!(
        t["kstack"].as_str().is_some_and(|s| s.ends_with("()")),
        "{t}"
    );
}

/// Threads named with the bytes that break naive parsers and terminals, sleeping until told.
pub(crate) fn hostile_threads(
    names: &[&'static [u8]],
) -> (Vec<(u64, &'static [u8])>, std::sync::mpsc::Sender<()>) {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    for &name in names {
        let stop_rx = stop_rx.clone();
        let tid_tx = tid_tx.clone();
        std::thread::spawn(move || {
            let c = std::ffi::CString::new(name).unwrap();
            // SAFETY: PR_SET_NAME reads a NUL-terminated string.
            unsafe { libc::prctl(libc::PR_SET_NAME, c.as_ptr()) };
            tid_tx.send((util::gettid(), name)).unwrap();
            let _ = stop_rx.lock().unwrap().recv();
        });
    }
    let tids = names.iter().map(|_| tid_rx.recv().unwrap()).collect();
    std::thread::sleep(std::time::Duration::from_millis(100));
    (tids, stop_tx)
}

#[test]
fn hostile_names_keep_their_true_name_and_state() {
    let names: [&[u8]; 4] = [b"a) R 1 (b", b"new\nline", b"sp ace)", b"\x1b[31mred"];
    let (tids, _stop) = hostile_threads(&names);
    let out = run(&["-a", "-p", &own_pid(), "-f", "json", "-o", "tid,state,comm"]).ok();
    let rows = out.json();
    let rows = by_tid(&rows);
    for (tid, name) in tids {
        let r = rows[&tid];
        assert_eq!(text(r, "comm").as_bytes(), name);
        assert!(matches!(text(r, "state"), "S" | "R"), "{r}");
    }
    let table = run(&["-a", "-p", &own_pid(), "-i", "0", "-o", "tid,comm"]).ok();
    assert!(table.stdout.contains("new\\nline"), "{}", table.stdout);
    assert!(table.stdout.contains("\\x1b[31mred"), "{}", table.stdout);
    assert!(!table.stdout.bytes().any(|b| b < 0x20 && b != b'\n'));
    let header_fields = table
        .table()
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .count();
    assert_eq!(header_fields, 2);
    // One line per thread: every line under the header starts with a tid.
    for line in table.table().lines().skip(1) {
        let tid = line.split_whitespace().next().unwrap_or_default();
        assert!(tid.parse::<u64>().is_ok(), "{line:?} in {}", table.stdout);
    }
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: sched_getaffinity writes into the zeroed set it is given the size of.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: usize) {
    // SAFETY: sched_setaffinity reads the set it is given the size of.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(
            libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set),
            0
        );
    }
}

/// Spins, named `name` and pinned to `cpu`, until `stop`; sends its tid first.
fn spinner(
    name: &'static str,
    cpu: usize,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tids: std::sync::mpsc::Sender<u64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        pin_to(cpu);
        let c = std::ffi::CString::new(name).unwrap();
        // SAFETY: PR_SET_NAME reads a NUL-terminated string.
        unsafe { libc::prctl(libc::PR_SET_NAME, c.as_ptr()) };
        tids.send(util::gettid()).unwrap();
        let mut n = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    })
}

/// runq and pcpu of thread `tid` of this process over a 1 s window, each checked against
/// what the kernel counted around it; and the percent of the time around it that the kernel
/// counted it waiting on a run queue.
fn runq_and_pcpu(tid: u64) -> (f64, f64, f64) {
    let window = cpu::Window::open(std::process::id(), tid);
    let out = run(&[
        "-p",
        &own_pid(),
        "-a",
        "-f",
        "json",
        "-i",
        "1",
        "-o",
        "tid,runq,pcpu",
    ])
    .ok();
    let got = window.close();
    let rows = out.rows();
    let row = by_tid(&rows)[&tid];
    let value = |key: &str| {
        row[key]
            .as_f64()
            .unwrap_or_else(|| panic!("no {key}: {row}"))
    };
    got.assert_runq(value("runq"), 1.0, "runq");
    got.assert_inner(value("pcpu"), 1.0, "pcpu");
    let kernel = 100.0 * got.wait_ns as f64 / got.wall_ns.max(1) as f64;
    (value("runq"), value("pcpu"), kernel)
}

#[test]
fn runq_rises_when_three_spinners_share_the_cpu() {
    let _cpu = util::cpu_turn();
    // The same thread on the same CPU, first alone, then with three spinners pinned there:
    // whatever else loads the machine weighs on both windows. With k other busy tasks on
    // that CPU it waits k/(k+1) of the time alone and 1 - 1/(4(k+1)) in company; how much
    // more is what the kernel counted around each window, read by the test.
    let Some(&cpu) = allowed_cpus().last() else {
        util::require(false, "no CPU in the affinity mask");
        return;
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let mut threads = vec![spinner("t-runq", cpu, stop.clone(), tx.clone())];
    let tid = rx.recv().unwrap();
    let (alone, alone_pcpu, alone_kernel) = runq_and_pcpu(tid);
    for name in ["t-crowd-1", "t-crowd-2", "t-crowd-3"] {
        threads.push(spinner(name, cpu, stop.clone(), tx.clone()));
        rx.recv().unwrap();
    }
    let (crowded, crowded_pcpu, crowded_kernel) = runq_and_pcpu(tid);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    // Never sleeping, the thread is on its CPU or waiting for it.
    for (runq, pcpu) in [(alone, alone_pcpu), (crowded, crowded_pcpu)] {
        assert!(
            (80.0..=110.0).contains(&(runq + pcpu)),
            "runq {runq} + pcpu {pcpu}"
        );
    }
    // tsnap's runq rose as much as the kernel's wait around its windows did.
    assert!(
        crowded >= 50.0 && crowded - alone >= crowded_kernel - alone_kernel - 20.0,
        "runq alone {alone} (pcpu {alone_pcpu}), with three spinners {crowded} (pcpu {crowded_pcpu}); \
         the kernel around them: {alone_kernel:.1} and {crowded_kernel:.1}"
    );
}

#[test]
fn vcsw_counts_the_sleeps_in_the_window() {
    let _cpu = util::cpu_turn();
    use std::sync::mpsc::channel;
    let (go_tx, go_rx) = channel::<()>();
    let (done_tx, done_rx) = channel::<()>();
    let (tid_tx, tid_rx) = channel();
    let napper = std::thread::spawn(move || {
        let c = std::ffi::CString::new("t-naps").unwrap();
        // SAFETY: PR_SET_NAME reads a NUL-terminated string.
        unsafe { libc::prctl(libc::PR_SET_NAME, c.as_ptr()) };
        tid_tx.send(util::gettid()).unwrap();
        let _ = go_rx.recv();
        for _ in 0..100 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        done_tx.send(()).unwrap();
        let _ = go_rx.recv();
    });
    let tid = tid_rx.recv().unwrap();
    wait_until_blocked(tid);
    let mut child = util::tsnap()
        .args(["-p", &own_pid(), "-a", "-f", "json", "-i", "2"])
        .args(["-o", "tid,comm,vcsw,ivcsw"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // tsnap keeps the file open after the baseline read that opens its window: only then
    // does the thread take its 100 naps.
    let status = format!("/proc/{}/task/{tid}/status", own_pid());
    wait_for_open_file(child.id(), &status);
    go_tx.send(()).unwrap();
    done_rx.recv().unwrap();
    assert!(
        child.try_wait().unwrap().is_none(),
        "the naps took longer than tsnap's 2 s window"
    );
    let out = util::finish(child.wait_with_output().unwrap()).ok();
    drop(go_tx);
    napper.join().unwrap();
    let rows = out.rows();
    let row = by_tid(&rows)[&tid];
    let vcsw = row["vcsw"].as_u64().unwrap();
    // One per nap, and one more when it blocks again after reporting.
    assert!((100..=103).contains(&vcsw), "vcsw {vcsw}: {row}");
    assert!(row["ivcsw"].as_u64().is_some(), "{row}");
}

/// Waits until thread `tid` of this process sleeps.
fn wait_until_blocked(tid: u64) {
    let path = format!("/proc/self/task/{tid}/stat");
    for _ in 0..1000 {
        let stat = std::fs::read_to_string(&path).unwrap();
        if stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('S'))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("thread {tid} never blocked");
}

/// Waits until process `pid` has `path` open.
fn wait_for_open_file(pid: u32, path: &str) {
    for _ in 0..2000 {
        let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == path));
        if open {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("process {pid} never opened {path}");
}

#[test]
fn nspid_and_user_of_own_threads() {
    let w = Workload::start("nspid", &[Kind::Sleeper]);
    let out = run(&[
        "-p",
        &own_pid(),
        "-a",
        "-f",
        "json",
        "-i",
        "0",
        "-o",
        "tid,nspid,user",
    ])
    .ok();
    let rows = out.rows();
    let rows = by_tid(&rows);
    // /proc belongs to this process's pid namespace, where the innermost id is the tid.
    let tid = w.tid(Kind::Sleeper);
    assert_eq!(rows[&tid]["nspid"].as_u64(), Some(tid));
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() }.to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
        })
        .unwrap_or(uid);
    for r in rows.values() {
        assert_eq!(text(r, "user"), name, "{r}");
    }
    assert_eq!(out.stderr, "");
}

/// Splits one CSV line (RFC 4180: quoted fields, `""` for a quote) into its fields.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn hostile_file_names_and_invalid_utf8_in_every_format() {
    use std::os::unix::ffi::OsStrExt;
    let dir = util::TempDir::new("hostile");
    let path_bytes: Vec<u8> = [
        dir.0.as_os_str().as_bytes(),
        b"/we,ird \"q\"\n\x1b[1mname\xff",
    ]
    .concat();
    let path = std::ffi::CString::new(path_bytes.clone()).unwrap();
    // SAFETY: mkfifo and open take the NUL-terminated path; the fd is this test's.
    let fd = unsafe {
        assert_eq!(libc::mkfifo(path.as_ptr(), 0o600), 0);
        libc::open(path.as_ptr(), libc::O_RDWR)
    };
    assert!(fd >= 0);
    let name: &'static [u8] = b"bad\xff\xfe,\"n\"";
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let c = std::ffi::CString::new(name).unwrap();
        // SAFETY: PR_SET_NAME reads a NUL-terminated string; read blocks on our FIFO until
        // the test writes a byte.
        unsafe {
            libc::prctl(libc::PR_SET_NAME, c.as_ptr());
            tx.send(util::gettid()).unwrap();
            let mut b = [0u8; 1];
            libc::read(fd, b.as_mut_ptr().cast(), 1);
        }
    });
    let tid = rx.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let args = |format: &'static str| {
        [
            "-a",
            "-p",
            &own_pid(),
            "-i",
            "0",
            "-o",
            "tid,comm,syscall,filename",
            "-f",
            format,
        ]
        .map(String::from)
    };
    let run_format = |format| {
        let a = args(format);
        run(&a.iter().map(String::as_str).collect::<Vec<_>>()).ok()
    };
    let (table, csv, json) = (run_format("table"), run_format("csv"), run_format("json"));
    // SAFETY: a byte into our FIFO wakes the reader.
    unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
    reader.join().unwrap();
    for (what, out) in [
        ("table", &table.stdout),
        ("csv", &csv.stdout),
        ("json", &json.stdout),
    ] {
        assert!(
            !out.chars().any(|c| c.is_control() && c != '\n'),
            "{what}: a control character reached the output:\n{out:?}"
        );
    }
    for line in table.table().lines().skip(1) {
        let first = line.split_whitespace().next().unwrap_or_default();
        assert!(first.parse::<u64>().is_ok(), "table: {line:?}");
    }
    let mut lines = csv.stdout.lines();
    assert_eq!(lines.next(), Some("tid,comm,syscall,filename"));
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert!(rows.iter().all(|f| f.len() == 4), "{}", csv.stdout);
    let ours = rows
        .iter()
        .find(|f| f[0] == tid.to_string())
        .expect("the reader in the CSV");
    assert_eq!(ours[1], r#"bad\xff\xfe,"n""#);
    let rows = json.rows();
    let row = by_tid(&rows)[&tid];
    assert_eq!(text(row, "comm"), String::from_utf8_lossy(name));
    if !foreign_arch() {
        assert_eq!(text(row, "syscall"), "read");
        assert_eq!(text(row, "filename"), String::from_utf8_lossy(&path_bytes));
        assert!(
            ours[3].ends_with(r#"/we,ird "q"\n\x1b[1mname\xff"#),
            "{}",
            ours[3]
        );
    }
}

/// A thread blocked in select(2) on a pipe nobody writes until the returned waker runs.
fn selecting_thread() -> (u64, impl FnOnce()) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        tx.send(util::gettid()).expect("send");
        let fd = reader.as_raw_fd();
        // SAFETY: an fd_set of zeroes is a valid, empty set.
        let mut set: libc::fd_set = unsafe { std::mem::zeroed() };
        // SAFETY: an open fd, below FD_SETSIZE in a test process.
        unsafe { libc::FD_SET(fd, &mut set) };
        let mut timeout = libc::timeval {
            tv_sec: 120,
            tv_usec: 0,
        };
        // SAFETY: the set and timeout are initialised and live for the call.
        unsafe {
            libc::select(
                fd + 1,
                &mut set,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut timeout,
            )
        };
    });
    let tid = rx.recv().expect("tid");
    (tid, move || {
        let _ = writer.write_all(b"x");
        let _ = thread.join();
    })
}

/// Where tsnap reads the kernel stack, it takes the wchan from its first frame outside the
/// scheduler instead of reading `wchan`: on threads in several waits, that is what the
/// kernel's `wchan` says, read by the test just before and after tsnap (a thread whose
/// `wchan` moved between the two is looked at again).
#[test]
fn wchan_from_the_stack_is_the_kernels() {
    if !util::require(util::is_root(), "needs root to read kernel stacks") {
        return;
    }
    let w = Workload::start(
        "wchanstk",
        &[
            Kind::FutexWaiter,
            Kind::Sleeper,
            Kind::PipeReader,
            Kind::Poller,
        ],
    );
    let (selecting, wake) = selecting_thread();
    let mut waiting: Vec<(String, u64)> = [
        Kind::FutexWaiter,
        Kind::Sleeper,
        Kind::PipeReader,
        Kind::Poller,
    ]
    .iter()
    .map(|&k| (format!("{k:?}"), w.tid(k)))
    .collect();
    waiting.push(("select".to_string(), selecting));
    let kernel = |tid: u64| {
        std::fs::read_to_string(format!("/proc/self/task/{tid}/wchan")).unwrap_or_default()
    };
    let mut agreed = Vec::new();
    for _ in 0..20 {
        let before: Vec<String> = waiting.iter().map(|&(_, tid)| kernel(tid)).collect();
        let out = run(&[
            "-a",
            "-p",
            &own_pid(),
            "-f",
            "json",
            "-o",
            "tid,state,wchan,kstack",
        ])
        .ok();
        let rows = out.json();
        let rows = by_tid(&rows);
        let mut again = Vec::new();
        for ((what, tid), before) in waiting.into_iter().zip(before) {
            let after = kernel(tid);
            let row = rows
                .get(&tid)
                .unwrap_or_else(|| panic!("no row for {what}"));
            if before != after || text(row, "state") != "S" {
                again.push((what, tid));
                continue;
            }
            assert!(
                !matches!(after.as_str(), "" | "0"),
                "{what}: wchan {after:?}"
            );
            assert!(
                !text(row, "kstack").is_empty(),
                "{what}: no kstack in {row}"
            );
            assert_eq!(text(row, "wchan"), after, "{what}: {row}");
            agreed.push(what);
        }
        waiting = again;
        if waiting.is_empty() {
            break;
        }
    }
    wake();
    assert!(
        waiting.is_empty(),
        "never steady: {waiting:?} (agreed: {agreed:?})"
    );
}
