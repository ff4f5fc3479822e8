//! CREATE [OR REPLACE] VIEW, ALTER VIEW (RENAME [COLUMN], SET SCHEMA, OWNER TO), CREATE
//! MATERIALIZED VIEW and REFRESH MATERIALIZED VIEW.
//!
//! A view is stored as its query's SQL text, the names and types of its columns, the search
//! path it was created under and the relations it reads (its dependencies); the binder
//! expands it where it is named (`crate::binder` `view.rs`). OR REPLACE keeps the OID and
//! may only add columns at the end, as PostgreSQL requires (42P16).
//!
//! A temporary view (`CREATE TEMP VIEW`, or one that reads a temporary relation, with
//! PostgreSQL's NOTICE) goes into the session's temporary schema like a temporary table
//! (`Ddl::temp_target`) and is dropped with it; a materialized view may not read one
//! (0A000).

use super::Ddl;
use super::create_table;
use crate::binder::{ident, object_name, split_name};
use crate::result::StatementResult;
use crate::storage::{Relation, ViewColumn, ViewDef};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// CREATE [OR REPLACE] [MATERIALIZED] VIEW.
pub fn create(ddl: &mut Ddl, v: &ast::CreateView) -> Result<StatementResult> {
    let reads_temp = {
        let mut b = ddl.binder()?;
        b.bind_query(&v.query)?;
        let catalog = ddl.catalog()?;
        b.referenced.iter().any(|&o| is_temporary(&catalog, o))
    };
    if v.materialized && (reads_temp || v.temporary) {
        return Err(Error::unsupported(if v.temporary {
            "materialized views cannot be temporary"
        } else {
            "materialized views must not use temporary tables or views"
        }));
    }
    if reads_temp && !v.temporary {
        crate::notice::emit(crate::notice::Notice::new(
            "00000",
            format!(
                "view \"{}\" will be a temporary view",
                split_name(&v.name)?.1
            ),
        ));
    }
    let (schema, name) = if v.temporary || reads_temp {
        ddl.temp_target(&v.name)?
    } else {
        ddl.target(&v.name)?
    };
    let names: Vec<String> = v.columns.iter().map(|c| ident(&c.name)).collect();
    let catalog = ddl.catalog()?;
    if v.materialized {
        if catalog.relation_exists(schema, &name) {
            if v.if_not_exists {
                crate::notice::skipping_existing("42P07", "relation", &name);
                return Ok(StatementResult::command("CREATE MATERIALIZED VIEW"));
            }
            return Err(Error::DuplicateTable(name));
        }
        let text = v.query.to_string();
        return create_table::ctas(ddl, schema, name, &names, &v.query, true, Some(text));
    }
    let existing = match catalog.relation(schema, &name) {
        Some(Relation::View(old)) if v.or_replace => Some(old.clone()),
        Some(_) if v.if_not_exists => {
            crate::notice::skipping_existing("42P07", "relation", &name);
            return Ok(StatementResult::command("CREATE VIEW"));
        }
        Some(_) => return Err(Error::DuplicateTable(name)),
        None => None,
    };
    let mut b = ddl.binder()?;
    let (_, out) = b.bind_query(&v.query)?;
    if names.len() > out.len() {
        return Err(Error::SyntaxError(
            "CREATE VIEW specifies more column names than columns".into(),
        ));
    }
    let mut columns: Vec<ViewColumn> = Vec::new();
    for (i, c) in out.iter().enumerate() {
        let name = names.get(i).cloned().unwrap_or_else(|| c.name.clone());
        if columns.iter().any(|x| x.name == name) {
            return Err(Error::DuplicateColumn(name));
        }
        let data_type = if c.data_type == DataType::Unknown {
            DataType::Text
        } else {
            c.data_type
        };
        crate::types::record::check_storable(&name, c.data_type)?;
        columns.push(ViewColumn {
            name,
            data_type,
            comment: None,
            acl: None,
        });
    }
    let mut depends_on = b.referenced.clone();
    depends_on.sort_unstable();
    depends_on.dedup();
    let oid = match &existing {
        Some(old) => {
            if columns.len() < old.columns.len() {
                return Err(Error::InvalidTableDefinition(
                    "cannot drop columns from view".into(),
                ));
            }
            for (new, old) in columns.iter_mut().zip(&old.columns) {
                if new.name != old.name {
                    return Err(Error::InvalidTableDefinition(format!(
                        "cannot change name of view column \"{}\" to \"{}\"",
                        old.name, new.name
                    )));
                }
                if new.data_type != old.data_type {
                    return Err(Error::InvalidTableDefinition(format!(
                        "cannot change data type of view column \"{}\" from {} to {}",
                        old.name,
                        old.data_type.name(),
                        new.data_type.name()
                    )));
                }
                new.comment = old.comment.clone();
                new.acl = old.acl.clone();
            }
            old.oid
        }
        None => ddl.txn.new_oid()?,
    };
    if depends_on.contains(&oid) {
        return Err(Error::InvalidObjectDefinition(format!(
            "infinite recursion detected in rules for relation \"{name}\""
        )));
    }
    let search_path = ddl
        .search_path
        .iter()
        .map(|s| catalog.schema_name(*s))
        .collect();
    ddl.txn.put_view(ViewDef {
        oid,
        schema,
        name,
        columns,
        query: v.query.to_string(),
        search_path,
        depends_on,
        owner: existing
            .as_ref()
            .map(|e| e.owner)
            .unwrap_or_else(|| crate::privilege::current(&catalog).oid),
        acl: match &existing {
            Some(e) => e.acl.clone(),
            None => {
                let owner = crate::privilege::current(&catalog).oid;
                super::default_privileges::initial_acl(
                    &catalog,
                    super::default_privileges::RELATIONS,
                    owner,
                    schema,
                )
            }
        },
        comment: existing.and_then(|e| e.comment),
    })?;
    Ok(StatementResult::command("CREATE VIEW"))
}

/// The view `name` names (42P01; 42809 for another kind).
fn find_view(ddl: &Ddl, name: &ast::ObjectName) -> Result<Option<ViewDef>> {
    let (schema, rel) = split_name(name)?;
    match ddl
        .catalog()?
        .resolve(schema.as_deref(), &rel, &ddl.search_path)?
    {
        Some(Relation::View(v)) => Ok(Some(v.clone())),
        Some(_) => Err(Error::WrongObjectType(format!("\"{rel}\" is not a view"))),
        None => Ok(None),
    }
}

/// ALTER VIEW (and ALTER MATERIALIZED VIEW ... RENAME).
pub fn alter(ddl: &mut Ddl, a: &ast::AlterView) -> Result<StatementResult> {
    let tag = if a.materialized {
        "ALTER MATERIALIZED VIEW"
    } else {
        "ALTER VIEW"
    };
    let done = StatementResult::command(tag);
    if a.materialized {
        let t = ddl.table(&a.name)?;
        let mut t = t.clone();
        match &a.operation {
            ast::AlterViewOperation::RenameTo { new_name } => {
                t.name = split_name(new_name)?.1;
                if ddl.catalog()?.relation_exists(t.schema, &t.name) {
                    return Err(Error::DuplicateTable(t.name));
                }
            }
            ast::AlterViewOperation::OwnerTo(_) => return Ok(done),
            _ => {
                return Err(Error::unsupported(
                    "this ALTER MATERIALIZED VIEW is not supported",
                ));
            }
        }
        ddl.txn.alter_table(t)?;
        return Ok(done);
    }
    let Some(mut v) = find_view(ddl, &a.name)? else {
        if a.if_exists {
            crate::notice::skipping_missing("relation", &split_name(&a.name)?.1);
            return Ok(done);
        }
        return Err(Error::UndefinedTable(split_name(&a.name)?.1));
    };
    let catalog = ddl.catalog()?;
    crate::privilege::require_owner(&catalog, &crate::storage::Relation::View(&v))?;
    match &a.operation {
        ast::AlterViewOperation::RenameTo { new_name } => {
            let new = split_name(new_name)?.1;
            if ddl.catalog()?.relation_exists(v.schema, &new) {
                return Err(Error::DuplicateTable(new));
            }
            v.name = new;
        }
        ast::AlterViewOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let (old, new) = (ident(old_column_name), ident(new_column_name));
            if v.columns.iter().any(|c| c.name == new) {
                return Err(Error::DuplicateColumn(format!(
                    "{new}\" of relation \"{}\" already exists; column \"{new}",
                    v.name
                )));
            }
            let c = v
                .columns
                .iter_mut()
                .find(|c| c.name == old)
                .ok_or_else(|| {
                    Error::UndefinedColumn(format!("{old}\" of relation \"{}", v.name))
                })?;
            c.name = new;
        }
        ast::AlterViewOperation::SetSchema { schema_name } => {
            let s = object_name(schema_name)?;
            let target = ddl
                .catalog()?
                .schema(&s)
                .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?
                .oid;
            if target != v.schema {
                super::set_schema::refuse_taken(&*ddl.catalog()?, target, &v.name)?;
            }
            v.schema = target;
        }
        ast::AlterViewOperation::OwnerTo(owner) => {
            let new = super::role::owner_oid(&catalog, owner)?;
            let columns = v.columns.iter_mut().map(|c| &mut c.acl);
            super::role::change_column_owners(columns, v.owner, new);
            super::role::change_owner(&mut v.owner, &mut v.acl, new);
        }
        other => {
            return Err(Error::unsupported(format!(
                "ALTER VIEW {other} is not supported"
            )));
        }
    }
    ddl.txn.put_view(v)?;
    Ok(done)
}

/// REFRESH MATERIALIZED VIEW: runs its query again and replaces its rows.
pub fn refresh(ddl: &mut Ddl, r: &ast::RefreshMaterializedView) -> Result<StatementResult> {
    let def = ddl.table(&r.name)?;
    let Some(text) = def.materialized.clone() else {
        return Err(Error::WrongObjectType(format!(
            "\"{}\" is not a materialized view",
            def.name
        )));
    };
    let q = sqlparser::parser::Parser::new(&crate::parse::StrataDialect::default())
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| Error::Internal(format!("stored query does not parse: {e}")))?;
    let with_data = r.with_data.unwrap_or(true);
    let rows = if with_data {
        ddl.query(&q)?.1
    } else {
        Vec::new()
    };
    ddl.txn.rewrite_table(def, &mut rows.into_iter().map(Ok))?;
    Ok(StatementResult::command("REFRESH MATERIALIZED VIEW"))
}

/// Whether relation `oid` is in a temporary schema.
fn is_temporary(catalog: &crate::storage::Catalog, oid: crate::storage::Oid) -> bool {
    let schema = match catalog.relation_by_oid(oid) {
        Some(Relation::Table(t)) => t.schema,
        Some(Relation::View(v)) => v.schema,
        Some(Relation::Sequence(s)) => s.schema,
        _ => return false,
    };
    catalog
        .schema_name(schema)
        .starts_with(crate::binder::TEMP_SCHEMA_PREFIX)
}
