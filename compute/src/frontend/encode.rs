//! Conversions between the wire and the SQL layer: types, parameters,
//! result rows and errors.
//!
//! Text-format values are PostgreSQL's text output exactly as the SQL layer
//! formats it (`Value`'s `Display`); binary-format values use PostgreSQL's
//! send/recv formats (big-endian integers, IEEE float8, one byte per bool,
//! UTF-8 text). Parameters are validated against their described types:
//! a malformed one is an error with SQLSTATE 22P02 or 08P01, never a panic.

use std::sync::Arc;

use pgwire::api::Type;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::error::{ErrorInfo, PgWireResult};
use pgwire::messages::data::DataRow;
use sql::binder::OutputColumn;
use sql::types::cast::parse_text;
use sql::{DataType, Value};

/// The wire type of a SQL type.
pub fn wire_type(t: DataType) -> Type {
    Type::from_oid(t.oid()).unwrap_or(Type::TEXT)
}

/// The SQL type a client declared for a parameter (`None`: let the server
/// infer it).
pub fn declared_type(t: &Option<Type>) -> Option<DataType> {
    match t.as_ref()?.oid() {
        16 => Some(DataType::Bool),
        21 => Some(DataType::Int2),
        23 => Some(DataType::Int4),
        20 => Some(DataType::Int8),
        700 => Some(DataType::Float4),
        701 => Some(DataType::Float8),
        25 => Some(DataType::Text),
        1043 => Some(DataType::Varchar(None)),
        _ => None,
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
        })
        .collect()
}

/// Encodes result rows for `schema`.
pub fn rows(
    schema: &Arc<Vec<FieldInfo>>,
    columns: &[OutputColumn],
    rows: &[Vec<Value>],
) -> PgWireResult<Vec<DataRow>> {
    let mut enc = DataRowEncoder::new(schema.clone());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            let binary = schema.get(i).map(|f| f.format()) == Some(FieldFormat::Binary);
            let ty = columns.get(i).map_or(DataType::Text, |c| c.data_type);
            match v {
                Value::Null => enc.encode_field(&None::<i32>)?,
                _ if !binary => enc.encode_field(&v.to_string())?,
                Value::Bool(b) => enc.encode_field(b)?,
                Value::Int(n) => match ty {
                    DataType::Int2 => enc.encode_field(&(*n as i16))?,
                    DataType::Int4 => enc.encode_field(&(*n as i32))?,
                    _ => enc.encode_field(n)?,
                },
                Value::Float(f) => enc.encode_field(f)?,
                Value::Float4(f) => enc.encode_field(f)?,
                Value::Text(s) => enc.encode_field(s)?,
            }
        }
        out.push(enc.take_row());
    }
    Ok(out)
}

/// Decodes one Bind parameter of type `ty`.
pub fn param(raw: Option<&[u8]>, binary: bool, ty: DataType) -> sql::Result<Value> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    if !binary {
        let text = std::str::from_utf8(raw).map_err(|_| {
            sql::Error::InvalidTextRepresentation("invalid UTF-8 in a text parameter".into())
        })?;
        return parse_text(ty, text);
    }
    let bad = || {
        sql::Error::InvalidTextRepresentation(format!(
            "incorrect binary data format in bind parameter of type {}",
            ty.name()
        ))
    };
    let fixed =
        |n: usize| -> sql::Result<&[u8]> { if raw.len() == n { Ok(raw) } else { Err(bad()) } };
    Ok(match ty {
        DataType::Bool => Value::Bool(fixed(1)?[0] != 0),
        DataType::Int2 => {
            Value::Int(i16::from_be_bytes(fixed(2)?.try_into().map_err(|_| bad())?) as i64)
        }
        DataType::Int4 => {
            Value::Int(i32::from_be_bytes(fixed(4)?.try_into().map_err(|_| bad())?) as i64)
        }
        DataType::Int8 => Value::Int(i64::from_be_bytes(fixed(8)?.try_into().map_err(|_| bad())?)),
        DataType::Float4 => {
            Value::Float4(f32::from_be_bytes(fixed(4)?.try_into().map_err(|_| bad())?))
        }
        DataType::Float8 => {
            Value::Float(f64::from_be_bytes(fixed(8)?.try_into().map_err(|_| bad())?))
        }
        DataType::Text | DataType::Varchar(_) | DataType::Unknown => {
            Value::Text(String::from_utf8(raw.to_vec()).map_err(|_| bad())?)
        }
    })
}

/// An ErrorResponse for a SQL error, with its SQLSTATE.
pub fn error_info(e: &sql::Error) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".to_owned(), e.code().to_owned(), e.to_string());
    info.detail = e.detail().map(str::to_string);
    info.where_context = e.context().map(str::to_string);
    // The object the error is about, as PostgreSQL names it (drivers expose these fields).
    match e.innermost() {
        sql::Error::UniqueViolation { constraint, .. } => {
            info.constraint = Some(constraint.clone());
        }
        sql::Error::NotNullViolation { table, column } => {
            info.table = Some(table.clone());
            info.column = Some(column.clone());
        }
        _ => {}
    }
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
