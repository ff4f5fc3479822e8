//! Bulk loading: a whole tree built bottom-up from sorted entries ([`BTree::bulk_load`]).
//!
//! Inserting sorted keys one at a time descends from the root for every key and copies the
//! rightmost leaf (8 KiB) on every insert. A bulk load instead packs the entries into
//! leaves left to right, each filled up to [`super::Limits::fill`] (as sequential inserts
//! fill them, see [`super::split`]), then packs the leaves' low keys into the level above,
//! and so on until one node is left, which becomes the root at block 0:
//!
//! ```text
//!   entries (sorted) ─▶ [e1 e2 e3] ─▶ [e4 e5 e6] ─▶ [e7 e8]     leaves, right-linked
//!                            ▲             ▲            ▲
//!                      [ "" → L1 | e4 → L2 | e7 → L3 ]           block 0, level 1
//! ```
//!
//! The result is an ordinary tree, valid for [`BTree::check`]: each node's fences are
//! `[first key, next node's first key)` (the leftmost's low key is empty, the rightmost's
//! high key +∞), an internal node's first entry is its low key, leaves hold
//! [`node::leaf_entry`]s, and values too large for an entry go out of line
//! ([`super::overflow`]) exactly as [`BTree::insert_parts`] would put them. A leaf is
//! closed when its entries, its low key and a high key equal to the *next* entry's key
//! would pass the fill (one entry of look-ahead), so the high key always fits.
//!
//! The store must be empty; pages are written once each, so the load is linear in the
//! data. It is meant for relations nothing links to yet (see `engine::build`).

use proto::{BlockNo, Lsn};

use super::node::{self, entry_parts};
use super::{BTree, ChangedPages, PageStore, ROOT};
use crate::error::{Error, Result};
use crate::slotted_page::SLOT_SIZE;

/// A node being packed: its low key and encoded entries, and the bytes they take.
struct Packing {
    low: Vec<u8>,
    entries: Vec<Vec<u8>>,
    used: usize,
}

impl Packing {
    fn new(low: Vec<u8>) -> Packing {
        // The low fence's slot and bytes, and the high fence's slot.
        let used = 2 * SLOT_SIZE + low.len();
        Packing {
            low,
            entries: Vec::new(),
            used,
        }
    }
}

/// Packs `entries` (encoded, keys strictly increasing) of one level into nodes: returns
/// each node's low key and entries, the first node's low key being empty.
fn pack(entries: impl Iterator<Item = Result<Vec<u8>>>, fill: usize) -> Result<Vec<Packing>> {
    let mut nodes = Vec::new();
    let mut entries = entries.peekable();
    let mut current = Packing::new(Vec::new());
    while let Some(entry) = entries.next() {
        let entry = entry?;
        // If this entry ends the node, the next one's key is its high fence.
        let high_len = match entries.peek() {
            Some(Ok(next)) => entry_parts(0, next)?.0.len(),
            _ => 0,
        };
        // The first entry of a node always goes in (Limits guarantee it fits); when
        // another one was accepted, there was room for this one's key as the high fence.
        if !current.entries.is_empty() && current.used + SLOT_SIZE + entry.len() + high_len > fill {
            let (key, _) = entry_parts(0, &entry)?;
            let next = Packing::new(key.to_vec());
            nodes.push(std::mem::replace(&mut current, next));
        }
        current.used += SLOT_SIZE + entry.len();
        current.entries.push(entry);
    }
    nodes.push(current);
    Ok(nodes)
}

impl<S: PageStore> BTree<S> {
    /// Builds a tree in the empty `store` from `entries`: `(key, inline, rest)` with keys
    /// strictly increasing, each stored as [`BTree::insert_parts`] stores it (in one
    /// entry, or `inline` in line and the rest out of line). Fails with
    /// [`Error::DuplicateKey`] on a key not greater than the one before it, and with
    /// [`Error::KeyTooLarge`] / [`Error::RowTooLarge`] as an insert would.
    pub fn bulk_load<I>(store: S, limits: super::Limits, entries: I) -> Result<BTree<S>>
    where
        I: IntoIterator<Item = (Vec<u8>, Vec<u8>, Vec<u8>)>,
    {
        let (mut tree, _) = BTree::create(store, limits)?;
        let mut changed = ChangedPages::default();
        let mut last: Option<Vec<u8>> = None;
        let fill = tree.limits.fill;
        let encoded = entries.into_iter().map(|(key, inline, rest)| {
            if last.as_ref().is_some_and(|l| *l >= key) {
                return Err(Error::DuplicateKey);
            }
            let entry = tree.leaf_entry_for(&key, &inline, &rest, &mut changed)?;
            last = Some(key);
            Ok(entry)
        });
        let mut nodes = pack(encoded, fill)?;
        let mut level: u16 = 0;
        loop {
            if nodes.len() == 1 {
                let root = nodes.pop().expect("one node");
                let page = node::build(ROOT, level, b"", None, None, Lsn::INVALID, &root.entries)?;
                tree.store.write(ROOT, page)?;
                return Ok(tree);
            }
            let blocks: Vec<BlockNo> = (0..nodes.len())
                .map(|_| tree.store.allocate())
                .collect::<Result<_>>()?;
            let mut parents = Vec::with_capacity(nodes.len());
            for (i, n) in nodes.iter().enumerate() {
                let high = nodes.get(i + 1).map(|next| next.low.as_slice());
                let right = blocks.get(i + 1).copied();
                let page = node::build(
                    blocks[i],
                    level,
                    &n.low,
                    high,
                    right,
                    Lsn::INVALID,
                    &n.entries,
                )?;
                tree.store.write(blocks[i], page)?;
                parents.push(node::internal_entry(&n.low, blocks[i]));
            }
            nodes = pack(parents.into_iter().map(Ok), fill)?;
            level += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ops::Bound;

    use proptest::prelude::*;
    use proto::Lsn;

    use super::super::{BTree, Limits, MemPageStore, PageStore};
    use crate::error::Error;
    use crate::mvcc::VersionedTree;

    type Tree = BTree<MemPageStore>;

    /// Every `(key, whole value)` of `tree`, in scan order.
    fn contents(tree: &Tree) -> Vec<(Vec<u8>, Vec<u8>)> {
        tree.range(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
            .expect("seek")
            .map(|e| {
                let e = e.expect("scan");
                let v = tree.resolve(&e, Lsn::MAX).expect("resolve");
                (e.key, v)
            })
            .collect()
    }

    fn one_by_one(limits: Limits, entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> Tree {
        let (mut tree, _) = BTree::create(MemPageStore::new(), limits).expect("create");
        for (k, v) in entries {
            tree.insert(k, v).expect("insert");
        }
        tree
    }

    fn bulk(limits: Limits, entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> Tree {
        let input = entries
            .iter()
            .map(|(k, v)| (k.clone(), Vec::new(), v.clone()));
        BTree::bulk_load(MemPageStore::new(), limits, input).expect("bulk load")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(48)))]

        /// A bulk load holds exactly what inserting the same entries one by one holds, is
        /// a valid tree (fences, links, levels, out-of-line values, every block reached
        /// once), and uses no more leaves.
        #[test]
        fn bulk_load_equals_inserts(
            entries in proptest::collection::btree_map(
                proptest::collection::vec(any::<u8>(), 0..40),
                proptest::collection::vec(any::<u8>(), 0..700),
                0..400,
            ),
            fill in prop_oneof![Just(256usize), Just(512), Just(2048), Just(8180)],
        ) {
            let limits = Limits::for_fill(fill);
            // Keys at most max_key long (the insert path refuses longer ones too).
            let entries: BTreeMap<Vec<u8>, Vec<u8>> = entries
                .into_iter()
                .map(|(mut k, v)| { k.truncate(limits.max_key); (k, v) })
                .collect();
            let loaded = bulk(limits, &entries);
            let inserted = one_by_one(limits, &entries);
            let want: Vec<(Vec<u8>, Vec<u8>)> = entries.into_iter().collect();
            prop_assert_eq!(&contents(&loaded), &want);
            prop_assert_eq!(&contents(&inserted), &want);
            let (a, b) = (loaded.check().expect("bulk tree"), inserted.check().expect("tree"));
            prop_assert_eq!(a.entries, b.entries);
            prop_assert_eq!(a.external, b.external);
            prop_assert!(a.leaves <= b.leaves, "bulk {a:?} vs inserts {b:?}");
            for (k, v) in &want {
                prop_assert_eq!(loaded.get(k, Lsn::MAX).expect("get"), Some(v.clone()));
            }
        }
    }

    #[test]
    fn a_bulk_loaded_tree_takes_later_writes() {
        let limits = Limits::for_fill(512);
        let entries: BTreeMap<Vec<u8>, Vec<u8>> = (0..2000u32)
            .map(|i| (format!("k{:06}", i * 2).into_bytes(), vec![i as u8; 30]))
            .collect();
        let mut tree = bulk(limits, &entries);
        assert!(tree.check().expect("check").height >= 3);
        for i in 0..2000u32 {
            tree.insert(format!("k{:06}", i * 2 + 1).as_bytes(), b"odd")
                .expect("insert");
        }
        assert!(tree.delete(b"k000000").expect("delete").0);
        let stats = tree.check().expect("check");
        assert_eq!(stats.entries, 3999);
    }

    #[test]
    fn repeated_or_unsorted_keys_fail() {
        let limits = Limits::for_fill(512);
        for keys in [vec!["a", "b", "b"], vec!["a", "c", "b"]] {
            let input = keys
                .into_iter()
                .map(|k| (k.as_bytes().to_vec(), Vec::new(), Vec::new()));
            let r = BTree::bulk_load(MemPageStore::new(), limits, input);
            assert!(matches!(r, Err(Error::DuplicateKey)), "{:?}", r.err());
        }
        let long = vec![(vec![b'x'; 600], Vec::new(), Vec::new())];
        let r = BTree::bulk_load(MemPageStore::new(), Limits::FULL_PAGE, long);
        assert!(matches!(r, Err(Error::KeyTooLarge { .. })), "{:?}", r.err());
    }

    #[test]
    fn an_empty_load_is_an_empty_root() {
        let tree =
            BTree::bulk_load(MemPageStore::new(), Limits::FULL_PAGE, Vec::new()).expect("load");
        assert_eq!(tree.check().expect("check").entries, 0);
        assert_eq!(tree.store().block_count(), 1);
    }

    /// The versioned load writes the versions `insert` would: same rows at any snapshot
    /// after the stamp, none before it.
    #[test]
    fn versioned_bulk_load_equals_inserts() {
        let limits = Limits::for_fill(1024);
        let stamp = Lsn(1);
        let rows: Vec<(Vec<u8>, Vec<u8>)> = (0..3000u32)
            .map(|i| {
                let len = if i % 97 == 0 { 3000 } else { (i % 50) as usize };
                (i.to_be_bytes().to_vec(), vec![(i % 251) as u8; len])
            })
            .collect();
        let loaded =
            VersionedTree::bulk_load(MemPageStore::new(), limits, rows.clone(), stamp).unwrap();
        let (mut inserted, _) = VersionedTree::create(MemPageStore::new(), limits).unwrap();
        for (k, v) in &rows {
            inserted.insert(k, v, stamp).unwrap();
        }
        let scan = |t: &VersionedTree<MemPageStore>, at: Lsn| -> Vec<(Vec<u8>, Vec<u8>)> {
            t.scan(Bound::Unbounded, Bound::Unbounded, at)
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(scan(&loaded, Lsn(2)), rows);
        assert_eq!(scan(&inserted, Lsn(2)), rows);
        assert!(scan(&loaded, Lsn(1)).is_empty());
        assert_eq!(contents(loaded.tree()), contents(inserted.tree()));
        loaded.tree().check().unwrap();
        let dup = vec![(b"a".to_vec(), Vec::new()), (b"a".to_vec(), Vec::new())];
        assert!(matches!(
            VersionedTree::bulk_load(MemPageStore::new(), limits, dup, stamp),
            Err(Error::DuplicateKey)
        ));
    }
}
