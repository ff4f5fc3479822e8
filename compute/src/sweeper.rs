//! # sweeper: space maintenance for relations no commit writes any more
//!
//! Every commit prunes, sweeps and merges a few leaves of the relations it writes
//! ([`crate::engine::space`]); a relation that stops being written (a table after a mass
//! DELETE, an index whose keys only grow) would keep its dead versions and emptied leaves
//! for ever. The sweeper runs [`Engine::sweep`] every [`SweepConfig::every`] on the
//! blocking pool: each run visits up to [`SweepConfig::leaves`] more leaves of every
//! relation from where its sweep stopped, and writes a record only when something changed
//! (an idle, clean database writes no WAL). It stops with its cancellation token, or when
//! the engine stops serving (fenced, WAL lost: a sweep then fails and is not retried).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

/// How often and how much the sweeper works.
#[derive(Debug, Clone, Copy)]
pub struct SweepConfig {
    /// Time between sweeps.
    pub every: Duration,
    /// Leaves per relation per sweep.
    pub leaves: usize,
}

impl Default for SweepConfig {
    fn default() -> SweepConfig {
        SweepConfig {
            every: Duration::from_secs(5),
            leaves: 16,
        }
    }
}

/// Sweeps `engine` until `cancel` (see the module docs). Returns how many sweeps wrote a
/// record.
pub async fn run(engine: Engine, config: SweepConfig, cancel: CancellationToken) -> u64 {
    let mut written = 0;
    let stopping = engine.stopping();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return written,
            _ = stopping.cancelled() => return written,
            _ = tokio::time::sleep(config.every) => {}
        }
        let e = engine.clone();
        let result = tokio::task::spawn_blocking(move || e.sweep(config.leaves)).await;
        match result {
            Ok(Ok(end)) if end.is_valid() => {
                written += 1;
                tracing::debug!(%end, "swept");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                // A stopping engine refuses writes; anything else is worth a warning, and the
                // next tick tries again.
                if engine.stopping().is_cancelled() {
                    return written;
                }
                tracing::warn!(error = %e, "space sweep");
            }
            Err(e) => {
                tracing::error!(error = %e, "space sweep task");
                return written;
            }
        }
    }
}
