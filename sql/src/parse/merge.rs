//! MERGE's `INSERT DEFAULT VALUES`, which sqlparser does not parse in a MERGE clause:
//! rewritten in the token stream to `INSERT VALUES ("<marker>")`, a one-value row whose
//! value is a quoted identifier no SQL text can name ([`DEFAULT_VALUES`]), which the binder
//! recognizes ([`is_default_values`]). Outside MERGE, `INSERT` is always followed by `INTO`,
//! so the rewrite touches nothing else.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// The marker standing for DEFAULT VALUES.
pub const DEFAULT_VALUES: &str = "\0default values";

fn is_word(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k)
}

/// Rewrites every `INSERT DEFAULT VALUES` in `tokens`.
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let mut edits = Vec::new();
    for w in solid.windows(3) {
        let [insert, default, values] = [w[0], w[1], w[2]];
        if is_word(&tokens[insert].token, Keyword::INSERT)
            && is_word(&tokens[default].token, Keyword::DEFAULT)
            && is_word(&tokens[values].token, Keyword::VALUES)
        {
            let marker = Token::Word(Word {
                value: DEFAULT_VALUES.into(),
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            });
            edits.push((
                default,
                values,
                vec![
                    Token::make_keyword("VALUES"),
                    Token::LParen,
                    marker,
                    Token::RParen,
                ],
            ));
        }
    }
    if !edits.is_empty() {
        super::replace_tokens(tokens, edits);
    }
}

/// Whether a VALUES row is the DEFAULT VALUES marker.
pub fn is_default_values(row: &[ast::Expr]) -> bool {
    matches!(row, [ast::Expr::Identifier(i)] if i.value == DEFAULT_VALUES)
}
