//! `ALTER TABLE parent ATTACH PARTITION t FOR VALUES ... | DEFAULT` and `ALTER TABLE parent
//! DETACH PARTITION t`.
//!
//! ATTACH makes an existing table a partition, with PostgreSQL's checks in its order: the
//! parent is partitioned (42P17), `t` is not a partition already (42809), `t` has exactly
//! the parent's columns with the same types and NOT NULLs (42804), the bound fits the
//! strategy and overlaps no sibling (42P16 / 42P17), every row of `t` (of each of its
//! leaves, when `t` is itself partitioned) satisfies the bound and the parent's own bound
//! (23514 "partition constraint of relation ... is violated by some row"), and no row of the
//! default partition belongs to the new bound (23514). The parent's indexes `t` lacks are
//! created on it, named as `CREATE TABLE ... PARTITION OF` names them. Strata keeps a
//! partition's columns in its parent's order, so a table whose columns are the same but in
//! another order is 0A000, and so is a missing primary key (PostgreSQL would add it).
//!
//! DETACH turns the partition back into a plain table (it keeps its rows and indexes); a
//! table that is not a partition of the parent is 42P01, as PostgreSQL.

use super::Ddl;
use super::partition::{bound, check_default_rows};
use crate::result::StatementResult;
use crate::storage::TableDef;
use crate::storage::catalog::partition::{self, PartitionBound, PartitionOf};
use crate::{Error, ErrorObject, Result};
use sqlparser::ast;

/// `ALTER TABLE parent ATTACH PARTITION name FOR VALUES ...`.
pub fn attach(
    ddl: &mut Ddl,
    parent: &TableDef,
    name: &ast::ObjectName,
    spec: &ast::ForValues,
) -> Result<StatementResult> {
    let Some(key) = &parent.partition_key else {
        return Err(Error::InvalidObjectDefinition(format!(
            "table \"{}\" is not partitioned",
            parent.name
        )));
    };
    let mut def = ddl.table(name)?;
    let catalog = ddl.catalog()?;
    crate::privilege::require_owner(&catalog, &crate::storage::Relation::Table(&def))?;
    if def.partition_of.is_some() {
        return Err(Error::WrongObjectType(format!(
            "\"{}\" is already a partition",
            def.name
        )));
    }
    if def.id == parent.id
        || partition::leaves(&catalog, &def)
            .iter()
            .any(|l| l.id == parent.id)
    {
        return Err(Error::InvalidObjectDefinition(format!(
            "circular inheritance not allowed: \"{}\" is already a child of \"{}\"",
            parent.name, def.name
        )));
    }
    check_columns(parent, &def)?;
    let b = bound(ddl, parent, &def.name, spec)?;
    let types = key.types(parent)?;
    let parsed = b.parse(&types)?;
    let siblings: Vec<_> = partition::partitions(&catalog, parent.id)
        .into_iter()
        .filter_map(|p| match &p.partition_of {
            Some(of) if of.bound != PartitionBound::Default => of.bound.parse(&types).ok(),
            _ => None,
        })
        .collect();
    // PostgreSQL names the leaf holding the row.
    let violated = |leaf: &TableDef| {
        Error::CheckViolation {
            message: format!(
                "partition constraint of relation \"{}\" is violated by some row",
                leaf.name
            ),
            detail: String::new(),
        }
        .on(ErrorObject::table(
            &catalog.schema_name(leaf.schema),
            &leaf.name,
        ))
    };
    for leaf in partition::leaves(&catalog, &def) {
        let rows = ddl.run(crate::planner::Plan::Scan {
            table: leaf.clone(),
            access: crate::planner::AccessPlan::Full,
            key_columns: false,
        })?;
        for row in rows {
            let k = key.key_of(&leaf, &row)?;
            let fits = match &b {
                PartitionBound::Default => !siblings.iter().any(|s| s.contains(&k, &types)),
                _ => parsed.contains(&k, &types),
            };
            if !fits || !partition::satisfies_bound(&catalog, parent, &row)? {
                return Err(violated(&leaf));
            }
        }
    }
    check_default_rows(ddl, parent, &b)?;
    let missing = missing_indexes(ddl, parent, &def)?;
    def.partition_of = Some(Box::new(PartitionOf {
        parent: parent.id,
        bound: b,
    }));
    ddl.txn.alter_table(def.clone())?;
    for index in missing {
        ddl.txn.create_index(def.id, index)?;
    }
    Ok(StatementResult::command("ALTER TABLE"))
}

/// PostgreSQL's column checks of a table to attach: no column the parent lacks, none of the
/// parent's missing, same types, NOT NULL where the parent has it (42804); then Strata's
/// own rule that the order is the parent's (0A000).
fn check_columns(parent: &TableDef, def: &TableDef) -> Result<()> {
    if let Some(extra) = def
        .columns
        .iter()
        .find(|c| parent.column_index(&c.name).is_none())
    {
        return Err(Error::DatatypeMismatchDetail {
            message: format!(
                "table \"{}\" contains column \"{}\" not found in parent \"{}\"",
                def.name, extra.name, parent.name
            ),
            detail: "The new partition may contain only the columns present in parent.".into(),
        });
    }
    for pc in &parent.columns {
        let Some(i) = def.column_index(&pc.name) else {
            return Err(Error::DatatypeMismatch(format!(
                "child table is missing column \"{}\"",
                pc.name
            )));
        };
        let c = &def.columns[i];
        if c.data_type != pc.data_type {
            return Err(Error::DatatypeMismatch(format!(
                "child table \"{}\" has different type for column \"{}\"",
                def.name, pc.name
            )));
        }
        if pc.not_null && !c.not_null {
            return Err(Error::DatatypeMismatch(format!(
                "column \"{}\" in child table must be marked NOT NULL",
                pc.name
            )));
        }
    }
    if def
        .columns
        .iter()
        .zip(&parent.columns)
        .any(|(c, p)| c.name != p.name)
    {
        return Err(Error::unsupported(format!(
            "attaching \"{}\", whose columns are not in the order of \"{}\", is not supported yet",
            def.name, parent.name
        )));
    }
    Ok(())
}

/// The parent's indexes `def` has no equivalent of, as new indexes of `def` (named as
/// `PARTITION OF` names them). A missing primary key is 0A000.
fn missing_indexes(
    ddl: &mut Ddl,
    parent: &TableDef,
    def: &TableDef,
) -> Result<Vec<crate::storage::IndexDef>> {
    if !parent.primary_key.is_empty() && def.primary_key != parent.primary_key {
        return Err(Error::unsupported(format!(
            "attaching \"{}\", which lacks the primary key of \"{}\", is not supported yet",
            def.name, parent.name
        )));
    }
    let catalog = ddl.catalog()?;
    let mut taken = vec![def.name.clone()];
    let mut out = Vec::new();
    for idx in &parent.indexes {
        let same = |x: &crate::storage::IndexDef| {
            x.columns == idx.columns
                && x.exprs == idx.exprs
                && x.unique == idx.unique
                && x.predicate == idx.predicate
                && x.include == idx.include
        };
        if def.indexes.iter().any(same) {
            continue;
        }
        let (addition, label) = super::names::cloned_index_parts(def, idx);
        let name = super::names::choose(&def.name, Some(&addition), label, |n| {
            super::names::relation_taken(&catalog, def.schema, n, &taken)
                || super::names::constraint_taken(&catalog, def.schema, n, &taken)
        });
        taken.push(name.clone());
        let mut new = idx.clone();
        new.name = name;
        new.oid = ddl.txn.new_oid()?;
        new.constraint = match idx.constraint {
            Some(_) => Some(ddl.txn.new_oid()?),
            None => None,
        };
        new.comment = None;
        out.push(new);
    }
    Ok(out)
}

/// `ALTER TABLE parent DETACH PARTITION name`.
pub fn detach(ddl: &mut Ddl, parent: &TableDef, name: &ast::ObjectName) -> Result<StatementResult> {
    if parent.partition_key.is_none() {
        return Err(Error::InvalidObjectDefinition(format!(
            "table \"{}\" is not partitioned",
            parent.name
        )));
    }
    let mut def = ddl.table(name)?;
    if def
        .partition_of
        .as_ref()
        .is_none_or(|o| o.parent != parent.id)
    {
        return Err(Error::NoSuchRelation(format!(
            "relation \"{}\" is not a partition of relation \"{}\"",
            def.name, parent.name
        )));
    }
    def.partition_of = None;
    ddl.txn.alter_table(def)?;
    Ok(StatementResult::command("ALTER TABLE"))
}
