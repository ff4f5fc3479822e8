//! The planner: logical plans and the rules that pick physical access paths.
//!
//! The binder produces a [`Plan`] whose leaves are full scans ([`AccessPlan::Full`]) or
//! constant rows. [`optimize`] then applies the rules, one file each:
//!
//! * [`join_order`] — inner-join regions: conjuncts pushed down to the tables they read,
//!   tables joined greedily along equalities (never a cartesian product when the WHERE
//!   connects them), each step a hash join on those equalities.
//! * [`outer_join`] — LEFT/RIGHT/FULL joins on equalities become hash joins; ON conjuncts
//!   over the nullable side alone filter that side.
//! * [`access`] — a `Filter` directly over a full `Scan` becomes a primary-key or
//!   secondary-index range scan when the predicate has equality / range conjuncts on the
//!   leading key columns (the filter stays on top, so the range only has to be a superset);
//!   an IN list on a key column becomes point lookups.
//! * [`index_order`] — `ORDER BY ... LIMIT` on a key prefix reads the key in order instead
//!   of sorting.
//!
//! [`explain`] renders a plan for EXPLAIN [ANALYZE].
//!
//! [`tree`] walks plans generically and [`columns`] finds and remaps the columns an
//! expression reads; new plan nodes and expression variants are listed there once.
//!
//! Plans are trees of owned nodes; every node's output row layout is fixed at bind time
//! (column positions in expressions refer to the child's output).

pub mod access;
pub mod columns;
pub mod explain;
pub mod index_order;
pub mod join_order;
pub mod outer_join;
mod tree;

use crate::expr::Expr;
use crate::storage::{OnConflict, TableDef};
use std::ops::Bound;

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    /// `sum` over integers (result int8; PostgreSQL's numeric for int8 input — see crate docs).
    SumInt,
    SumFloat,
    /// `avg`, computed in float8.
    Avg,
    Min,
    Max,
}

/// One aggregate call in an `Aggregate` node.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    pub func: AggFunc,
    pub arg: Option<Expr>,
    pub distinct: bool,
}

/// The kind of a nested-loop join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

/// How a [`Plan::HashJoin`] matches its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct EquiJoin {
    pub kind: JoinKind,
    /// Expressions over the left row, pairwise equal to `right_keys` over the right row.
    pub left_keys: Vec<Expr>,
    pub right_keys: Vec<Expr>,
    /// Per key: `IS NOT DISTINCT FROM` (NULL matches NULL) rather than `=`.
    pub null_safe: Vec<bool>,
    /// The rest of the join condition, over the concatenated row.
    pub residual: Option<Expr>,
    pub left_width: usize,
    pub right_width: usize,
}

/// One ORDER BY key over the input's column `column`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortKey {
    pub column: usize,
    pub desc: bool,
    pub nulls_first: bool,
}

/// A key range whose bounds are constant expressions (literals or parameters), evaluated
/// when the scan opens.
#[derive(Debug, Clone, PartialEq)]
pub struct RangePlan {
    pub lower: Bound<Vec<Expr>>,
    pub upper: Bound<Vec<Expr>>,
}

/// How a `Scan` reads its table.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessPlan {
    Full,
    Primary(RangePlan),
    Index {
        index: String,
        range: RangePlan,
    },
    /// Point lookups for an IN list on `index` (`None`: the primary key): the key `prefix`
    /// followed by each of `values`, which are evaluated when the scan opens (NULLs dropped,
    /// duplicates removed, in key order).
    InList {
        index: Option<String>,
        prefix: Vec<Expr>,
        values: Vec<Expr>,
    },
}

/// What INSERT does on a unique conflict.
#[derive(Debug, Clone, PartialEq)]
pub enum ConflictAction {
    Error,
    DoNothing,
    /// `DO UPDATE SET ... [WHERE ...]`; expressions read `[existing row..., excluded row...]`.
    DoUpdate {
        assignments: Vec<(usize, Expr)>,
        predicate: Option<Expr>,
    },
}

/// A logical/physical plan node. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Rows of a table.
    Scan {
        table: TableDef,
        access: AccessPlan,
    },
    /// Constant rows (VALUES, or one empty row for SELECT without FROM).
    Values {
        rows: Vec<Vec<Expr>>,
    },
    /// `generate_series(start, stop, step)` over integers: one column.
    Series {
        start: Expr,
        stop: Expr,
        step: Expr,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    /// Nested-loop join; output rows are `[left..., right...]`, the missing side NULL for
    /// unmatched outer rows; `on` reads the concatenated row (`None` = cross join).
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        on: Option<Expr>,
        left_width: usize,
        right_width: usize,
    },
    /// Hash join: `right` is built into a hash table on `right_keys`, `left` streams and
    /// probes it with `left_keys` (each pair compared with `=`, or NULL-safe where
    /// `null_safe[i]`); `residual` reads the concatenated row. Output as for `Join`.
    HashJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        join: EquiJoin,
    },
    /// Output rows are `[group values..., aggregate values...]`.
    Aggregate {
        input: Box<Plan>,
        groups: Vec<Expr>,
        calls: Vec<AggCall>,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    Distinct {
        input: Box<Plan>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    Limit {
        input: Box<Plan>,
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
    /// Input rows are full table rows; yields RETURNING rows (or empty rows).
    Insert {
        table: TableDef,
        input: Box<Plan>,
        on_conflict: ConflictAction,
        arbiter: OnConflict,
        returning: Option<Vec<Expr>>,
    },
    /// `input` yields the rows to change; `predicate` is re-checked on a concurrently
    /// changed row (EvalPlanQual).
    Update {
        table: TableDef,
        input: Box<Plan>,
        predicate: Option<Expr>,
        assignments: Vec<(usize, Expr)>,
        returning: Option<Vec<Expr>>,
    },
    Delete {
        table: TableDef,
        input: Box<Plan>,
        predicate: Option<Expr>,
        returning: Option<Vec<Expr>>,
    },
}

/// Applies the planner rules (see module docs).
pub fn optimize(plan: Plan) -> Plan {
    let plan = join_order::reorder_joins(plan);
    let plan = outer_join::hash_outer_joins(plan);
    let plan = access::choose_access(plan);
    index_order::order_by_index(plan)
}

#[cfg(test)]
mod tests;
