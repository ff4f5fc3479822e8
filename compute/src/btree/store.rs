//! Where B+tree pages live: the [`PageStore`] trait and [`MemPageStore`].
//!
//! A store maps block numbers of one relation to 8 KiB pages. Pages are
//! handed out as `Arc<Page>` snapshots and replaced wholesale on write
//! (copy-on-write), so a reader holding an older `Arc` keeps a consistent
//! copy of that page while the writer publishes newer ones — exactly the
//! situation B-link trees are built for. The real implementation is the
//! compute's page cache (dirty-page table + pageserver fetches); tests use
//! [`MemPageStore`].
//!
//! The store does not seal pages (CRC, `page_lsn`): redo does, at commit.

use std::sync::Arc;

use proto::BlockNo;
use proto::page::Page;

use crate::error::{Error, Result};

/// Pages of one relation, by block number.
pub trait PageStore {
    /// The current version of `block`.
    fn read(&self, block: BlockNo) -> Result<Arc<Page>>;
    /// Allocates a new, all-zero block and returns its number.
    fn allocate(&mut self) -> Result<BlockNo>;
    /// Publishes a new version of `block`.
    fn write(&mut self, block: BlockNo, page: Box<Page>) -> Result<()>;
    /// Number of allocated blocks (blocks are `0..block_count()`).
    fn block_count(&self) -> u32;
    /// A hint that `blocks` are about to be read (an out-of-line value's pages): a
    /// store over a remote source may fetch them in one batch. Nothing by default.
    fn prefetch(&self, _blocks: &[BlockNo]) {}
}

/// An in-memory [`PageStore`]. Cloning it is cheap (it shares pages) and
/// gives a frozen view of the store at that moment.
#[derive(Clone, Default)]
pub struct MemPageStore {
    pages: Vec<Arc<Page>>,
}

impl MemPageStore {
    pub fn new() -> MemPageStore {
        MemPageStore::default()
    }

    /// Every page, block 0 first.
    pub fn into_pages(self) -> Vec<Arc<Page>> {
        self.pages
    }
}

impl PageStore for MemPageStore {
    fn read(&self, block: BlockNo) -> Result<Arc<Page>> {
        self.pages
            .get(block as usize)
            .cloned()
            .ok_or_else(|| Error::PageUnavailable {
                block,
                reason: format!("only {} blocks allocated", self.pages.len()),
            })
    }

    fn allocate(&mut self) -> Result<BlockNo> {
        let block = BlockNo::try_from(self.pages.len()).map_err(|_| Error::PageUnavailable {
            block: BlockNo::MAX,
            reason: "relation has 2^32 blocks".into(),
        })?;
        // Pages are replaced wholesale on write, so every new block can share one zero
        // page (a bulk load allocates thousands and writes each once).
        static ZERO: std::sync::OnceLock<Arc<Page>> = std::sync::OnceLock::new();
        let zero = ZERO.get_or_init(|| Arc::from(proto::page::zeroed_page()));
        self.pages.push(Arc::clone(zero));
        Ok(block)
    }

    fn write(&mut self, block: BlockNo, page: Box<Page>) -> Result<()> {
        let slot = self
            .pages
            .get_mut(block as usize)
            .ok_or_else(|| Error::PageUnavailable {
                block,
                reason: "write to an unallocated block".into(),
            })?;
        *slot = Arc::from(page);
        Ok(())
    }

    fn block_count(&self) -> u32 {
        self.pages.len() as u32
    }
}
