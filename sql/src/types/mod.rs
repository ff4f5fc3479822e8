//! SQL data types and values with PostgreSQL semantics.
//!
//! * [`DataType`] — the column and expression types Strata supports, with their PostgreSQL
//!   type OIDs, names and type modifiers. It is `Copy`: an array type holds its element type
//!   packed in an [`ElemType`], numeric and string type modifiers are small integers.
//! * [`Value`] — one datum. Integers of every width are held as `i64`; the *type* of the
//!   expression or column that produced a value says which width it has, and every operation
//!   that produces an integer checks the result against that width (overflow → 22003). The
//!   invariant is: a `Value::Int` stored in a column or returned by an expression of type
//!   `int2`/`int4` always fits that type. `oid` values are `Value::Int` too (0..2^32).
//! * [`cast`] — casts between types and parsing of text input (22P02 / 22003 / 22001 / 22007
//!   / 22008); [`coerce`] — which casts are implicit and how operand types unify.
//! * [`format`] — PostgreSQL's text output of floats; each family formats its own values.
//! * [`binary`] — PostgreSQL's binary send/receive formats (the wire's binary format).
//! * One file per type family: [`numeric`], [`bpchar`], [`datetime`], [`bytea`], [`uuid`],
//!   [`json`] (with [`jsonb_edit`] and [`json_text`]), [`array`], [`oid`].
//!
//! Type names: [`DataType::name`] is PostgreSQL's `format_type` output (used in messages and
//! by `pg_typeof`); [`names`] parses the names SQL text uses.

pub mod array;
pub mod binary;
pub mod bpchar;
pub mod bytea;
pub mod cast;
pub mod coerce;
pub mod datetime;
pub mod enums;
pub mod format;
pub mod inet;
pub mod json;
pub(crate) mod json_errors;
pub(crate) mod json_lexer;
pub mod json_text;
pub mod jsonb_assign;
pub mod jsonb_edit;
pub mod jsonpath;
pub mod jsonpath_print;
pub mod names;
pub mod numeric;
pub mod numeric_math;
pub mod oid;
pub mod range;
pub mod record;
pub mod tid;
#[cfg(test)]
mod ts_proptest;
pub mod tsquery;
pub mod tsquery_parse;
pub mod tsvector;
pub mod uuid;
mod value;
pub mod vector;

pub use array::Array;
pub use datetime::Interval;
pub use json::Jsonb;
pub use numeric::Numeric;
pub use record::Record;
pub use value::Value;

/// A SQL data type. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    Int2,
    Int4,
    Int8,
    /// `real`
    Float4,
    Float8,
    /// `numeric(precision, scale)`; `None` is unconstrained `numeric`.
    Numeric(Option<NumericTypmod>),
    Text,
    /// `varchar(n)`; `None` is unbounded `varchar`.
    Varchar(Option<u32>),
    /// `character(n)` (blank-padded); `None` is `bpchar` without a length.
    Bpchar(Option<u32>),
    /// PostgreSQL's one-byte `"char"`.
    Char,
    /// `name`: an identifier of at most 63 bytes.
    Name,
    Bytea,
    Uuid,
    Date,
    /// `time(p) without time zone`; `None`: full microsecond precision.
    Time(Option<u8>),
    /// `time(p) with time zone` ([`datetime::timetz`]).
    TimeTz(Option<u8>),
    /// `timestamp(p) without time zone`.
    Timestamp(Option<u8>),
    /// `timestamp(p) with time zone`.
    Timestamptz(Option<u8>),
    Interval,
    Json,
    Jsonb,
    Oid,
    RegClass,
    RegType,
    RegProc,
    /// `regprocedure`: a function's OID that prints as its name and argument types.
    RegProcedure,
    /// `regnamespace`, `regrole`: a schema's or a role's OID that prints as its name.
    RegNamespace,
    RegRole,
    /// A one- or multi-dimensional array of the element type.
    Array(ElemType),
    /// The catalogs' `int2vector` and `oidvector` (`pg_index.indkey`, ...): one-dimensional
    /// arrays subscripted from 0 that print as `1 2`. Values are that text
    /// ([`vector::items`] reads it); `unnest` and `generate_subscripts` take them.
    Int2Vector,
    OidVector,
    /// An anonymous composite (`record`): `ROW(...)`, `(a, b)`, a whole-row reference `t`.
    /// Its field types travel with its values ([`Record`]).
    Record,
    /// A named composite type, by its `pg_type` OID: a `CREATE TYPE name AS (...)` type or
    /// a table's row type (whose OID is the table's). Its values are [`Value::Record`]s;
    /// its name and fields live in the catalog and are found through the statement's
    /// environment ([`record::fields_of`]).
    Composite(u32),
    /// An enum type (`CREATE TYPE name AS ENUM (...)`), by its `pg_type` OID; values are
    /// [`Value::Enum`] ([`enums`]).
    Enum(u32),
    /// `tid`: a row's `ctid` (`(block,offset)`), values [`Value::Tid`].
    Tid,
    /// `xid`: a 32-bit transaction id (`xmin`, `xmax`); values are `Value::Int`.
    Xid,
    /// `cid`: a command id (`cmin`, `cmax`); values are `Value::Int`.
    Cid,
    /// `xid8`: a 64-bit transaction id (`pg_current_xact_id()`); values are `Value::Int`.
    Xid8,
    /// `inet`: a host address with an optional netmask ([`inet`]); values [`Value::Inet`].
    Inet,
    /// `cidr`: a network address ([`inet`]); values [`Value::Inet`].
    Cidr,
    /// A built-in range type ([`range`]); values [`Value::Range`].
    Range(range::RangeKind),
    /// `tsvector`: a sorted set of lexemes with positions ([`tsvector`]); values
    /// [`Value::TsVector`].
    TsVector,
    /// `tsquery`: a text-search query ([`tsquery`]); values [`Value::TsQuery`].
    TsQuery,
    /// `jsonpath`: an SQL/JSON path ([`jsonpath`]); values are `Value::Text` holding the
    /// path as PostgreSQL prints it ([`jsonpath_print`]), checked when cast from text.
    JsonPath,
    /// `regconfig`: a text-search configuration's OID that prints as its name
    /// (`Value::Reg`).
    RegConfig,
    /// `refcursor`: a cursor's (portal's) name, as PL/pgSQL's cursor variables and
    /// functions returning cursors hold it ([`crate::cursor`]); values are `Value::Text`.
    Refcursor,
    /// The type of a bare string literal or NULL before context decides (PostgreSQL's
    /// `unknown`). Never the type of a column; resolved to `text` on output.
    Unknown,
}

/// `numeric(precision, scale)`: precision 1..=1000, scale -1000..=1000 (PostgreSQL 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumericTypmod {
    pub precision: u16,
    pub scale: i16,
}

/// The element type of an array type, packed so that [`DataType`] stays `Copy`. Arrays of
/// arrays do not exist (a multi-dimensional array has the element type of its items).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ElemType {
    tag: u8,
    arg: u32,
}

const NONE: u32 = u32::MAX;

fn opt(arg: u32) -> Option<u32> {
    (arg != NONE).then_some(arg)
}

impl ElemType {
    /// Packs `t`; `None` for types that cannot be array elements (arrays, `unknown`).
    pub fn new(t: DataType) -> Option<ElemType> {
        use DataType::*;
        let (tag, arg) = match t {
            Bool => (0, 0),
            Int2 => (1, 0),
            Int4 => (2, 0),
            Int8 => (3, 0),
            Float4 => (4, 0),
            Float8 => (5, 0),
            Numeric(m) => (
                6,
                m.map_or(NONE, |m| {
                    (u32::from(m.precision) << 16) | u32::from(m.scale as u16)
                }),
            ),
            Text => (7, 0),
            Varchar(n) => (8, n.unwrap_or(NONE)),
            Bpchar(n) => (9, n.unwrap_or(NONE)),
            Char => (10, 0),
            Name => (11, 0),
            Bytea => (12, 0),
            Uuid => (13, 0),
            Date => (14, 0),
            Time(p) => (15, p.map_or(NONE, u32::from)),
            Timestamp(p) => (16, p.map_or(NONE, u32::from)),
            Timestamptz(p) => (17, p.map_or(NONE, u32::from)),
            Interval => (18, 0),
            Json => (19, 0),
            Jsonb => (20, 0),
            Oid => (21, 0),
            RegClass => (22, 0),
            RegType => (23, 0),
            RegProc => (24, 0),
            Record => (25, 0),
            Composite(oid) => (26, oid),
            Enum(oid) => (27, oid),
            Tid => (28, 0),
            Xid => (29, 0),
            Cid => (30, 0),
            Xid8 => (31, 0),
            Inet => (32, 0),
            Cidr => (33, 0),
            TimeTz(p) => (34, p.map_or(NONE, u32::from)),
            Range(k) => (35, u32::from(k.code())),
            Refcursor => (36, 0),
            RegNamespace => (37, 0),
            RegRole => (38, 0),
            TsVector => (39, 0),
            TsQuery => (40, 0),
            JsonPath => (43, 0),
            RegConfig => (41, 0),
            RegProcedure => (42, 0),
            Array(_) | Unknown | Int2Vector | OidVector => return None,
        };
        Some(ElemType { tag, arg })
    }

    /// The element type.
    pub fn get(self) -> DataType {
        use DataType::*;
        let precision = |a: u32| opt(a).map(|p| p as u8);
        match self.tag {
            0 => Bool,
            1 => Int2,
            2 => Int4,
            3 => Int8,
            4 => Float4,
            5 => Float8,
            6 => Numeric(opt(self.arg).map(|a| NumericTypmod {
                precision: (a >> 16) as u16,
                scale: (a & 0xFFFF) as u16 as i16,
            })),
            7 => Text,
            8 => Varchar(opt(self.arg)),
            9 => Bpchar(opt(self.arg)),
            10 => Char,
            11 => Name,
            12 => Bytea,
            13 => Uuid,
            14 => Date,
            15 => Time(precision(self.arg)),
            16 => Timestamp(precision(self.arg)),
            17 => Timestamptz(precision(self.arg)),
            18 => Interval,
            19 => Json,
            20 => Jsonb,
            21 => Oid,
            22 => RegClass,
            23 => RegType,
            25 => Record,
            26 => Composite(self.arg),
            27 => Enum(self.arg),
            28 => Tid,
            29 => Xid,
            30 => Cid,
            31 => Xid8,
            32 => Inet,
            33 => Cidr,
            34 => TimeTz(precision(self.arg)),
            35 => Range(
                u8::try_from(self.arg)
                    .ok()
                    .and_then(range::RangeKind::from_code)
                    .unwrap_or(range::RangeKind::Int4),
            ),
            36 => Refcursor,
            37 => RegNamespace,
            38 => RegRole,
            39 => TsVector,
            40 => TsQuery,
            41 => RegConfig,
            42 => RegProcedure,
            43 => JsonPath,
            _ => RegProc,
        }
    }
}

impl std::fmt::Debug for ElemType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.get())
    }
}

/// PostgreSQL's type categories (`pg_type.typcategory`), which drive implicit-cast
/// resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Boolean,
    Numeric,
    String,
    DateTime,
    Timespan,
    UserDefined,
    Array,
    /// Composite types (`typcategory` 'C').
    Composite,
    /// Enum types (`typcategory` 'E').
    Enum,
    /// `inet` and `cidr` (`typcategory` 'I').
    Network,
    /// Range types (`typcategory` 'R').
    Range,
    Unknown,
    Other,
}

impl DataType {
    /// `t[]`. Panics if `t` cannot be an array element (an array or `unknown`); use
    /// [`ElemType::new`] to test first.
    pub fn array_of(t: DataType) -> DataType {
        DataType::Array(ElemType::new(t).expect("array element types are scalar"))
    }

    /// The element type, for an array type.
    pub fn elem(&self) -> Option<DataType> {
        match self {
            DataType::Array(e) => Some(e.get()),
            _ => None,
        }
    }

    /// The PostgreSQL type OID reported in RowDescription.
    pub fn oid(&self) -> u32 {
        use DataType::*;
        match self {
            Bool => 16,
            Bytea => 17,
            Char => 18,
            Name => 19,
            Refcursor => 1790,
            Int8 => 20,
            Int2 => 21,
            Int4 => 23,
            RegProc => 24,
            RegProcedure => 2202,
            RegNamespace => 4089,
            RegRole => 4096,
            Text => 25,
            Oid => 26,
            Tid => 27,
            Xid => 28,
            Cid => 29,
            Xid8 => 5069,
            Json => 114,
            Float4 => 700,
            Float8 => 701,
            Unknown => 705,
            Bpchar(_) => 1042,
            Varchar(_) => 1043,
            Date => 1082,
            Time(_) => 1083,
            TimeTz(_) => 1266,
            Timestamp(_) => 1114,
            Timestamptz(_) => 1184,
            Interval => 1186,
            Numeric(_) => 1700,
            RegClass => 2205,
            RegType => 2206,
            Uuid => 2950,
            Jsonb => 3802,
            Inet => 869,
            Cidr => 650,
            TsVector => 3614,
            TsQuery => 3615,
            JsonPath => 4072,
            RegConfig => 3734,
            Range(k) => k.oids().0,
            Int2Vector => 22,
            OidVector => 30,
            Record => 2249,
            Composite(oid) | Enum(oid) => *oid,
            Array(e) => e.get().array_oid(),
        }
    }

    /// The OID of the array type whose elements are of this type (`typarray`).
    pub fn array_oid(&self) -> u32 {
        use DataType::*;
        match self {
            Bool => 1000,
            Bytea => 1001,
            Char => 1002,
            Name => 1003,
            Refcursor => 2201,
            Int2 => 1005,
            Int4 => 1007,
            RegProc => 1008,
            RegProcedure => 2207,
            RegNamespace => 4090,
            RegRole => 4097,
            Text | Unknown => 1009,
            Tid => 1010,
            Xid => 1011,
            Cid => 1012,
            Xid8 => 271,
            Bpchar(_) => 1014,
            Varchar(_) => 1015,
            Int8 => 1016,
            Float4 => 1021,
            Float8 => 1022,
            Oid => 1028,
            Json => 199,
            Timestamp(_) => 1115,
            Date => 1182,
            Time(_) => 1183,
            TimeTz(_) => 1270,
            Timestamptz(_) => 1185,
            Interval => 1187,
            Numeric(_) => 1231,
            RegClass => 2210,
            RegType => 2211,
            Uuid => 2951,
            Jsonb => 3807,
            Inet => 1041,
            Cidr => 651,
            TsVector => 3643,
            TsQuery => 3645,
            JsonPath => 4073,
            RegConfig => 3735,
            Range(k) => k.oids().1,
            Int2Vector => 1006,
            OidVector => 1013,
            Record => 2287,
            Composite(oid) => record::array_oid(*oid),
            Enum(oid) => enums::array_oid(*oid),
            Array(e) => e.get().array_oid(),
        }
    }

    /// The type's size in RowDescription (`typlen`; -1 for variable length).
    pub fn type_len(&self) -> i16 {
        use DataType::*;
        match self {
            Bool | Char => 1,
            Int2 => 2,
            Int4 | Float4 | Date | Oid | RegClass | RegType | RegProc | RegNamespace | RegRole
            | Enum(_) | Xid | Cid | RegConfig | RegProcedure => 4,
            Tid => 6,
            Xid8 => 8,
            Int8 | Float8 | Time(_) | Timestamp(_) | Timestamptz(_) => 8,
            Interval | Uuid => 16,
            TimeTz(_) => 12,
            Name => 64,
            Unknown => -2,
            _ => -1,
        }
    }

    /// The type modifier (`atttypmod`) as PostgreSQL encodes it; -1 for none.
    pub fn typmod(&self) -> i32 {
        use DataType::*;
        match self {
            Varchar(Some(n)) | Bpchar(Some(n)) => *n as i32 + 4,
            Numeric(Some(m)) => ((i32::from(m.precision) << 16) | (i32::from(m.scale) & 0x7ff)) + 4,
            Time(Some(p)) | TimeTz(Some(p)) | Timestamp(Some(p)) | Timestamptz(Some(p)) => {
                i32::from(*p)
            }
            Array(e) => e.get().typmod(),
            _ => -1,
        }
    }

    /// The same type without its modifier (`varchar(5)` → `varchar`): the type of an
    /// expression computed from a column of this type.
    pub fn without_typmod(&self) -> DataType {
        use DataType::*;
        match self {
            Numeric(_) => Numeric(None),
            Varchar(_) => Varchar(None),
            Bpchar(_) => Bpchar(None),
            Time(_) => Time(None),
            TimeTz(_) => TimeTz(None),
            Timestamp(_) => Timestamp(None),
            Timestamptz(_) => Timestamptz(None),
            Array(e) => DataType::array_of(e.get().without_typmod()),
            t => *t,
        }
    }

    /// The name PostgreSQL uses in messages (`format_type`).
    pub fn name(&self) -> String {
        use DataType::*;
        let precision = |base: &str, p: &Option<u8>, suffix: &str| match p {
            Some(p) => format!("{base}({p}){suffix}"),
            None => format!("{base}{suffix}"),
        };
        match self {
            Bool => "boolean".into(),
            Int2 => "smallint".into(),
            Int4 => "integer".into(),
            Int8 => "bigint".into(),
            Float4 => "real".into(),
            Float8 => "double precision".into(),
            Numeric(None) => "numeric".into(),
            Numeric(Some(m)) => format!("numeric({},{})", m.precision, m.scale),
            Text => "text".into(),
            Varchar(None) => "character varying".into(),
            Varchar(Some(n)) => format!("character varying({n})"),
            Bpchar(None) => "character".into(),
            Bpchar(Some(n)) => format!("character({n})"),
            Char => "\"char\"".into(),
            Name => "name".into(),
            Refcursor => "refcursor".into(),
            Bytea => "bytea".into(),
            Uuid => "uuid".into(),
            Date => "date".into(),
            Time(p) => precision("time", p, " without time zone"),
            TimeTz(p) => precision("time", p, " with time zone"),
            Timestamp(p) => precision("timestamp", p, " without time zone"),
            Timestamptz(p) => precision("timestamp", p, " with time zone"),
            Interval => "interval".into(),
            Json => "json".into(),
            Jsonb => "jsonb".into(),
            Oid => "oid".into(),
            RegClass => "regclass".into(),
            RegType => "regtype".into(),
            RegProc => "regproc".into(),
            RegProcedure => "regprocedure".into(),
            RegNamespace => "regnamespace".into(),
            RegRole => "regrole".into(),
            Tid => "tid".into(),
            Xid => "xid".into(),
            Cid => "cid".into(),
            Xid8 => "xid8".into(),
            Inet => "inet".into(),
            Cidr => "cidr".into(),
            TsVector => "tsvector".into(),
            TsQuery => "tsquery".into(),
            JsonPath => "jsonpath".into(),
            RegConfig => "regconfig".into(),
            Range(k) => k.name().into(),
            Int2Vector => "int2vector".into(),
            OidVector => "oidvector".into(),
            Record => "record".into(),
            Composite(oid) => record::type_name(*oid),
            Enum(oid) => enums::type_name(*oid),
            Array(e) => format!("{}[]", e.get().name()),
            Unknown => "unknown".into(),
        }
    }

    /// The type's internal name (`pg_type.typname`): `int4`, `_int4`, `timestamptz`, ...
    pub fn typname(&self) -> String {
        use DataType::*;
        match self {
            Bool => "bool".into(),
            Int2 => "int2".into(),
            Int4 => "int4".into(),
            Int8 => "int8".into(),
            Float4 => "float4".into(),
            Float8 => "float8".into(),
            Numeric(_) => "numeric".into(),
            Text => "text".into(),
            Varchar(_) => "varchar".into(),
            Bpchar(_) => "bpchar".into(),
            Char => "char".into(),
            Name => "name".into(),
            Refcursor => "refcursor".into(),
            Bytea => "bytea".into(),
            Uuid => "uuid".into(),
            Date => "date".into(),
            Time(_) => "time".into(),
            TimeTz(_) => "timetz".into(),
            Timestamp(_) => "timestamp".into(),
            Timestamptz(_) => "timestamptz".into(),
            Interval => "interval".into(),
            Json => "json".into(),
            Jsonb => "jsonb".into(),
            Oid => "oid".into(),
            RegClass => "regclass".into(),
            RegType => "regtype".into(),
            RegProc => "regproc".into(),
            RegProcedure => "regprocedure".into(),
            RegNamespace => "regnamespace".into(),
            RegRole => "regrole".into(),
            Tid => "tid".into(),
            Xid => "xid".into(),
            Cid => "cid".into(),
            Xid8 => "xid8".into(),
            Inet => "inet".into(),
            Cidr => "cidr".into(),
            TsVector => "tsvector".into(),
            TsQuery => "tsquery".into(),
            JsonPath => "jsonpath".into(),
            RegConfig => "regconfig".into(),
            Range(k) => k.name().into(),
            Int2Vector => "int2vector".into(),
            OidVector => "oidvector".into(),
            Record => "record".into(),
            Composite(oid) => record::type_name(*oid),
            Enum(oid) => enums::typname(*oid),
            Array(e) => format!("_{}", e.get().typname()),
            Unknown => "unknown".into(),
        }
    }

    /// The type's category (`pg_type.typcategory`).
    pub fn category(&self) -> Category {
        use DataType::*;
        match self {
            Bool => Category::Boolean,
            Int2 | Int4 | Int8 | Float4 | Float8 | Numeric(_) | Oid | RegClass | RegType
            | RegProc | RegProcedure | RegNamespace | RegRole | RegConfig => Category::Numeric,
            Text | Varchar(_) | Bpchar(_) | Char | Name => Category::String,
            Refcursor => Category::UserDefined,
            Date | Time(_) | TimeTz(_) | Timestamp(_) | Timestamptz(_) => Category::DateTime,
            Interval => Category::Timespan,
            Json | Jsonb | JsonPath | Bytea | Uuid | Tid | Xid | Cid | Xid8 | TsVector
            | TsQuery => Category::UserDefined,
            Inet | Cidr => Category::Network,
            Range(_) => Category::Range,
            Array(_) | Int2Vector | OidVector => Category::Array,
            Unknown => Category::Unknown,
            Record => Category::Other,
            Composite(_) => Category::Composite,
            Enum(_) => Category::Enum,
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    /// An arithmetic number type: integers, floats and numeric.
    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float() || matches!(self, DataType::Numeric(_))
    }

    pub fn is_float(&self) -> bool {
        matches!(self, DataType::Float4 | DataType::Float8)
    }

    /// Text-like types that text functions and operators accept (with `unknown`).
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text
                | DataType::Varchar(_)
                | DataType::Bpchar(_)
                | DataType::Name
                | DataType::Unknown
        )
    }

    /// Whether values of the type have a btree order (can be keys, be sorted, grouped and
    /// compared with `<`/`=`): every type but `json` (and arrays of it).
    /// Position in the numeric promotion order int2 < int4 < int8 < numeric < float4 <
    /// float8 (`None` for other types).
    pub fn numeric_rank(&self) -> Option<u8> {
        coerce::numeric_rank(*self)
    }

    pub fn is_orderable(&self) -> bool {
        match self {
            DataType::Json => false,
            DataType::Array(e) => e.get().is_orderable(),
            _ => true,
        }
    }

    /// The common type two operands are promoted to for arithmetic and comparison, if any
    /// (`Unknown` adopts the other side's type, as PostgreSQL does for literals). See
    /// [`coerce::common`].
    pub fn common(a: DataType, b: DataType) -> Option<DataType> {
        coerce::common(a, b)
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
        names::from_sql(ty)
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_type_is_small_and_copy() {
        fn copy<T: Copy>() {}
        copy::<DataType>();
        assert!(std::mem::size_of::<DataType>() <= 12);
    }

    #[test]
    fn elem_types_round_trip() {
        let types = [
            DataType::Int4,
            DataType::Numeric(Some(NumericTypmod {
                precision: 10,
                scale: -2,
            })),
            DataType::Numeric(None),
            DataType::Varchar(Some(7)),
            DataType::Varchar(None),
            DataType::Bpchar(Some(3)),
            DataType::Timestamptz(Some(3)),
            DataType::Time(None),
            DataType::RegProc,
        ];
        for t in types {
            assert_eq!(ElemType::new(t).unwrap().get(), t);
            let a = DataType::array_of(t);
            assert_eq!(a.elem(), Some(t));
        }
        assert!(ElemType::new(DataType::array_of(DataType::Int4)).is_none());
        assert_eq!(DataType::array_of(DataType::Int4).name(), "integer[]");
        assert_eq!(DataType::array_of(DataType::Int4).oid(), 1007);
    }
}
