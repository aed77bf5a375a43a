#![no_main]
//! `mountinfo`: never a panic, for any mount point asked about; a mount's fields are pieces of
//! one line, and unescaping never lengthens a path.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (point, info) = data.split_at(data.len().min(8));
    let _ = tsnap_parse::mountinfo::hidepid(info, point);
    let _ = tsnap_parse::mountinfo::hidepid(data, b"/proc");
    let mut out = Vec::new();
    for mount in tsnap_parse::mountinfo::mounts(data) {
        for field in [mount.root, mount.point, mount.fstype, mount.super_options] {
            assert!(!field.contains(&b'\n') && field.len() < data.len());
            out.clear();
            tsnap_parse::mountinfo::unescape(field, &mut out);
            assert!(out.len() <= field.len());
        }
    }
});
