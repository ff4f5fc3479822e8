//! Which casts exist and in which contexts (PostgreSQL's `pg_cast` plus its automatic I/O
//! conversion casts), and the common type two operands are unified to.
//!
//! * [`context`] of a cast: *implicit* (applied silently when resolving operators and
//!   functions), *assignment* (also in INSERT/UPDATE values) or *explicit* (only with
//!   `CAST`/`::`). Conversions to a string type through a type's output function are
//!   assignment casts; from a string type through an input function, explicit.
//! * [`common`] resolves the type both operands of a comparison or arithmetic are coerced
//!   to: an unknown literal takes the other side's type; numbers promote along
//!   int2 → int4 → int8 → numeric → float8 (a `real` mixed with an integer or numeric is
//!   float8, as PostgreSQL resolves it); `date` → `timestamp` → `timestamptz`; `char(n)` with
//!   `text` is `text`; `oid` absorbs integers; arrays unify their elements; a composite
//!   type meets `record` as `record`.

use super::DataType;

/// How freely a cast applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CastContext {
    Implicit,
    Assignment,
    Explicit,
}

fn is_string_type(t: DataType) -> bool {
    matches!(
        t,
        DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Name
    )
}

fn is_reg(t: DataType) -> bool {
    matches!(
        t,
        DataType::RegClass
            | DataType::RegType
            | DataType::RegProc
            | DataType::RegProcedure
            | DataType::RegNamespace
            | DataType::RegRole
            | DataType::RegConfig
    )
}

/// The context in which a cast from `from` to `to` applies, or `None` when no cast exists.
pub fn context(from: DataType, to: DataType) -> Option<CastContext> {
    use CastContext::*;
    use DataType::*;
    if from == to || from.without_typmod() == to.without_typmod() {
        return Some(Implicit);
    }
    if from == Unknown {
        return Some(Implicit);
    }
    if let (Array(a), Array(b)) = (from, to) {
        return context(a.get(), b.get());
    }
    // The catalogs' vectors are arrays of their elements (`attnum = ANY(indkey)`).
    if let (Int2Vector | OidVector, Array(b)) = (from, to) {
        return context(super::vector::elem(from)?, b.get());
    }
    let (f, t) = (from.without_typmod(), to.without_typmod());
    let c = match (f, t) {
        // numbers
        (Int2, Int4 | Int8 | Float4 | Float8 | Numeric(_)) => Implicit,
        (Int4, Int8 | Float4 | Float8 | Numeric(_)) => Implicit,
        (Int8, Float4 | Float8 | Numeric(_)) => Implicit,
        (Float4, Float8) => Implicit,
        (Numeric(_), Float4 | Float8) => Implicit,
        (Int4 | Int8 | Float4 | Float8 | Numeric(_), Int2) => Assignment,
        (Int8 | Float4 | Float8 | Numeric(_), Int4) => Assignment,
        (Float4 | Float8 | Numeric(_), Int8) => Assignment,
        (Float8, Float4) => Assignment,
        (Float4 | Float8, Numeric(_)) => Assignment,
        (Bool, Int4) | (Int4, Bool) => Explicit,
        (Xid8, Xid) => Explicit,
        (Int4, Char) | (Char, Int4) => Explicit,
        // OIDs
        (
            Int2 | Int4 | Int8,
            Oid | RegClass | RegType | RegProc | RegProcedure | RegNamespace | RegRole | RegConfig,
        ) => Implicit,
        (Oid, f) if is_reg(f) => Implicit,
        (r, Oid) if is_reg(r) => Implicit,
        (
            Oid | RegClass | RegType | RegProc | RegProcedure | RegNamespace | RegRole | RegConfig,
            Int4 | Int8,
        ) => Assignment,
        (Text | Varchar(_), RegClass) => Implicit,
        // strings
        (Text | Varchar(_) | Bpchar(_) | Name | Char, Text) => Implicit,
        (Text | Varchar(_) | Bpchar(_), Varchar(_) | Bpchar(_) | Name) => Implicit,
        (Name, Varchar(_) | Bpchar(_)) => Assignment,
        (Char, Varchar(_) | Bpchar(_)) => Assignment,
        (Text | Varchar(_) | Bpchar(_), Char) => Assignment,
        // dates and times
        (Date, Timestamp(_) | Timestamptz(_)) => Implicit,
        (Timestamp(_), Timestamptz(_)) => Implicit,
        (Time(_), Interval | TimeTz(_)) => Implicit,
        (TimeTz(_), Time(_)) | (Timestamptz(_), TimeTz(_)) => Assignment,
        (Timestamptz(_), Timestamp(_) | Date | Time(_)) => Assignment,
        (Timestamp(_), Date | Time(_)) => Assignment,
        (Interval, Time(_)) => Assignment,
        // records: any composite is a record; a record becomes a composite field by field
        (Composite(_), Record) | (Record, Composite(_)) => Implicit,
        // network addresses
        (Cidr, Inet) => Implicit,
        (Inet, Cidr) => Assignment,
        // json
        (Json, Jsonb) | (Jsonb, Json) => Assignment,
        (Jsonb, Bool | Numeric(_) | Int2 | Int4 | Int8 | Float4 | Float8) => Explicit,
        // automatic I/O conversions
        (_, t) if is_string_type(t) => Assignment,
        (f, _) if is_string_type(f) => Explicit,
        _ => return None,
    };
    Some(c)
}

/// Whether `from` converts to `to` implicitly.
pub fn can_implicit(from: DataType, to: DataType) -> bool {
    context(from, to) == Some(CastContext::Implicit)
}

pub(crate) fn numeric_rank(t: DataType) -> Option<u8> {
    match t {
        DataType::Int2 => Some(0),
        DataType::Int4 => Some(1),
        DataType::Int8 => Some(2),
        DataType::Numeric(_) => Some(3),
        DataType::Float4 => Some(4),
        DataType::Float8 => Some(5),
        _ => None,
    }
}

/// The common type of two operands (see the module docs).
pub fn common(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    match (a, b) {
        (Unknown, Unknown) => Some(Text),
        (Unknown, t) | (t, Unknown) => Some(t),
        _ if a == b => Some(a),
        // arrays meet only when their element types are the same (`int[] = bigint[]` has no
        // operator in PostgreSQL)
        (Array(x), Array(y)) if x.get().without_typmod() == y.get().without_typmod() => {
            Some(DataType::array_of(x.get().without_typmod()))
        }
        (Array(_), _) | (_, Array(_)) => None,
        _ if is_string_type(a) && is_string_type(b) => match (a, b) {
            (Bpchar(_), Bpchar(_)) => Some(Bpchar(None)),
            (Varchar(_), Varchar(_)) => Some(Varchar(None)),
            (Name, Name) => Some(Name),
            _ => Some(Text),
        },
        (Char, t) | (t, Char) if is_string_type(t) => Some(Text),
        // `p = ROW(...)` is record_eq(record, record), as PostgreSQL resolves it
        (Composite(_), Record) | (Record, Composite(_)) => Some(Record),
        (Oid, t) | (t, Oid) if t.is_integer() || is_reg(t) => Some(Oid),
        (r, t) | (t, r) if is_reg(r) && t.is_integer() => Some(r),
        // two different OID alias types meet as `oid` (`typinput = '...'::regprocedure`)
        (r, s) if is_reg(r) && is_reg(s) => Some(Oid),
        (Float4, Int2 | Int4 | Int8 | Numeric(_)) | (Int2 | Int4 | Int8 | Numeric(_), Float4) => {
            Some(Float8)
        }
        (Date, Timestamp(_)) | (Timestamp(_), Date) => Some(Timestamp(None)),
        (Inet, Cidr) | (Cidr, Inet) => Some(Inet),
        (Time(_), TimeTz(_)) | (TimeTz(_), Time(_)) => Some(TimeTz(None)),
        (Date | Timestamp(_), Timestamptz(_)) | (Timestamptz(_), Date | Timestamp(_)) => {
            Some(Timestamptz(None))
        }
        _ if a.without_typmod() == b.without_typmod() => Some(a.without_typmod()),
        _ => {
            let (ra, rb) = (numeric_rank(a)?, numeric_rank(b)?);
            let t = if ra >= rb { a } else { b };
            Some(t.without_typmod())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn contexts_follow_pg_cast() {
        assert_eq!(context(Int4, Int8), Some(CastContext::Implicit));
        assert_eq!(context(Int8, Int4), Some(CastContext::Assignment));
        assert_eq!(context(Numeric(None), Float8), Some(CastContext::Implicit));
        assert_eq!(
            context(Float8, Numeric(None)),
            Some(CastContext::Assignment)
        );
        assert_eq!(
            context(Date, Timestamptz(None)),
            Some(CastContext::Implicit)
        );
        assert_eq!(
            context(Timestamptz(None), Date),
            Some(CastContext::Assignment)
        );
        assert_eq!(context(Uuid, Text), Some(CastContext::Assignment));
        assert_eq!(context(Text, Uuid), Some(CastContext::Explicit));
        assert_eq!(context(Bool, Int4), Some(CastContext::Explicit));
        assert_eq!(context(Int8, Bool), None);
        assert_eq!(context(Uuid, Int4), None);
        assert_eq!(context(Bpchar(Some(3)), Text), Some(CastContext::Implicit));
        assert_eq!(
            context(DataType::array_of(Int4), DataType::array_of(Int8)),
            Some(CastContext::Implicit)
        );
    }

    #[test]
    fn common_types() {
        assert_eq!(common(Int4, Numeric(None)), Some(Numeric(None)));
        assert_eq!(common(Numeric(None), Float8), Some(Float8));
        assert_eq!(common(Numeric(None), Float4), Some(Float8));
        assert_eq!(common(Int2, Float4), Some(Float8));
        assert_eq!(common(Date, Timestamp(None)), Some(Timestamp(None)));
        assert_eq!(
            common(Timestamp(None), Timestamptz(None)),
            Some(Timestamptz(None))
        );
        assert_eq!(common(Bpchar(Some(3)), Text), Some(Text));
        assert_eq!(common(Bpchar(Some(3)), Bpchar(Some(5))), Some(Bpchar(None)));
        assert_eq!(common(Oid, Int4), Some(Oid));
        assert_eq!(common(Int4, Text), None);
        assert_eq!(common(Uuid, Text), None);
        assert_eq!(common(Numeric(None), Numeric(None)), Some(Numeric(None)));
    }
}
