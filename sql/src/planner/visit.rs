//! Walking plans: a node's child plans and the expressions it holds, and [`transform`], which
//! applies a rule to every node of a plan — including the plans of subqueries inside its
//! expressions — children first.

use super::Plan;
use crate::expr::Expr;
use std::sync::Arc;

/// The bodies of the shared and mutable accessors of [`Plan`]: `$iter` is `iter` or
/// `iter_mut`, `$arc` turns an `Arc<Plan>` into a (mutable) reference.
macro_rules! plan_children {
    ($p:expr, $iter:ident, $arc:expr) => {
        match $p {
            Plan::Scan { .. }
            | Plan::Values { .. }
            | Plan::Series { .. }
            | Plan::SystemScan { .. }
            | Plan::CteScan { .. }
            | Plan::WorkTable { .. } => vec![],
            Plan::Filter { input, .. }
            | Plan::ProjectSet { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Window { input, .. }
            | Plan::Project { input, .. }
            | Plan::Distinct { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Sample { input, .. }
            | Plan::LockRows { input, .. }
            | Plan::Partitioned { input, .. }
            | Plan::Insert { input, .. }
            | Plan::Update { input, .. }
            | Plan::Delete { input, .. } => vec![input],
            Plan::Merge(m) => vec![mut_or_ref!($iter, m.input)],
            Plan::Join { left, right, .. }
            | Plan::HashJoin { left, right, .. }
            | Plan::LateralJoin { left, right, .. }
            | Plan::SetOp { left, right, .. } => vec![left, right],
            Plan::RecursiveUnion {
                anchor, recursive, ..
            } => vec![anchor, recursive],
            Plan::Zip { inputs, .. } => inputs.$iter().collect(),
            Plan::With { ctes, input } => {
                let mut v: Vec<_> = ctes.$iter().map(|(_, p)| $arc(p)).collect();
                v.push(input);
                v
            }
        }
    };
}

macro_rules! plan_exprs {
    ($p:expr, $iter:ident) => {{
        let mut v = Vec::new();
        match $p {
            Plan::Scan { access, .. } => match access {
                super::AccessPlan::Full => {}
                super::AccessPlan::Primary(r) | super::AccessPlan::Index { range: r, .. } => {
                    for b in [mut_or_ref!($iter, r.lower), mut_or_ref!($iter, r.upper)] {
                        if let std::ops::Bound::Included(es) | std::ops::Bound::Excluded(es) = b {
                            v.extend(es.$iter());
                        }
                    }
                }
                super::AccessPlan::InList { prefix, values, .. } => {
                    v.extend(prefix.$iter());
                    v.extend(values.$iter());
                }
            },
            Plan::Values { rows } => v.extend(rows.$iter().flatten()),
            Plan::Series { start, stop, step } => v.extend([start, stop, step]),
            Plan::Filter { predicate, .. } => v.push(predicate),
            Plan::ProjectSet { functions, .. } => {
                v.extend(functions.$iter().flat_map(|(_, args)| args.$iter()))
            }
            Plan::Join { on, .. } => v.extend(on.$iter()),
            Plan::HashJoin { join, .. } => {
                v.extend(join.left_keys.$iter());
                v.extend(join.right_keys.$iter());
                v.extend(join.residual.$iter());
            }
            Plan::LateralJoin { args, on, .. } => {
                v.extend(args.$iter());
                v.extend(on.$iter());
            }
            Plan::Aggregate { groups, calls, .. } => {
                v.extend(groups.$iter());
                for c in calls.$iter() {
                    v.extend(c.args.$iter());
                    v.extend(c.filter.$iter());
                    v.extend(c.order_by.$iter().map(|k| mut_or_ref!($iter, k.expr)));
                }
            }
            Plan::Window { calls, .. } => {
                for c in calls.$iter() {
                    v.extend(c.args.$iter());
                    v.extend(c.partition_by.$iter());
                    v.extend(c.order_by.$iter().map(|k| mut_or_ref!($iter, k.expr)));
                    v.extend(c.filter.$iter());
                    for b in [
                        mut_or_ref!($iter, c.frame.start),
                        mut_or_ref!($iter, c.frame.end),
                    ] {
                        if let super::FrameBound::Preceding(e) | super::FrameBound::Following(e) = b
                        {
                            v.push(e);
                        }
                    }
                }
            }
            Plan::Project { exprs, .. } => v.extend(exprs.$iter()),
            Plan::Limit { limit, offset, .. } => v.extend(limit.$iter().chain(offset.$iter())),
            Plan::Sample { percent, .. } => v.push(percent),
            Plan::LockRows {
                recheck, outputs, ..
            } => {
                v.extend(recheck.$iter());
                v.extend(outputs.$iter());
            }
            Plan::Insert {
                on_conflict,
                returning,
                ..
            } => {
                if let super::ConflictAction::DoUpdate {
                    assignments,
                    predicate,
                } = on_conflict
                {
                    v.extend(assignments.$iter().map(|(_, e)| e));
                    v.extend(predicate.$iter());
                }
                v.extend(returning.$iter().flatten());
            }
            Plan::Update {
                predicate,
                assignments,
                returning,
                ..
            } => {
                v.extend(predicate.$iter());
                v.extend(assignments.$iter().map(|(_, e)| e));
                v.extend(returning.$iter().flatten());
            }
            Plan::Delete {
                predicate,
                returning,
                ..
            } => {
                v.extend(predicate.$iter());
                v.extend(returning.$iter().flatten());
            }
            Plan::Merge(m) => {
                v.extend(m.join.$iter());
                for w in m.matched.$iter().chain(m.not_matched.$iter()) {
                    v.extend(w.condition.$iter());
                    v.extend(action_exprs!($iter, w.action));
                }
                v.extend(m.generated.$iter().map(|(_, e)| e));
            }
            Plan::Distinct { .. }
            | Plan::SystemScan { .. }
            | Plan::Sort { .. }
            | Plan::SetOp { .. }
            | Plan::With { .. }
            | Plan::CteScan { .. }
            | Plan::RecursiveUnion { .. }
            | Plan::Partitioned { .. }
            | Plan::WorkTable { .. }
            | Plan::Zip { .. } => {}
        }
        v
    }};
}

/// A MERGE action's expressions, shared or mutable.
macro_rules! action_exprs {
    (iter, $x:expr) => {
        $x.exprs()
    };
    (iter_mut, $x:expr) => {
        $x.exprs_mut()
    };
}

/// `&x` for `iter`, `&mut x` for `iter_mut`.
macro_rules! mut_or_ref {
    (iter, $x:expr) => {
        &$x
    };
    (iter_mut, $x:expr) => {
        &mut $x
    };
}

impl Plan {
    /// Whether this plan is an INSERT, UPDATE or DELETE (a data-modifying WITH query),
    /// perhaps under the WITH of its own.
    pub fn modifies(&self) -> bool {
        match self {
            Plan::Insert { .. } | Plan::Update { .. } | Plan::Delete { .. } | Plan::Merge(_) => {
                true
            }
            Plan::With { input, .. } => input.modifies(),
            Plan::SetOp { left, right, .. } => left.modifies() || right.modifies(),
            _ => false,
        }
    }

    /// The node's input plans (CTE definitions of a `With` included).
    pub fn children(&self) -> Vec<&Plan> {
        plan_children!(self, iter, Arc::as_ref)
    }

    /// Mutable access to [`Plan::children`], in the same order.
    pub fn children_mut(&mut self) -> Vec<&mut Plan> {
        plan_children!(self, iter_mut, Arc::make_mut)
    }

    /// The expressions this node evaluates (not those of its children).
    pub fn exprs(&self) -> Vec<&Expr> {
        plan_exprs!(self, iter)
    }

    /// Mutable access to [`Plan::exprs`].
    pub fn exprs_mut(&mut self) -> Vec<&mut Expr> {
        plan_exprs!(self, iter_mut)
    }

    /// Whether this plan reads correlation values of its own level (`OuterRef`) anywhere:
    /// in its nodes' expressions, or passed on as a nested subquery's or LATERAL item's
    /// arguments. (What a nested plan reads through its own `OuterRef`s comes from those
    /// arguments and is not the enclosing level's.)
    pub fn is_correlated(&self) -> bool {
        let outer = |e: &Expr| e.any(&mut |x| matches!(x, Expr::OuterRef(_)));
        let own = match self {
            // The right side's OuterRefs are the join's `args`, checked as expressions.
            Plan::LateralJoin { left, .. } => left.is_correlated(),
            _ => self.children().iter().any(|c| c.is_correlated()),
        };
        own || self.exprs().into_iter().any(outer)
    }
}

/// Applies `f` to every node of `plan` bottom-up, including the plans of subqueries held by
/// its expressions (each subquery plan before the node that holds it).
pub fn transform(plan: &mut Plan, f: &mut dyn FnMut(&mut Plan)) {
    for c in plan.children_mut() {
        transform(c, f);
    }
    for e in plan.exprs_mut() {
        e.rewrite(&mut |x| {
            if let Expr::Subquery(s) = x {
                transform(Arc::make_mut(&mut s.plan), f);
            }
        });
    }
    f(plan);
}

/// Calls `f` on every node of `plan` (parents first), including the plans of subqueries
/// held by its expressions.
pub fn walk(plan: &Plan, f: &mut dyn FnMut(&Plan)) {
    f(plan);
    for c in plan.children() {
        walk(c, f);
    }
    for e in plan.exprs() {
        e.any(&mut |x| {
            if let Expr::Subquery(s) = x {
                walk(&s.plan, f);
            }
            false
        });
    }
}
