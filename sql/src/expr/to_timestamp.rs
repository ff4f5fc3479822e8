//! `to_date(text, text)` and `to_timestamp(text, text)`: reading a date or timestamp with
//! the template patterns `to_char` writes ([`super::to_char`]), as PostgreSQL's
//! `do_to_timestamp` does outside FX mode:
//!
//! * a numeric field reads as many digits as it finds when a separator or the end follows
//!   it in the template, and exactly its width when another field follows directly
//!   (`YYYYMMDD`); leading spaces before it are skipped;
//! * a literal character of the template skips one separator character of the input (not a
//!   letter or digit), a space skips any run of spaces; quoted text skips as many characters;
//! * month and day names match case-insensitively (day names are read and ignored);
//! * missing fields are year 1 BC (PostgreSQL's year 0), January, the 1st, midnight;
//! * `YY` / `YYY` / `Y` take the nearest year to 2020; `AM`/`PM` adjust `HH`/`HH12`;
//!   `MS`, `US` and `FFn` are fractions (`.5` is 500 ms); `TZH`/`TZM` give the offset;
//!   `DDD` is the day of the year; `J` the Julian day.
//!
//! Errors are PostgreSQL's: 22007 `invalid value "x" for "YYYY"`, 22008 `date/time field
//! value out of range: "input"`, 22007 for a 12-hour clock hour above 12.

use super::to_char::{DAY_NAMES, MONTH_NAMES, Pat, Piece, parse_template};
use crate::types::datetime::{self, Fields};
use crate::{Error, Result};

/// What a template read from an input.
#[derive(Debug, Default)]
pub struct Parsed {
    pub fields: Fields,
    /// The offset east of UTC in seconds, when `TZH` was given.
    pub offset: Option<i32>,
    /// `FFn`'s digits: the result is rounded to them.
    pub precision: Option<u8>,
}

#[derive(Default)]
struct Acc {
    year: Option<i64>,
    year_digits: usize,
    bc: bool,
    month: Option<i64>,
    day: Option<i64>,
    doy: Option<i64>,
    julian: Option<i64>,
    hour: Option<i64>,
    twelve_hour: bool,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    micros: i64,
    tzh: Option<i64>,
    tzh_negative: bool,
    tzm: i64,
    ff: Option<u8>,
    /// More than six fractional digits (out of range, as PostgreSQL says at the end).
    fraction_too_long: bool,
}

fn invalid_value(value: &str, pattern: &str) -> Error {
    Error::InvalidDatetimeFormat(format!("invalid value \"{value}\" for \"{pattern}\""))
}

/// The template name of `pat` for messages.
fn pattern_name(pat: Pat) -> &'static str {
    match pat {
        Pat::Year(4) => "YYYY",
        Pat::Year(3) => "YYY",
        Pat::Year(2) => "YY",
        Pat::Year(_) => "Y",
        Pat::Mm => "MM",
        Pat::Dd => "DD",
        Pat::Ddd => "DDD",
        Pat::Hh24 => "HH24",
        Pat::Hh12 => "HH12",
        Pat::Mi => "MI",
        Pat::Ss => "SS",
        Pat::Ms => "MS",
        Pat::Us => "US",
        Pat::Ff(_) => "FF",
        Pat::J => "J",
        Pat::Tzh => "TZH",
        Pat::Tzm => "TZM",
        Pat::Month { short: true, .. } => "Mon",
        Pat::Month { .. } => "Month",
        Pat::Day { short: true, .. } => "Dy",
        Pat::Day { .. } => "Day",
        _ => "pattern",
    }
}

/// The digits a numeric pattern reads when another field follows it directly.
fn width(pat: Pat) -> Option<usize> {
    Some(match pat {
        Pat::Year(n) => usize::from(n),
        Pat::IsoYear(n) => usize::from(n),
        Pat::Mm | Pat::Dd | Pat::Hh24 | Pat::Hh12 | Pat::Mi | Pat::Ss | Pat::Cc => 2,
        Pat::Ww | Pat::Iw | Pat::Tzm => 2,
        Pat::Ddd | Pat::Iddd | Pat::Ms => 3,
        Pat::Us => 6,
        Pat::Ff(n) => usize::from(n),
        Pat::D | Pat::Id | Pat::W | Pat::Q => 1,
        Pat::J | Pat::Ssss | Pat::YearComma => 9,
        Pat::Tzh => 3,
        _ => return None,
    })
}

/// Reads `input` as `fmt` (see the module docs).
pub fn parse(input: &str, fmt: &str) -> Result<Parsed> {
    let pieces = parse_template(fmt);
    let mut acc = Acc::default();
    let mut rest = input;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(text) => {
                for c in text.chars() {
                    if c == ' ' {
                        rest = rest.trim_start_matches(' ');
                    } else if let Some(n) = rest.chars().next()
                        && !n.is_alphanumeric()
                    {
                        rest = &rest[n.len_utf8()..];
                    } else if !c.is_alphanumeric() {
                        // a template separator over a letter or digit reads nothing
                    } else if let Some(n) = rest.chars().next() {
                        rest = &rest[n.len_utf8()..];
                    }
                }
            }
            Piece::Pattern { .. } if rest.trim_start().is_empty() => break, // input ended
            Piece::Pattern { pat, .. } => {
                let adjacent = matches!(pieces.get(i + 1), Some(Piece::Pattern { .. }));
                rest = read_field(*pat, rest, adjacent, &mut acc)?;
            }
        }
    }
    finish(acc, input)
}

fn take_name<'a>(rest: &'a str, names: &[&str], short: bool) -> Option<(usize, &'a str)> {
    for (k, name) in names.iter().enumerate() {
        let name = if short { &name[..3] } else { name };
        if rest.len() >= name.len()
            && rest.is_char_boundary(name.len())
            && rest[..name.len()].eq_ignore_ascii_case(name)
        {
            return Some((k, &rest[name.len()..]));
        }
    }
    None
}

/// A two-word marker (`AM`/`PM`, `AD`/`BC`; with `dots`, `A.M.`/`P.M.`): whether it is the
/// second word, and the rest. A mismatch names the pattern as PostgreSQL does (`names`:
/// plain, dotted).
fn marker<'a>(
    rest: &'a str,
    dots: bool,
    words: [&str; 2],
    names: [&str; 2],
) -> Result<(bool, &'a str)> {
    let rest = rest.trim_start();
    let n = if dots { 4 } else { 2 };
    let word = rest
        .get(..n)
        .unwrap_or(rest)
        .to_ascii_uppercase()
        .replace('.', "");
    match words.iter().position(|w| *w == word) {
        Some(k) => Ok((k == 1, rest.get(n..).unwrap_or(""))),
        None => Err(no_match(rest, names[usize::from(dots)])),
    }
}

fn read_field<'a>(pat: Pat, rest: &'a str, adjacent: bool, acc: &mut Acc) -> Result<&'a str> {
    match pat {
        Pat::Month { short, .. } => {
            let rest = rest.trim_start();
            let (k, after) = take_name(rest, &MONTH_NAMES, short)
                .ok_or_else(|| no_match(rest, pattern_name(pat)))?;
            acc.month = Some(k as i64 + 1);
            return Ok(after);
        }
        Pat::Day { short, .. } => {
            let rest = rest.trim_start();
            let (_, after) = take_name(rest, &DAY_NAMES, short)
                .ok_or_else(|| no_match(rest, pattern_name(pat)))?;
            return Ok(after);
        }
        Pat::Meridiem { dots, .. } => {
            let (pm, after) = marker(rest, dots, ["AM", "PM"], ["AM", "A.M."])?;
            acc.pm = Some(pm);
            return Ok(after);
        }
        Pat::Era { dots, .. } => {
            let (bc, after) = marker(rest, dots, ["AD", "BC"], ["BC", "B.C."])?;
            acc.bc = bc;
            return Ok(after);
        }
        _ => {}
    }
    let Some(w) = width(pat) else {
        return Err(Error::unsupported(format!(
            "formatting field \"{}\" is only supported in to_char",
            pattern_name(pat)
        )));
    };
    let mut rest = rest.trim_start();
    let mut negative = false;
    if pat == Pat::Tzh
        && let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-')
    {
        negative = sign == '-';
        rest = &rest[1..];
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n = if adjacent { digits.min(w) } else { digits };
    let text = &rest[..n];
    if n == 0 {
        let shown: String = rest.chars().take(w).collect();
        return Err(invalid_value(&shown, pattern_name(pat)));
    }
    let value: i64 = text
        .parse()
        .map_err(|_| invalid_value(text, pattern_name(pat)))?;
    let fraction = |scale: u32| -> i64 {
        let l = n.min(scale as usize) as u32;
        value * 10_i64.pow(scale - l)
    };
    match pat {
        Pat::Year(k) | Pat::IsoYear(k) => {
            acc.year = Some(value);
            acc.year_digits = if n > usize::from(k) {
                4
            } else {
                usize::from(k)
            };
        }
        Pat::YearComma => {
            acc.year = Some(value);
            acc.year_digits = 4;
        }
        Pat::Mm => acc.month = Some(value),
        Pat::Dd => acc.day = Some(value),
        Pat::Ddd | Pat::Iddd => acc.doy = Some(value),
        Pat::J => acc.julian = Some(value),
        Pat::Hh24 => acc.hour = Some(value),
        Pat::Hh12 => {
            if !(1..=12).contains(&value) {
                return Err(Error::WithHint {
                    error: Box::new(Error::InvalidDatetimeFormat(format!(
                        "hour \"{value}\" is invalid for the 12-hour clock"
                    ))),
                    hint: "Use the 24-hour clock, or give an hour between 1 and 12.".into(),
                });
            }
            acc.hour = Some(value);
            acc.twelve_hour = true;
        }
        Pat::Mi => acc.minute = value,
        Pat::Ss => acc.second = value,
        Pat::Ssss => {
            acc.hour = Some(value / 3600);
            acc.minute = value / 60 % 60;
            acc.second = value % 60;
        }
        Pat::Ms => acc.micros = fraction(3) * 1000,
        Pat::Us => {
            acc.micros = fraction(6);
            acc.fraction_too_long |= n > 6;
        }
        Pat::Ff(k) => {
            acc.micros = fraction(6);
            acc.fraction_too_long |= n > 6;
            acc.ff = Some(k);
        }
        Pat::Tzh => {
            acc.tzh = Some(value);
            acc.tzh_negative = negative;
        }
        Pat::Tzm => acc.tzm = value,
        // day of week, week numbers, quarter and century are read and not used
        _ => {}
    }
    Ok(&rest[n..])
}

fn no_match(rest: &str, pattern: &str) -> Error {
    let shown: String = rest.chars().take(32).collect();
    invalid_value(&shown, pattern)
}

fn finish(acc: Acc, input: &str) -> Result<Parsed> {
    let out_of_range =
        || Error::DatetimeFieldOverflow(format!("date/time field value out of range: \"{input}\""));
    let mut year = acc.year.unwrap_or(0);
    if acc.year.is_some() {
        year = match acc.year_digits {
            1 => 2000 + year,
            2 if year < 70 => 2000 + year,
            2 => 1900 + year,
            3 if year < 520 => 2000 + year,
            3 => 1000 + year,
            _ => year,
        };
        if acc.bc {
            year = 1 - year;
        }
    }
    let year = i32::try_from(year).map_err(|_| out_of_range())?;
    let (mut month, mut day) = (acc.month.unwrap_or(1), acc.day.unwrap_or(1));
    if let Some(j) = acc.julian {
        let (y, m, d) = datetime::j2date(i32::try_from(j).map_err(|_| out_of_range())?);
        return finish_time(&acc, y, m, d, out_of_range);
    }
    if let Some(doy) = acc.doy
        && acc.month.is_none()
    {
        let mut left = doy;
        month = 1;
        while month <= 12 && left > i64::from(datetime::days_in_month(year, month as u32)) {
            left -= i64::from(datetime::days_in_month(year, month as u32));
            month += 1;
        }
        if month > 12 || left < 1 {
            return Err(out_of_range());
        }
        day = left;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > i64::from(datetime::days_in_month(year, month as u32))
    {
        return Err(out_of_range());
    }
    finish_time(&acc, year, month as u32, day as u32, out_of_range)
}

fn finish_time(
    acc: &Acc,
    year: i32,
    month: u32,
    day: u32,
    out_of_range: impl Fn() -> Error,
) -> Result<Parsed> {
    let mut hour = acc.hour.unwrap_or(0);
    match acc.pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    if acc.twelve_hour && acc.pm.is_none() && hour == 12 {
        hour = 0;
    }
    // PostgreSQL 15's do_to_timestamp: 24:00 and a leap second are out of range here.
    if acc.fraction_too_long
        || !(0..24).contains(&hour)
        || !(0..60).contains(&acc.minute)
        || !(0..60).contains(&acc.second)
    {
        return Err(out_of_range());
    }
    let offset = acc.tzh.map(|h| {
        let s = (h * 3600 + acc.tzm * 60) as i32;
        if acc.tzh_negative { -s } else { s }
    });
    Ok(Parsed {
        fields: Fields {
            year,
            month,
            day,
            hour: hour as u32,
            minute: acc.minute as u32,
            second: acc.second as u32,
            micros: acc.micros as u32,
        },
        offset,
        precision: acc.ff,
    })
}
