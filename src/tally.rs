//! How many threads are in each state: the line above a table (`threads: 26 (R 1, S 25)`),
//! in every dump header, and as JSON. Counted in a fixed array, so a pass allocates nothing.

use crate::output::escape;
use crate::output::json::JsonLine;
use crate::output::number::push_int;

#[derive(Debug, Clone)]
pub struct Tally {
    /// Threads by the byte of their state letter.
    counts: [u32; 256],
}

impl Default for Tally {
    fn default() -> Tally {
        Tally { counts: [0; 256] }
    }
}

impl Tally {
    pub fn clear(&mut self) {
        self.counts = [0; 256];
    }

    /// Counts a thread in state `state`.
    pub fn add(&mut self, state: u8) {
        let n = &mut self.counts[usize::from(state)];
        *n = n.saturating_add(1);
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&n| u64::from(n)).sum()
    }

    /// The states present with their counts: R, D and S first, then the others in the
    /// order of their letters.
    pub fn states(&self) -> impl Iterator<Item = (u8, u32)> + '_ {
        let first = [b'R', b'D', b'S'];
        let others = (0..=255u8).filter(move |s| !first.contains(s));
        first
            .into_iter()
            .chain(others)
            .map(|s| (s, self.counts[usize::from(s)]))
            .filter(|&(_, n)| n > 0)
    }

    /// `threads: N (R a, D b, S c)`, without a newline; `threads: 0` for none.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"threads: ");
        push_int(out, self.total());
        for (i, (state, n)) in self.states().enumerate() {
            out.extend_from_slice(if i == 0 { b" (" } else { b", " });
            escape::text(out, &[state]);
            out.push(b' ');
            push_int(out, n);
        }
        if self.total() > 0 {
            out.push(b')');
        }
    }

    /// `"threads":N,"states":{"R":a,...}` into `line`.
    pub fn write_json(&self, line: &mut JsonLine<'_>) {
        line.number("threads", self.total());
        let mut states = line.object("states");
        for (state, n) in self.states() {
            let key = [state];
            states.number(std::str::from_utf8(&key).unwrap_or("?"), n);
        }
        states.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_then_disk_then_sleeping_then_the_others() {
        let mut t = Tally::default();
        let mut text = Vec::new();
        t.write_text(&mut text);
        assert_eq!(text, b"threads: 0");
        for s in *b"SSTRSIDZSt" {
            t.add(s);
        }
        text.clear();
        t.write_text(&mut text);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "threads: 10 (R 1, D 1, S 4, I 1, T 1, Z 1, t 1)"
        );
        let mut json = Vec::new();
        let mut line = JsonLine::new(&mut json);
        t.write_json(&mut line);
        line.end();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            "{\"threads\":10,\"states\":{\"R\":1,\"D\":1,\"S\":4,\"I\":1,\"T\":1,\"Z\":1,\"t\":1}}\n"
        );
        t.clear();
        assert_eq!(t.total(), 0);
    }
}
