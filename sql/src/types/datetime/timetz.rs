//! `time with time zone` (`timetz`): a time of day and a fixed UTC offset, as PostgreSQL
//! keeps it — `Value::TimeTz(micros, zone)` with `zone` in seconds *west* of UTC
//! (`12:00+02` has zone -7200), the layout of its binary format.
//!
//! * Input: a time with an optional zone (`+02`, `-08:30`, an abbreviation, or a zone name
//!   when a date is written too, whose DST rules need it). Without a zone, the session's
//!   `TimeZone` at that time today (or on the date written).
//! * Output: the time, then the offset (`12:00:00+02`, `04:05:06-08:30`).
//! * Order ([`cmp`]): by the UTC instant (`time + zone`), then by zone, so `12:00+02` and
//!   `11:00+01` differ though they name the same instant (`timetz_cmp`).
//! * Casts: from `time` (the session zone's offset today), from `timestamptz` (its local
//!   time and offset in the session zone), to `time` (the zone dropped).

use std::cmp::Ordering;

use super::parse;
use super::{USECS_PER_DAY, USECS_PER_SEC};
use crate::{Error, Result};

const TYPE: &str = "time with time zone";

/// PostgreSQL's `TZDISP_LIMIT`: offsets stay within ±16 hours (exclusive).
const TZDISP_LIMIT: i32 = 16 * 3600;

/// `timetz_cmp`: see the module docs.
pub fn cmp(a: (i64, i32), b: (i64, i32)) -> Ordering {
    let utc = |(t, z): (i64, i32)| t.wrapping_add(i64::from(z) * USECS_PER_SEC);
    utc(a).cmp(&utc(b)).then(a.1.cmp(&b.1))
}

/// The text output: `HH:MM:SS[.ffffff]` and the offset east of UTC.
pub fn format(time: i64, zone: i32) -> String {
    format!(
        "{}{}",
        super::format::time(time),
        super::zone::offset_text(-zone)
    )
}

/// The session's local time now (microseconds since 2000-01-01, local).
fn local_now() -> i64 {
    let env = crate::env::current();
    env.transaction_start
        + i64::from(env.time_zone.offset_at(env.transaction_start)) * USECS_PER_SEC
}

/// The session zone's offset (seconds west) for time of day `time` on local day `day`
/// (days since 2000-01-01), PostgreSQL's `DetermineTimeZoneOffset`.
fn session_zone(day: i64, time: i64) -> i32 {
    let env = crate::env::current();
    -env.time_zone.local_offset(day * USECS_PER_DAY + time)
}

/// `time` → `timetz`: the session zone's offset at that time today.
pub fn from_time(time: i64) -> (i64, i32) {
    (
        time,
        session_zone(local_now().div_euclid(USECS_PER_DAY), time),
    )
}

/// `timestamptz` → `timetz`: the local time and offset in the session zone.
pub fn from_timestamptz(ts: i64) -> Result<(i64, i32)> {
    if !super::is_finite_ts(ts) {
        return Err(super::timestamp_out_of_range());
    }
    let env = crate::env::current();
    let east = env.time_zone.offset_at(ts);
    let local = ts + i64::from(east) * USECS_PER_SEC;
    Ok((local.rem_euclid(USECS_PER_DAY), -east))
}

/// The input function (`timetz_in`: PostgreSQL's `DecodeTimeOnly`).
pub fn parse(s: &str) -> Result<(i64, i32)> {
    let d = parse::decode_time_only(s, TYPE)?;
    let zone = d.tz;
    if zone <= -TZDISP_LIMIT || zone >= TZDISP_LIMIT {
        return Err(Error::InvalidTimeZoneDisplacement(
            "time zone displacement out of range".into(),
        ));
    }
    Ok((d.tm.time_of_day(), zone))
}

/// Checks a received value (`timetz_recv`).
pub fn check(time: i64, zone: i32) -> Result<(i64, i32)> {
    if !(0..=USECS_PER_DAY).contains(&time) {
        return Err(Error::DatetimeFieldOverflow("time out of range".into()));
    }
    if zone <= -TZDISP_LIMIT || zone >= TZDISP_LIMIT {
        return Err(Error::InvalidTimeZoneDisplacement(
            "time zone displacement out of range".into(),
        ));
    }
    Ok((time, zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_and_output_follow_postgresql() {
        assert_eq!(
            parse("12:34:56+02").map(|(t, z)| format(t, z)).unwrap(),
            "12:34:56+02"
        );
        assert_eq!(
            parse("04:05:06.5-08:30")
                .map(|(t, z)| format(t, z))
                .unwrap(),
            "04:05:06.5-08:30"
        );
        assert!(parse("12:00 America/New_York").is_err());
        assert!(parse("x").is_err());
    }

    #[test]
    fn order_is_by_instant_then_zone() {
        let a = parse("12:00+02").unwrap();
        let b = parse("11:00+01").unwrap();
        let c = parse("11:30+00").unwrap();
        assert_eq!(cmp(a, b), Ordering::Less);
        assert_eq!(cmp(b, c), Ordering::Less);
        assert_eq!(cmp(a, a), Ordering::Equal);
    }
}
