//! SQL text to syntax trees: `sqlparser` with [`StrataDialect`] (PostgreSQL's dialect plus
//! the syntax sqlparser lacks), the statements it does not know ([`Statement`], in
//! `statement.rs`), and parse errors as 42601.

pub mod cursor;
mod dialect;
pub mod domain;
pub mod exclude;
pub mod group_by;
pub mod insert_subscripts;
pub mod locking;
pub mod merge;
pub mod owned;
pub mod procedure;
pub mod routine_options;
pub mod rows_from;
pub mod search_cycle;
mod statement;
pub mod subscript_assign;
pub mod table_like;
pub mod transaction_modes;
pub mod utility;

pub use dialect::StrataDialect;
pub use statement::*;

use crate::{Error, Result};
use sqlparser::ast;
use sqlparser::parser::{Parser, ParserError};

fn syntax_error(e: ParserError) -> Error {
    let msg = e.to_string();
    let msg = msg
        .strip_prefix("sql parser error: ")
        .unwrap_or(&msg)
        .to_string();
    Error::SyntaxError(msg)
}

/// Parses the statements of `sql`.
pub fn statements(sql: &str) -> Result<Vec<ast::Statement>> {
    let dialect = StrataDialect::for_sql(sql);
    let rewritten = exclude::rewrite(&dialect, sql);
    let sql = rewritten.as_deref().unwrap_or(sql);
    let mut tokens = sqlparser::tokenizer::Tokenizer::new(&dialect, sql)
        .with_unescape(true)
        .tokenize_with_location()
        .map_err(|e| syntax_error(e.into()))?;
    group_by::rewrite(&mut tokens);
    locking::rewrite(&mut tokens);
    merge::rewrite(&mut tokens);
    search_cycle::rewrite(&mut tokens);
    subscript_assign::rewrite(&mut tokens);
    insert_subscripts::rewrite(&mut tokens);
    table_like::rewrite(&mut tokens);
    rows_from::rewrite(&mut tokens);
    Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(syntax_error)
}

/// Parses one expression (a stored DEFAULT).
pub fn expression(sql: &str) -> Result<ast::Expr> {
    Parser::new(&StrataDialect::default())
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(syntax_error)
}

/// Replaces each `(first, last, out)` token range (indexes into `tokens`, in ascending order
/// and not overlapping) by `out`, space-separated and carrying the span of the range's first
/// token (so errors still point at the user's text): how the token-level rewrites of this
/// module hand sqlparser a form it parses.
pub(crate) fn replace_tokens(
    tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>,
    edits: Vec<(usize, usize, Vec<sqlparser::tokenizer::Token>)>,
) {
    use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};
    for (first, last, out) in edits.into_iter().rev() {
        let span = tokens[first].span;
        let spaced = out.into_iter().flat_map(|t| {
            [
                TokenWithSpan::new(t, span),
                TokenWithSpan::new(Token::Whitespace(Whitespace::Space), span),
            ]
        });
        tokens.splice(first..=last, spaced);
    }
}

/// Skips a parenthesized list whose `(` was just consumed, nested parentheses included,
/// up to and including its `)`: options the statement accepts and ignores.
pub(crate) fn skip_parenthesized(p: &mut Parser) -> std::result::Result<(), ParserError> {
    use sqlparser::tokenizer::Token;
    let mut depth = 1;
    while depth > 0 {
        match p.next_token().token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::EOF => return p.expected(")", p.peek_token()),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;

    /// Statements of every kind the .slt files use, parsed by both dialects (except those
    /// with the two corrected constructs).
    #[test]
    fn parses_like_postgres_dialect() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/slt") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for record in text.split("\n\n") {
                let sql: String = record
                    .lines()
                    .skip_while(|l| !(l.starts_with("query") || l.starts_with("statement")))
                    .skip(1)
                    .take_while(|l| *l != "----")
                    .collect::<Vec<_>>()
                    .join("\n");
                let upper = sql.to_uppercase();
                let corrected = [
                    "SYMMETRIC",
                    "^",
                    "COLLATE",
                    "AT TIME ZONE",
                    ").*",
                    "GROUPING SETS",
                ]
                .iter()
                .any(|c| upper.contains(c));
                let like = upper.contains("CREATE") && upper.contains("LIKE");
                if sql.is_empty() || corrected || like {
                    continue;
                }
                let ours = Parser::parse_sql(&StrataDialect::for_sql(&sql), &sql);
                let theirs = Parser::parse_sql(&PostgreSqlDialect {}, &sql);
                // `SELECT 1 FOR UPDATE`: sqlparser takes FOR for a column alias and fails.
                if ours.is_ok() && theirs.is_err() && upper.contains(" FOR ") {
                    continue;
                }
                assert_eq!(
                    format!("{ours:?}"),
                    format!("{theirs:?}"),
                    "dialects differ on {sql}"
                );
                checked += 1;
            }
        }
        assert!(checked > 500, "only {checked} statements checked");
    }

    #[test]
    fn between_symmetric_is_postgres_expansion() {
        let e = expression("x BETWEEN SYMMETRIC 5 AND 1").expect("parse");
        assert_eq!(e.to_string(), "(x BETWEEN 5 AND 1 OR x BETWEEN 1 AND 5)");
        let e = expression("x NOT BETWEEN SYMMETRIC a AND b + 1").expect("parse");
        assert_eq!(
            e.to_string(),
            "(x NOT BETWEEN a AND b + 1 AND x NOT BETWEEN b + 1 AND a)"
        );
        let e = expression("x BETWEEN ASYMMETRIC 1 AND 2 AND y").expect("parse");
        assert_eq!(e.to_string(), "x BETWEEN 1 AND 2 AND y");
    }

    #[test]
    fn unary_minus_binds_tighter_than_power() {
        let e = expression("-3 ^ 2").expect("parse");
        assert_eq!(e.to_string(), "-3 ^ 2");
        assert!(matches!(e, ast::Expr::BinaryOp { .. }));
        let e = expression("-x::int * 2").expect("parse");
        assert!(matches!(e, ast::Expr::BinaryOp { .. }));
    }
}
