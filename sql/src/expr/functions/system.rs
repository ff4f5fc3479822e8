//! Session information functions: `version()`, `current_database()`, `current_schema`,
//! `current_user` / `session_user` / `user` / `current_role`, `pg_backend_pid()`,
//! `current_setting(name [, missing_ok])` and `set_config(name, value, is_local)`. They read
//! the session the running statement belongs to ([`crate::env::SessionInfo`]).
//!
//! `set_config` changes the session's setting at once; `is_local` (reset at the end of the
//! transaction in PostgreSQL) is not distinguished. Names with a dot (`myapp.user_id`) are
//! custom settings and may be created, as in PostgreSQL; other unknown names are 42704.

use super::{Function, text};
use crate::env;
use crate::{Error, Result, Value};

/// The text `version()` returns: PostgreSQL's form, which clients parse, with Strata's.
fn version() -> String {
    let server =
        env::with(|e| e.session.setting("server_version")).unwrap_or_else(|| "15.0".into());
    format!(
        "PostgreSQL {server} (Strata {}) on {}-linux, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

/// Checks a new value of a setting, normalized as SET stores it.
fn check_setting(name: &str, value: &str) -> Result<String> {
    match name {
        "timezone" => Ok(crate::types::datetime::zone::Zone::parse(value)?
            .name()
            .to_string()),
        "default_transaction_isolation" => {
            let v = value.to_lowercase();
            let known = [
                "read committed",
                "read uncommitted",
                "repeatable read",
                "serializable",
            ];
            if known.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(Error::InvalidParameterValue(format!(
                    "invalid value for parameter \"default_transaction_isolation\": \"{value}\""
                )))
            }
        }
        _ => Ok(value.to_string()),
    }
}

/// Calls a session information function (the caller handled strictness).
pub fn call(f: Function, args: Vec<Value>) -> Result<Value> {
    let session = env::with(|e| e.session.clone());
    let t = |s: String| Ok(Value::Text(s));
    match f {
        Function::Version => t(version()),
        Function::CurrentDatabase => t(session.database.clone()),
        Function::CurrentSchema => t("public".into()),
        Function::CurrentUser => t(session.user.clone()),
        Function::BackendPid => Ok(Value::Int(i64::from(session.backend_pid))),
        Function::CurrentSetting => {
            let name = text(args.first().unwrap_or(&Value::Null))?.to_lowercase();
            let missing_ok = matches!(args.get(1), Some(Value::Bool(true)));
            match session.setting(&name) {
                Some(v) => t(v),
                None if missing_ok => Ok(Value::Null),
                None => Err(Error::UndefinedParameter(name)),
            }
        }
        Function::SetConfig => {
            let name = text(args.first().unwrap_or(&Value::Null))?.to_lowercase();
            let value = text(args.get(1).unwrap_or(&Value::Null))?;
            if session.setting(&name).is_none() && !name.contains('.') {
                return Err(Error::UndefinedParameter(name));
            }
            let value = check_setting(&name, value)?;
            session.set(&name, value.clone());
            t(value)
        }
        other => Err(Error::Internal(format!(
            "{other:?} is not a system function"
        ))),
    }
}
