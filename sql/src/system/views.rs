//! The `pg_catalog` views over the user's objects: `pg_tables`, `pg_views`, `pg_indexes`,
//! `pg_sequences` (owners are all `postgres`, as in [`super::relations`]); and
//! `pg_settings`, the session's settings with their definitions ([`crate::settings`]):
//! type, unit, bounds, enum values, boot value; `source` is `default` or `session`, the
//! category `Ungrouped` (Strata keeps no categories).

use super::relations::indexes;
use super::val::*;
use super::{Context, SystemTable};
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::types::Value;

fn pg_tables(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    Ok(cat
        .tables
        .iter()
        .filter(|t| t.materialized.is_none())
        .map(|t| {
            vec![
                text(cat.schema_name(t.schema)),
                text(t.name.clone()),
                text("postgres"),
                null(),
                b(!t.primary_key.is_empty() || !t.indexes.is_empty()),
                b(false),
                b(false),
                b(false),
            ]
        })
        .collect())
}

fn pg_views(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    Ok(cat
        .views
        .iter()
        .map(|v| {
            vec![
                text(cat.schema_name(v.schema)),
                text(v.name.clone()),
                text("postgres"),
                text(super::deparse::view_definition(cat, v)),
            ]
        })
        .collect())
}

fn pg_indexes(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        for i in indexes(t) {
            rows.push(vec![
                text(cat.schema_name(t.schema)),
                text(t.name.clone()),
                text(i.name),
                null(),
                text(super::deparse::index_definition(cat, &i)),
            ]);
        }
    }
    Ok(rows)
}

fn pg_sequences(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for s in &cat.sequences {
        let (last, called) = ctx.env.services.sequence_state(s)?;
        rows.push(vec![
            text(cat.schema_name(s.schema)),
            text(s.name.clone()),
            text("postgres"),
            Value::Reg(crate::types::oid::RegKind::Type, s.data_type.oid()),
            int(s.start),
            int(s.min),
            int(s.max),
            int(s.increment),
            b(s.cycle),
            int(s.cache),
            if called { int(last) } else { null() },
        ]);
    }
    Ok(rows)
}

fn pg_settings(_ctx: &Context) -> Result<Vec<Row>> {
    use crate::settings::catalog::{Kind, Unit, find};
    let all = crate::env::with(|e| e.session.settings().all());
    Ok(all
        .into_iter()
        .map(|(name, value, description)| {
            let def = find(&name);
            let (vartype, unit, min, max, enumvals) = match def.map(|d| d.kind) {
                Some(Kind::Bool) => ("bool", None, null(), null(), null()),
                Some(Kind::Int { min, max, unit }) => (
                    "integer",
                    match unit {
                        Unit::None => None,
                        Unit::Ms => Some("ms"),
                        Unit::S => Some("s"),
                        Unit::Kb => Some("kB"),
                        Unit::Blocks => Some("8kB"),
                    },
                    text(min.to_string()),
                    text(max.to_string()),
                    null(),
                ),
                Some(Kind::Real { min, max }) => (
                    "real",
                    None,
                    text(min.to_string()),
                    text(max.to_string()),
                    null(),
                ),
                Some(Kind::Enum(values)) => (
                    "enum",
                    None,
                    null(),
                    null(),
                    array(values.iter().map(|v| text(*v)).collect()),
                ),
                _ => ("string", None, null(), null(), null()),
            };
            let read_only = def.is_some_and(|d| d.read_only);
            let boot = def.map_or_else(|| value.clone(), |d| d.default.to_string());
            vec![
                text(name),
                text(value.clone()),
                opt_text(unit),
                text("Ungrouped"),
                text(description),
                null(),
                text(if read_only { "internal" } else { "user" }),
                text(vartype),
                text(if value == boot { "default" } else { "session" }),
                min,
                max,
                enumvals,
                text(boot),
                text(value),
                null(),
                null(),
                b(false),
            ]
        })
        .collect())
}

const SETTINGS: &[(&str, &str)] = &[
    ("name", "text"),
    ("setting", "text"),
    ("unit", "text"),
    ("category", "text"),
    ("short_desc", "text"),
    ("extra_desc", "text"),
    ("context", "text"),
    ("vartype", "text"),
    ("source", "text"),
    ("min_val", "text"),
    ("max_val", "text"),
    ("enumvals", "text[]"),
    ("boot_val", "text"),
    ("reset_val", "text"),
    ("sourcefile", "text"),
    ("sourceline", "int4"),
    ("pending_restart", "bool"),
];

/// The relations of this module.
pub fn tables() -> Vec<SystemTable> {
    let t = |name, oid, columns, rows| SystemTable {
        schema: PG_CATALOG_NAMESPACE,
        name,
        oid,
        columns,
        rows,
    };
    vec![
        t("pg_settings", 12093, SETTINGS, pg_settings),
        t(
            "pg_tables",
            12004,
            &[
                ("schemaname", "name"),
                ("tablename", "name"),
                ("tableowner", "name"),
                ("tablespace", "name"),
                ("hasindexes", "bool"),
                ("hasrules", "bool"),
                ("hastriggers", "bool"),
                ("rowsecurity", "bool"),
            ],
            pg_tables,
        ),
        t(
            "pg_views",
            12000,
            &[
                ("schemaname", "name"),
                ("viewname", "name"),
                ("viewowner", "name"),
                ("definition", "text"),
            ],
            pg_views,
        ),
        t(
            "pg_indexes",
            12013,
            &[
                ("schemaname", "name"),
                ("tablename", "name"),
                ("indexname", "name"),
                ("tablespace", "name"),
                ("indexdef", "text"),
            ],
            pg_indexes,
        ),
        t(
            "pg_sequences",
            12017,
            &[
                ("schemaname", "name"),
                ("sequencename", "name"),
                ("sequenceowner", "name"),
                ("data_type", "regtype"),
                ("start_value", "int8"),
                ("min_value", "int8"),
                ("max_value", "int8"),
                ("increment_by", "int8"),
                ("cycle", "bool"),
                ("cache_size", "int8"),
                ("last_value", "int8"),
            ],
            pg_sequences,
        ),
    ]
}
