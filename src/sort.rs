//! Sorting through one copy of the standard library's sort.
//!
//! Every `sort`, `sort_by` or `sort_by_key` on a new element type or with a new closure gets
//! its own copy of std's sort code, several kilobytes each: twenty-odd call sites made about
//! 90 KB of the static binary. Here a slice is sorted by sorting its indices, with one
//! comparator behind a `dyn` call, and then moving its elements into that order: the part
//! left per call site is a few instructions. The lists sorted are small (threads, columns,
//! findings), so the indirect call costs nothing that shows next to reading /proc.
//!
//! Stable, like `slice::sort`: elements that compare equal keep their order. It allocates
//! (the indices, and std's merge buffer), so the paths that run every pass, which must not
//! allocate once warmed up, keep std's unstable sort in place.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, stably.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut order = sorted_indices(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    permute(items, &mut order);
}

/// Sorts `items` by the key `key` gives each, stably.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their own order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The indices `0..len` in the order `compare` puts the elements they stand for: the one
/// instance of std's sort in the binary.
fn sorted_indices(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves the elements of `items` so that position `k` holds what was at `order[k]`, by
/// following each cycle of the permutation once; leaves `order` as `0..len`.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let next = order[at];
            order[at] = at;
            if next == start {
                break;
            }
            items.swap(at, next);
            at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_std_and_keeps_equal_elements_in_order() {
        // A small generator, so that many orders, lengths and ties are tried.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..200 {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ((seed % 7) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |&(k, _)| k);
            let mut theirs = items.clone();
            theirs.sort_by_key(|&(k, _)| k);
            assert_eq!(ours, theirs);
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| b.cmp(a));
            theirs.sort_by(|a, b| b.cmp(a));
            assert_eq!(ours, theirs);
            let mut ours = items;
            sort(&mut ours);
            theirs.sort();
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn moves_owned_elements_without_losing_any() {
        let mut names: Vec<String> = ["d", "a", "c", "b", "a"].map(String::from).to_vec();
        sort(&mut names);
        assert_eq!(names, ["a", "a", "b", "c", "d"]);
    }
}
