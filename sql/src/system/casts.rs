//! `pg_cast`: PostgreSQL 15's built-in casts between the types Strata has, with its OIDs,
//! cast functions, contexts and methods, as `initdb` lists them (the automatic I/O
//! conversions to and from string types are not in `pg_cast`, in PostgreSQL either).
//! What the engine does with a cast is decided by [`crate::types::coerce::context`]; a test
//! holds every row here to it, so the catalog cannot claim a context the engine does not
//! apply.

use super::val::*;
use super::{Context, SystemTable};
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;

/// `(oid, castsource, casttarget, castfunc, castcontext, castmethod)`: PostgreSQL 15's rows
/// whose source and target are both types of [`crate::types::oid::builtin_types`].
pub const CASTS: &[(u32, u32, u32, u32, char, char)] = &[
    (10000, 20, 21, 714, 'a', 'f'),
    (10001, 20, 23, 480, 'a', 'f'),
    (10002, 20, 700, 652, 'i', 'f'),
    (10003, 20, 701, 482, 'i', 'f'),
    (10004, 20, 1700, 1781, 'i', 'f'),
    (10005, 21, 20, 754, 'i', 'f'),
    (10006, 21, 23, 313, 'i', 'f'),
    (10007, 21, 700, 236, 'i', 'f'),
    (10008, 21, 701, 235, 'i', 'f'),
    (10009, 21, 1700, 1782, 'i', 'f'),
    (10010, 23, 20, 481, 'i', 'f'),
    (10011, 23, 21, 314, 'a', 'f'),
    (10012, 23, 700, 318, 'i', 'f'),
    (10013, 23, 701, 316, 'i', 'f'),
    (10014, 23, 1700, 1740, 'i', 'f'),
    (10015, 700, 20, 653, 'a', 'f'),
    (10016, 700, 21, 238, 'a', 'f'),
    (10017, 700, 23, 319, 'a', 'f'),
    (10018, 700, 701, 311, 'i', 'f'),
    (10019, 700, 1700, 1742, 'a', 'f'),
    (10020, 701, 20, 483, 'a', 'f'),
    (10021, 701, 21, 237, 'a', 'f'),
    (10022, 701, 23, 317, 'a', 'f'),
    (10023, 701, 700, 312, 'a', 'f'),
    (10024, 701, 1700, 1743, 'a', 'f'),
    (10025, 1700, 20, 1779, 'a', 'f'),
    (10026, 1700, 21, 1783, 'a', 'f'),
    (10027, 1700, 23, 1744, 'a', 'f'),
    (10028, 1700, 700, 1745, 'i', 'f'),
    (10029, 1700, 701, 1746, 'i', 'f'),
    (10034, 23, 16, 2557, 'e', 'f'),
    (10035, 16, 23, 2558, 'e', 'f'),
    (10037, 20, 26, 1287, 'i', 'f'),
    (10038, 21, 26, 313, 'i', 'f'),
    (10039, 23, 26, 0, 'i', 'b'),
    (10040, 26, 20, 1288, 'a', 'f'),
    (10041, 26, 23, 0, 'a', 'b'),
    (10042, 26, 24, 0, 'i', 'b'),
    (10043, 24, 26, 0, 'i', 'b'),
    (10044, 20, 24, 1287, 'i', 'f'),
    (10045, 21, 24, 313, 'i', 'f'),
    (10046, 23, 24, 0, 'i', 'b'),
    (10047, 24, 20, 1288, 'a', 'f'),
    (10048, 24, 23, 0, 'a', 'b'),
    (10074, 26, 2205, 0, 'i', 'b'),
    (10075, 2205, 26, 0, 'i', 'b'),
    (10076, 20, 2205, 1287, 'i', 'f'),
    (10077, 21, 2205, 313, 'i', 'f'),
    (10078, 23, 2205, 0, 'i', 'b'),
    (10079, 2205, 20, 1288, 'a', 'f'),
    (10080, 2205, 23, 0, 'a', 'b'),
    (10088, 26, 2206, 0, 'i', 'b'),
    (10089, 2206, 26, 0, 'i', 'b'),
    (10090, 20, 2206, 1287, 'i', 'f'),
    (10091, 21, 2206, 313, 'i', 'f'),
    (10092, 23, 2206, 0, 'i', 'b'),
    (10093, 2206, 20, 1288, 'a', 'f'),
    (10094, 2206, 23, 0, 'a', 'b'),
    (10109, 25, 2205, 1079, 'i', 'f'),
    (10110, 1043, 2205, 1079, 'i', 'f'),
    (10125, 25, 1042, 0, 'i', 'b'),
    (10126, 25, 1043, 0, 'i', 'b'),
    (10127, 1042, 25, 401, 'i', 'f'),
    (10128, 1042, 1043, 401, 'i', 'f'),
    (10129, 1043, 25, 0, 'i', 'b'),
    (10130, 1043, 1042, 0, 'i', 'b'),
    (10131, 18, 25, 946, 'i', 'f'),
    (10132, 18, 1042, 860, 'a', 'f'),
    (10133, 18, 1043, 946, 'a', 'f'),
    (10134, 19, 25, 406, 'i', 'f'),
    (10135, 19, 1042, 408, 'a', 'f'),
    (10136, 19, 1043, 1401, 'a', 'f'),
    (10137, 25, 18, 944, 'a', 'f'),
    (10138, 1042, 18, 944, 'a', 'f'),
    (10139, 1043, 18, 944, 'a', 'f'),
    (10140, 25, 19, 407, 'i', 'f'),
    (10141, 1042, 19, 409, 'i', 'f'),
    (10142, 1043, 19, 1400, 'i', 'f'),
    (10143, 18, 23, 77, 'e', 'f'),
    (10144, 23, 18, 78, 'e', 'f'),
    (10152, 1082, 1114, 2024, 'i', 'f'),
    (10153, 1082, 1184, 1174, 'i', 'f'),
    (10154, 1083, 1186, 1370, 'i', 'f'),
    (10156, 1114, 1082, 2029, 'a', 'f'),
    (10157, 1114, 1083, 1316, 'a', 'f'),
    (10158, 1114, 1184, 2028, 'i', 'f'),
    (10159, 1184, 1082, 1178, 'a', 'f'),
    (10160, 1184, 1083, 2019, 'a', 'f'),
    (10161, 1184, 1114, 2027, 'a', 'f'),
    (10163, 1186, 1083, 1419, 'a', 'f'),
    (10191, 16, 25, 2971, 'a', 'f'),
    (10196, 16, 1043, 2971, 'a', 'f'),
    (10201, 16, 1042, 2971, 'a', 'f'),
    (10204, 1042, 1042, 668, 'i', 'f'),
    (10205, 1043, 1043, 669, 'i', 'f'),
    (10206, 1083, 1083, 1968, 'i', 'f'),
    (10207, 1114, 1114, 1961, 'i', 'f'),
    (10208, 1184, 1184, 1967, 'i', 'f'),
    (10209, 1186, 1186, 1200, 'i', 'f'),
    (10213, 1700, 1700, 1703, 'i', 'f'),
    (10214, 114, 3802, 0, 'a', 'i'),
    (10215, 3802, 114, 0, 'a', 'i'),
    (10216, 3802, 16, 3556, 'e', 'f'),
    (10217, 3802, 1700, 3449, 'e', 'f'),
    (10218, 3802, 21, 3450, 'e', 'f'),
    (10219, 3802, 23, 3451, 'e', 'f'),
    (10220, 3802, 20, 3452, 'e', 'f'),
    (10221, 3802, 700, 3453, 'e', 'f'),
    (10222, 3802, 701, 2580, 'e', 'f'),
];

fn rows(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(CASTS
        .iter()
        .map(|&(o, source, target, func, context, method)| {
            vec![
                oid(o),
                oid(source),
                oid(target),
                oid(func),
                ch(context),
                ch(method),
            ]
        })
        .collect())
}

/// The relation.
pub const PG_CAST: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_cast",
    oid: 2605,
    columns: &[
        ("oid", "oid"),
        ("castsource", "oid"),
        ("casttarget", "oid"),
        ("castfunc", "oid"),
        ("castcontext", "char"),
        ("castmethod", "char"),
    ],
    rows,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::coerce::{CastContext, context};
    use crate::types::oid::builtin_type;

    #[test]
    fn every_cast_applies_in_the_context_it_lists() {
        for &(o, source, target, _, listed, _) in CASTS {
            let from = builtin_type(source).expect("a built-in source type");
            let to = builtin_type(target).expect("a built-in target type");
            let expected = match listed {
                'i' => CastContext::Implicit,
                'a' => CastContext::Assignment,
                _ => CastContext::Explicit,
            };
            assert_eq!(
                context(from, to),
                Some(expected),
                "cast {o}: {} -> {}",
                from.name(),
                to.name()
            );
        }
    }

    #[test]
    fn cast_oids_are_distinct_and_sorted() {
        assert!(CASTS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
