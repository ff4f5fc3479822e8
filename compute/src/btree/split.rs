//! Node splits, in B-link publish order.
//!
//! When an entry does not fit in its node, the node's entries (with the new
//! one) are cut at a split point into a left half, which stays in the old
//! block, and a right half, which goes to a newly allocated block:
//!
//! ```text
//! before:   [low … high) ─right─▶ R
//! after:    [low … sep) ─right─▶ [sep … high) ─right─▶ R
//!            old block             new block
//! ```
//!
//! Publish order: (1) the new right page, (2) the old page, now ending at
//! `sep` and linking to the new one, (3) the parent, which gains
//! `(sep → new block)` — possibly splitting in turn. A reader that sees the
//! old page before (2) finds all keys in it; after (2) but before (3) it
//! reaches `[sep, high)` through the right-link. The new page inherits the
//! old page's `prune_lsn`, so an old snapshot is still refused for the keys
//! that moved.
//!
//! The root (block 0) never moves: a root split writes both halves to new
//! blocks, then rewrites block 0 as an internal node one level up with two
//! entries, `("" → left, sep → right)`, keeping the root's free-list words.
//! New blocks come from the relation's free list when it has reusable ones
//! ([`super::freelist`]).
//!
//! The split point balances bytes, except when the new entry is appended at
//! the right end of the rightmost node (ascending inserts): then the left
//! half keeps as much as fits, so sequential loads fill pages instead of
//! leaving them half empty. [`super::Limits`] guarantees a balanced split
//! always fits.

use proto::BlockNo;
use proto::page::Page;

use super::node::{self, Node, entry_parts, internal_entry};
use super::{BTree, ChangedPages, PageStore, ROOT};
use crate::error::{Error, Result};
use crate::slotted_page::{SLOT_SIZE, SlottedPage};

impl<S: PageStore> BTree<S> {
    /// Inserts (or replaces) the leaf `entry` into the full `leaf` by
    /// splitting it.
    pub(super) fn split_insert(
        &mut self,
        leaf: &Node<&Page>,
        entry: &[u8],
        changed: &mut ChangedPages,
    ) -> Result<()> {
        let (key, _) = entry_parts(leaf.block(), entry)?;
        let mut entries = leaf.entries()?;
        let append = match leaf.search(key)? {
            Ok(i) => {
                entries[i] = entry.to_vec();
                false
            }
            Err(i) => {
                entries.insert(i, entry.to_vec());
                i + 1 == entries.len()
            }
        };
        self.split_node(leaf, entries, append, changed)
    }

    /// Replaces `node` by two nodes holding `entries`, and links the new one
    /// into the parent level.
    fn split_node(
        &mut self,
        node: &Node<&Page>,
        entries: Vec<Vec<u8>>,
        append: bool,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        let block = node.block();
        let level = node.level();
        let low = node.low_key()?;
        let high = node.high_key()?;
        let prune = node.prune_lsn();
        let m = self.split_point(block, &entries, low, high, append)?;
        let sep = entry_parts(block, &entries[m])?.0.to_vec();
        tracing::debug!(block, level, entries = entries.len(), at = m, "split node");

        if block == ROOT {
            let left = self.allocate(changed)?;
            let right = self.allocate(changed)?;
            let right_page = node::build(right, level, &sep, None, None, prune, &entries[m..])?;
            self.publish(right, level, true, right_page, changed)?;
            let left_page = node::build(
                left,
                level,
                low,
                Some(&sep),
                Some(right),
                prune,
                &entries[..m],
            )?;
            self.publish(left, level, true, left_page, changed)?;
            let children = [internal_entry(low, left), internal_entry(&sep, right)];
            let mut root = node::build(ROOT, level + 1, low, None, None, prune, &children)?;
            self.keep_root_aux(&mut root)?;
            return self.publish(ROOT, level + 1, false, root, changed);
        }

        let right = self.allocate(changed)?;
        let right_page = node::build(
            right,
            level,
            &sep,
            high,
            node.right_link(),
            prune,
            &entries[m..],
        )?;
        self.publish(right, level, true, right_page, changed)?;
        let left_page = node::build(
            block,
            level,
            low,
            Some(&sep),
            Some(right),
            prune,
            &entries[..m],
        )?;
        self.publish(block, level, false, left_page, changed)?;
        self.insert_separator(&sep, right, level + 1, changed)
    }

    /// Adds `(sep → child)` to the node at `level` that covers `sep`.
    fn insert_separator(
        &mut self,
        sep: &[u8],
        child: BlockNo,
        level: u16,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        let (block, page) = self.descend(sep, level)?;
        let parent = Node::open(block, &*page)?;
        let i = match parent.search(sep)? {
            Ok(_) => return Err(Error::corrupt(block, "separator already in the parent")),
            Err(0) => {
                return Err(Error::corrupt(
                    block,
                    "separator below the parent's low key",
                ));
            }
            Err(i) => i,
        };
        let entry = internal_entry(sep, child);
        if parent.used_bytes()? + SLOT_SIZE + entry.len() <= self.limits.fill {
            let mut copy: Box<Page> = Box::new(*page);
            let mut node = Node::open(block, &mut *copy)?;
            node.insert_entry(i, &entry)?;
            return self.publish(block, level, false, copy, changed);
        }
        let mut entries = parent.entries()?;
        entries.insert(i, entry);
        let append = i + 1 == entries.len();
        self.split_node(&parent, entries, append, changed)
    }

    /// Copies the current root's spare words (its free list) into `page`, a rebuilt
    /// root.
    pub(super) fn keep_root_aux(&self, page: &mut Page) -> Result<()> {
        let current = self.store.read(ROOT)?;
        let current = SlottedPage::open(ROOT, &*current)?;
        let mut rebuilt = SlottedPage::open(ROOT, page)?;
        for i in 0..2 {
            rebuilt.set_aux(i, current.aux(i));
        }
        Ok(())
    }

    pub(super) fn publish(
        &mut self,
        block: BlockNo,
        level: u16,
        is_new: bool,
        page: Box<Page>,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        self.store.write(block, page)?;
        changed.record(block, level, is_new);
        Ok(())
    }

    /// Where to cut `entries`: index of the right half's first entry, such
    /// that both halves (with their fences) fit.
    fn split_point(
        &self,
        block: BlockNo,
        entries: &[Vec<u8>],
        low: &[u8],
        high: Option<&[u8]>,
        append: bool,
    ) -> Result<usize> {
        let n = entries.len();
        if n < 2 {
            return Err(Error::corrupt(block, "cannot split fewer than two entries"));
        }
        let sizes: Vec<usize> = entries.iter().map(|e| e.len() + SLOT_SIZE).collect();
        let total: usize = sizes.iter().sum();
        let fence = |key_len: usize| key_len + SLOT_SIZE;
        let high_len = high.map_or(0, <[u8]>::len);
        let fits = |m: usize| -> Result<bool> {
            let sep = entry_parts(block, &entries[m])?.0.len();
            let left: usize = sizes[..m].iter().sum();
            let right = total - left;
            Ok(left + fence(low.len()) + fence(sep) <= self.limits.fill
                && right + fence(sep) + fence(high_len) <= self.limits.fill)
        };
        let mut left = 0;
        let mut m = 0;
        while m < n && left < total / 2 {
            left += sizes[m];
            m += 1;
        }
        let m = m.clamp(1, n - 1);
        if append && high.is_none() {
            // Leave the left page as full as its new high fence allows.
            for candidate in (m + 1..n).rev() {
                if fits(candidate)? {
                    return Ok(candidate);
                }
            }
        }
        if fits(m)? {
            Ok(m)
        } else {
            Err(Error::corrupt(
                block,
                format!("split halves of {n} entries ({total} bytes) do not fit"),
            ))
        }
    }
}
