//! `to_number(text, format)`: reads a number written as a `to_char` numeric template
//! describes it, walking the template and the text together as PostgreSQL's
//! `NUM_processor` does in its reading mode:
//!
//! * `9` / `0`: one digit position — takes a digit, or a blank, or (before any digit) a
//!   sign `-` / `+` followed by the digit;
//! * `.` / `D`: the decimal point, when the text has one there;
//! * `,` / `G`: a group separator, skipped when the text has one there (a digit stays for the
//!   next position);
//! * `S`, `MI`, `PL`, `SG`: a sign, when the text has one there; `PR`: `<...>` is negative;
//! * `L`: a currency symbol (`$`) when there; `FM` is ignored; `TH` skips an ordinal suffix;
//! * any other template character skips one character of the text.
//!
//! Text past the template's end is ignored (`to_number('1234', '99')` is 12); an empty
//! template gives NULL; text with no digit is 22P02 as PostgreSQL words it. The result's
//! scale is the number of fraction digits read. `V` and `EEEE` are not supported (0A000).

use crate::types::DataType;
use crate::types::cast::parse_text;
use crate::{Error, Result, Value};

/// `to_number(input, format)`.
pub fn to_number(input: &str, format: &str) -> Result<Value> {
    if format.is_empty() {
        return Ok(Value::Null);
    }
    let text: Vec<char> = input.chars().collect();
    let fmt: Vec<char> = format.chars().collect();
    let mut at = 0;
    let mut negative = false;
    let mut sign_read = false;
    let mut int = String::new();
    let mut frac = String::new();
    let mut in_frac = false;
    let upper = format.to_ascii_uppercase();
    if upper.contains("PR") {
        let start = text.iter().take_while(|c| **c == ' ').count();
        if text.get(start) == Some(&'<') {
            negative = true;
            sign_read = true;
            at = start + 1;
        }
    }
    let starts = |i: usize, kw: &str| upper.get(i..).is_some_and(|s| s.starts_with(kw));
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        let cur = text.get(at).copied();
        if starts(i, "FM") {
            i += 2;
            continue;
        }
        if starts(i, "PR") || starts(i, "EEEE") || c.eq_ignore_ascii_case(&'V') {
            if !starts(i, "PR") {
                return Err(Error::unsupported(
                    "to_number: the V and EEEE template patterns are not supported",
                ));
            }
            i += 2;
            continue;
        }
        if starts(i, "MI") || starts(i, "PL") || starts(i, "SG") || c.eq_ignore_ascii_case(&'S') {
            if matches!(cur, Some('-' | '+')) && !sign_read {
                negative = cur == Some('-');
                sign_read = true;
                at += 1;
            }
            i += if c.eq_ignore_ascii_case(&'S') && !starts(i, "SG") {
                1
            } else {
                2
            };
            continue;
        }
        if starts(i, "TH") {
            while at < text.len() && text[at].is_ascii_alphabetic() && i < fmt.len() {
                at += 1;
                if at >= text.len() || !text[at].is_ascii_alphabetic() {
                    break;
                }
            }
            i += 2;
            continue;
        }
        match c {
            '9' | '0' => {
                if matches!(cur, Some('-' | '+')) && !sign_read && int.is_empty() && frac.is_empty()
                {
                    negative = cur == Some('-');
                    sign_read = true;
                    at += 1;
                }
                match text.get(at) {
                    Some(d) if d.is_ascii_digit() => {
                        if in_frac {
                            frac.push(*d);
                        } else {
                            int.push(*d);
                        }
                        at += 1;
                    }
                    Some(' ') => at += 1,
                    _ => {}
                }
            }
            '.' | 'D' | 'd' => {
                if cur == Some('.') {
                    in_frac = true;
                    at += 1;
                }
            }
            ',' | 'G' | 'g' => {
                if cur == Some(',') {
                    at += 1;
                }
            }
            'L' | 'l' => {
                if cur == Some('$') {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        i += 1;
    }
    if int.is_empty() && frac.is_empty() {
        return Err(Error::InvalidTextRepresentation(
            "invalid input syntax for type numeric: \" \"".into(),
        ));
    }
    let mut number = String::new();
    if negative {
        number.push('-');
    }
    number.push_str(if int.is_empty() { "0" } else { &int });
    if in_frac && !frac.is_empty() {
        number.push('.');
        number.push_str(&frac);
    }
    parse_text(DataType::Numeric(None), &number)
}

#[cfg(test)]
mod tests {
    use super::to_number;

    fn n(input: &str, format: &str) -> String {
        to_number(input, format).unwrap().to_string()
    }

    #[test]
    fn reads_numbers_as_postgresql() {
        // Values from PostgreSQL 15.
        assert_eq!(n("12,454.8-", "99G999D9S"), "-12454.8");
        assert_eq!(n("-34,338,492", "99G999G999"), "-34338492");
        assert_eq!(
            n("-34,338,492.654,878", "99G999G999D999G999"),
            "-34338492.654878"
        );
        assert_eq!(n("<564646.654564>", "999999.999999PR"), "-564646.654564");
        assert_eq!(n("0.00001-", "9.999999S"), "-0.00001");
        assert_eq!(n("5.01-", "FM9.999999MI"), "-5.01");
        assert_eq!(n("5 4 4 4 4 8 . 7 8", "9 9 9 9 9 9 . 9 9"), "544448.78");
        assert_eq!(n(".01", "FM9.99"), "0.01");
        assert_eq!(n("0", "99.99"), "0");
        assert_eq!(n(".-01", "S99.99"), "-0.01");
        assert_eq!(n(".01-", "99.99S"), "-0.01");
        assert_eq!(n("34,50", "999,99"), "3450");
        assert_eq!(n("123,000", "999G"), "123");
        assert_eq!(n("123456", "999G999"), "123456");
        assert_eq!(n("$1,234.56", "L99,999.99"), "1234.56");
        assert_eq!(n("1234.56", "L99,999.99"), "1234.56");
        assert_eq!(n("42nd", "99th"), "42");
        assert_eq!(n("  12", "9999"), "12");
        assert_eq!(n("1234", "99"), "12");
        assert_eq!(n("-12.50", "999.99"), "-12.50");
        assert!(to_number("12", "").unwrap().is_null());
        assert_eq!(
            to_number("abc", "999").unwrap_err().to_string(),
            "invalid input syntax for type numeric: \" \""
        );
    }
}
