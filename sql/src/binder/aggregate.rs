//! Aggregate calls: resolving `name(args)` to an [`AggFunc`] with PostgreSQL's result types,
//! binding `DISTINCT`, `ORDER BY` inside the call and `FILTER (WHERE ...)`, and recording
//! calls in an [`AggState`] in aggregate mode (see [`super::expr`]). Window aggregates
//! (`sum(x) OVER ...`) share the resolution (`window.rs`). Finding aggregate calls in the
//! AST is [`super::walk`]'s.

use super::Binder;
use super::expr::ExprCtx;
use super::walk::contains_window;
use super::walk::{ORDERED_SET_AGGREGATES, contains_aggregate_or_grouping, contains_grouping};
pub use super::walk::{contains_aggregate, function_name};
use crate::expr::Expr;
use crate::planner::{AggCall, AggFunc, OrderKey};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// Aggregation state collected while binding the select list, HAVING and ORDER BY.
#[derive(Debug, Default)]
pub struct AggState {
    pub groups: Vec<(Expr, DataType)>,
    pub calls: Vec<(AggCall, DataType)>,
    /// The grouping sets (indices into `groups`) when GROUP BY has ROLLUP, CUBE, GROUPING
    /// SETS or `()` and is not just one set of every group (`group.rs`).
    pub sets: Option<Vec<Vec<usize>>>,
}

/// PostgreSQL's limit on GROUPING's arguments (its result is a 32-bit integer).
const MAX_GROUPING_ARGS: usize = 31;

/// The call's arguments, whatever their form.
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

/// An aggregate `name` over arguments of `types`: the function, its result type and the
/// types its arguments are coerced to (`count(*)` is `star`).
pub fn resolve_aggregate(
    name: &str,
    types: &[DataType],
    star: bool,
) -> Result<(AggFunc, DataType, Vec<DataType>)> {
    use DataType as T;
    let undefined = || {
        let args: Vec<String> = types.iter().map(|t| t.name()).collect();
        Error::UndefinedFunction(format!(
            "function {name}({}) does not exist",
            args.join(", ")
        ))
    };
    if star {
        return match name {
            "count" => Ok((AggFunc::CountStar, T::Int8, vec![])),
            _ => Err(Error::SyntaxError(format!(
                "{name}(*) specified, but {name} is not an aggregate function"
            ))),
        };
    }
    let numeric = |t: &T| t.is_numeric();
    let same = |t: T| vec![t];
    let exact = |t: &T| t.is_integer() || matches!(t, T::Numeric(_));
    let num = T::Numeric(None);
    // An unknown literal given to an `any` parameter is text.
    let known = |t: T| if t == T::Unknown { T::Text } else { t };
    Ok(match (name, types) {
        ("count", [t]) => (AggFunc::Count, T::Int8, same(*t)),
        ("sum", [t]) if matches!(t, T::Int2 | T::Int4) => (AggFunc::SumInt, T::Int8, same(*t)),
        ("sum", [t]) if exact(t) => (AggFunc::SumNumeric, num, same(num)),
        ("sum", [t]) if t.is_float() => (AggFunc::SumFloat, *t, same(*t)),
        ("sum", [T::Interval]) => (AggFunc::SumInterval, T::Interval, same(T::Interval)),
        ("avg", [t]) if exact(t) => (AggFunc::AvgNumeric, num, same(num)),
        ("avg", [t]) if numeric(t) => (AggFunc::Avg, T::Float8, same(*t)),
        ("avg", [T::Interval]) => (AggFunc::AvgInterval, T::Interval, same(T::Interval)),
        ("array_agg", [t]) => {
            let t = if *t == T::Unknown {
                T::Text
            } else {
                t.without_typmod()
            };
            let ret = match t {
                T::Array(_) => t,
                t => crate::types::ElemType::new(t)
                    .map(T::Array)
                    .ok_or_else(undefined)?,
            };
            let func = if matches!(t, T::Array(_)) {
                AggFunc::ArrayAggArrays
            } else {
                AggFunc::ArrayAgg
            };
            (func, ret, same(t))
        }
        // PostgreSQL has no min / max of ranges
        ("min" | "max", [t])
            if *t != T::Unknown
                && *t != T::Bool
                && !matches!(t, T::Range(_))
                && t.is_orderable() =>
        {
            let f = if name == "min" {
                AggFunc::Min
            } else {
                AggFunc::Max
            };
            (f, *t, same(*t))
        }
        ("jsonb_agg", [t]) => (AggFunc::JsonbAgg, T::Jsonb, same(known(*t))),
        ("json_agg", [t]) => (AggFunc::JsonAgg, T::Json, same(known(*t))),
        (super::whole_row::JSON_AGG_ROWS, [T::Json]) => {
            (AggFunc::JsonAggRows, T::Json, same(T::Json))
        }
        ("json_object_agg", [k, v]) => {
            (AggFunc::JsonObjectAgg, T::Json, vec![known(*k), known(*v)])
        }
        ("jsonb_object_agg", [k, v]) => (
            AggFunc::JsonbObjectAgg,
            T::Jsonb,
            vec![known(*k), known(*v)],
        ),
        ("string_agg", [a, b]) if a.is_string() && b.is_string() => {
            (AggFunc::StringAgg, T::Text, vec![T::Text, T::Text])
        }
        ("bool_and" | "every", [T::Bool | T::Unknown]) => {
            (AggFunc::BoolAnd, T::Bool, same(T::Bool))
        }
        ("bool_or", [T::Bool | T::Unknown]) => (AggFunc::BoolOr, T::Bool, same(T::Bool)),
        (_, [y, x])
            if crate::planner::RegrFunc::from_name(name).is_some()
                && (numeric(y) || *y == T::Unknown)
                && (numeric(x) || *x == T::Unknown) =>
        {
            let f = crate::planner::RegrFunc::from_name(name).expect("matched above");
            let ty = if f == crate::planner::RegrFunc::Count {
                T::Int8
            } else {
                T::Float8
            };
            (AggFunc::Regr(f), ty, vec![T::Float8, T::Float8])
        }
        ("bit_and" | "bit_or" | "bit_xor", [t]) if t.is_integer() => {
            let f = match name {
                "bit_and" => AggFunc::BitAnd,
                "bit_or" => AggFunc::BitOr,
                _ => AggFunc::BitXor,
            };
            (f, *t, same(*t))
        }
        ("variance" | "var_samp" | "var_pop", [t]) if exact(t) => (
            AggFunc::VarianceNumeric {
                pop: name == "var_pop",
            },
            num,
            same(num),
        ),
        ("stddev" | "stddev_samp" | "stddev_pop", [t]) if exact(t) => (
            AggFunc::StddevNumeric {
                pop: name == "stddev_pop",
            },
            num,
            same(num),
        ),
        ("variance" | "var_samp" | "var_pop", [t]) if numeric(t) => (
            AggFunc::Variance {
                pop: name == "var_pop",
            },
            T::Float8,
            same(*t),
        ),
        ("stddev" | "stddev_samp" | "stddev_pop", [t]) if numeric(t) => (
            AggFunc::Stddev {
                pop: name == "stddev_pop",
            },
            T::Float8,
            same(*t),
        ),
        _ => return Err(undefined()),
    })
}

/// The ORDER BY items inside a call's argument list.
fn call_order_by(f: &ast::Function) -> Result<&[ast::OrderByExpr]> {
    let ast::FunctionArguments::List(list) = &f.args else {
        return Ok(&[]);
    };
    let mut order: &[ast::OrderByExpr] = &[];
    for c in &list.clauses {
        match c {
            ast::FunctionArgumentClause::OrderBy(o) => order = o,
            other => {
                return Err(Error::unsupported(format!(
                    "{other} in a function call is not supported"
                )));
            }
        }
    }
    Ok(order)
}

impl Binder {
    /// Binds an aggregate call (or a window aggregate's, `window`); its arguments, FILTER
    /// and ORDER BY are bound in `ctx`.
    pub(super) fn bind_agg_call(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
        window: bool,
    ) -> Result<(AggCall, DataType)> {
        if let Some(rewritten) = super::whole_row::rewrite(f, ctx) {
            return self.bind_agg_call(&rewritten, ctx, window);
        }
        let name = function_name(f);
        if !f.within_group.is_empty() || ORDERED_SET_AGGREGATES.contains(&name.as_str()) {
            return self.bind_ordered_set(f, &name, ctx, window);
        }
        let distinct = matches!(&f.args, ast::FunctionArguments::List(l)
            if matches!(l.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct)));
        let order_by = call_order_by(f)?;
        if window && distinct {
            return Err(Error::unsupported(
                "DISTINCT is not implemented for window functions",
            ));
        }
        if window && !order_by.is_empty() {
            return Err(Error::unsupported(
                "aggregate ORDER BY is not implemented for window functions",
            ));
        }
        let raw = function_args(f);
        let star = matches!(raw.as_slice(), [ast::FunctionArgExpr::Wildcard]);
        if star && distinct {
            return Err(Error::SyntaxError("syntax error at or near \"*\"".into()));
        }
        let mut args = Vec::new();
        for a in raw.iter().filter(|_| !star) {
            let a = match a {
                ast::FunctionArgExpr::Expr(a) => a,
                // `t.*` as an argument is t's whole row.
                ast::FunctionArgExpr::QualifiedWildcard(n) => {
                    let t = super::object_name(n)?;
                    let row = self.bind_whole_row(ctx.scope, &t).unwrap_or_else(|| {
                        Err(Error::MissingFromEntry(format!(
                            "missing FROM-clause entry for table \"{t}\""
                        )))
                    })?;
                    args.push(row);
                    continue;
                }
                _ => {
                    return Err(Error::SyntaxError(format!(
                        "syntax error in call of {name}"
                    )));
                }
            };
            if !window && contains_aggregate_or_grouping(a) {
                return Err(nested_aggregate(a));
            }
            if contains_window(a) {
                return Err(if window {
                    Error::WindowingError("window function calls cannot be nested".into())
                } else {
                    Error::GroupingError(
                        "aggregate function calls cannot contain window function calls".into(),
                    )
                });
            }
            args.push(self.bind_expr(a, ctx)?);
        }
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let (func, ty, want) = resolve_aggregate(&name, &types, star)?;
        let mut bound = Vec::new();
        for ((e, t), w) in args.into_iter().zip(want) {
            bound.push(self.coerce(e, t, w)?);
        }
        let filter = match &f.filter {
            Some(w) => {
                if contains_aggregate(w) && !window {
                    return Err(Error::GroupingError(
                        "aggregate functions are not allowed in FILTER".into(),
                    ));
                }
                if contains_grouping(w) {
                    return Err(Error::GroupingError(
                        "grouping operations are not allowed in FILTER".into(),
                    ));
                }
                Some(self.bind_bool(w, ctx, "FILTER")?)
            }
            None => None,
        };
        let mut keys = Vec::new();
        for o in order_by {
            let (e, _) = self.bind_expr(&o.expr, ctx)?;
            if distinct && !bound.contains(&e) {
                return Err(Error::InvalidColumnReference(
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list"
                        .into(),
                ));
            }
            let desc = super::query::sort_desc(&o.options)?;
            keys.push(OrderKey {
                expr: e,
                desc,
                nulls_first: o.options.nulls_first.unwrap_or(desc),
            });
        }
        let call = AggCall {
            func,
            args: bound,
            distinct,
            filter,
            order_by: keys,
        };
        Ok((call, ty))
    }

    /// Binds an ordered-set aggregate `name(direct args) WITHIN GROUP (ORDER BY x)` (or a
    /// WITHIN GROUP on another aggregate, which no function matches, as in PostgreSQL):
    /// the call is fed `[x, direct args...]` sorted by the ORDER BY.
    fn bind_ordered_set(
        &mut self,
        f: &ast::Function,
        name: &str,
        ctx: &mut ExprCtx,
        window: bool,
    ) -> Result<(AggCall, DataType)> {
        if window && ORDERED_SET_AGGREGATES.contains(&name) {
            return Err(Error::unsupported(format!(
                "OVER is not supported for ordered-set aggregate {name}"
            )));
        }
        if matches!(&f.args, ast::FunctionArguments::List(l) if l.duplicate_treatment.is_some()) {
            return Err(Error::SyntaxError(
                "cannot use DISTINCT with WITHIN GROUP".into(),
            ));
        }
        let mut direct = Vec::new();
        for a in function_args(f) {
            let ast::FunctionArgExpr::Expr(a) = a else {
                return Err(Error::SyntaxError(format!(
                    "syntax error in call of {name}"
                )));
            };
            if contains_aggregate_or_grouping(a) {
                return Err(nested_aggregate(a));
            }
            direct.push(self.bind_expr(a, ctx)?);
        }
        let mut within = Vec::new();
        for o in &f.within_group {
            within.push((self.bind_expr(&o.expr, ctx)?, o));
        }
        let number = |t: DataType| t.is_numeric() || t == DataType::Unknown;
        let types: Vec<DataType> = direct
            .iter()
            .map(|(_, t)| *t)
            .chain(within.iter().map(|((_, t), _)| *t))
            .collect();
        // An array of fractions gives an array of results.
        let fractions = |t: DataType| t.elem().is_some_and(number);
        let float8s = DataType::array_of(DataType::Float8);
        let (func, ty, want_x, want_direct) = match (name, types.as_slice()) {
            ("percentile_cont", [p, x]) if number(*p) && number(*x) => (
                AggFunc::PercentileCont,
                DataType::Float8,
                DataType::Float8,
                Some(DataType::Float8),
            ),
            ("percentile_cont", [p, x]) if fractions(*p) && number(*x) => (
                AggFunc::PercentileCont,
                float8s,
                DataType::Float8,
                Some(float8s),
            ),
            ("percentile_disc", [p, x]) if number(*p) && x.is_orderable() => {
                (AggFunc::PercentileDisc, *x, *x, Some(DataType::Float8))
            }
            ("percentile_disc", [p, x])
                if fractions(*p) && x.is_orderable() && !matches!(x, DataType::Array(_)) =>
            {
                let ty = crate::types::ElemType::new(x.without_typmod())
                    .map(DataType::Array)
                    .ok_or_else(|| {
                        Error::UndefinedFunction(format!(
                            "function {name}({}, {}) does not exist",
                            p.name(),
                            x.name()
                        ))
                    })?;
                (AggFunc::PercentileDisc, ty, *x, Some(float8s))
            }
            ("mode", [x]) if x.is_orderable() => (AggFunc::Mode, *x, *x, None),
            ("rank" | "dense_rank" | "percent_rank" | "cume_dist", [h, x])
                if let Some(common) = DataType::common(*h, *x).filter(|t| t.is_orderable()) =>
            {
                use crate::planner::HypotheticalFunc as H;
                let (func, ty) = match name {
                    "rank" => (H::Rank, DataType::Int8),
                    "dense_rank" => (H::DenseRank, DataType::Int8),
                    "percent_rank" => (H::PercentRank, DataType::Float8),
                    _ => (H::CumeDist, DataType::Float8),
                };
                let func = AggFunc::Hypothetical {
                    func,
                    // Set from the ORDER BY below.
                    desc: false,
                    nulls_first: false,
                };
                (func, ty, common, Some(common))
            }
            _ => {
                let args: Vec<String> = types.iter().map(|t| t.name()).collect();
                return Err(Error::UndefinedFunction(format!(
                    "function {name}({}) does not exist",
                    args.join(", ")
                )));
            }
        };
        let (((x, xt), o), mut direct) = match (within.pop(), direct.pop()) {
            (Some(w), d) => (w, d),
            (None, _) => return Err(Error::Internal("WITHIN GROUP without a key".into())),
        };
        let x = self.coerce(x, xt, want_x)?;
        let mut args = vec![x.clone()];
        if let (Some((e, t)), Some(w)) = (direct.take(), want_direct) {
            args.push(self.coerce(e, t, w)?);
        }
        let filter = match &f.filter {
            Some(w) if contains_aggregate_or_grouping(w) => {
                return Err(Error::GroupingError(
                    "aggregate functions are not allowed in FILTER".into(),
                ));
            }
            Some(w) => Some(self.bind_bool(w, ctx, "FILTER")?),
            None => None,
        };
        let desc = super::query::sort_desc(&o.options)?;
        let mut func = func;
        if let AggFunc::Hypothetical {
            desc: d,
            nulls_first: n,
            ..
        } = &mut func
        {
            (*d, *n) = (desc, o.options.nulls_first.unwrap_or(desc));
        }
        let key = OrderKey {
            expr: x,
            desc,
            nulls_first: o.options.nulls_first.unwrap_or(desc),
        };
        let call = AggCall {
            func,
            args,
            distinct: false,
            filter,
            order_by: vec![key],
        };
        Ok((call, ty))
    }

    /// Binds an aggregate call in aggregate mode: records it in the [`AggState`] and
    /// returns the column of the aggregate's output row that holds its value.
    pub(super) fn bind_aggregate(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        if ctx.agg.is_none() {
            return Err(Error::GroupingError(format!(
                "aggregate functions are not allowed in {}",
                ctx.clause
            )));
        }
        let mut inner = ExprCtx::plain(ctx.scope, ctx.clause);
        let (call, ty) = self.bind_agg_call(f, &mut inner, false)?;
        if reads_only_outer_columns(&call) {
            return Err(Error::unsupported(format!(
                "{}() over only the columns of an enclosing query (PostgreSQL computes it \
                 as an aggregate of that query)",
                function_name(f)
            )));
        }
        let agg = ctx.agg.as_deref_mut().expect("checked above");
        let pos = match agg.calls.iter().position(|(c, _)| *c == call) {
            Some(p) => p,
            None => {
                agg.calls.push((call, ty));
                agg.calls.len() - 1
            }
        };
        Ok(float8_result(Expr::Column(agg.groups.len() + pos), ty))
    }
}

impl Binder {
    /// Binds `GROUPING(a, ...)`: an [`AggFunc::Grouping`] call of the aggregate whose
    /// arguments are the positions of `a, ...` among the grouping expressions (literals, so
    /// no rewrite of the aggregate's input columns touches them). Its value, an `integer`,
    /// has bit `n - 1 - i` set when argument `i` is not in the row's grouping set.
    pub(super) fn bind_grouping(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        if f.over.is_some() {
            return Err(Error::SyntaxError(
                "syntax error at or near \"over\"".into(),
            ));
        }
        if ctx.agg.is_none() {
            return Err(Error::GroupingError(format!(
                "grouping operations are not allowed in {}",
                ctx.clause
            )));
        }
        let raw = function_args(f);
        let clauses = matches!(&f.args, ast::FunctionArguments::List(l)
            if l.duplicate_treatment.is_some() || !l.clauses.is_empty());
        if raw.is_empty() || clauses || f.filter.is_some() || !f.within_group.is_empty() {
            return Err(Error::SyntaxError(
                "syntax error in call of GROUPING".into(),
            ));
        }
        if raw.len() > MAX_GROUPING_ARGS {
            return Err(Error::TooManyArguments(format!(
                "GROUPING must have fewer than {} arguments",
                MAX_GROUPING_ARGS + 1
            )));
        }
        let mut args = Vec::with_capacity(raw.len());
        for a in raw {
            let ast::FunctionArgExpr::Expr(a) = a else {
                return Err(Error::SyntaxError(
                    "syntax error in call of GROUPING".into(),
                ));
            };
            let (x, _) = self.bind_expr(a, &mut ExprCtx::plain(ctx.scope, ctx.clause))?;
            let agg = ctx.agg.as_deref().expect("checked above");
            let Some(k) = agg.groups.iter().position(|(g, _)| *g == x) else {
                return Err(Error::GroupingError(
                    "arguments to GROUPING must be grouping expressions of the associated query level"
                        .into(),
                ));
            };
            args.push(Expr::Literal(crate::Value::Int(k as i64)));
        }
        let call = AggCall {
            func: AggFunc::Grouping,
            args,
            distinct: false,
            filter: None,
            order_by: Vec::new(),
        };
        let agg = ctx.agg.as_deref_mut().expect("checked above");
        let pos = match agg.calls.iter().position(|(c, _)| *c == call) {
            Some(p) => p,
            None => {
                agg.calls.push((call, DataType::Int4));
                agg.calls.len() - 1
            }
        };
        Ok((Expr::Column(agg.groups.len() + pos), DataType::Int4))
    }
}

/// Whether an aggregate call's arguments (FILTER and ORDER BY included) read columns of an
/// enclosing query and none of its own. PostgreSQL assigns such an aggregate to the
/// enclosing query's level (`max(o.x)` in a subquery aggregates over `o`'s rows); Strata
/// would aggregate it per row of the subquery, so it refuses it rather than answer
/// differently (and a nested one in its arguments could run for a very long time).
fn reads_only_outer_columns(call: &AggCall) -> bool {
    let exprs = || {
        call.args
            .iter()
            .chain(call.filter.iter())
            .chain(call.order_by.iter().map(|k| &k.expr))
    };
    exprs().any(|e| e.any(&mut |x| matches!(x, Expr::OuterRef(_))))
        && !exprs().any(|e| e.references_columns())
}

/// Aggregates accumulate floats in float8; a `real` result (`sum(real)`) is cast back.
pub fn float8_result(e: Expr, ty: DataType) -> (Expr, DataType) {
    if ty == DataType::Float4 {
        let cast = Expr::Cast {
            expr: Box::new(e),
            from: DataType::Float8,
            to: ty,
            explicit: false,
        };
        return (cast, ty);
    }
    (e, ty)
}

/// 42803 for an aggregate call inside the argument `arg` of another, pointing at the inner
/// call as PostgreSQL does.
fn nested_aggregate(arg: &ast::Expr) -> Error {
    let err = Error::GroupingError("aggregate function calls cannot be nested".into());
    if let Some(inner) = super::walk::first_aggregate_name(arg) {
        crate::position::note(&err, inner.span, &inner.value);
    }
    err
}
