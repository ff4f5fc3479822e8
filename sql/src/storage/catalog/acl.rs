//! Roles and access control lists: PostgreSQL's `aclitem` (`grantee=privileges/grantor`),
//! the default ACLs of tables, views and schemas, and which privileges a role holds.
//!
//! An object whose `acl` is `None` has PostgreSQL's default: the owner holds every
//! privilege of its kind (`arwdDxt` on a relation, `UC` on a schema) and nobody else any;
//! `public` is the exception, `{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}`
//! since PostgreSQL 15. The first GRANT or REVOKE materializes the default and edits it, so
//! `relacl` prints what PostgreSQL prints. A grantee of 0 is `PUBLIC`. Superusers bypass
//! every check; role membership (`GRANT role TO role`) is not modelled.

use super::Catalog;
use super::objects::RoleDef;
use super::oids::{BOOTSTRAP_SUPERUSER, Oid, PG_DATABASE_OWNER, PUBLIC_NAMESPACE};
use serde::{Deserialize, Serialize};

/// The grantee meaning every role.
pub const PUBLIC: Oid = 0;

/// Privilege bits, in PostgreSQL's order (`ACL_INSERT` = 1 ...), so a set prints in its
/// letter order.
pub const INSERT: u16 = 1 << 0;
pub const SELECT: u16 = 1 << 1;
pub const UPDATE: u16 = 1 << 2;
pub const DELETE: u16 = 1 << 3;
pub const TRUNCATE: u16 = 1 << 4;
pub const REFERENCES: u16 = 1 << 5;
pub const TRIGGER: u16 = 1 << 6;
pub const EXECUTE: u16 = 1 << 7;
pub const USAGE: u16 = 1 << 8;
pub const CREATE: u16 = 1 << 9;

/// Every privilege a relation can have.
pub const ALL_RELATION: u16 = INSERT | SELECT | UPDATE | DELETE | TRUNCATE | REFERENCES | TRIGGER;
/// Every privilege a schema can have.
pub const ALL_SCHEMA: u16 = USAGE | CREATE;
/// Every privilege a sequence has (`rwU`).
pub const ALL_SEQUENCE: u16 = USAGE | SELECT | UPDATE;

const LETTERS: [(u16, char); 10] = [
    (INSERT, 'a'),
    (SELECT, 'r'),
    (UPDATE, 'w'),
    (DELETE, 'd'),
    (TRUNCATE, 'D'),
    (REFERENCES, 'x'),
    (TRIGGER, 't'),
    (EXECUTE, 'X'),
    (USAGE, 'U'),
    (CREATE, 'C'),
];

/// One `aclitem`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclItem {
    pub grantee: Oid,
    pub grantor: Oid,
    pub privileges: u16,
    /// The privileges the grantee may grant on (`WITH GRANT OPTION`; a subset of
    /// `privileges`).
    #[serde(default)]
    pub grant_options: u16,
}

/// The privilege named `word` (`select`, `usage`, ...), as GRANT spells it.
pub fn privilege_by_name(word: &str) -> Option<u16> {
    Some(match word.to_ascii_lowercase().as_str() {
        "insert" => INSERT,
        "select" => SELECT,
        "update" => UPDATE,
        "delete" => DELETE,
        "truncate" => TRUNCATE,
        "references" => REFERENCES,
        "trigger" => TRIGGER,
        "execute" => EXECUTE,
        "usage" => USAGE,
        "create" => CREATE,
        _ => return None,
    })
}

/// A privilege set as its letters (`arwdDxt`).
pub fn letters(privileges: u16) -> String {
    LETTERS
        .iter()
        .filter(|(bit, _)| privileges & bit != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// The roles every database has: the bootstrap superuser and `pg_database_owner`.
pub fn builtin_roles() -> [RoleDef; 2] {
    let role = |oid, name: &str, superuser: bool| RoleDef {
        oid,
        name: name.into(),
        superuser,
        inherit: true,
        create_role: superuser,
        create_db: superuser,
        login: superuser,
        replication: superuser,
        bypass_rls: superuser,
        connection_limit: -1,
        password: None,
        valid_until: None,
        member_of: Vec::new(),
        config: Vec::new(),
    };
    [
        role(BOOTSTRAP_SUPERUSER, "postgres", true),
        role(PG_DATABASE_OWNER, "pg_database_owner", false),
    ]
}

/// The default ACL of an object owned by `owner` with privileges `all`.
pub fn default_acl(owner: Oid, all: u16) -> Vec<AclItem> {
    vec![AclItem {
        grantee: owner,
        grantor: owner,
        privileges: all,
        grant_options: 0,
    }]
}

/// The ACL of schema `oid` when it has none stored.
pub fn default_schema_acl(oid: Oid, owner: Oid) -> Vec<AclItem> {
    if oid == PUBLIC_NAMESPACE && owner == PG_DATABASE_OWNER {
        vec![
            AclItem {
                grantee: PG_DATABASE_OWNER,
                grantor: PG_DATABASE_OWNER,
                privileges: ALL_SCHEMA,
                grant_options: 0,
            },
            AclItem {
                grantee: PUBLIC,
                grantor: PG_DATABASE_OWNER,
                privileges: USAGE,
                grant_options: 0,
            },
        ]
    } else {
        default_acl(owner, ALL_SCHEMA)
    }
}

/// Adds (`grant`) or removes `privileges` for `grantee` in `acl`, granted by `grantor`.
pub fn edit(acl: &mut Vec<AclItem>, grantee: Oid, grantor: Oid, privileges: u16, grant: bool) {
    if grant {
        match acl
            .iter_mut()
            .find(|i| i.grantee == grantee && i.grantor == grantor)
        {
            Some(i) => i.privileges |= privileges,
            None => acl.push(AclItem {
                grantee,
                grantor,
                privileges,
                grant_options: 0,
            }),
        }
    } else {
        for i in acl.iter_mut().filter(|i| i.grantee == grantee) {
            i.privileges &= !privileges;
            i.grant_options &= !privileges;
        }
        acl.retain(|i| i.privileges != 0);
    }
}

/// Grants `privileges` to `grantee` as `grantor`, with the grant option for `options`
/// (a subset of them).
pub fn grant(acl: &mut Vec<AclItem>, grantee: Oid, grantor: Oid, privileges: u16, options: u16) {
    edit(acl, grantee, grantor, privileges, true);
    if let Some(i) = acl
        .iter_mut()
        .find(|i| i.grantee == grantee && i.grantor == grantor)
    {
        i.grant_options |= options & privileges;
    }
}

/// Revokes what `grantor` granted `grantee` of `privileges` — only the grant option for
/// them with `options_only` (`REVOKE GRANT OPTION FOR`).
pub fn revoke(
    acl: &mut Vec<AclItem>,
    grantee: Oid,
    grantor: Oid,
    privileges: u16,
    options_only: bool,
) {
    for i in acl
        .iter_mut()
        .filter(|i| i.grantee == grantee && i.grantor == grantor)
    {
        i.grant_options &= !privileges;
        if !options_only {
            i.privileges &= !privileges;
        }
    }
    acl.retain(|i| i.privileges != 0);
}

/// The grant options `role` holds in `acl`.
pub fn held_options(acl: &[AclItem], role: Oid) -> u16 {
    acl.iter()
        .filter(|i| i.grantee == role)
        .fold(0, |p, i| p | i.grant_options)
}

/// Privileges granted by a role that no longer holds the grant option for them (after a
/// revoke): with `cascade` they are revoked too, over and over until none is left; without,
/// `false` (PostgreSQL's "dependent privileges exist"). `options_of(role)` is what a role
/// may grant given the ACL (the owner's implicit options included).
pub fn revoke_dependents(
    acl: &mut Vec<AclItem>,
    cascade: bool,
    options_of: impl Fn(&[AclItem], Oid) -> u16,
) -> bool {
    loop {
        let mut changed = false;
        for k in 0..acl.len() {
            let unbacked = acl[k].privileges & !options_of(acl, acl[k].grantor);
            if unbacked != 0 {
                if !cascade {
                    return false;
                }
                acl[k].privileges &= !unbacked;
                acl[k].grant_options &= !unbacked;
                changed = true;
            }
        }
        acl.retain(|i| i.privileges != 0);
        if !changed {
            return true;
        }
    }
}

/// The privileges `role` holds in `acl` (its own and PUBLIC's).
pub fn held(acl: &[AclItem], role: Oid) -> u16 {
    acl.iter()
        .filter(|i| i.grantee == role || i.grantee == PUBLIC)
        .fold(0, |p, i| p | i.privileges)
}

/// `relacl` / `nspacl` text of one item: `grantee=letters/grantor` (`=r/owner` for PUBLIC).
pub fn item_text(catalog: &Catalog, item: &AclItem) -> String {
    let name = |oid: Oid| {
        if oid == PUBLIC {
            String::new()
        } else {
            quote_role(&catalog.role_name(oid))
        }
    };
    let letters: String = LETTERS
        .iter()
        .filter(|(bit, _)| item.privileges & bit != 0)
        .flat_map(|(bit, c)| {
            let star = (item.grant_options & bit != 0).then_some('*');
            std::iter::once(*c).chain(star)
        })
        .collect();
    format!("{}={letters}/{}", name(item.grantee), name(item.grantor))
}

/// A role name as `aclitem` prints it (quoted when it is not a plain identifier).
fn quote_role(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

impl Catalog {
    /// Every role, built-in ones first.
    pub fn all_roles(&self) -> Vec<RoleDef> {
        let mut v: Vec<RoleDef> = builtin_roles().into();
        v.extend(self.roles.iter().cloned());
        v
    }

    /// The role called `name`.
    pub fn role(&self, name: &str) -> Option<RoleDef> {
        builtin_roles()
            .into_iter()
            .find(|r| r.name == name)
            .or_else(|| self.roles.iter().find(|r| r.name == name).cloned())
    }

    pub fn role_by_oid(&self, oid: Oid) -> Option<RoleDef> {
        builtin_roles()
            .into_iter()
            .find(|r| r.oid == oid)
            .or_else(|| self.roles.iter().find(|r| r.oid == oid).cloned())
    }

    /// The roles `oid` is a member of, directly or through other roles, each once, nearest
    /// first. `privileges`: only those whose privileges `oid` holds without `SET ROLE` —
    /// memberships are followed only from roles with INHERIT, as PostgreSQL's
    /// `has_privs_of_role` does (else every membership, as `is_member_of_role`).
    pub fn memberships(&self, oid: Oid, privileges: bool) -> Vec<Oid> {
        let mut out: Vec<Oid> = Vec::new();
        let mut next = vec![oid];
        while let Some(r) = next.pop() {
            let Some(def) = self.roles.iter().find(|d| d.oid == r) else {
                continue;
            };
            if privileges && !def.inherit {
                continue;
            }
            for m in &def.member_of {
                if m.role != oid && !out.contains(&m.role) {
                    out.push(m.role);
                    next.push(m.role);
                }
            }
        }
        out
    }

    /// The name of role `oid` (`unknown (OID=n)` as PostgreSQL's `pg_get_userbyid`).
    pub fn role_name(&self, oid: Oid) -> String {
        self.role_by_oid(oid)
            .map(|r| r.name)
            .unwrap_or_else(|| format!("unknown (OID={oid})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_print_in_postgresql_letter_order() {
        assert_eq!(letters(ALL_RELATION), "arwdDxt");
        assert_eq!(letters(SELECT | INSERT), "ar");
        assert_eq!(letters(ALL_SCHEMA), "UC");
    }

    #[test]
    fn grants_merge_and_revokes_remove_empty_items() {
        let mut acl = default_acl(10, ALL_RELATION);
        edit(&mut acl, 20, 10, SELECT, true);
        edit(&mut acl, 20, 10, INSERT, true);
        assert_eq!(acl.len(), 2);
        assert_eq!(held(&acl, 20), SELECT | INSERT);
        edit(&mut acl, PUBLIC, 10, UPDATE, true);
        assert_eq!(held(&acl, 20), SELECT | INSERT | UPDATE);
        edit(&mut acl, 20, 10, SELECT | INSERT, false);
        assert_eq!(acl.len(), 2);
        assert_eq!(held(&acl, 20), UPDATE);
        assert_eq!(held(&acl, 30), UPDATE);
    }
}
