//! WAL records: one committed transaction or one DDL/maintenance action.
//!
//! A [`Record`] is `{ kind, commit timestamp, flags, page_changes }`. Only
//! committed work reaches the WAL, so every record boundary is a
//! transaction-consistent snapshot. A [`PageChange`] is either a full image or
//! a delta (byte runs) computed against the page as of `base_lsn`, plus the
//! CRC32C the page must have after the change (see [`crate::redo`]).
//!
//! Payload layout (little-endian), before framing ([`crate::frame`]):
//!
//! ```text
//! record  := version:u8 kind:u8 flags:u16 timestamp_us:i64 kind_body n_changes:u32 change*
//! kind_body := Commit: ()  | TermStart: term:u64 | DropRelation: rel:u32
//! change  := rel:u32 block:u32 base_lsn:u64 crc_after:u32 body_kind:u8 body
//! body    := Image: 8192 bytes | Delta: n_runs:u16 (offset:u16 len:u16 bytes)*
//! ```
//!
//! Decoding validates every length against the bytes actually present before
//! allocating, so malformed input is a typed error, never a panic or an
//! unbounded allocation. Image and delta bytes are zero-copy slices of the
//! decoded payload.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::page::{PAGE_HEADER_SIZE, PAGE_SIZE};
use crate::{Error, Lsn, PageKey, RelId};

/// Version byte written at the start of every record payload.
pub const RECORD_FORMAT_VERSION: u8 = 1;

/// Microseconds since the Unix epoch.
pub type TimestampUs = i64;

/// Now, in microseconds since the Unix epoch (0 if the clock reads before it): the clock
/// commit records are stamped with and every component's "now" for WAL-related times.
pub fn now_us() -> TimestampUs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as TimestampUs)
}

/// A consensus term.
pub type Term = u64;

/// Record flag: the record changes the catalog (plan caches must drop).
pub const FLAG_CATALOG_CHANGED: u16 = 1;

/// What a record does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A committed transaction's page changes.
    Commit,
    /// The first record of every term. As a FIRST frame it also tells readers
    /// to drop a partial record inherited from the previous term.
    TermStart { term: Term },
    /// A key-range tombstone for a dropped relation (plus catalog changes).
    DropRelation { rel: RelId },
}

impl RecordKind {
    fn tag(self) -> u8 {
        match self {
            RecordKind::Commit => 1,
            RecordKind::TermStart { .. } => 2,
            RecordKind::DropRelation { .. } => 3,
        }
    }
}

/// One WAL record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    pub timestamp_us: TimestampUs,
    pub flags: u16,
    pub page_changes: Vec<PageChange>,
}

/// One page's change within a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageChange {
    pub key: PageKey,
    /// The `page_lsn` the change was computed against ([`Lsn::INVALID`] for a
    /// new page). Images replace the page whatever its LSN.
    pub base_lsn: Lsn,
    pub body: PageBody,
    /// CRC32C of the page after the change, with `page_lsn` = the record's
    /// end LSN: it equals the page's header CRC.
    pub crc_after: u32,
}

/// A full page or the byte runs that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageBody {
    /// All [`PAGE_SIZE`] bytes (the header bytes are overwritten by redo).
    Image(Bytes),
    Delta(Delta),
}

/// Changed byte runs, kept in their encoded form (`n_runs:u16 (offset:u16
/// len:u16 bytes)*`, already validated) so decoding allocates nothing per run.
/// Runs never touch the common page header, are in increasing offset order
/// and do not overlap.
#[derive(Clone, PartialEq, Eq)]
pub struct Delta(Bytes);

impl std::fmt::Debug for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.runs().map(|(o, d)| (o, d.len())))
            .finish()
    }
}

impl Delta {
    /// Builds a delta from runs. Panics if runs overlap, are out of order or
    /// touch the header: the caller ([`crate::redo::diff`]) makes them.
    pub fn from_runs<'a>(runs: impl IntoIterator<Item = (u16, &'a [u8])>) -> Delta {
        let mut out = BytesMut::new();
        out.put_u16_le(0);
        let mut n: u16 = 0;
        let mut next_free = PAGE_HEADER_SIZE;
        for (offset, data) in runs {
            let off = offset as usize;
            assert!(off >= next_free && off + data.len() <= PAGE_SIZE && !data.is_empty());
            next_free = off + data.len();
            out.put_u16_le(offset);
            out.put_u16_le(data.len() as u16);
            out.put_slice(data);
            n += 1;
        }
        out[0..2].copy_from_slice(&n.to_le_bytes());
        Delta(out.freeze())
    }

    /// The runs as `(offset, bytes)`.
    pub fn runs(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let b = &self.0[..];
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        let mut pos = 2;
        (0..n).map(move |_| {
            let off = u16::from_le_bytes([b[pos], b[pos + 1]]) as usize;
            let len = u16::from_le_bytes([b[pos + 2], b[pos + 3]]) as usize;
            let data = &b[pos + 4..pos + 4 + len];
            pos += 4 + len;
            (off, data)
        })
    }

    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        self.0.len()
    }

    /// Validates an encoded delta at the front of `buf` and splits it off.
    fn decode(buf: &mut Bytes) -> Result<Delta, &'static str> {
        if buf.len() < 2 {
            return Err("truncated delta");
        }
        let n = u16::from_le_bytes([buf[0], buf[1]]) as usize;
        let mut pos = 2;
        let mut next_free = PAGE_HEADER_SIZE;
        for _ in 0..n {
            if buf.len() < pos + 4 {
                return Err("truncated delta run");
            }
            let off = u16::from_le_bytes([buf[pos], buf[pos + 1]]) as usize;
            let len = u16::from_le_bytes([buf[pos + 2], buf[pos + 3]]) as usize;
            if len == 0 || off < next_free || off + len > PAGE_SIZE {
                return Err("delta run out of bounds or out of order");
            }
            if buf.len() < pos + 4 + len {
                return Err("truncated delta run");
            }
            next_free = off + len;
            pos += 4 + len;
        }
        Ok(Delta(buf.split_to(pos)))
    }
}

const CHANGE_FIXED: usize = 4 + 4 + 8 + 4 + 1;
const BODY_IMAGE: u8 = 1;
const BODY_DELTA: u8 = 2;

impl PageChange {
    fn encoded_len(&self) -> usize {
        CHANGE_FIXED
            + match &self.body {
                PageBody::Image(_) => PAGE_SIZE,
                PageBody::Delta(d) => d.encoded_len(),
            }
    }
}

impl Record {
    /// A `Commit` record.
    pub fn commit(timestamp_us: TimestampUs, page_changes: Vec<PageChange>) -> Record {
        Record {
            kind: RecordKind::Commit,
            timestamp_us,
            flags: 0,
            page_changes,
        }
    }

    /// The payload size [`Record::encode_payload`] will produce.
    pub fn payload_len(&self) -> usize {
        let kind_body = match self.kind {
            RecordKind::Commit => 0,
            RecordKind::TermStart { .. } => 8,
            RecordKind::DropRelation { .. } => 4,
        };
        1 + 1
            + 2
            + 8
            + kind_body
            + 4
            + self
                .page_changes
                .iter()
                .map(|c| c.encoded_len())
                .sum::<usize>()
    }

    /// Appends the unframed payload to `out`.
    pub fn encode_payload(&self, out: &mut BytesMut) {
        out.reserve(self.payload_len());
        out.put_u8(RECORD_FORMAT_VERSION);
        out.put_u8(self.kind.tag());
        out.put_u16_le(self.flags);
        out.put_i64_le(self.timestamp_us);
        match self.kind {
            RecordKind::Commit => {}
            RecordKind::TermStart { term } => out.put_u64_le(term),
            RecordKind::DropRelation { rel } => out.put_u32_le(rel.0),
        }
        let n = u32::try_from(self.page_changes.len()).expect("fewer than 4G page changes");
        out.put_u32_le(n);
        for c in &self.page_changes {
            out.put_u32_le(c.key.rel.0);
            out.put_u32_le(c.key.block);
            out.put_u64_le(c.base_lsn.0);
            out.put_u32_le(c.crc_after);
            match &c.body {
                PageBody::Image(img) => {
                    assert_eq!(img.len(), PAGE_SIZE, "page images are {PAGE_SIZE} bytes");
                    out.put_u8(BODY_IMAGE);
                    out.put_slice(img);
                }
                PageBody::Delta(d) => {
                    out.put_u8(BODY_DELTA);
                    out.put_slice(&d.0);
                }
            }
        }
    }

    /// Decodes a whole payload. `lsn` (the record's start) only labels errors.
    pub fn decode_payload(mut buf: Bytes, lsn: Lsn) -> Result<Record, Error> {
        let bad = |reason: &'static str| Error::MalformedRecord { lsn, reason };
        if buf.len() < 1 + 1 + 2 + 8 {
            return Err(bad("truncated record header"));
        }
        let version = buf.get_u8();
        if version != RECORD_FORMAT_VERSION {
            return Err(bad("unknown record format version"));
        }
        let tag = buf.get_u8();
        let flags = buf.get_u16_le();
        let timestamp_us = buf.get_i64_le();
        let kind = match tag {
            1 => RecordKind::Commit,
            2 => {
                if buf.len() < 8 {
                    return Err(bad("truncated TermStart"));
                }
                RecordKind::TermStart {
                    term: buf.get_u64_le(),
                }
            }
            3 => {
                if buf.len() < 4 {
                    return Err(bad("truncated DropRelation"));
                }
                RecordKind::DropRelation {
                    rel: RelId(buf.get_u32_le()),
                }
            }
            _ => return Err(Error::UnknownRecordKind { lsn, kind: tag }),
        };
        if buf.len() < 4 {
            return Err(bad("truncated change count"));
        }
        let n = buf.get_u32_le() as usize;
        // Every change takes at least CHANGE_FIXED + 2 bytes: bound the
        // allocation by what is really there.
        if n > buf.len() / (CHANGE_FIXED + 2) {
            return Err(bad("change count exceeds record size"));
        }
        let mut page_changes = Vec::with_capacity(n);
        for _ in 0..n {
            if buf.len() < CHANGE_FIXED {
                return Err(bad("truncated page change"));
            }
            let key = PageKey::new(buf.get_u32_le(), buf.get_u32_le());
            let base_lsn = Lsn(buf.get_u64_le());
            let crc_after = buf.get_u32_le();
            let body = match buf.get_u8() {
                BODY_IMAGE => {
                    if buf.len() < PAGE_SIZE {
                        return Err(bad("truncated page image"));
                    }
                    PageBody::Image(buf.split_to(PAGE_SIZE))
                }
                BODY_DELTA => PageBody::Delta(Delta::decode(&mut buf).map_err(bad)?),
                _ => return Err(bad("unknown page change body")),
            };
            page_changes.push(PageChange {
                key,
                base_lsn,
                body,
                crc_after,
            });
        }
        if !buf.is_empty() {
            return Err(bad("trailing bytes after record"));
        }
        Ok(Record {
            kind,
            timestamp_us,
            flags,
            page_changes,
        })
    }
}
