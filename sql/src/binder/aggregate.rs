//! Aggregate calls in expressions: finding them (`contains_aggregate`) and binding them
//! into an [`AggState`] in aggregate mode (see [`super::expr`]).

use super::expr::ExprCtx;
use super::{Binder, ident};
use crate::expr::Expr;
use crate::planner::{AggCall, AggFunc, AggOrder};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// Deeper ASTs are not inspected (binding them fails with 54001 anyway).
const MAX_SCAN_DEPTH: usize = super::expr::MAX_EXPR_DEPTH;

/// Aggregation state collected while binding the select list, HAVING and ORDER BY.
#[derive(Debug, Default)]
pub struct AggState {
    pub groups: Vec<(Expr, DataType)>,
    pub calls: Vec<(AggCall, DataType)>,
}

pub const AGGREGATES: [&str; 6] = ["count", "sum", "min", "max", "avg", "array_agg"];

pub fn function_name(f: &ast::Function) -> String {
    f.name
        .0
        .last()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => ident(i),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// Whether `e` contains an aggregate call (outside subqueries, which are unsupported).
pub fn contains_aggregate(e: &ast::Expr) -> bool {
    contains_aggregate_at(e, 0)
}

fn contains_aggregate_at(e: &ast::Expr, depth: usize) -> bool {
    use ast::Expr as E;
    if depth > MAX_SCAN_DEPTH {
        return false;
    }
    let contains_aggregate = |x: &ast::Expr| contains_aggregate_at(x, depth + 1);
    match e {
        E::Function(f) => {
            AGGREGATES.contains(&function_name(f).as_str())
                || function_args(f)
                    .iter()
                    .any(|a| matches!(a, ast::FunctionArgExpr::Expr(x) if contains_aggregate(x)))
        }
        E::BinaryOp { left, right, .. } => contains_aggregate(left) || contains_aggregate(right),
        E::UnaryOp { expr, .. }
        | E::Nested(expr)
        | E::IsNull(expr)
        | E::IsNotNull(expr)
        | E::IsTrue(expr)
        | E::IsNotTrue(expr)
        | E::IsFalse(expr)
        | E::IsNotFalse(expr)
        | E::IsUnknown(expr)
        | E::IsNotUnknown(expr)
        | E::Cast { expr, .. } => contains_aggregate(expr),
        E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => {
            contains_aggregate(a) || contains_aggregate(b)
        }
        E::Between {
            expr, low, high, ..
        } => contains_aggregate(expr) || contains_aggregate(low) || contains_aggregate(high),
        E::Like { expr, pattern, .. } | E::ILike { expr, pattern, .. } => {
            contains_aggregate(expr) || contains_aggregate(pattern)
        }
        E::In {
            expr,
            target: ast::InTarget::List(list),
            ..
        } => contains_aggregate(expr) || list.iter().any(contains_aggregate),
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.as_deref().is_some_and(contains_aggregate)
                || conditions
                    .iter()
                    .any(|c| contains_aggregate(&c.condition) || contains_aggregate(&c.result))
                || else_result.as_deref().is_some_and(contains_aggregate)
        }
        _ => false,
    }
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
        if f.over.is_some() || !f.within_group.is_empty() {
            return Err(Error::unsupported(
                "OVER / WITHIN GROUP are not supported yet",
            ));
        }
        let args = function_args(f);
        let mut inner = ExprCtx::plain(ctx.scope, ctx.clause);
        let filter = match &f.filter {
            Some(w) => {
                if contains_aggregate(w) {
                    return Err(Error::GroupingError(
                        "aggregate functions are not allowed in FILTER".into(),
                    ));
                }
                Some(self.bind_bool(w, &mut inner, "FILTER")?)
            }
            None => None,
        };
        let mut order_by = Vec::new();
        if let ast::FunctionArguments::List(list) = &f.args {
            for clause in &list.clauses {
                if let ast::FunctionArgumentClause::OrderBy(keys) = clause {
                    for k in keys {
                        let (expr, _) = self.bind_expr(&k.expr, &mut inner)?;
                        let desc = matches!(k.options.sort, Some(ast::OrderBySort::Desc));
                        order_by.push(AggOrder {
                            expr,
                            desc,
                            nulls_first: k.options.nulls_first.unwrap_or(desc),
                        });
                    }
                }
            }
        }
        let (call, ty) = match (name.as_str(), args.as_slice()) {
            ("count", [ast::FunctionArgExpr::Wildcard]) if !distinct => (
                AggCall {
                    func: AggFunc::CountStar,
                    arg: None,
                    distinct: false,
                    filter: filter.clone(),
                    order_by: Vec::new(),
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
                let numeric = DataType::Numeric(None);
                let (func, ty, x) = match name.as_str() {
                    "count" => (AggFunc::Count, DataType::Int8, x),
                    "sum" if matches!(t, DataType::Int2 | DataType::Int4) => {
                        (AggFunc::SumInt, DataType::Int8, x)
                    }
                    "sum" if matches!(t, DataType::Int8 | DataType::Numeric(_)) => {
                        let x = self.coerce(x, t, numeric)?;
                        (AggFunc::SumNumeric, numeric, x)
                    }
                    "sum" if t.is_float() => (AggFunc::SumFloat, t, x),
                    "sum" if t == DataType::Interval => (AggFunc::SumInterval, t, x),
                    "avg" if t.is_integer() || matches!(t, DataType::Numeric(_)) => {
                        let x = self.coerce(x, t, numeric)?;
                        (AggFunc::AvgNumeric, numeric, x)
                    }
                    "avg" if t.is_float() => {
                        let x = self.coerce(x, t, DataType::Float8)?;
                        (AggFunc::Avg, DataType::Float8, x)
                    }
                    "avg" if t == DataType::Interval => (AggFunc::AvgInterval, t, x),
                    "array_agg" => {
                        let (x, t) = if t == DataType::Unknown {
                            (self.coerce(x, t, DataType::Text)?, DataType::Text)
                        } else {
                            (x, t.without_typmod())
                        };
                        let ty = match t {
                            DataType::Array(_) => t,
                            t => crate::types::ElemType::new(t)
                                .map(DataType::Array)
                                .ok_or_else(|| {
                                    Error::UndefinedFunction(format!(
                                        "function array_agg({}) does not exist",
                                        t.name()
                                    ))
                                })?,
                        };
                        (AggFunc::ArrayAgg, ty, x)
                    }
                    "min" | "max" if t != DataType::Unknown && t.is_orderable() => {
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
                        filter,
                        order_by,
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
