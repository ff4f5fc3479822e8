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
    if let Some(cond) = &c.condition {
        check_when(&def, cond)?;
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

/// A row trigger's WHEN condition may read OLD only on UPDATE and DELETE, NEW only on
/// INSERT and UPDATE (42P17 otherwise, as PostgreSQL checks when it creates the trigger).
fn check_when(def: &TriggerDef, cond: &ast::Expr) -> Result<()> {
    let mut refs = (false, false);
    let _ = ast::visit_expressions(cond, |x| {
        if let ast::Expr::CompoundIdentifier(parts) = x
            && parts.len() >= 2
        {
            match ident(&parts[0]).as_str() {
                "old" => refs.0 = true,
                "new" => refs.1 = true,
                _ => {}
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let (old, new) = refs;
    if old && def.on_insert {
        return Err(Error::InvalidObjectDefinition(
            "INSERT trigger's WHEN condition cannot reference OLD values".into(),
        ));
    }
    if new && def.on_delete {
        return Err(Error::InvalidObjectDefinition(
            "DELETE trigger's WHEN condition cannot reference NEW values".into(),
        ));
    }
    Ok(())
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
