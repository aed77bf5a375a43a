//! Stacks for pictures: every sample of a thread as a path of frames, root first, counted in
//! a tree that `-f folded` writes as collapsed lines and `--flame` draws.
//!
//! A thread's stack is, root first: its process (`pcomm`), its pool (its name, digits masked
//! as when grouping), then the syscall it is in and the kernel frames below it. Frames are
//! pushed one by one ([`Stack::frame`]), so frames known of a thread from elsewhere can go
//! between its pool and its syscall ([`Stack::thread`], then those, then [`Stack::kernel`]).
//!
//! Frame names are made safe once, when pushed ([`clean`]): escaped as table cells are (no
//! control byte, no newline, bytes that are not UTF-8 as `\xHH`), `;` (the frame separator of
//! the folded format) as `:`, and a space followed by nothing but digits at the end as `_`,
//! so that no name can pass for a count (`name 12` would read as a count of 12 in a line of
//! two counts).

pub mod folded;
pub mod html;

use crate::aggregate::{fnv1a, star_digits};
use crate::columns::syscall_name;
use crate::output::{Kind, escape};
use crate::parse::stack::is_entry_frame;
use crate::row::Rows;

/// The capture a sample is counted in: a run's own in `NEW`, `report --diff`'s base in `BASE`.
pub const NEW: usize = 0;
pub const BASE: usize = 1;

/// The states coloured apart: R, D, S and any other.
const STATES: usize = 4;

/// Counts per distinct stack, as a tree of frames; node 0 is the root (`all`).
pub struct Tree {
    nodes: Vec<Node>,
    /// Children found by parent and name: an open-addressing table of node indices (0 is an
    /// empty slot: the root is no one's child), at most half full; its length a power of two.
    slots: Vec<u32>,
    name: Vec<u8>,
    masked: Vec<u8>,
    /// The nodes of the stack being pushed, root first.
    path: Vec<u32>,
}

struct Node {
    parent: u32,
    name: Box<[u8]>,
    /// Of the parent and the name, for [`Tree::slots`].
    hash: u64,
    kids: Vec<u32>,
    /// Samples in this frame or in frames above it, per capture.
    total: [u64; 2],
    /// Samples whose stack ends in this frame, per capture: the folded lines' counts.
    own: [u64; 2],
    /// Samples of capture `NEW` in this frame or above, by the thread's state (R, D, S, other).
    states: [u64; STATES],
}

impl Node {
    fn new(parent: u32, name: &[u8], hash: u64) -> Node {
        Node {
            parent,
            name: name.into(),
            hash,
            kids: Vec::new(),
            total: [0; 2],
            own: [0; 2],
            states: [0; STATES],
        }
    }
}

impl Default for Tree {
    fn default() -> Tree {
        Tree {
            nodes: vec![Node::new(0, b"all", 0)],
            slots: vec![0; 1024],
            name: Vec::new(),
            masked: Vec::new(),
            path: Vec::new(),
        }
    }
}

impl Tree {
    /// Starts the stack of one sample, at the root.
    pub fn stack(&mut self) -> Stack<'_> {
        self.path.clear();
        self.path.push(0);
        Stack { tree: self }
    }

    /// Counts every row of one pass in capture `NEW`; digits in the process's and thread's
    /// names are masked unless `exact`.
    pub fn add_rows(&mut self, rows: &Rows, exact: bool) {
        let mut syscall = Vec::new();
        for row in &rows.rows {
            syscall.clear();
            let known = syscall_name(row.syscall, &mut syscall) != Kind::Missing;
            let text = |s: Option<crate::parse::Span>| s.map_or(&b""[..], |s| rows.text(s));
            let mut stack = self.stack();
            stack.thread(text(row.pcomm), rows.text(row.comm), exact);
            // Java frames (`--java`), innermost first like kernel frames.
            for f in row_frames(text(row.jstack)).filter(|f| !f.is_empty()) {
                stack.frame(f);
            }
            stack
                .kernel(known.then_some(&syscall[..]), row_frames(text(row.kstack)))
                .count(NEW, row.state);
        }
    }

    /// Samples in capture `capture`.
    pub fn samples(&self, capture: usize) -> u64 {
        self.nodes[0].total[capture]
    }

    /// The child of `parent` named `name` (cleaned), made if new.
    fn child(&mut self, parent: u32, name: &[u8]) -> u32 {
        let hash = fnv1a(name) ^ u64::from(parent).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while let n @ 1.. = self.slots[i] {
            let node = &self.nodes[n as usize];
            if node.hash == hash && node.parent == parent && *node.name == *name {
                return n;
            }
            i = (i + 1) & mask;
        }
        let n = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(Node::new(parent, name, hash));
        self.nodes[parent as usize].kids.push(n);
        self.slots[i] = n;
        if self.nodes.len() * 2 > self.slots.len() {
            self.grow();
        }
        n
    }

    /// Doubles the table of children.
    fn grow(&mut self) {
        let len = self.slots.len() * 2;
        self.slots.clear();
        self.slots.resize(len, 0);
        for (n, node) in self.nodes.iter().enumerate().skip(1) {
            let mut i = node.hash as usize & (len - 1);
            while self.slots[i] != 0 {
                i = (i + 1) & (len - 1);
            }
            self.slots[i] = u32::try_from(n).unwrap_or(u32::MAX);
        }
    }

    /// The frames from the root's child to `node`, joined by `;`.
    fn push_path(&self, out: &mut Vec<u8>, node: u32) {
        let mut chain = Vec::new();
        let mut n = node;
        while n != 0 {
            chain.push(n);
            n = self.nodes[n as usize].parent;
        }
        for (i, &n) in chain.iter().rev().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(&self.nodes[n as usize].name);
        }
    }
}

/// One sample's stack, pushed root first, then counted.
pub struct Stack<'a> {
    tree: &'a mut Tree,
}

impl Stack<'_> {
    /// Pushes a frame named `raw` (any bytes; made safe here).
    pub fn frame(&mut self, raw: &[u8]) -> &mut Self {
        let tree = &mut *self.tree;
        tree.name.clear();
        clean(&mut tree.name, raw);
        let name = std::mem::take(&mut tree.name);
        let parent = *tree.path.last().unwrap_or(&0);
        let n = tree.child(parent, &name);
        tree.name = name;
        tree.path.push(n);
        self
    }

    /// Pushes `raw` with its digits masked as groups mask them, unless `exact`.
    fn masked(&mut self, raw: &[u8], exact: bool) -> &mut Self {
        if exact {
            return self.frame(raw);
        }
        let mut masked = std::mem::take(&mut self.tree.masked);
        masked.clear();
        star_digits(&mut masked, raw);
        self.frame(&masked);
        self.tree.masked = masked;
        self
    }

    /// Pushes a thread's first frames: its process and its pool (both names with their
    /// digits masked, unless `exact`).
    pub fn thread(&mut self, pcomm: &[u8], comm: &[u8], exact: bool) -> &mut Self {
        self.masked(pcomm, exact).masked(comm, exact)
    }

    /// Pushes a thread's last frames: its syscall (if known) and its kernel frames, root
    /// first, leaving out the syscall entry path.
    pub fn kernel<'f>(
        &mut self,
        syscall: Option<&[u8]>,
        frames: impl Iterator<Item = &'f [u8]>,
    ) -> &mut Self {
        if let Some(s) = syscall {
            self.frame(s);
        }
        for f in frames.filter(|f| !f.is_empty() && !is_entry_frame(f)) {
            self.frame(f);
        }
        self
    }

    /// Counts the stack once in `capture`, for a thread in `state` (its letter).
    pub fn count(&mut self, capture: usize, state: u8) {
        let s = match state {
            b'R' => 0,
            b'D' => 1,
            b'S' => 2,
            _ => 3,
        };
        let tree = &mut *self.tree;
        for &n in &tree.path {
            let node = &mut tree.nodes[n as usize];
            node.total[capture] += 1;
            if capture == NEW {
                node.states[s] += 1;
            }
        }
        let last = *tree.path.last().unwrap_or(&0);
        tree.nodes[last as usize].own[capture] += 1;
    }
}

/// Appends `raw` as a frame name: see the module's doc.
fn clean(out: &mut Vec<u8>, raw: &[u8]) {
    let start = out.len();
    escape::text(out, raw);
    for b in &mut out[start..] {
        if *b == b';' {
            *b = b':';
        }
    }
    let name = &out[start..];
    let digits = name
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    if digits > 0 && digits < name.len() && name[name.len() - digits - 1] == b' ' {
        let at = out.len() - digits - 1;
        out[at] = b'_';
    }
    if out.len() == start {
        out.push(b'-');
    }
}

/// Kernel frames as a row holds them (innermost first, one a line), root first.
pub fn row_frames(kstack: &[u8]) -> impl Iterator<Item = &[u8]> {
    kstack.rsplit(|&b| b == b'\n')
}

/// Kernel frames as a saved row holds them (the kstack column: `a()->b()`, root first).
pub fn saved_frames(kstack: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(kstack);
    std::iter::from_fn(move || {
        let text = rest?;
        let (frame, next) = match text.windows(2).position(|w| w == b"->") {
            Some(at) => (&text[..at], Some(&text[at + 2..])),
            None => (text, None),
        };
        rest = next;
        Some(frame.strip_suffix(b"()").unwrap_or(frame))
    })
    .filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(raw: &[u8]) -> String {
        let mut out = Vec::new();
        clean(&mut out, raw);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn names_cannot_break_a_folded_line() {
        assert_eq!(cleaned(b"a;b\nc"), "a:b\\nc");
        assert_eq!(cleaned(b"pool 12"), "pool_12");
        assert_eq!(cleaned(b"pool 1.5"), "pool_1.5");
        assert_eq!(cleaned(b"C2 CompilerThread0"), "C2 CompilerThread0");
        assert_eq!(cleaned(b"12"), "12");
        assert_eq!(cleaned(b""), "-");
        assert_eq!(cleaned(b"\xff\x1b"), "\\xff\\x1b");
    }

    #[test]
    fn stacks_count_along_their_path() {
        let mut t = Tree::default();
        for _ in 0..3 {
            t.stack()
                .thread(b"app", b"worker-7", false)
                .kernel(
                    Some(b"read"),
                    row_frames(b"pipe_read\nvfs_read\ndo_syscall_64"),
                )
                .count(NEW, b'S');
        }
        t.stack()
            .thread(b"app", b"worker-8", false)
            .kernel(Some(b"[running]"), row_frames(b""))
            .count(NEW, b'R');
        assert_eq!(t.samples(NEW), 4);
        let mut line = Vec::new();
        let leaf = t
            .nodes
            .iter()
            .position(|n| &*n.name == b"pipe_read")
            .unwrap();
        t.push_path(&mut line, leaf as u32);
        assert_eq!(line, b"app;worker-*;read;vfs_read;pipe_read");
        let pool = &t.nodes[2];
        assert_eq!((pool.total[NEW], pool.states), (4, [1, 0, 3, 0]));
    }

    #[test]
    fn many_frames_are_each_found_again() {
        let mut t = Tree::default();
        for round in 0..2 {
            for i in 0..3000u32 {
                let name = i.to_string();
                t.stack()
                    .frame(b"p")
                    .frame(name.as_bytes())
                    .count(NEW, b'S');
            }
            assert_eq!(t.nodes.len(), 3002, "round {round}");
        }
        assert!(t.nodes[2..].iter().all(|n| n.total[NEW] == 2));
    }

    #[test]
    fn saved_kernel_frames_split() {
        let frames: Vec<&[u8]> = saved_frames(b"vfs_read()->pipe_read()").collect();
        assert_eq!(frames, [&b"vfs_read"[..], b"pipe_read"]);
        assert_eq!(saved_frames(b"").count(), 0);
    }
}
