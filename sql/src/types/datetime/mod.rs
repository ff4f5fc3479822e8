//! `date`, `time`, `timestamp`, `timestamptz` and `interval`, represented as PostgreSQL does:
//!
//! | type          | [`Value`](crate::Value)      | meaning                                         |
//! |---------------|------------------------------|-------------------------------------------------|
//! | `date`        | `Date(i32)`                  | days since 2000-01-01                           |
//! | `time`        | `Time(i64)`                  | microseconds since midnight, `0..=24:00:00`     |
//! | `timestamp`   | `Timestamp(i64)`             | microseconds since 2000-01-01 00:00 (local)     |
//! | `timestamptz` | `Timestamptz(i64)`           | microseconds since 2000-01-01 00:00 UTC         |
//! | `interval`    | `Interval(Interval)`         | months, days and microseconds, kept apart       |
//! | `timetz`      | `TimeTz(i64, i32)`           | time of day and seconds west of UTC ([`timetz`])|
//!
//! `±infinity` are `i32::MIN/MAX` for dates and `i64::MIN/MAX` for timestamps (PostgreSQL's
//! `DT_NOBEGIN`/`DT_NOEND`), so they sort below/above every finite value. Dates run from
//! 4714-11-24 BC to 5874897 AD, timestamps to 294276 AD ("date out of range" /
//! "timestamp out of range", 22008). Years are astronomical inside (0 is 1 BC) and shown
//! with ` BC` outside.
//!
//! The calendar arithmetic is PostgreSQL's own (`date2j`/`j2date`, proleptic Gregorian);
//! time zone rules come from `jiff` ([`zone`]). Submodules: [`parse`] (input), [`format`]
//! (ISO output, DateStyle `ISO, MDY`), [`interval`] (interval input/output/arithmetic),
//! [`arith`] (timestamp ± interval, differences, `age`, truncation, fields).

pub mod arith;
pub mod decode;
pub mod decode_fields;
pub mod format;
pub mod interval;
pub mod interval_decode;
pub mod interval_iso;
pub mod interval_style;
pub mod parse;
pub mod split;
pub mod style;
pub mod timetz;
pub mod tokens;
pub mod zone;

pub use interval::Interval;

use crate::{Error, Result};

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
pub const USECS_PER_HOUR: i64 = 60 * USECS_PER_MINUTE;
pub const USECS_PER_DAY: i64 = 24 * USECS_PER_HOUR;
/// Julian day of 2000-01-01, PostgreSQL's epoch.
pub const POSTGRES_EPOCH_JDATE: i32 = 2_451_545;
/// Julian day of 1970-01-01.
pub const UNIX_EPOCH_JDATE: i32 = 2_440_588;
/// Days between the Unix and PostgreSQL epochs.
pub const UNIX_TO_PG_DAYS: i64 = (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i64;

pub const DATE_NEG_INFINITY: i32 = i32::MIN;
pub const DATE_INFINITY: i32 = i32::MAX;
pub const TS_NEG_INFINITY: i64 = i64::MIN;
pub const TS_INFINITY: i64 = i64::MAX;

/// The first valid Julian day (4714-11-24 BC).
const MIN_JULIAN: i32 = 0;
/// One past the last valid Julian day for dates (5874898-01-01).
const DATE_END_JULIAN: i32 = 2_147_483_494;
/// The first valid timestamp (4714-11-24 BC 00:00).
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// One past the last valid timestamp (294277-01-01 00:00).
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;

pub fn date_out_of_range() -> Error {
    Error::DatetimeFieldOverflow("date out of range".into())
}

pub fn timestamp_out_of_range() -> Error {
    Error::DatetimeFieldOverflow("timestamp out of range".into())
}

/// Whether `d` (days since 2000-01-01) is a finite date in range.
pub fn date_in_range(d: i64) -> bool {
    let jd = d + i64::from(POSTGRES_EPOCH_JDATE);
    (i64::from(MIN_JULIAN)..i64::from(DATE_END_JULIAN)).contains(&jd)
}

/// Checks a finite date (or passes an infinity through).
pub fn check_date(d: i64) -> Result<i32> {
    if d == i64::from(DATE_INFINITY) || d == i64::from(DATE_NEG_INFINITY) || date_in_range(d) {
        Ok(d as i32)
    } else {
        Err(date_out_of_range())
    }
}

/// Checks a finite timestamp (or passes an infinity through).
pub fn check_timestamp(t: i64) -> Result<i64> {
    if t == TS_INFINITY || t == TS_NEG_INFINITY || (MIN_TIMESTAMP..END_TIMESTAMP).contains(&t) {
        Ok(t)
    } else {
        Err(timestamp_out_of_range())
    }
}

pub fn is_finite_ts(t: i64) -> bool {
    t != TS_INFINITY && t != TS_NEG_INFINITY
}

pub fn is_finite_date(d: i32) -> bool {
    d != DATE_INFINITY && d != DATE_NEG_INFINITY
}

/// PostgreSQL's `date2j`: the Julian day of an (astronomical) year, month and day.
pub fn date2j(year: i32, month: i32, day: i32) -> i32 {
    let (mut y, mut m) = (i64::from(year), i64::from(month));
    if m > 2 {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    let century = y / 100;
    let mut julian = y * 365 - 32167;
    julian += y / 4 - century + century / 4;
    julian += 7834 * m / 256 + i64::from(day);
    julian as i32
}

/// PostgreSQL's `j2date`: the year, month and day of a Julian day (>= 0).
pub fn j2date(jd: i32) -> (i32, u32, u32) {
    let mut julian = (jd as u32).wrapping_add(32044) as u64;
    let quad = julian / 146_097;
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146_097;
    let quad = julian / 1461;
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 {
        (julian + 305) % 365
    } else {
        (julian + 306) % 366
    } + 123;
    y += quad * 4;
    let year = y as i64 - 4800;
    let quad = julian * 2141 / 65536;
    let day = julian - 7834 * quad / 256;
    let month = (quad + 10) % 12 + 1;
    (year as i32, month as u32, day as u32)
}

pub fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(year) {
                29
            } else {
                28
            }
        }
    }
}

/// The broken-down fields of a date or timestamp (PostgreSQL's `struct pg_tm` + fsec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields {
    /// Astronomical year: 0 is 1 BC.
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

impl Fields {
    /// Days since 2000-01-01 of the date part.
    pub fn days(&self) -> i64 {
        i64::from(date2j(self.year, self.month as i32, self.day as i32))
            - i64::from(POSTGRES_EPOCH_JDATE)
    }

    /// Microseconds since midnight of the time part.
    pub fn time(&self) -> i64 {
        i64::from(self.hour) * USECS_PER_HOUR
            + i64::from(self.minute) * USECS_PER_MINUTE
            + i64::from(self.second) * USECS_PER_SEC
            + i64::from(self.micros)
    }

    /// The timestamp (checked against the valid range).
    pub fn timestamp(&self) -> Result<i64> {
        self.days()
            .checked_mul(USECS_PER_DAY)
            .and_then(|d| d.checked_add(self.time()))
            .ok_or_else(timestamp_out_of_range)
            .and_then(check_timestamp)
    }

    /// Fields of a date (days since 2000-01-01), time zeroed.
    pub fn of_date(days: i32) -> Fields {
        let (year, month, day) = j2date(days.wrapping_add(POSTGRES_EPOCH_JDATE));
        Fields {
            year,
            month,
            day,
            ..Fields::default()
        }
    }

    /// Fields of a finite timestamp.
    pub fn of_timestamp(ts: i64) -> Fields {
        let days = ts.div_euclid(USECS_PER_DAY);
        let time = ts.rem_euclid(USECS_PER_DAY);
        let mut f = Fields::of_date(days as i32);
        f.set_time(time);
        f
    }

    pub fn set_time(&mut self, time: i64) {
        self.hour = (time / USECS_PER_HOUR) as u32;
        self.minute = (time / USECS_PER_MINUTE % 60) as u32;
        self.second = (time / USECS_PER_SEC % 60) as u32;
        self.micros = (time % USECS_PER_SEC) as u32;
    }

    /// Day of the week, 0 = Sunday.
    pub fn dow(&self) -> u32 {
        ((date2j(self.year, self.month as i32, self.day as i32) + 1).rem_euclid(7)) as u32
    }

    /// Day of the year, 1-based.
    pub fn doy(&self) -> u32 {
        (date2j(self.year, self.month as i32, self.day as i32) - date2j(self.year, 1, 1) + 1) as u32
    }
}

/// The current time from the system clock, in PostgreSQL microseconds.
pub fn clock_now() -> i64 {
    from_system_time(std::time::SystemTime::now())
}

/// A system time in PostgreSQL microseconds (since 2000-01-01 00:00 UTC).
pub fn from_system_time(t: std::time::SystemTime) -> i64 {
    let unix = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    };
    unix - UNIX_TO_PG_DAYS * USECS_PER_DAY
}

/// ISO 8601 week-numbering year and week of a date (PostgreSQL's `date2isoyear` and
/// `date2isoweek`).
pub fn iso_year_week(year: i32, month: u32, day: u32) -> (i32, u32) {
    let dayn = date2j(year, month as i32, day as i32);
    let iso_start = |y: i32| -> i32 {
        // Julian day of the Monday of week 1 of ISO year y
        let day4 = date2j(y, 1, 4);
        let day0 = (day4 + 1).rem_euclid(7); // 0 = Sunday
        day4 - (day0 + 6) % 7
    };
    let mut y = year;
    let mut start = iso_start(y);
    if dayn < start {
        y -= 1;
        start = iso_start(y);
    } else {
        let next = iso_start(y + 1);
        if dayn >= next {
            y += 1;
            start = next;
        }
    }
    (y, ((dayn - start) / 7 + 1) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn julian_days_round_trip() {
        assert_eq!(date2j(2000, 1, 1), POSTGRES_EPOCH_JDATE);
        assert_eq!(date2j(1970, 1, 1), UNIX_EPOCH_JDATE);
        assert_eq!(date2j(-4713, 11, 24), 0);
        for jd in [
            0,
            1,
            1_721_426,
            2_451_545,
            2_459_000,
            109_203_527,
            2_147_483_493,
        ] {
            let (y, m, d) = j2date(jd);
            assert_eq!(date2j(y, m as i32, d as i32), jd, "{jd}");
        }
        let f = Fields::of_timestamp(-1);
        assert_eq!(
            (f.year, f.month, f.day, f.hour, f.micros),
            (1999, 12, 31, 23, 999_999)
        );
        assert_eq!(Fields::of_date(0).dow(), 6); // 2000-01-01 was a Saturday
        assert_eq!(iso_year_week(2021, 1, 3), (2020, 53));
        assert_eq!(iso_year_week(2020, 12, 31), (2020, 53));
        assert_eq!(iso_year_week(2019, 12, 30), (2020, 1));
    }
}
