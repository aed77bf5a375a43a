//! Targets that go away: a process that exits during snap's or dump's window is said so,
//! watch ends when its targets are gone, sample names the pass its target left after.

use std::time::{Duration, Instant};

/// A process to kill: `sleep`, reaped when dropped.
struct Victim(std::process::Child);

impl Victim {
    fn start() -> Victim {
        Victim(
            std::process::Command::new("sleep")
                .arg("60")
                .spawn()
                .unwrap(),
        )
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Kills it after `after`, from another thread, and reaps it there, as a real parent
    /// would: a zombie is still a process.
    fn kill_after(&self, after: Duration) {
        let pid = self.0.id() as i32;
        std::thread::spawn(move || {
            std::thread::sleep(after);
            // SAFETY: kill and waitpid have no memory-safety preconditions.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        });
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_target_that_exits_during_the_window_is_said_so() {
    for command in ["dump", "snap"] {
        let victim = Victim::start();
        victim.kill_after(Duration::from_millis(500));
        let all: &[&str] = if command == "snap" { &["-a"] } else { &[] };
        let pid = victim.pid();
        let mut args = vec![command, "-p", &pid, "-i", "2"];
        args.extend(all);
        let out = crate::util::run(&args);
        // `snap -a` and `dump` would show the process's one thread if it were there.
        assert_eq!(out.status, 1, "{command}: {}", out.stdout);
        assert!(out.stdout.is_empty() || command == "snap", "{}", out.stdout);
        assert!(!out.stdout.contains("sleep"), "{command}: {}", out.stdout);
        assert!(
            out.stderr
                .contains(&format!("pid {} exited meanwhile", victim.pid()))
                && out.stderr.contains("nothing left to show"),
            "{command}: {}",
            out.stderr
        );
    }
}

#[test]
fn watch_ends_when_its_targets_are_gone() {
    let victim = Victim::start();
    victim.kill_after(Duration::from_millis(1500));
    let start = Instant::now();
    let out = crate::util::run(&["watch", "-a", "-p", &victim.pid(), "-i", "0.2"]);
    assert!(
        start.elapsed() < Duration::from_millis(3500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("every selected process has exited"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("sleep"), "{}", out.stdout);
}

#[test]
fn sample_names_the_pass_its_target_left_after() {
    let victim = Victim::start();
    victim.kill_after(Duration::from_millis(1000));
    let out = crate::util::run(&[
        "sample",
        "-a",
        "-p",
        &victim.pid(),
        "-d",
        "10",
        "-f",
        "json",
    ])
    .ok();
    let summary = out.json().pop().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["ended_early"], true, "{summary}");
    let exit = &summary["exited"][0];
    assert_eq!(exit["pid"].as_u64(), Some(u64::from(victim.0.id())));
    let after = exit["after_pass"].as_u64().unwrap();
    // 20 passes a second, killed after one second.
    assert!((15..=25).contains(&after), "{summary}");
    assert_eq!(summary["passes"].as_u64(), Some(after), "{summary}");
    let table = crate::util::run(&["sample", "-a", "-p", &victim.pid(), "-d", "1"]);
    assert_eq!(
        table.status, 1,
        "a pid that is gone matches nothing: {}",
        table.stdout
    );
}
