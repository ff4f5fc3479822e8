//! Conversions between the wire and the SQL layer: types, parameters,
//! result rows and errors.
//!
//! Text-format values are PostgreSQL's text output exactly as the SQL layer
//! formats it (`Value`'s `Display`, in the session's environment — the
//! caller installs [`sql::Session::env`] around [`rows`] and [`param`], so
//! `timestamptz` uses the session's `TimeZone`); binary-format values use
//! PostgreSQL's send/receive formats ([`sql::types::binary`]). Parameters are
//! validated against their described types: a malformed one is an error with
//! SQLSTATE 22P02 / 22P03 / 22007 / 22008, never a panic.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::error::{ErrorInfo, PgWireResult};
use pgwire::messages::data::DataRow;
use sql::binder::OutputColumn;
use sql::types::{binary, cast::parse_text, oid::builtin_type};
use sql::{DataType, Value};

/// The wire type of a SQL type: a built-in one, or (an enum or composite type, or an
/// array of one) a type known by its OID alone, which is all the wire carries.
pub fn wire_type(t: DataType) -> Type {
    let oid = t.oid();
    Type::from_oid(oid).unwrap_or_else(|| {
        if oid == 0 {
            return Type::TEXT;
        }
        Type::new(
            t.typname(),
            oid,
            postgres_types::Kind::Simple,
            String::new(),
        )
    })
}

/// The SQL type a client declared for a parameter (`None`: let the server
/// infer it, also for types Strata does not have).
pub fn declared_type(t: &Option<Type>) -> Option<DataType> {
    match t.as_ref()?.oid() {
        0 | 705 => None,
        oid => builtin_type(oid).or_else(|| {
            sql::types::record::array_elem(oid)
                .map(|elem| DataType::array_of(DataType::Composite(elem)))
        }),
    }
}

/// RowDescription fields for `columns`, each in the format the client asked
/// for (`format_for(i)`).
pub fn fields(
    columns: &[OutputColumn],
    format_for: impl Fn(usize) -> FieldFormat,
) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            FieldInfo::new(
                c.name.clone(),
                None,
                None,
                wire_type(c.data_type),
                format_for(i),
            )
            .with_type_size(c.data_type.type_len())
            .with_type_modifier(c.data_type.typmod())
        })
        .collect()
}

/// Encodes result rows for `schema`.
pub fn rows(
    schema: &Arc<Vec<FieldInfo>>,
    columns: &[OutputColumn],
    rows: &[Vec<Value>],
) -> PgWireResult<Vec<DataRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut data = BytesMut::new();
        for (i, v) in row.iter().enumerate() {
            let binary = schema.get(i).map(|f| f.format()) == Some(FieldFormat::Binary);
            let ty = columns.get(i).map_or(DataType::Text, |c| c.data_type);
            let bytes = match v {
                Value::Null => {
                    data.put_i32(-1);
                    continue;
                }
                _ if binary => binary::send(v, ty),
                _ => v.to_string().into_bytes(),
            };
            data.put_i32(bytes.len() as i32);
            data.put_slice(&bytes);
        }
        out.push(DataRow::new(data, row.len() as i16));
    }
    Ok(out)
}

/// Decodes one Bind parameter of type `ty`.
pub fn param(raw: Option<&[u8]>, binary: bool, ty: DataType) -> sql::Result<Value> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    if binary {
        return binary::recv(raw, ty);
    }
    let text = std::str::from_utf8(raw).map_err(|_| {
        sql::Error::InvalidTextRepresentation("invalid UTF-8 in a text parameter".into())
    })?;
    parse_text(ty, text)
}

/// An ErrorResponse for a SQL error, with its SQLSTATE.
pub fn error_info(e: &sql::Error) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".to_owned(), e.code().to_owned(), e.to_string());
    info.detail = e.detail().map(str::to_string);
    info.hint = e.hint().map(str::to_string);
    info.position = e.position().map(|p| p.to_string());
    info.where_context = e.context().map(str::to_string);
    // The object the error is about, as PostgreSQL names it (drivers and ORMs read these).
    if let Some(o) = e.object() {
        info.schema = o.schema.clone();
        info.table = o.table.clone();
        info.column = o.column.clone();
        info.datatype = o.datatype.clone();
        info.constraint = o.constraint.clone();
    }
    info
}

/// A statement's NOTICE or WARNING as the fields of a NoticeResponse.
pub fn notice_info(n: &sql::notice::Notice) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        n.severity.as_str().to_owned(),
        n.code.to_owned(),
        n.message.clone(),
    );
    info.detail = n.detail.clone();
    info.hint = n.hint.clone();
    info
}

/// A FATAL ErrorResponse: the server closes the connection after it.
pub fn fatal(code: &str, message: impl Into<String>) -> ErrorInfo {
    ErrorInfo::new("FATAL".to_owned(), code.to_owned(), message.into())
}

/// [`fatal`] as the bytes of a complete backend message, for a connection pgwire no longer
/// drives.
pub fn fatal_message(code: &str, message: impl Into<String>) -> PgWireResult<bytes::BytesMut> {
    use pgwire::messages::Message;
    let response = pgwire::messages::response::ErrorResponse::from(fatal(code, message));
    let mut buf = bytes::BytesMut::new();
    response.encode(&mut buf)?;
    Ok(buf)
}
