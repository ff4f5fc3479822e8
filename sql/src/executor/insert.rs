//! `Insert`: writes each input row (already full-width and typed by the binder) after the
//! NOT NULL check, handling unique conflicts as the statement asks:
//!
//! * no ON CONFLICT — the storage's unique violation (23505) fails the statement;
//! * `DO NOTHING` — a conflicting row is skipped (not counted, not returned);
//! * `DO UPDATE` — lock the conflicting row (the storage has waited for any in-flight
//!   inserter), evaluate the optional WHERE over `[existing..., excluded...]`, apply the SET
//!   list and update it (BEFORE / AFTER UPDATE row triggers fire on it, after the BEFORE
//!   INSERT ones on the proposed row); if the row vanished meanwhile, retry the insert. A row inserted or
//!   updated earlier by the *same* statement cannot be updated again (21000), as PostgreSQL.

use super::constraints::Constraints;
use super::triggers::{Event, Triggers};
use super::{Context, Operator, Tuple, check_not_null, returning_row};
use crate::expr::Expr;
use crate::planner::ConflictAction;
use crate::storage::{InsertOutcome, Key, LockOutcome, OnConflict, Row, TableDef};
use crate::{Error, Result};
use std::collections::BTreeSet;

pub struct Insert {
    table: TableDef,
    input: Box<dyn Operator>,
    action: ConflictAction,
    arbiter: OnConflict,
    returning: Option<Vec<Expr>>,
    /// Keys this statement wrote, for the 21000 check.
    written: BTreeSet<Key>,
    constraints: Constraints,
    /// Rows inserted and updated, for `pg_stat_user_tables` (noted when dropped).
    counts: crate::system::table_stats::Delta,
    triggers: Triggers,
    /// Routing to partitions / the partition bound check.
    routing: super::partition_route::Routing,
}

impl Insert {
    pub fn new(
        table: TableDef,
        input: Box<dyn Operator>,
        action: ConflictAction,
        arbiter: OnConflict,
        returning: Option<Vec<Expr>>,
    ) -> Self {
        let triggers = match &action {
            ConflictAction::DoUpdate { assignments, .. } => {
                let set: Vec<usize> = assignments.iter().map(|(c, _)| *c).collect();
                Triggers::new(&table, &[Event::Insert, Event::Update], &set)
            }
            _ => Triggers::new(&table, &[Event::Insert], &[]),
        };
        Insert {
            routing: super::partition_route::Routing::new(&table),
            constraints: Constraints::new(&table),
            triggers,
            table,
            input,
            action,
            arbiter,
            returning,
            written: BTreeSet::new(),
            counts: Default::default(),
        }
    }

    /// Inserts one row; returns the row as stored (inserted or updated), or `None` if skipped.
    fn insert_row(&mut self, ctx: &mut Context, row: Row) -> Result<Option<Row>> {
        let routed = self.routing.target(ctx, &self.table, &row)?;
        let (table, constraints, arbiter) = match &routed {
            Some(t) => {
                let arbiter = match &self.arbiter {
                    OnConflict::Report {
                        constraint: Some(n),
                    } => OnConflict::Report {
                        constraint: Some(super::partition_route::arbiter_name(&self.table, t, n)),
                    },
                    a => a.clone(),
                };
                (&**t, self.routing.constraints(t), arbiter)
            }
            None => (&self.table, &mut self.constraints, self.arbiter.clone()),
        };
        // A conflicting row may be deleted between the report and the lock: retry a few times.
        constraints.before_insert(ctx, &row)?;
        for _ in 0..16 {
            let outcome = ctx.txn_mut()?.insert(table.id, row.clone(), &arbiter)?;
            match outcome {
                InsertOutcome::Inserted(key) => {
                    self.written.insert(key);
                    self.counts.ins += 1;
                    constraints.after_insert(ctx, &row)?;
                    if !self.triggers.is_empty() {
                        self.triggers
                            .after_row(Event::Insert, None, Some(row.clone()));
                    }
                    return Ok(Some(row));
                }
                InsertOutcome::Conflict { key, .. } => {
                    let (assignments, predicate) = match &self.action {
                        ConflictAction::DoUpdate {
                            assignments,
                            predicate,
                        } => (assignments, predicate),
                        _ => return Ok(None),
                    };
                    if self.written.contains(&key) {
                        return Err(Error::CardinalityViolation(
                            "ON CONFLICT DO UPDATE command cannot affect row a second time".into(),
                        ));
                    }
                    let locked = ctx.txn_mut()?.lock_row(table.id, &key)?;
                    let existing = match locked {
                        LockOutcome::Unchanged(r) | LockOutcome::Changed(r) => r,
                        LockOutcome::Deleted => continue,
                    };
                    let mut both = existing.clone();
                    both.extend(row.iter().cloned());
                    if let Some(p) = predicate
                        && !p.is_true(&both, ctx)?
                    {
                        return Ok(None);
                    }
                    let mut new_row = existing.clone();
                    for (col, e) in assignments {
                        new_row[*col] = e.eval(&both, ctx)?;
                    }
                    if !self.triggers.is_empty() {
                        match self.triggers.before_row(
                            ctx,
                            Event::Update,
                            Some(&existing),
                            new_row,
                        )? {
                            Some(r) => new_row = r,
                            None => return Ok(None),
                        }
                    }
                    check_not_null(ctx, table, &new_row)?;
                    if table.partition_of.is_some()
                        && !crate::storage::catalog::partition::satisfies_bound(
                            &*ctx.txn()?.catalog()?,
                            table,
                            &new_row,
                        )?
                    {
                        return Err(super::partition_route::violation(
                            &*ctx.txn()?.catalog()?,
                            table,
                            &new_row,
                        ));
                    }
                    constraints.before_update(ctx, &new_row)?;
                    let new_key = ctx.txn_mut()?.update(table.id, &key, new_row.clone())?;
                    self.written.insert(new_key);
                    self.counts.upd += 1;
                    constraints.after_update(ctx, &existing, &new_row)?;
                    if !self.triggers.is_empty() {
                        self.triggers.after_row(
                            Event::Update,
                            Some(existing),
                            Some(new_row.clone()),
                        );
                    }
                    return Ok(Some(new_row));
                }
            }
        }
        Err(Error::SerializationFailure(
            "could not serialize access due to concurrent delete".into(),
        ))
    }
}

impl Drop for Insert {
    fn drop(&mut self) {
        crate::system::table_stats::note(self.table.id, self.counts);
    }
}

impl Operator for Insert {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let triggers = !self.triggers.is_empty();
        if triggers {
            self.triggers.start(ctx)?;
        }
        while let Some(t) = self.input.next(ctx)? {
            let row = if triggers {
                match self.triggers.before_row(ctx, Event::Insert, None, t.row)? {
                    Some(r) => r,
                    None => continue,
                }
            } else {
                t.row
            };
            check_not_null(ctx, &self.table, &row)?;
            if let Some(stored) = self.insert_row(ctx, row)? {
                return Ok(Some(returning_row(&self.returning, &stored, ctx)?));
            }
        }
        if triggers {
            self.triggers.finish(ctx)?;
        }
        Ok(None)
    }
}
