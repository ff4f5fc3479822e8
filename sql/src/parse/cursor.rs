//! `DECLARE`, `FETCH`, `MOVE` and `CLOSE` of cursors, parsed here in PostgreSQL's grammar
//! (sqlparser knows no MOVE, and its FETCH needs a count and `FROM`).
//!
//! ```text
//! DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR
//!     [{WITH | WITHOUT} HOLD] FOR query
//! {FETCH | MOVE} [direction] [{FROM | IN}] name
//!     direction: NEXT | PRIOR | FIRST | LAST | ABSOLUTE n | RELATIVE n | n | ALL
//!              | FORWARD [n | ALL] | BACKWARD [n | ALL]
//! CLOSE {name | ALL}
//! ```

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// A cursor statement.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorCommand {
    Declare {
        name: String,
        /// `SCROLL` (`Some(true)`), `NO SCROLL` (`Some(false)`) or neither.
        scroll: Option<bool>,
        hold: bool,
        query: Box<ast::Query>,
    },
    /// FETCH (rows returned) or MOVE (`move_only`: only the position changes).
    Fetch {
        name: String,
        direction: Direction,
        move_only: bool,
    },
    /// `CLOSE name`, or `CLOSE ALL` (`None`).
    Close { name: Option<String> },
}

/// Where FETCH / MOVE go, as PostgreSQL normalises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `n` rows forward (`None`: all); a negative count goes backward.
    Forward(Option<i64>),
    /// `n` rows backward (`None`: all).
    Backward(Option<i64>),
    /// The row at position `n` (negative: from the end; 0: before the first).
    Absolute(i64),
    /// The row `n` away from the current one.
    Relative(i64),
}

/// Whether the next statement is one of these (the keyword is not consumed).
pub fn starts(p: &Parser) -> bool {
    matches!(
        &p.peek_token().token,
        Token::Word(w) if w.quote_style.is_none()
            && (matches!(w.keyword, Keyword::DECLARE | Keyword::FETCH | Keyword::CLOSE)
                || w.value.eq_ignore_ascii_case("move"))
    )
}

/// Parses the statement [`starts`] found.
pub fn parse(p: &mut Parser) -> Result<CursorCommand, ParserError> {
    if p.parse_keyword(Keyword::DECLARE) {
        return declare(p);
    }
    if p.parse_keyword(Keyword::CLOSE) {
        if p.parse_keyword(Keyword::ALL) {
            return Ok(CursorCommand::Close { name: None });
        }
        let name = p.parse_identifier()?;
        return Ok(CursorCommand::Close {
            name: Some(crate::binder::ident(&name)),
        });
    }
    let move_only = !p.parse_keyword(Keyword::FETCH);
    if move_only {
        p.advance_token(); // MOVE
    }
    let direction = direction(p)?;
    let _ = p.parse_one_of_keywords(&[Keyword::FROM, Keyword::IN]);
    let name = crate::binder::ident(&p.parse_identifier()?);
    Ok(CursorCommand::Fetch {
        name,
        direction,
        move_only,
    })
}

fn declare(p: &mut Parser) -> Result<CursorCommand, ParserError> {
    let name = crate::binder::ident(&p.parse_identifier()?);
    let mut scroll = None;
    loop {
        if p.parse_keyword(Keyword::BINARY) {
            return Err(ParserError::ParserError(
                "binary cursors are not supported".into(),
            ));
        } else if p.parse_keyword(Keyword::ASENSITIVE) || p.parse_keyword(Keyword::INSENSITIVE) {
        } else if p.parse_keyword(Keyword::SCROLL) {
            scroll = Some(true);
        } else if p.parse_keywords(&[Keyword::NO, Keyword::SCROLL]) {
            scroll = Some(false);
        } else {
            break;
        }
    }
    p.expect_keyword(Keyword::CURSOR)?;
    let hold = if p.parse_keyword(Keyword::WITH) {
        p.expect_keyword(Keyword::HOLD)?;
        true
    } else {
        if p.parse_keyword(Keyword::WITHOUT) {
            p.expect_keyword(Keyword::HOLD)?;
        }
        false
    };
    p.expect_keyword(Keyword::FOR)?;
    let query = p.parse_query()?;
    Ok(CursorCommand::Declare {
        name,
        scroll,
        hold,
        query,
    })
}

/// A signed count (`FETCH -2`, `ABSOLUTE -1`).
fn count(p: &mut Parser) -> Result<i64, ParserError> {
    let negative = p.consume_token(&Token::Minus);
    if !negative {
        let _ = p.consume_token(&Token::Plus);
    }
    match p.next_token().token {
        Token::Number(n, _) => n
            .parse::<i64>()
            .map(|n| if negative { -n } else { n })
            .map_err(|_| ParserError::ParserError(format!("invalid count {n}"))),
        other => Err(ParserError::ParserError(format!(
            "syntax error at or near \"{other}\""
        ))),
    }
}

fn is_count(p: &Parser) -> bool {
    matches!(
        p.peek_token().token,
        Token::Number(..) | Token::Minus | Token::Plus
    )
}

fn direction(p: &mut Parser) -> Result<Direction, ParserError> {
    Ok(if p.parse_keyword(Keyword::NEXT) {
        Direction::Forward(Some(1))
    } else if p.parse_keyword(Keyword::PRIOR) {
        Direction::Backward(Some(1))
    } else if p.parse_keyword(Keyword::FIRST) {
        Direction::Absolute(1)
    } else if p.parse_keyword(Keyword::LAST) {
        Direction::Absolute(-1)
    } else if p.parse_keyword(Keyword::ABSOLUTE) {
        Direction::Absolute(count(p)?)
    } else if p.parse_keyword(Keyword::RELATIVE) {
        Direction::Relative(count(p)?)
    } else if p.parse_keyword(Keyword::ALL) {
        Direction::Forward(None)
    } else if p.parse_keyword(Keyword::FORWARD) {
        if p.parse_keyword(Keyword::ALL) {
            Direction::Forward(None)
        } else if is_count(p) {
            Direction::Forward(Some(count(p)?))
        } else {
            Direction::Forward(Some(1))
        }
    } else if p.parse_keyword(Keyword::BACKWARD) {
        if p.parse_keyword(Keyword::ALL) {
            Direction::Backward(None)
        } else if is_count(p) {
            Direction::Backward(Some(count(p)?))
        } else {
            Direction::Backward(Some(1))
        }
    } else if is_count(p) {
        Direction::Forward(Some(count(p)?))
    } else {
        Direction::Forward(Some(1))
    })
}
