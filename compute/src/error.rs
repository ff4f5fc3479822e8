//! The compute crate's one error type: the storage core's errors and the server's.
//!
//! Each variant is something a caller acts on. The storage core's map to a SQLSTATE:
//!
//! | variant              | caller's action                                  | SQLSTATE |
//! |----------------------|--------------------------------------------------|----------|
//! | `Corrupt`            | quarantine the page, report it, abort            | XX001    |
//! | `PageUnavailable`    | retry the page fetch, then abort                 | 58030    |
//! | `SnapshotTooOld`     | abort; a new snapshot (new transaction) works    | 72000    |
//! | `RowTooLarge`        | abort the statement                              | 54000    |
//! | `KeyTooLarge`        | abort the statement                              | 54000    |
//! | `NeedsOldSnapshot`   | re-traverse at the snapshot with pageserver pages| —        |
//! | `DuplicateKey`       | unique violation (or ON CONFLICT path)           | 23505    |
//! | `KeyNotFound`        | the write set is stale: retry the prepare phase  | 40001    |
//! | `LsnOutOfOrder`      | a write older than the newest version: bug/retry | XX000    |
//! | `Decode`             | malformed key/row bytes: treat as corruption     | XX001    |
//! | `PageFull`           | internal: the B+tree splits before callers see it| XX000    |
//!
//! The server's ([`crate::server`]) end a compute's startup (or, `Stopped`, its serving);
//! none reaches a SQL client:
//!
//! | variant         | caller's action                                                  |
//! |-----------------|------------------------------------------------------------------|
//! | `Election`      | no quorum, or a newer primary: retry later or stand down          |
//! | `Pageserver`    | the pageserver is unreachable or refused the timeline: retry     |
//! | `EngineStart`   | the catalog is unreadable or the bootstrap not durable: report   |
//! | `Listen`        | the pgwire address cannot be bound: fix `--listen`               |
//! | `StartTimeout`  | startup took too long: retry, check the other components         |
//! | `Config`        | a bad setting (users file, authentication): fix the configuration|
//! | `Stopped`       | the compute stopped serving (WAL lost, fenced): exit, restart it  |

use std::net::SocketAddr;
use std::time::Duration;

use proto::{BlockNo, Lsn};

/// Everything that can go wrong in the compute: its storage core and its server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A page's bytes break an invariant (bounds, ordering, fences, links).
    #[error("corrupt page at block {block}: {reason}")]
    Corrupt { block: BlockNo, reason: String },

    /// The page store could not produce a block.
    #[error("page at block {block} unavailable: {reason}")]
    PageUnavailable { block: BlockNo, reason: String },

    /// A read at `snapshot` needs page versions the pageserver no longer keeps: its GC
    /// cutoff passed the snapshot (past the PITR window, no lease holding it). Not
    /// retryable at that snapshot.
    #[error("snapshot {snapshot} is too old for block {block}: {reason}")]
    SnapshotTooOld {
        block: BlockNo,
        snapshot: Lsn,
        reason: String,
    },

    /// A row (or its version item) does not fit in one page.
    #[error("row of {size} bytes exceeds the maximum of {max} bytes")]
    RowTooLarge { size: usize, max: usize },

    /// A key is longer than a node's fence keys may be.
    #[error("key of {size} bytes exceeds the maximum of {max} bytes")]
    KeyTooLarge { size: usize, max: usize },

    /// The snapshot is older than the page's prune horizon: versions it could
    /// see may have been removed. Re-traverse at `snapshot` with pages fetched
    /// from the pageserver at that LSN.
    #[error("snapshot {snapshot} is older than block {block}'s prune LSN {prune_lsn}")]
    NeedsOldSnapshot {
        block: BlockNo,
        snapshot: Lsn,
        prune_lsn: Lsn,
    },

    /// An insert found a live version of the key.
    #[error("duplicate key")]
    DuplicateKey,

    /// An update or delete found no live version of the key.
    #[error("no live version of the key")]
    KeyNotFound,

    /// A write at `lsn` is older than the key's newest version.
    #[error("write at {lsn} is older than the newest version (created at {newest})")]
    LsnOutOfOrder { lsn: Lsn, newest: Lsn },

    /// Key or row bytes that do not decode.
    #[error("decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },

    /// An item does not fit in a page. Internal to the B+tree, which splits
    /// before inserting; callers never see it.
    #[error("page at block {block} full: need {need} bytes, {free} free")]
    PageFull {
        block: BlockNo,
        need: usize,
        free: usize,
    },

    /// No election on the safekeepers (no quorum reachable, or a newer term won).
    #[error("elect a primary on the safekeepers: {0}")]
    Election(#[from] safekeeper::Error),

    /// The pageserver could not be reached or refused the timeline.
    #[error("pageserver {addr}: {reason}")]
    Pageserver { addr: String, reason: String },

    /// The engine could not start (catalog unreadable, bootstrap not durable).
    #[error("start the engine: {0}")]
    EngineStart(String),

    /// The pgwire listener could not bind.
    #[error("listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },

    /// Startup took longer than its limit.
    #[error("startup did not finish within {0:?}")]
    StartTimeout(Duration),

    /// A setting is invalid: the users file, or the authentication asked for.
    #[error("{0}")]
    Config(String),

    /// The compute stopped serving its timeline: a durability wait failed (a commit's
    /// outcome is unknown) or a newer primary fenced it. Its state may be stale; a new
    /// compute (new election, empty caches) must take over.
    #[error("stopped serving: {0}")]
    Stopped(String),
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Corrupt`] for `block`.
    pub fn corrupt(block: BlockNo, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            block,
            reason: reason.into(),
        }
    }

    /// A [`Error::Decode`].
    pub fn decode(what: &'static str, reason: impl Into<String>) -> Error {
        Error::Decode {
            what,
            reason: reason.into(),
        }
    }
}
