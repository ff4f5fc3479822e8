//! Enum types (`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`): [`DataType::Enum`] by
//! the type's `pg_type` OID, values [`Value::Enum`].
//!
//! A value is its label's `pg_enum` OID together with the label's sort order
//! (`enumsortorder`, a `real` as in PostgreSQL). Neither changes once the label exists:
//! `ALTER TYPE ... RENAME VALUE` changes only the label's text, and `ADD VALUE ... BEFORE`
//! gives the new label an order between its neighbours' (PostgreSQL would renumber the
//! whole type when no `real` fits between them; Strata refuses with 0A000 instead, so a
//! stored value's order never changes). So values compare, sort, hash and key indexes by
//! themselves, without the catalog: the order first, then the OID (unique per label). The
//! storage keeps a value as one int8 ([`pack`]: the order's bits, made to sort as signed
//! integers, in the high half, the OID in the low half), whose order is the value's.
//!
//! Text input and output (the label) go through the catalog, found through the running
//! statement's environment like composite types' fields ([`super::record`]):
//! `invalid input value for enum mood: "x"` (22P02) for an unknown label. The binary wire
//! format is the label's bytes, as PostgreSQL's `enum_send`.

use super::{DataType, Value};
use crate::{Error, Result};

/// One enum value: its label's sort order and `pg_enum` OID. See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct EnumValue {
    pub sort: f32,
    pub oid: u32,
}

impl EnumValue {
    /// The btree order: by sort order, then OID.
    pub fn total_cmp(&self, other: &EnumValue) -> std::cmp::Ordering {
        self.sort
            .total_cmp(&other.sort)
            .then(self.oid.cmp(&other.oid))
    }
}

/// What the catalog says of an enum type: its name as `format_type` prints it, its bare
/// `typname`, its array type's OID and its labels in sort order.
#[derive(Debug, Clone)]
pub struct EnumType {
    pub name: String,
    pub typname: String,
    pub array_oid: u32,
    pub labels: Vec<Label>,
}

/// One label of an enum type (a `pg_enum` row).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub oid: u32,
    pub sort: f32,
    pub label: String,
}

impl Label {
    pub fn value(&self) -> Value {
        Value::Enum(EnumValue {
            sort: self.sort,
            oid: self.oid,
        })
    }
}

/// The enum type `oid`, through the running statement's catalog.
pub fn lookup(oid: u32) -> Option<EnumType> {
    crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.enum_type(oid)))
}

/// The enum type `oid` (XX000 when the catalog has none).
pub fn type_of(oid: u32) -> Result<EnumType> {
    lookup(oid).ok_or_else(|| Error::Internal(format!("cache lookup failed for type {oid}")))
}

/// An enum type's name for messages and `format_type` (its OID out of the catalog's reach).
pub fn type_name(oid: u32) -> String {
    lookup(oid).map_or_else(|| oid.to_string(), |t| t.name)
}

/// An enum type's bare `typname`.
pub fn typname(oid: u32) -> String {
    lookup(oid).map_or_else(|| oid.to_string(), |t| t.typname)
}

/// The OID of an enum type's array type (`typarray`): always the type's OID + 1 (CREATE
/// TYPE allocates them so), known without the catalog.
pub fn array_oid(oid: u32) -> u32 {
    oid.wrapping_add(1)
}

/// A label's text, by its `pg_enum` OID (the OID itself out of the catalog's reach).
pub fn label_text(label_oid: u32) -> String {
    crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.enum_label(label_oid)))
        .unwrap_or_else(|| label_oid.to_string())
}

/// `enum_in`: the label `s` of enum type `oid` (22P02 when it has no such label).
pub fn parse(s: &str, oid: u32) -> Result<Value> {
    let t = type_of(oid)?;
    t.labels
        .iter()
        .find(|l| l.label == s)
        .map(Label::value)
        .ok_or_else(|| {
            Error::InvalidTextRepresentation(format!(
                "invalid input value for enum {}: \"{s}\"",
                t.name
            ))
        })
}

/// The value's storage form: one int8 that sorts as the value (see the module docs).
pub fn pack(v: EnumValue) -> i64 {
    let bits = v.sort.to_bits() as i32;
    // Floats sort as sign-magnitude: flip the magnitude of negatives to sort as integers.
    let ordered = if bits < 0 { bits ^ i32::MAX } else { bits };
    (i64::from(ordered) << 32) | i64::from(v.oid)
}

/// The value [`pack`] stored.
pub fn unpack(i: i64) -> EnumValue {
    let ordered = (i >> 32) as i32;
    let bits = if ordered < 0 {
        ordered ^ i32::MAX
    } else {
        ordered
    };
    EnumValue {
        sort: f32::from_bits(bits as u32),
        oid: i as u32,
    }
}

/// The enum type of `v`'s label, if `t` is an enum type (or an array of one).
pub fn enum_oid(t: DataType) -> Option<u32> {
    match t.elem().unwrap_or(t) {
        DataType::Enum(oid) => Some(oid),
        _ => None,
    }
}

/// `enum_range(lower, upper)`: the labels of type `oid` from `lower` to `upper` (either
/// end open when NULL), as an array value.
pub fn range(oid: u32, lower: &Value, upper: &Value) -> Result<Value> {
    let t = type_of(oid)?;
    let key = |v: &Value| match v {
        Value::Enum(e) => Some(*e),
        _ => None,
    };
    let (lo, hi) = (key(lower), key(upper));
    let items: Vec<Value> = t
        .labels
        .iter()
        .map(Label::value)
        .filter(|v| {
            let Value::Enum(e) = v else { return false };
            lo.is_none_or(|l| e.total_cmp(&l).is_ge()) && hi.is_none_or(|h| e.total_cmp(&h).is_le())
        })
        .collect();
    Ok(Value::Array(Box::new(super::Array::from_items(items))))
}

/// `enum_first` / `enum_last`: the type's first or last label (NULL for no labels).
pub fn first_or_last(oid: u32, last: bool) -> Result<Value> {
    let t = type_of(oid)?;
    let l = if last {
        t.labels.last()
    } else {
        t.labels.first()
    };
    Ok(l.map_or(Value::Null, Label::value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_values_sort_as_their_order() {
        let sorts = [-3.5f32, -1.0, -0.25, 0.0, 0.5, 1.0, 1.5, 2.0, 1e9];
        let packed: Vec<i64> = sorts
            .iter()
            .enumerate()
            .map(|(i, s)| {
                pack(EnumValue {
                    sort: *s,
                    oid: 70000 - i as u32,
                })
            })
            .collect();
        assert!(packed.windows(2).all(|w| w[0] < w[1]), "{packed:?}");
        for (p, s) in packed.iter().zip(sorts) {
            assert_eq!(unpack(*p).sort, s);
        }
        assert_eq!(unpack(packed[2]).oid, 69998);
    }
}
