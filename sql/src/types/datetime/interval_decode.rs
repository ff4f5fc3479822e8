//! Interval input, translated from PostgreSQL 15's `DecodeInterval` and
//! `DecodeISO8601Interval` (`datetime.c`) and `interval_in`/`AdjustIntervalForTypmod`
//! (`timestamp.c`), in integer arithmetic as PostgreSQL does it.
//!
//! The text is split into fields by [`parse_fields`](super::decode::parse_fields) and read
//! right to left so that a unit word applies to the number before it; a number without a
//! unit takes the field after it (`1 2:03` is a day and a time) or, at the right end, the
//! last field of the interval qualifier (`INTERVAL '1 2' DAY TO HOUR`, seconds without one).
//! Each unit may appear once. `ago` negates everything, IntervalStyle `sql_standard` lets a
//! leading minus cover every field, and when none of that reads the text, ISO 8601
//! (`P1Y2M3DT4H5M6S`, `P0001-02-03T04:05:06`) is tried.
//!
//! A qualifier ([`Range`]) also truncates the result to its last field, and a seconds
//! precision rounds the time (`AdjustIntervalForTypmod`).

use super::decode::{DtErr, DtResult, FieldType, parse_fields};
use super::interval::Interval;
use super::{USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};
use crate::{Error, Result};

/// The fields of an interval qualifier (PostgreSQL's `INTERVAL_MASK` bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range(pub u32);

impl Range {
    pub const YEAR: u32 = 1 << 2;
    pub const MONTH: u32 = 1 << 1;
    pub const DAY: u32 = 1 << 3;
    pub const HOUR: u32 = 1 << 10;
    pub const MINUTE: u32 = 1 << 11;
    pub const SECOND: u32 = 1 << 12;
    /// No qualifier: every field.
    pub const FULL: Range = Range(0x7FFF);

    /// `FROM TO` by field names (`year`, `day`, `second`, ...); `to` may be absent.
    pub fn of_fields(from: &str, to: Option<&str>) -> Option<Range> {
        let bit = |s: &str| match s.to_ascii_lowercase().as_str() {
            "year" => Some(Range::YEAR),
            "month" => Some(Range::MONTH),
            "day" => Some(Range::DAY),
            "hour" => Some(Range::HOUR),
            "minute" => Some(Range::MINUTE),
            "second" => Some(Range::SECOND),
            _ => None,
        };
        let a = bit(from)?;
        let Some(to) = to else {
            return Some(Range(a));
        };
        let b = bit(to)?;
        // Every field from `a` down to `b`, in the order year, month, day, hour, ...
        let order = [
            Range::YEAR,
            Range::MONTH,
            Range::DAY,
            Range::HOUR,
            Range::MINUTE,
            Range::SECOND,
        ];
        let i = order.iter().position(|x| *x == a)?;
        let j = order.iter().position(|x| *x == b)?;
        (i < j).then(|| Range(order[i..=j].iter().fold(0, |m, x| m | x)))
    }
}

/// The unit a number is in (`DTK_*` units of `deltatktbl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
    Decade,
    Century,
    Millennium,
}

enum Delta {
    Unit(Unit),
    Ago,
    Ignore,
}

/// PostgreSQL's `deltatktbl` (sorted; keys compared on their first 10 characters).
const DELTA_TOKENS: &[(&str, Delta)] = {
    use Delta::{Ago, Ignore, Unit as U};
    use Unit::*;
    &[
        ("@", Ignore),
        ("ago", Ago),
        ("c", U(Century)),
        ("cent", U(Century)),
        ("centuries", U(Century)),
        ("century", U(Century)),
        ("d", U(Day)),
        ("day", U(Day)),
        ("days", U(Day)),
        ("dec", U(Decade)),
        ("decade", U(Decade)),
        ("decades", U(Decade)),
        ("decs", U(Decade)),
        ("h", U(Hour)),
        ("hour", U(Hour)),
        ("hours", U(Hour)),
        ("hr", U(Hour)),
        ("hrs", U(Hour)),
        ("m", U(Minute)),
        ("microsecon", U(Microsecond)),
        ("mil", U(Millennium)),
        ("millennia", U(Millennium)),
        ("millennium", U(Millennium)),
        ("millisecon", U(Millisecond)),
        ("mils", U(Millennium)),
        ("min", U(Minute)),
        ("mins", U(Minute)),
        ("minute", U(Minute)),
        ("minutes", U(Minute)),
        ("mon", U(Month)),
        ("mons", U(Month)),
        ("month", U(Month)),
        ("months", U(Month)),
        ("ms", U(Millisecond)),
        ("msec", U(Millisecond)),
        ("msecond", U(Millisecond)),
        ("mseconds", U(Millisecond)),
        ("msecs", U(Millisecond)),
        ("s", U(Second)),
        ("sec", U(Second)),
        ("second", U(Second)),
        ("seconds", U(Second)),
        ("secs", U(Second)),
        ("us", U(Microsecond)),
        ("usec", U(Microsecond)),
        ("usecond", U(Microsecond)),
        ("useconds", U(Microsecond)),
        ("usecs", U(Microsecond)),
        ("w", U(Week)),
        ("week", U(Week)),
        ("weeks", U(Week)),
        ("y", U(Year)),
        ("year", U(Year)),
        ("years", U(Year)),
        ("yr", U(Year)),
        ("yrs", U(Year)),
    ]
};

fn delta_token(word: &str) -> Option<&'static Delta> {
    let key = word.get(..10.min(word.len())).unwrap_or(word);
    DELTA_TOKENS
        .binary_search_by(|(k, _)| k.cmp(&key))
        .ok()
        .map(|i| &DELTA_TOKENS[i].1)
}

/// `pg_itm_in`: what the fields add up to before it becomes an [`Interval`].
#[derive(Debug, Default)]
pub(super) struct ItmIn {
    usec: i64,
    mday: i32,
    mon: i32,
    year: i32,
}

impl ItmIn {
    pub(super) fn fract_micros(&mut self, frac: f64, scale: i64) -> DtResult<()> {
        if frac == 0.0 {
            return Ok(());
        }
        let f = frac * scale as f64;
        let mut usec = f as i64;
        let rest = f - usec as f64;
        if rest > 0.5 {
            usec += 1;
        } else if rest < -0.5 {
            usec -= 1;
        }
        self.usec = self.usec.checked_add(usec).ok_or(DtErr::FieldOverflow)?;
        Ok(())
    }

    pub(super) fn fract_days(&mut self, frac: f64, scale: i32) -> DtResult<()> {
        if frac == 0.0 {
            return Ok(());
        }
        let f = frac * f64::from(scale);
        let extra = f as i32;
        self.mday = self.mday.checked_add(extra).ok_or(DtErr::FieldOverflow)?;
        self.fract_micros(f - f64::from(extra), USECS_PER_DAY)
    }

    pub(super) fn fract_years(&mut self, frac: f64, scale: i32) -> DtResult<()> {
        let extra = (frac * f64::from(scale) * 12.0).round_ties_even() as i32;
        self.mon = self.mon.checked_add(extra).ok_or(DtErr::FieldOverflow)?;
        Ok(())
    }

    pub(super) fn micros(&mut self, val: i64, fval: f64, scale: i64) -> DtResult<()> {
        self.usec = val
            .checked_mul(scale)
            .and_then(|p| self.usec.checked_add(p))
            .ok_or(DtErr::FieldOverflow)?;
        self.fract_micros(fval, scale)
    }

    pub(super) fn days(&mut self, val: i64, scale: i32) -> DtResult<()> {
        let v = i32::try_from(val).map_err(|_| DtErr::FieldOverflow)?;
        self.mday = v
            .checked_mul(scale)
            .and_then(|d| self.mday.checked_add(d))
            .ok_or(DtErr::FieldOverflow)?;
        Ok(())
    }

    pub(super) fn months(&mut self, val: i64) -> DtResult<()> {
        let v = i32::try_from(val).map_err(|_| DtErr::FieldOverflow)?;
        self.mon = self.mon.checked_add(v).ok_or(DtErr::FieldOverflow)?;
        Ok(())
    }

    pub(super) fn years(&mut self, val: i64, scale: i32) -> DtResult<()> {
        let v = i32::try_from(val).map_err(|_| DtErr::FieldOverflow)?;
        self.year = v
            .checked_mul(scale)
            .and_then(|y| self.year.checked_add(y))
            .ok_or(DtErr::FieldOverflow)?;
        Ok(())
    }

    /// `itmin2interval`: `None` when the months do not fit.
    fn interval(&self) -> Option<Interval> {
        let months = i64::from(self.year) * 12 + i64::from(self.mon);
        Some(Interval::new(
            i32::try_from(months).ok()?,
            self.mday,
            self.usec,
        ))
    }
}

/// `strtoi64` on a field: optional sign and digits; the value and the bytes read.
fn strtoi64(s: &[u8]) -> DtResult<(i64, usize)> {
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let neg = s.first() == Some(&b'-');
    let start = i;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = i64::from(s[i] - b'0');
        v = v
            .checked_mul(10)
            .and_then(|v| {
                if neg {
                    v.checked_sub(d)
                } else {
                    v.checked_add(d)
                }
            })
            .ok_or(DtErr::FieldOverflow)?;
        i += 1;
    }
    if i == start {
        return Ok((0, 0));
    }
    Ok((v, i))
}

/// `DecodeTimeForInterval`: `h:m[:s[.f]]` (or `m:s.f`) → microseconds.
fn time_micros(s: &str, range: Range) -> DtResult<i64> {
    let b = s.as_bytes();
    let (mut hour, n) = strtoi64(b)?;
    let mut pos = n;
    if b.get(pos) != Some(&b':') {
        return Err(DtErr::BadFormat);
    }
    let (m, n) = strtoi64(&b[pos + 1..])?;
    let mut min = m;
    pos += 1 + n;
    let mut sec = 0;
    let mut fsec = 0;
    match b.get(pos) {
        None => {
            if range.0 == Range::MINUTE | Range::SECOND {
                sec = min;
                min = hour;
                hour = 0;
            }
        }
        Some(b'.') => {
            fsec = super::decode_fields::parse_fractional_second(&s[pos..])?;
            sec = min;
            min = hour;
            hour = 0;
        }
        Some(b':') => {
            let (s2, n) = strtoi64(&b[pos + 1..])?;
            sec = s2;
            pos += 1 + n;
            match b.get(pos) {
                None => {}
                Some(b'.') => fsec = super::decode_fields::parse_fractional_second(&s[pos..])?,
                Some(_) => return Err(DtErr::BadFormat),
            }
        }
        Some(_) => return Err(DtErr::BadFormat),
    }
    if hour < 0
        || !(0..=59).contains(&min)
        || !(0..=60).contains(&sec)
        || !(0..=USECS_PER_SEC).contains(&fsec)
    {
        return Err(DtErr::FieldOverflow);
    }
    hour.checked_mul(USECS_PER_HOUR)
        .and_then(|h| h.checked_add(min * USECS_PER_MINUTE + sec * USECS_PER_SEC + fsec))
        .ok_or(DtErr::FieldOverflow)
}

/// `DecodeInterval`: see the module docs.
fn decode_fields(f: &[(String, FieldType)], range: Range, sql_standard: bool) -> DtResult<ItmIn> {
    let mut itm = ItmIn::default();
    let starts_signed = |s: &str| s.starts_with(['-', '+']);
    let force_negative = sql_standard
        && f.first().is_some_and(|(s, _)| s.starts_with('-'))
        && !f.iter().skip(1).any(|(s, _)| starts_signed(s));
    let mut fmask = 0u32;
    let mut is_before = false;
    let mut unit: Option<Unit> = None;
    for (field, ftype) in f.iter().rev() {
        let tmask: u32;
        match ftype {
            FieldType::Time => {
                let mut t = time_micros(field, range)?;
                if force_negative && t > 0 {
                    t = -t;
                }
                itm.usec = itm.usec.checked_add(t).ok_or(DtErr::FieldOverflow)?;
                unit = Some(Unit::Day);
                tmask = TIME_FIELDS;
            }
            FieldType::Tz
                if field[1..].contains(':') && time_micros(&field[1..], range).is_ok() =>
            {
                let mut t = time_micros(&field[1..], range)?;
                if field.starts_with('-') {
                    t = -t;
                }
                if force_negative && t > 0 {
                    t = -t;
                }
                itm.usec = itm.usec.checked_add(t).ok_or(DtErr::FieldOverflow)?;
                unit = Some(Unit::Day);
                tmask = TIME_FIELDS;
            }
            FieldType::Tz | FieldType::Date | FieldType::Number => {
                let u = unit.unwrap_or_else(|| default_unit(range));
                let b = field.as_bytes();
                let (mut val, n) = strtoi64(b)?;
                let rest = &field[n..];
                let mut fval = 0.0;
                let mut u = u;
                if let Some(months) = rest.strip_prefix('-') {
                    let (v2, n2) = strtoi64(months.as_bytes())?;
                    if !(0..12).contains(&v2) {
                        return Err(DtErr::FieldOverflow);
                    }
                    if n2 != months.len() {
                        return Err(DtErr::BadFormat);
                    }
                    u = Unit::Month;
                    let v2 = if field.starts_with('-') { -v2 } else { v2 };
                    val = val
                        .checked_mul(12)
                        .and_then(|v| v.checked_add(v2))
                        .ok_or(DtErr::FieldOverflow)?;
                } else if rest.starts_with('.') {
                    fval = super::decode_fields::parse_fraction(rest)?;
                    if field.starts_with('-') {
                        fval = -fval;
                    }
                } else if !rest.is_empty() {
                    return Err(DtErr::BadFormat);
                }
                if force_negative {
                    val = -val.abs();
                    fval = -fval.abs();
                }
                tmask = apply_unit(&mut itm, u, val, fval)?;
                unit = if u == Unit::Hour {
                    Some(Unit::Day)
                } else {
                    Some(u)
                };
            }
            FieldType::String | FieldType::Special => match delta_token(field) {
                Some(Delta::Ignore) => continue,
                Some(Delta::Unit(u)) => {
                    unit = Some(*u);
                    tmask = 0;
                }
                Some(Delta::Ago) => {
                    // PostgreSQL 15 takes `ago` anywhere (`2 minutes ago 5 days`).
                    is_before = true;
                    tmask = 0;
                }
                None => return Err(DtErr::BadFormat),
            },
        }
        if tmask & fmask != 0 {
            return Err(DtErr::BadFormat);
        }
        fmask |= tmask;
    }
    if fmask == 0 {
        return Err(DtErr::BadFormat);
    }
    if is_before {
        itm.usec = itm.usec.checked_neg().ok_or(DtErr::FieldOverflow)?;
        itm.mday = itm.mday.checked_neg().ok_or(DtErr::FieldOverflow)?;
        itm.mon = itm.mon.checked_neg().ok_or(DtErr::FieldOverflow)?;
        itm.year = itm.year.checked_neg().ok_or(DtErr::FieldOverflow)?;
    }
    Ok(itm)
}

/// The unit of a bare number at the right end: the qualifier's last field.
fn default_unit(range: Range) -> Unit {
    let r = range.0;
    if r == Range::YEAR {
        Unit::Year
    } else if r == Range::MONTH || r == Range::YEAR | Range::MONTH {
        Unit::Month
    } else if r == Range::DAY {
        Unit::Day
    } else if r == Range::HOUR || r == Range::DAY | Range::HOUR {
        Unit::Hour
    } else if r == Range::MINUTE
        || r == Range::HOUR | Range::MINUTE
        || r == Range::DAY | Range::HOUR | Range::MINUTE
    {
        Unit::Minute
    } else {
        Unit::Second
    }
}

// Field bits of the units (`DTK_M`), so that a unit may appear only once.
/// A `h:m:s` field (`DTK_TIME_M`: hours, minutes and every kind of seconds).
const TIME_FIELDS: u32 =
    Range::HOUR | Range::MINUTE | Range::SECOND | M_MILLISECOND | M_MICROSECOND;
const M_MILLISECOND: u32 = 1 << 13;
const M_MICROSECOND: u32 = 1 << 14;
const M_WEEK: u32 = 1 << 24;
const M_DECADE: u32 = 1 << 25;
const M_CENTURY: u32 = 1 << 26;
const M_MILLENNIUM: u32 = 1 << 27;

fn apply_unit(itm: &mut ItmIn, u: Unit, val: i64, fval: f64) -> DtResult<u32> {
    Ok(match u {
        Unit::Microsecond => {
            itm.micros(val, fval, 1)?;
            M_MICROSECOND
        }
        Unit::Millisecond => {
            itm.micros(val, fval, 1000)?;
            M_MILLISECOND
        }
        Unit::Second => {
            itm.micros(val, fval, USECS_PER_SEC)?;
            if fval == 0.0 {
                Range::SECOND
            } else {
                Range::SECOND | M_MILLISECOND | M_MICROSECOND
            }
        }
        Unit::Minute => {
            itm.micros(val, fval, USECS_PER_MINUTE)?;
            Range::MINUTE
        }
        Unit::Hour => {
            itm.micros(val, fval, USECS_PER_HOUR)?;
            Range::HOUR
        }
        Unit::Day => {
            itm.days(val, 1)?;
            itm.fract_micros(fval, USECS_PER_DAY)?;
            Range::DAY
        }
        Unit::Week => {
            itm.days(val, 7)?;
            itm.fract_days(fval, 7)?;
            M_WEEK
        }
        Unit::Month => {
            itm.months(val)?;
            itm.fract_days(fval, 30)?;
            Range::MONTH
        }
        Unit::Year => {
            itm.years(val, 1)?;
            itm.fract_years(fval, 1)?;
            Range::YEAR
        }
        Unit::Decade => {
            itm.years(val, 10)?;
            itm.fract_years(fval, 10)?;
            M_DECADE
        }
        Unit::Century => {
            itm.years(val, 100)?;
            itm.fract_years(fval, 100)?;
            M_CENTURY
        }
        Unit::Millennium => {
            itm.years(val, 1000)?;
            itm.fract_years(fval, 1000)?;
            M_MILLENNIUM
        }
    })
}

/// `interval_in` with a qualifier's fields (`Range::FULL` for none) and seconds precision.
pub fn parse(s: &str, range: Range, precision: Option<u32>) -> Result<Interval> {
    let sql_standard =
        crate::env::with(|e| e.interval_style) == super::interval_style::IntervalStyle::SqlStandard;
    let mut r = parse_fields(s).map_err(|_| DtErr::BadFormat).and_then(|f| {
        // PostgreSQL's interval work buffer holds 256 bytes.
        if s.len() > 255 {
            return Err(DtErr::BadFormat);
        }
        decode_fields(&f, range, sql_standard)
    });
    if r.as_ref().err() == Some(&DtErr::BadFormat) {
        r = super::interval_iso::decode_iso8601(s);
    }
    let itm = r.map_err(|e| match e {
        DtErr::FieldOverflow => DtErr::IntervalOverflow,
        e => e,
    });
    let itm = itm.map_err(|e| e.into_error(s, "interval"))?;
    let iv = itm
        .interval()
        .ok_or_else(super::interval::interval_out_of_range)?;
    adjust(iv, range, precision)
}

/// `AdjustIntervalForTypmod`: truncate below the qualifier's last field, round the time to
/// `precision` digits (with PostgreSQL 15's wrap-around at the extremes).
pub fn adjust(mut iv: Interval, range: Range, precision: Option<u32>) -> Result<Interval> {
    let r = range.0;
    let trunc = |t: i64, unit: i64| (t / unit) * unit;
    if r == Range::YEAR {
        iv.months = (iv.months / 12) * 12;
        iv.days = 0;
        iv.micros = 0;
    } else if r == Range::MONTH || r == Range::YEAR | Range::MONTH {
        iv.days = 0;
        iv.micros = 0;
    } else if r == Range::DAY {
        iv.micros = 0;
    } else if r == Range::HOUR || r == Range::DAY | Range::HOUR {
        iv.micros = trunc(iv.micros, USECS_PER_HOUR);
    } else if r == Range::MINUTE
        || r == Range::DAY | Range::HOUR | Range::MINUTE
        || r == Range::HOUR | Range::MINUTE
    {
        iv.micros = trunc(iv.micros, USECS_PER_MINUTE);
    }
    if let Some(p) = precision {
        if p > 6 {
            return Err(Error::InvalidParameterValue(format!(
                "interval({p}) precision must be between 0 and 6"
            )));
        }
        let scale = 10i64.pow(6 - p);
        let offset = scale / 2;
        iv.micros = if iv.micros >= 0 {
            (iv.micros.wrapping_add(offset) / scale).wrapping_mul(scale)
        } else {
            -((iv.micros.wrapping_neg().wrapping_add(offset) / scale).wrapping_mul(scale))
        };
    }
    Ok(iv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(s: &str) -> String {
        parse(s, Range::FULL, None).map_or_else(|e| e.code().to_string(), |v| v.to_string())
    }

    fn q(s: &str, from: &str, to: Option<&str>, p: Option<u32>) -> String {
        let r = Range::of_fields(from, to).unwrap();
        parse(s, r, p).map_or_else(|e| e.code().to_string(), |v| v.to_string())
    }

    #[test]
    fn tables_are_sorted() {
        assert!(DELTA_TOKENS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    // Expected values are PostgreSQL 15's.
    #[test]
    fn postgres_forms() {
        assert_eq!(iv("1 month - 1 second"), "1 mon -00:00:01");
        assert_eq!(iv("@ 1 day 2 hours ago"), "-1 days -02:00:00");
        assert_eq!(iv("1 day 1 day"), "22007");
        assert_eq!(iv("1:20:05 5 microseconds"), "22007");
        assert_eq!(iv("2 minutes ago 5 days"), "-5 days -00:02:00");
        assert_eq!(iv("5.5 seconds 3 milliseconds"), "22007");
        assert_eq!(iv("123 11"), "22007");
        assert_eq!(iv("1-2 3 4:05:06"), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv("infinity"), "22007");
        assert_eq!(iv("2147483647 years"), "22008");
        assert_eq!(iv("-9223372036854775807 us"), "-2562047788:00:54.775807");
        assert_eq!(
            iv("4 millenniums 5 centuries 4 decades 1 year 4 months 4 days 17 minutes 31 seconds"),
            "4541 years 4 mons 4 days 00:17:31"
        );
        assert_eq!(iv("P1Y2M3DT4H5M6.5S"), "1 year 2 mons 3 days 04:05:06.5");
        assert_eq!(iv("P0001-02-03T04:05:06"), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv("1.5 weeks"), "10 days 12:00:00");
    }

    #[test]
    fn qualifiers() {
        assert_eq!(q("1 2", "day", Some("hour"), None), "1 day 02:00:00");
        assert_eq!(
            q("1 2:03:04", "day", Some("minute"), None),
            "1 day 02:03:00"
        );
        assert_eq!(q("1 2", "day", Some("minute"), None), "22007");
        assert_eq!(
            q("1 2:03", "minute", Some("second"), None),
            "1 day 00:02:03"
        );
        assert_eq!(
            q("12:34.5678", "minute", Some("second"), Some(2)),
            "00:12:34.57"
        );
        assert_eq!(q("1.234", "second", None, Some(2)), "00:00:01.23");
        assert_eq!(
            q("2562047788:00:54.775807", "second", None, Some(2)),
            "-2562047788:00:54.77"
        );
        assert_eq!(Range::of_fields("hour", Some("day")), None);
    }
}
