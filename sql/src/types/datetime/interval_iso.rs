//! ISO 8601 interval input (`P1Y2M3DT4H5M6S`, `P0001-02-03T04:05:06`), translated from
//! PostgreSQL's `DecodeISO8601Interval`; [`interval_decode`](super::interval_decode) tries it
//! when the text does not read as PostgreSQL's own format.

use super::decode::{DtErr, DtResult};
use super::interval_decode::ItmIn;
use super::{USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};

/// `ParseISO8601Number`: a `strtod` number; its integer part and fraction, and the rest.
fn iso_number(s: &str) -> DtResult<(i64, f64, &str)> {
    if !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        return Err(DtErr::BadFormat);
    }
    let n = super::decode_fields::strtod_len(s.as_bytes());
    if n == 0 {
        return Err(DtErr::BadFormat);
    }
    let val: f64 = s[..n].parse().map_err(|_| DtErr::BadFormat)?;
    if val.is_nan() || !(-1.0e15..=1.0e15).contains(&val) {
        return Err(DtErr::FieldOverflow);
    }
    let ipart = val.trunc() as i64;
    Ok((ipart, val - ipart as f64, &s[n..]))
}

fn iso_width(field: &str) -> usize {
    field
        .trim_start_matches('-')
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count()
}

/// `DecodeISO8601Interval`.
pub(super) fn decode_iso8601(s: &str) -> DtResult<ItmIn> {
    let mut itm = ItmIn::default();
    let Some(mut rest) = s.strip_prefix('P').filter(|r| !r.is_empty()) else {
        return Err(DtErr::BadFormat);
    };
    let mut datepart = true;
    let mut havefield = false;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('T') {
            datepart = false;
            havefield = false;
            rest = r;
            continue;
        }
        let fieldstart = rest;
        let (val, fval, r) = iso_number(rest)?;
        let unit = r.bytes().next();
        rest = if r.is_empty() { r } else { &r[1..] };
        if datepart {
            match unit {
                Some(b'Y') => {
                    itm.years(val, 1)?;
                    itm.fract_years(fval, 1)?;
                }
                Some(b'M') => {
                    itm.months(val)?;
                    itm.fract_days(fval, 30)?;
                }
                Some(b'W') => {
                    itm.days(val, 7)?;
                    itm.fract_days(fval, 7)?;
                }
                Some(b'D') => {
                    itm.days(val, 1)?;
                    itm.fract_micros(fval, USECS_PER_DAY)?;
                }
                Some(b'T') | None if iso_width(fieldstart) == 8 && !havefield => {
                    itm.years(val / 10000, 1)?;
                    itm.months((val / 100) % 100)?;
                    itm.days(val % 100, 1)?;
                    itm.fract_micros(fval, USECS_PER_DAY)?;
                    if unit.is_none() {
                        return Ok(itm);
                    }
                    datepart = false;
                    havefield = false;
                    continue;
                }
                Some(b'T' | b'-') | None => {
                    if havefield {
                        return Err(DtErr::BadFormat);
                    }
                    itm.years(val, 1)?;
                    itm.fract_years(fval, 1)?;
                    match unit {
                        None => return Ok(itm),
                        Some(b'T') => {
                            datepart = false;
                            havefield = false;
                            continue;
                        }
                        _ => {}
                    }
                    let (val, fval, r) = iso_number(rest)?;
                    itm.months(val)?;
                    itm.fract_days(fval, 30)?;
                    rest = r;
                    if rest.is_empty() {
                        return Ok(itm);
                    }
                    if let Some(r) = rest.strip_prefix('T') {
                        rest = r;
                        datepart = false;
                        havefield = false;
                        continue;
                    }
                    let Some(r) = rest.strip_prefix('-') else {
                        return Err(DtErr::BadFormat);
                    };
                    let (val, fval, r) = iso_number(r)?;
                    itm.days(val, 1)?;
                    itm.fract_micros(fval, USECS_PER_DAY)?;
                    rest = r;
                    if rest.is_empty() {
                        return Ok(itm);
                    }
                    if let Some(r) = rest.strip_prefix('T') {
                        rest = r;
                        datepart = false;
                        havefield = false;
                        continue;
                    }
                    return Err(DtErr::BadFormat);
                }
                _ => return Err(DtErr::BadFormat),
            }
        } else {
            match unit {
                Some(b'H') => itm.micros(val, fval, USECS_PER_HOUR)?,
                Some(b'M') => itm.micros(val, fval, USECS_PER_MINUTE)?,
                Some(b'S') => itm.micros(val, fval, USECS_PER_SEC)?,
                None if iso_width(fieldstart) == 6 && !havefield => {
                    itm.micros(val / 10000, 0.0, USECS_PER_HOUR)?;
                    itm.micros((val / 100) % 100, 0.0, USECS_PER_MINUTE)?;
                    itm.micros(val % 100, 0.0, USECS_PER_SEC)?;
                    itm.fract_micros(fval, 1)?;
                    return Ok(itm);
                }
                Some(b':') | None => {
                    if havefield {
                        return Err(DtErr::BadFormat);
                    }
                    itm.micros(val, fval, USECS_PER_HOUR)?;
                    if unit.is_none() {
                        return Ok(itm);
                    }
                    let (val, fval, r) = iso_number(rest)?;
                    itm.micros(val, fval, USECS_PER_MINUTE)?;
                    if r.is_empty() {
                        return Ok(itm);
                    }
                    let Some(r) = r.strip_prefix(':') else {
                        return Err(DtErr::BadFormat);
                    };
                    let (val, fval, r) = iso_number(r)?;
                    itm.micros(val, fval, USECS_PER_SEC)?;
                    if r.is_empty() {
                        return Ok(itm);
                    }
                    return Err(DtErr::BadFormat);
                }
                _ => return Err(DtErr::BadFormat),
            }
        }
        havefield = true;
    }
    Ok(itm)
}
