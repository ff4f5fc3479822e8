//! Order-preserving key encoding.
//!
//! B+tree keys are byte strings compared with `memcmp`. This module turns a
//! composite SQL key (a tuple of [`Value`]s) into bytes whose byte order is
//! the tuple's SQL order (ascending, NULLs last, as PostgreSQL's default
//! `ASC NULLS LAST`), and back.
//!
//! Each value is a tag byte followed by a payload:
//!
//! ```text
//! bool    0x01  0x00 | 0x01
//! int2    0x02  2 bytes big-endian, sign bit flipped
//! int4    0x03  4 bytes big-endian, sign bit flipped
//! int8    0x04  8 bytes big-endian, sign bit flipped
//! float8  0x05  8 bytes: IEEE bits, big-endian; positive: sign bit flipped,
//!               negative: all bits inverted. -0.0 is stored as 0.0 and every
//!               NaN as one NaN, which sorts above +Infinity (as in PostgreSQL).
//! text    0x06  UTF-8 bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//! NULL    0xFF  (no payload): above every tag, so NULLs sort last
//! ```
//!
//! Invariants:
//! - **Order**: for two tuples whose columns have the same types,
//!   `encode(a) cmp encode(b) == a cmp b` (text compares by code point, i.e.
//!   the "C" collation; per-column collations and DESC come later).
//! - **Prefix-free**: every value is self-delimiting, so no key's encoding is
//!   a proper prefix of another tuple's of the same arity, and
//!   `encode(a ++ b) == encode(a) ++ encode(b)`. MVCC and secondary indexes
//!   rely on this to append suffixes (a version LSN, a primary key) without
//!   disturbing the order.
//! - **Round-trip**: `decode(encode(t)) == t`, except -0.0 → 0.0 and NaN
//!   payloads, which SQL cannot tell apart anyway.

use crate::error::{Error, Result};
use crate::values::Value;

const TAG_BOOL: u8 = 0x01;
const TAG_INT2: u8 = 0x02;
const TAG_INT4: u8 = 0x03;
const TAG_INT8: u8 = 0x04;
const TAG_FLOAT8: u8 = 0x05;
const TAG_TEXT: u8 = 0x06;
const TAG_NULL: u8 = 0xFF;

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;

/// Encodes a composite key.
pub fn encode_key(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 9);
    for v in values {
        encode_value(v, &mut out);
    }
    out
}

/// Appends one value's encoding to `out`.
pub fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(b) => out.extend_from_slice(&[TAG_BOOL, *b as u8]),
        Value::Int2(i) => {
            out.push(TAG_INT2);
            out.extend_from_slice(&((*i as u16) ^ (1 << 15)).to_be_bytes());
        }
        Value::Int4(i) => {
            out.push(TAG_INT4);
            out.extend_from_slice(&((*i as u32) ^ (1 << 31)).to_be_bytes());
        }
        Value::Int8(i) => {
            out.push(TAG_INT8);
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Float8(f) => {
            out.push(TAG_FLOAT8);
            out.extend_from_slice(&float_to_ordered(*f).to_be_bytes());
        }
        Value::Text(s) => {
            out.push(TAG_TEXT);
            for &b in s.as_bytes() {
                if b == ESCAPE {
                    out.extend_from_slice(&[ESCAPE, ESCAPED_ZERO]);
                } else {
                    out.push(b);
                }
            }
            out.extend_from_slice(&[ESCAPE, TERMINATOR]);
        }
    }
}

fn float_to_ordered(f: f64) -> u64 {
    let f = if f.is_nan() {
        f64::NAN
    } else if f == 0.0 {
        0.0
    } else {
        f
    };
    let bits = f.to_bits();
    if bits & (1 << 63) != 0 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
}

fn float_from_ordered(u: u64) -> f64 {
    let bits = if u & (1 << 63) != 0 {
        u ^ (1 << 63)
    } else {
        !u
    };
    f64::from_bits(bits)
}

/// Decodes a whole key.
pub fn decode_key(bytes: &[u8]) -> Result<Vec<Value>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let (v, used) = decode_value(&bytes[pos..])?;
        out.push(v);
        pos += used;
    }
    Ok(out)
}

/// The length of the encoding of the first `n` values of `bytes` (e.g. the
/// index-key part of a secondary-index entry, before the primary key).
pub fn prefix_len(bytes: &[u8], n: usize) -> Result<usize> {
    let mut pos = 0;
    for _ in 0..n {
        let rest = bytes
            .get(pos..)
            .ok_or_else(|| Error::decode("key", "prefix past the end"))?;
        pos += decode_value(rest)?.1;
    }
    Ok(pos)
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes
        .get(1..1 + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::decode("key", format!("truncated value (tag {})", bytes[0])))
}

/// Decodes the first value of `bytes`; returns it and the bytes it used.
pub fn decode_value(bytes: &[u8]) -> Result<(Value, usize)> {
    let Some(&tag) = bytes.first() else {
        return Err(Error::decode("key", "empty value"));
    };
    Ok(match tag {
        TAG_NULL => (Value::Null, 1),
        TAG_BOOL => match fixed::<1>(bytes)? {
            [0] => (Value::Bool(false), 2),
            [1] => (Value::Bool(true), 2),
            [b] => return Err(Error::decode("key", format!("bool byte {b}"))),
        },
        TAG_INT2 => (
            Value::Int2((u16::from_be_bytes(fixed(bytes)?) ^ (1 << 15)) as i16),
            3,
        ),
        TAG_INT4 => (
            Value::Int4((u32::from_be_bytes(fixed(bytes)?) ^ (1 << 31)) as i32),
            5,
        ),
        TAG_INT8 => (
            Value::Int8((u64::from_be_bytes(fixed(bytes)?) ^ (1 << 63)) as i64),
            9,
        ),
        TAG_FLOAT8 => (
            Value::Float8(float_from_ordered(u64::from_be_bytes(fixed(bytes)?))),
            9,
        ),
        TAG_TEXT => {
            let mut text = Vec::new();
            let mut i = 1;
            loop {
                match (bytes.get(i), bytes.get(i + 1)) {
                    (Some(&ESCAPE), Some(&TERMINATOR)) => break,
                    (Some(&ESCAPE), Some(&ESCAPED_ZERO)) => {
                        text.push(0);
                        i += 2;
                    }
                    (Some(&ESCAPE), _) => {
                        return Err(Error::decode("key", "bad escape in text"));
                    }
                    (Some(&b), _) => {
                        text.push(b);
                        i += 1;
                    }
                    (None, _) => return Err(Error::decode("key", "unterminated text")),
                }
            }
            let s =
                String::from_utf8(text).map_err(|e| Error::decode("key", format!("text: {e}")))?;
            (Value::Text(s), i + 2)
        }
        t => return Err(Error::decode("key", format!("unknown tag {t:#x}"))),
    })
}

/// The smallest byte string greater than every string starting with
/// `prefix`, or `None` when there is none (the prefix is all 0xFF).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last != 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::tests::any_value;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    /// SQL order of two values of the same type: NULLs last, NaN above all
    /// numbers, -0.0 == 0.0, text by code point.
    fn sql_cmp(a: &Value, b: &Value) -> Ordering {
        use Value::*;
        match (a, b) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Bool(x), Bool(y)) => x.cmp(y),
            (Int2(x), Int2(y)) => x.cmp(y),
            (Int4(x), Int4(y)) => x.cmp(y),
            (Int8(x), Int8(y)) => x.cmp(y),
            (Float8(x), Float8(y)) => match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => x.partial_cmp(y).expect("not NaN"),
            },
            (Text(x), Text(y)) => x.cmp(y),
            _ => panic!("compared different types"),
        }
    }

    fn tuple_cmp(a: &[Value], b: &[Value]) -> Ordering {
        for (x, y) in a.iter().zip(b) {
            match sql_cmp(x, y) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        a.len().cmp(&b.len())
    }

    /// A value of the given type (0..6), or NULL sometimes.
    fn value_of(ty: u8) -> BoxedStrategy<Value> {
        let v = match ty {
            0 => any::<bool>().prop_map(Value::Bool).boxed(),
            1 => any::<i16>().prop_map(Value::Int2).boxed(),
            2 => any::<i32>().prop_map(Value::Int4).boxed(),
            3 => prop_oneof![any::<i64>(), -3i64..3]
                .prop_map(Value::Int8)
                .boxed(),
            4 => prop_oneof![
                any::<f64>(),
                Just(f64::NAN),
                Just(-0.0),
                Just(0.0),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                -2.0f64..2.0
            ]
            .prop_map(Value::Float8)
            .boxed(),
            _ => prop_oneof![any::<String>(), "[ab\u{0}\u{1}\u{ff}]{0,4}"]
                .prop_map(Value::Text)
                .boxed(),
        };
        prop_oneof![9 => v, 1 => Just(Value::Null)].boxed()
    }

    /// Two tuples with the same column types.
    fn tuple_pair() -> impl Strategy<Value = (Vec<Value>, Vec<Value>)> {
        proptest::collection::vec(0u8..6, 1..4).prop_flat_map(|types| {
            let one = types.iter().map(|&t| value_of(t)).collect::<Vec<_>>();
            let two = types.iter().map(|&t| value_of(t)).collect::<Vec<_>>();
            (one, two)
        })
    }

    fn normalized(v: &[Value]) -> Vec<Value> {
        v.iter()
            .map(|x| match x {
                Value::Float8(f) if *f == 0.0 => Value::Float8(0.0),
                other => other.clone(),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn encoding_preserves_order((a, b) in tuple_pair()) {
            let (ea, eb) = (encode_key(&a), encode_key(&b));
            prop_assert_eq!(ea.cmp(&eb), tuple_cmp(&a, &b), "{:?} vs {:?}", a, b);
        }

        #[test]
        fn encoding_round_trips(t in proptest::collection::vec(any_value(), 0..5)) {
            let back = decode_key(&encode_key(&t)).unwrap();
            let want = normalized(&t);
            prop_assert_eq!(back.len(), want.len());
            for (x, y) in back.iter().zip(&want) {
                match (x, y) {
                    (Value::Float8(f), Value::Float8(g)) if g.is_nan() => prop_assert!(f.is_nan()),
                    _ => prop_assert_eq!(x, y),
                }
            }
        }

        #[test]
        fn encoding_is_prefix_free((a, b) in tuple_pair()) {
            // Appending a suffix to one key never moves it past a key that
            // compared differently.
            let (ea, eb) = (encode_key(&a), encode_key(&b));
            if ea != eb {
                let mut ea2 = ea.clone();
                ea2.extend_from_slice(&[0xFF; 3]);
                let mut eb2 = eb.clone();
                eb2.push(0);
                prop_assert_eq!(ea2.cmp(&eb2), ea.cmp(&eb));
            }
            prop_assert_eq!(prefix_len(&ea, a.len()).unwrap(), ea.len());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let _ = decode_key(&bytes);
            let _ = prefix_len(&bytes, 3);
        }
    }

    #[test]
    fn nulls_sort_last_and_text_escapes() {
        let null = encode_key(&[Value::Null]);
        assert!(encode_key(&[Value::Int8(i64::MAX)]) < null);
        assert!(encode_key(&[Value::Text("a".into())]) < encode_key(&[Value::Text("a\0".into())]));
        assert!(
            encode_key(&[Value::Text("a\0".into())]) < encode_key(&[Value::Text("a\u{1}".into())])
        );
        assert_eq!(prefix_successor(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xFF]), None);
    }
}
