//! The `SEARCH` and `CYCLE` clauses of a recursive CTE, which sqlparser does not parse:
//!
//! ```text
//! WITH RECURSIVE t(a, b) AS (...)
//!   SEARCH { DEPTH | BREADTH } FIRST BY col [, ...] SET seq_col
//!   CYCLE col [, ...] SET mark_col [ TO value DEFAULT value ] USING path_col
//! ```
//!
//! [`rewrite`] finds them after a CTE's closing parenthesis in the token stream and replaces
//! them by `FROM "<MARKER><the clauses' text>"` (sqlparser's `Cte::from`, which the dialect
//! accepts for this purpose and PostgreSQL has no other use for). The identifier keeps the
//! span of the `SEARCH`/`CYCLE` keyword, and its text is the user's text verbatim, so
//! [`parse`] can read the clauses again and give their parts spans in the statement's text.
//! The binder turns them into extra CTE columns ([`crate::binder`]'s `search_cycle`).

use super::StrataDialect;
use crate::{Error, Result};
use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Word};

/// Starts the text of the identifier that carries the clauses.
pub const MARKER: &str = "\u{1}search/cycle:";

/// `SEARCH ... FIRST BY columns SET column`.
#[derive(Debug, Clone)]
pub struct Search {
    pub breadth: bool,
    pub by: Vec<ast::Ident>,
    pub set: ast::Ident,
    /// The `SEARCH` keyword.
    pub span: Span,
}

/// `CYCLE columns SET mark [TO value DEFAULT value] USING path`.
#[derive(Debug, Clone)]
pub struct Cycle {
    pub columns: Vec<ast::Ident>,
    pub mark: ast::Ident,
    /// The mark's values for a cycle and otherwise (`true` and `false` when not given).
    pub values: Option<(ast::Expr, ast::Expr)>,
    pub path: ast::Ident,
    /// The `CYCLE` keyword.
    pub span: Span,
}

/// The clauses of one CTE.
#[derive(Debug, Clone, Default)]
pub struct Clauses {
    pub search: Option<Search>,
    pub cycle: Option<Cycle>,
}

fn is_word(t: &Token, name: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(name))
}

/// Replaces each SEARCH / CYCLE clause after a `)` by the marker identifier (module docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let at = |k: usize| solid.get(k).map(|&i| &tokens[i].token);
    let mut edits = Vec::new();
    let mut k = 0;
    while k < solid.len() {
        if !matches!(at(k), Some(Token::RParen)) {
            k += 1;
            continue;
        }
        let start = k + 1;
        let mut end = None;
        let mut j = start;
        if search_clause(&at, &mut j) {
            end = Some(j - 1);
        }
        if cycle_clause(&at, &mut j) {
            end = Some(j - 1);
        }
        if let Some(end) = end {
            edits.push((solid[start], solid[end]));
            k = end + 1;
        } else {
            k += 1;
        }
    }
    for (first, last) in edits.into_iter().rev() {
        let text: String = tokens[first..=last]
            .iter()
            .map(|t| t.token.to_string())
            .collect();
        let span = tokens[first].span;
        let word = Token::Word(Word {
            value: format!("{MARKER}{text}"),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        });
        let out = [
            Token::make_keyword("FROM"),
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
            word,
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
        ];
        tokens.splice(
            first..=last,
            out.into_iter().map(|t| TokenWithSpan::new(t, span)),
        );
    }
}

/// A word that can be a column name.
fn is_name(t: Option<&Token>) -> bool {
    matches!(t, Some(Token::Word(_)))
}

/// `name [, name ...]` from `*j`, leaving `*j` after it.
fn names<'a>(at: &impl Fn(usize) -> Option<&'a Token>, j: &mut usize) -> bool {
    if !is_name(at(*j)) {
        return false;
    }
    *j += 1;
    while matches!(at(*j), Some(Token::Comma)) && is_name(at(*j + 1)) {
        *j += 2;
    }
    true
}

/// Moves `*j` past a SEARCH clause starting there, if one does.
fn search_clause<'a>(at: &impl Fn(usize) -> Option<&'a Token>, j: &mut usize) -> bool {
    let w = |k: usize, n: &str| at(k).is_some_and(|t| is_word(t, n));
    let mut k = *j;
    if !(w(k, "search") && (w(k + 1, "depth") || w(k + 1, "breadth")) && w(k + 2, "first"))
        || !w(k + 3, "by")
    {
        return false;
    }
    k += 4;
    if !names(at, &mut k) || !w(k, "set") || !is_name(at(k + 1)) {
        return false;
    }
    *j = k + 2;
    true
}

/// Moves `*j` past a CYCLE clause starting there, if one does.
fn cycle_clause<'a>(at: &impl Fn(usize) -> Option<&'a Token>, j: &mut usize) -> bool {
    let w = |k: usize, n: &str| at(k).is_some_and(|t| is_word(t, n));
    let mut k = *j;
    if !w(k, "cycle") {
        return false;
    }
    k += 1;
    if !names(at, &mut k) || !w(k, "set") || !is_name(at(k + 1)) {
        return false;
    }
    k += 2;
    // `[TO value DEFAULT value] USING path`: the values are expressions; USING at depth 0
    // ends them.
    let mut depth = 0usize;
    loop {
        match at(k) {
            None | Some(Token::SemiColon) => return false,
            Some(Token::LParen) | Some(Token::LBracket) => depth += 1,
            Some(Token::RParen) | Some(Token::RBracket) => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            Some(t) if depth == 0 && is_word(t, "using") => break,
            _ => {}
        }
        k += 1;
    }
    if !is_name(at(k + 1)) {
        return false;
    }
    *j = k + 2;
    true
}

/// The clauses a CTE's `from` identifier carries, if it carries any (`None`: a real
/// `FROM` identifier, which PostgreSQL does not have).
pub fn parse(from: &ast::Ident) -> Option<Result<Clauses>> {
    let text = from.value.strip_prefix(MARKER)?;
    let origin = from.span.start;
    Some(parse_text(text, origin).map_err(|e| Error::SyntaxError(e.to_string())))
}

/// `span`, relative to the clause text, moved to the statement's text (the clause text
/// starts at `origin` there).
fn shift(span: Span, origin: Location) -> Span {
    let at = |l: Location| {
        if l.line <= 1 {
            Location::new(origin.line, origin.column + l.column.saturating_sub(1))
        } else {
            Location::new(origin.line + l.line - 1, l.column)
        }
    };
    Span::new(at(span.start), at(span.end))
}

fn parse_text(
    text: &str,
    origin: Location,
) -> std::result::Result<Clauses, sqlparser::parser::ParserError> {
    let dialect = StrataDialect::default();
    let mut p = Parser::new(&dialect).try_with_sql(text)?;
    let mut out = Clauses::default();
    let mut ident = |p: &mut Parser| -> std::result::Result<ast::Ident, _> {
        let mut i = p.parse_identifier()?;
        i.span = shift(i.span, origin);
        Ok(i)
    };
    if p.parse_keyword(Keyword::SEARCH) {
        let span = shift(p.get_current_token().span, origin);
        let breadth = p.next_token().to_string().eq_ignore_ascii_case("breadth");
        p.expect_keyword_is(Keyword::FIRST)?;
        p.expect_keyword_is(Keyword::BY)?;
        let by = p.parse_comma_separated(&mut ident)?;
        p.expect_keyword_is(Keyword::SET)?;
        let set = ident(&mut p)?;
        out.search = Some(Search {
            breadth,
            by,
            set,
            span,
        });
    }
    if p.parse_keyword(Keyword::CYCLE) {
        let span = shift(p.get_current_token().span, origin);
        let columns = p.parse_comma_separated(&mut ident)?;
        p.expect_keyword_is(Keyword::SET)?;
        let mark = ident(&mut p)?;
        let values = if p.parse_keyword(Keyword::TO) {
            let shifted = |e: ast::Expr| -> ast::Expr {
                let mut e = e;
                if let ast::Expr::Value(v) = &mut e {
                    v.span = shift(v.span, origin);
                }
                e
            };
            let to = p.parse_expr()?;
            p.expect_keyword_is(Keyword::DEFAULT)?;
            let default = p.parse_expr()?;
            Some((shifted(to), shifted(default)))
        } else {
            None
        };
        p.expect_keyword_is(Keyword::USING)?;
        let path = ident(&mut p)?;
        out.cycle = Some(Cycle {
            columns,
            mark,
            values,
            path,
            span,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::parse::statements;

    fn clauses(sql: &str) -> super::Clauses {
        let stmt = statements(sql).expect("parses").remove(0);
        let sqlparser::ast::Statement::Query(q) = stmt else {
            panic!("not a query")
        };
        let cte = &q.with.as_ref().expect("with").cte_tables[0];
        super::parse(cte.from.as_ref().expect("from"))
            .expect("marker")
            .expect("clauses")
    }

    #[test]
    fn search_and_cycle_ride_on_the_cte() {
        let c = clauses(
            "WITH RECURSIVE t(a) AS (SELECT 1 UNION ALL SELECT a FROM t)\n  search breadth first by a set s\n  cycle a set m to 'Y' default 'N' using p SELECT * FROM t",
        );
        let s = c.search.expect("search");
        assert!(s.breadth);
        assert_eq!(s.by[0].value, "a");
        assert_eq!(s.set.value, "s");
        assert_eq!((s.span.start.line, s.span.start.column), (2, 3));
        let y = c.cycle.expect("cycle");
        assert_eq!((y.span.start.line, y.span.start.column), (3, 3));
        assert_eq!(y.mark.value, "m");
        assert_eq!(y.path.value, "p");
        assert_eq!(y.values.expect("values").1.to_string(), "'N'");
        // An alias named cycle is left alone.
        assert!(statements("SELECT * FROM (SELECT 1) cycle").is_ok());
    }
}
