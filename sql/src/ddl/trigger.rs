//! CREATE [OR REPLACE] TRIGGER, DROP TRIGGER, ALTER TABLE ... ENABLE / DISABLE TRIGGER.
//!
//! A trigger is part of its table's definition ([`TriggerDef`] in `TableDef::triggers`), so
//! it is stored, logged and versioned with the table (`Txn::alter_table`), and DROP TABLE
//! drops it. Its function must be a PL/pgSQL function returning `trigger`; DROP FUNCTION of
//! a function a trigger uses fails with 2BP01 unless CASCADE, which drops the triggers.
//! Refused with 0A000: INSTEAD OF, TRUNCATE triggers, constraint triggers, transition
//! tables (REFERENCING), triggers on views.

use super::Ddl;
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::{FunctionDef, Oid, TableDef, TriggerDef};
use crate::{Error, Result};
use sqlparser::ast;

/// The trigger function `desc` names: a `RETURNS trigger` function without arguments.
fn trigger_function(ddl: &Ddl, desc: &ast::FunctionDesc) -> Result<FunctionDef> {
    let catalog = ddl.catalog()?;
    let (schema, name) = crate::binder::split_name(&desc.name)?;
    let schemas: Vec<Oid> = match &schema {
        Some(s) => catalog.schema(s).map(|s| s.oid).into_iter().collect(),
        None => ddl.search_path.clone(),
    };
    let found = schemas.iter().find_map(|s| {
        catalog
            .functions
            .iter()
            .find(|f| f.schema == *s && f.name == name && f.args.is_empty())
    });
    let Some(f) = found else {
        return Err(Error::UndefinedFunction(format!(
            "function {name}() does not exist"
        )));
    };
    if f.pseudo_return.as_deref() != Some("trigger") {
        return Err(Error::InvalidObjectDefinition(format!(
            "function {name} must return type trigger"
        )));
    }
    Ok(f.clone())
}

/// The text of a trigger argument (`'x'`, `1`, `name`) as PostgreSQL stores it.
fn argument_text(a: &ast::OperateFunctionArg) -> String {
    match &a.default_expr {
        Some(e) => e.to_string(),
        None => {
            let t = a.data_type.to_string();
            match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(s) => s.replace("\"\"", "\""),
                None => t,
            }
        }
    }
}

/// CREATE [OR REPLACE] TRIGGER.
pub fn create(ddl: &mut Ddl, c: &ast::CreateTrigger) -> Result<StatementResult> {
    if c.is_constraint {
        return Err(Error::unsupported("constraint triggers are not supported"));
    }
    if !c.referencing.is_empty() {
        return Err(Error::unsupported(
            "transition tables (REFERENCING) are not supported",
        ));
    }
    let before = match c.period {
        Some(ast::TriggerPeriod::Before) => true,
        Some(ast::TriggerPeriod::After) | Some(ast::TriggerPeriod::For) => false,
        Some(ast::TriggerPeriod::InsteadOf) => {
            return Err(Error::unsupported("INSTEAD OF triggers are not supported"));
        }
        None => return Err(Error::SyntaxError("syntax error at or near \"ON\"".into())),
    };
    let mut table = ddl.table(&c.table_name)?;
    let name = crate::binder::split_name(&c.name)?.1;
    let mut def = TriggerDef {
        oid: 0,
        name: name.clone(),
        function: 0,
        before,
        on_insert: false,
        on_update: false,
        on_delete: false,
        update_columns: Vec::new(),
        row: matches!(
            c.trigger_object,
            Some(ast::TriggerObjectKind::ForEach(ast::TriggerObject::Row))
                | Some(ast::TriggerObjectKind::For(ast::TriggerObject::Row))
        ),
        when: c.condition.as_ref().map(|e| e.to_string()),
        args: Vec::new(),
        enabled: true,
        definition: String::new(),
    };
    for e in &c.events {
        match e {
            ast::TriggerEvent::Insert => def.on_insert = true,
            ast::TriggerEvent::Delete => def.on_delete = true,
            ast::TriggerEvent::Update(cols) => {
                def.on_update = true;
                for col in cols {
                    let n = ident(col);
                    let i = table.column_index(&n).ok_or_else(|| {
                        Error::UndefinedColumn(format!("{n}\" of relation \"{}", table.name))
                    })?;
                    def.update_columns.push(i);
                }
            }
            ast::TriggerEvent::Truncate => {
                return Err(Error::unsupported("TRUNCATE triggers are not supported"));
            }
        }
    }
    if def.when.is_some() && !def.row {
        return Err(Error::FeatureNotSupported(
            "statement trigger's WHEN condition cannot reference column values".into(),
        ));
    }
    let Some(body) = &c.exec_body else {
        return Err(Error::SyntaxError("syntax error at end of input".into()));
    };
    let f = trigger_function(ddl, &body.func_desc)?;
    def.function = f.oid;
    def.args = body
        .func_desc
        .args
        .iter()
        .flatten()
        .map(argument_text)
        .collect();
    def.definition = definition(&def, &table, &f.name);
    match table.triggers.iter().position(|t| t.name == name) {
        Some(i) if c.or_replace => {
            def.oid = table.triggers[i].oid;
            table.triggers[i] = def;
        }
        Some(_) => {
            return Err(Error::DuplicateObject(format!(
                "trigger \"{name}\" for relation \"{}\" already exists",
                table.name
            )));
        }
        None => {
            def.oid = ddl.txn.new_oid()?;
            table.triggers.push(def);
        }
    }
    ddl.txn.alter_table(table)?;
    Ok(StatementResult::command("CREATE TRIGGER"))
}

/// `CREATE TRIGGER name BEFORE INSERT OR UPDATE ON public.t FOR EACH ROW EXECUTE
/// FUNCTION f()`, as `pg_get_triggerdef` writes it.
fn definition(t: &TriggerDef, table: &TableDef, function: &str) -> String {
    let q = crate::expr::catalog_functions::quote_ident;
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
                .map(|i| q(&table.columns[*i].name))
                .collect();
            events.push(format!("UPDATE OF {}", cols.join(", ")));
        }
    }
    let schema = crate::env::catalog()
        .map(|c| c.catalog.schema_name(table.schema))
        .unwrap_or_else(|_| "public".into());
    let when = match &t.when {
        Some(w) => format!(" WHEN ({w})"),
        None => String::new(),
    };
    let args: Vec<String> = t
        .args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "''")))
        .collect();
    format!(
        "CREATE TRIGGER {} {} {} ON {}.{} FOR EACH {}{when} EXECUTE FUNCTION {}({})",
        q(&t.name),
        if t.before { "BEFORE" } else { "AFTER" },
        events.join(" OR "),
        q(&schema),
        q(&table.name),
        if t.row { "ROW" } else { "STATEMENT" },
        q(function),
        args.join(", ")
    )
}

/// DROP TRIGGER [IF EXISTS] name ON table.
pub fn drop(ddl: &mut Ddl, d: &ast::DropTrigger) -> Result<StatementResult> {
    let done = StatementResult::command("DROP TRIGGER");
    let name = crate::binder::split_name(&d.trigger_name)?.1;
    let Some(table_name) = &d.table_name else {
        return Err(Error::SyntaxError("syntax error at end of input".into()));
    };
    let mut table = match ddl.table(table_name) {
        Ok(t) => t,
        Err(Error::UndefinedTable(_)) if d.if_exists => {
            let rel = crate::binder::split_name(table_name)?.1;
            crate::notice::skipping_missing("relation", &rel);
            return Ok(done);
        }
        Err(e) => return Err(e),
    };
    match table.triggers.iter().position(|t| t.name == name) {
        Some(i) => {
            table.triggers.remove(i);
            ddl.txn.alter_table(table)?;
        }
        None if d.if_exists => crate::notice::emit(crate::notice::Notice::new(
            "00000",
            format!(
                "trigger \"{name}\" for relation \"{}\" does not exist, skipping",
                table.name
            ),
        )),
        None => {
            return Err(Error::UndefinedObject(format!(
                "trigger \"{name}\" for table \"{}\" does not exist",
                table.name
            )));
        }
    }
    Ok(done)
}

/// ALTER TABLE ... ENABLE / DISABLE TRIGGER name | ALL | USER, on `table`.
pub fn set_enabled(table: &mut TableDef, name: &ast::Ident, enabled: bool) -> Result<()> {
    let n = ident(name);
    if n == "all" || n == "user" {
        table.triggers.iter_mut().for_each(|t| t.enabled = enabled);
        return Ok(());
    }
    match table.triggers.iter_mut().find(|t| t.name == n) {
        Some(t) => {
            t.enabled = enabled;
            Ok(())
        }
        None => Err(Error::UndefinedObject(format!(
            "trigger \"{n}\" for table \"{}\" does not exist",
            table.name
        ))),
    }
}

/// The triggers of any table that run function `oid` (DROP FUNCTION's dependency check).
pub fn users_of(catalog: &crate::storage::Catalog, oid: Oid) -> Vec<(TableDef, String)> {
    catalog
        .tables
        .iter()
        .flat_map(|t| {
            t.triggers
                .iter()
                .filter(|g| g.function == oid)
                .map(|g| (t.clone(), g.name.clone()))
        })
        .collect()
}
