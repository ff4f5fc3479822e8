//! `CHECKPOINT`, `CLUSTER` and `REINDEX` ([`crate::parse::utility`]): PostgreSQL's checks
//! (what they name exists, the role owns it or is a superuser), then nothing to do, as
//! ARCHITECTURE.md explains — a commit is durable once the safekeepers have its record,
//! rows are ordered by their primary key (or row id) alone, and a secondary index is
//! written in the same record as its rows, so it is never out of date.

use super::Ddl;
use crate::binder::split_name;
use crate::parse::utility::{ReindexKind, Utility};
use crate::result::StatementResult;
use crate::storage::Relation;
use crate::{Error, Result};

/// Carries out `u` (see the module docs).
pub fn execute(ddl: &mut Ddl, u: &Utility) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    match u {
        Utility::Checkpoint => {
            let who = crate::privilege::current(&catalog);
            let allowed = who.superuser
                || catalog
                    .role("pg_checkpoint")
                    .is_some_and(|r| who.acts_as(r.oid));
            if !allowed {
                return Err(Error::InsufficientPrivilege(
                    "must be superuser or have privileges of pg_checkpoint to do CHECKPOINT".into(),
                ));
            }
            Ok(StatementResult::command("CHECKPOINT"))
        }
        Utility::Cluster { table, index } => {
            if let Some(name) = table {
                let mut t = ddl.table(name)?;
                let Some(index) = index else {
                    crate::privilege::require_owner(&catalog, &Relation::Table(&t))?;
                    if t.clustered_index.is_none() {
                        return Err(Error::UndefinedObject(format!(
                            "there is no previously clustered index for table \"{}\"",
                            t.name
                        )));
                    }
                    return Ok(StatementResult::command("CLUSTER"));
                };
                {
                    let index = crate::binder::ident(index);
                    let found = t.primary_key_name.as_deref() == Some(index.as_str())
                        && !t.primary_key.is_empty()
                        || t.indexes.iter().any(|i| i.name == index);
                    if !found {
                        return Err(Error::UndefinedObject(format!(
                            "index \"{index}\" for table \"{}\" does not exist",
                            t.name
                        )));
                    }
                    crate::privilege::require_owner(&catalog, &Relation::Table(&t))?;
                    if t.indexes
                        .iter()
                        .any(|i| i.name == index && i.predicate.is_some())
                    {
                        return Err(Error::unsupported(format!(
                            "cannot cluster on partial index \"{index}\""
                        )));
                    }
                    if t.clustered_index.as_ref() != Some(&index) {
                        t.clustered_index = Some(index);
                        ddl.txn.alter_table(t)?;
                    }
                }
            }
            Ok(StatementResult::command("CLUSTER"))
        }
        Utility::Reindex { kind, name } => {
            match (kind, name) {
                (ReindexKind::Index | ReindexKind::Table, Some(name)) => {
                    let (schema, rel) = split_name(name)?;
                    let found = catalog.resolve(schema.as_deref(), &rel, &ddl.search_path)?;
                    let table = match (kind, found) {
                        (ReindexKind::Index, Some(Relation::Index { table, .. })) => table,
                        (ReindexKind::Table, Some(Relation::Table(t))) => t,
                        (ReindexKind::Index, Some(_)) => {
                            return Err(Error::WrongObjectType(format!(
                                "\"{rel}\" is not an index"
                            )));
                        }
                        (_, Some(_)) => {
                            return Err(Error::WrongObjectType(format!(
                                "\"{rel}\" is not a table or materialized view"
                            )));
                        }
                        (_, None) => return Err(Error::UndefinedTable(rel)),
                    };
                    crate::privilege::require_owner(&catalog, &Relation::Table(table))?;
                }
                (ReindexKind::Schema, Some(name)) => {
                    let (_, schema) = split_name(name)?;
                    if catalog.schema(&schema).is_none() {
                        return Err(crate::storage::catalog::undefined_schema(&schema));
                    }
                }
                (_, name) => {
                    let current = crate::env::with(|e| e.session.database.clone());
                    if let Some(name) = name
                        && split_name(name)?.1 != current
                    {
                        return Err(Error::unsupported(
                            "can only reindex the currently open database",
                        ));
                    }
                }
            }
            Ok(StatementResult::command("REINDEX"))
        }
        // The session carries it out (`Session::set_constraints`).
        Utility::SetConstraints { .. } => Ok(StatementResult::command("SET CONSTRAINTS")),
        Utility::AlterConstraint {
            table,
            if_exists,
            constraint,
            characteristics,
        } => alter_constraint(ddl, table, *if_exists, constraint, characteristics.as_ref()),
        Utility::SetSchema {
            table,
            if_exists,
            schema,
        } => super::set_schema::alter_table(ddl, table, *if_exists, schema),
        Utility::TypeSetSchema { name, schema } => super::set_schema::alter_type(ddl, name, schema),
    }
}

/// `ALTER TABLE t ALTER CONSTRAINT fk [[NOT] DEFERRABLE] [INITIALLY ...]`: a foreign key's
/// deferrability, as PostgreSQL 15 allows for foreign keys only (42809 for another kind).
fn alter_constraint(
    ddl: &mut Ddl,
    table: &sqlparser::ast::ObjectName,
    if_exists: bool,
    constraint: &sqlparser::ast::Ident,
    characteristics: Option<&sqlparser::ast::ConstraintCharacteristics>,
) -> Result<StatementResult> {
    let done = StatementResult::command("ALTER TABLE");
    let (deferrable, initially_deferred) = super::constraints::deferrability(characteristics)?;
    let mut def = match ddl.table(table) {
        Ok(def) => def,
        Err(Error::UndefinedTable(rel)) if if_exists => {
            crate::notice::skipping_missing("relation", &rel);
            return Ok(done);
        }
        Err(e) => return Err(e),
    };
    let catalog = ddl.catalog()?;
    crate::privilege::require_owner(&catalog, &Relation::Table(&def))?;
    crate::executor::deferred::refuse_if_pending(&def, "ALTER TABLE")?;
    let name = crate::binder::ident(constraint);
    let Some(fk) = def.foreign_keys.iter_mut().find(|f| f.name == name) else {
        return Err(if def.constraint_names().any(|n| n == name) {
            Error::WrongObjectType(format!(
                "constraint \"{name}\" of relation \"{}\" is not a foreign key constraint",
                def.name
            ))
        } else {
            Error::UndefinedObject(format!(
                "constraint \"{name}\" of relation \"{}\" does not exist",
                def.name
            ))
        });
    };
    fk.deferrable = deferrable;
    fk.initially_deferred = initially_deferred;
    ddl.txn.alter_table(def)?;
    Ok(done)
}
