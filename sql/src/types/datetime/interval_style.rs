//! Interval output in the IntervalStyles other than `postgres` (which is
//! [`Interval`]'s own `Display`): `postgres_verbose` (`@ 1 day 2 hours ago`),
//! `sql_standard` (`1-2`, `1 2:03:04`, signed fields when they are mixed) and `iso_8601`
//! (`P1Y2M3DT4H5M6.5S`), PostgreSQL's `EncodeInterval` field for field. The style in force
//! is the session's `IntervalStyle` setting, read into [`crate::env::Env`] per statement.

use super::interval::Interval;
use super::{USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};

/// The `IntervalStyle` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalStyle {
    #[default]
    Postgres,
    PostgresVerbose,
    SqlStandard,
    Iso8601,
}

impl IntervalStyle {
    /// The style a setting value names (`postgres` for anything unknown).
    pub fn from_setting(s: &str) -> IntervalStyle {
        match s.to_ascii_lowercase().as_str() {
            "postgres_verbose" => IntervalStyle::PostgresVerbose,
            "sql_standard" => IntervalStyle::SqlStandard,
            "iso_8601" => IntervalStyle::Iso8601,
            _ => IntervalStyle::Postgres,
        }
    }
}

/// An interval's fields as `EncodeInterval` splits them: each truncated toward zero, so
/// every time field has the sign of the time part.
struct Fields {
    year: i64,
    mon: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
}

impl Fields {
    fn of(iv: &Interval) -> Fields {
        let t = iv.micros;
        Fields {
            year: i64::from(iv.months / 12),
            mon: i64::from(iv.months % 12),
            day: i64::from(iv.days),
            hour: t / USECS_PER_HOUR,
            min: t / USECS_PER_MINUTE % 60,
            sec: t / USECS_PER_SEC % 60,
            fsec: t % USECS_PER_SEC,
        }
    }
}

/// `AppendSeconds`: |sec| (two digits when `fill`), then the fraction without trailing
/// zeros.
fn seconds(sec: i64, fsec: i64, fill: bool) -> String {
    let mut s = if fill {
        format!("{:02}", sec.unsigned_abs())
    } else {
        sec.unsigned_abs().to_string()
    };
    if fsec != 0 {
        let digits = format!("{:06}", fsec.unsigned_abs());
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s
}

/// `iv` in `style` (`None` for `postgres`, which `Display` prints).
pub fn format(iv: &Interval, style: IntervalStyle) -> Option<String> {
    let f = Fields::of(iv);
    Some(match style {
        IntervalStyle::Postgres => return None,
        IntervalStyle::PostgresVerbose => verbose(&f),
        IntervalStyle::SqlStandard => sql_standard(f),
        IntervalStyle::Iso8601 => iso_8601(&f),
    })
}

fn verbose(f: &Fields) -> String {
    let mut out = String::from("@");
    let (mut is_zero, mut is_before) = (true, false);
    for (value, unit) in [
        (f.year, "year"),
        (f.mon, "mon"),
        (f.day, "day"),
        (f.hour, "hour"),
        (f.min, "min"),
    ] {
        if value == 0 {
            continue;
        }
        let mut v = value;
        if is_zero {
            is_before = v < 0;
            v = v.abs();
        } else if is_before {
            v = -v;
        }
        out.push_str(&format!(" {v} {unit}{}", if v == 1 { "" } else { "s" }));
        is_zero = false;
    }
    if f.sec != 0 || f.fsec != 0 {
        out.push(' ');
        if f.sec < 0 || (f.sec == 0 && f.fsec < 0) {
            if is_zero {
                is_before = true;
            } else if !is_before {
                out.push('-');
            }
        } else if is_before {
            out.push('-');
        }
        out.push_str(&seconds(f.sec, f.fsec, false));
        let plural = f.sec.abs() != 1 || f.fsec != 0;
        out.push_str(if plural { " secs" } else { " sec" });
        is_zero = false;
    }
    if is_zero {
        out.push_str(" 0");
    }
    if is_before {
        out.push_str(" ago");
    }
    out
}

fn sql_standard(mut f: Fields) -> String {
    let all = [f.year, f.mon, f.day, f.hour, f.min, f.sec, f.fsec];
    let has_negative = all.iter().any(|&v| v < 0);
    let has_positive = all.iter().any(|&v| v > 0);
    let has_year_month = f.year != 0 || f.mon != 0;
    let has_day_time = f.day != 0 || f.hour != 0 || f.min != 0 || f.sec != 0 || f.fsec != 0;
    let mixed_signs = has_negative && has_positive;
    let standard = !(mixed_signs || (has_year_month && has_day_time));
    let mut out = String::new();
    if has_negative && standard {
        out.push('-');
        for v in [
            &mut f.year,
            &mut f.mon,
            &mut f.day,
            &mut f.hour,
            &mut f.min,
            &mut f.sec,
            &mut f.fsec,
        ] {
            *v = -*v;
        }
    }
    if !has_negative && !has_positive {
        out.push('0');
    } else if !standard {
        let year_sign = if f.year < 0 || f.mon < 0 { '-' } else { '+' };
        let day_sign = if f.day < 0 { '-' } else { '+' };
        let sec_sign = if f.hour < 0 || f.min < 0 || f.sec < 0 || f.fsec < 0 {
            '-'
        } else {
            '+'
        };
        out.push_str(&format!(
            "{year_sign}{}-{} {day_sign}{} {sec_sign}{}:{:02}:{}",
            f.year.abs(),
            f.mon.abs(),
            f.day.abs(),
            f.hour.abs(),
            f.min.abs(),
            seconds(f.sec, f.fsec, true)
        ));
    } else if has_year_month {
        out.push_str(&format!("{}-{}", f.year, f.mon));
    } else if f.day != 0 {
        out.push_str(&format!(
            "{} {}:{:02}:{}",
            f.day,
            f.hour,
            f.min,
            seconds(f.sec, f.fsec, true)
        ));
    } else {
        out.push_str(&format!(
            "{}:{:02}:{}",
            f.hour,
            f.min,
            seconds(f.sec, f.fsec, true)
        ));
    }
    out
}

fn iso_8601(f: &Fields) -> String {
    let time = f.hour != 0 || f.min != 0 || f.sec != 0 || f.fsec != 0;
    if f.year == 0 && f.mon == 0 && f.day == 0 && !time {
        return "PT0S".into();
    }
    let mut out = String::from("P");
    let part = |out: &mut String, v: i64, unit: char| {
        if v != 0 {
            out.push_str(&format!("{v}{unit}"));
        }
    };
    part(&mut out, f.year, 'Y');
    part(&mut out, f.mon, 'M');
    part(&mut out, f.day, 'D');
    if time {
        out.push('T');
    }
    part(&mut out, f.hour, 'H');
    part(&mut out, f.min, 'M');
    if f.sec != 0 || f.fsec != 0 {
        if f.sec < 0 || f.fsec < 0 {
            out.push('-');
        }
        out.push_str(&seconds(f.sec, f.fsec, false));
        out.push('S');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str, style: IntervalStyle) -> String {
        format(&Interval::parse(s).unwrap(), style).unwrap()
    }

    #[test]
    fn each_style_prints_like_postgres() {
        use IntervalStyle::*;
        assert_eq!(show("1 day 2 hours", PostgresVerbose), "@ 1 day 2 hours");
        assert_eq!(
            show("-1 day -2 hours", PostgresVerbose),
            "@ 1 day 2 hours ago"
        );
        assert_eq!(show("3.5 seconds", PostgresVerbose), "@ 3.5 secs");
        assert_eq!(show("0", PostgresVerbose), "@ 0");
        assert_eq!(show("1 year 2 months", SqlStandard), "1-2");
        assert_eq!(show("1 day 02:03:04.5", SqlStandard), "1 2:03:04.5");
        assert_eq!(show("-10 months", SqlStandard), "-0-10");
        assert_eq!(show("1 year -2 days", SqlStandard), "+1-0 -2 +0:00:00");
        assert_eq!(show("0", SqlStandard), "0");
        assert_eq!(show("1 day 2 hours 3.5 seconds", Iso8601), "P1DT2H3.5S");
        assert_eq!(show("-1.5 seconds", Iso8601), "PT-1.5S");
        assert_eq!(show("0", Iso8601), "PT0S");
    }
}
