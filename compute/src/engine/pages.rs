//! The in-memory page table and the copy-on-write overlay the serial step writes into.
//!
//! [`PageTable`] maps every [`PageKey`] to the **latest applied** version of that page, as an
//! `Arc<Page>`. Readers take a clone of one `Arc` per page step (the read lock is held only
//! for the lookup), so a reader that holds an older version of a page keeps a consistent
//! copy of it while the serial step publishes newer ones; B-link right-links and fence keys
//! make any mix of old and new pages correct (see [`crate::btree`]). In this slice every page
//! is resident; the page cache with eviction and the pageserver client replace the table
//! later behind the same two operations (read the latest version, publish a new one).
//!
//! Invariants:
//! * only the serial step (under the engine's commit mutex) publishes, and it publishes the
//!   pages of one record exactly as `proto::redo::apply` produced them (header `page_lsn` =
//!   the record's end LSN, header CRC valid);
//! * blocks of a relation are `0..block_count(rel)`; a block is never freed.
//!
//! [`Overlay`] is one commit's private scratch space: trees opened on an [`OverlayStore`]
//! read the overlay's page if it has one, else the table's, and write only to the overlay.
//! Nothing reaches the table until [`PageTable::publish`], so a failed commit is dropped
//! without undo.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use proto::page::Page;
use proto::{BlockNo, DecodedRecord, Lsn, PageKey, RelId};

use crate::btree::{ChangedPages, PageStore};
use crate::error::{Error, Result};

#[derive(Default)]
struct Inner {
    pages: HashMap<PageKey, Arc<Page>>,
    blocks: HashMap<RelId, u32>,
}

/// Latest applied page versions, shared by every reader and the serial step.
#[derive(Default)]
pub struct PageTable {
    inner: RwLock<Inner>,
}

impl PageTable {
    pub fn new() -> PageTable {
        PageTable::default()
    }

    fn read_inner(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // Publishing is a sequence of map inserts; a panic between two leaves a table that
        // is still a valid set of page versions, so poison is ignored.
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest version of `key`, if the page exists.
    pub fn get(&self, key: PageKey) -> Option<Arc<Page>> {
        self.read_inner().pages.get(&key).cloned()
    }

    /// Number of blocks of `rel`.
    pub fn block_count(&self, rel: RelId) -> u32 {
        self.read_inner().blocks.get(&rel).copied().unwrap_or(0)
    }

    /// Number of pages held.
    pub fn len(&self) -> usize {
        self.read_inner().pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every page, in key order (for tests and checks).
    pub fn pages(&self) -> BTreeMap<PageKey, Arc<Page>> {
        self.read_inner()
            .pages
            .iter()
            .map(|(k, p)| (*k, p.clone()))
            .collect()
    }

    /// Publishes page versions in the given order (the record's publish order).
    pub fn publish(&self, pages: impl IntoIterator<Item = (PageKey, Arc<Page>)>) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        for (key, page) in pages {
            let blocks = inner.blocks.entry(key.rel).or_insert(0);
            *blocks = (*blocks).max(key.block + 1);
            inner.pages.insert(key, page);
        }
    }

    /// Applies one decoded WAL record with `proto::redo::apply`, page by page in record
    /// order, as the pageserver and read replicas do. Used to rebuild pages from a WAL.
    pub fn apply_record(&self, rec: &DecodedRecord) -> std::result::Result<(), proto::Error> {
        for change in &rec.record.page_changes {
            let mut page: Box<Page> = match self.get(change.key) {
                Some(p) => Box::new(*p),
                None => proto::page::zeroed_page(),
            };
            proto::redo::apply(&mut page, change, rec.end)?;
            self.publish([(change.key, Arc::from(page))]);
        }
        Ok(())
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

/// A read-only [`PageStore`] over one relation's latest pages.
#[derive(Clone)]
pub struct RelPages {
    pub(super) table: Arc<PageTable>,
    pub(super) rel: RelId,
}

impl PageStore for RelPages {
    fn read(&self, block: BlockNo) -> Result<Arc<Page>> {
        self.table
            .get(PageKey {
                rel: self.rel,
                block,
            })
            .ok_or_else(|| Error::PageUnavailable {
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

/// One commit's private page versions over the shared table.
pub struct Overlay<'a> {
    base: &'a PageTable,
    pages: HashMap<PageKey, Arc<Page>>,
    blocks: HashMap<RelId, u32>,
    changed: BTreeMap<RelId, ChangedPages>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a PageTable) -> Overlay<'a> {
        Overlay {
            base,
            pages: HashMap::new(),
            blocks: HashMap::new(),
            changed: BTreeMap::new(),
        }
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
    pub fn old(&self, key: PageKey) -> Option<Arc<Page>> {
        self.base.get(key)
    }

    /// The page as this commit leaves it.
    pub fn new_page(&self, key: PageKey) -> Option<Arc<Page>> {
        self.pages.get(&key).cloned().or_else(|| self.base.get(key))
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
            .new_page(key)
            .ok_or_else(|| Error::PageUnavailable {
                block,
                reason: format!("relation {} has no such block", self.rel.0),
            })
    }

    fn allocate(&mut self) -> Result<BlockNo> {
        let block = self.block_count();
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
