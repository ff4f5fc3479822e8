//! `record`: an anonymous composite value — a row built by `ROW(...)`, `(a, b)` or a
//! whole-row reference `t` — with PostgreSQL's text output, btree order and binary form.
//!
//! A [`Record`] carries its field types (shared between the rows of one expression) so that
//! its binary form can name each field's type OID, as PostgreSQL's `record_send` does.
//!
//! * Text output (`record_out`): `(f1,f2,...)`; a NULL field is empty; a field is
//!   double-quoted when it is empty or contains a quote, backslash, parenthesis, comma or
//!   white space, and inside quotes `"` and `\` are doubled: `(1,"a b","q""u")`.
//! * Order (`record_cmp`): field by field; two NULL fields are equal and NULL sorts after
//!   every non-NULL value, so records have a total order for sorting, grouping and DISTINCT.
//!   Records of different lengths are not comparable (42804, checked by [`check_comparable`]);
//!   the order among them is by length only so that `Ord` stays total.
//! * Binary form (`record_send`): i32 field count, then per field the type OID (u32), the
//!   length (i32, -1 for NULL) and the field's binary form.
//! * Named composite types ([`DataType::Composite`]): their names and fields are the
//!   catalog's, found through the statement's environment ([`lookup`]); text input is
//!   `record_in`'s ([`parse`]) and a record becomes one by casting each field to the
//!   field's type ([`to_composite`]).
//! * Arrays of a named composite type (`pair[]`) have a type OID of their own, as in
//!   PostgreSQL (`typarray`), computed from the composite's without the catalog
//!   ([`array_oid`], [`array_elem`]); `record[]` is 2287.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{DataType, Value};
use crate::{Error, Result};

/// How far above a composite type's OID its array type's is (see [`array_oid`]).
const ARRAY_OID_OFFSET: u32 = 0x4000_0000;

/// The OID of the array type of composite type `oid` (`typarray`): the composite's plus a
/// fixed offset, so that it is known without the catalog, and stays a positive int4 for
/// clients that hold OIDs signed. Composite OIDs are assigned from 16384 up and never come
/// near the offset.
pub fn array_oid(oid: u32) -> u32 {
    oid.wrapping_add(ARRAY_OID_OFFSET)
}

/// The composite type whose array type has OID `oid` ([`array_oid`]), if `oid` is in that
/// range.
pub fn array_elem(oid: u32) -> Option<u32> {
    let first = ARRAY_OID_OFFSET + crate::storage::catalog::oids::FIRST_NORMAL_OID;
    (first..2 * ARRAY_OID_OFFSET)
        .contains(&oid)
        .then(|| oid - ARRAY_OID_OFFSET)
}

/// One record value. See the module docs.
#[derive(Debug, Clone)]
pub struct Record {
    /// The field types (`Unknown` fields were resolved to `text` by the binder).
    pub types: Arc<[DataType]>,
    pub values: Vec<Value>,
    /// The composite type's OID, or 0 for an anonymous `record`: a value read from a
    /// composite column or cast to a composite type knows its field names through it
    /// (for `to_jsonb`, `row_to_json`).
    pub type_oid: u32,
}

impl Record {
    /// The field names of a composite value (`None` for an anonymous record or outside a
    /// statement).
    pub fn field_names(&self) -> Option<Vec<String>> {
        if self.type_oid == 0 {
            return None;
        }
        let ty = lookup(self.type_oid)?;
        (ty.fields.len() == self.values.len())
            .then(|| ty.fields.into_iter().map(|(n, _)| n).collect())
    }

    /// The names JSON gives the fields: the composite type's, or `f1`, `f2`, ... for an
    /// anonymous record (PostgreSQL's `composite_to_json`).
    pub fn json_field_names(&self) -> Vec<String> {
        self.field_names()
            .unwrap_or_else(|| (1..=self.values.len()).map(|i| format!("f{i}")).collect())
    }

    /// `ROW(...) IS NULL`: every field is NULL (PostgreSQL's row semantics).
    pub fn all_null(&self) -> bool {
        self.values.iter().all(Value::is_null)
    }

    /// `ROW(...) IS NOT NULL`: no field is NULL.
    pub fn none_null(&self) -> bool {
        self.values.iter().all(|v| !v.is_null())
    }

    /// `record_cmp`'s order (see the module docs).
    pub fn total_cmp(&self, other: &Record) -> Ordering {
        for (a, b) in self.values.iter().zip(&other.values) {
            let o = a.cmp(b);
            if o != Ordering::Equal {
                return o;
            }
        }
        self.values.len().cmp(&other.values.len())
    }
}

/// 42804 when two records cannot be compared: different lengths (PostgreSQL's message).
pub fn check_comparable(a: &Value, b: &Value) -> Result<()> {
    if let (Value::Record(a), Value::Record(b)) = (a, b)
        && a.values.len() != b.values.len()
    {
        return Err(Error::DatatypeMismatch(
            "cannot compare record types with different numbers of columns".into(),
        ));
    }
    Ok(())
}

/// What the catalog says of a composite type: its name as `format_type` prints it
/// (schema-qualified when not on the search path), its bare `typname`, and its fields.
#[derive(Debug, Clone)]
pub struct CompositeType {
    pub name: String,
    pub typname: String,
    pub fields: Vec<(String, DataType)>,
}

/// The composite type `oid`, through the running statement's catalog (`None` outside a
/// statement or for an OID that names no composite type).
pub fn lookup(oid: u32) -> Option<CompositeType> {
    crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.composite_type(oid)))
}

/// The composite type `oid` (XX000 when the catalog has none: a dropped type's column is
/// dropped with it).
pub fn fields_of(oid: u32) -> Result<CompositeType> {
    lookup(oid).ok_or_else(|| Error::Internal(format!("cache lookup failed for type {oid}")))
}

/// A composite type's name for messages and `format_type` (its OID if the catalog is out
/// of reach).
pub fn type_name(oid: u32) -> String {
    lookup(oid).map_or_else(|| oid.to_string(), |t| t.name)
}

/// A composite type's bare `typname`.
pub fn typname(oid: u32) -> String {
    lookup(oid).map_or_else(|| oid.to_string(), |t| t.typname)
}

fn malformed(s: &str, detail: &str) -> Error {
    Error::MalformedLiteral {
        message: format!("malformed record literal: \"{s}\""),
        detail: detail.into(),
    }
}

/// `record_in`: the text `s` as a value of composite type `oid` (see the module docs).
/// Each field's text goes through its type's input function; an empty field is NULL,
/// quotes and backslashes are taken as `record_out` writes them, and white space outside
/// quotes is part of the field.
pub fn parse(s: &str, oid: u32) -> Result<Value> {
    let ty = fields_of(oid)?;
    let chars: Vec<char> = s.chars().collect();
    let mut pos = chars
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(chars.len());
    if chars.get(pos) != Some(&'(') {
        return Err(malformed(s, "Missing left parenthesis."));
    }
    pos += 1;
    let mut values = Vec::with_capacity(ty.fields.len());
    for (i, (_, field_type)) in ty.fields.iter().enumerate() {
        if i > 0 {
            if chars.get(pos) == Some(&',') {
                pos += 1;
            } else {
                return Err(malformed(s, "Too few columns."));
            }
        }
        if matches!(chars.get(pos), Some(',' | ')')) {
            values.push(Value::Null);
            continue;
        }
        let mut text = String::new();
        let mut quoted = false;
        loop {
            let Some(&c) = chars.get(pos) else {
                return Err(malformed(s, "Unexpected end of input."));
            };
            if !quoted && (c == ',' || c == ')') {
                break;
            }
            pos += 1;
            match c {
                '\\' => {
                    let Some(&next) = chars.get(pos) else {
                        return Err(malformed(s, "Unexpected end of input."));
                    };
                    text.push(next);
                    pos += 1;
                }
                '"' if !quoted => quoted = true,
                '"' if chars.get(pos) == Some(&'"') => {
                    text.push('"');
                    pos += 1;
                }
                '"' => quoted = false,
                c => text.push(c),
            }
        }
        values.push(super::cast::parse_text(*field_type, &text)?);
    }
    if chars.get(pos) != Some(&')') {
        return Err(malformed(s, "Too many columns."));
    }
    pos += 1;
    if chars[pos..].iter().any(|c| !c.is_ascii_whitespace()) {
        return Err(malformed(s, "Junk after right parenthesis."));
    }
    let types: Vec<DataType> = ty.fields.iter().map(|(_, t)| *t).collect();
    Ok(Value::Record(Box::new(Record {
        types: types.into(),
        values,
        type_oid: oid,
    })))
}

/// A record (of any record or composite type) as a value of composite type `oid`: each
/// field cast to the field's type (`explicit` as the cast is); a different number of
/// fields is 42846, as PostgreSQL's `coerce_record_to_complex` says it.
pub fn to_composite(r: Record, oid: u32, explicit: bool) -> Result<Value> {
    let ty = fields_of(oid)?;
    if r.values.len() != ty.fields.len() {
        let which = if r.values.len() > ty.fields.len() {
            "many"
        } else {
            "few"
        };
        return Err(Error::CannotCoerceDetail {
            message: format!("cannot cast type record to {}", ty.name),
            detail: format!("Input has too {which} columns."),
        });
    }
    let mut values = Vec::with_capacity(r.values.len());
    for (i, v) in r.values.into_iter().enumerate() {
        let from = r.types.get(i).copied().unwrap_or(DataType::Text);
        let to = ty.fields[i].1;
        values.push(super::cast::cast(v, from, to, explicit)?);
    }
    let types: Vec<DataType> = ty.fields.iter().map(|(_, t)| *t).collect();
    Ok(Value::Record(Box::new(Record {
        types: types.into(),
        values,
        type_oid: oid,
    })))
}

/// 0A000: PostgreSQL reads no anonymous record from text or binary input.
pub fn anonymous_input() -> Error {
    Error::FeatureNotSupported("input of anonymous composite types is not implemented".into())
}

/// 0A000 for a table or view column of type `record` (or `record[]`): Strata has no named
/// composite types to store one as (PostgreSQL would give the column the row's type).
pub fn check_storable(column: &str, ty: DataType) -> Result<()> {
    if ty == DataType::Record || ty.elem() == Some(DataType::Record) {
        return Err(Error::FeatureNotSupported(format!(
            "column \"{column}\" has type {}, which cannot be stored yet",
            ty.name()
        )));
    }
    Ok(())
}

/// 42P16 for a column declared `record` or `record[]` (a pseudo-type, as in PostgreSQL).
pub fn check_column_type(column: &str, ty: DataType) -> Result<()> {
    if ty == DataType::Record || ty.elem() == Some(DataType::Record) {
        return Err(Error::InvalidTableDefinition(format!(
            "column \"{column}\" has pseudo-type {}",
            ty.name()
        )));
    }
    Ok(())
}

/// Whether `record_out` quotes a field's text.
fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_ascii_whitespace())
}

/// A record's text output over `values` (`record_out`): fields quoted when empty or holding
/// `"\(),` or whitespace, NULL as nothing.
pub fn format_fields(values: &[Value]) -> String {
    let mut out = String::from("(");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if v.is_null() {
            continue;
        }
        let s = v.to_string();
        if needs_quotes(&s) {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push(c);
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(&s);
        }
    }
    out.push(')');
    out
}

impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_fields(&self.values))
    }
}

/// `record_send`: see the module docs.
pub fn send(r: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(&(r.values.len() as i32).to_be_bytes());
    for (i, v) in r.values.iter().enumerate() {
        let ty = r.types.get(i).copied().unwrap_or(DataType::Text);
        out.extend_from_slice(&ty.oid().to_be_bytes());
        if v.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            let bytes = super::binary::send(v, ty);
            out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
            out.extend_from_slice(&bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(values: Vec<Value>) -> Record {
        let types: Vec<DataType> = values.iter().map(|_| DataType::Text).collect();
        Record {
            types: types.into(),
            values,
            type_oid: 0,
        }
    }

    #[test]
    fn text_output_quotes_as_postgres() {
        let r = rec(vec![
            Value::Int(1),
            Value::Text("abc".into()),
            Value::Text("a b".into()),
            Value::Text(String::new()),
            Value::Null,
            Value::Text("x,y".into()),
            Value::Text("q\"u\\o".into()),
            Value::Text("(p)".into()),
        ]);
        assert_eq!(r.to_string(), r#"(1,abc,"a b","",,"x,y","q""u\\o","(p)")"#);
        let nested = rec(vec![Value::Record(Box::new(rec(vec![
            Value::Int(1),
            Value::Int(2),
        ])))]);
        assert_eq!(nested.to_string(), r#"("(1,2)")"#);
    }

    #[test]
    fn order_puts_nulls_last_and_checks_lengths() {
        let a = rec(vec![Value::Int(1), Value::Null]);
        let b = rec(vec![Value::Int(1), Value::Int(9)]);
        assert_eq!(a.total_cmp(&b), Ordering::Greater);
        assert_eq!(a.total_cmp(&a.clone()), Ordering::Equal);
        let short = Value::Record(Box::new(rec(vec![Value::Int(1)])));
        let long = Value::Record(Box::new(b));
        assert!(check_comparable(&short, &long).is_err());
        assert!(check_comparable(&long, &long).is_ok());
    }

    #[test]
    fn binary_form_names_field_types() {
        let r = Record {
            types: vec![DataType::Int4, DataType::Text].into(),
            values: vec![Value::Int(7), Value::Null],
            type_oid: 0,
        };
        let mut out = Vec::new();
        send(&r, &mut out);
        let mut want = Vec::new();
        want.extend_from_slice(&2i32.to_be_bytes());
        want.extend_from_slice(&23u32.to_be_bytes());
        want.extend_from_slice(&4i32.to_be_bytes());
        want.extend_from_slice(&7i32.to_be_bytes());
        want.extend_from_slice(&25u32.to_be_bytes());
        want.extend_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(out, want);
    }
}
