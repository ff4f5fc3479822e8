//! Key encoding of `tsvector` (tag 0x15) and `tsquery` (tag 0x16) values (see the module
//! docs of [`super`]).
//!
//! `tsvector`: its PostgreSQL size and lexeme count (4 bytes big-endian each), then per
//! lexeme 0x00 when it has positions (those sort first) or 0x01, the lexeme escaped like
//! text, and with positions their count and each position and weight bit-inverted (more
//! positions, higher positions and weights sort first): `tsvector_cmp`'s order.
//!
//! `tsquery`: its node count and size (4 bytes big-endian each), then per node in storage
//! order its kind, phrase distance (2 bytes), operand escaped like text, weight mask and
//! prefix flag: the order of [`sql::types::tsquery::cmp`].

use sql::types::tsquery::{self, BinOp, Operand, QueryItem, TsQuery};
use sql::types::tsvector::{self, Lexeme, TsVector};

use super::{put_escaped, take_escaped};
use crate::error::{Error, Result};

pub(super) const TAG_TSVECTOR: u8 = 0x15;
pub(super) const TAG_TSQUERY: u8 = 0x16;

fn bad(what: &str) -> Error {
    Error::decode("key", what.to_string())
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| bad("truncated text-search value"))?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn text(&mut self) -> Result<String> {
        let rest = self.b.get(self.at..).ok_or_else(|| bad("truncated text"))?;
        let (t, used) = take_escaped(rest)?;
        self.at += used;
        String::from_utf8(t).map_err(|_| bad("text-search lexeme is not UTF-8"))
    }
}

pub(super) fn encode_tsvector(v: &TsVector, out: &mut Vec<u8>) {
    out.push(TAG_TSVECTOR);
    out.extend_from_slice(&(tsvector::varsize(v) as u32).to_be_bytes());
    out.extend_from_slice(&(v.lexemes.len() as u32).to_be_bytes());
    for l in &v.lexemes {
        out.push(u8::from(l.pos.is_empty()));
        put_escaped(out, l.word.as_bytes());
        if !l.pos.is_empty() {
            out.extend_from_slice(&(!(l.pos.len() as u16)).to_be_bytes());
            for p in &l.pos {
                let (pos, w) = (tsvector::pos_of(*p), tsvector::weight_of(*p));
                out.extend_from_slice(&(!pos).to_be_bytes());
                out.push(!(w as u8));
            }
        }
    }
}

pub(super) fn decode_tsvector(bytes: &[u8]) -> Result<(TsVector, usize)> {
    let mut c = Cursor { b: bytes, at: 1 };
    let _size = c.u32()?;
    let n = c.u32()?;
    let mut lexemes = Vec::new();
    for _ in 0..n {
        let no_pos = c.u8()?;
        let word = c.text()?;
        let mut pos = Vec::new();
        if no_pos == 0 {
            let np = !c.u16()?;
            for _ in 0..np {
                let p = !c.u16()?;
                let w = !c.u8()?;
                pos.push(tsvector::make_pos(p, u16::from(w & 3)));
            }
        }
        lexemes.push(Lexeme { word, pos });
    }
    Ok((TsVector { lexemes }, c.at))
}

pub(super) fn encode_tsquery(q: &TsQuery, out: &mut Vec<u8>) {
    out.push(TAG_TSQUERY);
    out.extend_from_slice(&(q.size() as u32).to_be_bytes());
    out.extend_from_slice(&(tsquery::varsize(q) as u32).to_be_bytes());
    if let Some(r) = &q.root {
        r.polish(&mut |i| {
            let (kind, d, op) = match i {
                QueryItem::Val(o) => (0u8, 0u16, Some(o)),
                QueryItem::Not(_) => (1, 0, None),
                QueryItem::Bin(BinOp::And, ..) => (2, 0, None),
                QueryItem::Bin(BinOp::Or, ..) => (3, 0, None),
                QueryItem::Bin(BinOp::Phrase(d), ..) => (4, *d, None),
            };
            out.push(kind);
            out.extend_from_slice(&d.to_be_bytes());
            let (word, weight, prefix) =
                op.map_or(("", 0, false), |o| (&o.word[..], o.weight, o.prefix));
            put_escaped(out, word.as_bytes());
            out.extend_from_slice(&[weight, u8::from(prefix)]);
        });
    }
}

pub(super) fn decode_tsquery(bytes: &[u8]) -> Result<(TsQuery, usize)> {
    let mut c = Cursor { b: bytes, at: 1 };
    let n = c.u32()?;
    let _size = c.u32()?;
    let mut items = Vec::new();
    for _ in 0..n {
        let kind = c.u8()?;
        let d = c.u16()?;
        let word = c.text()?;
        let weight = c.u8()?;
        let prefix = c.u8()? != 0;
        items.push((
            kind,
            d,
            Operand {
                word,
                weight,
                prefix,
            },
        ));
    }
    // Storage order is prefix order with right operands first: build from the end.
    let mut stack: Vec<QueryItem> = Vec::new();
    for (kind, d, o) in items.into_iter().rev() {
        let node = match kind {
            0 => QueryItem::Val(o),
            1 => QueryItem::Not(Box::new(stack.pop().ok_or_else(|| bad("tsquery key"))?)),
            2..=4 => {
                let r = stack.pop().ok_or_else(|| bad("tsquery key"))?;
                let l = stack.pop().ok_or_else(|| bad("tsquery key"))?;
                let op = match kind {
                    2 => BinOp::And,
                    3 => BinOp::Or,
                    _ => BinOp::Phrase(d),
                };
                QueryItem::bin(op, l, r)
            }
            _ => return Err(bad("tsquery key node kind")),
        };
        stack.push(node);
    }
    let root = stack.pop();
    if !stack.is_empty() {
        return Err(bad("tsquery key"));
    }
    Ok((TsQuery { root }, c.at))
}
