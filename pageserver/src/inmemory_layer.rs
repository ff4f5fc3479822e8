//! The in-memory layer: recent page changes, indexed by `(PageKey, Lsn)`.
//!
//! WAL ingest puts every page change of every record here, keyed by the
//! record's **end** LSN (the LSN redo stamps on the page: the state at `L`
//! holds every record with `end <= L`). The layer covers change LSNs
//! `[start_lsn, end)`: while open, `end` is `last_record_lsn + 1`; freezing
//! fixes it, and the next open layer starts there, so layers never overlap.
//!
//! Invariants:
//! - records arrive in WAL order: a record's end must exceed
//!   `last_record_lsn`, otherwise ingest fails with
//!   [`Error::OutOfOrderRecord`] and changes nothing;
//! - a frozen layer is immutable (it is shared behind an `Arc` while it is
//!   written out);
//! - [`InMemoryLayer::size`] is the bytes its changes take as delta-layer
//!   entries, so "freeze at N bytes" means "roughly N bytes of delta files".
//!
//! Records without page changes (`TermStart`, `DropRelation`) only advance
//! `last_record_lsn` here; the timeline keeps a `DropRelation`'s tombstone
//! ([`crate::tombstones`]).
//!
//! [`InMemoryLayer::build_delta_layers`] turns a frozen layer into delta
//! layer files partitioned by key range (pure: bytes out).

use std::collections::BTreeMap;

use proto::{DecodedRecord, Lsn, PageChange, PageKey};

use crate::block::ENTRY_HEADER_SIZE;
use crate::layer_file::Summary;
use crate::{Error, Result, delta_layer};

/// Recent page changes, newest not yet on disk.
#[derive(Debug)]
pub struct InMemoryLayer {
    start_lsn: Lsn,
    frozen_end: Option<Lsn>,
    last_record_lsn: Lsn,
    /// Changes of one page in one record stay in record order.
    changes: BTreeMap<(PageKey, Lsn), Vec<PageChange>>,
    size: usize,
    records: u64,
}

impl InMemoryLayer {
    /// An empty open layer for changes at `start_lsn` and later;
    /// `last_record_lsn` is the end of the last record before it.
    pub fn new(start_lsn: Lsn, last_record_lsn: Lsn) -> InMemoryLayer {
        InMemoryLayer {
            start_lsn,
            frozen_end: None,
            last_record_lsn,
            changes: BTreeMap::new(),
            size: 0,
            records: 0,
        }
    }

    /// Adds every page change of `rec` at `rec.end`.
    pub fn ingest(&mut self, rec: &DecodedRecord) -> Result<()> {
        assert!(self.frozen_end.is_none(), "ingest into a frozen layer");
        if rec.end <= self.last_record_lsn || rec.end < self.start_lsn {
            return Err(Error::OutOfOrderRecord {
                lsn: rec.end,
                last: self.last_record_lsn,
            });
        }
        for change in &rec.record.page_changes {
            self.size += ENTRY_HEADER_SIZE + delta_layer::encoded_len(change);
            self.changes
                .entry((change.key, rec.end))
                .or_default()
                .push(change.clone());
        }
        self.last_record_lsn = rec.end;
        self.records += 1;
        Ok(())
    }

    pub fn start_lsn(&self) -> Lsn {
        self.start_lsn
    }

    /// Exclusive end of the change LSNs this layer covers.
    pub fn end_lsn(&self) -> Lsn {
        self.frozen_end.unwrap_or(self.last_record_lsn + 1)
    }

    pub fn last_record_lsn(&self) -> Lsn {
        self.last_record_lsn
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen_end.is_some()
    }

    /// Approximate bytes of the changes (their delta-layer encoding).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Records ingested (including those without page changes).
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Freezes the layer at `last_record_lsn + 1`: it takes no more records.
    pub fn freeze(&mut self) {
        self.frozen_end.get_or_insert(self.last_record_lsn + 1);
    }

    /// The changes of `key` with `after < lsn <= upto`, in LSN order.
    pub fn changes(&self, key: PageKey, after: Lsn, upto: Lsn) -> Vec<(Lsn, PageChange)> {
        let Some(from) = after.checked_add(1) else {
            return Vec::new();
        };
        if from > upto {
            return Vec::new();
        }
        self.changes
            .range((key, from)..=(key, upto))
            .flat_map(|(&(_, lsn), cs)| cs.iter().map(move |c| (lsn, c.clone())))
            .collect()
    }

    /// Every key with a change here, in order.
    pub fn keys(&self) -> impl Iterator<Item = PageKey> + '_ {
        self.keys_upto(Lsn::MAX)
    }

    /// Every key with a change at or below `upto`, in order.
    pub fn keys_upto(&self, upto: Lsn) -> impl Iterator<Item = PageKey> + '_ {
        let mut prev = None;
        self.changes.keys().filter_map(move |&(k, lsn)| {
            let new = prev != Some(k) && lsn <= upto;
            if new {
                prev = Some(k);
            }
            new.then_some(k)
        })
    }

    /// Writes a frozen layer as delta layer files: entries in `(key, lsn)`
    /// order, cut into a new file at the first key boundary after a file
    /// reaches `partition_size` bytes, so each file covers a key range of its
    /// own and all of one key's changes stay in one file.
    pub fn build_delta_layers(
        &self,
        partition_size: usize,
        block_size: usize,
    ) -> Vec<(Summary, Vec<u8>)> {
        assert!(self.is_frozen(), "only frozen layers are written out");
        let (start, end) = (self.start_lsn, self.end_lsn());
        let mut files = Vec::new();
        let mut part: Vec<(Lsn, &PageChange)> = Vec::new();
        let mut part_size = 0;
        for (&(key, lsn), cs) in &self.changes {
            let key_boundary = part.last().is_none_or(|(_, c)| c.key != key);
            if key_boundary && part_size >= partition_size {
                files.extend(delta_layer::build(part.drain(..), start, end, block_size));
                part_size = 0;
            }
            for c in cs {
                part_size += ENTRY_HEADER_SIZE + delta_layer::encoded_len(c);
                part.push((lsn, c));
            }
        }
        files.extend(delta_layer::build(part, start, end, block_size));
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::page::zeroed_page;
    use proto::redo::diff;
    use proto::{Record, page::PAGE_SIZE};

    fn record(end: u64, keys: &[u32]) -> DecodedRecord {
        let page = zeroed_page();
        let changes = keys
            .iter()
            .map(|&b| diff(PageKey::new(1, b), None, &page, Lsn(end)))
            .collect();
        DecodedRecord {
            start: Lsn(end - 10),
            end: Lsn(end),
            record: Record::commit(0, changes),
        }
    }

    #[test]
    fn ingest_indexes_by_end_lsn_and_counts_size() {
        let mut l = InMemoryLayer::new(Lsn(100), Lsn(100));
        l.ingest(&record(110, &[1, 2])).unwrap();
        l.ingest(&record(120, &[2])).unwrap();
        assert_eq!(l.last_record_lsn(), Lsn(120));
        assert_eq!(l.end_lsn(), Lsn(121));
        assert!(l.size() > 3 * PAGE_SIZE);
        let got = l.changes(PageKey::new(1, 2), Lsn(0), Lsn(200));
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            [Lsn(110), Lsn(120)]
        );
        assert_eq!(l.changes(PageKey::new(1, 2), Lsn(110), Lsn(119)).len(), 0);
        assert_eq!(l.keys().count(), 2);
    }

    #[test]
    fn out_of_order_records_are_refused() {
        let mut l = InMemoryLayer::new(Lsn(100), Lsn(100));
        l.ingest(&record(110, &[1])).unwrap();
        let err = l.ingest(&record(110, &[1])).unwrap_err();
        assert!(matches!(err, Error::OutOfOrderRecord { .. }));
        assert_eq!(l.records(), 1);
    }

    #[test]
    fn freezing_partitions_by_key_range() {
        let mut l = InMemoryLayer::new(Lsn(100), Lsn(100));
        for i in 0..10u64 {
            l.ingest(&record(110 + i * 10, &[i as u32, 100 + i as u32]))
                .unwrap();
        }
        l.freeze();
        let files = l.build_delta_layers(3 * PAGE_SIZE, 4096);
        assert!(files.len() >= 5, "{} files", files.len());
        for pair in files.windows(2) {
            assert!(pair[0].0.key_range.last < pair[1].0.key_range.first);
        }
        let total: u64 = files.iter().map(|f| f.0.entry_count).sum();
        assert_eq!(total, 20);
        assert!(
            files
                .iter()
                .all(|f| f.0.lsn_start == Lsn(100) && f.0.lsn_end == Lsn(201))
        );
    }
}
