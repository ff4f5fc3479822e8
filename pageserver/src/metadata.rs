//! The timeline's local metadata file: what is not derivable from the layer
//! files themselves.
//!
//! - `disk_consistent_lsn`: every change at or below it is in layer files.
//!   A flush writes (and fsyncs) all delta files of a frozen layer, *then*
//!   advances it here, so a crash mid-flush leaves delta files above it;
//!   [`crate::LayeredTimeline::open`] deletes those and the WAL after
//!   `disk_consistent_lsn` is streamed again.
//! - `gc_cutoff`: after GC deletes layers, reads below the cutoff would find
//!   partial history, so the cutoff must survive a restart. It is stored
//!   *before* any layer is deleted.
//!
//! The file is replaced atomically (temp file, fsync, rename, fsync dir).
//!
//! ```text
//! timeline.meta := magic "STRTLMET" version:u32 disk_consistent_lsn:u64 gc_cutoff:u64
//!                  crc32c:u32                                  (little-endian)
//! ```

use std::path::Path;

use proto::Lsn;

use crate::layer_file::write_file;
use crate::{Error, Result};

/// The file name in the timeline directory.
pub const FILE_NAME: &str = "timeline.meta";
const MAGIC: &[u8; 8] = b"STRTLMET";
const VERSION: u32 = 1;
const SIZE: usize = 32;

/// The timeline's persisted state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimelineMetadata {
    /// Everything at or below this LSN is in layer files; [`Lsn::INVALID`]
    /// before the first flush.
    pub disk_consistent_lsn: Lsn,
    /// Reads below this LSN are refused; [`Lsn::INVALID`] before any GC.
    pub gc_cutoff: Lsn,
}

impl TimelineMetadata {
    pub fn encode(&self) -> [u8; SIZE] {
        let mut b = [0u8; SIZE];
        b[0..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[12..20].copy_from_slice(&self.disk_consistent_lsn.0.to_le_bytes());
        b[20..28].copy_from_slice(&self.gc_cutoff.0.to_le_bytes());
        let crc = crc32c::crc32c(&b[..28]);
        b[28..32].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes the file's bytes; the error says what is wrong.
    pub fn decode(b: &[u8]) -> Result<TimelineMetadata, (u64, &'static str)> {
        if b.len() != SIZE {
            return Err((0, "metadata file has the wrong size"));
        }
        let crc = u32::from_le_bytes(b[28..32].try_into().expect("4 bytes"));
        if crc32c::crc32c(&b[..28]) != crc {
            return Err((28, "metadata checksum mismatch"));
        }
        if &b[0..8] != MAGIC || b[8..12] != VERSION.to_le_bytes() {
            return Err((0, "not a timeline metadata file of a known version"));
        }
        let lsn = |at: usize| {
            Lsn(u64::from_le_bytes(
                b[at..at + 8].try_into().expect("8 bytes"),
            ))
        };
        Ok(TimelineMetadata {
            disk_consistent_lsn: lsn(12),
            gc_cutoff: lsn(20),
        })
    }

    /// Loads `dir/timeline.meta`; `None` if there is none yet.
    pub fn load(dir: &Path) -> Result<Option<TimelineMetadata>> {
        let path = dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(b) => TimelineMetadata::decode(&b)
                .map(Some)
                .map_err(|(off, why)| Error::corrupt(&path, off, why)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read timeline metadata", path, e)),
        }
    }

    /// Stores it durably in `dir`.
    pub fn store(&self, dir: &Path) -> Result<()> {
        write_file(&dir.join(FILE_NAME), &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TimelineMetadata::load(dir.path()).unwrap(), None);
        let m = TimelineMetadata {
            disk_consistent_lsn: Lsn(99),
            gc_cutoff: Lsn(1234),
        };
        m.store(dir.path()).unwrap();
        assert_eq!(TimelineMetadata::load(dir.path()).unwrap(), Some(m));
        let mut b = m.encode();
        b[13] ^= 1;
        std::fs::write(dir.path().join(FILE_NAME), b).unwrap();
        assert!(matches!(
            TimelineMetadata::load(dir.path()),
            Err(Error::Corrupt { .. })
        ));
    }
}
