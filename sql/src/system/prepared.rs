//! `pg_catalog.pg_prepared_statements`: the session's named prepared statements, from SQL
//! `PREPARE` and from the extended protocol's named Parse (the unnamed statement is not
//! listed), read from the session's store ([`crate::session::NamedStatements`]). Strata
//! plans a prepared statement once and reuses that plan for every execution, so every run
//! counts as a generic plan.

use super::val::*;
use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::types::oid::RegKind;
use crate::{Result, Value};

/// The relation.
pub const PG_PREPARED_STATEMENTS: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_prepared_statements",
    // PostgreSQL 15's OID for the view.
    oid: 12_095,
    columns: &[
        ("name", "text"),
        ("statement", "text"),
        ("prepare_time", "timestamptz"),
        ("parameter_types", "regtype[]"),
        ("from_sql", "bool"),
        ("generic_plans", "int8"),
        ("custom_plans", "int8"),
    ],
    rows,
};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    Ok(ctx
        .env
        .prepared
        .list()
        .into_iter()
        .map(|(name, s)| {
            vec![
                text(name),
                text(s.source.to_string()),
                Value::Timestamptz(s.prepared_at),
                array(
                    s.param_types()
                        .iter()
                        .map(|t| Value::Reg(RegKind::Type, t.oid()))
                        .collect(),
                ),
                b(s.from_sql()),
                int(s.executions() as i64),
                int(0),
            ]
        })
        .collect())
}
