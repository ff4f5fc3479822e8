//! Date/time output in DateStyle `ISO`: `2020-01-02`, `10:11:12.5`,
//! `2020-01-02 10:11:12.5`, `2020-01-02 10:11:12+05:30`, years before 1 AD as `0001-01-01 BC`,
//! fractional seconds without trailing zeros, `infinity` / `-infinity`.

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
}
