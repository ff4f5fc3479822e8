//! `CREATE TYPE name AS (field type, ...)` and `DROP TYPE`: composite types kept in the
//! catalog ([`TypeDef`]) and listed in `pg_type` with `typtype = 'c'`.
//!
//! A type's name shares PostgreSQL's namespace of types with the row types of tables, views
//! and sequences (42710 when taken); DROP TYPE of a relation's row type is 42809. Enum
//! types are made in [`super::enums`], domains in [`super::domains`] (DROP TYPE drops them
//! too, as in PostgreSQL); range types are refused (0A000).

use super::Ddl;
use crate::binder::{ident, split_name};
use crate::result::StatementResult;
use crate::storage::{Catalog, Oid, TypeDef, ViewColumn};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// CREATE TYPE.
pub fn create(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    representation: Option<&ast::UserDefinedTypeRepresentation>,
) -> Result<StatementResult> {
    let attributes = match representation {
        Some(ast::UserDefinedTypeRepresentation::Composite { attributes }) => attributes,
        Some(ast::UserDefinedTypeRepresentation::Enum { labels }) => {
            return super::enums::create(ddl, name, labels);
        }
        Some(_) => return Err(Error::unsupported("this kind of type is not supported")),
        None => return Err(Error::unsupported("shell types are not supported")),
    };
    let (schema, type_name) = ddl.target(name)?;
    let catalog = ddl.catalog()?;
    if type_taken(&catalog, schema, &type_name) {
        return Err(Error::DuplicateObject(format!(
            "type \"{type_name}\" already exists"
        )));
    }
    let mut fields: Vec<ViewColumn> = Vec::with_capacity(attributes.len());
    for a in attributes {
        let field = ident(&a.name);
        if fields.iter().any(|f| f.name == field) {
            return Err(Error::DuplicateColumn(format!(
                "column \"{field}\" specified more than once"
            )));
        }
        let data_type = DataType::from_sql(&a.data_type)?;
        crate::types::record::check_storable(&field, data_type)?;
        fields.push(ViewColumn {
            name: field,
            data_type,
            comment: None,
            acl: None,
        });
    }
    let oid = ddl.txn.new_oid()?;
    ddl.txn.put_type(TypeDef {
        oid,
        schema,
        name: type_name,
        fields,
        owner: crate::privilege::current(&catalog).oid,
        comment: None,
        body: crate::storage::TypeBody::Composite,
        array_oid: 0,
    })?;
    Ok(StatementResult::command("CREATE TYPE"))
}

/// Whether `name` is a type of `schema` already: a composite type or a relation's row type.
pub fn type_taken(catalog: &Catalog, schema: Oid, name: &str) -> bool {
    catalog
        .types
        .iter()
        .any(|t| t.schema == schema && t.name == name)
        || catalog
            .tables
            .iter()
            .any(|t| t.schema == schema && t.name == name)
        || catalog
            .views
            .iter()
            .any(|v| v.schema == schema && v.name == name)
        || catalog
            .sequences
            .iter()
            .any(|s| s.schema == schema && s.name == name)
}

/// A composite type's fields: name and type, in order.
pub type Fields = Vec<(String, DataType)>;

/// The composite type with OID `oid`: a `CREATE TYPE` type, or a table's or view's row
/// type (whose OID is the relation's): its schema, name and fields.
pub fn by_oid(catalog: &Catalog, oid: Oid) -> Option<(Oid, String, Fields)> {
    if let Some(t) = catalog.types.iter().find(|t| t.oid == oid) {
        if !t.body.is_composite() {
            return None;
        }
        let fields = t
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.data_type))
            .collect();
        return Some((t.schema, t.name.clone(), fields));
    }
    if let Some(t) = catalog.table_by_id(oid) {
        let fields = t
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type))
            .collect();
        return Some((t.schema, t.name.clone(), fields));
    }
    let v = catalog.view_by_id(oid)?;
    let fields = v
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.data_type))
        .collect();
    Some((v.schema, v.name.clone(), fields))
}

/// The OID of the composite type called `name` in schema `schema`: a `CREATE TYPE` type
/// or a table's or view's row type.
pub fn oid_in(catalog: &Catalog, schema: Oid, name: &str) -> Option<Oid> {
    if let Some(t) = catalog
        .types
        .iter()
        .find(|t| t.schema == schema && t.name == name)
    {
        return Some(t.oid);
    }
    match catalog.relation(schema, name)? {
        crate::storage::Relation::Table(t) => Some(t.id),
        crate::storage::Relation::View(v) => Some(v.oid),
        _ => None,
    }
}

/// The composite type `name` names: in its schema, or the first schema of the search path
/// that has it.
pub fn find<'c>(
    catalog: &'c Catalog,
    search_path: &[Oid],
    name: &ast::ObjectName,
) -> Result<Option<&'c TypeDef>> {
    let (schema, type_name) = split_name(name)?;
    Ok(match schema {
        Some(s) => {
            let s = catalog
                .schema(&s)
                .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?;
            catalog
                .types
                .iter()
                .find(|t| t.schema == s.oid && t.name == type_name)
        }
        None => search_path.iter().find_map(|s| {
            catalog
                .types
                .iter()
                .find(|t| t.schema == *s && t.name == type_name)
        }),
    })
}

/// DROP TYPE [IF EXISTS] name, ... [CASCADE]: columns and composite types using the type
/// block it (2BP01) or, with CASCADE, are dropped with it.
pub fn drop(
    ddl: &mut Ddl,
    names: &[ast::ObjectName],
    if_exists: bool,
    cascade: bool,
) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let mut targets = Vec::new();
    for n in names {
        match find(&catalog, &ddl.search_path, n)? {
            Some(t) => {
                let who = crate::privilege::current(&catalog);
                if !who.superuser && !who.acts_as(t.owner) {
                    return Err(Error::InsufficientPrivilege(format!(
                        "must be owner of type {}",
                        t.name
                    )));
                }
                targets.push(t.oid);
            }
            None => {
                let (schema, type_name) = split_name(n)?;
                let path = match &schema {
                    Some(s) => catalog.schema(s).map(|s| vec![s.oid]).unwrap_or_default(),
                    None => ddl.search_path.clone(),
                };
                if path.iter().any(|s| type_taken(&catalog, *s, &type_name)) {
                    return Err(Error::WrongObjectType(format!(
                        "\"{type_name}\" is not a composite type created by CREATE TYPE"
                    )));
                }
                if !if_exists {
                    return Err(Error::UndefinedObject(format!(
                        "type \"{type_name}\" does not exist"
                    )));
                }
                match schema {
                    Some(s) if catalog.schema(&s).is_none() => {
                        crate::notice::skipping_missing("schema", &s)
                    }
                    _ => crate::notice::skipping_missing("type", &type_name),
                }
            }
        }
    }
    let targets: Vec<super::depend::Obj> =
        targets.into_iter().map(super::depend::Obj::Type).collect();
    super::drop::drop_objects(ddl, &targets, cascade)?;
    Ok(StatementResult::command("DROP TYPE"))
}

/// Whether `op` changes the table's columns (and so its row type's fields).
pub fn changes_row_type(op: &ast::AlterTableOperation) -> bool {
    use ast::AlterTableOperation as O;
    matches!(
        op,
        O::AddColumn { .. }
            | O::DropColumn { .. }
            | O::AlterColumn {
                op: ast::AlterColumnOperation::SetDataType { .. },
                ..
            }
    )
}

/// 0A000 when a column of another table has this table's row type: stored values of it
/// keep the fields they were written with (PostgreSQL refuses only a type change; it adds
/// and drops the fields of stored values, which Strata does not).
pub fn row_type_unused(
    catalog: &crate::storage::Catalog,
    def: &crate::storage::TableDef,
) -> Result<()> {
    let own = DataType::Composite(def.id);
    for t in &catalog.tables {
        for c in &t.columns {
            if c.data_type == own || c.data_type.elem() == Some(own) {
                return Err(Error::unsupported(format!(
                    "cannot alter table \"{}\" because column \"{}.{}\" uses its row type",
                    def.name, t.name, c.name
                )));
            }
        }
    }
    Ok(())
}
