//! The planner: logical plans and the rules that pick physical access paths.
//!
//! The binder produces a [`Plan`] whose leaves are full scans ([`AccessPlan::Full`]) or
//! constant rows. [`optimize`] then applies the rules, one file each:
//!
//! * [`access`] — a `Filter` directly over a full `Scan` becomes a primary-key or
//!   secondary-index range scan when the predicate has equality / range conjuncts on the
//!   leading key columns (the filter stays on top, so the range only has to be a superset).
//!
//! Plans are trees of owned nodes; every node's output row layout is fixed at bind time
//! (column positions in expressions refer to the child's output).

pub mod access;

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
    Index { index: String, range: RangePlan },
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

/// Where a `SystemScan`'s rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SystemSource {
    /// A virtual `pg_catalog` / `information_schema` relation ([`crate::system`]).
    Table {
        schema: crate::storage::Oid,
        name: &'static str,
    },
    /// `SELECT * FROM sequence`: its one row.
    Sequence(crate::storage::Oid),
}

/// A logical/physical plan node. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Rows of a table.
    Scan {
        table: TableDef,
        access: AccessPlan,
    },
    /// Rows generated when the scan opens (see [`SystemSource`]).
    SystemScan {
        source: SystemSource,
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
    access::choose_access(plan)
}

#[cfg(test)]
mod tests;
