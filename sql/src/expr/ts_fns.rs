//! Text-search functions and operators ([`crate::types::tsvector`],
//! [`crate::types::tsquery`]): `to_tsvector`, `to_tsquery`, `plainto_tsquery`,
//! `phraseto_tsquery`, `websearch_to_tsquery` (with or without a configuration, see
//! [`super::ts_config`]), `get_current_ts_config`, `ts_lexize`; `setweight`, `strip`,
//! `length`, `ts_delete`, `ts_filter`, `tsvector_to_array`, `array_to_tsvector`,
//! `numnode`, `querytree`, `tsquery_phrase`, `ts_rank`, `ts_rank_cd`
//! ([`super::ts_rank`]), `ts_headline` ([`super::ts_headline`]); the operators `@@`
//! (tsvector/tsquery either way round, text @@ tsquery, text @@ text;
//! [`super::ts_match`]), `tsvector || tsvector`, `tsquery && / || / <-> tsquery`,
//! `!! tsquery` and `tsquery @> / <@ tsquery`.

use super::functions::{Function, Resolved, accepts};
use super::ts_config::{self, Config, QueryKind};
use super::{ts_match, ts_rank};
use crate::types::tsquery::{self, BinOp, QueryItem, TsQuery};
use crate::types::tsvector::{self, Lexeme, TsVector};
use crate::types::{Array, DataType, Value};
use crate::{Error, Result};

/// A text-search function or operator. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsFn {
    /// `to_tsvector([config,] text)`: `true` when a configuration is given.
    ToTsVector(bool),
    /// `to_tsvector([config,] jsonb)`.
    JsonbToTsVector(bool),
    /// `to_tsvector([config,] json)` (no filter: strings), `json_to_tsvector` and
    /// `jsonb_to_tsvector([config,] doc, filter)` ([`super::json_ts`]).
    JsonToTsVector {
        given: bool,
        json: bool,
        filter: bool,
    },
    /// `to_tsquery` and its kin.
    ToTsQuery(QueryKind, bool),
    CurrentConfig,
    Lexize,
    /// `setweight(v, weight [, lexemes])`.
    SetWeight(bool),
    Strip,
    Length,
    /// `ts_delete(v, lexeme)` (`false`) or `ts_delete(v, lexemes[])`.
    Delete(bool),
    Filter,
    ToArray,
    FromArray,
    NumNode,
    QueryTree,
    /// `tsquery_phrase(a, b [, distance])` and `<->`.
    Phrase(bool),
    /// `ts_rank` (`false`) or `ts_rank_cd`, with a weights array first or not, with a
    /// normalization last or not.
    Rank {
        cd: bool,
        weights: bool,
        norm: bool,
    },
    /// `tsvector @@ tsquery` (or the other way round with `flip`).
    Match {
        flip: bool,
    },
    /// `text @@ tsquery`.
    MatchText,
    /// `text @@ text`.
    MatchTexts,
    Concat,
    And,
    Or,
    Not,
    /// `tsquery @> tsquery` (`tsq_mcontains`), or `<@` with `flip`.
    Contains {
        flip: bool,
    },
    /// `ts_headline([config,] document, query [, options])`.
    Headline {
        config: bool,
        opts: bool,
    },
}

fn kind_of(name: &str) -> Option<QueryKind> {
    Some(match name {
        "to_tsquery" => QueryKind::Standard,
        "plainto_tsquery" => QueryKind::Plain,
        "phraseto_tsquery" => QueryKind::Phrase,
        "websearch_to_tsquery" => QueryKind::Web,
        _ => return None,
    })
}

impl TsFn {
    /// Resolves a function of this family (`None`: not one of its names or signatures).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use DataType::{Char, Float4, Int4, RegConfig, Text, TsQuery as Q, TsVector as V};
        let text_arr = DataType::array_of(Text);
        let f4_arr = DataType::array_of(Float4);
        let char_arr = DataType::array_of(Char);
        let a = |want: &[DataType]| accepts(args, want);
        let (f, params, ret) = match name {
            "to_tsvector"
                if args.last() == Some(&DataType::Json)
                    && (a(&[RegConfig, DataType::Json]) || a(&[DataType::Json])) =>
            {
                let given = args.len() == 2;
                let params = if given {
                    vec![RegConfig, DataType::Json]
                } else {
                    vec![DataType::Json]
                };
                let f = TsFn::JsonToTsVector {
                    given,
                    json: true,
                    filter: false,
                };
                (f, params, V)
            }
            "json_to_tsvector" | "jsonb_to_tsvector" => {
                let doc = if name == "json_to_tsvector" {
                    DataType::Json
                } else {
                    DataType::Jsonb
                };
                let given = args.len() == 3;
                let params = if given {
                    vec![RegConfig, doc, DataType::Jsonb]
                } else {
                    vec![doc, DataType::Jsonb]
                };
                if !a(&params) {
                    return None;
                }
                let json = doc == DataType::Json;
                let f = TsFn::JsonToTsVector {
                    given,
                    json,
                    filter: true,
                };
                (f, params, V)
            }
            "to_tsvector" if a(&[RegConfig, Text]) => {
                (TsFn::ToTsVector(true), vec![RegConfig, Text], V)
            }
            "to_tsvector" if args.len() == 2 && args[1] == DataType::Jsonb => (
                TsFn::JsonbToTsVector(true),
                vec![RegConfig, DataType::Jsonb],
                V,
            ),
            "to_tsvector" if args == [DataType::Jsonb] => {
                (TsFn::JsonbToTsVector(false), vec![DataType::Jsonb], V)
            }
            "to_tsvector" if a(&[Text]) => (TsFn::ToTsVector(false), vec![Text], V),
            n if kind_of(n).is_some() && a(&[RegConfig, Text]) => {
                (TsFn::ToTsQuery(kind_of(n)?, true), vec![RegConfig, Text], Q)
            }
            n if kind_of(n).is_some() && a(&[Text]) => {
                (TsFn::ToTsQuery(kind_of(n)?, false), vec![Text], Q)
            }
            "ts_headline" => {
                use super::resolve::{Candidate, Target, choose};
                let h = |config, opts| TsFn::Headline { config, opts };
                let cands = [
                    Candidate::new(&[Text, Q], Text, h(false, false)),
                    Candidate::new(&[Text, Q, Text], Text, h(false, true)),
                    Candidate::new(&[RegConfig, Text, Q], Text, h(true, false)),
                    Candidate::new(&[RegConfig, Text, Q, Text], Text, h(true, true)),
                ];
                // PostgreSQL's json and jsonb overloads leave three unknown literals
                // ambiguous
                if args.len() == 3 && args.iter().all(|t| *t == DataType::Unknown) {
                    return Some(Err(Error::AmbiguousFunction(
                        "function ts_headline(unknown, unknown, unknown) is not unique".into(),
                    )));
                }
                return Some(
                    choose(Target::Function(name), args, &cands)
                        .map(|c| Resolved::new(Function::TextSearch(c.f), c.params, c.ret)),
                );
            }
            "get_current_ts_config" if args.is_empty() => (TsFn::CurrentConfig, vec![], RegConfig),
            "ts_lexize" if a(&[Text, Text]) => {
                (TsFn::Lexize, vec![Text, Text], DataType::array_of(Text))
            }
            "setweight" if a(&[V, Char]) => (TsFn::SetWeight(false), vec![V, Char], V),
            "setweight" if a(&[V, Char, text_arr]) => {
                (TsFn::SetWeight(true), vec![V, Char, text_arr], V)
            }
            "strip" if a(&[V]) => (TsFn::Strip, vec![V], V),
            "length" if args == [V] => (TsFn::Length, vec![V], Int4),
            "ts_delete"
                if args.first() == Some(&V)
                    && args.get(1).is_some_and(|t| t.elem().is_some())
                    && a(&[V, text_arr]) =>
            {
                (TsFn::Delete(true), vec![V, text_arr], V)
            }
            "ts_delete" if a(&[V, Text]) => (TsFn::Delete(false), vec![V, Text], V),
            "ts_filter" if a(&[V, char_arr]) => (TsFn::Filter, vec![V, char_arr], V),
            "tsvector_to_array" if a(&[V]) => (TsFn::ToArray, vec![V], text_arr),
            "array_to_tsvector" if a(&[text_arr]) => (TsFn::FromArray, vec![text_arr], V),
            "numnode" if a(&[Q]) => (TsFn::NumNode, vec![Q], Int4),
            "querytree" if a(&[Q]) => (TsFn::QueryTree, vec![Q], Text),
            "tsquery_phrase" if a(&[Q, Q]) => (TsFn::Phrase(false), vec![Q, Q], Q),
            "tsquery_phrase" if a(&[Q, Q, Int4]) => (TsFn::Phrase(true), vec![Q, Q, Int4], Q),
            "ts_rank" | "ts_rank_cd" => {
                let cd = name == "ts_rank_cd";
                let rank = |weights, norm| TsFn::Rank { cd, weights, norm };
                if a(&[V, Q]) {
                    (rank(false, false), vec![V, Q], Float4)
                } else if a(&[V, Q, Int4]) {
                    (rank(false, true), vec![V, Q, Int4], Float4)
                } else if a(&[f4_arr, V, Q]) {
                    (rank(true, false), vec![f4_arr, V, Q], Float4)
                } else if a(&[f4_arr, V, Q, Int4]) {
                    (rank(true, true), vec![f4_arr, V, Q, Int4], Float4)
                } else {
                    return None;
                }
            }
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::TextSearch(f), params, ret)))
    }

    /// The operators, when an operand is a tsvector or tsquery (or, for `@@`, text).
    pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
        use DataType::{Bool, Text, TsQuery as Q, TsVector as V, Unknown};
        let ts = |t: DataType| matches!(t, V | Q);
        if !ts(l) && !ts(r) && sym != "@@" {
            return None;
        }
        let pair = |x: DataType, y: DataType| accepts(&[l, r], &[x, y]);
        let (f, params, ret) = match sym {
            "@@" if matches!((l, r), (V, Q) | (V, Unknown)) => {
                (TsFn::Match { flip: false }, vec![V, Q], Bool)
            }
            "@@" if matches!((l, r), (Q, V) | (Q, Unknown) | (Unknown, V)) => {
                (TsFn::Match { flip: true }, vec![Q, V], Bool)
            }
            // an unknown literal on the left is text, PostgreSQL's preferred string type
            "@@" if r == Q && l.is_string() => (TsFn::MatchText, vec![Text, Q], Bool),
            "@@" if l.is_string() && r.is_string() => (TsFn::MatchTexts, vec![Text, Text], Bool),
            "||" if pair(V, V) && (l == V || r == V) => (TsFn::Concat, vec![V, V], V),
            "||" if pair(Q, Q) => (TsFn::Or, vec![Q, Q], Q),
            "&&" if pair(Q, Q) => (TsFn::And, vec![Q, Q], Q),
            "<->" if pair(Q, Q) => (TsFn::Phrase(false), vec![Q, Q], Q),
            "@>" if pair(Q, Q) => (TsFn::Contains { flip: false }, vec![Q, Q], Bool),
            "<@" if pair(Q, Q) => (TsFn::Contains { flip: true }, vec![Q, Q], Bool),
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::TextSearch(f), params, ret)))
    }

    /// Calls the function (every one is strict: the caller handles NULLs).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        let vec = |k: usize| match args.get(k) {
            Some(Value::TsVector(v)) => Ok(v.as_ref()),
            other => Err(Error::Internal(format!(
                "tsvector argument expected: {other:?}"
            ))),
        };
        let query = |k: usize| match args.get(k) {
            Some(Value::TsQuery(q)) => Ok(q.as_ref()),
            other => Err(Error::Internal(format!(
                "tsquery argument expected: {other:?}"
            ))),
        };
        let text = |k: usize| super::fn_args::arg(&args, k).and_then(super::fn_args::text);
        let int = |k: usize| super::fn_args::arg(&args, k).and_then(super::fn_args::int);
        let config = |given: bool| -> Result<Config> {
            if given {
                Config::from_arg(super::fn_args::arg(&args, 0)?)
            } else {
                Config::current()
            }
        };
        let tv = |v: TsVector| Value::TsVector(Box::new(v));
        let tq = |q: TsQuery| Value::TsQuery(Box::new(q));
        Ok(match self {
            TsFn::ToTsVector(given) => tv(ts_config::to_tsvector(
                config(*given)?,
                text(usize::from(*given))?,
            )),
            TsFn::JsonToTsVector {
                given,
                json,
                filter,
            } => {
                let at = usize::from(*given);
                let flags = match (filter, args.get(at + 1)) {
                    (false, _) => super::json_ts::Flags {
                        string: true,
                        ..Default::default()
                    },
                    (true, Some(Value::Jsonb(f))) => super::json_ts::flags(f)?,
                    (true, other) => {
                        return Err(Error::Internal(format!("jsonb filter expected: {other:?}")));
                    }
                };
                let mut elements = Vec::new();
                match (json, args.get(at)) {
                    (true, Some(Value::Json(doc))) => {
                        super::json_ts::json_values(doc, flags, &mut elements)
                    }
                    (false, Some(Value::Jsonb(j))) => {
                        super::json_ts::jsonb_values(j, flags, &mut elements)
                    }
                    (_, other) => {
                        return Err(Error::Internal(format!(
                            "json argument expected: {other:?}"
                        )));
                    }
                }
                tv(ts_config::strings_to_tsvector(config(*given)?, &elements))
            }
            TsFn::JsonbToTsVector(given) => match args.get(usize::from(*given)) {
                Some(Value::Jsonb(j)) => tv(ts_config::jsonb_to_tsvector(config(*given)?, j)),
                other => {
                    return Err(Error::Internal(format!(
                        "jsonb argument expected: {other:?}"
                    )));
                }
            },
            TsFn::ToTsQuery(kind, given) => tq(ts_config::to_tsquery(
                config(*given)?,
                *kind,
                text(usize::from(*given))?,
            )?),
            TsFn::CurrentConfig => {
                Value::Reg(crate::types::oid::RegKind::Config, Config::current()?.oid())
            }
            TsFn::Lexize => lexize(text(0)?, text(1)?)?,
            TsFn::SetWeight(some) => {
                let w = weight_code(text(1)?)?;
                let only = if *some {
                    Some(lexemes_of(&args[2])?)
                } else {
                    None
                };
                let mut v = vec(0)?.clone();
                for l in &mut v.lexemes {
                    if only.as_ref().is_none_or(|o| o.contains(&l.word)) {
                        for p in &mut l.pos {
                            *p = tsvector::make_pos(tsvector::pos_of(*p), w);
                        }
                    }
                }
                tv(v)
            }
            TsFn::Strip => tv(TsVector {
                lexemes: vec(0)?
                    .lexemes
                    .iter()
                    .map(|l| Lexeme {
                        word: l.word.clone(),
                        pos: Vec::new(),
                    })
                    .collect(),
            }),
            TsFn::Length => Value::Int(vec(0)?.lexemes.len() as i64),
            TsFn::Delete(many) => {
                let gone = if *many {
                    lexemes_of(&args[1])?
                } else {
                    vec![text(1)?.to_string()]
                };
                let mut v = vec(0)?.clone();
                v.lexemes.retain(|l| !gone.contains(&l.word));
                tv(v)
            }
            TsFn::Filter => filter(vec(0)?, &args[1])?,
            TsFn::ToArray => Value::Array(Box::new(Array::from_items(
                vec(0)?
                    .lexemes
                    .iter()
                    .map(|l| Value::Text(l.word.clone()))
                    .collect(),
            ))),
            TsFn::FromArray => {
                let words = lexemes_of(&args[0])?;
                if words.iter().any(String::is_empty) {
                    return Err(Error::ZeroLengthCharacterString(
                        "lexeme array may not contain empty strings".into(),
                    ));
                }
                tv(TsVector::from_unsorted(
                    words
                        .into_iter()
                        .map(|word| Lexeme {
                            word,
                            pos: Vec::new(),
                        })
                        .collect(),
                ))
            }
            TsFn::NumNode => Value::Int(query(0)?.size() as i64),
            TsFn::QueryTree => Value::Text(querytree(query(0)?)),
            TsFn::Phrase(with_distance) => {
                let d = if *with_distance { int(2)? } else { 1 };
                if !(0..=tsquery::MAX_DISTANCE).contains(&d) {
                    return Err(Error::InvalidParameterValue(format!(
                        "distance in phrase operator must be an integer value between zero and {} inclusive",
                        tsquery::MAX_DISTANCE
                    )));
                }
                tq(combine(query(0)?, query(1)?, BinOp::Phrase(d as u16)))
            }
            TsFn::Rank { cd, weights, norm } => {
                let base = usize::from(*weights);
                let w = if *weights {
                    let items = match &args[0] {
                        Value::Array(a) => {
                            if a.ndims() > 1 {
                                return Err(Error::ArraySubscriptError(
                                    "array of weight must be one-dimensional".into(),
                                ));
                            }
                            a.items.iter().map(Value::as_f64).collect::<Vec<_>>()
                        }
                        _ => Vec::new(),
                    };
                    ts_rank::weights(Some(&items))?
                } else {
                    ts_rank::weights(None)?
                };
                let method = if *norm { int(base + 2)? as i32 } else { 0 };
                let (v, q) = (vec(base)?, query(base + 1)?);
                Value::Float4(if *cd {
                    ts_rank::rank_cd(&w, v, q, method)
                } else {
                    ts_rank::rank(&w, v, q, method)
                })
            }
            TsFn::Match { flip } => {
                let (v, q) = if *flip {
                    (vec(1)?, query(0)?)
                } else {
                    (vec(0)?, query(1)?)
                };
                Value::Bool(ts_match::matches(v, q))
            }
            TsFn::MatchText => {
                let v = ts_config::to_tsvector(Config::current()?, text(0)?);
                Value::Bool(ts_match::matches(&v, query(1)?))
            }
            TsFn::MatchTexts => {
                let cfg = Config::current()?;
                let v = ts_config::to_tsvector(cfg, text(0)?);
                let q = ts_config::to_tsquery(cfg, QueryKind::Plain, text(1)?)?;
                Value::Bool(ts_match::matches(&v, &q))
            }
            TsFn::Contains { flip } => {
                let (a, b) = if *flip {
                    (query(1)?, query(0)?)
                } else {
                    (query(0)?, query(1)?)
                };
                Value::Bool(contains(a, b))
            }
            TsFn::Headline {
                config: given,
                opts,
            } => {
                let base = usize::from(*given);
                let opts = if *opts { Some(text(base + 2)?) } else { None };
                Value::Text(super::ts_headline::headline(
                    config(*given)?,
                    text(base)?,
                    query(base + 1)?,
                    opts,
                )?)
            }
            TsFn::Concat => tv(concat(vec(0)?, vec(1)?)),
            TsFn::And => tq(combine(query(0)?, query(1)?, BinOp::And)),
            TsFn::Or => tq(combine(query(0)?, query(1)?, BinOp::Or)),
            TsFn::Not => {
                let q = query(0)?;
                tq(match &q.root {
                    None => TsQuery::default(),
                    Some(r) => TsQuery::new(QueryItem::Not(Box::new(r.clone()))),
                })
            }
        })
    }
}

/// `tsquery_and` / `tsquery_or` / `tsquery_phrase`: an empty side gives the other.
fn combine(a: &TsQuery, b: &TsQuery, op: BinOp) -> TsQuery {
    match (&a.root, &b.root) {
        (None, _) => b.clone(),
        (_, None) => a.clone(),
        (Some(l), Some(r)) => TsQuery::new(QueryItem::bin(op, l.clone(), r.clone())),
    }
}

/// A weight letter's code (`A` 3 ... `D` 0).
fn weight_code(s: &str) -> Result<u16> {
    match s.chars().next() {
        Some('A' | 'a') => Ok(3),
        Some('B' | 'b') => Ok(2),
        Some('C' | 'c') => Ok(1),
        Some('D' | 'd') => Ok(0),
        other => Err(Error::InternalPlain(format!(
            "unrecognized weight: {}",
            other.map_or(0, |c| c as u32)
        ))),
    }
}

/// The strings of a `text[]` argument; NULL items are 22004.
fn lexemes_of(v: &Value) -> Result<Vec<String>> {
    let Value::Array(a) = v else {
        return Err(Error::Internal(format!("text[] argument expected: {v:?}")));
    };
    a.items
        .iter()
        .map(|i| match i {
            Value::Null => Err(Error::NullValueNotAllowed(
                "lexeme array may not contain nulls".into(),
            )),
            other => Ok(other.to_string()),
        })
        .collect()
}

/// `ts_filter`: only positions of the given weights; lexemes left without any dropped.
fn filter(v: &TsVector, weights: &Value) -> Result<Value> {
    let Value::Array(a) = weights else {
        return Err(Error::Internal(format!(
            "\"char\"[] argument expected: {weights:?}"
        )));
    };
    let mut mask = 0u8;
    for i in &a.items {
        let s = match i {
            Value::Null => {
                return Err(Error::NullValueNotAllowed(
                    "weight array may not contain nulls".into(),
                ));
            }
            other => other.to_string(),
        };
        let c = s.chars().next().unwrap_or('\0');
        let w = match c {
            'A' | 'a' => 3,
            'B' | 'b' => 2,
            'C' | 'c' => 1,
            'D' | 'd' => 0,
            _ => {
                return Err(Error::InvalidParameterValue(format!(
                    "unrecognized weight: \"{c}\""
                )));
            }
        };
        mask |= 1 << w;
    }
    let lexemes = v
        .lexemes
        .iter()
        .filter_map(|l| {
            let pos: Vec<u16> = l
                .pos
                .iter()
                .copied()
                .filter(|p| mask & (1 << tsvector::weight_of(*p)) != 0)
                .collect();
            (!pos.is_empty()).then(|| Lexeme {
                word: l.word.clone(),
                pos,
            })
        })
        .collect();
    Ok(Value::TsVector(Box::new(TsVector { lexemes })))
}

/// `tsvector_concat`: the right side's positions shifted past the left side's largest.
fn concat(a: &TsVector, b: &TsVector) -> TsVector {
    let maxpos = a
        .lexemes
        .iter()
        .flat_map(|l| l.pos.iter().map(|p| tsvector::pos_of(*p)))
        .max()
        .unwrap_or(0);
    let add = |dest: &mut Vec<u16>, src: &[u16]| {
        for p in src {
            if dest.len() >= tsvector::MAX_NUM_POS
                || dest
                    .last()
                    .is_some_and(|l| tsvector::pos_of(*l) == tsvector::MAX_POS)
            {
                break;
            }
            let np = tsvector::limit_pos(i64::from(tsvector::pos_of(*p)) + i64::from(maxpos));
            dest.push(tsvector::make_pos(np, tsvector::weight_of(*p)));
        }
    };
    let mut out = Vec::with_capacity(a.lexemes.len() + b.lexemes.len());
    let (mut i, mut j) = (0, 0);
    while i < a.lexemes.len() || j < b.lexemes.len() {
        let ord = match (a.lexemes.get(i), b.lexemes.get(j)) {
            (Some(x), Some(y)) => tsvector::cmp_lexeme(&x.word, &y.word),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                out.push(a.lexemes[i].clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let y = &b.lexemes[j];
                let mut pos = Vec::new();
                add(&mut pos, &y.pos);
                out.push(Lexeme {
                    word: y.word.clone(),
                    pos,
                });
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let mut l = a.lexemes[i].clone();
                add(&mut l.pos, &b.lexemes[j].pos);
                out.push(l);
                i += 1;
                j += 1;
            }
        }
    }
    TsVector { lexemes: out }
}

/// `ts_lexize(dictionary, word)`: `simple` or `english_stem`; NULL when the dictionary
/// does not know the word (never, for these), `{}` for a stop word.
fn lexize(dict: &str, word: &str) -> Result<Value> {
    let lower = word.to_ascii_lowercase();
    let out = match dict.to_ascii_lowercase().trim_start_matches("pg_catalog.") {
        "simple" => Some(lower),
        "english_stem" => ts_config::english_stem(&lower),
        _ => {
            return Err(Error::UndefinedObject(format!(
                "text search dictionary \"{dict}\" does not exist"
            )));
        }
    };
    let items = out.into_iter().map(Value::Text).collect();
    Ok(Value::Array(Box::new(Array::from_items(items))))
}

/// `querytree`: the query without the parts an index cannot search (negations), `T` when
/// nothing is left.
fn querytree(q: &TsQuery) -> String {
    let Some(root) = &q.root else {
        return String::new();
    };
    fn clean(n: &QueryItem) -> Option<QueryItem> {
        match n {
            QueryItem::Val(_) => Some(n.clone()),
            QueryItem::Not(_) => None,
            QueryItem::Bin(op, l, r) => {
                let (l, r) = (clean(l), clean(r));
                match (op, l, r) {
                    (BinOp::Or, Some(l), Some(r)) => Some(QueryItem::bin(*op, l, r)),
                    (BinOp::Or, ..) => None,
                    (_, Some(l), Some(r)) => Some(QueryItem::bin(*op, l, r)),
                    (_, Some(x), None) | (_, None, Some(x)) => Some(x),
                    (_, None, None) => None,
                }
            }
        }
    }
    match clean(root) {
        Some(t) => tsquery::format_item(&t),
        None => "T".to_string(),
    }
}

/// `tsq_mcontains`: whether `query` has at least as many nodes as `ex` and every lexeme of
/// `ex` is an operand of `query` (PostgreSQL compares the lexemes' CRCs; weights and
/// prefix flags do not count).
fn contains(query: &TsQuery, ex: &TsQuery) -> bool {
    if query.size() < ex.size() {
        return false;
    }
    let have = query.operands();
    ex.operands()
        .iter()
        .all(|e| have.iter().any(|q| q.word == e.word))
}
