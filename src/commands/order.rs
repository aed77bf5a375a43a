//! `--sort KEY[,KEY...]` and `--top N`: which rows are shown, in which order. Each key is a
//! column: by default numbers from the highest, text from A; `-COL` from the highest (Z),
//! `+COL` from the lowest (A). A row equal on a key is ordered by the next; a value that is
//! empty or could not be read comes last whatever the direction; ties keep the order of the
//! rows (pid, then tid).

use crate::cli::SortKey;
use crate::columns;
use crate::output::Kind;
use crate::row::Rows;
use std::cmp::Ordering;

/// A row's value of one column to sort by.
#[derive(Clone, Copy)]
struct Key {
    missing: bool,
    /// A number's value in thousandths.
    number: i128,
    /// Its text in [`Order::text`].
    start: usize,
    end: usize,
}

pub struct Order {
    sort: Vec<SortKey>,
    top: Option<usize>,
    /// Row by row, its value of each sort key: `keys[row * sort.len() + key]`.
    keys: Vec<Key>,
    text: Vec<u8>,
    index: Vec<usize>,
}

impl Order {
    /// Rows in the order of the keys of `sort` (as they come without any), the first `top`
    /// of them.
    pub fn new(sort: &[SortKey], top: Option<usize>) -> Order {
        Order {
            sort: sort.to_vec(),
            top,
            keys: Vec::new(),
            text: Vec::new(),
            index: Vec::new(),
        }
    }

    /// The indices of the rows of `rows` to show, in order.
    pub fn of(&mut self, rows: &Rows) -> &[usize] {
        self.index.clear();
        self.index.extend(0..rows.rows.len());
        if !self.sort.is_empty() {
            self.keys.clear();
            self.text.clear();
            for row in &rows.rows {
                for key in &self.sort {
                    let start = self.text.len();
                    let kind = columns::render(key.column, row, rows, &mut self.text);
                    let value = &self.text[start..];
                    let number = match kind {
                        Kind::Number => thousandths(value).unwrap_or(0),
                        _ => 0,
                    };
                    self.keys.push(Key {
                        missing: kind == Kind::Missing || value.is_empty(),
                        number,
                        start,
                        end: self.text.len(),
                    });
                }
            }
            let (sort, keys, text) = (&self.sort, &self.keys, &self.text);
            let n = sort.len();
            crate::sort::sort_by(&mut self.index, |&a, &b| {
                sort.iter()
                    .enumerate()
                    .map(|(k, key)| compare(&keys[a * n + k], &keys[b * n + k], text, key))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
                    .then(a.cmp(&b))
            });
        }
        if let Some(top) = self.top {
            self.index.truncate(top);
        }
        &self.index
    }
}

/// How two rows' values of `key` compare: missing values last, then in `key`'s direction.
fn compare(a: &Key, b: &Key, text: &[u8], key: &SortKey) -> Ordering {
    let ascending = match (a.missing, b.missing) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ if key.column.info().numeric => a.number.cmp(&b.number),
        _ => text[a.start..a.end].cmp(&text[b.start..b.end]),
    };
    match key.descending {
        true => ascending.reverse(),
        false => ascending,
    }
}

/// A number as written (`-20`, `4096`, `12.3`) in thousandths: the columns' numbers have at
/// most three decimals.
fn thousandths(text: &[u8]) -> Option<i128> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut parts = digits.splitn(2, |&b| b == b'.');
    let whole = i128::from(crate::parse::dec_u64(parts.next()?)?);
    let mut fraction = 0;
    let mut scale = 100;
    for &d in parts.next().unwrap_or_default().iter().take(3) {
        fraction += i128::from(d.checked_sub(b'0').filter(|d| *d <= 9)?) * scale;
        scale /= 10;
    }
    let value = whole * 1000 + fraction;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::Column;
    use crate::row::Row;

    fn rows(values: &[(u32, &str, Option<f64>)]) -> Rows {
        let mut rows = Rows::default();
        for &(tid, comm, pcpu) in values {
            let comm = rows.push_text(comm.as_bytes());
            rows.rows.push(Row {
                pid: 1,
                tid,
                state: b'S',
                comm,
                num_threads: 1,
                pcpu,
                ..Row::default()
            });
        }
        rows
    }

    #[test]
    fn numbers_in_thousandths() {
        assert_eq!(thousandths(b"12.3"), Some(12_300));
        assert_eq!(thousandths(b"-20"), Some(-20_000));
        assert_eq!(thousandths(b"0.05"), Some(50));
        assert_eq!(
            thousandths(b"18446744073709551615"),
            Some(18_446_744_073_709_551_615_000)
        );
        assert_eq!(thousandths(b"1.x"), None);
        assert_eq!(thousandths(b""), None);
    }

    #[test]
    fn numbers_down_text_up_missing_last_ties_in_place() {
        let r = rows(&[
            (1, "b", Some(5.0)),
            (6, "", Some(1.0)),
            (2, "a", None),
            (3, "c", Some(99.5)),
            (4, "a", Some(5.0)),
            (5, "d", Some(12.25)),
        ]);
        let tids = |order: &mut Order| -> Vec<u32> {
            order.of(&r).iter().map(|&i| r.rows[i].tid).collect()
        };
        let key = |column, descending| SortKey { column, descending };
        let pcpu = [SortKey::new(Column::Pcpu)];
        assert_eq!(tids(&mut Order::new(&pcpu, None)), [3, 5, 1, 4, 6, 2]);
        assert_eq!(tids(&mut Order::new(&pcpu, Some(2))), [3, 5]);
        let up = [key(Column::Pcpu, false)];
        assert_eq!(tids(&mut Order::new(&up, None)), [6, 1, 4, 5, 3, 2]);
        let comm = [SortKey::new(Column::Comm)];
        assert_eq!(tids(&mut Order::new(&comm, None)), [2, 4, 1, 3, 5, 6]);
        let down = [key(Column::Comm, true)];
        assert_eq!(tids(&mut Order::new(&down, None)), [5, 3, 1, 2, 4, 6]);
        let two = [key(Column::Pcpu, true), key(Column::Comm, true)];
        assert_eq!(tids(&mut Order::new(&two, None)), [3, 5, 1, 4, 6, 2]);
        let two = [key(Column::Comm, false), key(Column::Pcpu, false)];
        assert_eq!(tids(&mut Order::new(&two, None)), [4, 2, 1, 3, 5, 6]);
        assert_eq!(tids(&mut Order::new(&[], Some(3))), [1, 6, 2]);
        assert_eq!(tids(&mut Order::new(&[], Some(10))), [1, 6, 2, 3, 4, 5]);
    }
}
