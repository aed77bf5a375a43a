//! The README a newcomer reads: its five tasks are run here against real workloads in an
//! 80-column pseudo-terminal and their output compared with the README's blocks by shape (the
//! same header lines and the same columns; numbers, ids and times may differ). The README
//! stays short, and every relative link of it and of docs/ resolves.

use crate::java::Jvm;
use crate::kubernetes::{podman, shop_pod};
use crate::support::pty;
use crate::util::{TempDir, is_root, require, tsnap};
use crate::workload::{Kind, Workload};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const WIDTH: usize = 80;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// What an 80-column terminal shows when `wrapper` (or nothing) runs tsnap with `args`:
/// standard output and error both on the terminal, lines longer than the terminal wrapped
/// as it wraps them.
fn on_terminal(wrapper: &[&str], args: &[&str]) -> String {
    let (master, slave) = pty::open(WIDTH as u16);
    let under_test = tsnap();
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(under_test.get_program());
            c
        }
        None => Command::new(under_test.get_program()),
    };
    let mut child = command
        .args(under_test.get_args())
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The command holds the terminal's other end until dropped.
    drop(command);
    let text = pty::read_all(master);
    child.wait().unwrap();
    let mut shown = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            shown.push('\n');
        }
        for piece in chars.chunks(WIDTH) {
            shown.extend(piece);
            shown.push('\n');
        }
    }
    shown
}

/// The code block of README.md marked `<!-- task: NAME -->`, without its `$ command` line,
/// and that command.
fn block(readme: &str, name: &str) -> Option<(String, String)> {
    let marker = format!("<!-- task: {name} -->");
    let after = readme.split_once(&marker)?.1;
    let body = after
        .trim_start()
        .strip_prefix("```\n")
        .unwrap_or_else(|| panic!("{marker} is not followed by a code block"));
    let body = &body[..body.find("\n```").expect("the block ends")];
    let (command, output) = body.split_once('\n').unwrap_or((body, ""));
    Some((command.to_string(), format!("{output}\n")))
}

/// A line's shape: hex and ids as `H`, numbers as `N`, durations as `Nt`, sizes as `N B`,
/// names the test chose as their README placeholders, runs of blanks as one, and `…` (where
/// the terminal cut a line: how much fits depends on the numbers before it) with what it
/// cut left out.
fn shape(line: &str, names: &[(&str, &str)]) -> String {
    let mut line = line.to_string();
    for (real, placeholder) in names {
        line = line.replace(real, placeholder);
    }
    // The test binary (`tests-` and a hash), cut or not.
    while let Some(at) = line.find("tests-") {
        let hash = line[at + 6..].find(|c: char| !c.is_ascii_hexdigit());
        let end = hash.map_or(line.len(), |h| at + 6 + h);
        line.replace_range(at..end, "APP");
    }
    if let Some(cut) = line.find('…') {
        let keep = line[..cut].rfind([' ', ':', '/', '(']).map_or(0, |i| i + 1);
        line.truncate(keep);
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let word_start = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        // 0x1f, or a run of 12 or more hex digits (container and cgroup ids).
        let hex_run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if word_start && c == '0' && chars.get(i + 1) == Some(&'x') {
            i += 2;
            while i < chars.len() && chars[i].is_ascii_hexdigit() {
                i += 1;
            }
            out.push('H');
        } else if word_start && hex_run >= 12 {
            i += hex_run;
            out.push('H');
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push('N');
            // Durations (5s, 1m3s, 120ms) and units of size.
            let mut timed = false;
            loop {
                let rest: String = chars[i..].iter().take(3).collect();
                let unit = ["ms", "us", "ns", "h", "m", "s", "d"]
                    .into_iter()
                    .find(|u| {
                        rest.starts_with(u) && !rest[u.len()..].starts_with(char::is_alphabetic)
                    });
                match unit {
                    Some(u) => {
                        i += u.len();
                        timed = true;
                        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                            i += 1;
                        }
                    }
                    None => break,
                }
            }
            if timed {
                out.push('t');
            }
        } else if c == ' ' {
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    for unit in [" KiB", " MiB", " GiB", " TiB", " B"] {
        out = out.replace(&format!("N{unit}"), "N B");
    }
    // A rule under a table, as wide as the table.
    while out.contains("----") {
        out = out.replace("----", "---");
    }
    // A list of addresses as long as the JVM has threads.
    while out.contains("H, H") {
        out = out.replace("H, H", "H");
    }
    out.trim_end().to_string()
}

/// The lines as the terminal showed them, each with whether it is whole. A line the terminal
/// wrapped (as long as the width, or one less where the editor dropped a trailing blank)
/// keeps its first part and loses its continuations; a line tsnap cut ends in `…`, which is
/// left out. Where either happens depends on the numbers before it, so such lines are
/// compared by their starts.
fn logical(text: &str) -> Vec<(String, bool)> {
    let mut lines: Vec<(String, bool)> = Vec::new();
    let mut continued = false;
    let mut last = (0, 0);
    for line in text.lines() {
        let line = line.trim_end();
        let wraps = line.chars().count() >= WIDTH - 1 && !line.ends_with('…');
        // tsnap wraps prose at words, its continuations indented two more: a line so
        // indented whose first word would not have fitted after the line before is one.
        let indent = line.len() - line.trim_start().len();
        let word = line
            .trim_start()
            .split(' ')
            .next()
            .unwrap_or("")
            .chars()
            .count();
        let (last_len, last_indent) = last;
        last = (line.chars().count(), indent);
        if !continued
            && indent == last_indent + 2
            && last_len + 1 + word > WIDTH
            && let Some(previous) = lines.last_mut()
        {
            previous.0.push(' ');
            previous.0.push_str(line.trim_start());
            continue;
        }
        if !continued {
            let (text, whole) = match line.strip_suffix('…') {
                Some(cut) => (cut, false),
                None => (line, !wraps),
            };
            // A line cut anywhere ends in part of a word or number: left out.
            let text = match whole {
                true => text,
                false => text
                    .rfind([' ', '/', '-', ':', '('])
                    .map_or("", |i| &text[..=i]),
            };
            lines.push((text.to_string(), whole));
        }
        continued = wraps;
    }
    lines
}

/// Whether a shaped line is a row of a table: it starts with a number (pid, count) and is
/// not a sentence.
fn is_row(shaped: &str) -> bool {
    let t = shaped.trim_start();
    t.starts_with("N ") && !t.contains(": ")
}

/// A line's shape, and whether the line is whole (else its shape is a start to match).
type Shaped = (String, bool);

/// What must be the same in the README's block and the real output: the header lines (not
/// indented) and each table's columns; of the indented lines (cgroup figures, findings,
/// frames) their labels, up to the first `:` or two words. Rows of tables differ in number
/// and are left out, as is the `$ command` line.
fn skeleton(text: &str, names: &[(&str, &str)]) -> (Vec<Shaped>, BTreeSet<String>) {
    let (mut headers, mut labels) = (Vec::new(), BTreeSet::new());
    for (line, whole) in logical(text) {
        let shaped = shape(&line, names);
        if shaped.is_empty() || is_row(&shaped) || shaped.starts_with("$ ") {
            continue;
        }
        let t = shaped.trim_start();
        let columns = t.split(' ').count() >= 3
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == ' ');
        // Whether a thread was on a CPU at that moment, so whether this footer line shows,
        // is the moment's, not the README's.
        if t.starts_with("kstack: not shown for") {
            continue;
        }
        if columns || !shaped.starts_with(' ') {
            headers.push((t.to_string(), whole));
        } else {
            let label = match t.find(':') {
                Some(i) => t[..i].to_string(),
                None => t.split(' ').take(2).collect::<Vec<_>>().join(" "),
            };
            labels.insert(label);
        }
    }
    (headers, labels)
}

/// Whether `line` is among `lines`: the same, or where either is not whole, one the start of
/// the other.
fn among(line: &Shaped, lines: &[Shaped]) -> bool {
    lines.iter().any(|other| {
        other.0 == line.0
            || (!(other.1 && line.1)
                && (other.0.starts_with(&line.0) || line.0.starts_with(&other.0)))
    })
}

/// Runs tsnap with `args` (under `wrapper`) on a terminal, as the README's task `name` does,
/// and checks the README's block against what it printed: its command, and its output by
/// shape. `names` are the real names the README shows as placeholders.
fn task(name: &str, wrapper: &[&str], args: &[&str], names: &[(&str, &str)]) {
    let real = on_terminal(wrapper, args);
    let ran = format!("$ {} tsnap {}", wrapper.join(" "), args.join(" "));
    compare(name, &ran, &real, names);
}

/// Checks the README's block `name` against the command that ran and what it printed.
fn compare(name: &str, ran: &str, real: &str, names: &[(&str, &str)]) {
    let found = block(&readme(), name);
    let (command, block) = found.clone().unwrap_or_default();
    let paste = format!(
        "the real output of `{command}` to paste into README.md's block `{name}` \
         (placeholders: {names:?}):\n{command}\n{}",
        real.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        found.is_some(),
        "README.md has no block <!-- task: {name} -->\n{paste}"
    );
    assert_eq!(
        shape(&command, &[]),
        shape(ran, names),
        "README block {name}: its command is not the one the test ran\n{paste}"
    );
    for line in block.lines() {
        assert!(
            line.chars().count() <= WIDTH,
            "README block {name} has a line over {WIDTH} columns: {line:?}\n{paste}"
        );
    }
    let (want_headers, want_labels) = skeleton(&block, &[]);
    let (headers, labels) = skeleton(real, names);
    let missing: Vec<_> = (want_headers.iter())
        .filter(|h| !among(h, &headers))
        .collect();
    let extra: Vec<_> = (headers.iter())
        .filter(|h| !among(h, &want_headers))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README block {name}: header lines differ: only in the README {missing:?}, \
         only in the real output {extra:?}\n{paste}"
    );
    let missing: Vec<_> = want_labels.difference(&labels).collect();
    assert!(
        missing.is_empty(),
        "README block {name}: {missing:?} not in the real output\n{paste}"
    );
    let rows = |text: &str, names: &[(&str, &str)]| {
        logical(text).iter().any(|(l, _)| is_row(&shape(l, names)))
    };
    assert_eq!(
        rows(&block, &[]),
        rows(real, names),
        "README block {name}: rows\n{paste}"
    );
}

#[test]
fn readme_is_short_and_every_link_resolves() {
    let text = readme();
    let lines = text.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines, at most 250");
    let mut files = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let dest = match path {
                "" => file.clone(),
                p => file.parent().unwrap().join(p),
            };
            if !dest.exists() {
                broken.push(format!("{}: {target} (no such file)", file.display()));
            } else if !anchor.is_empty() {
                let headings = std::fs::read_to_string(&dest)
                    .map(|t| anchors(&t))
                    .unwrap_or_default();
                if !headings.contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 20, "only {checked} links found");
}

/// The targets of the Markdown links `[text](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            if let Some(end) = rest.find(')') {
                found.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    found
}

/// The anchors GitHub makes of a Markdown file's headings: lower case, punctuation but `-`
/// and `_` dropped, blanks as `-`, a repeated one with `-1`, `-2`...
fn anchors(text: &str) -> BTreeSet<String> {
    let mut made = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let Some((hashes, title)) = line.split_once(' ') else {
            continue;
        };
        if fenced || hashes.is_empty() || hashes.len() > 6 || !hashes.chars().all(|c| c == '#') {
            continue;
        }
        let slug: String = (title.trim().to_lowercase().chars())
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 1;
        while made.contains(&anchor) {
            anchor = format!("{slug}-{n}");
            n += 1;
        }
        made.insert(anchor);
    }
    made
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let made =
        anchors("# A: b, `c`\n```\n# not\n```\n## Which: `--top`, `dump --x`\n# A: b, `c`\n");
    let want = ["a-b-c", "which---top-dump---x", "a-b-c-1"];
    assert_eq!(made, want.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        shape(
            "  cpu at /: in 0.50 s: 1.01 cores, 175.6 MiB up 1m3s 0x7f1a abcdef0123456789",
            &[]
        ),
        " cpu at /: in N s: N cores, N B up Nt H H"
    );
}

#[test]
fn task_hot_thread_with_its_java_stack() {
    if !require(
        Command::new("javac").arg("-version").output().is_ok(),
        "needs a JDK (javac, java)",
    ) {
        return;
    }
    let Some(jvm) = Jvm::start(&[]) else {
        return;
    };
    let pid = jvm.pid().to_string();
    task(
        "hot",
        &[],
        &["dump", "--top", "1", "--java", "-p", &pid],
        &[],
    );
}

#[test]
fn task_what_is_stuck() {
    let _w = Workload::start(
        "readme",
        &[Kind::Spinner, Kind::PeerReader, Kind::VforkParent],
    );
    let pid = std::process::id().to_string();
    task("stuck", &[], &["sample", "-d", "5", "-p", &pid], &[]);
}

#[test]
fn task_why_a_column_is_a_dash() {
    if !require(
        is_root(),
        "needs root to run tsnap as uid 65534 with setpriv",
    ) {
        return;
    }
    let _w = Workload::start("readme", &[Kind::Spinner]);
    let pid = std::process::id().to_string();
    let wrapper = [
        "setpriv",
        "--reuid",
        "65534",
        "--regid",
        "65534",
        "--clear-groups",
    ];
    task(
        "dash",
        &wrapper,
        &["-a", "-i", "0", "--top", "3", "-p", &pid],
        &[],
    );
}

#[test]
fn task_capture_now_slice_later() {
    let _w = Workload::start("readme", &[Kind::Spinner, Kind::PeerReader]);
    let pid = std::process::id().to_string();
    let dir = TempDir::new("readme-save");
    let saved = dir.0.join("f.jsonl");
    let save = tsnap()
        .args(["sample", "-d", "2", "-p", &pid, "--save"])
        .arg(&saved)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(save.success());
    let path = saved.to_str().unwrap();
    let names = [(path, "f.jsonl")];
    task(
        "slice",
        &[],
        &["report", path, "-G", "syscall,wchan"],
        &names,
    );
}

#[test]
fn task_one_container_from_the_node() {
    if !require(is_root(), "needs root for podman's containers")
        || !require(
            podman()
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success()),
            "needs podman and runc",
        )
    {
        return;
    }
    let pod = "pod6b1c5f8e-3a2d-4c1e-9f0a-1b2c3d4e5f60";
    let _pod = shop_pod("readme", pod, &["--memory", "256m"]);
    task("container", &[], &["-a", "--container", "shop-0"], &[]);
}

/// Each of the five tasks has its marked block, whether or not this machine can run it.
#[test]
fn tasks_are_marked() {
    let text = readme();
    for name in ["hot", "stuck", "container", "slice", "dash"] {
        assert!(block(&text, name).is_some(), "README.md has no task {name}");
    }
}
