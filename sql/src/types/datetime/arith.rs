//! Date/time arithmetic and field access, following PostgreSQL's `timestamp.c`/`date.c`:
//!
//! * `timestamp ± interval` adds months (clamping the day to the month's end), then days on
//!   the calendar, then the time part; for `timestamptz` the calendar steps happen in the
//!   session time zone and the result is resolved back to UTC (so `+ '1 day'` keeps the wall
//!   clock across a DST change while `+ '24 hours'` does not).
//! * `timestamp - timestamp` is an interval of days and time (`justify_hours`); `age` is the
//!   symbolic years/months/days difference.
//! * [`truncate`] is `date_trunc`; [`extract`] is `EXTRACT`/`date_part` with PostgreSQL 14+'s
//!   numeric results (scales 6 for seconds and epochs of timestamps, 3 for milliseconds).

use super::interval::{Interval, interval_out_of_range};
use super::zone::Zone;
use super::{
    Fields, TS_INFINITY, TS_NEG_INFINITY, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE,
    USECS_PER_SEC, check_timestamp, date2j, days_in_month, is_finite_ts, iso_year_week, j2date,
    timestamp_out_of_range,
};
use crate::types::Numeric;
use crate::{Error, Result};

/// Adds `months` to the fields, clamping the day to the new month's length.
fn add_months(f: &mut Fields, months: i32) {
    let total = i64::from(f.year) * 12 + i64::from(f.month) - 1 + i64::from(months);
    f.year = total.div_euclid(12) as i32;
    f.month = (total.rem_euclid(12) + 1) as u32;
    f.day = f.day.min(days_in_month(f.year, f.month));
}

fn add_days(f: &mut Fields, days: i32) {
    let jd = date2j(f.year, f.month as i32, f.day as i32) as i64 + i64::from(days);
    let (y, m, d) = j2date(jd.clamp(0, i64::from(i32::MAX)) as i32);
    f.year = y;
    f.month = m;
    f.day = d;
}

/// `timestamp + interval`; with `zone`, `timestamptz + interval` in that zone.
pub fn add_interval(ts: i64, iv: &Interval, zone: Option<&Zone>) -> Result<i64> {
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    let mut t = ts;
    if iv.months != 0 || iv.days != 0 {
        let local = match zone {
            Some(z) => t + i64::from(z.offset_at(t)) * USECS_PER_SEC,
            None => t,
        };
        let mut f = Fields::of_timestamp(local);
        if iv.months != 0 {
            add_months(&mut f, iv.months);
        }
        if iv.days != 0 {
            add_days(&mut f, iv.days);
        }
        let local = f.timestamp()?;
        t = match zone {
            Some(z) => z.local_to_utc(local),
            None => local,
        };
    }
    let t = t
        .checked_add(iv.micros)
        .ok_or_else(timestamp_out_of_range)?;
    check_timestamp(t)
}

pub fn sub_interval(ts: i64, iv: &Interval, zone: Option<&Zone>) -> Result<i64> {
    add_interval(ts, &iv.checked_neg()?, zone)
}

/// `timestamp - timestamp` (either kind): days and time.
pub fn diff(a: i64, b: i64) -> Result<Interval> {
    if !is_finite_ts(a) || !is_finite_ts(b) {
        return Err(Error::DatetimeFieldOverflow(
            "cannot subtract infinite timestamps".into(),
        ));
    }
    // PostgreSQL 15 subtracts without an overflow check (the difference wraps).
    Interval::new(0, 0, a.wrapping_sub(b)).justify_hours()
}

/// `date + timetz` (PostgreSQL's `datetimetz_timestamptz`): the date's midnight plus the
/// time, shifted by the time's zone (seconds west).
pub fn date_plus_timetz(d: i32, (time, zone): (i64, i32)) -> Result<i64> {
    let ts = date_to_timestamp(d)?;
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    let utc = ts
        .checked_add(time)
        .and_then(|x| x.checked_add(i64::from(zone) * USECS_PER_SEC))
        .ok_or_else(super::timestamp_out_of_range)?;
    super::check_timestamp(utc)
}

/// `age(a, b)`: the symbolic difference of the fields (PostgreSQL's `timestamp_age`);
/// `zone` for timestamptz.
pub fn age(a: i64, b: i64, zone: Option<&Zone>) -> Result<Interval> {
    if !is_finite_ts(a) || !is_finite_ts(b) {
        return Err(Error::DatetimeFieldOverflow(
            "timestamp out of range".into(),
        ));
    }
    let local = |t: i64| match zone {
        Some(z) => t + i64::from(z.offset_at(t)) * USECS_PER_SEC,
        None => t,
    };
    let (f1, f2) = (
        Fields::of_timestamp(local(a)),
        Fields::of_timestamp(local(b)),
    );
    let mut fsec = i64::from(f1.micros) - i64::from(f2.micros);
    let mut sec = i64::from(f1.second) - i64::from(f2.second);
    let mut min = i64::from(f1.minute) - i64::from(f2.minute);
    let mut hour = i64::from(f1.hour) - i64::from(f2.hour);
    let mut mday = i64::from(f1.day) - i64::from(f2.day);
    let mut mon = i64::from(f1.month) - i64::from(f2.month);
    let mut year = i64::from(f1.year) - i64::from(f2.year);
    let flip = a < b;
    if flip {
        for v in [
            &mut fsec, &mut sec, &mut min, &mut hour, &mut mday, &mut mon, &mut year,
        ] {
            *v = -*v;
        }
    }
    while fsec < 0 {
        fsec += USECS_PER_SEC;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        mday -= 1;
    }
    while mday < 0 {
        let (y, m) = if flip {
            (f1.year, f1.month)
        } else {
            (f2.year, f2.month)
        };
        mday += i64::from(days_in_month(y, m));
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    if flip {
        for v in [
            &mut fsec, &mut sec, &mut min, &mut hour, &mut mday, &mut mon, &mut year,
        ] {
            *v = -*v;
        }
    }
    let months = year * 12 + mon;
    let time = hour * USECS_PER_HOUR + min * USECS_PER_MINUTE + sec * USECS_PER_SEC + fsec;
    Ok(Interval::new(
        i32::try_from(months).map_err(|_| interval_out_of_range())?,
        mday as i32,
        time,
    ))
}

/// A `date_trunc` / `extract` unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Microseconds,
    Milliseconds,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Decade,
    Century,
    Millennium,
    Epoch,
    Dow,
    IsoDow,
    Doy,
    IsoYear,
    Julian,
    Timezone,
    TimezoneHour,
    TimezoneMinute,
}

impl Unit {
    /// Parses a unit name as PostgreSQL does (case-insensitive, with plurals and
    /// abbreviations).
    pub fn parse(name: &str) -> Option<Unit> {
        use Unit::*;
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds"
            | "microsecon" => Microseconds,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds"
            | "millisecon" => Milliseconds,
            "second" | "seconds" | "s" | "sec" | "secs" => Second,
            "minute" | "minutes" | "m" | "min" | "mins" => Minute,
            "hour" | "hours" | "h" | "hr" | "hrs" => Hour,
            "day" | "days" | "d" => Day,
            "week" | "weeks" | "w" => Week,
            "month" | "months" | "mon" | "mons" => Month,
            "quarter" | "qtr" => Quarter,
            "year" | "years" | "y" | "yr" | "yrs" => Year,
            "decade" | "decades" | "dec" | "decs" => Decade,
            "century" | "centuries" | "c" | "cent" => Century,
            "millennium" | "millennia" | "mil" | "mils" => Millennium,
            "epoch" => Epoch,
            "dow" => Dow,
            "isodow" => IsoDow,
            "doy" => Doy,
            "isoyear" => IsoYear,
            "julian" | "j" => Julian,
            "timezone" => Timezone,
            "timezone_h" | "timezone_hour" => TimezoneHour,
            "timezone_m" | "timezone_minute" => TimezoneMinute,
            _ => return None,
        })
    }
}

fn not_recognized(name: &str, ty: &str) -> Error {
    Error::InvalidParameterValue(format!(
        "unit \"{}\" not recognized for type {ty}",
        name.trim().to_ascii_lowercase()
    ))
}

fn not_supported(name: &str, ty: &str) -> Error {
    Error::FeatureNotSupported(format!(
        "unit \"{}\" not supported for type {ty}",
        name.trim().to_ascii_lowercase()
    ))
}

/// The type name for messages about a timestamp (with a zone: a timestamptz).
fn timestamp_type(zone: Option<&Zone>) -> &'static str {
    if zone.is_some() {
        "timestamp with time zone"
    } else {
        "timestamp without time zone"
    }
}

/// Truncates the fields to `unit` (PostgreSQL's `timestamp_trunc` switch).
fn truncate_fields(f: &mut Fields, unit: Unit) -> bool {
    use Unit::*;
    let y = f.year;
    match unit {
        Millennium => {
            f.year = if y > 0 {
                ((y + 999) / 1000) * 1000 - 999
            } else {
                -((999 - (y - 1)) / 1000) * 1000 + 1
            }
        }
        Century => {
            f.year = if y > 0 {
                ((y + 99) / 100) * 100 - 99
            } else {
                -((99 - (y - 1)) / 100) * 100 + 1
            }
        }
        Decade => {
            f.year = if y > 0 {
                (y / 10) * 10
            } else {
                -((8 - (y - 1)) / 10) * 10
            }
        }
        Week => {
            let (iy, w) = iso_year_week(f.year, f.month, f.day);
            // Monday of ISO week w of year iy
            let day4 = date2j(iy, 1, 4);
            let monday = day4 - ((day4 + 1).rem_euclid(7) + 6) % 7 + 7 * (w as i32 - 1);
            let (yy, mm, dd) = j2date(monday);
            f.year = yy;
            f.month = mm;
            f.day = dd;
            f.set_time(0);
            return true;
        }
        Microseconds | Milliseconds | Second | Minute | Hour | Day | Month | Quarter | Year => {}
        _ => return false,
    }
    if matches!(unit, Millennium | Century | Decade | Year) {
        f.month = 1;
    }
    if unit == Quarter {
        f.month = 3 * ((f.month - 1) / 3) + 1;
    }
    if matches!(unit, Millennium | Century | Decade | Year | Quarter | Month) {
        f.day = 1;
    }
    if matches!(
        unit,
        Millennium | Century | Decade | Year | Quarter | Month | Day
    ) {
        f.hour = 0;
    }
    if matches!(
        unit,
        Millennium | Century | Decade | Year | Quarter | Month | Day | Hour
    ) {
        f.minute = 0;
    }
    if !matches!(unit, Microseconds | Milliseconds | Second) {
        f.second = 0;
    }
    match unit {
        Microseconds => {}
        Milliseconds => f.micros = f.micros / 1000 * 1000,
        _ => f.micros = 0,
    }
    true
}

/// `date_trunc(unit, ts)`; with `zone`, for a timestamptz in that zone.
pub fn truncate(unit_name: &str, ts: i64, zone: Option<&Zone>) -> Result<i64> {
    // PostgreSQL 15 returns an infinity before it reads the unit.
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    let ty = timestamp_type(zone);
    let unit = Unit::parse(unit_name).ok_or_else(|| not_recognized(unit_name, ty))?;
    let offset = zone.map_or(0, |z| z.offset_at(ts));
    let mut f = Fields::of_timestamp(ts + i64::from(offset) * USECS_PER_SEC);
    if !truncate_fields(&mut f, unit) {
        return Err(not_supported(unit_name, ty));
    }
    let local = f.timestamp()?;
    Ok(match zone {
        Some(z)
            if !matches!(
                unit,
                Unit::Hour | Unit::Minute | Unit::Second | Unit::Milliseconds | Unit::Microseconds
            ) =>
        {
            z.local_to_utc(local)
        }
        _ => local - i64::from(offset) * USECS_PER_SEC,
    })
}

/// `date_trunc(unit, interval)`.
pub fn truncate_interval(unit_name: &str, iv: &Interval) -> Result<Interval> {
    use Unit::*;
    let unit = Unit::parse(unit_name).ok_or_else(|| not_recognized(unit_name, "interval"))?;
    let (mut months, mut days, mut time) = (iv.months, iv.days, iv.micros);
    let keep_year = |m: i32, n: i32| (m / 12 / n) * 12 * n;
    match unit {
        Millennium => months = keep_year(months, 1000),
        Century => months = keep_year(months, 100),
        Decade => months = keep_year(months, 10),
        Year => months = keep_year(months, 1),
        Quarter => months = months / 12 * 12 + (months % 12) / 3 * 3,
        Month | Day | Hour | Minute | Second | Milliseconds | Microseconds => {}
        Week => return Err(not_supported(unit_name, "interval")),
        _ => return Err(not_supported(unit_name, "interval")),
    }
    if matches!(unit, Millennium | Century | Decade | Year | Quarter | Month) {
        days = 0;
    }
    let trunc_to = |t: i64, unit: i64| t / unit * unit;
    time = match unit {
        Microseconds => time,
        Milliseconds => trunc_to(time, 1000),
        Second => trunc_to(time, USECS_PER_SEC),
        Minute => trunc_to(time, USECS_PER_MINUTE),
        Hour => trunc_to(time, USECS_PER_HOUR),
        _ => 0,
    };
    Ok(Interval::new(months, days, time))
}

/// The value of `EXTRACT`: a numeric (`None` is SQL NULL, for fields of an infinite value
/// that do not grow with it).
pub type Extracted = Option<Numeric>;

fn int(v: i64) -> Extracted {
    Some(Numeric::from_i64(v))
}

/// `v / 10^scale` as a numeric with that scale.
fn scaled(v: i64, scale: i64) -> Extracted {
    Some(Numeric::new(v.into(), scale))
}

fn infinite_part(unit: Unit, positive: bool) -> Extracted {
    use Unit::*;
    match unit {
        Epoch | Year | Decade | Century | Millennium | Julian | IsoYear => Some(if positive {
            Numeric::Infinity
        } else {
            Numeric::NegInfinity
        }),
        _ => None,
    }
}

fn year_part(unit: Unit, year: i32) -> Option<i64> {
    let y = i64::from(year);
    Some(match unit {
        Unit::Year => {
            if y > 0 {
                y
            } else {
                y - 1
            }
        }
        Unit::Decade => {
            if y >= 0 {
                y / 10
            } else {
                -((8 - (y - 1)) / 10)
            }
        }
        Unit::Century => {
            if y > 0 {
                (y + 99) / 100
            } else {
                -((99 - (y - 1)) / 100)
            }
        }
        Unit::Millennium => {
            if y > 0 {
                (y + 999) / 1000
            } else {
                -((999 - (y - 1)) / 1000)
            }
        }
        _ => return None,
    })
}

fn date_field(unit: Unit, f: &Fields) -> Option<i64> {
    use Unit::*;
    if let Some(v) = year_part(unit, f.year) {
        return Some(v);
    }
    Some(match unit {
        Day => i64::from(f.day),
        Month => i64::from(f.month),
        Quarter => i64::from((f.month - 1) / 3 + 1),
        Week => i64::from(iso_year_week(f.year, f.month, f.day).1),
        Dow => i64::from(f.dow()),
        IsoDow => {
            let d = f.dow();
            i64::from(if d == 0 { 7 } else { d })
        }
        Doy => i64::from(f.doy()),
        IsoYear => {
            let y = i64::from(iso_year_week(f.year, f.month, f.day).0);
            if y <= 0 { y - 1 } else { y }
        }
        _ => return None,
    })
}

/// `EXTRACT(unit FROM timestamp)`; with `zone`, from a timestamptz shown in that zone.
pub fn extract_timestamp(unit_name: &str, ts: i64, zone: Option<&Zone>) -> Result<Extracted> {
    use Unit::*;
    let ty = timestamp_type(zone);
    let unit = Unit::parse(unit_name).ok_or_else(|| not_recognized(unit_name, ty))?;
    if zone.is_none() && matches!(unit, Timezone | TimezoneHour | TimezoneMinute) {
        return Err(not_supported(unit_name, ty));
    }
    if !is_finite_ts(ts) {
        return Ok(infinite_part(unit, ts == TS_INFINITY));
    }
    let offset = zone.map_or(0, |z| z.offset_at(ts));
    let f = Fields::of_timestamp(ts + i64::from(offset) * USECS_PER_SEC);
    let secs = i64::from(f.second) * USECS_PER_SEC + i64::from(f.micros);
    Ok(match unit {
        Microseconds => int(secs),
        Milliseconds => scaled(secs, 3),
        Second => scaled(secs, 6),
        Minute => int(i64::from(f.minute)),
        Hour => int(i64::from(f.hour)),
        Epoch => {
            let unix = i128::from(ts) + i128::from(super::UNIX_TO_PG_DAYS * USECS_PER_DAY);
            Some(Numeric::new(unix.into(), 6))
        }
        Julian => {
            let day = Numeric::from_i64(i64::from(date2j(f.year, f.month as i32, f.day as i32)));
            let frac = Numeric::from_i64(f.time()).div(&Numeric::from_i64(USECS_PER_DAY))?;
            Some(day.add(&frac)?)
        }
        Timezone => int(i64::from(offset)),
        TimezoneHour => int(i64::from(offset / 3600)),
        TimezoneMinute => int(i64::from(offset / 60 % 60)),
        _ => match date_field(unit, &f) {
            Some(v) => int(v),
            None => return Err(not_supported(unit_name, ty)),
        },
    })
}

/// `EXTRACT(unit FROM date)`.
pub fn extract_date(unit_name: &str, d: i32) -> Result<Extracted> {
    use Unit::*;
    let unit = Unit::parse(unit_name).ok_or_else(|| not_recognized(unit_name, "date"))?;
    if matches!(
        unit,
        Microseconds
            | Milliseconds
            | Second
            | Minute
            | Hour
            | Timezone
            | TimezoneHour
            | TimezoneMinute
    ) {
        return Err(not_supported(unit_name, "date"));
    }
    if !super::is_finite_date(d) {
        return Ok(infinite_part(unit, d > 0));
    }
    let f = Fields::of_date(d);
    Ok(match unit {
        Epoch => int((i64::from(d) + super::UNIX_TO_PG_DAYS) * 86_400),
        Julian => int(i64::from(d) + i64::from(super::POSTGRES_EPOCH_JDATE)),
        _ => int(date_field(unit, &f).ok_or_else(|| not_supported(unit_name, "date"))?),
    })
}

/// `EXTRACT(unit FROM time)`.
pub fn extract_time(unit_name: &str, t: i64) -> Result<Extracted> {
    use Unit::*;
    let ty = "time without time zone";
    let unit = Unit::parse(unit_name).ok_or_else(|| not_recognized(unit_name, ty))?;
    let secs = t % USECS_PER_MINUTE;
    Ok(match unit {
        Microseconds => int(secs),
        Milliseconds => scaled(secs, 3),
        Second => scaled(secs, 6),
        Minute => int(t / USECS_PER_MINUTE % 60),
        Hour => int(t / USECS_PER_HOUR),
        Epoch => scaled(t, 6),
        _ => return Err(not_supported(unit_name, ty)),
    })
}

/// `EXTRACT(unit FROM interval)`.
pub fn extract_interval(unit_name: &str, iv: &Interval) -> Result<Extracted> {
    use Unit::*;
    let unit = Unit::parse(unit_name).ok_or_else(|| not_recognized(unit_name, "interval"))?;
    let secs = iv.micros % USECS_PER_MINUTE;
    let year = i64::from(iv.months / 12);
    Ok(match unit {
        Microseconds => int(secs),
        Milliseconds => scaled(secs, 3),
        Second => scaled(secs, 6),
        Minute => int(iv.micros / USECS_PER_MINUTE % 60),
        Hour => int(iv.micros / USECS_PER_HOUR),
        Day => int(i64::from(iv.days)),
        Month => int(i64::from(iv.months % 12)),
        Quarter => int(i64::from(iv.months % 12 / 3 + 1)),
        Year => int(year),
        Decade => int(year / 10),
        Century => int(year / 100),
        Millennium => int(year / 1000),
        Epoch => {
            let m = i128::from(iv.months);
            let secs_from_day_month =
                (1461 * (m / 12) + 120 * (m % 12) + 4 * i128::from(iv.days)) * (86_400 / 4);
            let v = secs_from_day_month * 1_000_000 + i128::from(iv.micros);
            Some(Numeric::new(v.into(), 6))
        }
        _ => return Err(not_supported(unit_name, "interval")),
    })
}

/// `date + days`.
pub fn date_add_days(d: i32, days: i64) -> Result<i32> {
    if !super::is_finite_date(d) {
        return Ok(d);
    }
    let r = i64::from(d) + days;
    if super::date_in_range(r) {
        Ok(r as i32)
    } else {
        Err(super::date_out_of_range())
    }
}

/// A date as a timestamp at midnight.
pub fn date_to_timestamp(d: i32) -> Result<i64> {
    match d {
        super::DATE_INFINITY => Ok(TS_INFINITY),
        super::DATE_NEG_INFINITY => Ok(TS_NEG_INFINITY),
        _ => i64::from(d)
            .checked_mul(USECS_PER_DAY)
            .and_then(|t| check_timestamp(t).ok())
            .ok_or_else(|| {
                crate::Error::DatetimeFieldOverflow("date out of range for timestamp".into())
            }),
    }
}

/// The date of a timestamp (its local date for a timestamptz given the zone).
pub fn timestamp_to_date(ts: i64) -> Result<i32> {
    match ts {
        TS_INFINITY => Ok(super::DATE_INFINITY),
        TS_NEG_INFINITY => Ok(super::DATE_NEG_INFINITY),
        _ => Ok(ts.div_euclid(USECS_PER_DAY) as i32),
    }
}

/// A timestamp (local time) in `zone` → timestamptz.
pub fn timestamp_to_tz(ts: i64, zone: &Zone) -> Result<i64> {
    check_timestamp(zone.local_to_utc(ts))
}

/// A timestamptz → its local time in `zone`.
pub fn tz_to_timestamp(ts: i64, zone: &Zone) -> Result<i64> {
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    check_timestamp(ts + i64::from(zone.offset_at(ts)) * USECS_PER_SEC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::{format, parse};

    fn ts(s: &str) -> i64 {
        parse::timestamp(s).unwrap()
    }

    fn iv(s: &str) -> Interval {
        Interval::parse(s).unwrap()
    }

    #[test]
    fn interval_arithmetic_on_the_calendar() {
        let add = |t, i| format::timestamp(add_interval(ts(t), &iv(i), None).unwrap());
        assert_eq!(add("2020-01-31", "1 month"), "2020-02-29 00:00:00");
        assert_eq!(
            add("2020-01-31 10:00", "1 mon 1 day 1 hour"),
            "2020-03-01 11:00:00"
        );
        assert_eq!(add("2020-03-31", "-1 month"), "2020-02-29 00:00:00");
        assert_eq!(add("2020-12-15", "13 months"), "2022-01-15 00:00:00");
        let ny = Zone::parse("America/New_York").unwrap();
        let before = parse::timestamptz("2020-03-07 12:00-05").unwrap();
        let day = add_interval(before, &iv("1 day"), Some(&ny)).unwrap();
        assert_eq!(format::timestamptz(day, &ny), "2020-03-08 12:00:00-04");
        let hours = add_interval(before, &iv("24 hours"), Some(&ny)).unwrap();
        assert_eq!(format::timestamptz(hours, &ny), "2020-03-08 13:00:00-04");
        assert_eq!(
            diff(ts("2020-01-02 03:00"), ts("2020-01-01"))
                .unwrap()
                .to_string(),
            "1 day 03:00:00"
        );
        assert_eq!(
            age(ts("2020-03-01"), ts("2019-01-31"), None)
                .unwrap()
                .to_string(),
            "1 year 1 mon 1 day"
        );
        assert_eq!(
            age(ts("2019-01-31"), ts("2020-03-01"), None)
                .unwrap()
                .to_string(),
            "-1 years -1 mons -1 days"
        );
    }

    #[test]
    fn trunc_and_extract() {
        let tr = |u, t| format::timestamp(truncate(u, ts(t), None).unwrap());
        assert_eq!(tr("month", "2020-05-17 10:11:12"), "2020-05-01 00:00:00");
        assert_eq!(tr("quarter", "2020-05-17"), "2020-04-01 00:00:00");
        assert_eq!(tr("week", "2021-01-03"), "2020-12-28 00:00:00");
        assert_eq!(tr("hour", "2020-05-17 10:11:12"), "2020-05-17 10:00:00");
        assert_eq!(tr("decade", "2019-05-17"), "2010-01-01 00:00:00");
        assert_eq!(tr("century", "2000-05-17"), "1901-01-01 00:00:00");
        assert_eq!(
            tr("milliseconds", "2020-01-01 00:00:01.23456"),
            "2020-01-01 00:00:01.234"
        );
        assert_eq!(truncate("foo", 0, None).unwrap_err().code(), "22023");
        let ex = |u, t| {
            extract_timestamp(u, ts(t), None)
                .unwrap()
                .unwrap()
                .to_string()
        };
        assert_eq!(ex("epoch", "2020-01-01 00:00:01.5"), "1577836801.500000");
        assert_eq!(ex("second", "2020-01-01 00:00:01.5"), "1.500000");
        assert_eq!(ex("milliseconds", "2020-01-01 00:00:01.5"), "1500.000");
        assert_eq!(
            ex("julian", "2020-01-01 12:00"),
            "2458850.50000000000000000000"
        );
        assert_eq!(ex("dow", "2020-01-01"), "3");
        assert_eq!(ex("isoyear", "2021-01-03"), "2020");
        assert_eq!(
            extract_date("epoch", 7305).unwrap().unwrap().to_string(),
            "1577836800"
        );
        assert_eq!(extract_date("hour", 0).unwrap_err().code(), "0A000");
        let e = extract_interval("epoch", &iv("1 mon")).unwrap().unwrap();
        assert_eq!(e.to_string(), "2592000.000000");
        let e = extract_interval("epoch", &iv("1 year")).unwrap().unwrap();
        assert_eq!(e.to_string(), "31557600.000000");
        assert!(
            extract_timestamp("dow", TS_INFINITY, None)
                .unwrap()
                .is_none()
        );
    }
}
