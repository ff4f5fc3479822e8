//! Aggregate calls in expressions: binding them into an [`AggState`] in aggregate mode (see
//! [`super::expr`]); finding them is [`super::walk`]'s.

use super::Binder;
use super::expr::ExprCtx;
pub use super::walk::{contains_aggregate, function_name};
use crate::expr::Expr;
use crate::planner::{AggCall, AggFunc};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// Aggregation state collected while binding the select list, HAVING and ORDER BY.
#[derive(Debug, Default)]
pub struct AggState {
    pub groups: Vec<(Expr, DataType)>,
    pub calls: Vec<(AggCall, DataType)>,
}

pub fn function_args(f: &ast::Function) -> Vec<&ast::FunctionArgExpr> {
    match &f.args {
        ast::FunctionArguments::List(list) => {
            list.args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(x) => x,
                    ast::FunctionArg::Named { arg, .. }
                    | ast::FunctionArg::ExprNamed { arg, .. } => arg,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

impl Binder {
    pub(super) fn bind_aggregate(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let name = function_name(f);
        let distinct = matches!(&f.args, ast::FunctionArguments::List(l)
            if matches!(l.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct)));
        if f.filter.is_some() || f.over.is_some() || !f.within_group.is_empty() {
            return Err(Error::unsupported(
                "FILTER / OVER / WITHIN GROUP are not supported yet",
            ));
        }
        let args = function_args(f);
        let mut inner = ExprCtx::plain(ctx.scope, ctx.clause);
        let (call, ty) = match (name.as_str(), args.as_slice()) {
            ("count", [ast::FunctionArgExpr::Wildcard]) if !distinct => (
                AggCall {
                    func: AggFunc::CountStar,
                    arg: None,
                    distinct: false,
                },
                DataType::Int8,
            ),
            (_, [ast::FunctionArgExpr::Expr(a)]) => {
                if contains_aggregate(a) {
                    return Err(Error::GroupingError(
                        "aggregate function calls cannot be nested".into(),
                    ));
                }
                let (x, t) = self.bind_expr(a, &mut inner)?;
                let (func, ty, x) = match name.as_str() {
                    "count" => (AggFunc::Count, DataType::Int8, x),
                    "sum" if t.is_integer() => (AggFunc::SumInt, DataType::Int8, x),
                    "sum" if t.is_float() => (AggFunc::SumFloat, t, x),
                    "avg" if t.is_numeric() => {
                        let x = self.coerce(x, t, DataType::Float8)?;
                        (AggFunc::Avg, DataType::Float8, x)
                    }
                    "min" | "max" if t != DataType::Unknown => {
                        let f = if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        };
                        (f, t, x)
                    }
                    _ => {
                        return Err(Error::UndefinedFunction(format!(
                            "function {name}({}) does not exist",
                            t.name()
                        )));
                    }
                };
                (
                    AggCall {
                        func,
                        arg: Some(x),
                        distinct,
                    },
                    ty,
                )
            }
            _ => {
                return Err(Error::UndefinedFunction(format!(
                    "function {name} with these arguments does not exist"
                )));
            }
        };
        let Some(agg) = ctx.agg.as_deref_mut() else {
            return Err(Error::GroupingError(format!(
                "aggregate functions are not allowed in {}",
                ctx.clause
            )));
        };
        let pos = match agg.calls.iter().position(|(c, _)| *c == call) {
            Some(p) => p,
            None => {
                agg.calls.push((call, ty));
                agg.calls.len() - 1
            }
        };
        let column = Expr::Column(agg.groups.len() + pos);
        if ty == DataType::Float4 {
            // The accumulator sums in float8; `sum(real)` is real.
            let expr = Box::new(column);
            return Ok((
                Expr::Cast {
                    expr,
                    from: DataType::Float8,
                    to: ty,
                    explicit: false,
                },
                ty,
            ));
        }
        Ok((column, ty))
    }
}
