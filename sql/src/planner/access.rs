//! Rule: choose a primary-key or secondary-index range scan for a filtered full scan.
//!
//! For `Filter(p, Scan(t, Full))`, the conjuncts of `p` of the form `col op const` (`op` one
//! of `= < <= > >=`, `const` a literal or parameter, either side) are matched against the
//! primary key and every index: a key with equalities on its first `k` columns and
//! optionally a range on column `k+1` scores `2k (+1)`. The best key (the primary key on a
//! tie) becomes the scan's range; with no match the scan stays full. The filter is kept, so
//! the range need only contain every matching row.

use super::{AccessPlan, Plan, RangePlan};
use crate::expr::{CmpOp, Expr};
use crate::storage::TableDef;
use std::ops::Bound;

/// Applies the rule everywhere in the tree.
pub fn choose_access(plan: Plan) -> Plan {
    match plan {
        Plan::Filter { input, predicate } => {
            let input = match *input {
                Plan::Scan {
                    table,
                    access: AccessPlan::Full,
                } => {
                    let access = best_access(&table, &predicate);
                    Plan::Scan { table, access }
                }
                other => choose_access(other),
            };
            Plan::Filter {
                input: Box::new(input),
                predicate,
            }
        }
        Plan::Join {
            left,
            right,
            kind,
            on,
            left_width,
            right_width,
        } => Plan::Join {
            left: Box::new(choose_access(*left)),
            right: Box::new(choose_access(*right)),
            kind,
            on,
            left_width,
            right_width,
        },
        Plan::Aggregate {
            input,
            groups,
            calls,
        } => Plan::Aggregate {
            input: Box::new(choose_access(*input)),
            groups,
            calls,
        },
        Plan::Project { input, exprs } => Plan::Project {
            input: Box::new(choose_access(*input)),
            exprs,
        },
        Plan::Distinct { input } => Plan::Distinct {
            input: Box::new(choose_access(*input)),
        },
        Plan::Sort { input, keys } => Plan::Sort {
            input: Box::new(choose_access(*input)),
            keys,
        },
        Plan::Limit {
            input,
            limit,
            offset,
        } => Plan::Limit {
            input: Box::new(choose_access(*input)),
            limit,
            offset,
        },
        Plan::Insert {
            table,
            input,
            on_conflict,
            arbiter,
            returning,
        } => Plan::Insert {
            table,
            input: Box::new(choose_access(*input)),
            on_conflict,
            arbiter,
            returning,
        },
        Plan::Update {
            table,
            input,
            predicate,
            assignments,
            returning,
        } => Plan::Update {
            table,
            input: Box::new(choose_access(*input)),
            predicate,
            assignments,
            returning,
        },
        Plan::Delete {
            table,
            input,
            predicate,
            returning,
        } => Plan::Delete {
            table,
            input: Box::new(choose_access(*input)),
            predicate,
            returning,
        },
        leaf @ (Plan::Scan { .. }
        | Plan::Values { .. }
        | Plan::Series { .. }
        | Plan::SystemScan { .. }) => leaf,
    }
}

/// `(column, op, constant)` with the column on the left.
fn column_predicates(predicate: &Expr) -> Vec<(usize, CmpOp, Expr)> {
    let mut out = Vec::new();
    for c in predicate.conjuncts() {
        if let Expr::Compare(op, l, r) = c {
            match (l.as_ref(), r.as_ref()) {
                (Expr::Column(i), k) if k.is_constant() => out.push((*i, *op, k.clone())),
                (k, Expr::Column(i)) if k.is_constant() => out.push((*i, op.flip(), k.clone())),
                _ => {}
            }
        }
    }
    out
}

/// The range over `key` columns implied by `preds`, and its score (0 = unusable).
fn range_for(key: &[usize], preds: &[(usize, CmpOp, Expr)]) -> (u32, RangePlan) {
    let mut prefix = Vec::new();
    for &col in key {
        match preds
            .iter()
            .find(|(c, op, _)| *c == col && *op == CmpOp::Eq)
        {
            Some((_, _, k)) => prefix.push(k.clone()),
            None => break,
        }
    }
    let mut score = 2 * prefix.len() as u32;
    let mut lower = if prefix.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Included(prefix.clone())
    };
    let mut upper = lower.clone();
    if let Some(&next) = key.get(prefix.len()) {
        let with = |k: &Expr| {
            let mut v = prefix.clone();
            v.push(k.clone());
            v
        };
        for (c, op, k) in preds.iter().filter(|(c, _, _)| *c == next) {
            let _ = c;
            match op {
                CmpOp::Gt => lower = Bound::Excluded(with(k)),
                CmpOp::GtEq => lower = Bound::Included(with(k)),
                CmpOp::Lt => upper = Bound::Excluded(with(k)),
                CmpOp::LtEq => upper = Bound::Included(with(k)),
                _ => continue,
            }
            score |= 1;
        }
    }
    (score, RangePlan { lower, upper })
}

/// The best access path for `table` under `predicate`.
pub fn best_access(table: &TableDef, predicate: &Expr) -> AccessPlan {
    let preds = column_predicates(predicate);
    if preds.is_empty() {
        return AccessPlan::Full;
    }
    let mut best = (0, AccessPlan::Full);
    if !table.primary_key.is_empty() {
        let (score, range) = range_for(&table.primary_key, &preds);
        if score > 0 {
            best = (score, AccessPlan::Primary(range));
        }
    }
    for idx in &table.indexes {
        let (score, range) = range_for(&idx.columns, &preds);
        if score > best.0 {
            best = (
                score,
                AccessPlan::Index {
                    index: idx.name.clone(),
                    range,
                },
            );
        }
    }
    best.1
}
