//! A real JVM (tests/java/ThreadStates.java, compiled with the machine's javac) with named
//! threads in known states, and tsnap's dump of it joined with jstack's by nid.

use crate::util::{TempDir, foreign_arch, run};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running ThreadStates JVM; killed when dropped.
pub struct Jvm {
    child: Child,
    _classes: TempDir,
}

impl Jvm {
    /// Compiles and starts the program, or says why it cannot (no JDK) and returns `None`.
    pub fn start(extra_java_args: &[&str]) -> Option<Jvm> {
        let classes = TempDir::new("java");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/ThreadStates.java");
        match Command::new("javac")
            .arg("-d")
            .arg(&classes.0)
            .arg(&source)
            .status()
        {
            Ok(s) if s.success() => {}
            Ok(s) => panic!("javac failed: {s}"),
            Err(e) => {
                eprintln!("skipped: no javac ({e})");
                return None;
            }
        }
        let mut child = Command::new("java")
            .args(extra_java_args)
            .arg("-cp")
            .arg(&classes.0)
            .arg("ThreadStates")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start java");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l == "ready" => break,
                Some(Ok(_)) => {}
                other => panic!("the JVM did not get ready: {other:?}"),
            }
        }
        // Let the last threads reach their waits.
        std::thread::sleep(std::time::Duration::from_millis(300));
        Some(Jvm {
            child,
            _classes: classes,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// jstack's `nid` for each thread name.
pub fn jstack_nids(pid: u32) -> Option<HashMap<String, String>> {
    let out = match Command::new("jstack").arg(pid.to_string()).output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("jstack failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            eprintln!("jstack not available ({e})");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(
        text.lines()
            .filter(|l| l.starts_with('"'))
            .filter_map(|l| {
                let name = l[1..].split('"').next()?.to_string();
                let nid = l.split(" nid=").nth(1)?.split(' ').next()?.to_string();
                Some((name, nid))
            })
            .collect(),
    )
}

/// tsnap's dump entries (the text between blank lines that starts with a quote), by nid.
fn dump_entries(dump: &str) -> HashMap<String, String> {
    dump.split("\n\n")
        .filter(|e| e.starts_with('"'))
        .filter_map(|e| {
            let nid = e.split(" nid=").nth(1)?.split(' ').next()?.to_string();
            Some((nid, e.to_string()))
        })
        .collect()
}

#[test]
fn dump_of_a_jvm_joins_jstack_by_nid() {
    let _cpu = crate::util::cpu_lock();
    let Some(jvm) = Jvm::start(&[]) else {
        return;
    };
    // jstack first: it starts the JVM's Attach Listener thread, which tsnap then sees too.
    let Some(nids) = jstack_nids(jvm.pid()) else {
        return;
    };
    let out = run(&["dump", "-p", &jvm.pid().to_string()]).ok();
    let entries = dump_entries(&out.stdout);
    // Every JVM thread jstack lists is in the dump under the same nid, with the name the
    // kernel keeps: the Java name cut to 15 bytes, but for "main", which keeps the
    // launcher's name.
    for (name, nid) in &nids {
        let entry = entries
            .get(nid)
            .unwrap_or_else(|| panic!("no dump entry with nid={nid} ({name})\n{}", out.stdout));
        let short: String = match name.as_str() {
            "main" => "java".to_string(),
            _ => name.bytes().take(15).map(char::from).collect(),
        };
        assert!(
            entry.starts_with(&format!("\"{short}\" tid=")),
            "{name}: {entry}"
        );
    }
    let entry = |name: &str| &entries[&nids[name]];
    let spinner = entry("spinner");
    assert!(spinner.contains(" state=R (running) "), "{spinner}");
    let cpu = |entry: &str| -> f64 {
        entry
            .split(" cpu=")
            .nth(1)
            .and_then(|c| c.split('%').next())
            .and_then(|c| c.parse().ok())
            .unwrap()
    };
    // On two cores a burst of other work (the JVM's own compiler threads) can take a CPU
    // from the spinner for a moment: measure again, twice at most, before calling it wrong.
    let mut spinner_cpu = cpu(spinner);
    for _ in 0..2 {
        if spinner_cpu > 50.0 {
            break;
        }
        let again = run(&["dump", "-p", &jvm.pid().to_string()]).ok();
        spinner_cpu = cpu(&dump_entries(&again.stdout)[&nids["spinner"]]);
    }
    assert!(spinner_cpu > 50.0, "{spinner}");
    for name in [
        "sleeper",
        "monitor-waiter-with-a-long-name",
        "parked-on-reentrant-lock",
        "socket-reader-thread",
    ] {
        assert!(
            entry(name).contains(" state=S (sleeping) "),
            "{}",
            entry(name)
        );
    }
    assert!(entries[&nids["monitor-waiter-with-a-long-name"]].starts_with("\"monitor-waiter-\" "));
    if foreign_arch() {
        return;
    }
    let reader = entry("socket-reader-thread");
    assert!(reader.contains("\n    syscall: read\n"), "{reader}");
    assert!(reader.contains("\n    file: socket:["), "{reader}");
    for name in [
        "sleeper",
        "monitor-waiter-with-a-long-name",
        "parked-on-reentrant-lock",
    ] {
        assert!(
            entry(name).contains("\n    syscall: futex\n"),
            "{}",
            entry(name)
        );
    }
    assert!(spinner.contains("\n    syscall: [running]\n"), "{spinner}");
}
