//! `to_number(text, format)`: a port of PostgreSQL 15's `numeric_to_number` and the reading
//! direction of `NUM_processor` / `NUM_numpart_from_char` (`formatting.c`), in the C
//! locale (`D` is `.`, `G` is `,`, `L` is a blank, signs are `-` / `+`).
//!
//! The template is parsed and checked as `to_char` does ([`super::to_char_number::parse`],
//! so `9.9.9` is 42601 "multiple decimal points"); `RN` and `EEEE` are 0A000 for input.
//! Then template and text are walked together, building a number string whose first
//! character is the sign:
//!
//! * `9` / `0` / `.` / `D`: an optional blank, then (before any digit) a sign `-` / `+`
//!   (or `<` with `PR`), then one digit — no more fraction digits than the template has —
//!   or the decimal point; after a digit a sign may follow (`S`, `MI`, `PL`, `SG`);
//! * `,` / `G`: skipped when the text has a `,` there (not at all with `FM`);
//! * `L`, `TH`: skip that many characters that are not digits, `.`, `,`, `+`, `-`;
//! * `MI` / `PL` / `SG`: the sign when the text has it there, else as `L`;
//! * any other template character skips one character of the text; the walk stops when
//!   the text ends.
//!
//! The string is read by `numeric_in` with typmod (`9`s before the point + `V` digits +
//! fraction digits read, fraction digits read), so too many integer digits are 22003
//! "numeric field overflow" and no digit at all is 22P02; `V` divides by its power of ten.
//! An empty template gives NULL.

use super::dch_template::mblen;
use super::to_char_number::{
    BRACKET, DECIMAL, Desc, EEEE, FILLMODE, Kw, LSIGN, LSign, MINUS, MULTI, Node, PLUS, ROMAN,
    parse,
};
use crate::types::cast::parse_text;
use crate::types::{DataType, Numeric, NumericTypmod};
use crate::{Error, Result, Value};

/// `NUMProc` in reading mode.
struct Reader<'a> {
    num: &'a Desc,
    input: &'a [u8],
    /// `inout_p`.
    at: usize,
    /// The number read: `number[0]` is the sign (`' '` until one is read).
    number: Vec<u8>,
    read_dec: bool,
    read_pre: i32,
    read_post: i32,
}

impl Reader<'_> {
    fn cur(&self) -> u8 {
        self.input.get(self.at).copied().unwrap_or(0)
    }

    fn overload(&self) -> bool {
        self.at >= self.input.len()
    }

    /// `AMOUNT_TEST(s)`: at least `s` bytes remain.
    fn amount(&self, s: usize) -> bool {
        self.at + s <= self.input.len()
    }

    /// `NUM_eat_non_data_chars`: skips up to `n` characters that are not number data.
    fn eat_non_data(&mut self, n: usize) {
        for _ in 0..n {
            if self.overload() || b"0123456789.,+-".contains(&self.cur()) {
                break;
            }
            self.at += mblen(self.cur());
        }
    }

    /// `NUM_numpart_from_char`.
    fn numpart(&mut self, id: Kw) {
        if self.overload() {
            return;
        }
        if self.cur() == b' ' {
            self.at += 1;
        }
        if self.overload() {
            return;
        }
        // a sign before the number
        if self.number[0] == b' '
            && matches!(id, Kw::Zero | Kw::Nine)
            && self.read_pre + self.read_post == 0
        {
            let c = self.cur();
            if self.num.is(LSIGN) && self.num.lsign == LSign::Pre {
                if c == b'-' || c == b'+' {
                    self.at += 1;
                    self.number[0] = c;
                }
            } else if c == b'-' || (self.num.is(BRACKET) && c == b'<') {
                self.number[0] = b'-';
                self.at += 1;
            } else if c == b'+' {
                self.number[0] = b'+';
                self.at += 1;
            }
        }
        if self.overload() {
            return;
        }
        let mut isread = false;
        let c = self.cur();
        if c.is_ascii_digit() {
            if self.read_dec && self.read_post == self.num.post {
                return;
            }
            self.number.push(c);
            if self.read_dec {
                self.read_post += 1;
            } else {
                self.read_pre += 1;
            }
            isread = true;
        } else if self.num.is(DECIMAL) && !self.read_dec && self.amount(1) && c == b'.' {
            self.number.push(b'.');
            self.read_dec = true;
            isread = true;
        }
        if self.overload() {
            return;
        }
        // a sign after the last digit
        if self.number[0] == b' ' && self.read_pre + self.read_post > 0 {
            if self.num.is(LSIGN) && isread {
                let next = self.input.get(self.at + 1).copied();
                if let Some(next) = next
                    && !next.is_ascii_digit()
                {
                    let saved = self.at;
                    self.at += 1;
                    if (next == b'-' || next == b'+') && self.amount(1) {
                        self.number[0] = next;
                    } else {
                        self.at = saved;
                    }
                }
            } else if !isread
                && !self.num.is(LSIGN)
                && (self.num.is(PLUS) || self.num.is(MINUS))
                && (c == b'-' || c == b'+')
            {
                self.number[0] = c;
            }
        }
    }
}

/// `to_number(input, format)`.
pub fn to_number(input: &str, format: &str) -> Result<Value> {
    if format.is_empty() {
        return Ok(Value::Null);
    }
    let mut num = Desc::default();
    let nodes = parse(format, &mut num)?;
    if num.is(EEEE) {
        return Err(Error::unsupported("\"EEEE\" not supported for input"));
    }
    if num.is(ROMAN) {
        return Err(Error::unsupported("\"RN\" not supported for input"));
    }
    let mut r = Reader {
        num: &num,
        input: input.as_bytes(),
        at: 0,
        number: vec![b' '],
        read_dec: false,
        read_pre: 0,
        read_post: 0,
    };
    for node in &nodes {
        if r.overload() {
            break;
        }
        let kw = match node {
            Node::Action(kw) => *kw,
            Node::Char(_) => {
                r.at += mblen(r.cur());
                continue;
            }
        };
        match kw {
            Kw::Nine | Kw::Zero | Kw::Dec | Kw::D => r.numpart(kw),
            Kw::Comma | Kw::G => {
                if num.is(FILLMODE) || !(r.amount(1) && r.cur() == b',') {
                    continue;
                }
            }
            Kw::L => {
                r.eat_non_data(1);
                continue;
            }
            Kw::Th | Kw::ThLower => {
                if !num.is(DECIMAL) {
                    r.eat_non_data(2);
                }
                continue;
            }
            Kw::Mi | Kw::Pl | Kw::Sg => {
                let c = r.cur();
                let takes = match kw {
                    Kw::Mi => c == b'-',
                    Kw::Pl => c == b'+',
                    _ => c == b'-' || c == b'+',
                };
                if takes {
                    r.number[0] = c;
                } else {
                    r.eat_non_data(1);
                    continue;
                }
            }
            _ => continue,
        }
        r.at += 1;
    }
    let mut number = r.number;
    if number.len() > 1 && number.last() == Some(&b'.') {
        number.pop();
    }
    let text = String::from_utf8_lossy(&number).into_owned();
    let scale = r.read_post;
    let precision = num.pre + num.multi + scale;
    let value = parse_text(DataType::Numeric(None), &text)?;
    let Value::Numeric(n) = value else {
        return Ok(value);
    };
    let n = n
        .apply_typmod(NumericTypmod {
            precision: u16::try_from(precision).unwrap_or(u16::MAX),
            scale: i16::try_from(scale).unwrap_or(i16::MAX),
        })
        .map_err(|e| match e {
            Error::NumericValueOutOfRange(_) => {
                Error::NumericValueOutOfRange("numeric field overflow".into())
            }
            e => e,
        })?;
    if num.is(MULTI) {
        // PostgreSQL multiplies by power(10, -multi), which carries 16 fraction digits.
        let factor = Numeric::parse(&format!("1e-{}", num.multi))?.round(16);
        return Ok(Value::numeric(n.mul(&factor)?.round(i64::from(scale) + 16)));
    }
    Ok(Value::numeric(n))
}
