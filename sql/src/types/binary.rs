//! PostgreSQL's binary send/receive formats (`typsend`/`typreceive`), used by the wire
//! protocol's binary format for parameters and results:
//!
//! | type                          | format                                                |
//! |-------------------------------|-------------------------------------------------------|
//! | bool, `"char"`                | 1 byte                                                |
//! | int2/int4/int8, oid, reg*     | big-endian integer (oid and reg* unsigned 32-bit)     |
//! | float4/float8                 | big-endian IEEE 754                                   |
//! | numeric                       | ndigits, weight, sign, dscale (i16/u16), base-10000 digits |
//! | text, varchar, bpchar, name, json | UTF-8 bytes                                       |
//! | bytea                         | the bytes                                             |
//! | uuid                          | 16 bytes                                              |
//! | inet, cidr                    | family (2 IPv4, 3 IPv6), bits, is_cidr (the type's), address length, address bytes |
//! | range types                   | flags byte (empty 1, `[` 2, `]` 4, lower infinite 8, upper infinite 16), then each finite bound as i32 length + its binary form |
//! | date                          | i32 days since 2000-01-01                             |
//! | time, timestamp, timestamptz  | i64 microseconds                                      |
//! | timetz                        | i64 microseconds, i32 zone (seconds west of UTC)      |
//! | interval                      | i64 microseconds, i32 days, i32 months                |
//! | jsonb                         | version byte 1, then the text                         |
//! | enum types                    | the label's UTF-8 bytes                               |
//! | record, composite types       | field count, then per field its type OID, i32 length (-1: NULL) and bytes (only composite types are read) |
//! | arrays                        | ndim, has-nulls flag, element OID, (length, lower bound) per dimension, then each item as i32 length (-1: NULL) + its bytes |
//!
//! [`recv`] never panics on malformed input: it fails with 22P03.

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, Zero};

use super::array::{Array, Dim, MAX_DIMS};
use super::oid::RegKind;
use super::{DataType, Numeric, Value, cast};
use crate::{Error, Result};

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;

/// The binary form of a non-NULL value of type `ty`.
pub fn send(v: &Value, ty: DataType) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, v, ty);
    out
}

fn write(out: &mut Vec<u8>, v: &Value, ty: DataType) {
    // int2vector / oidvector travel as one-dimensional arrays with lower bound 0.
    if let Some(elem) = super::vector::elem(ty)
        && let Ok(items) = super::vector::items(v)
    {
        let len = items.len() as i32;
        let a = super::Array {
            dims: vec![super::array::Dim { len, lower: 0 }],
            items,
        };
        return write(out, &Value::Array(Box::new(a)), DataType::array_of(elem));
    }
    match (v, ty) {
        (Value::Bool(b), _) => out.push(u8::from(*b)),
        (Value::Int(i), DataType::Int2) => out.extend_from_slice(&(*i as i16).to_be_bytes()),
        (Value::Int(i), DataType::Int4) => out.extend_from_slice(&(*i as i32).to_be_bytes()),
        (
            Value::Int(i),
            DataType::Oid
            | DataType::RegClass
            | DataType::RegType
            | DataType::RegProc
            | DataType::RegProcedure
            | DataType::RegNamespace
            | DataType::RegRole
            | DataType::RegConfig
            | DataType::Xid
            | DataType::Cid,
        ) => out.extend_from_slice(&(*i as u32).to_be_bytes()),
        (Value::Int(i), _) => out.extend_from_slice(&i.to_be_bytes()),
        (Value::Reg(_, o), _) => out.extend_from_slice(&o.to_be_bytes()),
        (Value::TsVector(v), _) => super::tsvector::send(v, out),
        (Value::TsQuery(q), _) => super::tsquery::send(q, out),
        (Value::Tid(b, o), _) => {
            out.extend_from_slice(&b.to_be_bytes());
            out.extend_from_slice(&o.to_be_bytes());
        }
        (Value::Float(f), DataType::Float4) => out.extend_from_slice(&(*f as f32).to_be_bytes()),
        (Value::Float(f), _) => out.extend_from_slice(&f.to_be_bytes()),
        (Value::Float4(f), DataType::Float8) => out.extend_from_slice(&f64::from(*f).to_be_bytes()),
        (Value::Float4(f), _) => out.extend_from_slice(&f.to_be_bytes()),
        (Value::Numeric(n), _) => write_numeric(out, n),
        // jsonpath: version byte 1 and the text, as PostgreSQL's `jsonpath_send`.
        (Value::Text(s), DataType::JsonPath) => {
            out.push(1);
            out.extend_from_slice(s.as_bytes());
        }
        (Value::Text(s), DataType::Char) => out.extend_from_slice(&s.as_bytes()[..s.len().min(1)]),
        (Value::Text(s) | Value::Bpchar(s) | Value::Json(s), _) => {
            out.extend_from_slice(s.as_bytes())
        }
        (Value::Bytea(b), _) => out.extend_from_slice(b),
        (Value::Uuid(u), _) => out.extend_from_slice(u),
        (Value::Inet(i), _) => {
            let bytes = i.bytes();
            out.extend_from_slice(&[
                i.family_code(),
                i.bits,
                u8::from(ty == DataType::Cidr),
                bytes.len() as u8,
            ]);
            out.extend_from_slice(bytes);
        }
        (Value::Range(rg), _) => {
            out.push(rg.flags());
            for b in [&rg.lower, &rg.upper] {
                if let Some(v) = b.val.as_ref().filter(|_| !rg.empty) {
                    let mut body = Vec::new();
                    write(&mut body, v, rg.kind.subtype());
                    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
                    out.extend_from_slice(&body);
                }
            }
        }
        (Value::Date(d), _) => out.extend_from_slice(&d.to_be_bytes()),
        (Value::Time(t) | Value::Timestamp(t) | Value::Timestamptz(t), _) => {
            out.extend_from_slice(&t.to_be_bytes())
        }
        (Value::TimeTz(t, z), _) => {
            out.extend_from_slice(&t.to_be_bytes());
            out.extend_from_slice(&z.to_be_bytes());
        }
        (Value::Interval(i), _) => {
            out.extend_from_slice(&i.micros.to_be_bytes());
            out.extend_from_slice(&i.days.to_be_bytes());
            out.extend_from_slice(&i.months.to_be_bytes());
        }
        (Value::Jsonb(j), _) => {
            out.push(1);
            out.extend_from_slice(j.to_string().as_bytes());
        }
        (Value::Array(a), _) => {
            let elem = ty.elem().unwrap_or(DataType::Text);
            out.extend_from_slice(&(a.dims.len() as i32).to_be_bytes());
            out.extend_from_slice(&i32::from(a.has_nulls()).to_be_bytes());
            out.extend_from_slice(&elem.oid().to_be_bytes());
            for d in &a.dims {
                out.extend_from_slice(&d.len.to_be_bytes());
                out.extend_from_slice(&d.lower.to_be_bytes());
            }
            for item in &a.items {
                if item.is_null() {
                    out.extend_from_slice(&(-1i32).to_be_bytes());
                } else {
                    let at = out.len();
                    out.extend_from_slice(&[0; 4]);
                    write(out, item, elem);
                    let len = (out.len() - at - 4) as i32;
                    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
                }
            }
        }
        (Value::Record(r), _) => super::record::send(r, out),
        (Value::Enum(e), _) => out.extend_from_slice(super::enums::label_text(e.oid).as_bytes()),
        (Value::Null, _) => {}
    }
}

/// A finite numeric's base-10000 digits (most significant first, no leading or trailing
/// zero digits) and the weight of the first one.
fn nbase_digits(d: &BigDecimal) -> (Vec<i16>, i16) {
    let (int, scale) = d.as_bigint_and_exponent();
    if int.is_zero() {
        return (Vec::new(), 0);
    }
    let scale = scale.max(0);
    let padded = (scale + 3) / 4 * 4;
    let mut n =
        int.magnitude().clone() * BigInt::from(10u8).pow((padded - scale) as u32).magnitude();
    let mut digits = Vec::new();
    let base = bigdecimal::num_bigint::BigUint::from(10_000u32);
    while !n.is_zero() {
        let r = &n % &base;
        digits.push(r.iter_u32_digits().next().unwrap_or(0) as i16);
        n /= &base;
    }
    digits.reverse();
    let weight = digits.len() as i64 - 1 - padded / 4;
    let lead = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..lead);
    let weight = weight - lead as i64;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    (
        digits,
        weight.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16,
    )
}

fn write_numeric(out: &mut Vec<u8>, n: &Numeric) {
    let (digits, weight, sign, dscale) = match n {
        Numeric::NaN => (Vec::new(), 0, NUMERIC_NAN, 0),
        Numeric::Infinity => (Vec::new(), 0, NUMERIC_PINF, 0),
        Numeric::NegInfinity => (Vec::new(), 0, NUMERIC_NINF, 0),
        Numeric::Finite(d) => {
            let (digits, weight) = nbase_digits(d);
            let sign = if d.sign() == Sign::Minus {
                NUMERIC_NEG
            } else {
                NUMERIC_POS
            };
            (
                digits,
                weight,
                sign,
                d.fractional_digit_count().max(0) as u16,
            )
        }
    };
    out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
}

fn bad(ty: DataType) -> Error {
    Error::InvalidBinaryRepresentation(format!(
        "incorrect binary data format in bind parameter of type {}",
        ty.name()
    ))
}

/// A bounds-checked reader.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    ty: DataType,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| {
            Error::InvalidBinaryRepresentation("insufficient data left in message".into())
        })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| bad(self.ty))
    }

    fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
}

/// Decodes a binary-format value of type `ty` (parameters), applying its type modifier.
pub fn recv(raw: &[u8], ty: DataType) -> Result<Value> {
    let mut r = Reader {
        buf: raw,
        pos: 0,
        ty,
    };
    let v = read(&mut r, ty)?;
    if r.pos != raw.len() {
        return Err(bad(ty));
    }
    cast::apply_typmod(v, ty, false)
}

fn utf8(b: &[u8], ty: DataType) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| {
        Error::InvalidBinaryRepresentation(format!(
            "invalid UTF-8 in a binary parameter of type {}",
            ty.name()
        ))
    })
}

fn read(r: &mut Reader<'_>, ty: DataType) -> Result<Value> {
    use DataType::*;
    Ok(match ty {
        Bool => Value::Bool(r.array::<1>()?[0] != 0),
        Int2 => Value::Int(i64::from(r.i16()?)),
        Int4 => Value::Int(i64::from(r.i32()?)),
        Int8 => Value::Int(i64::from_be_bytes(r.array()?)),
        Xid8 => Value::Int(i64::from_be_bytes(r.array()?)),
        Oid | Xid | Cid => Value::Int(i64::from(u32::from_be_bytes(r.array()?))),
        Tid => Value::Tid(
            u32::from_be_bytes(r.array()?),
            u16::from_be_bytes(r.array()?),
        ),
        RegClass => Value::Reg(RegKind::Class, u32::from_be_bytes(r.array()?)),
        RegType => Value::Reg(RegKind::Type, u32::from_be_bytes(r.array()?)),
        RegProc => Value::Reg(RegKind::Proc, u32::from_be_bytes(r.array()?)),
        RegProcedure => Value::Reg(RegKind::Procedure, u32::from_be_bytes(r.array()?)),
        RegNamespace => Value::Reg(RegKind::Namespace, u32::from_be_bytes(r.array()?)),
        RegRole => Value::Reg(RegKind::Role, u32::from_be_bytes(r.array()?)),
        RegConfig => Value::Reg(RegKind::Config, u32::from_be_bytes(r.array()?)),
        TsVector => {
            let (v, used) = super::tsvector::recv(r.rest())?;
            if used != r.rest().len() {
                return Err(Error::InvalidBinaryRepresentation(
                    "incorrect binary data format".into(),
                ));
            }
            Value::TsVector(Box::new(v))
        }
        TsQuery => {
            let (q, used) = super::tsquery::recv(r.rest())?;
            if used != r.rest().len() {
                return Err(Error::InvalidBinaryRepresentation(
                    "incorrect binary data format".into(),
                ));
            }
            Value::TsQuery(Box::new(q))
        }
        Float4 => Value::Float4(f32::from_be_bytes(r.array()?)),
        Float8 => Value::Float(f64::from_be_bytes(r.array()?)),
        Numeric(_) => Value::numeric(read_numeric(r)?),
        Text | Varchar(_) | Name | Refcursor | Unknown => Value::Text(utf8(r.rest(), ty)?),
        Bpchar(_) => Value::Bpchar(utf8(r.rest(), ty)?),
        Char => Value::Text(utf8(r.rest(), ty)?),
        Json => {
            let s = utf8(r.rest(), ty)?;
            super::json::validate_json(&s)?;
            Value::Json(s)
        }
        Jsonb => {
            if r.array::<1>()? != [1] {
                return Err(Error::InvalidBinaryRepresentation(
                    "unsupported jsonb version number".into(),
                ));
            }
            Value::Jsonb(Box::new(super::Jsonb::parse(&utf8(r.rest(), ty)?)?))
        }
        JsonPath => {
            if r.array::<1>()? != [1] {
                return Err(Error::InvalidBinaryRepresentation(
                    "unsupported jsonpath version number".into(),
                ));
            }
            Value::Text(super::jsonpath_print::normalize(&utf8(r.rest(), ty)?)?)
        }
        Bytea => Value::Bytea(r.rest().to_vec()),
        Record => return Err(super::record::anonymous_input()),
        Composite(oid) => read_record(r, oid)?,
        Enum(oid) => super::enums::parse(&utf8(r.rest(), ty)?, oid)?,
        Int2Vector | OidVector => {
            return Err(Error::InvalidBinaryRepresentation(format!(
                "binary input of {} is not supported",
                ty.name()
            )));
        }
        Uuid => Value::Uuid(r.array()?),
        Inet | Cidr => Value::Inet(read_inet(r, ty == Cidr)?),
        Range(k) => Value::Range(Box::new(read_range(r, k)?)),
        Date => Value::Date(r.i32()?),
        Time(_) => {
            let t = i64::from_be_bytes(r.array()?);
            if !(0..=super::datetime::USECS_PER_DAY).contains(&t) {
                return Err(Error::DatetimeFieldOverflow("time out of range".into()));
            }
            Value::Time(t)
        }
        TimeTz(_) => {
            let t = i64::from_be_bytes(r.array()?);
            let (t, z) = super::datetime::timetz::check(t, r.i32()?)?;
            Value::TimeTz(t, z)
        }
        Timestamp(_) => Value::Timestamp(super::datetime::check_timestamp(i64::from_be_bytes(
            r.array()?,
        ))?),
        Timestamptz(_) => Value::Timestamptz(super::datetime::check_timestamp(
            i64::from_be_bytes(r.array()?),
        )?),
        Interval => {
            let micros = i64::from_be_bytes(r.array()?);
            let days = r.i32()?;
            let months = r.i32()?;
            Value::Interval(super::Interval::new(months, days, micros))
        }
        Array(e) => Value::Array(Box::new(read_array(r, e.get())?)),
    })
}

/// `range_recv`: the flags byte, then each finite bound as its length and binary form.
fn read_range(r: &mut Reader<'_>, kind: super::range::RangeKind) -> Result<super::range::Range> {
    use super::range::{Bound, EMPTY, LB_INC, LB_INF, UB_INC, UB_INF, make};
    let [flags] = r.array::<1>()?;
    let empty = flags & EMPTY != 0;
    let sub = kind.subtype();
    let mut bound = |inf: u8, inc: u8, lower: bool| -> Result<Bound> {
        if empty || flags & inf != 0 {
            return Ok(Bound::infinite(lower));
        }
        let len = usize::try_from(r.i32()?).map_err(|_| bad(r.ty))?;
        let body = r.take(len)?;
        let mut inner = Reader {
            buf: body,
            pos: 0,
            ty: sub,
        };
        let v = read(&mut inner, sub)?;
        if inner.pos != body.len() {
            return Err(bad(r.ty));
        }
        Ok(Bound {
            val: Some(v),
            inclusive: flags & inc != 0,
            lower,
        })
    };
    let lower = bound(LB_INF, LB_INC, true)?;
    let upper = bound(UB_INF, UB_INC, false)?;
    make(kind, lower, upper, empty)
}

/// `network_recv`: family, bits, the ignored is_cidr byte, length and address.
fn read_inet(r: &mut Reader<'_>, cidr: bool) -> Result<super::inet::Inet> {
    let name = if cidr { "cidr" } else { "inet" };
    let [family, bits, _, nb] = r.array::<4>()?;
    let invalid = |what: &str| {
        Error::InvalidBinaryRepresentation(format!("invalid {what} in external \"{name}\" value"))
    };
    let max = match family {
        2 => 32,
        3 => 128,
        _ => return Err(invalid("address family")),
    };
    if bits > max {
        return Err(invalid("bits"));
    }
    if usize::from(nb) != usize::from(max / 8) {
        return Err(invalid("length"));
    }
    let bytes = r.take(usize::from(nb))?;
    let v = super::inet::Inet::from_parts(family, bits, cidr, bytes)
        .ok_or_else(|| invalid("length"))?;
    if cidr && v.to_u128() & v.host_mask() != 0 {
        return Err(Error::InvalidBinaryRepresentation(
            "invalid external \"cidr\" value".into(),
        ));
    }
    Ok(v)
}

fn read_numeric(r: &mut Reader<'_>) -> Result<Numeric> {
    let ndigits = r.i16()?;
    let weight = r.i16()?;
    let sign = u16::from_be_bytes(r.array()?);
    let dscale = u16::from_be_bytes(r.array()?);
    let invalid = |what: &str| {
        Error::InvalidBinaryRepresentation(format!("invalid {what} in external \"numeric\" value"))
    };
    if ndigits < 0 {
        return Err(invalid("length"));
    }
    match sign {
        NUMERIC_NAN => return Ok(Numeric::NaN),
        NUMERIC_PINF => return Ok(Numeric::Infinity),
        NUMERIC_NINF => return Ok(Numeric::NegInfinity),
        NUMERIC_POS | NUMERIC_NEG => {}
        _ => return Err(invalid("sign")),
    }
    if i64::from(dscale) > super::numeric::MAX_SCALE {
        return Err(invalid("scale"));
    }
    let mut int = BigInt::zero();
    for _ in 0..ndigits {
        let d = r.i16()?;
        if !(0..10_000).contains(&d) {
            return Err(invalid("digit"));
        }
        int = int * 10_000u32 + BigInt::from(d);
    }
    if sign == NUMERIC_NEG {
        int = -int;
    }
    // value = int * 10000^(weight - ndigits + 1)
    let exp4 = i64::from(weight) - i64::from(ndigits) + 1;
    let value = if exp4 >= 0 {
        BigDecimal::new(int * BigInt::from(10u8).pow((4 * exp4) as u32), 0)
    } else {
        BigDecimal::new(int, -4 * exp4)
    };
    let n = Numeric::Finite(value.with_scale(i64::from(dscale)));
    n.checked()
}

/// `record_recv` for composite type `oid`: the field count and each field's type OID must
/// be the type's (42804, PostgreSQL's messages).
fn read_record(r: &mut Reader<'_>, oid: u32) -> Result<Value> {
    let ty = super::record::fields_of(oid)?;
    let count = r.i32()?;
    if count != ty.fields.len() as i32 {
        return Err(Error::DatatypeMismatch(format!(
            "wrong number of columns: {count}, expected {}",
            ty.fields.len()
        )));
    }
    let mut values = Vec::with_capacity(ty.fields.len());
    for (_, field) in &ty.fields {
        let got = u32::from_be_bytes(r.array()?);
        if got != field.oid() {
            return Err(Error::DatatypeMismatch(format!(
                "wrong data type: {got}, expected {}",
                field.oid()
            )));
        }
        let len = r.i32()?;
        if len == -1 {
            values.push(Value::Null);
            continue;
        }
        let len = usize::try_from(len).map_err(|_| bad(*field))?;
        values.push(recv(r.take(len)?, *field)?);
    }
    let types: Vec<DataType> = ty.fields.iter().map(|(_, t)| *t).collect();
    Ok(Value::Record(Box::new(super::Record {
        types: types.into(),
        values,
        type_oid: oid,
    })))
}

fn read_array(r: &mut Reader<'_>, elem: DataType) -> Result<Array> {
    let ndim = r.i32()?;
    let flags = r.i32()?;
    let _elem_oid = r.array::<4>()?;
    if !(0..=MAX_DIMS as i32).contains(&ndim) || !(0..=1).contains(&flags) {
        return Err(Error::InvalidBinaryRepresentation(format!(
            "invalid number of dimensions: {ndim}"
        )));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    let mut total: i64 = 1;
    for _ in 0..ndim {
        let len = r.i32()?;
        let lower = r.i32()?;
        if len < 0 {
            return Err(Error::InvalidBinaryRepresentation(
                "array size exceeds the maximum allowed".into(),
            ));
        }
        total = total.saturating_mul(i64::from(len));
        dims.push(Dim { len, lower });
    }
    if ndim == 0 || total == 0 {
        return Ok(Array::empty());
    }
    if total > (r.buf.len() as i64) {
        return Err(Error::InvalidBinaryRepresentation(
            "insufficient data left in message".into(),
        ));
    }
    let mut items = Vec::with_capacity(total as usize);
    for _ in 0..total {
        let len = r.i32()?;
        if len == -1 {
            items.push(Value::Null);
            continue;
        }
        let len = usize::try_from(len).map_err(|_| bad(elem))?;
        let bytes = r.take(len)?;
        items.push(recv(bytes, elem)?);
    }
    Ok(Array { dims, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::range::RangeKind;
    use crate::types::{Interval, Jsonb};

    fn round_trip(v: Value, ty: DataType) -> Value {
        recv(&send(&v, ty), ty).unwrap()
    }

    #[test]
    fn numerics_use_base_10000() {
        let n = |s: &str| Value::numeric(Numeric::parse(s).unwrap());
        // 12345.678 → digits [1, 2345, 6780], weight 1, dscale 3
        assert_eq!(
            send(&n("12345.678"), DataType::Numeric(None)),
            vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
        assert_eq!(
            send(&n("0"), DataType::Numeric(None)),
            vec![0, 0, 0, 0, 0, 0, 0, 0]
        );
        for s in [
            "0",
            "1.50",
            "-0.0001",
            "123456789012345678901234567890.123",
            "1e20",
            "NaN",
            "-Infinity",
            "0.00",
        ] {
            let v = n(s);
            let back = round_trip(v.clone(), DataType::Numeric(None));
            assert_eq!(back.to_string(), v.to_string(), "{s}");
        }
    }

    #[test]
    fn inet_uses_postgresqls_layout() {
        let v = Value::Inet(super::super::inet::parse("10.1.2.3/8", false).unwrap());
        assert_eq!(send(&v, DataType::Inet), [2, 8, 0, 4, 10, 1, 2, 3]);
        let c = Value::Inet(super::super::inet::parse("2001:db8::/32", true).unwrap());
        let bytes = send(&c, DataType::Cidr);
        assert_eq!(bytes[..6], [3, 32, 1, 16, 0x20, 0x01]);
        assert_eq!(
            recv(&bytes, DataType::Cidr).unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(round_trip(v.clone(), DataType::Inet), v);
        for bad in [
            &[4u8, 8, 0, 4, 10, 1, 2, 3][..],
            &[2, 33, 0, 4, 10, 1, 2, 3],
            &[2, 8, 0, 16, 10],
        ] {
            assert_eq!(recv(bad, DataType::Inet).unwrap_err().code(), "22P03");
        }
        // a cidr with host bits set is refused
        assert!(recv(&[2, 8, 1, 4, 10, 1, 2, 3], DataType::Cidr).is_err());
    }

    fn range_case(kind: RangeKind, text: &str) -> (Value, DataType) {
        let r = super::super::range::parse(kind, text).unwrap();
        (Value::Range(Box::new(r)), DataType::Range(kind))
    }

    #[test]
    fn every_type_round_trips() {
        let cases = [
            (Value::Int(-5), DataType::Int2),
            (Value::Int(4_000_000_000), DataType::Oid),
            (Value::Reg(RegKind::Type, 23), DataType::RegType),
            (Value::Date(-3), DataType::Date),
            (Value::Timestamp(123), DataType::Timestamp(None)),
            (Value::Interval(Interval::new(1, 2, 3)), DataType::Interval),
            (Value::Uuid([7; 16]), DataType::Uuid),
            (Value::TimeTz(45_296_000_000, -7200), DataType::TimeTz(None)),
            (Value::Bytea(vec![0, 1, 255]), DataType::Bytea),
            (
                Value::Jsonb(Box::new(Jsonb::parse(r#"{"a": [1, 2.50]}"#).unwrap())),
                DataType::Jsonb,
            ),
            (
                Value::Array(Box::new(Array::from_items(vec![
                    Value::Int(1),
                    Value::Null,
                ]))),
                DataType::array_of(DataType::Int4),
            ),
            (
                Value::Array(Box::new(Array::empty())),
                DataType::array_of(DataType::Text),
            ),
            range_case(RangeKind::Date, "[2020-01-01,)"),
            range_case(RangeKind::Num, "(1.5,2.25]"),
            range_case(RangeKind::Tstz, "empty"),
        ];
        for (v, ty) in cases {
            assert_eq!(round_trip(v.clone(), ty), v, "{ty}");
        }
        assert_eq!(
            recv(&[1, 2, 3], DataType::Int4).unwrap_err().code(),
            "22P03"
        );
        assert!(
            recv(
                &[0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 23],
                DataType::array_of(DataType::Int4)
            )
            .is_err()
        );
    }
}
