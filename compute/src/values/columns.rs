//! Reading some columns of an encoded row: the values of the columns asked for are decoded,
//! the others skipped over without being built (a text column's bytes are stepped over, not
//! copied), for a pass over every row of a table that needs only its key columns.

use super::{
    Reader, TAG_BOOL, TAG_BYTEA, TAG_DATE, TAG_FLOAT8, TAG_INT2, TAG_INT4, TAG_INT8, TAG_INTERVAL,
    TAG_JSON, TAG_JSONB, TAG_NULL, TAG_TEXT, TAG_TIME, TAG_TIMESTAMP, TAG_TIMESTAMPTZ, TAG_TIMETZ,
    TAG_UUID, Value, decode_value,
};
use crate::error::{Error, Result};

/// Steps over one value; returns its tag. Kinds of variable structure (numeric, arrays,
/// records) are decoded and dropped.
fn skip_value(r: &mut Reader<'_>) -> Result<u8> {
    let at = r.pos;
    let tag = r.u8()?;
    let fixed = match tag {
        TAG_NULL => 0,
        TAG_BOOL => 1,
        TAG_INT2 => 2,
        TAG_INT4 | TAG_DATE => 4,
        TAG_INT8 | TAG_FLOAT8 | TAG_TIME | TAG_TIMESTAMP | TAG_TIMESTAMPTZ => 8,
        TAG_INTERVAL | TAG_UUID => 16,
        TAG_TIMETZ => 12,
        TAG_TEXT | TAG_BYTEA | TAG_JSON | TAG_JSONB => {
            r.bytes()?;
            return Ok(tag);
        }
        _ => {
            r.pos = at;
            decode_value(r, 0)?;
            return Ok(tag);
        }
    };
    r.take(fixed)?;
    Ok(tag)
}

/// The columns of a row: its width, and per column either its value (when `want(i)`) or
/// whether it is NULL.
#[derive(Debug, PartialEq)]
pub struct Columns {
    pub values: Vec<Column>,
}

/// One column of [`Columns`].
#[derive(Debug, PartialEq)]
pub enum Column {
    Value(Value),
    Skipped { null: bool },
}

/// Decodes the columns `i` of a row (written by [`super::encode_row`]) for which `want(i)`,
/// skipping the others.
pub fn decode_columns(bytes: &[u8], want: impl Fn(usize) -> bool) -> Result<Columns> {
    let mut r = Reader::new(bytes, "row");
    let n = u16::from_le_bytes(r.array()?) as usize;
    let mut values = Vec::with_capacity(n.min(bytes.len()));
    for i in 0..n {
        values.push(if want(i) {
            Column::Value(decode_value(&mut r, 0)?)
        } else {
            Column::Skipped {
                null: skip_value(&mut r)? == TAG_NULL,
            }
        });
    }
    if r.pos != bytes.len() {
        return Err(Error::decode(
            "row",
            format!("{} trailing bytes", bytes.len() - r.pos),
        ));
    }
    Ok(Columns { values })
}

#[cfg(test)]
mod tests {
    use super::super::tests::any_scalar;
    use super::super::{Value, encode_row};
    use super::{Column, decode_columns};
    use proptest::prelude::*;

    proptest! {
        /// Skipping steps over exactly what decoding reads: every wanted column comes out
        /// as the full decode gives it, every skipped one tells its NULL right.
        #[test]
        fn skipped_columns_leave_the_wanted_ones_intact(
            row in proptest::collection::vec(any_scalar(), 0..8),
            mask in any::<u8>(),
        ) {
            let bytes = encode_row(&row);
            let cols = decode_columns(&bytes, |i| mask & (1 << i) != 0).unwrap();
            prop_assert_eq!(cols.values.len(), row.len());
            for (i, (c, v)) in cols.values.iter().zip(&row).enumerate() {
                match c {
                    Column::Value(d) => {
                        prop_assert!(mask & (1 << i) != 0);
                        prop_assert_eq!(format!("{d:?}"), format!("{v:?}"));
                    }
                    Column::Skipped { null } => {
                        prop_assert_eq!(*null, matches!(v, Value::Null));
                    }
                }
            }
        }
    }

    #[test]
    fn a_truncated_row_is_an_error() {
        let bytes = encode_row(&[Value::Int8(1), Value::Text("abc".into())]);
        assert!(decode_columns(&bytes[..bytes.len() - 1], |_| false).is_err());
    }
}
