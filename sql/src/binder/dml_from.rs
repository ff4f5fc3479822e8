//! `UPDATE ... FROM` and `DELETE ... USING`, bound as the correlated forms PostgreSQL's join
//! means for them:
//!
//! * `UPDATE t SET c = v FROM f WHERE w` updates the rows of `t` for which some row of `f`
//!   satisfies `w`: the WHERE becomes `EXISTS (SELECT 1 FROM f WHERE w)`, and a SET value
//!   that reads `f` becomes `(SELECT v FROM f WHERE w LIMIT 1)` — one matching row, as
//!   PostgreSQL takes one (which one is unspecified there too when several match).
//! * `DELETE FROM t USING u WHERE w` deletes the rows of `t` for which
//!   `EXISTS (SELECT 1 FROM u WHERE w)`.
//!
//! The planner turns the EXISTS into a semi join, so the target is still read once. A SET
//! value or WHERE term naming only the target's columns keeps reading the target row.
//! A RETURNING expression that names `f` becomes such a subquery too (`RETURNING *` is the
//! target's columns only; PostgreSQL's also has `f`'s).

use crate::{Error, Result};
use sqlparser::ast;

/// The `FROM` / `USING` list and condition as SQL text, for the subqueries.
struct Source {
    from: String,
    condition: String,
}

impl Source {
    fn new(tables: &[ast::TableWithJoins], selection: Option<&ast::Expr>) -> Source {
        let from = tables
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let condition = selection.map(|w| format!(" WHERE {w}")).unwrap_or_default();
        Source { from, condition }
    }

    fn exists(&self) -> Result<ast::Expr> {
        crate::parse::expression(&format!(
            "EXISTS (SELECT 1 FROM {}{})",
            self.from, self.condition
        ))
    }

    fn value(&self, v: &ast::Expr) -> Result<ast::Expr> {
        crate::parse::expression(&format!(
            "(SELECT {v} FROM {}{} LIMIT 1)",
            self.from, self.condition
        ))
    }
}

/// The name a target table is referred to by (its alias, else its name).
fn target_names(t: &ast::TableWithJoins) -> Vec<String> {
    match &t.relation {
        ast::TableFactor::Table { name, alias, .. } => {
            let mut names = vec![];
            if let Some(a) = alias {
                names.push(crate::binder::ident(&a.name));
            } else if let Some(ast::ObjectNamePart::Identifier(last)) = name.0.last() {
                names.push(crate::binder::ident(last));
            }
            names
        }
        _ => Vec::new(),
    }
}

/// Whether `v` reads anything but the target's own columns (`columns`, qualified by one of
/// `target`): then it must be evaluated against the FROM list.
fn reads_source(v: &ast::Expr, target: &[String], columns: &[String]) -> bool {
    use std::ops::ControlFlow;
    let found = ast::visit_expressions(v, |e| match e {
        ast::Expr::Identifier(i) if !columns.contains(&crate::binder::ident(i)) => {
            ControlFlow::Break(())
        }
        ast::Expr::CompoundIdentifier(parts)
            if parts.len() >= 2
                && !target.contains(&crate::binder::ident(&parts[parts.len() - 2])) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    found.is_break()
}

/// `u` with its FROM list folded into its WHERE clause and SET values (`u.from` is set).
pub fn update_from(u: &ast::Update, columns: &[String]) -> Result<ast::Update> {
    let tables = match &u.from {
        Some(ast::UpdateTableFromKind::AfterSet(t)) => t,
        _ => {
            return Err(Error::unsupported(
                "UPDATE FROM before SET is not PostgreSQL syntax",
            ));
        }
    };
    let source = Source::new(tables, u.selection.as_ref());
    let target = target_names(&u.table);
    let mut out = u.clone();
    out.from = None;
    out.selection = Some(source.exists()?);
    for a in &mut out.assignments {
        if reads_source(&a.value, &target, columns) {
            a.value = source.value(&a.value)?;
        }
    }
    if let Some(items) = &mut out.returning {
        returning_from(items, &source, &target, columns)?;
    }
    Ok(out)
}

/// `items` with each RETURNING expression that reads the FROM / USING list evaluated
/// against it (under the name it would have had).
fn returning_from(
    items: &mut [ast::SelectItem],
    source: &Source,
    target: &[String],
    columns: &[String],
) -> Result<()> {
    for item in items {
        match item {
            ast::SelectItem::UnnamedExpr(e) if reads_source(e, target, columns) => {
                let alias = ast::Ident::with_quote('"', super::select::column_name(e));
                *item = ast::SelectItem::ExprWithAlias {
                    expr: source.value(e)?,
                    alias,
                };
            }
            ast::SelectItem::ExprWithAlias { expr, .. } if reads_source(expr, target, columns) => {
                *expr = source.value(expr)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// `d` with its USING list folded into its WHERE clause (`d.using` is set).
pub fn delete_using(d: &ast::Delete, columns: &[String]) -> Result<ast::Delete> {
    let tables = d.using.as_deref().unwrap_or_default();
    let source = Source::new(tables, d.selection.as_ref());
    let mut out = d.clone();
    out.using = None;
    out.selection = Some(source.exists()?);
    let from = match &d.from {
        ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
    };
    if let (Some(items), [t]) = (&mut out.returning, from.as_slice()) {
        returning_from(items, &source, &target_names(t), columns)?;
    }
    Ok(out)
}
