//! `to_char(number, template)`: a port of PostgreSQL's number formatting (`formatting.c`:
//! `NUMDesc_prepare`, the `*_to_char` functions and `NUM_processor` in its to_char
//! direction), so the templates' corners come out as PostgreSQL prints them: `PR` brackets,
//! `S` / `PL` / `MI` / `SG` signs before or after the digits, `TH`, `V` (shift by powers of
//! ten), `EEEE`, `RN` (roman numerals, `#` beyond 1..3999), `FM`, quoted and plain literal
//! text, and the `#` fill of a number too wide for the template. The locale is C's: `D` is
//! `.`, `G` is `,`, `L` is a space.
//!
//! The value is first turned into a digit string and a sign as each PostgreSQL type does
//! (numeric and integers exactly, floats limited to 15 / 6 significant digits), then the
//! template is walked once, writing into a byte buffer. As in C, a NUL written when the
//! digits run out ends the result.

use crate::types::{Numeric, Value};
use crate::{Error, Result};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kw {
    Comma,
    Dec,
    Zero,
    Nine,
    B,
    C,
    D,
    E,
    Fm,
    G,
    L,
    Mi,
    Pl,
    Pr,
    Rn,
    RnLower,
    Sg,
    Sp,
    S,
    Th,
    ThLower,
    V,
}

/// PostgreSQL's `NUM_keywords`, in its order (the first match of a starting letter wins).
const KEYWORDS: &[(&str, Kw)] = &[
    (",", Kw::Comma),
    (".", Kw::Dec),
    ("0", Kw::Zero),
    ("9", Kw::Nine),
    ("B", Kw::B),
    ("C", Kw::C),
    ("D", Kw::D),
    ("EEEE", Kw::E),
    ("FM", Kw::Fm),
    ("G", Kw::G),
    ("L", Kw::L),
    ("MI", Kw::Mi),
    ("PL", Kw::Pl),
    ("PR", Kw::Pr),
    ("RN", Kw::Rn),
    ("SG", Kw::Sg),
    ("SP", Kw::Sp),
    ("S", Kw::S),
    ("TH", Kw::Th),
    ("V", Kw::V),
    ("b", Kw::B),
    ("c", Kw::C),
    ("d", Kw::D),
    ("eeee", Kw::E),
    ("fm", Kw::Fm),
    ("g", Kw::G),
    ("l", Kw::L),
    ("mi", Kw::Mi),
    ("pl", Kw::Pl),
    ("pr", Kw::Pr),
    ("rn", Kw::RnLower),
    ("sg", Kw::Sg),
    ("sp", Kw::Sp),
    ("s", Kw::S),
    ("th", Kw::ThLower),
    ("v", Kw::V),
];

pub(super) enum Node {
    Action(Kw),
    Char(char),
}

pub(super) const DECIMAL: u32 = 1 << 1;
pub(super) const ZERO: u32 = 1 << 3;
pub(super) const BLANK: u32 = 1 << 4;
pub(super) const FILLMODE: u32 = 1 << 5;
pub(super) const LSIGN: u32 = 1 << 6;
pub(super) const BRACKET: u32 = 1 << 7;
pub(super) const MINUS: u32 = 1 << 8;
pub(super) const PLUS: u32 = 1 << 9;
pub(super) const ROMAN: u32 = 1 << 10;
pub(super) const MULTI: u32 = 1 << 11;
pub(super) const EEEE: u32 = 1 << 14;

#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum LSign {
    #[default]
    None,
    Pre,
    Post,
}

/// PostgreSQL's `NUMDesc`: what the template asks for.
#[derive(Default)]
pub(super) struct Desc {
    pub(super) pre: i32,
    pub(super) post: i32,
    pub(super) lsign: LSign,
    pre_lsign_num: i32,
    pub(super) multi: i32,
    zero_start: i32,
    zero_end: i32,
    flag: u32,
}

impl Desc {
    pub(super) fn is(&self, f: u32) -> bool {
        self.flag & f != 0
    }
}

fn syntax(msg: &str) -> Error {
    Error::SyntaxError(msg.into())
}

/// Parses the template into nodes, filling `desc` (`parse_format` with `NUMDesc_prepare`).
pub(super) fn parse(fmt: &str, desc: &mut Desc) -> Result<Vec<Node>> {
    let mut nodes = Vec::new();
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        if let Some((name, kw)) = KEYWORDS.iter().find(|(name, _)| rest.starts_with(name)) {
            prepare(desc, *kw)?;
            nodes.push(Node::Action(*kw));
            rest = &rest[name.len()..];
        } else if c == '"' {
            let mut chars = rest[1..].char_indices();
            let mut end = rest.len();
            while let Some((i, ch)) = chars.next() {
                if ch == '"' {
                    end = i + 2;
                    break;
                }
                let ch = if ch == '\\' {
                    match chars.next() {
                        Some((_, next)) => next,
                        None => ch,
                    }
                } else {
                    ch
                };
                nodes.push(Node::Char(ch));
            }
            rest = &rest[end.min(rest.len())..];
        } else {
            let mut skip = c.len_utf8();
            let mut ch = c;
            if c == '\\' && rest[1..].starts_with('"') {
                ch = '"';
                skip = 2;
            }
            nodes.push(Node::Char(ch));
            rest = &rest[skip..];
        }
    }
    Ok(nodes)
}

fn prepare(num: &mut Desc, kw: Kw) -> Result<()> {
    if num.is(EEEE) && kw != Kw::E {
        return Err(syntax("\"EEEE\" must be the last pattern used"));
    }
    match kw {
        Kw::Nine | Kw::Zero => {
            if num.is(BRACKET) {
                let d = if kw == Kw::Nine { "9" } else { "0" };
                return Err(syntax(&format!("\"{d}\" must be ahead of \"PR\"")));
            }
            if kw == Kw::Nine && num.is(MULTI) {
                num.multi += 1;
                return Ok(());
            }
            if kw == Kw::Zero && !num.is(ZERO) && !num.is(DECIMAL) {
                num.flag |= ZERO;
                num.zero_start = num.pre + 1;
            }
            if num.is(DECIMAL) {
                num.post += 1;
            } else {
                num.pre += 1;
            }
            if kw == Kw::Zero {
                num.zero_end = num.pre + num.post;
            }
        }
        Kw::B => {
            if num.pre == 0 && num.post == 0 && !num.is(ZERO) {
                num.flag |= BLANK;
            }
        }
        Kw::D | Kw::Dec => {
            if num.is(DECIMAL) {
                return Err(syntax("multiple decimal points"));
            }
            if num.is(MULTI) {
                return Err(syntax("cannot use \"V\" and decimal point together"));
            }
            num.flag |= DECIMAL;
        }
        Kw::Fm => num.flag |= FILLMODE,
        Kw::S => {
            if num.is(LSIGN) {
                return Err(syntax("cannot use \"S\" twice"));
            }
            if num.is(PLUS) || num.is(MINUS) || num.is(BRACKET) {
                return Err(syntax(
                    "cannot use \"S\" and \"PL\"/\"MI\"/\"SG\"/\"PR\" together",
                ));
            }
            if !num.is(DECIMAL) {
                num.lsign = LSign::Pre;
                num.pre_lsign_num = num.pre;
                num.flag |= LSIGN;
            } else if num.lsign == LSign::None {
                num.lsign = LSign::Post;
                num.flag |= LSIGN;
            }
        }
        Kw::Mi | Kw::Pl | Kw::Sg => {
            if num.is(LSIGN) {
                let name = match kw {
                    Kw::Mi => "MI",
                    Kw::Pl => "PL",
                    _ => "SG",
                };
                return Err(syntax(&format!("cannot use \"S\" and \"{name}\" together")));
            }
            num.flag |= match kw {
                Kw::Mi => MINUS,
                Kw::Pl => PLUS,
                _ => MINUS | PLUS,
            };
        }
        Kw::Pr => {
            if num.is(LSIGN) || num.is(PLUS) || num.is(MINUS) {
                return Err(syntax(
                    "cannot use \"PR\" and \"S\"/\"PL\"/\"MI\"/\"SG\" together",
                ));
            }
            num.flag |= BRACKET;
        }
        Kw::Rn | Kw::RnLower => num.flag |= ROMAN,
        Kw::V => {
            if num.is(DECIMAL) {
                return Err(syntax("cannot use \"V\" and decimal point together"));
            }
            num.flag |= MULTI;
        }
        Kw::E => {
            if num.is(EEEE) {
                return Err(syntax("cannot use \"EEEE\" twice"));
            }
            if num.flag & (BLANK | FILLMODE | LSIGN | BRACKET | MINUS | PLUS | ROMAN | MULTI) != 0 {
                return Err(Error::SyntaxError(
                    "\"EEEE\" is incompatible with other formats".into(),
                ));
            }
            num.flag |= EEEE;
        }
        Kw::Comma | Kw::C | Kw::G | Kw::L | Kw::Sp | Kw::Th | Kw::ThLower => {}
    }
    Ok(())
}

/// `to_char(v, fmt)` for a number `v`.
pub fn to_char(v: &Value, fmt: &str) -> Result<String> {
    let mut num = Desc::default();
    let nodes = parse(fmt, &mut num)?;
    let mut sign = '+';
    let mut out_pre_spaces = 0;
    let numstr = if num.is(ROMAN) {
        let n = match v {
            Value::Int(i) => i32::try_from(*i).map_err(|_| int_out_of_range())?,
            Value::Numeric(n) => numeric_to_int4(n)?,
            Value::Float(f) => c_int(f.round_ties_even()),
            Value::Float4(f) => c_int(f64::from(*f).round_ties_even()),
            other => return Err(Error::Internal(format!("to_char of {other:?}"))),
        };
        roman(n)
    } else if num.is(EEEE) {
        let sci = match v {
            Value::Int(i) => Some(numeric_sci(&Numeric::from_i64(*i), num.post)),
            Value::Numeric(n) => numeric_sci_special(n, num.post),
            Value::Float(f) => f.is_finite().then(|| float_sci(*f, num.post)),
            Value::Float4(f) => f.is_finite().then(|| float_sci(f64::from(*f), num.post)),
            other => return Err(Error::Internal(format!("to_char of {other:?}"))),
        };
        match sci {
            None => {
                let mut s: Vec<char> = "#"
                    .repeat((num.pre + num.post + 6) as usize)
                    .chars()
                    .collect();
                s[0] = ' ';
                s[(num.pre + 1) as usize] = '.';
                s.into_iter().collect()
            }
            Some(s) if s.starts_with('-') => s,
            Some(s) => format!(" {s}"),
        }
    } else {
        let digits = match v {
            Value::Float(f) => float_digits(*f, &mut num, 15),
            Value::Float4(f) => float_digits(f64::from(*f), &mut num, 6),
            _ => {
                let n = match v {
                    Value::Int(i) => Numeric::from_i64(*i),
                    Value::Numeric(n) => (**n).clone(),
                    other => return Err(Error::Internal(format!("to_char of {other:?}"))),
                };
                let n = if num.is(MULTI) {
                    num.pre += num.multi;
                    n.mul(&Numeric::parse(&format!("1e{}", num.multi))?)?
                } else {
                    n
                };
                n.round(i64::from(num.post)).to_string()
            }
        };
        let digits = match digits.strip_prefix('-') {
            Some(d) => {
                sign = '-';
                d.to_string()
            }
            None => digits,
        };
        let pre_len = digits.find('.').unwrap_or(digits.len()) as i32;
        if pre_len < num.pre {
            out_pre_spaces = num.pre - pre_len;
            digits
        } else if pre_len > num.pre {
            let mut s = "#".repeat((num.pre + num.post + 1) as usize);
            s.replace_range(num.pre as usize..num.pre as usize + 1, ".");
            s
        } else {
            digits
        }
    };
    process(&nodes, &mut num, numstr.as_bytes(), out_pre_spaces, sign)
}

fn int_out_of_range() -> Error {
    Error::NumericValueOutOfRange("integer out of range".into())
}

/// `numeric_int4(round(n))`.
fn numeric_to_int4(n: &Numeric) -> Result<i32> {
    match n {
        Numeric::NaN => Err(Error::FeatureNotSupported(
            "cannot convert NaN to integer".into(),
        )),
        Numeric::Infinity | Numeric::NegInfinity => Err(Error::FeatureNotSupported(
            "cannot convert infinity to integer".into(),
        )),
        Numeric::Finite(_) => n
            .round(0)
            .to_i64()
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(int_out_of_range),
    }
}

/// C's `(int) x` on x86: out-of-range values become `INT_MIN`.
fn c_int(x: f64) -> i32 {
    if x.is_finite() && x >= f64::from(i32::MIN) && x <= f64::from(i32::MAX) {
        x as i32
    } else {
        i32::MIN
    }
}

/// `int_to_roman`: 15 `#` outside 1..3999.
fn roman(mut n: i32) -> String {
    if !(1..=3999).contains(&n) {
        return "#".repeat(15);
    }
    const TABLE: &[(i32, &str)] = &[
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in TABLE {
        while n >= *v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

/// `numeric_out_sci` for a special value: `None` for NaN and the infinities.
fn numeric_sci_special(n: &Numeric, post: i32) -> Option<String> {
    match n {
        Numeric::Finite(_) => Some(numeric_sci(n, post)),
        _ => None,
    }
}

/// `numeric_out_sci(n, post)`: `d.ddde±XX`, the mantissa rounded half away from zero.
fn numeric_sci(n: &Numeric, post: i32) -> String {
    let s = n.to_string();
    let (neg, s) = match s.strip_prefix('-') {
        Some(s) => (true, s),
        None => (false, s.as_str()),
    };
    let point = s.find('.').unwrap_or(s.len()) as i64;
    let all: String = s.chars().filter(|c| *c != '.').collect();
    let first = all.find(|c| c != '0');
    let post = post.max(0) as usize;
    let (mut digits, exp) = match first {
        None => (vec![0u8; post + 1], 0i64),
        Some(f) => {
            let d: Vec<u8> = all[f..].bytes().map(|b| b - b'0').collect();
            (d, point - 1 - f as i64)
        }
    };
    // round to post + 1 significant digits
    let keep = post + 1;
    if digits.len() > keep {
        let up = digits[keep] >= 5;
        digits.truncate(keep);
        if up {
            let mut i = keep;
            loop {
                if i == 0 {
                    // PostgreSQL keeps the exponent: 9.99 to one place is 10.0e+00
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
    }
    if digits.len() < keep {
        digits.resize(keep, 0);
    }
    let int_len = digits.len() - post;
    let mut out = String::new();
    if neg && first.is_some() {
        out.push('-');
    }
    out.extend(digits[..int_len].iter().map(|d| char::from(b'0' + d)));
    if post > 0 {
        out.push('.');
        out.extend(digits[int_len..].iter().map(|d| char::from(b'0' + d)));
    }
    let esign = if exp < 0 { '-' } else { '+' };
    out.push_str(&format!("e{esign}{:02}", exp.abs()));
    out
}

/// C's `%+.*e` with the `+` of a positive number dropped (the caller adds a space).
fn float_sci(f: f64, post: i32) -> String {
    let s = format!("{:.*e}", post.max(0) as usize, f);
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{esign}{:02}", exp.abs())
}

/// A float's digits as `float8_to_char` / `float4_to_char` make them: at most `dig`
/// significant digits (DBL_DIG / FLT_DIG), fewer fraction digits when the integer part is
/// long.
fn float_digits(f: f64, num: &mut Desc, dig: i32) -> String {
    let mut val = f;
    if num.is(MULTI) {
        val *= 10f64.powi(num.multi);
        num.pre += num.multi;
    }
    // PostgreSQL's own snprintf spells NaN and the infinities out.
    let special = |v: f64| -> Option<&'static str> {
        if v.is_nan() {
            Some("NaN")
        } else if v == f64::INFINITY {
            Some("Infinity")
        } else if v == f64::NEG_INFINITY {
            Some("-Infinity")
        } else {
            None
        }
    };
    let pre_len = match special(val.abs()) {
        Some(s) => s.len() as i32,
        None => format!("{:.0}", val.abs()).len() as i32,
    };
    if pre_len >= dig {
        num.post = 0;
    } else if pre_len + num.post > dig {
        num.post = dig - pre_len;
    }
    if let Some(s) = special(val) {
        return s.into();
    }
    format!("{:.*}", num.post.max(0) as usize, val)
}

/// The to_char direction of `NUM_processor`.
fn process(
    nodes: &[Node],
    num: &mut Desc,
    number: &[u8],
    out_pre_spaces: i32,
    sign: char,
) -> Result<String> {
    let mut p = Proc {
        num,
        number,
        number_p: 0,
        out: Vec::new(),
        sign,
        sign_wrote: false,
        num_in: false,
        num_curr: 0,
        num_count: 0,
        out_pre_spaces,
        last_relevant: None,
    };
    if p.num.zero_start > 0 {
        p.num.zero_start -= 1;
    }
    if p.num.is(EEEE) {
        return Ok(String::from_utf8_lossy(number).into_owned());
    }
    if p.num.is(ROMAN) {
        let fill = p.num.is(FILLMODE);
        *p.num = Desc::default();
        p.num.flag = ROMAN | if fill { FILLMODE } else { 0 };
        p.out_pre_spaces = 0;
        p.sign = '\0';
    }
    if p.num.is(PLUS) || p.num.is(MINUS) {
        p.sign_wrote = !p.num.is(PLUS) || p.num.is(MINUS);
    } else {
        if p.sign != '-' && p.num.is(FILLMODE) {
            p.num.flag &= !BRACKET;
        }
        p.sign_wrote = p.sign == '+' && p.num.is(FILLMODE) && !p.num.is(LSIGN);
        if p.num.lsign == LSign::Pre && p.num.pre == p.num.pre_lsign_num {
            p.num.lsign = LSign::Post;
        }
    }
    p.num_count = p.num.post + p.num.pre - 1;
    if p.num.is(FILLMODE) && p.num.is(DECIMAL) {
        p.last_relevant = last_relevant_decnum(number);
        if let Some(lr) = p.last_relevant
            && p.num.zero_end > p.out_pre_spaces
        {
            let last_zero = (number.len() as i32 - 1).min(p.num.zero_end - p.out_pre_spaces);
            if last_zero >= 0 && (lr as i32) < last_zero {
                p.last_relevant = Some(last_zero as usize);
            }
        }
    }
    if !p.sign_wrote && p.out_pre_spaces == 0 {
        p.num_count += 1;
    }
    let fill = p.num.is(FILLMODE);
    for node in nodes {
        match node {
            Node::Char(c) => {
                let mut b = [0u8; 4];
                p.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
            Node::Action(kw) => match kw {
                Kw::Nine | Kw::Zero | Kw::Dec | Kw::D => p.numpart(*kw),
                Kw::Comma | Kw::G => {
                    if p.num_in {
                        p.out.push(b',');
                    } else if !fill {
                        p.out.push(b' ');
                    }
                }
                Kw::L => p.out.push(b' '),
                Kw::Rn | Kw::RnLower => {
                    let mut r = String::from_utf8_lossy(&p.number[p.number_p..]).into_owned();
                    if *kw == Kw::RnLower {
                        r = r.to_ascii_lowercase();
                    }
                    let r = if fill { r } else { format!("{r:>15}") };
                    p.out.extend_from_slice(r.as_bytes());
                }
                Kw::Th | Kw::ThLower => {
                    if p.num.is(ROMAN)
                        || p.number.first() == Some(&b'#')
                        || p.sign == '-'
                        || p.num.is(DECIMAL)
                    {
                        continue;
                    }
                    let th = ordinal_suffix(p.number)?;
                    let th = if *kw == Kw::Th {
                        th.to_ascii_uppercase()
                    } else {
                        th.to_string()
                    };
                    p.out.extend_from_slice(th.as_bytes());
                }
                Kw::Mi => {
                    if p.sign == '-' {
                        p.out.push(b'-');
                    } else if !fill {
                        p.out.push(b' ');
                    }
                }
                Kw::Pl => {
                    if p.sign == '+' {
                        p.out.push(b'+');
                    } else if !fill {
                        p.out.push(b' ');
                    }
                }
                Kw::Sg => {
                    if p.sign != '\0' {
                        p.out.push(p.sign as u8);
                    } else {
                        p.out.push(0);
                    }
                }
                _ => {}
            },
        }
    }
    let end = p.out.iter().position(|b| *b == 0).unwrap_or(p.out.len());
    Ok(String::from_utf8_lossy(&p.out[..end]).into_owned())
}

/// `get_th`: the English ordinal suffix of the number string's last digit (a teen's is
/// `th`); a string not ending in a digit (`.` when the template has no digit position) is
/// 22P02, as in PostgreSQL.
fn ordinal_suffix(number: &[u8]) -> Result<&'static str> {
    let Some(&last) = number.last().filter(|c| c.is_ascii_digit()) else {
        return Err(Error::InvalidTextRepresentation(format!(
            "\"{}\" is not a number",
            String::from_utf8_lossy(number)
        )));
    };
    let tens = number.len() > 1 && number[number.len() - 2] == b'1';
    Ok(match last {
        b'1' if !tens => "st",
        b'2' if !tens => "nd",
        b'3' if !tens => "rd",
        _ => "th",
    })
}

/// The position of the last non-zero digit after the point (or of the point).
fn last_relevant_decnum(number: &[u8]) -> Option<usize> {
    let point = number.iter().position(|b| *b == b'.')?;
    let mut result = point;
    for (i, b) in number.iter().enumerate().skip(point + 1) {
        if *b != b'0' {
            result = i;
        }
    }
    Some(result)
}

struct Proc<'a> {
    num: &'a mut Desc,
    number: &'a [u8],
    number_p: usize,
    out: Vec<u8>,
    sign: char,
    sign_wrote: bool,
    num_in: bool,
    num_curr: i32,
    num_count: i32,
    out_pre_spaces: i32,
    last_relevant: Option<usize>,
}

impl Proc<'_> {
    fn cur(&self) -> u8 {
        self.number.get(self.number_p).copied().unwrap_or(0)
    }

    /// `IS_PREDEC_SPACE`: a lone leading `0` before the point that prints as a space.
    fn predec_space(&self) -> bool {
        !self.num.is(ZERO)
            && self.number_p == 0
            && self.number.first() == Some(&b'0')
            && self.num.post != 0
    }

    fn last_relevant_is_point(&self) -> bool {
        self.last_relevant
            .is_some_and(|i| self.number.get(i) == Some(&b'.'))
    }

    /// `NUM_numpart_to_char`.
    fn numpart(&mut self, id: Kw) {
        if self.num.is(ROMAN) {
            return;
        }
        self.num_in = false;
        if !self.sign_wrote
            && (self.num_curr >= self.out_pre_spaces
                || (self.num.is(ZERO) && self.num.zero_start == self.num_curr))
            && (!self.predec_space() || self.last_relevant_is_point())
        {
            if self.num.is(LSIGN) {
                if self.num.lsign == LSign::Pre {
                    self.out.push(if self.sign == '-' { b'-' } else { b'+' });
                    self.sign_wrote = true;
                }
            } else if self.num.is(BRACKET) {
                self.out.push(if self.sign == '+' { b' ' } else { b'<' });
                self.sign_wrote = true;
            } else if self.sign == '+' {
                if !self.num.is(FILLMODE) {
                    self.out.push(b' ');
                }
                self.sign_wrote = true;
            } else if self.sign == '-' {
                self.out.push(b'-');
                self.sign_wrote = true;
            }
        }
        if self.num_curr < self.out_pre_spaces
            && (self.num.zero_start > self.num_curr || !self.num.is(ZERO))
        {
            if !self.num.is(FILLMODE) {
                self.out.push(b' ');
            }
        } else if self.num.is(ZERO)
            && self.num_curr < self.out_pre_spaces
            && self.num.zero_start <= self.num_curr
        {
            self.out.push(b'0');
            self.num_in = true;
        } else {
            if self.cur() == b'.' {
                if !self.last_relevant_is_point() || self.num.is(FILLMODE) {
                    self.out.push(b'.');
                }
            } else if self.last_relevant.is_some_and(|lr| self.number_p > lr) && id != Kw::Zero {
            } else if self.predec_space() {
                if !self.num.is(FILLMODE) {
                    self.out.push(b' ');
                } else if self.last_relevant_is_point() {
                    self.out.push(b'0');
                }
            } else {
                self.out.push(self.cur());
                self.num_in = true;
            }
            if self.cur() != 0 {
                self.number_p += 1;
            }
        }
        let mut end =
            self.num_count + i32::from(self.out_pre_spaces != 0) + i32::from(self.num.is(DECIMAL));
        if self.last_relevant.is_some_and(|lr| lr == self.number_p) {
            end = self.num_curr;
        }
        if self.num_curr + 1 == end {
            if self.sign_wrote && self.num.is(BRACKET) {
                self.out.push(if self.sign == '+' { b' ' } else { b'>' });
            } else if self.num.is(LSIGN) && self.num.lsign == LSign::Post {
                self.out.push(if self.sign == '-' { b'-' } else { b'+' });
            }
        }
        self.num_curr += 1;
    }
}
