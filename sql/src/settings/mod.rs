//! Run-time settings (PostgreSQL's GUCs): what `SET`, `SHOW`, `RESET`, `current_setting`,
//! `set_config`, the startup packet and ParameterStatus messages read and write.
//!
//! [`Settings`] is one session's state. Every built-in parameter is described once in
//! [`catalog`] (name, default, how values are checked and normalised, whether it is reported
//! to the client); a name with a dot (`myapp.tenant`) is a custom parameter that holds any
//! string once set; any other unknown name is 42704, as in PostgreSQL.
//!
//! Values are stored in their canonical text (what `SHOW` prints): `SET datestyle = iso`
//! shows `ISO, MDY`, `SET statement_timeout = 60000` shows `1min`, `SET client_encoding =
//! 'utf-8'` shows `UTF8` — each normaliser follows PostgreSQL 15's output.
//!
//! # Transactions
//!
//! As in PostgreSQL, settings are transactional:
//!
//! * `SET` (or `SET SESSION`) inside a transaction that later aborts is undone;
//! * `SET LOCAL` lasts until the end of the current transaction, commit or abort;
//! * `ROLLBACK TO SAVEPOINT` restores the values the savepoint saw.
//!
//! The session calls [`Settings::begin`], [`Settings::commit`], [`Settings::abort`],
//! [`Settings::savepoint`] and [`Settings::rollback_to`] at those points.
//!
//! # Reporting
//!
//! Parameters flagged `report` (PostgreSQL's `GUC_REPORT`: `server_version`, `DateStyle`,
//! `TimeZone`, `client_encoding`, ...) are sent to the client in the startup message and
//! again, as ParameterStatus, whenever their value changes: [`Settings::take_changed_reports`]
//! returns what changed since the last call, and the front end sends it before
//! ReadyForQuery.

pub mod catalog;
mod normalize;
mod planner;

use std::collections::BTreeMap;

use crate::{Error, Result};
pub use catalog::{Definition, Kind, SERVER_VERSION, SERVER_VERSION_NUM};
pub use normalize::{parse_bool, quote_ident};

/// What a routine's `SET` clause replaced ([`Settings::set_for_call`]).
#[derive(Debug, Clone)]
pub struct Replaced {
    key: String,
    session: Option<String>,
    local: Option<String>,
}

/// One session's settings; see the module docs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Values the startup packet gave: this session's defaults (what RESET returns to).
    startup: BTreeMap<String, String>,
    /// Session values of parameters changed by SET (lower-case names as keys).
    session: BTreeMap<String, String>,
    /// `SET LOCAL` values of the current transaction.
    local: BTreeMap<String, String>,
    /// Whether a transaction is open ([`Settings::begin`] without its end yet).
    in_transaction: bool,
    /// The session values at the start of the current transaction (restored on abort),
    /// copied when the transaction first changes one: most transactions set nothing.
    saved: Option<BTreeMap<String, String>>,
    /// `(session, local)` per savepoint, innermost last.
    savepoints: Vec<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    /// The reported parameters' values as the client last heard them.
    reported: BTreeMap<&'static str, String>,
    /// Whether a value may have changed since [`Settings::take_changed_reports`] last
    /// compared them (every change of a map sets it), so the comparison runs only then.
    maybe_changed: bool,
    /// Counts the changes of any value ([`Settings::generation`]).
    generation: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

/// The key of a parameter name: PostgreSQL compares them case-insensitively.
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Whether the parameter with key `k` is reported to the client when it changes
/// (ParameterStatus).
fn is_reported(k: &str) -> bool {
    catalog::find(k).is_some_and(|d| d.report)
}

/// [`key`] without a copy when `name` is already one (the code's own lookups).
fn key_ref(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(key(name))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

impl Settings {
    /// Every parameter at its default.
    pub fn new() -> Settings {
        Settings {
            startup: BTreeMap::new(),
            session: BTreeMap::new(),
            local: BTreeMap::new(),
            in_transaction: false,
            saved: None,
            savepoints: Vec::new(),
            reported: BTreeMap::new(),
            maybe_changed: true,
            generation: 0,
        }
    }

    /// The current value of `name` (`None`: an unknown parameter, or a custom one never set).
    pub fn get(&self, name: &str) -> Option<String> {
        let k = key_ref(name);
        let k = k.as_ref();
        if let Some(v) = self
            .local
            .get(k)
            .or_else(|| self.session.get(k))
            .or_else(|| self.startup.get(k))
        {
            return Some(v.clone());
        }
        catalog::find(k).map(|d| d.default.to_string())
    }

    /// A time parameter's current value in milliseconds (`statement_timeout`); `None` for
    /// an unknown parameter or one that is not a time.
    pub fn millis(&self, name: &str) -> Option<u64> {
        normalize::millis(&self.get(name)?)
    }

    /// The value `SHOW name` prints; 42704 for an unknown parameter.
    pub fn show(&self, name: &str) -> Result<String> {
        self.get(name)
            .ok_or_else(|| Error::UndefinedParameter(key(name)))
    }

    /// The name `SHOW` uses as its column header: the canonical spelling (`DateStyle`).
    pub fn display_name(name: &str) -> String {
        let k = key(name);
        catalog::find(&k).map_or(k, |d| d.name.to_string())
    }

    /// Checks and normalises `value` for `name` without setting it: the canonical value, or
    /// PostgreSQL's error.
    pub fn check(&self, name: &str, value: &str) -> Result<String> {
        let k = key(name);
        match catalog::find(&k) {
            Some(def) => {
                if def.read_only {
                    return Err(Error::CantChangeRuntimeParam(def.name.to_string()));
                }
                let current = self.get(&k).unwrap_or_default();
                normalize::value(def, value, &current)
            }
            None if k.contains('.') => Ok(value.to_string()),
            None => Err(Error::UndefinedParameter(k)),
        }
    }

    /// Whether a transaction is open ([`Settings::begin`] without its end yet).
    fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Called before any change to the session values of parameter `k`: keeps the
    /// transaction's starting values for an abort, and marks the reported values for
    /// comparison when `k` is one of them (every transaction sets `transaction_read_only`
    /// LOCAL, which is not: that must not cost a comparison at every Sync).
    ///
    /// `session` says whether the session values change too (a `SET LOCAL` changes only the
    /// transaction's, which its end drops anyway: nothing to keep for an abort).
    fn changing(&mut self, k: &str, session: bool) {
        self.generation += 1;
        if is_reported(k) {
            self.maybe_changed = true;
        }
        if session && self.in_transaction && self.saved.is_none() {
            self.saved = Some(self.session.clone());
        }
    }

    /// Whether some `SET LOCAL` value of the transaction is of a reported parameter (its
    /// end then may change what the client was told).
    fn local_reported(&self) -> bool {
        self.local.keys().any(|k| is_reported(k))
    }

    /// A number that changes whenever any value may have changed: what was derived from
    /// the values (the session's time zone, output settings) is still right while it
    /// stays the same.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// `SET [SESSION | LOCAL] name = value`; returns the canonical value. Outside a
    /// transaction block `SET LOCAL` has no effect, as in PostgreSQL.
    pub fn set(&mut self, name: &str, value: &str, local: bool) -> Result<String> {
        let v = self.check(name, value)?;
        let k = key(name);
        self.changing(&k, !local);
        if local {
            if self.in_transaction() {
                self.local.insert(k, v.clone());
            }
        } else {
            self.local.remove(&k);
            self.session.insert(k, v.clone());
        }
        Ok(v)
    }

    /// `SET LOCAL name = value` unless `value` (canonical) is already the value: what
    /// every transaction sets about itself at its start (`transaction_read_only`,
    /// `transaction_isolation`) then changes nothing, so what the session derived from its
    /// settings stays valid ([`Settings::generation`]).
    pub fn set_local_unless_same(&mut self, name: &str, value: &str) -> Result<()> {
        if self.get(name).as_deref() == Some(value) {
            return Ok(());
        }
        self.set(name, value, true).map(|_| ())
    }

    /// A routine's `SET name = value` clause, in force until [`Settings::restore`] gets
    /// back what it returns (the values it replaced), as PostgreSQL's GUC nest level: a
    /// `SET LOCAL` of the same parameter inside the call is undone with it, a plain `SET`
    /// outlives the call (PostgreSQL's documented rule).
    pub fn set_for_call(&mut self, name: &str, value: &str) -> Result<Replaced> {
        let v = self.check(name, value)?;
        let k = key(name);
        self.changing(&k, true);
        let replaced = Replaced {
            session: self.session.get(&k).cloned(),
            local: self.local.get(&k).cloned(),
            key: k.clone(),
        };
        self.local.insert(k, v);
        Ok(replaced)
    }

    /// Gives back the values [`Settings::set_for_call`] replaced.
    pub fn restore(&mut self, replaced: Replaced) {
        self.changing(&replaced.key, true);
        let Replaced {
            key,
            session,
            local,
        } = replaced;
        if self.session.get(&key) != session.as_ref() {
            // a plain SET in the call: it stands, over any SET LOCAL before it
            self.local.remove(&key);
            return;
        }
        match local {
            Some(v) => self.local.insert(key, v),
            None => self.local.remove(&key),
        };
    }

    /// `SET name TO DEFAULT` / `RESET name`.
    pub fn reset(&mut self, name: &str, local: bool) -> Result<()> {
        let k = key(name);
        match catalog::find(&k) {
            Some(def) if def.read_only => {
                return Err(Error::CantChangeRuntimeParam(def.name.to_string()));
            }
            Some(_) => {}
            None if k.contains('.') => {}
            None => return Err(Error::UndefinedParameter(k)),
        }
        self.changing(&k, !local);
        if local {
            if self.in_transaction() {
                let reset = self.reset_value(&k);
                self.local.insert(k, reset);
            }
        } else {
            self.local.remove(&k);
            let reset = self.reset_value(&k);
            self.session.insert(k, reset);
        }
        Ok(())
    }

    /// What RESET returns `k` to: the startup packet's value, else the default (a custom
    /// parameter stays defined, empty, as PostgreSQL's).
    fn reset_value(&self, k: &str) -> String {
        match self.startup.get(k) {
            Some(v) => v.clone(),
            None => catalog::find(k).map_or(String::new(), |d| d.default.to_string()),
        }
    }

    /// `RESET ALL` (and part of `DISCARD ALL`): every settable parameter back to its default.
    pub fn reset_all(&mut self) {
        self.maybe_changed = true;
        self.changing("", true);
        self.local.clear();
        let keys: Vec<String> = self.session.keys().cloned().collect();
        for k in keys {
            let reset = self.reset_value(&k);
            self.session.insert(k, reset);
        }
    }

    /// Applies a parameter of the startup packet (`options=-c name=value` included): also
    /// the value RESET goes back to. Unknown plain names are 42704, as PostgreSQL's FATAL.
    pub fn set_startup(&mut self, name: &str, value: &str) -> Result<()> {
        let v = self.check(name, value)?;
        self.maybe_changed = true;
        self.generation += 1;
        self.startup.insert(key(name), v);
        Ok(())
    }

    /// Sets a value the server decides (a replica's `in_hot_standby`), as the startup
    /// packet would, even for a parameter users cannot change.
    pub fn set_server(&mut self, name: &str, value: &str) {
        self.maybe_changed = true;
        self.generation += 1;
        self.startup.insert(key(name), value.to_string());
    }

    /// Applies a role's `ALTER ROLE ... SET` default at login: like a startup parameter
    /// (RESET returns to it), unless the startup packet gave the parameter, which wins.
    pub fn set_login_default(&mut self, name: &str, value: &str) -> Result<()> {
        if self.startup.contains_key(&key(name)) {
            return Ok(());
        }
        self.set_startup(name, value)
    }

    /// Every built-in parameter with its current value and description, for `SHOW ALL` (in
    /// name order, as PostgreSQL lists them).
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<(String, String, String)> = catalog::all()
            .map(|d| {
                (
                    d.name.to_string(),
                    self.get(d.name).unwrap_or_default(),
                    d.description.to_string(),
                )
            })
            .collect();
        rows.sort_by_key(|r| r.0.to_ascii_lowercase());
        rows
    }

    /// A transaction starts: its first change of the session values keeps a copy of them
    /// to restore on abort ([`Settings::changing`]).
    pub fn begin(&mut self) {
        self.in_transaction = true;
        self.saved = None;
        self.savepoints.clear();
    }

    /// The transaction committed: its session values stay, `SET LOCAL` values go.
    pub fn commit(&mut self) {
        self.in_transaction = false;
        self.saved = None;
        if !self.local.is_empty() {
            self.maybe_changed |= self.local_reported();
            self.generation += 1;
            self.local.clear();
        }
        self.savepoints.clear();
    }

    /// The transaction aborted: everything it set is undone.
    pub fn abort(&mut self) {
        self.in_transaction = false;
        if let Some(saved) = self.saved.take() {
            self.maybe_changed |= saved != self.session;
            self.generation += 1;
            self.session = saved;
        }
        if !self.local.is_empty() {
            self.maybe_changed |= self.local_reported();
            self.generation += 1;
            self.local.clear();
        }
        self.savepoints.clear();
    }

    /// A savepoint is taken (innermost last).
    pub fn savepoint(&mut self) {
        self.savepoints
            .push((self.session.clone(), self.local.clone()));
    }

    /// `ROLLBACK TO` the savepoint at depth `index` (0 = outermost); it stays valid.
    pub fn rollback_to(&mut self, index: usize) {
        if let Some((session, local)) = self.savepoints.get(index).cloned() {
            self.maybe_changed = true;
            self.changing("", true);
            self.session = session;
            self.local = local;
            self.savepoints.truncate(index + 1);
        }
    }

    /// `RELEASE` the savepoint at depth `index` and the ones inside it.
    pub fn release(&mut self, index: usize) {
        self.savepoints.truncate(index);
    }

    /// The reported parameters (`GUC_REPORT`) with their current values, as the startup
    /// message lists them; marks them all as heard by the client.
    pub fn startup_reports(&mut self) -> Vec<(&'static str, String)> {
        let all: Vec<(&'static str, String)> = catalog::all()
            .filter(|d| d.report)
            .map(|d| (d.name, self.get(d.name).unwrap_or_default()))
            .collect();
        self.reported = all.iter().cloned().collect();
        self.maybe_changed = false;
        all
    }

    /// Reported parameters whose value changed since the client last heard them (sent as
    /// ParameterStatus before the next ReadyForQuery).
    pub fn take_changed_reports(&mut self) -> Vec<(&'static str, String)> {
        let mut changed = Vec::new();
        if !std::mem::take(&mut self.maybe_changed) {
            return changed;
        }
        for d in catalog::DEFINITIONS.iter().filter(|d| d.report) {
            let v = self.get(d.name).unwrap_or_default();
            if self.reported.get(d.name) != Some(&v) {
                self.reported.insert(d.name, v.clone());
                changed.push((d.name, v));
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests;
