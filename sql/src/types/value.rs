//! [`Value`]: one datum, with a total order used for sorting, grouping and keys.
//!
//! The total order (`Ord`) is PostgreSQL's btree order for values of the same type: numbers
//! compare numerically across widths and kinds (an int and a float compare as floats, an int
//! and a numeric exactly), NaN sorts above every other number, `char(n)` ignores trailing
//! spaces, intervals compare by span, jsonb and arrays as [`super::json`] and
//! [`super::array`] describe, and NULL sorts after every non-NULL value (PostgreSQL's default
//! `NULLS LAST` for ascending order). SQL comparison operators do *not* use `Ord` for NULLs:
//! they yield NULL (three-valued logic, see [`crate::expr`]).
//!
//! `Hash` agrees with `Eq` for values of the same type (the binder never compares values of
//! different types), so values can key hash tables.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use bigdecimal::ToPrimitive;

use super::datetime::{self, Interval};
use super::oid::RegKind;
use super::{Array, Jsonb, Numeric, Record};

/// One SQL datum. See the module docs and [`crate::types`] for the integer-width invariant.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    /// `int2`, `int4`, `int8` and `oid`.
    Int(i64),
    Float(f64),
    /// A `real`; kept as `f32` so it prints with float4's shortest digits.
    Float4(f32),
    /// `text`, `varchar`, `name` and `"char"`.
    Text(String),
    /// `character(n)`, stored blank-padded.
    Bpchar(String),
    Numeric(Box<Numeric>),
    Bytea(Vec<u8>),
    Uuid([u8; 16]),
    /// Days since 2000-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// A `timetz`: microseconds since midnight and the zone in seconds west of UTC
    /// ([`datetime::timetz`]).
    TimeTz(i64, i32),
    /// Microseconds since 2000-01-01 00:00, local time.
    Timestamp(i64),
    /// Microseconds since 2000-01-01 00:00 UTC.
    Timestamptz(i64),
    Interval(Interval),
    /// `json`: the text as written.
    Json(String),
    Jsonb(Box<Jsonb>),
    Array(Box<Array>),
    /// `regclass`, `regtype`, `regproc`: an OID that prints as a name.
    Reg(RegKind, u32),
    /// A `record` ([`super::record`]).
    Record(Box<Record>),
    /// A value of an enum type ([`super::enums`]).
    Enum(super::enums::EnumValue),
    /// A `tid`: block number and offset, printed `(block,offset)`.
    Tid(u32, u16),
    /// An `inet` or `cidr` ([`super::inet`]).
    Inet(super::inet::Inet),
    /// A value of a range type ([`super::range`]).
    Range(Box<super::range::Range>),
    /// A `tsvector` ([`super::tsvector`]).
    TsVector(Box<super::tsvector::TsVector>),
    /// A `tsquery` ([`super::tsquery`]).
    TsQuery(Box<super::tsquery::TsQuery>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A numeric value.
    pub fn numeric(n: Numeric) -> Value {
        Value::Numeric(Box::new(n))
    }

    /// The value as an f64, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Float4(f) => Some(*f as f64),
            Value::Numeric(n) => Some(n.to_f64()),
            Value::Reg(_, o) => Some(f64::from(*o)),
            _ => None,
        }
    }

    /// The string of a `text`-like or `char(n)` value (trailing blanks of `char(n)` kept).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => Some(s),
            _ => None,
        }
    }

    /// Rank of the variant, for ordering values of different kinds (only meets mixed kinds
    /// if a storage implementation mixes them; the binder never compares such values).
    fn kind_rank(&self) -> u8 {
        match self {
            Value::Bool(_) => 0,
            Value::Int(_)
            | Value::Float(_)
            | Value::Float4(_)
            | Value::Numeric(_)
            | Value::Reg(..) => 1,
            Value::Text(_) | Value::Bpchar(_) | Value::Json(_) => 2,
            Value::Bytea(_) => 3,
            Value::Uuid(_) => 4,
            Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_) => 5,
            Value::Time(_) => 6,
            Value::Interval(_) => 7,
            Value::Jsonb(_) => 8,
            Value::Array(_) => 9,
            Value::Record(_) => 10,
            Value::Enum(_) => 11,
            Value::Tid(..) => 12,
            Value::Inet(_) => 13,
            Value::TimeTz(..) => 14,
            Value::Range(_) => 15,
            Value::TsVector(_) => 16,
            Value::TsQuery(_) => 17,
            Value::Null => 18,
        }
    }

    /// Microseconds of a date or timestamp (dates at midnight; infinities kept extreme).
    fn instant(&self) -> Option<i64> {
        match self {
            Value::Date(d) => Some(match *d {
                datetime::DATE_INFINITY => i64::MAX,
                datetime::DATE_NEG_INFINITY => i64::MIN,
                d => i64::from(d) * datetime::USECS_PER_DAY,
            }),
            Value::Timestamp(t) | Value::Timestamptz(t) => Some(*t),
            _ => None,
        }
    }
}

fn cmp_f64(a: f64, b: f64) -> Ordering {
    // PostgreSQL: NaN equals NaN and is greater than every other value; -0 = 0.
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// A number as a numeric when it can be one exactly (ints, numerics, OIDs).
fn exact(v: &Value) -> Option<Numeric> {
    match v {
        Value::Int(i) => Some(Numeric::from_i64(*i)),
        Value::Reg(_, o) => Some(Numeric::from_i64(i64::from(*o))),
        Value::Numeric(n) => Some((**n).clone()),
        _ => None,
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => cmp_f64(*a, *b),
            (Numeric(a), Numeric(b)) => a.total_cmp(b),
            (Reg(_, a), Reg(_, b)) => a.cmp(b),
            (Int(a), Reg(_, b)) => a.cmp(&i64::from(*b)),
            (Reg(_, a), Int(b)) => i64::from(*a).cmp(b),
            (Int(_) | Reg(..), Numeric(_)) | (Numeric(_), Int(_) | Reg(..)) => {
                match (exact(self), exact(other)) {
                    (Some(a), Some(b)) => a.total_cmp(&b),
                    _ => Ordering::Equal,
                }
            }
            (Int(_) | Float(_) | Float4(_) | Numeric(_) | Reg(..), _) if other.kind_rank() == 1 => {
                cmp_f64(self.as_f64().unwrap_or(0.0), other.as_f64().unwrap_or(0.0))
            }
            (Text(a), Text(b)) | (Json(a), Json(b)) => a.cmp(b),
            (Bpchar(a), Bpchar(b)) => super::bpchar::compare(a, b),
            (Text(a), Bpchar(b)) => a.as_str().cmp(super::bpchar::trimmed(b)),
            (Bpchar(a), Text(b)) => super::bpchar::trimmed(a).cmp(b.as_str()),
            (Bytea(a), Bytea(b)) => a.cmp(b),
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Time(a), Time(b)) => a.cmp(b),
            (Interval(a), Interval(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Date(_) | Timestamp(_) | Timestamptz(_), Date(_) | Timestamp(_) | Timestamptz(_)) => {
                self.instant().cmp(&other.instant())
            }
            (Jsonb(a), Jsonb(b)) => a.total_cmp(b),
            (Array(a), Array(b)) => a.total_cmp(b),
            (Record(a), Record(b)) => a.total_cmp(b),
            (Enum(a), Enum(b)) => a.total_cmp(b),
            (Tid(ab, ao), Tid(bb, bo)) => (ab, ao).cmp(&(bb, bo)),
            (Inet(a), Inet(b)) => super::inet::cmp(a, b),
            (Range(a), Range(b)) => super::range::cmp(a, b),
            (TsVector(a), TsVector(b)) => super::tsvector::cmp(a, b),
            (TsQuery(a), TsQuery(b)) => super::tsquery::cmp(a, b),
            (TimeTz(at, az), TimeTz(bt, bz)) => datetime::timetz::cmp((*at, *az), (*bt, *bz)),
            _ => self.kind_rank().cmp(&other.kind_rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        use Value::*;
        match self {
            Null => 0u8.hash(state),
            Bool(b) => b.hash(state),
            // Integral numbers hash as integers, so 1, 1.0 and 1.00 agree.
            Int(i) => i.hash(state),
            Enum(e) => e.oid.hash(state),
            Reg(_, o) => i64::from(*o).hash(state),
            Float(_) | Float4(_) => {
                let f = self.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    (f as i64).hash(state)
                } else if f.is_nan() {
                    u64::MAX.hash(state)
                } else {
                    f.to_bits().hash(state)
                }
            }
            Numeric(n) => match n.as_ref() {
                super::Numeric::Finite(d) if d.is_integer() && d.to_i64().is_some() => {
                    d.to_i64().unwrap_or_default().hash(state)
                }
                super::Numeric::Finite(d) => d.normalized().hash(state),
                other => std::mem::discriminant(other).hash(state),
            },
            Text(s) | Json(s) => s.hash(state),
            Bpchar(s) => super::bpchar::trimmed(s).hash(state),
            Bytea(b) => b.hash(state),
            Uuid(u) => u.hash(state),
            Tid(b, o) => (b, o).hash(state),
            // Equality ignores the `cidr` flag.
            Inet(i) => (i.v6, i.bits, i.addr).hash(state),
            Date(_) | Timestamp(_) | Timestamptz(_) => self.instant().hash(state),
            Time(t) => t.hash(state),
            // Equal ranges have equal bounds and flags (infinite bounds are never inclusive).
            Range(r) => {
                r.empty.hash(state);
                for b in [&r.lower, &r.upper] {
                    (b.inclusive, b.val.is_some()).hash(state);
                    if let Some(v) = &b.val {
                        v.hash(state);
                    }
                }
            }
            TimeTz(t, z) => (t, z).hash(state),
            TsVector(v) => v.hash(state),
            TsQuery(q) => q.hash(state),
            Interval(i) => i.hash(state),
            // BigDecimal hashes by value, as jsonb equality compares numbers (1.0 = 1)
            Jsonb(j) => j.hash(state),
            Array(a) => {
                a.items.len().hash(state);
                for v in &a.items {
                    v.hash(state);
                }
            }
            Record(r) => {
                r.values.len().hash(state);
                for v in &r.values {
                    v.hash(state);
                }
            }
        }
    }
}

impl std::fmt::Display for Value {
    /// PostgreSQL's text output; NULL displays as `NULL` (the wire sends it as a null field).
    /// `timestamptz` and the OID alias types read the current session environment
    /// ([`crate::env`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => f.write_str(if *b { "t" } else { "f" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&super::format::float8(*x)),
            Value::Float4(x) => f.write_str(&super::format::float4(*x)),
            Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => f.write_str(s),
            Value::Numeric(n) => write!(f, "{n}"),
            Value::Bytea(b) => f.write_str(&super::bytea::format(b)),
            Value::Uuid(u) => f.write_str(&super::uuid::format(u)),
            Value::Date(d) => f.write_str(&datetime::format::date_out(*d)),
            Value::Time(t) => f.write_str(&datetime::format::time(*t)),
            Value::TimeTz(t, z) => f.write_str(&datetime::timetz::format(*t, *z)),
            Value::Timestamp(t) => f.write_str(&datetime::format::timestamp_out(*t)),
            Value::Timestamptz(t) => f.write_str(&crate::env::with(|e| {
                datetime::format::timestamptz_out(*t, &e.time_zone)
            })),
            Value::Interval(i) => write!(f, "{i}"),
            Value::Jsonb(j) => write!(f, "{j}"),
            Value::Array(a) => write!(f, "{a}"),
            Value::Record(r) => write!(f, "{r}"),
            Value::Reg(kind, oid) => f.write_str(&super::oid::format(*kind, *oid)),
            Value::Enum(e) => f.write_str(&super::enums::label_text(e.oid)),
            Value::Tid(b, o) => write!(f, "({b},{o})"),
            Value::Inet(i) => f.write_str(&super::inet::format(i)),
            Value::Range(r) => f.write_str(&super::range::format(r)),
            Value::TsVector(v) => f.write_str(&super::tsvector::format(v)),
            Value::TsQuery(q) => f.write_str(&super::tsquery::format(q)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_btree_order() {
        let mut v = [
            Value::Null,
            Value::Float(f64::NAN),
            Value::Int(3),
            Value::Float(2.5),
            Value::Float(f64::NEG_INFINITY),
        ];
        v.sort();
        let shown: Vec<String> = v.iter().map(|v| v.to_string()).collect();
        assert_eq!(shown, ["-Infinity", "2.5", "3", "NaN", "NULL"]);
        assert_eq!(Value::Int(1), Value::Float(1.0));
    }

    #[test]
    fn cross_kind_equality_and_hash() {
        use std::collections::hash_map::DefaultHasher;
        let h = |v: &Value| {
            let mut s = DefaultHasher::new();
            v.hash(&mut s);
            s.finish()
        };
        let one = Value::numeric(Numeric::parse("1.00").unwrap());
        assert_eq!(one, Value::Int(1));
        assert_eq!(h(&one), h(&Value::Int(1)));
        let a = Value::Bpchar("ab  ".into());
        let b = Value::Bpchar("ab".into());
        assert_eq!(a, b);
        assert_eq!(h(&a), h(&b));
        let m = Value::Interval(Interval::new(1, 0, 0));
        let d = Value::Interval(Interval::new(0, 30, 0));
        assert_eq!(m, d);
        assert_eq!(h(&m), h(&d));
        assert!(Value::Date(0) < Value::Timestamp(1));
        assert_eq!(Value::Date(1), Value::Timestamp(datetime::USECS_PER_DAY));
    }
}
