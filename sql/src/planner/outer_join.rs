//! Rule: outer joins (LEFT / RIGHT / FULL) on equalities become hash joins, and ON
//! conjuncts that read only the nullable side filter that side's input.
//!
//! For `Join(kind, on)` the conjuncts of `on` are sorted: an equality (`=` or
//! `IS NOT DISTINCT FROM`) between an expression over the left input and one over the right
//! becomes a hash key; for a LEFT join a conjunct over the right input alone is pushed into
//! the right input (it only decides which right rows can match), and symmetrically for a
//! RIGHT join; everything else stays a residual checked on each candidate pair. Inner joins
//! are [`super::join_order`]'s business.

use super::columns::{columns_of, conjoin, remap};
use super::{EquiJoin, JoinKind, Plan};
use crate::expr::{CmpOp, Expr};

/// The rule for one node (see [`super::visit::transform`] for applying it everywhere).
pub fn hash_outer_joins(plan: &mut Plan) {
    if !matches!(
        plan,
        Plan::Join {
            kind: JoinKind::Left | JoinKind::Right | JoinKind::Full,
            on: Some(_),
            ..
        }
    ) {
        return;
    }
    if let Plan::Join {
        left,
        right,
        kind,
        on: Some(on),
        left_width,
        right_width,
    } = std::mem::replace(plan, Plan::Values { rows: vec![] })
    {
        *plan = rewrite(*left, *right, kind, on, left_width, right_width);
    }
}

fn rewrite(
    mut left: Plan,
    mut right: Plan,
    kind: JoinKind,
    on: Expr,
    left_width: usize,
    right_width: usize,
) -> Plan {
    let side = |e: &Expr| {
        let cols = columns_of(e);
        if cols.is_empty() {
            None
        } else if cols.iter().all(|c| *c < left_width) {
            Some(JoinKind::Left)
        } else if cols.iter().all(|c| *c >= left_width) {
            Some(JoinKind::Right)
        } else {
            Some(JoinKind::Full)
        }
    };
    let (mut left_keys, mut right_keys, mut null_safe, mut residual) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut left_only, mut right_only) = (Vec::new(), Vec::new());
    let to_right = |e: &Expr| remap(e, &|c| c - left_width);
    for c in on.conjuncts() {
        let eq = match c {
            Expr::Compare(CmpOp::Eq, a, b) => Some((a.as_ref(), b.as_ref(), false)),
            Expr::IsDistinct {
                left,
                right,
                negated: true,
            } => Some((left.as_ref(), right.as_ref(), true)),
            _ => None,
        };
        if let Some((a, b, safe)) = eq {
            match (side(a), side(b)) {
                (Some(JoinKind::Left), Some(JoinKind::Right)) => {
                    left_keys.push(a.clone());
                    right_keys.push(to_right(b));
                    null_safe.push(safe);
                    continue;
                }
                (Some(JoinKind::Right), Some(JoinKind::Left)) => {
                    left_keys.push(b.clone());
                    right_keys.push(to_right(a));
                    null_safe.push(safe);
                    continue;
                }
                _ => {}
            }
        }
        match (kind, side(c)) {
            (JoinKind::Left, Some(JoinKind::Right)) => right_only.push(to_right(c)),
            (JoinKind::Right, Some(JoinKind::Left)) => left_only.push(c.clone()),
            _ => residual.push(c.clone()),
        }
    }
    if let Some(p) = conjoin(right_only) {
        right = Plan::Filter {
            input: Box::new(right),
            predicate: p,
        };
    }
    if let Some(p) = conjoin(left_only) {
        left = Plan::Filter {
            input: Box::new(left),
            predicate: p,
        };
    }
    let join = EquiJoin {
        kind,
        left_keys,
        right_keys,
        null_safe,
        residual: conjoin(residual),
        left_width,
        right_width,
    };
    super::join_order::join_plan(left, right, join)
}
