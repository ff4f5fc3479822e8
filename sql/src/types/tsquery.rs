//! `tsquery`: a boolean query over lexemes (PostgreSQL's `tsquery.c`,
//! `tsquery_cleanup.c`).
//!
//! * A [`TsQuery`] is a tree of [`QueryItem`]s — operands (a lexeme with a weight mask and a
//!   prefix flag, `'a':*AB`), `!`, `&`, `|` and the phrase operator `<N>` (`<->` is `<1>`) —
//!   or empty (`''::tsquery`, a query of stop words only). PostgreSQL stores the tree in
//!   prefix order with each binary operator's right operand first; [`TsQuery::polish`]
//!   walks it in that order (for `numnode`, the binary format and the order).
//! * Parsing ([`parse_with`], in [`super::tsquery_parse`]) is `parse_tsquery`: a tokenizer ([`Mode`]: the standard
//!   syntax, `plainto_tsquery`'s whole-text operand, `websearch_to_tsquery`'s syntax) feeds
//!   an operator-precedence parser (`!` 4, `<N>` 3, `&` 2, `|` 1; `!` right-associative).
//!   Each operand goes through a push function: [`parse`] (`tsqueryin`) pushes it as is,
//!   the text-search functions push what the configuration makes of it, possibly several
//!   lexemes joined by operators and stop-word placeholders ([`Pol::Stop`]), which are
//!   removed afterwards while adjusting phrase distances
//!   (`clean_stopword_intree`).
//! * Output ([`format`]): `infix` — operands quoted like tsvector lexemes, parentheses where
//!   an operand binds looser than its operator, and around a phrase operator on the right
//!   of another phrase operator.
//! * Order ([`cmp`]): the number of items, then PostgreSQL's `VARSIZE`, then (a departure:
//!   PostgreSQL compares the nodes' CRCs first) node by node in storage order.

use std::cmp::Ordering;

use super::tsvector;
use crate::{Error, Result};

pub use super::tsquery_parse::{Mode, Pol, Pushed, parse, parse_with};

/// Phrase distances are 0..=16384 (`MAXENTRYPOS`).
pub const MAX_DISTANCE: i64 = 16384;

/// One operand: a lexeme, a weight mask (bit 3 = A ... bit 0 = D; 0 = any) and whether
/// it matches as a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Operand {
    pub word: String,
    pub weight: u8,
    pub prefix: bool,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    And,
    Or,
    /// `<N>`: the right operand N positions after the left one.
    Phrase(u16),
}

/// One node of a query tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueryItem {
    Val(Operand),
    Not(Box<QueryItem>),
    Bin(BinOp, Box<QueryItem>, Box<QueryItem>),
}

/// A `tsquery` value: a tree, or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TsQuery {
    pub root: Option<QueryItem>,
}

impl QueryItem {
    /// An operand node.
    pub fn val(word: &str, weight: u8, prefix: bool) -> QueryItem {
        QueryItem::Val(Operand {
            word: word.to_string(),
            weight,
            prefix,
        })
    }

    pub fn bin(op: BinOp, l: QueryItem, r: QueryItem) -> QueryItem {
        QueryItem::Bin(op, Box::new(l), Box::new(r))
    }

    /// Calls `f` on every node in PostgreSQL's storage order: a node, then (for binary
    /// operators) its right operand, then its left.
    pub fn polish<'a>(&'a self, f: &mut dyn FnMut(&'a QueryItem)) {
        f(self);
        match self {
            QueryItem::Val(_) => {}
            QueryItem::Not(a) => a.polish(f),
            QueryItem::Bin(_, l, r) => {
                r.polish(f);
                l.polish(f);
            }
        }
    }

    /// The number of nodes.
    pub fn count(&self) -> usize {
        let mut n = 0;
        self.polish(&mut |_| n += 1);
        n
    }
}

impl TsQuery {
    pub fn new(root: QueryItem) -> TsQuery {
        TsQuery { root: Some(root) }
    }

    /// `numnode`: the number of nodes.
    pub fn size(&self) -> usize {
        self.root.as_ref().map_or(0, QueryItem::count)
    }

    /// The operands, in storage order.
    pub fn operands(&self) -> Vec<&Operand> {
        let mut out = Vec::new();
        if let Some(r) = &self.root {
            r.polish(&mut |i| {
                if let QueryItem::Val(o) = i {
                    out.push(o);
                }
            });
        }
        out
    }
}

fn bin_priority(op: BinOp) -> i32 {
    match op {
        BinOp::Phrase(_) => 3,
        BinOp::And => 2,
        BinOp::Or => 1,
    }
}

fn infix(out: &mut String, item: &QueryItem, parent: i32, right_phrase: bool) {
    match item {
        QueryItem::Val(o) => {
            tsvector::quote_lexeme(out, &o.word);
            if o.weight != 0 || o.prefix {
                out.push(':');
                if o.prefix {
                    out.push('*');
                }
                for (bit, c) in [(8, 'A'), (4, 'B'), (2, 'C'), (1, 'D')] {
                    if o.weight & bit != 0 {
                        out.push(c);
                    }
                }
            }
        }
        QueryItem::Not(a) => {
            let paren = 4 < parent;
            if paren {
                out.push_str("( ");
            }
            out.push('!');
            infix(out, a, 4, false);
            if paren {
                out.push_str(" )");
            }
        }
        QueryItem::Bin(op, l, r) => {
            let p = bin_priority(*op);
            let is_phrase = matches!(op, BinOp::Phrase(_));
            let paren = p < parent || (is_phrase && right_phrase);
            if paren {
                out.push_str("( ");
            }
            infix(out, l, p, false);
            match op {
                BinOp::Or => out.push_str(" | "),
                BinOp::And => out.push_str(" & "),
                BinOp::Phrase(1) => out.push_str(" <-> "),
                BinOp::Phrase(d) => out.push_str(&format!(" <{d}> ")),
            }
            infix(out, r, p, is_phrase);
            if paren {
                out.push_str(" )");
            }
        }
    }
}

/// `tsqueryout` of a subtree.
pub fn format_item(item: &QueryItem) -> String {
    let mut out = String::new();
    infix(&mut out, item, -1, false);
    out
}

/// `tsqueryout`.
pub fn format(q: &TsQuery) -> String {
    q.root.as_ref().map(format_item).unwrap_or_default()
}

/// PostgreSQL's `VARSIZE`: header, 12 bytes per node, each operand's bytes and a NUL.
pub fn varsize(q: &TsQuery) -> usize {
    let ops: usize = q.operands().iter().map(|o| o.word.len() + 1).sum();
    8 + 12 * q.size() + ops
}

/// The order of [`TsQuery`] values. See the module docs.
pub fn cmp(a: &TsQuery, b: &TsQuery) -> Ordering {
    a.size()
        .cmp(&b.size())
        .then_with(|| varsize(a).cmp(&varsize(b)))
        .then_with(|| item_keys(a).cmp(&item_keys(b)))
}

/// The nodes in storage order as comparable keys (kind, operator or operand).
fn item_keys(q: &TsQuery) -> Vec<(u8, u16, &str, u8, bool)> {
    let mut out = Vec::new();
    if let Some(r) = &q.root {
        r.polish(&mut |i| {
            out.push(match i {
                QueryItem::Val(o) => (0, 0, o.word.as_str(), o.weight, o.prefix),
                QueryItem::Not(_) => (1, 0, "", 0, false),
                QueryItem::Bin(BinOp::And, ..) => (2, 0, "", 0, false),
                QueryItem::Bin(BinOp::Or, ..) => (3, 0, "", 0, false),
                QueryItem::Bin(BinOp::Phrase(d), ..) => (4, *d, "", 0, false),
            })
        });
    }
    out
}

/// `tsquerysend`.
pub fn send(q: &TsQuery, out: &mut Vec<u8>) {
    out.extend_from_slice(&(q.size() as i32).to_be_bytes());
    if let Some(r) = &q.root {
        r.polish(&mut |i| match i {
            QueryItem::Val(o) => {
                out.extend_from_slice(&[1, o.weight, u8::from(o.prefix)]);
                out.extend_from_slice(o.word.as_bytes());
                out.push(0);
            }
            QueryItem::Not(_) => out.extend_from_slice(&[2, 1]),
            QueryItem::Bin(BinOp::And, ..) => out.extend_from_slice(&[2, 2]),
            QueryItem::Bin(BinOp::Or, ..) => out.extend_from_slice(&[2, 3]),
            QueryItem::Bin(BinOp::Phrase(d), ..) => {
                out.extend_from_slice(&[2, 4]);
                out.extend_from_slice(&d.to_be_bytes());
            }
        });
    }
}

/// `tsqueryrecv`: the value [`send`] writes, and the bytes it used.
pub fn recv(b: &[u8]) -> Result<(TsQuery, usize)> {
    let bad = |m: &str| Error::InvalidBinaryRepresentation(m.to_string());
    let short = || bad("insufficient data left in message");
    let byte = |at: usize| b.get(at).copied().ok_or_else(short);
    let n = i32::from_be_bytes(
        b.get(..4)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    if n < 0 {
        return Err(bad("invalid size of tsquery"));
    }
    let mut at = 4;
    let mut items = Vec::new();
    for _ in 0..n {
        match byte(at)? {
            1 => {
                let (weight, prefix) = (byte(at + 1)?, byte(at + 2)?);
                if weight > 0xF {
                    return Err(bad("invalid tsquery: invalid weight bitmap"));
                }
                let rest = b.get(at + 3..).ok_or_else(short)?;
                let nul = rest
                    .iter()
                    .position(|c| *c == 0)
                    .ok_or_else(|| bad("invalid string in message"))?;
                let word = std::str::from_utf8(&rest[..nul])
                    .map_err(|_| bad("invalid byte sequence for encoding \"UTF8\""))?;
                if word.len() > tsvector::MAX_LEXEME {
                    return Err(bad("invalid tsquery: operand too long"));
                }
                items.push(Pol::Val(Operand {
                    word: word.to_string(),
                    weight,
                    prefix: prefix != 0,
                }));
                at += 3 + nul + 1;
            }
            2 => {
                let op = match byte(at + 1)? {
                    1 => Pol::Not,
                    2 => Pol::Bin(BinOp::And),
                    3 => Pol::Bin(BinOp::Or),
                    4 => {
                        let d = u16::from_be_bytes([byte(at + 2)?, byte(at + 3)?]);
                        at += 2;
                        Pol::Bin(BinOp::Phrase(d))
                    }
                    o => return Err(bad(&format!("unrecognized operator type {o} in tsquery"))),
                };
                at += 2;
                items.push(op);
            }
            t => return Err(bad(&format!("unrecognized tsquery node type: {t}"))),
        }
    }
    if items.is_empty() {
        return Ok((TsQuery::default(), at));
    }
    // Prefix order with the right operand first is postfix order read backwards.
    let mut stack: Vec<QueryItem> = Vec::new();
    let malformed = || bad("malformed tsquery: operand not found");
    for item in items.into_iter().rev() {
        let node = match item {
            Pol::Val(o) => QueryItem::Val(o),
            Pol::Not => QueryItem::Not(Box::new(stack.pop().ok_or_else(malformed)?)),
            Pol::Bin(op) => {
                let r = stack.pop().ok_or_else(malformed)?;
                let l = stack.pop().ok_or_else(malformed)?;
                QueryItem::bin(op, l, r)
            }
            Pol::Stop => return Err(malformed()),
        };
        stack.push(node);
    }
    let root = stack.pop().ok_or_else(malformed)?;
    if !stack.is_empty() {
        return Err(bad("malformed tsquery: extra nodes"));
    }
    Ok((TsQuery::new(root), at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str) -> String {
        format(&parse(s).unwrap())
    }

    #[test]
    fn input_output_as_postgres() {
        assert_eq!(round("a & b <-> c | !d"), "'a' & 'b' <-> 'c' | !'d'");
        assert_eq!(round("(a | b) & c"), "( 'a' | 'b' ) & 'c'");
        assert_eq!(round("a <2> (b | c)"), "'a' <2> ( 'b' | 'c' )");
        assert_eq!(round("a <-> (b <-> c)"), "'a' <-> ( 'b' <-> 'c' )");
        assert_eq!(round("(a <-> b) <-> c"), "'a' <-> 'b' <-> 'c'");
        assert_eq!(round("!(a & b)"), "!( 'a' & 'b' )");
        assert_eq!(round("!!a"), "!!'a'");
        assert_eq!(round("a:*AB & b:c"), "'a':*AB & 'b':C");
        assert!(parse("a b").is_err());
        assert!(parse("a<b").is_err());
        assert_eq!(round(""), "");
    }

    #[test]
    fn binary_round_trip() {
        let q = parse("a:*A & !(b <3> c) | d").unwrap();
        let mut out = Vec::new();
        send(&q, &mut out);
        assert_eq!(recv(&out).unwrap(), (q, out.len()));
    }
}
