//! What the target answers on its attach socket: endless, never (a full backlog, six silent
//! JVMs), with control bytes, quotes and tabs, too many entries, numbers that would break
//! JSON; each answer costs bounded memory, and the JVMs share one budget of answer bytes.

use super::*;

#[test]
fn an_endless_reply_is_cut_off() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "listen", "", &[("FAKE_REPLY", "flood")]);
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(!out.run.stdout.contains("java: "), "{}", out.run.stdout);
    assert!(
        out.run.stderr.contains("64 MiB") || out.run.stderr.contains("within 1s"),
        "{}",
        out.run.stderr
    );
    assert!(out.wall < Duration::from_secs(3), "{:?}", out.wall);
    host.untouched();
}

#[test]
fn a_listener_with_a_full_backlog_times_out() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "backlog", "", &[]);
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "within 1s");
    assert!(out.wall < Duration::from_secs(3), "{:?}", out.wall);
    host.untouched();
}

#[test]
fn control_bytes_from_the_target_are_escaped_on_stderr() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(&root, "listen", "", &[("FAKE_REPLY", "error")]);
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "\\x1b]0;owned");
    drop(fake);
    // A process that is no JVM, named with escape sequences: refused, and named safely.
    let fake = Fake::start(
        &root,
        "silent",
        "",
        &[("FAKE_NOJVM", "1"), ("FAKE_COMM", "\x1b]0;x\x07\x1b[2J")],
    );
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    holds(&out.run.stderr, "is not a HotSpot JVM");
    holds(&out.run.stderr, "\\x1b]0;x\\x07");
    host.untouched();
}

#[test]
fn too_many_entries_are_refused_and_many_merge_in_linear_time() {
    if !needs_root() {
        return;
    }
    let host = Host::new();
    let _turn = util::cpu_turn();
    let root = Root::new();
    // A fake JVM of 1,000 threads whose dump has `entries` entries, asked with 10 s to answer.
    let dump_of = |entries: &str| {
        let fake = Fake::start(
            &root,
            "listen",
            "",
            &[
                ("FAKE_REPLY", "many"),
                ("FAKE_ENTRIES", entries),
                ("FAKE_THREADS", "1000"),
            ],
        );
        let pid = fake.pid();
        let mut args = java_dump(&pid);
        args[3] = "10";
        let out = tsnap(&args, Duration::from_secs(20));
        assert_eq!(out.run.status, 0, "{}", out.run.stderr);
        out
    };
    let out = dump_of("200000");
    holds(&out.run.stderr, "more than 100000 threads");
    assert!(out.cpu < Duration::from_secs(2), "{:?} of CPU", out.cpu);
    // As many as a JVM may have, none of them the process's own: paired by an index, not by
    // a scan of the dump for every thread.
    let out = dump_of("100000");
    assert_eq!(
        out.run.stdout.matches("(in the JVM's dump only)").count(),
        100_000
    );
    assert_eq!(out.run.stdout.matches("\" tid=").count(), 1001);
    assert!(out.cpu < Duration::from_secs(2), "{:?} of CPU", out.cpu);
    host.untouched();
}

#[test]
fn names_with_quotes_and_the_jvms_tabs_print_as_jstack_would() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fake = Fake::start(
        &root,
        "listen",
        "",
        &[("FAKE_REPLY", "deadlock"), ("FAKE_JAVA_NAME", "say \"hi\"")],
    );
    let out = tsnap(&java_dump(&fake.pid()), SECS_5);
    holds(&out.run.stdout, "\n\"say \\\"hi\\\"\" tid=");
    holds(&out.run.stdout, "\n\tat Deadlock.run(Deadlock.java:9)\n");
    holds(&out.run.stdout, "\n\t- waiting to lock <0x2>");
    host.untouched();
}

#[test]
fn a_saved_number_cannot_break_report_json() {
    let dir = TempDir::new("savednumber");
    let file = dir.0.join("saved.jsonl");
    std::fs::write(
        &file,
        "{\"type\":\"pass\",\"pass\":1,\"time\":\"t\"}\n\
         {\"type\":\"row\",\"pass\":1,\"time\":\"t\",\"comm\":-5,\"state\":\"R\",\"filename\":12}\n",
    )
    .unwrap();
    let out = tsnap(
        &[
            "report",
            file.to_str().unwrap(),
            "-G",
            "filename",
            "-f",
            "json",
        ],
        SECS_5,
    );
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    let lines = out.run.json();
    assert_eq!(lines[0]["comm"], "-*", "{}", out.run.stdout);
    assert_eq!(lines[0]["filename"], "*", "{}", out.run.stdout);
}

#[test]
fn six_silent_jvms_take_one_deadline() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let fakes: Vec<Fake> = (0..6)
        .map(|_| Fake::start(&root, "silent", "", &[]))
        .collect();
    let pids: Vec<String> = fakes.iter().map(Fake::pid).collect();
    let pids = pids.join(",");
    let out = tsnap(
        &[
            "dump",
            "--java",
            "--java-timeout",
            "5",
            "-i",
            "0",
            "-p",
            &pids,
        ],
        Duration::from_secs(40),
    );
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(out.wall < Duration::from_secs(7), "{:?}", out.wall);
    assert_eq!(
        out.run
            .stderr
            .matches("attach listener did not come up within 5s")
            .count(),
        6,
        "{}",
        out.run.stderr
    );
    assert_eq!(out.run.stdout.matches("\"fakejvm\" tid=").count(), 6);
    for fake in &fakes {
        assert!(!root.path(&format!(".attach_pid{}", fake.pid)).exists());
    }
    host.untouched();
}

/// The peak memory of a `dump --java` of one fake JVM answering `reply`, less that of one
/// answering a small dump, in KiB; and the outcome.
fn reply_cost(root: &Root, reply: &str) -> (u64, Outcome) {
    let run = |reply: &str| {
        let fake = Fake::start(root, "listen", "", &[("FAKE_REPLY", reply)]);
        let pid = fake.pid();
        let mut args = java_dump(&pid);
        args[3] = "20";
        // A debug build on a busy machine parses 64 MiB slowly: the bound here is memory.
        tsnap(&args, Duration::from_secs(120))
    };
    let small = run("dump");
    holds(&small.run.stdout, "\n    java: #1 ");
    let out = run(reply);
    (out.max_rss_kib.saturating_sub(small.max_rss_kib), out)
}

#[test]
fn a_reply_costs_at_most_twice_its_size_however_it_is_shaped() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let _turn = util::cpu_turn();
    let size: u64 = 67_100_000;
    let limit_kib = (2 * size + (8 << 20)) / 1024;
    // 64 MiB of newlines: the JVM's header, all blank.
    let (cost, out) = reply_cost(&root, "newlines");
    eprintln!("newlines: {cost} KiB over a small dump's peak");
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(cost <= limit_kib, "{cost} KiB for {size} bytes of newlines");
    assert!(out.stdout.len() < 1 << 20, "{} bytes out", out.stdout.len());
    // One thread whose entry is 32 M lines: shown up to the cap, the rest counted.
    let (cost, out) = reply_cost(&root, "deep");
    eprintln!("one deep thread: {cost} KiB over a small dump's peak");
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    assert!(
        cost <= limit_kib,
        "{cost} KiB for one thread of {size} bytes"
    );
    let lines = (size / 2) as usize;
    holds(
        &out.run.stdout,
        &format!("\n        ... {} more lines not shown", lines - 10_000),
    );
    let shown = out.run.stdout.lines().filter(|l| *l == "        a").count();
    assert_eq!(shown, 10_000);
    assert!(out.stdout.len() < 2 << 20, "{} bytes out", out.stdout.len());
    // JSON counts the lines cut too.
    let env = [("FAKE_REPLY", "deep"), ("FAKE_SIZE", "100000")];
    let fake = Fake::start(&root, "listen", "", &env);
    let pid = fake.pid();
    let mut args = java_dump(&pid);
    args.extend(["-f", "json"]);
    let out = tsnap(&args, SECS_5);
    let lines = out.run.json();
    let deep = lines.iter().find(|l| l["java"]["name"] == "deep").unwrap();
    assert_eq!(deep["java"]["cut"], 50_000 - 10_000, "{deep}");
    assert_eq!(deep["java"]["other"].as_array().unwrap().len(), 10_000);
    assert_eq!(lines[0]["java"]["cut"], 0, "{}", lines[0]);
    host.untouched();
}

#[test]
fn jvms_share_one_budget_of_answer_bytes() {
    let Some((host, root)) = hostile() else {
        return;
    };
    let _turn = util::cpu_turn();
    let small = Fake::start(&root, "listen", "", &[]);
    let baseline = tsnap(&java_dump(&small.pid()), SECS_5);
    drop(small);
    let fakes: Vec<Fake> = (0..6)
        .map(|_| Fake::start(&root, "listen", "", &[("FAKE_REPLY", "deep")]))
        .collect();
    let pids: Vec<String> = fakes.iter().map(Fake::pid).collect();
    let pids = pids.join(",");
    let out = tsnap(
        &[
            "dump",
            "--java",
            "--java-timeout",
            "20",
            "-i",
            "0",
            "-p",
            &pids,
        ],
        Duration::from_secs(40),
    );
    assert_eq!(out.run.status, 0, "{}", out.run.stderr);
    // Six answers of 64 MiB: what one would cost, for all of them.
    let cost = out.max_rss_kib.saturating_sub(baseline.max_rss_kib);
    eprintln!("six deep threads: {cost} KiB over a small dump's peak");
    assert!(cost <= (2 * 64 + 8) * 1024, "{cost} KiB for six JVMs");
    assert!(
        out.run
            .stderr
            .matches("longer than 64 MiB together")
            .count()
            >= 5,
        "{}",
        out.run.stderr
    );
    host.untouched();
}
