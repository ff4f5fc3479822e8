//! `information_schema`: the SQL-standard views ORMs read — `tables`, `columns`,
//! `schemata`, `views`, `sequences`, `table_constraints`, `key_column_usage`,
//! `referential_constraints`, `column_privileges`, `role_column_grants` — generated from the same catalog as `pg_catalog`.
//! PostgreSQL's domains print as their base types: `sql_identifier` as `name`,
//! `character_data` / `yes_or_no` as text, `cardinal_number` as `int4`.

use super::relations::{ConstraintRef, constraints, indexes};
use super::val::*;
use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::INFORMATION_SCHEMA_NAMESPACE;
use crate::types::Value;
use crate::{DataType, Result};

fn yes(v: bool) -> Value {
    text(if v { "YES" } else { "NO" })
}

fn database() -> Value {
    text(crate::env::with(|e| e.session.database.clone()))
}

fn tables_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    let mut add = |schema, name: &str, kind: &str, insertable: bool| {
        rows.push(vec![
            database(),
            text(cat.schema_name(schema)),
            text(name),
            text(kind),
            null(),
            null(),
            null(),
            null(),
            null(),
            yes(insertable),
            text("NO"),
            null(),
        ]);
    };
    for t in &cat.tables {
        add(t.schema, &t.name, "BASE TABLE", t.materialized.is_none());
    }
    for v in &cat.views {
        add(v.schema, &v.name, "VIEW", false);
    }
    Ok(rows)
}

/// `(data_type, character_maximum_length, numeric_precision, numeric_precision_radix,
/// numeric_scale, datetime_precision)` of a column type.
fn type_info(t: &DataType) -> (String, Value, Value, Value, Value, Value) {
    let n = null;
    match t {
        DataType::Int2 => ("smallint".into(), n(), int(16), int(2), int(0), n()),
        DataType::Int4 => ("integer".into(), n(), int(32), int(2), int(0), n()),
        DataType::Int8 => ("bigint".into(), n(), int(64), int(2), int(0), n()),
        DataType::Float4 => ("real".into(), n(), int(24), int(2), n(), n()),
        DataType::Float8 => ("double precision".into(), n(), int(53), int(2), n(), n()),
        DataType::Numeric(m) => (
            "numeric".into(),
            n(),
            m.map_or(n(), |m| int(m.precision)),
            int(10),
            m.map_or(n(), |m| int(m.scale)),
            n(),
        ),
        DataType::Varchar(l) => (
            "character varying".into(),
            l.map_or(n(), int),
            n(),
            n(),
            n(),
            n(),
        ),
        DataType::Bpchar(l) => ("character".into(), l.map_or(n(), int), n(), n(), n(), n()),
        DataType::Date => ("date".into(), n(), n(), n(), n(), int(0)),
        DataType::Time(p)
        | DataType::TimeTz(p)
        | DataType::Timestamp(p)
        | DataType::Timestamptz(p) => {
            let name = t.without_typmod().name();
            (name, n(), n(), n(), n(), int(p.unwrap_or(6)))
        }
        DataType::Interval => ("interval".into(), n(), n(), n(), n(), int(6)),
        DataType::Array(_) => ("ARRAY".into(), n(), n(), n(), n(), n()),
        DataType::Composite(_) | DataType::Enum(_) => {
            ("USER-DEFINED".into(), n(), n(), n(), n(), n())
        }
        t => (t.name(), n(), n(), n(), n(), n()),
    }
}

fn columns_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    let mut add = |schema,
                   table: &str,
                   pos: usize,
                   c: (&str, &DataType, bool, Value, bool),
                   generation: Value| {
        let (name, t, nullable, default, identity) = c;
        let (dt, len, prec, radix, scale, dtp) = type_info(t);
        let udt = t.typname();
        // A composite type's (or its array's) schema is its own; built-in types are
        // pg_catalog's.
        let udt_schema = match t.elem().unwrap_or(*t) {
            DataType::Composite(oid) => crate::ddl::types::by_oid(cat, oid)
                .map_or_else(|| "pg_catalog".into(), |(s, _, _)| cat.schema_name(s)),
            DataType::Enum(oid) => cat
                .types
                .iter()
                .find(|t| t.oid == oid)
                .map_or_else(|| "pg_catalog".into(), |t| cat.schema_name(t.schema)),
            _ => "pg_catalog".to_string(),
        };
        let mut row = vec![
            database(),
            text(cat.schema_name(schema)),
            text(table),
            text(name),
            int(pos as i64),
            default,
            yes(nullable),
            text(dt),
            len.clone(),
            len.clone(),
            prec,
            radix,
            scale,
            dtp,
            text(udt_schema),
            text(udt),
            yes(identity),
            text(if generation.is_null() {
                "NEVER"
            } else {
                "ALWAYS"
            }),
            generation,
            yes(true),
        ];
        row[9] = match len {
            Value::Int(l) => int(l * 4),
            v => v,
        };
        rows.push(row);
    };
    for t in &cat.tables {
        for (i, c) in t.columns.iter().enumerate() {
            let default = match &c.default {
                Some(_) if c.generated => null(),
                // PostgreSQL's view prints `pg_get_expr(adbin, adrelid)`: plain mode.
                Some(d) => text(super::deparse::expr_in_mode(
                    &super::deparse::default_expr(d, t, &c.data_type),
                    Some(t),
                    false,
                )),
                None => null(),
            };
            add(
                t.schema,
                &t.name,
                i + 1,
                (
                    &c.name,
                    &c.data_type,
                    !c.not_null,
                    default,
                    c.identity.is_some(),
                ),
                match &c.default {
                    Some(d) if c.generated => text(super::deparse::expr_in_mode(d, Some(t), false)),
                    _ => null(),
                },
            );
        }
    }
    for v in &cat.views {
        for (i, c) in v.columns.iter().enumerate() {
            add(
                v.schema,
                &v.name,
                i + 1,
                (&c.name, &c.data_type, true, null(), false),
                null(),
            );
        }
    }
    Ok(rows)
}

const COLUMNS: &[(&str, &str)] = &[
    ("table_catalog", "name"),
    ("table_schema", "name"),
    ("table_name", "name"),
    ("column_name", "name"),
    ("ordinal_position", "int4"),
    ("column_default", "text"),
    ("is_nullable", "text"),
    ("data_type", "text"),
    ("character_maximum_length", "int4"),
    ("character_octet_length", "int4"),
    ("numeric_precision", "int4"),
    ("numeric_precision_radix", "int4"),
    ("numeric_scale", "int4"),
    ("datetime_precision", "int4"),
    ("udt_schema", "name"),
    ("udt_name", "name"),
    ("is_identity", "text"),
    ("is_generated", "text"),
    ("generation_expression", "text"),
    ("is_updatable", "text"),
];

fn schemata_rows(ctx: &Context) -> Result<Vec<Row>> {
    Ok(ctx
        .env
        .catalog
        .all_schemas()
        .into_iter()
        .map(|s| {
            let owner = ctx.env.catalog.role_name(s.owner);
            vec![
                database(),
                text(s.name),
                text(owner),
                null(),
                null(),
                null(),
                null(),
            ]
        })
        .collect())
}

fn views_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    Ok(cat
        .views
        .iter()
        .map(|v| {
            vec![
                database(),
                text(cat.schema_name(v.schema)),
                text(v.name.clone()),
                text(super::deparse::view_definition(cat, v)),
                text("NONE"),
                text("NO"),
                text("NO"),
            ]
        })
        .collect())
}

fn sequences_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    Ok(cat
        .sequences
        .iter()
        .filter(|s| !is_identity_sequence(cat, s))
        .map(|s| {
            let bits = match s.data_type {
                DataType::Int2 => 16,
                DataType::Int4 => 32,
                _ => 64,
            };
            vec![
                database(),
                text(cat.schema_name(s.schema)),
                text(s.name.clone()),
                text(s.data_type.name()),
                int(bits),
                int(2),
                int(0),
                text(s.start.to_string()),
                text(s.min.to_string()),
                text(s.max.to_string()),
                text(s.increment.to_string()),
                yes(s.cycle),
            ]
        })
        .collect())
}

/// Whether `s` is the sequence behind an identity column.
fn is_identity_sequence(cat: &crate::storage::Catalog, s: &crate::storage::SequenceDef) -> bool {
    s.owned_by.is_some_and(|o| {
        cat.table_by_id(o.table)
            .and_then(|t| t.columns.get(o.column))
            .and_then(|c| c.identity)
            .is_some_and(|i| i.sequence == s.oid)
    })
}

fn table_constraints_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        let schema = cat.schema_name(t.schema);
        for c in constraints(t) {
            let (name, kind) = match &c {
                ConstraintRef::Key(i) if i.primary => (i.name.to_string(), "PRIMARY KEY"),
                ConstraintRef::Key(i) => (i.name.to_string(), "UNIQUE"),
                ConstraintRef::Check(_, ck) => (ck.name.clone(), "CHECK"),
                ConstraintRef::Foreign(_, fk) => (fk.name.clone(), "FOREIGN KEY"),
            };
            let (deferrable, deferred) = match &c {
                ConstraintRef::Foreign(_, fk) => (fk.deferrable, fk.initially_deferred),
                _ => (false, false),
            };
            rows.push(vec![
                database(),
                text(schema.clone()),
                text(name),
                database(),
                text(schema.clone()),
                text(t.name.clone()),
                text(kind),
                yes(deferrable),
                yes(deferred),
                text("YES"),
                if kind == "UNIQUE" || kind == "PRIMARY KEY" {
                    text("YES")
                } else {
                    null()
                },
            ]);
        }
    }
    Ok(rows)
}

fn key_column_usage_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        let schema = cat.schema_name(t.schema);
        for c in constraints(t) {
            let (name, cols, positions): (String, &[usize], Option<Vec<usize>>) = match &c {
                ConstraintRef::Key(i) => (i.name.to_string(), i.columns, None),
                ConstraintRef::Foreign(_, fk) => {
                    let referenced = cat.table_by_id(fk.ref_table).and_then(|rt| {
                        indexes(rt)
                            .into_iter()
                            .find(|i| i.unique && i.columns == fk.ref_columns.as_slice())
                            .map(|i| {
                                fk.ref_columns
                                    .iter()
                                    .map(|rc| {
                                        i.columns.iter().position(|c| c == rc).unwrap_or(0) + 1
                                    })
                                    .collect()
                            })
                    });
                    (fk.name.clone(), &fk.columns, referenced)
                }
                ConstraintRef::Check(..) => continue,
            };
            for (k, &col) in cols.iter().enumerate() {
                rows.push(vec![
                    database(),
                    text(schema.clone()),
                    text(name.clone()),
                    database(),
                    text(schema.clone()),
                    text(t.name.clone()),
                    text(t.columns[col].name.clone()),
                    int(k as i64 + 1),
                    positions
                        .as_ref()
                        .and_then(|p| p.get(k))
                        .map_or(null(), |p| int(*p as i64)),
                ]);
            }
        }
    }
    Ok(rows)
}

fn referential_constraints_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        for fk in &t.foreign_keys {
            let unique = cat.table_by_id(fk.ref_table).and_then(|rt| {
                indexes(rt)
                    .into_iter()
                    .find(|i| i.unique && i.columns == fk.ref_columns.as_slice())
                    .map(|i| (cat.schema_name(rt.schema), i.name.to_string()))
            });
            let (us, un) = match unique {
                Some((s, n)) => (text(s), text(n)),
                None => (null(), null()),
            };
            rows.push(vec![
                database(),
                text(cat.schema_name(t.schema)),
                text(fk.name.clone()),
                database(),
                us,
                un,
                text(if fk.match_full { "FULL" } else { "NONE" }),
                text(fk.on_update.sql()),
                text(fk.on_delete.sql()),
            ]);
        }
    }
    Ok(rows)
}

/// The relations of this module.
pub fn tables() -> Vec<SystemTable> {
    let t = |name, oid, columns, rows| SystemTable {
        schema: INFORMATION_SCHEMA_NAMESPACE,
        name,
        oid,
        columns,
        rows,
    };
    vec![
        t(
            "tables",
            13300,
            &[
                ("table_catalog", "name"),
                ("table_schema", "name"),
                ("table_name", "name"),
                ("table_type", "text"),
                ("self_referencing_column_name", "name"),
                ("reference_generation", "text"),
                ("user_defined_type_catalog", "name"),
                ("user_defined_type_schema", "name"),
                ("user_defined_type_name", "name"),
                ("is_insertable_into", "text"),
                ("is_typed", "text"),
                ("commit_action", "text"),
            ],
            tables_rows,
        ),
        t("columns", 13301, COLUMNS, columns_rows),
        t(
            "schemata",
            13302,
            &[
                ("catalog_name", "name"),
                ("schema_name", "name"),
                ("schema_owner", "name"),
                ("default_character_set_catalog", "name"),
                ("default_character_set_schema", "name"),
                ("default_character_set_name", "name"),
                ("sql_path", "text"),
            ],
            schemata_rows,
        ),
        t(
            "views",
            13303,
            &[
                ("table_catalog", "name"),
                ("table_schema", "name"),
                ("table_name", "name"),
                ("view_definition", "text"),
                ("check_option", "text"),
                ("is_updatable", "text"),
                ("is_insertable_into", "text"),
            ],
            views_rows,
        ),
        t(
            "sequences",
            13304,
            &[
                ("sequence_catalog", "name"),
                ("sequence_schema", "name"),
                ("sequence_name", "name"),
                ("data_type", "text"),
                ("numeric_precision", "int4"),
                ("numeric_precision_radix", "int4"),
                ("numeric_scale", "int4"),
                ("start_value", "text"),
                ("minimum_value", "text"),
                ("maximum_value", "text"),
                ("increment", "text"),
                ("cycle_option", "text"),
            ],
            sequences_rows,
        ),
        t(
            "table_constraints",
            13305,
            &[
                ("constraint_catalog", "name"),
                ("constraint_schema", "name"),
                ("constraint_name", "name"),
                ("table_catalog", "name"),
                ("table_schema", "name"),
                ("table_name", "name"),
                ("constraint_type", "text"),
                ("is_deferrable", "text"),
                ("initially_deferred", "text"),
                ("enforced", "text"),
                ("nulls_distinct", "text"),
            ],
            table_constraints_rows,
        ),
        t(
            "key_column_usage",
            13306,
            &[
                ("constraint_catalog", "name"),
                ("constraint_schema", "name"),
                ("constraint_name", "name"),
                ("table_catalog", "name"),
                ("table_schema", "name"),
                ("table_name", "name"),
                ("column_name", "name"),
                ("ordinal_position", "int4"),
                ("position_in_unique_constraint", "int4"),
            ],
            key_column_usage_rows,
        ),
        t(
            "referential_constraints",
            13307,
            &[
                ("constraint_catalog", "name"),
                ("constraint_schema", "name"),
                ("constraint_name", "name"),
                ("unique_constraint_catalog", "name"),
                ("unique_constraint_schema", "name"),
                ("unique_constraint_name", "name"),
                ("match_option", "text"),
                ("update_rule", "text"),
                ("delete_rule", "text"),
            ],
            referential_constraints_rows,
        ),
        t("column_privileges", 13308, COLUMN_PRIVILEGES, |ctx| {
            Ok(crate::column_privilege::information_schema_rows(
                &ctx.env.catalog,
                false,
            ))
        }),
        t("role_column_grants", 13309, COLUMN_PRIVILEGES, |ctx| {
            Ok(crate::column_privilege::information_schema_rows(
                &ctx.env.catalog,
                true,
            ))
        }),
        t("domains", 13310, DOMAINS, domains_rows),
    ]
}

/// `information_schema.domains`: one row per domain, its base type described as
/// `columns` describes a column's.
fn domains_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.types {
        let crate::storage::TypeBody::Domain(d) = &t.body else {
            continue;
        };
        let (dt, len, prec, radix, scale, dtp) = type_info(&d.base);
        let octets = match &len {
            Value::Int(l) => int(l * 4),
            _ if d.base.is_string() => int(1_073_741_824),
            _ => null(),
        };
        let default = d.default.as_ref().map_or(null(), |e| {
            text(super::deparse::default_expr(
                e,
                &crate::storage::TableDef::default(),
                &d.base,
            ))
        });
        rows.push(vec![
            database(),
            text(cat.schema_name(t.schema)),
            text(t.name.clone()),
            text(dt),
            len,
            octets,
            null(),
            null(),
            null(),
            // A domain has no collation of its own unless it declares one.
            null(),
            null(),
            null(),
            prec,
            radix,
            scale,
            dtp,
            null(),
            null(),
            default,
            database(),
            text("pg_catalog"),
            text(d.base.typname()),
            null(),
            null(),
            null(),
            null(),
            text("1"),
        ]);
    }
    Ok(rows)
}

const DOMAINS: &[(&str, &str)] = &[
    ("domain_catalog", "name"),
    ("domain_schema", "name"),
    ("domain_name", "name"),
    ("data_type", "text"),
    ("character_maximum_length", "int4"),
    ("character_octet_length", "int4"),
    ("character_set_catalog", "name"),
    ("character_set_schema", "name"),
    ("character_set_name", "name"),
    ("collation_catalog", "name"),
    ("collation_schema", "name"),
    ("collation_name", "name"),
    ("numeric_precision", "int4"),
    ("numeric_precision_radix", "int4"),
    ("numeric_scale", "int4"),
    ("datetime_precision", "int4"),
    ("interval_type", "text"),
    ("interval_precision", "int4"),
    ("domain_default", "text"),
    ("udt_catalog", "name"),
    ("udt_schema", "name"),
    ("udt_name", "name"),
    ("scope_catalog", "name"),
    ("scope_schema", "name"),
    ("scope_name", "name"),
    ("maximum_cardinality", "int4"),
    ("dtd_identifier", "name"),
];

/// The columns of `column_privileges` and `role_column_grants`.
const COLUMN_PRIVILEGES: &[(&str, &str)] = &[
    ("grantor", "name"),
    ("grantee", "name"),
    ("table_catalog", "name"),
    ("table_schema", "name"),
    ("table_name", "name"),
    ("column_name", "name"),
    ("privilege_type", "text"),
    ("is_grantable", "text"),
];
