//! `[NOT] DEFERRABLE` among the transaction modes of `BEGIN`, `START TRANSACTION`, `SET
//! TRANSACTION` and `SET SESSION CHARACTERISTICS AS TRANSACTION`, which sqlparser does not
//! parse: removed from the token stream (with the comma that separates it from its
//! neighbour), since it changes nothing here. In PostgreSQL it makes a SERIALIZABLE READ
//! ONLY transaction wait for a snapshot that can never fail with 40001; Strata's
//! serializable transactions (`crate::storage::serializable`) take their snapshot at once,
//! and a read-only one fails only when a concurrent commit wrote what it read.
//!
//! Invariant: only tokens of a statement that begins with one of those commands change.

use sqlparser::tokenizer::{Token, TokenWithSpan};

fn is_word(t: &Token, w: &str) -> bool {
    matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

/// Removes `[NOT] DEFERRABLE` from the transaction statements of `tokens`.
pub fn drop_deferrable(tokens: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let word = |n: usize, w: &str| solid.get(n).is_some_and(|&i| is_word(&tokens[i].token, w));
    let mut remove = Vec::new();
    let mut start = 0;
    let mut n = 0;
    while n < solid.len() {
        if tokens[solid[n]].token == Token::SemiColon {
            start = n + 1;
            n += 1;
            continue;
        }
        let transaction = word(start, "begin")
            || word(start, "start")
            || (word(start, "set")
                && (word(start + 1, "transaction") || word(start + 1, "session")));
        if !(transaction && word(n, "deferrable")) {
            n += 1;
            continue;
        }
        let first = if n > start && word(n - 1, "not") {
            n - 1
        } else {
            n
        };
        let comma = |k: usize| {
            solid
                .get(k)
                .is_some_and(|&i| tokens[i].token == Token::Comma)
        };
        let (first, last) = if first > start && comma(first - 1) {
            (first - 1, n)
        } else if comma(n + 1) {
            (first, n + 1)
        } else {
            (first, n)
        };
        remove.push((solid[first], solid[last]));
        n = last + 1;
    }
    for (first, last) in remove.into_iter().rev() {
        tokens.drain(first..=last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::StrataDialect;

    fn rewritten(sql: &str) -> String {
        let dialect = StrataDialect::for_sql(sql);
        let mut tokens = sqlparser::tokenizer::Tokenizer::new(&dialect, sql)
            .tokenize_with_location()
            .expect("tokenizes");
        drop_deferrable(&mut tokens);
        let text: String = tokens.iter().map(|t| t.token.to_string()).collect();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn removes_the_mode_and_its_comma() {
        assert_eq!(
            rewritten("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE"),
            "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY"
        );
        assert_eq!(
            rewritten("SET TRANSACTION NOT DEFERRABLE, READ WRITE"),
            "SET TRANSACTION READ WRITE"
        );
        assert_eq!(
            rewritten("START TRANSACTION READ ONLY DEFERRABLE; SELECT 1"),
            "START TRANSACTION READ ONLY ; SELECT 1"
        );
    }

    #[test]
    fn leaves_constraints_alone() {
        let sql = "CREATE TABLE c (p int REFERENCES p DEFERRABLE)";
        assert_eq!(rewritten(sql), sql);
    }
}
