//! The select list: `*` and `t.*` expanded to the columns of the FROM scope, `(x).*` to the
//! fields of composite value `x`, each item with its output name (an alias, or
//! PostgreSQL's FigureColname — see [`super::select`]).

use super::select::column_name;
use super::{Binder, Scope, ident};
use crate::{Error, Result};
use sqlparser::ast;
use std::borrow::Cow;

impl Binder {
    /// The select list's expressions with their output names. Expressions are borrowed, not
    /// cloned: cloning a deep AST would recurse as deep as the AST.
    pub(super) fn expand_select_items<'a>(
        &mut self,
        projection: &'a [ast::SelectItem],
        scope: &Scope,
    ) -> Result<Vec<(Cow<'a, ast::Expr>, String)>> {
        let mut items: Vec<(Cow<'a, ast::Expr>, String)> = Vec::new();
        for item in projection {
            match item {
                ast::SelectItem::UnnamedExpr(ast::Expr::CompoundFieldAccess {
                    root,
                    access_chain,
                }) if matches!(
                    access_chain.last(),
                    Some(ast::AccessExpr::Dot(ast::Expr::Wildcard(_)))
                ) =>
                {
                    let prefix = &access_chain[..access_chain.len() - 1];
                    items.extend(self.expand_fields(root, prefix, scope)?);
                }
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
                        // Qualified, so a name present in several joined tables still binds;
                        // a name twice in one table (`unnest(a, b)`) by position.
                        let twice = scope
                            .columns
                            .iter()
                            .filter(|d| d.table == c.table && d.name == c.name)
                            .count()
                            > 1;
                        let parts = vec![
                            ast::Ident::with_quote('"', c.table.clone().unwrap_or_default()),
                            ast::Ident::with_quote('"', c.name.clone()),
                        ];
                        let e = match &c.table {
                            _ if twice => {
                                let at = scope
                                    .columns
                                    .iter()
                                    .position(|d| std::ptr::eq(d, c))
                                    .expect("c is one of the scope's columns");
                                ast::Expr::Identifier(ast::Ident::with_quote(
                                    '"',
                                    super::positional_name(at),
                                ))
                            }
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

    /// `(x).*`: one item `(x).f` per field of `x`'s composite type.
    fn expand_fields<'a>(
        &mut self,
        root: &ast::Expr,
        prefix: &[ast::AccessExpr],
        scope: &Scope,
    ) -> Result<Vec<(Cow<'a, ast::Expr>, String)>> {
        let base = if prefix.is_empty() {
            root.clone()
        } else {
            ast::Expr::CompoundFieldAccess {
                root: Box::new(root.clone()),
                access_chain: prefix.to_vec(),
            }
        };
        let mut ctx = super::expr::ExprCtx::plain(scope, "SELECT");
        let (_, t) = self.bind_expr(&base, &mut ctx)?;
        let crate::types::DataType::Composite(oid) = t else {
            return Err(Error::WrongObjectType(format!(
                "type {} is not composite",
                t.name()
            )));
        };
        let ty = crate::types::record::fields_of(oid)?;
        Ok(ty
            .fields
            .iter()
            .map(|(name, _)| {
                let mut chain = prefix.to_vec();
                chain.push(ast::AccessExpr::Dot(ast::Expr::Identifier(
                    ast::Ident::with_quote('"', name.clone()),
                )));
                let e = ast::Expr::CompoundFieldAccess {
                    root: Box::new(root.clone()),
                    access_chain: chain,
                };
                (Cow::Owned(e), name.clone())
            })
            .collect())
    }
}
