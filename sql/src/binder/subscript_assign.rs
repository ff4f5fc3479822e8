//! Binds the marker call that stands for a subscripted assignment target
//! ([`crate::parse::subscript_assign`]): `__strata_subscript_assign(base, (value), kind,
//! subscripts...)` over an array column becomes [`ArrayFn::Assign`] or
//! [`ArrayFn::AssignSlice`], the value coerced by assignment rules to the element type (or
//! the array type for a slice), the subscripts to integer; over a jsonb column it becomes
//! [`crate::expr::jsonb_fns::JsonbFn::Assign`] (value to jsonb, integer or text subscripts
//! as text). Errors name the column as PostgreSQL's do (42804).

use super::Binder;
use super::aggregate::function_args;
use super::expr::ExprCtx;
use crate::expr::array_fns::ArrayFn;
use crate::expr::{Expr, Function};
use crate::parse::subscript_assign::slice_of_kind;
use crate::types::{DataType, cast};
use crate::{Error, Result};
use sqlparser::ast;

/// The column a (possibly nested) marker call assigns to.
fn column_of(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(i) => super::ident(i),
        ast::Expr::Function(f) => match function_args(f).first() {
            Some(ast::FunctionArgExpr::Expr(x)) => column_of(x),
            _ => String::new(),
        },
        other => other.to_string(),
    }
}

impl Binder {
    pub(super) fn bind_subscript_assign(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let args: Vec<&ast::Expr> = function_args(f)
            .into_iter()
            .filter_map(|a| match a {
                ast::FunctionArgExpr::Expr(x) => Some(x),
                _ => None,
            })
            .collect();
        let [base, value, kind, subscripts @ ..] = args.as_slice() else {
            return Err(Error::Internal("malformed subscripted assignment".into()));
        };
        let kind: i64 = match kind {
            ast::Expr::Value(v) => v.to_string().parse().unwrap_or(-1),
            _ => -1,
        };
        let column = column_of(base);
        let (bx, bt) = self.bind_expr(base, ctx)?;
        self.bind_assign_into(bx, bt, &column, value, kind, subscripts, ctx)
    }

    /// Assignment of `value` into `base` (of type `bt`, the column `column`) at the
    /// subscripts, `kind` as the marker's (0 for an element, else a slice kind).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind_assign_into(
        &mut self,
        bx: Expr,
        bt: DataType,
        column: &str,
        value: &ast::Expr,
        kind: i64,
        subscripts: &[&ast::Expr],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let column = column.to_string();
        if bt == DataType::Jsonb {
            return self.bind_jsonb_assign(bx, &column, value, kind, subscripts, ctx);
        }
        let Some(elem) = bt.elem() else {
            return Err(Error::DatatypeMismatch(format!(
                "cannot subscript type {} because it does not support subscripting",
                bt.name()
            )));
        };
        let f = match (kind, slice_of_kind(kind)) {
            (0, _) => ArrayFn::Assign(subscripts.len().min(255) as u8),
            (_, Some((n, lower, upper))) => ArrayFn::AssignSlice { n, lower, upper },
            _ => {
                return Err(Error::unsupported(
                    "assignment to a slice of a multidimensional array",
                ));
            }
        };
        let target = if kind == 0 { elem } else { bt.without_typmod() };
        let (vx, vt) = self.bind_expr(value, ctx)?;
        if !cast::can_assign(vt, target) {
            return Err(Error::DatatypeMismatch(format!(
                "subscripted assignment to \"{column}\" requires type {} but expression is of type {}",
                target.name(),
                vt.name()
            )));
        }
        let mut out = vec![bx, self.assign(vx, vt, target, &column)?];
        for s in subscripts {
            let (sx, st) = self.bind_expr(s, ctx)?;
            if !cast::can_assign(st, DataType::Int4) {
                return Err(Error::DatatypeMismatch(format!(
                    "array subscript must have type integer, not {}",
                    st.name()
                )));
            }
            out.push(self.assign(sx, st, DataType::Int4, &column)?);
        }
        Ok((Expr::Call(Function::Array(f), out), bt))
    }

    /// `j[a][b] = v` on a jsonb column: the value coerced to jsonb, the subscripts (integer
    /// or text) passed as text.
    fn bind_jsonb_assign(
        &mut self,
        base: Expr,
        column: &str,
        value: &ast::Expr,
        kind: i64,
        subscripts: &[&ast::Expr],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        if kind != 0 {
            return Err(Error::DatatypeMismatch(
                "jsonb subscript does not support slices".into(),
            ));
        }
        let (vx, vt) = self.bind_expr(value, ctx)?;
        if !cast::can_assign(vt, DataType::Jsonb) {
            return Err(Error::DatatypeMismatch(format!(
                "subscripted assignment to \"{column}\" requires type jsonb but expression is of type {}",
                vt.name()
            )));
        }
        let mut out = vec![base, self.assign(vx, vt, DataType::Jsonb, column)?];
        let mut first_is_int = false;
        for (i, s) in subscripts.iter().enumerate() {
            let (text, st) = self.jsonb_subscript(s, ctx)?;
            if i == 0 {
                first_is_int = st.is_integer();
            }
            out.push(text);
        }
        let f = crate::expr::jsonb_fns::JsonbFn::Assign { first_is_int };
        Ok((Expr::Call(Function::Jsonb(f), out), DataType::Jsonb))
    }
}
