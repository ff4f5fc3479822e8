//! `CREATE TYPE name AS ENUM (...)` and `ALTER TYPE`: enum types kept in the catalog as
//! [`TypeDef`]s whose body lists their labels ([`EnumLabel`]: `pg_enum` OID, sort order,
//! text), listed in `pg_type` (`typtype = 'e'`, with an array type `_name`) and `pg_enum`.
//!
//! * CREATE gives the labels sort orders 1, 2, 3, ... and each an OID.
//! * `ADD VALUE 'x'` appends (order = last + 1); `BEFORE 'y'` / `AFTER 'y'` takes the
//!   midpoint between `y` and its neighbour (or `y` ∓ 1 at an end), as PostgreSQL does.
//!   When no `real` lies between the neighbours PostgreSQL renumbers the type's labels;
//!   Strata cannot (stored values carry their order, see [`crate::types::enums`]) and
//!   refuses with 0A000.
//! * `RENAME VALUE 'a' TO 'b'` changes the label's text only; `RENAME TO` the type's name
//!   (any `CREATE TYPE` type).
//!
//! Every change is a catalog write ([`crate::storage::Txn::put_type`]): transactional and
//! WAL-logged like every DDL.

use super::Ddl;
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::{EnumLabel, TypeBody, TypeDef};
use crate::{Error, Result};
use sqlparser::ast;

/// The longest label PostgreSQL accepts (NAMEDATALEN - 1 bytes).
const MAX_LABEL: usize = 63;

fn check_label(label: &str) -> Result<()> {
    if label.len() > MAX_LABEL || label.is_empty() {
        return Err(Error::InvalidParameterValueDetail {
            message: format!("invalid enum label \"{label}\""),
            detail: "Labels must be 63 bytes or less.".into(),
        });
    }
    Ok(())
}

/// CREATE TYPE name AS ENUM ('a', 'b', ...).
pub fn create(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    labels: &[ast::Ident],
) -> Result<StatementResult> {
    let (schema, type_name) = ddl.target(name)?;
    let catalog = ddl.catalog()?;
    if super::types::type_taken(&catalog, schema, &type_name) {
        return Err(Error::DuplicateObject(format!(
            "type \"{type_name}\" already exists"
        )));
    }
    let (oid, array_oid) = consecutive_oids(ddl)?;
    let mut out: Vec<EnumLabel> = Vec::with_capacity(labels.len());
    for (i, l) in labels.iter().enumerate() {
        check_label(&l.value)?;
        if out.iter().any(|o| o.label == l.value) {
            return Err(Error::UniqueViolation {
                constraint: "pg_enum_typid_label_index".into(),
                detail: format!(
                    "Key (enumtypid, enumlabel)=({oid}, {}) already exists.",
                    l.value
                ),
            });
        }
        out.push(EnumLabel {
            oid: ddl.txn.new_oid()?,
            sort: (i + 1) as f32,
            label: l.value.clone(),
        });
    }
    ddl.txn.put_type(TypeDef {
        oid,
        schema,
        name: type_name,
        fields: Vec::new(),
        owner: crate::privilege::current(&catalog).oid,
        comment: None,
        body: TypeBody::Enum(out),
        array_oid,
    })?;
    Ok(StatementResult::command("CREATE TYPE"))
}

/// ALTER TYPE name { ADD VALUE | RENAME VALUE | RENAME TO }.
pub fn alter(ddl: &mut Ddl, a: &ast::AlterType) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let Some(def) = super::types::find(&catalog, &ddl.search_path, &a.name)? else {
        let (_, n) = crate::binder::split_name(&a.name)?;
        return Err(Error::UndefinedObject(format!(
            "type \"{n}\" does not exist"
        )));
    };
    let mut def = def.clone();
    let who = crate::privilege::current(&catalog);
    if !who.superuser && !who.acts_as(def.owner) {
        return Err(Error::InsufficientPrivilege(format!(
            "must be owner of type {}",
            def.name
        )));
    }
    match &a.operation {
        ast::AlterTypeOperation::Rename(r) => {
            let new = ident(&r.new_name);
            if super::types::type_taken(&catalog, def.schema, &new) {
                return Err(Error::DuplicateObject(format!(
                    "type \"{new}\" already exists"
                )));
            }
            def.name = new;
        }
        ast::AlterTypeOperation::AddValue(add) => {
            let not_enum = not_enum(&def);
            let TypeBody::Enum(labels) = &mut def.body else {
                return Err(not_enum);
            };
            let label = add.value.value.clone();
            check_label(&label)?;
            if labels.iter().any(|l| l.label == label) {
                if add.if_not_exists {
                    crate::notice::emit(crate::notice::Notice::new(
                        "42710",
                        format!("enum label \"{label}\" already exists, skipping"),
                    ));
                    return Ok(StatementResult::command("ALTER TYPE"));
                }
                return Err(Error::DuplicateObject(format!(
                    "enum label \"{label}\" already exists"
                )));
            }
            let (at, sort) = match &add.position {
                None => (labels.len(), labels.last().map_or(1.0, |l| l.sort + 1.0)),
                Some(p) => {
                    let (neighbour, before) = match p {
                        ast::AlterTypeAddValuePosition::Before(n) => (&n.value, true),
                        ast::AlterTypeAddValuePosition::After(n) => (&n.value, false),
                    };
                    let i = labels
                        .iter()
                        .position(|l| &l.label == neighbour)
                        .ok_or_else(|| {
                            Error::InvalidParameterValue(format!(
                                "\"{neighbour}\" is not an existing enum label"
                            ))
                        })?;
                    between(labels, i, before)?
                }
            };
            labels.insert(
                at,
                EnumLabel {
                    oid: ddl.txn.new_oid()?,
                    sort,
                    label,
                },
            );
        }
        ast::AlterTypeOperation::RenameValue(r) => {
            let not_enum = not_enum(&def);
            let TypeBody::Enum(labels) = &mut def.body else {
                return Err(not_enum);
            };
            let (from, to) = (&r.from.value, &r.to.value);
            check_label(to)?;
            if labels.iter().any(|l| &l.label == to) {
                return Err(Error::DuplicateObject(format!(
                    "enum label \"{to}\" already exists"
                )));
            }
            let l = labels
                .iter_mut()
                .find(|l| &l.label == from)
                .ok_or_else(|| {
                    Error::InvalidParameterValue(format!(
                        "\"{from}\" is not an existing enum label"
                    ))
                })?;
            l.label = to.clone();
        }
    }
    ddl.txn.put_type(def)?;
    Ok(StatementResult::command("ALTER TYPE"))
}

/// Two consecutive OIDs: an enum type's and its array type's, so that the array type's
/// OID follows from the type's without the catalog ([`crate::types::enums::array_oid`],
/// needed where no statement environment is installed, as when a prepared statement's
/// parameters are described).
fn consecutive_oids(ddl: &mut Ddl) -> Result<(u32, u32)> {
    let mut a = ddl.txn.new_oid()?;
    for _ in 0..100 {
        let b = ddl.txn.new_oid()?;
        if b == a.wrapping_add(1) {
            return Ok((a, b));
        }
        a = b;
    }
    Err(Error::Internal(
        "could not allocate two consecutive OIDs".into(),
    ))
}

fn not_enum(def: &TypeDef) -> Error {
    Error::WrongObjectType(format!("{} is not an enum", def.name))
}

/// Where a label placed before or after label `i` goes, and its sort order: the midpoint
/// between `i` and its neighbour on that side, or `i`'s order ∓ 1 at an end.
fn between(labels: &[EnumLabel], i: usize, before: bool) -> Result<(usize, f32)> {
    let here = labels[i].sort;
    let (at, other) = if before {
        (i, i.checked_sub(1).map(|j| labels[j].sort))
    } else {
        (i + 1, labels.get(i + 1).map(|l| l.sort))
    };
    let sort = match other {
        None if before => here - 1.0,
        None => here + 1.0,
        Some(o) => {
            let mid = (here + o) / 2.0;
            if mid == here || mid == o {
                return Err(Error::unsupported(
                    "no room for another enum label here (PostgreSQL would renumber the type's labels)",
                ));
            }
            mid
        }
    };
    Ok((at, sort))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(sorts: &[f32]) -> Vec<EnumLabel> {
        sorts
            .iter()
            .enumerate()
            .map(|(i, s)| EnumLabel {
                oid: i as u32,
                sort: *s,
                label: i.to_string(),
            })
            .collect()
    }

    #[test]
    fn new_labels_go_between_their_neighbours() {
        let l = labels(&[1.0, 2.0, 3.0]);
        assert_eq!(between(&l, 1, true).unwrap(), (1, 1.5));
        assert_eq!(between(&l, 1, false).unwrap(), (2, 2.5));
        assert_eq!(between(&l, 0, true).unwrap(), (0, 0.0));
        assert_eq!(between(&l, 2, false).unwrap(), (3, 4.0));
        let tight = labels(&[1.0, f32::from_bits(1.0f32.to_bits() + 1)]);
        assert!(between(&tight, 1, true).is_err());
    }
}
