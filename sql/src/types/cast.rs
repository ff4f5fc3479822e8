//! Casts between [`DataType`]s and parsing of text input, with PostgreSQL's errors.
//!
//! * [`parse_text`] is the input function of each type (`'42'::int4`, text parameters,
//!   string literals assigned to typed columns): 22P02 on malformed input, 22003 when out of
//!   range, 22007 / 22008 for dates and times.
//! * [`cast`] converts a value between types. `explicit` distinguishes `CAST`/`::` from
//!   assignment: an explicit cast to `varchar(n)` / `char(n)` truncates, an assignment raises
//!   22001. Which casts exist, and in which contexts, is [`super::coerce`]'s business.
//! * [`apply_typmod`] coerces a value to its type's modifier (`numeric(p,s)`, `varchar(n)`,
//!   `char(n)`, `timestamp(p)`).
//! * [`check_int`] is the width check every integer-producing operation goes through.

use super::coerce::{self, CastContext};
use super::datetime::{self, arith, parse as dt};
use super::{Array, DataType, Interval, Jsonb, Numeric, Value, bpchar, oid};
use crate::{Error, Result};

/// Checks that `v` fits the integer type `ty` ("integer out of range" otherwise).
pub fn check_int(v: i64, ty: DataType) -> Result<i64> {
    let ok = match ty {
        DataType::Int2 => i16::try_from(v).is_ok(),
        DataType::Int4 => i32::try_from(v).is_ok(),
        DataType::Oid => u32::try_from(v).is_ok(),
        _ => true,
    };
    if ok { Ok(v) } else { Err(int_out_of_range(ty)) }
}

/// PostgreSQL's "integer out of range" error for an integer type.
pub fn int_out_of_range(ty: DataType) -> Error {
    let name = match ty {
        DataType::Int2 => "smallint",
        DataType::Int8 => "bigint",
        DataType::Oid => "OID",
        _ => "integer",
    };
    Error::NumericValueOutOfRange(format!("{name} out of range"))
}

fn invalid_input(ty: DataType, s: &str) -> Error {
    Error::InvalidTextRepresentation(format!(
        "invalid input syntax for type {}: \"{s}\"",
        ty.name()
    ))
}

/// `name` values hold at most 63 bytes (NAMEDATALEN - 1), cut at a character boundary.
fn truncate_name(mut s: String) -> String {
    if s.len() > 63 {
        let mut end = 63;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The input function of `ty`: parses PostgreSQL's text representation.
pub fn parse_text(ty: DataType, s: &str) -> Result<Value> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    match ty {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => {
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid_input(ty, s));
            }
            let out_of_range = || {
                Error::NumericValueOutOfRange(format!(
                    "value \"{s}\" is out of range for type {}",
                    ty.name()
                ))
            };
            let v: i64 = t.parse().map_err(|_| out_of_range())?;
            check_int(v, ty).map(Value::Int).map_err(|_| out_of_range())
        }
        DataType::Float4 => match parse_text(DataType::Float8, s) {
            Ok(Value::Float(v)) => {
                // float4in rejects overflow and underflow to zero (denormals are fine).
                if (v.is_finite() && !(v as f32).is_finite()) || (v != 0.0 && v as f32 == 0.0) {
                    return Err(Error::NumericValueOutOfRange(format!(
                        "\"{s}\" is out of range for type real"
                    )));
                }
                Ok(Value::Float4(v as f32))
            }
            Err(Error::InvalidTextRepresentation(_)) => Err(invalid_input(ty, s)),
            Err(Error::NumericValueOutOfRange(_)) => Err(Error::NumericValueOutOfRange(format!(
                "\"{s}\" is out of range for type real"
            ))),
            other => other,
        },
        DataType::Float8 => {
            let lower = t.to_ascii_lowercase();
            let v = match lower.as_str() {
                "nan" => f64::NAN,
                "infinity" | "+infinity" | "inf" | "+inf" => f64::INFINITY,
                "-infinity" | "-inf" => f64::NEG_INFINITY,
                _ => {
                    let ok = !lower.is_empty()
                        && lower
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b"+-.e".contains(&b))
                        && lower.bytes().any(|b| b.is_ascii_digit());
                    let v: f64 = if ok {
                        lower.parse().map_err(|_| invalid_input(ty, s))?
                    } else {
                        return Err(invalid_input(ty, s));
                    };
                    // strtod's ERANGE: overflow, or a non-zero mantissa that underflows to 0.
                    let mantissa = lower.split('e').next().unwrap_or("");
                    let underflow =
                        v == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
                    if v.is_infinite() || underflow {
                        return Err(Error::NumericValueOutOfRange(format!(
                            "\"{s}\" is out of range for type double precision"
                        )));
                    }
                    v
                }
            };
            Ok(Value::Float(v))
        }
        DataType::Numeric(m) => {
            let n = Numeric::parse(s)?;
            Ok(Value::numeric(match m {
                Some(m) => n.apply_typmod(m)?,
                None => n,
            }))
        }
        DataType::Bool => {
            let lower = t.to_ascii_lowercase();
            let b = match lower.as_str() {
                "1" => true,
                "0" => false,
                "on" => true,
                "of" | "off" => false,
                l if !l.is_empty() && "true".starts_with(l) => true,
                l if !l.is_empty() && "false".starts_with(l) => false,
                l if !l.is_empty() && "yes".starts_with(l) => true,
                l if !l.is_empty() && "no".starts_with(l) => false,
                _ => {
                    return Err(invalid_input(ty, s));
                }
            };
            Ok(Value::Bool(b))
        }
        DataType::Text | DataType::Unknown => Ok(Value::Text(s.to_string())),
        DataType::Varchar(n) => fit_varchar(s.to_string(), n, false),
        DataType::Bpchar(n) => Ok(Value::Bpchar(bpchar::fit(s, n, false)?)),
        DataType::Name => Ok(Value::Text(truncate_name(s.to_string()))),
        DataType::Refcursor => Ok(Value::Text(s.to_string())),
        DataType::Char => Ok(Value::Text(s.chars().take(1).collect())),
        DataType::Bytea => Ok(Value::Bytea(super::bytea::parse(s)?)),
        DataType::Uuid => Ok(Value::Uuid(super::uuid::parse(t)?)),
        DataType::Date => Ok(Value::Date(dt::date(t)?)),
        DataType::Time(p) => Ok(Value::Time(round_time(dt::time(t)?, p))),
        DataType::TimeTz(p) => {
            let (time, zone) = datetime::timetz::parse(t)?;
            Ok(Value::TimeTz(round_time(time, p), zone))
        }
        DataType::Timestamp(p) => Ok(Value::Timestamp(round_timestamp(dt::timestamp(t)?, p)?)),
        DataType::Timestamptz(p) => {
            Ok(Value::Timestamptz(round_timestamp(dt::timestamptz(t)?, p)?))
        }
        DataType::Interval => Ok(Value::Interval(Interval::parse(t)?)),
        DataType::Json => {
            super::json::validate_json(s)?;
            Ok(Value::Json(s.to_string()))
        }
        DataType::Jsonb => Ok(Value::Jsonb(Box::new(Jsonb::parse(s)?))),
        DataType::Oid => Ok(Value::Int(oid::parse_oid(s)?)),
        DataType::RegClass => Ok(Value::Reg(oid::RegKind::Class, oid::parse_regclass(s)?)),
        DataType::RegType => Ok(Value::Reg(oid::RegKind::Type, oid::parse_regtype(s)?)),
        DataType::RegProc => Ok(Value::Reg(oid::RegKind::Proc, oid::parse_regproc(s)?)),
        DataType::RegProcedure => Ok(Value::Reg(
            oid::RegKind::Procedure,
            oid::parse_regprocedure(s)?,
        )),
        DataType::RegNamespace => Ok(Value::Reg(
            oid::RegKind::Namespace,
            oid::parse_regnamespace(s)?,
        )),
        DataType::RegRole => Ok(Value::Reg(oid::RegKind::Role, oid::parse_regrole(s)?)),
        DataType::RegConfig => Ok(Value::Reg(oid::RegKind::Config, oid::parse_regconfig(s)?)),
        DataType::TsVector => Ok(Value::TsVector(Box::new(super::tsvector::parse(s)?))),
        DataType::TsQuery => Ok(Value::TsQuery(Box::new(super::tsquery::parse(s)?))),
        DataType::JsonPath => Ok(Value::Text(super::jsonpath_print::normalize(s)?)),
        DataType::Array(e) => Ok(Value::Array(Box::new(Array::parse(s, e.get())?))),
        DataType::Int2Vector | DataType::OidVector => {
            let items = super::vector::items(&Value::Text(s.to_string()))?;
            let text: Vec<String> = items.iter().map(Value::to_string).collect();
            Ok(Value::Text(text.join(" ")))
        }
        DataType::Record => Err(super::record::anonymous_input()),
        DataType::Composite(oid) => super::record::parse(s, oid),
        DataType::Enum(oid) => super::enums::parse(s, oid),
        DataType::Tid => super::tid::parse_tid(s),
        DataType::Xid | DataType::Cid => Ok(super::tid::parse_xid(s)),
        DataType::Xid8 => Ok(super::tid::parse_xid8(s)),
        DataType::Inet => Ok(Value::Inet(super::inet::parse(s, false)?)),
        DataType::Cidr => Ok(Value::Inet(super::inet::parse(s, true)?)),
        DataType::Range(k) => Ok(Value::Range(Box::new(super::range::parse(k, s)?))),
    }
}

fn fit_varchar(s: String, limit: Option<u32>, explicit: bool) -> Result<Value> {
    let Some(n) = limit else {
        return Ok(Value::Text(s));
    };
    if s.chars().count() <= n as usize {
        return Ok(Value::Text(s));
    }
    // PostgreSQL allows excess trailing spaces on assignment.
    let head: String = s.chars().take(n as usize).collect();
    if explicit || s.chars().skip(n as usize).all(|c| c == ' ') {
        Ok(Value::Text(head))
    } else {
        Err(Error::StringDataRightTruncation(format!(
            "character varying({n})"
        )))
    }
}

/// Scales for rounding to `p` fractional digits of a second.
fn precision_scale(p: u8) -> i64 {
    10i64.pow(6 - u32::from(p.min(6)))
}

/// Rounds a time to `p` fractional digits (half away from zero).
pub fn round_time(t: i64, p: Option<u8>) -> i64 {
    match p {
        Some(p) if p < 6 => {
            let scale = precision_scale(p);
            (t + scale / 2) / scale * scale
        }
        _ => t,
    }
}

/// Rounds a timestamp to `p` fractional digits (half away from zero).
pub fn round_timestamp(t: i64, p: Option<u8>) -> Result<i64> {
    match p {
        Some(p) if p < 6 && datetime::is_finite_ts(t) => {
            let scale = precision_scale(p);
            let r = if t >= 0 {
                (t + scale / 2) / scale * scale
            } else {
                -((-t + scale / 2) / scale * scale)
            };
            datetime::check_timestamp(r)
        }
        _ => Ok(t),
    }
}

/// Coerces a value of type `ty` (without modifier) to `ty`'s modifier.
pub fn apply_typmod(v: Value, ty: DataType, explicit: bool) -> Result<Value> {
    Ok(match (v, ty) {
        (Value::Numeric(n), DataType::Numeric(Some(m))) => Value::numeric(n.apply_typmod(m)?),
        (Value::Text(s), DataType::Varchar(n)) => fit_varchar(s, n, explicit)?,
        (Value::Bpchar(s), DataType::Bpchar(n)) => Value::Bpchar(bpchar::fit(&s, n, explicit)?),
        (Value::Time(t), DataType::Time(p)) => Value::Time(round_time(t, p)),
        (Value::TimeTz(t, z), DataType::TimeTz(p)) => Value::TimeTz(round_time(t, p), z),
        (Value::Timestamp(t), DataType::Timestamp(p)) => Value::Timestamp(round_timestamp(t, p)?),
        (Value::Timestamptz(t), DataType::Timestamptz(p)) => {
            Value::Timestamptz(round_timestamp(t, p)?)
        }
        (Value::Array(a), DataType::Array(e)) => {
            let elem = e.get();
            let items = a
                .items
                .into_iter()
                .map(|v| {
                    if v.is_null() {
                        Ok(v)
                    } else {
                        apply_typmod(v, elem, explicit)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            Value::Array(Box::new(Array {
                dims: a.dims,
                items,
            }))
        }
        (v, _) => v,
    })
}

/// Whether a cast from `from` to `to` exists at all (explicitly).
pub fn can_cast(from: DataType, to: DataType) -> bool {
    coerce::context(from, to).is_some()
}

/// Whether `from` converts to `to` implicitly in an assignment (INSERT/UPDATE value).
pub fn can_assign(from: DataType, to: DataType) -> bool {
    matches!(
        coerce::context(from, to),
        Some(CastContext::Implicit | CastContext::Assignment)
    )
}

/// The text a value casts to (`true`/`false` for booleans; `char(n)` without its padding).
pub fn text_of(v: Value) -> String {
    match v {
        Value::Text(s) | Value::Json(s) => s,
        Value::Bpchar(s) => bpchar::trimmed(&s).to_string(),
        Value::Bool(b) => (if b { "true" } else { "false" }).to_string(),
        other => other.to_string(),
    }
}

fn jsonb_cast_error(j: &Jsonb, to: DataType) -> Error {
    Error::InvalidParameterValue(format!(
        "cannot cast jsonb {} to type {}",
        j.type_name(),
        to.name()
    ))
}

/// Converts `v` (of type `from`) to type `to`. See the module docs for `explicit`.
pub fn cast(v: Value, from: DataType, to: DataType, explicit: bool) -> Result<Value> {
    use DataType::*;
    if v.is_null() {
        return Ok(Value::Null);
    }
    if !can_cast(from, to) {
        return Err(Error::CannotCoerce(format!(
            "cannot cast type {} to {}",
            from.name(),
            to.name()
        )));
    }
    if from == to && (to == Record || to.elem() == Some(Record)) {
        return Ok(v);
    }
    match (v, to) {
        (Value::Record(r), Composite(oid)) if from != to => {
            super::record::to_composite(*r, oid, explicit)
        }
        (v @ Value::Record(_), Record | Composite(_)) => Ok(v),
        (v, _) => cast_scalar(v, from, to, explicit),
    }
}

/// [`cast`] of a value that is not a record.
fn cast_scalar(v: Value, from: DataType, to: DataType, explicit: bool) -> Result<Value> {
    use DataType::*;
    // `inet` and `cidr` become text through `text(inet)`, which always shows the mask.
    let v = match v {
        Value::Inet(i) if to.is_string() => Value::Text(super::inet::show(&i)),
        v => v,
    };
    // A vector becomes an array of its elements, subscripted from 0 as it is.
    if let (Int2Vector | OidVector, Array(e)) = (from, to) {
        let elem = super::vector::elem(from).unwrap_or(Int2);
        let items = super::vector::items(&v)?
            .into_iter()
            .map(|x| cast(x, elem, e.get(), explicit))
            .collect::<Result<Vec<_>>>()?;
        let dims = match items.len() {
            0 => Vec::new(),
            n => vec![super::array::Dim {
                len: n as i32,
                lower: 0,
            }],
        };
        return Ok(Value::Array(Box::new(super::Array { dims, items })));
    }
    // Casts to string types go through the output function.
    match to {
        Text | Unknown => return Ok(Value::Text(text_of(v))),
        Varchar(n) => return fit_varchar(text_of(v), n, explicit),
        Bpchar(n) => {
            let s = match v {
                Value::Bpchar(s) => s,
                v => text_of(v),
            };
            return Ok(Value::Bpchar(bpchar::fit(&s, n, explicit)?));
        }
        Name => return Ok(Value::Text(truncate_name(text_of(v)))),
        Char => {
            return Ok(match v {
                Value::Int(i) => Value::Text(
                    char::from_u32(i as u8 as u32)
                        .filter(|_| i != 0)
                        .map(String::from)
                        .unwrap_or_default(),
                ),
                v => Value::Text(text_of(v).chars().take(1).collect()),
            });
        }
        _ => {}
    }
    let v = match v {
        // ... and casts from string types through the input function.
        Value::Text(s) if !matches!(from, Char) => return parse_text(to, &s),
        Value::Bpchar(s) => return parse_text(to, &s),
        v => v,
    };
    let out = match (v, to) {
        (
            v @ (Value::Int(_)
            | Value::Float(_)
            | Value::Float4(_)
            | Value::Numeric(_)
            | Value::Bool(_)
            | Value::Reg(..)
            | Value::Text(_)),
            Int2 | Int4 | Int8 | Oid,
        ) => to_int(v, to)?,
        (Value::Int(i), Float8) => Value::Float(i as f64),
        (Value::Int(i), Float4) => Value::Float4(i as f32),
        (Value::Float(f), Float8) => Value::Float(f),
        (Value::Float4(f), Float8) => Value::Float(f64::from(f)),
        (Value::Float4(f), Float4) => Value::Float4(f),
        (Value::Float(f), Float4) => {
            if f.is_finite() && !(f as f32).is_finite() {
                return Err(Error::NumericValueOutOfRange(
                    "value out of range: overflow".into(),
                ));
            }
            if f != 0.0 && f as f32 == 0.0 {
                return Err(Error::NumericValueOutOfRange(
                    "value out of range: underflow".into(),
                ));
            }
            Value::Float4(f as f32)
        }
        (Value::Numeric(n), Float8 | Float4) => {
            let f = n.to_f64();
            if matches!(*n, super::Numeric::Finite(_))
                && (!f.is_finite() || (to == Float4 && !(f as f32).is_finite()))
            {
                return Err(Error::NumericValueOutOfRange(
                    "value out of range: overflow".into(),
                ));
            }
            if to == Float4 {
                Value::Float4(f as f32)
            } else {
                Value::Float(f)
            }
        }
        (Value::Int(i), Numeric(_)) => Value::numeric(super::Numeric::from_i64(i)),
        (Value::Int(i), Xid) if from == Xid8 => Value::Int(i64::from(i as u32)),
        (Value::Float(f), Numeric(_)) => Value::numeric(super::Numeric::from_f64(f)?),
        (Value::Float4(f), Numeric(_)) => Value::numeric(super::Numeric::from_f32(f)?),
        (Value::Numeric(n), Numeric(_)) => Value::Numeric(n),
        (Value::Int(i), Bool) => Value::Bool(i != 0),
        (Value::Bool(b), Bool) => Value::Bool(b),
        (
            Value::Int(i),
            RegClass | RegType | RegProc | RegProcedure | RegNamespace | RegRole | RegConfig,
        ) => {
            let kind = reg_kind(to);
            Value::Reg(
                kind,
                u32::try_from(i)
                    .or_else(|_| i32::try_from(i).map(|i| i as u32))
                    .map_err(|_| int_out_of_range(Oid))?,
            )
        }
        (
            Value::Reg(_, o),
            RegClass | RegType | RegProc | RegProcedure | RegNamespace | RegRole | RegConfig,
        ) => Value::Reg(reg_kind(to), o),
        (Value::Jsonb(j), Bool) => match *j {
            super::Jsonb::Bool(b) => Value::Bool(b),
            other => return Err(jsonb_cast_error(&other, to)),
        },
        (Value::Jsonb(j), Numeric(_) | Float4 | Float8 | Int2 | Int4 | Int8) => match *j {
            super::Jsonb::Number(d) => cast(
                Value::numeric(super::Numeric::Finite(d)),
                Numeric(None),
                to,
                explicit,
            )?,
            other => return Err(jsonb_cast_error(&other, to)),
        },
        // The value prints as its type does: an `inet` made from a `cidr` hides a full mask.
        (Value::Inet(i), Inet) => Value::Inet(super::inet::Inet { cidr: false, ..i }),
        (Value::Inet(i), Cidr) => Value::Inet(i.network()),
        (v @ Value::Range(_), Range(_)) => v,
        (Value::Jsonb(j), Json) => Value::Json(j.to_string()),
        (Value::Json(s), Jsonb) => Value::Jsonb(Box::new(super::Jsonb::parse(&s)?)),
        (Value::Jsonb(j), Jsonb) => Value::Jsonb(j),
        (Value::Json(s), Json) => Value::Json(s),
        (Value::TimeTz(t, z), TimeTz(_)) => Value::TimeTz(t, z),
        (Value::TimeTz(t, _), Time(_)) => Value::Time(t),
        (Value::Time(t), TimeTz(_)) => {
            let (t, z) = datetime::timetz::from_time(t);
            Value::TimeTz(t, z)
        }
        (Value::Timestamptz(t), TimeTz(_)) => {
            let (t, z) = datetime::timetz::from_timestamptz(t)?;
            Value::TimeTz(t, z)
        }
        (
            v @ (Value::Date(_)
            | Value::Time(_)
            | Value::Timestamp(_)
            | Value::Timestamptz(_)
            | Value::Interval(_)),
            _,
        ) => datetime_cast(v, to)?,
        (Value::Array(a), Array(e)) => {
            let from_elem = from.elem().unwrap_or(Unknown);
            let to_elem = e.get();
            let items = a
                .items
                .into_iter()
                .map(|v| cast(v, from_elem, to_elem, explicit))
                .collect::<Result<Vec<_>>>()?;
            Value::Array(Box::new(super::Array {
                dims: a.dims,
                items,
            }))
        }
        (v @ (Value::Bytea(_) | Value::Uuid(_) | Value::Enum(_)), _)
            if from.without_typmod() == to.without_typmod() =>
        {
            v
        }
        (v, _) => {
            return Err(Error::Internal(format!(
                "cast of {v:?} to {to} has no rule"
            )));
        }
    };
    apply_typmod(out, to, explicit)
}

fn reg_kind(t: DataType) -> oid::RegKind {
    match t {
        DataType::RegType => oid::RegKind::Type,
        DataType::RegProc => oid::RegKind::Proc,
        DataType::RegProcedure => oid::RegKind::Procedure,
        DataType::RegNamespace => oid::RegKind::Namespace,
        DataType::RegRole => oid::RegKind::Role,
        DataType::RegConfig => oid::RegKind::Config,
        _ => oid::RegKind::Class,
    }
}

/// Numbers (and booleans, OIDs, jsonb numbers, `"char"`) to an integer type.
fn to_int(v: Value, to: DataType) -> Result<Value> {
    let i = match v {
        Value::Int(i) if to == DataType::Oid => {
            // int4 → oid reinterprets negative values, as PostgreSQL's binary coercion does.
            if (i64::from(i32::MIN)..0).contains(&i) {
                i + (1i64 << 32)
            } else {
                i
            }
        }
        Value::Int(i) => i,
        Value::Bool(b) => i64::from(b),
        Value::Reg(_, o) => i64::from(o),
        Value::Text(s) => s.bytes().next().map_or(0, |b| i64::from(b as i8)),
        Value::Numeric(n) => n.to_i64().ok_or_else(|| {
            if n.is_nan() {
                Error::unsupported(format!("cannot convert NaN to {}", to.name()))
            } else if matches!(*n, super::Numeric::Finite(_)) {
                int_out_of_range(to)
            } else {
                Error::unsupported(format!("cannot convert infinity to {}", to.name()))
            }
        })?,
        v => {
            let f = v.as_f64().unwrap_or(f64::NAN);
            let r = f.round_ties_even();
            if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                return Err(int_out_of_range(to));
            }
            r as i64
        }
    };
    check_int(i, to).map(Value::Int)
}

/// Casts among dates, times, timestamps and intervals.
fn datetime_cast(v: Value, to: DataType) -> Result<Value> {
    use DataType::*;
    let zone = || crate::env::current().time_zone.clone();
    Ok(match (v, to) {
        (Value::Date(d), Date) => Value::Date(d),
        (Value::Date(d), Timestamp(_)) => Value::Timestamp(arith::date_to_timestamp(d)?),
        (Value::Date(d), Timestamptz(_)) => Value::Timestamptz(arith::timestamp_to_tz(
            arith::date_to_timestamp(d)?,
            &zone(),
        )?),
        (Value::Timestamp(t), Timestamp(_)) => Value::Timestamp(t),
        (Value::Timestamp(t), Timestamptz(_)) => {
            Value::Timestamptz(arith::timestamp_to_tz(t, &zone())?)
        }
        (Value::Timestamp(t), Date) => Value::Date(arith::timestamp_to_date(t)?),
        (Value::Timestamp(t), Time(_)) => {
            no_infinite(t, "time")?;
            Value::Time(t.rem_euclid(datetime::USECS_PER_DAY))
        }
        (Value::Timestamptz(t), Timestamptz(_)) => Value::Timestamptz(t),
        (Value::Timestamptz(t), Timestamp(_)) => {
            Value::Timestamp(arith::tz_to_timestamp(t, &zone())?)
        }
        (Value::Timestamptz(t), Date) => Value::Date(arith::timestamp_to_date(
            arith::tz_to_timestamp(t, &zone())?,
        )?),
        (Value::Timestamptz(t), Time(_)) => {
            no_infinite(t, "time")?;
            Value::Time(arith::tz_to_timestamp(t, &zone())?.rem_euclid(datetime::USECS_PER_DAY))
        }
        (Value::Time(t), Time(_)) => Value::Time(t),
        (Value::Time(t), Interval) => Value::Interval(super::Interval::new(0, 0, t)),
        (Value::Interval(i), Interval) => Value::Interval(i),
        (Value::Interval(i), Time(_)) => Value::Time(i.micros.rem_euclid(datetime::USECS_PER_DAY)),
        (v, _) => {
            return Err(Error::Internal(format!(
                "cast of {v:?} to {to} has no rule"
            )));
        }
    })
}

fn no_infinite(t: i64, to: &str) -> Result<()> {
    if datetime::is_finite_ts(t) {
        Ok(())
    } else {
        Err(Error::unsupported(format!(
            "cannot convert infinite timestamp to {to}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ints() {
        assert_eq!(parse_text(DataType::Int4, " 42 ").unwrap(), Value::Int(42));
        assert_eq!(parse_text(DataType::Int4, "-7").unwrap(), Value::Int(-7));
        let e = parse_text(DataType::Int4, "abc").unwrap_err();
        assert_eq!(e.code(), "22P02");
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type integer: \"abc\""
        );
        let e = parse_text(DataType::Int4, "3000000000").unwrap_err();
        assert_eq!(e.code(), "22003");
        assert_eq!(
            e.to_string(),
            "value \"3000000000\" is out of range for type integer"
        );
        assert_eq!(
            parse_text(DataType::Int2, "40000").unwrap_err().code(),
            "22003"
        );
        assert_eq!(
            parse_text(DataType::Int8, "1.5").unwrap_err().code(),
            "22P02"
        );
    }

    #[test]
    fn parse_bool_and_float() {
        for (s, b) in [
            ("t", true),
            ("TRUE", true),
            ("yes", true),
            ("on", true),
            ("0", false),
            ("off", false),
            ("f", false),
        ] {
            assert_eq!(
                parse_text(DataType::Bool, s).unwrap(),
                Value::Bool(b),
                "{s}"
            );
        }
        assert_eq!(parse_text(DataType::Bool, "o").unwrap_err().code(), "22P02");
        assert!(
            matches!(parse_text(DataType::Float8, "NaN").unwrap(), Value::Float(f) if f.is_nan())
        );
        assert_eq!(
            parse_text(DataType::Float8, "1e3").unwrap(),
            Value::Float(1000.0)
        );
        assert_eq!(
            parse_text(DataType::Float8, "x").unwrap_err().code(),
            "22P02"
        );
        assert_eq!(
            parse_text(DataType::Float8, "1e400").unwrap_err().code(),
            "22003"
        );
    }

    #[test]
    fn casts() {
        use DataType::*;
        assert_eq!(
            cast(Value::Float(2.5), Float8, Int4, true).unwrap(),
            Value::Int(2)
        );
        assert_eq!(
            cast(Value::Float(3.5), Float8, Int4, true).unwrap(),
            Value::Int(4)
        );
        assert_eq!(
            cast(Value::Int(70000), Int4, Int2, true)
                .unwrap_err()
                .to_string(),
            "smallint out of range"
        );
        assert_eq!(
            cast(Value::Bool(true), Bool, Text, true).unwrap(),
            Value::Text("true".into())
        );
        assert_eq!(
            cast(Value::Text("abcd".into()), Text, Varchar(Some(2)), true).unwrap(),
            Value::Text("ab".into())
        );
        assert_eq!(
            cast(Value::Text("abcd".into()), Text, Varchar(Some(2)), false)
                .unwrap_err()
                .code(),
            "22001"
        );
        assert_eq!(
            cast(Value::Text("ab  ".into()), Text, Varchar(Some(2)), false).unwrap(),
            Value::Text("ab".into())
        );
        assert_eq!(
            cast(Value::Int(1), Int4, Bool, true).unwrap(),
            Value::Bool(true)
        );
        assert!(cast(Value::Float(1.0), Float8, Bool, true).is_err());
    }
}
