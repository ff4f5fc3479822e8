//! Reading an input string against a parsed date/time template ([`super::dch_template`]):
//! a port of PostgreSQL 15's `DCH_from_char` and its helpers (`from_char_parse_int_len`,
//! `from_char_seq_search`, `from_char_set_int`, `from_char_set_mode`), so `to_timestamp`
//! and `to_date` skip, read and reject input exactly as PostgreSQL does:
//!
//! * outside `FX` mode, spaces at the start and before every field are skipped, a template
//!   space or separator matches one input space or separator (or nothing), and a template
//!   character skips one input character unless spaces were skipped in excess before it;
//!   in `FX` mode each template space, separator or character consumes exactly one input
//!   character;
//! * a number field reads as many digits as it finds (`strtol`, sign included) when it has
//!   `FM` or what follows it is not a digit field; otherwise exactly its width, and fewer
//!   characters left is "source string too short";
//! * names (months, days, `AM`, `BC`, roman months) match case-insensitively by prefix;
//! * a field given twice with different values is "conflicting values"; Gregorian and ISO
//!   week fields together are "invalid combination of date conventions".
//!
//! The input is read as bytes, as C reads it; the result is PostgreSQL's `TmFromChar`, which
//! [`super::to_timestamp`] turns into a date or timestamp.

use super::dch_template::{
    Dch, FM, KeyWord, Mode, Node, is_next_separator, is_separator_char, is_space, mblen,
};
use crate::types::datetime::format::{
    DAY_NAMES as DAYS_SHORT, DAY_NAMES_FULL as DAYS, MONTH_NAMES as MONTHS,
    MONTH_NAMES_FULL as MONTHS_FULL,
};
use crate::{Error, Result};

/// The fields read so far (PostgreSQL's `TmFromChar`); 0 means "not given".
#[derive(Debug, Default)]
pub(super) struct TmFromChar {
    pub mode: Mode,
    pub hh: i32,
    pub pm: i32,
    pub mi: i32,
    pub ss: i32,
    pub ssss: i32,
    /// Day of the week, 1 = Sunday.
    pub d: i32,
    pub dd: i32,
    pub ddd: i32,
    pub mm: i32,
    pub ms: i32,
    pub year: i32,
    pub bc: i32,
    pub ww: i32,
    pub w: i32,
    pub cc: i32,
    pub j: i32,
    pub us: i32,
    /// The digits of the year pattern (`YY` is 2).
    pub yysz: i32,
    pub clock_12: bool,
    pub tzsign: i32,
    pub tzh: i32,
    pub tzm: i32,
    /// `FFn`'s n.
    pub ff: i32,
}

const AMPM: [&str; 4] = ["am", "pm", "AM", "PM"];
const AMPM_LONG: [&str; 4] = ["a.m.", "p.m.", "A.M.", "P.M."];
const ADBC: [&str; 4] = ["ad", "bc", "AD", "BC"];
const ADBC_LONG: [&str; 4] = ["a.d.", "b.c.", "A.D.", "B.C."];
/// Roman months, December first (`rm_months_lower`).
const RM_MONTHS: [&str; 12] = [
    "xii", "xi", "x", "ix", "viii", "vii", "vi", "v", "iv", "iii", "ii", "i",
];

fn invalid_format(message: String) -> Error {
    Error::InvalidDatetimeFormat(message)
}

fn with_hint(error: Error, hint: &str) -> Error {
    Error::WithHint {
        error: Box::new(error),
        hint: hint.into(),
    }
}

const FM_HINT: &str = "If your source string is not fixed-width, try using the \"FM\" modifier.";

/// The input being read: bytes, with C's NUL past the end.
struct Input<'a> {
    s: &'a [u8],
}

impl Input<'_> {
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    /// Up to `n` bytes from `i`, as text for a message.
    fn text(&self, i: usize, n: usize) -> String {
        let end = (i + n).min(self.s.len());
        String::from_utf8_lossy(&self.s[i.min(end)..end]).into_owned()
    }

    /// The length of the character at `i` (0 at the end).
    fn char_len(&self, i: usize) -> usize {
        if i >= self.s.len() {
            0
        } else {
            mblen(self.s[i]).min(self.s.len() - i)
        }
    }
}

/// C's `strtol(s + i, &end, 10)` over `s[..limit]`: the value (saturated), where it stopped
/// (`i` when no digits), and whether it overflowed.
fn strtol(s: &[u8], i: usize, limit: usize) -> (i64, usize, bool) {
    let limit = limit.min(s.len());
    let mut p = i;
    while p < limit && is_space(s[p]) {
        p += 1;
    }
    let mut negative = false;
    if p < limit && (s[p] == b'+' || s[p] == b'-') {
        negative = s[p] == b'-';
        p += 1;
    }
    let start = p;
    let mut value: i64 = 0;
    let mut overflow = false;
    while p < limit && s[p].is_ascii_digit() {
        let d = i64::from(s[p] - b'0');
        match value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(d)
            } else {
                v.checked_add(d)
            }
        }) {
            Some(v) => value = v,
            None => {
                overflow = true;
                value = if negative { i64::MIN } else { i64::MAX };
            }
        }
        p += 1;
    }
    if p == start {
        return (0, i, false);
    }
    (value, p, overflow)
}

/// `from_char_set_int`: a field may be given again only with the same value.
fn set_int(dest: &mut i32, value: i32, key: &KeyWord) -> Result<()> {
    if *dest != 0 && *dest != value {
        return Err(invalid_format(format!(
            "conflicting values for \"{}\" field in formatting string",
            key.name
        )));
    }
    *dest = value;
    Ok(())
}

fn set_mode(tmfc: &mut TmFromChar, mode: Mode) -> Result<()> {
    if mode != Mode::None {
        if tmfc.mode == Mode::None {
            tmfc.mode = mode;
        } else if tmfc.mode != mode {
            return Err(with_hint(
                invalid_format("invalid combination of date conventions".into()),
                "Do not mix Gregorian and ISO week date conventions in a formatting template.",
            ));
        }
    }
    Ok(())
}

struct Reader<'a> {
    input: Input<'a>,
    nodes: &'a [Node],
}

impl Reader<'_> {
    /// `from_char_parse_int_len`: reads an integer at `*pos` for the field `nodes[at]` of
    /// width `len`; stores it in `dest` (when given) and returns the characters used.
    fn parse_int_len(
        &self,
        dest: Option<&mut i32>,
        pos: &mut usize,
        len: usize,
        at: usize,
    ) -> Result<usize> {
        let Node::Action { key, suffix } = &self.nodes[at] else {
            return Ok(0);
        };
        let s = self.input.s;
        let init = *pos;
        while *pos < s.len() && is_space(s[*pos]) {
            *pos += 1;
        }
        let copy = self.input.text(*pos, len);
        let remaining = s.len() - *pos;
        let (result, overflow);
        if suffix & FM != 0 || is_next_separator(self.nodes, at) {
            let (v, end, o) = strtol(s, init, s.len());
            (result, overflow) = (v, o);
            *pos = end;
        } else {
            if remaining < len {
                return Err(with_hint(
                    invalid_format(format!(
                        "source string too short for \"{}\" formatting field",
                        key.name
                    )),
                    FM_HINT,
                ));
            }
            let (v, end, o) = strtol(s, *pos, *pos + len);
            (result, overflow) = (v, o);
            let used = end - *pos;
            if used > 0 && used < len {
                return Err(with_hint(
                    invalid_format(format!("invalid value \"{copy}\" for \"{}\"", key.name)),
                    FM_HINT,
                ));
            }
            *pos += used;
        }
        if *pos == init {
            return Err(invalid_format(format!(
                "invalid value \"{copy}\" for \"{}\"",
                key.name
            )));
        }
        let value = match i32::try_from(result) {
            Ok(v) if !overflow => v,
            _ => {
                return Err(Error::DatetimeFieldOverflow(format!(
                    "value for \"{}\" in source string is out of range",
                    key.name
                )));
            }
        };
        if let Some(dest) = dest {
            set_int(dest, value, key)?;
        }
        Ok(*pos - init)
    }

    /// `from_char_parse_int`: the field's width is its keyword's length.
    fn parse_int(&self, dest: Option<&mut i32>, pos: &mut usize, at: usize) -> Result<usize> {
        let len = match &self.nodes[at] {
            Node::Action { key, .. } => key.name.len(),
            _ => 0,
        };
        self.parse_int_len(dest, pos, len, at)
    }

    /// `from_char_seq_search`: the index of the first of `words` that prefixes the input
    /// (ignoring ASCII case); the input moves past it.
    fn seq_search(&self, pos: &mut usize, words: &[&str], key: &KeyWord) -> Result<i32> {
        let rest = &self.input.s[(*pos).min(self.input.s.len())..];
        let found = words.iter().position(|w| {
            let w = w.as_bytes();
            rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w)
        });
        match found {
            Some(k) => {
                *pos += words[k].len();
                Ok(k as i32)
            }
            None => {
                let end = rest
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0C))
                    .unwrap_or(rest.len());
                Err(invalid_format(format!(
                    "invalid value \"{}\" for \"{}\"",
                    String::from_utf8_lossy(&rest[..end]),
                    key.name
                )))
            }
        }
    }

    /// `SKIP_THth`: after a field with `TH`/`th`, two characters are skipped.
    fn skip_th(&self, pos: &mut usize, at: usize) {
        if self.nodes[at].has_th() {
            for _ in 0..2 {
                *pos += self.input.char_len(*pos);
            }
        }
    }
}

/// `sscanf(s, "%d,%03d%n")` for `Y,YYY`: the thousands, the rest, and where it stopped.
fn scan_year_comma(s: &[u8], i: usize) -> Option<(i64, i64, usize)> {
    let (millennia, end, _) = strtol(s, i, s.len());
    if end == i || s.get(end) != Some(&b',') {
        return None;
    }
    let mut p = end + 1;
    while p < s.len() && is_space(s[p]) {
        p += 1;
    }
    let (years, end, _) = strtol(s, p, (p + 3).min(s.len()));
    if end == p {
        return None;
    }
    Some((millennia, years, end))
}

/// `adjust_partial_year_to_2020`: two- and three-digit years go to the nearest century.
fn adjust_partial_year(year: i32) -> i32 {
    match year {
        ..70 => year + 2000,
        70..100 => year + 1900,
        100..520 => year + 2000,
        520..1000 => year + 1000,
        _ => year,
    }
}

/// `DCH_from_char`: reads `input` as `nodes` describe it.
pub(super) fn from_char(nodes: &[Node], input: &str) -> Result<TmFromChar> {
    let r = Reader {
        input: Input {
            s: input.as_bytes(),
        },
        nodes,
    };
    let s = r.input.s;
    let mut out = TmFromChar::default();
    let mut fx_mode = false;
    // characters skipped beyond what the template asked for
    let mut extra_skip: i32 = 0;
    let mut pos = 0usize;
    for (at, node) in nodes.iter().enumerate() {
        if pos >= s.len() {
            break;
        }
        let is_action = matches!(node, Node::Action { .. });
        let is_fx = matches!(node, Node::Action { key, .. } if key.id == Dch::Fx);
        if !fx_mode && !is_fx && (is_action || at == 0) {
            while pos < s.len() && is_space(s[pos]) {
                pos += 1;
                extra_skip += 1;
            }
        }
        let key = match node {
            Node::Space(_) | Node::Separator(_) => {
                if !fx_mode {
                    extra_skip -= 1;
                    let c = r.input.at(pos);
                    if is_space(c) || is_separator_char(c) {
                        pos += 1;
                        extra_skip += 1;
                    }
                } else {
                    pos += r.input.char_len(pos);
                }
                continue;
            }
            Node::Char(_) => {
                if !fx_mode && extra_skip > 0 {
                    extra_skip -= 1;
                } else {
                    pos += r.input.char_len(pos);
                }
                continue;
            }
            Node::Action { key, .. } => *key,
        };
        set_mode(&mut out, key.mode)?;
        match key.id {
            Dch::Fx => fx_mode = true,
            Dch::AMDots | Dch::Am => {
                let words: &[&str] = if key.id == Dch::AMDots {
                    &AMPM_LONG
                } else {
                    &AMPM
                };
                let value = r.seq_search(&mut pos, words, key)?;
                set_int(&mut out.pm, value % 2, key)?;
                out.clock_12 = true;
            }
            Dch::Hh12 => {
                r.parse_int_len(Some(&mut out.hh), &mut pos, 2, at)?;
                out.clock_12 = true;
                r.skip_th(&mut pos, at);
            }
            Dch::Hh24 => {
                r.parse_int_len(Some(&mut out.hh), &mut pos, 2, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Mi => {
                r.parse_int(Some(&mut out.mi), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Ss => {
                r.parse_int(Some(&mut out.ss), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Ms => {
                let len = r.parse_int_len(Some(&mut out.ms), &mut pos, 3, at)?;
                // 25 is 0.25 and 250 is 0.25 too; 025 is 0.025
                out.ms = out.ms.wrapping_mul(match len {
                    1 => 100,
                    2 => 10,
                    _ => 1,
                });
                r.skip_th(&mut pos, at);
            }
            Dch::Ff(_) | Dch::Us => {
                let width = match key.id {
                    Dch::Ff(n) => {
                        out.ff = i32::from(n);
                        usize::from(n)
                    }
                    _ => 6,
                };
                let len = r.parse_int_len(Some(&mut out.us), &mut pos, width, at)?;
                out.us = out.us.wrapping_mul(match len {
                    1 => 100_000,
                    2 => 10_000,
                    3 => 1000,
                    4 => 100,
                    5 => 10,
                    _ => 1,
                });
                r.skip_th(&mut pos, at);
            }
            Dch::Ssss => {
                r.parse_int(Some(&mut out.ssss), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Tz | Dch::Of => {
                return Err(Error::unsupported(format!(
                    "formatting field \"{}\" is only supported in to_char",
                    key.name
                )));
            }
            Dch::Tzh => {
                // A minus skipped as a separator just before is TZH's sign.
                let c = r.input.at(pos);
                if c == b'+' || c == b'-' || c == b' ' {
                    out.tzsign = if c == b'-' { -1 } else { 1 };
                    pos += 1;
                } else if extra_skip > 0 && pos > 0 && s[pos - 1] == b'-' {
                    out.tzsign = -1;
                } else {
                    out.tzsign = 1;
                }
                r.parse_int_len(Some(&mut out.tzh), &mut pos, 2, at)?;
            }
            Dch::Tzm => {
                if out.tzsign == 0 {
                    out.tzsign = 1;
                }
                r.parse_int_len(Some(&mut out.tzm), &mut pos, 2, at)?;
            }
            Dch::ADots | Dch::Ad => {
                let words: &[&str] = if key.id == Dch::ADots {
                    &ADBC_LONG
                } else {
                    &ADBC
                };
                let value = r.seq_search(&mut pos, words, key)?;
                set_int(&mut out.bc, value % 2, key)?;
            }
            Dch::MonthFull | Dch::MonthShort => {
                let words: &[&str] = if key.id == Dch::MonthFull {
                    &MONTHS_FULL
                } else {
                    &MONTHS
                };
                let value = r.seq_search(&mut pos, words, key)?;
                set_int(&mut out.mm, value + 1, key)?;
            }
            Dch::Mm => {
                r.parse_int(Some(&mut out.mm), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::DayFull | Dch::DayShort => {
                let words: &[&str] = if key.id == Dch::DayFull {
                    &DAYS
                } else {
                    &DAYS_SHORT
                };
                let value = r.seq_search(&mut pos, words, key)?;
                set_int(&mut out.d, value, key)?;
                out.d += 1;
            }
            Dch::Ddd => {
                r.parse_int(Some(&mut out.ddd), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Iddd => {
                r.parse_int_len(Some(&mut out.ddd), &mut pos, 3, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Dd => {
                r.parse_int(Some(&mut out.dd), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::D => {
                r.parse_int(Some(&mut out.d), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Id => {
                r.parse_int_len(Some(&mut out.d), &mut pos, 1, at)?;
                // ISO Monday = 1 becomes Gregorian Sunday = 1 numbering
                out.d = out.d.wrapping_add(1);
                if out.d > 7 {
                    out.d = 1;
                }
                r.skip_th(&mut pos, at);
            }
            Dch::Ww | Dch::Iw => {
                r.parse_int(Some(&mut out.ww), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Q => {
                // read and ignored: which day of the quarter would it be?
                r.parse_int(None, &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::Cc => {
                r.parse_int(Some(&mut out.cc), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::YearComma => {
                let Some((millennia, years, end)) = scan_year_comma(s, pos) else {
                    return Err(invalid_format("invalid input string for \"Y,YYY\"".into()));
                };
                let years = years.wrapping_add(millennia.wrapping_mul(1000)) as i32;
                set_int(&mut out.year, years, key)?;
                out.yysz = 4;
                pos = end;
                r.skip_th(&mut pos, at);
            }
            Dch::Year(4) | Dch::IsoYear(4) => {
                r.parse_int(Some(&mut out.year), &mut pos, at)?;
                out.yysz = 4;
                r.skip_th(&mut pos, at);
            }
            Dch::Year(n) | Dch::IsoYear(n) => {
                let len = r.parse_int(Some(&mut out.year), &mut pos, at)?;
                if len < 4 {
                    out.year = adjust_partial_year(out.year);
                }
                out.yysz = i32::from(n);
                r.skip_th(&mut pos, at);
            }
            Dch::Rm => {
                let value = r.seq_search(&mut pos, &RM_MONTHS, key)?;
                set_int(&mut out.mm, 12 - value, key)?;
            }
            Dch::W => {
                r.parse_int(Some(&mut out.w), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
            Dch::J => {
                r.parse_int(Some(&mut out.j), &mut pos, at)?;
                r.skip_th(&mut pos, at);
            }
        }
        // spaces after a field are skipped
        if !fx_mode {
            extra_skip = 0;
            while pos < s.len() && is_space(s[pos]) {
                pos += 1;
                extra_skip += 1;
            }
        }
    }
    Ok(out)
}
