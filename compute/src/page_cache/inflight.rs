//! # inflight: what happens to a page while its fetch is on the wire
//!
//! A miss asks the pageserver for a page at request LSN `R`; the answer is the page as of
//! `R`. On a read replica, committed records keep arriving while the answer travels, and a
//! delta to a page the replica does not cache is dropped — so an answer for a page that
//! such a record touched is stale on arrival. Asking again does not help under a steady
//! write load: every new ask is overtaken the same way (a hot page, e.g. a table's last
//! leaf, could never be read).
//!
//! [`InFlight`] keeps, per key with a fetch in flight, the replicated changes applied to
//! it since the fetch was registered, and [`InFlight::catch_up`] replays those ending
//! after `R` onto the answer — as a replica's startup process in PostgreSQL replays onto a
//! buffer that was being read. A version *published* by this compute (the primary's own
//! commit) is not kept here: an answer overtaken by one is asked again.
//!
//! Invariants: a change is kept only while its key has a registered fetch; entries are
//! dropped when the last fetch of the key ends, so the map holds at most the keys being
//! fetched and the changes that arrived during their round trips.

use std::collections::HashMap;

use proto::page::Page;
use proto::{Lsn, PageBody, PageChange, PageKey};

/// Keys with a fetch in flight and what happened to them meanwhile.
#[derive(Default)]
pub struct InFlight {
    map: HashMap<PageKey, Entry>,
}

#[derive(Default)]
struct Entry {
    fetchers: usize,
    /// Replicated changes since the first fetch registered, in LSN order.
    changes: Vec<(PageChange, Lsn)>,
    /// End of the newest version this compute published meanwhile.
    published: Lsn,
}

/// What a fetched answer becomes once the changes made during its round trip are replayed.
#[derive(Debug)]
pub enum CatchUp {
    /// The page as of now (`None`: still never written).
    Current(Option<Box<Page>>),
    /// The answer cannot be brought up to date: ask again.
    Refetch,
}

impl InFlight {
    /// A fetch of `key` starts.
    pub fn begin(&mut self, key: PageKey) {
        self.map.entry(key).or_default().fetchers += 1;
    }

    /// A fetch of `key` ended (answered or failed).
    pub fn end(&mut self, key: PageKey) {
        if let Some(e) = self.map.get_mut(&key) {
            e.fetchers -= 1;
            if e.fetchers == 0 {
                self.map.remove(&key);
            }
        }
    }

    /// A replicated change ending at `end` was applied (or dropped): kept if its page is
    /// being fetched.
    pub fn note_replicated(&mut self, change: &PageChange, end: Lsn) {
        if let Some(e) = self.map.get_mut(&change.key) {
            e.changes.push((change.clone(), end));
        }
    }

    /// This compute published a version of `key` ending at `end`.
    pub fn note_published(&mut self, key: PageKey, end: Lsn) {
        if let Some(e) = self.map.get_mut(&key) {
            e.published = e.published.max(end);
        }
    }

    /// Brings `answer`, the pageserver's version of `key` as of `at`, up to date with the
    /// changes made since.
    pub fn catch_up(&self, key: PageKey, at: Lsn, answer: Option<Box<Page>>) -> CatchUp {
        let Some(e) = self.map.get(&key) else {
            return CatchUp::Current(answer);
        };
        if e.published > at {
            return CatchUp::Refetch;
        }
        let mut page = answer;
        for (change, end) in e.changes.iter().filter(|(_, end)| *end > at) {
            let mut base = match (&change.body, page.take()) {
                (PageBody::Image(_), _) => proto::page::zeroed_page(),
                (_, Some(p)) => p,
                // A delta to a page that did not exist at `at`: the answer is not the
                // version the change was made against.
                (_, None) => return CatchUp::Refetch,
            };
            if proto::redo::apply(&mut base, change, *end).is_err() {
                return CatchUp::Refetch;
            }
            page = Some(base);
        }
        CatchUp::Current(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::RelId;

    fn key() -> PageKey {
        PageKey {
            rel: RelId(16),
            block: 1,
        }
    }

    /// A page holding `byte`, as written by a record ending at `lsn`.
    fn page(byte: u8, lsn: Lsn) -> Box<Page> {
        let mut page = proto::page::zeroed_page();
        page[100] = byte;
        proto::redo::apply(&mut page, &image(byte, lsn), lsn).expect("an image applies");
        page
    }

    fn image(byte: u8, lsn: Lsn) -> PageChange {
        let mut page = proto::page::zeroed_page();
        page[100] = byte;
        proto::redo::diff(key(), None, &page, lsn)
    }

    /// The delta from `page(from, base)` to a page holding `to`, ending at `lsn`.
    fn delta(from: u8, base: Lsn, to: u8, lsn: Lsn) -> PageChange {
        let old = page(from, base);
        let mut new = old.clone();
        new[100] = to;
        proto::redo::diff(key(), Some(&old), &new, lsn)
    }

    fn byte_of(c: &CatchUp) -> Option<u8> {
        match c {
            CatchUp::Current(Some(p)) => Some(p[100]),
            _ => None,
        }
    }

    #[test]
    fn changes_after_the_answer_are_replayed_and_older_ones_skipped() {
        let mut f = InFlight::default();
        f.begin(key());
        f.note_replicated(&image(1, Lsn(100)), Lsn(100));
        f.note_replicated(&delta(1, Lsn(100), 2, Lsn(200)), Lsn(200));
        f.note_replicated(&delta(2, Lsn(200), 3, Lsn(300)), Lsn(300));
        // Answered at 150 (the image applied): both deltas are replayed.
        let got = f.catch_up(key(), Lsn(150), Some(page(1, Lsn(100))));
        assert_eq!(byte_of(&got), Some(3));
        // Answered after every change: nothing to replay.
        let got = f.catch_up(key(), Lsn(300), Some(page(3, Lsn(300))));
        assert_eq!(byte_of(&got), Some(3));
        // Never written at 50: the image starts the page.
        assert_eq!(byte_of(&f.catch_up(key(), Lsn(50), None)), Some(3));
    }

    #[test]
    fn an_answer_the_changes_were_not_made_against_is_asked_again() {
        let mut f = InFlight::default();
        f.begin(key());
        f.note_replicated(&delta(1, Lsn(100), 2, Lsn(200)), Lsn(200));
        // Not written at 150 although the delta expects a page: not current.
        assert!(matches!(
            f.catch_up(key(), Lsn(150), None),
            CatchUp::Refetch
        ));
        // A version other than the delta's base.
        let got = f.catch_up(key(), Lsn(150), Some(page(7, Lsn(90))));
        assert!(matches!(got, CatchUp::Refetch));
    }

    #[test]
    fn a_published_version_forces_a_refetch() {
        let mut f = InFlight::default();
        f.begin(key());
        f.note_published(key(), Lsn(300));
        let got = f.catch_up(key(), Lsn(200), Some(page(1, Lsn(100))));
        assert!(matches!(got, CatchUp::Refetch));
        assert!(matches!(
            f.catch_up(key(), Lsn(300), None),
            CatchUp::Current(None)
        ));
    }

    #[test]
    fn changes_are_kept_only_while_a_fetch_is_registered() {
        let mut f = InFlight::default();
        f.note_replicated(&image(1, Lsn(100)), Lsn(100));
        f.begin(key());
        f.begin(key());
        f.end(key());
        f.note_replicated(&image(2, Lsn(200)), Lsn(200));
        assert_eq!(byte_of(&f.catch_up(key(), Lsn(50), None)), Some(2));
        f.end(key());
        assert!(f.map.is_empty());
    }
}
