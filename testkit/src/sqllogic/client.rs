//! [`PgClient`]: a [`Db`] over tokio-postgres's simple-query protocol.

use super::run::{Db, Output};
use std::time::Duration;
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// One connection on its own single-threaded runtime, with a per-query timeout: when a
/// query runs past it, a CancelRequest is sent and the query counts as failed.
pub struct PgClient {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    timeout: Duration,
}

impl PgClient {
    /// Connects with a libpq-style connection string (bounded by `timeout` as well).
    pub fn connect(conn: &str, timeout: Duration) -> Result<PgClient, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("runtime: {e}"))?;
        let (client, connection) = rt
            .block_on(async {
                tokio::time::timeout(
                    timeout.max(Duration::from_secs(20)),
                    tokio_postgres::connect(conn, NoTls),
                )
                .await
            })
            .map_err(|_| format!("connect to {conn}: timed out"))?
            .map_err(|e| format!("connect to {conn}: {e}"))?;
        rt.spawn(connection);
        Ok(PgClient {
            rt,
            client,
            timeout,
        })
    }

    async fn query(&self, sql: &str) -> Result<Vec<SimpleQueryMessage>, String> {
        let fut = self.client.simple_query(sql);
        tokio::pin!(fut);
        tokio::select! {
            r = &mut fut => r.map_err(describe),
            _ = tokio::time::sleep(self.timeout) => {
                let _ = self.client.cancel_token().cancel_query(NoTls).await;
                // The canceled query still ends the exchange; give it a bounded wait.
                let _ = tokio::time::timeout(Duration::from_secs(30), fut).await;
                Err(format!("timed out after {:?} (canceled)", self.timeout))
            }
        }
    }
}

fn describe(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl Db for PgClient {
    fn run(&mut self, sql: &str) -> Result<Output, String> {
        let msgs = self.rt.block_on(self.query(sql))?;
        let mut out = Output::default();
        for m in msgs {
            match m {
                SimpleQueryMessage::RowDescription(cols) => out.columns = cols.len(),
                SimpleQueryMessage::Row(r) => {
                    out.columns = r.len();
                    out.rows
                        .push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
