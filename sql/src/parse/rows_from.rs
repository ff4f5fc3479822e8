//! Functions in FROM that sqlparser does not parse, rewritten in the token stream:
//!
//! * `ROWS FROM (f(...) [AS (col type, ...)], g(...), ...)` becomes the table function call
//!   `__strata_rows_from(f(...), g(...), ...)` ([`ROWS_FROM`]), whatever follows (`WITH
//!   ORDINALITY`, an alias) left as written; a function with a column definition list
//!   becomes `__strata_coldef(f(...), 'col', CAST(NULL AS type), ...)` ([`COLDEF`]).
//! * A column definition list without an alias name, `FROM f(...) AS (col type, ...)`,
//!   gets the alias name [`UNNAMED`], which the binder reads as no alias name (the function's
//!   own name names the item, as in PostgreSQL).
//!
//! The binder (`binder/rows_from.rs`) binds each function as its own FROM item and zips them.
//! A view keeps the rewritten text; [`restore`] prints it back as written for
//! `pg_get_viewdef`.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// The table function standing for `ROWS FROM`.
pub const ROWS_FROM: &str = "__strata_rows_from";
/// The call wrapping a function and its column definition list inside `ROWS FROM`.
pub const COLDEF: &str = "__strata_coldef";
/// The alias name of a column definition list written without one.
pub const UNNAMED: &str = "__strata_unnamed";

fn is_kw(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k)
}

/// The index of the parenthesis closing the one at `open`.
fn closing(toks: &[TokenWithSpan], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The top-level comma-separated ranges of `toks[from..to]`.
fn split(toks: &[TokenWithSpan], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, from);
    for (i, t) in toks.iter().enumerate().take(to).skip(from) {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                out.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < to {
        out.push((start, to));
    }
    out
}

fn wrap(t: Token) -> TokenWithSpan {
    TokenWithSpan::wrap(t)
}

/// Rewrites `ROWS FROM (...)` and unnamed column definition lists (see the module docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let candidate = tokens
        .windows(2)
        .any(|w| is_kw(&w[0].token, Keyword::ROWS) || is_kw(&w[0].token, Keyword::AS));
    if !candidate {
        return;
    }
    let mut toks: Vec<TokenWithSpan> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .cloned()
        .collect();
    let mut changed = false;
    let mut i = 0;
    while i + 2 < toks.len() {
        if is_kw(&toks[i].token, Keyword::ROWS)
            && is_kw(&toks[i + 1].token, Keyword::FROM)
            && toks[i + 2].token == Token::LParen
            && let Some(close) = closing(&toks, i + 2)
        {
            let mut out = vec![wrap(Token::make_word(ROWS_FROM, None)), wrap(Token::LParen)];
            for (n, (a, b)) in split(&toks, i + 3, close).into_iter().enumerate() {
                if n > 0 {
                    out.push(wrap(Token::Comma));
                }
                out.extend(item(&toks[a..b]));
            }
            out.push(wrap(Token::RParen));
            toks.splice(i..=close, out);
            changed = true;
        }
        i += 1;
    }
    let mut i = 0;
    while i + 4 < toks.len() {
        if toks[i].token == Token::RParen
            && is_kw(&toks[i + 1].token, Keyword::AS)
            && toks[i + 2].token == Token::LParen
            && is_column_definition(&toks[i + 3].token, &toks[i + 4].token)
        {
            toks.insert(i + 2, wrap(Token::make_word(UNNAMED, None)));
            changed = true;
        }
        i += 1;
    }
    if changed {
        *tokens = toks;
    }
}

/// Whether `name type` can start a column definition list (not a query, as in `WITH x(a)
/// AS (SELECT ...)`).
fn is_column_definition(name: &Token, ty: &Token) -> bool {
    let Token::Word(w) = name else {
        return false;
    };
    let query = w.quote_style.is_none()
        && matches!(
            w.keyword,
            Keyword::SELECT
                | Keyword::VALUES
                | Keyword::WITH
                | Keyword::TABLE
                | Keyword::INSERT
                | Keyword::UPDATE
                | Keyword::DELETE
                | Keyword::MERGE
                | Keyword::MATERIALIZED
                | Keyword::NOT
        );
    !query && matches!(ty, Token::Word(_))
}

/// One `ROWS FROM` item: as written, or `__strata_coldef(f(...), 'name', CAST(NULL AS
/// type), ...)` for one with a column definition list.
fn item(toks: &[TokenWithSpan]) -> Vec<TokenWithSpan> {
    let n = toks.len();
    let mut depth = 0usize;
    let mut at = None;
    for (i, t) in toks.iter().enumerate() {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            _ if depth == 0
                && is_kw(&t.token, Keyword::AS)
                && toks.get(i + 1).is_some_and(|t| t.token == Token::LParen)
                && closing(toks, i + 1) == Some(n - 1) =>
            {
                at = Some(i);
            }
            _ => {}
        }
    }
    let Some(at) = at else {
        return toks.to_vec();
    };
    let mut out = vec![wrap(Token::make_word(COLDEF, None)), wrap(Token::LParen)];
    out.extend(toks[..at].iter().cloned());
    for (a, b) in split(toks, at + 2, n - 1) {
        let Some(Token::Word(w)) = toks.get(a).map(|t| &t.token) else {
            return toks.to_vec();
        };
        let name = if w.quote_style.is_some() {
            w.value.clone()
        } else {
            w.value.to_lowercase()
        };
        out.extend([
            wrap(Token::Comma),
            wrap(Token::SingleQuotedString(name)),
            wrap(Token::Comma),
            wrap(Token::make_keyword("CAST")),
            wrap(Token::LParen),
            wrap(Token::make_keyword("NULL")),
            wrap(Token::make_keyword("AS")),
        ]);
        out.extend(toks[a + 1..b].iter().cloned());
        out.push(wrap(Token::RParen));
    }
    out.push(wrap(Token::RParen));
    out
}

/// `text` (a stored view query) with the markers written back as `ROWS FROM(...)`, `f(...)
/// AS (col type, ...)` and `AS (col type, ...)`; text without them is returned unchanged.
pub fn restore(text: &str) -> String {
    if !text.contains("__strata_") {
        return text.to_string();
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    match sqlparser::tokenizer::Tokenizer::new(&dialect, text).tokenize_with_location() {
        Ok(toks) => {
            let mut out = String::new();
            print(&toks, &mut out);
            out
        }
        Err(_) => text.to_string(),
    }
}

fn is_word(t: &Token, w: &str) -> bool {
    matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

fn verbatim(toks: &[TokenWithSpan]) -> String {
    toks.iter()
        .map(|t| t.token.to_string())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Prints `toks` as they are, the markers restored.
fn print(toks: &[TokenWithSpan], out: &mut String) {
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i].token;
        if is_word(t, UNNAMED) {
            // `AS __strata_unnamed (` is `AS (`
            i += 1;
            if toks
                .get(i)
                .is_some_and(|t| matches!(t.token, Token::Whitespace(_)))
            {
                i += 1;
            }
            continue;
        }
        if is_word(t, ROWS_FROM) {
            out.push_str("ROWS FROM");
            i += 1;
            continue;
        }
        if is_word(t, COLDEF)
            && toks.get(i + 1).is_some_and(|t| t.token == Token::LParen)
            && let Some(close) = closing(toks, i + 1)
        {
            let parts = split(toks, i + 2, close);
            if let Some((&(a, b), rest)) = parts.split_first() {
                let mut call = String::new();
                print(&toks[a..b], &mut call);
                out.push_str(call.trim());
                out.push_str(" AS (");
                for (k, pair) in rest.chunks(2).enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    let [(na, nb), (ta, tb)] = pair else {
                        continue;
                    };
                    let name = toks[*na..*nb].iter().find_map(|t| match &t.token {
                        Token::SingleQuotedString(n) => Some(n.clone()),
                        _ => None,
                    });
                    out.push_str(&crate::expr::catalog_functions::quote_ident(
                        &name.unwrap_or_default(),
                    ));
                    // `CAST(NULL AS type)`: the tokens between AS and the last `)`
                    let cast = &toks[*ta..*tb];
                    let as_at = cast.iter().position(|t| is_kw(&t.token, Keyword::AS));
                    let end = cast.iter().rposition(|t| t.token == Token::RParen);
                    if let (Some(s), Some(e)) = (as_at, end) {
                        out.push(' ');
                        out.push_str(&verbatim(&cast[s + 1..e]));
                    }
                }
                out.push(')');
                i = close + 1;
                continue;
            }
        }
        out.push_str(&t.to_string());
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::statements;

    fn round_trip(sql: &str) -> String {
        statements(sql).unwrap()[0].to_string()
    }

    #[test]
    fn rows_from_becomes_a_table_function() {
        assert_eq!(
            round_trip(
                "SELECT * FROM ROWS FROM (f(1), g(2) AS (a int, \"B\" numeric(4,2))) WITH ORDINALITY AS t(x)"
            ),
            "SELECT * FROM __strata_rows_from(f(1), __strata_coldef(g(2), 'a', CAST(NULL AS INT), 'B', CAST(NULL AS NUMERIC(4,2)))) WITH ORDINALITY AS t (x)"
        );
    }

    #[test]
    fn markers_print_back_as_written() {
        let text = round_trip(
            "SELECT * FROM ROWS FROM (f(1, 'x'), g(2) AS (a int, \"B\" numeric(4,2))) WITH ORDINALITY AS t(x)",
        );
        assert_eq!(
            super::restore(&text),
            "SELECT * FROM ROWS FROM(f(1, 'x'), g(2) AS (a INT, \"B\" NUMERIC(4,2))) WITH ORDINALITY AS t (x)"
        );
        let text = round_trip("SELECT * FROM f(1) AS (a int, b text)");
        assert_eq!(
            super::restore(&text),
            "SELECT * FROM f(1) AS (a INT, b TEXT)"
        );
    }

    #[test]
    fn an_unnamed_column_definition_list_gets_a_marker_name() {
        assert_eq!(
            round_trip("SELECT * FROM f(1) AS (a int, b text)"),
            "SELECT * FROM f(1) AS __strata_unnamed (a INT, b TEXT)"
        );
        assert_eq!(
            round_trip("WITH x(a) AS (SELECT 1) SELECT * FROM x"),
            "WITH x (a) AS (SELECT 1) SELECT * FROM x"
        );
    }
}
