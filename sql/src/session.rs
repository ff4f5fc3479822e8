//! [`Session`]: one client connection's SQL state — the transaction block state machine,
//! session settings, prepared statements and a running COPY — and the entry points the
//! pgwire front end calls: [`Session::execute`] (simple protocol), [`Session::prepare`] /
//! [`Session::execute_prepared`] (extended protocol) and the COPY calls (`session/copy.rs`).
//!
//! The session's identity and its settings live in one [`SessionInfo`] shared with the
//! statement environment ([`crate::env`]): SET / SHOW / RESET (`session/settings_commands.rs`)
//! and `current_setting` / `set_config` change the same [`crate::settings::Settings`], which
//! follows the transaction (begin, commit, abort, savepoints) as PostgreSQL's GUCs do.
//!
//! Transaction states, as PostgreSQL's:
//!
//! ```text
//!   Idle ──BEGIN──▶ Open ──error──▶ Failed ──ROLLBACK / COMMIT──▶ Idle
//!     ▲               │  ▲                 │
//!     └─COMMIT/ROLLBACK┘  └─ROLLBACK TO sp─┘
//! ```
//!
//! Outside a block every statement runs in its own implicit transaction (autocommit). In a
//! block the storage transaction starts lazily at the first statement, so `SET TRANSACTION
//! ISOLATION LEVEL` after `BEGIN` still works. Each statement is bracketed by
//! `begin_statement` / `end_statement(ok)`; a failed statement's writes are discarded and a
//! block becomes Failed: everything but ROLLBACK [TO SAVEPOINT] / COMMIT (which then rolls
//! back, tag `ROLLBACK`) fails with 25P02. Every transaction is a
//! [`crate::storage::serializable::Tracked`] over the storage's: a SERIALIZABLE one records
//! its reads and writes there and is validated at commit.

use crate::binder::{Binder, BoundStatement, CommandKind, OutputColumn};
use crate::env::{self, Activity, Backend, CatalogEnv, Env, SequenceValues, SessionInfo};
use crate::executor::{self, Context};
use crate::parse::Statement;
use crate::planner;
use crate::result::StatementResult;
use crate::storage::Catalog;
use crate::storage::serializable::Tracked;
use crate::storage::{Isolation, Storage, Txn};
use crate::types::datetime::{self, zone::Zone};
use crate::types::oid::ObjectLookup;
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

mod chain;
mod copy;
mod cursors;
mod deferred;
mod listen;
mod named_statements;
mod prepare_commands;
mod procedures;
mod read_only;
pub(crate) mod settings_commands;
mod temp;

pub(crate) use listen::during_recovery;
pub use named_statements::{NamedStatement, NamedStatements};

/// Transaction block state.
enum Block<T> {
    Idle,
    /// Inside BEGIN ... COMMIT; `txn` starts at the first statement.
    Open {
        txn: Option<T>,
        isolation: Isolation,
        savepoints: Vec<(String, u64)>,
    },
    /// A statement failed inside the block.
    Failed {
        txn: Option<T>,
        isolation: Isolation,
        savepoints: Vec<(String, u64)>,
    },
}

/// A prepared statement: its parse tree and parameter types, and its plan, bound and
/// optimized once and reused until the catalog changes (DDL by anyone: the catalog the
/// statement's snapshot sees differs from the one the plan was bound against).
#[derive(Debug)]
struct Prepared {
    statement: Option<Statement>,
    param_types: Vec<DataType>,
    /// The result columns described at Parse (a re-plan may not change them).
    columns: Option<Vec<OutputColumn>>,
    /// The bound and optimized statement, and the catalog and search path it was bound
    /// against.
    plan: std::sync::Mutex<Option<CachedPlan>>,
    /// How many times the statement was bound (Parse's describe not counted).
    binds: std::sync::atomic::AtomicU64,
    /// How many times it ran (`pg_prepared_statements`).
    executions: std::sync::atomic::AtomicU64,
    /// The Parse's text when the statement is a SQL `PREPARE` (the source text that
    /// `pg_prepared_statements` shows for the statement it prepares).
    prepare_source: Option<Arc<str>>,
}

/// A prepared statement's plan and what it was bound against.
#[derive(Debug)]
struct CachedPlan {
    catalog: Arc<Catalog>,
    search_path: Vec<crate::storage::Oid>,
    planned: Arc<Planned>,
}

/// A bound and optimized statement and the privileges it needs: shared, not copied, by
/// every execution of a prepared statement.
type Planned = (BoundStatement, Vec<crate::privilege::Need>);

impl Prepared {
    fn new(
        statement: Option<Statement>,
        param_types: Vec<DataType>,
        columns: Option<Vec<OutputColumn>>,
    ) -> Prepared {
        Prepared {
            statement,
            param_types,
            columns,
            plan: std::sync::Mutex::new(None),
            binds: std::sync::atomic::AtomicU64::new(0),
            executions: std::sync::atomic::AtomicU64::new(0),
            prepare_source: None,
        }
    }

    /// Whether `stmt` is this statement's own syntax tree (not a statement run on its
    /// behalf, which must not take or replace its cached plan).
    fn is_statement(&self, stmt: &ast::Statement) -> bool {
        matches!(&self.statement, Some(Statement::Sql(s)) if std::ptr::eq(s, stmt))
    }

    /// The plan for `catalog`: the cached one while the catalog is unchanged (the same
    /// snapshot, or equal contents) and the search path the same, else bound and optimized
    /// anew. A new plan may not change
    /// the result columns (PostgreSQL's 0A000 "cached plan must not change result type").
    fn plan(
        &self,
        catalog: &Arc<Catalog>,
        search_path: &[crate::storage::Oid],
        stmt: &ast::Statement,
        types: &[DataType],
    ) -> Result<Arc<Planned>> {
        let mut cached = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cached.as_ref()
            && c.search_path == search_path
            && (Arc::ptr_eq(&c.catalog, catalog) || *c.catalog == **catalog)
        {
            return Ok(c.planned.clone());
        }
        let (bound, needs) = bind_and_plan(catalog, search_path, stmt, types)?;
        self.binds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let columns = match &bound {
            BoundStatement::Query {
                columns,
                returns_rows: true,
                ..
            } => Some(columns),
            BoundStatement::Explain { .. } => None,
            _ => None,
        };
        if self.columns.is_some() && columns != self.columns.as_ref() {
            return Err(Error::unsupported(
                "cached plan must not change result type",
            ));
        }
        let planned = Arc::new((bound, needs));
        *cached = Some(CachedPlan {
            catalog: catalog.clone(),
            search_path: search_path.to_vec(),
            planned: planned.clone(),
        });
        Ok(planned)
    }
}

/// Binds `stmt` against `catalog` and optimizes its plan; also the privileges it needs.
fn bind_and_plan(
    catalog: &Arc<Catalog>,
    search_path: &[crate::storage::Oid],
    stmt: &ast::Statement,
    types: &[DataType],
) -> Result<(BoundStatement, Vec<crate::privilege::Need>)> {
    let mut binder = Binder::new(catalog.clone(), types.iter().map(|t| Some(*t)).collect())
        .with_search_path(search_path.to_vec());
    let bound = binder.bind(stmt)?;
    Ok((optimize_bound(bound), binder.needs))
}

/// A bound statement with its plan optimized.
fn optimize_bound(bound: BoundStatement) -> BoundStatement {
    match bound {
        BoundStatement::Query {
            kind,
            plan,
            columns,
            returns_rows,
        } => BoundStatement::Query {
            kind,
            plan: planner::optimize(plan),
            columns,
            returns_rows,
        },
        BoundStatement::Explain { analyze, query } => match *query {
            BoundStatement::Query {
                kind,
                plan,
                columns,
                returns_rows,
            } => BoundStatement::Explain {
                analyze,
                query: Box::new(BoundStatement::Query {
                    kind,
                    plan: planner::optimize(plan),
                    columns,
                    returns_rows,
                }),
            },
            other => BoundStatement::Explain {
                analyze,
                query: Box::new(other),
            },
        },
    }
}

/// What one statement's execution takes from the session besides its text and parameters.
struct StatementOptions {
    /// Bytes per sort / hash / aggregate (`work_mem`).
    work_mem: usize,
    /// The prepared statement being executed, whose plan cache to use.
    prepared: Option<Arc<Prepared>>,
}

/// What a statement runs with ([`Session::statement_setup`]).
pub(super) struct StatementSetup {
    opts: StatementOptions,
    /// The search path's schemas.
    path: Vec<crate::storage::Oid>,
    /// The environment to install while it runs.
    env: Arc<Env>,
}

/// The description of a prepared statement (ParameterDescription + RowDescription).
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedInfo {
    pub param_types: Vec<DataType>,
    /// `None` when the statement returns no rows.
    pub columns: Option<Vec<OutputColumn>>,
}

/// One client session over a storage engine. See the module docs.
pub struct Session<S: Storage> {
    storage: S,
    block: Block<Tracked<S::Txn>>,
    /// Shared, so executing one does not copy its syntax tree. Keyed by the front end's
    /// names (see [`named_statements`] for the client's).
    prepared: BTreeMap<String, Arc<Prepared>>,
    /// The named statements by the client's names (`PREPARE`, named Parse).
    named: NamedStatements,
    /// The query string being run when it holds a `PREPARE` (its listed source text): a
    /// simple query's, or the Parse text of the prepared statement being executed.
    query_source: Option<Arc<str>>,
    /// Identity and settings, shared with the functions that read them.
    info: Arc<SessionInfo>,
    /// The prepared statement `execute_prepared` is running (its plan cache is used).
    executing: Option<Arc<Prepared>>,
    /// The open block is the implicit one of a multi-statement simple query.
    implicit: bool,
    /// A COPY that runs: FROM STDIN waiting for data, or TO STDOUT just answered.
    copy: copy::CopyState<Tracked<S::Txn>>,
    /// The role statements run as (`current_user`, `$user` in the search path): the
    /// session user, or the role `SET ROLE` chose.
    user: String,
    /// The user that authenticated (who may `SET SESSION AUTHORIZATION`).
    authenticated: String,
    /// Sequence values this session obtained (`currval`, `lastval`).
    sequences: Arc<Mutex<SequenceValues>>,
    /// The front end's session list, if it provides one.
    activity: Option<Arc<dyn Activity>>,
    /// The open transaction's uncommitted live/dead row changes (`pg_stat_user_tables`).
    table_counts: crate::system::table_stats::PendingCounts,
    /// `(current_user, session_user)` when the open transaction block began.
    user_at_begin: Option<(String, String)>,
    /// The block's SET ROLE / SET SESSION AUTHORIZATION was LOCAL: undone when the block
    /// ends either way.
    role_is_local: bool,
    /// `(current_user, session_user)` at each open savepoint: ROLLBACK TO restores them.
    roles_at_savepoints: Vec<(String, String)>,
    /// This backend as `pg_stat_activity` shows it when there is no `activity`.
    backend: Backend,
    /// The `TimeZone` setting's zone (follows the setting, see [`Session::statement_env`]).
    time_zone: Zone,
    /// When the current transaction started (`now()`); reset when no block is open.
    txn_start: Option<i64>,
    /// The environment of the last statement (see [`Session::env`]).
    last_env: Arc<Env>,
    /// The settings' [`Settings::generation`](crate::settings::Settings::generation) its
    /// time zone, interval style and output settings were read at (`None`: never): while
    /// it is current they need not be read again.
    env_generation: Option<u64>,
    /// The settings every statement reads, with the generation they were read at.
    statement_settings: std::cell::RefCell<Option<StatementSettings>>,
    /// The storage is a read replica: every transaction is read-only (the storage refuses
    /// writes itself, naming the primary).
    in_recovery: bool,
    /// Temporary tables' `ON COMMIT` actions (`session/temp.rs`).
    on_commit: Vec<temp::OnCommitAction>,
}

/// What [`Session::statement_settings`] keeps.
struct StatementSettings {
    /// The [`Settings::generation`](crate::settings::Settings::generation) they were read at.
    generation: u64,
    work_mem: usize,
    search_path: String,
    application_name: String,
    statement_timeout: Option<u64>,
}

fn parse(sql: &str) -> Result<Vec<Statement>> {
    crate::parse::parse(sql).map_err(|e| crate::position::reword_syntax_error(e, sql))
}

/// Starts a storage transaction at `isolation`: SERIALIZABLE ones are tracked for
/// validation (refused on a read replica, as PostgreSQL refuses them on a hot standby).
fn begin_txn<S: Storage>(storage: &S, isolation: Isolation) -> Result<Tracked<S::Txn>> {
    if isolation != Isolation::Serializable {
        return Ok(Tracked::plain(storage.begin(isolation)?));
    }
    let services = storage.services();
    if services.replication().in_recovery {
        return Err(Error::WithHint {
            error: Box::new(Error::unsupported(
                "cannot use serializable mode in a hot standby",
            )),
            hint: "You can use REPEATABLE READ instead.".into(),
        });
    }
    let registry = services
        .serializable()
        .ok_or_else(|| Error::unsupported("SERIALIZABLE isolation level is not supported"))?;
    Tracked::serializable(registry, |iso| storage.begin(iso))
}

fn isolation_of(modes: &[ast::TransactionMode]) -> Result<Option<Isolation>> {
    let mut iso = None;
    for m in modes {
        if let ast::TransactionMode::IsolationLevel(level) = m {
            iso = Some(match level {
                ast::TransactionIsolationLevel::ReadUncommitted
                | ast::TransactionIsolationLevel::ReadCommitted => Isolation::ReadCommitted,
                ast::TransactionIsolationLevel::RepeatableRead => Isolation::RepeatableRead,
                _ => Isolation::Serializable,
            });
        }
    }
    Ok(iso)
}

/// EXPLAIN's one result column.
fn explain_columns() -> Vec<OutputColumn> {
    vec![OutputColumn {
        name: "QUERY PLAN".into(),
        data_type: DataType::Text,
    }]
}

/// Runs one statement inside `txn` (its environment entered): DDL through [`crate::ddl`],
/// anything else bound (or taken from the prepared statement's plan cache), planned and
/// executed.
#[allow(clippy::too_many_arguments)]
fn run_in_txn(
    txn: &mut dyn Txn,
    stmt: &Statement,
    params: &[Value],
    types: &[DataType],
    opts: &StatementOptions,
    search_path: &[crate::storage::Oid],
) -> Result<StatementResult> {
    {
        let mut ddl = crate::ddl::Ddl {
            txn: &mut *txn,
            search_path: search_path.to_vec(),
            params,
            param_types: types,
        };
        if let Some(r) = crate::ddl::execute(&mut ddl, stmt)? {
            return Ok(r);
        }
    }
    let Statement::Sql(stmt) = stmt else {
        return Err(Error::Internal("statement not executed".into()));
    };
    let catalog = txn.catalog()?;
    let work_mem = opts.work_mem;
    // Only the prepared statement's own tree uses its cached plan: a statement it runs
    // inside (COPY's query for its table's columns, then its SELECT) binds on its own.
    let planned = match &opts.prepared {
        Some(p) if p.is_statement(stmt) => p.plan(&catalog, search_path, stmt, types)?,
        _ => Arc::new(bind_and_plan(&catalog, search_path, stmt, types)?),
    };
    let (bound, needs) = &*planned;
    let who = crate::privilege::current(&catalog);
    crate::privilege::check(&catalog, &who, needs)?;
    // A role that may not read the whole table sees no row values it may not read in
    // constraint errors.
    let scrub = |e: Error| crate::column_privilege::scrub(&catalog, &who, needs, e);
    match bound {
        BoundStatement::Explain { analyze, query } => {
            let BoundStatement::Query { plan, .. } = &**query else {
                return Err(Error::Internal("EXPLAIN of a non-query".into()));
            };
            let lines = if *analyze {
                let mut counters = Vec::new();
                let mut op = executor::build_counted(plan, &mut counters);
                let mut ctx = Context::new(txn, params).with_work_mem(work_mem);
                executor::collect(op.as_mut(), &mut ctx).map_err(scrub)?;
                let counts: Vec<u64> = counters.iter().map(|c| c.get()).collect();
                planner::explain::explain(plan, Some(&counts))
            } else {
                planner::explain::explain(plan, None)
            };
            Ok(StatementResult {
                tag: "EXPLAIN".into(),
                columns: Some(explain_columns()),
                rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
                notices: Vec::new(),
            })
        }
        BoundStatement::Query {
            kind,
            plan,
            columns,
            returns_rows,
        } => {
            let mut op = executor::build(plan);
            let mut ctx = Context::new(txn, params).with_work_mem(work_mem);
            let tuples = executor::collect(op.as_mut(), &mut ctx).map_err(scrub)?;
            let n = tuples.len();
            let tag = match kind {
                CommandKind::Select => format!("SELECT {n}"),
                CommandKind::Insert => format!("INSERT 0 {n}"),
                CommandKind::Update => format!("UPDATE {n}"),
                CommandKind::Delete => format!("DELETE {n}"),
                CommandKind::Merge => format!("MERGE {n}"),
            };
            if *returns_rows {
                Ok(StatementResult {
                    tag,
                    columns: Some(columns.clone()),
                    rows: tuples.into_iter().map(|t| t.row).collect(),
                    notices: Vec::new(),
                })
            } else {
                Ok(StatementResult::command(tag))
            }
        }
    }
}

/// Runs one statement of a PL/pgSQL body inside the calling statement's transaction and
/// environment (its search path and `work_mem`): the caller has begun the statement.
pub(crate) fn run_nested(
    txn: &mut dyn Txn,
    stmt: &Statement,
    params: &[Value],
    types: &[DataType],
) -> Result<StatementResult> {
    let session = env::current().session.clone();
    let opts = StatementOptions {
        work_mem: session
            .setting("work_mem")
            .and_then(|v| executor::memory::parse_memory(&v))
            .unwrap_or(executor::memory::DEFAULT_WORK_MEM),
        prepared: None,
    };
    let catalog = txn.catalog()?;
    let path = crate::plpgsql::search_path(&catalog);
    if let Statement::Sql(
        ast::Statement::StartTransaction { .. }
        | ast::Statement::Commit { .. }
        | ast::Statement::Rollback { .. }
        | ast::Statement::Savepoint { .. },
    ) = stmt
    {
        return Err(Error::unsupported(
            "transaction control in PL/pgSQL is not supported",
        ));
    }
    run_in_txn(txn, stmt, params, types, &opts, &path)
}

impl<S: Storage> Drop for Session<S> {
    /// The session's advisory locks go with it.
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.info.temp_schema.load(Ordering::Relaxed) {
            // The session's temporary tables go with it (best effort: a compute that
            // stops first leaves the schema to the next session with this pid).
            self.abort();
            let _ = self.drop_temp_schema();
        }
        self.info.notify.exit();
        let xact = self.info.advisory_xact.swap(false, Ordering::Relaxed);
        if self.info.advisory_session.load(Ordering::Relaxed) || xact {
            self.storage
                .services()
                .advisory_release(self.info.backend_pid, false);
        }
    }
}

impl<S: Storage> Session<S> {
    pub fn new(storage: S) -> Self {
        let table_activity = storage.services().table_activity();
        let in_recovery = storage.services().replication().in_recovery;
        let mut settings = crate::settings::Settings::new();
        if in_recovery {
            // libpq's target_session_attrs and drivers read it to tell replicas apart.
            settings.set_server("in_hot_standby", "on");
        }
        Session {
            in_recovery,
            on_commit: Vec::new(),
            storage,
            block: Block::Idle,
            prepared: BTreeMap::new(),
            named: NamedStatements::default(),
            query_source: None,
            info: Arc::new(SessionInfo::new(
                "postgres",
                "postgres",
                std::process::id() as i32,
                settings,
            )),
            executing: None,
            implicit: false,
            copy: copy::CopyState::None,
            user: "postgres".into(),
            authenticated: "postgres".into(),
            sequences: Arc::new(Mutex::new(SequenceValues::default())),
            activity: None,
            table_counts: crate::system::table_stats::PendingCounts::new(table_activity),
            user_at_begin: None,
            role_is_local: false,
            roles_at_savepoints: Vec::new(),
            backend: Backend {
                pid: std::process::id() as i32,
                database: "postgres".into(),
                user: "postgres".into(),
                state: "active".into(),
                backend_start: datetime::clock_now(),
                ..Backend::default()
            },
            time_zone: Zone::utc(),
            txn_start: None,
            last_env: Arc::new(Env::default()),
            env_generation: None,
            statement_settings: Default::default(),
        }
    }

    /// Sets who the session is (the front end calls this after authentication): what
    /// `current_user`, `current_database()`, `pg_backend_pid()` and the
    /// `session_authorization` setting say.
    pub fn identify(&mut self, user: &str, database: &str, backend_pid: i32) {
        self.authenticated = user.to_string();
        self.become_session_user(user, database, backend_pid);
        self.apply_role_defaults(user);
    }

    /// The logged-in role's `ALTER ROLE ... SET` defaults, those for this database first
    /// (they win), under what the startup packet set. A default that no longer checks is
    /// skipped, as PostgreSQL only warns about it.
    fn apply_role_defaults(&mut self, user: &str) {
        let Ok(catalog) = self.statement_catalog() else {
            return;
        };
        let mut settings = self.info.settings();
        if let Some(role) = catalog.role(user) {
            for scoped in [true, false] {
                for c in role
                    .config
                    .iter()
                    .filter(|c| c.database.is_some() == scoped)
                {
                    let _ = settings.set_login_default(&c.name, &c.value);
                }
            }
        }
        // Then the database's (`ALTER DATABASE ... SET`): the role's win.
        for d in &catalog.databases {
            for c in &d.config {
                let _ = settings.set_login_default(&c.name, &c.value);
            }
        }
    }

    /// Makes `user` the session user (and current role).
    fn become_session_user(&mut self, user: &str, database: &str, backend_pid: i32) {
        let mut settings = self.info.settings().clone();
        // A user name is a valid value of this string parameter: this cannot fail.
        let _ = settings.set_startup("session_authorization", user);
        let mut info = SessionInfo::new(user, database, backend_pid, settings);
        // LISTEN / NOTIFY state stays the session's.
        info.notify = self.info.notify.clone();
        info.deferred = self.info.deferred.clone();
        info.cursors = self.info.cursors.clone();
        // The advisory locks taken so far stay the session's.
        for (new, old) in [
            (&info.advisory_xact, &self.info.advisory_xact),
            (&info.advisory_session, &self.info.advisory_session),
        ] {
            new.store(
                old.load(std::sync::atomic::Ordering::Relaxed),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        self.info = Arc::new(info);
        self.user = user.to_string();
        self.backend.user = user.to_string();
        self.backend.database = database.to_string();
        self.backend.pid = backend_pid;
    }

    /// The session's settings (SET / SHOW, the startup packet's parameters, the reported
    /// ones). Do not hold the guard while running a statement.
    pub fn settings(&self) -> MutexGuard<'_, crate::settings::Settings> {
        self.info.settings()
    }

    /// Sets the session's user (`current_user`, `$user` in the search path).
    pub fn set_user(&mut self, user: &str) {
        self.identify(user, &self.info.database.clone(), self.info.backend_pid);
    }

    /// Sets this backend's identity as `pg_stat_activity` shows it without a front-end
    /// session list (pid, client address, start time).
    pub fn set_backend(&mut self, backend: Backend) {
        self.backend = backend;
    }

    /// Installs the front end's session list (`pg_stat_activity`, `pg_cancel_backend`).
    pub fn set_activity(&mut self, activity: Arc<dyn Activity>) {
        self.activity = Some(activity);
    }

    /// Joins the server's LISTEN / NOTIFY hub (without one the session hears only itself).
    pub fn set_notify_hub(&mut self, hub: Arc<crate::notify::Hub>) {
        self.info.notify.set_hub(hub);
    }

    /// The session's LISTEN / NOTIFY state: the front end takes the notifications that
    /// arrived from it when the session is idle ([`crate::notify::SessionNotify::take`]).
    pub fn notifications(&self) -> Arc<crate::notify::SessionNotify> {
        self.info.notify.clone()
    }

    /// The catalog environment of a statement reading `catalog` (see [`crate::env`]).
    fn catalog_env(&self, catalog: Arc<crate::storage::Catalog>) -> Arc<CatalogEnv> {
        let path = self.search_path(&catalog);
        let mut backend = self.backend.clone();
        backend.state = "active".into();
        backend.application_name = self.statement_settings().application_name.clone();
        Arc::new(CatalogEnv {
            catalog,
            services: self.storage.services(),
            search_path: path,
            user: self.user.clone(),
            sequences: self.sequences.clone(),
            backend,
            activity: self.activity.clone(),
            counts: Default::default(),
            prepared: self.named.clone(),
        })
    }

    /// The search path as schema OIDs over `catalog`.
    fn search_path(&self, catalog: &crate::storage::Catalog) -> Vec<crate::storage::Oid> {
        crate::binder::search_path(catalog, &self.statement_settings().search_path, &self.user)
    }

    /// The settings every statement reads, read again only when some setting changed.
    fn statement_settings(&self) -> std::cell::Ref<'_, StatementSettings> {
        let generation = self.info.settings().generation();
        let stale = self
            .statement_settings
            .borrow()
            .as_ref()
            .is_none_or(|c| c.generation != generation);
        if stale {
            let read = StatementSettings {
                generation,
                work_mem: self
                    .info
                    .setting("work_mem")
                    .and_then(|v| executor::memory::parse_memory(&v))
                    .unwrap_or(executor::memory::DEFAULT_WORK_MEM),
                search_path: self
                    .info
                    .setting("search_path")
                    .unwrap_or_else(|| "public".into()),
                application_name: self.info.setting("application_name").unwrap_or_default(),
                statement_timeout: self.info.settings().millis("statement_timeout"),
            };
            *self.statement_settings.borrow_mut() = Some(read);
        }
        std::cell::Ref::map(self.statement_settings.borrow(), |c| {
            c.as_ref().expect("read above when missing")
        })
    }

    /// The environment the last statement ran in (time zone, timestamps, catalog lookup):
    /// install it ([`env::install`]) while formatting that statement's rows as text.
    pub fn env(&self) -> Arc<Env> {
        if self.env_generation == Some(self.info.settings().generation()) {
            return self.last_env.clone();
        }
        let setting = self.info.setting("timezone").unwrap_or_default();
        let time_zone = if setting == self.time_zone.name() {
            self.time_zone.clone()
        } else {
            Zone::parse(&setting).unwrap_or_else(|_| Zone::utc())
        };
        Arc::new(Env {
            time_zone,
            interval_style: self.interval_style(),
            date_style: self.date_style(),
            output: env::OutputSettings::from_session(&self.info),
            ..(*self.last_env).clone()
        })
    }

    /// The `DateStyle` setting.
    fn date_style(&self) -> datetime::style::DateStyle {
        let setting = self.info.setting("datestyle").unwrap_or_default();
        datetime::style::DateStyle::from_setting(&setting)
    }

    /// The `IntervalStyle` setting's style.
    fn interval_style(&self) -> datetime::interval_style::IntervalStyle {
        let setting = self.info.setting("intervalstyle").unwrap_or_default();
        datetime::interval_style::IntervalStyle::from_setting(&setting)
    }

    /// Makes [`Session::time_zone`] the zone of the `TimeZone` setting (which SET, RESET,
    /// set_config, the startup packet and a rolled-back transaction may have changed).
    fn sync_time_zone(&mut self) {
        let name = self.info.setting("timezone").unwrap_or_default();
        if name != self.time_zone.name() {
            self.time_zone = Zone::parse(&name).unwrap_or_else(|_| Zone::utc());
        }
    }

    /// Starts a statement's environment: the statement's start time, and the transaction's
    /// (the statement's own outside a block).
    fn statement_env(&mut self) -> Arc<Env> {
        let now = datetime::clock_now();
        if matches!(self.block, Block::Idle) {
            self.txn_start = None;
        }
        if self.txn_start.is_none() {
            // A new transaction: no transaction id yet.
            self.info.xid.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        let transaction_start = *self.txn_start.get_or_insert(now);
        let generation = self.info.settings().generation();
        let (interval_style, date_style, output) = if self.env_generation == Some(generation) {
            (
                self.last_env.interval_style,
                self.last_env.date_style,
                self.last_env.output,
            )
        } else {
            self.sync_time_zone();
            (
                self.interval_style(),
                self.date_style(),
                env::OutputSettings::from_session(&self.info),
            )
        };
        self.env_generation = Some(generation);
        let env = Arc::new(Env {
            time_zone: self.time_zone.clone(),
            interval_style,
            date_style,
            output,
            transaction_start,
            statement_start: now,
            lookup: self.last_env.lookup.clone(),
            session: self.info.clone(),
            catalog: None,
        });
        self.last_env = env.clone();
        env
    }

    /// Whether the session is inside a transaction block ('T'), failed ('E') or idle ('I'),
    /// as ReadyForQuery reports it.
    pub fn transaction_status(&self) -> char {
        match self.block {
            Block::Idle => 'I',
            Block::Open { .. } => 'T',
            Block::Failed { .. } => 'E',
        }
    }

    fn default_isolation(&self) -> Result<Isolation> {
        match self
            .info
            .setting("default_transaction_isolation")
            .as_deref()
        {
            Some("repeatable read") => Ok(Isolation::RepeatableRead),
            Some("serializable") => Ok(Isolation::Serializable),
            _ => Ok(Isolation::ReadCommitted),
        }
    }

    /// Simple protocol: runs every statement in `sql`, stopping after the first error (whose
    /// `Err` is the last element). As in PostgreSQL, several statements sent together outside
    /// a block run in one implicit transaction: an error rolls back all of them, and a
    /// `BEGIN` among them turns the implicit block into an explicit one.
    pub fn execute(&mut self, sql: &str) -> Vec<Result<StatementResult>> {
        let statements = match parse(sql) {
            Ok(s) => s,
            Err(e) => {
                self.fail_block();
                return vec![Err(e)];
            }
        };
        // kept for what shows the text: pg_prepared_statements, pg_cursors
        self.query_source = statements
            .iter()
            .any(|s| {
                matches!(
                    s,
                    Statement::Sql(ast::Statement::Prepare { .. })
                        | Statement::Cursor(crate::parse::cursor::CursorCommand::Declare { .. })
                )
            })
            .then(|| Arc::from(sql));
        if statements.len() > 1
            && matches!(self.block, Block::Idle)
            && let Err(e) = self.open_implicit()
        {
            return vec![Err(e)];
        }
        let mut out = Vec::new();
        for (i, stmt) in statements.iter().enumerate() {
            if let Statement::Copy(c) = stmt {
                let r = if i + 1 < statements.len() {
                    self.fail_block();
                    Err(Error::unsupported(
                        "COPY must be the last statement of a query string",
                    ))
                } else {
                    let _env = env::install(self.statement_env());
                    self.run_copy(c)
                };
                let failed = r.is_err();
                out.push(r);
                if failed || self.copy_in_pending() {
                    break;
                }
                continue;
            }
            if let Statement::Sql(ast::Statement::StartTransaction { modes, begin, .. }) = stmt
                && self.implicit
            {
                // A query before it took the snapshot (PostgreSQL's FirstSnapshotSet).
                let queried = statements[..i].iter().any(|s| {
                    matches!(
                        s,
                        Statement::Sql(
                            ast::Statement::Query(_)
                                | ast::Statement::Insert(_)
                                | ast::Statement::Update(_)
                                | ast::Statement::Delete(_)
                                | ast::Statement::Merge(_)
                        )
                    )
                });
                let tag = if *begin { "BEGIN" } else { "START TRANSACTION" };
                let r = self
                    .begin_in_implicit(modes, queried)
                    .map(|_| StatementResult::command(tag));
                let failed = r.is_err();
                out.push(r);
                if failed {
                    self.fail_block();
                    break;
                }
                self.implicit = false;
                continue;
            }
            let r = self
                .run(stmt, &[], &[])
                .map_err(|e| crate::position::attach(e, sql));
            if matches!(self.block, Block::Idle) {
                self.implicit = false; // COMMIT / ROLLBACK ended the implicit block
            }
            let failed = r.is_err();
            out.push(r);
            if failed {
                break;
            }
        }
        if !self.copy_in_pending() {
            self.end_implicit(&mut out);
        }
        out
    }

    /// Opens the implicit block of a multi-statement query string or of an extended-protocol
    /// batch (the block is idle).
    fn open_implicit(&mut self) -> Result<()> {
        let isolation = self.default_isolation()?;
        self.block = Block::Open {
            txn: None,
            isolation,
            savepoints: Vec::new(),
        };
        self.txn_began();
        self.implicit = true;
        self.txn_start = None;
        Ok(())
    }

    /// Extended protocol Sync: ends the implicit transaction of the batch's statements
    /// (PostgreSQL commits at Sync, not at each Execute: a batch's statements outside a
    /// block succeed or fail together — asyncpg's `executemany`, a JDBC batch). Commits
    /// it, or rolls it back after an error; a failed commit is returned.
    pub fn sync(&mut self) -> Option<Error> {
        if !self.implicit {
            return None;
        }
        let mut out = Vec::new();
        self.end_implicit(&mut out);
        out.into_iter().find_map(|r| r.err())
    }

    /// Ends the implicit block of a multi-statement query string, if one is open: commits
    /// it, or rolls it back after an error (pushing a commit failure onto `out`).
    fn end_implicit(&mut self, out: &mut Vec<Result<StatementResult>>) {
        if self.implicit
            && let Block::Open { .. } = self.block
            && let Err(e) = self.check_deferred(true)
        {
            self.fail_block();
            out.push(Err(e));
        }
        if self.implicit
            && let Block::Open { .. } = self.block
            && !self.on_commit.is_empty()
            && let Err(e) = self.before_commit()
        {
            self.fail_block();
            out.push(Err(e));
        }
        if std::mem::take(&mut self.implicit) {
            match std::mem::replace(&mut self.block, Block::Idle) {
                Block::Open { txn, .. } => match txn.map_or(Ok(()), |t| t.commit()) {
                    Ok(()) => self.txn_committed(),
                    Err(e) => {
                        self.txn_aborted();
                        out.push(Err(e));
                    }
                },
                Block::Failed { txn, .. } => {
                    if let Some(txn) = txn {
                        txn.rollback();
                    }
                    self.txn_aborted();
                }
                Block::Idle => {}
            }
        }
    }

    /// Extended protocol Parse: stores `sql` (at most one statement) under `name` (the
    /// unnamed statement is `""` and is replaced freely) and describes it.
    pub fn prepare(
        &mut self,
        name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> Result<PreparedInfo> {
        self.prepare_as(name, name, sql, declared)
    }

    /// [`Session::prepare`] for a front end that keeps statements under its own names:
    /// `name` is the front end's, `client_name` the one the client gave (`""` for the
    /// unnamed statement), by which `EXECUTE`, `DEALLOCATE` and `pg_prepared_statements`
    /// know it.
    pub fn prepare_as(
        &mut self,
        name: &str,
        client_name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> Result<PreparedInfo> {
        crate::position::clear();
        self.prepare_unpositioned(name, client_name, sql, declared)
            .map_err(|e| crate::position::attach(e, sql))
    }

    fn prepare_unpositioned(
        &mut self,
        name: &str,
        client_name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> Result<PreparedInfo> {
        if !name.is_empty() && self.prepared.contains_key(name) {
            return Err(Error::DuplicatePreparedStatement(name.to_string()));
        }
        if !client_name.is_empty() && self.named.taken_by_sql(client_name) {
            return Err(Error::DuplicatePreparedStatement(client_name.to_string()));
        }
        let mut statements = parse(sql)?;
        if statements.len() > 1 {
            return Err(Error::SyntaxError(
                "cannot insert multiple commands into a prepared statement".into(),
            ));
        }
        let statement = statements.pop();
        // As PostgreSQL's Parse: in a failed block only what ends it (COMMIT, ROLLBACK,
        // ROLLBACK TO) may be prepared — pg8000 sends its ROLLBACK through Parse.
        if let Block::Failed { .. } = self.block
            && !matches!(
                statement,
                Some(Statement::Sql(
                    ast::Statement::Commit { .. } | ast::Statement::Rollback { .. }
                ))
            )
        {
            return Err(Error::InFailedTransaction);
        }
        let (param_types, columns) = match &statement {
            Some(stmt) if Self::is_bindable(stmt) => self.describe(stmt, declared)?,
            Some(Statement::Sql(ast::Statement::ShowVariable { variable })) => {
                (Vec::new(), Some(settings_commands::show_columns(variable)))
            }
            Some(Statement::Sql(ast::Statement::Call(f))) => {
                let catalog = self.statement_catalog()?;
                let path = self.search_path(&catalog);
                crate::ddl::call::describe(&catalog, &path, f, declared)?
            }
            Some(Statement::Cursor(crate::parse::cursor::CursorCommand::Fetch {
                name,
                move_only: false,
                ..
            })) => (Vec::new(), self.cursor_columns(name)),
            // DECLARE's parameters are its query's.
            Some(Statement::Cursor(crate::parse::cursor::CursorCommand::Declare {
                query, ..
            })) => {
                let query = Statement::Sql(ast::Statement::Query(query.clone()));
                (self.describe(&query, declared)?.0, None)
            }
            Some(Statement::Sql(ast::Statement::Execute {
                name: Some(target), ..
            })) => {
                let target = crate::binder::object_name(target)?;
                let columns = self
                    .named
                    .get(&target)
                    .and_then(|s| s.prepared.columns.clone());
                (Vec::new(), columns)
            }
            _ => (
                declared
                    .iter()
                    .map(|t| t.unwrap_or(DataType::Text))
                    .collect(),
                None,
            ),
        };
        let prepare_source = matches!(
            statement,
            Some(Statement::Sql(ast::Statement::Prepare { .. }))
        )
        .then(|| Arc::from(sql));
        let prepared = Arc::new(Prepared {
            prepare_source,
            ..Prepared::new(statement, param_types.clone(), columns.clone())
        });
        if !client_name.is_empty() {
            self.named.insert(
                client_name.to_string(),
                NamedStatement {
                    prepared: prepared.clone(),
                    internal: Some(name.to_string()),
                    source: Arc::from(sql),
                    prepared_at: datetime::clock_now(),
                },
            );
        }
        self.prepared.insert(name.to_string(), prepared);
        Ok(PreparedInfo {
            param_types,
            columns,
        })
    }

    /// How many times prepared statement `name` was bound for execution: once, and again
    /// after each change of the catalog (its plan is cached in between).
    pub fn prepared_binds(&self, name: &str) -> Option<u64> {
        self.prepared
            .get(name)
            .map(|p| p.binds.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Drops a prepared statement (Close).
    pub fn close_prepared(&mut self, name: &str) {
        self.prepared.remove(name);
        self.named.closed(name);
    }

    /// Extended protocol Bind + Execute: runs prepared statement `name` with `params`, which
    /// must already have the described types (see [`crate::types::cast::parse_text`] for
    /// text-format parameters).
    pub fn execute_prepared(&mut self, name: &str, params: &[Value]) -> Result<StatementResult> {
        let p = self.prepared.get(name).cloned().ok_or_else(|| {
            // DEALLOCATE dropped it while the front end still held it.
            let client = self.named.deallocated(name);
            Error::UndefinedPreparedStatement(client.unwrap_or_else(|| name.to_string()))
        })?;
        if params.len() != p.param_types.len() {
            return Err(Error::InvalidParameterValue(format!(
                "bind message supplies {} parameters, but prepared statement \"{name}\" requires {}",
                params.len(),
                p.param_types.len()
            )));
        }
        p.executions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.query_source = p.prepare_source.clone();
        match &p.statement {
            Some(stmt) => {
                // A query or DML statement outside a block opens the batch's implicit
                // transaction, which Sync ends ([`Session::sync`]); other statements run
                // as before (VACUUM, COPY and transaction control keep their own rules).
                if matches!(self.block, Block::Idle) && Self::is_bindable(stmt) {
                    self.open_implicit()?;
                }
                if self.implicit
                    && let Statement::Sql(ast::Statement::StartTransaction { modes, begin, .. }) =
                        stmt
                {
                    // BEGIN after statements of the batch: the implicit block becomes
                    // explicit, as in a multi-statement query string.
                    let tag = if *begin { "BEGIN" } else { "START TRANSACTION" };
                    let r = self
                        .begin_in_implicit(modes, true)
                        .map(|_| StatementResult::command(tag));
                    match r {
                        Ok(_) => self.implicit = false,
                        Err(_) => self.fail_block(),
                    }
                    return r;
                }
                self.executing = Some(p.clone());
                let r = self.run(stmt, params, &p.param_types);
                self.executing = None;
                if matches!(self.block, Block::Idle) {
                    self.implicit = false; // COMMIT / ROLLBACK ended the implicit block
                }
                r
            }
            None => Ok(StatementResult::command("")),
        }
    }

    fn is_bindable(stmt: &Statement) -> bool {
        use ast::Statement as S;
        match stmt {
            Statement::Sql(S::Query(q)) => !crate::ddl::create_table::is_select_into(q),
            Statement::Sql(
                S::Insert(_) | S::Update(_) | S::Delete(_) | S::Merge(_) | S::Explain { .. },
            ) => true,
            _ => false,
        }
    }

    /// The catalog a statement starting now would see: the open transaction's, or the
    /// latest committed one.
    fn statement_catalog(&mut self) -> Result<Arc<Catalog>> {
        match &mut self.block {
            Block::Open { txn: Some(txn), .. } => {
                txn.begin_statement()?;
                let c = txn.catalog();
                txn.end_statement(true);
                c
            }
            _ => {
                let mut txn = self.storage.begin(Isolation::ReadCommitted)?;
                txn.begin_statement()?;
                let c = txn.catalog();
                txn.rollback();
                c
            }
        }
    }

    /// Binds `stmt` against the current catalog to find its parameter and result types.
    fn describe(
        &mut self,
        stmt: &Statement,
        declared: &[Option<DataType>],
    ) -> Result<(Vec<DataType>, Option<Vec<OutputColumn>>)> {
        let Statement::Sql(stmt) = stmt else {
            return Ok((Vec::new(), None));
        };
        // The session's environment first: the search path starts with its temporary
        // schema, which the environment says it made (a Parse after CREATE TEMP TABLE).
        let base = self.statement_env();
        let _base = env::install(base.clone());
        let catalog = self.statement_catalog()?;
        let cenv = self.catalog_env(catalog.clone());
        let path = cenv.search_path.clone();
        let lookup: Arc<dyn ObjectLookup> = cenv.clone();
        let _env = env::install(Arc::new(Env {
            lookup: Some(lookup),
            catalog: Some(cenv),
            ..(*base).clone()
        }));
        let mut binder = Binder::new(catalog, declared.to_vec()).with_search_path(path);
        let bound = binder.bind(stmt)?;
        let types = binder
            .params
            .iter()
            .map(|t| t.unwrap_or(DataType::Text))
            .collect();
        let columns = match bound {
            BoundStatement::Query {
                columns,
                returns_rows: true,
                ..
            } => Some(columns),
            BoundStatement::Explain { .. } => Some(explain_columns()),
            _ => None,
        };
        Ok((types, columns))
    }

    /// An error the front end raised outside a statement's execution (a Parse, Bind or
    /// Describe that failed, a parameter that did not convert) aborts the open block, the
    /// implicit one of an extended-protocol batch too, as a failed statement would.
    pub fn fail_statement(&mut self) {
        self.fail_block();
    }

    /// Puts an open block into the Failed state (after an error).
    fn fail_block(&mut self) {
        if let Block::Open { .. } = self.block
            && let Block::Open {
                txn,
                isolation,
                savepoints,
            } = std::mem::replace(&mut self.block, Block::Idle)
        {
            self.block = Block::Failed {
                txn,
                isolation,
                savepoints,
            };
        }
    }

    /// Runs one statement with the transaction state machine and its environment around it.
    fn run(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        let _env = env::install(self.statement_env());
        // statement_timeout as it is when the statement starts; each statement of a
        // multi-statement query string gets its own, as in PostgreSQL.
        let timeout = self.statement_settings().statement_timeout;
        let _timeout = timeout
            .filter(|&ms| ms > 0)
            .and_then(|ms| crate::interrupt::arm_current(std::time::Duration::from_millis(ms)));
        crate::notice::take(); // nothing of an earlier statement's
        crate::position::clear();
        let mut r = self.run_statement(stmt, params, types);
        let notices = crate::notice::take();
        if let Ok(r) = &mut r {
            let min = self.info.setting("client_min_messages");
            r.notices = notices
                .into_iter()
                .filter(|n| {
                    min.as_deref()
                        .is_none_or(|m| crate::notice::passes(n.severity, m))
                })
                .collect();
        }
        r
    }

    fn run_statement(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        use ast::Statement as S;
        let sql = match stmt {
            Statement::Sql(s) => Some(s),
            _ => None,
        };
        if let Statement::Maintenance(m) = stmt
            && m.vacuum
            && !matches!(self.block, Block::Idle)
        {
            let e = Error::ActiveTransaction("VACUUM cannot run inside a transaction block".into());
            self.fail_block();
            return Err(e);
        }
        if let Some(S::Lock(_)) = sql
            && matches!(self.block, Block::Idle)
        {
            return Err(Error::NoActiveTransaction("LOCK TABLE"));
        }
        match sql {
            None => {}
            Some(stmt) => match stmt {
                S::StartTransaction { modes, begin, .. } => {
                    let tag = if *begin { "BEGIN" } else { "START TRANSACTION" };
                    return self.begin(modes).map(|_| StatementResult::command(tag));
                }
                S::Commit { chain: false, .. } => return self.commit(),
                S::Commit { chain: true, .. } => return self.end_and_chain(true),
                S::Rollback {
                    chain: true,
                    savepoint: None,
                } => return self.end_and_chain(false),
                S::Rollback {
                    chain: false,
                    savepoint: None,
                } => {
                    self.warn_no_block();
                    self.abort();
                    return Ok(StatementResult::command("ROLLBACK"));
                }
                S::Rollback {
                    chain: false,
                    savepoint: Some(name),
                } => return self.rollback_to(&crate::binder::ident(name)),
                _ => {}
            },
        }
        if let Block::Failed { .. } = self.block {
            return Err(Error::InFailedTransaction);
        }
        let read_only = self.transaction_read_only();
        self.info.read_only.store(
            read_only && !self.in_recovery,
            std::sync::atomic::Ordering::Relaxed,
        );
        if read_only
            && !self.in_recovery
            && let Some(what) = read_only::refused_command(stmt)
        {
            self.fail_block();
            return Err(read_only::refusal(&what));
        }
        if let Statement::Copy(c) = stmt {
            return self.run_copy(c);
        }
        if let Statement::Utility(crate::parse::utility::Utility::SetConstraints {
            names,
            deferred,
        }) = stmt
        {
            let r = self.set_constraints(names, *deferred);
            if r.is_err() {
                self.fail_block();
            }
            return r;
        }
        if let Statement::Cursor(c) = stmt {
            let r = self.run_cursor(c, params, types);
            if r.is_err() {
                self.fail_block();
            }
            return r;
        }
        let r = match sql {
            Some(S::Savepoint { name }) => self.savepoint(&crate::binder::ident(name)),
            Some(S::ReleaseSavepoint { name }) => self.release(&crate::binder::ident(name)),
            Some(S::Set(set)) => self.set(set),
            Some(S::ShowVariable { variable }) => self.show(variable),
            Some(S::Reset(reset)) => self.reset(reset),
            // DEALLOCATE drops named statements of both kinds (psycopg sends it after DDL
            // and when its statement cache evicts one).
            Some(S::Deallocate { name, .. }) => self.deallocate_sql(name),
            Some(S::Prepare {
                name,
                data_types,
                statement,
            }) => self.prepare_sql(name, data_types, statement),
            Some(S::Execute {
                name: Some(name),
                parameters,
                immediate: false,
                into,
                using,
                output: false,
                default: false,
                ..
            }) if into.is_empty() && using.is_empty() => self.execute_sql(name, parameters),
            Some(S::Discard { object_type }) => self.discard(object_type),
            Some(S::LISTEN { .. } | S::UNLISTEN { .. } | S::NOTIFY { .. }) => {
                self.listen_notify(sql.expect("matched"))
            }
            _ => self
                .run_dml_or_ddl(stmt, params, types)
                .and_then(|r| self.note_on_commit(stmt).map(|()| r)),
        };
        if r.is_err() {
            self.fail_block();
        }
        r
    }

    /// Runs `stmt` in `txn` (its statement begun) with the statement's catalog
    /// environment installed.
    fn run_with_env(
        &mut self,
        txn: &mut Tracked<S::Txn>,
        stmt: &Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        let setup = self.statement_setup(txn.catalog()?);
        let counts = setup.env.catalog.as_ref().map(|c| c.counts.clone());
        let _env = env::install(setup.env);
        let r = run_in_txn(txn, stmt, params, types, &setup.opts, &setup.path);
        if let Some(counts) = counts {
            self.table_counts.statement_done(counts.take());
        }
        r
    }

    /// What a statement runs with over `catalog`: its options (work_mem, the prepared
    /// statement executing), search path and catalog environment. The environment is kept,
    /// without the catalog, for formatting the rows (`regclass` output).
    pub(super) fn statement_setup(&mut self, catalog: Arc<Catalog>) -> StatementSetup {
        let opts = StatementOptions {
            work_mem: self.statement_settings().work_mem,
            prepared: self.executing.clone(),
        };
        let cenv = self.catalog_env(catalog);
        let path = cenv.search_path.clone();
        let lookup: Arc<dyn ObjectLookup> = cenv.clone();
        let env = Arc::new(Env {
            lookup: Some(lookup),
            catalog: Some(cenv),
            ..(*env::current()).clone()
        });
        self.last_env = Arc::new(Env {
            catalog: None,
            ..(*env).clone()
        });
        StatementSetup { opts, path, env }
    }

    /// A transaction block begins: settings, and who the session is (SET ROLE, SET SESSION
    /// AUTHORIZATION), are restored if it does not commit.
    fn txn_began(&mut self) {
        self.info.settings().begin();
        self.user_at_begin = Some((self.user.clone(), self.info.user.clone()));
        self.start_access_mode();
        self.note_isolation();
    }

    /// Keeps the open block's isolation level in the transaction-local
    /// `transaction_isolation`, which `current_setting` reads.
    fn note_isolation(&mut self) {
        if let Block::Open { isolation, .. } = &self.block {
            let level = isolation.name();
            let _ = self
                .info
                .settings()
                .set_local_unless_same("transaction_isolation", level);
        }
    }

    /// The transaction ended: its transaction-level advisory locks go.
    fn release_xact_advisory(&self) {
        if self
            .info
            .advisory_xact
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            self.storage
                .services()
                .advisory_release(self.info.backend_pid, true);
        }
    }

    /// The transaction ended with a commit: its settings and row counts take effect.
    fn txn_committed(&mut self) {
        self.end_cursors(true);
        self.release_xact_advisory();
        self.roles_at_savepoints.clear();
        let began = self.user_at_begin.take();
        if std::mem::take(&mut self.role_is_local)
            && let Some((user, session_user)) = began
        {
            if session_user != self.info.user {
                let (database, pid) = (self.info.database.clone(), self.info.backend_pid);
                self.become_session_user(&session_user, &database, pid);
            }
            self.user = user;
        }
        self.info.settings().commit();
        self.info.deferred.clear();
        self.table_counts.ended(true);
        crate::expr::functions::system::transaction_ended(&self.info, true);
        self.info.notify.committed(self.info.backend_pid);
    }

    /// The transaction ended without a commit.
    fn txn_aborted(&mut self) {
        crate::expr::functions::system::transaction_ended(&self.info, false);
        self.end_cursors(false);
        self.forget_on_commit();
        self.release_xact_advisory();
        self.roles_at_savepoints.clear();
        self.info.settings().abort();
        self.info.deferred.clear();
        self.info.notify.aborted();
        // A rolled-back SET ROLE / SET SESSION AUTHORIZATION is undone, as in PostgreSQL.
        self.role_is_local = false;
        if let Some((user, session_user)) = self.user_at_begin.take() {
            if session_user != self.info.user {
                let (database, pid) = (self.info.database.clone(), self.info.backend_pid);
                self.become_session_user(&session_user, &database, pid);
            }
            self.user = user;
        }
        self.table_counts.ended(false);
    }

    /// `strata.wait_lsn` (read-your-writes on a read replica): waits, at most
    /// `strata.wait_lsn_timeout`, until the server has applied the WAL up to it, before the
    /// statement takes its snapshot. The same wait, and error, as `strata_wait_lsn()`.
    fn wait_for_lsn_setting(&mut self) -> Result<()> {
        let (lsn, ms) = {
            let settings = self.info.settings();
            let lsn = settings
                .get("strata.wait_lsn")
                .and_then(|v| crate::storage::parse_lsn(&v))
                .filter(|&lsn| lsn > 0);
            let ms = settings
                .millis("strata.wait_lsn_timeout")
                .unwrap_or(crate::expr::catalog_functions::DEFAULT_WAIT_LSN_MS);
            (lsn, ms)
        };
        let Some(lsn) = lsn else {
            return Ok(());
        };
        self.storage
            .services()
            .wait_for_lsn(lsn, std::time::Duration::from_millis(ms))
            .map(|_| ())
    }

    fn run_dml_or_ddl(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        self.wait_for_lsn_setting()?;
        let mut block = std::mem::replace(&mut self.block, Block::Idle);
        let r = match &mut block {
            Block::Open { txn, isolation, .. } => {
                if txn.is_none() {
                    match begin_txn(&self.storage, *isolation) {
                        Ok(t) => *txn = Some(t),
                        Err(e) => {
                            self.block = block;
                            return Err(e);
                        }
                    }
                }
                let txn = txn.as_mut().expect("started above");
                // A function's statements advance the statement number: roll back to here.
                let start = txn.savepoint();
                let r = match txn.begin_statement() {
                    Ok(()) => self.run_with_env(txn, stmt, params, types),
                    Err(e) => Err(e),
                };
                txn.end_statement(r.is_ok());
                if r.is_err() {
                    // The statement failed already; the block is then failed either way.
                    let _ = txn.rollback_to(start);
                }
                r
            }
            Block::Idle if procedures::is_non_atomic(stmt) => {
                self.run_non_atomic(stmt, params, types)
            }
            Block::Idle => {
                let mut txn = begin_txn(&self.storage, self.default_isolation()?)?;
                txn.begin_statement()?;
                let r = self.run_with_env(&mut txn, stmt, params, types);
                txn.end_statement(r.is_ok());
                self.end_single(txn, r)
            }
            Block::Failed { .. } => Err(Error::InFailedTransaction),
        };
        self.block = block;
        r
    }

    /// Ends the transaction of a statement run outside a block (`r`, its outcome): commits
    /// it after its deferred foreign key checks, or rolls it back.
    fn end_single(
        &mut self,
        mut txn: Tracked<S::Txn>,
        r: Result<StatementResult>,
    ) -> Result<StatementResult> {
        // Deferred foreign key checks run at the end of the statement, its commit.
        let r = match r {
            Ok(res) => self.check_deferred_in(&mut txn).map(|()| res),
            Err(e) => {
                self.info.deferred.clear();
                Err(e)
            }
        };
        let r = match r {
            Ok(res) => txn.commit().map(|()| res),
            Err(e) => {
                txn.rollback();
                Err(e)
            }
        };
        // A single-statement transaction: only its row counts, advisory locks,
        // transaction id and notifications (`pg_notify`) settle here.
        self.table_counts.ended(r.is_ok());
        crate::expr::functions::system::transaction_ended(&self.info, r.is_ok());
        self.release_xact_advisory();
        // cursors a function opened (PL/pgSQL's OPEN) go with the transaction
        self.end_cursors(r.is_ok());
        if r.is_ok() {
            self.info.notify.committed(self.info.backend_pid);
        } else {
            self.info.notify.aborted();
        }
        r
    }

    fn begin(&mut self, modes: &[ast::TransactionMode]) -> Result<StatementResult> {
        let iso = isolation_of(modes)?;
        if let Block::Idle = self.block {
            let isolation = match iso {
                Some(i) => i,
                None => self.default_isolation()?,
            };
            self.block = Block::Open {
                txn: None,
                isolation,
                savepoints: Vec::new(),
            };
            self.txn_began();
            if let Some(read_only) = Self::access_mode_of(modes) {
                self.set_access_mode(read_only)?;
            }
        } else {
            crate::notice::emit(crate::notice::Notice::warning(
                "25001",
                "there is already a transaction in progress",
            ));
        }
        Ok(StatementResult::command("BEGIN"))
    }

    /// `BEGIN` among the statements of an implicit block, which becomes an explicit one:
    /// its isolation level applies unless a statement already took the snapshot (`queried`
    /// or an open storage transaction; then a different level is 25001, as in PostgreSQL).
    fn begin_in_implicit(
        &mut self,
        modes: &[ast::TransactionMode],
        queried: bool,
    ) -> Result<StatementResult> {
        if let Some(iso) = isolation_of(modes)?
            && let Block::Open { txn, isolation, .. } = &mut self.block
            && *isolation != iso
        {
            if queried || txn.is_some() {
                return Err(Error::ActiveTransaction(
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query".into(),
                ));
            }
            *isolation = iso;
            self.note_isolation();
        }
        if let Some(read_only) = Self::access_mode_of(modes) {
            if !read_only && queried && self.transaction_read_only() {
                return Err(Error::ActiveTransaction(
                    "transaction read-write mode must be set before any query".into(),
                ));
            }
            self.set_access_mode(read_only)?;
        }
        Ok(StatementResult::command("BEGIN"))
    }

    fn commit(&mut self) -> Result<StatementResult> {
        self.warn_no_block();
        // Deferred checks first (as PostgreSQL fires deferred triggers before ON COMMIT
        // actions); a violation rolls the transaction back and is COMMIT's error.
        if let Block::Open { .. } = self.block
            && let Err(e) = self.check_deferred(true)
        {
            self.abort();
            return Err(e);
        }
        if let Block::Open { .. } = self.block
            && !self.on_commit.is_empty()
        {
            self.before_commit()?;
        }
        match std::mem::replace(&mut self.block, Block::Idle) {
            Block::Idle => Ok(StatementResult::command("COMMIT")),
            Block::Open { txn, .. } => {
                if let Some(txn) = txn
                    && let Err(e) = txn.commit()
                {
                    self.txn_aborted();
                    return Err(e);
                }
                self.txn_committed();
                Ok(StatementResult::command("COMMIT"))
            }
            Block::Failed { txn, .. } => {
                if let Some(txn) = txn {
                    txn.rollback();
                }
                self.txn_aborted();
                Ok(StatementResult::command("ROLLBACK"))
            }
        }
    }

    /// PostgreSQL's WARNING for COMMIT or ROLLBACK with no block the client began (none, or
    /// only the implicit one of a multi-statement query string).
    fn warn_no_block(&self) {
        if matches!(self.block, Block::Idle) || self.implicit {
            crate::notice::emit(crate::notice::Notice::warning(
                "25P01",
                "there is no transaction in progress",
            ));
        }
    }

    fn abort(&mut self) {
        match std::mem::replace(&mut self.block, Block::Idle) {
            Block::Open { txn: Some(txn), .. } | Block::Failed { txn: Some(txn), .. } => {
                txn.rollback()
            }
            _ => {}
        }
        self.txn_aborted();
    }

    fn savepoint(&mut self, name: &str) -> Result<StatementResult> {
        let Block::Open {
            txn,
            isolation,
            savepoints,
        } = &mut self.block
        else {
            return Err(Error::NoActiveTransaction("SAVEPOINT"));
        };
        if txn.is_none() {
            *txn = Some(begin_txn(&self.storage, *isolation)?);
        }
        let id = txn.as_mut().expect("started above").savepoint();
        savepoints.push((name.to_string(), id));
        self.info.settings().savepoint();
        self.info.notify.savepoint();
        self.info.deferred.savepoint();
        self.roles_at_savepoints
            .push((self.user.clone(), self.info.user.clone()));
        Ok(StatementResult::command("SAVEPOINT"))
    }

    fn rollback_to(&mut self, name: &str) -> Result<StatementResult> {
        let (txn, isolation, mut savepoints) = match std::mem::replace(&mut self.block, Block::Idle)
        {
            Block::Idle => return Err(Error::NoActiveTransaction("ROLLBACK TO SAVEPOINT")),
            Block::Open {
                txn,
                isolation,
                savepoints,
            }
            | Block::Failed {
                txn,
                isolation,
                savepoints,
            } => (txn, isolation, savepoints),
        };
        let Some(pos) = savepoints.iter().rposition(|(n, _)| n == name) else {
            self.block = Block::Failed {
                txn,
                isolation,
                savepoints,
            };
            return Err(Error::UndefinedSavepoint(name.to_string()));
        };
        savepoints.truncate(pos + 1);
        self.info.settings().rollback_to(pos);
        self.info.notify.rollback_to(pos);
        self.info.deferred.rollback_to(pos);
        self.info.cursors.lock().rollback_to(pos);
        self.roles_at_savepoints.truncate(pos + 1);
        if let Some((user, session_user)) = self.roles_at_savepoints.get(pos).cloned() {
            // SET ROLE / SET SESSION AUTHORIZATION since the savepoint are undone.
            if session_user != self.info.user {
                let (database, pid) = (self.info.database.clone(), self.info.backend_pid);
                self.become_session_user(&session_user, &database, pid);
            }
            self.user = user;
        }
        let mut txn = txn;
        if let Some(t) = txn.as_mut() {
            t.rollback_to(savepoints[pos].1)?;
        }
        self.block = Block::Open {
            txn,
            isolation,
            savepoints,
        };
        Ok(StatementResult::command("ROLLBACK"))
    }

    fn release(&mut self, name: &str) -> Result<StatementResult> {
        let Block::Open { savepoints, .. } = &mut self.block else {
            return Err(Error::NoActiveTransaction("RELEASE SAVEPOINT"));
        };
        let pos = savepoints
            .iter()
            .rposition(|(n, _)| n == name)
            .ok_or_else(|| Error::UndefinedSavepoint(name.to_string()))?;
        savepoints.truncate(pos);
        self.info.settings().release(pos);
        self.info.notify.release(pos);
        self.info.deferred.release(pos);
        self.info.cursors.lock().release(pos);
        self.roles_at_savepoints.truncate(pos);
        Ok(StatementResult::command("RELEASE"))
    }
}
