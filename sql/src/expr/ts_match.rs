//! `tsvector @@ tsquery`: PostgreSQL's `TS_execute` with phrase matching
//! (`tsvector_op.c`), over a callback that checks one operand.
//!
//! Boolean operators evaluate in three-valued logic (`TS_YES` / `TS_NO` / `TS_MAYBE`).
//! A phrase operator (`<N>`) needs positions: its operands yield [`Phrase`] data (a sorted
//! list of match positions, a width, and whether the list is negated — `!a` matches
//! "everywhere but these"), which `TS_phrase_output` merge-joins with the operator's
//! offsets. A lexeme of a stripped tsvector has no positions: it makes a phrase MAYBE,
//! which the match reports as no match. Weight-restricted operands (`'a':AB`) keep only
//! positions of those weights; prefix operands (`'a':*`) join every lexeme they prefix.

use crate::types::tsquery::{BinOp, Operand, QueryItem, TsQuery};
use crate::types::tsvector::{TsVector, pos_of, weight_of};

/// Three-valued result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    No,
    Yes,
    Maybe,
}

/// Positions an operand or sub-phrase matches at (`ExecPhraseData`).
#[derive(Debug, Clone, Default)]
pub struct Phrase {
    pub pos: Vec<u16>,
    pub negate: bool,
    pub width: i32,
}

/// Checks one operand (its index among the query's nodes in storage order); fills
/// `data` with its positions when asked for them.
pub type Check<'a> = dyn FnMut(usize, &Operand, Option<&mut Phrase>) -> Tri + 'a;

/// Numbers every node in storage order so callbacks can tell operands apart.
fn index_of(root: &QueryItem, target: *const QueryItem) -> usize {
    let mut i = 0;
    let mut found = 0;
    root.polish(&mut |n| {
        if std::ptr::eq(n, target) {
            found = i;
        }
        i += 1;
    });
    found
}

/// An evaluator over one query tree.
pub struct Exec<'q, 'c> {
    root: &'q QueryItem,
    check: &'c mut Check<'c>,
}

impl<'q, 'c> Exec<'q, 'c> {
    pub fn new(root: &'q QueryItem, check: &'c mut Check<'c>) -> Self {
        Exec { root, check }
    }

    fn operand(&mut self, item: &QueryItem, o: &Operand, data: Option<&mut Phrase>) -> Tri {
        let idx = index_of(self.root, item);
        (self.check)(idx, o, data)
    }

    /// `TS_execute_recurse`.
    pub fn run(&mut self, item: &QueryItem) -> Tri {
        match item {
            QueryItem::Val(o) => self.operand(item, o, None),
            QueryItem::Not(a) => match self.run(a) {
                Tri::No => Tri::Yes,
                Tri::Yes => Tri::No,
                Tri::Maybe => Tri::Maybe,
            },
            QueryItem::Bin(BinOp::And, l, r) => {
                let lm = self.run(l);
                if lm == Tri::No {
                    return Tri::No;
                }
                match self.run(r) {
                    Tri::No => Tri::No,
                    Tri::Yes => lm,
                    Tri::Maybe => Tri::Maybe,
                }
            }
            QueryItem::Bin(BinOp::Or, l, r) => {
                let lm = self.run(l);
                if lm == Tri::Yes {
                    return Tri::Yes;
                }
                match self.run(r) {
                    Tri::No => lm,
                    Tri::Yes => Tri::Yes,
                    Tri::Maybe => Tri::Maybe,
                }
            }
            QueryItem::Bin(BinOp::Phrase(_), ..) => match self.phrase(item, None) {
                Tri::Yes => Tri::Yes,
                _ => Tri::No,
            },
        }
    }

    /// `TS_phrase_execute`.
    fn phrase(&mut self, item: &QueryItem, mut data: Option<&mut Phrase>) -> Tri {
        match item {
            QueryItem::Val(o) => self.operand(item, o, data),
            QueryItem::Not(a) => {
                let mut tmp = Phrase::default();
                let d = match data.as_deref_mut() {
                    Some(d) => d,
                    None => &mut tmp,
                };
                match self.phrase(a, Some(&mut *d)) {
                    Tri::No => {
                        d.negate = true;
                        Tri::Yes
                    }
                    Tri::Yes if !d.pos.is_empty() => {
                        d.negate = !d.negate;
                        Tri::Yes
                    }
                    Tri::Yes if d.negate => {
                        d.negate = false;
                        Tri::No
                    }
                    Tri::Yes => Tri::No,
                    Tri::Maybe => Tri::Maybe,
                }
            }
            QueryItem::Bin(op, l, r) => {
                let (mut ld, mut rd) = (Phrase::default(), Phrase::default());
                const BOTH: u8 = 1;
                const L_ONLY: u8 = 2;
                const R_ONLY: u8 = 4;
                if *op == BinOp::Or {
                    let lm = self.phrase(l, Some(&mut ld));
                    let rm = self.phrase(r, Some(&mut rd));
                    if lm == Tri::No && rm == Tri::No {
                        return Tri::No;
                    }
                    if lm == Tri::Maybe || rm == Tri::Maybe {
                        return Tri::Maybe;
                    }
                    if lm == Tri::No {
                        ld.width = 0;
                    }
                    if rm == Tri::No {
                        rd.width = 0;
                    }
                    let maxw = ld.width.max(rd.width);
                    let (lo, ro) = (maxw - ld.width, maxw - rd.width);
                    if let Some(d) = data.as_deref_mut() {
                        d.width = maxw;
                    }
                    return if ld.negate && rd.negate {
                        output(data.as_deref_mut(), &ld, &rd, BOTH, lo, ro);
                        set_negate(data);
                        Tri::Yes
                    } else if ld.negate {
                        output(data.as_deref_mut(), &ld, &rd, L_ONLY, lo, ro);
                        set_negate(data);
                        Tri::Yes
                    } else if rd.negate {
                        output(data.as_deref_mut(), &ld, &rd, R_ONLY, lo, ro);
                        set_negate(data);
                        Tri::Yes
                    } else {
                        output(data, &ld, &rd, BOTH | L_ONLY | R_ONLY, lo, ro)
                    };
                }
                let lm = self.phrase(l, Some(&mut ld));
                if lm == Tri::No {
                    return Tri::No;
                }
                let rm = self.phrase(r, Some(&mut rd));
                if rm == Tri::No {
                    return Tri::No;
                }
                if lm == Tri::Maybe || rm == Tri::Maybe {
                    return Tri::Maybe;
                }
                let (lo, ro) = match op {
                    BinOp::Phrase(dist) => {
                        if let Some(d) = data.as_deref_mut() {
                            d.width = i32::from(*dist) + ld.width + rd.width;
                        }
                        (i32::from(*dist) + rd.width, 0)
                    }
                    _ => {
                        let maxw = ld.width.max(rd.width);
                        if let Some(d) = data.as_deref_mut() {
                            d.width = maxw;
                        }
                        (maxw - ld.width, maxw - rd.width)
                    }
                };
                if ld.negate && rd.negate {
                    output(
                        data.as_deref_mut(),
                        &ld,
                        &rd,
                        BOTH | L_ONLY | R_ONLY,
                        lo,
                        ro,
                    );
                    set_negate(data);
                    Tri::Yes
                } else if ld.negate {
                    output(data, &ld, &rd, R_ONLY, lo, ro)
                } else if rd.negate {
                    output(data, &ld, &rd, L_ONLY, lo, ro)
                } else {
                    output(data, &ld, &rd, BOTH, lo, ro)
                }
            }
        }
    }
}

fn set_negate(data: Option<&mut Phrase>) {
    if let Some(d) = data {
        d.negate = true;
    }
}

/// `TS_phrase_output`: merge-joins two position lists shifted by their offsets.
fn output(data: Option<&mut Phrase>, l: &Phrase, r: &Phrase, emit: u8, lo: i32, ro: i32) -> Tri {
    let (mut li, mut ri) = (0, 0);
    let mut out: Vec<u16> = Vec::new();
    let want = data.is_some();
    while li < l.pos.len() || ri < r.pos.len() {
        let lp = match l.pos.get(li) {
            Some(p) => i32::from(pos_of(*p)) + lo,
            None if emit & 4 == 0 => break,
            None => i32::MAX,
        };
        let rp = match r.pos.get(ri) {
            Some(p) => i32::from(pos_of(*p)) + ro,
            None if emit & 2 == 0 => break,
            None => i32::MAX,
        };
        let mut emitted = 0;
        if lp < rp {
            if emit & 2 != 0 {
                emitted = lp;
            }
            li += 1;
        } else if lp == rp {
            if emit & 1 != 0 {
                emitted = rp;
            }
            li += 1;
            ri += 1;
        } else {
            if emit & 4 != 0 {
                emitted = rp;
            }
            ri += 1;
        }
        if emitted > 0 {
            if !want {
                return Tri::Yes;
            }
            out.push(emitted.min(i32::from(u16::MAX)) as u16);
        }
    }
    match data {
        Some(d) if !out.is_empty() => {
            d.pos = out;
            Tri::Yes
        }
        _ => Tri::No,
    }
}

/// `checkclass_str`: whether lexeme `k` of `v` satisfies the operand's weights, with its
/// positions when asked for.
fn check_class(v: &TsVector, k: usize, o: &Operand, data: Option<&mut Phrase>) -> Tri {
    let l = &v.lexemes[k];
    if l.pos.is_empty() {
        return if data.is_some() { Tri::Maybe } else { Tri::Yes };
    }
    match data {
        Some(d) if o.weight != 0 => {
            d.pos = l
                .pos
                .iter()
                .filter(|p| o.weight & (1 << weight_of(**p)) != 0)
                .map(|p| pos_of(*p))
                .collect();
            if d.pos.is_empty() { Tri::No } else { Tri::Yes }
        }
        None if o.weight != 0 => {
            if l.pos.iter().any(|p| o.weight & (1 << weight_of(*p)) != 0) {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        Some(d) => {
            d.pos = l.pos.iter().map(|p| pos_of(*p)).collect();
            Tri::Yes
        }
        None => Tri::Yes,
    }
}

/// The range of lexemes of `v` an operand matches: the exact lexeme, or with a prefix
/// operand every lexeme starting with it.
pub fn matching(v: &TsVector, o: &Operand) -> std::ops::Range<usize> {
    let word = o.word.as_bytes();
    let start = v.lexemes.partition_point(|l| l.word.as_bytes() < word);
    if o.prefix {
        let end = start
            + v.lexemes[start..]
                .iter()
                .take_while(|l| l.word.as_bytes().starts_with(word))
                .count();
        start..end
    } else if v.lexemes.get(start).is_some_and(|l| l.word == o.word) {
        start..start + 1
    } else {
        start..start
    }
}

/// `checkcondition_str`: one operand against a tsvector.
pub fn check_vector(v: &TsVector, o: &Operand, mut data: Option<&mut Phrase>) -> Tri {
    let range = matching(v, o);
    if !o.prefix {
        return match range.clone().next() {
            Some(k) => check_class(v, k, o, data),
            None => Tri::No,
        };
    }
    let mut res = Tri::No;
    let mut all: Vec<u16> = Vec::new();
    for k in range {
        match data.as_deref_mut() {
            Some(_) => {
                let mut d = Phrase::default();
                match check_class(v, k, o, Some(&mut d)) {
                    Tri::No => {}
                    Tri::Maybe => {
                        all.clear();
                        res = Tri::Maybe;
                        break;
                    }
                    Tri::Yes => all.extend(d.pos),
                }
            }
            None => match check_class(v, k, o, None) {
                Tri::Yes => return Tri::Yes,
                Tri::Maybe => res = Tri::Maybe,
                Tri::No => {}
            },
        }
    }
    if let Some(d) = data
        && !all.is_empty()
    {
        all.sort_unstable();
        all.dedup();
        d.pos = all;
        return Tri::Yes;
    }
    res
}

/// `ts_match_vq`: whether `v` matches `q` (an empty query matches nothing).
pub fn matches(v: &TsVector, q: &TsQuery) -> bool {
    let Some(root) = &q.root else {
        return false;
    };
    let mut check = |_: usize, o: &Operand, d: Option<&mut Phrase>| check_vector(v, o, d);
    let mut exec = Exec::new(root, &mut check);
    exec.run(root) != Tri::No
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{tsquery, tsvector};

    fn m(v: &str, q: &str) -> bool {
        matches(&tsvector::parse(v).unwrap(), &tsquery::parse(q).unwrap())
    }

    #[test]
    fn matches_as_postgres() {
        assert!(m("a:1 b:2", "a & b"));
        assert!(!m("a:1 b:2", "a & c"));
        assert!(m("a:1 b:2", "a <-> b"));
        assert!(!m("a:1 b:3", "a <-> b"));
        assert!(m("a:1 b:3", "a <2> b"));
        assert!(m("a:1 b:2", "!c"));
        assert!(m("a:1A b:2", "a:A"));
        assert!(!m("a:1A b:2", "b:A"));
        assert!(m("abc:1", "ab:*"));
        assert!(!m("a b", "a <-> b"));
        assert!(m("a b", "a & b"));
        assert!(m("a:1 b:2 c:3", "a <-> !c"));
        assert!(!m("a:1 b:2", "a <-> !b"));
    }
}
