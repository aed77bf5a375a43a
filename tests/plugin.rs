//! scripts/kubectl-tsnap, the kubectl plugin, against a stand-in for kubectl
//! (tests/plugin/kubectl). There is no Kubernetes cluster here, so the stand-in is the one fake
//! in these tests: it records every command line the plugin gives kubectl and plays the answers
//! a cluster would give (a pod with tar, a distroless pod, a refused permission, an image the
//! node cannot pull, a pod that is not running). What these tests check is the plugin's side:
//! the exact arguments of each kubectl command, in order, whatever bytes the names and
//! tsnap's arguments hold, what it prints, and its exit status. What tsnap sees in each way
//! in is measured with real containers in tests/kubernetes.rs.
//!
//! A file per feature of the plugin: the tar way in (`tar`), the ephemeral container's
//! (`ephemeral`), `fetch`, and what it is given and prints (`input`); here the stand-in and
//! the check that the scripts are shellcheck clean.

mod ephemeral;
mod fetch;
mod input;
mod tar;

use crate::util::{self, Run, TempDir, finish, holds};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn plugin() -> PathBuf {
    Path::new(MANIFEST).join("scripts/kubectl-tsnap")
}

/// A scenario: the stand-in's answers, where the binaries are, and what it recorded.
struct Cluster {
    dir: TempDir,
    /// The directory the plugin finds the tsnap binaries in.
    binaries: PathBuf,
    /// The plugin's working directory, which must stay empty.
    cwd: PathBuf,
}

/// What a pod answers to the plugin's `kubectl get pod`: phase, containers, which run.
fn pod_answer(phase: &str, containers: &[&str], running: &[&str]) -> String {
    let mut out = format!("phase\t{phase}\ndefault\t\n");
    for c in containers {
        out += &format!("container\t{c}\n");
    }
    for c in running {
        out += &format!("running\t{c}\t2026-11-30T10:00:00Z\n");
    }
    out
}

const PROBE_OK: &str = "tsnap-probe ok x86_64 /tmp/tsnap.Ab3dE9\n";

const NO_SHELL: &str = "error: Internal error occurred: error executing command in container: \
    failed to exec in container: failed to start exec \"4f2a\": OCI runtime exec failed: exec \
    failed: unable to start container process: exec: \"sh\": executable file not found in $PATH: \
    unknown\n";

const CREATING: &str = "waiting\tContainerCreating\t\nrunning\t\nterminated\t\n";

const RUNNING: &str = "waiting\t\t\nrunning\t2026-11-30T10:00:05Z\nterminated\t\n";

const IMAGE: &str = "registry.example/tools/tsnap:0.1.0";

impl Cluster {
    fn new() -> Cluster {
        let dir = TempDir::new("kubectl");
        let binaries = dir.0.join("binaries");
        let cwd = dir.0.join("cwd");
        for d in [&binaries, &cwd] {
            std::fs::create_dir(d).unwrap();
        }
        for arch in ["x86_64", "aarch64"] {
            std::fs::write(binaries.join(format!("tsnap-{arch}-linux-musl")), arch).unwrap();
        }
        Cluster { dir, binaries, cwd }
    }

    /// What calls of `kind` answer (`kind.N` for the Nth call only).
    fn answer(&self, kind: &str, out: &str, err: &str, rc: i32) -> &Cluster {
        let file = |ext: &str| self.dir.0.join(format!("{kind}.{ext}"));
        std::fs::write(file("out"), out).unwrap();
        std::fs::write(file("err"), err).unwrap();
        std::fs::write(file("rc"), rc.to_string()).unwrap();
        self
    }

    fn pod(&self, phase: &str, containers: &[&str], running: &[&str]) -> &Cluster {
        self.answer("pod", &pod_answer(phase, containers, running), "", 0)
    }

    /// A running pod with one container, `app`, whose shell answers the probe with `probe`.
    fn with_tar(&self, probe: &str) -> &Cluster {
        self.pod("Running", &["app"], &["app"]);
        self.answer("probe", probe, "", 0)
    }

    /// A running pod whose container `app` has no shell; the ephemeral container runs at once,
    /// prints `logs` and ends with `exit`.
    fn distroless(&self, logs: &str, exit: i32) -> &Cluster {
        self.pod("Running", &["app"], &["app"]);
        self.answer("probe", "", NO_SHELL, 1);
        self.answer("state.1", RUNNING, "", 0);
        self.answer(
            "state",
            &format!("waiting\t\t\nrunning\t\nterminated\t{exit}\n"),
            "",
            0,
        );
        self.answer("logs", logs, "", 0)
    }

    fn command(&self, shell: Option<&str>, args: &[&str]) -> Command {
        let mut c = match shell {
            Some(sh) => {
                let mut c = Command::new(sh);
                c.arg(plugin());
                c
            }
            None => Command::new(plugin()),
        };
        c.args(args)
            .current_dir(&self.cwd)
            .env("PATH", format!("{MANIFEST}/tests/plugin:/usr/bin:/bin"))
            .env("KUBECTL_FAKE", &self.dir.0)
            .env("TSNAP_BINARIES", &self.binaries)
            .env("TMPDIR", &self.dir.0)
            .env_remove("TSNAP_IMAGE")
            .stdin(Stdio::null());
        c
    }

    /// Runs the plugin with `args`, by its `#!/bin/sh` line.
    fn run(&self, args: &[&str]) -> Run {
        self.run_with(None, args)
    }

    fn run_with(&self, shell: Option<&str>, args: &[&str]) -> Run {
        let out = finish(self.command(shell, args).output().unwrap());
        let left: Vec<_> = std::fs::read_dir(&self.cwd).unwrap().collect();
        assert!(
            left.is_empty(),
            "files appeared in the working directory: {left:?}"
        );
        let temp: Vec<_> = std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("kubectl-tsnap.")
            })
            .collect();
        assert!(temp.is_empty(), "the plugin left its temporary directory");
        out
    }

    /// Every kubectl command line, in order.
    fn calls(&self) -> Vec<Vec<String>> {
        let raw = std::fs::read(self.dir.0.join("argv")).unwrap_or_default();
        let mut fields = raw
            .split(|&b| b == 0)
            .map(|f| String::from_utf8(f.to_vec()).unwrap());
        let mut calls = Vec::new();
        while let Some(n) = fields.next() {
            if n.is_empty() {
                break;
            }
            let n: usize = n.parse().unwrap();
            calls.push(fields.by_ref().take(n).collect());
        }
        calls
    }

    fn binary(&self, arch: &str) -> String {
        self.binaries
            .join(format!("tsnap-{arch}-linux-musl"))
            .to_string_lossy()
            .into_owned()
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The calls with the long texts the plugin passes (its jsonpath templates and its probe)
/// replaced by what they are, so that whole command lines can be compared.
fn shapes(calls: &[Vec<String>]) -> Vec<Vec<String>> {
    calls
        .iter()
        .map(|c| {
            c.iter()
                .map(|a| {
                    if a.starts_with("--output=jsonpath=") {
                        if a.contains("ephemeralContainerStatuses") {
                            "STATE".to_string()
                        } else {
                            "POD".to_string()
                        }
                    } else if a.starts_with("command -v tar") {
                        "PROBE".to_string()
                    } else {
                        a.clone()
                    }
                })
                .collect()
        })
        .collect()
}

/// The name the plugin gave its ephemeral container, from its `kubectl debug`.
fn debug_name(calls: &[Vec<String>]) -> String {
    calls
        .iter()
        .flatten()
        .find_map(|a| a.strip_prefix("--container=tsnap-"))
        .map(|n| format!("tsnap-{n}"))
        .expect("no ephemeral container")
}

/// The plugin's run, which must have succeeded.
fn succeeded(run: Run) -> Run {
    assert_eq!(
        run.status, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}

#[test]
fn scripts_are_shellcheck_clean() {
    let sh = ["scripts/kubectl-tsnap", "tests/plugin/kubectl"];
    let bash = [
        "scripts/image",
        "scripts/release",
        "tests/containers/build-java-target",
    ];
    let check = |shell: &str, files: &[&str]| match Command::new("shellcheck")
        .arg(format!("--shell={shell}"))
        .args(files)
        .current_dir(MANIFEST)
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "shellcheck:\n{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            true
        }
        Err(e) => util::require(false, &format!("shellcheck is not installed ({e})")),
    };
    if check("sh", &sh) {
        check("bash", &bash);
    }
}
