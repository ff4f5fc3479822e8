//! Text search over JSON (`to_tsvector([config,] json|jsonb)`, `json_to_tsvector` and
//! `jsonb_to_tsvector([config,] doc, filter)`): which elements of a document are indexed
//! and in which order. jsonb is walked in storage order, json in written order (duplicate
//! keys included); an object's key comes before its value. The filter is a jsonb string
//! or array of `"string"`, `"numeric"`, `"boolean"`, `"key"`, `"all"`, with PostgreSQL's
//! 22023 errors for anything else. Building the tsvector is [`super::ts_config`]'s.

use crate::types::json_text as jt;
use crate::types::{Jsonb, Numeric};
use crate::{Error, Result};

/// The kinds of elements indexed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub string: bool,
    pub numeric: bool,
    pub boolean: bool,
    pub key: bool,
}

/// The flags of a filter argument.
pub fn flags(filter: &Jsonb) -> Result<Flags> {
    let items: Vec<&Jsonb> = match filter {
        Jsonb::Array(a) => a.iter().collect(),
        Jsonb::Object(_) => {
            return Err(Error::InvalidParameterValue(
                "wrong flag type, only arrays and scalars are allowed".into(),
            ));
        }
        scalar => vec![scalar],
    };
    let mut f = Flags::default();
    for item in items {
        let Jsonb::String(s) = item else {
            return Err(Error::InvalidParameterValue(
                "flag array element is not a string".into(),
            ));
        };
        match s.to_ascii_lowercase().as_str() {
            "string" => f.string = true,
            "numeric" => f.numeric = true,
            "boolean" => f.boolean = true,
            "key" => f.key = true,
            "all" => {
                f = Flags {
                    string: true,
                    numeric: true,
                    boolean: true,
                    key: true,
                }
            }
            _ => {
                return Err(Error::InvalidParameterValue(format!(
                    "wrong flag in flag array: \"{s}\""
                )));
            }
        }
    }
    Ok(f)
}

/// The elements of jsonb `j` that `f` selects, in storage order.
pub fn jsonb_values(j: &Jsonb, f: Flags, out: &mut Vec<String>) {
    match j {
        Jsonb::String(s) if f.string => out.push(s.clone()),
        Jsonb::Number(n) if f.numeric => out.push(Numeric::Finite(n.clone()).to_string()),
        Jsonb::Bool(b) if f.boolean => out.push(b.to_string()),
        Jsonb::Array(items) => items.iter().for_each(|i| jsonb_values(i, f, out)),
        Jsonb::Object(pairs) => {
            for (k, v) in pairs {
                if f.key {
                    out.push(k.clone());
                }
                jsonb_values(v, f, out);
            }
        }
        _ => {}
    }
}

/// The elements of json text `doc` that `f` selects, in written order.
pub fn json_values(doc: &str, f: Flags, out: &mut Vec<String>) {
    let doc = doc.trim();
    match jt::type_name(doc) {
        "object" => {
            for (k, v) in jt::pairs(doc).unwrap_or_default() {
                if f.key {
                    out.push(k);
                }
                json_values(v, f, out);
            }
        }
        "array" => {
            for v in jt::elements(doc).unwrap_or_default() {
                json_values(v, f, out);
            }
        }
        "string" if f.string => out.extend(jt::as_text(doc)),
        "number" if f.numeric => out.push(doc.to_string()),
        "boolean" if f.boolean => out.push(doc.to_string()),
        _ => {}
    }
}
