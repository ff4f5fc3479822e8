//! The common page header, owned by proto.
//!
//! Every page is [`PAGE_SIZE`] bytes. proto owns its first
//! [`PAGE_HEADER_SIZE`] bytes:
//!
//! ```text
//! 0        8        12                                      8192
//! +--------+--------+----------------------------------------+
//! |page_lsn|  crc32c| owned by the compute (prune_lsn, ...)  |
//! +--------+--------+----------------------------------------+
//! ```
//!
//! `page_lsn` (little-endian u64) is the end LSN of the record that last
//! changed the page. The CRC32C covers the whole page with the CRC field
//! zeroed, so it also protects `page_lsn`. Redo sets both; deltas never touch
//! them. An all-zero page (never written) has `page_lsn` 0 and is not
//! checksummed.

use crate::Lsn;

/// Size of every page.
pub const PAGE_SIZE: usize = 8192;
/// Bytes of the common header (`page_lsn`, crc32c).
pub const PAGE_HEADER_SIZE: usize = 12;

const LSN_RANGE: std::ops::Range<usize> = 0..8;
const CRC_RANGE: std::ops::Range<usize> = 8..12;

/// One page.
pub type Page = [u8; PAGE_SIZE];

/// A zeroed page on the heap.
pub fn zeroed_page() -> Box<Page> {
    Box::new([0u8; PAGE_SIZE])
}

pub fn page_lsn(page: &Page) -> Lsn {
    Lsn(u64::from_le_bytes(
        page[LSN_RANGE].try_into().expect("8-byte range"),
    ))
}

pub fn set_page_lsn(page: &mut Page, lsn: Lsn) {
    page[LSN_RANGE].copy_from_slice(&lsn.0.to_le_bytes());
}

/// The CRC stored in the header.
pub fn stored_crc(page: &Page) -> u32 {
    u32::from_le_bytes(page[CRC_RANGE].try_into().expect("4-byte range"))
}

/// The CRC32C of `page` with the CRC field zeroed.
pub fn compute_crc(page: &Page) -> u32 {
    crc_with_lsn(page, page_lsn(page))
}

/// The CRC32C `page` would have with `page_lsn` set to `lsn`, without
/// modifying it.
pub fn crc_with_lsn(page: &Page, lsn: Lsn) -> u32 {
    let crc = crc32c::crc32c(&lsn.0.to_le_bytes());
    let crc = crc32c::crc32c_append(crc, &[0u8; 4]);
    crc32c::crc32c_append(crc, &page[PAGE_HEADER_SIZE..])
}

/// Recomputes and stores the header CRC.
pub fn seal(page: &mut Page) {
    let crc = compute_crc(page);
    page[CRC_RANGE].copy_from_slice(&crc.to_le_bytes());
}

/// Whether the header CRC matches the contents (an all-zero page counts as
/// valid: it was never written).
pub fn verify(page: &Page) -> bool {
    let crc = stored_crc(page);
    if crc == compute_crc(page) {
        return true;
    }
    crc == 0 && page.iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_verify_detects_flips() {
        let mut p = zeroed_page();
        assert!(verify(&p), "a never-written page is valid");
        p[100] = 7;
        set_page_lsn(&mut p, Lsn(42));
        seal(&mut p);
        assert!(verify(&p));
        assert_eq!(page_lsn(&p), Lsn(42));
        for i in [0, 7, 8, 11, 12, 100, PAGE_SIZE - 1] {
            let mut q = p.clone();
            q[i] ^= 0x10;
            assert!(!verify(&q), "flip at {i} not detected");
        }
    }

    #[test]
    fn crc_with_lsn_matches_sealed_page() {
        let mut p = zeroed_page();
        p[5000] = 1;
        let expected = crc_with_lsn(&p, Lsn(99));
        set_page_lsn(&mut p, Lsn(99));
        seal(&mut p);
        assert_eq!(stored_crc(&p), expected);
    }
}
