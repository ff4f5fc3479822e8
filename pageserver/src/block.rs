//! Data blocks: the unit a layer file is read and checksummed in.
//!
//! A layer file's data is a sequence of blocks, each a run of sorted entries:
//!
//! ```text
//! block   := payload_len:u32 crc32c:u32 payload        (little-endian)
//! payload := entry+
//! entry   := key:[u8; 8] (PageKey, big-endian) lsn:u64 (big-endian)
//!            value_len:u32 (little-endian) value
//! ```
//!
//! The CRC32C covers `payload_len` and the payload, so a damaged length is
//! caught before it is trusted. Keys and LSNs are big-endian so that entries
//! compare as bytes in `(PageKey, Lsn)` order. A block is cut once its
//! payload reaches the target block size, so it holds at least one entry and
//! never splits one; what a value means (a page change, a page image) is the
//! layer kind's business.
//!
//! Everything here is pure: [`BlockBuilder`] produces bytes, [`verify_block`]
//! and [`Entries`] check and parse bytes read from disk and never panic on
//! them; errors carry the byte offset within the block so the caller can
//! name the file offset.

use proto::{Lsn, PageKey};

/// Bytes before a block's payload (`payload_len`, `crc32c`).
pub const BLOCK_HEADER_SIZE: usize = 8;
/// Bytes before an entry's value (`key`, `lsn`, `value_len`).
pub const ENTRY_HEADER_SIZE: usize = 20;

/// Accumulates sorted entries for one block.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    payload: Vec<u8>,
    first: Option<(PageKey, Lsn)>,
}

impl BlockBuilder {
    pub fn new() -> BlockBuilder {
        BlockBuilder::default()
    }

    /// Appends an entry; the caller pushes in `(key, lsn)` order.
    pub fn push(&mut self, key: PageKey, lsn: Lsn, value: &[u8]) {
        self.first.get_or_insert((key, lsn));
        let len = u32::try_from(value.len()).expect("layer values are far below 4 GiB");
        self.payload.extend_from_slice(&key.to_be_bytes());
        self.payload.extend_from_slice(&lsn.0.to_be_bytes());
        self.payload.extend_from_slice(&len.to_le_bytes());
        self.payload.extend_from_slice(value);
    }

    pub fn payload_len(&self) -> usize {
        self.payload.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Appends the framed block to `out` and returns its first entry's
    /// `(key, lsn)`, or `None` (writing nothing) if the block is empty.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) -> Option<(PageKey, Lsn)> {
        let first = self.first.take()?;
        let len = u32::try_from(self.payload.len()).expect("blocks are far below 4 GiB");
        let len_bytes = len.to_le_bytes();
        let crc = crc32c::crc32c_append(crc32c::crc32c(&len_bytes), &self.payload);
        out.extend_from_slice(&len_bytes);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&self.payload);
        self.payload.clear();
        Some(first)
    }
}

/// A block-relative error: what is wrong and at which byte of the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockError {
    pub offset: usize,
    pub reason: &'static str,
}

fn bad(offset: usize, reason: &'static str) -> BlockError {
    BlockError { offset, reason }
}

/// Checks a whole block as read from disk (header included) and returns its
/// payload.
pub fn verify_block(block: &[u8]) -> Result<&[u8], BlockError> {
    if block.len() < BLOCK_HEADER_SIZE {
        return Err(bad(0, "block shorter than its header"));
    }
    let len_bytes: [u8; 4] = block[0..4].try_into().expect("4-byte slice");
    let stored_crc = u32::from_le_bytes(block[4..8].try_into().expect("4-byte slice"));
    let payload = &block[BLOCK_HEADER_SIZE..];
    if u32::from_le_bytes(len_bytes) as usize != payload.len() {
        return Err(bad(0, "block length does not match the block index"));
    }
    let crc = crc32c::crc32c_append(crc32c::crc32c(&len_bytes), payload);
    if crc != stored_crc {
        return Err(bad(4, "block checksum mismatch"));
    }
    Ok(payload)
}

/// One entry of a verified block payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub key: PageKey,
    pub lsn: Lsn,
    pub value: &'a [u8],
    /// Where the entry starts, relative to the block start (header included).
    pub offset: usize,
}

/// Iterates a verified payload's entries, checking lengths and order.
/// Offsets in errors are relative to the block start (header included).
pub struct Entries<'a> {
    payload: &'a [u8],
    pos: usize,
    prev: Option<(PageKey, Lsn)>,
    failed: bool,
}

impl<'a> Entries<'a> {
    pub fn new(payload: &'a [u8]) -> Entries<'a> {
        Entries {
            payload,
            pos: 0,
            prev: None,
            failed: false,
        }
    }

    fn next_entry(&mut self) -> Result<Entry<'a>, BlockError> {
        let at = BLOCK_HEADER_SIZE + self.pos;
        let rest = &self.payload[self.pos..];
        if rest.len() < ENTRY_HEADER_SIZE {
            return Err(bad(at, "truncated entry header"));
        }
        let key = PageKey::from_be_bytes(rest[0..8].try_into().expect("8-byte slice"));
        let lsn = Lsn(u64::from_be_bytes(
            rest[8..16].try_into().expect("8-byte slice"),
        ));
        let len = u32::from_le_bytes(rest[16..20].try_into().expect("4-byte slice")) as usize;
        if rest.len() - ENTRY_HEADER_SIZE < len {
            return Err(bad(at, "entry value runs past the block"));
        }
        if self.prev.is_some_and(|p| p > (key, lsn)) {
            return Err(bad(at, "entries out of (key, lsn) order"));
        }
        self.prev = Some((key, lsn));
        self.pos += ENTRY_HEADER_SIZE + len;
        Ok(Entry {
            key,
            lsn,
            value: &rest[ENTRY_HEADER_SIZE..ENTRY_HEADER_SIZE + len],
            offset: at,
        })
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, BlockError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.payload.len() {
            return None;
        }
        let item = self.next_entry();
        self.failed = item.is_err();
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(entries: &[(u32, u64, &[u8])]) -> Vec<u8> {
        let mut b = BlockBuilder::new();
        for &(blk, lsn, v) in entries {
            b.push(PageKey::new(1, blk), Lsn(lsn), v);
        }
        let mut out = Vec::new();
        b.finish_into(&mut out);
        out
    }

    #[test]
    fn round_trip() {
        let block = build(&[(1, 10, b"a"), (1, 20, b""), (2, 5, b"xyz")]);
        let payload = verify_block(&block).unwrap();
        let got: Vec<_> = Entries::new(payload).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].key, PageKey::new(1, 2));
        assert_eq!(got[2].lsn, Lsn(5));
        assert_eq!(got[2].value, b"xyz");
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let block = build(&[(1, 10, b"hello"), (2, 20, b"world")]);
        for i in 0..block.len() {
            let mut b = block.clone();
            b[i] ^= 0x01;
            assert!(verify_block(&b).is_err(), "flip at {i} not detected");
        }
    }

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        // Valid CRC, bad structure: a value length running past the end.
        let mut payload = Vec::new();
        payload.extend_from_slice(&PageKey::new(1, 1).to_be_bytes());
        payload.extend_from_slice(&7u64.to_be_bytes());
        payload.extend_from_slice(&100u32.to_le_bytes());
        let err = Entries::new(&payload).next().unwrap().unwrap_err();
        assert_eq!(err.offset, BLOCK_HEADER_SIZE);
        assert!(Entries::new(&payload[..5]).next().unwrap().is_err());
    }

    #[test]
    fn out_of_order_entries_are_rejected() {
        let block = build(&[(2, 10, b"a"), (1, 20, b"b")]);
        let payload = verify_block(&block).unwrap();
        assert!(Entries::new(payload).any(|e| e.is_err()));
    }
}
