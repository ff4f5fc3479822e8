//! The catalog-ish types: `oid` (an unsigned 32-bit integer, held as `Value::Int`) and the
//! OID alias types `regclass`, `regtype`, `regproc`, `regnamespace`, `regrole` (`Value::Reg`),
//! which print as names.
//!
//! Names of relations and functions live in the catalog, which this crate's types cannot see,
//! so they resolve through an [`ObjectLookup`] installed in the session environment
//! ([`crate::env`]): the extension point the pg_catalog layer fills. Built-in type names
//! resolve here (`'int4'::regtype`, `'integer[]'::regtype`, `23::regtype` → `integer`).
//! A name that does not resolve is 42P01 / 42704 / 42883 as in PostgreSQL; an OID that does
//! not resolve prints as its number.

use super::DataType;
use crate::{Error, Result};

/// Which OID alias type a `Value::Reg` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegKind {
    Class,
    Type,
    Proc,
    /// `regprocedure`: a function with its argument types.
    Procedure,
    Namespace,
    Role,
    /// `regconfig`: a text-search configuration ([`crate::expr::ts_config`]).
    Config,
}

impl RegKind {
    pub fn data_type(self) -> DataType {
        match self {
            RegKind::Class => DataType::RegClass,
            RegKind::Type => DataType::RegType,
            RegKind::Proc => DataType::RegProc,
            RegKind::Procedure => DataType::RegProcedure,
            RegKind::Namespace => DataType::RegNamespace,
            RegKind::Role => DataType::RegRole,
            RegKind::Config => DataType::RegConfig,
        }
    }
}

/// Resolves catalog objects by name and OID (see the module docs). Implemented by the
/// catalog layer; `None` means "no such object".
pub trait ObjectLookup: Send + Sync {
    /// A relation's OID by (possibly schema-qualified) name, as `'t'::regclass`.
    /// 3F000 for a schema that does not exist, 42501 for one without USAGE.
    fn relation_oid(&self, name: &str) -> Result<Option<u32>>;
    /// A relation's name for `regclass` output (qualified when not on the search path).
    fn relation_name(&self, oid: u32) -> Option<String>;
    /// A function's OID by name (`'now'::regproc`); 42725 when several have the name.
    fn function_oid(&self, _name: &str) -> Result<Option<u32>> {
        Ok(None)
    }
    /// A function's name for `regproc` output.
    fn function_name(&self, _oid: u32) -> Option<String> {
        None
    }
    /// A function's OID by name and exact argument types (`'lower(text)'::regprocedure`).
    /// 3F000 for a schema that does not exist.
    fn function_oid_by_args(&self, _name: &str, _args: &[u32]) -> Result<Option<u32>> {
        Ok(None)
    }
    /// A function's name (qualified when the search path would not find it) and argument
    /// types, for `regprocedure` output.
    fn function_signature(&self, _oid: u32) -> Option<(String, Vec<u32>)> {
        None
    }
    /// A schema's OID by name (`'public'::regnamespace`).
    fn namespace_oid(&self, _name: &str) -> Option<u32> {
        None
    }
    /// A schema's name for `regnamespace` output.
    fn namespace_name(&self, _oid: u32) -> Option<String> {
        None
    }
    /// A role's OID by name (`'postgres'::regrole`).
    fn role_oid(&self, _name: &str) -> Option<u32> {
        None
    }
    /// A role's name for `regrole` output.
    fn role_name(&self, _oid: u32) -> Option<String> {
        None
    }
    /// A type that is not built in (an enum or domain, later), by name.
    fn type_oid(&self, _name: &str) -> Option<u32> {
        None
    }
    /// The name of a type that is not built in.
    fn type_name(&self, _oid: u32) -> Option<String> {
        None
    }
    /// A composite type (a `CREATE TYPE ... AS` type or a relation's row type) by OID.
    fn composite_type(&self, _oid: u32) -> Option<super::record::CompositeType> {
        None
    }
    /// A domain's base type by the domain's OID.
    fn domain_base(&self, _oid: u32) -> Option<DataType> {
        None
    }
    /// An enum type by OID.
    fn enum_type(&self, _oid: u32) -> Option<super::enums::EnumType> {
        None
    }
    /// An enum label's text by its `pg_enum` OID.
    fn enum_label(&self, _oid: u32) -> Option<String> {
        None
    }
}

/// Every built-in type a column can have, without type modifiers: what `regtype` and
/// `pg_type` list.
pub fn builtin_types() -> Vec<DataType> {
    use DataType::*;
    let scalars = [
        Bool,
        Int2,
        Int4,
        Int8,
        Float4,
        Float8,
        Numeric(None),
        Text,
        Varchar(None),
        Bpchar(None),
        Char,
        Name,
        Bytea,
        Uuid,
        Date,
        Time(None),
        Timestamp(None),
        Timestamptz(None),
        Interval,
        Json,
        Jsonb,
        Oid,
        RegClass,
        RegType,
        RegProc,
        RegProcedure,
        RegNamespace,
        RegRole,
        Tid,
        Xid,
        Cid,
        Xid8,
        Inet,
        Cidr,
        TsVector,
        TsQuery,
        JsonPath,
        RegConfig,
        TimeTz(None),
        Refcursor,
        Range(super::range::RangeKind::Int4),
        Range(super::range::RangeKind::Num),
        Range(super::range::RangeKind::Ts),
        Range(super::range::RangeKind::Tstz),
        Range(super::range::RangeKind::Date),
        Range(super::range::RangeKind::Int8),
    ];
    let mut all: Vec<DataType> = scalars.to_vec();
    all.extend(scalars.iter().map(|t| DataType::array_of(*t)));
    all.push(Int2Vector);
    all.push(OidVector);
    all.push(Unknown);
    all
}

/// The built-in type with this OID (including `record` and `record[]`, which no column
/// has).
pub fn builtin_type(oid: u32) -> Option<DataType> {
    let record = [DataType::Record, DataType::array_of(DataType::Record)];
    builtin_types()
        .into_iter()
        .chain(record)
        .find(|t| t.oid() == oid)
}

/// PostgreSQL's pseudo-types that built-in functions take or return (`pg_proc`'s
/// `prorettype`, `proargtypes`), by OID: no value has them, but `regtype` and
/// `format_type` name them.
const PSEUDO_TYPES: &[(u32, &str)] = &[
    (269, "table_am_handler"),
    (325, "index_am_handler"),
    (2275, "cstring"),
    (2276, "\"any\""),
    (2277, "anyarray"),
    (2278, "void"),
    (2279, "trigger"),
    (2280, "language_handler"),
    (2281, "internal"),
    (2283, "anyelement"),
    (2776, "anynonarray"),
    (3115, "fdw_handler"),
    (3310, "tsm_handler"),
    (3500, "anyenum"),
    (3831, "anyrange"),
    (3838, "event_trigger"),
    (4537, "anymultirange"),
    (4538, "anycompatiblemultirange"),
    (5077, "anycompatible"),
    (5078, "anycompatiblearray"),
    (5079, "anycompatiblenonarray"),
    (5080, "anycompatiblerange"),
];

/// The name of pseudo-type `oid` (see [`PSEUDO_TYPES`]).
pub fn pseudo_type_name(oid: u32) -> Option<&'static str> {
    PSEUDO_TYPES.iter().find(|p| p.0 == oid).map(|p| p.1)
}

/// `regtype` input: a type name as SQL writes it, or a number.
pub fn parse_regtype(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let name = normalize_name(t);
    if let Some(p) = PSEUDO_TYPES
        .iter()
        .find(|p| p.1 == name || p.1.trim_matches('"') == name)
    {
        return Ok(p.0);
    }
    // A domain's name parses as its base type; regtype names the domain itself.
    if let Some(oid) = crate::env::with(|e| {
        e.lookup
            .as_ref()
            .and_then(|l| l.type_oid(&name).filter(|o| l.domain_base(*o).is_some()))
    }) {
        return Ok(oid);
    }
    if let Ok(ty) = super::names::parse(t) {
        return Ok(ty.oid());
    }
    crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.type_oid(&name)))
        .ok_or_else(|| Error::UndefinedObject(format!("type \"{t}\" does not exist")))
}

/// `regclass` input.
pub fn parse_regclass(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let name = normalize_name(t);
    crate::env::with(|e| e.lookup.as_ref().map(|l| l.relation_oid(&name)))
        .transpose()?
        .flatten()
        .ok_or(Error::UndefinedTable(name))
}

/// `regproc` input.
pub fn parse_regproc(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let name = normalize_name(t);
    crate::env::with(|e| e.lookup.as_ref().map(|l| l.function_oid(&name)))
        .transpose()?
        .flatten()
        .ok_or_else(|| Error::UndefinedFunction(format!("function \"{name}\" does not exist")))
}

/// `regprocedure` input: `name(type, ...)` (the name optionally schema-qualified, the types
/// as `regtype` reads them, type modifiers ignored) or an OID.
pub fn parse_regprocedure(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let open = t
        .find('(')
        .ok_or_else(|| Error::InvalidTextRepresentation("expected a left parenthesis".into()))?;
    let close = t
        .rfind(')')
        .filter(|c| *c > open && t[c + 1..].trim().is_empty())
        .ok_or_else(|| Error::InvalidTextRepresentation("expected a right parenthesis".into()))?;
    let name = normalize_name(t[..open].trim());
    let inner = t[open + 1..close].trim();
    let mut args = Vec::new();
    if !inner.is_empty() {
        // Split at the commas outside parentheses (`numeric(10,2), int4`).
        let (mut depth, mut start) = (0i32, 0);
        for (i, ch) in inner.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(parse_regtype(&inner[start..i])?);
                    start = i + 1;
                }
                _ => {}
            }
        }
        args.push(parse_regtype(&inner[start..])?);
    }
    crate::env::with(|e| {
        e.lookup
            .as_ref()
            .map(|l| l.function_oid_by_args(&name, &args))
    })
    .transpose()?
    .flatten()
    .ok_or_else(|| Error::UndefinedFunction(format!("function \"{t}\" does not exist")))
}

/// `regnamespace` input: a schema name (one identifier) or an OID.
pub fn parse_regnamespace(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let name = normalize_name(t);
    crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.namespace_oid(&name)))
        .ok_or_else(|| Error::InvalidSchemaName(format!("schema \"{name}\" does not exist")))
}

/// `regrole` input: a role name or an OID.
pub fn parse_regrole(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let name = normalize_name(t);
    crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.role_oid(&name)))
        .ok_or_else(|| Error::UndefinedObject(format!("role \"{name}\" does not exist")))
}

/// `regconfig` input: a text-search configuration's name (optionally `pg_catalog.`) or an
/// OID.
pub fn parse_regconfig(s: &str) -> Result<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let name = normalize_name(t);
    let bare = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    crate::expr::ts_config::Config::from_name(bare)
        .map(|c| c.oid())
        .ok_or_else(|| {
            Error::UndefinedObject(format!(
                "text search configuration \"{name}\" does not exist"
            ))
        })
}

/// Folds an unquoted name to lower case and strips the quotes of a quoted one, per
/// dot-separated part (`"My".t` → `My.t`).
fn normalize_name(s: &str) -> String {
    s.split('.')
        .map(|p| {
            if p.len() >= 2 && p.starts_with('"') && p.ends_with('"') {
                p[1..p.len() - 1].replace("\"\"", "\"")
            } else {
                p.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Text output of a `Value::Reg`.
pub fn format(kind: RegKind, oid: u32) -> String {
    if oid == 0 {
        return "-".into();
    }
    let name = match kind {
        RegKind::Type => builtin_type(oid)
            .map(|t| t.name())
            .or_else(|| pseudo_type_name(oid).map(str::to_string))
            .or_else(|| crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.type_name(oid)))),
        RegKind::Class => {
            crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.relation_name(oid)))
        }
        RegKind::Proc => crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.function_name(oid))),
        RegKind::Procedure => {
            crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.function_signature(oid))).map(
                |(name, args)| {
                    let args: Vec<String> =
                        args.iter().map(|a| format(RegKind::Type, *a)).collect();
                    format!("{name}({})", args.join(","))
                },
            )
        }
        RegKind::Namespace => {
            crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.namespace_name(oid)))
        }
        RegKind::Role => crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.role_name(oid))),
        RegKind::Config => {
            crate::expr::ts_config::Config::from_oid(oid).map(|c| c.name().to_string())
        }
    };
    name.unwrap_or_else(|| oid.to_string())
}

/// `oid` input: an unsigned 32-bit number (negative input wraps, as PostgreSQL's `oidin`
/// accepts `-1` as 4294967295).
pub fn parse_oid(s: &str) -> Result<i64> {
    let t = s.trim();
    let bad =
        || Error::InvalidTextRepresentation(format!("invalid input syntax for type oid: \"{s}\""));
    let v: i64 = t.parse().map_err(|_| bad())?;
    if !(i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&v) {
        return Err(Error::NumericValueOutOfRange(format!(
            "value \"{s}\" is out of range for type oid"
        )));
    }
    Ok(if v < 0 { v + (1i64 << 32) } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_regtypes() {
        assert_eq!(parse_regtype("int4").unwrap(), 23);
        assert_eq!(parse_regtype("integer[]").unwrap(), 1007);
        assert_eq!(parse_regtype("timestamp with time zone").unwrap(), 1184);
        assert_eq!(format(RegKind::Type, 1043), "character varying");
        assert_eq!(format(RegKind::Type, 99999), "99999");
        assert_eq!(format(RegKind::Class, 0), "-");
        assert_eq!(parse_regtype("nosuch").unwrap_err().code(), "42704");
        assert_eq!(parse_regclass("nosuch").unwrap_err().code(), "42P01");
        assert_eq!(parse_oid("-1").unwrap(), 4294967295);
        assert_eq!(parse_oid("x").unwrap_err().code(), "22P02");
        assert_eq!(normalize_name("\"My\".T"), "My.t");
    }
}
