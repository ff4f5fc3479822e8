//! Column references inside expressions: which input columns an expression reads, and
//! rewriting those references when a rule moves an expression to another row layout.
//! The one place (with [`crate::expr::Expr::eval`]) that lists every expression variant.

use crate::expr::Expr;

/// Calls `f` with every column position `e` reads.
pub fn visit_columns(e: &Expr, f: &mut dyn FnMut(usize)) {
    match e {
        Expr::Column(i) => f(*i),
        Expr::Literal(_) | Expr::Param(_) => {}
        Expr::Not(x) | Expr::Neg(x, _) => visit_columns(x, f),
        Expr::IsNull { expr, .. } | Expr::IsBool { expr, .. } | Expr::Cast { expr, .. } => {
            visit_columns(expr, f)
        }
        Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::Arith(_, a, b, _)
        | Expr::Compare(_, a, b)
        | Expr::Concat(a, b)
        | Expr::IsDistinct {
            left: a, right: b, ..
        }
        | Expr::Like {
            expr: a,
            pattern: b,
            ..
        } => {
            visit_columns(a, f);
            visit_columns(b, f);
        }
        Expr::InList { expr, list, .. } => {
            visit_columns(expr, f);
            list.iter().for_each(|x| visit_columns(x, f));
        }
        Expr::Case { whens, otherwise } => {
            for (c, r) in whens {
                visit_columns(c, f);
                visit_columns(r, f);
            }
            if let Some(o) = otherwise {
                visit_columns(o, f);
            }
        }
        Expr::Coalesce(items) | Expr::Call(_, items) => {
            items.iter().for_each(|x| visit_columns(x, f))
        }
    }
}

/// The columns `e` reads, sorted and deduplicated.
pub fn columns_of(e: &Expr) -> Vec<usize> {
    let mut v = Vec::new();
    visit_columns(e, &mut |i| v.push(i));
    v.sort_unstable();
    v.dedup();
    v
}

/// `e` with every `Column(i)` replaced by `Column(f(i))`.
pub fn remap(e: &Expr, f: &dyn Fn(usize) -> usize) -> Expr {
    let r = |x: &Expr| Box::new(remap(x, f));
    match e {
        Expr::Column(i) => Expr::Column(f(*i)),
        Expr::Literal(_) | Expr::Param(_) => e.clone(),
        Expr::Not(x) => Expr::Not(r(x)),
        Expr::Neg(x, t) => Expr::Neg(r(x), *t),
        Expr::And(a, b) => Expr::And(r(a), r(b)),
        Expr::Or(a, b) => Expr::Or(r(a), r(b)),
        Expr::Arith(op, a, b, t) => Expr::Arith(*op, r(a), r(b), *t),
        Expr::Compare(op, a, b) => Expr::Compare(*op, r(a), r(b)),
        Expr::Concat(a, b) => Expr::Concat(r(a), r(b)),
        Expr::IsDistinct {
            left,
            right,
            negated,
        } => Expr::IsDistinct {
            left: r(left),
            right: r(right),
            negated: *negated,
        },
        Expr::IsNull { expr, negated } => Expr::IsNull {
            expr: r(expr),
            negated: *negated,
        },
        Expr::IsBool {
            expr,
            value,
            negated,
        } => Expr::IsBool {
            expr: r(expr),
            value: *value,
            negated: *negated,
        },
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => Expr::Like {
            expr: r(expr),
            pattern: r(pattern),
            negated: *negated,
            case_insensitive: *case_insensitive,
        },
        Expr::InList {
            expr,
            list,
            negated,
        } => Expr::InList {
            expr: r(expr),
            list: list.iter().map(|x| remap(x, f)).collect(),
            negated: *negated,
        },
        Expr::Case { whens, otherwise } => Expr::Case {
            whens: whens
                .iter()
                .map(|(c, v)| (remap(c, f), remap(v, f)))
                .collect(),
            otherwise: otherwise.as_ref().map(|o| r(o)),
        },
        Expr::Cast {
            expr,
            from,
            to,
            explicit,
        } => Expr::Cast {
            expr: r(expr),
            from: *from,
            to: *to,
            explicit: *explicit,
        },
        Expr::Coalesce(items) => Expr::Coalesce(items.iter().map(|x| remap(x, f)).collect()),
        Expr::Call(func, items) => Expr::Call(*func, items.iter().map(|x| remap(x, f)).collect()),
    }
}

/// The conjunction of `parts` (`None` when empty).
pub fn conjoin(parts: Vec<Expr>) -> Option<Expr> {
    parts
        .into_iter()
        .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
}
