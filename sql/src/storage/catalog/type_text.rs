//! Serde for [`DataType`] as its SQL text (`integer`, `character varying(10)`): the durable
//! catalog stores types the way PostgreSQL prints them and reads them back with the same
//! parser the binder uses for `CREATE TABLE`, so new types need no format change.

use crate::types::DataType;
use serde::{Deserialize, Deserializer, Serializer};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// Parses a type's SQL text.
pub fn parse(text: &str) -> crate::Result<DataType> {
    let ast = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_data_type())
        .map_err(|e| crate::Error::SyntaxError(format!("type {text:?}: {e}")))?;
    DataType::from_sql(&ast)
}

pub fn serialize<S: Serializer>(t: &DataType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.name())
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DataType, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}
