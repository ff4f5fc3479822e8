//! # default_privileges: `ALTER DEFAULT PRIVILEGES`, and the ACL a new object starts with
//!
//! `ALTER DEFAULT PRIVILEGES [FOR ROLE r, ...] [IN SCHEMA s, ...] GRANT | REVOKE ... ON
//! TABLES | SEQUENCES | FUNCTIONS | ROUTINES | TYPES | SCHEMAS` edits entries of
//! `pg_default_acl` ([`DefaultAclDef`]), one per (role, schema or 0, object kind), as
//! PostgreSQL's `SetDefaultACL` does:
//!
//! * a **global** entry (no IN SCHEMA) starts from the kind's built-in default (the owner
//!   holds everything; PUBLIC also has EXECUTE on functions and USAGE on types) and
//!   *replaces* it: it may take privileges away from the owner;
//! * a **schema** entry starts empty and is *added* to the global one;
//! * the grantor is always the target role; an entry that ends equal to its starting point
//!   is removed; items are kept sorted by grantee, grantor as PostgreSQL sorts them.
//!
//! [`initial_acl`] is what a new table, view, sequence or schema gets
//! (`get_user_default_acl`): the global entry (or the built-in default) merged with the
//! schema entry; `None` — the implicit default — when that equals the built-in default.
//! FUNCTIONS and TYPES entries are kept and listed but change nothing yet (functions and
//! types have no ACL in Strata).

use super::Ddl;
use super::grant::{bits, grantees};
use crate::privilege;
use crate::result::StatementResult;
use crate::storage::catalog::acl::{self, AclItem};
use crate::storage::{Catalog, DefaultAclDef, Oid};
use crate::{Error, Result};
use sqlparser::ast;

/// `pg_default_acl.defaclobjtype` of relations, sequences, functions, types and schemas.
pub const RELATIONS: char = 'r';
pub const SEQUENCES: char = 'S';
pub const FUNCTIONS: char = 'f';
pub const TYPES: char = 'T';
pub const SCHEMAS: char = 'n';

/// The object kind letter, every privilege of that kind and its name in errors.
fn kind(t: &ast::DefaultPrivilegesObjectType) -> Result<(char, u16, &'static str)> {
    use ast::DefaultPrivilegesObjectType as T;
    Ok(match t {
        T::Tables => (RELATIONS, acl::ALL_RELATION, "relation"),
        T::Sequences => (SEQUENCES, acl::ALL_SEQUENCE, "sequence"),
        T::Functions | T::Routines => (FUNCTIONS, acl::EXECUTE, "function"),
        T::Types => (TYPES, acl::USAGE, "type"),
        T::Schemas => (SCHEMAS, acl::ALL_SCHEMA, "schema"),
        other => {
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{other}\""
            )));
        }
    })
}

/// The built-in ACL of a new object of kind `objtype` owned by `owner` (`acldefault`),
/// already in [`sort`]'s order (PUBLIC, 0, before the owner).
pub fn builtin(objtype: char, owner: Oid) -> Vec<AclItem> {
    let item = |grantee, privileges| AclItem {
        grantee,
        grantor: owner,
        privileges,
        grant_options: 0,
    };
    match objtype {
        FUNCTIONS => vec![item(acl::PUBLIC, acl::EXECUTE), item(owner, acl::EXECUTE)],
        TYPES => vec![item(acl::PUBLIC, acl::USAGE), item(owner, acl::USAGE)],
        SEQUENCES => vec![item(owner, acl::ALL_SEQUENCE)],
        SCHEMAS => vec![item(owner, acl::ALL_SCHEMA)],
        _ => vec![item(owner, acl::ALL_RELATION)],
    }
}

/// PostgreSQL's order of ACL items in `pg_default_acl` and merged ACLs.
fn sort(items: &mut [AclItem]) {
    items.sort_by_key(|i| (i.grantee, i.grantor, i.privileges, i.grant_options));
}

/// What an entry of `role` in `schema` (0: global) starts from, and is removed when it is
/// back to: the built-in default for a global entry, nothing for a schema's.
fn starting_point(objtype: char, role: Oid, schema: Oid) -> Vec<AclItem> {
    if schema == 0 {
        builtin(objtype, role)
    } else {
        Vec::new()
    }
}

fn entry(catalog: &Catalog, role: Oid, schema: Oid, objtype: char) -> Option<&DefaultAclDef> {
    catalog
        .default_acls
        .iter()
        .find(|d| d.role == role && d.schema == schema && d.objtype == objtype)
}

/// The ACL a new object of kind `objtype` owned by `owner` in schema `schema` (0 for a
/// schema) starts with; `None` when it is the built-in default.
pub fn initial_acl(
    catalog: &Catalog,
    objtype: char,
    owner: Oid,
    schema: Oid,
) -> Option<Vec<AclItem>> {
    let global = entry(catalog, owner, 0, objtype);
    let in_schema = (schema != 0)
        .then(|| entry(catalog, owner, schema, objtype))
        .flatten();
    if global.is_none() && in_schema.is_none() {
        return None;
    }
    let default = builtin(objtype, owner);
    let mut acl = global.map_or_else(|| default.clone(), |g| g.acl.clone());
    for i in in_schema.map(|s| s.acl.as_slice()).unwrap_or_default() {
        acl::grant(
            &mut acl,
            i.grantee,
            i.grantor,
            i.privileges,
            i.grant_options,
        );
    }
    sort(&mut acl);
    (acl != default).then_some(acl)
}

/// `ALTER DEFAULT PRIVILEGES ...`.
pub fn execute(ddl: &mut Ddl, a: &ast::AlterDefaultPrivileges) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let who = privilege::current(&catalog);
    let mut roles = Vec::new();
    let mut schemas = Vec::new();
    for option in &a.options {
        match option {
            ast::DefaultPrivilegesOption::ForRole(names) => {
                for n in names {
                    let name = crate::binder::ident(n);
                    let role = privilege::role_named(&catalog, &name).ok_or_else(|| {
                        Error::UndefinedObject(format!("role \"{name}\" does not exist"))
                    })?;
                    roles.push(role.oid);
                }
            }
            ast::DefaultPrivilegesOption::InSchema(names) => {
                for n in names {
                    let (_, s) = crate::binder::split_name(n)?;
                    let schema = catalog
                        .schema(&s)
                        .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?;
                    schemas.push(schema.oid);
                }
            }
        }
    }
    if roles.is_empty() {
        roles.push(who.oid);
    }
    for &r in &roles {
        if !who.superuser && !who.acts_as(r) {
            return Err(Error::InsufficientPrivilege(format!(
                "must be member of role \"{}\"",
                catalog.role_name(r)
            )));
        }
    }
    let (privileges, object_type, to, grant, options) = match &a.operation {
        ast::AlterDefaultPrivilegesOperation::Grant {
            privileges,
            object_type,
            grantees,
            with_grant_option,
        } => (privileges, object_type, grantees, true, *with_grant_option),
        ast::AlterDefaultPrivilegesOperation::Revoke {
            grant_option_for,
            privileges,
            object_type,
            grantees,
            ..
        } => (privileges, object_type, grantees, false, *grant_option_for),
    };
    let (objtype, all, word) = kind(object_type)?;
    if objtype == SCHEMAS && !schemas.is_empty() {
        return Err(Error::InvalidGrantOperation(
            "cannot use IN SCHEMA clause when using GRANT/REVOKE ON SCHEMAS".into(),
        ));
    }
    let privileges = bits(privileges, all, word)?;
    let grantees = grantees(&catalog, to)?;
    if schemas.is_empty() {
        schemas.push(0);
    }
    for &role in &roles {
        for &schema in &schemas {
            let start = starting_point(objtype, role, schema);
            let existing = entry(&catalog, role, schema, objtype);
            let mut items = existing.map_or_else(|| start.clone(), |e| e.acl.clone());
            for &g in &grantees {
                if grant {
                    let with = if options { privileges } else { 0 };
                    acl::grant(&mut items, g, role, privileges, with);
                } else {
                    acl::revoke(&mut items, g, role, privileges, options);
                }
            }
            sort(&mut items);
            if items == start {
                if let Some(e) = existing {
                    ddl.txn.drop_default_acl(e.oid)?;
                }
                continue;
            }
            let oid = match existing {
                Some(e) => e.oid,
                None => ddl.txn.new_oid()?,
            };
            ddl.txn.put_default_acl(DefaultAclDef {
                oid,
                role,
                schema,
                objtype,
                acl: items,
            })?;
        }
    }
    Ok(StatementResult::command("ALTER DEFAULT PRIVILEGES"))
}

/// The lines of DROP ROLE's 2BP01 detail for the default privileges that name `role`.
pub fn dependents(catalog: &Catalog, role: Oid) -> Vec<String> {
    let mut out = Vec::new();
    for d in &catalog.default_acls {
        if d.role != role && !d.acl.iter().any(|i| i.grantee == role || i.grantor == role) {
            continue;
        }
        let kind = match d.objtype {
            SEQUENCES => "sequences",
            FUNCTIONS => "functions",
            TYPES => "types",
            SCHEMAS => "schemas",
            _ => "relations",
        };
        let owner = catalog.role_name(d.role);
        let how = if d.role == role {
            "owner of"
        } else {
            "privileges for"
        };
        out.push(if d.schema == 0 {
            format!("{how} default privileges on new {kind} belonging to role {owner}")
        } else {
            format!(
                "{how} default privileges on new {kind} belonging to role {owner} in schema {}",
                catalog.schema_name(d.schema)
            )
        });
    }
    out
}

/// DROP OWNED: the entries of `roles` go, and their items in other roles' entries.
pub fn drop_owned(ddl: &mut Ddl, catalog: &Catalog, roles: &[Oid]) -> Result<()> {
    for d in &catalog.default_acls {
        if roles.contains(&d.role) {
            ddl.txn.drop_default_acl(d.oid)?;
            continue;
        }
        let mut d = d.clone();
        let before = d.acl.len();
        d.acl.retain(|i| !roles.contains(&i.grantee));
        if d.acl.len() != before {
            if d.acl == starting_point(d.objtype, d.role, d.schema) {
                ddl.txn.drop_default_acl(d.oid)?;
            } else {
                ddl.txn.put_default_acl(d)?;
            }
        }
    }
    Ok(())
}
