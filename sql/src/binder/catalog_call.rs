//! Binding of the functions in [`crate::expr::catalog_functions`]. A relation argument
//! (`nextval('s')`, `nextval('s'::regclass)`, `nextval(16390::regclass)`) that is a constant
//! is resolved here to the relation's OID, as PostgreSQL resolves a `regclass` constant when
//! it parses the call; anything else is resolved by name when the call runs.

use super::Binder;
use super::aggregate::function_args;
use super::expr::ExprCtx;
use crate::expr::catalog_functions::{self, CatalogFn};
use crate::expr::pg_functions::PgFn;
use crate::expr::{Expr, Function};
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;

/// The first argument of a call, if it is an expression.
pub fn first_arg(f: &ast::Function) -> Option<&ast::Expr> {
    match function_args(f).first()? {
        ast::FunctionArgExpr::Expr(e) => Some(e),
        _ => None,
    }
}

/// A string constant, possibly cast to `regclass` (`'s'`, `'s'::regclass`), or a number
/// cast to `regclass` / `oid`.
enum ConstRel {
    Name(String),
    Oid(u32),
}

fn const_relation(e: &ast::Expr) -> Option<ConstRel> {
    let (inner, cast_to) = match e {
        ast::Expr::Cast {
            expr, data_type, ..
        } => (expr.as_ref(), Some(data_type.to_string().to_lowercase())),
        e => (e, None),
    };
    if cast_to
        .as_deref()
        .is_some_and(|t| t != "regclass" && t != "oid" && t != "text")
    {
        return None;
    }
    match inner {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(ConstRel::Name(s.clone())),
            ast::Value::Number(n, _) if cast_to.is_some() => n.parse().ok().map(ConstRel::Oid),
            _ => None,
        },
        _ => None,
    }
}

impl Binder {
    /// Binds `name(args)` if it is a catalog function (`None` otherwise).
    pub(super) fn bind_catalog_call(
        &mut self,
        name: &str,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<Option<(Expr, DataType)>> {
        let raw = function_args(f);
        if let Some((func, params, ty)) = PgFn::resolve(name, raw.len()) {
            let mut args = Vec::new();
            for (a, want) in raw.iter().zip(params) {
                let ast::FunctionArgExpr::Expr(e) = a else {
                    return Err(Error::SyntaxError(format!(
                        "syntax error in call of {name}"
                    )));
                };
                let (x, t) = self.bind_expr(e, ctx)?;
                let want = if want == DataType::Unknown && t == DataType::Unknown {
                    DataType::Text
                } else {
                    want
                };
                args.push(self.coerce(x, t, want)?);
            }
            return Ok(Some((Expr::Call(Function::Pg(func), args), ty)));
        }
        let Some((func, ty)) = CatalogFn::resolve(name, raw.len()) else {
            return Ok(None);
        };
        let mut args = Vec::new();
        for (i, a) in raw.iter().enumerate() {
            let ast::FunctionArgExpr::Expr(e) = a else {
                return Err(Error::SyntaxError(format!(
                    "syntax error in call of {name}"
                )));
            };
            if i == 0 && func.takes_relation() {
                args.push(self.relation_arg(e, ctx)?);
                continue;
            }
            let (x, t) = self.bind_expr(e, ctx)?;
            let want = match (func, i) {
                (CatalogFn::SetVal, 1) | (CatalogFn::WaitLsn, 1) => DataType::Int8,
                (CatalogFn::SetVal, 2) | (CatalogFn::CurrentSchemas, 0) => DataType::Bool,
                _ => DataType::Text,
            };
            let ok = t == want
                || t == DataType::Unknown
                || (want == DataType::Int8 && t.is_integer())
                || (want == DataType::Text && t.is_string());
            if !ok {
                return Err(Error::UndefinedFunction(format!(
                    "function {name}({}) does not exist",
                    t.name()
                )));
            }
            args.push(self.coerce(x, t, want)?);
        }
        Ok(Some((Expr::Call(Function::Catalog(func), args), ty)))
    }

    /// A relation argument: its OID when constant (42P01 if absent), else the bound text.
    fn relation_arg(&mut self, e: &ast::Expr, ctx: &mut ExprCtx) -> Result<Expr> {
        match const_relation(e) {
            Some(ConstRel::Oid(oid)) => Ok(Expr::Literal(Value::Int(i64::from(oid)))),
            Some(ConstRel::Name(text)) => {
                match catalog_functions::resolve_relation_text(
                    &self.catalog,
                    &text,
                    &self.search_path,
                )? {
                    Some(oid) => {
                        self.referenced.push(oid);
                        Ok(Expr::Literal(Value::Int(i64::from(oid))))
                    }
                    None => {
                        let name = catalog_functions::split_text_name(&text)?
                            .pop()
                            .unwrap_or_default();
                        Err(Error::UndefinedTable(name))
                    }
                }
            }
            None => {
                let (x, t) = self.bind_expr(e, ctx)?;
                if t.is_integer() {
                    Ok(x)
                } else {
                    self.coerce(x, t, DataType::Text)
                }
            }
        }
    }
}
