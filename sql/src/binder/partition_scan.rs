//! A partitioned table named in FROM (without `ONLY`) reads its partitions: the scan is a
//! UNION ALL of a scan of each leaf partition, each row followed by the partition's OID,
//! which the scope exposes as the hidden system column `tableoid` (so
//! `tableoid::regclass` names the partition a row came from, as in PostgreSQL). The
//! partitioned table itself holds no rows. The union is wrapped in a [`Plan::Partitioned`]
//! carrying the partition tree, so the planner can drop the partitions a filter excludes
//! ([`crate::planner::partition_prune`]).

use super::{Binder, Scope, ScopeColumn};
use crate::expr::Expr;
use crate::planner::{AccessPlan, Plan, SetOpKind};
use crate::storage::TableDef;
use crate::storage::catalog::partition;
use crate::storage::catalog::partition_prune::PruneTree;
use crate::types::Value;
use std::sync::Arc;

impl Binder {
    /// The plan reading every partition of partitioned `table` (bound as `qualifier`), and
    /// `scope` extended with `tableoid`.
    pub(super) fn partitioned_scan(
        &mut self,
        table: &TableDef,
        qualifier: &str,
        scope: &mut Scope,
    ) -> Plan {
        let width = table.columns.len();
        let branches: Vec<Plan> = partition::leaves(&self.catalog, table)
            .into_iter()
            .map(|leaf| {
                let mut exprs: Vec<Expr> = (0..width).map(Expr::Column).collect();
                exprs.push(Expr::Literal(Value::Int(i64::from(leaf.id))));
                Plan::Project {
                    input: Box::new(Plan::Scan {
                        table: leaf,
                        access: AccessPlan::Full,
                        key_columns: false,
                    }),
                    exprs,
                }
            })
            .collect();
        scope
            .columns
            .push(ScopeColumn::tableoid(qualifier.to_string()));
        let mut it = branches.into_iter();
        let Some(first) = it.next() else {
            let mut exprs: Vec<Expr> = (0..width).map(Expr::Column).collect();
            exprs.push(Expr::Literal(Value::Int(i64::from(table.id))));
            return Plan::Project {
                input: Box::new(Plan::Scan {
                    table: table.clone(),
                    access: AccessPlan::Full,
                    key_columns: false,
                }),
                exprs,
            };
        };
        let union = it.fold(first, |left, right| Plan::SetOp {
            op: SetOpKind::Union,
            all: true,
            left: Box::new(left),
            right: Box::new(right),
        });
        match PruneTree::new(&self.catalog, table) {
            Ok(prune) => Plan::Partitioned {
                prune: Arc::new(prune),
                input: Box::new(union),
            },
            Err(_) => union,
        }
    }
}
