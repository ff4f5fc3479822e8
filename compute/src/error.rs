//! The compute storage core's one error type.
//!
//! Each variant is something a caller acts on, and will map to a SQLSTATE:
//!
//! | variant              | caller's action                                  | SQLSTATE |
//! |----------------------|--------------------------------------------------|----------|
//! | `Corrupt`            | quarantine the page, report it, abort            | XX001    |
//! | `PageUnavailable`    | retry the page fetch, then abort                 | 58030    |
//! | `RowTooLarge`        | abort the statement                              | 54000    |
//! | `KeyTooLarge`        | abort the statement                              | 54000    |
//! | `NeedsOldSnapshot`   | re-traverse at the snapshot with pageserver pages| —        |
//! | `DuplicateKey`       | unique violation (or ON CONFLICT path)           | 23505    |
//! | `KeyNotFound`        | the write set is stale: retry the prepare phase  | 40001    |
//! | `LsnOutOfOrder`      | a write older than the newest version: bug/retry | XX000    |
//! | `Decode`             | malformed key/row bytes: treat as corruption     | XX001    |
//! | `PageFull`           | internal: the B+tree splits before callers see it| XX000    |

use proto::{BlockNo, Lsn};

/// Everything that can go wrong in the compute's storage core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A page's bytes break an invariant (bounds, ordering, fences, links).
    #[error("corrupt page at block {block}: {reason}")]
    Corrupt { block: BlockNo, reason: String },

    /// The page store could not produce a block.
    #[error("page at block {block} unavailable: {reason}")]
    PageUnavailable { block: BlockNo, reason: String },

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
