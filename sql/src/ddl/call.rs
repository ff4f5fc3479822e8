//! `CALL name(args)`: runs a procedure ([`FunctionDef::procedure`]).
//!
//! The procedure is chosen as PostgreSQL chooses: by name (in the search path), by the
//! arguments given positionally and by name (`name => value`), missing trailing ones taken
//! from DEFAULTs, and by the arguments' types (equal, `unknown` for a bare literal, or
//! implicitly castable; the candidate with the most exact matches wins). A call's
//! arguments cover every parameter, OUT ones included (PostgreSQL 14+). A function found
//! instead is 42809 `f(integer) is not a procedure`; none is 42883, both with PostgreSQL's
//! HINT.
//!
//! The arguments are evaluated once, cast to the parameter types, by one `SELECT` in the
//! caller's statement (its `$n` parameters bound). A PL/pgSQL body is interpreted
//! ([`crate::plpgsql::call::procedure`]); a SQL body's statements run one after the other
//! ([`crate::plpgsql::sql_routine`]), each a new statement of the transaction, with the
//! parameters' names (and `procedure.name`) bound as `$n`. With OUT / INOUT
//! parameters CALL returns one row of them (a SQL body: its last statement's first row).

use super::Ddl;
use crate::binder::{OutputColumn, ident};
use crate::expr::pg_functions::all_parameters;
use crate::result::StatementResult;
use crate::storage::{FunctionDef, Oid};
use crate::types::DataType;
use crate::{Error, Result, Value};
use sqlparser::ast;
use std::ops::ControlFlow;

/// One argument of the call: its name (`name => value`), expression text and type.
#[derive(Debug)]
struct Arg {
    name: Option<String>,
    text: String,
    ty: DataType,
}

/// One parameter a call supplies: the IN / INOUT ones, and a procedure's OUT ones.
struct Param {
    mode: char,
    name: Option<String>,
    ty: DataType,
    default: Option<String>,
}

/// The parameters a call of `f` gives arguments for, in order.
fn call_parameters(f: &FunctionDef) -> Vec<Param> {
    let mut defaults = f.args.iter().map(|a| a.default.clone());
    all_parameters(f)
        .into_iter()
        .filter(|(m, _, _)| *m == 'i' || *m == 'b' || (*m == 'o' && f.procedure))
        .map(|(mode, name, ty)| Param {
            mode,
            name,
            ty,
            default: if mode == 'o' {
                None
            } else {
                defaults.next().flatten()
            },
        })
        .collect()
}

/// An error with PostgreSQL's SQLSTATE, message and HINT.
fn raised(code: &'static str, message: String, hint: &str) -> Error {
    Error::Raised(Box::new(crate::error::Raised {
        code,
        message,
        detail: None,
        hint: Some(hint.into()),
    }))
}

/// `name(integer, b => text)`: a call's signature in PostgreSQL's messages.
fn signature(name: &str, args: &[Arg]) -> String {
    let types: Vec<String> = args
        .iter()
        .map(|a| match &a.name {
            Some(n) => format!("{n} => {}", a.ty.name()),
            None => a.ty.name().to_string(),
        })
        .collect();
    format!("{name}({})", types.join(", "))
}

/// For each parameter of `params`, the index of the argument given for it (`None`: its
/// DEFAULT); `None` when `args` do not fit.
fn fit(params: &[Param], args: &[Arg]) -> Option<Vec<Option<usize>>> {
    let mut given: Vec<Option<usize>> = vec![None; params.len()];
    for (i, a) in args.iter().enumerate() {
        let at = match &a.name {
            None if i < params.len() => i,
            None => return None,
            Some(n) => params.iter().position(|p| p.name.as_deref() == Some(n))?,
        };
        if given[at].is_some() {
            return None;
        }
        given[at] = Some(i);
    }
    for (p, g) in params.iter().zip(&given) {
        if g.is_none() && p.default.is_none() {
            return None;
        }
    }
    Some(given)
}

/// How well `args` fit `params` as `given` places them: the number of exact type matches,
/// or `None` when an argument does not convert implicitly.
fn score(params: &[Param], args: &[Arg], given: &[Option<usize>]) -> Option<usize> {
    let mut exact = 0;
    for (p, g) in params.iter().zip(given) {
        let Some(i) = g else { continue };
        let (from, to) = (args[*i].ty.without_typmod(), p.ty.without_typmod());
        if from == to {
            exact += 1;
        } else if from != DataType::Unknown && !crate::types::coerce::can_implicit(from, to) {
            return None;
        }
    }
    Some(exact)
}

/// The call's arguments with their types: a bare string literal or NULL is `unknown`, any
/// other expression is bound (in the caller's scope, with its parameters) for its type.
fn arguments(ddl: &Ddl, f: &ast::Function) -> Result<Vec<Arg>> {
    let list = match &f.args {
        ast::FunctionArguments::List(l) => l.args.as_slice(),
        ast::FunctionArguments::None => {
            return Err(Error::SyntaxError("syntax error at end of input".into()));
        }
        ast::FunctionArguments::Subquery(_) => {
            return Err(Error::SyntaxError(
                "syntax error at or near \"SELECT\"".into(),
            ));
        }
    };
    let mut out = Vec::new();
    // the arguments whose type binding tells
    let mut typed = Vec::new();
    for a in list {
        let (name, e) = match a {
            ast::FunctionArg::Named { name, arg, .. } => (Some(ident(name)), arg),
            ast::FunctionArg::ExprNamed {
                name: ast::Expr::Identifier(name),
                arg,
                ..
            } => (Some(ident(name)), arg),
            ast::FunctionArg::Unnamed(arg) => (None, arg),
            ast::FunctionArg::ExprNamed { name, .. } => {
                return Err(Error::SyntaxError(format!(
                    "syntax error at or near \"{name}\""
                )));
            }
        };
        let ast::FunctionArgExpr::Expr(e) = e else {
            return Err(Error::SyntaxError("syntax error at or near \"*\"".into()));
        };
        let unknown = matches!(e, ast::Expr::Value(v) if matches!(v.value,
            ast::Value::SingleQuotedString(_) | ast::Value::Null));
        if !unknown {
            typed.push(out.len());
        }
        out.push(Arg {
            name,
            text: e.to_string(),
            ty: DataType::Unknown,
        });
    }
    if !typed.is_empty() {
        let list: Vec<String> = typed
            .iter()
            .map(|&i| format!("({})", out[i].text))
            .collect();
        let (columns, _) = bind(ddl, &format!("SELECT {}", list.join(", ")))?;
        for (&i, c) in typed.iter().zip(columns) {
            out[i].ty = c.data_type;
        }
    }
    Ok(out)
}

/// `text` (a query) bound in the caller's scope: its columns and plan.
fn bind(ddl: &Ddl, text: &str) -> Result<(Vec<OutputColumn>, crate::planner::Plan)> {
    let mut stmts = crate::parse::statements(text)?;
    let Some(ast::Statement::Query(q)) = stmts.pop() else {
        return Err(Error::Internal("CALL's arguments did not parse".into()));
    };
    let mut b = ddl.binder()?;
    b.params = (0..ddl.params.len())
        .map(|i| ddl.param_types.get(i).copied())
        .collect();
    let (plan, columns) = b.bind_query(&q)?;
    let catalog = ddl.catalog()?;
    crate::privilege::check(&catalog, &crate::privilege::current(&catalog), &b.needs)?;
    Ok((columns, plan))
}

/// A routine a call fits: its parameters, and the argument given for each ([`fit`]).
struct Fit<'c> {
    def: &'c FunctionDef,
    params: Vec<Param>,
    given: Vec<Option<usize>>,
}

/// The routine `name` with `args` calls: the best fit, in the search path's order.
fn resolve<'c>(
    catalog: &'c crate::storage::Catalog,
    schemas: &[Oid],
    name: &str,
    args: &[Arg],
) -> Option<Fit<'c>> {
    let mut best: Option<((usize, usize), Fit<'c>)> = None;
    for f in &catalog.functions {
        let Some(rank) = schemas.iter().position(|s| *s == f.schema) else {
            continue;
        };
        if f.name != name {
            continue;
        }
        let params = call_parameters(f);
        let Some(given) = fit(&params, args) else {
            continue;
        };
        let Some(exact) = score(&params, args, &given) else {
            continue;
        };
        // more exact matches first, then the earlier schema
        let key = (usize::MAX - exact, rank);
        if best.as_ref().is_none_or(|(k, _)| key < *k) {
            best = Some((
                key,
                Fit {
                    def: f,
                    params,
                    given,
                },
            ));
        }
    }
    best.map(|(_, fit)| fit)
}

/// CALL name(args).
pub fn execute(ddl: &mut Ddl, f: &ast::Function) -> Result<StatementResult> {
    let (schema, name) = crate::binder::split_name(&f.name)?;
    let args = arguments(ddl, f)?;
    let catalog = ddl.catalog()?;
    let schemas: Vec<Oid> = match &schema {
        Some(s) => catalog
            .schema(s)
            .map(|s| vec![s.oid])
            .ok_or_else(|| crate::storage::catalog::undefined_schema(s))?,
        None => ddl.search_path.clone(),
    };
    let Some(Fit { def, params, given }) = resolve(&catalog, &schemas, &name, &args) else {
        return Err(raised(
            "42883",
            format!("procedure {} does not exist", signature(&name, &args)),
            "No procedure matches the given name and argument types. You might need to add explicit type casts.",
        ));
    };
    if !def.procedure {
        return Err(raised(
            "42809",
            format!("{} is not a procedure", signature(&name, &args)),
            "To call a function, use SELECT.",
        ));
    }
    let def = def.clone();
    // Every parameter's value, cast to its type, by one SELECT.
    let values: Vec<String> = params
        .iter()
        .zip(&given)
        .map(|(p, g)| {
            let value = match g {
                Some(i) => args[*i].text.clone(),
                None => p.default.clone().unwrap_or_else(|| "NULL".into()),
            };
            format!(
                "CAST(({value}) AS {})",
                crate::storage::catalog::type_text::text(&p.ty)
            )
        })
        .collect();
    let row = if values.is_empty() {
        Vec::new()
    } else {
        let (_, plan) = bind(ddl, &format!("SELECT {}", values.join(", ")))?;
        ddl.run(plan)?.into_iter().next().unwrap_or_default()
    };
    let inputs: Vec<Value> = params
        .iter()
        .zip(row)
        .filter(|(p, _)| p.mode != 'o')
        .map(|(_, v)| v)
        .collect();
    let outputs = if def.language.as_deref() == Some("plpgsql") {
        crate::plpgsql::call::procedure(&mut *ddl.txn, &def, inputs)?
    } else {
        crate::plpgsql::sql_routine::procedure(&mut *ddl.txn, &def, inputs)?
    };
    // after the body, whose own CALLs note theirs
    crate::plpgsql::call::note_out_arguments(
        params
            .iter()
            .zip(&given)
            .filter(|(p, _)| p.mode != 'i')
            .map(|(_, g)| *g)
            .collect(),
    );
    if def.table_columns.is_empty() {
        return Ok(StatementResult::command("CALL"));
    }
    Ok(StatementResult {
        tag: "CALL".into(),
        columns: Some(
            def.table_columns
                .iter()
                .map(|c| OutputColumn {
                    name: c.name.clone(),
                    data_type: c.data_type,
                })
                .collect(),
        ),
        rows: vec![outputs],
        notices: Vec::new(),
    })
}

/// A prepared `CALL` (extended protocol Parse): its parameters' types — a `$n` given as an
/// argument takes its parameter's type, any other `declared` or `text` — and its result
/// columns (the OUT / INOUT parameters), for the procedure the call's name and argument
/// count choose.
pub fn describe(
    catalog: &crate::storage::Catalog,
    search_path: &[Oid],
    f: &ast::Function,
    declared: &[Option<DataType>],
) -> Result<(Vec<DataType>, Option<Vec<OutputColumn>>)> {
    let (schema, name) = crate::binder::split_name(&f.name)?;
    let list = match &f.args {
        ast::FunctionArguments::List(l) => l.args.as_slice(),
        _ => &[],
    };
    let mut args = Vec::new();
    let mut placeholders: Vec<Option<usize>> = Vec::new();
    let mut highest = declared.len();
    for a in list {
        let (name, e) = match a {
            ast::FunctionArg::Named { name, arg, .. } => (Some(ident(name)), arg),
            ast::FunctionArg::ExprNamed {
                name: ast::Expr::Identifier(name),
                arg,
                ..
            } => (Some(ident(name)), arg),
            ast::FunctionArg::Unnamed(arg) | ast::FunctionArg::ExprNamed { arg, .. } => (None, arg),
        };
        let mut direct = None;
        if let ast::FunctionArgExpr::Expr(e) = e {
            let _ = ast::visit_expressions(e, |x| {
                if let ast::Expr::Value(v) = x
                    && let ast::Value::Placeholder(p) = &v.value
                    && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
                {
                    highest = highest.max(n);
                    if std::ptr::eq(x, e) {
                        direct = Some(n - 1);
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        }
        placeholders.push(direct);
        args.push(Arg {
            name,
            text: String::new(),
            ty: DataType::Unknown,
        });
    }
    let mut types: Vec<DataType> = (0..highest)
        .map(|i| declared.get(i).copied().flatten().unwrap_or(DataType::Text))
        .collect();
    let schemas: Vec<Oid> = match &schema {
        Some(s) => catalog.schema(s).map(|s| s.oid).into_iter().collect(),
        None => search_path.to_vec(),
    };
    let Some(fit) = resolve(catalog, &schemas, &name, &args) else {
        return Ok((types, None));
    };
    for (p, g) in fit.params.iter().zip(&fit.given) {
        if let Some(Some(k)) = g.map(|i| placeholders[i])
            && declared.get(k).copied().flatten().is_none()
        {
            types[k] = p.ty;
        }
    }
    let columns = (fit.def.procedure && !fit.def.table_columns.is_empty()).then(|| {
        fit.def
            .table_columns
            .iter()
            .map(|c| OutputColumn {
                name: c.name.clone(),
                data_type: c.data_type,
            })
            .collect()
    });
    Ok((types, columns))
}
