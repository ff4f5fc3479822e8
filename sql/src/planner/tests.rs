//! One test per access-path choice: bind a real query, optimize it, look at the scan.

use super::{AccessPlan, Plan, optimize};
use crate::binder::{Binder, BoundStatement};
use crate::expr::Expr;
use crate::storage::{Catalog, ColumnDef, IndexDef, TableDef};
use crate::types::{DataType, Value};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::ops::Bound;
use std::sync::Arc;

fn catalog() -> Arc<Catalog> {
    let col = |name: &str, not_null| ColumnDef {
        not_null,
        ..ColumnDef::new(name, DataType::Int4)
    };
    Arc::new(Catalog {
        tables: vec![TableDef {
            id: 1,
            name: "t".into(),
            columns: vec![
                col("a", true),
                col("b", true),
                col("c", false),
                col("d", false),
            ],
            primary_key: vec![0, 1],
            primary_key_name: Some("t_pkey".into()),
            indexes: vec![
                IndexDef {
                    name: "t_c".into(),
                    columns: vec![2],
                    unique: false,
                    ..Default::default()
                },
                IndexDef {
                    name: "t_cd".into(),
                    columns: vec![2, 3],
                    unique: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn access_of(sql: &str) -> AccessPlan {
    let stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .expect("parse")
        .remove(0);
    #[allow(irrefutable_let_patterns)]
    let BoundStatement::Query { plan, .. } =
        Binder::new(catalog(), vec![]).bind(&stmt).expect("bind")
    else {
        panic!("not a query");
    };
    fn find(p: &Plan) -> AccessPlan {
        match p {
            Plan::Scan { access, .. } => access.clone(),
            other => find(other.children().first().expect("no scan")),
        }
    }
    find(&optimize(plan))
}

fn lit(i: i64) -> Expr {
    Expr::Literal(Value::Int(i))
}

#[test]
fn full_primary_key_equality_is_a_point_range() {
    let want = vec![lit(1), lit(2)];
    assert_eq!(
        access_of("SELECT * FROM t WHERE a = 1 AND b = 2"),
        AccessPlan::Primary(super::RangePlan {
            lower: Bound::Included(want.clone()),
            upper: Bound::Included(want)
        })
    );
}

#[test]
fn leading_primary_key_column_is_a_prefix_range() {
    assert_eq!(
        access_of("SELECT * FROM t WHERE 5 = a"),
        AccessPlan::Primary(super::RangePlan {
            lower: Bound::Included(vec![lit(5)]),
            upper: Bound::Included(vec![lit(5)])
        })
    );
}

#[test]
fn range_on_the_column_after_the_equal_prefix() {
    assert_eq!(
        access_of("DELETE FROM t WHERE a = 1 AND b > 3 AND b <= 9"),
        AccessPlan::Primary(super::RangePlan {
            lower: Bound::Excluded(vec![lit(1), lit(3)]),
            upper: Bound::Included(vec![lit(1), lit(9)]),
        })
    );
}

#[test]
fn non_leading_primary_key_column_falls_back_to_full_scan() {
    assert_eq!(access_of("SELECT * FROM t WHERE b = 1"), AccessPlan::Full);
}

#[test]
fn secondary_index_equality() {
    assert_eq!(
        access_of("UPDATE t SET d = 0 WHERE c = 7"),
        AccessPlan::Index {
            index: "t_c".into(),
            range: super::RangePlan {
                lower: Bound::Included(vec![lit(7)]),
                upper: Bound::Included(vec![lit(7)])
            }
        }
    );
}

#[test]
fn the_index_matching_more_columns_wins() {
    let AccessPlan::Index { index, .. } = access_of("SELECT * FROM t WHERE c = 1 AND d = 2") else {
        panic!()
    };
    assert_eq!(index, "t_cd");
}

#[test]
fn primary_key_wins_a_tie() {
    assert!(matches!(
        access_of("SELECT * FROM t WHERE a = 1 AND c = 1"),
        AccessPlan::Primary(_)
    ));
}

#[test]
fn parameters_are_scan_bounds() {
    assert_eq!(
        access_of("SELECT * FROM t WHERE a < $1"),
        AccessPlan::Primary(super::RangePlan {
            lower: Bound::Unbounded,
            upper: Bound::Excluded(vec![Expr::Param(0)])
        })
    );
}

#[test]
fn or_and_non_constant_predicates_scan_everything() {
    assert_eq!(
        access_of("SELECT * FROM t WHERE a = 1 OR a = 2"),
        AccessPlan::Full
    );
    assert_eq!(access_of("SELECT * FROM t WHERE a = c"), AccessPlan::Full);
    assert_eq!(
        access_of("SELECT * FROM t WHERE a + 0 = 1"),
        AccessPlan::Full
    );
    assert_eq!(access_of("SELECT * FROM t"), AccessPlan::Full);
}
