//! SQL values and the row encoding.
//!
//! [`Value`] is one datum of the types the storage core knows: `bool`,
//! `int2`, `int4`, `int8`, `float8`, `text`, and `NULL`. A row is a tuple of
//! values, stored in B+tree leaves by [`encode_row`] (compact, not
//! order-preserving; keys use [`crate::keycodec`] instead):
//!
//! ```text
//! +-----------+-------------------------+-----+
//! | n u16 LE  | tag u8 | payload        | ... |   n values
//! +-----------+-------------------------+-----+
//! tag: 0 NULL, 1 bool (1 byte), 2 int2 (2 LE), 3 int4 (4 LE), 4 int8 (8 LE),
//!      5 float8 (8 LE IEEE bits), 6 text (len u32 LE, UTF-8 bytes)
//! ```
//!
//! [`decode_row`] validates everything (tags, lengths, UTF-8, trailing
//! bytes) and returns [`Error::Decode`] rather than panicking.

use crate::error::{Error, Result};

/// One SQL datum.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float8(f64),
    Text(String),
}

const TAG_NULL: u8 = 0;
const TAG_BOOL: u8 = 1;
const TAG_INT2: u8 = 2;
const TAG_INT4: u8 = 3;
const TAG_INT8: u8 = 4;
const TAG_FLOAT8: u8 = 5;
const TAG_TEXT: u8 = 6;

/// Encodes a row.
///
/// Panics only if a row has more than 65535 columns or a text value is
/// longer than 4 GiB, which the SQL layer rules out.
pub fn encode_row(row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + row.len() * 9);
    let n = u16::try_from(row.len()).expect("rows have at most 65535 columns");
    out.extend_from_slice(&n.to_le_bytes());
    for v in row {
        match v {
            Value::Null => out.push(TAG_NULL),
            Value::Bool(b) => out.extend_from_slice(&[TAG_BOOL, *b as u8]),
            Value::Int2(i) => {
                out.push(TAG_INT2);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Int4(i) => {
                out.push(TAG_INT4);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Int8(i) => {
                out.push(TAG_INT8);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float8(f) => {
                out.push(TAG_FLOAT8);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Text(s) => {
                out.push(TAG_TEXT);
                let len = u32::try_from(s.len()).expect("text values are below 4 GiB");
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

/// A cursor over bytes being decoded; every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                Error::decode(
                    "row",
                    format!("truncated: need {n} bytes at offset {}", self.pos),
                )
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }
}

/// Decodes a row written by [`encode_row`].
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let n = u16::from_le_bytes(r.array()?) as usize;
    let mut row = Vec::with_capacity(n.min(bytes.len()));
    for _ in 0..n {
        let [tag] = r.array()?;
        let v = match tag {
            TAG_NULL => Value::Null,
            TAG_BOOL => match r.array::<1>()? {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                [b] => return Err(Error::decode("row", format!("bool byte {b}"))),
            },
            TAG_INT2 => Value::Int2(i16::from_le_bytes(r.array()?)),
            TAG_INT4 => Value::Int4(i32::from_le_bytes(r.array()?)),
            TAG_INT8 => Value::Int8(i64::from_le_bytes(r.array()?)),
            TAG_FLOAT8 => Value::Float8(f64::from_bits(u64::from_le_bytes(r.array()?))),
            TAG_TEXT => {
                let len = u32::from_le_bytes(r.array()?) as usize;
                let s = std::str::from_utf8(r.take(len)?)
                    .map_err(|e| Error::decode("row", format!("text: {e}")))?;
                Value::Text(s.to_string())
            }
            t => return Err(Error::decode("row", format!("unknown tag {t}"))),
        };
        row.push(v);
    }
    if r.pos != bytes.len() {
        return Err(Error::decode(
            "row",
            format!("{} trailing bytes", bytes.len() - r.pos),
        ));
    }
    Ok(row)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any value, for property tests (also used by keycodec's).
    pub(crate) fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i16>().prop_map(Value::Int2),
            any::<i32>().prop_map(Value::Int4),
            any::<i64>().prop_map(Value::Int8),
            any::<f64>().prop_map(Value::Float8),
            prop_oneof![any::<String>(), "[a\u{0}\u{1}\u{ff}é]{0,6}".prop_map(|s| s)]
                .prop_map(Value::Text),
        ]
    }

    /// Equality that treats NaN as equal to NaN (bit-exact floats).
    fn same(a: &[Value], b: &[Value]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (Value::Float8(f), Value::Float8(g)) => f.to_bits() == g.to_bits(),
                _ => x == y,
            })
    }

    proptest! {
        #[test]
        fn rows_round_trip(row in proptest::collection::vec(any_value(), 0..8)) {
            let bytes = encode_row(&row);
            let back = decode_row(&bytes).unwrap();
            prop_assert!(same(&row, &back), "{row:?} != {back:?}");
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_row(&bytes);
        }
    }

    #[test]
    fn rejects_malformed_rows() {
        let good = encode_row(&[Value::Int4(7), Value::Text("hi".into())]);
        assert!(decode_row(&good[..good.len() - 1]).is_err());
        let mut extra = good.clone();
        extra.push(0);
        assert!(decode_row(&extra).is_err());
        assert!(decode_row(&[1, 0, 99]).is_err());
        assert!(decode_row(&[1, 0, TAG_BOOL, 2]).is_err());
        assert!(decode_row(&[1, 0, TAG_TEXT, 255, 255, 255, 255]).is_err());
    }
}
