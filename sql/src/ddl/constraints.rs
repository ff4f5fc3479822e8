//! Table constraints: PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY, as written in CREATE
//! TABLE (on a column or the table) and ALTER TABLE ADD CONSTRAINT.
//!
//! [`Pending`] is a constraint as written; [`add`] names it (PostgreSQL's rules in
//! [`super::names`]), resolves its columns and referenced table, assigns its OIDs and puts it
//! into the table's definition. Validation of existing rows (for ALTER TABLE) is in
//! [`validate_check`], [`validate_foreign_key`] and [`validate_not_null`]; enforcement on
//! writes is the executor's (`crate::executor::constraints`).

use super::Ddl;
use super::names;
use crate::binder::{ExprCtx, Scope, ident};
use crate::expr::Expr;
use crate::storage::{Access, Catalog, CheckDef, FkAction, ForeignKeyDef, IndexDef, TableDef};
use crate::types::DataType;
use crate::{Error, Result, Value};
use sqlparser::ast;
use std::sync::Arc;

/// A constraint as written, columns by name.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a handful per statement
pub enum Pending {
    PrimaryKey {
        columns: Vec<String>,
        name: Option<String>,
        include: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
        name: Option<String>,
        include: Vec<String>,
    },
    Check {
        expr: ast::Expr,
        name: Option<String>,
        /// The column it was written on, if any.
        column: Option<String>,
    },
    ForeignKey {
        columns: Vec<String>,
        ref_table: ast::ObjectName,
        ref_columns: Vec<String>,
        on_delete: FkAction,
        on_update: FkAction,
        match_full: bool,
        /// DEFERRABLE, INITIALLY DEFERRED.
        deferrable: bool,
        initially_deferred: bool,
        name: Option<String>,
    },
}

/// `[NOT] DEFERRABLE [INITIALLY DEFERRED | IMMEDIATE]` as PostgreSQL reads it: whether the
/// constraint is deferrable and initially deferred (INITIALLY DEFERRED alone implies
/// DEFERRABLE).
pub fn deferrability(c: Option<&ast::ConstraintCharacteristics>) -> Result<(bool, bool)> {
    let Some(c) = c else {
        return Ok((false, false));
    };
    let deferred = matches!(c.initially, Some(ast::DeferrableInitial::Deferred));
    if deferred && c.deferrable == Some(false) {
        return Err(Error::SyntaxError(
            "constraint declared INITIALLY DEFERRED must be DEFERRABLE".into(),
        ));
    }
    if c.enforced.is_some() {
        return Err(Error::SyntaxError(
            "syntax error at or near \"ENFORCED\"".into(),
        ));
    }
    Ok((deferred || c.deferrable == Some(true), deferred))
}

/// A UNIQUE or PRIMARY KEY constraint's characteristics: the storage checks unique keys
/// as each row is written, so a DEFERRABLE one is refused (0A000) rather than accepted and
/// checked at once.
pub fn refuse_deferrable_key(c: Option<&ast::ConstraintCharacteristics>) -> Result<()> {
    if deferrability(c)?.0 {
        return Err(Error::unsupported(
            "DEFERRABLE unique and primary key constraints are not supported",
        ));
    }
    Ok(())
}

fn action(a: Option<&ast::ReferentialAction>) -> FkAction {
    match a {
        None | Some(ast::ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

fn names_of(cols: &[ast::Ident]) -> Vec<String> {
    cols.iter().map(ident).collect()
}

fn index_column_names(cols: &[ast::IndexColumn]) -> Result<Vec<String>> {
    cols.iter()
        .map(|c| match &c.column.expr {
            ast::Expr::Identifier(i) => Ok(ident(i)),
            other => Err(Error::unsupported(format!(
                "a constraint on expression {other} is not supported"
            ))),
        })
        .collect()
}

impl Pending {
    /// A REFERENCES clause; `columns` are the referencing columns (the column it is written
    /// on, for a column constraint).
    pub fn from_foreign_key(
        f: &ast::ForeignKeyConstraint,
        columns: Vec<String>,
        name: Option<String>,
    ) -> Result<Pending> {
        if matches!(
            f.match_kind,
            Some(ast::ConstraintReferenceMatchKind::Partial)
        ) {
            return Err(Error::unsupported("MATCH PARTIAL not yet implemented"));
        }
        let (deferrable, initially_deferred) = deferrability(f.characteristics.as_ref())?;
        Ok(Pending::ForeignKey {
            columns: if f.columns.is_empty() {
                columns
            } else {
                names_of(&f.columns)
            },
            ref_table: f.foreign_table.clone(),
            ref_columns: names_of(&f.referred_columns),
            on_delete: action(f.on_delete.as_ref()),
            on_update: action(f.on_update.as_ref()),
            match_full: matches!(f.match_kind, Some(ast::ConstraintReferenceMatchKind::Full)),
            deferrable,
            initially_deferred,
            name: name.or_else(|| f.name.as_ref().map(ident)),
        })
    }

    /// A table constraint.
    pub fn from_table_constraint(c: &ast::TableConstraint) -> Result<Pending> {
        Ok(match c {
            ast::TableConstraint::PrimaryKey(p) => {
                refuse_deferrable_key(p.characteristics.as_ref())?;
                Pending::PrimaryKey {
                    columns: index_column_names(&p.columns)?,
                    name: p.name.as_ref().map(ident),
                    include: names_of(&p.include),
                }
            }
            ast::TableConstraint::Unique(u) => {
                refuse_deferrable_key(u.characteristics.as_ref())?;
                Pending::Unique {
                    columns: index_column_names(&u.columns)?,
                    name: u.name.as_ref().map(ident),
                    include: names_of(&u.include),
                }
            }
            ast::TableConstraint::Check(c) => Pending::Check {
                expr: c.expr.as_ref().clone(),
                name: c.name.as_ref().map(ident),
                column: None,
            },
            ast::TableConstraint::ForeignKey(f) => Pending::from_foreign_key(f, Vec::new(), None)?,
            other => {
                return Err(Error::unsupported(format!(
                    "table constraint {other} is not supported yet"
                )));
            }
        })
    }

    /// The order PostgreSQL names constraints in: CHECK first, then indexes, then keys.
    fn rank(&self) -> u8 {
        match self {
            Pending::Check { .. } => 0,
            Pending::PrimaryKey { .. } => 1,
            Pending::Unique { .. } => 2,
            Pending::ForeignKey { .. } => 3,
        }
    }
}

fn column_positions(def: &TableDef, names: &[String]) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for n in names {
        let i = def.column_index(n).ok_or_else(|| {
            Error::UndefinedColumn(format!("{n}\" named in key does not exist; column \"{n}"))
        })?;
        if out.contains(&i) {
            return Err(Error::DuplicateColumn(format!(
                "{n}\" appears twice in primary key constraint; column \"{n}"
            )));
        }
        out.push(i);
    }
    Ok(out)
}

/// Binds a CHECK expression over `def`'s columns: its bound form and the columns it reads.
pub fn bind_check(
    catalog: Arc<Catalog>,
    def: &TableDef,
    e: &ast::Expr,
) -> Result<(Expr, Vec<usize>)> {
    let mut b = crate::binder::Binder::new(catalog, Vec::new());
    let scope = Scope::of_table(def, None);
    let x = b.bind_bool(e, &mut ExprCtx::plain(&scope, "check constraints"), "CHECK")?;
    let mut cols = Vec::new();
    columns_read(&x, &mut cols);
    cols.sort_unstable();
    cols.dedup();
    Ok((x, cols))
}

/// Every column position `e` reads.
pub fn columns_read(e: &Expr, out: &mut Vec<usize>) {
    e.any(&mut |x| {
        if let Expr::Column(i) = x {
            out.push(*i);
        }
        false
    });
}

/// Names, resolves and adds `pending` constraints to `def` (whose own columns are in
/// place). New indexes are appended to `def.indexes`; the caller builds them. `taken`
/// collects relation names chosen in this statement.
pub fn add(
    ddl: &mut Ddl,
    def: &mut TableDef,
    mut pending: Vec<Pending>,
    taken: &mut Vec<String>,
) -> Result<()> {
    pending.sort_by_key(Pending::rank);
    let catalog = ddl.catalog()?;
    let mut chosen: Vec<String> = Vec::new();
    for p in pending {
        match p {
            Pending::Check { expr, name, .. } => {
                let (_, cols) = bind_check(catalog.clone(), def, &expr)?;
                let name = match name {
                    Some(n) => {
                        if def.constraint_names().any(|c| c == n) {
                            return Err(Error::DuplicateObject(format!(
                                "constraint \"{n}\" for relation \"{}\" already exists",
                                def.name
                            )));
                        }
                        n
                    }
                    None => {
                        let col = match cols.as_slice() {
                            [c] => Some(def.columns[*c].name.clone()),
                            _ => None,
                        };
                        names::choose(&def.name, col.as_deref(), "check", |n| {
                            names::constraint_taken(&catalog, def.schema, n, &chosen)
                                || def.constraint_names().any(|c| c == n)
                        })
                    }
                };
                chosen.push(name.clone());
                def.checks.push(CheckDef {
                    oid: ddl.txn.new_oid()?,
                    name,
                    expr: expr.to_string(),
                    columns: cols,
                });
            }
            Pending::PrimaryKey {
                columns,
                name,
                include,
            } => {
                if !def.primary_key.is_empty() {
                    return Err(Error::InvalidTableDefinition(format!(
                        "multiple primary keys for table \"{}\" are not allowed",
                        def.name
                    )));
                }
                let cols = column_positions(def, &columns)?;
                column_positions(def, &include)?;
                let name = match name {
                    Some(n) => n,
                    None => names::choose(&def.name, None, "pkey", |n| {
                        names::relation_taken(&catalog, def.schema, n, taken)
                    }),
                };
                claim(&catalog, def, &name, taken)?;
                for &c in &cols {
                    def.columns[c].not_null = true;
                }
                def.primary_key = cols;
                def.primary_key_name = Some(name);
                def.pk_index_oid = ddl.txn.new_oid()?;
                def.pk_constraint_oid = ddl.txn.new_oid()?;
            }
            Pending::Unique {
                columns,
                name,
                include,
            } => {
                let cols = column_positions(def, &columns)?;
                let include = column_positions(def, &include)?;
                if def.primary_key == cols
                    || def
                        .indexes
                        .iter()
                        .any(|i| i.unique && i.columns == cols && i.constraint.is_some())
                {
                    continue; // PostgreSQL skips a redundant unique constraint too
                }
                let name = match name {
                    Some(n) => n,
                    None => {
                        // INCLUDE columns are part of the name too (`ChooseIndexColumnNames`).
                        let add = names::columns_addition(
                            cols.iter()
                                .chain(&include)
                                .map(|&c| def.columns[c].name.as_str()),
                        );
                        names::choose(&def.name, Some(&add), "key", |n| {
                            names::relation_taken(&catalog, def.schema, n, taken)
                        })
                    }
                };
                claim(&catalog, def, &name, taken)?;
                def.indexes.push(IndexDef {
                    oid: ddl.txn.new_oid()?,
                    name,
                    columns: cols,
                    unique: true,
                    include,
                    constraint: Some(ddl.txn.new_oid()?),
                    comment: None,
                    ..Default::default()
                });
            }
            Pending::ForeignKey {
                columns,
                ref_table,
                ref_columns,
                on_delete,
                on_update,
                match_full,
                deferrable,
                initially_deferred,
                name,
            } => {
                let cols = column_positions(def, &columns)?;
                let parent = referenced_table(ddl, def, &ref_table)?;
                let ref_cols = referenced_columns(&parent, &ref_columns, cols.len())?;
                let name = match name {
                    Some(n) => n,
                    None => {
                        let add = names::columns_addition(
                            cols.iter().map(|&c| def.columns[c].name.as_str()),
                        );
                        names::choose(&def.name, Some(&add), "fkey", |n| {
                            names::constraint_taken(&catalog, def.schema, n, &chosen)
                                || def.constraint_names().any(|c| c == n)
                        })
                    }
                };
                for (&c, &r) in cols.iter().zip(&ref_cols) {
                    let (ct, rt) = (def.columns[c].data_type, parent.columns[r].data_type);
                    if DataType::common(ct, rt).is_none() {
                        return Err(Error::DatatypeMismatch(format!(
                            "foreign key constraint \"{name}\" cannot be implemented: key columns \"{}\" and \"{}\" are of incompatible types: {} and {}",
                            def.columns[c].name,
                            parent.columns[r].name,
                            ct.name(),
                            rt.name()
                        )));
                    }
                }
                chosen.push(name.clone());
                def.foreign_keys.push(ForeignKeyDef {
                    oid: ddl.txn.new_oid()?,
                    name,
                    columns: cols,
                    ref_table: parent.id,
                    ref_columns: ref_cols,
                    on_delete,
                    on_update,
                    match_full,
                    deferrable,
                    initially_deferred,
                });
            }
        }
    }
    Ok(())
}

/// Takes relation name `name` for an index of `def` (42P07 if taken).
fn claim(catalog: &Catalog, def: &TableDef, name: &str, taken: &mut Vec<String>) -> Result<()> {
    if names::relation_taken(catalog, def.schema, name, taken)
        || def.relation_names().any(|n| n == name)
    {
        return Err(Error::DuplicateTable(name.to_string()));
    }
    taken.push(name.to_string());
    Ok(())
}

/// The table a foreign key references (the table being defined itself when named).
fn referenced_table(ddl: &Ddl, def: &TableDef, name: &ast::ObjectName) -> Result<TableDef> {
    let (schema, rel) = crate::binder::split_name(name)?;
    let same_schema = schema.as_ref().is_none_or(|s| {
        ddl.catalog()
            .ok()
            .and_then(|c| c.schema(s))
            .is_some_and(|s| s.oid == def.schema)
    });
    if rel == def.name && same_schema {
        return Ok(def.clone());
    }
    let t = ddl.table(name)?;
    if t.materialized.is_some() {
        return Err(Error::WrongObjectType(format!(
            "referenced relation \"{}\" is not a table",
            t.name
        )));
    }
    Ok(t)
}

/// The referenced columns: as named (they must be a primary key or unique constraint of the
/// parent, in any order), or the parent's primary key (42830).
fn referenced_columns(parent: &TableDef, names: &[String], n: usize) -> Result<Vec<usize>> {
    let cols = if names.is_empty() {
        if parent.primary_key.is_empty() {
            return Err(Error::UndefinedObject(format!(
                "there is no primary key for referenced table \"{}\"",
                parent.name
            )));
        }
        parent.primary_key.clone()
    } else {
        let mut cols = Vec::new();
        for name in names {
            cols.push(parent.column_index(name).ok_or_else(|| {
                Error::UndefinedColumn(format!(
                    "{name}\" referenced in foreign key constraint does not exist; column \"{name}"
                ))
            })?);
        }
        let mut sorted = cols.clone();
        sorted.sort_unstable();
        let same = |k: &[usize]| {
            let mut k = k.to_vec();
            k.sort_unstable();
            k == sorted
        };
        let unique = (!parent.primary_key.is_empty() && same(&parent.primary_key))
            || parent
                .indexes
                .iter()
                .any(|i| i.unique && i.is_plain() && same(&i.columns));
        if !unique {
            return Err(Error::InvalidForeignKey(format!(
                "there is no unique constraint matching given keys for referenced table \"{}\"",
                parent.name
            )));
        }
        cols
    };
    if cols.len() != n {
        return Err(Error::InvalidForeignKey(
            "number of referencing and referenced columns for foreign key disagree".into(),
        ));
    }
    Ok(cols)
}

/// `Failing row contains (...)`, as PostgreSQL's DETAIL shows a row.
pub fn failing_row(row: &[Value]) -> String {
    format!("Failing row contains ({}).", values_text(row))
}

/// Values as PostgreSQL lists them in messages: `1, null, x`.
pub fn values_text(vals: &[Value]) -> String {
    let vals: Vec<String> = vals
        .iter()
        .map(|v| {
            if v.is_null() {
                "null".into()
            } else {
                v.to_string()
            }
        })
        .collect();
    vals.join(", ")
}

/// Checks that every existing row of `table` satisfies CHECK `check` (23514).
pub fn validate_check(ddl: &mut Ddl, table: &TableDef, check: &CheckDef) -> Result<()> {
    let e = parse_expr(&check.expr)?;
    let (x, _) = bind_check(ddl.catalog()?, table, &e)?;
    for r in ddl.txn.scan(table.id, &Access::Full)? {
        let r = r?;
        if x.eval(&r.row, &crate::expr::Params(&[]))? == Value::Bool(false) {
            return Err(Error::CheckViolation {
                message: format!(
                    "check constraint \"{}\" of relation \"{}\" is violated by some row",
                    check.name, table.name
                ),
                detail: String::new(),
            }
            .on(crate::executor::constraints::violated(
                &*ddl.catalog()?,
                table,
                &check.name,
            )));
        }
    }
    Ok(())
}

/// Checks that column `col` of `table` holds no NULL (23502).
pub fn validate_not_null(ddl: &mut Ddl, table: &TableDef, col: usize) -> Result<()> {
    for r in ddl.txn.scan(table.id, &Access::Full)? {
        if r?.row[col].is_null() {
            let schema = ddl.catalog()?.schema_name(table.schema);
            return Err(Error::ExistingNullValues {
                table: table.name.clone(),
                column: table.columns[col].name.clone(),
            }
            .on(crate::ErrorObject::table(&schema, &table.name).column(&table.columns[col].name)));
        }
    }
    Ok(())
}

/// Checks that every existing row of `table` has its key in the referenced table (23503).
pub fn validate_foreign_key(ddl: &mut Ddl, table: &TableDef, fk: &ForeignKeyDef) -> Result<()> {
    let catalog = ddl.catalog()?;
    let parent = catalog
        .table_by_id(fk.ref_table)
        .cloned()
        .unwrap_or_else(|| table.clone());
    let mut keys = std::collections::BTreeSet::new();
    for r in ddl.txn.scan_latest(parent.id, &Access::Full)? {
        let r = r?;
        keys.insert(
            fk.ref_columns
                .iter()
                .map(|&c| r.row[c].clone())
                .collect::<Vec<_>>(),
        );
    }
    for r in ddl.txn.scan(table.id, &Access::Full)? {
        let row = r?.row;
        let key: Vec<Value> = fk.columns.iter().map(|&c| row[c].clone()).collect();
        if let Some(e) =
            crate::executor::constraints::key_problem(&catalog, table, fk, &parent, &key)?
        {
            return Err(e);
        }
        if key.iter().any(Value::is_null) {
            continue;
        }
        if !keys.contains(&key) {
            return Err(crate::executor::constraints::missing_parent(
                &catalog, table, fk, &parent, &key,
            ));
        }
    }
    Ok(())
}

/// Parses a stored expression's text.
pub fn parse_expr(text: &str) -> Result<ast::Expr> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::Internal(format!("stored expression {text:?} does not parse: {e}")))
}
