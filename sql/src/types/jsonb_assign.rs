//! Assignment through jsonb subscripts (`UPDATE t SET j['a'][0] = '1'`), PostgreSQL 14's
//! `jsonb_subscript_assign` (`setPath` with create, fill-gaps and consistent-position):
//!
//! * A NULL value starts as `[]` when the first subscript is an integer, `{}` otherwise.
//! * A missing object key is added; an array index past the end pads with JSON nulls; a
//!   negative index counts from the end (22023 "path element at position N is out of range"
//!   before the start). Missing levels below are created: an array for an integer
//!   subscript, an object otherwise.
//! * A path through a scalar is 22023 "cannot replace existing key"; a non-integer subscript
//!   into an array is 22P02.

use super::Jsonb;
use super::jsonb_edit::path_index;
use crate::{Error, Result};

fn out_of_range(level: usize, i: i64) -> Error {
    Error::InvalidParameterValue(format!(
        "path element at position {} is out of range: {i}",
        level + 1
    ))
}

/// `root[path...] := new`; `first_is_int`: the first subscript has an integer type (a NULL
/// root becomes an array).
pub fn assign(
    root: Option<Jsonb>,
    path: &[String],
    first_is_int: bool,
    new: Jsonb,
) -> Result<Jsonb> {
    let mut root = root.unwrap_or(if first_is_int {
        Jsonb::Array(Vec::new())
    } else {
        Jsonb::Object(Vec::new())
    });
    if path.is_empty() {
        return Ok(new);
    }
    assign_at(&mut root, path, 0, new)?;
    Ok(root)
}

fn assign_at(j: &mut Jsonb, path: &[String], level: usize, new: Jsonb) -> Result<()> {
    let last = level + 1 == path.len();
    match j {
        Jsonb::Object(pairs) => match pairs.iter().position(|(k, _)| *k == path[level]) {
            Some(i) if last => pairs[i].1 = new,
            Some(i) => assign_at(&mut pairs[i].1, path, level + 1, new)?,
            None => {
                let value = if last {
                    new
                } else {
                    created(path, level + 1, new)?
                };
                let mut all = std::mem::take(pairs);
                all.push((path[level].clone(), value));
                *j = Jsonb::object(all);
            }
        },
        Jsonb::Array(items) => {
            let i = path_index(path, level)?;
            let n = items.len() as i64;
            let at = if i < 0 { n + i } else { i };
            if at < 0 {
                return Err(out_of_range(level, i));
            }
            if at < n {
                let item = &mut items[at as usize];
                if last {
                    *item = new;
                } else {
                    assign_at(item, path, level + 1, new)?;
                }
            } else {
                let value = if last {
                    new
                } else {
                    created(path, level + 1, new)?
                };
                pad(items, at, value)?;
            }
        }
        _ => {
            return Err(Error::InvalidParameterValueDetail {
                message: "cannot replace existing key".into(),
                detail: "The path assumes key is a composite object, but it is a scalar value."
                    .into(),
            });
        }
    }
    Ok(())
}

/// `items` padded with nulls up to index `at`, then `value` there.
fn pad(items: &mut Vec<Jsonb>, at: i64, value: Jsonb) -> Result<()> {
    let at = usize::try_from(at)
        .ok()
        .filter(|&a| a < 1 << 28)
        .ok_or_else(|| {
            Error::ProgramLimitExceeded("jsonb array size exceeds the maximum allowed".into())
        })?;
    items.resize(at, Jsonb::Null);
    items.push(value);
    Ok(())
}

/// The new value holding `new` at `path[level..]` below a level that did not exist.
fn created(path: &[String], level: usize, new: Jsonb) -> Result<Jsonb> {
    let mut j = if path_index(path, level).is_ok() {
        Jsonb::Array(Vec::new())
    } else {
        Jsonb::Object(Vec::new())
    };
    assign_at(&mut j, path, level, new)?;
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Jsonb {
        Jsonb::parse(s).unwrap()
    }

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn missing_levels_are_created_and_arrays_padded() {
        let out = assign(
            Some(j(r#"{"a":{"b":[1]}}"#)),
            &path(&["a", "b", "3"]),
            false,
            j("7"),
        )
        .unwrap();
        assert_eq!(out, j(r#"{"a":{"b":[1,null,null,7]}}"#));
        let out = assign(None, &path(&["2", "a"]), true, j("1")).unwrap();
        assert_eq!(out, j(r#"[null,null,{"a":1}]"#));
        let out = assign(
            Some(j(r#"{"a":1}"#)),
            &path(&["q", "1", "r"]),
            false,
            j("null"),
        )
        .unwrap();
        assert_eq!(out, j(r#"{"a":1,"q":[null,{"r":null}]}"#));
        let out = assign(Some(j("[1,2]")), &path(&["-1"]), true, j("9")).unwrap();
        assert_eq!(out, j("[1,9]"));
    }

    #[test]
    fn scalars_and_bad_indexes_are_errors() {
        let e = assign(Some(j(r#""s""#)), &path(&["a"]), false, j("1")).unwrap_err();
        assert_eq!(e.code(), "22023");
        let e = assign(Some(j("[1]")), &path(&["-5"]), true, j("1")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "path element at position 1 is out of range: -5"
        );
        let e = assign(Some(j("[1]")), &path(&["x"]), false, j("1")).unwrap_err();
        assert_eq!(e.code(), "22P02");
    }
}
