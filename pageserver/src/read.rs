//! GetPage@LSN for a batch: wait for WAL, then the cache, then
//! reconstruction on the blocking pool.
//!
//! For each request the pageserver needs WAL only up to
//! `not_modified_since` (the client vouches the page did not change between
//! it and `request_lsn`), so the batch waits once, for its highest
//! `not_modified_since`, bounded by the configured timeout; a request whose
//! LSN was still not reached fails alone with [`Error::WaitTimeout`]. The
//! reads then run together on the blocking pool under one read lock of the
//! timeline, bounded by a semaphore so reconstruction never occupies the
//! async runtime's threads. Each request checks the GC horizon first, then
//! the [`crate::cache::PageCache`], then reconstructs (falling through to
//! the ancestor below a branch point).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use proto::Lsn;
use proto::grpc::PageRequest;

use crate::service::Pageserver;
use crate::tenant::TimelineHandle;
use crate::{Error, Result, blocking, metrics};

/// Answers `reqs` on `handle`, one result per request, in order.
pub async fn get_pages(
    ps: &Pageserver,
    handle: &Arc<TimelineHandle>,
    reqs: Vec<PageRequest>,
) -> Vec<Result<Bytes>> {
    let started = Instant::now();
    let want = reqs
        .iter()
        .map(|r| r.not_modified_since)
        .max()
        .unwrap_or(Lsn::INVALID);
    if want > handle.last_record_lsn() {
        match handle.wait_for(want, ps.config().wait_lsn_timeout).await {
            Ok(()) | Err(Error::WaitTimeout { .. }) => {}
            Err(_) => return reqs.iter().map(|_| Err(Error::ShuttingDown)).collect(),
        }
    }
    let permit = match ps.reconstruct_permits().clone().acquire_owned().await {
        Ok(p) => p,
        Err(_) => return reqs.iter().map(|_| Err(Error::ShuttingDown)).collect(),
    };
    let h = handle.clone();
    let cache = ps.cache().clone();
    let timeout = ps.config().wait_lsn_timeout;
    let n = reqs.len();
    let results = blocking(move || {
        let _permit = permit;
        // Below a branch point the ancestor's horizon applies (it only grows;
        // reading it first keeps lock order child → ancestor).
        let ancestor_cutoff = h
            .ancestor
            .as_ref()
            .map_or(Lsn::INVALID, |(a, _)| a.effective_gc_cutoff());
        let tl = h.read();
        let last = tl.last_record_lsn();
        let cutoff = tl.gc_cutoff().max(ancestor_cutoff);
        let out = reqs
            .iter()
            .map(|req| {
                if req.not_modified_since > last {
                    return Err(Error::WaitTimeout {
                        lsn: req.not_modified_since,
                        last,
                        waited: timeout,
                    });
                }
                if req.request_lsn < cutoff {
                    return Err(Error::BelowGcHorizon {
                        lsn: req.request_lsn,
                        cutoff,
                    });
                }
                if tl.is_dropped(req.key, req.request_lsn) {
                    return Err(Error::NeverWritten {
                        key: req.key,
                        lsn: req.request_lsn,
                    });
                }
                if let Some(page) = cache.get(&h.id, req, tl.layer_map(), last) {
                    metrics::CACHE_HITS.inc();
                    return Ok(page);
                }
                metrics::CACHE_MISSES.inc();
                let page = h.get_page_locked(&tl, req.key, req.request_lsn)?;
                let page = Bytes::copy_from_slice(&page[..]);
                cache.insert(&h.id, req.key, page.clone(), req.request_lsn, last);
                Ok(page)
            })
            .collect::<Vec<_>>();
        Ok(out)
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    for _ in 0..n {
        metrics::GETPAGE_SECONDS.observe(elapsed);
    }
    // The closure itself never fails: an error is the blocking pool
    // shutting down.
    results.unwrap_or_else(|_| (0..n).map(|_| Err(Error::ShuttingDown)).collect())
}
