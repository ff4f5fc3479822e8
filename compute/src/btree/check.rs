//! Structural verification of a whole tree at rest ([`BTree::check`]).
//!
//! Walks the tree level by level from the root and verifies, for every
//! page: the slotted layout (slots in bounds, no overlaps); the level; that
//! its fences are exactly the range its parent gave it (`[key_i, key_{i+1})`,
//! the last child up to the parent's high key); that its entries are strictly
//! increasing and inside its fences; that an internal node's first key is its
//! low key; that its right-link points at the next node of the level (none
//! for the last, whose high key is +∞); that no reachable node is dead; that
//! every out-of-line value reads back whole (tags, length, CRC); that the
//! free list's stamps never decrease; and that every allocated block is
//! reached exactly once — as a node, an overflow page, a free-list page or a
//! free block — so no block leaks, none is freed twice and none is both free
//! and in use. Used by tests after every batch of operations, and by future
//! `amcheck`-style tooling.
//!
//! "At rest" matters: mid-split (after the new page and the left page are
//! published but before the parent is) a reader-visible tree is valid for
//! B-link readers but fails the parent-range check here.

use std::collections::HashSet;

use proto::{BlockNo, Lsn};

use super::{BTree, Node, OverflowRef, PageStore, ROOT};
use crate::error::{Error, Result};

/// What [`BTree::check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Number of levels (1 for a lone leaf root).
    pub height: u16,
    pub pages: usize,
    pub leaves: usize,
    /// Leaf entries.
    pub entries: usize,
    /// Leaf entries with an out-of-line value, and the pages holding those values.
    pub external: usize,
    pub overflow_pages: usize,
    /// Blocks on the free list, and the free list's own pages.
    pub free: usize,
    pub free_list_pages: usize,
}

/// A node the parent level says must exist: block and fences.
struct Expected {
    block: BlockNo,
    low: Vec<u8>,
    high: Option<Vec<u8>>,
}

impl<S: PageStore> BTree<S> {
    /// Verifies the whole tree; see the module doc.
    pub fn check(&self) -> Result<TreeStats> {
        let root_page = self.store.read(ROOT)?;
        let root_level = Node::open(ROOT, &*root_page)?.level();
        let mut stats = TreeStats {
            height: root_level + 1,
            ..TreeStats::default()
        };
        let mut visited = HashSet::new();
        let mut overflow = Vec::new();
        let mut level_nodes = vec![Expected {
            block: ROOT,
            low: Vec::new(),
            high: None,
        }];
        for level in (0..=root_level).rev() {
            let mut children = Vec::new();
            for (idx, want) in level_nodes.iter().enumerate() {
                let next = level_nodes.get(idx + 1).map(|e| e.block);
                self.check_node(want, level, next, &mut children, &mut overflow, &mut stats)?;
                if !visited.insert(want.block) {
                    return Err(Error::corrupt(want.block, "reached twice"));
                }
            }
            level_nodes = children;
        }
        if !level_nodes.is_empty() {
            return Err(Error::corrupt(ROOT, "leaves have children"));
        }
        let mut claim = |block: BlockNo, what: &str| {
            if visited.insert(block) {
                Ok(())
            } else {
                Err(Error::corrupt(block, format!("{what} reached twice")))
            }
        };
        for oref in &overflow {
            self.read_overflow(oref, Lsn::MAX)?;
            let pages = self.overflow_pages(oref, Lsn::MAX)?;
            for block in pages.directory.into_iter().chain(pages.data) {
                claim(block, "overflow page")?;
                stats.overflow_pages += 1;
            }
        }
        let free = self.free_list()?;
        for &block in &free.pages {
            claim(block, "free-list page")?;
        }
        if free.entries.windows(2).any(|w| w[0].0 > w[1].0) {
            return Err(Error::corrupt(ROOT, "free-list stamps decrease"));
        }
        for &(_, block) in &free.entries {
            claim(block, "free block")?;
        }
        stats.free = free.entries.len();
        stats.free_list_pages = free.pages.len();
        if visited.len() != self.store.block_count() as usize {
            return Err(Error::corrupt(
                ROOT,
                format!(
                    "{} blocks allocated but {} reachable",
                    self.store.block_count(),
                    visited.len()
                ),
            ));
        }
        Ok(stats)
    }

    fn check_node(
        &self,
        want: &Expected,
        level: u16,
        next: Option<BlockNo>,
        children: &mut Vec<Expected>,
        overflow: &mut Vec<OverflowRef>,
        stats: &mut TreeStats,
    ) -> Result<()> {
        let block = want.block;
        let bad = |reason: String| Err(Error::corrupt(block, reason));
        let page = self.store.read(block)?;
        let node = Node::open(block, &*page)?;
        node.slotted().check()?;
        stats.pages += 1;
        if node.is_dead() {
            return bad("a dead node is reachable".into());
        }
        if node.level() != level {
            return bad(format!("level {} where {level} expected", node.level()));
        }
        if node.low_key()? != want.low.as_slice() {
            return bad(format!(
                "low key {:?} != parent's {:?}",
                node.low_key()?,
                want.low
            ));
        }
        let high = node.high_key()?;
        if high != want.high.as_deref() {
            return bad(format!("high key {high:?} != parent's {:?}", want.high));
        }
        if node.right_link() != next {
            return bad(format!(
                "right-link {:?} where {next:?} expected",
                node.right_link()
            ));
        }
        let mut prev: Option<&[u8]> = None;
        for i in 0..node.len() {
            let key = node.key(i)?;
            if prev.is_some_and(|p| p >= key) {
                return bad(format!("entry {i} out of order"));
            }
            if key < want.low.as_slice() || high.is_some_and(|h| key >= h) {
                return bad(format!("entry {i} outside the fences"));
            }
            prev = Some(key);
        }
        if level == 0 {
            stats.leaves += 1;
            stats.entries += node.len();
            for i in 0..node.len() {
                if let Some(oref) = node.value_parts(i)?.1 {
                    stats.external += 1;
                    overflow.push(oref);
                }
            }
            return Ok(());
        }
        if node.is_empty() || node.key(0)? != want.low.as_slice() {
            return bad("internal node's first key is not its low key".into());
        }
        for i in 0..node.len() {
            let child_high = if i + 1 < node.len() {
                Some(node.key(i + 1)?.to_vec())
            } else {
                high.map(<[u8]>::to_vec)
            };
            children.push(Expected {
                block: node.child(i)?,
                low: node.key(i)?.to_vec(),
                high: child_high,
            });
        }
        Ok(())
    }
}
