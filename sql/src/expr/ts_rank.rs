//! `ts_rank` and `ts_rank_cd`, translated from PostgreSQL's `tsrank.c` with its `float4` /
//! `double` mix kept, so results print as PostgreSQL's do.
//!
//! * Weights are `{D, C, B, A}`, default `{0.1, 0.2, 0.4, 1.0}`; a negative weight takes
//!   the default, one above 1 is 22023 "weight out of range".
//! * `ts_rank`: a query whose top node is `&` or `<N>` with two or more distinct operands
//!   ranks by word proximity (`calc_rank_and`), anything else by frequency
//!   (`calc_rank_or`).
//! * `ts_rank_cd`: cover density — minimal extents of the document that satisfy the query
//!   (`Cover`), weighted by their length and the noise inside.
//! * Normalization flags: 1 divides by 1 + log2 of the length (natural log for
//!   `ts_rank_cd`), 2 by the length, 4 by the mean extent distance (`ts_rank_cd` only),
//!   8 by the number of unique lexemes, 16 by 1 + log2 of it, 32 maps r to r / (r + 1).

use super::ts_match::{Exec, Phrase, Tri, matching};
use crate::types::tsquery::{BinOp, Operand, QueryItem, TsQuery};
use crate::types::tsvector::{self, TsVector, pos_of, weight_of};
use crate::{Error, Result};

const DEFAULT_WEIGHTS: [f32; 4] = [0.1, 0.2, 0.4, 1.0];

/// `getWeights`: the weights from an optional array argument.
pub fn weights(arr: Option<&[Option<f64>]>) -> Result<[f32; 4]> {
    let Some(a) = arr else {
        return Ok(DEFAULT_WEIGHTS);
    };
    if a.len() < 4 {
        return Err(Error::ArraySubscriptError(
            "array of weight is too short".into(),
        ));
    }
    let mut w = [0f32; 4];
    for i in 0..4 {
        let v = a[i].ok_or_else(|| {
            Error::NullValueNotAllowed("array of weight must not contain nulls".into())
        })? as f32;
        w[i] = if v >= 0.0 { v } else { DEFAULT_WEIGHTS[i] };
        if w[i] > 1.0 {
            return Err(Error::InvalidParameterValue("weight out of range".into()));
        }
    }
    Ok(w)
}

fn word_distance(w: i32) -> f32 {
    if w > 100 {
        return 1e-30;
    }
    (1.0 / (1.005 + 0.05 * ((w as f32) as f64 / 1.5 - 2.0).exp())) as f32
}

/// `cnt_length`: positions counted, a lexeme without any counting one.
fn cnt_length(t: &TsVector) -> i32 {
    t.lexemes.iter().map(|l| l.pos.len().max(1) as i32).sum()
}

/// `SortAndUniqItems`: the query's distinct operands (by lexeme), sorted.
fn sorted_items(q: &TsQuery) -> Vec<&Operand> {
    let mut items = q.operands();
    items.sort_by(|a, b| tsvector::cmp_lexeme(&a.word, &b.word));
    items.dedup_by(|a, b| a.word == b.word);
    items
}

fn calc_rank_and(w: &[f32; 4], t: &TsVector, q: &TsQuery) -> f32 {
    let items = sorted_items(q);
    if items.len() < 2 {
        return calc_rank_or(w, t, q);
    }
    const POSNULL: u16 = tsvector::MAX_POS;
    let mut pos: Vec<Option<(Vec<u16>, bool)>> = vec![None; items.len()];
    let mut res: f32 = -1.0;
    for i in 0..items.len() {
        for k_entry in matching(t, items[i]) {
            let l = &t.lexemes[k_entry];
            pos[i] = Some(if l.pos.is_empty() {
                (vec![POSNULL], true)
            } else {
                (l.pos.clone(), false)
            });
            let (post, inull) = pos[i].clone().unwrap_or_default();
            for pk in pos.iter().take(i).flatten() {
                let (ct, knull) = pk;
                for &pl in &post {
                    for &pp in ct {
                        let mut dist = (i32::from(pos_of(pl)) - i32::from(pos_of(pp))).abs();
                        if dist != 0 || inull || *knull {
                            if dist == 0 {
                                dist = i32::from(tsvector::MAX_POS) + 1;
                            }
                            let wl = w[weight_of(pl) as usize];
                            let wp = w[weight_of(pp) as usize];
                            let curw = (f64::from(wl * wp * word_distance(dist))).sqrt() as f32;
                            res = if res < 0.0 {
                                curw
                            } else {
                                (1.0 - (1.0 - f64::from(res)) * (1.0 - f64::from(curw))) as f32
                            };
                        }
                    }
                }
            }
        }
    }
    res
}

fn calc_rank_or(w: &[f32; 4], t: &TsVector, q: &TsQuery) -> f32 {
    let items = sorted_items(q);
    let mut res: f32 = 0.0;
    for item in &items {
        for k in matching(t, item) {
            let l = &t.lexemes[k];
            let post: Vec<u16> = if l.pos.is_empty() {
                vec![0]
            } else {
                l.pos.clone()
            };
            let mut resj: f32 = 0.0;
            let mut wjm: f32 = -1.0;
            let mut jm: i32 = 0;
            for (j, p) in post.iter().enumerate() {
                let wp = w[weight_of(*p) as usize];
                let jj = (j as i32 + 1) * (j as i32 + 1);
                resj += wp / jj as f32;
                if wp > wjm {
                    wjm = wp;
                    jm = j as i32;
                }
            }
            let jj = ((jm + 1) * (jm + 1)) as f32;
            res = (f64::from(res) + f64::from(wjm + resj - wjm / jj) / 1.64493406685) as f32;
        }
    }
    if !items.is_empty() {
        res /= items.len() as f32;
    }
    res
}

/// `ts_rank(weights, vector, query, normalization)`.
pub fn rank(w: &[f32; 4], t: &TsVector, q: &TsQuery, method: i32) -> f32 {
    let Some(root) = &q.root else {
        return 0.0;
    };
    if t.lexemes.is_empty() {
        return 0.0;
    }
    let mut res = match root {
        QueryItem::Bin(BinOp::And | BinOp::Phrase(_), ..) => calc_rank_and(w, t, q),
        _ => calc_rank_or(w, t, q),
    };
    if res < 0.0 {
        res = 1e-20;
    }
    let size = t.lexemes.len();
    if method & 1 != 0 {
        res = (f64::from(res) / ((f64::from(cnt_length(t) + 1)).ln() / 2f64.ln())) as f32;
    }
    if method & 2 != 0 {
        let len = cnt_length(t);
        if len > 0 {
            res /= len as f32;
        }
    }
    if method & 8 != 0 {
        res /= size as f32;
    }
    if method & 16 != 0 {
        res = (f64::from(res) / (((size + 1) as f64).ln() / 2f64.ln())) as f32;
    }
    if method & 32 != 0 {
        res /= res + 1.0;
    }
    res
}

/// One entry of the document representation: a position (with weight), the lexeme's
/// index, and the query operands (node indexes) that matched there.
struct DocEntry {
    pos: u16,
    entry: usize,
    items: Vec<usize>,
}

/// `get_docrep`.
fn docrep(t: &TsVector, q: &TsQuery) -> Vec<DocEntry> {
    let mut raw: Vec<(u16, usize, usize)> = Vec::new();
    if let Some(root) = &q.root {
        let mut idx = 0;
        root.polish(&mut |n| {
            if let QueryItem::Val(o) = n {
                for k in matching(t, o) {
                    for &p in &t.lexemes[k].pos {
                        if o.weight == 0 || o.weight & (1 << weight_of(p)) != 0 {
                            raw.push((p, k, idx));
                        }
                    }
                }
            }
            idx += 1;
        });
    }
    raw.sort_by(|a, b| {
        pos_of(a.0)
            .cmp(&pos_of(b.0))
            .then(weight_of(a.0).cmp(&weight_of(b.0)))
            .then(a.1.cmp(&b.1))
    });
    let mut out: Vec<DocEntry> = Vec::new();
    for (p, k, item) in raw {
        match out.last_mut() {
            Some(last) if last.pos == p && last.entry == k => last.items.push(item),
            _ => out.push(DocEntry {
                pos: p,
                entry: k,
                items: vec![item],
            }),
        }
    }
    out
}

/// Per operand node: the positions collected while scanning a stretch of the document.
#[derive(Clone, Default)]
struct OperandData {
    exists: bool,
    pos: Vec<u16>,
}

fn fill(data: &mut [OperandData], e: &DocEntry, reverse: bool) {
    for &i in &e.items {
        let d = &mut data[i];
        d.exists = true;
        let last = if reverse { d.pos.first() } else { d.pos.last() };
        if last.is_none_or(|l| pos_of(*l) != pos_of(e.pos)) {
            if reverse {
                d.pos.insert(0, e.pos);
            } else {
                d.pos.push(e.pos);
            }
        }
    }
}

fn satisfied(root: &QueryItem, data: &[OperandData]) -> bool {
    let mut check = |i: usize, _: &Operand, ph: Option<&mut Phrase>| {
        let d = &data[i];
        if !d.exists {
            return Tri::No;
        }
        if let Some(ph) = ph {
            ph.pos = d.pos.clone();
        }
        Tri::Yes
    };
    let mut exec = Exec::new(root, &mut check);
    exec.run(root) != Tri::No
}

struct Ext {
    pos: usize,
    p: i32,
    q: i32,
    begin: usize,
    end: usize,
}

/// `Cover`: the next minimal extent from `ext.pos` on.
fn cover(doc: &[DocEntry], root: &QueryItem, nitems: usize, ext: &mut Ext) -> bool {
    loop {
        let mut data = vec![OperandData::default(); nitems];
        ext.p = i32::MAX;
        ext.q = 0;
        let mut lastpos = ext.pos;
        let mut found = false;
        let mut i = ext.pos;
        while i < doc.len() {
            fill(&mut data, &doc[i], false);
            if satisfied(root, &data) {
                if i32::from(pos_of(doc[i].pos)) > ext.q {
                    ext.q = i32::from(pos_of(doc[i].pos));
                    ext.end = i;
                    lastpos = i;
                    found = true;
                }
                break;
            }
            i += 1;
        }
        if !found {
            return false;
        }
        let mut data = vec![OperandData::default(); nitems];
        let mut j = lastpos as isize;
        while j >= ext.pos as isize {
            let e = &doc[j as usize];
            fill(&mut data, e, true);
            if satisfied(root, &data) {
                if i32::from(pos_of(e.pos)) < ext.p {
                    ext.begin = j as usize;
                    ext.p = i32::from(pos_of(e.pos));
                }
                break;
            }
            j -= 1;
        }
        if ext.p <= ext.q {
            ext.pos = (j + 1) as usize;
            return true;
        }
        ext.pos += 1;
    }
}

/// `ts_rank_cd(weights, vector, query, normalization)`.
pub fn rank_cd(w: &[f32; 4], t: &TsVector, q: &TsQuery, method: i32) -> f32 {
    let Some(root) = &q.root else {
        return 0.0;
    };
    let invws: Vec<f64> = w.iter().map(|x| 1.0 / f64::from(*x)).collect();
    let doc = docrep(t, q);
    if doc.is_empty() {
        return 0.0;
    }
    let nitems = q.size();
    let mut ext = Ext {
        pos: 0,
        p: 0,
        q: 0,
        begin: 0,
        end: 0,
    };
    let (mut wdoc, mut sum_dist, mut prev) = (0.0f64, 0.0f64, 0.0f64);
    let mut nextent = 0;
    while cover(&doc, root, nitems, &mut ext) {
        let inv: f64 = doc[ext.begin..=ext.end]
            .iter()
            .map(|e| invws[weight_of(e.pos) as usize])
            .sum();
        let cpos = (ext.end - ext.begin + 1) as f64 / inv;
        let span = (ext.end - ext.begin) as i32;
        let mut noise = (ext.q - ext.p) - span;
        if noise < 0 {
            noise = span / 2;
        }
        wdoc += cpos / f64::from(1 + noise);
        let cur = f64::from(ext.q + ext.p) / 2.0;
        if nextent > 0 && cur > prev {
            sum_dist += 1.0 / (cur - prev);
        }
        prev = cur;
        nextent += 1;
    }
    let size = t.lexemes.len();
    if method & 1 != 0 && size > 0 {
        wdoc /= f64::from(cnt_length(t) + 1).ln();
    }
    if method & 2 != 0 {
        let len = cnt_length(t);
        if len > 0 {
            wdoc /= f64::from(len);
        }
    }
    if method & 4 != 0 && nextent > 0 && sum_dist > 0.0 {
        wdoc /= f64::from(nextent) / sum_dist;
    }
    if method & 8 != 0 && size > 0 {
        wdoc /= size as f64;
    }
    if method & 16 != 0 && size > 0 {
        wdoc /= ((size + 1) as f64).ln() / 2f64.ln();
    }
    if method & 32 != 0 {
        wdoc /= wdoc + 1.0;
    }
    wdoc as f32
}
