//! `int2vector` and `oidvector`: the catalogs' one-dimensional arrays, subscripted from 0
//! and printed as their elements separated by spaces (`1 2`). A value is held as that text
//! (`Value::Text`); [`items`] reads it back for `unnest` and `generate_subscripts`.

use super::{DataType, Value};
use crate::{Error, Result};

/// The element type of a vector type.
pub fn elem(t: DataType) -> Option<DataType> {
    match t {
        DataType::Int2Vector => Some(DataType::Int2),
        DataType::OidVector => Some(DataType::Oid),
        _ => None,
    }
}

/// The elements of a vector value.
pub fn items(v: &Value) -> Result<Vec<Value>> {
    let Value::Text(s) = v else {
        return Err(Error::Internal(format!(
            "a vector value is text, not {v:?}"
        )));
    };
    s.split_ascii_whitespace()
        .map(|x| {
            x.parse::<i64>().map(Value::Int).map_err(|_| {
                Error::InvalidTextRepresentation(format!(
                    "invalid input syntax for type integer: \"{x}\""
                ))
            })
        })
        .collect()
}
