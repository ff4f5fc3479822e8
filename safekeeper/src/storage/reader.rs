//! [`WalReader`]: reads a timeline's WAL without borrowing its [`Wal`], so
//! streaming readers (pageserver, replicas, peers) on other threads never
//! wait for the writer's fsyncs.
//!
//! It knows only the directory and segment size; it does not know where the
//! WAL starts or ends. The caller bounds every read by what is stable:
//! `from >= start_lsn` (a trim may delete older segments at any time; a read
//! that races with it fails with a "not found" I/O error, never with wrong
//! bytes) and `to <= commit_lsn` (committed WAL is never truncated or
//! rewritten, so it is safe to read while the writer appends).

use std::path::PathBuf;

use proto::Lsn;

use super::fs::{FsFile, OpenMode, SharedFs};
use super::layout::{self, pieces};
use super::{Result, StorageError, Wal, io_err};

/// A cheap, cloneable, `Send` handle for reading a timeline's WAL.
#[derive(Clone, Debug)]
pub struct WalReader {
    fs: SharedFs,
    dir: PathBuf,
    segment_size: u64,
}

impl Wal {
    /// A reader of this WAL; see [`WalReader`] for what it may read.
    pub fn reader(&self) -> WalReader {
        WalReader {
            fs: self.fs.clone(),
            dir: self.dir.clone(),
            segment_size: self.segment_size,
        }
    }
}

impl WalReader {
    /// The path of the segment file starting at `segment`.
    pub fn segment_path(&self, segment: Lsn) -> PathBuf {
        self.dir.join(layout::segment_file_name(segment))
    }

    /// Reads WAL `[from, to)`; see the module docs for the bounds the caller
    /// must respect.
    pub fn read(&self, from: Lsn, to: Lsn) -> Result<Vec<u8>> {
        if from > to || !from.is_valid() {
            return Err(StorageError::InvalidRequest(format!(
                "read {from}..{to} is not a valid range"
            )));
        }
        let mut out = vec![0u8; to.distance_from(from) as usize];
        let mut open: Option<(Lsn, Box<dyn FsFile>)> = None;
        for p in pieces(from, to, self.segment_size) {
            let path = self.dir.join(layout::segment_file_name(p.segment));
            if open.as_ref().is_none_or(|(s, _)| *s != p.segment) {
                let f = self
                    .fs
                    .open(&path, OpenMode::Read)
                    .map_err(io_err("open WAL segment", &path))?;
                open = Some((p.segment, f));
            }
            let (_, file) = open.as_ref().expect("opened above");
            let buf = &mut out[p.range_offset as usize..(p.range_offset + p.len) as usize];
            file.read_exact_at(buf, p.offset)
                .map_err(io_err("read WAL segment", &path))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::testutil::{TempDir, record};
    use crate::storage::{StorageError, Wal};
    use proto::Lsn;

    #[test]
    fn reads_alongside_the_writer() {
        let tmp = TempDir::new("reader");
        let start = Lsn::TIMELINE_START;
        let mut wal = Wal::create(&tmp.path().join("wal"), start, 1 << 12).unwrap();
        let reader = wal.reader();
        let a = record(10_000, 1);
        let end = wal.write(start, &a).unwrap().unwrap();
        wal.flush().unwrap();
        let t = std::thread::spawn(move || reader.read(start, end).unwrap());
        wal.write(end, &record(5_000, 2)).unwrap();
        assert_eq!(t.join().unwrap(), a);

        wal.flush().unwrap();
        let reader = wal.reader();
        wal.remove_below(end).unwrap();
        let err = reader.read(start, end).unwrap_err();
        assert!(matches!(err, StorageError::Io { .. }), "{err}");
        assert!(reader.read(end, end).unwrap().is_empty());
    }
}
