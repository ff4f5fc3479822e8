//! `GROUP BY ALL | DISTINCT`, which sqlparser does not parse as PostgreSQL does, rewritten
//! in the token stream before parsing.
//!
//! `GROUP BY ALL a, b` is PostgreSQL's spelling of `GROUP BY a, b` (sqlparser reads `GROUP
//! BY ALL` as DuckDB's "group by every non-aggregate column" and then fails on the list):
//! the `ALL` is dropped. `GROUP BY DISTINCT items` (drop duplicate grouping sets after
//! expansion) becomes `GROUP BY __strata_group_by_distinct(), items`: a [`MARKER`] call
//! first in the list, which the binder takes out again ([`take_marker`]).

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// The marker function's name.
pub const MARKER: &str = "__strata_group_by_distinct";

/// Rewrites `GROUP BY ALL` / `GROUP BY DISTINCT` in `tokens` (see the module docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    // (token index, is DISTINCT), in order.
    let mut found = Vec::new();
    for w in solid.windows(3) {
        let [g, b, i] = [w[0], w[1], w[2]];
        if !(word(&tokens[g].token, Keyword::GROUP) && word(&tokens[b].token, Keyword::BY)) {
            continue;
        }
        if word(&tokens[i].token, Keyword::ALL) {
            found.push((i, false));
        } else if word(&tokens[i].token, Keyword::DISTINCT) {
            found.push((i, true));
        }
    }
    for (i, distinct) in found.into_iter().rev() {
        let span = tokens[i].span;
        if !distinct {
            tokens.remove(i);
            continue;
        }
        let marker = [
            Token::make_word(MARKER, None),
            Token::LParen,
            Token::RParen,
            Token::Comma,
        ];
        tokens.splice(i..=i, marker.map(|t| TokenWithSpan::new(t, span)));
    }
}

/// Takes the DISTINCT marker out of a GROUP BY list: whether it was there, and the items.
pub fn take_marker(items: &[ast::Expr]) -> (bool, &[ast::Expr]) {
    match items.split_first() {
        Some((ast::Expr::Function(f), rest)) if f.name.to_string() == MARKER => (true, rest),
        _ => (false, items),
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::statements;

    fn text(sql: &str) -> String {
        statements(sql).expect("parses")[0].to_string()
    }

    #[test]
    fn group_by_all_and_distinct() {
        assert_eq!(
            text("SELECT a FROM t GROUP BY ALL a, b"),
            "SELECT a FROM t GROUP BY a, b"
        );
        assert_eq!(
            text("select a from t group by\n distinct rollup(a), b"),
            "SELECT a FROM t GROUP BY __strata_group_by_distinct(), ROLLUP (a), b"
        );
        // Elsewhere the words are left alone.
        assert_eq!(
            text("SELECT DISTINCT a FROM t GROUP BY a UNION ALL SELECT 'group by all'"),
            "SELECT DISTINCT a FROM t GROUP BY a UNION ALL SELECT 'group by all'"
        );
    }
}
