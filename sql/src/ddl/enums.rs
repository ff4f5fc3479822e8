//! `CREATE TYPE name AS ENUM (...)` and `ALTER TYPE`: enum types kept in the catalog as
//! [`TypeDef`]s whose body lists their labels ([`EnumLabel`]: `pg_enum` OID, sort order,
//! text), listed in `pg_type` (`typtype = 'e'`, with an array type `_name`) and `pg_enum`.
//!
//! * CREATE gives the labels sort orders 1, 2, 3, ... and each an OID.
//! * `ADD VALUE 'x'` appends (order = last + 1); `BEFORE 'y'` / `AFTER 'y'` takes the
//!   midpoint between `y` and its neighbour (or `y` ∓ 1 at an end), as PostgreSQL does.
//!   When no `real` lies between the neighbours the type's labels are renumbered 1, 2, 3,
//!   ... first, as PostgreSQL does. Stored values carry their label's order (see
//!   [`crate::types::enums`]), so every table with a column of the type (or an array of
//!   it) is then rewritten with the new orders, its indexes rebuilt ([`renumber`]); where
//!   the type is inside a composite type, which would need every value of that type
//!   rewritten too, the renumbering is refused with 0A000.
//! * `RENAME VALUE 'a' TO 'b'` changes the label's text only; `RENAME TO` the type's name
//!   (any `CREATE TYPE` type).
//!
//! Every change is a catalog write ([`crate::storage::Txn::put_type`]): transactional and
//! WAL-logged like every DDL.

use super::Ddl;
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::{EnumLabel, TypeBody, TypeDef};
use crate::types::{DataType, Value};
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
    let mut def = owned_type(ddl, &a.name)?;
    let mut renumbered = false;
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
                    match between(labels, i, before) {
                        Some(found) => found,
                        None => {
                            renumbered = true;
                            for (k, l) in labels.iter_mut().enumerate() {
                                l.sort = (k + 1) as f32;
                            }
                            between(labels, i, before).ok_or_else(|| {
                                Error::Internal("no room between renumbered labels".into())
                            })?
                        }
                    }
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
    if renumbered {
        renumber(ddl, &def)?;
    }
    ddl.txn.put_type(def)?;
    Ok(StatementResult::command("ALTER TYPE"))
}

/// The user-defined type `name` names, which the current role must own (42704, 42501):
/// what ALTER TYPE works on.
pub(super) fn owned_type(ddl: &Ddl, name: &ast::ObjectName) -> Result<TypeDef> {
    let catalog = ddl.catalog()?;
    let Some(def) = super::types::find(&catalog, &ddl.search_path, name)? else {
        let (_, n) = crate::binder::split_name(name)?;
        return Err(Error::UndefinedObject(format!(
            "type \"{n}\" does not exist"
        )));
    };
    let who = crate::privilege::current(&catalog);
    if !who.superuser && !who.acts_as(def.owner) {
        return Err(Error::InsufficientPrivilege(format!(
            "must be owner of type {}",
            def.name
        )));
    }
    Ok(def.clone())
}

/// Whether `t` holds values of enum `oid` inside a composite value (a composite type's or a
/// table's row type's field, at any depth).
fn in_composite(catalog: &crate::storage::Catalog, t: DataType, oid: u32, depth: usize) -> bool {
    let t = t.elem().unwrap_or(t);
    let DataType::Composite(c) = t else {
        return false;
    };
    if depth > 32 {
        return true;
    }
    let fields: Vec<DataType> = match catalog.types.iter().find(|x| x.oid == c) {
        Some(x) => x.fields.iter().map(|f| f.data_type).collect(),
        None => match catalog.table_by_id(c) {
            Some(tb) => tb.columns.iter().map(|f| f.data_type).collect(),
            None => return false,
        },
    };
    fields.into_iter().any(|f| {
        f.elem().unwrap_or(f) == DataType::Enum(oid) || in_composite(catalog, f, oid, depth + 1)
    })
}

/// After the labels of `def` were renumbered: rewrites every table that stores values of
/// the type with their labels' new orders (see the module docs).
fn renumber(ddl: &mut Ddl, def: &TypeDef) -> Result<()> {
    let TypeBody::Enum(labels) = &def.body else {
        return Ok(());
    };
    let sorts: std::collections::HashMap<u32, f32> =
        labels.iter().map(|l| (l.oid, l.sort)).collect();
    let catalog = ddl.catalog()?;
    let is_enum = |t: DataType| t.elem().unwrap_or(t) == DataType::Enum(def.oid);
    let nested = catalog
        .tables
        .iter()
        .flat_map(|t| &t.columns)
        .map(|c| c.data_type)
        .chain(
            catalog
                .types
                .iter()
                .flat_map(|t| t.fields.iter().map(|f| f.data_type)),
        )
        .any(|t| in_composite(&catalog, t, def.oid, 0));
    if nested {
        return Err(Error::unsupported(
            "no room for another enum label here, and its type is used inside a composite type, whose values Strata cannot renumber",
        ));
    }
    for table in &catalog.tables {
        let columns: Vec<usize> = (0..table.columns.len())
            .filter(|&i| is_enum(table.columns[i].data_type))
            .collect();
        if columns.is_empty() {
            continue;
        }
        let relabel = |v: &mut Value| {
            if let Value::Enum(e) = v
                && let Some(s) = sorts.get(&e.oid)
            {
                e.sort = *s;
            }
        };
        let mut rows = Vec::new();
        for r in ddl.txn.scan(table.id, &crate::storage::Access::Full)? {
            let mut row = r?.row;
            for &i in &columns {
                match &mut row[i] {
                    Value::Array(a) => a.items.iter_mut().for_each(relabel),
                    v => relabel(v),
                }
            }
            rows.push(row);
        }
        ddl.txn
            .rewrite_table(table.clone(), &mut rows.into_iter().map(Ok))?;
    }
    Ok(())
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
/// between `i` and its neighbour on that side, or `i`'s order ∓ 1 at an end; `None` when no
/// `real` lies between them.
fn between(labels: &[EnumLabel], i: usize, before: bool) -> Option<(usize, f32)> {
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
                return None;
            }
            mid
        }
    };
    Some((at, sort))
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
        assert!(between(&tight, 1, true).is_none());
    }
}
