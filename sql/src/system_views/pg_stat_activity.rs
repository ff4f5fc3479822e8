//! `pg_stat_activity`: one row per client session of the server, PostgreSQL 15's columns.
//! Columns of types Strata does not have yet are text (`name`, `inet`, `timestamptz`,
//! printed as PostgreSQL prints them) or NULL (object ids, transaction ids, wait events).

use super::ViewRows;
use super::timestamp::utc_text;
use crate::binder::OutputColumn;
use crate::types::{DataType, Value};

const COLUMNS: &[(&str, DataType)] = &[
    ("datid", DataType::Int8),
    ("datname", DataType::Text),
    ("pid", DataType::Int4),
    ("leader_pid", DataType::Int4),
    ("usesysid", DataType::Int8),
    ("usename", DataType::Text),
    ("application_name", DataType::Text),
    ("client_addr", DataType::Text),
    ("client_hostname", DataType::Text),
    ("client_port", DataType::Int4),
    ("backend_start", DataType::Text),
    ("xact_start", DataType::Text),
    ("query_start", DataType::Text),
    ("state_change", DataType::Text),
    ("wait_event_type", DataType::Text),
    ("wait_event", DataType::Text),
    ("state", DataType::Text),
    ("backend_xid", DataType::Int8),
    ("backend_xmin", DataType::Int8),
    ("query_id", DataType::Int8),
    ("query", DataType::Text),
    ("backend_type", DataType::Text),
];

fn text(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

fn time(us: Option<i64>) -> Value {
    text(us.map(utc_text))
}

/// The view's rows now (none on a thread without a server: see [`crate::backend`]).
pub fn rows() -> ViewRows {
    let sessions = crate::backend::current()
        .map(|b| b.server.activity())
        .unwrap_or_default();
    let rows = sessions
        .into_iter()
        .map(|a| {
            vec![
                Value::Null,
                Value::Text(a.database),
                Value::Int(i64::from(a.pid)),
                Value::Null,
                Value::Null,
                Value::Text(a.user),
                Value::Text(a.application_name),
                text(a.client_addr),
                Value::Null,
                a.client_port
                    .map_or(Value::Null, |p| Value::Int(i64::from(p))),
                time(Some(a.backend_start_us)),
                time(a.xact_start_us),
                time(a.query_start_us),
                time(a.state_change_us),
                Value::Null,
                Value::Null,
                Value::Text(a.state),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text(a.query),
                Value::Text("client backend".into()),
            ]
        })
        .collect();
    ViewRows {
        columns: COLUMNS
            .iter()
            .map(|(name, t)| OutputColumn {
                name: name.to_string(),
                data_type: *t,
            })
            .collect(),
        rows,
    }
}
