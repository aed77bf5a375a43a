//! `-f folded`: one line per distinct stack, frames root first joined by `;`, a space and the
//! samples (`app;worker-*;read;vfs_read;pipe_read 57`), the collapsed format flamegraph.pl,
//! inferno, speedscope and Pyroscope read. With `report --diff`, two counts (base, then new),
//! as flamegraph's difffolded.pl writes them for a differential flame graph
//! (`flamegraph.pl` / `inferno-flamegraph` take such lines as they are).
//!
//! Heaviest stacks first (in the new capture, then the base), ties in the order of their text.

use super::{BASE, NEW, Tree};
use crate::output::number::push_int;

/// Appends the tree's stacks as folded lines; `diff`: with the base's count before the new's.
pub fn write(tree: &Tree, diff: bool, out: &mut Vec<u8>) {
    // Each line behind a key that orders it: the counts inverted, big-endian, then the text.
    let mut lines: Vec<(Vec<u8>, usize)> = Vec::new();
    for (n, node) in tree.nodes.iter().enumerate().skip(1) {
        if node.own == [0, 0] {
            continue;
        }
        let mut key = Vec::new();
        key.extend_from_slice(&(u64::MAX - node.own[NEW]).to_be_bytes());
        key.extend_from_slice(&(u64::MAX - node.own[BASE]).to_be_bytes());
        tree.push_path(&mut key, u32::try_from(n).unwrap_or(u32::MAX));
        lines.push((key, n));
    }
    crate::sort::sort(&mut lines);
    for (key, n) in lines {
        let own = tree.nodes[n].own;
        out.extend_from_slice(&key[16..]);
        out.push(b' ');
        if diff {
            push_int(out, own[BASE]);
            out.push(b' ');
        }
        push_int(out, own[NEW]);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_heaviest_first_and_diffed() {
        let mut t = Tree::default();
        let mut add = |comm: &[u8], capture| {
            t.stack()
                .thread(b"app;x", comm, false)
                .kernel(Some(b"futex"), std::iter::empty())
                .count(capture, b'S');
        };
        add(b"a", NEW);
        add(b"b\n1", NEW);
        add(b"b\n1", NEW);
        add(b"a", BASE);
        let mut out = Vec::new();
        write(&t, false, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "app:x;b\\n*;futex 2\napp:x;a;futex 1\n"
        );
        let mut out = Vec::new();
        write(&t, true, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "app:x;b\\n*;futex 0 2\napp:x;a;futex 1 1\n"
        );
    }
}
