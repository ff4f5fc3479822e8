//! Column privileges in GRANT / REVOKE: `GRANT SELECT (a, b), UPDATE (c) ON t TO r`, as
//! PostgreSQL's `ExecGrant_Attribute` does them, on tables and views. Each column keeps its
//! own ACL (`ColumnDef::acl` / `ViewColumn::acl`, PostgreSQL's `pg_attribute.attacl`), empty by default (the owner's
//! rights come from the table) and `None` again when its last item goes. The grantor is chosen
//! over the table's and the column's ACL together; a role that holds nothing on a column
//! named is 42501 `permission denied for column "c" of relation "t"`, one without the grant
//! option gets PostgreSQL's WARNINGs per column. A REVOKE of table privileges also takes the
//! column privileges among them from every column (PostgreSQL's `expand_all_col_privileges`);
//! a GRANT of table privileges leaves the columns alone.

use super::grant::{Change, Object, warn_one};
use crate::privilege;
use crate::storage::catalog::acl::{self, AclItem};
use crate::storage::{Catalog, Oid};
use crate::{Error, Result};
use sqlparser::ast;

use crate::column_privilege::COLUMN_RIGHTS;

/// The table-level bits of `privileges` and the column privileges named, by column name in
/// the order written (one entry per column, privileges merged).
pub(super) fn split(
    privileges: &ast::Privileges,
    all: u16,
    kind: &str,
) -> Result<(u16, Vec<(String, u16)>)> {
    let ast::Privileges::Actions(actions) = privileges else {
        return Ok((super::grant::bits(privileges, all, kind)?, Vec::new()));
    };
    let mut table = Vec::new();
    let mut columns: Vec<(String, u16)> = Vec::new();
    for a in actions {
        let (bit, cols) = match a {
            ast::Action::Select { columns: Some(c) } => (acl::SELECT, c),
            ast::Action::Insert { columns: Some(c) } => (acl::INSERT, c),
            ast::Action::Update { columns: Some(c) } => (acl::UPDATE, c),
            ast::Action::References { columns: Some(c) } => (acl::REFERENCES, c),
            other => {
                table.push(other.clone());
                continue;
            }
        };
        for c in cols {
            let name = crate::binder::ident(c);
            match columns.iter_mut().find(|(n, _)| *n == name) {
                Some((_, p)) => *p |= bit,
                None => columns.push((name, bit)),
            }
        }
    }
    let bits = if table.is_empty() {
        0
    } else {
        super::grant::bits(&ast::Privileges::Actions(table), all, kind)?
    };
    Ok((bits, columns))
}

/// The first column a column privilege names, if any.
pub(super) fn first_column(privileges: &ast::Privileges) -> Option<String> {
    let ast::Privileges::Actions(actions) = privileges else {
        return None;
    };
    actions.iter().find_map(|a| match a {
        ast::Action::Select { columns: Some(c) }
        | ast::Action::Insert { columns: Some(c) }
        | ast::Action::Update { columns: Some(c) }
        | ast::Action::References { columns: Some(c) } => c.first().map(crate::binder::ident),
        _ => None,
    })
}

/// The positions of the columns named (42703 for a column the table does not have), in
/// column order.
pub(super) fn resolve(
    relation: &str,
    columns: &[String],
    names: &[(String, u16)],
) -> Result<Vec<(usize, u16)>> {
    let mut out: Vec<(usize, u16)> = Vec::new();
    for (name, bits) in names {
        let i = columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| Error::UndefinedColumn(format!("{name}\" of relation \"{relation}")))?;
        out.push((i, *bits));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// A column as a GRANT changes it: its name and its ACL.
pub(super) type Column = (String, Option<Vec<AclItem>>);

/// What a GRANT or REVOKE does to a table's columns.
pub(super) struct ColumnChange<'a> {
    pub catalog: &'a Catalog,
    pub who: &'a privilege::Who,
    pub object: &'a Object,
    pub grantees: &'a [Oid],
    pub change: Change,
}

impl ColumnChange<'_> {
    /// Applies the change to a relation's `columns` (name and ACL each; `table_acl` is the
    /// relation's stored ACL): the ones `named` (with their checks and WARNINGs) and, for a
    /// REVOKE of the table privileges `table_bits`, the column privileges among them on
    /// every column.
    pub fn apply(
        &self,
        columns: &mut [Column],
        table_acl: Option<&[AclItem]>,
        named: &[(usize, u16)],
        table_bits: u16,
    ) -> Result<()> {
        let table_items = table_acl
            .map(<[AclItem]>::to_vec)
            .unwrap_or_else(|| acl::default_acl(self.object.owner, self.object.all));
        for &(i, bits) in named {
            self.apply_one(columns, &table_items, i, bits, true)?;
        }
        if matches!(self.change, Change::Revoke { .. }) && table_bits & COLUMN_RIGHTS != 0 {
            for i in 0..columns.len() {
                if columns[i].1.is_some() {
                    self.apply_one(columns, &table_items, i, table_bits & COLUMN_RIGHTS, false)?;
                }
            }
        }
        Ok(())
    }

    /// One column: `explicit` when the statement names it (then a grantor holding nothing
    /// on it is refused, and partial grants warn).
    fn apply_one(
        &self,
        columns: &mut [Column],
        table_items: &[AclItem],
        i: usize,
        privileges: u16,
        explicit: bool,
    ) -> Result<()> {
        let who = self.who;
        let owner = self.object.owner;
        let (column, column_acl) = &columns[i];
        let mut items = column_acl.clone().unwrap_or_default();
        let merged: Vec<AclItem> = table_items.iter().chain(&items).copied().collect();
        let as_owner = who.superuser || who.acts_as(owner);
        let (grantor, available) = if as_owner {
            (owner, COLUMN_RIGHTS)
        } else {
            std::iter::once(who.oid)
                .chain(who.inherited.iter().copied())
                .map(|r| (r, acl::held_options(&merged, r) & COLUMN_RIGHTS))
                .max_by_key(|(r, o)| (o.count_ones(), *r == who.oid))
                .unwrap_or((who.oid, 0))
        };
        let what = format!("column \"{column}\" of relation \"{}\"", self.object.name);
        if explicit {
            if available == 0 && who.held(&items) == 0 {
                return Err(Error::InsufficientPrivilege(format!(
                    "permission denied for {what}"
                )));
            }
            warn_one(
                matches!(self.change, Change::Revoke { .. }),
                privileges & available,
                privileges,
                false,
                &what,
            );
        }
        let privileges = privileges & available;
        if privileges == 0 {
            return Ok(());
        }
        for &g in self.grantees {
            match self.change {
                Change::Grant { with_grant_option } => {
                    let options = if with_grant_option { privileges } else { 0 };
                    acl::grant(&mut items, g, grantor, privileges, options);
                }
                Change::Revoke {
                    grant_option_for, ..
                } => acl::revoke(&mut items, g, grantor, privileges, grant_option_for),
            }
        }
        if let Change::Revoke { cascade, .. } = self.change {
            let catalog = self.catalog;
            let ok = acl::revoke_dependents(&mut items, cascade, |column_acl, role| {
                let all: Vec<AclItem> = table_items.iter().chain(column_acl).copied().collect();
                options_of(catalog, owner, &all, role)
            });
            if !ok {
                return Err(Error::DependentObjectsStillExist {
                    message: "dependent privileges exist".into(),
                    detail: String::new(),
                });
            }
        }
        columns[i].1 = (!items.is_empty()).then_some(items);
        Ok(())
    }
}

/// The column grant options `role` holds (through itself or a role it inherits from; all
/// of them for the owner).
fn options_of(catalog: &Catalog, owner: Oid, items: &[AclItem], role: Oid) -> u16 {
    std::iter::once(role)
        .chain(catalog.memberships(role, true))
        .fold(0, |o, r| {
            o | if r == owner {
                COLUMN_RIGHTS
            } else {
                acl::held_options(items, r)
            }
        })
}
