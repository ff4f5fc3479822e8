//! Window frames' `EXCLUDE` clause, which sqlparser does not parse.
//!
//! Before parsing, each `EXCLUDE {CURRENT ROW | GROUP | TIES | NO OTHERS}` that ends a frame
//! (after `PRECEDING`, `FOLLOWING` or `CURRENT ROW`, before the window's `)`) is cut out of
//! the text, and the window it belongs to gets a marker as its first PARTITION BY item:
//! `__strata_frame_exclude(k)` ([`MARKER`]; `k` = 1 current row, 2 group, 3 ties; NO OTHERS is
//! the default and needs none). The binder takes the marker out again
//! ([`take_marker`]) before it looks at PARTITION BY. Text without the word `exclude` is
//! parsed untouched.

use crate::planner::FrameExclude;
use sqlparser::ast;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// The marker function's name.
pub const MARKER: &str = "__strata_frame_exclude";

/// `sql` with its frame EXCLUDE clauses turned into markers (see the module docs). Text
/// that does not tokenize is returned as is (the parser reports the error).
pub fn rewrite(dialect: &dyn sqlparser::dialect::Dialect, sql: &str) -> Option<String> {
    if !sql
        .as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"exclude"))
    {
        return None;
    }
    let tokens = Tokenizer::new(dialect, sql).tokenize_with_location().ok()?;
    // Byte offset of each line's start, to turn (line, column) into offsets.
    let mut line_starts = vec![0usize];
    line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
    let offset = |loc: sqlparser::tokenizer::Location| -> Option<usize> {
        let start = *line_starts.get(usize::try_from(loc.line).ok()?.checked_sub(1)?)?;
        let col = usize::try_from(loc.column).ok()?.checked_sub(1)?;
        let rest = sql.get(start..)?;
        Some(start + rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i))
    };
    // The non-whitespace tokens, with their byte ranges.
    let toks: Vec<(&Token, usize, usize)> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .map(|t: &TokenWithSpan| Some((&t.token, offset(t.span.start)?, offset(t.span.end)?)))
        .collect::<Option<_>>()?;
    let kw = |i: usize, k: &str| {
        matches!(toks.get(i), Some((Token::Word(w), _, _))
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k))
    };
    // (byte range to cut, byte offset to insert at, text to insert)
    let mut edits: Vec<(usize, usize, usize, String)> = Vec::new();
    for i in 0..toks.len() {
        if !kw(i, "exclude")
            || !(i > 0 && (kw(i - 1, "preceding") || kw(i - 1, "following") || kw(i - 1, "row")))
        {
            continue;
        }
        let (kind, len) = if kw(i + 1, "current") && kw(i + 2, "row") {
            (FrameExclude::CurrentRow, 3)
        } else if kw(i + 1, "group") {
            (FrameExclude::Group, 2)
        } else if kw(i + 1, "ties") {
            (FrameExclude::Ties, 2)
        } else if kw(i + 1, "no") && kw(i + 2, "others") {
            (FrameExclude::NoOthers, 3)
        } else {
            continue;
        };
        if !matches!(toks.get(i + len), Some((Token::RParen, _, _))) {
            continue;
        }
        let (cut_from, cut_to) = (toks[i].1, toks[i + len - 1].2);
        let code = match kind {
            FrameExclude::NoOthers => {
                edits.push((cut_from, cut_to, cut_from, String::new()));
                continue;
            }
            FrameExclude::CurrentRow => 1,
            FrameExclude::Group => 2,
            FrameExclude::Ties => 3,
        };
        // The window's opening parenthesis.
        let mut depth = 0usize;
        let mut open = None;
        for j in (0..i).rev() {
            match toks[j].0 {
                Token::RParen => depth += 1,
                Token::LParen if depth == 0 => {
                    open = Some(j);
                    break;
                }
                Token::LParen => depth -= 1,
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let mut at = open + 1;
        let named = matches!(toks.get(at), Some((Token::Word(_), _, _)))
            && !["partition", "order", "rows", "range", "groups"]
                .iter()
                .any(|k| kw(at, k));
        if named {
            at += 1;
        }
        let marker = format!("{MARKER}({code})");
        let insert = if kw(at, "partition") && kw(at + 1, "by") {
            (toks[at + 1].2, format!(" {marker},"))
        } else {
            (toks[at - 1].2, format!(" PARTITION BY {marker} "))
        };
        edits.push((cut_from, cut_to, insert.0, insert.1));
    }
    if edits.is_empty() {
        return None;
    }
    // Apply from the end: every cut comes after its own insertion point.
    let mut points: Vec<(usize, usize, String)> = Vec::new();
    for (from, to, at, text) in edits {
        points.push((from, to, String::new()));
        if !text.is_empty() {
            points.push((at, at, text));
        }
    }
    points.sort_by_key(|p| std::cmp::Reverse(p.0));
    let mut out = sql.to_string();
    for (from, to, text) in points {
        out.replace_range(from..to, &text);
    }
    Some(out)
}

/// Takes the EXCLUDE marker out of a window's PARTITION BY list.
pub fn take_marker(partition_by: &mut Vec<ast::Expr>) -> FrameExclude {
    let Some(ast::Expr::Function(f)) = partition_by.first() else {
        return FrameExclude::NoOthers;
    };
    if f.name.to_string() != MARKER {
        return FrameExclude::NoOthers;
    }
    let kind = match f.args.to_string().as_str() {
        "(1)" => FrameExclude::CurrentRow,
        "(2)" => FrameExclude::Group,
        "(3)" => FrameExclude::Ties,
        _ => return FrameExclude::NoOthers,
    };
    partition_by.remove(0);
    kind
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;

    fn rw(sql: &str) -> String {
        rewrite(&PostgreSqlDialect {}, sql).unwrap_or_else(|| sql.to_string())
    }

    #[test]
    fn exclusions_become_partition_markers() {
        assert_eq!(
            rw(
                "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM t"
            ),
            "SELECT sum(x) OVER ( PARTITION BY __strata_frame_exclude(3) ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING ) FROM t"
        );
        assert_eq!(
            rw(
                "SELECT sum(x) OVER (w ROWS CURRENT ROW exclude current row) FROM t WINDOW w AS (PARTITION BY y ORDER BY x RANGE 1 PRECEDING EXCLUDE GROUP)"
            ),
            "SELECT sum(x) OVER (w PARTITION BY __strata_frame_exclude(1)  ROWS CURRENT ROW ) FROM t WINDOW w AS (PARTITION BY __strata_frame_exclude(2), y ORDER BY x RANGE 1 PRECEDING )"
        );
        assert_eq!(
            rw("SELECT sum(x) OVER (ROWS UNBOUNDED PRECEDING EXCLUDE NO OTHERS) FROM t"),
            "SELECT sum(x) OVER (ROWS UNBOUNDED PRECEDING ) FROM t"
        );
        // Not a frame's EXCLUDE: left alone.
        assert_eq!(
            rw("SELECT 'exclude ties' AS exclude"),
            "SELECT 'exclude ties' AS exclude"
        );
    }
}
