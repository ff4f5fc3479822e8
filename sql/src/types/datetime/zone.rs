//! Time zones: the session's `TimeZone` setting and zones written inside date/time input.
//!
//! A [`Zone`] is a `jiff` time zone (IANA rules from the system's tzdata, or jiff's bundled
//! copy) with the name `SHOW TimeZone` prints. `SET TIME ZONE` accepts what PostgreSQL
//! accepts: IANA names in any letter case, POSIX specifications (`UTC+3` is three hours
//! *west*, as in POSIX), and numbers of hours (`-5`, shown as `<-05>+05`).
//!
//! Local → UTC conversion resolves a local time inside a DST gap with the offset before the
//! transition and a repeated local time with the offset after it (PostgreSQL's
//! `DetermineTimeZoneOffset`; jiff's "later" disambiguation does exactly this).

use std::sync::Arc;

use jiff::tz::{Offset, TimeZone};

use super::{Fields, USECS_PER_SEC};
use crate::{Error, Result};

/// A time zone with its display name. See the module docs.
#[derive(Clone)]
pub struct Zone {
    tz: TimeZone,
    name: Arc<str>,
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

/// PostgreSQL microseconds (since 2000-01-01) to a jiff timestamp, clamped to jiff's range
/// (zone rules outside it are those at its edges).
fn to_jiff(pg_micros: i64) -> jiff::Timestamp {
    let unix = pg_micros.saturating_add(super::UNIX_TO_PG_DAYS * super::USECS_PER_DAY);
    let unix = unix.clamp(
        jiff::Timestamp::MIN.as_microsecond(),
        jiff::Timestamp::MAX.as_microsecond(),
    );
    jiff::Timestamp::from_microsecond(unix).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn unknown_zone(name: &str) -> Error {
    Error::InvalidParameterValue(format!("time zone \"{name}\" not recognized"))
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// A fixed offset east of UTC, named as PostgreSQL names such zones (`<-05>+05`).
    pub fn fixed(seconds_east: i32) -> Result<Zone> {
        let offset = Offset::from_seconds(seconds_east).map_err(|_| {
            Error::InvalidParameterValue("time zone displacement out of range".into())
        })?;
        let name = format!(
            "<{}>{}",
            offset_text(seconds_east),
            offset_text(-seconds_east)
        );
        Ok(Zone {
            tz: TimeZone::fixed(offset),
            name: name.into(),
        })
    }

    /// A zone named in a `SET TIME ZONE` / `SET timezone` value (see the module docs).
    pub fn parse(setting: &str) -> Result<Zone> {
        let s = setting.trim();
        if let Ok(hours) = s.parse::<f64>() {
            let secs = (hours * 3600.0).round();
            if !(-15.0 * 3600.0..=15.0 * 3600.0).contains(&secs) {
                return Err(Error::InvalidParameterValue(format!(
                    "invalid value for parameter \"TimeZone\": \"{s}\""
                )));
            }
            return Zone::fixed(secs as i32);
        }
        if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("z") {
            return Ok(Zone::utc());
        }
        if let Some(secs) = fixed_name_offset(s) {
            return Zone::fixed(secs);
        }
        // A POSIX offset without a zone name (`+02:00`, `04:30`): hours *west* of UTC.
        let signed = if s.starts_with(['+', '-']) {
            s.to_string()
        } else {
            format!("+{s}")
        };
        if s.contains(':')
            && let Some(east) = numeric_offset(&signed)
            && let Ok(offset) = Offset::from_seconds(-east)
        {
            return Ok(Zone {
                tz: TimeZone::fixed(offset),
                name: s.into(),
            });
        }
        Zone::named(s).ok_or_else(|| {
            Error::InvalidParameterValue(format!(
                "invalid value for parameter \"TimeZone\": \"{s}\""
            ))
        })
    }

    /// An IANA zone or a POSIX specification, by name.
    pub fn named(name: &str) -> Option<Zone> {
        if name.is_empty() || name.len() > 255 {
            return None;
        }
        if let Ok(tz) = TimeZone::get(name) {
            let shown = tz.iana_name().unwrap_or(name).to_string();
            return Some(Zone {
                tz,
                name: shown.into(),
            });
        }
        // POSIX specifications such as `UTC+3` or `EST5EDT,M3.2.0,M11.1.0`; a bare word
        // (no offset) is not one.
        if name.bytes().any(|b| b.is_ascii_digit())
            && let Ok(tz) = TimeZone::posix(name)
        {
            return Some(Zone {
                tz,
                name: name.into(),
            });
        }
        None
    }

    /// The offset (seconds east) of a zone that never changes it (PostgreSQL's
    /// `pg_get_timezone_offset`), else `None`.
    pub fn fixed_offset(&self) -> Option<i32> {
        self.tz.to_fixed_offset().ok().map(|o| o.seconds())
    }

    /// The offset (seconds east) of local time `local` written with the zone's abbreviation
    /// `abbrev` (PostgreSQL's `DetermineTimeZoneAbbrevOffset`): the offset the abbreviation
    /// meant at that instant, so `02:00 MSK` inside Moscow's 2011 change is UTC+4.
    pub fn abbrev_offset(&self, local: i64, abbrev: &str) -> i32 {
        let t = self.local_to_utc(local);
        if self.abbreviation_at(t).eq_ignore_ascii_case(abbrev) {
            self.offset_at(t)
        } else {
            self.local_offset(local)
        }
    }

    /// The name `SHOW TimeZone` prints.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's offset east of UTC, in seconds, at UTC instant `utc`.
    pub fn offset_at(&self, utc: i64) -> i32 {
        self.tz.to_offset(to_jiff(utc)).seconds()
    }

    /// The UTC instant of local time `local` in this zone (see the module docs for gaps and
    /// repeated times). Infinities pass through.
    pub fn local_to_utc(&self, local: i64) -> i64 {
        if !super::is_finite_ts(local) {
            return local;
        }
        let offset = self.local_offset(local);
        local.saturating_sub(i64::from(offset) * USECS_PER_SEC)
    }

    /// The offset (seconds east) that applies to local time `local`.
    pub fn local_offset(&self, local: i64) -> i32 {
        let f = Fields::of_timestamp(local);
        if let Ok(year) = i16::try_from(f.year)
            && (-9999..=9999).contains(&year)
            && let Ok(dt) = jiff::civil::DateTime::new(
                year,
                f.month as i8,
                f.day as i8,
                f.hour as i8,
                f.minute as i8,
                f.second as i8,
                0,
            )
            && let Ok(ts) = self.tz.to_ambiguous_timestamp(dt).later()
        {
            let local_secs = local.div_euclid(USECS_PER_SEC) + super::UNIX_TO_PG_DAYS * 86_400;
            return (local_secs - ts.as_second()) as i32;
        }
        self.guess_offset(local)
    }

    /// The offset for a local time jiff cannot represent exactly: PostgreSQL's two-step
    /// guess (the offset at `local` read as UTC, then at the instant that gives).
    fn guess_offset(&self, local: i64) -> i32 {
        let first = self.offset_at(local);
        self.offset_at(local.saturating_sub(i64::from(first) * USECS_PER_SEC))
    }

    /// The zone's abbreviation at UTC instant `utc` (`EST`, `CEST`, `+0530`), for `to_char`'s
    /// `TZ`.
    pub fn abbreviation_at(&self, utc: i64) -> String {
        let info = self.tz.to_offset_info(to_jiff(utc));
        info.abbreviation().to_string()
    }
}

/// `+05`, `-05:30`, `+00:00:30` (PostgreSQL's offset display).
pub fn offset_text(seconds_east: i32) -> String {
    let sign = if seconds_east < 0 { '-' } else { '+' };
    let a = seconds_east.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let mut out = format!("{sign}{h:02}");
    if m != 0 || s != 0 {
        out.push_str(&format!(":{m:02}"));
    }
    if s != 0 {
        out.push_str(&format!(":{s:02}"));
    }
    out
}

/// The offset of a name [`Zone::fixed`] gives (`<+05:30>-05:30`), so that a setting holding
/// it reads back as the same zone.
fn fixed_name_offset(s: &str) -> Option<i32> {
    let inner = s.strip_prefix('<')?;
    let (east, rest) = inner.split_once('>')?;
    let sign = match east.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let mut secs = 0i32;
    let mut unit = 3600;
    for part in east[1..].split(':') {
        if part.len() != 2 || unit == 0 {
            return None;
        }
        secs += part.parse::<i32>().ok()? * unit;
        unit /= 60;
    }
    let secs = sign * secs;
    (rest == offset_text(-secs)).then_some(secs)
}

/// A zone written in date/time input: a fixed offset or a named zone's rules.
#[derive(Debug, Clone)]
pub enum InputZone {
    Fixed(i32),
    Named(Zone),
    /// A dynamic abbreviation (`MSK`): the zone's offset under that abbreviation.
    Abbrev(Zone, String),
}

impl InputZone {
    /// The UTC instant of local time `local` in this zone.
    pub fn local_to_utc(&self, local: i64) -> i64 {
        match self {
            InputZone::Fixed(off) => local.saturating_sub(i64::from(*off) * USECS_PER_SEC),
            InputZone::Named(z) => z.local_to_utc(local),
            InputZone::Abbrev(z, a) => {
                if !super::is_finite_ts(local) {
                    return local;
                }
                local.saturating_sub(i64::from(z.abbrev_offset(local, a)) * USECS_PER_SEC)
            }
        }
    }
}

/// An abbreviation of PostgreSQL's default `timezone_abbreviations` set
/// ([`tokens`](super::tokens)): a fixed offset, or the zone whose rules it names.
fn abbreviation_zone(word: &str) -> Option<InputZone> {
    match super::tokens::abbreviation(&word.to_ascii_lowercase())? {
        super::tokens::Abbrev::Std(off) | super::tokens::Abbrev::Dst(off) => {
            Some(InputZone::Fixed(off))
        }
        super::tokens::Abbrev::Dynamic(name) => {
            Zone::named(name).map(|z| InputZone::Abbrev(z, word.to_ascii_lowercase()))
        }
    }
}

/// `+05`, `-0800`, `+05:30`, `-5`, `+05:30:15` → seconds east.
pub fn numeric_offset(t: &str) -> Option<i32> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let num = |s: &str| -> Option<i32> {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [hm] if hm.len() == 4 && hm.bytes().all(|b| b.is_ascii_digit()) => {
            (num(&hm[..2])?, num(&hm[2..])?, 0)
        }
        [h] => (num(h)?, 0, 0),
        [h, m] => (num(h)?, num(m)?, 0),
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        _ => return None,
    };
    if h > 15 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

/// The zone argument of `make_timestamptz` (PostgreSQL's `parse_sane_timezone`): an ISO
/// offset (`+2` is two hours *east*), then an abbreviation, then a zone name.
pub fn sane_zone(text: &str) -> Result<InputZone> {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(Error::WithHint {
            error: Box::new(Error::InvalidParameterValue(format!(
                "invalid input syntax for type numeric time zone: \"{text}\""
            ))),
            hint: "Numeric time zones must have \"-\" or \"+\" as first character.".into(),
        });
    }
    match super::decode::decode_timezone(text) {
        Ok(west) => return Ok(InputZone::Fixed(-west)),
        Err(super::decode::DtErr::TzDispOverflow) => {
            return Err(Error::InvalidParameterValue(format!(
                "numeric time zone \"{text}\" out of range"
            )));
        }
        Err(super::decode::DtErr::BadFormat) => {}
        Err(_) => return Err(unknown_zone(text)),
    }
    if let Some(z) = abbreviation_zone(text) {
        return Ok(z);
    }
    Zone::named(text)
        .map(InputZone::Named)
        .ok_or_else(|| unknown_zone(text))
}

/// Resolves `AT TIME ZONE` / `timezone(zone, ts)` arguments (22023 when unknown). Unlike
/// date/time input, a bare offset here is a POSIX zone specification, so `'+05'` is five
/// hours *west* of UTC, as in PostgreSQL.
pub fn zone_argument(text: &str) -> Result<InputZone> {
    let t = text.trim();
    if let Some(z) = abbreviation_zone(t) {
        return Ok(z);
    }
    if let Some(off) = numeric_offset(t) {
        return Ok(InputZone::Fixed(-off));
    }
    Zone::named(t)
        .map(InputZone::Named)
        .ok_or_else(|| unknown_zone(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::{USECS_PER_DAY, USECS_PER_HOUR};

    #[test]
    fn settings_and_offsets() {
        let ny = Zone::parse("america/new_york").unwrap();
        assert_eq!(ny.name(), "America/New_York");
        // 2020-06-01 12:00 UTC is EDT (-4)
        let days = crate::types::datetime::date2j(2020, 6, 1) as i64
            - crate::types::datetime::POSTGRES_EPOCH_JDATE as i64;
        let noon = days * USECS_PER_DAY + 12 * USECS_PER_HOUR;
        assert_eq!(ny.offset_at(noon), -4 * 3600);
        assert_eq!(ny.local_to_utc(noon), noon + 4 * USECS_PER_HOUR);
        assert_eq!(Zone::parse("-5").unwrap().name(), "<-05>+05");
        assert_eq!(Zone::parse("5.5").unwrap().name(), "<+05:30>-05:30");
        let posix = Zone::parse("UTC+3").unwrap();
        assert_eq!(posix.offset_at(0), -3 * 3600);
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert_eq!(offset_text(-(4 * 3600 + 56 * 60 + 2)), "-04:56:02");
        assert_eq!(numeric_offset("+0530"), Some(5 * 3600 + 1800));
        assert_eq!(numeric_offset("-08:00"), Some(-8 * 3600));
        assert_eq!(numeric_offset("+5"), Some(5 * 3600));
        assert_eq!(numeric_offset("5"), None);
    }
}
