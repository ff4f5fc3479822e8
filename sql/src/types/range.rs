//! PostgreSQL's built-in range types: `int4range`, `int8range`, `numrange`, `tsrange`,
//! `tstzrange` and `daterange` (`rangetypes.c`).
//!
//! A [`Range`] is empty or has two [`Bound`]s; a bound without a value is infinite (and
//! never inclusive). [`make`] is PostgreSQL's `make_range`: it checks that the lower bound is
//! not above the upper one (22000), turns `[x,x)`-like ranges into `empty`, and puts the
//! discrete types (`int4range`, `int8range`, `daterange`) into their canonical `[a,b)` form.
//! Text input ([`parse`]) and output ([`format`]) follow `range_in` / `range_out`, with
//! their quoting and "malformed range literal" errors; [`cmp`] is `range_cmp`, the btree
//! order (empty first, then lower bounds with -infinity first, then upper bounds), which
//! is also [`crate::Value`]'s order for ranges. Functions and operators live in
//! [`crate::expr::range_fns`].

use std::cmp::Ordering;

use super::{DataType, Value, cast};
use crate::{Error, Result};

/// Which built-in range type a range is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeKind {
    Int4,
    Int8,
    Num,
    Ts,
    Tstz,
    Date,
}

impl RangeKind {
    pub const ALL: [RangeKind; 6] = [
        RangeKind::Int4,
        RangeKind::Num,
        RangeKind::Ts,
        RangeKind::Tstz,
        RangeKind::Date,
        RangeKind::Int8,
    ];

    /// The element type (`rngsubtype`).
    pub fn subtype(self) -> DataType {
        match self {
            RangeKind::Int4 => DataType::Int4,
            RangeKind::Int8 => DataType::Int8,
            RangeKind::Num => DataType::Numeric(None),
            RangeKind::Ts => DataType::Timestamp(None),
            RangeKind::Tstz => DataType::Timestamptz(None),
            RangeKind::Date => DataType::Date,
        }
    }

    /// The range type over `t`'s type (without modifier), if there is a built-in one.
    pub fn of_subtype(t: DataType) -> Option<RangeKind> {
        Some(match t.without_typmod() {
            DataType::Int4 => RangeKind::Int4,
            DataType::Int8 => RangeKind::Int8,
            DataType::Numeric(None) => RangeKind::Num,
            DataType::Timestamp(None) => RangeKind::Ts,
            DataType::Timestamptz(None) => RangeKind::Tstz,
            DataType::Date => RangeKind::Date,
            _ => return None,
        })
    }

    /// A small code for storage formats (also the order of [`RangeKind::ALL`]).
    pub fn code(self) -> u8 {
        match self {
            RangeKind::Int4 => 0,
            RangeKind::Num => 1,
            RangeKind::Ts => 2,
            RangeKind::Tstz => 3,
            RangeKind::Date => 4,
            RangeKind::Int8 => 5,
        }
    }

    pub fn from_code(c: u8) -> Option<RangeKind> {
        RangeKind::ALL.get(usize::from(c)).copied()
    }

    /// The type's OID and its array type's (PostgreSQL's).
    pub fn oids(self) -> (u32, u32) {
        match self {
            RangeKind::Int4 => (3904, 3905),
            RangeKind::Num => (3906, 3907),
            RangeKind::Ts => (3908, 3909),
            RangeKind::Tstz => (3910, 3911),
            RangeKind::Date => (3912, 3913),
            RangeKind::Int8 => (3926, 3927),
        }
    }

    /// `pg_type.typname`, also the name `format_type` shows and the constructor's name.
    pub fn name(self) -> &'static str {
        match self {
            RangeKind::Int4 => "int4range",
            RangeKind::Int8 => "int8range",
            RangeKind::Num => "numrange",
            RangeKind::Ts => "tsrange",
            RangeKind::Tstz => "tstzrange",
            RangeKind::Date => "daterange",
        }
    }

    pub fn from_name(name: &str) -> Option<RangeKind> {
        RangeKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The multirange type's name (PostgreSQL 14+), which Strata does not have.
    pub fn multirange_name(self) -> &'static str {
        match self {
            RangeKind::Int4 => "int4multirange",
            RangeKind::Int8 => "int8multirange",
            RangeKind::Num => "nummultirange",
            RangeKind::Ts => "tsmultirange",
            RangeKind::Tstz => "tstzmultirange",
            RangeKind::Date => "datemultirange",
        }
    }

    /// Whether the type has a canonical function (`[a,b)` form).
    pub fn discrete(self) -> bool {
        matches!(self, RangeKind::Int4 | RangeKind::Int8 | RangeKind::Date)
    }
}

/// One bound of a range: `val` `None` is infinite. `lower` says which end it is (as in
/// PostgreSQL's `RangeBound`, so that the bound comparisons below can mix the two ends).
#[derive(Debug, Clone)]
pub struct Bound {
    pub val: Option<Value>,
    pub inclusive: bool,
    pub lower: bool,
}

impl Bound {
    pub fn infinite(lower: bool) -> Bound {
        Bound {
            val: None,
            inclusive: false,
            lower,
        }
    }
}

/// A range value. See the module docs.
#[derive(Debug, Clone)]
pub struct Range {
    pub kind: RangeKind,
    pub empty: bool,
    pub lower: Bound,
    pub upper: Bound,
}

/// `RANGE_*` flag bits of the binary format and of storage.
pub const EMPTY: u8 = 0x01;
pub const LB_INC: u8 = 0x02;
pub const UB_INC: u8 = 0x04;
pub const LB_INF: u8 = 0x08;
pub const UB_INF: u8 = 0x10;

impl Range {
    pub fn empty(kind: RangeKind) -> Range {
        Range {
            kind,
            empty: true,
            lower: Bound::infinite(true),
            upper: Bound::infinite(false),
        }
    }

    /// The flags byte of `range_send`.
    pub fn flags(&self) -> u8 {
        if self.empty {
            return EMPTY;
        }
        let mut f = 0;
        if self.lower.inclusive {
            f |= LB_INC;
        }
        if self.upper.inclusive {
            f |= UB_INC;
        }
        if self.lower.val.is_none() {
            f |= LB_INF;
        }
        if self.upper.val.is_none() {
            f |= UB_INF;
        }
        f
    }
}

/// `range_cmp_bound_values`: bounds compared by value only (infinities at their ends).
pub fn cmp_bound_values(b1: &Bound, b2: &Bound) -> Ordering {
    match (&b1.val, &b2.val) {
        (None, None) if b1.lower == b2.lower => Ordering::Equal,
        (None, _) => end(b1.lower),
        (_, None) => end(b2.lower).reverse(),
        (Some(a), Some(b)) => a.cmp(b),
    }
}

/// Where an infinite bound sorts: -infinity first, +infinity last.
fn end(lower: bool) -> Ordering {
    if lower {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// `range_cmp_bounds`: bounds compared by value, then by inclusivity and end.
pub fn cmp_bounds(b1: &Bound, b2: &Bound) -> Ordering {
    let result = cmp_bound_values(b1, b2);
    if result != Ordering::Equal || b1.val.is_none() {
        return result;
    }
    // An exclusive lower bound is just after its value, an exclusive upper just before.
    let after = |lower: bool| {
        if lower {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    };
    match (b1.inclusive, b2.inclusive) {
        (false, false) if b1.lower == b2.lower => Ordering::Equal,
        (false, false) => after(b1.lower),
        (false, true) => after(b1.lower),
        (true, false) => after(b2.lower).reverse(),
        (true, true) => Ordering::Equal,
    }
}

/// `range_cmp`: the btree order of ranges of one type.
pub fn cmp(a: &Range, b: &Range) -> Ordering {
    match (a.empty, b.empty) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => {
            cmp_bounds(&a.lower, &b.lower).then_with(|| cmp_bounds(&a.upper, &b.upper))
        }
    }
}

/// `make_range`: checks the bounds, detects emptiness and canonicalizes discrete types.
pub fn make(kind: RangeKind, lower: Bound, upper: Bound, empty: bool) -> Result<Range> {
    let r = serialize(kind, lower, upper, empty)?;
    if r.empty || !kind.discrete() {
        return Ok(r);
    }
    let Range {
        mut lower,
        mut upper,
        ..
    } = r;
    if let Some(v) = &lower.val
        && !lower.inclusive
        && let Some(next) = step(kind, v)?
    {
        lower.val = Some(next);
        lower.inclusive = true;
    }
    if let Some(v) = &upper.val
        && upper.inclusive
        && let Some(next) = step(kind, v)?
    {
        upper.val = Some(next);
        upper.inclusive = false;
    }
    serialize(kind, lower, upper, false)
}

/// `range_serialize`'s checks.
fn serialize(kind: RangeKind, mut lower: Bound, mut upper: Bound, empty: bool) -> Result<Range> {
    if empty {
        return Ok(Range::empty(kind));
    }
    lower.lower = true;
    upper.lower = false;
    if lower.val.is_none() {
        lower.inclusive = false;
    }
    if upper.val.is_none() {
        upper.inclusive = false;
    }
    match cmp_bound_values(&lower, &upper) {
        Ordering::Greater => Err(Error::DataException(
            "range lower bound must be less than or equal to range upper bound".into(),
        )),
        Ordering::Equal if !(lower.inclusive && upper.inclusive) => Ok(Range::empty(kind)),
        _ => Ok(Range {
            kind,
            empty: false,
            lower,
            upper,
        }),
    }
}

/// The next value of a discrete type (`x + 1`; `None` for the infinite dates, whose bounds
/// stay as they are).
fn step(kind: RangeKind, v: &Value) -> Result<Option<Value>> {
    let next = match (kind, v) {
        (RangeKind::Int4, Value::Int(i)) => i32::try_from(*i)
            .ok()
            .and_then(|i| i.checked_add(1))
            .map(|i| Value::Int(i64::from(i)))
            .ok_or_else(|| Error::NumericValueOutOfRange("integer out of range".into()))?,
        (RangeKind::Int8, Value::Int(i)) => i
            .checked_add(1)
            .map(Value::Int)
            .ok_or_else(|| Error::NumericValueOutOfRange("bigint out of range".into()))?,
        (RangeKind::Date, Value::Date(d)) => {
            if matches!(
                *d,
                super::datetime::DATE_INFINITY | super::datetime::DATE_NEG_INFINITY
            ) {
                return Ok(None);
            }
            Value::Date(super::datetime::arith::date_add_days(*d, 1)?)
        }
        _ => return Err(Error::Internal(format!("{} bound {v:?}", kind.name()))),
    };
    Ok(Some(next))
}

/// A range from the constructor functions' arguments (`int4range(1, 5, '[]')`): a NULL
/// bound is infinite.
pub fn construct(kind: RangeKind, lower: Value, upper: Value, flags: &str) -> Result<Range> {
    let (li, ui) = match flags {
        "[]" => (true, true),
        "[)" => (true, false),
        "(]" => (false, true),
        "()" => (false, false),
        _ => {
            return Err(Error::WithHint {
                error: Box::new(Error::SyntaxError("invalid range bound flags".into())),
                hint: "Valid values are \"[]\", \"[)\", \"(]\", and \"()\".".into(),
            });
        }
    };
    let bound = |v: Value, inclusive: bool, lower: bool| Bound {
        val: (!v.is_null()).then_some(v),
        inclusive,
        lower,
    };
    make(kind, bound(lower, li, true), bound(upper, ui, false), false)
}

fn malformed(s: &str, detail: &str) -> Error {
    Error::MalformedLiteral {
        message: format!("malformed range literal: \"{s}\""),
        detail: detail.into(),
    }
}

/// `range_in`: `empty`, or `[`/`(`, two bounds (empty: infinite; quoted with `"`, `\`
/// escapes), `]`/`)`.
pub fn parse(kind: RangeKind, s: &str) -> Result<Range> {
    let b = s.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if b.len() >= i + 5 && b[i..i + 5].eq_ignore_ascii_case(b"empty") {
        i += 5;
        skip_ws(&mut i);
        if i < b.len() {
            return Err(malformed(s, "Junk after \"empty\" key word."));
        }
        return Ok(Range::empty(kind));
    }
    let lower_inc = match b.get(i) {
        Some(b'[') => true,
        Some(b'(') => false,
        _ => return Err(malformed(s, "Missing left parenthesis or bracket.")),
    };
    i += 1;
    let lower = parse_bound(s, &mut i)?;
    if b.get(i) != Some(&b',') {
        return Err(malformed(s, "Missing comma after lower bound."));
    }
    i += 1;
    let upper = parse_bound(s, &mut i)?;
    let upper_inc = match b.get(i) {
        Some(b']') => true,
        Some(b')') => false,
        _ => return Err(malformed(s, "Too many commas.")),
    };
    i += 1;
    skip_ws(&mut i);
    if i < b.len() {
        return Err(malformed(s, "Junk after right parenthesis or bracket."));
    }
    let value = |text: Option<String>| {
        text.map(|t| cast::parse_text(kind.subtype(), &t))
            .transpose()
    };
    make(
        kind,
        Bound {
            val: value(lower)?,
            inclusive: lower_inc,
            lower: true,
        },
        Bound {
            val: value(upper)?,
            inclusive: upper_inc,
            lower: false,
        },
        false,
    )
}

/// `range_parse_bound`: the text of one bound (`None`: infinite), `i` left on the `,`,
/// `)` or `]` after it.
fn parse_bound(s: &str, i: &mut usize) -> Result<Option<String>> {
    let b = s.as_bytes();
    if matches!(b.get(*i), Some(b',' | b')' | b']')) {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut inquote = false;
    loop {
        let Some(&ch) = b.get(*i) else {
            return Err(malformed(s, "Unexpected end of input."));
        };
        if !inquote && matches!(ch, b',' | b')' | b']') {
            break;
        }
        *i += 1;
        match ch {
            b'\\' => {
                let Some(&next) = b.get(*i) else {
                    return Err(malformed(s, "Unexpected end of input."));
                };
                out.push(next);
                *i += 1;
            }
            b'"' if !inquote => inquote = true,
            b'"' if b.get(*i) == Some(&b'"') => {
                out.push(b'"');
                *i += 1;
            }
            b'"' => inquote = false,
            _ => out.push(ch),
        }
    }
    // Only ASCII bytes were removed, so the text stays UTF-8.
    Ok(Some(String::from_utf8_lossy(&out).into_owned()))
}

/// `range_out`.
pub fn format(r: &Range) -> String {
    if r.empty {
        return "empty".into();
    }
    let mut out = String::new();
    out.push(if r.lower.inclusive { '[' } else { '(' });
    if let Some(v) = &r.lower.val {
        escape(&v.to_string(), &mut out);
    }
    out.push(',');
    if let Some(v) = &r.upper.val {
        escape(&v.to_string(), &mut out);
    }
    out.push(if r.upper.inclusive { ']' } else { ')' });
    out
}

/// `range_bound_escape`: quotes a bound that is empty or holds a special character.
fn escape(v: &str, out: &mut String) {
    let quote = v.is_empty()
        || v.chars().any(|c| {
            matches!(c, '"' | '\\' | '(' | ')' | '[' | ']' | ',') || c.is_ascii_whitespace()
        });
    if !quote {
        out.push_str(v);
        return;
    }
    out.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(kind: RangeKind, s: &str) -> String {
        match parse(kind, s) {
            Ok(r) => format(&r),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn input_and_canonical_output() {
        assert_eq!(show(RangeKind::Int4, "[1,5]"), "[1,6)");
        assert_eq!(show(RangeKind::Int4, "(1,5]"), "[2,6)");
        assert_eq!(show(RangeKind::Int4, "(1,2)"), "empty");
        assert_eq!(show(RangeKind::Int4, " EMPTY "), "empty");
        assert_eq!(show(RangeKind::Int4, "[,]"), "(,)");
        assert_eq!(show(RangeKind::Num, "( 1.5 , \"2\"]"), "(1.5,2]");
        assert!(show(RangeKind::Int4, "[5,1)").contains("lower bound must be"));
        assert!(show(RangeKind::Int4, "[1,2").contains("malformed range literal"));
    }

    #[test]
    fn order_puts_empty_first_and_unbounded_lower_first() {
        let r = |s| parse(RangeKind::Num, s).unwrap();
        let mut v = [r("[1,2)"), r("(1,2)"), r("empty"), r("(,0)"), r("[1,2]")];
        v.sort_by(cmp);
        let shown: Vec<String> = v.iter().map(format).collect();
        assert_eq!(shown, ["empty", "(,0)", "[1,2)", "[1,2]", "(1,2)"]);
    }
}
