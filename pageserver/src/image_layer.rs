//! Image layers: full pages for a key range at one LSN.
//!
//! An image layer is a [layer file](crate::layer_file) of kind `Image` whose
//! entries are `(key, L) -> page` (8192 bytes, header included), one per key,
//! all at the layer's LSN `L`; the footer's LSN range is `[L, L + 1)`.
//!
//! Invariant: an image layer is a **complete** snapshot of its key range at
//! `L`: every key in the range that exists at `L` is in the file. So a key in
//! range but absent from the file did not exist at `L` — reconstruction may
//! stop there, and GC may drop older layers covered by it.
//!
//! Every page read is checked twice: the block CRC, and the page's own header
//! CRC (a stored image is always a sealed page).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proto::page::{self, Page};
use proto::{Lsn, PageKey};

use crate::key_range::KeyRange;
use crate::layer_file::{LayerFile, LayerFileBuilder, LayerKind, Summary};
use crate::layer_name::LayerName;
use crate::ondemand::{Download, LazyFile};
use crate::{Error, Result};

/// Builds an image layer at `lsn` covering `keys` from pages sorted by key.
pub fn build<'a>(
    pages: impl IntoIterator<Item = (PageKey, &'a Page)>,
    keys: KeyRange,
    lsn: Lsn,
    block_size: usize,
) -> (Summary, Vec<u8>) {
    let mut builder = LayerFileBuilder::new(LayerKind::Image, block_size);
    for (key, page) in pages {
        builder.push(key, lsn, page);
    }
    builder.finish(keys, lsn, lsn + 1)
}

/// An open image layer file.
#[derive(Debug)]
pub struct ImageLayer {
    file: Arc<LazyFile>,
    name: LayerName,
}

impl ImageLayer {
    /// Opens and verifies an image layer file.
    pub fn open(path: &Path) -> Result<ImageLayer> {
        let file = LayerFile::open(path)?;
        let s = file.summary();
        if s.kind != LayerKind::Image || s.lsn_start + 1 != s.lsn_end {
            return Err(Error::corrupt(
                path,
                0,
                "expected an image layer at one LSN",
            ));
        }
        let name = LayerName::of(s);
        Ok(ImageLayer {
            file: Arc::new(LazyFile::resident(name, file)),
            name,
        })
    }

    /// An image layer in object storage only, downloaded on first read.
    pub fn remote(name: LayerName, path: PathBuf, download: Arc<dyn Download>) -> ImageLayer {
        ImageLayer {
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

    /// The LSN the pages are at.
    pub fn lsn(&self) -> Lsn {
        match self.name {
            LayerName::Image { lsn, .. } => lsn,
            LayerName::Delta { start, .. } => start,
        }
    }

    /// The page of `key` at [`Self::lsn`], or `None` if it did not exist then.
    pub fn get(&self, key: PageKey) -> Result<Option<Box<Page>>> {
        let lsn = self.lsn();
        let mut found = None;
        self.file.get()?.scan((key, lsn), (key, lsn), |e| {
            found = Some(self.to_page(e.value, e.offset)?);
            Ok(())
        })?;
        Ok(found)
    }

    /// Every key in the file, in order.
    pub fn keys(&self) -> Result<Vec<PageKey>> {
        let mut keys = Vec::new();
        self.file.get()?.scan_all(|e| {
            keys.push(e.key);
            Ok(())
        })?;
        Ok(keys)
    }

    fn to_page(&self, value: &[u8], offset: u64) -> Result<Box<Page>> {
        let page: &Page = value
            .try_into()
            .map_err(|_| Error::corrupt(self.path(), offset, "page image is not 8192 bytes"))?;
        if !page::verify(page) {
            return Err(Error::corrupt(
                self.path(),
                offset,
                "page checksum mismatch",
            ));
        }
        Ok(Box::new(*page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer_file::write_file;
    use proto::page::{seal, set_page_lsn, zeroed_page};

    #[test]
    fn pages_read_back_and_absent_keys_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let pages: Vec<(PageKey, Box<Page>)> = (0..5u32)
            .map(|b| {
                let mut p = zeroed_page();
                p[1000] = b as u8;
                set_page_lsn(&mut p, Lsn(50 + b as u64));
                seal(&mut p);
                (PageKey::new(2, b * 2), p)
            })
            .collect();
        let keys = KeyRange::new(PageKey::new(2, 0), PageKey::new(2, 100));
        let (summary, bytes) = build(pages.iter().map(|(k, p)| (*k, &**p)), keys, Lsn(80), 8192);
        let path = dir.path().join(LayerName::of(&summary).to_string());
        write_file(&path, &bytes).unwrap();
        let layer = ImageLayer::open(&path).unwrap();
        assert_eq!(layer.lsn(), Lsn(80));
        assert_eq!(layer.key_range(), keys);
        assert_eq!(layer.get(PageKey::new(2, 4)).unwrap().unwrap(), pages[2].1);
        assert_eq!(layer.get(PageKey::new(2, 5)).unwrap(), None);
        assert_eq!(layer.keys().unwrap().len(), 5);
    }
}
