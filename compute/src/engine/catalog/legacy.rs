//! Catalog rows of the first format (before schemas and OIDs), still read so that a database
//! written by an earlier Strata opens: `["table", int8 id] → id, name, pkey name, columns,
//! primary key, indexes (+ rel ids)` as positional values.
//!
//! Such a table is given the OIDs its relation ids were (table = its RelId, each index = its
//! RelId — RelIds were never reused, so they are distinct), lives in `public`, and its
//! primary key's index and constraint get OIDs `10000 + 2·id` and `10001 + 2·id`: below
//! 16384, so never handed out since. The next DDL on the table rewrites it in the current
//! format and deletes the legacy row.

use std::collections::BTreeMap;

use proto::RelId;
use sql::DataType;
use sql::storage::{ColumnDef, IndexDef, TableDef};

use super::TableEntry;
use crate::error::{Error, Result};
use crate::keycodec;
use crate::values::{self, Value};

/// The legacy catalog key of table `id`.
pub fn table_key(id: u32) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("table".into()), Value::Int8(i64::from(id))])
}

/// The key prefix of legacy table rows.
pub fn table_prefix() -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("table".into())])
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
        // Later types were written by their PostgreSQL names (`numeric(10,2)`).
        other => sql::types::names::parse(other)
            .map_err(|_| Error::decode("catalog", format!("unknown type {other:?}")))?,
    })
}

/// Reads values off a decoded catalog row, failing on any mismatch.
pub struct Fields(pub std::vec::IntoIter<Value>);

impl Fields {
    fn next(&mut self) -> Result<Value> {
        self.0
            .next()
            .ok_or_else(|| Error::decode("catalog", "row too short"))
    }
    pub fn text(&mut self) -> Result<String> {
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
    pub fn int(&mut self) -> Result<i64> {
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
    pub fn u32(&mut self) -> Result<u32> {
        u32::try_from(self.int()?).map_err(|_| Error::decode("catalog", "id out of range"))
    }
    pub fn bool(&mut self) -> Result<bool> {
        match self.next()? {
            Value::Bool(b) => Ok(b),
            v => Err(Error::decode(
                "catalog",
                format!("expected bool, got {v:?}"),
            )),
        }
    }
}

/// Decodes a legacy table row.
pub fn decode_entry(bytes: &[u8]) -> Result<TableEntry> {
    let mut f = Fields(values::decode_row(bytes)?.into_iter());
    let id = f.u32()?;
    let name = f.text()?;
    let primary_key_name = f.opt_text()?;
    let mut columns = Vec::new();
    for _ in 0..f.count()? {
        let name = f.text()?;
        let data_type = parse_type(&f.text()?)?;
        let mut c = ColumnDef::new(name, data_type);
        c.not_null = f.bool()?;
        c.default = f.opt_text()?;
        columns.push(c);
    }
    let mut primary_key = Vec::new();
    for _ in 0..f.count()? {
        primary_key.push(f.count()?);
    }
    let (mut indexes, mut index_rels) = (Vec::new(), BTreeMap::new());
    for _ in 0..f.count()? {
        let name = f.text()?;
        let unique = f.bool()?;
        let rel = f.u32()?;
        let mut cols = Vec::new();
        for _ in 0..f.count()? {
            cols.push(f.count()?);
        }
        index_rels.insert(rel, RelId(rel));
        indexes.push(IndexDef {
            oid: rel,
            name,
            columns: cols,
            unique,
            ..Default::default()
        });
    }
    if f.0.next().is_some() {
        return Err(Error::decode("catalog", "trailing values"));
    }
    let has_pk = !primary_key.is_empty();
    let def = TableDef {
        id,
        name,
        columns,
        primary_key,
        primary_key_name,
        pk_index_oid: if has_pk { 10_000 + 2 * id } else { 0 },
        pk_constraint_oid: if has_pk { 10_001 + 2 * id } else { 0 },
        indexes,
        ..Default::default()
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
    Ok(TableEntry {
        def,
        rel: RelId(id),
        index_rels,
        legacy: true,
    })
}

/// Encodes a table in the legacy format (tests of the upgrade path only).
pub fn encode_entry(e: &TableEntry) -> Vec<u8> {
    fn type_name(t: &DataType) -> String {
        match t {
            DataType::Bool => "bool".into(),
            DataType::Int2 => "int2".into(),
            DataType::Int4 => "int4".into(),
            DataType::Int8 => "int8".into(),
            DataType::Float4 => "float4".into(),
            DataType::Float8 => "float8".into(),
            DataType::Varchar(Some(n)) => format!("varchar({n})"),
            DataType::Varchar(None) => "varchar".into(),
            _ => "text".into(),
        }
    }
    let text = |s: &str| Value::Text(s.to_string());
    let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, text);
    let int = |n: usize| Value::Int8(n as i64);
    let d = &e.def;
    let mut v = vec![
        Value::Int8(i64::from(d.id)),
        text(&d.name),
        opt(&d.primary_key_name),
        int(d.columns.len()),
    ];
    for c in &d.columns {
        v.extend([
            text(&c.name),
            text(&type_name(&c.data_type)),
            Value::Bool(c.not_null),
            opt(&c.default),
        ]);
    }
    v.push(int(d.primary_key.len()));
    v.extend(d.primary_key.iter().map(|&c| int(c)));
    v.push(int(d.indexes.len()));
    for i in &d.indexes {
        let rel = e.index_rels.get(&i.oid).map_or(0, |r| r.0);
        v.extend([
            text(&i.name),
            Value::Bool(i.unique),
            Value::Int8(i64::from(rel)),
        ]);
        v.push(int(i.columns.len()));
        v.extend(i.columns.iter().map(|&c| int(c)));
    }
    values::encode_row(&v)
}
