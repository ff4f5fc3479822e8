//! MVCC by LSN: row versions in B+tree leaves, visibility, pruning.
//!
//! A row version carries `created` and `deleted`: the *start* LSN of the
//! WAL record that wrote it, and of the one that deleted or replaced it
//! ([`Lsn::MAX`] while live). A snapshot `S` is a record boundary (an *end*
//! LSN), and a version is **visible at `S` iff `created < S <= deleted`**
//! ([`is_visible`]): the record that created it ended at or before `S`, and
//! the one that deleted it did not.
//!
//! Each version is one leaf entry of a [`BTree`], so a version's size is
//! limited by the page, not the whole chain's:
//!
//! ```text
//! tree key   = user key ++ !created (u64 big-endian, bit-inverted)
//! tree value = deleted (u64 big-endian) ++ payload (row bytes, or empty)
//!
//!   "k1"·!30  → deleted=MAX, "v3"     newest first: ascending tree keys
//!   "k1"·!20  → deleted=30,  "v2"     walk a key's versions from newest
//!   "k1"·!10  → deleted=20,  "v1"     to oldest
//!   "k2"·!15  → deleted=25,  "x"      (k2 deleted at 25)
//! ```
//!
//! Sizes: a user key is at most `max_key - 8` bytes (501 on full pages).
//! A payload of up to [`VersionedTree::max_payload`] bytes (about 2000 on
//! full pages, PostgreSQL's TOAST threshold is about the same) is stored in
//! the entry; a larger one out of line ([`crate::btree::overflow`]): the
//! entry keeps `deleted` in line and refers to the payload's pages. Marking a
//! version deleted rewrites only the in-line `deleted`
//! ([`BTree::replace_prefix`]), never the pages of a large payload; the pages
//! are freed with the version (pruned, or collapsed within one record).
//! Readers get a key's [`VersionHead`]s without their payloads and read only
//! the payload they need ([`VersionedTree::payload`]): a scan reads the
//! visible version's, never those of versions it skips.
//!
//! User keys must be **prefix-free** (no key a proper prefix of another), as
//! [`crate::keycodec`] guarantees, so appending the 8-byte suffix keeps every
//! key's versions contiguous and in user-key order.
//!
//! Writes happen at commit, one record at a time, with that record's start
//! LSN (see [`VersionedTree::insert`], [`VersionedTree::update`],
//! [`VersionedTree::delete`]). Several writes of one record to the same key
//! collapse into one version (a version created and deleted by the same
//! record is invisible to everyone, so it is removed). The same LSN stamps
//! the blocks a write frees ([`crate::btree::Space`]); blocks freed before
//! [`VersionedTree::reuse_below`] are handed out again.
//!
//! **Pruning** ([`VersionedTree::prune`], or [`VersionedTree::prune_leaves`]
//! for just the leaves a commit already writes) removes versions with
//! `deleted < horizon` (horizon = the oldest snapshot in use: no snapshot
//! `S >= horizon` can see them) and raises each changed leaf's `prune_lsn` to
//! the horizon. A version deleted exactly at the horizon stays: the snapshot
//! `S = horizon` still sees it. A reader at `S < prune_lsn` of any leaf it visits gets
//! [`Error::NeedsOldSnapshot`] and re-traverses at `S` with pages from the
//! pageserver, which still has the removed versions.
//!
//! On an error a write may have published part of its pages; callers apply a
//! write set to copy-on-write pages and discard them all on failure.

use std::ops::Bound;

use proto::{BlockNo, Lsn};

use crate::btree::{
    BTree, ChangedPages, Cursor, Entry, Limits, OverflowRef, PageStore, Space, SplitPrune,
};
use crate::error::{Error, Result};

/// Bytes appended to a user key: the inverted `created` LSN.
const SUFFIX: usize = 8;
/// Bytes in front of the payload: the `deleted` LSN.
const DELETED: usize = 8;

/// Whether a version created at `created` and deleted at `deleted` is
/// visible at snapshot `snapshot`.
pub fn is_visible(created: Lsn, deleted: Lsn, snapshot: Lsn) -> bool {
    created < snapshot && snapshot <= deleted
}

/// One version of a row (or of an index entry), with its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub created: Lsn,
    /// [`Lsn::MAX`] while live.
    pub deleted: Lsn,
    pub payload: Vec<u8>,
}

impl Version {
    pub fn is_live(&self) -> bool {
        self.deleted == Lsn::MAX
    }

    pub fn is_visible(&self, snapshot: Lsn) -> bool {
        is_visible(self.created, self.deleted, snapshot)
    }
}

/// One version of a row as its leaf entry holds it: an out-of-line payload is not read
/// until [`VersionedTree::payload`] asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionHead {
    pub created: Lsn,
    /// [`Lsn::MAX`] while live.
    pub deleted: Lsn,
    stored: Stored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stored {
    Inline(Vec<u8>),
    External(OverflowRef),
}

impl VersionHead {
    pub fn is_live(&self) -> bool {
        self.deleted == Lsn::MAX
    }

    pub fn is_visible(&self, snapshot: Lsn) -> bool {
        is_visible(self.created, self.deleted, snapshot)
    }

    /// Whether the payload is stored out of line.
    pub fn is_external(&self) -> bool {
        matches!(self.stored, Stored::External(_))
    }

    fn from_entry(entry: Entry) -> Result<(Vec<u8>, VersionHead)> {
        let (user_key, created) = split_key(&entry.key)?;
        let (deleted, inline) = split_value(&entry.value)?;
        let stored = match entry.overflow {
            Some(oref) if inline.is_empty() => Stored::External(oref),
            Some(_) => {
                return Err(Error::decode(
                    "version",
                    "payload both in line and out of line",
                ));
            }
            None => Stored::Inline(inline.to_vec()),
        };
        let head = VersionHead {
            created,
            deleted,
            stored,
        };
        Ok((user_key.to_vec(), head))
    }
}

fn version_key(key: &[u8], created: Lsn) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + SUFFIX);
    k.extend_from_slice(key);
    k.extend_from_slice(&(!created.0).to_be_bytes());
    k
}

/// Splits a tree key into the user key and `created`.
fn split_key(tree_key: &[u8]) -> Result<(&[u8], Lsn)> {
    let at = tree_key
        .len()
        .checked_sub(SUFFIX)
        .ok_or_else(|| Error::decode("version key", "shorter than its LSN suffix"))?;
    let (key, suffix) = tree_key.split_at(at);
    let inverted = u64::from_be_bytes(suffix.try_into().expect("8-byte suffix"));
    Ok((key, Lsn(!inverted)))
}

/// Splits a tree value (its in-line part) into `deleted` and the payload.
fn split_value(value: &[u8]) -> Result<(Lsn, &[u8])> {
    if value.len() < DELETED {
        return Err(Error::decode("version", "shorter than its deleted LSN"));
    }
    let (deleted, payload) = value.split_at(DELETED);
    Ok((
        Lsn(u64::from_be_bytes(deleted.try_into().expect("8 bytes"))),
        payload,
    ))
}

/// A B+tree of versioned rows (or versioned index entries).
pub struct VersionedTree<S> {
    tree: BTree<S>,
    /// Freed blocks stamped below this may be reused ([`Space::reuse_below`]).
    reuse_below: Option<Lsn>,
}

impl<S: PageStore> VersionedTree<S> {
    /// An empty versioned tree in an empty store.
    pub fn create(store: S, limits: Limits) -> Result<(VersionedTree<S>, ChangedPages)> {
        let (tree, changed) = BTree::create(store, limits)?;
        Ok((
            VersionedTree {
                tree,
                reuse_below: None,
            },
            changed,
        ))
    }

    /// A versioned tree built in the empty `store` from `entries` (user keys strictly
    /// increasing, payloads), every version live and created at `lsn`: the same versions
    /// [`VersionedTree::insert`] would write one by one, packed bottom-up
    /// ([`BTree::bulk_load`]). A user key repeated or out of order fails with
    /// [`Error::DuplicateKey`].
    pub fn bulk_load<I>(store: S, limits: Limits, entries: I, lsn: Lsn) -> Result<VersionedTree<S>>
    where
        I: IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
    {
        let max_key = limits.max_key - SUFFIX;
        let mut too_long = None;
        let versions = entries.into_iter().map_while(|(mut key, payload)| {
            if key.len() > max_key {
                too_long = Some(key.len());
                return None;
            }
            // The version key is the user key with its suffix: extended in place.
            key.extend_from_slice(&(!lsn.0).to_be_bytes());
            Some((key, Lsn::MAX.0.to_be_bytes().to_vec(), payload))
        });
        let tree = BTree::bulk_load(store, limits, versions)?;
        if let Some(size) = too_long {
            return Err(Error::KeyTooLarge { size, max: max_key });
        }
        Ok(VersionedTree {
            tree,
            reuse_below: None,
        })
    }

    /// A versioned tree already in `store`.
    pub fn open(store: S, limits: Limits) -> VersionedTree<S> {
        VersionedTree {
            tree: BTree::open(store, limits),
            reuse_below: None,
        }
    }

    /// Writes prune a full leaf at `horizon` before splitting it (see
    /// [`crate::btree::SplitPrune`]); the horizon must be no newer than any
    /// snapshot that reads these pages.
    pub fn prune_before_split(mut self, horizon: Lsn) -> VersionedTree<S> {
        self.tree.set_split_prune(Some(SplitPrune {
            horizon,
            remove: |value, horizon| is_prunable(value, horizon),
        }));
        self
    }

    /// Writes may reuse blocks freed by records that started before `horizon` (see
    /// [`crate::btree::freelist`]): no reader of these pages may predate it.
    pub fn reuse_below(mut self, horizon: Lsn) -> VersionedTree<S> {
        self.reuse_below = Some(horizon);
        self
    }

    /// The B+tree underneath (for structural checks).
    pub fn tree(&self) -> &BTree<S> {
        &self.tree
    }

    /// The B+tree underneath, for writes that are not versioned (merges).
    pub fn tree_mut(&mut self) -> &mut BTree<S> {
        &mut self.tree
    }

    pub fn into_store(self) -> S {
        self.tree.into_store()
    }

    /// Stamps the writes that follow with the record start `lsn`.
    fn at(&mut self, lsn: Lsn) {
        self.tree.set_space(Space {
            stamp: lsn,
            reuse_below: self.reuse_below,
        });
    }

    /// Longest user key.
    pub fn max_key(&self) -> usize {
        self.tree.limits().max_key - SUFFIX
    }

    /// Longest payload kept in line for a key of `key_len` bytes; longer ones go out of
    /// line.
    pub fn max_payload(&self, key_len: usize) -> usize {
        self.tree
            .limits()
            .max_entry
            .saturating_sub(2 + key_len + SUFFIX + DELETED)
    }

    /// Every version of `key`, newest first, without reading out-of-line payloads,
    /// reading leaves at `snapshot`.
    pub fn heads(&self, key: &[u8], snapshot: Lsn) -> Result<Vec<VersionHead>> {
        let lower = version_key(key, Lsn::MAX);
        let upper = version_key(key, Lsn::INVALID);
        let cursor = self
            .tree
            .range(Bound::Included(&lower), Bound::Included(&upper), snapshot)?;
        let mut out = Vec::new();
        for item in cursor {
            let (user_key, head) = VersionHead::from_entry(item?)?;
            if user_key != key {
                continue; // only possible with keys that are not prefix-free
            }
            out.push(head);
        }
        Ok(out)
    }

    /// The payload of `head`, read by a reader at `snapshot`.
    pub fn payload(&self, head: &VersionHead, snapshot: Lsn) -> Result<Vec<u8>> {
        match &head.stored {
            Stored::Inline(p) => Ok(p.clone()),
            Stored::External(oref) => self.tree.read_overflow(oref, snapshot),
        }
    }

    /// Every version of `key` with its payload, newest first, reading leaves at
    /// `snapshot`.
    pub fn versions(&self, key: &[u8], snapshot: Lsn) -> Result<Vec<Version>> {
        self.heads(key, snapshot)?
            .into_iter()
            .map(|h| {
                Ok(Version {
                    payload: self.payload(&h, snapshot)?,
                    created: h.created,
                    deleted: h.deleted,
                })
            })
            .collect()
    }

    /// The payload of `key`'s version visible at `snapshot`.
    pub fn get(&self, key: &[u8], snapshot: Lsn) -> Result<Option<Vec<u8>>> {
        match self
            .heads(key, snapshot)?
            .into_iter()
            .find(|v| v.is_visible(snapshot))
        {
            Some(head) => Ok(Some(self.payload(&head, snapshot)?)),
            None => Ok(None),
        }
    }

    /// The rows visible at `snapshot` with user keys in `(lower, upper)`.
    pub fn scan(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        snapshot: Lsn,
    ) -> Result<Scan<'_, S>> {
        // Versions of k sort between k·00…00 and k·FF…FF, and k < k·anything.
        let lower_key = match lower {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(version_key(k, Lsn::INVALID)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let upper_key = match upper {
            Bound::Included(k) => Bound::Included(version_key(k, Lsn::INVALID)),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        let cursor = self.tree.range(
            lower_key.as_ref().map(Vec::as_slice),
            upper_key.as_ref().map(Vec::as_slice),
            snapshot,
        )?;
        Ok(Scan {
            tree: self,
            cursor,
            snapshot,
            peeked: None,
            newest: Lsn::INVALID,
        })
    }

    /// The newest version of `key`, checking that `lsn` is not older.
    fn newest(&self, key: &[u8], lsn: Lsn) -> Result<Option<VersionHead>> {
        let newest = self.heads(key, Lsn::MAX)?.into_iter().next();
        if let Some(v) = &newest {
            let last_change = if v.is_live() { v.created } else { v.deleted };
            if last_change > lsn {
                return Err(Error::LsnOutOfOrder {
                    lsn,
                    newest: last_change,
                });
            }
        }
        Ok(newest)
    }

    fn check_key(&self, key: &[u8]) -> Result<()> {
        if key.len() > self.max_key() {
            return Err(Error::KeyTooLarge {
                size: key.len(),
                max: self.max_key(),
            });
        }
        Ok(())
    }

    /// Inserts a new row version created at `lsn` (the record's start LSN).
    /// Fails with [`Error::DuplicateKey`] if the key has a live version.
    pub fn insert(&mut self, key: &[u8], payload: &[u8], lsn: Lsn) -> Result<ChangedPages> {
        self.check_key(key)?;
        self.at(lsn);
        if self.newest(key, lsn)?.is_some_and(|v| v.is_live()) {
            return Err(Error::DuplicateKey);
        }
        self.put(key, payload, lsn)
    }

    /// Writes the live version of `key` created at `lsn`.
    fn put(&mut self, key: &[u8], payload: &[u8], lsn: Lsn) -> Result<ChangedPages> {
        self.tree
            .insert_parts(&version_key(key, lsn), &Lsn::MAX.0.to_be_bytes(), payload)
    }

    /// Sets the `deleted` stamp of `key`'s version created at `created`.
    fn mark_deleted(&mut self, key: &[u8], created: Lsn, lsn: Lsn) -> Result<ChangedPages> {
        self.tree
            .replace_prefix(&version_key(key, created), &lsn.0.to_be_bytes())
    }

    /// Replaces the live version of `key` at `lsn`: the old version gets
    /// `deleted = lsn` and a new one is created at `lsn`. Fails with
    /// [`Error::KeyNotFound`] if there is no live version.
    pub fn update(&mut self, key: &[u8], payload: &[u8], lsn: Lsn) -> Result<ChangedPages> {
        self.check_key(key)?;
        self.at(lsn);
        let old = match self.newest(key, lsn)? {
            Some(v) if v.is_live() => v,
            _ => return Err(Error::KeyNotFound),
        };
        let mut changed = ChangedPages::default();
        if old.created != lsn {
            changed.extend(self.mark_deleted(key, old.created, lsn)?);
        }
        changed.extend(self.put(key, payload, lsn)?);
        Ok(changed)
    }

    /// Deletes the live version of `key` at `lsn`. Fails with
    /// [`Error::KeyNotFound`] if there is none.
    pub fn delete(&mut self, key: &[u8], lsn: Lsn) -> Result<ChangedPages> {
        self.at(lsn);
        let old = match self.newest(key, lsn)? {
            Some(v) if v.is_live() => v,
            _ => return Err(Error::KeyNotFound),
        };
        if old.created == lsn {
            // Created by this very record: nobody can ever see it.
            return Ok(self.tree.delete(&version_key(key, old.created))?.1);
        }
        self.mark_deleted(key, old.created, lsn)
    }

    /// Removes every version with `deleted < horizon` (freeing out-of-line payloads
    /// with the stamp `lsn`, the pruning record's start) and raises the `prune_lsn` of
    /// the leaves it changed to `horizon`.
    pub fn prune(&mut self, horizon: Lsn, lsn: Lsn) -> Result<ChangedPages> {
        self.at(lsn);
        self.tree
            .prune(horizon, |_, value| is_prunable(value, horizon))
    }

    /// [`VersionedTree::prune`] on the leaves among `blocks` only: what the
    /// commit's serial step does to the leaves its record already changes.
    pub fn prune_leaves(
        &mut self,
        blocks: impl IntoIterator<Item = BlockNo>,
        horizon: Lsn,
        lsn: Lsn,
    ) -> Result<ChangedPages> {
        self.at(lsn);
        self.tree
            .prune_leaves(blocks, horizon, |_, value| is_prunable(value, horizon))
    }

    /// Merges under-full nodes among `blocks` (see [`BTree::rebalance`]), freeing
    /// blocks with the stamp `lsn`; the pages changed go to `changed` as it goes.
    pub fn rebalance(
        &mut self,
        blocks: impl IntoIterator<Item = BlockNo>,
        lsn: Lsn,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        self.at(lsn);
        self.tree.rebalance(blocks, changed)
    }
}

/// Whether the version stored as tree value `value` is invisible to every
/// snapshot `>= horizon`: `deleted < horizon` (a version is visible at `S`
/// only while `S <= deleted`).
fn is_prunable(value: &[u8], horizon: Lsn) -> Result<bool> {
    let (deleted, _) = split_value(value)?;
    Ok(deleted < horizon)
}

/// Rows visible at a snapshot, in key order: `(user key, payload)`.
pub struct Scan<'a, S> {
    tree: &'a VersionedTree<S>,
    cursor: Cursor<'a, S>,
    snapshot: Lsn,
    /// The first version of the next key, read while finishing a key.
    peeked: Option<(Vec<u8>, VersionHead)>,
    /// The newest `created` or `deleted` among the versions read so far.
    newest: Lsn,
}

impl<S: PageStore> Scan<'_, S> {
    /// The newest change (a `created` or `deleted` LSN) among every version the scan has
    /// read so far, visible or not — what a read of the latest state depended on
    /// (`Lsn::INVALID` before any).
    pub fn newest_change(&self) -> Lsn {
        self.newest
    }

    /// Calls `f(user key, payload)` for each row with a version visible at the snapshot, in
    /// key order, on the entries in place: no key or in-line payload is copied (the
    /// iterator copies both for every version). Stops when `f` returns false — the rest
    /// of that row's versions unread, so resume after its key — or at the end of the
    /// range; returns whether the range ended. Not to be mixed with [`Iterator::next`].
    pub fn visit(&mut self, mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>) -> Result<bool> {
        debug_assert!(self.peeked.is_none(), "visit after next");
        let tree = self.tree;
        let snapshot = self.snapshot;
        // The user key whose versions are being read, and whether one was visible.
        let mut current: Vec<u8> = Vec::new();
        let mut started = false;
        let mut found = false;
        while let Some(entry) = self.cursor.next_ref()? {
            let (user_key, created) = split_key(entry.key)?;
            let (deleted, inline) = split_value(entry.value)?;
            if !started || current.as_slice() != user_key {
                current.clear();
                current.extend_from_slice(user_key);
                started = true;
                found = false;
            }
            let change = if deleted == Lsn::MAX {
                created
            } else {
                deleted
            };
            self.newest = self.newest.max(change);
            if found || !is_visible(created, deleted, snapshot) {
                continue;
            }
            found = true;
            let more = match entry.overflow {
                None => f(user_key, inline)?,
                Some(oref) if inline.is_empty() => {
                    let payload = tree.tree.read_overflow(&oref, snapshot)?;
                    f(user_key, &payload)?
                }
                Some(_) => {
                    return Err(Error::decode(
                        "version",
                        "payload both in line and out of line",
                    ));
                }
            };
            if !more {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn next_row(&mut self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let mut current: Option<Vec<u8>> = None;
        let mut found: Option<VersionHead> = None;
        loop {
            let item = match self.peeked.take() {
                Some(item) => Some(item),
                None => match self.cursor.next().transpose()? {
                    Some(entry) => Some(VersionHead::from_entry(entry)?),
                    None => None,
                },
            };
            let Some((user_key, head)) = item else {
                return self.finish(current, found);
            };
            if current.as_deref() != Some(user_key.as_slice()) {
                if current.is_some() && found.is_some() {
                    self.peeked = Some((user_key, head));
                    return self.finish(current, found);
                }
                current = Some(user_key);
            }
            let change = if head.is_live() {
                head.created
            } else {
                head.deleted
            };
            self.newest = self.newest.max(change);
            if found.is_none() && head.is_visible(self.snapshot) {
                found = Some(head);
            }
        }
    }

    /// The row of `key` whose visible version is `head`, its payload read now.
    fn finish(
        &self,
        key: Option<Vec<u8>>,
        head: Option<VersionHead>,
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        match (key, head) {
            (Some(key), Some(head)) => Ok(Some((key, self.tree.payload(&head, self.snapshot)?))),
            _ => Ok(None),
        }
    }
}

impl<S: PageStore> Iterator for Scan<'_, S> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btree::MemPageStore;

    fn tree() -> VersionedTree<MemPageStore> {
        VersionedTree::create(MemPageStore::new(), Limits::for_fill(1024))
            .unwrap()
            .0
    }

    #[test]
    fn visibility_rule() {
        assert!(
            !is_visible(Lsn(10), Lsn::MAX, Lsn(10)),
            "own record not yet ended"
        );
        assert!(is_visible(Lsn(10), Lsn::MAX, Lsn(11)));
        assert!(
            is_visible(Lsn(10), Lsn(20), Lsn(20)),
            "deleting record not yet ended"
        );
        assert!(!is_visible(Lsn(10), Lsn(20), Lsn(21)));
    }

    #[test]
    fn versions_by_snapshot() {
        let mut t = tree();
        t.insert(b"k", b"v1", Lsn(10)).unwrap();
        t.update(b"k", b"v2", Lsn(20)).unwrap();
        t.delete(b"k", Lsn(30)).unwrap();
        t.insert(b"k", b"v3", Lsn(40)).unwrap();
        let at = |s| t.get(b"k", Lsn(s)).unwrap();
        assert_eq!(at(10), None);
        assert_eq!(at(15), Some(b"v1".to_vec()));
        assert_eq!(at(20), Some(b"v1".to_vec()));
        assert_eq!(at(25), Some(b"v2".to_vec()));
        assert_eq!(at(35), None);
        assert_eq!(at(45), Some(b"v3".to_vec()));
        assert_eq!(t.versions(b"k", Lsn::MAX).unwrap().len(), 3);
        assert_eq!(t.insert(b"k", b"x", Lsn(50)), Err(Error::DuplicateKey));
        assert_eq!(t.delete(b"nope", Lsn(50)), Err(Error::KeyNotFound));
        assert!(matches!(
            t.update(b"k", b"x", Lsn(35)),
            Err(Error::LsnOutOfOrder { .. })
        ));
    }

    #[test]
    fn same_record_writes_collapse() {
        let mut t = tree();
        t.insert(b"k", b"a", Lsn(10)).unwrap();
        t.update(b"k", b"b", Lsn(10)).unwrap();
        assert_eq!(t.versions(b"k", Lsn::MAX).unwrap().len(), 1);
        t.delete(b"k", Lsn(10)).unwrap();
        assert!(t.versions(b"k", Lsn::MAX).unwrap().is_empty());
    }

    #[test]
    fn scan_groups_versions() {
        let mut t = tree();
        for (i, k) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            t.insert(*k, b"1", Lsn(10 + i as u64)).unwrap();
        }
        t.update(b"b", b"2", Lsn(20)).unwrap();
        t.delete(b"c", Lsn(21)).unwrap();
        let rows = |lo: Bound<&[u8]>, hi: Bound<&[u8]>, s| {
            t.scan(lo, hi, Lsn(s))
                .unwrap()
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
        };
        let all = rows(Bound::Unbounded, Bound::Unbounded, 30);
        assert_eq!(
            all,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"2".to_vec()),
                (b"d".to_vec(), b"1".to_vec())
            ]
        );
        let old = rows(Bound::Excluded(b"a"), Bound::Included(b"c"), 21);
        assert_eq!(
            old,
            vec![
                (b"b".to_vec(), b"2".to_vec()),
                (b"c".to_vec(), b"1".to_vec())
            ]
        );
    }

    /// `visit` (stopped every few rows and resumed after the last key, as the engine's
    /// batched scan does) yields exactly what the iterator does, at every snapshot, with
    /// several versions per key, deleted keys and out-of-line payloads.
    #[test]
    fn visit_matches_the_iterator() {
        let mut t = tree();
        let mut lsn = 10;
        let mut x: u64 = 7;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let mut live = std::collections::BTreeSet::new();
        for _ in 0..600 {
            let k = format!("k{:03}", next() % 150).into_bytes();
            let len = if next() % 20 == 0 {
                3000
            } else {
                1 + next() as usize % 40
            };
            let payload = vec![b'a' + (lsn % 26) as u8; len];
            if live.contains(&k) {
                if next() % 3 == 0 {
                    t.delete(&k, Lsn(lsn)).unwrap();
                    live.remove(&k);
                } else {
                    t.update(&k, &payload, Lsn(lsn)).unwrap();
                }
            } else {
                t.insert(&k, &payload, Lsn(lsn)).unwrap();
                live.insert(k);
            }
            lsn += 10;
        }
        for snapshot in (5..lsn + 10).step_by(45).map(Lsn) {
            let mut expected = t
                .scan(Bound::Unbounded, Bound::Unbounded, snapshot)
                .unwrap();
            let rows: Vec<_> = expected.by_ref().map(|r| r.unwrap()).collect();
            for batch in [1, 7, 1000] {
                let mut got = Vec::new();
                let mut lower: Option<Vec<u8>> = None;
                loop {
                    let lo = lower.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
                    let mut scan = t.scan(lo, Bound::Unbounded, snapshot).unwrap();
                    let mut n = 0;
                    let ended = scan
                        .visit(|k, p| {
                            got.push((k.to_vec(), p.to_vec()));
                            n += 1;
                            Ok(n < batch)
                        })
                        .unwrap();
                    if ended {
                        if batch == 1000 {
                            assert_eq!(scan.newest_change(), expected.newest_change());
                        }
                        break;
                    }
                    lower = got.last().map(|(k, _)| k.clone());
                }
                assert_eq!(got, rows, "snapshot {snapshot:?}, batches of {batch}");
            }
        }
    }

    #[test]
    fn prune_removes_dead_versions_and_refuses_old_snapshots() {
        let mut t = tree();
        t.insert(b"k", b"v1", Lsn(10)).unwrap();
        t.update(b"k", b"v2", Lsn(20)).unwrap();
        t.insert(b"j", b"x", Lsn(30)).unwrap();
        let changed = t.prune(Lsn(25), Lsn(40)).unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(t.versions(b"k", Lsn::MAX).unwrap().len(), 1);
        assert_eq!(t.get(b"k", Lsn(25)).unwrap(), Some(b"v2".to_vec()));
        assert!(matches!(
            t.get(b"k", Lsn(15)),
            Err(Error::NeedsOldSnapshot {
                prune_lsn: Lsn(25),
                ..
            })
        ));
        // Nothing to prune: no page changes, prune_lsn unchanged.
        assert!(t.prune(Lsn(26), Lsn(40)).unwrap().is_empty());
        assert!(t.get(b"k", Lsn(25)).is_ok());
    }

    #[test]
    fn prune_leaves_keeps_what_the_horizon_snapshot_sees() {
        let mut t = tree();
        t.insert(b"k", b"v1", Lsn(10)).unwrap();
        t.update(b"k", b"v2", Lsn(20)).unwrap();
        let changed = t.update(b"k", b"v3", Lsn(30)).unwrap();
        let leaves: Vec<_> = changed.iter().map(|p| p.block).collect();
        // v2 was deleted at 30: the snapshot 30 still sees it, so it stays.
        assert_eq!(
            t.prune_leaves(leaves.clone(), Lsn(30), Lsn(40))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(t.versions(b"k", Lsn::MAX).unwrap().len(), 2);
        assert_eq!(t.get(b"k", Lsn(30)).unwrap(), Some(b"v2".to_vec()));
        assert!(matches!(
            t.get(b"k", Lsn(29)),
            Err(Error::NeedsOldSnapshot { .. })
        ));
        assert_eq!(
            t.prune_leaves(leaves.clone(), Lsn(31), Lsn(40))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(t.get(b"k", Lsn(31)).unwrap(), Some(b"v3".to_vec()));
        // Nothing left to remove: the leaf is not rewritten.
        assert!(t.prune_leaves(leaves, Lsn(40), Lsn(40)).unwrap().is_empty());
    }

    #[test]
    fn a_full_leaf_prunes_before_it_splits() {
        let update_many = |prune: bool| {
            let mut t = tree();
            t.insert(b"k", &[1; 40], Lsn(10)).unwrap();
            for i in 2..100u64 {
                let lsn = Lsn(i * 10);
                if prune {
                    t = t.prune_before_split(lsn);
                }
                t.update(b"k", &[i as u8; 40], lsn).unwrap();
            }
            assert_eq!(t.get(b"k", Lsn(991)).unwrap(), Some(vec![99; 40]));
            t.tree().store().block_count()
        };
        assert!(update_many(false) > 3, "dead versions fill leaves");
        assert_eq!(update_many(true), 1, "the root leaf never split");
    }

    #[test]
    fn size_limits_and_out_of_line_payloads() {
        let mut t = tree();
        let max = t.max_payload(1);
        t.insert(b"k", &vec![1; max], Lsn(10)).unwrap();
        t.insert(b"j", &vec![2; max + 1], Lsn(10)).unwrap();
        let heads = |t: &VersionedTree<MemPageStore>, k: &[u8]| t.heads(k, Lsn::MAX).unwrap();
        assert!(!heads(&t, b"k")[0].is_external());
        assert!(heads(&t, b"j")[0].is_external());
        assert_eq!(t.get(b"j", Lsn(11)).unwrap(), Some(vec![2; max + 1]));
        assert!(matches!(
            t.insert(&vec![0; t.max_key() + 1], b"", Lsn(10)),
            Err(Error::KeyTooLarge { .. })
        ));
        // Deleting marks the version in line; its pages stay until it is pruned.
        let big = vec![3; 5000];
        t.update(b"j", &big, Lsn(20)).unwrap();
        let changed = t.delete(b"j", Lsn(30)).unwrap();
        assert_eq!(changed.len(), 1, "only the leaf: {changed:?}");
        assert_eq!(t.get(b"j", Lsn(25)).unwrap(), Some(big));
        assert_eq!(t.get(b"j", Lsn(15)).unwrap(), Some(vec![2; max + 1]));
        let stats = t.tree().check().unwrap();
        assert_eq!((stats.external, stats.free), (2, 0));
        t.prune(Lsn(31), Lsn(40)).unwrap();
        let stats = t.tree().check().unwrap();
        assert_eq!(stats.external, 0);
        let blocks = t.tree().store().block_count() as usize;
        assert_eq!(
            stats.free,
            blocks - stats.pages - stats.free_list_pages,
            "{stats:?}"
        );
        assert!(
            stats.free >= 2 * 3,
            "both payloads' pages are free: {stats:?}"
        );
    }
}
