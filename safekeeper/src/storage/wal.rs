//! [`Wal`]: one timeline's WAL segments — append, group-commit flush, read,
//! truncate and trim.
//!
//! A `Wal` is the only writer of its directory. It tracks:
//!
//! ```text
//!  start_lsn            flush_lsn          write_lsn
//!      |====== fsynced =====|---- written ----|000000 zeros to segment end
//!  [segment A          ][segment B                         ]
//! ```
//! - `start_lsn`: first retained LSN, a record boundary, persisted in
//!   `wal/meta` (with the segment size). Reads below it are refused.
//! - `write_lsn`: end of the bytes written; the next write must start here
//!   and consist of whole, checksum-valid frames.
//! - `flush_lsn`: end of the bytes made durable by [`Wal::flush`], which
//!   fdatasyncs every segment written since the previous flush — one fsync
//!   per segment per batch, however many writes the batch holds.
//!
//! The invariants (zeros past `write_lsn`, whole segments only, a failed
//! fsync stopping the process, poisoning after a failed write) are described in the [module
//! docs](super). Opening an existing WAL (recovery) lives in `recovery.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proto::Lsn;
use proto::frame::{FLAG_LAST, FRAME_HEADER_SIZE, FrameDecoder, walk_frames};
use tracing::{debug, info};

use super::fs::{Fs, FsFile, OpenMode, SharedFs, std_fs};
use super::layout::{self, pieces, segment_offset, segment_start};
use super::{Result, StorageError, atomic_write, io_err, sync_dir};

/// One timeline's WAL: see the module docs.
#[derive(Debug)]
pub struct Wal {
    /// The file system it lives on ([`StdFs`](super::StdFs) outside the simulation).
    pub(super) fs: SharedFs,
    pub(super) dir: PathBuf,
    pub(super) segment_size: u64,
    pub(super) start_lsn: Lsn,
    pub(super) write_lsn: Lsn,
    pub(super) flush_lsn: Lsn,
    /// Open segment handles, by segment start. Dirty segments stay open until
    /// flushed; after a flush only the segment being written stays open.
    pub(super) files: BTreeMap<Lsn, Box<dyn FsFile>>,
    /// Segments written since the last flush.
    pub(super) dirty: BTreeSet<Lsn>,
    /// Why the WAL is unusable, after a failed write or fsync.
    pub(super) poisoned: Option<String>,
    /// The highest segment handed out by `preallocate_ahead`.
    pub(super) preallocated: Lsn,
}

/// Size of the zero buffer used to pre-allocate and to zero tails.
const ZERO_CHUNK: usize = 1 << 20;

impl Wal {
    /// Creates an empty WAL in `dir` (created if missing) whose first byte is
    /// at `start_lsn`, with segments of `segment_size` bytes (normally
    /// [`SEGMENT_SIZE`](super::SEGMENT_SIZE)). Segments are created on first
    /// write.
    pub fn create(dir: &Path, start_lsn: Lsn, segment_size: u64) -> Result<Wal> {
        Wal::create_in(std_fs(), dir, start_lsn, segment_size)
    }

    /// [`Wal::create`] on the file system `fs`.
    pub fn create_in(fs: SharedFs, dir: &Path, start_lsn: Lsn, segment_size: u64) -> Result<Wal> {
        if !start_lsn.is_valid() {
            return Err(StorageError::InvalidRequest(
                "a WAL cannot start at LSN 0".into(),
            ));
        }
        if !layout::valid_segment_size(segment_size) {
            return Err(StorageError::InvalidRequest(format!(
                "segment size {segment_size} is not a power of two in {}..={}",
                layout::MIN_SEGMENT_SIZE,
                layout::MAX_SEGMENT_SIZE
            )));
        }
        let meta_path = dir.join(Meta::NAME);
        if fs
            .exists(&meta_path)
            .map_err(io_err("stat WAL meta", &meta_path))?
        {
            return Err(StorageError::InvalidRequest(format!(
                "{} already holds a WAL",
                dir.display()
            )));
        }
        fs.create_dir_all(dir)
            .map_err(io_err("create WAL directory", dir))?;
        if let Some(parent) = dir.parent() {
            sync_dir(&*fs, parent)?;
        }
        let meta = Meta {
            segment_size,
            start_lsn,
        };
        atomic_write(&*fs, dir, Meta::NAME, &meta.encode())?;
        info!(dir = %dir.display(), %start_lsn, segment_size, "created WAL");
        Ok(Wal::new(fs, dir, meta, start_lsn))
    }

    /// A `Wal` whose WAL ends (and is flushed) at `end`.
    pub(super) fn new(fs: SharedFs, dir: &Path, meta: Meta, end: Lsn) -> Wal {
        Wal {
            fs,
            dir: dir.to_path_buf(),
            segment_size: meta.segment_size,
            start_lsn: meta.start_lsn,
            write_lsn: end,
            flush_lsn: end,
            files: BTreeMap::new(),
            dirty: BTreeSet::new(),
            poisoned: None,
            preallocated: Lsn::INVALID,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn segment_size(&self) -> u64 {
        self.segment_size
    }
    /// First retained LSN.
    pub fn start_lsn(&self) -> Lsn {
        self.start_lsn
    }
    /// End of the WAL written (not necessarily durable).
    pub fn write_lsn(&self) -> Lsn {
        self.write_lsn
    }
    /// End of the durable WAL.
    pub fn flush_lsn(&self) -> Lsn {
        self.flush_lsn
    }

    /// Path of the segment file starting at `segment`.
    pub fn segment_path(&self, segment: Lsn) -> PathBuf {
        self.dir.join(layout::segment_file_name(segment))
    }

    /// Appends `wal` at `lsn`, which must be [`write_lsn`](Self::write_lsn).
    /// `wal` must be whole, valid frames (their CRCs are checked here, so
    /// damaged input is rejected before it reaches the disk). Returns the end
    /// of the last whole record in `wal`, if any. Not durable until
    /// [`flush`](Self::flush).
    pub fn write(&mut self, lsn: Lsn, wal: &[u8]) -> Result<Option<Lsn>> {
        self.write_frames(lsn, wal, true)
    }

    /// [`Self::write`] of frames whose CRCs the caller has just checked (the
    /// acceptor checks every append it turns into a `WriteWal`): frame
    /// boundaries are still checked, the CRCs are not computed a second time.
    pub fn write_validated(&mut self, lsn: Lsn, wal: &[u8]) -> Result<Option<Lsn>> {
        self.write_frames(lsn, wal, false)
    }

    fn write_frames(&mut self, lsn: Lsn, wal: &[u8], check_crc: bool) -> Result<Option<Lsn>> {
        self.check_usable()?;
        if lsn != self.write_lsn {
            return Err(StorageError::InvalidRequest(format!(
                "write at {lsn} is not contiguous: the WAL ends at {}",
                self.write_lsn
            )));
        }
        if wal.is_empty() {
            return Ok(None);
        }
        let end = lsn
            .checked_add(wal.len() as u64)
            .ok_or_else(|| StorageError::InvalidRequest(format!("write at {lsn} overflows")))?;
        let mut record_end = lsn;
        let (frames_end, error) = walk_frames(lsn, wal, check_crc, |f| {
            if f.flags & FLAG_LAST != 0 {
                record_end = f.start + f.len as u64;
            }
        });
        if let Some(e) = error {
            return Err(StorageError::InvalidRequest(format!(
                "write at {lsn}..{end}: {e}"
            )));
        }
        if frames_end != end {
            return Err(StorageError::InvalidRequest(format!(
                "write at {lsn}..{end} ends inside the frame at {frames_end}"
            )));
        }
        for p in pieces(lsn, end, self.segment_size) {
            let data = &wal[p.range_offset as usize..(p.range_offset + p.len) as usize];
            let written = self
                .segment_for_write(p.segment)
                .and_then(|f| f.write_all_at(data, p.offset));
            if let Err(e) = written {
                return Err(self.fail("write WAL segment", p.segment, e));
            }
            self.dirty.insert(p.segment);
        }
        self.write_lsn = end;
        Ok((record_end > lsn).then_some(record_end))
    }

    /// Makes everything written durable: one fdatasync per segment written
    /// since the last flush. Returns the new `flush_lsn`.
    pub fn flush(&mut self) -> Result<Lsn> {
        self.check_usable()?;
        let started = std::time::Instant::now();
        let dirty = std::mem::take(&mut self.dirty);
        for &segment in &dirty {
            let file = self
                .files
                .get(&segment)
                .expect("a dirty segment stays open until flushed");
            if let Err(e) = file.sync_data() {
                return Err(self.fail("fsync WAL segment", segment, e));
            }
        }
        self.flush_lsn = self.write_lsn;
        let current = segment_start(self.write_lsn, self.segment_size);
        self.files.retain(|&s, _| s == current);
        debug!(flush_lsn = %self.flush_lsn, segments = dirty.len(), elapsed_us = started.elapsed().as_micros() as u64, "flushed WAL");
        Ok(self.flush_lsn)
    }

    /// Reads WAL `[from, to)`. Both must lie in `[start_lsn, write_lsn]`;
    /// callers serving readers bound `to` by `commit_lsn`.
    pub fn read(&self, from: Lsn, to: Lsn) -> Result<Vec<u8>> {
        self.check_usable()?;
        if from > to || from < self.start_lsn || to > self.write_lsn {
            return Err(StorageError::InvalidRequest(format!(
                "read {from}..{to} is outside the WAL {}..{}",
                self.start_lsn, self.write_lsn
            )));
        }
        let mut out = vec![0u8; to.distance_from(from) as usize];
        for p in pieces(from, to, self.segment_size) {
            let buf = &mut out[p.range_offset as usize..(p.range_offset + p.len) as usize];
            let path = self.segment_path(p.segment);
            let read = match self.files.get(&p.segment) {
                Some(f) => f.read_exact_at(buf, p.offset),
                None => self
                    .fs
                    .open(&path, OpenMode::Read)
                    .and_then(|f| f.read_exact_at(buf, p.offset)),
            };
            read.map_err(io_err("read WAL segment", &path))?;
        }
        Ok(out)
    }

    /// Drops WAL at and after `lsn`: zeroes it in the segment holding `lsn`,
    /// deletes later segments, and fsyncs. `lsn` must be a frame boundary in
    /// `[max(start_lsn, commit_lsn), write_lsn]`; committed WAL is never
    /// truncated. After it, `write_lsn` is `lsn`.
    pub fn truncate(&mut self, lsn: Lsn, commit_lsn: Lsn) -> Result<()> {
        self.check_usable()?;
        if lsn < commit_lsn {
            return Err(StorageError::InvalidRequest(format!(
                "truncate at {lsn} is below commit_lsn {commit_lsn}"
            )));
        }
        if lsn < self.start_lsn || lsn > self.write_lsn {
            return Err(StorageError::InvalidRequest(format!(
                "truncate at {lsn} is outside the WAL {}..{}",
                self.start_lsn, self.write_lsn
            )));
        }
        if lsn == self.write_lsn {
            return Ok(());
        }
        self.check_frame_boundary(lsn)?;
        let old_end = self.write_lsn;
        let first = segment_start(lsn, self.segment_size);
        // Zero the tail of the segment holding `lsn` (only up to the old end:
        // past it the segment is already zero)...
        let zero_to = if segment_start(old_end, self.segment_size) == first {
            segment_offset(old_end, self.segment_size)
        } else {
            self.segment_size
        };
        let zero_from = segment_offset(lsn, self.segment_size);
        let zeroed = self.segment_for_write(first).and_then(|f| {
            zero_range(f, zero_from, zero_to)?;
            f.sync_data()
        });
        if let Err(e) = zeroed {
            return Err(self.fail("zero WAL tail", first, e));
        }
        self.dirty.remove(&first);
        // ...then delete later segments, highest first, so the segments on
        // disk stay contiguous at every step.
        let last = segment_start(Lsn(old_end.0 - 1), self.segment_size);
        let mut segment = last;
        while segment > first {
            self.files.remove(&segment);
            self.dirty.remove(&segment);
            let path = self.segment_path(segment);
            if let Err(e) = remove_if_exists(&*self.fs, &path) {
                return Err(self.fail("delete WAL segment", segment, e));
            }
            segment = Lsn(segment.0 - self.segment_size);
        }
        sync_dir(&*self.fs, &self.dir)?;
        self.write_lsn = lsn;
        self.flush_lsn = self.flush_lsn.min(lsn);
        self.preallocated = Lsn::INVALID;
        info!(dir = %self.dir.display(), %lsn, %old_end, "truncated WAL");
        Ok(())
    }

    /// Trims WAL below `lsn` (a record boundary at or below `flush_lsn`, e.g.
    /// the minimum of `remote_consistent_lsn`, `backup_lsn` and the peer
    /// horizon): records `lsn` as the new `start_lsn`, then deletes every
    /// segment that ends at or before the segment holding `lsn` begins. The
    /// segment holding `lsn` is kept. Returns how many segments were deleted.
    pub fn remove_below(&mut self, lsn: Lsn) -> Result<usize> {
        self.check_usable()?;
        if lsn <= self.start_lsn {
            return Ok(0);
        }
        if lsn > self.flush_lsn {
            return Err(StorageError::InvalidRequest(format!(
                "cannot remove WAL below {lsn}: only WAL below flush_lsn {} is durable",
                self.flush_lsn
            )));
        }
        self.check_frame_boundary(lsn)?;
        let old_start = self.start_lsn;
        let meta = Meta {
            segment_size: self.segment_size,
            start_lsn: lsn,
        };
        atomic_write(&*self.fs, &self.dir, Meta::NAME, &meta.encode())?;
        self.start_lsn = lsn;
        let keep = segment_start(lsn, self.segment_size);
        let mut segment = segment_start(old_start, self.segment_size);
        let mut removed = 0;
        while segment < keep {
            self.files.remove(&segment);
            self.dirty.remove(&segment);
            let path = self.segment_path(segment);
            match self.fs.remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("delete WAL segment", &path)(e)),
            }
            segment = Lsn(segment.0 + self.segment_size);
        }
        if removed > 0 {
            sync_dir(&*self.fs, &self.dir)?;
        }
        info!(dir = %self.dir.display(), start_lsn = %lsn, removed, "removed old WAL segments");
        Ok(removed)
    }

    /// Once the WAL is past the middle of its current segment, returns the
    /// job that pre-allocates the next one (once per segment), for the shell
    /// to run on a blocking thread. Writing 16 MiB of zeros takes tens of
    /// milliseconds; without this, the write that enters a new segment pays
    /// for it.
    pub fn preallocate_ahead(&mut self) -> Option<Preallocation> {
        let current = segment_start(self.write_lsn, self.segment_size);
        let next = current + self.segment_size;
        let past_middle =
            segment_offset(self.write_lsn, self.segment_size) >= self.segment_size / 2;
        if self.poisoned.is_some() || !past_middle || self.preallocated >= next {
            return None;
        }
        self.preallocated = next;
        Some(Preallocation {
            fs: self.fs.clone(),
            dir: self.dir.clone(),
            segment: next,
            size: self.segment_size,
        })
    }

    fn check_usable(&self) -> Result<()> {
        match &self.poisoned {
            None => Ok(()),
            Some(reason) => Err(StorageError::Poisoned {
                dir: self.dir.clone(),
                reason: reason.clone(),
            }),
        }
    }

    /// Poisons the WAL after a failed write or fsync and returns the error.
    fn fail(&mut self, op: &'static str, segment: Lsn, e: std::io::Error) -> StorageError {
        let path = self.segment_path(segment);
        tracing::error!(path = %path.display(), op, error = %e, "WAL storage failed; poisoning it until reopened");
        self.poisoned = Some(format!("{op} {}: {e}", path.display()));
        self.files.clear();
        io_err(op, &path)(e)
    }

    /// Checks that a whole, valid frame starts at `lsn` (or that `lsn` is the
    /// end of the WAL).
    fn check_frame_boundary(&self, lsn: Lsn) -> Result<()> {
        if lsn == self.write_lsn {
            return Ok(());
        }
        let not_boundary = |why: String| {
            StorageError::InvalidRequest(format!("{lsn} is not a frame boundary: {why}"))
        };
        let header_end = lsn + FRAME_HEADER_SIZE as u64;
        if header_end > self.write_lsn {
            return Err(not_boundary("too close to the end of the WAL".into()));
        }
        let header = self.read(lsn, header_end)?;
        let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as u64;
        let frame_end = header_end
            .checked_add(len)
            .filter(|&e| e <= self.write_lsn)
            .ok_or_else(|| not_boundary(format!("length {len} runs past the end")))?;
        let mut dec = FrameDecoder::new(lsn);
        dec.push(&self.read(lsn, frame_end)?);
        match dec.next_frame() {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(not_boundary("incomplete frame".into())),
            Err(e) => Err(not_boundary(e.to_string())),
        }
    }

    /// The open handle of `segment`, creating the (zero-filled) segment if
    /// it does not exist.
    fn segment_for_write(&mut self, segment: Lsn) -> std::io::Result<&dyn FsFile> {
        if !self.files.contains_key(&segment) {
            let path = self.segment_path(segment);
            let file = match self.fs.open(&path, OpenMode::ReadWrite) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    create_segment(&*self.fs, &self.dir, segment, self.segment_size)?
                }
                Err(e) => return Err(e),
            };
            self.files.insert(segment, file);
        }
        Ok(&**self
            .files
            .get(&segment)
            .expect("the segment was just opened"))
    }
}

/// Creates a zero-filled segment if it does not exist yet, and returns it
/// open for reading and writing.
///
/// Zeros are written to a uniquely named `.partial` file, which is fsynced
/// and then hard-linked to the segment's name. `link` fails if the name
/// exists, so when two threads pre-allocate the same segment (the writer and
/// a [`Preallocation`]) the first wins and the other discards its copy: a
/// segment file is never replaced under a writer that already holds it
/// open. A `.seg` file therefore always has its full size and real
/// (non-sparse) blocks, so later fdatasyncs have no allocation metadata to
/// write. (Needs hard links: any local Linux file system.)
pub(super) fn create_segment(
    fs: &dyn Fs,
    dir: &Path,
    segment: Lsn,
    size: u64,
) -> std::io::Result<Box<dyn FsFile>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT_TAG: AtomicU64 = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let path = dir.join(layout::segment_file_name(segment));
    let tag = NEXT_TAG.fetch_add(1, Ordering::Relaxed);
    let partial = dir.join(layout::partial_file_name(segment, tag));
    let file = fs.open(&partial, OpenMode::CreateNew)?;
    let linked = zero_range(&*file, 0, size)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs.hard_link(&partial, &path));
    let _ = fs.remove_file(&partial);
    match linked {
        Ok(()) => {
            fs.sync_dir(dir)?;
            debug!(%segment, elapsed_us = started.elapsed().as_micros() as u64, "pre-allocated WAL segment");
            // Reopened by its final name, which a failed fsync then reports.
            drop(file);
            fs.open(&path, OpenMode::ReadWrite)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            fs.open(&path, OpenMode::ReadWrite)
        }
        Err(e) => Err(e),
    }
}

/// Pre-allocation of the next segment, to run off the write path (see
/// [`Wal::preallocate_ahead`]). It only ever creates a zero-filled segment
/// that does not exist yet, so it is safe to run on any thread, concurrently
/// with the `Wal`, and harmless if it completes after a truncate. It never
/// creates a segment below the WAL's start (`wal/meta`): a job that runs
/// late, after the writer filled its segment and a trim deleted it, would
/// otherwise bring back a zero-filled file that a committed read racing
/// with the trim takes for the trimmed WAL, and that no trim deletes again.
#[derive(Clone, Debug)]
pub struct Preallocation {
    fs: SharedFs,
    dir: PathBuf,
    segment: Lsn,
    size: u64,
}

impl Preallocation {
    /// The segment it creates.
    pub fn segment(&self) -> Lsn {
        self.segment
    }

    /// Creates the segment (a no-op if it exists or was trimmed).
    pub fn run(self) -> Result<()> {
        let path = self.dir.join(layout::segment_file_name(self.segment));
        if self.trimmed()?
            || self
                .fs
                .exists(&path)
                .map_err(io_err("stat WAL segment", &path))?
        {
            return Ok(());
        }
        create_segment(&*self.fs, &self.dir, self.segment, self.size)
            .map(drop)
            .map_err(io_err("pre-allocate WAL segment", &path))?;
        // A trim that wrote its new start after the check above deletes
        // from its old start on, which may have missed this file: check
        // again (`remove_below` writes the start before it deletes).
        if self.trimmed()? {
            remove_if_exists(&*self.fs, &path).map_err(io_err("delete WAL segment", &path))?;
        }
        Ok(())
    }

    /// Whether the segment lies wholly below the WAL's start.
    fn trimmed(&self) -> Result<bool> {
        let meta = Meta::load(&*self.fs, &self.dir)?;
        Ok(self.segment < segment_start(meta.start_lsn, meta.segment_size))
    }
}

/// Writes zeros over `[from, to)` of `file`.
pub(super) fn zero_range(file: &dyn FsFile, from: u64, to: u64) -> std::io::Result<()> {
    let zeros = vec![0u8; ZERO_CHUNK];
    let mut pos = from;
    while pos < to {
        let n = (to - pos).min(ZERO_CHUNK as u64) as usize;
        file.write_all_at(&zeros[..n], pos)?;
        pos += n as u64;
    }
    Ok(())
}

pub(super) fn remove_if_exists(fs: &dyn Fs, path: &Path) -> std::io::Result<()> {
    match fs.remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `wal/meta`: the segment size and the first retained LSN.
///
/// ```text
/// magic "SKWM" | version:u32 = 1 | segment_size:u64 | start_lsn:u64 | crc32c:u32
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Meta {
    pub segment_size: u64,
    pub start_lsn: Lsn,
}

impl Meta {
    pub const NAME: &'static str = "meta";
    const MAGIC: [u8; 4] = *b"SKWM";
    const VERSION: u32 = 1;
    const LEN: usize = 28;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&Self::MAGIC);
        out.extend_from_slice(&Self::VERSION.to_le_bytes());
        out.extend_from_slice(&self.segment_size.to_le_bytes());
        out.extend_from_slice(&self.start_lsn.0.to_le_bytes());
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8], path: &Path) -> Result<Meta> {
        let bad = |reason: String| StorageError::BadControlFile {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() != Self::LEN {
            return Err(bad(format!(
                "{} bytes, expected {}",
                bytes.len(),
                Self::LEN
            )));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        if bytes[0..4] != Self::MAGIC {
            return Err(bad(format!("bad magic {:02x?}", &bytes[0..4])));
        }
        if u32_at(4) != Self::VERSION {
            return Err(bad(format!("unsupported format version {}", u32_at(4))));
        }
        if crc32c::crc32c(&bytes[..24]) != u32_at(24) {
            return Err(bad("checksum mismatch".into()));
        }
        let meta = Meta {
            segment_size: u64_at(8),
            start_lsn: Lsn(u64_at(16)),
        };
        if !layout::valid_segment_size(meta.segment_size) || !meta.start_lsn.is_valid() {
            return Err(bad(format!("invalid contents {meta:?}")));
        }
        Ok(meta)
    }

    pub fn load(fs: &dyn Fs, dir: &Path) -> Result<Meta> {
        let path = dir.join(Self::NAME);
        match fs.read(&path) {
            Ok(bytes) => Meta::decode(&bytes, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StorageError::BadControlFile {
                    path,
                    reason: "missing".into(),
                })
            }
            Err(e) => Err(io_err("read WAL meta file", &path)(e)),
        }
    }
}

#[cfg(test)]
#[path = "wal_tests.rs"]
mod tests;
