//! Conversions between the SQL layer's values and the storage core's encodings.
//!
//! * Rows: `sql::Value` → [`crate::values::Value`] → [`crate::values::encode_row`]. Integers
//!   (and OIDs) are stored as int8, floats as float8 (`real` widens exactly to f64 and
//!   narrows back by the column's type on decode), `char(n)` as its padded text, `json` as
//!   its text; the column type turns them back into the same `sql::Value`s. A record (a
//!   composite column's value) keeps each field's type OID, which gives back its fields'
//!   types.
//! * Keys: the same conversion (but `char(n)` without trailing spaces, which its equality
//!   ignores), then [`crate::keycodec::encode_key`] (memcmp order = the SQL order of
//!   same-typed tuples, NULLs last, as `sql::Value`'s `Ord`).
//! * Key ranges: [`encode_range`] turns a prefix [`KeyRange`] into user-key bounds for a
//!   tree scan. A bound whose values do not have the column's storage kind (say a float
//!   bound on an integer column) is widened to unbounded; callers always re-check
//!   `range.contains` on the decoded key.

use std::ops::Bound;

use sql::DataType;
use sql::storage::KeyRange;

use crate::error::Result;
use crate::keycodec;
use crate::values::{self, StoredArray, Value as Stored};
use sql::types::array::Dim;

/// The storage form of one SQL value.
pub fn to_stored(v: &sql::Value) -> Stored {
    match v {
        sql::Value::Null => Stored::Null,
        sql::Value::Bool(b) => Stored::Bool(*b),
        sql::Value::Int(i) => Stored::Int8(*i),
        sql::Value::Reg(_, oid) => Stored::Int8(i64::from(*oid)),
        // Block and offset packed so the integers sort as the tids do.
        sql::Value::Tid(b, o) => Stored::Int8((i64::from(*b) << 16) | i64::from(*o)),
        sql::Value::Float(f) => Stored::Float8(*f),
        sql::Value::Float4(f) => Stored::Float8(f64::from(*f)),
        sql::Value::Text(s) | sql::Value::Bpchar(s) => Stored::Text(s.clone()),
        sql::Value::Numeric(n) => Stored::Numeric((**n).clone()),
        sql::Value::Bytea(b) => Stored::Bytea(b.clone()),
        sql::Value::Uuid(u) => Stored::Uuid(*u),
        sql::Value::Inet(i) => Stored::Inet(*i),
        sql::Value::TsVector(v) => Stored::TsVector((**v).clone()),
        sql::Value::TsQuery(q) => Stored::TsQuery((**q).clone()),
        sql::Value::Date(d) => Stored::Date(*d),
        sql::Value::Time(t) => Stored::Time(*t),
        sql::Value::TimeTz(t, z) => Stored::TimeTz(*t, *z),
        sql::Value::Timestamp(t) => Stored::Timestamp(*t),
        sql::Value::Timestamptz(t) => Stored::Timestamptz(*t),
        sql::Value::Interval(i) => Stored::Interval(*i),
        sql::Value::Json(s) => Stored::Json(s.clone()),
        sql::Value::Jsonb(j) => Stored::Jsonb((**j).clone()),
        sql::Value::Array(a) => Stored::Array(StoredArray {
            dims: a.dims.iter().map(|d| (d.len, d.lower)).collect(),
            items: a.items.iter().map(to_stored).collect(),
        }),
        sql::Value::Record(r) => stored_record(r, to_stored),
        sql::Value::Enum(e) => Stored::Int8(sql::types::enums::pack(*e)),
        sql::Value::Range(r) => {
            let bound = |b: &sql::types::range::Bound| {
                b.val
                    .as_ref()
                    .filter(|_| !r.empty)
                    .map(|v| Box::new(to_stored(v)))
            };
            Stored::Range(values::StoredRange {
                kind: r.kind.code(),
                flags: r.flags(),
                lower: bound(&r.lower),
                upper: bound(&r.upper),
            })
        }
    }
}

/// A record's fields as stored: each with its type's OID, converted by `field`.
fn stored_record(r: &sql::types::Record, field: fn(&sql::Value) -> Stored) -> Stored {
    Stored::Record(
        r.values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let oid = r.types.get(i).map_or(DataType::Text.oid(), |t| t.oid());
                (oid, field(v))
            })
            .collect(),
    )
}

/// The type of a stored record field from its OID: a built-in type (without modifier,
/// which no stored value needs), an enum type, an array of a composite type or a composite
/// type.
fn field_type(oid: u32) -> DataType {
    sql::types::oid::builtin_type(oid).unwrap_or_else(|| {
        if let Some(elem) = sql::types::record::array_elem(oid) {
            DataType::array_of(DataType::Composite(elem))
        } else if sql::types::enums::lookup(oid).is_some() {
            DataType::Enum(oid)
        } else {
            DataType::Composite(oid)
        }
    })
}

/// The storage form of a key value: as [`to_stored`], but `char(n)` without its trailing
/// spaces (they are insignificant to its equality and order).
fn to_stored_key(v: &sql::Value) -> Stored {
    match v {
        sql::Value::Bpchar(s) => Stored::Text(sql::types::bpchar::trimmed(s).to_string()),
        sql::Value::Record(r) => stored_record(r, to_stored_key),
        other => to_stored(other),
    }
}

/// The SQL value of a stored one, for a column of type `ty` (`None`: no column type).
pub fn from_stored(v: Stored, ty: Option<&DataType>) -> sql::Value {
    use sql::types::oid::RegKind;
    match v {
        Stored::Null => sql::Value::Null,
        Stored::Bool(b) => sql::Value::Bool(b),
        Stored::Int2(i) => sql::Value::Int(i64::from(i)),
        Stored::Int4(i) => sql::Value::Int(i64::from(i)),
        Stored::Int8(i) => match ty {
            Some(DataType::RegClass) => sql::Value::Reg(RegKind::Class, i as u32),
            Some(DataType::RegType) => sql::Value::Reg(RegKind::Type, i as u32),
            Some(DataType::RegProc) => sql::Value::Reg(RegKind::Proc, i as u32),
            Some(DataType::RegProcedure) => sql::Value::Reg(RegKind::Procedure, i as u32),
            Some(DataType::RegNamespace) => sql::Value::Reg(RegKind::Namespace, i as u32),
            Some(DataType::RegRole) => sql::Value::Reg(RegKind::Role, i as u32),
            Some(DataType::RegConfig) => sql::Value::Reg(RegKind::Config, i as u32),
            Some(DataType::Enum(_)) => sql::Value::Enum(sql::types::enums::unpack(i)),
            Some(DataType::Tid) => sql::Value::Tid((i >> 16) as u32, (i & 0xffff) as u16),
            _ => sql::Value::Int(i),
        },
        Stored::Float8(f) if ty == Some(&DataType::Float4) => sql::Value::Float4(f as f32),
        Stored::Float8(f) => sql::Value::Float(f),
        Stored::Text(s) => match ty {
            Some(DataType::Bpchar(n)) => {
                // Keys hold char(n) trimmed; padding back to n cannot fail.
                sql::Value::Bpchar(sql::types::bpchar::fit(&s, *n, true).unwrap_or(s))
            }
            Some(DataType::Json) => sql::Value::Json(s),
            _ => sql::Value::Text(s),
        },
        Stored::Numeric(n) => sql::Value::numeric(n),
        Stored::Date(d) => sql::Value::Date(d),
        Stored::Time(t) => sql::Value::Time(t),
        Stored::TimeTz(t, z) => sql::Value::TimeTz(t, z),
        Stored::Timestamp(t) => sql::Value::Timestamp(t),
        Stored::Timestamptz(t) => sql::Value::Timestamptz(t),
        Stored::Interval(i) => sql::Value::Interval(i),
        Stored::Bytea(b) => sql::Value::Bytea(b),
        Stored::Uuid(u) => sql::Value::Uuid(u),
        Stored::TsVector(v) => sql::Value::TsVector(Box::new(v)),
        Stored::TsQuery(q) => sql::Value::TsQuery(Box::new(q)),
        // Keys do not keep the is_cidr flag; the column's type says it.
        Stored::Inet(i) => sql::Value::Inet(match ty {
            Some(DataType::Cidr) => sql::types::inet::Inet { cidr: true, ..i },
            Some(DataType::Inet) => sql::types::inet::Inet { cidr: false, ..i },
            _ => i,
        }),
        Stored::Json(s) => sql::Value::Json(s),
        Stored::Jsonb(j) => sql::Value::Jsonb(Box::new(j)),
        Stored::Array(a) => {
            let elem = ty.and_then(|t| t.elem());
            sql::Value::Array(Box::new(sql::types::Array {
                dims: a
                    .dims
                    .into_iter()
                    .map(|(len, lower)| Dim { len, lower })
                    .collect(),
                items: a
                    .items
                    .into_iter()
                    .map(|v| from_stored(v, elem.as_ref()))
                    .collect(),
            }))
        }
        Stored::Record(fields) => {
            let types: Vec<DataType> = fields.iter().map(|(oid, _)| field_type(*oid)).collect();
            let values = fields
                .into_iter()
                .zip(&types)
                .map(|((_, v), t)| from_stored(v, Some(t)))
                .collect();
            let type_oid = match ty {
                Some(DataType::Composite(oid)) => *oid,
                _ => 0,
            };
            sql::Value::Record(Box::new(sql::types::Record {
                types: types.into(),
                values,
                type_oid,
            }))
        }
        Stored::Range(r) => {
            use sql::types::range::{self, Bound, EMPTY, LB_INC, RangeKind, UB_INC};
            // The decoders accept only known kinds.
            let kind = RangeKind::from_code(r.kind).unwrap_or(RangeKind::Int4);
            let sub = kind.subtype();
            let bound = |v: Option<Box<Stored>>, inc: u8, lower: bool| Bound {
                val: v.map(|v| from_stored(*v, Some(&sub))),
                inclusive: r.flags & inc != 0,
                lower,
            };
            let (lower, upper) = (bound(r.lower, LB_INC, true), bound(r.upper, UB_INC, false));
            sql::Value::Range(Box::new(if r.flags & EMPTY != 0 {
                range::Range::empty(kind)
            } else {
                range::Range {
                    kind,
                    empty: false,
                    lower,
                    upper,
                }
            }))
        }
    }
}

/// Encodes a row for a version payload.
pub fn encode_row(row: &[sql::Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + row.len() * 9);
    encode_row_into(row, &mut out);
    out
}

/// Appends the payload encoding of `row` to `out`: the bytes of
/// [`values::encode_row`] over [`to_stored`] of each value, written without building the
/// stored values (no copy of a text per value; this runs for every loaded row).
///
/// Panics only if a row has more than 65535 columns or a value is longer than 4 GiB, which
/// the SQL layer rules out.
pub fn encode_row_into(row: &[sql::Value], out: &mut Vec<u8>) {
    let n = u16::try_from(row.len()).expect("rows have at most 65535 columns");
    out.extend_from_slice(&n.to_le_bytes());
    for v in row {
        match v {
            sql::Value::Text(s) | sql::Value::Bpchar(s) => values::encode_text(s, out),
            sql::Value::Json(s) => values::encode_json(s, out),
            sql::Value::Bytea(b) => values::encode_bytea(b, out),
            // Scalars convert without allocating; numeric, jsonb, arrays and records keep
            // the general path (a copy).
            other => values::encode_value(&to_stored(other), out),
        }
    }
}

/// Decodes a version payload into a row of columns typed `types`.
pub fn decode_row(bytes: &[u8], types: &[DataType]) -> Result<Vec<sql::Value>> {
    // Straight into SQL values (no row of stored values in between).
    let row = values::decode_row_with(bytes, |i, v| from_stored(v, types.get(i)))?;
    if row.len() != types.len() {
        return Err(crate::Error::decode(
            "row",
            format!("{} values for {} columns", row.len(), types.len()),
        ));
    }
    Ok(row)
}

/// Encodes a key (primary key, hidden row id or index key).
pub fn encode_key(key: &[sql::Value]) -> Vec<u8> {
    let stored: Vec<Stored> = key.iter().map(to_stored_key).collect();
    keycodec::encode_key(&stored)
}

/// Decodes a key whose columns have types `types` (`None` for a hidden row id).
pub fn decode_key(bytes: &[u8], types: &[Option<&DataType>]) -> Result<Vec<sql::Value>> {
    // Value by value (no key of stored values in between); sized for the usual key.
    let mut out = Vec::with_capacity(types.len());
    let mut pos = 0;
    while pos < bytes.len() {
        let (v, used) = keycodec::decode_value(&bytes[pos..])?;
        out.push(from_stored(v, types.get(out.len()).copied().flatten()));
        pos += used;
    }
    Ok(out)
}

/// Whether `v` is stored with the same keycodec tag as values of column type `ty`.
fn same_kind(v: &sql::Value, ty: &DataType) -> bool {
    use DataType as T;
    use sql::Value as V;
    match (v, ty) {
        (V::Bool(_), T::Bool) => true,
        (V::Int(_), T::Int2 | T::Int4 | T::Int8 | T::Oid | T::Xid | T::Cid | T::Xid8)
        | (V::Tid(..), T::Tid)
        | (
            V::Int(_) | V::Reg(..),
            T::RegClass
            | T::RegType
            | T::RegProc
            | T::RegProcedure
            | T::RegNamespace
            | T::RegRole
            | T::RegConfig,
        ) => true,
        (V::Float(_) | V::Float4(_), T::Float4 | T::Float8) => true,
        (
            V::Text(_),
            T::Text | T::Varchar(_) | T::Name | T::Char | T::Refcursor | T::JsonPath | T::Unknown,
        ) => true,
        (V::Bpchar(_), T::Bpchar(_)) => true,
        (V::Numeric(_), T::Numeric(_)) => true,
        (V::Bytea(_), T::Bytea) | (V::Uuid(_), T::Uuid) | (V::Date(_), T::Date) => true,
        (V::Time(_), T::Time(_)) | (V::Interval(_), T::Interval) => true,
        (V::TimeTz(..), T::TimeTz(_)) => true,
        (V::Timestamp(_), T::Timestamp(_)) | (V::Timestamptz(_), T::Timestamptz(_)) => true,
        (V::Jsonb(_), T::Jsonb) | (V::Enum(_), T::Enum(_)) => true,
        (V::Inet(_), T::Inet | T::Cidr) => true,
        (V::TsVector(_), T::TsVector) | (V::TsQuery(_), T::TsQuery) => true,
        (V::Range(r), T::Range(k)) => r.kind == *k,
        (V::Record(_), T::Composite(_) | T::Record) => true,
        (V::Array(a), T::Array(e)) => {
            let elem = e.get();
            a.items.iter().all(|i| i.is_null() || same_kind(i, &elem))
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use sql::Value;

    /// The direct encoder writes exactly what the stored-value path writes.
    #[test]
    fn encode_row_matches_the_stored_values_encoding() {
        let row = vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(-42),
            Value::Float(1.5),
            Value::Float4(2.5),
            Value::Text("héllo".into()),
            Value::Bpchar("ab  ".into()),
            Value::Json("{\"a\": 1}".into()),
            Value::Bytea(vec![0, 1, 255]),
            Value::Date(17),
            Value::Timestamp(123_456),
            Value::Uuid([7; 16]),
            Value::Tid(3, 4),
            Value::Inet(sql::types::inet::parse("10.1.2.3/8", false).unwrap()),
            Value::numeric(sql::types::Numeric::Finite("12.50".parse().unwrap())),
        ];
        let stored: Vec<_> = row.iter().map(super::to_stored).collect();
        assert_eq!(super::encode_row(&row), crate::values::encode_row(&stored));
        assert_eq!(super::encode_row(&[]), crate::values::encode_row(&[]));
    }
}
