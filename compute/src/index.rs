//! Secondary indexes: versioned `(index key, primary key)` entries.
//!
//! An index is a [`VersionedTree`] whose user key is the entry
//! `keycodec(index key) ++ primary key` and whose payload is empty:
//!
//! ```text
//!  tree key: [ index key columns | primary key | !created ]   value: [ deleted ]
//!             keycodec, n values   keycodec      u64 BE         u64 BE
//! ```
//!
//! Entries therefore follow exactly the row rule: `(key, pk, created,
//! deleted)` is visible at `S` iff `created < S <= deleted`; they are written
//! in the same record as their row (an UPDATE that changes the index key
//! deletes the old entry and inserts the new one at the record's LSN) and
//! pruned the same way. Both the index key and the primary key are keycodec
//! encodings, so the entry is prefix-free and all entries of one index key
//! are contiguous, ordered by primary key.
//!
//! An index hit is only a candidate: the executor re-checks it against the
//! row version visible at `S` (the row may have changed in ways the index
//! entry's lifetime does not show, e.g. a HOT-like in-place update).

use std::ops::Bound;

use proto::Lsn;

use crate::btree::{ChangedPages, Limits, PageStore};
use crate::error::Result;
use crate::keycodec::{self, prefix_successor};
use crate::mvcc::{Scan, VersionedTree};
use crate::values::Value;

/// One visible index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHit {
    /// The encoded index key (keycodec).
    pub index_key: Vec<u8>,
    /// The encoded primary key (keycodec), to look the row up with.
    pub pk: Vec<u8>,
}

/// A secondary index over `key_columns` columns.
pub struct SecondaryIndex<S> {
    entries: VersionedTree<S>,
    key_columns: usize,
}

/// The entry's user key: encoded index key, then the encoded primary key.
pub fn entry_key(index_key: &[Value], pk: &[u8]) -> Vec<u8> {
    let mut k = keycodec::encode_key(index_key);
    k.extend_from_slice(pk);
    k
}

impl<S: PageStore> SecondaryIndex<S> {
    /// An empty index in an empty store.
    pub fn create(
        store: S,
        limits: Limits,
        key_columns: usize,
    ) -> Result<(SecondaryIndex<S>, ChangedPages)> {
        let (entries, changed) = VersionedTree::create(store, limits)?;
        Ok((
            SecondaryIndex {
                entries,
                key_columns,
            },
            changed,
        ))
    }

    /// An index already in `store`.
    pub fn open(store: S, limits: Limits, key_columns: usize) -> SecondaryIndex<S> {
        SecondaryIndex {
            entries: VersionedTree::open(store, limits),
            key_columns,
        }
    }

    /// The versioned tree underneath.
    pub fn versions(&self) -> &VersionedTree<S> {
        &self.entries
    }

    /// Adds the entry `(index_key, pk)` created at `lsn`.
    pub fn insert(&mut self, index_key: &[Value], pk: &[u8], lsn: Lsn) -> Result<ChangedPages> {
        self.entries.insert(&entry_key(index_key, pk), &[], lsn)
    }

    /// Deletes the live entry `(index_key, pk)` at `lsn`.
    pub fn delete(&mut self, index_key: &[Value], pk: &[u8], lsn: Lsn) -> Result<ChangedPages> {
        self.entries.delete(&entry_key(index_key, pk), lsn)
    }

    /// Removes entries deleted before `horizon` in the record starting at `lsn` (see
    /// [`VersionedTree::prune`]).
    pub fn prune(&mut self, horizon: Lsn, lsn: Lsn) -> Result<ChangedPages> {
        self.entries.prune(horizon, lsn)
    }

    /// Primary keys of the entries for exactly `index_key` visible at
    /// `snapshot`, in primary-key order.
    pub fn lookup(&self, index_key: &[Value], snapshot: Lsn) -> Result<Vec<Vec<u8>>> {
        let hits = self.scan(
            Bound::Included(index_key),
            Bound::Included(index_key),
            snapshot,
        )?;
        hits.map(|h| h.map(|h| h.pk)).collect()
    }

    /// Entries with index keys in `(lower, upper)` visible at `snapshot`.
    pub fn scan(
        &self,
        lower: Bound<&[Value]>,
        upper: Bound<&[Value]>,
        snapshot: Lsn,
    ) -> Result<IndexScan<'_, S>> {
        // Entries of index key k are exactly the user keys with prefix enc(k).
        let lower = match lower {
            Bound::Included(k) => Some(Bound::Included(keycodec::encode_key(k))),
            Bound::Excluded(k) => prefix_successor(&keycodec::encode_key(k)).map(Bound::Included),
            Bound::Unbounded => Some(Bound::Unbounded),
        };
        let upper = match upper {
            Bound::Included(k) => Some(
                prefix_successor(&keycodec::encode_key(k))
                    .map_or(Bound::Unbounded, Bound::Excluded),
            ),
            Bound::Excluded(k) => Some(Bound::Excluded(keycodec::encode_key(k))),
            Bound::Unbounded => Some(Bound::Unbounded),
        };
        let rows = match (lower, upper) {
            (Some(lo), Some(hi)) => Some(self.entries.scan(
                lo.as_ref().map(Vec::as_slice),
                hi.as_ref().map(Vec::as_slice),
                snapshot,
            )?),
            _ => None, // nothing sorts above the lower bound
        };
        Ok(IndexScan {
            rows,
            key_columns: self.key_columns,
        })
    }
}

/// Visible index entries in `(index key, pk)` order.
pub struct IndexScan<'a, S> {
    rows: Option<Scan<'a, S>>,
    key_columns: usize,
}

impl<S: PageStore> Iterator for IndexScan<'_, S> {
    type Item = Result<IndexHit>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.as_mut()?.next()?;
        Some(row.and_then(|(key, _)| {
            let at = keycodec::prefix_len(&key, self.key_columns)?;
            Ok(IndexHit {
                index_key: key[..at].to_vec(),
                pk: key[at..].to_vec(),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btree::MemPageStore;
    use crate::keycodec::encode_key;

    fn pk(i: i64) -> Vec<u8> {
        encode_key(&[Value::Int8(i)])
    }

    #[test]
    fn entries_are_versioned_like_rows() {
        let (mut idx, _) =
            SecondaryIndex::create(MemPageStore::new(), Limits::for_fill(1024), 1).unwrap();
        let red = [Value::Text("red".into())];
        let blue = [Value::Text("blue".into())];
        idx.insert(&red, &pk(1), Lsn(10)).unwrap();
        idx.insert(&red, &pk(2), Lsn(10)).unwrap();
        idx.insert(&blue, &pk(3), Lsn(10)).unwrap();
        // Row 1 changes colour at 20.
        idx.delete(&red, &pk(1), Lsn(20)).unwrap();
        idx.insert(&blue, &pk(1), Lsn(20)).unwrap();

        assert_eq!(idx.lookup(&red, Lsn(15)).unwrap(), vec![pk(1), pk(2)]);
        assert_eq!(idx.lookup(&red, Lsn(25)).unwrap(), vec![pk(2)]);
        assert_eq!(idx.lookup(&blue, Lsn(25)).unwrap(), vec![pk(1), pk(3)]);
        assert!(
            idx.lookup(&[Value::Text("re".into())], Lsn(25))
                .unwrap()
                .is_empty()
        );

        let hits: Vec<IndexHit> = idx
            .scan(Bound::Excluded(&blue), Bound::Unbounded, Lsn(25))
            .unwrap()
            .map(|h| h.unwrap())
            .collect();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].index_key, encode_key(&red));
        assert_eq!(hits[0].pk, pk(2));

        idx.prune(Lsn(25), Lsn(30)).unwrap();
        assert!(
            idx.lookup(&red, Lsn(15)).is_err(),
            "pruned: needs an old snapshot"
        );
        assert_eq!(idx.lookup(&red, Lsn(25)).unwrap(), vec![pk(2)]);
    }
}
