//! The session's configuration commands: `SET [SESSION | LOCAL]`, `SET TIME ZONE`,
//! `SET NAMES`, `SET [SESSION CHARACTERISTICS AS] TRANSACTION`, `SHOW name | ALL`,
//! `RESET name | ALL` and `DISCARD`, over the session's [`crate::settings::Settings`]
//! (the one store, in its [`crate::env::SessionInfo`], that `current_setting` and
//! `set_config` use too).

use sqlparser::ast;

use super::{Block, Session, isolation_of};
use crate::binder::OutputColumn;
use crate::result::StatementResult;
use crate::settings::{Kind, Settings, catalog, quote_ident};
use crate::storage::Storage;
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// One value of a SET list as PostgreSQL flattens it: `None` for `DEFAULT`.
pub(crate) fn flatten(values: &[ast::Expr], name: &str) -> Result<Option<String>> {
    let kind = catalog::find(name).map(|d| d.kind);
    let list = matches!(kind, Some(Kind::IdentList | Kind::DateStyle));
    if values.len() > 1 && !list {
        return Err(Error::InvalidParameterValue(format!(
            "SET {name} takes only one argument"
        )));
    }
    let mut parts = Vec::with_capacity(values.len());
    for v in values {
        let text = match v {
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::SingleQuotedString(s),
                ..
            }) => s.clone(),
            ast::Expr::Identifier(i)
                if i.quote_style.is_none()
                    && values.len() == 1
                    && i.value.eq_ignore_ascii_case("default") =>
            {
                return Ok(None);
            }
            ast::Expr::Identifier(i) => crate::binder::ident(i),
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::Boolean(b),
                ..
            }) => if *b { "on" } else { "off" }.to_string(),
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::Null,
                ..
            }) => {
                return Err(Error::SyntaxError(
                    "syntax error at or near \"NULL\"".into(),
                ));
            }
            v @ (ast::Expr::Value(_)
            | ast::Expr::UnaryOp { .. }
            | ast::Expr::CompoundIdentifier(_)) => v.to_string(),
            // PostgreSQL's grammar takes names, strings and numbers only: `SET search_path =
            // SELECT public` (parsed by sqlparser as a subquery) is a syntax error there.
            other => {
                let text = other.to_string();
                let word = text
                    .trim_start_matches('(')
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                return Err(Error::SyntaxError(format!(
                    "syntax error at or near \"{word}\""
                )));
            }
        };
        parts.push(if kind == Some(Kind::IdentList) {
            quote_ident(&text)
        } else {
            text
        });
    }
    Ok(Some(parts.join(", ")))
}

/// `SET TIME ZONE INTERVAL '...'`: a fixed offset (hours, minutes and seconds only), as the
/// zone name the `TimeZone` setting takes.
fn interval_zone(iv: &ast::Interval) -> Result<String> {
    let text = match iv.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    let parsed = crate::types::Interval::parse(&text)?;
    if parsed.months != 0 || parsed.days != 0 {
        return Err(Error::InvalidParameterValue(format!(
            "invalid interval value for time zone: {text}"
        )));
    }
    let seconds = parsed.micros / crate::types::datetime::USECS_PER_SEC;
    let zone =
        crate::types::datetime::zone::Zone::fixed(i32::try_from(seconds).map_err(|_| {
            Error::InvalidParameterValue(format!("invalid interval value for time zone: {text}"))
        })?)?;
    Ok(zone.name().to_string())
}

/// The name SHOW uses for its one column (`SHOW ALL` has three).
fn show_name(variable: &[ast::Ident]) -> String {
    let name = variable
        .iter()
        .map(crate::binder::ident)
        .collect::<Vec<_>>()
        .join(" ");
    // The grammar's two-word spellings (ActiveRecord asks `SHOW TIME ZONE` on connect).
    match name.as_str() {
        "time zone" => "timezone".into(),
        "session authorization" => "session_authorization".into(),
        _ => name,
    }
}

/// The columns a SHOW statement returns (its RowDescription, for the extended protocol).
pub(super) fn show_columns(variable: &[ast::Ident]) -> Vec<OutputColumn> {
    let text = |name: &str| OutputColumn {
        name: name.to_string(),
        data_type: DataType::Text,
    };
    match show_name(variable).as_str() {
        "all" => vec![text("name"), text("setting"), text("description")],
        "transaction_isolation" | "transaction isolation level" => {
            vec![text("transaction_isolation")]
        }
        n => vec![text(&Settings::display_name(&n.replace(' ', ".")))],
    }
}

fn one_text_column(name: String, value: String) -> StatementResult {
    StatementResult {
        tag: "SHOW".into(),
        columns: Some(vec![OutputColumn {
            name,
            data_type: DataType::Text,
        }]),
        rows: vec![vec![Value::Text(value)]],
        notices: Vec::new(),
    }
}

impl<S: Storage> Session<S> {
    fn in_block(&self) -> bool {
        !matches!(self.block, Block::Idle)
    }

    /// PostgreSQL's WARNING for a command (`what`) that only means something in a transaction
    /// block, when `applies` and no block is open.
    pub(super) fn warn_outside_block(&self, applies: bool, what: &str) {
        if applies && !self.in_block() {
            crate::notice::emit(crate::notice::Notice::warning(
                "25P01",
                format!("{what} can only be used in transaction blocks"),
            ));
        }
    }

    /// `SET name = value` with PostgreSQL's special parameters handled.
    fn assign(&mut self, name: &str, value: Option<String>, local: bool) -> Result<()> {
        match (name, value) {
            ("transaction_isolation", Some(v)) => {
                let level = v.to_ascii_lowercase();
                self.info.settings().check(name, &level)?;
                let mode = match level.as_str() {
                    "repeatable read" => ast::TransactionIsolationLevel::RepeatableRead,
                    "serializable" => ast::TransactionIsolationLevel::Serializable,
                    _ => ast::TransactionIsolationLevel::ReadCommitted,
                };
                self.set_transaction(&[ast::TransactionMode::IsolationLevel(mode)])
                    .map(|_| ())
            }
            ("transaction_read_only", Some(v)) => {
                let on = self.info.settings().check(name, &v)? == "on";
                self.set_access_mode(on)
            }
            (_, Some(v)) => self.info.settings().set(name, &v, local).map(|_| ()),
            (_, None) => self.info.settings().reset(name, local),
        }
    }

    pub(super) fn set(&mut self, set: &ast::Set) -> Result<StatementResult> {
        let done = Ok(StatementResult::command("SET"));
        match set {
            ast::Set::SingleAssignment {
                scope,
                variable,
                values,
                ..
            } => {
                let name = variable
                    .0
                    .iter()
                    .map(|p| match p {
                        ast::ObjectNamePart::Identifier(i) => crate::binder::ident(i),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                let local = matches!(scope, Some(ast::ContextModifier::Local));
                let value = flatten(values, &name)?;
                self.warn_outside_block(local, "SET LOCAL");
                self.assign(&name, value, local)?;
                done
            }
            ast::Set::SetTimeZone { value, local } => {
                let value = match value {
                    ast::Expr::Identifier(i)
                        if i.quote_style.is_none()
                            && (i.value.eq_ignore_ascii_case("local")
                                || i.value.eq_ignore_ascii_case("default")) =>
                    {
                        None
                    }
                    ast::Expr::Interval(iv) => Some(interval_zone(iv)?),
                    other => flatten(std::slice::from_ref(other), "timezone")?,
                };
                self.warn_outside_block(*local, "SET LOCAL");
                self.assign("timezone", value, *local)?;
                done
            }
            ast::Set::SetNames { charset_name, .. } => {
                self.assign("client_encoding", Some(charset_name.value.clone()), false)?;
                done
            }
            ast::Set::SetTransaction {
                modes,
                snapshot: None,
                session: true,
            } => {
                if let Some(level) = isolation_of(modes)? {
                    let name = level.name();
                    self.info
                        .settings()
                        .set("default_transaction_isolation", name, false)?;
                }
                for m in modes {
                    if let ast::TransactionMode::AccessMode(access) = m {
                        let ro = matches!(access, ast::TransactionAccessMode::ReadOnly);
                        self.info.settings().set(
                            "default_transaction_read_only",
                            if ro { "on" } else { "off" },
                            false,
                        )?;
                    }
                }
                done
            }
            ast::Set::SetTransaction {
                modes,
                snapshot: None,
                session: false,
            } => self.set_transaction(modes),
            ast::Set::SetSessionAuthorization(param) => {
                let user = match &param.kind {
                    ast::SetSessionAuthorizationParamKind::Default => None,
                    ast::SetSessionAuthorizationParamKind::User(user) => {
                        Some(crate::binder::ident(user))
                    }
                };
                let local = matches!(param.scope, ast::ContextModifier::Local);
                if local && !matches!(self.block, Block::Open { .. }) {
                    self.warn_outside_block(true, "SET LOCAL");
                    return done;
                }
                self.set_session_authorization(user)?;
                // SET LOCAL lasts until the block ends; a later plain SET outlives it.
                self.role_is_local = local;
                done
            }
            ast::Set::SetRole {
                role_name,
                context_modifier,
            } => {
                let local = matches!(context_modifier, Some(ast::ContextModifier::Local));
                // Outside a transaction block PostgreSQL only warns that SET LOCAL has no
                // effect.
                if local && !matches!(self.block, Block::Open { .. }) {
                    self.warn_outside_block(true, "SET LOCAL");
                    return done;
                }
                self.set_role(role_name.as_ref().map(crate::binder::ident))?;
                // SET LOCAL ROLE lasts until the block ends; a later plain SET ROLE outlives it.
                self.role_is_local = local;
                done
            }
            other => Err(Error::unsupported(format!("{other} is not supported yet"))),
        }
    }

    /// The catalog as the session sees it now (for SET ROLE's checks).
    pub(super) fn catalog_now(&mut self) -> Result<std::sync::Arc<crate::storage::Catalog>> {
        // Within a statement's snapshot: a block's transaction opened by SAVEPOINT has run
        // no statement yet, and an engine transaction sees its catalog only inside one.
        self.statement_catalog()
    }

    /// `SET SESSION AUTHORIZATION user | DEFAULT`: only an authenticated superuser may
    /// become another user (42501), as in PostgreSQL.
    fn set_session_authorization(&mut self, user: Option<String>) -> Result<()> {
        let target = user.unwrap_or_else(|| self.authenticated.clone());
        let catalog = self.catalog_now()?;
        if target != self.authenticated {
            if !crate::privilege::who(&catalog, &self.authenticated).superuser {
                return Err(Error::InsufficientPrivilege(
                    "permission denied to set session authorization".into(),
                ));
            }
            if catalog.role(&target).is_none() {
                return Err(Error::UndefinedObject(format!(
                    "role \"{target}\" does not exist"
                )));
            }
        }
        let (database, pid) = (self.info.database.clone(), self.info.backend_pid);
        self.become_session_user(&target, &database, pid);
        Ok(())
    }

    /// `SET ROLE role | NONE`: a superuser session may become any role, another session
    /// itself and the roles it is a member of (directly or through others, INHERIT or
    /// not); 42501 otherwise.
    fn set_role(&mut self, role: Option<String>) -> Result<()> {
        let session_user = self.info.user.clone();
        let Some(role) = role.filter(|r| r != "none") else {
            self.user = session_user;
            return Ok(());
        };
        let catalog = self.catalog_now()?;
        let own = role == session_user || role == self.authenticated;
        let Some(target) = crate::privilege::role_or_own(&catalog, &role, own) else {
            return Err(Error::UndefinedObject(format!(
                "role \"{role}\" does not exist"
            )));
        };
        let session = crate::privilege::who(&catalog, &session_user);
        if role != session_user
            && !session.superuser
            && !catalog
                .memberships(session.oid, false)
                .contains(&target.oid)
        {
            return Err(Error::InsufficientPrivilege(format!(
                "permission denied to set role \"{role}\""
            )));
        }
        self.user = role;
        Ok(())
    }

    /// `SET TRANSACTION ISOLATION LEVEL ...` (before the block's first query).
    fn set_transaction(&mut self, modes: &[ast::TransactionMode]) -> Result<StatementResult> {
        let iso = isolation_of(modes)?;
        if let Some(read_only) = Self::access_mode_of(modes) {
            self.set_access_mode(read_only)?;
        }
        match &mut self.block {
            Block::Open {
                txn: None,
                isolation,
                ..
            } => {
                if let Some(i) = iso {
                    *isolation = i;
                    self.note_isolation();
                }
                Ok(StatementResult::command("SET"))
            }
            Block::Open { .. } if iso.is_some() => Err(Error::ActiveTransaction(
                "SET TRANSACTION ISOLATION LEVEL must be called before any query".into(),
            )),
            // Outside a block PostgreSQL only warns; access modes are accepted.
            _ => {
                self.warn_outside_block(true, "SET TRANSACTION");
                Ok(StatementResult::command("SET"))
            }
        }
    }

    pub(super) fn show(&mut self, variable: &[ast::Ident]) -> Result<StatementResult> {
        let name = show_name(variable);
        match name.as_str() {
            "all" => Ok(self.show_all()),
            "transaction_isolation" | "transaction isolation level" => Ok(one_text_column(
                "transaction_isolation".into(),
                self.transaction_isolation(),
            )),
            "transaction_read_only" => Ok(one_text_column(
                "transaction_read_only".into(),
                if self.transaction_read_only() {
                    "on"
                } else {
                    "off"
                }
                .into(),
            )),
            n => {
                let n = n.replace(' ', ".");
                let value = self.info.settings().show(&n)?;
                Ok(one_text_column(Settings::display_name(&n), value))
            }
        }
    }

    /// The isolation level of the current transaction (or of the next one).
    pub fn transaction_isolation(&self) -> String {
        match &self.block {
            Block::Open { isolation, .. } | Block::Failed { isolation, .. } => {
                isolation.name().to_string()
            }
            Block::Idle => self
                .info
                .setting("default_transaction_isolation")
                .unwrap_or_default(),
        }
    }

    fn show_all(&self) -> StatementResult {
        let column = |name: &str| OutputColumn {
            name: name.into(),
            data_type: DataType::Text,
        };
        let all = self.info.settings().all();
        let rows = all
            .into_iter()
            .map(|(name, value, description)| {
                let value = if name == "transaction_isolation" {
                    self.transaction_isolation()
                } else {
                    value
                };
                vec![
                    Value::Text(name),
                    Value::Text(value),
                    Value::Text(description),
                ]
            })
            .collect();
        StatementResult {
            tag: "SHOW".into(),
            columns: Some(vec![
                column("name"),
                column("setting"),
                column("description"),
            ]),
            rows,
            notices: Vec::new(),
        }
    }

    pub(super) fn reset(&mut self, reset: &ast::ResetStatement) -> Result<StatementResult> {
        match &reset.reset {
            ast::Reset::ALL => self.info.settings().reset_all(),
            ast::Reset::SessionAuthorization => self.set_session_authorization(None)?,
            ast::Reset::ConfigurationParameter(name)
                if name.to_string().eq_ignore_ascii_case("role") =>
            {
                self.set_role(None)?
            }
            ast::Reset::ConfigurationParameter(name) => {
                let name = name
                    .0
                    .iter()
                    .map(|p| match p {
                        ast::ObjectNamePart::Identifier(i) => crate::binder::ident(i),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                self.assign(&name, None, false)?;
            }
        }
        Ok(StatementResult::command("RESET"))
    }

    /// `DISCARD ALL | PLANS | SEQUENCES | TEMP`. ALL resets every setting and stops listening
    /// (UNLISTEN *); ALL and SEQUENCES forget the session's `currval` / `lastval` values;
    /// ALL and TEMP drop the temporary schema. Strata keeps no plans.
    /// Protocol-level prepared statements are kept (the client's driver owns them).
    pub(super) fn discard(&mut self, object: &ast::DiscardObject) -> Result<StatementResult> {
        if matches!(object, ast::DiscardObject::ALL) {
            if self.in_block() {
                return Err(Error::ActiveTransaction(
                    "DISCARD ALL cannot run inside a transaction block".into(),
                ));
            }
            self.info.settings().reset_all();
            self.info.cursors.lock().open.clear();
            // As PostgreSQL's: UNLISTEN * (outside a block, so at once).
            self.info.notify.unlisten(None);
            self.info.notify.committed(self.info.backend_pid);
            self.drop_temp_schema()?;
        }
        if matches!(object, ast::DiscardObject::TEMP) {
            self.drop_temp_schema()?;
        }
        if matches!(
            object,
            ast::DiscardObject::ALL | ast::DiscardObject::SEQUENCES
        ) {
            *self.sequences.lock().unwrap_or_else(|p| p.into_inner()) = Default::default();
        }
        Ok(StatementResult::command(format!("DISCARD {object}")))
    }
}
