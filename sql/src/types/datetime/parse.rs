//! Date/time input: the formats PostgreSQL accepts that applications write, with DateStyle
//! `ISO, MDY` for ambiguous numeric dates.
//!
//! Accepted: ISO 8601 (`2020-01-02`, `2020-01-02 10:00:00.5`, `2020-01-02T10:00:00Z`,
//! `20200102`, `20200102T101112`), `1/2/2020` and `01-02-2020` (month first), `2020/01/02`,
//! month names (`Jan 2 2020`, `2 January 2020`, `January 2, 2020`, `2020-Jan-02`), weekday
//! names (ignored), `AM`/`PM`, `BC`/`AD`, two-digit years (`< 70` → 20xx), zones written
//! after the time (`+05`, `-08:00`, `Z`, `EST`, `America/New_York`), and the special values
//! `epoch`, `infinity`, `-infinity`, `now`, `today`, `tomorrow`, `yesterday`, `allballs`.
//!
//! Errors: 22007 "invalid input syntax for type T" for text that is not a date/time at all,
//! 22008 "date/time field value out of range" for impossible field values.

use super::zone::{self, InputZone};
use super::{
    DATE_INFINITY, DATE_NEG_INFINITY, Fields, TS_INFINITY, TS_NEG_INFINITY, USECS_PER_DAY,
    days_in_month,
};
use crate::{Error, Result};

/// A special input word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Infinity,
    NegInfinity,
    Epoch,
    Now,
    Today,
    Tomorrow,
    Yesterday,
}

/// Decoded date/time input, before it is turned into a value of a particular type.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub fields: Fields,
    pub has_date: bool,
    pub has_time: bool,
    pub zone: Option<InputZone>,
    pub special: Option<Special>,
}

fn syntax(type_name: &str, s: &str) -> Error {
    Error::InvalidDatetimeFormat(format!(
        "invalid input syntax for type {type_name}: \"{s}\""
    ))
}

fn range(s: &str) -> Error {
    Error::DatetimeFieldOverflow(format!("date/time field value out of range: \"{s}\""))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const FULL_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const FULL_DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

fn month_name(w: &str) -> Option<u32> {
    let l = w.to_ascii_lowercase();
    if l == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == l)
        .or_else(|| FULL_MONTHS.iter().position(|m| *m == l))
        .map(|i| i as u32 + 1)
}

fn is_day_name(w: &str) -> bool {
    let l = w.to_ascii_lowercase();
    DAYS.contains(&l.as_str())
        || FULL_DAYS.contains(&l.as_str())
        || ["tues", "wednes", "thur", "thurs"].contains(&l.as_str())
}

/// One field of the input.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Digits only.
    Number(String),
    /// Digits with `.` (a fraction, or `2020.01.02`).
    Decimal(String),
    /// `10:00[:00[.5]]`
    Time(String),
    /// `2020-01-02`, `1/2/2020`, `2020-jan-02`
    Date(String),
    /// Letters (and `/`, `_`, digits after the first letter, for zone names).
    Word(String),
    /// `+05`, `-08:00`, `-infinity`
    Signed(String),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() || ch == ',' {
            i += 1;
            continue;
        }
        let start = i;
        if ch.is_ascii_digit() {
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
            }
            match c.get(i) {
                Some(':') => {
                    while i < c.len() && (c[i].is_ascii_digit() || c[i] == ':' || c[i] == '.') {
                        i += 1;
                    }
                    out.push(Tok::Time(c[start..i].iter().collect()));
                }
                Some(&sep @ ('-' | '/' | '.')) => {
                    let next_is_alnum = c.get(i + 1).is_some_and(|x| x.is_alphanumeric());
                    if sep == '.' && c.get(i + 1).is_some_and(|x| x.is_ascii_digit()) {
                        // `10.5` or `2020.01.02`
                        i += 1;
                        while i < c.len() && c[i].is_ascii_digit() {
                            i += 1;
                        }
                        if c.get(i) == Some(&'.') {
                            i += 1;
                            while i < c.len() && c[i].is_ascii_digit() {
                                i += 1;
                            }
                            let d: String = c[start..i].iter().collect();
                            out.push(Tok::Date(d.replace('.', "-")));
                        } else {
                            out.push(Tok::Decimal(c[start..i].iter().collect()));
                        }
                    } else if next_is_alnum {
                        i += 1;
                        while i < c.len() && (c[i].is_alphanumeric() || c[i] == sep) {
                            // `2020-01-02T10:00`: the `T` starts the time
                            if (c[i] == 'T' || c[i] == 't') && c[i - 1].is_ascii_digit() {
                                break;
                            }
                            i += 1;
                        }
                        out.push(Tok::Date(c[start..i].iter().collect()));
                    } else {
                        out.push(Tok::Number(c[start..i].iter().collect()));
                    }
                }
                _ => out.push(Tok::Number(c[start..i].iter().collect())),
            }
        } else if ch == '+' || ch == '-' {
            i += 1;
            if c.get(i).is_some_and(|x| x.is_alphabetic()) {
                while i < c.len() && c[i].is_alphabetic() {
                    i += 1;
                }
            } else {
                while i < c.len() && (c[i].is_ascii_digit() || c[i] == ':') {
                    i += 1;
                }
            }
            out.push(Tok::Signed(c[start..i].iter().collect()));
        } else if ch.is_alphabetic() && month_date_len(&c[start..]).is_some() {
            // `Feb-10-1997`: a month name starts a dashed or slashed date.
            i += month_date_len(&c[start..]).unwrap_or(0);
            out.push(Tok::Date(c[start..i].iter().collect()));
        } else if ch.is_alphabetic() {
            while i < c.len() && (c[i].is_alphanumeric() || matches!(c[i], '/' | '_' | '.')) {
                // `T10:00` (ISO separator glued to the time)
                if i == start + 1 && (c[start] == 'T' || c[start] == 't') && c[i].is_ascii_digit() {
                    break;
                }
                i += 1;
            }
            // `EST5EDT`-style names keep their digits; `Etc/GMT+5` its sign.
            if c[start..i].contains(&'/') && matches!(c.get(i), Some('+' | '-')) {
                i += 1;
                while i < c.len() && c[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let w: String = c[start..i].iter().collect();
            out.push(Tok::Word(w.trim_end_matches('.').to_string()));
        } else {
            return None;
        }
    }
    Some(out)
}

/// The length of `Mon-DD-YYYY` / `Mon/DD/YYYY` at the start of `c`, if it is one.
fn month_date_len(c: &[char]) -> Option<usize> {
    let word = c.iter().take_while(|x| x.is_alphabetic()).count();
    let name: String = c[..word].iter().collect();
    month_name(&name)?;
    let sep = *c.get(word).filter(|x| matches!(x, '-' | '/'))?;
    let mut i = word;
    let mut groups = 0;
    while c.get(i) == Some(&sep) && c.get(i + 1).is_some_and(char::is_ascii_digit) {
        i += 1;
        while c.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        groups += 1;
    }
    (groups == 2).then_some(i)
}

/// Two-digit years: 00..69 → 2000s, 70..99 → 1900s.
fn adjust_year(text: &str, y: i32) -> i32 {
    if text.len() <= 2 {
        if y < 70 { y + 2000 } else { y + 1900 }
    } else {
        y
    }
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses `h:m[:s[.f]]` into the fields (range-checked by the caller).
fn time_into(t: &str, f: &mut Fields, raw: &str, ty: &str) -> Result<()> {
    let parts: Vec<&str> = t.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(syntax(ty, raw)),
    };
    let (h, m) = (
        num(h).ok_or_else(|| syntax(ty, raw))?,
        num(m).ok_or_else(|| syntax(ty, raw))?,
    );
    let (sec, micros) = seconds(s).ok_or_else(|| syntax(ty, raw))?;
    if h > 24 || m > 59 || sec > 60 || (h == 24 && (m > 0 || sec > 0 || micros > 0)) {
        return Err(range(raw));
    }
    f.hour = h as u32;
    f.minute = m as u32;
    f.second = sec as u32;
    f.micros = micros;
    Ok(())
}

/// `ss[.ffff]` → whole seconds and microseconds (rounded half to even, as `rint`).
fn seconds(s: &str) -> Option<(i64, u32)> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let whole = num(whole)?;
    if frac.is_empty() {
        return Some((whole, 0));
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let f: f64 = format!("0.{frac}").parse().ok()?;
    let micros = (f * 1e6).round_ties_even() as i64;
    if micros >= 1_000_000 {
        return Some((whole + 1, 0));
    }
    Some((whole, micros as u32))
}

/// Decodes date/time input; `ty` names the type in error messages.
pub fn decode(s: &str, ty: &str) -> Result<Parsed> {
    let toks = tokenize(s).ok_or_else(|| syntax(ty, s))?;
    if toks.is_empty() {
        return Err(syntax(ty, s));
    }
    let mut p = Parsed::default();
    let (mut year, mut month, mut day): (Option<(i32, String)>, Option<u32>, Option<u32>) =
        (None, None, None);
    let mut pm: Option<bool> = None;
    let mut bc = false;
    let mut pending_numbers: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Word(w) => {
                let l = w.to_ascii_lowercase();
                match l.as_str() {
                    "epoch" => p.special = Some(Special::Epoch),
                    "infinity" => p.special = Some(Special::Infinity),
                    "now" => p.special = Some(Special::Now),
                    "today" => p.special = Some(Special::Today),
                    "tomorrow" => p.special = Some(Special::Tomorrow),
                    "yesterday" => p.special = Some(Special::Yesterday),
                    "allballs" => {
                        p.has_time = true;
                        p.zone = Some(InputZone::Fixed(0));
                    }
                    "am" | "a.m" => pm = Some(false),
                    "pm" | "p.m" => pm = Some(true),
                    "bc" | "b.c" => bc = true,
                    "ad" | "a.d" => {}
                    "t" => {}
                    "at" | "on" => {}
                    _ if l.starts_with('t')
                        && l.len() > 1
                        && l[1..].bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        // ISO basic time `T101112` (tokenizer split `T` off a glued time)
                        return Err(syntax(ty, s));
                    }
                    _ => {
                        if let Some(m) = month_name(w) {
                            if month.is_some() {
                                return Err(syntax(ty, s));
                            }
                            month = Some(m);
                            p.has_date = true;
                        } else if is_day_name(w) {
                        } else if let Some(z) = zone::input_zone(w) {
                            p.zone = Some(z);
                        } else {
                            return Err(syntax(ty, s));
                        }
                    }
                }
            }
            Tok::Signed(t) => {
                if t == "-infinity" || t.eq_ignore_ascii_case("-infinity") {
                    p.special = Some(Special::NegInfinity);
                } else if t.eq_ignore_ascii_case("+infinity") {
                    p.special = Some(Special::Infinity);
                } else if let Some(off) = zone::numeric_offset(t) {
                    if !p.has_time && !p.has_date {
                        return Err(syntax(ty, s));
                    }
                    p.zone = Some(InputZone::Fixed(off));
                } else {
                    return Err(syntax(ty, s));
                }
            }
            Tok::Time(t) => {
                if p.has_time {
                    return Err(syntax(ty, s));
                }
                time_into(t, &mut p.fields, s, ty)?;
                p.has_time = true;
            }
            Tok::Date(d) => {
                if year.is_some() || day.is_some() {
                    return Err(syntax(ty, s));
                }
                let sep = if d.contains('/') { '/' } else { '-' };
                let parts: Vec<&str> = d.split(sep).collect();
                let [a, b, c] = parts.as_slice() else {
                    return Err(syntax(ty, s));
                };
                // A month name anywhere decides the layout.
                if let Some(m) = month_name(b) {
                    // 2020-jan-02 or 02-jan-2020
                    month = Some(m);
                    if a.len() >= 3 {
                        year = Some((num(a).ok_or_else(|| syntax(ty, s))? as i32, a.to_string()));
                        day = Some(num(c).ok_or_else(|| syntax(ty, s))? as u32);
                    } else {
                        day = Some(num(a).ok_or_else(|| syntax(ty, s))? as u32);
                        year = Some((num(c).ok_or_else(|| syntax(ty, s))? as i32, c.to_string()));
                    }
                } else if let Some(m) = month_name(a) {
                    month = Some(m);
                    day = Some(num(b).ok_or_else(|| syntax(ty, s))? as u32);
                    year = Some((num(c).ok_or_else(|| syntax(ty, s))? as i32, c.to_string()));
                } else {
                    let (x, y, z) = (
                        num(a).ok_or_else(|| syntax(ty, s))?,
                        num(b).ok_or_else(|| syntax(ty, s))?,
                        num(c).ok_or_else(|| syntax(ty, s))?,
                    );
                    if a.len() >= 3 {
                        year = Some((x as i32, a.to_string()));
                        month = Some(y as u32);
                        day = Some(z as u32);
                    } else {
                        // DateStyle MDY
                        month = Some(x as u32);
                        day = Some(y as u32);
                        year = Some((z as i32, c.to_string()));
                    }
                }
                p.has_date = true;
            }
            Tok::Number(n) => {
                // ISO basic forms: YYYYMMDD, and HHMMSS after a date or a `T`.
                let after_t =
                    i > 0 && matches!(&toks[i - 1], Tok::Word(w) if w.eq_ignore_ascii_case("t"));
                if n.len() == 8 && !p.has_date && !after_t {
                    year = Some((n[..4].parse().unwrap_or(0), n[..4].to_string()));
                    month = Some(n[4..6].parse().unwrap_or(0));
                    day = Some(n[6..].parse().unwrap_or(0));
                    p.has_date = true;
                } else if (n.len() == 6 || n.len() == 4)
                    && (after_t || (p.has_date && year.is_some() && !p.has_time && n.len() == 6))
                {
                    let t = if n.len() == 6 {
                        format!("{}:{}:{}", &n[..2], &n[2..4], &n[4..])
                    } else {
                        format!("{}:{}", &n[..2], &n[2..])
                    };
                    time_into(&t, &mut p.fields, s, ty)?;
                    p.has_time = true;
                } else {
                    pending_numbers.push(n.clone());
                }
            }
            Tok::Decimal(d) => {
                // `HHMMSS.ffff` after a `T`
                let after_t =
                    i > 0 && matches!(&toks[i - 1], Tok::Word(w) if w.eq_ignore_ascii_case("t"));
                let (whole, frac) = d.split_once('.').unwrap_or((d, ""));
                if !p.has_date && whole.len() == 4 && frac.len() == 3 && !after_t {
                    // `1997.041`: a year and a day of the year.
                    let (y, doy) = (num(whole).unwrap_or(0) as i32, num(frac).unwrap_or(0));
                    let first = super::date2j(y, 1, 1);
                    let (yy, mm, dd) = super::j2date(first + doy as i32 - 1);
                    if !(1..=366).contains(&doy) || yy != y {
                        return Err(syntax(ty, s));
                    }
                    year = Some((yy, whole.to_string()));
                    month = Some(mm);
                    day = Some(dd);
                    p.has_date = true;
                } else if after_t && whole.len() == 6 {
                    let t = format!("{}:{}:{}.{frac}", &whole[..2], &whole[2..4], &whole[4..]);
                    time_into(&t, &mut p.fields, s, ty)?;
                    p.has_time = true;
                } else {
                    return Err(syntax(ty, s));
                }
            }
        }
        i += 1;
    }
    // Loose numbers complete a textual-month date: `Jan 2 2020`, `2 Jan 2020`.
    for n in pending_numbers {
        let v = num(&n).ok_or_else(|| syntax(ty, s))?;
        if month.is_some() && day.is_none() && n.len() <= 2 && year.is_none() {
            day = Some(v as u32);
        } else if year.is_none() && (n.len() >= 3 || day.is_some()) {
            year = Some((v as i32, n.clone()));
        } else if day.is_none() && n.len() <= 2 {
            day = Some(v as u32);
        } else {
            return Err(syntax(ty, s));
        }
        p.has_date = true;
    }
    if p.special.is_some() {
        if p.has_date {
            return Err(syntax(ty, s));
        }
        return Ok(p);
    }
    if let Some(is_pm) = pm {
        if !p.has_time || p.fields.hour > 12 {
            return Err(range(s));
        }
        if is_pm && p.fields.hour < 12 {
            p.fields.hour += 12;
        } else if !is_pm && p.fields.hour == 12 {
            p.fields.hour = 0;
        }
    }
    if p.has_date {
        let (Some((y, ytext)), Some(m), Some(d)) = (year, month, day) else {
            return Err(syntax(ty, s));
        };
        let mut y = adjust_year(&ytext, y);
        if y == 0 && ytext.len() > 2 {
            return Err(range(s));
        }
        if bc {
            y = 1 - y;
        }
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return Err(range(s));
        }
        p.fields.year = y;
        p.fields.month = m;
        p.fields.day = d;
    } else if bc || year.is_some() || day.is_some() {
        return Err(syntax(ty, s));
    }
    Ok(p)
}

/// `date` input.
pub fn date(s: &str) -> Result<i32> {
    let p = decode(s, "date")?;
    let env = crate::env::current();
    let today = || {
        let local = env.transaction_start
            + i64::from(env.time_zone.offset_at(env.transaction_start)) * super::USECS_PER_SEC;
        local.div_euclid(USECS_PER_DAY) as i32
    };
    let d = match p.special {
        Some(Special::Infinity) => return Ok(DATE_INFINITY),
        Some(Special::NegInfinity) => return Ok(DATE_NEG_INFINITY),
        Some(Special::Epoch) => -(super::UNIX_TO_PG_DAYS as i32),
        Some(Special::Now | Special::Today) => today(),
        Some(Special::Tomorrow) => today() + 1,
        Some(Special::Yesterday) => today() - 1,
        None if p.has_date => p.fields.days() as i32,
        None => return Err(syntax("date", s)),
    };
    super::check_date(i64::from(d))
}

/// `timestamp` input (a written zone is ignored, as PostgreSQL ignores it).
pub fn timestamp(s: &str) -> Result<i64> {
    let p = decode(s, "timestamp")?;
    let env = crate::env::current();
    let local_now = || {
        env.transaction_start
            + i64::from(env.time_zone.offset_at(env.transaction_start)) * super::USECS_PER_SEC
    };
    let midnight =
        |days: i64| local_now().div_euclid(USECS_PER_DAY) * USECS_PER_DAY + days * USECS_PER_DAY;
    Ok(match p.special {
        Some(Special::Infinity) => TS_INFINITY,
        Some(Special::NegInfinity) => TS_NEG_INFINITY,
        Some(Special::Epoch) => -super::UNIX_TO_PG_DAYS * USECS_PER_DAY,
        Some(Special::Now) => local_now(),
        Some(Special::Today) => midnight(0),
        Some(Special::Tomorrow) => midnight(1),
        Some(Special::Yesterday) => midnight(-1),
        None if p.has_date => p.fields.timestamp()?,
        None => return Err(syntax("timestamp", s)),
    })
}

/// `timestamptz` input: a written zone, else the session's `TimeZone`.
pub fn timestamptz(s: &str) -> Result<i64> {
    let ty = "timestamp with time zone";
    let p = decode(s, ty)?;
    let env = crate::env::current();
    let zone_midnight = |days: i64| {
        let local = env.transaction_start
            + i64::from(env.time_zone.offset_at(env.transaction_start)) * super::USECS_PER_SEC;
        let m = local.div_euclid(USECS_PER_DAY) * USECS_PER_DAY + days * USECS_PER_DAY;
        env.time_zone.local_to_utc(m)
    };
    Ok(match p.special {
        Some(Special::Infinity) => TS_INFINITY,
        Some(Special::NegInfinity) => TS_NEG_INFINITY,
        Some(Special::Epoch) => -super::UNIX_TO_PG_DAYS * USECS_PER_DAY,
        Some(Special::Now) => env.transaction_start,
        Some(Special::Today) => zone_midnight(0),
        Some(Special::Tomorrow) => zone_midnight(1),
        Some(Special::Yesterday) => zone_midnight(-1),
        None if p.has_date => {
            let local = p.fields.timestamp()?;
            let utc = match &p.zone {
                Some(z) => z.local_to_utc(local),
                None => env.time_zone.local_to_utc(local),
            };
            super::check_timestamp(utc)?
        }
        None => return Err(syntax(ty, s)),
    })
}

/// `time` input (a date part and a zone are ignored).
pub fn time(s: &str) -> Result<i64> {
    let ty = "time without time zone";
    let p = decode(s, ty)?;
    match p.special {
        Some(Special::Now) => {
            let env = crate::env::current();
            let local = env.transaction_start
                + i64::from(env.time_zone.offset_at(env.transaction_start)) * super::USECS_PER_SEC;
            return Ok(local.rem_euclid(USECS_PER_DAY));
        }
        Some(_) => return Err(syntax(ty, s)),
        None => {}
    }
    if !p.has_time {
        return Err(syntax(ty, s));
    }
    Ok(p.fields.time())
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
            ("2020-01-01 10:00 Mars/Olympus", "22007"),
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
