//! Rule: order inner joins, push predicates down to the tables, and join on equalities
//! with hash joins.
//!
//! A *join region* is a tree of inner (and cross) joins with the filters directly above
//! them, e.g. `FROM t1, t2, t3 WHERE a1 = b2 AND b2 = c3 AND a1 > 5`. Its leaves (the
//! tables or other subplans) and its conjuncts (from the WHERE and every ON) are collected
//! with their columns in the region's concatenated layout. Then:
//!
//! * a conjunct that reads one leaf becomes a filter on that leaf (where
//!   [`super::access`] can turn it into an index or primary-key range);
//! * the leaves are joined greedily, left-deep: first the smallest (estimated) leaf, then
//!   repeatedly the smallest leaf connected to the joined set by an equality (`=` or
//!   `IS NOT DISTINCT FROM` between an expression over the set and one over the leaf), and
//!   only when none is connected, the smallest remaining one (a cross join). So a many-way
//!   join whose WHERE chains its tables never builds a cartesian product;
//! * each step is a [`Plan::HashJoin`] on those equalities (the new leaf is the build side),
//!   with every other conjunct whose leaves are now all joined as its residual; with no
//!   equality it is a nested loop;
//! * a final `Project` restores the region's original column order (the nodes above were
//!   bound against it), and conjuncts reading no column filter the result.
//!
//! Estimates are heuristics (no statistics yet): a table has 1000 rows, a VALUES list its
//! length; an equality with a constant keeps 10%, a unique-key equality one row, any other
//! conjunct a third.

use super::columns::{columns_of, conjoin, remap};
use super::{EquiJoin, JoinKind, Plan};
use crate::expr::{CmpOp, Expr};
use std::sync::Arc;

/// Applies the rule everywhere in the tree, top-down (a region is taken whole from its
/// topmost node), and inside the plans of subqueries.
pub fn reorder_joins(plan: &mut Plan) {
    if is_region(plan) {
        let p = std::mem::replace(plan, Plan::Values { rows: vec![] });
        *plan = region(p);
        return;
    }
    for c in plan.children_mut() {
        reorder_joins(c);
    }
    for e in plan.exprs_mut() {
        in_subqueries(e);
    }
}

/// Applies the rule to the plans of the subqueries in `e`.
fn in_subqueries(e: &mut Expr) {
    e.rewrite(&mut |x| {
        if let Expr::Subquery(s) = x {
            reorder_joins(Arc::make_mut(&mut s.plan));
        }
    });
}

/// The width of a region's root (a join, or a filter over one).
fn join_width(p: &Plan) -> usize {
    match p {
        Plan::Join {
            left_width,
            right_width,
            ..
        } => left_width + right_width,
        Plan::Filter { input, .. } => join_width(input),
        _ => 0,
    }
}

fn is_inner_join(p: &Plan) -> bool {
    matches!(
        p,
        Plan::Join {
            kind: JoinKind::Inner,
            ..
        }
    )
}

fn is_region(p: &Plan) -> bool {
    match p {
        Plan::Filter { input, .. } => is_inner_join(input),
        other => is_inner_join(other),
    }
}

struct Leaf {
    plan: Plan,
    /// First column in the region's layout.
    start: usize,
    width: usize,
}

/// A conjunct in the region's layout and the leaves it reads.
struct Conjunct {
    expr: Expr,
    leaves: Vec<usize>,
    used: bool,
}

fn shift(e: &Expr, by: usize) -> Expr {
    if by == 0 {
        e.clone()
    } else {
        remap(e, &|i| i + by)
    }
}

/// Collects the leaves and conjuncts of the region rooted at `plan` (at column `offset`,
/// `width` columns wide).
fn collect(
    plan: Plan,
    offset: usize,
    width: usize,
    leaves: &mut Vec<Leaf>,
    conjuncts: &mut Vec<Expr>,
) {
    let add = |e: &Expr, conjuncts: &mut Vec<Expr>| {
        for c in e.conjuncts() {
            let mut c = shift(c, offset);
            in_subqueries(&mut c);
            conjuncts.push(c);
        }
    };
    match plan {
        Plan::Join {
            left,
            right,
            kind: JoinKind::Inner,
            on,
            left_width,
            right_width,
        } => {
            if let Some(on) = on {
                add(&on, conjuncts);
            }
            collect(*left, offset, left_width, leaves, conjuncts);
            collect(*right, offset + left_width, right_width, leaves, conjuncts);
        }
        Plan::Filter { input, predicate } if is_inner_join(&input) => {
            add(&predicate, conjuncts);
            collect(*input, offset, width, leaves, conjuncts);
        }
        mut other => {
            reorder_joins(&mut other);
            leaves.push(Leaf {
                plan: other,
                start: offset,
                width,
            });
        }
    }
}

/// Estimated output rows of `p` (see the module docs).
pub fn estimate(p: &Plan) -> f64 {
    match p {
        Plan::Scan { .. } | Plan::Series { .. } => 1000.0,
        Plan::Values { rows } => rows.len() as f64,
        Plan::Filter { input, predicate } => {
            let mut rows = estimate(input);
            let unique = match input.as_ref() {
                Plan::Scan { table, .. } => unique_match(table, predicate),
                _ => false,
            };
            if unique {
                return 1.0;
            }
            for c in predicate.conjuncts() {
                rows *= match c {
                    Expr::Compare(CmpOp::Eq, a, b) if a.is_constant() || b.is_constant() => 0.1,
                    _ => 0.33,
                };
            }
            rows.max(1.0)
        }
        // Grouping sets: each non-empty set as a GROUP BY, one row per empty set.
        Plan::Aggregate {
            input,
            sets: Some(sets),
            ..
        } => sets
            .iter()
            .map(|s| {
                if s.is_empty() {
                    1.0
                } else {
                    (estimate(input) * 0.1).max(1.0)
                }
            })
            .sum(),
        Plan::Aggregate { groups, input, .. } if !groups.is_empty() => {
            (estimate(input) * 0.1).max(1.0)
        }
        Plan::Aggregate { .. } => 1.0,
        Plan::Join { left, right, .. } | Plan::HashJoin { left, right, .. } => {
            estimate(left).max(estimate(right))
        }
        other => other.children().first().map_or(1.0, |c| estimate(c)),
    }
}

/// Whether `predicate` fixes every column of the primary key or a unique index with `=`.
fn unique_match(table: &crate::storage::TableDef, predicate: &Expr) -> bool {
    let fixed: Vec<usize> = predicate
        .conjuncts()
        .into_iter()
        .filter_map(|c| match c {
            Expr::Compare(CmpOp::Eq, a, b) => match (a.as_ref(), b.as_ref()) {
                (Expr::Column(i), k) | (k, Expr::Column(i)) if k.is_constant() => Some(*i),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let covers = |cols: &[usize]| !cols.is_empty() && cols.iter().all(|c| fixed.contains(c));
    covers(&table.primary_key)
        || table
            .indexes
            .iter()
            .any(|i| i.unique && i.is_plain() && covers(&i.columns))
}

/// The sides of an equality usable as a hash key, and whether it is NULL-safe.
fn equality(e: &Expr) -> Option<(&Expr, &Expr, bool)> {
    match e {
        Expr::Compare(CmpOp::Eq, a, b) => Some((a, b, false)),
        Expr::IsDistinct {
            left,
            right,
            negated: true,
        } => Some((left, right, true)),
        _ => None,
    }
}

fn leaves_of(e: &Expr, leaves: &[Leaf]) -> Vec<usize> {
    let mut out: Vec<usize> = columns_of(e)
        .into_iter()
        .filter_map(|c| {
            leaves
                .iter()
                .position(|l| c >= l.start && c < l.start + l.width)
        })
        .collect();
    out.dedup();
    out.sort_unstable();
    out.dedup();
    out
}

fn region(plan: Plan) -> Plan {
    let total = join_width(&plan);
    let mut leaves = Vec::new();
    let mut exprs = Vec::new();
    collect(plan, 0, total, &mut leaves, &mut exprs);
    let mut conjuncts: Vec<Conjunct> = exprs
        .into_iter()
        .map(|expr| Conjunct {
            leaves: leaves_of(&expr, &leaves),
            expr,
            used: false,
        })
        .collect();

    // Single-leaf conjuncts filter their leaf.
    let mut leaf_plans: Vec<Option<Plan>> = Vec::new();
    let mut estimates = Vec::new();
    for (i, leaf) in leaves.iter_mut().enumerate() {
        let start = leaf.start;
        let local: Vec<Expr> = conjuncts
            .iter_mut()
            .filter(|c| c.leaves == [i])
            .map(|c| {
                c.used = true;
                remap(&c.expr, &|col| col - start)
            })
            .collect();
        let plan = std::mem::replace(&mut leaf.plan, Plan::Values { rows: vec![] });
        let plan = add_filter(plan, local);
        estimates.push(estimate(&plan));
        leaf_plans.push(Some(plan));
    }

    // Greedy left-deep order.
    let n = leaves.len();
    let smallest = |cands: &mut dyn Iterator<Item = usize>| {
        cands.min_by(|a, b| estimates[*a].total_cmp(&estimates[*b]).then(a.cmp(b)))
    };
    let first = smallest(&mut (0..n)).expect("a join has leaves");
    let mut order = vec![first];
    let mut plan = leaf_plans[first].take().expect("each leaf is taken once");
    while order.len() < n {
        let connected = |j: usize| {
            conjuncts.iter().any(|c| {
                !c.used
                    && equality(&c.expr).is_some_and(|(a, b, _)| {
                        let (la, lb) = (leaves_of(a, &leaves), leaves_of(b, &leaves));
                        let joined =
                            |ls: &[usize]| !ls.is_empty() && ls.iter().all(|l| order.contains(l));
                        (joined(&la) && lb == [j]) || (joined(&lb) && la == [j])
                    })
            })
        };
        let remaining: Vec<usize> = (0..n).filter(|j| !order.contains(j)).collect();
        let next = smallest(&mut remaining.iter().copied().filter(|j| connected(*j)))
            .or_else(|| smallest(&mut remaining.iter().copied()))
            .expect("a leaf remains");
        let right = leaf_plans[next].take().expect("each leaf is taken once");
        plan = join_step(plan, right, &order, next, &leaves, &mut conjuncts);
        order.push(next);
    }

    // Back to the region's column order.
    let mut position = vec![0; total];
    let mut at = 0;
    for &i in &order {
        for k in 0..leaves[i].width {
            position[leaves[i].start + k] = at + k;
        }
        at += leaves[i].width;
    }
    if position.iter().enumerate().any(|(g, p)| g != *p) {
        plan = Plan::Project {
            input: Box::new(plan),
            exprs: position.iter().map(|p| Expr::Column(*p)).collect(),
        };
    }
    let rest: Vec<Expr> = conjuncts
        .into_iter()
        .filter(|c| !c.used)
        .map(|c| c.expr)
        .collect();
    add_filter(plan, rest)
}

/// `plan` filtered by the conjunction of `preds` (merged into an existing filter).
fn add_filter(plan: Plan, mut preds: Vec<Expr>) -> Plan {
    if preds.is_empty() {
        return plan;
    }
    match plan {
        Plan::Filter { input, predicate } => {
            preds.insert(0, predicate);
            Plan::Filter {
                input,
                predicate: conjoin(preds).expect("not empty"),
            }
        }
        other => Plan::Filter {
            input: Box::new(other),
            predicate: conjoin(preds).expect("not empty"),
        },
    }
}

/// Joins the leaves in `order` (as `left`) with leaf `next`.
fn join_step(
    left: Plan,
    right: Plan,
    order: &[usize],
    next: usize,
    leaves: &[Leaf],
    conjuncts: &mut [Conjunct],
) -> Plan {
    // Where each region column sits in the joined row [left..., right...].
    let mut position =
        vec![usize::MAX; leaves.iter().map(|l| l.start + l.width).max().unwrap_or(0)];
    let mut at = 0;
    for &i in order.iter().chain(std::iter::once(&next)) {
        for k in 0..leaves[i].width {
            position[leaves[i].start + k] = at + k;
        }
        at += leaves[i].width;
    }
    let left_width = at - leaves[next].width;
    let right_start = leaves[next].start;
    let to_left = |e: &Expr| remap(e, &|c| position[c]);
    let to_right = |e: &Expr| remap(e, &|c| c - right_start);
    let in_left = |ls: &[usize]| !ls.is_empty() && ls.iter().all(|l| order.contains(l));

    let (mut left_keys, mut right_keys, mut null_safe, mut residual) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in conjuncts.iter_mut().filter(|c| !c.used) {
        let ready =
            !c.leaves.is_empty() && c.leaves.iter().all(|l| *l == next || order.contains(l));
        if !ready {
            continue;
        }
        c.used = true;
        if let Some((a, b, safe)) = equality(&c.expr) {
            let (la, lb) = (leaves_of(a, leaves), leaves_of(b, leaves));
            if in_left(&la) && lb == [next] {
                left_keys.push(to_left(a));
                right_keys.push(to_right(b));
                null_safe.push(safe);
                continue;
            }
            if in_left(&lb) && la == [next] {
                left_keys.push(to_left(b));
                right_keys.push(to_right(a));
                null_safe.push(safe);
                continue;
            }
        }
        residual.push(to_left(&c.expr));
    }
    let join = EquiJoin {
        kind: JoinKind::Inner,
        left_keys,
        right_keys,
        null_safe,
        residual: conjoin(residual),
        left_width,
        right_width: leaves[next].width,
    };
    join_plan(left, right, join)
}

/// A hash join, or a nested loop when `join` has no keys.
pub(super) fn join_plan(left: Plan, right: Plan, join: EquiJoin) -> Plan {
    if join.left_keys.is_empty() {
        return Plan::Join {
            left: Box::new(left),
            right: Box::new(right),
            kind: join.kind,
            on: join.residual,
            left_width: join.left_width,
            right_width: join.right_width,
        };
    }
    Plan::HashJoin {
        left: Box::new(left),
        right: Box::new(right),
        join,
    }
}
