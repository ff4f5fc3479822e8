//! Where an inserted row goes when its table is partitioned: [`Routing`] sends a row of a
//! partitioned table to its leaf partition (through sub-partitioned levels), PostgreSQL's
//! 23514 "no partition of relation ... found for row" when none takes it, and checks a row
//! written straight into a partition against the partition's bound (23514 "new row for
//! relation ... violates partition constraint"). INSERT, COPY FROM, MERGE's INSERT and an
//! UPDATE that moves a row between partitions use it.

use super::Context;
use super::constraints::Constraints;
use crate::storage::catalog::partition::{Router, satisfies_bound};
use crate::storage::{Catalog, Oid, TableDef};
use crate::types::Value;
use crate::{Error, ErrorObject, Result};
use std::collections::HashMap;
use std::sync::Arc;

/// Per-statement routing state of one target table (see the module docs).
pub struct Routing {
    active: bool,
    catalog: Option<Arc<Catalog>>,
    routers: HashMap<Oid, Router>,
    leaves: HashMap<Oid, Arc<TableDef>>,
    constraints: HashMap<Oid, Constraints>,
}

impl Routing {
    pub fn new(table: &TableDef) -> Routing {
        Routing {
            active: table.partition_key.is_some() || table.partition_of.is_some(),
            catalog: None,
            routers: HashMap::new(),
            leaves: HashMap::new(),
            constraints: HashMap::new(),
        }
    }

    /// Whether rows of the table need routing or a bound check.
    pub fn is_active(&self) -> bool {
        self.active
    }

    fn catalog(&mut self, ctx: &Context) -> Result<Arc<Catalog>> {
        if let Some(c) = &self.catalog {
            return Ok(c.clone());
        }
        let c = ctx.txn()?.catalog()?;
        self.catalog = Some(c.clone());
        Ok(c)
    }

    /// The leaf partition `row` of `table` goes to; `None` for `table` itself (after the
    /// bound check of a partition).
    pub fn target(
        &mut self,
        ctx: &Context,
        table: &TableDef,
        row: &[Value],
    ) -> Result<Option<Arc<TableDef>>> {
        if !self.active {
            return Ok(None);
        }
        let catalog = self.catalog(ctx)?;
        if table.partition_key.is_none() {
            if !satisfies_bound(&catalog, table, row)? {
                return Err(violation(&catalog, table, row));
            }
            return Ok(None);
        }
        let mut current = Arc::new(table.clone());
        while current.partition_key.is_some() {
            if let std::collections::hash_map::Entry::Vacant(e) = self.routers.entry(current.id) {
                e.insert(Router::new(&catalog, &current)?);
            }
            let next = self.routers[&current.id].route(&catalog, &current, row)?;
            current = self
                .leaves
                .entry(next.id)
                .or_insert_with(|| Arc::new(next))
                .clone();
        }
        Ok(Some(current))
    }

    /// The constraints of partition `t` (compiled once per statement).
    pub fn constraints(&mut self, t: &TableDef) -> &mut Constraints {
        self.constraints
            .entry(t.id)
            .or_insert_with(|| Constraints::new(t))
    }
}

/// PostgreSQL's 23514 for a row outside partition `table`'s bound.
pub fn violation(catalog: &Catalog, table: &TableDef, row: &[Value]) -> Error {
    Error::CheckViolation {
        message: format!(
            "new row for relation \"{}\" violates partition constraint",
            table.name
        ),
        detail: crate::ddl::constraints::failing_row(row),
    }
    .on(ErrorObject::table(
        &catalog.schema_name(table.schema),
        &table.name,
    ))
}

/// The arbiter constraint `name` of partitioned table `parent` as its partition `part`
/// names it (indexes are cloned in order).
pub fn arbiter_name(parent: &TableDef, part: &TableDef, name: &str) -> String {
    if parent.primary_key_name.as_deref() == Some(name) {
        return part.primary_key_name.clone().unwrap_or_default();
    }
    match parent.indexes.iter().position(|i| i.name == name) {
        Some(i) => part
            .indexes
            .get(i)
            .map_or_else(|| name.to_string(), |x| x.name.clone()),
        None => name.to_string(),
    }
}
