//! SQL data types and values with PostgreSQL semantics.
//!
//! * [`DataType`] — the column and expression types Strata supports, with their PostgreSQL
//!   type OIDs and names.
//! * [`Value`] — one datum. Integers of every width are held as `i64`; the *type* of the
//!   expression or column that produced a value says which width it has, and every operation
//!   that produces an integer checks the result against that width (overflow → 22003). The
//!   invariant is: a `Value::Int` stored in a column or returned by an expression of type
//!   `int2`/`int4` always fits that type.
//! * [`cast`] — casts between types and parsing of text input (22P02 / 22003 / 22001).
//! * [`format`] — PostgreSQL's text output format (bool `t`/`f`, float8 shortest round-trip).

pub mod cast;
pub mod format;
mod value;

pub use value::Value;

/// A SQL data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    Int2,
    Int4,
    Int8,
    /// `real`
    Float4,
    Float8,
    Text,
    /// `varchar(n)`; `None` is unbounded `varchar`.
    Varchar(Option<u32>),
    /// The type of a bare string literal or NULL before context decides (PostgreSQL's
    /// `unknown`). Never the type of a column; resolved to `text` on output.
    Unknown,
}

impl DataType {
    /// The PostgreSQL type OID reported in RowDescription.
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Int8 => 20,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Text | DataType::Unknown => 25,
            DataType::Varchar(_) => 1043,
        }
    }

    /// The type's size in RowDescription (`typlen`; -1 for variable length).
    pub fn type_len(&self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 => 4,
            DataType::Int8 | DataType::Float8 => 8,
            _ => -1,
        }
    }

    /// The name PostgreSQL uses in messages (`format_type`).
    pub fn name(&self) -> String {
        match self {
            DataType::Bool => "boolean".into(),
            DataType::Int2 => "smallint".into(),
            DataType::Int4 => "integer".into(),
            DataType::Int8 => "bigint".into(),
            DataType::Float4 => "real".into(),
            DataType::Float8 => "double precision".into(),
            DataType::Text => "text".into(),
            DataType::Varchar(None) => "character varying".into(),
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Unknown => "unknown".into(),
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float()
    }

    pub fn is_float(&self) -> bool {
        matches!(self, DataType::Float4 | DataType::Float8)
    }

    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar(_) | DataType::Unknown
        )
    }

    /// Position in the numeric promotion order int2 < int4 < int8 < float4 < float8.
    pub fn numeric_rank(&self) -> Option<u8> {
        match self {
            DataType::Int2 => Some(0),
            DataType::Int4 => Some(1),
            DataType::Int8 => Some(2),
            DataType::Float4 => Some(3),
            DataType::Float8 => Some(4),
            _ => None,
        }
    }

    /// The common type two operands are promoted to for arithmetic and comparison, if any
    /// (`Unknown` adopts the other side's type, as PostgreSQL does for literals).
    pub fn common(a: DataType, b: DataType) -> Option<DataType> {
        use DataType::*;
        match (a, b) {
            (Unknown, Unknown) => Some(Text),
            (Unknown, t) | (t, Unknown) => Some(t),
            _ if a.is_string() && b.is_string() => {
                if a == b {
                    Some(a)
                } else {
                    Some(Text)
                }
            }
            (Bool, Bool) => Some(Bool),
            // real op integer resolves to float8 in PostgreSQL (int → float8 is preferred).
            (Float4, Int2 | Int4 | Int8) | (Int2 | Int4 | Int8, Float4) => Some(Float8),
            _ => {
                let (ra, rb) = (a.numeric_rank()?, b.numeric_rank()?);
                Some(if ra >= rb { a } else { b })
            }
        }
    }

    /// Like [`DataType::common`], but two unknowns stay unknown: used when resolving the
    /// type of a list (CASE results, COALESCE, VALUES columns, IN lists) before the final
    /// unknown → text default.
    pub fn unify(a: DataType, b: DataType) -> Option<DataType> {
        if a == DataType::Unknown && b == DataType::Unknown {
            Some(DataType::Unknown)
        } else {
            DataType::common(a, b)
        }
    }

    /// Parses a type name as written in SQL.
    pub fn from_sql(ty: &sqlparser::ast::DataType) -> crate::Result<DataType> {
        use sqlparser::ast::{CharacterLength, DataType as T, ExactNumberInfo};
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
            T::Text | T::String(None) => DataType::Text,
            T::Varchar(len) | T::CharacterVarying(len) => match len {
                None => DataType::Varchar(None),
                Some(CharacterLength::IntegerLength { length, .. }) => {
                    let n = u32::try_from(*length)
                        .ok()
                        .filter(|n| (1..=10_485_760).contains(n))
                        .ok_or_else(|| {
                            crate::Error::InvalidParameterValue(
                                "length for type varchar must be between 1 and 10485760".into(),
                            )
                        })?;
                    DataType::Varchar(Some(n))
                }
                Some(CharacterLength::Max) => {
                    return Err(crate::Error::SyntaxError(
                        "syntax error at or near \"max\"".into(),
                    ));
                }
            },
            T::Custom(name, mods) if mods.is_empty() => {
                match name.to_string().to_ascii_lowercase().as_str() {
                    "int2" => DataType::Int2,
                    "int4" => DataType::Int4,
                    "int8" => DataType::Int8,
                    "float8" => DataType::Float8,
                    "float4" => DataType::Float4,
                    "bool" => DataType::Bool,
                    "text" => DataType::Text,
                    "varchar" => DataType::Varchar(None),
                    other => {
                        return Err(crate::Error::UndefinedObject(format!(
                            "type \"{other}\" does not exist"
                        )));
                    }
                }
            }
            other => {
                return Err(crate::Error::unsupported(format!(
                    "type {other} is not supported yet"
                )));
            }
        })
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
