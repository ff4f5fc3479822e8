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

use std::cmp::Ordering;
use std::sync::Arc;

use super::{DataType, Value};
use crate::{Error, Result};

/// One record value. See the module docs.
#[derive(Debug, Clone)]
pub struct Record {
    /// The field types (`Unknown` fields were resolved to `text` by the binder).
    pub types: Arc<[DataType]>,
    pub values: Vec<Value>,
}

impl Record {
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

impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::from("(");
        for (i, v) in self.values.iter().enumerate() {
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
        f.write_str(&out)
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
