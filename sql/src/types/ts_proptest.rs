//! Property tests of the text-search types' text and binary formats ([`super::tsvector`],
//! [`super::tsquery`]): whatever a value prints as parses back to the same value.

use proptest::prelude::*;

use super::tsquery::{self, BinOp, QueryItem, TsQuery};
use super::tsvector::{self, Lexeme, TsVector};

/// Lexemes with the characters quoting must handle.
fn word() -> impl Strategy<Value = String> {
    "[ab'\\\\ :&|!()<é]{1,4}"
}

fn any_vector() -> impl Strategy<Value = TsVector> {
    proptest::collection::vec(
        (
            word(),
            proptest::collection::vec((1u16..=16383, 0u16..4), 0..4),
        ),
        0..5,
    )
    .prop_map(|ls| {
        TsVector::from_unsorted(
            ls.into_iter()
                .map(|(word, pos)| Lexeme {
                    word,
                    pos: pos
                        .into_iter()
                        .map(|(p, w)| tsvector::make_pos(p, w))
                        .collect(),
                })
                .collect(),
        )
    })
}

fn any_query() -> impl Strategy<Value = TsQuery> {
    let leaf = (word(), 0u8..16, any::<bool>())
        .prop_map(|(w, weight, prefix)| QueryItem::val(&w, weight, prefix));
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| QueryItem::Not(Box::new(a))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| QueryItem::bin(BinOp::And, a, b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| QueryItem::bin(BinOp::Or, a, b)),
            (inner.clone(), inner, 0u16..5).prop_map(|(a, b, d)| QueryItem::bin(
                BinOp::Phrase(d),
                a,
                b
            )),
        ]
    })
    .prop_map(TsQuery::new)
}

proptest! {
    #[test]
    fn tsvector_text_round_trips(v in any_vector()) {
        let text = tsvector::format(&v);
        prop_assert_eq!(tsvector::parse(&text).unwrap(), v);
    }

    #[test]
    fn tsvector_binary_round_trips(v in any_vector()) {
        let mut out = Vec::new();
        tsvector::send(&v, &mut out);
        prop_assert_eq!(tsvector::recv(&out).unwrap(), (v, out.len()));
    }

    /// A query prints as text that parses to a query printing the same (`a & (b & c)`
    /// and `(a & b) & c` print alike, so the trees may differ).
    #[test]
    fn tsquery_text_round_trips(q in any_query()) {
        let text = tsquery::format(&q);
        let back = tsquery::parse(&text).unwrap();
        prop_assert_eq!(tsquery::format(&back), text);
    }

    #[test]
    fn tsquery_binary_round_trips(q in any_query()) {
        let mut out = Vec::new();
        tsquery::send(&q, &mut out);
        prop_assert_eq!(tsquery::recv(&out).unwrap(), (q, out.len()));
    }

    #[test]
    fn garbage_never_panics(s in "[a-c'\\\\:&|!()<>* 0-9AB-]{0,12}") {
        let _ = tsvector::parse(&s);
        let _ = tsquery::parse(&s);
        let _ = tsvector::recv(s.as_bytes());
        let _ = tsquery::recv(s.as_bytes());
    }
}
