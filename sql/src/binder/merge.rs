//! Binding of MERGE (PostgreSQL 15):
//!
//! ```text
//! MERGE INTO target [AS t] USING source ON condition
//!   WHEN MATCHED [AND condition] THEN UPDATE SET ... | DELETE | DO NOTHING
//!   WHEN NOT MATCHED [AND condition] THEN INSERT [(columns)] VALUES (...)
//!                                         | INSERT DEFAULT VALUES | DO NOTHING
//! ```
//!
//! The source (a table, a subquery or VALUES with an alias) is bound as a FROM item and
//! LEFT JOINed to a scan of the target that also yields each row's storage key
//! (`Scan::key_columns`), so the joined row is `[source..., target..., key...]`; the planner
//! turns the ON equalities into a hash join as for any outer join. MATCHED clauses read the
//! whole joined row; NOT MATCHED clauses read the source only — a target column there is
//! PostgreSQL's 42P01 "invalid reference to FROM-clause entry". UPDATE SET and INSERT are
//! bound by the same rules as the plain statements (assignment coercion, DEFAULT, identity
//! and generated columns: `dml.rs`); generated columns are computed on the new row by the
//! executor ([`crate::executor::Merge`]).
//!
//! `INSERT DEFAULT VALUES`, which sqlparser does not parse in a MERGE clause, arrives as
//! `INSERT VALUES ("<marker>")` ([`crate::parse::merge`]). RETURNING and `NOT MATCHED BY
//! SOURCE | TARGET` are not PostgreSQL 15 syntax and are refused as it refuses them.

use super::expr::ExprCtx;
use super::{Binder, BoundStatement, CommandKind, FromRelation, Scope, ScopeColumn, ident};
use crate::expr::Expr;
use crate::planner::{AccessPlan, JoinKind, MergeAction, MergePlan, MergeWhen, Plan};
use crate::storage::TableDef;
use crate::storage::catalog::acl;
use crate::{Error, Result};
use sqlparser::ast;

/// The name of the `i`th hidden key column of the target in the joined row.
fn key_column(i: usize) -> String {
    format!("\u{1}merge key {i}")
}

fn syntax_error_at(what: &str) -> Error {
    Error::SyntaxError(format!("syntax error at or near \"{what}\""))
}

impl Binder {
    pub(super) fn bind_merge(&mut self, m: &ast::Merge) -> Result<BoundStatement> {
        if m.output.is_some() {
            return Err(syntax_error_at("RETURNING"));
        }
        // Each kind of clause may have one unconditional clause, last (as PostgreSQL checks
        // before anything else).
        let mut terminal = [false, false];
        for c in &m.clauses {
            let kind = match c.clause_kind {
                ast::MergeClauseKind::Matched => 0,
                ast::MergeClauseKind::NotMatched => 1,
                _ => return Err(syntax_error_at("BY")),
            };
            if terminal[kind] {
                return Err(Error::SyntaxError(
                    "unreachable WHEN clause specified after unconditional WHEN clause".into(),
                ));
            }
            terminal[kind] |= c.predicate.is_none();
        }
        let ast::TableFactor::Table {
            name,
            alias,
            args: None,
            sample: None,
            ..
        } = &m.table
        else {
            return Err(Error::unsupported(
                "MERGE INTO this relation is not supported",
            ));
        };
        let table = match self.resolve_relation(name)? {
            FromRelation::Table(t) => t,
            FromRelation::View(v) => {
                return Err(Error::unsupported(format!(
                    "cannot execute MERGE on relation \"{}\"",
                    v.name
                )));
            }
            FromRelation::Sequence(s) => {
                return Err(Error::WrongObjectType(format!(
                    "cannot execute MERGE on relation \"{}\"",
                    s.name
                )));
            }
            FromRelation::System(t) => {
                return Err(Error::unsupported(format!(
                    "cannot execute MERGE on relation \"{}\"",
                    t.name
                )));
            }
        };
        let mut privileges = 0;
        for c in &m.clauses {
            privileges |= match c.action {
                ast::MergeAction::Insert(_) => acl::INSERT,
                ast::MergeAction::Update(_) => acl::UPDATE,
                ast::MergeAction::Delete { .. } => acl::DELETE,
                ast::MergeAction::DoNothing { .. } => 0,
            };
        }
        let need = self.need(table.id, privileges);
        let alias = alias.as_ref().map(|a| ident(&a.name));
        let qualifier = alias.clone().unwrap_or_else(|| table.name.clone());

        let (source_plan, source) = self.bind_from(&[ast::TableWithJoins {
            relation: m.source.clone(),
            joins: Vec::new(),
        }])?;
        if source
            .columns
            .iter()
            .any(|c| c.table.as_deref() == Some(qualifier.as_str()))
        {
            return Err(Error::DuplicateAlias(format!(
                "name \"{qualifier}\" specified more than once"
            )));
        }
        let (target, key_len) = self.target_scope(&table, alias.as_deref(), need);
        let mut joined = source.clone();
        joined.columns.extend(target.columns);
        let on = self.bind_bool(
            &m.on,
            &mut ExprCtx::plain(&joined, "JOIN conditions"),
            "JOIN/ON",
        )?;

        let mut matched = Vec::new();
        let mut not_matched = Vec::new();
        for c in &m.clauses {
            if matches!(c.clause_kind, ast::MergeClauseKind::Matched) {
                let condition = self.merge_condition(c.predicate.as_ref(), &joined)?;
                let action = match &c.action {
                    ast::MergeAction::Update(u) => {
                        let ast::MergeUpdateKind::Set(list) = &u.kind else {
                            return Err(syntax_error_at("*"));
                        };
                        if u.update_predicate.is_some() || u.delete_predicate.is_some() {
                            return Err(syntax_error_at("WHERE"));
                        }
                        let assignments = self.bind_assignments(list, &table, &joined)?;
                        for (col, _) in &assignments {
                            if !self.needs[need].updated.contains(col) {
                                self.needs[need].updated.push(*col);
                            }
                        }
                        MergeAction::Update(assignments)
                    }
                    ast::MergeAction::Delete { .. } => MergeAction::Delete,
                    ast::MergeAction::DoNothing { .. } => MergeAction::Nothing,
                    ast::MergeAction::Insert(_) => return Err(syntax_error_at("INSERT")),
                };
                matched.push(MergeWhen { condition, action });
            } else {
                let not_target = |e: Error| invalid_target_reference(e, &qualifier);
                let condition = self
                    .merge_condition(c.predicate.as_ref(), &source)
                    .map_err(not_target)?;
                let action = match &c.action {
                    ast::MergeAction::Insert(i) => self
                        .merge_insert(i, &table, &source, need)
                        .map_err(not_target)?,
                    ast::MergeAction::DoNothing { .. } => MergeAction::Nothing,
                    ast::MergeAction::Update(_) => return Err(syntax_error_at("UPDATE")),
                    ast::MergeAction::Delete { .. } => return Err(syntax_error_at("DELETE")),
                };
                not_matched.push(MergeWhen { condition, action });
            }
        }
        let generated = self.generated_columns(&table)?;
        let source_width = source.columns.len();
        let input = Plan::Join {
            left: Box::new(source_plan),
            right: Box::new(Plan::Scan {
                table: table.clone(),
                access: AccessPlan::Full,
                key_columns: true,
            }),
            kind: JoinKind::Left,
            on: Some(on.clone()),
            left_width: source_width,
            right_width: table.columns.len() + key_len,
        };
        let plan = Plan::Merge(Box::new(MergePlan {
            table,
            input,
            source_width,
            key_len,
            join: Some(on),
            matched,
            not_matched,
            generated,
        }));
        Ok(BoundStatement::Query {
            kind: CommandKind::Merge,
            plan,
            columns: Vec::new(),
            returns_rows: false,
        })
    }

    /// The target's columns (read under `need`) followed by its key's hidden columns, and
    /// the number of those.
    fn target_scope(
        &mut self,
        table: &TableDef,
        alias: Option<&str>,
        need: usize,
    ) -> (Scope, usize) {
        let mut scope = Scope::of_table(table, alias).with_origin(need);
        if alias.is_none() {
            let schema = self.catalog.schema_name(table.schema);
            for c in &mut scope.columns {
                c.schema = Some(schema.clone());
            }
        }
        let key_types = table.key_types();
        let qualifier = alias.unwrap_or(&table.name).to_string();
        for (i, t) in key_types.iter().enumerate() {
            scope.columns.push(ScopeColumn {
                table: Some(qualifier.clone()),
                name: key_column(i),
                data_type: *t,
                qualified_only: true,
                schema: None,
                whole_row: false,
                system: true,
                origin: None,
            });
        }
        (scope, key_types.len())
    }

    fn merge_condition(&mut self, e: Option<&ast::Expr>, scope: &Scope) -> Result<Option<Expr>> {
        let Some(e) = e else { return Ok(None) };
        let x = self.bind_bool(
            e,
            &mut ExprCtx::plain(scope, "MERGE WHEN conditions"),
            "WHEN",
        )?;
        Ok(Some(x))
    }

    /// `INSERT [(columns)] VALUES (...)` over the source row: the full target row.
    fn merge_insert(
        &mut self,
        i: &ast::MergeInsertExpr,
        table: &TableDef,
        source: &Scope,
        need: usize,
    ) -> Result<MergeAction> {
        let ast::MergeInsertKind::Values(values) = &i.kind else {
            return Err(syntax_error_at("*"));
        };
        if i.insert_predicate.is_some() {
            return Err(syntax_error_at("WHERE"));
        }
        let [row] = values.rows.as_slice() else {
            return Err(syntax_error_at(","));
        };
        let default_values = crate::parse::merge::is_default_values(&row.content);
        let targets: Vec<usize> = if i.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            if default_values {
                return Err(syntax_error_at("DEFAULT"));
            }
            let mut t = Vec::new();
            for c in &i.columns {
                let n = super::object_name(c)?;
                let col = Self::target_column(table, &n, c)?;
                if t.contains(&col) {
                    return Err(Error::DuplicateColumn(n));
                }
                t.push(col);
            }
            t
        };
        let given: &[ast::Expr] = if default_values { &[] } else { &row.content };
        if given.len() > targets.len() {
            return Err(Error::SyntaxError(
                "INSERT has more expressions than target columns".into(),
            ));
        }
        if given.len() < targets.len() && !i.columns.is_empty() {
            return Err(Error::SyntaxError(
                "INSERT has more target columns than expressions".into(),
            ));
        }
        let mut cells: Vec<Option<Expr>> = vec![None; table.columns.len()];
        for (e, &col) in given.iter().zip(&targets) {
            let c = &table.columns[col];
            if super::dml::is_default_keyword(e) {
                continue;
            }
            if c.generated {
                return Err(super::generated::written(&c.name, true));
            }
            if c.identity.is_some_and(|i| i.always) {
                return Err(super::dml::identity_always(&c.name, true));
            }
            let (x, t) = self.bind_expr(e, &mut ExprCtx::plain(source, "VALUES"))?;
            let x = self.assign(x, t, c.data_type, &c.name);
            if let Err(err) = &x {
                super::position::mark_coerced(err, e);
            }
            cells[col] = Some(x?);
        }
        for &col in &targets[..given.len()] {
            if !self.needs[need].inserted.contains(&col) {
                self.needs[need].inserted.push(col);
            }
        }
        let mut full = Vec::with_capacity(cells.len());
        for (col, cell) in cells.into_iter().enumerate() {
            full.push(match cell {
                Some(x) => x,
                None => self.default_expr(table, col)?,
            });
        }
        Ok(MergeAction::Insert(full))
    }
}

/// PostgreSQL's error for a NOT MATCHED clause naming the target (whose row is absent).
fn invalid_target_reference(e: Error, target: &str) -> Error {
    match e {
        Error::MissingFromEntry(t) if t == target => Error::WithHint {
            error: Box::new(Error::NoSuchRelation(format!(
                "invalid reference to FROM-clause entry for table \"{t}\""
            ))),
            hint: format!(
                "There is an entry for table \"{t}\", but it cannot be referenced from this part of the query."
            ),
        },
        Error::Positioned { error, position } => Error::Positioned {
            error: Box::new(invalid_target_reference(*error, target)),
            position,
        },
        other => other,
    }
}
