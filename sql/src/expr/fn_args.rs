//! Argument extraction shared by the function families (`datetime_fns`, `array_fns`,
//! `bytea_fns`, `numeric_fns`, `extension_fns`). A call reaches its family only after
//! resolution coerced each argument to the type its signature names, so a mismatch here is a
//! resolver bug: an internal error naming what came instead, never a user's 22023/42883.

use crate::types::Value;
use crate::{Error, Result};

/// The text of a text argument.
pub(crate) fn text(v: &Value) -> Result<&str> {
    v.as_str()
        .ok_or_else(|| Error::Internal(format!("text argument expected: {v:?}")))
}

/// The value of an integer argument (any width).
pub(crate) fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(Error::Internal(format!(
            "integer argument expected: {other:?}"
        ))),
    }
}

/// Argument `i` of `args`.
pub(crate) fn arg(args: &[Value], i: usize) -> Result<&Value> {
    args.get(i)
        .ok_or_else(|| Error::Internal(format!("argument {} missing", i + 1)))
}
