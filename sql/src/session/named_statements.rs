//! The session's named prepared statements as PostgreSQL has them: one namespace shared by
//! SQL `PREPARE name AS ...` and the extended protocol's named Parse, which `EXECUTE`,
//! `DEALLOCATE [ALL]` and `pg_prepared_statements` address by the client's name.
//!
//! Invariants: a protocol statement is listed under the client's name while the front end
//! holds it under its own (internal) name in the session's statement map; deallocating it
//! removes both and leaves a tombstone, so a later Bind of the front end's stale copy fails
//! with PostgreSQL's 26000 naming the client's statement. The unnamed statement is never
//! listed (`DEALLOCATE ALL` leaves it, as in PostgreSQL). SQL-level statements are not
//! transactional: a ROLLBACK keeps them.

use super::Prepared;
use crate::types::DataType;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// One listed statement.
#[derive(Debug, Clone)]
pub struct NamedStatement {
    pub(super) prepared: Arc<Prepared>,
    /// The front end's name for a protocol-level statement; `None` for `PREPARE`.
    pub(super) internal: Option<String>,
    /// The query string that created it (for `PREPARE`, the whole string it came in).
    pub source: Arc<str>,
    /// When it was prepared (`statement_timestamp()` of the preparing statement).
    pub prepared_at: i64,
}

impl NamedStatement {
    pub fn from_sql(&self) -> bool {
        self.internal.is_none()
    }

    pub fn param_types(&self) -> &[DataType] {
        &self.prepared.param_types
    }

    /// How many times it ran (each execution uses its cached, generic plan).
    pub fn executions(&self) -> u64 {
        self.prepared
            .executions
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The session's named statements, shared with the statements that list them
/// (`pg_prepared_statements` reads it through [`crate::env::CatalogEnv`]).
#[derive(Debug, Clone, Default)]
pub struct NamedStatements {
    inner: Arc<Mutex<Names>>,
}

#[derive(Debug, Default)]
struct Names {
    by_name: BTreeMap<String, NamedStatement>,
    /// Front-end names of deallocated protocol statements → the client's name.
    tombstones: HashMap<String, String>,
}

impl NamedStatements {
    fn lock(&self) -> MutexGuard<'_, Names> {
        // Plain maps: a panic elsewhere cannot leave them half-updated.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every listed statement, by name.
    pub fn list(&self) -> Vec<(String, NamedStatement)> {
        self.lock()
            .by_name
            .iter()
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect()
    }

    pub(super) fn get(&self, name: &str) -> Option<NamedStatement> {
        self.lock().by_name.get(name).cloned()
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.lock().by_name.contains_key(name)
    }

    /// Whether `name` is taken by a `PREPARE` (a protocol Parse may replace its own kind:
    /// the front end already replaced it, and its Close may still be on the way).
    pub(super) fn taken_by_sql(&self, name: &str) -> bool {
        self.lock().by_name.get(name).is_some_and(|s| s.from_sql())
    }

    pub(super) fn insert(&self, name: String, statement: NamedStatement) {
        let mut names = self.lock();
        if let Some(internal) = &statement.internal {
            names.tombstones.remove(internal);
        }
        names.by_name.insert(name, statement);
    }

    /// Removes `name`; the front-end name to drop from the session's map, if it was a
    /// protocol statement. `None` when nothing has that name.
    pub(super) fn deallocate(&self, name: &str) -> Option<Option<String>> {
        let mut names = self.lock();
        let removed = names.by_name.remove(name)?;
        if let Some(internal) = &removed.internal {
            names.tombstones.insert(internal.clone(), name.to_string());
        }
        Some(removed.internal)
    }

    /// Removes every listed statement; the front-end names to drop.
    pub(super) fn deallocate_all(&self) -> Vec<String> {
        let mut names = self.lock();
        let Names {
            by_name,
            tombstones,
        } = &mut *names;
        let mut internal = Vec::new();
        for (name, s) in std::mem::take(by_name) {
            if let Some(i) = s.internal {
                tombstones.insert(i.clone(), name);
                internal.push(i);
            }
        }
        internal
    }

    /// The front end closed its statement `internal`: forget its listing (unless the name
    /// was prepared again since) and its tombstone.
    pub(super) fn closed(&self, internal: &str) {
        let mut names = self.lock();
        if names.tombstones.remove(internal).is_some() {
            return;
        }
        names
            .by_name
            .retain(|_, s| s.internal.as_deref() != Some(internal));
    }

    /// The client's name of deallocated front-end statement `internal`.
    pub(super) fn deallocated(&self, internal: &str) -> Option<String> {
        self.lock().tombstones.get(internal).cloned()
    }
}
