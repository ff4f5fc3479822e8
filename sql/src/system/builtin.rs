//! The catalog relations whose rows are fixed by the server rather than by the user's
//! objects: `pg_type` (PostgreSQL's OIDs, names and properties for every built-in type),
//! `pg_am`, `pg_database` (the one database of the timeline, named as the session's, and
//! PostgreSQL's `template1` and `template0`; `pg_shdescription` describes them as initdb does),
//! the roles (`pg_roles`, `pg_authid`, `pg_user`: the bootstrap superuser `postgres` and
//! `pg_database_owner`, then the catalog's; `pg_auth_members`: their memberships), `pg_collation`, `pg_opclass` (the default
//! B-tree operator classes, PostgreSQL's OIDs), `pg_tablespace`,
//! `pg_proc` (built-in rows from [`super::builtin_procs`], then the users' functions), and relations
//! that are always empty because Strata has no such objects (policies,
//! inheritance, rules, extended statistics, publications, partitioning,
//! event triggers, default privileges, per-role settings, encoding conversions, foreign
//! data wrappers and servers, text search objects, security labels, large objects,
//! transforms, replication slots); `pg_range` has the built-in range types; `pg_language` has PostgreSQL's
//! built-in languages (internal, c, sql) and no procedural one.

use super::builtin_procs::TypeIo;
use super::relations::{align_of, collation_of, storage_of};
use super::val::*;
use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::{
    BOOTSTRAP_SUPERUSER, BTREE_AM, DATABASE_OID, DEFAULT_TABLESPACE, HEAP_AM, PG_CATALOG_NAMESPACE,
};
use crate::types::Category;
use crate::{DataType, Result};

/// `typcategory`.
pub(super) fn category_code(t: &DataType) -> char {
    match t {
        DataType::Char => 'Z',
        DataType::Bytea | DataType::Uuid | DataType::Json | DataType::Jsonb => 'U',
        t => match t.category() {
            Category::Boolean => 'B',
            Category::Numeric => 'N',
            Category::String => 'S',
            Category::DateTime => 'D',
            Category::Timespan => 'T',
            Category::Array => 'A',
            Category::Enum => 'E',
            Category::Network => 'I',
            Category::Range => 'R',
            Category::Unknown => 'X',
            _ => 'U',
        },
    }
}

fn preferred(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Bool
            | DataType::Float8
            | DataType::Text
            | DataType::Timestamptz(_)
            | DataType::Interval
            | DataType::Oid
            | DataType::Inet
    )
}

fn pg_type(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = composite_types(ctx);
    rows.extend(super::user_types::pg_type_rows(ctx));
    for t in crate::types::oid::builtin_types() {
        let is_array = t.elem().is_some();
        rows.push(
            TypeRow {
                oid: t.oid(),
                name: t.typname().to_string(),
                namespace: PG_CATALOG_NAMESPACE,
                owner: BOOTSTRAP_SUPERUSER,
                len: t.type_len().into(),
                by_value: matches!(t.type_len(), 1 | 2 | 4 | 8),
                kind: match t {
                    DataType::Unknown => 'p',
                    DataType::Range(_) => 'r',
                    _ => 'b',
                },
                relid: 0,
                category: category_code(&t),
                preferred: preferred(&t),
                elem: t
                    .elem()
                    .or_else(|| crate::types::vector::elem(t))
                    .map_or(0, |e| e.oid()),
                array: if is_array || t == DataType::Unknown {
                    0
                } else {
                    t.array_oid()
                },
                align: align_of(&t),
                storage: storage_of(&t),
                collation: collation_of(&t),
                io: super::builtin_procs::type_io(t.oid()).unwrap_or_default(),
                ..TypeRow::default()
            }
            .row(),
        );
    }
    // The pseudo-types of anonymous rows, `ROW(...)` and arrays of rows: a driver that
    // decodes by type (asyncpg) looks them up.
    for (oid, name, elem, array) in [(2249, "record", 0, 2287), (2287, "_record", 2249, 0)] {
        rows.push(
            TypeRow {
                oid,
                name: name.into(),
                namespace: PG_CATALOG_NAMESPACE,
                owner: BOOTSTRAP_SUPERUSER,
                len: -1,
                kind: 'p',
                category: 'P',
                elem,
                array,
                align: 'd',
                storage: 'x',
                io: if elem == 0 {
                    TypeIo::RECORD
                } else {
                    TypeIo::ARRAY
                },
                ..TypeRow::default()
            }
            .row(),
        );
    }
    // `void` and `trigger`, which functions return (`pg_proc.prorettype`).
    for (oid, name, io) in [
        (2278, "void", [2298, 2299, 3120, 3121]),
        (2279, "trigger", [2300, 2301, 0, 0]),
    ] {
        rows.push(
            TypeRow {
                oid,
                name: name.into(),
                namespace: PG_CATALOG_NAMESPACE,
                owner: BOOTSTRAP_SUPERUSER,
                len: 4,
                by_value: true,
                kind: 'p',
                category: 'P',
                align: 'i',
                storage: 'p',
                io: TypeIo([io[0], io[1], io[2], io[3], 0, 0, 0, 0]),
                ..TypeRow::default()
            }
            .row(),
        );
    }
    Ok(rows)
}

/// The columns of a `pg_type` row that differ between types; the others (delimiter `,`,
/// `typrelid` 0, ...) are the same for every type here.
#[derive(Default)]
pub(super) struct TypeRow {
    pub oid: crate::storage::Oid,
    pub name: String,
    pub namespace: crate::storage::Oid,
    pub owner: crate::storage::Oid,
    pub len: i64,
    pub by_value: bool,
    /// `typtype`: `b` base, `p` pseudo, `c` composite, `e` enum, `d` domain.
    pub kind: char,
    /// `typrelid`: the relation of a row type.
    pub relid: crate::storage::Oid,
    pub category: char,
    pub preferred: bool,
    pub elem: crate::storage::Oid,
    pub array: crate::storage::Oid,
    pub align: char,
    pub storage: char,
    pub collation: crate::storage::Oid,
    /// A domain's `typnotnull`, `typbasetype`, `typtypmod` (-1: none, for a non-domain)
    /// and `typdefault`.
    pub not_null: bool,
    pub base: crate::storage::Oid,
    pub typmod: Option<i32>,
    pub default: Option<String>,
    /// `typinput` ... `typsubscript`.
    pub io: TypeIo,
}

impl TypeRow {
    pub(super) fn row(self) -> Row {
        let [
            input,
            output,
            receive,
            send,
            modin,
            modout,
            analyze,
            subscript,
        ] = self.io.values();
        vec![
            oid(self.oid),
            text(self.name),
            oid(self.namespace),
            oid(self.owner),
            int(self.len),
            b(self.by_value),
            ch(self.kind),
            ch(self.category),
            b(self.preferred),
            b(true),
            ch(','),
            oid(self.relid),
            subscript,
            oid(self.elem),
            oid(self.array),
            input,
            output,
            receive,
            send,
            modin,
            modout,
            analyze,
            ch(self.align),
            ch(self.storage),
            b(self.not_null),
            oid(self.base),
            int(i64::from(self.typmod.unwrap_or(-1))),
            int(0),
            oid(self.collation),
            null(),
            self.default.map_or(null(), text),
            null(),
        ]
    }
}

/// The `pg_type` rows of composite types: `CREATE TYPE ... AS (...)` types (whose
/// `pg_class` row of kind 'c' has the type's OID) and the row types of tables and views
/// (whose OID, here, is the relation's); `typrelid` is that OID; and their array types
/// (`_name`, OID [`crate::types::record::array_oid`]).
fn composite_types(ctx: &Context) -> Vec<Row> {
    let catalog = &ctx.env.catalog;
    let created = catalog
        .types
        .iter()
        .filter(|t| t.body.is_composite())
        .map(|t| (t.oid, t.name.clone(), t.schema, t.owner, t.oid));
    let tables = catalog
        .tables
        .iter()
        .map(|t| (t.id, t.name.clone(), t.schema, t.owner, t.id));
    let views = catalog
        .views
        .iter()
        .map(|v| (v.oid, v.name.clone(), v.schema, v.owner, v.oid));
    let mut rows = Vec::new();
    for (oid, name, namespace, owner, relid) in created.chain(tables).chain(views) {
        let array = crate::types::record::array_oid(oid);
        rows.push(
            TypeRow {
                oid,
                name: name.clone(),
                namespace,
                owner,
                relid,
                len: -1,
                by_value: false,
                kind: 'c',
                category: 'C',
                preferred: false,
                elem: 0,
                array,
                align: 'd',
                storage: 'x',
                collation: 0,
                io: TypeIo::RECORD,
                ..TypeRow::default()
            }
            .row(),
        );
        // Its array type, `_name`, as PostgreSQL makes one for every composite type.
        rows.push(
            TypeRow {
                oid: array,
                name: format!("_{name}"),
                namespace,
                owner,
                len: -1,
                kind: 'b',
                category: 'A',
                elem: oid,
                align: 'd',
                storage: 'x',
                io: TypeIo::ARRAY,
                ..TypeRow::default()
            }
            .row(),
        );
    }
    rows
}

const PG_TYPE: &[(&str, &str)] = &[
    ("oid", "oid"),
    ("typname", "name"),
    ("typnamespace", "oid"),
    ("typowner", "oid"),
    ("typlen", "int2"),
    ("typbyval", "bool"),
    ("typtype", "char"),
    ("typcategory", "char"),
    ("typispreferred", "bool"),
    ("typisdefined", "bool"),
    ("typdelim", "char"),
    ("typrelid", "oid"),
    ("typsubscript", "regproc"),
    ("typelem", "oid"),
    ("typarray", "oid"),
    ("typinput", "regproc"),
    ("typoutput", "regproc"),
    ("typreceive", "regproc"),
    ("typsend", "regproc"),
    ("typmodin", "regproc"),
    ("typmodout", "regproc"),
    ("typanalyze", "regproc"),
    ("typalign", "char"),
    ("typstorage", "char"),
    ("typnotnull", "bool"),
    ("typbasetype", "oid"),
    ("typtypmod", "int4"),
    ("typndims", "int4"),
    ("typcollation", "oid"),
    ("typdefaultbin", "pg_node_tree"),
    ("typdefault", "text"),
    ("typacl", "aclitem[]"),
];

/// The languages functions can be written in: PostgreSQL's built-in three (no procedural
/// language is installed, so psql's `\dL` lists none), with their OIDs and validators.
/// `pg_language`'s OID of plpgsql (PostgreSQL 15's in a new cluster).
pub const PLPGSQL_LANGUAGE: u32 = 13563;

fn pg_language(_ctx: &Context) -> Result<Vec<Row>> {
    let lang = |o: u32, name: &str, trusted: bool, validator: u32| {
        vec![
            oid(o),
            text(name),
            oid(BOOTSTRAP_SUPERUSER),
            b(false),
            b(trusted),
            oid(0),
            oid(0),
            oid(validator),
            null(),
        ]
    };
    Ok(vec![
        lang(12, "internal", false, 2246),
        lang(13, "c", false, 2247),
        lang(14, "sql", true, 2248),
        {
            let mut l = lang(PLPGSQL_LANGUAGE, "plpgsql", true, 13562);
            l[3] = b(true); // lanispl
            l[5] = oid(13560); // lanplcallfoid
            l[6] = oid(13561); // laninline
            l
        },
    ])
}

fn pg_am(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(vec![
        vec![oid(HEAP_AM), text("heap"), proc0(), ch('t')],
        vec![oid(BTREE_AM), text("btree"), proc0(), ch('i')],
    ])
}

/// PostgreSQL's `template1` and `template0` (initdb's OIDs), which Strata lists but does
/// not serve: template0 refuses connections (`datallowconn`), template1 is the database
/// Strata serves under another name, so connecting to it reaches the same data.
pub const TEMPLATES: [(u32, &str, bool); 2] = [(1, "template1", true), (4, "template0", false)];

/// The descriptions initdb gives its databases (`pg_shdescription`, psql's `\l+`).
const DATABASE_DESCRIPTIONS: [(u32, &str); 3] = [
    (DATABASE_OID, "default administrative connection database"),
    (1, "default template for new databases"),
    (4, "unmodifiable empty database"),
];

fn pg_database(ctx: &Context) -> Result<Vec<Row>> {
    let name = crate::env::with(|e| e.session.database.clone());
    let owner = ctx.env.catalog.role_name(BOOTSTRAP_SUPERUSER);
    let row = |oid_: u32, name: String, template: bool, allow: bool, acl: Value| {
        vec![
            oid(oid_),
            text(name),
            oid(BOOTSTRAP_SUPERUSER),
            int(6), // UTF8
            ch('c'),
            b(template),
            b(allow),
            int(-1),
            int(0),
            int(0),
            oid(DEFAULT_TABLESPACE),
            // Strata compares text by bytes: the C collation.
            text("C"),
            text("C"),
            null(),
            null(),
            acl,
        ]
    };
    let mut rows = vec![row(DATABASE_OID, name.clone(), false, true, null())];
    for (template_oid, template, allow) in TEMPLATES {
        if template != name {
            // initdb's ACL for the templates: everyone may connect, the owner has all.
            let acl = array(vec![
                text(format!("=c/{owner}")),
                text(format!("{owner}=CTc/{owner}")),
            ]);
            rows.push(row(template_oid, template.to_string(), true, allow, acl));
        }
    }
    Ok(rows)
}

/// The description of database `oid` (`shobj_description(oid, 'pg_database')`).
pub fn database_description(oid: u32) -> Option<&'static str> {
    DATABASE_DESCRIPTIONS
        .iter()
        .find(|(o, _)| *o == oid)
        .map(|(_, d)| *d)
}

fn pg_shdescription(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(DATABASE_DESCRIPTIONS
        .iter()
        .map(|(o, d)| vec![oid(*o), oid(1262), text(*d)])
        .collect())
}

/// The roles of the catalog (built-in ones first).
fn roles(ctx: &Context) -> Vec<crate::storage::RoleDef> {
    ctx.env.catalog.all_roles()
}

/// `rolvaliduntil` as a `timestamptz` value.
fn valid_until(r: &crate::storage::RoleDef) -> Value {
    r.valid_until
        .as_ref()
        .and_then(|t| {
            crate::types::cast::cast(
                Value::Text(t.clone()),
                DataType::Text,
                DataType::Timestamptz(None),
                true,
            )
            .ok()
        })
        .unwrap_or(Value::Null)
}

fn pg_roles(ctx: &Context) -> Result<Vec<Row>> {
    Ok(roles(ctx)
        .iter()
        .map(|r| {
            vec![
                text(r.name.clone()),
                b(r.superuser),
                b(r.inherit),
                b(r.create_role),
                b(r.create_db),
                b(r.login),
                b(r.replication),
                int(r.connection_limit as i64),
                text("********"),
                valid_until(r),
                b(r.bypass_rls),
                role_config(r, None),
                oid(r.oid),
            ]
        })
        .collect())
}

/// A role's `ALTER ROLE ... SET` defaults for `database` (`None`: every database) as
/// `name=value` items, NULL when there are none (`rolconfig`, `setconfig`).
fn role_config(r: &crate::storage::RoleDef, database: Option<crate::storage::Oid>) -> Value {
    let items: Vec<Value> = r
        .config
        .iter()
        .filter(|c| c.database == database)
        .map(|c| text(format!("{}={}", c.name, c.value)))
        .collect();
    if items.is_empty() {
        null()
    } else {
        array(items)
    }
}

/// `pg_db_role_setting`: one row per role and database scope that has defaults.
fn pg_db_role_setting(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for d in &ctx.env.catalog.databases {
        if !d.config.is_empty() {
            let items = d
                .config
                .iter()
                .map(|c| text(format!("{}={}", c.name, c.value)))
                .collect();
            rows.push(vec![oid(d.oid), oid(0), array(items)]);
        }
    }
    for r in &ctx.env.catalog.roles {
        let mut scopes: Vec<Option<crate::storage::Oid>> = Vec::new();
        for c in &r.config {
            if !scopes.contains(&c.database) {
                scopes.push(c.database);
            }
        }
        for scope in scopes {
            rows.push(vec![
                oid(scope.unwrap_or(0)),
                oid(r.oid),
                role_config(r, scope),
            ]);
        }
    }
    Ok(rows)
}

/// `pg_auth_members`: every role membership (kept on the member role).
fn pg_auth_members(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for r in &ctx.env.catalog.roles {
        for m in &r.member_of {
            rows.push(vec![oid(m.role), oid(r.oid), oid(m.grantor), b(m.admin)]);
        }
    }
    Ok(rows)
}

/// `pg_authid`: readable by superusers only, as in PostgreSQL (it holds the verifiers).
fn pg_authid(ctx: &Context) -> Result<Vec<Row>> {
    let catalog = &ctx.env.catalog;
    if !crate::privilege::who(catalog, &ctx.env.user).superuser {
        return Err(crate::Error::InsufficientPrivilege(
            "permission denied for table pg_authid".into(),
        ));
    }
    Ok(roles(ctx)
        .iter()
        .map(|r| {
            vec![
                oid(r.oid),
                text(r.name.clone()),
                b(r.superuser),
                b(r.inherit),
                b(r.create_role),
                b(r.create_db),
                b(r.login),
                b(r.replication),
                b(r.bypass_rls),
                int(r.connection_limit as i64),
                r.password.clone().map_or(null(), text),
                valid_until(r),
            ]
        })
        .collect())
}

fn pg_user(ctx: &Context) -> Result<Vec<Row>> {
    Ok(roles(ctx)
        .iter()
        .filter(|r| r.login)
        .map(|r| {
            vec![
                text(r.name.clone()),
                oid(r.oid),
                b(r.create_db),
                b(r.superuser),
                b(r.replication),
                b(r.bypass_rls),
                text("********"),
                valid_until(r),
                role_config(r, None),
            ]
        })
        .collect())
}

fn pg_collation(_ctx: &Context) -> Result<Vec<Row>> {
    let c = |o, name: &str, provider, coll: Option<&str>| {
        vec![
            oid(o),
            text(name),
            oid(PG_CATALOG_NAMESPACE),
            oid(BOOTSTRAP_SUPERUSER),
            ch(provider),
            b(true),
            int(-1),
            opt_text(coll),
            opt_text(coll),
            null(),
            null(),
        ]
    };
    Ok(vec![
        c(100, "default", 'd', None),
        c(950, "C", 'c', Some("C")),
        c(951, "POSIX", 'c', Some("POSIX")),
    ])
}

/// The default B-tree operator classes: (oid, name, family, input type, key type), with
/// PostgreSQL's OIDs.
const BTREE_OPCLASSES: &[(u32, &str, u32, u32, u32)] = &[
    (1978, "int4_ops", 1976, 23, 0),
    (1979, "int2_ops", 1976, 21, 0),
    (1981, "oid_ops", 1989, 26, 0),
    (3122, "date_ops", 434, 1082, 0),
    (3123, "float8_ops", 1970, 701, 0),
    (3124, "int8_ops", 1976, 20, 0),
    (3125, "numeric_ops", 1988, 1700, 0),
    (3126, "text_ops", 1994, 25, 0),
    (3127, "timestamptz_ops", 434, 1184, 0),
    (3128, "timestamp_ops", 434, 1114, 0),
    (10000, "array_ops", 397, 2277, 0),
    (10003, "bool_ops", 424, 16, 0),
    (10004, "bpchar_ops", 426, 1042, 0),
    (10006, "bytea_ops", 428, 17, 0),
    (10007, "char_ops", 429, 18, 0),
    (10012, "float4_ops", 1970, 700, 0),
    (10022, "interval_ops", 1982, 1186, 0),
    (10028, "name_ops", 1994, 19, 2275),
    (10032, "oidvector_ops", 1991, 30, 0),
    (10038, "time_ops", 1996, 1083, 0),
    (10065, "uuid_ops", 2968, 2950, 0),
    (10088, "jsonb_ops", 4033, 3802, 0),
];

/// The default B-tree operator class of a key column's type (`pg_index.indclass`).
pub fn btree_opclass(t: &DataType) -> u32 {
    let input = match t {
        DataType::Array(_) => 2277,
        DataType::Varchar(_) | DataType::Unknown => 25,
        DataType::RegClass | DataType::RegType | DataType::RegProc | DataType::RegProcedure => 26,
        t => t.oid(),
    };
    BTREE_OPCLASSES
        .iter()
        .find(|c| c.3 == input)
        .map_or(0, |c| c.0)
}

fn pg_opclass(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(BTREE_OPCLASSES
        .iter()
        .map(|&(o, name, family, input, key)| {
            vec![
                oid(o),
                oid(BTREE_AM),
                text(name),
                oid(PG_CATALOG_NAMESPACE),
                oid(BOOTSTRAP_SUPERUSER),
                oid(family),
                oid(input),
                b(true),
                oid(key),
            ]
        })
        .collect())
}

fn pg_tablespace(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(vec![
        vec![
            oid(DEFAULT_TABLESPACE),
            text("pg_default"),
            oid(BOOTSTRAP_SUPERUSER),
            null(),
            null(),
        ],
        vec![
            oid(1664),
            text("pg_global"),
            oid(BOOTSTRAP_SUPERUSER),
            null(),
            null(),
        ],
    ])
}

/// `pg_proc` rows of the SQL functions users created (language `sql`, OID 14).
fn user_functions(ctx: &Context) -> Vec<Row> {
    ctx.env
        .catalog
        .functions
        .iter()
        .map(|f| {
            let table = !f.table_columns.is_empty();
            let named = f.args.iter().any(|a| a.name.is_some()) || table;
            let arg_oids: Vec<u32> = f.args.iter().map(|a| a.data_type.oid()).collect();
            let mut all: Vec<u32> = Vec::new();
            let mut names: Vec<Value> = Vec::new();
            let mut modes: Vec<Value> = Vec::new();
            for (mode, name, ty) in crate::expr::pg_functions::all_parameters(f) {
                all.push(ty.oid());
                names.push(text(name.unwrap_or_default()));
                modes.push(ch(mode));
            }
            vec![
                oid(f.oid),
                text(f.name.clone()),
                oid(f.schema),
                oid(f.owner),
                oid(match f.language.as_deref() {
                    Some("plpgsql") => PLPGSQL_LANGUAGE,
                    _ => 14, // sql
                }),
                Value::Float4(f.procost()),
                Value::Float4(f.prorows()),
                oid(0),
                proc0(),
                ch(if f.procedure { 'p' } else { 'f' }),
                b(f.security_definer),
                b(f.leakproof),
                b(f.strict),
                b(f.returns_set),
                ch(f.volatility),
                ch(f.parallel),
                int(f.args.len() as i64),
                int(f.args.iter().filter(|a| a.default.is_some()).count() as i64),
                oid(crate::expr::pg_functions::return_type_oid(f)),
                vector(arg_oids),
                if table { int_array(all) } else { null() },
                if table { array(modes) } else { null() },
                if named { array(names) } else { null() },
                null(),
                null(),
                // a SQL-standard body is in `prosqlbody`, not `prosrc`
                text(if f.standard_body.is_some() {
                    String::new()
                } else {
                    f.body.clone()
                }),
                null(),
                null(),
                if f.config.is_empty() {
                    null()
                } else {
                    array(f.config.iter().cloned().map(text).collect())
                },
                null(),
            ]
        })
        .collect()
}

fn pg_proc(ctx: &Context) -> Result<Vec<Row>> {
    let users = user_functions(ctx);
    Ok(super::builtin_procs::all()
        .iter()
        .map(super::builtin_procs::pg_proc_row)
        .chain(users)
        .collect())
}

use crate::types::Value;

const PG_PROC: &[(&str, &str)] = &[
    ("oid", "oid"),
    ("proname", "name"),
    ("pronamespace", "oid"),
    ("proowner", "oid"),
    ("prolang", "oid"),
    ("procost", "float4"),
    ("prorows", "float4"),
    ("provariadic", "oid"),
    ("prosupport", "regproc"),
    ("prokind", "char"),
    ("prosecdef", "bool"),
    ("proleakproof", "bool"),
    ("proisstrict", "bool"),
    ("proretset", "bool"),
    ("provolatile", "char"),
    ("proparallel", "char"),
    ("pronargs", "int2"),
    ("pronargdefaults", "int2"),
    ("prorettype", "oid"),
    ("proargtypes", "oidvector"),
    ("proallargtypes", "oid[]"),
    ("proargmodes", "char[]"),
    ("proargnames", "text[]"),
    ("proargdefaults", "pg_node_tree"),
    ("protrftypes", "oid[]"),
    ("prosrc", "text"),
    ("probin", "text"),
    ("prosqlbody", "pg_node_tree"),
    ("proconfig", "text[]"),
    ("proacl", "aclitem[]"),
];

/// `pg_range`: the built-in range types (PostgreSQL's OIDs, opclasses and functions).
fn pg_range(_ctx: &Context) -> Result<Vec<Row>> {
    use crate::types::oid::RegKind;
    let proc = |o: u32| Value::Reg(RegKind::Proc, o);
    let rows = [
        (3904, 23, 4451, 1978, 3914, 3922),
        (3906, 1700, 4532, 3125, 0, 3924),
        (3908, 1114, 4533, 3128, 0, 3929),
        (3910, 1184, 4534, 3127, 0, 3930),
        (3912, 1082, 4535, 3122, 3915, 3925),
        (3926, 20, 4536, 3124, 3928, 3923),
    ];
    Ok(rows
        .into_iter()
        .map(|(typ, sub, multi, opc, canonical, subdiff)| {
            vec![
                oid(typ),
                oid(sub),
                oid(multi),
                oid(0),
                oid(opc),
                proc(canonical),
                proc(subdiff),
            ]
        })
        .collect())
}

fn empty(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(Vec::new())
}

/// The relations of this module.
pub fn tables() -> Vec<SystemTable> {
    let t = |name, oid, columns, rows| SystemTable {
        schema: PG_CATALOG_NAMESPACE,
        name,
        oid,
        columns,
        rows,
    };
    let e = |name, oid, columns| t(name, oid, columns, empty);
    vec![
        t("pg_type", 1247, PG_TYPE, pg_type),
        t(
            "pg_am",
            2601,
            &[
                ("oid", "oid"),
                ("amname", "name"),
                ("amhandler", "regproc"),
                ("amtype", "char"),
            ],
            pg_am,
        ),
        t(
            "pg_database",
            1262,
            &[
                ("oid", "oid"),
                ("datname", "name"),
                ("datdba", "oid"),
                ("encoding", "int4"),
                ("datlocprovider", "char"),
                ("datistemplate", "bool"),
                ("datallowconn", "bool"),
                ("datconnlimit", "int4"),
                ("datfrozenxid", "xid"),
                ("datminmxid", "xid"),
                ("dattablespace", "oid"),
                ("datcollate", "text"),
                ("datctype", "text"),
                ("daticulocale", "text"),
                ("datcollversion", "text"),
                ("datacl", "aclitem[]"),
            ],
            pg_database,
        ),
        t(
            "pg_roles",
            12001,
            &[
                ("rolname", "name"),
                ("rolsuper", "bool"),
                ("rolinherit", "bool"),
                ("rolcreaterole", "bool"),
                ("rolcreatedb", "bool"),
                ("rolcanlogin", "bool"),
                ("rolreplication", "bool"),
                ("rolconnlimit", "int4"),
                ("rolpassword", "text"),
                ("rolvaliduntil", "timestamptz"),
                ("rolbypassrls", "bool"),
                ("rolconfig", "text[]"),
                ("oid", "oid"),
            ],
            pg_roles,
        ),
        t(
            "pg_authid",
            1260,
            &[
                ("oid", "oid"),
                ("rolname", "name"),
                ("rolsuper", "bool"),
                ("rolinherit", "bool"),
                ("rolcreaterole", "bool"),
                ("rolcreatedb", "bool"),
                ("rolcanlogin", "bool"),
                ("rolreplication", "bool"),
                ("rolbypassrls", "bool"),
                ("rolconnlimit", "int4"),
                ("rolpassword", "text"),
                ("rolvaliduntil", "timestamptz"),
            ],
            pg_authid,
        ),
        t(
            "pg_user",
            12005,
            &[
                ("usename", "name"),
                ("usesysid", "oid"),
                ("usecreatedb", "bool"),
                ("usesuper", "bool"),
                ("userepl", "bool"),
                ("usebypassrls", "bool"),
                ("passwd", "text"),
                ("valuntil", "timestamptz"),
                ("useconfig", "text[]"),
            ],
            pg_user,
        ),
        t(
            "pg_auth_members",
            1261,
            &[
                ("roleid", "oid"),
                ("member", "oid"),
                ("grantor", "oid"),
                ("admin_option", "bool"),
            ],
            pg_auth_members,
        ),
        t(
            "pg_collation",
            3456,
            &[
                ("oid", "oid"),
                ("collname", "name"),
                ("collnamespace", "oid"),
                ("collowner", "oid"),
                ("collprovider", "char"),
                ("collisdeterministic", "bool"),
                ("collencoding", "int4"),
                ("collcollate", "text"),
                ("collctype", "text"),
                ("colliculocale", "text"),
                ("collversion", "text"),
            ],
            pg_collation,
        ),
        t(
            "pg_opclass",
            2616,
            &[
                ("oid", "oid"),
                ("opcmethod", "oid"),
                ("opcname", "name"),
                ("opcnamespace", "oid"),
                ("opcowner", "oid"),
                ("opcfamily", "oid"),
                ("opcintype", "oid"),
                ("opcdefault", "bool"),
                ("opckeytype", "oid"),
            ],
            pg_opclass,
        ),
        t(
            "pg_tablespace",
            1213,
            &[
                ("oid", "oid"),
                ("spcname", "name"),
                ("spcowner", "oid"),
                ("spcacl", "aclitem[]"),
                ("spcoptions", "text[]"),
            ],
            pg_tablespace,
        ),
        t("pg_proc", 1255, PG_PROC, pg_proc),
        e(
            "pg_policy",
            3256,
            &[
                ("oid", "oid"),
                ("polname", "name"),
                ("polrelid", "oid"),
                ("polcmd", "char"),
                ("polpermissive", "bool"),
                ("polroles", "oid[]"),
                ("polqual", "pg_node_tree"),
                ("polwithcheck", "pg_node_tree"),
            ],
        ),
        e(
            "pg_rewrite",
            2618,
            &[
                ("oid", "oid"),
                ("rulename", "name"),
                ("ev_class", "oid"),
                ("ev_type", "char"),
                ("ev_enabled", "char"),
                ("is_instead", "bool"),
                ("ev_qual", "pg_node_tree"),
                ("ev_action", "pg_node_tree"),
            ],
        ),
        e(
            "pg_statistic_ext",
            3381,
            &[
                ("oid", "oid"),
                ("stxrelid", "oid"),
                ("stxname", "name"),
                ("stxnamespace", "oid"),
                ("stxowner", "oid"),
                ("stxstattarget", "int4"),
                ("stxkeys", "int2vector"),
                ("stxkind", "char[]"),
                ("stxexprs", "pg_node_tree"),
            ],
        ),
        e(
            "pg_publication",
            6104,
            &[
                ("oid", "oid"),
                ("pubname", "name"),
                ("pubowner", "oid"),
                ("puballtables", "bool"),
                ("pubinsert", "bool"),
                ("pubupdate", "bool"),
                ("pubdelete", "bool"),
                ("pubtruncate", "bool"),
                ("pubviaroot", "bool"),
            ],
        ),
        e(
            "pg_publication_rel",
            6106,
            &[
                ("oid", "oid"),
                ("prpubid", "oid"),
                ("prrelid", "oid"),
                ("prqual", "pg_node_tree"),
                ("prattrs", "int2[]"),
            ],
        ),
        e(
            "pg_publication_namespace",
            6237,
            &[("oid", "oid"), ("pnpubid", "oid"), ("pnnspid", "oid")],
        ),
        // Objects Strata has none of: encoding conversions, foreign data, text search,
        // security labels, shared comments, large objects, transforms, range types,
        // replication slots.
        e(
            "pg_conversion",
            2607,
            &[
                ("oid", "oid"),
                ("conname", "name"),
                ("connamespace", "oid"),
                ("conowner", "oid"),
                ("conforencoding", "int4"),
                ("contoencoding", "int4"),
                ("conproc", "regproc"),
                ("condefault", "bool"),
            ],
        ),
        e(
            "pg_foreign_server",
            1417,
            &[
                ("oid", "oid"),
                ("srvname", "name"),
                ("srvowner", "oid"),
                ("srvfdw", "oid"),
                ("srvtype", "text"),
                ("srvversion", "text"),
                ("srvacl", "aclitem[]"),
                ("srvoptions", "text[]"),
            ],
        ),
        e(
            "pg_foreign_data_wrapper",
            2328,
            &[
                ("oid", "oid"),
                ("fdwname", "name"),
                ("fdwowner", "oid"),
                ("fdwhandler", "oid"),
                ("fdwvalidator", "oid"),
                ("fdwacl", "aclitem[]"),
                ("fdwoptions", "text[]"),
            ],
        ),
        e(
            "pg_user_mapping",
            1418,
            &[
                ("oid", "oid"),
                ("umuser", "oid"),
                ("umserver", "oid"),
                ("umoptions", "text[]"),
            ],
        ),
        e(
            "pg_foreign_table",
            3118,
            &[
                ("ftrelid", "oid"),
                ("ftserver", "oid"),
                ("ftoptions", "text[]"),
            ],
        ),
        t(
            "pg_ts_parser",
            3601,
            &[
                ("oid", "oid"),
                ("prsname", "name"),
                ("prsnamespace", "oid"),
                ("prsstart", "regproc"),
                ("prstoken", "regproc"),
                ("prsend", "regproc"),
                ("prsheadline", "regproc"),
                ("prslextype", "regproc"),
            ],
            super::ts_catalog::pg_ts_parser,
        ),
        t(
            "pg_ts_config",
            3602,
            &[
                ("oid", "oid"),
                ("cfgname", "name"),
                ("cfgnamespace", "oid"),
                ("cfgowner", "oid"),
                ("cfgparser", "oid"),
            ],
            super::ts_catalog::pg_ts_config,
        ),
        t(
            "pg_ts_config_map",
            3603,
            &[
                ("mapcfg", "oid"),
                ("maptokentype", "int4"),
                ("mapseqno", "int4"),
                ("mapdict", "oid"),
            ],
            super::ts_catalog::pg_ts_config_map,
        ),
        t(
            "pg_ts_dict",
            3600,
            &[
                ("oid", "oid"),
                ("dictname", "name"),
                ("dictnamespace", "oid"),
                ("dictowner", "oid"),
                ("dicttemplate", "oid"),
                ("dictinitoption", "text"),
            ],
            super::ts_catalog::pg_ts_dict,
        ),
        t(
            "pg_ts_template",
            3764,
            &[
                ("oid", "oid"),
                ("tmplname", "name"),
                ("tmplnamespace", "oid"),
                ("tmplinit", "regproc"),
                ("tmpllexize", "regproc"),
            ],
            super::ts_catalog::pg_ts_template,
        ),
        e(
            "pg_seclabel",
            3596,
            &[
                ("objoid", "oid"),
                ("classoid", "oid"),
                ("objsubid", "int4"),
                ("provider", "text"),
                ("label", "text"),
            ],
        ),
        t(
            "pg_shdescription",
            2396,
            &[
                ("objoid", "oid"),
                ("classoid", "oid"),
                ("description", "text"),
            ],
            pg_shdescription,
        ),
        e(
            "pg_largeobject_metadata",
            2995,
            &[("oid", "oid"), ("lomowner", "oid"), ("lomacl", "aclitem[]")],
        ),
        e(
            "pg_transform",
            3576,
            &[
                ("oid", "oid"),
                ("trftype", "oid"),
                ("trflang", "oid"),
                ("trffromsql", "regproc"),
                ("trftosql", "regproc"),
            ],
        ),
        e(
            "pg_init_privs",
            3394,
            &[
                ("objoid", "oid"),
                ("classoid", "oid"),
                ("objsubid", "int4"),
                ("privtype", "char"),
                ("initprivs", "aclitem[]"),
            ],
        ),
        t(
            "pg_range",
            3541,
            &[
                ("rngtypid", "oid"),
                ("rngsubtype", "oid"),
                ("rngmultitypid", "oid"),
                ("rngcollation", "oid"),
                ("rngsubopc", "oid"),
                ("rngcanonical", "regproc"),
                ("rngsubdiff", "regproc"),
            ],
            pg_range,
        ),
        e(
            "pg_replication_slots",
            12257,
            &[
                ("slot_name", "name"),
                ("plugin", "name"),
                ("slot_type", "text"),
                ("datoid", "oid"),
                ("database", "name"),
                ("temporary", "bool"),
                ("active", "bool"),
                ("active_pid", "int4"),
                ("xmin", "xid"),
                ("catalog_xmin", "xid"),
                ("restart_lsn", "pg_lsn"),
                ("confirmed_flush_lsn", "pg_lsn"),
                ("wal_status", "text"),
                ("safe_wal_size", "int8"),
                ("two_phase", "bool"),
            ],
        ),
        e(
            "pg_user_mappings",
            12_327,
            &[
                ("umid", "oid"),
                ("srvid", "oid"),
                ("srvname", "name"),
                ("umuser", "oid"),
                ("usename", "name"),
                ("umoptions", "text[]"),
            ],
        ),
        e(
            "pg_event_trigger",
            3466,
            &[
                ("oid", "oid"),
                ("evtname", "name"),
                ("evtevent", "name"),
                ("evtowner", "oid"),
                ("evtfoid", "oid"),
                ("evtenabled", "char"),
                ("evttags", "text[]"),
            ],
        ),
        t(
            "pg_language",
            2612,
            &[
                ("oid", "oid"),
                ("lanname", "name"),
                ("lanowner", "oid"),
                ("lanispl", "bool"),
                ("lanpltrusted", "bool"),
                ("lanplcallfoid", "oid"),
                ("laninline", "oid"),
                ("lanvalidator", "oid"),
                ("lanacl", "aclitem[]"),
            ],
            pg_language,
        ),
        t(
            "pg_db_role_setting",
            2964,
            &[
                ("setdatabase", "oid"),
                ("setrole", "oid"),
                ("setconfig", "text[]"),
            ],
            pg_db_role_setting,
        ),
        t(
            "pg_enum",
            3501,
            &[
                ("oid", "oid"),
                ("enumtypid", "oid"),
                ("enumsortorder", "float4"),
                ("enumlabel", "name"),
            ],
            super::user_types::pg_enum,
        ),
    ]
}
