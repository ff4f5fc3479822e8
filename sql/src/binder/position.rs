//! Which syntax node an error points at ([`crate::position`]), per node kind, as
//! PostgreSQL's parser reports positions: a column reference for an unknown or ambiguous
//! column or a missing FROM entry, a function's name for an unknown function or a misplaced
//! aggregate, an operator for an unknown operator, a literal for input it cannot read, a
//! cast's `::` for a cast that does not exist, a relation's name for an unknown relation.
//! Every other error of a node is marked as having no position, so an enclosing node does
//! not claim it (`abs(x IS DISTINCT FROM y)` must not point at `abs`).

use std::ops::ControlFlow;

use sqlparser::ast::{self, Spanned};

use crate::Error;
use crate::position::{note, note_after, note_nowhere};

/// Errors a column reference points at.
const COLUMN: &[&str] = &["42703", "42702", "42P01", "42803"];
/// Errors a function call points at (by its name).
const FUNCTION: &[&str] = &["42883", "42725", "42803", "42P20", "42809"];
/// Errors an operator points at.
const OPERATOR: &[&str] = &["42883", "42725"];
/// Errors a literal points at (its text does not read as the type it is given).
const LITERAL: &[&str] = &["22P02", "22007", "22008", "22003", "22P03", "22021"];

/// Marks `err`, raised while binding `e`, with the position PostgreSQL gives it.
pub(super) fn mark(err: &Error, e: &ast::Expr) {
    use ast::Expr as E;
    let code = err.code();
    match e {
        E::Identifier(id) if COLUMN.contains(&code) => note(err, id.span, &id.value),
        E::CompoundIdentifier(parts) if COLUMN.contains(&code) => match parts.first() {
            Some(id) => note(err, id.span, &id.value),
            None => note_nowhere(err),
        },
        E::Function(f) if FUNCTION.contains(&code) => match f.name.0.first() {
            Some(ast::ObjectNamePart::Identifier(id)) => note(err, id.span, &id.value),
            _ => note_nowhere(err),
        },
        E::BinaryOp { left, op, .. } if OPERATOR.contains(&code) => {
            note_after(err, left.span().end, &op.to_string())
        }
        E::In { expr, negated, .. } if OPERATOR.contains(&code) => {
            note_after(err, expr.span().end, if *negated { "NOT" } else { "IN" })
        }
        // `'abc'::int`, `id = 'x'`, `ARRAY[1, 'x']`: the literal whose text the error quotes.
        _ if LITERAL.contains(&code) => mark_coerced(err, e),
        E::Cast {
            kind: ast::CastKind::DoubleColon,
            expr,
            ..
        } if code == "42846" => note_after(err, expr.span().end, "::"),
        E::Cast { .. } if code == "42846" => note(err, e.span(), "CAST"),
        // An unknown type: its name after the operand.
        E::Cast {
            expr, data_type, ..
        } if code == "42704" => note_after(err, expr.span().end, &type_word(data_type)),
        _ => note_nowhere(err),
    }
}

/// The string literal in `e` (or `e` itself) whose text `err`'s message quotes: the input
/// that could not be read.
fn quoted_in(err: &Error, e: &ast::Expr) -> Option<ast::ValueWithSpan> {
    let message = err.to_string();
    let found = ast::visit_expressions(e, |x| {
        let v = match x {
            ast::Expr::Value(v) | ast::Expr::TypedString(ast::TypedString { value: v, .. }) => v,
            _ => return ControlFlow::Continue(()),
        };
        match &v.value {
            ast::Value::SingleQuotedString(s) if message.contains(&format!("\"{s}\"")) => {
                ControlFlow::Break(v.clone())
            }
            // Malformed JSON: the message does not quote it; the literal whose text gives
            // the same DETAIL and CONTEXT does.
            ast::Value::SingleQuotedString(s)
                if message == "invalid input syntax for type json"
                    && crate::types::json_errors::describe(s).is_some_and(|(d, c)| {
                        err.detail() == Some(d.as_str()) && err.context() == Some(c.as_str())
                    }) =>
            {
                ControlFlow::Break(v.clone())
            }
            _ => ControlFlow::Continue(()),
        }
    });
    match found {
        ControlFlow::Break(v) => Some(v),
        ControlFlow::Continue(()) => None,
    }
}

/// Marks `err`, an input error raised while binding or coercing `e` (INSERT's VALUES,
/// UPDATE's SET), at the literal in `e` whose text it quotes.
pub(super) fn mark_coerced(err: &Error, e: &ast::Expr) {
    match quoted_in(err, e) {
        Some(v) if LITERAL.contains(&err.code()) => literal(err, &v),
        _ => note_nowhere(err),
    }
}

/// The first word of a type name as written (`nosuchtype`, `double` of `double
/// precision`).
fn type_word(t: &ast::DataType) -> String {
    let text = t.to_string();
    let word = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == '[')
        .next()
        .unwrap_or_default();
    word.split('.')
        .next()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string()
}

/// A literal's position: its first character as written.
fn literal(err: &Error, v: &ast::ValueWithSpan) {
    use ast::Value as V;
    let token = match &v.value {
        V::SingleQuotedString(_) => "'".to_string(),
        V::EscapedStringLiteral(_) => "E".to_string(),
        V::Number(n, _) => n.to_string(),
        _ => String::new(),
    };
    note(err, v.span, &token);
}

/// Marks `err`, raised while resolving the relation `name` (in FROM, or the target of
/// INSERT / UPDATE / DELETE), at its name.
pub(super) fn mark_relation(err: &Error, name: &ast::ObjectName) {
    match name.0.first() {
        Some(ast::ObjectNamePart::Identifier(id)) if matches!(err.code(), "42P01" | "3F000") => {
            note(err, id.span, &id.value)
        }
        _ => note_nowhere(err),
    }
}
