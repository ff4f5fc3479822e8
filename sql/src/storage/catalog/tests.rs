//! The durable catalog format: every type round-trips through its stored text, and
//! documents written by this version decode the same again (golden documents).

use super::objects::{ColumnDef, TableDef};
use super::type_text;
use crate::types::{DataType, NumericTypmod};

#[test]
fn every_column_type_round_trips_through_its_stored_text() {
    let mut types = crate::types::oid::builtin_types();
    types.retain(|t| *t != DataType::Unknown);
    types.extend([
        DataType::Varchar(Some(7)),
        DataType::Bpchar(Some(3)),
        DataType::Numeric(Some(NumericTypmod {
            precision: 12,
            scale: 2,
        })),
        DataType::Timestamptz(Some(3)),
        DataType::Time(Some(0)),
        DataType::array_of(DataType::Varchar(Some(5))),
        DataType::Composite(16390),
        DataType::array_of(DataType::Composite(16391)),
    ]);
    for t in types {
        let text = type_text::text(&t);
        assert_eq!(type_text::parse(&text).unwrap(), t, "{text}");
    }
}

/// A table document as version 1 writes it. Fields added later must keep this decoding.
const TABLE_V1: &str = r#"{"id":16390,"schema":2200,"name":"t","columns":[{"name":"id","data_type":"integer","not_null":true,"default":"nextval(16389::regclass)","identity":null,"comment":null},{"name":"v","data_type":"numeric(10,2)","not_null":false,"default":null,"identity":null,"comment":"a column"}],"primary_key":[0],"primary_key_name":"t_pkey","pk_index_oid":16391,"pk_constraint_oid":16392,"indexes":[{"oid":16393,"name":"t_v_key","columns":[1],"unique":true,"include":[],"constraint":16394,"comment":null}],"checks":[{"oid":16395,"name":"t_v_check","expr":"v > 0","columns":[1]}],"foreign_keys":[],"options":["fillfactor=100"],"materialized":null,"comment":"a table","pk_comment":null}"#;

/// The first fields of a table document, before anything optional was added.
const TABLE_MINIMAL: &str = r#"{"id":7,"name":"m","columns":[{"name":"a","data_type":"text","not_null":false,"default":null}],"primary_key":[],"primary_key_name":null,"indexes":[]}"#;

#[test]
fn table_documents_of_every_version_decode() {
    let t: TableDef = serde_json::from_str(TABLE_V1).unwrap();
    assert_eq!(t.columns[1].data_type.name(), "numeric(10,2)");
    assert_eq!(t.checks[0].name, "t_v_check");
    assert_eq!(t.indexes[0].constraint, Some(16394));
    assert_eq!(serde_json::to_string(&t).unwrap(), TABLE_V1);
    let m: TableDef = serde_json::from_str(TABLE_MINIMAL).unwrap();
    assert_eq!(m.schema, super::oids::PUBLIC_NAMESPACE);
    assert_eq!(m.columns, vec![ColumnDef::new("a", DataType::Text)]);
    assert!(m.checks.is_empty() && m.foreign_keys.is_empty() && m.comment.is_none());
    // Documents from before owners and privileges: the bootstrap superuser owns the table,
    // with the default ACL.
    assert_eq!(m.owner, super::oids::BOOTSTRAP_SUPERUSER);
    assert!(m.acl.is_none());
}

#[test]
fn owners_and_acls_round_trip() {
    let mut t: TableDef = serde_json::from_str(TABLE_MINIMAL).unwrap();
    t.owner = 16400;
    t.acl = Some(vec![super::acl::AclItem {
        grantee: 0,
        grantor: 16400,
        privileges: super::acl::SELECT,
        grant_options: 0,
    }]);
    let text = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<TableDef>(&text).unwrap(), t);
}
