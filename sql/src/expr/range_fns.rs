//! Range functions and operators ([`crate::types::range`]), as PostgreSQL's
//! `rangetypes.c`: the constructors `int4range(a, b [, flags])` and the others (not strict:
//! a NULL bound is infinite), `lower`, `upper`, `isempty`, `lower_inc`, `upper_inc`,
//! `lower_inf`, `upper_inf`, `range_merge`; the operators `@>` and `<@` (with a range or an
//! element of exactly the range's subtype, as PostgreSQL's polymorphic resolution),
//! `&&`, `<<`, `>>`, `&<`, `&>`, `-|-`, `+` (union; 22000 when not contiguous), `*`
//! (intersection) and `-` (difference; 22000 when not contiguous). An unknown literal
//! beside a range is a range of its type. Comparisons (`=`, `<`, ...) are the generic ones:
//! [`crate::Value`]'s order of ranges is `range_cmp`.

use std::cmp::Ordering;

use super::functions::{Function, Resolved, accepts};
use crate::types::range::{self, Bound, Range, RangeKind, cmp_bound_values, cmp_bounds};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// A range function or operator. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeFn {
    /// `int4range(a, b)` and the others; with `true`, the three-argument form.
    Construct(RangeKind, bool),
    Lower,
    Upper,
    IsEmpty,
    LowerInc,
    UpperInc,
    LowerInf,
    UpperInf,
    /// `range_merge`: the smallest range holding both.
    Merge,
    Contains,
    ContainsElem,
    ContainedBy,
    ElemContainedBy,
    Overlaps,
    Before,
    After,
    OverLeft,
    OverRight,
    Adjacent,
    Union,
    Intersect,
    Minus,
}

fn kind_of(t: DataType) -> Option<RangeKind> {
    match t {
        DataType::Range(k) => Some(k),
        _ => None,
    }
}

impl RangeFn {
    /// Resolves a function of this family (`None`: not one of its names or signatures).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use RangeFn::*;
        if let Some(kind) = RangeKind::from_name(name) {
            let (sub, text) = (kind.subtype(), DataType::Text);
            let (f, params) = match args.len() {
                2 if accepts(args, &[sub, sub]) => (Construct(kind, false), vec![sub, sub]),
                3 if accepts(args, &[sub, sub, text]) => {
                    (Construct(kind, true), vec![sub, sub, text])
                }
                _ => return None,
            };
            return Some(Ok(Resolved::new(
                Function::Range(f),
                params,
                DataType::Range(kind),
            )));
        }
        let b = DataType::Bool;
        let (f, ret) = match (name, args) {
            ("lower", [DataType::Range(k)]) => (Lower, k.subtype()),
            ("upper", [DataType::Range(k)]) => (Upper, k.subtype()),
            ("isempty", [DataType::Range(_)]) => (IsEmpty, b),
            ("lower_inc", [DataType::Range(_)]) => (LowerInc, b),
            ("upper_inc", [DataType::Range(_)]) => (UpperInc, b),
            ("lower_inf", [DataType::Range(_)]) => (LowerInf, b),
            ("upper_inf", [DataType::Range(_)]) => (UpperInf, b),
            // The multirange forms make an unknown literal ambiguous.
            (
                "isempty" | "lower_inc" | "upper_inc" | "lower_inf" | "upper_inf",
                [DataType::Unknown],
            ) => {
                return Some(Err(Error::AmbiguousFunction(format!(
                    "function {name}(unknown) is not unique"
                ))));
            }
            ("range_merge", [DataType::Unknown, DataType::Unknown]) => {
                return Some(Err(Error::DatatypeMismatch(
                    "could not determine polymorphic type because input has type unknown".into(),
                )));
            }
            ("range_merge", [l, r]) => {
                let t = pair(*l, *r)?;
                return Some(Ok(Resolved::new(Function::Range(Merge), vec![t, t], t)));
            }
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::Range(f), args.to_vec(), ret)))
    }

    /// The operators above, when an operand is a range (the other may be an unknown
    /// literal).
    pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
        use RangeFn::*;
        let kind = kind_of(l).or_else(|| kind_of(r))?;
        let b = DataType::Bool;
        let elem = |t: DataType| t.without_typmod() == kind.subtype();
        let (f, params, ret) = match sym {
            "@>" if kind_of(l).is_some() && !is_range_or_unknown(r) && elem(r) => {
                (ContainsElem, vec![l, kind.subtype()], b)
            }
            "<@" if kind_of(r).is_some() && !is_range_or_unknown(l) && elem(l) => {
                (ElemContainedBy, vec![kind.subtype(), r], b)
            }
            _ => {
                let t = pair(l, r)?;
                let f = match sym {
                    "@>" => Contains,
                    "<@" => ContainedBy,
                    "&&" => Overlaps,
                    "<<" => Before,
                    ">>" => After,
                    "&<" => OverLeft,
                    "&>" => OverRight,
                    "-|-" => Adjacent,
                    "+" => Union,
                    "*" => Intersect,
                    "-" => Minus,
                    _ => return None,
                };
                let ret = if matches!(f, Union | Intersect | Minus) {
                    t
                } else {
                    b
                };
                (f, vec![t, t], ret)
            }
        };
        Some(Ok(Resolved::new(Function::Range(f), params, ret)))
    }

    /// Whether a NULL argument makes the result NULL (the constructors take NULL bounds).
    pub fn is_strict(&self) -> bool {
        !matches!(self, RangeFn::Construct(..))
    }

    /// Calls the function.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use RangeFn::*;
        if let Construct(kind, with_flags) = *self {
            let mut it = args.into_iter();
            let (lo, hi) = (
                it.next().unwrap_or(Value::Null),
                it.next().unwrap_or(Value::Null),
            );
            let flags = match (with_flags, it.next()) {
                (false, _) => "[)".to_string(),
                (true, Some(Value::Text(s))) => s,
                (true, _) => {
                    return Err(Error::DataException(
                        "range constructor flags argument must not be null".into(),
                    ));
                }
            };
            return Ok(range_value(range::construct(kind, lo, hi, &flags)?));
        }
        let mut it = args.into_iter();
        if *self == ElemContainedBy {
            let v = it.next().unwrap_or(Value::Null);
            return Ok(Value::Bool(contains_elem(&take_range(it.next())?, &v)));
        }
        let a = take_range(it.next())?;
        let bound_val = |b: &Bound| b.val.clone().filter(|_| !a.empty).unwrap_or(Value::Null);
        let flag = |b: bool| Ok(Value::Bool(b));
        match self {
            Lower => return Ok(bound_val(&a.lower)),
            Upper => return Ok(bound_val(&a.upper)),
            IsEmpty => return flag(a.empty),
            LowerInc => return flag(!a.empty && a.lower.inclusive),
            UpperInc => return flag(!a.empty && a.upper.inclusive),
            LowerInf => return flag(!a.empty && a.lower.val.is_none()),
            UpperInf => return flag(!a.empty && a.upper.val.is_none()),
            _ => {}
        }
        if *self == ContainsElem {
            return flag(contains_elem(&a, &it.next().unwrap_or(Value::Null)));
        }
        let b = take_range(it.next())?;
        match self {
            Contains => flag(contains(&a, &b)),
            ContainedBy => flag(contains(&b, &a)),
            Overlaps => flag(overlaps(&a, &b)),
            Before => flag(!a.empty && !b.empty && cmp_bounds(&a.upper, &b.lower).is_lt()),
            After => flag(!a.empty && !b.empty && cmp_bounds(&a.lower, &b.upper).is_gt()),
            OverLeft => flag(!a.empty && !b.empty && cmp_bounds(&a.upper, &b.upper).is_le()),
            OverRight => flag(!a.empty && !b.empty && cmp_bounds(&a.lower, &b.lower).is_ge()),
            Adjacent => flag(adjacent(&a, &b)?),
            Union => union(a, b, true).map(range_value),
            Merge => union(a, b, false).map(range_value),
            Intersect => intersect(a, b).map(range_value),
            Minus => minus(a, b).map(range_value),
            _ => Err(Error::Internal(format!("range function {self:?}"))),
        }
    }
}

fn is_range_or_unknown(t: DataType) -> bool {
    matches!(t, DataType::Range(_) | DataType::Unknown)
}

/// The range type of two operands that are both that range type or unknown literals.
fn pair(l: DataType, r: DataType) -> Option<DataType> {
    match (l, r) {
        (DataType::Range(a), DataType::Range(b)) if a == b => Some(l),
        (DataType::Range(_), DataType::Unknown) => Some(l),
        (DataType::Unknown, DataType::Range(_)) => Some(r),
        _ => None,
    }
}

fn range_value(r: Range) -> Value {
    Value::Range(Box::new(r))
}

fn take_range(v: Option<Value>) -> Result<Range> {
    match v {
        Some(Value::Range(r)) => Ok(*r),
        other => Err(Error::Internal(format!(
            "range argument expected: {other:?}"
        ))),
    }
}

/// `range_contains_elem_internal`.
fn contains_elem(r: &Range, v: &Value) -> bool {
    if r.empty {
        return false;
    }
    if let Some(lo) = &r.lower.val {
        match lo.cmp(v) {
            Ordering::Greater => return false,
            Ordering::Equal if !r.lower.inclusive => return false,
            _ => {}
        }
    }
    if let Some(hi) = &r.upper.val {
        match hi.cmp(v) {
            Ordering::Less => return false,
            Ordering::Equal if !r.upper.inclusive => return false,
            _ => {}
        }
    }
    true
}

/// `range_contains_internal`.
fn contains(a: &Range, b: &Range) -> bool {
    if b.empty {
        return true;
    }
    if a.empty {
        return false;
    }
    cmp_bounds(&a.lower, &b.lower).is_le() && cmp_bounds(&a.upper, &b.upper).is_ge()
}

/// `range_overlaps_internal`.
fn overlaps(a: &Range, b: &Range) -> bool {
    if a.empty || b.empty {
        return false;
    }
    (cmp_bounds(&a.lower, &b.lower).is_ge() && cmp_bounds(&a.lower, &b.upper).is_le())
        || (cmp_bounds(&b.lower, &a.lower).is_ge() && cmp_bounds(&b.lower, &a.upper).is_le())
}

/// `bounds_adjacent`: whether upper bound `a` and lower bound `b` touch with no point
/// between them.
fn bounds_adjacent(kind: RangeKind, a: &Bound, b: &Bound) -> Result<bool> {
    match cmp_bound_values(a, b) {
        Ordering::Less if kind.discrete() => {
            // A range from just after `a` to just before `b` is empty.
            let lower = Bound {
                inclusive: !a.inclusive,
                lower: true,
                ..a.clone()
            };
            let upper = Bound {
                inclusive: !b.inclusive,
                lower: false,
                ..b.clone()
            };
            Ok(range::make(kind, lower, upper, false)?.empty)
        }
        Ordering::Less => Ok(false),
        Ordering::Equal => Ok(a.inclusive != b.inclusive),
        Ordering::Greater => Ok(false),
    }
}

/// `range_adjacent_internal`.
fn adjacent(a: &Range, b: &Range) -> Result<bool> {
    if a.empty || b.empty {
        return Ok(false);
    }
    Ok(
        bounds_adjacent(a.kind, &a.upper, &b.lower)?
            || bounds_adjacent(a.kind, &b.upper, &a.lower)?,
    )
}

/// `range_union_internal`; `strict` refuses a gap (`+`), `range_merge` fills it.
fn union(a: Range, b: Range, strict: bool) -> Result<Range> {
    if a.empty {
        return Ok(b);
    }
    if b.empty {
        return Ok(a);
    }
    if strict && !overlaps(&a, &b) && !adjacent(&a, &b)? {
        return Err(Error::DataException(
            "result of range union would not be contiguous".into(),
        ));
    }
    let lower = if cmp_bounds(&a.lower, &b.lower).is_lt() {
        a.lower
    } else {
        b.lower
    };
    let upper = if cmp_bounds(&a.upper, &b.upper).is_gt() {
        a.upper
    } else {
        b.upper
    };
    range::make(a.kind, lower, upper, false)
}

/// `range_intersect_internal`.
fn intersect(a: Range, b: Range) -> Result<Range> {
    if !overlaps(&a, &b) {
        return Ok(Range::empty(a.kind));
    }
    let lower = if cmp_bounds(&a.lower, &b.lower).is_ge() {
        a.lower
    } else {
        b.lower
    };
    let upper = if cmp_bounds(&a.upper, &b.upper).is_le() {
        a.upper
    } else {
        b.upper
    };
    range::make(a.kind, lower, upper, false)
}

/// `range_minus_internal`.
fn minus(a: Range, b: Range) -> Result<Range> {
    if a.empty || b.empty {
        return Ok(a);
    }
    let l1l2 = cmp_bounds(&a.lower, &b.lower);
    let l1u2 = cmp_bounds(&a.lower, &b.upper);
    let u1l2 = cmp_bounds(&a.upper, &b.lower);
    let u1u2 = cmp_bounds(&a.upper, &b.upper);
    if l1l2.is_lt() && u1u2.is_gt() {
        return Err(Error::DataException(
            "result of range difference would not be contiguous".into(),
        ));
    }
    if l1u2.is_gt() || u1l2.is_lt() {
        return Ok(a);
    }
    if l1l2.is_ge() && u1u2.is_le() {
        return Ok(Range::empty(a.kind));
    }
    if l1l2.is_le() && u1l2.is_ge() && u1u2.is_le() {
        let upper = Bound {
            inclusive: !b.lower.inclusive,
            lower: false,
            ..b.lower
        };
        return range::make(a.kind, a.lower, upper, false);
    }
    if l1l2.is_ge() && u1u2.is_ge() && l1u2.is_le() {
        let lower = Bound {
            inclusive: !b.upper.inclusive,
            lower: true,
            ..b.upper
        };
        return range::make(a.kind, lower, a.upper, false);
    }
    Err(Error::Internal("unexpected case in range_minus".into()))
}
