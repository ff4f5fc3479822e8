//! The safekeeper crate's one error type.
//!
//! Variants are what a caller acts on:
//! - [`Error::Fenced`]: a higher term exists; a proposer stops (its compute
//!   must shut down or re-elect with a new term), never retries in place.
//! - [`Error::NotElected`] / [`Error::NotSynced`]: the proposer cannot take
//!   appends yet (retry once it is ready).
//! - [`Error::InvalidRequest`]: a peer sent a message that breaks the
//!   protocol's shape (bad term history, empty record, ...): reject it.
//! - [`Error::CorruptWal`]: WAL bytes that are not whole valid frames.
//! - [`Error::WouldTruncateCommitted`] and [`Error::Invariant`]: a consensus
//!   invariant would break. These are bugs (or corruption); the acceptor
//!   refuses the request and leaves its state untouched, and the caller must
//!   report them loudly rather than retry.

use proto::Lsn;
use proto::record::Term;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("fenced: an acceptor is at term {term}, above this proposer's term {own_term}")]
    Fenced { term: Term, own_term: Term },

    #[error("the proposer is not elected (phase: {phase})")]
    NotElected { phase: &'static str },

    #[error("the proposer is elected at term {term} but has not committed its TermStart yet")]
    NotSynced { term: Term },

    #[error("election did not complete within {ticks} ticks")]
    ElectionTimeout { ticks: u64 },

    #[error("invalid request: {0}")]
    InvalidRequest(String),

    #[error("corrupt WAL at {lsn}: {source}")]
    CorruptWal { lsn: Lsn, source: proto::Error },

    #[error(
        "refusing to truncate WAL at {truncate_at}: below commit_lsn {commit_lsn} (committed WAL would be lost)"
    )]
    WouldTruncateCommitted { truncate_at: Lsn, commit_lsn: Lsn },

    #[error("consensus invariant violated: {0}")]
    Invariant(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
