//! The proto crate's one error type.
//!
//! Variants are what a caller acts on: a bad name or LSN from a user
//! (`Invalid*`), corrupt WAL (`BadFrameLength`, `FrameChecksum`,
//! `UnexpectedContinuation`, `UnknownRecordKind`, `MalformedRecord`: report
//! with the LSN, or treat as a torn tail when scanning the end of a segment),
//! an oversized record (`RecordTooLarge`, SQLSTATE 54000 for the writer), a
//! redo mismatch (`Redo*`: quarantine that page), and a malformed gRPC
//! message (`InvalidMessage`: reject the request), and an unusable TLS file (`Tls`:
//! fix the configuration).

use crate::frame::MAX_FRAME_PAYLOAD;
use crate::{Lsn, PageKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid {what} name {name:?}: names are 1 to 63 characters of a-z, 0-9, '_' and '-'")]
    InvalidName { what: &'static str, name: String },

    #[error("invalid LSN {0:?}: expected PostgreSQL's X/Y hexadecimal form, e.g. 0/16B3748")]
    InvalidLsn(String),

    #[error("corrupt WAL at {lsn}: frame length {len} is outside 1..={MAX_FRAME_PAYLOAD}")]
    BadFrameLength { lsn: Lsn, len: u64 },

    #[error("corrupt WAL at {lsn}: frame checksum mismatch")]
    FrameChecksum { lsn: Lsn },

    #[error("corrupt WAL at {lsn}: continuation frame without the start of its record")]
    UnexpectedContinuation { lsn: Lsn },

    #[error("corrupt WAL at {lsn}: unknown record kind {kind}")]
    UnknownRecordKind { lsn: Lsn, kind: u8 },

    #[error("corrupt WAL record at {lsn}: {reason}")]
    MalformedRecord { lsn: Lsn, reason: &'static str },

    #[error("WAL record at {lsn} is {size} bytes, over the maximum record size of {max} bytes")]
    RecordTooLarge { lsn: Lsn, size: u64, max: u64 },

    #[error(
        "redo of {key} at {lsn}: the change was made against page LSN {expected} but the page is at {found}"
    )]
    RedoBaseMismatch {
        key: PageKey,
        lsn: Lsn,
        expected: Lsn,
        found: Lsn,
    },

    #[error(
        "redo of {key} at {lsn}: the page's checksum after the change does not match the record"
    )]
    RedoChecksum { key: PageKey, lsn: Lsn },

    #[error("invalid message: {field}: {reason}")]
    InvalidMessage { field: &'static str, reason: String },

    /// A TLS file or setting is unusable (`--grpc-tls-*`, `--tls-*`); names the file.
    #[error("TLS: {0}")]
    Tls(String),
}

impl Error {
    /// Whether the error means the WAL bytes themselves are damaged.
    pub fn is_corrupt_wal(&self) -> bool {
        matches!(
            self,
            Error::BadFrameLength { .. }
                | Error::FrameChecksum { .. }
                | Error::UnexpectedContinuation { .. }
                | Error::UnknownRecordKind { .. }
                | Error::MalformedRecord { .. }
        )
    }

    /// Whether redo refused a change (the page must be quarantined).
    pub fn is_redo_mismatch(&self) -> bool {
        matches!(
            self,
            Error::RedoBaseMismatch { .. } | Error::RedoChecksum { .. }
        )
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidMessage {
            field,
            reason: reason.into(),
        }
    }
}
