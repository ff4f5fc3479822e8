//! Relation tombstones: which relations a `DropRelation` record dropped, and at which LSN.
//!
//! A compute writes one `DropRelation { rel }` record for each `RelId` a `DROP TABLE` /
//! `DROP INDEX` frees (RelIds are never reused). Ingest records the tombstone at the
//! record's **end** LSN `d` ([`Tombstones::record`]); from then on:
//!
//! - **reads** of any page of `rel` at an LSN `>= d` answer "never written"
//!   ([`Tombstones::hides`]); reads below `d` see the relation's history as before;
//! - **compaction** at an LSN `>= d` leaves the relation's keys out of the keyspace, so no
//!   image layer written after the drop holds its pages (an image layer's range then lacks
//!   them, which is what "did not exist at that LSN" means);
//! - **GC** treats the whole key range of a relation dropped at or below the cutoff as
//!   covered ([`Tombstones::ranges_upto`]): every read at or above the cutoff is answered by
//!   the tombstone, so layers holding only such keys (or such keys plus keys covered by
//!   newer images) are deleted once no branch point, PITR window or lease needs them.
//!
//! Tombstones are kept for good (a few bytes each). Those at or below the timeline's
//! `disk_consistent_lsn` are persisted in `tombstones.meta` *before* the flush that passes
//! them advances `disk_consistent_lsn`, so a restart, which re-streams the WAL after it,
//! never loses one. The file is `magic "STRTOMB1" count:u32 (rel:u32 lsn:u64)* crc32c:u32`,
//! little-endian, replaced atomically.

use std::collections::BTreeMap;
use std::path::Path;

use proto::{Lsn, PageKey, RelId};

use crate::key_range::KeyRange;
use crate::layer_file::write_file;
use crate::{Error, Result};

/// The file name in the timeline directory.
pub const FILE_NAME: &str = "tombstones.meta";
const MAGIC: &[u8; 8] = b"STRTOMB1";

/// Dropped relations: `rel → end LSN of its DropRelation record`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tombstones {
    dropped: BTreeMap<RelId, Lsn>,
}

impl Tombstones {
    pub fn is_empty(&self) -> bool {
        self.dropped.is_empty()
    }

    pub fn len(&self) -> usize {
        self.dropped.len()
    }

    /// Notes that `rel` was dropped by the record ending at `lsn` (the first drop wins: a
    /// re-ingested record changes nothing).
    pub fn record(&mut self, rel: RelId, lsn: Lsn) {
        self.dropped.entry(rel).or_insert(lsn);
    }

    /// The LSN `rel` was dropped at, if it was.
    pub fn dropped_at(&self, rel: RelId) -> Option<Lsn> {
        self.dropped.get(&rel).copied()
    }

    /// Whether a read of `key` at `lsn` finds the relation dropped.
    pub fn hides(&self, key: PageKey, lsn: Lsn) -> bool {
        !self.dropped.is_empty() && self.dropped_at(key.rel).is_some_and(|d| d <= lsn)
    }

    /// The tombstones at or below `lsn`.
    pub fn upto(&self, lsn: Lsn) -> Tombstones {
        Tombstones {
            dropped: self
                .dropped
                .iter()
                .filter(|(_, d)| **d <= lsn)
                .map(|(r, d)| (*r, *d))
                .collect(),
        }
    }

    /// The whole key ranges of the relations dropped at or below `lsn`.
    pub fn ranges_upto(&self, lsn: Lsn) -> Vec<KeyRange> {
        self.dropped
            .iter()
            .filter(|(_, d)| **d <= lsn)
            .map(|(r, _)| KeyRange::new(PageKey::new(r.0, 0), PageKey::new(r.0, u32::MAX)))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (RelId, Lsn)> + '_ {
        self.dropped.iter().map(|(r, d)| (*r, *d))
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16 + 12 * self.dropped.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&(self.dropped.len() as u32).to_le_bytes());
        for (rel, lsn) in &self.dropped {
            b.extend_from_slice(&rel.0.to_le_bytes());
            b.extend_from_slice(&lsn.0.to_le_bytes());
        }
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> std::result::Result<Tombstones, (u64, &'static str)> {
        if b.len() < 16 || &b[..8] != MAGIC {
            return Err((0, "not a tombstone file"));
        }
        let (body, crc) = b.split_at(b.len() - 4);
        let crc = u32::from_le_bytes(crc.try_into().map_err(|_| (0, "short"))?);
        if crc32c::crc32c(body) != crc {
            return Err(((b.len() - 4) as u64, "tombstone file checksum mismatch"));
        }
        let count = u32::from_le_bytes(body[8..12].try_into().map_err(|_| (8, "short"))?);
        let entries = &body[12..];
        if entries.len() != count as usize * 12 {
            return Err((8, "tombstone count does not match the file size"));
        }
        let dropped = entries
            .chunks_exact(12)
            .map(|e| {
                let (rel, lsn) = e.split_at(4);
                (
                    RelId(u32::from_le_bytes(rel.try_into().expect("4 bytes"))),
                    Lsn(u64::from_le_bytes(lsn.try_into().expect("8 bytes"))),
                )
            })
            .collect();
        Ok(Tombstones { dropped })
    }

    /// Loads `dir/tombstones.meta` (none if there is no file).
    pub fn load(dir: &Path) -> Result<Tombstones> {
        let path = dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(b) => Tombstones::decode(&b).map_err(|(off, why)| Error::corrupt(&path, off, why)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Tombstones::default()),
            Err(e) => Err(Error::io("read tombstones", path, e)),
        }
    }

    /// Stores them durably in `dir`.
    pub fn store(&self, dir: &Path) -> Result<()> {
        write_file(&dir.join(FILE_NAME), &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_from_the_drop_lsn_on() {
        let mut t = Tombstones::default();
        assert!(!t.hides(PageKey::new(5, 0), Lsn::MAX));
        t.record(RelId(5), Lsn(100));
        t.record(RelId(5), Lsn(200)); // re-ingest: the first drop stays
        assert_eq!(t.dropped_at(RelId(5)), Some(Lsn(100)));
        assert!(!t.hides(PageKey::new(5, 3), Lsn(99)));
        assert!(t.hides(PageKey::new(5, 3), Lsn(100)));
        assert!(!t.hides(PageKey::new(6, 3), Lsn(100)));
        assert!(t.ranges_upto(Lsn(99)).is_empty());
        assert_eq!(
            t.ranges_upto(Lsn(100)),
            vec![KeyRange::new(PageKey::new(5, 0), PageKey::new(5, u32::MAX))]
        );
        assert!(t.upto(Lsn(99)).is_empty());
    }

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Tombstones::load(dir.path()).unwrap().is_empty());
        let mut t = Tombstones::default();
        t.record(RelId(7), Lsn(1234));
        t.record(RelId(9), Lsn(99));
        t.store(dir.path()).unwrap();
        assert_eq!(Tombstones::load(dir.path()).unwrap(), t);
        let mut b = t.encode();
        b[13] ^= 1;
        std::fs::write(dir.path().join(FILE_NAME), &b).unwrap();
        assert!(matches!(
            Tombstones::load(dir.path()),
            Err(Error::Corrupt { .. })
        ));
        std::fs::write(dir.path().join(FILE_NAME), &b[..5]).unwrap();
        assert!(Tombstones::load(dir.path()).is_err());
    }
}
