//! `CHECKPOINT`, `CLUSTER`, `REINDEX`, `SET CONSTRAINTS` and `ALTER TABLE ... ALTER
//! CONSTRAINT`, which sqlparser does not parse,
//! read here with its parser ([`super::Statement::Utility`]); carried out by
//! `crate::ddl::utility` (SET CONSTRAINTS by the session, which knows its block). Also
//! `ALTER COLUMN c SET STATISTICS n`, rewritten in the token stream to a column `OPTIONS`
//! clause sqlparser parses ([`set_statistics`]), and `ALTER COLUMN c DROP EXPRESSION [IF
//! EXISTS]` likewise ([`drop_expression`]), and `RESET`/`SHOW TIME ZONE` to `... timezone`
//! ([`reset_time_zone`]).

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// The positions of `tokens` that are not whitespace.
fn solid(tokens: &[TokenWithSpan]) -> Vec<usize> {
    (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect()
}

/// Whether the `n`th solid token is the unquoted word `w` (any case).
fn solid_word(tokens: &[TokenWithSpan], solid: &[usize], n: usize, w: &str) -> bool {
    solid.get(n).is_some_and(|&i| {
        matches!(&tokens[i].token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
    })
}

/// The column option clause a rewrite hands sqlparser: `OPTIONS (SET "<name>" "<value>")`.
fn column_option(name: &str, value: &str) -> Vec<Token> {
    let quoted = |v: &str| {
        Token::Word(Word {
            value: v.to_string(),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        })
    };
    vec![
        Token::make_keyword("OPTIONS"),
        Token::LParen,
        Token::make_keyword("SET"),
        quoted(name),
        quoted(value),
        Token::RParen,
    ]
}

/// The option name `SET STATISTICS n` becomes (`OPTIONS (SET "<this>" "n")`).
pub const STATISTICS: &str = "\0set statistics";

/// Rewrites `SET STATISTICS [-]n` to `OPTIONS (SET "<STATISTICS>" "[-]n")`.
pub fn set_statistics(tokens: &mut Vec<TokenWithSpan>) {
    let solid = solid(tokens);
    let word = |n: usize, w: &str| solid_word(tokens, &solid, n, w);
    let mut edits = Vec::new();
    let mut n = 0;
    while n + 2 < solid.len() {
        if !(word(n, "set") && word(n + 1, "statistics")) {
            n += 1;
            continue;
        }
        let mut m = n + 2;
        let mut value = String::new();
        if tokens[solid[m]].token == Token::Minus {
            value.push('-');
            m += 1;
        }
        let Some(Token::Number(digits, _)) = solid.get(m).map(|&i| &tokens[i].token) else {
            n += 1;
            continue;
        };
        value.push_str(digits);
        let out = column_option(STATISTICS, &value);
        edits.push((solid[n], solid[m], out));
        n = m + 1;
    }
    super::replace_tokens(tokens, edits);
}

/// The option name `DROP EXPRESSION` becomes (`OPTIONS (SET "<this>" "[if exists]")`).
pub const DROP_EXPRESSION: &str = "\0drop expression";

/// Rewrites `DROP EXPRESSION [IF EXISTS]` to `OPTIONS (SET "<DROP_EXPRESSION>" "...")`, the
/// value `if exists` or empty.
pub fn drop_expression(tokens: &mut Vec<TokenWithSpan>) {
    let solid = solid(tokens);
    let word = |n: usize, w: &str| solid_word(tokens, &solid, n, w);
    let mut edits = Vec::new();
    let mut n = 0;
    while n + 1 < solid.len() {
        let after_column = n >= 2 && (word(n - 2, "alter") || word(n - 2, "column"));
        if !(after_column && word(n, "drop") && word(n + 1, "expression")) {
            n += 1;
            continue;
        }
        let (end, value) = if word(n + 2, "if") && word(n + 3, "exists") {
            (n + 3, "if exists")
        } else {
            (n + 1, "")
        };
        let out = column_option(DROP_EXPRESSION, value);
        edits.push((solid[n], solid[end], out));
        n = end + 1;
    }
    super::replace_tokens(tokens, edits);
}

/// What REINDEX names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReindexKind {
    Index,
    Table,
    Schema,
    Database,
    System,
}

/// One of the statements of this module.
#[derive(Debug, Clone, PartialEq)]
pub enum Utility {
    Checkpoint,
    /// `CLUSTER [VERBOSE] [table [USING index]]`.
    Cluster {
        table: Option<ast::ObjectName>,
        index: Option<ast::Ident>,
    },
    /// `REINDEX [(options)] kind [CONCURRENTLY] name` (DATABASE and SYSTEM may omit it).
    Reindex {
        kind: ReindexKind,
        name: Option<ast::ObjectName>,
    },
    /// `SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }` (`names` empty for
    /// ALL).
    SetConstraints {
        names: Vec<ast::ObjectName>,
        deferred: bool,
    },
    /// `ALTER TABLE [IF EXISTS] [ONLY] t ALTER CONSTRAINT name [[NOT] DEFERRABLE]
    /// [INITIALLY DEFERRED | IMMEDIATE]`.
    AlterConstraint {
        table: ast::ObjectName,
        if_exists: bool,
        constraint: ast::Ident,
        characteristics: Option<ast::ConstraintCharacteristics>,
    },
    /// `ALTER TABLE [IF EXISTS] [ONLY] name SET SCHEMA schema` (of a table, view or
    /// sequence, as PostgreSQL allows).
    SetSchema {
        table: ast::ObjectName,
        if_exists: bool,
        schema: ast::Ident,
    },
    /// `ALTER TYPE name SET SCHEMA schema`.
    TypeSetSchema {
        name: ast::ObjectName,
        schema: ast::Ident,
    },
}

/// The position of the token after `ALTER TABLE [IF EXISTS] [ONLY] name`, if the tokens
/// start that way.
fn after_alter_table_name(p: &Parser) -> Option<usize> {
    if !(is_word(p, 0, "alter") && is_word(p, 1, "table")) {
        return None;
    }
    let mut n = 2;
    if is_word(p, n, "if") && is_word(p, n + 1, "exists") {
        n += 2;
    }
    if is_word(p, n, "only") {
        n += 1;
    }
    if !matches!(p.peek_nth_token_ref(n).token, Token::Word(_)) {
        return None;
    }
    n += 1;
    while matches!(p.peek_nth_token_ref(n).token, Token::Period) {
        n += 2;
    }
    Some(n)
}

/// Whether the tokens are `ALTER TABLE [IF EXISTS] [ONLY] name ALTER CONSTRAINT`.
fn starts_alter_constraint(p: &Parser) -> bool {
    after_alter_table_name(p)
        .is_some_and(|n| is_word(p, n, "alter") && is_word(p, n + 1, "constraint"))
}

/// Whether the tokens are `ALTER TYPE name SET SCHEMA`.
fn starts_type_set_schema(p: &Parser) -> bool {
    if !(is_word(p, 0, "alter") && is_word(p, 1, "type")) {
        return false;
    }
    if !matches!(p.peek_nth_token_ref(2).token, Token::Word(_)) {
        return false;
    }
    let mut n = 3;
    while matches!(p.peek_nth_token_ref(n).token, Token::Period) {
        n += 2;
    }
    is_word(p, n, "set") && is_word(p, n + 1, "schema")
}

/// Whether the tokens are `ALTER TABLE [IF EXISTS] [ONLY] name SET SCHEMA`.
fn starts_set_schema(p: &Parser) -> bool {
    after_alter_table_name(p).is_some_and(|n| is_word(p, n, "set") && is_word(p, n + 1, "schema"))
}

fn is_word(p: &Parser, n: usize, word: &str) -> bool {
    matches!(&p.peek_nth_token_ref(n).token,
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// Whether the next tokens start one of this module's statements.
pub fn starts(p: &Parser) -> bool {
    is_word(p, 0, "checkpoint")
        || is_word(p, 0, "cluster")
        || is_word(p, 0, "reindex")
        || (is_word(p, 0, "set") && is_word(p, 1, "constraints"))
        || starts_alter_constraint(p)
        || starts_set_schema(p)
        || starts_type_set_schema(p)
}

/// Parses the statement [`starts`] found.
pub fn parse(p: &mut Parser) -> Result<Utility, ParserError> {
    if is_word(p, 0, "checkpoint") {
        p.advance_token();
        return Ok(Utility::Checkpoint);
    }
    if starts_type_set_schema(p) {
        p.expect_keywords(&[Keyword::ALTER, Keyword::TYPE])?;
        let name = p.parse_object_name(false)?;
        p.expect_keywords(&[Keyword::SET, Keyword::SCHEMA])?;
        let schema = p.parse_identifier()?;
        return Ok(Utility::TypeSetSchema { name, schema });
    }
    if starts_set_schema(p) {
        p.expect_keywords(&[Keyword::ALTER, Keyword::TABLE])?;
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let _ = p.parse_keyword(Keyword::ONLY);
        let table = p.parse_object_name(false)?;
        p.expect_keywords(&[Keyword::SET, Keyword::SCHEMA])?;
        let schema = p.parse_identifier()?;
        return Ok(Utility::SetSchema {
            table,
            if_exists,
            schema,
        });
    }
    if starts_alter_constraint(p) {
        p.expect_keywords(&[Keyword::ALTER, Keyword::TABLE])?;
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let _ = p.parse_keyword(Keyword::ONLY);
        let table = p.parse_object_name(false)?;
        p.expect_keywords(&[Keyword::ALTER, Keyword::CONSTRAINT])?;
        let constraint = p.parse_identifier()?;
        let characteristics = p.parse_constraint_characteristics()?;
        return Ok(Utility::AlterConstraint {
            table,
            if_exists,
            constraint,
            characteristics,
        });
    }
    if is_word(p, 0, "set") {
        p.advance_token();
        p.advance_token();
        let names = if p.parse_keyword(Keyword::ALL) {
            Vec::new()
        } else {
            p.parse_comma_separated(|p| p.parse_object_name(false))?
        };
        let deferred = match p.parse_one_of_keywords(&[Keyword::DEFERRED, Keyword::IMMEDIATE]) {
            Some(Keyword::DEFERRED) => true,
            Some(_) => false,
            None => return p.expected("DEFERRED or IMMEDIATE", p.peek_token()),
        };
        return Ok(Utility::SetConstraints { names, deferred });
    }
    if is_word(p, 0, "cluster") {
        p.advance_token();
        let _ = p.parse_keyword(Keyword::VERBOSE);
        if matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
            return Ok(Utility::Cluster {
                table: None,
                index: None,
            });
        }
        let table = p.parse_object_name(false)?;
        let index = if p.parse_keyword(Keyword::USING) {
            Some(p.parse_identifier()?)
        } else {
            None
        };
        return Ok(Utility::Cluster {
            table: Some(table),
            index,
        });
    }
    p.expect_keyword(Keyword::REINDEX)?;
    if p.consume_token(&Token::LParen) {
        // Options (VERBOSE, CONCURRENTLY, TABLESPACE x) change nothing here.
        super::skip_parenthesized(p)?;
    }
    let kind = match p.parse_one_of_keywords(&[
        Keyword::INDEX,
        Keyword::TABLE,
        Keyword::SCHEMA,
        Keyword::DATABASE,
        Keyword::SYSTEM,
    ]) {
        Some(Keyword::INDEX) => ReindexKind::Index,
        Some(Keyword::TABLE) => ReindexKind::Table,
        Some(Keyword::SCHEMA) => ReindexKind::Schema,
        Some(Keyword::DATABASE) => ReindexKind::Database,
        Some(_) => ReindexKind::System,
        None => return p.expected("INDEX, TABLE, SCHEMA, DATABASE or SYSTEM", p.peek_token()),
    };
    let _ = p.parse_keyword(Keyword::CONCURRENTLY);
    let name = match (kind, &p.peek_token_ref().token) {
        (ReindexKind::Database | ReindexKind::System, Token::EOF | Token::SemiColon) => None,
        _ => Some(p.parse_object_name(false)?),
    };
    Ok(Utility::Reindex { kind, name })
}

/// Rewrites `RESET TIME ZONE` and `SHOW TIME ZONE` (SQL's spelling, which sqlparser does
/// not parse) to `RESET timezone` / `SHOW timezone`.
pub fn reset_time_zone(tokens: &mut Vec<TokenWithSpan>) {
    let solid = solid(tokens);
    let word = |n: usize, w: &str| solid_word(tokens, &solid, n, w);
    let mut edits = Vec::new();
    for n in 0..solid.len() {
        let starts = n == 0 || tokens[solid[n - 1]].token == Token::SemiColon;
        if starts
            && (word(n, "reset") || word(n, "show"))
            && word(n + 1, "time")
            && word(n + 2, "zone")
        {
            edits.push((
                solid[n + 1],
                solid[n + 2],
                vec![Token::make_word("timezone", None)],
            ));
        }
    }
    super::replace_tokens(tokens, edits);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Statement;

    #[test]
    fn parses_each_form() {
        let one = |sql: &str| match crate::parse::parse(sql).expect(sql).remove(0) {
            Statement::Utility(u) => u,
            other => panic!("{other:?}"),
        };
        assert_eq!(one("checkpoint"), Utility::Checkpoint);
        assert!(matches!(
            one("CLUSTER VERBOSE t USING i"),
            Utility::Cluster {
                table: Some(_),
                index: Some(_)
            }
        ));
        assert!(matches!(
            one("CLUSTER"),
            Utility::Cluster { table: None, .. }
        ));
        assert!(matches!(
            one("REINDEX (VERBOSE) TABLE CONCURRENTLY s.t"),
            Utility::Reindex {
                kind: ReindexKind::Table,
                name: Some(_)
            }
        ));
        assert_eq!(
            one("SET CONSTRAINTS ALL IMMEDIATE"),
            Utility::SetConstraints {
                names: Vec::new(),
                deferred: false
            }
        );
        assert!(matches!(
            one("set constraints a, s.b deferred"),
            Utility::SetConstraints { names, deferred: true } if names.len() == 2
        ));
        assert!(matches!(
            one("ALTER TABLE IF EXISTS ONLY s.t ALTER CONSTRAINT fk NOT DEFERRABLE"),
            Utility::AlterConstraint { if_exists: true, table, characteristics: Some(_), .. }
                if table.0.len() == 2
        ));
        assert!(matches!(
            one("reindex system"),
            Utility::Reindex {
                kind: ReindexKind::System,
                name: None
            }
        ));
    }
}
