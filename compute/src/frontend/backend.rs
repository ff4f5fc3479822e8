//! [`Backend`]: what the front end asks of a storage besides running SQL — that no reply
//! reveals a commit that could still be lost, and whether the compute still serves.
//!
//! Before every reply the connection's thread calls [`Backend::settle`], which blocks until
//! everything the session's statements observed beyond their snapshots is durable (free in
//! the common case; see `engine::serving`). [`Backend::stopped`] and
//! [`Backend::stopping`] tell the front end that the compute stopped serving (its WAL was
//! lost or a newer primary fenced it): it then answers nothing more and closes every
//! session with FATAL 57P01 ([`super::worker`], [`super::serve`]).

use sql::memory::MemoryStorage;
use sql::storage::Storage;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

/// A storage the front end can serve. See the module docs.
pub trait Backend: Storage + Send + Sync + 'static {
    /// Blocks until every version this handle's transactions observed beyond their
    /// snapshots is durable. `Err` (08006): the wait failed, the outcome of what was
    /// observed is unknown, and the connection must close.
    fn settle(&self) -> sql::Result<()>;
    /// Why the storage stopped serving, once it has.
    fn stopped(&self) -> Option<String>;
    /// Cancelled when the storage stops serving.
    fn stopping(&self) -> CancellationToken;
}

impl Backend for Engine {
    fn settle(&self) -> sql::Result<()> {
        Engine::settle(self)
    }

    fn stopped(&self) -> Option<String> {
        Engine::stopped(self)
    }

    fn stopping(&self) -> CancellationToken {
        Engine::stopping(self)
    }
}

/// The SQL layer's reference storage: every commit is "durable" at once and it never stops.
impl Backend for MemoryStorage {
    fn settle(&self) -> sql::Result<()> {
        Ok(())
    }

    fn stopped(&self) -> Option<String> {
        None
    }

    fn stopping(&self) -> CancellationToken {
        CancellationToken::new()
    }
}
