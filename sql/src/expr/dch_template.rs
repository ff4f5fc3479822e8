//! A date/time template as PostgreSQL's `parse_format` reads it for `to_timestamp` and
//! `to_date` (`formatting.c`, `DCH_keywords` / `DCH_suff`): a list of [`Node`]s —
//!
//! * an action: a keyword (`YYYY`, `Mon`, `HH24`, `FX`, …, matched case-sensitively, first
//!   match in table order, so `HH24` wins over `HH`) with its modifiers: one prefix
//!   (`FM`/`fm`, `TM`/`tm`) and one suffix (`TH`, `th`, `SP`);
//! * a separator: one ASCII printable character that is not a letter or a digit;
//! * a space: a whitespace character;
//! * a character: anything else, and every character of `"quoted text"` (where `\` quotes
//!   the next character). Outside quotes a backslash is only special before a `"`.
//!
//! Each keyword carries what the reader needs: whether it reads digits (so a field before
//! it must be read at its fixed width — [`is_next_separator`]) and which date convention it
//! belongs to (Gregorian or ISO week), which must not be mixed.

/// A keyword's meaning for the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dch {
    ADots,
    AMDots,
    Ad,
    Am,
    Cc,
    DayFull,
    Ddd,
    Dd,
    DayShort,
    D,
    Ff(u8),
    Fx,
    Hh24,
    Hh12,
    Iddd,
    Id,
    Iw,
    IsoYear(u8),
    J,
    Mi,
    Mm,
    MonthFull,
    MonthShort,
    Ms,
    Of,
    Q,
    Rm,
    Ssss,
    Ss,
    Tzh,
    Tzm,
    Tz,
    Us,
    Ww,
    W,
    YearComma,
    Year(u8),
}

/// The date convention a keyword belongs to (`FromCharDateMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Mode {
    #[default]
    None,
    Gregorian,
    IsoWeek,
}

/// One entry of the keyword table.
#[derive(Debug)]
pub(super) struct KeyWord {
    /// The spelling, as error messages show it.
    pub name: &'static str,
    pub id: Dch,
    /// Whether the field reads digits.
    pub is_digit: bool,
    pub mode: Mode,
}

const fn kw(name: &'static str, id: Dch, is_digit: bool, mode: Mode) -> KeyWord {
    KeyWord {
        name,
        id,
        is_digit,
        mode,
    }
}

use Dch::*;
use Mode::{Gregorian as G, IsoWeek as I, None as N};

/// PostgreSQL's `DCH_keywords`, in its order (the first keyword that prefixes the template
/// wins).
static KEYWORDS: &[KeyWord] = &[
    kw("A.D.", ADots, false, N),
    kw("A.M.", AMDots, false, N),
    kw("AD", Ad, false, N),
    kw("AM", Am, false, N),
    kw("B.C.", ADots, false, N),
    kw("BC", Ad, false, N),
    kw("CC", Cc, true, N),
    kw("DAY", DayFull, false, N),
    kw("DDD", Ddd, true, G),
    kw("DD", Dd, true, G),
    kw("DY", DayShort, false, N),
    kw("Day", DayFull, false, N),
    kw("Dy", DayShort, false, N),
    kw("D", D, true, G),
    kw("FF1", Ff(1), true, N),
    kw("FF2", Ff(2), true, N),
    kw("FF3", Ff(3), true, N),
    kw("FF4", Ff(4), true, N),
    kw("FF5", Ff(5), true, N),
    kw("FF6", Ff(6), true, N),
    kw("FX", Fx, false, N),
    kw("HH24", Hh24, true, N),
    kw("HH12", Hh12, true, N),
    kw("HH", Hh12, true, N),
    kw("IDDD", Iddd, true, I),
    kw("ID", Id, true, I),
    kw("IW", Iw, true, I),
    kw("IYYY", IsoYear(4), true, I),
    kw("IYY", IsoYear(3), true, I),
    kw("IY", IsoYear(2), true, I),
    kw("I", IsoYear(1), true, I),
    kw("J", J, true, N),
    kw("MI", Mi, true, N),
    kw("MM", Mm, true, G),
    kw("MONTH", MonthFull, false, G),
    kw("MON", MonthShort, false, G),
    kw("MS", Ms, true, N),
    kw("Month", MonthFull, false, G),
    kw("Mon", MonthShort, false, G),
    kw("OF", Of, false, N),
    kw("P.M.", AMDots, false, N),
    kw("PM", Am, false, N),
    kw("Q", Q, true, N),
    kw("RM", Rm, false, G),
    kw("SSSSS", Ssss, true, N),
    kw("SSSS", Ssss, true, N),
    kw("SS", Ss, true, N),
    kw("TZH", Tzh, false, N),
    kw("TZM", Tzm, true, N),
    kw("TZ", Tz, false, N),
    kw("US", Us, true, N),
    kw("WW", Ww, true, G),
    kw("W", W, true, G),
    kw("Y,YYY", YearComma, true, G),
    kw("YYYY", Year(4), true, G),
    kw("YYY", Year(3), true, G),
    kw("YY", Year(2), true, G),
    kw("Y", Year(1), true, G),
    kw("a.d.", ADots, false, N),
    kw("a.m.", AMDots, false, N),
    kw("ad", Ad, false, N),
    kw("am", Am, false, N),
    kw("b.c.", ADots, false, N),
    kw("bc", Ad, false, N),
    kw("cc", Cc, true, N),
    kw("day", DayFull, false, N),
    kw("ddd", Ddd, true, G),
    kw("dd", Dd, true, G),
    kw("dy", DayShort, false, N),
    kw("d", D, true, G),
    kw("ff1", Ff(1), true, N),
    kw("ff2", Ff(2), true, N),
    kw("ff3", Ff(3), true, N),
    kw("ff4", Ff(4), true, N),
    kw("ff5", Ff(5), true, N),
    kw("ff6", Ff(6), true, N),
    kw("fx", Fx, false, N),
    kw("hh24", Hh24, true, N),
    kw("hh12", Hh12, true, N),
    kw("hh", Hh12, true, N),
    kw("iddd", Iddd, true, I),
    kw("id", Id, true, I),
    kw("iw", Iw, true, I),
    kw("iyyy", IsoYear(4), true, I),
    kw("iyy", IsoYear(3), true, I),
    kw("iy", IsoYear(2), true, I),
    kw("i", IsoYear(1), true, I),
    kw("j", J, true, N),
    kw("mi", Mi, true, N),
    kw("mm", Mm, true, G),
    kw("month", MonthFull, false, G),
    kw("mon", MonthShort, false, G),
    kw("ms", Ms, true, N),
    kw("of", Of, false, N),
    kw("p.m.", AMDots, false, N),
    kw("pm", Am, false, N),
    kw("q", Q, true, N),
    kw("rm", Rm, false, G),
    kw("sssss", Ssss, true, N),
    kw("ssss", Ssss, true, N),
    kw("ss", Ss, true, N),
    kw("tzh", Tzh, false, N),
    kw("tzm", Tzm, true, N),
    kw("tz", Tz, false, N),
    kw("us", Us, true, N),
    kw("ww", Ww, true, G),
    kw("w", W, true, G),
    kw("y,yyy", YearComma, true, G),
    kw("yyyy", Year(4), true, G),
    kw("yyy", Year(3), true, G),
    kw("yy", Year(2), true, G),
    kw("y", Year(1), true, G),
];

/// Modifier bits of an action node.
pub(super) const FM: u8 = 1;
pub(super) const TM: u8 = 2;
pub(super) const TH_UPPER: u8 = 4;
pub(super) const TH_LOWER: u8 = 8;
pub(super) const SP: u8 = 16;

/// One element of a parsed template.
#[derive(Debug)]
pub(super) enum Node {
    Action {
        key: &'static KeyWord,
        suffix: u8,
    },
    /// A literal character (its UTF-8 bytes): the reader skips one input character for it.
    Char(String),
    Separator(u8),
    Space(u8),
}

impl Node {
    /// Whether this node has a `TH`/`th` suffix.
    pub(super) fn has_th(&self) -> bool {
        matches!(self, Node::Action { suffix, .. } if suffix & (TH_UPPER | TH_LOWER) != 0)
    }
}

/// PostgreSQL's `is_separator_char`: ASCII printable, not a letter or digit.
pub(super) fn is_separator_char(c: u8) -> bool {
    c > 0x20 && c < 0x7F && !c.is_ascii_alphanumeric()
}

/// C's `isspace` in the C locale.
pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// The byte length of the UTF-8 character starting with `lead` (PostgreSQL's `pg_mblen`).
pub(super) fn mblen(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn prefix_suffix(s: &[u8]) -> Option<u8> {
    match s.get(..2)? {
        b"FM" | b"fm" => Some(FM),
        b"TM" | b"tm" => Some(TM),
        _ => None,
    }
}

fn postfix_suffix(s: &[u8]) -> Option<u8> {
    match s.get(..2)? {
        b"TH" => Some(TH_UPPER),
        b"th" => Some(TH_LOWER),
        b"SP" => Some(SP),
        _ => None,
    }
}

/// Reads `fmt` into nodes (see the module docs).
pub(super) fn parse(fmt: &str) -> Vec<Node> {
    let s = fmt.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let mut suffix = 0;
        if let Some(p) = prefix_suffix(&s[i..]) {
            suffix |= p;
            i += 2;
        }
        if i < s.len()
            && let Some(key) = KEYWORDS
                .iter()
                .find(|k| s[i..].starts_with(k.name.as_bytes()))
        {
            i += key.name.len();
            if let Some(p) = postfix_suffix(&s[i..]) {
                suffix |= p;
                i += 2;
            }
            out.push(Node::Action { key, suffix });
            continue;
        }
        if i >= s.len() {
            break;
        }
        if s[i] == b'"' {
            i += 1;
            while i < s.len() {
                if s[i] == b'"' {
                    i += 1;
                    break;
                }
                if s[i] == b'\\' && i + 1 < s.len() {
                    i += 1;
                }
                let len = mblen(s[i]).min(s.len() - i);
                out.push(Node::Char(
                    String::from_utf8_lossy(&s[i..i + len]).into_owned(),
                ));
                i += len;
            }
            continue;
        }
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'"') {
            i += 1;
        }
        let c = s[i];
        let len = mblen(c).min(s.len() - i);
        out.push(if is_separator_char(c) {
            Node::Separator(c)
        } else if is_space(c) {
            Node::Space(c)
        } else {
            Node::Char(String::from_utf8_lossy(&s[i..i + len]).into_owned())
        });
        i += len;
    }
    out
}

/// PostgreSQL's `is_next_separator`: whether the field at `nodes[at]` may read as many
/// digits as it finds — it has a `TH` suffix, or the template ends after it, or what follows
/// is not a digit-reading field or a literal digit.
pub(super) fn is_next_separator(nodes: &[Node], at: usize) -> bool {
    if nodes[at].has_th() {
        return true;
    }
    match nodes.get(at + 1) {
        None => true,
        Some(Node::Action { key, .. }) => !key.is_digit,
        Some(Node::Char(c)) => !(c.len() == 1 && c.as_bytes()[0].is_ascii_digit()),
        Some(_) => true,
    }
}
