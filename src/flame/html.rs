//! `--flame FILE.html`: the stacks as one self-contained page, a flame graph drawn by a few KB
//! of script of tsnap's own (`viewer.html`) from the tree embedded in the page as JSON. Nothing
//! is fetched (the page's content security policy forbids it); a click zooms into a frame, the
//! search box marks the frames whose name holds its text. Frames are coloured by the states
//! their samples were in (R, D, S, other, as a mix across the frame), or with `report --diff`
//! by how much their share of their capture grew (red) or shrank (blue); a diff draws each
//! frame as wide as its share of the base plus its share of the new capture, so that what
//! vanished is still seen.
//!
//! Safety: the data sits in a `<script type="application/json">` block, every name a JSON
//! string with `<`, `>` and `&` escaped as `\u003c`..., so no name can end the block or open
//! a tag; the script puts names in the page only as text (`textContent`, `title`).

use super::{BASE, NEW, Tree};
use crate::error::Error;
use crate::output::files::OutDir;
use crate::output::number::push_int;
use crate::output::{Out, escape};
use std::path::Path;

const VIEWER: &str = include_str!("viewer.html");

/// Where the data goes in [`VIEWER`].
const DATA: &str = "@DATA@";

/// Opens `path` for the page (created with `mode`), before any sampling, as `--save` opens
/// its file ([`OutDir`]: never through a link, only a regular file of tsnap's own user); a
/// file that exists with content is left as it is (a page is written whole, never appended
/// to one).
pub fn create(path: &Path, mode: u32) -> Result<Out, Error> {
    let (dir, name) = OutDir::of_file(path, mode)?;
    let out = dir.append(&name)?;
    if !out.is_new_file() {
        return Err(Error::BadInput(format!(
            "{} exists and is not empty: remove it or name another file for --flame",
            path.display()
        )));
    }
    Ok(out)
}

/// Writes the page of `tree` (with `diff`, of its two captures) titled `title` to `out`.
pub fn write(tree: &Tree, diff: bool, title: &[u8], out: &mut Out) -> Result<(), Error> {
    let (head, tail) = VIEWER.split_once(DATA).unwrap_or((VIEWER, ""));
    out.buf.extend_from_slice(head.as_bytes());
    out.buf.extend_from_slice(b"{\"title\":");
    js_string(&mut out.buf, title);
    out.buf.extend_from_slice(b",\"diff\":");
    out.buf
        .extend_from_slice(if diff { b"true" as &[u8] } else { b"false" });
    out.buf.extend_from_slice(b",\"root\":");
    node(tree, 0, diff, &mut out.buf);
    out.buf.push(b'}');
    out.buf.extend_from_slice(tail.as_bytes());
    out.flush()
}

/// `[name, counts, children]`; counts are `[samples, R, D, S, other]`, or in a diff
/// `[base, new]`. Children in the order they were first seen (the page orders them).
fn node(tree: &Tree, n: u32, diff: bool, out: &mut Vec<u8>) {
    let this = &tree.nodes[n as usize];
    out.push(b'[');
    js_string(out, &this.name);
    out.extend_from_slice(b",[");
    let counts: &[u64] = if diff {
        &[this.total[BASE], this.total[NEW]]
    } else {
        &[this.total[NEW]]
    };
    let states: &[u64] = if diff { &[] } else { &this.states };
    for (i, c) in counts.iter().chain(states).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_int(out, *c);
    }
    out.extend_from_slice(b"],[");
    for (i, &k) in this.kids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        node(tree, k, diff, out);
    }
    out.extend_from_slice(b"]]");
}

/// Appends `text` as a JSON string that is also safe inside a `<script>` block.
fn js_string(out: &mut Vec<u8>, text: &[u8]) {
    let mut json = Vec::with_capacity(text.len() + 2);
    escape::json(&mut json, text);
    for &b in &json {
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_their_string() {
        let mut out = Vec::new();
        js_string(&mut out, b"</script><b>\"&'");
        assert_eq!(out, br#""\u003c/script\u003e\u003cb\u003e\"\u0026'""#);
    }

    #[test]
    fn viewer_has_one_place_for_data() {
        assert_eq!(VIEWER.matches(DATA).count(), 1);
        assert!(!VIEWER.contains("://"), "the page fetches nothing");
    }
}
