//! Cursors: `DECLARE name [[NO] SCROLL] CURSOR [WITH HOLD] FOR query`, `FETCH` / `MOVE`
//! in every direction, `CLOSE name | ALL` (psql's `FETCH_COUNT`, psycopg's and JDBC's
//! server-side cursors, Django's `.iterator()`).
//!
//! A cursor's rows are computed when it is declared (so it sees the snapshot of its
//! DECLARE, as in PostgreSQL) and kept in the session; its position runs from 0 (before
//! the first row) to n + 1 (after the last), moved as PostgreSQL moves it. A cursor lasts
//! until the transaction ends; `WITH HOLD` keeps it past COMMIT (a ROLLBACK still drops one
//! declared in the rolled-back transaction), until CLOSE or the session's end.
//!
//! Not like PostgreSQL: the rows are held in memory rather than produced as they are
//! fetched (a cursor over a very large result costs its size at DECLARE); `NO SCROLL`
//! cursors refuse backward moves, others allow them (PostgreSQL allows them when the plan
//! can run backward); there is no `pg_cursors` view and no `BINARY` cursor.

use super::{Block, OutputColumn, Session, Statement};
use crate::parse::cursor::{CursorCommand, Direction};
use crate::storage::{Row, Storage};
use crate::types::DataType;
use crate::{Error, Result, StatementResult, Value};
use sqlparser::ast;

/// One open cursor.
#[derive(Debug)]
pub(super) struct Cursor {
    columns: Vec<OutputColumn>,
    rows: Vec<Row>,
    /// 0: before the first row; `rows.len() + 1`: after the last.
    position: usize,
    scroll: Option<bool>,
    hold: bool,
    /// Declared in the current transaction (a ROLLBACK drops it even `WITH HOLD`).
    in_this_transaction: bool,
}

impl Cursor {
    /// Moves as `direction` says; returns the rows passed over, in the order met.
    fn advance(&mut self, direction: Direction) -> Result<Vec<Row>> {
        let n = self.rows.len();
        let mut out = Vec::new();
        let forward = |c: &mut Cursor, count: Option<i64>, out: &mut Vec<Row>| {
            let mut left = count.unwrap_or(i64::MAX);
            while left > 0 {
                if c.position < n {
                    c.position += 1;
                    out.push(c.rows[c.position - 1].clone());
                } else {
                    c.position = n + 1;
                    break;
                }
                left -= 1;
            }
        };
        let backward = |c: &mut Cursor, count: Option<i64>, out: &mut Vec<Row>| {
            let mut left = count.unwrap_or(i64::MAX);
            while left > 0 {
                if c.position > 1 {
                    c.position -= 1;
                    out.push(c.rows[c.position - 1].clone());
                } else {
                    c.position = 0;
                    break;
                }
                left -= 1;
            }
        };
        let backward_ok = |c: &Cursor| {
            if c.scroll == Some(false) {
                Err(Error::WithHint {
                    error: Box::new(Error::ObjectNotInPrerequisiteState(
                        "cursor can only scan forward".into(),
                    )),
                    hint: "Declare it with SCROLL option to enable backward scan.".into(),
                })
            } else {
                Ok(())
            }
        };
        match direction {
            Direction::Forward(Some(k)) if k < 0 => {
                backward_ok(self)?;
                backward(self, Some(-k), &mut out);
            }
            Direction::Forward(count) => forward(self, count, &mut out),
            Direction::Backward(Some(k)) if k < 0 => forward(self, Some(-k), &mut out),
            Direction::Backward(count) => {
                backward_ok(self)?;
                backward(self, count, &mut out);
            }
            Direction::Absolute(k) => {
                let target = match k {
                    0 => 0,
                    k if k > 0 => usize::try_from(k).unwrap_or(usize::MAX),
                    k => (n + 1).saturating_sub(usize::try_from(-k).unwrap_or(usize::MAX)),
                };
                if target < self.position || k <= 0 {
                    backward_ok(self)?;
                }
                self.jump(target, &mut out);
            }
            Direction::Relative(0) => {
                if (1..=n).contains(&self.position) {
                    out.push(self.rows[self.position - 1].clone());
                }
            }
            Direction::Relative(k) => {
                if k < 0 {
                    backward_ok(self)?;
                }
                let target = if k > 0 {
                    self.position
                        .saturating_add(usize::try_from(k).unwrap_or(usize::MAX))
                } else {
                    self.position
                        .saturating_sub(usize::try_from(-k).unwrap_or(usize::MAX))
                };
                self.jump(target, &mut out);
            }
        }
        Ok(out)
    }

    /// Goes to row `target` (1-based) and returns it; past either end, to that end.
    fn jump(&mut self, target: usize, out: &mut Vec<Row>) {
        let n = self.rows.len();
        if target == 0 {
            self.position = 0;
        } else if target > n {
            self.position = n + 1;
        } else {
            self.position = target;
            out.push(self.rows[target - 1].clone());
        }
    }
}

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
                if self.cursors.contains_key(name) {
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
                self.cursors.insert(
                    name.clone(),
                    Cursor {
                        columns: r.columns.unwrap_or_default(),
                        rows: r.rows,
                        position: 0,
                        scroll,
                        hold: *hold,
                        in_this_transaction: !matches!(self.block, Block::Idle),
                    },
                );
                Ok(StatementResult::command("DECLARE CURSOR"))
            }
            CursorCommand::Fetch {
                name,
                direction,
                move_only,
            } => {
                let cursor = self
                    .cursors
                    .get_mut(name)
                    .ok_or_else(|| Error::InvalidCursorName(name.clone()))?;
                let rows = cursor.advance(*direction)?;
                if *move_only {
                    return Ok(StatementResult::command(format!("MOVE {}", rows.len())));
                }
                Ok(StatementResult {
                    tag: format!("FETCH {}", rows.len()),
                    columns: Some(cursor.columns.clone()),
                    rows,
                    notices: Vec::new(),
                })
            }
            CursorCommand::Close { name: None } => {
                self.cursors.clear();
                Ok(StatementResult::command("CLOSE CURSOR ALL"))
            }
            CursorCommand::Close { name: Some(name) } => {
                self.cursors
                    .remove(name)
                    .ok_or_else(|| Error::InvalidCursorName(name.clone()))?;
                Ok(StatementResult::command("CLOSE CURSOR"))
            }
        }
    }

    /// The columns a FETCH from cursor `name` returns (for Describe).
    pub(super) fn cursor_columns(&self, name: &str) -> Option<Vec<OutputColumn>> {
        self.cursors.get(name).map(|c| c.columns.clone())
    }

    /// The transaction ended: cursors without HOLD go, and on a rollback those it declared.
    pub(super) fn end_cursors(&mut self, committed: bool) {
        self.cursors
            .retain(|_, c| c.hold && (committed || !c.in_this_transaction));
        for c in self.cursors.values_mut() {
            c.in_this_transaction = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(n: i64, scroll: Option<bool>) -> Cursor {
        Cursor {
            columns: Vec::new(),
            rows: (1..=n).map(|i| vec![Value::Int(i)]).collect(),
            position: 0,
            scroll,
            hold: false,
            in_this_transaction: true,
        }
    }

    fn ids(rows: Vec<Row>) -> Vec<i64> {
        rows.into_iter()
            .map(|r| match r[0] {
                Value::Int(i) => i,
                _ => unreachable!("int rows"),
            })
            .collect()
    }

    #[test]
    fn moves_as_postgresql_moves() {
        let mut c = cursor(5, None);
        let mut go = |d| ids(c.advance(d).expect("moves"));
        assert_eq!(go(Direction::Forward(Some(2))), [1, 2]);
        assert_eq!(go(Direction::Forward(Some(1))), [3]);
        assert_eq!(go(Direction::Backward(Some(2))), [2, 1]);
        assert_eq!(go(Direction::Backward(Some(1))), Vec::<i64>::new());
        assert_eq!(go(Direction::Forward(None)), [1, 2, 3, 4, 5]);
        assert_eq!(go(Direction::Forward(Some(1))), Vec::<i64>::new());
        assert_eq!(go(Direction::Backward(Some(1))), [5]);
        assert_eq!(go(Direction::Absolute(-2)), [4]);
        assert_eq!(go(Direction::Relative(0)), [4]);
        assert_eq!(go(Direction::Relative(-3)), [1]);
        assert_eq!(go(Direction::Absolute(9)), Vec::<i64>::new());
        assert_eq!(go(Direction::Backward(None)), [5, 4, 3, 2, 1]);
        assert_eq!(go(Direction::Forward(Some(-1))), Vec::<i64>::new());
        assert_eq!(go(Direction::Absolute(1)), [1]);
    }

    #[test]
    fn no_scroll_cursors_only_go_forward() {
        let mut c = cursor(3, Some(false));
        assert_eq!(
            ids(c.advance(Direction::Forward(Some(2))).expect("forward")),
            [1, 2]
        );
        let e = c
            .advance(Direction::Backward(Some(1)))
            .expect_err("backward");
        assert_eq!(e.code(), "55000");
    }
}
