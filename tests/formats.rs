//! What readers get back from tsnap's output formats: hostile thread names through CSV into
//! Python's csv module and DuckDB, then unescaped by the README's rule, are the threads' true
//! names; bidi controls and invisible characters never reach a terminal (a real
//! pseudo-terminal) or a pipe as they are.

use crate::columns::hostile_threads;
use crate::util::{self, own_pid, run};
use crate::width::on_terminal;
use serde_json::Value;
use std::process::Command;

/// Reads a CSV file of `tid,comm` with Python's csv module and with DuckDB (as
/// scripts/sql/duckdb/csv.sql does), undoes the escapes as the README says, and prints
/// `{"csv": {TID: HEX}, "duckdb": {TID: HEX}}`, HEX the bytes of each name. Fails if a cell
/// starts as a spreadsheet formula would.
const READ_BACK: &str = r#"
import csv, json, re, sys
import duckdb

ESCAPE = re.compile(rb'\\(\\|n|r|t|x[0-9a-f]{2}|u\{[0-9a-f]+\})')

def unescape(cell):
    def one(m):
        e = m.group(1)
        if e in (b'\\', b'n', b'r', b't'):
            return {b'\\': b'\\', b'n': b'\n', b'r': b'\r', b't': b'\t'}[e]
        if e[:1] == b'x':
            return bytes([int(e[1:], 16)])
        return chr(int(e[2:-1], 16)).encode()
    return ESCAPE.sub(one, cell.encode())

path = sys.argv[1]
with open(path, newline='') as f:
    rows = list(csv.reader(f))
assert rows[0] == ['tid', 'comm'], rows[0]
assert all(len(r) == 2 for r in rows), rows
# Nothing a spreadsheet would run: no cell starts with = + - @.
assert not [r for r in rows if r[1][:1] in ('=', '+', '-', '@')], rows
by_csv = {r[0]: unescape(r[1]).hex() for r in rows[1:]}
con = duckdb.connect()
got = con.execute(
    "SELECT tid, comm FROM read_csv(?, header = true, delim = ',', quote = '\"', "
    "escape = '\"', nullstr = '-', all_varchar = true)", [path]).fetchall()
by_duckdb = {tid: unescape(comm).hex() for tid, comm in got}
json.dump({'csv': by_csv, 'duckdb': by_duckdb}, sys.stdout)
"#;

#[test]
fn hostile_names_come_back_from_csv_through_python_and_duckdb() {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !util::require(ok, "python3 cannot import duckdb (.ci/run installs it)") {
        return;
    }
    let names: [&[u8]; 10] = [
        b"=1+2;cmd|x",
        b"a\"b,c\nd\\e\x01",
        b"-",
        b"@x\x1b[0m",
        b"+\"q\" ",
        b" lead\tx\x7f\r",
        b"\xff\xfeok\\x41",
        "x\u{202e}y\u{85}".as_bytes(),
        b"\\u{41}-",
        b"\"=HYPERLINK()",
    ];
    let (tids, _stop) = hostile_threads(&names);
    let out = run(&[
        "-a",
        "-p",
        &own_pid(),
        "-i",
        "0",
        "-f",
        "csv",
        "-o",
        "tid,comm",
    ])
    .ok();
    assert!(!out.stdout.bytes().any(|b| b < 0x20 && b != b'\n'));
    let dir = crate::util::TempDir::new("csv-names");
    let file = dir.0.join("threads.csv");
    std::fs::write(&file, &out.stdout).unwrap();
    let read = Command::new("python3")
        .args(["-c", READ_BACK])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&read.stderr),
        out.stdout
    );
    let back: Value = serde_json::from_slice(&read.stdout).unwrap();
    for reader in ["csv", "duckdb"] {
        for &(tid, name) in &tids {
            let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                back[reader][tid.to_string()].as_str(),
                Some(hex.as_str()),
                "{reader}: thread {tid} named {:?}, written as:\n{}",
                String::from_utf8_lossy(name),
                out.stdout
            );
        }
    }
}

#[test]
fn bidi_controls_and_invisible_characters_are_escaped_on_a_terminal_and_in_json() {
    let names: [&[u8]; 2] = [
        "ab\u{202e}cd\u{2066}ef".as_bytes(),
        "\u{200b}z\u{feff}\u{2028}\u{ad}".as_bytes(),
    ];
    let (tids, _stop) = hostile_threads(&names);
    let pid = own_pid();
    let args = ["-a", "-p", &pid, "-i", "0", "-o", "tid,comm"];
    let shown = on_terminal(&args, 200, &[]);
    let piped = run(&args).ok().stdout;
    for (what, text) in [("terminal", &shown), ("pipe", &piped)] {
        for raw in [
            "\u{202e}", "\u{2066}", "\u{200b}", "\u{feff}", "\u{2028}", "\u{ad}",
        ] {
            assert!(!text.contains(raw), "{what}: {raw:?} as it is in\n{text}");
        }
        let row = |tid: u64| {
            text.lines()
                .find(|l| l.trim_start().starts_with(&format!("{tid} ")))
                .unwrap_or_else(|| panic!("{what}: no row of {tid} in\n{text}"))
        };
        // The threads start in any order: each tid with the name it took.
        for (tid, name) in &tids {
            let shown = match *name == names[0] {
                true => " ab\\u{202e}cd\\u{2066}ef",
                false => " \\u{200b}z\\u{feff}\\u{2028}\\u{ad}",
            };
            assert!(row(*tid).ends_with(shown), "{what}: {text}");
        }
    }
    // JSON escapes them too (\u202e), and a JSON parser gives the names back whole.
    let json = run(&["-a", "-p", &pid, "-i", "0", "-f", "json", "-o", "tid,comm"]).ok();
    assert!(!json.stdout.contains('\u{202e}') && !json.stdout.contains('\u{2066}'));
    assert!(
        json.stdout.contains(r"ab\u202ecd\u2066ef"),
        "{}",
        json.stdout
    );
    let rows = json.json();
    for (tid, name) in tids {
        let row = rows.iter().find(|r| r["tid"] == tid).unwrap();
        assert_eq!(row["comm"].as_str().map(str::as_bytes), Some(name));
    }
}
