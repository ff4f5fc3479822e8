//! Scans: the rows a statement sees, merging the trees at its snapshot with the
//! transaction's own writes of earlier statements.
//!
//! * `Full` / `PrimaryRange`: the table tree is scanned at `S` over the range's encoded
//!   bounds; keys the write set touched (by statement `n - 1`) take the write set's state
//!   instead; the result is ordered by encoded key, which is key order (own provisional
//!   hidden row ids sort after committed ones).
//! * `IndexRange`: the index tree is scanned at `S`; every hit is only a candidate, re-checked
//!   against the row visible at `S` (its index key must still be the hit's). The write set
//!   contributes through a per-index view: own rows whose index key lies in the range.
//!   Results are ordered by (encoded index key, encoded primary key).
//!
//! Every result is finally filtered with `KeyRange::contains` on the decoded key, so bounds
//! the codec could not encode exactly (see [`super::codec::encode_range`]) stay correct.
//!
//! Key-order scans stream ([`KeyRangeStream`]): the tree is read in batches at `S`, each
//! re-seeking after the last key (pages at a snapshot do not change under MVCC), and the
//! own writes are copied when the scan starts — so the stream is detached from later
//! writes, as the contract asks, without holding the table in memory. Rows are decoded
//! from the leaf entries in place, and a scan longer than one batch reads ahead on a
//! thread of its own ([`super::tree_reader`]). Index scans are still materialized (they
//! sort own rows into index order).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;

use proto::Lsn;
use sql::storage::{Access, KeyRange, RowStream, ScannedRow};
use sql::{DataType, Error, Result, Value};

use super::catalog::TableEntry;
use super::codec;
use super::pages::RelPages;
use super::storage_error;
use super::tree_reader::{FIRST_BATCH, ReadAhead, TreeReader};
use super::txn::EngineTxn;
use crate::mvcc::VersionedTree;

impl EngineTxn {
    /// The rows of `entry` visible to the current statement, in `access` order.
    pub(super) fn scan_rows(&self, entry: &TableEntry, access: &Access) -> Result<RowStream> {
        let snapshot = self.snapshot()?;
        let upto = self.stmt.saturating_sub(1);
        Ok(match access {
            Access::Full => {
                Box::new(self.key_range_stream(entry, &KeyRange::ALL, snapshot, upto)?)
            }
            Access::PrimaryRange(range) => {
                Box::new(self.key_range_stream(entry, range, snapshot, upto)?)
            }
            Access::IndexRange { index, range } => {
                let rows = self.index_range_rows(entry, index, range, snapshot, upto)?;
                Box::new(rows.into_iter().map(Ok))
            }
        })
    }

    /// The rows of a full scan of `entry`, their keys left empty for those from the tree
    /// (see [`sql::storage::Txn::scan_rows_only`]).
    pub(super) fn full_scan_rows_only(&self, entry: &TableEntry) -> Result<KeyRangeStream> {
        let snapshot = self.snapshot()?;
        let upto = self.stmt.saturating_sub(1);
        let mut stream = self.key_range_stream(entry, &KeyRange::ALL, snapshot, upto)?;
        if let Source::Inline(reader) = &mut stream.source {
            reader.keys = false;
        }
        Ok(stream)
    }

    /// The live rows of `range` as latest applied, merged with all own writes (what
    /// foreign key checks see).
    pub(super) fn key_range_rows_latest(
        &self,
        entry: &TableEntry,
        range: &KeyRange,
    ) -> Result<Vec<ScannedRow>> {
        self.key_range_rows(entry, range, Lsn::MAX, u64::MAX)
    }

    /// Every live row as latest applied, merged with all own writes (for unique checks).
    pub(super) fn latest_rows(&self, entry: &TableEntry) -> Result<Vec<ScannedRow>> {
        self.key_range_rows(entry, &KeyRange::ALL, Lsn::MAX, u64::MAX)
    }

    fn key_types(entry: &TableEntry) -> Vec<DataType> {
        entry
            .key_types()
            .into_iter()
            .map(|t| t.cloned().unwrap_or(DataType::Int8))
            .collect()
    }

    fn key_range_rows(
        &self,
        entry: &TableEntry,
        range: &KeyRange,
        snapshot: Lsn,
        upto: u64,
    ) -> Result<Vec<ScannedRow>> {
        self.key_range_stream(entry, range, snapshot, upto)?
            .collect()
    }

    /// A lazy, detached stream of the rows of `entry` in `range` at `snapshot`, merged with
    /// own writes of statements `<= upto` (copied now, so later writes do not show), the
    /// appended ones decoded.
    pub(super) fn key_range_stream(
        &self,
        entry: &TableEntry,
        range: &KeyRange,
        snapshot: Lsn,
        upto: u64,
    ) -> Result<KeyRangeStream> {
        let (lower, upper) = codec::encode_range(range, &Self::key_types(entry));
        let mut touched = BTreeSet::new();
        let mut own = VecDeque::new();
        for (enc, kw) in self.writes.table(entry.def.id) {
            if let Some(state) = kw.at(upto) {
                touched.insert(enc.clone());
                if let Some(row) = state {
                    let row = ScannedRow {
                        key: kw.key.clone(),
                        row: row.clone(),
                    };
                    own.push_back((enc.clone(), row));
                }
            }
        }
        // Appended rows have keys above every key of the map (`super::append`).
        own.extend(self.appended_scan_rows(entry, upto)?);
        let reader = TreeReader {
            pages: self.shared.rel_pages_scan(entry.rel()),
            limits: self.shared.config.limits,
            snapshot,
            next_lower: lower,
            upper,
            column_types: entry.column_types(),
            key_types: entry.key_types().into_iter().map(|t| t.copied()).collect(),
            touched,
            merging: !own.is_empty(),
            keys: true,
            done: !self.rel_exists(entry.rel()),
        };
        Ok(KeyRangeStream {
            range: range.clone(),
            source: Source::Inline(Box::new(reader)),
            own,
            tree_rows: VecDeque::new(),
            failed: false,
        })
    }

    fn index_range_rows(
        &self,
        entry: &TableEntry,
        index: &str,
        range: &KeyRange,
        snapshot: Lsn,
        upto: u64,
    ) -> Result<Vec<ScannedRow>> {
        let table = entry.def.id;
        let (Some(def), Some(rel)) = (entry.def.index(index), entry.index_rel(index)) else {
            return Err(Error::UndefinedObject(format!(
                "index \"{index}\" does not exist"
            )));
        };
        // The row's index key; `None` outside a partial index.
        let ikey_of = |row: &[Value]| def.key_of(&entry.def, row);
        let types: Vec<DataType> = def.key_types(&entry.def)?;
        if !self.rel_exists(rel) {
            // An index this transaction created: no tree yet, so sort the table's rows.
            let mut rows: Vec<(Vec<u8>, Vec<u8>, ScannedRow)> = Vec::new();
            for r in self.key_range_rows(entry, &KeyRange::ALL, snapshot, upto)? {
                if let Some(k) = ikey_of(&r.row)?
                    && range.contains(&k)
                {
                    rows.push((codec::encode_key(&k), codec::encode_key(&r.key), r));
                }
            }
            rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            return Ok(rows.into_iter().map(|(_, _, r)| r).collect());
        }
        let (lower, upper) = codec::encode_range(range, &types);
        let probe = IndexProbe {
            index: def,
            lower: as_slice(&lower),
            upper: as_slice(&upper),
            snapshot,
            upto,
        };
        let hits = match self.index_hits(entry, rel, &probe, None) {
            // A leaf of either tree was pruned past the snapshot: redo the probe on both
            // relations' pages as of `S`, from the pageserver.
            Err(crate::Error::NeedsOldSnapshot { .. }) if self.shared.pages.cache().is_some() => {
                self.index_hits(entry, rel, &probe, Some(snapshot))
            }
            r => r,
        };
        let mut hits = hits.map_err(storage_error)?;
        for (enc, kw) in self.writes.table(table) {
            if let Some(Some(row)) = kw.at(upto) {
                let Some(ikey) = ikey_of(row)? else {
                    continue;
                };
                let ikey = codec::encode_key(&ikey);
                hits.insert(
                    (ikey, enc.clone()),
                    ScannedRow {
                        key: kw.key.clone(),
                        row: row.clone(),
                    },
                );
            }
        }
        let mut out = Vec::with_capacity(hits.len());
        for r in hits.into_values() {
            if ikey_of(&r.row)?.is_some_and(|k| range.contains(&k)) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The committed rows an index probe finds at its snapshot, keyed by (encoded index
    /// key, encoded primary key), skipping keys the write set took over; every hit is
    /// re-checked against the row visible at the snapshot. `at`: read both trees' pages
    /// as of this LSN from the pageserver instead of the latest ones.
    fn index_hits(
        &self,
        entry: &TableEntry,
        index_rel: proto::RelId,
        probe: &IndexProbe<'_>,
        at: Option<Lsn>,
    ) -> crate::Result<IndexHits> {
        let pages = |rel| match at {
            Some(lsn) => RelPages::at(self.shared.pages.clone(), rel, lsn),
            None => self.shared.rel_pages(rel),
        };
        let limits = self.shared.config.limits;
        let table_tree = VersionedTree::open(pages(entry.rel()), limits);
        let index_tree = VersionedTree::open(pages(index_rel), limits);
        let key_types = entry.key_types();
        let column_types = entry.column_types();
        let table = entry.def.id;
        let mut hits = BTreeMap::new();
        for item in index_tree.scan(probe.lower, probe.upper, probe.snapshot)? {
            let (entry_key, _) = item?;
            let at = crate::keycodec::prefix_len(&entry_key, probe.index.columns.len())?;
            let (ienc, pk) = entry_key.split_at(at);
            if self.writes.row_at(table, pk, probe.upto).is_some() {
                continue;
            }
            let Some(payload) = table_tree.get(pk, probe.snapshot)? else {
                continue;
            };
            let row = codec::decode_row(&payload, &column_types)?;
            let ikey = probe
                .index
                .key_of(&entry.def, &row)
                .map_err(|e| crate::Error::Decode {
                    what: "index expression",
                    reason: e.to_string(),
                })?;
            if ikey.is_none_or(|k| codec::encode_key(&k) != ienc) {
                continue; // a stale entry: the visible row has another index key
            }
            let key = codec::decode_key(pk, &key_types)?;
            hits.insert((ienc.to_vec(), pk.to_vec()), ScannedRow { key, row });
        }
        Ok(hits)
    }
}

/// Index scan hits by (encoded index key, encoded primary key).
type IndexHits = BTreeMap<(Vec<u8>, Vec<u8>), ScannedRow>;

/// What an index scan probes: the index, the encoded range, the snapshot and the last
/// statement whose own writes show.
struct IndexProbe<'a> {
    index: &'a sql::storage::IndexDef,
    lower: Bound<&'a [u8]>,
    upper: Bound<&'a [u8]>,
    snapshot: Lsn,
    upto: u64,
}

/// Where a [`KeyRangeStream`]'s tree rows come from.
enum Source {
    /// Read on the statement's thread (the first batch, or when no thread could start).
    Inline(Box<TreeReader>),
    /// Read ahead on a thread of its own.
    Ahead(ReadAhead),
    Done,
}

/// A lazy key-order scan; see the module docs.
pub struct KeyRangeStream {
    range: KeyRange,
    source: Source,
    /// Own rows, in key order.
    own: VecDeque<(Vec<u8>, ScannedRow)>,
    tree_rows: VecDeque<(Vec<u8>, ScannedRow)>,
    failed: bool,
}

impl KeyRangeStream {
    /// Refills `tree_rows` with the next batch (or ends the source).
    fn refill(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.source, Source::Done) {
            Source::Inline(mut reader) => {
                self.tree_rows = reader.next_batch(FIRST_BATCH).map_err(storage_error)?;
                if !reader.done {
                    // More than one batch: read the rest ahead on another thread.
                    self.source = match ReadAhead::start(reader) {
                        Ok(ahead) => Source::Ahead(ahead),
                        Err(reader) => Source::Inline(reader),
                    };
                }
            }
            Source::Ahead(ahead) => {
                if let Some(batch) = ahead.next_batch() {
                    self.tree_rows = batch.map_err(storage_error)?;
                    self.source = Source::Ahead(ahead);
                }
            }
            Source::Done => {}
        }
        Ok(())
    }
}

impl Iterator for KeyRangeStream {
    type Item = Result<ScannedRow>;

    fn next(&mut self) -> Option<Result<ScannedRow>> {
        loop {
            if self.failed {
                return None;
            }
            if self.tree_rows.is_empty() && !matches!(self.source, Source::Done) {
                if let Err(e) = self.refill() {
                    self.failed = true;
                    return Some(Err(e));
                }
                continue;
            }
            let from_tree = match (self.tree_rows.front(), self.own.front()) {
                (Some(t), Some(o)) => t.0 < o.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return None,
            };
            let next = if from_tree {
                self.tree_rows.pop_front()
            } else {
                self.own.pop_front()
            };
            if let Some((_, row)) = next
                && self.range.contains(&row.key)
            {
                return Some(Ok(row));
            }
        }
    }
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    b.as_ref().map(Vec::as_slice)
}
