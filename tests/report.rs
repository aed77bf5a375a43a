//! report: samples saved by `sample --save` read again, grouped anew, and a truncated or
//! malformed file.

use crate::util::{TempDir, own_pid, run};
use crate::workload::{Kind, Workload};

#[test]
fn saved_samples_report_the_same_rows() {
    let _w = Workload::start("save", &[Kind::Spinner, Kind::PipeReader, Kind::Sleeper]);
    let dir = TempDir::new("save");
    let file = dir.0.join("samples.jsonl");
    let file = file.to_str().unwrap();
    let group = "comm,state,syscall,filename";
    let sampled = run(&[
        "sample",
        "-a",
        "-d",
        "1",
        "-p",
        &own_pid(),
        "-g",
        group,
        "--save",
        file,
        "-f",
        "json",
    ])
    .ok();
    let reported = run(&["report", file, "-g", group, "-f", "json"]).ok();
    let rows = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains(r#""type":"group""#))
            .map(str::to_string)
            .collect()
    };
    assert!(!rows(&sampled.stdout).is_empty());
    assert_eq!(rows(&sampled.stdout), rows(&reported.stdout));
    // Another grouping of the same file, and a column that was not saved.
    let by_state = run(&["report", file, "-g", "state", "-f", "csv"]).ok();
    assert!(by_state.stdout.starts_with("samples,avg_threads,state\n"));
    let missing = run(&["report", file, "-g", "cmdline"]);
    assert_eq!(missing.status, 2);
    assert!(
        missing.stderr.contains("has no column 'cmdline'"),
        "{}",
        missing.stderr
    );

    // A writer killed mid-line leaves a truncated last line: skipped with a warning.
    let mut data = std::fs::read(file).unwrap();
    data.extend_from_slice(br#"{"type":"row","pass":99,"comm":"cut"#);
    std::fs::write(file, &data).unwrap();
    let truncated = run(&["report", file, "-g", group, "-f", "json"]).ok();
    assert_eq!(rows(&truncated.stdout), rows(&sampled.stdout));
    assert!(truncated.stderr.contains("skipped the truncated last line"));
    // Anything else malformed is an error naming the line.
    let text = String::from_utf8(data).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "not json");
    std::fs::write(file, lines.join("\n")).unwrap();
    let bad = run(&["report", file]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("line 3 is not a saved row"),
        "{}",
        bad.stderr
    );
}
