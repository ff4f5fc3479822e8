//! The binder: resolves a parsed statement against the catalog into a typed logical plan.
//!
//! Input is a `sqlparser` AST; output is a [`BoundStatement`] whose queries are
//! [`crate::planner::Plan`] trees over full-table scans, with every name resolved to a column
//! position, every expression typed ([`crate::expr`]), and every `$n` parameter given a type
//! (recorded in [`Binder::params`]; the extended protocol's ParameterDescription comes from
//! here). Choosing index scans is the planner's job, not the binder's.
//!
//! Unquoted identifiers are folded to lower case, as PostgreSQL does. Statements the binder
//! does not understand fail with 0A000 (feature not supported), never a panic. DDL is not
//! bound here but executed by [`crate::ddl`], which uses the binder for its expressions and
//! queries.
//!
//! Files: `query.rs` (a query: WITH, body, ORDER BY, LIMIT/FETCH), `select.rs` (one SELECT),
//! `set_op.rs` (UNION / INTERSECT / EXCEPT and the common-type rules), `cte.rs` (WITH
//! RECURSIVE), `from.rs` (FROM items and joins), `names.rs` (relation names and the search
//! path), `view.rs` (views expanded where they are named), `subquery.rs` (the scope chain of
//! correlated subqueries, subquery expressions), `expr.rs` / `binary.rs` (scalar
//! expressions), `catalog_call.rs` (functions taking a relation, like `nextval('s')`),
//! `aggregate.rs`, `walk.rs` (AST scans), `dml.rs`.
//!
//! Relation names resolve through [`Binder::search_path`] (schema OIDs, `pg_catalog`
//! first, as PostgreSQL searches it implicitly): a stored table, view or sequence, or one
//! of the virtual `pg_catalog` / `information_schema` relations ([`crate::system`]). Every
//! relation a statement reads is noted in [`Binder::referenced`] (a view's dependencies).

mod aggregate;
mod binary;
mod call;
mod catalog_call;
mod cte;
mod dml;
mod dml_from;
pub mod expr;
mod from;
pub mod generated;
mod group;
mod join_alias;
mod json_record;
mod locking;
mod merge;
mod named_args;
mod names;
mod null_side;
mod overlaps;
mod partition_dml;
mod partition_scan;
mod position;
mod projection;
mod query;
mod record;
mod recursion_check;
mod rows_from;
mod sample;
mod search_cycle;
mod select;
mod set_op;
mod special;
mod subquery;
mod subscript_assign;
pub mod system_columns;
mod tuple_assign;
mod user_function;
mod view;
pub(crate) mod walk;
mod whole_row;
mod window;

use crate::planner::Plan;
use crate::storage::{Catalog, Oid, TableDef};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;

pub use catalog_call::first_arg;
pub use names::{
    DATABASE_NAME, FromRelation, TEMP_SCHEMA_PREFIX, creation_schema, search_path, split_name,
    temp_schema_name,
};
pub use view::parse_view_query;
pub use walk::function_name;
pub use whole_row::{JSON_AGG_ROWS, JSON_ROW};

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
    Merge,
}

/// A statement after binding.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // almost every statement is a Query; boxing it would cost every statement an allocation
pub enum BoundStatement {
    /// SELECT, or DML (whose plan yields one row per affected row: the RETURNING values, or
    /// an empty row when there is no RETURNING). `columns` is empty for DML without RETURNING.
    Query {
        kind: CommandKind,
        plan: Plan,
        columns: Vec<OutputColumn>,
        returns_rows: bool,
    },
    /// `EXPLAIN [ANALYZE] query`: the plan of `query` (a [`BoundStatement::Query`]).
    Explain {
        analyze: bool,
        query: Box<BoundStatement>,
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
    /// The schema of an unaliased relation in FROM, so `schema.table.column` finds it
    /// (an alias hides the relation's name, as in PostgreSQL).
    pub schema: Option<String>,
    /// The only column of a function in FROM that returns a scalar: its table name alone
    /// also refers to it (PostgreSQL's whole-row reference to such a function is its value).
    pub whole_row: bool,
    /// A system column (`tableoid`): referenced by name, never part of `*` or `t.*`.
    pub system: bool,
    /// The relation column it reads: the statement's need (index into [`Binder::needs`])
    /// and the column's position, noted when an expression reads it (column privileges).
    pub origin: Option<(usize, usize)>,
}

impl ScopeColumn {
    /// The system column `tableoid` of the relation `qualifier` names (its rows carry the
    /// relation's OID last).
    pub fn tableoid(qualifier: String) -> ScopeColumn {
        ScopeColumn {
            table: Some(qualifier),
            name: "tableoid".into(),
            data_type: DataType::Oid,
            qualified_only: false,
            schema: None,
            whole_row: false,
            system: true,
            origin: None,
        }
    }
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
                    schema: None,
                    whole_row: false,
                    system: false,
                    origin: None,
                })
                .collect(),
        }
    }

    /// Marks its columns as read from need `need` (see [`ScopeColumn::origin`]).
    pub fn with_origin(mut self, need: usize) -> Scope {
        for (i, c) in self.columns.iter_mut().enumerate() {
            c.origin = Some((need, i));
        }
        self
    }

    /// Resolves `[qualifier.]name` to a column expression and its type (a
    /// [`positional_name`] to the column at that position).
    pub fn resolve(
        &self,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(crate::expr::Expr, DataType)> {
        self.resolve_in(None, qualifier, name)
    }

    /// Resolves `[[schema.]qualifier.]name`: with a schema, only the columns of an unaliased
    /// relation of that schema match.
    pub fn resolve_in(
        &self,
        schema: Option<&str>,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(crate::expr::Expr, DataType)> {
        if let Some(at) = name
            .strip_prefix(POSITIONAL)
            .and_then(|i| i.parse::<usize>().ok())
            && let Some(c) = self.columns.get(at)
        {
            return Ok((crate::expr::Expr::Column(at), c.data_type));
        }
        let mut found = None;
        for (i, c) in self.columns.iter().enumerate() {
            if schema.is_some() && c.schema.as_deref() != schema {
                continue;
            }
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
        if found.is_none() && qualifier.is_none() && schema.is_none() {
            let mut whole = self
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.whole_row && c.table.as_deref() == Some(name));
            if let (Some((i, c)), None) = (whole.next(), whole.next()) {
                found = Some((crate::expr::Expr::Column(i), c.data_type));
            }
        }
        found.ok_or_else(|| match qualifier {
            Some(q)
                if !self.columns.iter().any(|c| {
                    c.table.as_deref() == Some(q)
                        && (schema.is_none() || c.schema.as_deref() == schema)
                }) =>
            {
                Error::MissingFromEntry(q.to_string())
            }
            Some(q) => Error::UndefinedQualifiedColumn(format!("{q}.{name}")),
            None => Error::UndefinedColumn(name.to_string()),
        })
    }

    /// PostgreSQL's HINT for a column name that is not in scope: the column (or the two
    /// columns of different relations) nearest to it in edit distance, when at most 3 edits
    /// and at most half of the name's characters away.
    pub fn suggest(&self, name: &str) -> Option<String> {
        let limit = (name.chars().count() / 2).min(3);
        let mut best: Vec<&ScopeColumn> = Vec::new();
        let mut best_distance = usize::MAX;
        for c in self.columns.iter().filter(|c| !c.system && !c.whole_row) {
            let d = levenshtein(name, &c.name);
            if d > limit || d > best_distance {
                continue;
            }
            if d < best_distance {
                best.clear();
                best_distance = d;
            }
            best.push(c);
        }
        let qualified = |c: &ScopeColumn| match &c.table {
            Some(t) => format!("{t}.{}", c.name),
            None => c.name.clone(),
        };
        match best.as_slice() {
            [c] => Some(format!(
                "Perhaps you meant to reference the column \"{}\".",
                qualified(c)
            )),
            [a, b] if a.table != b.table => Some(format!(
                "Perhaps you meant to reference the column \"{}\" or the column \"{}\".",
                qualified(a),
                qualified(b)
            )),
            _ => None,
        }
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

/// The last part of a possibly qualified name: column names, settings, function names.
pub fn object_name(name: &ast::ObjectName) -> Result<String> {
    Ok(split_name(name)?.1)
}

/// Binds statements against one catalog snapshot.
pub struct Binder {
    pub catalog: Arc<Catalog>,
    /// Types of `$1..$n` (`None` until inferred).
    pub params: Vec<Option<DataType>>,
    /// Current expression nesting depth (see [`expr::MAX_EXPR_DEPTH`]).
    depth: usize,
    /// Set-returning functions met in the select list being bound (innermost query last;
    /// `None` where they are not allowed). See `special.rs`.
    set_functions: Vec<Option<special::SetFunctions>>,
    /// The table function being bound has `WITH ORDINALITY`.
    ordinality: bool,
    /// Schemas searched for unqualified names, in order (`pg_catalog` first).
    pub search_path: Vec<Oid>,
    /// Relations the statement reads (tables, views, sequences), by OID.
    pub referenced: Vec<Oid>,
    /// Privileges the statement needs, checked when it executes ([`crate::privilege`]).
    pub needs: Vec<crate::privilege::Need>,
    /// Inside a view's query: its owner, as whom the relations it reads are checked.
    view_owner: Option<Oid>,
    /// Views being expanded, innermost last (to refuse a view that reaches itself).
    expanding: Vec<Oid>,
    /// The query levels enclosing the query being bound, outermost first (`subquery.rs`).
    outer: Vec<subquery::OuterFrame>,
    /// The CTEs in scope, innermost WITH last (`cte.rs`).
    ctes: Vec<cte::CteBinding>,
    /// The next id for a subquery or CTE of this statement.
    next_id: usize,
    /// The names the statement may use as whole rows (`None`: any), see `null_side.rs`.
    whole_row_names: Option<std::collections::HashSet<String>>,
    /// The row types of the tables and views bound in FROM, by qualifier: a whole-row
    /// reference to one has that composite type (`record.rs`).
    row_types: std::collections::HashMap<String, Oid>,
    /// The locking clauses of the SELECT whose FROM list is being bound (`locking.rs`).
    from_locks: Option<locking::FromLocks>,
    /// The statement names a `ctid` (`system_columns.rs`).
    wants_ctid: bool,
    /// The statement is `WITH ... MERGE`: its body may be a MERGE (see `set_op.rs`).
    merge_body: bool,
    /// The primary-key column positions of each table read in FROM, by its need (index
    /// into `needs`, unique per FROM item): GROUP BY's functional dependency (`group.rs`).
    primary_keys: std::collections::HashMap<usize, Vec<usize>>,
    /// The relation being bound was named with `ONLY` (its partitions are not read).
    only: bool,
}

impl Binder {
    /// A binder whose parameters start with the given (possibly declared) types, searching
    /// `pg_catalog` and `public`.
    pub fn new(catalog: Arc<Catalog>, params: Vec<Option<DataType>>) -> Self {
        Binder {
            catalog,
            params,
            depth: 0,
            set_functions: Vec::new(),
            ordinality: false,
            search_path: vec![
                crate::storage::catalog::oids::PG_CATALOG_NAMESPACE,
                crate::storage::catalog::oids::PUBLIC_NAMESPACE,
            ],
            referenced: Vec::new(),
            needs: Vec::new(),
            view_owner: None,
            expanding: Vec::new(),
            whole_row_names: None,
            row_types: std::collections::HashMap::new(),
            outer: Vec::new(),
            ctes: Vec::new(),
            next_id: 0,
            from_locks: None,
            wants_ctid: false,
            merge_body: false,
            primary_keys: std::collections::HashMap::new(),
            only: false,
        }
    }

    /// A fresh id for a subquery or CTE, unique within the statement.
    fn next_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    /// Sets the schemas unqualified names are looked up in (see [`names::search_path`]).
    pub fn with_search_path(mut self, path: Vec<Oid>) -> Self {
        self.search_path = path;
        self
    }

    /// The table `name` names, for statements that write it (42P01 if absent; 42809 /
    /// 0A000 for other kinds of relation).
    pub fn table(&mut self, name: &ast::ObjectName) -> Result<TableDef> {
        match self.resolve_relation(name)? {
            FromRelation::Table(t) => Ok(t),
            FromRelation::View(v) => Err(Error::unsupported(format!(
                "cannot change view \"{}\": views are not updatable yet",
                v.name
            ))),
            FromRelation::Sequence(s) => Err(Error::WrongObjectType(format!(
                "cannot change sequence \"{}\"",
                s.name
            ))),
            FromRelation::System(t) => Err(Error::unsupported(format!(
                "cannot change system relation \"{}\"",
                t.name
            ))),
        }
    }

    /// Notes that the statement needs `privileges` on relation `relation`; the need's index
    /// (for the columns it then reads, see [`Binder::read_column`]).
    pub fn need(&mut self, relation: Oid, privileges: u16) -> usize {
        self.needs.push(crate::privilege::Need {
            relation,
            privileges,
            as_role: self.view_owner,
            ..Default::default()
        });
        self.needs.len() - 1
    }

    /// Notes that the statement reads the relation column a scope column came from (a
    /// [`crate::column_privilege::WHOLE_ROW`] position for all of them): it needs SELECT
    /// on it.
    pub fn read_column(&mut self, origin: Option<(usize, usize)>) {
        if let Some((need, column)) = origin
            && let Some(n) = self.needs.get_mut(need)
        {
            n.privileges |= crate::storage::catalog::acl::SELECT;
            if !n.selected.contains(&column) {
                n.selected.push(column);
            }
        }
    }

    /// Notes every column of `scope` as read (`*`, a whole-row reference).
    pub fn read_scope(&mut self, scope: &Scope) {
        for c in &scope.columns {
            if !c.system {
                self.read_column(c.origin);
            }
        }
    }

    /// Binds one statement (transaction control and SET/SHOW are the session's business).
    pub fn bind(&mut self, stmt: &ast::Statement) -> Result<BoundStatement> {
        use ast::Statement as S;
        if self.whole_row_names.is_none() {
            self.whole_row_names = Some(null_side::whole_row_candidates(stmt));
            self.wants_ctid = system_columns::mentions_ctid(stmt);
        }
        match stmt {
            S::Query(q) => {
                // `WITH ... INSERT / UPDATE / DELETE` is that command, with its WITH queries.
                let (kind, returns_rows) = match q.body.as_ref() {
                    ast::SetExpr::Insert(S::Insert(i)) => {
                        (CommandKind::Insert, i.returning.is_some())
                    }
                    ast::SetExpr::Update(S::Update(u)) => {
                        (CommandKind::Update, u.returning.is_some())
                    }
                    ast::SetExpr::Delete(S::Delete(d)) => {
                        (CommandKind::Delete, d.returning.is_some())
                    }
                    ast::SetExpr::Merge(S::Merge(_)) => {
                        self.merge_body = true;
                        (CommandKind::Merge, false)
                    }
                    _ => (CommandKind::Select, true),
                };
                let (plan, columns) = self.bind_query(q)?;
                Ok(BoundStatement::Query {
                    kind,
                    plan,
                    columns,
                    returns_rows,
                })
            }
            S::Explain {
                analyze,
                statement,
                options,
                ..
            } => {
                let mut analyze = *analyze;
                for o in options.iter().flatten() {
                    match (o.name.value.to_lowercase().as_str(), &o.arg) {
                        ("analyze", None) => analyze = true,
                        ("analyze", Some(v)) => {
                            analyze = !matches!(
                                v.to_string().to_lowercase().as_str(),
                                "false" | "off" | "0"
                            )
                        }
                        ("costs" | "verbose" | "timing" | "summary" | "buffers", _) => {}
                        (other, _) => {
                            return Err(Error::SyntaxError(format!(
                                "unrecognized EXPLAIN option \"{other}\""
                            )));
                        }
                    }
                }
                let query = self.bind(statement)?;
                if !matches!(query, BoundStatement::Query { .. }) {
                    return Err(Error::unsupported(
                        "EXPLAIN of this statement is not supported",
                    ));
                }
                Ok(BoundStatement::Explain {
                    analyze,
                    query: Box::new(query),
                })
            }
            S::Insert(i) => self.bind_insert(i),
            S::Update(u) => self.bind_update(u),
            S::Delete(d) => self.bind_delete(d),
            S::Merge(m) => self.bind_merge(m),
            other => Err(Error::unsupported(format!(
                "statement is not supported yet: {}",
                other.to_string().chars().take(60).collect::<String>()
            ))),
        }
    }
}

/// The prefix of [`positional_name`]s: a control character no SQL identifier holds.
const POSITIONAL: char = '\u{1}';

/// A name that resolves to the scope's column at `at`, for `*` over a relation with a
/// column name twice (`unnest(a, b)`).
pub(crate) fn positional_name(at: usize) -> String {
    format!("{POSITIONAL}{at}")
}

/// The edit distance between `a` and `b` (insertions, deletions and substitutions of
/// characters, each costing 1), as PostgreSQL's `levenshtein`.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
