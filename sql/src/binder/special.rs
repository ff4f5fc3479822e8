//! Binding of the SQL syntax that belongs to particular types rather than to general
//! expressions: typed literals (`DATE '2020-01-02'`, `INTERVAL '1' DAY`), `CEIL`/`FLOOR`,
//! `EXTRACT`, `AT TIME ZONE`, `ARRAY[...]`, subscripts and `= ANY(array)`.
//!
//! [`Binder::bind_typed_syntax`] returns `None` for anything else, so the general expression
//! binder keeps one fallback arm for all of it.

use super::Binder;
use super::expr::ExprCtx;
use crate::expr::set_fns::SetFn;
use crate::expr::{Expr, Function};
use crate::types::{DataType, Value, cast};
use crate::{Error, Result};
use sqlparser::ast;

/// The text of a string literal.
pub(super) fn string_literal(v: &ast::Value) -> Option<&str> {
    match v {
        ast::Value::SingleQuotedString(s)
        | ast::Value::EscapedStringLiteral(s)
        | ast::Value::NationalStringLiteral(s) => Some(s),
        ast::Value::DollarQuotedString(d) => Some(&d.value),
        _ => None,
    }
}

fn interval_unit(field: &ast::DateTimeField) -> Option<&'static str> {
    use ast::DateTimeField as F;
    Some(match field {
        F::Year | F::Years => "year",
        F::Month | F::Months => "month",
        F::Week(_) | F::Weeks => "week",
        F::Day | F::Days => "day",
        F::Hour | F::Hours => "hour",
        F::Minute | F::Minutes => "minute",
        F::Second | F::Seconds => "second",
        F::Millisecond | F::Milliseconds => "millisecond",
        F::Microsecond | F::Microseconds => "microsecond",
        F::Decade => "decade",
        F::Century => "century",
        F::Millennium => "millennium",
        _ => return None,
    })
}

/// The fields of an `INTERVAL <fields>` type name as an interval qualifier.
fn interval_fields_range(
    f: &ast::IntervalFields,
) -> Option<crate::types::datetime::interval_decode::Range> {
    use crate::types::datetime::interval_decode::Range;
    use ast::IntervalFields as F;
    let (from, to) = match f {
        F::Year => ("year", None),
        F::Month => ("month", None),
        F::Day => ("day", None),
        F::Hour => ("hour", None),
        F::Minute => ("minute", None),
        F::Second => ("second", None),
        F::YearToMonth => ("year", Some("month")),
        F::DayToHour => ("day", Some("hour")),
        F::DayToMinute => ("day", Some("minute")),
        F::DayToSecond => ("day", Some("second")),
        F::HourToMinute => ("hour", Some("minute")),
        F::HourToSecond => ("hour", Some("second")),
        F::MinuteToSecond => ("minute", Some("second")),
    };
    Range::of_fields(from, to)
}

/// The set-returning functions of one select list: where their output columns start (the
/// input row's width) and the calls.
pub struct SetFunctions {
    base: usize,
    pub(super) calls: Vec<(SetFn, Vec<Expr>)>,
}

impl Binder {
    /// Starts collecting set-returning calls for a select list whose input rows have `base`
    /// columns (`None`: they are not allowed there, e.g. with aggregates).
    pub(super) fn begin_set_functions(&mut self, base: Option<usize>) {
        self.set_functions.push(base.map(|base| SetFunctions {
            base,
            calls: Vec::new(),
        }));
    }

    /// The calls collected since the matching [`Binder::begin_set_functions`].
    pub(super) fn end_set_functions(&mut self) -> Vec<(SetFn, Vec<Expr>)> {
        self.set_functions
            .pop()
            .flatten()
            .map(|s| s.calls)
            .unwrap_or_default()
    }

    /// A set-returning call in an expression: it becomes a column of the `ProjectSet` under
    /// the select list.
    pub(super) fn bind_set_call(
        &mut self,
        name: &str,
        args: Vec<(Expr, DataType)>,
    ) -> Result<(Expr, DataType)> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let (f, params, ret) = SetFn::resolve(name, &types)
            .unwrap_or_else(|| Err(crate::expr::functions_undefined(name, &types)))?;
        self.push_set_call(name, f, &params, args, ret)
    }

    /// Adds the resolved set-returning call `f` to the current select list's `ProjectSet`.
    pub(super) fn push_set_call(
        &mut self,
        name: &str,
        f: SetFn,
        params: &[DataType],
        args: Vec<(Expr, DataType)>,
        ret: DataType,
    ) -> Result<(Expr, DataType)> {
        let args = args
            .into_iter()
            .zip(params)
            .map(|((e, t), want)| self.coerce(e, t, *want))
            .collect::<Result<Vec<_>>>()?;
        let Some(Some(collector)) = self.set_functions.last_mut() else {
            return Err(Error::unsupported(format!(
                "set-returning function {name}() is not allowed here"
            )));
        };
        collector.calls.push((f, args));
        let column = collector.base + collector.calls.len() - 1;
        Ok((Expr::Column(column), ret))
    }

    /// Binds type-specific syntax (see the module docs); `None` when `e` is not any of it.
    pub(super) fn bind_typed_syntax(
        &mut self,
        e: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Option<Result<(Expr, DataType)>> {
        use ast::Expr as E;
        Some(match e {
            E::TypedString(ts) => self.typed_literal(&ts.data_type, &ts.value.value),
            E::Interval(iv) => self.interval_literal(iv, ctx),
            E::Ceil { expr, field } | E::Floor { expr, field } => {
                let name = if matches!(e, E::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                match field {
                    ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) => {
                        self.call_function(name, &[expr.as_ref()], ctx)
                    }
                    _ => Err(Error::SyntaxError(format!(
                        "syntax error in {}",
                        name.to_uppercase()
                    ))),
                }
            }
            E::Extract { field, expr, .. } => {
                let name = field.to_string().trim_matches('\'').to_ascii_lowercase();
                let unit = (Expr::Literal(Value::Text(name)), DataType::Text);
                match self.bind_expr(expr, ctx) {
                    Ok(x) => self.call_bound("extract", vec![unit, x]),
                    Err(e) => Err(e),
                }
            }
            E::AtTimeZone {
                timestamp,
                time_zone,
            } => self.call_function("timezone", &[time_zone.as_ref(), timestamp.as_ref()], ctx),
            E::Array(arr) => self.bind_array(&arr.elem, ctx),
            E::CompoundFieldAccess { root, access_chain } => {
                match self.bind_field_select(root, access_chain, ctx) {
                    Some(r) => r,
                    None => match column_then_subscripts(root, access_chain) {
                        // `t.col[1]`: the column's value is subscripted, not the row `t`.
                        Some((column, subs)) => self.bind_subscripts(&column, subs, ctx),
                        None => self.bind_subscripts(root, access_chain, ctx),
                    },
                }
            }
            E::Tuple(items) => {
                let items: Vec<&ast::Expr> = items.iter().collect();
                self.bind_row(&items, ctx)
            }
            E::AnyOp {
                left,
                compare_op,
                right,
                ..
            } if !matches!(right.as_ref(), E::Subquery(_)) => {
                self.bind_quantified(left, compare_op, right, false, ctx)
            }
            E::AllOp {
                left,
                compare_op,
                right,
            } if !matches!(right.as_ref(), E::Subquery(_)) => {
                self.bind_quantified(left, compare_op, right, true, ctx)
            }
            _ => return None,
        })
    }

    /// `ARRAY[a, b, ...]`: the items' common type; items that are arrays stack into one
    /// more dimension.
    fn bind_array(&mut self, elems: &[ast::Expr], ctx: &mut ExprCtx) -> Result<(Expr, DataType)> {
        let mut items = Vec::with_capacity(elems.len());
        let mut ty = DataType::Unknown;
        for e in elems {
            let (x, t) = self.bind_expr(e, ctx)?;
            ty = DataType::unify(ty, t).ok_or_else(|| {
                Error::DatatypeMismatch(format!(
                    "ARRAY types {} and {} cannot be matched",
                    ty.name(),
                    t.name()
                ))
            })?;
            items.push((x, t));
        }
        if items.is_empty() {
            return Err(Error::IndeterminateType(
                "cannot determine type of empty array".into(),
            ));
        }
        if ty == DataType::Unknown {
            ty = DataType::Text;
        }
        let nested = matches!(ty, DataType::Array(_));
        let array_ty = if nested {
            ty.without_typmod()
        } else {
            crate::types::ElemType::new(ty.without_typmod())
                .map(DataType::Array)
                .ok_or_else(|| {
                    Error::UndefinedObject(format!(
                        "could not find array type for data type {}",
                        ty.name()
                    ))
                })?
        };
        let target = ty.without_typmod();
        let args = items
            .into_iter()
            .map(|(x, t)| self.coerce(x, t, target))
            .collect::<Result<Vec<_>>>()?;
        Ok((
            Expr::Call(
                Function::Array(crate::expr::array_fns::ArrayFn::Construct { nested }),
                args,
            ),
            array_ty,
        ))
    }

    /// `a[i]`, `a[i][j]`, `a[lo:hi]`.
    /// `j[a][b]...` on jsonb: the path `#>` follows, each subscript as text (an integer
    /// one selects an array element, as PostgreSQL's jsonb subscripting does).
    fn bind_jsonb_subscripts(
        &mut self,
        x: Expr,
        chain: &[ast::AccessExpr],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        use crate::expr::jsonb_fns::JsonbFn;
        let mut args = vec![x];
        for a in chain {
            let e = match a {
                ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => index,
                ast::AccessExpr::Subscript(_) => {
                    return Err(Error::DatatypeMismatch(
                        "jsonb subscript does not support slices".into(),
                    ));
                }
                ast::AccessExpr::Dot(_) => {
                    return Err(Error::unsupported("field selection is not supported yet"));
                }
            };
            args.push(self.jsonb_subscript(e, ctx)?.0);
        }
        let f = JsonbFn::Path {
            text: false,
            variadic: true,
        };
        Ok((Expr::Call(Function::Jsonb(f), args), DataType::Jsonb))
    }

    /// A jsonb subscript (integer or text) as text, and its own type.
    pub(super) fn jsonb_subscript(
        &mut self,
        e: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let (ix, it) = self.bind_expr(e, ctx)?;
        if !(it.is_integer() || it.is_string()) {
            return Err(Error::DatatypeMismatch(format!(
                "subscript type {} is not supported",
                it.name()
            )));
        }
        let text = Expr::Cast {
            expr: Box::new(ix),
            from: it,
            to: DataType::Text,
            explicit: true,
        };
        Ok((text, it))
    }

    fn bind_subscripts(
        &mut self,
        root: &ast::Expr,
        chain: &[ast::AccessExpr],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        use crate::expr::array_fns::ArrayFn;
        let (x, t) = self.bind_expr(root, ctx)?;
        if t == DataType::Jsonb {
            return self.bind_jsonb_subscripts(x, chain, ctx);
        }
        // `pg_index.indkey[i]`: a vector subscripts as the array of its elements, from 0
        // (ActiveRecord reads primary keys with `indkey[generate_subscripts(indkey, 1)]`).
        let (x, t) = match crate::types::vector::elem(t) {
            Some(e) => {
                let array = DataType::array_of(e);
                (self.coerce(x, t, array)?, array)
            }
            None => (x, t),
        };
        let Some(elem) = t.elem() else {
            return Err(Error::DatatypeMismatch(format!(
                "cannot subscript type {} because it does not support subscripting",
                t.name()
            )));
        };
        let int = DataType::Int4;
        let mut args = vec![x];
        let mut bind_int = |b: &mut Binder, e: &ast::Expr, args: &mut Vec<Expr>| -> Result<()> {
            let (ix, it) = b.bind_expr(e, ctx)?;
            if !(it.is_integer() || it == DataType::Unknown) {
                return Err(Error::DatatypeMismatch(format!(
                    "array subscript must have type integer, not {}",
                    it.name()
                )));
            }
            args.push(b.coerce(ix, it, int)?);
            Ok(())
        };
        let subs: Vec<&ast::Subscript> = chain
            .iter()
            .map(|a| match a {
                ast::AccessExpr::Subscript(s) => Ok(s),
                ast::AccessExpr::Dot(_) => {
                    Err(Error::unsupported("field selection is not supported yet"))
                }
            })
            .collect::<Result<_>>()?;
        if subs.len() > crate::types::array::MAX_DIMS {
            return Err(Error::ProgramLimitExceeded(format!(
                "number of array dimensions ({}) exceeds the maximum allowed ({})",
                subs.len(),
                crate::types::array::MAX_DIMS
            )));
        }
        if subs
            .iter()
            .all(|s| matches!(s, ast::Subscript::Index { .. }))
        {
            for s in &subs {
                if let ast::Subscript::Index { index } = s {
                    bind_int(self, index, &mut args)?;
                }
            }
            let f = ArrayFn::Subscript(subs.len() as u8);
            return Ok((Expr::Call(Function::Array(f), args), elem));
        }
        // A slice: every subscript is a range, a lone index `i` being `1:i` (PostgreSQL).
        let (mut lower, mut upper) = (0u8, 0u8);
        for (i, s) in subs.iter().enumerate() {
            match s {
                ast::Subscript::Index { index } => {
                    args.push(Expr::Literal(crate::Value::Int(1)));
                    bind_int(self, index, &mut args)?;
                    lower |= 1 << i;
                    upper |= 1 << i;
                }
                ast::Subscript::Slice {
                    lower_bound,
                    upper_bound,
                    stride: None,
                } => {
                    if let Some(l) = lower_bound {
                        bind_int(self, l, &mut args)?;
                        lower |= 1 << i;
                    }
                    if let Some(u) = upper_bound {
                        bind_int(self, u, &mut args)?;
                        upper |= 1 << i;
                    }
                }
                ast::Subscript::Slice { .. } => {
                    return Err(Error::SyntaxError("syntax error at or near \":\"".into()));
                }
            }
        }
        let f = ArrayFn::Slice {
            n: subs.len() as u8,
            lower,
            upper,
        };
        Ok((Expr::Call(Function::Array(f), args), t.without_typmod()))
    }

    /// `x op ANY(array)` / `x op ALL(array)`.
    pub(super) fn bind_quantified(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        use crate::expr::CmpOp;
        use ast::BinaryOperator as B;
        let like = match op {
            B::PGLikeMatch => Some((false, false)),
            B::PGILikeMatch => Some((true, false)),
            B::PGNotLikeMatch => Some((false, true)),
            B::PGNotILikeMatch => Some((true, true)),
            _ => None,
        };
        if let Some((case_insensitive, negated)) = like {
            let (lx, lt) = self.bind_expr(left, ctx)?;
            let (rx, rt) = self.bind_expr(right, ctx)?;
            let text_array = DataType::array_of(DataType::Text);
            if !(lt.is_string() || lt == DataType::Unknown)
                || !matches!(rt, DataType::Unknown | DataType::Array(_))
            {
                return Err(Error::UndefinedFunction(format!(
                    "operator does not exist: {} {op} {}",
                    lt.name(),
                    rt.elem().unwrap_or(rt).name()
                )));
            }
            let lx = self.coerce(lx, lt, DataType::Text)?;
            let rx = self.coerce(rx, rt, text_array)?;
            let f = crate::expr::array_fns::ArrayFn::QuantifiedLike {
                case_insensitive,
                negated,
                all,
            };
            return Ok((Expr::Call(Function::Array(f), vec![lx, rx]), DataType::Bool));
        }
        let (cmp, sym) = match op {
            B::Eq => (CmpOp::Eq, "="),
            B::NotEq => (CmpOp::NotEq, "<>"),
            B::Lt => (CmpOp::Lt, "<"),
            B::LtEq => (CmpOp::LtEq, "<="),
            B::Gt => (CmpOp::Gt, ">"),
            B::GtEq => (CmpOp::GtEq, ">="),
            other => {
                return Err(Error::unsupported(format!(
                    "{other} ANY/ALL is not supported yet"
                )));
            }
        };
        let (lx, lt) = self.bind_expr(left, ctx)?;
        let (rx, rt) = self.bind_expr(right, ctx)?;
        let elem = match rt {
            DataType::Array(e) => e.get(),
            DataType::Unknown => lt,
            // `attnum = ANY(pg_index.indkey)` (Peewee's primary key lookup).
            v @ (DataType::Int2Vector | DataType::OidVector) => {
                crate::types::vector::elem(v).unwrap_or(DataType::Int2)
            }
            other => {
                return Err(Error::WrongObjectType(format!(
                    "op ANY/ALL (array) requires array on right side, not {}",
                    other.name()
                )));
            }
        };
        let t = DataType::common(lt, elem)
            .filter(DataType::is_orderable)
            .ok_or_else(|| {
                Error::UndefinedFunction(format!(
                    "operator does not exist: {} {sym} {}",
                    lt.name(),
                    elem.name()
                ))
            })?
            .without_typmod();
        let t = if t == DataType::Unknown {
            DataType::Text
        } else {
            t
        };
        let array_t = DataType::array_of(t);
        let lx = self.coerce(lx, lt, t)?;
        let rx = self.coerce(rx, rt, array_t)?;
        let f = crate::expr::array_fns::ArrayFn::Quantified { op: cmp, all };
        Ok((Expr::Call(Function::Array(f), vec![lx, rx]), DataType::Bool))
    }

    /// Binds `name(args)` for syntax that is a function call in disguise.
    pub(super) fn call_function(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a, ctx)?);
        }
        self.call_bound(name, bound)
    }

    /// Resolves `name` over already bound arguments and coerces them.
    pub(super) fn call_bound(
        &mut self,
        name: &str,
        args: Vec<(Expr, DataType)>,
    ) -> Result<(Expr, DataType)> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let resolved = Function::resolve(name, &types)?;
        let args = args
            .into_iter()
            .zip(&resolved.args)
            .map(|((e, et), want)| self.coerce(e, et, *want))
            .collect::<Result<_>>()?;
        Ok((Expr::Call(resolved.func, args), resolved.ret))
    }

    /// `type 'text'`: the type's input function applied now.
    fn typed_literal(&mut self, ty: &ast::DataType, v: &ast::Value) -> Result<(Expr, DataType)> {
        let to = DataType::from_sql(ty)?;
        let text = string_literal(v)
            .ok_or_else(|| Error::SyntaxError(format!("syntax error at or near \"{v}\"")))?;
        // `interval(2) '...'`, `interval hour to second '...'`: the typmod applies.
        if let ast::DataType::Interval { fields, precision } = ty
            && (fields.is_some() || precision.is_some())
        {
            let range = fields
                .as_ref()
                .and_then(interval_fields_range)
                .unwrap_or(crate::types::datetime::interval_decode::Range::FULL);
            let precision = precision.map(|p| u32::try_from(p).unwrap_or(u32::MAX));
            let v = crate::types::datetime::interval_decode::parse(text, range, precision)?;
            return Ok((Expr::Literal(Value::Interval(v)), DataType::Interval));
        }
        let value = cast::cast(Value::Text(text.to_string()), DataType::Unknown, to, true)?;
        Ok((Expr::Literal(value), to))
    }

    /// `x::INTERVAL DAY TO MINUTE`, `x::interval(2)`: a cast to interval, then the
    /// qualifier's truncation and rounding (PostgreSQL's interval typmod).
    pub(super) fn interval_cast(
        &mut self,
        expr: &ast::Expr,
        fields: Option<&ast::IntervalFields>,
        precision: Option<u64>,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        use crate::types::datetime::interval_decode::{self, Range};
        let plain = ast::Expr::Cast {
            kind: ast::CastKind::Cast,
            expr: Box::new(expr.clone()),
            data_type: ast::DataType::Interval {
                fields: None,
                precision: None,
            },
            format: None,
        };
        let (x, t) = self.bind_expr(&plain, ctx)?;
        let range = fields
            .and_then(interval_fields_range)
            .unwrap_or(Range::FULL);
        let precision = precision.map(|p| u32::try_from(p).unwrap_or(u32::MAX));
        Ok(match x {
            Expr::Literal(Value::Interval(iv)) => (
                Expr::Literal(Value::Interval(interval_decode::adjust(
                    iv, range, precision,
                )?)),
                t,
            ),
            x => {
                let f = crate::expr::datetime_fns::DateTimeFn::AdjustInterval(range.0, precision);
                (Expr::Call(Function::DateTime(f), vec![x]), t)
            }
        })
    }

    /// `INTERVAL 'text' [unit]`: a bare number takes the unit (`INTERVAL '3' DAY`).
    fn interval_literal(
        &mut self,
        iv: &ast::Interval,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let text = match iv.value.as_ref() {
            ast::Expr::Value(v) => string_literal(&v.value).map(str::to_string),
            _ => None,
        };
        let Some(text) = text else {
            // `INTERVAL expr` is not PostgreSQL syntax; treat it as a cast.
            let (x, t) = self.bind_expr(&iv.value, ctx)?;
            let x = self.coerce(x, t, DataType::Text)?;
            return Ok((
                Expr::Cast {
                    expr: Box::new(x),
                    from: DataType::Text,
                    to: DataType::Interval,
                    explicit: true,
                },
                DataType::Interval,
            ));
        };
        // The qualifier (`DAY TO HOUR`, `SECOND(2)`) decides what a bare number means and
        // truncates and rounds the value, as PostgreSQL's interval typmod does.
        use crate::types::datetime::interval_decode::{self, Range};
        let range = iv
            .leading_field
            .as_ref()
            .and_then(interval_unit)
            .and_then(|from| {
                let to = iv.last_field.as_ref().and_then(interval_unit);
                Range::of_fields(from, to)
            })
            .unwrap_or(Range::FULL);
        let seconds_only = matches!(
            (iv.leading_field.as_ref(), iv.last_field.as_ref()),
            (Some(ast::DateTimeField::Second), None)
        );
        let precision = iv
            .fractional_seconds_precision
            .or(iv.leading_precision.filter(|_| seconds_only))
            .map(|p| u32::try_from(p).unwrap_or(u32::MAX));
        let v = interval_decode::parse(&text, range, precision)?;
        Ok((Expr::Literal(Value::Interval(v)), DataType::Interval))
    }
}

/// `t.col[1]` (and `s.t.col[1]`, `(x).f[1]`) parse as `t` followed by `.col` and `[1]`:
/// the leading field names belong to the expression that is subscripted. Returns that
/// expression and the rest of the chain, or `None` when the chain does not start with a
/// field name followed by a subscript.
fn column_then_subscripts<'a>(
    root: &ast::Expr,
    chain: &'a [ast::AccessExpr],
) -> Option<(ast::Expr, &'a [ast::AccessExpr])> {
    let dots = chain
        .iter()
        .take_while(|a| matches!(a, ast::AccessExpr::Dot(ast::Expr::Identifier(_))))
        .count();
    if dots == 0 || dots == chain.len() {
        return None;
    }
    let names = chain[..dots].iter().filter_map(|a| match a {
        ast::AccessExpr::Dot(ast::Expr::Identifier(i)) => Some(i.clone()),
        _ => None,
    });
    let column = match root {
        ast::Expr::Identifier(i) => {
            ast::Expr::CompoundIdentifier(std::iter::once(i.clone()).chain(names).collect())
        }
        ast::Expr::CompoundIdentifier(parts) => {
            ast::Expr::CompoundIdentifier(parts.iter().cloned().chain(names).collect())
        }
        _ => ast::Expr::CompoundFieldAccess {
            root: Box::new(root.clone()),
            access_chain: chain[..dots].to_vec(),
        },
    };
    Some((column, &chain[dots..]))
}
