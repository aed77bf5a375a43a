//! A FUSE file system of the target's that never answers (tests/hostile/tarpit.c) mounted on
//! its /tmp or /etc: tsnap holds nothing and leaves no thread stuck in it.

use super::*;

/// The compiler and linker flags of libfuse3, or why there are none.
fn fuse_flags() -> Result<Vec<String>, String> {
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "fuse3"])
        .output()
        .map_err(|e| format!("no pkg-config ({e})"))?;
    if !out.status.success() {
        return Err("no libfuse3-dev".into());
    }
    let mut flags = vec!["-Wl,--no-as-needed".to_string()];
    flags.extend(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from),
    );
    Ok(flags)
}

/// Threads of processes running `binary` that wait in FUSE (their `wchan`).
fn stuck_threads_of(binary: &Path) -> Vec<String> {
    let binary = binary.canonicalize().unwrap();
    let mut stuck = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = entry.path();
        if std::fs::read_link(dir.join("exe")).ok().as_deref() != Some(binary.as_path()) {
            continue;
        }
        for task in std::fs::read_dir(dir.join("task"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let wchan = std::fs::read_to_string(task.path().join("wchan")).unwrap_or_default();
            if wchan.contains("fuse") {
                stuck.push(format!("{}: {wchan}", task.path().display()));
            }
        }
    }
    stuck
}

/// A fake JVM whose directory `dir` (of its root) is a FUSE mount that never answers a
/// lookup, in a mount namespace of its own; `None` (said why) without libfuse3. The daemon
/// ends by itself after 30 s, whatever happens to the test.
fn under_tarpit(root: &Root, dir: &str) -> Option<Fake> {
    let tarpit = match fuse_flags().and_then(|flags| {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        build_c("tests/hostile/tarpit.c", "tarpit", &flags)
    }) {
        Ok(bin) => bin,
        Err(e) => {
            util::require(false, &format!("cannot build the FUSE daemon: {e}"));
            return None;
        }
    };
    let point = root.path(dir);
    let wrapper = [
        "unshare".as_ref(),
        "-m".as_ref(),
        "--propagation".as_ref(),
        "private".as_ref(),
        tarpit.as_os_str(),
        point.as_os_str(),
        "30".as_ref(),
    ];
    let fake = Fake::start_under(&wrapper, root, "silent", "", &[]);
    let mountinfo = std::fs::read_to_string(format!("/proc/{}/mountinfo", fake.pid)).unwrap();
    assert!(mountinfo.contains(&format!(" /{dir} ")), "{mountinfo}");
    assert!(mountinfo.contains(" - fuse.tarpit "), "{mountinfo}");
    Some(fake)
}

#[test]
fn a_fuse_tmp_that_never_answers_holds_nothing() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let Some(fake) = under_tarpit(&root, "tmp") else {
        return;
    };
    let out = tsnap(
        &[
            "dump",
            "--java",
            "--java-timeout",
            "2",
            "-i",
            "0",
            "-p",
            &fake.pid(),
        ],
        SECS_5,
    );
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(out.wall < SECS_5, "{:?}", out.wall);
    holds(&out.run.stdout, "\"fakejvm\" tid=");
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    holds(
        &out.run.stderr,
        "its /tmp is on a fuse.tarpit mount (at /tmp)",
    );
    // tsnap was reaped, which the kernel does once every thread of it has ended: none is left
    // waiting on the mount.
    assert_eq!(stuck_threads_of(&util::binary()), Vec::<String>::new());
    host.untouched();
    drop(fake);
    // Its /etc, where the user names are.
    let Some(fake) = under_tarpit(&root, "etc") else {
        return;
    };
    let out = tsnap(
        &[
            "-a",
            "-p",
            &fake.pid(),
            "-o",
            "pid,user",
            "-i",
            "0",
            "-f",
            "json",
        ],
        SECS_5,
    );
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert_eq!(out.run.rows()[0]["user"], "0", "{}", out.run.stdout);
    assert_eq!(stuck_threads_of(&util::binary()), Vec::<String>::new());
    host.untouched();
}
