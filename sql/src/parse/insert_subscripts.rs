//! Subscripted targets in an INSERT's column list (`INSERT INTO t (a[1:2], b[3]) VALUES
//! ...`), which sqlparser does not parse: each becomes one quoted column name carrying the
//! column, the subscripted assignment's kind ([`super::subscript_assign`]) and the
//! subscripts' text, separated by NUL characters after [`MARKER`]. The INSERT binder
//! ([`target`]) reads it back and assigns the value into a NULL array of the column's type,
//! as PostgreSQL does.

use super::subscript_assign::{closing, kind_and_bounds, subscript};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// The marker column name's prefix.
pub const MARKER: &str = "\0subscript\0";

/// A decoded subscripted target: the column, the kind argument and the subscripts' text.
pub struct Target {
    pub column: String,
    pub kind: i64,
    pub subscripts: Vec<String>,
}

/// The subscripted target a column name stands for, if it is a marker.
pub fn target(name: &str) -> Option<Target> {
    let rest = name.strip_prefix(MARKER)?;
    let mut parts = rest.split('\0');
    let column = parts.next()?.to_string();
    let kind = parts.next()?.parse().ok()?;
    Some(Target {
        column,
        kind,
        subscripts: parts.map(str::to_string).collect(),
    })
}

fn is_kw(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k)
}

/// Rewrites the subscripted targets of every `INSERT INTO name (...)` column list.
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    if !tokens.iter().any(|t| t.token == Token::LBracket)
        || !tokens.iter().any(|t| is_kw(&t.token, Keyword::INSERT))
    {
        return;
    }
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let toks: Vec<&Token> = solid.iter().map(|&i| &tokens[i].token).collect();
    // (first solid index, last solid index, replacement token)
    let mut edits: Vec<(usize, usize, Token)> = Vec::new();
    let mut k = 0;
    while k + 2 < toks.len() {
        if !(is_kw(toks[k], Keyword::INSERT) && is_kw(toks[k + 1], Keyword::INTO)) {
            k += 1;
            continue;
        }
        // the (qualified) table name, an optional `AS alias`, then the column list
        let mut j = k + 3;
        while toks.get(j) == Some(&&Token::Period)
            && matches!(toks.get(j + 1), Some(Token::Word(_)))
        {
            j += 2;
        }
        if toks.get(j).is_some_and(|t| is_kw(t, Keyword::AS)) {
            j += 2;
        }
        if toks.get(j) != Some(&&Token::LParen) {
            k = j;
            continue;
        }
        let Some(close) = closing(&toks, j) else {
            break;
        };
        let mut at = j + 1;
        while at < close {
            // one item: a word, maybe subscripts, up to a comma or the close
            let start = at;
            let mut subs = Vec::new();
            let mut p = at + 1;
            while toks.get(p) == Some(&&Token::LBracket) {
                let Some(c) = closing(&toks, p) else { break };
                match subscript(&toks, p + 1, c) {
                    Some(s) => subs.push(s),
                    None => break,
                }
                p = c + 1;
            }
            if !subs.is_empty()
                && matches!(toks.get(p), Some(Token::Comma | Token::RParen))
                && let Token::Word(w) = toks[start]
            {
                let column = if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_lowercase()
                };
                let (kind, ranges) = kind_and_bounds(&subs);
                let mut name = format!("{MARKER}{column}\0{kind}");
                for r in ranges {
                    name.push('\0');
                    match r {
                        Some((a, b)) => {
                            let text: Vec<String> =
                                toks[a..=b].iter().map(|t| t.to_string()).collect();
                            name.push_str(&text.join(" "));
                        }
                        None => name.push('1'),
                    }
                }
                edits.push((start, p - 1, Token::make_word(&name, Some('"'))));
            }
            // to the next top-level comma
            let mut depth = 0usize;
            at = start;
            while at < close {
                match toks[at] {
                    Token::LParen | Token::LBracket => depth += 1,
                    Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                    Token::Comma if depth == 0 => break,
                    _ => {}
                }
                at += 1;
            }
            at += 1;
        }
        k = close + 1;
    }
    if edits.is_empty() {
        return;
    }
    for (first, last, token) in edits.into_iter().rev() {
        let (a, b) = (solid[first], solid[last]);
        let span = tokens[a].span;
        tokens.splice(a..=b, [TokenWithSpan::new(token, span)]);
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::statements;
    use sqlparser::ast;

    #[test]
    fn only_the_column_list_is_rewritten() {
        let sql = "INSERT INTO t VALUES (ARRAY[1], a[1])";
        assert_eq!(statements(sql).unwrap()[0].to_string(), sql);
        let s = statements("INSERT INTO s.t AS x (id, a[2:3]) VALUES (1, '{1,2}')").unwrap();
        let ast::Statement::Insert(ins) = &s[0] else {
            panic!("not an insert");
        };
        let name = ins.columns[1].to_string();
        let target = super::target(name.trim_matches('"')).expect("a marker");
        assert_eq!(target.column, "a");
        assert_eq!(target.subscripts, ["2", "3"]);
    }
}
