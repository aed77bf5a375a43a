//! Grouping samples as psn does: a count per distinct combination of the group columns'
//! values, over all passes, reported most samples first.
//!
//! `sample` feeds it rendered rows pass by pass and `report` feeds it the values saved in a
//! file, through the same key encoding and digit normalisation, so the two agree.

use crate::columns::{self, Column, Mask};
use crate::output::number::{push_fixed, push_int};
use crate::output::{Field, Grid, Kind};
use crate::row::Rows;

/// Counts per group, in a small open-addressing table over one arena of keys, sized up front:
/// counting a row allocates nothing, even for a group never seen before, until there are
/// more groups than the table was made for (and then only to double it).
pub struct Aggregate {
    columns: Vec<Column>,
    exact: bool,
    /// Every group's key, one after the other.
    keys: Vec<u8>,
    groups: Vec<Entry>,
    /// Indices into `groups` plus one; 0 is an empty slot. Its length is a power of two.
    slots: Vec<u32>,
    key: Vec<u8>,
    cell: Vec<u8>,
}

struct Entry {
    start: usize,
    end: usize,
    hash: u64,
    samples: u64,
}

/// One line of the report.
pub struct Group<'a> {
    pub samples: u64,
    key: &'a [u8],
}

impl Aggregate {
    /// Groups by `columns`; unless `exact`, digits in names and file names become `*`.
    pub fn new(columns: Vec<Column>, exact: bool) -> Aggregate {
        Aggregate {
            columns,
            exact,
            keys: Vec::with_capacity(64 * 1024),
            groups: Vec::with_capacity(512),
            slots: vec![0; 1024],
            key: Vec::new(),
            cell: Vec::new(),
        }
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Counts every row of one pass.
    pub fn add_rows(&mut self, rows: &Rows) {
        for row in &rows.rows {
            self.key.clear();
            for &c in &self.columns {
                self.cell.clear();
                let kind = columns::render(c, row, rows, &mut self.cell);
                push_cell(&mut self.key, c, kind, &self.cell, self.exact);
            }
            self.count();
        }
    }

    /// Counts one saved row, given its value for each group column in order.
    pub fn add_values<'v>(&mut self, values: impl Iterator<Item = (Kind, &'v [u8])>) {
        self.key.clear();
        for (&c, (kind, value)) in self.columns.iter().zip(values) {
            push_cell(&mut self.key, c, kind, value, self.exact);
        }
        self.count();
    }

    fn count(&mut self) {
        let hash = fnv1a(&self.key);
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                n => {
                    let g = &mut self.groups[n as usize - 1];
                    if g.hash == hash && self.keys[g.start..g.end] == self.key[..] {
                        g.samples += 1;
                        return;
                    }
                }
            }
            i = (i + 1) & mask;
        }
        let start = self.keys.len();
        self.keys.extend_from_slice(&self.key);
        self.groups.push(Entry {
            start,
            end: self.keys.len(),
            hash,
            samples: 1,
        });
        self.slots[i] = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        if self.groups.len() * 2 > self.slots.len() {
            self.grow();
        }
    }

    /// Doubles the table, keeping it at most half full.
    fn grow(&mut self) {
        let len = self.slots.len() * 2;
        self.slots.clear();
        self.slots.resize(len, 0);
        for (n, g) in self.groups.iter().enumerate() {
            let mut i = g.hash as usize & (len - 1);
            while self.slots[i] != 0 {
                i = (i + 1) & (len - 1);
            }
            self.slots[i] = u32::try_from(n + 1).unwrap_or(u32::MAX);
        }
    }

    /// The groups, most samples first; ties in the order of their values.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = self
            .groups
            .iter()
            .map(|g| Group {
                samples: g.samples,
                key: &self.keys[g.start..g.end],
            })
            .collect();
        crate::sort::sort_by(&mut groups, |a, b| {
            b.samples
                .cmp(&a.samples)
                .then_with(|| values(a.key).cmp(values(b.key)))
        });
        groups
    }

    /// The report as a grid: samples, avg_threads (samples / passes, two decimals), then the
    /// group columns; psn's `|` table (`table`: values cut as tables show them), and
    /// `"type":"group"` in JSON.
    pub fn grid(&self, passes: u64, table: bool) -> Grid {
        let mut fields = vec![
            Field::whole("samples", true),
            Field::whole("avg_threads", true),
        ];
        fields.extend(self.columns.iter().map(|c| c.field(&self.columns)));
        let mut grid = Grid::new(fields).bars().json_type("group");
        for g in self.groups() {
            grid.push(|out| {
                push_int(out, g.samples);
                Kind::Number
            });
            grid.push(|out| {
                // A file with rows but no pass lines has no average to give.
                push_fixed(out, if passes == 0 { 0 } else { g.samples }, passes, 2);
                Kind::Number
            });
            for (&column, (kind, value)) in self.columns.iter().zip(cells(g.key)) {
                let chars = column.table_chars(value).filter(|_| table);
                let value = &value[..chars.unwrap_or(value.len()).min(value.len())];
                grid.push(|out| {
                    out.extend_from_slice(value);
                    kind
                });
            }
        }
        grid
    }
}

/// The FNV-1a hash: quick on short keys, and the same in every run.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Appends one cell to a group key: its kind, its length and its bytes, masked as the
/// catalogue says ([`crate::columns::Info::mask`]) unless `exact`: digits are noise in thread
/// and process names (`kworker/*:*`), file names (`socket:[*]`) and endpoints.
fn push_cell(key: &mut Vec<u8>, column: Column, kind: Kind, value: &[u8], exact: bool) {
    let mask = if exact {
        Mask::None
    } else {
        column.info().mask
    };
    let masked = mask != Mask::None;
    // Digits masked, a number (from a saved file) is text: `-*` is no JSON number.
    let kind = match kind {
        Kind::Number if masked => Kind::Text,
        kind => kind,
    };
    key.push(match kind {
        Kind::Missing => 0,
        Kind::Number => 1,
        Kind::Text | Kind::Json => 2,
    });
    let len_at = key.len();
    key.extend_from_slice(&[0; 4]);
    if mask == Mask::Endpoint {
        mask_endpoint(key, value);
    } else if masked {
        star_digits(key, value);
    } else {
        key.extend_from_slice(value);
    }
    let len = u32::try_from(key.len() - len_at - 4).unwrap_or(u32::MAX);
    key[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
}

/// The cells of a key, in column order.
fn cells(mut key: &[u8]) -> impl Iterator<Item = (Kind, &[u8])> {
    std::iter::from_fn(move || {
        let (&kind, rest) = key.split_first()?;
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let value = rest.get(4..4 + len)?;
        key = &rest[4 + len..];
        let kind = match kind {
            0 => Kind::Missing,
            1 => Kind::Number,
            _ => Kind::Text,
        };
        Some((kind, value))
    })
}

/// The values of a key's cells, to order groups by.
fn values(key: &[u8]) -> impl Iterator<Item = &[u8]> {
    cells(key).map(|(_, v)| v)
}

/// Appends an endpoint's text with its digits masked as [`star_digits`] does, but for the
/// port that says which service it is: the remote port of a connection
/// (`tcp *.*.*.*:*->*.*.*.*:5432 ESTABLISHED`), the local one of a socket with no remote end
/// (`tcp6 [::]:8080 LISTEN`). Addresses are masked whole, hex digits too (`[*::*]`), and the
/// queues' sizes (`rx=* tx=*`).
pub fn mask_endpoint(out: &mut Vec<u8>, text: &[u8]) {
    let mut parts = text.splitn(3, |&b| b == b' ');
    let proto = parts.next().unwrap_or_default();
    out.extend_from_slice(proto);
    let Some(addrs) = parts.next() else {
        return;
    };
    out.push(b' ');
    if proto == b"unix" {
        // The path, which may hold spaces: all of the rest.
        star_digits(out, &text[proto.len() + 1..]);
        return;
    }
    match find(addrs, b"->") {
        Some(at) => {
            mask_addr(out, &addrs[..at], false);
            out.extend_from_slice(b"->");
            mask_addr(out, &addrs[at + 2..], true);
        }
        None => mask_addr(out, addrs, true),
    }
    if let Some(rest) = parts.next() {
        out.push(b' ');
        star_digits(out, rest);
    }
}

/// `ADDRESS:PORT` with the address's hex digits masked, and the port kept or masked.
fn mask_addr(out: &mut Vec<u8>, addr: &[u8], keep_port: bool) {
    let colon = addr.iter().rposition(|&b| b == b':').unwrap_or(addr.len());
    let mut in_digits = false;
    for &b in &addr[..colon] {
        if b.is_ascii_hexdigit() {
            if !in_digits {
                out.push(b'*');
            }
            in_digits = true;
        } else {
            out.push(b);
            in_digits = false;
        }
    }
    if let Some(port) = addr.get(colon + 1..) {
        out.push(b':');
        match keep_port {
            true => out.extend_from_slice(port),
            false => star_digits(out, port),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Appends `value` with every run of ASCII digits replaced by one `*`.
pub fn star_digits(out: &mut Vec<u8>, value: &[u8]) {
    let mut in_digits = false;
    for &b in value {
        if b.is_ascii_digit() {
            if !in_digits {
                out.push(b'*');
            }
            in_digits = true;
        } else {
            out.push(b);
            in_digits = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn star(s: &str) -> String {
        let mut out = Vec::new();
        star_digits(&mut out, s.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn digits_become_stars() {
        assert_eq!(star("kworker/0:1"), "kworker/*:*");
        assert_eq!(
            star("kworker/u8:0-kvfree_rcu_reclaim"),
            "kworker/u*:*-kvfree_rcu_reclaim"
        );
        assert_eq!(star("socket:[12345]"), "socket:[*]");
        assert_eq!(star("/data/file0042.dbf"), "/data/file*.dbf");
        assert_eq!(star("java"), "java");
        assert_eq!(star(""), "");
    }

    #[test]
    fn endpoints_keep_the_port_of_the_service() {
        let mask = |s: &str| {
            let mut out = Vec::new();
            mask_endpoint(&mut out, s.as_bytes());
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            mask("tcp 10.0.0.5:43512->10.0.3.7:5432 ESTABLISHED rx=0 tx=1234"),
            "tcp *.*.*.*:*->*.*.*.*:5432 ESTABLISHED rx=* tx=*"
        );
        assert_eq!(mask("tcp6 [::]:8080 LISTEN"), "tcp6 [::]:8080 LISTEN");
        assert_eq!(
            mask("tcp6 [::ffff:127.0.0.1]:50096->[fe80::1a2b]:443 CLOSE_WAIT"),
            "tcp6 [::*:*.*.*.*]:*->[*::*]:443 CLOSE_WAIT"
        );
        assert_eq!(mask("udp 0.0.0.0:53"), "udp *.*.*.*:53");
        assert_eq!(mask("unix /run/app 2.sock"), "unix /run/app *.sock");
        assert_eq!(mask("unix"), "unix");
        assert_eq!(mask(""), "");
        assert_eq!(mask("tcp x"), "tcp x", "no port to keep");
    }

    #[test]
    fn most_samples_first_then_by_value() {
        let mut agg = Aggregate::new(vec![Column::Comm, Column::State], false);
        let add = |agg: &mut Aggregate, comm: &str, state: &str| {
            agg.add_values(
                [
                    (Kind::Text, comm.as_bytes()),
                    (Kind::Text, state.as_bytes()),
                ]
                .into_iter(),
            );
        };
        add(&mut agg, "worker-2", "R");
        add(&mut agg, "b", "D");
        add(&mut agg, "worker-10", "R");
        add(&mut agg, "a", "D");
        add(&mut agg, "kworker/1:0", "D");
        add(&mut agg, "kworker/0:1", "D");
        let got: Vec<(u64, Vec<String>)> = agg
            .groups()
            .iter()
            .map(|g| {
                (
                    g.samples,
                    cells(g.key)
                        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                        .collect(),
                )
            })
            .collect();
        let row = |n, c: &str, s: &str| (n, vec![c.to_string(), s.to_string()]);
        assert_eq!(
            got,
            [
                row(2, "kworker/*:*", "D"),
                row(2, "worker-*", "R"),
                row(1, "a", "D"),
                row(1, "b", "D"),
            ]
        );
        let mut exact = Aggregate::new(vec![Column::Comm], true);
        exact.add_values([(Kind::Text, &b"w-1"[..])].into_iter());
        exact.add_values([(Kind::Text, &b"w-2"[..])].into_iter());
        assert_eq!(exact.groups().len(), 2);
    }

    #[test]
    fn many_groups_grow_the_table() {
        let mut agg = Aggregate::new(vec![Column::Tid], true);
        for round in 1..=3u64 {
            for n in 0..5000u64 {
                let text = n.to_string();
                agg.add_values([(Kind::Number, text.as_bytes())].into_iter());
            }
            let groups = agg.groups();
            assert_eq!(groups.len(), 5000);
            assert!(groups.iter().all(|g| g.samples == round));
        }
    }
}
