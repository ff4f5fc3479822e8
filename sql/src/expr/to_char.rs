//! `to_char`: formatting dates, times, intervals and numbers with PostgreSQL's template
//! patterns.
//!
//! Date/time patterns: `HH HH12 HH24 MI SS MS US FF1..FF6 SSSS SSSSS AM PM A.M. P.M.
//! Y,YYY YYYY YYY YY Y IYYY IYY IY I BC AD B.C. A.D. MONTH Month month MON Mon mon MM DAY Day
//! day DY Dy dy DDD IDDD DD D ID W WW IW CC J Q RM rm TZ tz TZH TZM OF`, the `FM` prefix (no
//! padding), the `TH`/`th` suffix (ordinals), `"quoted text"` and `\` escapes; anything else
//! is copied. Names are padded to 9 characters unless `FM` is given, as in PostgreSQL.
//!
//! Number patterns: `9 0 . , D G S MI FM` and `TH`; a value too wide for the template prints
//! as `#`s.

use crate::Result;
use crate::types::Value;
use crate::types::datetime::{self, Fields, Interval, USECS_PER_SEC, zone::Zone};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Pat {
    Hh24,
    Hh12,
    Mi,
    Ss,
    Ms,
    Us,
    Ff(u8),
    Ssss,
    Meridiem { upper: bool, dots: bool },
    YearComma,
    Year(u8),
    IsoYear(u8),
    Era { upper: bool, dots: bool },
    Month { case: Case, short: bool },
    Mm,
    Day { case: Case, short: bool },
    Ddd,
    Iddd,
    Dd,
    D,
    Id,
    W,
    Ww,
    Iw,
    Cc,
    J,
    Q,
    Rm { upper: bool },
    Tz { upper: bool },
    Tzh,
    Tzm,
    Of,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Case {
    Upper,
    Title,
    Lower,
}

/// Patterns, longest first so that `HH24` wins over `HH`.
const PATTERNS: &[(&str, Pat)] = {
    use Case::*;
    use Pat::*;
    &[
        (
            "A.M.",
            Meridiem {
                upper: true,
                dots: true,
            },
        ),
        (
            "P.M.",
            Meridiem {
                upper: true,
                dots: true,
            },
        ),
        (
            "a.m.",
            Meridiem {
                upper: false,
                dots: true,
            },
        ),
        (
            "p.m.",
            Meridiem {
                upper: false,
                dots: true,
            },
        ),
        (
            "A.D.",
            Era {
                upper: true,
                dots: true,
            },
        ),
        (
            "B.C.",
            Era {
                upper: true,
                dots: true,
            },
        ),
        (
            "a.d.",
            Era {
                upper: false,
                dots: true,
            },
        ),
        (
            "b.c.",
            Era {
                upper: false,
                dots: true,
            },
        ),
        ("Y,YYY", YearComma),
        ("y,yyy", YearComma),
        ("SSSSS", Ssss),
        ("sssss", Ssss),
        (
            "MONTH",
            Month {
                case: Upper,
                short: false,
            },
        ),
        (
            "Month",
            Month {
                case: Title,
                short: false,
            },
        ),
        (
            "month",
            Month {
                case: Lower,
                short: false,
            },
        ),
        ("HH24", Hh24),
        ("hh24", Hh24),
        ("HH12", Hh12),
        ("hh12", Hh12),
        ("SSSS", Ssss),
        ("ssss", Ssss),
        ("YYYY", Year(4)),
        ("yyyy", Year(4)),
        ("IYYY", IsoYear(4)),
        ("iyyy", IsoYear(4)),
        ("IDDD", Iddd),
        ("iddd", Iddd),
        ("FF1", Ff(1)),
        ("FF2", Ff(2)),
        ("FF3", Ff(3)),
        ("FF4", Ff(4)),
        ("FF5", Ff(5)),
        ("FF6", Ff(6)),
        ("ff1", Ff(1)),
        ("ff2", Ff(2)),
        ("ff3", Ff(3)),
        ("ff4", Ff(4)),
        ("ff5", Ff(5)),
        ("ff6", Ff(6)),
        ("YYY", Year(3)),
        ("yyy", Year(3)),
        ("IYY", IsoYear(3)),
        ("iyy", IsoYear(3)),
        (
            "MON",
            Month {
                case: Upper,
                short: true,
            },
        ),
        (
            "Mon",
            Month {
                case: Title,
                short: true,
            },
        ),
        (
            "mon",
            Month {
                case: Lower,
                short: true,
            },
        ),
        (
            "DAY",
            Day {
                case: Upper,
                short: false,
            },
        ),
        (
            "Day",
            Day {
                case: Title,
                short: false,
            },
        ),
        (
            "day",
            Day {
                case: Lower,
                short: false,
            },
        ),
        ("DDD", Ddd),
        ("ddd", Ddd),
        ("TZH", Tzh),
        ("tzh", Tzh),
        ("TZM", Tzm),
        ("tzm", Tzm),
        ("HH", Hh12),
        ("hh", Hh12),
        ("MI", Mi),
        ("mi", Mi),
        ("SS", Ss),
        ("ss", Ss),
        ("MS", Ms),
        ("ms", Ms),
        ("US", Us),
        ("us", Us),
        (
            "AM",
            Meridiem {
                upper: true,
                dots: false,
            },
        ),
        (
            "PM",
            Meridiem {
                upper: true,
                dots: false,
            },
        ),
        (
            "am",
            Meridiem {
                upper: false,
                dots: false,
            },
        ),
        (
            "pm",
            Meridiem {
                upper: false,
                dots: false,
            },
        ),
        (
            "AD",
            Era {
                upper: true,
                dots: false,
            },
        ),
        (
            "BC",
            Era {
                upper: true,
                dots: false,
            },
        ),
        (
            "ad",
            Era {
                upper: false,
                dots: false,
            },
        ),
        (
            "bc",
            Era {
                upper: false,
                dots: false,
            },
        ),
        ("YY", Year(2)),
        ("yy", Year(2)),
        ("IY", IsoYear(2)),
        ("iy", IsoYear(2)),
        ("MM", Mm),
        ("mm", Mm),
        (
            "DY",
            Day {
                case: Upper,
                short: true,
            },
        ),
        (
            "Dy",
            Day {
                case: Title,
                short: true,
            },
        ),
        (
            "dy",
            Day {
                case: Lower,
                short: true,
            },
        ),
        ("DD", Dd),
        ("dd", Dd),
        ("ID", Id),
        ("id", Id),
        ("WW", Ww),
        ("ww", Ww),
        ("IW", Iw),
        ("iw", Iw),
        ("CC", Cc),
        ("cc", Cc),
        ("RM", Rm { upper: true }),
        ("rm", Rm { upper: false }),
        ("TZ", Tz { upper: true }),
        ("tz", Tz { upper: false }),
        ("OF", Of),
        ("of", Of),
        ("Y", Year(1)),
        ("y", Year(1)),
        ("I", IsoYear(1)),
        ("i", IsoYear(1)),
        ("D", D),
        ("d", D),
        ("W", W),
        ("w", W),
        ("J", J),
        ("j", J),
        ("Q", Q),
        ("q", Q),
    ]
};

pub(super) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(super) const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

fn cased(s: &str, case: Case) -> String {
    match case {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        Case::Title => s.to_string(),
    }
}

/// `AM`/`PM`, `AD`/`BC` and their `A.M.` and lower-case spellings.
fn marker(first: bool, dots: bool, upper: bool, words: [&str; 2]) -> String {
    let w = if first { words[0] } else { words[1] };
    let w = if dots {
        format!("{}.{}.", &w[..1], &w[1..])
    } else {
        w.to_string()
    };
    if upper { w } else { w.to_lowercase() }
}

/// A month or day name: abbreviated, or full and padded to 9 characters unless `FM`.
fn name_text(name: &str, case: Case, short: bool, fill: bool) -> String {
    if short {
        cased(&name[..3], case)
    } else if fill {
        cased(name, case)
    } else {
        format!("{:<9}", cased(name, case))
    }
}

/// The English ordinal suffix of `n`.
fn ordinal(n: i64, upper: bool) -> &'static str {
    let s = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if upper {
        match s {
            "st" => "ST",
            "nd" => "ND",
            "rd" => "RD",
            _ => "TH",
        }
    } else {
        s
    }
}

/// A tokenized template piece.
pub(super) enum Piece {
    Pattern {
        pat: Pat,
        fill: bool,
        th: Option<bool>,
    },
    Literal(String),
}

pub(super) fn parse_template(fmt: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = fmt;
    let mut literal = String::new();
    while !rest.is_empty() {
        let mut fill = false;
        let mut probe = rest;
        if let Some(r) = probe
            .strip_prefix("FM")
            .or_else(|| probe.strip_prefix("fm"))
        {
            fill = true;
            probe = r;
        }
        if let Some((name, pat)) = PATTERNS.iter().find(|(name, _)| probe.starts_with(name)) {
            if !literal.is_empty() {
                out.push(Piece::Literal(std::mem::take(&mut literal)));
            }
            probe = &probe[name.len()..];
            let th = if let Some(r) = probe.strip_prefix("TH") {
                probe = r;
                Some(true)
            } else if let Some(r) = probe.strip_prefix("th") {
                probe = r;
                Some(false)
            } else {
                None
            };
            out.push(Piece::Pattern {
                pat: *pat,
                fill,
                th,
            });
            rest = probe;
            continue;
        }
        if fill {
            rest = probe; // a lone FM
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        rest = &rest[c.len_utf8()..];
        match c {
            '"' => {
                // Quoted text up to the next unescaped quote; `\"` is a quote inside it.
                let mut chars = rest.char_indices().peekable();
                let mut end = rest.len();
                while let Some((i, ch)) = chars.next() {
                    match ch {
                        '\\' if chars.peek().is_some_and(|(_, n)| *n == '"') => {
                            literal.push('"');
                            chars.next();
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => literal.push(c),
                    }
                }
                rest = &rest[end..];
            }
            '\\' if !rest.is_empty() => {
                let n = rest.chars().next().expect("checked");
                literal.push(n);
                rest = &rest[n.len_utf8()..];
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    out
}

/// What a date/time template formats: the local fields and the zone, if any.
struct Moment<'a> {
    f: Fields,
    /// Whole days of an interval (instead of a day of the month), for `DD`.
    interval_days: Option<i64>,
    /// Hours of an interval (not wrapped at 24).
    interval_hours: Option<i64>,
    zone: Option<(&'a Zone, i64)>,
}

fn num(n: i64, width: usize, fill: bool) -> String {
    if fill {
        n.to_string()
    } else if n < 0 {
        format!("-{:0width$}", -n, width = width)
    } else {
        format!("{n:0width$}")
    }
}

fn format_moment(m: &Moment, fmt: &str) -> String {
    let f = &m.f;
    let mut out = String::new();
    let year = if f.year > 0 { f.year } else { 1 - f.year };
    let (iso_year, iso_week) = datetime::iso_year_week(f.year, f.month, f.day);
    let hour12 = match f.hour % 12 {
        0 => 12,
        h => h,
    };
    for piece in parse_template(fmt) {
        let (pat, fill, th) = match piece {
            Piece::Literal(s) => {
                out.push_str(&s);
                continue;
            }
            Piece::Pattern { pat, fill, th } => (pat, fill, th),
        };
        let mut value: Option<i64> = None;
        let text = match pat {
            Pat::Hh24 => {
                let h = m.interval_hours.unwrap_or(i64::from(f.hour));
                value = Some(h);
                num(h, 2, fill)
            }
            Pat::Hh12 => {
                value = Some(i64::from(hour12));
                num(i64::from(hour12), 2, fill)
            }
            Pat::Mi => {
                value = Some(i64::from(f.minute));
                num(i64::from(f.minute), 2, fill)
            }
            Pat::Ss => {
                value = Some(i64::from(f.second));
                num(i64::from(f.second), 2, fill)
            }
            Pat::Ms => num(i64::from(f.micros / 1000), 3, fill),
            Pat::Us => num(i64::from(f.micros), 6, fill),
            Pat::Ff(n) => {
                let digits = format!("{:06}", f.micros);
                digits[..n as usize].to_string()
            }
            Pat::Ssss => {
                let s = i64::from(f.hour) * 3600 + i64::from(f.minute) * 60 + i64::from(f.second);
                value = Some(s);
                s.to_string()
            }
            Pat::Meridiem { upper, dots } => marker(f.hour < 12, dots, upper, ["AM", "PM"]),
            Pat::YearComma => {
                let y = format!("{year:04}");
                let (a, b) = y.split_at(y.len() - 3);
                format!("{a},{b}")
            }
            Pat::Year(n) | Pat::IsoYear(n) => {
                let y = if matches!(pat, Pat::IsoYear(_)) {
                    if iso_year > 0 { iso_year } else { 1 - iso_year }
                } else {
                    year
                };
                let y = i64::from(y);
                let v = match n {
                    4 => y,
                    3 => y % 1000,
                    2 => y % 100,
                    _ => y % 10,
                };
                value = Some(v);
                num(v, n as usize, fill)
            }
            Pat::Era { upper, dots } => marker(f.year > 0, dots, upper, ["AD", "BC"]),
            Pat::Month { case, short } => name_text(
                MONTH_NAMES[(f.month.clamp(1, 12) - 1) as usize],
                case,
                short,
                fill,
            ),
            Pat::Mm => {
                value = Some(i64::from(f.month));
                num(i64::from(f.month), 2, fill)
            }
            Pat::Day { case, short } => name_text(DAY_NAMES[f.dow() as usize], case, short, fill),
            Pat::Ddd => {
                value = Some(i64::from(f.doy()));
                num(i64::from(f.doy()), 3, fill)
            }
            Pat::Iddd => {
                let jd = datetime::date2j(f.year, f.month as i32, f.day as i32);
                let day4 = datetime::date2j(iso_year, 1, 4);
                let start = day4 - ((day4 + 1).rem_euclid(7) + 6) % 7;
                let v = i64::from(jd - start + 1);
                value = Some(v);
                num(v, 3, fill)
            }
            Pat::Dd => {
                let d = m.interval_days.unwrap_or(i64::from(f.day));
                value = Some(d);
                num(d, 2, fill)
            }
            Pat::D => {
                let v = i64::from(f.dow()) + 1;
                value = Some(v);
                v.to_string()
            }
            Pat::Id => {
                let d = f.dow();
                let v = i64::from(if d == 0 { 7 } else { d });
                value = Some(v);
                v.to_string()
            }
            Pat::W => {
                let v = i64::from((f.day - 1) / 7 + 1);
                value = Some(v);
                v.to_string()
            }
            Pat::Ww => {
                let v = i64::from((f.doy() - 1) / 7 + 1);
                value = Some(v);
                num(v, 2, fill)
            }
            Pat::Iw => {
                value = Some(i64::from(iso_week));
                num(i64::from(iso_week), 2, fill)
            }
            Pat::Cc => {
                let y = i64::from(f.year);
                let c = if y > 0 {
                    (y + 99) / 100
                } else {
                    -((99 - (y - 1)) / 100)
                };
                value = Some(c);
                num(c, 2, fill)
            }
            Pat::J => {
                let j = i64::from(datetime::date2j(f.year, f.month as i32, f.day as i32));
                value = Some(j);
                j.to_string()
            }
            Pat::Q => {
                let q = i64::from((f.month - 1) / 3 + 1);
                value = Some(q);
                q.to_string()
            }
            Pat::Rm { upper } => {
                let r = ROMAN[(f.month.clamp(1, 12) - 1) as usize];
                let r = if upper {
                    r.to_string()
                } else {
                    r.to_lowercase()
                };
                if fill { r } else { format!("{r:<4}") }
            }
            Pat::Tz { upper } => match m.zone {
                Some((z, utc)) => {
                    let a = z.abbreviation_at(utc);
                    if upper { a } else { a.to_lowercase() }
                }
                None => String::new(),
            },
            Pat::Tzh | Pat::Tzm | Pat::Of => match m.zone {
                Some((z, utc)) => {
                    let off = z.offset_at(utc);
                    let (sign, a) = (if off < 0 { '-' } else { '+' }, off.unsigned_abs());
                    match pat {
                        Pat::Tzh => format!("{sign}{:02}", a / 3600),
                        Pat::Tzm => format!("{:02}", a / 60 % 60),
                        _ => datetime::zone::offset_text(off),
                    }
                }
                None => String::new(),
            },
        };
        out.push_str(&text);
        if let (Some(upper), Some(v)) = (th, value) {
            out.push_str(ordinal(v, upper));
        }
    }
    out
}

/// `to_char(timestamp, fmt)`; with `zone`, a timestamptz shown in that zone.
pub fn timestamp(ts: i64, fmt: &str, zone: Option<&Zone>) -> String {
    if !datetime::is_finite_ts(ts) {
        return String::new();
    }
    let offset = zone.map_or(0, |z| z.offset_at(ts));
    let f = Fields::of_timestamp(ts + i64::from(offset) * USECS_PER_SEC);
    format_moment(
        &Moment {
            f,
            interval_days: None,
            interval_hours: None,
            zone: zone.map(|z| (z, ts)),
        },
        fmt,
    )
}

/// `to_char(interval, fmt)`: years, months and days from the interval, the time of day
/// from its time part (hours not wrapped).
pub fn interval(iv: &Interval, fmt: &str) -> String {
    let mut f = Fields {
        year: iv.months / 12,
        month: (iv.months % 12).unsigned_abs(),
        day: iv.days.unsigned_abs(),
        ..Fields::default()
    };
    let t = iv.micros.abs();
    f.set_time(t % datetime::USECS_PER_DAY);
    format_moment(
        &Moment {
            f,
            interval_days: Some(i64::from(iv.days)),
            interval_hours: Some(iv.micros / datetime::USECS_PER_HOUR),
            zone: None,
        },
        fmt,
    )
}

/// `to_char(number, fmt)`: see [`super::to_char_number`].
pub fn number(v: &Value, fmt: &str) -> Result<String> {
    super::to_char_number::to_char(v, fmt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Numeric;
    use crate::types::datetime::parse;

    #[test]
    fn dates_like_postgres() {
        let ts = parse::timestamp("2020-03-05 14:07:09.123456").unwrap();
        assert_eq!(
            timestamp(
                ts,
                "YYYY-MM-DD HH24:MI:SS.MS US Mon Month Day Dy DDD D W WW IW CC Q HH12 AM am J",
                None
            ),
            "2020-03-05 14:07:09.123 123456 Mar March     Thursday  Thu 065 5 1 10 10 21 1 02 PM pm 2458914"
        );
        let ts = parse::timestamp("2020-03-05 04:07:09").unwrap();
        assert_eq!(
            timestamp(ts, "FMMonth FMDD, YYYY HH:MI pm \"at\" FMHH24th", None),
            "March 5, 2020 04:07 am at 4th"
        );
        let iv = Interval::parse("1 day 02:03:04").unwrap();
        assert_eq!(interval(&iv, "DD HH24:MI:SS"), "01 02:03:04");
    }

    #[test]
    fn numbers_like_postgres() {
        let n = |s: &str, f: &str| number(&Value::numeric(Numeric::parse(s).unwrap()), f).unwrap();
        assert_eq!(n("5", "0999"), " 0005");
        assert_eq!(n("5", "9099"), "  005");
        assert_eq!(n("12345", "999"), " ###");
        assert_eq!(n("-1234.567", "9,999.99"), "-1,234.57");
        assert_eq!(n("1234.567", "FM9,999.99"), "1,234.57");
        assert_eq!(n("1.5", "FM9.99"), "1.5");
        assert_eq!(n("1.5", "FM9.00"), "1.50");
        assert_eq!(n("0.5", "9.99"), "  .50");
        assert_eq!(n("0.5", "FM9.99"), ".5");
        assert_eq!(n("-0.5", "FM0.99"), "-0.5");
        assert_eq!(n("-123", "999MI"), "123-");
        assert_eq!(n("42", "FM999th"), "42nd");
        assert_eq!(n("3", "9"), " 3");
        assert_eq!(n("1000000", "9,999,999"), " 1,000,000");
        assert_eq!(n("12", "99.9"), " 12.0");
        assert_eq!(n("-5", "99"), " -5");
        assert_eq!(n("0", "999"), "   0");
        assert_eq!(n("0", "FM999"), "0");
    }
}
