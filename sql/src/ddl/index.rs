//! CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table [USING btree]
//! (columns) [INCLUDE (columns)], and ALTER INDEX ... RENAME TO. Unnamed indexes are named
//! `{table}_{columns}_idx` (numbered on a collision; an expression contributes its function's
//! name or `expr`, as in PostgreSQL). Every index is a B-tree. Key elements may be expressions
//! (`lower(name)`, `(a + b)`) and the index may be partial (`WHERE active`): both are kept as
//! SQL text and evaluated per row by [`crate::storage::catalog::index_keys`].

use super::Ddl;
use super::names;
use crate::binder::{ident, split_name};
use crate::expr::Expr;
use crate::result::StatementResult;
use crate::storage::catalog::index_keys;
use crate::storage::{IndexDef, IndexRef, Relation, TableDef};
use crate::{Error, Result};
use sqlparser::ast;

/// An index's key elements as CREATE INDEX lists them.
struct KeyElements {
    /// Column positions ([`IndexDef::EXPRESSION`] for an expression).
    columns: Vec<usize>,
    /// The expressions' SQL text, by position (empty when there is none).
    exprs: Vec<Option<String>>,
    /// The name part each element contributes to a generated index name.
    names: Vec<String>,
    /// `indoption` per element (empty when all are `ASC NULLS LAST`).
    options: Vec<u16>,
}

fn key_elements(table: &TableDef, cols: &[ast::IndexColumn]) -> Result<KeyElements> {
    let (mut out, mut exprs, mut names) = (Vec::new(), Vec::new(), Vec::new());
    let mut options = Vec::new();
    for c in cols {
        options.push(index_option(&c.column.options)?);
        let mut e = &c.column.expr;
        while let ast::Expr::Nested(inner) = e {
            e = inner;
        }
        let ty = if let ast::Expr::Identifier(i) = e {
            let name = ident(i);
            let i = table
                .column_index(&name)
                .ok_or_else(|| Error::UndefinedColumn(name.to_string()))?;
            out.push(i);
            exprs.push(None);
            names.push(table.columns[i].name.clone());
            table.columns[i].data_type
        } else {
            let (x, ty) = index_keys::bind_key_expr(table, e)?;
            if x.any(&mut |x| matches!(x, Expr::Subquery(_))) {
                return Err(Error::unsupported(
                    "cannot use subquery in index expression",
                ));
            }
            out.push(IndexDef::EXPRESSION);
            exprs.push(Some(e.to_string()));
            names.push(expr_column_name(e));
            ty
        };
        if !ty.is_orderable() {
            return Err(Error::UndefinedObject(format!(
                "data type {} has no default operator class for access method \"btree\"",
                ty.name()
            )));
        }
    }
    if exprs.iter().all(Option::is_none) {
        exprs.clear();
    }
    if options.iter().all(|&o| o == 0) {
        options.clear();
    }
    Ok(KeyElements {
        columns: out,
        exprs,
        names,
        options,
    })
}

/// `pg_index.indoption` for one key element: DESC defaults to NULLS FIRST, ASC to NULLS
/// LAST, as in PostgreSQL.
fn index_option(o: &ast::OrderByOptions) -> Result<u16> {
    let desc = match &o.sort {
        None | Some(ast::OrderBySort::Asc) => false,
        Some(ast::OrderBySort::Desc) => true,
        // PostgreSQL's grammar has no USING in an index element.
        Some(ast::OrderBySort::Using(_)) => {
            return Err(Error::SyntaxError(
                "syntax error at or near \"USING\"".into(),
            ));
        }
    };
    let nulls_first = o.nulls_first.unwrap_or(desc);
    Ok(if desc { IndexDef::DESC } else { 0 }
        | if nulls_first {
            IndexDef::NULLS_FIRST
        } else {
            0
        })
}

/// The name PostgreSQL's `FigureColname` gives an index expression: a function's name, a
/// cast's operand's (or its type's), `expr` otherwise.
pub fn expr_column_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Function(f) => f
            .name
            .0
            .last()
            .map(|p| p.to_string().trim_matches('"').to_lowercase())
            .unwrap_or_else(|| "expr".into()),
        ast::Expr::Nested(x) => expr_column_name(x),
        ast::Expr::Cast { expr, .. } => match expr_column_name(expr).as_str() {
            "expr" => "expr".into(),
            n => n.into(),
        },
        ast::Expr::Case { .. } => "case".into(),
        _ => "expr".into(),
    }
}

/// CREATE INDEX.
pub fn create(ddl: &mut Ddl, c: &ast::CreateIndex) -> Result<StatementResult> {
    let done = StatementResult::command("CREATE INDEX");
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
    crate::privilege::require_owner(&*ddl.catalog()?, &crate::storage::Relation::Table(&table))?;
    let KeyElements {
        columns,
        exprs,
        names: mut key_names,
        options,
    } = key_elements(&table, &c.columns)?;
    let predicate = match &c.predicate {
        Some(p) => {
            let x = index_keys::bind_predicate(&table, p)?;
            if x.any(&mut |x| matches!(x, Expr::Subquery(_))) {
                return Err(Error::unsupported("cannot use subquery in index predicate"));
            }
            Some(p.to_string())
        }
        None => None,
    };
    let mut include = Vec::new();
    for i in &c.include {
        let n = ident(i);
        include.push(
            table
                .column_index(&n)
                .ok_or_else(|| Error::UndefinedColumn(n.clone()))?,
        );
        // INCLUDE columns are part of a generated name too (`ChooseIndexColumnNames`).
        key_names.push(n);
    }
    names::distinct_index_column_names(&mut key_names);
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
            let add = names::columns_addition(key_names.iter().map(String::as_str));
            names::choose(&table.name, Some(&add), "idx", |n| {
                names::relation_taken(&catalog, table.schema, n, &[])
            })
        }
    };
    if catalog.relation_exists(table.schema, &name) {
        if c.if_not_exists {
            crate::notice::skipping_existing("42P07", "relation", &name);
            return Ok(done);
        }
        return Err(Error::DuplicateTable(name));
    }
    let oid = ddl.txn.new_oid()?;
    let index = IndexDef {
        oid,
        name,
        columns,
        unique: c.unique,
        include,
        constraint: None,
        comment: None,
        exprs,
        predicate,
        options,
    };
    if table.partition_key.is_some() {
        let mut with = table.clone();
        with.indexes.push(index.clone());
        super::partition::check_unique_keys(&with)?;
    }
    ddl.txn.create_index(table.id, index.clone())?;
    let add = names::columns_addition(key_names.iter().map(String::as_str));
    on_partitions(ddl, &table, &index, &add)?;
    Ok(done)
}

/// An index of partitioned `table` on each of its partitions (and theirs, down the tree),
/// named as PostgreSQL names them (`<partition>_<columns>_idx`); partitions created or
/// attached later get it from their parent's definition.
fn on_partitions(ddl: &mut Ddl, table: &TableDef, index: &IndexDef, add: &str) -> Result<()> {
    if table.partition_key.is_none() {
        return Ok(());
    }
    let catalog = ddl.catalog()?;
    let parts: Vec<TableDef> = crate::storage::catalog::partition::partitions(&catalog, table.id)
        .into_iter()
        .cloned()
        .collect();
    for part in parts {
        let catalog = ddl.catalog()?;
        let name = names::choose(&part.name, Some(add), "idx", |n| {
            names::relation_taken(&catalog, part.schema, n, &[])
        });
        let mut copy = index.clone();
        copy.name = name;
        copy.oid = ddl.txn.new_oid()?;
        ddl.txn.create_index(part.id, copy.clone())?;
        on_partitions(ddl, &part, &copy, add)?;
    }
    Ok(())
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

/// `ALTER INDEX IF EXISTS name RENAME TO new`: a NOTICE when there is no such relation.
pub fn rename_if_exists(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    new_name: &ast::ObjectName,
) -> Result<StatementResult> {
    let (schema, rel) = split_name(name)?;
    let catalog = ddl.catalog()?;
    if catalog
        .resolve(schema.as_deref(), &rel, &ddl.search_path)?
        .is_none()
    {
        crate::notice::skipping_missing("relation", &rel);
    } else {
        rename_index(ddl, name, &split_name(new_name)?.1)?;
    }
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
