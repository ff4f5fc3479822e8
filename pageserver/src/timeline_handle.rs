//! One attached timeline in the running service: [`TimelineHandle`].
//!
//! It owns the timeline's storage core ([`LayeredTimeline`], behind a lock: ingest
//! and maintenance write, reads share), the `last_record_lsn` watch that
//! GetPage waits on, the commit-timestamp index, the branch structure (its
//! ancestor and, in [`Retention`], the branch points of its children and
//! LSN leases, which bound GC), and the remote state (generation, last uploaded manifest, and
//! whether a newer generation has fenced it).
//!
//! Locks: a read of a branch takes the branch's read lock, then its
//! ancestor's (always child before ancestor, never the reverse, so there is
//! no cycle); writers take one timeline's lock. `gc_guard` serializes GC
//! with branch creation and lease grants, so a branch point or lease is
//! never granted below a cutoff GC has just applied.
//!
//! The storage lock is std's, which admits no new reader while a writer
//! waits, so it is taken only on the blocking pool (an async thread may only
//! `try_read`) and never held across object-store I/O (on-demand downloads
//! happen between attempts, [`crate::ondemand`]). Async code reads published
//! copies instead: `last_record_lsn` (a watch), the manifest
//! ([`TimelineHandle::published`]) and the GC cutoff
//! ([`TimelineHandle::gc_cutoff`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime};

use proto::page::Page;
use proto::{Lsn, PageKey, TimelineId};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::commit_index::CommitIndex;
use crate::logical_size::RelSizes;
use crate::manifest::Manifest;
use crate::ondemand::with_downloads;
use crate::retention::Retention;
use crate::{Error, LayeredTimeline, Result};

/// What is in object storage for this timeline, as far as this generation
/// knows.
#[derive(Debug)]
pub struct RemoteState {
    /// The manifest last uploaded (or read at attach).
    pub manifest: Manifest,
    /// A newer generation exists: no more uploads or deletions.
    pub fenced_by: Option<u64>,
}

/// An attached timeline.
#[derive(Debug)]
pub struct TimelineHandle {
    pub id: TimelineId,
    /// Where the timeline's WAL starts (a branch's: its branch point).
    pub start_lsn: Lsn,
    pub ancestor: Option<(Arc<TimelineHandle>, Lsn)>,
    pub generation: u64,
    storage: RwLock<LayeredTimeline>,
    /// The timeline's own GC cutoff ([`LayeredTimeline::gc_cutoff_cell`]), read
    /// without `storage`'s lock.
    local_gc_cutoff: Arc<AtomicU64>,
    last_record: watch::Sender<Lsn>,
    pub commits: Mutex<CommitIndex>,
    pub remote: tokio::sync::Mutex<RemoteState>,
    /// A copy of `remote.manifest` as last published, for readers that must never wait
    /// behind an upload holding `remote` (status, health): updated with
    /// [`TimelineHandle::publish`] whenever `remote.manifest` changes.
    published: Mutex<Manifest>,
    /// Branch points and leases ([`crate::retention`]).
    pub retention: Mutex<Retention>,
    /// Serializes making `retention` durable (local file, then manifest),
    /// so an older snapshot never overwrites a newer one.
    pub retention_io: tokio::sync::Mutex<()>,
    /// Ingest signals here when frozen layers wait for a flush.
    pub flush_wanted: Notify,
    /// When the open layer was last frozen (for the checkpoint interval).
    pub last_freeze: Mutex<Instant>,
    /// Serializes flush, compaction, GC and sync of this timeline.
    pub maintenance: tokio::sync::Mutex<()>,
    /// Cancelled when the timeline is detached or the pageserver stops.
    pub cancel: CancellationToken,
}

fn unpoison<T>(r: std::sync::LockResult<T>) -> T {
    // Timeline state is updated so that a panicking holder leaves it valid.
    r.unwrap_or_else(|p| p.into_inner())
}

impl TimelineHandle {
    pub fn new(
        id: TimelineId,
        start_lsn: Lsn,
        ancestor: Option<(Arc<TimelineHandle>, Lsn)>,
        generation: u64,
        timeline: LayeredTimeline,
        manifest: Manifest,
        cancel: CancellationToken,
    ) -> TimelineHandle {
        let retention = Retention::from_manifest(&manifest);
        let commits = CommitIndex::from_entries(
            manifest
                .commit_timestamps
                .iter()
                .map(|&(ts, lsn)| (ts, Lsn(lsn))),
        );
        TimelineHandle {
            id,
            start_lsn,
            ancestor,
            generation,
            last_record: watch::Sender::new(timeline.last_record_lsn()),
            local_gc_cutoff: timeline.gc_cutoff_cell(),
            storage: RwLock::new(timeline),
            commits: Mutex::new(commits),
            published: Mutex::new(manifest.clone()),
            remote: tokio::sync::Mutex::new(RemoteState {
                manifest,
                fenced_by: None,
            }),
            retention: Mutex::new(retention),
            retention_io: tokio::sync::Mutex::new(()),
            flush_wanted: Notify::new(),
            last_freeze: Mutex::new(Instant::now()),
            maintenance: tokio::sync::Mutex::new(()),
            cancel,
        }
    }

    /// Records `manifest` (the new `remote.manifest`) for [`TimelineHandle::published`].
    pub fn publish(&self, manifest: &Manifest) {
        *unpoison(self.published.lock()) = manifest.clone();
    }

    /// Reads the manifest as last published without waiting for the remote lock, which
    /// an upload may hold for as long as the object store takes.
    pub fn published<T>(&self, f: impl FnOnce(&Manifest) -> T) -> T {
        let published = unpoison(self.published.lock());
        f(&published)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, LayeredTimeline> {
        unpoison(self.storage.read())
    }

    /// The read lock if no writer holds it now (for callers that must not
    /// wait, e.g. on an async thread).
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, LayeredTimeline>> {
        match self.storage.try_read() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, LayeredTimeline> {
        unpoison(self.storage.write())
    }

    pub fn retention(&self) -> std::sync::MutexGuard<'_, Retention> {
        unpoison(self.retention.lock())
    }

    pub fn commits(&self) -> std::sync::MutexGuard<'_, CommitIndex> {
        unpoison(self.commits.lock())
    }

    pub fn last_record_lsn(&self) -> Lsn {
        *self.last_record.borrow()
    }

    /// Publishes a new `last_record_lsn` to waiters.
    pub fn advance(&self, lsn: Lsn) {
        self.last_record.send_if_modified(|l| {
            let grew = lsn > *l;
            if grew {
                *l = lsn;
            }
            grew
        });
    }

    /// Waits until WAL up to `lsn` is ingested, for at most `timeout`.
    pub async fn wait_for(&self, lsn: Lsn, timeout: Duration) -> Result<()> {
        let mut rx = self.last_record.subscribe();
        let waited = tokio::select! {
            r = tokio::time::timeout(timeout, rx.wait_for(|l| *l >= lsn)) => r,
            _ = self.cancel.cancelled() => return Err(Error::ShuttingDown),
        };
        match waited {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(Error::ShuttingDown),
            Err(_) => Err(Error::WaitTimeout {
                lsn,
                last: self.last_record_lsn(),
                waited: timeout,
            }),
        }
    }

    /// The page `key` as of `lsn`, reading through to the ancestor below the
    /// branch point. Blocking (disk reads, redo, downloads): call it off the
    /// async runtime. Layers still in object storage are downloaded holding
    /// no lock ([`with_downloads`]).
    pub fn get_page(&self, key: PageKey, lsn: Lsn) -> Result<Box<Page>> {
        with_downloads(|| {
            let tl = self.read();
            self.get_page_locked(&tl, key, lsn)
        })
    }

    /// [`Self::get_page`] with this timeline's read lock already held: never
    /// downloads, here or in the ancestor; a layer still in object storage is
    /// [`Error::NotResident`], which the caller handles by dropping the lock,
    /// fetching the layer and calling again.
    pub fn get_page_locked(
        &self,
        tl: &LayeredTimeline,
        key: PageKey,
        lsn: Lsn,
    ) -> Result<Box<Page>> {
        match &self.ancestor {
            None => tl.get_page_resident_with(key, lsn, || Ok(None)),
            Some((ancestor, branch_lsn)) => tl.get_page_resident_with(key, lsn, || {
                let atl = ancestor.read();
                match ancestor.get_page_locked(&atl, key, lsn.min(*branch_lsn)) {
                    Ok(page) => Ok(Some(page)),
                    Err(Error::NeverWritten { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }),
        }
    }

    /// The timeline's logical size at `lsn` in bytes: its relations' sizes,
    /// a branch's ancestor's at the branch point included, without the
    /// relations dropped at or below `lsn` ([`crate::logical_size`]).
    /// `None` when it cannot be had without waiting: a storage lock is held
    /// by a writer (or a reader a writer waits behind), or a layer it needs is
    /// only in object storage (status never waits for a download). Reads
    /// resident layer files: call it off the async runtime.
    pub fn logical_size(&self, lsn: Lsn) -> Result<Option<u64>> {
        match self.rel_sizes(lsn) {
            Ok(Some(sizes)) => Ok(Some(sizes.bytes())),
            Ok(None) | Err(Error::NotResident { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn rel_sizes(&self, lsn: Lsn) -> Result<Option<RelSizes>> {
        let Some(tl) = self.try_read() else {
            return Ok(None);
        };
        let mut sizes = tl.rel_sizes(lsn)?;
        if let Some((ancestor, branch_lsn)) = &self.ancestor {
            let Some(theirs) = ancestor.rel_sizes(lsn.min(*branch_lsn))? else {
                return Ok(None);
            };
            sizes.merge(&theirs);
            sizes.drop_tombstoned(tl.layer_map().tombstones(), lsn);
        }
        Ok(Some(sizes))
    }

    /// Reads below this LSN are refused: this timeline's GC cutoff, or, for a
    /// branch, its ancestor's (reads below the branch point are the
    /// ancestor's history).
    ///
    /// Lock-free (safe on an async thread): it reads the published cutoffs.
    pub fn effective_gc_cutoff(&self) -> Lsn {
        let own = self.gc_cutoff();
        match &self.ancestor {
            None => own,
            Some((a, _)) => own.max(a.effective_gc_cutoff()),
        }
    }

    /// This timeline's own GC cutoff, without its lock. GC stores it under
    /// the write lock and the retention lock, right after persisting it.
    pub fn gc_cutoff(&self) -> Lsn {
        Lsn(self.local_gc_cutoff.load(Ordering::Acquire))
    }

    /// The lowest LSN GC must keep readable, given a wanted cutoff: no
    /// higher than any child's branch point or live lease (expired leases
    /// are dropped).
    pub fn bounded_cutoff(&self, wanted: Lsn, retention: &mut Retention) -> Lsn {
        let now = SystemTime::now();
        retention.expire(now);
        retention.bound(wanted, now)
    }

    /// Grants (or extends) a lease on `lsn` for `ttl` in memory, refused if
    /// GC already passed it; returns its expiry in ms since the Unix epoch.
    /// It is acknowledged only once made durable
    /// (`Pageserver::lease`).
    pub fn lease(&self, lsn: Lsn, ttl: Duration) -> Result<u64> {
        let mut r = self.retention();
        // GC applies its cutoff under the retention lock held here.
        let cutoff = self.gc_cutoff();
        if lsn < cutoff {
            return Err(Error::BelowGcHorizon { lsn, cutoff });
        }
        Ok(r.add_lease(lsn, SystemTime::now(), ttl))
    }
}
