//! The select list: `*` and `t.*` expanded to the columns of the FROM scope, each item with
//! its output name (an alias, or PostgreSQL's FigureColname — see [`super::select`]).

use super::select::column_name;
use super::{Binder, Scope, ident};
use crate::{Error, Result};
use sqlparser::ast;
use std::borrow::Cow;

impl Binder {
    /// The select list's expressions with their output names. Expressions are borrowed, not
    /// cloned: cloning a deep AST would recurse as deep as the AST.
    pub(super) fn expand_select_items<'a>(
        &self,
        projection: &'a [ast::SelectItem],
        scope: &Scope,
    ) -> Result<Vec<(Cow<'a, ast::Expr>, String)>> {
        let mut items: Vec<(Cow<'a, ast::Expr>, String)> = Vec::new();
        for item in projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => items.push((Cow::Borrowed(e), column_name(e))),
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    items.push((Cow::Borrowed(expr), ident(alias)))
                }
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    let only = match item {
                        ast::SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                            _,
                        ) => Some(super::object_name(n)?),
                        _ => None,
                    };
                    if scope.columns.is_empty() {
                        return Err(Error::SyntaxError(
                            "SELECT * with no tables specified is not valid".into(),
                        ));
                    }
                    if let Some(t) = &only
                        && !scope.columns.iter().any(|c| c.table.as_ref() == Some(t))
                    {
                        return Err(Error::MissingFromEntry(t.clone()));
                    }
                    for c in &scope.columns {
                        // `*` shows a NATURAL / USING column once; `t.*` shows all of t.
                        if (only.is_some() && c.table != only)
                            || (only.is_none() && c.qualified_only)
                            || c.system
                        {
                            continue;
                        }
                        // Qualified, so a name present in several joined tables still binds.
                        let parts = vec![
                            ast::Ident::with_quote('"', c.table.clone().unwrap_or_default()),
                            ast::Ident::with_quote('"', c.name.clone()),
                        ];
                        let e = match &c.table {
                            Some(_) => ast::Expr::CompoundIdentifier(parts),
                            None => {
                                ast::Expr::Identifier(ast::Ident::with_quote('"', c.name.clone()))
                            }
                        };
                        items.push((Cow::Owned(e), c.name.clone()));
                    }
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "select item {other} is not supported"
                    )));
                }
            }
        }
        Ok(items)
    }
}
