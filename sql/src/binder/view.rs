//! Views in FROM: a view is bound as a derived table over its stored query, under the
//! search path it was created with; its columns take the view's stored names. A view
//! reaching itself through others is refused (42P17), as PostgreSQL's rewriter does.

use super::{Binder, OutputColumn, Scope, ScopeColumn};
use crate::planner::Plan;
use crate::storage::ViewDef;
use crate::{Error, Result};
use sqlparser::ast;
use sqlparser::parser::Parser;

/// Parses a view's stored query text (written from the syntax tree our dialect parsed, so
/// read back with it: nested GROUPING SETS, unary minus binding as PostgreSQL's).
pub fn parse_view_query(text: &str) -> Result<ast::Query> {
    Parser::new(&crate::parse::StrataDialect::default())
        .try_with_sql(text)
        .and_then(|mut p| p.parse_query())
        .map(|q| *q)
        .map_err(|e| Error::Internal(format!("stored view query does not parse: {e}")))
}

impl Binder {
    /// The plan and scope of view `v` named in FROM (qualified by `alias` or its name).
    pub(super) fn bind_view(
        &mut self,
        v: &ViewDef,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope)> {
        if self.expanding.contains(&v.oid) {
            return Err(Error::InvalidObjectDefinition(format!(
                "infinite recursion detected in rules for relation \"{}\"",
                v.name
            )));
        }
        let q = parse_view_query(&v.query)?;
        let mut inner = Binder::new(self.catalog.clone(), Vec::new());
        inner.search_path = super::names::search_path(&self.catalog, &v.search_path.join(","), "");
        inner.expanding = self.expanding.clone();
        inner.expanding.push(v.oid);
        inner.view_owner = Some(v.owner);
        inner.whole_row_names = Some(super::null_side::whole_row_candidates(&q));
        inner.wants_ctid = super::system_columns::mentions_ctid(&q);
        let (plan, columns): (Plan, Vec<OutputColumn>) = inner.bind_query(&q)?;
        self.referenced.extend(inner.referenced);
        self.needs.extend(inner.needs);
        let table = alias
            .map(|a| super::ident(&a.name))
            .unwrap_or_else(|| v.name.clone());
        let scope = Scope {
            columns: columns
                .iter()
                .enumerate()
                .map(|(i, c)| ScopeColumn {
                    table: Some(table.clone()),
                    name: alias
                        .and_then(|a| a.columns.get(i))
                        .map(|c| super::ident(&c.name))
                        .or_else(|| v.columns.get(i).map(|vc| vc.name.clone()))
                        .unwrap_or_else(|| c.name.clone()),
                    data_type: c.data_type,
                    qualified_only: false,
                    schema: None,
                    whole_row: false,
                    system: false,
                    origin: None,
                })
                .collect(),
        };
        Ok((plan, scope))
    }
}
