//! The executor: Volcano-style pull iterators, one file per operator.
//!
//! [`build`] turns a [`Plan`] into a tree of [`Operator`]s; the session pulls rows from the
//! root with [`Operator::next`], passing a [`Context`] that lends the transaction and the
//! bound parameter values to every call (operators never own the transaction, so a DML
//! operator can write through it while its input scan — a detached [`crate::storage::RowStream`]
//! — is still being read). The context is also the expressions' [`crate::expr::EvalEnv`]: it
//! runs their subqueries, each in a nested read-only context (`context.rs`).
//!
//! `build` borrows the plan: a correlated subquery's or a recursive CTE's plan is built again
//! for every evaluation, from the one plan the binder made.
//!
//! A [`Tuple`] carries the row's storage key when it still denotes a stored row (from a scan
//! through filters), which UPDATE and DELETE need to lock and write it. Blocking operators
//! (sort, aggregate) materialize their input on the first `next`.
//!
//! Cancellation is cooperative: the leaf operators (`Scan`, `Series`), the join's inner loop
//! and [`collect`] call [`crate::interrupt::check`], so every loop that can run long fails
//! with 57014 soon after the session's interrupt is canceled.

mod accumulator;
mod aggregate;
pub mod constraints;
mod context;
mod counted;
mod cte_scan;
pub mod deferred;
mod delete;
mod distinct;
mod filter;
mod hash_join;
mod hypothetical;
mod insert;
mod join;
mod lateral_join;
mod limit;
mod lock_rows;
pub mod memory;
mod merge;
pub mod partition_route;
mod project;
mod project_set;
mod recursive_union;
mod sample;
mod scan;
mod series;
mod set_op;
mod sort;
mod system_scan;
pub mod triggers;
mod union;
mod update;
mod values;
mod window;
mod window_frame;
mod with;
mod work_table;
mod zip;

pub use aggregate::Aggregate;
pub use context::{CACHE_BUDGET, Context, QueryState};
pub use counted::Counted;
pub use cte_scan::CteScan;
pub use delete::Delete;
pub use distinct::Distinct;
pub use filter::Filter;
pub use hash_join::HashJoin;
pub use insert::Insert;
pub use join::NestedLoopJoin;
pub use lateral_join::LateralJoin;
pub use limit::Limit;
pub use merge::Merge;
pub use project::Project;
pub use project_set::ProjectSet;
pub use recursive_union::RecursiveUnion;
pub use scan::Scan;
pub use series::Series;
pub use set_op::SetOp;
pub use sort::Sort;
pub use system_scan::SystemScan;
pub use union::Union;
pub use update::Update;
pub use values::Values;
pub use window::Window;
pub use with::With;
pub use work_table::WorkTable;

use crate::planner::{Plan, SetOpKind};
use crate::storage::{Key, Row, TableDef};
use crate::{Error, Result, Value};

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

    /// Tells the operator, before its first `next`, that its consumer never uses the
    /// tuples' storage keys (it makes derived rows): a scan then reads its rows without
    /// them ([`crate::storage::Txn::scan_rows_only`]). Operators that pass their input's
    /// tuples through forward it; the others ignore it.
    fn discard_keys(&mut self) {}
}

/// Builds the operator tree for `plan`.
pub fn build(plan: &Plan) -> Box<dyn Operator> {
    build_node(plan, &mut build)
}

/// Builds the operator tree for `plan` with a row counter on every node, in pre-order over
/// [`Plan::children`] (EXPLAIN ANALYZE; see [`crate::planner::explain`]).
pub fn build_counted(
    plan: &Plan,
    counters: &mut Vec<std::rc::Rc<std::cell::Cell<u64>>>,
) -> Box<dyn Operator> {
    let rows = std::rc::Rc::new(std::cell::Cell::new(0));
    counters.push(rows.clone());
    let op = build_node(plan, &mut |c| build_counted(c, counters));
    Box::new(Counted::new(op, rows))
}

/// Builds the operator for `plan`'s root, its inputs built by `child` (left before right).
fn build_node(plan: &Plan, child: &mut dyn FnMut(&Plan) -> Box<dyn Operator>) -> Box<dyn Operator> {
    match plan {
        Plan::HashJoin { left, right, join } => {
            let mut left = child(left);
            let mut right = child(right);
            right.discard_keys();
            // Semi and anti joins emit the left tuples themselves (DELETE ... WHERE EXISTS).
            if !join.kind.left_only() {
                left.discard_keys();
            }
            Box::new(HashJoin::new(left, right, join.clone()))
        }
        Plan::Scan {
            table,
            access,
            key_columns,
        } => Box::new(Scan::new(table.clone(), access.clone()).with_key_columns(*key_columns)),
        Plan::Values { rows } => Box::new(Values::new(rows.clone())),
        Plan::SystemScan { source } => Box::new(SystemScan::new(source.clone())),
        Plan::Series { start, stop, step } => {
            Box::new(Series::new(start.clone(), stop.clone(), step.clone()))
        }
        Plan::Filter { input, predicate } => Box::new(Filter::new(child(input), predicate.clone())),
        Plan::Partitioned { input, .. } => child(input),
        Plan::ProjectSet { input, functions } => {
            Box::new(ProjectSet::new(child(input), functions.clone()))
        }
        Plan::Zip {
            inputs,
            widths,
            ordinality,
        } => Box::new(zip::Zip::new(
            inputs.iter().map(child).collect(),
            widths.clone(),
            *ordinality,
        )),
        Plan::Join {
            left,
            right,
            kind,
            on,
            left_width,
            right_width,
        } => Box::new(NestedLoopJoin::new(
            child(left),
            child(right),
            *kind,
            on.clone(),
            *left_width,
            *right_width,
        )),
        Plan::LateralJoin {
            left,
            right,
            args,
            kind,
            on,
            right_width,
        } => Box::new(LateralJoin::new(
            child(left),
            right.as_ref().clone(),
            args.clone(),
            *kind,
            on.clone(),
            *right_width,
        )),
        Plan::Aggregate {
            input,
            groups,
            calls,
            sets,
        } => Box::new(Aggregate::new(
            {
                let mut input = child(input);
                input.discard_keys();
                input
            },
            groups.clone(),
            calls.clone(),
            sets.clone(),
        )),
        Plan::Window { input, calls } => Box::new(Window::new(child(input), calls.clone())),
        Plan::SetOp {
            op: SetOpKind::Union,
            all,
            left,
            right,
        } => Box::new(Union::new(child(left), child(right), *all)),
        Plan::SetOp {
            op,
            all,
            left,
            right,
        } => Box::new(SetOp::new(*op, *all, child(left), child(right))),
        Plan::With { ctes, input } => Box::new(With::new(ctes.clone(), child(input))),
        Plan::CteScan { id } => Box::new(CteScan::new(*id)),
        Plan::RecursiveUnion {
            id,
            all,
            anchor,
            recursive,
        } => Box::new(RecursiveUnion::new(
            *id,
            *all,
            child(anchor),
            recursive.as_ref().clone(),
        )),
        Plan::WorkTable { id } => Box::new(WorkTable::new(*id)),
        Plan::Project { input, exprs } => {
            let mut input = child(input);
            input.discard_keys();
            Box::new(Project::new(input, exprs.clone()))
        }
        Plan::Distinct { input, on } => Box::new(Distinct::new(child(input), on.clone())),
        Plan::Sort { input, keys } => Box::new(Sort::new(child(input), keys.clone())),
        Plan::Sample {
            input,
            percent,
            seed,
        } => Box::new(sample::Sample::new(child(input), percent.clone(), *seed)),
        Plan::LockRows {
            input,
            marks,
            recheck,
            outputs,
        } => Box::new(lock_rows::LockRows::new(
            child(input),
            marks.clone(),
            recheck.clone(),
            outputs.clone(),
        )),
        Plan::Limit {
            input,
            limit,
            offset,
            with_ties,
        } => Box::new(Limit::new(
            child(input),
            limit.clone(),
            offset.clone(),
            with_ties.clone(),
        )),
        Plan::Insert {
            table,
            input,
            on_conflict,
            arbiter,
            returning,
        } => Box::new(Insert::new(
            table.clone(),
            child(input),
            on_conflict.clone(),
            arbiter.clone(),
            returning.clone(),
        )),
        Plan::Update {
            table,
            input,
            predicate,
            assignments,
            returning,
            route_root,
        } => Box::new(Update::new(
            table.clone(),
            child(input),
            predicate.clone(),
            assignments.clone(),
            returning.clone(),
            route_root.as_deref().cloned(),
        )),
        Plan::Delete {
            table,
            input,
            predicate,
            returning,
        } => Box::new(Delete::new(
            table.clone(),
            child(input),
            predicate.clone(),
            returning.clone(),
        )),
        Plan::Merge(m) => {
            let input = child(&m.input);
            Box::new(Merge::new(m.as_ref().clone(), input))
        }
    }
}

/// Checks NOT NULL constraints of `table` on `row` (23502, naming the schema, table and
/// column as PostgreSQL does, with the failing row as DETAIL).
pub fn check_not_null(ctx: &Context, table: &TableDef, row: &[Value]) -> Result<()> {
    for (c, v) in table.columns.iter().zip(row) {
        if c.not_null && v.is_null() {
            let schema = ctx.txn()?.catalog()?.schema_name(table.schema);
            return Err(Error::NotNullViolation {
                table: table.name.clone(),
                column: c.name.clone(),
                detail: crate::ddl::constraints::failing_row(row),
            }
            .on(crate::ErrorObject::table(&schema, &table.name).column(&c.name)));
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
    let locked = ctx.txn_mut()?.lock_row(table.id, &key)?;
    Ok(match locked {
        LockOutcome::Unchanged(row) => Some((key, row)),
        LockOutcome::Changed(row) => match predicate {
            // The predicate may read the key after the row (a `ctid`, binder/system_columns.rs).
            Some(p) if !p.is_true(&with_key(&row, &key), ctx)? => None,
            _ => Some((key, row)),
        },
        LockOutcome::Deleted => None,
    })
}

/// `row` followed by its key's values: the row a scan with `key_columns` returns.
pub fn with_key(row: &[Value], key: &Key) -> Vec<Value> {
    let mut r = row.to_vec();
    r.extend(key.iter().cloned());
    r
}

/// Whether any of `exprs` reads a column past the table's `width` (its key, see
/// [`with_key`]).
pub fn reads_key<'a>(width: usize, exprs: impl IntoIterator<Item = &'a crate::expr::Expr>) -> bool {
    exprs
        .into_iter()
        .any(|e| e.any(&mut |x| matches!(x, crate::expr::Expr::Column(i) if *i >= width)))
}

/// Evaluates RETURNING expressions (or yields an empty row when there are none).
pub fn returning_row(
    returning: &Option<Vec<crate::expr::Expr>>,
    row: &[Value],
    ctx: &Context,
) -> Result<Tuple> {
    let values = match returning {
        Some(exprs) => exprs
            .iter()
            .map(|e| e.eval(row, ctx))
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
