//! Where ingest gets WAL: the [`WalSource`] trait, and [`MemoryWalSource`], an
//! in-memory source for tests.
//!
//! A source streams a timeline's *committed* WAL from a record boundary, in
//! chunks of whole frames `{start_lsn, wal, commit_lsn}`, and keeps tailing
//! as more is committed. The stream ends or fails when the source goes away;
//! ingest then reconnects from its `last_record_lsn` (possibly to another
//! safekeeper), so a source need not be resumable. Chunks may overlap what
//! was already consumed (ingest skips the overlap) but never leave a gap.
//! The real source is [`crate::safekeeper_client::SafekeeperClient`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use proto::{Lsn, TimelineId};
use tokio::sync::watch;

use crate::{Error, Result};

/// A piece of committed WAL.
#[derive(Debug, Clone)]
pub struct WalChunk {
    pub start_lsn: Lsn,
    pub wal: Bytes,
    /// The source's commit LSN when it sent the chunk (for the lag metric).
    pub commit_lsn: Lsn,
}

/// A stream of committed WAL.
pub type WalStream = BoxStream<'static, Result<WalChunk>>;

/// A source of a timeline's committed WAL.
pub trait WalSource: Send + Sync + 'static {
    /// Streams WAL of `id` starting at the record boundary `start`.
    fn read_wal<'a>(&'a self, id: &'a TimelineId, start: Lsn) -> BoxFuture<'a, Result<WalStream>>;
}

/// One timeline's WAL in memory.
#[derive(Debug)]
struct Log {
    start: Lsn,
    bytes: Mutex<Vec<u8>>,
    /// The end LSN; bumped on every append.
    end: watch::Sender<Lsn>,
}

/// An in-memory [`WalSource`]: tests append encoded records and the
/// pageserver streams them, chunked at `chunk_size` bytes (not aligned to
/// frames, so the decoder's reassembly is exercised).
#[derive(Debug)]
pub struct MemoryWalSource {
    logs: Mutex<HashMap<TimelineId, Arc<Log>>>,
    chunk_size: usize,
}

impl MemoryWalSource {
    pub fn new(chunk_size: usize) -> MemoryWalSource {
        MemoryWalSource {
            logs: Mutex::new(HashMap::new()),
            chunk_size: chunk_size.max(1),
        }
    }

    fn log(&self, id: &TimelineId, start: Lsn) -> Arc<Log> {
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        logs.entry(id.clone())
            .or_insert_with(|| {
                Arc::new(Log {
                    start,
                    bytes: Mutex::new(Vec::new()),
                    end: watch::Sender::new(start),
                })
            })
            .clone()
    }

    /// Appends WAL bytes to `id`'s log (created at `start` if new); returns
    /// the new end LSN.
    pub fn append(&self, id: &TimelineId, start: Lsn, wal: &[u8]) -> Lsn {
        let log = self.log(id, start);
        let mut bytes = log.bytes.lock().unwrap_or_else(|p| p.into_inner());
        bytes.extend_from_slice(wal);
        let end = log.start + bytes.len() as u64;
        log.end.send_replace(end);
        end
    }

    /// The end of `id`'s WAL, if it has any.
    pub fn end(&self, id: &TimelineId) -> Option<Lsn> {
        let logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        logs.get(id).map(|l| *l.end.borrow())
    }
}

impl WalSource for MemoryWalSource {
    fn read_wal<'a>(&'a self, id: &'a TimelineId, start: Lsn) -> BoxFuture<'a, Result<WalStream>> {
        Box::pin(async move {
            let log = self.log(id, start);
            if start < log.start {
                return Err(Error::Safekeeper(format!(
                    "WAL of {id} starts at {}, not {start}",
                    log.start
                )));
            }
            let chunk_size = self.chunk_size;
            let rx = log.end.subscribe();
            let stream =
                futures::stream::unfold((log, rx, start), move |(log, mut rx, pos)| async move {
                    if rx.wait_for(|end| *end > pos).await.is_err() {
                        return None;
                    }
                    let chunk = {
                        let bytes = log.bytes.lock().unwrap_or_else(|p| p.into_inner());
                        let from = (pos.0 - log.start.0) as usize;
                        let to = (from + chunk_size).min(bytes.len());
                        WalChunk {
                            start_lsn: pos,
                            wal: Bytes::copy_from_slice(&bytes[from..to]),
                            commit_lsn: log.start + bytes.len() as u64,
                        }
                    };
                    let next = pos + chunk.wal.len() as u64;
                    Some((Ok(chunk), (log, rx, next)))
                });
            Ok(Box::pin(stream) as WalStream)
        })
    }
}
