//! WAL ingest: one task per timeline streams committed WAL from a
//! [`WalSource`], decodes it with the shared [`WalDecoder`] and feeds whole
//! records to [`crate::Timeline::ingest`].
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

use crate::tenant::TimelineHandle;
use crate::wal_source::{WalChunk, WalSource};
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
    let mut decoder = WalDecoder::new(start);
    // End of the bytes pushed into the decoder.
    let mut pos = start;
    let mut progressed = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let Some(fresh) = fresh_part(&chunk, pos)? else {
            continue;
        };
        decoder.push(fresh);
        pos = chunk.start_lsn + chunk.wal.len() as u64;
        let mut records = Vec::new();
        while let Some(rec) = decoder.next_record().map_err(|e| {
            Error::Safekeeper(format!("corrupt WAL of {} near {pos}: {e}", handle.id))
        })? {
            records.push(rec);
        }
        let lag = chunk.commit_lsn.0.saturating_sub(pos.0);
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

/// The part of `chunk` at or after `pos`; an error if the chunk starts
/// after `pos` (a gap).
fn fresh_part(chunk: &WalChunk, pos: Lsn) -> Result<Option<&[u8]>> {
    if chunk.start_lsn > pos {
        return Err(Error::Safekeeper(format!(
            "WAL chunk starts at {}, expected {pos}",
            chunk.start_lsn
        )));
    }
    let skip = (pos.0 - chunk.start_lsn.0) as usize;
    Ok((skip < chunk.wal.len()).then(|| &chunk.wal[skip..]))
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
    use bytes::Bytes;

    #[test]
    fn overlap_is_skipped_and_gaps_fail() {
        let chunk = WalChunk {
            start_lsn: Lsn(100),
            wal: Bytes::from_static(b"abcdef"),
            commit_lsn: Lsn(106),
        };
        assert_eq!(fresh_part(&chunk, Lsn(100)).unwrap(), Some(&b"abcdef"[..]));
        assert_eq!(fresh_part(&chunk, Lsn(103)).unwrap(), Some(&b"def"[..]));
        assert_eq!(fresh_part(&chunk, Lsn(106)).unwrap(), None);
        assert!(fresh_part(&chunk, Lsn(99)).is_err());
    }
}
