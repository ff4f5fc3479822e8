//! `LockRows` (`SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE`):
//! locks the table rows each output row was made of, as the rows pass on their way to the
//! LIMIT, so only the rows returned (and those OFFSET skips, as in PostgreSQL) are locked.
//!
//! Each input row is `[outputs..., FROM row...]`; a locked table's columns in the FROM row
//! are followed by its storage key (see [`crate::planner::RowMark`]). After a lock:
//! * the row is unchanged → the output row stands;
//! * another transaction deleted it → the output row is dropped;
//! * another transaction committed a newer version (Read Committed only; Repeatable Read
//!   fails with 40001 in the storage) → the newest version replaces the old one in the FROM
//!   row, the WHERE clause is checked again over it and the outputs are computed again
//!   (PostgreSQL's EvalPlanQual; join conditions are not re-checked).
//!
//! A row locked by another transaction makes the operator wait, fail with 55P03 (NOWAIT) or
//! leave the output row out (SKIP LOCKED). A NULL key (the missing side of an outer join)
//! locks nothing.

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::{RowMark, WaitPolicy};
use crate::storage::{LockOutcome, RowLock};
use crate::{Error, Result};

pub struct LockRows {
    input: Box<dyn Operator>,
    marks: Vec<RowMark>,
    recheck: Option<Expr>,
    outputs: Vec<Expr>,
}

impl LockRows {
    pub fn new(
        input: Box<dyn Operator>,
        marks: Vec<RowMark>,
        recheck: Option<Expr>,
        outputs: Vec<Expr>,
    ) -> Self {
        LockRows {
            input,
            marks,
            recheck,
            outputs,
        }
    }

    /// Locks the rows of `t`; `None` when the output row is dropped.
    fn lock(&self, mut t: Tuple, ctx: &mut Context) -> Result<Option<Tuple>> {
        let from_offset = self.outputs.len();
        let mut changed = false;
        for m in &self.marks {
            let start = from_offset + m.first + m.width;
            let key = t
                .row
                .get(start..start + m.key_len)
                .ok_or_else(|| Error::Internal("LockRows: row has no key columns".into()))?
                .to_vec();
            if key.iter().all(|v| v.is_null()) {
                continue;
            }
            let how = RowLock {
                exclusive: m.exclusive,
                wait: m.wait == WaitPolicy::Block,
            };
            let locked = ctx.txn()?.lock_row_as(m.table, &key, how)?;
            match locked {
                None if m.wait == WaitPolicy::SkipLocked => return Ok(None),
                None => {
                    return Err(Error::LockNotAvailable(format!(
                        "could not obtain lock on row in relation \"{}\"",
                        m.table_name
                    )));
                }
                Some(LockOutcome::Unchanged(_)) => {}
                Some(LockOutcome::Deleted) => return Ok(None),
                Some(LockOutcome::Changed(row)) => {
                    let at = from_offset + m.first;
                    let slot = t
                        .row
                        .get_mut(at..at + m.width)
                        .filter(|s| s.len() == row.len())
                        .ok_or_else(|| {
                            Error::Internal("LockRows: row width does not match".into())
                        })?;
                    slot.clone_from_slice(&row);
                    changed = true;
                }
            }
        }
        if changed {
            let from = t.row.split_off(from_offset);
            if let Some(p) = &self.recheck
                && !p.is_true(&from, ctx)?
            {
                return Ok(None);
            }
            let mut row = self
                .outputs
                .iter()
                .map(|e| e.eval(&from, ctx))
                .collect::<Result<Vec<_>>>()?;
            row.extend(from);
            t.row = row;
        }
        Ok(Some(t))
    }
}

impl Operator for LockRows {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            if let Some(t) = self.lock(t, ctx)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}
