//! Locking clauses sqlparser does not parse as PostgreSQL writes them, rewritten in the
//! token stream before parsing: `FOR NO KEY UPDATE`, `FOR KEY SHARE`, and `OF` with a list
//! of names (sqlparser knows `FOR UPDATE | SHARE [OF name] [NOWAIT | SKIP LOCKED]`).
//!
//! `FOR NO KEY UPDATE OF a, b NOWAIT` becomes `FOR UPDATE OF "<marker>".a FOR UPDATE OF
//! "<marker>".b NOWAIT` (the wait policy on every clause, as it applies to every name): one
//! clause per name, and the strength as a [`NO_KEY`] / [`KEY`] first name part (none
//! for UPDATE and SHARE), which the binder takes out again ([`strength_of`]). PostgreSQL
//! refuses qualified names there, so a marker part is never a schema.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

/// The first name part of a `FOR NO KEY UPDATE` clause.
pub const NO_KEY: &str = "\0for no key update";
/// The first name part of a `FOR KEY SHARE` clause.
pub const KEY: &str = "\0for key share";

/// A locking clause's strength, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

impl Strength {
    /// How PostgreSQL names it in messages (`FOR <name>`).
    pub fn name(self) -> &'static str {
        match self {
            Strength::KeyShare => "KEY SHARE",
            Strength::Share => "SHARE",
            Strength::NoKeyUpdate => "NO KEY UPDATE",
            Strength::Update => "UPDATE",
        }
    }

    pub fn exclusive(self) -> bool {
        self >= Strength::NoKeyUpdate
    }
}

/// A clause's strength and the relation it names (`None`: every relation in FROM).
pub fn strength_of(clause: &ast::LockClause) -> (Strength, Option<Vec<ast::Ident>>) {
    let base = match clause.lock_type {
        ast::LockType::Update => Strength::Update,
        ast::LockType::Share => Strength::Share,
    };
    let Some(of) = &clause.of else {
        return (base, None);
    };
    let mut parts: Vec<ast::Ident> = of.0.iter().filter_map(|p| p.as_ident().cloned()).collect();
    let strength = match parts.first().map(|p| p.value.as_str()) {
        Some(NO_KEY) => Strength::NoKeyUpdate,
        Some(KEY) => Strength::KeyShare,
        _ => return (base, Some(parts)),
    };
    parts.remove(0);
    (strength, (!parts.is_empty()).then_some(parts))
}

fn is_word(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none())
}

/// Rewrites the locking clauses of `tokens` (see the module docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let at = |n: usize| solid.get(n).map(|&i| &tokens[i].token);
    // (first token, last token, replacement), in order.
    let mut edits: Vec<(usize, usize, Vec<Token>)> = Vec::new();
    let mut n = 0;
    while n < solid.len() {
        if !at(n).is_some_and(|t| is_word(t, Keyword::FOR)) {
            n += 1;
            continue;
        }
        let start = n;
        let (strength, mut m) = match (at(n + 1), at(n + 2), at(n + 3)) {
            (Some(a), _, _) if is_word(a, Keyword::UPDATE) => (Strength::Update, n + 2),
            (Some(a), _, _) if is_word(a, Keyword::SHARE) => (Strength::Share, n + 2),
            (Some(a), Some(b), _) if is_word(a, Keyword::KEY) && is_word(b, Keyword::SHARE) => {
                (Strength::KeyShare, n + 3)
            }
            (Some(a), Some(b), Some(c))
                if is_word(a, Keyword::NO)
                    && is_word(b, Keyword::KEY)
                    && is_word(c, Keyword::UPDATE) =>
            {
                (Strength::NoKeyUpdate, n + 4)
            }
            _ => {
                n += 1;
                continue;
            }
        };
        // OF name [, name ...]: each name is words joined by periods.
        let mut names: Vec<Vec<Token>> = Vec::new();
        if at(m).is_some_and(|t| is_word(t, Keyword::OF)) {
            m += 1;
            loop {
                let mut name = Vec::new();
                while let Some(t @ (Token::Word(_) | Token::Period)) = at(m) {
                    if matches!(t, Token::Word(w) if w.quote_style.is_none()
                        && matches!(w.keyword, Keyword::NOWAIT | Keyword::SKIP | Keyword::FOR))
                    {
                        break;
                    }
                    name.push(t.clone());
                    m += 1;
                }
                names.push(name);
                if at(m) == Some(&Token::Comma) {
                    m += 1;
                } else {
                    break;
                }
            }
        }
        let mut wait = Vec::new();
        if at(m).is_some_and(|t| is_word(t, Keyword::NOWAIT)) {
            wait.push(at(m).cloned().expect("checked above"));
            m += 1;
        } else if at(m).is_some_and(|t| is_word(t, Keyword::SKIP))
            && at(m + 1).is_some_and(|t| is_word(t, Keyword::LOCKED))
        {
            wait.extend([at(m), at(m + 1)].into_iter().flatten().cloned());
            m += 2;
        }
        let plain = matches!(strength, Strength::Update | Strength::Share);
        if !(plain && names.len() <= 1) {
            let marker = match strength {
                Strength::NoKeyUpdate => Some(NO_KEY),
                Strength::KeyShare => Some(KEY),
                _ => None,
            };
            let mut out = Vec::new();
            let names = if names.is_empty() {
                vec![Vec::new()]
            } else {
                names
            };
            for name in names {
                out.push(Token::make_keyword("FOR"));
                out.push(Token::make_keyword(if strength.exclusive() {
                    "UPDATE"
                } else {
                    "SHARE"
                }));
                if marker.is_some() || !name.is_empty() {
                    out.push(Token::make_keyword("OF"));
                }
                if let Some(m) = marker {
                    out.push(Token::Word(Word {
                        value: m.to_string(),
                        quote_style: Some('"'),
                        keyword: Keyword::NoKeyword,
                    }));
                    if !name.is_empty() {
                        out.push(Token::Period);
                    }
                }
                out.extend(name);
                out.extend(wait.iter().cloned());
            }
            edits.push((solid[start], solid[m - 1], out));
        }
        n = m;
    }
    super::replace_tokens(tokens, edits);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::statements;

    fn clauses(sql: &str) -> Vec<(Strength, Option<String>, Option<ast::NonBlock>)> {
        let ast::Statement::Query(q) = statements(sql).expect("parses").remove(0) else {
            panic!("not a query");
        };
        q.locks
            .iter()
            .map(|c| {
                let (s, of) = strength_of(c);
                let of = of.map(|p| {
                    p.iter()
                        .map(|i| i.value.clone())
                        .collect::<Vec<_>>()
                        .join(".")
                });
                (s, of, c.nonblock)
            })
            .collect()
    }

    #[test]
    fn every_strength_and_name_list_parses() {
        use ast::NonBlock::*;
        assert_eq!(
            clauses("SELECT 1 FROM t FOR UPDATE"),
            vec![(Strength::Update, None, None)]
        );
        assert_eq!(
            clauses("select 1 from t for no key update of t, u nowait"),
            vec![
                (Strength::NoKeyUpdate, Some("t".into()), Some(Nowait)),
                (Strength::NoKeyUpdate, Some("u".into()), Some(Nowait)),
            ]
        );
        assert_eq!(
            clauses("SELECT 1 FROM t FOR KEY SHARE SKIP LOCKED FOR SHARE OF t"),
            vec![
                (Strength::KeyShare, None, Some(SkipLocked)),
                (Strength::Share, Some("t".into()), None),
            ]
        );
        assert_eq!(
            clauses("SELECT 1 FROM t a, u b FOR UPDATE OF a, b SKIP LOCKED LIMIT 1"),
            vec![
                (Strength::Update, Some("a".into()), Some(SkipLocked)),
                (Strength::Update, Some("b".into()), Some(SkipLocked)),
            ]
        );
        // Elsewhere FOR is left alone.
        assert!(clauses("SELECT substring('abc' FROM 1 FOR 2)").is_empty());
    }
}
