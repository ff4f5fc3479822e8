//! Where committed records go: the [`WalSink`] trait and [`MemoryWalSink`].
//!
//! The serial step hands each encoded record to the sink with its start LSN (records are
//! contiguous: a record's start is the previous one's end) and, after releasing its locks
//! and the commit mutex, waits with [`WalSink::wait_durable`] until the sink reports the
//! record's end as durable. The sink's [`WalSink::durable_lsn`] is the engine's snapshot
//! source: a statement reads at the durable LSN, a record boundary.
//!
//! The real sink is the safekeeper proposer driver (`safekeeper::driver`): durable means a
//! majority has flushed. [`MemoryWalSink`] keeps the framed bytes in memory and is durable either
//! immediately or when the test says so ([`MemoryWalSink::manual`] + [`MemoryWalSink::make_durable`]);
//! a test can also stop it as a fence would ([`MemoryWalSink::stop`]).
//!
//! A sink that stops for good (fenced by a newer primary, shut down) says so through
//! [`WalSink::stopped`] and cancels [`WalSink::stopping`]: the engine then stops serving
//! (see [`super::Engine::stopped`]). A failed [`WalSink::wait_durable`] after a successful
//! `submit` leaves the record's fate unknown — it may yet be durable — and the engine
//! reports it as such, never as a failure.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use proto::{Lsn, Record};
use tokio_util::sync::CancellationToken;

/// What can go wrong handing a record to the WAL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalError {
    /// The record does not start where the WAL ends (an engine bug).
    #[error("record at {start} does not start at the WAL's end {end}")]
    OutOfOrder { start: Lsn, end: Lsn },
    /// The WAL takes no more writes: a newer primary took over the timeline (or the WAL
    /// stopped for good). The session reports 25006 (read_only_sql_transaction).
    #[error("{0}")]
    ReadOnly(String),
    /// The record could not be made durable in time (it may still become durable).
    #[error("WAL unavailable: {0}")]
    Unavailable(String),
}

/// The WAL the engine commits into.
pub trait WalSink: Send + Sync {
    /// Appends `record`, which starts at `start` (the current end); returns its end LSN,
    /// the ticket to wait for.
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError>;
    /// Blocks until `durable_lsn() >= end`.
    fn wait_durable(&self, end: Lsn) -> Result<(), WalError>;
    /// The durable end of the WAL: always a record boundary.
    fn durable_lsn(&self) -> Lsn;
    /// Where the next record starts.
    fn end_lsn(&self) -> Lsn;
    /// Why the sink stopped taking records for good (a newer primary fenced it, or it
    /// was shut down), once it has; `None` while it works. Cheap: checked per statement.
    fn stopped(&self) -> Option<String> {
        None
    }
    /// Cancelled when the sink stops for good ([`WalSink::stopped`] then says why).
    fn stopping(&self) -> CancellationToken {
        CancellationToken::new()
    }
    /// Where the WAL stands, for `pg_is_in_recovery()` & co. A primary's sink: its
    /// durable LSN; a read replica's (`crate::replica::ReplicaWal`) says more.
    fn replication(&self) -> sql::storage::Replication {
        sql::storage::Replication {
            lsn: self.durable_lsn().0,
            ..Default::default()
        }
    }
    /// Blocks until the WAL up to `lsn` is applied here, at most `timeout`; the LSN
    /// reached. A primary has applied everything it committed: it answers at once.
    fn wait_applied(&self, lsn: Lsn, timeout: Duration) -> Result<Lsn, WalError> {
        let _ = (lsn, timeout);
        Ok(self.durable_lsn())
    }
}

struct MemoryWalSinkState {
    start: Lsn,
    bytes: Vec<u8>,
    /// Record boundaries not yet durable (manual mode), oldest first.
    pending: Vec<Lsn>,
    durable: Lsn,
    /// Set by [`MemoryWalSink::stop`].
    stopped: Option<String>,
}

impl MemoryWalSinkState {
    fn end(&self) -> Lsn {
        Lsn(self.start.0 + self.bytes.len() as u64)
    }
}

/// An in-memory WAL: framed record bytes, durable immediately or under test control.
pub struct MemoryWalSink {
    state: Mutex<MemoryWalSinkState>,
    durable_changed: Condvar,
    manual: bool,
    /// How long `wait_durable` waits before giving up.
    wait_limit: Duration,
    stopping: CancellationToken,
}

impl MemoryWalSink {
    /// A WAL starting at `start`, where every record is durable as soon as it is submitted.
    pub fn new(start: Lsn) -> MemoryWalSink {
        Self::with_mode(start, false)
    }

    /// A WAL where records become durable only through [`MemoryWalSink::make_durable`].
    pub fn manual(start: Lsn) -> MemoryWalSink {
        Self::with_mode(start, true)
    }

    fn with_mode(start: Lsn, manual: bool) -> MemoryWalSink {
        MemoryWalSink {
            state: Mutex::new(MemoryWalSinkState {
                start,
                bytes: Vec::new(),
                pending: Vec::new(),
                durable: start,
                stopped: None,
            }),
            durable_changed: Condvar::new(),
            manual,
            wait_limit: Duration::from_secs(30),
            stopping: CancellationToken::new(),
        }
    }

    /// How long [`WalSink::wait_durable`] waits before giving up (default 30 s).
    pub fn with_wait_limit(mut self, limit: Duration) -> MemoryWalSink {
        self.wait_limit = limit;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryWalSinkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where the WAL starts.
    pub fn start_lsn(&self) -> Lsn {
        self.lock().start
    }

    /// A copy of the framed bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Manual mode: makes every record submitted so far durable.
    pub fn make_durable(&self) {
        let mut s = self.lock();
        if let Some(last) = s.pending.pop() {
            s.durable = last;
        }
        s.pending.clear();
        drop(s);
        self.durable_changed.notify_all();
    }

    /// Manual mode: how many submitted records are not durable yet.
    pub fn pending_records(&self) -> usize {
        self.lock().pending.len()
    }

    /// Stops the WAL for good, as a fence does: records not yet durable stay so (their
    /// waiters fail), every later `submit` fails with [`WalError::ReadOnly`] (`why`).
    pub fn stop(&self, why: &str) {
        self.lock().stopped.get_or_insert_with(|| why.to_string());
        self.durable_changed.notify_all();
        self.stopping.cancel();
    }
}

impl WalSink for MemoryWalSink {
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError> {
        let mut s = self.lock();
        if let Some(why) = &s.stopped {
            return Err(WalError::ReadOnly(why.clone()));
        }
        let end = s.end();
        if start != end {
            return Err(WalError::OutOfOrder { start, end });
        }
        s.bytes
            .extend_from_slice(&proto::frame::encode_record(record));
        let end = s.end();
        if self.manual {
            s.pending.push(end);
        } else {
            s.durable = end;
            drop(s);
            self.durable_changed.notify_all();
        }
        Ok(end)
    }

    fn wait_durable(&self, end: Lsn) -> Result<(), WalError> {
        let deadline = Instant::now() + self.wait_limit;
        let mut s = self.lock();
        while s.durable < end {
            if let Some(why) = &s.stopped {
                return Err(WalError::ReadOnly(why.clone()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WalError::Unavailable(format!(
                    "{end} not durable after {:?}",
                    self.wait_limit
                )));
            }
            s = self
                .durable_changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(())
    }

    fn durable_lsn(&self) -> Lsn {
        self.lock().durable
    }

    fn end_lsn(&self) -> Lsn {
        self.lock().end()
    }

    fn stopped(&self) -> Option<String> {
        self.lock().stopped.clone()
    }

    fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }
}
