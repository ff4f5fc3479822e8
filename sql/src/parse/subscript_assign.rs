//! Subscripted assignment targets (`UPDATE t SET a[2] = v`, `SET a[1:3] = '{...}'`, in
//! UPDATE, ON CONFLICT DO UPDATE and MERGE), which sqlparser does not parse, rewritten in the
//! token stream before parsing.
//!
//! `SET a[i][j] = v` becomes `SET a = __strata_subscript_assign(a, (v), 0, (i), (j))` and
//! `SET a[lo:hi] = v` becomes `SET a = __strata_subscript_assign(a, (v), k, (lo), (hi))`
//! where `k` is [`SLICE`] plus [`SLICE_LOWER`] / [`SLICE_UPPER`] for the bounds written
//! (each present bound follows). Several subscripted assignments to one column nest, in
//! their order, in one assignment at the first one's place, as PostgreSQL applies them:
//! `SET a[1] = x, a[2] = y` is `SET a = f(f(a, (x), 0, (1)), (y), 0, (2))`. The binder
//! ([`MARKER`]) checks types and names the column in its errors. SET lists without a
//! subscripted target are left untouched.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// The marker function's name.
pub const MARKER: &str = "__strata_subscript_assign";
/// The kind argument's slice flag (0 is an element assignment).
pub const SLICE: i64 = 4;
/// The slice's lower bound is written.
pub const SLICE_LOWER: i64 = 1;
/// The slice's upper bound is written.
pub const SLICE_UPPER: i64 = 2;
/// The kind argument's flag for a slice of several dimensions: `MULTI_SLICE | n << 12 |
/// lower << 6 | upper`, bit `i` of `lower` / `upper` saying dimension `i`'s bound is
/// written.
pub const MULTI_SLICE: i64 = 1 << 16;

/// The kind argument of a slice over `n` dimensions with these written bounds (bit `i`:
/// dimension `i`).
pub fn slice_kind(n: usize, lower: u8, upper: u8) -> i64 {
    if n == 1 {
        SLICE + i64::from(lower & 1) * SLICE_LOWER + i64::from(upper & 1) * SLICE_UPPER
    } else {
        MULTI_SLICE | (n as i64) << 12 | i64::from(lower) << 6 | i64::from(upper)
    }
}

/// A slice's dimension count and bound flags from its kind argument (`None`: not a slice).
pub fn slice_of_kind(kind: i64) -> Option<(u8, u8, u8)> {
    if kind & MULTI_SLICE != 0 {
        let n = ((kind >> 12) & 0xf) as u8;
        return Some((n, ((kind >> 6) & 0x3f) as u8, (kind & 0x3f) as u8));
    }
    (SLICE..SLICE + 4).contains(&kind).then(|| {
        (
            1,
            u8::from(kind & SLICE_LOWER != 0),
            u8::from(kind & SLICE_UPPER != 0),
        )
    })
}

/// One `target = value` of a SET list, as indexes into the solid (non-whitespace) tokens.
struct Item {
    /// First and last solid token of the whole item.
    first: usize,
    last: usize,
    /// The column's token, when the target is a column with subscripts.
    column: Option<usize>,
    /// Each `[...]`'s inner range, split at its top-level `:` for a slice.
    subscripts: Vec<Subscript>,
    /// The value's solid token range.
    value: (usize, usize),
}

pub(super) enum Subscript {
    Index(usize, usize),
    /// Lower and upper bound ranges (empty ones are absent bounds).
    Slice(Option<(usize, usize)>, Option<(usize, usize)>),
}

/// Rewrites every SET list with a subscripted target (see the module docs).
pub fn rewrite(tokens: &mut Vec<TokenWithSpan>) {
    if !tokens.iter().any(|t| t.token == Token::LBracket) {
        return;
    }
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let toks: Vec<&Token> = solid.iter().map(|&i| &tokens[i].token).collect();
    let mut edits = Vec::new();
    let mut at = 0;
    while at < toks.len() {
        if !is_keyword(toks[at], Keyword::SET) {
            at += 1;
            continue;
        }
        let Some(items) = set_list(&toks, at + 1) else {
            at += 1;
            continue;
        };
        let end = items.last().map_or(at, |i| i.last);
        if items.iter().any(|i| i.column.is_some()) {
            let out = combined(&toks, &items);
            edits.push((solid[items[0].first], solid[end], out));
        }
        at = end + 1;
    }
    super::replace_tokens(tokens, edits);
}

fn is_keyword(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none())
}

/// The items of the SET list starting at `at`, or None when it is not a list of
/// assignments this rewrite understands.
fn set_list(toks: &[&Token], mut at: usize) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    loop {
        let first = at;
        let mut column = None;
        let mut subscripts = Vec::new();
        match toks.get(at)? {
            Token::LParen => at = closing(toks, at)? + 1,
            Token::Word(_) => {
                at += 1;
                while matches!(toks.get(at), Some(Token::Period)) {
                    at += 2;
                }
                while matches!(toks.get(at), Some(Token::LBracket)) {
                    let close = closing(toks, at)?;
                    subscripts.push(subscript(toks, at + 1, close)?);
                    at = close + 1;
                }
                if !subscripts.is_empty() {
                    // `a.b[1]` (a composite's field) is not rewritten.
                    if toks.get(first + 1) != Some(&&Token::LBracket) {
                        return None;
                    }
                    column = Some(first);
                }
            }
            _ => return None,
        }
        if toks.get(at) != Some(&&Token::Eq) {
            return None;
        }
        let value_start = at + 1;
        let value_end = value_end(toks, value_start)?;
        items.push(Item {
            first,
            last: value_end,
            column,
            subscripts,
            value: (value_start, value_end),
        });
        at = value_end + 1;
        if toks.get(at) != Some(&&Token::Comma) {
            return Some(items);
        }
        at += 1;
    }
}

/// The index of the bracket or parenthesis closing the one at `open`.
pub(super) fn closing(toks: &[&Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            Token::EOF | Token::SemiColon => return None,
            _ => {}
        }
    }
    None
}

/// The subscript between `from` and `to` (exclusive), split at its top-level `:`.
pub(super) fn subscript(toks: &[&Token], from: usize, to: usize) -> Option<Subscript> {
    let mut depth = 0usize;
    let mut colon = None;
    for (i, t) in toks.iter().enumerate().take(to).skip(from) {
        match t {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            Token::Colon if depth == 0 => {
                if colon.is_some() {
                    return None;
                }
                colon = Some(i);
            }
            _ => {}
        }
    }
    let range = |a: usize, b: usize| (a < b).then_some((a, b - 1));
    Some(match colon {
        None => Subscript::Index(from, to.checked_sub(1).filter(|&l| l >= from)?),
        Some(c) => Subscript::Slice(range(from, c), range(c + 1, to)),
    })
}

/// The last token of the value starting at `at`: up to a top-level `,`, a clause keyword
/// (FROM, WHERE, RETURNING, WHEN outside a CASE), a `)` closing an outer parenthesis, `;`
/// or the end.
fn value_end(toks: &[&Token], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut cases = 0usize;
    let mut i = at;
    loop {
        let t = toks.get(i).copied().unwrap_or(&Token::EOF);
        let top = depth == 0;
        let stop = match t {
            Token::EOF | Token::SemiColon => true,
            Token::Comma => top,
            Token::LParen | Token::LBracket => {
                depth += 1;
                false
            }
            Token::RParen | Token::RBracket => {
                if top {
                    true
                } else {
                    depth -= 1;
                    false
                }
            }
            t if is_keyword(t, Keyword::CASE) => {
                cases += 1;
                false
            }
            t if is_keyword(t, Keyword::END) && cases > 0 => {
                cases -= 1;
                false
            }
            // `x IS DISTINCT FROM y` is part of the value.
            t if is_keyword(t, Keyword::FROM)
                && i > at
                && is_keyword(toks[i - 1], Keyword::DISTINCT) =>
            {
                false
            }
            t if top
                && (is_keyword(t, Keyword::FROM)
                    || is_keyword(t, Keyword::WHERE)
                    || is_keyword(t, Keyword::RETURNING)
                    || (cases == 0 && is_keyword(t, Keyword::WHEN))) =>
            {
                true
            }
            _ => false,
        };
        if stop {
            return (i > at).then(|| i - 1);
        }
        i += 1;
    }
}

/// The SET list's new tokens: unsubscripted items as written, each subscripted column's
/// assignments nested into one at its first place.
fn combined(toks: &[&Token], items: &[Item]) -> Vec<Token> {
    let name = |i: usize| match toks[i] {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_lowercase(),
        Token::Word(w) => w.value.clone(),
        _ => String::new(),
    };
    let copy = |out: &mut Vec<Token>, (a, b): (usize, usize)| {
        out.extend(toks[a..=b].iter().map(|t| (*t).clone()));
    };
    let mut out = Vec::new();
    let mut done = vec![false; items.len()];
    for (k, item) in items.iter().enumerate() {
        if done[k] {
            continue;
        }
        if !out.is_empty() {
            out.push(Token::Comma);
        }
        let Some(col) = item.column else {
            copy(&mut out, (item.first, item.last));
            continue;
        };
        let mut expr = vec![toks[col].clone()];
        for (j, other) in items.iter().enumerate().skip(k) {
            if other.column.is_none_or(|c| name(c) != name(col)) {
                continue;
            }
            done[j] = true;
            let mut call = vec![Token::make_word(MARKER, None), Token::LParen];
            call.append(&mut expr);
            call.extend([Token::Comma, Token::LParen]);
            copy(&mut call, other.value);
            call.push(Token::RParen);
            let (kind, ranges) = kind_and_bounds(&other.subscripts);
            call.extend([Token::Comma, Token::Number(kind.to_string(), false)]);
            for r in ranges {
                call.extend([Token::Comma, Token::LParen]);
                match r {
                    Some(r) => copy(&mut call, r),
                    None => call.push(Token::Number("1".into(), false)),
                }
                call.push(Token::RParen);
            }
            call.push(Token::RParen);
            expr = call;
        }
        out.extend([toks[col].clone(), Token::Eq]);
        out.append(&mut expr);
    }
    out
}

/// The kind argument and the subscript expressions that follow it (`None`: the literal 1,
/// the lower bound of an index written among slices, which PostgreSQL reads as `1:i`).
pub(super) fn kind_and_bounds(subs: &[Subscript]) -> (i64, Vec<Option<(usize, usize)>>) {
    let mut ranges = Vec::new();
    if subs.iter().all(|s| matches!(s, Subscript::Index(..))) {
        for s in subs {
            if let Subscript::Index(a, b) = s {
                ranges.push(Some((*a, *b)));
            }
        }
        return (0, ranges);
    }
    let (mut lower, mut upper) = (0u8, 0u8);
    for (i, s) in subs.iter().enumerate().take(6) {
        match s {
            Subscript::Index(a, b) => {
                ranges.extend([None, Some((*a, *b))]);
                lower |= 1 << i;
                upper |= 1 << i;
            }
            Subscript::Slice(lo, hi) => {
                if let Some(r) = lo {
                    lower |= 1 << i;
                    ranges.push(Some(*r));
                }
                if let Some(r) = hi {
                    upper |= 1 << i;
                    ranges.push(Some(*r));
                }
            }
        }
    }
    (slice_kind(subs.len(), lower, upper), ranges)
}

#[cfg(test)]
mod tests {
    use crate::parse::statements;

    fn round_trip(sql: &str) -> String {
        statements(sql).unwrap()[0].to_string()
    }

    #[test]
    fn subscripted_targets_become_marker_calls() {
        assert_eq!(
            round_trip("UPDATE t SET a[2] = x + 1, b = 3 WHERE id = 1"),
            "UPDATE t SET a = __strata_subscript_assign(a, (x + 1), 0, (2)), b = 3 WHERE id = 1"
        );
        assert_eq!(
            round_trip("UPDATE t SET b = 1, a[1:2] = '{1,2}', a[3] = CASE WHEN c THEN 1 END"),
            "UPDATE t SET b = 1, a = __strata_subscript_assign(__strata_subscript_assign(a, ('{1,2}'), 7, (1), (2)), (CASE WHEN c THEN 1 END), 0, (3))"
        );
        assert_eq!(
            round_trip("UPDATE t SET a[:f(1, 2)] = ARRAY[1, 2] RETURNING a"),
            "UPDATE t SET a = __strata_subscript_assign(a, (ARRAY[1, 2]), 6, (f(1, 2))) RETURNING a"
        );
    }

    #[test]
    fn slices_of_several_dimensions_encode_each_dimensions_bounds() {
        // a[2][1:] is a[1:2][1:]: the index's lower bound is the literal 1
        let kind = super::slice_kind(2, 0b11, 0b01);
        assert_eq!(super::slice_of_kind(kind), Some((2, 0b11, 0b01)));
        assert_eq!(
            super::slice_of_kind(super::slice_kind(1, 1, 0)),
            Some((1, 1, 0))
        );
        assert_eq!(
            round_trip("UPDATE t SET a[2][1:] = x"),
            format!("UPDATE t SET a = __strata_subscript_assign(a, (x), {kind}, (1), (2), (1))")
        );
    }

    #[test]
    fn the_value_ends_where_the_set_list_does() {
        assert_eq!(
            round_trip("UPDATE t SET a[1] = x IS DISTINCT FROM y FROM u WHERE t.id = u.id"),
            "UPDATE t SET a = __strata_subscript_assign(a, (x IS DISTINCT FROM y), 0, (1)) FROM u WHERE t.id = u.id"
        );
    }

    #[test]
    fn lists_without_subscripts_are_untouched() {
        assert_eq!(
            round_trip("UPDATE t SET (a, b) = (1, 2), c = d[1]"),
            "UPDATE t SET (a, b) = (1, 2), c = d[1]"
        );
        assert_eq!(
            round_trip("SET search_path = a, b"),
            "SET search_path = a, b"
        );
    }
}
