//! `strata waldump`: print the records in a file of framed WAL, like
//! PostgreSQL's `pg_waldump`.
//!
//! The file holds WAL starting at a record boundary `--start` (a safekeeper
//! segment, or bytes captured from a WAL stream). Decoding uses the same
//! streaming decoder as every reader; zeroed pre-allocated space ends the
//! dump quietly, anything else that is not a valid frame is reported with its
//! LSN and file offset.

use std::io::{Read, Write};

use proto::{Error, Lsn, PageBody, RecordKind, WalDecoder};

/// What the dump found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub records: u64,
    pub page_changes: u64,
    pub end_lsn: Lsn,
}

/// Decodes WAL from `input` (starting at `start`) and writes one line per
/// record to `out`. Stops at zeroed space or the end of input; a partial
/// record at the end is reported, not printed.
pub fn dump(input: &mut dyn Read, start: Lsn, out: &mut dyn Write) -> Result<Summary, DumpError> {
    let mut dec = WalDecoder::new(start);
    let mut summary = Summary {
        end_lsn: start,
        ..Summary::default()
    };
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = input.read(&mut buf).map_err(DumpError::Read)?;
        if n == 0 {
            break;
        }
        dec.push(&buf[..n]);
        loop {
            match dec.next_record() {
                Ok(Some(r)) => {
                    let (images, deltas) =
                        r.record
                            .page_changes
                            .iter()
                            .fold((0, 0), |(i, d), c| match c.body {
                                PageBody::Image(_) => (i + 1, d),
                                PageBody::Delta(_) => (i, d + 1),
                            });
                    let kind = match r.record.kind {
                        RecordKind::Commit => "Commit".to_string(),
                        RecordKind::TermStart { term } => format!("TermStart term={term}"),
                        RecordKind::DropRelation { rel } => format!("DropRelation rel={}", rel.0),
                    };
                    writeln!(
                        out,
                        "lsn {}..{} len {} {kind} ts {} flags {:#x} changes {} (images {images}, deltas {deltas})",
                        r.start,
                        r.end,
                        r.end.0 - r.start.0,
                        r.record.timestamp_us,
                        r.record.flags,
                        r.record.page_changes.len()
                    )
                    .map_err(DumpError::Write)?;
                    summary.records += 1;
                    summary.page_changes += r.record.page_changes.len() as u64;
                    summary.end_lsn = r.end;
                }
                Ok(None) => break,
                // Zeroed (pre-allocated) space: the end of written WAL.
                Err(Error::BadFrameLength { len: 0, .. }) => return finish(summary, &dec, out),
                Err(e) => {
                    return Err(DumpError::Corrupt {
                        offset: e_lsn(&e).map_or(0, |l| l.0 - start.0),
                        source: e,
                    });
                }
            }
        }
    }
    finish(summary, &dec, out)
}

fn finish(summary: Summary, dec: &WalDecoder, out: &mut dyn Write) -> Result<Summary, DumpError> {
    if let Some(p) = dec.pending_start() {
        writeln!(out, "partial record at {p} (its LAST frame is missing)")
            .map_err(DumpError::Write)?;
    }
    Ok(summary)
}

fn e_lsn(e: &Error) -> Option<Lsn> {
    match e {
        Error::BadFrameLength { lsn, .. }
        | Error::FrameChecksum { lsn }
        | Error::UnexpectedContinuation { lsn }
        | Error::UnknownRecordKind { lsn, .. }
        | Error::MalformedRecord { lsn, .. }
        | Error::RecordTooLarge { lsn, .. } => Some(*lsn),
        _ => None,
    }
}

/// Why a dump stopped.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("read WAL: {0}")]
    Read(std::io::Error),
    #[error("write output: {0}")]
    Write(std::io::Error),
    #[error("at file offset {offset}: {source}")]
    Corrupt { offset: u64, source: Error },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{Record, frame};

    #[test]
    fn dumps_records_and_stops_at_zeroes() {
        let mut wal = Vec::new();
        for ts in 0..3 {
            wal.extend_from_slice(&frame::encode_record(&Record::commit(ts, vec![])));
        }
        let end = Lsn(1000 + wal.len() as u64);
        wal.extend_from_slice(&[0; 100]);
        let mut out = Vec::new();
        let s = dump(&mut &wal[..], Lsn(1000), &mut out).unwrap();
        assert_eq!(s.records, 3);
        assert_eq!(s.end_lsn, end);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.starts_with("lsn 0/3E8..0/"), "{text}");
    }

    #[test]
    fn corruption_names_the_offset() {
        let mut wal = frame::encode_record(&Record::commit(0, vec![])).to_vec();
        let second = wal.len();
        wal.extend_from_slice(&frame::encode_record(&Record::commit(1, vec![])));
        wal[second + 12] ^= 1;
        let err = dump(&mut &wal[..], Lsn(1000), &mut Vec::new()).unwrap_err();
        assert!(
            err.to_string().contains(&format!("offset {second}")),
            "{err}"
        );
    }
}
