//! Aggregate state, shared by `Aggregate` (one per group and call) and `Window` (one per
//! frame): [`Accumulator`] is a function's running value; [`CallState`] wraps it with what
//! the call adds — DISTINCT (a set of the argument tuples seen) and ORDER BY inside the
//! call (rows buffered with their sort keys and fed in order at the end).
//!
//! NULL arguments are skipped by every function but `count(*)`. Float sums, averages and
//! variances follow PostgreSQL's `float8_accum` (Youngs–Cramer: N, Sx, Sxx), so results
//! match PostgreSQL's to the last digit.

use super::sort::compare_values;
use crate::planner::{AggCall, AggFunc, OrderKey, RegrFunc};
use crate::types::DataType;
use crate::types::cast::int_out_of_range;
use crate::{Error, Result, Value};
use std::collections::BTreeSet;

/// A percentile's direct argument: one fraction, or an array of them (NULL elements give
/// NULL results).
#[derive(Debug, Clone)]
pub enum Fraction {
    One(f64),
    Many(Vec<Option<f64>>),
}

/// The running value of one aggregate function.
#[derive(Debug, Clone)]
pub enum Accumulator {
    Count(i64),
    SumInt(Option<i64>),
    SumFloat(Option<f64>),
    /// `(N, Sx, Sxx)` of PostgreSQL's float8_accum, for avg / variance / stddev.
    Moments(AggFunc, f64, f64, f64),
    /// Exact `(N, Sx, Sxx)` for the variance and standard deviation of integers and
    /// numeric (PostgreSQL's numeric / int128 accumulators); `special` is NaN or an infinity
    /// seen among the inputs.
    NumericMoments {
        func: AggFunc,
        n: i64,
        sx: bigdecimal::BigDecimal,
        sxx: bigdecimal::BigDecimal,
        special: bool,
    },
    Extreme {
        value: Option<Value>,
        max: bool,
    },
    StringAgg(Option<String>),
    Bool {
        value: Option<bool>,
        and: bool,
    },
    /// Exact sums (numeric, interval) and the count of inputs, for `sum` and `avg`.
    Exact {
        func: AggFunc,
        sum: Option<Value>,
        count: i64,
    },
    /// `array_agg`: every input, NULLs included.
    Items(Vec<Value>),
    /// `array_agg` of arrays: the sub-arrays of the result.
    SubArrays(Vec<Value>),
    /// `jsonb_agg`'s elements.
    JsonbItems(Vec<crate::types::Jsonb>),
    /// `jsonb_object_agg`'s pairs, in input order.
    JsonbPairs(Vec<(String, crate::types::Jsonb)>),
    /// `json_object_agg`'s `"key" : value` members, as json text.
    JsonMembers(Vec<String>),
    /// `json_agg`'s elements, as json text, and their separator.
    JsonItems(Vec<String>, &'static str),
    /// `corr`, `covar_*`, `regr_*`: PostgreSQL's `[N, Sx, Sxx, Sy, Syy, Sxy]`.
    Regr(RegrFunc, [f64; 6]),
    /// `bit_and` / `bit_or` / `bit_xor`.
    Bits {
        func: AggFunc,
        value: Option<i64>,
    },
    /// The ordered-set aggregates: the non-NULL values in the call's ORDER BY order and
    /// the fraction (a direct argument: `None` when NULL, or for `mode`).
    Ordered {
        func: AggFunc,
        items: Vec<Value>,
        fraction: Option<Fraction>,
    },
    /// The hypothetical-set aggregates.
    Hypothetical(Box<super::hypothetical::Hypothetical>),
}

impl Accumulator {
    pub fn new(func: AggFunc) -> Accumulator {
        match func {
            // GROUPING is computed by `Aggregate` from the grouping set, never fed.
            AggFunc::CountStar | AggFunc::Count | AggFunc::Grouping => Accumulator::Count(0),
            AggFunc::SumInt => Accumulator::SumInt(None),
            AggFunc::SumFloat => Accumulator::SumFloat(None),
            AggFunc::Avg | AggFunc::Variance { .. } | AggFunc::Stddev { .. } => {
                Accumulator::Moments(func, 0.0, 0.0, 0.0)
            }
            AggFunc::VarianceNumeric { .. } | AggFunc::StddevNumeric { .. } => {
                Accumulator::NumericMoments {
                    func,
                    n: 0,
                    sx: bigdecimal::BigDecimal::from(0),
                    sxx: bigdecimal::BigDecimal::from(0),
                    special: false,
                }
            }
            AggFunc::Min | AggFunc::Max => Accumulator::Extreme {
                value: None,
                max: func == AggFunc::Max,
            },
            AggFunc::StringAgg => Accumulator::StringAgg(None),
            AggFunc::BoolAnd | AggFunc::BoolOr => Accumulator::Bool {
                value: None,
                and: func == AggFunc::BoolAnd,
            },
            AggFunc::SumNumeric
            | AggFunc::SumInterval
            | AggFunc::AvgNumeric
            | AggFunc::AvgInterval => Accumulator::Exact {
                func,
                sum: None,
                count: 0,
            },
            AggFunc::ArrayAgg => Accumulator::Items(Vec::new()),
            AggFunc::ArrayAggArrays => Accumulator::SubArrays(Vec::new()),
            AggFunc::JsonbAgg => Accumulator::JsonbItems(Vec::new()),
            AggFunc::JsonbObjectAgg => Accumulator::JsonbPairs(Vec::new()),
            AggFunc::JsonObjectAgg => Accumulator::JsonMembers(Vec::new()),
            AggFunc::JsonAgg => Accumulator::JsonItems(Vec::new(), ", "),
            AggFunc::JsonAggRows => Accumulator::JsonItems(Vec::new(), ", \n "),
            AggFunc::Regr(f) => Accumulator::Regr(f, [0.0; 6]),
            AggFunc::BitAnd | AggFunc::BitOr | AggFunc::BitXor => {
                Accumulator::Bits { func, value: None }
            }
            AggFunc::Hypothetical {
                func,
                desc,
                nulls_first,
            } => Accumulator::Hypothetical(Box::new(super::hypothetical::Hypothetical::new(
                func,
                desc,
                nulls_first,
            ))),
            AggFunc::PercentileCont | AggFunc::PercentileDisc | AggFunc::Mode => {
                Accumulator::Ordered {
                    func,
                    items: Vec::new(),
                    fraction: None,
                }
            }
        }
    }

    /// Feeds one row's argument values (`args` is empty for `count(*)`).
    pub fn add(&mut self, args: &[Value]) -> Result<()> {
        if let Accumulator::Hypothetical(h) = self {
            h.add(args);
            return Ok(());
        }
        let Some(v) = args.first() else {
            if let Accumulator::Count(n) = self {
                *n += 1;
            }
            return Ok(());
        };
        if let Accumulator::Ordered {
            func,
            items,
            fraction,
        } = self
        {
            if *func != AggFunc::Mode {
                *fraction = match args.get(1) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(a)) => Some(Fraction::Many(
                        a.items
                            .iter()
                            .map(|p| match p {
                                Value::Null => Ok(None),
                                p => percentile(float_arg(p)?).map(Some),
                            })
                            .collect::<Result<_>>()?,
                    )),
                    Some(p) => Some(Fraction::One(percentile(float_arg(p)?)?)),
                };
            }
            if !v.is_null() {
                items.push(v.clone());
            }
            return Ok(());
        }
        if let Accumulator::NumericMoments {
            n,
            sx,
            sxx,
            special,
            ..
        } = self
        {
            match v {
                Value::Null => {}
                Value::Numeric(x) => match x.as_ref() {
                    crate::types::Numeric::Finite(d) => {
                        *n += 1;
                        *sxx += d * d;
                        *sx += d;
                    }
                    _ => {
                        *n += 1;
                        *special = true;
                    }
                },
                Value::Int(i) => {
                    let d = bigdecimal::BigDecimal::from(*i);
                    *n += 1;
                    *sxx += &d * &d;
                    *sx += d;
                }
                _ => {}
            }
            return Ok(());
        }
        if let Accumulator::Regr(_, state) = self {
            if let (Some(y), Some(x)) = (v.as_f64(), args.get(1).and_then(Value::as_f64)) {
                regr_accum(state, y, x);
            }
            return Ok(());
        }
        if let Accumulator::Items(items) = self {
            items.push(v.clone());
            return Ok(());
        }
        if let Accumulator::SubArrays(items) = self {
            // Sub-arrays must agree in shape (they become one more dimension).
            crate::expr::array_fns::check_stackable(items.first(), v)?;
            items.push(v.clone());
            return Ok(());
        }
        use crate::types::jsonb_edit;
        if let Accumulator::JsonbItems(items) = self {
            items.push(jsonb_edit::from_value(v)?);
            return Ok(());
        }
        if let Accumulator::JsonItems(items, _) = self {
            items.push(jsonb_edit::json_text(v)?);
            return Ok(());
        }
        if let Accumulator::JsonMembers(members) = self {
            if v.is_null() {
                return Err(Error::InvalidParameterValue(
                    "field name must not be null".into(),
                ));
            }
            let key = jsonb_edit::json_text(&Value::Text(jsonb_edit::key_text(v, 1)?))?;
            let value = jsonb_edit::json_text(args.get(1).unwrap_or(&Value::Null))?;
            members.push(format!("{key} : {value}"));
            return Ok(());
        }
        if let Accumulator::JsonbPairs(pairs) = self {
            if v.is_null() {
                return Err(Error::InvalidParameterValue(
                    "field name must not be null".into(),
                ));
            }
            let value = args.get(1).unwrap_or(&Value::Null);
            pairs.push((jsonb_edit::key_text(v, 1)?, jsonb_edit::from_value(value)?));
            return Ok(());
        }
        if v.is_null() {
            return Ok(());
        }
        match self {
            Accumulator::Exact { sum, count, .. } => {
                *count += 1;
                *sum = Some(match (sum.take(), v) {
                    (None, v) => v.clone(),
                    (Some(Value::Numeric(s)), Value::Numeric(n)) => Value::numeric(s.add(n)?),
                    (Some(Value::Interval(s)), Value::Interval(i)) => {
                        Value::Interval(s.checked_add(i)?)
                    }
                    (s, v) => {
                        return Err(Error::Internal(format!("exact sum of {s:?} and {v:?}")));
                    }
                });
            }
            Accumulator::Items(_)
            | Accumulator::SubArrays(_)
            | Accumulator::JsonbItems(_)
            | Accumulator::JsonbPairs(_)
            | Accumulator::Ordered { .. }
            | Accumulator::Hypothetical(_)
            | Accumulator::Regr(..)
            | Accumulator::JsonItems(..) => {}
            Accumulator::Count(n) => *n += 1,
            Accumulator::Bits { func, value } => {
                let i = int_arg(v)?;
                *value = Some(match (*value, func) {
                    (None, _) => i,
                    (Some(b), AggFunc::BitAnd) => b & i,
                    (Some(b), AggFunc::BitOr) => b | i,
                    (Some(b), _) => b ^ i,
                });
            }
            Accumulator::SumInt(s) => {
                let i = int_arg(v)?;
                *s = Some(
                    s.unwrap_or(0)
                        .checked_add(i)
                        .ok_or_else(|| int_out_of_range(DataType::Int8))?,
                );
            }
            Accumulator::SumFloat(s) => *s = Some(s.unwrap_or(0.0) + float_arg(v)?),
            // Fed above, before the NULL check.
            Accumulator::NumericMoments { .. } | Accumulator::JsonMembers(_) => {}
            Accumulator::Moments(_, n, sx, sxx) => {
                let x = float_arg(v)?;
                let old_n = *n;
                *n += 1.0;
                *sx += x;
                if old_n > 0.0 {
                    let tmp = x * *n - *sx;
                    *sxx += tmp * tmp / (*n * old_n);
                    if sx.is_infinite() || sxx.is_infinite() {
                        *sxx = f64::NAN;
                    }
                } else if x.is_nan() || x.is_infinite() {
                    *sxx = f64::NAN;
                }
            }
            Accumulator::Extreme { value, max } => {
                let better = match value {
                    None => true,
                    Some(cur) => (v > cur) == *max && v != cur,
                };
                if better {
                    *value = Some(v.clone());
                }
            }
            Accumulator::StringAgg(acc) => {
                let Value::Text(s) = v else {
                    return Err(Error::Internal(format!("string_agg of {v:?}")));
                };
                match acc {
                    None => *acc = Some(s.clone()),
                    Some(a) => {
                        if let Some(Value::Text(d)) = args.get(1) {
                            a.push_str(d);
                        }
                        a.push_str(s);
                    }
                }
            }
            Accumulator::Bool { value, and } => {
                let Value::Bool(b) = v else {
                    return Err(Error::Internal(format!("bool aggregate of {v:?}")));
                };
                *value = Some(match value {
                    None => *b,
                    Some(cur) if *and => *cur && *b,
                    Some(cur) => *cur || *b,
                });
            }
        }
        Ok(())
    }

    /// The aggregate's value over the rows fed so far.
    pub fn finish(&self) -> Value {
        match self {
            Accumulator::Count(n) => Value::Int(*n),
            Accumulator::SumInt(s) => s.map_or(Value::Null, Value::Int),
            Accumulator::Bits { value, .. } => value.map_or(Value::Null, Value::Int),
            Accumulator::Regr(f, state) => regr_final(*f, state),
            Accumulator::SumFloat(s) => s.map_or(Value::Null, Value::Float),
            Accumulator::Moments(func, n, sx, sxx) => {
                let (n, sx, sxx) = (*n, *sx, *sxx);
                let var = |pop: bool| {
                    let d = if pop { n } else { n - 1.0 };
                    if d <= 0.0 || n == 0.0 {
                        None
                    } else {
                        Some(sxx / d)
                    }
                };
                let r = match func {
                    AggFunc::Avg => (n > 0.0).then(|| sx / n),
                    AggFunc::Variance { pop } => var(*pop),
                    AggFunc::Stddev { pop } => var(*pop).map(f64::sqrt),
                    _ => None,
                };
                r.map_or(Value::Null, Value::Float)
            }
            Accumulator::NumericMoments {
                func,
                n,
                sx,
                sxx,
                special,
            } => {
                let (pop, root) = match func {
                    AggFunc::VarianceNumeric { pop } => (*pop, false),
                    AggFunc::StddevNumeric { pop } => (*pop, true),
                    _ => return Value::Null,
                };
                if *n == 0 || (!pop && *n == 1) {
                    Value::Null
                } else if *special {
                    Value::numeric(crate::types::Numeric::NaN)
                } else {
                    crate::types::numeric_math::variance(*n, sx, sxx, pop, root)
                        .map_or(Value::Null, |d| {
                            Value::numeric(crate::types::Numeric::Finite(d))
                        })
                }
            }
            Accumulator::Extreme { value, .. } => value.clone().unwrap_or(Value::Null),
            Accumulator::StringAgg(s) => s.clone().map_or(Value::Null, Value::Text),
            Accumulator::Bool { value, .. } => value.map_or(Value::Null, Value::Bool),
            Accumulator::Exact { func, sum, count } => match (func, sum) {
                (_, None) => Value::Null,
                (AggFunc::AvgNumeric, Some(Value::Numeric(s))) => s
                    .div(&crate::types::Numeric::from_i64(*count))
                    .map_or(Value::Null, Value::numeric),
                (AggFunc::AvgInterval, Some(Value::Interval(s))) => {
                    s.div(*count as f64).map_or(Value::Null, Value::Interval)
                }
                (_, Some(s)) => s.clone(),
            },
            Accumulator::JsonbItems(items) if items.is_empty() => Value::Null,
            Accumulator::JsonbItems(items) => {
                Value::Jsonb(Box::new(crate::types::Jsonb::Array(items.clone())))
            }
            Accumulator::JsonItems(items, _) if items.is_empty() => Value::Null,
            Accumulator::JsonItems(items, sep) => Value::Json(format!("[{}]", items.join(sep))),
            Accumulator::JsonMembers(m) if m.is_empty() => Value::Null,
            Accumulator::JsonMembers(m) => Value::Json(format!("{{ {} }}", m.join(", "))),
            Accumulator::JsonbPairs(pairs) if pairs.is_empty() => Value::Null,
            Accumulator::JsonbPairs(pairs) => {
                Value::Jsonb(Box::new(crate::types::Jsonb::object(pairs.clone())))
            }
            Accumulator::Ordered {
                func,
                items,
                fraction,
            } => ordered_set_final(*func, items, fraction.clone()),
            Accumulator::Hypothetical(h) => h.finish(),
            Accumulator::Items(items) | Accumulator::SubArrays(items) if items.is_empty() => {
                Value::Null
            }
            Accumulator::Items(items) => {
                crate::expr::array_fns::construct(items.clone(), false).unwrap_or(Value::Null)
            }
            Accumulator::SubArrays(items) => {
                crate::expr::array_fns::construct(items.clone(), true).unwrap_or(Value::Null)
            }
        }
    }
}

/// PostgreSQL's `float8_regr_accum` (Youngs–Cramer) for one `(y, x)` pair.
fn regr_accum(s: &mut [f64; 6], y: f64, x: f64) {
    let [n, sx, sxx, sy, syy, sxy] = s;
    let old_n = *n;
    *n += 1.0;
    *sx += x;
    *sy += y;
    if old_n > 0.0 {
        let tmp_x = x * *n - *sx;
        let tmp_y = y * *n - *sy;
        let scale = 1.0 / (*n * old_n);
        *sxx += tmp_x * tmp_x * scale;
        *syy += tmp_y * tmp_y * scale;
        *sxy += tmp_x * tmp_y * scale;
    } else {
        if !x.is_finite() {
            *sxx = f64::NAN;
            *sxy = f64::NAN;
        }
        if !y.is_finite() {
            *syy = f64::NAN;
            *sxy = f64::NAN;
        }
    }
}

/// The final functions of PostgreSQL's two-argument statistics aggregates.
fn regr_final(f: RegrFunc, s: &[f64; 6]) -> Value {
    let [n, sx, sxx, sy, syy, sxy] = *s;
    if f == RegrFunc::Count {
        return Value::Int(n as i64);
    }
    let r = match f {
        _ if n < 1.0 => None,
        RegrFunc::CovarSamp if n < 2.0 => None,
        RegrFunc::CovarSamp => Some(sxy / (n - 1.0)),
        RegrFunc::CovarPop => Some(sxy / n),
        RegrFunc::AvgX => Some(sx / n),
        RegrFunc::AvgY => Some(sy / n),
        RegrFunc::Sxx => Some(sxx),
        RegrFunc::Syy => Some(syy),
        RegrFunc::Sxy => Some(sxy),
        RegrFunc::Corr if sxx <= 0.0 || syy <= 0.0 => None,
        RegrFunc::Corr => Some(sxy / (sxx * syy).sqrt()),
        RegrFunc::Slope | RegrFunc::Intercept | RegrFunc::R2 if sxx <= 0.0 => None,
        RegrFunc::R2 if syy <= 0.0 => Some(1.0),
        RegrFunc::R2 => Some((sxy * sxy) / (sxx * syy)),
        RegrFunc::Slope => Some(sxy / sxx),
        RegrFunc::Intercept => Some((sy - sx * sxy / sxx) / n),
        RegrFunc::Count => None,
    };
    r.map_or(Value::Null, Value::Float)
}

/// A percentile's fraction, checked as PostgreSQL checks it (22003 outside [0, 1]).
fn percentile(p: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::NumericValueOutOfRange(format!(
            "percentile value {p} is not between 0 and 1"
        )));
    }
    Ok(p)
}

/// The value of an ordered-set aggregate over its sorted values, as PostgreSQL's final
/// functions compute it (`percentile_cont` interpolates `lo + (hi - lo) * proportion`).
fn ordered_set_final(func: AggFunc, items: &[Value], fraction: Option<Fraction>) -> Value {
    if items.is_empty() {
        return Value::Null;
    }
    if func == AggFunc::Mode {
        // The longest run of equal values; the first one on ties.
        let (mut best, mut best_len) = (0, 0);
        let mut start = 0;
        for i in 1..=items.len() {
            if i == items.len() || items[i] != items[start] {
                if i - start > best_len {
                    (best, best_len) = (start, i - start);
                }
                start = i;
            }
        }
        return items[best].clone();
    }
    match fraction {
        None => Value::Null,
        Some(Fraction::One(p)) => percentile_of(func, items, p),
        Some(Fraction::Many(ps)) => {
            let values = ps
                .into_iter()
                .map(|p| p.map_or(Value::Null, |p| percentile_of(func, items, p)))
                .collect();
            Value::Array(Box::new(crate::types::Array::from_items(values)))
        }
    }
}

/// One percentile of the sorted, non-empty `items`.
fn percentile_of(func: AggFunc, items: &[Value], p: f64) -> Value {
    let n = items.len();
    if func == AggFunc::PercentileDisc {
        let row = (p * n as f64).ceil() as usize;
        return items[row.clamp(1, n) - 1].clone();
    }
    let pos = p * (n - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let value = |i: usize| items.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
    if lo == hi {
        return Value::Float(value(lo));
    }
    let (first, second) = (value(lo), value(hi));
    Value::Float(first + (second - first) * (pos - lo as f64))
}

fn int_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(Error::Internal(format!("integer aggregate of {other:?}"))),
    }
}

fn float_arg(v: &Value) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| Error::Internal(format!("float aggregate of {v:?}")))
}

/// One aggregate call's state: the accumulator plus DISTINCT and ORDER BY handling.
#[derive(Debug, Clone)]
pub struct CallState {
    func: AggFunc,
    acc: Accumulator,
    /// Argument tuples seen (DISTINCT without ORDER BY).
    seen: Option<BTreeSet<Vec<Value>>>,
    /// Rows buffered as `(sort keys, arguments)` (ORDER BY inside the call).
    buffered: Option<Vec<(Vec<Value>, Vec<Value>)>>,
}

impl CallState {
    pub fn new(call: &AggCall) -> CallState {
        // `array_agg(DISTINCT x)` sorts its input, as PostgreSQL's sort-based DISTINCT does.
        let ordered = !call.order_by.is_empty()
            || (call.distinct && matches!(call.func, AggFunc::ArrayAgg | AggFunc::ArrayAggArrays));
        CallState {
            func: call.func,
            acc: Accumulator::new(call.func),
            seen: (call.distinct && !ordered).then(BTreeSet::new),
            buffered: ordered.then(Vec::new),
        }
    }

    /// Feeds one row: its argument values and its ORDER BY key values.
    pub fn add(&mut self, args: &[Value], keys: Vec<Value>) -> Result<()> {
        if let Some(b) = &mut self.buffered {
            b.push((keys, args.to_vec()));
            return Ok(());
        }
        let null = skips_nulls(self.func) && args.iter().any(Value::is_null);
        if let Some(seen) = &mut self.seen
            && (null || !seen.insert(args.to_vec()))
        {
            return Ok(());
        }
        self.acc.add(args)
    }

    /// The call's value (sorting buffered rows first).
    pub fn finish(&self, call: &AggCall) -> Result<Value> {
        let Some(rows) = &self.buffered else {
            return Ok(self.acc.finish());
        };
        let mut rows: Vec<&(Vec<Value>, Vec<Value>)> = rows.iter().collect();
        if call.order_by.is_empty() {
            rows.sort_by(|a, b| a.1.cmp(&b.1));
        } else {
            rows.sort_by(|a, b| compare_keys(&call.order_by, &a.0, &b.0));
        }
        let mut acc = Accumulator::new(call.func);
        let mut seen = BTreeSet::new();
        for (_, args) in rows {
            let null = skips_nulls(call.func) && args.iter().any(Value::is_null);
            if call.distinct && (null || !seen.insert(args.clone())) {
                continue;
            }
            acc.add(args)?;
        }
        Ok(acc.finish())
    }
}

/// Whether NULL inputs are ignored (all aggregates but `array_agg` and the jsonb ones).
fn skips_nulls(func: AggFunc) -> bool {
    !matches!(
        func,
        AggFunc::ArrayAgg
            | AggFunc::ArrayAggArrays
            | AggFunc::JsonbAgg
            | AggFunc::JsonbObjectAgg
            | AggFunc::JsonAgg
            | AggFunc::JsonAggRows
    )
}

/// Compares two rows of key values by ORDER BY keys.
pub fn compare_keys(keys: &[OrderKey], a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    for (k, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let ord = compare_values(x, y, k.desc, k.nulls_first);
        if ord.is_ne() {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(func: AggFunc, values: &[f64]) -> Value {
        let mut acc = Accumulator::new(func);
        for v in values {
            acc.add(&[Value::Float(*v)]).unwrap();
        }
        acc.finish()
    }

    #[test]
    fn variance_follows_youngs_cramer() {
        assert_eq!(
            run(AggFunc::Variance { pop: false }, &[1.0, 2.0, 3.0, 4.0]),
            Value::Float(1.6666666666666667)
        );
        assert_eq!(
            run(
                AggFunc::Stddev { pop: true },
                &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
            ),
            Value::Float(2.0)
        );
        assert_eq!(run(AggFunc::Variance { pop: false }, &[1.0]), Value::Null);
        assert_eq!(
            run(AggFunc::Variance { pop: true }, &[1.0]),
            Value::Float(0.0)
        );
        assert_eq!(run(AggFunc::Avg, &[]), Value::Null);
    }

    #[test]
    fn string_agg_puts_each_rows_delimiter_before_it() {
        let mut acc = Accumulator::new(AggFunc::StringAgg);
        for (v, d) in [("a", ","), ("b", ";"), ("c", "-")] {
            acc.add(&[Value::Text(v.into()), Value::Text(d.into())])
                .unwrap();
        }
        assert_eq!(acc.finish(), Value::Text("a;b-c".into()));
    }
}
