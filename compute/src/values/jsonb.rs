//! The stored (binary) form of `jsonb`: a tree of tagged nodes, integers little-endian.
//! A durable format: node tags are never renumbered.
//!
//! ```text
//! node   := 0 null | 1 false | 2 true
//!         | 3 numeric-body                      (see the row codec's numeric body)
//!         | 4 len u32, UTF-8                    (string)
//!         | 5 count u32, node*                  (array)
//!         | 6 count u32, (len u32, UTF-8 key, node)*   (object, keys in storage order)
//! ```
//!
//! Object keys are stored in jsonb's storage order (shorter first, then bytewise) and unique;
//! [`decode`] checks that, the nesting depth, and that every byte is used.

use sql::types::{Jsonb, Numeric};

use super::{Reader, decode_numeric, encode_numeric};
use crate::error::Result;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUMBER: u8 = 3;
const STRING: u8 = 4;
const ARRAY: u8 = 5;
const OBJECT: u8 = 6;

/// Deeper documents do not decode (jsonb text input stops at 128 levels).
const MAX_DEPTH: usize = 200;

fn put_str(out: &mut Vec<u8>, s: &str) {
    let len = u32::try_from(s.len()).expect("jsonb strings are below 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Appends the stored form of `j`.
pub fn encode(j: &Jsonb, out: &mut Vec<u8>) {
    match j {
        Jsonb::Null => out.push(NULL),
        Jsonb::Bool(false) => out.push(FALSE),
        Jsonb::Bool(true) => out.push(TRUE),
        Jsonb::Number(d) => {
            out.push(NUMBER);
            encode_numeric(&Numeric::Finite(d.clone()), out);
        }
        Jsonb::String(s) => {
            out.push(STRING);
            put_str(out, s);
        }
        Jsonb::Array(items) => {
            out.push(ARRAY);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for i in items {
                encode(i, out);
            }
        }
        Jsonb::Object(pairs) => {
            out.push(OBJECT);
            out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
            for (k, v) in pairs {
                put_str(out, k);
                encode(v, out);
            }
        }
    }
}

/// Decodes a whole stored jsonb value.
pub fn decode(bytes: &[u8]) -> Result<Jsonb> {
    let mut r = Reader::new(bytes, "jsonb");
    let j = node(&mut r, 0)?;
    if r.pos != bytes.len() {
        return Err(r.fail(format!("{} trailing bytes", bytes.len() - r.pos)));
    }
    Ok(j)
}

fn node(r: &mut Reader<'_>, depth: usize) -> Result<Jsonb> {
    if depth > MAX_DEPTH {
        return Err(r.fail("nested too deeply"));
    }
    Ok(match r.u8()? {
        NULL => Jsonb::Null,
        FALSE => Jsonb::Bool(false),
        TRUE => Jsonb::Bool(true),
        NUMBER => match decode_numeric(r)? {
            Numeric::Finite(d) => Jsonb::Number(d),
            other => return Err(r.fail(format!("jsonb number {other}"))),
        },
        STRING => Jsonb::String(r.string()?),
        ARRAY => {
            let n = r.u32()? as usize;
            if n > r.buf.len() - r.pos {
                return Err(r.fail("array longer than its value"));
            }
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(node(r, depth + 1)?);
            }
            Jsonb::Array(items)
        }
        OBJECT => {
            let n = r.u32()? as usize;
            if n > r.buf.len() - r.pos {
                return Err(r.fail("object longer than its value"));
            }
            let mut pairs: Vec<(String, Jsonb)> = Vec::with_capacity(n);
            for _ in 0..n {
                let k = r.string()?;
                if let Some((prev, _)) = pairs.last()
                    && sql::types::json::key_order(prev, &k) != std::cmp::Ordering::Less
                {
                    return Err(r.fail("object keys out of order"));
                }
                let v = node(r, depth + 1)?;
                pairs.push((k, v));
            }
            Jsonb::Object(pairs)
        }
        t => return Err(r.fail(format!("unknown node {t}"))),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bigdecimal::BigDecimal;
    use proptest::prelude::*;

    /// Any jsonb document (keys normalized into storage order).
    pub(crate) fn any_jsonb() -> impl Strategy<Value = Jsonb> {
        let leaf = prop_oneof![
            Just(Jsonb::Null),
            any::<bool>().prop_map(Jsonb::Bool),
            (any::<i64>(), 0i64..6).prop_map(|(i, s)| Jsonb::Number(BigDecimal::new(i.into(), s))),
            "[a-c\u{0}é\"]{0,4}".prop_map(Jsonb::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Jsonb::Array),
                proptest::collection::vec(("[a-c]{0,3}", inner), 0..4).prop_map(Jsonb::object),
            ]
        })
    }

    proptest! {
        #[test]
        fn documents_round_trip(j in any_jsonb()) {
            let mut bytes = Vec::new();
            encode(&j, &mut bytes);
            let back = decode(&bytes).unwrap();
            prop_assert_eq!(back.to_string(), j.to_string());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn rejects_unsorted_keys() {
        let mut bytes = vec![OBJECT, 2, 0, 0, 0];
        for k in ["bb", "a"] {
            bytes.extend_from_slice(&(k.len() as u32).to_le_bytes());
            bytes.extend_from_slice(k.as_bytes());
            bytes.push(NULL);
        }
        assert!(decode(&bytes).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([ARRAY, 1, 0, 0, 0], 2000)
            .flatten()
            .collect();
        assert!(decode(&deep).is_err());
    }
}
