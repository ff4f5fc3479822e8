//! `REASSIGN OWNED BY old TO new` (every table, view, sequence and schema `old` owns goes to `new`,
//! its ACL rewritten as ALTER ... OWNER TO does) and `DROP OWNED BY role [CASCADE]` (the
//! privileges granted to the role on other objects are revoked, and what it owns is
//! dropped, with the dependency rules of DROP: 2BP01 for an object of another role that
//! depends on one of them, unless CASCADE). Both need the privileges of every role named
//! (a member of it, or a superuser), as in PostgreSQL: 42501 otherwise.

use super::Ddl;
use super::depend::Obj;
use crate::parse::owned::{DropOwned, ReassignOwned};
use crate::privilege;
use crate::result::StatementResult;
use crate::storage::catalog::acl::AclItem;
use crate::storage::{Catalog, Oid};
use crate::{Error, Result};
use sqlparser::ast;

/// The roles named, each of whose privileges the current role must hold.
fn roles(catalog: &Catalog, names: &[ast::Ident], action: &str) -> Result<Vec<Oid>> {
    let who = privilege::current(catalog);
    names
        .iter()
        .map(|n| {
            let name = crate::binder::ident(n);
            let role = privilege::role_named(catalog, &name)
                .ok_or_else(|| Error::UndefinedObject(format!("role \"{name}\" does not exist")))?;
            if !who.superuser && !who.acts_as(role.oid) {
                return Err(Error::InsufficientPrivilege(format!(
                    "permission denied to {action} objects"
                )));
            }
            Ok(role.oid)
        })
        .collect()
}

/// `REASSIGN OWNED BY old, ... TO new`.
pub fn reassign(ddl: &mut Ddl, r: &ReassignOwned) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let mut names = r.from.clone();
    names.push(r.to.clone());
    let oids = roles(&catalog, &names, "reassign")?;
    let (from, to) = oids.split_at(oids.len() - 1);
    let to = to[0];
    for t in catalog.tables.iter().filter(|t| from.contains(&t.owner)) {
        let mut t = t.clone();
        let columns = t.columns.iter_mut().map(|c| &mut c.acl);
        super::role::change_column_owners(columns, t.owner, to);
        super::role::change_owner(&mut t.owner, &mut t.acl, to);
        ddl.txn.alter_table(t)?;
    }
    for v in catalog.views.iter().filter(|v| from.contains(&v.owner)) {
        let mut v = v.clone();
        let columns = v.columns.iter_mut().map(|c| &mut c.acl);
        super::role::change_column_owners(columns, v.owner, to);
        super::role::change_owner(&mut v.owner, &mut v.acl, to);
        ddl.txn.put_view(v)?;
    }
    for s in catalog.sequences.iter().filter(|s| from.contains(&s.owner)) {
        let mut s = s.clone();
        super::role::change_owner(&mut s.owner, &mut s.acl, to);
        ddl.txn.alter_sequence(s)?;
    }
    for s in catalog.schemas.iter().filter(|s| from.contains(&s.owner)) {
        let mut s = s.clone();
        super::role::change_owner(&mut s.owner, &mut s.acl, to);
        ddl.txn.alter_schema(s)?;
    }
    Ok(StatementResult::command("REASSIGN OWNED"))
}

/// Removes every ACL entry granted to one of `roles`; whether any was.
fn revoke_from(acl: &mut Option<Vec<AclItem>>, roles: &[Oid]) -> bool {
    let Some(items) = acl else {
        return false;
    };
    let before = items.len();
    items.retain(|i| !roles.contains(&i.grantee));
    items.len() != before
}

/// [`revoke_from`] for column ACLs, which become `None` when emptied (as PostgreSQL's
/// `attacl`).
fn revoke_from_columns<'a>(
    acls: impl Iterator<Item = &'a mut Option<Vec<AclItem>>>,
    roles: &[Oid],
) -> bool {
    let mut any = false;
    for acl in acls {
        if revoke_from(acl, roles) {
            any = true;
            if acl.as_ref().is_some_and(Vec::is_empty) {
                *acl = None;
            }
        }
    }
    any
}

/// `DROP OWNED BY role, ... [CASCADE]`.
pub fn drop(ddl: &mut Ddl, d: &DropOwned) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let roles = roles(&catalog, &d.roles, "drop")?;
    let mut owned = Vec::new();
    for t in &catalog.tables {
        if roles.contains(&t.owner) {
            owned.push(Obj::Table(t.id));
        } else {
            let mut t = t.clone();
            let columns = revoke_from_columns(t.columns.iter_mut().map(|c| &mut c.acl), &roles);
            if revoke_from(&mut t.acl, &roles) | columns {
                ddl.txn.alter_table(t)?;
            }
        }
    }
    for v in &catalog.views {
        if roles.contains(&v.owner) {
            owned.push(Obj::View(v.oid));
        } else {
            let mut v = v.clone();
            let columns = revoke_from_columns(v.columns.iter_mut().map(|c| &mut c.acl), &roles);
            if revoke_from(&mut v.acl, &roles) | columns {
                ddl.txn.put_view(v)?;
            }
        }
    }
    for s in &catalog.sequences {
        // A serial column's sequence goes with its table.
        if roles.contains(&s.owner) && s.owned_by.is_none() {
            owned.push(Obj::Sequence(s.oid));
        } else if !roles.contains(&s.owner) {
            let mut s = s.clone();
            if revoke_from(&mut s.acl, &roles) {
                ddl.txn.alter_sequence(s)?;
            }
        }
    }
    for s in &catalog.schemas {
        if roles.contains(&s.owner) {
            owned.push(Obj::Schema(s.oid));
        } else {
            let mut s = s.clone();
            if revoke_from(&mut s.acl, &roles) {
                ddl.txn.alter_schema(s)?;
            }
        }
    }
    super::default_privileges::drop_owned(ddl, &catalog, &roles)?;
    if !owned.is_empty() {
        super::drop::drop_objects(ddl, &owned, d.cascade)?;
    }
    Ok(StatementResult::command("DROP OWNED"))
}
