//! `WITH` queries (CTEs), plain and RECURSIVE.
//!
//! Each CTE is bound once, where its WITH is, and gets an id; a reference to its name in
//! FROM becomes `CteScan { id }`, and the query that owns the WITH becomes
//! `With { ctes, input }`, which registers the CTEs for each evaluation. A CTE is computed
//! once per evaluation of its WITH and shared by all its readers, however many times it is
//! referenced (PostgreSQL materializes a CTE referenced more than once; one referenced once
//! it inlines, which gives the same rows). A CTE sees the CTEs defined before it in the same
//! WITH and those of enclosing queries; a name found nowhere among CTEs is a table.
//!
//! `WITH RECURSIVE` applies to a CTE whose query reads its own name. That query must be
//! `non-recursive term UNION [ALL] recursive term`; the recursive term reads the CTE's name
//! as the previous round's rows (`WorkTable`), never from within a subquery, and its
//! column types must match the non-recursive term's (PostgreSQL's errors, 42P19 / 42804).
//! The whole becomes `RecursiveUnion`.
//!
//! A CTE whose rows depend on its query level's correlation values is *correlated*: a
//! subquery below that level that reads it may not reuse its results across evaluations.

use super::subquery::resolved;
use super::walk::references_relation;
use super::{Binder, OutputColumn, Scope, ScopeColumn, ident};
use crate::planner::Plan;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;

/// A CTE visible to the query being bound.
#[derive(Debug, Clone)]
pub struct CteBinding {
    pub name: String,
    pub id: usize,
    /// The query level of its WITH.
    pub level: usize,
    pub columns: Vec<(String, DataType)>,
    /// Its rows depend on the correlation values of its level.
    pub correlated: bool,
    /// Its recursive term is being bound: references read the work table.
    pub recursing: bool,
    /// Trailing columns added by SEARCH / CYCLE clauses, which a reference from the
    /// recursive term hides from `*` ([`super::search_cycle`]).
    pub added: usize,
}

fn recursion_error(msg: String) -> Error {
    Error::InvalidRecursion(msg)
}

impl Binder {
    /// Binds a WITH clause, making its CTEs visible (the caller pops them), and returns
    /// the CTE plans for the `With` node.
    pub(super) fn bind_with(&mut self, with: &ast::With) -> Result<Vec<(usize, Arc<Plan>)>> {
        let first = self.ctes.len();
        let mut out = Vec::new();
        for cte in &with.cte_tables {
            let name = ident(&cte.alias.name);
            // A WITH of the CTE's own query that defines the name again hides it.
            let recursive = with.recursive
                && references_relation(&cte.query, &name)
                && !super::recursion_check::defines(cte.query.with.as_ref(), &name);
            let expanded;
            let (cte, added) = match &cte.from {
                None => (cte, 0),
                Some(from) => match crate::parse::search_cycle::parse(from) {
                    Some(clauses) => {
                        expanded = self.expand_search_cycle(cte, &name, recursive, &clauses?)?;
                        (&expanded.cte, expanded.added)
                    }
                    None => return Err(Error::unsupported("WITH ... FROM is not supported")),
                },
            };
            if self.ctes[first..].iter().any(|c| c.name == name) {
                return Err(Error::DuplicateAlias(format!(
                    "WITH query name \"{name}\" specified more than once"
                )));
            }
            let id = self.next_id();
            // PostgreSQL points these at the CTE's name.
            let at_name = |e: Error| {
                let msg = e.to_string();
                if msg.contains("does not have the form") || msg.contains("columns available") {
                    crate::position::note(&e, cte.alias.name.span, &cte.alias.name.value);
                }
                e
            };
            let plan = if recursive {
                self.bind_recursive_cte(cte, &name, id, added)
                    .map_err(at_name)?
            } else {
                let (plan, columns) = self.bind_query(&cte.query)?;
                let columns = alias_columns(&name, &cte.alias, &columns).map_err(at_name)?;
                let correlated = self.is_correlated_for_cte(&plan);
                self.ctes.push(CteBinding {
                    name,
                    id,
                    level: self.level(),
                    columns,
                    correlated,
                    recursing: false,
                    added,
                });
                plan
            };
            out.push((id, Arc::new(plan)));
        }
        Ok(out)
    }

    /// Whether a CTE plan's rows depend on its level's correlation values, directly or
    /// through a correlated CTE it reads.
    fn is_correlated_for_cte(&self, plan: &Plan) -> bool {
        let mut reads_correlated = false;
        crate::planner::visit::walk(plan, &mut |p| {
            if let Plan::CteScan { id } = p
                && self.ctes.iter().any(|c| c.id == *id && c.correlated)
            {
                reads_correlated = true;
            }
        });
        reads_correlated || plan.is_correlated()
    }

    fn bind_recursive_cte(
        &mut self,
        cte: &ast::Cte,
        name: &str,
        id: usize,
        added: usize,
    ) -> Result<Plan> {
        let q = &cte.query;
        let ast::SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = q.body.as_ref()
        else {
            return Err(recursion_error(format!(
                "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
            )));
        };
        super::recursion_check::check(q, name, left, right)?;
        if q.order_by.is_some() {
            return Err(Error::unsupported(
                "ORDER BY in a recursive query is not implemented",
            ));
        }
        if q.limit_clause.is_some() || q.fetch.is_some() {
            return Err(Error::unsupported(
                "LIMIT in a recursive query is not implemented",
            ));
        }
        if !q.locks.is_empty() {
            return Err(Error::unsupported(
                "FOR UPDATE/SHARE in a recursive query is not implemented",
            ));
        }
        // The query's own WITH: visible to both terms, evaluated with the recursion.
        let before = self.ctes.len();
        let inner = match &q.with {
            Some(w) => self.bind_with(w)?,
            None => Vec::new(),
        };
        let inner_ids: Vec<usize> = self.ctes[before..].iter().map(|c| c.id).collect();
        let r = self.bind_recursive_terms(cte, name, id, added, *set_quantifier, left, right);
        self.ctes.retain(|c| !inner_ids.contains(&c.id));
        let plan = r?;
        Ok(if inner.is_empty() {
            plan
        } else {
            Plan::With {
                ctes: inner,
                input: Box::new(plan),
            }
        })
    }

    /// The non-recursive and recursive terms of recursive CTE `name`, as `RecursiveUnion`.
    #[allow(clippy::too_many_arguments)]
    fn bind_recursive_terms(
        &mut self,
        cte: &ast::Cte,
        name: &str,
        id: usize,
        added: usize,
        set_quantifier: ast::SetQuantifier,
        left: &ast::SetExpr,
        right: &ast::SetExpr,
    ) -> Result<Plan> {
        let all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::None | ast::SetQuantifier::Distinct => false,
            other => {
                return Err(Error::unsupported(format!(
                    "UNION {other} is not supported"
                )));
            }
        };
        let (anchor, anchor_columns) = self.bind_set_expr(left)?;
        let types: Vec<DataType> = anchor_columns
            .iter()
            .map(|c| resolved(c.data_type))
            .collect();
        let anchor = self.cast_columns(anchor, &anchor_columns, &types)?;
        let resolved_columns: Vec<OutputColumn> = anchor_columns
            .iter()
            .zip(&types)
            .map(|(c, t)| OutputColumn {
                name: c.name.clone(),
                data_type: *t,
            })
            .collect();
        let columns = alias_columns(name, &cte.alias, &resolved_columns)?;
        self.ctes.push(CteBinding {
            name: name.to_string(),
            id,
            level: self.level(),
            columns,
            correlated: false,
            recursing: true,
            added,
        });
        let (recursive, rec_columns) = self.bind_set_expr(right)?;
        if rec_columns.len() != types.len() {
            return Err(Error::SyntaxError(
                "each UNION query must have the same number of columns".into(),
            ));
        }
        for (i, (c, t)) in rec_columns.iter().zip(&types).enumerate() {
            let compatible = c.data_type == *t
                || c.data_type == DataType::Unknown
                || (c.data_type.is_string() && t.is_string());
            if !compatible {
                return Err(Error::DatatypeMismatch(format!(
                    "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                    i + 1,
                    t.name(),
                    c.data_type.name()
                )));
            }
        }
        let recursive = self.cast_columns(recursive, &rec_columns, &types)?;
        let plan = Plan::RecursiveUnion {
            id,
            all,
            anchor: Box::new(anchor),
            recursive: Box::new(recursive),
        };
        let correlated = self.is_correlated_for_cte(&plan);
        let binding = self
            .ctes
            .iter_mut()
            .rev()
            .find(|c| c.id == id)
            .expect("pushed above");
        binding.recursing = false;
        binding.correlated = correlated;
        Ok(plan)
    }

    /// The plan and scope of a FROM reference to a CTE named `name`, if there is one.
    pub(super) fn cte_reference(
        &mut self,
        name: &str,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Plan, Scope)>> {
        let Some(cte) = self.ctes.iter().rev().find(|c| c.name == name).cloned() else {
            return Ok(None);
        };
        let plan = if cte.recursing {
            if self.level() != cte.level {
                return Err(recursion_error(format!(
                    "recursive reference to query \"{name}\" must not appear within a subquery"
                )));
            }
            Plan::WorkTable { id: cte.id }
        } else {
            if cte.correlated && self.level() > cte.level {
                self.mark_unstable_below(cte.level);
            }
            Plan::CteScan { id: cte.id }
        };
        let table = alias.map(|a| ident(&a.name)).unwrap_or(cte.name.clone());
        let names: Vec<String> = cte
            .columns
            .iter()
            .enumerate()
            .map(|(i, (n, _))| {
                alias
                    .and_then(|a| a.columns.get(i))
                    .map(|c| ident(&c.name))
                    .unwrap_or_else(|| n.clone())
            })
            .collect();
        let hidden_from = if cte.recursing {
            cte.columns.len() - cte.added
        } else {
            cte.columns.len()
        };
        let scope = Scope {
            columns: cte
                .columns
                .iter()
                .zip(names)
                .enumerate()
                .map(|(i, ((_, t), n))| ScopeColumn {
                    table: Some(table.clone()),
                    name: n,
                    data_type: *t,
                    qualified_only: false,
                    schema: None,
                    whole_row: false,
                    system: i >= hidden_from,
                    origin: None,
                })
                .collect(),
        };
        Ok(Some((plan, scope)))
    }
}

/// The CTE's column names: its alias list, then the query's own names.
pub(super) fn alias_columns(
    name: &str,
    alias: &ast::TableAlias,
    columns: &[OutputColumn],
) -> Result<Vec<(String, DataType)>> {
    if alias.columns.len() > columns.len() {
        return Err(Error::InvalidColumnReference(format!(
            "WITH query \"{name}\" has {} columns available but {} columns specified",
            columns.len(),
            alias.columns.len()
        )));
    }
    Ok(columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n = alias
                .columns
                .get(i)
                .map(|a| ident(&a.name))
                .unwrap_or_else(|| c.name.clone());
            (n, c.data_type)
        })
        .collect())
}
