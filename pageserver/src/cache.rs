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
//!
//! Eviction is LRU: moka's default TinyLFU admission refuses a page seen
//! once whenever the cache is full, so a page a compute had just read was
//! usually not there for its next read (35–46% hits when re-reading the last
//! 16k of 100k pages read once, in `strata-bench pageserver`).

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
            .eviction_policy(moka::policy::EvictionPolicy::lru())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InMemoryLayer;
    use proto::TimelineId;
    use proto::page::{PAGE_SIZE, set_page_lsn, zeroed_page};

    fn tl() -> TimelineId {
        TimelineId::new("t", "main").expect("valid names")
    }

    fn key(b: u32) -> PageKey {
        PageKey::new(7, b)
    }

    fn page(lsn: u64) -> Bytes {
        let mut p = zeroed_page();
        set_page_lsn(&mut p, Lsn(lsn));
        Bytes::copy_from_slice(&p[..])
    }

    fn req(b: u32, lsn: u64, nms: u64) -> PageRequest {
        PageRequest {
            key: key(b),
            request_lsn: Lsn(lsn),
            not_modified_since: Lsn(nms),
        }
    }

    #[test]
    fn serves_only_within_the_known_validity() {
        let (c, id) = (PageCache::new(1 << 20), tl());
        // Empty in-memory layer starting at 500: nothing is known after 500.
        let map = LayerMap::new(InMemoryLayer::new(Lsn(500), Lsn(500)));
        // Rebuilt at 300 with page_lsn 200, timeline ingested to 400.
        c.insert(&id, key(1), page(200), Lsn(300), Lsn(400));
        assert!(c.get(&id, &req(1, 250, 0), &map, Lsn(400)).is_some());
        assert!(c.get(&id, &req(1, 300, 0), &map, Lsn(400)).is_some());
        assert!(
            c.get(&id, &req(1, 150, 0), &map, Lsn(400)).is_none(),
            "before page_lsn"
        );
        // Beyond the validity: only when the client vouches for it...
        assert!(c.get(&id, &req(1, 450, 0), &map, Lsn(400)).is_none());
        assert!(c.get(&id, &req(1, 450, 250), &map, Lsn(400)).is_some());
        // ...or when the in-memory layers cover (300, 450] (they start at 500: no).
        assert!(c.get(&id, &req(1, 450, 350), &map, Lsn(400)).is_none());
        // A covering, empty in-memory layer extends the entry.
        let covering = LayerMap::new(InMemoryLayer::new(Lsn(301), Lsn(450)));
        assert!(c.get(&id, &req(1, 450, 0), &covering, Lsn(450)).is_some());
        assert!(
            c.get(&id, &req(1, 440, 0), &map, Lsn(450)).is_some(),
            "extended"
        );
    }

    #[test]
    fn keeps_the_most_recently_used_pages_when_full() {
        // Room for ~64 pages; 1000 pages are each read once, in order. LRU
        // keeps the last ones (TinyLFU admission refused most of them).
        let (c, id) = (PageCache::new(64 * (PAGE_SIZE as u64 + 64)), tl());
        let map = LayerMap::new(InMemoryLayer::new(Lsn(1000), Lsn(1000)));
        for b in 0..1000 {
            c.insert(&id, key(b), page(10), Lsn(100), Lsn(100));
        }
        c.cache.run_pending_tasks();
        let recent = (968..1000)
            .filter(|&b| c.get(&id, &req(b, 100, 0), &map, Lsn(100)).is_some())
            .count();
        assert_eq!(recent, 32, "the last 32 pages read are all cached");
    }
}
