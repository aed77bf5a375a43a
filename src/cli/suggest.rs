//! "Did you mean": the valid name nearest to a mistyped one, when it is near enough to be
//! what was meant.

/// The name among `names` nearest to `given` by edit distance (a transposition counting as one
/// edit), if it is within a third of `given`'s length (at least one edit).
pub fn nearest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given: Vec<char> = given.chars().collect();
    let most = (given.len() / 3).max(1);
    names
        .into_iter()
        .map(|name| (distance(&given, name), name))
        .filter(|&(d, _)| d <= most)
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

/// Up to `most` names among `names` near `given`, as [`nearest`] measures, nearest first:
/// the names running now that a `-C` name which matched nothing may have meant.
pub fn near<'a>(given: &str, names: &'a [String], most: usize) -> Vec<&'a str> {
    let chars: Vec<char> = given.chars().collect();
    let limit = (chars.len() / 3).max(1);
    let mut found: Vec<(usize, &str)> = names
        .iter()
        .map(|n| {
            // A name is also near when its start is: `pyhton` for `python3.11`.
            let start: String = n.chars().take(chars.len()).collect();
            (
                distance(&chars, n).min(distance(&chars, &start)),
                n.as_str(),
            )
        })
        .filter(|&(d, _)| d <= limit)
        .collect();
    crate::sort::sort(&mut found);
    found.into_iter().take(most).map(|(_, n)| n).collect()
}

/// The optimal-string-alignment distance between `a` and `b`: insertions, deletions,
/// substitutions and swaps of neighbours.
fn distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back, one back, this one.
    let mut rows = [
        vec![0; b.len() + 1],
        (0..=b.len()).collect::<Vec<_>>(),
        vec![0; b.len() + 1],
    ];
    for i in 1..=a.len() {
        rows[2][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[1][j] + 1)
                .min(rows[2][j - 1] + 1)
                .min(rows[1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[0][j - 2] + 1);
            }
            rows[2][j] = d;
        }
        rows.rotate_left(1);
    }
    rows[1][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_only() {
        let d = |a: &str, b: &str| distance(&a.chars().collect::<Vec<_>>(), b);
        assert_eq!(d("sample", "sample"), 0);
        assert_eq!(d("smaple", "sample"), 1);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        let commands = ["snap", "dump", "sample", "watch", "report", "columns"];
        assert_eq!(nearest("smaple", commands), Some("sample"));
        assert_eq!(nearest("dmup", commands), Some("dump"));
        assert_eq!(nearest("colums", commands), Some("columns"));
        assert_eq!(nearest("explode", commands), None);
        assert_eq!(nearest("x", commands), None);
        assert_eq!(nearest("wchna", ["wchan", "comm"]), Some("wchan"));
        assert_eq!(nearest("nope", ["nice", "nid", "pid"]), None);
        assert_eq!(nearest("frobnicate", ["format", "pid"]), None);
        let running = ["bash", "java", "python3.11", "pythons", "sshd"].map(String::from);
        assert_eq!(near("pyhton", &running, 3), ["python3.11", "pythons"]);
        assert_eq!(near("jav", &running, 3), ["java"]);
        assert_eq!(near("zzz", &running, 3), Vec::<&str>::new());
    }
}
