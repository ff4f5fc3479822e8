//! A timeline's storage: the owner of its layer map, its local layer
//! directory, its GC cutoff and its quarantined pages.
//!
//! [`LayeredTimeline`] drives the pure pieces: ingest into the open
//! [`InMemoryLayer`] (freezing it at [`TimelineConfig::freeze_size`]), flush
//! of frozen layers to partitioned delta files, GetPage@LSN through
//! [`reconstruct`], [`compaction`] and [`gc`]. It is synchronous: ingest and
//! maintenance take `&mut self`, reads take `&self`; the async shell wraps it
//! in a lock and runs flushes and compaction off the request path. Both are
//! split so that their I/O needs no lock: [`LayeredTimeline::write_delta_files`]
//! then [`LayeredTimeline::finish_flush`]; [`LayeredTimeline::compact_file_layers`] on a
//! [`LayeredTimeline::file_layers`] snapshot then [`LayeredTimeline::install_images`].
//! [`LayeredTimeline::get_page_with`] serves branches (the ancestor supplies the
//! base page below the branch point).
//!
//! Invariants:
//! - `last_record_lsn` only grows; everything at or below
//!   [`LayeredTimeline::disk_consistent_lsn`] is in layer files of [`LayeredTimeline::dir`];
//!   [`LayeredTimeline::open`] rebuilds the layer map from those files plus
//!   `timeline.meta` ([`crate::metadata`]), and the caller re-streams WAL
//!   after `disk_consistent_lsn`. Layers the manifest lists but the directory
//!   lacks join as remote layers ([`LayeredTimeline::open_with_remote`]), downloaded
//!   when first read ([`crate::ondemand`]).
//! - a flush makes its delta files durable before it advances the persisted
//!   `disk_consistent_lsn`; files above it at open time are leftovers of an
//!   interrupted flush and are deleted (their WAL is re-streamed).
//! - reads below the GC cutoff fail with [`Error::BelowGcHorizon`]; the
//!   cutoff is persisted before GC deletes a file.
//! - a `DropRelation` record leaves a tombstone ([`crate::tombstones`]): reads of the
//!   relation at or after it answer [`Error::NeverWritten`], compaction after it leaves the
//!   relation out of image layers, and GC counts its keys as covered once the drop is at
//!   or below the cutoff. Tombstones at or below `disk_consistent_lsn` are persisted
//!   before it advances past them.
//! - a page whose redo fails is recorded as quarantined and every read of it
//!   at or after the bad change fails with [`Error::Quarantined`], until a
//!   later full image supersedes it; other pages are unaffected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use proto::page::{PAGE_SIZE, Page};
use proto::{DecodedRecord, Lsn, PageBody, PageKey};

use crate::compaction::{self, CompactionReport};
use crate::delta_layer::DeltaLayer;
use crate::image_layer::ImageLayer;
use crate::inmemory_layer::InMemoryLayer;
use crate::layer_file::{sync_dir, write_file};
use crate::layer_map::LayerMap;
use crate::layer_name::LayerName;
use crate::metadata::{self, TimelineMetadata};
use crate::ondemand::{Download, Downloads};
use crate::tombstones::{self, Tombstones};
use crate::{Error, Result, gc, logical_size, reconstruct};

/// Sizes and thresholds of one timeline's storage.
#[derive(Debug, Clone)]
pub struct TimelineConfig {
    /// Freeze the open in-memory layer once its changes take this many bytes.
    pub freeze_size: usize,
    /// Target size of one delta layer file when a frozen layer is flushed.
    pub delta_partition_size: usize,
    /// Target payload size of one block in a layer file. A read fetches,
    /// checksums and parses a whole block, so a block about one page in size
    /// keeps a point read near 8 KiB of I/O (64 KiB blocks made each cold
    /// GetPage read and CRC 8x the page).
    pub block_size: usize,
    /// Write image layers where a key's delta chain reaches this length.
    pub image_chain_threshold: usize,
    /// Target size of one image layer file.
    pub image_layer_size: usize,
}

impl Default for TimelineConfig {
    fn default() -> TimelineConfig {
        TimelineConfig {
            freeze_size: 256 << 20,
            delta_partition_size: 128 << 20,
            block_size: 8 << 10,
            image_chain_threshold: 32,
            image_layer_size: 128 << 20,
        }
    }
}

/// Counts of what the timeline has done (a snapshot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub records_ingested: u64,
    pub freezes: u64,
    pub delta_layers_written: u64,
    pub image_layers_written: u64,
    pub compactions: u64,
    pub gc_runs: u64,
    pub layers_removed: u64,
    pub pages_reconstructed: u64,
    pub quarantine_errors: u64,
}

#[derive(Debug, Default)]
struct CounterCells {
    records_ingested: AtomicU64,
    freezes: AtomicU64,
    delta_layers_written: AtomicU64,
    image_layers_written: AtomicU64,
    compactions: AtomicU64,
    gc_runs: AtomicU64,
    layers_removed: AtomicU64,
    pages_reconstructed: AtomicU64,
    quarantine_errors: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// A page that is not served, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedPage {
    pub key: PageKey,
    /// The LSN of the change redo refused.
    pub lsn: Lsn,
    pub reason: String,
}

/// What one GC run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcReport {
    pub cutoff: Lsn,
    pub removed: Vec<LayerName>,
}

/// One timeline's layered page storage.
#[derive(Debug)]
pub struct LayeredTimeline {
    dir: PathBuf,
    config: TimelineConfig,
    layers: LayerMap,
    /// What is persisted in `timeline.meta`.
    meta: TimelineMetadata,
    quarantine: Mutex<BTreeMap<PageKey, QuarantinedPage>>,
    counters: CounterCells,
    /// `meta.gc_cutoff`, for readers that must not take the timeline's
    /// lock ([`Self::gc_cutoff_cell`]).
    gc_cutoff_cell: Arc<AtomicU64>,
    /// Relation sizes of whole layer files ([`Self::rel_sizes`]).
    sizes: logical_size::Cache,
}

impl LayeredTimeline {
    /// Opens the timeline stored in `dir` (creating the directory if needed):
    /// verifies and loads every layer file at or below the persisted
    /// `disk_consistent_lsn`, and removes leftovers of an interrupted flush
    /// (temporary files, delta files above it). `wal_start` is where the
    /// timeline's WAL begins, used when nothing has been flushed yet.
    pub fn open(dir: &Path, config: TimelineConfig, wal_start: Lsn) -> Result<LayeredTimeline> {
        Self::open_with_remote(dir, config, wal_start, &[], None)
    }

    /// [`Self::open`], plus the layers `remote` that the manifest lists but
    /// the directory lacks: they join the layer map as remote layers,
    /// fetched by `download` when a read first needs them.
    pub fn open_with_remote(
        dir: &Path,
        config: TimelineConfig,
        wal_start: Lsn,
        remote: &[LayerName],
        download: Option<Arc<dyn Download>>,
    ) -> Result<LayeredTimeline> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create timeline directory", dir, e))?;
        let names = list_layer_files(dir)?;
        let meta = match TimelineMetadata::load(dir)? {
            Some(meta) => meta,
            None => {
                if !names.is_empty() {
                    tracing::warn!(dir = %dir.display(), "layer files without timeline metadata");
                }
                let disk_consistent_lsn = names
                    .iter()
                    .map(|(n, _)| last_lsn(n))
                    .max()
                    .unwrap_or(Lsn::INVALID);
                TimelineMetadata {
                    disk_consistent_lsn,
                    gc_cutoff: Lsn::INVALID,
                }
            }
        };
        let d = meta.disk_consistent_lsn;
        let mut map = if d.is_valid() && d >= wal_start {
            LayerMap::new(InMemoryLayer::new(d + 1, d))
        } else {
            LayerMap::new(InMemoryLayer::new(wal_start, wal_start))
        };
        for (name, path) in names {
            if last_lsn(&name) > d {
                tracing::warn!(layer = %name, "removing a layer of an interrupted flush");
                std::fs::remove_file(&path)
                    .map_err(|e| Error::io("remove unflushed layer file", &path, e))?;
                continue;
            }
            let found = match name {
                LayerName::Delta { .. } => {
                    let layer = DeltaLayer::open(&path)?;
                    let found = layer.name();
                    map.insert_delta(layer.into());
                    found
                }
                LayerName::Image { .. } => {
                    let layer = ImageLayer::open(&path)?;
                    let found = layer.name();
                    map.insert_image(layer.into());
                    found
                }
            };
            if found != name {
                return Err(Error::corrupt(
                    &path,
                    0,
                    "file name does not match the layer's footer",
                ));
            }
        }
        *map.tombstones_mut() = Tombstones::load(dir)?;
        let mut remote_count = 0;
        if let Some(download) = download {
            for &name in remote {
                if map.contains(&name) {
                    continue;
                }
                if last_lsn(&name) > d {
                    tracing::warn!(layer = %name, "a remote layer above disk_consistent_lsn; ignored");
                    continue;
                }
                let path = dir.join(name.to_string());
                match name {
                    LayerName::Delta { .. } => {
                        map.insert_delta(Arc::new(DeltaLayer::remote(name, path, download.clone())))
                    }
                    LayerName::Image { .. } => {
                        map.insert_image(Arc::new(ImageLayer::remote(name, path, download.clone())))
                    }
                }
                remote_count += 1;
            }
        }
        tracing::info!(
            dir = %dir.display(),
            remote = remote_count,
            deltas = map.delta_layers().len(),
            images = map.image_layers().len(),
            disk_consistent_lsn = %d,
            gc_cutoff = %meta.gc_cutoff,
            "opened timeline"
        );
        Ok(LayeredTimeline {
            dir: dir.to_path_buf(),
            config,
            layers: map,
            gc_cutoff_cell: Arc::new(AtomicU64::new(meta.gc_cutoff.0)),
            meta,
            quarantine: Mutex::new(BTreeMap::new()),
            counters: CounterCells::default(),
            sizes: logical_size::Cache::default(),
        })
    }

    /// This timeline's own relation sizes at `lsn` ([`crate::logical_size`]);
    /// a branch's caller adds its ancestor's.
    pub fn rel_sizes(&self, lsn: Lsn) -> Result<logical_size::RelSizes> {
        logical_size::rel_sizes(&self.layers, &self.sizes, lsn)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &TimelineConfig {
        &self.config
    }

    pub fn layer_map(&self) -> &LayerMap {
        &self.layers
    }

    /// The end of the last ingested record.
    pub fn last_record_lsn(&self) -> Lsn {
        self.layers.open_layer().last_record_lsn()
    }

    /// Everything at or below this LSN is in layer files.
    pub fn disk_consistent_lsn(&self) -> Option<Lsn> {
        Some(self.meta.disk_consistent_lsn).filter(|l| l.is_valid())
    }

    /// Reads below this LSN are refused.
    pub fn gc_cutoff(&self) -> Lsn {
        self.meta.gc_cutoff
    }

    /// A lock-free copy of [`Self::gc_cutoff`], stored by [`Self::gc`] as
    /// soon as the new cutoff is persisted (and before any layer goes): the
    /// async shell reads it without the timeline's lock.
    pub fn gc_cutoff_cell(&self) -> Arc<AtomicU64> {
        self.gc_cutoff_cell.clone()
    }

    pub fn counters(&self) -> Counters {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counters {
            records_ingested: get(&c.records_ingested),
            freezes: get(&c.freezes),
            delta_layers_written: get(&c.delta_layers_written),
            image_layers_written: get(&c.image_layers_written),
            compactions: get(&c.compactions),
            gc_runs: get(&c.gc_runs),
            layers_removed: get(&c.layers_removed),
            pages_reconstructed: get(&c.pages_reconstructed),
            quarantine_errors: get(&c.quarantine_errors),
        }
    }

    /// Pages currently quarantined.
    pub fn quarantined(&self) -> Vec<QuarantinedPage> {
        self.lock_quarantine().values().cloned().collect()
    }

    fn lock_quarantine(&self) -> std::sync::MutexGuard<'_, BTreeMap<PageKey, QuarantinedPage>> {
        // The map stays consistent even if a holder panicked mid-insert.
        self.quarantine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ingests one decoded WAL record (records must come in WAL order);
    /// freezes the open layer when it reaches the configured size.
    pub fn ingest(&mut self, rec: &DecodedRecord) -> Result<()> {
        let froze = self.layers.ingest(rec, self.config.freeze_size)?;
        bump(&self.counters.records_ingested, 1);
        if froze {
            bump(&self.counters.freezes, 1);
        }
        let mut quarantine = self.lock_quarantine();
        for c in &rec.record.page_changes {
            if matches!(c.body, PageBody::Image(_))
                && quarantine.get(&c.key).is_some_and(|q| q.lsn < rec.end)
            {
                tracing::info!(key = ?c.key, lsn = %rec.end, "a full image supersedes a quarantined page");
                quarantine.remove(&c.key);
            }
        }
        drop(quarantine);
        Ok(())
    }

    /// Freezes the open in-memory layer if it holds anything.
    pub fn freeze(&mut self) -> bool {
        let frozen = self.layers.freeze_open();
        if frozen {
            bump(&self.counters.freezes, 1);
        }
        frozen
    }

    /// Writes every frozen in-memory layer as delta layer files, oldest
    /// first. Returns how many files were written.
    pub fn flush_frozen(&mut self) -> Result<usize> {
        let mut written_total = 0;
        while let Some(frozen) = self.oldest_frozen() {
            let written = LayeredTimeline::write_delta_files(&self.dir, &self.config, &frozen)?;
            written_total += written.len();
            self.finish_flush(&frozen, written)?;
        }
        Ok(written_total)
    }

    /// The oldest frozen in-memory layer, the next to flush.
    pub fn oldest_frozen(&self) -> Option<Arc<InMemoryLayer>> {
        self.layers.frozen_layers().first().cloned()
    }

    /// Step one of a flush, which needs no access to the timeline (so an
    /// async shell can run it holding no lock): writes `frozen`'s delta layer
    /// files, durably, into the timeline directory `dir`. They are not in the
    /// layer map until [`Self::finish_flush`]; a crash before it leaves files
    /// above `disk_consistent_lsn`, which [`Self::open`] removes.
    pub fn write_delta_files(
        dir: &Path,
        config: &TimelineConfig,
        frozen: &InMemoryLayer,
    ) -> Result<Vec<DeltaLayer>> {
        let files = frozen.build_delta_layers(config.delta_partition_size, config.block_size);
        let mut written = Vec::with_capacity(files.len());
        for (summary, bytes) in files {
            let path = dir.join(LayerName::of(&summary).to_string());
            write_file(&path, &bytes)?;
            written.push(DeltaLayer::open(&path)?);
        }
        Ok(written)
    }

    /// Step two of a flush: persists `disk_consistent_lsn` past `frozen`
    /// (which must be the oldest frozen layer) and replaces it in the layer
    /// map by the files [`Self::write_delta_files`] wrote for it.
    pub fn finish_flush(
        &mut self,
        frozen: &Arc<InMemoryLayer>,
        written: Vec<DeltaLayer>,
    ) -> Result<()> {
        let oldest = self.oldest_frozen();
        assert!(
            oldest.is_some_and(|o| Arc::ptr_eq(&o, frozen)),
            "finish_flush of a layer that is not the oldest frozen one"
        );
        tracing::debug!(
            start = %frozen.start_lsn(),
            end = %frozen.end_lsn(),
            files = written.len(),
            "flushed in-memory layer"
        );
        // Tombstones the flush passes are durable before it is.
        let d = frozen.last_record_lsn();
        let passed = self.layers.tombstones().upto(d);
        if passed != Tombstones::load(&self.dir)? {
            passed.store(&self.dir)?;
        }
        // The files are durable: now the flush is.
        let meta = TimelineMetadata {
            disk_consistent_lsn: frozen.last_record_lsn(),
            ..self.meta
        };
        meta.store(&self.dir)?;
        self.meta = meta;
        bump(&self.counters.delta_layers_written, written.len() as u64);
        self.layers.finish_flush(written);
        Ok(())
    }

    /// Freezes the open layer and writes everything in memory to disk.
    pub fn flush(&mut self) -> Result<usize> {
        self.freeze();
        self.flush_frozen()
    }

    /// The page `key` as of `lsn` (every record with end `<= lsn`).
    ///
    /// An `lsn` beyond [`Self::last_record_lsn`] reads the latest ingested
    /// state: waiting for WAL up to `not_modified_since` is the caller's.
    pub fn get_page(&self, key: PageKey, lsn: Lsn) -> Result<Box<Page>> {
        self.get_page_with(key, lsn, || Ok(None))
    }

    /// [`Self::get_page`] for a branch: when this timeline's own history of
    /// `key` does not start with a full page (no image layer, no image
    /// change), `ancestor` supplies the page as of the branch point (`None`:
    /// it did not exist there) and the branch's changes are replayed on it.
    pub fn get_page_with(
        &self,
        key: PageKey,
        lsn: Lsn,
        ancestor: impl FnOnce() -> Result<Option<Box<Page>>>,
    ) -> Result<Box<Page>> {
        self.read_page(key, lsn, Downloads::Inline, ancestor)
    }

    /// [`Self::get_page_with`] for a caller holding the timeline's lock:
    /// never downloads; a layer still in object storage is
    /// [`Error::NotResident`] (fetch it unlocked and retry,
    /// [`crate::ondemand::with_downloads`]).
    pub fn get_page_resident_with(
        &self,
        key: PageKey,
        lsn: Lsn,
        ancestor: impl FnOnce() -> Result<Option<Box<Page>>>,
    ) -> Result<Box<Page>> {
        self.read_page(key, lsn, Downloads::Deferred, ancestor)
    }

    fn read_page(
        &self,
        key: PageKey,
        lsn: Lsn,
        downloads: Downloads,
        ancestor: impl FnOnce() -> Result<Option<Box<Page>>>,
    ) -> Result<Box<Page>> {
        if lsn < self.meta.gc_cutoff {
            return Err(Error::BelowGcHorizon {
                lsn,
                cutoff: self.meta.gc_cutoff,
            });
        }
        if self.is_dropped(key, lsn) {
            return Err(Error::NeverWritten { key, lsn });
        }
        let rebuilt =
            reconstruct::collect_with(&self.layers, key, lsn, downloads).and_then(|mut history| {
                if history.needs_base()
                    && let Some(page) = ancestor()?
                {
                    history.base = Some((proto::page::page_lsn(&page), page));
                }
                history.replay()
            });
        match rebuilt {
            Ok(page) => {
                bump(&self.counters.pages_reconstructed, 1);
                Ok(page)
            }
            Err(Error::Quarantined {
                key,
                lsn: bad,
                reason,
            }) => {
                bump(&self.counters.quarantine_errors, 1);
                // Listed only while the latest state still replays the bad
                // change: a historical read below a superseding image does
                // not re-list a healed page.
                let latest_broken =
                    reconstruct::collect_with(&self.layers, key, Lsn::MAX, downloads)
                        .map(|h| h.changes.iter().any(|(l, _)| *l == bad))
                        .unwrap_or(true);
                let mut q = self.lock_quarantine();
                if latest_broken && !q.contains_key(&key) {
                    tracing::warn!(?key, lsn = %bad, %reason, "quarantining page: redo failed");
                    q.insert(
                        key,
                        QuarantinedPage {
                            key,
                            lsn: bad,
                            reason: reason.clone(),
                        },
                    );
                }
                Err(Error::Quarantined {
                    key,
                    lsn: bad,
                    reason,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `key`'s relation was dropped at or before `lsn` (a read there answers
    /// [`Error::NeverWritten`]).
    pub fn is_dropped(&self, key: PageKey, lsn: Lsn) -> bool {
        self.layers.tombstones().hides(key, lsn)
    }

    /// Writes image layers where delta chains are long (see [`compaction`]).
    pub fn compact(&mut self) -> Result<CompactionReport> {
        let mut snapshot = self.file_layers();
        let report =
            LayeredTimeline::compact_file_layers(&mut snapshot, &self.dir, &self.config, &|_| {
                Ok(None)
            })?;
        self.install_images(&report, &snapshot);
        Ok(report)
    }

    /// A layer map of this timeline's layer files only (shared, not copied):
    /// what compaction reads, so it can run without the timeline's lock.
    pub fn file_layers(&self) -> LayerMap {
        let d = self.meta.disk_consistent_lsn;
        let mut map = LayerMap::new(InMemoryLayer::new(d + 1, d));
        for l in self.layers.delta_layers() {
            map.insert_delta(l.clone());
        }
        for l in self.layers.image_layers() {
            map.insert_image(l.clone());
        }
        *map.tombstones_mut() = self.layers.tombstones().upto(d);
        map
    }

    /// Compaction's heavy half, on [`Self::file_layers`] and holding no lock:
    /// writes image layers into `dir` and adds them to `files`. `base` is
    /// the ancestor's page at the branch point, for a branch.
    pub fn compact_file_layers(
        files: &mut LayerMap,
        dir: &Path,
        config: &TimelineConfig,
        base: compaction::BasePage<'_>,
    ) -> Result<CompactionReport> {
        let keys_per_layer = (config.image_layer_size / PAGE_SIZE).max(1);
        compaction::compact(
            files,
            dir,
            config.image_chain_threshold,
            keys_per_layer,
            config.block_size,
            base,
        )
    }

    /// Compaction's second half: adds the image layers `report` wrote (found
    /// in `files`) to the layer map. Only compaction adds image layers and
    /// only GC removes file layers, so the caller serializes those two.
    pub fn install_images(&mut self, report: &CompactionReport, files: &LayerMap) {
        for image in files.image_layers() {
            if report.image_layers_written.contains(&image.name())
                && !self.layers.contains(&image.name())
            {
                self.layers.insert_image(image.clone());
            }
        }
        bump(&self.counters.compactions, 1);
        bump(
            &self.counters.image_layers_written,
            report.image_layers_written.len() as u64,
        );
    }

    /// Raises the GC cutoff to `cutoff` (never lowers it), persists it, and
    /// deletes the layer files no read at or above it needs (see [`gc`]).
    pub fn gc(&mut self, cutoff: Lsn) -> Result<GcReport> {
        let cutoff = cutoff.max(self.meta.gc_cutoff);
        if cutoff > self.meta.gc_cutoff {
            let meta = TimelineMetadata {
                gc_cutoff: cutoff,
                ..self.meta
            };
            meta.store(&self.dir)?;
            self.meta = meta;
            self.gc_cutoff_cell.store(cutoff.0, Ordering::Release);
        }
        let names: Vec<LayerName> = self.layers.historic_names().collect();
        let dropped = self.layers.tombstones().ranges_upto(cutoff);
        let removed = gc::plan(&names, cutoff, &dropped);
        let paths = self.layers.remove(&removed);
        for path in &paths {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                // A remote layer that was never downloaded.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove layer file", path, e)),
            }
        }
        if !paths.is_empty() {
            sync_dir(&self.dir)?;
        }
        tracing::debug!(%cutoff, removed = removed.len(), "gc");
        bump(&self.counters.gc_runs, 1);
        bump(&self.counters.layers_removed, removed.len() as u64);
        Ok(GcReport { cutoff, removed })
    }
}

/// The highest change LSN a layer can hold.
fn last_lsn(name: &LayerName) -> Lsn {
    match *name {
        LayerName::Delta { end, .. } => Lsn(end.0 - 1),
        LayerName::Image { lsn, .. } => lsn,
    }
}

/// The layer files in `dir`, removing leftover temporary files and ignoring
/// (with a warning) anything else that is not the metadata file.
fn list_layer_files(dir: &Path) -> Result<Vec<(LayerName, PathBuf)>> {
    let list_err = |e| Error::io("list timeline directory", dir, e);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let path = entry.map_err(list_err)?.path();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if file_name.ends_with(".tmp") {
            std::fs::remove_file(&path)
                .map_err(|e| Error::io("remove temporary file", &path, e))?;
        } else if let Some(name) = LayerName::parse(file_name) {
            out.push((name, path));
        } else if file_name != metadata::FILE_NAME
            && file_name != tombstones::FILE_NAME
            && file_name != crate::retention::FILE_NAME
        {
            tracing::warn!(path = %path.display(), "ignoring a file that is not a layer");
        }
    }
    Ok(out)
}
