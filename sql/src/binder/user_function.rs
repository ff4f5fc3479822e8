//! Calls of SQL functions (`CREATE FUNCTION ... LANGUAGE sql`, [`FunctionDef`]), inlined.
//!
//! A call is expanded in the syntax tree and the expansion is bound in the caller's place:
//! the body's parameters — `$n`, a parameter's name, or `function.name` — become the call's
//! arguments cast to the parameter types (`CAST((arg) AS type)`), missing trailing arguments
//! their DEFAULTs. A body that is a bare `SELECT expr` becomes that expression (cast to the
//! result type; `CASE WHEN arg IS NULL ... THEN NULL` around it for a STRICT function); any
//! other body becomes a scalar subquery of its first row (`(SELECT * FROM (body) LIMIT 1)`),
//! correlated through the arguments like any subquery. In FROM, a function's body is a
//! derived table named after the function, its columns those of `RETURNS TABLE (...)` or the
//! function's name (PostgreSQL's naming); a column definition list (`AS t(a int, b text)`)
//! names every column of a function returning `record`. In an expression, a function of
//! several OUT parameters is `ROW(...)` of its first row's values cast to their types. A
//! set-returning SQL function in a select list is refused (0A000).
//!
//! PL/pgSQL functions are not inlined: a call is `Function::Routine`, and a set-returning one
//! is `SetFn::Routine` under a `ProjectSet` (in FROM over one empty row, lateral through the
//! usual machinery; in a select list a function of several columns yields one record per
//! row), which runs the body once per call and yields its collected rows.
//!
//! Known differences from PostgreSQL: an argument used twice in the body is evaluated twice;
//! a parameter name in the body is replaced even where a column of the same name exists
//! (PostgreSQL prefers the column); overloads are chosen among those whose arguments
//! convert implicitly, by the most exact argument types, then by the search path; user
//! functions are looked up only when no built-in function matches.

use super::{Binder, ExprCtx, ident};
use crate::expr::Expr;
use crate::storage::catalog::type_text;
use crate::storage::{FunctionDef, Oid};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::cell::Cell;
use std::ops::ControlFlow;

thread_local! {
    /// Nesting of expansions (a function calling itself would expand forever).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Calls of `def` run its body as a routine rather than expanding it in place: what
/// [`FunctionDef::runs_as_routine`] says, `void` SQL functions, those returning a row type
/// (their rows are records of its fields), and SQL bodies that are not
/// one query (several statements, or data-changing ones), which PostgreSQL does not inline
/// either.
fn runs_as_routine(def: &FunctionDef) -> bool {
    def.runs_as_routine()
        || def.pseudo_return.is_some()
        || (matches!(def.returns, DataType::Composite(_)) && def.table_columns.is_empty())
        || crate::parse::statements(&def.body).map_or(true, |s| {
            !matches!(s.as_slice(), [ast::Statement::Query(_)])
        })
}

/// The FROM item of `text`, a `SELECT * FROM <item>` the binder wrote.
fn from_factor(text: &str) -> Result<Option<ast::TableFactor>> {
    let mut stmts = crate::parse::statements(text)?;
    let Some(ast::Statement::Query(q)) = stmts.pop() else {
        return Err(Error::Internal("expanded function did not parse".into()));
    };
    let ast::SetExpr::Select(s) = *q.body else {
        return Err(Error::Internal("expanded function did not parse".into()));
    };
    Ok(s.from.into_iter().next().map(|t| t.relation))
}

/// A call in FROM of a function returning a row type (not a set): one row of its fields
/// (NULLs when it returns none), named after them, as PostgreSQL expands it. `None` for
/// any other function.
fn row_type_factor(
    def: &FunctionDef,
    alias: Option<&ast::TableAlias>,
    args: &[String],
) -> Result<Option<ast::TableFactor>> {
    let fields = match def.returns {
        DataType::Composite(oid) if def.table_columns.is_empty() && !def.returns_set => {
            crate::types::record::lookup(oid).map(|r| r.fields.clone())
        }
        _ => None,
    };
    let Some(fields) = fields else {
        return Ok(None);
    };
    let quote = crate::expr::catalog_functions::quote_ident;
    let table = alias.map_or_else(|| def.name.clone(), |a| ident(&a.name));
    let given: Vec<String> = alias
        .map(|a| a.columns.iter().map(|c| ident(&c.name)).collect())
        .unwrap_or_default();
    let columns: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let shown = given.get(i).unwrap_or(name);
            format!("(__r.__v).{} AS {}", quote(name), quote(shown))
        })
        .collect();
    from_factor(&format!(
        "SELECT * FROM (SELECT {} FROM (SELECT {}({}) AS __v) AS __r) AS {}",
        columns.join(", "),
        quote(&def.name),
        args.join(", "),
        quote(&table)
    ))
}

/// Expansions nested deeper than this fail with 54001, as PostgreSQL's stack depth limit.
const MAX_DEPTH: usize = 64;

fn parse_expr(text: &str) -> Result<ast::Expr> {
    crate::parse::expression(text)
}

/// The SQL text of parameter `i`'s value: the call's argument (or the parameter's DEFAULT)
/// cast to the parameter's type.
fn argument(def: &FunctionDef, args: &[String], i: usize) -> Result<String> {
    let a = def
        .args
        .get(i)
        .ok_or_else(|| Error::UndefinedParameter(format!("there is no parameter ${}", i + 1)))?;
    let value = match args.get(i) {
        Some(v) => v.clone(),
        None => a.default.clone().unwrap_or_else(|| "NULL".into()),
    };
    Ok(format!(
        "CAST(({value}) AS {})",
        type_text::text(&a.data_type)
    ))
}

/// `(SELECT arg1, ...) AS __strata_args(a1, ...)`: the arguments evaluated once, in the
/// caller's scope, for a body with its own FROM to read as `__strata_args.aN` (so a name in
/// an argument never resolves to the body's tables).
fn arguments_table(def: &FunctionDef, args: &[String]) -> Result<String> {
    if def.args.is_empty() {
        return Ok("(SELECT 1) AS __strata_args(a0)".into());
    }
    let values: Vec<String> = (0..def.args.len())
        .map(|i| argument(def, args, i))
        .collect::<Result<_>>()?;
    let names: Vec<String> = (1..=def.args.len()).map(|i| format!("a{i}")).collect();
    Ok(format!(
        "(SELECT {}) AS __strata_args({})",
        values.join(", "),
        names.join(", ")
    ))
}

/// The body with parameters replaced by `replacement(i)` (SQL text of an expression).
fn substituted(
    def: &FunctionDef,
    replacement: impl Fn(usize) -> Result<String>,
) -> Result<ast::Query> {
    let mut stmts = crate::parse::statements(&def.body)?;
    let Some(ast::Statement::Query(mut q)) = stmts.pop() else {
        return Err(Error::unsupported(
            "a SQL function body must be a single query in Strata",
        ));
    };
    if def.args.is_empty() {
        return Ok(*q);
    }
    let replacement = |i: usize| -> Result<ast::Expr> {
        if i >= def.args.len() {
            return Err(Error::UndefinedParameter(format!(
                "there is no parameter ${}",
                i + 1
            )));
        }
        parse_expr(&replacement(i)?)
    };
    let position = |name: &str| {
        def.args
            .iter()
            .position(|a| a.name.as_deref() == Some(name))
    };
    super::walk::try_rewrite_expressions(&mut *q, |e| {
        let i = match e {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Placeholder(p) => p
                    .strip_prefix('$')
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(1)),
                _ => None,
            },
            ast::Expr::Identifier(id) => position(&ident(id)),
            ast::Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                if ident(&parts[0]) == def.name {
                    position(&ident(&parts[1]))
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(i) = i {
            *e = ast::Expr::Nested(Box::new(replacement(i)?));
        }
        Ok(())
    })?;
    Ok(*q)
}

/// `SELECT expr` with nothing else (and no subquery inside): the expression.
fn bare_expression(q: &ast::Query) -> Option<&ast::Expr> {
    if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() {
        return None;
    }
    let ast::SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    if !s.from.is_empty()
        || s.selection.is_some()
        || s.having.is_some()
        || s.distinct.is_some()
        || !matches!(&s.group_by, ast::GroupByExpr::Expressions(g, _) if g.is_empty())
    {
        return None;
    }
    let e = match s.projection.as_slice() {
        [ast::SelectItem::UnnamedExpr(e)] | [ast::SelectItem::ExprWithAlias { expr: e, .. }] => e,
        _ => return None,
    };
    /// Stops at the first query inside an expression.
    struct FindsQuery;
    impl ast::Visitor for FindsQuery {
        type Break = ();
        fn pre_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    use ast::Visit;
    e.visit(&mut FindsQuery).is_continue().then_some(e)
}

/// The body as a query over `__strata_args` (see [`arguments_table`]).
fn body_over_arguments(def: &FunctionDef) -> Result<ast::Query> {
    substituted(def, |i| Ok(format!("__strata_args.a{}", i + 1)))
}

/// The SQL text of a call's argument.
fn function_arg_text(a: &ast::FunctionArg) -> String {
    match a {
        ast::FunctionArg::Unnamed(x) => x.to_string(),
        ast::FunctionArg::Named { arg, .. } | ast::FunctionArg::ExprNamed { arg, .. } => {
            arg.to_string()
        }
    }
}

/// Runs `f` one expansion level deeper.
fn nested<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let d = DEPTH.with(|d| d.get());
    if d >= MAX_DEPTH {
        return Err(Error::ProgramLimitExceeded(
            "stack depth limit exceeded".into(),
        ));
    }
    DEPTH.with(|c| c.set(d + 1));
    let r = f();
    DEPTH.with(|c| c.set(d));
    r
}

impl Binder {
    /// The SQL functions `name` (possibly qualified) may call with `n` arguments of types
    /// `types` (when known), best first.
    fn user_functions(
        &self,
        name: &ast::ObjectName,
        n: usize,
        types: Option<&[DataType]>,
    ) -> Result<Vec<FunctionDef>> {
        if self.catalog.functions.is_empty() {
            return Ok(Vec::new());
        }
        let (schema, fname) = super::split_name(name)?;
        let schemas: Vec<Oid> = match &schema {
            Some(s) => self.catalog.schema(s).map(|s| s.oid).into_iter().collect(),
            None => self.search_path.clone(),
        };
        // (exact matches, literals to strings, position in the path, the function)
        let mut found: Vec<(usize, usize, usize, FunctionDef)> = Vec::new();
        for f in &self.catalog.functions {
            let Some(rank) = schemas.iter().position(|s| *s == f.schema) else {
                continue;
            };
            let required = f.args.iter().filter(|a| a.default.is_none()).count();
            if f.name != fname || n < required || n > f.args.len() {
                continue;
            }
            // With the arguments' types known: each must be the parameter's, unknown (a
            // bare literal) or implicitly castable to it; the most exact matches win.
            // A bare literal prefers a string parameter (PostgreSQL's preference for the
            // string category of an unknown argument).
            let (mut exact, mut strings) = (0, 0);
            if let Some(t) = types {
                let fits = t.iter().zip(&f.args).all(|(t, a)| {
                    let (from, to) = (t.without_typmod(), a.data_type.without_typmod());
                    if from == to {
                        exact += 1;
                    }
                    if from == DataType::Unknown && to.is_string() {
                        strings += 1;
                    }
                    from == to
                        || from == DataType::Unknown
                        || crate::types::coerce::can_implicit(from, to)
                });
                if !fits {
                    continue;
                }
            }
            found.push((exact, strings, rank, f.clone()));
        }
        found.sort_by_key(|(exact, strings, rank, _)| {
            (
                std::cmp::Reverse(*exact),
                std::cmp::Reverse(*strings),
                *rank,
            )
        });
        Ok(found.into_iter().map(|(.., f)| f).collect())
    }

    /// A call of a SQL function in an expression, bound; `None` when no SQL function has
    /// that name and arity.
    pub(super) fn bind_user_call(
        &mut self,
        f: &ast::Function,
        types: Option<&[DataType]>,
        ctx: &mut ExprCtx,
    ) -> Result<Option<(Expr, DataType)>> {
        let args: Vec<String> = super::aggregate::function_args(f)
            .into_iter()
            .map(|a| a.to_string())
            .collect();
        let Some(def) = self
            .user_functions(&f.name, args.len(), types)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        if def.procedure {
            let shown: Vec<String> = match types {
                Some(t) => t.iter().map(|t| t.name().to_string()).collect(),
                None => Vec::new(),
            };
            return Err(Error::Raised(Box::new(crate::error::Raised {
                code: "42809",
                message: format!("{}({}) is a procedure", def.name, shown.join(", ")),
                detail: None,
                hint: Some("To call a procedure, use CALL.".into()),
            })));
        }
        let routine = runs_as_routine(&def);
        if def.returns_set && routine {
            let (mut f, bound) = self.routine_set_call(&def, &args, ctx)?;
            let several = def.returns_record()
                || (def.table_columns.is_empty() && matches!(def.returns, DataType::Composite(_)));
            if let crate::expr::set_fns::SetFn::Routine { record, .. } = &mut f {
                *record = several;
            }
            let ret = match def.table_columns.as_slice() {
                [] => def.returns,
                [one] => one.data_type,
                _ => DataType::Record,
            };
            let params: Vec<DataType> = def.args.iter().map(|a| a.data_type).collect();
            let bound = bound.into_iter().zip(params.iter().copied()).collect();
            return self
                .push_set_call(&def.name, f, &params, bound, ret)
                .map(Some);
        }
        if def.returns_set {
            return Err(Error::unsupported(format!(
                "set-returning function {}() is supported only in FROM",
                def.name
            )));
        }
        if routine {
            return self.bind_routine_call(&def, &args, ctx).map(Some);
        }
        if def.returns_record() && def.table_columns.is_empty() {
            return Err(Error::unsupported(format!(
                "SQL function {}() returning record is supported only in FROM",
                def.name
            )));
        }
        let result = type_text::text(&def.returns);
        let inner = if def.returns_record() {
            // Several OUT parameters: the first row as a record of them.
            let names: Vec<String> = (0..def.table_columns.len())
                .map(|i| format!("__c{i}"))
                .collect();
            let fields: Vec<String> = def
                .table_columns
                .iter()
                .zip(&names)
                .map(|(c, n)| format!("CAST({n} AS {})", type_text::text(&c.data_type)))
                .collect();
            format!(
                "(SELECT (SELECT ROW({}) FROM ({}) AS __f({}) LIMIT 1) FROM {})",
                fields.join(", "),
                body_over_arguments(&def)?,
                names.join(", "),
                arguments_table(&def, &args)?
            )
        } else {
            let q = substituted(&def, |i| argument(&def, &args, i))?;
            match bare_expression(&q) {
                Some(e) => format!("CAST(({e}) AS {result})"),
                None => format!(
                    "CAST((SELECT (SELECT * FROM ({}) AS __f LIMIT 1) FROM {}) AS {result})",
                    body_over_arguments(&def)?,
                    arguments_table(&def, &args)?
                ),
            }
        };
        let text = if def.strict && !args.is_empty() {
            let tests: Vec<String> = args.iter().map(|a| format!("({a}) IS NULL")).collect();
            let null = if def.returns_record() {
                "NULL".to_string()
            } else {
                format!("CAST(NULL AS {result})")
            };
            format!(
                "CASE WHEN {} THEN {null} ELSE {inner} END",
                tests.join(" OR ")
            )
        } else {
            inner
        };
        let e = parse_expr(&text)?;
        nested(|| self.bind_expr(&e, ctx)).map(Some)
    }

    /// The columns of the record user function call `f` returns (several OUT parameters
    /// or `RETURNS TABLE` columns), if it names such a function.
    pub(super) fn record_columns_of_call(
        &self,
        f: &ast::Function,
    ) -> Option<Vec<(String, DataType)>> {
        let n = super::aggregate::function_args(f).len();
        let def = self
            .user_functions(&f.name, n, None)
            .ok()?
            .into_iter()
            .next()?;
        def.returns_record().then(|| {
            def.table_columns
                .iter()
                .map(|c| (c.name.clone(), c.data_type))
                .collect()
        })
    }

    /// A call of PL/pgSQL function `def`: `Function::Routine` over the arguments cast to
    /// the parameter types (missing trailing ones their DEFAULTs).
    fn bind_routine_call(
        &mut self,
        def: &FunctionDef,
        args: &[String],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        if def.pseudo_return.as_deref() == Some("trigger") {
            return Err(Error::FeatureNotSupported(
                "trigger functions can only be called as triggers".into(),
            ));
        }
        let bound = self.routine_arguments(def, args, ctx)?;
        let f = crate::expr::functions::Function::Routine {
            oid: def.oid,
            strict: def.strict,
        };
        Ok((Expr::Call(f, bound), def.returns))
    }

    /// The arguments of a PL/pgSQL call of `def`, bound (missing trailing ones their
    /// DEFAULTs); a volatile function makes the statement volatile.
    fn routine_arguments(
        &mut self,
        def: &FunctionDef,
        args: &[String],
        ctx: &mut ExprCtx,
    ) -> Result<Vec<Expr>> {
        let mut bound = Vec::new();
        for i in 0..def.args.len() {
            let e = parse_expr(&argument(def, args, i)?)?;
            bound.push(self.bind_expr(&e, ctx)?.0);
        }
        if def.volatility == 'v' {
            self.mark_volatile();
        }
        Ok(bound)
    }

    /// A call of set-returning PL/pgSQL function `def`: its set function and the arguments
    /// cast to the parameter types (missing trailing ones their DEFAULTs).
    fn routine_set_call(
        &mut self,
        def: &FunctionDef,
        args: &[String],
        ctx: &mut ExprCtx,
    ) -> Result<(crate::expr::set_fns::SetFn, Vec<Expr>)> {
        let bound = self.routine_arguments(def, args, ctx)?;
        let width = def.table_columns.len().max(1);
        let width =
            u16::try_from(width).map_err(|_| Error::unsupported("too many result columns"))?;
        let f = crate::expr::set_fns::SetFn::Routine {
            oid: def.oid,
            strict: def.strict,
            width,
            record: false,
            columns: None,
        };
        Ok((f, bound))
    }

    /// The user function a call in FROM names (by name and argument count), with its
    /// arguments' SQL text.
    pub(super) fn function_in_from(
        &self,
        name: &ast::ObjectName,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<(FunctionDef, Vec<String>)>> {
        let args: Vec<String> = args.args.iter().map(function_arg_text).collect();
        Ok(self
            .user_functions(name, args.len(), None)?
            .into_iter()
            .next()
            .map(|def| (def, args)))
    }

    /// A set-returning PL/pgSQL function in FROM: a `ProjectSet` over one empty row that
    /// calls it once, its columns those of `RETURNS TABLE (...)` or one named after the
    /// function (or the alias); `None` when no such function has that name and arity.
    pub(super) fn bind_routine_factor(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<(crate::planner::Plan, super::Scope)>> {
        let Some((def, args)) = self.function_in_from(name, args)? else {
            return Ok(None);
        };
        if !runs_as_routine(&def) || !(def.returns_set || def.has_out_params()) {
            return Ok(None);
        }
        let coldef = match alias {
            Some(a) if a.columns.iter().any(|c| c.data_type.is_some()) => {
                let mut out = Vec::with_capacity(a.columns.len());
                for c in &a.columns {
                    let Some(t) = &c.data_type else {
                        return Err(Error::SyntaxError(
                            "a column definition list must give every column a type".into(),
                        ));
                    };
                    out.push((ident(&c.name), DataType::from_sql(t)?));
                }
                Some(out)
            }
            _ => None,
        };
        let record = def.returns == DataType::Record && def.table_columns.is_empty();
        let fields = match (def.returns, coldef.as_ref()) {
            (_, Some(_)) if !record => {
                return Err(Error::SyntaxError(
                    "a column definition list is only allowed for functions returning \"record\""
                        .into(),
                ));
            }
            (_, Some(c)) => c.clone(),
            _ if record => {
                return Err(Error::SyntaxError(
                    "a column definition list is required for functions returning \"record\""
                        .into(),
                ));
            }
            (DataType::Composite(oid), _) if def.table_columns.is_empty() => {
                crate::types::record::fields_of(oid)?.fields
            }
            _ => def
                .table_columns
                .iter()
                .map(|c| (c.name.clone(), c.data_type))
                .collect(),
        };
        let scope = super::Scope::default();
        let (mut f, bound) =
            self.routine_set_call(&def, &args, &mut ExprCtx::plain(&scope, "FROM"))?;
        if let crate::expr::set_fns::SetFn::Routine { width, columns, .. } = &mut f {
            *width = u16::try_from(fields.len().max(1))
                .map_err(|_| Error::unsupported("too many result columns"))?;
            *columns = coldef.map(|c| c.iter().map(|(_, t)| *t).collect());
        }
        let mut functions = vec![(f, bound)];
        let table = alias.map_or_else(|| def.name.clone(), |a| ident(&a.name));
        let mut columns: Vec<(String, DataType)> = if fields.is_empty() {
            let n = match alias {
                Some(a) if a.columns.is_empty() => table.clone(),
                _ => def.name.clone(),
            };
            vec![(n, def.returns)]
        } else {
            fields
        };
        if std::mem::take(&mut self.ordinality) {
            functions.push((crate::expr::set_fns::SetFn::Ordinality, Vec::new()));
            columns.push(("ordinality".into(), DataType::Int8));
        }
        if let Some(a) = alias {
            if a.columns.len() > columns.len() {
                return Err(Error::InvalidColumnReference(format!(
                    "table \"{}\" has {} columns available but {} columns specified",
                    table,
                    columns.len(),
                    a.columns.len()
                )));
            }
            for (c, n) in columns.iter_mut().zip(&a.columns) {
                c.0 = ident(&n.name);
            }
        }
        let mut scope = super::from::generated_scope(table, &columns);
        // A single column aliased is also the whole row (`FROM f() AS x`: `x`).
        if let [only] = scope.columns.as_mut_slice() {
            only.whole_row = alias.is_some();
        }
        let plan = crate::planner::Plan::ProjectSet {
            input: Box::new(crate::planner::Plan::Values {
                rows: vec![Vec::new()],
            }),
            functions,
        };
        Ok(Some((plan, scope)))
    }

    /// A built-in scalar function in FROM (`SELECT * FROM current_schema()`, TypeORM's
    /// first query): one row of its value, as `(SELECT f(args)) AS f(f)` — the column is
    /// named after the function, or after the alias. `None` for a set-returning function
    /// or a call that does not bind as a scalar (its error comes from the set path).
    pub(super) fn scalar_function_factor(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<ast::TableFactor>> {
        let fname = super::object_name(name)?;
        // User functions (a PL/pgSQL one with OUT parameters) are bound as routines.
        if crate::expr::set_fns::NAMES.contains(&fname.as_str())
            || name.0.len() > 1
            || self.function_in_from(name, args)?.is_some()
        {
            return Ok(None);
        }
        let quote = crate::expr::catalog_functions::quote_ident;
        let call = format!(
            "{}({})",
            quote(&fname),
            args.args
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let Ok(mut stmts) = crate::parse::statements(&format!("SELECT {call}")) else {
            return Ok(None);
        };
        let Some(ast::Statement::Query(q)) = stmts.pop() else {
            return Ok(None);
        };
        let ast::SetExpr::Select(s) = *q.body else {
            return Ok(None);
        };
        let Some(ast::SelectItem::UnnamedExpr(e)) = s.projection.first() else {
            return Ok(None);
        };
        let marks = crate::position::checkpoint();
        let trial = self.bind_expr(e, &mut ExprCtx::plain(&super::Scope::default(), "FROM"));
        if trial.is_err() {
            crate::position::forget_since(marks);
            return Ok(None);
        }
        let table = alias.map_or_else(|| fname.clone(), |a| ident(&a.name));
        let column = alias
            .and_then(|a| a.columns.first().map(|c| ident(&c.name)))
            .unwrap_or_else(|| table.clone());
        let text = format!(
            "SELECT * FROM (SELECT {call}) AS {}({})",
            quote(&table),
            quote(&column)
        );
        from_factor(&text)
    }

    /// A SQL function in FROM as the derived table it expands to; `None` when no SQL function
    /// has that name and arity.
    pub(super) fn user_function_factor(
        &self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<ast::TableFactor>> {
        let Some((def, args)) = self.function_in_from(name, args)? else {
            return Ok(None);
        };
        if runs_as_routine(&def) {
            if let Some(factor) = row_type_factor(&def, alias, &args)? {
                return Ok(Some(factor));
            }
            if !def.returns_set && !def.has_out_params() {
                // A scalar function in FROM: one row of its value.
                let text = format!(
                    "SELECT * FROM (SELECT {}({})) AS {}({})",
                    crate::expr::catalog_functions::quote_ident(&def.name),
                    args.join(", "),
                    crate::expr::catalog_functions::quote_ident(
                        &alias.map_or_else(|| def.name.clone(), |a| ident(&a.name))
                    ),
                    crate::expr::catalog_functions::quote_ident(
                        &alias
                            .and_then(|a| a.columns.first().map(|c| ident(&c.name)))
                            .unwrap_or_else(|| def.name.clone())
                    )
                );
                return from_factor(&text);
            }
            // bound by `bind_routine_factor` instead, as a set function
            return Ok(None);
        }
        let q = body_over_arguments(&def)?;
        let body = format!(
            "SELECT __f.* FROM {}, LATERAL ({q}) AS __f{}",
            arguments_table(&def, &args)?,
            if def.returns_set { "" } else { " LIMIT 1" }
        );
        let table = alias.map_or_else(|| def.name.clone(), |a| ident(&a.name));
        let columns: Vec<String> = if !def.table_columns.is_empty() {
            def.table_columns.iter().map(|c| c.name.clone()).collect()
        } else if alias.is_some_and(|a| a.columns.is_empty()) {
            vec![table.clone()]
        } else {
            vec![def.name.clone()]
        };
        let given: Vec<String> = alias
            .map(|a| a.columns.iter().map(|c| ident(&c.name)).collect())
            .unwrap_or_default();
        // A column definition list (`AS t(a int, b text)`, a function returning `record`)
        // names every column of the body.
        let coldef = alias.is_some_and(|a| a.columns.iter().any(|c| c.data_type.is_some()));
        let count = if coldef { given.len() } else { columns.len() };
        let names: Vec<String> = (0..count)
            .filter_map(|i| given.get(i).or_else(|| columns.get(i)))
            .map(|c| crate::expr::catalog_functions::quote_ident(c))
            .collect();
        let text = format!(
            "SELECT * FROM ({body}) AS {}({})",
            crate::expr::catalog_functions::quote_ident(&table),
            names.join(", ")
        );
        from_factor(&text)
    }

    /// Binds the factor a SQL function in FROM expands to.
    pub(super) fn nested_factor<T>(
        &mut self,
        f: impl FnOnce(&mut Binder) -> Result<T>,
    ) -> Result<T> {
        nested(|| f(self))
    }
}
