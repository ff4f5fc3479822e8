//! # page_cache: the compute's pages, over the pageserver
//!
//! [`PageCache`] is where a real compute's pages live (the all-resident
//! [`crate::engine::PageTable`] mode is for tests and embedded single-node use). It has
//! three parts, as DESIGN.md "Page cache" says:
//!
//! * the **dirty-page table** ([`dirty::DirtyPages`]): the latest version of every page
//!   whose end LSN the pageserver has not ingested yet. Never evicted; bounded by
//!   [`CacheConfig::dirty_limit`] pages — a commit waits ([`PageCache::wait_for_room`])
//!   until the pageserver catches up. The bound is checked before a commit enters the
//!   serial step, so one commit may overshoot it by the pages it writes;
//! * the **clean cache**: moka, bounded in bytes ([`CacheConfig::cache_bytes`],
//!   `--cache-size`), holding only page versions the pageserver can also serve, so moka may
//!   evict anything at any time. The latest version of a page is cached under
//!   `(key, Lsn::MAX)`; an old snapshot's version under `(key, S)`. The policy is LRU:
//!   moka's default TinyLFU admission kept refusing freshly fetched leaves that the next
//!   commit touched again (3x the round trips in `tests/page_cache_pageserver.rs`);
//! * the **last-written-LSN map** ([`last_written::LastWrittenMap`]): a miss asks the pageserver for
//!   `(key, request_lsn = latest, not_modified_since = LWL(key))`.
//!
//! ## How dirty pages become clean
//! A background task polls the pageserver's `TimelineStatus.last_record_lsn` every
//! [`CacheConfig::ingest_poll`] while the dirty table is non-empty, and
//! [`PageCache::note_ingested`] moves every dirty version at or below it into the clean
//! cache. (Polling was chosen over learning it from GetPages answers because those do not
//! carry the ingest position, and an idle compute must still drain.)
//!
//! ## Why a fetched page is current
//! A miss reads `nms = LWL(key)` and the request LSN `R` under the state lock and
//! registers the fetch ([`inflight`]). When the answer (the page as of `R`) arrives, again
//! under the lock: a dirty version wins; a version this compute published meanwhile makes
//! it ask again; changes a read replica applied meanwhile are replayed onto the answer
//! before it enters the latest slot. Publishing and replica redo go through the same lock,
//! so a stale answer can never overwrite a newer version in the cache, and a hot page on a
//! replica is read in one round trip however fast the primary writes it.
//!
//! ## Pins: the commit's prepare phase
//! A commit fetches the pages its write set will touch *before* the commit mutex
//! ([`PageCache::fetch_batch`], one GetPages batch per tree level) and pins them
//! ([`PageCache::pin`] → [`PinSet`], see [`pins`]) so that moka cannot evict them before
//! the serial step reads them with [`PageCache::cached`], which never fetches. Reads go
//! dirty table → pins → clean cache.
//!
//! ## Read-ahead
//! [`PageCache::get_with_readahead`]: a miss of block `b` of a range scan fetches the next
//! blocks the caller names in the same batch (one round trip for many leaves).
//! ascending loads lay leaves out in block order, so a sequential scan costs one round trip
//! per read-ahead window, not per page.

pub mod dirty;
pub mod inflight;
pub mod last_written;
pub mod metrics;
pub mod pins;

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use proto::grpc::PageRequest;
use proto::page::Page;
use proto::{Lsn, PageKey, RelId};

use crate::page_client::{PageClient, PageError};
use dirty::DirtyPages;
use inflight::{CatchUp, InFlight};
use last_written::LastWrittenMap;
use pins::Pins;

/// The cache slot of a page's latest version.
const LATEST: Lsn = Lsn::MAX;

/// Page cache settings.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Bytes of clean pages held (`--cache-size`, default 256 MiB).
    pub cache_bytes: u64,
    /// Dirty pages held before commits wait for the pageserver.
    pub dirty_limit: usize,
    /// How long a commit waits for room in the dirty table before failing.
    pub dirty_wait: Duration,
    /// Entries of the last-written-LSN map.
    pub last_written_capacity: usize,
    /// How often the pageserver's ingest position is polled while pages are dirty.
    pub ingest_poll: Duration,
    /// Blocks a range scan reads ahead on a miss.
    pub readahead: u32,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            cache_bytes: 256 << 20,
            dirty_limit: 16 * 1024,
            dirty_wait: Duration::from_secs(30),
            last_written_capacity: 256 * 1024,
            ingest_poll: Duration::from_millis(10),
            readahead: 16,
        }
    }
}

struct State {
    dirty: DirtyPages,
    last_written: LastWrittenMap,
    /// Latest versions pinned by commits in their prepare phase.
    pins: Pins,
    /// End of the newest record published (the request LSN of latest reads).
    latest: Lsn,
    /// The pageserver's ingest position as last seen.
    ingested: Lsn,
    /// Keys being fetched and the changes made to them meanwhile.
    inflight: InFlight,
}

/// Dirty-page table + byte-bounded clean cache + last-written-LSN map over a [`PageClient`].
pub struct PageCache {
    client: Arc<PageClient>,
    clean: moka::sync::Cache<(PageKey, Lsn), Arc<Page>>,
    state: Mutex<State>,
    room: Condvar,
    config: CacheConfig,
}

/// One page's outcome in the cache: the page, `None` if it was never written, or why it
/// could not be read.
type Lookup = Result<Option<Arc<Page>>, PageError>;

/// Weight of one cached page in bytes (the page plus its key and bookkeeping).
const ENTRY_BYTES: u32 = proto::PAGE_SIZE as u32 + 64;

impl PageCache {
    /// A cache over `client` for a compute whose WAL ends at `start` (every page may have
    /// changed up to there). Spawns the ingest poller on the client's runtime; it stops
    /// when the cache is dropped.
    pub fn new(client: Arc<PageClient>, config: CacheConfig, start: Lsn) -> Arc<PageCache> {
        let clean = moka::sync::Cache::builder()
            .max_capacity(config.cache_bytes)
            .weigher(|_k, _v: &Arc<Page>| ENTRY_BYTES)
            .eviction_policy(moka::policy::EvictionPolicy::lru())
            .build();
        let cache = Arc::new(PageCache {
            clean,
            state: Mutex::new(State {
                dirty: DirtyPages::new(config.dirty_limit),
                last_written: LastWrittenMap::new(start, config.last_written_capacity),
                pins: Pins::default(),
                latest: start,
                ingested: Lsn::INVALID,
                inflight: InFlight::default(),
            }),
            room: Condvar::new(),
            client: client.clone(),
            config,
        });
        let weak = Arc::downgrade(&cache);
        let poll = cache.config.ingest_poll;
        let span = tracing::info_span!(
            "ingest_poller",
            tenant = %client.timeline().tenant,
            timeline = %client.timeline().timeline,
        );
        client.runtime().spawn(tracing::Instrument::instrument(
            async move {
                loop {
                    tokio::time::sleep(poll).await;
                    let Some(cache) = weak.upgrade() else { return };
                    if cache.dirty_len() == 0 {
                        continue;
                    }
                    match cache.client.ingested_lsn().await {
                        Ok(lsn) => cache.note_ingested(lsn),
                        Err(e) => tracing::debug!(error = %e, "poll pageserver ingest position"),
                    }
                }
            },
            span,
        ));
        cache
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent between statements.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The page client.
    pub fn client(&self) -> &Arc<PageClient> {
        &self.client
    }

    /// The cache's settings.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Raises the request LSN of latest reads (the engine's WAL end at startup).
    pub fn advance_latest(&self, lsn: Lsn) {
        let mut st = self.lock();
        st.latest = st.latest.max(lsn);
    }

    /// The dirty, pinned or cached latest version of `key`, without fetching.
    fn lookup(&self, key: PageKey) -> Option<Arc<Page>> {
        {
            let st = self.lock();
            if let Some(p) = st.dirty.get(key).or_else(|| st.pins.get(key)) {
                return Some(p);
            }
        }
        self.clean.get(&(key, LATEST))
    }

    /// Whether the latest version of `key` is held (without touching its recency).
    fn is_cached(&self, key: PageKey) -> bool {
        {
            let st = self.lock();
            if st.dirty.get(key).is_some() || st.pins.get(key).is_some() {
                return true;
            }
        }
        self.clean.contains_key(&(key, LATEST))
    }

    /// The latest version of `key` if the cache holds it (dirty, pinned or clean); never
    /// asks the pageserver. The serial step reads its pages this way.
    pub fn cached(&self, key: PageKey) -> Option<Arc<Page>> {
        let page = self.lookup(key);
        match page {
            Some(_) => metrics::HITS.inc(),
            None => metrics::MISSES.inc(),
        }
        page
    }

    /// Fetches the latest versions of `keys` from the pageserver in one batch (keys a
    /// concurrent commit changes meanwhile are asked again), admitting them to the clean
    /// cache. Per-key outcomes, `None` for a page never written; fails as a whole only if
    /// the pageserver cannot be reached.
    pub fn fetch_batch(&self, keys: &[PageKey]) -> Result<Vec<Lookup>, PageError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.fetch_latest(keys)
    }

    /// Pins the latest version of each of `keys` the cache holds now (dirty or clean),
    /// until `set` drops; returns how many it pinned (a key evicted since it was read is
    /// skipped — the serial step will miss it and the commit prepares again).
    pub fn pin(&self, set: &mut PinSet, keys: impl IntoIterator<Item = PageKey>) -> usize {
        let mut st = self.lock();
        let mut pinned = 0;
        for key in keys {
            let latest = st
                .dirty
                .get(key)
                .or_else(|| st.pins.get(key))
                .or_else(|| self.clean.get(&(key, LATEST)));
            if let Some(page) = latest {
                st.pins.pin(key, page);
                set.keys.push(key);
                pinned += 1;
            }
        }
        pinned
    }

    /// Number of pinned pages.
    pub fn pinned_len(&self) -> usize {
        self.lock().pins.len()
    }

    /// The latest version of `key` (`None`: never written).
    pub fn get(&self, key: PageKey) -> Result<Option<Arc<Page>>, PageError> {
        self.get_with_readahead(key, &[])
    }

    /// The latest version of `key`; on a miss, also fetches those of `ahead` that are not
    /// cached, in the same batch.
    pub fn get_with_readahead(
        &self,
        key: PageKey,
        ahead: &[PageKey],
    ) -> Result<Option<Arc<Page>>, PageError> {
        if let Some(p) = self.lookup(key) {
            metrics::HITS.inc();
            return Ok(Some(p));
        }
        metrics::MISSES.inc();
        let mut keys = vec![key];
        keys.extend(ahead.iter().filter(|k| !self.is_cached(**k)));
        metrics::PREFETCHED.inc_by(keys.len() as u64 - 1);
        let mut got = self.fetch_latest(&keys)?;
        // The first key was asked for; the others are only cached.
        got.truncate(1);
        got.pop()
            .unwrap_or(Err(PageError::Unavailable("empty batch answer".into())))
    }

    /// Fetches the latest versions of `keys` in one batch, admitting each into the clean
    /// cache. A replicated change that overtakes an answer is replayed onto it
    /// ([`inflight`]); a key this compute published meanwhile is asked again. Per-key
    /// results; the batch fails only if the pageserver cannot be reached.
    fn fetch_latest(&self, keys: &[PageKey]) -> Result<Vec<Lookup>, PageError> {
        let mut out: Vec<Option<Lookup>> = vec![None; keys.len()];
        for _attempt in 0..16 {
            let mut todo = Vec::new();
            {
                let mut st = self.lock();
                for (i, key) in keys.iter().enumerate() {
                    if out[i].is_some() {
                        continue;
                    }
                    if let Some(p) = st.dirty.get(*key) {
                        out[i] = Some(Ok(Some(p)));
                        continue;
                    }
                    let nms = st.last_written.get(*key);
                    st.inflight.begin(*key);
                    todo.push((
                        i,
                        PageRequest {
                            key: *key,
                            request_lsn: st.latest.max(nms),
                            not_modified_since: nms,
                        },
                    ));
                }
            }
            if todo.is_empty() {
                break;
            }
            let fetched = self.client.fetch(todo.iter().map(|(_, r)| *r).collect());
            let mut st = self.lock();
            let results = match fetched {
                Ok(results) => results,
                Err(e) => {
                    for (_, req) in &todo {
                        st.inflight.end(req.key);
                    }
                    return Err(e);
                }
            };
            for ((i, req), result) in todo.into_iter().zip(results) {
                let admitted = self.admit(&mut st, req, result);
                st.inflight.end(req.key);
                out[i] = admitted;
            }
        }
        out.into_iter()
            .zip(keys)
            .map(|(r, key)| {
                r.ok_or_else(|| {
                    PageError::Unavailable(format!("page {key} kept changing while fetched"))
                })
            })
            .collect()
    }

    /// The outcome of one fetched answer, brought up to date and cached; `None`: ask
    /// again.
    fn admit(
        &self,
        st: &mut State,
        req: PageRequest,
        result: crate::page_client::PageResult,
    ) -> Option<Lookup> {
        if let Some(p) = st.dirty.get(req.key) {
            return Some(Ok(Some(p)));
        }
        let answer = match result {
            Ok(bytes) => match to_page(req.key, &bytes) {
                Ok(page) => Some(Box::new(*page)),
                Err(e) => return Some(Err(e)),
            },
            Err(PageError::NeverWritten(_)) => None,
            Err(e) => return Some(Err(e)),
        };
        match st.inflight.catch_up(req.key, req.request_lsn, answer) {
            CatchUp::Refetch => None,
            CatchUp::Current(None) => Some(Ok(None)),
            CatchUp::Current(Some(page)) => {
                let page: Arc<Page> = Arc::from(page);
                self.clean.insert((req.key, LATEST), page.clone());
                Some(Ok(Some(page)))
            }
        }
    }

    /// The version of `key` at the record boundary `lsn` (an old snapshot), cached under
    /// `(key, lsn)`, never in the latest slot. `None`: the page did not exist at `lsn`.
    pub fn get_at(&self, key: PageKey, lsn: Lsn) -> Result<Option<Arc<Page>>, PageError> {
        if let Some(p) = self.clean.get(&(key, lsn)) {
            metrics::HITS.inc();
            return Ok(Some(p));
        }
        metrics::MISSES.inc();
        let req = PageRequest {
            key,
            request_lsn: lsn,
            not_modified_since: lsn,
        };
        let result = self
            .client
            .fetch(vec![req])?
            .pop()
            .unwrap_or(Err(PageError::Unavailable("empty batch answer".into())));
        match result {
            Ok(bytes) => {
                let page = to_page(key, &bytes)?;
                self.clean.insert((key, lsn), page.clone());
                Ok(Some(page))
            }
            Err(PageError::NeverWritten(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Publishes a new latest version of `key`, written by the record ending at `end`
    /// (the page's `page_lsn`): it is dirty until the pageserver ingests `end`.
    pub fn publish(&self, key: PageKey, page: Arc<Page>, end: Lsn) {
        let mut st = self.lock();
        st.last_written.set(key, end);
        st.inflight.note_published(key, end);
        st.pins.refresh(key, &page);
        st.latest = st.latest.max(end);
        if end <= st.ingested {
            // Already ingested (a record replayed from the WAL): clean at once.
            self.clean.insert((key, LATEST), page);
        } else {
            st.dirty.insert(key, end, page);
        }
        metrics::DIRTY.set(st.dirty.len() as i64);
    }

    /// A read replica applies `change` of a committed record ending at `end`: the cached
    /// latest version of the page gets it through `proto::redo::apply` (an image is
    /// cached whatever was there); a delta to a page not cached is dropped. Either way
    /// later misses of the key ask the pageserver for a version no older than `end`
    /// (its last-written LSN), and a fetch in flight for it is asked again. The result
    /// stays in the clean cache: the pageserver ingests the same committed WAL, so an
    /// evicted version can always be fetched back. Returns whether the page is cached.
    pub fn apply_replicated(&self, change: &proto::PageChange, end: Lsn) -> bool {
        let key = change.key;
        let mut st = self.lock();
        st.last_written.set(key, end);
        st.inflight.note_replicated(change, end);
        st.latest = st.latest.max(end);
        let base: Box<Page> = match &change.body {
            proto::PageBody::Image(_) => proto::page::zeroed_page(),
            _ => match self.clean.get(&(key, LATEST)) {
                Some(p) => Box::new(*p),
                None => return false,
            },
        };
        let mut page = base;
        match proto::redo::apply(&mut page, change, end) {
            Ok(()) => {
                self.clean.insert((key, LATEST), Arc::from(page));
                true
            }
            Err(e) => {
                // The cached version is not the one the change was made against: forget
                // it, the pageserver rebuilds the page from the same WAL.
                tracing::warn!(%key, %end, error = %e, "replica redo failed; page evicted");
                self.clean.invalidate(&(key, LATEST));
                false
            }
        }
    }

    /// The pageserver has ingested up to `lsn`: dirty versions at or below it become clean.
    pub fn note_ingested(&self, lsn: Lsn) {
        let mut st = self.lock();
        if lsn <= st.ingested {
            return;
        }
        st.ingested = lsn;
        for (key, _, page) in st.dirty.drain(lsn) {
            self.clean.insert((key, LATEST), page);
        }
        metrics::DIRTY.set(st.dirty.len() as i64);
        drop(st);
        self.room.notify_all();
    }

    /// Blocks while the dirty-page table is full (the pageserver is behind), up to
    /// [`CacheConfig::dirty_wait`].
    pub fn wait_for_room(&self) -> Result<(), PageError> {
        let deadline = Instant::now() + self.config.dirty_wait;
        let mut st = self.lock();
        while st.dirty.is_full() {
            let now = Instant::now();
            if now >= deadline {
                return Err(PageError::Unavailable(format!(
                    "{} dirty pages not ingested by the pageserver after {:?}",
                    st.dirty.len(),
                    self.config.dirty_wait
                )));
            }
            st = self
                .room
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(())
    }

    /// Number of dirty pages.
    pub fn dirty_len(&self) -> usize {
        self.lock().dirty.len()
    }

    /// The dirty pages (for checks).
    pub fn dirty_pages(&self) -> Vec<(PageKey, Arc<Page>)> {
        self.lock().dirty.pages().collect()
    }

    /// Bytes held by the clean cache, after moka's pending evictions.
    pub fn clean_bytes(&self) -> u64 {
        self.clean.run_pending_tasks();
        self.clean.weighted_size()
    }

    /// The last-written LSN a miss of `key` would send.
    pub fn last_written(&self, key: PageKey) -> Lsn {
        self.lock().last_written.get(key)
    }

    /// Number of blocks of `rel`, learned from the pageserver: blocks are `0..n`, never
    /// freed, so `n` is found by doubling then bisecting on "was block b written".
    pub fn relation_size(&self, rel: RelId) -> Result<u32, PageError> {
        let exists = |block: u32| -> Result<bool, PageError> {
            Ok(self.get(PageKey { rel, block })?.is_some())
        };
        if !exists(0)? {
            return Ok(0);
        }
        let (mut lo, mut hi) = (0u32, 1u32);
        while exists(hi)? {
            lo = hi;
            hi = match hi.checked_mul(2) {
                Some(h) => h,
                None => return Ok(u32::MAX),
            };
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if exists(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(hi)
    }
}

/// Pins taken by one commit ([`PageCache::pin`]), released when this drops.
pub struct PinSet {
    cache: Arc<PageCache>,
    keys: Vec<PageKey>,
}

impl PinSet {
    /// An empty set of pins on `cache`.
    pub fn new(cache: Arc<PageCache>) -> PinSet {
        PinSet {
            cache,
            keys: Vec::new(),
        }
    }

    /// Number of pins held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Drop for PinSet {
    fn drop(&mut self) {
        let mut st = self.cache.lock();
        for key in self.keys.drain(..) {
            st.pins.unpin(key);
        }
    }
}

fn to_page(key: PageKey, bytes: &[u8]) -> Result<Arc<Page>, PageError> {
    let page: Page = bytes.try_into().map_err(|_| PageError::Internal {
        key,
        message: format!("{} bytes, expected one page", bytes.len()),
    })?;
    Ok(Arc::new(page))
}

#[cfg(test)]
mod tests;
