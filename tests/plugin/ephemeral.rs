//! The way in through an ephemeral container: a distroless pod (or `--user`, or a profile)
//! gets one whose logs and exit status come back, with the least profile that gives the
//! columns asked for; no permission, an image the node cannot pull and what it cannot do are
//! said before anything is started or with kubectl's and the kubelet's own messages.

use super::*;

#[test]
fn a_distroless_pod_gets_an_ephemeral_container_whose_logs_and_exit_status_come_back() {
    let k = Cluster::new();
    k.distroless("  pid   tid state\n    1    30 R\n", 0);
    k.answer("state.1", CREATING, "", 0)
        .answer("state.2", RUNNING, "", 0);
    let out = succeeded(k.run(&["web-0", "-c", "app", "--image", IMAGE, "--", "-C", "java"]));
    let calls = k.calls();
    let name = debug_name(&calls);
    assert!(name.len() <= 63, "{name}");
    let expected = vec![
        strings(&["get", "pod", "web-0", "POD"]),
        strings(&[
            "exec",
            "web-0",
            "--container=app",
            "--",
            "sh",
            "-c",
            "PROBE",
        ]),
        strings(&[
            "debug",
            "web-0",
            "--quiet",
            &format!("--image={IMAGE}"),
            "--target=app",
            &format!("--container={name}"),
            "--profile=general",
            "--",
            "/tsnap",
            "-C",
            "java",
        ]),
        strings(&["get", "pod", "web-0", "STATE"]),
        strings(&["get", "pod", "web-0", "STATE"]),
        strings(&["logs", "--follow", "web-0", &format!("--container={name}")]),
        strings(&["get", "pod", "web-0", "STATE"]),
    ];
    assert_eq!(shapes(&calls), expected, "{}", out.stderr);
    // The state is asked of this ephemeral container only.
    assert!(
        calls[3][3].contains(&format!("[?(@.name==\"{name}\")]")),
        "{}",
        calls[3][3]
    );
    assert_eq!(out.stdout, "  pid   tid state\n    1    30 R\n");
    for says in [
        "container app has no shell (kubectl exec: error: Internal error occurred",
        &format!(
            "running tsnap in ephemeral container {name} from {IMAGE}, sharing the processes of container app"
        ),
        "general profile: SYS_PTRACE added",
        "until the pod goes",
    ] {
        assert!(out.stderr.contains(says), "{says} in {}", out.stderr);
    }

    // tsnap's exit status, from the terminated container.
    let k = Cluster::new();
    k.distroless("no process named java\n", 1);
    let out = k.run(&["web-0", "--image", IMAGE, "--", "-C", "java"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "no process named java\n");
}

#[test]
fn the_profile_is_the_least_that_gives_the_columns_asked_for_unless_one_is_given() {
    let profile = |args: &[&str]| {
        let k = Cluster::new();
        k.distroless("", 0);
        let mut all = vec!["web-0", "--image", IMAGE, "--"];
        all.extend_from_slice(args);
        let out = succeeded(k.run(&all));
        let calls = k.calls();
        let debug = calls.iter().find(|c| c[0] == "debug").unwrap().clone();
        let p = debug
            .iter()
            .find_map(|a| a.strip_prefix("--profile="))
            .unwrap()
            .to_string();
        (p, out.stderr)
    };
    assert_eq!(profile(&["-C", "java"]).0, "general");
    assert_eq!(
        profile(&["-o", "pid,tid,state,pcpu,comm,runq"]).0,
        "baseline"
    );
    assert_eq!(
        profile(&["watch", "-d", "5", "--columns=tid,comm,nspid"]).0,
        "baseline"
    );
    assert_eq!(profile(&["-o", "pid,tid,wchan"]).0, "general");
    assert_eq!(profile(&["-otid,syscall"]).0, "general");
    assert_eq!(profile(&["dump", "-p", "1", "--java"]).0, "general");
    assert_eq!(profile(&["sample", "-o", "tid"]).0, "general");
    let (p, said) = profile(&["-o", "tid,kstack"]);
    assert_eq!(p, "general");
    assert!(said.contains("kstack needs --profile sysadmin"), "{said}");

    // --profile is passed on as given, and means an ephemeral container even with tar.
    let k = Cluster::new();
    k.distroless("", 0);
    k.answer("probe", PROBE_OK, "", 0);
    succeeded(k.run(&[
        "web-0",
        "--profile",
        "sysadmin",
        "--image",
        IMAGE,
        "--",
        "-o",
        "tid,kstack",
    ]));
    let calls = shapes(&k.calls());
    assert!(calls.iter().all(|c| c[0] != "exec"), "{calls:?}");
    assert!(
        calls[1].contains(&"--profile=sysadmin".to_string()),
        "{calls:?}"
    );
}

#[test]
fn user_runs_the_ephemeral_container_as_that_user_through_a_custom_profile() {
    let k = Cluster::new();
    k.distroless("", 0);
    succeeded(k.run(&[
        "web-0",
        "--user",
        "65532:65532",
        "--profile=restricted",
        "--image",
        IMAGE,
    ]));
    let calls = k.calls();
    let debug = calls.iter().find(|c| c[0] == "debug").unwrap();
    assert!(debug[3].starts_with("--custom="), "{debug:?}");
    assert!(
        debug.contains(&"--profile=restricted".to_string()),
        "{debug:?}"
    );
    let custom = std::fs::read_to_string(k.dir.0.join("custom.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&custom).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"securityContext": {"runAsUser": 65532, "runAsGroup": 65532}})
    );

    // Root, in a pod that asks for non-root containers: it has to be said outright.
    let k = Cluster::new();
    k.distroless("", 0);
    succeeded(k.run(&["web-0", "--user", "0", "--image", IMAGE]));
    let custom = std::fs::read_to_string(k.dir.0.join("custom.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&custom).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"securityContext": {"runAsUser": 0, "runAsNonRoot": false}})
    );

    let k = Cluster::new();
    let out = k.run(&["web-0", "--user", "nonroot"]);
    assert_eq!(out.status, 2);
    holds(&out.stderr, "--user takes a numeric UID[:GID]");
    assert!(k.calls().is_empty());
}

#[test]
fn no_permission_for_ephemeral_containers_is_kubectls_message_and_a_hint() {
    let k = Cluster::new();
    k.distroless("", 0);
    let forbidden = "Error from server (Forbidden): pods \"web-0\" is forbidden: User \"dev\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"shop\"\n";
    k.answer("debug", "", forbidden, 1);
    let out = k.run(&["web-0", "-n", "shop", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, forbidden);
    holds(
        &out.stderr,
        "kubectl-tsnap: adding an ephemeral container needs permission to patch pods/ephemeralcontainers; check with: kubectl auth can-i patch pods/ephemeralcontainers -n shop",
    );
    assert_eq!(k.calls().len(), 3, "nothing after the refused debug");

    // No permission to exec, in a pod that might have tar: said, not taken for no shell.
    let k = Cluster::new();
    k.pod("Running", &["app"], &["app"]);
    let forbidden = "Error from server (Forbidden): pods \"web-0\" is forbidden: User \"dev\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"default\"\n";
    k.answer("probe", "", forbidden, 1);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, forbidden);
    holds(&out.stderr, "kubectl auth can-i create pods/exec");
    assert_eq!(k.calls().len(), 2);
}

#[test]
fn an_image_the_node_cannot_pull_ends_the_run_with_the_kubelets_message() {
    let k = Cluster::new();
    k.distroless("", 0);
    let message = "rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example/tools/tsnap:0.1.0\": not found";
    k.answer("state.1", CREATING, "", 0);
    k.answer(
        "state.2",
        &format!("waiting\tErrImagePull\t{message}\nrunning\t\nterminated\t\n"),
        "",
        0,
    );
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, &format!("ErrImagePull: {message}"));
    holds(&out.stderr, &format!("the node cannot pull {IMAGE}"));
    assert!(k.calls().iter().all(|c| c[0] != "logs"));

    // A pod that asks for non-root containers refuses tsnap's image, which runs as root.
    let k = Cluster::new();
    k.distroless("", 0);
    k.answer("state.1", "waiting\tCreateContainerConfigError\tcontainer has runAsNonRoot and image will run as root (pod: \"web-0_shop\", container: tsnap-1)\nrunning\t\nterminated\t\n", "", 0);
    let out = k.run(&["web-0", "--image", IMAGE]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "run it as the application's user with --user UID",
    );
}

#[test]
fn the_ephemeral_way_refuses_what_it_cannot_do_before_starting_anything() {
    // No image: none is published, and it says how to make one.
    let k = Cluster::new();
    k.distroless("", 0);
    let out = k.run(&["web-0"]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "No image is published: build one with scripts/image",
    );
    assert!(k.calls().iter().all(|c| c[0] != "debug"));
    // ... unless TSNAP_IMAGE names one.
    let k = Cluster::new();
    k.distroless("", 0);
    succeeded(finish(
        k.command(None, &["web-0"])
            .env("TSNAP_IMAGE", IMAGE)
            .output()
            .unwrap(),
    ));
    assert!(
        k.calls()
            .iter()
            .flatten()
            .any(|a| *a == format!("--image={IMAGE}"))
    );

    // --fetch: the image has no tar and its files go with it.
    let k = Cluster::new();
    k.distroless("", 0);
    let local = k.dir.0.to_string_lossy().into_owned();
    let out = k.run(&[
        "web-0", "--image", IMAGE, "--fetch", &local, "--", "sample", "--save", "s.jsonl",
    ]);
    assert_eq!(out.status, 1);
    holds(
        &out.stderr,
        "--fetch cannot work there: its image holds nothing but tsnap (no tar for kubectl cp)",
    );
    assert!(k.calls().iter().all(|c| c[0] != "debug"));

    // watch with no end: an ephemeral container cannot be stopped.
    let k = Cluster::new();
    k.distroless("", 0);
    let out = k.run(&["web-0", "--image", IMAGE, "--", "watch", "-i", "2"]);
    assert_eq!(out.status, 1);
    holds(&out.stderr, "give it -d SECONDS");
    assert!(k.calls().iter().all(|c| c[0] != "debug"));
}

#[test]
fn user_and_ephemeral_take_the_ephemeral_way_even_with_tar() {
    for option in [&["--user", "65532"][..], &["--ephemeral"][..]] {
        let k = Cluster::new();
        k.distroless("", 0);
        k.answer("probe", PROBE_OK, "", 0);
        let mut args = vec!["web-0", "--image", IMAGE];
        args.extend_from_slice(option);
        let out = succeeded(k.run(&args));
        let calls = k.calls();
        assert!(
            calls.iter().all(|c| c[0] != "exec"),
            "{option:?}: {calls:?}"
        );
        assert!(
            calls.iter().any(|c| c[0] == "debug"),
            "{option:?}: {calls:?}"
        );
        holds(
            &out.stderr,
            "an ephemeral container is asked for (--ephemeral, --profile or --user): running",
        );
    }
}
