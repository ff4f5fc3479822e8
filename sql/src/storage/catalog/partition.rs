//! Declarative partitioning's catalog side: a partitioned table's key
//! ([`PartitionKey`], `pg_partitioned_table`) and a partition's bound ([`PartitionOf`],
//! `pg_class.relpartbound`), and the questions both storages, DDL and the executor ask of
//! them: which partition a row belongs to ([`route`]), whether a row satisfies a
//! partition's bound, whether two bounds overlap, and how PostgreSQL prints them
//! (`pg_get_partkeydef`, `pg_get_expr(relpartbound, oid)`).
//!
//! Bound values are kept as the text of the key column's type (as PostgreSQL keeps them as
//! constants of that type) and parsed again when compared. A key element that is an
//! expression is SQL text bound against the table, the same way an expression index's key
//! is ([`super::index_keys`]).

use super::{Catalog, IndexDef, TableDef};
use crate::types::{DataType, Value};
use crate::{Error, ErrorObject, Result};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// `PARTITION BY {RANGE | LIST | HASH} (key, ...)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionKey {
    /// `partstrat`: `r`ange, `l`ist or `h`ash.
    pub strategy: char,
    /// Key column positions ([`IndexDef::EXPRESSION`] for an expression element).
    pub columns: Vec<usize>,
    /// The expression elements' SQL text, by key position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exprs: Vec<Option<String>>,
}

/// `PARTITION OF parent FOR VALUES ...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionOf {
    pub parent: super::Oid,
    pub bound: PartitionBound,
}

/// A partition's bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PartitionBound {
    Default,
    /// `IN (v, ...)`: each value's text, `None` for NULL.
    List(Vec<Option<String>>),
    /// `FROM (..) TO (..)`: one datum per key element.
    Range {
        from: Vec<RangeDatum>,
        to: Vec<RangeDatum>,
    },
    Hash {
        modulus: u32,
        remainder: u32,
    },
}

/// One element of a range bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RangeDatum {
    MinValue,
    Value(String),
    MaxValue,
}

impl PartitionKey {
    /// The key as an index definition, to share the index's key computation.
    fn as_index(&self) -> IndexDef {
        IndexDef {
            name: "partition key".into(),
            columns: self.columns.clone(),
            exprs: self.exprs.clone(),
            ..Default::default()
        }
    }

    /// The key of `row` of `table` (the partitioned table or any of its partitions, whose
    /// columns are the same).
    pub fn key_of(&self, table: &TableDef, row: &[Value]) -> Result<Vec<Value>> {
        Ok(self.as_index().key_of(table, row)?.unwrap_or_default())
    }

    /// The key elements' types.
    pub fn types(&self, table: &TableDef) -> Result<Vec<DataType>> {
        self.as_index().key_types(table)
    }

    /// The key elements as PostgreSQL names them in messages and `pg_get_partkeydef`.
    pub fn names(&self, table: &TableDef) -> Vec<String> {
        self.as_index().key_names(table)
    }

    /// The strategy's word.
    pub fn strategy_name(&self) -> &'static str {
        match self.strategy {
            'l' => "LIST",
            'h' => "HASH",
            _ => "RANGE",
        }
    }

    /// `pg_get_partkeydef`: `RANGE (a, b)`.
    pub fn definition(&self, table: &TableDef) -> String {
        format!(
            "{} ({})",
            self.strategy_name(),
            self.names(table).join(", ")
        )
    }
}

/// A bound with its values parsed into the key's types.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Default,
    List(Vec<Value>),
    Range { from: Vec<Datum>, to: Vec<Datum> },
    Hash { modulus: u32, remainder: u32 },
}

/// A parsed range datum; the derived order puts MINVALUE first and MAXVALUE last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Datum {
    Min,
    Value(Value),
    Max,
}

impl PartitionBound {
    /// The bound with its values parsed as `types`.
    pub fn parse(&self, types: &[DataType]) -> Result<Parsed> {
        let parse = |text: &str, i: usize| {
            crate::types::cast::parse_text(types.get(i).copied().unwrap_or(DataType::Text), text)
        };
        Ok(match self {
            PartitionBound::Default => Parsed::Default,
            PartitionBound::List(vals) => Parsed::List(
                vals.iter()
                    .map(|v| match v {
                        Some(t) => parse(t, 0),
                        None => Ok(Value::Null),
                    })
                    .collect::<Result<_>>()?,
            ),
            PartitionBound::Range { from, to } => {
                let conv = |ds: &[RangeDatum]| -> Result<Vec<Datum>> {
                    ds.iter()
                        .enumerate()
                        .map(|(i, d)| {
                            Ok(match d {
                                RangeDatum::MinValue => Datum::Min,
                                RangeDatum::MaxValue => Datum::Max,
                                RangeDatum::Value(t) => Datum::Value(parse(t, i)?),
                            })
                        })
                        .collect()
                };
                Parsed::Range {
                    from: conv(from)?,
                    to: conv(to)?,
                }
            }
            PartitionBound::Hash { modulus, remainder } => Parsed::Hash {
                modulus: *modulus,
                remainder: *remainder,
            },
        })
    }

    /// `pg_get_expr(relpartbound, oid)`: `FOR VALUES FROM (1) TO (10)`, `DEFAULT`.
    pub fn definition(&self, types: &[DataType]) -> String {
        let lit = |t: &str, i: usize| literal(t, types.get(i).copied().unwrap_or(DataType::Text));
        match self {
            PartitionBound::Default => "DEFAULT".into(),
            PartitionBound::List(vals) => format!(
                "FOR VALUES IN ({})",
                vals.iter()
                    .map(|v| v.as_deref().map_or("NULL".into(), |t| lit(t, 0)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PartitionBound::Range { from, to } => {
                let side = |ds: &[RangeDatum]| {
                    ds.iter()
                        .enumerate()
                        .map(|(i, d)| match d {
                            RangeDatum::MinValue => "MINVALUE".into(),
                            RangeDatum::MaxValue => "MAXVALUE".into(),
                            RangeDatum::Value(t) => lit(t, i),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("FOR VALUES FROM ({}) TO ({})", side(from), side(to))
            }
            PartitionBound::Hash { modulus, remainder } => {
                format!("FOR VALUES WITH (modulus {modulus}, remainder {remainder})")
            }
        }
    }
}

/// A constant as `get_const_expr` prints it without its type: non-negative numbers bare,
/// everything else quoted.
fn literal(text: &str, ty: DataType) -> String {
    let numeric = matches!(
        ty,
        DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Numeric(..)
    ) || matches!(ty, DataType::Float8 | DataType::Float4);
    if numeric && text.starts_with(|c: char| c.is_ascii_digit()) {
        return text.to_string();
    }
    if ty == DataType::Bool {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', "''"))
}

/// How a key compares with a range bound: `Less` when the key sorts before it.
fn cmp_key(key: &[Value], bound: &[Datum]) -> Ordering {
    for (k, b) in key.iter().zip(bound) {
        match b {
            Datum::Min => return Ordering::Greater,
            Datum::Max => return Ordering::Less,
            Datum::Value(v) => match k.cmp(v) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
    Ordering::Equal
}

/// How two range bounds compare (elements after an infinite one do not count).
pub fn cmp_bounds(a: &[Datum], b: &[Datum]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.cmp(y) {
            Ordering::Equal if matches!(x, Datum::Min | Datum::Max) => return Ordering::Equal,
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

impl Parsed {
    /// Whether a row with partition key `key` (of types `types`) belongs to this (non-default)
    /// bound.
    pub fn contains(&self, key: &[Value], types: &[DataType]) -> bool {
        match self {
            Parsed::Default => false,
            Parsed::List(vals) => {
                let Some(k) = key.first() else {
                    return false;
                };
                vals.iter().any(|v| {
                    if k.is_null() || v.is_null() {
                        k.is_null() && v.is_null()
                    } else {
                        k.cmp(v) == Ordering::Equal
                    }
                })
            }
            Parsed::Range { from, to } => {
                !key.iter().any(Value::is_null)
                    && cmp_key(key, from) != Ordering::Less
                    && cmp_key(key, to) == Ordering::Less
            }
            Parsed::Hash { modulus, remainder } => {
                super::partition_hash::row_hash(key, types) % u64::from(*modulus)
                    == u64::from(*remainder)
            }
        }
    }
}

/// The partitions of `parent`, in creation (OID) order.
pub fn partitions(catalog: &Catalog, parent: super::Oid) -> Vec<&TableDef> {
    let mut v: Vec<&TableDef> = catalog
        .tables
        .iter()
        .filter(|t| t.partition_of.as_ref().is_some_and(|p| p.parent == parent))
        .collect();
    v.sort_by_key(|t| t.id);
    v
}

/// Every leaf partition under `table` (itself when it is not partitioned).
pub fn leaves(catalog: &Catalog, table: &TableDef) -> Vec<TableDef> {
    if table.partition_key.is_none() {
        return vec![table.clone()];
    }
    partitions(catalog, table.id)
        .into_iter()
        .flat_map(|p| leaves(catalog, p))
        .collect()
}

/// Where rows of a partitioned table go: its partitions with their parsed bounds.
pub struct Router {
    key: PartitionKey,
    types: Vec<DataType>,
    parts: Vec<(TableDef, Parsed)>,
    default: Option<TableDef>,
}

impl Router {
    /// The router of partitioned table `parent`.
    pub fn new(catalog: &Catalog, parent: &TableDef) -> Result<Router> {
        let key = parent
            .partition_key
            .as_deref()
            .cloned()
            .ok_or_else(|| Error::Internal(format!("{} is not partitioned", parent.name)))?;
        let types = key.types(parent)?;
        let mut parts = Vec::new();
        let mut default = None;
        for p in partitions(catalog, parent.id) {
            let Some(of) = &p.partition_of else { continue };
            match of.bound {
                PartitionBound::Default => default = Some(p.clone()),
                ref b => parts.push((p.clone(), b.parse(&types)?)),
            }
        }
        Ok(Router {
            key,
            types,
            parts,
            default,
        })
    }

    /// The partition `row` (a row of `parent`) belongs to, or PostgreSQL's 23514.
    pub fn route(&self, catalog: &Catalog, parent: &TableDef, row: &[Value]) -> Result<TableDef> {
        let key = self.key.key_of(parent, row)?;
        let found = self
            .parts
            .iter()
            .find(|(_, b)| b.contains(&key, &self.types))
            .map(|(t, _)| t)
            .or(self.default.as_ref());
        match found {
            Some(t) => Ok(t.clone()),
            None => Err(Error::CheckViolation {
                message: format!("no partition of relation \"{}\" found for row", parent.name),
                detail: format!(
                    "Partition key of the failing row contains ({}) = ({}).",
                    self.key.names(parent).join(", "),
                    key.iter().map(show).collect::<Vec<_>>().join(", ")
                ),
            }
            .on(ErrorObject::table(
                &catalog.schema_name(parent.schema),
                &parent.name,
            ))),
        }
    }
}

fn show(v: &Value) -> String {
    if v.is_null() {
        "null".into()
    } else {
        v.to_string()
    }
}

/// Whether `row` of partition `table` satisfies its bound (and its parent's, up the tree).
pub fn satisfies_bound(catalog: &Catalog, table: &TableDef, row: &[Value]) -> Result<bool> {
    let Some(of) = &table.partition_of else {
        return Ok(true);
    };
    let Some(parent) = catalog.table_by_id(of.parent) else {
        return Ok(true);
    };
    let Some(key) = &parent.partition_key else {
        return Ok(true);
    };
    let types = key.types(parent)?;
    let k = key.key_of(table, row)?;
    let ok = match &of.bound {
        PartitionBound::Default => {
            let router = Router::new(catalog, parent)?;
            !router.parts.iter().any(|(_, b)| b.contains(&k, &types))
        }
        b => b.parse(&types)?.contains(&k, &types),
    };
    Ok(ok && satisfies_bound(catalog, parent, row)?)
}
