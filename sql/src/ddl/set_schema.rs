//! `ALTER TABLE [IF EXISTS] [ONLY] name SET SCHEMA s`: moves a table — with its indexes and
//! constraints (they live in its definition, so they follow it) and the sequences it owns
//! (serial and identity columns), as PostgreSQL does — or a view or sequence named through
//! ALTER TABLE, which PostgreSQL also allows; and `ALTER TYPE name SET SCHEMA s` (an enum or
//! composite type; its array type follows it).
//!
//! Invariants, as PostgreSQL's: every name that moves must be free in the new schema
//! (42P07, checked before anything changes); nothing moves into or out of a temporary
//! schema (0A000); moving into the schema the relation is already in changes nothing; the
//! role must own the relation and hold CREATE on the new schema (42501).

use sqlparser::ast;

use super::Ddl;
use crate::binder::split_name;
use crate::result::StatementResult;
use crate::storage::Relation;
use crate::storage::catalog::{Catalog, acl, undefined_schema};
use crate::{Error, Result};

/// Carries out `ALTER TABLE name SET SCHEMA schema` (see the module docs).
pub fn alter_table(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    if_exists: bool,
    schema: &ast::Ident,
) -> Result<StatementResult> {
    let done = StatementResult::command("ALTER TABLE");
    let catalog = ddl.catalog()?;
    let (qualifier, rel) = split_name(name)?;
    let Some(found) = catalog.resolve(qualifier.as_deref(), &rel, &ddl.search_path)? else {
        if if_exists {
            crate::notice::skipping_missing("relation", &rel);
            return Ok(done);
        }
        return Err(Error::UndefinedTable(rel));
    };
    let current = match found {
        Relation::Table(t) => t.schema,
        Relation::View(v) => v.schema,
        Relation::Sequence(s) => s.schema,
        Relation::Index { .. } => {
            return Err(Error::WrongObjectType(format!(
                "cannot change schema of index \"{rel}\""
            )));
        }
    };
    let target = schema_oid(&catalog, schema)?;
    crate::privilege::require_owner(&catalog, &found)?;
    if !may_move(&catalog, current, target)? {
        return Ok(done);
    }
    match found {
        Relation::Table(t) => {
            let owned: Vec<_> = catalog
                .sequences
                .iter()
                .filter(|s| s.owned_by.as_ref().is_some_and(|o| o.table == t.id))
                .cloned()
                .collect();
            let names = std::iter::once(t.name.as_str())
                .chain(t.primary_key_name.as_deref())
                .chain(t.indexes.iter().map(|i| i.name.as_str()))
                .chain(owned.iter().map(|s| s.name.as_str()));
            for n in names {
                refuse_taken(&catalog, target, n)?;
            }
            let mut t = t.clone();
            t.schema = target;
            ddl.txn.alter_table(t)?;
            for mut s in owned {
                s.schema = target;
                ddl.txn.alter_sequence(s)?;
            }
        }
        Relation::View(v) => {
            refuse_taken(&catalog, target, &v.name)?;
            let mut v = v.clone();
            v.schema = target;
            ddl.txn.put_view(v)?;
        }
        Relation::Sequence(s) => {
            refuse_taken(&catalog, target, &s.name)?;
            let mut s = s.clone();
            s.schema = target;
            ddl.txn.alter_sequence(s)?;
        }
        Relation::Index { .. } => {} // refused above
    }
    Ok(done)
}

/// Carries out `ALTER TYPE name SET SCHEMA schema` (42710 when the new schema has a type
/// of that name).
pub fn alter_type(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    schema: &ast::Ident,
) -> Result<StatementResult> {
    let done = StatementResult::command("ALTER TYPE");
    let catalog = ddl.catalog()?;
    let mut def = super::enums::owned_type(ddl, name)?;
    let target = schema_oid(&catalog, schema)?;
    if !may_move(&catalog, def.schema, target)? {
        return Ok(done);
    }
    if super::types::type_taken(&catalog, target, &def.name) {
        return Err(Error::DuplicateObject(format!(
            "type \"{}\" already exists in schema \"{}\"",
            def.name,
            catalog.schema_name(target)
        )));
    }
    def.schema = target;
    ddl.txn.put_type(def)?;
    Ok(done)
}

/// The OID of schema `schema` (3F000 when there is none).
fn schema_oid(catalog: &Catalog, schema: &ast::Ident) -> Result<crate::storage::Oid> {
    let name = crate::binder::ident(schema);
    Ok(catalog
        .schema(&name)
        .ok_or_else(|| undefined_schema(&name))?
        .oid)
}

/// Whether an object in schema `from` moves to `to`: `false` when they are the same (a
/// no-op); 0A000 into or out of a temporary schema, 42501 without CREATE on `to`.
fn may_move(catalog: &Catalog, from: crate::storage::Oid, to: crate::storage::Oid) -> Result<bool> {
    if from == to {
        return Ok(false);
    }
    if is_temporary(catalog, from) || is_temporary(catalog, to) {
        return Err(Error::FeatureNotSupported(
            "cannot move objects into or out of temporary schemas".into(),
        ));
    }
    crate::privilege::require_schema(catalog, to, acl::CREATE)?;
    Ok(true)
}

/// 42P07 when schema `schema` already has a relation called `name`.
pub(crate) fn refuse_taken(
    catalog: &Catalog,
    schema: crate::storage::Oid,
    name: &str,
) -> Result<()> {
    if catalog.relation_exists(schema, name) {
        return Err(Error::DuplicateTableInSchema(
            name.to_string(),
            catalog.schema_name(schema),
        ));
    }
    Ok(())
}

/// Whether `schema` is a session's temporary schema (`pg_temp_<pid>`).
fn is_temporary(catalog: &Catalog, schema: crate::storage::Oid) -> bool {
    catalog.schema_name(schema).starts_with("pg_temp")
}
