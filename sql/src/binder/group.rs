//! GROUP BY, resolved as PostgreSQL resolves it: a bare name is an input column if the FROM
//! scope has one, else an output column (its expression); a number is a select-list
//! position; anything else is an expression over the input. Equal expressions are grouped
//! once; aggregates are not allowed (42803).

use super::aggregate::{AggState, contains_aggregate};
use super::expr::ExprCtx;
use super::{Binder, Scope, ident};
use crate::{Error, Result};
use sqlparser::ast;
use std::borrow::Cow;

impl Binder {
    /// Binds the GROUP BY list into `agg.groups`.
    pub(super) fn bind_group_by(
        &mut self,
        group_exprs: &[ast::Expr],
        items: &[(Cow<'_, ast::Expr>, String)],
        scope: &Scope,
        agg: &mut AggState,
    ) -> Result<()> {
        for g in group_exprs {
            let target = match g {
                ast::Expr::Value(ast::ValueWithSpan {
                    value: ast::Value::Number(n, _),
                    ..
                }) => {
                    let pos: usize = n.parse().unwrap_or(0);
                    Some(
                        items
                            .get(pos.wrapping_sub(1))
                            .map(|(e, _)| e.clone())
                            .ok_or_else(|| {
                                Error::InvalidColumnReference(format!(
                                    "GROUP BY position {n} is not in select list"
                                ))
                            })?,
                    )
                }
                ast::Expr::Identifier(id) if scope.resolve(None, &ident(id)).is_err() => {
                    let name = ident(id);
                    let mut found = items.iter().filter(|(_, n)| *n == name);
                    match (found.next(), found.next()) {
                        (Some((e, _)), None) => Some(e.clone()),
                        (Some(_), Some(_)) => return Err(Error::AmbiguousColumn(name)),
                        _ => None,
                    }
                }
                _ => None,
            };
            let g: &ast::Expr = target.as_deref().unwrap_or(g);
            if contains_aggregate(g) {
                return Err(Error::GroupingError(
                    "aggregate functions are not allowed in GROUP BY".into(),
                ));
            }
            let bound = self.bind_expr(g, &mut ExprCtx::plain(scope, "GROUP BY"))?;
            if !agg.groups.iter().any(|(x, _)| *x == bound.0) {
                agg.groups.push(bound);
            }
        }
        Ok(())
    }
}
