//! UPDATE and DELETE of a partitioned table (without `ONLY`): the statement is bound once
//! per leaf partition, as `UPDATE ONLY leaf AS <the table's name or alias> ...`, and the
//! per-partition plans run one after the other (a UNION ALL of their rows, so RETURNING
//! and the row count add up). An UPDATE's plan for a partition carries the partitioned
//! table as its `route_root`: a row whose new key leaves its partition is moved to the
//! partition it now belongs to, as PostgreSQL does. A leaf none of whose rows the WHERE
//! clause can match (partition pruning, [`PruneTree`]) is left out, unless none is left.

use super::{Binder, BoundStatement};
use crate::expr::Expr;
use crate::planner::{Plan, SetOpKind};
use crate::storage::TableDef;
use crate::storage::catalog::Oid;
use crate::storage::catalog::partition;
use crate::storage::catalog::partition_prune::PruneTree;
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
    pub(super) fn partition_targets(
        &mut self,
        table: &TableDef,
    ) -> Option<Vec<(Oid, ast::ObjectName)>> {
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
                    let name = ast::ObjectName::from(vec![
                        ast::Ident::with_quote('"', self.catalog.schema_name(l.schema)),
                        ast::Ident::with_quote('"', l.name.clone()),
                    ]);
                    (l.id, name)
                })
                .collect(),
        )
    }

    /// UPDATE of partitioned `table` through each of `leaves`.
    pub(super) fn bind_partitioned_update(
        &mut self,
        u: &ast::Update,
        table: &TableDef,
        leaves: Vec<(Oid, ast::ObjectName)>,
    ) -> Result<BoundStatement> {
        let prune = PruneTree::new(&self.catalog, table).ok();
        let mut plans = Vec::new();
        let mut first = None;
        let mut fallback = None;
        for (oid, leaf) in &leaves {
            let mut one = u.clone();
            one.table = retarget(&u.table, &table.name, leaf);
            let bound = self.bind_update(&one)?;
            let BoundStatement::Query { plan, .. } = &bound else {
                return Err(Error::Internal("UPDATE bound to no query".into()));
            };
            let mut plan = plan.clone();
            if let Plan::Update {
                route_root,
                predicate,
                ..
            } = &mut plan
            {
                *route_root = Some(Box::new(table.clone()));
                if pruned(prune.as_ref(), predicate.as_ref(), *oid) {
                    fallback.get_or_insert((bound, plan));
                    continue;
                }
            }
            plans.push(plan);
            first.get_or_insert(bound);
        }
        combine(first, plans, fallback)
    }

    /// DELETE of partitioned `table` through each of `leaves`.
    pub(super) fn bind_partitioned_delete(
        &mut self,
        d: &ast::Delete,
        target: &ast::TableWithJoins,
        table: &TableDef,
        leaves: Vec<(Oid, ast::ObjectName)>,
    ) -> Result<BoundStatement> {
        let prune = PruneTree::new(&self.catalog, table).ok();
        let mut plans = Vec::new();
        let mut first = None;
        let mut fallback = None;
        for (oid, leaf) in &leaves {
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
            if let Plan::Delete { predicate, .. } = plan
                && pruned(prune.as_ref(), predicate.as_ref(), *oid)
            {
                let plan = plan.clone();
                fallback.get_or_insert((bound, plan));
                continue;
            }
            plans.push(plan.clone());
            first.get_or_insert(bound);
        }
        combine(first, plans, fallback)
    }
}

/// Whether leaf `oid` holds no row `predicate` (the statement's WHERE over the leaf's
/// columns) can match, so the statement need not visit it.
fn pruned(prune: Option<&PruneTree>, predicate: Option<&Expr>, oid: Oid) -> bool {
    match (prune, predicate) {
        (Some(tree), Some(p)) => !tree.surviving(p).contains(&oid),
        _ => false,
    }
}

/// The per-partition plans one after the other, with the first statement's columns.
/// When every leaf was pruned, `fallback` (the first leaf's statement) stands in: it
/// changes no row.
fn combine(
    mut first: Option<BoundStatement>,
    mut plans: Vec<Plan>,
    fallback: Option<(BoundStatement, Plan)>,
) -> Result<BoundStatement> {
    if plans.is_empty()
        && let Some((bound, plan)) = fallback
    {
        first = Some(bound);
        plans.push(plan);
    }
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
