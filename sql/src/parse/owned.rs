//! `REASSIGN OWNED BY role [, ...] TO role` and `DROP OWNED BY role [, ...] [CASCADE |
//! RESTRICT]`, which `sqlparser` does not know: parsed here after their first keywords.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// `REASSIGN OWNED BY from, ... TO to`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReassignOwned {
    pub from: Vec<ast::Ident>,
    pub to: ast::Ident,
}

/// `DROP OWNED BY roles [CASCADE]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropOwned {
    pub roles: Vec<ast::Ident>,
    pub cascade: bool,
}

fn word(p: &Parser, n: usize, text: &str) -> bool {
    matches!(&p.peek_nth_token_ref(n).token, Token::Word(w) if w.value.eq_ignore_ascii_case(text))
}

/// Whether the next tokens start `REASSIGN OWNED` (then they are consumed).
pub fn starts_reassign(p: &mut Parser) -> bool {
    if word(p, 0, "reassign") && word(p, 1, "owned") {
        p.advance_token();
        p.advance_token();
        return true;
    }
    false
}

/// Whether the next tokens start `DROP OWNED` (then they are consumed).
pub fn starts_drop(p: &mut Parser) -> bool {
    if word(p, 0, "drop") && word(p, 1, "owned") {
        p.advance_token();
        p.advance_token();
        return true;
    }
    false
}

/// The rest of `REASSIGN OWNED`: `BY roles TO role`.
pub fn reassign(p: &mut Parser) -> Result<ReassignOwned, ParserError> {
    p.expect_keyword_is(Keyword::BY)?;
    let from = p.parse_comma_separated(Parser::parse_identifier)?;
    p.expect_keyword_is(Keyword::TO)?;
    let to = p.parse_identifier()?;
    Ok(ReassignOwned { from, to })
}

/// The rest of `DROP OWNED`: `BY roles [CASCADE | RESTRICT]`.
pub fn drop(p: &mut Parser) -> Result<DropOwned, ParserError> {
    p.expect_keyword_is(Keyword::BY)?;
    let roles = p.parse_comma_separated(Parser::parse_identifier)?;
    let cascade = matches!(
        p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]),
        Some(Keyword::CASCADE)
    );
    Ok(DropOwned { roles, cascade })
}
