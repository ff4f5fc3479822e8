//! `format()` and SQL quoting (`quote_ident`, `quote_literal`), as PostgreSQL does them.
//!
//! `format` takes `%[n$][-][width]type` specifiers with type `s` (the value's text; NULL is
//! empty), `I` (an identifier, quoted if needed; NULL is an error) and `L` (a literal; NULL
//! is `NULL`), `*` widths from the arguments, and `%%`. Errors are 22023 as in PostgreSQL.

use crate::{Error, Result, Value};

/// The keywords PostgreSQL 15 quotes in `quote_ident` (every category but unreserved).
const KEYWORDS: [&str; 151] = [
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `quote_ident`: the name as is if it is a plain lower-case identifier and not a keyword,
/// else double-quoted with inner quotes doubled.
pub fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && KEYWORDS.binary_search(&s).is_err();
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// `quote_literal`: single-quoted with quotes doubled; with a backslash inside, the `E''`
/// form with backslashes doubled.
pub fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

fn format_error(msg: impl Into<String>) -> Error {
    Error::InvalidParameterValue(msg.into())
}

/// `format(fmt, args...)`; `args[0]` is the format string (NULL gives NULL).
pub fn format(args: &[Value]) -> Result<Value> {
    let fmt = match args.first() {
        Some(Value::Text(s)) => s.as_str(),
        _ => return Ok(Value::Null),
    };
    let values = &args[1..];
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // [n$][-][width|*[n$]]type
        let number = |chars: &mut std::iter::Peekable<std::str::Chars>| -> Option<usize> {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                chars.next();
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
            }
            n
        };
        let mut position = None;
        let mut left = false;
        let mut width: Option<usize> = None;
        let lead = number(&mut chars);
        if chars.peek() == Some(&'$') {
            chars.next();
            position = lead;
            if position == Some(0) {
                return Err(format_error(
                    "format specifies argument 0, but arguments are numbered from 1",
                ));
            }
        } else {
            width = lead;
        }
        if width.is_none() {
            if chars.peek() == Some(&'-') {
                chars.next();
                left = true;
            }
            if chars.peek() == Some(&'*') {
                chars.next();
                let from = number(&mut chars);
                let index = match from {
                    Some(n) if chars.peek() == Some(&'$') => {
                        chars.next();
                        n.checked_sub(1).ok_or_else(|| {
                            format_error(
                                "format specifies argument 0, but arguments are numbered from 1",
                            )
                        })?
                    }
                    _ => {
                        next_arg += 1;
                        next_arg - 1
                    }
                };
                let w = match values.get(index) {
                    Some(Value::Int(w)) => *w,
                    Some(Value::Null) => 0,
                    Some(_) => return Err(format_error("width argument must be an integer")),
                    None => return Err(format_error("too few arguments for format()")),
                };
                if w < 0 {
                    left = true;
                }
                width = Some(w.unsigned_abs() as usize);
            } else {
                width = number(&mut chars);
            }
        }
        let ty = chars
            .next()
            .ok_or_else(|| format_error("unterminated format() type specifier"))?;
        if !matches!(ty, 's' | 'I' | 'L') {
            return Err(format_error(format!(
                "unrecognized format() type specifier \"{ty}\""
            )));
        }
        let index = match position {
            Some(p) => p - 1,
            None => next_arg,
        };
        next_arg = index + 1;
        let v = values
            .get(index)
            .ok_or_else(|| format_error("too few arguments for format()"))?;
        let text = match (ty, v) {
            ('s', Value::Null) => String::new(),
            ('L', Value::Null) => "NULL".to_string(),
            ('I', Value::Null) => {
                return Err(Error::NullValueNotAllowed(
                    "null values cannot be formatted as an SQL identifier".into(),
                ));
            }
            ('s', v) => v.to_string(),
            ('I', v) => quote_ident(&v.to_string()),
            (_, v) => quote_literal(&v.to_string()),
        };
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&text);
        }
    }
    Ok(Value::Text(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[Value]) -> String {
        let mut all = vec![Value::Text(fmt.into())];
        all.extend_from_slice(args);
        format(&all).unwrap().to_string()
    }

    #[test]
    fn formats_like_postgres() {
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(f("Hello %s", &[t("World")]), "Hello World");
        assert_eq!(f("%I.%I", &[t("My Table"), t("col")]), "\"My Table\".col");
        assert_eq!(
            f("%L, %L", &[t("O'Reilly"), Value::Null]),
            "'O''Reilly', NULL"
        );
        assert_eq!(f("%2$s %1$s", &[t("a"), t("b")]), "b a");
        assert_eq!(f("[%-5s|%5s]", &[t("ab"), t("cd")]), "[ab   |   cd]");
        assert_eq!(f("%*s", &[Value::Int(4), t("x")]), "   x");
        assert_eq!(f("100%%", &[]), "100%");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }
}
