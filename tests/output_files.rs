//! The files tsnap writes (`--output-dir`, `--save`), against a user who can write where they
//! go: a link planted under the next file's name (the victim, a root-owned file, must stay as
//! it was), a FIFO (watch must still end on time), a directory anyone can write, files named
//! like tsnap's but not its own; who can read a capture; and a tenant flooding the capture
//! under `--max-mb` with threads in D while another container's rows must still be written.

use crate::util::{self, Started, TempDir, build_c, holds, is_root, own_pid};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The unprivileged user that plants links and reads captures.
const NOBODY: &str = "65534";

/// Runs `args` as uid and gid 65534, without supplementary groups.
fn as_nobody(args: &[&str]) -> std::process::Output {
    Command::new("setpriv")
        .args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run setpriv")
}

/// The names of tsnap's hourly files (`extension` `csv` or `jsonl`) for this UTC hour and
/// the next (tsnap names them in local time: the tests run it with TZ=UTC).
fn hour_names(extension: &str) -> [String; 2] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    [now, now + 3600].map(|secs| {
        let out = Command::new("date")
            .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%d.%H"])
            .output()
            .unwrap();
        format!(
            "tsnap-{}.{extension}",
            String::from_utf8_lossy(&out.stdout).trim()
        )
    })
}

/// A directory `name` in `parent` with `mode` (set exactly), owned by root.
fn shared_dir(parent: &Path, name: &str, mode: u32) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

/// A root-owned file that a planted link points at, with what it holds.
fn victim(dir: &Path) -> (PathBuf, Vec<u8>) {
    let path = dir.join("victim");
    let content = b"root's own file\n".to_vec();
    std::fs::write(&path, &content).unwrap();
    (path, content)
}

/// Runs tsnap with `args` in UTC, watching this test process's threads.
fn tsnap_utc(args: &[&str]) -> util::Run {
    util::finish(
        util::tsnap()
            .args(args)
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn a_link_planted_in_the_output_dir_is_not_followed_by_root() {
    if !util::require(is_root(), "needs root (the attack is on a root watch)") {
        return;
    }
    let tmp = TempDir::new("planted");
    let (target, before) = victim(&tmp.0);
    // Sticky and writable by anyone, as /tmp: root may write there, and so may the planter.
    let shared = shared_dir(&tmp.0, "shared", 0o1777);
    for name in hour_names("csv") {
        let link = shared.join(&name);
        let planted = as_nobody(&["ln", "-s", target.to_str().unwrap(), link.to_str().unwrap()]);
        assert!(planted.status.success(), "{planted:?}");
        assert_eq!(std::fs::symlink_metadata(&link).unwrap().uid(), 65534);
    }
    let pid = own_pid();
    let watch = || {
        tsnap_utc(&[
            "watch",
            "-a",
            "-i",
            "0.2",
            "-d",
            "1",
            "-p",
            &pid,
            "-o",
            "tid,comm",
            "--output-dir",
            shared.to_str().unwrap(),
        ])
    };
    let started = Instant::now();
    let out = watch();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status, 1, "{}", out.stderr);
    holds(&out.stderr, "it is a symbolic link, which is not followed");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the victim was written"
    );
    // A hard link to root's file, as a planter makes one where fs.protected_hardlinks is off:
    // root's own regular file, but with another name.
    for name in hour_names("csv") {
        std::fs::remove_file(shared.join(&name)).unwrap();
        std::fs::hard_link(&target, shared.join(&name)).unwrap();
    }
    let out = watch();
    assert_eq!(out.status, 1, "{}", out.stderr);
    holds(
        &out.stderr,
        "not a regular file of tsnap's user (uid 0) with one name",
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the victim was written"
    );
}

#[test]
fn a_directory_anyone_can_write_without_the_sticky_bit_is_refused_as_root() {
    if !util::require(is_root(), "needs root (only root refuses such a directory)") {
        return;
    }
    let tmp = TempDir::new("open");
    let (target, before) = victim(&tmp.0);
    let open = shared_dir(&tmp.0, "open", 0o777);
    let [name, _] = hour_names("csv");
    let link = open.join(&name);
    assert!(
        as_nobody(&["ln", "-s", target.to_str().unwrap(), link.to_str().unwrap()])
            .status
            .success()
    );
    let pid = own_pid();
    // watch for half a second, writing where `to` says (`--output-dir DIR`, `--save FILE`).
    let watch = |to: &[&str]| tsnap_utc(&[&["watch", "-d", "0.5", "-p", &pid][..], to].concat());
    for to in [
        ["--output-dir", open.to_str().unwrap()],
        ["--save", link.to_str().unwrap()],
    ] {
        let out = watch(&to);
        assert_eq!(out.status, 2, "{to:?}: {}", out.stderr);
        holds(&out.stderr, "refusing to write as root into ");
        holds(&out.stderr, "lacks the sticky bit");
    }
    // A directory of another user, not sticky: the same.
    let theirs = shared_dir(&tmp.0, "theirs", 0o755);
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let into_theirs = ["--output-dir", theirs.to_str().unwrap()];
    let out = watch(&into_theirs);
    assert_eq!(out.status, 2, "{}", out.stderr);
    holds(&out.stderr, "owner uid 65534");
    // Sticky, but its owner may still rename and delete what is in it.
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let out = watch(&into_theirs);
    assert_eq!(out.status, 2, "{}", out.stderr);
    holds(
        &out.stderr,
        "(mode 1777, owner uid 65534); use a directory of root's",
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the victim was written"
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
}

#[test]
fn save_through_a_planted_link_is_refused() {
    if !util::require(is_root(), "needs root (the attack is on a root tsnap)") {
        return;
    }
    let tmp = TempDir::new("save");
    let (target, before) = victim(&tmp.0);
    let shared = shared_dir(&tmp.0, "shared", 0o1777);
    let link = shared.join("s.jsonl");
    assert!(
        as_nobody(&["ln", "-s", target.to_str().unwrap(), link.to_str().unwrap()])
            .status
            .success()
    );
    let pid = own_pid();
    for command in [["watch", "-d"], ["sample", "-d"]] {
        let out = tsnap_utc(&[
            command[0],
            command[1],
            "0.3",
            "-p",
            &pid,
            "--save",
            link.to_str().unwrap(),
        ]);
        assert_eq!(out.status, 1, "{}", out.stderr);
        holds(&out.stderr, "it is a symbolic link, which is not followed");
    }
    // A regular file the planter made under the name: not tsnap's user's, not written.
    std::fs::remove_file(&link).unwrap();
    assert!(
        as_nobody(&["sh", "-c", &format!("echo planted > {}", link.display())])
            .status
            .success()
    );
    let out = tsnap_utc(&[
        "watch",
        "-d",
        "0.3",
        "-p",
        &pid,
        "--save",
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    holds(&out.stderr, "not a regular file of tsnap's user (uid 0)");
    assert_eq!(std::fs::read_to_string(&link).unwrap(), "planted\n");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the victim was written"
    );
}

#[test]
fn a_fifo_under_the_next_name_does_not_hold_watch() {
    let tmp = TempDir::new("fifo");
    for name in hour_names("csv") {
        let fifo = tmp.0.join(name);
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
    }
    let save = tmp.0.join("s.jsonl");
    assert!(
        Command::new("mkfifo")
            .arg(&save)
            .status()
            .unwrap()
            .success()
    );
    let pid = own_pid();
    for way in [
        ["--output-dir", tmp.0.to_str().unwrap()],
        ["--save", save.to_str().unwrap()],
    ] {
        let started = Instant::now();
        let mut child = util::tsnap()
            .args(["watch", "-d", "2", "-p", &pid])
            .args(way)
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > Duration::from_secs(4) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let status = status.unwrap_or_else(|| panic!("watch {way:?} still ran after 4 s"));
        let out = util::finish(child.wait_with_output().unwrap());
        assert_eq!(status.code(), Some(1), "{}", out.stderr);
        holds(&out.stderr, "it is a FIFO or a device");
    }
}

#[test]
fn a_capture_is_private_unless_mode_says_otherwise() {
    if !util::require(is_root(), "needs root to read the capture as another user") {
        return;
    }
    let tmp = TempDir::new("modes");
    std::fs::set_permissions(&tmp.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pid = own_pid();
    for (mode, file_mode, dir_mode) in [(None, 0o600, 0o700), (Some("0644"), 0o644, 0o755)] {
        let dir = tmp.0.join(format!("capture-{}", mode.unwrap_or("default")));
        let save = tmp
            .0
            .join(format!("saved-{}.jsonl", mode.unwrap_or("default")));
        let mut args = vec![
            "watch",
            "-a",
            "-i",
            "0.2",
            "-d",
            "0.5",
            "-p",
            &pid,
            "-o",
            "tid,cmdline",
        ];
        args.extend([
            "--output-dir",
            dir.to_str().unwrap(),
            "--save",
            save.to_str().unwrap(),
        ]);
        if let Some(m) = mode {
            args.extend(["--mode", m]);
        }
        let out = tsnap_utc(&args).ok();
        // --save reads the kernel stack too, which a thread of this test process that was on
        // a CPU (another test's) has none of: the footer may say so, and nothing else.
        assert!(
            (out.stderr.lines()).all(|l| l.starts_with("kstack: not shown for ")),
            "{}",
            out.stderr
        );
        let file = dir.join(&hour_names("csv")[0]);
        let perms = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(perms(&dir), dir_mode, "{mode:?}");
        assert_eq!(perms(&file), file_mode, "{mode:?}");
        assert_eq!(perms(&save), file_mode, "{mode:?}");
        // What another local user gets: the command lines of every process, or nothing.
        for path in [&file, &save] {
            let read = as_nobody(&["cat", path.to_str().unwrap()]);
            let whole = std::fs::read(path).unwrap();
            assert!(!whole.is_empty());
            match mode {
                None => {
                    assert!(!read.status.success(), "uid 65534 read {}", path.display());
                    assert!(read.stdout.is_empty());
                }
                Some(_) => assert_eq!(read.stdout, whole),
            }
        }
    }
}

#[test]
fn retention_deletes_only_its_own_regular_files() {
    if !util::require(is_root(), "needs root to make files of another user") {
        return;
    }
    let tmp = TempDir::new("retention");
    let (target, before) = victim(&tmp.0);
    let capture = shared_dir(&tmp.0, "capture", 0o1777);
    // Named like expired files of tsnap's: another user's file, a link to root's file.
    let theirs = capture.join("tsnap-2020-01-01.00.csv");
    std::fs::write(&theirs, vec![b'x'; 2 << 20]).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let link = capture.join("tsnap-2020-01-01.01.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mine = capture.join("tsnap-2020-01-01.02.csv");
    std::fs::write(&mine, "old\n").unwrap();
    let pid = own_pid();
    let out = tsnap_utc(&[
        "watch",
        "-a",
        "-i",
        "0.1",
        "-d",
        "0.3",
        "-p",
        &pid,
        "-o",
        "tid",
        "--output-dir",
        capture.to_str().unwrap(),
        "--keep-hours",
        "2",
        "--max-mb",
        "1",
    ])
    .ok();
    // The other user's 2 MiB are neither counted against --max-mb nor deleted.
    assert_eq!(out.stderr, "");
    assert!(!mine.exists(), "tsnap's own expired file was kept");
    assert_eq!(std::fs::metadata(&theirs).unwrap().len(), 2 << 20);
    assert!(link.is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), before);
    let written = std::fs::read_to_string(capture.join(&hour_names("csv")[0])).unwrap();
    assert!(
        written.starts_with("time,host,container,pod,tid\n"),
        "{written}"
    );
}

/// A cgroup named as docker names a container's (`docker-ID.scope`) under a parent of this
/// test's, in each of `roots` (v1's memory and cpu hierarchies, as a runtime makes them: tsnap
/// takes a container's id from memory's and marks one the others dispute; or the unified
/// one); removed when dropped.
struct ContainerCgroup {
    dirs: Vec<PathBuf>,
}

impl ContainerCgroup {
    fn create(roots: &[PathBuf], parent: &str, id: &str) -> Option<ContainerCgroup> {
        let mut made = ContainerCgroup { dirs: Vec::new() };
        for root in roots {
            let dir = root.join(parent).join(format!("docker-{id}.scope"));
            std::fs::create_dir_all(&dir).ok()?;
            made.dirs.push(dir);
        }
        Some(made)
    }

    fn enter(&self, pid: u32) {
        for dir in &self.dirs {
            std::fs::write(dir.join("cgroup.procs"), pid.to_string()).unwrap();
        }
    }
}

impl Drop for ContainerCgroup {
    fn drop(&mut self) {
        for dir in &self.dirs {
            let _ = std::fs::remove_dir(dir);
            if let Some(parent) = dir.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

/// A process of tests/output_files/dflood.c; killed when dropped.
struct Flood(Started);

impl Flood {
    fn start(bin: &Path, threads: usize) -> Flood {
        let (flood, line) = Started::ready(Command::new(bin).arg(threads.to_string()));
        assert_eq!(line, "ready\n");
        Flood(flood)
    }

    fn id(&self) -> u32 {
        self.0.pid()
    }

    /// The threads named `flood` in D now.
    fn in_d(&self) -> usize {
        let task = format!("/proc/{}/task", self.id());
        std::fs::read_dir(task)
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
            .filter(|stat| stat.contains("(flood) D "))
            .count()
    }
}

#[test]
fn a_tenant_flooding_d_threads_cannot_blind_the_capture() {
    if !util::require(is_root(), "needs root to make cgroups named as containers") {
        return;
    }
    let bin = match build_c("tests/output_files/dflood.c", "dflood", &[]) {
        Ok(bin) => bin,
        Err(e) => {
            util::require(false, &format!("gcc cannot build the flood ({e})"));
            return;
        }
    };
    let v1 = ["memory", "cpu"].map(|c| Path::new("/sys/fs/cgroup").join(c));
    let roots = match v1.iter().all(|r| r.join("cgroup.procs").exists()) {
        true => v1.to_vec(),
        false => vec![PathBuf::from("/sys/fs/cgroup")],
    };
    let name = format!("tsnap-flood-{}", std::process::id());
    let tenant_id = "7e".repeat(32);
    let other_id = "0b".repeat(32);
    let (Some(tenant), Some(other)) = (
        ContainerCgroup::create(&roots, &name, &tenant_id),
        ContainerCgroup::create(&roots, &name, &other_id),
    ) else {
        util::require(
            false,
            &format!("cannot make cgroups under {}", roots[0].display()),
        );
        return;
    };
    let _turn = util::cpu_turn();
    let flood = Flood::start(&bin, 400);
    let few = Flood::start(&bin, 2);
    tenant.enter(flood.id());
    other.enter(few.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    while (flood.in_d() < 400 || few.in_d() < 2) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!((flood.in_d(), few.in_d()), (400, 2));
    let capture = TempDir::new("flood");
    // An older hour of tsnap's filling most of the budget: deleted first to make room.
    let old = capture.0.join("tsnap-2020-01-01.00.jsonl");
    std::fs::write(&old, vec![b'x'; (1 << 20) - (40 << 10)]).unwrap();
    let out = tsnap_utc(&[
        "watch",
        "-i",
        "0.5",
        "-d",
        "4",
        "--cgroup",
        &name,
        "-f",
        "json",
        "--max-mb",
        "1",
        "--output-dir",
        capture.0.to_str().unwrap(),
    ]);
    // When the hour being written fills the budget alone, its file starts again.
    let full = TempDir::new("full-hour");
    let [hour, _] = hour_names("jsonl");
    std::fs::write(
        full.0.join(&hour),
        "{}\n".repeat(((1 << 20) - (8 << 10)) / 3),
    )
    .unwrap();
    let again = tsnap_utc(&[
        "watch",
        "-i",
        "0.5",
        "-d",
        "1.2",
        "--cgroup",
        &name,
        "-f",
        "json",
        "--max-mb",
        "1",
        "--output-dir",
        full.0.to_str().unwrap(),
    ]);
    drop(flood);
    drop(few);
    drop(tenant);
    drop(other);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        !old.exists(),
        "the oldest hour was not deleted to make room"
    );
    holds(&out.stderr, "tsnap: deleted tsnap-2020-01-01.00.jsonl (");
    assert_eq!(again.status, 0, "{}", again.stderr);
    holds(
        &again.stderr,
        &format!(
            "tsnap: deleted {hour} (1040382 bytes, the hour being written, which starts again)"
        ),
    );
    let restarted = std::fs::read_to_string(full.0.join(&hour)).unwrap();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in restarted.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let container = row["container"].as_str().unwrap().to_string();
        seen.entry(row["time"].as_str().unwrap().to_string())
            .or_default()
            .insert(container);
    }
    assert!((1..=2).contains(&seen.len()), "{restarted}");
    let both: BTreeSet<String> = [tenant_id.clone(), other_id.clone()].into();
    assert!(seen.values().all(|s| *s == both), "{seen:?}");
    let mut snapshots: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut total = 0;
    for name in hour_names("jsonl") {
        let Ok(text) = std::fs::read_to_string(capture.0.join(name)) else {
            continue;
        };
        total += text.len();
        for line in text.lines() {
            let row: Value = serde_json::from_str(line).unwrap();
            let container = row["container"].as_str().unwrap_or("-").to_string();
            let time = row["time"].as_str().unwrap().to_string();
            *snapshots
                .entry(time)
                .or_default()
                .entry(container)
                .or_default() += 1;
        }
    }
    assert!(total <= 1 << 20, "{total} bytes");
    assert!(snapshots.len() >= 6, "{} snapshots", snapshots.len());
    for (time, containers) in &snapshots {
        let seen: BTreeSet<String> = containers.keys().cloned().collect();
        assert_eq!(seen, both, "at {time}");
        assert_eq!(containers[&other_id], 2, "at {time}");
        assert!(containers[&tenant_id] < 400, "at {time}: not cut");
    }
    // A line per snapshot saying what was cut.
    let cuts: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("tsnap: cut: "))
        .collect();
    assert_eq!(cuts.len(), snapshots.len(), "{}", out.stderr);
    for (line, (time, containers)) in cuts.iter().zip(&snapshots) {
        holds(line, &format!("the snapshot of {time} would take "));
        holds(
            line,
            &format!("{} of 402 rows written", containers.values().sum::<usize>()),
        );
        holds(
            line,
            &format!(
                "not written: {} of 400 of container {tenant_id}",
                400 - containers[&tenant_id]
            ),
        );
        assert!(!line.contains(&other_id), "{line}");
    }
}
