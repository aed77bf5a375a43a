//! Selecting processes by container, pod and cgroup path: real containers (podman) picked by
//! `--container` and `--cgroup`, and pods on kubelet trees of both drivers, v1 and v2.

use crate::support::containers::Container;
use crate::support::kubelet::{CONTAINER, Layout, Node, OTHER_CONTAINER, POD};
use crate::util::{cpu_turn, run, tids};
use std::collections::BTreeSet;

#[test]
fn container_and_cgroup_select_exactly_one() {
    let _turn = cpu_turn();
    let Some(a) = Container::start("select-a", &["3", "1"], &[]) else {
        return;
    };
    let Some(b) = Container::start("select-b", &["1", "2"], &[]) else {
        return;
    };
    let columns = [
        "-a",
        "-i",
        "0",
        "-f",
        "json",
        "-o",
        "pid,tid,comm,container,pod",
    ];
    for (c, other) in [(&a, &b), (&b, &a)] {
        let want: BTreeSet<u64> = c.threads().into_keys().collect();
        let by_id = run(&[&columns[..], &["--container", &c.id[..12]]].concat()).ok();
        let by_path = format!("libpod-{}", c.id);
        let by_cgroup = run(&[&columns[..], &["--cgroup", &by_path]].concat()).ok();
        let named = run(&[&columns[..], &["-C", "workload", "--container", &c.id[..6]]].concat());
        for out in [by_id, by_cgroup, named.ok()] {
            let rows = out.rows();
            assert_eq!(tids(&rows), want, "{}", out.stdout);
            for row in &rows {
                assert_eq!(
                    row["container"],
                    c.id.as_str(),
                    "the full id in JSON: {row}"
                );
                assert_eq!(row["pid"], c.pid);
                assert!(row["pod"].is_null(), "no pod: {row}");
            }
        }
        // -p and --container intersect: the other container's process is not in this one.
        let none = run(&["-p", &other.pid.to_string(), "--container", &c.id[..12]]);
        assert_eq!(none.status, 1, "{}", none.stderr);
        assert!(
            none.stderr
                .contains(&format!("in container {}", &c.id[..12]))
        );
        // Tables show 12 hex digits.
        let table = run(&["-a", "-i", "0", "--container", &c.id, "-o", "tid,container"]).ok();
        assert!(table.table().contains(&format!(" {}\n", &c.id[..12])));
        assert!(!table.table().contains(&c.id[..13]), "{}", table.stdout);
    }
    let wrong = run(&["--container", "12345"]);
    assert_eq!(wrong.status, 2, "{}", wrong.stderr);
}

#[test]
fn pods_on_kubelet_trees_of_both_drivers_v1_and_v2() {
    // Quick, but many runs of tsnap: not beside the tests that time threads.
    let _turn = cpu_turn();
    for layout in Layout::ALL {
        let node = Node::new(layout);
        let columns = ["-a", "-i", "0", "-f", "json", "-o", "pid,tid,container,pod"];
        // The UID as the API shows it, whole or its start, and as the systemd driver writes it.
        for pod in [POD, &POD[..8], &POD.replace('-', "_")[..13]] {
            let out = node.run(&[&columns[..], &["--pod", pod]].concat()).ok();
            let rows = out.rows();
            assert_eq!(tids(&rows), BTreeSet::from([100, 101]), "{layout:?} {pod}");
            for row in &rows {
                assert_eq!(row["pod"], POD, "{layout:?}: {row}");
                assert_eq!(row["container"], CONTAINER, "{layout:?}: {row}");
            }
        }
        let other = node.run(&[&columns[..], &["--container", &OTHER_CONTAINER[..6]]].concat());
        assert_eq!(
            tids(&other.ok().rows()),
            BTreeSet::from([200]),
            "{layout:?}"
        );
        // The host's service is in no pod: null in JSON, - in tables.
        let host = node.run(&[&columns[..], &["-p", "300"]].concat()).ok();
        assert!(host.rows()[0]["pod"].is_null() && host.rows()[0]["container"].is_null());
        let both =
            node.run(&[&columns[..], &["--pod", &POD[..4], "--container", "aa11bb"]].concat());
        assert_eq!(both.status, 1, "{layout:?}: pod and container intersect");
        // The block above the table names the pod, and found its cgroup's files.
        let table = node
            .run(&["-a", "-i", "0", "--pod", POD, "-o", "tid,pod"])
            .ok();
        let block = format!("container {}, pod {POD}\n", &CONTAINER[..12]);
        assert!(
            table.stdout.contains(&block),
            "{layout:?}\n{}",
            table.stdout
        );
        assert!(
            table.stdout.contains("memory: 100.0 MiB"),
            "{}",
            table.stdout
        );
        assert!(
            table.table().contains(&format!("101 {POD}\n")),
            "{}",
            table.stdout
        );
    }
}
