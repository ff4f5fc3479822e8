//! One session, one thread: the bridge between the async pgwire handlers and
//! the synchronous SQL layer.
//!
//! `sql::Session` is synchronous (storage calls that miss the page cache
//! block), so each connection gets a dedicated thread that owns its session.
//! Handlers send a [`Command`] and await the reply on a oneshot channel. The
//! thread ends when every [`SessionHandle`] is dropped (the connection
//! closed), rolling back whatever transaction was open.
//!
//! Cancellation: the session's [`Interrupt`] is installed on its thread, so
//! the executor and lock waits see it. The handle marks a command running
//! ([`Interrupt::start`]) before sending it and the thread marks it finished
//! before replying, so a cancel request reaches exactly the command in flight.

use std::sync::mpsc;

use sql::storage::Storage;
use sql::types::{DataType, Value};
use sql::{Interrupt, PreparedInfo, Session, StatementResult};
use tokio::sync::oneshot;

type Reply<T> = oneshot::Sender<T>;

enum Command {
    Simple(String, Reply<(Vec<sql::Result<StatementResult>>, char)>),
    Prepare {
        name: String,
        sql: String,
        declared: Vec<Option<DataType>>,
        reply: Reply<sql::Result<PreparedInfo>>,
    },
    Execute {
        name: String,
        params: Vec<Value>,
        reply: Reply<(sql::Result<StatementResult>, char)>,
    },
    Close(String),
}

/// A cloneable handle to a session thread.
#[derive(Clone)]
pub struct SessionHandle {
    tx: mpsc::Sender<Command>,
    interrupt: Interrupt,
}

/// Why a session could not answer.
#[derive(Debug, thiserror::Error)]
#[error("the session thread has stopped")]
pub struct SessionGone;

impl SessionHandle {
    /// Starts a session thread over `storage`.
    pub fn spawn<S: Storage + Send + 'static>(
        storage: S,
        name: String,
    ) -> std::io::Result<SessionHandle> {
        let (tx, rx) = mpsc::channel::<Command>();
        let interrupt = Interrupt::new();
        let current = interrupt.clone();
        std::thread::Builder::new().name(name).spawn(move || {
            let _installed = current.install();
            let mut session = Session::new(storage);
            while let Ok(cmd) = rx.recv() {
                match cmd {
                    Command::Simple(sql, reply) => {
                        let r = session.execute(&sql);
                        current.finish();
                        let _ = reply.send((r, session.transaction_status()));
                    }
                    Command::Prepare {
                        name,
                        sql,
                        declared,
                        reply,
                    } => {
                        let r = session.prepare(&name, &sql, &declared);
                        current.finish();
                        let _ = reply.send(r);
                    }
                    Command::Execute {
                        name,
                        params,
                        reply,
                    } => {
                        let r = session.execute_prepared(&name, &params);
                        current.finish();
                        let _ = reply.send((r, session.transaction_status()));
                    }
                    Command::Close(name) => session.close_prepared(&name),
                }
            }
        })?;
        Ok(SessionHandle { tx, interrupt })
    }

    /// The session's cancel signal.
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, SessionGone> {
        let (reply, rx) = oneshot::channel();
        self.interrupt.start();
        self.tx.send(make(reply)).map_err(|_| SessionGone)?;
        rx.await.map_err(|_| SessionGone)
    }

    /// Simple protocol: every statement of `sql`, and the transaction status
    /// after them ('I', 'T' or 'E').
    pub async fn simple(
        &self,
        sql: String,
    ) -> Result<(Vec<sql::Result<StatementResult>>, char), SessionGone> {
        self.call(|r| Command::Simple(sql, r)).await
    }

    pub async fn prepare(
        &self,
        name: String,
        sql: String,
        declared: Vec<Option<DataType>>,
    ) -> Result<sql::Result<PreparedInfo>, SessionGone> {
        self.call(|reply| Command::Prepare {
            name,
            sql,
            declared,
            reply,
        })
        .await
    }

    pub async fn execute(
        &self,
        name: String,
        params: Vec<Value>,
    ) -> Result<(sql::Result<StatementResult>, char), SessionGone> {
        self.call(|reply| Command::Execute {
            name,
            params,
            reply,
        })
        .await
    }

    /// Forgets a prepared statement (fire and forget).
    pub fn close(&self, name: String) {
        let _ = self.tx.send(Command::Close(name));
    }
}
