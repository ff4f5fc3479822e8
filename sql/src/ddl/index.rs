//! CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table [USING btree]
//! (columns) [INCLUDE (columns)], and ALTER INDEX ... RENAME TO. Unnamed indexes are named
//! `{table}_{columns}_idx` (numbered on a collision). Every index is a B-tree; partial
//! indexes (`WHERE`) and keys on expressions are refused with 0A000.

use super::Ddl;
use super::names;
use crate::binder::{ident, split_name};
use crate::result::StatementResult;
use crate::storage::{IndexDef, IndexRef, Relation, TableDef};
use crate::{Error, Result};
use sqlparser::ast;

fn key_columns(table: &TableDef, cols: &[ast::IndexColumn]) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for c in cols {
        let name = match &c.column.expr {
            ast::Expr::Identifier(i) => ident(i),
            other => {
                return Err(Error::unsupported(format!(
                    "index on expression {other} is not supported yet"
                )));
            }
        };
        let i = table
            .column_index(&name)
            .ok_or_else(|| Error::UndefinedColumn(name.to_string()))?;
        let ty = table.columns[i].data_type;
        if !ty.is_orderable() {
            return Err(Error::UndefinedObject(format!(
                "data type {} has no default operator class for access method \"btree\"",
                ty.name()
            )));
        }
        // ASC/DESC/NULLS FIRST only change a B-tree's physical order; Strata's indexes are
        // ascending and the planner never relies on index order, so they are accepted as-is.
        out.push(i);
    }
    Ok(out)
}

/// CREATE INDEX.
pub fn create(ddl: &mut Ddl, c: &ast::CreateIndex) -> Result<StatementResult> {
    let done = StatementResult::command("CREATE INDEX");
    if c.predicate.is_some() {
        return Err(Error::unsupported("partial indexes are not supported yet"));
    }
    match &c.using {
        None | Some(ast::IndexType::BTree) => {}
        Some(other) => {
            return Err(Error::unsupported(format!(
                "access method \"{}\" is not supported",
                other.to_string().to_lowercase()
            )));
        }
    }
    let table = ddl.table(&c.table_name)?;
    let columns = key_columns(&table, &c.columns)?;
    let mut include = Vec::new();
    for i in &c.include {
        let n = ident(i);
        include.push(
            table
                .column_index(&n)
                .ok_or_else(|| Error::UndefinedColumn(n.clone()))?,
        );
    }
    let catalog = ddl.catalog()?;
    let name = match &c.name {
        Some(n) => {
            let (schema, rel) = split_name(n)?;
            if schema.is_some_and(|s| catalog.schema(&s).is_none_or(|s| s.oid != table.schema)) {
                return Err(Error::SyntaxError(
                    "index name must not be qualified with another schema".into(),
                ));
            }
            rel
        }
        None => {
            let add =
                names::columns_addition(columns.iter().map(|&c| table.columns[c].name.as_str()));
            names::choose(&table.name, Some(&add), "idx", |n| {
                names::relation_taken(&catalog, table.schema, n, &[])
            })
        }
    };
    if catalog.relation_exists(table.schema, &name) {
        if c.if_not_exists {
            return Ok(done);
        }
        return Err(Error::DuplicateTable(name));
    }
    let oid = ddl.txn.new_oid()?;
    ddl.txn.create_index(
        table.id,
        IndexDef {
            oid,
            name,
            columns,
            unique: c.unique,
            include,
            constraint: None,
            comment: None,
        },
    )?;
    Ok(done)
}

/// ALTER INDEX name RENAME TO new.
pub fn alter(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    op: &ast::AlterIndexOperation,
) -> Result<StatementResult> {
    let ast::AlterIndexOperation::RenameIndex { index_name } = op;
    let new = split_name(index_name)?.1;
    rename_index(ddl, name, &new)?;
    Ok(StatementResult::command("ALTER INDEX"))
}

/// Renames the index `name` (and the constraint it implements).
pub fn rename_index(ddl: &mut Ddl, name: &ast::ObjectName, new: &str) -> Result<()> {
    let (schema, rel) = split_name(name)?;
    let catalog = ddl.catalog()?;
    let found = catalog.resolve(schema.as_deref(), &rel, &ddl.search_path)?;
    let Some(Relation::Index { table, index }) = found else {
        return Err(match found {
            Some(_) => Error::WrongObjectType(format!("\"{rel}\" is not an index")),
            None => Error::UndefinedTable(rel),
        });
    };
    if catalog.relation_exists(table.schema, new) {
        return Err(Error::DuplicateTable(new.to_string()));
    }
    let mut def = table.clone();
    match index {
        IndexRef::Primary => def.primary_key_name = Some(new.to_string()),
        IndexRef::Secondary(i) => {
            if let Some(x) = def.indexes.iter_mut().find(|x| x.oid == i.oid) {
                x.name = new.to_string();
            }
        }
    }
    ddl.txn.alter_table(def)
}
