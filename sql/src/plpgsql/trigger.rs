//! Running a trigger function: `NEW`, `OLD` (records of the table's row type), `TG_OP`,
//! `TG_NAME`, `TG_WHEN`, `TG_LEVEL`, `TG_TABLE_NAME`, `TG_TABLE_SCHEMA`, `TG_RELID`,
//! `TG_NARGS` and `TG_ARGV` in the outermost scope, the WHEN condition checked first.

use super::exec::{Interp, Returns, cast};
use super::vars::{Rec, Slot, Var};
use crate::storage::{FunctionDef, Row, TableDef, TriggerDef, Txn};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// One firing of a trigger.
pub struct Firing<'a> {
    pub trigger: &'a TriggerDef,
    pub table: &'a TableDef,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub op: &'static str,
    pub old: Option<&'a Row>,
    pub new: Option<&'a Row>,
}

/// What a row trigger's function returned.
pub enum Outcome {
    /// The WHEN condition was false: the trigger did not run.
    Skipped,
    /// NULL (a BEFORE trigger then skips the row).
    Null,
    Row(Row),
}

fn record(table: &TableDef, row: Option<&Row>) -> Rec {
    let width = table.columns.len();
    Rec {
        names: table.columns.iter().map(|c| c.name.clone()).collect(),
        types: table.columns.iter().map(|c| c.data_type).collect(),
        values: match row {
            Some(r) => r.iter().take(width).cloned().collect(),
            None => vec![Value::Null; width],
        },
        type_oid: table.id,
        null: row.is_none(),
    }
}

fn text_var(name: &str, v: Value) -> Var {
    Var {
        name: name.into(),
        slot: Slot::Scalar {
            ty: DataType::Text,
            value: v,
        },
        constant: false,
        not_null: false,
    }
}

/// Runs trigger function `def` for `f`.
pub fn fire(txn: &mut dyn Txn, def: &FunctionDef, f: &Firing) -> Result<Outcome> {
    let body = super::parsed(&def.body)?;
    super::routine_env::run(def, || {
        super::nested(|| {
            let mut it = Interp::new(txn, Returns::Trigger);
            it.conflict = body.conflict;
            it.scopes.push(Some(def.name.clone()));
            super::declare_found(&mut it);
            for (name, row) in [("new", f.new), ("old", f.old)] {
                it.scopes.declare(Var {
                    name: name.into(),
                    slot: Slot::Record(Some(record(f.table, row))),
                    constant: false,
                    not_null: false,
                });
            }
            let schema = crate::env::catalog()
                .map(|c| c.catalog.schema_name(f.table.schema))
                .unwrap_or_else(|_| "public".into());
            let level = if f.trigger.row { "ROW" } else { "STATEMENT" };
            let when = if f.trigger.before { "BEFORE" } else { "AFTER" };
            for (name, v) in [
                ("tg_op", f.op.to_string()),
                ("tg_name", f.trigger.name.clone()),
                ("tg_when", when.to_string()),
                ("tg_level", level.to_string()),
                ("tg_table_name", f.table.name.clone()),
                ("tg_relname", f.table.name.clone()),
                ("tg_table_schema", schema),
            ] {
                it.scopes.declare(text_var(name, Value::Text(v)));
            }
            it.scopes.declare(Var {
                name: "tg_relid".into(),
                slot: Slot::Scalar {
                    ty: DataType::Oid,
                    value: Value::Int(f.table.id as i64),
                },
                constant: false,
                not_null: false,
            });
            it.scopes.declare(Var {
                name: "tg_nargs".into(),
                slot: Slot::Scalar {
                    ty: DataType::Int4,
                    value: Value::Int(f.trigger.args.len() as i64),
                },
                constant: false,
                not_null: false,
            });
            // TG_ARGV counts from 0, as in PostgreSQL.
            let mut argv = crate::types::Array::from_items(
                f.trigger
                    .args
                    .iter()
                    .map(|a| Value::Text(a.clone()))
                    .collect(),
            );
            if let Some(d) = argv.dims.first_mut() {
                d.lower = 0;
            }
            it.scopes.declare(Var {
                name: "tg_argv".into(),
                slot: Slot::Scalar {
                    ty: DataType::array_of(DataType::Text),
                    value: Value::Array(Box::new(argv)),
                },
                constant: false,
                not_null: false,
            });
            if let Some(cond) = &f.trigger.when
                && !it.eval_bool(cond)?
            {
                return Ok(Outcome::Skipped);
            }
            let context = || {
                format!(
                    "PL/pgSQL function {}() (trigger {} on {})",
                    def.name, f.trigger.name, f.table.name
                )
            };
            match it.block(&body) {
                Ok(super::exec::Flow::Return) => {}
                Ok(_) => {
                    return Err(super::raised(
                        "2F005",
                        "control reached end of trigger procedure without RETURN",
                    )
                    .with_context(context()));
                }
                Err(e) => {
                    return Err(if e.context().is_some() {
                        e
                    } else {
                        e.with_context(context())
                    });
                }
            }
            match it.result_rec.take().flatten().filter(|r| !r.null) {
                None => Ok(Outcome::Null),
                Some(rec) => {
                    if rec.values.len() != f.table.columns.len() {
                        return Err(Error::DatatypeMismatch(
                        "returned row structure does not match the structure of the triggering table"
                            .into(),
                    ));
                    }
                    let mut row = Vec::with_capacity(rec.values.len());
                    for (k, v) in rec.values.into_iter().enumerate() {
                        row.push(cast(v, rec.types[k], f.table.columns[k].data_type)?);
                    }
                    Ok(Outcome::Row(row))
                }
            }
        })
    })
}
