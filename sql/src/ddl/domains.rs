//! Domains: `CREATE DOMAIN`, `ALTER DOMAIN`, `DROP DOMAIN` (and DROP TYPE of a domain),
//! and the check of a value against a domain's constraints ([`Checker`]).
//!
//! A domain is a [`TypeDef`] whose body is a [`DomainDef`]: its base type, NOT NULL, the
//! DEFAULT's SQL text and its CHECK constraints (SQL text over `VALUE`). It has an array
//! type `_name` in `pg_type` (`typtype 'd'`, `typbasetype`), and its CHECKs are
//! `pg_constraint` rows with `contypid`.
//!
//! Values of a domain are values of its base type: the type parser reads a domain's name
//! as its base type, so expressions, operators and the wire (RowDescription's type OID)
//! see the base type, as PostgreSQL's wire does. What makes a domain more is applied
//! where a value *becomes* one:
//!
//! * a table column declared with a domain keeps its OID (`ColumnDef::domain`, shown by
//!   `pg_attribute.atttypid`, `\d`, `information_schema.columns.domain_name`); INSERT,
//!   UPDATE and COPY check its values ([`crate::executor`]'s constraints), and a column
//!   without a DEFAULT of its own takes the domain's;
//! * `CAST(x AS d)` / `x::d` checks the value ([`crate::expr::functions::Function`]'s
//!   `DomainCheck`).
//!
//! Messages are PostgreSQL's: `domain d does not allow null values` (23502), `value for
//! domain d violates check constraint "d_check"` (23514). ALTER DOMAIN ADD CONSTRAINT and
//! SET NOT NULL check the values of every column of the domain first.

use super::Ddl;
use crate::binder::{ident, split_name};
use crate::expr::Expr;
use crate::parse::domain::{AlterDomain, AlterDomainAction, Check, CreateDomain};
use crate::result::StatementResult;
use crate::storage::{
    Access, Catalog, ColumnDef, DomainCheck, DomainDef, Oid, TableDef, TypeBody, TypeDef,
};
use crate::types::DataType;
use crate::{Error, Result, Value};
use sqlparser::ast;
use std::sync::Arc;

/// A domain's constraints, bound and ready to check values.
pub struct Checker {
    name: String,
    not_null: bool,
    checks: Vec<(String, Expr)>,
}

/// A one-column table whose column `value` has the domain's base type: the scope CHECK
/// expressions are bound in.
fn value_table(base: DataType) -> TableDef {
    TableDef {
        name: "value".into(),
        columns: vec![ColumnDef::new("value", base)],
        ..TableDef::default()
    }
}

/// The domain `oid` of `catalog`, if it is one.
pub fn domain(catalog: &Catalog, oid: Oid) -> Option<(&TypeDef, &DomainDef)> {
    let t = catalog.types.iter().find(|t| t.oid == oid)?;
    match &t.body {
        TypeBody::Domain(d) => Some((t, d)),
        _ => None,
    }
}

impl Checker {
    /// Binds the constraints of domain `oid` (`None` if it is not a domain).
    pub fn new(catalog: Arc<Catalog>, oid: Oid) -> Result<Option<Checker>> {
        let Some((t, d)) = domain(&catalog, oid) else {
            return Ok(None);
        };
        let table = value_table(d.base);
        let mut checks: Vec<(String, Expr)> = Vec::new();
        let mut sorted: Vec<&DomainCheck> = d.checks.iter().collect();
        // PostgreSQL checks a domain's constraints in the order of their names.
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for c in sorted {
            let e = super::constraints::parse_expr(&c.expr)?;
            let (x, _) = super::constraints::bind_check(catalog.clone(), &table, &e)?;
            checks.push((c.name.clone(), x));
        }
        Ok(Some(Checker {
            name: t.name.clone(),
            not_null: d.not_null,
            checks,
        }))
    }

    /// Checks `v` (a value of the base type): 23502 for a NULL of a NOT NULL domain,
    /// 23514 for a CHECK that is false.
    pub fn check(&self, v: &Value) -> Result<()> {
        if v.is_null() && self.not_null {
            return Err(Error::DomainNotNull(format!(
                "domain {} does not allow null values",
                self.name
            )));
        }
        let row = [v.clone()];
        for (name, x) in &self.checks {
            if x.eval(&row, &crate::expr::Params(&[]))? == Value::Bool(false) {
                return Err(violation(&self.name, name));
            }
        }
        Ok(())
    }
}

fn violation(domain: &str, constraint: &str) -> Error {
    Error::CheckViolation {
        message: format!("value for domain {domain} violates check constraint \"{constraint}\""),
        detail: String::new(),
    }
}

thread_local! {
    /// The checkers [`check_value`] bound, for one catalog (held, so that its address is
    /// not reused while the cache names it).
    static CHECKERS: std::cell::RefCell<Option<CheckerCache>> =
        const { std::cell::RefCell::new(None) };
}

struct CheckerCache {
    catalog: Arc<Catalog>,
    checkers: std::collections::HashMap<Oid, Option<std::rc::Rc<Checker>>>,
}

/// `CAST(v AS d)` for domain `oid`: checks `v` through the running statement's catalog
/// (the domain's constraints are bound once per catalog and thread).
pub fn check_value(oid: Oid, v: &Value) -> Result<()> {
    let catalog = crate::env::catalog()?.catalog.clone();
    let cached = CHECKERS.with(|c| {
        let mut c = c.borrow_mut();
        match c.as_mut() {
            Some(cache) if Arc::ptr_eq(&cache.catalog, &catalog) => {
                cache.checkers.get(&oid).cloned()
            }
            _ => {
                *c = Some(CheckerCache {
                    catalog: catalog.clone(),
                    checkers: Default::default(),
                });
                None
            }
        }
    });
    let checker = match cached {
        Some(c) => c,
        None => {
            let c = Checker::new(catalog, oid)?.map(std::rc::Rc::new);
            CHECKERS.with(|cache| {
                if let Some(cache) = cache.borrow_mut().as_mut() {
                    cache.checkers.insert(oid, c.clone());
                }
            });
            c
        }
    };
    match checker {
        Some(c) => c.check(v),
        None => Ok(()),
    }
}

/// The domain a column type names, if it names one (unqualified or qualified, no type
/// modifiers), through the running statement's environment.
pub fn named(ty: &ast::DataType) -> Option<Oid> {
    let ast::DataType::Custom(name, mods) = ty else {
        return None;
    };
    if !mods.is_empty() {
        return None;
    }
    let text = name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| {
            if i.quote_style.is_some() {
                i.value.clone()
            } else {
                i.value.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(".");
    let oid = crate::env::with(|e| e.lookup.as_ref().and_then(|l| l.type_oid(&text)))?;
    let env = crate::env::catalog().ok()?;
    domain(&env.catalog, oid).map(|_| oid)
}

/// The next free name `base`, `base1`, `base2`, ... among `taken`.
fn choose_name(base: &str, taken: &[String]) -> String {
    (0..)
        .map(|i| {
            if i == 0 {
                base.to_string()
            } else {
                format!("{base}{i}")
            }
        })
        .find(|n| !taken.contains(n))
        .expect("some name is free")
}

/// A CHECK's stored form: its text, after making sure it binds over `VALUE`.
fn check_text(catalog: &Arc<Catalog>, base: DataType, c: &Check) -> Result<String> {
    super::constraints::bind_check(catalog.clone(), &value_table(base), &c.expr)?;
    Ok(c.expr.to_string())
}

/// CREATE DOMAIN.
pub fn create(ddl: &mut Ddl, c: &CreateDomain) -> Result<StatementResult> {
    let (schema, name) = ddl.target(&c.name)?;
    let catalog = ddl.catalog()?;
    if super::types::type_taken(&catalog, schema, &name) {
        return Err(Error::DuplicateObject(format!(
            "type \"{name}\" already exists"
        )));
    }
    let base = {
        let _env = crate::env::with_catalog(catalog.clone());
        DataType::from_sql(&c.data_type)?
    };
    if matches!(base, DataType::Composite(_) | DataType::Record) {
        return Err(Error::unsupported(
            "domains over composite types are not supported",
        ));
    }
    let oid = ddl.txn.new_oid()?;
    let array_oid = ddl.txn.new_oid()?;
    let mut checks: Vec<DomainCheck> = Vec::new();
    for ck in &c.checks {
        let taken: Vec<String> = checks.iter().map(|c| c.name.clone()).collect();
        let cname = match &ck.name {
            Some(n) if taken.contains(n) => {
                return Err(Error::DuplicateObject(format!(
                    "constraint \"{n}\" for domain \"{name}\" already exists"
                )));
            }
            Some(n) => n.clone(),
            None => choose_name(&format!("{name}_check"), &taken),
        };
        checks.push(DomainCheck {
            oid: ddl.txn.new_oid()?,
            name: cname,
            expr: check_text(&catalog, base, ck)?,
        });
    }
    ddl.txn.put_type(TypeDef {
        oid,
        schema,
        name,
        fields: Vec::new(),
        owner: crate::privilege::current(&catalog).oid,
        comment: None,
        body: TypeBody::Domain(DomainDef {
            base,
            not_null: c.not_null.unwrap_or(false),
            default: c.default.as_ref().map(|d| d.to_string()),
            checks,
        }),
        array_oid,
    })?;
    Ok(StatementResult::command("CREATE DOMAIN"))
}

/// The domain `name` names (42704; 42809 for another kind of type).
fn find(ddl: &Ddl, catalog: &Catalog, name: &ast::ObjectName) -> Result<Option<TypeDef>> {
    match super::types::find(catalog, &ddl.search_path, name)? {
        Some(t) if matches!(t.body, TypeBody::Domain(_)) => Ok(Some(t.clone())),
        Some(t) => Err(Error::WrongObjectType(format!(
            "\"{}\" is not a domain",
            t.name
        ))),
        None => Ok(None),
    }
}

fn owner_check(catalog: &Catalog, t: &TypeDef) -> Result<()> {
    let who = crate::privilege::current(catalog);
    if !who.superuser && !who.acts_as(t.owner) {
        return Err(Error::InsufficientPrivilege(format!(
            "must be owner of type {}",
            t.name
        )));
    }
    Ok(())
}

/// The columns declared with domain `oid`: (table, column position).
fn columns_of(catalog: &Catalog, oid: Oid) -> Vec<(TableDef, usize)> {
    let mut out = Vec::new();
    for t in &catalog.tables {
        for (i, c) in t.columns.iter().enumerate() {
            if c.domain == Some(oid) {
                out.push((t.clone(), i));
            }
        }
    }
    out
}

/// ALTER DOMAIN.
pub fn alter(ddl: &mut Ddl, a: &AlterDomain) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let Some(mut t) = find(ddl, &catalog, &a.name)? else {
        let (_, n) = split_name(&a.name)?;
        return Err(Error::UndefinedObject(format!(
            "type \"{n}\" does not exist"
        )));
    };
    owner_check(&catalog, &t)?;
    let type_name = t.name.clone();
    let TypeBody::Domain(d) = &mut t.body else {
        return Err(Error::Internal("not a domain".into()));
    };
    match &a.action {
        AlterDomainAction::SetDefault(e) => d.default = Some(e.to_string()),
        AlterDomainAction::DropDefault => d.default = None,
        AlterDomainAction::DropNotNull => d.not_null = false,
        AlterDomainAction::SetNotNull => {
            for (table, i) in columns_of(&catalog, t.oid) {
                for r in ddl.txn.scan(table.id, &Access::Full)? {
                    if r?.row[i].is_null() {
                        return Err(Error::DomainNotNull(format!(
                            "column \"{}\" of table \"{}\" contains null values",
                            table.columns[i].name, table.name
                        )));
                    }
                }
            }
            d.not_null = true;
        }
        AlterDomainAction::AddCheck { check, not_valid } => {
            let taken: Vec<String> = d.checks.iter().map(|c| c.name.clone()).collect();
            let cname = match &check.name {
                Some(n) if taken.contains(n) => {
                    return Err(Error::DuplicateObject(format!(
                        "constraint \"{n}\" for domain \"{type_name}\" already exists"
                    )));
                }
                Some(n) => n.clone(),
                None => choose_name(&format!("{type_name}_check"), &taken),
            };
            let expr = check_text(&catalog, d.base, check)?;
            if !not_valid {
                let e = super::constraints::parse_expr(&expr)?;
                let (x, _) =
                    super::constraints::bind_check(catalog.clone(), &value_table(d.base), &e)?;
                for (table, i) in columns_of(&catalog, t.oid) {
                    for r in ddl.txn.scan(table.id, &Access::Full)? {
                        let v = r?.row[i].clone();
                        if x.eval(&[v], &crate::expr::Params(&[]))? == Value::Bool(false) {
                            return Err(Error::CheckViolation {
                                message: format!(
                                    "column \"{}\" of table \"{}\" contains values that violate the new constraint",
                                    table.columns[i].name, table.name
                                ),
                                detail: String::new(),
                            });
                        }
                    }
                }
            }
            d.checks.push(DomainCheck {
                oid: ddl.txn.new_oid()?,
                name: cname,
                expr,
            });
        }
        AlterDomainAction::DropConstraint { name, if_exists } => {
            match d.checks.iter().position(|c| &c.name == name) {
                Some(i) => {
                    d.checks.remove(i);
                }
                None if *if_exists => {
                    crate::notice::emit(crate::notice::Notice::new(
                        "00000",
                        format!(
                            "constraint \"{name}\" of domain \"{type_name}\" does not exist, skipping"
                        ),
                    ));
                    return Ok(StatementResult::command("ALTER DOMAIN"));
                }
                None => {
                    return Err(Error::UndefinedObject(format!(
                        "constraint \"{name}\" of domain \"{type_name}\" does not exist"
                    )));
                }
            }
        }
        AlterDomainAction::RenameConstraint { from, to } => {
            if d.checks.iter().any(|c| &c.name == to) {
                return Err(Error::DuplicateObject(format!(
                    "constraint \"{to}\" for domain \"{type_name}\" already exists"
                )));
            }
            let c = d
                .checks
                .iter_mut()
                .find(|c| &c.name == from)
                .ok_or_else(|| {
                    Error::UndefinedObject(format!(
                        "constraint \"{from}\" of domain \"{type_name}\" does not exist"
                    ))
                })?;
            c.name = to.clone();
        }
        AlterDomainAction::ValidateConstraint(name) => {
            if !d.checks.iter().any(|c| &c.name == name) {
                return Err(Error::UndefinedObject(format!(
                    "constraint \"{name}\" of domain \"{type_name}\" does not exist"
                )));
            }
        }
        AlterDomainAction::RenameTo(n) => {
            let new = ident(n);
            if super::types::type_taken(&catalog, t.schema, &new) {
                return Err(Error::DuplicateObject(format!(
                    "type \"{new}\" already exists"
                )));
            }
            t.name = new;
        }
        AlterDomainAction::OwnerTo(r) => {
            let role = ident(r);
            let oid = catalog
                .all_roles()
                .into_iter()
                .find(|x| x.name == role)
                .map(|x| x.oid)
                .ok_or_else(|| Error::UndefinedObject(format!("role \"{role}\" does not exist")))?;
            t.owner = oid;
        }
    }
    ddl.txn.put_type(t)?;
    Ok(StatementResult::command("ALTER DOMAIN"))
}

/// DROP DOMAIN [IF EXISTS] name [CASCADE | RESTRICT]: the columns of the domain block it
/// (2BP01) or, with CASCADE, are dropped with it.
pub fn drop(ddl: &mut Ddl, d: &ast::DropDomain) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    match find(ddl, &catalog, &d.name)? {
        Some(t) => {
            owner_check(&catalog, &t)?;
            let cascade = matches!(d.drop_behavior, Some(ast::DropBehavior::Cascade));
            super::drop::drop_objects(ddl, &[super::depend::Obj::Type(t.oid)], cascade)?;
        }
        None if d.if_exists => {
            let (_, n) = split_name(&d.name)?;
            crate::notice::skipping_missing("type", &n);
        }
        None => {
            let (_, n) = split_name(&d.name)?;
            return Err(Error::UndefinedObject(format!(
                "type \"{n}\" does not exist"
            )));
        }
    }
    Ok(StatementResult::command("DROP DOMAIN"))
}
