//! Scalar functions: resolution by name and argument types, and calls.
//!
//! [`Function::resolve`] picks the function (and the types its arguments are coerced to)
//! the way PostgreSQL's function resolution does for the built-ins: an exact match first,
//! then a match through implicit casts, preferring the preferred type of the category
//! (`round(42)` is `round(double precision)`, `round(42, 1)` is `round(numeric, integer)`).
//! The basic string functions live here; each type family has its own file with its own
//! function enum ([`super::numeric_fns`], ...), tried in turn.
//!
//! Functions are strict unless [`Function::is_strict`] says otherwise: a NULL argument
//! gives NULL without calling them.

use super::array_fns::ArrayFn;
use super::bytea_fns::ByteaFn;
use super::datetime_fns::{self, DateTimeFn};
use super::numeric_fns::NumericFn;
use crate::types::coerce::can_implicit;
use crate::types::oid::RegKind;
use crate::types::{
    DataType, Value,
    cast::{check_int, int_out_of_range},
};
use crate::{Error, Result};

/// A built-in scalar function, resolved by the binder with its argument types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `abs` on a number of the given type.
    Abs(DataType),
    Lower,
    Upper,
    Length,
    /// `pg_typeof(x)`: the argument's type, as a `regtype`.
    TypeOf(DataType),
    Numeric(NumericFn),
    DateTime(DateTimeFn),
    Bytea(ByteaFn),
    Array(ArrayFn),
}

/// A resolved call: the function, the type each argument is coerced to, the result type.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub func: Function,
    pub args: Vec<DataType>,
    pub ret: DataType,
}

impl Resolved {
    pub fn new(func: Function, args: Vec<DataType>, ret: DataType) -> Resolved {
        Resolved { func, args, ret }
    }
}

/// 42883 `function name(types) does not exist`.
pub fn undefined(name: &str, arg_types: &[DataType]) -> Error {
    let args: Vec<String> = arg_types.iter().map(|t| t.name()).collect();
    Error::UndefinedFunction(format!(
        "function {name}({}) does not exist",
        args.join(", ")
    ))
}

/// Whether every argument converts implicitly to the wanted type (unknown always does).
pub fn accepts(args: &[DataType], want: &[DataType]) -> bool {
    args.len() == want.len() && args.iter().zip(want).all(|(a, w)| can_implicit(*a, *w))
}

impl Function {
    /// Resolves `name(args)` (see the module docs).
    pub fn resolve(name: &str, arg_types: &[DataType]) -> Result<Resolved> {
        if let Some(r) = NumericFn::resolve(name, arg_types) {
            return r;
        }
        if let Some(r) = datetime_fns::resolve(name, arg_types) {
            return r;
        }
        if let Some(r) = ByteaFn::resolve(name, arg_types) {
            return r;
        }
        if let Some(r) = ArrayFn::resolve(name, arg_types) {
            return r;
        }
        let text = DataType::Text;
        let r = match (name, arg_types) {
            ("abs", [t]) if t.is_numeric() => Resolved::new(Function::Abs(*t), vec![*t], *t),
            ("abs", [DataType::Unknown]) => {
                let f = DataType::Float8;
                Resolved::new(Function::Abs(f), vec![f], f)
            }
            ("lower", [t]) if accepts(&[*t], &[text]) => {
                Resolved::new(Function::Lower, vec![text], text)
            }
            ("upper", [t]) if accepts(&[*t], &[text]) => {
                Resolved::new(Function::Upper, vec![text], text)
            }
            ("length" | "char_length" | "character_length", [t]) if accepts(&[*t], &[text]) => {
                Resolved::new(Function::Length, vec![text], DataType::Int4)
            }
            ("pg_typeof", [t]) => Resolved::new(Function::TypeOf(*t), vec![*t], DataType::RegType),
            _ => return Err(undefined(name, arg_types)),
        };
        Ok(r)
    }

    /// Whether a NULL argument makes the result NULL without a call.
    pub fn is_strict(&self) -> bool {
        match self {
            Function::TypeOf(_) => false,
            Function::Array(f) => f.is_strict(),
            _ => true,
        }
    }

    /// Calls the function with its (coerced) arguments.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        if self.is_strict() && args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        match self {
            Function::Numeric(f) => return f.call(args),
            Function::DateTime(f) => return f.call(args),
            Function::Bytea(f) => return f.call(args),
            Function::Array(f) => return f.call(args),
            _ => {}
        }
        let Some(arg) = args.into_iter().next() else {
            return Err(Error::Internal("function called without arguments".into()));
        };
        Ok(match (self, arg) {
            (Function::TypeOf(t), _) => Value::Reg(RegKind::Type, t.oid()),
            (Function::Abs(t), Value::Int(i)) => Value::Int(check_int(
                i.checked_abs().ok_or_else(|| int_out_of_range(*t))?,
                *t,
            )?),
            (Function::Abs(_), Value::Float(f)) => Value::Float(f.abs()),
            (Function::Abs(_), Value::Float4(f)) => Value::Float4(f.abs()),
            (Function::Abs(_), Value::Numeric(n)) => Value::numeric(n.abs()),
            (Function::Lower, Value::Text(s)) => Value::Text(s.to_lowercase()),
            (Function::Upper, Value::Text(s)) => Value::Text(s.to_uppercase()),
            (Function::Length, Value::Text(s)) => Value::Int(s.chars().count() as i64),
            (f, v) => return Err(Error::Internal(format!("{f:?} applied to {v:?}"))),
        })
    }
}
