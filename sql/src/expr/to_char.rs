//! `to_char` for timestamps, timestamptz and intervals: a port of PostgreSQL 15's
//! `DCH_to_char` (`formatting.c`) over the template nodes of [`super::dch_template`], so
//! every pattern prints as PostgreSQL prints it:
//!
//! * numbers are zero-padded to their width unless `FM` (a negative value gets one more
//!   place for its sign); `TH`/`th` append the English ordinal of the printed digits;
//! * names are padded to 9 characters (`Month`, `Day`) unless `FM`; `TM` (the C locale's
//!   names) prints them unpadded;
//! * year patterns show BC years as positive (`ADJUST_YEAR`), except for intervals;
//! * an interval's fields are its own (hours past 24, negative parts), its "day of year" is
//!   `(years * 12 + months) * 30 + days`, and the calendar-only patterns (names, `AD`/`BC`,
//!   `D`, `ID`, time zones) are 22007 `invalid format specification for an interval value`;
//! * `TZ`/`tz` print the zone abbreviation (nothing for a timestamp without zone), `TZH`,
//!   `TZM`, `OF` the offset;
//! * anything else in the template is copied; `SP` is accepted and ignored.
//!
//! Number templates are [`super::to_char_number`]'s.

use super::dch_template::{self as dch, Dch, FM, Node, TH_LOWER, TH_UPPER, TM};
use crate::types::Value;
use crate::types::datetime::format::{DAY_NAMES_FULL as DAYS, MONTH_NAMES_FULL as MONTHS_FULL};
use crate::types::datetime::{self, Fields, Interval, USECS_PER_SEC, zone::Zone};
use crate::{Error, Result};

/// The fields a template prints (PostgreSQL's `TmToChar`).
#[derive(Debug, Default)]
struct TmToChar {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
    /// Day of the week, 0 = Sunday.
    wday: i64,
    yday: i64,
    /// Offset east of UTC in seconds.
    gmtoff: i64,
    /// The zone abbreviation, for a timestamptz.
    tzn: Option<String>,
}

const RM_UPPER: [&str; 12] = [
    "XII", "XI", "X", "IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I",
];

/// `date2j` over `i64` fields (an interval's may be anything).
fn date2j(year: i64, mon: i64, mday: i64) -> i64 {
    let (y, m) = if mon > 2 {
        (year + 4800, mon + 1)
    } else {
        (year + 4799, mon + 13)
    };
    let century = y / 100;
    y * 365 - 32167 + y / 4 - century + century / 4 + 7834 * m / 256 + mday
}

fn j2day(j: i64) -> i64 {
    (j + 1).rem_euclid(7)
}

/// The Julian day of the Monday of ISO week `week` of ISO year `year` (`isoweek2j`).
pub(super) fn isoweek2j(year: i64, week: i64) -> i64 {
    let day4 = date2j(year, 1, 4);
    (week - 1) * 7 + (day4 - j2day(day4 - 1))
}

/// `date2isoyear`: the ISO year a date falls in.
fn date2isoyear(year: i64, mon: i64, mday: i64) -> i64 {
    let dayn = date2j(year, mon, mday);
    let mut year = year;
    let mut day4 = date2j(year, 1, 4);
    let mut day0 = j2day(day4 - 1);
    if dayn < day4 - day0 {
        day4 = date2j(year - 1, 1, 4);
        day0 = j2day(day4 - 1);
        year -= 1;
    }
    let week = (dayn - (day4 - day0)) / 7 + 1;
    if week >= 52 {
        day4 = date2j(year + 1, 1, 4);
        day0 = j2day(day4 - 1);
        if dayn >= day4 - day0 {
            year += 1;
        }
    }
    year
}

/// `date2isoweek`: the ISO week number of a date.
fn date2isoweek(year: i64, mon: i64, mday: i64) -> i64 {
    let dayn = date2j(year, mon, mday);
    let mut day4 = date2j(year, 1, 4);
    let mut day0 = j2day(day4 - 1);
    if dayn < day4 - day0 {
        day4 = date2j(year - 1, 1, 4);
        day0 = j2day(day4 - 1);
    }
    let mut week = (dayn - (day4 - day0)) / 7 + 1;
    if week >= 52 {
        day4 = date2j(year + 1, 1, 4);
        day0 = j2day(day4 - 1);
        if dayn >= day4 - day0 {
            week = (dayn - (day4 - day0)) / 7 + 1;
        }
    }
    week
}

fn date2isoyearday(year: i64, mon: i64, mday: i64) -> i64 {
    date2j(year, mon, mday) - isoweek2j(date2isoyear(year, mon, mday), 1) + 1
}

/// `ADJUST_YEAR`: BC years print as positive numbers, except for intervals.
fn adjust_year(year: i64, is_interval: bool) -> i64 {
    if is_interval || year > 0 {
        year
    } else {
        -(year - 1)
    }
}

/// `sprintf("%0*d", width, v)`: zero-padded after the sign.
fn padded(v: i64, width: usize) -> String {
    format!("{v:0width$}")
}

/// `str_numth`: the ordinal suffix of the digits just printed.
fn numth(num: &str, upper: bool) -> Result<&'static str> {
    let b = num.as_bytes();
    let Some(&last) = b.last().filter(|c| c.is_ascii_digit()) else {
        return Err(Error::InvalidTextRepresentation(format!(
            "\"{num}\" is not a number"
        )));
    };
    let last = if b.len() > 1 && b[b.len() - 2] == b'1' {
        b'0'
    } else {
        last
    };
    Ok(match (last, upper) {
        (b'1', true) => "ST",
        (b'1', false) => "st",
        (b'2', true) => "ND",
        (b'2', false) => "nd",
        (b'3', true) => "RD",
        (b'3', false) => "rd",
        (_, true) => "TH",
        (_, false) => "th",
    })
}

fn invalid_for_interval() -> Error {
    Error::WithHint {
        error: Box::new(Error::InvalidDatetimeFormat(
            "invalid format specification for an interval value".into(),
        )),
        hint: "Intervals are not tied to specific calendar dates.".into(),
    }
}

/// How a name pattern is spelled: `MONTH`, `Month` or `month`.
fn name_case(name: &str, word: &str) -> String {
    let b = name.as_bytes();
    if b[0].is_ascii_lowercase() {
        word.to_ascii_lowercase()
    } else if b.len() > 1 && b[1].is_ascii_uppercase() {
        word.to_ascii_uppercase()
    } else {
        word.to_string()
    }
}

/// `DCH_to_char`: writes `tm` as `nodes` describe.
fn dch_to_char(nodes: &[Node], is_interval: bool, tm: &TmToChar) -> Result<String> {
    let mut out = String::new();
    for node in nodes {
        let (key, suffix) = match node {
            Node::Action { key, suffix } => (*key, *suffix),
            Node::Char(c) => {
                out.push_str(c);
                continue;
            }
            Node::Separator(c) | Node::Space(c) => {
                out.push(char::from(*c));
                continue;
            }
        };
        let fm = suffix & FM != 0;
        let tm_mode = suffix & TM != 0;
        let w = |width: usize, v: i64| {
            if fm {
                0
            } else if v >= 0 {
                width
            } else {
                width + 1
            }
        };
        let calendar_only = matches!(
            key.id,
            Dch::Tz
                | Dch::Tzh
                | Dch::Tzm
                | Dch::Of
                | Dch::ADots
                | Dch::Ad
                | Dch::MonthFull
                | Dch::MonthShort
                | Dch::DayFull
                | Dch::DayShort
                | Dch::D
                | Dch::Id
        );
        if is_interval && calendar_only {
            return Err(invalid_for_interval());
        }
        let year = adjust_year(tm.year, is_interval);
        let iso_year = || adjust_year(date2isoyear(tm.year, tm.mon, tm.mday), is_interval);
        // Whether `TH` applies to what this pattern prints.
        let mut numeric = true;
        let text = match key.id {
            Dch::Fx => {
                numeric = false;
                String::new()
            }
            Dch::AMDots | Dch::Am => {
                numeric = false;
                let pm = tm.hour % 24 >= 12;
                let dots = key.id == Dch::AMDots;
                let word = match (pm, dots) {
                    (false, false) => "AM",
                    (true, false) => "PM",
                    (false, true) => "A.M.",
                    (true, true) => "P.M.",
                };
                if key.name.as_bytes()[0].is_ascii_lowercase() {
                    word.to_ascii_lowercase()
                } else {
                    word.to_string()
                }
            }
            Dch::Hh12 => {
                let h = if tm.hour % 12 == 0 { 12 } else { tm.hour % 12 };
                padded(h, w(2, tm.hour))
            }
            Dch::Hh24 => padded(tm.hour, w(2, tm.hour)),
            Dch::Mi => padded(tm.min, w(2, tm.min)),
            Dch::Ss => padded(tm.sec, w(2, tm.sec)),
            Dch::Ff(n) => {
                let n = u32::from(n);
                padded(tm.fsec / 10_i64.pow(6 - n), n as usize)
            }
            Dch::Ms => padded(tm.fsec / 1000, 3),
            Dch::Us => padded(tm.fsec, 6),
            Dch::Ssss => (tm.hour * 3600 + tm.min * 60 + tm.sec).to_string(),
            Dch::Tz => {
                numeric = false;
                match &tm.tzn {
                    Some(z) if key.name == "tz" => z.to_ascii_lowercase(),
                    Some(z) => z.clone(),
                    None => String::new(),
                }
            }
            Dch::Tzh => {
                numeric = false;
                let sign = if tm.gmtoff >= 0 { '+' } else { '-' };
                format!("{sign}{:02}", tm.gmtoff.abs() / 3600)
            }
            Dch::Tzm => {
                numeric = false;
                format!("{:02}", tm.gmtoff.abs() % 3600 / 60)
            }
            Dch::Of => {
                numeric = false;
                let sign = if tm.gmtoff >= 0 { '+' } else { '-' };
                let a = tm.gmtoff.abs();
                let mut s = format!("{sign}{}", padded(a / 3600, if fm { 0 } else { 2 }));
                if a % 3600 != 0 {
                    s.push_str(&format!(":{:02}", a % 3600 / 60));
                }
                s
            }
            Dch::ADots | Dch::Ad => {
                numeric = false;
                let bc = tm.year <= 0;
                let word = match (bc, key.id == Dch::ADots) {
                    (false, false) => "AD",
                    (true, false) => "BC",
                    (false, true) => "A.D.",
                    (true, true) => "B.C.",
                };
                if key.name.as_bytes()[0].is_ascii_lowercase() {
                    word.to_ascii_lowercase()
                } else {
                    word.to_string()
                }
            }
            Dch::MonthFull | Dch::MonthShort => {
                numeric = false;
                if tm.mon == 0 {
                    String::new()
                } else {
                    let full = MONTHS_FULL[(tm.mon - 1).clamp(0, 11) as usize];
                    name_text(key.name, full, key.id == Dch::MonthShort, fm || tm_mode)
                }
            }
            Dch::DayFull | Dch::DayShort => {
                numeric = false;
                let full = DAYS[tm.wday.clamp(0, 6) as usize];
                name_text(key.name, full, key.id == Dch::DayShort, fm || tm_mode)
            }
            Dch::Mm => padded(tm.mon, w(2, tm.mon)),
            Dch::Ddd => padded(tm.yday, if fm { 0 } else { 3 }),
            Dch::Iddd => padded(
                date2isoyearday(tm.year, tm.mon, tm.mday),
                if fm { 0 } else { 3 },
            ),
            Dch::Dd => padded(tm.mday, if fm { 0 } else { 2 }),
            Dch::D => (tm.wday + 1).to_string(),
            Dch::Id => (if tm.wday == 0 { 7 } else { tm.wday }).to_string(),
            Dch::Ww => padded((tm.yday - 1) / 7 + 1, if fm { 0 } else { 2 }),
            Dch::Iw => padded(
                date2isoweek(tm.year, tm.mon, tm.mday),
                if fm { 0 } else { 2 },
            ),
            Dch::Q => {
                if tm.mon == 0 {
                    continue;
                }
                ((tm.mon - 1) / 3 + 1).to_string()
            }
            Dch::Cc => {
                let c = if is_interval {
                    tm.year / 100
                } else if tm.year > 0 {
                    (tm.year - 1) / 100 + 1
                } else {
                    tm.year / 100 - 1
                };
                if (-99..=99).contains(&c) {
                    padded(c, w(2, c))
                } else {
                    c.to_string()
                }
            }
            Dch::YearComma => {
                let m = year / 1000;
                format!("{m},{:03}", year - m * 1000)
            }
            Dch::Year(n) | Dch::IsoYear(n) => {
                let y = if matches!(key.id, Dch::Year(_)) {
                    year
                } else {
                    iso_year()
                };
                match n {
                    4 => padded(y, w(4, year)),
                    3 => padded(y % 1000, w(3, year)),
                    2 => padded(y % 100, w(2, year)),
                    _ => (y % 10).to_string(),
                }
            }
            Dch::Rm => {
                numeric = false;
                if tm.mon == 0 && tm.year == 0 {
                    String::new()
                } else {
                    let k = if tm.mon == 0 {
                        if tm.year >= 0 { 0 } else { 11 }
                    } else if tm.mon < 0 {
                        -(tm.mon + 1)
                    } else {
                        12 - tm.mon
                    };
                    let r = RM_UPPER[k.clamp(0, 11) as usize];
                    let r = if key.name == "rm" {
                        r.to_ascii_lowercase()
                    } else {
                        r.to_string()
                    };
                    if fm { r } else { format!("{r:<4}") }
                }
            }
            Dch::W => ((tm.mday - 1) / 7 + 1).to_string(),
            Dch::J => date2j(tm.year, tm.mon, tm.mday).to_string(),
        };
        out.push_str(&text);
        if numeric && suffix & (TH_UPPER | TH_LOWER) != 0 {
            out.push_str(numth(&text, suffix & TH_UPPER != 0)?);
        }
    }
    Ok(out)
}

/// A month or day name as `name` (`MONTH`, `Mon`, `dy`, …) spells it: abbreviated to
/// three letters, or full and padded to 9 unless `unpadded`.
fn name_text(name: &str, full: &str, short: bool, unpadded: bool) -> String {
    let word = name_case(name, if short { &full[..3] } else { full });
    if short || unpadded {
        word
    } else {
        format!("{word:<9}")
    }
}

/// `to_char(timestamp, fmt)`; with `zone`, a timestamptz shown in that zone. NULL for an
/// empty template (infinite values are NULL too, decided by the caller).
pub fn timestamp(ts: i64, fmt: &str, zone: Option<&Zone>) -> Result<Option<String>> {
    if fmt.is_empty() || !datetime::is_finite_ts(ts) {
        return Ok(None);
    }
    let offset = zone.map_or(0, |z| z.offset_at(ts));
    let f = Fields::of_timestamp(ts + i64::from(offset) * USECS_PER_SEC);
    let (year, mon, mday) = (i64::from(f.year), i64::from(f.month), i64::from(f.day));
    let j = date2j(year, mon, mday);
    let tm = TmToChar {
        year,
        mon,
        mday,
        hour: f.hour.into(),
        min: f.minute.into(),
        sec: f.second.into(),
        fsec: f.micros.into(),
        wday: (j + 1).rem_euclid(7),
        yday: j - date2j(year, 1, 1) + 1,
        gmtoff: offset.into(),
        tzn: zone.map(|z| z.abbreviation_at(ts)),
    };
    dch_to_char(&dch::parse(fmt), false, &tm).map(Some)
}

/// `to_char(interval, fmt)`: the interval's own fields (`interval2itm`), truncated toward
/// zero as C divides.
pub fn interval(iv: &Interval, fmt: &str) -> Result<Option<String>> {
    if fmt.is_empty() {
        return Ok(None);
    }
    let months = i64::from(iv.months);
    let t = iv.micros;
    let (year, mon, mday) = (months / 12, months % 12, i64::from(iv.days));
    let tm = TmToChar {
        year,
        mon,
        mday,
        hour: t / datetime::USECS_PER_HOUR,
        min: t % datetime::USECS_PER_HOUR / datetime::USECS_PER_MINUTE,
        sec: t % datetime::USECS_PER_MINUTE / USECS_PER_SEC,
        fsec: t % USECS_PER_SEC,
        wday: 0,
        yday: (year * 12 + mon) * 30 + mday,
        gmtoff: 0,
        tzn: None,
    };
    dch_to_char(&dch::parse(fmt), true, &tm).map(Some)
}

/// `to_char(number, fmt)`: see [`super::to_char_number`].
pub fn number(v: &Value, fmt: &str) -> Result<String> {
    super::to_char_number::to_char(v, fmt)
}
