//! `CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v] [CASCADE]` and
//! `DROP EXTENSION [IF EXISTS] name, ... [CASCADE | RESTRICT]`.
//!
//! Strata ships the extensions of [`AVAILABLE`]: their functions are built in
//! ([`crate::expr::extension_fns`]) and an installed extension ([`ExtensionDef`], a row of
//! `pg_extension`) is what makes them callable — in the schema it was created in, as
//! PostgreSQL creates an extension's functions there: `uuid_generate_v4()` needs that
//! schema on the `search_path`, or the call qualified with it ([`callable`]). Installing
//! and dropping are catalog changes like any DDL: transactional, and in the engine's
//! catalog documents (WAL-logged), so a restarted compute finds them.
//!
//! `plpgsql` is listed as installed in `pg_catalog` in every database, as PostgreSQL
//! creates it in `template1` — so `\dx` and tools that check for it see what PostgreSQL
//! shows, and `CREATE EXTENSION IF NOT EXISTS plpgsql` in a dump is a no-op. Strata has
//! no PL/pgSQL interpreter (`pg_language` does not list the language, `CREATE FUNCTION ...
//! LANGUAGE plpgsql` is refused), and `DROP EXTENSION plpgsql` is refused (0A000).
//!
//! Not done: DROP EXTENSION does not look for objects that use the extension's functions
//! (a column default calling `uuid_generate_v4()` fails with 42883 on the next insert,
//! where PostgreSQL refuses the DROP without CASCADE); `ALTER EXTENSION` is not parsed.

use super::Ddl;
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::storage::{Catalog, ExtensionDef, Oid};
use crate::{Error, Result};
use sqlparser::ast;

/// An extension Strata can install.
#[derive(Debug, Clone, Copy)]
pub struct Available {
    pub name: &'static str,
    pub version: &'static str,
    /// The control file's comment (`pg_available_extensions.comment`, `\dx`).
    pub comment: &'static str,
    pub relocatable: bool,
}

/// The extensions Strata ships, by name.
pub const AVAILABLE: [Available; 3] = [
    Available {
        name: "pgcrypto",
        version: "1.3",
        comment: "cryptographic functions",
        relocatable: true,
    },
    Available {
        name: "plpgsql",
        version: "1.0",
        comment: "PL/pgSQL procedural language",
        relocatable: false,
    },
    Available {
        name: "uuid-ossp",
        version: "1.1",
        comment: "generate universally unique identifiers (UUIDs)",
        relocatable: true,
    },
];

/// The OID of the always-present `plpgsql` (PostgreSQL 15's in a new cluster).
pub const PLPGSQL_OID: Oid = 13559;

/// The shipped extension `name`.
pub fn available(name: &str) -> Option<Available> {
    AVAILABLE.into_iter().find(|a| a.name == name)
}

/// Every installed extension: `plpgsql`, then the catalog's, by OID.
pub fn installed(catalog: &Catalog) -> Vec<ExtensionDef> {
    let mut all = vec![ExtensionDef {
        oid: PLPGSQL_OID,
        name: "plpgsql".into(),
        schema: PG_CATALOG_NAMESPACE,
        version: "1.0".into(),
        owner: crate::storage::catalog::oids::BOOTSTRAP_SUPERUSER,
    }];
    all.extend(catalog.extensions.iter().cloned());
    all
}

/// Whether a call of extension `extension`'s function may reach it: the extension is
/// installed, in schema `qualifier` if the call names one, else in a schema of
/// `search_path`.
pub fn callable(
    catalog: &Catalog,
    extension: &str,
    qualifier: Option<&str>,
    search_path: &[Oid],
) -> bool {
    catalog
        .extensions
        .iter()
        .filter(|e| e.name == extension)
        .any(|e| match qualifier {
            Some(q) => catalog.schema_name(e.schema) == q,
            None => search_path.contains(&e.schema),
        })
}

/// CREATE EXTENSION.
pub fn create(ddl: &mut Ddl, c: &ast::CreateExtension) -> Result<StatementResult> {
    let name = ident(&c.name);
    let done = || Ok(StatementResult::command("CREATE EXTENSION"));
    let catalog = ddl.catalog()?;
    if installed(&catalog).iter().any(|e| e.name == name) {
        if c.if_not_exists {
            crate::notice::skipping_existing("42710", "extension", &name);
            return done();
        }
        return Err(Error::DuplicateObject(format!(
            "extension \"{name}\" already exists"
        )));
    }
    let Some(ext) = available(&name) else {
        return Err(Error::ExtensionNotAvailable {
            detail: format!(
                "Could not open extension control file \"/usr/share/postgresql/15/extension/{name}.control\": No such file or directory."
            ),
            name,
        });
    };
    if let Some(v) = &c.version {
        let v = ident(v);
        if v != ext.version {
            return Err(Error::InvalidParameterValue(format!(
                "extension \"{name}\" has no installation script nor update path for version \"{v}\""
            )));
        }
    }
    let schema = match &c.schema {
        Some(s) => {
            let s = ident(s);
            catalog
                .schema(&s)
                .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?
                .oid
        }
        None => crate::binder::creation_schema(&*ddl.catalog()?, &ddl.search_path)?,
    };
    let oid = ddl.txn.new_oid()?;
    ddl.txn.put_extension(ExtensionDef {
        oid,
        name,
        schema,
        version: ext.version.into(),
        owner: crate::privilege::current(&catalog).oid,
    })?;
    done()
}

/// DROP EXTENSION.
pub fn drop(ddl: &mut Ddl, d: &ast::DropExtension) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let mut drop = Vec::new();
    for n in &d.names {
        let name = ident(n);
        if name == "plpgsql" {
            return Err(Error::unsupported(
                "cannot drop extension plpgsql: Strata keeps it installed",
            ));
        }
        match catalog.extensions.iter().find(|e| e.name == name) {
            Some(e) => drop.push(e.oid),
            None if d.if_exists => crate::notice::skipping_missing("extension", &name),
            None => {
                return Err(Error::UndefinedObject(format!(
                    "extension \"{name}\" does not exist"
                )));
            }
        }
    }
    for oid in drop {
        ddl.txn.drop_extension(oid)?;
    }
    Ok(StatementResult::command("DROP EXTENSION"))
}

/// The extensions installed in schema `schema` (DROP SCHEMA's dependents).
pub fn in_schema(catalog: &Catalog, schema: Oid) -> Vec<&ExtensionDef> {
    catalog
        .extensions
        .iter()
        .filter(|e| e.schema == schema)
        .collect()
}
