//! Column references inside expressions: which input columns an expression reads, and
//! rewriting those references when a rule moves an expression to another row layout.
//! Subquery plans are not entered: they see the enclosing row only through their `args`,
//! which are ordinary sub-expressions ([`Expr::children`]).

use crate::expr::Expr;

/// The columns `e` reads, sorted and deduplicated.
pub fn columns_of(e: &Expr) -> Vec<usize> {
    let mut v = Vec::new();
    e.any(&mut |x| {
        if let Expr::Column(i) = x {
            v.push(*i);
        }
        false
    });
    v.sort_unstable();
    v.dedup();
    v
}

/// `e` with every `Column(i)` replaced by `Column(f(i))`.
pub fn remap(e: &Expr, f: &dyn Fn(usize) -> usize) -> Expr {
    let mut e = e.clone();
    e.rewrite(&mut |x| {
        if let Expr::Column(i) = x {
            *i = f(*i);
        }
    });
    e
}

/// The conjunction of `parts` (`None` when empty).
pub fn conjoin(parts: Vec<Expr>) -> Option<Expr> {
    parts
        .into_iter()
        .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
}
