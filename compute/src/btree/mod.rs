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
//! was read, so the reader follows the right-link; a dead node (merged away)
//! sends it right too, or back to the root when it has no right-link; a key
//! `< low` or a level mismatch means the reader is lost, so it restarts from
//! the root (at most a few times, then the page is reported
//! [`Error::Corrupt`]). Range scans ([`Cursor`]) move along the leaf level's
//! right-links, step over dead leaves, and check that each right sibling's
//! low key equals the high key they left (else they re-seek from the root).
//!
//! **Writers** ([`BTree::insert`], [`BTree::delete`], [`BTree::prune`],
//! [`BTree::rebalance`]) are single-threaded (the commit's serial step) and
//! copy-on-write: each modified page is a new `Box<Page>` written to the
//! store. **Keys only ever move right**, and every page that receives keys is
//! published before any page that loses them:
//!
//! * a split ([`split`]) writes the **new right page first, then the old
//!   (left) page, then the parent**. A root split moves the root's entries
//!   into two new pages and rewrites block 0 as their parent, so the root
//!   never moves. The new page inherits the old page's `prune_lsn`;
//! * a merge ([`merge`]) moves an under-full node's entries into its right
//!   sibling under the same parent (whose low key drops), publishes that
//!   sibling first, then the merged node as a dead node pointing right, the
//!   left neighbour's right-link and the parent; the block goes to the free
//!   list. A root with one child takes over the child's entries (the tree
//!   shrinks by a level). The merged node's `prune_lsn` is the higher of the
//!   two.
//!
//! [`ChangedPages::publish_order`] encodes this for a whole record: new pages,
//! then pages that gained keys, then the rest, each group leaves first.
//!
//! **Space** ([`freelist`]): blocks freed by merges and by out-of-line values
//! go on the relation's free list, stamped with the freeing record's start
//! LSN ([`Space::stamp`]), and are handed out again by later allocations once
//! the reuse horizon ([`Space::reuse_below`]) has passed the stamp.
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
//! A larger value is stored out of line ([`overflow`]): the entry keeps a
//! prefix of it and a 16-byte reference ([`BTree::insert_parts`]). Only a key
//! (or in-line prefix) too long for an entry fails, with
//! [`Error::KeyTooLarge`] / [`Error::RowTooLarge`].
//!
//! **Old snapshots**: a read at snapshot `S` fails with
//! [`Error::NeedsOldSnapshot`] on any leaf whose `prune_lsn > S` (see
//! [`crate::mvcc`]). Reads at [`Lsn::MAX`] never do.

pub mod bulk;
pub mod check;
pub mod cursor;
pub mod freelist;
pub mod merge;
pub mod node;
pub mod overflow;
pub mod split;
pub mod store;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proto::page::Page;
use proto::{BlockNo, Lsn};

pub use check::TreeStats;
pub use cursor::{Cursor, Entry, EntryRef};
pub use freelist::FreeList;
pub use node::{Node, Position};
pub use overflow::OverflowRef;
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
    /// The page's level after the write (0 for pages that are not nodes).
    pub level: u16,
    /// Unreachable before the write: allocated past the relation's end or taken from
    /// the free list (diff it against no base page; publish it first).
    pub is_new: bool,
    /// A B-tree node (not an overflow or free-list page).
    pub node: bool,
    /// A node that took over a neighbour's keys (a merge's right sibling, a root that
    /// absorbed its only child): published before the pages that lose them.
    pub gained: bool,
    /// A node merged away: rewritten dead, its block on the free list.
    pub dead: bool,
}

impl ChangedPage {
    /// Publish group: new pages, then nodes that gained keys, then the rest.
    fn rank(&self) -> u8 {
        if self.is_new {
            0
        } else if self.gained && !self.dead {
            1
        } else {
            2
        }
    }
}

/// The pages a write (or a whole write set) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedPages {
    pages: BTreeMap<BlockNo, ChangedPage>,
}

impl ChangedPages {
    fn entry(&mut self, block: BlockNo) -> &mut ChangedPage {
        self.pages.entry(block).or_insert(ChangedPage {
            block,
            level: 0,
            is_new: false,
            node: true,
            gained: false,
            dead: false,
        })
    }

    /// A node page at `level` (after the write).
    fn record(&mut self, block: BlockNo, level: u16, is_new: bool) {
        let e = self.entry(block);
        e.level = level;
        e.node = true;
        e.is_new |= is_new;
    }

    /// An overflow or free-list page.
    fn record_other(&mut self, block: BlockNo, is_new: bool) {
        let e = self.entry(block);
        e.level = 0;
        e.node = false;
        e.is_new |= is_new;
    }

    fn mark_gained(&mut self, block: BlockNo) {
        self.entry(block).gained = true;
    }

    fn mark_dead(&mut self, block: BlockNo) {
        self.entry(block).dead = true;
    }

    /// Adds `other`'s pages (for a write set of several operations).
    pub fn extend(&mut self, other: ChangedPages) {
        for p in other.pages.into_values() {
            let e = self.entry(p.block);
            e.level = p.level;
            e.node = p.node;
            e.is_new |= p.is_new;
            e.gained |= p.gained;
            e.dead |= p.dead;
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

    /// Live leaves among the changed pages (what pruning and rebalancing look at).
    pub fn leaves(&self) -> impl Iterator<Item = BlockNo> + '_ {
        self.pages
            .values()
            .filter(|p| p.node && p.level == 0 && !p.dead)
            .map(|p| p.block)
    }

    /// The order to publish (and emit PageChanges) in: new pages first (nothing a
    /// reader can reach points at them yet), then nodes that gained keys (a merge's
    /// right sibling, a collapsing root), then every other page; within each group
    /// leaves before parents. Keys only ever move into a new page or a page that gains
    /// them, and those are published before the pages that lose them, so a reader
    /// applying changes in this order always finds every key (see [`merge`]).
    pub fn publish_order(&self) -> Vec<BlockNo> {
        let mut v: Vec<&ChangedPage> = self.pages.values().collect();
        v.sort_by_key(|p| (p.rank(), p.level, p.block));
        v.into_iter().map(|p| p.block).collect()
    }
}

/// How a write treats space: which stamp the blocks it frees get, and which freed
/// blocks it may hand out again ([`freelist`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Space {
    /// Start LSN of the record the writes belong to.
    pub stamp: Lsn,
    /// Freed blocks stamped below this (and below `stamp`) may be reused; `None`: never
    /// reuse, always extend the relation.
    pub reuse_below: Option<Lsn>,
}

/// A B-link tree stored in `S`.
pub struct BTree<S> {
    store: S,
    limits: Limits,
    /// Entries an insert may drop from a full leaf before splitting it.
    split_prune: Option<SplitPrune>,
    space: Space,
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
            space: Space::default(),
        };
        Ok((tree, changed))
    }

    /// A tree already in `store`.
    pub fn open(store: S, limits: Limits) -> BTree<S> {
        BTree {
            store,
            limits,
            split_prune: None,
            space: Space::default(),
        }
    }

    /// Prune full leaves before splitting them ([`SplitPrune`]).
    pub fn set_split_prune(&mut self, prune: Option<SplitPrune>) {
        self.split_prune = prune;
    }

    /// Stamp and reuse horizon of the writes that follow ([`Space`]).
    pub fn set_space(&mut self, space: Space) {
        self.space = space;
    }

    pub fn space(&self) -> Space {
        self.space
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

    /// The whole value of `key` (out-of-line part included), reading leaves at
    /// `snapshot`.
    pub fn get(&self, key: &[u8], snapshot: Lsn) -> Result<Option<Vec<u8>>> {
        match self.get_entry(key, snapshot)? {
            Some(entry) => Ok(Some(self.resolve(&entry, snapshot)?)),
            None => Ok(None),
        }
    }

    /// The entry of `key` as stored (its out-of-line part not read), reading leaves at
    /// `snapshot`.
    pub fn get_entry(&self, key: &[u8], snapshot: Lsn) -> Result<Option<Entry>> {
        let (block, page) = self.descend(key, 0)?;
        let node = Node::open(block, &*page)?;
        check_prune(&node, snapshot)?;
        match node.search(key)? {
            Ok(i) => Ok(Some(Entry::read(&node, i)?)),
            Err(_) => Ok(None),
        }
    }

    /// An entry's whole value: its in-line part followed by its out-of-line part.
    pub fn resolve(&self, entry: &Entry, snapshot: Lsn) -> Result<Vec<u8>> {
        let Some(oref) = &entry.overflow else {
            return Ok(entry.value.clone());
        };
        let mut value = entry.value.clone();
        value.extend_from_slice(&self.read_overflow(oref, snapshot)?);
        Ok(value)
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

    /// Inserts `key` → `value`, replacing any existing value; a value too large for
    /// an entry goes out of line whole.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<ChangedPages> {
        self.insert_parts(key, &[], value)
    }

    /// Inserts `key` → `inline ++ rest`, replacing any existing value: in one entry if
    /// it fits, else with `inline` in the entry and `rest` out of line ([`overflow`]).
    /// A replaced value's out-of-line pages are freed.
    pub fn insert_parts(&mut self, key: &[u8], inline: &[u8], rest: &[u8]) -> Result<ChangedPages> {
        let mut changed = ChangedPages::default();
        let entry = self.leaf_entry_for(key, inline, rest, &mut changed)?;
        self.insert_entry(key, &entry, &mut changed)?;
        Ok(changed)
    }

    /// The leaf entry storing `key` → `inline ++ rest`: whole if it fits, else `inline`
    /// in line and the rest written out of line now.
    fn leaf_entry_for(
        &mut self,
        key: &[u8],
        inline: &[u8],
        rest: &[u8],
        changed: &mut ChangedPages,
    ) -> Result<Vec<u8>> {
        if key.len() > self.limits.max_key {
            return Err(Error::KeyTooLarge {
                size: key.len(),
                max: self.limits.max_key,
            });
        }
        let whole = 2 + key.len() + inline.len() + rest.len();
        let entry = if whole <= self.limits.max_entry {
            node::leaf_entry_of_parts(key, inline, rest)
        } else {
            let size = 2 + key.len() + inline.len() + overflow::REF_LEN;
            if size > self.limits.max_entry {
                return Err(Error::RowTooLarge {
                    size,
                    max: self.limits.max_entry,
                });
            }
            let oref = self.write_overflow(rest, changed)?;
            node::external_leaf_entry(key, inline, &oref)
        };
        Ok(entry)
    }

    /// Overwrites the first `prefix.len()` bytes of `key`'s value, wherever the rest of
    /// it is stored (its out-of-line pages stay as they are). Fails with
    /// [`Error::KeyNotFound`] if the key is absent, and [`Error::Corrupt`] if its
    /// in-line part is shorter than `prefix`.
    pub fn replace_prefix(&mut self, key: &[u8], prefix: &[u8]) -> Result<ChangedPages> {
        let (block, page) = self.descend(key, 0)?;
        let node = Node::open(block, &*page)?;
        let Ok(i) = node.search(key)? else {
            return Err(Error::KeyNotFound);
        };
        let mut entry = node.entry(i)?.to_vec();
        let (inline, _) = node.value_parts(i)?;
        if inline.len() < prefix.len() {
            return Err(Error::corrupt(
                block,
                "in-line value shorter than its prefix",
            ));
        }
        let at = 2 + key.len();
        entry[at..at + prefix.len()].copy_from_slice(prefix);
        let mut changed = ChangedPages::default();
        self.insert_entry(key, &entry, &mut changed)?;
        Ok(changed)
    }

    /// Puts the encoded leaf `entry` (of `key`) in its leaf, replacing an entry of the
    /// same key, pruning or splitting a full leaf. Frees the out-of-line pages of a
    /// replaced value that `entry` no longer refers to.
    fn insert_entry(&mut self, key: &[u8], entry: &[u8], changed: &mut ChangedPages) -> Result<()> {
        let (block, page) = self.descend(key, 0)?;
        let original = Node::open(block, &*page)?;
        let found = original.search(key)?;
        let replaced = match found {
            Ok(i) => original.value_parts(i)?.1,
            Err(_) => None,
        };
        let fits = match found {
            // No larger: it fits where the old one was (the common case of a version
            // marked deleted), without summing the page.
            Ok(i) if entry.len() <= original.entry(i)?.len() => true,
            Ok(i) => {
                original.used_bytes()? - original.entry(i)?.len() + entry.len() <= self.limits.fill
            }
            Err(_) => original.used_bytes()? + SLOT_SIZE + entry.len() <= self.limits.fill,
        };
        if fits {
            let mut copy: Box<Page> = Box::new(*page);
            let mut node = Node::open(block, &mut *copy)?;
            match found {
                Ok(i) => node.replace_entry(i, entry)?,
                Err(i) => node.insert_entry(i, entry)?,
            }
            self.store.write(block, copy)?;
            changed.record(block, 0, false);
        } else if let Some(sp) = self.split_prune
            && self.prune_leaf(block, &page, sp.horizon, changed, &mut |_, v| {
                (sp.remove)(v, sp.horizon)
            })?
        {
            // The leaf lost entries (the replaced one among them, perhaps, its pages
            // freed with it): try again — a second pass finds nothing to prune.
            return self.insert_entry(key, entry, changed);
        } else {
            self.split_insert(&original, entry, changed)?;
        }
        let (_, rest) = node::entry_parts(block, entry)?;
        let keeps =
            node::is_external(entry) && replaced.is_some_and(|r| rest.ends_with(&r.encode()));
        if let Some(old) = replaced.filter(|_| !keeps) {
            self.free_overflow(&old, changed)?;
        }
        Ok(())
    }

    /// Removes `key`; returns whether it was there. Its out-of-line pages are freed.
    pub fn delete(&mut self, key: &[u8]) -> Result<(bool, ChangedPages)> {
        let mut changed = ChangedPages::default();
        let (block, page) = self.descend(key, 0)?;
        let mut copy: Box<Page> = Box::new(*page);
        let mut node = Node::open(block, &mut *copy)?;
        let Ok(i) = node.search(key)? else {
            return Ok((false, changed));
        };
        let overflow = node.value_parts(i)?.1;
        node.delete_entry(i)?;
        self.store.write(block, copy)?;
        changed.record(block, 0, false);
        if let Some(oref) = overflow {
            self.free_overflow(&oref, &mut changed)?;
        }
        Ok((true, changed))
    }

    /// Removes every leaf entry for which `remove(key, value)` is true (`value` is the
    /// in-line part; out-of-line pages are freed), and raises the `prune_lsn` of each
    /// leaf that lost entries to `horizon` (never lowering it). Walks the whole leaf
    /// level.
    pub fn prune(
        &mut self,
        horizon: Lsn,
        mut remove: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<ChangedPages> {
        let mut changed = ChangedPages::default();
        let mut block = self.descend(b"", 0)?.0;
        let mut hops = 0u64;
        loop {
            hops += 1;
            if hops > u64::from(self.store.block_count()) + 1 {
                return Err(Error::corrupt(block, "leaf right-links form a cycle"));
            }
            let page = self.store.read(block)?;
            let right = Node::open(block, &*page)?.right_link();
            self.prune_leaf(block, &page, horizon, &mut changed, &mut remove)?;
            let Some(right) = right else { break };
            block = right;
        }
        Ok(changed)
    }

    /// [`BTree::prune`] restricted to the leaves among `blocks` (pages that
    /// are not live leaves are skipped): the opportunistic pruning of the pages a
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
            self.prune_leaf(block, &page, horizon, &mut changed, &mut remove)?;
        }
        Ok(changed)
    }

    /// Prunes one leaf (`page` is its current version); returns whether it
    /// changed (and was written). Every page it may read is read before it writes
    /// anything, so a store that fails a read leaves nothing half done.
    fn prune_leaf(
        &mut self,
        block: BlockNo,
        page: &Page,
        horizon: Lsn,
        changed: &mut ChangedPages,
        remove: &mut impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<bool> {
        let node = Node::open(block, page)?;
        if node.is_dead() {
            return Ok(false);
        }
        let mut doomed = Vec::new();
        let mut overflow = Vec::new();
        for i in 0..node.len() {
            let (inline, oref) = node.value_parts(i)?;
            if remove(node.key(i)?, inline)? {
                doomed.push(i);
                if let Some(oref) = oref {
                    overflow.push(self.overflow_pages(&oref, Lsn::MAX)?);
                }
            }
        }
        if doomed.is_empty() {
            return Ok(false);
        }
        if !overflow.is_empty() {
            self.touch_free_list()?;
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
        changed.record(block, 0, false);
        // After the leaf is written: freeing may rewrite the root, which may be it.
        for pages in overflow {
            self.free_overflow_pages(pages, changed)?;
        }
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
                if node.is_dead() {
                    // Merged away: its keys are to the right (or, for a collapsed
                    // root's child, under the root again).
                    expected = Some(level);
                    match node.right_link() {
                        Some(right) => Some(right),
                        None => return Ok(None),
                    }
                } else {
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
