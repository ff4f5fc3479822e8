//! # Durable storage of a safekeeper: WAL segments and control files
//!
//! This module owns everything a safekeeper keeps on its local disk, and
//! nothing else: it does no consensus (the acceptor core decides *what* to
//! write, truncate and persist) and no async (the shell calls it from
//! `spawn_blocking` or a dedicated thread). All code here is plain
//! synchronous file I/O through the [`Fs`] seam; the pieces that can be pure are: LSN → segment
//! math and file names in [`layout`], the control-file codec in [`control`].
//!
//! ## Types
//! - [`Fs`] / [`FsFile`] (`fs`): the I/O seam. Production uses [`StdFs`]
//!   (plain `std::fs`, fsyncs through `remote_storage::durable`); the
//!   deterministic simulation plugs in a disk that loses un-fsynced writes.
//! - [`TimelineStore`]: the data directory; lists, creates and opens
//!   timelines, handing out a [`TimelineFiles`] (control file + state + WAL).
//! - [`Wal`]: one timeline's segments: `write` (whole frames, contiguous),
//!   `flush` (group commit), `read`, `truncate`, `remove_below`, and `open`
//!   (recovery, returning [`Recovered`]). [`WalReader`] reads without
//!   borrowing the `Wal`; [`Preallocation`] creates the next segment off the
//!   write path.
//! - [`ControlFile`] / [`ControlState`]: the acceptor's persistent state.
//! - [`StorageError`]: what went wrong, as a caller acts on it.
//!
//! A shell drives it like this (on a blocking thread):
//! ```text
//! open:    files = store.open_timeline(&id)?            // recovery runs here
//! append:  files.wal.write(lsn, &frames)?  (× n)         // one batch of requests
//!          files.wal.flush()?                            // one fdatasync per touched segment
//!          files.wal.preallocate_ahead().map(|job| spawn_blocking(move || job.run()))
//! elected: files.wal.truncate(at, files.state.commit_lsn)?; files.control.store(&state)?
//! trim:    files.wal.remove_below(min(remote_consistent, backup, peer_horizon))?
//! ```
//!
//! ## On-disk layout
//! ```text
//! {data_dir}/{tenant}/{timeline}/          one directory per timeline (TimelineStore)
//!     control                              acceptor state (ControlState), CRC32C, replaced atomically
//!     wal/meta                             segment size + first retained LSN, CRC32C, replaced atomically
//!     wal/{segment start LSN, 16 hex}.seg  WAL segments, exactly `segment_size` bytes each
//! ```
//! A timeline exists once its `control` file exists: creation writes the WAL
//! directory first and the control file last, so a crash in between leaves
//! a directory that [`TimelineStore::list`] ignores and
//! [`TimelineStore::create`] cleans up.
//!
//! ## Invariants
//! - Segments are aligned: the segment holding LSN `L` starts at
//!   `L & !(segment_size - 1)`, and byte `L` lives at offset
//!   `L - segment start` in it. A frame may span segments.
//! - WAL in `[start_lsn, write_lsn)` is a sequence of whole frames
//!   (each with its own CRC32C, see `proto::frame`); `start_lsn` is a record
//!   boundary recorded in `wal/meta`.
//! - **Every byte at or past `write_lsn` in an existing segment is zero.**
//!   Segments are pre-allocated with zeros, truncation zeroes what it drops,
//!   and recovery zeroes a torn tail. So after a crash nothing stale (an old
//!   term's frames) can ever be mistaken for WAL past the end.
//! - `flush_lsn <= write_lsn`, and WAL below `flush_lsn` has been
//!   fdatasync'ed. One [`Wal::flush`] covers any number of writes (group
//!   commit).
//! - Segment files come into existence only whole: zeros are written to a
//!   `.partial` file, fsynced, then hard-linked into place (never replacing
//!   an existing segment). [`Wal::preallocate_ahead`] lets the shell do this
//!   for the next segment off the write path.
//! - Every fsync goes through [`remote_storage::durable`]: a failed fsync
//!   stops the process (after a failed fsync the page cache cannot be
//!   trusted, and a second fsync may succeed although the data is lost), so
//!   the restart's recovery reads only what is really on disk. If a write
//!   fails (or, under an in-process test's injected fault, an fsync), the
//!   [`Wal`] is poisoned (every later call returns
//!   [`StorageError::Poisoned`]) until it is reopened.
//!
//! ## Recovery
//! [`Wal::open`] scans frames from `start_lsn` with `proto`'s
//! [`FrameDecoder`](proto::frame::FrameDecoder). The first zero header,
//! torn or corrupt frame, missing segment, or partial frame at the end marks
//! the end of WAL. If that end is below the control file's `commit_lsn`,
//! acknowledged committed WAL is damaged and open fails with
//! [`StorageError::Corrupt`] naming the segment file and offset. Otherwise
//! the tail past the end is zeroed, later segments are deleted, and the
//! recovered `flush_lsn` (end of the last whole frame) and `record_lsn`
//! (end of the last whole record) are returned in [`Recovered`].
//!
//! ## Contract with the caller
//! - Persist a `commit_lsn` in the control file only once WAL up to it has
//!   been flushed here; otherwise a restart reports the gap as corruption.
//! - [`Wal::truncate`] and [`Wal::remove_below`] take frame boundaries (term
//!   switch points, record ends); both check this by decoding the frame there.

pub mod control;
pub mod fs;
pub mod layout;
mod reader;
mod recovery;
#[cfg(test)]
mod script_tests;
mod store;
mod wal;

#[cfg(test)]
mod testutil;

use std::io;
use std::path::{Path, PathBuf};

use proto::Lsn;

pub use control::{ControlFile, ControlState};
pub use fs::{Fs, FsFile, OpenMode, SharedFs, StdFs, std_fs};
pub use layout::SEGMENT_SIZE;
pub use reader::WalReader;
pub use recovery::Recovered;
pub use store::{TimelineFiles, TimelineStore};
pub use wal::{Preallocation, Wal};

/// What can go wrong with local durable storage; variants are what a caller
/// acts on.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file-system call failed (disk full, permissions, I/O error). The
    /// operation may be retried after reopening the timeline.
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    /// WAL below `commit_lsn` is damaged or missing: the safekeeper must not
    /// start this timeline (it would lose acknowledged commits).
    #[error("corrupt WAL in {} at offset {offset} (LSN {lsn}): {reason}", file.display())]
    Corrupt {
        file: PathBuf,
        offset: u64,
        lsn: Lsn,
        reason: String,
    },

    /// A control file (`control` or `wal/meta`) is missing, truncated, of an
    /// unknown format, or fails its checksum.
    #[error("bad control file {}: {reason}", path.display())]
    BadControlFile { path: PathBuf, reason: String },

    /// The caller asked for something the storage must refuse (a
    /// non-contiguous write, bytes that are not whole frames, a truncate
    /// below `commit_lsn`, a read outside the retained WAL, ...).
    #[error("invalid WAL storage request: {0}")]
    InvalidRequest(String),

    /// An earlier write or fsync failed; reopen the timeline to recover.
    #[error("WAL in {} is unusable after an earlier failure ({reason}); reopen the timeline", dir.display())]
    Poisoned { dir: PathBuf, reason: String },
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Builds the mapper for an I/O error: `.map_err(io_err("fsync WAL segment", &path))`.
pub(crate) fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { op, path, source }
}

/// fsyncs a directory, making creates, renames and deletes in it durable
/// (a failed fsync is fatal: [`remote_storage::durable`]).
pub(crate) fn sync_dir(fs: &dyn Fs, dir: &Path) -> Result<()> {
    fs.sync_dir(dir).map_err(io_err("fsync directory", dir))
}

/// Replaces `dir/name` with `bytes` atomically: write `name.tmp`, fsync it,
/// rename over `name`, fsync the directory. A crash leaves either the old or
/// the new file (and maybe a stale `.tmp`, which readers ignore).
pub(crate) fn atomic_write(fs: &dyn Fs, dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let path = dir.join(name);
    let f = fs
        .open(&tmp, OpenMode::CreateTruncate)
        .map_err(io_err("create", &tmp))?;
    f.write_all_at(bytes, 0).map_err(io_err("write", &tmp))?;
    f.sync_all().map_err(io_err("fsync", &tmp))?;
    drop(f);
    fs.rename(&tmp, &path)
        .map_err(io_err("rename into place", &path))?;
    sync_dir(fs, dir)
}
