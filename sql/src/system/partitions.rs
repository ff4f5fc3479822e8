//! Declarative partitioning in the catalogs: `pg_partitioned_table` (one row per
//! partitioned table: strategy, key columns, default partition), `pg_inherits` (one row per
//! partition), the partition columns of `pg_class` (`relkind 'p'`, `relispartition`,
//! `relpartbound` — kept as the bound's `FOR VALUES ...` text, which `pg_get_expr` returns
//! as is), `pg_get_partkeydef` and `pg_get_partition_constraintdef`, so psql's `\d` prints
//! "Partition key:", "Partitions:" and "Partition of:" as PostgreSQL does.

use super::val::*;
use super::{Context, SystemTable};
use crate::storage::catalog::IndexDef;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::storage::catalog::partition::{self, PartitionBound};
use crate::storage::{Catalog, Row, TableDef};
use crate::{Result, Value};

/// `pg_catalog.pg_partitioned_table`.
pub const PG_PARTITIONED_TABLE: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_partitioned_table",
    oid: 3350,
    columns: &[
        ("partrelid", "oid"),
        ("partstrat", "char"),
        ("partnatts", "int2"),
        ("partdefid", "oid"),
        ("partattrs", "int2vector"),
        ("partclass", "oidvector"),
        ("partcollation", "oidvector"),
        ("partexprs", "pg_node_tree"),
    ],
    rows: pg_partitioned_table,
};

/// `pg_catalog.pg_inherits`.
pub const PG_INHERITS: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_inherits",
    oid: 2611,
    columns: &[
        ("inhrelid", "oid"),
        ("inhparent", "oid"),
        ("inhseqno", "int4"),
        ("inhdetachpending", "bool"),
    ],
    rows: pg_inherits,
};

fn pg_partitioned_table(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for t in &cat.tables {
        let Some(key) = &t.partition_key else {
            continue;
        };
        let types = key.types(t).unwrap_or_default();
        let default = partition::partitions(cat, t.id)
            .into_iter()
            .find(|p| {
                p.partition_of
                    .as_ref()
                    .is_some_and(|o| o.bound == PartitionBound::Default)
            })
            .map_or(0, |p| p.id);
        let exprs: Vec<&str> = key.exprs.iter().flatten().map(String::as_str).collect();
        rows.push(vec![
            oid(t.id),
            ch(key.strategy),
            int(key.columns.len() as i64),
            oid(default),
            vector(
                key.columns
                    .iter()
                    .map(|&c| if c == IndexDef::EXPRESSION { 0 } else { c + 1 }),
            ),
            vector(types.iter().map(|ty| match key.strategy {
                'h' => hash_opclass(ty),
                _ => super::builtin::btree_opclass(ty),
            })),
            vector(types.iter().map(super::relations::collation_of)),
            if exprs.is_empty() {
                null()
            } else {
                text(exprs.join(", "))
            },
        ]);
    }
    Ok(rows)
}

/// The default hash operator class of a hashable key type.
fn hash_opclass(ty: &crate::types::DataType) -> u32 {
    use crate::types::DataType as T;
    match ty {
        T::Int2 => 10019,
        T::Int4 => 10020,
        T::Int8 => 10021,
        T::Text | T::Varchar(_) => 10037,
        T::Bpchar(_) => 10005,
        T::Date => 10011,
        T::Bool => 10048,
        T::Uuid => 10066,
        _ => 0,
    }
}

fn pg_inherits(ctx: &Context) -> Result<Vec<Row>> {
    Ok(ctx
        .env
        .catalog
        .tables
        .iter()
        .filter_map(|t| {
            let of = t.partition_of.as_ref()?;
            Some(vec![oid(t.id), oid(of.parent), int(1), b(false)])
        })
        .collect())
}

/// `pg_class` columns of a partitioned table or partition, patched into `row` (positions as
/// in `relations::PG_CLASS`).
pub fn patch_pg_class(cat: &Catalog, t: &TableDef, row: &mut Row) {
    const RELAM: usize = 6;
    const RELFILENODE: usize = 7;
    const RELKIND: usize = 16;
    const RELHASSUBCLASS: usize = 21;
    const RELISPARTITION: usize = 26;
    const RELPARTBOUND: usize = 32;
    if t.partition_key.is_some() {
        row[RELAM] = oid(0);
        row[RELFILENODE] = oid(0);
        row[RELKIND] = ch('p');
    }
    if !partition::partitions(cat, t.id).is_empty() {
        row[RELHASSUBCLASS] = b(true);
    }
    if t.partition_of.is_some() {
        row[RELISPARTITION] = b(true);
        row[RELPARTBOUND] = bound_text(cat, t).map_or(Value::Null, text);
    }
}

/// A partition's bound as `pg_get_expr(relpartbound, oid)` prints it.
pub fn bound_text(cat: &Catalog, t: &TableDef) -> Option<String> {
    let of = t.partition_of.as_ref()?;
    let parent = cat.table_by_id(of.parent)?;
    let types = parent.partition_key.as_ref()?.types(parent).ok()?;
    Some(of.bound.definition(&types))
}

/// `pg_get_partkeydef(oid)`.
pub fn partkeydef(cat: &Catalog, rel: u32) -> Value {
    match cat.table_by_id(rel) {
        Some(t) => t
            .partition_key
            .as_ref()
            .map_or(Value::Null, |k| text(k.definition(t))),
        None => Value::Null,
    }
}

/// A constant as `get_const_expr` prints it with its type (`'-5'::integer`, `10`,
/// `'x'::text`).
fn typed(v: &str, ty: crate::types::DataType) -> String {
    use crate::types::DataType as T;
    let bare = v.starts_with(|c: char| c.is_ascii_digit());
    match ty {
        T::Int4 if bare => v.to_string(),
        T::Numeric(_) if bare && v.contains('.') => v.to_string(),
        T::Numeric(_) if bare => format!("{v}::numeric"),
        _ => format!("'{}'::{}", v.replace('\'', "''"), ty.name()),
    }
}

/// `pg_get_partition_constraintdef(oid)`: the implicit constraint of a partition of a
/// one-column RANGE or LIST key, or a HASH key (NULL for the rest: multi-column ranges,
/// expression keys and default partitions).
pub fn constraintdef(cat: &Catalog, rel: u32) -> Value {
    let Some(t) = cat.table_by_id(rel) else {
        return Value::Null;
    };
    let Some(of) = &t.partition_of else {
        return Value::Null;
    };
    let Some(parent) = cat.table_by_id(of.parent) else {
        return Value::Null;
    };
    let Some(key) = &parent.partition_key else {
        return Value::Null;
    };
    if key.exprs.iter().any(Option::is_some)
        || key.columns.iter().any(|&c| c >= parent.columns.len())
        || key.columns.is_empty()
    {
        return Value::Null;
    }
    let names: Vec<String> = key
        .columns
        .iter()
        .map(|&c| crate::expr::catalog_functions::quote_ident(&parent.columns[c].name))
        .collect();
    let types: Vec<_> = key
        .columns
        .iter()
        .map(|&c| parent.columns[c].data_type)
        .collect();
    use crate::storage::catalog::partition::RangeDatum;
    let s = match &of.bound {
        PartitionBound::Hash { modulus, remainder } => format!(
            "satisfies_hash_partition('{}'::oid, {modulus}, {remainder}, {})",
            parent.id,
            names.join(", ")
        ),
        PartitionBound::Range { from, to } if names.len() == 1 => {
            let (n, ty) = (&names[0], types[0]);
            let mut parts = vec![format!("({n} IS NOT NULL)")];
            if let Some(RangeDatum::Value(v)) = from.first() {
                parts.push(format!("({n} >= {})", typed(v, ty)));
            }
            if let Some(RangeDatum::Value(v)) = to.first() {
                parts.push(format!("({n} < {})", typed(v, ty)));
            }
            format!("({})", parts.join(" AND "))
        }
        PartitionBound::List(vals) => {
            let (n, ty) = (&names[0], types[0]);
            let non_null: Vec<String> = vals.iter().flatten().map(|v| typed(v, ty)).collect();
            let any = match non_null.as_slice() {
                [] => None,
                [one] => Some(format!("({n} = {one})")),
                many => Some(format!("({n} = ANY (ARRAY[{}]))", many.join(", "))),
            };
            match (vals.iter().any(Option::is_none), any) {
                (true, Some(a)) => format!("(({n} IS NULL) OR {a})"),
                (true, None) => format!("({n} IS NULL)"),
                (false, Some(a)) => format!("(({n} IS NOT NULL) AND {a})"),
                (false, None) => return Value::Null,
            }
        }
        _ => return Value::Null,
    };
    text(s)
}
