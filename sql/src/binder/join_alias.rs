//! The alias of a parenthesized join, `(a JOIN b USING (i)) AS x (c1, ...)`: what the
//! join's columns are called once the join has a name of its own.

use super::{Scope, ident};
use crate::{Error, Result};
use sqlparser::ast;

/// `(a JOIN b ...) AS x [(c1, ...)]`: the join's columns (the merged USING columns and each
/// side's others, as `*` shows them) become `x`'s, renamed by the column list; the joined
/// tables' own names no longer reach them, and the sides' copies of merged columns are
/// unreachable. More names than columns is 42P10, as PostgreSQL reports it.
pub(super) fn alias_join(scope: &mut Scope, alias: &ast::TableAlias) -> Result<()> {
    let name = ident(&alias.name);
    let visible = scope
        .columns
        .iter()
        .filter(|c| !c.qualified_only && !c.system)
        .count();
    if alias.columns.len() > visible {
        return Err(Error::InvalidColumnReference(format!(
            "join expression \"{name}\" has {visible} columns available but {} columns specified",
            alias.columns.len()
        )));
    }
    let mut given = alias.columns.iter();
    for c in &mut scope.columns {
        if c.system {
            continue;
        }
        if c.qualified_only {
            c.table = None;
            continue;
        }
        c.table = Some(name.clone());
        c.schema = None;
        if let Some(n) = given.next() {
            c.name = ident(&n.name);
        }
    }
    Ok(())
}
