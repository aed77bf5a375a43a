//! A full disk: the file systems tsnap writes to fill up (a small tmpfs, needs root); what was
//! written stays whole lines, sample still gives its report, and the error is clear.

use crate::util::{TempDir, own_pid, run, tsnap};
use crate::workload::{Kind, Workload};
use std::process::Stdio;

/// A tmpfs of 64 KiB mounted for one test, unmounted when dropped.
struct FullDisk(crate::util::TempDir);

impl FullDisk {
    fn new() -> Option<FullDisk> {
        if !crate::util::require(crate::util::is_root(), "needs root to mount a small tmpfs") {
            return None;
        }
        let dir = crate::util::TempDir::new("fulldisk");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&dir.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mount a tmpfs");
        Some(FullDisk(dir))
    }

    fn path(&self, name: &str) -> String {
        self.0.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0.0).status();
    }
}

/// Every file ends with a newline and every line is whole: `check` accepts it.
fn whole_lines(path: &str, check: impl Fn(&str) -> bool) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.is_empty(), "{path} is empty");
    assert!(text.ends_with('\n'), "{path} ends in the middle of a line");
    for line in text.lines() {
        assert!(check(line), "{path}: a broken line: {line:?}");
    }
}

/// The fields of a CSV line: its commas outside quotes, plus one (a quote doubled inside a
/// quoted field closes and opens it again, which counts the same).
fn csv_fields(line: &str) -> usize {
    let mut quoted = false;
    let mut fields = 1;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields += 1,
            _ => {}
        }
    }
    fields
}

fn json_line(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line).is_ok()
}

#[test]
fn a_full_disk_leaves_whole_lines_and_sample_its_report() {
    let Some(disk) = FullDisk::new() else {
        return;
    };
    let w = Workload::start("full", &[Kind::PipeReader, Kind::Sleeper]);
    let pid = std::process::id().to_string();
    let saved = disk.path("sample.jsonl");
    let args = [
        "sample", "-a", "-p", &pid, "--hz", "200", "-d", "30", "--save", &saved,
    ];
    let out = crate::util::finish(tsnap().args(args).output().unwrap());
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stdout.contains("full-pipe"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("cut short: sampling stopped after pass "),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("ENOSPC"), "{}", out.stderr);
    whole_lines(&saved, json_line);
    std::fs::remove_file(&saved).unwrap();

    let saved = disk.path("watch.jsonl");
    let args = [
        "watch", "-a", "-p", &pid, "-i", "0.01", "-d", "30", "--save", &saved,
    ];
    let out = crate::util::finish(tsnap().args(args).stdout(Stdio::null()).output().unwrap());
    assert_eq!(out.status, 1, "{}", out.stderr);
    whole_lines(&saved, json_line);
    std::fs::remove_file(&saved).unwrap();

    let dir = disk.path("hourly");
    let args = [
        "watch",
        "-a",
        "-p",
        &pid,
        "-i",
        "0.01",
        "-d",
        "30",
        "--output-dir",
        &dir,
    ];
    let out = crate::util::finish(tsnap().args(args).output().unwrap());
    assert_eq!(out.status, 1, "{}", out.stderr);
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let fields = csv_fields(text.lines().next().unwrap());
        // Each line has the header's count of fields (a thread of another test of this
        // process may be named with a comma, which is quoted).
        whole_lines(path.to_str().unwrap(), |l| csv_fields(l) == fields);
    }
    drop(w);
}

#[test]
fn a_full_disk_ends_with_a_clear_error_and_keeps_what_was_written() {
    let save = run(&[
        "sample",
        "-a",
        "-d",
        "0.3",
        "-p",
        &own_pid(),
        "--save",
        "/dev/full",
    ]);
    // A device is not a file of tsnap's: refused before a byte is written.
    assert_eq!(save.status, 1, "{}", save.stderr);
    assert!(
        save.stderr
            .contains("refusing to write to /dev/full: not a regular file of tsnap's user"),
        "{}",
        save.stderr
    );

    if !crate::util::require(
        crate::util::is_root(),
        "the full file system: mounting a small tmpfs needs root",
    ) {
        return;
    }
    let dir = TempDir::new("full");
    let mnt = dir.0.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=16k",
            "tsnap-test",
            mnt.to_str().unwrap(),
        ])
        .status();
    if !crate::util::require(
        mounted.is_ok_and(|s| s.success()),
        "the full file system: cannot mount a tmpfs here",
    ) {
        return;
    }
    let _w = Workload::start("full", &[Kind::PipeReader, Kind::Sleeper]);
    let out = run(&[
        "watch",
        "-i",
        "0.05",
        "-d",
        "30",
        "-a",
        "-p",
        &own_pid(),
        "--output-dir",
        mnt.to_str().unwrap(),
    ]);
    let files: Vec<_> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ENOSPC"), "{}", out.stderr);
    assert!(
        out.stderr.contains("what was written before is kept"),
        "{}",
        out.stderr
    );
    assert!(
        text.len() > 8000,
        "the file grew until the disk was full: {}",
        text.len()
    );
    let fields = text.lines().next().unwrap().split(',').count();
    let complete: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .collect();
    assert!(complete.len() > 20);
    for line in &complete[1..] {
        assert!(line.split(',').count() >= fields, "{line}");
    }
}
