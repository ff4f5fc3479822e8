//! Merges, in B-link publish order: the mirror of a split (Lehman–Yao deletion).
//!
//! An under-full node (its slots and items take at most a quarter of a node) is merged
//! with a neighbour **under the same parent**, if both fit in three quarters of a node.
//! Keys always move *right*: the left node `L` of the pair is emptied into its right
//! sibling `R`, whose low key drops to `L`'s, exactly as a split moves keys from a page
//! into the new page to its right:
//!
//! ```text
//! before:   LL ──right──▶ L [a … b) ──right──▶ R [b … c) ──right──▶ …
//!           parent: ( a → L, b → R )
//!
//! (1) R' = L's entries ++ R's, fences [a … c)            ← gains the keys first
//!           LL ──▶ L [a … b) ──▶ R' [a … c) ──▶ …         (L still whole: both hold [a, b))
//! (2) L  dead: no entries, fences [a … a), right-link R'
//!           LL ──▶ L✝ ──▶ R' [a … c)
//! (3) LL's right-link skips L:      LL ──▶ R' [a … c)
//! (4) parent: ( a → R )             (b → R removed; the parent's range is unchanged)
//! (5) L's block goes on the free list, stamped with this record's start LSN
//! ```
//!
//! **Why a reader never misses a key**, holding any mix of page versions from before
//! and after (whatever order it read them in): every key of `[a, b)` is in `L` until
//! step 2, and in `R'` from step 1 on, so whichever version of `L` a reader meets either
//! holds the keys or is dead and sends it right to `R'`, which holds them (a dead node
//! reads as "keys moved right", the same answer a split's old page gives for keys past
//! its new high key). A descent that reaches `R` through the old parent with a key of
//! `[b, c)` finds it inside `R'`'s fences; one that reaches `R'` with a key below `a`
//! restarts from the root. A range scan leaving `LL` (old: right-link `L`) steps over
//! dead `L` to `R'`, whose low key `a` is the high key it left; a scan leaving old `L`
//! (high key `b`) meets `R'` with low key `a != b` and re-seeks from the root at `b` —
//! never yielding a key twice, never skipping one. Steps 2–4 only remove paths to `L`,
//! so they may be published in any order after step 1: [`super::ChangedPages`] marks `R'`
//! as *gained*, and `publish_order` puts gained pages before every other changed page
//! (after new ones), leaves before parents, so a record that splits some pages and
//! merges others is safe as a whole.
//!
//! A reader may still reach `L`'s block after step 5 through a page version it read
//! earlier — hence the free list's reuse rule ([`super::freelist`]): the block is handed
//! out again only to a record whose reuse horizon is past step 5's stamp, when every
//! reader of the latest pages started after it.
//!
//! Merges cascade: a parent left under-full by losing an entry is merged with its own
//! neighbour, and a root left with a single child takes over that child's entries (the
//! tree loses a level; the child becomes dead with no right-link, so a reader that
//! reaches it through the old root restarts at the new one). The root itself never
//! moves. The merged node's `prune_lsn` is the higher of the two, so an old snapshot is
//! still refused for every key it holds.
//!
//! Merges run in [`BTree::rebalance`], on nodes the caller names (the engine: the leaves
//! each record changed or swept), with the tree at rest (no split half-published). Each
//! merge reads every page it needs before it writes one, so a store that fails a read
//! (the engine's quiet reads of pages not in memory) stops between merges, never inside
//! one.

use std::collections::BTreeSet;
use std::sync::Arc;

use proto::BlockNo;
use proto::page::Page;

use super::node::{self, Node, internal_entry};
use super::{BTree, ChangedPages, PageStore, ROOT};
use crate::error::{Error, Result};
use crate::slotted_page::SLOT_SIZE;

impl<S: PageStore> BTree<S> {
    /// Whether a node's slots and items take at most a quarter of a node.
    fn under_full<P: std::ops::Deref<Target = Page>>(&self, node: &Node<P>) -> Result<bool> {
        Ok(node.used_bytes()? <= self.limits.fill / 4)
    }

    /// Merges the under-full nodes among `blocks` with a neighbour (see the module
    /// docs), then their parents in turn, and collapses a root left with one child.
    /// Blocks that are not live nodes any more are skipped. The pages changed go to
    /// `changed` as each merge completes, so a failed read leaves them all accounted for.
    pub fn rebalance(
        &mut self,
        blocks: impl IntoIterator<Item = BlockNo>,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        let mut work: BTreeSet<(u16, BlockNo)> = BTreeSet::new();
        for block in blocks {
            if block == ROOT {
                continue;
            }
            let page = self.store.read(block)?;
            let node = Node::open(block, &*page)?;
            if !node.is_dead() {
                work.insert((node.level(), block));
            }
        }
        while let Some((level, block)) = work.pop_first() {
            if let Some(parent) = self.merge(block, level, changed)?
                && parent != ROOT
            {
                work.insert((level + 1, parent));
            }
        }
        self.collapse_root(changed)
    }

    /// Merges `block` (a node at `level`) with a neighbour if it is under-full and the
    /// two fit; returns the parent when a merge happened.
    fn merge(
        &mut self,
        block: BlockNo,
        level: u16,
        changed: &mut ChangedPages,
    ) -> Result<Option<BlockNo>> {
        let page = self.store.read(block)?;
        let node = Node::open(block, &*page)?;
        if node.is_dead() || node.level() != level || !self.under_full(&node)? {
            return Ok(None);
        }
        let low = node.low_key()?.to_vec();
        let (pblock, ppage) = self.descend(&low, level + 1)?;
        let parent = Node::open(pblock, &*ppage)?;
        let i = match parent.search(&low)? {
            Ok(i) if parent.child(i)? == block => i,
            _ => {
                tracing::debug!(block, pblock, "merge: node not under its parent's entry");
                return Ok(None);
            }
        };
        // The pair (j, j + 1) of the parent's children: keys move from j into j + 1.
        let j = if i + 1 < parent.len() {
            i
        } else if i > 0 {
            i - 1
        } else {
            return Ok(None);
        };
        let (lblock, rblock) = (parent.child(j)?, parent.child(j + 1)?);
        let lpage = self.store.read(lblock)?;
        let rpage = self.store.read(rblock)?;
        let left = Node::open(lblock, &*lpage)?;
        let right = Node::open(rblock, &*rpage)?;
        if left.is_dead()
            || right.is_dead()
            || left.level() != level
            || right.level() != level
            || left.right_link() != Some(rblock)
            || right.low_key()? != parent.key(j + 1)?
        {
            return Err(Error::corrupt(
                pblock,
                format!("children {lblock} and {rblock} are not neighbours at level {level}"),
            ));
        }
        let mut entries = left.entries()?;
        entries.extend(right.entries()?);
        let fence = |key: &[u8]| key.len() + SLOT_SIZE;
        let bytes = fence(left.low_key()?)
            + fence(right.high_key()?.unwrap_or_default())
            + entries.iter().map(|e| e.len() + SLOT_SIZE).sum::<usize>();
        if bytes > self.limits.fill * 3 / 4 {
            return Ok(None);
        }
        // The left neighbour of `left`, whose right-link must skip it.
        let neighbour = if j > 0 {
            Some(parent.child(j - 1)?)
        } else if left.low_key()?.is_empty() {
            None
        } else {
            Some(self.descend_left_of(left.low_key()?, level)?)
        };
        let neighbour_page = match neighbour {
            Some(b) => {
                let p = self.store.read(b)?;
                if Node::open(b, &*p)?.right_link() != Some(lblock) {
                    return Err(Error::corrupt(
                        b,
                        "left neighbour does not link to the merged node",
                    ));
                }
                Some((b, p))
            }
            None => None,
        };
        self.touch_free_list()?;
        tracing::debug!(
            level,
            left = lblock,
            right = rblock,
            entries = entries.len(),
            "merge nodes"
        );

        // (1) The right sibling takes every key.
        let prune = left.prune_lsn().max(right.prune_lsn());
        let merged = node::build(
            rblock,
            level,
            left.low_key()?,
            right.high_key()?,
            right.right_link(),
            prune,
            &entries,
        )?;
        self.publish(rblock, level, false, merged, changed)?;
        changed.mark_gained(rblock);
        // (2) The left node dies, pointing right.
        let dead = node::dead(
            lblock,
            level,
            left.low_key()?,
            Some(rblock),
            left.prune_lsn(),
        )?;
        self.publish(lblock, level, false, dead, changed)?;
        changed.mark_dead(lblock);
        // (3) Its left neighbour skips it.
        if let Some((b, p)) = neighbour_page {
            let mut copy: Box<Page> = Box::new(*p);
            Node::open(b, &mut *copy)?.set_right_link(Some(rblock));
            self.publish(b, level, false, copy, changed)?;
        }
        // (4) The parent: (low → left), (sep → right) become (low → right).
        let mut copy: Box<Page> = Box::new(*ppage);
        let mut pnode = Node::open(pblock, &mut *copy)?;
        pnode.replace_entry(j, &internal_entry(parent.key(j)?, rblock))?;
        pnode.delete_entry(j + 1)?;
        self.publish(pblock, level + 1, false, copy, changed)?;
        // (5) The block waits on the free list.
        self.free_block(lblock, changed)?;
        Ok(Some(pblock))
    }

    /// While the root is an internal node with a single child, the root takes over the
    /// child's entries (one level down) and the child dies (see the module docs).
    fn collapse_root(&mut self, changed: &mut ChangedPages) -> Result<()> {
        loop {
            let page = self.store.read(ROOT)?;
            let root = Node::open(ROOT, &*page)?;
            if root.is_leaf() || root.len() != 1 {
                return Ok(());
            }
            let child = root.child(0)?;
            let cpage = self.store.read(child)?;
            let cnode = Node::open(child, &*cpage)?;
            let level = root.level() - 1;
            if cnode.is_dead()
                || cnode.level() != level
                || !cnode.low_key()?.is_empty()
                || cnode.high_key()?.is_some()
            {
                return Err(Error::corrupt(
                    child,
                    "the root's only child does not span the keys",
                ));
            }
            self.touch_free_list()?;
            tracing::debug!(child, level, "collapse the root");
            let mut new_root = node::build(
                ROOT,
                level,
                b"",
                None,
                None,
                cnode.prune_lsn(),
                &cnode.entries()?,
            )?;
            self.keep_root_aux(&mut new_root)?;
            self.publish(ROOT, level, false, new_root, changed)?;
            changed.mark_gained(ROOT);
            let dead = node::dead(child, level, b"", None, cnode.prune_lsn())?;
            self.publish(child, level, false, dead, changed)?;
            changed.mark_dead(child);
            self.free_block(child, changed)?;
        }
    }

    /// The node at `level` whose high key is `key` (the left neighbour of the node whose
    /// low key it is), descending by the last entry below `key` at every level. Only for
    /// the writer, on a tree at rest.
    fn descend_left_of(&self, key: &[u8], level: u16) -> Result<BlockNo> {
        let mut block = ROOT;
        for _ in 0..=self.store.block_count() {
            let page: Arc<Page> = self.store.read(block)?;
            let node = Node::open(block, &*page)?;
            if node.is_dead() {
                return Err(Error::corrupt(block, "a dead node on the writer's path"));
            }
            if node.level() == level {
                if node.high_key()? != Some(key) {
                    return Err(Error::corrupt(
                        block,
                        "no node ends where the merged node starts",
                    ));
                }
                return Ok(block);
            }
            let i = match node.search(key)? {
                Ok(i) | Err(i) => i,
            };
            if i == 0 {
                return Err(Error::corrupt(
                    block,
                    "no entry below the merged node's low key",
                ));
            }
            block = node.child(i - 1)?;
        }
        Err(Error::corrupt(
            block,
            "descent visited more nodes than exist",
        ))
    }
}
