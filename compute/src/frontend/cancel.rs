//! Cancel requests: which backend key cancels which session.
//!
//! Every authenticated connection gets a process id and a secret key (pgwire's generator,
//! sent to the client as BackendKeyData) and is registered here with its session's
//! [`Interrupt`]. A CancelRequest arrives on a new connection carrying a pid and a key; if
//! both match a registered session, that session's running statement is canceled (it fails
//! with 57014 at its next check, and the connection stays usable). A request that matches
//! nothing, or arrives while the session is idle, is ignored, as in PostgreSQL; the client
//! is never told either way.
//!
//! Invariant: an entry lives exactly as long as its connection — the [`Registration`] guard
//! is kept in the connection's session extensions and removes the entry when dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use sql::Interrupt;

type Key = (i32, Bytes);

/// Registered sessions by `(pid, secret key)`.
#[derive(Default)]
pub struct CancelRegistry {
    sessions: Mutex<HashMap<Key, Interrupt>>,
}

impl CancelRegistry {
    pub fn new() -> Arc<CancelRegistry> {
        Arc::new(CancelRegistry::default())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Interrupt>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a session under its backend key until the returned guard is dropped.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: &SecretKey,
        interrupt: Interrupt,
    ) -> Registration {
        let key = (pid, secret.to_bytes());
        self.lock().insert(key.clone(), interrupt);
        Registration {
            registry: self.clone(),
            key,
        }
    }

    /// Cancels the running statement of the session with this backend key; returns whether
    /// one was running.
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let interrupt = self.lock().get(&(pid, secret.to_bytes())).cloned();
        match interrupt {
            Some(i) => {
                let canceled = i.cancel();
                tracing::info!(pid, canceled, "cancel request");
                canceled
            }
            None => {
                tracing::debug!(pid, "cancel request for no known session");
                false
            }
        }
    }

    /// Cancels the running statement of every session (the server is closing them all);
    /// returns how many were running one.
    pub fn cancel_all(&self) -> usize {
        let sessions: Vec<Interrupt> = self.lock().values().cloned().collect();
        sessions.iter().filter(|i| i.cancel()).count()
    }

    /// How many sessions are registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps a session registered; see [`CancelRegistry::register`].
pub struct Registration {
    registry: Arc<CancelRegistry>,
    key: Key,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.key);
    }
}

/// pgwire's hook: a CancelRequest on a fresh connection.
pub struct Canceler(pub Arc<CancelRegistry>);

#[async_trait]
impl CancelHandler for Canceler {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.0.cancel(request.pid, &request.secret_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_matching_key_cancels_and_registration_ends_with_its_guard() {
        let registry = CancelRegistry::new();
        let interrupt = Interrupt::new();
        let guard = registry.register(7, &SecretKey::I32(42), interrupt.clone());
        interrupt.start();
        assert!(!registry.cancel(7, &SecretKey::I32(41)), "wrong secret");
        assert!(!registry.cancel(8, &SecretKey::I32(42)), "wrong pid");
        assert!(!interrupt.is_canceled());
        assert!(registry.cancel(7, &SecretKey::I32(42)));
        assert!(interrupt.is_canceled());
        drop(guard);
        assert!(registry.is_empty());
        interrupt.start();
        assert!(!registry.cancel(7, &SecretKey::I32(42)), "unregistered");
    }

    #[test]
    fn cancel_all_reaches_every_running_statement() {
        let registry = CancelRegistry::new();
        let (running, idle) = (Interrupt::new(), Interrupt::new());
        let _a = registry.register(1, &SecretKey::I32(1), running.clone());
        let _b = registry.register(2, &SecretKey::I32(2), idle.clone());
        running.start();
        assert_eq!(registry.cancel_all(), 1);
        assert!(running.is_canceled());
        assert!(!idle.is_canceled(), "an idle session has nothing to cancel");
    }
}
