//! `pg_catalog.pg_extension` (the installed extensions: `plpgsql` and the catalog's
//! [`crate::storage::ExtensionDef`]s) and `pg_available_extensions` (what `CREATE
//! EXTENSION` can install, [`crate::ddl::extension::AVAILABLE`]). An extension's comment is
//! its `pg_description` row (class `pg_extension`), which psql's `\dx` joins.

use super::val::*;
use super::{Context, SystemTable};
use crate::Result;
use crate::ddl::extension::{AVAILABLE, available, installed};
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::storage::{Catalog, Oid, Row};

/// `pg_extension`'s OID (the `classoid` of extension comments).
pub const PG_EXTENSION_OID: Oid = 3079;

/// The relation `pg_extension`.
pub const PG_EXTENSION: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_extension",
    oid: PG_EXTENSION_OID,
    columns: &[
        ("oid", "oid"),
        ("extname", "name"),
        ("extowner", "oid"),
        ("extnamespace", "oid"),
        ("extrelocatable", "bool"),
        ("extversion", "text"),
        ("extconfig", "oid[]"),
        ("extcondition", "text[]"),
    ],
    rows: pg_extension,
};

/// The view `pg_available_extensions`.
pub const PG_AVAILABLE_EXTENSIONS: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_available_extensions",
    oid: 12081,
    columns: &[
        ("name", "name"),
        ("default_version", "text"),
        ("installed_version", "text"),
        ("comment", "text"),
    ],
    rows: pg_available_extensions,
};

fn pg_extension(ctx: &Context) -> Result<Vec<Row>> {
    Ok(installed(&ctx.env.catalog)
        .into_iter()
        .map(|e| {
            let relocatable = available(&e.name).is_some_and(|a| a.relocatable);
            vec![
                oid(e.oid),
                text(e.name),
                oid(e.owner),
                oid(e.schema),
                b(relocatable),
                text(e.version),
                null(),
                null(),
            ]
        })
        .collect())
}

fn pg_available_extensions(ctx: &Context) -> Result<Vec<Row>> {
    let installed = installed(&ctx.env.catalog);
    Ok(AVAILABLE
        .iter()
        .map(|a| {
            let version = installed
                .iter()
                .find(|e| e.name == a.name)
                .map_or_else(null, |e| text(e.version.clone()));
            vec![text(a.name), text(a.version), version, text(a.comment)]
        })
        .collect())
}

/// The comments of the installed extensions, as `pg_description` rows
/// (object, class, sub-id, text).
pub fn comments(catalog: &Catalog) -> Vec<(Oid, Oid, i64, String)> {
    installed(catalog)
        .into_iter()
        .filter_map(|e| {
            available(&e.name).map(|a| (e.oid, PG_EXTENSION_OID, 0, a.comment.to_string()))
        })
        .collect()
}
