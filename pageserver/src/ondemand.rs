//! On-demand layer files: a layer the manifest lists but local disk does not
//! hold is fetched from object storage the first time a read needs it.
//!
//! [`LazyFile`] is what a [`DeltaLayer`](crate::DeltaLayer) or
//! [`ImageLayer`](crate::ImageLayer) reads through: either *resident* (the
//! file was opened and its footer and index verified) or *remote* (only the
//! name is known, from the manifest). The first [`LazyFile::get`] of a
//! remote layer calls its [`Download`] — the real one is [`RemoteLayers`] —
//! writes the verified bytes with [`write_file`] (temp, fsync, rename), opens
//! the file and keeps it open. A mutex per layer makes concurrent readers of
//! one layer wait for a single download.
//!
//! Invariants:
//! - bytes are served only after the whole object matched the manifest's
//!   size and CRC32C, and the opened file's footer and index their CRCs; a
//!   mismatch is [`Error::Corrupt`] naming the object key, and the layer
//!   stays remote (a later read tries again);
//! - at most `download_concurrency` downloads run at once per pageserver
//!   (a semaphore shared by every timeline);
//! - a layer is never GC'd from under a download: reads (and so downloads)
//!   hold the timeline's read lock, GC removes layers under its write lock,
//!   and the objects of removed layers are deleted only by the next sync,
//!   after they left the layer map. Compaction reads a snapshot of the layer
//!   map without the lock, but holds the maintenance lock that GC and sync
//!   also take.
//!
//! Downloads run on the blocking pool (reads and compaction are blocking
//! work) and drive the async object store with [`Handle::block_on`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use proto::TimelineId;
use remote_storage::RemoteStorage;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use crate::layer_file::{LayerFile, write_file};
use crate::layer_name::LayerName;
use crate::manifest::LayerEntry;
use crate::{Error, Result, metrics};

/// Fetches a layer file into place.
pub trait Download: Send + Sync + std::fmt::Debug {
    /// Downloads `name`, verifies it, and writes it durably at `path`.
    fn download(&self, name: &LayerName, path: &Path) -> Result<()>;
}

/// A layer file opened on first use, downloading it first if it is remote.
#[derive(Debug)]
pub struct LazyFile {
    path: PathBuf,
    name: LayerName,
    opened: Mutex<Option<Arc<LayerFile>>>,
    remote: Option<Arc<dyn Download>>,
}

impl LazyFile {
    /// A file already on disk and opened.
    pub fn resident(name: LayerName, file: LayerFile) -> LazyFile {
        LazyFile {
            path: file.path().to_path_buf(),
            name,
            opened: Mutex::new(Some(Arc::new(file))),
            remote: None,
        }
    }

    /// A file known only by name: fetched by `download` into `path` when
    /// first read.
    pub fn remote(name: LayerName, path: PathBuf, download: Arc<dyn Download>) -> LazyFile {
        LazyFile {
            path,
            name,
            opened: Mutex::new(None),
            remote: Some(download),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is on local disk and open.
    pub fn is_resident(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<LayerFile>>> {
        self.opened.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open file, downloading and opening it on first use.
    pub fn get(&self) -> Result<Arc<LayerFile>> {
        let mut opened = self.lock();
        if let Some(f) = &*opened {
            return Ok(f.clone());
        }
        let download = self
            .remote
            .as_ref()
            .expect("a LazyFile is resident or has a download");
        let _span = tracing::info_span!("download_layer", layer = %self.name).entered();
        download.download(&self.name, &self.path)?;
        let file = Arc::new(LayerFile::open(&self.path)?);
        if LayerName::of(file.summary()) != self.name {
            return Err(Error::corrupt(
                &self.path,
                0,
                "downloaded layer's footer does not match its name",
            ));
        }
        *opened = Some(file.clone());
        Ok(file)
    }
}

/// The real [`Download`]: a timeline's layers in object storage, as its
/// manifest lists them.
#[derive(Debug)]
pub struct RemoteLayers {
    rs: RemoteStorage,
    id: TimelineId,
    entries: HashMap<String, LayerEntry>,
    permits: Arc<Semaphore>,
    runtime: Handle,
}

impl RemoteLayers {
    /// `entries` are the manifest's layers; `permits` bounds concurrent
    /// downloads; `runtime` drives the object store from blocking threads.
    pub fn new(
        rs: RemoteStorage,
        id: TimelineId,
        entries: impl IntoIterator<Item = LayerEntry>,
        permits: Arc<Semaphore>,
        runtime: Handle,
    ) -> RemoteLayers {
        RemoteLayers {
            rs,
            id,
            entries: entries.into_iter().map(|e| (e.name.clone(), e)).collect(),
            permits,
            runtime,
        }
    }
}

impl Download for RemoteLayers {
    fn download(&self, name: &LayerName, path: &Path) -> Result<()> {
        let entry = self
            .entries
            .get(&name.to_string())
            .ok_or_else(|| Error::InvalidRequest(format!("layer {name} is not in the manifest")))?;
        let key = entry.object_key(&self.id);
        let bytes = self.runtime.block_on(async {
            let _permit = self
                .permits
                .acquire()
                .await
                .map_err(|_| Error::ShuttingDown)?;
            self.rs.get(&key).await.map_err(Error::from)
        })?;
        entry.verify(&self.id, &bytes)?;
        write_file(path, &bytes)?;
        metrics::LAYERS_DOWNLOADED.inc();
        tracing::debug!(%key, bytes = bytes.len(), "downloaded layer on demand");
        Ok(())
    }
}
