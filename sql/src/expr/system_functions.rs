//! System information and administration functions that read the session and the server
//! rather than their arguments alone: `version()`, `current_setting`, `set_config`,
//! `pg_backend_pid()`, `pg_cancel_backend(pid)`, `pg_terminate_backend(pid)`, and who and
//! where the session is: `current_user`, `session_user`, `current_database()`,
//! `current_schema()` (drivers and ORMs ask at connect).
//!
//! They are evaluated at run time on the session's thread: settings through the lent
//! [`crate::settings`] (so `set_config` followed by `current_setting` in one SELECT sees the
//! new value, as in PostgreSQL) and the server through the installed [`crate::backend`].

use crate::settings::{self, SERVER_VERSION};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// One of the functions of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemFunction {
    Version,
    /// `current_setting(name [, missing_ok])`.
    CurrentSetting,
    /// `set_config(name, value, is_local)`.
    SetConfig,
    BackendPid,
    CancelBackend,
    TerminateBackend,
    /// `current_user`, `session_user`, `user`.
    CurrentUser,
    /// `current_database()`, `current_catalog`.
    CurrentDatabase,
    /// `current_schema()`: the first schema of the search path (always `public` here).
    CurrentSchema,
}

/// `version()`'s text: PostgreSQL's shape (`PostgreSQL 15.18 ... on <arch>-..., 64-bit`), which
/// drivers and ORMs parse for the version number.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (Strata {}) on {}-pc-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

impl SystemFunction {
    /// Resolves `name(args)`: the function, the types its arguments are coerced to, and its
    /// result type. `None` when the name is not one of these functions.
    pub fn resolve(
        name: &str,
        arg_types: &[DataType],
    ) -> Option<Result<(SystemFunction, Vec<DataType>, DataType)>> {
        use DataType::{Bool, Int4, Int8, Text};
        let (f, args, result): (SystemFunction, &[DataType], DataType) = match name {
            "version" => (SystemFunction::Version, &[], Text),
            "current_setting" if arg_types.len() == 2 => {
                (SystemFunction::CurrentSetting, &[Text, Bool], Text)
            }
            "current_setting" => (SystemFunction::CurrentSetting, &[Text], Text),
            "set_config" => (SystemFunction::SetConfig, &[Text, Text, Bool], Text),
            "pg_backend_pid" => (SystemFunction::BackendPid, &[], Int4),
            "pg_cancel_backend" => (SystemFunction::CancelBackend, &[Int4], Bool),
            "pg_terminate_backend" if arg_types.len() == 2 => {
                (SystemFunction::TerminateBackend, &[Int4, Int8], Bool)
            }
            "pg_terminate_backend" => (SystemFunction::TerminateBackend, &[Int4], Bool),
            "current_user" | "session_user" | "user" => (SystemFunction::CurrentUser, &[], Text),
            "current_database" | "current_catalog" => (SystemFunction::CurrentDatabase, &[], Text),
            "current_schema" => (SystemFunction::CurrentSchema, &[], Text),
            _ => return None,
        };
        if arg_types.len() != args.len()
            || arg_types
                .iter()
                .zip(args)
                .any(|(have, want)| !coercible(*have, *want))
        {
            let have: Vec<String> = arg_types.iter().map(|t| t.name()).collect();
            return Some(Err(Error::UndefinedFunction(format!(
                "function {name}({}) does not exist",
                have.join(", ")
            ))));
        }
        Some(Ok((f, args.to_vec(), result)))
    }

    /// Calls the function on arguments already coerced to the resolved types.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        let text = |i: usize| match args.get(i) {
            Some(Value::Text(s)) => Some(s.clone()),
            _ => None,
        };
        let flag = |i: usize| matches!(args.get(i), Some(Value::Bool(true)));
        Ok(match self {
            SystemFunction::Version => Value::Text(version_string()),
            SystemFunction::CurrentSetting => {
                let Some(name) = text(0) else {
                    return Ok(Value::Null);
                };
                let missing_ok = flag(1);
                match settings::with_current(|s| s.show(&name)) {
                    Ok(v) => Value::Text(v),
                    Err(Error::UndefinedParameter(_)) if missing_ok => Value::Null,
                    Err(e) => return Err(e),
                }
            }
            SystemFunction::SetConfig => {
                let Some(name) = text(0) else {
                    return Err(Error::NullValueNotAllowed(
                        "SET requires parameter name".into(),
                    ));
                };
                let value = text(1).unwrap_or_default();
                let local = flag(2);
                let v = settings::with_current(|s| {
                    if name.eq_ignore_ascii_case("transaction_isolation") {
                        return s.check(&name, &value);
                    }
                    s.set(&name, &value, local)
                })?;
                Value::Text(v)
            }
            SystemFunction::BackendPid => Value::Int(crate::backend::pid() as i64),
            SystemFunction::CurrentUser => Value::Text(crate::backend::user_and_database().0),
            SystemFunction::CurrentDatabase => Value::Text(crate::backend::user_and_database().1),
            SystemFunction::CurrentSchema => Value::Text("public".into()),
            SystemFunction::CancelBackend | SystemFunction::TerminateBackend => {
                let Some(Value::Int(pid)) = args.first() else {
                    return Ok(Value::Null);
                };
                let pid = *pid as i32;
                let found = crate::backend::current().is_some_and(|b| {
                    if *self == SystemFunction::CancelBackend {
                        b.server.cancel_backend(pid)
                    } else {
                        b.server.terminate_backend(pid)
                    }
                });
                Value::Bool(found)
            }
        })
    }
}

/// Whether an argument of type `have` may be passed where `want` is expected.
fn coercible(have: DataType, want: DataType) -> bool {
    have == want
        || have == DataType::Unknown
        || (want.is_string() && have.is_string())
        || (want.is_integer() && have.is_integer())
}
