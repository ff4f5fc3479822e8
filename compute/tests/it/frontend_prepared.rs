//! Named prepared statements across the two protocols, black-box with tokio-postgres: a
//! statement the client prepared over the extended protocol is known by the client's name
//! to `pg_prepared_statements`, SQL `EXECUTE` and `DEALLOCATE` (as in PostgreSQL, one
//! namespace); `DEALLOCATE` of it makes the client's next use fail with 26000 naming it;
//! a SQL `PREPARE`d statement's EXECUTE is described over the extended protocol.

use crate::frontend::server;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

async fn connect(addr: std::net::SocketAddr) -> Client {
    let conn = format!("host=127.0.0.1 port={} user=u dbname=d", addr.port());
    let (client, conn) = tokio_postgres::connect(&conn, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

fn rows(msgs: Vec<SimpleQueryMessage>) -> Vec<Vec<String>> {
    msgs.into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("NULL").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn protocol_statements_share_the_sql_namespace() {
    let s = server(4).await;
    let c = connect(s.addr).await;
    c.batch_execute("CREATE TABLE t (a int, b text); INSERT INTO t VALUES (1, 'x'), (2, 'y')")
        .await
        .unwrap();
    let stmt = c.prepare("SELECT b FROM t WHERE a = $1").await.unwrap();
    let got: String = c.query_one(&stmt, &[&1i32]).await.unwrap().get(0);
    assert_eq!(got, "x");

    let listed = rows(
        c.simple_query(
            "SELECT name, statement, parameter_types::text, from_sql \
             FROM pg_prepared_statements ORDER BY name",
        )
        .await
        .unwrap(),
    );
    // The client's own name for it (tokio-postgres names its statements `sN`).
    assert_eq!(listed.len(), 1, "{listed:?}");
    let name = listed[0][0].clone();
    assert!(name.starts_with('s'), "{name}");
    assert_eq!(
        listed[0][1..],
        [
            "SELECT b FROM t WHERE a = $1".to_string(),
            "{integer}".to_string(),
            "f".to_string(),
        ]
    );

    // SQL EXECUTE runs the client's protocol statement by its name.
    let by_sql = rows(c.simple_query(&format!("EXECUTE {name}(2)")).await.unwrap());
    assert_eq!(by_sql, vec![vec!["y".to_string()]]);

    // A SQL PREPARE of the same name is refused; DEALLOCATE drops the client's statement.
    let dup = c
        .simple_query(&format!("PREPARE {name} AS SELECT 1"))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Some(&SqlState::DUPLICATE_PSTATEMENT));
    c.simple_query(&format!("DEALLOCATE {name}")).await.unwrap();
    let gone = c.query_one(&stmt, &[&1i32]).await.unwrap_err();
    assert_eq!(gone.code(), Some(&SqlState::INVALID_SQL_STATEMENT_NAME));
    assert!(
        gone.as_db_error()
            .is_some_and(|e| e.message() == format!("prepared statement \"{name}\" does not exist")),
        "{gone:?}"
    );
    let listed = rows(
        c.simple_query("SELECT count(*) FROM pg_prepared_statements")
            .await
            .unwrap(),
    );
    assert_eq!(listed, vec![vec!["0".to_string()]]);
}

#[tokio::test]
async fn execute_of_a_sql_statement_is_described_over_the_extended_protocol() {
    let s = server(4).await;
    let c = connect(s.addr).await;
    c.batch_execute("PREPARE two(int) AS SELECT $1 * 2 AS doubled, 'k'::text AS tag")
        .await
        .unwrap();
    let row = c.query_one("EXECUTE two(21)", &[]).await.unwrap();
    assert_eq!(row.columns()[0].name(), "doubled");
    assert_eq!(row.get::<_, i32>(0), 42);
    assert_eq!(row.get::<_, String>(1), "k");
    drop(row); // a row holds its statement, which tokio-postgres closes when dropped
    // Closed protocol statements leave the listing; the SQL one stays until DEALLOCATE ALL.
    let listed = rows(
        c.simple_query("SELECT name, from_sql FROM pg_prepared_statements")
            .await
            .unwrap(),
    );
    assert_eq!(listed, vec![vec!["two".to_string(), "t".to_string()]]);
    c.batch_execute("DEALLOCATE ALL").await.unwrap();
    let err = c.query_one("EXECUTE two(1)", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INVALID_SQL_STATEMENT_NAME));
}
