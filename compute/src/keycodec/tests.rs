//! Property tests: the byte order of encoded keys is the SQL layer's order of the values
//! (`sql::Value`'s `Ord`, PostgreSQL's btree order), keys are prefix-free and round-trip.

use super::*;
use crate::engine::codec::from_stored;
use crate::values::tests::{any_numeric, any_value};
use bigdecimal::BigDecimal;
use proptest::prelude::*;
use std::cmp::Ordering;

/// SQL order of two stored values of the same type, as the SQL layer defines it (NULLs
/// last).
fn sql_cmp(a: &Value, b: &Value) -> Ordering {
    from_stored(a.clone(), None).cmp(&from_stored(b.clone(), None))
}

fn tuple_cmp(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match sql_cmp(x, y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

fn small_jsonb() -> impl Strategy<Value = sql::types::Jsonb> {
    use sql::types::Jsonb;
    let leaf = prop_oneof![
        Just(Jsonb::Null),
        any::<bool>().prop_map(Jsonb::Bool),
        (-20i64..20, 0i64..3).prop_map(|(i, s)| Jsonb::Number(BigDecimal::new(i.into(), s))),
        "[ab\u{0}]{0,2}".prop_map(Jsonb::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Jsonb::Array),
            proptest::collection::vec(("[ab]{0,2}", inner), 0..3).prop_map(Jsonb::object),
        ]
    })
}

/// An `inet` of either family, with addresses and masks that share prefixes often.
fn any_inet() -> impl Strategy<Value = sql::types::inet::Inet> {
    (
        any::<bool>(),
        prop_oneof![
            Just(0u8),
            Just(8),
            Just(9),
            Just(32),
            Just(128),
            any::<u8>()
        ],
        prop_oneof![
            any::<[u8; 16]>(),
            Just([0; 16]),
            Just([10; 16]),
            Just([255; 16])
        ],
        0usize..16,
    )
        .prop_map(|(v6, bits, mut addr, keep)| {
            let (max, len) = if v6 { (128, 16) } else { (32, 4) };
            addr[keep.min(len)..].fill(0);
            let family = if v6 { 3 } else { 2 };
            sql::types::inet::Inet::from_parts(family, bits % (max + 1), false, &addr[..len])
                .expect("a valid inet")
        })
}

/// A `numrange` (not canonicalized, so every bound flag occurs) with small bounds that are
/// often equal or infinite, as stored.
fn any_range() -> impl Strategy<Value = Value> {
    use sql::types::range::{Bound, RangeKind, make};
    let bound = prop_oneof![3 => (-2i64..3).prop_map(Some), 1 => Just(None)];
    (
        bound.clone(),
        bound,
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(lo, hi, li, ui, empty)| {
            let b = |v: Option<i64>, inclusive, lower| Bound {
                val: v.map(|i| sql::Value::numeric(sql::types::Numeric::from_i64(i))),
                inclusive,
                lower,
            };
            let (lo, hi) = match (lo, hi) {
                (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
                p => p,
            };
            let r = make(RangeKind::Num, b(lo, li, true), b(hi, ui, false), empty)
                .expect("ordered bounds");
            crate::engine::codec::to_stored(&sql::Value::Range(Box::new(r)))
        })
}

/// A small `tsvector`: few lexemes that share prefixes, positions often equal.
fn small_tsvector() -> impl Strategy<Value = sql::types::tsvector::TsVector> {
    use sql::types::tsvector::{Lexeme, TsVector, make_pos};
    proptest::collection::vec(
        (
            "[ab]{1,2}",
            proptest::collection::vec((1u16..4, 0u16..4), 0..3),
        ),
        0..3,
    )
    .prop_map(|ls| {
        TsVector::from_unsorted(
            ls.into_iter()
                .map(|(word, pos)| Lexeme {
                    word,
                    pos: pos.into_iter().map(|(p, w)| make_pos(p, w)).collect(),
                })
                .collect(),
        )
    })
}

/// A small `tsquery`.
fn small_tsquery() -> impl Strategy<Value = sql::types::tsquery::TsQuery> {
    use sql::types::tsquery::{BinOp, QueryItem, TsQuery};
    let leaf = ("[ab]{1,2}", 0u8..3, any::<bool>())
        .prop_map(|(w, weight, prefix)| QueryItem::val(&w, weight, prefix));
    prop_oneof![
        1 => Just(TsQuery::default()),
        4 => leaf
            .prop_recursive(2, 6, 2, |inner| {
                prop_oneof![
                    inner.clone().prop_map(|a| QueryItem::Not(Box::new(a))),
                    (inner.clone(), inner.clone())
                        .prop_map(|(a, b)| QueryItem::bin(BinOp::And, a, b)),
                    (inner.clone(), inner, 0u16..3)
                        .prop_map(|(a, b, d)| QueryItem::bin(BinOp::Phrase(d), a, b)),
                ]
            })
            .prop_map(TsQuery::new),
    ]
}

/// A value of the given type, or NULL sometimes.
fn value_of(ty: u8) -> BoxedStrategy<Value> {
    let v = match ty {
        0 => any::<bool>().prop_map(Value::Bool).boxed(),
        1 => any::<i16>().prop_map(Value::Int2).boxed(),
        2 => any::<i32>().prop_map(Value::Int4).boxed(),
        3 => prop_oneof![any::<i64>(), -3i64..3]
            .prop_map(Value::Int8)
            .boxed(),
        4 => prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(-0.0),
            Just(0.0),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            -2.0f64..2.0
        ]
        .prop_map(Value::Float8)
        .boxed(),
        5 => prop_oneof![any::<String>(), "[ab\u{0}\u{1}\u{ff}]{0,4}"]
            .prop_map(Value::Text)
            .boxed(),
        6 => prop_oneof![
            any_numeric(),
            (-30i64..30, 0i64..3)
                .prop_map(|(i, s)| sql::types::Numeric::Finite(BigDecimal::new(i.into(), s)))
        ]
        .prop_map(Value::Numeric)
        .boxed(),
        7 => prop_oneof![any::<i32>(), -3i32..3]
            .prop_map(Value::Date)
            .boxed(),
        8 => (0i64..=86_400_000_000).prop_map(Value::Time).boxed(),
        9 => any::<i64>().prop_map(Value::Timestamp).boxed(),
        10 => any::<i64>().prop_map(Value::Timestamptz).boxed(),
        11 => (-40i32..40, -40i32..40, prop_oneof![any::<i64>(), -3i64..3])
            .prop_map(|(m, d, u)| Value::Interval(Interval::new(m, d, u)))
            .boxed(),
        12 => proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1), Just(255), any::<u8>()],
            0..5,
        )
        .prop_map(Value::Bytea)
        .boxed(),
        13 => prop_oneof![any::<[u8; 16]>(), Just([0; 16]), Just([255; 16])]
            .prop_map(Value::Uuid)
            .boxed(),
        14 => small_jsonb().prop_map(Value::Jsonb).boxed(),
        15 => any_inet().prop_map(Value::Inet).boxed(),
        18 => any_range().boxed(),
        20 => small_tsvector().prop_map(Value::TsVector).boxed(),
        21 => small_tsquery().prop_map(Value::TsQuery).boxed(),
        17 => ((0i64..=86_400_000_000), (-57_599i32..57_600))
            .prop_map(|(t, z)| Value::TimeTz(t, z))
            .boxed(),
        16 => (
            prop_oneof![3 => (-3i64..3).prop_map(Value::Int8), 1 => Just(Value::Null)],
            prop_oneof![3 => "[ab]{0,2}".prop_map(Value::Text), 1 => Just(Value::Null)],
        )
            .prop_map(|(a, b)| Value::Record(vec![(23, a), (25, b)]))
            .boxed(),
        _ => proptest::collection::vec(
            prop_oneof![4 => (-3i32..3).prop_map(Value::Int4), 1 => Just(Value::Null)],
            0..4,
        )
        .prop_flat_map(|items| {
            let n = items.len() as i32;
            (Just(items), prop_oneof![Just(1), Just(0)], Just(n))
        })
        .prop_map(|(items, lower, n)| {
            let dims = if n == 0 { vec![] } else { vec![(n, lower)] };
            Value::Array(StoredArray { dims, items })
        })
        .boxed(),
    };
    prop_oneof![9 => v, 1 => Just(Value::Null)].boxed()
}

/// Two tuples with the same column types.
fn tuple_pair() -> impl Strategy<Value = (Vec<Value>, Vec<Value>)> {
    proptest::collection::vec(0u8..22, 1..4).prop_flat_map(|types| {
        let one = types.iter().map(|&t| value_of(t)).collect::<Vec<_>>();
        let two = types.iter().map(|&t| value_of(t)).collect::<Vec<_>>();
        (one, two)
    })
}

proptest! {
    #[test]
    fn encoding_preserves_order((a, b) in tuple_pair()) {
        let (ea, eb) = (encode_key(&a), encode_key(&b));
        prop_assert_eq!(ea.cmp(&eb), tuple_cmp(&a, &b), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn encoding_round_trips(t in proptest::collection::vec(any_value(), 0..5)) {
        let enc = encode_key(&t);
        let back = decode_key(&enc).unwrap();
        prop_assert_eq!(back.len(), t.len());
        for (x, y) in back.iter().zip(&t) {
            if let Value::Json(_) = y {
                continue; // json has no btree order; keys keep its text
            }
            prop_assert_eq!(sql_cmp(x, y), Ordering::Equal, "{:?} vs {:?}", x, y);
        }
        prop_assert_eq!(encode_key(&back), enc);
    }

    #[test]
    fn encoding_is_prefix_free((a, b) in tuple_pair()) {
        // Appending a suffix to one key never moves it past a key that
        // compared differently.
        let (ea, eb) = (encode_key(&a), encode_key(&b));
        if ea != eb {
            let mut ea2 = ea.clone();
            ea2.extend_from_slice(&[0xFF; 3]);
            let mut eb2 = eb.clone();
            eb2.push(0);
            prop_assert_eq!(ea2.cmp(&eb2), ea.cmp(&eb));
        }
        prop_assert_eq!(prefix_len(&ea, a.len()).unwrap(), ea.len());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
        let _ = decode_key(&bytes);
        let _ = prefix_len(&bytes, 3);
    }

    #[test]
    fn tagged_garbage_never_panics(tag in 0x07u8..=0x16, bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut b = vec![tag];
        b.extend(bytes);
        let _ = decode_key(&b);
    }
}

#[test]
fn nulls_sort_last_and_text_escapes() {
    let null = encode_key(&[Value::Null]);
    assert!(encode_key(&[Value::Int8(i64::MAX)]) < null);
    assert!(encode_key(&[Value::Text("a".into())]) < encode_key(&[Value::Text("a\0".into())]));
    assert!(encode_key(&[Value::Text("a\0".into())]) < encode_key(&[Value::Text("a\u{1}".into())]));
    assert_eq!(prefix_successor(&[1, 0xFF]), Some(vec![2]));
    assert_eq!(prefix_successor(&[0xFF]), None);
}

#[test]
fn equal_values_are_equal_keys() {
    let n = |s: &str| Value::Numeric(sql::types::Numeric::parse(s).unwrap());
    assert_eq!(encode_key(&[n("1.0")]), encode_key(&[n("1")]));
    let month = Value::Interval(Interval::new(1, 0, 0));
    let days = Value::Interval(Interval::new(0, 30, 0));
    assert_eq!(encode_key(&[month]), encode_key(&[days]));
}
