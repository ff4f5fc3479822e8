//! The session's side of temporary tables: `ON COMMIT DROP | DELETE ROWS`, `DISCARD TEMP`,
//! and dropping the temporary schema when the session ends.
//!
//! A temporary table is an ordinary table in the session's schema `pg_temp_<backend pid>`
//! (created on first use by [`crate::ddl::Ddl::temp_target`], searched first, named
//! `pg_temp` in qualified names). `ON COMMIT` actions run inside the committing
//! transaction, just before it commits (outside a block, right after the CREATE); `ON COMMIT
//! DELETE ROWS` applies at every commit until the table is dropped.

use super::{Block, Session, Statement};
use crate::storage::Storage;
use crate::{Result, StatementResult};
use sqlparser::ast;
use std::sync::atomic::Ordering;

/// What a temporary table does at commit.
#[derive(Debug, Clone)]
pub(super) struct OnCommitAction {
    /// `pg_temp.name`.
    table: String,
    drop: bool,
}

impl<S: Storage> Session<S> {
    /// Notes the `ON COMMIT` action of a CREATE TEMP TABLE that succeeded (outside a block
    /// it runs at once).
    pub(super) fn note_on_commit(&mut self, stmt: &Statement) -> Result<()> {
        let Statement::Sql(ast::Statement::CreateTable(c)) = stmt else {
            return Ok(());
        };
        let drop = match c.on_commit {
            Some(ast::OnCommit::Drop) => true,
            Some(ast::OnCommit::DeleteRows) => false,
            _ => return Ok(()),
        };
        let Some(name) = c.name.0.last().and_then(|p| p.as_ident()) else {
            return Ok(());
        };
        let action = OnCommitAction {
            table: format!("pg_temp.{}", quote(&crate::binder::ident(name))),
            drop,
        };
        if matches!(self.block, Block::Idle) {
            return self.run_on_commit(&action);
        }
        self.on_commit.push(action);
        Ok(())
    }

    /// Runs the pending `ON COMMIT` actions in the open block (before it commits).
    pub(super) fn before_commit(&mut self) -> Result<()> {
        let actions = std::mem::take(&mut self.on_commit);
        let mut kept = Vec::new();
        for a in actions {
            self.run_on_commit(&a)?;
            if !a.drop {
                kept.push(a);
            }
        }
        self.on_commit = kept;
        Ok(())
    }

    fn run_on_commit(&mut self, a: &OnCommitAction) -> Result<()> {
        let sql = if a.drop {
            format!("DROP TABLE IF EXISTS {}", a.table)
        } else {
            format!("DELETE FROM {}", a.table)
        };
        for stmt in crate::parse::parse(&sql)? {
            // The table may be gone already (dropped by the user, or its CREATE rolled back).
            let _ = self.run_dml_or_ddl(&stmt, &[], &[]);
        }
        crate::notice::take();
        Ok(())
    }

    /// A rollback: actions of tables it created go with them (DELETE ROWS ones of earlier
    /// transactions stay).
    pub(super) fn forget_on_commit(&mut self) {
        self.on_commit.retain(|a| !a.drop);
    }

    /// `DISCARD TEMP` / `DISCARD ALL` and the session's end: drops the temporary schema with
    /// everything in it.
    pub(super) fn drop_temp_schema(&mut self) -> Result<StatementResult> {
        self.on_commit.clear();
        if !self.info.temp_schema.swap(false, Ordering::Relaxed) {
            return Ok(StatementResult::command("DISCARD TEMP"));
        }
        let name = format!(
            "{}{}",
            crate::binder::TEMP_SCHEMA_PREFIX,
            self.info.backend_pid
        );
        for stmt in crate::parse::parse(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))? {
            let _env = crate::env::install(self.statement_env());
            self.run_dml_or_ddl(&stmt, &[], &[])?;
        }
        crate::notice::take();
        Ok(StatementResult::command("DISCARD TEMP"))
    }
}

/// `name` as an identifier in SQL text.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
