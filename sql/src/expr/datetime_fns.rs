//! Date/time functions and operators.
//!
//! Operators: `date ± integer`, `date - date`, `date ± interval`, `date + time`,
//! `timestamp[tz] ± interval`, `timestamp[tz] - timestamp[tz]`, `time ± interval`,
//! `time - time`, `interval ± interval`, `interval * / float8`.
//!
//! Functions: `now()`/`current_timestamp`/`transaction_timestamp()` (the transaction's start),
//! `statement_timestamp()`, `clock_timestamp()`, `current_date`, `localtimestamp`,
//! `localtime`, `date_trunc`, `date_bin`, `date_part`, `EXTRACT`, `age`, `make_date`, `make_time`,
//! `make_timestamp`, `make_timestamptz`, `make_interval`, `to_timestamp(float8)`,
//! `justify_days`/`_hours`/`_interval`, `isfinite`, `timezone()` / `AT TIME ZONE`, and
//! `to_char` ([`super::to_char`]).
//!
//! Overloads resolve with [`super::resolve::choose`]; timestamptz work happens in the
//! session's `TimeZone` ([`crate::env`]).

use super::fn_args::{int, text};
use super::functions::{Function, Resolved};
use super::resolve::{Candidate, Target, choose};
use crate::env;
use crate::types::datetime::{
    self, Fields, Interval, USECS_PER_DAY, USECS_PER_SEC, arith, is_finite_date, is_finite_ts, zone,
};
use crate::types::{DataType, Numeric, Value};
use crate::{Error, Result};

/// Which kind of date/time value a function works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    Time,
    TimeTz,
    Timestamp,
    Timestamptz,
    Interval,
}

/// A date/time function or operator. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeFn {
    DatePlusDays,
    DaysPlusDate,
    DateMinusDays,
    DateDiff,
    DatePlusTime,
    TimePlusDate,
    /// date + timetz, timetz + date, `timestamptz(date, timetz)` (→ timestamptz)
    DatePlusTimeTz,
    TimeTzPlusDate,
    /// `timestamptz(date, time)`: the local time in the session's zone
    DateTimeInZone,
    /// timestamp[tz] + interval (`true`: timestamptz)
    PlusInterval(Kind),
    IntervalPlus(Kind),
    MinusInterval(Kind),
    /// timestamp - timestamp, timestamptz - timestamptz, time - time
    Diff(Kind),
    IntervalMul,
    FloatMulInterval,
    IntervalDiv,
    Now,
    StatementTimestamp,
    ClockTimestamp,
    CurrentDate,
    LocalTimestamp,
    LocalTime,
    /// `current_time`: the transaction's start as `timetz` in the session's zone.
    CurrentTime,
    DateTrunc(Kind),
    DateTruncZone,
    /// `date_bin(stride, source, origin)` on timestamps or timestamptzs.
    DateBin(Kind),
    DatePart(Kind),
    Extract(Kind),
    Age(Kind),
    AgeFromToday(Kind),
    MakeDate,
    MakeTime,
    MakeTimestamp,
    MakeTimestamptz,
    MakeTimestamptzZone,
    MakeInterval,
    ToTimestamp,
    /// `to_date(text, template)`
    ToDate,
    /// `to_timestamp(text, template)`
    ToTimestampText,
    JustifyDays,
    JustifyHours,
    JustifyInterval,
    IsFinite(Kind),
    /// `timezone(zone, x)` / `x AT TIME ZONE zone` on a timestamp (→ timestamptz) or a
    /// timestamptz (→ timestamp).
    AtTimeZone(Kind),
    ToChar(Kind),
    ToCharNumber(DataType),
    /// A cast's interval qualifier: the fields (`interval_decode::Range`) and seconds
    /// precision it truncates and rounds to.
    AdjustInterval(u32, Option<u32>),
}

use DataType as T;

const TS: T = T::Timestamp(None);
const TZ: T = T::Timestamptz(None);
const TIME: T = T::Time(None);
const TIMETZ: T = T::TimeTz(None);

fn cand(params: &[T], ret: T, f: DateTimeFn) -> Candidate<DateTimeFn> {
    Candidate::new(params, ret, f)
}

/// The operators' signatures.
fn operator_candidates(sym: &str) -> Vec<Candidate<DateTimeFn>> {
    use DateTimeFn::*;
    use Kind as K;
    match sym {
        "+" => vec![
            cand(&[T::Date, T::Int4], T::Date, DatePlusDays),
            cand(&[T::Int4, T::Date], T::Date, DaysPlusDate),
            cand(&[T::Date, T::Interval], TS, PlusInterval(K::Date)),
            cand(&[T::Interval, T::Date], TS, IntervalPlus(K::Date)),
            cand(&[T::Date, TIME], TS, DatePlusTime),
            cand(&[TIME, T::Date], TS, TimePlusDate),
            cand(&[T::Date, TIMETZ], TZ, DatePlusTimeTz),
            cand(&[TIMETZ, T::Date], TZ, TimeTzPlusDate),
            cand(&[TS, T::Interval], TS, PlusInterval(K::Timestamp)),
            cand(&[T::Interval, TS], TS, IntervalPlus(K::Timestamp)),
            cand(&[TZ, T::Interval], TZ, PlusInterval(K::Timestamptz)),
            cand(&[T::Interval, TZ], TZ, IntervalPlus(K::Timestamptz)),
            cand(&[TIME, T::Interval], TIME, PlusInterval(K::Time)),
            cand(&[T::Interval, TIME], TIME, IntervalPlus(K::Time)),
            cand(&[TIMETZ, T::Interval], TIMETZ, PlusInterval(K::TimeTz)),
            cand(&[T::Interval, TIMETZ], TIMETZ, IntervalPlus(K::TimeTz)),
            cand(
                &[T::Interval, T::Interval],
                T::Interval,
                PlusInterval(K::Interval),
            ),
        ],
        "-" => vec![
            cand(&[T::Date, T::Int4], T::Date, DateMinusDays),
            cand(&[T::Date, T::Date], T::Int4, DateDiff),
            cand(&[T::Date, T::Interval], TS, MinusInterval(K::Date)),
            cand(&[TS, T::Interval], TS, MinusInterval(K::Timestamp)),
            cand(&[TZ, T::Interval], TZ, MinusInterval(K::Timestamptz)),
            cand(&[TS, TS], T::Interval, Diff(K::Timestamp)),
            cand(&[TZ, TZ], T::Interval, Diff(K::Timestamptz)),
            cand(&[TIME, T::Interval], TIME, MinusInterval(K::Time)),
            cand(&[TIMETZ, T::Interval], TIMETZ, MinusInterval(K::TimeTz)),
            cand(&[TIME, TIME], T::Interval, Diff(K::Time)),
            cand(
                &[T::Interval, T::Interval],
                T::Interval,
                MinusInterval(K::Interval),
            ),
        ],
        "*" => vec![
            cand(&[T::Interval, T::Float8], T::Interval, IntervalMul),
            cand(&[T::Float8, T::Interval], T::Interval, FloatMulInterval),
        ],
        "/" => vec![cand(&[T::Interval, T::Float8], T::Interval, IntervalDiv)],
        _ => vec![],
    }
}

fn is_datetime(t: T) -> bool {
    matches!(
        t,
        T::Date | T::Time(_) | T::Timestamp(_) | T::Timestamptz(_) | T::Interval
    )
}

fn resolved(c: Candidate<DateTimeFn>) -> Resolved {
    Resolved::new(Function::DateTime(c.f), c.params, c.ret)
}

/// Resolves `l sym r` when an operand is a date/time type.
pub fn resolve_operator(sym: &str, l: T, r: T) -> Option<Result<Resolved>> {
    if !is_datetime(l) && !is_datetime(r) {
        return None;
    }
    let cands = operator_candidates(sym);
    if cands.is_empty() {
        return None;
    }
    Some(choose(Target::Operator(sym), &[l, r], &cands).map(resolved))
}

fn function_candidates(name: &str) -> Option<Vec<Candidate<DateTimeFn>>> {
    use DateTimeFn::*;
    use Kind as K;
    let text = T::Text;
    Some(match name {
        "now" | "transaction_timestamp" | "current_timestamp" => vec![cand(&[], TZ, Now)],
        "statement_timestamp" => vec![cand(&[], TZ, StatementTimestamp)],
        "clock_timestamp" => vec![cand(&[], TZ, ClockTimestamp)],
        "current_date" => vec![cand(&[], T::Date, CurrentDate)],
        "localtimestamp" => vec![cand(&[], TS, LocalTimestamp)],
        "localtime" => vec![cand(&[], TIME, LocalTime)],
        "current_time" => vec![cand(&[], TIMETZ, CurrentTime)],
        "date_trunc" => vec![
            cand(&[text, TS], TS, DateTrunc(K::Timestamp)),
            cand(&[text, TZ], TZ, DateTrunc(K::Timestamptz)),
            cand(&[text, T::Interval], T::Interval, DateTrunc(K::Interval)),
            cand(&[text, TZ, text], TZ, DateTruncZone),
        ],
        "date_bin" => vec![
            cand(&[T::Interval, TS, TS], TS, DateBin(K::Timestamp)),
            cand(&[T::Interval, TZ, TZ], TZ, DateBin(K::Timestamptz)),
        ],
        "date_part" => vec![
            cand(&[text, T::Date], T::Float8, DatePart(K::Date)),
            cand(&[text, TS], T::Float8, DatePart(K::Timestamp)),
            cand(&[text, TZ], T::Float8, DatePart(K::Timestamptz)),
            cand(&[text, TIME], T::Float8, DatePart(K::Time)),
            cand(&[text, TIMETZ], T::Float8, DatePart(K::TimeTz)),
            cand(&[text, T::Interval], T::Float8, DatePart(K::Interval)),
        ],
        "extract" => {
            let n = T::Numeric(None);
            vec![
                cand(&[text, T::Date], n, Extract(K::Date)),
                cand(&[text, TS], n, Extract(K::Timestamp)),
                cand(&[text, TZ], n, Extract(K::Timestamptz)),
                cand(&[text, TIME], n, Extract(K::Time)),
                cand(&[text, TIMETZ], n, Extract(K::TimeTz)),
                cand(&[text, T::Interval], n, Extract(K::Interval)),
            ]
        }
        "age" => vec![
            cand(&[TS, TS], T::Interval, Age(K::Timestamp)),
            cand(&[TZ, TZ], T::Interval, Age(K::Timestamptz)),
            cand(&[TS], T::Interval, AgeFromToday(K::Timestamp)),
            cand(&[TZ], T::Interval, AgeFromToday(K::Timestamptz)),
        ],
        "make_date" => vec![cand(&[T::Int4, T::Int4, T::Int4], T::Date, MakeDate)],
        "make_time" => vec![cand(&[T::Int4, T::Int4, T::Float8], TIME, MakeTime)],
        "make_timestamp" => vec![cand(
            &[T::Int4, T::Int4, T::Int4, T::Int4, T::Int4, T::Float8],
            TS,
            MakeTimestamp,
        )],
        "timestamptz" => vec![
            cand(&[T::Date, TIME], TZ, DateTimeInZone),
            cand(&[T::Date, TIMETZ], TZ, DatePlusTimeTz),
        ],
        "make_timestamptz" => vec![
            cand(
                &[T::Int4, T::Int4, T::Int4, T::Int4, T::Int4, T::Float8],
                TZ,
                MakeTimestamptz,
            ),
            cand(
                &[T::Int4, T::Int4, T::Int4, T::Int4, T::Int4, T::Float8, text],
                TZ,
                MakeTimestamptzZone,
            ),
        ],
        "make_interval" => vec![cand(
            &[
                T::Int4,
                T::Int4,
                T::Int4,
                T::Int4,
                T::Int4,
                T::Int4,
                T::Float8,
            ],
            T::Interval,
            MakeInterval,
        )],
        "to_timestamp" => vec![
            cand(&[T::Float8], TZ, ToTimestamp),
            cand(&[text, text], TZ, ToTimestampText),
        ],
        "to_date" => vec![cand(&[text, text], T::Date, ToDate)],
        "justify_days" => vec![cand(&[T::Interval], T::Interval, JustifyDays)],
        "justify_hours" => vec![cand(&[T::Interval], T::Interval, JustifyHours)],
        "justify_interval" => vec![cand(&[T::Interval], T::Interval, JustifyInterval)],
        "isfinite" => vec![
            cand(&[T::Date], T::Bool, IsFinite(K::Date)),
            cand(&[TS], T::Bool, IsFinite(K::Timestamp)),
            cand(&[TZ], T::Bool, IsFinite(K::Timestamptz)),
            cand(&[T::Interval], T::Bool, IsFinite(K::Interval)),
        ],
        "timezone" => vec![
            cand(&[text, TS], TZ, AtTimeZone(K::Timestamp)),
            cand(&[text, TZ], TS, AtTimeZone(K::Timestamptz)),
            cand(&[text, TIMETZ], TIMETZ, AtTimeZone(K::TimeTz)),
            cand(&[T::Interval, TS], TZ, AtTimeZone(K::Timestamp)),
            cand(&[T::Interval, TZ], TS, AtTimeZone(K::Timestamptz)),
            cand(&[T::Interval, TIMETZ], TIMETZ, AtTimeZone(K::TimeTz)),
        ],
        "to_char" => vec![
            cand(&[TS, text], text, ToChar(K::Timestamp)),
            cand(&[TZ, text], text, ToChar(K::Timestamptz)),
            cand(&[T::Interval, text], text, ToChar(K::Interval)),
            cand(&[T::Int4, text], text, ToCharNumber(T::Int4)),
            cand(&[T::Int8, text], text, ToCharNumber(T::Int8)),
            cand(
                &[T::Numeric(None), text],
                text,
                ToCharNumber(T::Numeric(None)),
            ),
            cand(&[T::Float4, text], text, ToCharNumber(T::Float4)),
            cand(&[T::Float8, text], text, ToCharNumber(T::Float8)),
        ],
        _ => return None,
    })
}

/// Resolves a date/time function (`None`: not one of this family's names).
pub fn resolve(name: &str, args: &[T]) -> Option<Result<Resolved>> {
    let cands = function_candidates(name)?;
    Some(choose(Target::Function(name), args, &cands).map(resolved))
}

fn float(v: &Value) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| Error::Internal(format!("float argument expected: {v:?}")))
}

fn interval(v: &Value) -> Result<Interval> {
    match v {
        Value::Interval(i) => Ok(*i),
        other => Err(Error::Internal(format!(
            "interval argument expected: {other:?}"
        ))),
    }
}

/// `date_bin`: the start of the `stride`-wide bin, counted from `origin`, holding `ts`
/// (PostgreSQL 15's `timestamp_bin`, rounding down before the origin too).
fn date_bin(stride: &Interval, ts: i64, origin: i64) -> Result<i64> {
    let out_of_range = |what: &str| Error::DatetimeFieldOverflow(format!("{what} out of range"));
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    if !is_finite_ts(origin) {
        return Err(out_of_range("origin"));
    }
    if stride.months != 0 {
        return Err(Error::unsupported(
            "timestamps cannot be binned into intervals containing months or years",
        ));
    }
    let stride = i64::from(stride.days)
        .checked_mul(USECS_PER_DAY)
        .and_then(|d| d.checked_add(stride.micros))
        .ok_or_else(|| out_of_range("interval"))?;
    if stride <= 0 {
        return Err(Error::DatetimeFieldOverflow(
            "stride must be greater than zero".into(),
        ));
    }
    let diff = ts
        .checked_sub(origin)
        .ok_or_else(|| out_of_range("interval"))?;
    let modulo = diff % stride;
    let mut result = origin + (diff - modulo);
    if modulo < 0 {
        result = result
            .checked_sub(stride)
            .ok_or_else(|| out_of_range("timestamp"))?;
        datetime::check_timestamp(result).map_err(|_| out_of_range("timestamp"))?;
    }
    Ok(result)
}

/// Microseconds of a date, time or timestamp value.
fn micros(v: &Value) -> Result<i64> {
    match v {
        Value::Timestamp(t) | Value::Timestamptz(t) | Value::Time(t) => Ok(*t),
        Value::Date(d) => arith::date_to_timestamp(*d),
        other => Err(Error::Internal(format!(
            "timestamp argument expected: {other:?}"
        ))),
    }
}

/// The zone `AT TIME ZONE` names: a zone name or offset text, or an interval (hours east
/// of UTC; no months or days, as in PostgreSQL).
fn zone_value(v: &Value) -> Result<zone::InputZone> {
    match v {
        Value::Interval(iv) => {
            if iv.months != 0 || iv.days != 0 {
                return Err(Error::InvalidParameterValue(format!(
                    "interval time zone \"{}\" must not include months or days",
                    Value::Interval(*iv)
                )));
            }
            let east = i32::try_from(iv.micros / USECS_PER_SEC).map_err(|_| {
                Error::InvalidParameterValue("time zone displacement out of range".into())
            })?;
            Ok(zone::InputZone::Fixed(east))
        }
        v => zone::zone_argument(text(v)?),
    }
}

fn timetz(v: &Value) -> Result<(i64, i32)> {
    match v {
        Value::TimeTz(t, z) => Ok((*t, *z)),
        other => Err(Error::Internal(format!(
            "timetz argument expected: {other:?}"
        ))),
    }
}

fn date(v: &Value) -> Result<i32> {
    match v {
        Value::Date(d) => Ok(*d),
        other => Err(Error::Internal(format!(
            "date argument expected: {other:?}"
        ))),
    }
}

/// The local time of UTC instant `utc` in the session's zone.
fn local(utc: i64) -> i64 {
    env::with(|e| {
        if is_finite_ts(utc) {
            utc + i64::from(e.time_zone.offset_at(utc)) * USECS_PER_SEC
        } else {
            utc
        }
    })
}

fn field_overflow(what: String) -> Error {
    Error::DatetimeFieldOverflow(what)
}

/// `make_timestamp`'s fields → local microseconds.
fn make_local(y: i64, mo: i64, d: i64, h: i64, mi: i64, sec: f64) -> Result<i64> {
    let bad = || field_overflow(format!("date field value out of range: {y}-{mo:02}-{d:02}"));
    let year = i32::try_from(y).map_err(|_| bad())?;
    if year == 0 || !(1..=12).contains(&mo) || d < 1 {
        return Err(bad());
    }
    let year = if year < 0 { year + 1 } else { year };
    if d > i64::from(datetime::days_in_month(year, mo as u32)) {
        return Err(bad());
    }
    if !(0..=24).contains(&h) || !(0..=59).contains(&mi) || !(0.0..=60.0).contains(&sec) {
        return Err(field_overflow(format!(
            "time field value out of range: {h}:{mi:02}:{sec:02}"
        )));
    }
    let f = Fields {
        year,
        month: mo as u32,
        day: d as u32,
        ..Fields::default()
    };
    let time = h * datetime::USECS_PER_HOUR
        + mi * datetime::USECS_PER_MINUTE
        + (sec * 1e6).round_ties_even() as i64;
    f.days()
        .checked_mul(USECS_PER_DAY)
        .and_then(|d| d.checked_add(time))
        .ok_or_else(datetime::timestamp_out_of_range)
        .and_then(datetime::check_timestamp)
}

impl DateTimeFn {
    /// Calls the function (every one is strict: the caller handles NULLs).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use DateTimeFn::*;
        let a = |i: usize| args.get(i).unwrap_or(&Value::Null);
        let zone = || env::current().time_zone.clone();
        Ok(match self {
            DatePlusDays => Value::Date(arith::date_add_days(date(a(0))?, int(a(1))?)?),
            DaysPlusDate => Value::Date(arith::date_add_days(date(a(1))?, int(a(0))?)?),
            DateMinusDays => Value::Date(arith::date_add_days(date(a(0))?, -int(a(1))?)?),
            DateDiff => {
                let (x, y) = (date(a(0))?, date(a(1))?);
                if !is_finite_date(x) || !is_finite_date(y) {
                    return Err(Error::DatetimeFieldOverflow(
                        "cannot subtract infinite dates".into(),
                    ));
                }
                Value::Int(i64::from(x) - i64::from(y))
            }
            DatePlusTimeTz | TimeTzPlusDate => {
                let (d, t) = if *self == DatePlusTimeTz {
                    (a(0), a(1))
                } else {
                    (a(1), a(0))
                };
                Value::Timestamptz(arith::date_plus_timetz(date(d)?, timetz(t)?)?)
            }
            DateTimeInZone => {
                let ts = arith::date_to_timestamp(date(a(0))?)?;
                let local = if is_finite_ts(ts) {
                    ts + micros(a(1))?
                } else {
                    ts
                };
                Value::Timestamptz(datetime::check_timestamp(zone().local_to_utc(local))?)
            }
            DatePlusTime | TimePlusDate => {
                let (d, t) = if *self == DatePlusTime {
                    (a(0), a(1))
                } else {
                    (a(1), a(0))
                };
                let ts = arith::date_to_timestamp(date(d)?)?;
                let ts = if is_finite_ts(ts) {
                    ts + micros(t)?
                } else {
                    ts
                };
                Value::Timestamp(datetime::check_timestamp(ts)?)
            }
            PlusInterval(k) | IntervalPlus(k) | MinusInterval(k) => {
                let (x, iv) = match self {
                    IntervalPlus(_) => (a(1), interval(a(0))?),
                    MinusInterval(_) => (a(0), interval(a(1))?.checked_neg()?),
                    _ => (a(0), interval(a(1))?),
                };
                match k {
                    Kind::Interval => Value::Interval(interval(x)?.checked_add(&iv)?),
                    Kind::Time => Value::Time((micros(x)? + iv.micros).rem_euclid(USECS_PER_DAY)),
                    Kind::TimeTz => {
                        let (t, z) = timetz(x)?;
                        Value::TimeTz((t + iv.micros).rem_euclid(USECS_PER_DAY), z)
                    }
                    Kind::Timestamptz => {
                        Value::Timestamptz(arith::add_interval(micros(x)?, &iv, Some(&zone()))?)
                    }
                    Kind::Date | Kind::Timestamp => {
                        Value::Timestamp(arith::add_interval(micros(x)?, &iv, None)?)
                    }
                }
            }
            Diff(Kind::Time) => Value::Interval(Interval::new(0, 0, micros(a(0))? - micros(a(1))?)),
            Diff(_) => Value::Interval(arith::diff(micros(a(0))?, micros(a(1))?)?),
            IntervalMul => Value::Interval(interval(a(0))?.mul(float(a(1))?)?),
            FloatMulInterval => Value::Interval(interval(a(1))?.mul(float(a(0))?)?),
            IntervalDiv => Value::Interval(interval(a(0))?.div(float(a(1))?)?),
            Now => Value::Timestamptz(env::with(|e| e.transaction_start)),
            StatementTimestamp => Value::Timestamptz(env::with(|e| e.statement_start)),
            ClockTimestamp => Value::Timestamptz(datetime::clock_now()),
            CurrentDate => Value::Date(arith::timestamp_to_date(local(env::with(|e| {
                e.transaction_start
            })))?),
            LocalTimestamp => Value::Timestamp(local(env::with(|e| e.transaction_start))),
            LocalTime => {
                Value::Time(local(env::with(|e| e.transaction_start)).rem_euclid(USECS_PER_DAY))
            }
            CurrentTime => {
                let (start, east) = env::with(|e| {
                    (
                        e.transaction_start,
                        e.time_zone.offset_at(e.transaction_start),
                    )
                });
                let t = (start + i64::from(east) * USECS_PER_SEC).rem_euclid(USECS_PER_DAY);
                Value::TimeTz(t, -east)
            }
            DateTrunc(Kind::Interval) => {
                Value::Interval(arith::truncate_interval(text(a(0))?, &interval(a(1))?)?)
            }
            DateTrunc(Kind::Timestamptz) => {
                Value::Timestamptz(arith::truncate(text(a(0))?, micros(a(1))?, Some(&zone()))?)
            }
            DateTrunc(_) => Value::Timestamp(arith::truncate(text(a(0))?, micros(a(1))?, None)?),
            DateBin(k) => {
                let t = date_bin(&interval(a(0))?, micros(a(1))?, micros(a(2))?)?;
                if *k == Kind::Timestamptz {
                    Value::Timestamptz(t)
                } else {
                    Value::Timestamp(t)
                }
            }
            DateTruncZone => {
                let z = match zone::zone_argument(text(a(2))?)? {
                    zone::InputZone::Named(z) | zone::InputZone::Abbrev(z, _) => z,
                    zone::InputZone::Fixed(off) => zone::Zone::fixed(off)?,
                };
                Value::Timestamptz(arith::truncate(text(a(0))?, micros(a(1))?, Some(&z))?)
            }
            Extract(k) | DatePart(k) => {
                let unit = text(a(0))?;
                let n = match k {
                    // date_part(text, date) is date_part(text, timestamp)
                    Kind::Date if matches!(self, DatePart(_)) => {
                        arith::extract_timestamp(unit, micros(a(1))?, None)?
                    }
                    Kind::Date => arith::extract_date(unit, date(a(1))?)?,
                    Kind::Time => arith::extract_time(unit, micros(a(1))?)?,
                    Kind::TimeTz => {
                        let (t, z) = timetz(a(1))?;
                        let east = i64::from(-z);
                        match unit.to_ascii_lowercase().as_str() {
                            "timezone" => Some(Numeric::from_i64(east)),
                            "timezone_h" | "timezone_hour" => Some(Numeric::from_i64(east / 3600)),
                            "timezone_m" | "timezone_minute" => {
                                Some(Numeric::from_i64(east / 60 % 60))
                            }
                            "epoch" => {
                                let utc = t + i64::from(z) * USECS_PER_SEC;
                                Some(Numeric::new(utc.into(), 6))
                            }
                            _ => arith::extract_time(unit, t)?,
                        }
                    }
                    Kind::Interval => arith::extract_interval(unit, &interval(a(1))?)?,
                    Kind::Timestamp => arith::extract_timestamp(unit, micros(a(1))?, None)?,
                    Kind::Timestamptz => {
                        arith::extract_timestamp(unit, micros(a(1))?, Some(&zone()))?
                    }
                };
                match (n, self) {
                    (None, _) => Value::Null,
                    (Some(n), Extract(_)) => Value::numeric(n),
                    (Some(n), _) => Value::Float(n.to_f64()),
                }
            }
            Age(k) => {
                let z = (*k == Kind::Timestamptz).then(zone);
                Value::Interval(arith::age(micros(a(0))?, micros(a(1))?, z.as_ref())?)
            }
            AgeFromToday(k) => {
                let today = local(env::with(|e| e.transaction_start)).div_euclid(USECS_PER_DAY)
                    * USECS_PER_DAY;
                match k {
                    Kind::Timestamptz => {
                        let z = zone();
                        let midnight = z.local_to_utc(today);
                        Value::Interval(arith::age(midnight, micros(a(0))?, Some(&z))?)
                    }
                    _ => Value::Interval(arith::age(today, micros(a(0))?, None)?),
                }
            }
            MakeDate => {
                let ts = make_local(int(a(0))?, int(a(1))?, int(a(2))?, 0, 0, 0.0)?;
                Value::Date(arith::timestamp_to_date(ts)?)
            }
            MakeTime => {
                let (h, m, s) = (int(a(0))?, int(a(1))?, float(a(2))?);
                let total = (h * 3600 + m * 60) as f64 + s;
                if !(0..=24).contains(&h)
                    || !(0..=59).contains(&m)
                    || !(0.0..=60.0).contains(&s)
                    || total > 86400.0
                {
                    return Err(field_overflow(format!(
                        "time field value out of range: {h}:{m:02}:{s:02}"
                    )));
                }
                Value::Time(
                    h * datetime::USECS_PER_HOUR
                        + m * datetime::USECS_PER_MINUTE
                        + (s * 1e6).round_ties_even() as i64,
                )
            }
            MakeTimestamp | MakeTimestamptz | MakeTimestamptzZone => {
                let ts = make_local(
                    int(a(0))?,
                    int(a(1))?,
                    int(a(2))?,
                    int(a(3))?,
                    int(a(4))?,
                    float(a(5))?,
                )?;
                match self {
                    MakeTimestamp => Value::Timestamp(ts),
                    MakeTimestamptz => Value::Timestamptz(zone().local_to_utc(ts)),
                    _ => Value::Timestamptz(zone::sane_zone(text(a(6))?)?.local_to_utc(ts)),
                }
            }
            MakeInterval => {
                let i32_of = |i: usize| -> Result<i32> {
                    i32::try_from(int(a(i))?)
                        .map_err(|_| datetime::interval::interval_out_of_range())
                };
                // PostgreSQL 15 multiplies and adds these in unchecked int arithmetic.
                let months = i64::from(i32_of(0)?.wrapping_mul(12).wrapping_add(i32_of(1)?));
                let days = i64::from(i32_of(2)?.wrapping_mul(7).wrapping_add(i32_of(3)?));
                let secs = float(a(6))?;
                if !secs.is_finite() {
                    return Err(datetime::interval::interval_out_of_range());
                }
                // PostgreSQL 15 does this arithmetic unchecked in C: an out-of-range
                // float-to-int64 conversion gives i64::MIN (x86) and the sum wraps.
                let sec_micros = (secs * 1e6).round_ties_even();
                let sec_micros = if sec_micros.is_finite()
                    && sec_micros >= i64::MIN as f64
                    && sec_micros < i64::MAX as f64
                {
                    sec_micros as i64
                } else {
                    i64::MIN
                };
                let micros = i64::from(i32_of(4)?)
                    .wrapping_mul(datetime::USECS_PER_HOUR)
                    .wrapping_add(i64::from(i32_of(5)?).wrapping_mul(datetime::USECS_PER_MINUTE))
                    .wrapping_add(sec_micros);
                Value::Interval(Interval::new(
                    i32::try_from(months)
                        .map_err(|_| datetime::interval::interval_out_of_range())?,
                    i32::try_from(days).map_err(|_| datetime::interval::interval_out_of_range())?,
                    micros,
                ))
            }
            ToDate => Value::Date(super::to_timestamp::to_date(text(a(0))?, text(a(1))?)?),
            ToTimestampText => {
                let ts = super::to_timestamp::to_timestamp(text(a(0))?, text(a(1))?, &zone())?;
                Value::Timestamptz(ts)
            }
            ToTimestamp => {
                let secs = float(a(0))?;
                if secs.is_nan() {
                    return Err(Error::DatetimeFieldOverflow(
                        "timestamp cannot be NaN".into(),
                    ));
                }
                if secs.is_infinite() {
                    return Ok(Value::Timestamptz(if secs > 0.0 {
                        datetime::TS_INFINITY
                    } else {
                        datetime::TS_NEG_INFINITY
                    }));
                }
                let unix = (secs * 1e6).round_ties_even();
                let pg = unix - (datetime::UNIX_TO_PG_DAYS * USECS_PER_DAY) as f64;
                if !(datetime::MIN_TIMESTAMP as f64..datetime::END_TIMESTAMP as f64).contains(&pg) {
                    return Err(Error::DatetimeFieldOverflow(format!(
                        "timestamp out of range: \"{secs}\""
                    )));
                }
                Value::Timestamptz(pg as i64)
            }
            JustifyDays => Value::Interval(interval(a(0))?.justify_days()?),
            JustifyHours => Value::Interval(interval(a(0))?.justify_hours()?),
            JustifyInterval => Value::Interval(interval(a(0))?.justify_interval()?),
            IsFinite(k) => Value::Bool(match k {
                Kind::Date => is_finite_date(date(a(0))?),
                Kind::Interval => true,
                _ => is_finite_ts(micros(a(0))?),
            }),
            AtTimeZone(Kind::TimeTz) => {
                let (t, z) = timetz(a(1))?;
                let utc = t + i64::from(z) * USECS_PER_SEC;
                // A named zone's offset is the one in force at the transaction's start.
                let east = match zone_value(a(0))? {
                    zone::InputZone::Fixed(o) => o,
                    zone::InputZone::Named(named) | zone::InputZone::Abbrev(named, _) => {
                        named.offset_at(env::with(|e| e.transaction_start))
                    }
                };
                let local = (utc + i64::from(east) * USECS_PER_SEC).rem_euclid(USECS_PER_DAY);
                Value::TimeTz(local, -east)
            }
            AtTimeZone(k) => {
                let z = zone_value(a(0))?;
                let t = micros(a(1))?;
                match k {
                    Kind::Timestamp => {
                        Value::Timestamptz(datetime::check_timestamp(z.local_to_utc(t))?)
                    }
                    _ => {
                        if !is_finite_ts(t) {
                            return Ok(Value::Timestamp(t));
                        }
                        let off = match &z {
                            zone::InputZone::Fixed(o) => *o,
                            zone::InputZone::Named(named) | zone::InputZone::Abbrev(named, _) => {
                                named.offset_at(t)
                            }
                        };
                        Value::Timestamp(datetime::check_timestamp(
                            t + i64::from(off) * USECS_PER_SEC,
                        )?)
                    }
                }
            }
            ToChar(k) => {
                let fmt = text(a(1))?;
                // An infinite timestamp has no fields to print: NULL, as in PostgreSQL.
                if *k != Kind::Interval && !crate::types::datetime::is_finite_ts(micros(a(0))?) {
                    return Ok(Value::Null);
                }
                let text = match k {
                    Kind::Interval => super::to_char::interval(&interval(a(0))?, fmt)?,
                    Kind::Timestamptz => {
                        let z = zone();
                        super::to_char::timestamp(micros(a(0))?, fmt, Some(&z))?
                    }
                    _ => super::to_char::timestamp(micros(a(0))?, fmt, None)?,
                };
                text.map_or(Value::Null, Value::Text)
            }
            AdjustInterval(range, precision) => {
                if a(0).is_null() {
                    return Ok(Value::Null);
                }
                Value::Interval(datetime::interval_decode::adjust(
                    interval(a(0))?,
                    datetime::interval_decode::Range(*range),
                    *precision,
                )?)
            }
            ToCharNumber(_) => {
                let fmt = text(a(1))?;
                Value::Text(super::to_char::number(a(0), fmt)?)
            }
        })
    }
}
