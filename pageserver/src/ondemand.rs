//! On-demand layer files: a layer the manifest lists but local disk does not
//! hold is fetched from object storage the first time a read needs it.
//!
//! [`LazyFile`] is what a [`DeltaLayer`](crate::DeltaLayer) or
//! [`ImageLayer`](crate::ImageLayer) reads through: either *resident* (the
//! file was opened and its footer and index verified) or *remote* (only the
//! name is known, from the manifest). [`LazyFile::fetch`] calls its
//! [`Download`] — the real one is [`RemoteLayers`] — which writes the
//! verified bytes with [`write_file`] (temp, fsync, rename); the file is then
//! opened and kept open. A mutex per layer makes concurrent fetches of one
//! layer wait for a single download; it is never the mutex a residency check
//! takes, so a check never waits for a download.
//!
//! Who downloads: a read holding the timeline's lock never does (a download
//! can take as long as the object store likes, and a waiting writer would
//! stop every other reader behind it). Such a read checks residency
//! ([`LazyFile::require_resident`]) and fails with [`Error::NotResident`];
//! the shell drops the lock, fetches the layer ([`Fetcher`],
//! [`with_downloads`]), takes the lock again and retries the read against
//! the layer map as it is then. Compaction, which reads a snapshot of the
//! layer map holding no timeline lock, downloads in line ([`LazyFile::get`]).
//!
//! Invariants:
//! - bytes are served only after the whole object matched the manifest's
//!   size and CRC32C, and the opened file's footer and index their CRCs; a
//!   mismatch is [`Error::Corrupt`] naming the object key, and the layer
//!   stays remote (a later read tries again);
//! - at most `download_concurrency` downloads run at once per pageserver
//!   (a semaphore shared by every timeline);
//! - a layer GC removes while a download of it runs leaves no file behind:
//!   GC [`LazyFile::retire`]s a layer before deleting its file, and a
//!   download that finds its layer retired deletes what it wrote (both under
//!   the layer's state mutex, so one of the two deletes it). The object may
//!   be deleted under the download by the next sync: the download fails and
//!   the retried read no longer needs the layer. Compaction holds the
//!   maintenance lock that GC and sync also take, so its layers stay.
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

/// Whether a read may download a layer that is not on local disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Downloads {
    /// Download in line (the caller holds no timeline lock).
    Inline,
    /// Fail with [`Error::NotResident`] instead (the caller holds the
    /// timeline's lock: it drops it, fetches, and retries).
    Deferred,
}

#[derive(Debug, Default)]
struct State {
    opened: Option<Arc<LayerFile>>,
    /// GC removed the layer from the layer map: nothing may stay on disk.
    retired: bool,
}

/// A layer file opened on first use, downloading it first if it is remote.
#[derive(Debug)]
pub struct LazyFile {
    path: PathBuf,
    name: LayerName,
    /// Held only briefly: residency checks take it.
    state: Mutex<State>,
    /// Held across a download of this layer.
    fetching: Mutex<()>,
    remote: Option<Arc<dyn Download>>,
}

impl LazyFile {
    /// A file already on disk and opened.
    pub fn resident(name: LayerName, file: LayerFile) -> LazyFile {
        LazyFile {
            path: file.path().to_path_buf(),
            name,
            state: Mutex::new(State {
                opened: Some(Arc::new(file)),
                retired: false,
            }),
            fetching: Mutex::new(()),
            remote: None,
        }
    }

    /// A file known only by name: fetched by `download` into `path` when
    /// first read.
    pub fn remote(name: LayerName, path: PathBuf, download: Arc<dyn Download>) -> LazyFile {
        LazyFile {
            path,
            name,
            state: Mutex::new(State::default()),
            fetching: Mutex::new(()),
            remote: Some(download),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn name(&self) -> LayerName {
        self.name
    }

    /// Whether the file is on local disk and open (never waits for a
    /// download).
    pub fn is_resident(&self) -> bool {
        self.lock().opened.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Ok` if the file is resident, else [`Error::NotResident`] carrying
    /// this file for the caller to [`Self::fetch`] once it holds no lock.
    pub fn require_resident(self: &Arc<Self>) -> Result<()> {
        if self.is_resident() {
            Ok(())
        } else {
            Err(Error::NotResident {
                layer: self.name,
                file: self.clone(),
            })
        }
    }

    /// The open file, downloading and opening it on first use: only for
    /// callers holding no timeline lock.
    pub fn get(self: &Arc<Self>) -> Result<Arc<LayerFile>> {
        if let Some(f) = &self.lock().opened {
            return Ok(f.clone());
        }
        self.fetch()?;
        match &self.lock().opened {
            Some(f) => Ok(f.clone()),
            // Retired by GC during the download.
            None => Err(Error::NotResident {
                layer: self.name,
                file: self.clone(),
            }),
        }
    }

    /// Downloads and opens the file unless it is resident (or retired: then
    /// there is nothing to do, no layer map lists it any more). Blocking;
    /// call it holding no timeline lock.
    pub fn fetch(&self) -> Result<()> {
        let _one = self.fetching.lock().unwrap_or_else(|p| p.into_inner());
        {
            let state = self.lock();
            if state.opened.is_some() || state.retired {
                return Ok(());
            }
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
        let mut state = self.lock();
        if state.retired {
            tracing::info!(layer = %self.name, "downloaded a layer GC removed meanwhile; deleting it");
            match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove a retired layer file", &self.path, e)),
            }
            return Ok(());
        }
        state.opened = Some(file);
        Ok(())
    }

    /// Marks the layer removed from its layer map (GC), before its file is
    /// deleted: a download finishing later deletes what it wrote.
    pub fn retire(&self) {
        self.lock().retired = true;
    }
}

/// Fetches the layers reads ask for ([`Error::NotResident`]) between
/// attempts, holding no timeline lock. A download that fails is reported
/// only if the retried read asks for the same layer again (a layer GC
/// removed meanwhile, whose object sync deleted, is simply no longer asked
/// for).
#[derive(Debug, Default)]
pub struct Fetcher {
    failed: Option<(Arc<LazyFile>, Error)>,
}

impl Fetcher {
    /// Fetches `file`; `Err` only when `file` is the one whose download
    /// failed just before.
    pub fn fetch(&mut self, file: Arc<LazyFile>) -> Result<()> {
        if let Some((failed, e)) = self.failed.take()
            && Arc::ptr_eq(&failed, &file)
        {
            return Err(e);
        }
        if let Err(e) = file.fetch() {
            tracing::warn!(layer = %file.name(), error = %e, "on-demand download failed");
            self.failed = Some((file, e));
        }
        Ok(())
    }
}

/// Runs `read` (which takes and releases the timeline's lock itself) until
/// it no longer fails with [`Error::NotResident`], fetching the layer it
/// asked for between attempts. Ends: every fetch makes a layer resident or
/// fails (reported the second time), and only remote layers, a finite set
/// fixed at attach, are ever not resident.
pub fn with_downloads<T>(mut read: impl FnMut() -> Result<T>) -> Result<T> {
    let mut fetcher = Fetcher::default();
    loop {
        match read() {
            Err(Error::NotResident { file, .. }) => fetcher.fetch(file)?,
            r => return r,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_range::KeyRange;
    use proto::page::{seal, set_page_lsn, zeroed_page};
    use proto::{Lsn, PageKey};
    use std::sync::mpsc;

    /// One image layer file's name and bytes.
    fn image_bytes() -> (LayerName, Vec<u8>) {
        let mut p = zeroed_page();
        p[1000] = 7;
        set_page_lsn(&mut p, Lsn(50));
        seal(&mut p);
        let key = PageKey::new(2, 1);
        let keys = KeyRange::new(PageKey::new(2, 0), PageKey::new(2, 10));
        let (summary, bytes) = crate::image_layer::build([(key, &*p)], keys, Lsn(80), 8192);
        (LayerName::of(&summary), bytes)
    }

    /// Writes the layer when told to (`go`), then runs `after` (a GC, say).
    #[derive(Debug)]
    struct Fake {
        bytes: Vec<u8>,
        go: Mutex<Option<mpsc::Receiver<()>>>,
        retire_after: Mutex<Option<Arc<LazyFile>>>,
    }

    impl Download for Fake {
        fn download(&self, _name: &LayerName, path: &Path) -> Result<()> {
            if let Some(go) = self.go.lock().unwrap().take() {
                go.recv().unwrap();
            }
            write_file(path, &self.bytes)?;
            if let Some(f) = self.retire_after.lock().unwrap().take() {
                f.retire();
            }
            Ok(())
        }
    }

    fn remote(dir: &Path, fake: Fake) -> (Arc<LazyFile>, Arc<Fake>) {
        let (name, _) = image_bytes();
        let fake = Arc::new(fake);
        let file = LazyFile::remote(name, dir.join(name.to_string()), fake.clone());
        (Arc::new(file), fake)
    }

    fn fake(go: Option<mpsc::Receiver<()>>) -> Fake {
        Fake {
            bytes: image_bytes().1,
            go: Mutex::new(go),
            retire_after: Mutex::new(None),
        }
    }

    #[test]
    fn a_residency_check_never_waits_for_a_download() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel();
        let (file, _) = remote(dir.path(), fake(Some(rx)));
        let f = file.clone();
        let downloading = std::thread::spawn(move || f.fetch());
        // The download is stuck (it waits for `tx`); the checks answer at once.
        let (done_tx, done) = mpsc::channel();
        let f = file.clone();
        std::thread::spawn(move || {
            for _ in 0..3 {
                let resident = f.is_resident();
                let required = f.require_resident();
                let asked = matches!(required, Err(Error::NotResident { file: ref g, .. }) if Arc::ptr_eq(g, &f));
                done_tx.send((resident, asked)).unwrap();
            }
        });
        for _ in 0..3 {
            let (resident, asked) = done
                .recv_timeout(std::time::Duration::from_secs(5))
                .expect("a residency check answers while a download runs");
            assert!(!resident && asked);
        }
        tx.send(()).unwrap();
        downloading.join().unwrap().unwrap();
        assert!(file.is_resident());
        assert!(file.require_resident().is_ok());
        assert!(file.get().is_ok());
    }

    #[test]
    fn a_layer_retired_during_its_download_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let (file, gc) = remote(dir.path(), fake(None));
        *gc.retire_after.lock().unwrap() = Some(file.clone());
        file.fetch().unwrap();
        assert!(!file.is_resident());
        assert!(!file.path().exists(), "the download deleted what it wrote");
        // Retired before a fetch: nothing is downloaded at all.
        let (file, _) = remote(dir.path(), fake(None));
        file.retire();
        file.fetch().unwrap();
        assert!(!file.path().exists());
        assert!(matches!(file.get(), Err(Error::NotResident { .. })));
    }

    #[test]
    fn with_downloads_fetches_what_the_read_asks_for_and_retries() {
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = remote(dir.path(), fake(None));
        let mut attempts = 0;
        let got = with_downloads(|| {
            attempts += 1;
            file.require_resident()?;
            Ok(file.get()?.summary().lsn_start)
        });
        assert_eq!(got.unwrap(), Lsn(80));
        assert_eq!(attempts, 2, "one attempt before the download, one after");
    }

    #[test]
    fn a_failing_download_is_reported_when_the_retry_needs_it_again() {
        #[derive(Debug)]
        struct Broken;
        impl Download for Broken {
            fn download(&self, name: &LayerName, _: &Path) -> Result<()> {
                Err(Error::InvalidRequest(format!("no object for {name}")))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let (name, _) = image_bytes();
        let file = Arc::new(LazyFile::remote(
            name,
            dir.path().join(name.to_string()),
            Arc::new(Broken),
        ));
        let mut attempts = 0;
        let got = with_downloads(|| {
            attempts += 1;
            file.require_resident()
        });
        assert!(matches!(got, Err(Error::InvalidRequest(_))), "{got:?}");
        assert_eq!(attempts, 2);
        // A read that no longer needs the layer after the failure succeeds.
        let mut attempts = 0;
        let got = with_downloads(|| {
            attempts += 1;
            if attempts == 1 {
                file.require_resident()
            } else {
                Ok(())
            }
        });
        assert!(got.is_ok());
    }
}
