//! COPY FROM in PostgreSQL's BINARY format (asyncpg's `copy_records_to_table` sends it):
//! the 11-byte signature `PGCOPY\n\377\r\n\0`, a 32-bit flags word (bit 16, OIDs, and the
//! other critical bits 17-31 refused), a header extension (its length, then bytes that are
//! skipped); then per tuple a 16-bit field count (-1: the trailer, after which no data may
//! follow) and per field a 32-bit length (-1: NULL) and the value in its type's binary
//! (receive) format, which the session decodes with the column's type. Data may stop at a
//! tuple boundary without the trailer; a partial tuple is "unexpected EOF" (22P04), as in
//! PostgreSQL. At most one unfinished tuple is held between chunks.
//!
//! COPY TO in the same format ([`header`], [`encode_tuple`], [`TRAILER`]): flags 0, no
//! header extension, each value in its type's send format.

use super::{Field, RawRow};
use crate::{Error, Result};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// The end of a binary COPY's data: a field count of -1.
pub const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// The file header a binary COPY TO starts with: the signature, flags 0 (no OIDs), and an
/// empty header extension.
pub fn header() -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out
}

/// Appends one tuple: its field count, then per field the length of its send format (-1
/// for NULL) and the bytes.
pub fn encode_tuple(out: &mut Vec<u8>, row: &[crate::Value], types: &[crate::DataType]) {
    out.extend_from_slice(&(row.len() as i16).to_be_bytes());
    for (v, ty) in row.iter().zip(types) {
        if v.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        let bytes = crate::types::binary::send(v, *ty);
        out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
}

/// The binary decoder's state; see the module docs.
#[derive(Debug, Default)]
pub struct Reader {
    pending: Vec<u8>,
    header_read: bool,
    /// The trailer was seen.
    ended: bool,
    /// Tuples read so far (PostgreSQL's "line" in error context).
    tuples: u64,
    /// Fields each tuple must have (the COPY's columns).
    fields: usize,
}

fn bad(message: impl Into<String>) -> Error {
    Error::BadCopyFileFormat(message.into())
}

impl Reader {
    pub fn new(fields: usize) -> Reader {
        Reader {
            fields,
            ..Reader::default()
        }
    }

    /// The number of the last tuple read.
    pub fn line(&self) -> u64 {
        self.tuples
    }

    /// Feeds a chunk of the stream; returns the tuples it completed.
    pub fn feed(&mut self, data: &[u8], relation: &str) -> Result<Vec<RawRow>> {
        if self.ended {
            if data.is_empty() {
                return Ok(Vec::new());
            }
            return Err(bad("received copy data after EOF marker")
                .with_context(format!("COPY {relation}, line {}", self.tuples)));
        }
        self.pending.extend_from_slice(data);
        let mut pos = 0;
        if !self.header_read {
            match header_len(&self.pending)? {
                Some(n) => {
                    pos = n;
                    self.header_read = true;
                }
                None => return Ok(Vec::new()),
            }
        }
        let mut rows = Vec::new();
        while let Some((row, next)) = self.tuple(pos, relation)? {
            pos = next;
            match row {
                Some(r) => rows.push(r),
                None => {
                    self.ended = true;
                    if next < self.pending.len() {
                        return Err(bad("received copy data after EOF marker")
                            .with_context(format!("COPY {relation}, line {}", self.tuples)));
                    }
                    break;
                }
            }
        }
        self.pending.drain(..pos);
        Ok(rows)
    }

    /// The end of the stream: nothing may be left half-read.
    pub fn finish(&mut self, relation: &str) -> Result<()> {
        if self.ended || (self.header_read && self.pending.is_empty()) {
            return Ok(());
        }
        if !self.header_read {
            // Too short for the header: PostgreSQL checks the signature first.
            let n = self.pending.len().min(SIGNATURE.len());
            if self.pending[..n] != SIGNATURE[..n] || n < SIGNATURE.len() {
                return Err(bad("COPY file signature not recognized"));
            }
            return Err(bad("invalid COPY file header (missing flags)"));
        }
        Err(bad("unexpected EOF in COPY data")
            .with_context(format!("COPY {relation}, line {}", self.tuples + 1)))
    }

    /// The tuple starting at `pos`, if whole: `Some(None)` for the trailer, with the
    /// position after it.
    #[allow(clippy::type_complexity)]
    fn tuple(&mut self, pos: usize, relation: &str) -> Result<Option<(Option<RawRow>, usize)>> {
        let buf = &self.pending;
        let Some(count) = buf.get(pos..pos + 2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        let line = self.tuples + 1;
        if count == -1 {
            return Ok(Some((None, pos + 2)));
        }
        if count < 0 || count as usize != self.fields {
            return Err(bad(format!(
                "row field count is {count}, expected {}",
                self.fields
            ))
            .with_context(format!("COPY {relation}, line {line}")));
        }
        let mut at = pos + 2;
        let mut fields = Vec::with_capacity(self.fields);
        for _ in 0..count {
            let Some(len) = buf.get(at..at + 4) else {
                return Ok(None);
            };
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            at += 4;
            if len == -1 {
                fields.push(Field {
                    value: None,
                    quoted: false,
                    binary: None,
                });
                continue;
            }
            let Ok(len) = usize::try_from(len) else {
                return Err(
                    bad("invalid field size").with_context(format!("COPY {relation}, line {line}"))
                );
            };
            let Some(bytes) = buf.get(at..at + len) else {
                return Ok(None);
            };
            at += len;
            fields.push(Field {
                value: None,
                quoted: false,
                binary: Some(bytes.to_vec()),
            });
        }
        self.tuples = line;
        Ok(Some((
            Some(RawRow {
                line,
                fields,
                text: String::new(),
            }),
            at,
        )))
    }
}

/// The header's length, once all of it arrived; PostgreSQL's errors for a wrong one.
fn header_len(buf: &[u8]) -> Result<Option<usize>> {
    let n = buf.len().min(SIGNATURE.len());
    if buf[..n] != SIGNATURE[..n] {
        return Err(bad("COPY file signature not recognized"));
    }
    let Some(flags) = buf.get(11..15) else {
        return Ok(None);
    };
    let flags = u32::from_be_bytes([flags[0], flags[1], flags[2], flags[3]]);
    if flags & (1 << 16) != 0 {
        return Err(bad("invalid COPY file header (WITH OIDS)"));
    }
    if flags & 0xfffe_0000 != 0 {
        return Err(bad("unrecognized critical flags in COPY file header"));
    }
    let Some(ext) = buf.get(15..19) else {
        return Ok(None);
    };
    let Ok(ext) = usize::try_from(i32::from_be_bytes([ext[0], ext[1], ext[2], ext[3]])) else {
        return Err(bad("invalid COPY file header (missing length)"));
    };
    if buf.len() < 19 + ext {
        return Ok(None);
    }
    Ok(Some(19 + ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(tuples: &[&[Option<&[u8]>]], trailer: bool) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(0u32.to_be_bytes());
        out.extend(0u32.to_be_bytes());
        for t in tuples {
            out.extend((t.len() as i16).to_be_bytes());
            for f in *t {
                match f {
                    None => out.extend((-1i32).to_be_bytes()),
                    Some(b) => {
                        out.extend((b.len() as i32).to_be_bytes());
                        out.extend(*b);
                    }
                }
            }
        }
        if trailer {
            out.extend((-1i16).to_be_bytes());
        }
        out
    }

    #[test]
    fn reads_tuples_in_chunks_of_any_size() {
        let data = stream(
            &[&[Some(&[0, 0, 0, 7]), None], &[Some(b""), Some(b"xy")]],
            true,
        );
        for chunk in 1..data.len() {
            let mut r = Reader::new(2);
            let mut rows = Vec::new();
            for c in data.chunks(chunk) {
                rows.extend(r.feed(c, "t").unwrap());
            }
            r.finish("t").unwrap();
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[0].fields[0].binary.as_deref(), Some(&[0, 0, 0, 7][..]));
            assert_eq!(rows[0].fields[1].binary, None);
            assert_eq!(rows[1].fields[1].binary.as_deref(), Some(&b"xy"[..]));
            assert_eq!(rows[1].line, 2);
        }
    }

    #[test]
    fn refuses_what_postgres_refuses() {
        let msg = |r: Result<Vec<RawRow>>| r.unwrap_err().to_string();
        assert_eq!(
            msg(Reader::new(1).feed(b"PGCOPX\n", "t")),
            "COPY file signature not recognized"
        );
        let data = stream(&[&[None, None]], true);
        assert_eq!(
            msg(Reader::new(1).feed(&data, "t")),
            "row field count is 2, expected 1"
        );
        let mut data = stream(&[&[None]], true);
        data.push(0);
        assert_eq!(
            msg(Reader::new(1).feed(&data, "t")),
            "received copy data after EOF marker"
        );
        let data = stream(&[&[Some(b"abc")]], false);
        let mut r = Reader::new(1);
        r.feed(&data[..data.len() - 1], "t").unwrap();
        assert_eq!(
            r.finish("t").unwrap_err().to_string(),
            "unexpected EOF in COPY data"
        );
        let mut r = Reader::new(1);
        r.feed(&stream(&[&[Some(b"abc")]], false), "t").unwrap();
        r.finish("t").unwrap();
    }
}
