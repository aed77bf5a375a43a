//! `kubectl tsnap fetch`: what tsnap saved in the pod copied to the laptop.

use super::*;

#[test]
fn fetch_copies_what_tsnap_saved_in_the_pod_to_the_laptop() {
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "report\n", "", 0);
    std::fs::write(k.dir.0.join("fetched"), "{\"type\":\"pass\"}\n").unwrap();
    let local = k.dir.0.join("local");
    std::fs::create_dir(&local).unwrap();
    let local_arg = local.to_string_lossy().into_owned();
    let out = succeeded(k.run(&[
        "web-0",
        "--fetch",
        &local_arg,
        "--",
        "sample",
        "-d",
        "2",
        "--save",
        "/data/s.jsonl",
        "-G",
        "syscall",
    ]));
    let dir = "/tmp/tsnap.Ab3dE9";
    let calls = shapes(&k.calls());
    assert_eq!(
        calls[3],
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            &format!("{dir}/tsnap"),
            "sample",
            "-d",
            "2",
            "--save",
            &format!("{dir}/s.jsonl"),
            "-G",
            "syscall"
        ])
    );
    assert_eq!(
        calls[4],
        strings(&[
            "cp",
            &format!("web-0:{dir}/s.jsonl"),
            &format!("{local_arg}/s.jsonl"),
            "--container=app"
        ])
    );
    assert_eq!(
        calls[5],
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            "rm",
            "-rf",
            "--",
            dir
        ])
    );
    assert_eq!(calls.len(), 6);
    assert_eq!(
        std::fs::read_to_string(local.join("s.jsonl")).unwrap(),
        "{\"type\":\"pass\"}\n"
    );
    assert_eq!(out.stdout, "report\n");
    holds(&out.stderr, &format!("fetched {local_arg}/s.jsonl"));

    // --output-dir, given with '=', and a trailing slash.
    let k = Cluster::new();
    k.with_tar(PROBE_OK).answer("tsnap", "", "", 0);
    std::fs::write(k.dir.0.join("fetched"), "csv\n").unwrap();
    succeeded(k.run(&[
        "web-0",
        "--fetch",
        &local_arg,
        "--",
        "watch",
        "-d",
        "3",
        "--output-dir=/var/xcap/",
    ]));
    let calls = shapes(&k.calls());
    assert_eq!(
        calls[3][5..],
        strings(&["watch", "-d", "3", "--output-dir", &format!("{dir}/xcap")])[..]
    );
    assert_eq!(calls[4][1], format!("web-0:{dir}/xcap"));
}
