//! Casts between [`DataType`]s and parsing of text input, with PostgreSQL's errors.
//!
//! * [`parse_text`] is the input function of each type (`'42'::int4`, text parameters,
//!   string literals assigned to typed columns): 22P02 on malformed input, 22003 when out of
//!   range.
//! * [`cast`] converts a value between types. `explicit` distinguishes `CAST`/`::` from
//!   assignment: an explicit cast to `varchar(n)` truncates, an assignment raises 22001.
//! * [`check_int`] is the width check every integer-producing operation goes through.

use super::{DataType, Value};
use crate::{Error, Result};

/// Checks that `v` fits the integer type `ty` ("integer out of range" otherwise).
pub fn check_int(v: i64, ty: DataType) -> Result<i64> {
    let ok = match ty {
        DataType::Int2 => i16::try_from(v).is_ok(),
        DataType::Int4 => i32::try_from(v).is_ok(),
        _ => true,
    };
    if ok { Ok(v) } else { Err(int_out_of_range(ty)) }
}

/// PostgreSQL's "integer out of range" error for an integer type.
pub fn int_out_of_range(ty: DataType) -> Error {
    let name = match ty {
        DataType::Int2 => "smallint",
        DataType::Int8 => "bigint",
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

/// The input function of `ty`: parses PostgreSQL's text representation.
pub fn parse_text(ty: DataType, s: &str) -> Result<Value> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    match ty {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => {
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid_input(ty, s));
            }
            let v: i64 = t.parse().map_err(|_| {
                Error::NumericValueOutOfRange(format!(
                    "value \"{s}\" is out of range for type {}",
                    ty.name()
                ))
            })?;
            check_int(v, ty).map(Value::Int).map_err(|_| {
                Error::NumericValueOutOfRange(format!(
                    "value \"{s}\" is out of range for type {}",
                    ty.name()
                ))
            })
        }
        DataType::Float4 => match parse_text(DataType::Float8, s) {
            Ok(Value::Float(v)) => {
                if v.is_finite() && !(v as f32).is_finite() {
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
                    if v.is_infinite() {
                        return Err(Error::NumericValueOutOfRange(format!(
                            "\"{s}\" is out of range for type double precision"
                        )));
                    }
                    v
                }
            };
            Ok(Value::Float(v))
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
        Err(Error::StringDataRightTruncation(n))
    }
}

/// Whether a cast from `from` to `to` exists at all (explicitly).
pub fn can_cast(from: DataType, to: DataType) -> bool {
    use DataType::*;
    match (from, to) {
        _ if from == to => true,
        (Unknown, _) => true,
        (_, Text | Varchar(_)) => true,
        (Text | Varchar(_), _) => true,
        (Bool, Int4) | (Int4, Bool) => true,
        _ => from.is_numeric() && to.is_numeric(),
    }
}

/// Whether `from` converts to `to` implicitly in an assignment (INSERT/UPDATE value).
pub fn can_assign(from: DataType, to: DataType) -> bool {
    use DataType::*;
    match (from, to) {
        _ if from == to => true,
        (Unknown, _) => true,
        (_, Text | Varchar(_)) => from.is_string() || from.is_numeric() || from == Bool,
        _ => from.is_numeric() && to.is_numeric(),
    }
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
    match (v, to) {
        (Value::Text(s), Text | Unknown) => Ok(Value::Text(s)),
        (Value::Text(s), Varchar(n)) => fit_varchar(s, n, explicit),
        (Value::Text(s), _) => parse_text(to, &s),
        (Value::Bool(b), Text | Varchar(_)) => fit_varchar(
            if b { "true" } else { "false" }.to_string(),
            varchar_limit(to),
            explicit,
        ),
        (v, Text | Varchar(_)) => fit_varchar(v.to_string(), varchar_limit(to), explicit),
        (Value::Bool(b), Int4) => Ok(Value::Int(b as i64)),
        (Value::Int(i), Bool) => Ok(Value::Bool(i != 0)),
        (Value::Bool(b), Bool) => Ok(Value::Bool(b)),
        (Value::Int(i), Int2 | Int4 | Int8) => check_int(i, to).map(Value::Int),
        (Value::Int(i), Float8) => Ok(Value::Float(i as f64)),
        (Value::Int(i), Float4) => Ok(Value::Float4(i as f32)),
        (Value::Float(f), Float8) => Ok(Value::Float(f)),
        (Value::Float4(f), Float8) => Ok(Value::Float(f as f64)),
        (Value::Float4(f), Float4) => Ok(Value::Float4(f)),
        (Value::Float(f), Float4) => {
            if f.is_finite() && !(f as f32).is_finite() {
                return Err(Error::NumericValueOutOfRange(
                    "value out of range: overflow".into(),
                ));
            }
            Ok(Value::Float4(f as f32))
        }
        (v @ (Value::Float(_) | Value::Float4(_)), Int2 | Int4 | Int8) => {
            let f = v.as_f64().unwrap_or(f64::NAN);
            let r = f.round_ties_even();
            if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                return Err(int_out_of_range(to));
            }
            check_int(r as i64, to).map(Value::Int)
        }
        (v, _) => Err(Error::Internal(format!(
            "cast of {v:?} to {to} has no rule"
        ))),
    }
}

fn varchar_limit(ty: DataType) -> Option<u32> {
    match ty {
        DataType::Varchar(n) => n,
        _ => None,
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
