//! The executor: Volcano-style pull iterators, one file per operator.
//!
//! [`build`] turns a [`Plan`] into a tree of [`Operator`]s; the session pulls rows from the
//! root with [`Operator::next`], passing a [`Context`] that lends the transaction and the
//! bound parameter values to every call (operators never own the transaction, so a DML
//! operator can write through it while its input scan — a detached [`crate::storage::RowStream`]
//! — is still being read).
//!
//! A [`Tuple`] carries the row's storage key when it still denotes a stored row (from a scan
//! through filters), which UPDATE and DELETE need to lock and write it. Blocking operators
//! (sort, aggregate) materialize their input on the first `next`.
//!
//! Cancellation is cooperative: the leaf operators (`Scan`, `Series`), the join's inner loop
//! and [`collect`] call [`crate::interrupt::check`], so every loop that can run long fails
//! with 57014 soon after the session's interrupt is canceled.

mod aggregate;
pub mod constraints;
mod delete;
mod distinct;
mod filter;
mod insert;
mod join;
mod limit;
mod project;
mod scan;
mod series;
mod sort;
mod system_scan;
mod update;
mod values;

pub use aggregate::Aggregate;
pub use delete::Delete;
pub use distinct::Distinct;
pub use filter::Filter;
pub use insert::Insert;
pub use join::NestedLoopJoin;
pub use limit::Limit;
pub use project::Project;
pub use scan::Scan;
pub use series::Series;
pub use sort::Sort;
pub use system_scan::SystemScan;
pub use update::Update;
pub use values::Values;

use crate::planner::Plan;
use crate::storage::{Key, Row, TableDef, Txn};
use crate::{Error, Result, Value};

/// What operators borrow from the session for one call.
pub struct Context<'a> {
    pub txn: &'a mut dyn Txn,
    pub params: &'a [Value],
}

/// A row flowing between operators, with its storage key when it is a stored row.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuple {
    pub key: Option<Key>,
    pub row: Row,
}

impl Tuple {
    pub fn derived(row: Row) -> Tuple {
        Tuple { key: None, row }
    }
}

/// A pull-based operator.
pub trait Operator {
    /// The next output tuple, or `None` when exhausted.
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>>;
}

/// Builds the operator tree for `plan`.
pub fn build(plan: Plan) -> Box<dyn Operator> {
    match plan {
        Plan::Scan { table, access } => Box::new(Scan::new(table, access)),
        Plan::Values { rows } => Box::new(Values::new(rows)),
        Plan::SystemScan { source } => Box::new(SystemScan::new(source)),
        Plan::Series { start, stop, step } => Box::new(Series::new(start, stop, step)),
        Plan::Filter { input, predicate } => Box::new(Filter::new(build(*input), predicate)),
        Plan::Join {
            left,
            right,
            kind,
            on,
            left_width,
            right_width,
        } => Box::new(NestedLoopJoin::new(
            build(*left),
            build(*right),
            kind,
            on,
            left_width,
            right_width,
        )),
        Plan::Aggregate {
            input,
            groups,
            calls,
        } => Box::new(Aggregate::new(build(*input), groups, calls)),
        Plan::Project { input, exprs } => Box::new(Project::new(build(*input), exprs)),
        Plan::Distinct { input } => Box::new(Distinct::new(build(*input))),
        Plan::Sort { input, keys } => Box::new(Sort::new(build(*input), keys)),
        Plan::Limit {
            input,
            limit,
            offset,
        } => Box::new(Limit::new(build(*input), limit, offset)),
        Plan::Insert {
            table,
            input,
            on_conflict,
            arbiter,
            returning,
        } => Box::new(Insert::new(
            table,
            build(*input),
            on_conflict,
            arbiter,
            returning,
        )),
        Plan::Update {
            table,
            input,
            predicate,
            assignments,
            returning,
        } => Box::new(Update::new(
            table,
            build(*input),
            predicate,
            assignments,
            returning,
        )),
        Plan::Delete {
            table,
            input,
            predicate,
            returning,
        } => Box::new(Delete::new(table, build(*input), predicate, returning)),
    }
}

/// Checks NOT NULL constraints of `table` on `row` (23502).
pub fn check_not_null(table: &TableDef, row: &[Value]) -> Result<()> {
    for (c, v) in table.columns.iter().zip(row) {
        if c.not_null && v.is_null() {
            return Err(Error::NotNullViolation {
                table: table.name.clone(),
                column: c.name.clone(),
            });
        }
    }
    Ok(())
}

/// Locks the row `t` names for UPDATE/DELETE (`what`) and returns its key and the
/// version to act on: the one read if unchanged; the latest committed one if it still
/// satisfies `predicate` (PostgreSQL's EvalPlanQual); `None` when it is gone or no longer
/// matches.
pub fn lock_for_write(
    ctx: &mut Context,
    table: &TableDef,
    t: Tuple,
    predicate: &Option<crate::expr::Expr>,
    what: &str,
) -> Result<Option<(Key, Row)>> {
    use crate::storage::LockOutcome;
    let key = t
        .key
        .ok_or_else(|| Error::Internal(format!("{what} input row has no key")))?;
    Ok(match ctx.txn.lock_row(table.id, &key)? {
        LockOutcome::Unchanged(row) => Some((key, row)),
        LockOutcome::Changed(row) => match predicate {
            Some(p) if !p.is_true(&row, ctx.params)? => None,
            _ => Some((key, row)),
        },
        LockOutcome::Deleted => None,
    })
}

/// Evaluates RETURNING expressions (or yields an empty row when there are none).
pub fn returning_row(
    returning: &Option<Vec<crate::expr::Expr>>,
    row: &[Value],
    params: &[Value],
) -> Result<Tuple> {
    let values = match returning {
        Some(exprs) => exprs
            .iter()
            .map(|e| e.eval(row, params))
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(Tuple::derived(values))
}

/// Pulls every tuple from `op`, stopping with 57014 if the statement is canceled.
pub fn collect(op: &mut dyn Operator, ctx: &mut Context) -> Result<Vec<Tuple>> {
    let mut out = Vec::new();
    while let Some(t) = op.next(ctx)? {
        out.push(t);
        crate::interrupt::check()?;
    }
    Ok(out)
}
