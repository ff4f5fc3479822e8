//! Type names as SQL writes them: `integer`, `int4`, `numeric(10,2)`, `character
//! varying(5)`, `timestamp(3) with time zone`, `timestamptz`, `"char"`, `int[]`, `_int4`,
//! `pg_catalog.text`. Unknown names are 42704; bad modifiers 22023 / 42601.

use sqlparser::ast::{self, CharacterLength, ExactNumberInfo, TimezoneInfo};

use super::{DataType, NumericTypmod};
use crate::{Error, Result};

/// A type name as PostgreSQL's parser leaves it (what a DROP ... IF EXISTS notice prints):
/// the grammar's keyword types (`int`, `varchar(3)`, `double precision`) by their qualified
/// internal names without modifiers (`pg_catalog.int4`), every other name as written.
pub fn as_written(t: &ast::DataType) -> String {
    use ast::DataType as T;
    let internal = match t {
        T::Int(_) | T::Integer(_) => "int4",
        T::SmallInt(_) => "int2",
        T::BigInt(_) => "int8",
        T::Real => "float4",
        T::Float(
            ast::ExactNumberInfo::Precision(p) | ast::ExactNumberInfo::PrecisionAndScale(p, _),
        ) if *p <= 24 => "float4",
        T::DoublePrecision | T::Float(_) => "float8",
        T::Numeric(_) | T::Decimal(_) | T::Dec(_) => "numeric",
        T::Boolean => "bool",
        T::Varchar(_) | T::CharacterVarying(_) | T::CharVarying(_) => "varchar",
        T::Char(_) | T::Character(_) => "bpchar",
        T::Time(_, ast::TimezoneInfo::WithTimeZone) => "timetz",
        T::Time(_, _) => "time",
        T::Timestamp(_, ast::TimezoneInfo::Tz) => return "timestamptz".into(),
        T::Timestamp(_, ast::TimezoneInfo::WithTimeZone) => "timestamptz",
        T::Timestamp(_, _) => "timestamp",
        T::Interval { .. } => "interval",
        T::Bit(_) => "bit",
        T::BitVarying(_) | T::VarBit(_) => "varbit",
        T::Array(
            ast::ArrayElemTypeDef::SquareBracket(e, _) | ast::ArrayElemTypeDef::AngleBracket(e),
        ) => {
            return format!("{}[]", as_written(e));
        }
        other => return other.to_string().to_lowercase(),
    };
    format!("pg_catalog.{internal}")
}

/// The longest `varchar(n)` / `char(n)` (PostgreSQL's MaxAttrSize in characters).
const MAX_LENGTH: u64 = 10_485_760;

fn length(kind: &str, n: u64) -> Result<u32> {
    if n < 1 {
        return Err(Error::InvalidParameterValue(format!(
            "length for type {kind} must be at least 1"
        )));
    }
    if n > MAX_LENGTH {
        return Err(Error::InvalidParameterValue(format!(
            "length for type {kind} cannot exceed {MAX_LENGTH}"
        )));
    }
    Ok(n as u32)
}

fn char_length(kind: &str, len: &Option<CharacterLength>) -> Result<Option<u32>> {
    match len {
        None => Ok(None),
        Some(CharacterLength::IntegerLength { length: n, .. }) => length(kind, *n).map(Some),
        Some(CharacterLength::Max) => {
            Err(Error::SyntaxError("syntax error at or near \"max\"".into()))
        }
    }
}

/// `numeric(p, s)` with PostgreSQL 15's limits.
pub fn numeric(precision: i64, scale: i64) -> Result<DataType> {
    if !(1..=1000).contains(&precision) {
        return Err(Error::InvalidParameterValue(format!(
            "NUMERIC precision {precision} must be between 1 and 1000"
        )));
    }
    if !(-1000..=1000).contains(&scale) {
        return Err(Error::InvalidParameterValue(format!(
            "NUMERIC scale {scale} must be between -1000 and 1000"
        )));
    }
    Ok(DataType::Numeric(Some(NumericTypmod {
        precision: precision as u16,
        scale: scale as i16,
    })))
}

fn numeric_info(info: &ExactNumberInfo) -> Result<DataType> {
    match info {
        ExactNumberInfo::None => Ok(DataType::Numeric(None)),
        ExactNumberInfo::Precision(p) => numeric(*p as i64, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => numeric(*p as i64, *s),
    }
}

/// Fractional-second precision of time types: at most 6 (PostgreSQL reduces larger values
/// to 6 with a warning).
fn precision(p: &Option<u64>) -> Option<u8> {
    p.map(|p| p.min(6) as u8)
}

fn unsupported(name: &str) -> Error {
    Error::unsupported(format!("type {name} is not supported yet"))
}

fn undefined(name: &str) -> Error {
    Error::UndefinedObject(format!("type \"{name}\" does not exist"))
}

/// Parses a type name from the SQL AST.
pub fn from_sql(ty: &ast::DataType) -> Result<DataType> {
    use ast::DataType as T;
    Ok(match ty {
        T::Bool | T::Boolean => DataType::Bool,
        T::SmallInt(_) | T::Int2(_) => DataType::Int2,
        T::Int(_) | T::Integer(_) | T::Int4(_) => DataType::Int4,
        T::BigInt(_) | T::Int8(_) => DataType::Int8,
        T::Float8 | T::DoublePrecision => DataType::Float8,
        T::Real | T::Float4 => DataType::Float4,
        T::Float(ExactNumberInfo::Precision(p)) if (1..=24).contains(p) => DataType::Float4,
        T::Double(ExactNumberInfo::None) | T::Float(ExactNumberInfo::None) => DataType::Float8,
        T::Float(ExactNumberInfo::Precision(p)) if (25..=53).contains(p) => DataType::Float8,
        T::Float(ExactNumberInfo::Precision(p)) => {
            return Err(Error::InvalidParameterValue(if *p < 1 {
                "precision for type float must be at least 1 bit".into()
            } else {
                "precision for type float must be less than 54 bits".into()
            }));
        }
        T::Numeric(info) | T::Decimal(info) | T::Dec(info) => numeric_info(info)?,
        T::Text | T::String(None) => DataType::Text,
        T::Varchar(len) | T::CharacterVarying(len) | T::CharVarying(len) => {
            DataType::Varchar(char_length("varchar", len)?)
        }
        T::Char(len) | T::Character(len) => {
            DataType::Bpchar(Some(char_length("char", len)?.unwrap_or(1)))
        }
        T::Bytea => DataType::Bytea,
        T::Uuid => DataType::Uuid,
        T::Date => DataType::Date,
        T::Time(p, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            DataType::Time(precision(p))
        }
        T::Time(p, _) => DataType::TimeTz(precision(p)),
        T::Timestamp(p, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            DataType::Timestamp(precision(p))
        }
        T::Timestamp(p, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            DataType::Timestamptz(precision(p))
        }
        T::Interval { .. } => DataType::Interval,
        T::JSON => DataType::Json,
        T::JSONB => DataType::Jsonb,
        T::Regclass => DataType::RegClass,
        T::TsVector => DataType::TsVector,
        T::TsQuery => DataType::TsQuery,
        T::Array(def) => {
            let inner = match def {
                ast::ArrayElemTypeDef::SquareBracket(t, _)
                | ast::ArrayElemTypeDef::AngleBracket(t)
                | ast::ArrayElemTypeDef::Parenthesis(t)
                | ast::ArrayElemTypeDef::ParenthesisNotNull(t)
                | ast::ArrayElemTypeDef::Qualified(t, _) => from_sql(t)?,
                ast::ArrayElemTypeDef::None => {
                    return Err(Error::SyntaxError(
                        "syntax error at or near \"ARRAY\"".into(),
                    ));
                }
            };
            array_of(inner)?
        }
        T::Custom(name, mods) => custom(name, mods)?,
        other => return Err(unsupported(&other.to_string())),
    })
}

fn array_of(t: DataType) -> Result<DataType> {
    match t {
        DataType::Array(_) => Ok(t), // int[][] is int[]
        DataType::Unknown => Err(undefined("unknown[]")),
        t => super::ElemType::new(t)
            .map(DataType::Array)
            .ok_or_else(|| undefined(&format!("{}[]", t.name()))),
    }
}

fn custom(name: &ast::ObjectName, mods: &[ast::TypeModifier]) -> Result<DataType> {
    let parts: Vec<&ast::Ident> = name
        .0
        .iter()
        .filter_map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => Some(i),
            _ => None,
        })
        .collect();
    let last = match parts.as_slice() {
        [one] => *one,
        [schema, one] if schema.value.eq_ignore_ascii_case("pg_catalog") => *one,
        [_, _] if mods.is_empty() => return catalog_type(&parts),
        _ => return Err(undefined(&name.to_string())),
    };
    let quoted = last.quote_style.is_some();
    let word = if quoted {
        last.value.clone()
    } else {
        last.value.to_lowercase()
    };
    let nums = mods
        .iter()
        .map(|m| match m {
            ast::TypeModifier::Number(n, _) => n
                .parse::<i64>()
                .map_err(|_| Error::SyntaxError(format!("syntax error at or near \"{n}\""))),
            other => Err(Error::SyntaxError(format!(
                "syntax error at or near \"{other}\""
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    let no_mods = |t: DataType| {
        if nums.is_empty() {
            Ok(t)
        } else {
            Err(Error::SyntaxError(format!(
                "type modifier is not allowed for type \"{word}\""
            )))
        }
    };
    if let Some(elem) = word.strip_prefix('_')
        && let Ok(t) = simple_name(elem, quoted)
    {
        return array_of(t);
    }
    match (word.as_str(), nums.as_slice()) {
        ("numeric" | "decimal", [p]) => numeric(*p, 0),
        ("numeric" | "decimal", [p, s]) => numeric(*p, *s),
        ("varchar", [n]) => Ok(DataType::Varchar(Some(length("varchar", *n as u64)?))),
        ("bpchar", [n]) => Ok(DataType::Bpchar(Some(length("char", *n as u64)?))),
        ("timestamptz", [p]) => Ok(DataType::Timestamptz(Some((*p).clamp(0, 6) as u8))),
        ("timestamp", [p]) => Ok(DataType::Timestamp(Some((*p).clamp(0, 6) as u8))),
        ("time", [p]) => Ok(DataType::Time(Some((*p).clamp(0, 6) as u8))),
        ("timetz", [p]) => Ok(DataType::TimeTz(Some((*p).clamp(0, 6) as u8))),
        _ => match simple_name(&word, quoted) {
            Err(Error::UndefinedObject(_)) if nums.is_empty() => catalog_type(&parts),
            other => no_mods(other?),
        },
    }
}

/// A type the catalog defines (a composite type, a relation's row type or an enum type),
/// by its possibly schema-qualified name, through the statement's environment.
fn catalog_type(parts: &[&ast::Ident]) -> Result<DataType> {
    let fold = |i: &ast::Ident| {
        if i.quote_style.is_some() {
            i.value.clone()
        } else {
            i.value.to_lowercase()
        }
    };
    let text = parts.iter().map(|p| fold(p)).collect::<Vec<_>>().join(".");
    let oid = crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.type_oid(&text)))
        .ok_or_else(|| undefined(&text))?;
    if super::record::lookup(oid).is_some() {
        Ok(DataType::Composite(oid))
    } else if super::enums::lookup(oid).is_some() {
        Ok(DataType::Enum(oid))
    } else if let Some(base) =
        crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.domain_base(oid)))
    {
        // A domain is its base type in expressions (see `crate::ddl::domains`).
        Ok(base)
    } else {
        Err(undefined(&text))
    }
}

/// A type by its single-word name (internal or SQL spelling).
fn simple_name(word: &str, quoted: bool) -> Result<DataType> {
    Ok(match word {
        "char" if quoted => DataType::Char,
        "char" => DataType::Bpchar(Some(1)),
        "bool" | "boolean" => DataType::Bool,
        "int2" | "smallint" => DataType::Int2,
        "int4" | "int" | "integer" => DataType::Int4,
        "int8" | "bigint" => DataType::Int8,
        "float4" | "real" => DataType::Float4,
        "float8" => DataType::Float8,
        "numeric" | "decimal" => DataType::Numeric(None),
        "text" => DataType::Text,
        "varchar" => DataType::Varchar(None),
        "bpchar" => DataType::Bpchar(None),
        "name" => DataType::Name,
        "refcursor" => DataType::Refcursor,
        "bytea" => DataType::Bytea,
        "uuid" => DataType::Uuid,
        "date" => DataType::Date,
        "time" => DataType::Time(None),
        "timestamp" => DataType::Timestamp(None),
        "timestamptz" => DataType::Timestamptz(None),
        "interval" => DataType::Interval,
        "json" => DataType::Json,
        "jsonb" => DataType::Jsonb,
        "oid" => DataType::Oid,
        "regnamespace" => DataType::RegNamespace,
        "regrole" => DataType::RegRole,
        "regconfig" => DataType::RegConfig,
        "tsvector" => DataType::TsVector,
        "tsquery" => DataType::TsQuery,
        "jsonpath" => DataType::JsonPath,
        "regclass" => DataType::RegClass,
        "regtype" => DataType::RegType,
        "regproc" => DataType::RegProc,
        "regprocedure" => DataType::RegProcedure,
        "tid" => DataType::Tid,
        "xid" => DataType::Xid,
        "cid" => DataType::Cid,
        "xid8" => DataType::Xid8,
        "inet" => DataType::Inet,
        "cidr" => DataType::Cidr,
        "int2vector" => DataType::Int2Vector,
        "oidvector" => DataType::OidVector,
        "record" => DataType::Record,
        "timetz" => DataType::TimeTz(None),
        w if let Some(k) = super::range::RangeKind::from_name(w) => DataType::Range(k),
        w if let Some(k) = super::range::RangeKind::ALL
            .into_iter()
            .find(|k| k.multirange_name() == w) =>
        {
            return Err(crate::Error::FeatureNotSupported(format!(
                "multirange type {} is not supported",
                k.multirange_name()
            )));
        }
        _ => return Err(undefined(word)),
    })
}

/// Parses a type name from text (`regtype` input, stored catalog names).
pub fn parse(s: &str) -> Result<DataType> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut parser = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(s)
        .map_err(|_| undefined(s))?;
    let ty = parser.parse_data_type().map_err(|_| undefined(s))?;
    if parser.peek_token().token != sqlparser::tokenizer::Token::EOF {
        return Err(undefined(s));
    }
    from_sql(&ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        let cases = [
            ("integer", DataType::Int4),
            ("int4", DataType::Int4),
            ("pg_catalog.int8", DataType::Int8),
            ("character varying(5)", DataType::Varchar(Some(5))),
            ("char(3)", DataType::Bpchar(Some(3))),
            ("character", DataType::Bpchar(Some(1))),
            ("bpchar", DataType::Bpchar(None)),
            ("\"char\"", DataType::Char),
            ("timestamptz", DataType::Timestamptz(None)),
            (
                "timestamp(3) with time zone",
                DataType::Timestamptz(Some(3)),
            ),
            ("timestamp without time zone", DataType::Timestamp(None)),
            ("int[]", DataType::array_of(DataType::Int4)),
            ("_int4", DataType::array_of(DataType::Int4)),
            ("text[][]", DataType::array_of(DataType::Text)),
            ("double precision", DataType::Float8),
            ("jsonb", DataType::Jsonb),
            ("interval", DataType::Interval),
            ("regtype", DataType::RegType),
        ];
        for (s, want) in cases {
            assert_eq!(parse(s).unwrap(), want, "{s}");
            if want != DataType::Bpchar(None) {
                assert_eq!(parse(&want.name()).unwrap(), want, "{}", want.name());
            }
        }
        assert_eq!(parse("numeric(10,2)").unwrap().name(), "numeric(10,2)");
        assert_eq!(parse("numeric(0)").unwrap_err().code(), "22023");
        assert_eq!(parse("nosuch").unwrap_err().code(), "42704");
        assert_eq!(parse("varchar(0)").unwrap_err().code(), "22023");
    }
}
