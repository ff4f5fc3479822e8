//! [`Value`]: one datum, with a total order used for sorting, grouping and keys.
//!
//! The total order (`Ord`) is PostgreSQL's btree order: numbers compare numerically across
//! widths (an int and a float compare as floats), NaN sorts above every other float, and NULL
//! sorts after every non-NULL value (PostgreSQL's default `NULLS LAST` for ascending order).
//! SQL comparison operators do *not* use `Ord` for NULLs: they yield NULL (three-valued logic,
//! see [`crate::expr`]).

use std::cmp::Ordering;

/// One SQL datum. See the module docs for the integer-width invariant.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A `real`; kept as `f32` so it prints with float4's shortest digits.
    Float4(f32),
    Text(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as an f64, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Float4(f) => Some(*f as f64),
            _ => None,
        }
    }

    /// Rank of the variant, for ordering values of different kinds (only meets mixed kinds
    /// if a storage implementation mixes them; the binder never compares such values).
    fn kind_rank(&self) -> u8 {
        match self {
            Value::Bool(_) => 0,
            Value::Int(_) | Value::Float(_) | Value::Float4(_) => 1,
            Value::Text(_) => 2,
            Value::Null => 3,
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

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => cmp_f64(*a, *b),
            (Int(a), Float(b)) => cmp_f64(*a as f64, *b),
            (Float(a), Int(b)) => cmp_f64(*a, *b as f64),
            (Float4(_), Int(_) | Float(_) | Float4(_)) | (Int(_) | Float(_), Float4(_)) => {
                cmp_f64(self.as_f64().unwrap_or(0.0), other.as_f64().unwrap_or(0.0))
            }
            (Text(a), Text(b)) => a.cmp(b),
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

impl std::hash::Hash for Value {
    /// Consistent with `Eq` for values of one kind and across numeric kinds: a number hashes
    /// as an integer when it has an exact integer value, otherwise by its (NaN- and
    /// zero-normalized) bits. (Mixed int/float keys beyond 2^53, where `Eq` itself rounds, may
    /// hash apart; the binder never mixes kinds in one key.)
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => state.write_u8(0),
            Value::Bool(b) => {
                state.write_u8(1);
                b.hash(state);
            }
            Value::Int(i) => {
                state.write_u8(2);
                i.hash(state);
            }
            Value::Float(_) | Value::Float4(_) => {
                let f = self.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    state.write_u8(2);
                    (f as i64).hash(state);
                } else if f.is_nan() {
                    state.write_u8(3);
                } else {
                    state.write_u8(4);
                    f.to_bits().hash(state);
                }
            }
            Value::Text(s) => {
                state.write_u8(5);
                s.hash(state);
            }
        }
    }
}

impl std::fmt::Display for Value {
    /// PostgreSQL's text output; NULL displays as `NULL` (the wire sends it as a null field).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => f.write_str(if *b { "t" } else { "f" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&super::format::float8(*x)),
            Value::Float4(x) => f.write_str(&super::format::float4(*x)),
            Value::Text(s) => f.write_str(s),
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
    fn equal_values_hash_alike() {
        use std::hash::{BuildHasher, RandomState};
        let h = RandomState::new();
        let pairs = [
            (Value::Int(1), Value::Float(1.0)),
            (Value::Float(-0.0), Value::Int(0)),
            (Value::Float(f64::NAN), Value::Float(-f64::NAN)),
            (Value::Float4(2.5), Value::Float(2.5)),
        ];
        for (a, b) in pairs {
            assert_eq!(a, b);
            assert_eq!(h.hash_one(&a), h.hash_one(&b), "{a:?} {b:?}");
        }
    }
}
