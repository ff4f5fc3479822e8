//! Binding of CREATE TABLE and CREATE INDEX into catalog definitions.
//!
//! Constraint names follow PostgreSQL: `{table}_pkey` for the primary key,
//! `{table}_{cols}_key` for UNIQUE, `{table}_{cols}_idx` for an unnamed index. Primary key
//! columns become NOT NULL. DEFAULT expressions are bound once here (to reject bad ones at
//! CREATE time) and stored as SQL text.

use super::{Binder, BoundStatement, ident, object_name};
use crate::storage::{ColumnDef, IndexDef, TableDef};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

fn index_columns(table: &TableDef, cols: &[ast::IndexColumn]) -> Result<Vec<usize>> {
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
            .ok_or(Error::UndefinedColumn(name))?;
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

fn key_name(table: &TableDef, cols: &[usize], suffix: &str) -> String {
    let names: Vec<&str> = cols
        .iter()
        .map(|&c| table.columns[c].name.as_str())
        .collect();
    format!("{}_{}_{suffix}", table.name, names.join("_"))
}

impl Binder {
    pub(super) fn bind_create_table(&mut self, c: &ast::CreateTable) -> Result<BoundStatement> {
        if c.query.is_some() || c.like.is_some() || c.temporary || c.or_replace || c.clone.is_some()
        {
            return Err(Error::unsupported(
                "CREATE TABLE AS / LIKE / TEMPORARY is not supported yet",
            ));
        }
        let name = object_name(&c.name)?;
        let mut def = TableDef {
            id: 0,
            name: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            indexes: Vec::new(),
        };
        let mut pk: Option<(Vec<usize>, Option<String>)> = None;
        let mut uniques: Vec<(Vec<usize>, Option<String>)> = Vec::new();
        let multiple_pk = || {
            Error::InvalidTableDefinition(format!(
                "multiple primary keys for table \"{name}\" are not allowed"
            ))
        };
        for (i, col) in c.columns.iter().enumerate() {
            let mut cd = ColumnDef {
                name: ident(&col.name),
                data_type: DataType::from_sql(&col.data_type)?,
                not_null: false,
                default: None,
            };
            for opt in &col.options {
                match &opt.option {
                    ast::ColumnOption::Null => {}
                    ast::ColumnOption::NotNull => cd.not_null = true,
                    ast::ColumnOption::Default(e) => {
                        // Bind before printing: binding bounds the depth that Display recurses.
                        let scope = super::Scope::default();
                        self.bind_expr(e, &mut super::ExprCtx::plain(&scope, "DEFAULT"))?;
                        cd.default = Some(e.to_string());
                    }
                    ast::ColumnOption::PrimaryKey(_) => {
                        if pk.is_some() {
                            return Err(multiple_pk());
                        }
                        pk = Some((vec![i], opt.name.as_ref().map(ident)));
                    }
                    ast::ColumnOption::Unique(_) => {
                        uniques.push((vec![i], opt.name.as_ref().map(ident)))
                    }
                    other => {
                        return Err(Error::unsupported(format!(
                            "column option {other} is not supported yet"
                        )));
                    }
                }
            }
            def.columns.push(cd);
        }
        for tc in &c.constraints {
            match tc {
                ast::TableConstraint::PrimaryKey(p) => {
                    if pk.is_some() {
                        return Err(multiple_pk());
                    }
                    pk = Some((index_columns(&def, &p.columns)?, p.name.as_ref().map(ident)));
                }
                ast::TableConstraint::Unique(u) => {
                    uniques.push((index_columns(&def, &u.columns)?, u.name.as_ref().map(ident)))
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "table constraint {other} is not supported yet"
                    )));
                }
            }
        }
        if let Some((cols, cname)) = pk {
            for &i in &cols {
                def.columns[i].not_null = true;
            }
            def.primary_key_name = Some(cname.unwrap_or_else(|| format!("{name}_pkey")));
            def.primary_key = cols;
        }
        for (cols, cname) in uniques {
            if def.primary_key == cols || def.indexes.iter().any(|i| i.columns == cols) {
                continue; // PostgreSQL also skips a redundant unique index
            }
            let iname = cname.unwrap_or_else(|| key_name(&def, &cols, "key"));
            def.indexes.push(IndexDef {
                name: iname,
                columns: cols,
                unique: true,
            });
        }
        // Reject DEFAULT expressions that do not bind or do not fit the column type.
        for i in 0..def.columns.len() {
            self.default_expr(&def, i)?;
        }
        def.validate()?;
        Ok(BoundStatement::CreateTable {
            def,
            if_not_exists: c.if_not_exists,
        })
    }

    pub(super) fn bind_create_index(&mut self, c: &ast::CreateIndex) -> Result<BoundStatement> {
        if c.predicate.is_some() || !c.include.is_empty() || c.using.is_some() {
            return Err(Error::unsupported(
                "partial, INCLUDE or USING indexes are not supported yet",
            ));
        }
        let table = self.table(&c.table_name)?;
        let columns = index_columns(&table, &c.columns)?;
        let name = match &c.name {
            Some(n) => object_name(n)?,
            None => key_name(&table, &columns, "idx"),
        };
        Ok(BoundStatement::CreateIndex {
            table: table.name.clone(),
            index: IndexDef {
                name,
                columns,
                unique: c.unique,
            },
            if_not_exists: c.if_not_exists,
        })
    }
}
