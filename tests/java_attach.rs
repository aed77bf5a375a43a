//! `tsnap dump --java` against real JVMs (tests/java/ThreadStates.java): the JVM's own view of
//! each thread merged with the OS view and checked against jstack's; and the processes tsnap
//! must not hurt: a JVM whose listener already runs gets no signal, one that does not catch
//! SIGQUIT and anything that is not a HotSpot JVM get none either.
//!
//! Whether a JVM got SIGQUIT is read from its standard output, where HotSpot prints a thread
//! dump for every SIGQUIT that is not a request to start its attach listener (the test with
//! `-XX:+DisableAttachMechanism` shows it does), and from how it ended: a JVM that does not
//! catch SIGQUIT dies of it.

use crate::java::{Jvm, jstack};
use crate::unprivileged::run_as_nobody;
use crate::util::{self, Run, foreign_arch, holds, is_root, run};
use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus};

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

#[test]
fn a_jvm_without_its_listener_gets_one_signal_and_the_os_view() {
    let Some(mut jvm) = Jvm::launch(&[], &["-XX:+DisableAttachMechanism"], false) else {
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
    let Some(mut jvm) = Jvm::launch(&[], &["-Xrs", "-XX:+DisableAttachMechanism"], false) else {
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
