//! Delta layers: immutable files of page changes for a key range and an LSN
//! range `[start, end)`.
//!
//! A delta layer is a [layer file](crate::layer_file) of kind `Delta` whose
//! entries are `(key, lsn) -> change`, where `lsn` is the **end** LSN of the
//! record carrying the change (the LSN redo stamps on the page). Entries are
//! sorted by `(key, lsn)`; a record that changes one page twice keeps both
//! changes in record order. The value encodes a [`PageChange`] without its key:
//!
//! ```text
//! value := base_lsn:u64 crc_after:u32 body_kind:u8 body        (little-endian)
//! body  := Image (1): 8192 bytes
//!        | Delta (2): n_runs:u16 (offset:u16 len:u16 bytes)*
//! ```
//!
//! Decoding validates every run (in bounds, in order, outside the page
//! header) before building a [`Delta`], so a bad value is [`Error::Corrupt`],
//! never a panic. A reader fetches only the blocks holding the wanted key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use proto::page::{PAGE_HEADER_SIZE, PAGE_SIZE};
use proto::{Delta, Lsn, PageBody, PageChange, PageKey};

use crate::key_range::KeyRange;
use crate::layer_file::{LayerFile, LayerFileBuilder, LayerKind, Summary};
use crate::layer_name::LayerName;
use crate::ondemand::{Download, LazyFile};
use crate::{Error, Result};

const BODY_IMAGE: u8 = 1;
const BODY_DELTA: u8 = 2;
const VALUE_FIXED: usize = 8 + 4 + 1;

/// Encoded size of a change's value (used for in-memory size accounting).
pub fn encoded_len(change: &PageChange) -> usize {
    VALUE_FIXED
        + match &change.body {
            PageBody::Image(_) => PAGE_SIZE,
            PageBody::Delta(d) => d.encoded_len(),
        }
}

/// Appends the value encoding of `change` to `out`.
pub fn encode_change(change: &PageChange, out: &mut Vec<u8>) {
    out.extend_from_slice(&change.base_lsn.0.to_le_bytes());
    out.extend_from_slice(&change.crc_after.to_le_bytes());
    match &change.body {
        PageBody::Image(img) => {
            out.push(BODY_IMAGE);
            out.extend_from_slice(img);
        }
        PageBody::Delta(delta) => {
            out.push(BODY_DELTA);
            let runs: Vec<_> = delta.runs().collect();
            out.extend_from_slice(&(runs.len() as u16).to_le_bytes());
            for (off, data) in runs {
                out.extend_from_slice(&(off as u16).to_le_bytes());
                out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                out.extend_from_slice(data);
            }
        }
    }
}

/// Decodes a value written by [`encode_change`], validating it fully.
pub fn decode_change(key: PageKey, v: &[u8]) -> Result<PageChange, &'static str> {
    if v.len() < VALUE_FIXED {
        return Err("truncated page change");
    }
    let base_lsn = Lsn(u64::from_le_bytes(v[0..8].try_into().expect("8 bytes")));
    let crc_after = u32::from_le_bytes(v[8..12].try_into().expect("4 bytes"));
    let body = &v[VALUE_FIXED..];
    let body = match v[12] {
        BODY_IMAGE if body.len() == PAGE_SIZE => PageBody::Image(Bytes::copy_from_slice(body)),
        BODY_IMAGE => return Err("page image is not 8192 bytes"),
        BODY_DELTA => PageBody::Delta(decode_runs(body)?),
        _ => return Err("unknown page change kind"),
    };
    Ok(PageChange {
        key,
        base_lsn,
        body,
        crc_after,
    })
}

fn decode_runs(b: &[u8]) -> Result<Delta, &'static str> {
    if b.len() < 2 {
        return Err("truncated delta");
    }
    let n = u16::from_le_bytes([b[0], b[1]]) as usize;
    let mut runs = Vec::with_capacity(n.min(b.len() / 5));
    let (mut pos, mut next_free) = (2, PAGE_HEADER_SIZE);
    for _ in 0..n {
        if b.len() < pos + 4 {
            return Err("truncated delta run");
        }
        let off = u16::from_le_bytes([b[pos], b[pos + 1]]) as usize;
        let len = u16::from_le_bytes([b[pos + 2], b[pos + 3]]) as usize;
        if len == 0 || off < next_free || off + len > PAGE_SIZE || b.len() < pos + 4 + len {
            return Err("delta run out of bounds or out of order");
        }
        runs.push((off as u16, &b[pos + 4..pos + 4 + len]));
        next_free = off + len;
        pos += 4 + len;
    }
    if pos != b.len() {
        return Err("trailing bytes after delta runs");
    }
    // Validated above exactly as `Delta::from_runs` asserts.
    Ok(Delta::from_runs(runs))
}

/// Builds one delta layer file from changes sorted by `(key, lsn)`, all with
/// `lsn` in `[start, end)`. Returns `None` if there are no changes.
pub fn build<'a>(
    changes: impl IntoIterator<Item = (Lsn, &'a PageChange)>,
    start: Lsn,
    end: Lsn,
    block_size: usize,
) -> Option<(Summary, Vec<u8>)> {
    let mut builder = LayerFileBuilder::new(LayerKind::Delta, block_size);
    let mut value = Vec::new();
    for (lsn, change) in changes {
        value.clear();
        encode_change(change, &mut value);
        builder.push(change.key, lsn, &value);
    }
    let keys = builder.pushed_key_range()?;
    Some(builder.finish(keys, start, end))
}

/// An open delta layer file.
#[derive(Debug)]
pub struct DeltaLayer {
    file: Arc<LazyFile>,
    name: LayerName,
}

impl DeltaLayer {
    /// Opens and verifies a delta layer file.
    pub fn open(path: &Path) -> Result<DeltaLayer> {
        let file = LayerFile::open(path)?;
        if file.summary().kind != LayerKind::Delta {
            return Err(Error::corrupt(path, 0, "expected a delta layer"));
        }
        let name = LayerName::of(file.summary());
        Ok(DeltaLayer {
            file: Arc::new(LazyFile::resident(name, file)),
            name,
        })
    }

    /// A delta layer in object storage only, downloaded on first read.
    pub fn remote(name: LayerName, path: PathBuf, download: Arc<dyn Download>) -> DeltaLayer {
        DeltaLayer {
            file: Arc::new(LazyFile::remote(name, path, download)),
            name,
        }
    }

    /// Whether the file is on local disk.
    pub fn is_resident(&self) -> bool {
        self.file.is_resident()
    }

    /// [`LazyFile::require_resident`]: for reads that must not download.
    pub fn require_resident(&self) -> Result<()> {
        self.file.require_resident()
    }

    /// [`LazyFile::retire`]: GC removed this layer from the layer map.
    pub fn retire(&self) {
        self.file.retire()
    }

    pub fn name(&self) -> LayerName {
        self.name
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    pub fn key_range(&self) -> KeyRange {
        self.name.key_range()
    }

    /// Changes have `lsn_start() <= lsn < lsn_end()`.
    pub fn lsn_start(&self) -> Lsn {
        match self.name {
            LayerName::Delta { start, .. } => start,
            LayerName::Image { lsn, .. } => lsn,
        }
    }

    pub fn lsn_end(&self) -> Lsn {
        match self.name {
            LayerName::Delta { end, .. } => end,
            LayerName::Image { lsn, .. } => lsn + 1,
        }
    }

    /// The changes of `key` with `after < lsn <= upto`, in LSN order.
    pub fn changes(&self, key: PageKey, after: Lsn, upto: Lsn) -> Result<Vec<(Lsn, PageChange)>> {
        let mut out = Vec::new();
        let Some(from) = after.checked_add(1) else {
            return Ok(out);
        };
        self.file.get()?.scan((key, from), (key, upto), |e| {
            let change = decode_change(e.key, e.value)
                .map_err(|why| Error::corrupt(self.path(), e.offset, why))?;
            out.push((e.lsn, change));
            Ok(())
        })?;
        Ok(out)
    }

    /// The underlying file (block counts, blocks read), downloaded first
    /// if it is remote.
    pub fn file(&self) -> Result<Arc<LayerFile>> {
        self.file.get()
    }

    /// Every distinct key with a change in this layer, in order.
    pub fn keys(&self) -> Result<Vec<PageKey>> {
        let mut keys: Vec<PageKey> = Vec::new();
        self.file.get()?.scan_all(|e| {
            if keys.last() != Some(&e.key) {
                keys.push(e.key);
            }
            Ok(())
        })?;
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer_file::write_file;
    use proto::page::{seal, set_page_lsn, zeroed_page};
    use proto::redo::diff;

    fn page(lsn: u64, fill: u8) -> Box<proto::Page> {
        let mut p = zeroed_page();
        p[100..200].fill(fill);
        set_page_lsn(&mut p, Lsn(lsn));
        seal(&mut p);
        p
    }

    #[test]
    fn change_codec_round_trips() {
        let key = PageKey::new(3, 4);
        let old = page(10, 1);
        let mut new = old.clone();
        new[150] = 9;
        for change in [
            diff(key, Some(&old), &new, Lsn(20)),
            diff(key, None, &new, Lsn(20)),
        ] {
            let mut v = Vec::new();
            encode_change(&change, &mut v);
            assert_eq!(v.len(), encoded_len(&change));
            assert_eq!(decode_change(key, &v).unwrap(), change);
            for cut in 0..v.len().min(40) {
                let _ = decode_change(key, &v[..cut]); // never panics
            }
        }
    }

    #[test]
    fn bad_runs_are_rejected() {
        let mut v = vec![0u8; VALUE_FIXED];
        v[12] = BODY_DELTA;
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes()); // offset inside the header
        v.extend_from_slice(&1u16.to_le_bytes());
        v.push(7);
        assert!(decode_change(PageKey::new(1, 1), &v).is_err());
    }

    #[test]
    fn reads_back_one_keys_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut changes = Vec::new();
        for blk in 0..10u32 {
            let key = PageKey::new(1, blk);
            let p1 = page(100, blk as u8);
            changes.push((Lsn(100), diff(key, None, &p1, Lsn(100))));
            let mut p2 = p1.clone();
            p2[300] = 1;
            changes.push((Lsn(200), diff(key, Some(&p1), &p2, Lsn(200))));
        }
        let (summary, bytes) = build(
            changes.iter().map(|(l, c)| (*l, c)),
            Lsn(100),
            Lsn(201),
            4096,
        )
        .unwrap();
        let path = dir.path().join(LayerName::of(&summary).to_string());
        write_file(&path, &bytes).unwrap();
        let layer = DeltaLayer::open(&path).unwrap();
        assert_eq!(layer.keys().unwrap().len(), 10);
        let got = layer
            .changes(PageKey::new(1, 4), Lsn(100), Lsn(300))
            .unwrap();
        assert_eq!(got, vec![changes[9].clone()]);
        let got = layer.changes(PageKey::new(1, 4), Lsn(0), Lsn(150)).unwrap();
        assert_eq!(got, vec![changes[8].clone()]);
        assert!(
            layer
                .changes(PageKey::new(2, 0), Lsn(0), Lsn::MAX)
                .unwrap()
                .is_empty()
        );

        // One key's changes take a block or two, never a scan of the file.
        let blocks = layer.file().unwrap().block_count() as u64;
        assert!(blocks >= 5, "{blocks} blocks");
        let before = layer.file().unwrap().blocks_read();
        layer.changes(PageKey::new(1, 7), Lsn(0), Lsn::MAX).unwrap();
        assert!(layer.file().unwrap().blocks_read() - before <= 2);
    }
}
