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
//! - before deleting anything (and before writing its manifest), the
//!   pageserver lists `index-*.json`; if a newer generation exists it is
//!   fenced: it stops uploading and deleting for good ([`Error::Fenced`]);
//! - `remote_consistent_lsn` is reported to the safekeepers only after the
//!   manifest that establishes it is durable (`put` returns once durable).
//!
//! Objects nothing refers to — manifests of older generations, layers of a
//! failed sync (uploaded, then the manifest put failed) or of an older
//! generation that its successor's manifest does not list — are deleted by
//! [`delete_unreferenced`] after a generation claims the timeline, under the
//! same fencing re-check as every other delete.
//!
//! Local disk is a cache: [`prepare_local`] makes a timeline directory hold
//! only the manifest's layers (deleting anything else) with
//! `disk_consistent_lsn = remote_consistent_lsn`; WAL after it is re-read
//! from the safekeepers. Listed layers the disk lacks are downloaded when a
//! read first needs them ([`crate::ondemand`], verified against the
//! manifest's size and CRC32C).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bytes::Bytes;
use proto::{Lsn, TimelineId};
use remote_storage::{RemoteStorage, layout};

use crate::generations::Generations;
use crate::layer_name::LayerName;
use crate::manifest::{LayerEntry, Manifest};
use crate::metadata::{self, TimelineMetadata};
use crate::tenant::TimelineHandle;
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

/// The generations that wrote a manifest for `id`, ascending.
pub async fn manifest_generations(rs: &RemoteStorage, id: &TimelineId) -> Result<Vec<u64>> {
    let prefix = layout::timeline_prefix(id);
    let mut gens: Vec<u64> = rs
        .list(&prefix)
        .await?
        .iter()
        .filter(|o| o.key.rsplit_once('/').map(|(dir, _)| dir) == Some(prefix.as_str()))
        .filter_map(|o| layout::parse_index_generation(&o.key))
        .collect();
    gens.sort_unstable();
    Ok(gens)
}

/// The highest-generation manifest of `id`, if any.
pub async fn latest_manifest(rs: &RemoteStorage, id: &TimelineId) -> Result<Option<Manifest>> {
    let Some(&generation) = manifest_generations(rs, id).await?.last() else {
        return Ok(None);
    };
    let key = layout::index_key(id, generation);
    let bytes = rs.get(&key).await?;
    Manifest::decode(&key, &bytes).map(Some)
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
            _ if name == metadata::FILE_NAME || name == tombstones::FILE_NAME => {}
            _ => {
                tracing::debug!(file = %path.display(), "removing a local file the manifest does not list");
                tokio::fs::remove_file(&path)
                    .await
                    .map_err(|e| Error::io("remove stale layer file", &path, e))?;
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

/// Writes `handle`'s first manifest of its generation (claiming it).
pub async fn claim(rs: &RemoteStorage, handle: &TimelineHandle) -> Result<()> {
    let mut remote = handle.remote.lock().await;
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    remote.manifest.generation = handle.generation;
    let key = layout::index_key(&handle.id, handle.generation);
    rs.put_if_absent(&key, remote.manifest.encode()).await?;
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
/// makes unreachable: manifests of older generations and layer objects of
/// this or older generations that the manifest does not list. Holds the
/// timeline's remote lock (so no sync is uploading meanwhile) and re-checks
/// the generation before deleting; objects of newer generations are never
/// touched. WAL objects belong to the safekeepers and are left alone.
pub async fn delete_unreferenced(
    rs: &RemoteStorage,
    handle: &TimelineHandle,
) -> Result<CleanupReport> {
    let mut remote = handle.remote.lock().await;
    check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
    let listed: BTreeSet<String> = remote
        .manifest
        .layers
        .iter()
        .map(|l| l.object_key(&handle.id))
        .collect();
    let prefix = layout::timeline_prefix(&handle.id);
    let layers_dir = format!("{prefix}/layers/");
    let mut report = CleanupReport::default();
    for obj in rs.list(&prefix).await? {
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

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub uploaded: Vec<String>,
    pub deleted: Vec<String>,
    pub remote_consistent_lsn: Lsn,
}

/// Uploads the layers written since the last sync, then the manifest; then
/// deletes the objects of layers GC removed (after re-checking the
/// generation), and reports `remote_consistent_lsn` to the safekeepers.
pub async fn sync(
    rs: &RemoteStorage,
    gens: &dyn Generations,
    handle: &TimelineHandle,
) -> Result<SyncReport> {
    let mut remote = handle.remote.lock().await;
    if let Some(newer) = remote.fenced_by {
        return Err(Error::Fenced {
            id: handle.id.clone(),
            generation: handle.generation,
            newer,
        });
    }
    let (local, disk_consistent, gc_cutoff, dropped) = {
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
    };
    let unchanged = local.len() == remote.manifest.layers.len()
        && local
            .iter()
            .all(|(n, _)| remote.manifest.entry(n).is_some())
        && disk_consistent.map_or(0, |l| l.0) == remote.manifest.remote_consistent_lsn
        && gc_cutoff.0 == remote.manifest.gc_cutoff
        && dropped == remote.manifest.dropped_relations;
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
    report.uploaded = uploaded.iter().map(|l| l.name.clone()).collect();
    report.remote_consistent_lsn = remote_consistent;

    if !removed.is_empty() {
        check_not_fenced(rs, handle, &mut remote.fenced_by).await?;
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
