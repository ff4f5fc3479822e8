//! The slotted page: how the compute lays out the bytes proto leaves it.
//!
//! proto owns the first [`PAGE_HEADER_SIZE`] (12) bytes of every 8 KiB page
//! (`page_lsn`, CRC32C). This module owns the next [`HEADER_SIZE`]` - 12`
//! bytes — the compute header — and the slot/item area behind it:
//!
//! ```text
//!  0        8      12         20   21    22     24      26     28        32     36     40
//!  +--------+------+----------+----+-----+------+-------+------+---------+------+------+
//!  |page_lsn| crc  |prune_lsn |kind|flags|level |n_items|upper |right    | aux0 | aux1 |
//!  | (proto)|(prot)|  u64     | u8 | u8  | u16  |  u16  | u16  |link u32 | u32  | u32  |
//!  +--------+------+----------+----+-----+------+-------+------+---------+------+------+
//!  40                                  lower = 40 + 4*n_items
//!  +---------+---------+-----+---------+- - - - free - - - -+------+------+------+
//!  | slot 0  | slot 1  | ... | slot n-1|                    |item k| ...  |item 0|
//!  |off u16  |off u16  |     |         |                    |      |      |      |
//!  |len u16  |len u16  |     |         |                    |      |      |      |
//!  +---------+---------+-----+---------+- - - - - - - - - - +------+------+------+
//!                                                         upper              8192
//! ```
//!
//! All integers are little-endian. The slot array grows from the front, item
//! data from the back; slot order is the logical item order (the B+tree keeps
//! it sorted), data order is whatever insertion left behind. Deleting an item
//! removes its slot and leaves a hole in the data area; an insert that finds
//! too little contiguous space but enough total space [`compacts`] first.
//!
//! `right_link` is [`NO_RIGHT_LINK`] (`u32::MAX`) when there is no right
//! sibling. `kind` 0 is a never-initialised (all-zero) page; see [`PageKind`].
//! `aux0` and `aux1` are two spare words whose meaning belongs to the page's
//! user (zero unless set): a B-tree root keeps its relation's free list there
//! ([`crate::btree::freelist`]).
//!
//! Invariants (checked by [`SlottedPage::open`] for the header, by every item
//! access for that item's slot, and by [`SlottedPage::check`] for everything):
//! `HEADER_SIZE + 4 * n_items <= upper <= PAGE_SIZE`, and every slot's
//! `[off, off + len)` lies within `[upper, PAGE_SIZE)` without overlapping
//! another. A corrupt page therefore yields [`Error::Corrupt`], never a panic.
//!
//! [`compacts`]: SlottedPage::compact

use std::ops::{Deref, DerefMut};

use proto::page::{PAGE_HEADER_SIZE, PAGE_SIZE, Page};
use proto::{BlockNo, Lsn};

use crate::error::{Error, Result};

/// End of the compute header: the slot array starts here.
pub const HEADER_SIZE: usize = 40;
/// Bytes per slot (`offset u16, len u16`).
pub const SLOT_SIZE: usize = 4;
/// Bytes available for slots and items on an empty page.
pub const USABLE_SIZE: usize = PAGE_SIZE - HEADER_SIZE;
/// `right_link` value meaning "no right sibling".
pub const NO_RIGHT_LINK: u32 = u32::MAX;

const PRUNE_LSN: usize = PAGE_HEADER_SIZE; // u64
const KIND: usize = 20; // u8
const FLAGS: usize = 21; // u8
const LEVEL: usize = 22; // u16
const ITEM_COUNT: usize = 24; // u16
const UPPER: usize = 26; // u16
const RIGHT_LINK: usize = 28; // u32
const AUX: usize = 32; // 2 × u32

/// What a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PageKind {
    /// A B+tree node (leaf when level is 0), live or dead.
    BTreeNode = 1,
    /// A page of an out-of-line value ([`crate::btree::overflow`]).
    Overflow = 2,
    /// A page of a relation's free list ([`crate::btree::freelist`]).
    FreeList = 3,
}

impl PageKind {
    fn from_u8(b: u8) -> Option<PageKind> {
        match b {
            1 => Some(PageKind::BTreeNode),
            2 => Some(PageKind::Overflow),
            3 => Some(PageKind::FreeList),
            _ => None,
        }
    }
}

/// A view of a page as a slotted page. `P` is `&Page`, `Box<Page>`, … for
/// reads; mutation needs `P: DerefMut`.
pub struct SlottedPage<P> {
    block: BlockNo,
    page: P,
}

fn read_u16(page: &Page, at: usize) -> u16 {
    u16::from_le_bytes([page[at], page[at + 1]])
}

fn write_u16(page: &mut Page, at: usize, v: u16) {
    page[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn to_u16(v: usize) -> u16 {
    u16::try_from(v).expect("page offsets and lengths are below PAGE_SIZE, which fits u16")
}

impl<P: Deref<Target = Page>> SlottedPage<P> {
    /// Views `page` (the contents of `block`), validating the header.
    pub fn open(block: BlockNo, page: P) -> Result<Self> {
        let sp = SlottedPage { block, page };
        let kind = sp.page[KIND];
        if PageKind::from_u8(kind).is_none() {
            return Err(sp.corrupt(format!("unknown page kind {kind}")));
        }
        let lower = sp.lower();
        let upper = sp.upper();
        if lower > upper || upper > PAGE_SIZE {
            return Err(sp.corrupt(format!(
                "slot array end {lower} beyond data start {upper} (or past the page)"
            )));
        }
        Ok(sp)
    }

    fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::corrupt(self.block, reason)
    }

    pub fn block(&self) -> BlockNo {
        self.block
    }

    /// The underlying page.
    pub fn page(&self) -> &Page {
        &self.page
    }

    /// Gives the page back.
    pub fn into_page(self) -> P {
        self.page
    }

    pub fn kind(&self) -> PageKind {
        PageKind::from_u8(self.page[KIND]).expect("kind validated by open")
    }

    /// Page flags (meaning owned by the page's user, e.g. the B+tree node).
    pub fn flags(&self) -> u8 {
        self.page[FLAGS]
    }

    /// B+tree level: 0 for leaves.
    pub fn level(&self) -> u16 {
        read_u16(&self.page, LEVEL)
    }

    /// Versions deleted before this LSN may have been removed from the page.
    pub fn prune_lsn(&self) -> Lsn {
        let b: [u8; 8] = self.page[PRUNE_LSN..PRUNE_LSN + 8]
            .try_into()
            .expect("8-byte range");
        Lsn(u64::from_le_bytes(b))
    }

    /// The right sibling, if any.
    pub fn right_link(&self) -> Option<BlockNo> {
        let b: [u8; 4] = self.page[RIGHT_LINK..RIGHT_LINK + 4]
            .try_into()
            .expect("4-byte range");
        match u32::from_le_bytes(b) {
            NO_RIGHT_LINK => None,
            r => Some(r),
        }
    }

    /// Spare word `i` (0 or 1); see the module docs.
    pub fn aux(&self, i: usize) -> u32 {
        let at = AUX + 4 * i.min(1);
        u32::from_le_bytes(self.page[at..at + 4].try_into().expect("4-byte range"))
    }

    pub fn item_count(&self) -> usize {
        read_u16(&self.page, ITEM_COUNT) as usize
    }

    fn upper(&self) -> usize {
        read_u16(&self.page, UPPER) as usize
    }

    fn lower(&self) -> usize {
        HEADER_SIZE + SLOT_SIZE * self.item_count()
    }

    fn slot(&self, i: usize) -> Result<(usize, usize)> {
        let n = self.item_count();
        if i >= n {
            return Err(self.corrupt(format!("item {i} out of range (count {n})")));
        }
        let at = HEADER_SIZE + SLOT_SIZE * i;
        let off = read_u16(&self.page, at) as usize;
        let len = read_u16(&self.page, at + 2) as usize;
        if off < self.upper() || off + len > PAGE_SIZE {
            return Err(self.corrupt(format!(
                "slot {i} [{off}, {}) outside the data area [{}, {PAGE_SIZE})",
                off + len,
                self.upper()
            )));
        }
        Ok((off, len))
    }

    /// Where item `i`'s bytes are in the page: `[start, end)`.
    pub fn item_range(&self, i: usize) -> Result<(usize, usize)> {
        let (off, len) = self.slot(i)?;
        Ok((off, off + len))
    }

    /// The bytes of item `i`.
    pub fn item(&self, i: usize) -> Result<&[u8]> {
        let (off, len) = self.slot(i)?;
        Ok(&self.page[off..off + len])
    }

    /// Contiguous free bytes between the slot array and the data area.
    pub fn contiguous_free(&self) -> usize {
        self.upper().saturating_sub(self.lower())
    }

    /// Bytes taken by slots and live items (holes excluded).
    pub fn used_bytes(&self) -> Result<usize> {
        let mut used = SLOT_SIZE * self.item_count();
        for i in 0..self.item_count() {
            used += self.slot(i)?.1;
        }
        Ok(used)
    }

    /// Free bytes after a compaction.
    pub fn total_free(&self) -> Result<usize> {
        Ok(USABLE_SIZE.saturating_sub(self.used_bytes()?))
    }

    /// Checks every slot: in bounds and not overlapping another.
    pub fn check(&self) -> Result<()> {
        let mut ranges = Vec::with_capacity(self.item_count());
        for i in 0..self.item_count() {
            let (off, len) = self.slot(i)?;
            ranges.push((off, off + len, i));
        }
        ranges.sort_unstable();
        for w in ranges.windows(2) {
            if w[0].1 > w[1].0 {
                return Err(self.corrupt(format!("items {} and {} overlap", w[0].2, w[1].2)));
            }
        }
        Ok(())
    }
}

impl<P: DerefMut<Target = Page>> SlottedPage<P> {
    /// Formats `page` as an empty slotted page (everything after proto's
    /// header is zeroed), with no right sibling and `prune_lsn` 0.
    pub fn init(block: BlockNo, mut page: P, kind: PageKind, level: u16) -> Self {
        page[PAGE_HEADER_SIZE..].fill(0);
        page[KIND] = kind as u8;
        write_u16(&mut page, LEVEL, level);
        write_u16(&mut page, UPPER, to_u16(PAGE_SIZE));
        let mut sp = SlottedPage { block, page };
        sp.set_right_link(None);
        sp
    }

    pub fn set_flags(&mut self, flags: u8) {
        self.page[FLAGS] = flags;
    }

    pub fn set_level(&mut self, level: u16) {
        write_u16(&mut self.page, LEVEL, level);
    }

    pub fn set_prune_lsn(&mut self, lsn: Lsn) {
        self.page[PRUNE_LSN..PRUNE_LSN + 8].copy_from_slice(&lsn.0.to_le_bytes());
    }

    /// Sets spare word `i` (0 or 1).
    pub fn set_aux(&mut self, i: usize, v: u32) {
        let at = AUX + 4 * i.min(1);
        self.page[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub fn set_right_link(&mut self, right: Option<BlockNo>) {
        let v = right.unwrap_or(NO_RIGHT_LINK);
        self.page[RIGHT_LINK..RIGHT_LINK + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Whether an item of `len` bytes can be inserted (after compaction).
    pub fn fits(&self, len: usize) -> Result<bool> {
        Ok(len + SLOT_SIZE <= self.total_free()?)
    }

    /// Reserves `len` contiguous data bytes, compacting if needed; returns
    /// their offset. `extra_slot` is whether a new slot is also needed.
    fn reserve(&mut self, len: usize, extra_slot: bool) -> Result<usize> {
        let need = len + if extra_slot { SLOT_SIZE } else { 0 };
        if self.contiguous_free() < need {
            let free = self.total_free()?;
            if free < need {
                return Err(Error::PageFull {
                    block: self.block,
                    need,
                    free,
                });
            }
            self.compact()?;
        }
        let off = self.upper() - len;
        write_u16(&mut self.page, UPPER, to_u16(off));
        Ok(off)
    }

    fn write_slot(&mut self, i: usize, off: usize, len: usize) {
        let at = HEADER_SIZE + SLOT_SIZE * i;
        write_u16(&mut self.page, at, to_u16(off));
        write_u16(&mut self.page, at + 2, to_u16(len));
    }

    /// Inserts `data` as item `i`, shifting items `i..` up by one.
    pub fn insert(&mut self, i: usize, data: &[u8]) -> Result<()> {
        let n = self.item_count();
        if i > n {
            return Err(self.corrupt(format!("insert at {i} past item count {n}")));
        }
        let off = self.reserve(data.len(), true)?;
        self.page[off..off + data.len()].copy_from_slice(data);
        let start = HEADER_SIZE + SLOT_SIZE * i;
        let end = HEADER_SIZE + SLOT_SIZE * n;
        self.page.copy_within(start..end, start + SLOT_SIZE);
        write_u16(&mut self.page, ITEM_COUNT, to_u16(n + 1));
        self.write_slot(i, off, data.len());
        Ok(())
    }

    /// Removes item `i`, shifting items `i+1..` down by one. Its data bytes
    /// become a hole until the next compaction.
    pub fn delete(&mut self, i: usize) -> Result<()> {
        self.slot(i)?;
        let n = self.item_count();
        let start = HEADER_SIZE + SLOT_SIZE * (i + 1);
        let end = HEADER_SIZE + SLOT_SIZE * n;
        self.page.copy_within(start..end, start - SLOT_SIZE);
        self.page[end - SLOT_SIZE..end].fill(0);
        write_u16(&mut self.page, ITEM_COUNT, to_u16(n - 1));
        Ok(())
    }

    /// Replaces item `i`'s bytes: in place when no larger, else moved.
    pub fn replace(&mut self, i: usize, data: &[u8]) -> Result<()> {
        let (off, len) = self.slot(i)?;
        if data.len() <= len {
            self.page[off..off + data.len()].copy_from_slice(data);
            self.write_slot(i, off, data.len());
            return Ok(());
        }
        // Release the old bytes first so compaction can reclaim them.
        self.write_slot(i, self.upper(), 0);
        match self.reserve(data.len(), false) {
            Ok(new_off) => {
                self.page[new_off..new_off + data.len()].copy_from_slice(data);
                self.write_slot(i, new_off, data.len());
                Ok(())
            }
            Err(e) => {
                // `reserve` fails before compacting, so the old bytes are
                // still where the slot pointed.
                self.write_slot(i, off, len);
                Err(e)
            }
        }
    }

    /// Rewrites the data area so all free space is contiguous. Items keep
    /// their slot order; data is laid out from the end of the page in slot
    /// order, so a compacted page's bytes depend only on its items.
    pub fn compact(&mut self) -> Result<()> {
        self.check()?;
        let n = self.item_count();
        let mut items = Vec::with_capacity(n);
        for i in 0..n {
            items.push(self.item(i)?.to_vec());
        }
        let mut upper = PAGE_SIZE;
        for (i, item) in items.iter().enumerate() {
            upper -= item.len();
            self.page[upper..upper + item.len()].copy_from_slice(item);
            self.write_slot(i, upper, item.len());
        }
        let lower = self.lower();
        self.page[lower..upper].fill(0);
        write_u16(&mut self.page, UPPER, to_u16(upper));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proto::page::zeroed_page;

    fn fresh() -> SlottedPage<Box<Page>> {
        SlottedPage::init(7, zeroed_page(), PageKind::BTreeNode, 0)
    }

    fn items<P: Deref<Target = Page>>(p: &SlottedPage<P>) -> Vec<Vec<u8>> {
        (0..p.item_count())
            .map(|i| p.item(i).unwrap().to_vec())
            .collect()
    }

    #[test]
    fn insert_delete_replace_keep_slot_order() {
        let mut p = fresh();
        p.insert(0, b"bb").unwrap();
        p.insert(0, b"a").unwrap();
        p.insert(2, b"ccc").unwrap();
        assert_eq!(
            items(&p),
            vec![b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()]
        );
        p.replace(1, b"BBBBBB").unwrap();
        p.replace(2, b"c").unwrap();
        p.delete(0).unwrap();
        assert_eq!(items(&p), vec![b"BBBBBB".to_vec(), b"c".to_vec()]);
        p.check().unwrap();
        assert_eq!(p.used_bytes().unwrap(), 2 * SLOT_SIZE + 7);
    }

    #[test]
    fn header_fields_round_trip() {
        let mut p = fresh();
        p.set_prune_lsn(Lsn(99));
        p.set_level(3);
        p.set_flags(0x5);
        p.set_right_link(Some(12));
        p.set_aux(0, 41);
        p.set_aux(1, 42);
        let q = SlottedPage::open(7, p.page()).unwrap();
        assert_eq!((q.aux(0), q.aux(1)), (41, 42));
        assert_eq!(q.prune_lsn(), Lsn(99));
        assert_eq!(q.level(), 3);
        assert_eq!(q.flags(), 5);
        assert_eq!(q.right_link(), Some(12));
        assert_eq!(q.kind(), PageKind::BTreeNode);
    }

    #[test]
    fn fills_compacts_and_reports_full() {
        let mut p = fresh();
        let item = [9u8; 100];
        let mut n = 0;
        while p.fits(item.len()).unwrap() {
            p.insert(n, &item).unwrap();
            n += 1;
        }
        assert_eq!(n, USABLE_SIZE / (100 + SLOT_SIZE));
        assert!(matches!(p.insert(0, &item), Err(Error::PageFull { .. })));
        // Free every other item: holes, then inserts must compact.
        for i in (0..n / 2).rev() {
            p.delete(2 * i).unwrap();
        }
        let before = p.item_count();
        while p.fits(item.len()).unwrap() {
            p.insert(0, &[1u8; 100]).unwrap();
        }
        assert!(p.item_count() > before);
        p.check().unwrap();
        // Grow an item so it must move.
        p.delete(0).unwrap();
        p.replace(0, &[2u8; 150]).unwrap();
        assert_eq!(p.item(0).unwrap(), &[2u8; 150][..]);
        p.check().unwrap();
    }

    #[test]
    fn corrupt_pages_error_instead_of_panicking() {
        let mut p = fresh();
        p.insert(0, b"hello").unwrap();
        let good = p.page().to_owned();

        let mut bad = good;
        bad[KIND] = 77;
        assert!(matches!(
            SlottedPage::open(1, &bad),
            Err(Error::Corrupt { .. })
        ));

        let mut bad = good;
        write_u16(&mut bad, ITEM_COUNT, 5000);
        assert!(SlottedPage::open(1, &bad).is_err());

        let mut bad = good;
        write_u16(&mut bad, HEADER_SIZE + 2, 60000); // slot 0 length
        let sp = SlottedPage::open(1, &bad).unwrap();
        assert!(matches!(sp.item(0), Err(Error::Corrupt { block: 1, .. })));
        assert!(sp.item(1).is_err());

        // Random garbage never panics.
        for seed in 0u64..200 {
            let mut page = [0u8; PAGE_SIZE];
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for b in page.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            page[KIND] = 1;
            if let Ok(sp) = SlottedPage::open(1, &page) {
                let _ = sp.check();
                for i in 0..sp.item_count().min(50) {
                    let _ = sp.item(i);
                }
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(usize, Vec<u8>),
        Delete(usize),
        Replace(usize, Vec<u8>),
        Compact,
    }

    fn op() -> impl Strategy<Value = Op> {
        let data = || proptest::collection::vec(any::<u8>(), 0..400);
        prop_oneof![
            4 => (any::<usize>(), data()).prop_map(|(i, d)| Op::Insert(i, d)),
            2 => any::<usize>().prop_map(Op::Delete),
            3 => (any::<usize>(), data()).prop_map(|(i, d)| Op::Replace(i, d)),
            1 => Just(Op::Compact),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(32)))]

        /// The page behaves like a `Vec<Vec<u8>>` bounded by its space.
        #[test]
        fn matches_vec_model(ops in proptest::collection::vec(op(), 1..200)) {
            let mut p = fresh();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(i, d) => {
                        let i = i % (model.len() + 1);
                        let fits = p.fits(d.len()).unwrap();
                        let res = p.insert(i, &d);
                        prop_assert_eq!(res.is_ok(), fits);
                        if fits {
                            model.insert(i, d);
                        }
                    }
                    Op::Delete(i) if !model.is_empty() => {
                        let i = i % model.len();
                        p.delete(i).unwrap();
                        model.remove(i);
                    }
                    Op::Replace(i, d) if !model.is_empty() => {
                        let i = i % model.len();
                        let fits = d.len() <= model[i].len() + p.total_free().unwrap();
                        let res = p.replace(i, &d);
                        prop_assert_eq!(res.is_ok(), fits);
                        if fits {
                            model[i] = d;
                        }
                    }
                    Op::Compact => p.compact().unwrap(),
                    _ => {}
                }
                p.check().unwrap();
                prop_assert_eq!(items(&p), model.clone());
            }
        }
    }
}
