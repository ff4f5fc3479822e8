//! GetPage@LSN for a batch: wait for WAL, then the cache, then
//! reconstruction on the blocking pool.
//!
//! For each request the pageserver needs WAL only up to
//! `not_modified_since` (the client vouches the page did not change between
//! it and `request_lsn`), so the batch waits once, for its highest
//! `not_modified_since`, bounded by the configured timeout; a request whose
//! LSN was still not reached fails alone with [`Error::WaitTimeout`]. A
//! batch the cache answers whole is answered on the async thread, under a
//! read lock taken only if free (no I/O, no waiting): by the caller first
//! ([`get_pages_cached`]), and here again after a wait for WAL. Other
//! batches run together on the blocking pool under one read lock of the
//! timeline, bounded by a semaphore so reconstruction never occupies the
//! async runtime's threads; the lock is dropped while a layer that is still
//! in object storage is downloaded ([`crate::ondemand`]). Each request checks the GC horizon first, then
//! the [`crate::cache::PageCache`], then reconstructs (falling through to
//! the ancestor below a branch point).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use proto::Lsn;
use proto::grpc::PageRequest;

use crate::cache::PageCache;
use crate::ondemand::Fetcher;
use crate::service::Pageserver;
use crate::timeline_handle::TimelineHandle;
use crate::{Error, LayeredTimeline, Result, blocking, metrics};

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
    let n = reqs.len();
    if want > handle.last_record_lsn() {
        match handle.wait_for(want, ps.config().wait_lsn_timeout).await {
            Ok(()) | Err(Error::WaitTimeout { .. }) => {}
            Err(_) => return reqs.iter().map(|_| Err(Error::ShuttingDown)).collect(),
        }
        // Now that the WAL is in, the cache may answer the whole batch (the
        // caller's in-line attempt, [`get_pages_cached`], could not wait).
        if let Some(out) = answer_all_cached(ps, handle, &reqs) {
            observe(started, n);
            return out;
        }
    }
    let permit = match ps.reconstruct_permits().clone().acquire_owned().await {
        Ok(p) => p,
        Err(_) => return reqs.iter().map(|_| Err(Error::ShuttingDown)).collect(),
    };
    let h = handle.clone();
    let cache = ps.cache().clone();
    let timeout = ps.config().wait_lsn_timeout;
    let results = blocking(move || {
        let _permit = permit;
        Ok(answer_batch(&h, &cache, &reqs, timeout))
    })
    .await;
    observe(started, n);
    // The closure itself never fails: an error is the blocking pool
    // shutting down.
    results.unwrap_or_else(|_| (0..n).map(|_| Err(Error::ShuttingDown)).collect())
}

/// Answers `reqs` under one read lock of the timeline, except that a layer
/// still in object storage is fetched with the lock dropped (a download may
/// take long, and a writer waiting for the lock would stop every other
/// reader behind it): the lock is then taken again and the request retried
/// against the layer map as it is now.
fn answer_batch(
    h: &TimelineHandle,
    cache: &PageCache,
    reqs: &[PageRequest],
    timeout: std::time::Duration,
) -> Vec<Result<Bytes>> {
    let mut fetcher = Fetcher::default();
    let mut tl = h.read();
    let mut ctx = Ctx::new(h, &tl, cache, ancestor_cutoff(h), timeout);
    let mut out = Vec::with_capacity(reqs.len());
    for req in reqs {
        let mut missed = false;
        let answer = loop {
            match ctx.answer_cached(&tl, req) {
                Some((r, hit)) => {
                    if hit {
                        metrics::CACHE_HITS.inc();
                    }
                    break r;
                }
                None if !missed => {
                    metrics::CACHE_MISSES.inc();
                    missed = true;
                }
                None => {}
            }
            match h.get_page_locked(&tl, req.key, req.request_lsn) {
                Ok(page) => {
                    let page = Bytes::copy_from_slice(&page[..]);
                    cache.insert(&h.id, req.key, page.clone(), req.request_lsn, ctx.last);
                    break Ok(page);
                }
                Err(Error::NotResident { file, .. }) => {
                    drop(tl);
                    let fetched = fetcher.fetch(file);
                    // Taken again either way: the next request needs it.
                    tl = h.read();
                    ctx = Ctx::new(h, &tl, cache, ancestor_cutoff(h), timeout);
                    if let Err(e) = fetched {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        out.push(answer);
    }
    out
}

/// [`get_pages`] if the cache answers the whole batch with no waiting
/// (ingest already past every `not_modified_since`); else `None`.
pub fn get_pages_cached(
    ps: &Pageserver,
    handle: &TimelineHandle,
    reqs: &[PageRequest],
) -> Option<Vec<Result<Bytes>>> {
    let started = Instant::now();
    let want = reqs.iter().map(|r| r.not_modified_since).max()?;
    if want > handle.last_record_lsn() {
        return None;
    }
    let out = answer_all_cached(ps, handle, reqs)?;
    observe(started, reqs.len());
    Some(out)
}

fn observe(started: Instant, n: usize) {
    let elapsed = started.elapsed().as_secs_f64();
    for _ in 0..n {
        metrics::GETPAGE_SECONDS.observe(elapsed);
    }
}

/// Below a branch point the ancestor's horizon applies (it only grows;
/// reading it before the timeline's lock keeps lock order child → ancestor).
fn ancestor_cutoff(h: &TimelineHandle) -> Lsn {
    h.ancestor
        .as_ref()
        .map_or(Lsn::INVALID, |(a, _)| a.effective_gc_cutoff())
}

/// Every answer of `reqs` without reconstruction, or `None` if any page
/// needs it (or a writer holds the timeline's lock: this must not wait).
fn answer_all_cached(
    ps: &Pageserver,
    h: &TimelineHandle,
    reqs: &[PageRequest],
) -> Option<Vec<Result<Bytes>>> {
    let ancestor_cutoff = ancestor_cutoff(h);
    let tl = h.try_read()?;
    let ctx = Ctx::new(
        h,
        &tl,
        ps.cache(),
        ancestor_cutoff,
        ps.config().wait_lsn_timeout,
    );
    let mut out = Vec::with_capacity(reqs.len());
    let mut hits = 0;
    for req in reqs {
        let (r, hit) = ctx.answer_cached(&tl, req)?;
        hits += u64::from(hit);
        out.push(r);
    }
    metrics::CACHE_HITS.inc_by(hits);
    Some(out)
}

/// What answering one batch under one read lock needs (taken from the
/// timeline under that lock).
struct Ctx<'a> {
    h: &'a TimelineHandle,
    cache: &'a PageCache,
    last: Lsn,
    cutoff: Lsn,
    timeout: std::time::Duration,
}

impl<'a> Ctx<'a> {
    fn new(
        h: &'a TimelineHandle,
        tl: &'a LayeredTimeline,
        cache: &'a PageCache,
        ancestor_cutoff: Lsn,
        timeout: std::time::Duration,
    ) -> Ctx<'a> {
        Ctx {
            h,
            cache,
            last: tl.last_record_lsn(),
            cutoff: tl.gc_cutoff().max(ancestor_cutoff),
            timeout,
        }
    }

    /// The answer to `req` from the checks and the cache, and whether it was
    /// a cache hit; `None` when the page must be reconstructed.
    fn answer_cached(
        &self,
        tl: &LayeredTimeline,
        req: &PageRequest,
    ) -> Option<(Result<Bytes>, bool)> {
        if req.not_modified_since > self.last {
            return Some((
                Err(Error::WaitTimeout {
                    lsn: req.not_modified_since,
                    last: self.last,
                    waited: self.timeout,
                }),
                false,
            ));
        }
        if req.request_lsn < self.cutoff {
            return Some((
                Err(Error::BelowGcHorizon {
                    lsn: req.request_lsn,
                    cutoff: self.cutoff,
                }),
                false,
            ));
        }
        if tl.is_dropped(req.key, req.request_lsn) {
            return Some((
                Err(Error::NeverWritten {
                    key: req.key,
                    lsn: req.request_lsn,
                }),
                false,
            ));
        }
        let page = self.cache.get(&self.h.id, req, tl.layer_map(), self.last)?;
        Some((Ok(page), true))
    }
}
