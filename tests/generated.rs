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
