//! `tsvector`: a sorted set of lexemes, each with an optional list of positions and weights
//! (PostgreSQL's `tsvector.c`, `tsvector_parser.c`).
//!
//! * A [`TsVector`] holds its lexemes sorted by bytes (PostgreSQL's `tsCompareString`:
//!   `memcmp` of the common prefix, then the shorter first) and distinct. A lexeme's
//!   positions are PostgreSQL's `WordEntryPos`: the weight in the two high bits (3 = A,
//!   2 = B, 1 = C, 0 = D) and the position, 1..=16383, in the low 14; sorted by position,
//!   distinct, at most 256 ([`MAX_NUM_POS`]). A lexeme without positions (`'a'`) differs from
//!   one with (`'a':1`): `strip` removes them.
//! * Input ([`parse`]): `gettoken_tsvector`'s states — words are bare (`a`, `\'`-escaped) or
//!   quoted (`'a b'`, with `''` and `\x` inside), followed by `:` and a comma-separated
//!   position list (`1A,3,5b`; a position above 16383 is clamped, 0 is an error). Duplicate
//!   lexemes merge their positions (`uniqueentry`); a position given twice keeps the
//!   highest weight (`uniquePos`).
//! * Output ([`format`]): every lexeme quoted, `'` and `\` doubled, positions with their
//!   weight letter (D is not shown).
//! * Order ([`cmp`]): `tsvector_cmp` — the value's on-disk size first, then the number of
//!   lexemes, then lexeme by lexeme (positions present first, the lexeme's bytes, more
//!   positions first, then each position and weight, higher first). [`varsize`] computes
//!   PostgreSQL's `VARSIZE` of the value so the order matches.
//! * The binary format (`tsvectorsend`): lexeme count (i32), then per lexeme its bytes and a
//!   NUL, the position count (u16) and the raw positions (u16 each) — [`send`] / [`recv`].

use std::cmp::Ordering;

use crate::{Error, Result};

/// The highest position (`MAXENTRYPOS - 1`); larger positions are clamped to it.
pub const MAX_POS: u16 = 16383;
/// The most positions a lexeme keeps (`MAXNUMPOS`).
pub const MAX_NUM_POS: usize = 256;
/// The longest lexeme in bytes (`MAXSTRLEN` - 1).
pub const MAX_LEXEME: usize = 2047;

/// One lexeme and its positions. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lexeme {
    pub word: String,
    /// Raw `WordEntryPos` values, sorted by position.
    pub pos: Vec<u16>,
}

/// A `tsvector` value. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TsVector {
    pub lexemes: Vec<Lexeme>,
}

/// The position part of a `WordEntryPos`.
pub fn pos_of(p: u16) -> u16 {
    p & 0x3fff
}

/// The weight part of a `WordEntryPos` (3 = A ... 0 = D).
pub fn weight_of(p: u16) -> u16 {
    p >> 14
}

/// A `WordEntryPos` from a position (clamped to 1..=16383 by the caller) and a weight.
pub fn make_pos(pos: u16, weight: u16) -> u16 {
    (weight << 14) | (pos & 0x3fff)
}

/// `LIMITPOS`: a position clamped to the largest one.
pub fn limit_pos(p: i64) -> u16 {
    if p > i64::from(MAX_POS) {
        MAX_POS
    } else {
        p.max(0) as u16
    }
}

/// `uniquePos`: sorts positions, keeps one entry per position (the highest weight) and at
/// most [`MAX_NUM_POS`] of them, stopping at the largest position.
pub fn unique_pos(pos: &mut Vec<u16>) {
    if pos.len() <= 1 {
        return;
    }
    pos.sort_by_key(|p| pos_of(*p));
    let mut out: Vec<u16> = Vec::with_capacity(pos.len());
    for &p in pos.iter() {
        match out.last_mut() {
            Some(last) if pos_of(*last) == pos_of(p) => {
                if weight_of(p) > weight_of(*last) {
                    *last = make_pos(pos_of(*last), weight_of(p));
                }
            }
            _ => {
                out.push(p);
                if out.len() >= MAX_NUM_POS || pos_of(p) == MAX_POS {
                    break;
                }
            }
        }
    }
    *pos = out;
}

/// C's `isspace` on an ASCII character (multibyte characters are never spaces).
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// The lexeme order: bytes, the shorter first on a common prefix.
pub fn cmp_lexeme(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

impl TsVector {
    /// A tsvector from lexemes in any order, possibly repeated: sorted and merged as
    /// `tsvectorin` does.
    pub fn from_unsorted(mut lexemes: Vec<Lexeme>) -> TsVector {
        lexemes.sort_by(|a, b| cmp_lexeme(&a.word, &b.word));
        let mut out: Vec<Lexeme> = Vec::with_capacity(lexemes.len());
        for l in lexemes {
            match out.last_mut() {
                Some(last) if last.word == l.word => last.pos.extend(l.pos),
                _ => out.push(l),
            }
        }
        for l in &mut out {
            unique_pos(&mut l.pos);
        }
        TsVector { lexemes: out }
    }

    /// The index of `word`, if present.
    pub fn find(&self, word: &str) -> Option<usize> {
        self.lexemes
            .binary_search_by(|l| cmp_lexeme(&l.word, word))
            .ok()
    }
}

fn syntax_error(input: &str) -> Error {
    Error::SyntaxError(format!("syntax error in tsvector: \"{input}\""))
}

/// One token of `gettoken_tsvector`: the word and, for a tsvector, its positions.
pub(crate) struct Token {
    pub word: String,
    pub pos: Option<Vec<u16>>,
}

/// `gettoken_tsvector` from byte offset `at` of `s`. `query` selects the tsquery flavour
/// (`!&|()` delimit words, no position lists, errors say tsquery). Returns the token and
/// the offset after it, or `None` at the end of the input.
pub(crate) fn next_token(s: &str, at: usize, query: bool) -> Result<Option<(Token, usize)>> {
    #[derive(PartialEq, Clone, Copy)]
    enum St {
        WaitWord,
        EndWord,
        NextChar,
        EndCmplx,
        CharCmplx,
        WaitPosInfo,
        InPosInfo,
        WaitPosDelim,
    }
    let err = || {
        if query {
            Error::SyntaxError(format!("syntax error in tsquery: \"{s}\""))
        } else {
            syntax_error(s)
        }
    };
    let is_op = |c: char| query && matches!(c, '!' | '&' | '|' | '(' | ')' | '<');
    let bytes = s.as_bytes();
    let mut i = at;
    let mut st = St::WaitWord;
    let mut old = St::WaitWord;
    let mut word = String::new();
    let mut pos: Vec<u16> = Vec::new();
    let mut has_pos = false;
    loop {
        let c = s[i..].chars().next();
        match st {
            St::WaitWord => match c {
                None => return Ok(None),
                Some('\'') => st = St::EndCmplx,
                Some('\\') => {
                    st = St::NextChar;
                    old = St::EndWord;
                }
                Some(c) if is_op(c) => return Err(err()),
                Some(c) if !is_space(c) => {
                    word.push(c);
                    st = St::EndWord;
                }
                Some(_) => {}
            },
            St::NextChar => match c {
                None => {
                    return Err(Error::SyntaxError(format!(
                        "there is no escaped character: \"{s}\""
                    )));
                }
                Some(c) => {
                    word.push(c);
                    st = old;
                }
            },
            St::EndWord => match c {
                Some('\\') => {
                    st = St::NextChar;
                    old = St::EndWord;
                }
                None => break,
                Some(c) if is_space(c) || is_op(c) => break,
                Some(':') => {
                    if word.is_empty() {
                        return Err(err());
                    }
                    if query {
                        break;
                    }
                    st = St::InPosInfo;
                }
                Some(c) => word.push(c),
            },
            St::EndCmplx => match c {
                Some('\'') => st = St::CharCmplx,
                Some('\\') => {
                    st = St::NextChar;
                    old = St::EndCmplx;
                }
                None => return Err(err()),
                Some(c) => word.push(c),
            },
            St::CharCmplx => match c {
                Some('\'') => {
                    word.push('\'');
                    st = St::EndCmplx;
                }
                _ => {
                    if word.is_empty() {
                        return Err(err());
                    }
                    if query {
                        break;
                    }
                    st = St::WaitPosInfo;
                    continue;
                }
            },
            St::WaitPosInfo => match c {
                Some(':') => st = St::InPosInfo,
                _ => break,
            },
            St::InPosInfo => match c {
                Some(d) if d.is_ascii_digit() => {
                    let end = bytes[i..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(bytes.len(), |n| i + n);
                    // atoi: the digits as a number, saturating like a clamp would.
                    let n = s[i..end].parse::<i64>().unwrap_or(i64::MAX);
                    let p = limit_pos(n);
                    if p == 0 {
                        return Err(Error::SyntaxError(format!(
                            "wrong position info in tsvector: \"{s}\""
                        )));
                    }
                    pos.push(p);
                    has_pos = true;
                    st = St::WaitPosDelim;
                }
                _ => return Err(err()),
            },
            St::WaitPosDelim => {
                let set = |pos: &mut Vec<u16>, w: u16| -> Result<()> {
                    let last = pos.last_mut().ok_or_else(err)?;
                    if weight_of(*last) != 0 {
                        return Err(err());
                    }
                    *last = make_pos(pos_of(*last), w);
                    Ok(())
                };
                match c {
                    Some(',') => st = St::InPosInfo,
                    Some('a' | 'A' | '*') => set(&mut pos, 3)?,
                    Some('b' | 'B') => set(&mut pos, 2)?,
                    Some('c' | 'C') => set(&mut pos, 1)?,
                    Some('d' | 'D') => set(&mut pos, 0)?,
                    None => break,
                    Some(c) if is_space(c) => break,
                    Some(c) if !c.is_ascii_digit() => return Err(err()),
                    Some(_) => {}
                }
            }
        }
        match c {
            Some(c) => i += c.len_utf8(),
            None => break,
        }
    }
    if word.is_empty() {
        return Err(err());
    }
    Ok(Some((
        Token {
            word,
            pos: has_pos.then_some(pos),
        },
        i,
    )))
}

/// `tsvectorin`.
pub fn parse(s: &str) -> Result<TsVector> {
    let mut at = 0;
    let mut lexemes = Vec::new();
    while let Some((tok, next)) = next_token(s, at, false)? {
        if tok.word.len() > MAX_LEXEME {
            return Err(Error::ProgramLimitExceeded(format!(
                "word is too long ({} bytes, max {} bytes)",
                tok.word.len(),
                MAX_LEXEME + 1
            )));
        }
        lexemes.push(Lexeme {
            word: tok.word,
            pos: tok.pos.unwrap_or_default(),
        });
        at = next;
    }
    Ok(TsVector::from_unsorted(lexemes))
}

/// Appends `word` quoted as tsvector and tsquery output do.
pub fn quote_lexeme(out: &mut String, word: &str) {
    out.push('\'');
    for c in word.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

/// The letter of a weight (`D` for 0).
pub fn weight_letter(w: u16) -> char {
    match w {
        3 => 'A',
        2 => 'B',
        1 => 'C',
        _ => 'D',
    }
}

/// `tsvectorout`.
pub fn format(v: &TsVector) -> String {
    let mut out = String::new();
    for (i, l) in v.lexemes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        quote_lexeme(&mut out, &l.word);
        for (j, p) in l.pos.iter().enumerate() {
            out.push(if j == 0 { ':' } else { ',' });
            out.push_str(&pos_of(*p).to_string());
            if weight_of(*p) != 0 {
                out.push(weight_letter(weight_of(*p)));
            }
        }
    }
    out
}

/// PostgreSQL's `VARSIZE` of the value: header, one `WordEntry` per lexeme, the lexemes,
/// and per lexeme with positions (after 2-byte alignment) a count and the positions.
pub fn varsize(v: &TsVector) -> usize {
    let mut buf = 0usize;
    for l in &v.lexemes {
        buf += l.word.len();
        if !l.pos.is_empty() {
            buf = (buf + 1) & !1;
            buf += 2 + 2 * l.pos.len();
        }
    }
    8 + 4 * v.lexemes.len() + buf
}

/// `tsvector_cmp`'s order. See the module docs.
pub fn cmp(a: &TsVector, b: &TsVector) -> Ordering {
    let by_size = varsize(a)
        .cmp(&varsize(b))
        .then(a.lexemes.len().cmp(&b.lexemes.len()));
    if by_size != Ordering::Equal {
        return by_size;
    }
    for (x, y) in a.lexemes.iter().zip(&b.lexemes) {
        let (hx, hy) = (!x.pos.is_empty(), !y.pos.is_empty());
        if hx != hy {
            return if hx {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let o = cmp_lexeme(&x.word, &y.word);
        if o != Ordering::Equal {
            return o;
        }
        if hx {
            if x.pos.len() != y.pos.len() {
                return y.pos.len().cmp(&x.pos.len());
            }
            for (p, q) in x.pos.iter().zip(&y.pos) {
                if pos_of(*p) != pos_of(*q) {
                    return pos_of(*q).cmp(&pos_of(*p));
                }
                if weight_of(*p) != weight_of(*q) {
                    return weight_of(*q).cmp(&weight_of(*p));
                }
            }
        }
    }
    Ordering::Equal
}

/// `tsvectorsend`.
pub fn send(v: &TsVector, out: &mut Vec<u8>) {
    out.extend_from_slice(&(v.lexemes.len() as i32).to_be_bytes());
    for l in &v.lexemes {
        out.extend_from_slice(l.word.as_bytes());
        out.push(0);
        out.extend_from_slice(&(l.pos.len() as u16).to_be_bytes());
        for p in &l.pos {
            out.extend_from_slice(&p.to_be_bytes());
        }
    }
}

/// `tsvectorrecv`: the value [`send`] writes; lexemes out of order are sorted, positions
/// must be ascending. Returns the value and the bytes it used.
pub fn recv(b: &[u8]) -> Result<(TsVector, usize)> {
    let bad = |m: &str| Error::InvalidBinaryRepresentation(m.to_string());
    let short = || bad("insufficient data left in message");
    let n = i32::from_be_bytes(
        b.get(..4)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    if n < 0 {
        return Err(bad("invalid size of tsvector"));
    }
    let mut at = 4;
    let mut lexemes = Vec::new();
    let mut sorted = true;
    for _ in 0..n {
        let rest = b.get(at..).ok_or_else(short)?;
        let nul = rest
            .iter()
            .position(|c| *c == 0)
            .ok_or_else(|| bad("invalid string in message"))?;
        let word = std::str::from_utf8(&rest[..nul])
            .map_err(|_| bad("invalid byte sequence for encoding \"UTF8\""))?
            .to_string();
        if word.is_empty() || word.len() > MAX_LEXEME {
            return Err(bad("invalid tsvector: lexeme too long"));
        }
        at += nul + 1;
        let np = u16::from_be_bytes([
            *b.get(at).ok_or_else(short)?,
            *b.get(at + 1).ok_or_else(short)?,
        ]) as usize;
        at += 2;
        if np > MAX_NUM_POS {
            return Err(bad("unexpected number of tsvector positions"));
        }
        let mut pos = Vec::with_capacity(np);
        for k in 0..np {
            let p = u16::from_be_bytes([
                *b.get(at).ok_or_else(short)?,
                *b.get(at + 1).ok_or_else(short)?,
            ]);
            at += 2;
            if k > 0 && pos_of(p) <= pos_of(pos[k - 1]) {
                return Err(bad("position information is misordered"));
            }
            pos.push(p);
        }
        if let Some(last) = lexemes.last() {
            let last: &Lexeme = last;
            if cmp_lexeme(&last.word, &word) != Ordering::Less {
                sorted = false;
            }
        }
        lexemes.push(Lexeme { word, pos });
    }
    let v = if sorted {
        TsVector { lexemes }
    } else {
        TsVector::from_unsorted(lexemes)
    };
    Ok((v, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str) -> String {
        format(&parse(s).unwrap())
    }

    #[test]
    fn input_output_as_postgres() {
        assert_eq!(round("a b c"), "'a' 'b' 'c'");
        assert_eq!(round("c b a b"), "'a' 'b' 'c'");
        assert_eq!(round("a:3,1A b:2 a:1C"), "'a':1A,3 'b':2");
        assert_eq!(round("'it''s' \\'x"), "'''x' 'it''s'");
        assert_eq!(round("a:99999"), "'a':16383");
        assert_eq!(round("'a b':1b"), "'a b':1B");
        assert!(parse("a:0").is_err());
        assert!(parse("'a").is_err());
        assert!(parse("a:1AB").is_err());
        assert_eq!(round(""), "");
    }

    #[test]
    fn binary_round_trip() {
        let v = parse("a:1A,3 b 'c d':2").unwrap();
        let mut out = Vec::new();
        send(&v, &mut out);
        assert_eq!(recv(&out).unwrap(), (v, out.len()));
    }
}
