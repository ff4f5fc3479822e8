//! ALTER TABLE.
//!
//! The operations of one statement are folded into a single [`Change`] — the new definition,
//! the per-row steps that turn an old row into a new one ([`RowStep`]), what to validate —
//! and applied once at the end ([`Change::apply`]): a *rewrite* (`Txn::rewrite_table`) when
//! the row layout or the primary key changed (ADD / DROP COLUMN, ALTER COLUMN TYPE, ADD /
//! DROP PRIMARY KEY), otherwise `Txn::alter_table` plus index builds. (Applying each
//! operation separately would not work: a statement does not see its own writes, so a
//! second rewrite would read the rows before the first.) New CHECK, NOT NULL and FOREIGN
//! KEY constraints are validated against the final rows.
//!
//! Views reading the table are re-bound against the new definition: a column they use may
//! not be dropped without CASCADE (2BP01) nor change type (0A000), as in PostgreSQL.
//! Renaming a table or column rewrites the text of the views that name it.

use super::Ddl;
use super::columns;
use super::constraints::{self, Pending};
use super::depend::Obj;
use crate::binder::{ExprCtx, Scope, ident, split_name};
use crate::expr::{Expr, Params};
use crate::result::StatementResult;
use crate::storage::{Access, Catalog, ForeignKeyDef, IndexDef, SequenceDef, TableDef, ViewDef};
use crate::types::{DataType, cast};
use crate::{Error, Result, Value};
use sqlparser::ast;
use std::sync::Arc;

/// How one old row becomes a new one, step by step.
enum RowStep {
    /// Append a column computed from the row so far.
    Add(Expr),
    /// Remove column `i`.
    Drop(usize),
    /// Replace column `i` by `expr` over the row so far.
    Convert(usize, Expr),
}

/// Everything one ALTER TABLE statement does, accumulated.
struct Change {
    def: TableDef,
    steps: Vec<RowStep>,
    rewrite: bool,
    new_sequences: Vec<SequenceDef>,
    dropped_sequences: Vec<u32>,
    validate_checks: Vec<crate::storage::CheckDef>,
    validate_fks: Vec<ForeignKeyDef>,
    validate_not_null: Vec<usize>,
    /// Objects to drop first (CASCADE of a dropped column or constraint).
    cascade: Vec<Obj>,
    /// Views whose text changes (renames).
    views: Vec<ViewDef>,
}

fn undefined_column(def: &TableDef, name: &str) -> Error {
    Error::UndefinedColumn(format!("{name}\" of relation \"{}", def.name))
}

/// ALTER TABLE.
pub fn execute(ddl: &mut Ddl, a: &ast::AlterTable) -> Result<StatementResult> {
    let done = StatementResult::command("ALTER TABLE");
    let (schema, rel) = split_name(&a.name)?;
    let b = ddl.binder()?;
    let def = match b.lookup(schema.as_deref(), &rel)? {
        Some(crate::binder::FromRelation::Table(t)) => t,
        // ALTER TABLE seq RENAME TO: PostgreSQL renames any relation so (Peewee's
        // rename_table renames the table's sequence this way).
        Some(crate::binder::FromRelation::Sequence(mut seq))
            if matches!(
                a.operations.as_slice(),
                [ast::AlterTableOperation::RenameTable { .. }]
            ) =>
        {
            let [ast::AlterTableOperation::RenameTable { table_name }] = a.operations.as_slice()
            else {
                return Err(Error::Internal("ALTER TABLE RENAME of a sequence".into()));
            };
            let (ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n)) = table_name;
            let new = split_name(n)?.1;
            let catalog = ddl.catalog()?;
            crate::privilege::require_owner(&catalog, &crate::storage::Relation::Sequence(&seq))?;
            if catalog.relation_exists(seq.schema, &new) {
                return Err(Error::DuplicateTable(new));
            }
            seq.name = new;
            ddl.txn.alter_sequence(seq)?;
            return Ok(done);
        }
        Some(_) => return Err(Error::WrongObjectType(format!("\"{rel}\" is not a table"))),
        None if a.if_exists => {
            crate::notice::skipping_missing("relation", &rel);
            return Ok(done);
        }
        None => return Err(Error::UndefinedTable(rel)),
    };
    let catalog = ddl.catalog()?;
    crate::privilege::require_owner(&catalog, &crate::storage::Relation::Table(&def))?;
    crate::executor::deferred::refuse_if_pending(&def, "ALTER TABLE")?;
    let mut change = Change {
        def,
        steps: Vec::new(),
        rewrite: false,
        new_sequences: Vec::new(),
        dropped_sequences: Vec::new(),
        validate_checks: Vec::new(),
        validate_fks: Vec::new(),
        validate_not_null: Vec::new(),
        cascade: Vec::new(),
        views: Vec::new(),
    };
    match a.operations.as_slice() {
        [
            ast::AlterTableOperation::AttachPartitionOf {
                partition,
                for_values,
            },
        ] => return super::partition_attach::attach(ddl, &change.def, partition, for_values),
        [ast::AlterTableOperation::DetachPartitionOf { partition, .. }] => {
            return super::partition_attach::detach(ddl, &change.def, partition);
        }
        _ => {}
    }
    for op in &a.operations {
        super::partition::refuse_alter(&change.def, op)?;
        if super::types::changes_row_type(op) {
            super::types::row_type_unused(&catalog, &change.def)?;
        }
        change.operation(ddl, op)?;
    }
    change.apply(ddl)?;
    Ok(done)
}

impl Change {
    fn column(&self, name: &ast::Ident) -> Result<usize> {
        let n = ident(name);
        self.def
            .column_index(&n)
            .ok_or_else(|| undefined_column(&self.def, &n))
    }

    fn operation(&mut self, ddl: &mut Ddl, op: &ast::AlterTableOperation) -> Result<()> {
        use ast::AlterTableOperation as O;
        match op {
            O::EnableTrigger { name } => super::trigger::set_enabled(&mut self.def, name, true),
            O::DisableTrigger { name } => super::trigger::set_enabled(&mut self.def, name, false),
            O::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => self.add_column(ddl, column_def, *if_not_exists),
            O::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                let cascade = matches!(drop_behavior, Some(ast::DropBehavior::Cascade));
                for c in column_names {
                    let n = ident(c);
                    match self.def.column_index(&n) {
                        Some(i) => self.drop_column(ddl, i, cascade)?,
                        None if *if_exists => crate::notice::emit(crate::notice::Notice::new(
                            "00000",
                            format!(
                                "column \"{n}\" of relation \"{}\" does not exist, skipping",
                                self.def.name
                            ),
                        )),
                        None => return Err(undefined_column(&self.def, &n)),
                    }
                }
                Ok(())
            }
            O::RenameColumn {
                old_column_name,
                new_column_name,
            } => self.rename_column(ddl, old_column_name, new_column_name),
            O::RenameTable { table_name } => {
                let name = match table_name {
                    ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n) => n,
                };
                self.rename_table(ddl, &split_name(name)?.1)
            }
            O::AlterColumn { column_name, op } => self.alter_column(ddl, column_name, op),
            O::AddConstraint { constraint, .. } => {
                let p = Pending::from_table_constraint(constraint)?;
                self.add_constraint(ddl, p)
            }
            O::DropConstraint {
                if_exists,
                name,
                drop_behavior,
            } => self.drop_constraint(
                ddl,
                &ident(name),
                *if_exists,
                matches!(drop_behavior, Some(ast::DropBehavior::Cascade)),
            ),
            O::RenameConstraint { old_name, new_name } => {
                self.rename_constraint(ddl, &ident(old_name), &ident(new_name))
            }
            O::ValidateConstraint { name } => {
                let n = ident(name);
                if self.def.constraint_names().any(|c| c == n) {
                    Ok(())
                } else {
                    Err(Error::UndefinedObject(format!(
                        "constraint \"{n}\" of relation \"{}\" does not exist",
                        self.def.name
                    )))
                }
            }
            O::OwnerTo { new_owner } => {
                let catalog = ddl.catalog()?;
                let new = super::role::owner_oid(&catalog, new_owner)?;
                let old = self.def.owner;
                let columns = self.def.columns.iter_mut().map(|c| &mut c.acl);
                super::role::change_column_owners(columns, old, new);
                super::role::change_owner(&mut self.def.owner, &mut self.def.acl, new);
                // The sequences of its serial and identity columns go with it.
                for s in &catalog.sequences {
                    if s.owned_by.is_some_and(|by| by.table == self.def.id) {
                        let mut s = s.clone();
                        super::role::change_owner(&mut s.owner, &mut s.acl, new);
                        ddl.txn.alter_sequence(s)?;
                    }
                }
                Ok(())
            }
            O::SetLogged | O::SetUnlogged => Ok(()),
            O::SetOptionsParens { options } => {
                super::reloptions::set(&mut self.def.options, options)
            }
            O::ResetOptions { options } => super::reloptions::reset(&mut self.def.options, options),
            other => Err(Error::unsupported(format!(
                "ALTER TABLE {other} is not supported yet"
            ))),
        }
    }

    fn add_column(
        &mut self,
        ddl: &mut Ddl,
        col: &ast::ColumnDef,
        if_not_exists: bool,
    ) -> Result<()> {
        let name = ident(&col.name);
        if self.def.column_index(&name).is_some() {
            if if_not_exists {
                crate::notice::emit(crate::notice::Notice::new(
                    "42701",
                    format!(
                        "column \"{name}\" of relation \"{}\" already exists, skipping",
                        self.def.name
                    ),
                ));
                return Ok(());
            }
            return Err(Error::DuplicateColumn(format!(
                "{name}\" of relation \"{}\" already exists; column \"{name}",
                self.def.name
            )));
        }
        let position = self.def.columns.len();
        let mut taken: Vec<String> = self.new_sequences.iter().map(|s| s.name.clone()).collect();
        let nc = columns::column(ddl, &self.def, position, col, &taken)?;
        // The new column's value in existing rows: its default (or identity), per row.
        let value = match (&nc.sequence, &nc.def) {
            (Some(seq), c) if c.identity.is_some() => nextval_expr(seq.oid),
            (_, c) if c.generated => {
                let mut draft = self.def.clone();
                draft.columns.push(c.clone());
                super::generated::check(ddl, &draft, position)?;
                let e = crate::binder::generated::parse_expr(
                    c.default.as_deref().unwrap_or("NULL"),
                    self.def.id,
                )?;
                let mut b = binder_over(ddl, &self.def)?;
                let scope = Scope::of_table(&self.def, None);
                let (x, t) = b.bind_expr(
                    &e,
                    &mut ExprCtx::plain(&scope, "column generation expressions"),
                )?;
                b.assign(x, t, c.data_type, &c.name)?
            }
            (_, c) => match &c.default {
                Some(text) => {
                    let e = constraints::parse_expr(text)?;
                    let mut b = binder_over(ddl, &self.def)?;
                    let scope = Scope::default();
                    let (x, t) =
                        b.bind_expr(&e, &mut ExprCtx::plain(&scope, "DEFAULT expressions"))?;
                    b.assign(x, t, c.data_type, &c.name)?
                }
                None => Expr::Literal(Value::Null),
            },
        };
        if let Some(s) = nc.sequence {
            taken.push(s.name.clone());
            self.new_sequences.push(s);
        }
        if nc.def.not_null {
            self.validate_not_null.push(position);
        }
        self.def.columns.push(nc.def);
        self.steps.push(RowStep::Add(value));
        self.rewrite = true;
        for p in nc.constraints {
            self.add_constraint(ddl, p)?;
        }
        Ok(())
    }

    fn drop_column(&mut self, ddl: &mut Ddl, i: usize, cascade: bool) -> Result<()> {
        let mut new = self.def.clone();
        let name = new.columns[i].name.clone();
        if new.columns.len() == 1 {
            // PostgreSQL allows a table with zero columns; Strata's rows need one.
            return Err(Error::unsupported("a table must keep at least one column"));
        }
        // A generated column reading the column depends on it.
        if let Some(&g) = super::generated::readers(&new, &name).first() {
            let message = format!(
                "cannot drop column {name} of table {} because other objects depend on it",
                new.name
            );
            if cascade {
                return Err(Error::unsupported(format!(
                    "{message}: DROP COLUMN ... CASCADE of a generated column is not supported yet"
                )));
            }
            return Err(Error::DependentObjectsStillExist {
                message,
                detail: format!(
                    "column {} of table {} depends on column {name} of table {}",
                    new.columns[g].name, new.name, new.name
                ),
            });
        }
        // Foreign keys of other tables referencing the column need CASCADE.
        let catalog = ddl.catalog()?;
        for (child, fk) in catalog.referencing(new.id) {
            if fk.ref_columns.contains(&i) && child.id != new.id {
                let obj = Obj::ForeignKey {
                    table: child.id,
                    oid: fk.oid,
                };
                if !cascade {
                    return Err(Error::DependentObjectsStillExist {
                        message: format!(
                            "cannot drop column {name} of table {} because other objects depend on it",
                            new.name
                        ),
                        detail: format!(
                            "constraint {} on table {} depends on column {name} of table {}",
                            fk.name, child.name, new.name
                        ),
                    });
                }
                self.cascade.push(obj);
            }
        }
        // An expression or partial index goes with any column it reads (as in PostgreSQL).
        let reads_dropped: Vec<crate::storage::Oid> = new
            .indexes
            .iter()
            .filter(|x| {
                !x.is_plain()
                    && x.bound(&new).is_ok_and(|b| {
                        let mut cols = Vec::new();
                        for k in b.keys.iter().chain(&b.predicate) {
                            crate::ddl::constraints::columns_read(k, &mut cols);
                        }
                        cols.contains(&i)
                    })
            })
            .map(|x| x.oid)
            .collect();
        new.columns.remove(i);
        let remap = |c: &mut usize| {
            if *c > i && *c != crate::storage::IndexDef::EXPRESSION {
                *c -= 1;
            }
        };
        let uses = |cols: &[usize]| cols.contains(&i);
        if uses(&new.primary_key) {
            new.primary_key.clear();
            new.primary_key_name = None;
            new.pk_index_oid = 0;
            new.pk_constraint_oid = 0;
        }
        new.indexes
            .retain(|x| !uses(&x.columns) && !uses(&x.include) && !reads_dropped.contains(&x.oid));
        new.checks.retain(|c| !uses(&c.columns));
        new.foreign_keys.retain(|f| !uses(&f.columns));
        for c in new.primary_key.iter_mut() {
            remap(c);
        }
        for x in &mut new.indexes {
            x.columns.iter_mut().for_each(remap);
            x.include.iter_mut().for_each(remap);
        }
        for c in &mut new.checks {
            c.columns.iter_mut().for_each(remap);
        }
        for f in &mut new.foreign_keys {
            f.columns.iter_mut().for_each(remap);
            if f.ref_table == new.id {
                f.ref_columns.iter_mut().for_each(remap);
            }
        }
        for s in &catalog.sequences {
            if let Some(o) = s.owned_by
                && o.table == new.id
                && o.column == i
            {
                self.dropped_sequences.push(s.oid);
            }
        }
        self.check_views(
            ddl,
            &new,
            cascade,
            &format!("column {name} of table {}", new.name),
        )?;
        self.def = new;
        self.validate_not_null.retain(|&c| c != i);
        for c in self.validate_not_null.iter_mut() {
            remap(c);
        }
        self.steps.push(RowStep::Drop(i));
        self.rewrite = true;
        Ok(())
    }

    /// Re-binds the views reading this table against `new`: a view that no longer binds
    /// depends on what changed (dropped with `cascade`, else 2BP01); one whose columns
    /// would change type blocks the change (0A000).
    fn check_views(&mut self, ddl: &Ddl, new: &TableDef, cascade: bool, what: &str) -> Result<()> {
        let catalog = ddl.catalog()?;
        let mut changed = (*catalog).clone();
        if let Some(t) = changed.tables.iter_mut().find(|t| t.id == new.id) {
            *t = new.clone();
        }
        let changed = Arc::new(changed);
        for v in catalog
            .views
            .iter()
            .filter(|v| v.depends_on.contains(&new.id))
        {
            match bind_view(&changed, v) {
                Ok(types) => {
                    if types.iter().zip(&v.columns).any(|(t, c)| *t != c.data_type) {
                        return Err(Error::unsupported(format!(
                            "cannot alter type of a column used by a view or rule: view {} depends on {what}",
                            v.name
                        )));
                    }
                }
                Err(_) if cascade => self.cascade.push(Obj::View(v.oid)),
                Err(_) => {
                    return Err(Error::DependentObjectsStillExist {
                        message: format!("cannot drop {what} because other objects depend on it"),
                        detail: format!("view {} depends on {what}", v.name),
                    });
                }
            }
        }
        Ok(())
    }

    fn rename_column(&mut self, ddl: &mut Ddl, old: &ast::Ident, new: &ast::Ident) -> Result<()> {
        let i = self.column(old)?;
        let (old, new) = (ident(old), ident(new));
        crate::binder::system_columns::check_column_name(&new)?;
        if self.def.column_index(&new).is_some() {
            return Err(Error::DuplicateColumn(format!(
                "{new}\" of relation \"{}\" already exists; column \"{new}",
                self.def.name
            )));
        }
        self.def.columns[i].name = new.clone();
        for c in &mut self.def.checks {
            c.expr = rename_word(&c.expr, &old, &new);
        }
        for c in self.def.columns.iter_mut().filter(|c| c.generated) {
            if let Some(d) = &mut c.default {
                *d = rename_word(d, &old, &new);
            }
        }
        for x in &mut self.def.indexes {
            for e in x.exprs.iter_mut().flatten() {
                *e = rename_word(e, &old, &new);
            }
            if let Some(p) = &mut x.predicate {
                *p = rename_word(p, &old, &new);
            }
        }
        self.rename_in_views(ddl, &old, &new)
    }

    /// Renames `old` to `new` in the text of the views reading the table.
    fn rename_in_views(&mut self, ddl: &Ddl, old: &str, new: &str) -> Result<()> {
        let catalog = ddl.catalog()?;
        for v in catalog
            .views
            .iter()
            .filter(|v| v.depends_on.contains(&self.def.id))
        {
            let mut v = self
                .views
                .iter()
                .find(|x| x.oid == v.oid)
                .cloned()
                .unwrap_or_else(|| v.clone());
            v.query = rename_word(&v.query, old, new);
            self.views.retain(|x| x.oid != v.oid);
            self.views.push(v);
        }
        Ok(())
    }

    fn rename_table(&mut self, ddl: &mut Ddl, new: &str) -> Result<()> {
        if ddl.catalog()?.relation_exists(self.def.schema, new) {
            return Err(Error::DuplicateTable(new.to_string()));
        }
        let old = std::mem::replace(&mut self.def.name, new.to_string());
        self.rename_in_views(ddl, &old, new)
    }

    fn alter_column(
        &mut self,
        ddl: &mut Ddl,
        name: &ast::Ident,
        op: &ast::AlterColumnOperation,
    ) -> Result<()> {
        use ast::AlterColumnOperation as C;
        let i = self.column(name)?;
        let cname = self.def.columns[i].name.clone();
        let identity_error = || {
            Error::SyntaxError(format!(
                "column \"{cname}\" of relation \"{}\" is an identity column",
                self.def.name
            ))
        };
        match op {
            C::GenericOptions { options } => {
                if let [ast::AlterGenericOption::Set(o)] = options.as_slice()
                    && o.key.value == crate::parse::utility::DROP_EXPRESSION
                {
                    return self.drop_expression(i, o.value.value == "if exists");
                }
                self.def.columns[i].stat_target = super::reloptions::statistics(options)?;
            }
            C::SetNotNull => {
                if !self.def.columns[i].not_null {
                    self.def.columns[i].not_null = true;
                    self.validate_not_null.push(i);
                }
            }
            C::DropNotNull => {
                if self.def.primary_key.contains(&i) {
                    return Err(Error::InvalidTableDefinition(format!(
                        "column \"{cname}\" is in a primary key"
                    )));
                }
                if self.def.columns[i].identity.is_some() {
                    return Err(identity_error());
                }
                self.def.columns[i].not_null = false;
            }
            C::SetDefault { .. } | C::DropDefault if self.def.columns[i].generated => {
                let e = Error::SyntaxError(format!(
                    "column \"{cname}\" of relation \"{}\" is a generated column",
                    self.def.name
                ));
                return Err(match op {
                    C::DropDefault => Error::WithHint {
                        error: Box::new(e),
                        hint: "Use ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION instead."
                            .into(),
                    },
                    _ => e,
                });
            }
            C::SetDefault { value } => {
                if self.def.columns[i].identity.is_some() {
                    return Err(identity_error());
                }
                let text = columns::check_default(ddl, &self.def.columns[i], value)?;
                self.def.columns[i].default = Some(text);
            }
            C::DropDefault => self.def.columns[i].default = None,
            C::SetDataType {
                data_type, using, ..
            } => self.set_type(ddl, i, data_type, using.as_ref())?,
            C::AddGenerated {
                generated_as,
                sequence_options,
            } => {
                let c = &self.def.columns[i];
                if !c.not_null {
                    return Err(Error::ObjectNotInPrerequisiteState(format!(
                        "column \"{cname}\" of relation \"{}\" must be declared NOT NULL before identity can be added",
                        self.def.name
                    )));
                }
                if c.identity.is_some() {
                    return Err(Error::ObjectNotInPrerequisiteState(format!(
                        "column \"{cname}\" of relation \"{}\" is already an identity column",
                        self.def.name
                    )));
                }
                if c.default.is_some() {
                    return Err(Error::ObjectNotInPrerequisiteState(format!(
                        "column \"{cname}\" of relation \"{}\" already has a default value",
                        self.def.name
                    )));
                }
                let col = ast::ColumnDef {
                    name: ast::Ident::new(cname.clone()),
                    data_type: ast::DataType::BigInt(None),
                    options: vec![ast::ColumnOptionDef {
                        name: None,
                        option: ast::ColumnOption::Generated {
                            generated_as: generated_as.unwrap_or(ast::GeneratedAs::Always),
                            sequence_options: sequence_options.clone(),
                            generation_expr: None,
                            generation_expr_mode: None,
                            generated_keyword: true,
                        },
                    }],
                };
                let taken: Vec<String> =
                    self.new_sequences.iter().map(|s| s.name.clone()).collect();
                let mut nc = columns::column(ddl, &self.def, i, &col, &taken)?;
                if let Some(seq) = nc.sequence.as_mut() {
                    let ty = self.def.columns[i].data_type;
                    let type_max = super::sequence::default_def(0, 0, String::new(), ty)?.max;
                    seq.data_type = ty;
                    if seq.max == i64::MAX {
                        seq.max = type_max;
                    }
                    self.new_sequences.push(seq.clone());
                }
                self.def.columns[i].identity = nc.def.identity;
            }
        }
        Ok(())
    }

    /// `ALTER COLUMN c DROP EXPRESSION [IF EXISTS]`: a generated column becomes a plain one
    /// keeping its stored values.
    fn drop_expression(&mut self, i: usize, if_exists: bool) -> Result<()> {
        let table = self.def.name.clone();
        let c = &mut self.def.columns[i];
        if !c.generated {
            let msg = format!(
                "column \"{}\" of relation \"{table}\" is not a stored generated column",
                c.name
            );
            if if_exists {
                crate::notice::emit(crate::notice::Notice::new(
                    "00000",
                    format!("{msg}, skipping"),
                ));
                return Ok(());
            }
            return Err(Error::ObjectNotInPrerequisiteState(msg));
        }
        c.generated = false;
        c.default = None;
        Ok(())
    }

    fn set_type(
        &mut self,
        ddl: &mut Ddl,
        i: usize,
        ty: &ast::DataType,
        using: Option<&ast::Expr>,
    ) -> Result<()> {
        let to = DataType::from_sql(ty)?;
        let col = self.def.columns[i].clone();
        crate::types::record::check_column_type(&col.name, to)?;
        let mut b = binder_over(ddl, &self.def)?;
        let scope = Scope::of_table(&self.def, None);
        let expr = match using {
            Some(e) => {
                let (x, t) =
                    b.bind_expr(e, &mut ExprCtx::plain(&scope, "transform expressions"))?;
                b.assign(x, t, to, &col.name).map_err(|_| {
                    Error::DatatypeMismatch(format!(
                        "result of USING clause for column \"{}\" cannot be cast automatically to type {}",
                        col.name,
                        to.name()
                    ))
                })?
            }
            None => {
                if !cast::can_assign(col.data_type, to) {
                    return Err(Error::DatatypeMismatch(format!(
                        "column \"{}\" cannot be cast automatically to type {}",
                        col.name,
                        to.name()
                    )));
                }
                b.assign(Expr::Column(i), col.data_type, to, &col.name)?
            }
        };
        let domain = super::domains::named(ty);
        // Converted values of a domain are checked against its constraints.
        let expr = match domain {
            Some(d) => Expr::Call(crate::expr::Function::DomainCheck(d), vec![expr]),
            None => expr,
        };
        let mut new = self.def.clone();
        new.columns[i].data_type = to;
        new.columns[i].domain = domain;
        if let Some(d) = &col.default
            && !col.generated
        {
            let e = constraints::parse_expr(d)?;
            let scope = Scope::default();
            let (x, t) = b.bind_expr(&e, &mut ExprCtx::plain(&scope, "DEFAULT expressions"))?;
            b.assign(x, t, to, &col.name)?;
        }
        self.check_views(
            ddl,
            &new,
            false,
            &format!("column {} of table {}", col.name, new.name),
        )?;
        self.def = new;
        self.steps.push(RowStep::Convert(i, expr));
        self.validate_checks = self.def.checks.clone();
        self.rewrite = true;
        Ok(())
    }

    fn add_constraint(&mut self, ddl: &mut Ddl, p: Pending) -> Result<()> {
        let before = self.def.clone();
        let mut taken: Vec<String> = self.new_sequences.iter().map(|s| s.name.clone()).collect();
        constraints::add(ddl, &mut self.def, vec![p], &mut taken)?;
        if self.def.primary_key != before.primary_key {
            // A new primary key re-keys the rows: a rewrite. Its columns became NOT NULL.
            for &c in &self.def.primary_key {
                if !before.columns[c].not_null {
                    self.validate_not_null.push(c);
                }
            }
            self.rewrite = true;
        }
        for c in self
            .def
            .checks
            .iter()
            .filter(|c| !before.checks.iter().any(|b| b.oid == c.oid))
        {
            self.validate_checks.push(c.clone());
        }
        for f in self
            .def
            .foreign_keys
            .iter()
            .filter(|f| !before.foreign_keys.iter().any(|b| b.oid == f.oid))
        {
            self.validate_fks.push(f.clone());
        }
        Ok(())
    }

    fn drop_constraint(
        &mut self,
        ddl: &mut Ddl,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<()> {
        let catalog = ddl.catalog()?;
        let def = &mut self.def;
        // Foreign keys of other tables that rely on a unique key being dropped.
        let mut dependent_fks = |cols: &[usize], what: &str| -> Result<()> {
            for (child, fk) in catalog.referencing(def.id) {
                let mut a = fk.ref_columns.clone();
                let mut b = cols.to_vec();
                a.sort_unstable();
                b.sort_unstable();
                if a == b
                    && !(child.id == def.id && def.foreign_keys.iter().all(|f| f.oid != fk.oid))
                {
                    if !cascade {
                        return Err(Error::DependentObjectsStillExist {
                            message: format!(
                                "cannot drop constraint {name} on table {} because other objects depend on it",
                                def.name
                            ),
                            detail: format!(
                                "constraint {} on table {} depends on index {what}",
                                fk.name, child.name
                            ),
                        });
                    }
                    if child.id == def.id {
                        def.foreign_keys.retain(|f| f.oid != fk.oid);
                    } else {
                        self.cascade.push(Obj::ForeignKey {
                            table: child.id,
                            oid: fk.oid,
                        });
                    }
                }
            }
            Ok(())
        };
        if def.primary_key_name.as_deref() == Some(name) {
            let pk = def.primary_key.clone();
            dependent_fks(&pk, name)?;
            def.primary_key.clear();
            def.primary_key_name = None;
            def.pk_index_oid = 0;
            def.pk_constraint_oid = 0;
            self.rewrite = true;
        } else if let Some(i) = def
            .indexes
            .iter()
            .position(|x| x.name == name && x.constraint.is_some())
        {
            let cols = def.indexes[i].columns.clone();
            dependent_fks(&cols, name)?;
            def.indexes.remove(i);
        } else if let Some(i) = def.checks.iter().position(|c| c.name == name) {
            def.checks.remove(i);
        } else if let Some(i) = def.foreign_keys.iter().position(|c| c.name == name) {
            def.foreign_keys.remove(i);
        } else if !if_exists {
            return Err(Error::UndefinedObject(format!(
                "constraint \"{name}\" of relation \"{}\" does not exist",
                def.name
            )));
        } else {
            crate::notice::emit(crate::notice::Notice::new(
                "00000",
                format!(
                    "constraint \"{name}\" of relation \"{}\" does not exist, skipping",
                    def.name
                ),
            ));
        }
        Ok(())
    }

    fn rename_constraint(&mut self, ddl: &mut Ddl, old: &str, new: &str) -> Result<()> {
        if self.def.constraint_names().any(|c| c == new) {
            return Err(Error::DuplicateObject(format!(
                "constraint \"{new}\" for relation \"{}\" already exists",
                self.def.name
            )));
        }
        let def = &mut self.def;
        let index_rename = def.primary_key_name.as_deref() == Some(old)
            || def
                .indexes
                .iter()
                .any(|x| x.name == old && x.constraint.is_some());
        if index_rename && ddl.catalog()?.relation_exists(def.schema, new) {
            return Err(Error::DuplicateTable(new.to_string()));
        }
        if def.primary_key_name.as_deref() == Some(old) {
            def.primary_key_name = Some(new.to_string());
        } else if let Some(x) = def
            .indexes
            .iter_mut()
            .find(|x| x.name == old && x.constraint.is_some())
        {
            x.name = new.to_string();
        } else if let Some(c) = def.checks.iter_mut().find(|c| c.name == old) {
            c.name = new.to_string();
        } else if let Some(f) = def.foreign_keys.iter_mut().find(|f| f.name == old) {
            f.name = new.to_string();
        } else {
            return Err(Error::UndefinedObject(format!(
                "constraint \"{old}\" for table \"{}\" does not exist",
                def.name
            )));
        }
        Ok(())
    }

    /// Applies the accumulated change through the storage.
    fn apply(self, ddl: &mut Ddl) -> Result<()> {
        let old = ddl
            .catalog()?
            .table_by_id(self.def.id)
            .cloned()
            .ok_or_else(|| Error::UndefinedTable(self.def.name.clone()))?;
        if !self.cascade.is_empty() {
            super::drop::drop_objects(ddl, &self.cascade, true)?;
        }
        for s in &self.new_sequences {
            ddl.txn.create_sequence(s.clone())?;
        }
        let def = self.def;
        def.validate()?;
        let checks: Vec<(String, Expr)> = {
            let catalog = ddl.catalog()?;
            let list = if self.rewrite {
                def.checks.clone()
            } else {
                self.validate_checks.clone()
            };
            list.iter()
                .map(|c| {
                    Ok((
                        c.name.clone(),
                        constraints::bind_check(
                            catalog.clone(),
                            &def,
                            &constraints::parse_expr(&c.expr)?,
                        )?
                        .0,
                    ))
                })
                .collect::<Result<_>>()?
        };
        let not_null: Vec<usize> = if self.rewrite {
            (0..def.columns.len())
                .filter(|&c| def.columns[c].not_null)
                .collect()
        } else {
            self.validate_not_null.clone()
        };
        let schema = ddl.catalog()?.schema_name(def.schema);
        let object = || crate::ErrorObject::table(&schema, &def.name);
        let check_row = |row: &[Value]| -> Result<()> {
            for &c in &not_null {
                if row[c].is_null() {
                    return Err(Error::ExistingNullValues {
                        table: def.name.clone(),
                        column: def.columns[c].name.clone(),
                    }
                    .on(object().column(&def.columns[c].name)));
                }
            }
            for (name, x) in &checks {
                if x.eval(row, &Params(&[]))? == Value::Bool(false) {
                    return Err(Error::CheckViolation {
                        message: format!(
                            "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                            def.name
                        ),
                        detail: String::new(),
                    }
                    .on(object().constraint(name)));
                }
            }
            Ok(())
        };
        let same_rows = self.steps.is_empty() && checks.is_empty();
        if self.rewrite && same_rows && ddl.txn.rekey_in_place(&def, &not_null)? {
            // Only the key changed, and the storage kept the rows where they were (ADD
            // PRIMARY KEY over `pgbench -i`'s accounts).
        } else if self.rewrite {
            // New columns' defaults may call sequences created above.
            let _env = crate::env::with_catalog(ddl.catalog()?);
            let mut rows = Vec::new();
            for r in ddl.txn.scan(old.id, &Access::Full)? {
                let mut row = r?.row;
                for step in &self.steps {
                    match step {
                        RowStep::Add(e) => {
                            let v = e.eval(&row, &Params(ddl.params))?;
                            row.push(v);
                        }
                        RowStep::Drop(i) => {
                            row.remove(*i);
                        }
                        RowStep::Convert(i, e) => row[*i] = e.eval(&row, &Params(ddl.params))?,
                    }
                }
                check_row(&row)?;
                rows.push(row);
            }
            ddl.txn
                .rewrite_table(def.clone(), &mut rows.into_iter().map(Ok))?;
        } else {
            if !checks.is_empty() || !not_null.is_empty() {
                for r in ddl.txn.scan(old.id, &Access::Full)? {
                    check_row(&r?.row)?;
                }
            }
            let new_indexes: Vec<IndexDef> = def
                .indexes
                .iter()
                .filter(|x| !old.indexes.iter().any(|o| o.oid == x.oid))
                .cloned()
                .collect();
            let mut kept = def.clone();
            kept.indexes
                .retain(|x| old.indexes.iter().any(|o| o.oid == x.oid));
            ddl.txn.alter_table(kept)?;
            for x in new_indexes {
                ddl.txn.create_index(def.id, x)?;
            }
        }
        for fk in &self.validate_fks {
            constraints::validate_foreign_key(ddl, &def, fk)?;
        }
        for s in self.dropped_sequences {
            ddl.txn.drop_sequence(s)?;
        }
        for v in self.views {
            ddl.txn.put_view(v)?;
        }
        Ok(())
    }
}

/// A binder over the current catalog for expressions of `_def`.
fn binder_over(ddl: &Ddl, _def: &TableDef) -> Result<crate::binder::Binder> {
    ddl.binder()
}

/// `nextval(oid)` as a bound expression.
fn nextval_expr(oid: u32) -> Expr {
    crate::expr::catalog_functions::nextval_call(oid)
}

/// Binds view `v` over `catalog`, returning its column types.
fn bind_view(catalog: &Arc<Catalog>, v: &ViewDef) -> Result<Vec<DataType>> {
    let mut b = crate::binder::Binder::new(catalog.clone(), Vec::new());
    let path = crate::binder::search_path(catalog, &v.search_path.join(","), "");
    b.search_path = path;
    let q = crate::binder::parse_view_query(&v.query)?;
    let (_, cols) = b.bind_query(&q)?;
    Ok(cols.into_iter().map(|c| c.data_type).collect())
}

/// `text` with every identifier spelled `old` replaced by `new` (quoted if it needs it).
pub fn rename_word(text: &str, old: &str, new: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, text).tokenize() else {
        return text.to_string();
    };
    let mut out = String::new();
    for t in tokens {
        match t {
            Token::Word(w)
                if (w.quote_style.is_none() && w.value.to_lowercase() == old)
                    || (w.quote_style == Some('"') && w.value == old) =>
            {
                out.push_str(&crate::expr::catalog_functions::quote_ident(new));
            }
            other => out.push_str(&other.to_string()),
        }
    }
    out
}
