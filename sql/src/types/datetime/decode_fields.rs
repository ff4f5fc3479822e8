//! The numeric-field rules of date/time input, translated from PostgreSQL 15's `datetime.c`:
//! a delimited date (`DecodeDate`), a lone number read by what came before and DateStyle
//! (`DecodeNumber`), a run-together `yyyymmdd`/`hhmmss[.fff]` (`DecodeNumberField`), a
//! delimited time (`DecodeTime`), and the final year/month/day checks (`ValidateDate`).
//! [`Tm`] is PostgreSQL's broken-down `struct pg_tm` plus `fsec`.

use super::decode::{
    DATE_M, DateOrder, DtErr, DtResult, M_DAY, M_DOY, M_MONTH, M_TZ, M_YEAR, TIME_M,
};
use super::{POSTGRES_EPOCH_JDATE, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};

/// Broken-down date and time (astronomical year: 0 is 1 BC).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tm {
    pub year: i32,
    pub mon: i32,
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    /// Microseconds (may exceed a second until range-checked, as in PostgreSQL).
    pub fsec: i64,
    /// Day of the year, for `yyyy.ddd` / `yyyy ddd`.
    pub yday: i32,
}

impl Tm {
    /// Sets the date of Julian day `jd`.
    pub fn set_julian(&mut self, jd: i32) {
        let (y, m, d) = super::j2date(jd);
        self.year = y;
        self.mon = m as i32;
        self.mday = d as i32;
    }

    /// Sets the date of `days` since 2000-01-01.
    pub fn set_date_of_days(&mut self, days: i64) {
        self.set_julian((days + i64::from(POSTGRES_EPOCH_JDATE)) as i32);
    }

    /// `dt2time`: hours, minutes, seconds and microseconds of `micros`.
    pub fn set_time_of_day(&mut self, micros: i64) {
        self.hour = (micros / USECS_PER_HOUR) as i32;
        let rest = micros - i64::from(self.hour) * USECS_PER_HOUR;
        self.min = (rest / USECS_PER_MINUTE) as i32;
        let rest = rest - i64::from(self.min) * USECS_PER_MINUTE;
        self.sec = (rest / USECS_PER_SEC) as i32;
        self.fsec = rest - i64::from(self.sec) * USECS_PER_SEC;
    }

    /// All fields of a local timestamp (microseconds since 2000-01-01).
    pub fn of_local(local: i64) -> Tm {
        let mut tm = Tm::default();
        tm.set_date_of_days(local.div_euclid(USECS_PER_DAY));
        tm.set_time_of_day(local.rem_euclid(USECS_PER_DAY));
        tm
    }

    /// Whether the date is inside PostgreSQL's Julian-day range (`IS_VALID_JULIAN`).
    pub fn valid_julian(&self) -> bool {
        (self.year > -4713 || (self.year == -4713 && self.mon >= 11))
            && (self.year < 5_874_898 || (self.year == 5_874_898 && self.mon < 6))
    }

    /// Days since 2000-01-01 (the date must be [`valid_julian`](Tm::valid_julian)).
    pub fn days(&self) -> i64 {
        i64::from(super::date2j(self.year, self.mon, self.mday)) - i64::from(POSTGRES_EPOCH_JDATE)
    }

    /// Microseconds since midnight.
    pub fn time_of_day(&self) -> i64 {
        ((i64::from(self.hour) * 60 + i64::from(self.min)) * 60 + i64::from(self.sec))
            * USECS_PER_SEC
            + self.fsec
    }

    /// `tm2timestamp` without a zone: `None` outside the Julian range or on overflow.
    pub fn local_micros(&self) -> Option<i64> {
        if !self.valid_julian() {
            return None;
        }
        self.days()
            .checked_mul(USECS_PER_DAY)?
            .checked_add(self.time_of_day())
    }
}

/// `strtoint` on a field: an optional sign and digits. Returns the value and the bytes
/// read (0 when there are no digits); a value outside `int` is a field overflow.
pub fn strtoint(s: &[u8]) -> DtResult<(i64, usize)> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(s[i] - b'0'));
        i += 1;
    }
    if i == start {
        return Ok((0, 0));
    }
    let v = if neg { -v } else { v };
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
        return Err(DtErr::FieldOverflow);
    }
    Ok((v, i))
}

/// C's `atoi` on a run of digits (saturating instead of undefined on overflow).
fn atoi(s: &str) -> i32 {
    strtoint(s.as_bytes()).map_or(i32::MAX, |(v, _)| v as i32)
}

/// The length of the longest prefix of `s` that `strtod` reads (`.5`, `.001e6`).
pub fn strtod_len(s: &[u8]) -> usize {
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    let mut n = digits(&mut i);
    if s.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return 0;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    i
}

/// `strtod` on the prefix it reads.
fn strtod_prefix(s: &str) -> f64 {
    let n = strtod_len(s.as_bytes());
    s[..n].parse().unwrap_or(0.0)
}

/// `ParseFraction`-style read of `.ddd` (the whole text must be a number).
pub fn parse_fraction(s: &str) -> DtResult<f64> {
    let n = strtod_len(s.as_bytes());
    if n == 0 || n != s.len() {
        return Err(DtErr::BadFormat);
    }
    s.parse().map_err(|_| DtErr::BadFormat)
}

/// `ParseFractionalSecond`: `.ddd` → microseconds, rounded half to even.
pub fn parse_fractional_second(s: &str) -> DtResult<i64> {
    Ok((parse_fraction(s)? * 1e6).round_ties_even() as i64)
}

/// `DecodeTime`: `hh:mm[:ss[.fff]]` or `mm:ss.fff`.
pub fn decode_time(s: &str, tm: &mut Tm) -> DtResult<u32> {
    let b = s.as_bytes();
    let (hour, n) = strtoint(b)?;
    let mut pos = n;
    if b.get(pos) != Some(&b':') {
        return Err(DtErr::BadFormat);
    }
    let (min, n) = strtoint(&b[pos + 1..])?;
    pos += 1 + n;
    let (mut hour, mut min, mut sec, mut fsec) = (hour, min, 0, 0);
    match b.get(pos) {
        None => {}
        Some(b'.') => {
            fsec = parse_fractional_second(&s[pos..])?;
            sec = min;
            min = hour;
            hour = 0;
        }
        Some(b':') => {
            let (s2, n) = strtoint(&b[pos + 1..])?;
            sec = s2;
            pos += 1 + n;
            match b.get(pos) {
                None => {}
                Some(b'.') => fsec = parse_fractional_second(&s[pos..])?,
                Some(_) => return Err(DtErr::BadFormat),
            }
        }
        Some(_) => return Err(DtErr::BadFormat),
    }
    if hour < 0
        || !(0..=59).contains(&min)
        || !(0..=60).contains(&sec)
        || !(0..=USECS_PER_SEC).contains(&fsec)
    {
        return Err(DtErr::FieldOverflow);
    }
    tm.hour = hour as i32;
    tm.min = min as i32;
    tm.sec = sec as i32;
    tm.fsec = fsec;
    Ok(TIME_M)
}

/// `time_overflows`: beyond 24:00:00 or a field out of its range.
pub fn time_overflows(tm: &Tm) -> bool {
    if !(0..=24).contains(&tm.hour)
        || !(0..60).contains(&tm.min)
        || !(0..=60).contains(&tm.sec)
        || !(0..=USECS_PER_SEC).contains(&tm.fsec)
    {
        return true;
    }
    tm.time_of_day() > USECS_PER_DAY
}

/// `DecodeDate`: a date with delimiters (`1997-02-10`, `10/Feb/1997`, `1997.041`).
pub fn decode_date(
    s: &str,
    mut fmask: u32,
    is2digits: &mut bool,
    tm: &mut Tm,
    order: DateOrder,
) -> DtResult<u32> {
    let b = s.as_bytes();
    let mut fields: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < b.len() && fields.len() < 25 {
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= b.len() {
            return Err(DtErr::BadFormat);
        }
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
        }
        fields.push(&s[start..i]);
        if i < b.len() {
            i += 1; // the delimiter (any non-alphanumeric character)
        }
    }
    let mut tmask = 0u32;
    let mut have_text_month = false;
    let mut numeric = Vec::new();
    for f in &fields {
        if f.as_bytes()[0].is_ascii_alphabetic() {
            match super::tokens::date_token(f) {
                Some(super::tokens::Token::Ignore) => continue,
                Some(super::tokens::Token::Month(m)) => {
                    if fmask & M_MONTH != 0 {
                        return Err(DtErr::BadFormat);
                    }
                    tm.mon = m;
                    have_text_month = true;
                    fmask |= M_MONTH;
                    tmask |= M_MONTH;
                }
                _ => return Err(DtErr::BadFormat),
            }
        } else {
            numeric.push(*f);
        }
    }
    for f in numeric {
        // A fraction here is read and dropped, as PostgreSQL's `DecodeDate` does.
        let fsec = tm.fsec;
        let dmask = decode_number(f, have_text_month, fmask, tm, is2digits, order)?;
        tm.fsec = fsec;
        if fmask & dmask != 0 {
            return Err(DtErr::BadFormat);
        }
        fmask |= dmask;
        tmask |= dmask;
    }
    if fmask & !(M_DOY | M_TZ) != DATE_M {
        return Err(DtErr::BadFormat);
    }
    Ok(tmask)
}

/// `DecodeNumber`: a plain number read in the context of the fields seen so far.
pub fn decode_number(
    s: &str,
    have_text_month: bool,
    fmask: u32,
    tm: &mut Tm,
    is2digits: &mut bool,
    order: DateOrder,
) -> DtResult<u32> {
    let flen = s.len();
    let (val, n) = strtoint(s.as_bytes())?;
    if n == 0 {
        return Err(DtErr::BadFormat);
    }
    let val = val as i32;
    match s.as_bytes().get(n) {
        None => {}
        Some(b'.') => {
            if n > 2 {
                return decode_number_field(s, fmask | DATE_M, tm, is2digits).map(|(m, _)| m);
            }
            tm.fsec = parse_fractional_second(&s[n..])?;
        }
        Some(_) => return Err(DtErr::BadFormat),
    }
    if flen == 3 && fmask & DATE_M == M_YEAR && (1..=366).contains(&val) {
        tm.yday = val;
        return Ok(M_DOY | M_MONTH | M_DAY);
    }
    let tmask = match fmask & DATE_M {
        0 => {
            if flen >= 3 || order == DateOrder::Ymd {
                tm.year = val;
                M_YEAR
            } else if order == DateOrder::Dmy {
                tm.mday = val;
                M_DAY
            } else {
                tm.mon = val;
                M_MONTH
            }
        }
        M_YEAR => {
            tm.mon = val;
            M_MONTH
        }
        M_MONTH => {
            if have_text_month {
                if flen >= 3 || order == DateOrder::Ymd {
                    tm.year = val;
                    M_YEAR
                } else {
                    tm.mday = val;
                    M_DAY
                }
            } else {
                tm.mday = val;
                M_DAY
            }
        }
        m if m == M_YEAR | M_MONTH => {
            if have_text_month && flen >= 3 && *is2digits {
                tm.mday = tm.year;
                tm.year = val;
                *is2digits = false;
            } else {
                tm.mday = val;
            }
            M_DAY
        }
        M_DAY => {
            tm.mon = val;
            M_MONTH
        }
        m if m == M_MONTH | M_DAY => {
            tm.year = val;
            M_YEAR
        }
        DATE_M => return decode_number_field(s, fmask, tm, is2digits).map(|(m, _)| m),
        _ => return Err(DtErr::BadFormat),
    };
    if tmask == M_YEAR {
        *is2digits = flen <= 2;
    }
    Ok(tmask)
}

/// What a run-together number turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberField {
    Date,
    Time,
}

/// `DecodeNumberField`: `yyyymmdd`, `yymmdd`, `hhmmss[.fff]`, `hhmm` (PostgreSQL 15 reads
/// the fraction with `strtod`, ignoring what follows it, and the digits with `atoi`).
pub fn decode_number_field(
    s: &str,
    fmask: u32,
    tm: &mut Tm,
    is2digits: &mut bool,
) -> DtResult<(u32, NumberField)> {
    let mut s = s;
    if let Some(dot) = s.find('.') {
        tm.fsec = (strtod_prefix(&s[dot..]) * 1e6).round_ties_even() as i64;
        s = &s[..dot];
    } else if fmask & DATE_M != DATE_M && s.len() >= 6 {
        let len = s.len();
        tm.mday = atoi(&s[len - 2..]);
        tm.mon = atoi(&s[len - 4..len - 2]);
        tm.year = atoi(&s[..len - 4]);
        if len - 4 == 2 {
            *is2digits = true;
        }
        return Ok((DATE_M, NumberField::Date));
    }
    if fmask & TIME_M != TIME_M {
        let len = s.len();
        if len == 6 {
            tm.sec = atoi(&s[4..]);
            tm.min = atoi(&s[2..4]);
            tm.hour = atoi(&s[..2]);
            return Ok((TIME_M, NumberField::Time));
        } else if len == 4 {
            tm.sec = 0;
            tm.min = atoi(&s[2..]);
            tm.hour = atoi(&s[..2]);
            return Ok((TIME_M, NumberField::Time));
        }
    }
    Err(DtErr::BadFormat)
}

/// `ValidateDate`: two-digit years, BC, day of year, and the month/day ranges.
pub fn validate_date(
    fmask: u32,
    is_julian: bool,
    is2digits: bool,
    bc: bool,
    tm: &mut Tm,
) -> DtResult<()> {
    if fmask & M_YEAR != 0 {
        if is_julian {
        } else if bc {
            if tm.year <= 0 {
                return Err(DtErr::FieldOverflow);
            }
            tm.year = -(tm.year - 1);
        } else if is2digits {
            if tm.year < 0 {
                return Err(DtErr::FieldOverflow);
            }
            if tm.year < 70 {
                tm.year += 2000;
            } else if tm.year < 100 {
                tm.year += 1900;
            }
        } else if tm.year <= 0 {
            return Err(DtErr::FieldOverflow);
        }
    }
    if fmask & M_DOY != 0 {
        tm.set_julian(super::date2j(tm.year, 1, 1) + tm.yday - 1);
    }
    if fmask & M_MONTH != 0 && !(1..=12).contains(&tm.mon) {
        return Err(DtErr::MdFieldOverflow);
    }
    if fmask & M_DAY != 0 && !(1..=31).contains(&tm.mday) {
        return Err(DtErr::MdFieldOverflow);
    }
    if fmask & DATE_M == DATE_M && tm.mday > super::days_in_month(tm.year, tm.mon as u32) as i32 {
        return Err(DtErr::FieldOverflow);
    }
    Ok(())
}
