//! CREATE / ALTER SEQUENCE, and the sequence options shared with serial and identity
//! columns: PostgreSQL's defaults per data type and direction, its checks (22023) and
//! messages. ALTER SEQUENCE changes the definition transactionally; `RESTART` sets the
//! value at once, outside the transaction, as PostgreSQL's does.

use super::Ddl;
use crate::parse::{AlterSequence, AlterSequenceAction, SequenceOption};
use crate::result::StatementResult;
use crate::storage::{OwnedBy, Relation, SequenceDef};
use crate::types::DataType;
use crate::{Error, Result, Value};
use sqlparser::ast;

fn invalid(msg: String) -> Error {
    Error::InvalidParameterValue(msg)
}

/// `(min, max)` of a sequence data type (22023 for anything but the integer types).
fn type_range(t: DataType) -> Result<(i64, i64)> {
    Ok(match t {
        DataType::Int2 => (i16::MIN.into(), i16::MAX.into()),
        DataType::Int4 => (i32::MIN.into(), i32::MAX.into()),
        DataType::Int8 => (i64::MIN, i64::MAX),
        _ => {
            return Err(invalid(
                "sequence type must be smallint, integer, or bigint".into(),
            ));
        }
    })
}

/// A sequence definition with PostgreSQL's defaults for `data_type`, ascending by 1.
pub fn default_def(
    oid: u32,
    schema: u32,
    name: String,
    data_type: DataType,
) -> Result<SequenceDef> {
    let (_, max) = type_range(data_type)?;
    Ok(SequenceDef {
        oid,
        schema,
        name,
        data_type,
        start: 1,
        increment: 1,
        min: 1,
        max,
        cache: 1,
        cycle: false,
        owned_by: None,
        comment: None,
        owner: crate::storage::catalog::oids::BOOTSTRAP_SUPERUSER,
        acl: None,
    })
}

/// Evaluates an option's value: an integer constant.
fn constant(ddl: &Ddl, e: &ast::Expr) -> Result<i64> {
    let mut b = ddl.binder()?;
    let scope = crate::binder::Scope::default();
    let (x, _) = b.bind_expr(
        e,
        &mut crate::binder::ExprCtx::plain(&scope, "sequence option"),
    )?;
    match x.eval(&[], &crate::expr::Params(&[]))? {
        Value::Int(i) => Ok(i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
        other => Err(Error::InvalidTextRepresentation(format!(
            "invalid input syntax for type bigint: \"{other}\""
        ))),
    }
}

/// Which options were given, to apply PostgreSQL's defaults for the rest.
#[derive(Default)]
struct Given {
    min: Option<Option<i64>>,
    max: Option<Option<i64>>,
    start: Option<i64>,
    restart: Option<Option<i64>>,
    owned_by: Option<Option<ast::ObjectName>>,
}

/// Applies CREATE / ALTER SEQUENCE options to `def` (a fresh default definition on
/// CREATE). Returns the RESTART request and the OWNED BY target, for the caller.
#[allow(clippy::type_complexity)]
pub fn apply_options(
    ddl: &Ddl,
    def: &mut SequenceDef,
    options: &[SequenceOption],
    creating: bool,
) -> Result<(Option<Option<i64>>, Option<Option<ast::ObjectName>>)> {
    use ast::SequenceOptions as O;
    let mut g = Given::default();
    let old_type = def.data_type;
    for opt in options {
        match opt {
            SequenceOption::Restart(v) => {
                g.restart = Some(v.as_ref().map(|e| constant(ddl, e)).transpose()?)
            }
            SequenceOption::Create(o) => match o {
                O::DataType(t) => def.data_type = DataType::from_sql(t)?,
                O::IncrementBy(e, _) => def.increment = constant(ddl, e)?,
                O::MinValue(v) => g.min = Some(v.as_ref().map(|e| constant(ddl, e)).transpose()?),
                O::MaxValue(v) => g.max = Some(v.as_ref().map(|e| constant(ddl, e)).transpose()?),
                O::StartWith(e, _) => g.start = Some(constant(ddl, e)?),
                O::Cache(e) => def.cache = constant(ddl, e)?,
                O::Cycle(no) => def.cycle = !*no,
                O::OwnedBy(t) => g.owned_by = Some(t.clone()),
            },
        }
    }
    let (tmin, tmax) = type_range(def.data_type)?;
    if def.increment == 0 {
        return Err(invalid("INCREMENT must not be zero".into()));
    }
    let asc = def.increment > 0;
    let type_changed = def.data_type != old_type;
    // Bounds: given, else the type's (a type change moves bounds that were the old type's).
    let (omin, omax) = type_range(old_type)?;
    def.min = match g.min {
        Some(Some(v)) => v,
        Some(None) => {
            if asc {
                1
            } else {
                tmin
            }
        }
        None if creating => {
            if asc {
                1
            } else {
                tmin
            }
        }
        None if type_changed && def.min == omin => tmin,
        None => def.min,
    };
    def.max = match g.max {
        Some(Some(v)) => v,
        Some(None) => {
            if asc {
                tmax
            } else {
                -1
            }
        }
        None if creating => {
            if asc {
                tmax
            } else {
                -1
            }
        }
        None if type_changed && def.max == omax => tmax,
        None => def.max,
    };
    let type_name = def.data_type.name();
    if def.min < tmin || def.min > tmax {
        return Err(invalid(format!(
            "MINVALUE ({}) is out of range for sequence data type {type_name}",
            def.min
        )));
    }
    if def.max < tmin || def.max > tmax {
        return Err(invalid(format!(
            "MAXVALUE ({}) is out of range for sequence data type {type_name}",
            def.max
        )));
    }
    if def.min >= def.max {
        return Err(invalid(format!(
            "MINVALUE ({}) must be less than MAXVALUE ({})",
            def.min, def.max
        )));
    }
    if let Some(s) = g.start {
        def.start = s;
    } else if creating {
        def.start = if asc { def.min } else { def.max };
    }
    if def.start < def.min {
        return Err(invalid(format!(
            "START value ({}) cannot be less than MINVALUE ({})",
            def.start, def.min
        )));
    }
    if def.start > def.max {
        return Err(invalid(format!(
            "START value ({}) cannot be greater than MAXVALUE ({})",
            def.start, def.max
        )));
    }
    if let Some(Some(r)) = g.restart {
        if r < def.min {
            return Err(invalid(format!(
                "RESTART value ({r}) cannot be less than MINVALUE ({})",
                def.min
            )));
        }
        if r > def.max {
            return Err(invalid(format!(
                "RESTART value ({r}) cannot be greater than MAXVALUE ({})",
                def.max
            )));
        }
    }
    if def.cache <= 0 {
        return Err(invalid(format!(
            "CACHE ({}) must be greater than zero",
            def.cache
        )));
    }
    Ok((g.restart, g.owned_by))
}

/// Resolves `OWNED BY table.column` for a sequence in schema `schema` (the table must be
/// in the same schema: 55000 otherwise).
fn owned_by(ddl: &Ddl, target: &ast::ObjectName, schema: u32) -> Result<OwnedBy> {
    let parts = &target.0;
    if parts.len() < 2 {
        return Err(Error::SyntaxError("invalid OWNED BY option".into()));
    }
    let table_name = ast::ObjectName(parts[..parts.len() - 1].to_vec());
    let column = crate::binder::object_name(&ast::ObjectName(parts[parts.len() - 1..].to_vec()))?;
    let table = ddl.table(&table_name)?;
    if table.schema != schema {
        return Err(Error::ObjectNotInPrerequisiteState(
            "sequence must be in same schema as table it is linked to".into(),
        ));
    }
    let col = table.column_index(&column).ok_or_else(|| {
        Error::UndefinedColumn(format!("{column}\" of relation \"{}", table.name))
    })?;
    Ok(OwnedBy {
        table: table.id,
        column: col,
    })
}

/// CREATE SEQUENCE.
pub fn create(
    ddl: &mut Ddl,
    name: &ast::ObjectName,
    temporary: bool,
    if_not_exists: bool,
    options: &[ast::SequenceOptions],
) -> Result<StatementResult> {
    let Some((schema, rel)) = ddl.new_relation(name, temporary, if_not_exists)? else {
        return Ok(StatementResult::command("CREATE SEQUENCE"));
    };
    let oid = ddl.txn.new_oid()?;
    let mut def = default_def(oid, schema, rel, DataType::Int8)?;
    let catalog = ddl.catalog()?;
    def.owner = crate::privilege::current(&catalog).oid;
    def.acl = super::default_privileges::initial_acl(
        &catalog,
        super::default_privileges::SEQUENCES,
        def.owner,
        schema,
    );
    let opts: Vec<SequenceOption> = options
        .iter()
        .cloned()
        .map(SequenceOption::Create)
        .collect();
    let (_, owner) = apply_options(ddl, &mut def, &opts, true)?;
    if let Some(Some(t)) = owner {
        def.owned_by = Some(owned_by(ddl, &t, schema)?);
    }
    ddl.txn.create_sequence(def)?;
    Ok(StatementResult::command("CREATE SEQUENCE"))
}

/// The sequence `name` names (42P01; 42809 for another kind of relation).
pub fn find(ddl: &Ddl, name: &ast::ObjectName) -> Result<Option<SequenceDef>> {
    let (schema, rel) = crate::binder::split_name(name)?;
    let b = ddl.binder()?;
    match b.lookup(schema.as_deref(), &rel)? {
        Some(crate::binder::FromRelation::Sequence(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongObjectType(format!(
            "\"{rel}\" is not a sequence"
        ))),
        None => Ok(None),
    }
}

/// ALTER SEQUENCE.
pub fn alter(ddl: &mut Ddl, a: &AlterSequence) -> Result<StatementResult> {
    let done = StatementResult::command("ALTER SEQUENCE");
    let Some(mut def) = find(ddl, &a.name)? else {
        let rel = crate::binder::split_name(&a.name)?.1;
        if a.if_exists {
            crate::notice::skipping_missing("relation", &rel);
            return Ok(done);
        }
        return Err(Error::UndefinedTable(rel));
    };
    crate::privilege::require_owner(&*ddl.catalog()?, &Relation::Sequence(&def))?;
    match &a.action {
        AlterSequenceAction::Accepted => {}
        AlterSequenceAction::OwnerTo(owner) => {
            let catalog = ddl.catalog()?;
            let new = super::role::owner_oid(&catalog, owner)?;
            // PostgreSQL's DETAIL: the sequence is linked to its table.
            if def.owned_by.is_some() && new != def.owner {
                return Err(Error::FeatureNotSupported(format!(
                    "cannot change owner of sequence \"{}\"",
                    def.name
                )));
            }
            super::role::change_owner(&mut def.owner, &mut def.acl, new);
            ddl.txn.alter_sequence(def)?;
        }
        AlterSequenceAction::RenameTo(n) => {
            let new = crate::binder::ident(n);
            if ddl.catalog()?.relation_exists(def.schema, &new) {
                return Err(Error::DuplicateTable(new));
            }
            def.name = new;
            ddl.txn.alter_sequence(def)?;
        }
        AlterSequenceAction::SetSchema(s) => {
            let s = crate::binder::ident(s);
            let schema = ddl
                .catalog()?
                .schema(&s)
                .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?;
            def.schema = schema.oid;
            ddl.txn.alter_sequence(def)?;
        }
        AlterSequenceAction::Options(opts) => {
            let (restart, owner) = apply_options(ddl, &mut def, opts, false)?;
            match owner {
                Some(Some(t)) => def.owned_by = Some(owned_by(ddl, &t, def.schema)?),
                Some(None) => def.owned_by = None,
                None => {}
            }
            ddl.txn.alter_sequence(def.clone())?;
            if let Some(r) = restart {
                let services = crate::env::catalog()?.services.clone();
                services.setval(&def, r.unwrap_or(def.start), false)?;
            }
        }
    }
    Ok(done)
}

/// Whether `rel` is a sequence owned by a column (dropped along with its table).
pub fn is_owned(rel: &Relation) -> bool {
    matches!(rel, Relation::Sequence(s) if s.owned_by.is_some())
}
