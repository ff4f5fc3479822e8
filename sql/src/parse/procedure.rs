//! `CREATE [OR REPLACE] PROCEDURE`, `DROP ROUTINE` and `ALTER PROCEDURE | ROUTINE`,
//! PostgreSQL's forms.
//!
//! sqlparser reads `CREATE PROCEDURE` as SQL Server's; PostgreSQL's is `CREATE FUNCTION`'s
//! syntax without `RETURNS`, so it is read by sqlparser's `CREATE FUNCTION` parser (`RETURNS`
//! is then refused, 42601, as PostgreSQL's grammar refuses it). `DROP ROUTINE` (a function
//! or a procedure) is read as `DROP FUNCTION` is, and so is the routine of `COMMENT ON
//! FUNCTION | PROCEDURE | ROUTINE name(types) IS ...` (sqlparser takes no argument list
//! there); `ALTER PROCEDURE | ROUTINE` as `ALTER FUNCTION`. `CALL` and `DROP PROCEDURE` are
//! sqlparser's own.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

fn word(p: &Parser, n: usize, k: Keyword) -> bool {
    matches!(&p.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == k)
}

/// Whether the next tokens start `CREATE [OR REPLACE] PROCEDURE`, `DROP ROUTINE` or
/// `COMMENT ON FUNCTION | PROCEDURE | ROUTINE`.
pub fn starts(p: &Parser) -> bool {
    (word(p, 0, Keyword::COMMENT)
        && word(p, 1, Keyword::ON)
        && (word(p, 2, Keyword::FUNCTION)
            || word(p, 2, Keyword::PROCEDURE)
            || word(p, 2, Keyword::ROUTINE)))
        || (word(p, 0, Keyword::CREATE)
            && (word(p, 1, Keyword::PROCEDURE)
                || (word(p, 1, Keyword::OR)
                    && word(p, 2, Keyword::REPLACE)
                    && word(p, 3, Keyword::PROCEDURE))))
        || (word(p, 0, Keyword::DROP) && word(p, 1, Keyword::ROUTINE))
        || (word(p, 0, Keyword::ALTER)
            && (word(p, 1, Keyword::PROCEDURE) || word(p, 1, Keyword::ROUTINE)))
}

/// `CREATE [OR REPLACE] PROCEDURE ...` (as a `CREATE FUNCTION` without a result type) or
/// `DROP ROUTINE ...`; [`starts`] said it is one.
pub fn parse(p: &mut Parser) -> Result<super::Statement, ParserError> {
    if p.parse_keywords(&[Keyword::COMMENT, Keyword::ON]) {
        let procedure = match p.next_token().token {
            Token::Word(w) if w.keyword == Keyword::FUNCTION => Some(false),
            Token::Word(w) if w.keyword == Keyword::PROCEDURE => Some(true),
            _ => None,
        };
        // the routine up to IS, read by sqlparser's DROP FUNCTION
        let mut routine = Vec::new();
        loop {
            let t = p.peek_token_ref().token.clone();
            if matches!(t, Token::EOF | Token::SemiColon)
                || matches!(&t, Token::Word(w) if w.keyword == Keyword::IS)
            {
                break;
            }
            p.advance_token();
            routine.push(t);
        }
        p.expect_keyword(Keyword::IS)?;
        let text = if p.parse_keyword(Keyword::NULL) {
            None
        } else {
            Some(p.parse_literal_string()?)
        };
        let mut d = drop_function(routine, "COMMENT")?;
        let Some(func) = d.func_desc.pop() else {
            return Err(ParserError::ParserError(
                "syntax error at or near \"IS\"".into(),
            ));
        };
        return Ok(super::Statement::CommentOnRoutine {
            procedure,
            func,
            text,
        });
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::ROUTINE]) {
        let rest = rest_of_statement(p);
        return drop_function(rest, "ROUTINE").map(super::Statement::DropRoutine);
    }
    if p.parse_keyword(Keyword::ALTER) {
        let procedure = p.parse_keyword(Keyword::PROCEDURE);
        if !procedure {
            p.expect_keyword(Keyword::ROUTINE)?;
        }
        let rest = rest_of_statement(p);
        let mut text = String::from("ALTER FUNCTION ");
        for t in rest {
            text.push_str(&t.to_string());
            text.push(' ');
        }
        let dialect = super::StrataDialect::default();
        return match Parser::new(&dialect)
            .try_with_sql(&text)?
            .parse_statement()?
        {
            ast::Statement::AlterFunction(alter) => Ok(super::Statement::AlterRoutine {
                procedure: procedure.then_some(true),
                alter,
            }),
            _ => Err(ParserError::ParserError(
                "syntax error at or near \"ALTER\"".into(),
            )),
        };
    }
    p.expect_keyword(Keyword::CREATE)?;
    let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
    p.expect_keyword(Keyword::PROCEDURE)?;
    match p.parse_create_function(false, or_replace, false)? {
        ast::Statement::CreateFunction(c) => {
            if c.return_type.is_some() {
                return Err(ParserError::ParserError(
                    "syntax error at or near \"RETURNS\"".into(),
                ));
            }
            Ok(super::Statement::CreateProcedure(Box::new(c)))
        }
        _ => Err(ParserError::ParserError(
            "syntax error at or near \"PROCEDURE\"".into(),
        )),
    }
}

/// The tokens up to the end of the statement.
fn rest_of_statement(p: &mut Parser) -> Vec<Token> {
    let mut rest = Vec::new();
    loop {
        let t = p.peek_token_ref().token.clone();
        if matches!(t, Token::EOF | Token::SemiColon) {
            return rest;
        }
        p.advance_token();
        rest.push(t);
    }
}

/// `tokens` read as what follows `DROP FUNCTION` (`word` names the statement in a syntax
/// error).
fn drop_function(tokens: Vec<Token>, word: &str) -> Result<ast::DropFunction, ParserError> {
    let mut rest = String::from("DROP FUNCTION ");
    for t in tokens {
        rest.push_str(&t.to_string());
        rest.push(' ');
    }
    let dialect = super::StrataDialect::default();
    match Parser::new(&dialect)
        .try_with_sql(&rest)?
        .parse_statement()?
    {
        ast::Statement::DropFunction(d) if d.func_desc.len() == 1 || word == "ROUTINE" => Ok(d),
        _ => Err(ParserError::ParserError(format!(
            "syntax error at or near \"{word}\""
        ))),
    }
}
