//! A real JVM (tests/java/ThreadStates.java, compiled with the machine's javac) with named
//! threads in known states, and tsnap's dump of it joined with jstack's by nid.

use crate::util::{self, TempDir, cpu_turn, foreign_arch, run};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::MutexGuard;

/// A running ThreadStates JVM; killed when dropped (with its wrapper).
pub struct Jvm {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    pub classes: TempDir,
    /// The CPU turn, held by the first JVM a test starts.
    _turn: Option<MutexGuard<'static, ()>>,
}

impl Jvm {
    /// Compiles and starts the program, or says why it cannot (no JDK) and returns `None`.
    pub fn start(extra_java_args: &[&str]) -> Option<Jvm> {
        Jvm::launch(&[], extra_java_args, true)
    }

    /// Starts the program through `wrapper` (a command that runs the rest of its arguments,
    /// such as `setpriv ... --`, or nothing) with `java_args`; `spin`: with its spinner thread.
    /// Its working directory is the directory of its classes, which any user can read.
    pub fn launch(wrapper: &[&str], java_args: &[&str], spin: bool) -> Option<Jvm> {
        Jvm::launch_holding(Some(cpu_turn()), wrapper, java_args, spin)
    }

    /// Starts a second JVM while `first` holds the CPU turn.
    pub fn beside(_first: &Jvm, java_args: &[&str], spin: bool) -> Option<Jvm> {
        Jvm::launch_holding(None, &[], java_args, spin)
    }

    fn launch_holding(
        turn: Option<MutexGuard<'static, ()>>,
        wrapper: &[&str],
        java_args: &[&str],
        spin: bool,
    ) -> Option<Jvm> {
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
                util::require(false, &format!("no javac ({e})"));
                return None;
            }
        }
        // Readable by the user the JVM may run as, whatever the umask.
        use std::os::unix::fs::PermissionsExt;
        let mode = |m| std::fs::Permissions::from_mode(m);
        std::fs::set_permissions(&classes.0, mode(0o755)).unwrap();
        for class in std::fs::read_dir(&classes.0).unwrap() {
            std::fs::set_permissions(class.unwrap().path(), mode(0o644)).unwrap();
        }
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg("java");
                c
            }
            None => Command::new("java"),
        };
        let mut child = command
            .args(java_args)
            .arg("-cp")
            .arg(&classes.0)
            .arg("ThreadStates")
            .args(if spin { None } else { Some("calm") })
            .current_dir(&classes.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start java");
        let stdout = until_ready(&mut child);
        // Let the last threads reach their waits.
        std::thread::sleep(std::time::Duration::from_millis(300));
        Some(Jvm {
            child,
            stdout,
            classes,
            _turn: turn,
        })
    }

    /// The JVM's pid: the child's, or through a wrapper that forks (unshare), its child's.
    pub fn pid(&self) -> u32 {
        let id = self.child.id();
        let comm = std::fs::read_to_string(format!("/proc/{id}/comm")).unwrap_or_default();
        if comm.trim_end() == "java" {
            return id;
        }
        std::fs::read_to_string(format!("/proc/{id}/task/{id}/children"))
            .ok()
            .and_then(|c| c.split_whitespace().next()?.parse().ok())
            .unwrap_or(id)
    }

    /// Closes the JVM's standard input, which makes it exit, and returns how it ended and what
    /// it printed on its standard output after "ready". SIGQUIT makes HotSpot print a thread
    /// dump there, unless it is a request to start its attach listener; a JVM that does not
    /// catch SIGQUIT dies of it.
    pub fn exit(&mut self) -> (ExitStatus, String) {
        drop(self.child.stdin.take());
        let rest: Vec<String> = self.stdout.by_ref().map_while(Result::ok).collect();
        let status = self.child.wait().expect("wait for the JVM");
        (status, rest.join("\n"))
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JVM's standard output once it has printed `ready` (its threads started), the rest
/// still to read.
pub fn until_ready(child: &mut Child) -> Lines<BufReader<ChildStdout>> {
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match stdout.next() {
            Some(Ok(l)) if l == "ready" => return stdout,
            Some(Ok(_)) => {}
            other => panic!("the JVM did not get ready: {other:?}"),
        }
    }
}

/// What jstack prints for the JVM `pid`; `None` (said why) without jstack.
pub fn jstack(pid: u32) -> Option<String> {
    match Command::new("jstack").arg(pid.to_string()).output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!("jstack failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            util::require(false, &format!("jstack not available ({e})"));
            None
        }
    }
}

/// jstack's `nid` for each thread name.
pub fn jstack_nids(pid: u32) -> Option<HashMap<String, String>> {
    let text = jstack(pid)?;
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
    let Some(jvm) = Jvm::start(&[]) else {
        return;
    };
    // jstack first: it starts the JVM's Attach Listener thread, which tsnap then sees too.
    let Some(nids) = jstack_nids(jvm.pid()) else {
        return;
    };
    let spinner_tid = u64::from_str_radix(nids["spinner"].trim_start_matches("0x"), 16).unwrap();
    let window = crate::support::cpu::Window::open(jvm.pid(), spinner_tid);
    let out = run(&["dump", "-p", &jvm.pid().to_string()]).ok();
    let got = window.close();
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
    // Over the dump's 0.5 s window, what the kernel gave the spinner around the run (other
    // work, the JVM's own compiler threads too, may take a CPU from it).
    got.assert_inner(cpu(spinner), 0.5, spinner);
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
