//! `ts_headline`: a document's best passage with the query's words marked, after
//! PostgreSQL 15's `hlparsetext` / `generateHeadline` (`ts_parse.c`), `prsd_headline` and
//! its selectors (`wparser_def.c`) and `deserialize_deflist` (`tsearchcmds.c`) for the
//! options text.
//!
//! The path of one call:
//!
//! 1. [`parse`] (`hlparsetext`): the parser's tokens, every one kept — blanks, tags and the
//!    hyphen between the parts of a hyphenated word too, so that the words concatenate
//!    back to the document. A token the configuration indexes takes the next position
//!    (a stop word too); its lexeme is compared with every query operand (`hlfinditem`:
//!    equal, or a prefix of it for `'a':*`, weights ignored). The first operand it matches
//!    is the word's `item`; each further one adds a `repeated` copy of the word.
//! 2. A selector marks the words to show. [`mark_words`] (`MaxFragments=0`, the default)
//!    looks at every *cover* — the earliest shortest run of words, starting and ending on
//!    query words, in which the query is true (`hlCover`: `TS_execute` over the run's
//!    words with their positions, so phrases and `!` count) — stretches or trims it to
//!    `MinWords..MaxWords` words, avoiding ends on short words (`ShortWord`) and numbers,
//!    and keeps the best (covering the whole cover, then the most query words, then a
//!    good end). No cover: the first `MinWords` words. [`mark_fragments`]
//!    (`MaxFragments>0`) cuts covers into fragments of at most `MaxWords` words, picks the
//!    ones with the most query words and stretches each.
//! 3. [`generate`] (`generateHeadline`): the marked words, query words wrapped in
//!    `StartSel`/`StopSel`, tags replaced by a space, URLs and whole hyphenated words
//!    skipped (their parts are shown), fragments joined by `FragmentDelimiter`.
//!
//! "Words" in the counts are tokens other than blanks, tags, URLs and whole hyphenated
//! words (`NONWORDTOKEN`).

use super::ts_config::Config;
use super::ts_match::{Exec, Phrase, Tri};
use super::ts_parser::{self, TokenType};
use crate::notice::{self, Notice};
use crate::types::tsquery::{Operand, QueryItem, TsQuery};
use crate::types::tsvector;
use crate::{Error, Result};

/// One token of the document (`HeadlineWordEntry`).
#[derive(Debug, Clone)]
struct Word<'a> {
    ty: TokenType,
    text: &'a str,
    pos: u16,
    /// The query operand (node index in storage order) the word's lexeme matches.
    item: Option<usize>,
    repeated: bool,
    selected: bool,
    replace: bool,
    skip: bool,
    shown: bool,
}

/// `HLIDSKIP`: tokens whose parts follow them.
fn is_skip(ty: TokenType) -> bool {
    use TokenType::*;
    matches!(ty, Url | NumHWord | AsciiHWord | HWord)
}

/// `NONWORDTOKEN`.
fn non_word(ty: TokenType) -> bool {
    ty == TokenType::Blank || ty == TokenType::Tag || is_skip(ty)
}

/// `NOENDTOKEN`.
fn no_end(ty: TokenType) -> bool {
    use TokenType::*;
    non_word(ty)
        || matches!(
            ty,
            SFloat | Version | Float | Int | UInt | Tag | Protocol | Blank | Entity
        )
}

/// The options (`prsd_headline`'s).
#[derive(Debug, Clone)]
pub struct Options {
    pub start_sel: String,
    pub stop_sel: String,
    pub frag_delim: String,
    pub max_words: i32,
    pub min_words: i32,
    pub short_word: i32,
    pub max_fragments: i32,
    pub highlight_all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            start_sel: "<b>".into(),
            stop_sel: "</b>".into(),
            frag_delim: " ... ".into(),
            max_words: 35,
            min_words: 15,
            short_word: 3,
            max_fragments: 0,
            highlight_all: false,
        }
    }
}

/// `pg_strtoint32`.
fn strtoint32(s: &str) -> Result<i32> {
    let invalid = || {
        Error::InvalidTextRepresentation(format!("invalid input syntax for type integer: \"{s}\""))
    };
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v * 10 + i64::from(b - b'0');
        if v > i64::from(i32::MAX) + 1 {
            break;
        }
    }
    let v = if neg { -v } else { v };
    i32::try_from(v).map_err(|_| {
        Error::NumericValueOutOfRange(format!("value \"{s}\" is out of range for type integer"))
    })
}

/// `buildDefItem` then `defGetString`: an unquoted value that is an integer prints as
/// one (`007` is `7`).
fn def_string(val: String, quoted: bool) -> String {
    if quoted || val.is_empty() {
        return val;
    }
    let (neg, digits) = match val.as_bytes()[0] {
        b'-' => (true, &val[1..]),
        b'+' => (false, &val[1..]),
        _ => (false, &val[..]),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n: Option<i64> = digits.bytes().try_fold(0i64, |acc, b| {
            acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
        });
        if let Some(n) = n {
            let n = if neg { -n } else { n };
            if i32::try_from(n).is_ok() {
                return n.to_string();
            }
        }
    }
    val
}

/// `deserialize_deflist`: `key = value, ...` with `"`-quoted keys and `'`, `E'` or
/// `"`-quoted values.
pub fn parse_deflist(input: &str) -> Result<Vec<(String, String)>> {
    #[derive(PartialEq)]
    enum S {
        WaitKey,
        InKey,
        InQKey,
        WaitEq,
        WaitValue,
        InSqValue,
        InDqValue,
        InWValue,
    }
    let bad = || Error::SyntaxError(format!("invalid parameter list format: \"{input}\""));
    let b = input.as_bytes();
    let mut out = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut val: Vec<u8> = Vec::new();
    let mut state = S::WaitKey;
    let s = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match state {
            S::WaitKey => {
                if c.is_ascii_whitespace() || c == b'\x0b' || c == b',' {
                } else if c == b'"' {
                    key.clear();
                    state = S::InQKey;
                } else {
                    key.clear();
                    key.push(c);
                    state = S::InKey;
                }
            }
            S::InKey => {
                if c.is_ascii_whitespace() || c == b'\x0b' {
                    state = S::WaitEq;
                } else if c == b'=' {
                    state = S::WaitValue;
                } else {
                    key.push(c);
                }
            }
            S::InQKey => {
                if c == b'"' {
                    if next == Some(b'"') {
                        key.push(c);
                        i += 1;
                    } else {
                        state = S::WaitEq;
                    }
                } else {
                    key.push(c);
                }
            }
            S::WaitEq => {
                if c == b'=' {
                    state = S::WaitValue;
                } else if !(c.is_ascii_whitespace() || c == b'\x0b') {
                    return Err(bad());
                }
            }
            S::WaitValue => {
                val.clear();
                if c == b'\'' {
                    state = S::InSqValue;
                } else if c == b'E' && next == Some(b'\'') {
                    i += 1;
                    state = S::InSqValue;
                } else if c == b'"' {
                    state = S::InDqValue;
                } else if !(c.is_ascii_whitespace() || c == b'\x0b') {
                    val.push(c);
                    state = S::InWValue;
                }
            }
            S::InSqValue => {
                if c == b'\'' {
                    if next == Some(b'\'') {
                        val.push(c);
                        i += 1;
                    } else {
                        out.push((s(&key), def_string(s(&val), true)));
                        state = S::WaitKey;
                    }
                } else if c == b'\\' {
                    val.push(c);
                    if next == Some(b'\\') {
                        i += 1;
                    }
                } else {
                    val.push(c);
                }
            }
            S::InDqValue => {
                if c == b'"' {
                    if next == Some(b'"') {
                        val.push(c);
                        i += 1;
                    } else {
                        out.push((s(&key), def_string(s(&val), true)));
                        state = S::WaitKey;
                    }
                } else {
                    val.push(c);
                }
            }
            S::InWValue => {
                if c == b',' || c.is_ascii_whitespace() || c == b'\x0b' {
                    out.push((s(&key), def_string(s(&val), false)));
                    state = S::WaitKey;
                } else {
                    val.push(c);
                }
            }
        }
        i += 1;
    }
    if state == S::InWValue {
        out.push((s(&key), def_string(s(&val), false)));
    } else if state != S::WaitKey {
        return Err(bad());
    }
    Ok(out)
}

/// `prsd_headline`'s option handling and checks.
pub fn options(text: Option<&str>) -> Result<Options> {
    let mut o = Options::default();
    for (k, v) in parse_deflist(text.unwrap_or(""))? {
        match k.to_ascii_lowercase().as_str() {
            "maxwords" => o.max_words = strtoint32(&v)?,
            "minwords" => o.min_words = strtoint32(&v)?,
            "shortword" => o.short_word = strtoint32(&v)?,
            "maxfragments" => o.max_fragments = strtoint32(&v)?,
            "startsel" => o.start_sel = v,
            "stopsel" => o.stop_sel = v,
            "fragmentdelimiter" => o.frag_delim = v,
            "highlightall" => {
                o.highlight_all = ["1", "on", "true", "t", "y", "yes"]
                    .iter()
                    .any(|t| v.eq_ignore_ascii_case(t))
            }
            _ => {
                return Err(Error::InvalidParameterValue(format!(
                    "unrecognized headline parameter: \"{k}\""
                )));
            }
        }
    }
    if !o.highlight_all {
        let err = |m: &str| Err(Error::InvalidParameterValue(m.into()));
        if o.min_words >= o.max_words {
            return err("MinWords should be less than MaxWords");
        }
        if o.min_words <= 0 {
            return err("MinWords should be positive");
        }
        if o.short_word < 0 {
            return err("ShortWord should be >= 0");
        }
        if o.max_fragments < 0 {
            return err("MaxFragments should be >= 0");
        }
    }
    Ok(o)
}

/// `hlparsetext`: the document's tokens, with positions and matched operands.
fn parse<'a>(config: Config, text: &'a str, query: &TsQuery) -> Vec<Word<'a>> {
    let mut operands: Vec<(usize, &Operand)> = Vec::new();
    if let Some(root) = &query.root {
        let mut idx = 0;
        root.polish(&mut |n| {
            if let QueryItem::Val(o) = n {
                operands.push((idx, o));
            }
            idx += 1;
        });
    }
    let word = |ty, text| Word {
        ty,
        text,
        pos: 0,
        item: None,
        repeated: false,
        selected: false,
        replace: false,
        skip: false,
        shown: false,
    };
    let base = text.as_ptr() as usize;
    let mut words: Vec<Word<'a>> = Vec::new();
    // the end of the text the words so far show (a URL or a hyphenated word shows none:
    // its parts follow)
    let mut covered = 0;
    let mut vectorpos: i64 = 0;
    for tok in ts_parser::tokens(text) {
        let start = tok.text.as_ptr() as usize - base;
        if !is_skip(tok.ty) {
            if start > covered {
                words.push(word(TokenType::Blank, &text[covered..start]));
            }
            covered = covered.max(start + tok.text.len());
        }
        if tok.text.len() > tsvector::MAX_LEXEME {
            notice::emit(
                Notice::new("00000", "word is too long to be indexed")
                    .with_detail("Words longer than 2047 characters are ignored."),
            );
            continue;
        }
        words.push(word(tok.ty, tok.text));
        let Some(lexeme) = config.lexize(tok.ty, tok.text) else {
            continue;
        };
        vectorpos += 1;
        let Some(lexeme) = lexeme else {
            continue;
        };
        // hlfinditem
        let at = words.len() - 1;
        words[at].pos = tsvector::limit_pos(vectorpos);
        for (idx, o) in &operands {
            let hit = if o.prefix {
                lexeme.as_bytes().starts_with(o.word.as_bytes())
            } else {
                lexeme == o.word
            };
            if hit {
                if words[at].item.is_some() {
                    let mut copy = words[at].clone();
                    copy.item = Some(*idx);
                    copy.repeated = true;
                    words.push(copy);
                } else {
                    words[at].item = Some(*idx);
                }
            }
        }
    }
    if covered < text.len() {
        words.push(word(TokenType::Blank, &text[covered..]));
    }
    words
}

/// `TS_execute` over `words` with `checkcondition_HL`.
fn satisfies(root: &QueryItem, words: &[Word]) -> bool {
    let mut check = |idx: usize, _: &Operand, data: Option<&mut Phrase>| {
        let mut found = false;
        let mut data = data;
        for w in words.iter().filter(|w| w.item == Some(idx)) {
            found = true;
            match data.as_deref_mut() {
                None => return Tri::Yes,
                Some(d) => {
                    if d.pos.last().is_none_or(|l| *l < w.pos) {
                        d.pos.push(w.pos);
                    }
                }
            }
        }
        if found { Tri::Yes } else { Tri::No }
    };
    let mut exec = Exec::new(root, &mut check);
    exec.run(root) != Tri::No
}

/// State shared by the selectors.
struct Hl<'w, 'a> {
    words: &'w mut Vec<Word<'a>>,
    short_word: i32,
}

impl Hl<'_, '_> {
    fn n(&self) -> isize {
        self.words.len() as isize
    }
    fn w(&self, i: isize) -> &Word<'_> {
        &self.words[i as usize]
    }
    fn non_word(&self, i: isize) -> bool {
        non_word(self.w(i).ty)
    }
    /// `INTERESTINGWORD`.
    fn interesting(&self, i: isize) -> bool {
        let w = self.w(i);
        w.item.is_some() && !w.repeated
    }
    /// `BADENDPOINT`.
    fn bad_end(&self, i: isize) -> bool {
        let w = self.w(i);
        (no_end(w.ty) || w.text.len() as i64 <= i64::from(self.short_word)) && !self.interesting(i)
    }

    fn first_index(&self, from: isize) -> isize {
        (from.max(0)..self.n())
            .find(|i| self.w(*i).item.is_some())
            .unwrap_or(-1)
    }

    /// `hlCover`: the first cover starting at or after `p`.
    fn cover(&self, query: &TsQuery, max_cover: i32, p: isize) -> Option<(isize, isize)> {
        let root = query.root.as_ref()?;
        let mut pmin = self.first_index(p);
        while pmin >= 0 {
            let mut nextpmin = -1;
            let mut pmax = pmin;
            loop {
                if satisfies(root, &self.words[pmin as usize..=pmax as usize]) {
                    return Some((pmin, pmax));
                }
                let nextpmax = self.first_index(pmax + 1);
                if pmax == pmin {
                    nextpmin = nextpmax;
                }
                pmax = nextpmax;
                if !(pmax >= 0 && (pmax - pmin) < max_cover as isize) {
                    break;
                }
            }
            pmin = nextpmin;
        }
        None
    }

    /// `mark_fragment`.
    fn mark(&mut self, highlight_all: bool, from: isize, to: isize) {
        let to = to.min(self.n() - 1);
        for i in from.max(0)..=to {
            let w = &mut self.words[i as usize];
            if w.item.is_some() {
                w.selected = true;
            }
            if !highlight_all && w.ty == TokenType::Tag {
                w.replace = true;
            } else if is_skip(w.ty) {
                w.skip = true;
            }
            w.shown = !w.repeated;
        }
    }
}

/// `mark_hl_words`: the default selector.
fn mark_words(hl: &mut Hl, query: &TsQuery, o: &Options, max_cover: i32) {
    let (min_words, max_words) = (o.min_words, o.max_words);
    let (mut bestb, mut beste, mut bestlen, mut bestcover) = (-1isize, -1isize, -1i32, false);
    if o.highlight_all {
        let n = hl.n();
        hl.mark(true, 0, n - 1);
        return;
    }
    let mut p: isize = 0;
    while let Some((cp, q)) = hl.cover(query, max_cover, p) {
        p = cp;
        let (mut curlen, mut poslen) = (0i32, 0i32);
        let (mut posb, mut pose) = (p, p);
        let mut i = p;
        while i <= q && curlen < max_words {
            if !hl.non_word(i) {
                curlen += 1;
            }
            if hl.interesting(i) {
                poslen += 1;
            }
            pose = i;
            i += 1;
        }
        if curlen < max_words {
            i -= 1;
            while i < hl.n() && curlen < max_words {
                if i > q {
                    if !hl.non_word(i) {
                        curlen += 1;
                    }
                    if hl.interesting(i) {
                        poslen += 1;
                    }
                }
                pose = i;
                if !hl.bad_end(i) && curlen >= min_words {
                    break;
                }
                i += 1;
            }
            if curlen < min_words {
                i = p - 1;
                while i >= 0 {
                    if !hl.non_word(i) {
                        curlen += 1;
                    }
                    if hl.interesting(i) {
                        poslen += 1;
                    }
                    if curlen >= max_words {
                        break;
                    }
                    if !hl.bad_end(i) && curlen >= min_words {
                        break;
                    }
                    i -= 1;
                }
                posb = i.max(0);
            }
        } else {
            if i > q {
                i = q;
            }
            while curlen > min_words && i >= 0 && i < hl.n() {
                if !hl.bad_end(i) {
                    break;
                }
                if !hl.non_word(i) {
                    curlen -= 1;
                }
                if hl.interesting(i) {
                    poslen -= 1;
                }
                pose = i - 1;
                i -= 1;
            }
        }
        let poscover = posb <= p && pose >= q;
        if (poscover && !bestcover)
            || (poscover == bestcover && poslen > bestlen)
            || (poscover == bestcover
                && poslen == bestlen
                && !hl.bad_end(pose)
                && hl.bad_end(beste))
        {
            bestb = posb;
            beste = pose;
            bestlen = poslen;
            bestcover = poscover;
        }
        p += 1;
    }
    if bestlen < 0 {
        let mut curlen = 0;
        let mut pose = 0;
        let mut i = 0;
        while i < hl.n() && curlen < min_words {
            if !hl.non_word(i) {
                curlen += 1;
            }
            pose = i;
            i += 1;
        }
        bestb = 0;
        beste = pose;
    }
    hl.mark(false, bestb, beste);
}

/// One fragment of a cover (`CoverPos`).
struct Cover {
    start: isize,
    end: isize,
    poslen: i32,
    curlen: i32,
    chosen: bool,
    excluded: bool,
}

/// `get_next_fragment`: the next fragment of at most `max_words` words of
/// `start..=end`, starting and ending on query words; returns (start, end, curlen, poslen).
fn next_fragment(hl: &Hl, start: isize, end: isize, max_words: i32) -> (isize, isize, i32, i32) {
    let (mut start, mut end) = (start, end);
    let mut i = start;
    while i <= end {
        start = i;
        if hl.interesting(i) {
            break;
        }
        i += 1;
    }
    let (mut curlen, mut poslen) = (0, 0);
    i = start;
    while i <= end && curlen < max_words {
        if !hl.non_word(i) {
            curlen += 1;
        }
        if hl.interesting(i) {
            poslen += 1;
        }
        i += 1;
    }
    if end > i {
        // PostgreSQL sets *endpos = i, then walks i down from it
        end = i;
        while i >= start {
            end = i;
            if hl.interesting(i) {
                break;
            }
            if !hl.non_word(i) {
                curlen -= 1;
            }
            i -= 1;
        }
    }
    (start, end, curlen, poslen)
}

/// `mark_hl_fragments`: the selector for `MaxFragments > 0`.
fn mark_fragments(hl: &mut Hl, query: &TsQuery, o: &Options, max_cover: i32) {
    let (min_words, max_words) = (o.min_words, o.max_words);
    let mut covers: Vec<Cover> = Vec::new();
    let mut p: isize = 0;
    while let Some((cp, q)) = hl.cover(query, max_cover, p) {
        p = cp;
        let (mut start, mut end) = (p, q);
        while start <= end {
            let (s, e, curlen, poslen) = next_fragment(hl, start, end, max_words);
            covers.push(Cover {
                start: s,
                end: e,
                poslen,
                curlen,
                chosen: false,
                excluded: false,
            });
            start = e + 1;
            end = q;
        }
        p += 1;
    }
    let mut num_f = 0;
    for _ in 0..o.max_fragments {
        let (mut maxitems, mut minwords, mut min_i) = (0, i32::MAX, None);
        for (i, c) in covers.iter().enumerate() {
            if !c.chosen
                && !c.excluded
                && (maxitems < c.poslen || (maxitems == c.poslen && minwords > c.curlen))
            {
                maxitems = c.poslen;
                minwords = c.curlen;
                min_i = Some(i);
            }
        }
        let Some(m) = min_i else {
            break;
        };
        covers[m].chosen = true;
        let (mut start, mut end, mut curlen) = (covers[m].start, covers[m].end, covers[m].curlen);
        if curlen < max_words {
            let maxstretch = (max_words - curlen) / 2;
            let mut stretch = 0;
            let mut posmarker = start;
            let mut i = start - 1;
            while i >= 0 && stretch < maxstretch && !hl.w(i).shown {
                if !hl.non_word(i) {
                    curlen += 1;
                    stretch += 1;
                }
                posmarker = i;
                i -= 1;
            }
            i = posmarker;
            while i < start && hl.bad_end(i) {
                if !hl.non_word(i) {
                    curlen -= 1;
                }
                i += 1;
            }
            start = i;
            posmarker = end;
            i = end + 1;
            while i < hl.n() && curlen < max_words && !hl.w(i).shown {
                if !hl.non_word(i) {
                    curlen += 1;
                }
                posmarker = i;
                i += 1;
            }
            i = posmarker;
            while i > end && hl.bad_end(i) {
                if !hl.non_word(i) {
                    curlen -= 1;
                }
                i -= 1;
            }
            end = i;
        }
        covers[m].start = start;
        covers[m].end = end;
        covers[m].curlen = curlen;
        hl.mark(o.highlight_all, start, end);
        num_f += 1;
        for (i, c) in covers.iter_mut().enumerate() {
            if i != m
                && ((c.start >= start && c.start <= end)
                    || (c.end >= start && c.end <= end)
                    || (c.start < start && c.end > end))
            {
                c.excluded = true;
            }
        }
    }
    if num_f == 0 {
        let (mut curlen, mut end) = (0, 0);
        let mut i = 0;
        while i < hl.n() && curlen < min_words {
            if !hl.non_word(i) {
                curlen += 1;
            }
            end = i;
            i += 1;
        }
        hl.mark(o.highlight_all, 0, end);
    }
}

/// `generateHeadline`.
fn generate(words: &[Word], o: &Options) -> String {
    let mut out = String::new();
    let mut infrag = false;
    let mut fragments = 0;
    for w in words {
        if w.shown && !w.repeated {
            if !infrag {
                infrag = true;
                fragments += 1;
                if fragments > 1 {
                    out.push_str(&o.frag_delim);
                }
            }
            if w.replace {
                out.push(' ');
            } else if !w.skip {
                if w.selected {
                    out.push_str(&o.start_sel);
                }
                out.push_str(w.text);
                if w.selected {
                    out.push_str(&o.stop_sel);
                }
            }
        } else if !w.repeated {
            infrag = false;
        }
    }
    out
}

/// `ts_headline(config, document, query, options)`.
pub fn headline(config: Config, doc: &str, query: &TsQuery, opts: Option<&str>) -> Result<String> {
    let mut words = parse(config, doc, query);
    let o = options(opts)?;
    let mut max_cover = o.max_words.wrapping_mul(10).max(100);
    if o.max_fragments > 0 {
        max_cover = max_cover.wrapping_mul(o.max_fragments);
    }
    let mut hl = Hl {
        words: &mut words,
        short_word: o.short_word,
    };
    if o.max_fragments == 0 {
        mark_words(&mut hl, query, &o, max_cover);
    } else {
        mark_fragments(&mut hl, query, &o, max_cover);
    }
    Ok(generate(&words, &o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::tsquery;

    #[test]
    fn options_as_postgres() {
        let kv = parse_deflist(r#"MaxWords=007, "Start""Sel" = '<''x>', StopSel="a""b" x=E'\\y'"#)
            .unwrap();
        assert_eq!(
            kv,
            vec![
                ("MaxWords".into(), "7".into()),
                ("Start\"Sel".into(), "<'x>".into()),
                ("StopSel".into(), "a\"b".into()),
                ("x".into(), "\\y".into()),
            ]
        );
        assert!(parse_deflist("a b").is_err());
        assert!(parse_deflist("a=").is_err());
    }

    #[test]
    fn headline_marks_words() {
        let q = tsquery::parse("quick & fox").unwrap();
        let h = headline(Config::English, "The quick brown fox-jumps.", &q, None).unwrap();
        assert_eq!(h, "The <b>quick</b> brown <b>fox</b>-jumps.");
    }
}
