//! Binding of scalar expressions: names → column positions, literals and `$n` → typed
//! values, operators → typed [`Expr`] nodes with operands coerced to a common type.
//!
//! In *aggregate mode* (a SELECT with GROUP BY or aggregates) expressions are bound against
//! the aggregate's output row `[group keys..., aggregate results...]`: an aggregate call
//! becomes a column of that row, a sub-expression equal to a GROUP BY expression becomes its
//! key column, and any other column reference is a grouping error (42803), exactly as
//! PostgreSQL reports it.

use super::aggregate::AggState;
use super::subquery::SubqueryUse;
use super::walk::{contains_aggregate_or_grouping, contains_window, is_aggregate_call};
use super::window::WindowState;
use super::{Binder, Scope, ident};
use crate::expr::{CmpOp, Expr, Function};
use crate::types::{DataType, Value, cast};
use crate::{Error, Result};
use sqlparser::ast::{self, UnaryOperator};

/// The deepest expression the binder accepts (PostgreSQL's `max_stack_depth` analogue):
/// binding, evaluation and dropping of bound expressions recurse, so depth is bounded here,
/// once, instead of in every consumer.
pub const MAX_EXPR_DEPTH: usize = 256;

/// Functions whose result may change between calls in one statement: a subquery calling one
/// is not reused across evaluations with equal correlation values.
pub const VOLATILE_FUNCTIONS: [&str; 15] = [
    "random",
    "setseed",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "gen_random_uuid",
    "set_config",
    "pg_cancel_backend",
    "pg_terminate_backend",
    "pg_blocking_pids",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "gen_random_bytes",
    "gen_salt",
];

/// Where an expression is being bound.
pub struct ExprCtx<'a> {
    pub scope: &'a Scope,
    pub agg: Option<&'a mut AggState>,
    /// Where window function calls are collected (select list and ORDER BY only).
    pub windows: Option<&'a mut WindowState>,
    /// The clause name for "aggregate functions are not allowed in X" errors.
    pub clause: &'static str,
}

impl<'a> ExprCtx<'a> {
    pub fn plain(scope: &'a Scope, clause: &'static str) -> Self {
        ExprCtx {
            scope,
            agg: None,
            windows: None,
            clause,
        }
    }
}

pub(super) fn mismatch(what: &str, ty: DataType) -> Error {
    Error::DatatypeMismatch(format!(
        "argument of {what} must be type boolean, not type {}",
        ty.name()
    ))
}

impl Binder {
    /// Coerces `e` of type `from` to `to` implicitly (literal and parameter types are
    /// settled here; integer widening is free because all integers are `i64`).
    pub fn coerce(&mut self, e: Expr, from: DataType, to: DataType) -> Result<Expr> {
        if from == to || to == DataType::Unknown {
            return Ok(e);
        }
        match (&e, from) {
            (Expr::Literal(v), DataType::Unknown) => {
                // An operand takes the type, never the modifier: `c = '1.234'` for a
                // numeric(5,2) column compares with 1.234, not 1.23.
                let to = match to.without_typmod() {
                    DataType::Varchar(_) => DataType::Text,
                    t => t,
                };
                return Ok(Expr::Literal(cast::cast(
                    v.clone(),
                    DataType::Unknown,
                    to,
                    false,
                )?));
            }
            (Expr::Param(i), DataType::Unknown) => {
                self.params[*i] = Some(to);
                return Ok(e);
            }
            _ => {}
        }
        let widening = from.is_integer()
            && to.is_integer()
            && matches!(
                (from, to),
                (DataType::Int2, _) | (DataType::Int4, DataType::Int8)
            );
        let same_text = matches!(
            from,
            DataType::Text | DataType::Varchar(_) | DataType::Name | DataType::Unknown
        ) && to == DataType::Text;
        if widening || same_text {
            return Ok(e);
        }
        Ok(Expr::Cast {
            expr: Box::new(e),
            from,
            to,
            explicit: false,
        })
    }

    pub(crate) fn bind_bool(
        &mut self,
        e: &ast::Expr,
        ctx: &mut ExprCtx,
        what: &str,
    ) -> Result<Expr> {
        let (x, t) = self.bind_expr(e, ctx)?;
        match t {
            DataType::Bool => Ok(x),
            DataType::Unknown => self.coerce(x, t, DataType::Bool),
            _ => Err(mismatch(what, t)),
        }
    }

    /// Binds both operands and coerces them to their common type.
    fn bind_pair(
        &mut self,
        l: &ast::Expr,
        r: &ast::Expr,
        ctx: &mut ExprCtx,
        op: &str,
    ) -> Result<(Expr, Expr, DataType)> {
        let (le, lt) = self.bind_expr(l, ctx)?;
        let (re, rt) = self.bind_expr(r, ctx)?;
        let common = super::binary::operand_type(lt, op, rt)?;
        Ok((
            self.coerce(le, lt, common)?,
            self.coerce(re, rt, common)?,
            common,
        ))
    }

    /// Binds an expression; see the module docs for aggregate mode.
    pub fn bind_expr(&mut self, e: &ast::Expr, ctx: &mut ExprCtx) -> Result<(Expr, DataType)> {
        if self.depth >= MAX_EXPR_DEPTH {
            return Err(Error::StackDepthExceeded);
        }
        self.depth += 1;
        let r = self.bind_expr_at_depth(e, ctx);
        self.depth -= 1;
        if let Err(err) = &r {
            super::position::mark(err, e);
        }
        r
    }

    fn bind_expr_at_depth(&mut self, e: &ast::Expr, ctx: &mut ExprCtx) -> Result<(Expr, DataType)> {
        if ctx.agg.is_some() {
            if let ast::Expr::Function(f) = e
                && is_aggregate_call(f)
            {
                return self.bind_aggregate(f, ctx);
            }
            // A subquery's correlation values and a window call's arguments are mapped to
            // the aggregate's output where they are bound, not here.
            let maps_itself = matches!(
                e,
                ast::Expr::Subquery(_)
                    | ast::Expr::Exists { .. }
                    | ast::Expr::In {
                        target: ast::InTarget::Subquery(_),
                        ..
                    }
            ) || contains_window(e);
            if !maps_itself && !contains_aggregate_or_grouping(e) {
                let (x, t) = self.bind_expr(e, &mut ExprCtx::plain(ctx.scope, ctx.clause))?;
                let agg = ctx.agg.as_deref().expect("checked is_some above");
                if let Some(i) = agg.groups.iter().position(|(g, _)| *g == x) {
                    return Ok((Expr::Column(i), t));
                }
                if !references_columns(&x) {
                    return Ok((x, t));
                }
                if let ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) = e {
                    let name = ctx.scope.qualified_name(&x);
                    return Err(Error::GroupingError(format!(
                        "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
                    )));
                }
            }
        }
        self.bind_structural(e, ctx)
    }

    /// The hot path of deep operator chains (`a + b + c ...`, `x AND y AND ...`): kept small
    /// so each nesting level costs little stack; everything else is in
    /// [`Binder::bind_compound`].
    fn bind_structural(&mut self, e: &ast::Expr, ctx: &mut ExprCtx) -> Result<(Expr, DataType)> {
        match e {
            ast::Expr::BinaryOp { .. } => self.bind_binary(e, ctx),
            ast::Expr::Nested(x) => self.bind_expr(x, ctx),
            other => self.bind_compound(other, ctx),
        }
    }

    #[inline(never)]
    fn bind_compound(&mut self, e: &ast::Expr, ctx: &mut ExprCtx) -> Result<(Expr, DataType)> {
        use ast::Expr as E;
        Ok(match e {
            E::Identifier(id) => match self.resolve_column(ctx.scope, None, &ident(id)) {
                // `current_schema` and friends, else a FROM item's name: its whole row.
                Err(Error::UndefinedColumn(m)) => {
                    match self.bind_parameterless(id, Error::UndefinedColumn(m)) {
                        Err(Error::UndefinedColumn(m)) => {
                            match self.bind_whole_row(ctx.scope, &ident(id)) {
                                Some(r) => r?,
                                None => {
                                    let e = Error::UndefinedColumn(m);
                                    return Err(match ctx.scope.suggest(&ident(id)) {
                                        Some(hint) => Error::WithHint {
                                            error: Box::new(e),
                                            hint,
                                        },
                                        None => e,
                                    });
                                }
                            }
                        }
                        r => r?,
                    }
                }
                r => r?,
            },
            E::CompoundIdentifier(parts) => match parts.as_slice() {
                [t, c] => self.resolve_column(ctx.scope, Some(&ident(t)), &ident(c))?,
                [s, t, c] => {
                    self.resolve_schema_column(ctx.scope, &ident(s), &ident(t), &ident(c))?
                }
                [d, s, t, c] => {
                    let db = crate::env::with(|env| env.session.database.clone());
                    if ident(d) != db {
                        return Err(Error::unsupported(format!(
                            "cross-database references are not implemented: {e}"
                        )));
                    }
                    self.resolve_schema_column(ctx.scope, &ident(s), &ident(t), &ident(c))?
                }
                _ => {
                    return Err(Error::unsupported(format!(
                        "qualified name {e} is not supported"
                    )));
                }
            },
            E::Value(v) => match self.variable_or_column(&v.value, ctx)? {
                Some(column) => column,
                None => self.bind_value(&v.value)?,
            },
            E::Nested(x) => self.bind_expr(x, ctx)?,
            E::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => (
                    Expr::Not(Box::new(self.bind_bool(expr, ctx, "NOT")?)),
                    DataType::Bool,
                ),
                UnaryOperator::Minus => {
                    // (-3 ^ 2 is (-3) ^ 2: the parser's dialect gives unary minus PostgreSQL's
                    // precedence, see `parse::StrataDialect`.)
                    // PostgreSQL folds a minus into a numeric literal (so -2147483648 is an
                    // int4 and -(-2147483648) an int8).
                    if let Some(n) = signed_number(expr) {
                        return number_literal(&negate_number(&n));
                    }
                    let (x, t) = self.bind_expr(expr, ctx)?;
                    let (x, t) = if t == DataType::Unknown {
                        (self.coerce(x, t, DataType::Float8)?, DataType::Float8)
                    } else {
                        (x, t)
                    };
                    if !t.is_numeric() && t != DataType::Interval {
                        return Err(Error::UndefinedFunction(format!(
                            "operator does not exist: - {}",
                            t.name()
                        )));
                    }
                    let t = t.without_typmod();
                    (Expr::Neg(Box::new(x), t), t)
                }
                UnaryOperator::Plus => {
                    let (x, t) = self.bind_expr(expr, ctx)?;
                    if !t.is_numeric() && t != DataType::Interval {
                        return Err(Error::UndefinedFunction(format!(
                            "operator does not exist: + {}",
                            t.name()
                        )));
                    }
                    (x, t)
                }
                UnaryOperator::PGSquareRoot | UnaryOperator::PGCubeRoot | UnaryOperator::PGAbs => {
                    let name = match op {
                        UnaryOperator::PGSquareRoot => "sqrt",
                        UnaryOperator::PGCubeRoot => "cbrt",
                        _ => "abs",
                    };
                    let arg = self.bind_expr(expr, ctx)?;
                    self.bind_call(name, vec![arg])?
                }
                UnaryOperator::PGPrefixFactorial => {
                    // `!! tsquery` (PostgreSQL 15 has no factorial prefix operator)
                    let (x, from) = self.bind_expr(expr, ctx)?;
                    if !matches!(from, DataType::TsQuery | DataType::Unknown) {
                        return Err(Error::UndefinedFunction(format!(
                            "operator does not exist: !! {}",
                            from.name()
                        )));
                    }
                    let x = self.coerce(x, from, DataType::TsQuery)?;
                    let f = Function::TextSearch(crate::expr::ts_fns::TsFn::Not);
                    (Expr::Call(f, vec![x]), DataType::TsQuery)
                }
                UnaryOperator::BitwiseNot => {
                    let (x, from) = self.bind_expr(expr, ctx)?;
                    let t = if from == DataType::Unknown {
                        DataType::Int4
                    } else {
                        from
                    };
                    if matches!(t, DataType::Inet | DataType::Cidr) {
                        let x = self.coerce(x, from, DataType::Inet)?;
                        let f = Function::Inet(crate::expr::inet_fns::InetFn::Not);
                        (Expr::Call(f, vec![x]), DataType::Inet)
                    } else if !t.is_integer() {
                        return Err(Error::UndefinedFunction(format!(
                            "operator does not exist: ~ {}",
                            t.name()
                        )));
                    } else {
                        let x = self.coerce(x, from, t)?;
                        let f = Function::Numeric(crate::expr::numeric_fns::NumericFn::BitNot(t));
                        (Expr::Call(f, vec![x]), t)
                    }
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "operator {other} is not supported yet"
                    )));
                }
            },
            E::BinaryOp { .. } => self.bind_binary(e, ctx)?,
            E::IsNull(x) | E::IsNotNull(x) => {
                let (x2, _) = self.bind_expr(x, ctx)?;
                (
                    Expr::IsNull {
                        expr: Box::new(x2),
                        negated: matches!(e, E::IsNotNull(_)),
                    },
                    DataType::Bool,
                )
            }
            E::IsTrue(x)
            | E::IsNotTrue(x)
            | E::IsFalse(x)
            | E::IsNotFalse(x)
            | E::IsUnknown(x)
            | E::IsNotUnknown(x) => {
                let (value, negated, what) = match e {
                    E::IsTrue(_) => (Some(true), false, "IS TRUE"),
                    E::IsNotTrue(_) => (Some(true), true, "IS NOT TRUE"),
                    E::IsFalse(_) => (Some(false), false, "IS FALSE"),
                    E::IsNotFalse(_) => (Some(false), true, "IS NOT FALSE"),
                    E::IsUnknown(_) => (None, false, "IS UNKNOWN"),
                    _ => (None, true, "IS NOT UNKNOWN"),
                };
                let x = self.bind_bool(x, ctx, what)?;
                (
                    Expr::IsBool {
                        expr: Box::new(x),
                        value,
                        negated,
                    },
                    DataType::Bool,
                )
            }
            E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => {
                let (l, r, _) = self.bind_pair(a, b, ctx, "=")?;
                let negated = matches!(e, E::IsNotDistinctFrom(..));
                (
                    Expr::IsDistinct {
                        left: Box::new(l),
                        right: Box::new(r),
                        negated,
                    },
                    DataType::Bool,
                )
            }
            E::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let (x, lo, _) = self.bind_pair(expr, low, ctx, ">=")?;
                let (x2, hi, _) = self.bind_pair(expr, high, ctx, "<=")?;
                let cmp =
                    |op, a: Expr, b: Expr| Box::new(Expr::Compare(op, Box::new(a), Box::new(b)));
                if *negated {
                    (
                        Expr::Or(cmp(CmpOp::Lt, x, lo), cmp(CmpOp::Gt, x2, hi)),
                        DataType::Bool,
                    )
                } else {
                    (
                        Expr::And(cmp(CmpOp::GtEq, x, lo), cmp(CmpOp::LtEq, x2, hi)),
                        DataType::Bool,
                    )
                }
            }
            E::Like { .. }
            | E::ILike { .. }
            | E::SimilarTo { .. }
            | E::Substring { .. }
            | E::Trim { .. }
            | E::Position { .. }
            | E::Ceil { .. }
            | E::Floor { .. }
            | E::Overlay { .. }
            | E::Collate { .. } => self.bind_special(e, ctx)?,
            E::In {
                expr,
                target: ast::InTarget::List(list),
                negated,
                ..
            } => {
                if let Some(r) = self.bind_row_in_list(expr, list, *negated, ctx) {
                    return r;
                }
                let (x, xt) = self.bind_expr(expr, ctx)?;
                let mut t = xt;
                let mut items = Vec::new();
                for item in list {
                    let (ie, it) = self.bind_expr(item, ctx)?;
                    t = DataType::unify(t, it).ok_or_else(|| {
                        Error::UndefinedFunction(format!(
                            "operator does not exist: {} = {}",
                            t.name(),
                            it.name()
                        ))
                    })?;
                    items.push((ie, it));
                }
                if t == DataType::Unknown {
                    t = DataType::Text;
                }
                let x = self.coerce(x, xt, t)?;
                let list = items
                    .into_iter()
                    .map(|(ie, it)| self.coerce(ie, it, t))
                    .collect::<Result<_>>()?;
                (
                    Expr::InList {
                        expr: Box::new(x),
                        list,
                        negated: *negated,
                    },
                    DataType::Bool,
                )
            }
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.bind_case(operand.as_deref(), conditions, else_result.as_deref(), ctx)?,
            E::Cast {
                kind: ast::CastKind::Cast | ast::CastKind::DoubleColon,
                expr,
                data_type: ast::DataType::Interval { fields, precision },
                format: None,
            } if fields.is_some() || precision.is_some() => {
                self.interval_cast(expr, fields.as_ref(), *precision, ctx)?
            }
            E::Cast {
                kind: ast::CastKind::Cast | ast::CastKind::DoubleColon,
                expr,
                data_type,
                format: None,
            } => {
                let to = DataType::from_sql(data_type)?;
                if let (E::Array(a), DataType::Array(_)) = (expr.as_ref(), to)
                    && a.elem.is_empty()
                {
                    let empty = Value::Array(Box::new(crate::types::Array::empty()));
                    return Ok((Expr::Literal(empty), to));
                }
                let (x, from) = self.bind_expr(expr, ctx)?;
                if let Expr::Param(i) = x
                    && from == DataType::Unknown
                {
                    self.params[i] = Some(to);
                    return Ok((x, to));
                }
                if !cast::can_cast(from, to) {
                    return Err(Error::CannotCoerce(format!(
                        "cannot cast type {} to {}",
                        from.name(),
                        to.name()
                    )));
                }
                let domain = crate::ddl::domains::named(data_type);
                match x {
                    Expr::Literal(v) => {
                        let v = cast::cast(v, from, to, true)?;
                        if let Some(d) = domain
                            && let Some(c) =
                                crate::ddl::domains::Checker::new(self.catalog.clone(), d)?
                        {
                            c.check(&v)?;
                        }
                        (Expr::Literal(v), to)
                    }
                    x => {
                        let cast = if from == to {
                            x
                        } else {
                            Expr::Cast {
                                expr: Box::new(x),
                                from,
                                to,
                                explicit: true,
                            }
                        };
                        match domain {
                            Some(d) => (Expr::Call(Function::DomainCheck(d), vec![cast]), to),
                            None => (cast, to),
                        }
                    }
                }
            }
            E::Function(f) => self.bind_function(f, ctx)?,
            E::Subquery(q) => self.bind_subquery_expr(q, SubqueryUse::Scalar, ctx)?,
            E::Exists { subquery, negated } => {
                self.bind_subquery_expr(subquery, SubqueryUse::Exists { negated: *negated }, ctx)?
            }
            E::In {
                expr,
                target: ast::InTarget::Subquery(q),
                negated,
                ..
            } => self.bind_subquery_expr(
                q,
                SubqueryUse::Quantified {
                    lhs: expr,
                    op: &ast::BinaryOperator::Eq,
                    all: false,
                    negated: *negated,
                },
                ctx,
            )?,
            E::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | E::AllOp {
                left,
                compare_op,
                right,
            } if matches!(right.as_ref(), E::Subquery(_)) => {
                let E::Subquery(q) = right.as_ref() else {
                    unreachable!("matched above")
                };
                let all = matches!(e, E::AllOp { .. });
                self.bind_subquery_expr(
                    q,
                    SubqueryUse::Quantified {
                        lhs: left,
                        op: compare_op,
                        all,
                        negated: false,
                    },
                    ctx,
                )?
            }
            other => match self.bind_typed_syntax(other, ctx) {
                Some(r) => r?,
                None => {
                    return Err(Error::unsupported(format!(
                        "expression {other} is not supported yet"
                    )));
                }
            },
        })
    }

    /// SQL's parameterless functions that sqlparser reads as names (`current_schema`, ...),
    /// or `err` for any other unknown name.
    fn bind_parameterless(&mut self, id: &ast::Ident, err: Error) -> Result<(Expr, DataType)> {
        let name = ident(id);
        if id.quote_style.is_some()
            || !["current_schema", "current_catalog", "current_role"].contains(&name.as_str())
        {
            return Err(err);
        }
        if name == "current_schema" {
            let (f, t) = crate::expr::catalog_functions::CatalogFn::resolve("current_schema", 0)
                .expect("current_schema is a catalog function");
            Ok((Expr::Call(Function::Catalog(f), vec![]), t))
        } else {
            self.bind_call(&name, vec![])
        }
    }

    /// A PL/pgSQL variable's `$n` whose name is also a column in scope: 42702, or the
    /// column under `#variable_conflict use_column` (`plpgsql/conflict.rs`).
    fn variable_or_column(
        &mut self,
        v: &ast::Value,
        ctx: &mut ExprCtx,
    ) -> Result<Option<(Expr, DataType)>> {
        use crate::plpgsql::conflict::{Conflict, ambiguous, variable};
        let ast::Value::Placeholder(p) = v else {
            return Ok(None);
        };
        let Some(i) = p.strip_prefix('$').and_then(|d| d.parse::<usize>().ok()) else {
            return Ok(None);
        };
        let Some((name, conflict)) = i.checked_sub(1).and_then(variable) else {
            return Ok(None);
        };
        if conflict == Conflict::UseVariable {
            return Ok(None);
        }
        match self.resolve_column(ctx.scope, None, &name) {
            Ok(column) if conflict == Conflict::UseColumn => Ok(Some(column)),
            Ok(_) => Err(ambiguous(&name)),
            Err(_) => Ok(None),
        }
    }

    fn bind_value(&mut self, v: &ast::Value) -> Result<(Expr, DataType)> {
        Ok(match v {
            ast::Value::Number(n, _) => return number_literal(n),
            ast::Value::SingleQuotedString(s)
            | ast::Value::EscapedStringLiteral(s)
            | ast::Value::NationalStringLiteral(s) => {
                (Expr::Literal(Value::Text(s.clone())), DataType::Unknown)
            }
            ast::Value::DollarQuotedString(d) => (
                Expr::Literal(Value::Text(d.value.clone())),
                DataType::Unknown,
            ),
            ast::Value::Boolean(b) => (Expr::Literal(Value::Bool(*b)), DataType::Bool),
            ast::Value::Null => (Expr::Literal(Value::Null), DataType::Unknown),
            ast::Value::Placeholder(p) => {
                let n: usize = p
                    .strip_prefix('$')
                    .and_then(|d| d.parse().ok())
                    .filter(|n| (1..=65535).contains(n))
                    .ok_or_else(|| {
                        Error::SyntaxError(format!("syntax error at or near \"{p}\""))
                    })?;
                if self.params.len() < n {
                    self.params.resize(n, None);
                }
                let ty = self.params[n - 1].unwrap_or(DataType::Unknown);
                (Expr::Param(n - 1), ty)
            }
            other => {
                return Err(Error::unsupported(format!(
                    "literal {other} is not supported yet"
                )));
            }
        })
    }

    fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        otherwise: Option<&ast::Expr>,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let mut whens = Vec::new();
        let mut results = Vec::new();
        for c in conditions {
            let cond = match operand {
                Some(op) => {
                    let (a, b, _) = self.bind_pair(op, &c.condition, ctx, "=")?;
                    Expr::Compare(CmpOp::Eq, Box::new(a), Box::new(b))
                }
                None => self.bind_bool(&c.condition, ctx, "CASE/WHEN")?,
            };
            whens.push(cond);
            results.push(self.bind_expr(&c.result, ctx)?);
        }
        let otherwise = otherwise.map(|e| self.bind_expr(e, ctx)).transpose()?;
        let mut t = DataType::Unknown;
        for (_, rt) in results.iter().chain(otherwise.iter()) {
            t = DataType::unify(t, *rt).ok_or_else(|| {
                Error::DatatypeMismatch(format!(
                    "CASE types {} and {} cannot be matched",
                    t.name(),
                    rt.name()
                ))
            })?;
        }
        if t == DataType::Unknown {
            t = DataType::Text;
        }
        let mut pairs = Vec::new();
        for (cond, (re, rt)) in whens.into_iter().zip(results) {
            pairs.push((cond, self.coerce(re, rt, t)?));
        }
        let otherwise = match otherwise {
            Some((e, et)) => Some(Box::new(self.coerce(e, et, t)?)),
            None => None,
        };
        Ok((
            Expr::Case {
                whens: pairs,
                otherwise,
            },
            t,
        ))
    }
}

/// The text of a numeric literal under any parentheses and signs (`-(-5)` is `5`).
fn signed_number(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::Number(n, _),
            ..
        }) => Some(n.clone()),
        ast::Expr::Nested(x)
        | ast::Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr: x,
        } => signed_number(x),
        ast::Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: x,
        } => signed_number(x).map(|n| negate_number(&n)),
        _ => None,
    }
}

fn negate_number(n: &str) -> String {
    match n.strip_prefix('-') {
        Some(positive) => positive.to_string(),
        None => format!("-{n}"),
    }
}

/// Types a numeric literal as PostgreSQL does: int4 if it fits, else int8, else (a
/// fraction, an exponent, or more digits) numeric.
fn number_literal(n: &str) -> Result<(Expr, DataType)> {
    if let Ok(i) = n.parse::<i64>() {
        let t = if i32::try_from(i).is_ok() {
            DataType::Int4
        } else {
            DataType::Int8
        };
        return Ok((Expr::Literal(Value::Int(i)), t));
    }
    let v = crate::types::Numeric::parse(n).map_err(|e| match e {
        Error::InvalidTextRepresentation(_) => {
            Error::SyntaxError(format!("syntax error at or near \"{n}\""))
        }
        other => other,
    })?;
    Ok((Expr::Literal(Value::numeric(v)), DataType::Numeric(None)))
}

/// Whether the expression reads any input column.
pub fn references_columns(e: &Expr) -> bool {
    e.references_columns()
}
