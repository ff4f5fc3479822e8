//! The manifest of one pageserver generation: `index-{generation}.json`.
//!
//! The manifest is the root of a timeline in object storage. A pageserver
//! attaching a timeline reads the highest-generation manifest; everything it
//! names exists (layers are uploaded *before* the manifest that lists them),
//! and everything at or below `remote_consistent_lsn` can be rebuilt from the
//! listed layers (plus the ancestor's, for a branch). WAL after it is
//! re-read from the safekeepers.
//!
//! ```json
//! {
//!   "version": 1,
//!   "generation": 3,
//!   "start_lsn": 16777216,
//!   "ancestor": { "timeline": "main", "lsn": 16800000 },
//!   "remote_consistent_lsn": 16900000,
//!   "gc_cutoff": 0,
//!   "layers": [
//!     { "name": "delta_…__…", "generation": 2, "kind": "delta",
//!       "keys": [42949672960, 42949672969], "lsns": [16777216, 16800001],
//!       "size": 24576, "crc32c": 123456789 }
//!   ],
//!   "commit_timestamps": [[1732650000000000, 16777300]],
//!   "leases": [[16800000, 1732650600000]],
//!   "branch_points": [["dev", 16800000]]
//! }
//! ```
//!
//! An attaching pageserver first writes a *claim marker* under its
//! generation's name (`"claiming": true`, nothing else meaningful) and
//! overwrites it with its manifest once it has read its predecessor's; a
//! reader looking for the newest manifest skips markers ([`crate::remote`]
//! explains why the marker must come first).
//!
//! A layer's object key is [`remote_storage::layout::layer_key`] of its name
//! and the generation that *uploaded* it, which may be older than the
//! manifest's: a new generation inherits its predecessor's layers without
//! copying them. `crc32c` covers the whole file, checked on download, so a
//! damaged object is reported by its key and never served. LSNs are raw
//! `u64`s; `lsns` is `[start, end)` for a delta and `[lsn, lsn + 1)` for an
//! image.

use bytes::Bytes;
use proto::{Lsn, TimelineId};
use serde::{Deserialize, Serialize};

use crate::layer_name::LayerName;
use crate::{Error, Result};

/// The manifest format version this code writes and reads.
pub const VERSION: u32 = 1;

/// A branch's parent and branch point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AncestorRef {
    pub timeline: String,
    pub lsn: u64,
}

/// One uploaded layer file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerEntry {
    /// The layer's file name ([`LayerName`]'s display form).
    pub name: String,
    /// The generation whose pageserver uploaded it (part of the object key).
    pub generation: u64,
    /// `"delta"` or `"image"`.
    pub kind: String,
    /// First and last key (`PageKey::as_u64`), inclusive.
    pub keys: [u64; 2],
    /// `[start, end)` of the change LSNs.
    pub lsns: [u64; 2],
    pub size: u64,
    pub crc32c: u32,
}

impl LayerEntry {
    /// The entry for a local layer file's bytes, uploaded by `generation`.
    pub fn new(name: LayerName, generation: u64, bytes: &[u8]) -> LayerEntry {
        let (kind, lsns) = match name {
            LayerName::Delta { start, end, .. } => ("delta", [start.0, end.0]),
            LayerName::Image { lsn, .. } => ("image", [lsn.0, lsn.0 + 1]),
        };
        let keys = name.key_range();
        LayerEntry {
            name: name.to_string(),
            generation,
            kind: kind.into(),
            keys: [keys.first.as_u64(), keys.last.as_u64()],
            lsns,
            size: bytes.len() as u64,
            crc32c: crc32c::crc32c(bytes),
        }
    }

    /// The parsed layer name; `None` if the manifest holds a bad name.
    pub fn layer_name(&self) -> Option<LayerName> {
        LayerName::parse(&self.name)
    }

    /// Where the layer lives in object storage.
    pub fn object_key(&self, id: &TimelineId) -> String {
        remote_storage::layout::layer_key(id, &self.name, self.generation)
    }

    /// Checks downloaded bytes against the recorded size and checksum.
    pub fn verify(&self, id: &TimelineId, bytes: &[u8]) -> Result<()> {
        let key = self.object_key(id);
        if bytes.len() as u64 != self.size {
            return Err(Error::corrupt(
                key,
                0,
                format!("{} bytes, the manifest says {}", bytes.len(), self.size),
            ));
        }
        if crc32c::crc32c(bytes) != self.crc32c {
            return Err(Error::corrupt(
                key,
                0,
                "checksum does not match the manifest",
            ));
        }
        Ok(())
    }
}

/// One generation's view of a timeline in object storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub generation: u64,
    /// Where the timeline's WAL starts (a branch's: its branch point).
    pub start_lsn: u64,
    pub ancestor: Option<AncestorRef>,
    /// Every record ending at or below it is in the listed layers.
    pub remote_consistent_lsn: u64,
    pub gc_cutoff: u64,
    pub layers: Vec<LayerEntry>,
    /// `(commit timestamp µs, record end LSN)` of commits at or below
    /// `remote_consistent_lsn`, in LSN order.
    #[serde(default)]
    pub commit_timestamps: Vec<(i64, u64)>,
    /// `(RelId, drop LSN)` of the relations dropped at or below
    /// `remote_consistent_lsn` (see [`crate::tombstones`]).
    #[serde(default)]
    pub dropped_relations: Vec<(u32, u64)>,
    /// LSN leases: `(lsn, valid until in ms since the Unix epoch)`
    /// ([`crate::retention`]).
    #[serde(default)]
    pub leases: Vec<(u64, u64)>,
    /// Branch points of child timelines: `(child timeline, lsn)`, registered
    /// when each child was created ([`crate::retention`]).
    #[serde(default)]
    pub branch_points: Vec<(String, u64)>,
    /// A claim marker, not a manifest: generation `generation` has started
    /// to attach and fences every older one, but has not yet written its
    /// manifest (see [`crate::remote`]). Nothing else in it means anything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub claiming: bool,
}

impl Manifest {
    /// The manifest of a new timeline that has nothing uploaded yet.
    pub fn new(generation: u64, start_lsn: Lsn, ancestor: Option<AncestorRef>) -> Manifest {
        Manifest {
            version: VERSION,
            generation,
            start_lsn: start_lsn.0,
            ancestor,
            remote_consistent_lsn: 0,
            gc_cutoff: 0,
            layers: Vec::new(),
            commit_timestamps: Vec::new(),
            dropped_relations: Vec::new(),
            leases: Vec::new(),
            branch_points: Vec::new(),
            claiming: false,
        }
    }

    /// The claim marker of `generation` (see [`Manifest::claiming`]).
    pub fn claim_marker(generation: u64) -> Manifest {
        Manifest {
            claiming: true,
            ..Manifest::new(generation, Lsn::INVALID, None)
        }
    }

    pub fn encode(&self) -> Bytes {
        Bytes::from(serde_json::to_vec_pretty(self).expect("a manifest always serializes"))
    }

    /// Parses the object at `key`; a malformed manifest is [`Error::Corrupt`]
    /// naming it.
    pub fn decode(key: &str, bytes: &[u8]) -> Result<Manifest> {
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| Error::corrupt(key, e.column() as u64, e.to_string()))?;
        if m.version != VERSION {
            return Err(Error::corrupt(
                key,
                0,
                format!(
                    "manifest version {} (this pageserver reads {VERSION})",
                    m.version
                ),
            ));
        }
        if let Some(bad) = m.layers.iter().find(|l| l.layer_name().is_none()) {
            return Err(Error::corrupt(
                key,
                0,
                format!("bad layer name {:?}", bad.name),
            ));
        }
        Ok(m)
    }

    pub fn entry(&self, name: &LayerName) -> Option<&LayerEntry> {
        let name = name.to_string();
        self.layers.iter().find(|l| l.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_range::KeyRange;
    use proto::PageKey;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let id = TimelineId::new("t", "main").unwrap();
        let name = LayerName::Delta {
            keys: KeyRange::new(PageKey::new(1, 0), PageKey::new(1, 9)),
            start: Lsn(100),
            end: Lsn(200),
        };
        let mut m = Manifest::new(3, Lsn(100), None);
        m.layers.push(LayerEntry::new(name, 2, b"layer bytes"));
        m.remote_consistent_lsn = 199;
        let key = remote_storage::layout::index_key(&id, 3);
        let back = Manifest::decode(&key, &m.encode()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.entry(&name).unwrap().layer_name(), Some(name));
        assert!(
            back.layers[0]
                .object_key(&id)
                .ends_with("-0000000000000002")
        );
        assert!(back.layers[0].verify(&id, b"layer bytes").is_ok());
        match back.layers[0].verify(&id, b"layer bytez") {
            Err(Error::Corrupt { file, .. }) => {
                assert!(file.to_string_lossy().contains(&name.to_string()))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Manifest::decode(&key, b"{not json"),
            Err(Error::Corrupt { .. })
        ));
    }
}
