//! Rule: partition pruning. A partitioned table's scan is bound as
//! [`Plan::Partitioned`] around the UNION ALL of its leaves' scans (each row followed by
//! the leaf's OID, the scope's `tableoid`). When a filter sits right above it — the WHERE
//! of a one-table query, or a conjunct [`super::join_order`] pushed down to the table —
//! the leaves its [`PruneTree`] says cannot hold a matching row are dropped, and the
//! filter moves into each remaining branch, onto the leaf's scan (with `tableoid` replaced
//! by the leaf's OID), where [`super::access`] can turn it into an index range. So EXPLAIN
//! lists only the surviving partitions, as PostgreSQL's Append does; with one survivor
//! there is no Append at all, and with none the scan is an empty `Result`.
//!
//! Afterwards every `Partitioned` node, pruned or not, is replaced by its input.
//!
//! [`PruneTree`]: crate::storage::catalog::partition_prune::PruneTree

use super::{Plan, SetOpKind, visit};
use crate::expr::Expr;
use crate::types::Value;

/// Applies the rule everywhere (including subquery plans).
pub fn prune_partitions(plan: &mut Plan) {
    visit::transform(plan, &mut prune_one);
    visit::transform(plan, &mut |p| {
        if let Plan::Partitioned { input, .. } = p {
            let inner = std::mem::replace(input.as_mut(), Plan::Values { rows: vec![] });
            *p = inner;
        }
    });
}

/// `Filter(p, Partitioned(union))` → the union of the surviving branches, each filtered.
fn prune_one(plan: &mut Plan) {
    let Plan::Filter { input, predicate } = plan else {
        return;
    };
    let Plan::Partitioned {
        prune,
        input: union,
    } = input.as_mut()
    else {
        return;
    };
    let keep = prune.surviving(predicate);
    let union = std::mem::replace(union.as_mut(), Plan::Values { rows: vec![] });
    let mut branches = Vec::new();
    flatten(union, &mut branches);
    let width = branches.first().map_or(0, |b| match b {
        Plan::Project { exprs, .. } => exprs.len(),
        _ => 0,
    });
    let kept: Vec<Plan> = branches
        .into_iter()
        .filter(|b| leaf_oid(b).is_none_or(|oid| keep.contains(&oid)))
        .map(|b| filtered(b, predicate))
        .collect();
    let mut it = kept.into_iter();
    *plan = match it.next() {
        Some(first) => it.fold(first, |left, right| Plan::SetOp {
            op: SetOpKind::Union,
            all: true,
            left: Box::new(left),
            right: Box::new(right),
        }),
        // No partition can hold a matching row.
        None => Plan::Project {
            input: Box::new(Plan::Values { rows: vec![] }),
            exprs: vec![Expr::Literal(Value::Null); width],
        },
    };
}

/// The branches of the partitioned scan's UNION ALL, in order.
fn flatten(p: Plan, out: &mut Vec<Plan>) {
    match p {
        Plan::SetOp {
            op: SetOpKind::Union,
            all: true,
            left,
            right,
        } => {
            flatten(*left, out);
            flatten(*right, out);
        }
        other => out.push(other),
    }
}

/// The leaf OID a branch `Project(Scan, [columns..., oid])` appends to its rows.
fn leaf_oid(branch: &Plan) -> Option<u32> {
    let Plan::Project { input, exprs } = branch else {
        return None;
    };
    let Plan::Scan { table, .. } = input.as_ref() else {
        return None;
    };
    match exprs.last() {
        Some(Expr::Literal(Value::Int(oid))) if i64::from(table.id) == *oid => Some(table.id),
        _ => None,
    }
}

/// `branch` filtered by `predicate` (over the branch's output): onto the leaf's scan when
/// the branch is the identity projection plus the OID, above the branch otherwise.
fn filtered(branch: Plan, predicate: &Expr) -> Plan {
    let oid = leaf_oid(&branch);
    match (branch, oid) {
        (Plan::Project { input, exprs }, Some(oid))
            if exprs[..exprs.len() - 1]
                .iter()
                .enumerate()
                .all(|(i, e)| *e == Expr::Column(i)) =>
        {
            let width = exprs.len() - 1;
            let mut pred = predicate.clone();
            pred.rewrite(&mut |x| {
                if *x == Expr::Column(width) {
                    *x = Expr::Literal(Value::Int(i64::from(oid)));
                }
            });
            Plan::Project {
                input: Box::new(Plan::Filter {
                    input,
                    predicate: pred,
                }),
                exprs,
            }
        }
        (branch, _) => Plan::Filter {
            input: Box::new(branch),
            predicate: predicate.clone(),
        },
    }
}
