//! Function calls and the expression forms that are calls in disguise: `f(args)` resolved
//! through [`Function::resolve`] (window and aggregate calls go to `window.rs` /
//! `aggregate.rs`); COALESCE, NULLIF, GREATEST / LEAST with PostgreSQL's common-type rule;
//! the SQL-standard syntaxes `substring(x FROM a FOR b)` (and its regular-expression forms),
//! `trim(BOTH 'x' FROM y)`, `position(a IN b)`, `overlay(...)`, `ceil`, `floor`; LIKE /
//! ILIKE / SIMILAR TO with ESCAPE; the regex operators `~ ~* !~ !~*` and `~~`-style LIKE
//! operators; and COLLATE, accepted for the collations Strata compares by (`C`, `POSIX`,
//! `default`) and otherwise 42704.

use super::aggregate::function_args;
use super::expr::{ExprCtx, VOLATILE_FUNCTIONS};
use super::set_op::common_type_of;
use super::walk::{function_name, is_aggregate_call, is_grouping_call};
use super::{Binder, ident};
use crate::expr::functions::TrimSide;
use crate::expr::{Expr, Function};
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;

/// The depth of a `SEARCH BREADTH FIRST` sequence value (its first field), for the
/// recursive term [`super::search_cycle`] writes.
pub(super) const SEARCH_DEPTH: &str = "__strata_search_depth";

impl Binder {
    pub(super) fn bind_function(
        &mut self,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let name = function_name(f);
        if VOLATILE_FUNCTIONS.contains(&name.as_str()) {
            self.mark_volatile();
        }
        if is_grouping_call(f) {
            return self.bind_grouping(f, ctx);
        }
        if name == crate::parse::subscript_assign::MARKER {
            return self.bind_subscript_assign(f, ctx);
        }
        if name == SEARCH_DEPTH
            && let ast::FunctionArguments::List(list) = &f.args
            && let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))] =
                list.args.as_slice()
        {
            let (x, _) = self.bind_expr(arg, ctx)?;
            return Ok((Expr::Call(Function::Field(0), vec![x]), DataType::Int8));
        }
        if f.over.is_some() {
            return self.bind_window_call(f, ctx);
        }
        if is_aggregate_call(f) {
            return self.bind_aggregate(f, ctx);
        }
        if let Some(items) = super::record::row_items(&ast::Expr::Function(f.clone())) {
            return self.bind_row(&items, ctx);
        }
        // Aggregate and window calls rewrite theirs in `bind_agg_call`.
        if let Some(rewritten) = super::whole_row::rewrite(f, ctx) {
            return self.bind_function(&rewritten, ctx);
        }
        if f.filter.is_some() {
            return Err(Error::WrongObjectType(format!(
                "FILTER specified, but {name} is not an aggregate function"
            )));
        }
        if let ast::FunctionArguments::Subquery(q) = &f.args {
            if name != "array" {
                return Err(Error::SyntaxError(format!(
                    "syntax error at or near \"{name}\""
                )));
            }
            return self.bind_subquery_expr(q, super::subquery::SubqueryUse::Array, ctx);
        }
        if let Some(bound) = self.bind_catalog_call(&name, f, ctx)? {
            return Ok(bound);
        }
        if let Some(call) = self.positional_call(&name, f, ctx)? {
            return self.bind_function(&call, ctx);
        }
        let mut args = Vec::new();
        for a in function_args(f) {
            match a {
                ast::FunctionArgExpr::Expr(x) => args.push(self.bind_expr(x, ctx)?),
                _ => {
                    return Err(Error::SyntaxError(format!(
                        "syntax error in call of {name}"
                    )));
                }
            }
        }
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let bound = if self.extension_hidden(&name, f) {
            Err(crate::expr::functions::undefined(&name, &types))
        } else {
            self.bind_call(&name, args)
        };
        match bound {
            Err(Error::UndefinedFunction(m)) => match self.bind_user_call(f, Some(&types), ctx)? {
                Some(bound) => Ok(bound),
                None if window_only(&name, types.len()) => Err(Error::WrongObjectType(format!(
                    "window function {name} requires an OVER clause"
                ))),
                None => Err(Error::UndefinedFunction(as_written(m, &name, f))),
            },
            r => r,
        }
    }

    /// Whether `name` is a function of an extension that is not installed where the call
    /// `f` can see it (see [`crate::ddl::extension::callable`]).
    fn extension_hidden(&self, name: &str, f: &ast::Function) -> bool {
        let Some(extension) = crate::expr::extension_fns::extension_of(name) else {
            return false;
        };
        let qualifier = match f.name.0.as_slice() {
            [.., ast::ObjectNamePart::Identifier(s), _] => Some(ident(s)),
            _ => None,
        };
        !crate::ddl::extension::callable(
            &self.catalog,
            extension,
            qualifier.as_deref(),
            &self.search_path,
        )
    }

    /// A call of `name` over bound arguments.
    pub(super) fn bind_call(
        &mut self,
        name: &str,
        args: Vec<(Expr, DataType)>,
    ) -> Result<(Expr, DataType)> {
        match name {
            "coalesce" | "greatest" | "least" => {
                if args.is_empty() {
                    return Err(Error::SyntaxError("syntax error at or near \")\"".into()));
                }
                let context = name.to_uppercase();
                let t = resolved(common_type_of(args.iter().map(|(_, t)| *t), &context)?);
                let items = args
                    .into_iter()
                    .map(|(e, et)| self.coerce(e, et, t))
                    .collect::<Result<Vec<_>>>()?;
                return Ok(match name {
                    "coalesce" => (Expr::Coalesce(items), t),
                    "greatest" => (Expr::Call(Function::Greatest, items), t),
                    _ => (Expr::Call(Function::Least, items), t),
                });
            }
            "nullif" => {
                let mut it = args.into_iter();
                let (Some((a, at)), Some((b, bt)), None) = (it.next(), it.next(), it.next()) else {
                    return Err(Error::UndefinedFunction(
                        "function nullif with these arguments does not exist".into(),
                    ));
                };
                let t = resolved(super::binary::operand_type(at, "=", bt)?);
                let (a, b) = (self.coerce(a, at, t)?, self.coerce(b, bt, t)?);
                return Ok((Expr::Call(Function::NullIf, vec![a, b]), t));
            }
            _ => {}
        }
        if crate::expr::set_fns::NAMES.contains(&name) {
            return self.bind_set_call(name, args);
        }
        self.call_bound(name, args)
    }

    /// The SQL-standard call syntaxes and the pattern-matching forms (see the module docs).
    pub(super) fn bind_special(
        &mut self,
        e: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        use ast::Expr as E;
        match e {
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.bind_expr(expr, ctx)?];
                let from = match substring_from {
                    Some(f) => self.bind_expr(f, ctx)?,
                    None => (Expr::Literal(Value::Int(1)), DataType::Int4),
                };
                let pattern = from.1.is_string();
                args.push(from);
                if let Some(f) = substring_for {
                    args.push(self.bind_expr(f, ctx)?);
                }
                let func = match (pattern, args.len()) {
                    (true, 2) => Function::SubstrRegex,
                    (true, _) => Function::SubstrSimilar,
                    (false, _) => return self.bind_call("substr", args),
                };
                self.fixed_call(func, args, DataType::Text)
            }
            E::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let side = match trim_where {
                    Some(ast::TrimWhereField::Leading) => TrimSide::Leading,
                    Some(ast::TrimWhereField::Trailing) => TrimSide::Trailing,
                    _ => TrimSide::Both,
                };
                let mut args = vec![self.bind_expr(expr, ctx)?];
                if let Some(w) = trim_what {
                    args.push(self.bind_expr(w, ctx)?);
                }
                for c in trim_characters.iter().flatten() {
                    args.push(self.bind_expr(c, ctx)?);
                }
                let name = match side {
                    TrimSide::Both => "btrim",
                    TrimSide::Leading => "ltrim",
                    TrimSide::Trailing => "rtrim",
                };
                self.bind_call(name, args)
            }
            E::Position { expr, r#in } => {
                let args = vec![self.bind_expr(r#in, ctx)?, self.bind_expr(expr, ctx)?];
                self.bind_call("strpos", args)
            }
            E::Ceil { expr, field } | E::Floor { expr, field } => {
                if !matches!(
                    field,
                    ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime)
                ) {
                    return Err(Error::unsupported(format!("{e} is not supported")));
                }
                let name = if matches!(e, E::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                let arg = self.bind_expr(expr, ctx)?;
                self.bind_call(name, vec![arg])
            }
            E::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut args = vec![
                    self.bind_expr(expr, ctx)?,
                    self.bind_expr(overlay_what, ctx)?,
                    self.bind_expr(overlay_from, ctx)?,
                ];
                if let Some(f) = overlay_for {
                    args.push(self.bind_expr(f, ctx)?);
                }
                self.bind_call("overlay", args)
            }
            // `x [NOT] [I]LIKE ANY (array)`; sqlparser reads `LIKE ALL (array)` as a call of
            // a function `all`.
            E::Like {
                negated,
                any: true,
                expr,
                pattern,
                escape_char: None,
            }
            | E::ILike {
                negated,
                any: true,
                expr,
                pattern,
                escape_char: None,
            } => {
                let op = like_operator(matches!(e, E::ILike { .. }), *negated);
                let inner = match pattern.as_ref() {
                    E::Nested(inner) => inner.as_ref(),
                    other => other,
                };
                self.bind_quantified(expr, &op, inner, false, ctx)
            }
            E::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            }
            | E::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } if quantifier_all(pattern).is_some() => {
                let op = like_operator(matches!(e, E::ILike { .. }), *negated);
                let inner = quantifier_all(pattern).unwrap_or(pattern);
                self.bind_quantified(expr, &op, inner, true, ctx)
            }
            E::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            }
            | E::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => {
                let ci = matches!(e, E::ILike { .. });
                let op = if ci { "~~*" } else { "~~" };
                let func = Function::Like {
                    case_insensitive: ci,
                };
                self.bind_match(
                    func,
                    op,
                    expr,
                    pattern,
                    escape_char.as_deref(),
                    *negated,
                    ctx,
                )
            }
            E::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => self.bind_match(
                Function::SimilarTo,
                "~",
                expr,
                pattern,
                escape_char.as_deref(),
                *negated,
                ctx,
            ),
            E::Collate { expr, collation } => {
                let name = collation
                    .0
                    .iter()
                    .map(|p| match p {
                        ast::ObjectNamePart::Identifier(i) => ident(i),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>();
                let known = matches!(
                    name.iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .as_slice(),
                    ["C" | "POSIX" | "default" | "ucs_basic"]
                        | ["pg_catalog", "C" | "POSIX" | "default" | "ucs_basic"]
                );
                if !known {
                    return Err(Error::UndefinedObject(format!(
                        "collation \"{}\" for encoding \"UTF8\" does not exist",
                        name.join(".")
                    )));
                }
                let (x, t) = self.bind_expr(expr, ctx)?;
                if !t.is_string() {
                    return Err(Error::DatatypeMismatch(format!(
                        "collations are not supported by type {}",
                        t.name()
                    )));
                }
                Ok((x, t))
            }
            other => Err(Error::unsupported(format!(
                "expression {other} is not supported yet"
            ))),
        }
    }

    /// `expr [NOT] LIKE / SIMILAR TO pattern [ESCAPE escape]` as a call of `func`.
    #[allow(clippy::too_many_arguments)]
    fn bind_match(
        &mut self,
        func: Function,
        op: &str,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        negated: bool,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let l = self.bind_expr(expr, ctx)?;
        let r = self.bind_expr(pattern, ctx)?;
        let mut args = self.text_operands(l, op, r)?;
        if let Some(esc) = escape {
            let (x, t) = self.bind_expr(esc, ctx)?;
            args.push(self.coerce(x, t, DataType::Text)?);
        }
        let call = Expr::Call(func, args);
        Ok((
            if negated {
                Expr::Not(Box::new(call))
            } else {
                call
            },
            DataType::Bool,
        ))
    }

    /// The operands of a text-matching operator `op`, coerced to text (42883 unless both
    /// are strings).
    pub(super) fn text_operands(
        &mut self,
        (l, lt): (Expr, DataType),
        op: &str,
        (r, rt): (Expr, DataType),
    ) -> Result<Vec<Expr>> {
        if !lt.is_string() || !rt.is_string() {
            return Err(Error::UndefinedFunction(format!(
                "operator does not exist: {} {op} {}",
                lt.name(),
                rt.name()
            )));
        }
        Ok(vec![
            self.coerce(l, lt, DataType::Text)?,
            self.coerce(r, rt, DataType::Text)?,
        ])
    }

    /// A call of a function whose signature is fixed by the syntax.
    fn fixed_call(
        &mut self,
        func: Function,
        args: Vec<(Expr, DataType)>,
        ty: DataType,
    ) -> Result<(Expr, DataType)> {
        let args = args
            .into_iter()
            .map(|(e, t)| self.coerce(e, t, DataType::Text))
            .collect::<Result<_>>()?;
        Ok((Expr::Call(func, args), ty))
    }
}

fn resolved(t: DataType) -> DataType {
    super::subquery::resolved(t)
}

/// An unknown function's message naming it as written (`pg_catalog.f(integer)`), as
/// PostgreSQL's does.
fn as_written(message: String, name: &str, f: &ast::Function) -> String {
    let prefix = format!("function {name}(");
    match message.strip_prefix(&prefix) {
        Some(rest) if f.name.0.len() > 1 => {
            let written = f
                .name
                .0
                .iter()
                .map(|p| match p {
                    ast::ObjectNamePart::Identifier(i) => super::ident(i),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".");
            format!("function {written}({rest}")
        }
        _ => message,
    }
}

/// Whether `name` with `arity` arguments is a window function that is not an aggregate
/// (called without OVER, PostgreSQL says it needs one).
fn window_only(name: &str, arity: usize) -> bool {
    match name {
        "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" => arity == 0,
        "ntile" | "first_value" | "last_value" => arity == 1,
        "lag" | "lead" => (1..=3).contains(&arity),
        "nth_value" => arity == 2,
        _ => false,
    }
}

/// The operator of `[NOT] [I]LIKE`, for `LIKE ANY / ALL (array)`.
fn like_operator(case_insensitive: bool, negated: bool) -> ast::BinaryOperator {
    use ast::BinaryOperator as B;
    match (case_insensitive, negated) {
        (false, false) => B::PGLikeMatch,
        (true, false) => B::PGILikeMatch,
        (false, true) => B::PGNotLikeMatch,
        (true, true) => B::PGNotILikeMatch,
    }
}

/// The argument of `ALL (x)` as sqlparser reads a LIKE pattern `ALL (x)`: a call of `all`.
fn quantifier_all(pattern: &ast::Expr) -> Option<&ast::Expr> {
    let ast::Expr::Function(f) = pattern else {
        return None;
    };
    if !f.name.to_string().eq_ignore_ascii_case("all") {
        return None;
    }
    match &f.args {
        ast::FunctionArguments::List(l) if l.args.len() == 1 => match &l.args[0] {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        },
        _ => None,
    }
}
