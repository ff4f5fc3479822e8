//! The layer map: which layers hold a timeline's history, and which of them
//! a read of key `K` at LSN `L` must visit.
//!
//! ```text
//!  LSN ^
//!      |  [ open in-memory layer            ]   <- ingest writes here
//!      |  [ frozen in-memory layers         ]   <- waiting to be flushed
//!      |  [delta a..f][delta g..p][delta q..z]  <- one freeze, partitioned by key
//!      |  ===== image a..m @L2 =====            <- compaction
//!      |  [delta a..k][delta l..z]
//!      |  ===== image a..z @L1 =====
//!      +------------------------------------------> key
//! ```
//!
//! [`LayerMap::search`] answers "which layers cover `K` at `L`", newest first:
//! the newest image layer covering `K` at an LSN `<= L` (if any) bounds the
//! search from below, and every delta source (in-memory or file) covering
//! `K` with changes in `(image LSN, L]` comes before it, newest first. The
//! image, if any, is last.
//!
//! Invariants: in-memory layers and delta files from different freezes never
//! overlap in LSN; delta files from one freeze never overlap in keys; so for
//! one key the delta sources are totally ordered by LSN. Lookups are linear
//! scans over layer descriptors, fine for thousands of layers; an interval
//! tree can replace them without changing the interface.

use std::sync::Arc;

use proto::{DecodedRecord, Lsn, PageKey, RecordKind};

use crate::Result;
use crate::delta_layer::DeltaLayer;
use crate::image_layer::ImageLayer;
use crate::inmemory_layer::InMemoryLayer;
use crate::layer_name::LayerName;
use crate::tombstones::Tombstones;

/// A layer a read visits.
#[derive(Debug, Clone, Copy)]
pub enum LayerRef<'a> {
    InMemory(&'a InMemoryLayer),
    Delta(&'a DeltaLayer),
    Image(&'a ImageLayer),
}

/// All layers of one timeline.
#[derive(Debug)]
pub struct LayerMap {
    open: InMemoryLayer,
    /// Oldest first.
    frozen: Vec<Arc<InMemoryLayer>>,
    /// Newest (highest `lsn_end`) first.
    deltas: Vec<Arc<DeltaLayer>>,
    /// Newest (highest LSN) first.
    images: Vec<Arc<ImageLayer>>,
    /// Relations dropped by `DropRelation` records: they hide their keys from reads,
    /// compaction and GC from the drop on ([`crate::tombstones`]).
    tombstones: Tombstones,
}

impl LayerMap {
    /// A map with only an open in-memory layer.
    pub fn new(open: InMemoryLayer) -> LayerMap {
        LayerMap {
            open,
            frozen: Vec::new(),
            deltas: Vec::new(),
            images: Vec::new(),
            tombstones: Tombstones::default(),
        }
    }

    /// The state a restart resumes from when flushed layers are kept in
    /// memory (the safekeepers' deterministic simulation: its frozen layers
    /// stand for the delta files written from them): `frozen`, oldest first
    /// and contiguous, with `tombstones`, and a new open layer right after
    /// the last of them (or at `start`, a record boundary, if none).
    pub fn with_frozen(
        start: Lsn,
        frozen: Vec<Arc<InMemoryLayer>>,
        tombstones: Tombstones,
    ) -> LayerMap {
        assert!(frozen.iter().all(|l| l.is_frozen()), "a layer not frozen");
        assert!(
            frozen
                .windows(2)
                .all(|w| w[0].end_lsn() == w[1].start_lsn()),
            "frozen layers with a gap or an overlap"
        );
        let open = match frozen.last() {
            Some(l) => InMemoryLayer::new(l.end_lsn(), l.last_record_lsn()),
            None => InMemoryLayer::new(start, start),
        };
        LayerMap {
            open,
            frozen,
            deltas: Vec::new(),
            images: Vec::new(),
            tombstones,
        }
    }

    /// Ingests one decoded WAL record (records come in WAL order): its page
    /// changes into the open layer, a `DropRelation`'s tombstone; then
    /// freezes the open layer if it holds `freeze_size` bytes or more.
    /// Returns whether it froze.
    pub fn ingest(&mut self, rec: &DecodedRecord, freeze_size: usize) -> Result<bool> {
        self.open.ingest(rec)?;
        if let RecordKind::DropRelation { rel } = rec.record.kind {
            tracing::info!(rel = rel.0, lsn = %rec.end, "relation dropped");
            self.tombstones.record(rel, rec.end);
        }
        Ok(self.open.size() >= freeze_size && self.freeze_open())
    }

    /// The relations dropped so far.
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    pub fn tombstones_mut(&mut self) -> &mut Tombstones {
        &mut self.tombstones
    }

    pub fn open_layer(&self) -> &InMemoryLayer {
        &self.open
    }

    pub fn open_layer_mut(&mut self) -> &mut InMemoryLayer {
        &mut self.open
    }

    /// Frozen in-memory layers, oldest first.
    pub fn frozen_layers(&self) -> &[Arc<InMemoryLayer>] {
        &self.frozen
    }

    /// Delta layer files, newest first.
    pub fn delta_layers(&self) -> &[Arc<DeltaLayer>] {
        &self.deltas
    }

    /// Image layer files, newest first.
    pub fn image_layers(&self) -> &[Arc<ImageLayer>] {
        &self.images
    }

    /// Freezes the open layer (if it holds anything) and opens a new one
    /// right after it. Returns whether a layer was frozen.
    pub fn freeze_open(&mut self) -> bool {
        if self.open.is_empty() {
            return false;
        }
        self.open.freeze();
        let next = InMemoryLayer::new(self.open.end_lsn(), self.open.last_record_lsn());
        let frozen = std::mem::replace(&mut self.open, next);
        self.frozen.push(Arc::new(frozen));
        true
    }

    /// Replaces the oldest frozen layer by the delta files written from it.
    pub fn finish_flush(&mut self, written: Vec<DeltaLayer>) {
        assert!(!self.frozen.is_empty(), "flush without a frozen layer");
        self.frozen.remove(0);
        for d in written {
            self.insert_delta(Arc::new(d));
        }
    }

    pub fn insert_delta(&mut self, layer: Arc<DeltaLayer>) {
        let at = self
            .deltas
            .partition_point(|d| d.lsn_end() > layer.lsn_end());
        self.deltas.insert(at, layer);
    }

    pub fn insert_image(&mut self, layer: Arc<ImageLayer>) {
        let at = self.images.partition_point(|i| i.lsn() > layer.lsn());
        self.images.insert(at, layer);
    }

    /// Whether a file layer with this name is in the map.
    pub fn contains(&self, name: &LayerName) -> bool {
        self.historic_names().any(|n| n == *name)
    }

    /// The names of every layer file in the map.
    pub fn historic_names(&self) -> impl Iterator<Item = LayerName> + '_ {
        let deltas = self.deltas.iter().map(|d| d.name());
        deltas.chain(self.images.iter().map(|i| i.name()))
    }

    /// Removes the named file layers from the map (not from disk), retiring
    /// them (a download in flight deletes what it wrote, see
    /// [`crate::ondemand`]); returns the removed layers' paths.
    pub fn remove(&mut self, names: &[LayerName]) -> Vec<std::path::PathBuf> {
        let mut paths = Vec::new();
        self.deltas.retain(|d| {
            let gone = names.contains(&d.name());
            if gone {
                d.retire();
                paths.push(d.path().to_path_buf());
            }
            !gone
        });
        self.images.retain(|i| {
            let gone = names.contains(&i.name());
            if gone {
                i.retire();
                paths.push(i.path().to_path_buf());
            }
            !gone
        });
        paths
    }

    /// The end of the newest change on disk: everything at or below it is in
    /// layer files (`None` before the first flush).
    pub fn disk_consistent_lsn(&self) -> Option<Lsn> {
        let delta = self.deltas.first().map(|d| Lsn(d.lsn_end().0 - 1));
        let image = self.images.first().map(|i| i.lsn());
        delta.max(image)
    }

    /// The newest image layer covering `key` at an LSN `<= lsn`.
    pub fn newest_image(&self, key: PageKey, lsn: Lsn) -> Option<&ImageLayer> {
        self.images
            .iter()
            .find(|i| i.lsn() <= lsn && i.key_range().contains(key))
            .map(|i| &**i)
    }

    /// The layers a read of `key` at `lsn` visits, newest first: delta
    /// sources with changes for `key` possible in `(image LSN, lsn]`, then
    /// the newest image layer covering `key` at or below `lsn`, if any.
    pub fn search(&self, key: PageKey, lsn: Lsn) -> Vec<LayerRef<'_>> {
        let image = self.newest_image(key, lsn);
        let floor = image.map(|i| i.lsn());
        // A source with change LSNs in [start, end) has some in (floor, lsn]
        // iff start <= lsn and end - 1 > floor.
        let relevant = |start: Lsn, end: Lsn| start <= lsn && floor.is_none_or(|f| end.0 - 1 > f.0);
        let mut out = Vec::new();
        let in_memory = std::iter::once(&self.open).chain(self.frozen.iter().rev().map(|l| &**l));
        for layer in in_memory {
            if !layer.is_empty() && relevant(layer.start_lsn(), layer.end_lsn()) {
                out.push(LayerRef::InMemory(layer));
            }
        }
        for d in &self.deltas {
            if d.key_range().contains(key) && relevant(d.lsn_start(), d.lsn_end()) {
                out.push(LayerRef::Delta(d));
            }
        }
        out.extend(image.map(LayerRef::Image));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_layer;
    use crate::key_range::KeyRange;
    use crate::layer_file::write_file;
    use proto::page::{seal, set_page_lsn, zeroed_page};
    use proto::redo::diff;
    use proto::{DecodedRecord, Record};

    fn rec(end: u64, block: u32) -> DecodedRecord {
        let mut p = zeroed_page();
        p[20] = end as u8;
        DecodedRecord {
            start: Lsn(end - 1),
            end: Lsn(end),
            record: Record::commit(0, vec![diff(PageKey::new(1, block), None, &p, Lsn(end))]),
        }
    }

    #[test]
    fn search_orders_newest_first_and_stops_at_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let mut map = LayerMap::new(InMemoryLayer::new(Lsn(10), Lsn(10)));
        // Freeze 1: blocks 0 and 5 at 20, 30.
        map.open_layer_mut().ingest(&rec(20, 0)).unwrap();
        map.open_layer_mut().ingest(&rec(30, 5)).unwrap();
        assert!(map.freeze_open());
        let frozen = map.frozen_layers()[0].clone();
        let written = frozen
            .build_delta_layers(1, 4096)
            .into_iter()
            .map(|(s, bytes)| {
                let path = dir.path().join(LayerName::of(&s).to_string());
                write_file(&path, &bytes).unwrap();
                DeltaLayer::open(&path).unwrap()
            })
            .collect();
        map.finish_flush(written);
        assert_eq!(map.delta_layers().len(), 2, "partitioned per key");
        assert_eq!(map.disk_consistent_lsn(), Some(Lsn(30)));
        // Open layer: block 0 at 40.
        map.open_layer_mut().ingest(&rec(40, 0)).unwrap();

        let kinds = |refs: Vec<LayerRef<'_>>| {
            refs.iter()
                .map(|r| match r {
                    LayerRef::InMemory(_) => 'm',
                    LayerRef::Delta(_) => 'd',
                    LayerRef::Image(_) => 'i',
                })
                .collect::<String>()
        };
        assert_eq!(kinds(map.search(PageKey::new(1, 0), Lsn(45))), "md");
        assert_eq!(kinds(map.search(PageKey::new(1, 0), Lsn(25))), "d");
        assert_eq!(kinds(map.search(PageKey::new(1, 9), Lsn(45))), "m");

        // An image at 30 covering everything hides the delta files below it.
        let mut page = zeroed_page();
        set_page_lsn(&mut page, Lsn(20));
        seal(&mut page);
        let keys = KeyRange::new(PageKey::new(1, 0), PageKey::new(1, 9));
        let (s, bytes) = image_layer::build([(PageKey::new(1, 0), &*page)], keys, Lsn(30), 4096);
        let path = dir.path().join(LayerName::of(&s).to_string());
        write_file(&path, &bytes).unwrap();
        map.insert_image(Arc::new(ImageLayer::open(&path).unwrap()));
        assert_eq!(kinds(map.search(PageKey::new(1, 0), Lsn(45))), "mi");
        assert_eq!(kinds(map.search(PageKey::new(1, 0), Lsn(30))), "i");
        assert_eq!(kinds(map.search(PageKey::new(1, 0), Lsn(29))), "d");
    }

    /// Ingest freezes at the size, and a map resumed from the frozen layers
    /// reads what they hold and ingests after them.
    #[test]
    fn ingest_freezes_and_a_map_resumes_from_frozen_layers() {
        let mut map = LayerMap::new(InMemoryLayer::new(Lsn(1), Lsn(1)));
        let mut froze = 0;
        for end in 10..20 {
            froze += usize::from(
                map.ingest(&rec(end, 1), 2 * proto::page::PAGE_SIZE)
                    .unwrap(),
            );
        }
        assert!(froze >= 4, "froze {froze} times");
        assert_eq!(map.frozen_layers().len(), froze);
        let frozen = map.frozen_layers().to_vec();
        let last = frozen.last().unwrap().last_record_lsn();
        let mut resumed = LayerMap::with_frozen(Lsn(1), frozen, Tombstones::default());
        assert_eq!(resumed.open_layer().last_record_lsn(), last);
        let key = PageKey::new(1, 1);
        assert_eq!(resumed.search(key, last).len(), froze);
        let page = crate::reconstruct::reconstruct(&resumed, key, last).unwrap();
        assert_eq!(proto::page::page_lsn(&page), last);
        resumed.ingest(&rec(last.0 + 1, 1), usize::MAX).unwrap();
        assert!(resumed.ingest(&rec(last.0, 1), usize::MAX).is_err());
        assert_eq!(resumed.search(key, last + 1).len(), froze + 1);
    }
}
