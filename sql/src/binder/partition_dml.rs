//! UPDATE and DELETE of a partitioned table (without `ONLY`): the statement is bound once
//! per leaf partition, as `UPDATE ONLY leaf AS <the table's name or alias> ...`, and the
//! per-partition plans run one after the other (a UNION ALL of their rows, so RETURNING
//! and the row count add up). An UPDATE's plan for a partition carries the partitioned
//! table as its `route_root`: a row whose new key leaves its partition is moved to the
//! partition it now belongs to, as PostgreSQL does.

use super::{Binder, BoundStatement};
use crate::planner::{Plan, SetOpKind};
use crate::storage::TableDef;
use crate::storage::catalog::partition;
use crate::{Error, Result};
use sqlparser::ast;

/// The target `t` renamed to `leaf`, with `ONLY` and an alias keeping its old name.
fn retarget(t: &ast::TableWithJoins, parent: &str, leaf: &ast::ObjectName) -> ast::TableWithJoins {
    let mut t = t.clone();
    if let ast::TableFactor::Table {
        name,
        alias,
        inheritance,
        ..
    } = &mut t.relation
    {
        *name = leaf.clone();
        *inheritance = Some(ast::TableInheritance::Only {
            parenthesized: false,
        });
        if alias.is_none() {
            *alias = Some(ast::TableAlias {
                explicit: true,
                name: ast::Ident::with_quote('"', parent),
                columns: Vec::new(),
                at: None,
            });
        }
    }
    t
}

impl Binder {
    /// The leaves of `table` as qualified names, when `table` is partitioned and was not
    /// named with `ONLY` (which the target's binding recorded in `self.only`).
    pub(super) fn partition_targets(&mut self, table: &TableDef) -> Option<Vec<ast::ObjectName>> {
        let only = std::mem::take(&mut self.only);
        if table.partition_key.is_none() || only {
            return None;
        }
        let leaves = partition::leaves(&self.catalog, table);
        if leaves.is_empty() {
            return None;
        }
        Some(
            leaves
                .iter()
                .map(|l| {
                    ast::ObjectName::from(vec![
                        ast::Ident::with_quote('"', self.catalog.schema_name(l.schema)),
                        ast::Ident::with_quote('"', l.name.clone()),
                    ])
                })
                .collect(),
        )
    }

    /// UPDATE of partitioned `table` through each of `leaves`.
    pub(super) fn bind_partitioned_update(
        &mut self,
        u: &ast::Update,
        table: &TableDef,
        leaves: Vec<ast::ObjectName>,
    ) -> Result<BoundStatement> {
        let mut plans = Vec::new();
        let mut first = None;
        for leaf in &leaves {
            let mut one = u.clone();
            one.table = retarget(&u.table, &table.name, leaf);
            let bound = self.bind_update(&one)?;
            let BoundStatement::Query { plan, .. } = &bound else {
                return Err(Error::Internal("UPDATE bound to no query".into()));
            };
            let mut plan = plan.clone();
            if let Plan::Update { route_root, .. } = &mut plan {
                *route_root = Some(Box::new(table.clone()));
            }
            plans.push(plan);
            first.get_or_insert(bound);
        }
        combine(first, plans)
    }

    /// DELETE of partitioned `table` through each of `leaves`.
    pub(super) fn bind_partitioned_delete(
        &mut self,
        d: &ast::Delete,
        target: &ast::TableWithJoins,
        table: &TableDef,
        leaves: Vec<ast::ObjectName>,
    ) -> Result<BoundStatement> {
        let mut plans = Vec::new();
        let mut first = None;
        for leaf in &leaves {
            let mut one = d.clone();
            let t = retarget(target, &table.name, leaf);
            one.from = match &d.from {
                ast::FromTable::WithFromKeyword(_) => ast::FromTable::WithFromKeyword(vec![t]),
                ast::FromTable::WithoutKeyword(_) => ast::FromTable::WithoutKeyword(vec![t]),
            };
            let bound = self.bind_delete(&one)?;
            let BoundStatement::Query { plan, .. } = &bound else {
                return Err(Error::Internal("DELETE bound to no query".into()));
            };
            plans.push(plan.clone());
            first.get_or_insert(bound);
        }
        combine(first, plans)
    }
}

/// The per-partition plans one after the other, with the first statement's columns.
fn combine(first: Option<BoundStatement>, plans: Vec<Plan>) -> Result<BoundStatement> {
    let Some(BoundStatement::Query {
        kind,
        columns,
        returns_rows,
        ..
    }) = first
    else {
        return Err(Error::Internal("no partition to bind".into()));
    };
    let mut it = plans.into_iter();
    let Some(head) = it.next() else {
        return Err(Error::Internal("no partition to bind".into()));
    };
    let plan = it.fold(head, |left, right| Plan::SetOp {
        op: SetOpKind::Union,
        all: true,
        left: Box::new(left),
        right: Box::new(right),
    });
    Ok(BoundStatement::Query {
        kind,
        plan,
        columns,
        returns_rows,
    })
}
