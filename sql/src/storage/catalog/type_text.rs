//! Serde for [`DataType`] as its SQL text (`integer`, `character varying(10)`): the durable
//! catalog stores types the way PostgreSQL prints them and reads them back with the same
//! parser the binder uses for `CREATE TABLE`, so new types need no format change. A
//! composite type is stored by OID (`composite 16390`): its name can change, its OID not.

use crate::types::DataType;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses a type's SQL text.
pub fn parse(text: &str) -> crate::Result<DataType> {
    if let Some(rest) = text.strip_prefix(COMPOSITE) {
        let (oid, array) = match rest.strip_suffix("[]") {
            Some(oid) => (oid, true),
            None => (rest, false),
        };
        let t = oid
            .parse()
            .map(DataType::Composite)
            .map_err(|_| crate::Error::Internal(format!("bad stored type {text:?}")))?;
        return Ok(if array { DataType::array_of(t) } else { t });
    }
    if let Some(rest) = text.strip_prefix(ENUM) {
        let (oid, array) = match rest.strip_suffix("[]") {
            Some(oid) => (oid, true),
            None => (rest, false),
        };
        let t = oid
            .parse()
            .map(DataType::Enum)
            .map_err(|_| crate::Error::Internal(format!("bad stored type {text:?}")))?;
        return Ok(if array { DataType::array_of(t) } else { t });
    }
    crate::types::names::parse(text)
}

const COMPOSITE: &str = "composite ";
const ENUM: &str = "enum ";

/// A type's stored text: its SQL name, except that an unbounded `bpchar` stays `bpchar`
/// (`character` alone would read back as character(1)).
pub fn text(t: &DataType) -> String {
    match t {
        DataType::Bpchar(None) => "bpchar".into(),
        DataType::Array(e) => format!("{}[]", text(&e.get())),
        DataType::Composite(oid) => format!("{COMPOSITE}{oid}"),
        DataType::Enum(oid) => format!("{ENUM}{oid}"),
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
