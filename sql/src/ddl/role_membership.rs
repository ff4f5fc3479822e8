//! Role membership: `GRANT role TO member [WITH ADMIN OPTION] [GRANTED BY r]`, `REVOKE
//! [ADMIN OPTION FOR] role FROM member`, and the memberships `CREATE ROLE ... IN ROLE /
//! ROLE / ADMIN` makes — PostgreSQL 15's rules and messages.
//!
//! A membership is stored on the member ([`RoleDef::member_of`], `pg_auth_members`).
//! Invariants: no role is a member of itself, directly or through others (a grant that
//! would close a loop is 0LP01); granting needs SUPERUSER for a superuser role, else
//! CREATEROLE or the ADMIN OPTION on the role; a grant that exists already changes nothing
//! (but adds a missing ADMIN OPTION), a revoke of a missing membership likewise.

use super::Ddl;
use crate::privilege;
use crate::result::StatementResult;
use crate::storage::catalog::acl;
use crate::storage::catalog::oids::PG_DATABASE_OWNER;
use crate::storage::{Catalog, Membership, Oid, RoleDef};
use crate::{Error, Result};
use sqlparser::ast;

fn undefined(name: &str) -> Error {
    Error::UndefinedObject(format!("role \"{name}\" does not exist"))
}

fn role_named(catalog: &Catalog, name: &str) -> Result<RoleDef> {
    privilege::role_named(catalog, name).ok_or_else(|| undefined(name))
}

/// The member roles a grant or revoke names (PUBLIC is not a role here).
fn members(catalog: &Catalog, grantees: &[ast::Grantee]) -> Result<Vec<RoleDef>> {
    super::grant::grantees(catalog, grantees)?
        .into_iter()
        .map(|oid| {
            if oid == acl::PUBLIC {
                return Err(undefined("public"));
            }
            catalog
                .role_by_oid(oid)
                .ok_or_else(|| undefined(&oid.to_string()))
        })
        .collect()
}

/// Whether the current role may grant or revoke membership in `role` (as `grantor`).
fn check_may_grant(catalog: &Catalog, role: &RoleDef, grantor: Oid) -> Result<()> {
    let who = privilege::current(catalog);
    if role.superuser {
        if !who.superuser {
            return Err(Error::InsufficientPrivilege(
                "must be superuser to alter superusers".into(),
            ));
        }
        return Ok(());
    }
    if who.superuser || catalog.role(&who.name).is_some_and(|r| r.create_role) {
        return Ok(());
    }
    if is_admin_of(catalog, grantor, role.oid) || is_admin_of(catalog, who.oid, role.oid) {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!(
        "must have admin option on role \"{}\"",
        role.name
    )))
}

/// Whether `member` holds the ADMIN OPTION on `role`, directly or through a role it is a
/// member of (PostgreSQL's `is_admin_of_role`).
pub fn is_admin_of(catalog: &Catalog, member: Oid, role: Oid) -> bool {
    let mut holders = catalog.memberships(member, false);
    holders.push(member);
    holders.iter().any(|h| {
        catalog
            .roles
            .iter()
            .find(|r| r.oid == *h)
            .is_some_and(|r| r.member_of.iter().any(|m| m.role == role && m.admin))
    })
}

/// Makes `member` a member of `role` (see the module docs); `false` when it already was
/// (with the ADMIN OPTION if asked).
pub(super) fn add_member(
    ddl: &mut Ddl,
    role: &RoleDef,
    member: &RoleDef,
    admin: bool,
    grantor: Oid,
) -> Result<bool> {
    let catalog = ddl.catalog()?;
    if role.oid == PG_DATABASE_OWNER {
        return Err(Error::InvalidGrantOperation(format!(
            "role \"{}\" cannot have explicit members",
            role.name
        )));
    }
    check_may_grant(&catalog, role, grantor)?;
    if role.oid == member.oid || catalog.memberships(role.oid, false).contains(&member.oid) {
        return Err(Error::InvalidGrantOperation(format!(
            "role \"{}\" is a member of role \"{}\"",
            role.name, member.name
        )));
    }
    let Some(mut def) = catalog.roles.iter().find(|r| r.oid == member.oid).cloned() else {
        // A built-in role (the bootstrap superuser) is a member of nothing else.
        return Err(Error::InsufficientPrivilege(format!(
            "permission denied to grant role \"{}\" to \"{}\"",
            role.name, member.name
        )));
    };
    match def.member_of.iter_mut().find(|m| m.role == role.oid) {
        Some(m) if m.admin || !admin => return Ok(false),
        Some(m) => {
            m.admin = true;
            m.grantor = grantor;
        }
        None => def.member_of.push(Membership {
            role: role.oid,
            grantor,
            admin,
        }),
    }
    ddl.txn.put_role(def)?;
    Ok(true)
}

/// The grantor: `GRANTED BY` role, or the current role.
fn grantor(catalog: &Catalog, granted_by: Option<&ast::Ident>) -> Result<Oid> {
    match granted_by {
        Some(g) => Ok(role_named(catalog, &crate::binder::ident(g))?.oid),
        None => Ok(privilege::current(catalog).oid),
    }
}

/// `GRANT role, ... TO member, ... [WITH ADMIN OPTION] [GRANTED BY r]`.
pub fn grant(ddl: &mut Ddl, g: &ast::GrantRole) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let mut admin = false;
    for o in &g.options {
        let on = !matches!(o.value, ast::RoleGrantOptionValue::False);
        if !o.name.value.eq_ignore_ascii_case("admin") {
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{}\"",
                o.name.value
            )));
        }
        admin = on;
    }
    let grantor = grantor(&catalog, g.granted_by.as_ref())?;
    let roles = g
        .roles
        .iter()
        .map(|r| role_named(&catalog, &crate::binder::ident(r)))
        .collect::<Result<Vec<_>>>()?;
    let members = members(&catalog, &g.grantees)?;
    for role in &roles {
        for member in &members {
            add_member(ddl, role, member, admin, grantor)?;
        }
    }
    Ok(StatementResult::command("GRANT ROLE"))
}

/// `REVOKE [ADMIN OPTION FOR] role, ... FROM member, ... [GRANTED BY r] [CASCADE|RESTRICT]`.
pub fn revoke(ddl: &mut Ddl, r: &ast::RevokeRole) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let admin_only = match &r.option_for {
        None => false,
        Some(o) if o.value.eq_ignore_ascii_case("admin") => true,
        Some(o) => {
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{}\"",
                o.value
            )));
        }
    };
    let grantor = grantor(&catalog, r.granted_by.as_ref())?;
    let roles = r
        .roles
        .iter()
        .map(|n| role_named(&catalog, &crate::binder::ident(n)))
        .collect::<Result<Vec<_>>>()?;
    let members = members(&catalog, &r.grantees)?;
    for role in &roles {
        check_may_grant(&catalog, role, grantor)?;
        for member in &members {
            let catalog = ddl.catalog()?;
            let Some(mut def) = catalog.roles.iter().find(|d| d.oid == member.oid).cloned() else {
                continue;
            };
            let before = def.member_of.clone();
            if admin_only {
                for m in def.member_of.iter_mut().filter(|m| m.role == role.oid) {
                    m.admin = false;
                }
            } else {
                def.member_of.retain(|m| m.role != role.oid);
            }
            if def.member_of != before {
                ddl.txn.put_role(def)?;
            }
        }
    }
    Ok(StatementResult::command("REVOKE ROLE"))
}

/// `CREATE ROLE new ... IN ROLE a, ... ROLE m, ... ADMIN m, ...`: `new` becomes a member of
/// each IN ROLE (and IN GROUP) role; each ROLE (and USER) role a member of `new`, each
/// ADMIN role one with the ADMIN OPTION.
pub(super) fn create_memberships(ddl: &mut Ddl, new: &RoleDef, c: &ast::CreateRole) -> Result<()> {
    let catalog = ddl.catalog()?;
    let grantor = privilege::current(&catalog).oid;
    let named = |names: &[ast::Ident]| -> Result<Vec<RoleDef>> {
        names
            .iter()
            .map(|n| role_named(&catalog, &crate::binder::ident(n)))
            .collect()
    };
    for role in named(&c.in_role)?.iter().chain(&named(&c.in_group)?) {
        add_member(ddl, role, new, false, grantor)?;
    }
    for member in named(&c.role)?.iter().chain(&named(&c.user)?) {
        add_member(ddl, new, member, false, grantor)?;
    }
    for member in named(&c.admin)? {
        add_member(ddl, new, &member, true, grantor)?;
    }
    Ok(())
}

/// DROP ROLE `oid`: the memberships others hold in it go with it.
pub(super) fn forget_role(ddl: &mut Ddl, oid: Oid) -> Result<()> {
    let catalog = ddl.catalog()?;
    for r in catalog
        .roles
        .iter()
        .filter(|r| r.member_of.iter().any(|m| m.role == oid))
    {
        let mut def = r.clone();
        def.member_of.retain(|m| m.role != oid);
        ddl.txn.put_role(def)?;
    }
    Ok(())
}
