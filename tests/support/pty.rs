//! A real pseudo-terminal (openpty), for tests that read tsnap as a terminal of a known width
//! shows it.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};

/// A terminal `columns` wide and 50 rows high: its master side, to read, and its slave side,
/// for the command's output. Both close on exec, so that what other tests start meanwhile
/// does not hold the terminal open.
pub fn open(columns: u16) -> (OwnedFd, OwnedFd) {
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
    for fd in [master, slave] {
        // SAFETY: fcntl on an fd just opened here.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: both fds were just opened and are owned here.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// What the terminal showed until its last writer was gone (EIO on Linux), without the
/// carriage returns it adds.
pub fn read_all(master: OwnedFd) -> String {
    let mut text = Vec::new();
    let _ = std::fs::File::from(master).read_to_end(&mut text);
    String::from_utf8_lossy(&text).replace('\r', "")
}
