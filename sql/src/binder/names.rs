//! Relation names: splitting `[database.][schema.]name`, the search path, and resolving a
//! name to what it denotes (a table, view, sequence or virtual system relation).

use super::{Binder, ident};
use crate::storage::catalog::oids::{INFORMATION_SCHEMA_NAMESPACE, PG_CATALOG_NAMESPACE};
use crate::storage::{Catalog, Oid, Relation, SequenceDef, TableDef, ViewDef};
use crate::system::SystemTable;
use crate::{Error, Result};
use sqlparser::ast;

/// The name of the one database of a timeline, as `current_database()` reports it.
pub const DATABASE_NAME: &str = "postgres";

/// What a name in FROM (or a DML target) denotes.
#[derive(Debug, Clone)]
pub enum FromRelation {
    Table(TableDef),
    View(ViewDef),
    Sequence(SequenceDef),
    System(&'static SystemTable),
}

/// Splits a relation name into `(schema, name)`. A three-part name must name this
/// database (`postgres.public.t`); anything longer is an error, as in PostgreSQL.
pub fn split_name(name: &ast::ObjectName) -> Result<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => Ok(ident(i)),
            other => Err(Error::unsupported(format!("name {other} is not supported"))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [n] => Ok((None, n.clone())),
        [s, n] => Ok((Some(s.clone()), n.clone())),
        [d, s, n] if d == DATABASE_NAME => Ok((Some(s.clone()), n.clone())),
        [_, _, _] => Err(Error::unsupported(format!(
            "cross-database references are not implemented: {name}"
        ))),
        _ => Err(Error::SyntaxError(format!(
            "improper qualified name (too many dotted names): {name}"
        ))),
    }
}

/// The schemas a `search_path` setting value names, as OIDs, with `pg_catalog` first unless
/// the path lists it elsewhere; `$user` is the schema named like `user`, if any. Schemas
/// that do not exist are skipped, as in PostgreSQL.
pub fn search_path(catalog: &Catalog, setting: &str, user: &str) -> Vec<Oid> {
    let mut out = Vec::new();
    // The session's temporary schema, once it made one, is searched first (as `pg_temp`);
    // a leftover of an ended session with the same pid is not this session's.
    let temp = uses_temp_schema()
        .then(|| catalog.schema_oid(&temp_schema_name()))
        .flatten();
    for item in setting.split(',') {
        let item = item.trim();
        let name = match item.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => item.to_lowercase(),
        };
        let name = match name.as_str() {
            "$user" => user.to_string(),
            "pg_temp" => temp_schema_name(),
            _ => name,
        };
        if let Some(oid) = catalog.schema_oid(&name)
            && !out.contains(&oid)
        {
            out.push(oid);
        }
    }
    if !out.contains(&PG_CATALOG_NAMESPACE) {
        out.insert(0, PG_CATALOG_NAMESPACE);
    }
    if let Some(temp) = temp {
        out.retain(|&s| s != temp);
        out.insert(0, temp);
    }
    out
}

/// The schema new objects go to: the first schema of the path other than the implicit
/// `pg_catalog` and the session's temporary schema (3F000 when there is none).
pub fn creation_schema(catalog: &Catalog, path: &[Oid]) -> Result<Oid> {
    let temp = catalog.schema(&temp_schema_name()).map(|s| s.oid);
    path.iter()
        .copied()
        .find(|&s| {
            s != PG_CATALOG_NAMESPACE && s != INFORMATION_SCHEMA_NAMESPACE && Some(s) != temp
        })
        .ok_or_else(|| Error::InvalidSchemaName("no schema has been selected to create in".into()))
}

/// The prefix of the sessions' temporary schemas (`pg_temp_<backend pid>`).
pub const TEMP_SCHEMA_PREFIX: &str = "pg_temp_";

/// Whether the running session made its temporary schema (a `CREATE TEMP TABLE`).
pub fn uses_temp_schema() -> bool {
    crate::env::with(|e| {
        e.session
            .temp_schema
            .load(std::sync::atomic::Ordering::Relaxed)
    })
}

/// The running session's temporary schema: where its `CREATE TEMP TABLE`s go, searched
/// first and named `pg_temp` in qualified names and `search_path`.
pub fn temp_schema_name() -> String {
    format!(
        "{TEMP_SCHEMA_PREFIX}{}",
        crate::env::with(|e| e.session.backend_pid)
    )
}

impl Binder {
    /// Resolves a relation name (42P01 when nothing has it) and notes it as referenced.
    pub fn resolve_relation(&mut self, name: &ast::ObjectName) -> Result<FromRelation> {
        let r = self.resolve_relation_unmarked(name);
        if let Err(e) = &r {
            super::position::mark_relation(e, name);
        }
        r
    }

    fn resolve_relation_unmarked(&mut self, name: &ast::ObjectName) -> Result<FromRelation> {
        let (schema, rel) = split_name(name)?;
        let missing = || match &schema {
            Some(s) => Error::UndefinedTable(format!("{s}.{rel}")),
            None => Error::UndefinedTable(rel.clone()),
        };
        if schema
            .as_deref()
            .is_some_and(|s| self.catalog.schema(s).is_none())
        {
            return Err(missing());
        }
        let found = self.lookup(schema.as_deref(), &rel)?.ok_or_else(missing)?;
        if let FromRelation::Table(t) = &found {
            self.referenced.push(t.id);
        }
        if let FromRelation::View(v) = &found {
            self.referenced.push(v.oid);
        }
        if let FromRelation::Sequence(s) = &found {
            self.referenced.push(s.oid);
        }
        Ok(found)
    }

    /// Looks `schema.name` (or `name` along the search path) up; `None` if absent.
    ///
    /// As in PostgreSQL, a schema is only searched with USAGE on it: naming one without is
    /// 42501, and the search path skips it. (A view's query is not checked: PostgreSQL
    /// resolved its names when the view was created.)
    pub fn lookup(&self, schema: Option<&str>, name: &str) -> Result<Option<FromRelation>> {
        let schemas = crate::privilege::lookup_schemas(
            &self.catalog,
            schema,
            &self.search_path,
            self.view_owner.is_none(),
        )?;
        for oid in schemas {
            if let Some(t) = crate::system::lookup(oid, name) {
                return Ok(Some(FromRelation::System(t)));
            }
            match self.catalog.relation(oid, name) {
                Some(Relation::Table(t)) => return Ok(Some(FromRelation::Table(t.clone()))),
                Some(Relation::View(v)) => return Ok(Some(FromRelation::View(v.clone()))),
                Some(Relation::Sequence(s)) => {
                    return Ok(Some(FromRelation::Sequence(s.clone())));
                }
                Some(Relation::Index { .. }) => {
                    return Err(Error::WrongObjectType(format!("\"{name}\" is an index")));
                }
                None => {}
            }
        }
        Ok(None)
    }
}
