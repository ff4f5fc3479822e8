//! `LANGUAGE sql` routines run as calls rather than expanded in place: procedures (CALL),
//! and functions PostgreSQL does not inline — those with SECURITY DEFINER or `SET` clauses
//! ([`FunctionDef::runs_as_routine`]), whose body must run in their own environment
//! ([`super::routine_env`]).
//!
//! The body's statements run one after the other through the session's statement
//! machinery, each a new statement of the caller's transaction, with the parameters'
//! names (and `function.name`) bound as `$n`. The result is the last statement's: its
//! first row for a scalar function, a procedure's OUT values or a function's OUT record;
//! all its rows for a set-returning function (each value cast to the declared type).

use crate::binder::ident;
use crate::parse::Statement;
use crate::result::StatementResult;
use crate::storage::{FunctionDef, Txn};
use crate::types::DataType;
use crate::{Result, Value};
use sqlparser::ast;
use std::ops::ControlFlow;

/// Runs `def`'s SQL body with `inputs` (its IN parameters' values): the last statement's
/// result (`None` for an empty body). The caller sets up the routine's environment.
pub fn run_body(
    txn: &mut dyn Txn,
    def: &FunctionDef,
    inputs: &[Value],
) -> Result<Option<StatementResult>> {
    let types: Vec<DataType> = def.args.iter().map(|a| a.data_type).collect();
    let position = |name: &str| {
        def.args
            .iter()
            .position(|a| a.name.as_deref() == Some(name))
    };
    let mut last = None;
    super::nested(|| {
        for mut stmt in crate::parse::parse(&def.body)? {
            if let Statement::Sql(s) = &mut stmt {
                let _ = ast::visit_expressions_mut(s, |e| {
                    let at = match &*e {
                        ast::Expr::Identifier(id) => position(&ident(id)),
                        ast::Expr::CompoundIdentifier(parts)
                            if parts.len() == 2 && ident(&parts[0]) == def.name =>
                        {
                            position(&ident(&parts[1]))
                        }
                        _ => None,
                    };
                    if let Some(i) = at {
                        *e = ast::Expr::value(ast::Value::Placeholder(format!("${}", i + 1)));
                    }
                    ControlFlow::<()>::Continue(())
                });
            }
            txn.begin_statement()?;
            last = Some(crate::session::run_nested(txn, &stmt, inputs, &types)?);
        }
        Ok(())
    })?;
    Ok(last)
}

/// The last statement's rows, each value cast from its column's type to `want`'s.
fn rows_as(last: StatementResult, want: &[DataType]) -> Result<Vec<Vec<Value>>> {
    let got: Vec<DataType> = last
        .columns
        .unwrap_or_default()
        .iter()
        .map(|c| c.data_type)
        .collect();
    last.rows
        .into_iter()
        .map(|row| {
            want.iter()
                .enumerate()
                .map(|(i, t)| {
                    let v = row.get(i).cloned().unwrap_or(Value::Null);
                    super::exec::cast(v, got.get(i).copied().unwrap_or(*t), *t)
                })
                .collect()
        })
        .collect()
}

/// The types one result row has: the OUT / `RETURNS TABLE` columns, a row type's fields,
/// else the result type.
fn result_types(def: &FunctionDef) -> Vec<DataType> {
    match super::returns_of(def) {
        super::exec::Returns::Set(t) | super::exec::Returns::Out(t) => t,
        super::exec::Returns::Value(DataType::Composite(oid)) => {
            match crate::types::record::lookup(oid) {
                Some(r) => r.fields.iter().map(|(_, ty)| *ty).collect(),
                None => vec![def.returns],
            }
        }
        _ => vec![def.returns],
    }
}

/// A procedure's OUT values: the last statement's first row (NULLs without one).
pub fn procedure(txn: &mut dyn Txn, def: &FunctionDef, inputs: Vec<Value>) -> Result<Vec<Value>> {
    super::routine_env::run(def, || {
        let want: Vec<DataType> = def.table_columns.iter().map(|c| c.data_type).collect();
        let first = match run_body(txn, def, &inputs)? {
            Some(last) => rows_as(last, &want)?.into_iter().next(),
            None => None,
        };
        Ok(first.unwrap_or_else(|| vec![Value::Null; want.len()]))
    })
}

/// A scalar (or void, or OUT-record) SQL function's value for one call.
pub fn call(txn: &mut dyn Txn, def: &FunctionDef, inputs: Vec<Value>) -> Result<Value> {
    super::routine_env::run(def, || {
        let last = run_body(txn, def, &inputs)?;
        if def.pseudo_return.as_deref() == Some("void") {
            // PostgreSQL's SQL functions return a NULL void (PL/pgSQL ones an empty one)
            return Ok(Value::Null);
        }
        let want = result_types(def);
        let first = match last {
            Some(last) => rows_as(last, &want)?.into_iter().next(),
            None => None,
        };
        let Some(mut row) = first else {
            return Ok(Value::Null);
        };
        let composite = match def.returns {
            DataType::Composite(oid) if def.table_columns.is_empty() => Some(oid),
            _ => None,
        };
        if def.table_columns.len() > 1 || composite.is_some() {
            return Ok(Value::Record(Box::new(crate::types::Record {
                types: want.into(),
                values: row,
                type_oid: composite.unwrap_or(0),
            })));
        }
        Ok(row.pop().unwrap_or(Value::Null))
    })
}

/// A set-returning SQL function's rows for one call.
pub fn call_set(
    txn: &mut dyn Txn,
    def: &FunctionDef,
    inputs: Vec<Value>,
    columns: Option<&[DataType]>,
) -> Result<Vec<Vec<Value>>> {
    super::routine_env::run(def, || {
        let want = columns.map_or_else(|| result_types(def), <[DataType]>::to_vec);
        match run_body(txn, def, &inputs)? {
            Some(last) => rows_as(last, &want),
            None => Ok(Vec::new()),
        }
    })
}
