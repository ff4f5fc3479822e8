//! A table's storage parameters (`ALTER TABLE ... SET (name = value, ...)` / `RESET
//! (name, ...)`, shown in `pg_class.reloptions`), checked as PostgreSQL checks them and
//! otherwise not used; and `ALTER COLUMN ... SET STATISTICS n` (`attstattarget`), which the
//! parser hands over as a column `OPTIONS` clause ([`crate::parse::utility::STATISTICS`]).

use crate::{Error, Result};
use sqlparser::ast;

/// PostgreSQL 15's table storage parameters (also under `toast.` where it has them).
const TABLE_PARAMETERS: [&str; 22] = [
    "fillfactor",
    "toast_tuple_target",
    "parallel_workers",
    "autovacuum_enabled",
    "vacuum_index_cleanup",
    "vacuum_truncate",
    "user_catalog_table",
    "log_autovacuum_min_duration",
    "autovacuum_vacuum_threshold",
    "autovacuum_vacuum_insert_threshold",
    "autovacuum_analyze_threshold",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
    "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit",
    "autovacuum_freeze_min_age",
    "autovacuum_freeze_max_age",
    "autovacuum_freeze_table_age",
    "autovacuum_multixact_freeze_min_age",
    "autovacuum_multixact_freeze_max_age",
    "autovacuum_multixact_freeze_table_age",
];

fn check_name(name: &str) -> Result<()> {
    let bare = name.strip_prefix("toast.").unwrap_or(name);
    if TABLE_PARAMETERS.contains(&bare) {
        Ok(())
    } else {
        Err(Error::InvalidParameterValue(format!(
            "unrecognized parameter \"{name}\""
        )))
    }
}

/// `SET (name = value, ...)`: replaces or adds each in `options`.
pub fn set(options: &mut Vec<String>, list: &[ast::SqlOption]) -> Result<()> {
    for o in list {
        let ast::SqlOption::KeyValue { key, value } = o else {
            return Err(Error::unsupported(format!(
                "table option {o} is not supported"
            )));
        };
        let name = key.to_string().to_lowercase();
        check_name(&name)?;
        let v = match value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            other => other.to_string(),
        };
        if name == "fillfactor" {
            match v.parse::<i64>() {
                Ok(n) if (10..=100).contains(&n) => {}
                Ok(_) => {
                    return Err(Error::InvalidParameterValueDetail {
                        message: format!("value {v} out of bounds for option \"fillfactor\""),
                        detail: "Valid values are between \"10\" and \"100\".".into(),
                    });
                }
                Err(_) => {
                    return Err(Error::InvalidParameterValue(format!(
                        "invalid value for integer option \"fillfactor\": {v}"
                    )));
                }
            }
        }
        if name.starts_with("toast.") {
            continue; // PostgreSQL keeps them on the TOAST table, which Strata has none of
        }
        let prefix = format!("{name}=");
        options.retain(|o| !o.starts_with(&prefix));
        options.push(format!("{name}={v}"));
    }
    Ok(())
}

/// `RESET (name, ...)` (PostgreSQL accepts any name there).
pub fn reset(options: &mut Vec<String>, names: &[ast::ObjectName]) -> Result<()> {
    for n in names {
        let name = n.to_string().to_lowercase();
        let prefix = format!("{name}=");
        options.retain(|o| !o.starts_with(&prefix));
    }
    Ok(())
}

/// The column's new `attstattarget` (`None`: the default, -1) from `SET STATISTICS n`.
pub fn statistics(list: &[ast::AlterGenericOption]) -> Result<Option<i32>> {
    let [ast::AlterGenericOption::Set(o)] = list else {
        return Err(Error::unsupported(
            "ALTER COLUMN ... OPTIONS is not supported",
        ));
    };
    if o.key.value != crate::parse::utility::STATISTICS {
        return Err(Error::unsupported(
            "ALTER COLUMN ... OPTIONS is not supported",
        ));
    }
    let n: i64 = o
        .value
        .value
        .parse()
        .map_err(|_| Error::SyntaxError("invalid statistics target".into()))?;
    if n < -1 {
        return Err(Error::InvalidParameterValue(format!(
            "statistics target {n} is too low"
        )));
    }
    if n > 10000 {
        crate::notice::emit(crate::notice::Notice::warning(
            "22023",
            "lowering statistics target to 10000",
        ));
    }
    Ok((n != -1).then(|| n.min(10000) as i32))
}
