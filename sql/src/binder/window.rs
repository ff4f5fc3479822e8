//! Window function calls: `f(args) [FILTER (WHERE ...)] OVER (window)`.
//!
//! Calls are collected into a [`WindowState`] while the select list and ORDER BY are bound
//! (elsewhere a call is 42P20, "window functions are not allowed in WHERE"). Their
//! arguments, PARTITION BY and ORDER BY are bound like any select-list expression — in an
//! aggregating query over the aggregate's output, so `sum(sum(x)) OVER (PARTITION BY g)`
//! works. A call's value is a column of the `Window` node's output, which appends one
//! column per call to its input row; since that input's width is known only once the whole
//! select list is bound, the call is first bound as `Column(WINDOW_REF_BASE + k)` and
//! [`resolve_window_refs`] rewrites it once the width is known.
//!
//! Windows: `OVER (PARTITION BY ... ORDER BY ... frame)`, `OVER w` naming a `WINDOW w AS
//! (...)` of the same SELECT, and `OVER (w ORDER BY ...)` refining one, with PostgreSQL's
//! rules for what a refinement may add. Frames: ROWS / RANGE / GROUPS with UNBOUNDED,
//! CURRENT ROW and offset bounds, checked as PostgreSQL checks them.

use super::aggregate::float8_result;
use super::expr::ExprCtx;
use super::walk::{AGGREGATES, contains_aggregate, contains_window, function_name};
use super::{Binder, Scope, ident};
use crate::expr::Expr;
use crate::parse::exclude::take_marker;
use crate::planner::{
    FrameBound, FrameExclude, FrameUnits, OrderKey, WindowCall, WindowFrame, WindowFunc,
};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// The column index window results are bound at until the `Window` node's input width is
/// known (see the module docs).
pub const WINDOW_REF_BASE: usize = usize::MAX / 2;

/// Window calls and named windows of one SELECT.
#[derive(Debug, Default)]
pub struct WindowState {
    pub calls: Vec<(WindowCall, DataType)>,
    /// Each named window with its frame's EXCLUDE.
    named: Vec<(String, ast::WindowSpec, FrameExclude)>,
}

impl WindowState {
    /// The `WINDOW name AS (...)` definitions of a SELECT.
    pub fn new(defs: &[ast::NamedWindowDefinition]) -> Result<WindowState> {
        let mut named: Vec<(String, ast::WindowSpec, FrameExclude)> = Vec::new();
        for ast::NamedWindowDefinition(name, def) in defs {
            let name = ident(name);
            if named.iter().any(|(n, _, _)| *n == name) {
                return Err(Error::WindowingError(format!(
                    "window \"{name}\" is already defined"
                )));
            }
            let mut spec = match def {
                ast::NamedWindowExpr::WindowSpec(s) => s.clone(),
                ast::NamedWindowExpr::NamedWindow(other) => ast::WindowSpec {
                    window_name: Some(other.clone()),
                    partition_by: vec![],
                    order_by: vec![],
                    window_frame: None,
                },
            };
            let exclude = take_marker(&mut spec.partition_by);
            let (spec, exclude) = resolve_spec(&named, spec, false, exclude)?;
            named.push((name, spec, exclude));
        }
        Ok(WindowState {
            calls: Vec::new(),
            named,
        })
    }
}

/// `spec` with the window it names merged in (`copy`: `OVER w`, which takes the frame too),
/// and the EXCLUDE of the resulting frame (`exclude` is `spec`'s own).
fn resolve_spec(
    named: &[(String, ast::WindowSpec, FrameExclude)],
    spec: ast::WindowSpec,
    copy: bool,
    exclude: FrameExclude,
) -> Result<(ast::WindowSpec, FrameExclude)> {
    let Some(base_name) = &spec.window_name else {
        return Ok((spec, exclude));
    };
    let base_name = ident(base_name);
    let base = named
        .iter()
        .find(|(n, _, _)| *n == base_name)
        .map(|(_, s, x)| (s, *x))
        .ok_or_else(|| Error::UndefinedObject(format!("window \"{base_name}\" does not exist")))?;
    let (base, base_exclude) = base;
    if copy {
        return Ok((base.clone(), base_exclude));
    }
    if !spec.partition_by.is_empty() {
        return Err(Error::WindowingError(format!(
            "cannot override PARTITION BY clause of window \"{base_name}\""
        )));
    }
    if !spec.order_by.is_empty() && !base.order_by.is_empty() {
        return Err(Error::WindowingError(format!(
            "cannot override ORDER BY clause of window \"{base_name}\""
        )));
    }
    if base.window_frame.is_some() {
        return Err(Error::WindowingError(format!(
            "cannot copy window \"{base_name}\" because it has a frame clause"
        )));
    }
    Ok((
        ast::WindowSpec {
            window_name: None,
            partition_by: base.partition_by.clone(),
            order_by: if spec.order_by.is_empty() {
                base.order_by.clone()
            } else {
                spec.order_by
            },
            window_frame: spec.window_frame,
        },
        exclude,
    ))
}

/// Rewrites window-result placeholders to columns past the `Window` node's input of
/// `width` columns.
pub fn resolve_window_refs(e: &mut Expr, width: usize) {
    e.rewrite(&mut |x| {
        if let Expr::Column(i) = x
            && *i >= WINDOW_REF_BASE
        {
            *i = width + (*i - WINDOW_REF_BASE);
        }
    });
}

impl Binder {
    /// Binds a window function call (`f.over` is set).
    pub(super) fn bind_window_call(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let Some(state) = ctx.windows.take() else {
            return Err(Error::WindowingError(format!(
                "window functions are not allowed in {}",
                ctx.clause
            )));
        };
        let (spec, exclude) = match f.over.as_ref().expect("a window call has OVER") {
            ast::WindowType::WindowSpec(s) => {
                let mut s = s.clone();
                let exclude = take_marker(&mut s.partition_by);
                resolve_spec(&state.named, s, false, exclude)?
            }
            ast::WindowType::NamedWindow(n) => {
                let copy = ast::WindowSpec {
                    window_name: Some(n.clone()),
                    partition_by: vec![],
                    order_by: vec![],
                    window_frame: None,
                };
                resolve_spec(&state.named, copy, true, FrameExclude::NoOthers)?
            }
        };
        let mut inner = ExprCtx {
            scope: ctx.scope,
            agg: ctx.agg.as_deref_mut(),
            windows: None,
            clause: ctx.clause,
        };
        let mut partition_by = Vec::new();
        for p in &spec.partition_by {
            partition_by.push(self.bind_window_expr(p, &mut inner)?.0);
        }
        let mut order_by = Vec::new();
        let mut order_types = Vec::new();
        for o in &spec.order_by {
            let (e, t) = self.bind_window_expr(&o.expr, &mut inner)?;
            // A repeated sort key adds nothing and is dropped, whatever its direction, as
            // PostgreSQL's addTargetToSortList does (so `ORDER BY x, x` has one key and
            // allows a RANGE offset).
            if order_by.iter().any(|k: &OrderKey| k.expr == e) {
                continue;
            }
            let desc = super::query::sort_desc(&o.options)?;
            order_by.push(OrderKey {
                expr: e,
                desc,
                nulls_first: o.options.nulls_first.unwrap_or(desc),
            });
            order_types.push(t);
        }
        let mut frame = self.bind_frame(spec.window_frame.as_ref(), &order_types)?;
        frame.exclude = exclude;
        let name = function_name(f);
        let (func, args, filter, ty) = if AGGREGATES.contains(&name.as_str()) {
            let (call, ty) = self.bind_agg_call(f, &mut inner, true)?;
            (WindowFunc::Aggregate(call.func), call.args, call.filter, ty)
        } else {
            if f.filter.is_some() {
                return Err(Error::unsupported(
                    "FILTER is not implemented for non-aggregate window functions",
                ));
            }
            let mut args = Vec::new();
            for a in super::aggregate::function_args(f) {
                let ast::FunctionArgExpr::Expr(a) = a else {
                    return Err(Error::SyntaxError(format!(
                        "syntax error in call of {name}"
                    )));
                };
                args.push(self.bind_window_expr(a, &mut inner)?);
            }
            let (func, args, ty) = self.resolve_window_function(&name, args)?;
            (func, args, None, ty)
        };
        state.calls.push((
            WindowCall {
                func,
                args,
                partition_by,
                order_by,
                frame,
                filter,
            },
            ty,
        ));
        let k = state.calls.len() - 1;
        ctx.windows = Some(state);
        Ok(float8_result(Expr::Column(WINDOW_REF_BASE + k), ty))
    }

    /// Binds an argument, PARTITION BY or ORDER BY expression of a window call.
    fn bind_window_expr(&mut self, e: &ast::Expr, ctx: &mut ExprCtx) -> Result<(Expr, DataType)> {
        if contains_window(e) {
            return Err(Error::WindowingError(
                "window function calls cannot be nested".into(),
            ));
        }
        if ctx.agg.is_none() && contains_aggregate(e) {
            return Err(Error::GroupingError(format!(
                "aggregate functions are not allowed in {}",
                ctx.clause
            )));
        }
        self.bind_expr(e, ctx)
    }

    /// A ranking or value window function over bound arguments: the function, its
    /// arguments coerced, and its result type.
    fn resolve_window_function(
        &mut self,
        name: &str,
        args: Vec<(Expr, DataType)>,
    ) -> Result<(WindowFunc, Vec<Expr>, DataType)> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let undefined = || {
            let names: Vec<String> = types.iter().map(|t| t.name()).collect();
            Error::UndefinedFunction(format!(
                "function {name}({}) does not exist",
                names.join(", ")
            ))
        };
        let int_arg = |t: &DataType| t.is_integer() || *t == DataType::Unknown;
        let value_type = |t: DataType| super::subquery::resolved(t);
        use DataType as T;
        let (func, want, ty): (WindowFunc, Vec<DataType>, DataType) = match (name, types.as_slice())
        {
            ("row_number", []) => (WindowFunc::RowNumber, vec![], T::Int8),
            ("rank", []) => (WindowFunc::Rank, vec![], T::Int8),
            ("dense_rank", []) => (WindowFunc::DenseRank, vec![], T::Int8),
            ("percent_rank", []) => (WindowFunc::PercentRank, vec![], T::Float8),
            ("cume_dist", []) => (WindowFunc::CumeDist, vec![], T::Float8),
            ("ntile", [t]) if int_arg(t) => (WindowFunc::Ntile, vec![T::Int4], T::Int4),
            ("lag" | "lead", [t, rest @ ..]) if rest.len() <= 2 => {
                let func = if name == "lag" {
                    WindowFunc::Lag
                } else {
                    WindowFunc::Lead
                };
                let mut ty = value_type(*t);
                if let [_, d] = rest {
                    ty = super::set_op::common_type(*t, *d)
                        .map(value_type)
                        .ok_or_else(undefined)?;
                }
                if rest.first().is_some_and(|o| !int_arg(o)) {
                    return Err(undefined());
                }
                let mut want = vec![ty];
                if !rest.is_empty() {
                    want.push(T::Int4);
                }
                if rest.len() == 2 {
                    want.push(ty);
                }
                (func, want, ty)
            }
            ("first_value" | "last_value", [t]) => {
                let func = if name == "first_value" {
                    WindowFunc::FirstValue
                } else {
                    WindowFunc::LastValue
                };
                (func, vec![value_type(*t)], value_type(*t))
            }
            ("nth_value", [t, n]) if int_arg(n) => (
                WindowFunc::NthValue,
                vec![value_type(*t), T::Int4],
                value_type(*t),
            ),
            (
                "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" | "ntile"
                | "lag" | "lead" | "first_value" | "last_value" | "nth_value",
                _,
            ) => {
                return Err(undefined());
            }
            _ => {
                return Err(Error::WrongObjectType(format!(
                    "OVER specified, but {name} is not a window function nor an aggregate function"
                )));
            }
        };
        let mut bound = Vec::new();
        for ((e, t), w) in args.into_iter().zip(want) {
            bound.push(self.coerce(e, t, w)?);
        }
        Ok((func, bound, ty))
    }

    /// Binds a frame clause (`None` is the default frame), checking it as PostgreSQL does.
    fn bind_frame(
        &mut self,
        frame: Option<&ast::WindowFrame>,
        order_types: &[DataType],
    ) -> Result<WindowFrame> {
        let Some(f) = frame else {
            return Ok(WindowFrame::default());
        };
        let units = match f.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        let err = |m: &str| Err(Error::WindowingError(m.to_string()));
        if units == FrameUnits::Groups && order_types.is_empty() {
            return err("GROUPS mode requires an ORDER BY clause");
        }
        let start = self.bind_frame_bound(&f.start_bound, units, order_types)?;
        let end = match &f.end_bound {
            Some(b) => self.bind_frame_bound(b, units, order_types)?,
            None => FrameBound::CurrentRow,
        };
        use FrameBound as B;
        match (&start, &end) {
            (B::UnboundedFollowing, _) => return err("frame start cannot be UNBOUNDED FOLLOWING"),
            (_, B::UnboundedPreceding) => return err("frame end cannot be UNBOUNDED PRECEDING"),
            (B::CurrentRow, B::Preceding(_)) => {
                return err("frame starting from current row cannot have preceding rows");
            }
            (B::Following(_), B::Preceding(_)) => {
                return err("frame starting from following row cannot have preceding rows");
            }
            (B::Following(_), B::CurrentRow) => {
                return err("frame starting from following row cannot have preceding rows");
            }
            _ => {}
        }
        Ok(WindowFrame {
            units,
            start,
            end,
            exclude: FrameExclude::NoOthers,
        })
    }

    fn bind_frame_bound(
        &mut self,
        b: &ast::WindowFrameBound,
        units: FrameUnits,
        order_types: &[DataType],
    ) -> Result<FrameBound> {
        let (offset, preceding) = match b {
            ast::WindowFrameBound::CurrentRow => return Ok(FrameBound::CurrentRow),
            ast::WindowFrameBound::Preceding(None) => return Ok(FrameBound::UnboundedPreceding),
            ast::WindowFrameBound::Following(None) => return Ok(FrameBound::UnboundedFollowing),
            ast::WindowFrameBound::Preceding(Some(e)) => (e, true),
            ast::WindowFrameBound::Following(Some(e)) => (e, false),
        };
        // A quoted offset arrives parenthesized (`parse::statement`): an unknown literal that
        // takes the ORDER BY column's offset type, as in PostgreSQL.
        let scope = Scope::default();
        let (e, t) = self.bind_expr(offset, &mut ExprCtx::plain(&scope, "window definition"))?;
        let want = match units {
            FrameUnits::Rows | FrameUnits::Groups => DataType::Int8,
            FrameUnits::Range => match order_types {
                [o] => range_offset_type(*o, t)?,
                _ => {
                    return Err(Error::WindowingError(
                        "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column"
                            .into(),
                    ));
                }
            },
        };
        let e = self.coerce(e, t, want)?;
        Ok(if preceding {
            FrameBound::Preceding(e)
        } else {
            FrameBound::Following(e)
        })
    }
}

/// The type a RANGE offset is computed in for an ORDER BY column of type `order` (the
/// `in_range` support functions PostgreSQL has: integers with integer offsets, floats with
/// float8, numeric with numeric, date and time types with interval), or 0A000 as
/// PostgreSQL's `transformFrameOffset` reports it.
fn range_offset_type(order: DataType, offset: DataType) -> Result<DataType> {
    use DataType as T;
    let want = match order.without_typmod() {
        T::Int2 | T::Int4 | T::Int8 => offset.is_integer().then_some(T::Int8),
        T::Float4 | T::Float8 => (offset.is_integer()
            || matches!(offset, T::Float4 | T::Float8 | T::Numeric(_)))
        .then_some(T::Float8),
        T::Numeric(_) => {
            (offset.is_integer() || matches!(offset, T::Numeric(_))).then_some(T::Numeric(None))
        }
        T::Date | T::Time(_) | T::Timestamp(_) | T::Timestamptz(_) | T::Interval => {
            (offset == T::Interval).then_some(T::Interval)
        }
        other => {
            return Err(Error::unsupported(format!(
                "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                other.name()
            )));
        }
    };
    let unknown = offset == T::Unknown;
    match want {
        Some(t) => Ok(t),
        None if unknown => Ok(match order.without_typmod() {
            t @ (T::Int2 | T::Int4 | T::Int8) => t,
            T::Float4 | T::Float8 => T::Float8,
            T::Numeric(_) => T::Numeric(None),
            _ => T::Interval,
        }),
        None => Err(Error::unsupported(format!(
            "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {} and offset type {}",
            order.name(),
            offset.name()
        ))),
    }
}
