//! Dependencies between catalog objects, as PostgreSQL's `pg_depend` records them:
//!
//! * a view depends on every relation its query reads (`ViewDef::depends_on`);
//! * a foreign key constraint depends on the table it references;
//! * a column DEFAULT calling `nextval` depends on the sequence;
//! * everything in a schema depends on the schema;
//! * a column of a composite or enum type (or an array of one), a column declared with a
//!   domain, a composite type with a field of one and a domain over one depend on that
//!   type — a `CREATE TYPE` type, a domain or a relation's row type;
//! * an identity column's sequence, a sequence `OWNED BY` a column, a table's indexes and
//!   constraints belong to the table and go with it (no CASCADE needed).
//!
//! [`dependents`] lists what must go (with CASCADE) or block (without) when an object is
//! dropped; [`describe`] names objects the way PostgreSQL's messages do.

use crate::storage::{Catalog, Oid, TableDef};
use sqlparser::ast;

/// Something that can be dropped or depended on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Obj {
    Schema(Oid),
    Table(Oid),
    View(Oid),
    Sequence(Oid),
    Index(Oid),
    /// A composite type (`CREATE TYPE ... AS (...)`).
    Type(Oid),
    /// An installed extension (in the schema it was created in).
    Extension(Oid),
    /// A foreign key constraint (OID) of table `table`.
    ForeignKey {
        table: Oid,
        oid: Oid,
    },
    /// The DEFAULT of a column.
    Default {
        table: Oid,
        column: usize,
    },
    /// A table column whose type is (or is an array of) a composite type.
    Column {
        table: Oid,
        column: usize,
    },
}

/// `schema.name` when `schema` is not searched, else `name`.
fn qualified(catalog: &Catalog, path: &[Oid], schema: Oid, name: &str) -> String {
    if path.contains(&schema) {
        name.to_string()
    } else {
        format!("{}.{name}", catalog.schema_name(schema))
    }
}

fn table_name(catalog: &Catalog, path: &[Oid], t: &TableDef) -> String {
    qualified(catalog, path, t.schema, &t.name)
}

/// PostgreSQL's description of `obj` (`table t`, `view v`, `constraint c on table t`,
/// `default value for column c of table t`, ...).
pub fn describe(catalog: &Catalog, path: &[Oid], obj: Obj) -> String {
    match obj {
        Obj::Schema(o) => format!("schema {}", catalog.schema_name(o)),
        Obj::Table(o) => match catalog.table_by_id(o) {
            Some(t) if t.materialized.is_some() => {
                format!("materialized view {}", table_name(catalog, path, t))
            }
            Some(t) => format!("table {}", table_name(catalog, path, t)),
            None => format!("table {o}"),
        },
        Obj::View(o) => match catalog.view_by_id(o) {
            Some(v) => format!("view {}", qualified(catalog, path, v.schema, &v.name)),
            None => format!("view {o}"),
        },
        Obj::Sequence(o) => match catalog.sequence_by_id(o) {
            Some(s) => format!("sequence {}", qualified(catalog, path, s.schema, &s.name)),
            None => format!("sequence {o}"),
        },
        Obj::Type(o) => match catalog.types.iter().find(|t| t.oid == o) {
            Some(t) => format!("type {}", qualified(catalog, path, t.schema, &t.name)),
            None => format!("type {o}"),
        },
        Obj::Extension(o) => match catalog.extensions.iter().find(|e| e.oid == o) {
            Some(e) => format!("extension {}", e.name),
            None => format!("extension {o}"),
        },
        Obj::Index(o) => match catalog.relation_by_oid(o) {
            Some(r) => format!("index {}", qualified(catalog, path, r.schema(), r.name())),
            None => format!("index {o}"),
        },
        Obj::ForeignKey { table, oid } => match catalog.table_by_id(table) {
            Some(t) => {
                let name = t
                    .foreign_keys
                    .iter()
                    .find(|f| f.oid == oid)
                    .map_or("?", |f| f.name.as_str());
                format!(
                    "constraint {name} on table {}",
                    table_name(catalog, path, t)
                )
            }
            None => format!("constraint {oid}"),
        },
        Obj::Default { table, column } => match catalog.table_by_id(table) {
            Some(t) => format!(
                "default value for column {} of table {}",
                t.columns.get(column).map_or("?", |c| c.name.as_str()),
                table_name(catalog, path, t)
            ),
            None => format!("default value of {table}"),
        },
        Obj::Column { table, column } => match catalog.table_by_id(table) {
            Some(t) => format!(
                "column {} of table {}",
                t.columns.get(column).map_or("?", |c| c.name.as_str()),
                table_name(catalog, path, t)
            ),
            None => format!("column of {table}"),
        },
    }
}

/// The columns and composite types that use composite type `oid` (a `CREATE TYPE` type or
/// a relation's row type).
fn users_of_type(catalog: &Catalog, oid: Oid, out: &mut Vec<Obj>) {
    let uses = |t: &crate::types::DataType| {
        let t = t.elem().unwrap_or(*t);
        t == crate::types::DataType::Composite(oid) || t == crate::types::DataType::Enum(oid)
    };
    for t in &catalog.tables {
        for (i, c) in t.columns.iter().enumerate() {
            if (uses(&c.data_type) || c.domain == Some(oid)) && t.id != oid {
                out.push(Obj::Column {
                    table: t.id,
                    column: i,
                });
            }
        }
    }
    for t in &catalog.types {
        let domain_over = matches!(&t.body, crate::storage::TypeBody::Domain(d) if uses(&d.base));
        if t.oid != oid && (domain_over || t.fields.iter().any(|f| uses(&f.data_type))) {
            out.push(Obj::Type(t.oid));
        }
    }
}

/// The sequences a stored DEFAULT expression calls `nextval` on (by OID or by name).
pub fn default_sequences(catalog: &Catalog, text: &str) -> Vec<Oid> {
    let Ok(e) = super::constraints::parse_expr(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let _ = ast::visit_expressions(&e, |x| {
        if let ast::Expr::Function(f) = x
            && let Some(arg) = crate::binder::first_arg(f)
            && crate::binder::object_name(&f.name).is_ok_and(|n| n == "nextval")
            && let Some(oid) = sequence_arg(catalog, arg)
        {
            out.push(oid);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

/// The sequence a constant `nextval` argument names: `16390::regclass`, `'s'::regclass`,
/// `'s'`, `'public.s'`.
fn sequence_arg(catalog: &Catalog, e: &ast::Expr) -> Option<Oid> {
    let e = match e {
        ast::Expr::Cast { expr, .. } => expr.as_ref(),
        e => e,
    };
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            ast::Value::SingleQuotedString(s) => {
                let path = [crate::storage::catalog::oids::PUBLIC_NAMESPACE];
                crate::expr::catalog_functions::resolve_relation_text(catalog, s, &path)
                    .ok()
                    .flatten()
            }
            _ => None,
        },
        _ => None,
    }
}

/// What depends on `obj` in a way that needs CASCADE to drop it too.
pub fn dependents(catalog: &Catalog, obj: Obj) -> Vec<Obj> {
    let mut out = Vec::new();
    match obj {
        Obj::Schema(s) => {
            out.extend(
                catalog
                    .tables
                    .iter()
                    .filter(|t| t.schema == s)
                    .map(|t| Obj::Table(t.id)),
            );
            out.extend(
                catalog
                    .views
                    .iter()
                    .filter(|v| v.schema == s)
                    .map(|v| Obj::View(v.oid)),
            );
            out.extend(
                catalog
                    .sequences
                    .iter()
                    .filter(|q| q.schema == s && q.owned_by.is_none())
                    .map(|q| Obj::Sequence(q.oid)),
            );
            out.extend(
                catalog
                    .types
                    .iter()
                    .filter(|t| t.schema == s)
                    .map(|t| Obj::Type(t.oid)),
            );
            out.extend(
                super::extension::in_schema(catalog, s)
                    .into_iter()
                    .map(|e| Obj::Extension(e.oid)),
            );
        }
        Obj::Table(o) | Obj::View(o) | Obj::Sequence(o) => {
            users_of_type(catalog, o, &mut out);
            out.extend(
                catalog
                    .views
                    .iter()
                    .filter(|v| v.depends_on.contains(&o) && v.oid != o)
                    .map(|v| Obj::View(v.oid)),
            );
            if let Obj::Table(_) = obj {
                for (t, fk) in catalog.referencing(o) {
                    if t.id != o {
                        out.push(Obj::ForeignKey {
                            table: t.id,
                            oid: fk.oid,
                        });
                    }
                }
            }
            if let Obj::Sequence(_) = obj {
                for t in &catalog.tables {
                    for (i, c) in t.columns.iter().enumerate() {
                        if c.default
                            .as_deref()
                            .is_some_and(|d| default_sequences(catalog, d).contains(&o))
                        {
                            out.push(Obj::Default {
                                table: t.id,
                                column: i,
                            });
                        }
                    }
                }
            }
        }
        Obj::Type(o) => users_of_type(catalog, o, &mut out),
        Obj::Index(_)
        | Obj::Extension(_)
        | Obj::ForeignKey { .. }
        | Obj::Default { .. }
        | Obj::Column { .. } => {}
    }
    out
}

/// Objects that go with `obj` without CASCADE: a table's owned sequences (serial and
/// identity columns) and a partitioned table's partitions.
pub fn owned(catalog: &Catalog, obj: Obj) -> Vec<Obj> {
    match obj {
        Obj::Table(o) => catalog
            .sequences
            .iter()
            .filter(|s| s.owned_by.is_some_and(|b| b.table == o))
            .map(|s| Obj::Sequence(s.oid))
            .chain(
                crate::storage::catalog::partition::partitions(catalog, o)
                    .into_iter()
                    .map(|p| Obj::Table(p.id)),
            )
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `obj` belongs to one of `tables` (and so goes with it).
pub fn part_of(obj: Obj, tables: &[Oid]) -> bool {
    match obj {
        Obj::ForeignKey { table, .. } | Obj::Default { table, .. } | Obj::Column { table, .. } => {
            tables.contains(&table)
        }
        _ => false,
    }
}
