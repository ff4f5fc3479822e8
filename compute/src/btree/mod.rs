//! A B-link tree over byte keys and values, on [`PageStore`] pages.
//!
//! Keys are memcmp-ordered bytes (clustered primary keys from
//! [`crate::keycodec`], or MVCC version keys from [`crate::mvcc`]); values
//! are bytes. The tree is a Lehman–Yao B-link tree:
//!
//! ```text
//!   level 1        [ "" | "m" ]  (block 0, the root, always)
//!                   /        \
//!   level 0   [""…"m") ──right-link──▶ ["m"…+∞)
//! ```
//!
//! Every node carries its level and fence keys `[low, high)` ([`node`]).
//! **Readers** descend from the root (always block 0) and check, at every
//! step, that the node's level is the one they expected and that the key is
//! within its fences: a key `>= high` means the node split after its parent
//! was read, so the reader follows the right-link; a key `< low` or a level
//! mismatch means the reader is lost, so it restarts from the root (at most
//! a few times, then the page is reported [`Error::Corrupt`]). Range scans
//! ([`Cursor`]) move along the leaf level's right-links and check that each
//! right sibling's low key equals the high key they left (else they re-seek
//! from the root).
//!
//! **Writers** ([`BTree::insert`], [`BTree::delete`], [`BTree::prune`])
//! are single-threaded (the commit's serial step) and copy-on-write: each
//! modified page is a new `Box<Page>` written to the store. A split
//! ([`split`]) writes the **new right page first, then the old (left) page,
//! then the parent**, so a concurrent reader holding any mix of old and new
//! pages still finds every key by following right-links. A root split moves
//! the root's entries into two new pages and rewrites block 0 as their
//! parent, so the root never moves. A split's new page inherits the old
//! page's `prune_lsn`. Nodes are never merged: deletes leave pages in place
//! (possibly empty), and a freed-page protocol is future work.
//!
//! With a [`SplitPrune`] set, an insert into a full leaf first drops the
//! entries it accepts (raising the leaf's `prune_lsn`) and splits only if the
//! entry still does not fit; [`BTree::prune_leaves`] prunes chosen leaves.
//!
//! Every write returns the [`ChangedPages`] it published (including newly
//! allocated ones), which the commit path diffs into WAL `PageChange`s in
//! [`ChangedPages::publish_order`].
//!
//! **Limits** ([`Limits`]): a key is at most `fill / 16` bytes (509 on a
//! full page) and a leaf entry (2 + key + value) at most `fill / 4 - 16`
//! bytes (2022 on a full page): that guarantees both halves of any split fit.
//! Larger entries fail with [`Error::RowTooLarge`] (TOAST-like overflow
//! pages are future work).
//!
//! **Old snapshots**: a read at snapshot `S` fails with
//! [`Error::NeedsOldSnapshot`] on any leaf whose `prune_lsn > S` (see
//! [`crate::mvcc`]). Reads at [`Lsn::MAX`] never do.

pub mod check;
pub mod cursor;
pub mod node;
pub mod split;
pub mod store;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proto::page::Page;
use proto::{BlockNo, Lsn};

pub use check::TreeStats;
pub use cursor::Cursor;
pub use node::{Node, Position};
pub use store::{MemPageStore, PageStore};

use crate::error::{Error, Result};
use crate::slotted_page::{SLOT_SIZE, USABLE_SIZE};

/// The root's block: it never moves.
pub const ROOT: BlockNo = 0;
/// How many times a descent restarts from the root before giving up.
const MAX_RESTARTS: usize = 8;

/// Size limits of one tree, derived from how full a node may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of slots and items (fences included) a node may hold.
    pub fill: usize,
    /// Longest key.
    pub max_key: usize,
    /// Longest encoded leaf entry (`2 + key + value`).
    pub max_entry: usize,
}

impl Limits {
    /// Nodes use the whole page.
    pub const FULL_PAGE: Limits = Limits::for_fill(USABLE_SIZE);

    /// Limits for nodes holding at most `fill` bytes (tests use small fills
    /// to get deep trees from few keys). `fill` is clamped to
    /// `256..=USABLE_SIZE`.
    pub const fn for_fill(fill: usize) -> Limits {
        let fill = if fill < 256 {
            256
        } else if fill > USABLE_SIZE {
            USABLE_SIZE
        } else {
            fill
        };
        // A split's halves each hold < total/2 + one entry, plus two fences:
        // 1.5 * (max_entry + SLOT) + 2 * (max_key + SLOT) <= fill / 2.
        Limits {
            fill,
            max_key: fill / 16,
            max_entry: fill / 4 - 16,
        }
    }
}

/// One page a write published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangedPage {
    pub block: BlockNo,
    /// The page's level after the write.
    pub level: u16,
    /// Allocated by this write set (diff it against no base page).
    pub is_new: bool,
}

/// The pages a write (or a whole write set) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedPages {
    pages: BTreeMap<BlockNo, ChangedPage>,
}

impl ChangedPages {
    fn record(&mut self, block: BlockNo, level: u16, is_new: bool) {
        let e = self.pages.entry(block).or_insert(ChangedPage {
            block,
            level,
            is_new,
        });
        e.level = level;
        e.is_new |= is_new;
    }

    /// Adds `other`'s pages (for a write set of several operations).
    pub fn extend(&mut self, other: ChangedPages) {
        for p in other.pages.into_values() {
            self.record(p.block, p.level, p.is_new);
        }
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    pub fn contains(&self, block: BlockNo) -> bool {
        self.pages.contains_key(&block)
    }

    pub fn get(&self, block: BlockNo) -> Option<&ChangedPage> {
        self.pages.get(&block)
    }

    /// Every changed page, by block number.
    pub fn iter(&self) -> impl Iterator<Item = &ChangedPage> {
        self.pages.values()
    }

    /// The order to publish (and emit PageChanges) in: new pages first (no
    /// existing page points at them yet), then existing pages leaves before
    /// parents. Keys only ever move from an existing page into a new one, so
    /// a reader applying changes in this order always finds every key.
    pub fn publish_order(&self) -> Vec<BlockNo> {
        let mut v: Vec<&ChangedPage> = self.pages.values().collect();
        v.sort_by_key(|p| (!p.is_new, p.level, p.block));
        v.into_iter().map(|p| p.block).collect()
    }
}

/// A B-link tree stored in `S`.
pub struct BTree<S> {
    store: S,
    limits: Limits,
    /// Entries an insert may drop from a full leaf before splitting it.
    split_prune: Option<SplitPrune>,
}

/// Pruning before a split: entries whose value `remove(value, horizon)` accepts leave a
/// full leaf (which gets `prune_lsn = horizon`) before [`BTree::insert`] splits it, as
/// PostgreSQL prunes a full heap page before extending the table.
#[derive(Debug, Clone, Copy)]
pub struct SplitPrune {
    pub horizon: Lsn,
    pub remove: fn(&[u8], Lsn) -> Result<bool>,
}

impl<S: PageStore> BTree<S> {
    /// Creates an empty tree in an empty store: block 0 becomes an empty
    /// leaf root.
    pub fn create(mut store: S, limits: Limits) -> Result<(BTree<S>, ChangedPages)> {
        let block = store.allocate()?;
        if block != ROOT {
            return Err(Error::corrupt(block, "create: the store is not empty"));
        }
        let page = node::build(ROOT, 0, b"", None, None, Lsn::INVALID, &[])?;
        store.write(ROOT, page)?;
        let mut changed = ChangedPages::default();
        changed.record(ROOT, 0, true);
        let tree = BTree {
            store,
            limits,
            split_prune: None,
        };
        Ok((tree, changed))
    }

    /// A tree already in `store`.
    pub fn open(store: S, limits: Limits) -> BTree<S> {
        BTree {
            store,
            limits,
            split_prune: None,
        }
    }

    /// Prune full leaves before splitting them ([`SplitPrune`]).
    pub fn set_split_prune(&mut self, prune: Option<SplitPrune>) {
        self.split_prune = prune;
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The value of `key`, reading leaves at `snapshot`.
    pub fn get(&self, key: &[u8], snapshot: Lsn) -> Result<Option<Vec<u8>>> {
        let (block, page) = self.descend(key, 0)?;
        let node = Node::open(block, &*page)?;
        check_prune(&node, snapshot)?;
        match node.search(key)? {
            Ok(i) => Ok(Some(node.value(i)?.to_vec())),
            Err(_) => Ok(None),
        }
    }

    /// A forward cursor over `(lower, upper)`, reading leaves at `snapshot`.
    pub fn range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        snapshot: Lsn,
    ) -> Result<Cursor<'_, S>> {
        Cursor::new(self, lower, upper, snapshot)
    }

    /// Inserts `key` → `value`, replacing any existing value.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<ChangedPages> {
        if key.len() > self.limits.max_key {
            return Err(Error::KeyTooLarge {
                size: key.len(),
                max: self.limits.max_key,
            });
        }
        let entry = node::leaf_entry(key, value);
        if entry.len() > self.limits.max_entry {
            return Err(Error::RowTooLarge {
                size: entry.len(),
                max: self.limits.max_entry,
            });
        }
        let mut changed = ChangedPages::default();
        let (block, page) = self.descend(key, 0)?;
        let mut copy: Box<Page> = Box::new(*page);
        let mut node = Node::open(block, &mut *copy)?;
        let used = node.used_bytes()?;
        let fits = match node.search(key)? {
            Ok(i) => {
                let old = node.entry(i)?.len();
                let fits = used - old + entry.len() <= self.limits.fill;
                if fits {
                    node.replace_entry(i, &entry)?;
                }
                fits
            }
            Err(i) => {
                let fits = used + SLOT_SIZE + entry.len() <= self.limits.fill;
                if fits {
                    node.insert_entry(i, &entry)?;
                }
                fits
            }
        };
        if fits {
            self.store.write(block, copy)?;
            changed.record(block, 0, false);
        } else if let Some(sp) = self.split_prune
            && self.prune_leaf(block, &page, sp.horizon, &mut |_, v| {
                (sp.remove)(v, sp.horizon)
            })?
        {
            // The leaf lost entries: try again (a second pass finds nothing to prune).
            changed.record(block, 0, false);
            changed.extend(self.insert(key, value)?);
        } else {
            let original = Node::open(block, &*page)?;
            self.split_insert(&original, &entry, &mut changed)?;
        }
        Ok(changed)
    }

    /// Removes `key`; returns whether it was there.
    pub fn delete(&mut self, key: &[u8]) -> Result<(bool, ChangedPages)> {
        let mut changed = ChangedPages::default();
        let (block, page) = self.descend(key, 0)?;
        let mut copy: Box<Page> = Box::new(*page);
        let mut node = Node::open(block, &mut *copy)?;
        let Ok(i) = node.search(key)? else {
            return Ok((false, changed));
        };
        node.delete_entry(i)?;
        self.store.write(block, copy)?;
        changed.record(block, 0, false);
        Ok((true, changed))
    }

    /// Removes every leaf entry for which `remove(key, value)` is true, and
    /// raises the `prune_lsn` of each leaf that lost entries to `horizon`
    /// (never lowering it). Walks the whole leaf level.
    pub fn prune(
        &mut self,
        horizon: Lsn,
        mut remove: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<ChangedPages> {
        let mut changed = ChangedPages::default();
        let (mut block, mut page) = self.descend(b"", 0)?;
        let mut hops = 0u64;
        loop {
            hops += 1;
            if hops > u64::from(self.store.block_count()) + 1 {
                return Err(Error::corrupt(block, "leaf right-links form a cycle"));
            }
            let right = Node::open(block, &*page)?.right_link();
            if self.prune_leaf(block, &page, horizon, &mut remove)? {
                changed.record(block, 0, false);
            }
            let Some(right) = right else { break };
            block = right;
            page = self.store.read(block)?;
        }
        Ok(changed)
    }

    /// [`BTree::prune`] restricted to the leaves among `blocks` (pages that
    /// are not leaves are skipped): the opportunistic pruning of the pages a
    /// write already changes. Only entries leave a leaf — fences, level and
    /// right-link stay — so the B-link invariants hold for any reader.
    pub fn prune_leaves(
        &mut self,
        blocks: impl IntoIterator<Item = BlockNo>,
        horizon: Lsn,
        mut remove: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<ChangedPages> {
        let mut changed = ChangedPages::default();
        for block in blocks {
            let page = self.store.read(block)?;
            if !Node::open(block, &*page)?.is_leaf() {
                continue;
            }
            if self.prune_leaf(block, &page, horizon, &mut remove)? {
                changed.record(block, 0, false);
            }
        }
        Ok(changed)
    }

    /// Prunes one leaf (`page` is its current version); returns whether it
    /// changed (and was written).
    fn prune_leaf(
        &mut self,
        block: BlockNo,
        page: &Page,
        horizon: Lsn,
        remove: &mut impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<bool> {
        let node = Node::open(block, page)?;
        let mut doomed = Vec::new();
        for i in 0..node.len() {
            if remove(node.key(i)?, node.value(i)?)? {
                doomed.push(i);
            }
        }
        if doomed.is_empty() {
            return Ok(false);
        }
        let mut copy: Box<Page> = Box::new(*page);
        let mut node = Node::open(block, &mut *copy)?;
        for &i in doomed.iter().rev() {
            node.delete_entry(i)?;
        }
        if node.prune_lsn() < horizon {
            node.set_prune_lsn(horizon);
        }
        self.store.write(block, copy)?;
        Ok(true)
    }

    /// Descends to the node at `level` whose fences hold `key`, restarting
    /// from the root when a step finds itself lost.
    pub(crate) fn descend(&self, key: &[u8], level: u16) -> Result<(BlockNo, Arc<Page>)> {
        for _ in 0..MAX_RESTARTS {
            if let Some(found) = self.try_descend(key, level)? {
                return Ok(found);
            }
            tracing::debug!(?key, level, "B-link descent restarts from the root");
        }
        Err(Error::corrupt(ROOT, "descent kept restarting"))
    }

    fn try_descend(&self, key: &[u8], stop_level: u16) -> Result<Option<(BlockNo, Arc<Page>)>> {
        let mut block = ROOT;
        let mut expected: Option<u16> = None;
        let max_hops = u64::from(self.store.block_count()) + 1;
        for _ in 0..max_hops {
            let page = self.store.read(block)?;
            let next = {
                let node = Node::open(block, &*page)?;
                let level = node.level();
                match expected {
                    Some(e) if e != level => return Ok(None),
                    None if level < stop_level => {
                        return Err(Error::corrupt(
                            ROOT,
                            format!("no level {stop_level} in a tree of height {level}"),
                        ));
                    }
                    _ => {}
                }
                match node.position(key)? {
                    Position::BeforeLow => return Ok(None),
                    Position::AtOrAfterHigh => {
                        expected = Some(level);
                        Some(node.right_link().ok_or_else(|| {
                            Error::corrupt(block, "high key without a right-link")
                        })?)
                    }
                    Position::Inside if level == stop_level => None,
                    Position::Inside => {
                        expected = Some(level - 1);
                        Some(node.child_for(key)?.1)
                    }
                }
            };
            match next {
                Some(b) => block = b,
                None => return Ok(Some((block, page))),
            }
        }
        Err(Error::corrupt(
            block,
            "descent visited more nodes than exist",
        ))
    }
}

/// Fails with [`Error::NeedsOldSnapshot`] when `snapshot` predates the
/// leaf's prune horizon.
pub(crate) fn check_prune<P: std::ops::Deref<Target = Page>>(
    node: &Node<P>,
    snapshot: Lsn,
) -> Result<()> {
    let prune_lsn = node.prune_lsn();
    if snapshot < prune_lsn {
        return Err(Error::NeedsOldSnapshot {
            block: node.block(),
            snapshot,
            prune_lsn,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
