//! Date/time output. [`date`], [`timestamp`] and [`timestamptz`] print DateStyle `ISO`
//! (`2020-01-02`, `2020-01-02 10:11:12.5`, `2020-01-02 10:11:12+05:30`, years before 1 AD as
//! `0001-01-01 BC`, fractional seconds without trailing zeros, `infinity` / `-infinity`), the
//! form JSON uses whatever the setting; [`date_out`], [`timestamp_out`] and
//! [`timestamptz_out`] print the session's DateStyle (PostgreSQL's `EncodeDateOnly` and
//! `EncodeDateTime`): `SQL` (`01/02/2020 10:11:12.5 UTC`), `Postgres`
//! (`Thu Jan 02 10:11:12.5 2020 UTC`), `German` (`02.01.2020 10:11:12.5 UTC`), month and day
//! swapped for DMY.

use super::decode::DateOrder;
use super::style::{DateStyle, OutputStyle};
use super::zone::{Zone, offset_text};
use super::{
    DATE_INFINITY, DATE_NEG_INFINITY, Fields, TS_INFINITY, TS_NEG_INFINITY, USECS_PER_SEC,
};

fn year_text(year: i32) -> (String, bool) {
    if year > 0 {
        (format!("{year:04}"), false)
    } else {
        (format!("{:04}", 1 - i64::from(year)), true)
    }
}

fn date_part(f: &Fields) -> (String, bool) {
    let (y, bc) = year_text(f.year);
    (format!("{y}-{:02}-{:02}", f.month, f.day), bc)
}

/// `HH:MM:SS[.ffffff]` with trailing zeros of the fraction dropped.
pub fn time_part(hour: u64, minute: u32, second: u32, micros: u32) -> String {
    let mut s = format!("{hour:02}:{minute:02}:{second:02}");
    if micros != 0 {
        let frac = format!("{micros:06}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s
}

pub fn date(d: i32) -> String {
    match d {
        DATE_INFINITY => "infinity".into(),
        DATE_NEG_INFINITY => "-infinity".into(),
        _ => {
            let (s, bc) = date_part(&Fields::of_date(d));
            if bc { format!("{s} BC") } else { s }
        }
    }
}

pub fn time(t: i64) -> String {
    let t = t.max(0) as u64;
    let us = USECS_PER_SEC as u64;
    time_part(
        t / (3600 * us),
        (t / (60 * us) % 60) as u32,
        (t / us % 60) as u32,
        (t % us) as u32,
    )
}

fn fields_text(f: &Fields) -> (String, bool) {
    let (d, bc) = date_part(f);
    (
        format!(
            "{d} {}",
            time_part(u64::from(f.hour), f.minute, f.second, f.micros)
        ),
        bc,
    )
}

pub fn timestamp(t: i64) -> String {
    match t {
        TS_INFINITY => "infinity".into(),
        TS_NEG_INFINITY => "-infinity".into(),
        _ => {
            let (s, bc) = fields_text(&Fields::of_timestamp(t));
            if bc { format!("{s} BC") } else { s }
        }
    }
}

/// A timestamptz shown in `zone`.
pub fn timestamptz(t: i64, zone: &Zone) -> String {
    match t {
        TS_INFINITY => "infinity".into(),
        TS_NEG_INFINITY => "-infinity".into(),
        _ => {
            let offset = zone.offset_at(t);
            let local = t.saturating_add(i64::from(offset) * USECS_PER_SEC);
            let (s, bc) = fields_text(&Fields::of_timestamp(local));
            let tz = offset_text(offset);
            if bc {
                format!("{s}{tz} BC")
            } else {
                format!("{s}{tz}")
            }
        }
    }
}

/// Day names, Sunday first, as PostgreSQL's `days` (abbreviated) and `days_full`.
pub const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
pub const DAY_NAMES_FULL: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// Month names, as PostgreSQL's `months` (abbreviated) and `months_full`.
pub const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
pub const MONTH_NAMES_FULL: [&str; 12] = [
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

/// The day and month of `f` in `style`'s order, joined by `sep`.
fn day_month(f: &Fields, order: DateOrder, sep: char) -> String {
    if order == DateOrder::Dmy {
        format!("{:02}{sep}{:02}", f.day, f.month)
    } else {
        format!("{:02}{sep}{:02}", f.month, f.day)
    }
}

/// `EncodeDateOnly`: a finite date's fields in `style`.
fn styled_date(f: &Fields, style: DateStyle) -> String {
    let (y, bc) = year_text(f.year);
    let s = match style.output {
        OutputStyle::Iso => format!("{y}-{:02}-{:02}", f.month, f.day),
        OutputStyle::Sql => format!("{}/{y}", day_month(f, style.order, '/')),
        OutputStyle::German => format!("{:02}.{:02}.{y}", f.day, f.month),
        OutputStyle::Postgres => format!("{}-{y}", day_month(f, style.order, '-')),
    };
    if bc { format!("{s} BC") } else { s }
}

/// `EncodeDateTime`: a finite timestamp's fields in `style`, with `zone` (offset east and
/// abbreviation) for a timestamptz.
fn styled_timestamp(f: &Fields, zone: Option<(i32, String)>, style: DateStyle) -> String {
    let (y, bc) = year_text(f.year);
    let time = time_part(u64::from(f.hour), f.minute, f.second, f.micros);
    let abbrev = |z: &Option<(i32, String)>| {
        z.as_ref()
            .map(|(_, a)| format!(" {}", &a[..a.len().min(10)]))
            .unwrap_or_default()
    };
    let mut s = match style.output {
        OutputStyle::Iso => {
            let tz = zone
                .as_ref()
                .map(|(o, _)| offset_text(*o))
                .unwrap_or_default();
            format!("{y}-{:02}-{:02} {time}{tz}", f.month, f.day)
        }
        OutputStyle::Sql => format!(
            "{}/{y} {time}{}",
            day_month(f, style.order, '/'),
            abbrev(&zone)
        ),
        OutputStyle::German => {
            format!("{:02}.{:02}.{y} {time}{}", f.day, f.month, abbrev(&zone))
        }
        OutputStyle::Postgres => {
            let month = MONTH_NAMES[(f.month as usize).clamp(1, 12) - 1];
            let dm = if style.order == DateOrder::Dmy {
                format!("{:02} {month}", f.day)
            } else {
                format!("{month} {:02}", f.day)
            };
            format!(
                "{} {dm} {time} {y}{}",
                DAY_NAMES[f.dow() as usize % 7],
                abbrev(&zone)
            )
        }
    };
    if bc {
        s.push_str(" BC");
    }
    s
}

/// A date as the session's DateStyle prints it.
pub fn date_out(d: i32) -> String {
    let style = DateStyle::current();
    if style.output == OutputStyle::Iso || !super::is_finite_date(d) {
        return date(d);
    }
    styled_date(&Fields::of_date(d), style)
}

/// A timestamp as the session's DateStyle prints it.
pub fn timestamp_out(t: i64) -> String {
    let style = DateStyle::current();
    if style.output == OutputStyle::Iso || !super::is_finite_ts(t) {
        return timestamp(t);
    }
    styled_timestamp(&Fields::of_timestamp(t), None, style)
}

/// A timestamptz shown in `zone` as the session's DateStyle prints it.
pub fn timestamptz_out(t: i64, zone: &Zone) -> String {
    let style = DateStyle::current();
    if style.output == OutputStyle::Iso || !super::is_finite_ts(t) {
        return timestamptz(t, zone);
    }
    let offset = zone.offset_at(t);
    let local = t.saturating_add(i64::from(offset) * USECS_PER_SEC);
    let f = Fields::of_timestamp(local);
    styled_timestamp(&f, Some((offset, zone.abbreviation_at(t))), style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::{USECS_PER_DAY, USECS_PER_HOUR};

    #[test]
    fn iso_output() {
        assert_eq!(date(0), "2000-01-01");
        assert_eq!(date(-1), "1999-12-31");
        assert_eq!(date(DATE_INFINITY), "infinity");
        assert_eq!(time(0), "00:00:00");
        assert_eq!(time(USECS_PER_DAY), "24:00:00");
        assert_eq!(time(1_500_000), "00:00:01.5");
        assert_eq!(timestamp(-1), "1999-12-31 23:59:59.999999");
        assert_eq!(timestamp(TS_NEG_INFINITY), "-infinity");
        let ny = Zone::parse("America/New_York").unwrap();
        assert_eq!(
            timestamptz(12 * USECS_PER_HOUR, &ny),
            "2000-01-01 07:00:00-05"
        );
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        assert_eq!(timestamptz(0, &kolkata), "2000-01-01 05:30:00+05:30");
    }

    #[test]
    fn other_date_styles() {
        let f = Fields::of_timestamp(12 * USECS_PER_HOUR + 500_000);
        let st = |s: &str| DateStyle::from_setting(s);
        let utc = || Some((0, "UTC".to_string()));
        assert_eq!(
            styled_timestamp(&f, utc(), st("Postgres, MDY")),
            "Sat Jan 01 12:00:00.5 2000 UTC"
        );
        assert_eq!(
            styled_timestamp(&f, None, st("Postgres, DMY")),
            "Sat 01 Jan 12:00:00.5 2000"
        );
        assert_eq!(
            styled_timestamp(&f, utc(), st("SQL, DMY")),
            "01/01/2000 12:00:00.5 UTC"
        );
        assert_eq!(
            styled_timestamp(&f, utc(), st("German, DMY")),
            "01.01.2000 12:00:00.5 UTC"
        );
        let bc = Fields::of_date(1_520_447 - 2_451_545);
        assert_eq!(styled_date(&bc, st("Postgres, MDY")), "09-28-0551 BC");
        assert_eq!(styled_date(&bc, st("SQL, MDY")), "09/28/0551 BC");
    }
}
