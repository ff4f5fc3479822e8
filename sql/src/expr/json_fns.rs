//! The function forms of the json/jsonb surface that are not operators of their own:
//!
//! * `json_extract_path(j, VARIADIC text[])` / `_text`: `#>` / `#>>` on `json`.
//! * `json_strip_nulls(json)`: the text without object fields whose value is null, written
//!   as PostgreSQL writes it (no spaces, keys and scalars as written, duplicates kept).
//! * `json_object` / `jsonb_object` from one `text[]` (flat key/value pairs, or a
//!   two-column array) or from a key array and a value array; values are strings or null.
//! * The functions behind the jsonb operators, which applications also call by name:
//!   `jsonb_contains` (`@>`), `jsonb_contained` (`<@`), `jsonb_exists` (`?`),
//!   `jsonb_exists_any` (`?|`), `jsonb_exists_all` (`?&`), `jsonb_concat` (`||`),
//!   `jsonb_delete` (`-`), `jsonb_delete_path` (`#-`): resolved as the operator is.

use super::functions::Resolved;
use super::jsonb_fns::JsonbFn;
use crate::types::json_text as jt;
use crate::types::{DataType, Jsonb, Value};
use crate::{Error, Result};

/// The internal function behind the JSON record functions' array columns
/// ([`array_literal`]).
pub const ARRAY_LITERAL: &str = "strata_json_array_literal";

/// Resolves the functions of this module (`None`: not one of them).
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
    use DataType as T;
    let undefined = || Some(Err(super::functions::undefined(name, args)));
    let json_like = |t: DataType| matches!(t, T::Json | T::Unknown);
    let texts = DataType::array_of(T::Text);
    let text_array = |t: DataType| t == T::Unknown || t.elem().is_some_and(|e| e.is_string());
    let call = |f: JsonbFn, params: Vec<DataType>, ret: DataType| {
        Some(Ok(Resolved::new(
            super::functions::Function::Jsonb(f),
            params,
            ret,
        )))
    };
    let operator = match name {
        "jsonb_contains" => Some("@>"),
        "jsonb_contained" => Some("<@"),
        "jsonb_exists" => Some("?"),
        "jsonb_exists_any" => Some("?|"),
        "jsonb_exists_all" => Some("?&"),
        "jsonb_concat" => Some("||"),
        "jsonb_delete" => Some("-"),
        "jsonb_delete_path" => Some("#-"),
        _ => None,
    };
    if let Some(sym) = operator {
        return match args {
            [l, r] => {
                let l = if *l == T::Unknown { T::Jsonb } else { *l };
                let r = match (sym, *r) {
                    ("@>" | "<@" | "||", T::Unknown) => T::Jsonb,
                    ("?|" | "?&" | "#-", T::Unknown) => texts,
                    ("?" | "-", T::Unknown) => T::Text,
                    (_, r) => r,
                };
                JsonbFn::resolve_operator(sym, l, r).or_else(undefined)
            }
            _ => undefined(),
        };
    }
    match name {
        "json_extract_path" | "json_extract_path_text" => {
            if args.is_empty() || !json_like(args[0]) || !args[1..].iter().all(DataType::is_string)
            {
                return undefined();
            }
            let mut params = vec![T::Text; args.len()];
            params[0] = T::Json;
            let text = name.ends_with("_text");
            call(
                JsonbFn::JsonExtractPath { text },
                params,
                if text { T::Text } else { T::Json },
            )
        }
        ARRAY_LITERAL => call(JsonbFn::ArrayLiteral, vec![T::Jsonb, T::Bool], T::Text),
        "json_strip_nulls" => match args {
            [t] if json_like(*t) => call(JsonbFn::JsonStripNulls, vec![T::Json], T::Json),
            _ => undefined(),
        },
        "json_object" | "jsonb_object" => {
            let jsonb = name == "jsonb_object";
            let ret = if jsonb { T::Jsonb } else { T::Json };
            match args {
                [a] if text_array(*a) => call(JsonbFn::Object { jsonb }, vec![texts], ret),
                [a, b] if text_array(*a) && text_array(*b) => {
                    call(JsonbFn::Object { jsonb }, vec![texts, texts], ret)
                }
                _ => undefined(),
            }
        }
        _ => None,
    }
}

/// `json_extract_path(doc, steps...)`.
pub fn extract_path(text: bool, args: Vec<Value>) -> Result<Value> {
    let mut it = args.into_iter();
    let Some(Value::Json(doc)) = it.next() else {
        return Err(Error::Internal("json_extract_path: expected json".into()));
    };
    let steps: Vec<Option<String>> = it
        .map(|v| match v {
            Value::Null => None,
            v => Some(crate::types::cast::text_of(v)),
        })
        .collect();
    Ok(match (jt::path(&doc, &steps), text) {
        (None, _) => Value::Null,
        (Some(v), false) => Value::Json(v.to_string()),
        (Some(v), true) => jt::as_text(v).map_or(Value::Null, Value::Text),
    })
}

/// `json_strip_nulls(doc)`.
pub fn strip_nulls(doc: Option<Value>) -> Result<Value> {
    let Some(Value::Json(doc)) = doc else {
        return Err(Error::Internal("json_strip_nulls: expected json".into()));
    };
    let mut out = String::new();
    strip(doc.trim(), &mut out);
    Ok(Value::Json(out))
}

fn strip(doc: &str, out: &mut String) {
    match jt::type_name(doc) {
        "object" => {
            out.push('{');
            let mut first = true;
            for (k, v) in jt::pairs(doc).unwrap_or_default() {
                if v == "null" {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                crate::types::json::write_string(out, &k);
                out.push(':');
                strip(v, out);
            }
            out.push('}');
        }
        "array" => {
            out.push('[');
            for (i, v) in jt::elements(doc)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                if i > 0 {
                    out.push(',');
                }
                strip(v, out);
            }
            out.push(']');
        }
        _ => out.push_str(doc),
    }
}

fn array_error(msg: &str) -> Error {
    Error::ArraySubscriptError(msg.into())
}

fn text_array(v: Option<Value>) -> Result<crate::types::Array> {
    match v {
        Some(Value::Array(a)) => Ok(*a),
        other => Err(Error::Internal(format!("expected text[], got {other:?}"))),
    }
}

/// `json_object(a)` / `json_object(keys, values)` and the jsonb forms.
pub fn object(jsonb: bool, args: Vec<Value>) -> Result<Value> {
    let two = args.len() == 2;
    let mut it = args.into_iter();
    let first = text_array(it.next())?;
    let pairs: Vec<(Value, Value)> = if two {
        let values = text_array(it.next())?;
        if first.dims.len() > 1 || values.dims.len() > 1 {
            return Err(array_error("wrong number of array subscripts"));
        }
        if first.items.len() != values.items.len() {
            return Err(array_error("mismatched array dimensions"));
        }
        first.items.into_iter().zip(values.items).collect()
    } else {
        match first.dims.len() {
            0 | 1 if first.items.len() % 2 == 0 => {}
            1 => return Err(array_error("array must have even number of elements")),
            2 if first.dims[1].len == 2 => {}
            2 => return Err(array_error("array must have two columns")),
            _ => return Err(array_error("wrong number of array subscripts")),
        }
        let mut items = first.items.into_iter();
        let mut pairs = Vec::new();
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            pairs.push((k, v));
        }
        pairs
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let Value::Text(k) = k else {
            return Err(Error::NullValueNotAllowed(
                "null value not allowed for object key".into(),
            ));
        };
        let v = match v {
            Value::Text(s) => Some(s),
            _ => None,
        };
        out.push((k, v));
    }
    if jsonb {
        let pairs = out
            .into_iter()
            .map(|(k, v)| (k, v.map_or(Jsonb::Null, Jsonb::String)))
            .collect();
        return Ok(Value::Jsonb(Box::new(Jsonb::object(pairs))));
    }
    let mut s = String::from("{");
    for (i, (k, v)) in out.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        crate::types::json::write_string(&mut s, k);
        s.push_str(" : ");
        match v {
            Some(v) => crate::types::json::write_string(&mut s, v),
            None => s.push_str("null"),
        }
    }
    s.push('}');
    Ok(Value::Json(s))
}

/// `strata_json_array_literal(j, json_elements)`: a JSON array (of arrays, for more
/// dimensions) as array input text, for the JSON record functions' array columns
/// ([`crate::binder`]'s `json_record`). The first element at each depth fixes the
/// dimensions, as PostgreSQL's `populate_array` does: an array where an element is
/// expected, or the reverse, is 22P02 `expected JSON array`; sub-arrays of different lengths
/// are 22P02 `malformed JSON array`. Elements are strings' text, other values' JSON text
/// (`json_elements`: every element's JSON text, for `json[]` / `jsonb[]`); JSON null is NULL.
pub fn array_literal(args: Vec<Value>) -> Result<Value> {
    let mut it = args.into_iter();
    let j = super::jsonb_fns::take_jsonb(it.next())?;
    let json_elements = matches!(it.next(), Some(Value::Bool(true)));
    let mut ndims = 0;
    let mut probe = &j;
    while let Jsonb::Array(a) = probe {
        ndims += 1;
        match a.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    let mut lens: Vec<Option<usize>> = vec![None; ndims];
    let mut out = String::new();
    literal_level(&j, 0, ndims, json_elements, &mut lens, &mut out)?;
    // Empty innermost arrays make an empty array, as in PostgreSQL.
    if lens.contains(&Some(0)) {
        return Ok(Value::Text("{}".into()));
    }
    Ok(Value::Text(out))
}

fn literal_level(
    j: &Jsonb,
    depth: usize,
    ndims: usize,
    json_elements: bool,
    lens: &mut [Option<usize>],
    out: &mut String,
) -> Result<()> {
    let Jsonb::Array(items) = j else {
        return Err(Error::InvalidTextRepresentation(
            "expected JSON array".into(),
        ));
    };
    match lens[depth] {
        Some(n) if n != items.len() => {
            return Err(Error::InvalidTextRepresentation(
                "malformed JSON array".into(),
            ));
        }
        _ => lens[depth] = Some(items.len()),
    }
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if depth + 1 < ndims {
            literal_level(item, depth + 1, ndims, json_elements, lens, out)?;
            continue;
        }
        let text = match item {
            Jsonb::Array(_) if !json_elements => {
                return Err(Error::InvalidTextRepresentation(
                    "expected JSON array".into(),
                ));
            }
            Jsonb::Null => {
                out.push_str("NULL");
                continue;
            }
            Jsonb::String(s) if !json_elements => s.clone(),
            other => other.to_string(),
        };
        out.push('"');
        for c in text.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    Ok(())
}
