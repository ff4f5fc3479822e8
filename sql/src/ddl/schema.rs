//! CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role], CREATE SCHEMA AUTHORIZATION role,
//! CREATE SCHEMA with schema elements (run with the new schema first in the search path, as
//! PostgreSQL runs them), ALTER SCHEMA ... RENAME TO / OWNER TO. DROP SCHEMA is in
//! [`super::drop`].

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

/// `CREATE SCHEMA name element ...`: the schema, then each element with the schema first in
/// the search path (where unqualified names are created and looked up). An element naming
/// another schema, or a temporary relation, is refused as in PostgreSQL.
pub fn create_with_elements(
    ddl: &mut Ddl,
    create: &ast::Statement,
    elements: &[ast::Statement],
) -> Result<StatementResult> {
    let ast::Statement::CreateSchema { schema_name, .. } = create else {
        return Err(Error::Internal(
            "schema elements without CREATE SCHEMA".into(),
        ));
    };
    let name = match schema_name {
        ast::SchemaName::Simple(n) | ast::SchemaName::NamedAuthorization(n, _) => object_name(n)?,
        ast::SchemaName::UnnamedAuthorization(role) => ident(role),
    };
    for e in elements {
        check_element(e, &name)?;
    }
    // PostgreSQL runs them by kind, whatever their order in the statement.
    let rank = |e: &ast::Statement| match e {
        ast::Statement::CreateSequence { .. } => 0,
        ast::Statement::CreateTable(_) => 1,
        ast::Statement::CreateView(_) => 2,
        ast::Statement::CreateIndex(_) => 3,
        ast::Statement::CreateTrigger(_) => 4,
        _ => 5,
    };
    let mut elements = elements.to_vec();
    elements.sort_by_key(rank);
    let done = super::execute(ddl, &crate::parse::Statement::Sql(create.clone()))?
        .ok_or_else(|| Error::Internal("CREATE SCHEMA is DDL".into()))?;
    let oid = ddl
        .catalog()?
        .schema(&name)
        .map(|s| s.oid)
        .ok_or_else(|| Error::Internal(format!("schema {name} not created")))?;
    let saved = ddl.search_path.clone();
    ddl.search_path.retain(|s| *s != oid);
    ddl.search_path.insert(0, oid);
    let mut outcome = Ok(());
    for e in elements {
        let first = e.to_string();
        let first = first.split(' ').next().unwrap_or_default().to_string();
        outcome = match super::execute(ddl, &crate::parse::Statement::Sql(e)) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Error::SyntaxError(format!(
                "syntax error at or near \"{}\"",
                first
            ))),
            Err(err) => Err(err),
        };
        if outcome.is_err() {
            break;
        }
    }
    ddl.search_path = saved;
    outcome.map(|()| done)
}

/// An element's own schema, when it names one, must be the new schema (42P15); it may not
/// be temporary (42P16).
fn check_element(e: &ast::Statement, schema: &str) -> Result<()> {
    let (name, temporary) = match e {
        ast::Statement::CreateTable(c) => (Some(&c.name), c.temporary),
        ast::Statement::CreateView(v) => (Some(&v.name), v.temporary),
        ast::Statement::CreateSequence {
            name, temporary, ..
        } => (Some(name), *temporary),
        ast::Statement::CreateIndex(c) => (Some(&c.table_name), false),
        _ => (None, false),
    };
    if temporary {
        return Err(Error::InvalidTableDefinition(
            "cannot create temporary relation in non-temporary schema".into(),
        ));
    }
    if let Some(name) = name
        && name.0.len() > 1
    {
        let given = object_name(&ast::ObjectName(name.0[..name.0.len() - 1].to_vec()))?;
        if given != schema {
            return Err(crate::plpgsql::raised(
                "42P15",
                format!(
                    "CREATE specifies a schema ({given}) different from the one being created ({schema})"
                ),
            ));
        }
    }
    Ok(())
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
