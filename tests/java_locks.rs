//! Locks in a real JVM (tests/java/Locks.java): a ReentrantLock's holder named under
//! `--java-locks`, a monitor with 20 waiters listed with its holder, the JVM's deadlock report
//! as a finding, and `--collapse` keeping the `waiting to lock` lines in its groups.

use crate::util::{TempDir, cpu_turn, require, run};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::MutexGuard;

/// A running Java program of tests/java/; killed when dropped.
pub struct Program {
    child: Child,
    _classes: TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Program {
    /// Compiles tests/java/`class`.java with the machine's javac and runs it with `java` (a
    /// path, or `java`) and `args`, until it prints "ready"; `None` (said why) without a JDK.
    pub fn start(java: &str, class: &str, args: &[&str]) -> Option<Program> {
        let turn = cpu_turn();
        let classes = TempDir::new("javaprog");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/java/{class}.java"));
        let compiled = Command::new("javac")
            .arg("-d")
            .arg(&classes.0)
            .arg(&source)
            .status();
        if !require(compiled.is_ok(), "no javac") {
            return None;
        }
        assert!(compiled.unwrap().success(), "javac failed");
        let mut child = Command::new(java)
            .arg("-cp")
            .arg(&classes.0)
            .arg(class)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start java");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        for line in stdout.lines() {
            match line {
                Ok(l) if l == "ready" => break,
                Ok(_) => {}
                Err(e) => panic!("the JVM did not get ready: {e}"),
            }
        }
        Some(Program {
            child,
            _classes: classes,
            _turn: turn,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lock section's entry (its three lines) for the lock whose first line contains `what`.
fn lock_entry<'a>(dump: &'a str, what: &str) -> Option<Vec<&'a str>> {
    let section = dump
        .split("Contended locks, the holders of the most waiters first:\n")
        .nth(1)?;
    let lines: Vec<&str> = section.lines().collect();
    let at = lines
        .iter()
        .position(|l| !l.starts_with(' ') && l.contains(what))?;
    Some(lines[at..(at + 3).min(lines.len())].to_vec())
}

#[test]
fn a_reentrant_lock_holder_named_under_java_locks() {
    let Some(jvm) = Program::start("java", "Locks", &[]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let with = run(&["dump", "--java-locks", "-p", &pid]).ok().stdout;
    let entry = lock_entry(&with, "ReentrantLock$NonfairSync").expect(&with);
    assert!(entry[0].ends_with(": 1 waiting"), "{entry:?}");
    assert!(
        entry[1].starts_with("    held by \"lock-holder\" TIMED_WAITING"),
        "{entry:?}"
    );
    assert_eq!(entry[2], "    waiting: \"lock-waiter\"");
    // The JVM's own -l list says the same.
    let synchronizers = with.split("\"lock-holder\" tid=").nth(1).unwrap();
    let synchronizers = synchronizers.split("\n\n").next().unwrap();
    assert!(
        synchronizers.contains("Locked ownable synchronizers:"),
        "{synchronizers}"
    );
    assert!(synchronizers.contains(entry[0].split(' ').next().unwrap()));
    // Without -l the JVM does not say who holds it, and tsnap says so.
    let without = run(&["dump", "--java", "-p", &pid]).ok().stdout;
    let entry = lock_entry(&without, "ReentrantLock$NonfairSync").expect(&without);
    assert!(
        entry[1].contains("is listed with --java-locks"),
        "{entry:?}"
    );
    assert!(!without.contains("Locked ownable synchronizers:"));
}

#[test]
fn a_monitor_with_20_waiters_listed_with_its_holder_and_a_deadlock_found() {
    let Some(jvm) = Program::start("java", "Locks", &[]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let dump = run(&["dump", "--java", "-p", &pid]).ok().stdout;
    // The holders of the most waiters first: the monitor's comes first.
    let section = dump.split("Contended locks, the holders of the most waiters first:\n");
    let first = section.clone().nth(1).expect(&dump).lines().next().unwrap();
    assert!(
        first.ends_with("(a java.lang.Object): 20 waiting"),
        "{first}"
    );
    let entry = lock_entry(&dump, ": 20 waiting").unwrap();
    assert!(entry[1].starts_with(
        "    held by \"monitor-holder\" TIMED_WAITING (sleeping) at java.lang.Thread.sleep"
    ));
    assert!(entry[2].ends_with("and 12 more"), "{entry:?}");
    // What the waiters' own entries say they wait for.
    let address = first.split(' ').next().unwrap();
    let waiting = format!("- waiting to lock {address}");
    assert_eq!(dump.matches(&waiting).count(), 20, "{dump}");
    let finding = dump
        .lines()
        .find(|l| l.starts_with("  deadlock: pid "))
        .expect(&dump);
    assert!(
        finding.contains("\"deadlock-a\" waits for a lock held by \"deadlock-b\", which waits for a lock held by \"deadlock-a\"")
            || finding.contains("\"deadlock-b\" waits for a lock held by \"deadlock-a\", which waits for a lock held by \"deadlock-b\""),
        "{finding}"
    );
    let json = run(&["dump", "--java", "-p", &pid, "-f", "json"])
        .ok()
        .stdout;
    let process = json
        .lines()
        .find(|l| l.contains("\"type\":\"process\""))
        .unwrap();
    assert!(
        process.contains("\"findings\":[{\"kind\":\"deadlock\",\"threads\":[\"deadlock-"),
        "{process}"
    );
    assert!(
        process.contains("\"holder\":{\"name\":\"monitor-holder\""),
        "{process}"
    );
}

#[test]
fn collapse_keeps_the_waiting_to_lock_lines() {
    let Some(jvm) = Program::start("java", "Locks", &[]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    let dump = run(&["dump", "--java", "--collapse", "-p", &pid])
        .ok()
        .stdout;
    let group = dump
        .split("\n\n")
        .find(|g| g.starts_with("20 threads: \"monitor-waiter-"))
        .expect(&dump);
    assert!(group.contains("\n        - waiting to lock <0x"), "{group}");
    let json = run(&["dump", "--java", "--collapse", "-p", &pid, "-f", "json"])
        .ok()
        .stdout;
    let group = json
        .lines()
        .find(|l| l.contains("\"threads\":20,"))
        .expect(&json);
    assert!(
        group.contains("\"locks\":[{\"kind\":\"waiting to lock\""),
        "{group}"
    );
}
