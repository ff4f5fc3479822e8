//! Opening an existing WAL: find the end of valid WAL, repair a torn tail,
//! refuse to start on damaged committed WAL.
//!
//! [`Wal::open`] reads `wal/meta`, tidies the directory (leftover `.partial`
//! segments and segments below `start_lsn` from an interrupted trim are
//! deleted), then scans frames from `start_lsn` through the contiguous run of
//! segments with a [`FrameDecoder`]. The scan stops at the first of:
//! a zero header (pre-allocated space: the normal end), a torn or corrupt
//! frame, a missing or wrong-sized segment, or a partial frame at the end.
//! `end` is the end of the last whole frame before it.
//!
//! - `end < commit_lsn`: WAL a majority acknowledged is damaged or missing.
//!   Open fails with [`StorageError::Corrupt`] naming the segment file and
//!   the offset of `end` in it. Nothing is modified.
//! - otherwise anything past `end` is an unacknowledged torn tail: the rest
//!   of `end`'s segment is zeroed (if it is not zero already), later
//!   segments are deleted, and every retained segment is fdatasync'ed (the
//!   bytes read may have been only in the page cache of a crashed process),
//!   so the returned `flush_lsn` is really durable.
//!
//! The scan reads every retained byte once, in 1 MiB chunks: start-up time
//! is proportional to the WAL not yet trimmed by [`Wal::remove_below`].

use std::collections::BTreeSet;
use std::path::Path;

use proto::Lsn;
use proto::frame::FrameDecoder;
use tracing::{info, warn};

use super::fs::{Fs, FsFile, OpenMode, SharedFs, std_fs};
use super::layout::{self, segment_offset, segment_start};
use super::wal::{Meta, remove_if_exists, zero_range};
use super::{Result, StorageError, Wal, io_err, sync_dir};

const SCAN_CHUNK: u64 = 1 << 20;

/// What recovery found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// End of the last whole frame: the WAL's `write_lsn` and `flush_lsn`.
    pub flush_lsn: Lsn,
    /// End of the last whole record (end of a LAST frame), or `start_lsn`
    /// when no record ends in the retained WAL.
    pub record_lsn: Lsn,
    /// Why the scan stopped where it did, when that was not clean zeroed
    /// space (a torn or corrupt tail above `commit_lsn` that was dropped).
    pub torn_tail: Option<String>,
}

/// How the frame scan ended.
struct Scan {
    end: Lsn,
    record_end: Lsn,
    /// Why it stopped, if not at clean zeroed space or the last segment.
    stop: Option<String>,
    /// Bytes of an incomplete frame at the end.
    partial: usize,
}

impl Wal {
    /// Opens the WAL in `dir` and recovers its end; `commit_lsn` comes from
    /// the timeline's control file. See the module docs.
    pub fn open(dir: &Path, commit_lsn: Lsn) -> Result<(Wal, Recovered)> {
        Wal::open_in(std_fs(), dir, commit_lsn)
    }

    /// [`Wal::open`] on the file system `fs`.
    pub fn open_in(fs: SharedFs, dir: &Path, commit_lsn: Lsn) -> Result<(Wal, Recovered)> {
        let meta = Meta::load(&*fs, dir)?;
        let size = meta.segment_size;
        let first = segment_start(meta.start_lsn, size);
        let mut segments = list_segments(&*fs, dir)?;

        // An interrupted remove_below leaves segments below start_lsn.
        for &s in segments.range(..first) {
            let path = dir.join(layout::segment_file_name(s));
            info!(path = %path.display(), "deleting WAL segment below the retained start");
            remove_if_exists(&*fs, &path).map_err(io_err("delete WAL segment", &path))?;
        }
        segments = segments.split_off(&first);

        let scan = scan(&*fs, dir, &meta, &segments)?;
        let end = scan.end;
        let end_segment = segment_start(end, size);
        let reason = match (&scan.stop, scan.partial) {
            (Some(why), _) => Some(why.clone()),
            (None, n) if n > 0 => Some(format!(
                "a {n}-byte incomplete frame at the end of the last segment"
            )),
            (None, _) => None,
        };
        if end < commit_lsn {
            let reason = reason.unwrap_or_else(|| "the WAL ends here".into());
            return Err(StorageError::Corrupt {
                file: dir.join(layout::segment_file_name(end_segment)),
                offset: segment_offset(end, size),
                lsn: end,
                reason: format!("{reason}, below commit_lsn {commit_lsn}"),
            });
        }

        // Repair: zero the rest of the end segment, delete later segments.
        let mut changed = false;
        if segments.contains(&end_segment) {
            let path = dir.join(layout::segment_file_name(end_segment));
            let file = fs
                .open(&path, OpenMode::ReadWrite)
                .map_err(io_err("open WAL segment", &path))?;
            let len = file.size().map_err(io_err("stat WAL segment", &path))?;
            if len != size {
                // Only possible when the scan stopped at its start.
                warn!(path = %path.display(), len, "deleting WAL segment of the wrong size");
                drop(file);
                remove_if_exists(&*fs, &path).map_err(io_err("delete WAL segment", &path))?;
                segments.remove(&end_segment);
                changed = true;
            } else if !is_zero(&*file, segment_offset(end, size), size)
                .map_err(io_err("read WAL segment", &path))?
            {
                zero_range(&*file, segment_offset(end, size), size)
                    .and_then(|()| file.sync_data())
                    .map_err(io_err("zero torn WAL tail", &path))?;
                changed = true;
            }
        }
        let later: Vec<Lsn> = segments.range(end_segment + 1..).copied().collect();
        for &s in later.iter().rev() {
            let path = dir.join(layout::segment_file_name(s));
            remove_if_exists(&*fs, &path).map_err(io_err("delete WAL segment", &path))?;
            segments.remove(&s);
            changed = true;
        }
        if changed {
            sync_dir(&*fs, dir)?;
            warn!(
                dir = %dir.display(),
                %end,
                %commit_lsn,
                reason = reason.as_deref().unwrap_or("non-zero bytes past the last frame"),
                deleted_segments = later.len(),
                "dropped a torn WAL tail above commit_lsn"
            );
        }

        // What we read may have lived only in a crashed process's page cache.
        for &s in &segments {
            let path = dir.join(layout::segment_file_name(s));
            fs.open(&path, OpenMode::Read)
                .and_then(|f| f.sync_data())
                .map_err(io_err("fsync WAL segment", &path))?;
        }

        info!(dir = %dir.display(), start_lsn = %meta.start_lsn, flush_lsn = %end, record_lsn = %scan.record_end, "recovered WAL");
        let recovered = Recovered {
            flush_lsn: end,
            record_lsn: scan.record_end,
            torn_tail: changed
                .then(|| reason.unwrap_or_else(|| "non-zero bytes past the last frame".into())),
        };
        Ok((Wal::new(fs, dir, meta, end), recovered))
    }
}

/// The segments present in `dir`, deleting leftover `.partial` files.
fn list_segments(fs: &dyn Fs, dir: &Path) -> Result<BTreeSet<Lsn>> {
    let mut segments = BTreeSet::new();
    let entries = fs
        .read_dir(dir)
        .map_err(io_err("list WAL directory", dir))?;
    for entry in entries {
        let Some(name) = entry.name.as_deref() else {
            warn!(path = %entry.path.display(), "ignoring a file with a non-UTF-8 name");
            continue;
        };
        if let Some(start) = layout::parse_segment_file_name(name) {
            segments.insert(start);
        } else if name.ends_with(layout::PARTIAL_SUFFIX) {
            let path = &entry.path;
            info!(path = %path.display(), "deleting an incompletely pre-allocated WAL segment");
            remove_if_exists(fs, path).map_err(io_err("delete partial WAL segment", path))?;
        } else if name != Meta::NAME && name != "meta.tmp" {
            warn!(dir = %dir.display(), name, "ignoring an unknown file in the WAL directory");
        }
    }
    Ok(segments)
}

/// Scans frames from `meta.start_lsn` through the contiguous segments.
fn scan(fs: &dyn Fs, dir: &Path, meta: &Meta, segments: &BTreeSet<Lsn>) -> Result<Scan> {
    let size = meta.segment_size;
    let mut dec = FrameDecoder::new(meta.start_lsn);
    let mut record_end = meta.start_lsn;
    let mut segment = segment_start(meta.start_lsn, size);
    let mut chunk = vec![0u8; SCAN_CHUNK as usize];
    while segments.contains(&segment) {
        let path = dir.join(layout::segment_file_name(segment));
        let file = fs
            .open(&path, OpenMode::Read)
            .map_err(io_err("open WAL segment", &path))?;
        let len = file.size().map_err(io_err("stat WAL segment", &path))?;
        if len != size {
            return Ok(Scan {
                end: dec.lsn(),
                record_end,
                stop: Some(format!(
                    "segment {} is {len} bytes, expected {size}",
                    path.display()
                )),
                partial: dec.buffered(),
            });
        }
        let mut pos = if segment == segment_start(meta.start_lsn, size) {
            segment_offset(meta.start_lsn, size)
        } else {
            0
        };
        while pos < size {
            let n = (size - pos).min(SCAN_CHUNK) as usize;
            file.read_exact_at(&mut chunk[..n], pos)
                .map_err(io_err("read WAL segment", &path))?;
            dec.push(&chunk[..n]);
            pos += n as u64;
            loop {
                match dec.next_frame() {
                    Ok(Some(frame)) => {
                        if frame.is_last() {
                            record_end = frame.end;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        // A zero length is pre-allocated space: the normal end.
                        let at_zeros = matches!(e, proto::Error::BadFrameLength { len: 0, .. });
                        return Ok(Scan {
                            end: dec.lsn(),
                            record_end,
                            stop: (!at_zeros).then(|| describe(&e)),
                            partial: 0,
                        });
                    }
                }
            }
        }
        segment = segment + size;
    }
    Ok(Scan {
        end: dec.lsn(),
        record_end,
        stop: None,
        partial: dec.buffered(),
    })
}

/// What is wrong with a frame, without repeating its LSN (the caller's
/// message names it).
fn describe(e: &proto::Error) -> String {
    match e {
        proto::Error::FrameChecksum { .. } => "frame checksum mismatch".into(),
        proto::Error::BadFrameLength { len, .. } => format!("impossible frame length {len}"),
        other => other.to_string(),
    }
}

/// Whether `[from, to)` of `file` is all zeros.
fn is_zero(file: &dyn FsFile, from: u64, to: u64) -> std::io::Result<bool> {
    let mut buf = vec![0u8; SCAN_CHUNK as usize];
    let mut pos = from;
    while pos < to {
        let n = (to - pos).min(SCAN_CHUNK) as usize;
        file.read_exact_at(&mut buf[..n], pos)?;
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        pos += n as u64;
    }
    Ok(true)
}

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod tests;
