//! The catalog, stored in B-trees like any table.
//!
//! Relation [`CATALOG_REL`] is a [`VersionedTree`] of catalog rows, versioned by LSN exactly
//! like user rows, so a statement reads the schema at its own snapshot and a fresh compute
//! that only has the pages learns the schema from them:
//!
//! ```text
//! key (keycodec)                   payload (values::encode_row)
//! ["table", int8 table id]   →     name, pkey name, columns, primary key, indexes (+ rel ids)
//! ["meta", "next_rel"]       →     int8: the next unassigned RelId (RelIds are never reused)
//! ["rowid", int8 table id]   →     int8: hidden row ids up to here may have been assigned
//! ```
//!
//! Hidden row ids are reserved ahead in chunks (like a sequence): the serial step rewrites
//! the reservation row, in the same record, only when it runs past it.
//!
//! A table's rows live in the relation whose id is the table id; each secondary index lives
//! in its own relation, recorded next to the index definition ([`TableEntry::index_rels`]).
//! [`EngineCatalog`] is one decoded version of the catalog; the engine caches the latest one
//! (see `Engine::catalog_at`) and transactions overlay their own DDL on it.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proto::{Lsn, RelId};
use sql::DataType;
use sql::storage::{Catalog, ColumnDef, IndexDef, TableDef, TableId};

use crate::btree::{Limits, PageStore};
use crate::error::{Error, Result};
use crate::keycodec;
use crate::mvcc::VersionedTree;
use crate::values::{self, Value};

/// The catalog's relation.
pub const CATALOG_REL: RelId = RelId(1);
/// The first RelId handed to user tables and indexes.
pub const FIRST_USER_REL: u32 = 16;

/// One table as the engine stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableEntry {
    pub def: TableDef,
    /// The relation of each of `def.indexes`, in the same order.
    pub index_rels: Vec<RelId>,
}

impl TableEntry {
    pub fn rel(&self) -> RelId {
        RelId(self.def.id)
    }

    /// The relation of index `name`.
    pub fn index_rel(&self, name: &str) -> Option<RelId> {
        let i = self.def.indexes.iter().position(|x| x.name == name)?;
        self.index_rels.get(i).copied()
    }

    pub fn column_types(&self) -> Vec<DataType> {
        self.def.columns.iter().map(|c| c.data_type).collect()
    }

    /// Types of the key columns (`None` for a hidden row id).
    pub fn key_types(&self) -> Vec<Option<&DataType>> {
        if self.def.primary_key.is_empty() {
            vec![None]
        } else {
            self.def
                .primary_key
                .iter()
                .map(|&c| Some(&self.def.columns[c].data_type))
                .collect()
        }
    }
}

/// One version of the whole catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineCatalog {
    pub tables: BTreeMap<TableId, TableEntry>,
    /// The next unassigned RelId, as of this version.
    pub next_rel: u32,
}

impl EngineCatalog {
    /// The SQL layer's view of it.
    pub fn to_sql(&self) -> Catalog {
        Catalog {
            tables: self.tables.values().map(|t| t.def.clone()).collect(),
        }
    }
}

/// The catalog key of table `id`.
pub fn table_key(id: TableId) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("table".into()), Value::Int8(i64::from(id))])
}

/// The catalog key of the RelId counter.
pub fn next_rel_key() -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("meta".into()), Value::Text("next_rel".into())])
}

/// The catalog key of table `id`'s hidden row id reservation.
pub fn row_id_key(id: TableId) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("rowid".into()), Value::Int8(i64::from(id))])
}

/// Encodes the RelId counter's payload.
pub fn encode_next_rel(next: u32) -> Vec<u8> {
    encode_counter(i64::from(next))
}

/// Encodes a counter row (the RelId counter, a row id reservation).
pub fn encode_counter(n: i64) -> Vec<u8> {
    values::encode_row(&[Value::Int8(n)])
}

/// Decodes a counter row.
pub fn decode_counter(bytes: &[u8]) -> Result<i64> {
    Fields(values::decode_row(bytes)?.into_iter()).int()
}

/// A column type's durable name in the catalog. The first types have short names of their
/// own (kept as written by earlier versions); every later type is stored by its PostgreSQL
/// name (`format_type`: `numeric(10,2)`, `timestamp with time zone`, `integer[]`), which
/// [`parse_type`] reads back with the SQL type-name parser.
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Bool => "bool".into(),
        DataType::Int2 => "int2".into(),
        DataType::Int4 => "int4".into(),
        DataType::Int8 => "int8".into(),
        DataType::Float4 => "float4".into(),
        DataType::Float8 => "float8".into(),
        DataType::Text => "text".into(),
        DataType::Varchar(None) => "varchar".into(),
        DataType::Varchar(Some(n)) => format!("varchar({n})"),
        DataType::Unknown => "unknown".into(),
        other => other.name(),
    }
}

fn parse_type(s: &str) -> Result<DataType> {
    Ok(match s {
        "bool" => DataType::Bool,
        "int2" => DataType::Int2,
        "int4" => DataType::Int4,
        "int8" => DataType::Int8,
        "float4" => DataType::Float4,
        "float8" => DataType::Float8,
        "text" => DataType::Text,
        "varchar" => DataType::Varchar(None),
        "unknown" => DataType::Unknown,
        other => sql::types::names::parse(other)
            .map_err(|_| Error::decode("catalog", format!("unknown type {other:?}")))?,
    })
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, text)
}

fn int(n: usize) -> Value {
    Value::Int8(n as i64)
}

/// Encodes a table entry as a catalog payload.
pub fn encode_entry(e: &TableEntry) -> Vec<u8> {
    let d = &e.def;
    let mut v = vec![
        Value::Int8(i64::from(d.id)),
        text(&d.name),
        opt_text(&d.primary_key_name),
        int(d.columns.len()),
    ];
    for c in &d.columns {
        v.extend([
            text(&c.name),
            text(&type_name(&c.data_type)),
            Value::Bool(c.not_null),
            opt_text(&c.default),
        ]);
    }
    v.push(int(d.primary_key.len()));
    v.extend(d.primary_key.iter().map(|&c| int(c)));
    v.push(int(d.indexes.len()));
    for (i, rel) in d.indexes.iter().zip(&e.index_rels) {
        v.extend([
            text(&i.name),
            Value::Bool(i.unique),
            Value::Int8(i64::from(rel.0)),
        ]);
        v.push(int(i.columns.len()));
        v.extend(i.columns.iter().map(|&c| int(c)));
    }
    values::encode_row(&v)
}

/// Reads values off a decoded catalog row, failing on any mismatch.
struct Fields(std::vec::IntoIter<Value>);

impl Fields {
    fn next(&mut self) -> Result<Value> {
        self.0
            .next()
            .ok_or_else(|| Error::decode("catalog", "row too short"))
    }
    fn text(&mut self) -> Result<String> {
        match self.next()? {
            Value::Text(s) => Ok(s),
            v => Err(Error::decode(
                "catalog",
                format!("expected text, got {v:?}"),
            )),
        }
    }
    fn opt_text(&mut self) -> Result<Option<String>> {
        match self.next()? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s)),
            v => Err(Error::decode(
                "catalog",
                format!("expected text, got {v:?}"),
            )),
        }
    }
    fn int(&mut self) -> Result<i64> {
        match self.next()? {
            Value::Int8(i) => Ok(i),
            v => Err(Error::decode(
                "catalog",
                format!("expected int8, got {v:?}"),
            )),
        }
    }
    fn count(&mut self) -> Result<usize> {
        usize::try_from(self.int()?).map_err(|_| Error::decode("catalog", "negative count"))
    }
    fn u32(&mut self) -> Result<u32> {
        u32::try_from(self.int()?).map_err(|_| Error::decode("catalog", "id out of range"))
    }
    fn bool(&mut self) -> Result<bool> {
        match self.next()? {
            Value::Bool(b) => Ok(b),
            v => Err(Error::decode(
                "catalog",
                format!("expected bool, got {v:?}"),
            )),
        }
    }
}

/// Decodes a catalog payload written by [`encode_entry`].
pub fn decode_entry(bytes: &[u8]) -> Result<TableEntry> {
    let mut f = Fields(values::decode_row(bytes)?.into_iter());
    let id = f.u32()?;
    let name = f.text()?;
    let primary_key_name = f.opt_text()?;
    let mut columns = Vec::new();
    for _ in 0..f.count()? {
        columns.push(ColumnDef {
            name: f.text()?,
            data_type: parse_type(&f.text()?)?,
            not_null: f.bool()?,
            default: f.opt_text()?,
        });
    }
    let mut primary_key = Vec::new();
    for _ in 0..f.count()? {
        primary_key.push(f.count()?);
    }
    let (mut indexes, mut index_rels) = (Vec::new(), Vec::new());
    for _ in 0..f.count()? {
        let name = f.text()?;
        let unique = f.bool()?;
        index_rels.push(RelId(f.u32()?));
        let mut cols = Vec::new();
        for _ in 0..f.count()? {
            cols.push(f.count()?);
        }
        indexes.push(IndexDef {
            name,
            columns: cols,
            unique,
        });
    }
    if f.0.next().is_some() {
        return Err(Error::decode("catalog", "trailing values"));
    }
    let def = TableDef {
        id,
        name,
        columns,
        primary_key,
        primary_key_name,
        indexes,
    };
    let n = def.columns.len();
    if def
        .primary_key
        .iter()
        .chain(def.indexes.iter().flat_map(|i| &i.columns))
        .any(|&c| c >= n)
    {
        return Err(Error::decode("catalog", "column position out of range"));
    }
    Ok(TableEntry { def, index_rels })
}

/// Reads the catalog visible at `snapshot` from its tree.
pub fn read<S: PageStore>(store: S, limits: Limits, snapshot: Lsn) -> Result<EngineCatalog> {
    let tree = VersionedTree::open(store, limits);
    let mut catalog = EngineCatalog {
        tables: BTreeMap::new(),
        next_rel: FIRST_USER_REL,
    };
    if let Some(payload) = tree.get(&next_rel_key(), snapshot)? {
        let mut f = Fields(values::decode_row(&payload)?.into_iter());
        catalog.next_rel = f.u32()?;
    }
    let prefix = keycodec::encode_key(&[Value::Text("table".into())]);
    let upper = keycodec::prefix_successor(&prefix);
    let scan = tree.scan(
        Bound::Included(&prefix),
        upper.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        snapshot,
    )?;
    for item in scan {
        let (_, payload) = item?;
        let entry = decode_entry(&payload)?;
        catalog.tables.insert(entry.def.id, entry);
    }
    Ok(catalog)
}

/// A cached catalog version: valid for every snapshot at or after `valid_from`, as long as
/// no catalog-changing record ended after it.
#[derive(Clone)]
pub struct CachedCatalog {
    pub valid_from: Lsn,
    pub catalog: Arc<EngineCatalog>,
    pub sql: Arc<Catalog>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sql::types::NumericTypmod;

    #[test]
    fn every_column_type_round_trips_through_its_catalog_name() {
        let mut types = sql::types::oid::builtin_types();
        types.extend([
            DataType::Varchar(Some(7)),
            DataType::Bpchar(Some(3)),
            DataType::Numeric(Some(NumericTypmod {
                precision: 12,
                scale: 2,
            })),
            DataType::Numeric(Some(NumericTypmod {
                precision: 3,
                scale: -1,
            })),
            DataType::Timestamptz(Some(3)),
            DataType::Time(Some(0)),
            DataType::array_of(DataType::Varchar(Some(5))),
            DataType::array_of(DataType::Numeric(Some(NumericTypmod {
                precision: 10,
                scale: 4,
            }))),
        ]);
        for t in types {
            assert_eq!(parse_type(&type_name(&t)).unwrap(), t, "{}", type_name(&t));
        }
        // names written by earlier versions keep their meaning
        assert_eq!(
            parse_type("varchar(5)").unwrap(),
            DataType::Varchar(Some(5))
        );
        assert!(parse_type("no such type").is_err());
    }
}
