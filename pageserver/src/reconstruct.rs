//! Page reconstruction: GetPage@LSN from the layers.
//!
//! To rebuild page `K` as of LSN `L` (every record with end `<= L`):
//!
//! 1. [`collect`] walks [`LayerMap::search`]'s layers newest first, taking
//!    `K`'s changes with LSNs in `(image LSN, L]` from each delta source,
//!    until it meets a full-image change (an image in a delta) or reaches the
//!    newest image layer at or below `L`, whose page (or absence: the page did
//!    not exist then) is the base. The result is a [`History`]: an optional
//!    base page and the changes after it, in LSN order.
//! 2. [`History::replay`] (pure) starts from the base (or a zeroed page) and
//!    runs the one redo function, [`proto::redo::apply`], on each change at
//!    its LSN. Redo checks each delta's `base_lsn` against the page and the
//!    page's CRC after every change.
//!
//! A layer that is still in object storage is downloaded in line
//! ([`Downloads::Inline`], for callers holding no timeline lock) or reported
//! as [`Error::NotResident`] before anything is read from it
//! ([`Downloads::Deferred`], for callers holding the timeline's lock: they
//! fetch it unlocked and retry, see [`crate::ondemand`]).
//!
//! Outcomes: the page; [`Error::NeverWritten`] when there is neither a base
//! nor a change; [`Error::Quarantined`] naming the page and the LSN of the
//! change redo refused (the caller records the quarantine; a later full
//! image restarts the chain past the bad change, which is how the page
//! recovers); [`Error::Corrupt`]/[`Error::Io`] from the layer files.

use proto::page::{Page, zeroed_page};
use proto::{Lsn, PageBody, PageChange, PageKey};

use crate::layer_map::{LayerMap, LayerRef};
use crate::ondemand::Downloads;
use crate::{Error, Result};

/// What reconstructing one page at one LSN needs.
#[derive(Debug)]
pub struct History {
    pub key: PageKey,
    pub lsn: Lsn,
    /// The page from an image layer, `(image LSN, page)`; `None` when the
    /// chain starts with a full-image change, or the page did not exist at
    /// the image layer's LSN, or there is no image layer below `lsn`.
    pub base: Option<(Lsn, Box<Page>)>,
    /// Changes after the base, in LSN order.
    pub changes: Vec<(Lsn, PageChange)>,
}

impl History {
    /// How many byte-run deltas replay applies (the chain compaction
    /// shortens by writing an image).
    pub fn delta_chain_len(&self) -> usize {
        self.changes
            .iter()
            .filter(|(_, c)| matches!(c.body, PageBody::Delta(_)))
            .count()
    }

    /// Whether the history starts from nothing (no base page, and the first
    /// change is not a full image): a branch then continues it from its
    /// ancestor's page at the branch point.
    pub fn needs_base(&self) -> bool {
        self.base.is_none()
            && !self
                .changes
                .first()
                .is_some_and(|(_, c)| matches!(c.body, PageBody::Image(_)))
    }

    /// Runs redo over the changes and returns the page as of `self.lsn`.
    pub fn replay(self) -> Result<Box<Page>> {
        let mut page = match self.base {
            Some((_, page)) => page,
            None if self.changes.is_empty() => {
                return Err(Error::NeverWritten {
                    key: self.key,
                    lsn: self.lsn,
                });
            }
            None => zeroed_page(),
        };
        for (lsn, change) in &self.changes {
            proto::redo::apply(&mut page, change, *lsn).map_err(|e| Error::Quarantined {
                key: self.key,
                lsn: *lsn,
                reason: e.to_string(),
            })?;
        }
        Ok(page)
    }
}

/// Gathers the base page and changes that rebuild `key` at `lsn`,
/// downloading remote layers in line.
pub fn collect(map: &LayerMap, key: PageKey, lsn: Lsn) -> Result<History> {
    collect_with(map, key, lsn, Downloads::Inline)
}

/// [`collect`], with remote layers downloaded or reported as `downloads`
/// says.
pub fn collect_with(
    map: &LayerMap,
    key: PageKey,
    lsn: Lsn,
    downloads: Downloads,
) -> Result<History> {
    let deferred = downloads == Downloads::Deferred;
    let layers = map.search(key, lsn);
    let floor = match layers.last() {
        Some(LayerRef::Image(image)) => image.lsn(),
        _ => Lsn::INVALID,
    };
    // Chunks of changes, newest layer first; each chunk in LSN order.
    let mut chunks: Vec<Vec<(Lsn, PageChange)>> = Vec::new();
    let mut base = None;
    for layer in layers {
        let mut chunk = match layer {
            LayerRef::InMemory(l) => l.changes(key, floor, lsn),
            LayerRef::Delta(d) => {
                if deferred {
                    d.require_resident()?;
                }
                d.changes(key, floor, lsn)?
            }
            LayerRef::Image(image) => {
                if deferred {
                    image.require_resident()?;
                }
                base = image.get(key)?.map(|page| (image.lsn(), page));
                break;
            }
        };
        let last_image = chunk
            .iter()
            .rposition(|(_, c)| matches!(c.body, PageBody::Image(_)));
        if let Some(at) = last_image {
            chunk.drain(..at);
            chunks.push(chunk);
            break;
        }
        chunks.push(chunk);
    }
    let changes = chunks.into_iter().rev().flatten().collect();
    Ok(History {
        key,
        lsn,
        base,
        changes,
    })
}

/// Rebuilds `key` as of `lsn` (no GC-horizon check: the caller's).
pub fn reconstruct(map: &LayerMap, key: PageKey, lsn: Lsn) -> Result<Box<Page>> {
    collect(map, key, lsn)?.replay()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inmemory_layer::InMemoryLayer;
    use proto::page::{seal, set_page_lsn};
    use proto::redo::diff;
    use proto::{DecodedRecord, Record};

    struct Writer {
        map: LayerMap,
        page: Box<Page>,
        versions: Vec<(Lsn, Box<Page>)>,
    }

    impl Writer {
        fn new() -> Writer {
            Writer {
                map: LayerMap::new(InMemoryLayer::new(Lsn(1), Lsn(1))),
                page: zeroed_page(),
                versions: Vec::new(),
            }
        }

        fn write(&mut self, end: u64, at: usize, byte: u8, force_image: bool) {
            let key = PageKey::new(1, 1);
            let mut new = self.page.clone();
            new[at] = byte;
            let old = (!self.versions.is_empty() && !force_image).then_some(&*self.page);
            let change = diff(key, old, &new, Lsn(end));
            let rec = DecodedRecord {
                start: Lsn(end - 1),
                end: Lsn(end),
                record: Record::commit(0, vec![change]),
            };
            self.map.open_layer_mut().ingest(&rec).unwrap();
            set_page_lsn(&mut new, Lsn(end));
            seal(&mut new);
            self.page = new.clone();
            self.versions.push((Lsn(end), new));
        }
    }

    #[test]
    fn replays_deltas_after_the_newest_image() {
        let mut w = Writer::new();
        w.write(10, 100, 1, true);
        w.write(20, 200, 2, false);
        w.write(30, 300, 3, true);
        w.write(40, 400, 4, false);
        let key = PageKey::new(1, 1);
        for (lsn, want) in &w.versions {
            assert_eq!(&reconstruct(&w.map, key, *lsn).unwrap(), want);
            assert_eq!(&reconstruct(&w.map, key, *lsn + 5).unwrap(), want);
        }
        let h = collect(&w.map, key, Lsn(45)).unwrap();
        assert_eq!(h.changes.len(), 2, "starts at the image at 30");
        assert_eq!(h.delta_chain_len(), 1);
        assert!(matches!(
            reconstruct(&w.map, key, Lsn(9)),
            Err(Error::NeverWritten { .. })
        ));
        assert!(matches!(
            reconstruct(&w.map, PageKey::new(9, 9), Lsn(45)),
            Err(Error::NeverWritten { .. })
        ));
    }

    #[test]
    fn a_bad_delta_quarantines_until_an_image() {
        let mut w = Writer::new();
        let key = PageKey::new(1, 1);
        w.write(10, 100, 1, true);
        // A delta whose CRC does not match what redo produces.
        let mut bad = w.page.clone();
        bad[500] = 5;
        let mut change = diff(key, Some(&w.page), &bad, Lsn(20));
        change.crc_after ^= 1;
        let rec = DecodedRecord {
            start: Lsn(19),
            end: Lsn(20),
            record: Record::commit(0, vec![change]),
        };
        w.map.open_layer_mut().ingest(&rec).unwrap();
        w.write(30, 600, 6, true);

        assert!(
            reconstruct(&w.map, key, Lsn(15)).is_ok(),
            "before the bad change"
        );
        match reconstruct(&w.map, key, Lsn(25)) {
            Err(Error::Quarantined { key: k, lsn, .. }) => assert_eq!((k, lsn), (key, Lsn(20))),
            other => panic!("expected quarantine, got {other:?}"),
        }
        assert_eq!(
            &reconstruct(&w.map, key, Lsn(30)).unwrap(),
            &w.versions[1].1
        );
    }
}
