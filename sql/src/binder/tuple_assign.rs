//! `UPDATE t SET (a, b) = (x, y)` and `SET (a, b) = (SELECT x, y ...)`: PostgreSQL's
//! multiple-column assignment, expanded here into one assignment per column before binding.
//!
//! A row constructor gives each column its own expression (`a = x, b = y`). A subquery gives
//! column `i` the scalar subquery `(SELECT c_i FROM (subquery) AS s(c_1, ..., c_n))`, so a
//! subquery of several rows is still 21000 and one of no rows assigns NULLs, as in
//! PostgreSQL (it is evaluated once per column here, once in PostgreSQL).

use crate::{Error, Result};
use sqlparser::ast;

fn count_mismatch() -> Error {
    Error::SyntaxError("number of columns does not match number of values".into())
}

/// `list` with every tuple assignment replaced by one assignment per column.
pub(super) fn expand(list: &[ast::Assignment]) -> Result<Vec<ast::Assignment>> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let ast::AssignmentTarget::Tuple(columns) = &a.target else {
            out.push(a.clone());
            continue;
        };
        let values: Vec<ast::Expr> = match &a.value {
            ast::Expr::Tuple(values) => values.clone(),
            ast::Expr::Nested(value) => vec![value.as_ref().clone()],
            ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("row") => {
                match &f.args {
                    ast::FunctionArguments::List(l) => l
                        .args
                        .iter()
                        .map(|arg| match arg {
                            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                                Ok(e.clone())
                            }
                            other => Err(Error::SyntaxError(format!(
                                "syntax error at or near \"{other}\""
                            ))),
                        })
                        .collect::<Result<_>>()?,
                    _ => Vec::new(),
                }
            }
            ast::Expr::Subquery(q) => {
                let names: Vec<String> = (1..=columns.len()).map(|i| format!("c{i}")).collect();
                let sql = |i: usize| {
                    format!(
                        "(SELECT s.\"{}\" FROM ({q}) AS s({}))",
                        names[i],
                        names
                            .iter()
                            .map(|n| format!("\"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let width = subquery_width(q);
                if width.is_some_and(|w| w != columns.len()) {
                    return Err(count_mismatch());
                }
                (0..columns.len())
                    .map(|i| crate::parse::expression(&sql(i)))
                    .collect::<Result<_>>()?
            }
            other => {
                return Err(Error::unsupported(format!(
                    "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression, not {other}"
                )));
            }
        };
        if values.len() != columns.len() {
            return Err(count_mismatch());
        }
        for (column, value) in columns.iter().zip(values) {
            out.push(ast::Assignment {
                target: ast::AssignmentTarget::ColumnName(column.clone()),
                value,
            });
        }
    }
    Ok(out)
}

/// The number of output columns of a plain `SELECT` subquery without `*`, when it is plain.
fn subquery_width(q: &ast::Query) -> Option<usize> {
    let ast::SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    let plain = s.projection.iter().all(|p| {
        matches!(
            p,
            ast::SelectItem::UnnamedExpr(_) | ast::SelectItem::ExprWithAlias { .. }
        )
    });
    plain.then_some(s.projection.len())
}
