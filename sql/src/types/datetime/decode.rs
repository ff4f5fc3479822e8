//! Date/time input decoding, translated from PostgreSQL's `datetime.c`: [`parse_fields`]
//! (`ParseDateTime`) splits the text into typed fields, [`decode_date_time`]
//! (`DecodeDateTime`, for `date`/`timestamp`/`timestamptz`) and [`decode_time_only`]
//! (`DecodeTimeOnly`, for `time`/`timetz`) give each field its meaning in context. The
//! numeric field rules (`DecodeDate`, `DecodeNumber`, `DecodeNumberField`, `ValidateDate`)
//! are in [`decode_fields`](super::decode_fields).
//!
//! Everything PostgreSQL accepts is accepted the same way: DateStyle field order (MDY, DMY,
//! YMD) for ambiguous numeric dates, two-digit years, `BC`, Julian days (`J2451187`,
//! `J2452271.5`), ISO 8601 (`20011227T040506.789-08`, `Y2001M12D27H04MM05S06`), run-together
//! `yymmdd`/`hhmmss`, `epoch`/`infinity`/`now`/`today`/`tomorrow`/`yesterday`/`allballs`,
//! zone abbreviations ([`tokens`](super::tokens)), `DST`, numeric offsets, IANA and POSIX zone
//! names (`America/New_York`, `GMT-4`, `PST+03:00`). Errors are PostgreSQL's ([`DtErr`]).
//!
//! The decoder is pure: the session's DateStyle order, transaction time and zone come in a
//! [`Context`], and a zone written in the input comes back as seconds west (`tz`), resolved
//! against the date for named zones.

use super::decode_fields::{
    self as fields, Tm, decode_date, decode_number, decode_number_field, decode_time, strtoint,
    validate_date,
};
use super::tokens::{self, Abbrev, Reserved, Token, Unit};
use super::zone::Zone;
use super::{USECS_PER_DAY, USECS_PER_SEC};
use crate::Error;

pub use super::split::{FieldType, decode_timezone, parse_fields};

/// DateStyle's field order for ambiguous numeric dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    #[default]
    Mdy,
    Dmy,
    Ymd,
}

/// What the decoder needs from the session.
#[derive(Debug, Clone)]
pub struct Context {
    pub order: DateOrder,
    /// The transaction's start (microseconds since 2000-01-01 UTC): `now`, `today`, ...
    pub now: i64,
    pub zone: Zone,
}

/// A decoding failure, in PostgreSQL's `DTERR_*` classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtErr {
    BadFormat,
    FieldOverflow,
    /// A month or day out of range: probably the wrong DateStyle.
    MdFieldOverflow,
    IntervalOverflow,
    TzDispOverflow,
    /// A zone name nobody knows (the lower-cased name).
    BadTimezone(String),
}

impl DtErr {
    /// PostgreSQL's `DateTimeParseError`: `input` is the whole text, `ty` the type's name.
    pub fn into_error(self, input: &str, ty: &str) -> Error {
        match self {
            DtErr::FieldOverflow => Error::DatetimeFieldOverflow(format!(
                "date/time field value out of range: \"{input}\""
            )),
            DtErr::MdFieldOverflow => Error::WithHint {
                error: Box::new(Error::DatetimeFieldOverflow(format!(
                    "date/time field value out of range: \"{input}\""
                ))),
                hint: "Perhaps you need a different \"datestyle\" setting.".into(),
            },
            DtErr::IntervalOverflow => Error::IntervalFieldOverflow(format!(
                "interval field value out of range: \"{input}\""
            )),
            DtErr::TzDispOverflow => Error::InvalidTimeZoneDisplacement(format!(
                "time zone displacement out of range: \"{input}\""
            )),
            DtErr::BadTimezone(name) => {
                Error::InvalidParameterValue(format!("time zone \"{name}\" not recognized"))
            }
            DtErr::BadFormat => Error::InvalidDatetimeFormat(format!(
                "invalid input syntax for type {ty}: \"{input}\""
            )),
        }
    }
}

pub type DtResult<T> = std::result::Result<T, DtErr>;

/// The result of decoding: what kind of value, its fields, and the zone (seconds west).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub kind: Kind,
    pub tm: Tm,
    /// Seconds *west* of UTC (PostgreSQL's `tzp`), the written zone or the session's.
    pub tz: i32,
}

/// `DTK_DATE`/`DTK_TIME` or one of the special values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    /// Only a time was given (an error for the date/timestamp types).
    TimeOnly,
    Epoch,
    Late,
    Early,
}

// Field masks (PostgreSQL's `DTK_M(type)` bits).
pub(super) const M_RESERV: u32 = 1 << 0;
pub(super) const M_MONTH: u32 = 1 << 1;
pub(super) const M_YEAR: u32 = 1 << 2;
pub(super) const M_DAY: u32 = 1 << 3;
pub(super) const M_TZ: u32 = 1 << 5;
pub(super) const M_DTZ: u32 = 1 << 6;
pub(super) const M_DYNTZ: u32 = 1 << 7;
pub(super) const M_AMPM: u32 = 1 << 9;
pub(super) const M_HOUR: u32 = 1 << 10;
pub(super) const M_MINUTE: u32 = 1 << 11;
pub(super) const M_SECOND: u32 = 1 << 12;
pub(super) const M_MILLISECOND: u32 = 1 << 13;
pub(super) const M_MICROSECOND: u32 = 1 << 14;
pub(super) const M_DOY: u32 = 1 << 15;
pub(super) const M_DOW: u32 = 1 << 16;
pub(super) const M_ADBC: u32 = 1 << 18;
pub(super) const M_DTZMOD: u32 = 1 << 28;
pub(super) const DATE_M: u32 = M_YEAR | M_MONTH | M_DAY;
/// `DTK_TIME_M`: hours, minutes and every kind of seconds.
pub(super) const TIME_M: u32 = M_HOUR | M_MINUTE | M_SECOND | M_MILLISECOND | M_MICROSECOND;

/// A prefix field waiting for the next one (`ptype`): a unit label (`j`, `y`, `m`, ...) or
/// the ISO `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Unit(Unit),
    Time,
}

/// A number after a unit label or `t` (`J2451187`, `Y2001M12D27`, `T040506`).
fn labeled_number(
    p: Prefix,
    field: &str,
    fmask: u32,
    tm: &mut Tm,
    tz: &mut i32,
    is_julian: &mut bool,
    is2digits: &mut bool,
) -> DtResult<u32> {
    let (val, used) = strtoint(field.as_bytes())?;
    let rest = &field[used..];
    if rest.starts_with('.') {
        if !matches!(
            p,
            Prefix::Time | Prefix::Unit(Unit::Julian) | Prefix::Unit(Unit::Second)
        ) {
            return Err(DtErr::BadFormat);
        }
    } else if !rest.is_empty() {
        return Err(DtErr::BadFormat);
    }
    let val32 = val as i32;
    Ok(match p {
        Prefix::Unit(Unit::Year) => {
            tm.year = val32;
            M_YEAR
        }
        Prefix::Unit(Unit::Month) => {
            if fmask & M_MONTH != 0 && fmask & M_HOUR != 0 {
                tm.min = val32;
                M_MINUTE
            } else {
                tm.mon = val32;
                M_MONTH
            }
        }
        Prefix::Unit(Unit::Day) => {
            tm.mday = val32;
            M_DAY
        }
        Prefix::Unit(Unit::Hour) => {
            tm.hour = val32;
            M_HOUR
        }
        Prefix::Unit(Unit::Minute) => {
            tm.min = val32;
            M_MINUTE
        }
        Prefix::Unit(Unit::Second) => {
            tm.sec = val32;
            if rest.is_empty() {
                M_SECOND
            } else {
                tm.fsec = fields::parse_fractional_second(rest)?;
                M_SECOND | M_MILLISECOND | M_MICROSECOND
            }
        }
        Prefix::Unit(Unit::Julian) => {
            if val < 0 {
                return Err(DtErr::FieldOverflow);
            }
            tm.set_julian(val32);
            *is_julian = true;
            if rest.is_empty() {
                DATE_M
            } else {
                let frac = fields::parse_fraction(rest)?;
                tm.set_time_of_day((frac * USECS_PER_DAY as f64) as i64);
                DATE_M | TIME_M
            }
        }
        Prefix::Time => {
            let (m, _) = decode_number_field(field, fmask | DATE_M, tm, is2digits)?;
            if m != TIME_M {
                return Err(DtErr::BadFormat);
            }
            m
        }
        Prefix::Unit(Unit::Other) => {
            let _ = tz;
            return Err(DtErr::BadFormat);
        }
    })
}

/// A zone read from the input, resolved once the date is known.
#[derive(Debug, Clone)]
enum PendingZone {
    Named(Zone),
    /// A dynamic abbreviation and its zone.
    Dynamic(Zone, String),
}

/// A string field's meaning: an abbreviation first, then `datetktbl`, else unknown.
enum Word {
    Abbrev(Abbrev),
    Token(Token),
    Unknown,
}

fn classify(word: &str) -> Word {
    if let Some(a) = tokens::abbreviation(word) {
        Word::Abbrev(a)
    } else if let Some(t) = tokens::date_token(word) {
        Word::Token(t)
    } else {
        Word::Unknown
    }
}

/// `pg_tzset`: an IANA name or a POSIX specification.
fn tzset(name: &str) -> Option<Zone> {
    Zone::named(name)
}

/// The session's local date and time now.
fn local_now(ctx: &Context) -> i64 {
    ctx.now + i64::from(ctx.zone.offset_at(ctx.now)) * USECS_PER_SEC
}

/// `DetermineTimeZoneOffset`: seconds west for local time `tm` in `zone`.
fn zone_offset(tm: &Tm, zone: &Zone) -> i32 {
    match tm.local_micros() {
        Some(local) => -zone.local_offset(local),
        None => 0,
    }
}

/// `DetermineTimeZoneAbbrevOffset`: seconds west for `tm` written with `abbrev` of `zone`.
fn abbrev_offset(tm: &Tm, zone: &Zone, abbrev: &str) -> i32 {
    match tm.local_micros() {
        Some(local) => -zone.abbrev_offset(local, abbrev),
        None => 0,
    }
}

fn dynamic_zone(name: &str) -> DtResult<Zone> {
    Zone::named(name).ok_or_else(|| DtErr::BadTimezone(name.to_string()))
}

/// A zone abbreviation field (`TZ`/`DTZ`/`DYNTZ` in `DecodeDateTime` and
/// `DecodeTimeOnly` alike): sets the offset or the pending dynamic zone; returns the
/// field's mask.
fn apply_abbrev(
    a: Abbrev,
    field: &str,
    tz: &mut i32,
    pending: &mut Option<PendingZone>,
) -> DtResult<u32> {
    Ok(match a {
        Abbrev::Std(off) => {
            *tz = -off;
            M_TZ
        }
        Abbrev::Dst(off) => {
            *tz = -off;
            M_DTZ | M_TZ
        }
        Abbrev::Dynamic(name) => {
            *pending = Some(PendingZone::Dynamic(dynamic_zone(name)?, field.to_string()));
            M_DYNTZ | M_TZ
        }
    })
}

/// `DecodeDateTime`: fields of a date, a timestamp or a timestamptz.
pub fn decode_date_time(f: &[(String, FieldType)], ctx: &Context) -> DtResult<Decoded> {
    let mut fmask = 0u32;
    let mut ptype: Option<Prefix> = None;
    let mut tm = Tm::default();
    let mut kind = Kind::Date;
    let mut tz = 0i32;
    let mut mer: Option<bool> = None;
    let mut have_text_month = false;
    let mut is_julian = false;
    let mut is2digits = false;
    let mut bc = false;
    let mut pending: Option<PendingZone> = None;
    for (i, (field, ftype)) in f.iter().enumerate() {
        let tmask: u32;
        match ftype {
            FieldType::Date => {
                if ptype == Some(Prefix::Unit(Unit::Julian)) {
                    let (jday, used) = strtoint(field.as_bytes())?;
                    if jday < 0 {
                        return Err(DtErr::FieldOverflow);
                    }
                    tm.set_julian(jday as i32);
                    is_julian = true;
                    tz = decode_timezone(&field[used..])?;
                    tmask = DATE_M | TIME_M | M_TZ;
                    ptype = None;
                } else if ptype.is_some() || fmask & (M_MONTH | M_DAY) == M_MONTH | M_DAY {
                    if field.as_bytes()[0].is_ascii_digit() || ptype.is_some() {
                        if let Some(p) = ptype {
                            if p != Prefix::Time {
                                return Err(DtErr::BadFormat);
                            }
                            ptype = None;
                        }
                        if fmask & TIME_M == TIME_M {
                            return Err(DtErr::BadFormat);
                        }
                        let Some(dash) = field.find('-') else {
                            return Err(DtErr::BadFormat);
                        };
                        tz = decode_timezone(&field[dash..])?;
                        let (m, _) =
                            decode_number_field(&field[..dash], fmask, &mut tm, &mut is2digits)?;
                        tmask = m | M_TZ;
                    } else {
                        let zone = tzset(field).ok_or_else(|| DtErr::BadTimezone(field.clone()))?;
                        pending = Some(PendingZone::Named(zone));
                        tmask = M_TZ;
                    }
                } else {
                    tmask = decode_date(field, fmask, &mut is2digits, &mut tm, ctx.order)?;
                }
            }
            FieldType::Time => {
                if let Some(p) = ptype {
                    if p != Prefix::Time {
                        return Err(DtErr::BadFormat);
                    }
                    ptype = None;
                }
                tmask = decode_time(field, &mut tm)?;
                if fields::time_overflows(&tm) {
                    return Err(DtErr::FieldOverflow);
                }
            }
            FieldType::Tz => {
                tz = decode_timezone(field)?;
                tmask = M_TZ;
            }
            FieldType::Number => {
                if let Some(p) = ptype {
                    tmask = labeled_number(
                        p,
                        field,
                        fmask,
                        &mut tm,
                        &mut tz,
                        &mut is_julian,
                        &mut is2digits,
                    )?;
                    ptype = None;
                    kind = Kind::Date;
                } else {
                    let flen = field.len();
                    let dot = field.find('.');
                    if dot.is_some() && fmask & DATE_M == 0 {
                        tmask = decode_date(field, fmask, &mut is2digits, &mut tm, ctx.order)?;
                    } else if let Some(d) = dot
                        && d > 2
                    {
                        tmask = decode_number_field(field, fmask, &mut tm, &mut is2digits)?.0;
                    } else if flen >= 6 && (fmask & DATE_M == 0 || fmask & TIME_M == 0) {
                        tmask = decode_number_field(field, fmask, &mut tm, &mut is2digits)?.0;
                    } else {
                        tmask = decode_number(
                            field,
                            have_text_month,
                            fmask,
                            &mut tm,
                            &mut is2digits,
                            ctx.order,
                        )?;
                    }
                }
            }
            FieldType::String | FieldType::Special => match classify(field) {
                Word::Abbrev(a) => tmask = apply_abbrev(a, field, &mut tz, &mut pending)?,
                Word::Token(Token::Ignore) => continue,
                Word::Token(t) => match t {
                    Token::Reserved(r) => match r {
                        Reserved::Now => {
                            tmask = DATE_M | TIME_M | M_TZ;
                            kind = Kind::Date;
                            let now = local_now(ctx);
                            tm = Tm::of_local(now);
                            tz = -ctx.zone.offset_at(ctx.now);
                        }
                        Reserved::Yesterday | Reserved::Today | Reserved::Tomorrow => {
                            tmask = DATE_M;
                            kind = Kind::Date;
                            let today = local_now(ctx).div_euclid(USECS_PER_DAY);
                            let shift = match r {
                                Reserved::Yesterday => -1,
                                Reserved::Tomorrow => 1,
                                _ => 0,
                            };
                            tm.set_date_of_days(today + shift);
                        }
                        Reserved::Zulu => {
                            tmask = TIME_M | M_TZ;
                            kind = Kind::Date;
                            tm.set_time_of_day(0);
                            tz = 0;
                        }
                        Reserved::Epoch => {
                            tmask = M_RESERV;
                            kind = Kind::Epoch;
                        }
                        Reserved::Late => {
                            tmask = M_RESERV;
                            kind = Kind::Late;
                        }
                        Reserved::Early => {
                            tmask = M_RESERV;
                            kind = Kind::Early;
                        }
                    },
                    Token::Month(m) => {
                        if fmask & M_MONTH != 0
                            && !have_text_month
                            && fmask & M_DAY == 0
                            && (1..=31).contains(&tm.mon)
                        {
                            tm.mday = tm.mon;
                            tmask = M_DAY;
                        } else {
                            tmask = M_MONTH;
                        }
                        have_text_month = true;
                        tm.mon = m;
                    }
                    Token::DstModifier => {
                        tmask = M_DTZMOD | M_DTZ;
                        tz -= 3600;
                    }
                    Token::Meridian(pm) => {
                        mer = Some(pm);
                        tmask = M_AMPM;
                    }
                    Token::Era(is_bc) => {
                        bc = is_bc;
                        tmask = M_ADBC;
                    }
                    Token::Weekday(_) => tmask = M_DOW,
                    Token::Unit(u) => {
                        ptype = Some(Prefix::Unit(u));
                        tmask = 0;
                    }
                    Token::IsoTime => {
                        if fmask & DATE_M != DATE_M || !time_follows(f, i) {
                            return Err(DtErr::BadFormat);
                        }
                        ptype = Some(Prefix::Time);
                        tmask = 0;
                    }
                    Token::Ignore => continue,
                },
                Word::Unknown => {
                    let zone = tzset(field).ok_or(DtErr::BadFormat)?;
                    pending = Some(PendingZone::Named(zone));
                    tmask = M_TZ;
                }
            },
        }
        if tmask & fmask != 0 {
            return Err(DtErr::BadFormat);
        }
        fmask |= tmask;
    }
    validate_date(fmask, is_julian, is2digits, bc, &mut tm)?;
    apply_meridian(mer, &mut tm)?;
    if kind == Kind::Date {
        if fmask & DATE_M != DATE_M {
            if fmask & TIME_M == TIME_M {
                return Ok(Decoded {
                    kind: Kind::TimeOnly,
                    tm,
                    tz,
                });
            }
            return Err(DtErr::BadFormat);
        }
        if let Some(p) = &pending {
            if fmask & M_DTZMOD != 0 {
                return Err(DtErr::BadFormat);
            }
            tz = match p {
                PendingZone::Named(z) => zone_offset(&tm, z),
                PendingZone::Dynamic(z, abbrev) => abbrev_offset(&tm, z, abbrev),
            };
        }
        if fmask & M_TZ == 0 {
            if fmask & M_DTZMOD != 0 {
                return Err(DtErr::BadFormat);
            }
            tz = zone_offset(&tm, &ctx.zone);
        }
    }
    Ok(Decoded { kind, tm, tz })
}

/// After `t`, the next field must be a number, a time or a `hhmmss-zz`.
fn time_follows(f: &[(String, FieldType)], i: usize) -> bool {
    f.get(i + 1)
        .is_some_and(|(_, t)| matches!(t, FieldType::Number | FieldType::Time | FieldType::Date))
}

fn apply_meridian(mer: Option<bool>, tm: &mut Tm) -> DtResult<()> {
    if let Some(pm) = mer {
        if tm.hour > 12 {
            return Err(DtErr::FieldOverflow);
        }
        if !pm && tm.hour == 12 {
            tm.hour = 0;
        } else if pm && tm.hour != 12 {
            tm.hour += 12;
        }
    }
    Ok(())
}

/// `DecodeTimeOnly`: fields of a time or a timetz.
pub fn decode_time_only(f: &[(String, FieldType)], ctx: &Context) -> DtResult<Decoded> {
    let nf = f.len();
    let mut fmask = 0u32;
    let mut ptype: Option<Prefix> = None;
    let mut tm = Tm::default();
    let mut tz = 0i32;
    let mut mer: Option<bool> = None;
    let mut is_julian = false;
    let mut is2digits = false;
    let mut bc = false;
    let mut pending: Option<PendingZone> = None;
    for (i, (field, ftype)) in f.iter().enumerate() {
        let tmask: u32;
        match ftype {
            FieldType::Date => {
                if i == 0
                    && nf >= 2
                    && (f[nf - 1].1 == FieldType::Date || f[1].1 == FieldType::Time)
                {
                    tmask = decode_date(field, fmask, &mut is2digits, &mut tm, ctx.order)?;
                } else if field.as_bytes()[0].is_ascii_digit() {
                    if fmask & TIME_M == TIME_M {
                        return Err(DtErr::BadFormat);
                    }
                    let Some(dash) = field.find('-') else {
                        return Err(DtErr::BadFormat);
                    };
                    tz = decode_timezone(&field[dash..])?;
                    let (m, _) = decode_number_field(
                        &field[..dash],
                        fmask | DATE_M,
                        &mut tm,
                        &mut is2digits,
                    )?;
                    tmask = m | M_TZ;
                } else {
                    let zone = tzset(field).ok_or_else(|| DtErr::BadTimezone(field.clone()))?;
                    pending = Some(PendingZone::Named(zone));
                    tmask = M_TZ;
                }
            }
            FieldType::Time => {
                if let Some(p) = ptype {
                    if p != Prefix::Time {
                        return Err(DtErr::BadFormat);
                    }
                    ptype = None;
                }
                tmask = decode_time(field, &mut tm)?;
            }
            FieldType::Tz => {
                tz = decode_timezone(field)?;
                tmask = M_TZ;
            }
            FieldType::Number => {
                if let Some(p) = ptype {
                    tmask = labeled_number(
                        p,
                        field,
                        fmask,
                        &mut tm,
                        &mut tz,
                        &mut is_julian,
                        &mut is2digits,
                    )?;
                    ptype = None;
                } else {
                    let flen = field.len();
                    if let Some(d) = field.find('.') {
                        if i == 0 && nf >= 2 && f[nf - 1].1 == FieldType::Date {
                            tmask = decode_date(field, fmask, &mut is2digits, &mut tm, ctx.order)?;
                        } else if d > 2 {
                            tmask = decode_number_field(
                                field,
                                fmask | DATE_M,
                                &mut tm,
                                &mut is2digits,
                            )?
                            .0;
                        } else {
                            return Err(DtErr::BadFormat);
                        }
                    } else if flen > 4 {
                        tmask =
                            decode_number_field(field, fmask | DATE_M, &mut tm, &mut is2digits)?.0;
                    } else {
                        tmask = decode_number(
                            field,
                            false,
                            fmask | DATE_M,
                            &mut tm,
                            &mut is2digits,
                            ctx.order,
                        )?;
                    }
                }
            }
            FieldType::String | FieldType::Special => match classify(field) {
                Word::Abbrev(a) => tmask = apply_abbrev(a, field, &mut tz, &mut pending)?,
                Word::Token(Token::Ignore) => continue,
                Word::Token(t) => match t {
                    Token::Reserved(Reserved::Now) => {
                        tmask = TIME_M;
                        tm.set_time_of_day(local_now(ctx).rem_euclid(USECS_PER_DAY));
                    }
                    Token::Reserved(Reserved::Zulu) => {
                        tmask = TIME_M | M_TZ;
                        tm.set_time_of_day(0);
                    }
                    Token::Reserved(_) => return Err(DtErr::BadFormat),
                    Token::DstModifier => {
                        tmask = M_DTZMOD | M_DTZ;
                        tz -= 3600;
                    }
                    Token::Meridian(pm) => {
                        mer = Some(pm);
                        tmask = M_AMPM;
                    }
                    Token::Era(is_bc) => {
                        bc = is_bc;
                        tmask = M_ADBC;
                    }
                    Token::Unit(u) => {
                        ptype = Some(Prefix::Unit(u));
                        tmask = 0;
                    }
                    Token::IsoTime => {
                        if !time_follows(f, i) {
                            return Err(DtErr::BadFormat);
                        }
                        ptype = Some(Prefix::Time);
                        tmask = 0;
                    }
                    Token::Month(_) | Token::Weekday(_) => return Err(DtErr::BadFormat),
                    Token::Ignore => continue,
                },
                Word::Unknown => {
                    let zone = tzset(field).ok_or(DtErr::BadFormat)?;
                    pending = Some(PendingZone::Named(zone));
                    tmask = M_TZ;
                }
            },
        }
        if tmask & fmask != 0 {
            return Err(DtErr::BadFormat);
        }
        fmask |= tmask;
    }
    validate_date(fmask, is_julian, is2digits, bc, &mut tm)?;
    apply_meridian(mer, &mut tm)?;
    if fields::time_overflows(&tm) {
        return Err(DtErr::FieldOverflow);
    }
    if fmask & TIME_M != TIME_M {
        return Err(DtErr::BadFormat);
    }
    // A named zone or dynamic abbreviation needs a date unless its offset never changes;
    // the session zone uses today's date when none was given.
    let with_date = |tm: &Tm| -> DtResult<Tm> {
        let mut t = tm.clone();
        if fmask & DATE_M == 0 {
            let today = local_now(ctx).div_euclid(USECS_PER_DAY);
            t.set_date_of_days(today);
        } else if fmask & DATE_M != DATE_M {
            return Err(DtErr::BadFormat);
        }
        Ok(t)
    };
    match &pending {
        Some(PendingZone::Named(z)) => {
            if fmask & M_DTZMOD != 0 {
                return Err(DtErr::BadFormat);
            }
            if let Some(off) = z.fixed_offset() {
                tz = -off;
            } else {
                if fmask & DATE_M != DATE_M {
                    return Err(DtErr::BadFormat);
                }
                tz = zone_offset(&tm, z);
            }
        }
        Some(PendingZone::Dynamic(z, abbrev)) => {
            if fmask & M_DTZMOD != 0 {
                return Err(DtErr::BadFormat);
            }
            tz = abbrev_offset(&with_date(&tm)?, z, abbrev);
        }
        None => {}
    }
    if fmask & M_TZ == 0 {
        if fmask & M_DTZMOD != 0 {
            return Err(DtErr::BadFormat);
        }
        tz = zone_offset(&with_date(&tm)?, &ctx.zone);
    }
    Ok(Decoded {
        kind: Kind::TimeOnly,
        tm,
        tz,
    })
}

#[cfg(test)]
mod tests;
