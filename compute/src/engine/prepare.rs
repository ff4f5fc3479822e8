//! The prepare phase: fetch and pin, *before* the commit mutex, every page the serial step
//! will read, so that one slow GetPages never stalls every committer (DESIGN.md "Commit").
//!
//! [`prepare`] works out the pages from the write set, traversing the trees at the latest
//! state:
//!
//! * for every written key of every table: the B-link path from the root to the leaf that
//!   holds the key's versions (descent key `key ++ 00…00`, the smallest version key — see
//!   [`crate::mvcc`]), plus the right sibling when the key's versions may continue there
//!   (the serial step's `versions` cursor would step right);
//! * for every secondary index of a written table: the paths of the old row's entry (read
//!   from the leaves just pinned) and of the new row's entry;
//! * catalog rows the serial step rewrites: each changed table's row, the RelId counter,
//!   the hidden-row-id reservation of a table without a primary key;
//! * the free-list pages of every relation written (the root names them; blocks freed
//!   and reused go through them — [`crate::btree::freelist`]);
//! * the size of every relation involved (learning it is a fetch, too).
//!
//! The record's sweeping and merging ([`super::space`]) read only what is in memory; a
//! [`super::Engine::sweep`] record reads its leaves first here ([`sweep`]).
//!
//! All walks advance together, one tree level per round: the round's pages the cache does
//! not hold go to the pageserver in **one** GetPages batch ([`PageCache::fetch_batch`]) and
//! every page of the round is pinned ([`PageCache::pin`]) until the commit is over. With
//! inner pages cached, that is one batch for the whole write set.
//!
//! The serial step then reads with [`Fetch::Forbidden`]: a page it still misses (another
//! commit's split moved a key, or the walk here could not predict it) fails the step, which
//! releases the mutex and prepares again with the missed pages added; after
//! [`MAX_RETRIES`] retries it runs with [`Fetch::Allowed`], so a commit always makes
//! progress. (Index builds and table rewrites happen before the commit, in
//! [`super::build`], so no serial step scans a table.) In resident mode there is nothing to
//! prepare.
//!
//! [`CommitStats`] counts pages fetched here and in the serial step, retries and
//! fallbacks, per engine (the Prometheus counters in [`crate::page_cache::metrics`] are
//! process-wide).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proto::page::Page;
use proto::{BlockNo, Lsn, PageKey, RelId};
use sql::Result;

use super::catalog::{self, CATALOG_REL, Object, format};
use super::codec;
use super::commit::index_entry;
use super::pages::Fetch;
use super::storage_error;
use super::txn::EngineTxn;
use crate::btree::{Node, PageStore, Position, ROOT};
use crate::mvcc::VersionedTree;
use crate::page_cache::{PageCache, PinSet, metrics};
use crate::slotted_page::SlottedPage;

/// Serial steps that missed a page before the commit fetches under the mutex.
pub const MAX_RETRIES: u32 = 3;

/// Steps one walk may take (levels plus right-links), so a corrupt level cannot loop.
const MAX_STEPS: u32 = 64;

/// Per-engine counters of the commit path.
#[derive(Debug, Default)]
pub struct CommitStats {
    prepare_pages: AtomicU64,
    serial_fetches: AtomicU64,
    retries: AtomicU64,
    fallbacks: AtomicU64,
    ahead_records: AtomicU64,
}

/// A reading of [`CommitStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitCounters {
    /// Pages fetched by prepare phases (outside the commit mutex).
    pub prepare_pages: u64,
    /// Pages fetched by serial steps (under the commit mutex).
    pub serial_fetches: u64,
    /// Serial steps that missed a page and sent their commit back to prepare.
    pub retries: u64,
    /// Serial steps run with fetching allowed (after [`MAX_RETRIES`]).
    pub fallbacks: u64,
    /// Records of new pages written ahead of a large commit's record.
    pub ahead_records: u64,
}

impl CommitStats {
    pub fn read(&self) -> CommitCounters {
        CommitCounters {
            prepare_pages: self.prepare_pages.load(Ordering::Relaxed),
            serial_fetches: self.serial_fetches.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
            ahead_records: self.ahead_records.load(Ordering::Relaxed),
        }
    }

    pub(super) fn note_serial_fetches(&self, n: usize) {
        if n > 0 {
            self.serial_fetches.fetch_add(n as u64, Ordering::Relaxed);
            metrics::SERIAL_FETCHES.inc_by(n as u64);
        }
    }

    pub(super) fn note_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        metrics::PREPARE_RETRIES.inc();
    }

    pub(super) fn note_fallback(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn note_ahead_records(&self, n: usize) {
        self.ahead_records.fetch_add(n as u64, Ordering::Relaxed);
        metrics::AHEAD_RECORDS.inc_by(n as u64);
    }

    fn note_prepare_pages(&self, n: usize) {
        self.prepare_pages.fetch_add(n as u64, Ordering::Relaxed);
        metrics::PREPARE_PAGES.inc_by(n as u64);
    }
}

/// What a prepare phase leaves for the serial step.
pub(super) struct Prepared {
    /// Held until the serial step is over.
    _pins: Option<PinSet>,
    /// How the serial step reads base pages.
    pub fetch: Fetch,
}

/// Fetches and pins the pages `txn`'s serial step will read, plus `missed` (pages an
/// earlier serial step of this commit missed). See the module docs.
pub(super) fn prepare(txn: &EngineTxn, missed: &[PageKey]) -> Result<Prepared> {
    let shared = &*txn.shared;
    let Some(cache) = shared.pages.cache() else {
        return Ok(Prepared {
            _pins: None,
            fetch: Fetch::Allowed,
        });
    };
    let mut pins = PinSet::new(cache.clone());
    let fetch = Fetch::Forbidden;
    let mut rels: BTreeSet<RelId> = [CATALOG_REL].into();
    let mut walks: BTreeSet<(RelId, Vec<u8>)> = BTreeSet::new();

    let net = txn.writes.net_ddl();
    if !net.is_empty() {
        walks.insert((CATALOG_REL, format::next_rel_key()));
        walks.insert((CATALOG_REL, format::next_oid_key()));
        walks.insert((CATALOG_REL, format::format_key()));
    }
    for ((kind, oid), (before, after)) in &net {
        walks.insert((CATALOG_REL, format::object_prefix(*kind, *oid)));
        if let Some(Object::Table(b)) = before
            && b.legacy
        {
            walks.insert((CATALOG_REL, catalog::legacy::table_key(*oid)));
        }
        if let Some(Object::Table(a)) = after {
            rels.extend(a.all_rels());
        }
    }
    for t in txn.writes.tables() {
        let Some(entry) = txn.view.tables.get(&t) else {
            continue;
        };
        rels.extend(entry.all_rels());
        if entry.def.primary_key.is_empty() {
            walks.insert((CATALOG_REL, format::row_id_key(t)));
        }
        for (enc, _) in txn.writes.table(t) {
            walks.insert((entry.rel(), enc.clone()));
        }
    }
    rels.extend(missed.iter().map(|k| k.rel));
    for rel in &rels {
        shared.pages.try_block_count(*rel).map_err(storage_error)?;
    }

    // A relation without pages (created by this transaction) has nothing to walk.
    let exists = |rel: RelId| shared.pages.block_count_known(rel) != Some(0);
    walks.retain(|(rel, _)| exists(*rel));
    let mut fetched = fetch_and_pin(cache, &mut pins, missed)?.0;
    fetched += walk(cache, &mut pins, walks)?;

    // Index entries: the old row's entry comes from the leaves just pinned.
    let mut index_walks = BTreeSet::new();
    for t in txn.writes.tables() {
        let Some(entry) = txn.view.tables.get(&t) else {
            continue;
        };
        if entry.def.indexes.is_empty() {
            continue;
        }
        let tree = VersionedTree::open(shared.rel_pages(entry.rel()), shared.config.limits);
        for (enc, kw) in txn.writes.table(t) {
            let new = kw.entries.last().and_then(|(_, r)| r.as_ref());
            let old = old_row(&tree, entry, enc);
            for (def, rel) in entry.indexes() {
                if !exists(rel) {
                    continue;
                }
                for row in [old.as_ref(), new].into_iter().flatten() {
                    if let Some(k) = index_entry(row, def, &entry.def, enc)? {
                        index_walks.insert((rel, k));
                    }
                }
            }
        }
    }
    fetched += walk(cache, &mut pins, index_walks)?;
    let free_lists: Vec<PageKey> = rels
        .iter()
        .filter(|rel| exists(**rel))
        .flat_map(|rel| free_list_pages(cache, *rel))
        .collect();
    fetched += fetch_and_pin(cache, &mut pins, &free_lists)?.0;
    shared.commit_stats.note_prepare_pages(fetched);
    tracing::trace!(fetched, pinned = pins.len(), "prepared commit");
    Ok(Prepared {
        _pins: Some(pins),
        fetch,
    })
}

/// The free-list pages of `rel` a free or an allocation may read: the head, the tail and
/// the tail's spare, as the root (already pinned) and the cached tail name them.
fn free_list_pages(cache: &PageCache, rel: RelId) -> Vec<PageKey> {
    let aux = |block: BlockNo| -> Option<(u32, u32, Option<BlockNo>)> {
        let page = cache.cached(PageKey { rel, block })?;
        let sp = SlottedPage::open(block, &*page).ok()?;
        Some((sp.aux(0), sp.aux(1), sp.right_link()))
    };
    let Some((head, tail, _)) = aux(ROOT) else {
        return Vec::new();
    };
    if head == 0 {
        return Vec::new();
    }
    let mut blocks = vec![head, tail];
    if let Some((_, _, Some(spare))) = aux(tail) {
        blocks.push(spare);
    }
    blocks
        .into_iter()
        .map(|block| PageKey { rel, block })
        .collect()
}

/// Reads the pages a sweep of `leaves` leaves from each relation's position in `cursors`
/// will visit (each leaf, its right sibling, the relation's free-list pages), fetching
/// what the cache misses, and pins them until the returned set drops: before the commit
/// mutex, so the sweep's record never waits on the pageserver. Pages it cannot read are
/// left out (the sweep stops there).
pub(super) fn sweep(
    shared: &super::EngineState,
    rels: &[RelId],
    cursors: &super::space::SweepCursors,
    leaves: usize,
) -> Option<PinSet> {
    let cache = shared.pages.cache()?;
    let mut pins = PinSet::new(cache.clone());
    for &rel in rels {
        let cursor = cursors.get(&rel).cloned().unwrap_or_default();
        match sweep_pages(shared, rel, cursor, leaves) {
            Ok(mut keys) => {
                keys.extend(free_list_pages(cache, rel));
                if let Err(e) = fetch_and_pin(cache, &mut pins, &keys) {
                    tracing::debug!(rel = rel.0, error = %e, "prepare a sweep");
                }
            }
            Err(e) => tracing::debug!(rel = rel.0, error = %e, "prepare a sweep"),
        }
    }
    Some(pins)
}

/// The pages of `rel` a sweep from `cursor` visits, read (and fetched) now.
fn sweep_pages(
    shared: &super::EngineState,
    rel: RelId,
    mut cursor: Vec<u8>,
    leaves: usize,
) -> crate::Result<Vec<PageKey>> {
    if shared.pages.try_block_count(rel)? == 0 {
        return Ok(Vec::new());
    }
    let limits = if rel == CATALOG_REL {
        crate::btree::Limits::FULL_PAGE
    } else {
        shared.config.limits
    };
    let tree = VersionedTree::open(shared.rel_pages_scan(rel), limits);
    let mut keys = vec![PageKey { rel, block: ROOT }];
    for _ in 0..leaves {
        let (block, page) = tree.tree().descend(&cursor, 0)?;
        keys.push(PageKey { rel, block });
        let node = Node::open(block, &*page)?;
        if let Some(right) = node.right_link() {
            tree.tree().store().read(right)?;
            keys.push(PageKey { rel, block: right });
        }
        match node.high_key()? {
            Some(high) => cursor = high.to_vec(),
            None => break,
        }
    }
    Ok(keys)
}

/// Fetches and pins the B-link paths of `keys` (cached engines; `None` when resident), for
/// a write outside a transaction's commit.
pub(super) fn pin_paths(
    shared: &super::EngineState,
    keys: BTreeSet<(RelId, Vec<u8>)>,
) -> Result<Option<PinSet>> {
    let Some(cache) = shared.pages.cache() else {
        return Ok(None);
    };
    let mut pins = PinSet::new(cache.clone());
    for (rel, _) in &keys {
        shared.pages.try_block_count(*rel).map_err(storage_error)?;
    }
    let fetched = walk(cache, &mut pins, keys)?;
    shared.commit_stats.note_prepare_pages(fetched);
    Ok(Some(pins))
}

/// The latest live row of `enc`, if it can be read (an error here is left for the serial
/// step to meet and report).
fn old_row(
    tree: &VersionedTree<super::pages::RelPages>,
    entry: &super::catalog::TableEntry,
    enc: &[u8],
) -> Option<Vec<sql::Value>> {
    let newest = tree.heads(enc, Lsn::MAX).ok()?.into_iter().next()?;
    if !newest.is_live() {
        return None;
    }
    let payload = tree.payload(&newest, Lsn::MAX).ok()?;
    codec::decode_row(&payload, &entry.column_types()).ok()
}

/// Pages the cache holds or that one batch fetched, pinned. Returns how many were fetched.
fn fetch_and_pin(
    cache: &PageCache,
    pins: &mut PinSet,
    keys: &[PageKey],
) -> Result<(usize, HashMap<PageKey, Arc<Page>>)> {
    let mut pages = HashMap::new();
    let mut misses = Vec::new();
    for &key in keys {
        match cache.cached(key) {
            Some(p) => {
                pages.insert(key, p);
            }
            None => misses.push(key),
        }
    }
    let answers = cache
        .fetch_batch(&misses)
        .map_err(|e| storage_error(e.into_core(misses.first().map_or(0, |k| k.block))))?;
    for (key, answer) in misses.iter().zip(answers) {
        // A page that could not be read is left for the serial step to report.
        if let Ok(Some(p)) = answer {
            pages.insert(*key, p);
        }
    }
    cache.pin(pins, keys.iter().copied());
    Ok((misses.len(), pages))
}

/// One descent towards the leaf of `key`'s versions.
struct Walk {
    rel: RelId,
    /// `key ++ 00…00`: the first version key of the user key.
    lower: Vec<u8>,
    /// `key ++ FF…FF`: the last one.
    upper: Vec<u8>,
    block: BlockNo,
    steps: u32,
}

/// Walks every `(rel, user key)` from its root to its leaf, one level per round, fetching
/// each round's missing pages in one batch and pinning them all. Returns pages fetched.
fn walk(
    cache: &PageCache,
    pins: &mut PinSet,
    targets: BTreeSet<(RelId, Vec<u8>)>,
) -> Result<usize> {
    let mut walks: Vec<Walk> = targets
        .into_iter()
        .map(|(rel, key)| {
            let mut lower = key.clone();
            lower.extend_from_slice(&[0; 8]);
            let mut upper = key;
            upper.extend_from_slice(&[0xFF; 8]);
            Walk {
                rel,
                lower,
                upper,
                block: ROOT,
                steps: 0,
            }
        })
        .collect();
    let mut fetched = 0;
    while !walks.is_empty() {
        let keys: Vec<PageKey> = walks
            .iter()
            .map(|w| PageKey {
                rel: w.rel,
                block: w.block,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (n, pages) = fetch_and_pin(cache, pins, &keys)?;
        fetched += n;
        walks = walks
            .into_iter()
            .filter_map(|mut w| {
                let page = pages.get(&PageKey {
                    rel: w.rel,
                    block: w.block,
                })?;
                w.block = next_block(&w, page)?;
                w.steps += 1;
                (w.steps < MAX_STEPS).then_some(w)
            })
            .collect();
    }
    Ok(fetched)
}

/// Where `w` goes after `page` (its current block): a child, a right sibling, or — at a
/// leaf — the right sibling only if the key's versions may continue there. `None`: done
/// (or the page is not what the walk expected; the serial step will find out).
fn next_block(w: &Walk, page: &Page) -> Option<BlockNo> {
    let node = Node::open(w.block, page).ok()?;
    if node.is_dead() {
        return Some(node.right_link().unwrap_or(ROOT));
    }
    if node.is_leaf() {
        // As the versions cursor: it leaves the leaf only when every entry from the key
        // on is within the key's versions and the high key is too.
        let high = node.high_key().ok()??;
        if high > w.upper.as_slice() {
            return None;
        }
        let from = match node.search(&w.lower).ok()? {
            Ok(i) | Err(i) => i,
        };
        let rest_within =
            from == node.len() || node.key(node.len() - 1).ok()? <= w.upper.as_slice();
        return if rest_within { node.right_link() } else { None };
    }
    match node.position(&w.lower).ok()? {
        Position::BeforeLow => Some(ROOT),
        Position::AtOrAfterHigh => node.right_link(),
        Position::Inside => node.child_for(&w.lower).ok().map(|(_, b)| b),
    }
}
