//! The checked-in syscall tables are what scripts/gen-syscalls makes of the kernel tables.

use crate::util;
use std::process::Command;

#[test]
fn syscall_tables_are_regenerated_identically() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = match Command::new("python3")
        .arg(format!("{root}/scripts/gen-syscalls"))
        .arg("--check")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            util::require(
                false,
                &format!("no python3 to run scripts/gen-syscalls ({e})"),
            );
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The man page, generated from the help (src/cli/reference.rs checks it matches the code):
/// `man` formats docs/tsnap.1 without a warning, at 80 columns, and every option of every
/// command's help and every column `tsnap columns` lists is in what it shows.
#[test]
fn man_page_renders_with_every_option_and_column() {
    let page = format!("{}/docs/tsnap.1", env!("CARGO_MANIFEST_DIR"));
    let man = Command::new("man")
        .args(["--warnings", "-l", &page])
        .env("MANWIDTH", "80")
        .output();
    let out = match man {
        Ok(out) => out,
        Err(e) => {
            util::require(
                false,
                &format!("no man (man-db) to render docs/tsnap.1: {e}"),
            );
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "man: {stderr}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "COMMANDS",
        "OPTIONS",
        "COLUMNS",
        "EXIT STATUS",
    ] {
        assert!(
            text.lines().any(|l| l == section),
            "no {section} in:\n{text}"
        );
    }
    for command in [
        "snap", "dump", "sample", "watch", "top", "report", "columns",
    ] {
        assert!(text.contains(&format!("tsnap {command}")), "{command}");
        let help = util::run(&["help", command]).stdout;
        let options = help.split_whitespace().filter(|w| w.starts_with("--"));
        for option in options.map(|w| w.trim_end_matches([',', ')', ';'])) {
            assert!(
                text.contains(option),
                "{option} of {command} not in the man page"
            );
        }
    }
    let columns = util::run(&["columns"]).stdout;
    let names = columns.lines().filter(|l| !l.starts_with(' '));
    let names = names.filter_map(|l| l.split_whitespace().next());
    for name in names.filter(|n| !n.ends_with(':')) {
        let entry = format!("{name} (");
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(&entry)),
            "column {name} not in the man page"
        );
    }
}
