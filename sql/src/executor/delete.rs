//! `Delete`: locks and deletes each row from its input, with the same EvalPlanQual re-check
//! as [`super::Update`]; RETURNING sees the deleted (latest) version.

use super::{Context, Operator, Tuple, returning_row};
use crate::expr::Expr;
use crate::storage::{LockOutcome, TableDef};
use crate::{Error, Result};

pub struct Delete {
    table: TableDef,
    input: Box<dyn Operator>,
    predicate: Option<Expr>,
    returning: Option<Vec<Expr>>,
}

impl Delete {
    pub fn new(
        table: TableDef,
        input: Box<dyn Operator>,
        predicate: Option<Expr>,
        returning: Option<Vec<Expr>>,
    ) -> Self {
        Delete {
            table,
            input,
            predicate,
            returning,
        }
    }
}

impl Operator for Delete {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            let key = t
                .key
                .ok_or_else(|| Error::Internal("DELETE input row has no key".into()))?;
            let current = match ctx.txn.lock_row(self.table.id, &key)? {
                LockOutcome::Unchanged(row) => row,
                LockOutcome::Changed(row) => {
                    if let Some(p) = &self.predicate
                        && !p.is_true(&row, ctx.params)?
                    {
                        continue;
                    }
                    row
                }
                LockOutcome::Deleted => continue,
            };
            ctx.txn.delete(self.table.id, &key)?;
            return Ok(Some(returning_row(&self.returning, &current, ctx.params)?));
        }
        Ok(None)
    }
}
