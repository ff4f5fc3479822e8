//! `COST n`, `ROWS n` and `[NOT] LEAKPROOF` in CREATE FUNCTION / PROCEDURE, which
//! sqlparser's CREATE FUNCTION parser does not know.
//!
//! Before parsing, [`rewrite`] turns each into a `SET` clause sqlparser reads, under a
//! parameter name no real one can have ([`COST`], [`ROWS`], [`LEAKPROOF`]); the DDL takes
//! them back out of `set_params` with [`take`]. Only the routine's header is rewritten: the
//! tokens at parenthesis depth 0 after `CREATE [OR REPLACE] FUNCTION | PROCEDURE`, up to a
//! SQL-standard body (`RETURN`, `BEGIN`) or the statement's end, so a parameter or a column
//! named `rows` and the body are left alone.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

pub const COST: &str = "strata routine option cost";
pub const ROWS: &str = "strata routine option rows";
pub const LEAKPROOF: &str = "strata routine option leakproof";

/// The options [`take`] found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Options {
    pub cost: Option<String>,
    pub rows: Option<String>,
    pub leakproof: Option<bool>,
}

impl Options {
    pub fn is_empty(&self) -> bool {
        *self == Options::default()
    }
}

fn word(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none())
}

fn named(t: &Token, name: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(name))
}

/// Rewrites the options of every CREATE FUNCTION / PROCEDURE in `tokens` (see the module
/// docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    // (token index, replacement tokens) in order
    let mut edits: Vec<(usize, Vec<Token>)> = Vec::new();
    let mut n = 0;
    while n < solid.len() {
        let at = |k: usize| solid.get(k).map(|&i| &tokens[i].token);
        let mut k = n;
        if !at(k).is_some_and(|t| word(t, Keyword::CREATE)) {
            n += 1;
            continue;
        }
        k += 1;
        if at(k).is_some_and(|t| word(t, Keyword::OR))
            && at(k + 1).is_some_and(|t| word(t, Keyword::REPLACE))
        {
            k += 2;
        }
        if !at(k).is_some_and(|t| word(t, Keyword::FUNCTION) || word(t, Keyword::PROCEDURE)) {
            n += 1;
            continue;
        }
        k += 1;
        let mut depth = 0usize;
        while let Some(t) = at(k) {
            match t {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::SemiColon if depth == 0 => break,
                t if depth == 0 && (word(t, Keyword::RETURN) || word(t, Keyword::BEGIN)) => break,
                t if depth == 0 && (named(t, "cost") || named(t, "rows")) => {
                    let name = if named(t, "cost") { COST } else { ROWS };
                    edits.push((
                        solid[k],
                        vec![
                            Token::make_keyword("SET"),
                            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                            Token::make_word(name, Some('"')),
                            Token::Eq,
                        ],
                    ));
                }
                t if depth == 0 && named(t, "leakproof") => {
                    let not = k > 0 && at(k - 1).is_some_and(|p| word(p, Keyword::NOT));
                    if not {
                        edits.push((solid[k - 1], Vec::new()));
                    }
                    edits.push((
                        solid[k],
                        vec![
                            Token::make_keyword("SET"),
                            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                            Token::make_word(LEAKPROOF, Some('"')),
                            Token::Eq,
                            Token::SingleQuotedString(if not { "off" } else { "on" }.into()),
                        ],
                    ));
                }
                _ => {}
            }
            k += 1;
        }
        n = k + 1;
    }
    for (i, replacement) in edits.into_iter().rev() {
        let span = tokens[i].span;
        tokens.splice(
            i..=i,
            replacement.into_iter().map(|t| TokenWithSpan::new(t, span)),
        );
    }
}

/// Takes the options [`rewrite`] made `SET` clauses out of `params`.
pub fn take(
    params: &[ast::FunctionDefinitionSetParam],
) -> (Vec<ast::FunctionDefinitionSetParam>, Options) {
    let mut options = Options::default();
    let mut rest = Vec::new();
    for p in params {
        let name = match p.name.0.as_slice() {
            [ast::ObjectNamePart::Identifier(i)] if i.quote_style == Some('"') => i.value.as_str(),
            _ => "",
        };
        // as written (`5`, `-1`, `'x'`): the DDL reads the number
        let value = match &p.value {
            ast::FunctionSetValue::Values(v) => v
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            _ => String::new(),
        };
        match name {
            COST => options.cost = Some(value),
            ROWS => options.rows = Some(value),
            LEAKPROOF => options.leakproof = Some(value == "'on'"),
            _ => rest.push(p.clone()),
        }
    }
    (rest, options)
}
