//! The dirty-page table: the latest version of every page whose end LSN the pageserver has
//! not ingested yet.
//!
//! These pages exist nowhere else the compute can read them from (the pageserver would
//! answer an older version, or wait), so they are **never evicted**: an entry leaves only
//! when [`DirtyPages::drain`] is told the pageserver has ingested up to (or past) its LSN,
//! and then moves to the clean cache. The table is bounded in pages ([`DirtyPages::is_full`]);
//! commits wait for room instead of growing it without limit.
//!
//! Invariant: for each key at most one entry, the newest published version, with its
//! `page_lsn` = the LSN it is indexed under in `by_lsn`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proto::page::Page;
use proto::{Lsn, PageKey};

/// Page versions not yet ingested by the pageserver.
#[derive(Default)]
pub struct DirtyPages {
    pages: HashMap<PageKey, (Lsn, Arc<Page>)>,
    by_lsn: BTreeMap<Lsn, Vec<PageKey>>,
    limit: usize,
}

impl DirtyPages {
    /// A table that reports itself full at `limit` pages.
    pub fn new(limit: usize) -> DirtyPages {
        DirtyPages {
            limit: limit.max(1),
            ..DirtyPages::default()
        }
    }

    /// The dirty version of `key`, if any.
    pub fn get(&self, key: PageKey) -> Option<Arc<Page>> {
        self.pages.get(&key).map(|(_, p)| p.clone())
    }

    /// Holds `page`, written by the record ending at `lsn`, replacing older versions.
    pub fn insert(&mut self, key: PageKey, lsn: Lsn, page: Arc<Page>) {
        if let Some((old, _)) = self.pages.insert(key, (lsn, page)) {
            self.unindex(key, old);
        }
        self.by_lsn.entry(lsn).or_default().push(key);
    }

    fn unindex(&mut self, key: PageKey, lsn: Lsn) {
        if let Some(keys) = self.by_lsn.get_mut(&lsn) {
            keys.retain(|k| *k != key);
            if keys.is_empty() {
                self.by_lsn.remove(&lsn);
            }
        }
    }

    /// Removes and returns every version with LSN `<= ingested`, oldest first.
    pub fn drain(&mut self, ingested: Lsn) -> Vec<(PageKey, Lsn, Arc<Page>)> {
        let newer = self.by_lsn.split_off(&Lsn(ingested.0.saturating_add(1)));
        let done = std::mem::replace(&mut self.by_lsn, newer);
        let mut out = Vec::new();
        for (lsn, keys) in done {
            for key in keys {
                if let Some((_, page)) = self.pages.remove(&key) {
                    out.push((key, lsn, page));
                }
            }
        }
        out
    }

    /// The oldest dirty LSN, if any.
    pub fn oldest(&self) -> Option<Lsn> {
        self.by_lsn.keys().next().copied()
    }

    /// Number of dirty pages.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Whether commits must wait for the pageserver before adding more.
    pub fn is_full(&self) -> bool {
        self.pages.len() >= self.limit
    }

    /// Every dirty page (for checks).
    pub fn pages(&self) -> impl Iterator<Item = (PageKey, Arc<Page>)> + '_ {
        self.pages.iter().map(|(k, (_, p))| (*k, p.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(b: u8) -> Arc<Page> {
        Arc::new([b; proto::PAGE_SIZE])
    }

    #[test]
    fn versions_leave_only_once_ingested() {
        let k = |b| PageKey::new(3, b);
        let mut d = DirtyPages::new(2);
        d.insert(k(1), Lsn(10), page(1));
        d.insert(k(2), Lsn(20), page(2));
        assert!(d.is_full());
        d.insert(k(1), Lsn(30), page(3)); // newer version replaces the old one
        assert_eq!(d.len(), 2);
        assert_eq!(d.oldest(), Some(Lsn(20)));
        assert!(d.drain(Lsn(19)).is_empty());
        let out = d.drain(Lsn(25));
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].0, out[0].1), (k(2), Lsn(20)));
        assert_eq!(d.get(k(1)).map(|p| p[100]), Some(3));
        assert!(!d.is_full());
        assert_eq!(d.drain(Lsn(30)).len(), 1);
        assert!(d.is_empty());
    }
}
