//! The one redo function, shared by the pageserver and read replicas, and the
//! diff that produces its input.
//!
//! [`apply`] changes a page in place: a delta first checks
//! `base_lsn == page_lsn` (an image replaces the page whatever it held, which
//! is how a quarantined page recovers), then the bytes are written,
//! `page_lsn` is set to the record's end LSN, and the page's CRC is checked
//! against the change's `crc_after` and stored in the header. A mismatch is an
//! error naming the page: the caller quarantines that page; it is never
//! served.
//!
//! [`diff`] is what the compute runs at commit: it compares the old and new
//! page outside the common header, merges nearby runs, and emits a full image
//! when that is smaller than the delta.

use bytes::Bytes;

use crate::page::{self, PAGE_HEADER_SIZE, PAGE_SIZE, Page};
use crate::{Delta, Error, Lsn, PageBody, PageChange, PageKey};

/// Runs closer than this are merged (a run header costs 4 bytes).
const MERGE_GAP: usize = 4;

/// A delta at least this large is replaced by a full image. With runs merged
/// a delta is never larger than an image, but an image costs at most a third
/// more here and ends the page's redo chain (the pageserver can reconstruct
/// from it alone), so nearly-whole-page rewrites are logged as images.
const IMAGE_THRESHOLD: usize = PAGE_SIZE * 3 / 4;

/// Applies `change` to `page` in place and stamps it with `lsn` (the end LSN
/// of the record carrying the change).
pub fn apply(page: &mut Page, change: &PageChange, lsn: Lsn) -> Result<(), Error> {
    match &change.body {
        PageBody::Image(img) => {
            // Decoders only make full-page images; a value built in memory may not be.
            if img.len() != page.len() {
                return Err(Error::MalformedRecord {
                    lsn,
                    reason: "page image is not a whole page",
                });
            }
            page.copy_from_slice(img)
        }
        PageBody::Delta(delta) => {
            let found = page::page_lsn(page);
            if found != change.base_lsn {
                return Err(Error::RedoBaseMismatch {
                    key: change.key,
                    lsn,
                    expected: change.base_lsn,
                    found,
                });
            }
            for (off, data) in delta.runs() {
                page[off..off + data.len()].copy_from_slice(data);
            }
        }
    }
    page::set_page_lsn(page, lsn);
    let crc = page::compute_crc(page);
    if crc != change.crc_after {
        return Err(Error::RedoChecksum {
            key: change.key,
            lsn,
        });
    }
    page[8..12].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// The change that turns `old` (or a new page, for `None`) into `new`, to be
/// applied at `lsn`. Bytes of `new`'s common header are ignored: redo sets
/// them. The result is an image for a new page and when the delta would be
/// at least [`IMAGE_THRESHOLD`] bytes (nearly as large as the image).
pub fn diff(key: PageKey, old: Option<&Page>, new: &Page, lsn: Lsn) -> PageChange {
    let crc_after = page::crc_with_lsn(new, lsn);
    let base_lsn = old.map(page::page_lsn).unwrap_or(Lsn::INVALID);
    let image = || PageChange {
        key,
        base_lsn,
        body: PageBody::Image(Bytes::copy_from_slice(new)),
        crc_after,
    };
    let Some(old) = old else {
        return image();
    };
    let runs = changed_runs(old, new);
    let delta_len: usize = 2 + runs.iter().map(|r| 4 + r.len()).sum::<usize>();
    if delta_len >= IMAGE_THRESHOLD {
        return image();
    }
    let delta = Delta::from_runs(runs.into_iter().map(|r| (r.start as u16, &new[r])));
    PageChange {
        key,
        base_lsn,
        body: PageBody::Delta(delta),
        crc_after,
    }
}

/// Byte ranges (outside the header) where `old` and `new` differ, with gaps
/// of at most [`MERGE_GAP`] bytes merged. Compares 8 bytes at a time.
fn changed_runs(old: &Page, new: &Page) -> Vec<std::ops::Range<usize>> {
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = PAGE_HEADER_SIZE;
    while i < PAGE_SIZE {
        // Skip equal words quickly.
        if i.is_multiple_of(8) && i + 8 <= PAGE_SIZE && old[i..i + 8] == new[i..i + 8] {
            i += 8;
            continue;
        }
        if old[i] == new[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < PAGE_SIZE && old[i] != new[i] {
            i += 1;
        }
        match runs.last_mut() {
            Some(last) if start - last.end <= MERGE_GAP => last.end = i,
            _ => runs.push(start..i),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::{seal, set_page_lsn, verify, zeroed_page};

    fn sealed(lsn: Lsn, fill: impl Fn(&mut Page)) -> Box<Page> {
        let mut p = zeroed_page();
        fill(&mut p);
        set_page_lsn(&mut p, lsn);
        seal(&mut p);
        p
    }

    #[test]
    fn small_edit_is_a_delta_and_applies() {
        let key = PageKey::new(1, 2);
        let old = sealed(Lsn(100), |p| p[200..300].fill(1));
        let mut new = old.clone();
        new[250] = 9;
        new[8000..8010].fill(3);
        let change = diff(key, Some(&old), &new, Lsn(200));
        assert!(matches!(change.body, PageBody::Delta(_)));
        let mut page = old.clone();
        apply(&mut page, &change, Lsn(200)).unwrap();
        assert_eq!(page[12..], new[12..]);
        assert_eq!(page::page_lsn(&page), Lsn(200));
        assert!(verify(&page));
    }

    #[test]
    fn rewrite_of_everything_is_an_image() {
        let old = sealed(Lsn(100), |_| {});
        let new = sealed(Lsn(1), |p| p.fill(0xAB));
        let change = diff(PageKey::new(1, 1), Some(&old), &new, Lsn(300));
        assert!(matches!(change.body, PageBody::Image(_)));
    }

    #[test]
    fn base_lsn_mismatch_names_the_page() {
        let key = PageKey::new(7, 3);
        let old = sealed(Lsn(100), |_| {});
        let mut new = old.clone();
        new[20] = 1;
        let change = diff(key, Some(&old), &new, Lsn(200));
        let mut stale = sealed(Lsn(50), |_| {});
        let err = apply(&mut stale, &change, Lsn(200)).unwrap_err();
        assert!(matches!(err, Error::RedoBaseMismatch { .. }));
        assert!(err.to_string().contains("rel 7 block 3"), "{err}");
    }

    #[test]
    fn wrong_content_fails_the_crc_check() {
        let key = PageKey::new(1, 1);
        let old = sealed(Lsn(100), |_| {});
        let mut new = old.clone();
        new[20] = 1;
        let change = diff(key, Some(&old), &new, Lsn(200));
        // Same LSN, different contents: the delta applies but the CRC fails.
        let mut other = sealed(Lsn(100), |p| p[30] = 5);
        let err = apply(&mut other, &change, Lsn(200)).unwrap_err();
        assert!(matches!(err, Error::RedoChecksum { .. }), "{err}");
        // An image at the same LSN but with a different stamp also fails.
        let img = diff(key, None, &new, Lsn(200));
        let mut page = zeroed_page();
        assert!(apply(&mut page, &img, Lsn(201)).is_err());
    }
}
