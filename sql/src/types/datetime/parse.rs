//! Date/time input functions (`date_in`, `timestamp_in`, `timestamptz_in`, `time_in`):
//! the text is decoded by [`decode`](super::decode) (PostgreSQL's `ParseDateTime` and
//! `DecodeDateTime`/`DecodeTimeOnly`) with the session's DateStyle order, zone and
//! transaction time, and the fields become a value of the type, with PostgreSQL's range
//! errors ("date out of range: ...", "timestamp out of range: ...", 22008).

use super::decode::{self, Context, Decoded, Kind};
use super::{DATE_INFINITY, DATE_NEG_INFINITY, TS_INFINITY, TS_NEG_INFINITY, USECS_PER_DAY};
use crate::{Error, Result};

fn syntax(type_name: &str, s: &str) -> Error {
    Error::InvalidDatetimeFormat(format!(
        "invalid input syntax for type {type_name}: \"{s}\""
    ))
}

/// The session state the decoder reads.
pub fn context() -> Context {
    crate::env::with(|env| Context {
        order: env.date_style.order,
        now: env.transaction_start,
        zone: env.time_zone.clone(),
    })
}

/// `ParseDateTime` + `DecodeDateTime` with PostgreSQL's error for type `ty`.
pub fn decode_date_time(s: &str, ty: &str) -> Result<Decoded> {
    let ctx = context();
    decode::parse_fields(s)
        .and_then(|f| decode::decode_date_time(&f, &ctx))
        .map_err(|e| e.into_error(s, ty))
}

/// `ParseDateTime` + `DecodeTimeOnly` with PostgreSQL's error for type `ty`.
pub fn decode_time_only(s: &str, ty: &str) -> Result<Decoded> {
    let ctx = context();
    decode::parse_fields(s)
        .and_then(|f| decode::decode_time_only(&f, &ctx))
        .map_err(|e| e.into_error(s, ty))
}

fn out_of_range(what: &str, s: &str) -> Error {
    Error::DatetimeFieldOverflow(format!("{what} out of range: \"{s}\""))
}

const EPOCH_DAYS: i64 = -super::UNIX_TO_PG_DAYS;

/// `date` input.
pub fn date(s: &str) -> Result<i32> {
    let d = decode_date_time(s, "date")?;
    let days = match d.kind {
        Kind::Date => {
            if !d.tm.valid_julian() {
                return Err(out_of_range("date", s));
            }
            d.tm.days()
        }
        Kind::Epoch => EPOCH_DAYS,
        Kind::Late => return Ok(DATE_INFINITY),
        Kind::Early => return Ok(DATE_NEG_INFINITY),
        Kind::TimeOnly => return Err(syntax("date", s)),
    };
    if !super::date_in_range(days) {
        return Err(out_of_range("date", s));
    }
    Ok(days as i32)
}

/// `tm2timestamp`: local fields, shifted by `west` seconds, range-checked.
fn to_timestamp(d: &Decoded, west: i32, s: &str) -> Result<i64> {
    let t =
        d.tm.local_micros()
            .and_then(|t| t.checked_add(i64::from(west) * super::USECS_PER_SEC))
            .filter(|t| (super::MIN_TIMESTAMP..super::END_TIMESTAMP).contains(t));
    t.ok_or_else(|| out_of_range("timestamp", s))
}

fn special_timestamp(d: &Decoded, ty: &str, s: &str) -> Result<Option<i64>> {
    Ok(match d.kind {
        Kind::Date => None,
        Kind::Epoch => Some(EPOCH_DAYS * USECS_PER_DAY),
        Kind::Late => Some(TS_INFINITY),
        Kind::Early => Some(TS_NEG_INFINITY),
        Kind::TimeOnly => return Err(syntax(ty, s)),
    })
}

/// `timestamp` input (a written zone is ignored, as PostgreSQL ignores it).
pub fn timestamp(s: &str) -> Result<i64> {
    let ty = "timestamp";
    let d = decode_date_time(s, ty)?;
    match special_timestamp(&d, ty, s)? {
        Some(t) => Ok(t),
        None => to_timestamp(&d, 0, s),
    }
}

/// `timestamptz` input: a written zone, else the session's `TimeZone`.
pub fn timestamptz(s: &str) -> Result<i64> {
    let ty = "timestamp with time zone";
    let d = decode_date_time(s, ty)?;
    match special_timestamp(&d, ty, s)? {
        Some(t) => Ok(t),
        None => to_timestamp(&d, d.tz, s),
    }
}

/// `time` input (a date part and a zone are ignored).
pub fn time(s: &str) -> Result<i64> {
    let d = decode_time_only(s, "time")?;
    Ok(d.tm.time_of_day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::format;

    fn ts(s: &str) -> String {
        format::timestamp(timestamp(s).unwrap())
    }

    #[test]
    fn accepts_common_formats() {
        let cases = [
            ("2020-01-02", "2020-01-02 00:00:00"),
            ("2020-01-02 10:11:12.5", "2020-01-02 10:11:12.5"),
            ("2020-01-02T10:11:12Z", "2020-01-02 10:11:12"),
            ("Jan 2 2020", "2020-01-02 00:00:00"),
            ("2 January 2020 10:00", "2020-01-02 10:00:00"),
            ("January 2, 2020", "2020-01-02 00:00:00"),
            ("1/2/2020", "2020-01-02 00:00:00"),
            ("01-02-2020", "2020-01-02 00:00:00"),
            ("2020/01/02", "2020-01-02 00:00:00"),
            ("20200102", "2020-01-02 00:00:00"),
            ("20200102T101112", "2020-01-02 10:11:12"),
            ("2020-01-02 10:00:00 PM", "2020-01-02 22:00:00"),
            ("2020-01-02 12:00 AM", "2020-01-02 00:00:00"),
            ("Tue Jan 02 10:00:00 2020", "2020-01-02 10:00:00"),
            ("0001-01-01 BC", "0001-01-01 00:00:00 BC"),
            ("2020-01-01 23:59:60", "2020-01-02 00:00:00"),
            ("2020-01-01 10:00:00.1234567", "2020-01-01 10:00:00.123457"),
            ("epoch", "1970-01-01 00:00:00"),
            ("infinity", "infinity"),
            ("-infinity", "-infinity"),
            ("2020-Jan-02", "2020-01-02 00:00:00"),
            ("02-Jan-2020", "2020-01-02 00:00:00"),
            ("2020.01.02", "2020-01-02 00:00:00"),
        ];
        for (input, want) in cases {
            assert_eq!(ts(input), want, "{input}");
        }
    }

    #[test]
    fn rejects_bad_input_with_postgres_codes() {
        for (input, code) in [
            ("xyz", "22007"),
            ("2020-02-30", "22008"),
            ("2020-13-01", "22008"),
            ("99-01-02", "22008"),
            ("2020-01-01 25:00", "22008"),
            ("", "22007"),
            ("2020-01-01 10:00 Mars/Olympus", "22023"),
        ] {
            assert_eq!(timestamp(input).unwrap_err().code(), code, "{input}");
        }
        assert_eq!(time("13:60").unwrap_err().code(), "22008");
        assert_eq!(time("24:00").unwrap(), USECS_PER_DAY);
        assert_eq!(time("10:00 pm").unwrap(), 22 * super::super::USECS_PER_HOUR);
        assert_eq!(format::time(time("allballs").unwrap()), "00:00:00");
    }

    #[test]
    fn zones_in_timestamptz_input() {
        let cases = [
            ("2020-01-01 10:00 EST", "2020-01-01 15:00:00+00"),
            (
                "2020-01-01 10:00 America/New_York",
                "2020-01-01 15:00:00+00",
            ),
            ("2020-01-01 10:00+05:30", "2020-01-01 04:30:00+00"),
            ("2020-01-01 10:00 -0800", "2020-01-01 18:00:00+00"),
            ("2020-01-01T10:00:00Z", "2020-01-01 10:00:00+00"),
        ];
        for (input, want) in cases {
            let t = timestamptz(input).unwrap();
            assert_eq!(
                format::timestamptz(t, &super::super::zone::Zone::utc()),
                want,
                "{input}"
            );
        }
    }
}
