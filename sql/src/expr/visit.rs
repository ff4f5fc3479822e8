//! Walking bound expressions: the direct sub-expressions of a node, evaluated over the same
//! row. A subquery's `args` and quantified `lhs` are its children; the expressions inside its
//! plan are not (they run over the subquery's own rows and see the enclosing row only through
//! `args`).

use super::{Expr, SubqueryKind};

/// The body of [`Expr::children`] and [`Expr::children_mut`]: `$iter` / `$deref` are the
/// shared or mutable accessors, `$($m)?` is `mut` for the mutable one.
macro_rules! expr_children {
    ($e:expr, $iter:ident, $deref:ident $(, $m:tt)?) => {
        match $e {
            Expr::Literal(_) | Expr::Column(_) | Expr::Param(_) | Expr::OuterRef(_) => vec![],
            Expr::Not(x) | Expr::Neg(x, _) => vec![x],
            Expr::IsNull { expr, .. } | Expr::IsBool { expr, .. } | Expr::Cast { expr, .. } => {
                vec![expr]
            }
            Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::Arith(_, a, b, _)
            | Expr::Compare(_, a, b)
            | Expr::Concat(a, b) => vec![a, b],
            Expr::IsDistinct { left, right, .. } => vec![left, right],
            Expr::InList { expr, list, .. } => {
                let mut v = vec![&$($m)? **expr];
                v.extend(list.$iter());
                v
            }
            Expr::Case { whens, otherwise } => {
                let mut v = Vec::new();
                for (c, r) in whens.$iter() {
                    v.push(c);
                    v.push(r);
                }
                v.extend(otherwise.$deref());
                v
            }
            Expr::Coalesce(items) | Expr::Call(_, items) | Expr::Row(items, _) => {
                items.$iter().collect()
            }
            Expr::Subquery(s) => {
                let s = &$($m)? **s;
                let mut v: Vec<_> = s.args.$iter().collect();
                if let SubqueryKind::Quantified { lhs, .. } = &$($m)? s.kind {
                    v.extend(lhs.$iter());
                }
                v
            }
        }
    };
}

impl Expr {
    /// The direct sub-expressions evaluated over the same input row.
    pub fn children(&self) -> Vec<&Expr> {
        expr_children!(self, iter, as_deref)
    }

    /// Mutable access to [`Expr::children`], in the same order.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        expr_children!(self, iter_mut, as_deref_mut, mut)
    }

    /// Whether `pred` holds for this node or any node below it (in the same row context).
    pub fn any(&self, pred: &mut dyn FnMut(&Expr) -> bool) -> bool {
        pred(self) || self.children().into_iter().any(|c| c.any(pred))
    }

    /// Whether the expression reads any column of its input row.
    pub fn references_columns(&self) -> bool {
        self.any(&mut |e| matches!(e, Expr::Column(_)))
    }

    /// Rewrites every node bottom-up with `f` (children first).
    pub fn rewrite(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        for c in self.children_mut() {
            c.rewrite(f);
        }
        f(self);
    }
}
