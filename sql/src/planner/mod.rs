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
//!   Correlation values (`OuterRef`) count as constants, so a correlated subquery's
//!   `WHERE t2.id = t1.x` becomes a key lookup per evaluation.
//! * [`index_order`] — `ORDER BY ... LIMIT` on a key prefix reads the key in order instead
//!   of sorting.
//!
//! [`explain`] renders a plan for EXPLAIN [ANALYZE]; [`columns`] finds and remaps the
//! columns an expression reads.
//!
//! Plans are trees of owned nodes; every node's output row layout is fixed at bind time
//! (column positions in expressions refer to the child's output). Plans also hang below
//! expressions (a subquery's plan, see [`crate::expr::subquery`]); [`visit`] walks both, so
//! a rule written for one node applies inside subqueries as well.
//!
//! Correlation: the plan of a subquery, of a LATERAL item, or of a CTE reads the values its
//! enclosing level passes in as `OuterRef(i)`; the node that evaluates it (the subquery
//! expression, `LateralJoin`, `With`) says which values those are.

pub mod access;
pub mod columns;
pub mod explain;
pub mod index_order;
pub mod join_order;
pub mod outer_join;
pub mod partition_prune;
pub mod semi_join;
pub mod visit;

use crate::expr::Expr;
use crate::expr::set_fns::SetFn;
use crate::storage::{OnConflict, TableDef};
use std::ops::Bound;
use std::sync::Arc;

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    /// `sum` over int2/int4 (result int8).
    SumInt,
    SumFloat,
    /// `sum` over int8 or numeric, exact (result numeric).
    SumNumeric,
    /// `sum(interval)`.
    SumInterval,
    /// `avg` over floats, computed in float8.
    Avg,
    /// `avg` over integers or numeric: the exact sum divided as numeric division does.
    AvgNumeric,
    /// `avg(interval)`.
    AvgInterval,
    /// `array_agg(x)`: every input, NULLs included, in input (or `ORDER BY`) order.
    ArrayAgg,
    /// `array_agg(a)` of arrays: one more dimension; NULL (22004), empty (2202E) or
    /// differently shaped (2202E) inputs are errors, as in PostgreSQL.
    ArrayAggArrays,
    Min,
    Max,
    /// `string_agg(value, delimiter)`.
    StringAgg,
    /// `jsonb_agg(x)`: every input (NULL as JSON null) as a jsonb array.
    JsonbAgg,
    /// `jsonb_object_agg(key, value)`: a jsonb object (NULL values as JSON null, a NULL key
    /// is an error, a later duplicate key wins).
    JsonbObjectAgg,
    /// `json_object_agg(k, v)`: a json object, in input order (duplicate keys kept).
    JsonObjectAgg,
    /// `json_agg(x)`: `json` text `[a, b]`.
    JsonAgg,
    /// `json_agg(row)` of whole rows (the binder's rewrite of `json_agg(t)`): elements are
    /// the rows' `json` objects, separated as PostgreSQL separates composites (`, \n `).
    JsonAggRows,
    /// `bool_and` / `every`.
    BoolAnd,
    BoolOr,
    /// `var_samp` / `variance` (`pop = false`) and `var_pop`, in float8.
    Variance {
        pop: bool,
    },
    /// `stddev_samp` / `stddev` and `stddev_pop`, in float8.
    Stddev {
        pop: bool,
    },
    /// `variance` / `var_samp` / `var_pop` of integers and numeric: numeric, computed
    /// exactly as PostgreSQL's `numeric_stddev_internal`.
    VarianceNumeric {
        pop: bool,
    },
    /// `stddev` / `stddev_samp` / `stddev_pop` of integers and numeric: numeric.
    StddevNumeric {
        pop: bool,
    },
    /// The two-argument statistics `f(y, x)` over float8 (corr, covar_*, regr_*).
    Regr(RegrFunc),
    /// `bit_and` / `bit_or` / `bit_xor` over integers.
    BitAnd,
    BitOr,
    BitXor,
    /// `percentile_cont(f) WITHIN GROUP (ORDER BY x)`: fed `[x, f]` in the ORDER BY's order,
    /// float8 interpolation between the two nearest values.
    PercentileCont,
    /// `percentile_disc(f) WITHIN GROUP (ORDER BY x)`: the first value at or past fraction f.
    PercentileDisc,
    /// `mode() WITHIN GROUP (ORDER BY x)`: the most frequent value (the first in order on ties).
    Mode,
    /// `rank` / `dense_rank` / `percent_rank` / `cume_dist` `(h) WITHIN GROUP (ORDER BY x)`,
    /// fed `[x, h]`; the ORDER BY's direction and NULLS placement decide what precedes `h`.
    Hypothetical {
        func: HypotheticalFunc,
        desc: bool,
        nulls_first: bool,
    },
    /// `GROUPING(a, ...)`: not fed rows; its arguments are literal positions among the
    /// `Aggregate`'s group keys, its value the bit mask of those not in the row's grouping
    /// set (the first argument the highest bit).
    Grouping,
}

/// The hypothetical-set aggregates ([`AggFunc::Hypothetical`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HypotheticalFunc {
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
}

/// The statistics aggregates of two float8 arguments `(y, x)`, all accumulated as
/// PostgreSQL's `float8_regr_accum` does (N, Sx, Sxx, Sy, Syy, Sxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegrFunc {
    Corr,
    CovarPop,
    CovarSamp,
    Count,
    AvgX,
    AvgY,
    Sxx,
    Syy,
    Sxy,
    Slope,
    Intercept,
    R2,
}

impl RegrFunc {
    /// The aggregate of this name, if it is one of these.
    pub fn from_name(name: &str) -> Option<RegrFunc> {
        Some(match name {
            "corr" => RegrFunc::Corr,
            "covar_pop" => RegrFunc::CovarPop,
            "covar_samp" => RegrFunc::CovarSamp,
            "regr_count" => RegrFunc::Count,
            "regr_avgx" => RegrFunc::AvgX,
            "regr_avgy" => RegrFunc::AvgY,
            "regr_sxx" => RegrFunc::Sxx,
            "regr_syy" => RegrFunc::Syy,
            "regr_sxy" => RegrFunc::Sxy,
            "regr_slope" => RegrFunc::Slope,
            "regr_intercept" => RegrFunc::Intercept,
            "regr_r2" => RegrFunc::R2,
            _ => return None,
        })
    }
}

/// A sort key over an expression (ORDER BY inside an aggregate or a window).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Expr,
    pub desc: bool,
    pub nulls_first: bool,
}

/// One aggregate call in an `Aggregate` node (or a window): `func(DISTINCT args ORDER BY
/// order_by) FILTER (WHERE filter)`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    pub func: AggFunc,
    /// The arguments (none for `count(*)`).
    pub args: Vec<Expr>,
    pub distinct: bool,
    /// Rows for which this is not true are skipped.
    pub filter: Option<Expr>,
    /// The order rows are fed in (matters for `string_agg`).
    pub order_by: Vec<OrderKey>,
}

/// A window function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunc {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    /// `ntile(buckets)`.
    Ntile,
    /// `lag(value [, offset [, default]])`.
    Lag,
    /// `lead(value [, offset [, default]])`.
    Lead,
    FirstValue,
    LastValue,
    /// `nth_value(value, n)`.
    NthValue,
    /// An aggregate over the window frame.
    Aggregate(AggFunc),
}

/// How a window frame's offsets count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

/// One end of a window frame; offsets are constant expressions (rows or groups for ROWS /
/// GROUPS, a distance in the ORDER BY column's type for RANGE).
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// A window frame. The default (no frame clause) is `RANGE BETWEEN UNBOUNDED PRECEDING AND
/// CURRENT ROW`: with ORDER BY the rows up to the current row's last peer, without it the
/// whole partition.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
    pub exclude: FrameExclude,
}

/// A frame's `EXCLUDE` clause: which rows around the current one leave its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameExclude {
    #[default]
    NoOthers,
    CurrentRow,
    /// The current row and its peers.
    Group,
    /// The current row's peers, not the row itself.
    Ties,
}

impl Default for WindowFrame {
    fn default() -> Self {
        WindowFrame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
            exclude: FrameExclude::NoOthers,
        }
    }
}

/// One window function call of a `Window` node.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub func: WindowFunc,
    pub args: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<OrderKey>,
    pub frame: WindowFrame,
    /// FILTER (WHERE ...) of a window aggregate.
    pub filter: Option<Expr>,
}

/// The kind of a nested-loop join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    /// Left rows with a match (each once); output rows are the left row only.
    Semi,
    /// Left rows without a match; output rows are the left row only.
    Anti,
    /// `x NOT IN (subquery)` with PostgreSQL's NULL semantics. The last key pair is `x` and
    /// the subquery's value; the ones before it (none when the subquery is uncorrelated) are
    /// correlation keys, which pick the right rows that belong to a left row (its *group*;
    /// a NULL correlation key matches no right row). A left row is kept when its group is
    /// empty, or when `x` is not NULL, equals no value of the group and the group has no
    /// NULL value. Output rows are the left row only.
    NotIn,
}

impl JoinKind {
    /// Semi and anti joins, whose output is the left row only.
    pub fn left_only(self) -> bool {
        matches!(self, JoinKind::Semi | JoinKind::Anti | JoinKind::NotIn)
    }
}

/// A set operation between two inputs of the same layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

impl SetOpKind {
    pub fn name(&self) -> &'static str {
        match self {
            SetOpKind::Union => "UNION",
            SetOpKind::Intersect => "INTERSECT",
            SetOpKind::Except => "EXCEPT",
        }
    }
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

/// A table whose rows `LockRows` locks, and where they sit in its FROM row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowMark {
    pub table: crate::storage::TableId,
    pub table_name: String,
    /// The table's first column in the FROM row; its `width` columns are followed by its
    /// key's `key_len` values (a scan with `key_columns`).
    pub first: usize,
    pub width: usize,
    pub key_len: usize,
    /// `FOR [NO KEY] UPDATE` (exclusive) or `FOR [KEY] SHARE`.
    pub exclusive: bool,
    pub wait: WaitPolicy,
}

/// What `SELECT ... FOR UPDATE` does about a row another transaction has locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitPolicy {
    /// Wait for that transaction to end.
    Block,
    /// Fail with 55P03.
    NoWait,
    /// Leave the row out.
    SkipLocked,
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
    /// Rows of a table. With `key_columns` (a table `SELECT ... FOR UPDATE` locks), each row
    /// is followed by its storage key's values, so the lock finds the row after joins and
    /// sorts.
    Scan {
        table: TableDef,
        access: AccessPlan,
        key_columns: bool,
    },
    /// A partitioned table's scan: `input` is the UNION ALL of its leaves' scans, each row
    /// followed by the leaf's OID, and `prune` the partition tree. The planner drops the
    /// leaves a filter right above this node excludes and removes the node
    /// ([`partition_prune`]); run as is, it yields `input`'s rows.
    Partitioned {
        prune: Arc<crate::storage::catalog::partition_prune::PruneTree>,
        input: Box<Plan>,
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
    /// `ROWS FROM (...)`: the inputs' rows side by side, each input `widths[i]` columns wide
    /// and padded with NULLs once finished, until all have finished; `ordinality` appends
    /// the row number.
    Zip {
        inputs: Vec<Plan>,
        widths: Vec<usize>,
        ordinality: bool,
    },
    /// Set-returning functions: output rows are `[input row..., one value per function...]`,
    /// as many per input row as the longest function returns (the others padded with NULL).
    ProjectSet {
        input: Box<Plan>,
        functions: Vec<(SetFn, Vec<Expr>)>,
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
    /// Hash join: `right` is built into a hash table on `join.right_keys`, `left` streams
    /// and probes it (see [`EquiJoin`]). Output as for `Join`.
    HashJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        join: EquiJoin,
    },
    /// A join whose right side depends on the left row (LATERAL, or a function in FROM over
    /// earlier FROM items): for each left row, `args` are evaluated over it and `right` runs
    /// with them as its correlation values. Output rows are `[left..., right...]`; `kind` is
    /// `Inner` or `Left` (unmatched left rows padded with NULLs).
    LateralJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        args: Vec<Expr>,
        kind: JoinKind,
        on: Option<Expr>,
        right_width: usize,
    },
    /// Output rows are `[group values..., aggregate values...]`. With `sets` (grouping
    /// sets: indices into `groups`), each input row is grouped once per set, and a group's
    /// values not in its set are NULL; an empty set yields one row even for no input.
    Aggregate {
        input: Box<Plan>,
        groups: Vec<Expr>,
        calls: Vec<AggCall>,
        sets: Option<Vec<Vec<usize>>>,
    },
    /// TABLESAMPLE BERNOULLI / SYSTEM: each input row is kept with probability `percent` /
    /// 100 (`percent` is evaluated once and checked: NULL or outside [0, 100] is 2202H);
    /// with `seed` (REPEATABLE) the draws are the same on every run over the same rows.
    Sample {
        input: Box<Plan>,
        percent: Expr,
        seed: Option<f64>,
    },
    /// Window functions over the input rows: output rows are `[input..., results...]`.
    Window {
        input: Box<Plan>,
        calls: Vec<WindowCall>,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    /// Drops rows equal to an earlier row (NULLs equal); with `on`, rows equal on those
    /// columns (DISTINCT ON: the first row of each group in input order is kept).
    Distinct {
        input: Box<Plan>,
        on: Option<Vec<usize>>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    /// LIMIT / OFFSET / FETCH FIRST; `with_ties` (FETCH ... WITH TIES) also returns the
    /// rows after the last one that are equal to it on these sort keys.
    Limit {
        input: Box<Plan>,
        limit: Option<Expr>,
        offset: Option<Expr>,
        with_ties: Option<Vec<SortKey>>,
    },
    /// `left UNION / INTERSECT / EXCEPT [ALL] right`; both inputs already have the result's
    /// layout and types. Without ALL, duplicates are removed (NULLs compare equal).
    SetOp {
        op: SetOpKind,
        all: bool,
        left: Box<Plan>,
        right: Box<Plan>,
    },
    /// `WITH`: registers each CTE `(id, plan)` for this evaluation (not run until read),
    /// then yields `input`'s rows. A CTE's plan reads the same correlation values as `input`.
    With {
        ctes: Vec<(usize, Arc<Plan>)>,
        input: Box<Plan>,
    },
    /// The rows of CTE `id`, materialized on first read and shared by every reader.
    CteScan {
        id: usize,
    },
    /// `WITH RECURSIVE`'s body `anchor UNION [ALL] recursive`: `recursive` is run again and
    /// again over the rows the previous round produced (its `WorkTable { id }`) until a
    /// round produces nothing new.
    RecursiveUnion {
        id: usize,
        all: bool,
        anchor: Box<Plan>,
        recursive: Box<Plan>,
    },
    /// The previous round's rows inside a `RecursiveUnion` with the same `id`.
    WorkTable {
        id: usize,
    },
    /// `SELECT ... FOR UPDATE / FOR SHARE`: for each input row, locks the table rows it
    /// was made of ([`RowMark`]). A row another transaction deleted drops the output row;
    /// one it changed (Read Committed) puts the newest version into the FROM row, which
    /// must still satisfy `recheck` (WHERE), and `outputs` are computed again over it
    /// (PostgreSQL's EvalPlanQual). Input and output rows are `[outputs..., FROM row...]`.
    LockRows {
        input: Box<Plan>,
        marks: Vec<RowMark>,
        recheck: Option<Expr>,
        outputs: Vec<Expr>,
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
        /// For a partition updated through its partitioned table: that table, where a row
        /// whose new key leaves the partition is routed again (PostgreSQL's row movement).
        route_root: Option<Box<TableDef>>,
    },
    Delete {
        table: TableDef,
        input: Box<Plan>,
        predicate: Option<Expr>,
        returning: Option<Vec<Expr>>,
    },
    /// MERGE: `input` is the source LEFT JOIN the target, each row `[source..., target...,
    /// target key...]` (the target part NULL when no target row matched); see
    /// [`crate::executor::Merge`]. Yields an empty row per row inserted, updated or deleted.
    Merge(Box<MergePlan>),
}

/// The parts of a [`Plan::Merge`]. Every expression reads the joined row.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub table: TableDef,
    pub input: Plan,
    /// The source's columns at the start of the joined row.
    pub source_width: usize,
    /// The number of key values after the target's columns.
    pub key_len: usize,
    /// The ON condition, re-checked on a target row changed concurrently.
    pub join: Option<Expr>,
    /// The `WHEN MATCHED` clauses, in order.
    pub matched: Vec<MergeWhen>,
    /// The `WHEN NOT MATCHED` clauses, in order.
    pub not_matched: Vec<MergeWhen>,
    /// The target's generated columns with their expressions over a table row, computed
    /// on each inserted or updated row.
    pub generated: Vec<(usize, Expr)>,
}

/// One `WHEN [NOT] MATCHED [AND condition] THEN action` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeWhen {
    pub condition: Option<Expr>,
    pub action: MergeAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MergeAction {
    /// The new values of the columns set (the others keep the target row's).
    Update(Vec<(usize, Expr)>),
    Delete,
    /// The full row to insert (defaults filled in, generated columns computed after).
    Insert(Vec<Expr>),
    Nothing,
}

impl MergeAction {
    /// Every expression of the action.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            MergeAction::Update(a) => a.iter().map(|(_, e)| e).collect(),
            MergeAction::Insert(r) => r.iter().collect(),
            MergeAction::Delete | MergeAction::Nothing => Vec::new(),
        }
    }

    pub fn exprs_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            MergeAction::Update(a) => a.iter_mut().map(|(_, e)| e).collect(),
            MergeAction::Insert(r) => r.iter_mut().collect(),
            MergeAction::Delete | MergeAction::Nothing => Vec::new(),
        }
    }
}

/// Applies the planner rules (see module docs).
pub fn optimize(mut plan: Plan) -> Plan {
    join_order::reorder_joins(&mut plan);
    partition_prune::prune_partitions(&mut plan);
    visit::transform(&mut plan, &mut semi_join::decorrelate);
    visit::transform(&mut plan, &mut outer_join::hash_outer_joins);
    visit::transform(&mut plan, &mut access::choose_access);
    visit::transform(&mut plan, &mut index_order::order_by_index);
    plan
}

#[cfg(test)]
mod tests;
