//! The session's open cursors (portals), shared by SQL's `DECLARE` / `FETCH` / `MOVE` /
//! `CLOSE` (`session/cursors.rs`) and PL/pgSQL's `OPEN` / `FETCH` / `MOVE` / `CLOSE`
//! (`plpgsql/cursor.rs`): a function can return a `refcursor` whose portal the caller then
//! fetches from, and a function can fetch from a cursor its caller declared.
//!
//! [`Cursors`] lives in the session's [`crate::env::SessionInfo`], which a PL/pgSQL body
//! reaches through the statement environment. Its lock is never held while a query runs
//! (a cursor's query may call a function that opens another cursor).
//!
//! A [`Cursor`] holds its rows, computed when it is opened (so it sees the snapshot of its
//! DECLARE / OPEN, as in PostgreSQL), and its position, from 0 (before the first row) to
//! n + 1 (after the last), moved as PostgreSQL moves it. Cursors without HOLD go when the
//! transaction ends (`Session::end_cursors`).

use crate::binder::OutputColumn;
use crate::parse::cursor::Direction;
use crate::storage::Row;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// The open cursors by name, and the counter behind `<unnamed portal N>` names.
#[derive(Debug, Default)]
pub struct Cursors {
    inner: Mutex<Portals>,
}

#[derive(Debug, Default)]
pub struct Portals {
    pub open: BTreeMap<String, Cursor>,
    /// Unnamed portals made so far (PostgreSQL's `unnamed_portal_count`, per backend).
    unnamed: u64,
}

impl Portals {
    /// The transaction ended: cursors without HOLD go, and on a rollback those opened in
    /// it.
    pub fn end_transaction(&mut self, committed: bool) {
        self.open
            .retain(|_, c| c.hold && (committed || !c.in_this_transaction));
        for c in self.open.values_mut() {
            c.in_this_transaction = false;
            c.savepoints = 0;
        }
    }

    /// ROLLBACK TO the savepoint at `pos`: cursors declared after it go (PostgreSQL closes
    /// the portals of an aborted subtransaction; what FETCH moved in it stays moved).
    pub fn rollback_to(&mut self, pos: usize) {
        self.open.retain(|_, c| c.savepoints <= pos);
    }

    /// RELEASE of the savepoint at `pos`: cursors declared after it now belong to the
    /// enclosing level.
    pub fn release(&mut self, pos: usize) {
        for c in self.open.values_mut() {
            c.savepoints = c.savepoints.min(pos);
        }
    }
}

impl Cursors {
    /// The open cursors. Never hold the guard while a statement runs.
    pub fn lock(&self) -> MutexGuard<'_, Portals> {
        // A poisoned lock only means a panic elsewhere; every change is one map operation.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new portal name, `<unnamed portal N>`, as PostgreSQL's `CreateNewPortal` makes
    /// them (skipping names in use).
    pub fn unnamed(&self) -> String {
        let mut p = self.lock();
        loop {
            p.unnamed += 1;
            let name = format!("<unnamed portal {}>", p.unnamed);
            if !p.open.contains_key(&name) {
                return name;
            }
        }
    }
}

/// One open cursor.
#[derive(Debug)]
pub struct Cursor {
    columns: Vec<OutputColumn>,
    rows: Vec<Row>,
    /// 0: before the first row; `rows.len() + 1`: after the last.
    position: usize,
    scroll: Option<bool>,
    hold: bool,
    /// Declared in the current transaction (a ROLLBACK drops it even `WITH HOLD`).
    in_this_transaction: bool,
    /// What `pg_cursors` shows: the query text that declared it and when.
    pub source: Option<(std::sync::Arc<str>, i64)>,
    /// How many savepoints were open when it was declared (ROLLBACK TO an earlier one
    /// closes it).
    savepoints: usize,
}

impl Cursor {
    /// A cursor over `rows`, before its first row. `scroll`: `SCROLL` (`Some(true)`), `NO
    /// SCROLL` (`Some(false)`) or neither; `in_this_transaction`: opened in a transaction
    /// block (a ROLLBACK drops it even `WITH HOLD`).
    pub fn new(
        columns: Vec<OutputColumn>,
        rows: Vec<Row>,
        scroll: Option<bool>,
        hold: bool,
        in_this_transaction: bool,
    ) -> Cursor {
        Cursor {
            columns,
            rows,
            position: 0,
            scroll,
            hold,
            in_this_transaction,
            source: None,
            savepoints: 0,
        }
    }

    /// Declared with `n` savepoints open.
    pub fn within_savepoints(self, n: usize) -> Cursor {
        Cursor {
            savepoints: n,
            ..self
        }
    }

    /// Whether it was declared `WITH HOLD`.
    pub fn holdable(&self) -> bool {
        self.hold
    }

    /// Whether it may move backward (not `NO SCROLL`).
    pub fn scrollable(&self) -> bool {
        self.scroll != Some(false)
    }

    /// The columns its rows have.
    pub fn columns(&self) -> &[OutputColumn] {
        &self.columns
    }

    /// Moves as `direction` says; returns the rows passed over, in the order met.
    pub fn advance(&mut self, direction: Direction) -> Result<Vec<Row>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn cursor(n: i64, scroll: Option<bool>) -> Cursor {
        Cursor {
            columns: Vec::new(),
            rows: (1..=n).map(|i| vec![Value::Int(i)]).collect(),
            position: 0,
            scroll,
            hold: false,
            in_this_transaction: true,
            source: None,
            savepoints: 0,
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
