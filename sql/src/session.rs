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
use crate::env::{self, Env};
use crate::executor::{self, Context};
use crate::planner;
use crate::result::StatementResult;
use crate::storage::{Isolation, Storage, Txn};
use crate::types::datetime::{self, zone::Zone};
use crate::types::oid::ObjectLookup;
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::collections::BTreeMap;
use std::sync::Arc;

mod copy;
mod settings_commands;

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

/// A prepared statement: its parse tree and parameter types, re-bound at each execution so
/// it follows catalog changes.
#[derive(Debug, Clone)]
struct Prepared {
    statement: Option<Parsed>,
    param_types: Vec<DataType>,
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
    block: Block<S::Txn>,
    /// Shared, so executing one does not copy its syntax tree.
    prepared: BTreeMap<String, std::sync::Arc<Prepared>>,
    settings: crate::settings::Settings,
    /// The open block is the implicit one of a multi-statement simple query.
    implicit: bool,
    /// A COPY that runs: FROM STDIN waiting for data, or TO STDOUT just answered.
    copy: copy::CopyState<S::Txn>,
    /// The `TimeZone` setting's zone (follows `settings`, see [`Session::statement_env`]).
    time_zone: Zone,
    /// When the current transaction started (`now()`); reset when no block is open.
    txn_start: Option<i64>,
    /// The environment of the last statement (see [`Session::env`]).
    last_env: Arc<Env>,
}

/// One statement of a query string: sqlparser's tree, or a COPY (parsed by hand).
#[derive(Debug, Clone)]
enum Parsed {
    Sql(Box<ast::Statement>),
    Copy(crate::copy::CopyStatement),
}

fn parse_sql(sql: &str) -> Result<Vec<ast::Statement>> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| {
        let msg = e.to_string();
        let msg = msg
            .strip_prefix("sql parser error: ")
            .unwrap_or(&msg)
            .to_string();
        Error::SyntaxError(msg)
    })
}

/// Parses a query string. sqlparser reads everything but COPY, whose forms it partly
/// misses: a string holding a COPY is cut into statements and its COPYs parsed by hand.
fn parse(sql: &str) -> Result<Vec<Parsed>> {
    let first = parse_sql(sql);
    if let Ok(statements) = &first
        && !statements
            .iter()
            .any(|s| matches!(s, ast::Statement::Copy { .. }))
    {
        return first.map(|v| v.into_iter().map(|s| Parsed::Sql(Box::new(s))).collect());
    }
    let pieces = crate::copy::statement::split(sql)?;
    if !pieces.iter().any(|p| crate::copy::statement::is_copy(p)) {
        return first.map(|v| v.into_iter().map(|s| Parsed::Sql(Box::new(s))).collect());
    }
    let mut out = Vec::new();
    for piece in pieces {
        if crate::copy::statement::is_copy(&piece) {
            out.push(Parsed::Copy(crate::copy::statement::parse(&piece)?));
        } else {
            out.extend(
                parse_sql(&piece)?
                    .into_iter()
                    .map(|s| Parsed::Sql(Box::new(s))),
            );
        }
    }
    Ok(out)
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

/// Runs one bound-and-planned statement inside `txn`.
fn run_in_txn<T: Txn>(
    txn: &mut T,
    stmt: &ast::Statement,
    params: &[Value],
    types: &[DataType],
    lookup: &mut Option<Arc<dyn ObjectLookup>>,
) -> Result<StatementResult> {
    let catalog = txn.catalog()?;
    let objects: Arc<dyn ObjectLookup> = catalog.clone();
    *lookup = Some(objects.clone());
    let _env = env::install(Arc::new(Env {
        lookup: Some(objects),
        ..(*env::current()).clone()
    }));
    let mut binder = Binder::new(catalog.clone(), types.iter().map(|t| Some(*t)).collect());
    match binder.bind(stmt)? {
        BoundStatement::Query {
            kind,
            plan,
            columns,
            returns_rows,
        } => {
            let plan = planner::optimize(plan);
            let mut op = executor::build(&plan);
            let mut ctx = Context::new(txn, params);
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
        Session {
            storage,
            block: Block::Idle,
            prepared: BTreeMap::new(),
            settings: crate::settings::Settings::new(),
            implicit: false,
            copy: copy::CopyState::None,
            time_zone: Zone::utc(),
            txn_start: None,
            last_env: Arc::new(Env::default()),
        }
    }

    /// Makes [`Session::time_zone`] the zone of the `TimeZone` setting (which SET, RESET,
    /// set_config, the startup packet and a rolled-back transaction may have changed).
    fn sync_time_zone(&mut self) {
        let name = self.settings.get("timezone").unwrap_or_default();
        if name != self.time_zone.name() {
            self.time_zone = Zone::parse(&name).unwrap_or_else(|_| Zone::utc());
        }
    }

    /// The environment the last statement ran in (time zone, timestamps, catalog lookup):
    /// install it ([`env::install`]) while formatting that statement's rows as text.
    pub fn env(&self) -> Arc<Env> {
        let setting = self.settings.get("timezone").unwrap_or_default();
        let time_zone = if setting == self.time_zone.name() {
            self.time_zone.clone()
        } else {
            Zone::parse(&setting).unwrap_or_else(|_| Zone::utc())
        };
        Arc::new(Env {
            time_zone,
            ..(*self.last_env).clone()
        })
    }

    /// Starts a statement's environment: the statement's start time, and the transaction's
    /// (the statement's own outside a block).
    fn statement_env(&mut self) -> Arc<Env> {
        self.sync_time_zone();
        let now = datetime::clock_now();
        if matches!(self.block, Block::Idle) {
            self.txn_start = None;
        }
        let transaction_start = *self.txn_start.get_or_insert(now);
        let env = Arc::new(Env {
            time_zone: self.time_zone.clone(),
            transaction_start,
            statement_start: now,
            lookup: self.last_env.lookup.clone(),
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
            .settings
            .get("default_transaction_isolation")
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
                    self.settings.begin();
                    self.implicit = true;
                    self.txn_start = None;
                }
                Err(e) => return vec![Err(e)],
            }
        }
        let mut out = Vec::new();
        for (i, parsed) in statements.iter().enumerate() {
            let stmt = match parsed {
                Parsed::Sql(stmt) => stmt,
                Parsed::Copy(c) => {
                    let r = if i + 1 < statements.len() {
                        self.fail_block();
                        Err(Error::unsupported(
                            "COPY must be the last statement of a query string",
                        ))
                    } else {
                        self.run_copy(c)
                    };
                    let failed = r.is_err();
                    out.push(r);
                    if failed || self.copy_in_pending() {
                        break;
                    }
                    continue;
                }
            };
            if matches!(stmt.as_ref(), ast::Statement::StartTransaction { .. }) && self.implicit {
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
        if !self.copy_in_pending() {
            self.end_implicit(&mut out);
        }
        out
    }

    /// Ends the implicit block of a multi-statement query string, if one is open: commits
    /// it, or rolls it back after an error (pushing a commit failure onto `out`).
    fn end_implicit(&mut self, out: &mut Vec<Result<StatementResult>>) {
        if std::mem::take(&mut self.implicit) {
            match std::mem::replace(&mut self.block, Block::Idle) {
                Block::Open { txn, .. } => match txn.map_or(Ok(()), |t| t.commit()) {
                    Ok(()) => self.settings.commit(),
                    Err(e) => {
                        self.settings.abort();
                        out.push(Err(e));
                    }
                },
                Block::Failed { txn, .. } => {
                    if let Some(txn) = txn {
                        txn.rollback();
                    }
                    self.settings.abort();
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
            Some(Parsed::Sql(stmt)) if Self::is_bindable(stmt) => self.describe(stmt, declared)?,
            Some(Parsed::Sql(stmt))
                if matches!(stmt.as_ref(), ast::Statement::ShowVariable { .. }) =>
            {
                let ast::Statement::ShowVariable { variable } = stmt.as_ref() else {
                    unreachable!("matched above")
                };
                (Vec::new(), Some(settings_commands::show_columns(variable)))
            }
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
            std::sync::Arc::new(Prepared {
                statement,
                param_types: param_types.clone(),
            }),
        );
        Ok(PreparedInfo {
            param_types,
            columns,
        })
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
            Some(Parsed::Sql(stmt)) => self.run(stmt, params, &p.param_types),
            Some(Parsed::Copy(c)) => self.run_copy(c),
            None => Ok(StatementResult::command("")),
        }
    }

    fn is_bindable(stmt: &ast::Statement) -> bool {
        use ast::Statement as S;
        matches!(
            stmt,
            S::Query(_) | S::Insert(_) | S::Update(_) | S::Delete(_)
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
            S::Reset(reset) => self.reset(reset),
            // Protocol-level statements live in the front end's store under the client's
            // names (closed by its Close messages); DEALLOCATE, which drivers send to forget
            // them (psycopg after DDL), has nothing to drop here.
            S::Deallocate { name, .. } => Ok(StatementResult::command(
                if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
                    "DEALLOCATE ALL"
                } else {
                    "DEALLOCATE"
                },
            )),
            S::Discard { object_type } => self.discard(object_type),
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
        let isolation = match self.block {
            Block::Idle => Some(self.default_isolation()?),
            _ => None,
        };
        let mut lookup = None;
        let r = {
            // Functions such as set_config() see and change the settings while it runs.
            let _lent = self.settings.lend();
            match &mut self.block {
                Block::Open { txn, isolation, .. } => {
                    if txn.is_none() {
                        *txn = Some(self.storage.begin(*isolation)?);
                    }
                    let txn = txn.as_mut().expect("started above");
                    txn.begin_statement()?;
                    let r = run_in_txn(txn, stmt, params, types, &mut lookup);
                    txn.end_statement(r.is_ok());
                    r
                }
                Block::Idle => {
                    let isolation = isolation.expect("computed above for an idle session");
                    let mut txn = self.storage.begin(isolation)?;
                    txn.begin_statement()?;
                    let r = run_in_txn(&mut txn, stmt, params, types, &mut lookup);
                    txn.end_statement(r.is_ok());
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
        };
        self.remember_lookup(lookup);
        r
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
            self.settings.begin();
        }
        // Inside a block PostgreSQL only warns "there is already a transaction in progress".
        Ok(StatementResult::command("BEGIN"))
    }

    fn commit(&mut self) -> Result<StatementResult> {
        match std::mem::replace(&mut self.block, Block::Idle) {
            Block::Idle => Ok(StatementResult::command("COMMIT")),
            Block::Open { txn, .. } => {
                if let Some(txn) = txn
                    && let Err(e) = txn.commit()
                {
                    self.settings.abort();
                    return Err(e);
                }
                self.settings.commit();
                Ok(StatementResult::command("COMMIT"))
            }
            Block::Failed { txn, .. } => {
                if let Some(txn) = txn {
                    txn.rollback();
                }
                self.settings.abort();
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
        self.settings.abort();
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
        self.settings.savepoint();
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
        self.settings.rollback_to(pos);
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
        self.settings.release(pos);
        Ok(StatementResult::command("RELEASE"))
    }
}
