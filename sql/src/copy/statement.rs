//! Parsing `COPY` statements by hand: sqlparser's COPY grammar misses forms clients send
//! (`WITH (FREEZE ON)`, `FORCE_QUOTE *`, `HEADER MATCH`), so COPY is read from sqlparser's
//! tokens here, with PostgreSQL 15's grammar — the option list `WITH (option [value], ...)`
//! and the pre-9.0 keyword form (`WITH CSV HEADER DELIMITER ','`) alike.
//!
//! [`split`] cuts a query string into statements at top-level semicolons, so a query string
//! holding a COPY among other statements can be parsed piece by piece.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer, Word};

use super::{CopyOptions, CopyStatement, Format, Header, Source};
use crate::{Error, Result};

fn syntax(near: &str) -> Error {
    Error::SyntaxError(format!("syntax error at or near \"{near}\""))
}

fn tokens(sql: &str) -> Result<Vec<Token>> {
    Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize()
        .map_err(|e| Error::SyntaxError(e.to_string()))
}

/// The statements of a query string, as text, cut at top-level semicolons (blank pieces
/// dropped).
pub fn split(sql: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut depth = 0usize;
    for t in tokens(sql)? {
        match t {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon if depth == 0 => {
                if !piece.trim().is_empty() {
                    out.push(std::mem::take(&mut piece));
                }
                piece.clear();
                continue;
            }
            _ => {}
        }
        piece.push_str(&t.to_string());
    }
    if !piece.trim().is_empty() {
        out.push(piece);
    }
    Ok(out)
}

/// Whether `sql` (one statement) starts with the keyword COPY.
pub fn is_copy(sql: &str) -> bool {
    let Ok(ts) = tokens(sql) else { return false };
    matches!(
        ts.into_iter().find(|t| !matches!(t, Token::Whitespace(_))),
        Some(Token::Word(Word {
            keyword: Keyword::COPY,
            ..
        }))
    )
}

/// A cursor over the non-whitespace tokens of one statement.
struct Cursor {
    tokens: Vec<Token>,
    at: usize,
}

impl Cursor {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn near(&self) -> String {
        self.peek()
            .map_or_else(|| "end of input".into(), |t| t.to_string())
    }

    /// The next token if it is the (unquoted) keyword `kw`.
    fn keyword(&mut self, kw: &str) -> bool {
        match self.peek() {
            Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw) => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<()> {
        if self.keyword(kw) {
            Ok(())
        } else {
            Err(syntax(&self.near()))
        }
    }

    fn expect(&mut self, t: Token) -> Result<()> {
        if self.peek() == Some(&t) {
            self.at += 1;
            Ok(())
        } else {
            Err(syntax(&self.near()))
        }
    }

    /// An identifier (folded to lower case unless quoted).
    fn ident(&mut self) -> Result<String> {
        match self.next() {
            Some(Token::Word(w)) => Ok(if w.quote_style.is_some() {
                w.value
            } else {
                w.value.to_lowercase()
            }),
            other => Err(syntax(
                &other.map_or("end of input".into(), |t| t.to_string()),
            )),
        }
    }

    /// A string literal.
    fn string(&mut self) -> Result<String> {
        match self.next() {
            Some(Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s)) => Ok(s),
            other => Err(syntax(
                &other.map_or("end of input".into(), |t| t.to_string()),
            )),
        }
    }

    /// `( ident [, ...] )`.
    fn ident_list(&mut self) -> Result<Vec<String>> {
        self.expect(Token::LParen)?;
        let mut out = vec![self.ident()?];
        while self.peek() == Some(&Token::Comma) {
            self.at += 1;
            out.push(self.ident()?);
        }
        self.expect(Token::RParen)?;
        Ok(out)
    }
}

/// One-character option values (DELIMITER, QUOTE, ESCAPE).
fn one_char(option: &str, value: &str) -> Result<char> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(Error::FeatureNotSupported(format!(
            "COPY {option} must be a single one-byte character"
        ))),
    }
}

/// A boolean option value (`on`, `true`, `1`, ...; a missing value is true).
fn boolean(option: &str, value: Option<&str>) -> Result<bool> {
    match value {
        None => Ok(true),
        Some(v) => crate::settings::parse_bool(v)
            .ok_or_else(|| Error::SyntaxError(format!("{option} requires a Boolean value"))),
    }
}

/// Parses one COPY statement.
pub fn parse(sql: &str) -> Result<CopyStatement> {
    let tokens: Vec<Token> = tokens(sql)?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let mut c = Cursor { tokens, at: 0 };
    c.expect_keyword("copy")?;
    let mut options = CopyOptions::default();
    if c.keyword("binary") {
        options.format = Format::Binary;
    }
    let source = if c.peek() == Some(&Token::LParen) {
        c.at += 1;
        let start = c.at;
        let mut depth = 1usize;
        while depth > 0 {
            match c.next() {
                Some(Token::LParen) => depth += 1,
                Some(Token::RParen) => depth -= 1,
                Some(_) => {}
                None => return Err(syntax("end of input")),
            }
        }
        let query: Vec<String> = c.tokens[start..c.at - 1]
            .iter()
            .map(|t| t.to_string())
            .collect();
        Source::Query(query.join(" "))
    } else {
        let mut name = vec![c.ident()?];
        while c.peek() == Some(&Token::Period) {
            c.at += 1;
            name.push(c.ident()?);
        }
        let columns = if c.peek() == Some(&Token::LParen) {
            c.ident_list()?
        } else {
            Vec::new()
        };
        Source::Table { name, columns }
    };
    let from = if c.keyword("from") {
        true
    } else {
        c.expect_keyword("to")?;
        false
    };
    if matches!(source, Source::Query(_)) && from {
        return Err(syntax("FROM"));
    }
    if c.keyword("stdin") || c.keyword("stdout") {
        // The client's side of the connection: the only target Strata serves.
    } else if c.keyword("program") || matches!(c.peek(), Some(Token::SingleQuotedString(_))) {
        return Err(Error::FeatureNotSupported(
            "COPY to or from a file or program on the server is not supported; \
             use COPY ... FROM STDIN / TO STDOUT (psql's \\copy)"
                .into(),
        ));
    } else {
        return Err(syntax(&c.near()));
    }
    let with = c.keyword("with");
    if c.peek() == Some(&Token::LParen) {
        c.at += 1;
        loop {
            let name = c.ident()?;
            let value = match c.peek() {
                Some(Token::Comma | Token::RParen) => None,
                Some(Token::LParen) => {
                    let cols = c.ident_list()?;
                    apply_column_option(&mut options, &name, Some(cols))?;
                    if c.peek() == Some(&Token::Comma) {
                        c.at += 1;
                        continue;
                    }
                    break;
                }
                Some(Token::Mul) => {
                    c.at += 1;
                    apply_column_option(&mut options, &name, None)?;
                    if c.peek() == Some(&Token::Comma) {
                        c.at += 1;
                        continue;
                    }
                    break;
                }
                _ => Some(match c.next() {
                    Some(Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s)) => s,
                    Some(Token::Word(w)) => w.value,
                    Some(Token::Number(n, _)) => n,
                    other => {
                        return Err(syntax(
                            &other.map_or("end of input".into(), |t| t.to_string()),
                        ));
                    }
                }),
            };
            apply_option(&mut options, &name, value.as_deref())?;
            match c.next() {
                Some(Token::Comma) => continue,
                Some(Token::RParen) => break,
                other => {
                    return Err(syntax(
                        &other.map_or("end of input".into(), |t| t.to_string()),
                    ));
                }
            }
        }
        c.expect(Token::RParen).ok();
    } else {
        let _ = with;
        legacy_options(&mut c, &mut options)?;
    }
    if c.keyword("where") {
        return Err(Error::unsupported(
            "COPY FROM ... WHERE is not supported yet",
        ));
    }
    if let Some(t) = c.peek() {
        return Err(syntax(&t.to_string()));
    }
    options.validate(from)?;
    Ok(CopyStatement {
        source,
        from,
        options,
    })
}

/// The pre-9.0 option keywords: `BINARY`, `CSV`, `HEADER`, `DELIMITER [AS] 'c'`,
/// `NULL [AS] 's'`, `QUOTE [AS] 'c'`, `ESCAPE [AS] 'c'`, `FORCE QUOTE cols | *`,
/// `FORCE NOT NULL cols`.
fn legacy_options(c: &mut Cursor, options: &mut CopyOptions) -> Result<()> {
    loop {
        if c.keyword("binary") {
            options.format = Format::Binary;
        } else if c.keyword("csv") {
            options.format = Format::Csv;
        } else if c.keyword("header") {
            options.header = Header::Yes;
        } else if c.keyword("delimiter") {
            c.keyword("as");
            let v = c.string()?;
            options.delimiter = Some(one_char("delimiter", &v)?);
        } else if c.keyword("null") {
            c.keyword("as");
            options.null = Some(c.string()?);
        } else if c.keyword("quote") {
            c.keyword("as");
            let v = c.string()?;
            options.quote = Some(one_char("quote", &v)?);
        } else if c.keyword("escape") {
            c.keyword("as");
            let v = c.string()?;
            options.escape = Some(one_char("escape", &v)?);
        } else if c.keyword("force") {
            if c.keyword("quote") {
                if c.peek() == Some(&Token::Mul) {
                    c.at += 1;
                    options.force_quote = Some(None);
                } else {
                    let mut cols = vec![c.ident()?];
                    while c.peek() == Some(&Token::Comma) {
                        c.at += 1;
                        cols.push(c.ident()?);
                    }
                    options.force_quote = Some(Some(cols));
                }
            } else {
                c.expect_keyword("not")?;
                c.expect_keyword("null")?;
                let mut cols = vec![c.ident()?];
                while c.peek() == Some(&Token::Comma) {
                    c.at += 1;
                    cols.push(c.ident()?);
                }
                options.force_not_null = cols;
            }
        } else {
            return Ok(());
        }
    }
}

fn apply_column_option(
    options: &mut CopyOptions,
    name: &str,
    columns: Option<Vec<String>>,
) -> Result<()> {
    match (name, columns) {
        ("force_quote", cols) => options.force_quote = Some(cols),
        ("force_not_null", Some(cols)) => options.force_not_null = cols,
        ("force_null", Some(cols)) => options.force_null = cols,
        (other, _) => {
            return Err(Error::SyntaxError(format!(
                "option \"{other}\" not recognized"
            )));
        }
    }
    Ok(())
}

fn apply_option(options: &mut CopyOptions, name: &str, value: Option<&str>) -> Result<()> {
    let need = |v: Option<&str>| -> Result<String> {
        v.map(str::to_string)
            .ok_or_else(|| Error::SyntaxError(format!("{name} requires a parameter")))
    };
    match name {
        "format" => {
            options.format = match need(value)?.to_ascii_lowercase().as_str() {
                "text" => Format::Text,
                "csv" => Format::Csv,
                "binary" => Format::Binary,
                other => {
                    return Err(Error::InvalidParameterValue(format!(
                        "COPY format \"{other}\" not recognized"
                    )));
                }
            }
        }
        "freeze" => options.freeze = boolean(name, value)?,
        "delimiter" => options.delimiter = Some(one_char("delimiter", &need(value)?)?),
        "null" => options.null = Some(need(value)?),
        "header" => {
            options.header = match value {
                Some(v) if v.eq_ignore_ascii_case("match") => Header::Match,
                v => {
                    if boolean(name, v)? {
                        Header::Yes
                    } else {
                        Header::No
                    }
                }
            }
        }
        "quote" => options.quote = Some(one_char("quote", &need(value)?)?),
        "escape" => options.escape = Some(one_char("escape", &need(value)?)?),
        "encoding" => {
            let e = need(value)?;
            let norm: String = e
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if norm != "utf8" && norm != "unicode" {
                return Err(Error::unsupported(format!(
                    "COPY encoding \"{e}\" is not supported: Strata speaks UTF8 only"
                )));
            }
        }
        other => {
            return Err(Error::SyntaxError(format!(
                "option \"{other}\" not recognized"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_clients_send() {
        let s = parse("copy pgbench_accounts from stdin with (freeze on)").unwrap();
        assert!(s.from && s.options.freeze && s.options.format == Format::Text);
        assert_eq!(
            s.source,
            Source::Table {
                name: vec!["pgbench_accounts".into()],
                columns: vec![]
            }
        );
        let s = parse(r#"COPY public.t (a, "B") FROM STDIN (FORMAT csv, HEADER, DELIMITER ';', NULL 'x', FORCE_NULL (a))"#).unwrap();
        assert_eq!(
            s.source,
            Source::Table {
                name: vec!["public".into(), "t".into()],
                columns: vec!["a".into(), "B".into()]
            }
        );
        assert_eq!(s.options.format, Format::Csv);
        assert_eq!(s.options.header, Header::Yes);
        assert_eq!(s.options.delimiter(), ';');
        assert_eq!(s.options.null(), "x");
        assert_eq!(s.options.force_null, vec!["a".to_string()]);
        let s = parse("COPY t TO STDOUT WITH CSV HEADER FORCE QUOTE *").unwrap();
        assert!(!s.from && s.options.header == Header::Yes);
        assert_eq!(s.options.force_quote, Some(None));
        let s = parse(
            "COPY (SELECT a, 'x;y' FROM t WHERE (a > 1)) TO STDOUT (FORMAT csv, FORCE_QUOTE *)",
        )
        .unwrap();
        assert!(matches!(&s.source, Source::Query(q) if q.contains("'x;y'")));
        let s = parse("COPY t FROM STDIN DELIMITER AS '|' NULL AS ''").unwrap();
        assert_eq!(s.options.delimiter(), '|');
        assert_eq!(s.options.null(), "");
    }

    #[test]
    fn rejects_what_postgresql_rejects() {
        for bad in [
            "COPY t FROM '/etc/passwd'",
            "COPY t TO PROGRAM 'ls'",
            "COPY (SELECT 1) FROM STDIN",
            "COPY t FROM STDIN (FORMAT xml)",
            "COPY t FROM STDIN (DELIMITER 'ab')",
            "COPY t FROM STDIN (BOGUS 1)",
            "COPY t TO STDOUT (FREEZE)",
            "COPY t FROM STDIN (FORMAT csv, DELIMITER ',', QUOTE ',')",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn split_cuts_at_top_level_semicolons() {
        assert_eq!(
            split("SELECT ';'; COPY (SELECT 1; ) TO STDOUT;; ").unwrap(),
            vec![
                "SELECT ';'".to_string(),
                " COPY (SELECT 1; ) TO STDOUT".into()
            ]
        );
        assert!(is_copy(" copy t from stdin"));
        assert!(!is_copy("SELECT 'copy'"));
    }
}
