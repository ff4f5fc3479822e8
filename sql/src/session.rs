//! [`Session`]: one client connection's SQL state — the transaction block state machine,
//! session settings and prepared statements — and the entry points the pgwire front end
//! calls: [`Session::execute`] (simple protocol) and [`Session::prepare`] /
//! [`Session::execute_prepared`] (extended protocol).
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
//! back, tag `ROLLBACK`) fails with 25P02. SERIALIZABLE is refused with 0A000.

use crate::binder::{Binder, BoundStatement, CommandKind, OutputColumn};
use crate::env::{self, Env, SessionInfo};
use crate::executor::{self, Context};
use crate::planner;
use crate::result::StatementResult;
use crate::storage::Catalog;
use crate::storage::{Isolation, Storage, Txn};
use crate::types::datetime::{self, zone::Zone};
use crate::types::oid::ObjectLookup;
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;
use std::collections::BTreeMap;
use std::sync::Arc;

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
    statement: Option<ast::Statement>,
    param_types: Vec<DataType>,
    /// The result columns described at Parse (a re-plan may not change them).
    columns: Option<Vec<OutputColumn>>,
    /// The bound and optimized statement, and the catalog it was bound against.
    plan: std::sync::Mutex<Option<(Arc<Catalog>, BoundStatement)>>,
    /// How many times the statement was bound (Parse's describe not counted).
    binds: std::sync::atomic::AtomicU64,
}

impl Prepared {
    /// The plan for `catalog`: the cached one while the catalog is unchanged (the same
    /// snapshot, or equal contents), else bound and optimized anew. A new plan may not change
    /// the result columns (PostgreSQL's 0A000 "cached plan must not change result type").
    fn plan(
        &self,
        catalog: &Arc<Catalog>,
        stmt: &ast::Statement,
        types: &[DataType],
    ) -> Result<BoundStatement> {
        let mut cached = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((c, bound)) = cached.as_ref()
            && (Arc::ptr_eq(c, catalog) || **c == **catalog)
        {
            return Ok(bound.clone());
        }
        let bound = bind_and_plan(catalog, stmt, types)?;
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
        *cached = Some((catalog.clone(), bound.clone()));
        Ok(bound)
    }
}

/// Binds `stmt` against `catalog` and optimizes its plan.
fn bind_and_plan(
    catalog: &Arc<Catalog>,
    stmt: &ast::Statement,
    types: &[DataType],
) -> Result<BoundStatement> {
    let mut binder = Binder::new(catalog.clone(), types.iter().map(|t| Some(*t)).collect());
    Ok(match binder.bind(stmt)? {
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
        other => other,
    })
}

/// What one statement's execution takes from the session besides its text and parameters.
struct StatementOptions {
    /// Bytes per sort / hash / aggregate (`work_mem`).
    work_mem: usize,
    /// The prepared statement being executed, whose plan cache to use.
    prepared: Option<Arc<Prepared>>,
}

/// The description of a prepared statement (ParameterDescription + RowDescription).
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedInfo {
    pub param_types: Vec<DataType>,
    /// `None` when the statement returns no rows.
    pub columns: Option<Vec<OutputColumn>>,
}

/// Session settings accepted by SET and reported by SHOW.
const SETTINGS: &[(&str, &str)] = &[
    ("application_name", ""),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    ("default_transaction_isolation", "read committed"),
    ("extra_float_digits", "1"),
    ("integer_datetimes", "on"),
    ("intervalstyle", "postgres"),
    ("lc_collate", "C"),
    ("lc_ctype", "C"),
    ("max_identifier_length", "63"),
    ("search_path", "\"$user\", public"),
    ("server_encoding", "UTF8"),
    ("server_version", "15.0"),
    ("server_version_num", "150000"),
    ("standard_conforming_strings", "on"),
    ("statement_timeout", "0"),
    ("timezone", "UTC"),
    // PostgreSQL's default is 4MB, past which it spills to disk; Strata fails with 53200
    // instead (see `executor::memory`), so it allows more.
    ("work_mem", "64MB"),
];

/// One client session over a storage engine. See the module docs.
pub struct Session<S: Storage> {
    storage: S,
    block: Block<S::Txn>,
    /// Shared, so executing one does not copy its syntax tree.
    prepared: BTreeMap<String, Arc<Prepared>>,
    /// Identity and settings, shared with the functions that read them.
    info: Arc<SessionInfo>,
    /// The prepared statement `execute_prepared` is running (its plan cache is used).
    executing: Option<Arc<Prepared>>,
    /// The open block is the implicit one of a multi-statement simple query.
    implicit: bool,
    /// The `TimeZone` setting.
    time_zone: Zone,
    /// When the current transaction started (`now()`); reset when no block is open.
    txn_start: Option<i64>,
    /// The environment of the last statement (see [`Session::env`]).
    last_env: Arc<Env>,
}

fn parse(sql: &str) -> Result<Vec<ast::Statement>> {
    crate::parse::statements(sql)
}

fn isolation_of(modes: &[ast::TransactionMode]) -> Result<Option<Isolation>> {
    let mut iso = None;
    for m in modes {
        if let ast::TransactionMode::IsolationLevel(level) = m {
            iso = Some(match level {
                ast::TransactionIsolationLevel::ReadUncommitted
                | ast::TransactionIsolationLevel::ReadCommitted => Isolation::ReadCommitted,
                ast::TransactionIsolationLevel::RepeatableRead => Isolation::RepeatableRead,
                _ => {
                    return Err(Error::unsupported(
                        "SERIALIZABLE isolation level is not supported yet",
                    ));
                }
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

/// Runs one bound-and-planned statement inside `txn`.
#[allow(clippy::too_many_arguments)]
fn run_in_txn<T: Txn>(
    txn: &mut T,
    stmt: &ast::Statement,
    params: &[Value],
    types: &[DataType],
    opts: &StatementOptions,
    lookup: &mut Option<Arc<dyn ObjectLookup>>,
) -> Result<StatementResult> {
    let catalog = txn.catalog()?;
    let objects: Arc<dyn ObjectLookup> = catalog.clone();
    *lookup = Some(objects.clone());
    let _env = env::install(Arc::new(Env {
        lookup: Some(objects),
        ..(*env::current()).clone()
    }));
    let work_mem = opts.work_mem;
    let bound = match &opts.prepared {
        Some(p) => p.plan(&catalog, stmt, types)?,
        None => bind_and_plan(&catalog, stmt, types)?,
    };
    match bound {
        BoundStatement::Explain { analyze, query } => {
            let BoundStatement::Query { plan, .. } = *query else {
                return Err(Error::Internal("EXPLAIN of a non-query".into()));
            };
            let lines = if analyze {
                let mut counters = Vec::new();
                let mut op = executor::build_counted(&plan, &mut counters);
                let mut ctx = Context::new(txn, params).with_work_mem(work_mem);
                executor::collect(op.as_mut(), &mut ctx)?;
                let counts: Vec<u64> = counters.iter().map(|c| c.get()).collect();
                planner::explain::explain(&plan, Some(&counts))
            } else {
                planner::explain::explain(&plan, None)
            };
            Ok(StatementResult {
                tag: "EXPLAIN".into(),
                columns: Some(explain_columns()),
                rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
            })
        }
        BoundStatement::Query {
            kind,
            plan,
            columns,
            returns_rows,
        } => {
            let mut op = executor::build(&plan);
            let mut ctx = Context::new(txn, params).with_work_mem(work_mem);
            let tuples = executor::collect(op.as_mut(), &mut ctx)?;
            let n = tuples.len();
            let tag = match kind {
                CommandKind::Select => format!("SELECT {n}"),
                CommandKind::Insert => format!("INSERT 0 {n}"),
                CommandKind::Update => format!("UPDATE {n}"),
                CommandKind::Delete => format!("DELETE {n}"),
            };
            if returns_rows {
                Ok(StatementResult {
                    tag,
                    columns: Some(columns),
                    rows: tuples.into_iter().map(|t| t.row).collect(),
                })
            } else {
                Ok(StatementResult::command(tag))
            }
        }
        BoundStatement::CreateTable { def, if_not_exists } => {
            if catalog.relation_exists(&def.name) && if_not_exists {
                return Ok(StatementResult::command("CREATE TABLE"));
            }
            txn.create_table(def)?;
            Ok(StatementResult::command("CREATE TABLE"))
        }
        BoundStatement::DropTable { names, if_exists } => {
            let mut ids = Vec::new();
            for n in &names {
                match catalog.table(n) {
                    Some(t) => ids.push(t.id),
                    None if if_exists => {}
                    None => return Err(Error::UndefinedTable(n.clone())),
                }
            }
            for id in ids {
                txn.drop_table(id)?;
            }
            Ok(StatementResult::command("DROP TABLE"))
        }
        BoundStatement::CreateIndex {
            table,
            index,
            if_not_exists,
        } => {
            if catalog.relation_exists(&index.name) && if_not_exists {
                return Ok(StatementResult::command("CREATE INDEX"));
            }
            let id = catalog
                .table(&table)
                .ok_or(Error::UndefinedTable(table))?
                .id;
            txn.create_index(id, index)?;
            Ok(StatementResult::command("CREATE INDEX"))
        }
        BoundStatement::DropIndex { names, if_exists } => {
            for n in &names {
                if catalog.index_table(n).is_some() {
                    txn.drop_index(n)?;
                } else if !if_exists {
                    return Err(Error::UndefinedObject(format!(
                        "index \"{n}\" does not exist"
                    )));
                }
            }
            Ok(StatementResult::command("DROP INDEX"))
        }
    }
}

impl<S: Storage> Session<S> {
    pub fn new(storage: S) -> Self {
        let settings = SETTINGS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Session {
            storage,
            block: Block::Idle,
            prepared: BTreeMap::new(),
            info: Arc::new(SessionInfo::new(
                "postgres",
                "postgres",
                std::process::id() as i32,
                settings,
            )),
            executing: None,
            implicit: false,
            time_zone: Zone::utc(),
            txn_start: None,
            last_env: Arc::new(Env::default()),
        }
    }

    /// Sets who the session is (the front end calls this after authentication): what
    /// `current_user`, `current_database()` and `pg_backend_pid()` return.
    pub fn identify(&mut self, user: &str, database: &str, backend_pid: i32) {
        self.info = Arc::new(SessionInfo::new(
            user,
            database,
            backend_pid,
            self.info.settings(),
        ));
    }

    /// The environment the last statement ran in (time zone, timestamps, catalog lookup):
    /// install it ([`env::install`]) while formatting that statement's rows as text.
    pub fn env(&self) -> Arc<Env> {
        Arc::new(Env {
            time_zone: self.time_zone.clone(),
            ..(*self.last_env).clone()
        })
    }

    /// Starts a statement's environment: the statement's start time, and the transaction's
    /// (the statement's own outside a block).
    fn statement_env(&mut self) -> Arc<Env> {
        let now = datetime::clock_now();
        if matches!(self.block, Block::Idle) {
            self.txn_start = None;
        }
        let transaction_start = *self.txn_start.get_or_insert(now);
        // `set_config('TimeZone', ...)` in an earlier statement changed the setting only.
        if let Some(tz) = self.info.setting("timezone")
            && tz != self.time_zone.name()
            && let Ok(zone) = Zone::parse(&tz)
        {
            self.time_zone = zone;
        }
        let env = Arc::new(Env {
            time_zone: self.time_zone.clone(),
            transaction_start,
            statement_start: now,
            lookup: self.last_env.lookup.clone(),
            session: self.info.clone(),
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
            Some("serializable") => Err(Error::unsupported(
                "SERIALIZABLE isolation level is not supported yet",
            )),
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
        if statements.len() > 1 && matches!(self.block, Block::Idle) {
            match self.default_isolation() {
                Ok(isolation) => {
                    self.block = Block::Open {
                        txn: None,
                        isolation,
                        savepoints: Vec::new(),
                    };
                    self.implicit = true;
                    self.txn_start = None;
                }
                Err(e) => return vec![Err(e)],
            }
        }
        let mut out = Vec::new();
        for stmt in &statements {
            if matches!(stmt, ast::Statement::StartTransaction { .. }) && self.implicit {
                self.implicit = false;
                out.push(Ok(StatementResult::command("BEGIN")));
                continue;
            }
            let r = self.run(stmt, &[], &[]);
            if matches!(self.block, Block::Idle) {
                self.implicit = false; // COMMIT / ROLLBACK ended the implicit block
            }
            let failed = r.is_err();
            out.push(r);
            if failed {
                break;
            }
        }
        if std::mem::take(&mut self.implicit) {
            match std::mem::replace(&mut self.block, Block::Idle) {
                Block::Open { txn: Some(txn), .. } => {
                    if let Err(e) = txn.commit() {
                        out.push(Err(e));
                    }
                }
                Block::Failed { txn: Some(txn), .. } => txn.rollback(),
                _ => {}
            }
        }
        out
    }

    /// Extended protocol Parse: stores `sql` (at most one statement) under `name` (the
    /// unnamed statement is `""` and is replaced freely) and describes it.
    pub fn prepare(
        &mut self,
        name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> Result<PreparedInfo> {
        if !name.is_empty() && self.prepared.contains_key(name) {
            return Err(Error::DuplicatePreparedStatement(name.to_string()));
        }
        if let Block::Failed { .. } = self.block {
            return Err(Error::InFailedTransaction);
        }
        let mut statements = parse(sql)?;
        if statements.len() > 1 {
            return Err(Error::SyntaxError(
                "cannot insert multiple commands into a prepared statement".into(),
            ));
        }
        let statement = statements.pop();
        let (param_types, columns) = match &statement {
            Some(stmt) if Self::is_bindable(stmt) => self.describe(stmt, declared)?,
            _ => (
                declared
                    .iter()
                    .map(|t| t.unwrap_or(DataType::Text))
                    .collect(),
                None,
            ),
        };
        self.prepared.insert(
            name.to_string(),
            Arc::new(Prepared {
                statement,
                param_types: param_types.clone(),
                columns: columns.clone(),
                plan: std::sync::Mutex::new(None),
                binds: std::sync::atomic::AtomicU64::new(0),
            }),
        );
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
    }

    /// Extended protocol Bind + Execute: runs prepared statement `name` with `params`, which
    /// must already have the described types (see [`crate::types::cast::parse_text`] for
    /// text-format parameters).
    pub fn execute_prepared(&mut self, name: &str, params: &[Value]) -> Result<StatementResult> {
        let p = self
            .prepared
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UndefinedPreparedStatement(name.to_string()))?;
        if params.len() != p.param_types.len() {
            return Err(Error::InvalidParameterValue(format!(
                "bind message supplies {} parameters, but prepared statement \"{name}\" requires {}",
                params.len(),
                p.param_types.len()
            )));
        }
        match &p.statement {
            Some(stmt) => {
                self.executing = Some(p.clone());
                let r = self.run(stmt, params, &p.param_types);
                self.executing = None;
                r
            }
            None => Ok(StatementResult::command("")),
        }
    }

    fn is_bindable(stmt: &ast::Statement) -> bool {
        use ast::Statement as S;
        matches!(
            stmt,
            S::Query(_) | S::Insert(_) | S::Update(_) | S::Delete(_) | S::Explain { .. }
        )
    }

    /// Binds `stmt` against the current catalog to find its parameter and result types.
    fn describe(
        &mut self,
        stmt: &ast::Statement,
        declared: &[Option<DataType>],
    ) -> Result<(Vec<DataType>, Option<Vec<OutputColumn>>)> {
        let catalog = match &mut self.block {
            Block::Open { txn: Some(txn), .. } => {
                txn.begin_statement()?;
                let c = txn.catalog();
                txn.end_statement(true);
                c?
            }
            _ => {
                let mut txn = self.storage.begin(Isolation::ReadCommitted)?;
                txn.begin_statement()?;
                let c = txn.catalog();
                txn.rollback();
                c?
            }
        };
        let objects: Arc<dyn ObjectLookup> = catalog.clone();
        let _env = env::install(Arc::new(Env {
            lookup: Some(objects),
            ..(*self.statement_env()).clone()
        }));
        let mut binder = Binder::new(catalog, declared.to_vec());
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
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        let _env = env::install(self.statement_env());
        self.run_statement(stmt, params, types)
    }

    fn run_statement(
        &mut self,
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        use ast::Statement as S;
        match stmt {
            S::StartTransaction { modes, .. } => return self.begin(modes),
            S::Commit { chain: false, .. } => return self.commit(),
            S::Rollback {
                chain: false,
                savepoint: None,
            } => {
                self.abort();
                return Ok(StatementResult::command("ROLLBACK"));
            }
            S::Rollback {
                chain: false,
                savepoint: Some(name),
            } => return self.rollback_to(&crate::binder::ident(name)),
            _ => {}
        }
        if let Block::Failed { .. } = self.block {
            return Err(Error::InFailedTransaction);
        }
        let r = match stmt {
            S::Savepoint { name } => self.savepoint(&crate::binder::ident(name)),
            S::ReleaseSavepoint { name } => self.release(&crate::binder::ident(name)),
            S::Set(set) => self.set(set),
            S::ShowVariable { variable } => self.show(variable),
            _ => self.run_dml_or_ddl(stmt, params, types),
        };
        if r.is_err() {
            self.fail_block();
        }
        r
    }

    fn run_dml_or_ddl(
        &mut self,
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        let opts = StatementOptions {
            work_mem: self
                .info
                .setting("work_mem")
                .and_then(|v| executor::memory::parse_memory(&v))
                .unwrap_or(executor::memory::DEFAULT_WORK_MEM),
            prepared: self.executing.clone(),
        };
        match &mut self.block {
            Block::Open { txn, isolation, .. } => {
                if txn.is_none() {
                    *txn = Some(self.storage.begin(*isolation)?);
                }
                let txn = txn.as_mut().expect("started above");
                txn.begin_statement()?;
                let mut lookup = None;
                let r = run_in_txn(txn, stmt, params, types, &opts, &mut lookup);
                txn.end_statement(r.is_ok());
                self.remember_lookup(lookup);
                r
            }
            Block::Idle => {
                let mut txn = self.storage.begin(self.default_isolation()?)?;
                txn.begin_statement()?;
                let mut lookup = None;
                let r = run_in_txn(&mut txn, stmt, params, types, &opts, &mut lookup);
                txn.end_statement(r.is_ok());
                self.remember_lookup(lookup);
                match r {
                    Ok(res) => txn.commit().map(|()| res),
                    Err(e) => {
                        txn.rollback();
                        Err(e)
                    }
                }
            }
            Block::Failed { .. } => Err(Error::InFailedTransaction),
        }
    }

    /// Keeps the catalog lookup of the statement that just ran, for formatting its rows.
    fn remember_lookup(&mut self, lookup: Option<Arc<dyn ObjectLookup>>) {
        if lookup.is_some() {
            self.last_env = Arc::new(Env {
                lookup,
                ..(*self.last_env).clone()
            });
        }
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
        }
        // Inside a block PostgreSQL only warns "there is already a transaction in progress".
        Ok(StatementResult::command("BEGIN"))
    }

    fn commit(&mut self) -> Result<StatementResult> {
        match std::mem::replace(&mut self.block, Block::Idle) {
            Block::Idle => Ok(StatementResult::command("COMMIT")),
            Block::Open { txn, .. } => {
                if let Some(txn) = txn {
                    txn.commit()?;
                }
                Ok(StatementResult::command("COMMIT"))
            }
            Block::Failed { txn, .. } => {
                if let Some(txn) = txn {
                    txn.rollback();
                }
                Ok(StatementResult::command("ROLLBACK"))
            }
        }
    }

    fn abort(&mut self) {
        match std::mem::replace(&mut self.block, Block::Idle) {
            Block::Open { txn: Some(txn), .. } | Block::Failed { txn: Some(txn), .. } => {
                txn.rollback()
            }
            _ => {}
        }
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
            *txn = Some(self.storage.begin(*isolation)?);
        }
        let id = txn.as_mut().expect("started above").savepoint();
        savepoints.push((name.to_string(), id));
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
        Ok(StatementResult::command("RELEASE"))
    }

    fn set(&mut self, set: &ast::Set) -> Result<StatementResult> {
        match set {
            ast::Set::SingleAssignment {
                variable, values, ..
            } => {
                let name = crate::binder::object_name(variable)?;
                if self.info.setting(&name).is_none() {
                    return Err(Error::UndefinedParameter(name));
                }
                if name == "timezone"
                    && let [value] = values.as_slice()
                {
                    return self.set_time_zone(value);
                }
                let value = values
                    .iter()
                    .map(|v| match v {
                        ast::Expr::Value(ast::ValueWithSpan {
                            value: ast::Value::SingleQuotedString(s),
                            ..
                        }) => s.clone(),
                        ast::Expr::Identifier(i) => i.value.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let value = if name == "default_transaction_isolation" {
                    value.to_lowercase()
                } else {
                    value
                };
                if name == "default_transaction_isolation"
                    && ![
                        "read committed",
                        "read uncommitted",
                        "repeatable read",
                        "serializable",
                    ]
                    .contains(&value.as_str())
                {
                    return Err(Error::InvalidParameterValue(format!(
                        "invalid value for parameter \"default_transaction_isolation\": \"{value}\""
                    )));
                }
                if name == "work_mem" && executor::memory::parse_memory(&value).is_none() {
                    return Err(Error::InvalidParameterValue(format!(
                        "invalid value for parameter \"work_mem\": \"{value}\""
                    )));
                }
                self.info.set(&name, value);
                Ok(StatementResult::command("SET"))
            }
            ast::Set::SetTimeZone { value, .. } => self.set_time_zone(value),
            ast::Set::SetTransaction {
                modes,
                snapshot: None,
                session: false,
            } => {
                let iso = isolation_of(modes)?;
                match &mut self.block {
                    Block::Open {
                        txn: None,
                        isolation,
                        ..
                    } => {
                        if let Some(i) = iso {
                            *isolation = i;
                        }
                        Ok(StatementResult::command("SET"))
                    }
                    Block::Open { .. } => Err(Error::ActiveTransaction(
                        "SET TRANSACTION ISOLATION LEVEL must be called before any query".into(),
                    )),
                    _ => Ok(StatementResult::command("SET")),
                }
            }
            other => Err(Error::unsupported(format!("{other} is not supported yet"))),
        }
    }

    /// `SET TIME ZONE x` / `SET timezone = x`: a zone name, a POSIX specification, a number
    /// of hours, an interval, or LOCAL / DEFAULT (UTC, the server's zone).
    fn set_time_zone(&mut self, value: &ast::Expr) -> Result<StatementResult> {
        let zone = match value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) if s.eq_ignore_ascii_case("default") => {
                    Zone::utc()
                }
                ast::Value::SingleQuotedString(s) => Zone::parse(s)?,
                ast::Value::Number(n, _) => Zone::parse(n)?,
                other => Zone::parse(&other.to_string())?,
            },
            ast::Expr::Identifier(i)
                if i.value.eq_ignore_ascii_case("local")
                    || i.value.eq_ignore_ascii_case("default") =>
            {
                Zone::utc()
            }
            ast::Expr::Identifier(i) => Zone::parse(&i.value)?,
            ast::Expr::UnaryOp {
                op: ast::UnaryOperator::Minus,
                expr,
            } => Zone::parse(&format!("-{expr}"))?,
            ast::Expr::Interval(iv) => {
                let text = match iv.value.as_ref() {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => s.clone(),
                        other => other.to_string(),
                    },
                    other => other.to_string(),
                };
                let iv = crate::types::Interval::parse(&text)?;
                if iv.months != 0 || iv.days != 0 {
                    return Err(Error::InvalidParameterValue(format!(
                        "invalid interval value for time zone: {text}"
                    )));
                }
                Zone::fixed((iv.micros / datetime::USECS_PER_SEC) as i32)?
            }
            other => Zone::parse(&other.to_string())?,
        };
        self.info.set("timezone", zone.name().to_string());
        self.time_zone = zone;
        Ok(StatementResult::command("SET"))
    }

    fn show(&mut self, variable: &[ast::Ident]) -> Result<StatementResult> {
        let name = variable
            .iter()
            .map(crate::binder::ident)
            .collect::<Vec<_>>()
            .join(" ");
        let name = if name == "time zone" {
            "timezone".to_string()
        } else {
            name
        };
        let value = match name.as_str() {
            "transaction_isolation" | "transaction isolation level" => match &self.block {
                Block::Open { isolation, .. } | Block::Failed { isolation, .. } => {
                    isolation.name().to_string()
                }
                Block::Idle => self
                    .info
                    .setting("default_transaction_isolation")
                    .unwrap_or_default(),
            },
            "time zone" | "timezone" => self.time_zone.name().to_string(),
            n => self
                .info
                .setting(n)
                .ok_or_else(|| Error::UndefinedParameter(n.to_string()))?,
        };
        let column = match name.as_str() {
            "transaction isolation level" => "transaction_isolation".to_string(),
            "timezone" => "TimeZone".to_string(),
            _ => name,
        };
        Ok(StatementResult {
            tag: "SHOW".into(),
            columns: Some(vec![OutputColumn {
                name: column,
                data_type: DataType::Text,
            }]),
            rows: vec![vec![Value::Text(value)]],
        })
    }
}
