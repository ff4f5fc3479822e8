//! `Update`: for each row from its input (a scan under the WHERE filter), locks the row and
//! writes the SET list applied to the **latest** version. If a concurrent transaction
//! committed a newer version (Read Committed), the WHERE clause is re-checked on it first
//! and the row is skipped if it no longer matches (EvalPlanQual); a concurrently deleted row
//! is skipped. Under Repeatable Read the storage raises 40001 instead.

use super::constraints::Constraints;
use super::partition_route;
use super::triggers::{Event, Triggers};
use super::{Context, Operator, Tuple, check_not_null, lock_for_write, returning_row};
use crate::Result;
use crate::expr::Expr;
use crate::storage::TableDef;
use crate::storage::catalog::partition;

pub struct Update {
    table: TableDef,
    input: Box<dyn Operator>,
    predicate: Option<Expr>,
    assignments: Vec<(usize, Expr)>,
    returning: Option<Vec<Expr>>,
    constraints: Constraints,
    /// Rows updated, for `pg_stat_user_tables` (noted when the operator is dropped).
    counts: crate::system::table_stats::Delta,
    /// The expressions read the row's key after its columns (`ctid`).
    with_key: bool,
    triggers: Triggers,
    /// See `Plan::Update::route_root`.
    route_root: Option<TableDef>,
}

impl Update {
    pub fn new(
        table: TableDef,
        input: Box<dyn Operator>,
        predicate: Option<Expr>,
        assignments: Vec<(usize, Expr)>,
        returning: Option<Vec<Expr>>,
        route_root: Option<TableDef>,
    ) -> Self {
        let with_key = super::reads_key(
            table.columns.len(),
            predicate
                .iter()
                .chain(assignments.iter().map(|(_, e)| e))
                .chain(returning.iter().flatten()),
        );
        let updated: Vec<usize> = assignments.iter().map(|(c, _)| *c).collect();
        Update {
            triggers: Triggers::new(&table, &[Event::Update], &updated),
            with_key,
            constraints: Constraints::new(&table),
            table,
            input,
            predicate,
            assignments,
            returning,
            counts: Default::default(),
            route_root,
        }
    }

    /// A partition's new row outside its bound: moved to the partition its partitioned
    /// table routes it to (delete, then insert), or PostgreSQL's 23514 when the statement
    /// named the partition itself. Returns whether it was moved.
    fn move_row(
        &mut self,
        ctx: &mut Context,
        key: &crate::storage::Key,
        current: &crate::storage::Row,
        new_row: &crate::storage::Row,
    ) -> Result<bool> {
        if self.table.partition_of.is_none() {
            return Ok(false);
        }
        let catalog = ctx.txn()?.catalog()?;
        if partition::satisfies_bound(&catalog, &self.table, new_row)? {
            return Ok(false);
        }
        let Some(root) = &self.route_root else {
            return Err(partition_route::violation(&catalog, &self.table, new_row));
        };
        let mut routing = partition_route::Routing::new(root);
        let target = match routing.target(ctx, root, new_row)? {
            Some(t) => t,
            None => return Err(partition_route::violation(&catalog, root, new_row)),
        };
        ctx.txn_mut()?.delete(self.table.id, key)?;
        self.constraints.after_delete(ctx, current)?;
        let constraints = routing.constraints(&target);
        constraints.before_insert(ctx, new_row)?;
        ctx.txn_mut()?.insert(
            target.id,
            new_row.clone(),
            &crate::storage::OnConflict::Error,
        )?;
        constraints.after_insert(ctx, new_row)?;
        Ok(true)
    }
}

impl Drop for Update {
    fn drop(&mut self) {
        crate::system::table_stats::note(self.table.id, self.counts);
    }
}

impl Operator for Update {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let triggers = !self.triggers.is_empty();
        if triggers {
            self.triggers.start(ctx)?;
        }
        while let Some(t) = self.input.next(ctx)? {
            let Some((key, current)) =
                lock_for_write(ctx, &self.table, t, &self.predicate, "UPDATE")?
            else {
                continue;
            };
            let mut new_row = current.clone();
            let input = if self.with_key {
                super::with_key(&current, &key)
            } else {
                current.clone()
            };
            for (col, e) in &self.assignments {
                new_row[*col] = e.eval(&input, ctx)?;
            }
            if triggers {
                match self
                    .triggers
                    .before_row(ctx, Event::Update, Some(&current), new_row)?
                {
                    Some(r) => new_row = r,
                    None => continue,
                }
            }
            check_not_null(ctx, &self.table, &new_row)?;
            if self.move_row(ctx, &key, &current, &new_row)? {
                self.counts.upd += 1;
                return Ok(Some(returning_row(&self.returning, &new_row, ctx)?));
            }
            self.constraints.before_update(ctx, &new_row)?;
            let new_key = ctx
                .txn_mut()?
                .update(self.table.id, &key, new_row.clone())?;
            self.counts.upd += 1;
            self.constraints.after_update(ctx, &current, &new_row)?;
            if triggers {
                self.triggers.after_row(
                    Event::Update,
                    Some(current.clone()),
                    Some(new_row.clone()),
                );
            }
            let out = if self.with_key {
                super::with_key(&new_row, &new_key)
            } else {
                new_row
            };
            return Ok(Some(returning_row(&self.returning, &out, ctx)?));
        }
        if triggers {
            self.triggers.finish(ctx)?;
        }
        Ok(None)
    }
}
