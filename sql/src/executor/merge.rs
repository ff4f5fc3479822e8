//! `Merge` (PostgreSQL 15's MERGE): for each row of the source LEFT JOIN the target, the
//! first `WHEN MATCHED` clause (target row present) or `WHEN NOT MATCHED` clause (absent)
//! whose condition holds runs its action — UPDATE, DELETE, INSERT or DO NOTHING — and a
//! row with no such clause is left alone.
//!
//! The input row is `[source..., target..., target key...]` (see [`crate::planner::MergePlan`]);
//! every expression reads it, the target part NULL for a NOT MATCHED row. UPDATE and DELETE
//! act as the plain statements do (`update.rs`, `delete.rs`): the row is locked first, and
//! if a concurrent transaction committed a newer version (Read Committed) the ON condition
//! is checked again on it — still matching, the MATCHED clauses are evaluated again over the
//! new version; no longer matching, or deleted, the source row is handled by the NOT MATCHED
//! clauses (PostgreSQL's `ExecMergeMatched` returning to `ExecMergeNotMatched`). Repeatable
//! Read fails with 40001 in the storage instead.
//!
//! Row triggers fire around each action (a BEFORE trigger returning NULL skips it), and
//! the statement triggers of every event the clauses name (INSERT, UPDATE, DELETE before;
//! DELETE, UPDATE, INSERT after), as PostgreSQL does.
//!
//! A target row that a second source row would update or delete again is 21000, as in
//! PostgreSQL (DO NOTHING does not count). Rows inserted by the statement are not seen by
//! its join, which read the target before them.

use super::constraints::Constraints;
use super::triggers::{Event, Triggers};
use super::{Context, Operator, Tuple, check_not_null};
use crate::planner::{MergeAction, MergePlan, MergeWhen};
use crate::storage::{InsertOutcome, Key, LockOutcome, OnConflict, Row};
use crate::{Error, Result, Value};
use std::collections::BTreeSet;

pub struct Merge {
    plan: MergePlan,
    input: Box<dyn Operator>,
    constraints: Constraints,
    /// Keys of the target rows this statement updated or deleted, for the 21000 check.
    acted: BTreeSet<Key>,
    /// Rows inserted, updated and deleted, for `pg_stat_user_tables` (noted when dropped).
    counts: crate::system::table_stats::Delta,
    /// The row and statement triggers of the events the clauses can perform.
    triggers: Triggers,
}

/// What became of one joined row.
enum Outcome {
    Done,
    Skipped,
    /// Handle the source row as NOT MATCHED (its target row is gone or no longer matches).
    NotMatched,
}

impl Merge {
    pub fn new(plan: MergePlan, input: Box<dyn Operator>) -> Self {
        let actions = || {
            plan.matched
                .iter()
                .chain(&plan.not_matched)
                .map(|w| &w.action)
        };
        let mut events = Vec::new();
        let mut updated = Vec::new();
        if actions().any(|a| matches!(a, MergeAction::Insert(_))) {
            events.push(Event::Insert);
        }
        for a in actions() {
            if let MergeAction::Update(set) = a {
                updated.extend(set.iter().map(|(c, _)| *c));
            }
        }
        if actions().any(|a| matches!(a, MergeAction::Update(_))) {
            events.push(Event::Update);
        }
        if actions().any(|a| matches!(a, MergeAction::Delete)) {
            events.push(Event::Delete);
        }
        Merge {
            triggers: Triggers::new(&plan.table, &events, &updated),
            constraints: Constraints::new(&plan.table),
            plan,
            input,
            acted: BTreeSet::new(),
            counts: Default::default(),
        }
    }

    fn target_width(&self) -> usize {
        self.plan.table.columns.len()
    }

    /// The first clause of `clauses` whose condition holds over `row`.
    fn first<'a>(
        clauses: &'a [MergeWhen],
        row: &[Value],
        ctx: &Context,
    ) -> Result<Option<&'a MergeAction>> {
        for w in clauses {
            match &w.condition {
                Some(c) if !c.is_true(row, ctx)? => {}
                _ => return Ok(Some(&w.action)),
            }
        }
        Ok(None)
    }

    /// `row` with the target's columns computed from the new values: generated columns.
    fn generate(&self, row: &mut Row, ctx: &Context) -> Result<()> {
        for (i, e) in &self.plan.generated {
            row[*i] = e.eval(row, ctx)?;
        }
        Ok(())
    }

    fn matched(&mut self, ctx: &mut Context, mut joined: Row, key: Key) -> Result<Outcome> {
        let (sw, tw) = (self.plan.source_width, self.target_width());
        let Some(mut action) = Self::first(&self.plan.matched, &joined, ctx)? else {
            return Ok(Outcome::Skipped);
        };
        if matches!(action, MergeAction::Nothing) {
            return Ok(Outcome::Skipped);
        }
        if self.acted.contains(&key) {
            return Err(Error::WithHint {
                error: Box::new(Error::CardinalityViolation(
                    "MERGE command cannot affect row a second time".into(),
                )),
                hint: "Ensure that not more than one source row matches any one target row.".into(),
            });
        }
        // The transaction's borrow ends with this statement: the clauses below evaluate
        // expressions, which may call routines that borrow it again.
        let locked = ctx.txn_mut()?.lock_row(self.plan.table.id, &key)?;
        let current = match locked {
            LockOutcome::Unchanged(row) => row,
            LockOutcome::Changed(row) => {
                // EvalPlanQual: the ON condition and the clauses again, on the new version.
                joined.splice(sw..sw + tw, row.iter().cloned());
                if let Some(on) = &self.plan.join
                    && !on.is_true(&joined, ctx)?
                {
                    return Ok(Outcome::NotMatched);
                }
                match Self::first(&self.plan.matched, &joined, ctx)? {
                    None | Some(MergeAction::Nothing) => return Ok(Outcome::Skipped),
                    Some(a) => action = a,
                }
                row
            }
            LockOutcome::Deleted => return Ok(Outcome::NotMatched),
        };
        self.acted.insert(key.clone());
        match action {
            MergeAction::Update(assignments) => {
                let mut new_row = current.clone();
                for (col, e) in assignments {
                    new_row[*col] = e.eval(&joined, ctx)?;
                }
                self.generate(&mut new_row, ctx)?;
                let Some(new_row) =
                    self.triggers
                        .before_row(ctx, Event::Update, Some(&current), new_row)?
                else {
                    return Ok(Outcome::Skipped);
                };
                check_not_null(ctx, &self.plan.table, &new_row)?;
                self.constraints.before_update(ctx, &new_row)?;
                ctx.txn_mut()?
                    .update(self.plan.table.id, &key, new_row.clone())?;
                self.counts.upd += 1;
                self.constraints.after_update(ctx, &current, &new_row)?;
                self.triggers
                    .after_row(Event::Update, Some(current), Some(new_row));
            }
            MergeAction::Delete => {
                if self
                    .triggers
                    .before_row(ctx, Event::Delete, None, current.clone())?
                    .is_none()
                {
                    return Ok(Outcome::Skipped);
                }
                ctx.txn_mut()?.delete(self.plan.table.id, &key)?;
                self.counts.del += 1;
                self.constraints.after_delete(ctx, &current)?;
                self.triggers.after_row(Event::Delete, Some(current), None);
            }
            MergeAction::Insert(_) | MergeAction::Nothing => {
                return Err(Error::Internal("a MATCHED clause inserts".into()));
            }
        }
        Ok(Outcome::Done)
    }

    fn not_matched(&mut self, ctx: &mut Context, mut joined: Row) -> Result<Outcome> {
        let sw = self.plan.source_width;
        for v in joined.iter_mut().skip(sw) {
            *v = Value::Null;
        }
        let Some(MergeAction::Insert(exprs)) = Self::first(&self.plan.not_matched, &joined, ctx)?
        else {
            return Ok(Outcome::Skipped);
        };
        let mut row = exprs
            .iter()
            .map(|e| e.eval(&joined, ctx))
            .collect::<Result<Row>>()?;
        self.generate(&mut row, ctx)?;
        let Some(row) = self.triggers.before_row(ctx, Event::Insert, None, row)? else {
            return Ok(Outcome::Skipped);
        };
        check_not_null(ctx, &self.plan.table, &row)?;
        self.constraints.before_insert(ctx, &row)?;
        match ctx
            .txn_mut()?
            .insert(self.plan.table.id, row.clone(), &OnConflict::Error)?
        {
            InsertOutcome::Inserted(_) => {}
            InsertOutcome::Conflict { .. } => {
                return Err(Error::Internal("MERGE insert reported a conflict".into()));
            }
        }
        self.counts.ins += 1;
        self.constraints.after_insert(ctx, &row)?;
        self.triggers.after_row(Event::Insert, None, Some(row));
        Ok(Outcome::Done)
    }
}

impl Drop for Merge {
    fn drop(&mut self) {
        crate::system::table_stats::note(self.plan.table.id, self.counts);
    }
}

impl Operator for Merge {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let start = self.plan.source_width + self.target_width();
        self.triggers.start(ctx)?;
        while let Some(t) = self.input.next(ctx)? {
            let key: Key = t
                .row
                .get(start..start + self.plan.key_len)
                .ok_or_else(|| Error::Internal("MERGE input row has no target key".into()))?
                .to_vec();
            let mut outcome = if key.iter().all(Value::is_null) {
                Outcome::NotMatched
            } else {
                self.matched(ctx, t.row.clone(), key)?
            };
            if matches!(outcome, Outcome::NotMatched) {
                outcome = self.not_matched(ctx, t.row)?;
            }
            if matches!(outcome, Outcome::Done) {
                return Ok(Some(Tuple::derived(Vec::new())));
            }
        }
        self.triggers.finish(ctx)?;
        Ok(None)
    }
}
