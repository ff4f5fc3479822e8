//! Client authentication: trust on loopback, SCRAM-SHA-256 against a users file elsewhere.
//!
//! [`resolve`] turns the `--auth` / `--users-file` settings into an [`Auth`]:
//!
//! | `--auth` | `--users-file` | listening on   | result                                   |
//! |----------|----------------|----------------|------------------------------------------|
//! | —        | —              | loopback       | trust (any user and database, as a local PostgreSQL) |
//! | —        | —              | other address  | refused: the compute does not start       |
//! | —        | FILE           | any            | SCRAM-SHA-256 against FILE                |
//! | `scram`  | FILE           | any            | SCRAM-SHA-256 against FILE                |
//! | `scram`  | —              | any            | refused: SCRAM needs a users file         |
//! | `trust`  | —              | any            | trust (a warning when not on loopback)    |
//! | `trust`  | FILE           | any            | refused: contradictory                    |
//!
//! With `--auth-rules FILE` ([`super::auth_rules`]) the first rule matching the client's
//! address, TLS, database and user decides instead: trust, SCRAM-SHA-256 (against the
//! catalog's roles, then the users file if one is given), or a refusal (FATAL 28000, as
//! PostgreSQL refuses by pg_hba.conf); a client no rule matches is refused too. `--auth
//! trust` contradicts a rules file.
//!
//! Failed password exchanges are answered after a delay that grows per address
//! ([`super::auth_delay`]), to slow password guessing.
//!
//! [`Startup`] is pgwire's startup handler for one connection: it runs the exchange with
//! pgwire's SCRAM mechanism over the verifiers of [`super::users`], and on success registers
//! the connection with the [`SessionRegistry`] (see [`super::registry`]). A wrong
//! password and an unknown user fail alike, with FATAL 28P01 `password authentication failed
//! for user "x"` after a full exchange, so users cannot be enumerated.
//!
//! Roles of the catalog (`CREATE ROLE ... LOGIN PASSWORD`) are looked up first
//! ([`RoleLookup`], read from the storage at each login): a role with a password verifier
//! authenticates with it, unless its `VALID UNTIL` has passed (then it fails like a wrong
//! password, as in PostgreSQL). A name without a catalog password — the built-in `postgres`,
//! or a user only the users file knows — is checked against the users file, which stays
//! the way to bootstrap a database. After authenticating (SCRAM or trust), a catalog role
//! without LOGIN is refused with FATAL 28000 `role "x" is not permitted to log in`, and a
//! role already at its CONNECTION LIMIT (superusers exempt) with FATAL 53300 `too many
//! connections for role "x"` (counted in the session registry).

use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::auth_delay::AuthDelay;
use super::auth_rules::{AuthRules, RuleMethod};
use super::params::{self, Reported, SessionParameters};
use super::registry::{ConnectionInfo, SessionRegistry, now_us};
use super::users::Users;
use super::worker::SessionHandle;
use crate::{Error, Result};
use async_trait::async_trait;
use futures::Sink;
use pgwire::api::ClientInfo;
use pgwire::api::auth::mechanism::AuthMechanismFactory;
use pgwire::api::auth::sasl::scram::{ScramAuth, ScramSecret};
use pgwire::api::auth::{
    AuthDriver, AuthOutcome, AuthSource, LoginInfo, Password, StartupHandler, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{METADATA_DATABASE, METADATA_USER};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

/// How clients prove who they are (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Anyone may connect as anyone.
    Trust,
    /// SCRAM-SHA-256 against a users file.
    Scram,
}

impl FromStr for AuthMethod {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<AuthMethod, String> {
        match s {
            "trust" => Ok(AuthMethod::Trust),
            "scram" | "scram-sha-256" => Ok(AuthMethod::Scram),
            other => Err(format!(
                "unknown authentication method {other:?}: use trust or scram"
            )),
        }
    }
}

/// The authentication a front end performs.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// Any user and database, no password.
    #[default]
    Trust,
    /// SCRAM-SHA-256 against these users.
    Scram(Arc<Users>),
    /// Per connection, as the first matching rule says; passwords from the catalog's
    /// roles, then these users.
    Rules {
        rules: Arc<AuthRules>,
        users: Arc<Users>,
    },
}

/// Decides the authentication of a compute listening on `listen`; see the module docs.
pub fn resolve(
    listen: SocketAddr,
    method: Option<AuthMethod>,
    users_file: Option<&Path>,
) -> Result<Auth> {
    resolve_with_rules(listen, method, users_file, None)
}

/// [`resolve`], with `--auth-rules FILE` (which decides per connection when given).
pub fn resolve_with_rules(
    listen: SocketAddr,
    method: Option<AuthMethod>,
    users_file: Option<&Path>,
    rules_file: Option<&Path>,
) -> Result<Auth> {
    if let Some(path) = rules_file {
        if method == Some(AuthMethod::Trust) {
            return Err(Error::Config(
                "--auth trust and --auth-rules contradict each other: say trust in the rules"
                    .into(),
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("read the auth rules {}: {e}", path.display())))?;
        let rules = AuthRules::parse(&text)
            .map_err(|e| Error::Config(format!("auth rules {}: {e}", path.display())))?;
        let users = match users_file {
            Some(file) => Users::load(file)?,
            None => Users::parse("", "no users file")?,
        };
        return Ok(Auth::Rules {
            rules: Arc::new(rules),
            users: Arc::new(users),
        });
    }
    match (method, users_file) {
        (Some(AuthMethod::Trust), Some(_)) => Err(Error::Config(
            "--auth trust and --users-file contradict each other: choose one".into(),
        )),
        (Some(AuthMethod::Trust), None) => {
            if !listen.ip().is_loopback() {
                tracing::warn!(%listen, "trust authentication on a non-loopback address");
            }
            Ok(Auth::Trust)
        }
        (Some(AuthMethod::Scram), None) => Err(Error::Config(
            "--auth scram needs --users-file FILE (make one with `strata users add`)".into(),
        )),
        (_, Some(path)) => {
            let users = Users::load(path)?;
            if users.is_empty() {
                tracing::warn!(file = %path.display(), "the users file has no users: nobody can log in");
            }
            Ok(Auth::Scram(Arc::new(users)))
        }
        (None, None) if listen.ip().is_loopback() => Ok(Auth::Trust),
        (None, None) => Err(Error::Config(format!(
            "refusing to listen on {listen} without authentication: pass --users-file FILE \
             (make one with `strata users add`), or --auth trust to allow anyone"
        ))),
    }
}

/// Finds a catalog role by name at login time (`None`: no such role, or the catalog could
/// not be read).
pub type RoleLookup = Arc<dyn Fn(&str) -> Option<sql::storage::RoleDef> + Send + Sync>;

/// The catalog roles of `storage`, read in a short transaction per login.
pub fn catalog_roles<S: sql::storage::Storage + 'static>(storage: S) -> RoleLookup {
    use sql::storage::Txn as _;
    Arc::new(move |name: &str| {
        let mut txn = storage.begin(sql::storage::Isolation::ReadCommitted).ok()?;
        let catalog = txn.begin_statement().and_then(|()| txn.catalog());
        txn.end_statement(catalog.is_ok());
        txn.rollback();
        catalog.ok()?.role(name)
    })
}

/// Whether a role's `VALID UNTIL` has passed.
fn expired(role: &sql::storage::RoleDef) -> bool {
    let Some(until) = &role.valid_until else {
        return false;
    };
    match sql::types::cast::cast(
        sql::Value::Text(until.clone()),
        sql::DataType::Text,
        sql::DataType::Timestamptz(None),
        true,
    ) {
        Ok(sql::Value::Timestamptz(t)) => t < sql::types::datetime::clock_now(),
        _ => true,
    }
}

/// The catalog's roles, then the users file, as pgwire's credential source.
struct UsersSource {
    users: Arc<Users>,
    roles: RoleLookup,
}

impl Debug for UsersSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsersSource")
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

impl UsersSource {
    /// The secret to check `user`'s proof against (a mock one no password matches when
    /// there is none).
    fn secret(&self, user: &str) -> ScramSecret {
        if let Some(role) = (self.roles)(user)
            && let Some(verifier) = &role.password
        {
            return match super::users::Verifier::parse(verifier) {
                Ok(v) if !expired(&role) => v.to_secret(),
                Ok(_) => {
                    tracing::info!(user, "login of a role whose VALID UNTIL has passed");
                    self.users.mock_secret(user)
                }
                Err(e) => {
                    tracing::warn!(user, error = %e, "a catalog role's password verifier is malformed");
                    self.users.mock_secret(user)
                }
            };
        }
        self.users.secret_for(user)
    }
}

#[async_trait]
impl AuthSource for UsersSource {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        // Only verifiers are stored; SCRAM asks for `get_scram_secret` instead.
        Err(PgWireError::InvalidPassword(
            login.user().unwrap_or_default().to_owned(),
        ))
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        Ok((self.secret(login.user().unwrap_or_default()), None))
    }
}

/// What every connection of one front end shares for its startup.
pub struct Authenticator {
    driver: AuthDriver<SessionParameters>,
    /// `None`: trust (unless rules ask for passwords).
    scram: Option<ScramAuth>,
    /// `--auth-rules`: decides per connection.
    rules: Option<Arc<AuthRules>>,
    /// `--tls-required`: a client without TLS is refused before authenticating.
    tls_required: bool,
    /// Failed logins by address, to slow password guessing.
    delay: AuthDelay,
    sessions: Arc<SessionRegistry>,
    /// The catalog's roles (LOGIN is checked after authentication).
    roles: RoleLookup,
}

impl Authenticator {
    pub fn new(
        auth: &Auth,
        tls_required: bool,
        sessions: Arc<SessionRegistry>,
        roles: RoleLookup,
    ) -> Arc<Authenticator> {
        let scram_over = |users: &Arc<Users>| {
            ScramAuth::new(Arc::new(UsersSource {
                users: users.clone(),
                roles: roles.clone(),
            }))
        };
        let (scram, rules) = match auth {
            Auth::Trust => (None, None),
            Auth::Scram(users) => (Some(scram_over(users)), None),
            Auth::Rules { rules, users } => (Some(scram_over(users)), Some(rules.clone())),
        };
        Arc::new(Authenticator {
            driver: AuthDriver::new(SessionParameters),
            scram,
            rules,
            tls_required,
            delay: AuthDelay::default(),
            sessions,
            roles,
        })
    }
}

/// One connection's startup handler; see the module docs.
pub struct Startup {
    shared: Arc<Authenticator>,
    session: SessionHandle,
    /// The client negotiated TLS (known once its startup message arrives).
    secure: Arc<AtomicBool>,
}

impl Startup {
    /// A handler for the connection of `session`: once authenticated, its statements can
    /// be canceled and it knows its user, database, backend pid and the other sessions.
    pub fn new(shared: Arc<Authenticator>, session: SessionHandle) -> Startup {
        Startup {
            shared,
            session,
            secure: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Set once the client's startup message arrived over TLS.
    pub fn secure(&self) -> Arc<AtomicBool> {
        self.secure.clone()
    }

    /// Finishes the startup (AuthenticationOk, parameters, BackendKeyData, ReadyForQuery):
    /// applies the startup packet's settings to the session (a bad one is FATAL, as in
    /// PostgreSQL), reports the session's parameters, and makes the connection cancelable by
    /// its backend key.
    async fn complete<C>(&self, client: &mut C, outcome: AuthOutcome) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let final_message = match outcome {
            AuthOutcome::InProgress => return Ok(()),
            AuthOutcome::Authenticated { final_message, .. } => final_message,
        };
        if self.shared.scram.is_some() {
            self.shared.delay.succeeded(client.socket_addr().ip());
        }
        let (user, database) = user_and_database(client);
        // `pg_database` lists PostgreSQL's template0 with datallowconn false.
        if database == "template0" {
            return Err(fatal(
                "55000",
                format!("database \"{database}\" is not currently accepting connections"),
            ));
        }
        let role = (self.shared.roles)(&user);
        if role.as_ref().is_some_and(|r| !r.login) {
            tracing::info!(user, "refused a role without LOGIN");
            return Err(fatal(
                "28000",
                format!("role \"{user}\" is not permitted to log in"),
            ));
        }
        // The role's CONNECTION LIMIT (superusers are exempt, as in PostgreSQL).
        if let Some(r) = role.filter(|r| !r.superuser && r.connection_limit >= 0)
            && self.shared.sessions.count_user(&user) >= r.connection_limit as usize
        {
            tracing::info!(
                user,
                limit = r.connection_limit,
                "refused: role connection limit"
            );
            return Err(fatal(
                "53300",
                format!("too many connections for role \"{user}\""),
            ));
        }
        let requested = params::requested(client.metadata());
        let reported = self
            .session
            .startup(&user, &requested)
            .map_err(|f| fatal(f.code(), f.to_string()))?
            .map_err(|e| fatal(e.code(), e.to_string()))?;
        client.session_extensions().insert(Reported(reported));
        self.shared
            .driver
            .complete_authentication(client, final_message)
            .await?;
        let (pid, secret) = client.pid_and_secret_key();
        let info = ConnectionInfo {
            user: user.clone(),
            database: database.clone(),
            client: client.socket_addr(),
            backend_start_us: now_us(),
        };
        let control = self.session.control().clone();
        let registration = self.shared.sessions.register(pid, &secret, control, info);
        client.session_extensions().insert(registration);
        // SQL on this connection sees its identity and the other sessions.
        self.session.identify(
            &user,
            &database,
            pid,
            self.shared.sessions.clone(),
            self.shared.sessions.notify.clone(),
        );
        tracing::debug!(pid, user, "authenticated");
        Ok(())
    }
}

/// A FATAL error: the connection ends after it.
fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_owned(),
        code.to_owned(),
        message,
    )))
}

/// The startup packet's user and database (PostgreSQL's default database is the user's
/// name).
fn user_and_database<C: ClientInfo>(client: &C) -> (String, String) {
    let meta = client.metadata();
    let user = meta.get(METADATA_USER).cloned().unwrap_or_default();
    let database = meta
        .get(METADATA_DATABASE)
        .cloned()
        .unwrap_or_else(|| user.clone());
    (user, database)
}

/// `--tls-required` and a client that did not start TLS: FATAL 28000 (PostgreSQL's code
/// for a `hostssl`-only pg_hba.conf), before any password is asked for.
fn tls_required<C: ClientInfo>(client: &C) -> PgWireError {
    let (user, database) = user_and_database(client);
    tracing::info!(user, database, "refused a connection without TLS");
    fatal(
        "28000",
        format!(
            "connection without TLS refused for host \"{}\", user \"{user}\", database \"{database}\": this server requires TLS (connect with sslmode=require)",
            client.socket_addr().ip()
        ),
    )
}

/// The method the first matching rule gives the client: trust or SCRAM; a rule saying
/// reject, and no matching rule, refuse it (FATAL 28000, PostgreSQL's words with "auth
/// rules" for pg_hba.conf).
fn by_rules<C: ClientInfo>(client: &C, rules: &AuthRules) -> PgWireResult<RuleMethod> {
    let (user, database) = user_and_database(client);
    let ip = client.socket_addr().ip();
    let tls = client.is_secure();
    let encryption = if tls {
        "SSL encryption"
    } else {
        "no encryption"
    };
    match rules.decide(ip, tls, &database, &user) {
        Some(d) if d.method != RuleMethod::Reject => Ok(d.method),
        Some(d) => {
            tracing::info!(user, database, %ip, line = d.line, "refused by an auth rule");
            Err(fatal(
                "28000",
                format!(
                    "auth rules reject connection for host \"{ip}\", user \"{user}\", database \"{database}\", {encryption}"
                ),
            ))
        }
        None => {
            tracing::info!(user, database, %ip, "no auth rule matches");
            Err(fatal(
                "28000",
                format!(
                    "no auth rule for host \"{ip}\", user \"{user}\", database \"{database}\", {encryption}"
                ),
            ))
        }
    }
}

/// PostgreSQL's answer to a failed password exchange, whatever failed in it.
fn password_failed(user: &str) -> PgWireError {
    tracing::info!(user, "password authentication failed");
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_owned(),
        "28P01".to_owned(),
        format!("password authentication failed for user \"{user}\""),
    )))
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let driver = &self.shared.driver;
        let outcome = match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                self.secure.store(client.is_secure(), Ordering::SeqCst);
                if self.shared.tls_required && !client.is_secure() {
                    return Err(tls_required(client));
                }
                let scram = match &self.shared.rules {
                    None => self.shared.scram.as_ref(),
                    Some(rules) => match by_rules(client, rules)? {
                        RuleMethod::Trust => None,
                        _ => self.shared.scram.as_ref(),
                    },
                };
                match scram {
                    None => AuthOutcome::Authenticated {
                        identity: None,
                        final_message: None,
                    },
                    Some(scram) => {
                        if !client.metadata().contains_key(METADATA_USER) {
                            return Err(PgWireError::UserNameRequired);
                        }
                        driver.begin_authentication(client, scram.create()).await?
                    }
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(m) => {
                match driver.advance_authentication(client, m).await {
                    Ok(outcome) => outcome,
                    Err(PgWireError::InvalidPassword(_)) => {
                        let user = client.metadata().get(METADATA_USER).cloned();
                        let ip = client.socket_addr().ip();
                        let wait = self.shared.delay.failed(ip, std::time::Instant::now());
                        tokio::time::sleep(wait).await;
                        return Err(password_failed(user.as_deref().unwrap_or_default()));
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => return Ok(()),
        };
        self.complete(client, outcome).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_defaults_to_trust_and_other_addresses_need_a_choice() {
        assert!(matches!(
            resolve(addr("127.0.0.1:5432"), None, None),
            Ok(Auth::Trust)
        ));
        assert!(matches!(
            resolve(addr("[::1]:5432"), None, None),
            Ok(Auth::Trust)
        ));
        let refused = resolve(addr("0.0.0.0:5432"), None, None).unwrap_err();
        assert!(matches!(refused, Error::Config(_)));
        assert!(refused.to_string().contains("--users-file"), "{refused}");
        assert!(matches!(
            resolve(addr("0.0.0.0:5432"), Some(AuthMethod::Trust), None),
            Ok(Auth::Trust)
        ));
        assert!(matches!(
            resolve(addr("127.0.0.1:5432"), Some(AuthMethod::Scram), None),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn a_users_file_means_scram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        super::super::users::set_password(&path, "alice", "pw").unwrap();
        for method in [None, Some(AuthMethod::Scram)] {
            match resolve(addr("10.1.2.3:5432"), method, Some(&path)) {
                Ok(Auth::Scram(users)) => assert!(users.get("alice").is_some()),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            resolve(addr("127.0.0.1:5432"), Some(AuthMethod::Trust), Some(&path)),
            Err(Error::Config(_))
        ));
        let missing = dir.path().join("nope");
        let err = resolve(addr("127.0.0.1:5432"), None, Some(&missing)).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn auth_rules_are_read_and_checked_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::write(&rules, "host all all all trust\n").unwrap();
        let a = resolve_with_rules(addr("0.0.0.0:5432"), None, None, Some(&rules)).unwrap();
        assert!(matches!(a, Auth::Rules { .. }));
        let e = resolve_with_rules(
            addr("127.0.0.1:5432"),
            Some(AuthMethod::Trust),
            None,
            Some(&rules),
        )
        .unwrap_err();
        assert!(e.to_string().contains("contradict"), "{e}");
        std::fs::write(&rules, "host all all all trust\nhost all all\n").unwrap();
        let e = resolve_with_rules(addr("127.0.0.1:5432"), None, None, Some(&rules)).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let missing = dir.path().join("missing");
        let e = resolve_with_rules(addr("127.0.0.1:5432"), None, None, Some(&missing)).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn methods_parse() {
        assert_eq!("trust".parse(), Ok(AuthMethod::Trust));
        assert_eq!("scram".parse(), Ok(AuthMethod::Scram));
        assert_eq!("scram-sha-256".parse(), Ok(AuthMethod::Scram));
        assert!("md5".parse::<AuthMethod>().is_err());
    }
}
