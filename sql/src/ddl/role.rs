//! Roles and privileges: CREATE ROLE / USER, ALTER ROLE, DROP ROLE, GRANT / REVOKE on
//! tables, views and schemas, and the owner changes of `ALTER ... OWNER TO`, with
//! PostgreSQL 15's rules and messages (42710 duplicate role, 42704 unknown role, 2BP01 a
//! role that owns objects or holds privileges, 42501 not allowed).
//!
//! A password is stored only as a SCRAM-SHA-256 verifier ([`crate::scram`]); one given
//! already as a verifier is stored as is.

use super::Ddl;
use crate::binder::{ident, split_name};
use crate::privilege;
use crate::result::StatementResult;
use crate::storage::catalog::RoleSetting;
use crate::storage::catalog::acl::AclItem;
use crate::storage::{Catalog, Oid, Relation, RoleDef};
use crate::types::{DataType, Value, cast};
use crate::{Error, Result};
use sqlparser::ast;

fn undefined_role(name: &str) -> Error {
    Error::UndefinedObject(format!("role \"{name}\" does not exist"))
}

/// The role `name` (42704 when absent).
fn role(catalog: &Catalog, name: &str) -> Result<RoleDef> {
    privilege::role_named(catalog, name).ok_or_else(|| undefined_role(name))
}

/// The OID of `OWNER TO`'s new owner.
pub fn owner_oid(catalog: &Catalog, owner: &ast::Owner) -> Result<Oid> {
    let name = match owner {
        ast::Owner::Ident(i) => ident(i),
        ast::Owner::CurrentRole | ast::Owner::CurrentUser => privilege::current(catalog).name,
        ast::Owner::SessionUser => crate::env::with(|e| e.session.user.clone()),
    };
    Ok(role(catalog, &name)?.oid)
}

/// Gives an object to `new`: its owner and the owner's entries of its ACL (as PostgreSQL's
/// `aclnewowner`).
pub fn change_owner(owner: &mut Oid, acl: &mut Option<Vec<AclItem>>, new: Oid) {
    let old = *owner;
    *owner = new;
    if let Some(items) = acl {
        let mut merged: Vec<AclItem> = Vec::with_capacity(items.len());
        for mut i in items.drain(..) {
            if i.grantee == old {
                i.grantee = new;
            }
            if i.grantor == old {
                i.grantor = new;
            }
            // Entries that now name the same grantee and grantor become one.
            match merged
                .iter_mut()
                .find(|m| m.grantee == i.grantee && m.grantor == i.grantor)
            {
                Some(m) => {
                    m.privileges |= i.privileges;
                    m.grant_options |= i.grant_options;
                }
                None => merged.push(i),
            }
        }
        *items = merged;
    }
}

/// [`change_owner`] for the column ACLs of a relation owned by `old` (PostgreSQL's
/// `change_owner_fix_column_acls`).
pub fn change_column_owners<'a>(
    acls: impl Iterator<Item = &'a mut Option<Vec<AclItem>>>,
    old: Oid,
    new: Oid,
) {
    for acl in acls {
        let mut owner = old;
        change_owner(&mut owner, acl, new);
    }
}

/// 42501 `must be owner of schema s` unless the current role owns it or is a superuser.
pub fn require_schema_owner(catalog: &Catalog, oid: Oid) -> Result<()> {
    let who = privilege::current(catalog);
    match catalog.schema_by_oid(oid) {
        Some(s) if !who.superuser && !who.acts_as(s.owner) => Err(Error::InsufficientPrivilege(
            format!("must be owner of schema {}", s.name),
        )),
        _ => Ok(()),
    }
}

/// `CONNECTION LIMIT n`: -1 (no limit) or more (22023 below, as PostgreSQL).
fn connection_limit(e: &ast::Expr) -> Result<i32> {
    let text = match e {
        ast::Expr::Value(v) => v.value.to_string(),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => format!("-{expr}"),
        other => other.to_string(),
    };
    let n: i32 = text
        .parse()
        .map_err(|_| Error::SyntaxError(format!("syntax error at or near \"{text}\"")))?;
    if n < -1 {
        return Err(Error::InvalidParameterValue(format!(
            "invalid connection limit: {n}"
        )));
    }
    Ok(n)
}

/// A string constant (PASSWORD, VALID UNTIL).
fn string(e: &ast::Expr, what: &str) -> Result<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Ok(s.clone()),
            ast::Value::DollarQuotedString(d) => Ok(d.value.clone()),
            _ => Err(Error::SyntaxError(format!("{what} must be a string"))),
        },
        _ => Err(Error::SyntaxError(format!("{what} must be a string"))),
    }
}

/// The stored form of `PASSWORD '...'`: a verifier.
fn password(p: &ast::Password) -> Result<Option<String>> {
    match p {
        ast::Password::NullPassword => Ok(None),
        ast::Password::Password(e) => {
            let text = string(e, "PASSWORD")?;
            if text.is_empty() {
                // PostgreSQL: an empty password is the same as no password.
                return Ok(None);
            }
            Ok(Some(if crate::scram::is_verifier(&text) {
                text
            } else {
                crate::scram::generate(&text)
            }))
        }
    }
}

/// `VALID UNTIL '...'` as `timestamptz` text.
fn valid_until(e: &ast::Expr) -> Result<String> {
    let text = string(e, "VALID UNTIL")?;
    let v = cast::cast(
        Value::Text(text),
        DataType::Text,
        DataType::Timestamptz(None),
        true,
    )?;
    Ok(v.to_string())
}

/// May the current role create or change (non-superuser) roles? 42501 otherwise.
fn require_createrole(catalog: &Catalog, superuser_target: bool, action: &str) -> Result<()> {
    let who = privilege::current(catalog);
    if who.superuser {
        return Ok(());
    }
    let createrole = catalog.role(&who.name).is_some_and(|r| r.create_role);
    if superuser_target {
        return Err(Error::InsufficientPrivilege(format!(
            "must be superuser to {action} superusers"
        )));
    }
    if !createrole {
        return Err(Error::InsufficientPrivilege(format!(
            "permission denied to {action} role"
        )));
    }
    Ok(())
}

/// CREATE ROLE / CREATE USER (the parser makes USER's LOGIN explicit).
pub fn create(ddl: &mut Ddl, c: &ast::CreateRole) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let superuser = c.superuser.unwrap_or(false);
    require_createrole(&catalog, superuser, "create")?;
    let connection_limit = c
        .connection_limit
        .as_ref()
        .map(connection_limit)
        .transpose()?
        .unwrap_or(-1);
    for n in &c.names {
        let (_, name) = split_name(n)?;
        if name.starts_with("pg_") {
            return Err(Error::ReservedName(format!(
                "role name \"{name}\" is reserved"
            )));
        }
        if ["public", "none"].contains(&name.as_str()) {
            return Err(Error::ReservedName(format!(
                "role name \"{name}\" is reserved"
            )));
        }
        if ddl.catalog()?.role(&name).is_some() {
            if c.if_not_exists {
                continue;
            }
            return Err(Error::DuplicateObject(format!(
                "role \"{name}\" already exists"
            )));
        }
        let def = RoleDef {
            oid: ddl.txn.new_oid()?,
            name,
            superuser,
            inherit: c.inherit.unwrap_or(true),
            create_role: c.create_role.unwrap_or(false),
            create_db: c.create_db.unwrap_or(false),
            login: c.login.unwrap_or(false),
            replication: c.replication.unwrap_or(false),
            bypass_rls: c.bypassrls.unwrap_or(false),
            connection_limit,
            password: c.password.as_ref().map(password).transpose()?.flatten(),
            valid_until: c.valid_until.as_ref().map(valid_until).transpose()?,
            member_of: Vec::new(),
            config: Vec::new(),
        };
        ddl.txn.put_role(def.clone())?;
        super::role_membership::create_memberships(ddl, &def, c)?;
    }
    Ok(StatementResult::command("CREATE ROLE"))
}

/// ALTER ROLE name [WITH] options | RENAME TO new.
pub fn alter(
    ddl: &mut Ddl,
    name: &ast::Ident,
    op: &ast::AlterRoleOperation,
) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    // CURRENT_USER / CURRENT_ROLE / SESSION_USER (unquoted) name the session's roles.
    let name = match (name.quote_style, name.value.to_ascii_lowercase().as_str()) {
        (None, "current_user" | "current_role") => privilege::current(&catalog).name,
        (None, "session_user") => crate::env::with(|e| e.session.user.clone()),
        _ => ident(name),
    };
    let mut def = role(&catalog, &name)?;
    if !catalog.roles.iter().any(|r| r.oid == def.oid) {
        return Err(Error::InsufficientPrivilege(format!(
            "permission denied to alter role \"{name}\""
        )));
    }
    let who = privilege::current(&catalog);
    match op {
        ast::AlterRoleOperation::WithOptions { options } => {
            // A role may change its own password, nothing else, without CREATEROLE.
            let own_password = who.oid == def.oid
                && options
                    .iter()
                    .all(|o| matches!(o, ast::RoleOption::Password(_)));
            let makes_superuser = options
                .iter()
                .any(|o| matches!(o, ast::RoleOption::SuperUser(_)));
            if !own_password {
                require_createrole(&catalog, def.superuser || makes_superuser, "alter")?;
            }
            for o in options {
                match o {
                    ast::RoleOption::SuperUser(b) => def.superuser = *b,
                    ast::RoleOption::CreateDB(b) => def.create_db = *b,
                    ast::RoleOption::CreateRole(b) => def.create_role = *b,
                    ast::RoleOption::Login(b) => def.login = *b,
                    ast::RoleOption::Inherit(b) => def.inherit = *b,
                    ast::RoleOption::Replication(b) => def.replication = *b,
                    ast::RoleOption::BypassRLS(b) => def.bypass_rls = *b,
                    ast::RoleOption::Password(p) => def.password = password(p)?,
                    ast::RoleOption::ValidUntil(e) => def.valid_until = Some(valid_until(e)?),
                    ast::RoleOption::ConnectionLimit(e) => {
                        def.connection_limit = connection_limit(e)?;
                    }
                }
            }
        }
        ast::AlterRoleOperation::RenameRole { role_name } => {
            require_createrole(&catalog, def.superuser, "rename")?;
            let new = ident(role_name);
            if crate::env::with(|e| e.session.user.clone()) == name {
                return Err(Error::unsupported("session user cannot be renamed"));
            }
            if catalog.role(&new).is_some() {
                return Err(Error::DuplicateObject(format!(
                    "role \"{new}\" already exists"
                )));
            }
            if new.starts_with("pg_") {
                return Err(Error::ReservedName(format!(
                    "role name \"{new}\" is reserved"
                )));
            }
            def.name = new;
        }
        ast::AlterRoleOperation::Set {
            config_name,
            config_value,
            in_database,
        } => {
            require_config_rights(&catalog, &who, &def)?;
            let database = in_database.as_ref().map(database_oid).transpose()?;
            let (name, value) = setting(config_name, config_value)?;
            set_config(&mut def.config, database, &name, value)?;
        }
        ast::AlterRoleOperation::Reset {
            config_name,
            in_database,
        } => {
            require_config_rights(&catalog, &who, &def)?;
            let database = in_database.as_ref().map(database_oid).transpose()?;
            match config_name {
                ast::ResetConfig::ALL => def.config.retain(|c| c.database != database),
                ast::ResetConfig::ConfigName(n) => {
                    set_config(&mut def.config, database, &parameter_name(n), None)?;
                }
            }
        }
        other => {
            return Err(Error::unsupported(format!(
                "ALTER ROLE {other} is not supported yet"
            )));
        }
    }
    ddl.txn.put_role(def)?;
    Ok(StatementResult::command("ALTER ROLE"))
}

/// Who may change a role's session defaults: the role itself, or whoever may alter it.
fn require_config_rights(catalog: &Catalog, who: &privilege::Who, def: &RoleDef) -> Result<()> {
    if who.oid == def.oid {
        return Ok(());
    }
    require_createrole(catalog, def.superuser, "alter")
}

/// A parameter's name as written (`work_mem`, `my.custom`).
/// The parameter and value of `SET name { TO | = } value | DEFAULT | FROM CURRENT` in ALTER
/// ROLE / ALTER DATABASE (`None`: DEFAULT, i.e. remove it).
pub fn setting(
    config_name: &ast::ObjectName,
    config_value: &ast::SetConfigValue,
) -> Result<(String, Option<String>)> {
    let name = parameter_name(config_name);
    let value = match config_value {
        ast::SetConfigValue::Default => None,
        ast::SetConfigValue::FromCurrent => {
            Some(crate::env::with(|e| e.session.settings().show(&name))?)
        }
        ast::SetConfigValue::Value(ast::Expr::Tuple(list)) => {
            crate::session::settings_commands::flatten(list, &name)?
        }
        ast::SetConfigValue::Value(v) => {
            crate::session::settings_commands::flatten(std::slice::from_ref(v), &name)?
        }
    };
    Ok((name, value))
}

pub fn parameter_name(name: &ast::ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => ident(i),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `IN DATABASE name`: the one database there is (3D000 for any other name).
fn database_oid(name: &ast::ObjectName) -> Result<Oid> {
    let name = crate::binder::object_name(name)?;
    if crate::env::with(|e| e.session.database == name) {
        Ok(crate::storage::catalog::oids::DATABASE_OID)
    } else {
        Err(Error::UndefinedDatabase(format!(
            "database \"{name}\" does not exist"
        )))
    }
}

/// Sets (or with `None` removes) `role`'s default for `name` in `database`, validated as
/// SET would validate it; a new name goes last, a known one keeps its place.
pub fn set_config(
    config: &mut Vec<RoleSetting>,
    database: Option<Oid>,
    name: &str,
    value: Option<String>,
) -> Result<()> {
    let check = crate::settings::Settings::new();
    if let Some(v) = &value {
        check.check(name, v)?;
    } else {
        // RESET of an unknown name is 42704 too.
        check.show(name).or_else(|e| {
            if name.contains('.') {
                Ok(String::new())
            } else {
                Err(e)
            }
        })?;
    }
    let name = crate::settings::Settings::display_name(name);
    let at = config
        .iter()
        .position(|c| c.database == database && c.name.eq_ignore_ascii_case(&name));
    match (at, value) {
        (Some(i), Some(value)) => config[i].value = value,
        (None, Some(value)) => config.push(RoleSetting {
            database,
            name,
            value,
        }),
        (Some(i), None) => {
            config.remove(i);
        }
        (None, None) => {}
    }
    Ok(())
}

/// What role `oid` owns or holds privileges on, as DROP ROLE's DETAIL lines.
fn dependents(catalog: &Catalog, oid: Oid) -> Vec<String> {
    let mut owns = Vec::new();
    let mut privileges = Vec::new();
    let names = |items: &[AclItem]| items.iter().any(|i| i.grantee == oid || i.grantor == oid);
    let mut relation = |rel: Relation| {
        let (owner, acl) = privilege::relation_acl(&rel);
        let what = format!("{} {}", rel.kind_name(), rel.name());
        if owner == oid {
            owns.push((rel.oid(), 0, format!("owner of {what}")));
            return;
        }
        if names(&acl) {
            privileges.push((rel.oid(), 0, format!("privileges for {what}")));
        }
        // Column privileges after the relation's, by column number.
        let columns: Vec<(&str, Option<&[AclItem]>)> = match &rel {
            Relation::Table(t) => t
                .columns
                .iter()
                .map(|c| (c.name.as_str(), c.acl.as_deref()))
                .collect(),
            Relation::View(v) => v
                .columns
                .iter()
                .map(|c| (c.name.as_str(), c.acl.as_deref()))
                .collect(),
            _ => Vec::new(),
        };
        for (i, (column, acl)) in columns.into_iter().enumerate() {
            if acl.is_some_and(names) {
                privileges.push((
                    rel.oid(),
                    i + 1,
                    format!("privileges for column {column} of {what}"),
                ));
            }
        }
    };
    for t in &catalog.tables {
        relation(Relation::Table(t));
    }
    for v in &catalog.views {
        relation(Relation::View(v));
    }
    for s in &catalog.sequences {
        relation(Relation::Sequence(s));
    }
    for s in &catalog.schemas {
        if s.owner == oid {
            owns.push((s.oid, 0, format!("owner of schema {}", s.name)));
        } else if s
            .acl
            .as_ref()
            .is_some_and(|a| a.iter().any(|i| i.grantee == oid || i.grantor == oid))
        {
            privileges.push((s.oid, 0, format!("privileges for schema {}", s.name)));
        }
    }
    owns.sort();
    privileges.sort();
    owns.into_iter()
        .chain(privileges)
        .map(|(_, _, line)| line)
        .chain(super::default_privileges::dependents(catalog, oid))
        .collect()
}

/// DROP ROLE / DROP USER [IF EXISTS] names.
pub fn drop(ddl: &mut Ddl, names: &[ast::ObjectName], if_exists: bool) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let who = privilege::current(&catalog);
    let session_user = crate::env::with(|e| e.session.user.clone());
    for n in names {
        let (_, name) = split_name(n)?;
        let Some(def) = catalog.role(&name) else {
            if if_exists {
                crate::notice::skipping_missing("role", &name);
                continue;
            }
            return Err(undefined_role(&name));
        };
        if !catalog.roles.iter().any(|r| r.oid == def.oid) {
            return Err(Error::DependentObjectsStillExist {
                message: format!(
                    "cannot drop role {name} because it is required by the database system"
                ),
                detail: String::new(),
            });
        }
        if name == who.name || name == session_user {
            return Err(Error::ObjectInUse(if name == session_user {
                "session user cannot be dropped".into()
            } else {
                "current user cannot be dropped".into()
            }));
        }
        require_createrole(&catalog, def.superuser, "drop")?;
        let detail = dependents(&catalog, def.oid);
        if !detail.is_empty() {
            return Err(Error::DependentObjectsStillExist {
                message: format!(
                    "role \"{name}\" cannot be dropped because some objects depend on it"
                ),
                detail: detail.join("\n"),
            });
        }
        super::role_membership::forget_role(ddl, def.oid)?;
        ddl.txn.drop_role(def.oid)?;
    }
    Ok(StatementResult::command("DROP ROLE"))
}
