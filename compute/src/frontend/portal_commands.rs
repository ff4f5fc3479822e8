//! `FETCH` and `MOVE` by SQL on a protocol-level portal: a driver binds a named portal with
//! the extended protocol and then moves it with a simple query (asyncpg's
//! `Cursor.forward(n)` sends `MOVE FORWARD n "<portal>"`). In PostgreSQL portals and SQL
//! cursors share one namespace; here the portals live in pgwire's store, outside the
//! session, so these commands are answered at the front end when the name is a portal's.
//!
//! A portal not yet executed is executed first (as PostgreSQL runs it at the first fetch).
//! Protocol portals cannot scroll: any backward direction is 55000 "cursor can only scan
//! forward", as in PostgreSQL.
//!
//! Invariant: a query that is not a single FETCH / MOVE naming an existing portal is left
//! to the session untouched (`None`).

use futures::{StreamExt, stream};
use pgwire::api::portal::{Portal, PortalExecutionState};
use pgwire::api::results::{QueryResponse, Response, Tag};
use pgwire::api::store::{Entry, MemPortalStore, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore};
use pgwire::error::PgWireResult;
use sql::parse::cursor::{CursorCommand, Direction};

use super::encode;
use super::handler::{Connection, Prepared};

/// A FETCH / MOVE and the portal it names.
struct PortalCommand {
    name: String,
    /// Rows to go forward (`None`: all).
    count: Option<usize>,
    move_only: bool,
}

/// The FETCH / MOVE `query` is, if it is one going forward or one that must be refused;
/// `Err` for a backward direction.
fn parse(query: &str) -> Option<Result<PortalCommand, String>> {
    let head = query.trim_start();
    let word = head.get(..5)?;
    if !(word.eq_ignore_ascii_case("fetch") || head.get(..4)?.eq_ignore_ascii_case("move")) {
        return None;
    }
    let mut statements = sql::parse::parse(query).ok()?;
    if statements.len() != 1 {
        return None;
    }
    let sql::parse::Statement::Cursor(CursorCommand::Fetch {
        name,
        direction,
        move_only,
    }) = statements.pop()?
    else {
        return None;
    };
    let count = match direction {
        Direction::Forward(None) => None,
        Direction::Forward(Some(n)) if n >= 0 => Some(n as usize),
        Direction::Relative(n) if n > 0 && move_only => Some(n as usize),
        _ => return Some(Err(name)),
    };
    Some(Ok(PortalCommand {
        name,
        count,
        move_only,
    }))
}

impl Connection {
    /// Answers `query` if it is a FETCH / MOVE on a protocol portal (see the module docs).
    pub(super) async fn portal_command<C>(&self, client: &mut C, query: &str) -> Option<Response>
    where
        C: ClientInfo + ClientPortalStore + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
    {
        let command = parse(query)?;
        let name = match &command {
            Ok(c) => &c.name,
            Err(name) => name,
        };
        let store = client
            .portal_store()
            .as_any()
            .downcast_ref::<MemPortalStore<Prepared>>()?;
        let Some(Entry::Value(portal)) = store.get_portal(name) else {
            return None;
        };
        let response = match command {
            Ok(command) => self.advance(&portal, command).await,
            Err(_) => Err(sql::Error::WithHint {
                error: Box::new(sql::Error::ObjectNotInPrerequisiteState(
                    "cursor can only scan forward".into(),
                )),
                hint: "Declare it with SCROLL option to enable backward scan.".into(),
            }),
        };
        Some(response.unwrap_or_else(|e| Response::Error(Box::new(encode::error_info(&e)))))
    }

    /// Runs the portal if it has not run, then takes `command.count` rows from it.
    async fn advance(
        &self,
        portal: &Portal<Prepared>,
        command: PortalCommand,
    ) -> Result<Response, sql::Error> {
        let initial = matches!(*portal.state().lock().await, PortalExecutionState::Initial);
        if initial {
            match self.run_portal(portal).await {
                Ok(Response::Query(results)) => portal.start(results).await,
                Ok(Response::Error(e)) => return Ok(Response::Error(e)),
                Ok(_) => {
                    portal
                        .start(QueryResponse::new(Default::default(), stream::empty()))
                        .await
                }
                Err(e) => return Err(sql::Error::Internal(e.to_string())),
            }
        }
        let tag = if command.move_only { "MOVE" } else { "FETCH" };
        let fetched = fetch(portal, command.count)
            .await
            .map_err(|e| sql::Error::Internal(e.to_string()))?;
        if command.move_only {
            let mut rows = fetched.data_rows;
            let mut n = 0;
            while rows.next().await.is_some() {
                n += 1;
            }
            return Ok(Response::Execution(Tag::new(tag).with_rows(n)));
        }
        let mut response = fetched;
        response.set_command_tag(tag);
        Ok(Response::Query(response))
    }
}

/// Up to `count` rows of a started portal (`None`: the rest; `Some(0)`: none).
async fn fetch(portal: &Portal<Prepared>, count: Option<usize>) -> PgWireResult<QueryResponse> {
    match count {
        Some(0) => Ok(QueryResponse::new(Default::default(), stream::empty())),
        n => Ok(portal.fetch(n.unwrap_or(0)).await?.response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forward_commands_and_refuses_backward_ones() {
        let c = parse("MOVE FORWARD 3 \"__asyncpg_portal_2__\"")
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.name.as_str(), c.count, c.move_only),
            ("__asyncpg_portal_2__", Some(3), true)
        );
        let c = parse(" fetch all from p;").unwrap().unwrap();
        assert_eq!((c.name.as_str(), c.count, c.move_only), ("p", None, false));
        assert_eq!(
            parse("FETCH BACKWARD 1 FROM p").unwrap().err(),
            Some("p".into())
        );
        assert!(parse("SELECT 1").is_none());
        assert!(parse("MOVE 1 IN p; SELECT 1").is_none());
    }
}
