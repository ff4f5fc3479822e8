//! The on-disk format shared by delta and image layers, and its reader.
//!
//! A layer file is immutable once written: a sorted run of `(PageKey, Lsn) ->
//! value` entries cut into checksummed [blocks](crate::block), then a block
//! index, then a fixed-size footer:
//!
//! ```text
//! +---------+---------+-----+-------------+-------------+
//! | block 0 | block 1 | ... | block index |   footer    |
//! +---------+---------+-----+-------------+-------------+
//!                             index_offset  file_len - 68
//!
//! index  := n_blocks:u32 (first_key:[u8;8] first_lsn:u64 offset:u64 len:u32)* crc32c:u32
//! footer := magic:[u8;8] version:u32 entry_count:u64 key_first:[u8;8] key_last:[u8;8]
//!           lsn_start:u64 lsn_end:u64 index_offset:u64 index_len:u32 crc32c:u32
//! ```
//!
//! Keys are big-endian (byte order = key order), all other integers
//! little-endian. Each CRC32C covers every byte before it in its section, so
//! every byte of the file is under exactly one checksum. The magic says the
//! kind (`STRDELTA`, `STRIMAGE`), the key range is inclusive, and the LSN
//! range is `[lsn_start, lsn_end)` (an image layer at `L` records `[L, L+1)`).
//!
//! Opening a file reads and verifies only the footer and the index (checking
//! that blocks tile the data section in key order); a lookup then reads just
//! the blocks whose first entries bracket the wanted keys, verifying each
//! block's CRC on every read. Any mismatch is [`Error::Corrupt`] with the
//! file's path and the absolute byte offset: corrupt bytes are never served.
//!
//! [`LayerFileBuilder`] is pure (entries in, file bytes out); [`write_file`]
//! is the one place a layer reaches disk: temp file, fsync, rename, fsync of
//! the directory.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use proto::{Lsn, PageKey};
use remote_storage::durable;

use crate::block::{BLOCK_HEADER_SIZE, BlockBuilder, ENTRY_HEADER_SIZE, Entries, verify_block};
use crate::key_range::KeyRange;
use crate::{Error, Result};

/// Size of the footer at the end of every layer file.
pub const FOOTER_SIZE: usize = 68;
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const INDEX_ENTRY_SIZE: usize = 28;

/// Which kind of layer a file holds (its magic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// Page changes, `(key, end lsn) -> PageChange`.
    Delta,
    /// Full pages at one LSN, `(key, lsn) -> page`.
    Image,
}

impl LayerKind {
    fn magic(self) -> &'static [u8; 8] {
        match self {
            LayerKind::Delta => b"STRDELTA",
            LayerKind::Image => b"STRIMAGE",
        }
    }
}

/// What a layer file's footer says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub kind: LayerKind,
    pub key_range: KeyRange,
    /// Entries have `lsn_start <= lsn < lsn_end`.
    pub lsn_start: Lsn,
    pub lsn_end: Lsn,
    pub entry_count: u64,
}

/// One block index entry: where a block is and its first entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IndexEntry {
    first: (PageKey, Lsn),
    offset: u64,
    len: u32,
}

/// Builds a layer file in memory from entries pushed in `(key, lsn)` order.
#[derive(Debug)]
pub struct LayerFileBuilder {
    kind: LayerKind,
    block_size: usize,
    out: Vec<u8>,
    block: BlockBuilder,
    index: Vec<IndexEntry>,
    last: Option<(PageKey, Lsn)>,
    first_key: Option<PageKey>,
    entry_count: u64,
}

impl LayerFileBuilder {
    /// A builder cutting blocks once their payload reaches `block_size`.
    pub fn new(kind: LayerKind, block_size: usize) -> LayerFileBuilder {
        LayerFileBuilder {
            kind,
            block_size: block_size.max(1),
            out: Vec::new(),
            block: BlockBuilder::new(),
            index: Vec::new(),
            last: None,
            first_key: None,
            entry_count: 0,
        }
    }

    /// Appends an entry. Entries must come in non-decreasing `(key, lsn)`
    /// order (equal pairs keep their order): the caller sorts.
    pub fn push(&mut self, key: PageKey, lsn: Lsn, value: &[u8]) {
        assert!(
            self.last.is_none_or(|l| l <= (key, lsn)),
            "layer entries pushed out of order"
        );
        self.last = Some((key, lsn));
        self.first_key.get_or_insert(key);
        self.block.push(key, lsn, value);
        self.entry_count += 1;
        if self.block.payload_len() >= self.block_size {
            self.cut_block();
        }
    }

    pub fn entry_count(&self) -> u64 {
        self.entry_count
    }

    /// Bytes so far (blocks written plus the open block's payload).
    pub fn approximate_size(&self) -> usize {
        self.out.len() + self.block.payload_len()
    }

    /// The key range of the entries pushed so far, if any.
    pub fn pushed_key_range(&self) -> Option<KeyRange> {
        Some(KeyRange::new(self.first_key?, self.last?.0))
    }

    fn cut_block(&mut self) {
        let offset = self.out.len() as u64;
        if let Some(first) = self.block.finish_into(&mut self.out) {
            let len = u32::try_from(self.out.len() as u64 - offset).expect("blocks are small");
            self.index.push(IndexEntry { first, offset, len });
        }
    }

    /// Finishes the file: `key_range` must contain every pushed key, and
    /// every pushed LSN must lie in `[lsn_start, lsn_end)`.
    pub fn finish(
        mut self,
        key_range: KeyRange,
        lsn_start: Lsn,
        lsn_end: Lsn,
    ) -> (Summary, Vec<u8>) {
        assert!(lsn_start < lsn_end, "empty LSN range");
        self.cut_block();
        for e in &self.index {
            assert!(
                key_range.contains(e.first.0),
                "entry outside the layer's key range"
            );
        }
        if let Some(last) = self.last {
            assert!(
                key_range.contains(last.0),
                "entry outside the layer's key range"
            );
        }
        let index_offset = self.out.len() as u64;
        let mut index = Vec::with_capacity(8 + self.index.len() * INDEX_ENTRY_SIZE);
        index.extend_from_slice(&(self.index.len() as u32).to_le_bytes());
        for e in &self.index {
            index.extend_from_slice(&e.first.0.to_be_bytes());
            index.extend_from_slice(&e.first.1.0.to_le_bytes());
            index.extend_from_slice(&e.offset.to_le_bytes());
            index.extend_from_slice(&e.len.to_le_bytes());
        }
        let crc = crc32c::crc32c(&index);
        index.extend_from_slice(&crc.to_le_bytes());
        self.out.extend_from_slice(&index);

        let summary = Summary {
            kind: self.kind,
            key_range,
            lsn_start,
            lsn_end,
            entry_count: self.entry_count,
        };
        let mut footer = Vec::with_capacity(FOOTER_SIZE);
        footer.extend_from_slice(self.kind.magic());
        footer.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        footer.extend_from_slice(&self.entry_count.to_le_bytes());
        footer.extend_from_slice(&key_range.first.to_be_bytes());
        footer.extend_from_slice(&key_range.last.to_be_bytes());
        footer.extend_from_slice(&lsn_start.0.to_le_bytes());
        footer.extend_from_slice(&lsn_end.0.to_le_bytes());
        footer.extend_from_slice(&index_offset.to_le_bytes());
        footer.extend_from_slice(&(index.len() as u32).to_le_bytes());
        let crc = crc32c::crc32c(&footer);
        footer.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(footer.len(), FOOTER_SIZE);
        self.out.extend_from_slice(&footer);
        (summary, self.out)
    }
}

/// Writes `bytes` to `path` durably and atomically: a temporary file beside
/// it is written and fsynced, renamed into place, and the directory fsynced.
/// Every durable local file of the pageserver is written here; a failed
/// fsync stops the process ([`remote_storage::durable`]).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        durable::sync_all(&f, &tmp)
    };
    write().map_err(|e| Error::io("write layer file", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename layer file", path, e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Fsyncs a directory so renames and unlinks in it are durable (a failed
/// fsync is fatal: [`remote_storage::durable`]).
pub fn sync_dir(dir: &Path) -> Result<()> {
    durable::sync_dir(dir).map_err(|e| Error::io("sync directory", dir, e))
}

/// One entry handed to a [`LayerFile::scan`] visitor, with the absolute file
/// offset of the entry (for error messages).
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    pub key: PageKey,
    pub lsn: Lsn,
    pub value: &'a [u8],
    pub offset: u64,
}

/// An open, verified layer file. Reads take `&self` (positioned reads), so
/// one handle serves concurrent readers.
#[derive(Debug)]
pub struct LayerFile {
    path: PathBuf,
    file: File,
    summary: Summary,
    index: Vec<IndexEntry>,
    blocks_read: AtomicU64,
}

impl LayerFile {
    /// Opens `path`, verifying its footer and block index.
    pub fn open(path: &Path) -> Result<LayerFile> {
        let file = File::open(path).map_err(|e| Error::io("open layer file", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat layer file", path, e))?
            .len();
        let corrupt = |offset: u64, reason: &str| Error::corrupt(path, offset, reason);
        if len < FOOTER_SIZE as u64 {
            return Err(corrupt(0, "file is shorter than a layer footer"));
        }
        let footer_at = len - FOOTER_SIZE as u64;
        let mut footer = [0u8; FOOTER_SIZE];
        file.read_exact_at(&mut footer, footer_at)
            .map_err(|e| Error::io("read layer footer", path, e))?;
        let (summary, index_offset, index_len) =
            parse_footer(&footer, footer_at).map_err(|(off, why)| corrupt(footer_at + off, why))?;
        let mut index_bytes = vec![0u8; index_len as usize];
        file.read_exact_at(&mut index_bytes, index_offset)
            .map_err(|e| Error::io("read layer index", path, e))?;
        let index = parse_index(&index_bytes, index_offset, &summary)
            .map_err(|(off, why)| corrupt(index_offset + off, why))?;
        Ok(LayerFile {
            path: path.to_path_buf(),
            file,
            summary,
            index,
            blocks_read: AtomicU64::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn block_count(&self) -> usize {
        self.index.len()
    }

    /// Blocks read from this file since it was opened.
    pub fn blocks_read(&self) -> u64 {
        self.blocks_read.load(Ordering::Relaxed)
    }

    /// Visits, in order, every entry with `from <= (key, lsn) <= to`, reading
    /// only the blocks that can hold them.
    pub fn scan(
        &self,
        from: (PageKey, Lsn),
        to: (PageKey, Lsn),
        mut visit: impl FnMut(EntryRef<'_>) -> Result<()>,
    ) -> Result<()> {
        // The last block starting strictly before `from` may hold entries
        // equal to it (one record may change a page more than once, so equal
        // `(key, lsn)` entries can straddle a block boundary).
        let start = self
            .index
            .partition_point(|e| e.first < from)
            .saturating_sub(1);
        for entry in self.index[start..].iter().take_while(|e| e.first <= to) {
            let block = self.read_block(entry)?;
            for item in Entries::new(&block[BLOCK_HEADER_SIZE..]) {
                let e = item.map_err(|b| {
                    Error::corrupt(&self.path, entry.offset + b.offset as u64, b.reason)
                })?;
                if (e.key, e.lsn) < from {
                    continue;
                }
                if (e.key, e.lsn) > to {
                    return Ok(());
                }
                let offset = entry.offset + e.offset as u64;
                if !self.summary.key_range.contains(e.key)
                    || e.lsn < self.summary.lsn_start
                    || e.lsn >= self.summary.lsn_end
                {
                    return Err(Error::corrupt(
                        &self.path,
                        offset,
                        "entry outside the layer's key or LSN range",
                    ));
                }
                visit(EntryRef {
                    key: e.key,
                    lsn: e.lsn,
                    value: e.value,
                    offset,
                })?;
            }
        }
        Ok(())
    }

    /// Visits every entry of the file in order.
    pub fn scan_all(&self, visit: impl FnMut(EntryRef<'_>) -> Result<()>) -> Result<()> {
        self.scan((PageKey::MIN, Lsn(0)), (PageKey::MAX, Lsn::MAX), visit)
    }

    /// Reads and verifies one block; returns it whole (header included).
    fn read_block(&self, entry: &IndexEntry) -> Result<Vec<u8>> {
        self.blocks_read.fetch_add(1, Ordering::Relaxed);
        let mut buf = vec![0u8; entry.len as usize];
        self.file
            .read_exact_at(&mut buf, entry.offset)
            .map_err(|e| Error::io("read layer block", &self.path, e))?;
        let corrupt =
            |off: usize, why: &str| Error::corrupt(&self.path, entry.offset + off as u64, why);
        let payload = verify_block(&buf).map_err(|b| corrupt(b.offset, b.reason))?;
        match Entries::new(payload).next() {
            Some(Ok(e)) if (e.key, e.lsn) == entry.first => {}
            Some(Err(b)) => return Err(corrupt(b.offset, b.reason)),
            _ => {
                return Err(corrupt(
                    0,
                    "block's first entry does not match the block index",
                ));
            }
        }
        Ok(buf)
    }
}

/// Verifies a whole layer file held in memory — footer, block index and
/// every block's checksum and first entry — as [`LayerFile::open`] and reads
/// would, naming `path` and the absolute offset of the first damage. Used
/// before a local file's bytes are uploaded: the manifest's CRC32C is taken
/// over these bytes, so damage that reached the disk after the file was
/// written would otherwise be sealed in as valid.
pub fn verify_bytes(path: &Path, bytes: &[u8]) -> Result<Summary> {
    let corrupt = |offset: u64, reason: &str| Error::corrupt(path, offset, reason);
    let len = bytes.len() as u64;
    if len < FOOTER_SIZE as u64 {
        return Err(corrupt(0, "file is shorter than a layer footer"));
    }
    let footer_at = len - FOOTER_SIZE as u64;
    let footer: &[u8; FOOTER_SIZE] = bytes[footer_at as usize..]
        .try_into()
        .expect("the footer's size");
    let (summary, index_offset, _) =
        parse_footer(footer, footer_at).map_err(|(off, why)| corrupt(footer_at + off, why))?;
    let index = parse_index(
        &bytes[index_offset as usize..footer_at as usize],
        index_offset,
        &summary,
    )
    .map_err(|(off, why)| corrupt(index_offset + off, why))?;
    let mut entries = 0u64;
    for e in &index {
        let block = &bytes[e.offset as usize..(e.offset + e.len as u64) as usize];
        let at = |off: usize| e.offset + off as u64;
        let payload = verify_block(block).map_err(|b| corrupt(at(b.offset), b.reason))?;
        for (i, item) in Entries::new(payload).enumerate() {
            let entry = item.map_err(|b| corrupt(at(b.offset), b.reason))?;
            if i == 0 && (entry.key, entry.lsn) != e.first {
                return Err(corrupt(
                    e.offset,
                    "block's first entry does not match the block index",
                ));
            }
            if !summary.key_range.contains(entry.key)
                || entry.lsn < summary.lsn_start
                || entry.lsn >= summary.lsn_end
            {
                return Err(corrupt(
                    at(entry.offset),
                    "entry outside the layer's key or LSN range",
                ));
            }
            entries += 1;
        }
    }
    if entries != summary.entry_count {
        return Err(corrupt(
            footer_at + 12,
            "entry count does not match the blocks",
        ));
    }
    Ok(summary)
}

type ParseError = (u64, &'static str);

fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8-byte slice"))
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4-byte slice"))
}

fn be_key(b: &[u8], at: usize) -> PageKey {
    PageKey::from_be_bytes(b[at..at + 8].try_into().expect("8-byte slice"))
}

/// Parses and checks a footer found at `footer_at` (= where the index must
/// end). Offsets in errors are relative to the footer.
fn parse_footer(f: &[u8; FOOTER_SIZE], footer_at: u64) -> Result<(Summary, u64, u32), ParseError> {
    if crc32c::crc32c(&f[..64]) != le_u32(f, 64) {
        return Err((64, "footer checksum mismatch"));
    }
    let kind = match &f[0..8] {
        m if m == LayerKind::Delta.magic() => LayerKind::Delta,
        m if m == LayerKind::Image.magic() => LayerKind::Image,
        _ => return Err((0, "not a layer file (bad magic)")),
    };
    if le_u32(f, 8) != FORMAT_VERSION {
        return Err((8, "unsupported layer format version"));
    }
    let (first, last) = (be_key(f, 20), be_key(f, 28));
    let (lsn_start, lsn_end) = (Lsn(le_u64(f, 36)), Lsn(le_u64(f, 44)));
    if first > last {
        return Err((20, "inverted key range"));
    }
    if lsn_start >= lsn_end {
        return Err((36, "empty LSN range"));
    }
    let (index_offset, index_len) = (le_u64(f, 52), le_u32(f, 60));
    if index_offset.checked_add(index_len as u64) != Some(footer_at) {
        return Err((52, "block index does not end where the footer starts"));
    }
    let summary = Summary {
        kind,
        key_range: KeyRange::new(first, last),
        lsn_start,
        lsn_end,
        entry_count: le_u64(f, 12),
    };
    Ok((summary, index_offset, index_len))
}

/// Parses and checks the block index (which must tile `0..index_offset`).
/// Offsets in errors are relative to the index.
fn parse_index(
    b: &[u8],
    index_offset: u64,
    summary: &Summary,
) -> Result<Vec<IndexEntry>, ParseError> {
    if b.len() < 8 {
        return Err((0, "block index shorter than its header"));
    }
    let crc_at = b.len() - 4;
    if crc32c::crc32c(&b[..crc_at]) != le_u32(b, crc_at) {
        return Err((crc_at as u64, "block index checksum mismatch"));
    }
    let n = le_u32(b, 0) as usize;
    if n.checked_mul(INDEX_ENTRY_SIZE) != Some(crc_at - 4) {
        return Err((0, "block count does not match the index length"));
    }
    let mut index = Vec::with_capacity(n);
    let mut next_offset = 0u64;
    for i in 0..n {
        let at = 4 + i * INDEX_ENTRY_SIZE;
        let e = IndexEntry {
            first: (be_key(b, at), Lsn(le_u64(b, at + 8))),
            offset: le_u64(b, at + 16),
            len: le_u32(b, at + 24),
        };
        if e.offset != next_offset || (e.len as usize) < BLOCK_HEADER_SIZE + ENTRY_HEADER_SIZE {
            return Err((at as u64, "blocks do not tile the data section"));
        }
        if index.last().is_some_and(|p: &IndexEntry| p.first > e.first)
            || !summary.key_range.contains(e.first.0)
        {
            return Err((
                at as u64,
                "block index out of order or outside the key range",
            ));
        }
        next_offset += e.len as u64;
        index.push(e);
    }
    if next_offset != index_offset {
        return Err((0, "blocks do not end where the index starts"));
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u32) -> PageKey {
        PageKey::new(1, b)
    }

    fn sample(dir: &Path, keys: u32) -> (PathBuf, Vec<u8>) {
        let mut b = LayerFileBuilder::new(LayerKind::Delta, 64);
        for blk in 0..keys {
            for lsn in [100u64, 200, 300] {
                b.push(key(blk), Lsn(lsn), format!("v{blk}@{lsn}").as_bytes());
            }
        }
        let (summary, bytes) = b.finish(KeyRange::new(key(0), key(19)), Lsn(100), Lsn(301));
        assert_eq!(summary.entry_count, keys as u64 * 3);
        let path = dir.join("sample");
        write_file(&path, &bytes).unwrap();
        (path, bytes)
    }

    fn collect(f: &LayerFile, from: (PageKey, Lsn), to: (PageKey, Lsn)) -> Result<Vec<String>> {
        let mut out = Vec::new();
        f.scan(from, to, |e| {
            out.push(String::from_utf8_lossy(e.value).into_owned());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn scan_reads_the_requested_range() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = sample(dir.path(), 20);
        let f = LayerFile::open(&path).unwrap();
        assert!(f.block_count() > 5, "small blocks give many blocks");
        assert_eq!(f.summary().kind, LayerKind::Delta);
        let got = collect(&f, (key(7), Lsn(150)), (key(8), Lsn(200))).unwrap();
        assert_eq!(got, ["v7@200", "v7@300", "v8@100", "v8@200"]);
        assert_eq!(
            collect(&f, (key(30), Lsn(0)), (key(40), Lsn(0)))
                .unwrap()
                .len(),
            0
        );
        let mut n = 0;
        f.scan_all(|_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 60);
    }

    #[test]
    fn verify_bytes_checks_every_byte_before_an_upload() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = sample(dir.path(), 4);
        let summary = verify_bytes(&path, &bytes).expect("an intact file verifies");
        assert_eq!(summary, *LayerFile::open(&path).unwrap().summary());
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x40;
            match verify_bytes(&path, &damaged) {
                Err(Error::Corrupt { file, .. }) => assert_eq!(file, path),
                other => panic!("flip at byte {i} was not detected: {other:?}"),
            }
        }
        assert!(verify_bytes(&path, &bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn every_flipped_byte_is_reported_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = sample(dir.path(), 4);
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x40;
            std::fs::write(&path, &damaged).unwrap();
            let result = LayerFile::open(&path).and_then(|f| {
                f.scan_all(|_| Ok(()))?;
                Ok(f)
            });
            match result {
                Err(Error::Corrupt { file, .. }) => assert_eq!(file, path),
                other => panic!("flip at byte {i} was not detected: {other:?}"),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(64))]

        /// Any sorted entries, any block size: a scan of any range returns
        /// exactly the entries in it.
        #[test]
        fn scan_matches_a_sorted_model(
            mut entries in proptest::collection::vec((0u32..20, 1u64..50, 0usize..40), 1..80),
            block_size in 1usize..300,
            ranges in proptest::collection::vec(((0u32..22, 0u64..52), (0u32..22, 0u64..52)), 1..10),
        ) {
            entries.sort();
            let dir = tempfile::tempdir().unwrap();
            let mut b = LayerFileBuilder::new(LayerKind::Image, block_size);
            for &(k, l, len) in &entries {
                b.push(key(k), Lsn(l), &vec![k as u8; len]);
            }
            let (_, bytes) = b.finish(KeyRange::new(key(0), key(19)), Lsn(1), Lsn(50));
            let path = dir.path().join("f");
            write_file(&path, &bytes).unwrap();
            let f = LayerFile::open(&path).unwrap();
            for ((k1, l1), (k2, l2)) in ranges {
                let (from, to) = ((key(k1), Lsn(l1)), (key(k2), Lsn(l2)));
                let mut got = Vec::new();
                f.scan(from, to, |e| {
                    got.push((e.key.block, e.lsn.0, e.value.len()));
                    Ok(())
                })
                .unwrap();
                let want: Vec<_> = entries
                    .iter()
                    .filter(|&&(k, l, _)| from <= (key(k), Lsn(l)) && (key(k), Lsn(l)) <= to)
                    .copied()
                    .collect();
                proptest::prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn truncated_file_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = sample(dir.path(), 20);
        for len in [0, 10, FOOTER_SIZE, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..len]).unwrap();
            assert!(
                matches!(LayerFile::open(&path), Err(Error::Corrupt { .. })),
                "len {len}"
            );
        }
    }
}
