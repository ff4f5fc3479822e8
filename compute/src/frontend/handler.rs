//! The pgwire handlers of one connection: simple and extended query
//! protocol mapped onto a [`SessionHandle`].
//!
//! Each connection gets its own [`ConnectionHandlers`] (and session thread).
//! The transaction status in every ReadyForQuery is the session's own
//! (`I`/`T`/`E`), not one inferred from command tags, so savepoint rollbacks
//! out of a failed block report correctly. A Parse becomes a prepared
//! statement in the session under a connection-unique name; when pgwire drops
//! the statement, the session forgets it.
//!
//! The connection's startup is [`super::auth::Startup`] (trust or SCRAM) and its
//! cancel requests go to the front end's [`super::registry::SessionRegistry`]. When
//! the connection goes away, a statement still running for it is canceled.
//!
//! A [`Fatal`] from the session (an outcome the compute cannot know: 08006; the
//! compute stopped serving: 57P01) goes out as a FATAL ErrorResponse after the
//! results before it, and pgwire then closes the connection, as PostgreSQL's
//! backend does ([`Connection::fatal_sent`] tells the closing of idle sessions
//! not to send another).

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{Sink, SinkExt, stream};
use pgwire::api::copy::{send_copy_in_response, send_copy_out_response};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{
    ExtendedQueryHandler, SimpleQueryHandler, send_execution_response, send_query_response,
    send_ready_for_query,
};
use pgwire::api::results::{
    CopyResponse, DescribePortalResponse, DescribeStatementResponse, FieldFormat, FieldInfo,
    QueryResponse, Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::Entry;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, PgWireConnectionState, PgWireServerHandlers, Type,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Describe, Execute, Parse, ParseComplete, Sync as PgSync,
    TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, NotificationResponse, TransactionStatus};
use pgwire::messages::simplequery::Query;
use sql::{PreparedInfo, StatementResult};

use super::auth::{Authenticator, Startup};
use super::batched::Batched;
use super::encode;
use super::params;
use super::registry::{Canceler, SessionRegistry};
use super::worker::{CopyMode, Fatal, SessionHandle};

/// A statement parsed (prepared) in the session.
#[derive(Clone, Debug)]
pub struct Prepared {
    info: PreparedInfo,
    /// The statement's text (what `pg_stat_activity` shows while it runs).
    sql: Arc<str>,
    guard: Arc<CloseOnDrop>,
}

/// Closes the session's prepared statement when the last copy is dropped.
#[derive(Debug)]
struct CloseOnDrop {
    name: String,
    #[allow(dead_code)]
    session: SessionDebug,
}

struct SessionDebug(SessionHandle);

impl Debug for SessionDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionHandle")
    }
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.session.0.close(std::mem::take(&mut self.name));
    }
}

/// Everything pgwire needs for one connection.
pub struct ConnectionHandlers {
    inner: Arc<Connection>,
    startup: Arc<Startup>,
    canceler: Arc<Canceler>,
}

pub struct Connection {
    session: SessionHandle,
    parser: Arc<Parser>,
    /// The session's transaction status after its last command.
    status: AtomicU8,
    /// Set once a FATAL error was handed to pgwire (which then closes the connection).
    fatal_sent: Arc<AtomicBool>,
    /// Notices of the extended protocol's last Execute, sent once pgwire has sent its result.
    notices: std::sync::Mutex<Vec<sql::notice::Notice>>,
}

pub struct Parser {
    session: SessionHandle,
    next_id: AtomicU64,
    fatal_sent: Arc<AtomicBool>,
}

impl ConnectionHandlers {
    pub fn new(
        session: SessionHandle,
        auth: Arc<Authenticator>,
        cancels: Arc<SessionRegistry>,
    ) -> ConnectionHandlers {
        let fatal_sent = Arc::new(AtomicBool::new(false));
        ConnectionHandlers {
            startup: Arc::new(Startup::new(auth, session.clone())),
            canceler: Arc::new(Canceler(cancels)),
            inner: Arc::new(Connection {
                parser: Arc::new(Parser {
                    session: session.clone(),
                    next_id: AtomicU64::new(0),
                    fatal_sent: fatal_sent.clone(),
                }),
                session,
                status: AtomicU8::new(b'I'),
                fatal_sent,
                notices: std::sync::Mutex::new(Vec::new()),
            }),
        }
    }

    /// Set once a FATAL error went to pgwire for this connection.
    pub fn fatal_sent(&self) -> Arc<AtomicBool> {
        self.inner.fatal_sent.clone()
    }

    /// Set at startup when the client negotiated TLS.
    pub fn secure(&self) -> Arc<AtomicBool> {
        self.startup.secure()
    }
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.inner.clone()
    }
    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.inner.clone()
    }
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }
    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.canceler.clone()
    }
    fn copy_handler(&self) -> Arc<impl pgwire::api::copy::CopyHandler> {
        self.inner.clone()
    }
}

impl ConnectionHandlers {
    /// The connection's handlers of queries (what the connection loop delivers
    /// notifications through).
    pub(super) fn connection(&self) -> &Arc<Connection> {
        &self.inner
    }
}

/// The handlers of a connection over `--max-connections`: a startup gets FATAL 53300 (as
/// PostgreSQL answers), while a CancelRequest is still served, so Ctrl-C works on a full
/// server.
pub struct OverLimitHandlers {
    canceler: Arc<Canceler>,
}

impl OverLimitHandlers {
    pub fn new(cancels: Arc<SessionRegistry>) -> OverLimitHandlers {
        OverLimitHandlers {
            canceler: Arc::new(Canceler(cancels)),
        }
    }
}

impl PgWireServerHandlers for OverLimitHandlers {
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        Arc::new(TooManyClients)
    }
    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.canceler.clone()
    }
}

struct TooManyClients;

#[async_trait]
impl pgwire::api::auth::StartupHandler for TooManyClients {
    async fn on_startup<C>(
        &self,
        _client: &mut C,
        message: pgwire::messages::PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            pgwire::messages::PgWireFrontendMessage::Startup(_) => {
                Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                    "FATAL".to_owned(),
                    "53300".to_owned(),
                    "sorry, too many clients already".to_owned(),
                ))))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The client is gone: nobody will read what a running statement produces.
        self.session.interrupt().cancel();
    }
}

fn user_error(e: &sql::Error) -> PgWireError {
    PgWireError::UserError(Box::new(encode::error_info(e)))
}

/// `f` as the FATAL error pgwire sends before closing the connection; notes it in `sent`.
fn fatal(f: Fatal, sent: &AtomicBool) -> PgWireError {
    tracing::info!(code = f.code(), reason = %f, "closing the connection");
    sent.store(true, Ordering::SeqCst);
    PgWireError::UserError(Box::new(encode::fatal(f.code(), f.to_string())))
}

impl Connection {
    /// Runs a bound portal's statement: the extended protocol's Execute (and a FETCH / MOVE
    /// by SQL on a portal not run yet, `portal_commands`).
    pub(super) async fn run_portal(&self, portal: &Portal<Prepared>) -> PgWireResult<Response> {
        let stmt = &portal.statement.statement;
        let types = &stmt.info.param_types;
        if portal.parameters.len() != types.len() {
            return Err(user_error(&sql::Error::InvalidParameterValue(format!(
                "bind message supplies {} parameters, but prepared statement requires {}",
                portal.parameters.len(),
                types.len()
            ))));
        }
        let mut params = Vec::with_capacity(types.len());
        {
            let _env = sql::env::install(self.session.env());
            for (i, (raw, ty)) in portal.parameters.iter().zip(types).enumerate() {
                let binary = portal.parameter_format.format_for(i) == FieldFormat::Binary;
                params
                    .push(encode::param(raw.as_deref(), binary, *ty).map_err(|e| user_error(&e))?);
            }
        }
        let (result, status, copy) = self
            .session
            .execute(stmt.guard.name.clone(), &stmt.sql, params)
            .await
            .map_err(|f| self.fatal(f))?;
        self.set_status(status);
        let mut result = result.map_err(|e| user_error(&e))?;
        *self.notices.lock().unwrap_or_else(|e| e.into_inner()) =
            std::mem::take(&mut result.notices);
        if copy != CopyMode::None {
            return Ok(copy_response(result, copy));
        }
        let _env = sql::env::install(self.session.env());
        response(&result, |i| portal.result_column_format.format_for(i))
    }

    /// Whether notifications may go out now: the session is outside a transaction block
    /// (PostgreSQL holds them back until the block ends).
    pub(super) fn idle(&self) -> bool {
        self.status() == TransactionStatus::Idle
    }

    /// Fires when a notification arrives for the session.
    pub(super) fn arrived(&self) -> Arc<tokio::sync::Notify> {
        self.session.arrived()
    }

    /// Feeds the notifications that arrived as NotificationResponses, if the session is idle
    /// outside a block (PostgreSQL sends them just before ReadyForQuery, or at once to an idle
    /// session: see [`super::connection`]).
    pub(super) async fn send_notifications<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: Sink<PgWireBackendMessage> + Unpin,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !self.idle() {
            return Ok(());
        }
        for n in self.session.notifications() {
            client
                .feed(PgWireBackendMessage::NotificationResponse(
                    NotificationResponse::new(n.pid, n.channel, n.payload),
                ))
                .await?;
        }
        Ok(())
    }

    pub(super) fn fatal(&self, f: Fatal) -> PgWireError {
        fatal(f, &self.fatal_sent)
    }

    /// Runs a simple query: the responses to send, each after the notices its statement
    /// raised, then the FATAL error that ends the connection after them, if any.
    async fn run_simple(&self, query: &str) -> PgWireResult<(Vec<Reply>, Option<PgWireError>)> {
        let (results, status, fatal, copy) = match self.session.simple(query.to_string()).await {
            Ok(r) => r,
            Err(f) => return Ok((Vec::new(), Some(self.fatal(f)))),
        };
        self.set_status(status);
        let _env = sql::env::install(self.session.env());
        let mut out = Vec::with_capacity(results.len());
        let last = results.len().saturating_sub(1);
        for (i, r) in results.into_iter().enumerate() {
            let notices = match &r {
                Ok(r) => r.notices.iter().map(encode::notice_info).collect(),
                Err(_) => Vec::new(),
            };
            let response = match r {
                Ok(r) if i == last && copy != CopyMode::None => copy_response(r, copy),
                Ok(r) => response(&r, |_| FieldFormat::Text)?,
                Err(e) => Response::Error(Box::new(encode::error_info(&e))),
            };
            out.push(Reply { notices, response });
        }
        Ok((out, fatal.map(|f| self.fatal(f))))
    }

    /// The connection's session.
    pub(super) fn session(&self) -> &SessionHandle {
        &self.session
    }

    /// An extended-protocol message failed before its statement ran (Parse, Bind,
    /// Describe, a parameter's conversion): the transaction fails as in PostgreSQL, so the
    /// next ReadyForQuery says 'E' and Sync rolls the batch's implicit transaction back.
    pub(super) fn fail_statement(&self) {
        if let Some(status) = self.session.fail_statement() {
            self.set_status(status);
        }
    }

    pub(super) fn set_status(&self, s: char) {
        self.status.store(s as u8, Ordering::Relaxed);
    }

    pub(super) fn status(&self) -> TransactionStatus {
        match self.status.load(Ordering::Relaxed) {
            b'T' => TransactionStatus::Transaction,
            b'E' => TransactionStatus::Error,
            _ => TransactionStatus::Idle,
        }
    }
}

/// One statement's answer in a simple query: its notices, then its response.
struct Reply {
    notices: Vec<ErrorInfo>,
    response: Response,
}

/// Feeds NoticeResponses to the client.
async fn send_notices<C>(client: &mut C, notices: Vec<ErrorInfo>) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for n in notices {
        client
            .feed(PgWireBackendMessage::NoticeResponse(n.into()))
            .await?;
    }
    Ok(())
}

/// One statement's result as a pgwire response.
fn response(
    r: &StatementResult,
    format_for: impl Fn(usize) -> FieldFormat,
) -> PgWireResult<Response> {
    let Some(columns) = &r.columns else {
        return Ok(Response::Execution(Tag::new(&r.tag)));
    };
    let schema = Arc::new(encode::fields(columns, format_for));
    let rows = encode::rows(&schema, columns, &r.rows)?;
    let mut q = QueryResponse::new(schema, stream::iter(rows.into_iter().map(Ok)));
    // pgwire appends the row count itself: `INSERT 0 2` → `INSERT 0`, so
    // RETURNING reports the statement's own tag (psql prints it).
    let command = r.tag.rsplit_once(' ').map_or(r.tag.as_str(), |(c, _)| c);
    q.set_command_tag(command);
    Ok(Response::Query(q))
}

/// The copy sub-protocol's opening for a COPY statement's result: CopyInResponse (the
/// client sends data next), or CopyOutResponse with the result's lines as CopyData.
fn copy_response(r: StatementResult, copy: CopyMode) -> Response {
    match copy {
        CopyMode::In { columns, binary } => Response::CopyIn(CopyResponse::new(
            i8::from(binary),
            columns,
            stream::empty(),
        )),
        CopyMode::Out { columns, binary } => {
            let lines: Vec<_> = r
                .rows
                .into_iter()
                .map(|row| {
                    let line = match row.into_iter().next() {
                        Some(sql::Value::Text(t)) => Bytes::from(t),
                        Some(sql::Value::Bytea(b)) => Bytes::from(b),
                        _ => Bytes::new(),
                    };
                    Ok(CopyData::new(line))
                })
                .collect();
            Response::CopyOut(CopyResponse::new(
                i8::from(binary),
                columns,
                stream::iter(lines),
            ))
        }
        CopyMode::None => Response::EmptyQuery,
    }
}

fn is_empty_query(q: &str) -> bool {
    q.chars().all(|c| c == ';' || c.is_whitespace())
}

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        if is_empty_query(&query.query) {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        } else if let Some(response) = self.portal_command(client, &query.query).await {
            match response {
                Response::Query(q) => send_query_response(client, q, true).await?,
                Response::Execution(tag) => send_execution_response(client, tag).await?,
                Response::Error(e) => {
                    client
                        .feed(PgWireBackendMessage::ErrorResponse((*e).into()))
                        .await?
                }
                _ => {}
            }
        } else {
            let (replies, fatal) = self.run_simple(&query.query).await?;
            for Reply { notices, response } in replies {
                send_notices(client, notices).await?;
                match response {
                    Response::Query(q) => send_query_response(client, q, true).await?,
                    Response::Execution(tag)
                    | Response::TransactionStart(tag)
                    | Response::TransactionEnd(tag) => send_execution_response(client, tag).await?,
                    Response::Error(e) => {
                        client
                            .feed(PgWireBackendMessage::ErrorResponse((*e).into()))
                            .await?
                    }
                    Response::EmptyQuery => {
                        client
                            .feed(PgWireBackendMessage::EmptyQueryResponse(
                                EmptyQueryResponse::new(),
                            ))
                            .await?
                    }
                    Response::CopyIn(r) => {
                        // COPY FROM STDIN: no ReadyForQuery until CopyDone or CopyFail
                        // (the copy handler answers those).
                        send_copy_in_response(client, r).await?;
                        client.set_state(PgWireConnectionState::CopyInProgress(false));
                        client.flush().await?;
                        return Ok(());
                    }
                    Response::CopyOut(r) => send_copy_out_response(client, r).await?,
                    Response::CopyBoth(_) => {}
                }
            }
            if let Some(fatal) = fatal {
                // pgwire sends it after what was fed, then closes the connection.
                return Err(fatal);
            }
        }
        let status = self.status();
        params::send_changed(client, self.session.changed_reports()).await?;
        self.send_notifications(client).await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        send_ready_for_query(client, status).await
    }

    async fn do_query<C>(&self, _client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        match self.run_simple(query).await? {
            (out, None) => Ok(out.into_iter().map(|r| r.response).collect()),
            (_, Some(fatal)) => Err(fatal),
        }
    }
}

impl Parser {
    /// Parses `sql` into the session under a new front-end name; the client calls it
    /// `client_name` (`""` for the unnamed statement).
    async fn parse_as(
        &self,
        client_name: &str,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Prepared> {
        let name = format!("pgwire_{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let declared = types.iter().map(encode::declared_type).collect();
        let info = self
            .session
            .prepare(
                name.clone(),
                client_name.to_string(),
                sql.to_string(),
                declared,
            )
            .await
            .map_err(|f| fatal(f, &self.fatal_sent))?
            .map_err(|e| user_error(&e))?;
        Ok(Prepared {
            info,
            sql: sql.into(),
            guard: Arc::new(CloseOnDrop {
                name,
                session: SessionDebug(self.session.clone()),
            }),
        })
    }
}

#[async_trait]
impl QueryParser for Parser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        self.parse_as("", sql, types).await.map(Some)
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(stmt
            .info
            .param_types
            .iter()
            .map(|t| encode::wire_type(*t))
            .collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        let columns = stmt.info.columns.as_deref().unwrap_or(&[]);
        Ok(encode::fields(columns, |i| {
            column_format.map_or(FieldFormat::Text, |f| f.format_for(i))
        }))
    }
}

#[async_trait]
impl ExtendedQueryHandler for Connection {
    type Statement = Prepared;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    /// Execute: as pgwire's, then the notices the statement raised. They follow its
    /// CommandComplete (PostgreSQL sends them before it): pgwire sends the result from
    /// inside its Execute handling, and clients take a notice at any point before
    /// ReadyForQuery.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let result = self._on_execute(&mut Batched(client), message).await;
        let notices = std::mem::take(&mut *self.notices.lock().unwrap_or_else(|e| e.into_inner()));
        send_notices(client, notices.iter().map(encode::notice_info).collect()).await?;
        if matches!(client.state(), PgWireConnectionState::CopyInProgress(_)) {
            // CopyInResponse: the client sends its data next, without a Sync first.
            client.flush().await?;
        }
        result
    }

    /// Bind: as pgwire's, except that BindComplete waits in the buffer for the next Sync
    /// or Flush ([`Batched`]).
    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement_name = message
            .statement_name
            .as_deref()
            .unwrap_or(pgwire::api::DEFAULT_NAME);
        let portal_name = message
            .portal_name
            .as_deref()
            .unwrap_or(pgwire::api::DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) => {
                if !message.parameters.is_empty() {
                    return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                        "ERROR".to_owned(),
                        "08P01".to_owned(),
                        format!(
                            "bind message supplies {} parameters, but prepared statement \"{}\" requires 0",
                            message.parameters.len(),
                            statement_name
                        ),
                    ))));
                }
                client.portal_store().put_empty_portal(portal_name);
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client
            .feed(PgWireBackendMessage::BindComplete(BindComplete::new()))
            .await?;
        Ok(())
    }

    /// Parse: as pgwire's, except that the session learns the client's name for the
    /// statement (`EXECUTE`, `DEALLOCATE` and `pg_prepared_statements` use it).
    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let client_name = message.name.clone().unwrap_or_default();
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| pgwire::api::DEFAULT_NAME.to_owned());
        if is_empty_query(&message.query) {
            client.portal_store().put_empty_statement(&name);
        } else {
            let types: Vec<Option<Type>> = message
                .type_oids
                .iter()
                .map(|o| Type::from_oid(*o))
                .collect();
            let statement = self
                .parser
                .parse_as(&client_name, &message.query, &types)
                .await?;
            client
                .portal_store()
                .put_statement(Arc::new(StoredStatement::new(name, statement, types)));
        }
        client
            .feed(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.portal_store().rm_portal(pgwire::api::DEFAULT_NAME);
        // The batch's implicit transaction ends here (a failed commit is its error); an
        // idle session has none.
        if self.status.load(Ordering::Relaxed) != b'I' {
            let (failed, status) = self.session.sync().map_err(|f| self.fatal(f))?;
            self.set_status(status);
            if let Some(e) = failed {
                client
                    .feed(PgWireBackendMessage::ErrorResponse(
                        encode::error_info(&e).into(),
                    ))
                    .await?;
            }
        }
        let status = self.status();
        params::send_changed(client, self.session.changed_reports()).await?;
        self.send_notifications(client).await?;
        client.set_transaction_status(status);
        send_ready_for_query(client, status).await?;
        client.flush().await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        self.run_portal(portal).await
    }

    /// Describe: as pgwire's, except that a statement returning no rows is described with
    /// NoData even when it has parameters (pgwire sends an empty RowDescription then, which
    /// makes JDBC take an INSERT for a query and report 0 rows for it).
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let client = &mut Batched(client);
        if message.target_type == TARGET_TYPE_BYTE_STATEMENT {
            let name = message.name.as_deref().unwrap_or(pgwire::api::DEFAULT_NAME);
            if let Some(Entry::Value(stmt)) = client.portal_store().get_statement(name)
                && stmt.statement.info.columns.is_none()
            {
                let params = self.parser.get_parameter_types(&stmt.statement)?;
                client
                    .feed(PgWireBackendMessage::ParameterDescription(
                        ParameterDescription::new(params.iter().map(|t| t.oid()).collect()),
                    ))
                    .await?;
                client
                    .feed(PgWireBackendMessage::NoData(NoData::new()))
                    .await?;
                return Ok(());
            }
        }
        self._on_describe(client, message).await
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        stmt: &StoredStatement<Prepared>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let params = self.parser.get_parameter_types(&stmt.statement)?;
        let fields = self.parser.get_result_schema(&stmt.statement, None)?;
        Ok(DescribeStatementResponse::new(params, fields))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Prepared>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let fields = self.parser.get_result_schema(
            &portal.statement.statement,
            Some(&portal.result_column_format),
        )?;
        Ok(DescribePortalResponse::new(fields))
    }
}
