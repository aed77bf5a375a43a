//! Who holds what others wait for, from a parsed HotSpot thread dump: the contended monitors
//! and java.util.concurrent locks, each with its holder and its waiters, and the JVM's own
//! deadlock report as cycles of thread names. Pure: it reads what [`jstack::parse`] kept.
//!
//! A monitor's holder is the thread with `- locked <ADDR>`, unless that thread also has
//! `- waiting on <ADDR>` (inside `Object.wait()`, which released it: HotSpot still prints the
//! `locked` line of the frame that entered it). A j.u.c. lock's holder is known only from the
//! `Locked ownable synchronizers:` list that `-l` adds. Its waiters are the threads `waiting to
//! lock` (or `waiting to re-lock in wait()`) a monitor, or `parking to wait for` a lock.
//!
//! [`jstack::parse`]: crate::parse::jstack::parse

use crate::parse::jstack::{Dump, Line, Part};

/// The most lock lines read from a dump, held and waited for together: a JVM at tsnap's
/// 100,000 threads has about that many, and each costs some tens of bytes here, so a forged
/// answer of nothing but lock lines cannot cost more.
const MAX_LOCK_LINES: usize = 200_000;

/// A contended monitor or lock.
#[derive(Debug, PartialEq, Eq)]
pub struct Lock<'a> {
    /// `<0x...> (a CLASS)`, as the first waiter's line prints it.
    pub object: &'a [u8],
    /// The holder's index in the dump's threads, if known.
    pub holder: Option<usize>,
    /// The waiters' indices, in the dump's order.
    pub waiters: Vec<usize>,
}

/// The address inside `<0x...>` of a lock line's object.
fn address(object: &[u8]) -> Option<u64> {
    let start = object.iter().position(|&b| b == b'<')? + 1;
    let end = start + object[start..].iter().position(|&b| b == b'>')?;
    crate::parse::hex_u64(&object[start..end])
}

/// Whether the object of a parked thread is a lock (`ReentrantLock$NonfairSync`,
/// `ReentrantReadWriteLock$FairSync`, ...) rather than a condition, a latch or a future, which
/// nobody holds: an idle pool's workers all park on their queue's condition.
fn is_lock_class(object: &[u8]) -> bool {
    object.windows(4).any(|w| w == b"Lock")
}

/// The contended monitors and locks of `dump`: the holders of the most waiters first, each
/// holder's locks by their waiters, then in the order of their first waiter. A parked
/// thread's object is listed when its holder is known or it is a lock.
///
/// Every sort here is of `(u64, usize)` pairs, by their order: one sort function in the
/// binary for all of them (the thread dump's index by nid is one too).
pub fn contended<'a>(dump: &Dump<'a>) -> Vec<Lock<'a>> {
    // (address, thread) of every lock held; (address, place in `waiting`) of every wait, and
    // in `waiting`, its thread, object and whether it is a monitor's.
    let mut held: Vec<(u64, usize)> = Vec::new();
    let mut waits: Vec<(u64, usize)> = Vec::new();
    let mut waiting: Vec<(usize, &[u8], bool)> = Vec::new();
    for (i, t) in dump.threads.iter().enumerate() {
        let mut released: Vec<(u64, usize)> = Vec::new();
        let mut ownable = false;
        let first_held = held.len();
        for line in t.lines() {
            if held.len() + waits.len() >= MAX_LOCK_LINES {
                break;
            }
            let (object, what) = match line {
                Line::Lock { kind, object } => (object, kind),
                Line::Other(b"Locked ownable synchronizers:") => {
                    ownable = true;
                    continue;
                }
                Line::Other(l) if ownable && l.starts_with(b"- <") => (l, &b"locked"[..]),
                _ => continue,
            };
            let Some(addr) = address(object) else {
                continue;
            };
            match what {
                b"waiting to lock" | b"waiting to re-lock in wait()" | b"parking to wait for" => {
                    waits.push((addr, waiting.len()));
                    waiting.push((i, object, what != b"parking to wait for"));
                }
                b"waiting on" => released.push((addr, 0)),
                b"locked" => held.push((addr, i)),
                _ => {}
            }
        }
        released.sort_unstable();
        let mut n = first_held;
        while n < held.len() {
            if released.binary_search(&(held[n].0, 0)).is_ok() {
                held.swap_remove(n);
            } else {
                n += 1;
            }
        }
    }
    held.sort_unstable();
    let holder = |addr: u64| {
        let at = held.partition_point(|&(a, _)| a < addr);
        held.get(at).filter(|&&(a, _)| a == addr).map(|&(_, t)| t)
    };
    // By address, each address's waits in the dump's order.
    waits.sort_unstable();
    let mut locks: Vec<Lock<'a>> = Vec::new();
    // Each lock's first wait, its place in `waiting`.
    let mut firsts: Vec<usize> = Vec::new();
    for run in waits.chunk_by(|a, b| a.0 == b.0) {
        let (addr, first) = run[0];
        let (thread, object, _) = waiting[first];
        let by = holder(addr);
        if run.iter().any(|&(_, w)| waiting[w].2) || by.is_some() || is_lock_class(object) {
            locks.push(Lock {
                object,
                holder: by.filter(|&h| h != thread),
                waiters: run.iter().map(|&(_, w)| waiting[w].0).collect(),
            });
            firsts.push(first);
        }
    }
    // Each holder's waiters, all its locks together; a lock of unknown holder on its own.
    let mut per_holder = vec![0; dump.threads.len()];
    for l in &locks {
        if let Some(total) = l.holder.and_then(|h| per_holder.get_mut(h)) {
            *total += l.waiters.len();
        }
    }
    // The order as a pair: the holder's waiters (most first) and the holder (a lock of
    // unknown holder as a holder of its own), then the lock's waiters (most first), its first
    // wait's place and its own place: each below 2^18 (MAX_LOCK_LINES), counts below 2^28.
    let mut keyed: Vec<(u64, usize)> = (locks.iter().zip(&firsts).enumerate())
        .map(|(n, (l, &first))| {
            let total =
                (l.holder.and_then(|h| per_holder.get(h).copied())).unwrap_or(l.waiters.len());
            let holder = l.holder.unwrap_or((1 << 31) | first) as u64 & 0xffff_ffff;
            let most = |count: usize| 0xfff_ffff - (count as u64).min(0xfff_ffff);
            let primary = (most(total) << 32) | holder;
            let secondary = (most(l.waiters.len()) << 36) | ((first as u64) << 18) | n as u64;
            (primary, secondary as usize)
        })
        .collect();
    keyed.sort_unstable();
    let mut slots: Vec<Option<Lock<'a>>> = locks.into_iter().map(Some).collect();
    (keyed.iter())
        .filter_map(|&(_, key)| slots.get_mut(key & 0x3_ffff)?.take())
        .collect()
}

/// The cycles of the JVM's deadlock report in `trailer` (`Found one Java-level deadlock:`
/// then `"NAME":` for each thread, each waiting for a lock the next one holds), as the
/// threads' names in that order.
pub fn deadlocks<'a>(trailer: &Part<'a>) -> Vec<Vec<&'a [u8]>> {
    let mut cycles: Vec<Vec<&'a [u8]>> = Vec::new();
    let mut inside = false;
    for line in trailer.lines() {
        if line.starts_with(b"Found one Java-level deadlock") {
            cycles.push(Vec::new());
            inside = true;
        } else if line.starts_with(b"Java stack information") {
            inside = false;
        } else if inside
            && let Some(name) = line
                .strip_prefix(b"\"")
                .and_then(|l| l.strip_suffix(b"\":"))
            && let Some(cycle) = cycles.last_mut()
        {
            cycle.push(name);
        }
    }
    cycles.retain(|c| !c.is_empty());
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::jstack::parse;

    const DUMP: &[u8] = b"Full thread dump OpenJDK:

\"holder\" #10 prio=5 os_prio=0 tid=0x1 nid=0x10 waiting on condition
   java.lang.Thread.State: TIMED_WAITING (sleeping)
\tat java.lang.Thread.sleep(Native Method)
\tat Locks.hold(Locks.java:5)
\t- locked <0x00000000aa> (a java.lang.Object)

   Locked ownable synchronizers:
\t- <0x00000000bb> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)

\"w1\" #11 prio=5 os_prio=0 tid=0x2 nid=0x11 waiting for monitor entry
   java.lang.Thread.State: BLOCKED (on object monitor)
\tat Locks.get(Locks.java:9)
\t- waiting to lock <0x00000000aa> (a java.lang.Object)

\"w2\" #12 prio=5 os_prio=0 tid=0x3 nid=0x12 waiting for monitor entry
   java.lang.Thread.State: BLOCKED (on object monitor)
\tat Locks.get(Locks.java:9)
\t- waiting to lock <0x00000000aa> (a java.lang.Object)

\"p1\" #13 prio=5 os_prio=0 tid=0x4 nid=0x13 waiting on condition
   java.lang.Thread.State: WAITING (parking)
\tat jdk.internal.misc.Unsafe.park(Native Method)
\t- parking to wait for  <0x00000000bb> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)

\"idle\" #14 prio=5 os_prio=0 tid=0x5 nid=0x14 waiting on condition
   java.lang.Thread.State: WAITING (parking)
\tat jdk.internal.misc.Unsafe.park(Native Method)
\t- parking to wait for  <0x00000000cc> (a java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject)

\"waiter\" #15 prio=5 os_prio=0 tid=0x6 nid=0x15 in Object.wait()
   java.lang.Thread.State: WAITING (on object monitor)
\tat java.lang.Object.wait(Native Method)
\t- waiting on <0x00000000dd> (a java.lang.Object)
\tat Locks.wait(Locks.java:20)
\t- locked <0x00000000dd> (a java.lang.Object)

\"late\" #16 prio=5 os_prio=0 tid=0x7 nid=0x16 waiting for monitor entry
   java.lang.Thread.State: BLOCKED (on object monitor)
\t- waiting to lock <0x00000000dd> (a java.lang.Object)

";

    #[test]
    fn holders_of_the_most_waiters_first_and_released_monitors_not_held() {
        let d = parse(DUMP);
        let locks = contended(&d);
        let shown: Vec<(Option<u64>, Option<usize>, Vec<usize>)> = (locks.iter())
            .map(|l| (address(l.object), l.holder, l.waiters.clone()))
            .collect();
        assert_eq!(
            shown,
            [
                (Some(0xaa), Some(0), vec![1, 2]),
                (Some(0xbb), Some(0), vec![3]),
                // Released by Object.wait(): nobody holds it.
                (Some(0xdd), None, vec![6]),
            ]
        );
    }

    #[test]
    fn parked_on_a_lock_of_unknown_holder_is_listed_a_condition_is_not() {
        let text = String::from_utf8_lossy(DUMP).replace("Locked ownable", "Other");
        let d = parse(text.as_bytes());
        let locks = contended(&d);
        assert!(
            locks
                .iter()
                .any(|l| address(l.object) == Some(0xbb) && l.holder.is_none())
        );
        assert!(!locks.iter().any(|l| address(l.object) == Some(0xcc)));
    }

    #[test]
    fn deadlock_report_cycles() {
        let d = parse(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/jstack/jdk8-deadlock.txt"
        )));
        let cycles = deadlocks(&d.trailer);
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0][0], b"pool-1-thread-4");
        assert!(cycles[0].len() >= 2);
    }

    #[test]
    fn any_bytes() {
        for text in [
            &b"- locked <"[..],
            b"\"a\" nid=1 x\n- waiting to lock <\n",
            b"<>",
        ] {
            let d = parse(text);
            let _ = contended(&d);
            let _ = deadlocks(&d.trailer);
        }
        assert_eq!(address(b"<0x1"), None);
        assert_eq!(address(b"<0x1f> (a X)"), Some(0x1f));
        assert_eq!(address(b"x"), None);
    }
}
