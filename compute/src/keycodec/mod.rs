//! Order-preserving key encoding.
//!
//! B+tree keys are byte strings compared with `memcmp`. This module turns a
//! composite SQL key (a tuple of [`Value`]s) into bytes whose byte order is
//! the tuple's SQL order (ascending, NULLs last, as PostgreSQL's default
//! `ASC NULLS LAST`), and back. A durable format: tags are never renumbered.
//!
//! Each value is a tag byte followed by a payload:
//!
//! ```text
//! bool        0x01  0x00 | 0x01
//! int2        0x02  2 bytes big-endian, sign bit flipped
//! int4        0x03  4 bytes big-endian, sign bit flipped
//! int8        0x04  8 bytes big-endian, sign bit flipped (also oid and reg*)
//! float8      0x05  8 bytes: IEEE bits, big-endian; positive: sign bit flipped,
//!                   negative: all bits inverted. -0.0 is stored as 0.0 and every
//!                   NaN as one NaN, which sorts above +Infinity (as in PostgreSQL).
//! text        0x06  UTF-8 bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//!                   (also varchar, name, json; char(n) without its trailing spaces)
//! numeric     0x07  class, then for finite non-zero values the exponent and digits
//!                   ([`numeric`]); equal values (1.0, 1.00) encode equally
//! date        0x08  4 bytes big-endian, sign bit flipped (infinities are the extremes)
//! time        0x09  8 bytes big-endian, sign bit flipped
//! timestamp   0x0A  8 bytes big-endian, sign bit flipped
//! timestamptz 0x0B  8 bytes big-endian, sign bit flipped
//! interval    0x0C  the 16-byte span (30-day months, 24-hour days, in µs),
//!                   big-endian, sign bit flipped: '1 mon' and '30 days' are equal keys
//! bytea       0x0D  bytes escaped and terminated like text
//! uuid        0x0E  16 bytes
//! jsonb       0x0F  jsonb's btree order ([`jsonb`])
//! array       0x10  per item 0x02 then the item's encoding, then 0x01; then ndims u8
//!                   and per dimension length and lower bound (4 bytes each, sign
//!                   flipped): items first, fewer items first, then the shape
//! record      0x11  per field 0x02, its type OID (4 bytes big-endian, the same for every
//!                   value of a column) and its encoding, then 0x01: field by field, NULL
//!                   fields last (`record_cmp`'s order)
//! inet        0x12  family (2 IPv4, 3 IPv6), the network (address with host bits zeroed,
//!                   4 or 16 bytes), mask length, then the address's bytes from the one
//!                   holding the first host bit on (the rest is the network's):
//!                   `network_cmp`'s order (also cidr; the is_cidr flag, which equality
//!                   ignores, comes from the column)
//! timetz      0x13  the UTC time (time + zone seconds, 8 bytes big-endian, sign bit
//!                   flipped), then the zone (4 bytes, sign flipped): `timetz_cmp`'s order
//! range       0x14  the type's code (the same for every value of a column), then 0x00 for
//!                   empty, else 0x01, the lower bound (0x00 infinite, else 0x01, the
//!                   value, 0x00 inclusive / 0x01 exclusive) and the upper bound (0x01, the
//!                   value, 0x00 exclusive / 0x01 inclusive, or 0x02 infinite):
//!                   `range_cmp`'s order
//! tsvector    0x15  size, lexeme count, lexemes with positions ([`textsearch`]):
//!                   `tsvector_cmp`'s order
//! tsquery     0x16  node count, size, nodes in storage order ([`textsearch`])
//! NULL        0xFF  (no payload): above every tag, so NULLs sort last
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
//! - **Round-trip**: `encode(decode(k)) == k`, and `decode(encode(t))` equals `t` as SQL
//!   values; what SQL equality ignores is not kept: -0.0 becomes 0.0, NaN payloads one NaN,
//!   a numeric's display scale its minimal one, an interval's months/days split a
//!   canonical one. (Rows keep every value exactly; keys only locate them.)

pub mod jsonb;
pub mod numeric;
mod range;
mod textsearch;

use sql::types::Interval;

use crate::error::{Error, Result};
use crate::values::{StoredArray, Value};

const TAG_BOOL: u8 = 0x01;
const TAG_INT2: u8 = 0x02;
const TAG_INT4: u8 = 0x03;
const TAG_INT8: u8 = 0x04;
const TAG_FLOAT8: u8 = 0x05;
const TAG_TEXT: u8 = 0x06;
const TAG_NUMERIC: u8 = 0x07;
const TAG_DATE: u8 = 0x08;
const TAG_TIME: u8 = 0x09;
const TAG_TIMESTAMP: u8 = 0x0A;
const TAG_TIMESTAMPTZ: u8 = 0x0B;
const TAG_INTERVAL: u8 = 0x0C;
const TAG_BYTEA: u8 = 0x0D;
const TAG_UUID: u8 = 0x0E;
const TAG_JSONB: u8 = 0x0F;
const TAG_ARRAY: u8 = 0x10;
const TAG_RECORD: u8 = 0x11;
const TAG_INET: u8 = 0x12;
const TAG_TIMETZ: u8 = 0x13;
const TAG_RANGE: u8 = 0x14;

/// How deeply records (and arrays in them) may nest in a key.
const MAX_DEPTH: usize = 32;
const TAG_NULL: u8 = 0xFF;

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;

const ITEM: u8 = 0x02;
const END_ITEMS: u8 = 0x01;

/// Encodes a composite key.
pub fn encode_key(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 9);
    for v in values {
        encode_value(v, &mut out);
    }
    out
}

/// Appends bytes escaped (0x00 → 0x00 0xFF) and terminated (0x00 0x01).
pub(crate) fn put_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == ESCAPE {
            out.extend_from_slice(&[ESCAPE, ESCAPED_ZERO]);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Reads bytes written by [`put_escaped`] from the start of `bytes`; returns them and the
/// length used.
pub(crate) fn take_escaped(bytes: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(&ESCAPE), Some(&TERMINATOR)) => return Ok((out, i + 2)),
            (Some(&ESCAPE), Some(&ESCAPED_ZERO)) => {
                out.push(0);
                i += 2;
            }
            (Some(&ESCAPE), _) => return Err(Error::decode("key", "bad escape")),
            (Some(&b), _) => {
                out.push(b);
                i += 1;
            }
            (None, _) => return Err(Error::decode("key", "unterminated string")),
        }
    }
}

pub(crate) fn flip64(i: i64) -> [u8; 8] {
    ((i as u64) ^ (1 << 63)).to_be_bytes()
}

pub(crate) fn flip32(i: i32) -> [u8; 4] {
    ((i as u32) ^ (1 << 31)).to_be_bytes()
}

fn unflip64(b: [u8; 8]) -> i64 {
    (u64::from_be_bytes(b) ^ (1 << 63)) as i64
}

fn unflip32(b: [u8; 4]) -> i32 {
    (u32::from_be_bytes(b) ^ (1 << 31)) as i32
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
            out.extend_from_slice(&flip32(*i));
        }
        Value::Int8(i) => {
            out.push(TAG_INT8);
            out.extend_from_slice(&flip64(*i));
        }
        Value::Float8(f) => {
            out.push(TAG_FLOAT8);
            out.extend_from_slice(&float_to_ordered(*f).to_be_bytes());
        }
        Value::Text(s) | Value::Json(s) => {
            out.push(TAG_TEXT);
            put_escaped(out, s.as_bytes());
        }
        Value::Numeric(n) => {
            out.push(TAG_NUMERIC);
            numeric::encode(n, out);
        }
        Value::Date(d) => {
            out.push(TAG_DATE);
            out.extend_from_slice(&flip32(*d));
        }
        Value::Time(t) => {
            out.push(TAG_TIME);
            out.extend_from_slice(&flip64(*t));
        }
        Value::Timestamp(t) => {
            out.push(TAG_TIMESTAMP);
            out.extend_from_slice(&flip64(*t));
        }
        Value::Timestamptz(t) => {
            out.push(TAG_TIMESTAMPTZ);
            out.extend_from_slice(&flip64(*t));
        }
        Value::Interval(i) => {
            out.push(TAG_INTERVAL);
            out.extend_from_slice(&((i.span() as u128) ^ (1 << 127)).to_be_bytes());
        }
        Value::Bytea(b) => {
            out.push(TAG_BYTEA);
            put_escaped(out, b);
        }
        Value::Uuid(u) => {
            out.push(TAG_UUID);
            out.extend_from_slice(u);
        }
        Value::Jsonb(j) => {
            out.push(TAG_JSONB);
            jsonb::encode(j, out);
        }
        Value::Array(a) => {
            out.push(TAG_ARRAY);
            for item in &a.items {
                out.push(ITEM);
                encode_value(item, out);
            }
            out.push(END_ITEMS);
            out.push(a.dims.len() as u8);
            for (len, lower) in &a.dims {
                out.extend_from_slice(&flip32(*len));
                out.extend_from_slice(&flip32(*lower));
            }
        }
        Value::TimeTz(t, z) => {
            out.push(TAG_TIMETZ);
            out.extend_from_slice(&flip64(t.wrapping_add(i64::from(*z) * 1_000_000)));
            out.extend_from_slice(&flip32(*z));
        }
        Value::Inet(i) => {
            out.extend_from_slice(&[TAG_INET, i.family_code()]);
            out.extend_from_slice(i.network().bytes());
            out.push(i.bits);
            out.extend_from_slice(&i.bytes()[usize::from(i.bits / 8)..]);
        }
        Value::Range(r) => range::encode(r, out),
        Value::TsVector(v) => textsearch::encode_tsvector(v, out),
        Value::TsQuery(q) => textsearch::encode_tsquery(q, out),
        Value::Record(fields) => {
            out.push(TAG_RECORD);
            for (oid, v) in fields {
                out.push(ITEM);
                out.extend_from_slice(&oid.to_be_bytes());
                encode_value(v, out);
            }
            out.push(END_ITEMS);
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

fn utf8(b: Vec<u8>) -> Result<String> {
    String::from_utf8(b).map_err(|e| Error::decode("key", format!("text: {e}")))
}

/// Decodes the first value of `bytes`; returns it and the bytes it used.
pub fn decode_value(bytes: &[u8]) -> Result<(Value, usize)> {
    decode_at(bytes, 0)
}

fn decode_at(bytes: &[u8], depth: usize) -> Result<(Value, usize)> {
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
        TAG_INT4 => (Value::Int4(unflip32(fixed(bytes)?)), 5),
        TAG_INT8 => (Value::Int8(unflip64(fixed(bytes)?)), 9),
        TAG_FLOAT8 => (
            Value::Float8(float_from_ordered(u64::from_be_bytes(fixed(bytes)?))),
            9,
        ),
        TAG_TEXT => {
            let (b, used) = take_escaped(&bytes[1..])?;
            (Value::Text(utf8(b)?), used + 1)
        }
        TAG_NUMERIC => {
            let (n, used) = numeric::decode(&bytes[1..])?;
            (Value::Numeric(n), used + 1)
        }
        TAG_DATE => (Value::Date(unflip32(fixed(bytes)?)), 5),
        TAG_TIME => (Value::Time(unflip64(fixed(bytes)?)), 9),
        TAG_TIMESTAMP => (Value::Timestamp(unflip64(fixed(bytes)?)), 9),
        TAG_TIMESTAMPTZ => (Value::Timestamptz(unflip64(fixed(bytes)?)), 9),
        TAG_INTERVAL => {
            let span = (u128::from_be_bytes(fixed(bytes)?) ^ (1 << 127)) as i128;
            let iv = Interval::from_span(span)
                .ok_or_else(|| Error::decode("key", "interval out of range"))?;
            (Value::Interval(iv), 17)
        }
        TAG_BYTEA => {
            let (b, used) = take_escaped(&bytes[1..])?;
            (Value::Bytea(b), used + 1)
        }
        TAG_UUID => (Value::Uuid(fixed(bytes)?), 17),
        TAG_TIMETZ => {
            let b: [u8; 12] = fixed(bytes)?;
            let (mut utc, mut zone) = ([0u8; 8], [0u8; 4]);
            utc.copy_from_slice(&b[..8]);
            zone.copy_from_slice(&b[8..]);
            let zone = unflip32(zone);
            let t = unflip64(utc).wrapping_sub(i64::from(zone) * 1_000_000);
            (Value::TimeTz(t, zone), 13)
        }
        TAG_INET => {
            let bad = || Error::decode("key", "inet value");
            let family = *bytes.get(1).ok_or_else(bad)?;
            let n = if family == 3 { 16 } else { 4 };
            let head = bytes.get(2..3 + n).ok_or_else(bad)?;
            let (network, bits) = (&head[..n], head[n]);
            let whole = usize::from(bits / 8).min(n);
            let host = bytes.get(3 + n..3 + 2 * n - whole).ok_or_else(bad)?;
            let addr: Vec<u8> = network[..whole].iter().chain(host).copied().collect();
            let inet = sql::types::inet::Inet::from_parts(family, bits, false, &addr)
                .filter(|i| i.network().bytes() == network)
                .ok_or_else(bad)?;
            (Value::Inet(inet), 3 + 2 * n - whole)
        }
        textsearch::TAG_TSVECTOR => {
            let (v, used) = textsearch::decode_tsvector(bytes)?;
            (Value::TsVector(v), used)
        }
        textsearch::TAG_TSQUERY => {
            let (q, used) = textsearch::decode_tsquery(bytes)?;
            (Value::TsQuery(q), used)
        }
        TAG_RANGE => {
            if depth > MAX_DEPTH {
                return Err(Error::decode("key", "range nested too deeply"));
            }
            range::decode(bytes, |b| decode_at(b, depth + 1))?
        }
        TAG_JSONB => {
            let (j, used) = jsonb::decode(&bytes[1..])?;
            (Value::Jsonb(j), used + 1)
        }
        TAG_ARRAY => {
            if depth > MAX_DEPTH {
                return Err(Error::decode("key", "array nested too deeply"));
            }
            let mut pos = 1;
            let mut items = Vec::new();
            loop {
                match bytes.get(pos) {
                    Some(&ITEM) => {
                        let (v, used) = decode_at(&bytes[pos + 1..], depth + 1)?;
                        items.push(v);
                        pos += 1 + used;
                    }
                    Some(&END_ITEMS) => {
                        pos += 1;
                        break;
                    }
                    _ => return Err(Error::decode("key", "bad array item marker")),
                }
            }
            let ndims = *bytes
                .get(pos)
                .ok_or_else(|| Error::decode("key", "truncated array"))?
                as usize;
            pos += 1;
            let mut dims = Vec::with_capacity(ndims.min(8));
            for _ in 0..ndims {
                let b = bytes
                    .get(pos..pos + 8)
                    .ok_or_else(|| Error::decode("key", "truncated array"))?;
                let len = unflip32(b[..4].try_into().expect("4 bytes"));
                let lower = unflip32(b[4..].try_into().expect("4 bytes"));
                dims.push((len, lower));
                pos += 8;
            }
            let total = dims.iter().try_fold(1i64, |acc, (len, _)| {
                (*len >= 0).then(|| acc.saturating_mul(i64::from(*len)))
            });
            let consistent = match total {
                Some(n) if ndims > 0 => n == items.len() as i64 && n > 0,
                _ => ndims == 0 && items.is_empty(),
            };
            if !consistent || ndims > 6 {
                return Err(Error::decode("key", "array shape does not match its items"));
            }
            if items.iter().any(|i| matches!(i, Value::Array(_))) {
                return Err(Error::decode("key", "nested array"));
            }
            (Value::Array(StoredArray { dims, items }), pos)
        }
        TAG_RECORD => {
            if depth > MAX_DEPTH {
                return Err(Error::decode("key", "record nested too deeply"));
            }
            let mut pos = 1;
            let mut fields = Vec::new();
            loop {
                match bytes.get(pos) {
                    Some(&ITEM) => {
                        let oid = bytes
                            .get(pos + 1..pos + 5)
                            .ok_or_else(|| Error::decode("key", "truncated record"))?;
                        let oid = u32::from_be_bytes(oid.try_into().expect("4 bytes"));
                        let (v, used) = decode_at(&bytes[pos + 5..], depth + 1)?;
                        fields.push((oid, v));
                        pos += 5 + used;
                    }
                    Some(&END_ITEMS) => break (Value::Record(fields), pos + 1),
                    _ => return Err(Error::decode("key", "bad record field marker")),
                }
            }
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
mod tests;
