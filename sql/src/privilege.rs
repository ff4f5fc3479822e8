//! Privilege checks: who the statement runs as, and whether that role may do what the
//! statement does, with PostgreSQL's 42501 messages.
//!
//! The binder records what each statement needs ([`Need`]: a relation and privilege bits,
//! and for relations read through a view the view's owner to check as, as PostgreSQL's
//! rewriter does); the session checks the list every time the statement executes — also a
//! cached plan of a prepared statement — against the catalog the statement sees, before
//! anything runs (PostgreSQL's `ExecCheckPermissions`). DDL checks ownership and schema
//! privileges itself through [`require_owner`] and [`require_schema`].
//!
//! The running role is the session's current user (`SET ROLE` changes it). A user that is
//! not a role of the catalog — one from the users file or accepted by trust, the bootstrap
//! path — acts as the bootstrap superuser, so a fresh database is administered as before.
//! A role also holds the privileges (and ownerships) of the roles it is a member of through
//! roles with INHERIT ([`Who::inherited`]); SUPERUSER is never inherited.

use crate::storage::catalog::acl::{self, AclItem};
use crate::storage::{Catalog, Oid, Relation, RoleDef, SequenceDef};
use crate::{Error, Result};

/// A privilege a statement needs on a relation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Need {
    pub relation: Oid,
    pub privileges: u16,
    /// Check as this role instead of the current one (the owner of the view it is read
    /// through).
    pub as_role: Option<Oid>,
    /// The columns (positions) the statement reads — [`crate::column_privilege::WHOLE_ROW`]
    /// for all of them —, inserts and updates: what a role with only column privileges
    /// needs them on (PostgreSQL's `selectedCols`, `insertedCols`, `updatedCols`).
    pub selected: Vec<usize>,
    pub inserted: Vec<usize>,
    pub updated: Vec<usize>,
    /// Only table privileges count (LOCK TABLE), as PostgreSQL's `pg_class_aclcheck`.
    pub table_level: bool,
}

/// The role a statement runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub oid: Oid,
    pub name: String,
    pub superuser: bool,
    /// The roles whose privileges it holds besides its own (memberships through INHERIT).
    pub inherited: Vec<Oid>,
}

impl Who {
    /// Whether it holds role `oid`'s privileges: it is that role or inherits from it.
    pub fn acts_as(&self, oid: Oid) -> bool {
        self.oid == oid || self.inherited.contains(&oid)
    }

    /// The privileges it holds in `acl` (through its own grants, PUBLIC's and its
    /// inherited roles').
    /// The privileges it may grant on an object owned by `owner` with ACL `acl` (all of
    /// them, `all`, as the owner or a superuser).
    pub fn grant_options(&self, owner: Oid, acl: &[AclItem], all: u16) -> u16 {
        if self.superuser || self.acts_as(owner) {
            return all;
        }
        self.inherited
            .iter()
            .fold(acl::held_options(acl, self.oid), |o, r| {
                o | acl::held_options(acl, *r)
            })
    }

    pub fn held(&self, acl: &[AclItem]) -> u16 {
        self.inherited
            .iter()
            .fold(acl::held(acl, self.oid), |p, r| p | acl::held(acl, *r))
    }
}

/// The role called `name` as a statement sees it (the bootstrap superuser for a name the
/// catalog does not know; see the module docs).
pub fn who(catalog: &Catalog, name: &str) -> Who {
    // Stored roles first, without building the built-in ones: this runs for every statement.
    if let Some(r) = catalog.roles.iter().find(|r| r.name == name) {
        return Who {
            oid: r.oid,
            name: r.name.clone(),
            superuser: r.superuser,
            inherited: if r.member_of.is_empty() {
                Vec::new()
            } else {
                catalog.memberships(r.oid, true)
            },
        };
    }
    if name == "pg_database_owner" {
        return Who {
            oid: crate::storage::catalog::oids::PG_DATABASE_OWNER,
            name: name.to_string(),
            superuser: false,
            inherited: Vec::new(),
        };
    }
    Who {
        oid: crate::storage::catalog::oids::BOOTSTRAP_SUPERUSER,
        name: name.to_string(),
        superuser: true,
        inherited: Vec::new(),
    }
}

/// The role called `name` as a statement names it: a role of the catalog or, for the
/// session's own user or current role when no role has that name (trust or the users file
/// let it in), the bootstrap superuser it acts as (see [`who`]), so `OWNER TO CURRENT_USER`
/// and `GRANT ... TO` it work.
pub fn role_named(catalog: &Catalog, name: &str) -> Option<RoleDef> {
    let own = crate::env::with(|e| {
        e.session.user == name || e.catalog.as_ref().is_some_and(|c| c.user == name)
    });
    role_or_own(catalog, name, own)
}

/// The role called `name`; `own`: the name is the session's (see [`role_named`]).
pub fn role_or_own(catalog: &Catalog, name: &str, own: bool) -> Option<RoleDef> {
    catalog.role(name).or_else(|| {
        own.then(|| catalog.role_by_oid(crate::storage::catalog::oids::BOOTSTRAP_SUPERUSER))
            .flatten()
    })
}

/// The running statement's role (from the installed environment).
pub fn current(catalog: &Catalog) -> Who {
    let name = crate::env::with(|e| e.catalog.as_ref().map(|c| c.user.clone()))
        .unwrap_or_else(|| "postgres".into());
    who(catalog, &name)
}

/// Role `oid` as a checker sees it.
pub(crate) fn who_by_oid(catalog: &Catalog, oid: Oid) -> Who {
    match catalog.role_by_oid(oid) {
        Some(r) => Who {
            oid: r.oid,
            superuser: r.superuser,
            inherited: catalog.memberships(r.oid, true),
            name: r.name,
        },
        None => Who {
            oid,
            name: String::new(),
            superuser: false,
            inherited: Vec::new(),
        },
    }
}

/// A relation's owner and its ACL (the default when none is stored).
pub fn relation_acl(rel: &Relation) -> (Oid, Vec<AclItem>) {
    let (owner, acl) = match rel {
        Relation::Table(t) | Relation::Index { table: t, .. } => (t.owner, t.acl.clone()),
        Relation::View(v) => (v.owner, v.acl.clone()),
        Relation::Sequence(s) => {
            let acl = s.acl.clone();
            return (
                s.owner,
                acl.unwrap_or_else(|| acl::default_acl(s.owner, acl::ALL_SEQUENCE)),
            );
        }
    };
    (
        owner,
        acl.unwrap_or_else(|| acl::default_acl(owner, acl::ALL_RELATION)),
    )
}

/// Every privilege a relation of `rel`'s kind has.
pub fn all_privileges(rel: &Relation) -> u16 {
    match rel {
        Relation::Sequence(_) => acl::ALL_SEQUENCE,
        _ => acl::ALL_RELATION,
    }
}

/// 42501 `permission denied for sequence s` unless the current role holds one of `any` on
/// sequence `seq` (`nextval` needs USAGE or UPDATE, `currval` USAGE or SELECT, `setval`
/// UPDATE).
pub fn require_sequence(catalog: &Catalog, seq: &SequenceDef, any: u16) -> Result<()> {
    let who = current(catalog);
    let rel = Relation::Sequence(seq);
    if who.superuser || relation_privileges(&who, &rel) & any != 0 {
        return Ok(());
    }
    Err(denied(&rel))
}

/// The privileges `who` holds on `rel` (all of them for a superuser).
pub fn relation_privileges(who: &Who, rel: &Relation) -> u16 {
    if who.superuser {
        return all_privileges(rel);
    }
    let (_, acl) = relation_acl(rel);
    who.held(&acl)
}

/// The privileges `who` holds on schema `oid`.
pub fn schema_privileges(catalog: &Catalog, who: &Who, oid: Oid) -> u16 {
    if who.superuser {
        return acl::ALL_SCHEMA;
    }
    let Some(s) = catalog.schema_by_oid(oid) else {
        return 0;
    };
    let acl = s
        .acl
        .clone()
        .unwrap_or_else(|| acl::default_schema_acl(s.oid, s.owner));
    // Built-in schemas are readable by everyone.
    if s.oid == crate::storage::catalog::oids::PG_CATALOG_NAMESPACE
        || s.oid == crate::storage::catalog::oids::INFORMATION_SCHEMA_NAMESPACE
    {
        return acl::USAGE;
    }
    who.held(&acl)
}

/// 42501 `permission denied for table t` (view, sequence, ... as the kind is).
pub fn denied(rel: &Relation) -> Error {
    Error::InsufficientPrivilege(format!(
        "permission denied for {} {}",
        rel.kind_name(),
        rel.name()
    ))
}

/// Checks every need of a statement as `who`.
pub fn check(catalog: &Catalog, who: &Who, needs: &[Need]) -> Result<()> {
    // A superuser passes, unless a view owned by another role is read.
    if who.superuser && needs.iter().all(|n| n.as_role.is_none()) {
        return Ok(());
    }
    for need in needs {
        let checker = match need.as_role {
            Some(owner) => who_by_oid(catalog, owner),
            None => who.clone(),
        };
        if checker.superuser {
            continue;
        }
        let Some(rel) = catalog.relation_by_oid(need.relation) else {
            continue;
        };
        let held = relation_privileges(&checker, &rel);
        if held & need.privileges != need.privileges
            && !crate::column_privilege::allows(&checker, &rel, need, held)
        {
            return Err(denied(&rel));
        }
    }
    Ok(())
}

/// 42501 `must be owner of table t` unless the current role owns `rel` or is a superuser.
pub fn require_owner(catalog: &Catalog, rel: &Relation) -> Result<()> {
    let who = current(catalog);
    let (owner, _) = relation_acl(rel);
    if who.superuser || who.acts_as(owner) {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!(
        "must be owner of {} {}",
        rel.kind_name(),
        rel.name()
    )))
}

/// The schemas a relation name is looked up in, as PostgreSQL's namespace lookup: the one
/// `schema` names (3F000 when absent; 42501 `permission denied for schema s` without USAGE
/// on it), or the search `path` without the schemas the current role has no USAGE on.
/// `check: false` (a view's query, resolved when the view was made) skips the USAGE checks;
/// a superuser always passes them.
pub fn lookup_schemas(
    catalog: &Catalog,
    schema: Option<&str>,
    path: &[Oid],
    check: bool,
) -> Result<Vec<Oid>> {
    let who = check.then(|| current(catalog)).filter(|w| !w.superuser);
    let usable = |oid: Oid| {
        who.as_ref()
            .is_none_or(|w| schema_privileges(catalog, w, oid) & acl::USAGE != 0)
    };
    let Some(s) = schema else {
        return Ok(path.iter().copied().filter(|&oid| usable(oid)).collect());
    };
    let oid = catalog
        .schema(s)
        .ok_or_else(|| crate::storage::catalog::undefined_schema(s))?
        .oid;
    if !usable(oid) {
        return Err(Error::InsufficientPrivilege(format!(
            "permission denied for schema {s}"
        )));
    }
    Ok(vec![oid])
}

/// 42501 `permission denied for schema s` unless the current role holds `privileges` on it.
pub fn require_schema(catalog: &Catalog, schema: Oid, privileges: u16) -> Result<()> {
    let who = current(catalog);
    if schema_privileges(catalog, &who, schema) & privileges == privileges {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!(
        "permission denied for schema {}",
        catalog.schema_name(schema)
    )))
}

/// A name given as text to a privilege function: `a.b` parts, unquoted ones lower-cased.
pub(crate) fn name_parts(text: &str) -> Vec<String> {
    text.split('.')
        .map(
            |p| match p.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(q) => q.replace("\"\"", "\""),
                None => p.trim().to_lowercase(),
            },
        )
        .collect()
}

/// What a `has_*_privilege` function asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivilegeOn {
    Table,
    Sequence,
    Schema,
}

/// `has_table_privilege([user,] table, privilege)` (and `has_sequence_privilege`,
/// `has_schema_privilege`): whether the role holds any of the comma-separated privileges,
/// from the real ACLs.
pub fn has_privilege(on: PrivilegeOn, args: &[crate::Value]) -> Result<crate::Value> {
    let schema = on == PrivilegeOn::Schema;
    use crate::Value;
    let env = crate::env::catalog()?;
    let catalog = &env.catalog;
    let (user, object, privileges) = match args {
        [o, p] => (None, o, p),
        [u, o, p] => (Some(u), o, p),
        _ => return Ok(Value::Null),
    };
    if args.iter().any(|a| a.is_null()) {
        return Ok(Value::Null);
    }
    let who = match user {
        None => who(catalog, &env.user),
        Some(Value::Int(o)) => who_by_oid(catalog, *o as Oid),
        Some(Value::Reg(_, o)) => who_by_oid(catalog, *o),
        Some(u) => {
            let name = u.to_string();
            match role_named(catalog, &name) {
                Some(_) => who(catalog, &name),
                None => {
                    return Err(Error::UndefinedObject(format!(
                        "role \"{name}\" does not exist"
                    )));
                }
            }
        }
    };
    let (wanted, wanted_options) = wanted_privileges(
        &privileges.to_string(),
        match on {
            PrivilegeOn::Schema => acl::ALL_SCHEMA,
            PrivilegeOn::Sequence => acl::ALL_SEQUENCE,
            PrivilegeOn::Table => acl::ALL_RELATION,
        },
    )?;
    let held = if schema {
        let oid = match object {
            Value::Int(o) => *o as Oid,
            Value::Reg(_, o) => *o,
            other => {
                let name = other.to_string();
                let parts = name_parts(&name);
                let n = parts.last().cloned().unwrap_or_default();
                match catalog.schema(&n) {
                    Some(s) => s.oid,
                    None => return Err(crate::storage::catalog::undefined_schema(&n)),
                }
            }
        };
        let Some(s) = catalog.schema_by_oid(oid) else {
            return Ok(Value::Null);
        };
        let acl = s
            .acl
            .clone()
            .unwrap_or_else(|| acl::default_schema_acl(s.oid, s.owner));
        let options = who.grant_options(s.owner, &acl, acl::ALL_SCHEMA);
        (schema_privileges(catalog, &who, oid), options)
    } else {
        let rel = match relation_arg(catalog, &env.search_path, object)? {
            Ok(rel) => rel,
            Err(n)
                if crate::system::lookup(
                    crate::storage::catalog::oids::PG_CATALOG_NAMESPACE,
                    &n,
                )
                .is_some() =>
            {
                return Ok(Value::Bool(
                    (wanted | wanted_options) & acl::SELECT != 0 || who.superuser,
                ));
            }
            Err(n) => return Err(Error::UndefinedTable(n)),
        };
        match rel {
            Some(r) if on == PrivilegeOn::Sequence && !matches!(r, Relation::Sequence(_)) => {
                return Err(Error::WrongObjectType(format!(
                    "\"{}\" is not a sequence",
                    r.name()
                )));
            }
            Some(r) => {
                let (owner, acl) = relation_acl(&r);
                let options = who.grant_options(owner, &acl, all_privileges(&r));
                (relation_privileges(&who, &r), options)
            }
            None => return Ok(Value::Null),
        }
    };
    let (held, held_options) = held;
    Ok(Value::Bool(
        held & wanted != 0 || held_options & wanted_options != 0,
    ))
}

/// A role given to a privilege function: by OID or by name (42704 for an unknown name).
pub(crate) fn role_arg(catalog: &Catalog, v: &crate::Value) -> Result<Who> {
    use crate::Value;
    match v {
        Value::Int(o) => Ok(who_by_oid(catalog, *o as Oid)),
        Value::Reg(_, o) => Ok(who_by_oid(catalog, *o)),
        v => {
            let name = v.to_string();
            match role_named(catalog, &name) {
                Some(_) => Ok(who(catalog, &name)),
                None => Err(Error::UndefinedObject(format!(
                    "role \"{name}\" does not exist"
                ))),
            }
        }
    }
}

/// `pg_has_role([user,] role, privilege)`: whether the user has any of the comma-separated
/// privileges on the role — MEMBER (a member of it, directly or not, INHERIT or not),
/// USAGE (holds its privileges), either WITH ADMIN (or GRANT) OPTION (may grant it; never
/// a role on itself). A superuser has them all.
pub fn has_role(args: &[crate::Value]) -> Result<crate::Value> {
    use crate::Value;
    if args.iter().any(|a| a.is_null()) {
        return Ok(Value::Null);
    }
    let env = crate::env::catalog()?;
    let catalog = &env.catalog;
    let (user, role, privileges) = match args {
        [r, p] => (who(catalog, &env.user), r, p),
        [u, r, p] => (role_arg(catalog, u)?, r, p),
        _ => return Ok(Value::Null),
    };
    let role = role_arg(catalog, role)?;
    let mut any = false;
    for p in privileges.to_string().split(',') {
        let word = p.trim().to_lowercase();
        let (kind, admin) = match word
            .strip_suffix(" with admin option")
            .or_else(|| word.strip_suffix(" with grant option"))
        {
            Some(k) => (k.trim(), true),
            None => (word.as_str(), false),
        };
        let held = if user.superuser {
            true
        } else if admin {
            matches!(kind, "member" | "usage")
                && user.oid != role.oid
                && crate::ddl::role_membership::is_admin_of(catalog, user.oid, role.oid)
        } else {
            match kind {
                "member" => {
                    user.oid == role.oid || catalog.memberships(user.oid, false).contains(&role.oid)
                }
                "usage" => user.acts_as(role.oid),
                _ => false,
            }
        };
        if !matches!(kind, "member" | "usage") {
            return Err(Error::InvalidParameterValue(format!(
                "unrecognized privilege type: \"{}\"",
                p.trim()
            )));
        }
        any |= held;
    }
    Ok(Value::Bool(any))
}

/// The privileges a `has_*_privilege` text names (`'SELECT, UPDATE WITH GRANT OPTION'`):
/// those wanted, and those whose grant option is wanted; each must be one of `allowed`
/// (22023 `unrecognized privilege type` otherwise).
pub fn wanted_privileges(text: &str, allowed: u16) -> Result<(u16, u16)> {
    let (mut wanted, mut wanted_options) = (0u16, 0u16);
    for p in text.split(',') {
        let word = p.trim().to_lowercase();
        let (word, option) = match word.strip_suffix(" with grant option") {
            Some(w) => (w.trim(), true),
            None => (word.as_str(), false),
        };
        let bit = acl::privilege_by_name(word)
            .filter(|b| b & allowed != 0)
            .ok_or_else(|| {
                Error::InvalidParameterValue(format!(
                    "unrecognized privilege type: \"{}\"",
                    p.trim()
                ))
            })?;
        if option {
            wanted_options |= bit;
        } else {
            wanted |= bit;
        }
    }
    Ok((wanted, wanted_options))
}

/// The relation a `has_*_privilege` argument names: by OID (`None` when no relation has
/// it) or by a possibly schema-qualified name on `search_path` (`Err(name)` when no stored
/// relation has that name).
pub fn relation_arg<'c>(
    catalog: &'c Catalog,
    search_path: &[Oid],
    arg: &crate::Value,
) -> Result<std::result::Result<Option<Relation<'c>>, String>> {
    Ok(match arg {
        crate::Value::Int(o) => Ok(catalog.relation_by_oid(*o as Oid)),
        crate::Value::Reg(_, o) => Ok(catalog.relation_by_oid(*o)),
        other => {
            let parts = name_parts(&other.to_string());
            let (s, n) = match parts.as_slice() {
                [n] => (None, n.clone()),
                [s, n] => (Some(s.as_str()), n.clone()),
                _ => return Ok(Err(other.to_string())),
            };
            match catalog.resolve(s, &n, search_path)? {
                Some(r) => Ok(Some(r)),
                None => Err(n),
            }
        }
    })
}
