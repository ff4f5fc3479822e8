//! Structural `jsonb` operations with PostgreSQL's semantics and error texts: conversion of
//! any SQL value to jsonb (`to_jsonb`'s rules: numbers stay numbers, `NaN`/`Infinity` and
//! date/time values become strings in ISO form with a `T`), `||`, `-`, `#-`, `jsonb_set`,
//! `jsonb_strip_nulls` and `jsonb_pretty`.

use super::{Jsonb, Numeric, Value, datetime, format};
use crate::{Error, Result};

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidParameterValue(msg.into())
}

fn number_text(text: &str) -> Jsonb {
    match Numeric::parse(text) {
        Ok(Numeric::Finite(d)) => Jsonb::Number(d),
        _ => Jsonb::String(text.to_string()),
    }
}

/// `to_jsonb(v)`: the jsonb form of any SQL value.
pub fn from_value(v: &Value) -> Result<Jsonb> {
    Ok(match v {
        Value::Null => Jsonb::Null,
        Value::Bool(b) => Jsonb::Bool(*b),
        Value::Int(i) => Jsonb::Number((*i).into()),
        Value::Float(f) => number_text(&format::float8(*f)),
        Value::Float4(f) => number_text(&format::float4(*f)),
        Value::Numeric(n) => match n.as_ref() {
            Numeric::Finite(d) => Jsonb::Number(d.clone()),
            other => Jsonb::String(other.to_string()),
        },
        Value::Text(s) | Value::Bpchar(s) => Jsonb::String(s.clone()),
        Value::Json(s) => Jsonb::parse(s)?,
        Value::Jsonb(j) => j.as_ref().clone(),
        Value::Array(a) => {
            let items = a.items.iter().map(from_value).collect::<Result<Vec<_>>>()?;
            // One JSON array per dimension, innermost last.
            let mut level: Vec<Jsonb> = items;
            for d in a.dims.iter().skip(1).rev() {
                let n = usize::try_from(d.len).unwrap_or(0).max(1);
                let mut grouped = Vec::with_capacity(level.len() / n + 1);
                let mut it = level.into_iter().peekable();
                while it.peek().is_some() {
                    grouped.push(Jsonb::Array(it.by_ref().take(n).collect()));
                }
                level = grouped;
            }
            Jsonb::Array(level)
        }
        // JSON keeps ISO 8601 whatever the DateStyle.
        Value::Date(d) => Jsonb::String(datetime::format::date(*d)),
        Value::Timestamp(t) => Jsonb::String(datetime::format::timestamp(*t).replacen(' ', "T", 1)),
        Value::Timestamptz(t) => {
            let mut s = crate::env::with(|e| datetime::format::timestamptz(*t, &e.time_zone))
                .replacen(' ', "T", 1);
            // PostgreSQL's JSON form writes the offset as +HH:MM.
            let tail = s.rfind(['+', '-']).map(|i| s.len() - i);
            if tail == Some(3) {
                s.push_str(":00");
            }
            Jsonb::String(s)
        }
        Value::Record(r) => Jsonb::object(
            r.json_field_names()
                .into_iter()
                .zip(&r.values)
                .map(|(n, v)| Ok((n, from_value(v)?)))
                .collect::<Result<Vec<_>>>()?,
        ),
        other => Jsonb::String(other.to_string()),
    })
}

/// `to_json(v)`: the `json` text of any SQL value (arrays without spaces, `json` verbatim).
pub fn json_text(v: &Value) -> Result<String> {
    Ok(match v {
        Value::Json(s) => s.clone(),
        Value::Array(a) => {
            let items = a.items.iter().map(json_text).collect::<Result<Vec<_>>>()?;
            let mut level = items;
            for d in a.dims.iter().skip(1).rev() {
                let n = usize::try_from(d.len).unwrap_or(0).max(1);
                let mut grouped = Vec::with_capacity(level.len() / n + 1);
                let mut it = level.into_iter().peekable();
                while it.peek().is_some() {
                    grouped.push(format!(
                        "[{}]",
                        it.by_ref().take(n).collect::<Vec<_>>().join(",")
                    ));
                }
                level = grouped;
            }
            format!("[{}]", level.join(","))
        }
        // A composite value: PostgreSQL's composite_to_json, without spaces.
        Value::Record(r) => {
            let fields = r
                .json_field_names()
                .iter()
                .zip(&r.values)
                .map(|(n, v)| Ok(format!("{}:{}", Jsonb::String(n.clone()), json_text(v)?)))
                .collect::<Result<Vec<_>>>()?;
            format!("{{{}}}", fields.join(","))
        }
        other => from_value(other)?.to_string(),
    })
}

/// The text of a `jsonb_build_object` / `jsonb_object_agg` key.
pub fn key_text(v: &Value, position: usize) -> Result<String> {
    match v {
        Value::Null => Err(invalid(format!(
            "argument {position}: key must not be null"
        ))),
        Value::Array(_) | Value::Json(_) | Value::Jsonb(_) | Value::Record(_) => Err(invalid(
            "key value must be scalar, not array, composite, or json",
        )),
        Value::Text(s) | Value::Bpchar(s) => Ok(s.clone()),
        other => Ok(other.to_string()),
    }
}

/// `a || b`: two objects merge (the right one's keys win); otherwise both are treated as
/// arrays (a scalar or an object as a one-element array) and concatenated.
pub fn concat(a: Jsonb, b: Jsonb) -> Jsonb {
    match (a, b) {
        (Jsonb::Object(mut x), Jsonb::Object(y)) => {
            x.extend(y);
            Jsonb::object(x)
        }
        (a, b) => {
            let items = |j: Jsonb| match j {
                Jsonb::Array(items) => items,
                other => vec![other],
            };
            let mut out = items(a);
            out.extend(items(b));
            Jsonb::Array(out)
        }
    }
}

fn is_scalar(j: &Jsonb) -> bool {
    !matches!(j, Jsonb::Array(_) | Jsonb::Object(_))
}

/// `j - key`: drops an object's key, or an array's string elements equal to it.
pub fn delete_key(j: Jsonb, key: &str) -> Result<Jsonb> {
    delete_keys(j, &[key])
}

/// `j - keys` (text[]).
pub fn delete_keys(j: Jsonb, keys: &[&str]) -> Result<Jsonb> {
    Ok(match j {
        Jsonb::Object(pairs) => Jsonb::Object(
            pairs
                .into_iter()
                .filter(|(k, _)| !keys.contains(&k.as_str()))
                .collect(),
        ),
        Jsonb::Array(items) => Jsonb::Array(
            items
                .into_iter()
                .filter(|i| !matches!(i, Jsonb::String(s) if keys.contains(&s.as_str())))
                .collect(),
        ),
        _ => return Err(invalid("cannot delete from scalar")),
    })
}

/// An array position from the front (`i >= 0`) or back, if it is inside `len`.
fn position(i: i64, len: usize) -> Option<usize> {
    let n = len as i64;
    let i = if i < 0 { n + i } else { i };
    (0..n).contains(&i).then_some(i as usize)
}

/// `j - i`: drops an array element.
pub fn delete_index(j: Jsonb, i: i64) -> Result<Jsonb> {
    match j {
        Jsonb::Array(mut items) => {
            if let Some(p) = position(i, items.len()) {
                items.remove(p);
            }
            Ok(Jsonb::Array(items))
        }
        Jsonb::Object(_) => Err(invalid("cannot delete from object using integer index")),
        _ => Err(invalid("cannot delete from scalar")),
    }
}

pub(super) fn path_index(path: &[String], level: usize) -> Result<i64> {
    let s = &path[level];
    s.trim().parse::<i64>().map_err(|_| {
        Error::InvalidTextRepresentation(format!(
            "path element at position {} is not an integer: \"{s}\"",
            level + 1
        ))
    })
}

/// `j #- path`: drops the value at `path`.
pub fn delete_path(mut j: Jsonb, path: &[String]) -> Result<Jsonb> {
    if is_scalar(&j) {
        return Err(invalid("cannot delete path in scalar"));
    }
    // An empty container is returned as it is, whatever the path (as PostgreSQL does).
    let empty = matches!(&j, Jsonb::Array(a) if a.is_empty())
        || matches!(&j, Jsonb::Object(o) if o.is_empty());
    if !path.is_empty() && !empty {
        delete_at(&mut j, path, 0)?;
    }
    Ok(j)
}

fn delete_at(j: &mut Jsonb, path: &[String], level: usize) -> Result<()> {
    let last = level + 1 == path.len();
    match j {
        Jsonb::Object(pairs) => {
            if let Some(i) = pairs.iter().position(|(k, _)| *k == path[level]) {
                if last {
                    pairs.remove(i);
                } else {
                    delete_at(&mut pairs[i].1, path, level + 1)?;
                }
            }
        }
        Jsonb::Array(items) => {
            let i = path_index(path, level)?;
            if let Some(p) = position(i, items.len()) {
                if last {
                    items.remove(p);
                } else {
                    delete_at(&mut items[p], path, level + 1)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// `jsonb_set(j, path, new, create_missing)`.
pub fn set_path(mut j: Jsonb, path: &[String], new: Jsonb, create: bool) -> Result<Jsonb> {
    if is_scalar(&j) {
        return Err(invalid("cannot set path in scalar"));
    }
    if !path.is_empty() {
        set_at(&mut j, path, 0, &new, create)?;
    }
    Ok(j)
}

fn set_at(j: &mut Jsonb, path: &[String], level: usize, new: &Jsonb, create: bool) -> Result<()> {
    let last = level + 1 == path.len();
    match j {
        Jsonb::Object(pairs) => match pairs.iter().position(|(k, _)| *k == path[level]) {
            Some(i) if last => pairs[i].1 = new.clone(),
            Some(i) => set_at(&mut pairs[i].1, path, level + 1, new, create)?,
            None if last && create => {
                let mut all = std::mem::take(pairs);
                all.push((path[level].clone(), new.clone()));
                *j = Jsonb::object(all);
            }
            None => {}
        },
        Jsonb::Array(items) => {
            let i = path_index(path, level)?;
            match position(i, items.len()) {
                Some(p) if last => items[p] = new.clone(),
                Some(p) => set_at(&mut items[p], path, level + 1, new, create)?,
                None if last && create => {
                    if i < 0 {
                        items.insert(0, new.clone());
                    } else {
                        items.push(new.clone());
                    }
                }
                None => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// `jsonb_insert`: `new` goes into the array before (`after`: after) the element `path`
/// names, or under a key the object does not have yet (an existing key is 22023). An index
/// past the array's start prepends, past its end appends.
pub fn insert_path(mut j: Jsonb, path: &[String], new: Jsonb, after: bool) -> Result<Jsonb> {
    if is_scalar(&j) {
        return Err(invalid("cannot set path in scalar"));
    }
    if !path.is_empty() {
        insert_at(&mut j, path, 0, &new, after)?;
    }
    Ok(j)
}

fn insert_at(j: &mut Jsonb, path: &[String], level: usize, new: &Jsonb, after: bool) -> Result<()> {
    let last = level + 1 == path.len();
    match j {
        Jsonb::Object(pairs) => match pairs.iter().position(|(k, _)| *k == path[level]) {
            Some(_) if last => {
                return Err(Error::WithHint {
                    error: Box::new(invalid("cannot replace existing key")),
                    hint: "Try using the function jsonb_set to replace key value.".into(),
                });
            }
            Some(i) => insert_at(&mut pairs[i].1, path, level + 1, new, after)?,
            None if last => {
                let mut all = std::mem::take(pairs);
                all.push((path[level].clone(), new.clone()));
                *j = Jsonb::object(all);
            }
            None => {}
        },
        Jsonb::Array(items) => {
            let i = path_index(path, level)?;
            let n = items.len() as i64;
            if last {
                let at = if i < -n {
                    0
                } else if i >= n {
                    n
                } else {
                    let i = if i < 0 { n + i } else { i };
                    i + i64::from(after)
                };
                items.insert(at as usize, new.clone());
            } else if let Some(p) = position(i, items.len()) {
                insert_at(&mut items[p], path, level + 1, new, after)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `jsonb_set_lax`: `jsonb_set` unless `new` is SQL NULL (`None`), which `treatment`
/// decides (`None`: a NULL treatment, refused like an unknown one).
pub fn set_lax(
    doc: Jsonb,
    path: &[String],
    new: Option<Jsonb>,
    create: bool,
    treatment: Option<&str>,
) -> Result<Jsonb> {
    if let Some(new) = new {
        return set_path(doc, path, new, create);
    }
    match treatment {
        Some("use_json_null") => set_path(doc, path, Jsonb::Null, create),
        Some("delete_key") => delete_path(doc, path),
        Some("return_target") => Ok(doc),
        Some("raise_exception") => Err(Error::Raised(Box::new(crate::error::Raised {
            code: "22004",
            message: "JSON value must not be null".into(),
            detail: Some(
                "Exception was raised because null_value_treatment is \"raise_exception\"."
                    .into(),
            ),
            hint: Some(
                "To avoid, either change the null_value_treatment argument or ensure that an SQL NULL is not passed."
                    .into(),
            ),
        }))),
        _ => Err(invalid(
            "null_value_treatment must be \"delete_key\", \"return_target\", \"use_json_null\", or \"raise_exception\"",
        )),
    }
}

/// `jsonb_strip_nulls`: drops object fields whose value is null, at every depth.
pub fn strip_nulls(j: Jsonb) -> Jsonb {
    match j {
        Jsonb::Object(pairs) => Jsonb::Object(
            pairs
                .into_iter()
                .filter(|(_, v)| *v != Jsonb::Null)
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Jsonb::Array(items) => Jsonb::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// `jsonb_pretty`: four spaces per level, one element or pair per line (an empty container
/// still opens a line, as PostgreSQL prints it).
pub fn pretty(j: &Jsonb) -> String {
    let mut out = String::new();
    write_pretty(&mut out, j, 0);
    out
}

fn indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("    ");
    }
}

fn write_pretty(out: &mut String, j: &Jsonb, depth: usize) {
    match j {
        Jsonb::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                write_pretty(out, x, depth + 1);
            }
            indent(out, depth);
            out.push(']');
        }
        Jsonb::Object(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                super::json::write_string(out, k);
                out.push_str(": ");
                write_pretty(out, v, depth + 1);
            }
            indent(out, depth);
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Jsonb {
        Jsonb::parse(s).unwrap()
    }

    #[test]
    fn edits_follow_postgres() {
        assert_eq!(
            concat(j(r#"{"a":1,"b":2}"#), j(r#"{"b":3}"#)),
            j(r#"{"a":1,"b":3}"#)
        );
        assert_eq!(concat(j("[1]"), j("2")), j("[1,2]"));
        assert_eq!(concat(j(r#"{"a":1}"#), j("[2]")), j(r#"[{"a":1},2]"#));
        assert_eq!(
            delete_key(j(r#"["a","b",1]"#), "a").unwrap(),
            j(r#"["b",1]"#)
        );
        assert_eq!(delete_index(j("[1,2,3]"), -1).unwrap(), j("[1,2]"));
        assert_eq!(delete_index(j("1"), 0).unwrap_err().code(), "22023");
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            set_path(j(r#"{"a":[1,2]}"#), &path(&["a", "-5"]), j("0"), true).unwrap(),
            j(r#"{"a":[0,1,2]}"#)
        );
        assert_eq!(
            set_path(j(r#"{"a":[1]}"#), &path(&["a", "x"]), j("0"), true)
                .unwrap_err()
                .code(),
            "22P02"
        );
        assert_eq!(
            delete_path(j("[1,[2,3]]"), &path(&["1", "-1"])).unwrap(),
            j("[1,[2]]")
        );
        assert_eq!(
            strip_nulls(j(r#"{"a":null,"b":[null,{"c":null}]}"#)),
            j(r#"{"b":[null,{}]}"#)
        );
        assert_eq!(pretty(&j(r#"{"a":[]}"#)), "{\n    \"a\": [\n    ]\n}");
    }

    #[test]
    fn values_convert_like_to_jsonb() {
        assert_eq!(from_value(&Value::Float(f64::NAN)).unwrap(), j(r#""NaN""#));
        assert_eq!(from_value(&Value::Float(1.5)).unwrap(), j("1.5"));
        let a = crate::types::Array::parse("{{1,2},{3,4}}", crate::types::DataType::Int4).unwrap();
        assert_eq!(
            from_value(&Value::Array(Box::new(a))).unwrap(),
            j("[[1,2],[3,4]]")
        );
    }
}
