//! Order-preserving encoding of `jsonb` (after the 0x0F tag), following jsonb's btree order
//! (`sql::types::json`):
//!
//! ```text
//! top    := 0x01 count u32 raw u8 nested*        array, or a scalar as a one-item
//!                                                 "raw scalar" array (raw 0x00 < 0x01)
//!         | 0x02 count u32 (string nested)*       object: above every array
//! nested := 0x00                                  null
//!         | 0x01 escaped-string                   string (bytewise)
//!         | 0x02 numeric                          number ([`super::numeric`])
//!         | 0x03 0x00 | 0x03 0x01                 false | true
//!         | 0x04 count u32 nested*                array: more items sort later
//!         | 0x05 count u32 (string nested)*       object: more pairs sort later
//! ```
//!
//! Counts are big-endian; object pairs appear in storage order (shorter keys first), the
//! order in which PostgreSQL compares them.

use sql::types::{Jsonb, Numeric};

use super::{put_escaped, take_escaped};
use crate::error::{Error, Result};

const TOP_ARRAY: u8 = 0x01;
const TOP_OBJECT: u8 = 0x02;

const NULL: u8 = 0x00;
const STRING: u8 = 0x01;
const NUMBER: u8 = 0x02;
const BOOL: u8 = 0x03;
const ARRAY: u8 = 0x04;
const OBJECT: u8 = 0x05;

const MAX_DEPTH: usize = 200;

fn count(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_be_bytes());
}

/// Appends the encoding of a top-level document.
pub fn encode(j: &Jsonb, out: &mut Vec<u8>) {
    match j {
        Jsonb::Object(pairs) => {
            out.push(TOP_OBJECT);
            count(out, pairs.len());
            for (k, v) in pairs {
                put_escaped(out, k.as_bytes());
                nested(v, out);
            }
        }
        Jsonb::Array(items) => {
            out.push(TOP_ARRAY);
            count(out, items.len());
            out.push(0x01);
            for i in items {
                nested(i, out);
            }
        }
        scalar => {
            out.push(TOP_ARRAY);
            count(out, 1);
            out.push(0x00);
            nested(scalar, out);
        }
    }
}

fn nested(j: &Jsonb, out: &mut Vec<u8>) {
    match j {
        Jsonb::Null => out.push(NULL),
        Jsonb::String(s) => {
            out.push(STRING);
            put_escaped(out, s.as_bytes());
        }
        Jsonb::Number(d) => {
            out.push(NUMBER);
            super::numeric::encode(&Numeric::Finite(d.clone()), out);
        }
        Jsonb::Bool(b) => out.extend_from_slice(&[BOOL, u8::from(*b)]),
        Jsonb::Array(items) => {
            out.push(ARRAY);
            count(out, items.len());
            for i in items {
                nested(i, out);
            }
        }
        Jsonb::Object(pairs) => {
            out.push(OBJECT);
            count(out, pairs.len());
            for (k, v) in pairs {
                put_escaped(out, k.as_bytes());
                nested(v, out);
            }
        }
    }
}

fn bad(m: &str) -> Error {
    Error::decode("key", format!("jsonb: {m}"))
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8> {
        let v = *self.b.get(self.pos).ok_or_else(|| bad("truncated"))?;
        self.pos += 1;
        Ok(v)
    }

    fn count(&mut self) -> Result<usize> {
        let s = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| bad("truncated count"))?;
        self.pos += 4;
        let n = u32::from_be_bytes(s.try_into().expect("4 bytes")) as usize;
        if n > self.b.len() - self.pos {
            return Err(bad("count longer than the key"));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String> {
        let (bytes, used) = take_escaped(&self.b[self.pos..])?;
        self.pos += used;
        String::from_utf8(bytes).map_err(|_| bad("string is not UTF-8"))
    }

    fn pairs(&mut self, depth: usize) -> Result<Vec<(String, Jsonb)>> {
        let n = self.count()?;
        let mut pairs: Vec<(String, Jsonb)> = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.string()?;
            if let Some((prev, _)) = pairs.last()
                && sql::types::json::key_order(prev, &k) != std::cmp::Ordering::Less
            {
                return Err(bad("keys out of order"));
            }
            let v = self.nested(depth + 1)?;
            pairs.push((k, v));
        }
        Ok(pairs)
    }

    fn nested(&mut self, depth: usize) -> Result<Jsonb> {
        if depth > MAX_DEPTH {
            return Err(bad("nested too deeply"));
        }
        Ok(match self.byte()? {
            NULL => Jsonb::Null,
            STRING => Jsonb::String(self.string()?),
            NUMBER => {
                let (n, used) = super::numeric::decode(&self.b[self.pos..])?;
                self.pos += used;
                match n {
                    Numeric::Finite(d) => Jsonb::Number(d),
                    _ => return Err(bad("number is not finite")),
                }
            }
            BOOL => match self.byte()? {
                0 => Jsonb::Bool(false),
                1 => Jsonb::Bool(true),
                b => return Err(bad(&format!("bool byte {b}"))),
            },
            ARRAY => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.nested(depth + 1)?);
                }
                Jsonb::Array(items)
            }
            OBJECT => Jsonb::Object(self.pairs(depth)?),
            t => return Err(bad(&format!("node {t}"))),
        })
    }
}

/// Decodes a top-level document from the start of `bytes`; returns it and the bytes used.
pub fn decode(bytes: &[u8]) -> Result<(Jsonb, usize)> {
    let mut c = Cursor { b: bytes, pos: 0 };
    let j = match c.byte()? {
        TOP_OBJECT => Jsonb::Object(c.pairs(0)?),
        TOP_ARRAY => {
            let n = c.count()?;
            match c.byte()? {
                0x00 if n == 1 => {
                    let v = c.nested(1)?;
                    if matches!(v, Jsonb::Array(_) | Jsonb::Object(_)) {
                        return Err(bad("raw scalar holds a container"));
                    }
                    v
                }
                0x01 => {
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(c.nested(1)?);
                    }
                    Jsonb::Array(items)
                }
                _ => return Err(bad("array flag")),
            }
        }
        t => return Err(bad(&format!("top-level kind {t}"))),
    };
    Ok((j, c.pos))
}
