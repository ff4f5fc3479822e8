//! Rule: `EXISTS` / `NOT EXISTS` / `IN` / `NOT IN` subqueries in a WHERE become hash semi
//! and anti joins, instead of running the subquery once per outer row.
//!
//! For `Filter(p, input)`, each top-level conjunct of `p` of these forms is taken out of the
//! filter and joined to `input` ([`JoinKind::Semi`], [`JoinKind::Anti`],
//! [`JoinKind::NotIn`]); the rest of `p` stays as a filter below the join (so access paths
//! still see it over its scan):
//!
//! * `[NOT] EXISTS (SELECT ... FROM ... WHERE inner = outer AND ...)` whose plan is
//!   `[Project] Filter(q, P)` where the correlation is only in conjuncts `e_outer = e_inner`
//!   of `q` (`e_outer` reads only correlation values, `e_inner` none) and `P` and the other
//!   conjuncts are uncorrelated: the join keys are `e_outer` (over the outer row, the
//!   correlation values substituted) and `e_inner` (over `P`'s rows), the right side
//!   `Filter(rest of q, P)`. NULL keys never match, which is `=`'s semantics, so NOT EXISTS
//!   keeps outer rows with a NULL key.
//! * `lhs IN (SELECT e ...)`, correlated the same way or not: a semi join that adds the key
//!   pair `lhs = e` (a row whose `IN` is NULL is dropped by WHERE like a false one).
//! * `x NOT IN (SELECT e ...)`, one column, uncorrelated or correlated the same way:
//!   [`JoinKind::NotIn`], which implements NOT IN's NULL rules per outer row (an empty
//!   subquery result keeps the row; otherwise a NULL `x` or a NULL among the values makes the
//!   test NULL, and the row is dropped). The correlation keys select each outer row's
//!   values, so a correlated NOT IN costs one pass over the subquery's rows, not one per
//!   outer row.
//!
//! Anything else (aggregates, LIMIT or DISTINCT in the subquery, correlation outside such
//! equalities, the subquery under OR or NOT other than as above) is left as a subquery.

use super::columns::conjoin;
use super::{EquiJoin, JoinKind, Plan};
use crate::expr::subquery::{Subquery, SubqueryKind};
use crate::expr::{CmpOp, Expr};

fn reads_outer(e: &Expr) -> bool {
    e.any(&mut |x| matches!(x, Expr::OuterRef(_)))
}

/// `e` with `OuterRef(i)` replaced by `args[i]`; `None` if it reads a column of its own row.
fn over_outer_row(e: &Expr, args: &[Expr]) -> Option<Expr> {
    if e.references_columns() || e.any(&mut |x| matches!(x, Expr::Subquery(_))) {
        return None;
    }
    let mut out = e.clone();
    let mut ok = true;
    out.rewrite(&mut |x| {
        if let Expr::OuterRef(i) = x {
            match args.get(*i) {
                Some(a) => *x = a.clone(),
                None => ok = false,
            }
        }
    });
    ok.then_some(out)
}

/// A subquery's plan split into an uncorrelated right side and key pairs: `(right plan, left
/// keys over the outer row, right keys over the right plan's rows, the projection over the
/// right plan's rows if any)`.
type Split = (Plan, Vec<Expr>, Vec<Expr>, Option<Vec<Expr>>);

fn split(sq: &Subquery) -> Option<Split> {
    let mut plan = sq.plan.as_ref();
    let mut projection = None;
    if let Plan::Project { input, exprs } = plan {
        projection = Some(exprs.clone());
        plan = input;
    }
    let (below, predicate) = match plan {
        Plan::Filter { input, predicate } => (input.as_ref(), Some(predicate)),
        other => (other, None),
    };
    if below.is_correlated() {
        return None;
    }
    let (mut left_keys, mut right_keys, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for c in predicate.map(|p| p.conjuncts()).unwrap_or_default() {
        if !reads_outer(c) {
            rest.push(c.clone());
            continue;
        }
        let Expr::Compare(CmpOp::Eq, l, r) = c else {
            return None;
        };
        let (outer, inner) = if reads_outer(l) && !reads_outer(r) {
            (l, r)
        } else if reads_outer(r) && !reads_outer(l) {
            (r, l)
        } else {
            return None;
        };
        if inner.any(&mut |x| matches!(x, Expr::Subquery(_))) {
            return None;
        }
        left_keys.push(over_outer_row(outer, &sq.args)?);
        right_keys.push(inner.as_ref().clone());
    }
    if let Some(p) = &projection
        && p.iter().any(reads_outer)
    {
        return None;
    }
    let right = match conjoin(rest) {
        Some(p) => Plan::Filter {
            input: Box::new(below.clone()),
            predicate: p,
        },
        None => below.clone(),
    };
    Some((right, left_keys, right_keys, projection))
}

/// The join a WHERE conjunct can become: `(kind, right plan, left keys, right keys)`.
fn as_join(c: &Expr) -> Option<(JoinKind, Plan, Vec<Expr>, Vec<Expr>)> {
    let (negated, sq) = match c {
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Subquery(sq) => (true, sq),
            _ => return None,
        },
        Expr::Subquery(sq) => (false, sq),
        _ => return None,
    };
    let (right, mut left_keys, mut right_keys, projection) = split(sq)?;
    match &sq.kind {
        SubqueryKind::Exists => {
            if left_keys.is_empty() {
                return None; // uncorrelated: evaluated once already
            }
            let kind = if negated {
                JoinKind::Anti
            } else {
                JoinKind::Semi
            };
            Some((kind, right, left_keys, right_keys))
        }
        SubqueryKind::Quantified {
            lhs,
            op: CmpOp::Eq,
            all: false,
        } => {
            let out = projection?;
            if out.len() != lhs.len() || lhs.iter().any(reads_outer) {
                return None;
            }
            if negated {
                // NOT IN: one column; the correlation keys come first, the value last.
                if lhs.len() != 1 {
                    return None;
                }
                left_keys.extend(lhs.iter().cloned());
                right_keys.extend(out);
                return Some((JoinKind::NotIn, right, left_keys, right_keys));
            }
            left_keys.extend(lhs.iter().cloned());
            right_keys.extend(out);
            Some((JoinKind::Semi, right, left_keys, right_keys))
        }
        _ => None,
    }
}

/// The rule for one node (see [`super::visit::transform`]).
pub fn decorrelate(plan: &mut Plan) {
    let Plan::Filter { input, predicate } = plan else {
        return;
    };
    let mut joins = Vec::new();
    let mut rest = Vec::new();
    for c in predicate.conjuncts() {
        match as_join(c) {
            Some(j) => joins.push(j),
            None => rest.push(c.clone()),
        }
    }
    if joins.is_empty() {
        return;
    }
    let mut out = std::mem::replace(input.as_mut(), Plan::Values { rows: Vec::new() });
    if let Some(p) = conjoin(rest) {
        out = Plan::Filter {
            input: Box::new(out),
            predicate: p,
        };
    }
    for (kind, right, left_keys, right_keys) in joins {
        let null_safe = vec![false; left_keys.len()];
        out = Plan::HashJoin {
            left: Box::new(out),
            right: Box::new(right),
            join: EquiJoin {
                kind,
                left_keys,
                right_keys,
                null_safe,
                residual: None,
                left_width: 0,
                right_width: 0,
            },
        };
    }
    *plan = out;
}
