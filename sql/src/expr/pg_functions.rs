//! The catalog information functions psql, drivers and ORMs call over `pg_catalog`:
//! `format_type`, `pg_get_userbyid`, `pg_table_is_visible` and its kin, `pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_expr`, `pg_get_viewdef`, `obj_description`,
//! `col_description`, `shobj_description`, the size functions (`pg_relation_size`,
//! `pg_total_relation_size`, `pg_table_size`, `pg_indexes_size`, `pg_size_pretty`),
//! `pg_encoding_to_char`, the privilege tests (always true: Strata has no privileges yet),
//! `pg_get_serial_sequence`, and the ones psql's `\d` calls about objects Strata does not
//! have (triggers, extended statistics, publications, functions), which return NULL.
//!
//! They read the running statement's catalog ([`crate::env::CatalogEnv`]) and print through
//! [`crate::system::deparse`].

use crate::env;
use crate::storage::Oid;
use crate::storage::catalog::oids::{PG_CATALOG_NAMESPACE, PG_CLASS_OID};
use crate::system::{deparse, relations};
use crate::types::oid::RegKind;
use crate::types::{DataType, NumericTypmod, Value};
use crate::{Error, Result};

/// A function of this module (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgFn {
    FormatType,
    GetUserById,
    TableIsVisible,
    /// `pg_type_is_visible`: built-in types always; a `CREATE TYPE` / `CREATE DOMAIN` type
    /// (or its array type) or a relation's row type when the search path finds it.
    TypeIsVisible,
    /// `pg_collation_is_visible`, `pg_opclass_is_visible`, ...: every such object is in
    /// `pg_catalog`, which is always searched.
    AlwaysVisible,
    /// `pg_function_is_visible`: built-ins always; a SQL function when its schema is on the
    /// search path.
    FunctionIsVisible,
    /// `pg_get_function_result` of a SQL function or a built-in.
    FunctionResult,
    /// `pg_get_function_arguments` of a SQL function or a built-in.
    FunctionArguments,
    /// `pg_get_function_identity_arguments` of a SQL function or a built-in.
    FunctionIdentityArguments,
    /// `pg_get_functiondef(oid)` (`super::functiondef`).
    FunctionDef,
    /// `pg_get_function_sqlbody(oid)`: a SQL-standard body (`RETURN ...`), else NULL.
    FunctionSqlBody,
    /// `pg_get_function_arg_default(oid, n)`.
    FunctionArgDefault,
    GetIndexDef,
    GetConstraintDef,
    GetExpr,
    /// `pg_get_partkeydef(oid)`.
    GetPartKeyDef,
    /// `pg_get_partition_constraintdef(oid)`.
    GetPartitionConstraintDef,
    GetViewDef,
    /// `pg_get_triggerdef(oid[, pretty])`.
    GetTriggerDef,
    ObjDescription,
    ColDescription,
    ShobjDescription,
    RelationSize,
    TotalRelationSize,
    /// `pg_database_size(name | oid)`: the current database's tables and indexes.
    DatabaseSize,
    TableSize,
    IndexesSize,
    /// `to_regtype(text)` / `to_regclass(text)`: the name's OID, NULL where the cast
    /// would fail (drivers probe types and relations with them).
    ToRegType,
    ToRegClass,
    SizePretty,
    EncodingToChar,
    /// `has_table_privilege` and friends.
    HasPrivilege,
    /// `has_table_privilege`, answered from the tables' ACLs.
    HasTablePrivilege,
    /// `has_schema_privilege`, answered from the schemas' ACLs.
    HasSchemaPrivilege,
    /// `has_sequence_privilege`, answered from the sequences' ACLs.
    HasSequencePrivilege,
    /// `pg_has_role`, answered from the roles' memberships.
    HasRole,
    /// `has_column_privilege`, answered from the tables' and columns' ACLs.
    HasColumnPrivilege,
    GetSerialSequence,
    RelationIsPublishable,
    /// Functions about objects Strata has none of (`pg_get_ruledef`, ...): NULL.
    Nothing,
    /// `pg_get_function_result`, `pg_get_function_arguments` (no user functions) and
    /// `pg_tablespace_location` (the built-in tablespaces have none): empty text.
    FunctionText,
}

impl PgFn {
    /// Resolves `name` with `args` arguments: the function, its parameter types and result.
    pub fn resolve(name: &str, args: usize) -> Option<(PgFn, Vec<DataType>, DataType)> {
        use DataType as T;
        let text = T::Text;
        let oid = T::Oid;
        let (f, params, ret) = match (name, args) {
            ("format_type", 2) => (PgFn::FormatType, vec![oid, T::Int4], text),
            ("pg_get_userbyid", 1) => (PgFn::GetUserById, vec![oid], T::Name),
            ("pg_table_is_visible", 1) => (PgFn::TableIsVisible, vec![oid], T::Bool),
            ("pg_function_is_visible", 1) => (PgFn::FunctionIsVisible, vec![oid], T::Bool),
            ("pg_type_is_visible", 1) => (PgFn::TypeIsVisible, vec![oid], T::Bool),
            (
                "pg_collation_is_visible"
                | "pg_opclass_is_visible"
                | "pg_operator_is_visible"
                | "pg_conversion_is_visible"
                | "pg_ts_config_is_visible"
                | "pg_ts_dict_is_visible"
                | "pg_ts_parser_is_visible"
                | "pg_ts_template_is_visible"
                | "pg_statistics_obj_is_visible",
                1,
            ) => (PgFn::AlwaysVisible, vec![oid], T::Bool),
            ("pg_get_indexdef", 1) => (PgFn::GetIndexDef, vec![oid], text),
            ("pg_get_indexdef", 3) => (PgFn::GetIndexDef, vec![oid, T::Int4, T::Bool], text),
            ("pg_get_constraintdef", 1) => (PgFn::GetConstraintDef, vec![oid], text),
            ("pg_get_constraintdef", 2) => (PgFn::GetConstraintDef, vec![oid, T::Bool], text),
            ("pg_get_expr", 2) => (PgFn::GetExpr, vec![text, oid], text),
            ("pg_get_partkeydef", 1) => (PgFn::GetPartKeyDef, vec![oid], text),
            ("pg_get_partition_constraintdef", 1) => {
                (PgFn::GetPartitionConstraintDef, vec![oid], text)
            }
            ("pg_get_expr", 3) => (PgFn::GetExpr, vec![text, oid, T::Bool], text),
            // regclass, so a view's name works too (PostgreSQL's `pg_get_viewdef(text
            // [, bool])` overloads).
            ("pg_get_viewdef", 1) => (PgFn::GetViewDef, vec![T::RegClass], text),
            ("pg_get_viewdef", 2) => (PgFn::GetViewDef, vec![T::RegClass, T::Bool], text),
            ("obj_description", 1) => (PgFn::ObjDescription, vec![oid], text),
            ("obj_description", 2) => (PgFn::ObjDescription, vec![oid, T::Name], text),
            ("col_description", 2) => (PgFn::ColDescription, vec![oid, T::Int4], text),
            ("shobj_description", 2) => (PgFn::ShobjDescription, vec![oid, T::Name], text),
            ("pg_relation_size", 1) => (PgFn::RelationSize, vec![T::RegClass], T::Int8),
            ("pg_relation_size", 2) => (PgFn::RelationSize, vec![T::RegClass, text], T::Int8),
            ("pg_total_relation_size", 1) => (PgFn::TotalRelationSize, vec![T::RegClass], T::Int8),
            ("pg_database_size", 1) => (PgFn::DatabaseSize, vec![T::Unknown], T::Int8),
            ("pg_table_size", 1) => (PgFn::TableSize, vec![T::RegClass], T::Int8),
            ("pg_indexes_size", 1) => (PgFn::IndexesSize, vec![T::RegClass], T::Int8),
            ("to_regtype", 1) => (PgFn::ToRegType, vec![text], T::RegType),
            ("to_regclass", 1) => (PgFn::ToRegClass, vec![text], T::RegClass),
            ("pg_size_pretty", 1) => (PgFn::SizePretty, vec![T::Numeric(None)], text),
            ("pg_encoding_to_char", 1) => (PgFn::EncodingToChar, vec![T::Int4], T::Name),
            ("has_table_privilege", 2 | 3) => {
                (PgFn::HasTablePrivilege, vec![T::Unknown; args], T::Bool)
            }
            ("has_schema_privilege", 2 | 3) => {
                (PgFn::HasSchemaPrivilege, vec![T::Unknown; args], T::Bool)
            }
            ("has_sequence_privilege", 2 | 3) => {
                (PgFn::HasSequencePrivilege, vec![T::Unknown; args], T::Bool)
            }
            ("pg_has_role", 2 | 3) => (PgFn::HasRole, vec![T::Unknown; args], T::Bool),
            ("has_column_privilege", 3 | 4) => {
                (PgFn::HasColumnPrivilege, vec![T::Unknown; args], T::Bool)
            }
            (
                "has_table_privilege"
                | "has_schema_privilege"
                | "has_database_privilege"
                | "has_sequence_privilege"
                | "has_column_privilege"
                | "has_function_privilege"
                | "pg_has_role",
                2..=4,
            ) => (PgFn::HasPrivilege, vec![T::Unknown; args], T::Bool),
            ("pg_get_serial_sequence", 2) => (PgFn::GetSerialSequence, vec![text, text], text),
            ("pg_relation_is_publishable", 1) => {
                (PgFn::RelationIsPublishable, vec![T::RegClass], T::Bool)
            }
            ("pg_get_triggerdef", 1) => (PgFn::GetTriggerDef, vec![oid], text),
            ("pg_get_triggerdef", 2) => (PgFn::GetTriggerDef, vec![oid, T::Bool], text),
            ("pg_get_ruledef", 1 | 2) | ("pg_get_statisticsobjdef_columns", 1) => {
                (PgFn::Nothing, vec![T::Unknown; args], text)
            }
            ("pg_tablespace_location", 1) => (PgFn::FunctionText, vec![oid], text),
            ("pg_get_function_result", 1) => (PgFn::FunctionResult, vec![oid], text),
            ("pg_get_function_arguments", 1) => (PgFn::FunctionArguments, vec![oid], text),
            ("pg_get_function_identity_arguments", 1) => {
                (PgFn::FunctionIdentityArguments, vec![oid], text)
            }
            ("pg_get_functiondef", 1) => (PgFn::FunctionDef, vec![oid], text),
            ("pg_get_function_sqlbody", 1) => (PgFn::FunctionSqlBody, vec![oid], text),
            ("pg_get_function_arg_default", 2) => {
                (PgFn::FunctionArgDefault, vec![oid, T::Int4], text)
            }
            _ => return None,
        };
        Some((f, params, ret))
    }

    /// Whether a NULL argument gives NULL without calling.
    pub fn strict(&self) -> bool {
        !matches!(self, PgFn::FormatType | PgFn::HasPrivilege | PgFn::Nothing)
    }

    /// Calls the function inside the running statement.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        if self.strict() && args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        let oid_arg = |i: usize| -> Oid {
            match args.get(i) {
                Some(Value::Int(n)) => *n as Oid,
                Some(Value::Reg(_, o)) => *o,
                _ => 0,
            }
        };
        let text = |s: String| Value::Text(s);
        Ok(match self {
            PgFn::FormatType => match args.first() {
                Some(Value::Null) | None => Value::Null,
                _ => {
                    let typmod = match args.get(1) {
                        Some(Value::Int(t)) => Some(*t as i32),
                        _ => None,
                    };
                    text(format_type(oid_arg(0), typmod))
                }
            },
            PgFn::GetUserById => {
                let o = oid_arg(0);
                text(match env::catalog() {
                    Ok(c) => c.catalog.role_name(o),
                    Err(_) => crate::storage::Catalog::default().role_name(o),
                })
            }
            PgFn::TableIsVisible => Value::Bool(table_is_visible(oid_arg(0))?),
            PgFn::TypeIsVisible => Value::Bool(type_is_visible(oid_arg(0))?),
            PgFn::AlwaysVisible | PgFn::HasPrivilege => Value::Bool(true),
            PgFn::HasTablePrivilege => {
                crate::privilege::has_privilege(crate::privilege::PrivilegeOn::Table, &args)?
            }
            PgFn::HasSequencePrivilege => {
                crate::privilege::has_privilege(crate::privilege::PrivilegeOn::Sequence, &args)?
            }
            PgFn::HasSchemaPrivilege => {
                crate::privilege::has_privilege(crate::privilege::PrivilegeOn::Schema, &args)?
            }
            PgFn::HasRole => crate::privilege::has_role(&args)?,
            PgFn::HasColumnPrivilege => crate::column_privilege::has_column_privilege(&args)?,
            PgFn::FunctionIsVisible => {
                let env = env::catalog()?;
                Value::Bool(
                    match env.catalog.functions.iter().find(|f| f.oid == oid_arg(0)) {
                        Some(f) => env.search_path.contains(&f.schema),
                        None => true,
                    },
                )
            }
            PgFn::RelationIsPublishable => {
                let env = env::catalog()?;
                Value::Bool(env.catalog.table_by_id(oid_arg(0)).is_some())
            }
            PgFn::GetIndexDef => {
                let env = env::catalog()?;
                let Some(i) = relations::index_by_oid(&env.catalog, oid_arg(0)) else {
                    return Ok(Value::Null);
                };
                let column = match args.get(1) {
                    Some(Value::Int(c)) => *c as usize,
                    _ => 0,
                };
                let pretty = matches!(args.get(2), Some(Value::Bool(true)));
                if column == 0 {
                    text(deparse::index_definition_mode(&env.catalog, &i, pretty))
                } else {
                    match deparse::index_column(&i, column - 1, pretty) {
                        Some(s) => text(s),
                        None => Value::Null,
                    }
                }
            }
            PgFn::GetConstraintDef => {
                let env = env::catalog()?;
                match relations::constraint_by_oid(&env.catalog, oid_arg(0)) {
                    Some(c) => {
                        let pretty = matches!(args.get(1), Some(Value::Bool(true)));
                        text(deparse::constraint_definition(&env.catalog, &c, pretty))
                    }
                    None => {
                        let pretty = matches!(args.get(1), Some(Value::Bool(true)));
                        crate::system::user_types::domain_constraint_definition(
                            &env.catalog,
                            oid_arg(0),
                            pretty,
                        )
                        .map_or(Value::Null, text)
                    }
                }
            }
            PgFn::GetExpr => {
                let env = env::catalog()?;
                let Value::Text(e) = &args[0] else {
                    return Ok(Value::Null);
                };
                // A partition bound (`relpartbound`) is kept as its printed form.
                if e.starts_with("FOR VALUES ") || e == "DEFAULT" {
                    return Ok(text(e.clone()));
                }
                let pretty = matches!(args.get(2), Some(Value::Bool(true)));
                text(deparse::expr_in_mode(
                    e,
                    env.catalog.table_by_id(oid_arg(1)),
                    pretty,
                ))
            }
            PgFn::GetPartKeyDef => {
                let env = env::catalog()?;
                crate::system::partitions::partkeydef(&env.catalog, oid_arg(0))
            }
            PgFn::GetPartitionConstraintDef => {
                let env = env::catalog()?;
                crate::system::partitions::constraintdef(&env.catalog, oid_arg(0))
            }
            PgFn::GetViewDef => {
                let env = env::catalog()?;
                match env.catalog.view_by_id(oid_arg(0)) {
                    Some(v) => text(deparse::view_definition(&env.catalog, v)),
                    None => Value::Null,
                }
            }
            PgFn::GetTriggerDef => {
                let env = env::catalog()?;
                let pretty = matches!(args.get(1), Some(Value::Bool(true)));
                match crate::system::triggers::by_oid(&env.catalog, oid_arg(0)) {
                    Some((table, t)) => text(crate::system::triggers::definition(
                        &env.catalog,
                        &env.search_path,
                        table,
                        t,
                        pretty,
                    )),
                    None => Value::Null,
                }
            }
            PgFn::ObjDescription | PgFn::ColDescription => {
                let env = env::catalog()?;
                let o = oid_arg(0);
                let (class, sub) = match self {
                    PgFn::ColDescription => (Some(PG_CLASS_OID), oid_arg(1) as i64),
                    // The catalog's relation name in pg_catalog (a qualified name matches
                    // none, as in PostgreSQL).
                    _ => match args.get(1) {
                        Some(Value::Text(c)) => {
                            match crate::system::tables()
                                .iter()
                                .find(|t| t.schema == PG_CATALOG_NAMESPACE && t.name == *c)
                            {
                                Some(t) => (Some(t.oid), 0),
                                None => return Ok(Value::Null),
                            }
                        }
                        _ => (None, 0),
                    },
                };
                relations::comments(&env.catalog)
                    .into_iter()
                    .find(|(oid, cl, s, _)| {
                        *oid == o && *s == sub && class.is_none_or(|c| c == *cl)
                    })
                    .map_or(Value::Null, |(_, _, _, d)| text(d))
            }
            PgFn::ShobjDescription => match args.get(1) {
                Some(Value::Text(c)) if c == "pg_database" => {
                    crate::system::builtin::database_description(oid_arg(0))
                        .map_or(Value::Null, |d| text(d.to_string()))
                }
                _ => Value::Null,
            },
            PgFn::Nothing => Value::Null,
            PgFn::FunctionText => text(String::new()),
            PgFn::FunctionDef => {
                super::functiondef::functiondef(oid_arg(0))?.map_or(Value::Null, text)
            }
            PgFn::FunctionSqlBody => {
                super::functiondef::sql_body(oid_arg(0))?.map_or(Value::Null, text)
            }
            PgFn::FunctionArgDefault => {
                let n = match args.get(1) {
                    Some(Value::Int(n)) => *n,
                    _ => 0,
                };
                super::functiondef::arg_default(oid_arg(0), n)?.map_or(Value::Null, text)
            }
            PgFn::FunctionResult | PgFn::FunctionArguments | PgFn::FunctionIdentityArguments => {
                if let Some(p) = crate::system::builtin_procs::by_oid(oid_arg(0)) {
                    use super::functiondef::{builtin_arguments, builtin_result};
                    return Ok(match self {
                        PgFn::FunctionResult => text(builtin_result(p)),
                        PgFn::FunctionArguments => text(builtin_arguments(p, true, false)),
                        _ => text(builtin_arguments(p, false, false)),
                    });
                }
                let env = env::catalog()?;
                let Some(f) = env.catalog.functions.iter().find(|f| f.oid == oid_arg(0)) else {
                    return Ok(Value::Null);
                };
                match self {
                    // a procedure has no result type
                    PgFn::FunctionResult if f.procedure => Value::Null,
                    PgFn::FunctionResult => text(function_result(f)),
                    PgFn::FunctionArguments => text(function_arguments(f, false)),
                    _ => text(function_arguments(f, true)),
                }
            }
            PgFn::RelationSize | PgFn::TableSize => Value::Int(size(oid_arg(0))? as i64),
            PgFn::IndexesSize => Value::Int(indexes_size(oid_arg(0))? as i64),
            PgFn::ToRegType | PgFn::ToRegClass => {
                let to = if *self == PgFn::ToRegType {
                    DataType::RegType
                } else {
                    DataType::RegClass
                };
                let name = args.first().cloned().unwrap_or(Value::Null);
                crate::types::cast::cast(name, DataType::Text, to, true).unwrap_or(Value::Null)
            }
            PgFn::DatabaseSize => {
                let database = env::with(|e| e.session.database.clone());
                // PostgreSQL's template databases, listed in `pg_database`, hold nothing here.
                let template = crate::system::builtin::TEMPLATES.iter().any(|(o, n, _)| {
                    *n != database
                        && match &args[0] {
                            Value::Int(oid) => *oid == i64::from(*o),
                            Value::Text(name) => name == n,
                            _ => false,
                        }
                });
                if template {
                    return Ok(Value::Int(0));
                }
                match &args[0] {
                    Value::Int(oid)
                        if *oid != i64::from(crate::storage::catalog::oids::DATABASE_OID) =>
                    {
                        return Ok(Value::Null);
                    }
                    Value::Text(name) if *name != database => {
                        return Err(Error::UndefinedDatabase(format!(
                            "database \"{name}\" does not exist"
                        )));
                    }
                    _ => {}
                }
                let env = env::catalog()?;
                let mut total = 0;
                for t in &env.catalog.tables {
                    total += size(t.id)? + indexes_size(t.id)?;
                }
                Value::Int(total as i64)
            }
            PgFn::TotalRelationSize => {
                Value::Int((size(oid_arg(0))? + indexes_size(oid_arg(0))?) as i64)
            }
            PgFn::SizePretty => {
                let n = match &args[0] {
                    Value::Int(i) => *i,
                    Value::Numeric(n) => n.to_string().parse::<f64>().unwrap_or(0.0) as i64,
                    Value::Float(f) => *f as i64,
                    _ => 0,
                };
                text(size_pretty(n))
            }
            PgFn::EncodingToChar => text(
                match args[0] {
                    Value::Int(6) => "UTF8",
                    Value::Int(0) => "SQL_ASCII",
                    _ => "",
                }
                .into(),
            ),
            PgFn::GetSerialSequence => {
                let env = env::catalog()?;
                let (Value::Text(t), Value::Text(c)) = (&args[0], &args[1]) else {
                    return Ok(Value::Null);
                };
                let oid = crate::expr::catalog_functions::resolve_relation_text(
                    &env.catalog,
                    t,
                    &env.search_path,
                )?
                .ok_or_else(|| Error::UndefinedTable(t.clone()))?;
                let table = env
                    .catalog
                    .table_by_id(oid)
                    .ok_or_else(|| Error::WrongObjectType(format!("\"{t}\" is not a table")))?;
                let col = table.column_index(c).ok_or_else(|| {
                    Error::UndefinedColumn(format!(
                        "column \"{c}\" of relation \"{}\" does not exist",
                        table.name
                    ))
                })?;
                env.catalog
                    .sequences
                    .iter()
                    .find(|s| {
                        s.owned_by
                            .is_some_and(|o| o.table == table.id && o.column == col)
                    })
                    .map_or(Value::Null, |s| {
                        text(format!(
                            "{}.{}",
                            crate::expr::catalog_functions::quote_ident(
                                &env.catalog.schema_name(s.schema)
                            ),
                            crate::expr::catalog_functions::quote_ident(&s.name)
                        ))
                    })
            }
        })
    }
}

/// Whether relation `oid` is found first by its unqualified name on the search path.
fn table_is_visible(oid: Oid) -> Result<bool> {
    let env = env::catalog()?;
    let cat = &env.catalog;
    let Some(rel) = cat.relation_by_oid(oid) else {
        // a virtual pg_catalog / information_schema relation: visible when its schema is
        // searched (pg_catalog always is, first)
        return Ok(crate::system::tables()
            .iter()
            .find(|t| t.oid == oid)
            .is_some_and(|t| env.search_path.contains(&t.schema)));
    };
    for &s in &env.search_path {
        if let Some(found) = cat.relation(s, rel.name()) {
            return Ok(found.oid() == oid);
        }
    }
    Ok(false)
}

fn type_is_visible(oid: Oid) -> Result<bool> {
    let env = env::catalog()?;
    let cat = &env.catalog;
    let Some(t) = cat
        .types
        .iter()
        .find(|t| t.oid == oid || (t.array_oid == oid && oid != 0))
    else {
        return match cat.relation_by_oid(oid) {
            Some(_) => table_is_visible(oid),
            None => Ok(true),
        };
    };
    let found = env
        .search_path
        .iter()
        .find_map(|s| crate::ddl::types::oid_in(cat, *s, &t.name));
    Ok(found == Some(t.oid))
}

fn size(oid: Oid) -> Result<u64> {
    Ok(env::catalog()?.services.relation_size(oid).unwrap_or(0))
}

fn indexes_size(oid: Oid) -> Result<u64> {
    let env = env::catalog()?;
    let Some(t) = env.catalog.table_by_id(oid) else {
        return Ok(0);
    };
    Ok(relations::indexes(t)
        .iter()
        .map(|i| env.services.relation_size(i.oid).unwrap_or(0))
        .sum())
}

/// `pg_size_pretty(bigint)`, PostgreSQL 15's rounding: bytes below 10 kB, then each unit
/// while the value stays below 20480 of it, rounding half away from zero.
pub fn size_pretty(size: i64) -> String {
    let limit: i64 = 10 * 1024;
    let limit2 = limit * 2 - 1;
    if size.abs() < limit {
        return format!("{size} bytes");
    }
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    let mut s = size >> 9;
    for unit in ["kB", "MB", "GB", "TB"] {
        if s.abs() < limit2 || unit == "TB" {
            return format!("{} {unit}", half_rounded(s));
        }
        s >>= 10;
    }
    unreachable!("TB returns")
}

/// `format_type(oid, typmod)`.
pub fn format_type(oid: Oid, typmod: Option<i32>) -> String {
    if oid == 0 {
        return "-".into();
    }
    let Some(base) = crate::types::oid::builtin_type(oid) else {
        if let Some(p) = crate::types::oid::pseudo_type_name(oid) {
            return p.into();
        }
        // A composite, enum or domain type, or an array of one.
        return crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.type_name(oid)))
            .unwrap_or_else(|| "???".into());
    };
    let with_mod = |t: DataType| -> DataType {
        let Some(m) = typmod.filter(|m| *m >= 0) else {
            return t;
        };
        match t {
            DataType::Varchar(_) if m >= 4 => DataType::Varchar(Some((m - 4) as u32)),
            DataType::Bpchar(_) if m >= 4 => DataType::Bpchar(Some((m - 4) as u32)),
            DataType::Numeric(_) if m >= 4 => DataType::Numeric(Some(NumericTypmod {
                precision: (((m - 4) >> 16) & 0xffff) as u16,
                scale: ((((m - 4) & 0x7ff) ^ 1024) - 1024) as i16,
            })),
            DataType::Time(_) => DataType::Time(Some(m as u8)),
            DataType::TimeTz(_) => DataType::TimeTz(Some(m as u8)),
            DataType::Timestamp(_) => DataType::Timestamp(Some(m as u8)),
            DataType::Timestamptz(_) => DataType::Timestamptz(Some(m as u8)),
            t => t,
        }
    };
    let t = match base {
        DataType::Array(e) => match crate::types::ElemType::new(with_mod(e.get())) {
            Some(e) => DataType::Array(e),
            None => base,
        },
        t => with_mod(t),
    };
    // `bpchar` without a length given as -1 is the type itself, not `character(1)`.
    if typmod == Some(-1) && matches!(t, DataType::Bpchar(None)) {
        return "bpchar".into();
    }
    t.name()
}

/// The `regclass` of relation `oid`, for set-returning wrappers.
pub fn regclass(oid: Oid) -> Value {
    Value::Reg(RegKind::Class, oid)
}

/// Every parameter of `f` in declaration order with its `proargmodes` letter (`i`, `o`,
/// `b`, or `t` for a `RETURNS TABLE` column), name and type.
pub fn all_parameters(
    f: &crate::storage::FunctionDef,
) -> Vec<(char, Option<String>, crate::types::DataType)> {
    let modes: Vec<char> = if f.has_out_params() {
        f.arg_modes.chars().collect()
    } else {
        std::iter::repeat_n('i', f.args.len())
            .chain(std::iter::repeat_n('t', f.table_columns.len()))
            .collect()
    };
    let (mut inputs, mut outputs) = (f.args.iter(), f.table_columns.iter());
    let mut out = Vec::with_capacity(modes.len());
    for m in modes {
        let p = match m {
            'i' => inputs.next().map(|a| (a.name.clone(), a.data_type)),
            'b' => {
                outputs.next();
                inputs.next().map(|a| (a.name.clone(), a.data_type))
            }
            _ => outputs.next().map(|c| {
                // an unnamed OUT parameter has no name in pg_proc
                let unnamed = m == 'o'
                    && c.name
                        .strip_prefix("column")
                        .is_some_and(|n| n.parse::<usize>().is_ok());
                ((!unnamed).then(|| c.name.clone()), c.data_type)
            }),
        };
        if let Some((name, ty)) = p {
            out.push((m, name, ty));
        }
    }
    out
}

/// `prorettype` of user function `f`: `void` / `trigger`, `record` for several OUT
/// parameters or `RETURNS TABLE` columns (and a procedure's OUT parameters), else the type.
pub fn return_type_oid(f: &crate::storage::FunctionDef) -> Oid {
    match f.pseudo_return.as_deref() {
        Some("void") => 2278,
        Some("trigger") => 2279,
        _ if f.has_out_params() => f.returns.oid(),
        _ if f.returns_record() => 2249,
        _ => f
            .table_columns
            .first()
            .map_or(f.returns, |c| c.data_type)
            .oid(),
    }
}

/// `pg_get_function_result`: `integer`, `SETOF integer`, `TABLE(a integer, b text)`.
pub fn function_result(f: &crate::storage::FunctionDef) -> String {
    if !f.table_columns.is_empty() && !f.has_out_params() {
        let cols: Vec<String> = f
            .table_columns
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    crate::expr::catalog_functions::quote_ident(&c.name),
                    format_type(c.data_type.oid(), None)
                )
            })
            .collect();
        return format!("TABLE({})", cols.join(", "));
    }
    // `void` / `trigger` are pseudo-types; `returns` holds a stand-in for them.
    // `pg_proc` keeps no typmods: `varchar(10)` prints as `character varying`
    let t = f
        .pseudo_return
        .clone()
        .unwrap_or_else(|| format_type(f.returns.oid(), None));
    if f.returns_set {
        format!("SETOF {t}")
    } else {
        t
    }
}

/// `pg_get_function_arguments`: `a integer, OUT b text, c text DEFAULT 'x'::text`; with
/// `identity`, `pg_get_function_identity_arguments` (no DEFAULTs; OUT parameters stay, as
/// PostgreSQL 15 prints them). A procedure's IN parameters say `IN`.
pub fn function_arguments(f: &crate::storage::FunctionDef, identity: bool) -> String {
    let mut defaults = f.args.iter().map(|a| a.default.as_ref());
    all_parameters(f)
        .into_iter()
        .filter(|(m, _, _)| *m != 't')
        .map(|(m, name, ty)| {
            let mut s = match m {
                'o' => "OUT ".to_string(),
                'b' => "INOUT ".to_string(),
                _ if f.procedure => "IN ".to_string(),
                _ => String::new(),
            };
            if let Some(n) = &name {
                s.push_str(&crate::expr::catalog_functions::quote_ident(n));
                s.push(' ');
            }
            s.push_str(&format_type(ty.oid(), None));
            if m != 'o'
                && let Some(Some(d)) = defaults.next()
                && !identity
            {
                s.push_str(&format!(
                    " DEFAULT {}",
                    crate::system::deparse::expr(d, None)
                ));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}
