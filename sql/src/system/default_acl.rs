//! `pg_catalog.pg_default_acl`: the `ALTER DEFAULT PRIVILEGES` entries of the catalog
//! ([`crate::storage::DefaultAclDef`]), their ACLs as `aclitem[]` text as PostgreSQL prints
//! them. psql's `\ddp` reads it.

use super::relations::acl_value;
use super::val::*;
use super::{Context, SystemTable};
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;

/// The relation.
pub const PG_DEFAULT_ACL: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_default_acl",
    oid: 826,
    columns: &[
        ("oid", "oid"),
        ("defaclrole", "oid"),
        ("defaclnamespace", "oid"),
        ("defaclobjtype", "char"),
        ("defaclacl", "aclitem[]"),
    ],
    rows,
};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let catalog = &ctx.env.catalog;
    Ok(catalog
        .default_acls
        .iter()
        .map(|d| {
            vec![
                oid(d.oid),
                oid(d.role),
                oid(d.schema),
                ch(d.objtype),
                acl_value(catalog, Some(&d.acl)),
            ]
        })
        .collect())
}
