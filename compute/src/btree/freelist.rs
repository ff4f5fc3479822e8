//! A relation's free list: blocks no page of the tree refers to any more, each with the
//! LSN of the record that freed it, handed out again once no reader can reach them.
//!
//! ```text
//!  root (block 0): aux0 = head ─┐              aux1 = tail ─┐
//!                               ▼                           ▼
//!   [free-list page] ──right──▶ [free-list page] ──right──▶ [free-list page] ──▶ [spare] ──▶ …
//!    (stamp, block) oldest …                      … newest    (empty)
//! ```
//!
//! Free-list pages (kind [`PageKind::FreeList`]) hold entries `stamp u64 BE | block u32
//! BE`, oldest first. [`BTree::free_block`] appends at the tail, stamped with the start
//! LSN of the record doing the freeing ([`super::Space::stamp`]); [`BTree::allocate`]
//! takes the head entry if its stamp is below [`super::Space::reuse_below`] — and below
//! the current record's own stamp, so a block is never freed and reused by one record —
//! and otherwise extends the relation. Records are applied in LSN order, so stamps never
//! decrease from head to tail: if the head is not reusable, nothing is. A head page
//! emptied by allocations moves behind the tail as a spare for later appends, so
//! free-list pages are never freed themselves and the list's pages stay bounded by its
//! longest length.
//!
//! **The reuse rule.** A block freed by the record starting at `L` is reused only by a
//! record whose reuse horizon is past `L` — the same rule as pruning a version deleted at
//! `L` (see [`crate::mvcc`]). The engine's horizon is the oldest snapshot still reading
//! this compute's latest pages (and the oldest lease on them); every such reader began
//! after the freeing record was published, so none of them holds a page that still
//! links to the block. Readers at older snapshots read from the pageserver, which
//! serves every page as of its LSN, so a block's reuse never shows them the new
//! content.
//!
//! Every change here is a page change of the record doing it (the root's `aux` words
//! and the free-list pages), so the free list is as durable as the tree, rebuilt by
//! redo like any page, and the same on the pageserver and replicas.

use proto::page::{Page, zeroed_page};
use proto::{BlockNo, Lsn};

use super::{BTree, ChangedPages, PageStore, ROOT};
use crate::error::{Error, Result};
use crate::slotted_page::{PageKind, SLOT_SIZE, SlottedPage};

/// Bytes of one free-list entry.
const ENTRY_LEN: usize = 12;

/// The root's spare words: `aux0` is the first free-list page, `aux1` the last one
/// holding entries (0: no free-list page yet — block 0 is the root, never free).
const HEAD: usize = 0;
const TAIL: usize = 1;

fn entry(stamp: Lsn, block: BlockNo) -> [u8; ENTRY_LEN] {
    let mut out = [0u8; ENTRY_LEN];
    out[..8].copy_from_slice(&stamp.0.to_be_bytes());
    out[8..].copy_from_slice(&block.to_be_bytes());
    out
}

fn parse(page_block: BlockNo, bytes: &[u8]) -> Result<(Lsn, BlockNo)> {
    let b: [u8; ENTRY_LEN] = bytes
        .try_into()
        .map_err(|_| Error::corrupt(page_block, "free-list entry of the wrong length"))?;
    Ok((
        Lsn(u64::from_be_bytes(b[..8].try_into().expect("8 bytes"))),
        u32::from_be_bytes(b[8..].try_into().expect("4 bytes")),
    ))
}

/// A relation's free list, read whole (for checks and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreeList {
    /// Free-list pages, head first, spares last.
    pub pages: Vec<BlockNo>,
    /// Free blocks with the start LSN of the record that freed them, oldest first.
    pub entries: Vec<(Lsn, BlockNo)>,
}

impl<S: PageStore> BTree<S> {
    /// Entries per free-list page.
    fn free_list_capacity(&self) -> usize {
        self.limits.fill / (ENTRY_LEN + SLOT_SIZE)
    }

    fn root_free_list(&self) -> Result<(BlockNo, BlockNo)> {
        let root = self.store.read(ROOT)?;
        let sp = SlottedPage::open(ROOT, &*root)?;
        Ok((sp.aux(HEAD), sp.aux(TAIL)))
    }

    /// Rewrites the root's free-list words (the root's entries are untouched).
    fn set_root_free_list(
        &mut self,
        head: BlockNo,
        tail: BlockNo,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        let mut root: Box<Page> = Box::new(*self.store.read(ROOT)?);
        let mut sp = SlottedPage::open(ROOT, &mut *root)?;
        sp.set_aux(HEAD, head);
        sp.set_aux(TAIL, tail);
        let level = sp.level();
        self.store.write(ROOT, root)?;
        changed.record(ROOT, level, false);
        Ok(())
    }

    fn read_free_page(&self, block: BlockNo) -> Result<Box<Page>> {
        let page: Box<Page> = Box::new(*self.store.read(block)?);
        if SlottedPage::open(block, &*page)?.kind() != PageKind::FreeList {
            return Err(Error::corrupt(
                block,
                "free-list link to a page of another kind",
            ));
        }
        Ok(page)
    }

    fn write_free_page(
        &mut self,
        block: BlockNo,
        page: Box<Page>,
        is_new: bool,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        self.store.write(block, page)?;
        changed.record_other(block, is_new);
        Ok(())
    }

    /// Reads every page a [`BTree::free_block`] or [`BTree::allocate`] may read, so that
    /// a store that can fail a read fails here, before the caller writes anything.
    pub(super) fn touch_free_list(&self) -> Result<()> {
        let (head, tail) = self.root_free_list()?;
        if head != 0 {
            self.read_free_page(head)?;
            let tail_page = self.read_free_page(tail)?;
            if let Some(spare) = SlottedPage::open(tail, &*tail_page)?.right_link() {
                self.read_free_page(spare)?;
            }
        }
        Ok(())
    }

    /// A block for a new page: the oldest free block if it may be reused (see the
    /// module docs), else a new block past the relation's end.
    pub(super) fn allocate(&mut self, changed: &mut ChangedPages) -> Result<BlockNo> {
        match self.reuse_block(changed)? {
            Some(block) => Ok(block),
            None => self.store.allocate(),
        }
    }

    fn reuse_block(&mut self, changed: &mut ChangedPages) -> Result<Option<BlockNo>> {
        let Some(horizon) = self.space.reuse_below else {
            return Ok(None);
        };
        let horizon = horizon.min(self.space.stamp);
        let (head, tail) = self.root_free_list()?;
        if head == 0 {
            return Ok(None);
        }
        let mut page = self.read_free_page(head)?;
        let mut sp = SlottedPage::open(head, &mut *page)?;
        if sp.item_count() == 0 {
            return Ok(None);
        }
        let (stamp, block) = parse(head, sp.item(0)?)?;
        if stamp >= horizon {
            return Ok(None);
        }
        sp.delete(0)?;
        if sp.item_count() == 0 && head != tail {
            // The emptied head page becomes a spare behind the tail.
            let next = sp.right_link().ok_or_else(|| {
                Error::corrupt(head, "free-list head before the tail without a link")
            })?;
            let mut tail_page = self.read_free_page(tail)?;
            let mut tail_sp = SlottedPage::open(tail, &mut *tail_page)?;
            sp.set_right_link(tail_sp.right_link());
            tail_sp.set_right_link(Some(head));
            sp.compact()?;
            self.write_free_page(head, page, false, changed)?;
            self.write_free_page(tail, tail_page, false, changed)?;
            self.set_root_free_list(next, tail, changed)?;
        } else {
            self.write_free_page(head, page, false, changed)?;
        }
        tracing::trace!(block, %stamp, "reuse a free block");
        Ok(Some(block))
    }

    /// Puts `block` on the free list, stamped with [`super::Space::stamp`]. Nothing may
    /// refer to it any more (a dead node's old neighbours may still link to it: readers
    /// that could follow them predate the stamp).
    pub(super) fn free_block(&mut self, block: BlockNo, changed: &mut ChangedPages) -> Result<()> {
        if block == ROOT {
            return Err(Error::corrupt(ROOT, "the root cannot be freed"));
        }
        let item = entry(self.space.stamp, block);
        let cap = self.free_list_capacity();
        let (head, tail) = self.root_free_list()?;
        if tail != 0 {
            let mut page = self.read_free_page(tail)?;
            let mut sp = SlottedPage::open(tail, &mut *page)?;
            if sp.item_count() < cap {
                let n = sp.item_count();
                sp.insert(n, &item)?;
                return self.write_free_page(tail, page, false, changed);
            }
            if let Some(spare) = sp.right_link() {
                let mut spare_page = self.read_free_page(spare)?;
                let mut spare_sp = SlottedPage::open(spare, &mut *spare_page)?;
                if spare_sp.item_count() != 0 {
                    return Err(Error::corrupt(
                        spare,
                        "a spare free-list page holds entries",
                    ));
                }
                spare_sp.insert(0, &item)?;
                self.write_free_page(spare, spare_page, false, changed)?;
                return self.set_root_free_list(head, spare, changed);
            }
            let new = self.store.allocate()?;
            sp.set_right_link(Some(new));
            self.write_free_page(tail, page, false, changed)?;
            self.write_free_page(new, free_page(new, &item)?, true, changed)?;
            return self.set_root_free_list(head, new, changed);
        }
        let new = self.store.allocate()?;
        self.write_free_page(new, free_page(new, &item)?, true, changed)?;
        self.set_root_free_list(new, new, changed)
    }

    /// The whole free list (for checks and tests).
    pub fn free_list(&self) -> Result<FreeList> {
        let (head, tail) = self.root_free_list()?;
        let mut list = FreeList::default();
        let mut next = (head != 0).then_some(head);
        let mut past_tail = false;
        while let Some(block) = next {
            if list.pages.len() > self.store.block_count() as usize {
                return Err(Error::corrupt(block, "free-list pages form a cycle"));
            }
            let page = self.read_free_page(block)?;
            let sp = SlottedPage::open(block, &*page)?;
            if past_tail && sp.item_count() != 0 {
                return Err(Error::corrupt(block, "entries past the free list's tail"));
            }
            for i in 0..sp.item_count() {
                list.entries.push(parse(block, sp.item(i)?)?);
            }
            list.pages.push(block);
            past_tail |= block == tail;
            next = sp.right_link();
        }
        if head != 0 && !past_tail {
            return Err(Error::corrupt(tail, "free-list tail not on the list"));
        }
        Ok(list)
    }
}

/// A new free-list page holding `item`.
fn free_page(block: BlockNo, item: &[u8]) -> Result<Box<Page>> {
    let mut sp = SlottedPage::init(block, zeroed_page(), PageKind::FreeList, 0);
    sp.insert(0, item)?;
    Ok(sp.into_page())
}
