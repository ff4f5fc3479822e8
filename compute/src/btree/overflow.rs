//! Out-of-line values (TOAST-like): a leaf entry whose value does not fit keeps a
//! prefix of it in line and an [`OverflowRef`] to the rest, stored in overflow pages
//! of the same relation.
//!
//! ```text
//!  leaf entry:  key_len|EXTERNAL | key | in-line prefix | len u64 | crc32c u32 | dir u32
//!                                                                              │
//!      ┌───────────────────────────────────────────────────────────────────────┘
//!      ▼
//!  directory page ──right-link──▶ directory page ──▶ …        (kind Overflow, DIRECTORY)
//!   [tag][data block, data block, …]
//!          │            │
//!          ▼            ▼
//!   data page 0    data page 1   …                             (kind Overflow, DATA)
//!   [tag][bytes]   [tag][bytes]
//! ```
//!
//! Every overflow page is a slotted page with two items: a **tag** (the value's
//! reference followed by the page's sequence number, u32 LE) and a **body** (a chunk of
//! the value, or the data pages' block numbers, u32 LE each). A reader checks every tag,
//! then the whole value's length and CRC32C, so a page that no longer belongs to the
//! value — a reader with a stale reference whose blocks were freed and reused, or
//! corruption — is never taken for it: at a snapshot older than the latest state the
//! read fails with [`Error::NeedsOldSnapshot`] (the caller re-reads at its snapshot from
//! the pageserver, which still has the pages), at the latest state with
//! [`Error::Corrupt`].
//!
//! **Why pages of the same relation, reached through a directory** (rather than a
//! per-relation overflow B-tree keyed by (row key, version, chunk) or a chain): the
//! pages are allocated and freed through the relation's own free list, so they are
//! reused like any other block, written in the same WAL record as the entry that refers
//! to them (large values in the records ahead of their commit, unreachable until it),
//! and covered by the relation's `DropRelation` tombstone with no catalog change; no
//! second tree and no extra key space are needed. The directory lets a reader ask for
//! every data page of a value in one batch (a chain would cost one round trip per page
//! to a pageserver) and lets a prune free a value by reading only its directory pages,
//! never its data.
//!
//! Pages are written once and never modified: a new value (an update) gets new pages,
//! and the in-line prefix of an entry (MVCC's `deleted` stamp) changes without
//! touching them ([`super::BTree::replace_prefix`]). A value's pages are freed when the
//! entry referring to it is deleted, replaced by another value, or pruned. Freeing does
//! not rewrite them: they keep their bytes until the free list hands the blocks out
//! again, which happens only once no reader can still hold the reference.

use proto::page::Page;
use proto::{BlockNo, Lsn};

use super::{BTree, ChangedPages, PageStore};
use crate::error::{Error, Result};
use crate::slotted_page::{PageKind, SLOT_SIZE, SlottedPage};

/// Bytes of an encoded [`OverflowRef`].
pub const REF_LEN: usize = 16;
/// Bytes of a page's tag: the reference and a sequence number.
const TAG_LEN: usize = REF_LEN + 4;
/// Page flag: a directory page.
const DIRECTORY: u8 = 1;
/// Page flag: a data page.
const DATA: u8 = 2;

/// Where an out-of-line value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OverflowRef {
    /// The value's length in bytes.
    pub len: u64,
    /// CRC32C of the value.
    pub crc: u32,
    /// The first directory page.
    pub dir: BlockNo,
}

impl OverflowRef {
    /// `len u64 LE | crc u32 LE | dir u32 LE`.
    pub fn encode(&self) -> [u8; REF_LEN] {
        let mut out = [0u8; REF_LEN];
        out[..8].copy_from_slice(&self.len.to_le_bytes());
        out[8..12].copy_from_slice(&self.crc.to_le_bytes());
        out[12..].copy_from_slice(&self.dir.to_le_bytes());
        out
    }

    /// Decodes a reference read from `block`.
    pub fn decode(block: BlockNo, bytes: &[u8]) -> Result<OverflowRef> {
        let b: [u8; REF_LEN] = bytes
            .try_into()
            .map_err(|_| Error::corrupt(block, "overflow reference of the wrong length"))?;
        Ok(OverflowRef {
            len: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
            crc: u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")),
            dir: u32::from_le_bytes(b[12..].try_into().expect("4 bytes")),
        })
    }

    fn tag(&self, seq: u32) -> [u8; TAG_LEN] {
        let mut out = [0u8; TAG_LEN];
        out[..REF_LEN].copy_from_slice(&self.encode());
        out[REF_LEN..].copy_from_slice(&seq.to_le_bytes());
        out
    }
}

/// The pages of one value, as its directory lists them.
#[derive(Debug, Default)]
pub struct OverflowPages {
    pub directory: Vec<BlockNo>,
    pub data: Vec<BlockNo>,
}

impl<S: PageStore> BTree<S> {
    /// Bytes of a value per data page (overflow pages fill what a node may).
    fn chunk_len(&self) -> usize {
        self.limits.fill - 2 * SLOT_SIZE - TAG_LEN
    }

    /// Data block numbers per directory page.
    fn blocks_per_directory(&self) -> usize {
        self.chunk_len() / 4
    }

    /// Stores `data` in new overflow pages (from the free list when it can) and
    /// returns its reference; the pages are recorded as new in `changed`.
    pub(super) fn write_overflow(
        &mut self,
        data: &[u8],
        changed: &mut ChangedPages,
    ) -> Result<OverflowRef> {
        let chunk = self.chunk_len();
        let per_dir = self.blocks_per_directory();
        let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
        let dirs_needed = chunks.len().div_ceil(per_dir).max(1);
        let mut dirs = Vec::with_capacity(dirs_needed);
        for _ in 0..dirs_needed {
            dirs.push(self.allocate(changed)?);
        }
        let mut blocks = Vec::with_capacity(chunks.len());
        for _ in 0..chunks.len() {
            blocks.push(self.allocate(changed)?);
        }
        let oref = OverflowRef {
            len: data.len() as u64,
            crc: crc32c::crc32c(data),
            dir: dirs[0],
        };
        for (seq, (&block, bytes)) in blocks.iter().zip(&chunks).enumerate() {
            let page = overflow_page(block, DATA, &oref.tag(seq as u32), bytes, None)?;
            self.store.write(block, page)?;
            changed.record_other(block, true);
        }
        for (seq, &dir) in dirs.iter().enumerate() {
            let listed = blocks.iter().skip(seq * per_dir).take(per_dir);
            let body: Vec<u8> = listed.flat_map(|b| b.to_le_bytes()).collect();
            let next = dirs.get(seq + 1).copied();
            let page = overflow_page(dir, DIRECTORY, &oref.tag(seq as u32), &body, next)?;
            self.store.write(dir, page)?;
            changed.record_other(dir, true);
        }
        Ok(oref)
    }

    /// The value `oref` refers to, read by a reader at `snapshot` (see the module docs
    /// for what a page that does not belong to it means).
    pub fn read_overflow(&self, oref: &OverflowRef, snapshot: Lsn) -> Result<Vec<u8>> {
        let pages = self.overflow_pages(oref, snapshot)?;
        self.store.prefetch(&pages.data);
        let len = usize::try_from(oref.len)
            .map_err(|_| Error::corrupt(oref.dir, "overflow value longer than memory"))?;
        let mut out = Vec::with_capacity(len);
        for (seq, &block) in pages.data.iter().enumerate() {
            let page = self.store.read(block)?;
            let body = checked_body(block, &page, DATA, oref, seq as u32, snapshot)?;
            if out.len() + body.len() > len {
                return Err(stale(
                    block,
                    snapshot,
                    "overflow data past the value's length",
                ));
            }
            out.extend_from_slice(body);
        }
        if out.len() != len || crc32c::crc32c(&out) != oref.crc {
            return Err(stale(
                oref.dir,
                snapshot,
                "overflow value of the wrong length or CRC",
            ));
        }
        Ok(out)
    }

    /// The directory and data pages of `oref`, from its directory pages.
    pub fn overflow_pages(&self, oref: &OverflowRef, snapshot: Lsn) -> Result<OverflowPages> {
        let mut pages = OverflowPages::default();
        let mut next = Some(oref.dir);
        while let Some(dir) = next {
            if pages.directory.len() > self.store.block_count() as usize {
                return Err(Error::corrupt(dir, "overflow directory forms a cycle"));
            }
            let page = self.store.read(dir)?;
            let seq = pages.directory.len() as u32;
            let body = checked_body(dir, &page, DIRECTORY, oref, seq, snapshot)?;
            pages.data.extend(
                body.chunks_exact(4)
                    .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes"))),
            );
            next = SlottedPage::open(dir, &*page)?.right_link();
            pages.directory.push(dir);
        }
        Ok(pages)
    }

    /// Puts every page of `oref` on the free list (reading only its directory).
    pub(super) fn free_overflow(
        &mut self,
        oref: &OverflowRef,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        let pages = self.overflow_pages(oref, Lsn::MAX)?;
        self.free_overflow_pages(pages, changed)
    }

    /// Puts `pages` (read with [`BTree::overflow_pages`]) on the free list.
    pub(super) fn free_overflow_pages(
        &mut self,
        pages: OverflowPages,
        changed: &mut ChangedPages,
    ) -> Result<()> {
        for block in pages.data.into_iter().chain(pages.directory) {
            self.free_block(block, changed)?;
        }
        Ok(())
    }
}

/// Formats an overflow page.
fn overflow_page(
    block: BlockNo,
    flags: u8,
    tag: &[u8],
    body: &[u8],
    right: Option<BlockNo>,
) -> Result<Box<Page>> {
    let mut sp = SlottedPage::init(block, proto::page::zeroed_page(), PageKind::Overflow, 0);
    sp.set_flags(flags);
    sp.set_right_link(right);
    sp.insert(0, tag)?;
    sp.insert(1, body)?;
    Ok(sp.into_page())
}

/// The body of an overflow page, after checking that it is page `seq` of kind `flags`
/// of the value `oref`.
fn checked_body<'p>(
    block: BlockNo,
    page: &'p Page,
    flags: u8,
    oref: &OverflowRef,
    seq: u32,
    snapshot: Lsn,
) -> Result<&'p [u8]> {
    let sp = match SlottedPage::open(block, page) {
        Ok(sp) => sp,
        Err(e) if snapshot == Lsn::MAX => return Err(e),
        Err(_) => return Err(stale(block, snapshot, "not a slotted page")),
    };
    let ok = sp.kind() == PageKind::Overflow
        && sp.flags() == flags
        && sp.item_count() == 2
        && sp.item(0)? == oref.tag(seq).as_slice();
    if !ok {
        return Err(stale(block, snapshot, "not a page of this overflow value"));
    }
    let (start, end) = sp.item_range(1)?;
    Ok(&page[start..end])
}

/// A page that does not belong to the value: a stale reference at an old snapshot
/// (re-read it from storage at the snapshot), corruption at the latest state.
fn stale(block: BlockNo, snapshot: Lsn, reason: &str) -> Error {
    if snapshot == Lsn::MAX {
        Error::corrupt(block, reason)
    } else {
        Error::NeedsOldSnapshot {
            block,
            snapshot,
            prune_lsn: Lsn::MAX,
        }
    }
}
