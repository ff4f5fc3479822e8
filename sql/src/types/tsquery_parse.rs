//! Parsing `tsquery` text (PostgreSQL's `parse_tsquery`, `tsquery_cleanup.c`): the
//! standard, plain and websearch tokenizers, the operator-precedence parser producing a
//! postfix stream, and the removal of stop-word placeholders. See [`super::tsquery`].
//! (Parsing lives apart from the value type to keep each file to one idea.)

use super::tsquery::MAX_DISTANCE;
use super::tsquery::{BinOp, Operand, QueryItem, TsQuery};
use super::tsvector::{self, is_space};
use crate::notice::{self, Notice};
use crate::{Error, Result};

/// Priority of an operator (`tsearch_op_priority`).
fn priority(op: &Pol) -> u8 {
    match op {
        Pol::Not => 4,
        Pol::Bin(BinOp::Phrase(_)) => 3,
        Pol::Bin(BinOp::And) => 2,
        _ => 1,
    }
}

/// An item of the postfix stream the parser produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Pol {
    Val(Operand),
    /// A stop word's place (removed by [`clean_stopwords`]).
    Stop,
    Not,
    Bin(BinOp),
}

/// What the push function of [`parse_with`] receives and appends to.
pub struct Pushed<'a> {
    out: &'a mut Vec<Pol>,
    input: &'a str,
}

impl Pushed<'_> {
    /// `pushValue`.
    pub fn value(&mut self, word: &str, weight: u8, prefix: bool) -> Result<()> {
        if word.len() > tsvector::MAX_LEXEME {
            return Err(Error::ProgramLimitExceeded(format!(
                "word is too long in tsquery: \"{}\"",
                self.input
            )));
        }
        self.out.push(Pol::Val(Operand {
            word: word.to_string(),
            weight,
            prefix,
        }));
        Ok(())
    }

    /// `pushStop`.
    pub fn stop(&mut self) {
        self.out.push(Pol::Stop);
    }

    /// `pushOperator` for a binary operator (its operands pushed before it).
    pub fn op(&mut self, op: BinOp) {
        self.out.push(Pol::Bin(op));
    }
}

/// The tokenizer of [`parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Standard,
    /// `plainto_tsquery` / `phraseto_tsquery`: the whole text is one operand.
    Plain,
    /// `websearch_to_tsquery`.
    Web,
}

#[derive(PartialEq, Clone, Copy)]
enum Wait {
    FirstOperand,
    Operand,
    Operator,
}

enum Tok {
    End,
    Err,
    Val(String, u8, bool),
    Opr(Pol),
    Open,
    Close,
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
    count: i32,
    state: Wait,
    mode: Mode,
    out: Vec<Pol>,
}

fn is_operator(c: char) -> bool {
    matches!(c, '!' | '&' | '|' | '(' | ')' | '<')
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }

    fn syntax(&self) -> Error {
        Error::SyntaxError(format!("syntax error in tsquery: \"{}\"", self.s))
    }

    /// `get_modifiers`: `:` followed by weight letters and `*`.
    fn modifiers(&mut self) -> (u8, bool) {
        let (mut w, mut prefix) = (0u8, false);
        if self.peek() != Some(':') {
            return (0, false);
        }
        self.at += 1;
        while let Some(c) = self.peek() {
            match c {
                'a' | 'A' => w |= 8,
                'b' | 'B' => w |= 4,
                'c' | 'C' => w |= 2,
                'd' | 'D' => w |= 1,
                '*' => prefix = true,
                _ => break,
            }
            self.at += 1;
        }
        (w, prefix)
    }

    /// `parse_phrase_operator`: `<->` or `<N>` at the current position.
    fn phrase(&mut self) -> Result<Option<u16>> {
        let rest = &self.s[self.at..];
        let Some(r) = rest.strip_prefix('<') else {
            return Ok(None);
        };
        let (dist, r) = if let Some(r) = r.strip_prefix('-') {
            (1, r)
        } else {
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Ok(None);
            }
            let n = r[..digits].parse::<i64>().unwrap_or(i64::MAX);
            if n > MAX_DISTANCE {
                return Err(Error::InvalidParameterValue(format!(
                    "distance in phrase operator must be an integer value between zero and {MAX_DISTANCE} inclusive"
                )));
            }
            (n as u16, &r[digits..])
        };
        let Some(r) = r.strip_prefix('>') else {
            return Ok(None);
        };
        // PostgreSQL wants something after the operator to accept it.
        if r.is_empty() {
            return Ok(None);
        }
        self.at = self.s.len() - r.len();
        Ok(Some(dist))
    }

    /// `parse_or_operator` (websearch): `or` not part of a word and followed by an operand.
    fn or_operator(&mut self) -> bool {
        let rest = &self.s[self.at..];
        if rest.len() < 2 || !rest[..2].eq_ignore_ascii_case("or") {
            return false;
        }
        let after = &rest[2..];
        match after.chars().next() {
            None => return false,
            Some(c) if c == '-' || c == '_' || c.is_ascii_alphanumeric() => return false,
            _ => {}
        }
        let mut chars = after.chars();
        chars.next();
        loop {
            match chars.next() {
                None => return false,
                Some(c) if !is_space(c) => break,
                _ => {}
            }
        }
        self.at += 2;
        true
    }

    fn token(&mut self) -> Result<Tok> {
        match self.mode {
            Mode::Plain => {
                if self.at >= self.s.len() {
                    return Ok(Tok::End);
                }
                let v = self.s[self.at..].to_string();
                self.at = self.s.len();
                Ok(Tok::Val(v, 0, false))
            }
            Mode::Standard => self.token_standard(),
            Mode::Web => self.token_web(),
        }
    }

    fn value(&mut self, web: bool) -> Result<Option<String>> {
        let got = if web {
            web_word(self.s, self.at)
        } else {
            tsvector::next_token(self.s, self.at, true)?.map(|(t, end)| (t.word, end))
        };
        Ok(got.map(|(w, end)| {
            self.at = end;
            w
        }))
    }

    fn token_standard(&mut self) -> Result<Tok> {
        loop {
            let c = self.peek();
            match self.state {
                Wait::FirstOperand | Wait::Operand => match c {
                    Some('!') => {
                        self.at += 1;
                        self.state = Wait::Operand;
                        return Ok(Tok::Opr(Pol::Not));
                    }
                    Some('(') => {
                        self.at += 1;
                        self.state = Wait::Operand;
                        self.count += 1;
                        return Ok(Tok::Open);
                    }
                    Some(':') => return Ok(Tok::Err),
                    Some(c) if is_space(c) => {}
                    _ => match self.value(false)? {
                        Some(w) => {
                            let (weight, prefix) = self.modifiers();
                            self.state = Wait::Operator;
                            return Ok(Tok::Val(w, weight, prefix));
                        }
                        None if self.state == Wait::FirstOperand => return Ok(Tok::End),
                        None => {
                            return Err(Error::SyntaxError(format!(
                                "no operand in tsquery: \"{}\"",
                                self.s
                            )));
                        }
                    },
                },
                Wait::Operator => {
                    match c {
                        Some('&') => {
                            self.at += 1;
                            self.state = Wait::Operand;
                            return Ok(Tok::Opr(Pol::Bin(BinOp::And)));
                        }
                        Some('|') => {
                            self.at += 1;
                            self.state = Wait::Operand;
                            return Ok(Tok::Opr(Pol::Bin(BinOp::Or)));
                        }
                        _ => {}
                    }
                    if let Some(d) = self.phrase()? {
                        self.state = Wait::Operand;
                        return Ok(Tok::Opr(Pol::Bin(BinOp::Phrase(d))));
                    }
                    match c {
                        Some(')') => {
                            self.at += 1;
                            self.count -= 1;
                            return Ok(if self.count < 0 { Tok::Err } else { Tok::Close });
                        }
                        None => return Ok(if self.count != 0 { Tok::Err } else { Tok::End }),
                        Some(c) if !is_space(c) => return Ok(Tok::Err),
                        _ => {}
                    }
                }
            }
            if let Some(c) = c {
                self.at += c.len_utf8();
            }
        }
    }

    fn token_web(&mut self) -> Result<Tok> {
        loop {
            let c = self.peek();
            match self.state {
                Wait::FirstOperand | Wait::Operand => match c {
                    Some('-') => {
                        self.at += 1;
                        self.state = Wait::Operand;
                        return Ok(Tok::Opr(Pol::Not));
                    }
                    Some('"') => {
                        self.at += 1;
                        let start = self.at;
                        let end = self.s[start..]
                            .find('"')
                            .map_or(self.s.len(), |n| start + n);
                        let v = self.s[start..end].to_string();
                        self.at = if end < self.s.len() { end + 1 } else { end };
                        self.state = Wait::Operator;
                        self.count += 1;
                        return Ok(Tok::Val(v, 0, false));
                    }
                    Some(c) if is_operator(c) => {
                        self.at += 1;
                        self.state = Wait::Operand;
                        continue;
                    }
                    Some(c) if is_space(c) => {}
                    _ => match self.value(true)? {
                        Some(w) => {
                            self.state = Wait::Operator;
                            return Ok(Tok::Val(w, 0, false));
                        }
                        None if self.state == Wait::FirstOperand => return Ok(Tok::End),
                        None => {
                            self.out.push(Pol::Stop);
                            return Ok(Tok::End);
                        }
                    },
                },
                Wait::Operator => match c {
                    None => return Ok(Tok::End),
                    _ if self.or_operator() => {
                        self.state = Wait::Operand;
                        return Ok(Tok::Opr(Pol::Bin(BinOp::Or)));
                    }
                    Some(c) if is_operator(c) => {
                        self.at += 1;
                        continue;
                    }
                    Some(c) if !is_space(c) => {
                        self.state = Wait::Operand;
                        return Ok(Tok::Opr(Pol::Bin(BinOp::And)));
                    }
                    _ => {}
                },
            }
            if let Some(c) = c {
                self.at += c.len_utf8();
            }
        }
    }

    /// `cleanOpStack`: moves operators that bind at least as tightly as `op` to the output.
    fn clean(&mut self, stack: &mut Vec<Pol>, op: &Pol) {
        let p = priority(op);
        while let Some(top) = stack.last() {
            let tp = priority(top);
            if (*op != Pol::Not && p > tp) || (*op == Pol::Not && p >= tp) {
                break;
            }
            let top = stack.pop().expect("non-empty");
            self.out.push(top);
        }
    }

    /// `makepol`.
    fn makepol(
        &mut self,
        push: &mut dyn FnMut(&mut Pushed<'_>, &str, u8, bool) -> Result<()>,
        depth: usize,
    ) -> Result<()> {
        if depth > 1000 {
            return Err(Error::StackDepthExceeded);
        }
        let mut stack: Vec<Pol> = Vec::new();
        loop {
            match self.token()? {
                Tok::End => break,
                Tok::Val(w, weight, prefix) => {
                    let mut p = Pushed {
                        out: &mut self.out,
                        input: self.s,
                    };
                    push(&mut p, &w, weight, prefix)?;
                }
                Tok::Opr(op) => {
                    self.clean(&mut stack, &op);
                    if stack.len() == 32 {
                        return Err(Error::Internal("tsquery stack too small".into()));
                    }
                    stack.push(op);
                }
                Tok::Open => self.makepol(push, depth + 1)?,
                Tok::Close => {
                    self.clean(&mut stack, &Pol::Bin(BinOp::Or));
                    return Ok(());
                }
                Tok::Err => return Err(self.syntax()),
            }
        }
        self.clean(&mut stack, &Pol::Bin(BinOp::Or));
        Ok(())
    }
}

/// A word of the websearch tokenizer: the tsvector parser with `'` and `\` ordinary and
/// `"` and the operator characters ending the word.
fn web_word(s: &str, at: usize) -> Option<(String, usize)> {
    let rest = &s[at..];
    let start = rest.find(|c: char| !is_space(c))?;
    let first = rest[start..].chars().next()?.len_utf8();
    let word_end = rest[start + first..]
        .find(|c: char| is_space(c) || is_operator(c) || c == '"' || c == ':')
        .map_or(rest.len(), |n| start + first + n);
    Some((rest[start..word_end].to_string(), at + word_end))
}

/// A tree node that may still hold stop-word placeholders.
enum Raw {
    Val(Operand),
    Stop,
    Not(Box<Raw>),
    Bin(BinOp, Box<Raw>, Box<Raw>),
}

fn build(pol: Vec<Pol>, input: &str) -> Result<Raw> {
    let malformed = || Error::SyntaxError(format!("syntax error in tsquery: \"{input}\""));
    let mut stack: Vec<Raw> = Vec::new();
    for item in pol {
        let node = match item {
            Pol::Val(o) => Raw::Val(o),
            Pol::Stop => Raw::Stop,
            Pol::Not => Raw::Not(Box::new(stack.pop().ok_or_else(malformed)?)),
            Pol::Bin(op) => {
                let r = stack.pop().ok_or_else(malformed)?;
                let l = stack.pop().ok_or_else(malformed)?;
                Raw::Bin(op, Box::new(l), Box::new(r))
            }
        };
        stack.push(node);
    }
    let root = stack.pop().ok_or_else(malformed)?;
    if !stack.is_empty() {
        return Err(malformed());
    }
    Ok(root)
}

/// `clean_stopword_intree`: the tree without stop words, and the distances to add on its
/// left and right.
fn clean(node: Raw) -> (Option<QueryItem>, u32, u32) {
    match node {
        Raw::Val(o) => (Some(QueryItem::Val(o)), 0, 0),
        Raw::Stop => (None, 0, 0),
        Raw::Not(a) => {
            let (a, l, r) = clean(*a);
            (a.map(|a| QueryItem::Not(Box::new(a))), l, r)
        }
        Raw::Bin(op, l, r) => {
            let (left, lladd, lradd) = clean(*l);
            let (right, rladd, rradd) = clean(*r);
            let (isphrase, nd) = match op {
                BinOp::Phrase(d) => (true, u32::from(d)),
                _ => (false, 0),
            };
            match (left, right) {
                (None, None) => {
                    let add = if isphrase {
                        lladd + nd + rladd
                    } else {
                        lladd.max(rladd)
                    };
                    (None, add, add)
                }
                (None, Some(r)) => {
                    if isphrase {
                        (Some(r), lladd + nd + rladd, rradd)
                    } else {
                        (Some(r), rladd, rradd)
                    }
                }
                (Some(l), None) => {
                    if isphrase {
                        (Some(l), lladd, lradd + nd + rradd)
                    } else {
                        (Some(l), lladd, lradd)
                    }
                }
                (Some(l), Some(r)) => {
                    if isphrase {
                        let d = (nd + lradd + rladd).min(MAX_DISTANCE as u32) as u16;
                        (Some(QueryItem::bin(BinOp::Phrase(d), l, r)), lladd, rradd)
                    } else {
                        (Some(QueryItem::bin(op, l, r)), 0, 0)
                    }
                }
            }
        }
    }
}

fn has_stop(n: &Raw) -> bool {
    match n {
        Raw::Val(_) => false,
        Raw::Stop => true,
        Raw::Not(a) => has_stop(a),
        Raw::Bin(_, l, r) => has_stop(l) || has_stop(r),
    }
}

fn plain(n: Raw) -> QueryItem {
    match n {
        Raw::Val(o) => QueryItem::Val(o),
        Raw::Stop => unreachable!("checked by has_stop"),
        Raw::Not(a) => QueryItem::Not(Box::new(plain(*a))),
        Raw::Bin(op, l, r) => QueryItem::bin(op, plain(*l), plain(*r)),
    }
}

/// `cleanup_tsquery_stopwords` on a tree with placeholders.
fn clean_stopwords(root: Raw) -> TsQuery {
    if !has_stop(&root) {
        return TsQuery::new(plain(root));
    }
    let (root, _, _) = clean(root);
    if root.is_none() {
        notice::emit(Notice::new(
            "00000",
            "text-search query contains only stop words or doesn't contain lexemes, ignored",
        ));
    }
    TsQuery { root }
}

/// `parse_tsquery`: parses `s` in `mode`, passing every operand to `push`.
pub fn parse_with(
    s: &str,
    mode: Mode,
    push: &mut dyn FnMut(&mut Pushed<'_>, &str, u8, bool) -> Result<()>,
) -> Result<TsQuery> {
    let mut p = Parser {
        s,
        at: 0,
        count: 0,
        state: Wait::FirstOperand,
        mode,
        out: Vec::new(),
    };
    p.makepol(push, 0)?;
    if p.out.is_empty() {
        notice::emit(Notice::new(
            "00000",
            format!("text-search query doesn't contain lexemes: \"{s}\""),
        ));
        return Ok(TsQuery::default());
    }
    Ok(clean_stopwords(build(p.out, s)?))
}

/// `tsqueryin`.
pub fn parse(s: &str) -> Result<TsQuery> {
    parse_with(s, Mode::Standard, &mut |p, w, weight, prefix| {
        p.value(w, weight, prefix)
    })
}
