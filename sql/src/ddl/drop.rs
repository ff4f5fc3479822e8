//! DROP TABLE / VIEW / MATERIALIZED VIEW / INDEX / SEQUENCE / SCHEMA `[IF EXISTS] ...
//! [CASCADE | RESTRICT]`, with PostgreSQL's dependency rules ([`super::depend`]): without
//! CASCADE, anything depending on a dropped object fails the statement with 2BP01 naming
//! each dependent; with CASCADE the dependents go too (a foreign key constraint, not its
//! table; a column's DEFAULT, not the column).

use super::Ddl;
use super::depend::{self, Obj};
use crate::binder::{FromRelation, split_name};
use crate::result::StatementResult;
use crate::storage::{Catalog, IndexRef, Relation};
use crate::{Error, Result};
use sqlparser::ast;
use std::collections::BTreeSet;

/// The word for a kind in messages and tags.
fn kind_word(kind: ast::ObjectType) -> &'static str {
    match kind {
        ast::ObjectType::Table => "table",
        ast::ObjectType::View => "view",
        ast::ObjectType::MaterializedView => "materialized view",
        ast::ObjectType::Index => "index",
        ast::ObjectType::Sequence => "sequence",
        ast::ObjectType::Schema => "schema",
        _ => "object",
    }
}

/// The drop command's object for `rel`, or 42809 if it is another kind.
fn expect_kind(kind: ast::ObjectType, name: &str, rel: Relation) -> Result<Obj> {
    let (obj, is) = match rel {
        Relation::Table(t) if t.materialized.is_some() => {
            (Obj::Table(t.id), ast::ObjectType::MaterializedView)
        }
        Relation::Table(t) => (Obj::Table(t.id), ast::ObjectType::Table),
        Relation::View(v) => (Obj::View(v.oid), ast::ObjectType::View),
        Relation::Sequence(s) => (Obj::Sequence(s.oid), ast::ObjectType::Sequence),
        Relation::Index { .. } => (Obj::Index(rel.oid()), ast::ObjectType::Index),
    };
    if is != kind {
        let hint_word = kind_word(is).to_uppercase();
        return Err(Error::WrongObjectType(format!(
            "\"{name}\" is not a {}. Use DROP {hint_word} to remove a {}.",
            kind_word(kind),
            kind_word(is)
        )));
    }
    Ok(obj)
}

/// DROP of `names` of one kind.
pub fn execute(
    ddl: &mut Ddl,
    kind: ast::ObjectType,
    names: &[ast::ObjectName],
    if_exists: bool,
    cascade: bool,
) -> Result<StatementResult> {
    let tag = format!("DROP {}", kind_word(kind).to_uppercase());
    match kind {
        ast::ObjectType::Type => return super::types::drop(ddl, names, if_exists, cascade),
        ast::ObjectType::Database => return Err(super::misc::one_database()),
        ast::ObjectType::Role | ast::ObjectType::User => {
            return super::role::drop(ddl, names, if_exists);
        }
        ast::ObjectType::Table
        | ast::ObjectType::View
        | ast::ObjectType::MaterializedView
        | ast::ObjectType::Index
        | ast::ObjectType::Sequence
        | ast::ObjectType::Schema => {}
        other => {
            return Err(Error::unsupported(format!("DROP {other} is not supported")));
        }
    }
    let catalog = ddl.catalog()?;
    let mut targets = Vec::new();
    for n in names {
        match find(ddl, &catalog, kind, n, if_exists)? {
            Some(obj) => targets.push(obj),
            None if if_exists => {
                // A qualified name in a missing schema names the schema, as PostgreSQL does.
                let (schema, rel) = split_name(n)?;
                match schema {
                    Some(s) if kind != ast::ObjectType::Schema && catalog.schema(&s).is_none() => {
                        crate::notice::skipping_missing("schema", &s)
                    }
                    _ => crate::notice::skipping_missing(kind_word(kind), &rel),
                }
            }
            None => {
                let (_, rel) = split_name(n)?;
                return Err(match kind {
                    ast::ObjectType::Schema => crate::storage::catalog::undefined_schema(&rel),
                    ast::ObjectType::Index => {
                        Error::UndefinedObject(format!("index \"{rel}\" does not exist"))
                    }
                    other => Error::NoSuchRelation(format!(
                        "{} \"{rel}\" does not exist",
                        kind_word(other)
                    )),
                });
            }
        }
    }
    for t in &targets {
        match t {
            Obj::Table(oid) | Obj::View(oid) | Obj::Index(oid) | Obj::Sequence(oid) => {
                if let Some(rel) = catalog.relation_by_oid(*oid) {
                    let rel = match rel {
                        Relation::Index { table, .. } => Relation::Table(table),
                        r => r,
                    };
                    crate::privilege::require_owner(&catalog, &rel)?;
                }
            }
            Obj::Schema(oid) => super::role::require_schema_owner(&catalog, *oid)?,
            _ => {}
        }
    }
    drop_objects(ddl, &targets, cascade)?;
    Ok(StatementResult::command(tag))
}

/// The object `name` names for a DROP of `kind`, `None` if absent.
fn find(
    ddl: &Ddl,
    catalog: &Catalog,
    kind: ast::ObjectType,
    name: &ast::ObjectName,
    if_exists: bool,
) -> Result<Option<Obj>> {
    let (schema, rel) = split_name(name)?;
    if kind == ast::ObjectType::Schema {
        return match catalog.schema(&rel) {
            Some(s)
                if s.oid == crate::storage::catalog::oids::PG_CATALOG_NAMESPACE
                    || s.oid == crate::storage::catalog::oids::INFORMATION_SCHEMA_NAMESPACE
                    || s.oid == crate::storage::catalog::oids::PG_TOAST_NAMESPACE =>
            {
                Err(Error::DependentObjectsStillExist {
                    message: format!(
                        "cannot drop schema {rel} because it is required by the database system"
                    ),
                    detail: String::new(),
                })
            }
            Some(s) => Ok(Some(Obj::Schema(s.oid))),
            None => Ok(None),
        };
    }
    let schemas = match &schema {
        Some(s) => match catalog.schema(s) {
            Some(sch) => vec![sch.oid],
            None if if_exists => return Ok(None),
            None => return Err(crate::storage::catalog::undefined_schema(s)),
        },
        None => ddl.search_path.clone(),
    };
    for s in schemas {
        if crate::system::lookup(s, &rel).is_some() {
            return Err(Error::InsufficientPrivilege(format!(
                "permission denied: \"{rel}\" is a system catalog"
            )));
        }
        if let Some(r) = catalog.relation(s, &rel) {
            return expect_kind(kind, &rel, r).map(Some);
        }
    }
    let _ = FromRelation::Sequence;
    Ok(None)
}

/// Drops `targets` and, with `cascade`, everything depending on them (2BP01 without).
pub fn drop_objects(ddl: &mut Ddl, targets: &[Obj], cascade: bool) -> Result<()> {
    let catalog = ddl.catalog()?;
    let path = ddl.search_path.clone();
    // Everything dropped: the targets, what they own, and (with CASCADE) their dependents.
    let mut all: Vec<Obj> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<Obj> = targets.to_vec();
    let mut blocking: Vec<(Obj, Obj)> = Vec::new();
    // What CASCADE takes beyond the targets and what they own, for the NOTICE.
    let mut cascaded: Vec<Obj> = Vec::new();
    let target_tables: Vec<u32> = targets
        .iter()
        .filter_map(|t| match t {
            Obj::Table(o) => Some(*o),
            _ => None,
        })
        .collect();
    while let Some(obj) = queue.pop() {
        if !seen.insert(obj) {
            continue;
        }
        all.push(obj);
        for owned in depend::owned(&catalog, obj) {
            queue.push(owned);
        }
        if let Obj::Index(oid) = obj
            && let Some(Relation::Index { table, index }) = catalog.relation_by_oid(oid)
            && !targets.contains(&Obj::Table(table.id))
        {
            let constraint = match index {
                IndexRef::Primary => table.primary_key_name.clone(),
                IndexRef::Secondary(i) => i.constraint.map(|_| i.name.clone()),
            };
            if let Some(c) = constraint {
                return Err(Error::DependentObjectsStillExist {
                    message: format!(
                        "cannot drop index {} because constraint {c} on table {} requires it",
                        depend::describe(&catalog, &path, obj).trim_start_matches("index "),
                        table.name
                    ),
                    detail: String::new(),
                });
            }
        }
        for dep in depend::dependents(&catalog, obj) {
            if seen.contains(&dep) || targets.contains(&dep) || depend::part_of(dep, &target_tables)
            {
                continue;
            }
            if let Obj::Sequence(s) = obj
                && let Obj::Default { table, column } = dep
                && catalog
                    .table_by_id(table)
                    .and_then(|t| t.columns.get(column))
                    .is_some_and(|c| c.identity.is_some_and(|i| i.sequence == s))
            {
                continue;
            }
            if cascade {
                if !cascaded.contains(&dep) {
                    cascaded.push(dep);
                }
                queue.push(dep);
            } else {
                blocking.push((dep, obj));
            }
        }
    }
    if !blocking.is_empty() {
        let first = targets.first().copied().unwrap_or(blocking[0].1);
        let detail: Vec<String> = blocking
            .iter()
            .map(|(dep, on)| {
                format!(
                    "{} depends on {}",
                    depend::describe(&catalog, &path, *dep),
                    depend::describe(&catalog, &path, *on)
                )
            })
            .collect();
        return Err(Error::DependentObjectsStillExist {
            message: format!(
                "cannot drop {} because other objects depend on it",
                depend::describe(&catalog, &path, first)
            ),
            detail: detail.join("\n"),
        });
    }
    // Identity sequences are dropped only with their column's table.
    for obj in &all {
        if let Obj::Sequence(s) = obj
            && !targets
                .iter()
                .any(|t| matches!(t, Obj::Table(_) | Obj::Schema(_)))
            && let Some((t, c)) = identity_owner(&catalog, *s)
        {
            return Err(Error::DependentObjectsStillExist {
                message: format!(
                    "cannot drop sequence {} because column {c} of table {t} requires it",
                    catalog.sequence_by_id(*s).map_or("?", |q| q.name.as_str())
                ),
                detail: String::new(),
            });
        }
    }
    report_cascade(&catalog, &path, targets, &cascaded);
    // Dependents first: constraints and defaults, views, then the rest.
    // Columns of one table go last first, so the positions of the others hold.
    all.sort_by_key(|o| match o {
        Obj::Column { column, .. } => (0, usize::MAX - column),
        _ => (1, 0),
    });
    all.sort_by_key(|o| match o {
        Obj::Column { .. } => 0,
        Obj::ForeignKey { .. } | Obj::Default { .. } => 0,
        Obj::View(_) => 1,
        Obj::Index(_) => 2,
        Obj::Table(_) => 3,
        Obj::Sequence(_) | Obj::Type(_) | Obj::Extension(_) => 4,
        Obj::Schema(_) => 5,
    });
    for obj in all {
        drop_one(ddl, obj)?;
    }
    Ok(())
}

/// PostgreSQL's NOTICE for what a CASCADE drops besides the named objects: `drop cascades
/// to view v`, or for several `drop cascades to N other objects` with one DETAIL line each.
///
/// The lines come in PostgreSQL's order: its dependency walk is depth first over each
/// object's dependents newest first, records an object after its dependents, and reports
/// the record backwards (so a view comes right before the views built on it).
fn report_cascade(
    catalog: &Catalog,
    path: &[crate::storage::Oid],
    targets: &[Obj],
    cascaded: &[Obj],
) {
    fn key(o: &Obj) -> u32 {
        match *o {
            Obj::Schema(x)
            | Obj::Table(x)
            | Obj::View(x)
            | Obj::Sequence(x)
            | Obj::Index(x)
            | Obj::Type(x)
            | Obj::Extension(x) => x,
            Obj::ForeignKey { oid, .. } => oid,
            Obj::Default { table, .. } | Obj::Column { table, .. } => table,
        }
    }
    fn walk(catalog: &Catalog, obj: Obj, seen: &mut BTreeSet<Obj>, record: &mut Vec<Obj>) {
        let all = depend::dependents(catalog, obj);
        // A view records every relation its query reads, also through other views;
        // PostgreSQL's walk reaches it through the view it names.
        let mut next: Vec<Obj> = all
            .iter()
            .filter(|d| {
                !matches!(d, Obj::View(_))
                    || !all.iter().any(|e| {
                        e != *d
                            && matches!(e, Obj::View(_))
                            && depend::dependents(catalog, *e).contains(d)
                    })
            })
            .copied()
            .collect();
        next.extend(depend::owned(catalog, obj));
        next.sort_by_key(|o| std::cmp::Reverse(key(o)));
        for dep in next {
            if seen.insert(dep) {
                walk(catalog, dep, seen, record);
                record.push(dep);
            }
        }
    }
    // A table's own constraints, defaults and columns go with it: PostgreSQL reaches them
    // through an automatic dependency on the table and does not list them.
    let dropped = |table: &crate::storage::Oid| {
        let t = Obj::Table(*table);
        cascaded.contains(&t) || targets.contains(&t)
    };
    let cascaded: Vec<Obj> = cascaded
        .iter()
        .filter(|o| match o {
            Obj::ForeignKey { table, .. }
            | Obj::Default { table, .. }
            | Obj::Column { table, .. } => !dropped(table),
            _ => true,
        })
        .copied()
        .collect();
    let cascaded = cascaded.as_slice();
    if cascaded.is_empty() {
        return;
    }
    let mut seen: BTreeSet<Obj> = targets.iter().copied().collect();
    let mut record = Vec::new();
    for t in targets {
        walk(catalog, *t, &mut seen, &mut record);
    }
    // Anything the walk missed still gets reported, last.
    let mut ordered: Vec<Obj> = record
        .into_iter()
        .rev()
        .filter(|o| cascaded.contains(o))
        .collect();
    ordered.extend(
        cascaded
            .iter()
            .filter(|o| !ordered.contains(o))
            .copied()
            .collect::<Vec<_>>(),
    );
    let lines: Vec<String> = ordered
        .iter()
        .map(|o| format!("drop cascades to {}", depend::describe(catalog, path, *o)))
        .collect();
    match lines.as_slice() {
        [one] => crate::notice::emit(crate::notice::Notice::new("00000", one.clone())),
        many => crate::notice::emit(
            crate::notice::Notice::new(
                "00000",
                format!("drop cascades to {} other objects", many.len()),
            )
            .with_detail(many.join("\n")),
        ),
    }
}

/// `(table, column)` of the identity column sequence `seq` belongs to.
fn identity_owner(catalog: &Catalog, seq: u32) -> Option<(String, String)> {
    catalog.tables.iter().find_map(|t| {
        t.columns
            .iter()
            .find(|c| c.identity.is_some_and(|i| i.sequence == seq))
            .map(|c| (t.name.clone(), c.name.clone()))
    })
}

fn drop_one(ddl: &mut Ddl, obj: Obj) -> Result<()> {
    let catalog = ddl.catalog()?;
    match obj {
        Obj::Schema(o) => ddl.txn.drop_schema(o),
        Obj::Table(o) => {
            if let Some(t) = catalog.table_by_id(o) {
                crate::executor::deferred::refuse_if_pending(t, "DROP TABLE")?;
                ddl.txn.drop_table(o)?;
            }
            Ok(())
        }
        Obj::View(o) => ddl.txn.drop_view(o),
        Obj::Type(o) => ddl.txn.drop_type(o),
        Obj::Extension(o) => ddl.txn.drop_extension(o),
        Obj::Sequence(o) => {
            if catalog.sequence_by_id(o).is_some() {
                ddl.txn.drop_sequence(o)?;
            }
            Ok(())
        }
        Obj::Index(o) => ddl.txn.drop_index(o),
        Obj::ForeignKey { table, oid } => {
            let Some(mut t) = catalog.table_by_id(table).cloned() else {
                return Ok(());
            };
            t.foreign_keys.retain(|f| f.oid != oid);
            ddl.txn.alter_table(t)
        }
        Obj::Default { table, column } => {
            let Some(mut t) = catalog.table_by_id(table).cloned() else {
                return Ok(());
            };
            if let Some(c) = t.columns.get_mut(column) {
                c.default = None;
            }
            ddl.txn.alter_table(t)
        }
        Obj::Column { table, column } => {
            let Some(t) = catalog.table_by_id(table) else {
                return Ok(());
            };
            let Some(c) = t.columns.get(column) else {
                return Ok(());
            };
            // ALTER TABLE ... DROP COLUMN ... CASCADE does the table's rewrite.
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let sql = format!(
                "ALTER TABLE {}.{} DROP COLUMN {} CASCADE",
                quote(&catalog.schema_name(t.schema)),
                quote(&t.name),
                quote(&c.name)
            );
            let stmts = crate::parse::statements(&sql)?;
            match stmts.first() {
                Some(ast::Statement::AlterTable(a)) => {
                    super::alter_table::execute(ddl, a)?;
                    Ok(())
                }
                _ => Err(Error::Internal(format!("could not parse {sql}"))),
            }
        }
    }
}
