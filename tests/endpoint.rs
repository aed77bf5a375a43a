//! The endpoint column and the IO columns against live sockets and threads of this process,
//! checked against what the test reads itself: its own socket tables and its threads' `io`.

use crate::util::{self, Run, by_tid, foreign_arch, is_root, own_pid, run, run_wrapped};
use crate::workload::{Kind, WRITE_RATE, Workload};
use serde_json::Value;
use std::time::Instant;

/// The local and remote addresses (`127.0.0.1:46323`) and state number of socket `inode` in
/// this process's `/proc/self/net/tcp`, decoded here from the hex the kernel writes.
fn tcp_truth(inode: u64) -> (String, String, u8) {
    let table = std::fs::read_to_string("/proc/self/net/tcp").unwrap();
    let addr = |field: &str| {
        let (ip, port) = field.split_once(':').unwrap();
        let ip = u32::from_str_radix(ip, 16).unwrap().to_ne_bytes();
        let port = u16::from_str_radix(port, 16).unwrap();
        format!("{}.{}.{}.{}:{port}", ip[0], ip[1], ip[2], ip[3])
    };
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f[9].parse() == Ok(inode))
        .map(|f| {
            (
                addr(f[1]),
                addr(f[2]),
                u8::from_str_radix(f[3], 16).unwrap(),
            )
        })
        .unwrap_or_else(|| panic!("socket {inode} is not in /proc/self/net/tcp:\n{table}"))
}

/// tsnap in this process's network namespace: netlink answers for it.
#[test]
fn sockets_in_the_tables_of_their_namespace() {
    check_sockets("endp", &run);
}

/// With netlink refused (as a seccomp profile may), the same from the text tables.
#[test]
fn sockets_when_netlink_is_refused() {
    let _table = util::unix_table_turn();
    check_sockets("endpnl", &|args| {
        run_wrapped(&[util::refuse(), "netlink"], args)
    });
}

/// tsnap in a network namespace of its own, as on a node looking into a pod: the target's
/// tables, read as text; netlink would answer for tsnap's namespace, where none of these
/// sockets is.
#[test]
fn sockets_of_another_network_namespace() {
    if !util::require(is_root(), "needs root to make a network namespace") {
        return;
    }
    check_sockets("endpns", &|args| run_wrapped(&["unshare", "--net"], args));
}

/// Starts threads on a TCP connection, a listener, a UDP socket, a unix listener and a pipe,
/// and checks what `run` (tsnap, run some way) shows of each against the truth.
fn check_sockets(name: &'static str, run: &dyn Fn(&[&str]) -> Run) {
    let w = Workload::start(
        name,
        &[
            Kind::PeerReader,
            Kind::Acceptor,
            Kind::UdpReader,
            Kind::UnixAcceptor,
            Kind::PipeReader,
        ],
    );
    let out = run(&[
        "-a",
        "-p",
        &own_pid(),
        "-o",
        "tid,syscall,filename,endpoint",
        "-f",
        "json",
        "-i",
        "0",
    ])
    .ok();
    let rows = out.rows();
    let rows = by_tid(&rows);
    let endpoint = |kind| &rows[&w.tid(kind)]["endpoint"];
    if foreign_arch() {
        eprintln!("endpoints not checked: syscall numbers are another architecture's");
        return;
    }

    let peer = endpoint(Kind::PeerReader);
    let (local, remote, state) = tcp_truth(w.inodes[&Kind::PeerReader]);
    assert_eq!(state, 1, "the truth: ESTABLISHED");
    assert_eq!(peer["proto"], "tcp", "{peer}");
    assert_eq!(peer["local"], local.as_str());
    assert_eq!(peer["remote"], remote.as_str());
    assert_eq!(remote, w.peer_server.unwrap().to_string());
    assert_eq!(peer["state"], "ESTABLISHED");
    assert_eq!(
        (peer["rx_queue"].as_u64(), peer["tx_queue"].as_u64()),
        (Some(0), Some(0))
    );

    let listener = endpoint(Kind::Acceptor);
    let (local, _, state) = tcp_truth(w.inodes[&Kind::Acceptor]);
    assert_eq!(state, 10, "the truth: LISTEN");
    assert_eq!(listener["local"], local.as_str(), "{listener}");
    assert_eq!(
        (&listener["remote"], &listener["state"]),
        (&Value::Null, &Value::from("LISTEN"))
    );

    let udp = endpoint(Kind::UdpReader);
    assert_eq!(udp["proto"], "udp", "{udp}");
    assert_eq!(udp["local"], w.udp_addr.unwrap().to_string());
    assert!(udp["remote"].is_null() && udp["state"].is_null());

    let unix = endpoint(Kind::UnixAcceptor);
    let path = w.unix_path.as_ref().unwrap().to_str().unwrap();
    assert_eq!(
        (&unix["proto"], &unix["path"]),
        (&Value::from("unix"), &Value::from(path))
    );
    assert_eq!(unix["state"], "LISTEN");

    assert!(endpoint(Kind::PipeReader).is_null(), "a pipe is no socket");

    // The same as text, in a table and in the dump.
    let csv = run(&[
        "-a",
        "-p",
        &own_pid(),
        "-o",
        "tid,endpoint",
        "-f",
        "csv",
        "-i",
        "0",
    ])
    .ok();
    let text = |kind| {
        let tid = w.tid(kind).to_string();
        csv.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{tid},")).map(str::to_string))
            .unwrap_or_else(|| panic!("no {kind:?} in {}", csv.stdout))
    };
    let (local, remote, _) = tcp_truth(w.inodes[&Kind::PeerReader]);
    assert_eq!(
        text(Kind::PeerReader),
        format!("tcp {local}->{remote} ESTABLISHED")
    );
    assert_eq!(text(Kind::UnixAcceptor), format!("unix {path}"));
    assert_eq!(
        text(Kind::UdpReader),
        format!("udp {}", w.udp_addr.unwrap())
    );
    let dump = run(&["dump", "-p", &own_pid(), "-i", "0"]).ok();
    let entry = dump
        .stdout
        .split("\n\n")
        .find(|e| e.contains(&format!(" tid={} ", w.tid(Kind::PeerReader))))
        .unwrap();
    let file = format!("\n    file: socket:[{}]\n", w.inodes[&Kind::PeerReader]);
    assert!(
        entry.contains(&format!(
            "{file}    socket: tcp {local}->{remote} ESTABLISHED\n"
        )),
        "{entry}"
    );
}

#[test]
fn grouping_keeps_the_port_of_the_service() {
    let w = Workload::start("grp", &[Kind::PeerReader, Kind::Acceptor]);
    if foreign_arch() {
        return;
    }
    let pid = own_pid();
    let sample = |exact: bool| {
        let mut args = vec!["sample", "-a", "-d", "0.2", "-p", &pid];
        args.extend(["-g", "comm,endpoint", "-f", "json"]);
        if exact {
            args.push("--exact");
        }
        let out = run(&args).ok();
        out.json()
            .into_iter()
            .filter(|g| g["type"] == "group")
            .map(|g| {
                (
                    g["comm"].as_str().unwrap().to_string(),
                    g["endpoint"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let port = w.peer_server.unwrap().port();
    let masked = sample(false);
    let peer = masked.iter().find(|(c, _)| c == "grp-peer").unwrap();
    assert_eq!(peer.1, format!("tcp *.*.*.*:*->*.*.*.*:{port} ESTABLISHED"));
    let (local, remote, _) = tcp_truth(w.inodes[&Kind::PeerReader]);
    let exact = sample(true);
    let listener = exact.iter().find(|(c, _)| c == "grp-accept").map(|p| &p.1);
    let listening = format!("tcp {} LISTEN", w.acceptor_addr.unwrap());
    assert_eq!(listener, Some(&Value::from(listening)));
    let peer = exact.iter().find(|(c, _)| c == "grp-peer").unwrap();
    assert_eq!(peer.1, format!("tcp {local}->{remote} ESTABLISHED"));
}

/// A thread's `wchar` from its own `io`.
fn wchar(tid: u64) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/self/task/{tid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[test]
fn a_writer_at_a_known_rate() {
    let w = Workload::start("iow", &[Kind::Writer, Kind::Sleeper]);
    let tid = w.tid(Kind::Writer);
    let (before, started) = (wchar(tid), Instant::now());
    let out = run(&[
        "-a",
        "-p",
        &own_pid(),
        "-o",
        "tid,rchar,wchar,rbytes,wbytes",
        "-i",
        "1",
        "-f",
        "json",
    ])
    .ok();
    let truth = (wchar(tid) - before) as f64 / started.elapsed().as_secs_f64();
    let rows = out.rows();
    let rows = by_tid(&rows);
    let rate = rows[&tid]["wchar"].as_f64().unwrap();
    let known = WRITE_RATE as f64;
    assert!(
        (rate - known).abs() <= known * 0.2,
        "wchar {rate}/s, written {known}/s"
    );
    assert!(
        (rate - truth).abs() <= truth * 0.2,
        "wchar {rate}/s, measured {truth}/s"
    );
    assert_eq!(rows[&tid]["rchar"].as_u64(), Some(0), "it reads nothing");
    let sleeper = rows[&w.tid(Kind::Sleeper)];
    assert_eq!(sleeper["wchar"].as_u64(), Some(0), "{sleeper}");

    // Without a window, the totals since the thread started.
    let before = wchar(tid);
    let out = run(&[
        "-a",
        "-p",
        &own_pid(),
        "-o",
        "tid,wchar",
        "-i",
        "0",
        "-f",
        "json",
    ])
    .ok();
    let after = wchar(tid);
    let total = by_tid(&out.rows())[&tid]["wchar"].as_u64().unwrap();
    assert!(
        (before..=after).contains(&total),
        "{before} <= {total} <= {after}"
    );
}

#[test]
fn unreadable_io_and_endpoints_say_why() {
    let w = Workload::start("ionobody", &[Kind::PeerReader]);
    let pid = own_pid();
    let args = [
        "-a",
        "-p",
        &pid,
        "-o",
        "tid,rchar,endpoint",
        "-f",
        "json",
        "-i",
        "0",
    ];
    let Some(out) = crate::unprivileged::run_as_nobody(&args) else {
        return;
    };
    let out = out.ok();
    let row = by_tid(&out.rows())[&w.tid(Kind::PeerReader)].clone();
    assert!(row["rchar"].is_null() && row["endpoint"].is_null(), "{row}");
    assert!(
        out.stderr.contains("rchar: not readable for")
            && out.stderr.contains("needs ptrace-read access"),
        "{}",
        out.stderr
    );
}
