//! Conversions between the SQL layer's values and the storage core's encodings.
//!
//! * Rows: `sql::Value` → [`crate::values::Value`] → [`crate::values::encode_row`]. Integers
//!   are stored as int8, floats as float8 (`real` widens exactly to f64 and narrows back by
//!   the column's type on decode), so a stored row decodes to the same `sql::Value`s.
//! * Keys: the same conversion, then [`crate::keycodec::encode_key`] (memcmp order = the SQL
//!   order of same-typed tuples, NULLs last, as `sql::Value`'s `Ord`).
//! * Key ranges: [`encode_range`] turns a prefix [`KeyRange`] into user-key bounds for a
//!   tree scan. A bound whose values do not have the column's storage kind (say a float
//!   bound on an integer column) is widened to unbounded; callers always re-check
//!   `range.contains` on the decoded key.

use std::ops::Bound;

use sql::DataType;
use sql::storage::KeyRange;

use crate::error::Result;
use crate::keycodec;
use crate::values::{self, Value as Stored};

/// The storage form of one SQL value.
pub fn to_stored(v: &sql::Value) -> Stored {
    match v {
        sql::Value::Null => Stored::Null,
        sql::Value::Bool(b) => Stored::Bool(*b),
        sql::Value::Int(i) => Stored::Int8(*i),
        sql::Value::Float(f) => Stored::Float8(*f),
        sql::Value::Float4(f) => Stored::Float8(f64::from(*f)),
        sql::Value::Text(s) => Stored::Text(s.clone()),
    }
}

/// The SQL value of a stored one, for a column of type `ty` (`None`: no column type).
pub fn from_stored(v: Stored, ty: Option<&DataType>) -> sql::Value {
    match v {
        Stored::Null => sql::Value::Null,
        Stored::Bool(b) => sql::Value::Bool(b),
        Stored::Int2(i) => sql::Value::Int(i64::from(i)),
        Stored::Int4(i) => sql::Value::Int(i64::from(i)),
        Stored::Int8(i) => sql::Value::Int(i),
        Stored::Float8(f) if ty == Some(&DataType::Float4) => sql::Value::Float4(f as f32),
        Stored::Float8(f) => sql::Value::Float(f),
        Stored::Text(s) => sql::Value::Text(s),
    }
}

/// Encodes a row for a version payload.
pub fn encode_row(row: &[sql::Value]) -> Vec<u8> {
    let stored: Vec<Stored> = row.iter().map(to_stored).collect();
    values::encode_row(&stored)
}

/// Decodes a version payload into a row of columns typed `types`.
pub fn decode_row(bytes: &[u8], types: &[DataType]) -> Result<Vec<sql::Value>> {
    let stored = values::decode_row(bytes)?;
    if stored.len() != types.len() {
        return Err(crate::Error::decode(
            "row",
            format!("{} values for {} columns", stored.len(), types.len()),
        ));
    }
    Ok(stored
        .into_iter()
        .zip(types)
        .map(|(v, t)| from_stored(v, Some(t)))
        .collect())
}

/// Encodes a key (primary key, hidden row id or index key).
pub fn encode_key(key: &[sql::Value]) -> Vec<u8> {
    let stored: Vec<Stored> = key.iter().map(to_stored).collect();
    keycodec::encode_key(&stored)
}

/// Decodes a key whose columns have types `types` (`None` for a hidden row id).
pub fn decode_key(bytes: &[u8], types: &[Option<&DataType>]) -> Result<Vec<sql::Value>> {
    let stored = keycodec::decode_key(bytes)?;
    Ok(stored
        .into_iter()
        .enumerate()
        .map(|(i, v)| from_stored(v, types.get(i).copied().flatten()))
        .collect())
}

/// Whether `v` is stored with the same keycodec tag as values of column type `ty`.
fn same_kind(v: &sql::Value, ty: &DataType) -> bool {
    matches!(
        (v, ty),
        (sql::Value::Bool(_), DataType::Bool)
            | (
                sql::Value::Int(_),
                DataType::Int2 | DataType::Int4 | DataType::Int8
            )
            | (
                sql::Value::Float(_) | sql::Value::Float4(_),
                DataType::Float4 | DataType::Float8
            )
            | (
                sql::Value::Text(_),
                DataType::Text | DataType::Varchar(_) | DataType::Unknown
            )
    )
}

/// User-key bounds for scanning `range` over keys whose columns have types `types`.
pub fn encode_range(range: &KeyRange, types: &[DataType]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let usable = |b: &[sql::Value]| {
        b.len() <= types.len() && b.iter().zip(types).all(|(v, t)| same_kind(v, t))
    };
    let lower = match &range.lower {
        Bound::Included(b) if usable(b) => Bound::Included(encode_key(b)),
        Bound::Excluded(b) if usable(b) => match keycodec::prefix_successor(&encode_key(b)) {
            Some(s) => Bound::Included(s),
            None => Bound::Unbounded,
        },
        _ => Bound::Unbounded,
    };
    let upper = match &range.upper {
        Bound::Included(b) if usable(b) => match keycodec::prefix_successor(&encode_key(b)) {
            Some(s) => Bound::Excluded(s),
            None => Bound::Unbounded,
        },
        Bound::Excluded(b) if usable(b) => Bound::Excluded(encode_key(b)),
        _ => Bound::Unbounded,
    };
    (lower, upper)
}
