//! Subqueries in expressions: what a [`Subquery`] is, how its rows are summarized into a
//! [`SubqueryResult`], and the comparison semantics of each kind (PostgreSQL's, NULLs
//! included).
//!
//! A subquery carries its own plan. Its *correlation* is explicit: `args` are expressions over
//! the enclosing row, evaluated where the subquery is evaluated, and inside the plan they are
//! read as [`super::Expr::OuterRef`]`(i)`. A reference two query levels out is threaded through
//! the level in between by the binder (the middle subquery passes it on as one of *its*
//! `args`), so evaluation only ever sees one vector of outer values.
//!
//! Running the plan is the executor's business ([`super::EvalEnv::subquery`]): it feeds the rows
//! to [`SubqueryResult::build`], which stops pulling as soon as the kind has its answer
//! (EXISTS after one row, a scalar subquery after a second row, which is error 21000), and
//! may cache the result — once per statement for an uncorrelated subquery, per distinct
//! `args` for a [`Subquery::reusable`] correlated one.

use super::{CmpOp, Expr};
use crate::planner::Plan;
use crate::types::{Array, Value};
use crate::{Error, Result};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A subquery used as an expression. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// Unique within one statement: the key of its cached results.
    pub id: usize,
    pub plan: Arc<Plan>,
    /// Correlation values, evaluated over the enclosing row; `plan` reads `args[i]` as
    /// `OuterRef(i)`. Empty for an uncorrelated subquery.
    pub args: Vec<Expr>,
    pub kind: SubqueryKind,
    /// Whether a result computed for some `args` may be reused for equal `args`: false when
    /// the plan calls a volatile function or reads a CTE whose contents can change between
    /// evaluations. (An uncorrelated subquery is evaluated once per statement regardless, as
    /// PostgreSQL evaluates an InitPlan once.)
    pub reusable: bool,
}

/// What the subquery's rows mean to the enclosing expression.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryKind {
    /// `(SELECT x ...)`: the single value, NULL when there is no row, 21000 for several.
    Scalar,
    /// `EXISTS (SELECT ...)`.
    Exists,
    /// `ARRAY(SELECT ...)`: the column's values as a one-dimensional array (empty, not
    /// NULL, without rows).
    Array,
    /// `ARRAY(SELECT ...)` of an array column: the arrays stacked into one more dimension
    /// (as `array_agg` of arrays, with its errors).
    ArrayOfArrays,
    /// `lhs op ANY (SELECT ...)` or `lhs op ALL (...)`; `x IN (...)` is `x = ANY (...)` and
    /// `x NOT IN (...)` its negation. `lhs` has one expression per subquery column (a row
    /// constructor `(a, b) IN (SELECT x, y ...)` has two).
    Quantified {
        lhs: Vec<Expr>,
        op: CmpOp,
        all: bool,
    },
}

/// The summary of a subquery's rows that its kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryResult {
    Scalar(Value),
    Exists(bool),
    Rows(RowSet),
}

/// The rows of a quantified subquery, indexed for the common comparisons.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowSet {
    /// Every row, in the order produced.
    rows: Vec<Vec<Value>>,
    /// The rows without NULLs, for `= ANY` lookups.
    complete: BTreeSet<Vec<Value>>,
    /// Whether some row has a NULL.
    any_null: bool,
}

impl RowSet {
    fn push(&mut self, row: Vec<Value>) {
        if row.iter().any(Value::is_null) {
            self.any_null = true;
        } else {
            self.complete.insert(row.clone());
        }
        self.rows.push(row);
    }

    /// The number of values held (for cache budgeting).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl SubqueryResult {
    /// Summarizes rows pulled from `next` for `kind`, pulling no more than it needs.
    pub fn build(
        kind: &SubqueryKind,
        mut next: impl FnMut() -> Result<Option<Vec<Value>>>,
    ) -> Result<SubqueryResult> {
        Ok(match kind {
            SubqueryKind::Exists => SubqueryResult::Exists(next()?.is_some()),
            SubqueryKind::Scalar => {
                let first = next()?;
                if first.is_some() && next()?.is_some() {
                    return Err(Error::CardinalityViolation(
                        "more than one row returned by a subquery used as an expression".into(),
                    ));
                }
                let v = first.and_then(|r| r.into_iter().next());
                SubqueryResult::Scalar(v.unwrap_or(Value::Null))
            }
            SubqueryKind::Array => {
                let mut items = Vec::new();
                while let Some(row) = next()? {
                    items.push(row.into_iter().next().unwrap_or(Value::Null));
                    if items.len() % 1024 == 0 {
                        crate::interrupt::check()?;
                    }
                }
                SubqueryResult::Scalar(Value::Array(Box::new(Array::from_items(items))))
            }
            SubqueryKind::ArrayOfArrays => {
                let mut items = Vec::new();
                while let Some(row) = next()? {
                    items.push(row.into_iter().next().unwrap_or(Value::Null));
                    if items.len() % 1024 == 0 {
                        crate::interrupt::check()?;
                    }
                }
                SubqueryResult::Scalar(super::array_fns::stack(items)?)
            }
            SubqueryKind::Quantified { .. } => {
                let mut set = RowSet::default();
                while let Some(row) = next()? {
                    set.push(row);
                    if set.rows.len() % 1024 == 0 {
                        crate::interrupt::check()?;
                    }
                }
                SubqueryResult::Rows(set)
            }
        })
    }

    /// A rough size, for bounding the cache of correlated results.
    pub fn weight(&self) -> usize {
        match self {
            SubqueryResult::Rows(r) => 1 + r.len(),
            SubqueryResult::Scalar(Value::Array(a)) => 1 + a.items.len(),
            _ => 1,
        }
    }
}

/// Three-valued comparison of two rows of equal width: NULL if some pair involves a NULL and
/// no non-NULL pair already decides.
fn compare_rows(op: CmpOp, l: &[Value], r: &[Value]) -> Option<bool> {
    match op {
        CmpOp::Eq | CmpOp::NotEq => {
            let mut unknown = false;
            for (a, b) in l.iter().zip(r) {
                if a.is_null() || b.is_null() {
                    unknown = true;
                } else if a != b {
                    return Some(op == CmpOp::NotEq);
                }
            }
            if unknown { None } else { Some(op == CmpOp::Eq) }
        }
        _ => {
            // Row ordering comparisons: the first unequal pair decides.
            for (a, b) in l.iter().zip(r) {
                if a.is_null() || b.is_null() {
                    return None;
                }
                let ord = a.cmp(b);
                if ord != Ordering::Equal {
                    return Some(op.holds(ord));
                }
            }
            Some(op.holds(Ordering::Equal))
        }
    }
}

/// `lhs op ANY (rows)` / `lhs op ALL (rows)` with PostgreSQL's NULL semantics: ANY is true if
/// some comparison is true, else NULL if some is NULL, else false (so `x IN (empty)` is false
/// and `1 NOT IN (2, NULL)` is NULL); ALL is the dual.
pub fn quantified(lhs: &[Value], op: CmpOp, all: bool, rows: &RowSet) -> Value {
    if rows.rows.is_empty() {
        return Value::Bool(all);
    }
    let lhs_complete = !lhs.iter().any(Value::is_null);
    // Fast path for IN / NOT IN: a set lookup decides unless NULLs are involved.
    if op == CmpOp::Eq && !all && lhs_complete {
        if rows.complete.contains(lhs) {
            return Value::Bool(true);
        }
        if !rows.any_null {
            return Value::Bool(false);
        }
    }
    let mut unknown = false;
    for r in &rows.rows {
        match compare_rows(op, lhs, r) {
            Some(b) if b != all => return Value::Bool(b),
            Some(_) => {}
            None => unknown = true,
        }
    }
    if unknown {
        Value::Null
    } else {
        Value::Bool(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rows: &[Option<i64>]) -> RowSet {
        let mut s = RowSet::default();
        for r in rows {
            s.push(vec![r.map_or(Value::Null, Value::Int)]);
        }
        s
    }

    #[test]
    fn in_and_not_in_follow_three_valued_logic() {
        let any = |x: Option<i64>, rows: &[Option<i64>]| {
            quantified(
                &[x.map_or(Value::Null, Value::Int)],
                CmpOp::Eq,
                false,
                &set(rows),
            )
        };
        assert_eq!(any(Some(1), &[Some(1), Some(2)]), Value::Bool(true));
        assert_eq!(any(Some(3), &[Some(1), Some(2)]), Value::Bool(false));
        assert_eq!(any(Some(3), &[Some(1), None]), Value::Null);
        assert_eq!(any(Some(1), &[Some(1), None]), Value::Bool(true));
        assert_eq!(any(None, &[Some(1)]), Value::Null);
        assert_eq!(any(None, &[]), Value::Bool(false));
    }

    #[test]
    fn all_is_the_dual_of_any() {
        let all =
            |x: i64, op, rows: &[Option<i64>]| quantified(&[Value::Int(x)], op, true, &set(rows));
        assert_eq!(all(5, CmpOp::Gt, &[Some(1), Some(2)]), Value::Bool(true));
        assert_eq!(all(5, CmpOp::Gt, &[Some(1), Some(7)]), Value::Bool(false));
        assert_eq!(all(5, CmpOp::Gt, &[Some(1), None]), Value::Null);
        assert_eq!(all(5, CmpOp::Gt, &[Some(9), None]), Value::Bool(false));
        assert_eq!(all(5, CmpOp::Gt, &[]), Value::Bool(true));
    }

    #[test]
    fn scalar_subquery_with_two_rows_is_21000() {
        let mut rows = vec![vec![Value::Int(1)], vec![Value::Int(2)]].into_iter();
        let e = SubqueryResult::build(&SubqueryKind::Scalar, || Ok(rows.next())).unwrap_err();
        assert_eq!(e.code(), "21000");
        let mut none = std::iter::empty();
        let r = SubqueryResult::build(&SubqueryKind::Scalar, || Ok(none.next())).unwrap();
        assert_eq!(r, SubqueryResult::Scalar(Value::Null));
    }
}
