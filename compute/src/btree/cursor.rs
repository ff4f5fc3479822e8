//! [`Cursor`]: a forward range scan over the leaf level.
//!
//! A cursor descends once to the leaf holding its lower bound, then walks
//! entries in key order, moving to the right sibling when a leaf is
//! exhausted:
//!
//! ```text
//!   seek(lower) ─▶ [leaf A] ─right-link─▶ [leaf B] ─right-link─▶ … stop at upper
//! ```
//!
//! It holds one leaf at a time (an `Arc<Page>` snapshot of it), so a writer
//! may publish new versions of that leaf meanwhile. Stepping right is
//! checked: a dead sibling (merged into its own right sibling) is stepped
//! over along its right-link; the live one reached must be a leaf whose low
//! key equals the high key of the leaf just left. If it is not (the leaf
//! split or merged since), the cursor re-seeks from the root at that high
//! key. Every leaf it enters is checked against the cursor's snapshot
//! ([`Error::NeedsOldSnapshot`] when the leaf was pruned past it).
//!
//! The cursor yields `Result<`[`Entry`]`>` — the key, the in-line value and
//! the reference to an out-of-line rest, not read
//! ([`super::BTree::resolve`] reads it) — and stops after the first error.

use std::ops::Bound;
use std::sync::Arc;

use proto::page::Page;
use proto::{BlockNo, Lsn};

use super::overflow::OverflowRef;
use super::{BTree, Node, PageStore, check_prune};
use crate::error::{Error, Result};

/// A leaf entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Vec<u8>,
    /// The value, or for an out-of-line value its in-line prefix.
    pub value: Vec<u8>,
    /// Where the rest of an out-of-line value is.
    pub overflow: Option<OverflowRef>,
}

impl Entry {
    pub(super) fn read<P: std::ops::Deref<Target = Page>>(
        node: &Node<P>,
        i: usize,
    ) -> Result<Entry> {
        let (value, overflow) = node.value_parts(i)?;
        Ok(Entry {
            key: node.key(i)?.to_vec(),
            value: value.to_vec(),
            overflow,
        })
    }
}

/// A forward cursor over a key range of a [`BTree`].
pub struct Cursor<'a, S> {
    tree: &'a BTree<S>,
    snapshot: Lsn,
    upper: Bound<Vec<u8>>,
    /// The current leaf; `None` once the scan is over.
    leaf: Option<(BlockNo, Arc<Page>)>,
    /// Next entry to yield in the current leaf.
    pos: usize,
    /// Re-seeks so far (bounded, so a corrupt level cannot loop forever).
    reseeks: u32,
}

impl<'a, S: PageStore> Cursor<'a, S> {
    pub(super) fn new(
        tree: &'a BTree<S>,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        snapshot: Lsn,
    ) -> Result<Cursor<'a, S>> {
        let mut cursor = Cursor {
            tree,
            snapshot,
            upper: upper.map(<[u8]>::to_vec),
            leaf: None,
            pos: 0,
            reseeks: 0,
        };
        cursor.seek(lower)?;
        Ok(cursor)
    }

    /// Positions the cursor at the first entry within `lower`.
    fn seek(&mut self, lower: Bound<&[u8]>) -> Result<()> {
        let start: &[u8] = match lower {
            Bound::Included(k) | Bound::Excluded(k) => k,
            Bound::Unbounded => &[],
        };
        let (block, page) = self.tree.descend(start, 0)?;
        let node = Node::open(block, &*page)?;
        check_prune(&node, self.snapshot)?;
        self.pos = match (lower, node.search(start)?) {
            (Bound::Excluded(_), Ok(i)) => i + 1,
            (_, Ok(i) | Err(i)) => i,
        };
        self.leaf = Some((block, page));
        Ok(())
    }

    /// Whether `key` is within the upper bound.
    fn below_upper(&self, key: &[u8]) -> bool {
        match &self.upper {
            Bound::Included(u) => key <= u.as_slice(),
            Bound::Excluded(u) => key < u.as_slice(),
            Bound::Unbounded => true,
        }
    }

    /// Moves to the next entry within the range: returns its position in the current
    /// leaf (`self.leaf`), or `None` at the end.
    fn advance(&mut self) -> Result<Option<usize>> {
        loop {
            let Some((block, page)) = &self.leaf else {
                return Ok(None);
            };
            let block = *block;
            let node = Node::open(block, &**page)?;
            if self.pos < node.len() {
                let key = node.key(self.pos)?;
                if !self.below_upper(key) {
                    self.leaf = None;
                    return Ok(None);
                }
                self.pos += 1;
                return Ok(Some(self.pos - 1));
            }
            let high = match node.high_key()? {
                Some(high) if self.below_upper(high) => high.to_vec(),
                _ => {
                    self.leaf = None;
                    return Ok(None);
                }
            };
            let right = node
                .right_link()
                .ok_or_else(|| Error::corrupt(block, "high key without a right-link"))?;
            let (right, right_page) = self.live_sibling(right)?;
            let sibling = Node::open(right, &*right_page)?;
            if sibling.is_dead() || sibling.level() != 0 || sibling.low_key()? != high.as_slice() {
                self.reseeks += 1;
                if self.reseeks > super::MAX_RESTARTS as u32 {
                    return Err(Error::corrupt(
                        right,
                        "right sibling's low key keeps mismatching",
                    ));
                }
                tracing::debug!(
                    block,
                    right,
                    "right sibling mismatch: re-seek from the root"
                );
                self.seek(Bound::Included(&high))?;
                continue;
            }
            check_prune(&sibling, self.snapshot)?;
            self.leaf = Some((right, right_page.clone()));
            self.pos = 0;
        }
    }

    fn next_entry(&mut self) -> Result<Option<Entry>> {
        let Some(i) = self.advance()? else {
            return Ok(None);
        };
        let (block, page) = self.leaf.as_ref().expect("advance keeps the entry's leaf");
        Ok(Some(Entry::read(&Node::open(*block, &**page)?, i)?))
    }

    /// The next entry, borrowed from the current leaf instead of copied (what a scan
    /// that decodes rows in place reads); like [`Iterator::next`], it ends the cursor
    /// after an error.
    pub fn next_ref(&mut self) -> Result<Option<EntryRef<'_>>> {
        let read = |cursor: &mut Self| -> Result<Option<(usize, usize, usize, usize, _)>> {
            let Some(i) = cursor.advance()? else {
                return Ok(None);
            };
            let (block, page) = cursor
                .leaf
                .as_ref()
                .expect("advance keeps the entry's leaf");
            let node = Node::open(*block, &**page)?;
            let base = page.as_ptr() as usize;
            let key = node.key(i)?;
            let (value, overflow) = node.value_parts(i)?;
            Ok(Some((
                key.as_ptr() as usize - base,
                key.len(),
                value.as_ptr() as usize - base,
                value.len(),
                overflow,
            )))
        };
        match read(self) {
            Ok(Some((k, klen, v, vlen, overflow))) => {
                let (_, page) = self.leaf.as_ref().expect("advance keeps the entry's leaf");
                Ok(Some(EntryRef {
                    key: &page[k..k + klen],
                    value: &page[v..v + vlen],
                    overflow,
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.leaf = None;
                Err(e)
            }
        }
    }
}

/// A leaf entry as [`Cursor::next_ref`] lends it: slices of the cursor's current leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub key: &'a [u8],
    /// The value, or for an out-of-line value its in-line prefix.
    pub value: &'a [u8],
    /// Where the rest of an out-of-line value is.
    pub overflow: Option<OverflowRef>,
}

impl<S: PageStore> Cursor<'_, S> {
    /// `block`, or — if it is a dead leaf — the first live page along the right-links
    /// from it (a dead page without a right-link is returned as is: re-seek).
    fn live_sibling(&self, mut block: BlockNo) -> Result<(BlockNo, Arc<Page>)> {
        for _ in 0..=self.tree.store.block_count() {
            let page = self.tree.store.read(block)?;
            let node = Node::open(block, &*page)?;
            match node.right_link() {
                Some(right) if node.is_dead() && node.is_leaf() => block = right,
                _ => return Ok((block, page)),
            }
        }
        Err(Error::corrupt(block, "dead leaves form a cycle"))
    }
}

impl<S: PageStore> Iterator for Cursor<'_, S> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_entry() {
            Ok(item) => item.map(Ok),
            Err(e) => {
                self.leaf = None;
                Some(Err(e))
            }
        }
    }
}
