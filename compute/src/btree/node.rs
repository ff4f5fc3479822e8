//! A B+tree node: how a [`SlottedPage`] holds fence keys and entries.
//!
//! ```text
//!  slot 0      slot 1       slot 2 ..                      (slot order = key order)
//! +----------+-----------+--------------------------------+
//! | low key  | high key  | entry, entry, ...              |
//! +----------+-----------+--------------------------------+
//! leaf entry:     key_len u16 LE | key | value
//!                 (bit 15 of key_len set: the value ends with a 16-byte
//!                  overflow reference, the rest of it is out of line)
//! internal entry: key_len u16 LE | key | child block u32 LE
//! ```
//!
//! - **Fence keys.** The node holds exactly the keys in `[low, high)`. Slot 0
//!   is the low key's raw bytes (empty for the leftmost node of a level: the
//!   empty string is the smallest key, so it doubles as −∞). Slot 1 is the
//!   high key's raw bytes, unless [`FLAG_NO_HIGH_KEY`] is set: then the high
//!   key is +∞, the node is the rightmost of its level, and its right-link is
//!   none. A split lowers the high key and points the right-link at the new
//!   right half; a merge moves a node's entries into its right sibling, whose
//!   low key drops to the merged node's (keys only ever move right).
//! - **Level** is the page header's level: 0 for leaves, parent = child + 1.
//! - **Entries** are sorted by key, strictly increasing, all in
//!   `[low, high)`. In an internal node entry `i` points at the child that
//!   holds `[key_i, key_{i+1})` (the last one up to the node's high key); the
//!   first entry's key equals the node's low key.
//!
//! - **External values.** A leaf entry whose value did not fit keeps only a
//!   prefix of it in line, then an [`OverflowRef`] to the rest
//!   ([`super::overflow`]); bit 15 of its key length ([`EXTERNAL`]) says so.
//! - **Dead nodes** ([`FLAG_DEAD`]): a node merged into its right sibling is
//!   rewritten with no entries, fences `[low, low)` and its right-link kept
//!   (none for a collapsed root's only child). A reader that lands on one
//!   moves right, or restarts from the root when there is no right-link; the
//!   block waits on the free list until no reader can reach it.
//!
//! Readers check the level and the fences of every node they visit
//! ([`Node::position`]) — see [`crate::btree`] for what they do on a
//! mismatch.

use std::cmp::Ordering;
use std::ops::{Deref, DerefMut};

use proto::page::{Page, zeroed_page};
use proto::{BlockNo, Lsn};

use super::overflow::{OverflowRef, REF_LEN};
use crate::error::{Error, Result};
use crate::slotted_page::{PageKind, SlottedPage};

/// Page flag: the high key is +∞ (slot 1 is present but empty).
pub const FLAG_NO_HIGH_KEY: u8 = 0x01;
/// Page flag: the node was merged away (or was a collapsed root's only child).
pub const FLAG_DEAD: u8 = 0x02;
/// Bit of a leaf entry's key length: the value ends with an [`OverflowRef`].
pub const EXTERNAL: u16 = 0x8000;

const LOW_SLOT: usize = 0;
const HIGH_SLOT: usize = 1;
const FIRST_ENTRY: usize = 2;

/// Where a key falls relative to a node's fences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// `key < low`: this is the wrong node; restart from the root.
    BeforeLow,
    /// `low <= key < high`.
    Inside,
    /// `key >= high`: the key moved right (a split); follow the right-link.
    AtOrAfterHigh,
}

/// A B+tree node view over a page.
pub struct Node<P> {
    page: SlottedPage<P>,
}

fn key_len(key: &[u8]) -> [u8; 2] {
    u16::try_from(key.len())
        .expect("keys are at most Limits::max_key bytes")
        .to_le_bytes()
}

/// Encodes a leaf entry (`key` at most [`super::Limits::max_key`] bytes).
pub fn leaf_entry(key: &[u8], value: &[u8]) -> Vec<u8> {
    leaf_entry_of_parts(key, value, &[])
}

/// Encodes a leaf entry whose value is `head` followed by `tail`, in one allocation (a bulk
/// load builds a million of them).
pub fn leaf_entry_of_parts(key: &[u8], head: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + key.len() + head.len() + tail.len());
    out.extend_from_slice(&key_len(key));
    out.extend_from_slice(key);
    out.extend_from_slice(head);
    out.extend_from_slice(tail);
    out
}

/// Encodes a leaf entry whose value is `inline` in line and the rest out of
/// line, at `overflow`.
pub fn external_leaf_entry(key: &[u8], inline: &[u8], overflow: &OverflowRef) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + key.len() + inline.len() + REF_LEN);
    let len = u16::from_le_bytes(key_len(key)) | EXTERNAL;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(inline);
    out.extend_from_slice(&overflow.encode());
    out
}

/// Encodes an internal entry (`key` at most [`super::Limits::max_key`] bytes).
pub fn internal_entry(key: &[u8], child: BlockNo) -> Vec<u8> {
    let mut out = Vec::with_capacity(6 + key.len());
    out.extend_from_slice(&key_len(key));
    out.extend_from_slice(key);
    out.extend_from_slice(&child.to_le_bytes());
    out
}

/// Whether an encoded leaf entry's value ends with an overflow reference.
pub fn is_external(entry: &[u8]) -> bool {
    entry
        .get(..2)
        .is_some_and(|b| u16::from_le_bytes([b[0], b[1]]) & EXTERNAL != 0)
}

/// Splits an encoded entry into its key and the rest.
pub fn entry_parts(block: BlockNo, entry: &[u8]) -> Result<(&[u8], &[u8])> {
    let len = entry
        .get(..2)
        .map(|b| (u16::from_le_bytes([b[0], b[1]]) & !EXTERNAL) as usize)
        .ok_or_else(|| Error::corrupt(block, "entry shorter than its key length"))?;
    if 2 + len > entry.len() {
        return Err(Error::corrupt(
            block,
            format!("entry key length {len} past its {} bytes", entry.len()),
        ));
    }
    Ok((&entry[2..2 + len], &entry[2 + len..]))
}

/// Formats a fresh node page holding `entries` (already encoded).
pub fn build(
    block: BlockNo,
    level: u16,
    low: &[u8],
    high: Option<&[u8]>,
    right_link: Option<BlockNo>,
    prune_lsn: Lsn,
    entries: &[Vec<u8>],
) -> Result<Box<Page>> {
    let mut sp = SlottedPage::init(block, zeroed_page(), PageKind::BTreeNode, level);
    sp.set_right_link(right_link);
    sp.set_prune_lsn(prune_lsn);
    sp.set_flags(if high.is_none() { FLAG_NO_HIGH_KEY } else { 0 });
    sp.insert(LOW_SLOT, low)?;
    sp.insert(HIGH_SLOT, high.unwrap_or(&[]))?;
    for (i, e) in entries.iter().enumerate() {
        sp.insert(FIRST_ENTRY + i, e)?;
    }
    Ok(sp.into_page())
}

/// Formats a dead node (see the module docs): level kept, no entries, fences
/// `[low, low)`, `right_link` where readers should go on (none: restart).
pub fn dead(
    block: BlockNo,
    level: u16,
    low: &[u8],
    right_link: Option<BlockNo>,
    prune_lsn: Lsn,
) -> Result<Box<Page>> {
    let mut page = build(block, level, low, Some(low), right_link, prune_lsn, &[])?;
    let mut sp = SlottedPage::open(block, &mut *page)?;
    sp.set_flags(FLAG_DEAD);
    Ok(page)
}

impl<P: Deref<Target = Page>> Node<P> {
    /// Views `page` as a node, validating the header.
    pub fn open(block: BlockNo, page: P) -> Result<Self> {
        let sp = SlottedPage::open(block, page)?;
        if sp.kind() != PageKind::BTreeNode {
            return Err(Error::corrupt(block, "not a B+tree node"));
        }
        if sp.item_count() < FIRST_ENTRY {
            return Err(Error::corrupt(block, "node without fence keys"));
        }
        let node = Node { page: sp };
        if node.high_key_is_infinite() && (node.right_link().is_some() || node.is_dead()) {
            return Err(Error::corrupt(block, "rightmost node with a right-link"));
        }
        Ok(node)
    }

    pub fn block(&self) -> BlockNo {
        self.page.block()
    }

    pub fn level(&self) -> u16 {
        self.page.level()
    }

    pub fn is_leaf(&self) -> bool {
        self.level() == 0
    }

    pub fn right_link(&self) -> Option<BlockNo> {
        self.page.right_link()
    }

    pub fn prune_lsn(&self) -> Lsn {
        self.page.prune_lsn()
    }

    /// The slotted page underneath.
    pub fn slotted(&self) -> &SlottedPage<P> {
        &self.page
    }

    fn high_key_is_infinite(&self) -> bool {
        self.page.flags() & FLAG_NO_HIGH_KEY != 0
    }

    /// Whether the node was merged away ([`FLAG_DEAD`]): readers move right
    /// (or restart when there is no right-link).
    pub fn is_dead(&self) -> bool {
        self.page.flags() & FLAG_DEAD != 0
    }

    /// The low fence (empty = −∞).
    pub fn low_key(&self) -> Result<&[u8]> {
        self.page.item(LOW_SLOT)
    }

    /// The high fence; `None` = +∞.
    pub fn high_key(&self) -> Result<Option<&[u8]>> {
        if self.high_key_is_infinite() {
            Ok(None)
        } else {
            self.page.item(HIGH_SLOT).map(Some)
        }
    }

    /// Where `key` falls relative to the fences.
    pub fn position(&self, key: &[u8]) -> Result<Position> {
        if key < self.low_key()? {
            return Ok(Position::BeforeLow);
        }
        match self.high_key()? {
            Some(high) if key >= high => Ok(Position::AtOrAfterHigh),
            _ => Ok(Position::Inside),
        }
    }

    /// Number of entries (fences excluded).
    pub fn len(&self) -> usize {
        self.page.item_count() - FIRST_ENTRY
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i`'s encoded bytes.
    pub fn entry(&self, i: usize) -> Result<&[u8]> {
        self.page.item(FIRST_ENTRY + i)
    }

    /// Entry `i`'s key.
    pub fn key(&self, i: usize) -> Result<&[u8]> {
        Ok(entry_parts(self.block(), self.entry(i)?)?.0)
    }

    /// Leaf entry `i`'s value as stored: for an external entry, its in-line
    /// part followed by the overflow reference.
    pub fn value(&self, i: usize) -> Result<&[u8]> {
        Ok(entry_parts(self.block(), self.entry(i)?)?.1)
    }

    /// Leaf entry `i`'s value split into its in-line part and, for an
    /// external entry, the reference to the rest.
    pub fn value_parts(&self, i: usize) -> Result<(&[u8], Option<OverflowRef>)> {
        let entry = self.entry(i)?;
        let value = entry_parts(self.block(), entry)?.1;
        if !is_external(entry) {
            return Ok((value, None));
        }
        let at = value.len().checked_sub(REF_LEN).ok_or_else(|| {
            Error::corrupt(
                self.block(),
                format!("external entry {i} without a reference"),
            )
        })?;
        let overflow = OverflowRef::decode(self.block(), &value[at..])?;
        Ok((&value[..at], Some(overflow)))
    }

    /// Internal entry `i`'s child block.
    pub fn child(&self, i: usize) -> Result<BlockNo> {
        let rest = entry_parts(self.block(), self.entry(i)?)?.1;
        let b: [u8; 4] = rest
            .try_into()
            .map_err(|_| Error::corrupt(self.block(), format!("internal entry {i} malformed")))?;
        Ok(BlockNo::from_le_bytes(b))
    }

    /// Binary search over entry keys: `Ok(i)` if entry `i` has `key`, else
    /// `Err(i)` where it would be inserted.
    pub fn search(&self, key: &[u8]) -> Result<Result<usize, usize>> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid)?.cmp(key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
    }

    /// In an internal node, the entry whose child covers `key` (the last
    /// entry with key <= `key`; the first when `key` is below them all).
    pub fn child_for(&self, key: &[u8]) -> Result<(usize, BlockNo)> {
        if self.is_empty() {
            return Err(Error::corrupt(
                self.block(),
                "internal node without entries",
            ));
        }
        let i = match self.search(key)? {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        };
        Ok((i, self.child(i)?))
    }

    /// All entries' encoded bytes, in order.
    pub fn entries(&self) -> Result<Vec<Vec<u8>>> {
        (0..self.len())
            .map(|i| self.entry(i).map(<[u8]>::to_vec))
            .collect()
    }

    /// Bytes used by fences, entries and their slots.
    pub fn used_bytes(&self) -> Result<usize> {
        self.page.used_bytes()
    }
}

impl<P: DerefMut<Target = Page>> Node<P> {
    pub fn insert_entry(&mut self, i: usize, entry: &[u8]) -> Result<()> {
        self.page.insert(FIRST_ENTRY + i, entry)
    }

    pub fn replace_entry(&mut self, i: usize, entry: &[u8]) -> Result<()> {
        self.page.replace(FIRST_ENTRY + i, entry)
    }

    pub fn delete_entry(&mut self, i: usize) -> Result<()> {
        if i >= self.len() {
            return Err(Error::corrupt(
                self.block(),
                format!("no entry {i} to delete"),
            ));
        }
        self.page.delete(FIRST_ENTRY + i)
    }

    pub fn set_prune_lsn(&mut self, lsn: Lsn) {
        self.page.set_prune_lsn(lsn);
    }

    pub fn set_right_link(&mut self, right: Option<BlockNo>) {
        self.page.set_right_link(right);
    }

    /// The page, for writing back to the store.
    pub fn into_page(self) -> P {
        self.page.into_page()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_entries_and_search() {
        let entries = vec![leaf_entry(b"b", b"1"), leaf_entry(b"d", b"22")];
        let page = build(3, 0, b"a", Some(b"f"), Some(9), Lsn(5), &entries).unwrap();
        let node = Node::open(3, &*page).unwrap();
        assert_eq!(node.low_key().unwrap(), b"a");
        assert_eq!(node.high_key().unwrap(), Some(&b"f"[..]));
        assert_eq!(node.right_link(), Some(9));
        assert_eq!(node.prune_lsn(), Lsn(5));
        assert_eq!(node.len(), 2);
        assert_eq!(node.value(1).unwrap(), b"22");
        assert_eq!(node.search(b"d").unwrap(), Ok(1));
        assert_eq!(node.search(b"c").unwrap(), Err(1));
        assert_eq!(node.position(b"0").unwrap(), Position::BeforeLow);
        assert_eq!(node.position(b"a").unwrap(), Position::Inside);
        assert_eq!(node.position(b"f").unwrap(), Position::AtOrAfterHigh);
    }

    #[test]
    fn internal_child_for() {
        let entries = vec![internal_entry(b"", 1), internal_entry(b"m", 2)];
        let page = build(0, 1, b"", None, None, Lsn(0), &entries).unwrap();
        let node = Node::open(0, &*page).unwrap();
        assert_eq!(node.high_key().unwrap(), None);
        assert_eq!(node.child_for(b"a").unwrap(), (0, 1));
        assert_eq!(node.child_for(b"m").unwrap(), (1, 2));
        assert_eq!(node.child_for(b"z").unwrap(), (1, 2));
    }

    #[test]
    fn malformed_entries_are_corrupt() {
        assert!(entry_parts(1, &[5]).is_err());
        assert!(entry_parts(1, &[5, 0, 1]).is_err());
        let page = build(1, 1, b"", None, None, Lsn(0), &[leaf_entry(b"k", b"xy")]).unwrap();
        let node = Node::open(1, &*page).unwrap();
        assert!(matches!(
            node.child(0),
            Err(Error::Corrupt { block: 1, .. })
        ));
    }
}
