//! The pageserver crate's one error type.
//!
//! Variants are what a caller acts on:
//! - [`Error::NeverWritten`]: the page does not exist at that LSN (the compute
//!   treats it as a new, zeroed page or reports a missing relation block).
//! - [`Error::BelowGcHorizon`]: the request is older than what GC keeps; the
//!   caller must ask at a newer LSN (or should have held a lease).
//! - [`Error::Quarantined`]: redo of that one page failed (base LSN or CRC
//!   mismatch); it is not served until a later full image supersedes it.
//!   Other pages keep working.
//! - [`Error::Corrupt`]: a layer file failed a checksum or a structural check;
//!   the file and byte offset are named so an operator can replace it (e.g.
//!   from object storage). Corrupt data is never served.
//! - [`Error::Io`]: the local disk failed; the operation and path are named.
//! - [`Error::OutOfOrderRecord`]: ingest was fed a record that does not follow
//!   the last one (a bug in the WAL receiver; the caller restarts streaming).
//!
//! The service adds:
//! - [`Error::TimelineNotFound`] / [`Error::TimelineExists`]: the named
//!   timeline is not attached here / already exists.
//! - [`Error::InvalidRequest`]: a request failed validation at the boundary
//!   (bad name, LSN 0, a branch point outside the ancestor's history).
//! - [`Error::WaitTimeout`]: WAL up to the requested LSN was not ingested in
//!   time (the safekeepers are behind or unreachable); retry later.
//! - [`Error::Remote`]: object storage failed; retried by the uploader.
//! - [`Error::Fenced`]: a newer pageserver generation owns the timeline: this
//!   one must not delete or upload anything any more.
//! - [`Error::Safekeeper`]: no safekeeper (or no majority) answered.
//! - [`Error::Broken`]: the timeline could not be attached (e.g. a layer in
//!   object storage failed its checksum); reads fail naming the reason.
//! - [`Error::ShuttingDown`]: the pageserver is stopping.
//! - [`Error::NotResident`]: internal, never reported: a read under the
//!   timeline's lock needs a layer that is still in object storage; the shell
//!   drops the lock, fetches it and retries ([`crate::ondemand`]).

use std::path::PathBuf;

use proto::{Lsn, PageKey, TimelineId};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("page {key} was never written at or before LSN {lsn}")]
    NeverWritten { key: PageKey, lsn: Lsn },

    #[error("LSN {lsn} is below the GC horizon {cutoff}: that history is no longer kept")]
    BelowGcHorizon { lsn: Lsn, cutoff: Lsn },

    #[error("page {key} is quarantined since LSN {lsn}: {reason}")]
    Quarantined {
        key: PageKey,
        lsn: Lsn,
        reason: String,
    },

    #[error("corrupt layer file {}: at byte offset {offset}: {reason}", file.display())]
    Corrupt {
        file: PathBuf,
        offset: u64,
        reason: String,
    },

    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("WAL record ending at {lsn} does not follow the last ingested record ending at {last}")]
    OutOfOrderRecord { lsn: Lsn, last: Lsn },

    #[error("timeline {id} not found on this pageserver")]
    TimelineNotFound { id: TimelineId },

    #[error("timeline {id} already exists")]
    TimelineExists { id: TimelineId },

    #[error("invalid request: {0}")]
    InvalidRequest(String),

    #[error(
        "timed out after {waited:?} waiting for WAL up to {lsn} (ingested up to {last}): \
         the safekeepers are behind or unreachable"
    )]
    WaitTimeout {
        lsn: Lsn,
        last: Lsn,
        waited: std::time::Duration,
    },

    #[error("object storage: {0}")]
    Remote(#[from] remote_storage::Error),

    #[error("timeline {id}: generation {generation} is fenced by newer generation {newer}")]
    Fenced {
        id: TimelineId,
        generation: u64,
        newer: u64,
    },

    #[error("safekeepers: {0}")]
    Safekeeper(String),

    #[error("timeline {id} is broken: {reason}")]
    Broken { id: TimelineId, reason: String },

    #[error("the pageserver is shutting down")]
    ShuttingDown,

    #[error("layer {layer} is not on local disk yet")]
    NotResident {
        layer: crate::LayerName,
        file: std::sync::Arc<crate::ondemand::LazyFile>,
    },
}

impl From<proto::Error> for Error {
    fn from(e: proto::Error) -> Error {
        Error::InvalidRequest(e.to_string())
    }
}

impl Error {
    /// An [`Error::Io`] for `op` ("read layer block", in verb form) on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Corrupt`] naming `file` and `offset`.
    pub(crate) fn corrupt(
        file: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Error {
        Error::Corrupt {
            file: file.into(),
            offset,
            reason: reason.into(),
        }
    }
}
