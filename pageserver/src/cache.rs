//! The page cache: reconstructed pages, bounded in bytes (moka).
//!
//! One entry per `(timeline, key)`: the most recently reconstructed version,
//! with the LSN range it is known to be valid for. A page rebuilt at request
//! LSN `R` has `page_lsn = P` (its last change at or below `R`), so it is
//! the page at every LSN in `[P, U]` with `U = min(R, last_record_lsn)` at
//! rebuild time. A request at `R'` reuses it only when:
//!
//! 1. `P <= R' <= U`; or
//! 2. `not_modified_since` lies in `[P, U]` (the client vouches that the page
//!    did not change between it and `R'`); or
//! 3. `R' > U` and the timeline's in-memory layers, which then hold every
//!    change after `U`, have no change of the key in `(U, R']` — the entry's
//!    range is extended.
//!
//! Anything else is a miss. GC-horizon checks happen before the cache is
//! consulted, so an evicted history is never served from here; errors are
//! never cached.

use std::sync::Arc;

use bytes::Bytes;
use moka::sync::Cache;
use proto::grpc::PageRequest;
use proto::{Lsn, PageKey, TimelineId};

use crate::LayerMap;

/// A cached page and its validity.
#[derive(Debug, Clone)]
pub struct CachedPage {
    pub page: Bytes,
    /// The page's `page_lsn`: its last change.
    pub page_lsn: Lsn,
    /// The page is unchanged up to here.
    pub valid_upto: Lsn,
}

/// Reconstructed pages, bounded in bytes.
#[derive(Clone)]
pub struct PageCache {
    cache: Cache<(TimelineId, PageKey), Arc<CachedPage>>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

/// Whether `key` has no change in `(after, upto]` according to the map's
/// in-memory layers, which must cover every LSN after `after`.
pub fn unchanged_in_memory(map: &LayerMap, key: PageKey, after: Lsn, upto: Lsn) -> bool {
    if upto <= after {
        return true;
    }
    let oldest = map
        .frozen_layers()
        .first()
        .map(|l| l.start_lsn())
        .unwrap_or(map.open_layer().start_lsn());
    if oldest.0 > after.0 + 1 {
        return false;
    }
    let frozen = map.frozen_layers().iter().map(|l| &**l);
    std::iter::once(map.open_layer())
        .chain(frozen)
        .all(|l| l.changes(key, after, upto).is_empty())
}

impl PageCache {
    pub fn new(max_bytes: u64) -> PageCache {
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_k: &(TimelineId, PageKey), v: &Arc<CachedPage>| {
                u32::try_from(v.page.len() + 64).unwrap_or(u32::MAX)
            })
            .support_invalidation_closures()
            .build();
        PageCache { cache }
    }

    /// The cached page for `req` on a timeline whose in-memory layers are
    /// `map` and whose last record ends at `last_record_lsn`.
    pub fn get(
        &self,
        id: &TimelineId,
        req: &PageRequest,
        map: &LayerMap,
        last_record_lsn: Lsn,
    ) -> Option<Bytes> {
        let k = (id.clone(), req.key);
        let c = self.cache.get(&k)?;
        let r = req.request_lsn;
        if c.page_lsn > r {
            return None;
        }
        if r <= c.valid_upto {
            return Some(c.page.clone());
        }
        let nms = req.not_modified_since;
        if nms.is_valid() && c.page_lsn <= nms && nms <= c.valid_upto {
            return Some(c.page.clone());
        }
        let upto = r.min(last_record_lsn);
        if upto > c.valid_upto && unchanged_in_memory(map, req.key, c.valid_upto, upto) {
            let extended = CachedPage {
                valid_upto: upto,
                ..(*c).clone()
            };
            let page = extended.page.clone();
            self.cache.insert(k, Arc::new(extended));
            return Some(page);
        }
        None
    }

    /// Remembers a page rebuilt at `request_lsn` when the timeline had
    /// ingested up to `last_record_lsn`; keeps the newer of two versions.
    pub fn insert(
        &self,
        id: &TimelineId,
        key: PageKey,
        page: Bytes,
        request_lsn: Lsn,
        last_record_lsn: Lsn,
    ) {
        let page_lsn = proto::page::page_lsn(
            page[..]
                .try_into()
                .expect("a reconstructed page is PAGE_SIZE bytes"),
        );
        let entry = CachedPage {
            page,
            page_lsn,
            valid_upto: request_lsn.min(last_record_lsn).max(page_lsn),
        };
        let k = (id.clone(), key);
        if let Some(old) = self.cache.get(&k)
            && old.valid_upto > entry.valid_upto
        {
            return;
        }
        self.cache.insert(k, Arc::new(entry));
    }

    /// Drops every entry of `id` (a timeline detached or re-attached).
    pub fn forget_timeline(&self, id: &TimelineId) {
        let id = id.clone();
        let _ = self.cache.invalidate_entries_if(move |k, _| k.0 == id);
    }
}
