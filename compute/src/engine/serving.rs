//! Nothing a client learns may be undone: durability waits, outcome-unknown errors, and the
//! engine's stop.
//!
//! ## Observed versions wait for durability
//! Snapshots never pass the durable LSN, but some reads must see the *latest* applied
//! state: a unique-key check (23505, `ON CONFLICT`), `lock_row` (EvalPlanQual, 40001 under
//! Repeatable Read), a DDL name check (42P07), the commit's schema check. The latest state
//! may hold versions whose records are not durable yet — a commit that a crash or a fence
//! can still erase. A transaction therefore notes, for every such read, the end of the
//! newest record it observed beyond its snapshot (`EngineTxn::note_seen`: its own
//! `max_seen`, and its session's [`Observed`] cell). Every answer shaped by it waits:
//!
//! ```text
//!  statement ──reads latest──▶ note_seen(end)      (free when end <= snapshot: already durable)
//!  COMMIT    ──await_durable(max(own record end, max_seen))
//!  any reply ──Engine::settle: await_durable(session's observed), then the front end answers
//! ```
//!
//! Waiting costs a group-commit round at most, and only when something newer than the
//! snapshot was observed: the common path is one comparison per read and one atomic load
//! per reply. A writer's own commit record follows every record it observed, so its COMMIT
//! covers them anyway; rows returned by RETURNING / FOR UPDATE, errors (23505, 40001) and a
//! read-only COMMIT are what the wait protects.
//!
//! ## Outcome unknown
//! A failed wait after the record was handed to the WAL (a durability timeout, a fence
//! learned after sending) is never reported as a failure: the record may be durable. The
//! answer is [`sql::Error::ConnectionFailure`] (08006) — "may or may not have committed" —
//! and the engine stops serving ([`EngineState::lose`]), since it may have built on pages that
//! never become durable. A commit refused *before* its record was sent stays a definite
//! failure (25006 when the WAL stopped taking records).
//!
//! ## Stopped
//! Once stopped — by a lost wait, or because the sink stopped for good (a newer primary
//! fenced it: [`super::WalSink::stopped`]) — every statement fails at `begin_statement`
//! and every commit before its serial step, and [`super::Engine::stopping`] is cancelled,
//! so the server closes every session and exits (or restarts the compute): a compute that
//! may be stale serves nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proto::Lsn;
use tokio_util::sync::CancellationToken;

use super::{EngineState, WalError};

/// What a failed durability wait leaves unknown (the 08006 message says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// The transaction's own commit record was sent.
    Commit,
    /// Versions of other commits the session observed.
    Observed,
}

impl Unknown {
    fn message(self, why: &str) -> String {
        match self {
            Unknown::Commit => format!(
                "connection to the primary's WAL was lost while committing; the transaction \
                 may or may not have committed ({why})"
            ),
            Unknown::Observed => format!(
                "connection to the primary's WAL was lost before the data this transaction \
                 saw was durable; the commit that wrote it may or may not have happened ({why})"
            ),
        }
    }
}

/// One session's highest observed end LSN not yet known durable (0: none). The engine
/// handle of a session ([`super::Engine::for_session`]) and its transactions share it.
#[derive(Debug, Default)]
pub(crate) struct Observed(AtomicU64);

impl Observed {
    pub(crate) fn new() -> Arc<Observed> {
        Arc::new(Observed::default())
    }

    pub(crate) fn note(&self, end: Lsn) {
        self.0.fetch_max(end.0, Ordering::AcqRel);
    }

    fn get(&self) -> Lsn {
        Lsn(self.0.load(Ordering::Acquire))
    }

    /// Forgets `seen` once it is durable (unless something newer was noted meanwhile).
    fn clear(&self, seen: Lsn) {
        let _ = self
            .0
            .compare_exchange(seen.0, 0, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// Whether the engine still serves; see the module docs.
pub(crate) struct Stop {
    why: std::sync::OnceLock<String>,
    /// Cancelled when the engine stops; a child of the sink's own token.
    token: CancellationToken,
    /// Waits for observed versions that had to block (per engine; the Prometheus
    /// counter is process-wide).
    observed_waits: AtomicU64,
}

impl Stop {
    pub(crate) fn new(sink: CancellationToken) -> Stop {
        Stop {
            why: std::sync::OnceLock::new(),
            token: sink.child_token(),
            observed_waits: AtomicU64::new(0),
        }
    }

    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub(crate) fn observed_waits(&self) -> u64 {
        self.observed_waits.load(Ordering::Relaxed)
    }
}

impl EngineState {
    /// Why this engine stopped serving, once it has (see the module docs).
    pub(crate) fn stopped(&self) -> Option<String> {
        if let Some(why) = self.stop.why.get() {
            return Some(why.clone());
        }
        let why = self.wal.stopped()?;
        self.lose(why);
        self.stop.why.get().cloned()
    }

    /// Stops serving for good: every later statement and commit is refused.
    pub(crate) fn lose(&self, why: String) {
        if self.stop.why.set(why.clone()).is_ok() {
            tracing::error!(reason = %why, "the engine stopped serving");
        }
        self.stop.token.cancel();
    }

    /// 08006 once stopped: checked as each statement begins.
    pub(crate) fn check_serving(&self) -> sql::Result<()> {
        match self.stopped() {
            None => Ok(()),
            Some(why) => Err(sql::Error::ConnectionFailure(format!(
                "terminating connection because this compute stopped serving: {why}"
            ))),
        }
    }

    /// 25006 once stopped: checked before a commit's serial step (nothing is sent, so the
    /// failure is definite).
    pub(crate) fn check_writable(&self) -> sql::Result<()> {
        match self.stopped() {
            None => Ok(()),
            Some(why) => Err(sql::Error::ReadOnlySqlTransaction(why)),
        }
    }

    /// Waits until `end` is durable (at once when it is). A failed wait stops the engine
    /// and leaves `what` unknown: 08006.
    pub(crate) fn await_durable(&self, end: Lsn, what: Unknown) -> sql::Result<()> {
        if end <= self.wal.durable_lsn() {
            return Ok(());
        }
        if what == Unknown::Observed {
            self.stop.observed_waits.fetch_add(1, Ordering::Relaxed);
            crate::page_cache::metrics::OBSERVED_WAITS.inc();
        }
        self.wal.wait_durable(end).map_err(|e| {
            let why = match e {
                WalError::ReadOnly(msg) => msg,
                other => other.to_string(),
            };
            tracing::warn!(%end, ?what, reason = %why, "durability wait failed: outcome unknown");
            self.lose(format!("a durability wait failed: {why}"));
            sql::Error::ConnectionFailure(what.message(&why))
        })
    }

    /// [`super::Engine::settle`] for the session whose cell is `observed`.
    pub(crate) fn settle(&self, observed: &Observed) -> sql::Result<()> {
        let seen = observed.get();
        if !seen.is_valid() {
            return Ok(());
        }
        self.await_durable(seen, Unknown::Observed)?;
        observed.clear(seen);
        Ok(())
    }
}
