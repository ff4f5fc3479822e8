//! The user's triggers as PostgreSQL's catalogs show them: `pg_trigger` (one row per
//! [`TriggerDef`] of every table), `information_schema.triggers` (one row per trigger and
//! event) and `pg_get_triggerdef(oid[, pretty])` ([`definition`]), which psql's `\d table`
//! prints under "Triggers:" / "Disabled user triggers:".
//!
//! `tgtype` carries `trigger.h`'s bits (ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16);
//! `tgargs` is the arguments, each followed by a zero byte; `tgattr` the `UPDATE OF`
//! columns' attnums; `tgqual` the WHEN condition's SQL text (Strata's `pg_node_tree`).
//! The WHEN condition prints through [`super::deparse`]'s printer with `new` and `old`
//! as range variables over the table, as `ruleutils.c` prints it.

use super::deparse::Printer;
use super::val::*;
use super::{Context, SystemTable};
use crate::expr::catalog_functions::quote_ident;
use crate::storage::catalog::oids::{INFORMATION_SCHEMA_NAMESPACE, PG_CATALOG_NAMESPACE};
use crate::storage::{Catalog, Oid, Row, TableDef, TriggerDef};
use crate::{Result, Value};

/// `pg_catalog.pg_trigger`.
pub const PG_TRIGGER: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_trigger",
    oid: 2620,
    columns: &[
        ("oid", "oid"),
        ("tgrelid", "oid"),
        ("tgparentid", "oid"),
        ("tgname", "name"),
        ("tgfoid", "oid"),
        ("tgtype", "int2"),
        ("tgenabled", "char"),
        ("tgisinternal", "bool"),
        ("tgconstrrelid", "oid"),
        ("tgconstrindid", "oid"),
        ("tgconstraint", "oid"),
        ("tgdeferrable", "bool"),
        ("tginitdeferred", "bool"),
        ("tgnargs", "int2"),
        ("tgattr", "int2vector"),
        ("tgargs", "bytea"),
        ("tgqual", "pg_node_tree"),
        ("tgoldtable", "name"),
        ("tgnewtable", "name"),
    ],
    rows: pg_trigger,
};

/// `information_schema.triggers`.
pub const INFORMATION_SCHEMA_TRIGGERS: SystemTable = SystemTable {
    schema: INFORMATION_SCHEMA_NAMESPACE,
    name: "triggers",
    oid: 13320,
    columns: &[
        ("trigger_catalog", "name"),
        ("trigger_schema", "name"),
        ("trigger_name", "name"),
        ("event_manipulation", "text"),
        ("event_object_catalog", "name"),
        ("event_object_schema", "name"),
        ("event_object_table", "name"),
        ("action_order", "int4"),
        ("action_condition", "text"),
        ("action_statement", "text"),
        ("action_orientation", "text"),
        ("action_timing", "text"),
        ("action_reference_old_table", "name"),
        ("action_reference_new_table", "name"),
        ("action_reference_old_row", "name"),
        ("action_reference_new_row", "name"),
        ("created", "timestamptz"),
    ],
    rows: information_schema_triggers,
};

const ROW: i64 = 1;
const BEFORE: i64 = 2;
const INSERT: i64 = 4;
const DELETE: i64 = 8;
const UPDATE: i64 = 16;

/// `tgtype`, as `trigger.h`'s `TRIGGER_TYPE_*` bits.
pub fn tgtype(t: &TriggerDef) -> i64 {
    [
        (t.row, ROW),
        (t.before, BEFORE),
        (t.on_insert, INSERT),
        (t.on_delete, DELETE),
        (t.on_update, UPDATE),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, bit)| bit)
    .sum()
}

fn pg_trigger(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for table in &ctx.env.catalog.tables {
        for t in &table.triggers {
            let mut args = Vec::new();
            for a in &t.args {
                args.extend_from_slice(a.as_bytes());
                args.push(0);
            }
            rows.push(vec![
                oid(t.oid),
                oid(table.id),
                oid(0), // tgparentid
                text(&t.name),
                oid(t.function),
                int(tgtype(t)),
                ch(if t.enabled { 'O' } else { 'D' }),
                b(false), // tgisinternal
                oid(0),   // tgconstrrelid
                oid(0),   // tgconstrindid
                oid(0),   // tgconstraint
                b(false), // tgdeferrable
                b(false), // tginitdeferred
                int(t.args.len() as i64),
                vector(t.update_columns.iter().map(|c| c + 1)),
                Value::Bytea(args),
                opt_text(t.when.clone()),
                null(), // tgoldtable
                null(), // tgnewtable
            ]);
        }
    }
    Ok(rows)
}

/// The trigger with OID `oid` and its table.
pub fn by_oid(cat: &Catalog, oid: Oid) -> Option<(&TableDef, &TriggerDef)> {
    cat.tables
        .iter()
        .find_map(|t| Some((t, t.triggers.iter().find(|g| g.oid == oid)?)))
}

/// `pg_get_triggerdef(oid, pretty)`: `CREATE TRIGGER name BEFORE INSERT OR UPDATE ON
/// public.t FOR EACH ROW EXECUTE FUNCTION f()`. Pretty mode names the table only as
/// `regclass` would (unqualified when visible) and parenthesizes the WHEN condition by
/// precedence alone.
pub fn definition(
    cat: &Catalog,
    search_path: &[Oid],
    table: &TableDef,
    t: &TriggerDef,
    pretty: bool,
) -> String {
    let mut events = Vec::new();
    if t.on_insert {
        events.push("INSERT".to_string());
    }
    if t.on_delete {
        events.push("DELETE".to_string());
    }
    if t.on_update {
        if t.update_columns.is_empty() {
            events.push("UPDATE".to_string());
        } else {
            let cols: Vec<String> = t
                .update_columns
                .iter()
                .filter_map(|i| table.columns.get(*i))
                .map(|c| quote_ident(&c.name))
                .collect();
            events.push(format!("UPDATE OF {}", cols.join(", ")));
        }
    }
    let relation = if pretty {
        super::deparse::relation_name(table.id)
    } else {
        format!(
            "{}.{}",
            quote_ident(&cat.schema_name(table.schema)),
            quote_ident(&table.name)
        )
    };
    let when = match &t.when {
        Some(w) => format!(" WHEN ({})", condition(w, table, pretty)),
        None => String::new(),
    };
    format!(
        "CREATE TRIGGER {} {} {} ON {relation} FOR EACH {}{when} {}",
        quote_ident(&t.name),
        if t.before { "BEFORE" } else { "AFTER" },
        events.join(" OR "),
        if t.row { "ROW" } else { "STATEMENT" },
        action(cat, search_path, t),
    )
}

/// `EXECUTE FUNCTION f('arg', ...)`: the function named as `regproc` would (qualified
/// when its schema is not searched), the arguments as string literals.
fn action(cat: &Catalog, search_path: &[Oid], t: &TriggerDef) -> String {
    let function = match cat.functions.iter().find(|f| f.oid == t.function) {
        Some(f) if search_path.contains(&f.schema) => quote_ident(&f.name),
        Some(f) => format!(
            "{}.{}",
            quote_ident(&cat.schema_name(f.schema)),
            quote_ident(&f.name)
        ),
        None => t.function.to_string(),
    };
    let args: Vec<String> = t.args.iter().map(|a| literal(a)).collect();
    format!("EXECUTE FUNCTION {function}({})", args.join(", "))
}

/// `simple_quote_literal` (standard_conforming_strings on): quotes doubled.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The WHEN condition over `new` and `old`, in pretty or plain form.
fn condition(text: &str, table: &TableDef, pretty: bool) -> String {
    match crate::ddl::constraints::parse_expr(text) {
        Ok(e) => {
            Printer {
                scope: vec![(Some("new".into()), table), (Some("old".into()), table)],
                parens: !pretty,
            }
            .print(&e, None)
            .0
        }
        Err(_) => text.to_string(),
    }
}

fn information_schema_triggers(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let database = text(crate::env::with(|e| e.session.database.clone()));
    let mut rows = Vec::new();
    for table in &cat.tables {
        let schema = text(cat.schema_name(table.schema));
        for (bit, event) in [(INSERT, "INSERT"), (DELETE, "DELETE"), (UPDATE, "UPDATE")] {
            for t in table.triggers.iter().filter(|t| tgtype(t) & bit != 0) {
                // rank() over the triggers of the same event, level and timing, by name.
                let order = 1 + table
                    .triggers
                    .iter()
                    .filter(|o| {
                        tgtype(o) & bit != 0
                            && o.row == t.row
                            && o.before == t.before
                            && o.name < t.name
                    })
                    .count();
                rows.push(vec![
                    database.clone(),
                    schema.clone(),
                    text(&t.name),
                    text(event),
                    database.clone(),
                    schema.clone(),
                    text(&table.name),
                    int(order as i64),
                    opt_text(t.when.as_deref().map(|w| condition(w, table, false))),
                    text(action(cat, &ctx.env.search_path, t)),
                    text(if t.row { "ROW" } else { "STATEMENT" }),
                    text(if t.before { "BEFORE" } else { "AFTER" }),
                    null(),
                    null(),
                    null(),
                    null(),
                    null(),
                ]);
            }
        }
    }
    Ok(rows)
}
