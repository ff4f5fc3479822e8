//! SQL values and the row encoding.
//!
//! [`Value`] is one datum of the types the storage core knows. A row is a tuple of values,
//! stored in B+tree leaves by [`encode_row`] (compact, not order-preserving; keys use
//! [`crate::keycodec`] instead). This is a durable format: tags are never renumbered, new
//! types get new tags.
//!
//! ```text
//! +-----------+-------------------------+-----+
//! | n u16 LE  | tag u8 | payload        | ... |   n values
//! +-----------+-------------------------+-----+
//! tag  type          payload (integers little-endian)
//!  0   NULL          -
//!  1   bool          1 byte (0 / 1)
//!  2   int2          2 bytes
//!  3   int4          4 bytes
//!  4   int8          8 bytes (also oid, regclass, regtype, regproc)
//!  5   float8        8 bytes IEEE bits (also real, widened exactly)
//!  6   text          len u32, UTF-8 (also varchar, char(n) padded, name, "char")
//!  7   numeric       numeric body (below)
//!  8   date          i32 days since 2000-01-01
//!  9   time          i64 microseconds since midnight
//! 10   timestamp     i64 microseconds since 2000-01-01
//! 11   timestamptz   i64 microseconds since 2000-01-01 UTC
//! 12   interval      i32 months, i32 days, i64 microseconds
//! 13   bytea         len u32, bytes
//! 14   uuid          16 bytes
//! 15   json          len u32, UTF-8 text as written
//! 16   jsonb         len u32, jsonb body ([`jsonb`])
//! 17   array         ndims u8, (len i32, lower bound i32) per dimension, count u32,
//!                    then `count` tagged values (NULL items are tag 0)
//! 18   record        count u32, then per field its type OID u32 and a tagged value
//!                    (a composite column's value; the OIDs give back each field's type)
//! 19   inet          family u8 (2 IPv4, 3 IPv6), bits u8, is_cidr u8, 4 or 16 address
//!                    bytes (also cidr)
//! 20   timetz        i64 microseconds since midnight, i32 zone (seconds west of UTC)
//! 21   range         kind u8 ([`sql::types::range::RangeKind::code`]), flags u8 (the
//!                    binary format's: empty 1, `[` 2, `]` 4, lower infinite 8, upper
//!                    infinite 16), then a tagged value per finite bound of a non-empty range
//! 22   tsvector      len u32, PostgreSQL's binary format (`tsvectorsend`)
//! 23   tsquery       len u32, PostgreSQL's binary format (`tsquerysend`)
//!
//! numeric body: kind u8 (0 finite, 1 NaN, 2 +Infinity, 3 -Infinity); finite values then
//!               display scale u32, sign u8 (0 non-negative, 1 negative), len u32,
//!               magnitude (little-endian bytes of the unscaled integer)
//! ```
//!
//! [`decode_row`] validates everything (tags, lengths, UTF-8, array shapes, jsonb key
//! order, trailing bytes) and returns [`Error::Decode`] rather than panicking.

pub mod columns;
pub mod jsonb;

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::{BigInt, BigUint, Sign};
use sql::types::{Interval, Jsonb, Numeric};

use crate::error::{Error, Result};

/// One SQL datum as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float8(f64),
    Text(String),
    Numeric(Numeric),
    Date(i32),
    Time(i64),
    Timestamp(i64),
    Timestamptz(i64),
    Interval(Interval),
    Bytea(Vec<u8>),
    Uuid([u8; 16]),
    Json(String),
    Jsonb(Jsonb),
    Array(StoredArray),
    /// A composite value: per field its type OID and value.
    Record(Vec<(u32, Value)>),
    /// An `inet` or `cidr`.
    Inet(sql::types::inet::Inet),
    /// A `timetz`: time of day and zone (seconds west of UTC).
    TimeTz(i64, i32),
    /// A value of a range type.
    Range(StoredRange),
    /// A `tsvector`.
    TsVector(sql::types::tsvector::TsVector),
    /// A `tsquery`.
    TsQuery(sql::types::tsquery::TsQuery),
}

/// A range as stored: its type's code, its flags and its finite bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRange {
    pub kind: u8,
    pub flags: u8,
    pub lower: Option<Box<Value>>,
    pub upper: Option<Box<Value>>,
}

/// An array as stored: dimensions (length, lower bound) and items in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArray {
    pub dims: Vec<(i32, i32)>,
    pub items: Vec<Value>,
}

const TAG_NULL: u8 = 0;
const TAG_BOOL: u8 = 1;
const TAG_INT2: u8 = 2;
const TAG_INT4: u8 = 3;
const TAG_INT8: u8 = 4;
const TAG_FLOAT8: u8 = 5;
const TAG_TEXT: u8 = 6;
const TAG_NUMERIC: u8 = 7;
const TAG_DATE: u8 = 8;
const TAG_TIME: u8 = 9;
const TAG_TIMESTAMP: u8 = 10;
const TAG_TIMESTAMPTZ: u8 = 11;
const TAG_INTERVAL: u8 = 12;
const TAG_BYTEA: u8 = 13;
const TAG_UUID: u8 = 14;
const TAG_JSON: u8 = 15;
const TAG_JSONB: u8 = 16;
const TAG_ARRAY: u8 = 17;
const TAG_RECORD: u8 = 18;
const TAG_INET: u8 = 19;
const TAG_TIMETZ: u8 = 20;
const TAG_RANGE: u8 = 21;
const TAG_TSVECTOR: u8 = 22;
const TAG_TSQUERY: u8 = 23;

/// How deeply records (and arrays in them) may nest in a stored value.
const MAX_DEPTH: usize = 32;

/// The most dimensions an array may have (PostgreSQL's MAXDIM).
const MAX_DIMS: usize = 6;

/// Encodes a row.
///
/// Panics only if a row has more than 65535 columns or a value is longer than 4 GiB,
/// which the SQL layer rules out.
pub fn encode_row(row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + row.len() * 9);
    let n = u16::try_from(row.len()).expect("rows have at most 65535 columns");
    out.extend_from_slice(&n.to_le_bytes());
    for v in row {
        encode_value(v, &mut out);
    }
    out
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).expect("values are below 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

/// Appends a numeric body (see the module docs).
pub(crate) fn encode_numeric(n: &Numeric, out: &mut Vec<u8>) {
    match n {
        Numeric::NaN => out.push(1),
        Numeric::Infinity => out.push(2),
        Numeric::NegInfinity => out.push(3),
        Numeric::Finite(d) => {
            out.push(0);
            let (int, scale) = d.as_bigint_and_exponent();
            let scale = u32::try_from(scale.max(0)).expect("numeric scales are below 16384");
            out.extend_from_slice(&scale.to_le_bytes());
            out.push(u8::from(int.sign() == Sign::Minus));
            put_bytes(out, &int.magnitude().to_bytes_le());
        }
    }
}

/// Appends a text value (`Value::Text`) without building it.
pub(crate) fn encode_text(s: &str, out: &mut Vec<u8>) {
    out.push(TAG_TEXT);
    put_bytes(out, s.as_bytes());
}

/// Appends a json value (`Value::Json`) without building it.
pub(crate) fn encode_json(s: &str, out: &mut Vec<u8>) {
    out.push(TAG_JSON);
    put_bytes(out, s.as_bytes());
}

/// Appends a bytea value (`Value::Bytea`) without building it.
pub(crate) fn encode_bytea(b: &[u8], out: &mut Vec<u8>) {
    out.push(TAG_BYTEA);
    put_bytes(out, b);
}

/// Appends one value, as [`encode_row`] does for each.
pub(crate) fn encode_value(v: &Value, out: &mut Vec<u8>) {
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
            put_bytes(out, s.as_bytes());
        }
        Value::Numeric(n) => {
            out.push(TAG_NUMERIC);
            encode_numeric(n, out);
        }
        Value::Date(d) => {
            out.push(TAG_DATE);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::Time(t) => {
            out.push(TAG_TIME);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Timestamp(t) => {
            out.push(TAG_TIMESTAMP);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Timestamptz(t) => {
            out.push(TAG_TIMESTAMPTZ);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Interval(i) => {
            out.push(TAG_INTERVAL);
            out.extend_from_slice(&i.months.to_le_bytes());
            out.extend_from_slice(&i.days.to_le_bytes());
            out.extend_from_slice(&i.micros.to_le_bytes());
        }
        Value::Bytea(b) => {
            out.push(TAG_BYTEA);
            put_bytes(out, b);
        }
        Value::Uuid(u) => {
            out.push(TAG_UUID);
            out.extend_from_slice(u);
        }
        Value::Json(s) => {
            out.push(TAG_JSON);
            put_bytes(out, s.as_bytes());
        }
        Value::Jsonb(j) => {
            out.push(TAG_JSONB);
            let mut body = Vec::new();
            jsonb::encode(j, &mut body);
            put_bytes(out, &body);
        }
        Value::Array(a) => {
            out.push(TAG_ARRAY);
            out.push(a.dims.len() as u8);
            for (len, lower) in &a.dims {
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&lower.to_le_bytes());
            }
            put_len(out, a.items.len());
            for item in &a.items {
                encode_value(item, out);
            }
        }
        Value::Inet(i) => {
            out.extend_from_slice(&[TAG_INET, i.family_code(), i.bits, u8::from(i.cidr)]);
            out.extend_from_slice(i.bytes());
        }
        Value::TimeTz(t, z) => {
            out.push(TAG_TIMETZ);
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&z.to_le_bytes());
        }
        Value::Range(r) => {
            out.extend_from_slice(&[TAG_RANGE, r.kind, r.flags]);
            for b in [&r.lower, &r.upper].into_iter().flatten() {
                encode_value(b, out);
            }
        }
        Value::TsVector(v) => {
            let mut body = Vec::new();
            sql::types::tsvector::send(v, &mut body);
            out.push(TAG_TSVECTOR);
            put_len(out, body.len());
            out.extend_from_slice(&body);
        }
        Value::TsQuery(q) => {
            let mut body = Vec::new();
            sql::types::tsquery::send(q, &mut body);
            out.push(TAG_TSQUERY);
            put_len(out, body.len());
            out.extend_from_slice(&body);
        }
        Value::Record(fields) => {
            out.push(TAG_RECORD);
            put_len(out, fields.len());
            for (oid, v) in fields {
                out.extend_from_slice(&oid.to_le_bytes());
                encode_value(v, out);
            }
        }
    }
}

/// A cursor over bytes being decoded; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { buf, pos: 0, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                Error::decode(
                    self.what,
                    format!("truncated: need {n} bytes at offset {}", self.pos),
                )
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|e| Error::decode(self.what, format!("text: {e}")))
    }

    pub(crate) fn fail(&self, msg: impl Into<String>) -> Error {
        Error::decode(self.what, msg.into())
    }
}

/// Reads a numeric body (see the module docs).
pub(crate) fn decode_numeric(r: &mut Reader<'_>) -> Result<Numeric> {
    Ok(match r.u8()? {
        0 => {
            let scale = r.u32()?;
            if i64::from(scale) > sql::types::numeric::MAX_SCALE {
                return Err(r.fail(format!("numeric scale {scale}")));
            }
            let negative = match r.u8()? {
                0 => false,
                1 => true,
                b => return Err(r.fail(format!("numeric sign {b}"))),
            };
            let magnitude = BigUint::from_bytes_le(r.bytes()?);
            let sign = if negative { Sign::Minus } else { Sign::Plus };
            Numeric::Finite(BigDecimal::new(
                BigInt::from_biguint(sign, magnitude),
                i64::from(scale),
            ))
        }
        1 => Numeric::NaN,
        2 => Numeric::Infinity,
        3 => Numeric::NegInfinity,
        k => return Err(r.fail(format!("numeric kind {k}"))),
    })
}

fn decode_value(r: &mut Reader<'_>, depth: usize) -> Result<Value> {
    let tag = r.u8()?;
    Ok(match tag {
        TAG_NULL => Value::Null,
        TAG_BOOL => match r.u8()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(r.fail(format!("bool byte {b}"))),
        },
        TAG_INT2 => Value::Int2(i16::from_le_bytes(r.array()?)),
        TAG_INT4 => Value::Int4(r.i32()?),
        TAG_INT8 => Value::Int8(r.i64()?),
        TAG_FLOAT8 => Value::Float8(f64::from_bits(u64::from_le_bytes(r.array()?))),
        TAG_TEXT => Value::Text(r.string()?),
        TAG_NUMERIC => Value::Numeric(decode_numeric(r)?),
        TAG_DATE => Value::Date(r.i32()?),
        TAG_TIME => Value::Time(r.i64()?),
        TAG_TIMESTAMP => Value::Timestamp(r.i64()?),
        TAG_TIMESTAMPTZ => Value::Timestamptz(r.i64()?),
        TAG_INTERVAL => {
            let months = r.i32()?;
            let days = r.i32()?;
            Value::Interval(Interval::new(months, days, r.i64()?))
        }
        TAG_BYTEA => Value::Bytea(r.bytes()?.to_vec()),
        TAG_UUID => Value::Uuid(r.array()?),
        TAG_TIMETZ => {
            let t = r.i64()?;
            Value::TimeTz(t, r.i32()?)
        }
        TAG_INET => {
            let [family, bits, cidr] = r.array()?;
            let len = if family == 3 { 16 } else { 4 };
            let bytes = r.take(len)?;
            let inet = sql::types::inet::Inet::from_parts(family, bits, cidr == 1, bytes)
                .filter(|_| cidr <= 1)
                .ok_or_else(|| r.fail(format!("inet family {family} bits {bits}")))?;
            Value::Inet(inet)
        }
        TAG_RANGE => {
            use sql::types::range::{EMPTY, LB_INF, UB_INF};
            let [kind, flags] = r.array()?;
            if sql::types::range::RangeKind::from_code(kind).is_none() {
                return Err(r.fail(format!("range kind {kind}")));
            }
            if depth > MAX_DEPTH {
                return Err(r.fail("range nested too deeply"));
            }
            let mut bound = |inf: u8| -> Result<Option<Box<Value>>> {
                if flags & (EMPTY | inf) != 0 {
                    return Ok(None);
                }
                Ok(Some(Box::new(decode_value(r, depth + 1)?)))
            };
            let lower = bound(LB_INF)?;
            let upper = bound(UB_INF)?;
            Value::Range(StoredRange {
                kind,
                flags,
                lower,
                upper,
            })
        }
        TAG_TSVECTOR => {
            let body = r.bytes()?;
            match sql::types::tsvector::recv(body) {
                Ok((v, used)) if used == body.len() => Value::TsVector(v),
                _ => return Err(r.fail("tsvector body")),
            }
        }
        TAG_TSQUERY => {
            let body = r.bytes()?;
            match sql::types::tsquery::recv(body) {
                Ok((q, used)) if used == body.len() => Value::TsQuery(q),
                _ => return Err(r.fail("tsquery body")),
            }
        }
        TAG_JSON => Value::Json(r.string()?),
        TAG_JSONB => {
            let body = r.bytes()?;
            Value::Jsonb(jsonb::decode(body)?)
        }
        TAG_ARRAY => {
            if depth > MAX_DEPTH {
                return Err(r.fail("array nested too deeply"));
            }
            let ndims = r.u8()? as usize;
            if ndims > MAX_DIMS {
                return Err(r.fail(format!("{ndims} array dimensions")));
            }
            let mut dims = Vec::with_capacity(ndims);
            let mut total: u64 = if ndims == 0 { 0 } else { 1 };
            for _ in 0..ndims {
                let len = r.i32()?;
                let lower = r.i32()?;
                let len_u = u64::try_from(len).map_err(|_| r.fail("negative array length"))?;
                total = total.saturating_mul(len_u);
                dims.push((len, lower));
            }
            let count = u64::from(r.u32()?);
            if count != total || (ndims > 0 && total == 0) {
                return Err(r.fail(format!("array of {count} items for dimensions {dims:?}")));
            }
            if count > (r.buf.len() - r.pos) as u64 {
                return Err(r.fail("array longer than its row"));
            }
            let mut items = Vec::with_capacity(count as usize);
            for _ in 0..count {
                items.push(decode_value(r, depth + 1)?);
            }
            if items.iter().any(|i| matches!(i, Value::Array(_))) {
                return Err(r.fail("nested array value"));
            }
            Value::Array(StoredArray { dims, items })
        }
        TAG_RECORD => {
            if depth > MAX_DEPTH {
                return Err(r.fail("record nested too deeply"));
            }
            let count = u64::from(r.u32()?);
            if count > (r.buf.len() - r.pos) as u64 {
                return Err(r.fail("record longer than its row"));
            }
            let mut fields = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let oid = r.u32()?;
                fields.push((oid, decode_value(r, depth + 1)?));
            }
            Value::Record(fields)
        }
        t => return Err(r.fail(format!("unknown tag {t}"))),
    })
}

/// Decodes a row written by [`encode_row`].
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>> {
    decode_row_with(bytes, |_, v| v)
}

/// Decodes a row as [`decode_row`] does, each value `i` turned by `f(i, value)` as it is
/// decoded: one vector for the row, none in between (a scan's per-row cost).
pub fn decode_row_with<T>(bytes: &[u8], mut f: impl FnMut(usize, Value) -> T) -> Result<Vec<T>> {
    let mut r = Reader::new(bytes, "row");
    let n = u16::from_le_bytes(r.array()?) as usize;
    let mut row = Vec::with_capacity(n.min(bytes.len()));
    for i in 0..n {
        row.push(f(i, decode_value(&mut r, 0)?));
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

    /// Any numeric, including NaN and the infinities, with scales up to 30.
    pub(crate) fn any_numeric() -> impl Strategy<Value = Numeric> {
        prop_oneof![
            8 => (any::<i128>(), 0i64..30).prop_map(|(i, s)| Numeric::Finite(BigDecimal::new(i.into(), s))),
            2 => (-1000i64..1000, 0i64..4).prop_map(|(i, s)| Numeric::Finite(BigDecimal::new(i.into(), s))),
            1 => Just(Numeric::NaN),
            1 => Just(Numeric::Infinity),
            1 => Just(Numeric::NegInfinity),
        ]
    }

    /// Any scalar value, for property tests (also used by keycodec's).
    pub(crate) fn any_scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i16>().prop_map(Value::Int2),
            any::<i32>().prop_map(Value::Int4),
            any::<i64>().prop_map(Value::Int8),
            any::<f64>().prop_map(Value::Float8),
            prop_oneof![any::<String>(), "[a\u{0}\u{1}\u{ff}é]{0,6}".prop_map(|s| s)]
                .prop_map(Value::Text),
            any_numeric().prop_map(Value::Numeric),
            any::<i32>().prop_map(Value::Date),
            any::<i64>().prop_map(Value::Time),
            any::<i64>().prop_map(Value::Timestamp),
            any::<i64>().prop_map(Value::Timestamptz),
            (any::<i32>(), any::<i32>(), any::<i64>())
                .prop_map(|(m, d, u)| Value::Interval(Interval::new(m, d, u))),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytea),
            any::<[u8; 16]>().prop_map(Value::Uuid),
            (any::<i64>(), any::<i32>()).prop_map(|(t, z)| Value::TimeTz(t, z)),
            (any::<bool>(), any::<u8>(), any::<bool>(), any::<[u8; 16]>()).prop_map(
                |(v6, bits, cidr, addr)| {
                    let (family, max, len) = if v6 { (3, 128, 16) } else { (2, 32, 4) };
                    Value::Inet(
                        sql::types::inet::Inet::from_parts(
                            family,
                            bits % (max + 1),
                            cidr,
                            &addr[..len],
                        )
                        .expect("a valid inet"),
                    )
                }
            ),
            "[a-z{}:,\\[\\]0-9\" ]{0,12}".prop_map(Value::Json),
            jsonb::tests::any_jsonb().prop_map(Value::Jsonb),
            (
                0u8..6,
                any::<Option<i64>>(),
                any::<Option<i64>>(),
                any::<u8>(),
                any::<bool>()
            )
                .prop_map(|(kind, lo, hi, inc, empty)| {
                    use sql::types::range::{EMPTY, LB_INF, UB_INF};
                    let (lo, hi) = if empty { (None, None) } else { (lo, hi) };
                    let mut flags = if empty { EMPTY } else { inc & 0x06 };
                    if !empty && lo.is_none() {
                        flags |= LB_INF;
                    }
                    if !empty && hi.is_none() {
                        flags |= UB_INF;
                    }
                    Value::Range(StoredRange {
                        kind,
                        flags,
                        lower: lo.map(|i| Box::new(Value::Int8(i))),
                        upper: hi.map(|i| Box::new(Value::Int8(i))),
                    })
                }),
        ]
    }

    /// Any value, arrays of scalars and records (of scalars and records) included.
    pub(crate) fn any_value() -> impl Strategy<Value = Value> {
        let record = any_scalar().prop_recursive(2, 8, 3, |inner| {
            proptest::collection::vec((any::<u32>(), inner), 0..3).prop_map(Value::Record)
        });
        let ts = prop_oneof![Just("a:1A,3 b 'c d':2"), Just(""), Just("x:16383")]
            .prop_map(|t| Value::TsVector(sql::types::tsvector::parse(t).expect("a tsvector")));
        let tq = prop_oneof![Just("a & !(b <2> c:*A)"), Just("x | y")]
            .prop_map(|t| Value::TsQuery(sql::types::tsquery::parse(t).expect("a tsquery")));
        prop_oneof![
            6 => any_scalar(),
            1 => ts,
            1 => tq,
            1 => record,
            1 => proptest::collection::vec(any_scalar(), 0..5).prop_map(|items| {
                let dims = if items.is_empty() { vec![] } else { vec![(items.len() as i32, 1)] };
                Value::Array(StoredArray { dims, items })
            }),
        ]
    }

    /// Equality that treats NaN as equal to NaN (bit-exact floats) and compares numerics
    /// with their scale.
    fn same(a: &[Value], b: &[Value]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (Value::Float8(f), Value::Float8(g)) => f.to_bits() == g.to_bits(),
                (Value::Numeric(m), Value::Numeric(n)) => m.to_string() == n.to_string(),
                (Value::Interval(i), Value::Interval(j)) => {
                    (i.months, i.days, i.micros) == (j.months, j.days, j.micros)
                }
                (Value::Array(p), Value::Array(q)) => p.dims == q.dims && same(&p.items, &q.items),
                (Value::Record(p), Value::Record(q)) => {
                    p.len() == q.len()
                        && p.iter().zip(q).all(|((o, x), (u, y))| {
                            o == u && same(std::slice::from_ref(x), std::slice::from_ref(y))
                        })
                }
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

        #[test]
        fn truncations_never_panic(row in proptest::collection::vec(any_value(), 1..4), cut in any::<prop::sample::Index>()) {
            let bytes = encode_row(&row);
            let cut = cut.index(bytes.len());
            prop_assert!(decode_row(&bytes[..cut]).is_err());
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
        // an array claiming more items than its dimensions hold
        assert!(
            decode_row(&[1, 0, TAG_ARRAY, 1, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0]).is_err()
        );
        // a numeric with a bad sign byte
        assert!(decode_row(&[1, 0, TAG_NUMERIC, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0]).is_err());
    }
}
