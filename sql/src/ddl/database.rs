//! `ALTER DATABASE name SET param { TO | = } value | DEFAULT`, `RESET param`, `RESET ALL`:
//! the database's defaults for new sessions ([`DatabaseDef`], `pg_db_role_setting` rows
//! with `setrole = 0`, psql's `\drds`). A session starts with the role's defaults for this
//! database, then the role's, then the database's — the more specific wins — under what
//! its startup packet set ([`crate::Session::identify`]). Only superusers may change them
//! (PostgreSQL also lets the database's owner; Strata's one database is the bootstrap
//! superuser's). Values are checked as SET checks them.

use super::Ddl;
use super::role::{parameter_name, set_config, setting};
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::DatabaseDef;
use crate::storage::catalog::oids::DATABASE_OID;
use crate::{Error, Result};
use sqlparser::ast;

/// ALTER DATABASE ... SET / RESET.
pub fn alter(
    ddl: &mut Ddl,
    name: &ast::Ident,
    operation: &ast::AlterRoleOperation,
) -> Result<StatementResult> {
    let name = ident(name);
    if !crate::env::with(|e| e.session.database == name) {
        return Err(Error::UndefinedDatabase(format!(
            "database \"{name}\" does not exist"
        )));
    }
    let catalog = ddl.catalog()?;
    if !crate::privilege::current(&catalog).superuser {
        return Err(Error::InsufficientPrivilege(format!(
            "must be owner of database {name}"
        )));
    }
    let mut def = catalog
        .databases
        .iter()
        .find(|d| d.oid == DATABASE_OID)
        .cloned()
        .unwrap_or(DatabaseDef {
            oid: DATABASE_OID,
            config: Vec::new(),
        });
    match operation {
        ast::AlterRoleOperation::Set {
            config_name,
            config_value,
            ..
        } => {
            let (name, value) = setting(config_name, config_value)?;
            set_config(&mut def.config, None, &name, value)?;
        }
        ast::AlterRoleOperation::Reset { config_name, .. } => match config_name {
            ast::ResetConfig::ALL => def.config.clear(),
            ast::ResetConfig::ConfigName(n) => {
                set_config(&mut def.config, None, &parameter_name(n), None)?;
            }
        },
        _ => return Err(Error::unsupported("this ALTER DATABASE is not supported")),
    }
    ddl.txn.put_database(def)?;
    Ok(StatementResult::command("ALTER DATABASE"))
}
