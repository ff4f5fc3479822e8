//! Array functions and operators.
//!
//! Construction (`ARRAY[...]`, nested for more dimensions), subscripts and slices,
//! `= ANY(array)` / `op ALL(array)` with PostgreSQL's NULL semantics, `@>`, `<@`, `&&`, `||`
//! (array and element in either order), and the functions `array_length`, `array_upper`,
//! `array_lower`, `cardinality`, `array_ndims`, `array_dims`, `array_append`,
//! `array_prepend`, `array_cat`, `array_position(s)`, `array_remove`, `array_replace`,
//! `array_to_string` and `string_to_array`. The polymorphic signatures (`anyarray`,
//! `anyelement`) are resolved here: the element type comes from whichever argument has one.

use super::fn_args::{int, text};
use super::functions::{Function, Resolved};
use super::ops::CmpOp;
use crate::types::array::{Array, Dim, MAX_DIMS};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// An array function. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayFn {
    /// `ARRAY[...]`; `nested`: the items are arrays (one more dimension).
    Construct {
        nested: bool,
    },
    /// `a[i][j]...` with this many subscripts.
    Subscript(u8),
    /// `a[lo:hi][lo:hi]...` over `n` dimensions; bit `i` of `lower` / `upper` says the
    /// `i`th dimension's bound is written. The written bounds follow the array, dimension
    /// by dimension, lower before upper.
    Slice {
        n: u8,
        lower: u8,
        upper: u8,
    },
    /// `x op ANY(a)` (`all`: `op ALL(a)`).
    Quantified {
        op: CmpOp,
        all: bool,
    },
    /// `x [NOT] [I]LIKE ANY/ALL (array)`.
    QuantifiedLike {
        case_insensitive: bool,
        negated: bool,
        all: bool,
    },
    Contains,
    ContainedBy,
    Overlaps,
    Append,
    Prepend,
    Cat,
    Length,
    Upper,
    Lower,
    Cardinality,
    Ndims,
    Dims,
    Position,
    Positions,
    Remove,
    Replace,
    ToString,
    StringToArray,
    /// `array_fill(value, dims [, lower bounds])`.
    Fill,
    /// `trim_array(a, n)`: without the last `n` items of the first dimension.
    Trim,
    /// `width_bucket(x, thresholds)`: how many of the (sorted) thresholds are <= `x`.
    WidthBucket,
    /// `a[i][j]... := v` with this many subscripts: `(a, v, i, j, ...)`.
    Assign(u8),
    /// `a[lo:hi]... := v`, the bounds present as flagged as in [`ArrayFn::Slice`]:
    /// `(a, v, bounds...)`.
    AssignSlice {
        n: u8,
        lower: u8,
        upper: u8,
    },
}

fn array_type(elem: DataType) -> Result<DataType> {
    crate::types::ElemType::new(elem)
        .map(DataType::Array)
        .ok_or_else(|| {
            Error::UndefinedObject(format!(
                "could not find array type for data type {}",
                elem.name()
            ))
        })
}

/// The array type of a polymorphic call: from an array argument, else an element one.
fn unify(arrays: &[DataType], elems: &[DataType]) -> Option<DataType> {
    let mut elem = DataType::Unknown;
    for a in arrays {
        match a {
            DataType::Array(e) => elem = DataType::unify(elem, e.get().without_typmod())?,
            DataType::Unknown => {}
            _ => return None,
        }
    }
    for e in elems {
        if matches!(e, DataType::Array(_)) {
            return None;
        }
        elem = DataType::unify(elem, e.without_typmod())?;
    }
    if elem == DataType::Unknown {
        elem = DataType::Text;
    }
    array_type(elem).ok()
}

fn call(f: ArrayFn, args: Vec<DataType>, ret: DataType) -> Option<Result<Resolved>> {
    Some(Ok(Resolved::new(Function::Array(f), args, ret)))
}

impl ArrayFn {
    /// Resolves an array function by name (`None`: not this family's).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use ArrayFn::*;
        let int = DataType::Int4;
        let text = DataType::Text;
        let undefined = || Some(Err(super::functions::undefined(name, args)));
        match (name, args) {
            ("array_length" | "array_upper" | "array_lower", [a, d]) => {
                let Some(t) = unify(&[*a], &[]) else {
                    return undefined();
                };
                let f = match name {
                    "array_length" => Length,
                    "array_upper" => Upper,
                    _ => Lower,
                };
                let _ = d;
                call(f, vec![t, int], int)
            }
            ("width_bucket", [x, a]) if matches!(a, DataType::Array(_) | DataType::Unknown) => {
                let Some(t) = unify(&[*a], &[*x]) else {
                    return undefined();
                };
                let e = t.elem()?;
                call(WidthBucket, vec![e, t], int)
            }
            ("trim_array", [a, n]) if n.is_integer() || *n == DataType::Unknown => {
                let Some(t) = unify(&[*a], &[]) else {
                    return undefined();
                };
                call(Trim, vec![t, int], t)
            }
            ("cardinality" | "array_ndims" | "array_dims", [a]) => {
                let Some(t) = unify(&[*a], &[]) else {
                    return undefined();
                };
                match name {
                    "cardinality" => call(Cardinality, vec![t], int),
                    "array_ndims" => call(Ndims, vec![t], int),
                    _ => call(Dims, vec![t], text),
                }
            }
            ("array_append", [a, e]) => {
                let Some(t) = unify(&[*a], &[*e]) else {
                    return undefined();
                };
                call(Append, vec![t, t.elem()?], t)
            }
            ("array_prepend", [e, a]) => {
                let Some(t) = unify(&[*a], &[*e]) else {
                    return undefined();
                };
                call(Prepend, vec![t.elem()?, t], t)
            }
            ("array_cat", [a, b]) => {
                let Some(t) = unify(&[*a, *b], &[]) else {
                    return undefined();
                };
                call(Cat, vec![t, t], t)
            }
            ("array_position" | "array_positions" | "array_remove", [a, e]) => {
                let Some(t) = unify(&[*a], &[*e]) else {
                    return undefined();
                };
                match name {
                    "array_position" => call(Position, vec![t, t.elem()?], int),
                    "array_positions" => call(Positions, vec![t, t.elem()?], array_type(int).ok()?),
                    _ => call(Remove, vec![t, t.elem()?], t),
                }
            }
            ("array_position", [a, e, start])
                if start.is_integer() || *start == DataType::Unknown =>
            {
                let Some(t) = unify(&[*a], &[*e]) else {
                    return undefined();
                };
                call(Position, vec![t, t.elem()?, int], int)
            }
            ("array_replace", [a, x, y]) => {
                let Some(t) = unify(&[*a], &[*x, *y]) else {
                    return undefined();
                };
                let e = t.elem()?;
                call(Replace, vec![t, e, e], t)
            }
            ("array_to_string", [a, _]) | ("array_to_string", [a, _, _]) => {
                let Some(t) = unify(&[*a], &[]) else {
                    return undefined();
                };
                let mut params = vec![t, text];
                if args.len() == 3 {
                    params.push(text);
                }
                call(ToString, params, text)
            }
            ("array_fill", [v, d]) | ("array_fill", [v, d, _])
                if matches!(d, DataType::Array(_) | DataType::Unknown) =>
            {
                if *v == DataType::Unknown {
                    return Some(Err(Error::DatatypeMismatch(
                        "could not determine polymorphic type because input has type unknown"
                            .into(),
                    )));
                }
                let ints = array_type(int).ok()?;
                let mut params = vec![*v, ints];
                if args.len() == 3 {
                    params.push(ints);
                }
                call(Fill, params, array_type(v.without_typmod()).ok()?)
            }
            ("string_to_array", [_, _]) | ("string_to_array", [_, _, _]) => {
                let params = vec![text; args.len()];
                call(StringToArray, params, array_type(text).ok()?)
            }
            _ => None,
        }
    }

    /// Resolves `@>`, `<@`, `&&` and `||` on arrays.
    pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
        use ArrayFn::*;
        let is_array = |t: DataType| matches!(t, DataType::Array(_));
        if !is_array(l) && !is_array(r) {
            return None;
        }
        let undefined = || {
            Some(Err(Error::UndefinedFunction(format!(
                "operator does not exist: {} {sym} {}",
                l.name(),
                r.name()
            ))))
        };
        match sym {
            "@>" | "<@" | "&&" => {
                let Some(t) = unify(&[l, r], &[]) else {
                    return undefined();
                };
                let f = match sym {
                    "@>" => Contains,
                    "<@" => ContainedBy,
                    _ => Overlaps,
                };
                call(f, vec![t, t], DataType::Bool)
            }
            "||" => {
                if (is_array(l) || l == DataType::Unknown)
                    && (is_array(r) || r == DataType::Unknown)
                {
                    let Some(t) = unify(&[l, r], &[]) else {
                        return undefined();
                    };
                    call(Cat, vec![t, t], t)
                } else if is_array(l) {
                    let Some(t) = unify(&[l], &[r]) else {
                        return undefined();
                    };
                    call(Append, vec![t, t.elem()?], t)
                } else {
                    let Some(t) = unify(&[r], &[l]) else {
                        return undefined();
                    };
                    call(Prepend, vec![t.elem()?, t], t)
                }
            }
            _ => None,
        }
    }

    /// Whether NULL arguments skip the call (NULL result).
    pub fn is_strict(&self) -> bool {
        use ArrayFn::*;
        !matches!(
            self,
            Construct { .. }
                | Fill
                | Quantified { .. }
                | QuantifiedLike { .. }
                | Append
                | Prepend
                | Cat
                | Position
                | Positions
                | Remove
                | Replace
                | StringToArray
                | ToString
                | Assign(_)
                | AssignSlice { .. }
        )
    }

    /// Calls the function.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use ArrayFn::*;
        let mut args = args;
        Ok(match self {
            Construct { nested } => construct(args, *nested)?,
            Subscript(_) => {
                let arr = take_array(&mut args, 0)?;
                let idx: Vec<i64> = args[1..].iter().map(int).collect::<Result<_>>()?;
                subscript(&arr, &idx)
            }
            Slice { n, lower, upper } => {
                let arr = take_array(&mut args, 0)?;
                let bounds = super::array_slice::bounds(&args[1..], *n, *lower, *upper)
                    .into_iter()
                    .map(|(lo, hi)| Ok((lo.map(int).transpose()?, hi.map(int).transpose()?)))
                    .collect::<Result<Vec<_>>>()?;
                Value::Array(Box::new(super::array_slice::slice(&arr, &bounds)))
            }
            Assign(_) => {
                let mut it = args.into_iter();
                let (base, value) = (it.next(), it.next());
                let subs: Vec<Value> = it.collect();
                super::array_assign::assign_element(
                    base.unwrap_or(Value::Null),
                    value.unwrap_or(Value::Null),
                    &subs,
                )?
            }
            AssignSlice { n, lower, upper } => {
                let bounds = super::array_slice::bounds(&args[2..], *n, *lower, *upper);
                super::array_assign::assign_slice(args[0].clone(), args[1].clone(), &bounds)?
            }
            Quantified { op, all } => {
                quantified(
                    &args[0],
                    &args[1],
                    *all,
                    |x, item| Ok(op.holds(x.cmp(item))),
                )?
            }
            QuantifiedLike {
                case_insensitive,
                negated,
                all,
            } => quantified(&args[0], &args[1], *all, |x, item| {
                let (Value::Text(x), Value::Text(p)) = (x, item) else {
                    return Err(Error::Internal(format!("LIKE of {x:?} and {item:?}")));
                };
                Ok(super::like::matches(x, p, *case_insensitive, Some('\\'))? != *negated)
            })?,
            Contains | ContainedBy | Overlaps => {
                let (a, b) = (take_array(&mut args, 0)?, take_array(&mut args, 1)?);
                let has = |hay: &Array, needle: &Value| {
                    !needle.is_null() && hay.items.iter().any(|x| !x.is_null() && x == needle)
                };
                Value::Bool(match self {
                    Contains => b.items.iter().all(|x| has(&a, x)),
                    ContainedBy => a.items.iter().all(|x| has(&b, x)),
                    _ => a.items.iter().any(|x| has(&b, x)),
                })
            }
            Append | Prepend => {
                let (arr_at, elem_at) = if *self == Append { (0, 1) } else { (1, 0) };
                if args[arr_at].is_null() && args[elem_at].is_null() {
                    return Ok(Value::Null);
                }
                let arr = opt_array(&mut args, arr_at)?.unwrap_or_else(Array::empty);
                let elem = std::mem::replace(&mut args[elem_at], Value::Null);
                if arr.ndims() > 1 {
                    return Err(Error::DataException(
                        "argument must be empty or one-dimensional array".into(),
                    ));
                }
                // The result keeps the input's lower bound (PostgreSQL readjusts it after a
                // prepend too).
                let lower = arr.dims.first().map_or(1, |d| d.lower);
                let mut items = arr.items;
                if *self == Append {
                    items.push(elem);
                } else {
                    items.insert(0, elem);
                }
                let len = items.len() as i32;
                Value::Array(Box::new(Array {
                    dims: vec![Dim { len, lower }],
                    items,
                }))
            }
            Cat => {
                let a = opt_array(&mut args, 0)?;
                let b = opt_array(&mut args, 1)?;
                match (a, b) {
                    (None, None) => Value::Null,
                    (Some(x), None) | (None, Some(x)) => Value::Array(Box::new(x)),
                    (Some(a), Some(b)) => Value::Array(Box::new(concat(a, b)?)),
                }
            }
            Length | Upper | Lower => {
                let arr = take_array(&mut args, 0)?;
                let d = int(&args[1])?;
                match usize::try_from(d - 1).ok().and_then(|i| arr.dims.get(i)) {
                    None => Value::Null,
                    Some(dim) => Value::Int(i64::from(match self {
                        Length => dim.len,
                        Lower => dim.lower,
                        _ => dim.lower + dim.len - 1,
                    })),
                }
            }
            Cardinality => Value::Int(take_array(&mut args, 0)?.items.len() as i64),
            WidthBucket => {
                let arr = take_array(&mut args, 1)?;
                if arr.dims.len() > 1 {
                    return Err(Error::ArraySubscriptError(
                        "thresholds must be one-dimensional array".into(),
                    ));
                }
                if arr.has_nulls() {
                    return Err(Error::NullValueNotAllowed(
                        "thresholds array must not contain NULLs".into(),
                    ));
                }
                // PostgreSQL's binary search (`width_bucket_array`)
                let (mut left, mut right) = (0, arr.items.len());
                while left < right {
                    let mid = (left + right) / 2;
                    if args[0].cmp(&arr.items[mid]).is_lt() {
                        right = mid;
                    } else {
                        left = mid + 1;
                    }
                }
                Value::Int(left as i64)
            }
            Trim => {
                let arr = take_array(&mut args, 0)?;
                let n = int(&args[1])?;
                let (lower, len) = arr
                    .dims
                    .first()
                    .map_or((1, 0), |d| (i64::from(d.lower), i64::from(d.len)));
                if !(0..=len).contains(&n) {
                    return Err(Error::ArraySubscriptError(format!(
                        "number of elements to trim must be between 0 and {len}"
                    )));
                }
                let bounds = [(None, Some(lower + len - 1 - n))];
                Value::Array(Box::new(super::array_slice::slice(&arr, &bounds)))
            }
            Ndims => {
                let arr = take_array(&mut args, 0)?;
                if arr.dims.is_empty() {
                    Value::Null
                } else {
                    Value::Int(arr.ndims() as i64)
                }
            }
            Dims => {
                let arr = take_array(&mut args, 0)?;
                if arr.dims.is_empty() {
                    Value::Null
                } else {
                    Value::Text(
                        arr.dims
                            .iter()
                            .map(|d| format!("[{}:{}]", d.lower, d.lower + d.len - 1))
                            .collect(),
                    )
                }
            }
            Position | Positions => {
                let Some(arr) = opt_array(&mut args, 0)? else {
                    return Ok(Value::Null);
                };
                if arr.ndims() > 1 {
                    return Err(Error::unsupported(
                        "searching for elements in multidimensional arrays is not supported",
                    ));
                }
                let lower = arr.dims.first().map_or(1, |d| d.lower);
                // `array_position(a, x, start)`: the first hit at or after `start`.
                let start = match args.get(2) {
                    None => i64::MIN,
                    Some(Value::Int(s)) => *s,
                    Some(_) => {
                        return Err(Error::NullValueNotAllowed(
                            "initial position must not be null".into(),
                        ));
                    }
                };
                let hits = arr
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| match (x.is_null(), args[1].is_null()) {
                        (true, true) => true,
                        (false, false) => **x == args[1],
                        _ => false,
                    })
                    .map(|(i, _)| i64::from(lower) + i as i64)
                    .filter(|p| *p >= start)
                    .map(Value::Int);
                if *self == Position {
                    hits.into_iter().next().unwrap_or(Value::Null)
                } else {
                    Value::Array(Box::new(Array::from_items(hits.collect())))
                }
            }
            Remove | Replace => {
                let Some(arr) = opt_array(&mut args, 0)? else {
                    return Ok(Value::Null);
                };
                if arr.ndims() > 1 && *self == Remove {
                    return Err(Error::unsupported(
                        "removing elements from multidimensional arrays is not supported",
                    ));
                }
                let target = &args[1];
                let same = |x: &Value| match (x.is_null(), target.is_null()) {
                    (true, true) => true,
                    (false, false) => x == target,
                    _ => false,
                };
                if *self == Remove {
                    let items: Vec<Value> = arr.items.into_iter().filter(|x| !same(x)).collect();
                    let lower = arr.dims.first().map_or(1, |d| d.lower);
                    let mut out = Array::from_items(items);
                    if let Some(d) = out.dims.first_mut() {
                        d.lower = lower;
                    }
                    Value::Array(Box::new(out))
                } else {
                    let with = args[2].clone();
                    let items = arr
                        .items
                        .into_iter()
                        .map(|x| if same(&x) { with.clone() } else { x })
                        .collect();
                    Value::Array(Box::new(Array {
                        dims: arr.dims,
                        items,
                    }))
                }
            }
            ToString => {
                if args[0].is_null() || args[1].is_null() {
                    return Ok(Value::Null);
                }
                let arr = take_array(&mut args, 0)?;
                let sep = text(&args[1])?;
                let null = args.get(2).and_then(|v| v.as_str().map(str::to_string));
                let parts: Vec<String> = arr
                    .items
                    .iter()
                    .filter_map(|x| {
                        if x.is_null() {
                            null.clone()
                        } else {
                            Some(crate::types::cast::text_of(x.clone()))
                        }
                    })
                    .collect();
                Value::Text(parts.join(sep))
            }
            Fill => fill(&args)?,
            StringToArray => {
                if args[0].is_null() {
                    return Ok(Value::Null);
                }
                let s = text(&args[0])?.to_string();
                let null = args.get(2).and_then(|v| v.as_str().map(str::to_string));
                let parts: Vec<String> = if s.is_empty() {
                    Vec::new()
                } else {
                    match args[1].as_str() {
                        None => s.chars().map(String::from).collect(),
                        Some("") => vec![s.clone()],
                        Some(sep) => s.split(sep).map(str::to_string).collect(),
                    }
                };
                let items = parts
                    .into_iter()
                    .map(|p| {
                        if null.as_deref() == Some(p.as_str()) {
                            Value::Null
                        } else {
                            Value::Text(p)
                        }
                    })
                    .collect();
                Value::Array(Box::new(Array::from_items(items)))
            }
        })
    }
}

fn opt_array(args: &mut [Value], i: usize) -> Result<Option<Array>> {
    match std::mem::replace(&mut args[i], Value::Null) {
        Value::Null => Ok(None),
        Value::Array(a) => Ok(Some(*a)),
        other => Err(Error::Internal(format!(
            "array argument expected: {other:?}"
        ))),
    }
}

fn take_array(args: &mut [Value], i: usize) -> Result<Array> {
    opt_array(args, i)?.ok_or_else(|| Error::Internal("NULL array in a strict call".into()))
}

/// Arrays stacked into one more dimension (`ARRAY(SELECT a ...)`, PostgreSQL's
/// `accumArrayResultArr`): NULL (22004), empty (2202E) or differently shaped (2202E) arrays
/// are errors; no arrays at all is the empty array.
pub fn stack(items: Vec<Value>) -> Result<Value> {
    for v in &items {
        check_stackable(items.first(), v)?;
    }
    if items.is_empty() {
        return Ok(Value::Array(Box::new(Array::empty())));
    }
    construct(items, true)
}

/// Whether `v` may be stacked after `first` (the first array stacked, if any): NULL is 22004,
/// an empty array or one shaped unlike `first` 2202E, as `accumArrayResultArr` checks each.
pub fn check_stackable(first: Option<&Value>, v: &Value) -> Result<()> {
    let Value::Array(a) = v else {
        return Err(Error::NullValueNotAllowed(
            "cannot accumulate null arrays".into(),
        ));
    };
    if a.items.is_empty() {
        return Err(Error::ArraySubscriptError(
            "cannot accumulate empty arrays".into(),
        ));
    }
    if let Some(Value::Array(first)) = first
        && first.dims != a.dims
    {
        return Err(Error::ArraySubscriptError(
            "cannot accumulate arrays of different dimensionality".into(),
        ));
    }
    Ok(())
}

/// `ARRAY[...]`: one dimension of scalars, or sub-arrays stacked into one more dimension.
pub fn construct(items: Vec<Value>, nested: bool) -> Result<Value> {
    if !nested {
        return Ok(Value::Array(Box::new(Array::from_items(items))));
    }
    let mut inner_dims: Option<Vec<Dim>> = None;
    let mut all = Vec::new();
    let mut count = 0;
    for item in items {
        let Value::Array(a) = item else {
            if item.is_null() {
                continue; // PostgreSQL skips NULL sub-arrays
            }
            return Err(Error::Internal("sub-array expected".into()));
        };
        if a.items.is_empty() {
            continue;
        }
        match &inner_dims {
            None => inner_dims = Some(a.dims.clone()),
            Some(d) if *d == a.dims => {}
            Some(_) => {
                return Err(Error::ArraySubscriptError(
                    "multidimensional arrays must have array expressions with matching dimensions"
                        .into(),
                ));
            }
        }
        all.extend(a.items);
        count += 1;
    }
    let Some(inner) = inner_dims else {
        return Ok(Value::Array(Box::new(Array::empty())));
    };
    if inner.len() + 1 > MAX_DIMS {
        return Err(Error::ProgramLimitExceeded(format!(
            "number of array dimensions ({}) exceeds the maximum allowed ({MAX_DIMS})",
            inner.len() + 1
        )));
    }
    let mut dims = vec![Dim {
        len: count,
        lower: 1,
    }];
    dims.extend(inner);
    Ok(Value::Array(Box::new(Array { dims, items: all })))
}

/// `a[i][j]...`: NULL when out of range or not as many subscripts as dimensions.
fn subscript(a: &Array, idx: &[i64]) -> Value {
    if idx.len() != a.dims.len() {
        return Value::Null;
    }
    let mut offset = 0usize;
    for (d, i) in a.dims.iter().zip(idx) {
        let rel = i - i64::from(d.lower);
        if rel < 0 || rel >= i64::from(d.len) {
            return Value::Null;
        }
        offset = offset * d.len as usize + rel as usize;
    }
    a.items.get(offset).cloned().unwrap_or(Value::Null)
}

/// `array_cat`: same dimensions stack, one dimension less appends as an element.
fn concat(a: Array, b: Array) -> Result<Array> {
    if a.items.is_empty() {
        return Ok(b);
    }
    if b.items.is_empty() {
        return Ok(a);
    }
    let mismatch = || Error::ArraySubscriptError("cannot concatenate incompatible arrays".into());
    let mut dims;
    let items;
    if a.ndims() == b.ndims() {
        if a.dims[1..] != b.dims[1..] {
            return Err(mismatch());
        }
        dims = a.dims.clone();
        dims[0].len += b.dims[0].len;
        items = [a.items, b.items].concat();
    } else if a.ndims() == b.ndims() + 1 {
        if a.dims[1..] != b.dims[..] {
            return Err(mismatch());
        }
        dims = a.dims.clone();
        dims[0].len += 1;
        items = [a.items, b.items].concat();
    } else if a.ndims() + 1 == b.ndims() {
        if b.dims[1..] != a.dims[..] {
            return Err(mismatch());
        }
        dims = b.dims.clone();
        dims[0].len += 1;
        dims[0].lower = 1;
        items = [a.items, b.items].concat();
    } else {
        return Err(mismatch());
    }
    Ok(Array { dims, items })
}

/// `x op ANY(a)` / `x op ALL(a)`: true/false as soon as decided, else NULL if a NULL was
/// seen; an empty array gives false (ANY) or true (ALL) whatever `x` is.
/// `x op ANY/ALL (a)` with SQL's three-valued logic; `holds` compares two non-NULLs.
fn quantified(
    x: &Value,
    a: &Value,
    all: bool,
    holds: impl Fn(&Value, &Value) -> Result<bool>,
) -> Result<Value> {
    let arr = match a {
        Value::Null => return Ok(Value::Null),
        Value::Array(arr) => arr,
        other => return Err(Error::Internal(format!("array expected: {other:?}"))),
    };
    if arr.items.is_empty() {
        return Ok(Value::Bool(all));
    }
    if x.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for item in &arr.items {
        if item.is_null() {
            saw_null = true;
            continue;
        }
        if holds(x, item)? != all {
            return Ok(Value::Bool(!all));
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    })
}

/// `array_fill(value, dims [, lower bounds])`: an array of those dimensions (lower bounds
/// 1 by default) with every element `value` (NULL too), as PostgreSQL's `array_fill`.
fn fill(args: &[Value]) -> Result<Value> {
    let bounds = |v: Option<&Value>| -> Result<Vec<i64>> {
        let a = match v {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(Error::NullValueNotAllowed(
                    "dimension array or low bound array cannot be null".into(),
                ));
            }
        };
        if a.ndims() > 1 {
            return Err(Error::ArraySubscriptError(
                "wrong number of array subscripts".into(),
            ));
        }
        a.items
            .iter()
            .map(|x| match x {
                Value::Null => Err(Error::NullValueNotAllowed(
                    "dimension values cannot be null".into(),
                )),
                x => int(x),
            })
            .collect()
    };
    let value = args.first().cloned().unwrap_or(Value::Null);
    let dims = bounds(args.get(1))?;
    let lower = match args.get(2) {
        Some(_) => bounds(args.get(2))?,
        None => vec![1; dims.len()],
    };
    if lower.len() != dims.len() {
        return Err(Error::ArraySubscriptError(
            "wrong number of array subscripts".into(),
        ));
    }
    if dims.is_empty() || dims.iter().any(|&d| d <= 0) {
        return Ok(Value::Array(Box::new(crate::types::Array::empty())));
    }
    let total = dims
        .iter()
        .try_fold(1i64, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= 134_217_727)
        .ok_or_else(|| {
            Error::ProgramLimitExceeded("array size exceeds the maximum allowed (134217727)".into())
        })?;
    let dims = dims
        .iter()
        .zip(&lower)
        .map(|(&len, &lo)| crate::types::array::Dim {
            len: len as i32,
            lower: lo as i32,
        })
        .collect();
    Ok(Value::Array(Box::new(crate::types::Array {
        dims,
        items: vec![value; total as usize],
    })))
}
