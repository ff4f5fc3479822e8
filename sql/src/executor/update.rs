//! `Update`: for each row from its input (a scan under the WHERE filter), locks the row and
//! writes the SET list applied to the **latest** version. If a concurrent transaction
//! committed a newer version (Read Committed), the WHERE clause is re-checked on it first
//! and the row is skipped if it no longer matches (EvalPlanQual); a concurrently deleted row
//! is skipped. Under Repeatable Read the storage raises 40001 instead.

use super::constraints::Constraints;
use super::{Context, Operator, Tuple, check_not_null, lock_for_write, returning_row};
use crate::Result;
use crate::expr::Expr;
use crate::storage::TableDef;

pub struct Update {
    table: TableDef,
    input: Box<dyn Operator>,
    predicate: Option<Expr>,
    assignments: Vec<(usize, Expr)>,
    returning: Option<Vec<Expr>>,
    constraints: Constraints,
    /// Rows updated, for `pg_stat_user_tables` (noted when the operator is dropped).
    counts: crate::system::table_stats::Delta,
}

impl Update {
    pub fn new(
        table: TableDef,
        input: Box<dyn Operator>,
        predicate: Option<Expr>,
        assignments: Vec<(usize, Expr)>,
        returning: Option<Vec<Expr>>,
    ) -> Self {
        Update {
            constraints: Constraints::new(&table),
            table,
            input,
            predicate,
            assignments,
            returning,
            counts: Default::default(),
        }
    }
}

impl Drop for Update {
    fn drop(&mut self) {
        crate::system::table_stats::note(self.table.id, self.counts);
    }
}

impl Operator for Update {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            let Some((key, current)) =
                lock_for_write(ctx, &self.table, t, &self.predicate, "UPDATE")?
            else {
                continue;
            };
            let mut new_row = current.clone();
            for (col, e) in &self.assignments {
                new_row[*col] = e.eval(&current, ctx)?;
            }
            check_not_null(ctx, &self.table, &new_row)?;
            self.constraints.before_update(ctx, &new_row)?;
            ctx.txn_mut()?
                .update(self.table.id, &key, new_row.clone())?;
            self.counts.upd += 1;
            self.constraints.after_update(ctx, &current, &new_row)?;
            return Ok(Some(returning_row(&self.returning, &new_row, ctx)?));
        }
        Ok(None)
    }
}
