//! System views that are not generated from the catalog: they show the running server
//! (today `pg_stat_activity`). Each is bound as a relation of constant rows, computed when
//! the statement is bound, from the session's [`crate::backend`].
//!
//! This is the simplest form of a virtual relation, kept apart so that the catalog's own
//! virtual relations (`pg_class`, `pg_attribute`, ...) can take these in when they land. A
//! view name resolves here before user tables, as `pg_catalog` comes first on PostgreSQL's
//! search path; `pg_catalog.name` is accepted too.

mod pg_stat_activity;
mod timestamp;

use sqlparser::ast;

use crate::binder::{OutputColumn, ident};
use crate::types::Value;

/// A system view's columns and its rows now.
pub struct ViewRows {
    pub columns: Vec<OutputColumn>,
    pub rows: Vec<Vec<Value>>,
}

/// The system view `name` names, if any.
pub fn lookup(name: &ast::ObjectName) -> Option<ViewRows> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => ident(i),
            other => other.to_string(),
        })
        .collect();
    let view = match parts.as_slice() {
        [v] => v.as_str(),
        [schema, v] if schema == "pg_catalog" => v.as_str(),
        _ => return None,
    };
    match view {
        "pg_stat_activity" => Some(pg_stat_activity::rows()),
        _ => None,
    }
}
