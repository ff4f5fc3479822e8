//! CREATE TABLE's `LIKE source [INCLUDING | EXCLUDING option] ...` elements (parsed as marker
//! columns, see `crate::parse::table_like`), expanded as PostgreSQL 15 does.
//!
//! [`Expansion::of`] turns the statement's column list into [`Element`]s: columns as written,
//! and for each LIKE the source's columns at its position — name, type (typmod, domain) and
//! NOT NULL always; the DEFAULT with INCLUDING DEFAULTS (a serial column's `nextval` of the
//! *source's* sequence, as in PostgreSQL), a generation expression with INCLUDING GENERATED
//! (else a plain column), identity with INCLUDING IDENTITY (in a new sequence of the new
//! table's, with the source sequence's options: [`column`]), column comments with INCLUDING
//! COMMENTS. Once the table's own constraints are in place, [`Expansion::add_constraints`]
//! adds the source's CHECK constraints (INCLUDING CONSTRAINTS, names kept, so a clash is
//! 42710) and its primary key, unique constraints and indexes (INCLUDING INDEXES, named for
//! the new table as PostgreSQL's `ChooseIndexName` does: `t_pkey`, `t_a_key`, `t_lower_idx`;
//! their comments with INCLUDING COMMENTS) — after the table's own keys, so a second primary
//! key is the LIKE's error, and before its foreign keys, so one may reference a copied key.
//! Foreign keys are never copied. SELECT on the source is required.
//!
//! The source may be a table, a view or a composite type. Not supported: system catalogs as
//! sources, STATISTICS / STORAGE / COMPRESSION (accepted, nothing to copy), comments on
//! copied CHECK constraints.

use super::Ddl;
use super::columns::{self, NewColumn};
use super::constraints::{self, Pending};
use super::names;
use crate::parse::table_like::{self as opts, LikeClause};
use crate::storage::{ColumnDef, Identity, IndexDef, SequenceDef, TableDef, ViewColumn};
use crate::{Error, Result};
use sqlparser::ast;

/// A column copied from a LIKE source, before it is placed in the new table.
#[derive(Debug)]
pub struct Copied {
    /// Name, type, domain, NOT NULL, and what the options include of the DEFAULT,
    /// generation expression and comment (never an identity: see `identity`).
    pub def: ColumnDef,
    /// With INCLUDING IDENTITY, an identity column's ALWAYS and its source sequence, whose
    /// options the new column's own sequence takes.
    pub identity: Option<(bool, SequenceDef)>,
}

/// One element of the new table's column list.
#[derive(Debug)]
pub enum Element {
    Written(ast::ColumnDef),
    Copied(Box<Copied>),
}

/// An index a LIKE ... INCLUDING INDEXES copies, its columns by name.
#[derive(Debug)]
struct CopiedIndex {
    /// The source's primary key (else an index, or a unique constraint's index).
    primary: bool,
    /// The source's definition (its `columns` / `include` are the source's positions).
    index: IndexDef,
    /// Key columns by name (`None` for an expression).
    keys: Vec<Option<String>>,
    include: Vec<String>,
    /// The part each key element gives a generated name (`ChooseIndexColumnNames`).
    name_parts: Vec<String>,
}

/// The statement's column list with its LIKE elements expanded, and what the LIKE elements
/// add once the table's own columns and constraints are in place.
#[derive(Debug, Default)]
pub struct Expansion {
    pub elements: Vec<Element>,
    checks: Vec<Pending>,
    indexes: Vec<CopiedIndex>,
}

impl Expansion {
    /// Expands the LIKE elements of `c`'s column list (and sqlparser's own reading of a
    /// sole `(LIKE source [INCLUDING DEFAULTS])`, which gets here only if the token
    /// rewrite left it alone).
    pub fn of(ddl: &Ddl, c: &ast::CreateTable) -> Result<Expansion> {
        let mut out = Expansion::default();
        match &c.like {
            None => {}
            Some(ast::CreateTableLikeKind::Parenthesized(l)) => {
                let options = match l.defaults {
                    Some(ast::CreateTableLikeDefaults::Including) => opts::DEFAULTS,
                    _ => 0,
                };
                let like = LikeClause {
                    source: l.name.clone(),
                    options,
                };
                expand(ddl, &like, &mut out)?;
            }
            Some(ast::CreateTableLikeKind::Plain(_)) => {
                return Err(Error::SyntaxError(
                    "syntax error at or near \"LIKE\"".into(),
                ));
            }
        }
        for col in &c.columns {
            match opts::like_clause(col) {
                Some(l) => expand(ddl, &l, &mut out)?,
                None => out.elements.push(Element::Written(col.clone())),
            }
        }
        Ok(out)
    }

    /// Adds the copied CHECK constraints, primary key, unique constraints and indexes to
    /// `def`, whose columns and own constraints (but for foreign keys) are in place.
    pub fn add_constraints(
        &mut self,
        ddl: &mut Ddl,
        def: &mut TableDef,
        taken: &mut Vec<String>,
    ) -> Result<()> {
        constraints::add(ddl, def, std::mem::take(&mut self.checks), taken)?;
        for c in &self.indexes {
            add_index(ddl, def, c, taken)?;
        }
        Ok(())
    }
}

/// Whether any element of `c`'s column list is a LIKE.
pub fn has_like(c: &ast::CreateTable) -> bool {
    c.like.is_some() || c.columns.iter().any(|col| opts::like_clause(col).is_some())
}

/// The source relation as a table (a view's or composite type's columns are plain columns),
/// checked for SELECT privilege. A sequence is 42809, as in PostgreSQL.
fn source(ddl: &Ddl, name: &ast::ObjectName) -> Result<TableDef> {
    use crate::binder::FromRelation;
    use crate::storage::catalog::Relation;
    let catalog = ddl.catalog()?;
    let who = crate::privilege::current(&catalog);
    let allowed = |rel: &Relation| {
        if crate::privilege::relation_privileges(&who, rel) & crate::storage::catalog::acl::SELECT
            == 0
        {
            return Err(crate::privilege::denied(rel));
        }
        Ok(())
    };
    let found = match ddl.binder()?.resolve_relation(name) {
        Ok(found) => found,
        // A composite type's fields are columns too (no privilege: types have no ACL here).
        Err(e @ Error::UndefinedTable(_)) => return composite(ddl, name).ok_or(e),
        Err(e) => return Err(e),
    };
    match found {
        FromRelation::Table(t) => {
            allowed(&Relation::Table(&t))?;
            Ok(t)
        }
        FromRelation::View(v) => {
            allowed(&Relation::View(&v))?;
            Ok(plain_columns(&v.name, &v.columns))
        }
        FromRelation::Sequence(q) => Err(Error::WrongObjectType(format!(
            "relation \"{}\" is invalid in LIKE clause",
            q.name
        ))),
        FromRelation::System(s) => Err(Error::unsupported(format!(
            "LIKE of system catalog \"{}\" is not supported",
            s.name
        ))),
    }
}

/// Composite type `name` as a table of its fields, if it is one.
fn composite(ddl: &Ddl, name: &ast::ObjectName) -> Option<TableDef> {
    let catalog = ddl.catalog().ok()?;
    let t = super::types::find(&catalog, &ddl.search_path, name).ok()??;
    t.body
        .is_composite()
        .then(|| plain_columns(&t.name, &t.fields))
}

/// A table of columns `cols` (a view's or a composite type's), nullable without defaults.
fn plain_columns(name: &str, cols: &[ViewColumn]) -> TableDef {
    let mut t = TableDef {
        name: name.to_string(),
        ..Default::default()
    };
    for c in cols {
        let mut col = ColumnDef::new(c.name.clone(), c.data_type);
        col.comment.clone_from(&c.comment);
        t.columns.push(col);
    }
    t
}

/// Expands one LIKE clause into `out`.
fn expand(ddl: &Ddl, like: &LikeClause, out: &mut Expansion) -> Result<()> {
    let src = source(ddl, &like.source)?;
    let catalog = ddl.catalog()?;
    let has = |bit: u32| like.options & bit != 0;
    for col in &src.columns {
        let mut def = ColumnDef::new(col.name.clone(), col.data_type);
        def.not_null = col.not_null;
        def.domain = col.domain;
        if col.generated {
            if has(opts::GENERATED) {
                def.default.clone_from(&col.default);
                def.generated = true;
            }
        } else if has(opts::DEFAULTS) && col.identity.is_none() {
            def.default.clone_from(&col.default);
        }
        if has(opts::COMMENTS) {
            def.comment.clone_from(&col.comment);
        }
        let identity = match col.identity {
            Some(id) if has(opts::IDENTITY) => {
                let seq = catalog.sequence_by_id(id.sequence).ok_or_else(|| {
                    Error::Internal(format!("identity sequence {} not found", id.sequence))
                })?;
                Some((id.always, seq.clone()))
            }
            _ => None,
        };
        out.elements
            .push(Element::Copied(Box::new(Copied { def, identity })));
    }
    if has(opts::CONSTRAINTS) {
        for ch in &src.checks {
            out.checks.push(Pending::Check {
                expr: constraints::parse_expr(&ch.expr)?,
                name: Some(ch.name.clone()),
                column: None,
            });
        }
    }
    if has(opts::INDEXES) {
        let name = |i: usize| -> Result<String> {
            src.columns
                .get(i)
                .map(|c| c.name.clone())
                .ok_or_else(|| Error::Internal(format!("index column {i} not found")))
        };
        let mut found = Vec::new();
        if !src.primary_key.is_empty() {
            let pk = IndexDef {
                oid: src.pk_index_oid,
                columns: src.primary_key.clone(),
                unique: true,
                comment: src.pk_comment.clone(),
                ..Default::default()
            };
            found.push((true, pk));
        }
        found.extend(src.indexes.iter().map(|i| (false, i.clone())));
        // In the order PostgreSQL lists them (by OID), which decides who gets a name first.
        found.sort_by_key(|(_, i)| i.oid);
        for (primary, mut index) in found {
            if !has(opts::COMMENTS) {
                index.comment = None;
            }
            let (mut keys, mut name_parts) = (Vec::new(), Vec::new());
            for (k, &c) in index.columns.iter().enumerate() {
                if c == IndexDef::EXPRESSION {
                    let text = index.exprs.get(k).cloned().flatten().unwrap_or_default();
                    let e = constraints::parse_expr(&text)?;
                    name_parts.push(super::index::expr_column_name(&e));
                    keys.push(None);
                } else {
                    let n = name(c)?;
                    name_parts.push(n.clone());
                    keys.push(Some(n));
                }
            }
            let include = index
                .include
                .iter()
                .map(|&c| name(c))
                .collect::<Result<Vec<_>>>()?;
            name_parts.extend(include.iter().cloned());
            out.indexes.push(CopiedIndex {
                primary,
                index,
                keys,
                include,
                name_parts,
            });
        }
    }
    Ok(())
}

/// Column `c`, the `position`-th of the table being built in `table` (whose earlier
/// columns are in place), as copied: an identity gets a sequence of its own with the source
/// sequence's options (PostgreSQL's `sequence_options`).
pub fn column(
    ddl: &mut Ddl,
    table: &TableDef,
    position: usize,
    c: &Copied,
    taken: &[String],
) -> Result<NewColumn> {
    let mut def = c.def.clone();
    let mut sequence = None;
    if let Some((always, src)) = &c.identity {
        let mut draft = table.clone();
        draft.columns.truncate(position);
        draft.columns.push(def.clone());
        let mut seq = columns::owned_sequence(ddl, &draft, position, def.data_type, taken)?;
        seq.start = src.start;
        seq.increment = src.increment;
        seq.min = src.min;
        seq.max = src.max;
        seq.cache = src.cache;
        seq.cycle = src.cycle;
        def.identity = Some(Identity {
            always: *always,
            sequence: seq.oid,
        });
        def.not_null = true;
        sequence = Some(seq);
    }
    Ok(NewColumn {
        def,
        sequence,
        constraints: Vec::new(),
    })
}

/// Adds copied index `c` to `def`, named as PostgreSQL names it for the new table.
fn add_index(
    ddl: &mut Ddl,
    def: &mut TableDef,
    c: &CopiedIndex,
    taken: &mut Vec<String>,
) -> Result<()> {
    let position = |n: &str| {
        def.column_index(n)
            .ok_or_else(|| Error::Internal(format!("copied index column \"{n}\" not found")))
    };
    let columns = c
        .keys
        .iter()
        .map(|k| match k {
            Some(n) => position(n),
            None => Ok(IndexDef::EXPRESSION),
        })
        .collect::<Result<Vec<_>>>()?;
    let include = c
        .include
        .iter()
        .map(|n| position(n))
        .collect::<Result<Vec<_>>>()?;
    let catalog = ddl.catalog()?;
    let free = |n: &str| {
        !(names::relation_taken(&catalog, def.schema, n, taken)
            || def.relation_names().any(|r| r == n))
    };
    if c.primary {
        if !def.primary_key.is_empty() {
            return Err(Error::InvalidTableDefinition(format!(
                "multiple primary keys for table \"{}\" are not allowed",
                def.name
            )));
        }
        let name = names::choose(&def.name, None, "pkey", |n| !free(n));
        taken.push(name.clone());
        for &k in &columns {
            def.columns[k].not_null = true;
        }
        def.primary_key = columns;
        def.primary_key_name = Some(name);
        def.pk_index_oid = ddl.txn.new_oid()?;
        def.pk_constraint_oid = ddl.txn.new_oid()?;
        def.pk_comment.clone_from(&c.index.comment);
        return Ok(());
    }
    let label = if c.index.constraint.is_some() {
        "key"
    } else {
        "idx"
    };
    let add = names::columns_addition(c.name_parts.iter().map(String::as_str));
    let name = names::choose(&def.name, Some(&add), label, |n| !free(n));
    taken.push(name.clone());
    let constraint = match c.index.constraint {
        Some(_) => Some(ddl.txn.new_oid()?),
        None => None,
    };
    def.indexes.push(IndexDef {
        oid: ddl.txn.new_oid()?,
        name,
        columns,
        include,
        constraint,
        ..c.index.clone()
    });
    Ok(())
}
