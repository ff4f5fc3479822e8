//! `jsonb` operators and functions.
//!
//! Operators: `->` and `->>` (object field by text, array element by integer, negative from
//! the end), `#>` and `#>>` (a text[] path), `@>`, `<@`, `?`, `?|`, `?&`, `||`, `-` (text, int,
//! text[]) and `#-`. Functions: `jsonb_build_object`, `jsonb_build_array`, `to_jsonb`,
//! `jsonb_typeof`, `jsonb_array_length`, `jsonb_set`, `jsonb_strip_nulls`, `jsonb_pretty`,
//! `jsonb_extract_path(_text)`; the set-returning `jsonb_each(_text)`,
//! `jsonb_array_elements(_text)` and `jsonb_object_keys` ([`JsonbSet`]); the aggregates
//! `jsonb_agg` and `jsonb_object_agg` live with the other aggregates. The edits themselves
//! are [`crate::types::jsonb_edit`]'s.

use super::functions::{Function, Resolved};
use crate::types::jsonb_edit as edit;
use crate::types::{DataType, Jsonb, Value};
use crate::{Error, Result};

pub use super::jsonb_each::JsonbSet;

/// A jsonb function or operator. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonbFn {
    /// `j[a][b]... := v` (an UPDATE's subscripted target): `(j, v, a, b, ...)` with the
    /// subscripts as text ([`crate::types::jsonb_assign`]); `first_is_int`: the first
    /// subscript has an integer type, so a NULL `j` starts as an array.
    Assign {
        first_is_int: bool,
    },
    /// `j -> key` / `j ->> key` (`text`: the latter).
    Field {
        text: bool,
    },
    /// `j -> i` / `j ->> i`.
    Element {
        text: bool,
    },
    /// `j #> path` / `j #>> path`, and `jsonb_extract_path(_text)` (`variadic`: the path is
    /// the arguments after the first).
    Path {
        text: bool,
        variadic: bool,
    },
    Contains,
    ContainedBy,
    /// `?`, `?|` (`any`), `?&`.
    Exists,
    ExistsAny,
    ExistsAll,
    Concat,
    DeleteKey,
    DeleteIndex,
    DeleteKeys,
    DeletePath,
    BuildObject,
    BuildArray,
    ToJsonb,
    Typeof,
    ArrayLength,
    Set,
    /// `jsonb_insert(target, path, new [, insert_after])`.
    Insert,
    /// `jsonb_set_lax(target, path, new [, create [, null_value_treatment]])`: not strict
    /// in `new`.
    SetLax,
    StripNulls,
    Pretty,
    /// `json_build_object`, `json_build_array`, `to_json`: `json` text as PostgreSQL
    /// writes it (`{"a" : 1}`, `[1, 2]`, arrays of `to_json` without spaces).
    JsonBuildObject,
    /// A whole row as `json` (the binder's rewrite of `row_to_json(t)` / `to_json(t)`):
    /// arguments alternate column name and value; written `{"a":1,"b":"x"}` as PostgreSQL
    /// writes a composite.
    JsonRow,
    JsonBuildArray,
    ToJson,
    /// `array_to_json(a, pretty)`: line feeds between the top dimension's elements.
    ArrayToJsonPretty,
    /// `json -> key`, `->>` (`text`), `-> i`, `#>`, `#>>`: the selected text as written
    /// ([`crate::types::json_text`]).
    JsonField {
        text: bool,
    },
    JsonElement {
        text: bool,
    },
    JsonPath {
        text: bool,
    },
    JsonTypeof,
    JsonArrayLength,
    /// `jsonb_path_exists / _match / _query_array / _query_first(j, path [, vars [,
    /// silent]])`, and (`op`) the silent operators `j @? path`, `j @@ path`
    /// ([`super::jsonpath_exec`]).
    SqlPath {
        kind: super::jsonpath_exec::PathKind,
        op: bool,
    },
    /// `json_extract_path(_text)`, `json_strip_nulls`, `json_object` / `jsonb_object`
    /// ([`super::json_fns`]).
    JsonExtractPath {
        text: bool,
    },
    JsonStripNulls,
    /// `strata_json_array_literal` ([`super::json_fns::array_literal`]).
    ArrayLiteral,
    Object {
        jsonb: bool,
    },
}

fn call(f: JsonbFn, args: Vec<DataType>, ret: DataType) -> Option<Result<Resolved>> {
    Some(Ok(Resolved::new(Function::Jsonb(f), args, ret)))
}

pub(super) fn jsonb_like(t: DataType) -> bool {
    matches!(t, DataType::Jsonb | DataType::Unknown)
}

fn texts() -> DataType {
    DataType::array_of(DataType::Text)
}

fn text_array_like(t: DataType) -> bool {
    t == DataType::Unknown || matches!(t, DataType::Array(e) if e.get().is_string())
}

impl JsonbFn {
    /// Resolves a jsonb function by name (`None`: not this family's).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use DataType as T;
        use JsonbFn::*;
        let j = T::Jsonb;
        let undefined = || Some(Err(super::functions::undefined(name, args)));
        let first_jsonb = args.first().is_some_and(|t| jsonb_like(*t));
        match name {
            "jsonb_build_object" => {
                if args.len() % 2 == 1 {
                    return Some(Err(Error::InvalidParameterValue(
                        "argument list must have even number of elements".into(),
                    )));
                }
                call(BuildObject, vec![T::Unknown; args.len()], j)
            }
            "jsonb_build_array" => call(BuildArray, vec![T::Unknown; args.len()], j),
            "json_build_object" => {
                if args.len() % 2 == 1 {
                    return Some(Err(Error::InvalidParameterValue(
                        "argument list must have even number of elements".into(),
                    )));
                }
                call(JsonBuildObject, vec![T::Unknown; args.len()], T::Json)
            }
            "json_build_array" => call(JsonBuildArray, vec![T::Unknown; args.len()], T::Json),
            crate::binder::JSON_ROW => call(JsonRow, vec![T::Unknown; args.len()], T::Json),
            "to_json" => match args {
                [T::Unknown] => Some(Err(Error::DatatypeMismatch(
                    "could not determine polymorphic type because input has type unknown".into(),
                ))),
                [_] => call(ToJson, vec![T::Unknown], T::Json),
                _ => undefined(),
            },
            "array_to_json" => match args {
                [a] if a.elem().is_some() => call(ToJson, vec![T::Unknown], T::Json),
                [a, T::Bool | T::Unknown] if a.elem().is_some() => {
                    call(ArrayToJsonPretty, vec![T::Unknown, T::Bool], T::Json)
                }
                _ => undefined(),
            },
            // `row_to_json(composite)`; a whole row `t` is rewritten before binding.
            "row_to_json" => match args {
                [T::Composite(_) | T::Record] => call(ToJson, vec![T::Unknown], T::Json),
                _ => undefined(),
            },
            "to_jsonb" => match args {
                [T::Unknown] => Some(Err(Error::DatatypeMismatch(
                    "could not determine polymorphic type because input has type unknown".into(),
                ))),
                [_] => call(ToJsonb, vec![T::Unknown], j),
                _ => undefined(),
            },
            "json_typeof" | "json_array_length" => match args {
                [T::Json | T::Unknown] if name == "json_typeof" => {
                    call(JsonTypeof, vec![T::Json], T::Text)
                }
                [T::Json | T::Unknown] => call(JsonArrayLength, vec![T::Json], T::Int4),
                _ => undefined(),
            },
            "jsonb_typeof" | "jsonb_array_length" | "jsonb_strip_nulls" | "jsonb_pretty" => {
                if args.len() != 1 || !first_jsonb {
                    return undefined();
                }
                match name {
                    "jsonb_typeof" => call(Typeof, vec![j], T::Text),
                    "jsonb_array_length" => call(ArrayLength, vec![j], T::Int4),
                    "jsonb_strip_nulls" => call(StripNulls, vec![j], j),
                    _ => call(Pretty, vec![j], T::Text),
                }
            }
            "jsonb_set_lax" => match args {
                [a, p, n, rest @ ..]
                    if jsonb_like(*a)
                        && text_array_like(*p)
                        && jsonb_like(*n)
                        && rest.len() <= 2 =>
                {
                    let mut params = vec![j, texts(), j];
                    params.extend([T::Bool, T::Text].into_iter().take(rest.len()));
                    call(SetLax, params, j)
                }
                _ => undefined(),
            },
            "jsonb_insert" => match args {
                [a, p, n] | [a, p, n, _]
                    if jsonb_like(*a) && text_array_like(*p) && jsonb_like(*n) =>
                {
                    let mut params = vec![j, texts(), j];
                    if args.len() == 4 {
                        params.push(T::Bool);
                    }
                    call(Insert, params, j)
                }
                _ => undefined(),
            },
            "jsonb_set" => match args {
                [a, p, n] | [a, p, n, _]
                    if jsonb_like(*a) && text_array_like(*p) && jsonb_like(*n) =>
                {
                    let mut params = vec![j, texts(), j];
                    if args.len() == 4 {
                        params.push(T::Bool);
                    }
                    call(Set, params, j)
                }
                _ => undefined(),
            },
            "jsonb_path_exists"
            | "jsonb_path_match"
            | "jsonb_path_query_array"
            | "jsonb_path_query_first"
            | "jsonb_path_exists_tz"
            | "jsonb_path_match_tz"
            | "jsonb_path_query_array_tz"
            | "jsonb_path_query_first_tz" => {
                let name = name.strip_suffix("_tz").unwrap_or(name);
                let Some(params) = super::jsonpath_exec::params(args) else {
                    return undefined();
                };
                let (kind, ret) = match name {
                    "jsonb_path_exists" => (super::jsonpath_exec::PathKind::Exists, T::Bool),
                    "jsonb_path_match" => (super::jsonpath_exec::PathKind::Match, T::Bool),
                    "jsonb_path_query_array" => (super::jsonpath_exec::PathKind::QueryArray, j),
                    _ => (super::jsonpath_exec::PathKind::QueryFirst, j),
                };
                call(SqlPath { kind, op: false }, params, ret)
            }
            "jsonb_extract_path" | "jsonb_extract_path_text" => {
                if !first_jsonb || !args[1..].iter().all(DataType::is_string) {
                    return undefined();
                }
                let mut params = vec![T::Text; args.len()];
                params[0] = j;
                let text = name.ends_with("_text");
                let ret = if text { T::Text } else { j };
                call(
                    Path {
                        text,
                        variadic: true,
                    },
                    params,
                    ret,
                )
            }
            _ => super::json_fns::resolve(name, args),
        }
    }

    /// Resolves the jsonb operators (`None`: the operands are not jsonb).
    pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
        use DataType as T;
        use JsonbFn::*;
        let j = T::Jsonb;
        let int = |t: DataType| matches!(t, T::Int2 | T::Int4);
        if l == T::Json {
            let text = sym.ends_with(">>");
            let ret = if text { T::Text } else { T::Json };
            return match sym {
                "->" | "->>" if int(r) => call(JsonElement { text }, vec![T::Json, T::Int4], ret),
                "->" | "->>" if r.is_string() => {
                    call(JsonField { text }, vec![T::Json, T::Text], ret)
                }
                "#>" | "#>>" if text_array_like(r) => {
                    call(JsonPath { text }, vec![T::Json, texts()], ret)
                }
                _ => None,
            };
        }
        match sym {
            "@>" | "<@" | "||" => {
                let both = (l == j || r == j) && jsonb_like(l) && jsonb_like(r);
                if !both {
                    return None;
                }
                let f = match sym {
                    "@>" => Contains,
                    "<@" => ContainedBy,
                    _ => Concat,
                };
                let ret = if sym == "||" { j } else { T::Bool };
                call(f, vec![j, j], ret)
            }
            _ if l != j => None,
            "->" | "->>" => {
                let text = sym == "->>";
                let ret = if text { T::Text } else { j };
                if int(r) {
                    call(Element { text }, vec![j, T::Int4], ret)
                } else if r.is_string() {
                    call(Field { text }, vec![j, T::Text], ret)
                } else {
                    None
                }
            }
            "#>" | "#>>" if text_array_like(r) => {
                let text = sym == "#>>";
                let ret = if text { T::Text } else { j };
                call(
                    Path {
                        text,
                        variadic: false,
                    },
                    vec![j, texts()],
                    ret,
                )
            }
            "?" if r.is_string() => call(Exists, vec![j, T::Text], T::Bool),
            "@?" | "@@" if r.is_string() || r == T::JsonPath => {
                let kind = if sym == "@?" {
                    super::jsonpath_exec::PathKind::Exists
                } else {
                    super::jsonpath_exec::PathKind::Match
                };
                let path = super::jsonpath_exec::path_param(r);
                call(SqlPath { kind, op: true }, vec![j, path], T::Bool)
            }
            "?|" | "?&" if text_array_like(r) => {
                let f = if sym == "?|" { ExistsAny } else { ExistsAll };
                call(f, vec![j, texts()], T::Bool)
            }
            "-" if r.is_string() => call(DeleteKey, vec![j, T::Text], j),
            "-" if int(r) => call(DeleteIndex, vec![j, T::Int4], j),
            "-" if text_array_like(r) => call(DeleteKeys, vec![j, texts()], j),
            "#-" if text_array_like(r) => call(DeletePath, vec![j, texts()], j),
            _ => None,
        }
    }

    /// Whether a NULL argument gives NULL without a call.
    pub fn is_strict(&self) -> bool {
        !matches!(
            self,
            JsonbFn::SetLax
                | JsonbFn::Assign { .. }
                | JsonbFn::BuildObject
                | JsonbFn::BuildArray
                | JsonbFn::JsonBuildObject
                | JsonbFn::JsonRow
                | JsonbFn::JsonBuildArray
        )
    }

    /// Calls the function on arguments of the resolved types.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use JsonbFn::*;
        let mut it = args.into_iter();
        match self {
            Assign { first_is_int } => {
                let root = match it.next() {
                    Some(Value::Jsonb(j)) => Some(*j),
                    _ => None,
                };
                let new = match it.next() {
                    Some(Value::Jsonb(j)) => *j,
                    _ => Jsonb::Null,
                };
                let path = it
                    .map(|v| match v {
                        Value::Null => Err(Error::NullValueNotAllowed(
                            "jsonb subscript in assignment must not be null".into(),
                        )),
                        v => Ok(v.to_string()),
                    })
                    .collect::<Result<Vec<_>>>()?;
                let out = crate::types::jsonb_assign::assign(root, &path, *first_is_int, new)?;
                return Ok(jsonb(out));
            }
            BuildObject => {
                let mut pairs = Vec::new();
                let mut i = 0;
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    i += 2;
                    pairs.push((edit::key_text(&k, i - 1)?, edit::from_value(&v)?));
                }
                return Ok(jsonb(Jsonb::object(pairs)));
            }
            BuildArray => {
                let items = it.map(|v| edit::from_value(&v)).collect::<Result<_>>()?;
                return Ok(jsonb(Jsonb::Array(items)));
            }
            ToJsonb => return Ok(jsonb(edit::from_value(&it.next().unwrap_or(Value::Null))?)),
            JsonField { .. }
            | JsonElement { .. }
            | JsonPath { .. }
            | JsonTypeof
            | JsonArrayLength => return json_call(*self, it.next(), it.next()),
            SqlPath { kind, op } => return super::jsonpath_exec::call(*kind, *op, it.collect()),
            JsonExtractPath { text } => return super::json_fns::extract_path(*text, it.collect()),
            JsonStripNulls => return super::json_fns::strip_nulls(it.next()),
            ArrayLiteral => return super::json_fns::array_literal(it.collect()),
            Object { jsonb } => return super::json_fns::object(*jsonb, it.collect()),
            JsonBuildObject => {
                let mut parts = Vec::new();
                let mut i = 0;
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    i += 2;
                    let mut s = String::new();
                    crate::types::json::write_string(&mut s, &edit::key_text(&k, i - 1)?);
                    s.push_str(" : ");
                    s.push_str(&edit::json_text(&v)?);
                    parts.push(s);
                }
                return Ok(Value::Json(format!("{{{}}}", parts.join(", "))));
            }
            JsonRow => {
                let mut parts = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    let mut s = String::new();
                    crate::types::json::write_string(&mut s, &edit::key_text(&k, 1)?);
                    s.push(':');
                    s.push_str(&edit::json_text(&v)?);
                    parts.push(s);
                }
                return Ok(Value::Json(format!("{{{}}}", parts.join(","))));
            }
            JsonBuildArray => {
                let parts = it
                    .map(|v| edit::json_text(&v))
                    .collect::<Result<Vec<_>>>()?;
                return Ok(Value::Json(format!("[{}]", parts.join(", "))));
            }
            SetLax => return set_lax(it.collect()),
            ToJson => {
                return Ok(Value::Json(edit::json_text(
                    &it.next().unwrap_or(Value::Null),
                )?));
            }
            ArrayToJsonPretty => {
                let (a, pretty) = (it.next(), it.next());
                return match (a, pretty) {
                    (Some(Value::Array(a)), Some(Value::Bool(true))) if a.ndims() > 0 => {
                        Ok(Value::Json(pretty_array_json(&a)?))
                    }
                    (Some(a), _) => Ok(Value::Json(edit::json_text(&a)?)),
                    (None, _) => Ok(Value::Null),
                };
            }
            _ => {}
        }
        let doc = take_jsonb(it.next())?;
        let arg = it.next();
        Ok(match self {
            Field { text } => {
                let v = doc.get(text_arg(&arg)?).cloned();
                out(v, *text)
            }
            Element { text } => {
                let i = int_arg(&arg)?;
                let v = match &doc {
                    Jsonb::Array(_) | Jsonb::Object(_) => doc.index(i).cloned(),
                    // a top-level scalar is a one-element array to `->`
                    scalar => (i == 0 || i == -1).then(|| scalar.clone()),
                };
                out(v, *text)
            }
            Path { text, variadic } => {
                let path: Vec<Option<String>> = if *variadic {
                    std::iter::once(arg)
                        .flatten()
                        .chain(it)
                        .map(|v| match v {
                            Value::Text(s) => Some(s),
                            _ => None,
                        })
                        .collect()
                } else {
                    path_items(arg)?
                };
                out(follow(&doc, &path), *text)
            }
            Contains => Value::Bool(doc.contains(&take_jsonb(arg)?)),
            ContainedBy => Value::Bool(take_jsonb(arg)?.contains(&doc)),
            Exists => Value::Bool(doc.exists(text_arg(&arg)?)),
            ExistsAny | ExistsAll => {
                let keys: Vec<String> = path_items(arg)?.into_iter().flatten().collect();
                let any = *self == ExistsAny;
                let hit = |k: &String| doc.exists(k);
                Value::Bool(if any {
                    keys.iter().any(hit)
                } else {
                    keys.iter().all(hit)
                })
            }
            Concat => jsonb(edit::concat(doc, take_jsonb(arg)?)),
            DeleteKey => jsonb(edit::delete_key(doc, text_arg(&arg)?)?),
            DeleteIndex => jsonb(edit::delete_index(doc, int_arg(&arg)?)?),
            DeleteKeys => {
                let keys: Vec<String> = path_items(arg)?.into_iter().flatten().collect();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                jsonb(edit::delete_keys(doc, &keys)?)
            }
            DeletePath => {
                let path = full_path(path_items(arg)?)?;
                jsonb(edit::delete_path(doc, &path)?)
            }
            Insert => {
                let path = full_path(path_items(arg)?)?;
                let new = take_jsonb(it.next())?;
                let after = matches!(it.next(), Some(Value::Bool(true)));
                jsonb(edit::insert_path(doc, &path, new, after)?)
            }
            Set => {
                let path = full_path(path_items(arg)?)?;
                let new = take_jsonb(it.next())?;
                let create = !matches!(it.next(), Some(Value::Bool(false)));
                jsonb(edit::set_path(doc, &path, new, create)?)
            }
            Typeof => Value::Text(doc.type_name().into()),
            ArrayLength => match &doc {
                Jsonb::Array(items) => Value::Int(items.len() as i64),
                Jsonb::Object(_) => {
                    return Err(Error::InvalidParameterValue(
                        "cannot get array length of a non-array".into(),
                    ));
                }
                _ => {
                    return Err(Error::InvalidParameterValue(
                        "cannot get array length of a scalar".into(),
                    ));
                }
            },
            StripNulls => jsonb(edit::strip_nulls(doc)),
            Pretty => Value::Text(edit::pretty(&doc)),
            Assign { .. }
            | BuildObject
            | BuildArray
            | ToJsonb
            | JsonBuildObject
            | JsonRow
            | JsonBuildArray
            | ToJson
            | ArrayToJsonPretty
            | JsonField { .. }
            | JsonElement { .. }
            | JsonPath { .. }
            | JsonTypeof
            | JsonArrayLength
            | SetLax
            | SqlPath { .. }
            | JsonExtractPath { .. }
            | JsonStripNulls
            | ArrayLiteral
            | Object { .. } => unreachable!("handled above"),
        })
    }
}

/// The `json` operators and functions, on the text as written.
fn json_call(f: JsonbFn, doc: Option<Value>, arg: Option<Value>) -> Result<Value> {
    use crate::types::json_text as jt;
    let Some(Value::Json(doc)) = doc else {
        return Err(Error::Internal(format!("expected json, got {doc:?}")));
    };
    let found = |v: Option<&str>, text: bool| match (v, text) {
        (None, _) => Value::Null,
        (Some(v), false) => Value::Json(v.to_string()),
        (Some(v), true) => jt::as_text(v).map_or(Value::Null, Value::Text),
    };
    Ok(match f {
        JsonbFn::JsonField { text } => found(jt::field(&doc, text_arg(&arg)?), text),
        JsonbFn::JsonElement { text } => found(jt::element(&doc, int_arg(&arg)?), text),
        JsonbFn::JsonPath { text } => found(jt::path(&doc, &path_items(arg)?), text),
        JsonbFn::JsonTypeof => Value::Text(jt::type_name(&doc).into()),
        _ => match jt::type_name(&doc) {
            "array" => Value::Int(jt::elements(&doc).map_or(0, |e| e.len()) as i64),
            "object" => {
                return Err(Error::InvalidParameterValue(
                    "cannot get array length of a non-array".into(),
                ));
            }
            _ => {
                return Err(Error::InvalidParameterValue(
                    "cannot get array length of a scalar".into(),
                ));
            }
        },
    })
}

fn jsonb(j: Jsonb) -> Value {
    Value::Jsonb(Box::new(j))
}

/// A found value as jsonb, or as `->>`'s text (a JSON null is SQL NULL there).
pub(super) fn out(v: Option<Jsonb>, text: bool) -> Value {
    match (v, text) {
        (None, _) => Value::Null,
        (Some(j), false) => jsonb(j),
        (Some(j), true) => j.to_text().map_or(Value::Null, Value::Text),
    }
}

pub(super) fn take_jsonb(v: Option<Value>) -> Result<Jsonb> {
    match v {
        Some(Value::Jsonb(j)) => Ok(*j),
        other => Err(Error::Internal(format!("expected jsonb, got {other:?}"))),
    }
}

fn text_arg(v: &Option<Value>) -> Result<&str> {
    match v {
        Some(Value::Text(s)) => Ok(s),
        other => Err(Error::Internal(format!("expected text, got {other:?}"))),
    }
}

fn int_arg(v: &Option<Value>) -> Result<i64> {
    match v {
        Some(Value::Int(i)) => Ok(*i),
        other => Err(Error::Internal(format!(
            "expected an integer, got {other:?}"
        ))),
    }
}

/// The elements of a text[] path (NULL elements as `None`).
fn path_items(v: Option<Value>) -> Result<Vec<Option<String>>> {
    match v {
        Some(Value::Array(a)) => Ok(a
            .items
            .into_iter()
            .map(|v| match v {
                Value::Text(s) => Some(s),
                _ => None,
            })
            .collect()),
        other => Err(Error::Internal(format!("expected text[], got {other:?}"))),
    }
}

/// A path for `jsonb_set` / `#-`, which refuse NULL elements.
fn full_path(items: Vec<Option<String>>) -> Result<Vec<String>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.ok_or_else(|| {
                Error::NullValueNotAllowed(format!("path element at position {} is null", i + 1))
            })
        })
        .collect()
}

/// The value at `path` (`#>`): object keys, and array positions written as integers.
fn follow<'a>(doc: &'a Jsonb, path: &[Option<String>]) -> Option<Jsonb> {
    let mut cur: &'a Jsonb = doc;
    for step in path {
        let step = step.as_deref()?;
        cur = match cur {
            Jsonb::Object(_) => cur.get(step)?,
            Jsonb::Array(_) => cur.index(step.trim().parse::<i64>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur.clone())
}

/// `jsonb_set_lax`'s arguments unpacked; NULL target or path give NULL.
fn set_lax(args: Vec<Value>) -> Result<Value> {
    let mut it = args.into_iter();
    let (target, path, new, create, treatment) =
        (it.next(), it.next(), it.next(), it.next(), it.next());
    let (Some(Value::Jsonb(doc)), Some(path @ Value::Array(_))) = (target, path) else {
        return Ok(Value::Null);
    };
    let path = full_path(path_items(Some(path))?)?;
    let create = !matches!(create, Some(Value::Bool(false)));
    let new = match new {
        Some(Value::Jsonb(j)) => Some(*j),
        _ => None,
    };
    let treatment = match &treatment {
        None => Some("use_json_null"),
        Some(Value::Text(t)) => Some(t.as_str()),
        Some(_) => None,
    };
    Ok(jsonb(edit::set_lax(*doc, &path, new, create, treatment)?))
}

/// `array_to_json(a, true)`: the top dimension's elements (sub-arrays of a
/// multi-dimensional array) joined by `,` and a line feed, as PostgreSQL prints them.
fn pretty_array_json(a: &crate::types::Array) -> Result<String> {
    let outer = a.dims[0].len.max(1) as usize;
    let chunk = a.items.len() / outer;
    let mut parts = Vec::with_capacity(outer);
    for items in a.items.chunks(chunk.max(1)) {
        let v = if a.ndims() == 1 {
            items[0].clone()
        } else {
            Value::Array(Box::new(crate::types::Array {
                dims: a.dims[1..].to_vec(),
                items: items.to_vec(),
            }))
        };
        parts.push(edit::json_text(&v)?);
    }
    Ok(format!("[{}]", parts.join(",\n ")))
}
