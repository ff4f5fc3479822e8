//! The set-returning jsonb (and json) functions, [`JsonbSet`]: `jsonb_each(_text)`,
//! `jsonb_array_elements(_text)` and `jsonb_object_keys`, with their json twins over json's
//! text. `jsonb_each` in FROM is two of them in lockstep (key and value columns); in a
//! select list it yields `(key,value)` records as text.

use super::jsonb_fns::{jsonb_like, out, take_jsonb};
use crate::types::record::format_fields;
use crate::types::{DataType, Jsonb, Value};
use crate::{Error, Result};

/// The set-returning jsonb functions. `jsonb_each` in FROM is two of them in lockstep (the
/// key and the value columns); in a select list it yields `(key,value)` records as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonbSet {
    EachKey,
    EachValue { text: bool },
    EachRecord { text: bool },
    Elements { text: bool },
    ObjectKeys,
}

impl JsonbSet {
    /// Resolves a set-returning jsonb (or json) call: the function, its argument type, its
    /// row type. The json functions are the same ones over json's text.
    pub fn resolve(
        name: &str,
        args: &[DataType],
    ) -> Option<Result<(JsonbSet, DataType, DataType)>> {
        use DataType as T;
        if let Some(jsonb_name) = name.strip_prefix("json_") {
            let (f, _, ret) = match Self::resolve(&format!("jsonb_{jsonb_name}"), &[T::Jsonb])? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let ret = if ret == T::Jsonb { T::Json } else { ret };
            return Some(match args {
                [T::Json | T::Unknown] => Ok((f, T::Json, ret)),
                _ => Err(super::functions::undefined(name, args)),
            });
        }
        let (f, ret) = match name {
            "jsonb_each" => (JsonbSet::EachRecord { text: false }, T::Text),
            "jsonb_each_text" => (JsonbSet::EachRecord { text: true }, T::Text),
            "jsonb_array_elements" => (JsonbSet::Elements { text: false }, T::Jsonb),
            "jsonb_array_elements_text" => (JsonbSet::Elements { text: true }, T::Text),
            "jsonb_object_keys" => (JsonbSet::ObjectKeys, T::Text),
            _ => return None,
        };
        Some(match args {
            [t] if jsonb_like(*t) => Ok((f, T::Jsonb, ret)),
            _ => Err(super::functions::undefined(name, args)),
        })
    }

    /// The SQL function's name.
    pub fn name(&self) -> &'static str {
        match self {
            JsonbSet::EachKey
            | JsonbSet::EachValue { text: false }
            | JsonbSet::EachRecord { text: false } => "jsonb_each",
            JsonbSet::EachValue { text: true } | JsonbSet::EachRecord { text: true } => {
                "jsonb_each_text"
            }
            JsonbSet::Elements { text: false } => "jsonb_array_elements",
            JsonbSet::Elements { text: true } => "jsonb_array_elements_text",
            JsonbSet::ObjectKeys => "jsonb_object_keys",
        }
    }

    /// The name of the single column this function has in FROM, if it is not the
    /// function's (or the alias's) name: `value` for `jsonb_array_elements(_text)`.
    pub fn column_name(&self) -> Option<&'static str> {
        matches!(self, JsonbSet::Elements { .. }).then_some("value")
    }

    /// The columns of `jsonb_each(_text)` (`json`: `json_each(_text)`) in FROM: `key` and
    /// `value`.
    pub fn each_columns(text: bool, json: bool) -> [(JsonbSet, &'static str, DataType); 2] {
        let value = match (text, json) {
            (true, _) => DataType::Text,
            (false, true) => DataType::Json,
            (false, false) => DataType::Jsonb,
        };
        [
            (JsonbSet::EachKey, "key", DataType::Text),
            (JsonbSet::EachValue { text }, "value", value),
        ]
    }

    /// The rows of one call on `doc`.
    pub fn rows(&self, doc: Value) -> Result<Vec<Value>> {
        if let Value::Json(text) = &doc {
            return self.json_rows(text);
        }
        let doc = take_jsonb(Some(doc))?;
        let what = |f: &str| match &doc {
            Jsonb::Array(_) => format!("cannot call {f} on an array"),
            _ => format!("cannot call {f} on a scalar"),
        };
        Ok(match (self, doc.clone()) {
            (JsonbSet::Elements { text }, Jsonb::Array(items)) => {
                items.into_iter().map(|j| out(Some(j), *text)).collect()
            }
            (JsonbSet::Elements { .. }, Jsonb::Object(_)) => {
                return Err(Error::InvalidParameterValue(
                    "cannot extract elements from an object".into(),
                ));
            }
            (JsonbSet::Elements { .. }, _) => {
                return Err(Error::InvalidParameterValue(
                    "cannot extract elements from a scalar".into(),
                ));
            }
            (JsonbSet::ObjectKeys, Jsonb::Object(pairs)) => {
                pairs.into_iter().map(|(k, _)| Value::Text(k)).collect()
            }
            (JsonbSet::ObjectKeys, _) => {
                return Err(Error::InvalidParameterValue(what("jsonb_object_keys")));
            }
            (f, Jsonb::Object(pairs)) => pairs
                .into_iter()
                .map(|(k, v)| match f {
                    JsonbSet::EachKey => Value::Text(k),
                    JsonbSet::EachValue { text } => out(Some(v), *text),
                    JsonbSet::EachRecord { text } => {
                        let v = out(Some(v), *text);
                        Value::Text(format_fields(&[Value::Text(k), v]))
                    }
                    _ => Value::Null,
                })
                .collect(),
            (f, _) => {
                return Err(Error::InvalidParameterValue(format!(
                    "cannot call {} on a non-object",
                    f.name()
                )));
            }
        })
    }
}

impl JsonbSet {
    /// The rows of the json functions: the text as written, duplicate keys kept.
    fn json_rows(&self, doc: &str) -> Result<Vec<Value>> {
        use crate::types::json_text as jt;
        let value = |v: &str, text: bool| {
            if text {
                jt::as_text(v).map_or(Value::Null, Value::Text)
            } else {
                Value::Json(v.to_string())
            }
        };
        let fail = |msg: String| Err(Error::InvalidParameterValue(msg));
        let kind = jt::type_name(doc);
        let f = self.name().replacen("jsonb", "json", 1);
        match self {
            JsonbSet::Elements { text } => match jt::elements(doc) {
                Some(items) => Ok(items.into_iter().map(|e| value(e, *text)).collect()),
                None => fail(format!("cannot call {f} on a non-array")),
            },
            _ => {
                let Some(pairs) = jt::pairs(doc) else {
                    let what = if kind == "array" {
                        "an array"
                    } else {
                        "a scalar"
                    };
                    return match self {
                        JsonbSet::ObjectKeys => fail(format!("cannot call {f} on {what}")),
                        _ => fail(format!("cannot call {f} on a non-object")),
                    };
                };
                Ok(pairs
                    .into_iter()
                    .map(|(k, v)| match self {
                        JsonbSet::EachValue { text } => value(v, *text),
                        JsonbSet::EachRecord { text } => {
                            Value::Text(format_fields(&[Value::Text(k), value(v, *text)]))
                        }
                        _ => Value::Text(k),
                    })
                    .collect())
            }
        }
    }
}
