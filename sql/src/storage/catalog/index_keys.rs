//! Index keys of rows: the one place that knows how an index's key is computed from a row,
//! for both storages (the reference storage and the compute's engine) and the planner.
//!
//! A plain index's key is columns of the row. An **expression index** (`lower(name)`,
//! `(a + b)`) keeps SQL text per expression element ([`IndexDef::exprs`]) and a **partial
//! index** its `WHERE` predicate ([`IndexDef::predicate`]); both are bound against the
//! table's columns on first use and cached (keyed by the texts and the table's column names
//! and types, so a rewrite that changes a column's type binds again). A row whose predicate is
//! not true has no entry: [`IndexDef::key_of`] returns `None`, and a unique partial index
//! enforces uniqueness only among the rows it covers, as in PostgreSQL.
//!
//! Expressions are evaluated without parameters, outer references or subqueries (CREATE INDEX
//! refuses those); PostgreSQL additionally requires the functions to be IMMUTABLE, which
//! Strata does not check.

use super::{Catalog, IndexDef, TableDef};
use crate::binder::{Binder, ExprCtx, Scope};
use crate::expr::{Expr, Params};
use crate::types::{DataType, Value};
use crate::{Error, ErrorObject, Result};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// An index's key elements and predicate, bound against its table.
#[derive(Debug)]
pub struct BoundIndex {
    /// One expression per key element (`Expr::Column` for a plain column).
    pub keys: Vec<Expr>,
    /// The key elements' types.
    pub types: Vec<DataType>,
    /// A partial index's predicate.
    pub predicate: Option<Expr>,
}

static CACHE: LazyLock<Mutex<HashMap<String, Arc<BoundIndex>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Binds `text` (a key expression) against `table`, returning the expression and its type.
pub fn bind_key_expr(table: &TableDef, e: &sqlparser::ast::Expr) -> Result<(Expr, DataType)> {
    let mut b = Binder::new(Arc::new(Catalog::default()), Vec::new());
    let scope = Scope::of_table(table, None);
    b.bind_expr(e, &mut ExprCtx::plain(&scope, "index expressions"))
}

/// Binds `e` (a partial index's predicate) against `table`.
pub fn bind_predicate(table: &TableDef, e: &sqlparser::ast::Expr) -> Result<Expr> {
    let mut b = Binder::new(Arc::new(Catalog::default()), Vec::new());
    let scope = Scope::of_table(table, None);
    b.bind_bool(e, &mut ExprCtx::plain(&scope, "index predicate"), "WHERE")
}

impl IndexDef {
    /// The `columns` entry of a key element that is an expression (PostgreSQL's `indkey` 0).
    pub const EXPRESSION: usize = usize::MAX;
    /// `indoption` bit: the element is `DESC` (PostgreSQL's `INDOPTION_DESC`).
    pub const DESC: u16 = 1;
    /// `indoption` bit: nulls sort first (`INDOPTION_NULLS_FIRST`).
    pub const NULLS_FIRST: u16 = 2;

    /// True for an index on plain columns over every row.
    pub fn is_plain(&self) -> bool {
        self.exprs.iter().all(Option::is_none) && self.predicate.is_none()
    }

    /// True when some key element is an expression.
    pub fn has_expressions(&self) -> bool {
        self.exprs.iter().any(Option::is_some)
    }

    /// The expression text of key element `k`, if it is one.
    pub fn expr_text(&self, k: usize) -> Option<&str> {
        self.exprs.get(k).and_then(|e| e.as_deref())
    }

    /// The index bound against `table` (cached).
    pub fn bound(&self, table: &TableDef) -> Result<Arc<BoundIndex>> {
        let cols: Vec<(&str, String)> = table
            .columns
            .iter()
            .map(|c| (c.name.as_str(), format!("{:?}", c.data_type)))
            .collect();
        let cache_key = format!(
            "{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}",
            self.columns, self.exprs, self.predicate, cols
        );
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = cache.get(&cache_key) {
            return Ok(b.clone());
        }
        let mut keys = Vec::new();
        let mut types = Vec::new();
        for (k, &c) in self.columns.iter().enumerate() {
            match self.expr_text(k) {
                Some(text) => {
                    let e = crate::ddl::constraints::parse_expr(text)?;
                    let (x, t) = bind_key_expr(table, &e)?;
                    keys.push(x);
                    types.push(t);
                }
                None => {
                    let col = table.columns.get(c).ok_or_else(|| {
                        Error::Internal(format!("index {} has no column {c}", self.name))
                    })?;
                    keys.push(Expr::Column(c));
                    types.push(col.data_type);
                }
            }
        }
        let predicate = match &self.predicate {
            Some(text) => Some(bind_predicate(
                table,
                &crate::ddl::constraints::parse_expr(text)?,
            )?),
            None => None,
        };
        let b = Arc::new(BoundIndex {
            keys,
            types,
            predicate,
        });
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(cache_key, b.clone());
        Ok(b)
    }

    /// The key of `row` in this index, or `None` when a partial index does not cover it.
    pub fn key_of(&self, table: &TableDef, row: &[Value]) -> Result<Option<Vec<Value>>> {
        if self.is_plain() {
            return Ok(Some(self.columns.iter().map(|&c| row[c].clone()).collect()));
        }
        let b = self.bound(table)?;
        let env = Params(&[]);
        if let Some(p) = &b.predicate
            && p.eval(row, &env)? != Value::Bool(true)
        {
            return Ok(None);
        }
        b.keys
            .iter()
            .map(|k| k.eval(row, &env))
            .collect::<Result<_>>()
            .map(Some)
    }

    /// The types of the key elements.
    pub fn key_types(&self, table: &TableDef) -> Result<Vec<DataType>> {
        if !self.has_expressions() {
            return Ok(self
                .columns
                .iter()
                .map(|&c| table.columns[c].data_type)
                .collect());
        }
        Ok(self.bound(table)?.types.clone())
    }

    /// The key elements as a unique violation's DETAIL names them: column names, or the
    /// expressions as `pg_get_indexdef` prints them.
    pub fn key_names(&self, table: &TableDef) -> Vec<String> {
        self.columns
            .iter()
            .enumerate()
            .map(|(k, &c)| match self.expr_text(k) {
                Some(text) => {
                    let s = crate::system::deparse::expr(text, Some(table));
                    match crate::ddl::constraints::parse_expr(text) {
                        Ok(sqlparser::ast::Expr::Function(_)) => s,
                        _ => format!("({s})"),
                    }
                }
                None => table.columns[c].name.clone(),
            })
            .collect()
    }
}

/// The 23505 error for a duplicate key of `row` in `constraint` (the primary key, whose
/// columns are `cols`, or an index of `def`), naming the schema as `catalog` does.
pub fn unique_violation_of(
    catalog: &Catalog,
    def: &TableDef,
    constraint: &str,
    cols: &[usize],
    row: &[Value],
) -> Error {
    match def.index(constraint) {
        Some(idx) if idx.has_expressions() => idx.violation(def, row),
        _ => violation(
            constraint,
            cols.iter().map(|&c| def.columns[c].name.clone()).collect(),
            cols.iter().map(|&c| row[c].to_string()).collect(),
        ),
    }
    .on(ErrorObject::table(&catalog.schema_name(def.schema), &def.name).constraint(constraint))
}

impl IndexDef {
    /// The 23505 error for a duplicate key of `row` in this index.
    pub fn violation(&self, def: &TableDef, row: &[Value]) -> Error {
        let vals = match self.key_of(def, row) {
            Ok(Some(k)) => k.iter().map(Value::to_string).collect(),
            _ => Vec::new(),
        };
        violation(&self.name, self.key_names(def), vals)
    }
}

impl IndexDef {
    /// The 23505 error of building this (unique) index over rows where `row`'s key is
    /// not the only one, worded as PostgreSQL's (and naming the index as its constraint).
    pub fn build_violation(&self, catalog: &Catalog, def: &TableDef, row: &[Value]) -> Error {
        let vals: Vec<String> = match self.key_of(def, row) {
            Ok(Some(k)) => k.iter().map(Value::to_string).collect(),
            _ => Vec::new(),
        };
        Error::UniqueIndexDuplicate {
            index: self.name.clone(),
            detail: format!(
                "Key ({})=({}) is duplicated.",
                self.key_names(def).join(", "),
                vals.join(", ")
            ),
        }
        .on(ErrorObject::table(&catalog.schema_name(def.schema), &def.name).constraint(&self.name))
    }
}

fn violation(constraint: &str, names: Vec<String>, vals: Vec<String>) -> Error {
    Error::UniqueViolation {
        constraint: constraint.to_string(),
        detail: format!(
            "Key ({})=({}) already exists.",
            names.join(", "),
            vals.join(", ")
        ),
    }
}
