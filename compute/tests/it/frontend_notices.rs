//! NOTICE and WARNING messages, black box: a real client (tokio-postgres) receives the
//! NoticeResponses a statement raises, over the simple and the extended protocol, filtered by
//! the session's `client_min_messages`. (Their wording and order against PostgreSQL 15 is
//! compared through psql in the workspace's `psql_meta` test.)

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::frontend::{Server, server};

/// A client whose notices arrive on the returned channel as `(severity, code, message)`.
async fn connect(s: &Server) -> (Client, mpsc::UnboundedReceiver<(String, String, String)>) {
    let conn_str = format!(
        "host=127.0.0.1 port={} user=anyone dbname=db",
        s.addr.port()
    );
    let (client, mut conn) = tokio_postgres::connect(&conn_str, NoTls)
        .await
        .expect("connect");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if let AsyncMessage::Notice(n) = m {
                let _ = tx.send((
                    n.severity().to_string(),
                    n.code().code().to_string(),
                    n.message().to_string(),
                ));
            }
        }
    });
    (client, rx)
}

/// Everything received so far (notices travel ahead of the ReadyForQuery the call waited for).
fn drain(
    rx: &mut mpsc::UnboundedReceiver<(String, String, String)>,
) -> Vec<(String, String, String)> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

fn one(severity: &str, code: &str, message: &str) -> Vec<(String, String, String)> {
    vec![(severity.into(), code.into(), message.into())]
}

#[tokio::test]
async fn notices_reach_the_client_on_both_protocols() {
    let s = server(8).await;
    let (c, mut rx) = connect(&s).await;

    c.simple_query("DROP TABLE IF EXISTS nope").await.unwrap();
    assert_eq!(
        drain(&mut rx),
        one("NOTICE", "00000", "table \"nope\" does not exist, skipping")
    );

    c.execute("COMMIT", &[]).await.unwrap();
    assert_eq!(
        drain(&mut rx),
        one("WARNING", "25P01", "there is no transaction in progress")
    );

    c.simple_query("CREATE TABLE t (a int)").await.unwrap();
    assert!(drain(&mut rx).is_empty(), "a plain CREATE raises nothing");
    c.execute("CREATE TABLE IF NOT EXISTS t (a int)", &[])
        .await
        .unwrap();
    assert_eq!(
        drain(&mut rx),
        one("NOTICE", "42P07", "relation \"t\" already exists, skipping")
    );

    // One per statement of a multi-statement query string, in order.
    c.simple_query("DROP VIEW IF EXISTS v1; SELECT 1; DROP INDEX IF EXISTS i1")
        .await
        .unwrap();
    let got: Vec<String> = drain(&mut rx).into_iter().map(|n| n.2).collect();
    assert_eq!(
        got,
        [
            "view \"v1\" does not exist, skipping",
            "index \"i1\" does not exist, skipping"
        ]
    );
}

#[tokio::test]
async fn client_min_messages_filters_notices() {
    let s = server(8).await;
    let (c, mut rx) = connect(&s).await;
    c.simple_query("SET client_min_messages = warning")
        .await
        .unwrap();
    c.simple_query("DROP TABLE IF EXISTS nope").await.unwrap();
    c.simple_query("COMMIT").await.unwrap();
    assert_eq!(
        drain(&mut rx),
        one("WARNING", "25P01", "there is no transaction in progress")
    );
    c.simple_query("SET client_min_messages = error")
        .await
        .unwrap();
    c.simple_query("ROLLBACK").await.unwrap();
    assert!(drain(&mut rx).is_empty());
    // The statements before a failing one keep their notices.
    c.simple_query("RESET client_min_messages").await.unwrap();
    assert!(c.simple_query("BEGIN; BEGIN; SELECT 1/0").await.is_err());
    c.simple_query("ROLLBACK").await.unwrap();
    assert_eq!(
        drain(&mut rx),
        one(
            "WARNING",
            "25001",
            "there is already a transaction in progress"
        )
    );
}
