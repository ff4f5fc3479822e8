//! Serde for [`DataType`] as its SQL text (`integer`, `character varying(10)`): the durable
//! catalog stores types the way PostgreSQL prints them and reads them back with the same
//! parser the binder uses for `CREATE TABLE`, so new types need no format change.

use crate::types::DataType;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses a type's SQL text.
pub fn parse(text: &str) -> crate::Result<DataType> {
    crate::types::names::parse(text)
}

/// A type's stored text: its SQL name, except that an unbounded `bpchar` stays `bpchar`
/// (`character` alone would read back as character(1)).
pub fn text(t: &DataType) -> String {
    match t {
        DataType::Bpchar(None) => "bpchar".into(),
        DataType::Array(e) => format!("{}[]", text(&e.get())),
        t => t.name(),
    }
}

pub fn serialize<S: Serializer>(t: &DataType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&text(t))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DataType, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}
