//! Object storage for timelines: attach (manifest → local layer files) and
//! sync (local layer files → objects → manifest → feedback).
//!
//! Object layout ([`remote_storage::layout`]): a generation's manifest
//! `index-{gen}.json` ([`crate::manifest`]) and layer objects
//! `layers/{name}-{gen}`, where `gen` is the generation that uploaded the
//! layer. Invariants:
//! - a layer is uploaded before any manifest lists it, so every manifest is
//!   self-contained;
//! - a pageserver writes only objects named with its own generation, so two
//!   pageservers never overwrite each other's objects;
//! - `remote_consistent_lsn` is reported to the safekeepers only after the
//!   manifest that establishes it is durable (`put` returns once durable)
//!   and a fencing check after it passed (below).
//!
//! ## Generations: who may delete what, and why it is safe
//!
//! Several pageservers may work on one timeline at once (an old one not yet
//! aware it was replaced, a new one attaching). Each works under its own
//! generation, issued by the safekeepers, strictly increasing. `index-{g}`
//! is either generation `g`'s manifest or its *claim marker* (a manifest
//! with `claiming: true`, written before `g` has read anything). A *check*
//! by `g` lists `index-*` ([`RemoteStorage::list_dir`]): if any generation
//! above `g` is there, manifest or marker, `g` is fenced
//! ([`Error::Fenced`]) and never uploads, deletes or acknowledges again.
//!
//! Attach of generation `G` ([`claim_generation`], [`read_for_attach`],
//! [`claim`]):
//! 1. `G` is issued by the safekeepers;
//! 2. `G` writes its claim marker `index-{G}` — *before reading*;
//! 3. `G` lists `index-*` (a generation above `G` → fenced) and reads the
//!    newest manifest below `G`, skipping markers;
//! 4. `G` overwrites its marker with that manifest's content (the same
//!    layer objects, nothing copied), then cleans up ([`delete_unreferenced`]).
//!
//! **The delete rule.** Generation `h` deletes an object `X` (a layer
//! object of generation `<= h`, or `index-{g}` with `g < h`) only after
//! (a) writing its own manifest, which does not list `X`, and then (b) a
//! check that finds no generation above `h`. Acknowledgements that a newer
//! generation must honour (`remote_consistent_lsn` feedback, LSN leases,
//! branch points) follow the same (a)-then-(b) rule.
//!
//! **Claim.** No manifest that any generation `G > h` adopts in step 3 lists
//! an object `h` deletes — whenever the delete itself happens.
//!
//! *Proof.* Let (a) happen at time `w` and the check (b) at `t > w`.
//! - Every `k > h` wrote its marker at `m_k > t`: otherwise the check at `t`
//!   would have seen `index-{k}` or a newer index (the newest index is never
//!   deleted: deletes only remove generations below the deleter's own, whose
//!   index exists), and `h` would not delete.
//! - So every `k > h` read in step 3 at `r_k > m_k > t > w`. Then `h`'s
//!   manifest of time `w` or later exists or has been superseded by a newer
//!   generation's, so the newest manifest below `k` is `h`'s (written at or
//!   after `w`) or some `j`'s with `h < j < k`.
//! - `h`'s manifests from `w` on never list `X`: layer names carry LSN
//!   ranges that only move forward, so `h` never lists again what it removed.
//!   `j`'s manifest is what `j` read at `r_j > t` (by induction on `j`, not
//!   listing `X`) minus what `j` removed plus objects named with `j`
//!   (not `X`, whose generation is `<= h`). So `k`'s adopted manifest does
//!   not list `X`. ∎
//!
//! The same timing covers deleted manifests and markers: every `k > h`
//! lists after `t`, when a manifest of a generation `>= h` exists (the
//! newest manifest is only ever deleted by a generation whose own manifest
//! already exists), so no `k` reads an `index-{g}` with `g < h`.
//!
//! The order of steps 2 and 3 is the point: a new pageserver that read the
//! newest manifest *before* making itself visible (as attach once did) could
//! adopt a manifest listing layers an old generation deleted in between,
//! having checked before the new one appeared. Consequences:
//! - the window between a check and the deletes after it is harmless (an
//!   old pageserver stalled for an hour there deletes only what no newer
//!   manifest lists), so one check after listing, before the deletes,
//!   suffices — re-checking before each delete would add requests, not
//!   safety;
//! - an attach in flight (marker written, manifest not yet) is protected
//!   like a finished one: its marker fences every older generation;
//! - a marker left by an attach that died is skipped by later attaches and
//!   deleted by the next cleanup;
//! - a fenced pageserver may find a layer it lists deleted by its successor
//!   when it downloads it: the read fails (object not found), never serves
//!   wrong data, and that pageserver is no longer the timeline's owner.
//!
//! Objects nothing refers to — manifests and markers of older generations,
//! layers of a failed sync (uploaded, then the manifest put failed) or of an
//! older generation that its successor's manifest does not list — are
//! deleted by [`delete_unreferenced`] after a generation claims the
//! timeline, under the same rule.
//!
//! Local disk is a cache: [`prepare_local`] makes a timeline directory hold
//! only the manifest's layers (deleting anything else) with
//! `disk_consistent_lsn = remote_consistent_lsn`; WAL after it is re-read
//! from the safekeepers. Listed layers the disk lacks are downloaded when a
//! read first needs them ([`crate::ondemand`], verified against the
//! manifest's size and CRC32C).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use proto::{Lsn, TimelineId};
use remote_storage::{RemoteStorage, layout};

use crate::generations::Generations;
use crate::layer_name::LayerName;
use crate::manifest::{LayerEntry, Manifest};
use crate::metadata::{self, TimelineMetadata};
use crate::retention::{self, Retention};
use crate::timeline_handle::TimelineHandle;
use crate::tombstones::{self, Tombstones};
use crate::{Error, Result, blocking, metrics};

/// Every timeline with at least one manifest in `rs`.
pub async fn list_timelines(rs: &RemoteStorage) -> Result<Vec<TimelineId>> {
    let mut out = BTreeSet::new();
    for obj in rs.list("tenants").await? {
        let parts: Vec<&str> = obj.key.split('/').collect();
        if let ["tenants", t, "timelines", l, file] = parts[..]
            && layout::parse_index_generation(file).is_some()
        {
            match TimelineId::new(t, l) {
                Ok(id) => {
                    out.insert(id);
                }
                Err(e) => tracing::warn!(key = %obj.key, error = %e, "ignoring a bad timeline key"),
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// The generations that wrote a manifest or a claim marker for `id`,
/// ascending.
pub async fn manifest_generations(rs: &RemoteStorage, id: &TimelineId) -> Result<Vec<u64>> {
    let prefix = layout::timeline_prefix(id);
    let mut gens: Vec<u64> = rs
        .list_dir(&prefix)
        .await?
        .iter()
        .filter_map(|o| layout::parse_index_generation(&o.key))
        .collect();
    gens.sort_unstable();
    Ok(gens)
}

/// The newest manifest of `id` (claim markers skipped), if any.
pub async fn latest_manifest(rs: &RemoteStorage, id: &TimelineId) -> Result<Option<Manifest>> {
    newest_manifest_below(rs, id, u64::MAX).await
}

/// The newest manifest of `id` written by a generation below `below`,
/// skipping claim markers. A manifest deleted between the listing and its
/// read was superseded by a newer one: the listing is taken again.
async fn newest_manifest_below(
    rs: &RemoteStorage,
    id: &TimelineId,
    below: u64,
) -> Result<Option<Manifest>> {
    const LISTINGS: usize = 8;
    'listing: for attempt in 1..=LISTINGS {
        let gens = manifest_generations(rs, id).await?;
        for &g in gens.iter().rev().filter(|&&g| g < below) {
            let key = layout::index_key(id, g);
            let bytes = match rs.get(&key).await {
                Ok(b) => b,
                Err(remote_storage::Error::NotFound { .. }) if attempt < LISTINGS => {
                    continue 'listing;
                }
                Err(e) => return Err(e.into()),
            };
            let manifest = Manifest::decode(&key, &bytes)?;
            if !manifest.claiming {
                return Ok(Some(manifest));
            }
        }
        break;
    }
    Ok(None)
}

/// Step 2 of an attach (see the module docs): makes `generation` visible
/// in object storage, fencing every older generation, before anything is
/// read.
pub async fn claim_generation(rs: &RemoteStorage, id: &TimelineId, generation: u64) -> Result<()> {
    let key = layout::index_key(id, generation);
    rs.put_if_absent(&key, Manifest::claim_marker(generation).encode())
        .await?;
    Ok(())
}

/// Step 3 of an attach: the newest manifest below `generation` (which has
/// claimed the timeline with [`claim_generation`]); [`Error::Fenced`] if a
/// newer generation already exists, [`Error::TimelineNotFound`] if there is
/// no manifest.
pub async fn read_for_attach(
    rs: &RemoteStorage,
    id: &TimelineId,
    generation: u64,
) -> Result<Manifest> {
    let newest = manifest_generations(rs, id).await?.last().copied();
    if let Some(newer) = newest.filter(|&g| g > generation) {
        return Err(Error::Fenced {
            id: id.clone(),
            generation,
            newer,
        });
    }
    newest_manifest_below(rs, id, generation)
        .await?
        .ok_or_else(|| Error::TimelineNotFound { id: id.clone() })
}

/// Makes `dir` hold only layers of `manifest` (deleting anything else), with
/// local metadata saying everything up to `remote_consistent_lsn` is in
/// those layers. Returns the listed layers the directory lacks: they stay in
/// object storage until a read needs them ([`crate::ondemand`]).
pub async fn prepare_local(
    id: &TimelineId,
    manifest: &Manifest,
    dir: &Path,
) -> Result<Vec<LayerName>> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| Error::io("create timeline directory", dir, e))?;
    let wanted: BTreeMap<&str, &LayerEntry> = manifest
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l))
        .collect();
    let mut present = BTreeSet::new();
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| Error::io("list timeline directory", dir, e))?;
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| Error::io("list timeline directory", dir, e))?
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let size = entry.metadata().await.map(|m| m.len()).ok();
        match wanted.get(name.as_str()) {
            Some(l) if size == Some(l.size) => {
                present.insert(name);
            }
            _ if name == metadata::FILE_NAME
                || name == tombstones::FILE_NAME
                || name == retention::FILE_NAME => {}
            _ => {
                tracing::debug!(file = %path.display(), "removing a local file the manifest does not list");
                match tokio::fs::remove_file(&path).await {
                    // Gone meanwhile (a download's temporary file renamed).
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    r => r.map_err(|e| Error::io("remove stale layer file", &path, e))?,
                }
            }
        }
    }
    let missing: Vec<LayerName> = manifest
        .layers
        .iter()
        .filter(|l| !present.contains(&l.name))
        .filter_map(LayerEntry::layer_name)
        .collect();
    tracing::debug!(timeline = %id, missing = missing.len(), "layers left in object storage until read");
    let meta = TimelineMetadata {
        disk_consistent_lsn: Lsn(manifest.remote_consistent_lsn),
        gc_cutoff: Lsn(manifest.gc_cutoff),
    };
    let mut dropped = Tombstones::default();
    for &(rel, lsn) in &manifest.dropped_relations {
        dropped.record(proto::RelId(rel), Lsn(lsn));
    }
    let dir = dir.to_path_buf();
    blocking(move || {
        dropped.store(&dir)?;
        meta.store(&dir)
    })
    .await?;
    Ok(missing)
}

/// Fails with [`Error::Fenced`] if an earlier check found `handle` fenced
/// (`fenced_by`), without asking object storage again.
fn still_unfenced(handle: &TimelineHandle, fenced_by: Option<u64>) -> Result<()> {
    match fenced_by {
        None => Ok(()),
        Some(newer) => Err(Error::Fenced {
            id: handle.id.clone(),
            generation: handle.generation,
            newer,
        }),
    }
}

/// Fails with [`Error::Fenced`] (and remembers it) if a generation newer
/// than `handle`'s has written a manifest.
async fn check_not_fenced(
    rs: &RemoteStorage,
    handle: &TimelineHandle,
    fenced_by: &mut Option<u64>,
) -> Result<()> {
    let newest = manifest_generations(rs, &handle.id)
        .await?
        .last()
        .copied()
        .unwrap_or(0);
    let newer = fenced_by.unwrap_or(0).max(newest);
    if newer > handle.generation {
        if fenced_by.is_none() {
            tracing::warn!(
                generation = handle.generation,
                newer,
                "fenced by a newer generation: no more uploads or deletions"
            );
        }
        *fenced_by = Some(newer);
        return Err(Error::Fenced {
            id: handle.id.clone(),
            generation: handle.generation,
            newer,
        });
    }
    Ok(())
}

/// Writes `handle`'s first manifest of its generation: over its claim
/// marker after an attach (step 4 of the module docs), or as the first
/// object of a timeline being created.
pub async fn claim(rs: &RemoteStorage, handle: &TimelineHandle) -> Result<()> {
    let mut remote = handle.remote.lock().await;
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    remote.manifest.generation = handle.generation;
    remote.manifest.claiming = false;
    let key = layout::index_key(&handle.id, handle.generation);
    rs.put(&key, remote.manifest.encode()).await?;
    handle.publish(&remote.manifest);
    Ok(())
}

/// What [`delete_unreferenced`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanupReport {
    /// Manifests of older generations.
    pub manifests: Vec<String>,
    /// Layer objects no manifest of this generation lists.
    pub layers: Vec<String>,
}

/// Deletes the objects of `handle`'s timeline that its current manifest
/// (already written) makes unreachable: manifests and claim markers of
/// older generations and layer objects of this or older generations that
/// the manifest does not list. Holds the timeline's remote lock (so no sync
/// is uploading meanwhile) and checks the generation after listing, before
/// deleting (the delete rule of the module docs); objects of newer
/// generations are never touched. WAL objects belong to the safekeepers and
/// are left alone.
pub async fn delete_unreferenced(
    rs: &RemoteStorage,
    handle: &TimelineHandle,
) -> Result<CleanupReport> {
    let mut remote = handle.remote.lock().await;
    let prefix = layout::timeline_prefix(&handle.id);
    let objects = rs.list(&prefix).await?;
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    let listed: BTreeSet<String> = remote
        .manifest
        .layers
        .iter()
        .map(|l| l.object_key(&handle.id))
        .collect();
    let layers_dir = format!("{prefix}/layers/");
    let mut report = CleanupReport::default();
    for obj in objects {
        let key = obj.key;
        if key.rsplit_once('/').map(|(dir, _)| dir) == Some(prefix.as_str()) {
            if let Some(g) = layout::parse_index_generation(&key)
                && g < handle.generation
            {
                rs.delete(&key).await?;
                report.manifests.push(key);
            }
        } else if key.starts_with(&layers_dir)
            && let Some(g) = layout::parse_layer_generation(&key)
            && g <= handle.generation
            && !listed.contains(&key)
        {
            rs.delete(&key).await?;
            report.layers.push(key);
        }
    }
    if !report.manifests.is_empty() || !report.layers.is_empty() {
        tracing::info!(
            timeline = %handle.id,
            manifests = report.manifests.len(),
            layers = report.layers.len(),
            "deleted unreferenced objects"
        );
    }
    Ok(report)
}

/// Writes `retention` (branch points, leases) into `handle`'s manifest,
/// then checks the generation: once this returns, every later attach (by any
/// generation) has them — the (a)-then-(b) rule of the module docs. Does
/// nothing if the manifest already says exactly this.
pub async fn upload_retention(
    rs: &RemoteStorage,
    handle: &TimelineHandle,
    retention: &Retention,
) -> Result<()> {
    let mut remote = handle.remote.lock().await;
    still_unfenced(handle, remote.fenced_by)?;
    if retention.matches(&remote.manifest) {
        return Ok(());
    }
    let mut manifest = remote.manifest.clone();
    retention.to_manifest(&mut manifest);
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    rs.put(
        &layout::index_key(&handle.id, handle.generation),
        manifest.encode(),
    )
    .await?;
    remote.manifest = manifest;
    handle.publish(&remote.manifest);
    check_not_fenced(rs, handle, &mut remote.fenced_by).await
}

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub uploaded: Vec<String>,
    pub deleted: Vec<String>,
    pub remote_consistent_lsn: Lsn,
}

/// The local layers (name, path), `disk_consistent_lsn`, GC cutoff and the
/// tombstones at or below `disk_consistent_lsn`, under the timeline's read lock.
#[allow(clippy::type_complexity)]
fn local_state(
    handle: &TimelineHandle,
) -> (
    Vec<(LayerName, std::path::PathBuf)>,
    Option<Lsn>,
    Lsn,
    Vec<(u32, u64)>,
) {
    let tl = handle.read();
    let map = tl.layer_map();
    let deltas = map
        .delta_layers()
        .iter()
        .map(|d| (d.name(), d.path().to_path_buf()));
    let images = map
        .image_layers()
        .iter()
        .map(|i| (i.name(), i.path().to_path_buf()));
    let local: Vec<(LayerName, std::path::PathBuf)> = deltas.chain(images).collect();
    let consistent = tl.disk_consistent_lsn().unwrap_or(Lsn::INVALID);
    let dropped: Vec<(u32, u64)> = map
        .tombstones()
        .upto(consistent)
        .iter()
        .map(|(rel, lsn)| (rel.0, lsn.0))
        .collect();
    (local, tl.disk_consistent_lsn(), tl.gc_cutoff(), dropped)
}

/// Uploads the layers written since the last sync, then the manifest; then
/// deletes the objects of layers GC removed (after re-checking the
/// generation), and reports `remote_consistent_lsn` to the safekeepers.
pub async fn sync(
    rs: &RemoteStorage,
    gens: &dyn Generations,
    handle: &Arc<TimelineHandle>,
) -> Result<SyncReport> {
    let mut remote = handle.remote.lock().await;
    still_unfenced(handle, remote.fenced_by)?;
    // The timeline's lock is never taken on an async thread.
    let h = handle.clone();
    let (local, disk_consistent, gc_cutoff, dropped) =
        blocking(move || Ok(local_state(&h))).await?;
    let retention = {
        let mut r = handle.retention();
        r.expire(std::time::SystemTime::now());
        r.clone()
    };
    let unchanged = local.len() == remote.manifest.layers.len()
        && local
            .iter()
            .all(|(n, _)| remote.manifest.entry(n).is_some())
        && disk_consistent.map_or(0, |l| l.0) == remote.manifest.remote_consistent_lsn
        && gc_cutoff.0 == remote.manifest.gc_cutoff
        && dropped == remote.manifest.dropped_relations
        && retention.matches(&remote.manifest);
    if unchanged {
        return Ok(SyncReport {
            remote_consistent_lsn: Lsn(remote.manifest.remote_consistent_lsn),
            ..SyncReport::default()
        });
    }
    // Fenced before uploading anything: a stale generation only reads.
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    let generation = handle.generation;
    let mut report = SyncReport::default();
    let new: Vec<_> = local
        .iter()
        .filter(|(n, _)| remote.manifest.entry(n).is_none())
        .collect();
    metrics::UPLOAD_QUEUE.add(new.len() as i64);
    let mut uploaded = Vec::new();
    let mut result = Ok(());
    let mut attempted = 0;
    for (name, path) in &new {
        attempted += 1;
        let step = async {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| Error::io("read layer file for upload", path, e))?;
            // The manifest's CRC32C seals whatever bytes are uploaded: check
            // every block first, so damage done on local disk after the
            // file was written is never made the durable copy.
            let summary = crate::layer_file::verify_bytes(path, &bytes)?;
            if LayerName::of(&summary) != *name {
                return Err(Error::corrupt(
                    path,
                    0,
                    "layer file's footer does not match its name",
                ));
            }
            let entry = LayerEntry::new(*name, generation, &bytes);
            rs.put(&entry.object_key(&handle.id), Bytes::from(bytes))
                .await?;
            Ok::<_, Error>(entry)
        };
        let r = step.await;
        metrics::UPLOAD_QUEUE.dec();
        match r {
            Ok(entry) => uploaded.push(entry),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    metrics::UPLOAD_QUEUE.sub((new.len() - attempted) as i64);
    result?;
    let local_names: BTreeSet<String> = local.iter().map(|(n, _)| n.to_string()).collect();
    let (kept, removed): (Vec<LayerEntry>, Vec<LayerEntry>) = remote
        .manifest
        .layers
        .iter()
        .cloned()
        .partition(|l| local_names.contains(&l.name));
    let remote_consistent = disk_consistent.unwrap_or(Lsn::INVALID);
    let mut manifest = remote.manifest.clone();
    manifest.generation = generation;
    manifest.layers = kept;
    manifest.layers.extend(uploaded.iter().cloned());
    manifest.remote_consistent_lsn = remote_consistent.0;
    manifest.gc_cutoff = gc_cutoff.0;
    manifest.dropped_relations = dropped;
    retention.to_manifest(&mut manifest);
    manifest.commit_timestamps = handle
        .commits()
        .upto(remote_consistent)
        .into_iter()
        .map(|(ts, l)| (ts, l.0))
        .collect();

    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    rs.put(
        &layout::index_key(&handle.id, generation),
        manifest.encode(),
    )
    .await?;
    remote.manifest = manifest;
    handle.publish(&remote.manifest);
    report.uploaded = uploaded.iter().map(|l| l.name.clone()).collect();
    report.remote_consistent_lsn = remote_consistent;
    // The check after the manifest write that the delete rule (and the
    // feedback below) needs: see the module docs.
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;

    if !removed.is_empty() {
        for l in &removed {
            rs.delete(&l.object_key(&handle.id)).await?;
            report.deleted.push(l.name.clone());
        }
    }
    let labels = [handle.id.tenant.as_str(), handle.id.timeline.as_str()];
    metrics::REMOTE_CONSISTENT_LSN
        .with_label_values(&labels)
        .set(remote_consistent.0 as i64);
    metrics::LAYER_COUNT
        .with_label_values(&labels)
        .set(remote.manifest.layers.len() as i64);
    metrics::LAYER_BYTES
        .with_label_values(&labels)
        .set(remote.manifest.layers.iter().map(|l| l.size).sum::<u64>() as i64);
    drop(remote);
    if remote_consistent.is_valid()
        && let Err(e) = gens
            .feedback(
                &handle.id,
                generation,
                remote_consistent,
                handle.last_record_lsn(),
            )
            .await
    {
        tracing::warn!(error = %e, "report remote_consistent_lsn");
    }
    Ok(report)
}
