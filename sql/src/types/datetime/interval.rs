//! `interval`: months, days and microseconds kept apart, as PostgreSQL keeps them (a month
//! is not a fixed number of days, nor a day of hours across a DST change).
//!
//! * Input ([`Interval::parse`], translated from PostgreSQL in
//!   [`interval_decode`](super::interval_decode)): `1 year 2 mons 3 days 04:05:06`,
//!   abbreviated units (`1y 2mon 3d 4h 5m 6s`), fractions that spill into smaller units
//!   (`1.5 days` = `1 day 12:00:00`), `@ ... ago`, SQL-standard `1-2` and `3 4:05:06`, a bare
//!   number of seconds, and ISO 8601 `P1Y2M3DT4H5M6S`.
//! * Output ([`std::fmt::Display`]): IntervalStyle `postgres` (`1 year 2 mons 3 days
//!   04:05:06.5`, `-1 days +02:00:00`).
//! * Comparison and equality use the span with 30-day months and 24-hour days
//!   (PostgreSQL's `interval_cmp_value`), so `'1 mon' = '30 days'`.

use super::{USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};
use crate::{Error, Result};
use std::cmp::Ordering;

/// One interval value. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

pub fn interval_out_of_range() -> Error {
    Error::DatetimeFieldOverflow("interval out of range".into())
}

/// `rint(x * 1e6) / 1e6` (PostgreSQL's TSROUND).
fn tsround(x: f64) -> f64 {
    (x * 1e6).round_ties_even() / 1e6
}

impl Interval {
    pub const ZERO: Interval = Interval {
        months: 0,
        days: 0,
        micros: 0,
    };

    pub fn new(months: i32, days: i32, micros: i64) -> Interval {
        Interval {
            months,
            days,
            micros,
        }
    }

    /// The span used for comparison: 30-day months, 24-hour days, in microseconds.
    pub fn span(&self) -> i128 {
        (i128::from(self.months) * 30 + i128::from(self.days)) * i128::from(USECS_PER_DAY)
            + i128::from(self.micros)
    }

    /// An interval with the given span: as many whole 30-day months as fit, then days, then
    /// microseconds (`None` when no interval has that span).
    pub fn from_span(span: i128) -> Option<Interval> {
        let month = 30 * i128::from(USECS_PER_DAY);
        let day = i128::from(USECS_PER_DAY);
        let clamp32 = |x: i128| x.clamp(i128::from(i32::MIN), i128::from(i32::MAX));
        let months = clamp32(span / month);
        let rest = span - months * month;
        let days = clamp32(rest / day);
        let micros = i64::try_from(rest - days * day).ok()?;
        Some(Interval {
            months: months as i32,
            days: days as i32,
            micros,
        })
    }

    pub fn cmp_span(&self, other: &Interval) -> Ordering {
        self.span().cmp(&other.span())
    }

    pub fn checked_add(&self, o: &Interval) -> Result<Interval> {
        Ok(Interval {
            months: self
                .months
                .checked_add(o.months)
                .ok_or_else(interval_out_of_range)?,
            days: self
                .days
                .checked_add(o.days)
                .ok_or_else(interval_out_of_range)?,
            micros: self
                .micros
                .checked_add(o.micros)
                .ok_or_else(interval_out_of_range)?,
        })
    }

    pub fn checked_neg(&self) -> Result<Interval> {
        Ok(Interval {
            months: self
                .months
                .checked_neg()
                .ok_or_else(interval_out_of_range)?,
            days: self.days.checked_neg().ok_or_else(interval_out_of_range)?,
            micros: self
                .micros
                .checked_neg()
                .ok_or_else(interval_out_of_range)?,
        })
    }

    pub fn checked_sub(&self, o: &Interval) -> Result<Interval> {
        self.checked_add(&o.checked_neg()?)
    }

    /// `interval * factor` (PostgreSQL's `interval_mul`: fractional months cascade into
    /// days, fractional days into time).
    pub fn mul(&self, factor: f64) -> Result<Interval> {
        self.scale(|x| x * factor)
    }

    /// `interval / divisor` (PostgreSQL's `interval_div`).
    pub fn div(&self, divisor: f64) -> Result<Interval> {
        if divisor == 0.0 {
            return Err(Error::DivisionByZero);
        }
        self.scale(|x| x / divisor)
    }

    /// Applies `op` to each part, cascading fractions downwards as `interval_mul` does.
    fn scale(&self, op: impl Fn(f64) -> f64) -> Result<Interval> {
        let fits32 = |x: f64| !x.is_nan() && (-2147483648.0..2147483648.0).contains(&x);
        let month_d = op(f64::from(self.months));
        let day_d = op(f64::from(self.days));
        if !fits32(month_d) || !fits32(day_d) {
            return Err(interval_out_of_range());
        }
        let months = month_d as i32;
        let mut days = day_d as i32;
        let month_remainder_days = tsround((month_d - f64::from(months)) * 30.0);
        let mut sec_remainder = tsround(
            (day_d - f64::from(days) + month_remainder_days - month_remainder_days.trunc())
                * 86400.0,
        );
        if sec_remainder.abs() >= 86400.0 {
            let whole = (sec_remainder / 86400.0).trunc();
            days = days
                .checked_add(whole as i32)
                .ok_or_else(interval_out_of_range)?;
            sec_remainder -= whole * 86400.0;
        }
        days = days
            .checked_add(month_remainder_days.trunc() as i32)
            .ok_or_else(interval_out_of_range)?;
        let time = (op(self.micros as f64) + sec_remainder * 1e6).round_ties_even();
        if time.is_nan() || !(-9.223372036854776e18..9.223372036854776e18).contains(&time) {
            return Err(interval_out_of_range());
        }
        Ok(Interval {
            months,
            days,
            micros: time as i64,
        })
    }

    /// Moves whole days out of the time part.
    fn carry_days(&mut self) -> Result<()> {
        let whole = self.micros / USECS_PER_DAY;
        self.micros -= whole * USECS_PER_DAY;
        self.days = self
            .days
            .checked_add(i32::try_from(whole).map_err(|_| interval_out_of_range())?)
            .ok_or_else(interval_out_of_range)?;
        Ok(())
    }

    /// Moves whole 30-day months out of the days.
    fn carry_months(&mut self) -> Result<()> {
        let whole = self.days / 30;
        self.days -= whole * 30;
        self.months = self
            .months
            .checked_add(whole)
            .ok_or_else(interval_out_of_range)?;
        Ok(())
    }

    /// Gives days and time the same sign.
    fn align_days_and_time(&mut self) {
        if self.days > 0 && self.micros < 0 {
            self.micros += USECS_PER_DAY;
            self.days -= 1;
        } else if self.days < 0 && self.micros > 0 {
            self.micros -= USECS_PER_DAY;
            self.days += 1;
        }
    }

    /// `justify_hours`: whole days out of the time part, signs made consistent.
    pub fn justify_hours(&self) -> Result<Interval> {
        let mut r = *self;
        r.carry_days()?;
        r.align_days_and_time();
        Ok(r)
    }

    /// `justify_days`: whole 30-day months out of the days.
    pub fn justify_days(&self) -> Result<Interval> {
        let mut r = *self;
        r.carry_months()?;
        if r.months > 0 && r.days < 0 {
            r.days += 30;
            r.months -= 1;
        } else if r.months < 0 && r.days > 0 {
            r.days -= 30;
            r.months += 1;
        }
        Ok(r)
    }

    /// `justify_interval`: both, with signs consistent across all three parts.
    pub fn justify_interval(&self) -> Result<Interval> {
        let mut r = *self;
        r.carry_days()?;
        r.carry_months()?;
        if r.months > 0 && (r.days < 0 || (r.days == 0 && r.micros < 0)) {
            r.days += 30;
            r.months -= 1;
        } else if r.months < 0 && (r.days > 0 || (r.days == 0 && r.micros > 0)) {
            r.days -= 30;
            r.months += 1;
        }
        r.align_days_and_time();
        Ok(r)
    }

    /// PostgreSQL's interval input ([`interval_decode`](super::interval_decode)).
    pub fn parse(input: &str) -> Result<Interval> {
        super::interval_decode::parse(input, super::interval_decode::Range::FULL, None)
    }
}

impl PartialEq for Interval {
    fn eq(&self, other: &Interval) -> bool {
        self.span() == other.span()
    }
}

impl Eq for Interval {}

impl std::hash::Hash for Interval {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.span().hash(state)
    }
}

impl std::fmt::Display for Interval {
    /// In the statement's IntervalStyle; `postgres` here, the others in
    /// [`super::interval_style`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let style = crate::env::with(|e| e.interval_style);
        if let Some(s) = super::interval_style::format(self, style) {
            return f.write_str(&s);
        }
        let year = self.months / 12;
        let mon = self.months % 12;
        let mut is_zero = true;
        let mut is_before = false;
        let mut out = String::new();
        for (value, unit) in [(year, "year"), (mon, "mon"), (self.days, "day")] {
            if value == 0 {
                continue;
            }
            out.push_str(&format!(
                "{}{}{value} {unit}{}",
                if is_zero { "" } else { " " },
                if is_before && value > 0 { "+" } else { "" },
                if value != 1 { "s" } else { "" }
            ));
            is_before = value < 0;
            is_zero = false;
        }
        if is_zero || self.micros != 0 {
            let minus = self.micros < 0;
            let a = self.micros.unsigned_abs();
            let hour = a / USECS_PER_HOUR as u64;
            let min = a / USECS_PER_MINUTE as u64 % 60;
            let sec = a / USECS_PER_SEC as u64 % 60;
            let frac = a % USECS_PER_SEC as u64;
            out.push_str(&format!(
                "{}{}{hour:02}:{min:02}:{sec:02}",
                if is_zero { "" } else { " " },
                if minus {
                    "-"
                } else if is_before {
                    "+"
                } else {
                    ""
                }
            ));
            if frac != 0 {
                let digits = format!("{frac:06}");
                out.push('.');
                out.push_str(digits.trim_end_matches('0'));
            }
        }
        f.write_str(&out)
    }
}

impl PartialOrd for Interval {
    fn partial_cmp(&self, other: &Interval) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Interval {
    fn cmp(&self, other: &Interval) -> Ordering {
        self.cmp_span(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(s: &str) -> String {
        Interval::parse(s).unwrap().to_string()
    }

    #[test]
    fn parses_and_prints_like_postgres() {
        let cases = [
            ("1 day", "1 day"),
            (
                "1 year 2 months 3 days 04:05:06",
                "1 year 2 mons 3 days 04:05:06",
            ),
            ("2 hours 30 minutes", "02:30:00"),
            ("1.5 days", "1 day 12:00:00"),
            ("1.5 months", "1 mon 15 days"),
            ("1.5 years", "1 year 6 mons"),
            ("-1 day +02:00", "-1 days +02:00:00"),
            ("@ 1 day ago", "-1 days"),
            ("1 day ago", "-1 days"),
            ("10", "00:00:10"),
            ("1-2", "1 year 2 mons"),
            ("3 4:05:06", "3 days 04:05:06"),
            ("P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"),
            ("PT1H", "01:00:00"),
            ("1 week", "7 days"),
            ("0", "00:00:00"),
            ("-00:00:01.5", "-00:00:01.5"),
            ("1d 2h 3m 4s", "1 day 02:03:04"),
            ("1 mon -1 day", "1 mon -1 days"),
            ("100 ms", "00:00:00.1"),
            ("25 hours", "25:00:00"),
        ];
        for (input, want) in cases {
            assert_eq!(iv(input), want, "{input}");
        }
        for bad in ["", "abc", "1 fortnight", "1 day 2 dayz", "ago"] {
            assert_eq!(Interval::parse(bad).unwrap_err().code(), "22007", "{bad}");
        }
    }

    #[test]
    fn arithmetic_and_order() {
        let p = |s| Interval::parse(s).unwrap();
        assert_eq!(p("1 mon"), p("30 days"));
        assert!(p("1 day") > p("23 hours"));
        assert_eq!(p("1 day").mul(1.5).unwrap().to_string(), "1 day 12:00:00");
        assert_eq!(p("1 mon").mul(0.5).unwrap().to_string(), "15 days");
        assert_eq!(p("1 mon").div(2.0).unwrap().to_string(), "15 days");
        assert_eq!(p("3 days").div(2.0).unwrap().to_string(), "1 day 12:00:00");
        assert_eq!(
            p("27 hours").justify_hours().unwrap().to_string(),
            "1 day 03:00:00"
        );
        assert_eq!(
            p("35 days").justify_days().unwrap().to_string(),
            "1 mon 5 days"
        );
        assert_eq!(
            p("1 mon -1 hour").justify_interval().unwrap().to_string(),
            "29 days 23:00:00"
        );
    }
}
