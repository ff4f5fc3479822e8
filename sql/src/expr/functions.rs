//! Scalar functions: `abs`, `lower`, `upper`, `length` (and `char_length`), `pg_typeof`.

use crate::types::{
    DataType, Value,
    cast::{check_int, int_out_of_range},
};
use crate::{Error, Result};

/// A built-in scalar function, resolved by the binder with its argument type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `abs` on a number of the given type.
    Abs(DataType),
    Lower,
    Upper,
    Length,
    /// `pg_typeof(x)`: the argument's type name (PostgreSQL returns `regtype`; here text).
    TypeOf(DataType),
    /// Functions of the session and the server (`version()`, `current_setting`, ...).
    System(super::SystemFunction),
}

impl Function {
    /// Resolves `name(args)` to a function and its result type.
    pub fn resolve(name: &str, arg_types: &[DataType]) -> Result<(Function, DataType)> {
        let undefined = || {
            let args: Vec<String> = arg_types.iter().map(|t| t.name()).collect();
            Error::UndefinedFunction(format!(
                "function {name}({}) does not exist",
                args.join(", ")
            ))
        };
        match (name, arg_types) {
            ("abs", [t]) if t.is_numeric() => Ok((Function::Abs(*t), *t)),
            ("abs", [DataType::Unknown]) => Ok((Function::Abs(DataType::Float8), DataType::Float8)),
            ("lower", [t]) if t.is_string() => Ok((Function::Lower, DataType::Text)),
            ("upper", [t]) if t.is_string() => Ok((Function::Upper, DataType::Text)),
            ("length" | "char_length" | "character_length", [t]) if t.is_string() => {
                Ok((Function::Length, DataType::Int4))
            }
            ("pg_typeof", [t]) => Ok((Function::TypeOf(*t), DataType::Text)),
            _ => Err(undefined()),
        }
    }

    /// The types the arguments are coerced to before the call.
    pub fn arg_type(&self) -> DataType {
        match self {
            Function::Abs(t) | Function::TypeOf(t) => *t,
            _ => DataType::Text,
        }
    }

    /// Calls the function; every function here but the system ones is strict (NULL in →
    /// NULL out).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        if let Function::System(f) = self {
            return f.call(args);
        }
        let Some(arg) = args.into_iter().next() else {
            return Err(Error::Internal("function called without arguments".into()));
        };
        Ok(match (self, arg) {
            (Function::TypeOf(t), _) => Value::Text(t.name()),
            (_, Value::Null) => Value::Null,
            (Function::Abs(t), Value::Int(i)) => Value::Int(check_int(
                i.checked_abs().ok_or_else(|| int_out_of_range(*t))?,
                *t,
            )?),
            (Function::Abs(_), Value::Float(f)) => Value::Float(f.abs()),
            (Function::Abs(_), Value::Float4(f)) => Value::Float4(f.abs()),
            (Function::Lower, Value::Text(s)) => Value::Text(s.to_lowercase()),
            (Function::Upper, Value::Text(s)) => Value::Text(s.to_uppercase()),
            (Function::Length, Value::Text(s)) => Value::Int(s.chars().count() as i64),
            (f, v) => return Err(Error::Internal(format!("{f:?} applied to {v:?}"))),
        })
    }
}
