//! CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role], CREATE SCHEMA AUTHORIZATION role,
//! ALTER SCHEMA ... RENAME TO / OWNER TO. DROP SCHEMA is in [`super::drop`].

use super::Ddl;
use crate::binder::{ident, object_name};
use crate::result::StatementResult;
use crate::storage::SchemaDef;
use crate::{Error, Result};
use sqlparser::ast;

/// Names starting with `pg_` are reserved (42939).
fn check_reserved(name: &str) -> Result<()> {
    if name.starts_with("pg_") {
        return Err(Error::ReservedName(format!(
            "unacceptable schema name \"{name}\""
        )));
    }
    Ok(())
}

/// CREATE SCHEMA.
pub fn create(
    ddl: &mut Ddl,
    name: &ast::SchemaName,
    if_not_exists: bool,
) -> Result<StatementResult> {
    let name = match name {
        ast::SchemaName::Simple(n) | ast::SchemaName::NamedAuthorization(n, _) => object_name(n)?,
        ast::SchemaName::UnnamedAuthorization(role) => ident(role),
    };
    let done = StatementResult::command("CREATE SCHEMA");
    if ddl.catalog()?.schema(&name).is_some() {
        if if_not_exists {
            crate::notice::skipping_existing("42P06", "schema", &name);
            return Ok(done);
        }
        return Err(Error::DuplicateSchema(name));
    }
    check_reserved(&name)?;
    let catalog = ddl.catalog()?;
    let who = crate::privilege::current(&catalog);
    if !who.superuser {
        return Err(Error::InsufficientPrivilege(format!(
            "permission denied for database {}",
            crate::env::with(|e| e.session.database.clone())
        )));
    }
    let oid = ddl.txn.new_oid()?;
    ddl.txn.create_schema(SchemaDef {
        oid,
        name,
        owner: who.oid,
        comment: None,
        acl: super::default_privileges::initial_acl(
            &catalog,
            super::default_privileges::SCHEMAS,
            who.oid,
            0,
        ),
    })?;
    Ok(done)
}

/// Creates the session's temporary schema `name` (any role may: PostgreSQL's TEMP privilege
/// on the database, which every role has by default).
pub fn create_temp(ddl: &mut Ddl, name: &str) -> Result<crate::storage::Oid> {
    let catalog = ddl.catalog()?;
    let who = crate::privilege::current(&catalog);
    let oid = ddl.txn.new_oid()?;
    ddl.txn.create_schema(SchemaDef {
        oid,
        name: name.to_string(),
        owner: who.oid,
        comment: None,
        acl: None,
    })?;
    Ok(oid)
}

/// ALTER SCHEMA.
pub fn alter(ddl: &mut Ddl, a: &ast::AlterSchema) -> Result<StatementResult> {
    let done = StatementResult::command("ALTER SCHEMA");
    let name = object_name(&a.name)?;
    let catalog = ddl.catalog()?;
    let Some(mut def) = catalog.schemas.iter().find(|s| s.name == name).cloned() else {
        if catalog.schema(&name).is_some() {
            return Err(Error::InsufficientPrivilege(format!(
                "must be owner of schema {name}"
            )));
        }
        if a.if_exists {
            return Ok(done);
        }
        return Err(crate::storage::catalog::undefined_schema(&name));
    };
    super::role::require_schema_owner(&catalog, def.oid)?;
    for op in &a.operations {
        match op {
            ast::AlterSchemaOperation::Rename { name } => {
                let new = object_name(name)?;
                if ddl.catalog()?.schema(&new).is_some() {
                    return Err(Error::DuplicateSchema(new));
                }
                check_reserved(&new)?;
                def.name = new;
            }
            ast::AlterSchemaOperation::OwnerTo { owner } => {
                let new = super::role::owner_oid(&catalog, owner)?;
                super::role::change_owner(&mut def.owner, &mut def.acl, new);
            }
            other => {
                return Err(Error::unsupported(format!(
                    "ALTER SCHEMA {other} is not supported"
                )));
            }
        }
    }
    ddl.txn.alter_schema(def)?;
    Ok(done)
}
