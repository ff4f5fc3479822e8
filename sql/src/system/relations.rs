//! The catalog relations that describe the user's objects, generated from the statement's
//! [`Catalog`]: `pg_namespace`, `pg_class`, `pg_attribute`, `pg_attrdef`, `pg_index`,
//! `pg_constraint`, `pg_sequence`, `pg_description`, `pg_depend`.
//!
//! Every object is owned by the bootstrap superuser (OID 10; Strata has no per-object
//! owners yet). A column's `attnum` is its position + 1 (a dropped column leaves no hole, unlike
//! in PostgreSQL). Defaults, CHECK expressions and view queries are kept as SQL text:
//! the `pg_node_tree` columns hold it and [`super::deparse`] prints it as PostgreSQL would.

use super::val::*;
use super::{Context, SystemTable};
use crate::storage::catalog::oids::{
    BTREE_AM, HEAP_AM, PG_CATALOG_NAMESPACE, PG_CLASS_OID, PG_CONSTRAINT_OID, PG_NAMESPACE_OID,
};
use crate::storage::{Catalog, Oid, Row, TableDef};
use crate::types::Value;
use crate::{DataType, Result};

/// One index of a table, primary key included, in a uniform shape.
pub struct IndexInfo<'a> {
    pub table: &'a TableDef,
    pub oid: Oid,
    pub name: &'a str,
    pub columns: &'a [usize],
    pub include: &'a [usize],
    pub unique: bool,
    pub primary: bool,
    /// The constraint (PRIMARY KEY / UNIQUE) the index implements.
    pub constraint: Option<Oid>,
    pub comment: Option<&'a str>,
    /// Key elements that are expressions (see [`crate::storage::IndexDef::exprs`]).
    pub exprs: &'a [Option<String>],
    /// A partial index's predicate.
    pub predicate: Option<&'a str>,
    /// `indoption` per key element (empty: all ascending, nulls last).
    pub options: &'a [u16],
}

impl IndexInfo<'_> {
    /// `pg_index.indoption` of key element `k`.
    pub fn option(&self, k: usize) -> u16 {
        self.options.get(k).copied().unwrap_or(0)
    }
}

/// Every index of `t`, the primary key's first.
pub fn indexes(t: &TableDef) -> Vec<IndexInfo<'_>> {
    let mut v = Vec::new();
    if !t.primary_key.is_empty() {
        v.push(IndexInfo {
            table: t,
            oid: t.pk_index_oid,
            name: t.primary_key_name.as_deref().unwrap_or(""),
            columns: &t.primary_key,
            include: &[],
            unique: true,
            primary: true,
            constraint: Some(t.pk_constraint_oid),
            comment: t.pk_comment.as_deref(),
            exprs: &[],
            predicate: None,
            options: &[],
        });
    }
    for i in &t.indexes {
        v.push(IndexInfo {
            table: t,
            oid: i.oid,
            name: &i.name,
            columns: &i.columns,
            include: &i.include,
            unique: i.unique,
            primary: false,
            constraint: i.constraint,
            comment: i.comment.as_deref(),
            exprs: &i.exprs,
            predicate: i.predicate.as_deref(),
            options: &i.options,
        });
    }
    v
}

/// The name and type of every key element of `i` (an expression is named as PostgreSQL
/// names its index column: its function's name, else `expr`).
pub fn key_columns(i: &IndexInfo) -> Vec<(String, DataType)> {
    let t = i.table;
    let def = t.indexes.iter().find(|x| x.oid == i.oid);
    let types = def.and_then(|d| d.key_types(t).ok());
    let mut keys: Vec<(String, DataType)> = i
        .columns
        .iter()
        .enumerate()
        .map(|(k, &c)| match i.exprs.get(k).and_then(|e| e.as_deref()) {
            Some(text) => {
                let name = crate::ddl::constraints::parse_expr(text)
                    .map(|e| crate::ddl::index::expr_column_name(&e))
                    .unwrap_or_else(|_| "expr".into());
                let ty = types
                    .as_ref()
                    .and_then(|t| t.get(k).copied())
                    .unwrap_or(DataType::Text);
                (name, ty)
            }
            None => (t.columns[c].name.clone(), t.columns[c].data_type),
        })
        .collect();
    let mut names: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
    crate::ddl::names::distinct_index_column_names(&mut names);
    for (k, n) in keys.iter_mut().zip(names) {
        k.0 = n;
    }
    keys
}

/// The index with OID `oid`.
pub fn index_by_oid(cat: &Catalog, oid: Oid) -> Option<IndexInfo<'_>> {
    let t = cat.index_table(oid)?;
    indexes(t).into_iter().find(|i| i.oid == oid)
}

/// A constraint in a uniform shape.
pub enum ConstraintRef<'a> {
    /// PRIMARY KEY or UNIQUE, through its index.
    Key(IndexInfo<'a>),
    Check(&'a TableDef, &'a crate::storage::CheckDef),
    Foreign(&'a TableDef, &'a crate::storage::ForeignKeyDef),
}

impl ConstraintRef<'_> {
    pub fn oid(&self) -> Oid {
        match self {
            ConstraintRef::Key(i) => i.constraint.unwrap_or(0),
            ConstraintRef::Check(_, c) => c.oid,
            ConstraintRef::Foreign(_, f) => f.oid,
        }
    }
}

/// Every constraint of `t`: primary key, unique, check, foreign key.
pub fn constraints(t: &TableDef) -> Vec<ConstraintRef<'_>> {
    let mut v: Vec<ConstraintRef> = indexes(t)
        .into_iter()
        .filter(|i| i.constraint.is_some())
        .map(ConstraintRef::Key)
        .collect();
    v.extend(t.checks.iter().map(|c| ConstraintRef::Check(t, c)));
    v.extend(t.foreign_keys.iter().map(|f| ConstraintRef::Foreign(t, f)));
    v
}

/// The constraint with OID `oid`.
pub fn constraint_by_oid(cat: &Catalog, oid: Oid) -> Option<ConstraintRef<'_>> {
    cat.tables
        .iter()
        .flat_map(constraints)
        .find(|c| c.oid() == oid)
}

/// The collation of a column of type `t` (`typcollation`): default for strings, `C` for
/// `name`, none otherwise.
pub fn collation_of(t: &DataType) -> Oid {
    match t.elem().unwrap_or(*t) {
        DataType::Name => 950,
        t if t.is_string() && t != DataType::Char => 100,
        _ => 0,
    }
}

/// `attstorage` / `typstorage`: plain for fixed-length types, main for numeric, else
/// extended.
pub fn storage_of(t: &DataType) -> char {
    match t {
        DataType::Numeric(_) => 'm',
        t if t.type_len() > 0 => 'p',
        _ => 'x',
    }
}

/// `typalign` of a type.
pub fn align_of(t: &DataType) -> char {
    match t {
        DataType::Array(e) => match align_of(&e.get()) {
            'd' => 'd',
            _ => 'i',
        },
        DataType::Bool | DataType::Char | DataType::Name | DataType::Uuid => 'c',
        DataType::Int2 | DataType::Tid => 's',
        DataType::Range(k) => align_of(&k.subtype()),
        t if t.type_len() == 8 || *t == DataType::Interval => 'd',
        _ => 'i',
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn rel_row(
    rel: Oid,
    name: &str,
    schema: Oid,
    am: Oid,
    kind: char,
    natts: usize,
    table: Option<(&TableDef, f32, bool)>,
    options: Option<&[String]>,
    owner_acl: (Oid, Value),
) -> Row {
    let (owner, relacl) = owner_acl;
    let (checks, has_index, tuples, triggers) = match table {
        Some((t, tuples, triggers)) => (
            t.checks.len(),
            !t.primary_key.is_empty() || !t.indexes.is_empty(),
            tuples,
            triggers,
        ),
        None => (0, false, -1.0, false),
    };
    let options = match options {
        Some(o) if !o.is_empty() => array(o.iter().map(|s| text(s.clone())).collect()),
        _ => null(),
    };
    vec![
        oid(rel),
        text(name),
        oid(schema),
        // A table's, view's or composite type's row type has the relation's OID
        // (PostgreSQL: its own).
        oid(if matches!(kind, 'r' | 'v' | 'm' | 'c') {
            rel
        } else {
            0
        }), // reltype
        oid(0), // reloftype
        oid(owner),
        oid(am),
        oid(if matches!(kind, 'v' | 'c') { 0 } else { rel }), // relfilenode
        oid(0),                                               // reltablespace
        int(0),                                               // relpages
        Value::Float4(tuples),
        int(0), // relallvisible
        oid(0), // reltoastrelid
        b(has_index),
        b(false), // relisshared
        ch('p'),
        ch(kind),
        int(natts as i64),
        int(checks as i64),
        b(kind == 'v'), // relhasrules
        b(triggers),    // relhastriggers: PostgreSQL's foreign keys are triggers too
        b(false),       // relhassubclass
        b(false),       // relrowsecurity
        b(false),       // relforcerowsecurity
        b(true),        // relispopulated
        ch(if matches!(kind, 'r' | 'm') { 'd' } else { 'n' }),
        b(false), // relispartition
        oid(0),   // relrewrite
        int(0),   // relfrozenxid
        int(0),   // relminmxid
        relacl,
        options,
        null(), // relpartbound
    ]
}

fn pg_class(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        let tuples = cat.stats.get(&t.id).map_or(-1.0, |s| s.rows as f32);
        let kind = if t.materialized.is_some() { 'm' } else { 'r' };
        rows.push(rel_row(
            t.id,
            &t.name,
            t.schema,
            HEAP_AM,
            kind,
            t.columns.len(),
            Some((
                t,
                tuples,
                !t.foreign_keys.is_empty()
                    || !cat.referencing(t.id).is_empty()
                    || !t.triggers.is_empty(),
            )),
            Some(&t.options),
            (t.owner, acl_value(cat, t.acl.as_deref())),
        ));
        if let Some(row) = rows.last_mut() {
            super::partitions::patch_pg_class(cat, t, row);
        }
        for i in indexes(t) {
            let n = i.columns.len() + i.include.len();
            rows.push(rel_row(
                i.oid,
                i.name,
                t.schema,
                BTREE_AM,
                'i',
                n,
                None,
                None,
                (t.owner, null()),
            ));
        }
    }
    for v in &cat.views {
        rows.push(rel_row(
            v.oid,
            &v.name,
            v.schema,
            0,
            'v',
            v.columns.len(),
            None,
            None,
            (v.owner, acl_value(cat, v.acl.as_deref())),
        ));
    }
    // A `CREATE TYPE ... AS (...)` type's relation of kind 'c', with the type's OID (as
    // `pg_type.typrelid` says): drivers read its fields through `pg_attribute`.
    for t in cat.types.iter().filter(|t| t.body.is_composite()) {
        rows.push(rel_row(
            t.oid,
            &t.name,
            t.schema,
            0,
            'c',
            t.fields.len(),
            None,
            None,
            (t.owner, null()),
        ));
    }
    for s in &cat.sequences {
        rows.push(rel_row(
            s.oid,
            &s.name,
            s.schema,
            0,
            'S',
            3,
            None,
            None,
            (s.owner, acl_value(cat, s.acl.as_deref())),
        ));
    }
    rows.extend(super::catalog_relations::class_rows());
    Ok(rows)
}

const PG_CLASS: &[(&str, &str)] = &[
    ("oid", "oid"),
    ("relname", "name"),
    ("relnamespace", "oid"),
    ("reltype", "oid"),
    ("reloftype", "oid"),
    ("relowner", "oid"),
    ("relam", "oid"),
    ("relfilenode", "oid"),
    ("reltablespace", "oid"),
    ("relpages", "int4"),
    ("reltuples", "float4"),
    ("relallvisible", "int4"),
    ("reltoastrelid", "oid"),
    ("relhasindex", "bool"),
    ("relisshared", "bool"),
    ("relpersistence", "char"),
    ("relkind", "char"),
    ("relnatts", "int2"),
    ("relchecks", "int2"),
    ("relhasrules", "bool"),
    ("relhastriggers", "bool"),
    ("relhassubclass", "bool"),
    ("relrowsecurity", "bool"),
    ("relforcerowsecurity", "bool"),
    ("relispopulated", "bool"),
    ("relreplident", "char"),
    ("relispartition", "bool"),
    ("relrewrite", "oid"),
    ("relfrozenxid", "xid"),
    ("relminmxid", "xid"),
    ("relacl", "aclitem[]"),
    ("reloptions", "text[]"),
    ("relpartbound", "pg_node_tree"),
];

fn pg_namespace(ctx: &Context) -> Result<Vec<Row>> {
    Ok(ctx
        .env
        .catalog
        .all_schemas()
        .into_iter()
        .map(|s| {
            // `public` has PostgreSQL 15's default privileges shown; other schemas' default
            // is NULL, as in PostgreSQL.
            let acl = match &s.acl {
                Some(items) => acl_value(&ctx.env.catalog, Some(items)),
                None if s.oid == crate::storage::catalog::oids::PUBLIC_NAMESPACE => acl_value(
                    &ctx.env.catalog,
                    Some(&crate::storage::catalog::acl::default_schema_acl(
                        s.oid, s.owner,
                    )),
                ),
                None => null(),
            };
            vec![oid(s.oid), text(s.name), oid(s.owner), acl]
        })
        .collect())
}

/// One `pg_attribute` row.
#[allow(clippy::too_many_arguments)]
/// The position of `attgenerated` in a `pg_attribute` row.
const ATTGENERATED: usize = 17;

pub(super) fn attribute(
    rel: Oid,
    name: &str,
    t: &DataType,
    num: usize,
    not_null: bool,
    has_default: bool,
    identity: char,
) -> Row {
    vec![
        oid(rel),
        text(name),
        oid(t.oid()),
        int(-1), // attstattarget
        int(t.type_len()),
        int(num as i64),
        int(i64::from(t.elem().is_some())),
        int(-1), // attcacheoff
        int(t.typmod()),
        b(matches!(t.type_len(), 1 | 2 | 4 | 8)),
        ch(align_of(t)),
        ch(storage_of(t)),
        text(""), // attcompression ("char" zero byte prints empty)
        b(not_null),
        b(has_default),
        b(false), // atthasmissing
        text(if identity == '\0' {
            String::new()
        } else {
            identity.to_string()
        }),
        text(""), // attgenerated
        b(false), // attisdropped
        b(true),  // attislocal
        int(0),   // attinhcount
        oid(collation_of(t)),
        null(),
        null(),
        null(),
        null(),
    ]
}

fn pg_attribute(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        for (i, c) in t.columns.iter().enumerate() {
            let identity = match c.identity {
                Some(id) if id.always => 'a',
                Some(_) => 'd',
                None => '\0',
            };
            let mut row = attribute(
                t.id,
                &c.name,
                &c.data_type,
                i + 1,
                c.not_null,
                c.default.is_some(),
                identity,
            );
            if let Some(n) = c.stat_target {
                row[3] = int(i64::from(n));
            }
            if c.generated {
                row[ATTGENERATED] = text("s");
            }
            if let Some(d) = c.domain {
                // A domain column reports the domain (its typmod is the domain's).
                row[2] = oid(d);
                row[8] = int(-1);
            }
            if let Some(items) = &c.acl {
                row[ATTACL] = acl_value(cat, Some(items));
            }
            rows.push(row);
        }
        rows.extend(system_attributes(t.id));
        for ix in indexes(t) {
            let included = ix
                .include
                .iter()
                .map(|&c| (t.columns[c].name.clone(), t.columns[c].data_type));
            for (k, (name, ty)) in key_columns(&ix).into_iter().chain(included).enumerate() {
                rows.push(attribute(ix.oid, &name, &ty, k + 1, false, false, '\0'));
            }
        }
    }
    for v in &cat.views {
        for (i, c) in v.columns.iter().enumerate() {
            let mut row = attribute(v.oid, &c.name, &c.data_type, i + 1, false, false, '\0');
            if let Some(items) = &c.acl {
                row[ATTACL] = acl_value(cat, Some(items));
            }
            rows.push(row);
        }
    }
    for t in cat.types.iter().filter(|t| t.body.is_composite()) {
        for (i, f) in t.fields.iter().enumerate() {
            rows.push(attribute(
                t.oid,
                &f.name,
                &f.data_type,
                i + 1,
                false,
                false,
                '\0',
            ));
        }
    }
    for s in &cat.sequences {
        for (i, (n, t)) in super::sequence_columns().iter().enumerate() {
            rows.push(attribute(s.oid, n, t, i + 1, true, false, '\0'));
        }
        rows.extend(system_attributes(s.oid));
    }
    rows.extend(super::catalog_relations::attribute_rows());
    Ok(rows)
}

/// The system columns of a table or sequence (`binder/system_columns.rs`), attnum -1 to -6
/// as in PostgreSQL.
fn system_attributes(rel: Oid) -> impl Iterator<Item = Row> {
    let types = [
        DataType::Tid,
        DataType::Xid,
        DataType::Cid,
        DataType::Xid,
        DataType::Cid,
        DataType::Oid,
    ];
    crate::binder::system_columns::NAMES
        .iter()
        .zip(types)
        .enumerate()
        .map(move |(i, (name, t))| {
            let mut row = attribute(rel, name, &t, 0, true, false, '\0');
            row[3] = int(0); // attstattarget
            row[5] = int(-(i as i64) - 1); // attnum
            row
        })
}

/// The position of `attacl` in [`PG_ATTRIBUTE`].
const ATTACL: usize = 22;

const PG_ATTRIBUTE: &[(&str, &str)] = &[
    ("attrelid", "oid"),
    ("attname", "name"),
    ("atttypid", "oid"),
    ("attstattarget", "int4"),
    ("attlen", "int2"),
    ("attnum", "int2"),
    ("attndims", "int4"),
    ("attcacheoff", "int4"),
    ("atttypmod", "int4"),
    ("attbyval", "bool"),
    ("attalign", "char"),
    ("attstorage", "char"),
    ("attcompression", "char"),
    ("attnotnull", "bool"),
    ("atthasdef", "bool"),
    ("atthasmissing", "bool"),
    ("attidentity", "char"),
    ("attgenerated", "char"),
    ("attisdropped", "bool"),
    ("attislocal", "bool"),
    ("attinhcount", "int4"),
    ("attcollation", "oid"),
    ("attacl", "aclitem[]"),
    ("attoptions", "text[]"),
    ("attfdwoptions", "text[]"),
    ("attmissingval", "text"),
];

/// The OID of the default of column `attnum` of table `t` (`pg_attrdef.oid`): derived, as
/// defaults have none of their own here.
pub fn attrdef_oid(t: &TableDef, attnum: usize) -> Oid {
    t.id.wrapping_mul(64).wrapping_add(attnum as Oid) | 0x8000_0000
}

fn pg_attrdef(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in &ctx.env.catalog.tables {
        for (i, c) in t.columns.iter().enumerate() {
            if let Some(d) = &c.default {
                rows.push(vec![
                    oid(attrdef_oid(t, i + 1)),
                    oid(t.id),
                    int(i as i64 + 1),
                    text(super::deparse::default_expr(d, t, &c.data_type)),
                ]);
            }
        }
    }
    Ok(rows)
}

fn pg_index(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in &ctx.env.catalog.tables {
        for i in indexes(t) {
            let keys: Vec<usize> = i
                .columns
                .iter()
                .chain(i.include)
                .map(|&c| {
                    if c == crate::storage::IndexDef::EXPRESSION {
                        0
                    } else {
                        c + 1
                    }
                })
                .collect();
            let colls: Vec<Oid> = key_columns(&i)
                .iter()
                .map(|(_, ty)| collation_of(ty))
                .collect();
            let exprs: Vec<&str> = i.exprs.iter().flatten().map(String::as_str).collect();
            rows.push(vec![
                oid(i.oid),
                oid(t.id),
                int(keys.len() as i64),
                int(i.columns.len() as i64),
                b(i.unique),
                b(false), // indnullsnotdistinct
                b(i.primary),
                b(false), // indisexclusion
                b(true),  // indimmediate
                b(false), // indisclustered
                b(true),  // indisvalid
                b(false), // indcheckxmin
                b(true),  // indisready
                b(true),  // indislive
                b(false), // indisreplident
                vector(keys),
                vector(colls),
                vector(
                    key_columns(&i)
                        .iter()
                        .map(|(_, ty)| super::builtin::btree_opclass(ty)),
                ),
                vector((0..i.columns.len()).map(|k| i.option(k))),
                if exprs.is_empty() {
                    null()
                } else {
                    text(exprs.join(", "))
                },
                i.predicate.map_or_else(null, text),
            ]);
        }
    }
    Ok(rows)
}

const PG_INDEX: &[(&str, &str)] = &[
    ("indexrelid", "oid"),
    ("indrelid", "oid"),
    ("indnatts", "int2"),
    ("indnkeyatts", "int2"),
    ("indisunique", "bool"),
    ("indnullsnotdistinct", "bool"),
    ("indisprimary", "bool"),
    ("indisexclusion", "bool"),
    ("indimmediate", "bool"),
    ("indisclustered", "bool"),
    ("indisvalid", "bool"),
    ("indcheckxmin", "bool"),
    ("indisready", "bool"),
    ("indislive", "bool"),
    ("indisreplident", "bool"),
    ("indkey", "int2vector"),
    ("indcollation", "oidvector"),
    ("indclass", "oidvector"),
    ("indoption", "int2vector"),
    ("indexprs", "pg_node_tree"),
    ("indpred", "pg_node_tree"),
];

fn attnums(cols: &[usize]) -> Value {
    int_array(cols.iter().map(|c| *c as i64 + 1))
}

fn pg_constraint(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        for c in constraints(t) {
            let (name, kind, index, fref, upd, del, mat, key, fkey, bin) = match &c {
                ConstraintRef::Key(i) => (
                    i.name.to_string(),
                    if i.primary { 'p' } else { 'u' },
                    i.oid,
                    0,
                    ' ',
                    ' ',
                    ' ',
                    attnums(i.columns),
                    null(),
                    null(),
                ),
                ConstraintRef::Check(_, ck) => (
                    ck.name.clone(),
                    'c',
                    0,
                    0,
                    ' ',
                    ' ',
                    ' ',
                    attnums(&ck.columns),
                    null(),
                    text(ck.expr.clone()),
                ),
                ConstraintRef::Foreign(_, fk) => {
                    let ref_index = cat
                        .table_by_id(fk.ref_table)
                        .and_then(|rt| {
                            indexes(rt)
                                .into_iter()
                                .find(|i| i.unique && i.columns == fk.ref_columns.as_slice())
                                .map(|i| i.oid)
                        })
                        .unwrap_or(0);
                    (
                        fk.name.clone(),
                        'f',
                        ref_index,
                        fk.ref_table,
                        fk.on_update.code(),
                        fk.on_delete.code(),
                        if fk.match_full { 'f' } else { 's' },
                        attnums(&fk.columns),
                        attnums(&fk.ref_columns),
                        null(),
                    )
                }
            };
            let (deferrable, deferred) = match &c {
                ConstraintRef::Foreign(_, fk) => (fk.deferrable, fk.initially_deferred),
                _ => (false, false),
            };
            rows.push(vec![
                oid(c.oid()),
                text(name),
                oid(t.schema),
                ch(kind),
                b(deferrable),
                b(deferred),
                b(true), // convalidated
                oid(t.id),
                oid(0), // contypid
                oid(index),
                oid(0), // conparentid
                oid(fref),
                ch(upd),
                ch(del),
                ch(mat),
                b(true),  // conislocal
                int(0),   // coninhcount
                b(false), // connoinherit
                key,
                fkey,
                null(),
                null(),
                null(),
                null(),
                null(),
                bin,
            ]);
        }
    }
    rows.extend(super::user_types::domain_constraints(ctx));
    Ok(rows)
}

const PG_CONSTRAINT: &[(&str, &str)] = &[
    ("oid", "oid"),
    ("conname", "name"),
    ("connamespace", "oid"),
    ("contype", "char"),
    ("condeferrable", "bool"),
    ("condeferred", "bool"),
    ("convalidated", "bool"),
    ("conrelid", "oid"),
    ("contypid", "oid"),
    ("conindid", "oid"),
    ("conparentid", "oid"),
    ("confrelid", "oid"),
    ("confupdtype", "char"),
    ("confdeltype", "char"),
    ("confmatchtype", "char"),
    ("conislocal", "bool"),
    ("coninhcount", "int4"),
    ("connoinherit", "bool"),
    ("conkey", "int2[]"),
    ("confkey", "int2[]"),
    ("conpfeqop", "oid[]"),
    ("conppeqop", "oid[]"),
    ("conffeqop", "oid[]"),
    ("confdelsetcols", "int2[]"),
    ("conexclop", "oid[]"),
    ("conbin", "pg_node_tree"),
];

fn pg_sequence(ctx: &Context) -> Result<Vec<Row>> {
    Ok(ctx
        .env
        .catalog
        .sequences
        .iter()
        .map(|s| {
            vec![
                oid(s.oid),
                oid(s.data_type.oid()),
                int(s.start),
                int(s.increment),
                int(s.max),
                int(s.min),
                int(s.cache),
                b(s.cycle),
            ]
        })
        .collect())
}

/// Every comment: `(objoid, classoid, objsubid, description)`.
pub fn comments(cat: &Catalog) -> Vec<(Oid, Oid, i64, String)> {
    let mut v = Vec::new();
    let mut add = |o: Oid, class: Oid, sub: i64, c: &Option<String>| {
        if let Some(c) = c {
            v.push((o, class, sub, c.clone()));
        }
    };
    for s in cat.all_schemas() {
        add(s.oid, PG_NAMESPACE_OID, 0, &s.comment);
    }
    for t in &cat.tables {
        add(t.id, PG_CLASS_OID, 0, &t.comment);
        for (i, c) in t.columns.iter().enumerate() {
            add(t.id, PG_CLASS_OID, i as i64 + 1, &c.comment);
        }
        for i in indexes(t) {
            add(i.oid, PG_CLASS_OID, 0, &i.comment.map(str::to_string));
        }
    }
    for vw in &cat.views {
        add(vw.oid, PG_CLASS_OID, 0, &vw.comment);
        for (i, c) in vw.columns.iter().enumerate() {
            add(vw.oid, PG_CLASS_OID, i as i64 + 1, &c.comment);
        }
    }
    for s in &cat.sequences {
        add(s.oid, PG_CLASS_OID, 0, &s.comment);
    }
    for t in &cat.types {
        add(t.oid, PG_TYPE_OID, 0, &t.comment);
    }
    for f in &cat.functions {
        add(f.oid, PG_PROC_OID, 0, &f.comment);
    }
    v.extend(super::extensions::comments(cat));
    v.extend(super::ts_catalog::comments());
    v
}

/// `pg_type`'s OID (the class of a type's comment).
const PG_TYPE_OID: Oid = 1247;

/// `pg_proc`'s OID (the class of a function's comment).
pub const PG_PROC_OID: Oid = 1255;

fn pg_description(ctx: &Context) -> Result<Vec<Row>> {
    Ok(comments(&ctx.env.catalog)
        .into_iter()
        .map(|(o, class, sub, d)| vec![oid(o), oid(class), int(sub), text(d)])
        .collect())
}

/// `pg_depend`: what `pg_get_serial_sequence` and ORMs read — an owned sequence depends on
/// its column (`a` for serial / OWNED BY, `i` for identity), an index on its constraint.
fn pg_depend(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    let dep = |objid: Oid, refobj: Oid, refsub: i64, class: Oid, kind: char| {
        vec![
            oid(PG_CLASS_OID),
            oid(objid),
            int(0),
            oid(class),
            oid(refobj),
            int(refsub),
            ch(kind),
        ]
    };
    for s in &cat.sequences {
        if let Some(o) = s.owned_by {
            let identity = cat
                .table_by_id(o.table)
                .and_then(|t| t.columns.get(o.column))
                .and_then(|c| c.identity)
                .is_some_and(|i| i.sequence == s.oid);
            let kind = if identity { 'i' } else { 'a' };
            rows.push(dep(s.oid, o.table, o.column as i64 + 1, PG_CLASS_OID, kind));
        }
    }
    for t in &cat.tables {
        for i in indexes(t) {
            if let Some(c) = i.constraint {
                rows.push(dep(i.oid, c, 0, PG_CONSTRAINT_OID, 'i'));
            }
        }
    }
    Ok(rows)
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
    vec![
        t(
            "pg_namespace",
            2615,
            &[
                ("oid", "oid"),
                ("nspname", "name"),
                ("nspowner", "oid"),
                ("nspacl", "aclitem[]"),
            ],
            pg_namespace,
        ),
        t("pg_class", 1259, PG_CLASS, pg_class),
        t("pg_attribute", 1249, PG_ATTRIBUTE, pg_attribute),
        t(
            "pg_attrdef",
            2604,
            &[
                ("oid", "oid"),
                ("adrelid", "oid"),
                ("adnum", "int2"),
                ("adbin", "pg_node_tree"),
            ],
            pg_attrdef,
        ),
        t("pg_index", 2610, PG_INDEX, pg_index),
        t("pg_constraint", 2606, PG_CONSTRAINT, pg_constraint),
        t(
            "pg_sequence",
            2224,
            &[
                ("seqrelid", "oid"),
                ("seqtypid", "oid"),
                ("seqstart", "int8"),
                ("seqincrement", "int8"),
                ("seqmax", "int8"),
                ("seqmin", "int8"),
                ("seqcache", "int8"),
                ("seqcycle", "bool"),
            ],
            pg_sequence,
        ),
        t(
            "pg_description",
            2609,
            &[
                ("objoid", "oid"),
                ("classoid", "oid"),
                ("objsubid", "int4"),
                ("description", "text"),
            ],
            pg_description,
        ),
        t(
            "pg_depend",
            2608,
            &[
                ("classid", "oid"),
                ("objid", "oid"),
                ("objsubid", "int4"),
                ("refclassid", "oid"),
                ("refobjid", "oid"),
                ("refobjsubid", "int4"),
                ("deptype", "char"),
            ],
            pg_depend,
        ),
    ]
}

/// An `aclitem[]` value (NULL for the default ACL), each item as its text.
pub fn acl_value(
    catalog: &crate::storage::Catalog,
    acl: Option<&[crate::storage::catalog::acl::AclItem]>,
) -> Value {
    match acl {
        None => null(),
        Some(items) => array(
            items
                .iter()
                .map(|i| text(crate::storage::catalog::acl::item_text(catalog, i)))
                .collect(),
        ),
    }
}
