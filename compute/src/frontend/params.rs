//! Startup parameters in, ParameterStatus out.
//!
//! A client's startup packet carries settings (`application_name`, `client_encoding`,
//! `DateStyle`, `TimeZone`, `extra_float_digits`, `options=-c name=value ...`). As in
//! PostgreSQL they become the session's values and the values RESET returns to; an unknown
//! parameter or a bad value fails the connection with FATAL (42704 / 22023).
//!
//! The parameters PostgreSQL reports (`server_version`, `server_encoding`, `client_encoding`,
//! `DateStyle`, `IntervalStyle`, `TimeZone`, `integer_datetimes`,
//! `standard_conforming_strings`, `application_name`, `is_superuser`,
//! `session_authorization`, `default_transaction_read_only`, `in_hot_standby`) are read from
//! the session's [`sql::settings::Settings`] — the same values `SHOW` prints — and sent in
//! the startup message ([`Reported`] through [`SessionParameters`]) and again as
//! ParameterStatus whenever a statement changes them ([`send_changed`]). pgwire's own
//! defaults (a `16.6-pgwire` server version, `ISO YMD`) are never sent.

use std::collections::HashMap;
use std::fmt::Debug;

use futures::{Sink, SinkExt};
use pgwire::api::ClientInfo;
use pgwire::api::auth::ServerParameterProvider;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::startup::ParameterStatus;

/// Startup-packet keys that are not settings.
const NOT_SETTINGS: &[&str] = &["user", "database", "replication", "options"];

/// The settings a startup packet asks for, in order: its plain keys, then the `-c name=value`
/// and `--name=value` switches of its `options` key.
pub fn requested(metadata: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = metadata
        .iter()
        .filter(|(k, _)| !NOT_SETTINGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.sort();
    if let Some(options) = metadata.get("options") {
        out.extend(options_switches(options));
    }
    out
}

/// Splits libpq's `options` value (space-separated, `\` escapes the next character) and
/// returns its `-c name=value` / `--name=value` settings.
fn options_switches(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next()
        } else if let Some(rest) = w.strip_prefix("-c") {
            Some(rest.to_string())
        } else {
            w.strip_prefix("--").map(str::to_string)
        };
        if let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
            out.push((name.replace('-', "_"), value.to_string()));
        }
    }
    out
}

/// The reported parameters of a connection, computed from its session at startup and kept
/// in the connection's session extensions for [`SessionParameters`].
pub struct Reported(pub Vec<(&'static str, String)>);

/// pgwire's startup-parameter hook: sends what [`Reported`] holds.
#[derive(Debug, Default)]
pub struct SessionParameters;

impl ServerParameterProvider for SessionParameters {
    fn server_parameters<C>(&self, client: &C) -> Option<HashMap<String, String>>
    where
        C: ClientInfo,
    {
        let reported = client.session_extensions().get::<Reported>()?;
        Some(
            reported
                .0
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
}

/// Sends a ParameterStatus for each changed reported parameter (before ReadyForQuery).
pub async fn send_changed<C>(
    client: &mut C,
    changed: Vec<(&'static str, String)>,
) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for (name, value) in changed {
        client
            .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                name.to_string(),
                value,
            )))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_switches_are_parsed_like_postgresql() {
        assert_eq!(
            options_switches("-c search_path=a\\ b --statement-timeout=5s -cwork_mem=8MB -x"),
            vec![
                ("search_path".to_string(), "a b".to_string()),
                ("statement_timeout".to_string(), "5s".to_string()),
                ("work_mem".to_string(), "8MB".to_string()),
            ]
        );
        let mut m = HashMap::new();
        m.insert("user".to_string(), "u".to_string());
        m.insert("application_name".to_string(), "psql".to_string());
        m.insert("options".to_string(), "-c datestyle=sql".to_string());
        assert_eq!(
            requested(&m),
            vec![
                ("application_name".to_string(), "psql".to_string()),
                ("datestyle".to_string(), "sql".to_string()),
            ]
        );
    }
}
