//! Cursors: `DECLARE name [[NO] SCROLL] CURSOR [WITH HOLD] FOR query`, `FETCH` / `MOVE`
//! in every direction, `CLOSE name | ALL` (psql's `FETCH_COUNT`, psycopg's and JDBC's
//! server-side cursors, Django's `.iterator()`).
//!
//! A cursor's rows are computed when it is declared (so it sees the snapshot of its
//! DECLARE, as in PostgreSQL) and kept in the session's store ([`crate::cursor`], shared
//! with PL/pgSQL's OPEN, so a function's `refcursor` can be fetched here). A cursor lasts
//! until the transaction ends; `WITH HOLD` keeps it past COMMIT (a ROLLBACK still drops one
//! declared in the rolled-back transaction), until CLOSE or the session's end.
//!
//! Not like PostgreSQL: the rows are held in memory rather than produced as they are
//! fetched (a cursor over a very large result costs its size at DECLARE); `NO SCROLL`
//! cursors refuse backward moves, others allow them (PostgreSQL allows them when the plan
//! can run backward); there is no `pg_cursors` view and no `BINARY` cursor.

use super::{Block, OutputColumn, Session, Statement};
use crate::cursor::Cursor;
use crate::parse::cursor::CursorCommand;
use crate::storage::Storage;
use crate::types::DataType;
use crate::{Error, Result, StatementResult, Value};
use sqlparser::ast;

impl<S: Storage> Session<S> {
    /// Runs a cursor statement.
    pub(super) fn run_cursor(
        &mut self,
        command: &CursorCommand,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        match command {
            CursorCommand::Declare {
                name,
                scroll,
                hold,
                query,
            } => {
                if !hold && matches!(self.block, Block::Idle) {
                    return Err(Error::NoActiveTransaction("DECLARE CURSOR"));
                }
                if self.info.cursors.lock().open.contains_key(name) {
                    return Err(Error::DuplicateCursor(name.clone()));
                }
                // A locking cursor cannot run backward (PostgreSQL's LockRows neither).
                let scroll = match (*scroll, query.locks.is_empty()) {
                    (Some(true), false) => {
                        let (strength, _) = crate::parse::locking::strength_of(&query.locks[0]);
                        return Err(Error::unsupported(format!(
                            "DECLARE SCROLL CURSOR ... FOR {} is not supported",
                            strength.name()
                        )));
                    }
                    (_, false) => Some(false),
                    (s, true) => s,
                };
                let query = Statement::Sql(ast::Statement::Query(query.clone()));
                let r = self.run_dml_or_ddl(&query, params, types)?;
                let mut cursor = Cursor::new(
                    r.columns.unwrap_or_default(),
                    r.rows,
                    scroll,
                    *hold,
                    !matches!(self.block, Block::Idle),
                )
                .within_savepoints(match &self.block {
                    Block::Open { savepoints, .. } | Block::Failed { savepoints, .. } => {
                        savepoints.len()
                    }
                    Block::Idle => 0,
                });
                cursor.source = self
                    .query_source
                    .clone()
                    .map(|q| (q, crate::types::datetime::clock_now()));
                let mut portals = self.info.cursors.lock();
                if portals.open.contains_key(name) {
                    // the query opened one of that name (a function's OPEN)
                    return Err(Error::DuplicateCursor(name.clone()));
                }
                portals.open.insert(name.clone(), cursor);
                Ok(StatementResult::command("DECLARE CURSOR"))
            }
            CursorCommand::Fetch {
                name,
                direction,
                move_only,
            } => {
                let mut portals = self.info.cursors.lock();
                let cursor = portals
                    .open
                    .get_mut(name)
                    .ok_or_else(|| Error::InvalidCursorName(name.clone()))?;
                let rows = cursor.advance(*direction)?;
                if *move_only {
                    return Ok(StatementResult::command(format!("MOVE {}", rows.len())));
                }
                Ok(StatementResult {
                    tag: format!("FETCH {}", rows.len()),
                    columns: Some(cursor.columns().to_vec()),
                    rows,
                    notices: Vec::new(),
                })
            }
            CursorCommand::Close { name: None } => {
                self.info.cursors.lock().open.clear();
                Ok(StatementResult::command("CLOSE CURSOR ALL"))
            }
            CursorCommand::Close { name: Some(name) } => {
                self.info
                    .cursors
                    .lock()
                    .open
                    .remove(name)
                    .ok_or_else(|| Error::InvalidCursorName(name.clone()))?;
                Ok(StatementResult::command("CLOSE CURSOR"))
            }
        }
    }

    /// The columns a FETCH from cursor `name` returns (for Describe).
    pub(super) fn cursor_columns(&self, name: &str) -> Option<Vec<OutputColumn>> {
        self.info
            .cursors
            .lock()
            .open
            .get(name)
            .map(|c| c.columns().to_vec())
    }

    /// The transaction ended: cursors without HOLD go, and on a rollback those it declared.
    pub(super) fn end_cursors(&mut self, committed: bool) {
        self.info.cursors.lock().end_transaction(committed);
    }
}
