//! The timeline control file: the acceptor's persistent state.
//!
//! [`ControlState`] is plain data owned by the acceptor core; this module only
//! encodes, decodes and persists it. The encoding is a small little-endian
//! binary format, checked on every read:
//!
//! ```text
//! magic "SKCT" | version:u32 | body_len:u32 | body (body_len bytes) | crc32c:u32
//! body v1: term:u64 | has_vote:u8 | voted_for:u64 | flush_lsn:u64 | commit_lsn:u64
//!          | backup_lsn:u64 | peer_horizon_lsn:u64 | remote_consistent_lsn:u64
//!          | timeline_start_lsn:u64 | pageserver_generation:u64
//!          | history_len:u32 | history_len × (term:u64, start_lsn:u64)
//! ```
//! The CRC32C covers every byte before it. Decoding rejects a wrong magic, an
//! unknown version, a length mismatch or a bad CRC with
//! [`StorageError::BadControlFile`] naming the file. [`ControlFile::store`]
//! replaces the file atomically (temp file, fsync, rename, fsync directory),
//! so a crash leaves the old state or the new one, never a mix.

use std::path::{Path, PathBuf};

use proto::Lsn;
use proto::grpc::TermSwitch;
use proto::record::Term;

use super::{Result, SharedFs, StorageError, atomic_write, io_err, std_fs};

const MAGIC: [u8; 4] = *b"SKCT";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 12;
const CRC_LEN: usize = 4;
/// Fixed part of a v1 body: nine u64 fields, a u8 flag and the u32 history
/// length.
const BODY_FIXED_LEN: usize = 9 * 8 + 1 + 4;
const HISTORY_ENTRY_LEN: usize = 16;

/// The acceptor's persistent state for one timeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlState {
    /// The highest term this acceptor has seen; it rejects anything older.
    pub term: Term,
    /// The proposer this acceptor voted for in `term`, if any.
    pub voted_for: Option<u64>,
    /// `(term, start_lsn)` for every term that wrote WAL here, in order.
    pub term_history: Vec<TermSwitch>,
    /// Informational: the WAL's flush LSN when this state was written (the
    /// WAL itself is the truth, see `Wal::open`).
    pub flush_lsn: Lsn,
    /// Highest LSN known committed (flushed on a majority); a record end.
    pub commit_lsn: Lsn,
    /// WAL below this is in object storage.
    pub backup_lsn: Lsn,
    /// WAL below this is on every safekeeper.
    pub peer_horizon_lsn: Lsn,
    /// The pageserver has made WAL below this durable in object storage.
    pub remote_consistent_lsn: Lsn,
    /// Where the timeline's WAL starts (a branch's branch point).
    pub timeline_start_lsn: Lsn,
    /// Highest pageserver generation issued for this timeline.
    pub pageserver_generation: u64,
}

impl ControlState {
    /// Encodes the state in the current format (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let body_len = BODY_FIXED_LEN + HISTORY_ENTRY_LEN * self.term_history.len();
        let mut out = Vec::with_capacity(HEADER_LEN + body_len + CRC_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body_len as u32).to_le_bytes());
        let put = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        put(&mut out, self.term);
        out.push(u8::from(self.voted_for.is_some()));
        put(&mut out, self.voted_for.unwrap_or(0));
        for lsn in [
            self.flush_lsn,
            self.commit_lsn,
            self.backup_lsn,
            self.peer_horizon_lsn,
            self.remote_consistent_lsn,
            self.timeline_start_lsn,
        ] {
            put(&mut out, lsn.0);
        }
        put(&mut out, self.pageserver_generation);
        out.extend_from_slice(&(self.term_history.len() as u32).to_le_bytes());
        for t in &self.term_history {
            put(&mut out, t.term);
            put(&mut out, t.start_lsn.0);
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a control file's bytes; `path` only names the file in errors.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<ControlState> {
        let bad = |reason: String| StorageError::BadControlFile {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() < HEADER_LEN + CRC_LEN {
            return Err(bad(format!("{} bytes is too short", bytes.len())));
        }
        if bytes[0..4] != MAGIC {
            return Err(bad(format!("bad magic {:02x?}", &bytes[0..4])));
        }
        let version = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "unsupported format version {version} (this build reads {FORMAT_VERSION})"
            )));
        }
        let body_len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
        if bytes.len() != HEADER_LEN + body_len + CRC_LEN {
            return Err(bad(format!(
                "file is {} bytes but its header says {}",
                bytes.len(),
                HEADER_LEN + body_len + CRC_LEN
            )));
        }
        let (covered, crc) = bytes.split_at(HEADER_LEN + body_len);
        let stored = u32::from_le_bytes(crc.try_into().expect("4 bytes"));
        let computed = crc32c::crc32c(covered);
        if stored != computed {
            return Err(bad(format!(
                "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            )));
        }
        decode_body(&covered[HEADER_LEN..]).map_err(|r| bad(r.to_string()))
    }
}

/// Reads fields off a byte slice.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn u64(&mut self) -> Result<u64, &'static str> {
        let (head, rest) = self.0.split_at_checked(8).ok_or("truncated body")?;
        self.0 = rest;
        Ok(u64::from_le_bytes(head.try_into().expect("8 bytes")))
    }
    fn u32(&mut self) -> Result<u32, &'static str> {
        let (head, rest) = self.0.split_at_checked(4).ok_or("truncated body")?;
        self.0 = rest;
        Ok(u32::from_le_bytes(head.try_into().expect("4 bytes")))
    }
    fn u8(&mut self) -> Result<u8, &'static str> {
        let (&b, rest) = self.0.split_first().ok_or("truncated body")?;
        self.0 = rest;
        Ok(b)
    }
}

fn decode_body(body: &[u8]) -> Result<ControlState, &'static str> {
    let mut c = Cursor(body);
    let term = c.u64()?;
    let has_vote = c.u8()?;
    let voted_for = c.u64()?;
    let voted_for = match has_vote {
        0 => None,
        1 => Some(voted_for),
        _ => return Err("bad vote flag"),
    };
    let mut state = ControlState {
        term,
        voted_for,
        flush_lsn: Lsn(c.u64()?),
        commit_lsn: Lsn(c.u64()?),
        backup_lsn: Lsn(c.u64()?),
        peer_horizon_lsn: Lsn(c.u64()?),
        remote_consistent_lsn: Lsn(c.u64()?),
        timeline_start_lsn: Lsn(c.u64()?),
        pageserver_generation: c.u64()?,
        term_history: Vec::new(),
    };
    let n = c.u32()? as usize;
    if c.0.len() != n.saturating_mul(HISTORY_ENTRY_LEN) {
        return Err("term history length does not match the body");
    }
    state.term_history.reserve(n);
    for _ in 0..n {
        state.term_history.push(TermSwitch {
            term: c.u64()?,
            start_lsn: Lsn(c.u64()?),
        });
    }
    Ok(state)
}

/// The control file of one timeline directory.
#[derive(Clone, Debug)]
pub struct ControlFile {
    fs: SharedFs,
    dir: PathBuf,
}

impl ControlFile {
    /// The file's name inside the timeline directory.
    pub const NAME: &'static str = "control";

    /// The control file of the timeline in `timeline_dir`.
    pub fn new(timeline_dir: impl Into<PathBuf>) -> ControlFile {
        ControlFile::with_fs(std_fs(), timeline_dir)
    }

    /// The control file of the timeline in `timeline_dir` on `fs`.
    pub fn with_fs(fs: SharedFs, timeline_dir: impl Into<PathBuf>) -> ControlFile {
        ControlFile {
            fs,
            dir: timeline_dir.into(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(Self::NAME)
    }

    /// Whether the file exists (a timeline exists once it does).
    /// A failing `stat` is an error, never "missing".
    pub fn exists(&self) -> Result<bool> {
        let path = self.path();
        self.fs
            .is_file(&path)
            .map_err(crate::storage::io_err("stat control file", &path))
    }

    /// Reads and verifies the state.
    pub fn load(&self) -> Result<ControlState> {
        let path = self.path();
        let bytes = match self.fs.read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::BadControlFile {
                    path,
                    reason: "missing".into(),
                });
            }
            Err(e) => return Err(io_err("read control file", &path)(e)),
        };
        ControlState::decode(&bytes, &path)
    }

    /// Persists `state` atomically and durably.
    pub fn store(&self, state: &ControlState) -> Result<()> {
        atomic_write(&*self.fs, &self.dir, Self::NAME, &state.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::TempDir;
    use proptest::prelude::*;

    fn sample() -> ControlState {
        ControlState {
            term: 7,
            voted_for: Some(3),
            term_history: vec![
                TermSwitch {
                    term: 1,
                    start_lsn: Lsn(0x100_0000),
                },
                TermSwitch {
                    term: 7,
                    start_lsn: Lsn(0x100_2000),
                },
            ],
            flush_lsn: Lsn(0x100_3000),
            commit_lsn: Lsn(0x100_2F00),
            backup_lsn: Lsn(0x100_1000),
            peer_horizon_lsn: Lsn(0x100_1800),
            remote_consistent_lsn: Lsn(0x100_0800),
            timeline_start_lsn: Lsn(0x100_0000),
            pageserver_generation: 4,
        }
    }

    #[test]
    fn round_trip_on_disk_and_atomic_replace() {
        let dir = TempDir::new("control-round-trip");
        let cf = ControlFile::new(dir.path());
        assert!(!cf.exists().unwrap());
        let mut state = sample();
        cf.store(&state).unwrap();
        assert_eq!(cf.load().unwrap(), state);
        state.term = 8;
        state.voted_for = None;
        state.term_history.clear();
        cf.store(&state).unwrap();
        assert_eq!(cf.load().unwrap(), state);
        // A stale temp file (crash before rename) does not affect the state.
        std::fs::write(dir.path().join("control.tmp"), b"garbage").unwrap();
        assert_eq!(cf.load().unwrap(), state);
        cf.store(&ControlState::default()).unwrap();
        assert_eq!(cf.load().unwrap(), ControlState::default());
    }

    #[test]
    fn missing_file_is_bad_control_file() {
        let dir = TempDir::new("control-missing");
        let err = ControlFile::new(dir.path()).load().unwrap_err();
        assert!(matches!(err, StorageError::BadControlFile { .. }), "{err}");
    }

    #[test]
    fn corrupt_file_is_rejected_naming_the_path() {
        let dir = TempDir::new("control-corrupt");
        let cf = ControlFile::new(dir.path());
        cf.store(&sample()).unwrap();
        let mut bytes = std::fs::read(cf.path()).unwrap();
        bytes[20] ^= 0x40;
        std::fs::write(cf.path(), &bytes).unwrap();
        let err = cf.load().unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StorageError::BadControlFile { .. }), "{msg}");
        assert!(msg.contains("control") && msg.contains("checksum"), "{msg}");
    }

    #[test]
    fn rejects_bad_magic_version_and_length() {
        let p = Path::new("/x/control");
        let good = sample().encode();
        let mut magic = good.clone();
        magic[0] = b'X';
        assert!(
            ControlState::decode(&magic, p)
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        let mut version = good.clone();
        version[4] = 9;
        assert!(
            ControlState::decode(&version, p)
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
        assert!(ControlState::decode(&good[..good.len() - 1], p).is_err());
        assert!(ControlState::decode(&[], p).is_err());
    }

    fn arb_state() -> impl Strategy<Value = ControlState> {
        (
            any::<u64>(),
            any::<Option<u64>>(),
            prop::collection::vec((any::<u64>(), any::<u64>()), 0..8),
            any::<[u64; 7]>(),
        )
            .prop_map(|(term, voted_for, history, l)| ControlState {
                term,
                voted_for,
                term_history: history
                    .into_iter()
                    .map(|(term, lsn)| TermSwitch {
                        term,
                        start_lsn: Lsn(lsn),
                    })
                    .collect(),
                flush_lsn: Lsn(l[0]),
                commit_lsn: Lsn(l[1]),
                backup_lsn: Lsn(l[2]),
                peer_horizon_lsn: Lsn(l[3]),
                remote_consistent_lsn: Lsn(l[4]),
                timeline_start_lsn: Lsn(l[5]),
                pageserver_generation: l[6],
            })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(state in arb_state()) {
            let p = Path::new("control");
            prop_assert_eq!(ControlState::decode(&state.encode(), p).unwrap(), state);
        }

        #[test]
        fn any_flipped_bit_is_rejected(state in arb_state(), at: prop::sample::Index, bit in 0u8..8) {
            let mut bytes = state.encode();
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
            prop_assert!(ControlState::decode(&bytes, Path::new("control")).is_err());
        }

        /// Fuzzing (issue 13): arbitrary bytes, and arbitrary contents behind a valid
        /// header with a matching checksum (what the field parser sees past the CRC), are
        /// decoded or refused, never a panic or a huge allocation.
        #[test]
        fn arbitrary_and_checksummed_garbage_never_panics(
            raw in prop::collection::vec(any::<u8>(), 0..300),
            declared in any::<u32>(),
        ) {
            let _ = ControlState::decode(&raw, Path::new("control"));
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&MAGIC);
            bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            let body_len = if declared % 2 == 0 { raw.len() as u32 } else { declared };
            bytes.extend_from_slice(&body_len.to_le_bytes());
            bytes.extend_from_slice(&raw);
            let crc = crc32c::crc32c(&bytes);
            bytes.extend_from_slice(&crc.to_le_bytes());
            let _ = ControlState::decode(&bytes, Path::new("control"));
        }
    }
}
