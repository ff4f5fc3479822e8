//! Compaction: turning long delta chains into image layers.
//!
//! Reading a page costs one redo per delta after its newest image, so when
//! some key's chain of byte-run deltas at the chosen LSN reaches the
//! configured threshold, compaction writes image layers there. The chosen
//! LSN is the timeline's `disk_consistent_lsn`: every change at or below it
//! is in layer files, so the images depend on nothing that could be lost.
//!
//! The keyspace (every key of every layer file at or below that LSN, sorted)
//! is cut into partitions of `keys_per_layer` keys; [`plan`] (pure) picks the
//! partitions holding a key whose chain reaches the threshold. Each picked
//! partition `first..=last` becomes an image layer holding **every** key of
//! the range that exists at the LSN — the completeness an image layer
//! promises (see [`crate::image_layer`]). A quarantined page cannot be
//! rebuilt, so the range is split around it ([`split_around`]) and the page
//! keeps its chain until a full image supersedes it.
//!
//! Relations dropped at or before the LSN ([`crate::tombstones`]) are left out of the
//! keyspace: their pages are in no image layer written after the drop.
//!
//! On a branch, the keyspace is the branch's own keys and a chain that does
//! not start with a full page is replayed on the ancestor's page at the
//! branch point (the `base` callback). A key of the range that is absent
//! from a branch's image layer was never written on the branch, and reads of
//! it fall through to the ancestor as before.

use std::sync::Arc;

use proto::page::Page;
use proto::{Lsn, PageKey};

use crate::image_layer::{self, ImageLayer};
use crate::key_range::KeyRange;
use crate::layer_file::write_file;
use crate::layer_map::LayerMap;
use crate::layer_name::LayerName;
use crate::{Error, Result, reconstruct};

/// What one compaction did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CompactionReport {
    pub lsn: Option<Lsn>,
    pub image_layers_written: Vec<LayerName>,
    /// Pages left out of images because they are quarantined.
    pub quarantined_skipped: Vec<PageKey>,
}

/// The key ranges that need an image layer: partitions of `chains` (sorted
/// by key) of `keys_per_layer` keys holding a chain of `threshold` or more.
pub fn plan(chains: &[(PageKey, usize)], threshold: usize, keys_per_layer: usize) -> Vec<KeyRange> {
    chains
        .chunks(keys_per_layer.max(1))
        .filter(|part| part.iter().any(|&(_, len)| len >= threshold))
        .map(|part| KeyRange::new(part[0].0, part[part.len() - 1].0))
        .collect()
}

/// The sub-ranges of `range` that avoid every key in `holes`.
pub fn split_around(range: KeyRange, holes: &[PageKey]) -> Vec<KeyRange> {
    let mut holes: Vec<u64> = holes
        .iter()
        .filter(|k| range.contains(**k))
        .map(|k| k.as_u64())
        .collect();
    holes.sort_unstable();
    holes.dedup();
    let key = |v: u64| PageKey::new((v >> 32) as u32, v as u32);
    let mut out = Vec::new();
    let mut next = Some(range.first.as_u64());
    for h in holes {
        if let Some(n) = next.filter(|&n| n < h) {
            out.push(KeyRange::new(key(n), key(h - 1)));
        }
        next = h.checked_add(1);
    }
    if let Some(n) = next.filter(|&n| n <= range.last.as_u64()) {
        out.push(KeyRange::new(key(n), range.last));
    }
    out
}

/// Every key of the layer files at or below `lsn`, sorted, without the keys of relations
/// dropped at or before `lsn` (no image layer written after a drop holds them).
fn keyspace(map: &LayerMap, lsn: Lsn) -> Result<Vec<PageKey>> {
    let mut keys = Vec::new();
    for d in map.delta_layers().iter().filter(|d| d.lsn_start() <= lsn) {
        keys.extend(d.keys()?);
    }
    for i in map.image_layers().iter().filter(|i| i.lsn() <= lsn) {
        keys.extend(i.keys()?);
    }
    keys.retain(|k| !map.tombstones().hides(*k, lsn));
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}

/// The page a history that does not start with a full page is replayed on:
/// a branch's ancestor's page at the branch point (`None` for a root).
pub type BasePage<'a> = &'a dyn Fn(PageKey) -> Result<Option<Box<Page>>>;

/// Writes image layers into `dir` where chains at the disk-consistent LSN
/// reach `threshold`, and adds them to `map`.
pub fn compact(
    map: &mut LayerMap,
    dir: &std::path::Path,
    threshold: usize,
    keys_per_layer: usize,
    block_size: usize,
    base: BasePage<'_>,
) -> Result<CompactionReport> {
    let mut report = CompactionReport::default();
    let Some(lsn) = map.disk_consistent_lsn() else {
        return Ok(report);
    };
    report.lsn = Some(lsn);
    let keys = keyspace(map, lsn)?;
    let mut chains = Vec::with_capacity(keys.len());
    for &key in &keys {
        chains.push((key, reconstruct::collect(map, key, lsn)?.delta_chain_len()));
    }
    for range in plan(&chains, threshold, keys_per_layer) {
        let mut pages: Vec<(PageKey, Box<Page>)> = Vec::new();
        let mut holes = Vec::new();
        for &key in keys.iter().filter(|k| range.contains(**k)) {
            let rebuilt = reconstruct::collect(map, key, lsn).and_then(|mut h| {
                if h.needs_base()
                    && let Some(page) = base(key)?
                {
                    h.base = Some((proto::page::page_lsn(&page), page));
                }
                h.replay()
            });
            match rebuilt {
                Ok(page) => pages.push((key, page)),
                Err(Error::NeverWritten { .. }) => {}
                Err(Error::Quarantined { .. }) => holes.push(key),
                Err(e) => return Err(e),
            }
        }
        report.quarantined_skipped.extend(&holes);
        for sub in split_around(range, &holes) {
            let in_sub = pages.iter().filter(|(k, _)| sub.contains(*k));
            if in_sub.clone().next().is_none() {
                continue;
            }
            let (summary, bytes) =
                image_layer::build(in_sub.map(|(k, p)| (*k, &**p)), sub, lsn, block_size);
            let name = LayerName::of(&summary);
            if map.contains(&name) {
                continue;
            }
            let path = dir.join(name.to_string());
            write_file(&path, &bytes)?;
            map.insert_image(Arc::new(ImageLayer::open(&path)?));
            tracing::debug!(layer = %name, "wrote image layer");
            report.image_layers_written.push(name);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(b: u32) -> PageKey {
        PageKey::new(1, b)
    }

    #[test]
    fn plan_picks_partitions_with_long_chains() {
        let chains: Vec<_> = (0..10)
            .map(|b| (k(b), if b == 5 { 4 } else { 1 }))
            .collect();
        assert_eq!(plan(&chains, 4, 3), vec![KeyRange::new(k(3), k(5))]);
        assert_eq!(plan(&chains, 5, 3), vec![]);
        assert_eq!(plan(&chains, 1, 100), vec![KeyRange::new(k(0), k(9))]);
    }

    #[test]
    fn split_skips_holes() {
        let r = KeyRange::new(k(0), k(9));
        assert_eq!(split_around(r, &[]), vec![r]);
        assert_eq!(
            split_around(r, &[k(4), k(0), k(20)]),
            vec![KeyRange::new(k(1), k(3)), KeyRange::new(k(5), k(9))]
        );
        assert_eq!(split_around(KeyRange::single(k(3)), &[k(3)]), vec![]);
        let top = KeyRange::new(PageKey::MAX, PageKey::MAX);
        assert_eq!(split_around(top, &[PageKey::MAX]), vec![]);
    }
}
