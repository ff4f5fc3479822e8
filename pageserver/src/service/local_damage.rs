//! Recovery from damaged local layer files, and reads that wait it out.
//!
//! The local disk is a cache of object storage plus WAL the safekeepers keep, so a layer
//! file found damaged (a block's CRC fails) is not data loss: the timeline is detached and
//! attached again from object storage ([`Pageserver::reattach_after_damage`]). Invariants:
//! * while that runs the timeline is listed as broken *and* as re-attaching; a GetPage that
//!   arrives meanwhile waits for the new attachment (bounded by `wait_lsn_timeout`,
//!   [`Pageserver::timeline_when_attached`]) instead of failing, and the batch that found
//!   the damage is answered again from the new attachment
//!   ([`Pageserver::replacement_of`]) — a client sees latency, never a corrupt-page error
//!   for bytes object storage still holds;
//! * every waiter is woken when a timeline is installed or a re-attach ends, whatever the
//!   outcome (a [`Reattached`] guard), so no reader waits past its bound for nothing;
//! * attaching never fails on a damaged local copy of a layer the manifest lists: the file
//!   is deleted and read from object storage when needed ([`Pageserver::open_local`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use proto::TimelineId;

use super::Pageserver;
use crate::LayerName;
use crate::ondemand::Download;
use crate::timeline_handle::TimelineHandle;
use crate::{Error, LayeredTimeline, Result, blocking, metrics};

/// Deletes `known` and every layer file in `dir` that fails
/// [`layer_file::verify_bytes`](crate::layer_file::verify_bytes); returns
/// the paths deleted.
fn remove_damaged_layers(dir: &std::path::Path, known: &std::path::Path) -> Result<Vec<PathBuf>> {
    let remove = |path: &std::path::Path| match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("remove a damaged layer file", path, e))
        }
        _ => Ok(()),
    };
    remove(known)?;
    let mut removed = vec![known.to_path_buf()];
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io("list timeline directory", dir, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = crate::LayerName::parse(&entry.file_name().to_string_lossy()) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(&path) else {
            continue; // gone meanwhile; attach looks again
        };
        let whole = crate::layer_file::verify_bytes(&path, &bytes)
            .is_ok_and(|s| crate::LayerName::of(&s) == name);
        if !whole {
            remove(&path)?;
            removed.push(path);
        }
    }
    crate::layer_file::sync_dir(dir)?;
    Ok(removed)
}

impl Pageserver {
    /// Opens the timeline in `dir`, whose listed layers are those of its manifest (the ones
    /// in `missing` left in object storage until read). A local layer file whose footer or
    /// index fails its checksum is deleted and left to object storage too (the manifest
    /// lists it, so it is there), and the open is tried again: a damaged disk never makes a
    /// timeline broken while object storage holds a sound copy.
    pub(super) async fn open_local(
        &self,
        id: &TimelineId,
        dir: PathBuf,
        start: proto::Lsn,
        mut missing: Vec<LayerName>,
        download: Arc<dyn Download>,
    ) -> Result<LayeredTimeline> {
        loop {
            let (d, cfg, m, dl) = (
                dir.clone(),
                self.config.timeline.clone(),
                missing.clone(),
                download.clone(),
            );
            let opened =
                blocking(move || LayeredTimeline::open_with_remote(&d, cfg, start, &m, Some(dl)))
                    .await;
            let damaged = match &opened {
                Err(Error::Corrupt { file, .. }) if file.parent() == Some(dir.as_path()) => file
                    .file_name()
                    .and_then(|n| LayerName::parse(&n.to_string_lossy()))
                    .filter(|n| !missing.contains(n)),
                _ => None,
            };
            let Some(name) = damaged else {
                return opened;
            };
            let path = dir.join(name.to_string());
            tracing::error!(timeline = %id, file = %path.display(), error = %opened.err().map(|e| e.to_string()).unwrap_or_default(), "local layer file damaged: reading it from object storage instead");
            metrics::LOCAL_DAMAGE_REATTACHES.inc();
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove a damaged layer file", &path, e));
                }
                _ => {}
            }
            missing.push(name);
        }
    }

    /// The file of `id`'s local directory that `e` says holds damaged bytes
    /// (`None` for other errors, and for objects downloaded from the store).
    fn damaged_locally<'e>(&self, id: &TimelineId, e: &'e Error) -> Option<&'e std::path::Path> {
        match e {
            Error::Corrupt { file, .. } if file.starts_with(self.timeline_dir(id)) => Some(file),
            _ => None,
        }
    }

    /// Recovers `handle`'s timeline after a file in its local directory was
    /// found damaged (`file`, for the reason `why`): local disk is
    /// a cache of object storage plus the WAL after `remote_consistent_lsn`
    /// (which the safekeepers keep), so the timeline is detached — its tasks
    /// stopped, the damaged file deleted — and attached again under a new
    /// generation: layers the manifest does not list (never uploaded, so
    /// possibly the damaged one) are dropped, listed ones the disk lacks are
    /// downloaded when read, and the WAL after the manifest is re-ingested.
    /// Does nothing if `handle` was already replaced. Returns the handle now
    /// serving the timeline.
    pub async fn reattach_after_damage(
        self: &Arc<Self>,
        handle: &Arc<TimelineHandle>,
        file: &std::path::Path,
        why: &str,
    ) -> Result<Arc<TimelineHandle>> {
        let id = handle.id.clone();
        let _done = {
            let _g = self.attach_lock.lock().await;
            match self.timeline(&id) {
                Ok(current) if Arc::ptr_eq(&current, handle) => {}
                Ok(current) => return Ok(current),
                Err(e) => return Err(e),
            }
            tracing::error!(timeline = %id, file = %file.display(), error = why, "local layer file damaged: attaching the timeline again from object storage");
            self.lock_reattaching().insert(id.clone());
            // However this ends, readers waiting for the timeline stop waiting.
            let done = Reattached { ps: self, id: &id };
            metrics::LOCAL_DAMAGE_REATTACHES.inc();
            handle.cancel.cancel();
            // No flush, compaction or sync of the old handle is in flight past here.
            let _m = handle.maintenance.lock().await;
            self.timelines
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            self.lock_broken().insert(
                id.clone(),
                format!("being attached again after local damage ({why})"),
            );
            // Every damaged layer file goes, not only the one found: attach
            // keeps local files of the manifest's size, unread.
            let dir = self.timeline_dir(&id);
            let first = file.to_path_buf();
            let removed = blocking(move || remove_damaged_layers(&dir, &first)).await?;
            tracing::warn!(timeline = %id, removed = ?removed, "removed damaged local layer files");
            done
        };
        // Attach needs a generation from a majority of the safekeepers and the
        // object store: retried (the timeline listed as broken meanwhile, with
        // the reason) until it succeeds or the pageserver stops.
        let mut backoff =
            proto::backoff::Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let attempt = {
                let _g = self.attach_lock.lock().await;
                self.attach(id.clone()).await
            };
            match attempt {
                Ok(h) => {
                    tracing::info!(timeline = %id, generation = h.generation, "attached again after local damage");
                    return Ok(h);
                }
                Err(e) => {
                    let backoff = backoff.peek();
                    tracing::warn!(timeline = %id, error = %e, ?backoff, "attach again after local damage; retrying");
                    self.lock_broken().insert(
                        id.clone(),
                        format!("being attached again after local damage: {e}"),
                    );
                }
            }
            tokio::select! {
                _ = self.cancel.cancelled() => return Err(Error::ShuttingDown),
                _ = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }

    /// Starts [`Self::reattach_after_damage`] in the background if `e` says
    /// a local file of `handle`'s timeline is damaged; true if it did.
    pub fn recover_if_damaged(self: &Arc<Self>, handle: &Arc<TimelineHandle>, e: &Error) -> bool {
        let Some(file) = self.damaged_locally(&handle.id, e) else {
            return false;
        };
        let (ps, handle, file, why) = (
            self.clone(),
            handle.clone(),
            file.to_path_buf(),
            e.to_string(),
        );
        self.tasks.spawn(async move {
            if let Err(e) = ps.reattach_after_damage(&handle, &file, &why).await {
                tracing::error!(timeline = %handle.id, error = %e, "recover from a damaged layer file");
            }
        });
        true
    }

    /// Whether `id` is being attached again after local damage.
    pub fn is_reattaching(&self, id: &TimelineId) -> bool {
        self.lock_reattaching().contains(id)
    }

    /// The attached timeline `id`, waiting up to `within` while it is being attached again
    /// after local damage; otherwise as [`Pageserver::timeline`].
    pub async fn timeline_when_attached(
        &self,
        id: &TimelineId,
        within: Duration,
    ) -> Result<Arc<TimelineHandle>> {
        self.wait_attached(id, within, |_| true).await
    }

    /// The handle that replaced `old` after local damage was found in it, waiting up to
    /// `within` for the re-attach; `None` if none came in time (or the timeline is gone).
    pub async fn replacement_of(
        &self,
        old: &Arc<TimelineHandle>,
        within: Duration,
    ) -> Option<Arc<TimelineHandle>> {
        self.wait_attached(&old.id, within, |h| !Arc::ptr_eq(h, old))
            .await
            .ok()
            .filter(|h| !Arc::ptr_eq(h, old))
    }

    /// Waits (up to `within`) until `id` resolves to a handle that is `acceptable`, or to an
    /// error other than a re-attach in progress; returns the last answer.
    async fn wait_attached(
        &self,
        id: &TimelineId,
        within: Duration,
        acceptable: impl Fn(&Arc<TimelineHandle>) -> bool,
    ) -> Result<Arc<TimelineHandle>> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // Registered before looking, so an install in between still wakes us.
            let woken = self.attached.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let now = self.timeline(id);
            let settled = match &now {
                Ok(h) => acceptable(h),
                Err(Error::Broken { .. }) => !self.is_reattaching(id),
                Err(_) => true,
            };
            if settled {
                return now;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                return self.timeline(id);
            }
        }
    }
}

/// Ends a re-attach: the timeline is no longer listed as re-attaching, and readers waiting
/// for it look again.
struct Reattached<'a> {
    ps: &'a Pageserver,
    id: &'a TimelineId,
}

impl Drop for Reattached<'_> {
    fn drop(&mut self) {
        self.ps.lock_reattaching().remove(self.id);
        self.ps.attached.notify_waiters();
    }
}
