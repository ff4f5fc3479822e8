//! Logical size: what PostgreSQL would call the size of the timeline's data
//! at an LSN, the sum of its relations' sizes (`pg_relation_size` of every
//! table, index, sequence and catalog), as opposed to the physical size (the
//! layer files holding their history).
//!
//! A relation's blocks are `0..n` and are never freed (the compute's
//! `PageCache::relation_size` relies on the same), so its size at an LSN is
//! `(highest block written at or below the LSN + 1) * PAGE_SIZE`, and a
//! relation dropped at or below the LSN ([`crate::tombstones`]) counts for
//! nothing. [`RelSizes`] is that per-relation maximum; [`rel_sizes`] builds it
//! from the layer map by visiting every key with a change at or below the LSN.
//!
//! Layer files are immutable, so the sizes of a file whose whole LSN range is
//! at or below the LSN asked about (every file, when asked at
//! `last_record_lsn`) are computed once and kept in a [`Cache`]; a file
//! straddling the LSN (a branch's ancestor, asked at the branch point) is
//! scanned with an LSN filter. In-memory layers are walked every time (they
//! are in memory). A branch adds its ancestor's sizes at the branch point
//! ([`RelSizes::merge`]) before its own tombstones are applied
//! (`TimelineHandle::logical_size`). Status never waits for it: with a storage
//! lock busy or a needed layer only in object storage, the size is unknown.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use proto::page::PAGE_SIZE;
use proto::{Lsn, PageKey, RelId};

use crate::Result;
use crate::layer_map::LayerMap;
use crate::layer_name::LayerName;
use crate::tombstones::Tombstones;

/// Blocks per relation (`highest block + 1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelSizes {
    blocks: BTreeMap<RelId, u32>,
}

impl RelSizes {
    /// Notes that `key` was written: its relation has at least `block + 1` blocks.
    pub fn note(&mut self, key: PageKey) {
        let n = key.block.saturating_add(1);
        let e = self.blocks.entry(key.rel).or_insert(0);
        *e = (*e).max(n);
    }

    /// Takes, per relation, the larger of the two sizes.
    pub fn merge(&mut self, other: &RelSizes) {
        for (&rel, &n) in &other.blocks {
            let e = self.blocks.entry(rel).or_insert(0);
            *e = (*e).max(n);
        }
    }

    /// Forgets the relations dropped at or below `lsn`.
    pub fn drop_tombstoned(&mut self, tombstones: &Tombstones, lsn: Lsn) {
        if !tombstones.is_empty() {
            self.blocks
                .retain(|&rel, _| tombstones.dropped_at(rel).is_none_or(|d| d > lsn));
        }
    }

    /// The relation's blocks (0 if never written).
    pub fn blocks(&self, rel: RelId) -> u32 {
        self.blocks.get(&rel).copied().unwrap_or(0)
    }

    pub fn relations(&self) -> usize {
        self.blocks.len()
    }

    /// The sum of the relations' sizes in bytes.
    pub fn bytes(&self) -> u64 {
        self.blocks.values().map(|&n| u64::from(n)).sum::<u64>() * PAGE_SIZE as u64
    }
}

/// Sizes of whole layer files, computed once per file.
#[derive(Debug, Default)]
pub struct Cache {
    files: Mutex<BTreeMap<LayerName, Arc<RelSizes>>>,
}

impl Cache {
    fn get_or(
        &self,
        name: LayerName,
        compute: impl FnOnce() -> Result<RelSizes>,
    ) -> Result<Arc<RelSizes>> {
        if let Some(s) = self.lock().get(&name) {
            return Ok(s.clone());
        }
        let sizes = Arc::new(compute()?);
        self.lock().insert(name, sizes.clone());
        Ok(sizes)
    }

    /// Forgets the files no longer in `map` (removed by GC or compaction).
    fn retain_in(&self, map: &LayerMap) {
        self.lock().retain(|name, _| map.contains(name));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<LayerName, Arc<RelSizes>>> {
        // Plain data: a panicking holder leaves a valid map.
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn of_keys(keys: Vec<PageKey>) -> RelSizes {
    let mut s = RelSizes::default();
    keys.into_iter().for_each(|k| s.note(k));
    s
}

/// The relation sizes of the layer map at `lsn`, this timeline's own data
/// only, without the relations its tombstones drop at or below `lsn`. Reads
/// resident layer files only: a file still in object storage (and not yet
/// cached) answers `Error::NotResident` rather than being downloaded.
pub fn rel_sizes(map: &LayerMap, cache: &Cache, lsn: Lsn) -> Result<RelSizes> {
    let mut sizes = RelSizes::default();
    cache.retain_in(map);
    for d in map.delta_layers().iter().filter(|d| d.lsn_start() <= lsn) {
        if d.lsn_end() <= lsn + 1 {
            let whole = cache.get_or(d.name(), || {
                d.require_resident()?;
                Ok(of_keys(d.keys()?))
            })?;
            sizes.merge(&whole);
        } else {
            d.require_resident()?;
            d.file()?.scan_all(|e| {
                if e.lsn <= lsn {
                    sizes.note(e.key);
                }
                Ok(())
            })?;
        }
    }
    for i in map.image_layers().iter().filter(|i| i.lsn() <= lsn) {
        let whole = cache.get_or(i.name(), || {
            i.require_resident()?;
            Ok(of_keys(i.keys()?))
        })?;
        sizes.merge(&whole);
    }
    let open = std::iter::once(map.open_layer());
    for layer in open.chain(map.frozen_layers().iter().map(|l| &**l)) {
        layer.keys_upto(lsn).for_each(|k| sizes.note(k));
    }
    sizes.drop_tombstoned(map.tombstones(), lsn);
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relation_is_as_large_as_its_highest_block() {
        let mut s = RelSizes::default();
        s.note(PageKey::new(7, 0));
        s.note(PageKey::new(7, 4));
        s.note(PageKey::new(7, 2));
        s.note(PageKey::new(9, 0));
        assert_eq!(s.blocks(RelId(7)), 5);
        assert_eq!(s.relations(), 2);
        assert_eq!(s.bytes(), 6 * PAGE_SIZE as u64);
    }

    #[test]
    fn merge_keeps_the_larger_size_and_drops_forget_the_relation() {
        let mut branch = RelSizes::default();
        branch.note(PageKey::new(7, 1));
        let mut ancestor = RelSizes::default();
        ancestor.note(PageKey::new(7, 3));
        ancestor.note(PageKey::new(8, 0));
        branch.merge(&ancestor);
        assert_eq!(branch.blocks(RelId(7)), 4);
        let mut t = Tombstones::default();
        t.record(RelId(8), Lsn(100));
        let mut before = branch.clone();
        before.drop_tombstoned(&t, Lsn(99));
        assert_eq!(before.blocks(RelId(8)), 1, "not yet dropped at 99");
        branch.drop_tombstoned(&t, Lsn(100));
        assert_eq!(branch.blocks(RelId(8)), 0);
        assert_eq!(branch.bytes(), 4 * PAGE_SIZE as u64);
    }
}
