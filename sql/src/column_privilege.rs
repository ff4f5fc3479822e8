//! Column privileges at run time: the check a statement passes on the strength of column
//! grants when it lacks the table privilege (PostgreSQL's `ExecCheckOneRelPerms`),
//! `has_column_privilege`, and the rows of `information_schema.column_privileges` /
//! `role_column_grants`.
//!
//! A statement that lacks SELECT, INSERT or UPDATE on a table still runs when the role holds
//! that privilege on every column it reads, inserts or updates ([`Need::selected`] and the
//! others); one that names no column (`SELECT count(*)`, `INSERT ... DEFAULT VALUES`) needs
//! it on at least one column, a whole-row reference on all of them. Other privileges
//! (DELETE, TRUNCATE, ...) exist only on the table. The error stays PostgreSQL's `permission
//! denied for table t`.

use crate::privilege::{self, Need, Who};
use crate::storage::catalog::acl::{self, AclItem};
use crate::storage::{Catalog, Relation, Row};
use crate::types::Value;
use crate::{Error, Result};

/// A column position meaning "every column" (a whole-row reference, PostgreSQL's attnum 0).
pub const WHOLE_ROW: usize = usize::MAX;

/// The privileges a column can have.
pub const COLUMN_RIGHTS: u16 = acl::SELECT | acl::INSERT | acl::UPDATE | acl::REFERENCES;

/// The ACL of column `i` of a table or view (`None`: none stored, or no such column).
fn column_acl<'a>(rel: &Relation<'a>, i: usize) -> Option<&'a [AclItem]> {
    match rel {
        Relation::Table(t) => t.columns.get(i).and_then(|c| c.acl.as_deref()),
        Relation::View(v) => v.columns.get(i).and_then(|c| c.acl.as_deref()),
        _ => None,
    }
}

/// The number of columns of a table or view.
fn column_count(rel: &Relation) -> usize {
    match rel {
        Relation::Table(t) => t.columns.len(),
        Relation::View(v) => v.columns.len(),
        _ => 0,
    }
}

/// Whether column privileges make up for what `held` (the table privileges of `who`) lacks
/// of `need` (see the module docs).
pub fn allows(who: &Who, rel: &Relation, need: &Need, held: u16) -> bool {
    let remaining = need.privileges & !held;
    if need.table_level || remaining & !(acl::SELECT | acl::INSERT | acl::UPDATE) != 0 {
        return false;
    }
    let n = column_count(rel);
    let has = |i: usize, bit: u16| column_acl(rel, i).is_some_and(|a| who.held(a) & bit != 0);
    let wanted = [
        (acl::SELECT, &need.selected),
        (acl::INSERT, &need.inserted),
        (acl::UPDATE, &need.updated),
    ];
    wanted
        .into_iter()
        .filter(|(bit, _)| remaining & bit != 0)
        .all(|(bit, cols)| {
            if cols.is_empty() {
                (0..n).any(|i| has(i, bit))
            } else {
                cols.iter().all(|&c| {
                    if c == WHOLE_ROW {
                        (0..n).all(|i| has(i, bit))
                    } else {
                        has(c, bit)
                    }
                })
            }
        })
}

/// A constraint error of a statement with `needs` run by `who`, with no row values the role
/// may not see. A role writing a table it may not read in full (it lacks the table's SELECT,
/// writing through column privileges or none) sees a unique violation's key only with SELECT
/// on every key column, as PostgreSQL's `BuildIndexValueDescription`; check and foreign key
/// violations lose their DETAIL (PostgreSQL shows the columns the role may read there).
pub fn scrub(catalog: &Catalog, who: &Who, needs: &[Need], e: Error) -> Error {
    if who.superuser {
        return e;
    }
    let hidden: Vec<&crate::storage::TableDef> = needs
        .iter()
        .filter(|n| {
            n.as_role.is_none() && n.privileges & (acl::INSERT | acl::UPDATE | acl::DELETE) != 0
        })
        .filter_map(|n| match catalog.relation_by_oid(n.relation) {
            Some(rel @ Relation::Table(t))
                if privilege::relation_privileges(who, &rel) & acl::SELECT == 0 =>
            {
                Some(t)
            }
            _ => None,
        })
        .collect();
    if hidden.is_empty() {
        return e;
    }
    if let Some(name) = unique_constraint(&e) {
        let key = hidden.iter().find_map(|t| {
            if t.primary_key_name.as_deref() == Some(name) {
                Some((*t, t.primary_key.clone()))
            } else {
                t.indexes
                    .iter()
                    .find(|i| i.unique && i.name == name)
                    .map(|i| (*t, i.columns.clone()))
            }
        });
        let visible = match key {
            // A key over a table the role reads in full.
            None => true,
            Some((t, columns)) => {
                let rel = Relation::Table(t);
                columns
                    .iter()
                    .all(|&c| column_acl(&rel, c).is_some_and(|a| who.held(a) & acl::SELECT != 0))
            }
        };
        if visible {
            return e;
        }
    }
    without_row_values(e)
}

/// The constraint a unique violation names.
fn unique_constraint(e: &Error) -> Option<&str> {
    match e {
        Error::UniqueViolation { constraint, .. } => Some(constraint),
        Error::WithContext { error, .. }
        | Error::WithHint { error, .. }
        | Error::Positioned { error, .. }
        | Error::OnObject { error, .. } => unique_constraint(error),
        _ => None,
    }
}

/// `e` without the row values its DETAIL shows (unique, check and foreign key violations).
fn without_row_values(e: Error) -> Error {
    match e {
        Error::UniqueViolation { constraint, .. } => Error::UniqueViolation {
            constraint,
            detail: String::new(),
        },
        Error::CheckViolation { message, .. } => Error::CheckViolation {
            message,
            detail: String::new(),
        },
        Error::ForeignKeyViolation { message, .. } => Error::ForeignKeyViolation {
            message,
            detail: String::new(),
        },
        Error::WithContext { error, context } => Error::WithContext {
            error: Box::new(without_row_values(*error)),
            context,
        },
        Error::WithHint { error, hint } => Error::WithHint {
            error: Box::new(without_row_values(*error)),
            hint,
        },
        Error::Positioned { error, position } => Error::Positioned {
            error: Box::new(without_row_values(*error)),
            position,
        },
        Error::OnObject { error, object } => Error::OnObject {
            error: Box::new(without_row_values(*error)),
            object,
        },
        other => other,
    }
}

/// The column privileges (and grant options) `who` holds on column `i` of `rel`: the
/// table's plus the column's own.
fn held_on_column(who: &Who, rel: &Relation, i: usize) -> (u16, u16) {
    let (owner, items) = privilege::relation_acl(rel);
    let all = privilege::all_privileges(rel);
    let mut held = privilege::relation_privileges(who, rel);
    let mut options = who.grant_options(owner, &items, all);
    if let Some(column_acl) = column_acl(rel, i) {
        held |= who.held(column_acl);
        options |= who.grant_options(owner, column_acl, all);
    }
    (held & COLUMN_RIGHTS, options & COLUMN_RIGHTS)
}

/// `has_column_privilege([user,] table, column, privilege)`: the table by name or OID, the
/// column by name or number (NULL for a table OID or column number that does not exist),
/// any of the comma-separated privileges, from the table's and the column's ACLs.
pub fn has_column_privilege(args: &[Value]) -> Result<Value> {
    if args.iter().any(|a| a.is_null()) {
        return Ok(Value::Null);
    }
    let env = crate::env::catalog()?;
    let catalog = &env.catalog;
    let (who, table, column, privileges) = match args {
        [t, c, p] => (privilege::who(catalog, &env.user), t, c, p),
        [u, t, c, p] => (privilege::role_arg(catalog, u)?, t, c, p),
        _ => return Ok(Value::Null),
    };
    let rel = privilege::relation_arg(catalog, &env.search_path, table)?
        .map_err(Error::UndefinedTable)?;
    let Some(rel) = rel else {
        return Ok(Value::Null);
    };
    let names: Vec<String> = match &rel {
        Relation::Table(t) => t.columns.iter().map(|c| c.name.clone()).collect(),
        Relation::View(v) => v.columns.iter().map(|c| c.name.clone()).collect(),
        Relation::Sequence(_) => crate::system::sequence_columns()
            .iter()
            .map(|(n, _)| n.to_string())
            .collect(),
        Relation::Index { .. } => Vec::new(),
    };
    let i = match column {
        Value::Int(n) => match usize::try_from(*n)
            .ok()
            .filter(|&n| n >= 1 && n <= names.len())
        {
            Some(n) => n - 1,
            None => return Ok(Value::Null),
        },
        other => {
            let name = other.to_string();
            names.iter().position(|c| *c == name).ok_or_else(|| {
                Error::UndefinedColumn(format!("{name}\" of relation \"{}", rel.name()))
            })?
        }
    };
    let (wanted, wanted_options) =
        crate::privilege::wanted_privileges(&privileges.to_string(), COLUMN_RIGHTS)?;
    let (held, options) = held_on_column(&who, &rel, i);
    Ok(Value::Bool(
        held & wanted != 0 || options & wanted_options != 0,
    ))
}

/// Rows of `information_schema.column_privileges` (`role_only`: `role_column_grants`, which
/// leaves out what only PUBLIC's grants show): a row per column privilege granted on a table
/// or view column, by its table ACL (the default one included) or its own, visible when the
/// grantor or the grantee is a role the current user acts as (or, `column_privileges` only,
/// the grantee is PUBLIC).
pub fn information_schema_rows(catalog: &Catalog, role_only: bool) -> Vec<Row> {
    let who = privilege::current(catalog);
    let database = crate::env::with(|e| e.session.database.clone());
    let enabled = |oid| who.superuser || who.acts_as(oid);
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    let mut add =
        |schema: &str, table: &str, owner, column: &str, items: &[AclItem], rows: &mut Vec<Row>| {
            for item in items {
                let visible = enabled(item.grantor)
                    || enabled(item.grantee)
                    || (!role_only && item.grantee == acl::PUBLIC);
                if !visible {
                    continue;
                }
                for (bit, word) in [
                    (acl::INSERT, "INSERT"),
                    (acl::SELECT, "SELECT"),
                    (acl::UPDATE, "UPDATE"),
                    (acl::REFERENCES, "REFERENCES"),
                ] {
                    if item.privileges & bit == 0 {
                        continue;
                    }
                    let grantable = item.grant_options & bit != 0
                        || (item.grantee != acl::PUBLIC
                            && (item.grantee == owner
                                || catalog.memberships(item.grantee, true).contains(&owner)));
                    let key = (
                        item.grantor,
                        item.grantee,
                        schema.to_string(),
                        table.to_string(),
                        column.to_string(),
                        bit,
                        grantable,
                    );
                    if !seen.insert(key) {
                        continue;
                    }
                    let grantee = if item.grantee == acl::PUBLIC {
                        "PUBLIC".to_string()
                    } else {
                        catalog.role_name(item.grantee)
                    };
                    rows.push(vec![
                        Value::Text(catalog.role_name(item.grantor)),
                        Value::Text(grantee),
                        Value::Text(database.clone()),
                        Value::Text(schema.to_string()),
                        Value::Text(table.to_string()),
                        Value::Text(column.to_string()),
                        Value::Text(word.to_string()),
                        Value::Text(if grantable { "YES" } else { "NO" }.to_string()),
                    ]);
                }
            }
        };
    for t in catalog.tables.iter().filter(|t| t.materialized.is_none()) {
        let schema = catalog.schema_name(t.schema);
        let (owner, items) = privilege::relation_acl(&Relation::Table(t));
        for c in &t.columns {
            add(&schema, &t.name, owner, &c.name, &items, &mut rows);
            if let Some(own) = &c.acl {
                add(&schema, &t.name, owner, &c.name, own, &mut rows);
            }
        }
    }
    for v in &catalog.views {
        let schema = catalog.schema_name(v.schema);
        let (owner, items) = privilege::relation_acl(&Relation::View(v));
        for c in &v.columns {
            add(&schema, &v.name, owner, &c.name, &items, &mut rows);
            if let Some(own) = &c.acl {
                add(&schema, &v.name, owner, &c.name, own, &mut rows);
            }
        }
    }
    rows
}
