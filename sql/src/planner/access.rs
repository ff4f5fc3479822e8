//! Rule: choose a primary-key or secondary-index range scan for a filtered full scan.
//!
//! For `Filter(p, Scan(t, Full))`, the conjuncts of `p` of the form `key op const` (`op` one
//! of `= < <= > >=`, `const` a literal or parameter, either side) and `key IN (consts...)`
//! are matched against the primary key and every index: a key with equalities on its first
//! `k` elements and optionally a range or an IN list on element `k+1` scores `2k (+1)`; an IN
//! list becomes point lookups ([`AccessPlan::InList`]). A key element is a column, or for an
//! expression index the bound expression, matched by equality (`lower(name) = 'x'` uses an
//! index on `lower(name)`). A partial index is a candidate only when every conjunct of its
//! predicate is also a conjunct of `p` (so the index holds every row `p` keeps). The best
//! key (the primary key on a tie) becomes the scan's range; with no match the scan stays
//! full. The filter is kept, so the range need only contain every matching row.

use super::{AccessPlan, Plan, RangePlan};
use crate::expr::{CmpOp, Expr};
use crate::storage::TableDef;
use std::ops::Bound;

/// The rule for one node (see [`super::visit::transform`] for applying it everywhere).
pub fn choose_access(plan: &mut Plan) {
    if let Plan::Filter { input, predicate } = plan
        && let Plan::Scan { table, access, .. } = input.as_mut()
        && *access == AccessPlan::Full
    {
        *access = best_access(table, predicate);
    }
}

/// `(key expression, op, constant)` with the key expression on the left.
fn column_predicates(predicate: &Expr) -> Vec<(Expr, CmpOp, Expr)> {
    let mut out = Vec::new();
    for c in predicate.conjuncts() {
        if let Expr::Compare(op, l, r) = c {
            match (l.as_ref(), r.as_ref()) {
                (k, x) if x.is_constant() && !k.is_constant() => {
                    out.push((k.clone(), *op, x.clone()))
                }
                (x, k) if x.is_constant() && !k.is_constant() => {
                    out.push((k.clone(), op.flip(), x.clone()))
                }
                _ => {}
            }
        }
    }
    out
}

/// The range over `key` elements implied by `preds`, and its score (0 = unusable).
fn range_for(key: &[Expr], preds: &[(Expr, CmpOp, Expr)]) -> (u32, RangePlan) {
    let mut prefix = Vec::new();
    for col in key {
        match preds.iter().find(|(c, op, _)| c == col && *op == CmpOp::Eq) {
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
    if let Some(next) = key.get(prefix.len()) {
        let with = |k: &Expr| {
            let mut v = prefix.clone();
            v.push(k.clone());
            v
        };
        for (_, op, k) in preds.iter().filter(|(c, _, _)| c == next) {
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

/// `key IN (constants...)` conjuncts: the key expression and the list.
fn in_lists(predicate: &Expr) -> Vec<(Expr, Vec<Expr>)> {
    predicate
        .conjuncts()
        .into_iter()
        .filter_map(|c| match c {
            Expr::InList {
                expr,
                list,
                negated: false,
            } if list.iter().all(Expr::is_constant) && !expr.is_constant() => {
                Some((expr.as_ref().clone(), list.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Point lookups on `key` for an IN list after an equality prefix, and their score.
fn in_list_for(
    key: &[Expr],
    preds: &[(Expr, CmpOp, Expr)],
    lists: &[(Expr, Vec<Expr>)],
) -> Option<(u32, Vec<Expr>, Vec<Expr>)> {
    let mut prefix = Vec::new();
    for col in key {
        if let Some((_, list)) = lists.iter().find(|(c, _)| c == col) {
            return Some((2 * prefix.len() as u32 + 1, prefix, list.clone()));
        }
        match preds.iter().find(|(c, op, _)| c == col && *op == CmpOp::Eq) {
            Some((_, _, k)) => prefix.push(k.clone()),
            None => return None,
        }
    }
    None
}

/// The key elements of every usable key of `table` under `predicate`: `None` for the primary
/// key, else the index name.
fn candidate_keys(table: &TableDef, predicate: &Expr) -> Vec<(Option<String>, Vec<Expr>)> {
    let columns = |k: &[usize]| k.iter().map(|&c| Expr::Column(c)).collect::<Vec<_>>();
    let mut out = Vec::new();
    if !table.primary_key.is_empty() {
        out.push((None, columns(&table.primary_key)));
    }
    let conjuncts = predicate.conjuncts();
    for i in &table.indexes {
        if i.is_plain() {
            out.push((Some(i.name.clone()), columns(&i.columns)));
            continue;
        }
        // An index whose expressions do not bind (it should not happen) is not used.
        let Ok(b) = i.bound(table) else { continue };
        if let Some(p) = &b.predicate
            && !p.conjuncts().iter().all(|c| conjuncts.contains(c))
        {
            continue;
        }
        out.push((Some(i.name.clone()), b.keys.clone()));
    }
    out
}

/// The best access path for `table` under `predicate`.
pub fn best_access(table: &TableDef, predicate: &Expr) -> AccessPlan {
    let preds = column_predicates(predicate);
    let lists = in_lists(predicate);
    if preds.is_empty() && lists.is_empty() {
        return AccessPlan::Full;
    }
    let mut best = (0, AccessPlan::Full);
    for (index, key) in candidate_keys(table, predicate) {
        let (score, range) = range_for(&key, &preds);
        if score > best.0 {
            best = (
                score,
                match &index {
                    None => AccessPlan::Primary(range),
                    Some(i) => AccessPlan::Index {
                        index: i.clone(),
                        range,
                    },
                },
            );
        }
        if let Some((score, prefix, values)) = in_list_for(&key, &preds, &lists)
            && score > best.0
        {
            best = (
                score,
                AccessPlan::InList {
                    index,
                    prefix,
                    values,
                },
            );
        }
    }
    best.1
}
