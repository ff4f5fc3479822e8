//! CREATE TABLE's `LIKE source [INCLUDING | EXCLUDING option] ...` table elements, which
//! sqlparser parses only as the sole element and without most options.
//!
//! Before parsing, each element of a CREATE TABLE's top-level element list that starts with
//! the word LIKE is rewritten in the token stream to a column whose name is a marker no SQL
//! text can name (`"\0like <bits>"`, [`MARKER`]; `bits` are PostgreSQL's
//! `CREATE_TABLE_LIKE_*` flags the options leave set) and whose type is the source's name.
//! The DDL recognizes the marker ([`like_clause`]) and expands it into the source's columns
//! at that position. Text without a CREATE TABLE is untouched.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// The marker column name's prefix.
pub const MARKER: &str = "\0like ";

pub const COMMENTS: u32 = 1 << 0;
pub const COMPRESSION: u32 = 1 << 1;
pub const CONSTRAINTS: u32 = 1 << 2;
pub const DEFAULTS: u32 = 1 << 3;
pub const GENERATED: u32 = 1 << 4;
pub const IDENTITY: u32 = 1 << 5;
pub const INDEXES: u32 = 1 << 6;
pub const STATISTICS: u32 = 1 << 7;
pub const STORAGE: u32 = 1 << 8;
pub const ALL: u32 = 0x7FFF_FFFF;

/// One LIKE element: the source relation and the options' flags.
pub struct LikeClause {
    pub source: ast::ObjectName,
    pub options: u32,
}

fn word(t: &Token) -> Option<&Word> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w),
        _ => None,
    }
}

fn is_kw(t: &Token, k: Keyword) -> bool {
    word(t).is_some_and(|w| w.keyword == k)
}

fn option_bits(t: &Token) -> Option<u32> {
    let w = word(t)?;
    Some(match w.value.to_ascii_uppercase().as_str() {
        "COMMENTS" => COMMENTS,
        "COMPRESSION" => COMPRESSION,
        "CONSTRAINTS" => CONSTRAINTS,
        "DEFAULTS" => DEFAULTS,
        "GENERATED" => GENERATED,
        "IDENTITY" => IDENTITY,
        "INDEXES" => INDEXES,
        "STATISTICS" => STATISTICS,
        "STORAGE" => STORAGE,
        "ALL" => ALL,
        _ => return None,
    })
}

/// Rewrites the LIKE elements of every CREATE TABLE in `tokens` (see the module docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let tok = |k: usize| solid.get(k).map(|&i| &tokens[i].token);
    let mut edits = Vec::new();
    let mut k = 0;
    while k < solid.len() {
        if !(tok(k).is_some_and(|t| is_kw(t, Keyword::CREATE))) {
            k += 1;
            continue;
        }
        // CREATE [GLOBAL | LOCAL] [TEMP | TEMPORARY | UNLOGGED] TABLE [IF NOT EXISTS] name (
        let mut j = k + 1;
        while tok(j).is_some_and(|t| {
            [
                Keyword::GLOBAL,
                Keyword::LOCAL,
                Keyword::TEMP,
                Keyword::TEMPORARY,
                Keyword::UNLOGGED,
            ]
            .iter()
            .any(|&kw| is_kw(t, kw))
        }) {
            j += 1;
        }
        k += 1;
        if !tok(j).is_some_and(|t| is_kw(t, Keyword::TABLE)) {
            continue;
        }
        j += 1;
        if tok(j).is_some_and(|t| is_kw(t, Keyword::IF)) {
            j += 3; // IF NOT EXISTS
        }
        // The name: words separated by periods.
        while tok(j).is_some_and(|t| matches!(t, Token::Word(_))) {
            j += 1;
            if !matches!(tok(j), Some(Token::Period)) {
                break;
            }
            j += 1;
        }
        if !matches!(tok(j), Some(Token::LParen)) {
            continue;
        }
        // The elements: each starts after the `(` or a top-level `,`.
        let mut start = j + 1;
        let mut depth = 0usize;
        let mut e = j + 1;
        while let Some(t) = tok(e) {
            match t {
                Token::LParen => depth += 1,
                Token::RParen | Token::Comma if depth > 0 => {
                    if matches!(t, Token::RParen) {
                        depth -= 1;
                    }
                }
                Token::RParen | Token::Comma => {
                    if let Some(edit) = element(&tokens[..], &solid, start, e) {
                        edits.push(edit);
                    }
                    if matches!(t, Token::RParen) {
                        break;
                    }
                    start = e + 1;
                }
                Token::SemiColon | Token::EOF => break,
                _ => {}
            }
            e += 1;
        }
        k = e;
    }
    if !edits.is_empty() {
        super::replace_tokens(tokens, edits);
    }
}

/// The edit for element `solid[start..end]` if it is `LIKE name options...`.
fn element(
    tokens: &[TokenWithSpan],
    solid: &[usize],
    start: usize,
    end: usize,
) -> Option<(usize, usize, Vec<Token>)> {
    let tok = |k: usize| &tokens[solid[k]].token;
    if end <= start + 1 || !is_kw(tok(start), Keyword::LIKE) {
        return None;
    }
    // The name: words separated by periods, each passed on quoted (folded as an unquoted
    // identifier is) so that sqlparser reads it as a type name even when it is a keyword
    // (`LIKE date`).
    let mut k = start + 1;
    let mut name = Vec::new();
    loop {
        if k >= end {
            return None;
        }
        let Token::Word(w) = tok(k) else {
            return None;
        };
        name.push(Token::Word(Word {
            value: match w.quote_style {
                Some(_) => w.value.clone(),
                None => w.value.to_lowercase(),
            },
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        }));
        k += 1;
        if k < end && matches!(tok(k), Token::Period) {
            name.push(Token::Period);
            k += 1;
        } else {
            break;
        }
    }
    let mut bits = 0u32;
    while k < end {
        let including = if is_kw(tok(k), Keyword::INCLUDING) {
            true
        } else if is_kw(tok(k), Keyword::EXCLUDING) {
            false
        } else {
            return None;
        };
        if k + 1 >= end {
            return None;
        }
        let b = option_bits(tok(k + 1))?;
        if including {
            bits |= b;
        } else {
            bits &= !b;
        }
        k += 2;
    }
    let marker = Token::Word(Word {
        value: format!("{MARKER}{bits}"),
        quote_style: Some('"'),
        keyword: Keyword::NoKeyword,
    });
    let mut out = vec![marker];
    out.extend(name);
    Some((solid[start], solid[end - 1], out))
}

/// The LIKE clause a column of a parsed CREATE TABLE stands for, if it is a marker.
pub fn like_clause(col: &ast::ColumnDef) -> Option<LikeClause> {
    let bits = col.name.value.strip_prefix(MARKER)?.parse().ok()?;
    let ast::DataType::Custom(source, _) = &col.data_type else {
        return None;
    };
    Some(LikeClause {
        source: source.clone(),
        options: bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_elements_become_markers() {
        let stmts = crate::parse::statements(
            "CREATE TABLE t (a int, LIKE s.Src INCLUDING ALL EXCLUDING INDEXES, b text, LIKE date)",
        )
        .expect("parse");
        let ast::Statement::CreateTable(c) = &stmts[0] else {
            panic!("not a CREATE TABLE");
        };
        assert_eq!(c.columns.len(), 4);
        let l = like_clause(&c.columns[1]).expect("marker");
        assert_eq!(l.source.to_string(), "\"s\".\"src\"");
        assert_eq!(l.options, ALL & !INDEXES);
        let l = like_clause(&c.columns[3]).expect("marker");
        assert_eq!(l.source.to_string(), "\"date\"");
        assert_eq!(l.options, 0);
        assert!(like_clause(&c.columns[0]).is_none());
    }
}
