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

/// The rule for one node (see [`super::visit::transform`] for applying it everywhere).
pub fn choose_access(plan: &mut Plan) {
    if let Plan::Filter { input, predicate } = plan
        && let Plan::Scan { table, access } = input.as_mut()
        && *access == AccessPlan::Full
    {
        *access = best_access(table, predicate);
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
