//! Read-only transactions: `BEGIN READ ONLY` / `START TRANSACTION READ ONLY`, `SET
//! TRANSACTION READ ONLY | READ WRITE`, `SET transaction_read_only`, and
//! `default_transaction_read_only` (which `SET SESSION CHARACTERISTICS AS TRANSACTION` sets).
//!
//! The current transaction's mode is the transaction-local value of `transaction_read_only`,
//! set when a block begins (from `default_transaction_read_only` or BEGIN's mode); outside a
//! block each statement takes `default_transaction_read_only`. Like PostgreSQL, a read-only
//! transaction refuses every statement that writes — INSERT, UPDATE, DELETE, MERGE, `SELECT
//! ... FOR UPDATE/SHARE`, a SELECT with a data-modifying WITH, COPY FROM, DDL, GRANT,
//! COMMENT, TRUNCATE — with 25006 `cannot execute <command> in a read-only transaction`, and
//! `nextval()` / `setval()` likewise (checked where they run, through
//! [`crate::env::SessionInfo::read_only`]); reads, SET/SHOW, transaction control, EXPLAIN
//! without ANALYZE, VACUUM and ANALYZE, LOCK TABLE and advisory locks stay allowed. Read-write mode
//! cannot be set after the transaction's first query (25001).

use super::{Block, Session};
use crate::parse::Statement;
use crate::parse::locking::strength_of;
use crate::storage::Storage;
use crate::{Error, Result};
use sqlparser::ast;

/// The command name PostgreSQL refuses `stmt` under in a read-only transaction, or `None`
/// when a read-only transaction may run it.
pub fn refused_command(stmt: &Statement) -> Option<String> {
    match stmt {
        Statement::Sql(s) => refused_sql(s),
        Statement::Copy(c) => c.from.then(|| "COPY FROM".to_string()),
        Statement::Maintenance(_) => None,
        // Its statements are checked as they run.
        Statement::Do { .. } => None,
        Statement::AlterSequence(_) => Some("ALTER SEQUENCE".into()),
        Statement::CreateProcedure(_) => Some("CREATE PROCEDURE".into()),
        Statement::DropRoutine(_) => Some("DROP ROUTINE".into()),
        Statement::AlterRoutine { procedure, .. } => Some(
            if procedure.is_some() {
                "ALTER PROCEDURE"
            } else {
                "ALTER ROUTINE"
            }
            .into(),
        ),
        Statement::CommentOnRoutine { .. } => Some("COMMENT".into()),
        Statement::CreateTableAs(_) => Some("CREATE TABLE AS".into()),
        Statement::ReassignOwned(_) => Some("REASSIGN OWNED".into()),
        Statement::DropOwned(_) => Some("DROP OWNED".into()),
        Statement::CreateDomain(_) => Some("CREATE DOMAIN".into()),
        Statement::CreateSchemaElements { .. } => Some("CREATE SCHEMA".into()),
        Statement::AlterDomain(_) => Some("ALTER DOMAIN".into()),
        Statement::AlterDatabase { .. } => Some("ALTER DATABASE".into()),
        Statement::RenameIndexIfExists { .. } => Some("ALTER INDEX".into()),
        Statement::Cursor(crate::parse::cursor::CursorCommand::Declare { query, .. }) => {
            refused_query(query)
        }
        Statement::Cursor(_) => None,
        Statement::Utility(
            crate::parse::utility::Utility::Checkpoint
            | crate::parse::utility::Utility::SetConstraints { .. },
        ) => None,
        Statement::Utility(crate::parse::utility::Utility::Cluster { .. }) => {
            Some("CLUSTER".into())
        }
        Statement::Utility(crate::parse::utility::Utility::Reindex { .. }) => {
            Some("REINDEX".into())
        }
        Statement::Utility(
            crate::parse::utility::Utility::AlterConstraint { .. }
            | crate::parse::utility::Utility::SetSchema { .. },
        ) => Some("ALTER TABLE".into()),
        Statement::Utility(crate::parse::utility::Utility::TypeSetSchema { .. }) => {
            Some("ALTER TYPE".into())
        }
    }
}

fn refused_sql(s: &ast::Statement) -> Option<String> {
    use ast::Statement as S;
    match s {
        S::Query(q) => refused_query(q),
        S::Insert(_) => Some("INSERT".into()),
        S::Update(_) => Some("UPDATE".into()),
        S::Delete(_) => Some("DELETE".into()),
        S::Merge(_) => Some("MERGE".into()),
        S::Explain {
            analyze: true,
            statement,
            ..
        } => refused_sql(statement),
        S::Explain { .. }
        | S::ExplainTable { .. }
        | S::Set(_)
        | S::ShowVariable { .. }
        | S::ShowVariables { .. }
        | S::Reset(_)
        | S::StartTransaction { .. }
        | S::Commit { .. }
        | S::Rollback { .. }
        | S::Savepoint { .. }
        | S::ReleaseSavepoint { .. }
        | S::Prepare { .. }
        | S::Execute { .. }
        | S::Deallocate { .. }
        | S::Discard { .. }
        | S::Declare { .. }
        | S::Fetch { .. }
        | S::Close { .. }
        | S::Lock(_)
        | S::LISTEN { .. }
        | S::UNLISTEN { .. }
        | S::NOTIFY { .. }
        | S::Call(_)
        | S::Analyze(_) => None,
        S::CreateTable(c) if c.query.is_some() => Some("CREATE TABLE AS".into()),
        S::CreateTable(_) => Some("CREATE TABLE".into()),
        S::CreateIndex(_) => Some("CREATE INDEX".into()),
        S::CreateView(v) if v.materialized => Some("CREATE MATERIALIZED VIEW".into()),
        S::CreateView(_) => Some("CREATE VIEW".into()),
        S::Drop { object_type, .. } => Some(format!("DROP {object_type}")),
        S::Truncate(_) => Some("TRUNCATE TABLE".into()),
        other => Some(leading_words(&other.to_string())),
    }
}

/// A SELECT that locks rows or writes in a WITH query.
fn refused_query(q: &ast::Query) -> Option<String> {
    if let Some(first) = q.locks.first() {
        return Some(format!("SELECT FOR {}", strength_of(first).0.name()));
    }
    let writes = |body: &ast::SetExpr| {
        matches!(
            body,
            ast::SetExpr::Insert(_)
                | ast::SetExpr::Update(_)
                | ast::SetExpr::Delete(_)
                | ast::SetExpr::Merge(_)
        )
    };
    let in_with = q
        .with
        .as_ref()
        .is_some_and(|w| w.cte_tables.iter().any(|c| writes(&c.query.body)));
    (in_with || writes(&q.body)).then(|| "SELECT".to_string())
}

/// A command's name from its text: the keywords before the first name (`ALTER INDEX`,
/// `CREATE SCHEMA`, `GRANT`).
fn leading_words(text: &str) -> String {
    const OBJECT_WORDS: usize = 2;
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.first().copied() {
        Some("GRANT" | "REVOKE" | "COMMENT") => words[0].to_string(),
        _ => words
            .iter()
            .take(OBJECT_WORDS)
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// 25006 for `what`.
pub fn refusal(what: &str) -> Error {
    Error::ReadOnlySqlTransaction(format!("cannot execute {what} in a read-only transaction"))
}

impl<S: Storage> Session<S> {
    /// Whether the current transaction (outside a block: the next statement's) is read-only.
    pub(super) fn transaction_read_only(&self) -> bool {
        if self.in_recovery {
            return true;
        }
        let name = if matches!(self.block, Block::Idle) {
            "default_transaction_read_only"
        } else {
            "transaction_read_only"
        };
        self.info.setting(name).as_deref() == Some("on")
    }

    /// Sets the open block's access mode (`read_only`); read-write after the block's first
    /// query of a read-only block is 25001. Outside a block it does nothing (PostgreSQL
    /// warns where the caller says so).
    pub(super) fn set_access_mode(&mut self, read_only: bool) -> Result<()> {
        let Block::Open { txn, .. } = &self.block else {
            return Ok(());
        };
        if !read_only && txn.is_some() && self.transaction_read_only() {
            return Err(Error::ActiveTransaction(
                "transaction read-write mode must be set before any query".into(),
            ));
        }
        self.info
            .settings()
            .set(
                "transaction_read_only",
                if read_only { "on" } else { "off" },
                true,
            )
            .map(|_| ())
    }

    /// A block began: its mode is the default until BEGIN or SET TRANSACTION says otherwise.
    ///
    /// Nothing is set when the mode is already the default (every autocommit statement
    /// begins a block: a change here would make the session re-derive its settings at each).
    pub(super) fn start_access_mode(&mut self) {
        let mut settings = self.info.settings();
        let default = settings.get("default_transaction_read_only");
        let default = default.as_deref().unwrap_or("off");
        let _ = settings.set_local_unless_same("transaction_read_only", default);
    }

    /// The access mode BEGIN / SET TRANSACTION `modes` name, if any.
    pub(super) fn access_mode_of(modes: &[ast::TransactionMode]) -> Option<bool> {
        modes.iter().rev().find_map(|m| match m {
            ast::TransactionMode::AccessMode(a) => {
                Some(matches!(a, ast::TransactionAccessMode::ReadOnly))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> Option<String> {
        let stmt = crate::parse::parse(sql).expect("parses").remove(0);
        refused_command(&stmt)
    }

    #[test]
    fn writes_are_named_as_postgresql_names_them() {
        assert_eq!(
            refused("INSERT INTO t VALUES (1)").as_deref(),
            Some("INSERT")
        );
        assert_eq!(
            refused("SELECT * FROM t FOR NO KEY UPDATE").as_deref(),
            Some("SELECT FOR NO KEY UPDATE")
        );
        assert_eq!(
            refused("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d").as_deref(),
            Some("SELECT")
        );
        assert_eq!(
            refused("CREATE TABLE t (x int)").as_deref(),
            Some("CREATE TABLE")
        );
        assert_eq!(refused("DROP TABLE t").as_deref(), Some("DROP TABLE"));
        assert_eq!(refused("TRUNCATE t").as_deref(), Some("TRUNCATE TABLE"));
        assert_eq!(
            refused("ALTER TABLE t ADD COLUMN y int").as_deref(),
            Some("ALTER TABLE")
        );
        assert_eq!(
            refused("GRANT SELECT ON t TO public").as_deref(),
            Some("GRANT")
        );
        assert_eq!(
            refused("COMMENT ON TABLE t IS 'x'").as_deref(),
            Some("COMMENT")
        );
        for allowed in [
            "SELECT * FROM t",
            "EXPLAIN INSERT INTO t VALUES (1)",
            "SET x = 1",
            "SHOW x",
            "BEGIN",
            "COMMIT",
            "LOCK TABLE t IN ROW EXCLUSIVE MODE",
            "ANALYZE t",
            "COPY t TO STDOUT",
        ] {
            assert_eq!(refused(allowed), None, "{allowed}");
        }
        assert_eq!(refused("COPY t FROM STDIN").as_deref(), Some("COPY FROM"));
    }
}
