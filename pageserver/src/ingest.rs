//! WAL ingest: one task per timeline streams committed WAL from a
//! [`WalSource`], decodes it with the shared [`WalDecoder`] and feeds whole
//! records to [`crate::LayeredTimeline::ingest`].
//!
//! The task always (re)starts at the timeline's `last_record_lsn`, a record
//! boundary, so a reconnect — to the same source or, for the safekeeper
//! client, to whichever safekeeper is now most advanced — never re-applies or
//! skips a record: chunk bytes before the decoder's position are skipped, a
//! gap is an error that restarts the stream. Partial records stay pending in
//! the decoder and are never applied. After each chunk's records the new
//! `last_record_lsn` is published (waking GetPage waiters), commit
//! timestamps are indexed, and a flush is requested when the in-memory layer
//! was frozen. Errors are logged here and retried with backoff; corrupt WAL
//! is retried too (another safekeeper may hold a good copy).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use proto::{DecodedRecord, Lsn, RecordKind, WalDecoder};
use tracing::Instrument;

use crate::timeline_handle::TimelineHandle;
use crate::wal_source::WalSource;
use crate::{Error, Result, blocking, metrics};

const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs ingest for `handle` until its cancellation token fires.
pub async fn run(handle: Arc<TimelineHandle>, source: Arc<dyn WalSource>) {
    let span =
        tracing::info_span!("ingest", tenant = %handle.id.tenant, timeline = %handle.id.timeline);
    async move {
        let mut backoff = proto::backoff::Backoff::new(MIN_BACKOFF, MAX_BACKOFF);
        loop {
            let r = tokio::select! {
                r = stream_once(&handle, &*source) => r,
                _ = handle.cancel.cancelled() => return,
            };
            match r {
                Ok(progressed) => {
                    tracing::info!("WAL stream ended; reconnecting");
                    if progressed {
                        backoff.reset();
                    }
                }
                Err(e) => {
                    let backoff = backoff.peek();
                    tracing::warn!(error = %e, ?backoff, "WAL stream failed; reconnecting")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff.next_delay()) => {}
                _ = handle.cancel.cancelled() => return,
            }
        }
    }
    .instrument(span)
    .await
}

/// Streams once from `last_record_lsn`; `Ok(true)` if any record was
/// ingested before the stream ended.
async fn stream_once(handle: &Arc<TimelineHandle>, source: &dyn WalSource) -> Result<bool> {
    let start = handle.last_record_lsn();
    let mut stream = source.read_wal(&handle.id, start).await?;
    let mut decoder = StreamDecoder::new(start);
    let mut progressed = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let records = decoder.push(chunk.start_lsn, &chunk.wal)?;
        let lag = chunk.commit_lsn.0.saturating_sub(decoder.pos().0);
        metrics::INGEST_LAG_BYTES
            .with_label_values(&[handle.id.tenant.as_str(), handle.id.timeline.as_str()])
            .set(lag as i64);
        if records.is_empty() {
            continue;
        }
        progressed = true;
        ingest_records(handle, records).await?;
    }
    Ok(progressed)
}

/// The pure core of one WAL stream's ingest (no I/O; the deterministic
/// simulation of the safekeepers drives it too): chunks of committed WAL
/// in, whole records out. It starts at a record boundary, skips the part
/// of a chunk it already consumed (a source may resend), refuses a chunk
/// that leaves a gap, and keeps a partial record pending until its last
/// frame (a `TermStart` after a tail that ended inside a record drops it).
#[derive(Debug)]
pub struct StreamDecoder {
    decoder: WalDecoder,
    /// End of the bytes pushed into the decoder.
    pos: Lsn,
}

impl StreamDecoder {
    /// A stream positioned at the record boundary `start`.
    pub fn new(start: Lsn) -> StreamDecoder {
        StreamDecoder {
            decoder: WalDecoder::new(start),
            pos: start,
        }
    }

    /// Where the next chunk must start (at the latest).
    pub fn pos(&self) -> Lsn {
        self.pos
    }

    /// Takes the chunk `wal` starting at `start` and returns the records it
    /// completes, in WAL order. A gap is an error (the stream restarts); so
    /// is corrupt WAL (another safekeeper may hold a good copy).
    pub fn push(&mut self, start: Lsn, wal: &[u8]) -> Result<Vec<DecodedRecord>> {
        let Some(fresh) = fresh_part(start, wal, self.pos)? else {
            return Ok(Vec::new());
        };
        self.decoder.push(fresh);
        self.pos = start + wal.len() as u64;
        let mut records = Vec::new();
        while let Some(rec) = self
            .decoder
            .next_record()
            .map_err(|e| Error::Safekeeper(format!("corrupt WAL near {}: {e}", self.pos)))?
        {
            records.push(rec);
        }
        Ok(records)
    }
}

/// The part of the chunk `wal` starting at `start` that is at or after
/// `pos`; an error if the chunk starts after `pos` (a gap).
fn fresh_part(start: Lsn, wal: &[u8], pos: Lsn) -> Result<Option<&[u8]>> {
    if start > pos {
        return Err(Error::Safekeeper(format!(
            "WAL chunk starts at {start}, expected {pos}"
        )));
    }
    let skip = (pos.0 - start.0) as usize;
    Ok((skip < wal.len()).then(|| &wal[skip..]))
}

/// Ingests decoded records (off the async threads: a freeze may allocate).
async fn ingest_records(handle: &Arc<TimelineHandle>, records: Vec<DecodedRecord>) -> Result<()> {
    let h = handle.clone();
    let (last, froze) = blocking(move || {
        let mut tl = h.write();
        let frozen_before = tl.counters().freezes;
        for rec in &records {
            tl.ingest(rec)?;
        }
        let froze = tl.counters().freezes > frozen_before;
        let last = tl.last_record_lsn();
        drop(tl);
        let mut commits = h.commits();
        for rec in &records {
            if rec.record.kind == RecordKind::Commit {
                commits.push(rec.record.timestamp_us, rec.end);
            }
        }
        Ok((last, froze))
    })
    .await?;
    handle.advance(last);
    metrics::LAST_RECORD_LSN
        .with_label_values(&[handle.id.tenant.as_str(), handle.id.timeline.as_str()])
        .set(last.0 as i64);
    if froze {
        handle.flush_wanted.notify_one();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use proto::{PageKey, Record, RecordKind};

    #[test]
    fn overlap_is_skipped_and_gaps_fail() {
        let wal = b"abcdef";
        assert_eq!(
            fresh_part(Lsn(100), wal, Lsn(100)).unwrap(),
            Some(&b"abcdef"[..])
        );
        assert_eq!(
            fresh_part(Lsn(100), wal, Lsn(103)).unwrap(),
            Some(&b"def"[..])
        );
        assert_eq!(fresh_part(Lsn(100), wal, Lsn(106)).unwrap(), None);
        assert!(fresh_part(Lsn(101), wal, Lsn(100)).is_err());
    }

    fn wal_of(records: &[Record]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for r in records {
            out.extend_from_slice(&proto::frame::encode_record(r));
        }
        out.to_vec()
    }

    /// Whatever the chunking — cut inside frames, resent overlaps — the
    /// stream yields each record once, whole, at its LSNs.
    #[test]
    fn records_come_out_once_whatever_the_chunks() {
        let start = Lsn(1000);
        let records: Vec<Record> = (0..20u32)
            .map(|i| {
                let page = proto::page::zeroed_page();
                let change = proto::redo::diff(PageKey::new(1, i), None, &page, Lsn(1));
                Record::commit(i64::from(i), vec![change])
            })
            .collect();
        let wal = wal_of(&records);
        let whole = {
            let mut d = StreamDecoder::new(start);
            d.push(start, &wal).unwrap()
        };
        assert_eq!(whole.len(), records.len());
        assert_eq!(whole[0].start, start);
        assert!(whole.iter().all(|r| r.record.kind == RecordKind::Commit));
        for step in [1, 7, 100, 4097] {
            let mut d = StreamDecoder::new(start);
            let mut got = Vec::new();
            let mut at = 0;
            while at < wal.len() {
                // Every other chunk resends the last 3 bytes already pushed.
                let from = if at > 3 && at % 2 == 0 { at - 3 } else { at };
                let to = (at + step).min(wal.len());
                got.extend(d.push(start + from as u64, &wal[from..to]).unwrap());
                at = to;
            }
            assert_eq!(got, whole, "chunks of {step}");
            assert_eq!(d.pos(), start + wal.len() as u64);
        }
        let mut d = StreamDecoder::new(start);
        d.push(start, &wal[..10]).unwrap();
        assert!(d.push(start + 11, &wal[11..20]).is_err(), "a gap");
    }
}
