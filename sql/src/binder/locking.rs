//! The locking clauses of a SELECT (`FOR UPDATE | NO KEY UPDATE | SHARE | KEY SHARE [OF
//! name, ...] [NOWAIT | SKIP LOCKED]`), bound to a `LockRows` plan node.
//!
//! While the FROM list of such a SELECT is bound, every table a clause applies to (all of
//! them without `OF`) is scanned with its key's values after its columns, reachable
//! through system columns no SQL name reaches ([`KEY_COLUMN`]); the SELECT then carries the
//! whole FROM row as hidden columns past its outputs, up to the `LockRows` node between
//! ORDER BY and LIMIT (see [`crate::executor`]'s `lock_rows.rs`).
//!
//! Differences from PostgreSQL, written in ARCHITECTURE.md: a clause that applies to a
//! subquery or view in FROM is refused with 0A000 (PostgreSQL locks the rows of the tables
//! under it), the engine has
//! two lock modes (`FOR NO KEY UPDATE` is `FOR UPDATE`, `FOR KEY SHARE` is `FOR SHARE`),
//! and a changed row re-checks WHERE but not the join conditions.

use super::{Binder, Scope, ScopeColumn};
use crate::parse::locking::{Strength, strength_of};
use crate::planner::{RowMark, WaitPolicy};
use crate::storage::TableDef;
use crate::{Error, Result};
use sqlparser::ast;

/// The prefix of a key column's name.
pub(super) const KEY_COLUMN: &str = "\0row-lock-key#";

/// One locking clause.
#[derive(Debug, Clone)]
struct Clause {
    strength: Strength,
    /// The FROM item it names; `None`: all of them.
    of: Option<String>,
    wait: WaitPolicy,
}

/// A table of FROM a clause applies to.
#[derive(Debug)]
struct Marked {
    qualifier: String,
    mark: RowMark,
    /// The name of its first key column in the scope.
    key_column: String,
}

/// The locking clauses of the SELECT whose FROM list is being bound.
#[derive(Debug)]
pub(super) struct FromLocks {
    clauses: Vec<Clause>,
    marked: Vec<Marked>,
    /// A locked table is on the NULL-extended side of an outer join.
    nullable: bool,
    /// A view or subquery in FROM a clause applies to (whose rows PostgreSQL would lock).
    unlockable: Option<String>,
    /// The names of WITH queries in FROM, which `OF` may not name.
    with_queries: Vec<String>,
    /// Subqueries in FROM with nothing to lock (VALUES, a SELECT without FROM).
    lockless: Vec<String>,
}

impl FromLocks {
    /// The clauses of a query (`None` when it has none).
    pub(super) fn new(locks: &[ast::LockClause]) -> Result<Option<FromLocks>> {
        if locks.is_empty() {
            return Ok(None);
        }
        let mut clauses = Vec::new();
        for c in locks {
            let (strength, of) = strength_of(c);
            let of = match of.as_deref() {
                None => None,
                Some([name]) => Some(super::ident(name)),
                Some(_) => {
                    return Err(Error::SyntaxError(format!(
                        "FOR {} must specify unqualified relation names",
                        strength.name()
                    )));
                }
            };
            let wait = match c.nonblock {
                None => WaitPolicy::Block,
                Some(ast::NonBlock::Nowait) => WaitPolicy::NoWait,
                Some(ast::NonBlock::SkipLocked) => WaitPolicy::SkipLocked,
            };
            clauses.push(Clause { strength, of, wait });
        }
        Ok(Some(FromLocks {
            clauses,
            marked: Vec::new(),
            nullable: false,
            unlockable: None,
            with_queries: Vec::new(),
            lockless: Vec::new(),
        }))
    }

    /// The first clause's strength, which PostgreSQL names in its messages.
    pub(super) fn what(&self) -> &'static str {
        self.clauses[0].strength.name()
    }

    /// The strength and wait policy for the FROM item `qualifier`: the strongest of the
    /// clauses that apply; NOWAIT if any says so, else SKIP LOCKED if any says so.
    fn applying_to(&self, qualifier: &str) -> Option<(Strength, WaitPolicy)> {
        let mut found: Option<(Strength, WaitPolicy)> = None;
        for c in &self.clauses {
            if c.of.as_deref().is_some_and(|n| n != qualifier) {
                continue;
            }
            let rank = |w: WaitPolicy| match w {
                WaitPolicy::Block => 0,
                WaitPolicy::SkipLocked => 1,
                WaitPolicy::NoWait => 2,
            };
            found = Some(match found {
                None => (c.strength, c.wait),
                Some((s, w)) => (
                    s.max(c.strength),
                    if rank(c.wait) > rank(w) { c.wait } else { w },
                ),
            });
        }
        found
    }

    /// The row marks of the FROM list bound to `scope`: each clause's `OF` name must be a
    /// table of FROM, and no locked table may be NULL-extended.
    pub(super) fn finish(self, scope: &Scope) -> Result<Vec<RowMark>> {
        let what = self.what();
        for c in &self.clauses {
            let Some(name) = &c.of else { continue };
            if self.marked.iter().any(|m| &m.qualifier == name) || self.lockless.contains(name) {
                continue;
            }
            if self.with_queries.contains(name) {
                return Err(Error::unsupported(format!(
                    "FOR {what} cannot be applied to a WITH query"
                )));
            }
            if scope
                .columns
                .iter()
                .any(|col| col.table.as_deref() == Some(name.as_str()))
            {
                return Err(Error::unsupported(format!(
                    "FOR {what} of \"{name}\", which is not a table, is not supported"
                )));
            }
            return Err(Error::NoSuchRelation(format!(
                "relation \"{name}\" in FOR {what} clause not found in FROM clause"
            )));
        }
        if let Some(name) = &self.unlockable {
            return Err(Error::unsupported(format!(
                "FOR {what} of the view or subquery \"{name}\" in FROM is not supported"
            )));
        }
        if self.nullable {
            return Err(Error::unsupported(format!(
                "FOR {what} cannot be applied to the nullable side of an outer join"
            )));
        }
        let mut marks = Vec::new();
        for m in self.marked {
            let at = scope
                .columns
                .iter()
                .position(|c| c.system && c.name == m.key_column)
                .ok_or_else(|| Error::Internal("a locked table's key is not in FROM".into()))?;
            let first = at
                .checked_sub(m.mark.width)
                .filter(|&f| {
                    scope.columns[f..at]
                        .iter()
                        .all(|c| !c.system && c.table.as_deref() == Some(m.qualifier.as_str()))
                })
                .ok_or_else(|| {
                    Error::Internal("a locked table's columns are not before its key".into())
                })?;
            marks.push(RowMark { first, ..m.mark });
        }
        Ok(marks)
    }
}

/// The strength's check: PostgreSQL's message for a SELECT feature locking cannot go with.
pub(super) fn refuse(what: &str, with: &str) -> Error {
    Error::unsupported(format!("FOR {what} is not allowed with {with}"))
}

impl Binder {
    /// For a table bound in the FROM list of a locking SELECT: whether a clause applies to
    /// it (as `qualifier`); if so, its key columns are added to `scope`, UPDATE privilege is
    /// needed, and the scan must produce the key (`Plan::Scan::key_columns`).
    pub(super) fn mark_for_locking(
        &mut self,
        table: &TableDef,
        qualifier: &str,
        scope: &mut Scope,
    ) -> bool {
        let Some(locks) = self.from_locks.as_mut() else {
            return false;
        };
        let Some((strength, wait)) = locks.applying_to(qualifier) else {
            return false;
        };
        let key_types = table.key_types();
        let n = locks.marked.len();
        let key_column = format!("{KEY_COLUMN}{n}#0");
        for (i, t) in key_types.iter().enumerate() {
            scope.columns.push(ScopeColumn {
                table: Some(qualifier.to_string()),
                name: format!("{KEY_COLUMN}{n}#{i}"),
                data_type: *t,
                qualified_only: true,
                schema: None,
                whole_row: false,
                system: true,
                origin: None,
            });
        }
        locks.marked.push(Marked {
            qualifier: qualifier.to_string(),
            mark: RowMark {
                table: table.id,
                table_name: table.name.clone(),
                first: 0,
                width: table.columns.len(),
                key_len: key_types.len(),
                exclusive: strength.exclusive(),
                wait,
            },
            key_column,
        });
        self.need(table.id, crate::storage::catalog::acl::UPDATE);
        true
    }

    /// Notes a view or subquery in FROM (as `qualifier`): if a clause applies to it, the
    /// statement is refused rather than run without the locks PostgreSQL would take on the
    /// rows under it.
    pub(super) fn note_unlockable(&mut self, qualifier: &str) {
        if let Some(locks) = self.from_locks.as_mut()
            && locks.unlockable.is_none()
            && locks.applying_to(qualifier).is_some()
        {
            locks.unlockable = Some(qualifier.to_string());
        }
    }

    /// Notes a subquery in FROM (as `qualifier`) a clause may apply to. PostgreSQL pushes
    /// the clause into it: a set operation there is refused as at top level, and one with
    /// nothing to lock (VALUES, a SELECT without FROM) is left alone; any other is
    /// [`Binder::note_unlockable`].
    pub(super) fn note_locked_subquery(&mut self, qualifier: &str, q: &ast::Query) -> Result<()> {
        let Some(locks) = self.from_locks.as_mut() else {
            return Ok(());
        };
        if locks.applying_to(qualifier).is_none() {
            return Ok(());
        }
        let mut body = q.body.as_ref();
        while let ast::SetExpr::Query(inner) = body {
            body = inner.body.as_ref();
        }
        match body {
            ast::SetExpr::SetOperation { .. } => {
                Err(refuse(locks.what(), "UNION/INTERSECT/EXCEPT"))
            }
            ast::SetExpr::Values(_) => {
                locks.lockless.push(qualifier.to_string());
                Ok(())
            }
            ast::SetExpr::Select(s) if s.from.is_empty() => {
                locks.lockless.push(qualifier.to_string());
                Ok(())
            }
            _ => {
                self.note_unlockable(qualifier);
                Ok(())
            }
        }
    }

    /// Notes a WITH query in FROM (as `qualifier`): PostgreSQL locks nothing through one,
    /// and refuses a clause that names it.
    pub(super) fn note_with_query(&mut self, qualifier: &str) {
        if let Some(locks) = self.from_locks.as_mut() {
            locks.with_queries.push(qualifier.to_string());
        }
    }

    /// Notes that an outer join NULL-extends `scope`: a locked table in it is an error.
    pub(super) fn note_null_extended(&mut self, scope: &Scope) {
        if let Some(locks) = self.from_locks.as_mut()
            && scope
                .columns
                .iter()
                .any(|c| c.system && c.name.starts_with(KEY_COLUMN))
        {
            locks.nullable = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Session;
    use crate::memory::MemoryStorage;

    fn code(s: &mut Session<MemoryStorage>, sql: &str) -> String {
        match s.execute(sql).pop() {
            Some(Ok(_)) => "ok".into(),
            Some(Err(e)) => format!("{} {e}", e.code()),
            None => "none".into(),
        }
    }

    /// PostgreSQL locks the rows under a view or subquery in FROM; Strata refuses rather
    /// than answer without those locks.
    #[test]
    fn a_view_or_subquery_a_clause_applies_to_is_refused() {
        let mut s = Session::new(MemoryStorage::new());
        for sql in [
            "CREATE TABLE lk (id int PRIMARY KEY)",
            "CREATE VIEW lkv AS SELECT * FROM lk",
        ] {
            assert_eq!(code(&mut s, sql), "ok", "{sql}");
        }
        for sql in [
            "SELECT * FROM (SELECT * FROM lk) s FOR UPDATE",
            "SELECT * FROM lkv FOR SHARE",
            "SELECT * FROM lk, lkv FOR UPDATE OF lkv",
        ] {
            assert!(
                code(&mut s, sql).starts_with("0A000"),
                "{sql}: {}",
                code(&mut s, sql)
            );
        }
        // A clause that names only the table leaves the subquery alone.
        assert_eq!(
            code(&mut s, "SELECT * FROM lk, (SELECT 1) s FOR UPDATE OF lk"),
            "ok"
        );
        assert_eq!(code(&mut s, "SELECT * FROM lk, lkv FOR UPDATE OF lk"), "ok");
    }
}
