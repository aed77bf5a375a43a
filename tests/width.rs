//! Tables that fit the terminal: tsnap's standard output a real pseudo-terminal of a known
//! width (openpty), against the same commands into a pipe, which are never cut.

use crate::util::{run, tsnap};
use crate::workload::{Kind, Workload};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Stdio;

fn own_pid() -> String {
    std::process::id().to_string()
}

/// What tsnap writes with `args` when its standard output is a terminal `columns` wide, with
/// `env` set; the terminal's carriage returns left out.
pub(crate) fn on_terminal(args: &[&str], columns: u16, env: &[(&str, &str)]) -> String {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the ints; no name or termios is asked for.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: both fds were just opened and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = tsnap()
        .args(args)
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut text = Vec::new();
    // Reads until the last writer is gone (EIO on Linux).
    let _ = std::fs::File::from(master).read_to_end(&mut text);
    assert!(child.wait().unwrap().success());
    String::from_utf8(text).unwrap().replace('\r', "")
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn lines_fit_an_80_column_terminal_and_a_pipe_gets_them_whole() {
    let _w = Workload::start("width", &[Kind::PeerReader, Kind::UnixAcceptor]);
    let pid = own_pid();
    let args = ["-a", "-p", &pid, "-G", "endpoint,cmdline", "-i", "0"];
    let cut = on_terminal(&args, 80, &[]);
    assert!(widest(&cut) <= 80, "{cut}");
    assert!(cut.contains('…'), "nothing was cut: {cut}");
    // The widest text cells are cut: pid and tid stay whole, names are cut.
    let row = cut.lines().find(|l| l.contains(" width-p")).unwrap();
    assert!(row.trim_start().starts_with(&pid), "{row}");
    assert!(row.contains(" width-p…"), "{row}");

    let piped = run(&args).ok();
    assert!(widest(&piped.stdout) > 80, "a pipe gets whole lines");
    assert!(!piped.stdout.contains('…'));
    let wide = on_terminal(&[&args[..], &["-w"]].concat(), 80, &[]);
    assert!(widest(&wide) > 80 && !wide.contains('…'), "{wide}");

    // A terminal of no known width: $COLUMNS, else 80.
    let narrow = on_terminal(&args, 0, &[("COLUMNS", "60")]);
    assert!(widest(&narrow) <= 60, "{narrow}");
    let unknown = on_terminal(&args, 0, &[]);
    assert!(widest(&unknown) <= 80 && unknown.contains('…'), "{unknown}");
}

#[test]
fn sample_report_and_watch_fit_too() {
    let _w = Workload::start("wsample", &[Kind::PeerReader]);
    let pid = own_pid();
    let sample = on_terminal(
        &[
            "sample",
            "-a",
            "-d",
            "0.3",
            "-p",
            &pid,
            "-G",
            "endpoint,cmdline",
        ],
        80,
        &[],
    );
    assert!(widest(&sample) <= 80, "{sample}");
    assert!(sample.contains("findings:"), "{sample}");
    let watch = on_terminal(
        &["watch", "-a", "-d", "0.5", "-i", "0.25", "-p", &pid],
        80,
        &[],
    );
    assert!(widest(&watch) <= 80, "{watch}");
    assert!(watch.contains(" wsample…"), "{watch}");
}
