//! `ParseDateTime` and `DecodeTimezone`, translated from PostgreSQL's `datetime.c`: date/time
//! input split into typed fields (digits with `:` are a time, with `-`/`/`/`.` a date, a
//! sign and digits a zone offset, letters a word, lower-cased), and a numeric zone offset
//! read. [`decode`](super::decode) gives the fields their meaning.

use super::decode::{DtErr, DtResult};
use super::decode_fields::strtoint;
use super::tokens;

/// The kind of one input field (`DTK_DATE`, `DTK_TIME`, ... in `ParseDateTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Date,
    Time,
    Tz,
    Number,
    String,
    Special,
}

/// The most fields PostgreSQL splits an input into (`MAXDATEFIELDS`).
const MAX_FIELDS: usize = 25;
/// PostgreSQL's work buffer (`MAXDATELEN + MAXDATEFIELDS`): longer input is a syntax error.
const WORKBUF: usize = 128 + 25;

/// `ParseDateTime`: the input's fields, letters lower-cased.
pub fn parse_fields(input: &str) -> DtResult<Vec<(String, FieldType)>> {
    let c = input.as_bytes();
    let mut out: Vec<(String, FieldType)> = Vec::new();
    let mut used = 0usize;
    let mut i = 0;
    while i < c.len() {
        if c[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if out.len() >= MAX_FIELDS {
            return Err(DtErr::BadFormat);
        }
        let mut f = String::new();
        let push = |f: &mut String, ch: u8, used: &mut usize| -> DtResult<()> {
            if *used + 1 >= WORKBUF {
                return Err(DtErr::BadFormat);
            }
            *used += 1;
            f.push(ch.to_ascii_lowercase() as char);
            Ok(())
        };
        let ty;
        if c[i].is_ascii_digit() {
            while i < c.len() && c[i].is_ascii_digit() {
                push(&mut f, c[i], &mut used)?;
                i += 1;
            }
            if c.get(i) == Some(&b':') {
                ty = FieldType::Time;
                while i < c.len() && (c[i].is_ascii_digit() || c[i] == b':' || c[i] == b'.') {
                    push(&mut f, c[i], &mut used)?;
                    i += 1;
                }
            } else if matches!(c.get(i), Some(b'-' | b'/' | b'.')) {
                let delim = c[i];
                push(&mut f, c[i], &mut used)?;
                i += 1;
                if c.get(i).is_some_and(u8::is_ascii_digit) {
                    let mut t = if delim == b'.' {
                        FieldType::Number
                    } else {
                        FieldType::Date
                    };
                    while i < c.len() && c[i].is_ascii_digit() {
                        push(&mut f, c[i], &mut used)?;
                        i += 1;
                    }
                    if c.get(i) == Some(&delim) {
                        t = FieldType::Date;
                        while i < c.len() && (c[i].is_ascii_digit() || c[i] == delim) {
                            push(&mut f, c[i], &mut used)?;
                            i += 1;
                        }
                    }
                    ty = t;
                } else {
                    ty = FieldType::Date;
                    while i < c.len() && (c[i].is_ascii_alphanumeric() || c[i] == delim) {
                        push(&mut f, c[i], &mut used)?;
                        i += 1;
                    }
                }
            } else {
                ty = FieldType::Number;
            }
        } else if c[i] == b'.' {
            push(&mut f, c[i], &mut used)?;
            i += 1;
            while i < c.len() && c[i].is_ascii_digit() {
                push(&mut f, c[i], &mut used)?;
                i += 1;
            }
            ty = FieldType::Number;
        } else if c[i].is_ascii_alphabetic() {
            while i < c.len() && c[i].is_ascii_alphabetic() {
                push(&mut f, c[i], &mut used)?;
                i += 1;
            }
            let is_date = match c.get(i) {
                Some(b'-' | b'/' | b'.') => true,
                Some(b) if *b == b'+' || b.is_ascii_digit() => tokens::date_token(&f).is_none(),
                _ => false,
            };
            if is_date {
                ty = FieldType::Date;
                loop {
                    push(&mut f, c[i], &mut used)?;
                    i += 1;
                    if !(i < c.len()
                        && (matches!(c[i], b'+' | b'-' | b'/' | b'_' | b'.' | b':')
                            || c[i].is_ascii_alphanumeric()))
                    {
                        break;
                    }
                }
            } else {
                ty = FieldType::String;
            }
        } else if c[i] == b'+' || c[i] == b'-' {
            push(&mut f, c[i], &mut used)?;
            i += 1;
            while i < c.len() && c[i].is_ascii_whitespace() {
                i += 1;
            }
            if c.get(i).is_some_and(u8::is_ascii_digit) {
                ty = FieldType::Tz;
                push(&mut f, c[i], &mut used)?;
                i += 1;
                while i < c.len() && (c[i].is_ascii_digit() || matches!(c[i], b':' | b'.' | b'-')) {
                    push(&mut f, c[i], &mut used)?;
                    i += 1;
                }
            } else if c.get(i).is_some_and(u8::is_ascii_alphabetic) {
                ty = FieldType::Special;
                while i < c.len() && c[i].is_ascii_alphabetic() {
                    push(&mut f, c[i], &mut used)?;
                    i += 1;
                }
            } else {
                return Err(DtErr::BadFormat);
            }
        } else if c[i].is_ascii_punctuation() {
            i += 1;
            continue;
        } else {
            return Err(DtErr::BadFormat);
        }
        used += 1; // the field's terminator
        out.push((f, ty));
    }
    Ok(out)
}

/// `DecodeTimezone`: `+hh`, `-hhmm`, `+hh:mm[:ss]` → seconds west.
pub fn decode_timezone(s: &str) -> DtResult<i32> {
    let b = s.as_bytes();
    let neg = match b.first() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Err(DtErr::BadFormat),
    };
    let overflow = |e: DtErr| {
        if e == DtErr::FieldOverflow {
            DtErr::TzDispOverflow
        } else {
            e
        }
    };
    let (mut hr, n) = strtoint(&b[1..]).map_err(overflow)?;
    let mut pos = 1 + n;
    let mut min = 0;
    let mut sec = 0;
    if b.get(pos) == Some(&b':') {
        let (m, n) = strtoint(&b[pos + 1..]).map_err(overflow)?;
        min = m;
        pos += 1 + n;
        if b.get(pos) == Some(&b':') {
            let (s2, n) = strtoint(&b[pos + 1..]).map_err(overflow)?;
            sec = s2;
            pos += 1 + n;
        }
    } else if pos == b.len() && b.len() > 3 {
        min = hr % 100;
        hr /= 100;
    }
    if !(0..=15).contains(&hr) || !(0..60).contains(&min) || !(0..60).contains(&sec) {
        return Err(DtErr::TzDispOverflow);
    }
    let mut tz = ((hr * 60 + min) * 60 + sec) as i32;
    if neg {
        tz = -tz;
    }
    if pos != b.len() {
        return Err(DtErr::BadFormat);
    }
    Ok(-tz)
}
