//! The binder: resolves a parsed statement against the catalog into a typed logical plan.
//!
//! Input is a `sqlparser` AST; output is a [`BoundStatement`] whose queries are
//! [`crate::planner::Plan`] trees over full-table scans, with every name resolved to a column
//! position, every expression typed ([`crate::expr`]), and every `$n` parameter given a type
//! (recorded in [`Binder::params`]; the extended protocol's ParameterDescription comes from
//! here). Choosing index scans is the planner's job, not the binder's.
//!
//! Unquoted identifiers are folded to lower case, as PostgreSQL does. Statements the binder
//! does not understand fail with 0A000 (feature not supported), never a panic.
//!
//! Files: `query.rs` (a query: WITH, body, ORDER BY, LIMIT/FETCH), `select.rs` (one SELECT),
//! `set_op.rs` (UNION / INTERSECT / EXCEPT and the common-type rules), `cte.rs` (WITH
//! RECURSIVE), `from.rs` (FROM items and joins), `subquery.rs` (the scope chain of
//! correlated subqueries, subquery expressions), `expr.rs` / `binary.rs` (scalar
//! expressions), `aggregate.rs`, `walk.rs` (AST scans), `dml.rs`, `ddl.rs`.

mod aggregate;
mod binary;
mod cte;
mod ddl;
mod dml;
pub mod expr;
mod from;
mod group;
mod projection;
mod query;
mod select;
mod set_op;
mod subquery;
mod walk;
mod window;

use crate::planner::Plan;
use crate::storage::{Catalog, IndexDef, TableDef};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;

pub use aggregate::AggState;
pub use expr::ExprCtx;

/// A column of a statement's result.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub data_type: DataType,
}

/// Which command a [`BoundStatement::Query`] is, for the CommandComplete tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Select,
    Insert,
    Update,
    Delete,
}

/// A statement after binding.
#[derive(Debug, Clone)]
pub enum BoundStatement {
    /// SELECT, or DML (whose plan yields one row per affected row: the RETURNING values, or
    /// an empty row when there is no RETURNING). `columns` is empty for DML without RETURNING.
    Query {
        kind: CommandKind,
        plan: Plan,
        columns: Vec<OutputColumn>,
        returns_rows: bool,
    },
    CreateTable {
        def: TableDef,
        if_not_exists: bool,
    },
    DropTable {
        names: Vec<String>,
        if_exists: bool,
    },
    CreateIndex {
        table: String,
        index: IndexDef,
        if_not_exists: bool,
    },
    DropIndex {
        names: Vec<String>,
        if_exists: bool,
    },
}

/// One column visible to expressions.
#[derive(Debug, Clone)]
pub struct ScopeColumn {
    pub table: Option<String>,
    pub name: String,
    pub data_type: DataType,
    /// Only reachable with its qualifier (e.g. `excluded.x` in ON CONFLICT DO UPDATE).
    pub qualified_only: bool,
}

/// The columns an expression can reference, by position in the input row.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// A scope over all columns of `table`, qualified by `alias` (or the table name).
    pub fn of_table(table: &TableDef, alias: Option<&str>) -> Scope {
        let q = alias.unwrap_or(&table.name).to_string();
        Scope {
            columns: table
                .columns
                .iter()
                .map(|c| ScopeColumn {
                    table: Some(q.clone()),
                    name: c.name.clone(),
                    data_type: c.data_type,
                    qualified_only: false,
                })
                .collect(),
        }
    }

    /// Resolves `[qualifier.]name` to a column expression and its type.
    pub fn resolve(
        &self,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(crate::expr::Expr, DataType)> {
        let mut found = None;
        for (i, c) in self.columns.iter().enumerate() {
            let ok = match qualifier {
                Some(q) => c.table.as_deref() == Some(q) && c.name == name,
                None => !c.qualified_only && c.name == name,
            };
            if ok {
                if found.is_some() {
                    return Err(Error::AmbiguousColumn(name.to_string()));
                }
                found = Some((crate::expr::Expr::Column(i), c.data_type));
            }
        }
        found.ok_or_else(|| match qualifier {
            Some(q) if !self.columns.iter().any(|c| c.table.as_deref() == Some(q)) => {
                Error::MissingFromEntry(q.to_string())
            }
            Some(q) => Error::UndefinedColumn(format!("{q}.{name}")),
            None => Error::UndefinedColumn(name.to_string()),
        })
    }

    /// `table.column` for a column expression, for error messages.
    pub fn qualified_name(&self, e: &crate::expr::Expr) -> String {
        match e {
            crate::expr::Expr::Column(i) => match self.columns.get(*i) {
                Some(ScopeColumn {
                    table: Some(t),
                    name,
                    ..
                }) => format!("{t}.{name}"),
                Some(c) => c.name.clone(),
                None => "?".into(),
            },
            _ => "?".into(),
        }
    }
}

/// PostgreSQL identifier folding: unquoted names are lower-cased.
pub fn ident(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The single-part name of a relation (schema-qualified names only for `public`).
pub fn object_name(name: &ast::ObjectName) -> Result<String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => Ok(ident(i)),
            other => Err(Error::unsupported(format!("name {other} is not supported"))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [n] => Ok(n.clone()),
        [s, n] if s == "public" => Ok(n.clone()),
        [s, _] => Err(Error::UndefinedObject(format!(
            "schema \"{s}\" does not exist"
        ))),
        _ => Err(Error::unsupported(format!(
            "cross-database references are not implemented: {name}"
        ))),
    }
}

/// Binds statements against one catalog snapshot.
pub struct Binder {
    pub catalog: Arc<Catalog>,
    /// Types of `$1..$n` (`None` until inferred).
    pub params: Vec<Option<DataType>>,
    /// Current expression nesting depth (see [`expr::MAX_EXPR_DEPTH`]).
    depth: usize,
    /// The query levels enclosing the query being bound, outermost first (`subquery.rs`).
    outer: Vec<subquery::OuterFrame>,
    /// The CTEs in scope, innermost WITH last (`cte.rs`).
    ctes: Vec<cte::CteBinding>,
    /// The next id for a subquery or CTE of this statement.
    next_id: usize,
}

impl Binder {
    /// A binder whose parameters start with the given (possibly declared) types.
    pub fn new(catalog: Arc<Catalog>, params: Vec<Option<DataType>>) -> Self {
        Binder {
            catalog,
            params,
            depth: 0,
            outer: Vec::new(),
            ctes: Vec::new(),
            next_id: 0,
        }
    }

    /// A fresh id for a subquery or CTE, unique within the statement.
    fn next_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    pub fn table(&self, name: &ast::ObjectName) -> Result<TableDef> {
        let n = object_name(name)?;
        self.catalog
            .table(&n)
            .cloned()
            .ok_or(Error::UndefinedTable(n))
    }

    /// Binds one statement (transaction control and SET/SHOW are the session's business).
    pub fn bind(&mut self, stmt: &ast::Statement) -> Result<BoundStatement> {
        use ast::Statement as S;
        match stmt {
            S::Query(q) => {
                let (plan, columns) = self.bind_query(q)?;
                Ok(BoundStatement::Query {
                    kind: CommandKind::Select,
                    plan,
                    columns,
                    returns_rows: true,
                })
            }
            S::Insert(i) => self.bind_insert(i),
            S::Update(u) => self.bind_update(u),
            S::Delete(d) => self.bind_delete(d),
            S::CreateTable(c) => self.bind_create_table(c),
            S::CreateIndex(c) => self.bind_create_index(c),
            S::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => {
                if *cascade {
                    return Err(Error::unsupported("DROP ... CASCADE is not supported yet"));
                }
                let names = names.iter().map(object_name).collect::<Result<Vec<_>>>()?;
                match object_type {
                    ast::ObjectType::Table => Ok(BoundStatement::DropTable {
                        names,
                        if_exists: *if_exists,
                    }),
                    ast::ObjectType::Index => Ok(BoundStatement::DropIndex {
                        names,
                        if_exists: *if_exists,
                    }),
                    other => Err(Error::unsupported(format!(
                        "DROP {other} is not supported yet"
                    ))),
                }
            }
            other => Err(Error::unsupported(format!(
                "statement is not supported yet: {}",
                other.to_string().chars().take(60).collect::<String>()
            ))),
        }
    }
}
