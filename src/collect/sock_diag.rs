//! The inet and unix sockets of tsnap's own network namespace, from the kernel's socket
//! diagnostics (netlink, as `ss` asks): the same facts as `/proc/net/tcp` and its siblings in
//! binary, at about half the kernel's cost of writing the text, and unix names that no
//! newline can split. A netlink socket
//! answers for the namespace it was made in, so this serves only the targets that share
//! tsnap's (a debug container's target, a process of its own pod); the others' tables are
//! read as text. Where netlink is refused (a seccomp profile, no `inet_diag` or `unix_diag`
//! in the kernel), it is not asked again and the text tables serve.

use crate::parse::diag::{self, Message};
use rustix::fd::OwnedFd;
use rustix::io::{self, Errno};
use rustix::net::{AddressFamily, SocketFlags, SocketType, netlink};
use std::time::Duration;

/// The kernel answers while tsnap reads; a bound all the same.
const TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct SockDiag {
    socket: Option<OwnedFd>,
    refused: bool,
}

impl SockDiag {
    /// Passes every socket the dump `request` (`diag::request`, `diag::unix_request`) asks
    /// for to `each`, reading the answer into `buf`. An error means the caller should read
    /// the text table instead (and drop what `each` took): netlink is then not tried again.
    pub fn dump(
        &mut self,
        request: &[u8],
        buf: &mut [u8],
        each: impl FnMut(Message<'_>),
    ) -> io::Result<()> {
        if self.refused {
            return Err(Errno::NOPROTOOPT);
        }
        let result = self.try_dump(request, buf, each);
        if result.is_err() {
            // What was left unread of the answer must not be taken for the next one.
            self.socket = None;
            self.refused = true;
        }
        result
    }

    fn try_dump(
        &mut self,
        request: &[u8],
        buf: &mut [u8],
        mut each: impl FnMut(Message<'_>),
    ) -> io::Result<()> {
        let socket = match &self.socket {
            Some(s) => s,
            None => self.socket.insert(open()?),
        };
        if rustix::io::write(socket, request)? != request.len() {
            return Err(Errno::MSGSIZE);
        }
        loop {
            let n = match rustix::io::read(socket, &mut *buf) {
                Ok(0) => return Err(Errno::NODATA),
                Ok(n) => n,
                Err(Errno::INTR) => continue,
                Err(e) => return Err(e),
            };
            for message in diag::messages(&buf[..n]) {
                match message {
                    Message::Done => return Ok(()),
                    Message::Error(e) => return Err(Errno::from_raw_os_error(e)),
                    Message::Other => {}
                    socket => each(socket),
                }
            }
        }
    }
}

fn open() -> io::Result<OwnedFd> {
    let socket = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )?;
    rustix::net::sockopt::set_socket_timeout(
        &socket,
        rustix::net::sockopt::Timeout::Recv,
        Some(TIMEOUT),
    )?;
    Ok(socket)
}
