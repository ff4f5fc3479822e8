//! DDL: statements that change the catalog, executed inside the session's transaction.
//!
//! The SQL layer decides what changes — PostgreSQL's naming rules ([`names`]),
//! dependencies and CASCADE ([`depend`]), validation of existing rows (a new CHECK, NOT
//! NULL or FOREIGN KEY), the new rows of a rewrite — and hands the storage finished
//! definitions through [`crate::storage::Txn`]'s DDL methods. Every change is transactional
//! and statement-atomic: a failing statement's catalog changes and row writes are discarded
//! by the storage's statement rollback, whatever step failed.
//!
//! One file per statement family:
//!
//! | file              | statements                                                        |
//! |-------------------|-------------------------------------------------------------------|
//! | [`create_table`]  | CREATE TABLE [AS], SELECT INTO, CREATE MATERIALIZED VIEW          |
//! | [`table_like`]    | CREATE TABLE's LIKE elements: copied columns, keys, indexes       |
//! | [`columns`]       | column definitions: types, serial, identity, DEFAULT              |
//! | [`constraints`]   | PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY definitions and checks    |
//! | [`alter_table`]   | ALTER TABLE                                                       |
//! | [`index`]         | CREATE / ALTER INDEX                                              |
//! | [`drop`]          | DROP TABLE / VIEW / INDEX / SEQUENCE / SCHEMA [CASCADE]           |
//! | [`depend`]        | what depends on an object                                         |
//! | [`sequence`]      | CREATE / ALTER SEQUENCE                                           |
//! | [`view`]          | CREATE [OR REPLACE] VIEW, ALTER VIEW, REFRESH MATERIALIZED VIEW   |
//! | [`schema`]        | CREATE / ALTER SCHEMA                                             |
//! | [`misc`]          | TRUNCATE, COMMENT ON, VACUUM / ANALYZE, CREATE / DROP DATABASE    |
//! | [`role`]          | CREATE / ALTER / DROP ROLE (USER), OWNER TO                       |
//! | [`grant`]         | GRANT / REVOKE on tables, views and schemas                       |
//! | [`types`]         | CREATE TYPE AS (...) (composite), DROP TYPE                       |
//! | [`enums`]         | CREATE TYPE AS ENUM, ALTER TYPE                                   |
//! | [`domains`]       | CREATE / ALTER / DROP DOMAIN                                      |
//! | [`extension`]     | CREATE / DROP EXTENSION                                           |
//! | [`database`]      | ALTER DATABASE ... SET / RESET                                    |

pub mod alter_function;
pub mod alter_table;
pub mod call;
pub mod columns;
pub mod constraints;
pub mod create_table;
pub mod database;
pub mod default_privileges;
pub mod depend;
pub mod domains;
pub mod drop;
pub mod enums;
pub mod extension;
pub mod function;
pub mod generated;
pub mod grant;
pub(crate) mod grant_columns;
pub mod index;
pub mod misc;
pub mod names;
pub mod owned;
pub mod partition;
pub mod partition_attach;
pub mod reloptions;
pub mod role;
pub mod role_membership;
pub mod schema;
pub mod sequence;
pub mod set_schema;
pub mod table_like;
pub mod trigger;
pub mod types;
pub mod utility;
pub mod view;

use crate::binder::{Binder, OutputColumn, split_name};
use crate::executor::{self, Context};
use crate::parse::Statement;
use crate::planner::{self, Plan};
use crate::result::StatementResult;
use crate::storage::{Catalog, Oid, Row, TableDef, Txn};
use crate::types::DataType;
use crate::{Error, Result, Value};
use sqlparser::ast;
use std::sync::Arc;

/// What a DDL statement works with.
pub struct Ddl<'a> {
    pub txn: &'a mut dyn Txn,
    /// Schemas searched for unqualified names (`pg_catalog` first).
    pub search_path: Vec<Oid>,
    pub params: &'a [Value],
    /// The parameters' types (as the statement was bound).
    pub param_types: &'a [DataType],
}

impl<'a> Ddl<'a> {
    /// The catalog now (after this statement's earlier changes).
    pub fn catalog(&self) -> Result<Arc<Catalog>> {
        self.txn.catalog()
    }

    /// A binder over the current catalog.
    pub fn binder(&self) -> Result<Binder> {
        Ok(Binder::new(self.catalog()?, Vec::new()).with_search_path(self.search_path.clone()))
    }

    /// The schema to create an object called `name` in, and its bare name.
    pub fn target(&self, name: &ast::ObjectName) -> Result<(Oid, String)> {
        let (schema, rel) = split_name(name)?;
        let oid = match schema {
            Some(s) => {
                self.catalog()?
                    .schema(&s)
                    .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?
                    .oid
            }
            None => crate::binder::creation_schema(&*self.catalog()?, &self.search_path)?,
        };
        crate::privilege::require_schema(
            &*self.catalog()?,
            oid,
            crate::storage::catalog::acl::CREATE,
        )?;
        Ok((oid, rel))
    }

    /// Where `CREATE TEMP TABLE name` goes: the session's temporary schema, created on
    /// first use (a leftover of an earlier session with the same backend pid, which ended
    /// without dropping it, is emptied first, as PostgreSQL does). A schema other than
    /// `pg_temp` in `name` is 42P16.
    pub fn temp_target(&mut self, name: &ast::ObjectName) -> Result<(Oid, String)> {
        let (schema, rel) = split_name(name)?;
        let temp = crate::binder::temp_schema_name();
        if let Some(s) = schema
            && s != "pg_temp"
            && s != temp
        {
            return Err(Error::InvalidTableDefinition(
                "cannot create temporary relation in non-temporary schema".into(),
            ));
        }
        let used = crate::env::with(|e| {
            e.session
                .temp_schema
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        });
        if !used && self.catalog()?.schema(&temp).is_some() {
            let drop = crate::parse::parse(&format!("DROP SCHEMA {temp} CASCADE"))?;
            for stmt in &drop {
                execute(self, stmt)?;
            }
            crate::notice::take(); // the cascade's NOTICEs are not the user's business
        }
        let oid = match self.catalog()?.schema(&temp) {
            Some(s) => s.oid,
            None => schema::create_temp(self, &temp)?,
        };
        Ok((oid, rel))
    }

    /// Where a new relation `name` goes (the temporary schema when `temporary`), or `None`
    /// when one by that name exists and `if_not_exists` says to skip (with PostgreSQL's
    /// NOTICE); 42P07 when it exists otherwise.
    pub fn new_relation(
        &mut self,
        name: &ast::ObjectName,
        temporary: bool,
        if_not_exists: bool,
    ) -> Result<Option<(Oid, String)>> {
        let (schema, rel) = if temporary {
            self.temp_target(name)?
        } else {
            self.target(name)?
        };
        if !self.catalog()?.relation_exists(schema, &rel) {
            return Ok(Some((schema, rel)));
        }
        if if_not_exists {
            crate::notice::skipping_existing("42P07", "relation", &rel);
            return Ok(None);
        }
        Err(Error::DuplicateTable(rel))
    }

    /// The table `name` names (42P01; 42809 if it is another kind of relation).
    pub fn table(&self, name: &ast::ObjectName) -> Result<TableDef> {
        let mut b = self.binder()?;
        match b.resolve_relation(name)? {
            crate::binder::FromRelation::Table(t) => Ok(t),
            _ => Err(Error::WrongObjectType(format!(
                "\"{}\" is not a table",
                split_name(name)?.1
            ))),
        }
    }

    /// Plans and runs `plan`, returning its rows.
    pub fn run(&mut self, plan: Plan) -> Result<Vec<Row>> {
        let _env = crate::env::with_catalog(self.catalog()?);
        let plan = planner::optimize(plan);
        let mut op = executor::build(&plan);
        let mut ctx = Context::new(&mut *self.txn, self.params);
        Ok(executor::collect(op.as_mut(), &mut ctx)?
            .into_iter()
            .map(|t| t.row)
            .collect())
    }

    /// Binds and runs a query.
    pub fn query(&mut self, q: &ast::Query) -> Result<(Vec<OutputColumn>, Vec<Row>)> {
        let mut b = self.binder()?;
        b.params = self.params.iter().map(|_| None).collect();
        let (plan, columns) = b.bind_query(q)?;
        let catalog = self.catalog()?;
        crate::privilege::check(&catalog, &crate::privilege::current(&catalog), &b.needs)?;
        let rows = self.run(plan)?;
        Ok((columns, rows))
    }
}

/// Executes `stmt` if it is DDL (`None` otherwise).
pub fn execute(ddl: &mut Ddl, stmt: &Statement) -> Result<Option<StatementResult>> {
    use ast::Statement as S;
    let stmt = match stmt {
        Statement::AlterSequence(a) => return sequence::alter(ddl, a).map(Some),
        Statement::Maintenance(m) => return misc::maintenance(ddl, m).map(Some),
        Statement::Utility(u) => return utility::execute(ddl, u).map(Some),
        Statement::ReassignOwned(r) => return owned::reassign(ddl, r).map(Some),
        Statement::DropOwned(d) => return owned::drop(ddl, d).map(Some),
        Statement::RenameIndexIfExists { name, new_name } => {
            return index::rename_if_exists(ddl, name, new_name).map(Some);
        }
        Statement::AlterDatabase { name, operation } => {
            return database::alter(ddl, name, operation).map(Some);
        }
        Statement::CreateTableAs(c) => return create_table::create_as(ddl, c).map(Some),
        Statement::CreateDomain(c) => return domains::create(ddl, c).map(Some),
        Statement::CreateSchemaElements { create, elements } => {
            return schema::create_with_elements(ddl, create, elements).map(Some);
        }
        Statement::AlterDomain(a) => return domains::alter(ddl, a).map(Some),
        Statement::Sql(s) => s,
        Statement::Copy(_) | Statement::Cursor(_) => return Ok(None),
        Statement::Do { body, language } => return function::run_do(ddl, body, language).map(Some),
        Statement::CreateProcedure(c) => return function::create(ddl, c, true).map(Some),
        Statement::DropRoutine(d) => return function::drop(ddl, d, None).map(Some),
        Statement::AlterRoutine { procedure, alter } => {
            return alter_function::alter(ddl, alter, *procedure).map(Some);
        }
        Statement::CommentOnRoutine {
            procedure,
            func,
            text,
        } => return function::comment(ddl, func, *procedure, text.as_deref()).map(Some),
    };
    let r = match stmt {
        S::CreateTable(c) => create_table::create(ddl, c)?,
        S::Query(q) if create_table::is_select_into(q) => create_table::select_into(ddl, q)?,
        S::CreateIndex(c) => index::create(ddl, c)?,
        S::AlterIndex { name, operation } => index::alter(ddl, name, operation)?,
        S::CreateSchema {
            schema_name,
            if_not_exists,
            ..
        } => schema::create(ddl, schema_name, *if_not_exists)?,
        S::AlterSchema(a) => schema::alter(ddl, a)?,
        S::AlterFunction(a) => alter_function::alter(ddl, a, Some(false))?,
        S::CreateSequence {
            temporary,
            if_not_exists,
            name,
            sequence_options,
        } => sequence::create(ddl, name, *temporary, *if_not_exists, sequence_options)?,
        S::CreateView(v) => view::create(ddl, v)?,
        S::AlterView(v) => view::alter(ddl, v)?,
        S::RefreshMaterializedView(r) => view::refresh(ddl, r)?,
        S::AlterTable(a) => alter_table::execute(ddl, a)?,
        S::CreateTrigger(c) => trigger::create(ddl, c)?,
        S::DropTrigger(d) => trigger::drop(ddl, d)?,
        S::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => drop::execute(ddl, *object_type, names, *if_exists, *cascade)?,
        S::Truncate(t) => misc::truncate(ddl, t)?,
        S::Lock(l) => misc::lock_tables(ddl, l)?,
        S::Comment {
            object_type,
            object_name,
            comment,
            if_exists,
            ..
        } => misc::comment(
            ddl,
            object_type,
            object_name,
            comment.as_deref(),
            *if_exists,
        )?,
        S::CreateDatabase { .. } => return Err(misc::one_database()),
        S::CreateFunction(c) => function::create(ddl, c, false)?,
        S::Call(f) => call::execute(ddl, f)?,
        S::CreateType {
            name,
            representation,
        } => types::create(ddl, name, representation.as_ref())?,
        S::DropFunction(d) => function::drop(ddl, d, Some(false))?,
        S::DropProcedure {
            if_exists,
            proc_desc,
            drop_behavior,
        } => function::drop(
            ddl,
            &ast::DropFunction {
                if_exists: *if_exists,
                func_desc: proc_desc.clone(),
                drop_behavior: *drop_behavior,
            },
            Some(true),
        )?,
        S::AlterType(a) => enums::alter(ddl, a)?,
        S::DropDomain(d) => domains::drop(ddl, d)?,
        S::CreateExtension(c) => extension::create(ddl, c)?,
        S::DropExtension(d) => extension::drop(ddl, d)?,
        S::CreateRole(c) => role::create(ddl, c)?,
        S::AlterRole { name, operation } => role::alter(ddl, name, operation)?,
        S::Grant(g) => grant::execute(
            ddl,
            &g.privileges,
            g.objects.as_ref(),
            &g.grantees,
            grant::Change::Grant {
                with_grant_option: g.with_grant_option,
            },
        )?,
        S::Revoke(r) => grant::execute(
            ddl,
            &r.privileges,
            r.objects.as_ref(),
            &r.grantees,
            grant::Change::Revoke {
                grant_option_for: r.grant_option_for,
                cascade: matches!(r.cascade, Some(ast::CascadeOption::Cascade)),
            },
        )?,
        S::AlterDefaultPrivileges(a) => default_privileges::execute(ddl, a)?,
        S::GrantRole(g) => role_membership::grant(ddl, g)?,
        S::RevokeRole(r) => role_membership::revoke(ddl, r)?,
        _ => return Ok(None),
    };
    Ok(Some(r))
}
