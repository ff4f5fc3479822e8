//! Binding of the SQL syntax that belongs to particular types rather than to general
//! expressions: typed literals (`DATE '2020-01-02'`, `INTERVAL '1' DAY`), `CEIL`/`FLOOR`,
//! `EXTRACT`, `AT TIME ZONE`, `ARRAY[...]`, subscripts and `= ANY(array)`.
//!
//! [`Binder::bind_special`] returns `None` for anything else, so the general expression
//! binder keeps one fallback arm for all of it.

use super::Binder;
use super::expr::ExprCtx;
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

impl Binder {
    /// Binds type-specific syntax (see the module docs); `None` when `e` is not any of it.
    pub(super) fn bind_special(
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
            _ => return None,
        })
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
        let value = cast::cast(Value::Text(text.to_string()), DataType::Unknown, to, true)?;
        Ok((Expr::Literal(value), to))
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
        let Some(mut text) = text else {
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
        let bare_number = {
            let t = text.trim();
            !t.is_empty() && t.parse::<f64>().is_ok()
        };
        if bare_number
            && let Some(unit) = iv
                .last_field
                .as_ref()
                .or(iv.leading_field.as_ref())
                .and_then(interval_unit)
        {
            text = format!("{text} {unit}");
        }
        let v = cast::parse_text(DataType::Interval, &text)?;
        Ok((Expr::Literal(v), DataType::Interval))
    }
}
