//! The catalog's durable format: keys and documents.
//!
//! ```text
//! key (keycodec)                        payload (values::encode_row)
//! ["schema", oid, part]           →     text: part of a JSON document {"v":1,"def":SchemaDef}
//! ["rel",    oid, part]           →     ... {"v":1,"def":TableDef,"rel":17,"index_rels":{oid:rel}}
//! ["seq",    oid, part]           →     ... {"v":1,"def":SequenceDef}
//! ["view",   oid, part]           →     ... {"v":1,"def":ViewDef}
//! ["stats",  oid, part]           →     ... {"v":1,"def":TableStats}
//! ["func",   oid, part]           →     ... {"v":1,"def":FunctionDef}
//! ["role",   oid, part]           →     ... {"v":1,"def":RoleDef}
//! ["defacl", oid, part]           →     ... {"v":1,"def":DefaultAclDef}
//! ["seqval", oid]                 →     int8 last_value, bool is_called (a sequence's value)
//! ["meta", "next_rel"]            →     int8: the next unassigned RelId
//! ["meta", "next_oid"]            →     int8: the next unassigned OID
//! ["meta", "format"]              →     int8: 2 once schemas are stored (absent: `public`
//!                                       is implied, as before schemas existed)
//! ["rowid", table oid]            →     int8: hidden row ids up to here may be assigned
//! ["table", id]                   →     a table in the first, positional format (legacy.rs)
//! ```
//!
//! Documents are JSON of the `sql::storage` catalog structs (whose fields may only be added,
//! with serde defaults: see `sql::storage::catalog::objects`), wrapped with a version `v`
//! that is checked on read: a document of a newer version fails to decode (XX001) rather
//! than being misread. A document is cut into parts of at most [`PART_BYTES`] so that any
//! object fits the B-tree's entry limit; parts are read back in order by a prefix scan.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keycodec;
use crate::values::{self, Value};

/// The document version this code writes and the newest it reads.
pub const VERSION: u32 = 1;

/// The value of the `format` meta row once schemas are stored.
pub const FORMAT_SCHEMAS: i64 = 2;

/// Largest piece of a document stored in one catalog row.
pub const PART_BYTES: usize = 1400;

/// The kinds of catalog documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Schema,
    Table,
    Sequence,
    View,
    Stats,
    Function,
    Role,
    DefaultAcl,
    Type,
    Extension,
    Database,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Schema,
        Kind::Table,
        Kind::Sequence,
        Kind::View,
        Kind::Stats,
        Kind::Function,
        Kind::Role,
        Kind::DefaultAcl,
        Kind::Type,
        Kind::Extension,
        Kind::Database,
    ];

    fn word(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Table => "rel",
            Kind::Sequence => "seq",
            Kind::View => "view",
            Kind::Stats => "stats",
            Kind::Function => "func",
            Kind::Role => "role",
            Kind::DefaultAcl => "defacl",
            Kind::Type => "type",
            Kind::Extension => "ext",
            Kind::Database => "db",
        }
    }
}

/// The key prefix of every document of `kind`.
pub fn kind_prefix(kind: Kind) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text(kind.word().into())])
}

/// The key prefix of the parts of object `oid`'s document.
pub fn object_prefix(kind: Kind, oid: u32) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text(kind.word().into()), Value::Int8(i64::from(oid))])
}

/// The key of part `part` of object `oid`'s document.
pub fn part_key(kind: Kind, oid: u32, part: usize) -> Vec<u8> {
    keycodec::encode_key(&[
        Value::Text(kind.word().into()),
        Value::Int8(i64::from(oid)),
        Value::Int8(part as i64),
    ])
}

/// The OID and part number of a document key.
pub fn parse_part_key(key: &[u8]) -> Result<(u32, usize)> {
    let vals = keycodec::decode_key(key)?;
    match vals.as_slice() {
        [Value::Text(_), Value::Int8(oid), Value::Int8(part)] => Ok((
            u32::try_from(*oid).map_err(|_| Error::decode("catalog", "oid out of range"))?,
            usize::try_from(*part).map_err(|_| Error::decode("catalog", "bad part"))?,
        )),
        _ => Err(Error::decode("catalog", "malformed document key")),
    }
}

fn meta_key(name: &str) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("meta".into()), Value::Text(name.into())])
}

/// The catalog key of the RelId counter.
pub fn next_rel_key() -> Vec<u8> {
    meta_key("next_rel")
}

/// The catalog key of the OID counter.
pub fn next_oid_key() -> Vec<u8> {
    meta_key("next_oid")
}

/// The catalog key of the format marker.
pub fn format_key() -> Vec<u8> {
    meta_key("format")
}

/// The catalog key of table `id`'s hidden row id reservation.
pub fn row_id_key(id: u32) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("rowid".into()), Value::Int8(i64::from(id))])
}

/// The catalog key of sequence `oid`'s value.
pub fn seqval_key(oid: u32) -> Vec<u8> {
    keycodec::encode_key(&[Value::Text("seqval".into()), Value::Int8(i64::from(oid))])
}

/// Encodes a counter row (a RelId / OID counter, a row id reservation, the format).
pub fn encode_counter(n: i64) -> Vec<u8> {
    values::encode_row(&[Value::Int8(n)])
}

/// Decodes a counter row.
pub fn decode_counter(bytes: &[u8]) -> Result<i64> {
    super::legacy::Fields(values::decode_row(bytes)?.into_iter()).int()
}

/// Encodes a sequence value row.
pub fn encode_seqval(last: i64, is_called: bool) -> Vec<u8> {
    values::encode_row(&[Value::Int8(last), Value::Bool(is_called)])
}

/// Decodes a sequence value row.
pub fn decode_seqval(bytes: &[u8]) -> Result<(i64, bool)> {
    let mut f = super::legacy::Fields(values::decode_row(bytes)?.into_iter());
    Ok((f.int()?, f.bool()?))
}

#[derive(Serialize)]
struct Out<'a, T> {
    v: u32,
    def: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    rel: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index_rels: Option<&'a std::collections::BTreeMap<u32, u32>>,
}

#[derive(Deserialize)]
struct In<T> {
    v: u32,
    def: T,
    #[serde(default)]
    rel: Option<u32>,
    #[serde(default)]
    index_rels: Option<std::collections::BTreeMap<u32, u32>>,
}

/// A document as stored: the definition, and for a table its relation ids.
pub struct Doc<T> {
    pub def: T,
    pub rel: Option<u32>,
    pub index_rels: Option<std::collections::BTreeMap<u32, u32>>,
}

/// The payloads of the parts of `def`'s document.
pub fn encode_doc<T: Serialize>(
    def: &T,
    rel: Option<u32>,
    index_rels: Option<&std::collections::BTreeMap<u32, u32>>,
) -> Vec<Vec<u8>> {
    let json = serde_json::to_string(&Out {
        v: VERSION,
        def,
        rel,
        index_rels,
    })
    .expect("catalog objects always serialize");
    let mut parts = Vec::new();
    let mut rest = json.as_str();
    while !rest.is_empty() {
        let mut end = rest.len().min(PART_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        parts.push(values::encode_row(&[Value::Text(rest[..end].to_string())]));
        rest = &rest[end..];
    }
    parts
}

/// Decodes a document from its parts' payloads, in part order.
pub fn decode_doc<T: for<'de> Deserialize<'de>>(parts: &[Vec<u8>]) -> Result<Doc<T>> {
    let mut json = String::new();
    for p in parts {
        json.push_str(&super::legacy::Fields(values::decode_row(p)?.into_iter()).text()?);
    }
    let doc: In<T> = serde_json::from_str(&json)
        .map_err(|e| Error::decode("catalog", format!("catalog document: {e}")))?;
    if doc.v > VERSION {
        return Err(Error::decode(
            "catalog",
            format!("catalog document version {} is newer than {VERSION}", doc.v),
        ));
    }
    Ok(Doc {
        def: doc.def,
        rel: doc.rel,
        index_rels: doc.index_rels,
    })
}
