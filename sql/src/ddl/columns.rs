//! Column definitions: the type (with `serial` / `bigserial` / `smallserial`), NULL / NOT
//! NULL, DEFAULT (bound once to reject bad ones, stored as SQL text), `GENERATED { ALWAYS |
//! BY DEFAULT } AS IDENTITY`, and the constraints written on the column, which become
//! [`Pending`] table constraints.
//!
//! A serial or identity column gets a sequence named `{table}_{column}_seq` (numbered on a
//! collision), owned by the column. A serial column's DEFAULT is
//! `nextval(<sequence oid>::regclass)` — by OID, so renaming the sequence keeps it working;
//! it is shown as `nextval('t_id_seq'::regclass)` (see `crate::system`).

use super::Ddl;
use super::constraints::Pending;
use super::names;
use super::sequence;
use crate::binder::{ExprCtx, Scope, ident};
use crate::parse::SequenceOption;
use crate::storage::{ColumnDef, Identity, OwnedBy, SequenceDef, TableDef};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// A column with what creating it involves.
pub struct NewColumn {
    pub def: ColumnDef,
    /// The sequence a serial or identity column needs (created before the table).
    pub sequence: Option<SequenceDef>,
    /// Constraints written on the column.
    pub constraints: Vec<Pending>,
}

/// `serial` and friends: the integer type they stand for.
fn serial_type(t: &ast::DataType) -> Option<DataType> {
    let ast::DataType::Custom(name, mods) = t else {
        return None;
    };
    if !mods.is_empty() {
        return None;
    }
    match name.to_string().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some(DataType::Int4),
        "bigserial" | "serial8" => Some(DataType::Int8),
        "smallserial" | "serial2" => Some(DataType::Int2),
        _ => None,
    }
}

/// The DEFAULT text of a serial column using sequence `oid`.
pub fn nextval_default(oid: u32) -> String {
    format!("nextval({oid}::regclass)")
}

/// Binds a DEFAULT expression once (rejecting one that does not bind or does not fit the
/// column) and returns its text.
pub fn check_default(ddl: &Ddl, col: &ColumnDef, e: &ast::Expr) -> Result<String> {
    let mut b = ddl.binder()?;
    let scope = Scope::default();
    // Bind before printing: binding bounds the depth that Display recurses.
    let (x, t) = b.bind_expr(e, &mut ExprCtx::plain(&scope, "DEFAULT expressions"))?;
    b.assign(x, t, col.data_type, &col.name)?;
    Ok(e.to_string())
}

/// 42601 for a generation expression given with a DEFAULT or an identity (`what`).
fn both(def: &ColumnDef, table: &TableDef, what: &str) -> Error {
    Error::SyntaxError(format!(
        "both {what} and generation expression specified for column \"{}\" of table \"{}\"",
        def.name, table.name
    ))
}

/// A sequence for column `column` of `table`, named and owned as PostgreSQL does.
pub(super) fn owned_sequence(
    ddl: &mut Ddl,
    table: &TableDef,
    column: usize,
    data_type: DataType,
    taken: &[String],
) -> Result<SequenceDef> {
    let catalog = ddl.catalog()?;
    let name = names::choose(&table.name, Some(&table.columns[column].name), "seq", |n| {
        names::relation_taken(&catalog, table.schema, n, taken)
    });
    let oid = ddl.txn.new_oid()?;
    let mut seq = sequence::default_def(oid, table.schema, name, data_type)?;
    seq.owned_by = Some(OwnedBy {
        table: table.id,
        column,
    });
    seq.owner = table.owner;
    seq.acl = super::default_privileges::initial_acl(
        &catalog,
        super::default_privileges::SEQUENCES,
        seq.owner,
        seq.schema,
    );
    Ok(seq)
}

/// Binds column `col`, the `position`-th column of the table being built in `table` (whose
/// earlier columns are in place). `taken` holds relation names chosen so far in the
/// statement.
pub fn column(
    ddl: &mut Ddl,
    table: &TableDef,
    position: usize,
    col: &ast::ColumnDef,
    taken: &[String],
) -> Result<NewColumn> {
    crate::binder::system_columns::check_column_name(&ident(&col.name))?;
    let serial = serial_type(&col.data_type);
    let data_type = match serial {
        Some(t) => t,
        None => DataType::from_sql(&col.data_type)?,
    };
    crate::types::record::check_column_type(&ident(&col.name), data_type)?;
    let mut def = ColumnDef::new(ident(&col.name), data_type);
    if serial.is_none() {
        def.domain = super::domains::named(&col.data_type);
    }
    let mut constraints = Vec::new();
    let mut sequence = None;
    let mut draft = table.clone();
    draft.columns.truncate(position);
    draft.columns.push(def.clone());
    if serial.is_some() {
        let seq = owned_sequence(ddl, &draft, position, data_type, taken)?;
        def.default = Some(nextval_default(seq.oid));
        def.not_null = true;
        sequence = Some(seq);
    }
    let mut saw_null = None;
    for opt in &col.options {
        let cname = opt.name.as_ref().map(ident);
        match &opt.option {
            ast::ColumnOption::Null => saw_null = Some(true),
            ast::ColumnOption::NotNull => saw_null = Some(false),
            ast::ColumnOption::Default(e) => {
                if def.generated {
                    return Err(both(&def, table, "default"));
                }
                if serial.is_some() || def.identity.is_some() {
                    return Err(Error::SyntaxError(format!(
                        "multiple default values specified for column \"{}\" of table \"{}\"",
                        def.name, table.name
                    )));
                }
                def.default = Some(check_default(ddl, &def, e)?);
            }
            ast::ColumnOption::Generated {
                generation_expr: Some(e),
                generation_expr_mode,
                ..
            } => {
                if !matches!(
                    generation_expr_mode,
                    Some(ast::GeneratedExpressionMode::Stored)
                ) {
                    return Err(Error::SyntaxError(
                        "generated columns must be STORED".into(),
                    ));
                }
                if def.identity.is_some() {
                    return Err(both(&def, table, "identity"));
                }
                if def.default.is_some() {
                    return Err(both(&def, table, "default"));
                }
                // Checked once the table's columns are all known (`generated::check`).
                def.default = Some(e.to_string());
                def.generated = true;
            }
            ast::ColumnOption::Generated {
                generated_as,
                sequence_options,
                generation_expr: None,
                ..
            } => {
                if def.generated {
                    return Err(both(&def, table, "identity"));
                }
                if def.default.is_some() {
                    return Err(Error::SyntaxError(format!(
                        "both default and identity specified for column \"{}\" of table \"{}\"",
                        def.name, table.name
                    )));
                }
                if !data_type.is_integer() {
                    return Err(Error::DatatypeMismatch(
                        "identity column type must be smallint, integer, or bigint".into(),
                    ));
                }
                let mut seq = owned_sequence(ddl, &draft, position, data_type, taken)?;
                let opts: Vec<SequenceOption> = sequence_options
                    .iter()
                    .flatten()
                    .cloned()
                    .map(SequenceOption::Create)
                    .collect();
                sequence::apply_options(ddl, &mut seq, &opts, true)?;
                def.identity = Some(Identity {
                    always: matches!(generated_as, ast::GeneratedAs::Always),
                    sequence: seq.oid,
                });
                def.not_null = true;
                sequence = Some(seq);
            }
            ast::ColumnOption::PrimaryKey(p) => {
                super::constraints::refuse_deferrable_key(p.characteristics.as_ref())?;
                constraints.push(Pending::PrimaryKey {
                    columns: vec![def.name.clone()],
                    name: cname.or_else(|| p.name.as_ref().map(ident)),
                    include: Vec::new(),
                })
            }
            ast::ColumnOption::Unique(u) => {
                super::constraints::refuse_deferrable_key(u.characteristics.as_ref())?;
                constraints.push(Pending::Unique {
                    columns: vec![def.name.clone()],
                    name: cname.or_else(|| u.name.as_ref().map(ident)),
                    include: Vec::new(),
                })
            }
            ast::ColumnOption::Check(c) => constraints.push(Pending::Check {
                expr: c.expr.as_ref().clone(),
                name: cname.or_else(|| c.name.as_ref().map(ident)),
                column: Some(def.name.clone()),
            }),
            ast::ColumnOption::ForeignKey(f) => {
                constraints.push(Pending::from_foreign_key(f, vec![def.name.clone()], cname)?)
            }
            // The collations Strata's byte-order string comparison is (as in expressions).
            ast::ColumnOption::Collation(name) => {
                let name = crate::binder::object_name(name)?;
                let known = matches!(
                    name.strip_prefix("pg_catalog.").unwrap_or(&name),
                    "C" | "POSIX" | "default" | "ucs_basic"
                );
                if !known {
                    return Err(Error::UndefinedObject(format!(
                        "collation \"{name}\" for encoding \"UTF8\" does not exist"
                    )));
                }
                if !data_type.is_string() {
                    return Err(Error::DatatypeMismatch(format!(
                        "collations are not supported by type {}",
                        data_type.name()
                    )));
                }
            }
            other => {
                return Err(Error::unsupported(format!(
                    "column option {other} is not supported yet"
                )));
            }
        }
    }
    match saw_null {
        Some(false) => def.not_null = true,
        Some(true) if def.identity.is_some() => {
            return Err(Error::SyntaxError(format!(
                "conflicting NULL/NOT NULL declarations for column \"{}\" of table \"{}\"",
                def.name, table.name
            )));
        }
        _ => {}
    }
    Ok(NewColumn {
        def,
        sequence,
        constraints,
    })
}
