//! `information_schema.routines` and `information_schema.parameters`: one row per
//! function, procedure and aggregate (built-ins in `pg_catalog` and users' functions), and
//! one per parameter of each, filled as PostgreSQL 15's view definitions fill them:
//! `specific_name` is `name_oid`, `routine_type` `FUNCTION` / `PROCEDURE` (NULL for
//! aggregates and window functions), `data_type` `ARRAY` / `USER-DEFINED` / the
//! `format_type` of a `pg_catalog` type. Every function is executable by PUBLIC in Strata,
//! so PostgreSQL's privilege filter keeps every row; `routine_definition` and
//! `parameter_default` show only to a role with USAGE of the owner (PostgreSQL's
//! `pg_has_role(proowner, 'USAGE')`: the creator, or the bootstrap superuser for a built-in).

use super::val::*;
use super::{Context, SystemTable};
use crate::Result;
use crate::expr::functiondef::builtin_params;
use crate::storage::Row;
use crate::storage::catalog::oids::{BOOTSTRAP_SUPERUSER, INFORMATION_SCHEMA_NAMESPACE};
use crate::types::Value;

fn database() -> Value {
    text(crate::env::with(|e| e.session.database.clone()))
}

/// `(data_type, type schema, typname)` of type `oid` as the views print it.
fn type_desc(cat: &crate::storage::Catalog, oid: u32) -> (String, String, String) {
    use crate::expr::pg_functions::format_type;
    if let Some(t) = crate::types::oid::builtin_type(oid) {
        let vector = matches!(t, crate::DataType::Int2Vector | crate::DataType::OidVector);
        let dt = if t.elem().is_some() || vector {
            "ARRAY".to_string()
        } else {
            format_type(oid, None)
        };
        return (dt, "pg_catalog".into(), t.typname());
    }
    if let Some(p) = crate::types::oid::pseudo_type_name(oid) {
        return (p.into(), "pg_catalog".into(), p.trim_matches('"').into());
    }
    for t in &cat.types {
        if t.oid == oid {
            return (
                "USER-DEFINED".into(),
                cat.schema_name(t.schema).to_string(),
                t.name.clone(),
            );
        }
        if t.array_oid == oid && oid != 0 {
            return (
                "ARRAY".into(),
                cat.schema_name(t.schema).to_string(),
                format!("_{}", t.name),
            );
        }
    }
    let name = format_type(oid, None);
    ("USER-DEFINED".into(), "public".into(), name)
}

/// A routine as both views see it.
struct Routine {
    schema: String,
    name: String,
    oid: u32,
    /// `prokind`.
    kind: char,
    /// `prorettype` (None for a procedure).
    ret: Option<u32>,
    language: String,
    src: String,
    immutable: bool,
    strict: bool,
    security_definer: bool,
    /// `proowner`.
    owner: u32,
    /// `(mode, name, type, default)` in `proallargtypes` order.
    params: Vec<(char, Option<String>, u32, Option<String>)>,
}

fn routines(ctx: &Context) -> Vec<Routine> {
    let cat = &ctx.env.catalog;
    let mut out: Vec<Routine> = super::builtin_procs::all()
        .iter()
        .map(|p| Routine {
            schema: "pg_catalog".into(),
            name: p.name.into(),
            oid: p.oid,
            kind: p.kind,
            ret: (p.kind != 'p').then_some(p.ret),
            language: match p.lang {
                12 => "internal",
                13 => "c",
                _ => "sql",
            }
            .into(),
            src: p.src.into(),
            immutable: p.volatility == 'i',
            strict: p.strict,
            security_definer: p.security_definer,
            owner: BOOTSTRAP_SUPERUSER,
            params: builtin_params(p)
                .into_iter()
                .map(|a| {
                    (
                        a.mode,
                        a.name.map(String::from),
                        a.type_oid,
                        a.default.map(String::from),
                    )
                })
                .collect(),
        })
        .collect();
    for f in &cat.functions {
        let defaults = crate::expr::functiondef::user_defaults(f);
        let params = crate::expr::pg_functions::all_parameters(f)
            .into_iter()
            .zip(defaults)
            .map(|((m, name, ty), d)| (m, name, ty.oid(), d))
            .collect();
        out.push(Routine {
            schema: cat.schema_name(f.schema).to_string(),
            name: f.name.clone(),
            oid: f.oid,
            kind: if f.procedure { 'p' } else { 'f' },
            ret: (!f.procedure).then(|| crate::expr::pg_functions::return_type_oid(f)),
            language: f.language.clone().unwrap_or_else(|| "sql".into()),
            // a SQL-standard body has an empty `prosrc`
            src: if f.standard_body.is_some() {
                String::new()
            } else {
                f.body.clone()
            },
            immutable: f.volatility == 'i',
            strict: f.strict,
            security_definer: f.security_definer,
            owner: f.owner,
            params,
        });
    }
    out
}

fn yes(v: bool) -> Value {
    text(if v { "YES" } else { "NO" })
}

/// `pg_has_role(proowner, 'USAGE')`: whether the current role sees routine `r`'s
/// definition and parameter defaults.
fn owner_usage(who: &crate::privilege::Who, r: &Routine) -> bool {
    who.superuser || who.acts_as(r.owner)
}

fn routines_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let who = crate::privilege::current(cat);
    let mut rows = Vec::new();
    for r in routines(ctx) {
        let (dt, udt_schema, udt_name) = match r.ret {
            Some(t) => {
                let (d, s, n) = type_desc(cat, t);
                (text(d), text(s), text(n))
            }
            None => (null(), null(), null()),
        };
        let mut row = vec![
            database(),
            text(&r.schema),
            text(format!("{}_{}", r.name, r.oid)),
            database(),
            text(&r.schema),
            text(&r.name),
            match r.kind {
                'f' => text("FUNCTION"),
                'p' => text("PROCEDURE"),
                _ => null(),
            },
        ];
        // module_*, udt_*
        row.extend(std::iter::repeat_n(null(), 6));
        row.push(dt);
        // character_maximum_length ... interval_precision
        row.extend(std::iter::repeat_n(null(), 14));
        row.push(if r.ret.is_some() { database() } else { null() });
        row.push(udt_schema);
        row.push(udt_name);
        // scope_*, maximum_cardinality
        row.extend(std::iter::repeat_n(null(), 4));
        row.push(if r.kind != 'p' { text("0") } else { null() });
        row.push(text(if r.language == "sql" {
            "SQL"
        } else {
            "EXTERNAL"
        }));
        row.push(if owner_usage(&who, &r) {
            text(&r.src)
        } else {
            null()
        });
        row.push(if r.language == "c" {
            text(&r.src)
        } else {
            null()
        });
        row.push(text(r.language.to_uppercase()));
        row.push(text("GENERAL"));
        row.push(yes(r.immutable));
        row.push(text("MODIFIES"));
        row.push(if r.kind != 'p' { yes(r.strict) } else { null() });
        row.push(null());
        row.push(text("YES"));
        row.push(int(0));
        row.push(null());
        row.push(null());
        row.push(text(if r.security_definer {
            "DEFINER"
        } else {
            "INVOKER"
        }));
        // to_sql_*
        row.extend(std::iter::repeat_n(null(), 3));
        row.push(text("NO"));
        // created, last_altered, new_savepoint_level
        row.extend(std::iter::repeat_n(null(), 3));
        row.push(text("NO"));
        // result_cast_*
        row.extend(std::iter::repeat_n(null(), 24));
        debug_assert_eq!(row.len(), ROUTINES.len());
        rows.push(row);
    }
    Ok(rows)
}

fn parameters_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let who = crate::privilege::current(cat);
    let mut rows = Vec::new();
    for r in routines(ctx) {
        let sees_defaults = owner_usage(&who, &r);
        for (i, (mode, name, ty, default)) in r.params.iter().enumerate() {
            let (dt, udt_schema, udt_name) = type_desc(cat, *ty);
            let mut row = vec![
                database(),
                text(&r.schema),
                text(format!("{}_{}", r.name, r.oid)),
                int(i as i64 + 1),
                text(match mode {
                    'o' | 't' => "OUT",
                    'b' => "INOUT",
                    _ => "IN",
                }),
                text("NO"),
                text("NO"),
                name.as_ref().map_or(null(), text),
                text(dt),
            ];
            // character_maximum_length ... interval_precision
            row.extend(std::iter::repeat_n(null(), 14));
            row.push(database());
            row.push(text(udt_schema));
            row.push(text(udt_name));
            // scope_*, maximum_cardinality
            row.extend(std::iter::repeat_n(null(), 4));
            row.push(text((i + 1).to_string()));
            row.push(match default {
                Some(d) if sees_defaults => text(d),
                _ => null(),
            });
            debug_assert_eq!(row.len(), PARAMETERS.len());
            rows.push(row);
        }
    }
    Ok(rows)
}

pub fn tables() -> Vec<SystemTable> {
    vec![
        SystemTable {
            schema: INFORMATION_SCHEMA_NAMESPACE,
            name: "routines",
            oid: 13311,
            columns: ROUTINES,
            rows: routines_rows,
        },
        SystemTable {
            schema: INFORMATION_SCHEMA_NAMESPACE,
            name: "parameters",
            oid: 13312,
            columns: PARAMETERS,
            rows: parameters_rows,
        },
    ]
}

const ROUTINES: &[(&str, &str)] = &[
    ("specific_catalog", "name"),
    ("specific_schema", "name"),
    ("specific_name", "name"),
    ("routine_catalog", "name"),
    ("routine_schema", "name"),
    ("routine_name", "name"),
    ("routine_type", "text"),
    ("module_catalog", "name"),
    ("module_schema", "name"),
    ("module_name", "name"),
    ("udt_catalog", "name"),
    ("udt_schema", "name"),
    ("udt_name", "name"),
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
    ("type_udt_catalog", "name"),
    ("type_udt_schema", "name"),
    ("type_udt_name", "name"),
    ("scope_catalog", "name"),
    ("scope_schema", "name"),
    ("scope_name", "name"),
    ("maximum_cardinality", "int4"),
    ("dtd_identifier", "name"),
    ("routine_body", "text"),
    ("routine_definition", "text"),
    ("external_name", "text"),
    ("external_language", "text"),
    ("parameter_style", "text"),
    ("is_deterministic", "text"),
    ("sql_data_access", "text"),
    ("is_null_call", "text"),
    ("sql_path", "text"),
    ("schema_level_routine", "text"),
    ("max_dynamic_result_sets", "int4"),
    ("is_user_defined_cast", "text"),
    ("is_implicitly_invocable", "text"),
    ("security_type", "text"),
    ("to_sql_specific_catalog", "name"),
    ("to_sql_specific_schema", "name"),
    ("to_sql_specific_name", "name"),
    ("as_locator", "text"),
    ("created", "timestamptz"),
    ("last_altered", "timestamptz"),
    ("new_savepoint_level", "text"),
    ("is_udt_dependent", "text"),
    ("result_cast_from_data_type", "text"),
    ("result_cast_as_locator", "text"),
    ("result_cast_char_max_length", "int4"),
    ("result_cast_char_octet_length", "int4"),
    ("result_cast_char_set_catalog", "name"),
    ("result_cast_char_set_schema", "name"),
    ("result_cast_char_set_name", "name"),
    ("result_cast_collation_catalog", "name"),
    ("result_cast_collation_schema", "name"),
    ("result_cast_collation_name", "name"),
    ("result_cast_numeric_precision", "int4"),
    ("result_cast_numeric_precision_radix", "int4"),
    ("result_cast_numeric_scale", "int4"),
    ("result_cast_datetime_precision", "int4"),
    ("result_cast_interval_type", "text"),
    ("result_cast_interval_precision", "int4"),
    ("result_cast_type_udt_catalog", "name"),
    ("result_cast_type_udt_schema", "name"),
    ("result_cast_type_udt_name", "name"),
    ("result_cast_scope_catalog", "name"),
    ("result_cast_scope_schema", "name"),
    ("result_cast_scope_name", "name"),
    ("result_cast_maximum_cardinality", "int4"),
    ("result_cast_dtd_identifier", "name"),
];

const PARAMETERS: &[(&str, &str)] = &[
    ("specific_catalog", "name"),
    ("specific_schema", "name"),
    ("specific_name", "name"),
    ("ordinal_position", "int4"),
    ("parameter_mode", "text"),
    ("is_result", "text"),
    ("as_locator", "text"),
    ("parameter_name", "name"),
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
    ("udt_catalog", "name"),
    ("udt_schema", "name"),
    ("udt_name", "name"),
    ("scope_catalog", "name"),
    ("scope_schema", "name"),
    ("scope_name", "name"),
    ("maximum_cardinality", "int4"),
    ("dtd_identifier", "name"),
    ("parameter_default", "text"),
];
