//! `to_date(text, text)` and `to_timestamp(text, text)`: a port of PostgreSQL 15's
//! `do_to_timestamp` and the two functions' tails (`formatting.c`).
//!
//! The template is parsed by [`super::dch_template`] and the input read by
//! [`super::from_char`]; this module turns the fields read into a date:
//!
//! * `SSSS` gives the time of day, then `SS`, `MI`, `HH` override it; with a 12-hour field
//!   (`HH`, `HH12`, `AM`…) the hour must be 1..12 and `PM` adds 12;
//! * the year: `CC` with a two-digit `YY` picks the year in that century, `CC` alone its first
//!   year, `BC` negates (PostgreSQL's year 0 is 1 BC), `J` sets the whole date;
//! * ISO week dates (`IYYY`, `IW`, `ID`, `IDDD`) and Gregorian week (`WW`, `W`) and day of
//!   year (`DDD`) fill in the month and day;
//! * `ValidateDate`'s checks (22008 `date/time field value out of range: "input"`), the time
//!   range, the `TZH:TZM` displacement (22009), then the Julian and timestamp ranges.

use super::dch_template;
use super::from_char::{TmFromChar, from_char};
use super::to_char::isoweek2j;
use crate::types::datetime::{
    self, MIN_TIMESTAMP, POSTGRES_EPOCH_JDATE, USECS_PER_DAY, USECS_PER_SEC, zone::Zone,
};
use crate::{Error, Result};

/// A `struct pg_tm` and its fraction, as `do_to_timestamp` leaves them.
#[derive(Debug)]
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
    /// `FFn`'s n (0 when not given).
    fprec: i32,
    /// The `TZH:TZM` offset east of UTC in seconds, when given.
    east: Option<i32>,
}

const YEAR: u8 = 1;
const MONTH: u8 = 2;
const DAY: u8 = 4;
const DATE: u8 = YEAR | MONTH | DAY;

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, mon: i64) -> i64 {
    match mon {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn j2date(j: i64) -> (i64, i64, i64) {
    let (y, m, d) = datetime::j2date(j as i32);
    (i64::from(y), i64::from(m), i64::from(d))
}

/// PostgreSQL's `IS_VALID_JULIAN`.
fn valid_julian(y: i64, m: i64) -> bool {
    (y > -4713 || (y == -4713 && m >= 11)) && (y < 5_874_898 || (y == 5_874_898 && m < 6))
}

fn field_overflow(input: &str) -> Error {
    Error::DatetimeFieldOverflow(format!("date/time field value out of range: \"{input}\""))
}

/// `do_to_timestamp`: the fields `input` gives when read as `fmt`.
fn do_to_timestamp(input: &str, fmt: &str) -> Result<Tm> {
    let nodes = dch_template::parse(fmt);
    let mut t: TmFromChar = from_char(&nodes, input)?;
    let mut tm = Tm {
        year: 0,
        mon: 1,
        mday: 1,
        hour: 0,
        min: 0,
        sec: 0,
        fsec: 0,
        fprec: 0,
        east: None,
    };
    let mut fmask = 0u8;
    if t.ssss != 0 {
        let x = i64::from(t.ssss);
        tm.hour = x / 3600;
        tm.min = x % 3600 / 60;
        tm.sec = x % 60;
    }
    if t.ss != 0 {
        tm.sec = t.ss.into();
    }
    if t.mi != 0 {
        tm.min = t.mi.into();
    }
    if t.hh != 0 {
        tm.hour = t.hh.into();
    }
    if t.clock_12 {
        if !(1..=12).contains(&tm.hour) {
            return Err(Error::WithHint {
                error: Box::new(Error::InvalidDatetimeFormat(format!(
                    "hour \"{}\" is invalid for the 12-hour clock",
                    tm.hour
                ))),
                hint: "Use the 24-hour clock, or give an hour between 1 and 12.".into(),
            });
        }
        if t.pm != 0 && tm.hour < 12 {
            tm.hour += 12;
        } else if t.pm == 0 && tm.hour == 12 {
            tm.hour = 0;
        }
    }
    let mut cc = i64::from(t.cc);
    if t.year != 0 {
        let year = i64::from(t.year);
        if cc != 0 && t.yysz <= 2 {
            // YY within century CC: the 21st century runs 2001-2100, the 6th BC 600-501 BC
            if t.bc != 0 {
                cc = -cc;
            }
            tm.year = year % 100;
            if tm.year != 0 {
                if cc >= 0 {
                    tm.year += (cc - 1) * 100;
                } else {
                    tm.year = (cc + 1) * 100 - tm.year + 1;
                }
            } else {
                tm.year = cc * 100 + if cc >= 0 { 0 } else { 1 };
            }
        } else {
            tm.year = if t.bc != 0 { -year } else { year };
            if tm.year < 0 {
                tm.year += 1;
            }
        }
        fmask |= YEAR;
    } else if cc != 0 {
        if t.bc != 0 {
            cc = -cc;
        }
        tm.year = if cc >= 0 {
            (cc - 1) * 100 + 1
        } else {
            cc * 100 + 1
        };
        fmask |= YEAR;
    }
    if t.j != 0 {
        (tm.year, tm.mon, tm.mday) = j2date(t.j.into());
        fmask |= DATE;
    }
    if t.ww != 0 {
        if t.mode == dch_template::Mode::IsoWeek {
            let mut j = isoweek2j(tm.year, t.ww.into());
            // the week starts on Monday; `d` counts from Sunday = 1
            if t.d != 0 {
                j += if t.d > 1 { i64::from(t.d) - 2 } else { 6 };
            }
            (tm.year, tm.mon, tm.mday) = j2date(j);
            fmask |= DATE;
        } else {
            t.ddd = t.ww.wrapping_sub(1).wrapping_mul(7).wrapping_add(1);
        }
    }
    if t.w != 0 {
        t.dd = t.w.wrapping_sub(1).wrapping_mul(7).wrapping_add(1);
    }
    if t.dd != 0 {
        tm.mday = t.dd.into();
        fmask |= DAY;
    }
    if t.mm != 0 {
        tm.mon = t.mm.into();
        fmask |= MONTH;
    }
    if t.ddd != 0 && (tm.mon <= 1 || tm.mday <= 1) {
        if tm.year == 0 && t.bc == 0 {
            return Err(Error::InvalidDatetimeFormat(
                "cannot calculate day of year without year information".into(),
            ));
        }
        let ddd = i64::from(t.ddd);
        if t.mode == dch_template::Mode::IsoWeek {
            let j0 = isoweek2j(tm.year, 1) - 1;
            (tm.year, tm.mon, tm.mday) = j2date(j0 + ddd);
            fmask |= DATE;
        } else {
            let leap = usize::from(is_leap(tm.year));
            const YSUM: [[i64; 13]; 2] = [
                [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365],
                [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366],
            ];
            let y = &YSUM[leap];
            let i = (1..=12).find(|&i| ddd <= y[i]).unwrap_or(13);
            if tm.mon <= 1 {
                tm.mon = i as i64;
            }
            if tm.mday <= 1 {
                tm.mday = ddd - y[i - 1];
            }
            fmask |= MONTH | DAY;
        }
    }
    tm.fsec = i64::from(t.ms) * 1000 + i64::from(t.us);
    tm.fprec = t.ff;
    // ValidateDate, with the year already final
    if fmask != 0 {
        let bad = (fmask & MONTH != 0 && !(1..=12).contains(&tm.mon))
            || (fmask & DAY != 0 && !(1..=31).contains(&tm.mday))
            || (fmask & DATE == DATE && tm.mday > days_in_month(tm.year, tm.mon));
        if bad {
            return Err(field_overflow(input));
        }
    }
    if !(0..24).contains(&tm.hour)
        || !(0..60).contains(&tm.min)
        || !(0..60).contains(&tm.sec)
        || !(0..USECS_PER_SEC).contains(&tm.fsec)
    {
        return Err(field_overflow(input));
    }
    if t.tzsign != 0 {
        if !(0..=15).contains(&t.tzh) || !(0..60).contains(&t.tzm) {
            return Err(Error::InvalidTimeZoneDisplacement(format!(
                "time zone displacement out of range: \"{input}\""
            )));
        }
        tm.east = Some(t.tzsign * (t.tzh * 3600 + t.tzm * 60));
    }
    Ok(tm)
}

/// The Julian day of a date in the Julian range.
fn julian(tm: &Tm) -> i64 {
    i64::from(datetime::date2j(
        tm.year as i32,
        tm.mon as i32,
        tm.mday as i32,
    ))
}

/// `to_date(input, fmt)`: days since 2000-01-01.
pub fn to_date(input: &str, fmt: &str) -> Result<i32> {
    let tm = do_to_timestamp(input, fmt)?;
    let out_of_range = || Error::DatetimeFieldOverflow(format!("date out of range: \"{input}\""));
    if !valid_julian(tm.year, tm.mon) {
        return Err(out_of_range());
    }
    let days = julian(&tm) - i64::from(POSTGRES_EPOCH_JDATE);
    if !(-i64::from(POSTGRES_EPOCH_JDATE)..2_147_483_494 - i64::from(POSTGRES_EPOCH_JDATE))
        .contains(&days)
    {
        return Err(out_of_range());
    }
    Ok(days as i32)
}

/// `to_timestamp(input, fmt)`: a timestamptz; the local time is in `zone` unless the input
/// gave `TZH`/`TZM`. `FFn` rounds the result to n fractional digits.
pub fn to_timestamp(input: &str, fmt: &str, zone: &Zone) -> Result<i64> {
    let tm = do_to_timestamp(input, fmt)?;
    if !valid_julian(tm.year, tm.mon) {
        return Err(datetime::timestamp_out_of_range());
    }
    let date = julian(&tm) - i64::from(POSTGRES_EPOCH_JDATE);
    let time = ((tm.hour * 60 + tm.min) * 60 + tm.sec) * USECS_PER_SEC + tm.fsec;
    let local = date
        .checked_mul(USECS_PER_DAY)
        .and_then(|d| d.checked_add(time))
        .ok_or_else(datetime::timestamp_out_of_range)?;
    // a just-barely overflow wraps the time of day
    if (local < 0 && date > 0) || (local > 0 && date < -1) {
        return Err(datetime::timestamp_out_of_range());
    }
    let ts = match tm.east {
        Some(east) => local
            .checked_sub(i64::from(east) * USECS_PER_SEC)
            .ok_or_else(datetime::timestamp_out_of_range)?,
        None => zone.local_to_utc(local),
    };
    if !(MIN_TIMESTAMP..datetime::END_TIMESTAMP).contains(&ts) {
        return Err(datetime::timestamp_out_of_range());
    }
    let precision = u8::try_from(tm.fprec).ok().filter(|p| *p > 0);
    crate::types::cast::round_timestamp(ts, precision)
}
