//! The COPY FROM STDIN sub-protocol on a connection: after the CopyInResponse that
//! [`super::handler`] sends for a COPY statement, every CopyData goes to the session (rows
//! are parsed and inserted as they arrive, so memory stays bounded), CopyDone ends the
//! statement (`COPY n`) and CopyFail abandons it (57014).
//!
//! On any error the session has already discarded the COPY's rows; the connection's
//! transaction status is set from the session (a failed COPY inside a block leaves it
//! failed, `E`; outside one, `I`) before pgwire sends the ErrorResponse and ReadyForQuery.
//! CopyData that the client keeps sending after the error is dropped by pgwire, as
//! PostgreSQL drops it.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::ClientInfo;
use pgwire::api::copy::CopyHandler;
use pgwire::api::results::Tag;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};

use super::encode;
use super::handler::Connection;
use super::params;

fn user_error(e: &sql::Error) -> PgWireError {
    PgWireError::UserError(Box::new(encode::error_info(e)))
}

#[async_trait]
impl CopyHandler for Connection {
    async fn on_copy_data<C>(&self, client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (r, status) = self
            .session()
            .copy_data(&copy_data.data)
            .map_err(|f| self.fatal(f))?;
        if let Err(e) = r {
            self.set_status(status);
            client.set_transaction_status(self.status());
            return Err(user_error(&e));
        }
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (r, status) = self.session().copy_done().map_err(|f| self.fatal(f))?;
        self.set_status(status);
        client.set_transaction_status(self.status());
        let result = r.map_err(|e| user_error(&e))?;
        client
            .send(PgWireBackendMessage::CommandComplete(
                Tag::new(&result.tag).into(),
            ))
            .await?;
        params::send_changed(client, self.session().changed_reports()).await?;
        Ok(())
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self.session().copy_fail(&fail.message) {
            Ok((e, status)) => {
                self.set_status(status);
                client.set_transaction_status(self.status());
                user_error(&e)
            }
            Err(f) => self.fatal(f),
        }
    }
}
