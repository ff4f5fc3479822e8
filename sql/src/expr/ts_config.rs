//! Text-search configurations: the built-in `simple` and `english`, what their
//! dictionaries make of the parser's tokens, and `parsetext` / `to_tsvector` /
//! `to_tsquery`'s operand expansion over them (PostgreSQL's `ts_parse.c`, `to_tsany.c`,
//! `dict_simple.c`, `dict_snowball.c`).
//!
//! * `simple` maps every indexed token type to the `simple` dictionary: the token lower-cased
//!   (ASCII letters only, as under the C locale).
//! * `english` maps words and word parts to `english_stem` — lower-cased, dropped when on
//!   PostgreSQL's english stop-word list (`ts_data/english.stop`, copied from PostgreSQL
//!   15), else stemmed by the Snowball english stemmer (the `rust-stemmers` crate; words
//!   longer than 1000 bytes are kept whole) — and numbers, emails, URLs, hosts, paths and
//!   versions to `simple`.
//! * A stop word takes a position without giving a lexeme; blanks, tags, entities and
//!   protocols take none. Positions above 16383 are clamped; lexemes longer than 2047 bytes
//!   are dropped with PostgreSQL's NOTICE.
//! * `to_tsvector(jsonb)` indexes the string values in storage order, leaving a one-position
//!   gap after each string that gives lexemes (`add_to_tsvector`).
//! * The configuration a call without one uses is the `default_text_search_config`
//!   setting (`pg_catalog.english` by default); `regconfig` values name these two by
//!   PostgreSQL's OIDs.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::ts_parser::{self, TokenType};
use crate::notice::{self, Notice};
use crate::types::tsquery::{self, BinOp, Mode, TsQuery};
use crate::types::tsvector::{self, Lexeme, TsVector};
use crate::{Error, Result};

/// A built-in text-search configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    Simple,
    English,
}

/// `pg_ts_config` OIDs of PostgreSQL 15 (english's is assigned at initdb; this is the
/// value a fresh PostgreSQL 15 cluster has).
const SIMPLE_OID: u32 = 3748;
const ENGLISH_OID: u32 = 13164;

impl Config {
    pub fn oid(self) -> u32 {
        match self {
            Config::Simple => SIMPLE_OID,
            Config::English => ENGLISH_OID,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Config::Simple => "simple",
            Config::English => "english",
        }
    }

    pub fn from_oid(oid: u32) -> Option<Config> {
        [Config::Simple, Config::English]
            .into_iter()
            .find(|c| c.oid() == oid)
    }

    /// A configuration by (unqualified, case-folded) name.
    pub fn from_name(name: &str) -> Option<Config> {
        match name {
            "simple" => Some(Config::Simple),
            "english" => Some(Config::English),
            _ => None,
        }
    }

    /// The configuration a `regconfig` or text argument names.
    pub fn from_arg(v: &crate::types::Value) -> Result<Config> {
        use crate::types::Value;
        let oid = match v {
            Value::Reg(_, oid) => *oid,
            Value::Int(i) => *i as u32,
            other => crate::types::oid::parse_regconfig(&other.to_string())?,
        };
        Config::from_oid(oid).ok_or_else(|| {
            Error::UndefinedObject(format!(
                "cache lookup failed for text search configuration {oid}"
            ))
        })
    }

    /// `get_current_ts_config()`: the `default_text_search_config` setting's.
    pub fn current() -> Result<Config> {
        let name = crate::env::with(|e| e.session.setting("default_text_search_config"))
            .unwrap_or_else(|| "pg_catalog.english".to_string());
        let oid = crate::types::oid::parse_regconfig(&name)?;
        Config::from_oid(oid).ok_or_else(|| {
            Error::UndefinedObject(format!(
                "text search configuration \"{name}\" does not exist"
            ))
        })
    }

    /// What the configuration's dictionary makes of one token: `None` for a token type it
    /// does not index, `Some(None)` for a stop word, `Some(Some(lexeme))` otherwise.
    pub fn lexize(self, ty: TokenType, text: &str) -> Option<Option<String>> {
        if !ty.indexed() {
            return None;
        }
        let lower = lower(text);
        if lower.is_empty() {
            return Some(None);
        }
        if self == Config::Simple || !ty.is_word() {
            return Some(Some(lower));
        }
        Some(english_stem(&lower))
    }
}

/// `lowerstr` under the C locale: ASCII letters only.
fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn stopwords() -> &'static HashSet<&'static str> {
    static STOP: OnceLock<HashSet<&'static str>> = OnceLock::new();
    STOP.get_or_init(|| {
        include_str!("ts_data/english.stop")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// `english_stem` on a lower-cased word: `None` for a stop word.
pub fn english_stem(word: &str) -> Option<String> {
    if word.len() > 1000 {
        return Some(word.to_string());
    }
    if stopwords().contains(word) {
        return None;
    }
    static STEMMER: OnceLock<rust_stemmers::Stemmer> = OnceLock::new();
    let st =
        STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));
    Some(st.stem(word).into_owned())
}

/// One lexeme of parsed text and its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedWord {
    pub word: String,
    pub pos: u16,
}

/// `parsetext`: the lexemes of `text` with their positions.
pub fn parse_text(config: Config, text: &str) -> Vec<ParsedWord> {
    let mut out = Vec::new();
    parse_text_at(config, text, 0, &mut out);
    out
}

/// `parsetext` continuing after position `pos`: appends the lexemes to `out` and returns
/// the last position taken.
fn parse_text_at(config: Config, text: &str, mut pos: i64, out: &mut Vec<ParsedWord>) -> i64 {
    for tok in ts_parser::tokens(text) {
        if tok.text.len() > tsvector::MAX_LEXEME {
            notice::emit(
                Notice::new("00000", "word is too long to be indexed")
                    .with_detail("Words longer than 2047 characters are ignored."),
            );
            continue;
        }
        let Some(lexeme) = config.lexize(tok.ty, tok.text) else {
            continue;
        };
        pos += 1;
        if let Some(word) = lexeme {
            out.push(ParsedWord {
                word,
                pos: tsvector::limit_pos(pos),
            });
        }
    }
    pos
}

/// `to_tsvector(config, text)`.
pub fn to_tsvector(config: Config, text: &str) -> TsVector {
    make_tsvector(parse_text(config, text))
}

/// `to_tsvector(config, jsonb)`: the string values in storage order, each element that
/// gives lexemes followed by a one-position gap (`add_to_tsvector`), so phrases do not
/// span two strings.
pub fn jsonb_to_tsvector(config: Config, doc: &crate::types::json::Jsonb) -> TsVector {
    let flags = super::json_ts::Flags {
        string: true,
        ..Default::default()
    };
    let mut all = Vec::new();
    super::json_ts::jsonb_values(doc, flags, &mut all);
    strings_to_tsvector(config, &all)
}

/// The tsvector of JSON elements (strings, keys, numbers, booleans as text), each element
/// that gives lexemes followed by a one-position gap, as PostgreSQL's `add_to_tsvector`.
pub fn strings_to_tsvector(config: Config, elements: &[String]) -> TsVector {
    let mut words = Vec::new();
    let mut pos = 0;
    for s in elements {
        let before = words.len();
        pos = parse_text_at(config, s, pos, &mut words);
        if words.len() > before {
            pos += 1;
        }
    }
    make_tsvector(words)
}

/// `make_tsvector`.
fn make_tsvector(words: Vec<ParsedWord>) -> TsVector {
    let lexemes = words
        .into_iter()
        .map(|w| Lexeme {
            word: w.word,
            pos: vec![w.pos],
        })
        .collect();
    let mut v = TsVector::from_unsorted(lexemes);
    // make_tsvector keeps one position fewer than tsvector input does
    for l in &mut v.lexemes {
        l.pos.truncate(tsvector::MAX_NUM_POS - 1);
    }
    v
}

/// Which `*_to_tsquery` function: its tokenizer and the operator that joins the lexemes
/// of one operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    /// `to_tsquery`
    Standard,
    /// `plainto_tsquery`
    Plain,
    /// `phraseto_tsquery`
    Phrase,
    /// `websearch_to_tsquery`
    Web,
}

/// `to_tsquery` and its kin: operands go through the configuration (`pushval_morph`).
pub fn to_tsquery(config: Config, kind: QueryKind, text: &str) -> Result<TsQuery> {
    let (mode, op) = match kind {
        QueryKind::Standard => (Mode::Standard, BinOp::Phrase(1)),
        QueryKind::Plain => (Mode::Plain, BinOp::And),
        QueryKind::Phrase => (Mode::Plain, BinOp::Phrase(1)),
        QueryKind::Web => (Mode::Web, BinOp::Phrase(1)),
    };
    tsquery::parse_with(text, mode, &mut |p, operand, weight, prefix| {
        let words = parse_text(config, operand);
        if words.is_empty() {
            p.stop();
            return Ok(());
        }
        let mut pos: u32 = 0;
        let mut cntpos = 0;
        for w in &words {
            let wpos = u32::from(w.pos);
            if pos > 0 && pos + 1 < wpos {
                while pos + 1 < wpos {
                    p.stop();
                    if cntpos > 0 {
                        p.op(op);
                    }
                    cntpos += 1;
                    pos += 1;
                }
            }
            pos = wpos;
            p.value(&w.word, weight, prefix)?;
            if cntpos > 0 {
                p.op(op);
            }
            cntpos += 1;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_vectors() {
        let v = to_tsvector(Config::English, "The quick brown foxes");
        assert_eq!(tsvector::format(&v), "'brown':3 'fox':4 'quick':2");
    }

    #[test]
    fn english_queries() {
        let q = |k, s| tsquery::format(&to_tsquery(Config::English, k, s).unwrap());
        assert_eq!(
            q(QueryKind::Standard, "supernovae-stars & !the"),
            "'supernovae-star' <-> 'supernova' <-> 'star'"
        );
        assert_eq!(q(QueryKind::Plain, "The Fat & Rats"), "'fat' & 'rat'");
        assert_eq!(
            q(QueryKind::Phrase, "The Fat Rats are the best"),
            "'fat' <-> 'rat' <3> 'best'"
        );
        assert_eq!(
            q(QueryKind::Web, "the \"fat rats\" or cats -dogs"),
            "'fat' <-> 'rat' | 'cat' & !'dog'"
        );
    }
}
