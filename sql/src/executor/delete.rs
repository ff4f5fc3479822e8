//! `Delete`: locks and deletes each row from its input, with the same EvalPlanQual re-check
//! as [`super::Update`]; RETURNING sees the deleted (latest) version.

use super::constraints::Constraints;
use super::triggers::{Event, Triggers};
use super::{Context, Operator, Tuple, lock_for_write, returning_row};
use crate::Result;
use crate::expr::Expr;
use crate::storage::TableDef;

pub struct Delete {
    table: TableDef,
    input: Box<dyn Operator>,
    predicate: Option<Expr>,
    returning: Option<Vec<Expr>>,
    constraints: Constraints,
    /// Rows deleted, for `pg_stat_user_tables` (noted when the operator is dropped).
    counts: crate::system::table_stats::Delta,
    /// The expressions read the row's key after its columns (`ctid`).
    with_key: bool,
    triggers: Triggers,
}

impl Delete {
    pub fn new(
        table: TableDef,
        input: Box<dyn Operator>,
        predicate: Option<Expr>,
        returning: Option<Vec<Expr>>,
    ) -> Self {
        let with_key = super::reads_key(
            table.columns.len(),
            predicate.iter().chain(returning.iter().flatten()),
        );
        Delete {
            triggers: Triggers::new(&table, &[Event::Delete], &[]),
            with_key,
            constraints: Constraints::new(&table),
            table,
            input,
            predicate,
            returning,
            counts: Default::default(),
        }
    }
}

impl Drop for Delete {
    fn drop(&mut self) {
        crate::system::table_stats::note(self.table.id, self.counts);
    }
}

impl Operator for Delete {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let triggers = !self.triggers.is_empty();
        if triggers {
            self.triggers.start(ctx)?;
        }
        while let Some(t) = self.input.next(ctx)? {
            let Some((key, current)) =
                lock_for_write(ctx, &self.table, t, &self.predicate, "DELETE")?
            else {
                continue;
            };
            if triggers {
                if self
                    .triggers
                    .before_row(ctx, Event::Delete, None, current.clone())?
                    .is_none()
                {
                    continue;
                }
                self.triggers
                    .after_row(Event::Delete, Some(current.clone()), None);
            }
            ctx.txn_mut()?.delete(self.table.id, &key)?;
            self.counts.del += 1;
            self.constraints.after_delete(ctx, &current)?;
            let out = if self.with_key {
                super::with_key(&current, &key)
            } else {
                current
            };
            return Ok(Some(returning_row(&self.returning, &out, ctx)?));
        }
        if triggers {
            self.triggers.finish(ctx)?;
        }
        Ok(None)
    }
}
