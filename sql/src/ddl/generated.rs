//! Generated columns (`GENERATED ALWAYS AS (expr) STORED`): checking a generation expression
//! when a table gets one, with PostgreSQL's errors. The expression is stored as the
//! column's `default` text with `generated` set; the binder computes it on every write
//! (see `crate::binder::dml`).
//!
//! The expression may read only the row's non-generated columns (and `tableoid`), and may
//! call only immutable functions: Strata has no volatility for built-in functions, so the
//! non-immutable built-ins are listed here, and user functions use their `provolatile`.

use super::Ddl;
use crate::binder::{ExprCtx, Scope, ident};
use crate::storage::TableDef;
use crate::{Error, Result};
use sqlparser::ast;
use std::ops::ControlFlow;

/// Built-in functions that are not immutable (volatile or stable) and may appear in a
/// generation expression's text.
const NOT_IMMUTABLE: &[&str] = &[
    "random",
    "random_normal",
    "setseed",
    "now",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "nextval",
    "currval",
    "lastval",
    "setval",
    "gen_random_uuid",
    "uuid_generate_v4",
    "current_user",
    "session_user",
    "user",
    "current_role",
    "current_schema",
    "current_schemas",
    "current_database",
    "current_setting",
    "set_config",
    "pg_backend_pid",
    "txid_current",
    "inet_client_addr",
    "version",
    "age",
    "to_char",
];

const CLAUSE: &str = "column generation expressions";

/// Checks the generation expression of column `i` of `table` (whose columns are all in
/// place): it binds over the row, fits the column, and follows PostgreSQL's rules.
pub fn check(ddl: &Ddl, table: &TableDef, i: usize) -> Result<()> {
    let col = &table.columns[i];
    let text = col.default.as_deref().unwrap_or("NULL");
    let e = crate::binder::generated::parse_expr(text, table.id)?;
    let mut outcome = Ok(());
    let _ = ast::visit_expressions(&e, |x| {
        outcome = node(table, x);
        if outcome.is_err() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    outcome?;
    let mut b = ddl.binder()?;
    let scope = Scope::of_table(table, None);
    let (x, t) = b.bind_expr(&e, &mut ExprCtx::plain(&scope, CLAUSE))?;
    if !crate::types::cast::can_assign(t, col.data_type) {
        return Err(Error::WithHint {
            error: Box::new(Error::DatatypeMismatch(format!(
                "column \"{}\" is of type {} but default expression is of type {}",
                col.name,
                col.data_type.name(),
                t.name()
            ))),
            hint: "You will need to rewrite or cast the expression.".into(),
        });
    }
    b.assign(x, t, col.data_type, &col.name)?;
    let catalog = ddl.catalog()?;
    let mut mutable = false;
    let _ = ast::visit_expressions(&e, |x| {
        if let ast::Expr::Function(f) = x
            && let Some(ast::ObjectNamePart::Identifier(id)) = f.name.0.last()
        {
            let name = ident(id);
            let user = catalog
                .functions
                .iter()
                .filter(|u| u.name == name)
                .any(|u| u.volatility != 'i');
            if user || NOT_IMMUTABLE.contains(&name.as_str()) {
                mutable = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if mutable {
        return Err(Error::InvalidObjectDefinition(
            "generation expression is not immutable".into(),
        ));
    }
    Ok(())
}

/// PostgreSQL's errors for one node of a generation expression: subqueries, window
/// functions, system columns and generated columns.
fn node(table: &TableDef, x: &ast::Expr) -> Result<()> {
    let column = match x {
        ast::Expr::Subquery(_)
        | ast::Expr::Exists { .. }
        | ast::Expr::In {
            target: ast::InTarget::Subquery(_),
            ..
        } => {
            return Err(Error::unsupported(
                "cannot use subquery in column generation expression",
            ));
        }
        ast::Expr::Function(f) if f.over.is_some() => {
            return Err(Error::WindowingError(format!(
                "window functions are not allowed in {CLAUSE}"
            )));
        }
        ast::Expr::Identifier(i) => ident(i),
        ast::Expr::CompoundIdentifier(p) => match p.last() {
            Some(i) => ident(i),
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    if column != "tableoid"
        && crate::binder::system_columns::NAMES.contains(&column.as_str())
        && table.column_index(&column).is_none()
    {
        return Err(Error::InvalidColumnReference(format!(
            "cannot use system column \"{column}\" in column generation expression"
        )));
    }
    if let Some(c) = table.column_index(&column)
        && table.columns[c].generated
    {
        return Err(Error::InvalidObjectDefinitionDetail {
            message: format!(
                "cannot use generated column \"{column}\" in column generation expression"
            ),
            detail: "A generated column cannot reference another generated column.".into(),
        });
    }
    Ok(())
}

/// The generated columns of `table` whose expression reads column `name`.
pub fn readers(table: &TableDef, name: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        let Some(e) = c
            .default
            .as_deref()
            .filter(|_| c.generated)
            .and_then(|d| crate::parse::expression(d).ok())
        else {
            continue;
        };
        let reads = ast::visit_expressions(&e, |x| {
            let n = match x {
                ast::Expr::Identifier(i) => Some(ident(i)),
                ast::Expr::CompoundIdentifier(p) => p.last().map(ident),
                _ => None,
            };
            if n.as_deref() == Some(name) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_break();
        if reads {
            out.push(i);
        }
    }
    out
}
