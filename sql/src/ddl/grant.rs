//! GRANT / REVOKE of table, sequence and schema privileges: `ON [TABLE] t, ...`, `ON ALL
//! TABLES IN SCHEMA s`, `ON SEQUENCE q, ...`, `ON ALL SEQUENCES IN SCHEMA s`, `ON SCHEMA
//! s`, to or from roles and `PUBLIC`. A sequence named in the TABLE form takes only the
//! privileges a sequence has (USAGE, SELECT, UPDATE; PostgreSQL warns about the rest). The grantor recorded is the
//! object's owner when the owner or a superuser grants (as PostgreSQL records it); another
//! role grants what its grant options allow, as the role holding the most of them. What it
//! may not grant or revoke is left out with PostgreSQL's WARNINGs (01007 / 01006: `no
//! privileges were granted for "t"`, `not all privileges could be revoked for column "c" of
//! relation "t"`, ...). The first GRANT or REVOKE turns the object's default ACL into a stored
//! one (see [`crate::storage::catalog::acl`]).

use super::Ddl;
use super::grant_columns;
use crate::binder::{ident, split_name};
use crate::privilege;
use crate::result::StatementResult;
use crate::storage::catalog::acl::{self, AclItem};
use crate::storage::{Catalog, Oid, Relation, SequenceDef, TableDef, ViewDef};
use crate::{Error, Result};
use sqlparser::ast;

/// What a GRANT or REVOKE names.
enum Target {
    Table(TableDef),
    View(ViewDef),
    /// `table_form`: named by `ON [TABLE]` rather than `ON SEQUENCE`.
    Sequence {
        def: SequenceDef,
        table_form: bool,
    },
    Schema(Oid),
}

/// The privilege bits of `privileges` for objects whose full set is `all` (`kind` names
/// them in errors: `table`, `schema`).
pub(super) fn bits(privileges: &ast::Privileges, all: u16, kind: &str) -> Result<u16> {
    let actions = match privileges {
        ast::Privileges::All { .. } => return Ok(all),
        ast::Privileges::Actions(a) => a,
    };
    let mut out = 0;
    for a in actions {
        let (bit, word) = match a {
            ast::Action::Select { columns }
            | ast::Action::Insert { columns }
            | ast::Action::Update { columns }
            | ast::Action::References { columns } => {
                if columns.is_some() {
                    return Err(Error::unsupported(
                        "column privileges are not supported yet",
                    ));
                }
                let word = match a {
                    ast::Action::Select { .. } => "SELECT",
                    ast::Action::Insert { .. } => "INSERT",
                    ast::Action::Update { .. } => "UPDATE",
                    _ => "REFERENCES",
                };
                (acl::privilege_by_name(word), word)
            }
            ast::Action::Delete => (Some(acl::DELETE), "DELETE"),
            ast::Action::Truncate => (Some(acl::TRUNCATE), "TRUNCATE"),
            ast::Action::Trigger => (Some(acl::TRIGGER), "TRIGGER"),
            ast::Action::Usage => (Some(acl::USAGE), "USAGE"),
            ast::Action::Execute { obj_type: None } => (Some(acl::EXECUTE), "EXECUTE"),
            ast::Action::Create { obj_type: None } => (Some(acl::CREATE), "CREATE"),
            other => {
                return Err(Error::unsupported(format!(
                    "privilege {other} is not supported"
                )));
            }
        };
        let bit = bit.unwrap_or(0);
        if bit & all == 0 {
            return Err(Error::InvalidGrantOperation(format!(
                "invalid privilege type {word} for {kind}"
            )));
        }
        out |= bit;
    }
    Ok(out)
}

/// The grantee OIDs (0 for PUBLIC).
pub(super) fn grantees(catalog: &Catalog, grantees: &[ast::Grantee]) -> Result<Vec<Oid>> {
    let mut out = Vec::new();
    for g in grantees {
        if g.grantee_type == ast::GranteesType::Public {
            out.push(acl::PUBLIC);
            continue;
        }
        let Some(ast::GranteeName::ObjectName(n)) = &g.name else {
            return Err(Error::unsupported("this grantee is not supported"));
        };
        let ids = &n.0;
        let name = match ids.as_slice() {
            [part] => match part.as_ident() {
                Some(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("public") => {
                    out.push(acl::PUBLIC);
                    continue;
                }
                Some(i) => ident(i),
                None => return Err(Error::unsupported("this grantee is not supported")),
            },
            _ => return Err(Error::SyntaxError("a role name cannot be qualified".into())),
        };
        let role = privilege::role_named(catalog, &name)
            .ok_or_else(|| Error::UndefinedObject(format!("role \"{name}\" does not exist")))?;
        out.push(role.oid);
    }
    Ok(out)
}

/// The objects named, with the privilege set that applies to them.
fn targets(ddl: &Ddl, catalog: &Catalog, objects: &ast::GrantObjects) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    let schema_oid = |n: &ast::ObjectName| -> Result<Oid> {
        let (_, s) = split_name(n)?;
        catalog
            .schema(&s)
            .map(|s| s.oid)
            .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))
    };
    match objects {
        ast::GrantObjects::Tables(names) => {
            for n in names {
                let (schema, rel) = split_name(n)?;
                match catalog.resolve(schema.as_deref(), &rel, &ddl.search_path)? {
                    Some(Relation::Table(t)) => out.push(Target::Table(t.clone())),
                    Some(Relation::View(v)) => out.push(Target::View(v.clone())),
                    Some(Relation::Sequence(s)) => out.push(Target::Sequence {
                        def: s.clone(),
                        table_form: true,
                    }),
                    Some(Relation::Index { .. }) => {
                        return Err(Error::WrongObjectType(format!("\"{rel}\" is an index")));
                    }
                    None => return Err(Error::UndefinedTable(rel)),
                }
            }
        }
        ast::GrantObjects::AllTablesInSchema { schemas } => {
            for n in schemas {
                let oid = schema_oid(n)?;
                out.extend(
                    catalog
                        .tables
                        .iter()
                        .filter(|t| t.schema == oid)
                        .cloned()
                        .map(Target::Table),
                );
                out.extend(
                    catalog
                        .views
                        .iter()
                        .filter(|v| v.schema == oid)
                        .cloned()
                        .map(Target::View),
                );
            }
        }
        ast::GrantObjects::Sequences(names) => {
            for n in names {
                let (schema, rel) = split_name(n)?;
                match catalog.resolve(schema.as_deref(), &rel, &ddl.search_path)? {
                    Some(Relation::Sequence(s)) => out.push(Target::Sequence {
                        def: s.clone(),
                        table_form: false,
                    }),
                    Some(_) => {
                        return Err(Error::WrongObjectType(format!(
                            "\"{rel}\" is not a sequence"
                        )));
                    }
                    None => return Err(Error::UndefinedTable(rel)),
                }
            }
        }
        ast::GrantObjects::AllSequencesInSchema { schemas } => {
            for n in schemas {
                let oid = schema_oid(n)?;
                out.extend(
                    catalog
                        .sequences
                        .iter()
                        .filter(|s| s.schema == oid)
                        .map(|s| Target::Sequence {
                            def: s.clone(),
                            table_form: false,
                        }),
                );
            }
        }
        ast::GrantObjects::Schemas(names) => {
            for n in names {
                out.push(Target::Schema(schema_oid(n)?));
            }
        }
        other => {
            return Err(Error::unsupported(format!(
                "GRANT ON {other} is not supported yet"
            )));
        }
    }
    Ok(out)
}

/// What a GRANT or REVOKE of privileges does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Grant {
        with_grant_option: bool,
    },
    /// `grant_option_for`: only the right to grant goes; `cascade`: so do the privileges
    /// granted with it.
    Revoke {
        grant_option_for: bool,
        cascade: bool,
    },
}

/// GRANT or REVOKE `privileges` ON `objects` TO / FROM `to`.
pub fn execute(
    ddl: &mut Ddl,
    privileges: &ast::Privileges,
    objects: Option<&ast::GrantObjects>,
    to: &[ast::Grantee],
    change: Change,
) -> Result<StatementResult> {
    let tag = StatementResult::command(match change {
        Change::Grant { .. } => "GRANT",
        Change::Revoke { .. } => "REVOKE",
    });
    let Some(objects) = objects else {
        return Err(Error::unsupported("GRANT without ON is not supported"));
    };
    let catalog = ddl.catalog()?;
    let who = privilege::current(&catalog);
    let grantees = grantees(&catalog, to)?;
    let all = matches!(privileges, ast::Privileges::All { .. });
    // The object's ACL `items` with the change applied.
    let changed = |object: &Object, mut items: Vec<AclItem>, p: u16| -> Result<Vec<AclItem>> {
        apply(
            &catalog,
            &who,
            object,
            &mut items,
            &grantees,
            (p, all),
            change,
        )?;
        Ok(items)
    };
    // A table's or view's own ACL (`own`) and its `columns`' ACLs with the change applied:
    // the privileges named without columns go to the relation (unless only column
    // privileges are named), those with columns to the columns.
    let on_relation = |object: &Object,
                       kind: &str,
                       name: &str,
                       own: &mut Option<Vec<AclItem>>,
                       mut columns: Vec<grant_columns::Column>|
     -> Result<Vec<grant_columns::Column>> {
        let (p, named) = grant_columns::split(privileges, acl::ALL_RELATION, kind)?;
        let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
        let named = grant_columns::resolve(name, &names, &named)?;
        if p != 0 || named.is_empty() {
            *own = Some(changed(object, object.acl(own.take()), p)?);
        }
        grant_columns::ColumnChange {
            catalog: &catalog,
            who: &who,
            object,
            grantees: &grantees,
            change,
        }
        .apply(&mut columns, own.as_deref(), &named, p)?;
        Ok(columns)
    };
    for target in targets(ddl, &catalog, objects)? {
        match target {
            Target::Table(mut t) => {
                let (object, kind) = {
                    let rel = Relation::Table(&t);
                    (Object::relation(&rel), rel.kind_name())
                };
                let columns = t.columns.iter().map(|c| (c.name.clone(), c.acl.clone()));
                let columns = on_relation(&object, kind, &t.name, &mut t.acl, columns.collect())?;
                for (c, (_, acl)) in t.columns.iter_mut().zip(columns) {
                    c.acl = acl;
                }
                ddl.txn.alter_table(t)?;
            }
            Target::View(mut v) => {
                let (object, kind) = {
                    let rel = Relation::View(&v);
                    (Object::relation(&rel), rel.kind_name())
                };
                let columns = v.columns.iter().map(|c| (c.name.clone(), c.acl.clone()));
                let columns = on_relation(&object, kind, &v.name, &mut v.acl, columns.collect())?;
                for (c, (_, acl)) in v.columns.iter_mut().zip(columns) {
                    c.acl = acl;
                }
                ddl.txn.put_view(v)?;
            }
            Target::Sequence {
                mut def,
                table_form,
            } => {
                if let Some(name) = grant_columns::first_column(privileges) {
                    return Err(Error::UndefinedColumn(format!(
                        "{name}\" of relation \"{}",
                        def.name
                    )));
                }
                let p = if table_form {
                    let p = bits(
                        privileges,
                        acl::ALL_RELATION | acl::ALL_SEQUENCE,
                        "relation",
                    )?;
                    if !all && p & !acl::ALL_SEQUENCE != 0 {
                        crate::notice::emit(crate::notice::Notice::warning(
                            "0LP01",
                            format!(
                                "sequence \"{}\" only supports USAGE, SELECT, and UPDATE privileges",
                                def.name
                            ),
                        ));
                    }
                    p & acl::ALL_SEQUENCE
                } else {
                    bits(privileges, acl::ALL_SEQUENCE, "sequence")?
                };
                let rel = Relation::Sequence(&def);
                let object = Object::relation(&rel);
                def.acl = Some(changed(&object, object.acl(def.acl.take()), p)?);
                ddl.txn.alter_sequence(def)?;
            }
            Target::Schema(oid) => {
                let p = bits(privileges, acl::ALL_SCHEMA, "schema")?;
                let Some(mut s) = catalog.schemas.iter().find(|s| s.oid == oid).cloned() else {
                    return Err(Error::InsufficientPrivilege(format!(
                        "permission denied for schema {}",
                        catalog.schema_name(oid)
                    )));
                };
                let denied = Error::InsufficientPrivilege(format!(
                    "permission denied for schema {}",
                    s.name
                ));
                let items = s
                    .acl
                    .take()
                    .unwrap_or_else(|| acl::default_schema_acl(s.oid, s.owner));
                let object = Object {
                    owner: s.owner,
                    all: acl::ALL_SCHEMA,
                    denied,
                    name: s.name.clone(),
                    columns: Vec::new(),
                };
                s.acl = Some(changed(&object, items, p)?);
                ddl.txn.alter_schema(s)?;
            }
        }
    }
    Ok(tag)
}

/// The object a GRANT or REVOKE changes: its owner, every privilege it has, and the error
/// for a role with no right on it.
pub(super) struct Object {
    pub owner: Oid,
    pub all: u16,
    denied: Error,
    /// Its name in WARNINGs.
    pub name: String,
    /// The columns a REVOKE's column WARNINGs name, in PostgreSQL's order (a table's
    /// system columns first; none for sequences and schemas).
    columns: Vec<String>,
}

impl Object {
    fn relation(rel: &Relation) -> Object {
        const SYSTEM: [&str; 6] = ["tableoid", "cmax", "xmax", "cmin", "xmin", "ctid"];
        let (name, columns) = match rel {
            Relation::Table(t) => (
                t.name.clone(),
                SYSTEM
                    .iter()
                    .map(|c| c.to_string())
                    .chain(t.columns.iter().map(|c| c.name.clone()))
                    .collect(),
            ),
            Relation::View(v) => (
                v.name.clone(),
                v.columns.iter().map(|c| c.name.clone()).collect(),
            ),
            Relation::Sequence(s) => (s.name.clone(), Vec::new()),
            Relation::Index { .. } => (String::new(), Vec::new()),
        };
        Object {
            owner: privilege::relation_acl(rel).0,
            all: privilege::all_privileges(rel),
            denied: privilege::denied(rel),
            name,
            columns,
        }
    }

    /// Its ACL: the stored one, or the default.
    fn acl(&self, stored: Option<Vec<AclItem>>) -> Vec<AclItem> {
        stored.unwrap_or_else(|| acl::default_acl(self.owner, self.all))
    }
}

/// PostgreSQL's WARNINGs for the part of `requested` a grantor with grant options
/// `available` may not grant or revoke (`restrict_and_check_grant`): for the object, then,
/// for a REVOKE of column privileges on a table or view, for each column.
fn warn_unavailable(
    object: &Object,
    requested: u16,
    available: u16,
    all_privileges: bool,
    change: Change,
) {
    let revoke = matches!(change, Change::Revoke { .. });
    let warn = |granted: u16, requested: u16, all: bool, what: &str| {
        warn_one(revoke, granted, requested, all, what)
    };
    warn(
        requested & available,
        requested,
        all_privileges,
        &format!("\"{}\"", object.name),
    );
    let column_rights = acl::SELECT | acl::INSERT | acl::UPDATE | acl::REFERENCES;
    let columns = requested & column_rights;
    if revoke && columns != 0 {
        for c in &object.columns {
            warn(
                columns & available,
                columns,
                columns == column_rights,
                &format!("column \"{c}\" of relation \"{}\"", object.name),
            );
        }
    }
}

/// PostgreSQL's WARNING for a grant or revoke of `requested` on `what` of which only
/// `granted` could be given or taken (none, or not all unless ALL was asked for).
pub(super) fn warn_one(revoke: bool, granted: u16, requested: u16, all: bool, what: &str) {
    let (code, none, some) = if revoke {
        (
            "01006",
            "no privileges could be revoked",
            "not all privileges could be revoked",
        )
    } else {
        (
            "01007",
            "no privileges were granted",
            "not all privileges were granted",
        )
    };
    let message = if granted == 0 {
        none
    } else if !all && granted != requested {
        some
    } else {
        return;
    };
    crate::notice::emit(crate::notice::Notice::warning(
        code,
        format!("{message} for {what}"),
    ));
}

/// The grant options `role` holds in `items` (through itself or a role it inherits from;
/// all of them for the owner, whose options are implicit).
fn options_of(catalog: &Catalog, object: &Object, items: &[AclItem], role: Oid) -> u16 {
    if role == object.owner {
        return object.all;
    }
    let inherited = catalog.memberships(role, true);
    std::iter::once(role).chain(inherited).fold(0, |o, r| {
        o | if r == object.owner {
            object.all
        } else {
            acl::held_options(items, r)
        }
    })
}

/// Applies a grant or revoke to an object's ACL `items` as PostgreSQL does: the owner (or
/// a superuser) acts as the owner; another role as the role (itself or one it inherits
/// from) holding the most grant options, for the privileges it may grant — none at all is
/// no change (PostgreSQL warns), no privilege at all is 42501. A revoke removes what that
/// grantor granted, and the privileges others granted on the strength of it: with CASCADE,
/// else 2BP01 "dependent privileges exist".
fn apply(
    catalog: &Catalog,
    who: &privilege::Who,
    object: &Object,
    items: &mut Vec<AclItem>,
    grantees: &[Oid],
    (privileges, all_privileges): (u16, bool),
    change: Change,
) -> Result<()> {
    let (grantor, available) = if who.superuser || who.acts_as(object.owner) {
        (object.owner, object.all)
    } else {
        std::iter::once(who.oid)
            .chain(who.inherited.iter().copied())
            .map(|r| (r, acl::held_options(items, r)))
            .max_by_key(|(r, o)| (o.count_ones(), *r == who.oid))
            .unwrap_or((who.oid, 0))
    };
    if available == 0 && who.held(items) == 0 {
        return Err(object.denied.clone());
    }
    warn_unavailable(object, privileges, available, all_privileges, change);
    if available == 0 {
        return Ok(());
    }
    let privileges = privileges & available;
    for &g in grantees {
        match change {
            Change::Grant { with_grant_option } => {
                let options = if with_grant_option { privileges } else { 0 };
                acl::grant(items, g, grantor, privileges, options);
            }
            Change::Revoke {
                grant_option_for, ..
            } => acl::revoke(items, g, grantor, privileges, grant_option_for),
        }
    }
    if let Change::Revoke { cascade, .. } = change
        && !acl::revoke_dependents(items, cascade, |acl, role| {
            options_of(catalog, object, acl, role)
        })
    {
        return Err(Error::DependentObjectsStillExist {
            message: "dependent privileges exist".into(),
            detail: String::new(),
        });
    }
    Ok(())
}
