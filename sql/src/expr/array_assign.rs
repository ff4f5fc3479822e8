//! Assignment to array elements and slices (`UPDATE t SET a[2] = v`, `SET a[1:3] = ...`,
//! PL/pgSQL's `a[i] := v`), PostgreSQL's `array_set_element` / `array_set_slice`:
//!
//! * A NULL or empty array becomes one holding just the assigned part, its lower bounds the
//!   subscripts (`[3:3]={v}`).
//! * A one-dimensional array grows to reach a subscript outside its bounds, the gap filled
//!   with NULLs (its lower bound moves down for a subscript below it); a multidimensional one
//!   does not (2202E "array subscript out of range").
//! * As many subscripts as dimensions (2202E "wrong number of array subscripts"); a NULL
//!   subscript is 22004. A slice takes the first `hi - lo + 1` items of its source array
//!   (2202E "source array too small"); a NULL source leaves the array as it was.
//! * A slice of a multidimensional array must lie inside it (2202E "array subscript out of
//!   range"); dimensions past the written subscripts are taken whole.

use crate::types::Value;
use crate::types::array::{Array, Dim, MAX_DIMS};
use crate::{Error, Result};

/// PostgreSQL's `MaxArraySize`.
const MAX_ITEMS: i64 = 134_217_727;

fn subscript(v: &Value) -> Result<i64> {
    match v {
        Value::Null => Err(Error::NullValueNotAllowed(
            "array subscript in assignment must not be null".into(),
        )),
        Value::Int(i) => Ok(*i),
        other => Err(Error::Internal(format!(
            "array subscript is not an integer: {other:?}"
        ))),
    }
}

fn out_of_range() -> Error {
    Error::ArraySubscriptError("array subscript out of range".into())
}

fn wrong_count() -> Error {
    Error::ArraySubscriptError("wrong number of array subscripts".into())
}

fn too_large() -> Error {
    Error::ProgramLimitExceeded(format!(
        "array size exceeds the maximum allowed ({MAX_ITEMS})"
    ))
}

fn bound(i: i64) -> Result<i32> {
    i32::try_from(i).map_err(|_| out_of_range())
}

/// `base` (an array or NULL) as an array value.
fn array_of(base: Value) -> Result<Array> {
    match base {
        Value::Null => Ok(Array::empty()),
        Value::Array(a) => Ok(*a),
        other => Err(Error::Internal(format!(
            "subscripted assignment to a non-array: {other:?}"
        ))),
    }
}

/// A one-dimensional array covering `[lower, upper]` that holds `a`'s items at their
/// places and NULL elsewhere (`[lower, upper]` includes `a`'s bounds).
fn widened(a: Array, lower: i64, upper: i64) -> Result<Array> {
    let len = upper - lower + 1;
    if len > MAX_ITEMS {
        return Err(too_large());
    }
    let old = a.dims.first().copied();
    let mut items = vec![Value::Null; len as usize];
    if let Some(d) = old {
        let at = (i64::from(d.lower) - lower) as usize;
        for (i, v) in a.items.into_iter().enumerate() {
            items[at + i] = v;
        }
    }
    Ok(Array {
        dims: vec![Dim {
            len: len as i32,
            lower: bound(lower)?,
        }],
        items,
    })
}

/// `base[subs...] := value`.
pub fn assign_element(base: Value, value: Value, subs: &[Value]) -> Result<Value> {
    let idx: Vec<i64> = subs.iter().map(subscript).collect::<Result<_>>()?;
    let mut a = array_of(base)?;
    if a.items.is_empty() {
        if idx.len() > MAX_DIMS {
            return Err(Error::ProgramLimitExceeded(format!(
                "number of array dimensions ({}) exceeds the maximum allowed ({MAX_DIMS})",
                idx.len()
            )));
        }
        let dims = idx
            .iter()
            .map(|&i| {
                Ok(Dim {
                    len: 1,
                    lower: bound(i)?,
                })
            })
            .collect::<Result<_>>()?;
        return Ok(Value::Array(Box::new(Array {
            dims,
            items: vec![value],
        })));
    }
    if idx.len() != a.dims.len() {
        return Err(wrong_count());
    }
    if let [d] = a.dims[..] {
        let (lower, upper) = (
            i64::from(d.lower),
            i64::from(d.lower) + i64::from(d.len) - 1,
        );
        let i = idx[0];
        if i < lower || i > upper {
            a = widened(a, lower.min(i), upper.max(i))?;
        }
        let at = (i - i64::from(a.dims[0].lower)) as usize;
        a.items[at] = value;
        return Ok(Value::Array(Box::new(a)));
    }
    let mut offset = 0usize;
    for (d, &i) in a.dims.iter().zip(&idx) {
        let rel = i - i64::from(d.lower);
        if rel < 0 || rel >= i64::from(d.len) {
            return Err(out_of_range());
        }
        offset = offset * d.len as usize + rel as usize;
    }
    a.items[offset] = value;
    Ok(Value::Array(Box::new(a)))
}

/// `base[lo:hi]... := value` (PostgreSQL's `array_set_slice`); a missing bound is the
/// array's own, and dimensions past the written ones are taken whole.
pub fn assign_slice(
    base: Value,
    value: Value,
    bounds: &[(Option<&Value>, Option<&Value>)],
) -> Result<Value> {
    let bounds: Vec<(Option<i64>, Option<i64>)> = bounds
        .iter()
        .map(|(lo, hi)| {
            Ok((
                lo.map(subscript).transpose()?,
                hi.map(subscript).transpose()?,
            ))
        })
        .collect::<Result<_>>()?;
    let src = match value {
        Value::Null => return Ok(base),
        Value::Array(s) => s.items,
        other => {
            return Err(Error::Internal(format!(
                "slice assignment from a non-array: {other:?}"
            )));
        }
    };
    let a = array_of(base)?;
    if a.items.is_empty() {
        return new_slice(&bounds, src);
    }
    if a.dims.len() < bounds.len() {
        return Err(wrong_count());
    }
    if a.dims.len() > 1 {
        return assign_region(a, &bounds, src);
    }
    let d = a.dims[0];
    let lower = i64::from(d.lower);
    let (lo, hi) = bounds.first().copied().unwrap_or((None, None));
    let (lo, hi) = (
        lo.unwrap_or(lower),
        hi.unwrap_or(lower + i64::from(d.len) - 1),
    );
    if hi < lo {
        return Err(lower_above_upper());
    }
    let n = hi - lo + 1;
    if n > MAX_ITEMS {
        return Err(too_large());
    }
    if (src.len() as i64) < n {
        return Err(too_small());
    }
    let (lower, upper) = (lower.min(lo), (lower + i64::from(d.len) - 1).max(hi));
    let mut out = widened(a, lower, upper)?;
    let at = (lo - lower) as usize;
    for (i, v) in src.into_iter().take(n as usize).enumerate() {
        out.items[at + i] = v;
    }
    Ok(Value::Array(Box::new(out)))
}

fn lower_above_upper() -> Error {
    Error::ArraySubscriptError("upper bound cannot be less than lower bound".into())
}

fn too_small() -> Error {
    Error::ArraySubscriptError("source array too small".into())
}

/// A slice assigned to a NULL or empty array: an array of just that region, its lower
/// bounds the written ones.
fn new_slice(bounds: &[(Option<i64>, Option<i64>)], src: Vec<Value>) -> Result<Value> {
    if bounds.len() > MAX_DIMS {
        return Err(Error::ProgramLimitExceeded(format!(
            "number of array dimensions ({}) exceeds the maximum allowed ({MAX_DIMS})",
            bounds.len()
        )));
    }
    let mut dims = Vec::with_capacity(bounds.len());
    let mut n: i64 = 1;
    for b in bounds {
        let (Some(lo), Some(hi)) = *b else {
            return Err(Error::ArraySubscriptError(
                "array slice subscript must provide both boundaries".into(),
            ));
        };
        if hi < lo {
            return Err(lower_above_upper());
        }
        let len = hi - lo + 1;
        n = n.saturating_mul(len);
        if n > MAX_ITEMS {
            return Err(too_large());
        }
        dims.push(Dim {
            len: len as i32,
            lower: bound(lo)?,
        });
    }
    if (src.len() as i64) < n {
        return Err(too_small());
    }
    let items = src.into_iter().take(n as usize).collect();
    Ok(Value::Array(Box::new(Array { dims, items })))
}

/// A slice of a multidimensional array: it must lie inside the array (which does not grow).
fn assign_region(
    mut a: Array,
    bounds: &[(Option<i64>, Option<i64>)],
    src: Vec<Value>,
) -> Result<Value> {
    let mut ranges = Vec::with_capacity(a.dims.len());
    for (i, d) in a.dims.iter().enumerate() {
        let first = i64::from(d.lower);
        let last = first + i64::from(d.len) - 1;
        let (lo, hi) = bounds.get(i).copied().unwrap_or((None, None));
        let (lo, hi) = (lo.unwrap_or(first), hi.unwrap_or(last));
        if lo > hi {
            return Err(lower_above_upper());
        }
        if lo < first || hi > last {
            return Err(out_of_range());
        }
        ranges.push(((lo - first) as usize, (hi - first) as usize));
    }
    let offsets = super::array_slice::offsets(&a.dims, &ranges);
    if src.len() < offsets.len() {
        return Err(too_small());
    }
    for (o, v) in offsets.into_iter().zip(src) {
        if let Some(slot) = a.items.get_mut(o) {
            *slot = v;
        }
    }
    Ok(Value::Array(Box::new(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(lower: i32, items: &[i32]) -> Value {
        Value::Array(Box::new(Array {
            dims: vec![Dim {
                len: items.len() as i32,
                lower,
            }],
            items: items.iter().map(|&i| Value::Int(i64::from(i))).collect(),
        }))
    }

    fn text(v: &Value) -> String {
        let Value::Array(a) = v else {
            return format!("{v:?}");
        };
        let items: Vec<String> = a
            .items
            .iter()
            .map(|v| match v {
                Value::Int(i) => i.to_string(),
                _ => "NULL".into(),
            })
            .collect();
        let dims: Vec<String> = a
            .dims
            .iter()
            .map(|d| format!("[{}:{}]", d.lower, d.lower + d.len - 1))
            .collect();
        format!("{}={{{}}}", dims.concat(), items.join(","))
    }

    #[test]
    fn elements_grow_one_dimensional_arrays_both_ways() {
        let a = assign_element(arr(1, &[1, 2, 3]), Value::Int(0), &[Value::Int(0)]).unwrap();
        assert_eq!(text(&a), "[0:3]={0,1,2,3}");
        let a = assign_element(a, Value::Int(6), &[Value::Int(6)]).unwrap();
        assert_eq!(text(&a), "[0:6]={0,1,2,3,NULL,NULL,6}");
        let a = assign_element(Value::Null, Value::Int(3), &[Value::Int(3)]).unwrap();
        assert_eq!(text(&a), "[3:3]={3}");
    }

    #[test]
    fn element_errors_are_postgres_errors() {
        let e = assign_element(arr(1, &[1]), Value::Int(0), &[Value::Null]).unwrap_err();
        assert_eq!(e.code(), "22004");
        let e = assign_element(arr(1, &[1]), Value::Int(0), &[Value::Int(1), Value::Int(1)])
            .unwrap_err();
        assert_eq!(e.to_string(), "wrong number of array subscripts");
        let e = assign_element(
            arr(1, &[1]),
            Value::Int(0),
            &[Value::Int(i64::from(i32::MAX))],
        )
        .unwrap_err();
        assert_eq!(e.code(), "54000");
    }

    #[test]
    fn slices_take_the_source_prefix_and_pad_gaps() {
        let a = assign_slice(
            arr(1, &[1, 2]),
            arr(1, &[8, 9, 10]),
            &[(Some(&Value::Int(4)), Some(&Value::Int(5)))],
        )
        .unwrap();
        assert_eq!(text(&a), "[1:5]={1,2,NULL,8,9}");
        let same = assign_slice(arr(1, &[1]), Value::Null, &[(None, None)]).unwrap();
        assert_eq!(text(&same), "[1:1]={1}");
        let e = assign_slice(arr(1, &[1, 2]), arr(1, &[1]), &[(None, None)]).unwrap_err();
        assert_eq!(e.to_string(), "source array too small");
        let e =
            assign_slice(Value::Null, arr(1, &[1]), &[(None, Some(&Value::Int(1)))]).unwrap_err();
        assert_eq!(e.code(), "2202E");
    }
}
