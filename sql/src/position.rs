//! Error positions: where in the query text an error points, as PostgreSQL's `P` field
//! (a 1-based character offset into the whole query string, which psql turns into its
//! `LINE 1: ...` line and caret).
//!
//! The binder marks an error with the syntax node it was binding when the error arose
//! ([`note`]), in a per-thread list cleared at the start of every statement ([`clear`]).
//! The first mark for an error message wins, so the innermost node — the column, the
//! function, the literal — gives the position, and an outer node failing with the same
//! error does not move it. Nodes whose errors PostgreSQL reports without a position still
//! leave a mark without one, so an outer node cannot claim their error.
//!
//! When the statement fails, [`locate`] looks the final error's message up and checks the
//! mark against the statement's text: a node parsed from other text (a view's stored query,
//! a function body, a column default) has locations that do not point at its token there,
//! and gives no position. Syntax errors come from the parser's message instead
//! ([`syntax_error`]), reworded as PostgreSQL words them.
//!
//! Invariant: a position is only ever reported when the text at it is the token the error
//! is about; otherwise none is (never a wrong caret).

use std::cell::RefCell;

use sqlparser::tokenizer::{Location, Span};

use crate::Error;

/// How a mark finds its token in the text.
#[derive(Debug, Clone)]
enum Anchor {
    /// The token starts at `at`.
    At { at: Location, token: String },
    /// The first occurrence of `token` at or after `from` (an operator between its
    /// operands, the `::` of a cast).
    After { from: Location, token: String },
    /// PostgreSQL reports this error without a position.
    Nowhere,
}

#[derive(Debug, Clone)]
struct Mark {
    message: String,
    anchor: Anchor,
}

thread_local! {
    static MARKS: RefCell<Vec<Mark>> = const { RefCell::new(Vec::new()) };
}

/// At most this many marks per statement (a statement failing over and over in fallbacks
/// cannot grow the list without bound).
const MAX_MARKS: usize = 64;

/// Forgets the marks of the previous statement.
pub fn clear() {
    MARKS.with(|m| m.borrow_mut().clear());
}

/// How many marks there are now, for [`forget_since`].
pub(crate) fn checkpoint() -> usize {
    MARKS.with(|m| m.borrow().len())
}

/// Forgets the marks made since `checkpoint`: a trial binding whose error is discarded
/// (its marks would point into text the user never wrote, and hide the real error's).
pub(crate) fn forget_since(checkpoint: usize) {
    MARKS.with(|m| m.borrow_mut().truncate(checkpoint));
}

fn push(e: &Error, anchor: Anchor) {
    let message = e.to_string();
    MARKS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() < MAX_MARKS && !m.iter().any(|x| x.message == message) {
            m.push(Mark { message, anchor });
        }
    });
}

/// Marks `e` as arising at the token `token` that starts at `span`'s start.
pub(crate) fn note(e: &Error, span: Span, token: &str) {
    let anchor = if span.start.line == 0 || token.is_empty() {
        Anchor::Nowhere
    } else {
        Anchor::At {
            at: span.start,
            token: token.to_string(),
        }
    };
    push(e, anchor);
}

/// Marks `e` as arising at the first `token` after `from` (e.g. an operator).
pub(crate) fn note_after(e: &Error, from: Location, token: &str) {
    let anchor = if from.line == 0 || token.is_empty() {
        Anchor::Nowhere
    } else {
        Anchor::After {
            from,
            token: token.to_string(),
        }
    };
    push(e, anchor);
}

/// Marks `e` as one PostgreSQL reports without a position.
pub(crate) fn note_nowhere(e: &Error) {
    push(e, Anchor::Nowhere);
}

/// The position (1-based, in characters) of `e` in `sql`, from the marks of the statement
/// that failed with it.
pub fn locate(e: &Error, sql: &str) -> Option<u32> {
    let message = e.to_string();
    let anchor = MARKS.with(|m| {
        m.borrow()
            .iter()
            .find(|x| x.message == message)
            .map(|x| x.anchor.clone())
    })?;
    let chars: Vec<char> = sql.chars().collect();
    match anchor {
        Anchor::Nowhere => None,
        Anchor::At { at, token } => {
            let i = char_index(sql, at)?;
            starts_with_token(&chars[i..], &token).then(|| position(i))
        }
        Anchor::After { from, token } => {
            let start = char_index(sql, from)?;
            (start..chars.len())
                .find(|&i| starts_with_token(&chars[i..], &token) && chars[i] != '"')
                .map(position)
        }
    }
}

fn position(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// The character index of a tokenizer location (1-based line and column, columns counted
/// in characters, lines ended by `\n`).
fn char_index(sql: &str, at: Location) -> Option<usize> {
    if at.line == 0 || at.column == 0 {
        return None;
    }
    let (mut line, mut column) = (1u64, 1u64);
    for (i, c) in sql.chars().enumerate() {
        if line == at.line && column == at.column {
            return Some(i);
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line == at.line && column == at.column).then(|| sql.chars().count())
}

/// Whether `text` begins with `token` as written (case-insensitively, a quoted identifier
/// with its quote).
fn starts_with_token(text: &[char], token: &str) -> bool {
    let text = match text.first() {
        Some('"') => &text[1..],
        _ => text,
    };
    let token: Vec<char> = token.chars().collect();
    text.len() >= token.len()
        && text
            .iter()
            .zip(&token)
            .all(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
}

/// A parser or tokenizer error (`Expected: X, found: Y at Line: L, Column: C`) as
/// PostgreSQL words it (`syntax error at or near "Y"`, `syntax error at end of input`,
/// `unterminated quoted string at or near "'ab"`), with its position in `sql`.
pub fn syntax_error(message: &str, sql: &str) -> (String, Option<u32>) {
    let (text, location) = match message.rfind(" at Line: ") {
        Some(i) => (
            &message[..i],
            parse_location(&message[i + " at Line: ".len()..]),
        ),
        None => (message, None),
    };
    let index = location.and_then(|l| char_index(sql, l));
    let rest = |i: usize| sql.chars().skip(i).collect::<String>();
    if text.starts_with("Unterminated string literal")
        && let Some(i) = index
    {
        return (
            format!("unterminated quoted string at or near \"{}\"", rest(i)),
            Some(position(i)),
        );
    }
    if let Some(found) = text.rsplit_once("found: ").map(|(_, f)| f) {
        if found == "EOF" {
            let end = sql.chars().count();
            return ("syntax error at end of input".into(), Some(position(end)));
        }
        if let Some(i) = index {
            return (
                format!("syntax error at or near \"{found}\""),
                Some(position(i)),
            );
        }
        return (format!("syntax error at or near \"{found}\""), None);
    }
    (text.to_string(), index.map(position))
}

/// `e` with the position its statement's marks give it in `sql` (see [`locate`]).
pub fn attach(e: Error, sql: &str) -> Error {
    let position = locate(&e, sql);
    e.at_position(position)
}

/// A syntax error from the parser reworded as PostgreSQL words it, with its position in
/// `sql` (see [`syntax_error`]); any other error unchanged.
pub fn reword_syntax_error(e: Error, sql: &str) -> Error {
    match e {
        Error::SyntaxError(m)
            if m.contains(" at Line: ")
                || m.contains("found: ")
                || m.starts_with("Unterminated string literal") =>
        {
            let (message, position) = syntax_error(&m, sql);
            Error::SyntaxError(message).at_position(position)
        }
        e => e,
    }
}

/// `L, Column: C` → the location.
fn parse_location(s: &str) -> Option<Location> {
    let (line, column) = s.split_once(", Column: ")?;
    Some(Location {
        line: line.trim().parse().ok()?,
        column: column.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(line: u64, column: u64) -> Span {
        Span::new(Location { line, column }, Location { line, column })
    }

    #[test]
    fn a_mark_gives_the_position_of_its_token_only() {
        clear();
        let e = Error::UndefinedColumn("nocol".into());
        note(&e, span(2, 3), "nocol");
        let sql = "select\n  nocol from t";
        assert_eq!(locate(&e, sql), Some(10));
        // Another text (a view's query) does not hold the token there: no position.
        assert_eq!(locate(&e, "select 1, 2, 3, 4"), None);
        // The first mark for a message wins.
        note(&e, span(1, 1), "select");
        assert_eq!(locate(&e, sql), Some(10));
        clear();
        assert_eq!(locate(&e, sql), None);
    }

    #[test]
    fn quoted_identifiers_and_case_match() {
        clear();
        let e = Error::UndefinedColumn("Foo".into());
        note(&e, span(1, 8), "Foo");
        assert_eq!(locate(&e, "select \"Foo\""), Some(8));
        note(&Error::UndefinedColumn("x".into()), span(1, 8), "x");
        assert_eq!(
            locate(&Error::UndefinedColumn("x".into()), "select X"),
            Some(8)
        );
    }

    #[test]
    fn operators_are_found_after_their_left_operand() {
        clear();
        let e = Error::UndefinedFunction("operator does not exist: integer + text".into());
        note_after(&e, Location { line: 1, column: 9 }, "+");
        assert_eq!(locate(&e, "select 1 + 'a'::text"), Some(10));
        let n = Error::DivisionByZero;
        note_nowhere(&n);
        assert_eq!(locate(&n, "select 1/0"), None);
    }

    #[test]
    fn parser_errors_read_as_postgresql_words_them() {
        assert_eq!(
            syntax_error(
                "Expected: an SQL statement, found: selec at Line: 1, Column: 1",
                "selec 1;"
            ),
            ("syntax error at or near \"selec\"".into(), Some(1))
        );
        assert_eq!(
            syntax_error(
                "Expected: an expression, found: ; at Line: 2, Column: 1",
                "select 1 +\n;"
            ),
            ("syntax error at or near \";\"".into(), Some(12))
        );
        assert_eq!(
            syntax_error("Expected: an expression, found: EOF", "select 1 +"),
            ("syntax error at end of input".into(), Some(11))
        );
        assert_eq!(
            syntax_error(
                "Unterminated string literal at Line: 1, Column: 8",
                "select 'ab"
            ),
            (
                "unterminated quoted string at or near \"'ab\"".into(),
                Some(8)
            )
        );
    }
}
