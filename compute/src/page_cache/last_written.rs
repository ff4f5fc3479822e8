//! The last-written-LSN map: for each page, the end LSN of the newest record that changed
//! it, which a cache miss sends as `not_modified_since`.
//!
//! The map is bounded. When it reaches its capacity it forgets the older half of its
//! entries and raises a global **floor** to the newest LSN it forgot: a page without an
//! entry answers the floor, which is never below its true last-written LSN. The floor
//! starts at the LSN the compute started from (every page may have changed up to there).
//!
//! Invariant: `get(key) >= ` the end LSN of every record this compute published that changed
//! `key` (and `>= ` the start LSN). `get` never decreases for a key.

use std::collections::HashMap;

use proto::{Lsn, PageKey};

/// Bounded per-page last-written LSNs with a floor for forgotten pages.
#[derive(Debug)]
pub struct LastWrittenMap {
    entries: HashMap<PageKey, Lsn>,
    floor: Lsn,
    capacity: usize,
}

impl LastWrittenMap {
    /// A map of at most `capacity` entries (at least 2) whose floor starts at `start`.
    pub fn new(start: Lsn, capacity: usize) -> LastWrittenMap {
        LastWrittenMap {
            entries: HashMap::new(),
            floor: start,
            capacity: capacity.max(2),
        }
    }

    /// The last-written LSN of `key` (the floor when it has no entry).
    pub fn get(&self, key: PageKey) -> Lsn {
        self.entries
            .get(&key)
            .copied()
            .unwrap_or(self.floor)
            .max(self.floor)
    }

    /// The floor for pages without an entry.
    pub fn floor(&self) -> Lsn {
        self.floor
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records that a record ending at `lsn` changed `key`.
    pub fn set(&mut self, key: PageKey, lsn: Lsn) {
        if lsn <= self.floor {
            return;
        }
        let e = self.entries.entry(key).or_insert(lsn);
        *e = (*e).max(lsn);
        if self.entries.len() > self.capacity {
            self.forget_older_half();
        }
    }

    /// Drops the older half of the entries, raising the floor to the newest dropped LSN.
    fn forget_older_half(&mut self) {
        let mut lsns: Vec<Lsn> = self.entries.values().copied().collect();
        let mid = lsns.len() / 2;
        let (_, median, _) = lsns.select_nth_unstable(mid);
        let cut = *median;
        self.floor = self.floor.max(cut);
        self.entries.retain(|_, l| *l > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(b: u32) -> PageKey {
        PageKey::new(5, b)
    }

    #[test]
    fn forgotten_pages_fall_back_to_a_raised_floor() {
        let mut m = LastWrittenMap::new(Lsn(100), 8);
        assert_eq!(m.get(k(0)), Lsn(100));
        for b in 0..8 {
            m.set(k(b), Lsn(200 + u64::from(b)));
        }
        assert_eq!(m.len(), 8);
        assert_eq!(m.get(k(3)), Lsn(203));
        m.set(k(8), Lsn(208)); // over capacity: the older half goes
        assert!(m.len() <= 8);
        assert!(m.floor() > Lsn(100));
        for b in 0..=8 {
            // Never below the true last-written LSN.
            assert!(m.get(k(b)) >= Lsn(200 + u64::from(b)), "block {b}");
        }
        assert_eq!(m.get(k(8)), Lsn(208));
        assert_eq!(m.get(k(99)), m.floor());
        // Setting below the floor changes nothing.
        let floor = m.floor();
        m.set(k(50), Lsn(1));
        assert_eq!(m.get(k(50)), floor);
    }

    #[test]
    fn lsns_never_go_back() {
        let mut m = LastWrittenMap::new(Lsn(10), 4);
        m.set(k(1), Lsn(50));
        m.set(k(1), Lsn(40));
        assert_eq!(m.get(k(1)), Lsn(50));
    }
}
