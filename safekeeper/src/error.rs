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
//! - [`Error::ShutDown`]: the proposer driver was stopped; pending appends
//!   have an unknown outcome.
//! - [`Error::Storage`] / [`Error::RemoteStorage`]: local disk or object
//!   storage failed; [`Error::TimelineNotFound`]; [`Error::Unavailable`]
//!   (retry later). These come from the server shell (`server`).

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

    /// `why` says what was missing: which acceptors refused the greeting and why, or
    /// how many greets/votes came back against the majority needed.
    #[error("election did not complete within {ticks} ticks: {why}")]
    ElectionTimeout { ticks: u64, why: String },

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

    #[error("the proposer driver has shut down")]
    ShutDown,

    /// Local durable storage failed (I/O, corruption, a poisoned WAL). The
    /// server drops the timeline's in-memory state and reopens it from disk.
    #[error(transparent)]
    Storage(#[from] SharedError<crate::storage::StorageError>),

    /// Object storage failed (network, permissions, a missing object).
    #[error(transparent)]
    RemoteStorage(#[from] SharedError<remote_storage::Error>),

    /// The request names a timeline this safekeeper does not have.
    #[error("timeline {0} not found")]
    TimelineNotFound(String),

    /// A server-side condition that may clear (shutting down, a timeline
    /// being reopened after an I/O failure, a peer not answering): retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<crate::storage::StorageError> for Error {
    fn from(e: crate::storage::StorageError) -> Self {
        Error::Storage(SharedError(std::sync::Arc::new(e)))
    }
}

impl From<remote_storage::Error> for Error {
    fn from(e: remote_storage::Error) -> Self {
        Error::RemoteStorage(SharedError(std::sync::Arc::new(e)))
    }
}

/// An error that is not `Clone` (it holds an `io::Error`), shared so that
/// [`Error`] stays `Clone`; two are equal only if they are the same error.
#[derive(Debug)]
pub struct SharedError<E>(pub std::sync::Arc<E>);

impl<E> Clone for SharedError<E> {
    fn clone(&self) -> Self {
        SharedError(self.0.clone())
    }
}

impl<E> PartialEq for SharedError<E> {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}
impl<E> Eq for SharedError<E> {}

impl<E: std::fmt::Display> std::fmt::Display for SharedError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::error::Error + 'static> std::error::Error for SharedError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
