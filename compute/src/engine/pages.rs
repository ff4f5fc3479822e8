//! The in-memory page table and the copy-on-write overlay the serial step writes into.
//!
//! [`PageTable`] maps every [`PageKey`] to the **latest applied** version of that page, as an
//! `Arc<Page>`. Readers take a clone of one `Arc` per page step (the read lock is held only
//! for the lookup), so a reader that holds an older version of a page keeps a consistent
//! copy of it while the serial step publishes newer ones; B-link right-links and fence keys
//! make any mix of old and new pages correct (see [`crate::btree`]). Pages are all resident
//! or, in cached mode, the [`PageCache`] behind the same two operations (read the latest
//! version, publish a new one).
//!
//! Invariants:
//! * only the serial step (under the engine's commit mutex) publishes, and it publishes the
//!   pages of one record exactly as `proto::redo::apply` produced them (header `page_lsn` =
//!   the record's end LSN, header CRC valid);
//! * blocks of a relation are `0..block_count(rel)`; a relation never shrinks (blocks it
//!   frees go on its free list, in its pages: [`crate::btree::freelist`]).
//!
//! [`Overlay`] is one commit's private scratch space: trees opened on an [`OverlayStore`]
//! read the overlay's page if it has one, else the table's, and write only to the overlay.
//! Nothing reaches the table until [`PageTable::publish`], so a failed commit is dropped
//! without undo.
//!
//! In cached mode an overlay either may fetch a base page it misses ([`Fetch::Allowed`])
//! or may not ([`Fetch::Forbidden`], the serial step after a prepare phase pinned its
//! pages): a miss is then noted ([`Overlay::missed`]) and the read fails, so the commit
//! releases its mutex and prepares again instead of waiting on the pageserver under it.
//! Work a record may skip (sweeping and merging, [`super::space`]) reads *quietly*
//! ([`Overlay::set_quiet`]): a miss fails the read without being noted, and the work stops
//! there.
//!
//! ## Two modes
//! * **resident** ([`PageTable::new`]): every page in a map here — tests, WAL replay, a
//!   single-node embedded engine;
//! * **cached** ([`PageTable::cached`]): pages live in a [`PageCache`] over the pageserver.
//!   Publishing puts them in its dirty-page table; reads go dirty table → clean cache →
//!   pageserver. Relation sizes (`block_count`) are learned from the pageserver on first
//!   use ([`PageCache::relation_size`]) and kept here, raised by every publish.
//!   A read may now fail (pageserver unreachable, corrupt page): `get` returns a `Result`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use proto::page::Page;
use proto::{BlockNo, DecodedRecord, Lsn, PageKey, RelId};

use crate::btree::{ChangedPages, PageStore};
use crate::error::{Error, Result};
use crate::page_cache::PageCache;

#[derive(Default)]
struct Inner {
    pages: HashMap<PageKey, Arc<Page>>,
    blocks: HashMap<RelId, u32>,
}

/// Latest applied page versions, shared by every reader and the serial step.
#[derive(Default)]
pub struct PageTable {
    inner: RwLock<Inner>,
    /// `Some` in cached mode: pages live there, `inner.pages` stays empty and
    /// `inner.blocks` caches relation sizes learned from the pageserver.
    cache: Option<Arc<PageCache>>,
}

impl PageTable {
    /// An all-resident table.
    pub fn new() -> PageTable {
        PageTable::default()
    }

    /// A table whose pages live in `cache` (and the pageserver behind it).
    pub fn cached(cache: Arc<PageCache>) -> PageTable {
        PageTable {
            inner: RwLock::default(),
            cache: Some(cache),
        }
    }

    /// The page cache, in cached mode.
    pub fn cache(&self) -> Option<&Arc<PageCache>> {
        self.cache.as_ref()
    }

    fn read_inner(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // Publishing is a sequence of map inserts; a panic between two leaves a table that
        // is still a valid set of page versions, so poison is ignored.
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest version of `key`, if the page exists.
    pub fn get(&self, key: PageKey) -> Result<Option<Arc<Page>>> {
        self.get_with_readahead(key, 0)
    }

    /// [`PageTable::get`]; in cached mode a miss also fetches up to `readahead` following
    /// blocks of the relation in the same batch.
    pub fn get_with_readahead(&self, key: PageKey, readahead: u32) -> Result<Option<Arc<Page>>> {
        let Some(cache) = &self.cache else {
            return Ok(self.read_inner().pages.get(&key).cloned());
        };
        let ahead: Vec<PageKey> = if readahead == 0 {
            Vec::new()
        } else {
            let end = self
                .known_block_count(key.rel)
                .unwrap_or(0)
                .min(key.block.saturating_add(1).saturating_add(readahead));
            (key.block.saturating_add(1)..end)
                .map(|block| PageKey {
                    rel: key.rel,
                    block,
                })
                .collect()
        };
        cache
            .get_with_readahead(key, &ahead)
            .map_err(|e| e.into_core(key.block))
    }

    /// The version of `key` at the record boundary `lsn`, from the pageserver (cached
    /// mode only: a resident table keeps no history).
    pub fn get_at(&self, key: PageKey, lsn: Lsn) -> Result<Option<Arc<Page>>> {
        match &self.cache {
            Some(cache) => cache.get_at(key, lsn).map_err(|e| e.into_core(key.block)),
            None => Err(Error::PageUnavailable {
                block: key.block,
                reason: format!("no page versions at {lsn} without a pageserver"),
            }),
        }
    }

    fn known_block_count(&self, rel: RelId) -> Option<u32> {
        let known = self.read_inner().blocks.get(&rel).copied();
        match (&self.cache, known) {
            (None, k) => Some(k.unwrap_or(0)),
            (Some(_), k) => k,
        }
    }

    /// Number of blocks of `rel` if known without asking the pageserver.
    pub fn block_count_known(&self, rel: RelId) -> Option<u32> {
        self.known_block_count(rel)
    }

    /// Number of blocks of `rel` (in cached mode learned from the pageserver on first use).
    pub fn try_block_count(&self, rel: RelId) -> Result<u32> {
        if let Some(n) = self.known_block_count(rel) {
            return Ok(n);
        }
        let cache = self
            .cache
            .as_ref()
            .expect("only cached mode has unknown sizes");
        let n = cache.relation_size(rel).map_err(|e| e.into_core(0))?;
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let blocks = inner.blocks.entry(rel).or_insert(0);
        *blocks = (*blocks).max(n);
        Ok(*blocks)
    }

    /// Number of blocks of `rel`. If the pageserver cannot tell (cached mode), logs the
    /// error and answers `u32::MAX`, so the next page read fails with the real error
    /// instead of the relation looking empty.
    pub fn block_count(&self, rel: RelId) -> u32 {
        self.try_block_count(rel).unwrap_or_else(|e| {
            tracing::warn!(rel = rel.0, error = %e, "learn relation size");
            u32::MAX
        })
    }

    /// Number of pages held in memory (resident pages, or dirty pages in cached mode).
    pub fn len(&self) -> usize {
        match &self.cache {
            Some(c) => c.dirty_len(),
            None => self.read_inner().pages.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every page held in memory, in key order (for tests and checks): all pages of a
    /// resident table, the dirty pages of a cached one.
    pub fn pages(&self) -> BTreeMap<PageKey, Arc<Page>> {
        match &self.cache {
            Some(c) => c.dirty_pages().into_iter().collect(),
            None => self
                .read_inner()
                .pages
                .iter()
                .map(|(k, p)| (*k, p.clone()))
                .collect(),
        }
    }

    /// Publishes page versions in the given order (the record's publish order). Each page's
    /// header `page_lsn` is the end LSN of the record that wrote it.
    pub fn publish(&self, pages: impl IntoIterator<Item = (PageKey, Arc<Page>)>) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        for (key, page) in pages {
            let blocks = inner.blocks.entry(key.rel).or_insert(0);
            *blocks = (*blocks).max(key.block + 1);
            match &self.cache {
                Some(cache) => {
                    let end = proto::page::page_lsn(&page);
                    cache.publish(key, page, end);
                }
                None => {
                    inner.pages.insert(key, page);
                }
            }
        }
    }

    /// Applies one decoded WAL record with `proto::redo::apply`, page by page in record
    /// order, as the pageserver and read replicas do. Used to rebuild pages from a WAL.
    pub fn apply_record(&self, rec: &DecodedRecord) -> std::result::Result<(), proto::Error> {
        for change in &rec.record.page_changes {
            let old = self
                .get(change.key)
                .map_err(|e| proto::Error::InvalidMessage {
                    field: "page",
                    reason: e.to_string(),
                })?;
            let mut page: Box<Page> = match old {
                Some(p) => Box::new(*p),
                None => proto::page::zeroed_page(),
            };
            proto::redo::apply(&mut page, change, rec.end)?;
            self.publish([(change.key, Arc::from(page))]);
        }
        Ok(())
    }

    /// A read replica applies a committed record (cached mode only): relation sizes it
    /// knows are raised, and each change goes to the page cache
    /// ([`PageCache::apply_replicated`]: applied to a cached page, dropped otherwise).
    /// Returns `(applied, dropped)` change counts.
    pub fn apply_replicated(&self, rec: &DecodedRecord) -> (usize, usize) {
        let cache = self
            .cache
            .as_ref()
            .expect("a replica's pages live in a page cache");
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let (mut applied, mut dropped) = (0, 0);
        for change in &rec.record.page_changes {
            if let Some(blocks) = inner.blocks.get_mut(&change.key.rel) {
                *blocks = (*blocks).max(change.key.block + 1);
            }
            if cache.apply_replicated(change, rec.end) {
                applied += 1;
            } else {
                dropped += 1;
            }
        }
        (applied, dropped)
    }

    /// Rebuilds a page table from framed WAL bytes starting at the record boundary
    /// `start`. Returns the table and the end of the last whole record.
    pub fn replay(start: Lsn, wal: &[u8]) -> std::result::Result<(PageTable, Lsn), proto::Error> {
        let table = PageTable::new();
        let mut decoder = proto::WalDecoder::new(start);
        decoder.push(wal);
        let mut end = start;
        while let Some(rec) = decoder.next_record()? {
            table.apply_record(&rec)?;
            end = rec.end;
        }
        Ok((table, end))
    }
}

/// A read-only [`PageStore`] over one relation's latest pages (or, with `at`, its pages
/// as of an old snapshot, from the pageserver).
#[derive(Clone)]
pub struct RelPages {
    pub(super) table: Arc<PageTable>,
    pub(super) rel: RelId,
    /// Blocks to read ahead on a miss (range scans).
    pub(super) readahead: u32,
    /// Read the pages as of this LSN instead of the latest ones.
    pub(super) at: Option<Lsn>,
}

impl RelPages {
    /// The latest pages of `rel`.
    pub fn new(table: Arc<PageTable>, rel: RelId) -> RelPages {
        RelPages {
            table,
            rel,
            readahead: 0,
            at: None,
        }
    }

    /// The pages of `rel` as of the record boundary `lsn`, fetched from the pageserver
    /// and cached under `(key, lsn)`: what a reader whose snapshot is older than a page's
    /// `prune_lsn` re-traverses ([`crate::Error::NeedsOldSnapshot`]).
    pub fn at(table: Arc<PageTable>, rel: RelId, lsn: Lsn) -> RelPages {
        RelPages {
            at: Some(lsn),
            ..RelPages::new(table, rel)
        }
    }
}

impl PageStore for RelPages {
    fn read(&self, block: BlockNo) -> Result<Arc<Page>> {
        let key = PageKey {
            rel: self.rel,
            block,
        };
        let page = match self.at {
            Some(lsn) => self.table.get_at(key, lsn)?,
            None => self.table.get_with_readahead(key, self.readahead)?,
        };
        page.ok_or_else(|| Error::PageUnavailable {
            block,
            reason: format!("relation {} has no such block", self.rel.0),
        })
    }

    fn allocate(&mut self) -> Result<BlockNo> {
        Err(read_only(self.table.block_count(self.rel)))
    }

    fn write(&mut self, block: BlockNo, _page: Box<Page>) -> Result<()> {
        Err(read_only(block))
    }

    fn block_count(&self) -> u32 {
        self.table.block_count(self.rel)
    }
}

fn read_only(block: BlockNo) -> Error {
    Error::PageUnavailable {
        block,
        reason: "readers cannot write pages".into(),
    }
}

/// Whether an [`Overlay`] may fetch base pages it misses (cached mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    Allowed,
    /// A miss fails the read and is noted in [`Overlay::missed`].
    Forbidden,
}

/// One commit's private page versions over the shared table.
pub struct Overlay<'a> {
    base: &'a PageTable,
    fetch: Fetch,
    /// Base pages missed with [`Fetch::Forbidden`].
    missed: Mutex<Vec<PageKey>>,
    /// Misses fail reads without being noted ([`Overlay::set_quiet`]).
    quiet: AtomicBool,
    /// Base pages fetched from the pageserver (cached mode, [`Fetch::Allowed`]).
    fetched: AtomicUsize,
    /// Base pages this commit has read, pinned for its duration: each is fetched at most
    /// once, however many tree operations visit it (only the serial step publishes, and it
    /// is this commit, so they cannot go stale).
    pinned: Mutex<HashMap<PageKey, Option<Arc<Page>>>>,
    pages: HashMap<PageKey, Arc<Page>>,
    blocks: HashMap<RelId, u32>,
    changed: BTreeMap<RelId, ChangedPages>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a PageTable, fetch: Fetch) -> Overlay<'a> {
        Overlay {
            base,
            fetch,
            missed: Mutex::new(Vec::new()),
            quiet: AtomicBool::new(false),
            fetched: AtomicUsize::new(0),
            pinned: Mutex::new(HashMap::new()),
            pages: HashMap::new(),
            blocks: HashMap::new(),
            changed: BTreeMap::new(),
        }
    }

    /// The same base pages (already read ones stay pinned) with none of this overlay's
    /// writes: the serial step's second pass for a large commit.
    pub fn restart(self) -> Overlay<'a> {
        Overlay {
            pages: HashMap::new(),
            blocks: HashMap::new(),
            changed: BTreeMap::new(),
            fetched: AtomicUsize::new(0),
            ..self
        }
    }

    /// While set, a base page missed with [`Fetch::Forbidden`] fails the read without
    /// being noted in [`Overlay::missed`]: for optional work that stops at a miss instead
    /// of sending the commit back to prepare.
    pub fn set_quiet(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::Relaxed);
    }

    /// Base pages missed because fetching was forbidden.
    pub fn missed(&self) -> Vec<PageKey> {
        self.missed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Base pages fetched from the pageserver by this overlay.
    pub fn fetched(&self) -> usize {
        self.fetched.load(Ordering::Relaxed)
    }

    /// A page store for `rel` writing into this overlay.
    pub fn store(&mut self, rel: RelId) -> OverlayStore<'_, 'a> {
        OverlayStore { overlay: self, rel }
    }

    /// Records the pages a tree write changed.
    pub fn record(&mut self, rel: RelId, changed: ChangedPages) {
        self.changed.entry(rel).or_default().extend(changed);
    }

    /// The changed pages, per relation.
    pub fn changed(&self) -> &BTreeMap<RelId, ChangedPages> {
        &self.changed
    }

    pub fn is_empty(&self) -> bool {
        self.changed.values().all(ChangedPages::is_empty)
    }

    /// The page before this commit (`None` for a page this commit allocated).
    pub fn old(&self, key: PageKey) -> Result<Option<Arc<Page>>> {
        let mut pinned = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pinned.get(&key) {
            return Ok(p.clone());
        }
        let blocks = self.base_blocks(key.rel)?;
        // A block past the base's end is new in this commit: nothing to fetch.
        let page = if key.block >= blocks {
            None
        } else if let Some(cache) = self.base.cache() {
            match (cache.cached(key), self.fetch) {
                (Some(p), _) => Some(p),
                (None, Fetch::Forbidden) => return Err(self.miss(key)),
                (None, Fetch::Allowed) => {
                    self.fetched.fetch_add(1, Ordering::Relaxed);
                    // Commits walk keys in order, so the following blocks are likely next.
                    let readahead = cache.config().readahead;
                    self.base.get_with_readahead(key, readahead)?
                }
            }
        } else {
            self.base.get(key)?
        };
        pinned.insert(key, page.clone());
        Ok(page)
    }

    /// The base's number of blocks of `rel` (learning it is a fetch).
    fn base_blocks(&self, rel: RelId) -> Result<u32> {
        match (self.fetch, self.base.block_count_known(rel)) {
            (_, Some(n)) => Ok(n),
            (Fetch::Allowed, None) => self.base.try_block_count(rel),
            (Fetch::Forbidden, None) => Err(self.miss(PageKey { rel, block: 0 })),
        }
    }

    fn miss(&self, key: PageKey) -> Error {
        if !self.quiet.load(Ordering::Relaxed) {
            self.missed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(key);
        }
        Error::PageUnavailable {
            block: key.block,
            reason: format!("page {key} was not prepared"),
        }
    }

    /// The page as this commit leaves it.
    pub fn new_page(&self, key: PageKey) -> Result<Option<Arc<Page>>> {
        match self.pages.get(&key) {
            Some(p) => Ok(Some(p.clone())),
            None => self.old(key),
        }
    }
}

/// A [`PageStore`] for one relation of an [`Overlay`].
pub struct OverlayStore<'o, 'a> {
    overlay: &'o mut Overlay<'a>,
    rel: RelId,
}

impl PageStore for OverlayStore<'_, '_> {
    fn read(&self, block: BlockNo) -> Result<Arc<Page>> {
        let key = PageKey {
            rel: self.rel,
            block,
        };
        self.overlay
            .new_page(key)?
            .ok_or_else(|| Error::PageUnavailable {
                block,
                reason: format!("relation {} has no such block", self.rel.0),
            })
    }

    fn allocate(&mut self) -> Result<BlockNo> {
        let block = match self.overlay.blocks.get(&self.rel) {
            Some(n) => *n,
            None => self.overlay.base_blocks(self.rel)?,
        };
        let next = block.checked_add(1).ok_or_else(|| Error::PageUnavailable {
            block,
            reason: "relation has 2^32 blocks".into(),
        })?;
        self.overlay.blocks.insert(self.rel, next);
        self.overlay.pages.insert(
            PageKey {
                rel: self.rel,
                block,
            },
            Arc::new([0u8; proto::PAGE_SIZE]),
        );
        Ok(block)
    }

    fn write(&mut self, block: BlockNo, page: Box<Page>) -> Result<()> {
        if block >= self.block_count() {
            return Err(Error::PageUnavailable {
                block,
                reason: "write to an unallocated block".into(),
            });
        }
        self.overlay.pages.insert(
            PageKey {
                rel: self.rel,
                block,
            },
            Arc::from(page),
        );
        Ok(())
    }

    fn block_count(&self) -> u32 {
        self.overlay
            .blocks
            .get(&self.rel)
            .copied()
            .unwrap_or_else(|| self.overlay.base.block_count(self.rel))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::page_cache::{CacheConfig, PageCache};
    use crate::page_client::{PageClient, PageClientConfig};

    #[test]
    fn a_forbidden_overlay_notes_a_miss_instead_of_fetching() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        // Nothing listens there: a fetch would wait for its timeout and fail.
        let client = PageClient::connect(
            "127.0.0.1:1",
            proto::TimelineId::new("t", "main").expect("valid name"),
            rt.handle().clone(),
            PageClientConfig {
                request_timeout: Duration::from_secs(5),
                ..PageClientConfig::default()
            },
        )
        .expect("client");
        let cache = PageCache::new(client, CacheConfig::default(), Lsn(1000));
        let table = PageTable::cached(cache);
        let rel = RelId(7);
        for block in [0, 1, 3] {
            let key = PageKey { rel, block };
            table.publish([(key, Arc::new([block as u8 + 1; proto::PAGE_SIZE]))]);
        }
        let started = Instant::now();
        let ov = Overlay::new(&table, Fetch::Forbidden);
        let held = ov
            .old(PageKey { rel, block: 1 })
            .expect("a dirty page is held");
        assert_eq!(held.map(|p| p[100]), Some(2));
        let missing = PageKey { rel, block: 2 };
        assert!(matches!(
            ov.old(missing),
            Err(Error::PageUnavailable { block: 2, .. })
        ));
        assert_eq!(
            ov.old(PageKey { rel, block: 4 }).expect("past the end"),
            None,
            "a block this commit would allocate needs no page"
        );
        // A relation whose size is unknown would need the pageserver too.
        let unknown = PageKey {
            rel: RelId(8),
            block: 0,
        };
        assert!(ov.old(unknown).is_err());
        assert_eq!(ov.missed(), vec![missing, unknown]);
        assert_eq!(ov.fetched(), 0);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "it did not wait"
        );
    }
}
