//! ALTER FUNCTION | PROCEDURE | ROUTINE name[(types)] { action ... | OWNER TO role |
//! RENAME TO name | SET SCHEMA schema }: the options a routine's
//! definition carries besides its body — `SET` / `RESET` of its configuration
//! (`proconfig`), SECURITY DEFINER / INVOKER, volatility, strictness, PARALLEL, COST, ROWS,
//! LEAKPROOF — and its
//! owner, each checked as PostgreSQL checks it (42501 unless the current role owns the
//! routine; a new owner must be a role the current one is a member of).

use sqlparser::ast;

use super::Ddl;
use super::function::{Costs, config_of, require_routine_owner, resolve, set_entry};
use crate::parse::routine_options::Options;
use crate::result::StatementResult;
use crate::{Error, Result};

/// `ALTER FUNCTION` (`procedure` `Some(false)`), `ALTER PROCEDURE` (`Some(true)`) or
/// `ALTER ROUTINE` (`None`).
pub fn alter(
    ddl: &mut Ddl,
    a: &ast::AlterFunction,
    procedure: Option<bool>,
) -> Result<StatementResult> {
    if a.kind != ast::AlterFunctionKind::Function {
        return Err(Error::unsupported("ALTER AGGREGATE is not supported"));
    }
    let catalog = ddl.catalog()?;
    let mut def = resolve(&catalog, &ddl.search_path, &a.function, procedure)?;
    let who = crate::privilege::current(&catalog);
    require_routine_owner(&who, &def)?;
    match &a.operation {
        ast::AlterFunctionOperation::OwnerTo(owner) => {
            let new = super::role::owner_oid(&catalog, owner)?;
            if !who.superuser
                && !catalog.memberships(who.oid, false).contains(&new)
                && new != who.oid
            {
                let name = catalog.role_name(new);
                return Err(Error::InsufficientPrivilege(format!(
                    "must be member of role \"{name}\""
                )));
            }
            def.owner = new;
        }
        ast::AlterFunctionOperation::Actions { actions, .. } => {
            for action in actions {
                apply(&mut def, action, &who)?;
            }
        }
        ast::AlterFunctionOperation::RenameTo { new_name } => {
            let name = crate::binder::ident(new_name);
            crate::privilege::require_schema(
                &catalog,
                def.schema,
                crate::storage::catalog::acl::CREATE,
            )?;
            move_to(&catalog, &def, def.schema, &name)?;
            def.name = name;
        }
        ast::AlterFunctionOperation::SetSchema { schema_name } => {
            let target = ast::ObjectName::from(vec![ast::Ident::new("x")]);
            let mut parts = schema_name.0.clone();
            parts.extend(target.0);
            let (schema, _) = ddl.target(&ast::ObjectName(parts))?;
            move_to(&catalog, &def, schema, &def.name)?;
            def.schema = schema;
        }
        ast::AlterFunctionOperation::DependsOnExtension { .. } => {
            return Err(Error::unsupported(
                "ALTER FUNCTION ... DEPENDS ON EXTENSION is not supported",
            ));
        }
    }
    ddl.txn.put_function(def)?;
    Ok(StatementResult::command(match procedure {
        Some(false) => "ALTER FUNCTION",
        Some(true) => "ALTER PROCEDURE",
        None => "ALTER ROUTINE",
    }))
}

/// Whether `def` may be named `name` in schema `schema`: 42723 when another routine there
/// has that name and the same argument types.
fn move_to(
    catalog: &crate::storage::Catalog,
    def: &crate::storage::FunctionDef,
    schema: crate::storage::Oid,
    name: &str,
) -> Result<()> {
    let types = super::function::signature(&def.args);
    if let Some(other) = super::function::find(catalog, schema, name, &types)
        && other.oid != def.oid
    {
        let shown: Vec<String> = types.iter().map(|t| t.name().to_string()).collect();
        let schema_name = catalog.schema_name(schema);
        return Err(Error::Raised(Box::new(crate::error::Raised {
            code: "42723",
            message: format!(
                "{} {name}({}) already exists in schema \"{schema_name}\"",
                def.kind_word(),
                shown.join(", ")
            ),
            detail: None,
            hint: None,
        })));
    }
    Ok(())
}

/// One action of `ALTER FUNCTION ... action [...]`.
fn apply(
    def: &mut crate::storage::FunctionDef,
    action: &ast::AlterFunctionAction,
    who: &crate::privilege::Who,
) -> Result<()> {
    use ast::AlterFunctionAction as A;
    let option = |o: Options| -> Result<Costs> {
        let mut costs = Costs::of(def);
        costs.apply(&o, def.returns_set, who)?;
        Ok(costs)
    };
    let costs = match action {
        A::Cost(e) => Some(option(Options {
            cost: Some(e.to_string()),
            ..Options::default()
        })?),
        A::Rows(e) => Some(option(Options {
            rows: Some(e.to_string()),
            ..Options::default()
        })?),
        A::Leakproof(l) => Some(option(Options {
            leakproof: Some(*l),
            ..Options::default()
        })?),
        _ => None,
    };
    if let Some(c) = costs {
        def.cost = c.cost;
        def.rows = c.rows;
        def.leakproof = c.leakproof;
        return Ok(());
    }
    match action {
        A::Set(p) => {
            for entry in config_of(std::slice::from_ref(p))? {
                let (name, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
                set_entry(&mut def.config, name, Some(value.to_string()))?;
            }
            if let ast::FunctionSetValue::Default = p.value {
                let name = super::role::parameter_name(&p.name);
                set_entry(&mut def.config, &name, None)?;
            }
        }
        A::Reset(ast::ResetConfig::ALL) => def.config.clear(),
        A::Reset(ast::ResetConfig::ConfigName(n)) => {
            set_entry(&mut def.config, &super::role::parameter_name(n), None)?;
        }
        A::Security { security, .. } => {
            def.security_definer = matches!(security, ast::FunctionSecurity::Definer);
        }
        A::Behavior(b) => {
            def.volatility = match b {
                ast::FunctionBehavior::Immutable => 'i',
                ast::FunctionBehavior::Stable => 's',
                ast::FunctionBehavior::Volatile => 'v',
            };
        }
        A::CalledOnNull(c) => {
            def.strict = !matches!(c, ast::FunctionCalledOnNull::CalledOnNullInput);
        }
        A::Parallel(p) => {
            def.parallel = match p {
                ast::FunctionParallel::Safe => 's',
                ast::FunctionParallel::Restricted => 'r',
                ast::FunctionParallel::Unsafe => 'u',
            };
        }
        other => {
            return Err(Error::unsupported(format!(
                "ALTER FUNCTION ... {other} is not supported"
            )));
        }
    }
    Ok(())
}
