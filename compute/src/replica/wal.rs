//! [`ReplicaWal`]: a read replica's [`WalSink`]. It takes no records (every submit is
//! 25006, naming the primary); its "durable" LSN is the replica's applied LSN, which the
//! WAL receiver raises after each record it applies, so statements read at the last
//! applied record boundary and never past what the safekeepers reported committed.
//! It also keeps what `strata_replication_status` shows (source, received commit LSN,
//! lag) and wakes `strata_wait_lsn` callers.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use proto::{Lsn, Record};
use tokio_util::sync::CancellationToken;

use super::metrics;
use crate::engine::{WalError, WalSink};

#[derive(Debug, Default)]
struct State {
    applied: Lsn,
    /// The highest commit LSN a WAL source reported.
    received: Lsn,
    /// The safekeeper streamed from (empty between streams).
    source: String,
    /// Commit on the primary → applied here, of the last applied commit record.
    lag_ms: f64,
    last_applied_us: Option<i64>,
}

/// A read replica's WAL sink (see the module docs).
pub struct ReplicaWal {
    state: Mutex<State>,
    applied_changed: Condvar,
    /// Why writes are refused: names the primary.
    read_only: String,
    primary: String,
    stopping: CancellationToken,
}

/// Microseconds since the Unix epoch now (the primary stamps records with the same clock).
pub(crate) use proto::now_us;

impl ReplicaWal {
    /// A replica whose pages are at `start` (a record boundary); `primary` is where writes
    /// go (an address, or a description), `timeline` names the timeline followed.
    pub fn new(start: Lsn, primary: &str, timeline: &proto::TimelineId) -> ReplicaWal {
        ReplicaWal {
            state: Mutex::new(State {
                applied: start,
                received: start,
                ..State::default()
            }),
            applied_changed: Condvar::new(),
            read_only: format!(
                "this compute is a read replica of timeline {}/{}; send writes to the \
                 primary ({primary})",
                timeline.tenant, timeline.timeline
            ),
            primary: primary.to_string(),
            stopping: CancellationToken::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The message of a refused write (without the statement).
    pub fn read_only_reason(&self) -> String {
        self.read_only.clone()
    }

    /// The applied LSN.
    pub fn applied(&self) -> Lsn {
        self.lock().applied
    }

    /// The record ending at `end` (committed on the primary at `commit_us`, 0 if
    /// unknown) is applied: snapshots may now read at `end`.
    pub fn advance(&self, end: Lsn, commit_us: i64) {
        let mut st = self.lock();
        if end <= st.applied {
            return;
        }
        st.applied = end;
        st.received = st.received.max(end);
        let now = now_us();
        if commit_us > 0 {
            st.lag_ms = (now - commit_us).max(0) as f64 / 1000.0;
            metrics::APPLY_DELAY.observe(st.lag_ms / 1000.0);
        }
        st.last_applied_us = Some(now);
        metrics::APPLIED_LSN.set(end.0 as i64);
        metrics::LAG_BYTES.set(st.received.0.saturating_sub(end.0) as i64);
        metrics::LAG_MS.set(st.lag_ms);
        drop(st);
        self.applied_changed.notify_all();
    }

    /// A WAL source reported `commit` as its commit LSN.
    pub fn note_received(&self, commit: Lsn) {
        let mut st = self.lock();
        st.received = st.received.max(commit);
        metrics::LAG_BYTES.set(st.received.0.saturating_sub(st.applied.0) as i64);
    }

    /// The safekeeper now streamed from (empty: none).
    pub fn set_source(&self, addr: &str) {
        self.lock().source = addr.to_string();
    }

    /// The lag now, for `strata status`-like reports: `(bytes, ms)`.
    pub fn lag(&self) -> (u64, f64) {
        let st = self.lock();
        let bytes = st.received.0.saturating_sub(st.applied.0);
        (bytes, if bytes == 0 { 0.0 } else { st.lag_ms })
    }
}

impl WalSink for ReplicaWal {
    fn submit(&self, _record: &Record, _start: Lsn) -> Result<Lsn, WalError> {
        Err(WalError::ReadOnly(format!(
            "cannot execute a write in a read-only transaction: {}",
            self.read_only
        )))
    }

    fn wait_durable(&self, end: Lsn) -> Result<(), WalError> {
        self.wait_applied(end, Duration::from_secs(30)).map(|_| ())
    }

    fn durable_lsn(&self) -> Lsn {
        self.applied()
    }

    fn end_lsn(&self) -> Lsn {
        self.applied()
    }

    fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }

    fn replication(&self) -> sql::storage::Replication {
        let st = self.lock();
        let lag_bytes = st.received.0.saturating_sub(st.applied.0);
        sql::storage::Replication {
            in_recovery: true,
            lsn: st.applied.0,
            received_lsn: st.received.0,
            source: st.source.clone(),
            primary: self.primary.clone(),
            lag_bytes,
            lag_ms: if lag_bytes == 0 { 0.0 } else { st.lag_ms },
            last_applied_us: st.last_applied_us,
        }
    }

    fn wait_applied(&self, lsn: Lsn, timeout: Duration) -> Result<Lsn, WalError> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        while st.applied < lsn {
            let now = Instant::now();
            if now >= deadline {
                return Err(WalError::Unavailable(format!(
                    "timed out after {} ms waiting for this replica to apply the WAL up to \
                     {lsn}; applied so far: {}",
                    timeout.as_millis(),
                    st.applied
                )));
            }
            // Short slices, so a cancelled statement is not held for the whole timeout.
            let slice = (deadline - now).min(Duration::from_millis(50));
            st = self
                .applied_changed
                .wait_timeout(st, slice)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            if sql::interrupt::check().is_err() {
                return Err(WalError::Unavailable(
                    "canceling statement due to user request".into(),
                ));
            }
        }
        Ok(st.applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal() -> ReplicaWal {
        let id = proto::TimelineId::new("default", "main").expect("valid names");
        ReplicaWal::new(Lsn(0x100), "127.0.0.1:5432", &id)
    }

    #[test]
    fn writes_are_refused_naming_the_primary() {
        let w = wal();
        let err = w
            .submit(&Record::commit(0, Vec::new()), Lsn(0x100))
            .expect_err("a replica takes no records");
        let WalError::ReadOnly(msg) = err else {
            panic!("expected ReadOnly, got {err:?}");
        };
        assert!(
            msg.contains("read replica of timeline default/main"),
            "{msg}"
        );
        assert!(msg.contains("127.0.0.1:5432"), "{msg}");
    }

    #[test]
    fn waits_end_when_the_lsn_is_applied_or_time_is_up() {
        let w = std::sync::Arc::new(wal());
        let err = w
            .wait_applied(Lsn(0x200), Duration::from_millis(30))
            .expect_err("nothing applied");
        assert!(err.to_string().contains("0/200"), "{err}");
        let w2 = w.clone();
        let waiter =
            std::thread::spawn(move || w2.wait_applied(Lsn(0x200), Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(20));
        w.note_received(Lsn(0x300));
        assert_eq!(w.replication().lag_bytes, 0x200);
        w.advance(Lsn(0x250), now_us() - 2_000);
        assert_eq!(waiter.join().expect("no panic"), Ok(Lsn(0x250)));
        let r = w.replication();
        assert!(r.in_recovery);
        assert_eq!((r.lsn, r.received_lsn, r.lag_bytes), (0x250, 0x300, 0xB0));
        assert!(r.lag_ms >= 2.0, "{r:?}");
        assert_eq!(w.durable_lsn(), Lsn(0x250));
    }
}
